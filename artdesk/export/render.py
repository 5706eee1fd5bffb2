"""The one renderer of a document, for the screen and for print.

`paint_document` draws with a QPainter in document units; the canvas calls it with its zoom and
pan transform, print export with a scale of (print px / document unit), so a 4500 x 5400 export
is the same picture re-drawn from the strokes, never upscaled pixels. Uses QtGui only (no
widgets), so it runs headless with the offscreen platform.
"""

from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (QBrush, QColor, QFont, QFontMetricsF, QGuiApplication, QImage, QPainter,
                           QPainterPath, QPainterPathStroker, QPen, QPolygonF, QTransform)

from artdesk.document.affine import IDENTITY
from artdesk.document.model import Document, Layer, RasterLayer, Stroke, TextLayer, VectorLayer
from artdesk.engines.progress import check_cancel

MIN_PRESSURE = 0.08


def ensure_gui_app() -> None:
    """QPainter needs a QGuiApplication for fonts; make an offscreen one for headless use."""
    if QGuiApplication.instance() is None:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        ensure_gui_app.app = QGuiApplication([])  # keep a reference for the process


def stroke_has_pressure(stroke: Stroke) -> bool:
    p = stroke.points[:, 2]
    return bool(np.ptp(p) > 1e-3)


MARKER_ALPHA = 0.8  # a marker's ink: overlapping strokes show through a little
GRAIN_PX_PER_UNIT = 4  # the pencil grain's texels per document unit (the same at any zoom and in print)
_grain_cache: dict[int, QImage] = {}


def pencil_grain(color: QColor) -> QBrush:
    """A periodic paper-grain texture in `color` for the pencil brush, fixed in document units so
    the print shows the grain the screen showed."""
    key = color.rgba()
    image = _grain_cache.get(key)
    if image is None:
        rng = np.random.default_rng(1926)
        noise = rng.random((256, 256))
        noise = (noise + np.roll(noise, 1, 0) + np.roll(noise, 1, 1) + np.roll(noise, (1, 1), (0, 1))) / 4
        rgba = np.zeros((256, 256, 4), np.uint8)
        rgba[..., :3] = (color.red(), color.green(), color.blue())
        rgba[..., 3] = (np.clip((noise - 0.36) / 0.22, 0, 1) * 235 * color.alphaF()).astype(np.uint8)
        image = _grain_cache[key] = numpy_to_qimage(rgba)
        if len(_grain_cache) > 64:
            _grain_cache.pop(next(iter(_grain_cache)))
    brush = QBrush(image)
    brush.setTransform(QTransform.fromScale(1 / GRAIN_PX_PER_UNIT, 1 / GRAIN_PX_PER_UNIT))
    return brush


def _centre_line(stroke: Stroke) -> QPainterPath:
    pts = stroke.points
    path = QPainterPath(QPointF(float(pts[0, 0]), float(pts[0, 1])))
    for x, y in pts[1:, :2].tolist():
        path.lineTo(x, y)
    if len(pts) == 1:
        path.lineTo(float(pts[0, 0]) + 1e-3, float(pts[0, 1]))
    return path


def _paint_shape(painter: QPainter, stroke: Stroke, color: QColor, preview: bool) -> None:
    """A closed stroke: the fill first, then the outline (with the stroke's brush)."""
    polygon = QPolygonF([QPointF(x, y) for x, y in stroke.points[:, :2].tolist()])
    path = QPainterPath()
    path.addPolygon(polygon)
    path.closeSubpath()
    if stroke.fill:
        fill = QColor(stroke.fill)
        if preview:
            fill.setAlpha(color.alpha() if color.alpha() < 255 else 255)
        painter.fillPath(path, fill)
    if stroke.outline or not stroke.fill:
        width = stroke.width * max(float(stroke.points[:, 2].mean()), MIN_PRESSURE)
        _paint_line(painter, path, stroke.brush, color, width, Qt.MiterJoin)


def _paint_line(painter: QPainter, path: QPainterPath, brush: str, color: QColor, width: float,
                join=Qt.RoundJoin) -> None:
    if brush == "pencil":
        stroker = QPainterPathStroker()
        stroker.setWidth(width)
        stroker.setCapStyle(Qt.RoundCap)
        stroker.setJoinStyle(Qt.RoundJoin)
        painter.fillPath(stroker.createStroke(path), pencil_grain(color))
        return
    cap = Qt.RoundCap
    if brush == "marker":
        color = QColor(color)
        color.setAlphaF(color.alphaF() * MARKER_ALPHA)
        cap, join = Qt.FlatCap, Qt.BevelJoin
    pen = QPen(color, width, Qt.SolidLine, cap, join)
    pen.setMiterLimit(3.0)
    painter.setPen(pen)
    painter.setBrush(Qt.NoBrush)
    painter.drawPath(path)


def paint_stroke(painter: QPainter, stroke: Stroke, color: QColor | None = None) -> None:
    preview = color is not None
    color = QColor(stroke.color) if color is None else color
    if stroke.closed or stroke.fill:
        _paint_shape(painter, stroke, color, preview)
        return
    if stroke.brush in ("marker", "pencil"):  # an even line: the look comes from the brush, not the pen
        width = stroke.width * max(float(stroke.points[:, 2].mean()), MIN_PRESSURE) \
            if stroke.brush == "pencil" else stroke.width
        _paint_line(painter, _centre_line(stroke), stroke.brush, color, width)
        return
    pts = stroke.points
    if stroke.brush == "pen" and len(pts) > 2:  # an ink pen: the line tapers in and out
        pts = pts.copy()
        pts[:, 2] *= pen_taper(pts)
    elif len(pts) == 1 or not stroke_has_pressure(stroke):
        width = stroke.width * max(float(pts[0, 2]), MIN_PRESSURE)
        pen = QPen(color, width, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
        painter.setPen(pen)
        if len(pts) == 1:
            painter.drawPoint(QPointF(float(pts[0, 0]), float(pts[0, 1])))
            return
        path = QPainterPath(QPointF(float(pts[0, 0]), float(pts[0, 1])))
        for x, y in pts[1:, :2].tolist():
            path.lineTo(x, y)
        painter.setBrush(Qt.NoBrush)
        painter.drawPath(path)
        return
    # pressure varies: one segment per pair of points, width from the mean pressure
    pressures = np.maximum((pts[1:, 2] + pts[:-1, 2]) / 2, MIN_PRESSURE)
    pen = QPen(color, stroke.width, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
    xy = pts[:, :2].tolist()
    for i, p in enumerate(pressures.tolist()):
        pen.setWidthF(stroke.width * p)
        painter.setPen(pen)
        painter.drawLine(QPointF(*xy[i]), QPointF(*xy[i + 1]))


def pen_taper(pts: np.ndarray, length: float = 40.0) -> np.ndarray:
    """The ink pen's width factor along a stroke: 0.25 at the ends, 1 after `length` units."""
    steps = np.hypot(*np.diff(pts[:, :2], axis=0).T)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    ends = np.minimum(along, along[-1] - along)
    return (0.25 + 0.75 * np.clip(ends / length, 0, 1) ** 0.7).astype(np.float32)


def numpy_to_qimage(pixels: np.ndarray) -> QImage:
    """RGBA uint8 (H, W, 4) -> a QImage that owns a copy of the pixels."""
    pixels = np.ascontiguousarray(pixels)
    h, w = pixels.shape[:2]
    return QImage(pixels.data, w, h, 4 * w, QImage.Format_RGBA8888).copy()


def qimage_to_numpy(image: QImage) -> np.ndarray:
    """Any QImage -> straight-alpha RGBA uint8 (H, W, 4), a copy."""
    image = image.convertToFormat(QImage.Format_RGBA8888)
    w, h = image.width(), image.height()
    arr = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * h)
    return arr.reshape(h, image.bytesPerLine())[:, : 4 * w].reshape(h, w, 4).copy()


def paint_raster(painter: QPainter, layer: RasterLayer, image: QImage | None = None) -> None:
    """Draw the layer's pixels (or a smaller proxy `image` of them) at its rect and transform:
    one resample from the source, whatever the layer was moved, scaled or rotated by."""
    image = numpy_to_qimage(layer.pixels) if image is None else image
    painter.setRenderHint(QPainter.SmoothPixmapTransform, layer.resample == "smooth")
    if layer.transform == IDENTITY:
        painter.drawImage(QRectF(*layer.rect), image)
        return
    painter.save()
    painter.setTransform(QTransform(*layer.transform), True)
    painter.drawImage(QRectF(*layer.rect), image)
    painter.restore()


_text_paths: dict[tuple, QPainterPath] = {}
TEXT_MASTER_PX = 100.0  # outlines are made at this size, then scaled: any size prints crisp


def text_path(layer: TextLayer) -> QPainterPath:
    """The text's outlines in document units (cached by content and style)."""
    key = tuple(layer.style().values())
    path = _text_paths.get(key)
    if path is None:
        ensure_gui_app()
        font = QFont(layer.font)
        font.setPixelSize(int(TEXT_MASTER_PX))
        font.setBold(layer.bold)
        font.setItalic(layer.italic)
        metrics = QFontMetricsF(font)
        master = QPainterPath()
        for i, line in enumerate(layer.text.split("\n")):
            master.addText(QPointF(0, metrics.ascent() + i * metrics.lineSpacing()), font, line)
        k = layer.size / TEXT_MASTER_PX
        place = QTransform().translate(layer.x, layer.y).rotate(layer.angle).scale(k, k)
        path = _text_paths[key] = place.map(master)
        if len(_text_paths) > 256:
            _text_paths.pop(next(iter(_text_paths)))
    box = path.boundingRect()
    layer.measured = (tuple(layer.style().values()), (box.left(), box.top(), box.right(), box.bottom()))
    return path


def text_box(layer: TextLayer) -> tuple[float, float, float, float]:
    """The text's box (x, y, w, h) in document units: at least one line high, for picking it."""
    rect = text_path(layer).boundingRect()
    if layer.angle:
        return rect.x(), rect.y(), rect.width(), rect.height()
    lines = max(1, layer.text.count("\n") + 1)
    h = max(rect.bottom() - layer.y, layer.size * 1.2 * lines)
    w = max(rect.right() - layer.x, layer.size * 0.5)
    return layer.x, layer.y, w, h


def paint_text(painter: QPainter, layer: TextLayer) -> None:
    painter.fillPath(text_path(layer), QColor(layer.color))


def paint_layer(painter: QPainter, layer: Layer, raster_cache: dict | None = None) -> None:
    if isinstance(layer, TextLayer):
        paint_text(painter, layer)
    elif isinstance(layer, VectorLayer):
        for stroke in layer.strokes:
            check_cancel()  # an export job's cancel lands within a stroke (a no-op on the GUI thread)
            paint_stroke(painter, stroke)
    elif isinstance(layer, RasterLayer):
        image = None
        if raster_cache is not None:
            key = (layer.id, id(layer.pixels))
            image = raster_cache.get(key)
            if image is None:
                image = raster_cache[key] = numpy_to_qimage(layer.pixels)
        paint_raster(painter, layer, image)


def paint_document(painter: QPainter, doc: Document, device_size: tuple[int, int],
                   raster_cache: dict | None = None, skip: set[str] | None = None,
                   guides: bool = True) -> None:
    """Draw every visible layer, bottom first. The painter's transform maps document units to the
    device; `device_size` is the device's pixel size, for the offscreen buffer of a layer whose
    opacity is below 1. `skip` names layer ids to leave out; guides=False leaves out guide
    layers (everything that prints or exports)."""
    painter.setRenderHint(QPainter.Antialiasing, True)
    for layer in doc.layers:
        check_cancel()
        if not layer.visible or layer.opacity <= 0 or (skip and layer.id in skip) or \
                (not guides and layer.is_guide):
            continue
        if layer.opacity >= 1.0:
            paint_layer(painter, layer, raster_cache)
            continue
        buffer, _pixels = blank_image(*device_size)
        sub = QPainter(buffer)
        sub.setRenderHint(QPainter.Antialiasing, True)
        sub.setTransform(painter.transform())
        try:
            paint_layer(sub, layer, raster_cache)
        finally:
            sub.end()
        transform = painter.transform()
        painter.resetTransform()
        painter.setOpacity(layer.opacity)
        painter.drawImage(0, 0, buffer)
        painter.setOpacity(1.0)
        painter.setTransform(transform)


def blank_image(width: int, height: int) -> tuple[QImage, np.ndarray]:
    """A transparent premultiplied-RGBA QImage over a zeroed numpy buffer (keep both alive).

    Zeroed memory comes from calloc, so a print-size page costs no fill, and no time with the
    interpreter lock held (a QImage.fill of 97 MB stalls the GUI thread for ~45 ms)."""
    try:
        pixels = np.zeros((height, width, 4), np.uint8)
    except MemoryError as exc:
        raise MemoryError(f"not enough memory for a {width} x {height} image") from exc
    image = QImage(pixels.data, width, height, 4 * width, QImage.Format_RGBA8888_Premultiplied)
    return image, pixels


def unpremultiply(pixels: np.ndarray, rows: int = 256) -> np.ndarray:
    """Premultiplied -> straight alpha, in place, in row blocks (only partly transparent pixels
    change; each block is short, so a worker never holds the interpreter long)."""
    for y0 in range(0, pixels.shape[0], rows):
        check_cancel()
        block = pixels[y0: y0 + rows]
        alpha = block[..., 3]
        ys, xs = np.nonzero((alpha > 0) & (alpha < 255))
        if len(ys):
            a = alpha[ys, xs].astype(np.uint32)[:, None]
            rgb = block[ys, xs, :3].astype(np.uint32)
            block[ys, xs, :3] = np.minimum((rgb * 255 + a // 2) // a, 255).astype(np.uint8)
    return pixels


def render_rgba(doc: Document, width: int, height: int, scale_x: float, scale_y: float,
                dx: float = 0.0, dy: float = 0.0, skip: set[str] | None = None) -> np.ndarray:
    """Render the document onto a transparent width x height page: document point (x, y) lands
    at (dx + x * scale_x, dy + y * scale_y). Returns straight-alpha RGBA uint8. This is the
    print/export renderer: guide layers are left out (the canvas draws them)."""
    ensure_gui_app()
    image, pixels = blank_image(width, height)
    painter = QPainter(image)
    try:
        painter.translate(dx, dy)
        painter.scale(scale_x, scale_y)
        paint_document(painter, doc, (width, height), skip=skip, guides=False)
    finally:
        painter.end()  # also when a cancel interrupts the paint
    del image
    return unpremultiply(pixels)


def render_document(doc: Document, width: int, height: int, skip: set[str] | None = None) -> np.ndarray:
    """Render the document stretched to `width` x `height` pixels -> RGBA uint8, transparent page."""
    return render_rgba(doc, width, height, width / doc.width, height / doc.height, skip=skip)
