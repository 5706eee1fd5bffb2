"""A document as the plain arrays the Zentangle engine looks at: the doodle's ink and each visible
raster layer, rendered on the print page (so the shape found is print-sharp)."""

from __future__ import annotations

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


def document_targets(doc: Document, size: tuple[int, int] = PRINT_SIZE, exclude: tuple = ()) -> Job:
    """Job -> (ink alpha or None, [TargetLayer topmost first], pixels per unit); the layers whose
    ids are in `exclude` are left out (a Zentangle's strings layer does not bound the shape)."""
    width, height, scale = page_scale(doc, size)
    vectors = [l for l in doc.layers if isinstance(l, VectorLayer) and l.visible and l.strokes and not l.is_guide
               and l.id not in exclude]
    rasters = [l for l in reversed(doc.layers) if isinstance(l, RasterLayer) and l.visible and not l.is_guide]
    yield Progress(0.0, "Looking at the drawing")
    ink = render_rgba(_only(doc, vectors), width, height, scale, scale)[..., 3].copy() if vectors else None
    targets = []
    for i, layer in enumerate(rasters):
        yield Progress((i + 1) / (len(rasters) + 1), f"Looking at layer {layer.name}")
        rgba = render_rgba(_only(doc, [layer]), width, height, scale, scale)
        kind = "silhouette" if layer.metadata.get("source") else "raster"
        grow = layer.rect[2] * scale / max(1, layer.pixels.shape[1]) if layer.resample == "smooth" else 1.0
        opaque = kind == "silhouette" and not has_transparency(layer.pixels)  # only a silhouette's shape asks
        targets.append(TargetLayer(rgba, kind, layer.name, grow, opaque=opaque, layer_id=layer.id))
    return ink, targets, scale


def fill_document_at(doc: Document, pattern, x: float, y: float, settings=None,
                     size: tuple[int, int] = PRINT_SIZE, use_offered: bool = False) -> Job:
    """Job: the Zentangle drop on a document: its shapes rendered on a page of `size` (the print,
    or a small page for the drop's instant preview), the one under document point (x, y) filled.
    -> zentangle.FillResult; raises zentangle.ShapeNotFound."""
    from artdesk.engines.zentangle import ShapeNotFound, fill_at
    from artdesk.engines.shapes import ShapeResult

    layer_id = getattr(settings, "string_layer", "") if getattr(settings, "mode", "") == "strings" else ""
    dividers = None
    if layer_id:
        layer = next((l for l in doc.layers if l.id == layer_id), None)
        if not isinstance(layer, VectorLayer) or not layer.strokes:
            raise ShapeNotFound(ShapeResult("empty", "The layer chosen for the strings has no strokes: draw "
                                                     "your strings on it, or choose generated strings."))
        width, height, k = page_scale(doc, size)
        dividers = render_rgba(_only(doc, [layer]), width, height, k, k)[..., 3].copy()
    ink, targets, scale = yield from document_targets(doc, size, exclude=(layer_id,) if layer_id else ())
    return (yield from fill_at(ink, targets, x * scale, y * scale, pattern, settings, scale, use_offered,
                               dividers))
