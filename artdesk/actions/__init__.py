"""What a user asks for, without Qt: one module per engine.

Each action is a typed request (a dataclass) -> a job (a generator yielding Progress, run by the
UI's job runner or by `run_to_end` in the CLI) -> a function that turns the job's result into
`Applied`: the undo commands that put it in the document, generation metadata included. The panel
tabs only map widgets to requests and show results; the CLI calls the same actions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from artdesk.document.commands import Command


@dataclass
class Applied:
    """The undo commands that apply one result, pushed as one undo step (a macro) called `text`;
    `select` is the layer to make active afterwards; `place` a new layer (added by one of the
    commands) that the desk puts where the user looks, at a size that leaves room around it
    (document.placement), with its transform handles showing. The CLI leaves it where it is."""

    text: str
    commands: list[Command] = field(default_factory=list)
    select: str | None = None
    place: str | None = None
