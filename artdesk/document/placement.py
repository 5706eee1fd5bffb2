"""Where new things land on the page: generated results and imports get a size that leaves room
around them (a third of the page width by default) at a chosen point (the click, the drop or the
view's centre), and never hang off the page."""

from __future__ import annotations

import numpy as np

from artdesk.document.model import Document, Layer, RasterLayer, VectorLayer

DEFAULT_FRACTION = 1 / 3


def place_rect(w: float, h: float, doc: Document, center: tuple[float, float] | None = None,
               fraction: float = DEFAULT_FRACTION) -> tuple[float, float, float, float]:
    """A rect of aspect w:h, `fraction` of the page width wide (or that fraction of the page
    height tall, for tall things), centred at `center` (default: the page centre) and moved to lie
    wholly on the page."""
    w, h = max(float(w), 1e-6), max(float(h), 1e-6)
    scale = min(fraction * doc.width / w, fraction * doc.height / h)
    rw, rh = w * scale, h * scale
    cx, cy = center if center is not None else (doc.width / 2, doc.height / 2)
    x = min(max(cx - rw / 2, 0.0), doc.width - rw)
    y = min(max(cy - rh / 2, 0.0), doc.height - rh)
    return (x, y, rw, rh)


def place_layer(layer: Layer, doc: Document, center: tuple[float, float] | None = None,
                fraction: float = DEFAULT_FRACTION) -> Layer:
    """Size and move a new layer (in place) to `place_rect` of its content. Vector strokes keep
    their pen width; a raster layer keeps its pixels and gets a new rect."""
    if isinstance(layer, RasterLayer):
        h, w = layer.pixels.shape[:2]
        layer.rect = place_rect(w, h, doc, center, fraction)
        return layer
    if isinstance(layer, VectorLayer) and layer.strokes:
        xy = np.concatenate([s.points[:, :2] for s in layer.strokes])
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        span = np.maximum(hi - lo, 1e-6)
        x, y, rw, rh = place_rect(span[0], span[1], doc, center, fraction)
        k = rw / span[0]
        for stroke in layer.strokes:
            points = stroke.points.copy()
            points[:, :2] = ((points[:, :2] - lo) * k + (x, y)).astype(np.float32)
            stroke.points = points
    return layer
