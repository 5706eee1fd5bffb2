"""The tool interface and registry.

A tool is one class: it gets press/move/release as ToolEvents (widget and document positions,
pressure, modifiers), may handle keys, paints an overlay over the canvas in document units, names
its cursor and may offer an options widget (shown in the window's tool options bar). Tools never
change the document directly: they emit signals or ask the canvas to push a document Command, so
every edit is one undo step on the window's history.

Register a tool once with @register; the window builds a checkable toolbar action from the class
attributes (label, shortcut, icon, tip) in registration order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QCursor, QKeyEvent, QPainter

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from artdesk.ui.canvas import CanvasView


@dataclass
class ToolEvent:
    pos: QPointF  # widget pixels
    doc: QPointF  # document units
    pressure: float = 1.0
    modifiers: Qt.KeyboardModifier = Qt.NoModifier
    button: Qt.MouseButton = Qt.LeftButton
    pen: bool = False  # from a tablet pen


class Tool:
    name = ""  # registry key, e.g. "brush"
    label = ""  # toolbar and menu text
    shortcut = ""  # single key painters know, e.g. "B"
    icon = ""  # a QStyle.StandardPixmap name or a file under resources/icons ("" for none)
    tip = ""  # status-bar text when the tool is chosen

    def __init__(self, canvas: CanvasView):
        self.canvas = canvas
        self._options: QWidget | None = None

    # -- life cycle ----------------------------------------------------------------------
    def activate(self) -> None:
        """The tool was chosen."""

    def deactivate(self) -> None:
        """Another tool was chosen: finish or drop what is in progress."""
        self.cancel()

    def busy(self) -> bool:
        """True while a gesture (or a pending edit) is in progress; Escape goes to cancel()."""
        return False

    def cancel(self) -> None:
        """Drop the gesture in progress without changing the document."""

    # -- input ---------------------------------------------------------------------------
    def press(self, event: ToolEvent) -> None:
        pass

    def move(self, event: ToolEvent) -> None:
        """Pointer moved with the button down."""

    def release(self, event: ToolEvent) -> None:
        pass

    def hover(self, event: ToolEvent) -> None:
        """Pointer moved with no button down (for cursors over handles)."""

    def key_press(self, event: QKeyEvent) -> bool:
        """Return True if the key was used."""
        return False

    def key_release(self, event: QKeyEvent) -> bool:
        return False

    def document_changed(self, what: str, detail: object) -> None:
        """The document changed (an undo, a generated layer): drop stale state."""

    # -- looks ---------------------------------------------------------------------------
    def paint_overlay(self, painter: QPainter) -> None:
        """Paint gesture feedback; the painter maps document units to the widget."""

    def cursor(self) -> QCursor:
        return QCursor(Qt.CrossCursor)

    def options_widget(self) -> QWidget | None:
        """The widget for the tool options bar, made once (None: no options)."""
        if self._options is None:
            self._options = self.make_options()
        return self._options

    def make_options(self) -> QWidget | None:
        return None


TOOLS: dict[str, type[Tool]] = {}


def register(cls: type[Tool]) -> type[Tool]:
    if not cls.name:
        raise ValueError(f"{cls.__name__} needs a name")
    TOOLS[cls.name] = cls
    return cls
