"""Small widgets shared by the generation tabs."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QSlider, QSpinBox


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
