"""The brush: mouse or pen input becomes one Stroke (x, y, pressure, t) in document units."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtGui import QPainter

from PySide6.QtCore import Qt

from artdesk.document.geometry import pressure_curve, smooth_points
from artdesk.document.model import Stroke
from artdesk.export.render import paint_stroke
from artdesk.ui.tools.base import Tool, ToolEvent, register


@register
class BrushTool(Tool):
    name = "brush"
    label = "&Brush"
    shortcut = "B"
    icon = ""
    tip = "Brush: draw with the mouse or a pen"

    def __init__(self, canvas):
        super().__init__(canvas)
        self._points: list[list[float]] | None = None
        self._t0 = time.monotonic()

    def busy(self) -> bool:
        return self._points is not None

    def cancel(self) -> None:
        self._points = None
        self.canvas.update()

    def current_stroke(self) -> Stroke:
        """The stroke so far, steadied by the smoothing setting, drawn with the brush preset."""
        points = smooth_points(np.asarray(self._points, np.float32), getattr(self.canvas, "smoothing", 0.0))
        return Stroke(points, self.canvas.brush_color.name(), self.canvas.brush_size,
                      brush=getattr(self.canvas, "brush_preset", "round"))

    def make_options(self):
        from artdesk.ui.tools.brush_options import brush_options

        return brush_options(self.canvas)

    def _add(self, event: ToolEvent) -> None:
        x, y = event.doc.x(), event.doc.y()
        last = self._points[-1] if self._points else None
        pressure = float(pressure_curve(event.pressure, getattr(self.canvas, "pressure_curve", 0.0))) \
            if event.pen else event.pressure
        if last is not None and abs(last[0] - x) < 1e-3 and abs(last[1] - y) < 1e-3:
            last[2] = max(last[2], pressure)
            return
        self._points.append([x, y, pressure, time.monotonic() - self._t0])

    def press(self, event: ToolEvent) -> None:
        if event.modifiers & Qt.AltModifier:  # Alt+click: the eyedropper, without leaving the brush
            from artdesk.ui.tools.eyedropper import pick_colour

            pick_colour(self.canvas, event.doc)
            return
        self._points = []
        self._add(event)
        self.canvas.update()

    def move(self, event: ToolEvent) -> None:
        if self._points is not None:
            self._add(event)
            self.canvas.update()

    def release(self, event: ToolEvent) -> None:
        if self._points:
            stroke = self.current_stroke()
            self._points = None
            self.canvas.strokeFinished.emit(stroke)
        self._points = None
        self.canvas.update()

    def paint_overlay(self, painter: QPainter) -> None:
        if self._points:
            paint_stroke(painter, self.current_stroke())
