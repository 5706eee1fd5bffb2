"""Small widgets shared by the generation tabs."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFrame, QPushButton, QScrollArea, QSlider, QToolButton,
                               QSpinBox, QVBoxLayout, QWidget)


class _WheelOnlyWithFocus:
    """Leave the mouse wheel to the scroll area unless the widget has the focus, so scrolling
    a panel never changes a setting by accident."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setFocusPolicy(Qt.StrongFocus)

    def wheelEvent(self, event) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class SpinBox(_WheelOnlyWithFocus, QSpinBox):
    pass


class DoubleSpinBox(_WheelOnlyWithFocus, QDoubleSpinBox):
    pass


class ComboBox(_WheelOnlyWithFocus, QComboBox):
    pass


class Slider(_WheelOnlyWithFocus, QSlider):
    pass


def button(text: str, tip: str, slot) -> QPushButton:
    """A push button that may shrink below the style's usual 80 px (the docks are narrow)."""
    b = QPushButton(text)
    b.setToolTip(tip)
    b.setMinimumWidth(b.fontMetrics().horizontalAdvance(text) + 16)
    b.clicked.connect(slot)
    return b


def spin_box(lo: int, hi: int, value: int, tip: str, suffix: str = "", step: int = 1) -> SpinBox:
    box = SpinBox()
    box.setRange(lo, hi)
    box.setValue(value)
    box.setSingleStep(step)
    box.setSuffix(suffix)
    box.setToolTip(tip)
    box.setAccelerated(True)
    box.setMinimumWidth(56)
    return box


def fill_with_scroll_area(tab: QWidget, content: QWidget) -> None:
    """Put a tab's content in a frameless vertical scroll area (the docks are narrow and short)."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
    scroll.setWidget(content)
    outer = QVBoxLayout(tab)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(scroll)


def run_shortcut(tab: QWidget, slot) -> None:
    """Ctrl+Return (and the keypad's Enter) runs the tab's main action while it has the focus."""
    for keys in ("Ctrl+Return", "Ctrl+Enter"):
        shortcut = QShortcut(QKeySequence(keys), tab)
        shortcut.setContext(Qt.WidgetWithChildrenShortcut)
        shortcut.activated.connect(slot)


def paint_placeholder(view, text: str) -> None:
    """Say what an empty list view is for, in the placeholder colour, centred in its viewport."""
    from PySide6.QtGui import QPainter

    painter = QPainter(view.viewport())
    painter.setPen(view.palette().placeholderText().color())
    painter.drawText(view.viewport().rect().adjusted(8, 4, -8, -4), Qt.AlignCenter | Qt.TextWordWrap, text)
    painter.end()


def tool_buttons(layout, specs) -> dict:
    """A row of text buttons added to `layout`, one per (key, text, tooltip, slot) -> {key: button}."""
    buttons = {}
    for key, text, tip, slot in specs:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        layout.addWidget(button)
        buttons[key] = button
    return buttons
