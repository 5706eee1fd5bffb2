"""Doodle actions: a request (engines.doodle_io.Request) -> `doodle_job` -> `place_candidate`,
the undo commands that put the chosen candidate on the page with what made it."""

from __future__ import annotations

import dataclasses
from pathlib import Path


from artdesk.actions import Applied
from artdesk.document import commands as cmds
from artdesk.document.model import Document, Stroke, VectorLayer
from artdesk.engines.doodle_io import Frame, Outcome, Request, continuation_lines, doodle_job, placed_lines

__all__ = ["Applied", "Outcome", "Request", "again", "doodle_job", "generation", "place_candidate"]

LAYER_NAMES = {"redraw": "Redrawn", "morph": "Morph", "mix": "Mix", "random": "Doodle"}


def again(request: Request, seed: int, temperature: float, pick: bool) -> Request:
    """The same question with a new seed (a new Request: the old one stays as it was asked)."""
    return dataclasses.replace(request, seed=seed, temperature=temperature, pick=pick)


def generation(request: Request, index: int) -> dict:
    """What made candidate `index`: enough to make it again."""
    found = {"engine": "doodle", "model": Path(request.model).name, "action": request.action,
             "seed": request.seed, "temperature": request.temperature, "candidate": index}
    if request.mix_with and request.action == "mix":
        found["mix_with"] = Path(request.mix_with).name
    return found


def place_candidate(doc: Document, outcome: Outcome, index: int, color: str, width: float,
                    active_vector_layer: str | None = None) -> Applied | None:
    """The commands that place candidate `index`, or None when it would add nothing.

    Continue adds its strokes to the layer that was continued (or `active_vector_layer`, or a new
    layer when that one is gone) and records the generation on that layer; the other actions add
    a new layer with the generation in its metadata."""
    if outcome is None or index >= len(outcome.candidates):
        return None
    request, drawing = outcome.request, outcome.candidates[index]
    made = generation(request, index)
    if request.action == "continue":
        if outcome.prefix is None or not isinstance(outcome.frame, Frame):
            return None  # a continuation always has the doodle it continues and its frame
        lines = continuation_lines(outcome.prefix, drawing, outcome.frame)
        strokes = [Stroke.from_xy(l, color, width) for l in lines if len(l)]
        if not strokes:
            return None
        applied = Applied("Continue doodle")
        layer_id = request.layer_id if any(l.id == request.layer_id for l in doc.layers) else None
        layer_id = layer_id or active_vector_layer
        if layer_id is None:
            layer = VectorLayer(name=doc.unique_layer_name("Drawing"))
            applied.commands.append(cmds.AddLayer(layer))
            layer_id = applied.select = layer.id
        applied.commands += [cmds.AddStrokes(layer_id, strokes, text="Continue doodle"),
                             cmds.SetLayerMetadata(layer_id, "generation", made, text="Continue doodle")]
        return applied
    lines = placed_lines(drawing, (doc.width / 2, doc.height / 2), doc.width / 3)  # the desk places it
    strokes = [Stroke.from_xy(l, color, width) for l in lines if len(l)]
    if not strokes:
        return None
    name = LAYER_NAMES[request.action]
    layer = VectorLayer(name=doc.unique_layer_name(f"{name} {Path(request.model).name.split('.')[0]}"),
                        strokes=strokes, metadata={"generation": made})
    text = f"Place {request.action} doodle"
    return Applied(text, [cmds.AddLayer(layer, text=text)], select=layer.id, place=layer.id)
