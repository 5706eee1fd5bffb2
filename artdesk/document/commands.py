"""Undoable edits of a Document. Each command has `do(doc)` and `undo(doc)` and a user-facing `text`.

The UI wraps them in QUndoCommand (one undo history); tests and the CLI call them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from artdesk.document import affine
from artdesk.document.model import (TEXT_PROPERTIES, Document, Layer, RasterLayer, Stroke, TextLayer,
                                    VectorLayer, transformed_stroke)


class Command:
    text = "Edit"

    def do(self, doc: Document) -> None:
        raise NotImplementedError

    def undo(self, doc: Document) -> None:
        raise NotImplementedError


def _vector(doc: Document, layer_id: str) -> VectorLayer:
    layer = doc.layer(layer_id)
    if not isinstance(layer, VectorLayer):
        raise TypeError(f"layer '{layer.name}' is not a vector layer")
    return layer


@dataclass
class AddStroke(Command):
    layer_id: str
    stroke: Stroke
    text: str = "Draw stroke"

    def do(self, doc):
        _vector(doc, self.layer_id).strokes.append(self.stroke)
        doc.notify("strokes", self.layer_id)

    def undo(self, doc):
        _vector(doc, self.layer_id).strokes.remove(self.stroke)
        doc.notify("strokes", self.layer_id)


@dataclass
class AddStrokes(Command):
    layer_id: str
    strokes: list[Stroke]
    text: str = "Add strokes"

    def do(self, doc):
        _vector(doc, self.layer_id).strokes.extend(self.strokes)
        doc.notify("strokes", self.layer_id)

    def undo(self, doc):
        layer = _vector(doc, self.layer_id)
        for stroke in self.strokes:
            layer.strokes.remove(stroke)
        doc.notify("strokes", self.layer_id)


@dataclass
class RemoveStrokes(Command):
    """Erase whole strokes (the stroke eraser) or clear a layer."""

    layer_id: str
    strokes: list[Stroke]
    text: str = "Erase"
    _positions: list[int] = field(default_factory=list, repr=False)

    def do(self, doc):
        layer = _vector(doc, self.layer_id)
        self._positions = sorted(layer.strokes.index(s) for s in self.strokes)
        by_pos = {layer.strokes.index(s): s for s in self.strokes}
        self._removed = [by_pos[i] for i in self._positions]
        for pos in reversed(self._positions):
            del layer.strokes[pos]
        doc.notify("strokes", self.layer_id)

    def undo(self, doc):
        layer = _vector(doc, self.layer_id)
        for pos, stroke in zip(self._positions, self._removed):
            layer.strokes.insert(pos, stroke)
        doc.notify("strokes", self.layer_id)


@dataclass
class AddLayer(Command):
    layer: Layer
    index: int | None = None
    text: str = "Add layer"

    def do(self, doc):
        index = len(doc.layers) if self.index is None else self.index
        doc.layers.insert(index, self.layer)
        doc.notify("layers", self.layer.id)

    def undo(self, doc):
        doc.layers.remove(self.layer)
        doc.notify("layers", self.layer.id)


@dataclass
class RemoveLayer(Command):
    layer_id: str
    text: str = "Delete layer"

    def do(self, doc):
        self._index = doc.index_of(self.layer_id)
        self._layer = doc.layers.pop(self._index)
        doc.notify("layers", self.layer_id)

    def undo(self, doc):
        doc.layers.insert(self._index, self._layer)
        doc.notify("layers", self.layer_id)


@dataclass
class MoveLayer(Command):
    """Move a layer to a new index in the stack (0 = bottom)."""

    layer_id: str
    new_index: int
    text: str = "Move layer"

    def do(self, doc):
        self._old_index = doc.index_of(self.layer_id)
        layer = doc.layers.pop(self._old_index)
        doc.layers.insert(max(0, min(self.new_index, len(doc.layers))), layer)
        doc.notify("layers", self.layer_id)

    def undo(self, doc):
        layer = doc.layers.pop(doc.index_of(self.layer_id))
        doc.layers.insert(self._old_index, layer)
        doc.notify("layers", self.layer_id)


LAYER_PROPERTIES = {"name": str, "visible": bool, "opacity": float, "resample": str, "rect": tuple}


@dataclass
class SetLayerProperty(Command):
    layer_id: str
    prop: str
    value: object
    text: str = "Change layer"

    def __post_init__(self):
        if self.prop not in LAYER_PROPERTIES:
            raise ValueError(f"cannot change layer property {self.prop!r}")
        if self.prop == "opacity":
            self.value = max(0.0, min(1.0, float(self.value)))
        self.text = {"name": "Rename layer", "visible": "Toggle layer visibility",
                     "opacity": "Change layer opacity"}.get(self.prop, self.text)

    def do(self, doc):
        layer = doc.layer(self.layer_id)
        self._old = getattr(layer, self.prop)
        setattr(layer, self.prop, self.value)
        doc.notify("layer", self.layer_id)

    def undo(self, doc):
        setattr(doc.layer(self.layer_id), self.prop, self._old)
        doc.notify("layer", self.layer_id)


@dataclass
class SetRasterPixels(Command):
    layer_id: str
    pixels: object
    rect: tuple | None = None
    text: str = "Change pixels"

    def do(self, doc):
        layer = doc.layer(self.layer_id)
        if not isinstance(layer, RasterLayer):
            raise TypeError(f"layer '{layer.name}' is not a raster layer")
        self._old = (layer.pixels, layer.rect)
        layer.pixels = self.pixels
        if self.rect is not None:
            layer.rect = tuple(float(v) for v in self.rect)
        doc.notify("layer", self.layer_id)

    def undo(self, doc):
        layer = doc.layer(self.layer_id)
        layer.pixels, layer.rect = self._old
        doc.notify("layer", self.layer_id)


@dataclass
class SetLayerMetadata(Command):
    """Set one key of a layer's metadata (e.g. "generation": what made its latest strokes)."""

    layer_id: str
    key: str
    value: object
    text: str = "Change layer"

    def do(self, doc):
        layer = doc.layer(self.layer_id)
        self._had = self.key in layer.metadata
        self._old = layer.metadata.get(self.key)
        layer.metadata = {**layer.metadata, self.key: self.value}
        doc.notify("layer", self.layer_id)

    def undo(self, doc):
        layer = doc.layer(self.layer_id)
        metadata = dict(layer.metadata)
        if self._had:
            metadata[self.key] = self._old
        else:
            metadata.pop(self.key, None)
        layer.metadata = metadata
        doc.notify("layer", self.layer_id)


@dataclass
class Batch(Command):
    """Several commands as one undo step (a tool's edit that touches more than one thing)."""

    commands: list
    text: str = "Edit"

    def do(self, doc):
        for command in self.commands:
            command.do(doc)

    def undo(self, doc):
        for command in reversed(self.commands):
            command.undo(doc)


@dataclass
class TransformLayer(Command):
    """Move, scale, rotate or flip a layer, or some strokes of a vector layer, by the affine `t`
    (document -> document). Vector strokes are re-made with transformed points (they stay
    vectors); a raster layer keeps its pixels and changes only its placement."""

    layer_id: str
    t: tuple
    strokes: list | None = None  # None: the whole layer
    text: str = "Transform"

    def do(self, doc):
        layer = doc.layer(self.layer_id)
        if isinstance(layer, VectorLayer):
            chosen = layer.strokes if self.strokes is None else self.strokes
            self._old = list(layer.strokes)
            self._replaced = {id(s): transformed_stroke(s, self.t) for s in chosen}
            layer.strokes = [self._replaced.get(id(s), s) for s in layer.strokes]
            doc.notify("strokes", self.layer_id)
        elif isinstance(layer, RasterLayer):
            self._old = (layer.rect, layer.transform)
            layer.rect, layer.transform = layer.with_transform(self.t)
            doc.notify("layer", self.layer_id)
        elif isinstance(layer, TextLayer):  # moves, scales and turns (a flip is left out: text stays readable)
            self._old = (layer.x, layer.y, layer.size, layer.angle)
            (x, y), = affine.apply(self.t, [(layer.x, layer.y)])
            turn = affine.decompose(self.t)[2]
            layer.x, layer.y, layer.size = float(x), float(y), layer.size * affine.area_scale(self.t)
            layer.angle = (layer.angle + turn + 180.0) % 360.0 - 180.0
            doc.notify("layer", self.layer_id)

    def undo(self, doc):
        layer = doc.layer(self.layer_id)
        if isinstance(layer, VectorLayer):
            layer.strokes = list(self._old)
            doc.notify("strokes", self.layer_id)
        elif isinstance(layer, TextLayer):
            layer.x, layer.y, layer.size, layer.angle = self._old
            doc.notify("layer", self.layer_id)
        else:
            layer.rect, layer.transform = self._old
            doc.notify("layer", self.layer_id)

    def transformed(self, stroke):
        """The stroke that replaced `stroke` (after do)."""
        return self._replaced.get(id(stroke), stroke)


@dataclass
class SetText(Command):
    """Change a text layer's words or style (text, font, size, colour, position, bold, italic)."""

    layer_id: str
    changes: dict
    text: str = "Edit text"

    def __post_init__(self):
        unknown = set(self.changes) - set(TEXT_PROPERTIES)
        if unknown:
            raise ValueError(f"cannot change text property {sorted(unknown)[0]!r}")

    def do(self, doc):
        layer = doc.layer(self.layer_id)
        if not isinstance(layer, TextLayer):
            raise TypeError(f"layer '{layer.name}' is not a text layer")
        self._old = {k: getattr(layer, k) for k in self.changes}
        for key, value in self.changes.items():
            setattr(layer, key, value)
        doc.notify("layer", self.layer_id)

    def undo(self, doc):
        layer = doc.layer(self.layer_id)
        for key, value in self._old.items():
            setattr(layer, key, value)
        doc.notify("layer", self.layer_id)
