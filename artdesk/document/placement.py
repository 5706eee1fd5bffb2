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


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0.0) * max(h, 0.0)


def free_center(w: float, h: float, doc: Document, preferred: tuple[float, float],
                fraction: float = DEFAULT_FRACTION, free_share: float = 0.85) -> tuple[float, float]:
    """Where a new w:h thing should go near `preferred` so it does not land on what is already on
    the page: the preferred point if the rect there is at least `free_share` free, else the nearest
    spot of a 5x5 grid over the page that is, else the one with the least overlap."""
    boxes = [layer.bounds() for layer in doc.layers
             if layer.visible and not layer.is_guide and not layer.is_empty()]
    boxes = [b for b in boxes if b is not None and (b[2] - b[0]) * (b[3] - b[1]) < 0.9 * doc.width * doc.height]
    x, y, rw, rh = place_rect(w, h, doc, preferred, fraction)
    spots = [preferred] + sorted(
        ((doc.width * (i + 0.5) / 5, doc.height * (j + 0.5) / 5) for i in range(5) for j in range(5)),
        key=lambda c: (c[0] - preferred[0]) ** 2 + (c[1] - preferred[1]) ** 2)
    best, best_overlap = preferred, None
    for cx, cy in spots:
        x, y, _, _ = place_rect(w, h, doc, (cx, cy), fraction)
        overlap = sum(_overlap((x, y, x + rw, y + rh), b) for b in boxes) / (rw * rh)
        if overlap <= 1 - free_share:
            return (x + rw / 2, y + rh / 2)
        if best_overlap is None or overlap < best_overlap:
            best, best_overlap = (x + rw / 2, y + rh / 2), overlap
    return best


def content_size(layer: Layer) -> tuple[float, float]:
    """The w, h whose aspect place_layer keeps."""
    if isinstance(layer, RasterLayer):
        h, w = layer.pixels.shape[:2]
        return float(w), float(h)
    if isinstance(layer, VectorLayer) and layer.strokes:
        xy = np.concatenate([s.points[:, :2] for s in layer.strokes])
        span = np.maximum(xy.max(axis=0) - xy.min(axis=0), 1e-6)
        return float(span[0]), float(span[1])
    return 1.0, 1.0
