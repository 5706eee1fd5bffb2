"""Make the documents ArtDesk ships in resources/samples/: the welcome canvas and one sample per
engine, each made by the engines' public functions with the models in models/.

    python packaging/make_samples.py                 # all of them
    python packaging/make_samples.py doodle bauhaus  # some

- welcome.artdesk: the four-step guide (a text layer drawn with Qt), a circle to drop a pattern
  into, and an empty Drawing layer on top for the user's first strokes;
- doodle.artdesk: sheep drawn by the sheep sketch-rnn (artdesk.engines.doodle_io.doodle_job,
  "random"), one large and three small;
- zentangle.artdesk: a heart, a circle and a star drawn as strokes, filled by the Zentangle
  fills (artdesk.engines.zentangle.fill_at, the same job as a drop in the app): the heart in
  Strings mode (sections of different tangles), the circle and the star by the tile fill with
  a tangle each from resources/patterns;
- portrait.artdesk: faces from the KaoKore GAN (artdesk.engines.portrait), the large one signed;
- bauhaus.artdesk: a picture painted by the shipped Kandinsky Markov chain.

Raster layers are kept at modest sizes (fills at half print size, portraits at 512 px) so that each
file stays well under 1.5 MB; every layer carries the "generation" metadata the app writes.
Rerunnable; the doodle candidates depend on the sheep model of the day (the most sheep-like of a
few is kept, by a simple shape score).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

from artdesk.document.model import Document, RasterLayer, Stroke, VectorLayer  # noqa: E402
from artdesk.document.project import save_project  # noqa: E402
from artdesk.engines.progress import run_to_end  # noqa: E402

OUT = ROOT / "resources" / "samples"
INK = "#1d1d1f"
GUIDE_SCALE = 2  # the guide's text layer has 2 pixels per document unit


def _retry(fn, *args, tries: int = 4, **kwargs):
    """Models may be rewritten by a training run while we read them: try again a few times."""
    from artdesk.runtime.models import ModelError, clear_cache

    for attempt in range(tries):
        try:
            return fn(*args, **kwargs)
        except ModelError:
            if attempt == tries - 1:
                raise
            clear_cache()
            time.sleep(5)


# -- welcome -------------------------------------------------------------------------------------
STEPS = [
    ("#d7263d", "Draw", "Drag on this page with the left mouse button or a pen (pressure sets the "
                        "width). B brush, E stroke eraser, [ and ] brush size, C colour."),
    ("#f4b400", "Drag a pattern", "Pick a tangle in the Style gallery on the left and drop it inside "
                                  "the circle below: the shape fills, the outline stays sharp."),
    ("#1b4fbf", "Press Generate", "In the Generate panel on the right pick a tab (Doodle, Portraits, "
                                  "Bauhaus) and press its button, or Ctrl+Return."),
    (INK, "Export", "File > Export… (Ctrl+E) > PNG — T-shirt: 4500x5400 px at 300 dpi, transparent, "
                    "ready for print-on-demand."),
]
CIRCLE = (450.0, 850.0, 135.0)  # centre x, y and radius in document units


def guide_pixels(width: int, height: int) -> np.ndarray:
    """The guide's text, drawn with Qt on a transparent page (width x height document units)."""
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QBrush, QColor, QFont, QGuiApplication, QImage, QPainter

    from artdesk.export.render import qimage_to_numpy

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # fonts need one
    k = GUIDE_SCALE
    image = QImage(width * k, height * k, QImage.Format_ARGB32_Premultiplied)
    image.fill(Qt.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.Antialiasing)
    p.setRenderHint(QPainter.TextAntialiasing)
    p.scale(k, k)

    def font(px: float, bold: bool = False) -> QFont:
        f = QFont("DejaVu Sans")
        f.setPixelSize(int(round(px)))
        f.setBold(bold)
        return f

    margin = 64
    p.setPen(QColor(INK))
    p.setFont(font(50, True))
    p.drawText(QRectF(margin, 48, width - 2 * margin, 70), Qt.AlignLeft | Qt.AlignVCenter, "Welcome to ArtDesk")
    p.setPen(QColor("#55565e"))
    p.setFont(font(22))
    p.drawText(QRectF(margin, 118, width - 2 * margin, 36), Qt.AlignLeft | Qt.AlignVCenter,
               "Four steps from a doodle to a T-shirt print:")
    y = 178
    for i, (colour, title, text) in enumerate(STEPS, start=1):
        p.setPen(Qt.NoPen)
        p.setBrush(QBrush(QColor(colour)))
        p.drawEllipse(QRectF(margin, y, 46, 46))
        p.setPen(QColor("#ffffff") if colour != "#f4b400" else QColor(INK))
        p.setFont(font(26, True))
        p.drawText(QRectF(margin, y, 46, 46), Qt.AlignCenter, str(i))
        p.setPen(QColor(INK))
        p.setFont(font(25, True))
        p.drawText(QRectF(margin + 66, y - 2, width - 2 * margin - 66, 34), Qt.AlignLeft | Qt.AlignVCenter, title)
        p.setPen(QColor("#3a3b42"))
        p.setFont(font(20))
        p.drawText(QRectF(margin + 66, y + 34, width - 2 * margin - 66, 62), Qt.TextWordWrap | Qt.AlignLeft, text)
        y += 112
    cx, cy, r = CIRCLE
    p.setPen(QColor("#9a9aa2"))
    p.setFont(font(20))
    p.drawText(QRectF(cx - r, cy - 30, 2 * r, 60), Qt.AlignCenter | Qt.TextWordWrap, "drop a pattern\nin here")
    p.setFont(font(17))
    p.drawText(QRectF(margin, height - 66, width - 2 * margin, 50), Qt.AlignCenter | Qt.TextWordWrap,
               "This guide is a layer that shows here but never prints: hide or delete it under Layers. "
               "Help > Welcome guide brings it back; File > Open sample has a drawing from each engine.")
    p.end()
    app.processEvents()
    return qimage_to_numpy(image)


def circle_lines(cx: float, cy: float, r: float, n: int = 96) -> np.ndarray:
    a = np.linspace(0, 2 * np.pi, n + 1)
    # a hand-drawn look: the radius wobbles a little and the end overlaps the start
    wobble = 1 + 0.015 * np.sin(3 * a + 0.7)
    xy = np.column_stack([cx + r * wobble * np.cos(a), cy + r * wobble * np.sin(a)])
    return np.vstack([xy, xy[1:6]])


def make_welcome() -> Document:
    doc = Document()
    doc.metadata = {"title": "Welcome", "sample": "welcome"}
    doc.layers.append(RasterLayer(name="Welcome guide (not printed)", pixels=guide_pixels(doc.width, doc.height),
                                  rect=(0, 0, doc.width, doc.height), resample="smooth",
                                  metadata={"guide": True}))
    doc.layers.append(VectorLayer(name="Circle", strokes=[Stroke.from_xy(circle_lines(*CIRCLE), INK, 6)]))
    doc.layers.append(VectorLayer(name="Drawing"))
    return doc


# -- doodle --------------------------------------------------------------------------------------
def sheep_score(drawing: np.ndarray) -> float:
    """Lower is more sheep-like: a few strokes (body, head, legs), a wide-ish box, a path that
    goes round the body about once and does not scribble."""
    from artdesk.engines.sketch_format import stroke3_to_lines

    lines = [l for l in stroke3_to_lines(drawing) if len(l) > 1]
    if not lines:
        return math.inf
    xy = np.concatenate(lines)
    w, h = np.ptp(xy[:, 0]), np.ptp(xy[:, 1])
    if min(w, h) < 1:
        return math.inf
    length = sum(float(np.hypot(*np.diff(l, axis=0).T).sum()) for l in lines)
    turns = sum(float(np.abs(np.diff(np.unwrap(np.arctan2(*np.diff(l, axis=0).T[::-1])))).sum())
                for l in lines if len(l) > 2)
    score = abs(math.log((w / h) / 1.35)) * 2
    score += abs(math.log(length / (2.2 * (w + h)))) * 1.5
    score += max(0.0, turns / max(1.0, length / 8.0) - 1.0)  # scribbles turn a lot per step
    score += 0.3 * abs(len(lines) - 5)
    lengths = [float(np.hypot(*np.diff(l, axis=0).T).sum()) for l in lines]
    score += 3 * max(0.0, 0.45 - max(lengths) / length)  # a body: one stroke carries the drawing
    size = max(w, h)
    for i in range(1, len(lines)):  # each stroke starts near what is drawn already (no debris)
        before = np.concatenate(lines[:i])
        gap = float(np.hypot(*(before - lines[i][0]).T).min()) / size
        score += 4 * max(0.0, gap - 0.08)
    return score


def make_doodle() -> Document:
    from artdesk.engines.doodle_io import Request, doodle_job, placed_lines

    temperature = 0.2
    found = []
    for seed in range(1, 7):
        outcome = _retry(run_to_end, doodle_job(Request("random", "sheep", seed, temperature, pick=True)))
        found += [(sheep_score(d), seed, i, d) for i, d in enumerate(outcome.candidates)]
    found.sort(key=lambda t: t[0])
    doc = Document()
    doc.metadata = {"title": "Sample: Doodle", "sample": "doodle"}
    places = [((450, 420), 600, 10), ((170, 900), 230, 5), ((450, 900), 230, 5), ((730, 900), 230, 5)]
    for (center, extent, width), (_, seed, index, drawing) in zip(places, found):
        strokes = [Stroke.from_xy(l, INK, width) for l in placed_lines(drawing, center, extent) if len(l)]
        generation = {"engine": "doodle", "model": "sheep", "action": "random", "seed": seed,
                      "temperature": temperature, "candidate": index}
        doc.layers.append(VectorLayer(name=doc.unique_layer_name("Doodle sheep"), strokes=strokes,
                                      metadata={"generation": generation}))
    return doc


# -- zentangle -----------------------------------------------------------------------------------
def heart_lines(cx: float, cy: float, size: float) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, 160)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    xy = np.column_stack([x, y]) * (size / 34.0) + (cx, cy)
    return np.vstack([xy, xy[1:4]])


def star_lines(cx: float, cy: float, r: float, points: int = 5) -> np.ndarray:
    a = np.linspace(-np.pi / 2, 3 * np.pi / 2, 2 * points + 1)
    radius = np.where(np.arange(2 * points + 1) % 2 == 0, r, r * 0.45)
    xy = np.column_stack([cx + radius * np.cos(a), cy + radius * np.sin(a)])
    return np.vstack([xy, xy[1:2]])


ZENTANGLE_SHAPES = [  # (shape name, polyline, drop point, pattern file, fill scale, mode)
    ("heart", lambda: heart_lines(450, 400, 600), (450, 420), "hollibaugh", 1.0, "strings"),
    ("circle", lambda: circle_lines(250, 860, 150), (250, 860), "printemps", 1.6, "tile"),
    ("star", lambda: star_lines(660, 860, 175), (660, 870), "crescent_moon", 0.7, "tile"),
]


def make_zentangle() -> Document:
    from artdesk.document.imports import read_image
    from artdesk.engines.zentangle import FillSettings, fill_at
    from artdesk.export.targets import document_targets
    from artdesk.paths import resources_dir
    from artdesk.ui.zentangle_tab import neural_installed

    doc = Document()
    doc.metadata = {"title": "Sample: Zentangle", "sample": "zentangle"}
    outline = VectorLayer(name="Shapes", strokes=[Stroke.from_xy(shape[1](), INK, 7) for shape in ZENTANGLE_SHAPES])
    doc.layers.append(outline)
    page = (doc.width * 5 // 2, doc.height * 5 // 2)  # fills at half print size: sharp, small files
    neural = neural_installed()
    for shape, _, (x, y), pattern_name, scale, mode in ZENTANGLE_SHAPES:
        pattern_path = resources_dir() / "patterns" / f"{pattern_name}.png"
        pattern = read_image(pattern_path)
        mode = mode if neural or mode != "neural" else "tile"  # the neural fill once its model is installed
        settings = FillSettings(mode=mode, scale=scale, seed=1, detail="full")
        if mode == "strings":
            pattern = pattern_name  # a built-in tangle by key: drawn at the size it is shown
            # bold tangles (fine hatching makes the sample file too big for the 1.5 MB it may take)
            settings.patterns = ("crescent_moon", "knightsbridge", "jetties", "nzeppel", "cadent")

        # the strings fill turns each section's tangle (every pixel resampled): it compresses
        # worse than a tile, so it is kept at a quarter of print size (1.25 px per unit, sharp on
        # screen up to 125% zoom) to keep the sample under 1.5 MB
        shape_page = (doc.width * 5 // 4, doc.height * 5 // 4) if mode == "strings" else page

        def job():
            ink, targets, k = yield from document_targets(doc, shape_page)
            return (yield from fill_at(ink, targets, x * k, y * k, pattern, settings, k))

        result = run_to_end(job())
        generation = {"engine": "zentangle", "model": mode, "pattern": pattern_path.name,
                      "shape": result.source, "drop": [x, y], **settings.as_metadata()}
        layer = RasterLayer(name=doc.unique_layer_name(f"Zentangle {pattern_name.replace('_', ' ').title()}"),
                            pixels=result.pixels, rect=result.rect, resample="smooth",
                            metadata={"generation": generation})
        doc.layers.insert(doc.layers.index(outline), layer)  # under the outline, as a drop does
    return doc


# -- portrait ------------------------------------------------------------------------------------
def make_portrait() -> Document:
    from artdesk.actions import portrait as actions
    from artdesk.engines import portrait

    # seeds 0-47 as the tab paints them (each the clearest of portrait.PICK_POOL candidates), four chosen by eye
    # from the model card's contact sheet: a sample shows the engine at its best
    seeds, variation = [23, 10, 31, 45], 0.8
    faces = _retry(run_to_end, portrait.paint_portraits(seeds, variation, pick=True))
    doc = Document()
    doc.metadata = {"title": "Sample: Portraits", "sample": "portrait"}
    places = [((150, 80, 600, 600), 512, True)] + [((60 + i * 270, 740, 240, 240), 240, False) for i in range(3)]
    enlarger = portrait.open_enlarger()  # the Smooth print filter's network, as the tab uses it
    for seed, face, (rect, side, signed) in zip(seeds, faces, places):
        pixels = portrait.upscale(face, side, "smooth", enlarger=enlarger)
        if signed:
            pixels = portrait.sign(pixels)
        generation = actions.generation(seed, variation, "smooth", signed, pick=True)  # as the tab records it
        if enlarger is not None and side >= 2 * face.shape[1]:
            generation["enlarger"] = portrait.ENLARGER_ID
        doc.layers.append(RasterLayer(name=doc.unique_layer_name(f"Portrait {seed}"), pixels=pixels, rect=rect,
                                      resample="smooth", metadata={"generation": generation}))
    return doc


# -- bauhaus -------------------------------------------------------------------------------------
def make_bauhaus() -> Document:
    from artdesk.document.imports import fit_rect
    from artdesk.engines import bauhaus

    name, size, seed, block = "kandinsky_2d_o5", (300, 360), 3, 6
    chain = bauhaus.load_builtin_chain(name)
    pixels = run_to_end(bauhaus.paint(chain, *size, seed=seed, block=block))
    doc = Document()
    doc.metadata = {"title": "Sample: Bauhaus", "sample": "bauhaus"}
    generation = {"engine": "bauhaus", "model": name, "order": chain.order, "palette": chain.palette_size,
                  "context": chain.context, "seed": seed, "block": block, "size": list(size)}
    doc.layers.append(RasterLayer(name="Bauhaus", pixels=pixels, rect=fit_rect(*size, doc, margin=60),
                                  resample="crisp", metadata={"generation": generation}))
    return doc


MAKERS = {"welcome": make_welcome, "doodle": make_doodle, "zentangle": make_zentangle,
          "portrait": make_portrait, "bauhaus": make_bauhaus}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Make resources/samples/*.artdesk")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"which samples ({', '.join(MAKERS)}; default all)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in MAKERS]
    if unknown:
        parser.error(f"no sample called {', '.join(unknown)}; choose from {', '.join(MAKERS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.names or list(MAKERS):
        t0 = time.perf_counter()
        doc = MAKERS[name]()
        path = args.out / f"{name}.artdesk"
        save_project(doc, path)
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
              f"{path.stat().st_size / 1024:.0f} KB, layers: {', '.join(l.name for l in doc.layers)} "
              f"({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
