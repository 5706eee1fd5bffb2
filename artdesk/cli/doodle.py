"""`artdesk doodle continue|redraw|morph|mix|random`: sketch-rnn from the command line.

The candidates come out as one sheet (a grid, the input drawing in grey beside continuations),
as SVG or PNG, through the same exporters as the app.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from artdesk.engines.doodle_defaults import APP_TEMPERATURE, CANDIDATES, MORPH_STEPS, PICK_DEFAULT, PICK_FROM

ACTIONS = ["continue", "redraw", "morph", "mix", "random"]
OUT_SUFFIXES = (".svg", ".png", ".ndjson")
CELL = 300


def add_parser(sub) -> None:
    import argparse

    p = sub.add_parser("doodle", help="sketch-rnn: continue, redraw, morph, mix or invent doodles",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="The candidates come out as one sheet (.svg or .png) or as Quick, Draw! "
                                   "ndjson, one line per candidate (.ndjson).")
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("--model", default="sheep",
                   help="a shipped category ('palm tree' or palm_tree; an unknown name lists them) or a "
                        ".gen.json/.vae.json file")
    p.add_argument("--mix-with", help="mix: the category that draws (the --model one reads)")
    p.add_argument("--input", help="the doodle: .ndjson (Quick, Draw!), .npz (sketch-rnn) or .artdesk")
    p.add_argument("--index", type=int, default=0, help="which drawing of the input file")
    p.add_argument("--to", help="morph: the second doodle (same formats; default: one the model draws)")
    p.add_argument("--to-index", type=int, default=0, help="which drawing of the --to file")
    p.add_argument("--seed", type=int, default=1, help="the same seed and settings give the same doodles")
    p.add_argument("--temperature", type=float, default=APP_TEMPERATURE,
                   help="low: careful and typical; high: wild (0.01-2; the tab's default)")
    p.add_argument("--count", type=int, default=None,
                   help=f"how many candidates (default {CANDIDATES}; {MORPH_STEPS} for morph)")
    p.add_argument("--pick", action=argparse.BooleanOptionalAction, default=PICK_DEFAULT,
                   help=f"random/continue: draw {PICK_FROM}x as many and keep the ones the doodle recogniser is "
                        "surest about (as the Doodle tab does by default)")
    p.add_argument("--out", required=True, help="the candidates: a sheet (.svg or .png) or Quick, Draw! .ndjson")
    p.set_defaults(func=run)


def _read_lines(path: str, index: int) -> list[np.ndarray]:
    from artdesk.document.imports import import_file
    from artdesk.document.model import Document
    from artdesk.document.project import EXTENSION, load_project

    if Path(path).suffix.lower() == EXTENSION:
        doc = load_project(path)
        return [s.points[:, :2] for s in doc.all_strokes()]
    layer = import_file(path, Document.blank(), index)
    if not hasattr(layer, "strokes"):
        raise ValueError(f"'{Path(path).name}' is an image, not a doodle: use .ndjson, .npz or .artdesk.")
    return [s.points[:, :2] for s in layer.strokes]


def sheet(outcome, columns: int = 3):
    """A document with one cell per candidate (continuations drawn after their prefix in grey)."""
    from artdesk.document.model import Document, Stroke, VectorLayer
    from artdesk.engines.sketch_format import stroke3_to_lines

    n = len(outcome.candidates)
    rows = -(-n // columns)
    doc = Document(columns * CELL, rows * CELL)
    grey, ink = VectorLayer(name="Your doodle"), VectorLayer(name="Model")
    for i, drawing in enumerate(outcome.candidates):
        start = (0, 0)
        old = []
        if outcome.prefix is not None and outcome.request.action == "continue":
            old = [l for l in stroke3_to_lines(outcome.prefix) if len(l)]
            start = outcome.prefix[:, :2].sum(axis=0)
        new = [l for l in stroke3_to_lines(drawing, start=start) if len(l)] if len(drawing) else []
        if not old + new:
            continue
        allxy = np.concatenate(old + new)
        lo, hi = allxy.min(axis=0), allxy.max(axis=0)
        k = (CELL * 0.84) / (float((hi - lo).max()) or 1.0)
        cx, cy = (i % columns + 0.5) * CELL, (i // columns + 0.5) * CELL
        place = lambda l: (l - (lo + hi) / 2) * k + (cx, cy)  # noqa: E731
        grey.strokes += [Stroke.from_xy(place(l), "#9a9aa2", 3) for l in old]
        ink.strokes += [Stroke.from_xy(place(l), "#1d1d1f", 3) for l in new]
    doc.layers = [grey, ink]
    return doc


def write_ndjson(outcome, word: str, path: Path) -> None:
    """One Quick, Draw! line per candidate ({"word", "drawing": [[xs], [ys]] per stroke}), laid out
    as the simplified Quick, Draw! data: moved to the origin, the longer side scaled to 255, whole
    numbers. A continuation is written with the doodle it continues."""
    import json

    from artdesk.atomic import atomic_file
    from artdesk.engines.sketch_format import stroke3_to_lines

    rows = []
    for drawing in outcome.candidates:
        whole = drawing
        if outcome.prefix is not None and outcome.request.action == "continue":
            whole = np.concatenate([outcome.prefix, drawing]) if len(drawing) else outcome.prefix
        lines = [l for l in stroke3_to_lines(whole) if len(l)] if len(whole) else []
        allxy = np.concatenate(lines) if lines else np.zeros((1, 2))
        lo = allxy.min(axis=0)
        k = 255.0 / (float((allxy.max(axis=0) - lo).max()) or 1.0)
        strokes = [[[int(round(v)) for v in (l[:, 0] - lo[0]) * k], [int(round(v)) for v in (l[:, 1] - lo[1]) * k]]
                   for l in lines]
        rows.append(json.dumps({"word": word, "drawing": strokes}))
    with atomic_file(path) as fh:
        fh.write(("\n".join(rows) + "\n").encode("utf-8"))


def run(args) -> int:
    from artdesk.engines.doodle_io import DoodleInputError, Request, doodle_job, resolve_category
    from artdesk.engines.progress import run_to_end
    from artdesk.engines.recognise import category_name
    from artdesk.runtime.models import ModelError

    refused: tuple = (DoodleInputError, ModelError, ValueError, OSError)
    if args.input or args.to:  # the file readers (and Pillow) load only when there is a file to read
        from artdesk.document.imports import ImportFailed
        from artdesk.document.project import ProjectFileError

        refused += (ImportFailed, ProjectFileError)

    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in OUT_SUFFIXES:
        print(f"artdesk doodle: --out must end in {', '.join(OUT_SUFFIXES)}", file=sys.stderr)
        return 2
    if not 0.01 <= args.temperature <= 2.0:
        print("artdesk doodle: --temperature must be between 0.01 and 2", file=sys.stderr)
        return 2
    if args.count is not None and not 1 <= args.count <= 200:
        print("artdesk doodle: --count must be between 1 and 200", file=sys.stderr)
        return 2
    try:
        if args.action == "random" and args.input:
            raise DoodleInputError("random draws from scratch and reads no doodle: leave out --input, or use "
                                   "continue, redraw, morph or mix with it.")
        is_file = "/" in args.model or args.model.endswith(".json")
        model = args.model if is_file else resolve_category(args.model)
        mix_with = args.mix_with
        if mix_with and not ("/" in mix_with or mix_with.endswith(".json")):
            mix_with = resolve_category(mix_with)
        lines = _read_lines(args.input, args.index) if args.input else []
        if args.action != "random" and not args.input:
            raise DoodleInputError(f"'{args.action}' needs a doodle: give one with --input.")
        target = _read_lines(args.to, args.to_index) if args.to else []
        if args.action == "mix" and not mix_with:
            raise DoodleInputError("mix needs --mix-with CATEGORY (the model that draws).")
        request = Request(args.action, model, args.seed, args.temperature, mix_with, lines, target,
                          pick=args.pick, count=args.count)
        outcome = run_to_end(doodle_job(request))
    except refused as exc:
        print(f"artdesk doodle: {exc}", file=sys.stderr)
        return 2
    if suffix == ".ndjson":
        write_ndjson(outcome, category_name(mix_with if args.action == "mix" and mix_with else model), out)
    else:
        doc = sheet(outcome, columns=5 if args.action == "morph" else 3)
        if suffix == ".svg":
            from artdesk.export.vector import export_svg

            export_svg(doc, out)
        else:
            from artdesk.export.png import export_png

            export_png(doc, out, "screen")
    picked = " (picked)" if request.picking else ""
    print(f"wrote {out} ({len(outcome.candidates)} {args.action} candidates{picked}, seed {args.seed})")
    if outcome.guesses:
        print("the recogniser sees: " + ", ".join(f"{i + 1} {g.label()}" for i, g in enumerate(outcome.guesses)))
    for note in outcome.notes:
        print(note)
    return 0


def _ms(fn, repeats: int = 3) -> float:
    import time

    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def bench() -> list[str]:
    """Per category: recognition of Random (app, app picked, Google teacher) by the judge, uncut
    drawings, Continue on real drawings, time for nine endings (artdesk.bench_doodle); whether the
    latent of each model Redraw uses carries the drawing (artdesk.bench_doodle_carry); then the
    ONNX Runtime step against the PyTorch model step by step, same weights."""
    import os

    from artdesk.bench_doodle import bench_doodle
    from artdesk.engines.doodle import sample_doodles
    from artdesk.engines.doodle_io import open_shipped, shipped_categories
    from artdesk.engines.progress import run_to_end

    from artdesk.bench_doodle_carry import bench_carry

    lines, _ = bench_doodle()
    lines += bench_carry()[0]
    cats = shipped_categories()
    if not cats:
        return lines
    cat = "sheep" if "sheep" in cats else cats[0]
    threads = max(1, min(4, os.cpu_count() or 2))
    model = open_shipped(cat)

    def ending(m, n):
        return lambda: run_to_end(sample_doodles(m, n, seed=0, max_steps=250, stop_at_end=False))

    ending(model, 9)()  # warm up
    onnx1, onnx9 = _ms(ending(model, 1)), _ms(ending(model, 9))
    lines.append(f"{cat}: one 250-step ending {onnx1:.0f} ms, 9 endings batched {onnx9:.0f} ms "
                 f"(ONNX Runtime, {threads} threads; 9 cost {onnx9 / onnx1:.1f}x one)")
    try:
        import torch

        from artdesk.training.sketch_rnn import TorchDoodleModel, model_from_onnx

        torch.set_num_threads(threads)
        net, scale = model_from_onnx(cat)
        baseline = TorchDoodleModel(net, scale, cat)
        ending(baseline, 9)()
        t1, t9 = _ms(ending(baseline, 1)), _ms(ending(baseline, 9))
        lines.append(f"{cat}: PyTorch step by step (same weights, {threads} threads): one {t1:.0f} ms, "
                     f"9 batched {t9:.0f} ms -> ONNX Runtime is {t1 / onnx1:.1f}x / {t9 / onnx9:.1f}x faster")
    except ImportError:
        lines.append("PyTorch baseline: install the `train` extra (torch, onnx) to measure it")
    return lines
