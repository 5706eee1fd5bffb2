"""The move/transform tool (V): click picks the topmost visible layer under the pointer; its box
has handles to move, scale (Shift keeps the aspect) and rotate (Shift snaps to 15 degrees);
arrows nudge, Enter applies, Esc cancels. See transform.py."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QCursor, QPainter

from artdesk.ui.tools.base import Tool, ToolEvent, register
from artdesk.ui.tools.transform import (
    Target,
    Transformer,
    TransformOptions,
    transform_keys,
)

PICK_PX = 4  # how near a stroke a click picks it, in screen px


@register
class MoveTool(Tool):
    name = "move"
    label = "&Move / transform"
    shortcut = "V"
    icon = "SP_ArrowUp"
    tip = ("Move: click a layer to pick it; drag to move, corners to scale (Shift: keep aspect), the round "
           "handle or just outside a corner to rotate (Shift: 15°); arrows nudge; Enter applies, Esc cancels")

    def __init__(self, canvas):
        super().__init__(canvas)
        self.transformer = Transformer(canvas, self._changed)

    def _changed(self) -> None:
        if self._options is not None:
            self._options.sync()
        self.canvas.update()

    def make_options(self):
        return TransformOptions(self.transformer)

    # -- life cycle ----------------------------------------------------------------------
    def activate(self) -> None:
        if self.transformer.target is None:
            layer = self.canvas.active_layer()
            if layer is not None and not layer.is_empty() and not layer.is_guide:
                self.transformer.set_target(Target(layer.id))

    def deactivate(self) -> None:
        self.transformer.apply()
        self.transformer.set_target(None)

    def busy(self) -> bool:
        return self.transformer.is_pending() or self.transformer.dragging()

    def cancel(self) -> None:
        self.transformer.cancel()

    def document_changed(self, what: str, detail: object) -> None:
        t = self.transformer
        if t.target is None or t.dragging() or t.applying:
            return
        if detail == t.target.layer_id or what not in ("strokes", "layer"):
            if t.is_pending():  # e.g. an undo under a pending transform: drop it
                t.cancel()
            t.refresh_frame()
            self._changed()

    def transform(self, target: Target) -> None:
        """Show handles on `target` (Ctrl+T, a freshly placed result)."""
        self.transformer.set_target(target)

    # -- input ---------------------------------------------------------------------------
    def pick(self, event: ToolEvent):
        """The topmost visible, printable layer that paints something under the pointer."""
        doc = self.canvas.document
        tolerance = PICK_PX / max(self.canvas.zoom, 1e-6)
        for layer in reversed(doc.layers if doc else []):
            if layer.visible and layer.opacity > 0 and not layer.is_guide and \
                    layer.hit(event.doc.x(), event.doc.y(), tolerance):
                return layer
        return None

    def press(self, event: ToolEvent) -> None:
        t = self.transformer
        if t.begin(event.pos):
            return
        layer = self.pick(event)
        if layer is None:
            t.apply()
            t.set_target(None)
            return
        t.set_target(Target(layer.id))
        self.canvas.layerPicked.emit(layer.id)
        t.begin(event.pos, "move")

    def move(self, event: ToolEvent) -> None:
        self.transformer.drag(event.doc, event.modifiers)

    def release(self, event: ToolEvent) -> None:
        self.transformer.end()

    def hover(self, event: ToolEvent) -> None:
        self.canvas.setCursor(self.transformer.cursor_at(event.pos) or self.cursor())

    def double_click(self, event: ToolEvent) -> None:
        self.transformer.apply()

    def key_press(self, event) -> bool:
        return transform_keys(self.transformer, event)

    def paint_overlay(self, painter: QPainter) -> None:
        self.transformer.paint(painter)

    def cursor(self) -> QCursor:
        return QCursor(Qt.ArrowCursor)
