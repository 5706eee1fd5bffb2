"""The eyedropper (I, or Alt+click with the brush): the brush takes the colour of the printed
picture under the pointer (the transparent page gives nothing)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QCursor

from artdesk.export.render import render_rgba
from artdesk.ui.tools.base import Tool, ToolEvent, register


def colour_at(doc, point: QPointF) -> QColor | None:
    """The picture's colour at a document point (one pixel rendered at the page's scale), or None
    where nothing is painted."""
    if doc is None or not (0 <= point.x() < doc.width and 0 <= point.y() < doc.height):
        return None
    px = render_rgba(doc, 1, 1, 1.0, 1.0, -point.x() + 0.5, -point.y() + 0.5)[0, 0]
    if px[3] < 8:
        return None
    return QColor(int(px[0]), int(px[1]), int(px[2]))


def pick_colour(canvas, point: QPointF) -> QColor | None:
    """Set the brush colour from the picture at `point` (through the window, so the colour button
    and settings follow); returns the colour, or None (with a status note) on bare page."""
    colour = colour_at(canvas.document, point)
    window = canvas.window()
    if colour is None:
        if hasattr(window, "statusBar"):
            window.statusBar().showMessage("Nothing painted here to pick a colour from", 3000)
        return None
    if hasattr(window, "set_color"):
        window.set_color(colour)
    else:
        canvas.brush_color = colour
    return colour


@register
class EyedropperTool(Tool):
    name = "eyedropper"
    label = "E&yedropper"
    shortcut = "I"
    icon = "tools/eyedropper.png"
    tip = "Eyedropper: click the picture to take its colour (Alt+click does it while painting)"

    def __init__(self, canvas):
        super().__init__(canvas)
        self._down = False

    def cursor(self) -> QCursor:
        return QCursor(Qt.CrossCursor)

    def busy(self) -> bool:
        return self._down

    def cancel(self) -> None:
        self._down = False

    def press(self, event: ToolEvent) -> None:
        self._down = True
        pick_colour(self.canvas, event.doc)

    def move(self, event: ToolEvent) -> None:
        if self._down:
            pick_colour(self.canvas, event.doc)

    def release(self, event: ToolEvent) -> None:
        self._down = False
