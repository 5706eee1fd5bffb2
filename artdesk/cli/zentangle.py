"""`artdesk zentangle`: fill a silhouette with a pattern, headless, at print size."""

from __future__ import annotations

import sys


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise SystemExit(f"artdesk zentangle: --size must look like 4500x5400, not {text!r}")
    if not (16 <= w <= 12000 and 16 <= h <= 12000):
        raise SystemExit("artdesk zentangle: --size sides must be between 16 and 12000 pixels")
    return w, h


def add_parser(sub) -> None:
    p = sub.add_parser("zentangle", help="fill a shape (silhouette image) with a pattern")
    p.add_argument("--shape", required=True, help="silhouette image: its alpha, or its dark pixels")
    p.add_argument("--pattern", required=True, help="pattern image, or the name of a built-in tangle (e.g. Hollibaugh, \"Crescent Moon\")")
    p.add_argument("--out", required=True, help="output PNG (transparent outside the shape)")
    p.add_argument("--size", default="4500x5400", help="output size WxH (default: T-shirt 4500x5400)")
    p.add_argument("--mode", default="strings", choices=["strings", "tile", "neural"],
                   help="strings (default): curves divide the shape into outlined sections, each with "
                        "a different tangle; tile: repeat the pattern; neural: style transfer "
                        "(needs the trained model)")
    p.add_argument("--patterns", default=None,
                   help="strings: the other tangles, comma-separated names or image files "
                        "(default: Hollibaugh, Printemps, Crescent Moon, Knightsbridge, 'Nzeppel, Florz, "
                        "Static, Jetties)")
    p.add_argument("--strings", type=int, default=4, help="strings: how many curves divide the shape (0-8)")
    p.add_argument("--strings-image", default=None,
                   help="strings: your own strings instead of curves, an image of strokes (its alpha, or its "
                        "dark pixels) laid over the shape image: each part between them gets its own tangle")
    p.add_argument("--follow", default=None,
                   help="strings or neural: a picture (photo, drawing, portrait) the fill follows, laid over the "
                        "shape image (stretched to its size): strings' sections are its tone levels, dark ones "
                        "filled with dense dark tangles, light ones sparse or left as paper; neural takes it as "
                        "its content")
    p.add_argument("--levels", type=int, default=4, help="strings --follow: the picture's tone levels (2-8)")
    p.add_argument("--palette", default="",
                   help="strings: ink colours per section, e.g. \"#1b4f72,#c0392b,#117a65\" "
                        "(coloured pattern images keep their own colours); with --follow, \"picture\" inks "
                        "each section in the picture's colour there")
    p.add_argument("--strength", type=float, default=1.0, help="neural: 0 = the shape, 1 = all pattern")
    p.add_argument("--detail", default="standard", choices=["fast", "standard", "full"],
                   help="neural: the network paints at 1/3, 1/2 or full size (the outline is always sharp)")
    p.add_argument("--content", default="pattern", choices=["pattern", "shape"],
                   help="neural: redraw the repeated pattern, or grow a free texture in the plain shape")
    p.add_argument("--scale", type=float, default=1.0, help="pattern size (1.0 = default)")
    p.add_argument("--rotation", type=float, default=0.0, help="pattern rotation in degrees")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def _pattern(name: str, keep_key: bool = False):
    """An image file, or a built-in tangle by name: its drawing, or its key with `keep_key`
    (strings mode draws a tangle at the size it is shown, so it stays crisp)."""
    from pathlib import Path

    from artdesk.document.imports import ImportFailed, read_image
    from artdesk.engines.tangles import TANGLES, draw, find

    if not Path(name).exists():
        key = find(name)
        if key is not None:
            return key if keep_key else draw(key)
        titles = ", ".join(t.display_name for t in TANGLES.values())
        raise ImportFailed(f"'{name}' is neither an image file nor a built-in tangle ({titles}).")
    return read_image(name, max_pixels=4096 * 4096)


def run(args) -> int:
    from pathlib import Path

    from artdesk.document.imports import ImportFailed, read_image
    from artdesk.engines.progress import run_to_end
    from artdesk.engines.zentangle import FillSettings, ShapeNotFound, fill_silhouette
    from artdesk.export.png import write_png
    from artdesk.engines.strings import DEFAULT_PATTERNS, parse_palette
    from artdesk.runtime.models import ModelError

    size = _size(args.size)
    strings_mode = args.mode == "strings"
    try:
        shape = read_image(args.shape)
        pattern = _pattern(args.pattern, keep_key=strings_mode)
        names = DEFAULT_PATTERNS if args.patterns is None else [n.strip() for n in args.patterns.split(",") if n.strip()]
        others = tuple(_pattern(n, keep_key=True) for n in names) if strings_mode else ()
        from_picture = args.palette.strip().lower() == "picture"
        palette = () if from_picture else tuple(parse_palette(args.palette))
        lines = read_image(args.strings_image) if strings_mode and args.strings_image else None
        picture = read_image(args.follow) if args.follow else None
    except (ImportFailed, ValueError) as exc:
        print(f"artdesk zentangle: {exc}", file=sys.stderr)
        return 2
    if not 0 <= args.strings <= 8:
        print("artdesk zentangle: --strings must be between 0 and 8", file=sys.stderr)
        return 2
    if not 2 <= args.levels <= 8:
        print("artdesk zentangle: --levels must be between 2 and 8", file=sys.stderr)
        return 2
    if picture is not None and args.mode == "tile":
        print("artdesk zentangle: --follow works with --mode strings or neural, not tile", file=sys.stderr)
        return 2
    if from_picture and picture is None:
        print("artdesk zentangle: --palette picture takes the colours from the --follow picture; give one",
              file=sys.stderr)
        return 2
    if picture is not None and lines is not None:
        print("artdesk zentangle: choose --follow or --strings-image, not both", file=sys.stderr)
        return 2
    settings = FillSettings(args.mode, args.scale, args.rotation, args.seed, strength=args.strength,
                            detail=args.detail, content=args.content, patterns=others,
                            strings=args.strings, palette=palette, follow="image" if picture is not None else "",
                            follow_name=Path(args.follow).name if args.follow else "", levels=args.levels,
                            picture_colours=from_picture)
    try:
        page = run_to_end(fill_silhouette(shape, pattern, size, settings, strings_rgba=lines, picture=picture))
    except (ShapeNotFound, ModelError) as exc:
        print(f"artdesk zentangle: {exc}", file=sys.stderr)
        return 2
    metadata = settings.as_metadata()
    if strings_mode and args.patterns is not None:
        metadata["patterns"] = names  # as the user named them (files by their path)
    if lines is not None:
        metadata["strings"] = "image"
    written = write_png(args.out, page, 300, settings=[{"engine": "zentangle", "pattern": args.pattern, **metadata}])
    print(f"wrote {args.out} ({size[0]}x{size[1]}, {written / 1024 / 1024:.1f} MB)")
    return 0


def bench() -> list[str]:
    """`artdesk bench zentangle`: issue 17's four figures (artdesk.bench_neural), the tile fill beside them."""
    from artdesk.bench_neural import bench_zentangle

    return bench_zentangle()
