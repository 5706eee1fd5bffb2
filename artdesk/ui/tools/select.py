"""Selection tools: rectangle (M) and lasso (L). On a vector layer they select the strokes mostly
inside; on a raster layer, the pixels inside. A stroke selection gets transform handles at once; a
pixel selection is lifted onto a layer of its own when dragged. Copy, cut, paste, delete and
"to a new layer" are window actions (see compose.py) that read canvas.selection."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QCursor, QPainter, QPen, QPolygonF

from artdesk.document.commands import AddLayer, Batch, SetRasterPixels
from artdesk.document.model import RasterLayer
from artdesk.document.selection import (
    cleared,
    copied_layer,
    inside,
    raster_mask,
    rect_polygon,
    select,
)
from artdesk.ui.tools.base import Tool, ToolEvent, register
from artdesk.ui.tools.transform import (
    Target,
    Transformer,
    TransformOptions,
    transform_keys,
)

CLICK_PX = 3  # a drag shorter than this is a click: it clears the selection


@register
class RectSelectTool(Tool):
    name = "select"
    label = "Rectangle &select"
    shortcut = "M"
    icon = ""
    tip = ("Select: drag a rectangle over strokes or pixels of the active layer; drag inside to move, "
           "handles to scale and rotate; Ctrl+C/X/V, Del; Ctrl+J makes a layer of it")
    lasso = False

    def __init__(self, canvas):
        super().__init__(canvas)
        self.transformer = Transformer(canvas, self._changed)
        self._path: list[QPointF] | None = None
        self._press_pos: QPointF | None = None

    # -- selection and handles -----------------------------------------------------------
    def _changed(self) -> None:
        sel, target = self.canvas.selection, self.transformer.target
        if sel is not None and sel.strokes is not None and target is not None and target.strokes is not None:
            sel.strokes = target.strokes
        if self._options is not None:
            self._options.sync()
        self.canvas.update()

    def make_options(self):
        return TransformOptions(self.transformer)

    def sync_selection(self) -> None:
        """Handles on the canvas's stroke selection (if any)."""
        sel = self.canvas.selection
        if sel is not None and sel.strokes:
            target = self.transformer.target
            if target is None or target.layer_id != sel.layer_id or target.strokes != sel.strokes:
                self.transformer.set_target(Target(sel.layer_id, list(sel.strokes)))
        elif self.transformer.target is not None and self.transformer.target.strokes is not None:
            self.transformer.set_target(None)

    def activate(self) -> None:
        self.sync_selection()

    def deactivate(self) -> None:
        self._path = None
        self.transformer.apply()
        self.transformer.set_target(None)

    def busy(self) -> bool:
        return self._path is not None or self.transformer.is_pending() or self.transformer.dragging()

    def cancel(self) -> None:
        self._path = None
        self.transformer.cancel()
        self.canvas.update()

    def document_changed(self, what: str, detail: object) -> None:
        t = self.transformer
        if t.target is None or t.dragging() or t.applying:
            return
        if detail == t.target.layer_id or what not in ("strokes", "layer"):
            if t.is_pending():
                t.cancel()
            t.refresh_frame()
            if t.target is None and self.canvas.selection is not None and self.canvas.selection.strokes is not None:
                self.canvas.set_selection(None)

    # -- input ---------------------------------------------------------------------------
    def press(self, event: ToolEvent) -> None:
        sel = self.canvas.selection
        if self.transformer.target is not None and self.transformer.begin(event.pos):
            return
        if sel is not None and sel.strokes is None and \
                inside(sel.polygon, np.array([[event.doc.x(), event.doc.y()]]))[0] and self._lift(sel):
            self.transformer.begin(event.pos, "move")
            return
        self.transformer.apply()
        self._path = [event.doc]
        self._press_pos = event.pos

    def _lift(self, sel) -> bool:
        """Move a pixel selection onto a layer of its own, with handles on it."""
        piece_id = lift(self.canvas, sel)
        if piece_id is None:
            return False
        self.transformer.set_target(Target(piece_id))
        return True

    def move(self, event: ToolEvent) -> None:
        if self.transformer.dragging():
            self.transformer.drag(event.doc, event.modifiers)
        elif self._path is not None:
            if self.lasso:
                self._path.append(event.doc)
            else:
                self._path = [self._path[0], event.doc]
            self.canvas.update()

    def release(self, event: ToolEvent) -> None:
        if self.transformer.dragging():
            self.transformer.end()
            return
        if self._path is None:
            return
        path, self._path = self._path, None
        moved = event.pos - self._press_pos
        if abs(moved.x()) + abs(moved.y()) < CLICK_PX:
            self.canvas.set_selection(None)
            return
        if self.lasso:
            polygon = np.array([(p.x(), p.y()) for p in path + [event.doc]])
        else:
            polygon = rect_polygon(path[0].x(), path[0].y(), event.doc.x(), event.doc.y())
        layer = self.canvas.active_layer()
        sel = select(layer, polygon) if layer is not None and layer.visible and not layer.is_guide else None
        self.canvas.set_selection(sel)
        if sel is None:
            self.canvas.window().statusBar().showMessage(
                "Nothing of the active layer is inside; pick the layer in the Layers panel first.", 4000) \
                if hasattr(self.canvas.window(), "statusBar") else None

    def hover(self, event: ToolEvent) -> None:
        self.canvas.setCursor(self.transformer.cursor_at(event.pos) or self.cursor())

    def key_press(self, event) -> bool:
        return transform_keys(self.transformer, event)

    # -- looks ----------------------------------------------------------------------------
    def paint_overlay(self, painter: QPainter) -> None:
        sel = self.canvas.selection
        polygons = []
        if self._path is not None and len(self._path) >= 2:
            if self.lasso:
                polygons.append(QPolygonF(self._path))
            else:
                a, b = self._path
                polygons.append(QPolygonF([QPointF(*xy) for xy in rect_polygon(a.x(), a.y(), b.x(), b.y())]))
        if sel is not None and sel.strokes is None:
            polygons.append(QPolygonF([QPointF(float(x), float(y)) for x, y in sel.polygon]))
        painter.save()
        view = painter.transform()
        painter.resetTransform()
        painter.setBrush(Qt.NoBrush)
        for polygon in polygons:
            screen = view.map(polygon)
            painter.setPen(QPen(QColor("white"), 1.5))
            painter.drawPolygon(screen)
            painter.setPen(QPen(QColor("black"), 1.5, Qt.DashLine))
            painter.drawPolygon(screen)
        painter.restore()
        self.transformer.paint(painter)

    def cursor(self) -> QCursor:
        return QCursor(Qt.CrossCursor)


def lift(canvas, sel) -> str | None:
    """Put the pixels of a raster selection on a layer of their own, just above, where they were
    (one undo step, which the move that follows joins); returns the new layer's id."""
    doc = canvas.document
    try:
        layer = doc.layer(sel.layer_id)
    except KeyError:
        return None
    if not isinstance(layer, RasterLayer):
        return None
    mask = raster_mask(layer, sel.polygon)
    piece = copied_layer(layer, mask, doc.unique_layer_name(f"{layer.name} piece"))
    if piece is None:
        return None
    canvas.push(Batch([SetRasterPixels(layer.id, cleared(layer, mask)),
                       AddLayer(piece, index=doc.index_of(layer.id) + 1)], text="Lift selection"))
    canvas.set_selection(None)
    canvas.layerPicked.emit(piece.id)
    return piece.id


@register
class LassoSelectTool(RectSelectTool):
    name = "lasso"
    label = "&Lasso select"
    shortcut = "L"
    tip = ("Lasso: draw round strokes or pixels of the active layer to select them; drag inside to move; "
           "Ctrl+C/X/V, Del; Ctrl+J makes a layer of it")
    lasso = True
