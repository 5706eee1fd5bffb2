"""`artdesk doodle continue|redraw|morph|mix|random`: sketch-rnn from the command line.

The candidates come out as one sheet (a grid, the input drawing in grey beside continuations),
as SVG or PNG, through the same exporters as the app.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ACTIONS = ["continue", "redraw", "morph", "mix", "random"]
CELL = 300


def add_parser(sub) -> None:
    p = sub.add_parser("doodle", help="sketch-rnn: continue, redraw, morph, mix or invent doodles")
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("--model", default="sheep", help="a shipped category (sheep, bird, ...) or a .gen.json/.vae.json file")
    p.add_argument("--mix-with", help="mix: the category that draws (the --model one reads)")
    p.add_argument("--input", help="the doodle: .ndjson (Quick, Draw!), .npz (sketch-rnn) or .artdesk")
    p.add_argument("--index", type=int, default=0, help="which drawing of the input file")
    p.add_argument("--to", help="morph: the second doodle (same formats; default: one the model draws)")
    p.add_argument("--to-index", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--temperature", type=float, default=0.25)
    p.add_argument("--out", required=True, help="sheet of candidates: .svg or .png")
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


def run(args) -> int:
    from artdesk.document.imports import ImportFailed
    from artdesk.document.project import ProjectFileError
    from artdesk.engines.doodle_io import DoodleInputError, Request, doodle_job
    from artdesk.engines.progress import run_to_end
    from artdesk.export.png import export_png
    from artdesk.export.vector import export_svg
    from artdesk.runtime.models import ModelError

    out = Path(args.out)
    if out.suffix.lower() not in (".svg", ".png"):
        print("artdesk doodle: --out must end in .svg or .png", file=sys.stderr)
        return 2
    if not 0.01 <= args.temperature <= 2.0:
        print("artdesk doodle: --temperature must be between 0.01 and 2", file=sys.stderr)
        return 2
    try:
        lines = _read_lines(args.input, args.index) if args.input else []
        if args.action != "random" and not args.input:
            raise DoodleInputError(f"'{args.action}' needs a doodle: give one with --input.")
        target = _read_lines(args.to, args.to_index) if args.to else []
        if args.action == "mix" and not args.mix_with:
            raise DoodleInputError("mix needs --mix-with CATEGORY (the model that draws).")
        request = Request(args.action, args.model, args.seed, args.temperature, args.mix_with, lines, target)
        outcome = run_to_end(doodle_job(request))
    except (DoodleInputError, ModelError, ImportFailed, ProjectFileError, ValueError, OSError) as exc:
        print(f"artdesk doodle: {exc}", file=sys.stderr)
        return 2
    doc = sheet(outcome, columns=5 if args.action == "morph" else 3)
    if out.suffix.lower() == ".svg":
        export_svg(doc, out)
    else:
        export_png(doc, out, "screen")
    print(f"wrote {out} ({len(outcome.candidates)} {args.action} candidates, seed {args.seed})")
    return 0
