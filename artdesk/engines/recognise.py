"""The doodle recogniser: which Quick, Draw! category a drawing looks like.

A small CNN (artdesk.training.recogniser) trained on the Quick, Draw! 28x28 bitmaps of all 345
categories reads a drawing rendered the way those bitmaps were made: the drawing moved to the
top-left corner, scaled so its longer side fills the square, ink lines about 1/16 of the side.

The doodle tab uses it to pick: sketch-rnn at a low temperature often draws the *average* of its
category (a sheep's wool without legs reads as a cloud), so "Pick the clearest" draws three
candidates for every cell and keeps the nine the recogniser is surest are the category; each
cell is then labelled with what the recogniser sees. Drawings are stroke-3 (any units).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw

from .progress import check_cancel
from .sketch_format import stroke3_to_lines

SIDE = 28
MODEL_ID = "doodle/recogniser"  # picks and labels the candidates
JUDGE_ID = "doodle/judge"  # an independent classifier: the referee of the bench's figures
LINE = 1.6  # ink width in pixels of the 28 px square; the shipped model's json names the width chosen on real drawings
SUPERSAMPLE = 8


def raster(drawing: np.ndarray, side: int = SIDE, line: float = LINE) -> np.ndarray:
    """A stroke-3 drawing as a (side, side) float32 ink image in 0..1 (1 = ink), laid out as the
    Quick, Draw! bitmaps: top-left aligned, the longer side scaled to fill, round-capped lines."""
    lines = [ln for ln in stroke3_to_lines(np.asarray(drawing, np.float32).reshape(-1, 3)) if len(ln)]
    big = side * SUPERSAMPLE
    img = Image.new("L", (big, big), 0)
    if lines:
        pts = np.concatenate(lines)
        lo = pts.min(0)
        extent = float((pts.max(0) - lo).max())
        width = line * SUPERSAMPLE
        k = (big - width) / extent if extent > 0 else 0.0
        draw = ImageDraw.Draw(img)
        r = width / 2
        for ln in lines:
            xy = [(float(x), float(y)) for x, y in (ln - lo) * k + r]
            if len(xy) > 1:
                draw.line(xy, fill=255, width=max(1, round(width)), joint="curve")
            for x, y in (xy[0], xy[-1]) if len(xy) > 1 else xy:  # round caps (and single dots)
                draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    small = img.resize((side, side), Image.Resampling.BOX)
    return np.asarray(small, np.float32) / 255.0


STYLES = {"sheep market": "sheep"}  # a model drawing a category in another style -> the category


def category_name(key: str) -> str:
    """A doodle model's key as a Quick, Draw! category name ("palm_tree" -> "palm tree",
    "sheep_market" -> "sheep")."""
    name = Path(str(key)).name.split(".")[0].replace("_", " ").strip().lower()
    return STYLES.get(name, name)


@dataclass
class Guess:
    category: str
    probability: float

    def label(self) -> str:
        return f"{self.category} {self.probability:.0%}"


class Recogniser:
    """The ONNX classifier plus its class list; probabilities(drawings) -> (N, classes)."""

    def __init__(self, session, classes: Sequence[str], line: float = LINE) -> None:
        self.session = session
        self.classes = list(classes)
        self.index = {c: i for i, c in enumerate(self.classes)}
        self.line = line
        self.input = session.get_inputs()[0].name

    @classmethod
    def open(cls, directory: Path | None = None, model_id: str = MODEL_ID) -> "Recogniser":
        """The shipped recogniser, or with JUDGE_ID the judge (sha256 checked); ModelError when it
        is missing or damaged."""
        from artdesk.runtime.models import ModelError, open_session, read_model_description
        from artdesk.safe_read import finite

        meta = read_model_description(model_id, directory)  # checksummed in the manifest
        classes, line = meta.get("classes"), finite(meta.get("line", LINE), 0.01, 1000.0)
        if not (isinstance(classes, list) and classes and all(isinstance(c, str) for c in classes)) or line is None:
            raise ModelError(f"The description of '{model_id}' is damaged; reinstall ArtDesk.")
        return cls(open_session(model_id, directory), classes, line)

    def knows(self, key: str) -> bool:
        return category_name(key) in self.index

    def probabilities(self, drawings: Sequence[np.ndarray]) -> np.ndarray:
        if not len(drawings):
            return np.zeros((0, len(self.classes)), np.float32)
        images = []
        for d in drawings:
            check_cancel()  # picking runs after the last yield of a doodle job: Cancel must still land
            images.append(raster(d, line=self.line))
        x = np.stack(images)[:, None]
        logits = self.session.run(None, {self.input: x.astype(np.float32)})[0].astype(np.float64)
        check_cancel()
        logits -= logits.max(1, keepdims=True)
        p = np.exp(logits)
        return (p / p.sum(1, keepdims=True)).astype(np.float32)

    def scores(self, drawings: Sequence[np.ndarray], key: str) -> np.ndarray:
        """P(the category `key`) for each drawing; KeyError when the recogniser does not know it."""
        return self.probabilities(drawings)[:, self.index[category_name(key)]]

    def guesses(self, drawings: Sequence[np.ndarray]) -> list[Guess]:
        """The most likely category of each drawing, with its probability."""
        return pick_clearest(self, drawings, None, len(drawings))[1]


def pick_clearest(recogniser: Recogniser, drawings: Sequence[np.ndarray], key: str | None,
                  n: int) -> tuple[list[int], list[Guess]]:
    """(indices, guesses): the n drawings the recogniser rates most likely to be the category
    `key`, best first (ties keep the drawing order, empty drawings come last), and what it sees
    in each of them. With key None, or a category it does not know, the first n in order."""
    p = recogniser.probabilities(drawings)
    if key is not None and recogniser.knows(key):
        scores = p[:, recogniser.index[category_name(key)]].astype(np.float64)
        scores[[len(d) < 2 for d in drawings]] = -1.0
        order = sorted(range(len(drawings)), key=lambda i: (-scores[i], i))[:n]
    else:
        order = list(range(min(n, len(drawings))))
    best = p.argmax(1)
    return order, [Guess(recogniser.classes[int(best[i])], float(p[i, best[i]])) for i in order]
