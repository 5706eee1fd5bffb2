"""The pixel eraser: rubs out pixels of the active image (raster) layer along the pointer's path,
the brush size wide; one undo step per gesture. (The stroke eraser, E, removes whole strokes of a
vector layer.)"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QTransform

from artdesk.document import affine
from artdesk.document import commands as cmds
from artdesk.document.model import RasterLayer
from artdesk.ui.tools.base import Tool, ToolEvent, register


def erase_pixels(layer: RasterLayer, points: list[tuple[float, float]], width: float) -> np.ndarray:
    """A copy of the layer's pixels with a round line of `width` document units cleared along
    `points` (document units), mapped through the layer's placement."""
    from artdesk.export.render import numpy_to_qimage, qimage_to_numpy

    to_pixels = affine.invert(layer.pixel_to_document())  # the layer's rect and any rotation or flip
    h, w = layer.pixels.shape[:2]
    xy = affine.apply(to_pixels, points)
    reach = width * affine.area_scale(to_pixels) / 2 + 2  # half the line in pixels, and the anti-aliasing
    x0, y0 = np.floor(xy.min(axis=0) - reach).astype(int)
    x1, y1 = np.ceil(xy.max(axis=0) + reach).astype(int)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    out = layer.pixels.copy()
    if x0 >= x1 or y0 >= y1:
        return out
    # only the pixels the line can reach go through a QImage (a print-size layer stays fast)
    image = numpy_to_qimage(out[y0:y1, x0:x1]).convertToFormat(QImage.Format_RGBA8888_Premultiplied)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing, True)
    painter.setCompositionMode(QPainter.CompositionMode_Clear)
    painter.setTransform(QTransform(*affine.compose(affine.translate(-x0, -y0), to_pixels)))
    pen = QPen(QColor(0, 0, 0), width, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
    painter.setPen(pen)
    path = QPainterPath(QPointF(*points[0]))
    for p in points[1:]:
        path.lineTo(QPointF(*p))
    if len(points) == 1:
        path.lineTo(QPointF(points[0][0] + 1e-3, points[0][1]))
    painter.drawPath(path)
    painter.end()
    out[y0:y1, x0:x1] = qimage_to_numpy(image)
    return out


@register
class PixelEraserTool(Tool):
    name = "pixel_eraser"
    label = "&Pixel eraser"
    shortcut = "Shift+E"
    icon = "tools/pixel_eraser.png"
    tip = "Pixel eraser: rub out pixels of an image layer (brush size wide)"

    def __init__(self, canvas):
        super().__init__(canvas)
        self._points: list[tuple[float, float]] | None = None
        self._layer: RasterLayer | None = None

    def busy(self) -> bool:
        return self._points is not None

    def cancel(self) -> None:
        self._points = None
        self._layer = None
        self.canvas.update()

    def press(self, event: ToolEvent) -> None:
        layer = self.canvas.active_layer()
        if not isinstance(layer, RasterLayer):
            window = self.canvas.window()
            if hasattr(window, "statusBar"):
                window.statusBar().showMessage(
                    "The pixel eraser works on image layers: pick one in Layers, or use the stroke eraser (E) "
                    "on a drawing", 5000)
            return
        self._layer = layer
        self._points = [(event.doc.x(), event.doc.y())]
        self.canvas.update()

    def move(self, event: ToolEvent) -> None:
        if self._points is not None:
            self._points.append((event.doc.x(), event.doc.y()))
            self.canvas.update()

    def release(self, event: ToolEvent) -> None:
        if self._points is None:
            return
        points, layer = self._points, self._layer
        self.cancel()
        pixels = erase_pixels(layer, points, self.canvas.brush_size)
        if not np.array_equal(pixels[..., 3], layer.pixels[..., 3]):
            self.canvas.push(cmds.SetRasterPixels(layer.id, pixels, text="Erase pixels"))

    def paint_overlay(self, painter: QPainter) -> None:
        if not self._points:
            return
        pen = QPen(QColor(255, 80, 80, 150), self.canvas.brush_size, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.NoBrush)
        path = QPainterPath(QPointF(*self._points[0]))
        for p in self._points[1:]:
            path.lineTo(QPointF(*p))
        painter.drawPath(path)
