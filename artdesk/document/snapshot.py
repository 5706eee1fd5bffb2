"""The one way to copy a document: a snapshot a worker may read while the user keeps drawing."""

from __future__ import annotations

import copy
from typing import Iterable

from artdesk.document.model import Document, Layer, VectorLayer


def snapshot(doc: Document, layers: Iterable[Layer] | None = None, **layer_overrides: object) -> Document:
    """A copy of `doc` (its metadata deep-copied, each layer a shallow copy with its own stroke
    list; pixel and point arrays are never mutated in place, so sharing them is safe).

    `layers` keeps only those layers (in that order); `layer_overrides` sets attributes on every
    copied layer, e.g. `opacity=1.0, visible=True` to render one layer alone."""
    twin_doc = Document(doc.width, doc.height)
    twin_doc.metadata = copy.deepcopy(doc.metadata)
    for layer in doc.layers if layers is None else layers:
        twin = copy.copy(layer)
        if isinstance(layer, VectorLayer) and isinstance(twin, VectorLayer):
            twin.strokes = list(layer.strokes)
        for name, value in layer_overrides.items():
            setattr(twin, name, value)
        twin_doc.layers.append(twin)
    return twin_doc
