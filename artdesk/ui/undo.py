"""Document commands on the one Qt undo history."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from artdesk.document.commands import Command, SetLayerProperty
from artdesk.document.model import Document

MERGE_LAYER_PROPERTY = 1001


class DocumentCommand(QUndoCommand):
    def __init__(self, doc: Document, command: Command):
        super().__init__(command.text)
        self.doc = doc
        self.commands = [command]

    def redo(self) -> None:
        for command in self.commands:
            command.do(self.doc)

    def undo(self) -> None:
        for command in reversed(self.commands):
            command.undo(self.doc)

    def id(self) -> int:
        cmd = self.commands[0]
        return MERGE_LAYER_PROPERTY if isinstance(cmd, SetLayerProperty) and cmd.prop == "opacity" else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        """Dragging the opacity slider makes one undo step, not one per pixel of travel."""
        if not isinstance(other, DocumentCommand):
            return False
        mine, theirs = self.commands[-1], other.commands[0]
        if not (isinstance(mine, SetLayerProperty) and isinstance(theirs, SetLayerProperty)
                and mine.layer_id == theirs.layer_id and mine.prop == theirs.prop):
            return False
        self.commands.extend(other.commands)
        return True
