"""Zentangle actions: fill the shape under a drop point with a pattern at print size, and place
the fill under the doodle (hiding a silhouette's backdrop) as one undo step that records how it
was made."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from artdesk.actions import Applied
from artdesk.document import commands as cmds
from artdesk.document.model import Document, RasterLayer, VectorLayer
from artdesk.engines.progress import Job
from artdesk import PRINT_SIZE
from artdesk.engines.zentangle import FillSettings, ShapeNotFound
from artdesk.export.targets import fill_document_at

__all__ = ["FillRequest", "FillSettings", "Placed", "ShapeNotFound", "below_the_doodle", "builtin_tangle", "fill_job",
           "place_fill"]


@dataclass
class FillRequest:
    pattern_path: str
    x: float
    y: float
    use_offered: bool = False


def builtin_tangle(path: str) -> str | None:
    """The key of a built-in tangle when `path` is its gallery picture (drawn, not resampled,
    by the Strings mode), else None."""
    from artdesk.engines.tangles import TANGLES
    from artdesk.paths import resources_dir

    p = Path(path)
    try:
        shipped = p.resolve().parent == (resources_dir() / "patterns").resolve()
    except OSError:
        return None
    return p.stem if shipped and p.stem in TANGLES else None


def fill_job(doc: Document, pattern: np.ndarray, request: FillRequest, settings: FillSettings,
             size: tuple[int, int] = PRINT_SIZE, near: Any = None) -> Job:
    """Worker job: render the document's shapes at print size (or `size`; only around `near`, the
    preview's doodle region, when given), fill the one under the point. Returns the FillResult,
    or the ShapeNotFound (a normal outcome the tab explains)."""
    try:
        return (yield from fill_document_at(doc, pattern, request.x, request.y, settings, size,
                                            request.use_offered, near))
    except ShapeNotFound as missing:
        return missing


@dataclass
class Placed:
    applied: Applied
    layer_id: str
    notes: list[str] = field(default_factory=list)


def below_the_doodle(doc: Document) -> int | None:
    """The fill goes under the lowest drawn vector layer, so the outline stays on top, sharp."""
    for i, layer in enumerate(doc.layers):
        if isinstance(layer, VectorLayer) and layer.visible and layer.strokes:
            return i
    return None


def place_fill(doc: Document, result: Any, request: FillRequest, settings: FillSettings, label: str,
               replace: str | None = None) -> Placed:
    """The commands that put a FillResult on the page: a new raster layer under the doodle (or in
    the place of layer `replace`, for Restyle), a black-on-white silhouette's backdrop hidden."""
    metadata = {"generation": {"engine": "zentangle", "model": settings.mode,
                               "pattern": Path(request.pattern_path).name, "shape": result.source,
                               "drop": [round(request.x, 2), round(request.y, 2)],
                               **settings.as_metadata()}}
    followed = getattr(result, "followed", "")
    if followed and "follow" in metadata["generation"]:
        metadata["generation"]["follow"] = {**metadata["generation"]["follow"], "name": followed}
    applied = Applied("Restyle" if replace else f"Fill with {label}")
    layers = list(doc.layers)
    if replace and any(l.id == replace for l in layers):
        index: int | None = doc.index_of(replace)
        applied.commands.append(cmds.RemoveLayer(replace))
        layers = [l for l in layers if l.id != replace]
    else:
        index = below_the_doodle(doc)
    name = f"Zentangle {label}"
    others = Document(doc.width, doc.height)
    others.layers = layers  # the name is made unique among the layers that stay
    layer = RasterLayer(name=others.unique_layer_name(name), pixels=result.pixels, rect=result.rect,
                        resample="smooth", metadata=metadata)
    applied.commands.append(cmds.AddLayer(layer, index=index, text=f"Add {name}"))
    applied.select = layer.id
    notes = list(result.notes)
    backdrop = next((l for l in layers if l.id == result.backdrop_layer), None)
    if backdrop is not None and backdrop.visible:
        # a black-on-white silhouette: its white square would print around the filled shape
        applied.commands.append(cmds.SetLayerProperty(backdrop.id, "visible", False))
        notes.append(f"Hid “{backdrop.name}” so its background does not print; "
                     "tick it under Layers to show it.")
    return Placed(applied, layer.id, notes)

