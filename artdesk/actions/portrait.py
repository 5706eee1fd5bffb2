"""Portrait actions: paint a grid of faces from seeds, walk between two seeds, make a face's print
pixels (upscaled, signed) and place them as one raster layer that records how it was made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from artdesk.actions import Applied
from artdesk.document import commands as cmds
from artdesk.document.imports import fit_rect
from artdesk.document.model import Document, RasterLayer
from artdesk.engines import portrait
from artdesk.engines.progress import Job, Progress
from artdesk.runtime.models import ModelError

GRID = 9  # a 3x3 grid: seeds seed .. seed + 8
# Layer pixels per filter, chosen for the T-shirt export (the square face is 4500 px wide there):
# smooth is enlarged past half that size (the enlarger network x4, then Lanczos), so the export's
# own (bilinear) scaling adds no softness and no "upscaled more than 2x" warning; crisp is blocks
# (16 px for a 64 px face, 8 px for 128 px), exported nearest.
PRINT_SIZE = {"smooth": 2304, "crisp": 1024}
TRAIN_ADVICE = ("Reinstall ArtDesk, or train the model with `artdesk train portrait` (64 px), then "
                "`artdesk train portrait-grow` (128 px; models/portrait/MODEL_CARD.md has the recipe).")


def open_generator() -> Any:
    """The generator's session; a ModelError that does not say what to do gets the advice."""
    try:
        return portrait.open_generator()
    except ModelError as exc:
        if "reinstall" in str(exc).lower():
            raise
        raise ModelError(f"{exc} {TRAIN_ADVICE}") from exc


@dataclass(frozen=True)
class GridRequest:
    first_seed: int
    variation: float
    count: int = GRID
    pick: bool = True  # each seed's face is the clearest of portrait.PICK_POOL candidates

    @property
    def seeds(self) -> list[int]:
        return list(range(self.first_seed, self.first_seed + self.count))


def paint_grid_job(request: GridRequest) -> Job:
    """Job -> the faces (RGBA arrays at the generator's size), one per seed; the models open on
    the worker, so their errors reach the error dialog."""
    return (yield from portrait.paint_portraits(request.seeds, request.variation, session=open_generator(),
                                                pick=request.pick))


@dataclass(frozen=True)
class WalkRequest:
    seed_from: int
    seed_to: int
    frames: int
    variation: float
    pick: bool = True  # the ends are the seeds' picked faces, as the grid shows them


def walk_job(request: WalkRequest) -> Job:
    return (yield from portrait.walk(request.seed_from, request.seed_to, request.frames, request.variation,
                                     session=open_generator(), pick=request.pick))


@dataclass
class PlaceRequest:
    face: np.ndarray
    seed: int
    variation: float
    mode: str = "smooth"  # "smooth" | "crisp"
    signed: bool = False
    name: str = "Portrait"
    walk: dict | None = None  # the frame of a walk: {"from", "to", "frames", "frame"}
    size: int | None = None  # pixels on a side (None: PRINT_SIZE[mode])
    pick: bool = True  # whether the face was picked (recorded in the layer's generation)


def generation(seed: int, variation: float, mode: str, signed: bool, walk: dict | None = None,
               pick: bool = True) -> dict:
    gen = {"engine": "portrait", "model": portrait.MODEL_ID, "seed": int(seed),
           "variation": round(float(variation), 4), "upscale": mode, "signed": bool(signed)}
    if pick:
        picked: dict = {"model": portrait.PICKER_ID, "of": portrait.PICK_POOL}
        shift = portrait.steering_in_use()
        if shift is not None:  # the candidates were moved toward clearer faces first
            picked["steer"] = shift
        gen["pick"] = picked
    if walk:
        gen["walk"] = dict(walk)
    return gen


def print_pixels(face: np.ndarray, mode: str, signed: bool, size: int | None = None) -> Job:
    """Job: a face -> the layer's pixels (upscaled with `mode`, signed if asked)."""
    yield Progress(0.0, "Upscaling for print")
    enlarger = portrait.open_enlarger() if mode == "smooth" else None
    pixels = portrait.upscale(face, size or PRINT_SIZE[mode], mode, enlarger=enlarger)
    if signed:
        yield Progress(0.6, "Signing")
        pixels = portrait.sign(pixels)
    yield Progress(1.0, "Placing")
    return np.ascontiguousarray(pixels)


def enlarged(face: np.ndarray, pixels: np.ndarray, mode: str) -> bool:
    """Whether print_pixels ran the enlarger network (Smooth, at least 2x, the model installed;
    its session is cached, so asking again costs nothing)."""
    return mode == "smooth" and pixels.shape[1] >= 2 * face.shape[1] and portrait.open_enlarger() is not None


def place_job(request: PlaceRequest) -> Job:
    return print_pixels(request.face, request.mode, request.signed, request.size)


def place_portrait(doc: Document, request: PlaceRequest, pixels: np.ndarray) -> Applied:
    """One raster layer fitted to the page, filtered as asked, with the generation recorded."""
    h, w = pixels.shape[:2]
    made = generation(request.seed, request.variation, request.mode, request.signed, request.walk, request.pick)
    if enlarged(request.face, pixels, request.mode):
        made["enlarger"] = portrait.ENLARGER_ID
    layer = RasterLayer(name=doc.unique_layer_name(request.name), pixels=pixels, rect=fit_rect(w, h, doc),
                        resample=request.mode, metadata={"generation": made})
    return Applied(f"Add {request.name}", [cmds.AddLayer(layer, text=f"Add {request.name}")], select=layer.id,
                   place=layer.id)


def write_walk_gif(frames: list, path: str, ms: int, size: int, mode: str) -> Job:
    """Job: the walk's frames upscaled to `size` px with `mode`, saved as a looping GIF."""
    big = []
    for i, frame in enumerate(frames):
        big.append(portrait.upscale(frame, size, mode) if size != frame.shape[1] else frame)
        yield Progress(0.8 * (i + 1) / len(frames), f"Frame {i + 1} of {len(frames)}")
    return portrait.save_gif(big, path, ms=ms)
