"""Shape tools: drag a box to draw an ellipse, rectangle, polygon or star as one closed vector
stroke (outline in the brush colour and size, and/or a fill colour). Shift keeps it round/square."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from artdesk.document.geometry import SHAPES, shape_stroke
from artdesk.export.render import paint_stroke
from artdesk.ui.tools.base import Tool, ToolEvent, register
from artdesk.ui.tools.colour_button import ColourButton

MIN_SIZE = 2.0  # document units: a click without a drag draws nothing


@register
class ShapeTool(Tool):
    name = "shape"
    label = "S&hapes"
    shortcut = "U"
    icon = "tools/shapes.png"
    tip = "Shapes: drag to draw an ellipse, rectangle, polygon or star (Shift: round/square)"

    def __init__(self, canvas):
        super().__init__(canvas)
        self.kind = "star"
        self.sides = 5
        self.inner = 0.45
        self.outline = True
        self.fill = ""  # "" = no fill
        self.fill_colour = "#ffcc00"
        self._start = None
        self._end = None

    def busy(self) -> bool:
        return self._start is not None

    def cancel(self) -> None:
        self._start = self._end = None
        self.canvas.update()

    def _box(self, event: ToolEvent):
        x0, y0 = self._start
        x1, y1 = event.doc.x(), event.doc.y()
        if event.modifiers & Qt.ShiftModifier:
            side = max(abs(x1 - x0), abs(y1 - y0))
            x1 = x0 + side * (1 if x1 >= x0 else -1)
            y1 = y0 + side * (1 if y1 >= y0 else -1)
        return x0, y0, x1, y1

    def stroke(self, box) -> "object":
        return shape_stroke(self.kind, *box, color=self.canvas.brush_color.name(), width=self.canvas.brush_size,
                            fill=self.fill, outline=self.outline, sides=self.sides, inner=self.inner)

    def press(self, event: ToolEvent) -> None:
        self._start = (event.doc.x(), event.doc.y())
        self._end = self._start + self._start

    def move(self, event: ToolEvent) -> None:
        if self._start is not None:
            self._end = self._box(event)
            self.canvas.update()

    def release(self, event: ToolEvent) -> None:
        if self._start is None:
            return
        box = self._box(event)
        self._start = self._end = None
        self.canvas.update()
        if abs(box[2] - box[0]) >= MIN_SIZE and abs(box[3] - box[1]) >= MIN_SIZE:
            self.canvas.strokeFinished.emit(self.stroke(box))

    def paint_overlay(self, painter: QPainter) -> None:
        if self._start is not None and self._end is not None and self._end[:2] != self._end[2:]:
            paint_stroke(painter, self.stroke(self._end), QColor(self.canvas.brush_color))

    # -- options ---------------------------------------------------------------------------
    def make_options(self) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(4, 0, 4, 0)
        kind = QComboBox()
        for name in SHAPES:
            kind.addItem(name.capitalize(), name)
        kind.setCurrentIndex(SHAPES.index(self.kind))
        sides = QSpinBox()
        sides.setRange(3, 24)
        sides.setValue(self.sides)
        sides.setToolTip("Corners of the polygon, points of the star")
        inner = QDoubleSpinBox()
        inner.setRange(0.1, 0.95)
        inner.setSingleStep(0.05)
        inner.setValue(self.inner)
        inner.setToolTip("The star's inner radius, as a share of the outer one")
        outline = QCheckBox("Outline")
        outline.setChecked(self.outline)
        fill = QCheckBox("Fill")
        fill.setChecked(bool(self.fill))
        colour = ColourButton(self.fill_colour, "Fill colour")

        def sync(*_):
            self.kind = kind.currentData()
            self.sides, self.inner = sides.value(), inner.value()
            self.fill_colour = colour.colour
            self.fill = self.fill_colour if fill.isChecked() else ""
            self.outline = outline.isChecked() or not fill.isChecked()
            sides.setEnabled(self.kind in ("polygon", "star"))
            inner.setEnabled(self.kind == "star")

        for signal in (kind.currentIndexChanged, sides.valueChanged, inner.valueChanged, outline.toggled,
                       fill.toggled, colour.changed):
            signal.connect(sync)
        for widget in (QLabel("Shape"), kind, QLabel("Corners"), sides, QLabel("Inner"), inner, outline, fill, colour):
            row.addWidget(widget)
        row.addStretch(1)
        box.kind, box.sides, box.inner, box.outline, box.fill, box.colour = kind, sides, inner, outline, fill, colour
        sync()
        return box
