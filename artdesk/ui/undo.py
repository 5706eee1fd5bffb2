"""Document commands on the one Qt undo history."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from artdesk.document.commands import AddLayer, Batch, Command, SetLayerProperty, TransformLayer
from artdesk.document.model import Document

MERGE_LAYER_PROPERTY = 1001
MERGE_LIFT = 1002  # lifting a pixel selection and the transform that moves it: one undo step
LIFT_TEXT = "Lift selection"


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
        if isinstance(cmd, SetLayerProperty) and cmd.prop == "opacity":
            return MERGE_LAYER_PROPERTY
        if (isinstance(cmd, Batch) and cmd.text == LIFT_TEXT) or isinstance(cmd, TransformLayer):
            return MERGE_LIFT
        return -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        """Dragging the opacity slider makes one undo step, not one per pixel of travel; a lifted
        selection and its move are one step too."""
        if not isinstance(other, DocumentCommand):
            return False
        mine, theirs = self.commands[-1], other.commands[0]
        if self.id() == MERGE_LIFT:
            lifted = [c.layer.id for c in getattr(mine, "commands", []) if isinstance(c, AddLayer)]
            if len(self.commands) == 1 and isinstance(mine, Batch) and mine.text == LIFT_TEXT and \
                    isinstance(theirs, TransformLayer) and theirs.layer_id in lifted:
                self.commands.append(theirs)
                self.setText("Move selection")
                return True
            return False
        if not (isinstance(mine, SetLayerProperty) and isinstance(theirs, SetLayerProperty)
                and mine.layer_id == theirs.layer_id and mine.prop == theirs.prop):
            return False
        self.commands.extend(other.commands)
        return True
