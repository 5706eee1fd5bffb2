"""A document as the plain arrays the Zentangle engine looks at: the doodle's ink and each visible
raster layer, rendered on the print page (so the shape found is print-sharp)."""

from __future__ import annotations

import math

from artdesk import PRINT_SIZE
from artdesk.document.model import Document, RasterLayer, VectorLayer
from artdesk.document.snapshot import snapshot
from artdesk.engines.progress import Job, Progress
from artdesk.engines.shapes import TargetLayer, has_transparency
from artdesk.export.render import render_rgba

# The Zentangle drop's instant preview is made on a page this size (a 900x1080 document: 0.75
# pixel per unit, about the canvas at its usual fit-to-window zoom), then the print-size fill
# replaces it; `artdesk bench zentangle` times it (0.2 s for the first drop on the loaded 2 cores).
PREVIEW_SIZE = (675, 810)


def _only(doc: Document, layers) -> Document:
    return snapshot(doc, layers, opacity=1.0)


def page_scale(doc: Document, size: tuple[int, int] = PRINT_SIZE) -> tuple[int, int, float]:
    """(width, height, pixels per document unit) of the page at `size`."""
    scale = min(size[0] / doc.width, size[1] / doc.height)
    return round(doc.width * scale), round(doc.height * scale), scale


def page_window(doc: Document, size: tuple[int, int], rect, margin: float) -> tuple[int, int, int, int]:
    """(x, y, width, height) in page pixels of the document rectangle `rect` (x, y, w, h in
    units) grown by `margin` units on every side, within the page."""
    width, height, scale = page_scale(doc, size)
    x0 = max(0, int(math.floor((rect[0] - margin) * scale)))
    y0 = max(0, int(math.floor((rect[1] - margin) * scale)))
    x1 = min(width, int(math.ceil((rect[0] + rect[2] + margin) * scale)))
    y1 = min(height, int(math.ceil((rect[1] + rect[3] + margin) * scale)))
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


def document_targets(doc: Document, size: tuple[int, int] = PRINT_SIZE, exclude: tuple = (),
                     window: tuple[int, int, int, int] | None = None) -> Job:
    """Job -> (ink alpha or None, [TargetLayer topmost first], pixels per unit); the layers whose
    ids are in `exclude` are left out (a Zentangle's strings layer does not bound the shape).
    `window` (x, y, width, height in page pixels) renders only that part of the page: the arrays
    are the window's, their pixel (0, 0) is page pixel (x, y)."""
    width, height, scale = page_scale(doc, size)
    dx = dy = 0
    if window is not None:
        dx, dy, width, height = window
    vectors = [l for l in doc.layers if isinstance(l, VectorLayer) and l.visible and l.strokes and not l.is_guide
               and l.id not in exclude]
    rasters = [l for l in reversed(doc.layers) if isinstance(l, RasterLayer) and l.visible and not l.is_guide
               and l.id not in exclude]
    yield Progress(0.0, "Looking at the drawing")
    ink = render_rgba(_only(doc, vectors), width, height, scale, scale, -dx, -dy)[..., 3].copy() if vectors else None
    targets = []
    for i, layer in enumerate(rasters):
        yield Progress((i + 1) / (len(rasters) + 1), f"Looking at layer {layer.name}")
        rgba = render_rgba(_only(doc, [layer]), width, height, scale, scale, -dx, -dy)
        kind = "silhouette" if layer.metadata.get("source") else "raster"
        grow = layer.rect[2] * scale / max(1, layer.pixels.shape[1]) if layer.resample == "smooth" else 1.0
        opaque = kind == "silhouette" and not has_transparency(layer.pixels)  # only a silhouette's shape asks
        targets.append(TargetLayer(rgba, kind, layer.name, grow, opaque=opaque, layer_id=layer.id))
    return ink, targets, scale


def fill_document_at(doc: Document, pattern, x: float, y: float, settings=None,
                     size: tuple[int, int] = PRINT_SIZE, use_offered: bool = False, near=None) -> Job:
    """Job: the Zentangle drop on a document: its shapes rendered on a page of `size` (the print,
    or a small page for the drop's instant preview), the one under document point (x, y) filled.
    near: the rectangle (x, y, w, h in units) of a closed doodle region found for this drop on a
    smaller page (the preview): only that part of the page, with a margin, is rendered and
    searched, a fraction of the print page's pixels. -> zentangle.FillResult (its rect in
    document units); raises zentangle.ShapeNotFound."""
    from artdesk.engines.shapes import ShapeResult
    from artdesk.engines.zentangle import ShapeNotFound, fill_at

    follows = bool(settings is not None and settings.follows())
    layer_id = getattr(settings, "string_layer", "") if getattr(settings, "mode", "") == "strings" and not follows else ""
    follow_id = settings.follow_layer if follows and settings.follow == "layer" else ""
    window = None
    if near is not None:
        margin = 0.03 * max(doc.width, doc.height)  # room for the region to differ a little at print size
        window = page_window(doc, size, near, margin)
    ox, oy = (window[0], window[1]) if window else (0, 0)
    dividers = None
    if layer_id:
        layer = next((l for l in doc.layers if l.id == layer_id), None)
        if not isinstance(layer, VectorLayer) or not layer.strokes:
            raise ShapeNotFound(ShapeResult("empty", "The layer chosen for the strings has no strokes: draw "
                                                     "your strings on it, or choose generated strings."))
        width, height, k = page_scale(doc, size)
        if window:
            width, height = window[2], window[3]
        dividers = render_rgba(_only(doc, [layer]), width, height, k, k, -ox, -oy)[..., 3].copy()
    picture = None
    exclude = tuple(i for i in (layer_id, follow_id) if i)
    if follow_id:
        layer = next((l for l in doc.layers if l.id == follow_id), None)
        if layer is None:
            raise ShapeNotFound(ShapeResult("empty", "The layer to follow is gone: select the picture under "
                                                     "Layers, or choose “the picture beneath the shape”."))
        width, height, k = page_scale(doc, size)
        if window:
            width, height = window[2], window[3]
        picture = render_rgba(_only(doc, [layer]), width, height, k, k, -ox, -oy)
        if isinstance(layer, VectorLayer):  # the doodle's strokes: they still bound the shape
            exclude = tuple(i for i in exclude if i != follow_id)
    ink, targets, scale = yield from document_targets(doc, size, exclude=exclude, window=window)
    try:
        page = page_scale(doc, size)
        result = yield from fill_at(ink, targets, x * scale - ox, y * scale - oy, pattern, settings, scale,
                                    use_offered, dividers, max(page[0], page[1]) if window else None, picture)
    except ShapeNotFound:
        if window is None:
            raise
        result = None  # not closed within the window: look at the whole page
    if window and result is None:
        return (yield from fill_document_at(doc, pattern, x, y, settings, size, use_offered, None))
    if window and result.source == "region" and not _touches_border(result, window, scale):
        rx, ry, rw, rh = result.rect
        result.rect = (rx + ox / scale, ry + oy / scale, rw, rh)
        return result
    if window:  # the region ran into the window's border: it is not the preview's, look at the whole page
        return (yield from fill_document_at(doc, pattern, x, y, settings, size, use_offered, None))
    return result


def _touches_border(result, window, scale: float) -> bool:
    rx, ry, rw, rh = (v * scale for v in result.rect)
    return rx <= 1 or ry <= 1 or rx + rw >= window[2] - 1 or ry + rh >= window[3] - 1
