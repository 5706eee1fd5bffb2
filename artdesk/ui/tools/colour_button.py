"""A small button that shows a colour and opens a colour dialog (for tool options)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QColorDialog, QToolButton


class ColourButton(QToolButton):
    changed = Signal(str)

    def __init__(self, colour: str, title: str = "Colour", parent=None):
        super().__init__(parent)
        self.title = title
        self.setToolTip(title)
        self.set_colour(colour)
        self.clicked.connect(self.choose)

    def set_colour(self, colour: str) -> None:
        self.colour = QColor(colour).name()
        pixmap = QPixmap(16, 16)
        pixmap.fill(QColor(self.colour))
        self.setIcon(QIcon(pixmap))
        self.changed.emit(self.colour)

    def choose(self) -> None:
        colour = QColorDialog.getColor(QColor(self.colour), self, self.title)
        if colour.isValid():
            self.set_colour(colour.name())
