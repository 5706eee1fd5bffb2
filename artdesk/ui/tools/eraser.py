"""The stroke eraser: strokes of the active vector layer that the pointer touches are removed whole."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPainter

from artdesk.document.model import Stroke, VectorLayer
from artdesk.export.render import paint_stroke
from artdesk.ui.tools.base import Tool, ToolEvent, register


@register
class StrokeEraserTool(Tool):
    name = "eraser"
    label = "Stroke &eraser"
    shortcut = "E"
    icon = "SP_DialogDiscardButton"
    tip = "Stroke eraser: touch strokes to remove them"

    def __init__(self, canvas):
        super().__init__(canvas)
        self._erasing: list[Stroke] | None = None

    def busy(self) -> bool:
        return self._erasing is not None

    def cancel(self) -> None:
        self._erasing = None
        self.canvas.update()

    def _erase_at(self, event: ToolEvent) -> None:
        layer = self.canvas.active_layer()
        if not isinstance(layer, VectorLayer):
            return
        radius = self.canvas.eraser_radius / max(self.canvas.zoom, 1e-6)
        x, y = event.doc.x(), event.doc.y()
        for stroke in layer.strokes:
            if stroke not in self._erasing and (stroke.distance_to(x, y) <= radius + stroke.width / 2
                                                or stroke.fill_contains(x, y)):  # a filled shape: its inside too
                self._erasing.append(stroke)

    def press(self, event: ToolEvent) -> None:
        self._erasing = []
        self._erase_at(event)
        self.canvas.update()

    def move(self, event: ToolEvent) -> None:
        if self._erasing is not None:
            self._erase_at(event)
            self.canvas.update()

    def release(self, event: ToolEvent) -> None:
        erased, self._erasing = self._erasing, None
        if erased:
            self.canvas.eraseFinished.emit(erased)
        self.canvas.update()

    def paint_overlay(self, painter: QPainter) -> None:
        for stroke in self._erasing or ():
            paint_stroke(painter, stroke, QColor(255, 80, 80, 160))
