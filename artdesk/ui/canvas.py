"""The stroke canvas: draws the document, takes mouse and pen-tablet input, zooms and pans.

Pointer input goes to the current tool (artdesk/ui/tools, one class per tool) as ToolEvents in
document units; a tool's result reaches the window as a signal (a finished stroke, an erase, a
document Command), which turns it into one undo step.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPointingDevice, QTransform
from PySide6.QtWidgets import QWidget

from artdesk.document.model import Document
from artdesk.export.render import paint_stroke
from artdesk.ui.layer_cache import LayerImages

ZOOM_MIN, ZOOM_MAX = 0.05, 32.0
SHARPEN_MS = 180  # after the last zoom step, layers are drawn sharp at the new zoom
PAGE_IMAGE_PIXELS = 6_000_000  # layer images cover the whole page up to this size (see _image_space)
PATTERN_MIME = "application/x-artdesk-pattern"


class CanvasView(QWidget):
    strokeFinished = Signal(object)  # Stroke
    eraseFinished = Signal(list)  # strokes to erase (in the active layer)
    patternDropped = Signal(str, QPointF)  # pattern image path, drop point in document units
    filesDropped = Signal(list, QPointF)  # local file paths
    zoomChanged = Signal(float)
    commandRequested = Signal(object)  # a document Command for the undo history
    toolChanged = Signal(str)
    contextMenuRequested = Signal(QPoint, QPointF)  # global position, document point
    selectionChanged = Signal(object)  # Selection or None
    layerPicked = Signal(str)  # a tool chose a layer (the move tool's click): make it active

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAttribute(Qt.WA_TabletTracking, True)
        self.setMouseTracking(True)  # tools show handle cursors on hover
        self.setFocusPolicy(Qt.StrongFocus)
        self.setAcceptDrops(True)
        self.setMinimumSize(200, 200)
        self.document: Document | None = None
        self.active_layer_id: str | None = None
        self.tools: dict = {}  # name -> Tool instance, made on first use
        self._tool = None
        self._gesture_tool = None  # the tool that got the press (the pen's eraser end may differ)
        self.brush_color = QColor("#1d1d1f")
        self.brush_size = 6.0
        self.eraser_radius = 10.0
        self.zoom = 1.0
        self.offset = QPointF(0, 0)  # widget position of the document origin
        self._fitted = False
        self._pan_from: QPointF | None = None
        self._space_down = False
        self._cache: QImage | None = None  # the composed canvas
        self._appended: set[str] = set()  # layers whose strokes changed since the last paint
        self._float_parts = None  # (key, below, above) images while a layer is dragged
        self._zooming = False  # layer images drawn scaled until _sharpen fires
        self._sharpen = QTimer(self)
        self._sharpen.setSingleShot(True)
        self._sharpen.setInterval(SHARPEN_MS)
        self._sharpen.timeout.connect(self._zoom_done)
        self._partial_shown = False
        self._moved: dict = {}  # layer id -> (affine, (old image, its view)): see hint_moved
        self._slices = QTimer(self)  # draws on with big layers between events
        self._slices.setSingleShot(True)
        self._slices.setInterval(1)
        self._slices.timeout.connect(self._draw_on)
        self.layer_images = LayerImages()
        self.floating = None  # (layer id, affine, strokes or None) shown moved, see set_floating
        self.selection = None  # document.selection.Selection or None
        self.overlays: list = []  # callables (painter in document units, canvas): guides, never printed
        self.set_tool("brush")

    # -- document ------------------------------------------------------------------------
    def set_document(self, doc: Document) -> None:
        if self.document is not None:
            self.document.unsubscribe(self._on_document_changed)
        self.document = doc
        doc.subscribe(self._on_document_changed)
        self.layer_images = LayerImages()
        self._moved = {}
        self.floating = None
        self.selection = None
        for tool in self.tools.values():
            tool.cancel()
            if hasattr(tool, "transformer"):
                tool.transformer.set_target(None)
        self._fitted = True
        self.fit_to_window()

    def _on_document_changed(self, what: str, detail: object) -> None:
        """Redraw only what changed: layer images know what they show (strokes, pixels,
        placement), so a new stroke is painted onto its layer's image, a layer whose content
        changed is drawn again, and a rename, a visibility change or a reorder only composes."""
        self._float_parts = None
        for tool in self.tools.values():
            tool.document_changed(what, detail)
        if what == "strokes" and isinstance(detail, str) and self._cache is not None:
            self._appended.add(detail)  # maybe only new strokes on top: see _paint_appended
            self.update()
            return
        self._cache = None
        self.update()

    def invalidate(self) -> None:
        """The view changed (zoom, pan, size): compose again (layer images are drawn again only
        when the zoom or, for very large pages, the pan changed them)."""
        self._cache = None
        self._float_parts = None
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
        self.offset = QPointF(round((self.width() - self.document.width * self.zoom) / 2),
                              round((self.height() - self.document.height * self.zoom) / 2))
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
        self._zooming = True
        self.zoomChanged.emit(self.zoom)
        self.invalidate()

    def _draw_on(self) -> None:
        """One slice of the big layers being drawn; the canvas is composed again when one is done
        (or when it shows a layer's drawing so far), else the old images stay up."""
        done = self.layer_images.advance()
        if done or self._partial_shown:
            self._cache = None
            self._float_parts = None
            self.update()
        if self.layer_images.pending():
            self._slices.start()

    def _zoom_done(self) -> None:
        self._zooming = False
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

    def set_selection(self, selection) -> None:
        """What the selection tools chose (None: nothing); the selection tools show its handles."""
        self.selection = selection
        for tool in self.tools.values():
            if hasattr(tool, "sync_selection"):
                tool.sync_selection()
        self.selectionChanged.emit(selection)
        self.update()

    # -- painting -------------------------------------------------------------------------
    def set_floating(self, layer_id: str, t, strokes: list | None = None) -> None:
        """Show layer `layer_id` (or only its `strokes`) moved by the affine `t` (document ->
        document) without changing the document: the move tool's live preview."""
        self.floating = (layer_id, tuple(t), list(strokes) if strokes is not None else None)
        self._cache = None
        self.update()

    def hint_moved(self, layer_id: str, t) -> None:
        """A whole layer is about to be moved by the affine `t`: while a big one is drawn again,
        show its old image moved (as the drag preview did) rather than a half-drawn layer."""
        previous = self.layer_images.previous(layer_id)
        if previous is not None:
            self._moved[layer_id] = (tuple(t), previous)

    def clear_floating(self) -> None:
        if self.floating is not None:
            self.floating = None
            self._float_parts = None
            self._cache = None
            self.update()

    def _blank(self) -> QImage:
        dpr = self.devicePixelRatioF()
        image = QImage(self.size() * dpr, QImage.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(dpr)
        return image

    def _page(self) -> QRectF:
        return self.transform().mapRect(QRectF(0, 0, self.document.width, self.document.height))

    def _image_space(self) -> tuple[QTransform, QSize, QPointF]:
        """How layer images are drawn: (document -> image transform, image size in device px,
        widget position of the image's origin). While the page at this zoom is a few million
        pixels at most, a layer image covers the page, so panning redraws no layer; beyond that it
        covers the widget."""
        dpr = self.devicePixelRatioF()
        w, h = self.document.width * self.zoom * dpr, self.document.height * self.zoom * dpr
        if w * h <= PAGE_IMAGE_PIXELS:
            return (QTransform.fromScale(self.zoom, self.zoom), QSize(math.ceil(w), math.ceil(h)),
                    QPointF(self.offset))
        return self.transform(), self.size() * dpr, QPointF(0, 0)

    def _layer_image(self, layer, exclude: frozenset = frozenset(), progressive: bool = False):
        """(the layer's image at this view, or None while a big one is drawn in slices; the
        widget position of the image's origin)."""
        space, size, origin = self._image_space()
        return self.layer_images.image(layer, space, size, self.devicePixelRatioF(), exclude, progressive), origin

    def _compose(self, image: QImage, layers, background: bool) -> None:
        """Draw the layers' screen images onto `image` (with the page and its shadow first)."""
        self._partial_shown = False
        p = QPainter(image)
        page = self._page()
        if background:
            p.fillRect(page.translated(3, 4), QColor(0, 0, 0, 60))
            p.fillRect(page, _checker_brush())
        p.setClipRect(page)
        for layer in layers:
            if not layer.visible or layer.opacity <= 0:
                continue
            p.setOpacity(layer.opacity)
            stale = self.layer_images.stale(layer) if self._zooming else None
            if stale is not None:
                self._sharpen.start()  # mid-zoom: the old image, scaled; sharp when zooming stops
            else:
                layer_image, origin = self._layer_image(layer, progressive=True)
                if layer_image is not None:
                    p.drawImage(origin, layer_image)
                    self._moved.pop(layer.id, None)
                    continue
                self._slices.start()  # a big layer is being drawn: the old image (or what is done)
                stale = self.layer_images.stale(layer)
                moved = self._moved.get(layer.id)
                if stale is None and moved is not None:  # just moved: its old image under the move
                    t, (old_image, drawn_with) = moved
                    p.setTransform(drawn_with.inverted()[0] * QTransform(*t) * self.transform())
                    p.drawImage(0, 0, old_image)
                    p.resetTransform()
                    continue
                if stale is None:
                    p.drawImage(origin, self.layer_images.partial(layer.id))
                    self._partial_shown = True
                    continue
            old_image, drawn_with = stale
            p.setTransform(drawn_with.inverted()[0] * self.transform())
            p.drawImage(0, 0, old_image)
            p.resetTransform()
        p.end()

    def _render_cache(self) -> QImage:
        image = self._blank()
        image.fill(QColor("#5b5e66"))
        if self.document is None:
            return image
        self.layer_images.keep_only({layer.id for layer in self.document.layers})
        if self.floating is None:
            self._compose(image, self.document.layers, True)
            return image
        return self._render_floating(image)

    def _render_floating(self, image: QImage) -> QImage:
        """A drag frame: the layers below and above the dragged one are composed once per drag
        (kept in _float_parts); each frame draws those two and the dragged layer's screen image
        (or strokes) under the drag's transform."""
        layer_id, t, strokes = self.floating
        layers = self.document.layers
        try:
            index = self.document.index_of(layer_id)
        except KeyError:
            self.floating = None
            self._compose(image, layers, True)
            return image
        exclude = frozenset(map(id, strokes)) if strokes else frozenset()
        key = (layer_id, exclude, self.zoom, self.offset.x(), self.offset.y(), self.width(), self.height())
        if self._float_parts is None or self._float_parts[0] != key:
            below, above = image.copy(), self._blank()
            above.fill(Qt.transparent)
            self._compose(below, layers[:index], True)
            self._compose(above, layers[index + 1:], False)
            box = layers[index].bounds()
            area = QRectF(self.rect())
            if box is not None:  # only the dragged layer's part of its screen image is drawn
                area = self.transform().mapRect(QRectF(box[0], box[1], box[2] - box[0], box[3] - box[1]))
                area = area.adjusted(-2, -2, 2, 2).intersected(QRectF(self.rect()))
            self._float_parts = (key, below, above, area)
        _, below, above, area = self._float_parts
        layer = layers[index]
        view = self.transform()
        dpr = self.devicePixelRatioF()
        p = QPainter(image)
        p.drawImage(0, 0, below)
        p.setClipRect(self._page())
        if layer.visible and layer.opacity > 0:
            p.setOpacity(layer.opacity)
            layer_image, origin = self._layer_image(layer, exclude)
            if strokes is None:  # the whole layer: its screen image is the proxy
                p.setRenderHint(QPainter.SmoothPixmapTransform, True)
                p.setTransform(view.inverted()[0] * QTransform(*t) * view)
                source = QRectF((area.x() - origin.x()) * dpr, (area.y() - origin.y()) * dpr,
                                area.width() * dpr, area.height() * dpr)
                p.drawImage(area, layer_image, source)
                p.resetTransform()
            else:
                p.drawImage(origin, layer_image)
                p.setTransform(QTransform(*t) * view)
                p.setRenderHint(QPainter.Antialiasing, True)
                for stroke in strokes:
                    paint_stroke(p, stroke)
                p.resetTransform()
        p.setOpacity(1.0)
        p.drawImage(0, 0, above)
        p.end()
        return image

    def _paint_appended(self) -> bool:
        """Strokes added to the topmost visible layer are painted onto its image and onto the
        composed canvas: no other layer is touched, however many strokes the page holds.
        False if the change was anything else (the canvas is composed again)."""
        changed, self._appended = self._appended, set()
        visible = [layer for layer in self.document.layers if layer.visible and layer.opacity > 0]
        if self.floating is not None or len(changed) != 1 or not visible:
            return False
        top = visible[-1]
        if top.id not in changed or top.opacity < 1.0:
            return False
        new = self.layer_images.appended(top)
        if new is None or self.layer_images.pending():
            return False
        if self._layer_image(top, progressive=True)[0] is None:
            return False
        p = QPainter(self._cache)
        p.setClipRect(self.transform().mapRect(QRectF(0, 0, self.document.width, self.document.height)))
        p.setRenderHint(QPainter.Antialiasing, True)
        p.setTransform(self.transform())
        for stroke in new:
            paint_stroke(p, stroke)
        p.end()
        return True

    def paintEvent(self, event) -> None:
        if self._cache is not None and self._appended and not self._paint_appended():
            self._cache = None
        self._appended = set()
        if self._cache is None or self._cache.size() != self.size() * self.devicePixelRatioF():
            self._cache = self._render_cache()
        painter = QPainter(self)
        painter.drawImage(0, 0, self._cache)
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setTransform(self.transform())
        for overlay in self.overlays:
            overlay(painter, self)
        for tool in {id(t): t for t in (self._gesture_tool, self._tool) if t is not None}.values():
            tool.paint_overlay(painter)
        painter.end()

    # -- tools --------------------------------------------------------------------------
    def set_tool(self, name: str) -> None:
        """Switch to the registered tool `name` (the old one drops its gesture)."""
        from artdesk.ui.tools import TOOLS

        if name not in TOOLS:
            raise KeyError(f"no tool called {name!r}")
        if self._tool is not None and self._tool.name == name:
            return
        if self._tool is not None:
            self._tool.deactivate()
        if name not in self.tools:
            self.tools[name] = TOOLS[name](self)
        self._tool = self.tools[name]
        self._tool.activate()
        self.setCursor(self._tool.cursor())
        self.toolChanged.emit(name)
        self.update()

    @property
    def tool(self) -> str:
        return self._tool.name if self._tool is not None else ""

    @tool.setter
    def tool(self, name: str) -> None:
        self.set_tool(name)

    def current_tool(self):
        return self._tool

    def active_layer(self):
        if self.document is None or self.active_layer_id is None:
            return None
        try:
            return self.document.layer(self.active_layer_id)
        except KeyError:
            return None

    def push(self, command) -> None:
        """Ask the window to apply a document Command as one undo step."""
        self.commandRequested.emit(command)

    def cancel_gesture(self) -> None:
        for tool in (self._tool, self._gesture_tool):
            if tool is not None:
                tool.cancel()
        self._gesture_tool = None
        self.update()

    def finish_edits(self) -> None:
        """Apply a pending transform (before saving or exporting, so the file shows the screen)."""
        for tool in (self._tool, self._gesture_tool):
            transformer = getattr(tool, "transformer", None)
            if transformer is not None and transformer.is_pending() and not transformer.dragging():
                transformer.apply()

    def busy(self) -> bool:
        return any(t is not None and t.busy() for t in (self._tool, self._gesture_tool))

    def _event(self, pos: QPointF, pressure: float, modifiers, button=Qt.LeftButton, pen=False):
        from artdesk.ui.tools import ToolEvent

        return ToolEvent(QPointF(pos), self.to_document(pos), float(pressure), modifiers, button, pen)

    def _press(self, event, tool) -> None:
        self._gesture_tool = tool
        tool.press(event)

    def _tool_for_pointer(self, eraser_end: bool):
        if eraser_end and (self._tool is None or self._tool.name != "eraser"):
            if "eraser" not in self.tools:
                from artdesk.ui.tools import TOOLS

                self.tools["eraser"] = TOOLS["eraser"](self)
            return self.tools["eraser"]
        return self._tool

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MiddleButton or (event.button() == Qt.LeftButton and self._space_down):
            self._pan_from = event.position()
            self.setCursor(Qt.ClosedHandCursor)
        elif event.button() == Qt.LeftButton and self._tool is not None:
            self._press(self._event(event.position(), 1.0, event.modifiers()), self._tool)
        elif event.button() == Qt.RightButton:
            if self._gesture_tool is not None and self._gesture_tool.busy():
                self.cancel_gesture()
            else:
                self.contextMenuRequested.emit(event.globalPosition().toPoint(), self.to_document(event.position()))

    def mouseMoveEvent(self, event) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.pan_by(delta.x(), delta.y())
            return
        tool_event = self._event(event.position(), 1.0, event.modifiers())
        if self._gesture_tool is not None:
            self._gesture_tool.move(tool_event)
        elif self._tool is not None:
            self._tool.hover(tool_event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None and event.button() in (Qt.MiddleButton, Qt.LeftButton):
            self._pan_from = None
            self.setCursor(self._tool.cursor() if self._tool else Qt.ArrowCursor)
        elif event.button() == Qt.LeftButton and self._gesture_tool is not None:
            tool, self._gesture_tool = self._gesture_tool, None
            tool.release(self._event(event.position(), 1.0, event.modifiers()))

    def mouseDoubleClickEvent(self, event) -> None:
        if event.button() == Qt.LeftButton and self._tool is not None and hasattr(self._tool, "double_click"):
            self._tool.double_click(self._event(event.position(), 1.0, event.modifiers()))
        else:
            self.mousePressEvent(event)

    def tabletEvent(self, event) -> None:
        """Pen input: pressure sets the width; the pen's eraser end erases strokes."""
        eraser = event.pointerType() == QPointingDevice.PointerType.Eraser
        kind = event.type()
        tool_event = self._event(event.position(), event.pressure(), event.modifiers(), pen=True)
        if kind == event.Type.TabletPress:
            tool = self._tool_for_pointer(eraser)
            if tool is not None:
                self._press(tool_event, tool)
        elif kind == event.Type.TabletMove:
            if self._gesture_tool is not None:
                self._gesture_tool.move(tool_event)
        elif kind == event.Type.TabletRelease:
            if self._gesture_tool is not None:
                tool, self._gesture_tool = self._gesture_tool, None
                tool.release(tool_event)
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
        elif self._tool is not None and self._tool.key_press(event):
            event.accept()
        elif event.key() == Qt.Key_Escape:
            self.cancel_gesture()
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            self.setCursor(self._tool.cursor() if self._tool else Qt.ArrowCursor)
        elif self._tool is not None and self._tool.key_release(event):
            event.accept()
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
