"""`artdesk portrait ...`: KaoKore GAN portraits and walks from the command line; `bench()` for
`artdesk bench portrait`.

    artdesk portrait --seed 7 --out p.png [--variation 0.8] [--size 1024] [--crisp] [--sign]
    artdesk portrait paint --seed 7 --out p.png ...          (the same)
    artdesk portrait walk --from 7 --to 42 --frames 24 --out walk.gif [--ms 80] [--size 256]

One parser with an optional first word (paint | walk), so the plain form keeps working; options
that belong to the other action are refused with a sentence.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from artdesk.engines import portrait
from artdesk.engines.progress import run_to_end

ACTIONS = ["paint", "walk"]
DEFAULT_VARIATION = 0.8
PAINT_SIZE = 1024
WALK_SIZE = 256
PRINT_PORTRAIT = 2304  # the Portraits tab's Smooth layer size
MAX_SIZE = {"paint": 8192, "walk": 2048}
MAX_FRAMES = 500
PAINT_ONLY = ("seed", "sign")
WALK_ONLY = ("seed_from", "seed_to", "frames", "ms")


def _size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be a whole number of pixels, got {text!r}") \
            from None
    if not 16 <= value <= MAX_SIZE["paint"]:
        raise argparse.ArgumentTypeError(f"size must be 16..{MAX_SIZE['paint']} pixels, got {value}")
    return value


def _variation(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"variation must be a number, got {text!r}") from None
    if not 0.0 <= value <= portrait.MAX_VARIATION:
        raise argparse.ArgumentTypeError(
            f"variation must be 0..{portrait.MAX_VARIATION:g} (1 = the model's full range), got {text}")
    return value


def _bounded(name: str, lo: int, hi: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{name} must be {lo}..{hi}, got {value}")
        return value
    return parse


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "portrait", help="paint a KaoKore GAN portrait, or walk between two as an animated GIF",
        description="Paint a face in the manner of pre-modern Japanese paintings with the project's "
                    "KaoKore GAN (`portrait --seed 7 --out p.png`), or walk between two seeds' faces "
                    "(`portrait walk --from 7 --to 42 --out walk.gif`).",
        usage="artdesk portrait [paint] --out PNG [--seed N] [--variation V] [--size PX] "
              "[--crisp] [--sign] [--no-pick]\n       artdesk portrait walk --from SEED --to SEED --out GIF "
              "[--frames N] [--ms MS] [--size PX] [--crisp] [--variation V] [--no-pick]")
    p.add_argument("action", nargs="?", choices=ACTIONS, default="paint",
                   help="paint one portrait (the default) or walk between two")
    p.add_argument("--out", type=Path, required=True, help="output PNG (paint) or GIF (walk)")
    p.add_argument("--variation", type=_variation, default=DEFAULT_VARIATION,
                   help=f"truncation toward the average face, 0..{portrait.MAX_VARIATION:g} "
                        f"(default {DEFAULT_VARIATION}; 1 = the model's full range)")
    p.add_argument("--size", type=_size, default=None,
                   help=f"output width = height in px (default {PAINT_SIZE} for paint, max "
                        f"{MAX_SIZE['paint']}; {WALK_SIZE} for walk, max {MAX_SIZE['walk']})")
    p.add_argument("--pick", action=argparse.BooleanOptionalAction, default=True,
                   help=f"steer each seed's face toward clear eyes and a mouth and keep the clearest of "
                        f"{portrait.PICK_POOL} candidates (the face picker), as the Portraits tab does "
                        "(default: on; --no-pick: the generator's own face)")
    p.add_argument("--crisp", action="store_true",
                   help="enlarge as pixel art (nearest neighbour) instead of smooth (the KaoKore "
                        "enlarger network, then Lanczos)")
    paint = p.add_argument_group("paint")
    paint.add_argument("--seed", type=int, default=None, help="the face's seed (default 0)")
    paint.add_argument("--sign", action="store_true",
                       help="sign it with the GAN objective in the bottom-right corner")
    walk = p.add_argument_group("walk")
    walk.add_argument("--from", dest="seed_from", type=int, metavar="SEED", help="start face's seed")
    walk.add_argument("--to", dest="seed_to", type=int, metavar="SEED", help="end face's seed")
    walk.add_argument("--frames", type=_bounded("--frames", 2, MAX_FRAMES), default=None,
                      help="faces on the way, both ends included (default 24)")
    walk.add_argument("--ms", type=_bounded("--ms", 10, 10000), default=None,
                      help="milliseconds per frame (default 80)")
    p.set_defaults(func=run_portrait, portrait_parser=p)


def run_portrait(args) -> int:
    parser = args.portrait_parser
    wrong = [name for name in (WALK_ONLY if args.action == "paint" else PAINT_ONLY)
             if getattr(args, name) not in (None, False)]
    if wrong:
        flags = ", ".join("--" + {"seed_from": "from", "seed_to": "to"}.get(n, n) for n in wrong)
        other = "walk" if args.action == "paint" else "paint"
        parser.error(f"{flags} {'is' if len(wrong) == 1 else 'are'} for `artdesk portrait {other}`")
    if args.action == "walk":
        if args.seed_from is None or args.seed_to is None:
            parser.error("a walk needs --from SEED and --to SEED")
        if args.size is not None and args.size > MAX_SIZE["walk"]:
            parser.error(f"argument --size: a walk's frames must be 16..{MAX_SIZE['walk']} pixels, "
                         f"got {args.size}")
    from artdesk.runtime.models import ModelError

    try:
        return _walk(args) if args.action == "walk" else _paint(args)
    except ModelError as exc:
        from artdesk.actions.portrait import TRAIN_ADVICE

        advice = "" if "reinstall" in str(exc).lower() else " " + TRAIN_ADVICE
        print(f"artdesk portrait: {exc}{advice}", file=sys.stderr)
        return 1


def _mode(args) -> str:
    return "crisp" if args.crisp else "smooth"


def _paint(args) -> int:
    seed = 0 if args.seed is None else args.seed
    size, mode = args.size or PAINT_SIZE, _mode(args)
    from artdesk.actions import portrait as actions

    (face,) = run_to_end(actions.paint_grid_job(actions.GridRequest(seed, args.variation, count=1, pick=args.pick)))
    image = run_to_end(actions.print_pixels(face, mode, bool(args.sign), size))
    settings = actions.generation(seed, args.variation, mode, bool(args.sign), pick=args.pick)
    if actions.enlarged(face, image, mode):
        settings["enlarger"] = portrait.ENLARGER_ID
    _write_png(image, args.out, settings)
    print(f"wrote {args.out} ({size}x{size}, seed {seed}, variation {args.variation:g}, {mode}"
          f"{', signed' if args.sign else ''}{', picked' if args.pick else ''})")
    return 0


def _walk(args) -> int:
    frames_n = args.frames or 24
    ms = args.ms or 80
    size, mode = args.size or WALK_SIZE, _mode(args)
    from artdesk.actions import portrait as actions

    request = actions.WalkRequest(args.seed_from, args.seed_to, frames_n, args.variation, pick=args.pick)
    frames = run_to_end(actions.walk_job(request))
    if size != frames[0].shape[1]:
        frames = [portrait.upscale(f, size, mode) for f in frames]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    portrait.save_gif(frames, args.out, ms=ms)
    print(f"wrote {args.out} ({frames_n} frames of {size}x{size}, {ms} ms each, seeds "
          f"{args.seed_from} -> {args.seed_to}, variation {args.variation:g})")
    return 0


def _write_png(image: np.ndarray, path: Path, settings: dict) -> None:
    from artdesk.export.png import write_png

    write_png(path, np.ascontiguousarray(image), 300, settings=settings)


# -- bench -------------------------------------------------------------------------------------
def _median_ms(fn, repeats: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _onnx_session(path: Path, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def bench(repeats: int = 30) -> list[str]:
    """ONNX Runtime vs the PyTorch EMA generator: one face and a grid of 9, measured in one run
    with the same thread count for both (1, and the app's count when that is more)."""
    from artdesk.runtime.models import ModelError, load_manifest, verify

    try:
        entry = load_manifest()[portrait.MODEL_ID]
        verify(entry)
    except KeyError:
        return [f"portrait: the model '{portrait.MODEL_ID}' is not installed; run "
                "`python -m artdesk.training.portrait_gan`"]
    except ModelError as exc:
        return [f"portrait: {exc}"]
    app_threads = max(1, min(4, os.cpu_count() or 2))  # what the app's sessions use
    probe = _onnx_session(entry.path, 1)
    zdim, res = portrait.latent_size(probe), probe.get_outputs()[0].shape[-1]
    name = probe.get_inputs()[0].name
    batches = {1: portrait.truncate(portrait.latents([7], zdim), DEFAULT_VARIATION),
               9: portrait.truncate(portrait.latents(range(1, 10), zdim), DEFAULT_VARIATION)}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [f"portrait bench: generator {portrait.MODEL_ID} ({zdim}-d z -> {res} px) on CPU, "
             f"median of {repeats} runs after 3 warm-up runs; the same intra-op thread count for "
             f"ONNX Runtime and PyTorch (the app uses {app_threads}); load average {load:.1f} on "
             f"{os.cpu_count()} cores"]
    if load > (os.cpu_count() or 1) - 0.5:
        lines.append("  (the cores are busy with other work: figures with more threads than free cores "
                     "mostly measure waiting for a core; PyTorch's thread pool suffers most)")
    try:
        import torch

        if res == 128:
            from artdesk.training.portrait_grow import load_newest_snapshot as load_ema_generator
        else:
            from artdesk.training.portrait_gan import load_ema_generator

        g = load_ema_generator()
    except ImportError:
        torch = g = None
        lines.append("  PyTorch baseline: torch is not installed (it needs the `train` extra: "
                     "pip install 'artdesk[train]')")
    except FileNotFoundError as exc:
        torch = g = None
        lines.append(f"  PyTorch baseline: {exc}")
    before = torch.get_num_threads() if torch is not None else None
    try:
        for threads in sorted({1, app_threads}):
            session = _onnx_session(entry.path, threads)
            lines.append(f"  {threads} thread{'s' if threads > 1 else ''}:")
            for n, z in batches.items():
                onnx_ms = _median_ms(lambda z=z: session.run(None, {name: z}), repeats)
                text = f"    {n} face{'s' if n > 1 else ' '}: ONNX Runtime {onnx_ms:7.2f} ms"
                if g is not None:
                    torch.set_num_threads(threads)
                    t = torch.from_numpy(z)
                    with torch.inference_mode():
                        torch_ms = _median_ms(lambda t=t: g(t), repeats)
                    text += (f", PyTorch {torch.__version__} {torch_ms:7.2f} ms, "
                             f"PyTorch / ONNX = {torch_ms / onnx_ms:.1f}x")
                lines.append(text)
        if g is not None:
            with torch.inference_mode():
                ref = g(torch.from_numpy(batches[9])).numpy()
            diff = float(np.abs(ref - session.run(None, {name: batches[9]})[0]).max())
            note = ("same weights" if diff < 1e-3 else
                    "same weights, stored as float16 in the ONNX file" if res == 128 and diff < 1e-2
                    else "the torch snapshot is not the exported step")
            lines.append(f"  outputs agree to {diff:.1e} (max abs difference on the -1..1 scale; "
                         f"{note})")
    finally:
        if before is not None:
            torch.set_num_threads(before)
    lines += _bench_pick(max(3, repeats // 6))
    lines += _bench_print(probe, name, batches[1], max(3, repeats // 6))
    return lines


def _bench_pick(repeats: int) -> list[str]:
    """The Paint grid as the tab runs it (the app's sessions): nine faces unpicked vs each the
    clearest of PICK_POOL candidates."""
    from artdesk.runtime.models import ModelError

    try:
        picker = portrait.open_picker()
    except ModelError as exc:
        return [f"  pick: {exc}"]
    session = portrait.open_generator()
    seeds = list(range(1, 10))
    plain_ms = _median_ms(lambda: run_to_end(portrait.paint_portraits(seeds, DEFAULT_VARIATION, session=session)),
                          repeats, warmup=1)
    pick_ms = _median_ms(lambda: run_to_end(portrait.paint_portraits(seeds, DEFAULT_VARIATION, session=session,
                                                                     pick=True, picker=picker)), repeats, warmup=1)
    return [f"  Paint grid (9 faces, median of {repeats}, the app's sessions): unpicked {plain_ms:.0f} ms; "
            f"steered, each the clearest of {portrait.PICK_POOL} ({9 * portrait.PICK_POOL} faces painted and "
            f"scored) {pick_ms:.0f} ms = {pick_ms / plain_ms:.0f}x"]


def _bench_print(session, name: str, z: np.ndarray, repeats: int) -> list[str]:
    """The Smooth print path for the tab's 2,304 px portrait: Lanczos alone vs the enlarger + Lanczos."""
    (face,) = portrait.to_rgba(session.run(None, {name: z})[0])
    side = face.shape[1]
    lanczos_ms = _median_ms(lambda: portrait.upscale(face, PRINT_PORTRAIT, "smooth"), repeats, warmup=1)
    enlarger = portrait.open_enlarger()
    if enlarger is None:
        return [f"  print portrait ({side} -> {PRINT_PORTRAIT} px): Lanczos {lanczos_ms:.0f} ms; the enlarger "
                f"'{portrait.ENLARGER_ID}' is not installed (`python -m artdesk.training.portrait_sr`)"]
    sr_ms = _median_ms(lambda: portrait.enlarge(face, enlarger), repeats, warmup=1)
    both_ms = _median_ms(lambda: portrait.upscale(face, PRINT_PORTRAIT, "smooth", enlarger=enlarger),
                         repeats, warmup=1)
    return [f"  print portrait ({side} -> {PRINT_PORTRAIT} px, median of {repeats}, the app's session): "
            f"Lanczos alone {lanczos_ms:.0f} ms; enlarger network x4 ({side} -> {side * 4} px) {sr_ms:.0f} ms, "
            f"+ Lanczos to {PRINT_PORTRAIT} px {both_ms:.0f} ms in all = {both_ms / lanczos_ms:.1f}x Lanczos alone"]

