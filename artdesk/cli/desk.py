"""Headless desk commands: `artdesk export`, `artdesk bench`."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from artdesk.export.formats import FORMATS, format_from_suffix

EXPORT_CHOICES = list(FORMATS)


def add_parsers(sub) -> None:
    add_export_parser(sub)
    add_mockup_parser(sub)
    add_bench_parser(sub)


def add_export_parser(sub) -> None:
    p = sub.add_parser("export", help="export a .artdesk project (PNG print presets, SVG, ndjson, ORA)")
    p.add_argument("project", help="the .artdesk file (or an image / drawing to wrap in a new document)")
    p.add_argument("--out", required=True, help="output file; its suffix picks the format unless --format")
    p.add_argument("--format", choices=EXPORT_CHOICES)
    p.add_argument("--preset", default="tshirt", help="PNG preset: tshirt, printful or screen")
    p.add_argument("--dtg", action="store_true",
                   help="DTG-safe PNG: semi-transparency becomes a halftone (only opaque or clear pixels), trimmed")
    p.add_argument("--lpi", type=float, default=45, help="halftone lines per inch for --dtg (default 45)")
    p.add_argument("--trim", action=argparse.BooleanOptionalAction, default=None,
                   help="trim the PNG to the design (default: with --dtg only)")
    p.set_defaults(func=cmd_export)


def add_mockup_parser(sub) -> None:
    m = sub.add_parser("mockup", help="show a project on a T-shirt at its print size (PNG)")
    m.add_argument("project", help="the .artdesk file")
    m.add_argument("--shirt", default="black", help="black, white, navy, grey, red or #rrggbb (default black)")
    m.add_argument("--out", required=True, help="the mockup PNG to write")
    m.add_argument("--preset", default="tshirt", help="print preset: tshirt, printful or screen")
    m.add_argument("--width", type=int, default=1200, help="mockup width in pixels (default 1200)")
    m.add_argument("--dtg", action="store_true", help="preview the DTG-safe halftone")
    m.add_argument("--size", default="L", help="shirt size: S, M, L (default), XL or 2XL; the print keeps its inches")
    m.set_defaults(func=cmd_mockup)


def add_bench_parser(sub) -> None:
    b = sub.add_parser("bench", help="print speed figures (desk, canvas, cli, or an engine: doodle, zentangle, ...)")
    b.add_argument("what", nargs="?", default="desk",
                   help="desk (default), canvas, cli (start-up of the commands), all, or an engine name")
    b.set_defaults(func=cmd_bench)


def cmd_export(args) -> int:
    from artdesk.document.imports import ImportFailed, import_file
    from artdesk.document.model import Document
    from artdesk.document.project import EXTENSION, ProjectFileError, load_project
    from artdesk.export.formats import export_document

    src = Path(args.project)
    try:
        if src.suffix.lower() == EXTENSION:
            doc = load_project(src)
        else:
            doc = Document.blank()
            doc.layers.append(import_file(src, doc))
    except (ProjectFileError, ImportFailed) as exc:
        print(f"artdesk export: {exc}", file=sys.stderr)
        return 2
    fmt = args.format or format_from_suffix(args.out)
    if fmt not in EXPORT_CHOICES:
        print(f"artdesk export: cannot tell the format of '{args.out}'; use --format {'|'.join(EXPORT_CHOICES)}",
              file=sys.stderr)
        return 2
    if FORMATS[fmt].presets:
        presets = dict(FORMATS[fmt].presets)
        if args.preset not in presets:
            print(f"artdesk export: unknown preset {args.preset!r}; choose one of {', '.join(presets)}",
                  file=sys.stderr)
            return 2
        fmt = f"{fmt}:{args.preset}"
    report = export_document(doc, args.out, fmt, args.dtg, trim=args.trim, lpi=args.lpi)
    if fmt.startswith("png:") and not args.dtg:
        from artdesk.export.png import semi_transparency_warning

        note = semi_transparency_warning(doc)
        if note:
            print(f"note: {note.replace('DTG-safe', '--dtg')}", file=sys.stderr)
    if report is not None and hasattr(report, "bytes"):
        print(f"{args.out}: {report.width}x{report.height}, {report.bytes / 1024 / 1024:.2f} MB")
        for warning in report.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    else:
        print(args.out)
    return 0


def cmd_mockup(args) -> int:
    """Headless: QtGui only, never QtWidgets."""
    from artdesk.document.project import ProjectFileError, load_project
    from artdesk.export.garment import save_mockup

    try:
        doc = load_project(args.project)
    except ProjectFileError as exc:
        print(f"artdesk mockup: {exc}", file=sys.stderr)
        return 2
    width, height = save_mockup(doc, args.out, args.shirt, args.preset, args.width, args.dtg, args.size.upper())
    print(f"{args.out}: {width}x{height} mockup on a {args.shirt} shirt, size {args.size.upper()}")
    return 0


def cmd_bench(args) -> int:
    from artdesk import registry

    targets = ["desk", "cli", *(e.key for e in registry.engines())] if args.what == "all" else [args.what]
    for name in targets:
        if name == "desk":
            from artdesk.bench import bench_desk

            lines = bench_desk()
        elif name == "cli":
            from artdesk.bench import bench_cli

            lines = bench_cli()
        elif name == "canvas":
            from artdesk.bench_canvas import bench_canvas

            lines = bench_canvas()
        else:
            try:
                module = importlib.import_module(registry.engine(name).cli_module or "")
            except (KeyError, ValueError, ModuleNotFoundError):
                print(f"== {name}: no bench for it in this build")
                continue
            lines = module.bench()
        print(f"== {name}")
        for line in lines:
            print(line, flush=True)
    return 0
