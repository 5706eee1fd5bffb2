"""The stroke canvas: draws the document, takes mouse and pen-tablet input, zooms and pans.

Input becomes Stroke points (x, y, pressure, t) in document units; a finished stroke or an
erase gesture is handed to the window as a signal, which turns it into one undo step.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPointingDevice, QTransform
from PySide6.QtWidgets import QWidget

from artdesk.document.model import Document, Stroke
from artdesk.export.render import paint_document, paint_stroke

ZOOM_MIN, ZOOM_MAX = 0.05, 32.0
PATTERN_MIME = "application/x-artdesk-pattern"


class CanvasView(QWidget):
    strokeFinished = Signal(object)  # Stroke
    eraseFinished = Signal(list)  # strokes to erase (in the active layer)
    patternDropped = Signal(str, QPointF)  # pattern image path, drop point in document units
    filesDropped = Signal(list, QPointF)  # local file paths
    zoomChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAttribute(Qt.WA_TabletTracking, True)
        self.setMouseTracking(False)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setAcceptDrops(True)
        self.setMinimumSize(200, 200)
        self.document: Document | None = None
        self.active_layer_id: str | None = None
        self.tool = "brush"  # "brush" | "eraser"
        self.brush_color = QColor("#1d1d1f")
        self.brush_size = 6.0
        self.eraser_radius = 10.0
        self.zoom = 1.0
        self.offset = QPointF(0, 0)  # widget position of the document origin
        self._fitted = False
        self._points: list[list[float]] | None = None
        self._erasing: list[Stroke] | None = None
        self._stroke_tool = "brush"
        self._pan_from: QPointF | None = None
        self._space_down = False
        self._t0 = time.monotonic()
        self._cache: QImage | None = None
        self._raster_cache: dict = {}
        self.overlays: list = []  # callables (painter in document units, canvas): guides, never printed

    # -- document ------------------------------------------------------------------------
    def set_document(self, doc: Document) -> None:
        if self.document is not None:
            self.document.unsubscribe(self._on_document_changed)
        self.document = doc
        doc.subscribe(self._on_document_changed)
        self._raster_cache.clear()
        self._fitted = True
        self.fit_to_window()

    def _on_document_changed(self, what: str, detail: object) -> None:
        self.invalidate()

    def invalidate(self) -> None:
        self._cache = None
        if len(self._raster_cache) > 64:
            self._raster_cache.clear()
        self.update()

    # -- view transform -------------------------------------------------------------------
    def transform(self) -> QTransform:
        return QTransform(self.zoom, 0, 0, self.zoom, self.offset.x(), self.offset.y())

    def to_document(self, pos: QPointF) -> QPointF:
        return QPointF((pos.x() - self.offset.x()) / self.zoom, (pos.y() - self.offset.y()) / self.zoom)

    def fit_to_window(self) -> None:
        if self.document is None or self.width() < 10:
            return
        margin = 24
        self.zoom = max(ZOOM_MIN, min((self.width() - 2 * margin) / self.document.width,
                                      (self.height() - 2 * margin) / self.document.height))
        self.offset = QPointF((self.width() - self.document.width * self.zoom) / 2,
                              (self.height() - self.document.height * self.zoom) / 2)
        self._fitted = True
        self.zoomChanged.emit(self.zoom)
        self.invalidate()

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        zoom = max(ZOOM_MIN, min(ZOOM_MAX, zoom))
        anchor = anchor if anchor is not None else QPointF(self.width() / 2, self.height() / 2)
        doc_pt = self.to_document(anchor)
        self.zoom = zoom
        self.offset = QPointF(anchor.x() - doc_pt.x() * zoom, anchor.y() - doc_pt.y() * zoom)
        self._fitted = False
        self.zoomChanged.emit(self.zoom)
        self.invalidate()

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * 1.25)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / 1.25)

    def zoom_actual(self) -> None:
        self.set_zoom(1.0)

    def pan_by(self, dx: float, dy: float) -> None:
        self.offset += QPointF(dx, dy)
        self.invalidate()

    def resizeEvent(self, event) -> None:
        if self._fitted:
            self.fit_to_window()
        self.invalidate()

    # -- painting -------------------------------------------------------------------------
    def _render_cache(self) -> QImage:
        dpr = self.devicePixelRatioF()
        image = QImage(int(self.width() * dpr), int(self.height() * dpr), QImage.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(dpr)
        image.fill(QColor("#5b5e66"))
        if self.document is not None:
            p = QPainter(image)
            page = self.transform().mapRect(QRectF(0, 0, self.document.width, self.document.height))
            p.fillRect(page.translated(3, 4), QColor(0, 0, 0, 60))
            p.fillRect(page, _checker_brush())
            p.setClipRect(page)
            p.setTransform(self.transform())
            paint_document(p, self.document, (image.width(), image.height()), self._raster_cache,
                           skip=None)
            p.end()
        return image

    def paintEvent(self, event) -> None:
        if self._cache is None or self._cache.size() != self.size() * self.devicePixelRatioF():
            self._cache = self._render_cache()
        painter = QPainter(self)
        painter.drawImage(0, 0, self._cache)
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setTransform(self.transform())
        if self._erasing:
            for stroke in self._erasing:
                paint_stroke(painter, stroke, QColor(255, 80, 80, 160))
        if self._points and len(self._points) >= 1:
            paint_stroke(painter, self._current_stroke())
        for overlay in self.overlays:
            overlay(painter, self)
        painter.end()

    # -- drawing input --------------------------------------------------------------------
    def _current_stroke(self) -> Stroke:
        return Stroke(np.asarray(self._points, np.float32), self.brush_color.name(), self.brush_size)

    def _begin(self, pos: QPointF, pressure: float, tool: str) -> None:
        self._stroke_tool = tool
        if tool == "eraser":
            self._erasing = []
            self._erase_at(pos)
        else:
            self._points = []
            self._add_point(pos, pressure)
        self.update()

    def _add_point(self, pos: QPointF, pressure: float) -> None:
        pt = self.to_document(pos)
        t = time.monotonic() - self._t0
        if self._points and abs(self._points[-1][0] - pt.x()) < 1e-3 and abs(self._points[-1][1] - pt.y()) < 1e-3:
            self._points[-1][2] = max(self._points[-1][2], pressure)
            return
        self._points.append([pt.x(), pt.y(), float(pressure), t])

    def _move(self, pos: QPointF, pressure: float) -> None:
        if self._erasing is not None:
            self._erase_at(pos)
        elif self._points is not None:
            self._add_point(pos, pressure)
        self.update()

    def _end(self) -> None:
        if self._erasing is not None:
            erased, self._erasing = self._erasing, None
            if erased:
                self.eraseFinished.emit(erased)
        elif self._points:
            stroke = self._current_stroke()
            self._points = None
            self.strokeFinished.emit(stroke)
        self._points = None
        self.update()

    def _active_strokes(self) -> list[Stroke]:
        if self.document is None or self.active_layer_id is None:
            return []
        try:
            layer = self.document.layer(self.active_layer_id)
        except KeyError:
            return []
        return list(getattr(layer, "strokes", []))

    def _erase_at(self, pos: QPointF) -> None:
        pt = self.to_document(pos)
        radius = self.eraser_radius / max(self.zoom, 1e-6)
        for stroke in self._active_strokes():
            if stroke in self._erasing:
                continue
            if stroke.distance_to(pt.x(), pt.y()) <= radius + stroke.width / 2:
                self._erasing.append(stroke)

    def cancel_gesture(self) -> None:
        self._points = None
        self._erasing = None
        self.update()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MiddleButton or (event.button() == Qt.LeftButton and self._space_down):
            self._pan_from = event.position()
            self.setCursor(Qt.ClosedHandCursor)
        elif event.button() == Qt.LeftButton:
            self._begin(event.position(), 1.0, self.tool)
        elif event.button() == Qt.RightButton and (self._points or self._erasing is not None):
            self.cancel_gesture()

    def mouseMoveEvent(self, event) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.pan_by(delta.x(), delta.y())
        else:
            self._move(event.position(), 1.0)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None and event.button() in (Qt.MiddleButton, Qt.LeftButton):
            self._pan_from = None
            self.unsetCursor()
        elif event.button() == Qt.LeftButton:
            self._end()

    def tabletEvent(self, event) -> None:
        """Pen input: pressure sets the width; the pen's eraser end erases strokes."""
        eraser = event.pointerType() == QPointingDevice.PointerType.Eraser
        pressure = float(event.pressure())
        kind = event.type()
        if kind == event.Type.TabletPress:
            self._begin(event.position(), pressure, "eraser" if eraser else self.tool)
        elif kind == event.Type.TabletMove:
            if self._points is not None or self._erasing is not None:
                self._move(event.position(), pressure)
        elif kind == event.Type.TabletRelease:
            self._end()
        event.accept()

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta()
        if event.modifiers() & Qt.ControlModifier or not delta.x() and event.modifiers() & Qt.AltModifier:
            factor = 1.0015 ** delta.y()
            self.set_zoom(self.zoom * factor, event.position())
        else:
            self.pan_by(delta.x() / 2, delta.y() / 2)
        event.accept()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space_down = True
            self.setCursor(Qt.OpenHandCursor)
        elif event.key() == Qt.Key_Escape:
            self.cancel_gesture()
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            self.unsetCursor()
        else:
            super().keyReleaseEvent(event)

    # -- drag and drop --------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasFormat(PATTERN_MIME) or mime.hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        mime = event.mimeData()
        point = self.to_document(event.position())
        if mime.hasFormat(PATTERN_MIME):
            self.patternDropped.emit(bytes(mime.data(PATTERN_MIME)).decode("utf-8"), point)
        elif mime.hasUrls():
            paths = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
            if paths:
                self.filesDropped.emit(paths, point)
        event.acceptProposedAction()


def _checker_brush() -> QBrush:
    tile = QImage(16, 16, QImage.Format_RGB32)
    tile.fill(QColor("#ffffff"))
    p = QPainter(tile)
    p.fillRect(0, 0, 8, 8, QColor("#e6e6e6"))
    p.fillRect(8, 8, 8, 8, QColor("#e6e6e6"))
    p.end()
    return QBrush(tile)
