"""Bucket fill: a solid colour poured into the closed region around a point of the printed
picture. The region is found by the Zentangle shape finder (engines/shapes.region_at, which also
bridges small gaps) on the picture rendered at print resolution, with every pixel of another
colour as its wall, so the fill's edge is print-sharp and reaches under an outline; the result
is a raster layer cropped to the region."""

from __future__ import annotations

import copy

import numpy as np

from artdesk.document.model import Document, RasterLayer
from artdesk.engines.progress import Job, Progress
from artdesk.engines.shapes import region_at
from artdesk.export.render import render_rgba

TOLERANCE = 48  # how far a colour may differ (0..255 per channel) and still belong to the region
FILL_SCALE = 5.0
MAX_PIXELS = 4500 * 5400  # pixels per document unit: the T-shirt print's resolution for a 900 x 1080 page
MESSAGES = {
    "empty": "There is nothing to fill yet: draw a closed shape first, then click inside it.",
    "on_ink": "That is on a line: click inside the shape you want to fill.",
    "open": "This outline is not closed, so the paint would run out to the edge of the page. "
            "Close the gap with the pen (or draw a shape), then fill again.",
    "outside": "Click on the page, inside a closed shape.",
}


class FillRefused(ValueError):
    """The click was not inside a closed region; the message says what to do."""


def _printed(doc: Document) -> Document:
    page = Document(doc.width, doc.height)
    page.layers = [copy.copy(layer) for layer in doc.layers]
    return page


def _different(page: np.ndarray, seed: np.ndarray, tolerance: int = TOLERANCE) -> np.ndarray:
    """255 where the page's colour differs from the clicked one (the walls of the region), else 0;
    channel by channel, to keep a print-size page's memory small."""
    walls = np.abs(page[..., 3].astype(np.int16) - seed[3]) > tolerance
    if seed[3] > 0:
        for c in range(3):
            walls |= np.abs(page[..., c].astype(np.int16) - seed[c]) > tolerance
    return walls.astype(np.uint8) * 255


def bucket_fill(doc: Document, x: float, y: float, color: str, scale: float = FILL_SCALE,
                name: str = "Fill") -> Job:
    """Job -> a RasterLayer of `color` filling the closed region around document point (x, y):
    the connected pixels of about the clicked colour (the bare page inside an outline, or a
    painted area to recolour). Raises FillRefused with a sentence when that region runs to the
    page's edge."""
    scale = min(float(scale), (MAX_PIXELS / (doc.width * doc.height)) ** 0.5)  # a huge page: print-size work at most
    width, height = max(1, round(doc.width * scale)), max(1, round(doc.height * scale))
    yield Progress(0.0, "Looking at the picture")
    page = render_rgba(_printed(doc), width, height, scale, scale)
    px, py = int(np.floor(x * scale)), int(np.floor(y * scale))
    if not (0 <= px < width and 0 <= py < height):
        raise FillRefused(MESSAGES["outside"])
    yield Progress(0.4, "Finding the shape")
    seed = page[py, px].astype(np.int16)
    painted = seed[3] > 0
    result = region_at(_different(page, seed), x * scale, y * scale, grow=0 if painted else None)
    if not result.ok:
        raise FillRefused(MESSAGES.get(result.status, result.message))
    mask = result.mask
    y0, x0, y1, x1 = result.bbox
    yield Progress(0.9, "Pouring the paint")
    crop = mask[y0:y1, x0:x1]
    rgba = np.zeros(crop.shape + (4,), np.uint8)
    r, g, b = (int(color.lstrip("#")[i: i + 2], 16) for i in (0, 2, 4))
    rgba[..., 0], rgba[..., 1], rgba[..., 2] = r, g, b
    rgba[..., 3] = np.where(crop > 0, 255, 0)
    rect = (x0 / scale, y0 / scale, crop.shape[1] / scale, crop.shape[0] / scale)
    return RasterLayer(name=name, pixels=rgba, rect=rect, resample="crisp",
                       metadata={"fill": {"color": color, "x": round(x, 2), "y": round(y, 2)}})

