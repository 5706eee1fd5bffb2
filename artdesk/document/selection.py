"""Selections without Qt: a polygon in document units over one layer. On a vector layer it holds
the strokes mostly inside it; on a raster layer it stands for the source pixels under it."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from artdesk.document import affine
from artdesk.document.model import (
    Document,
    Layer,
    RasterLayer,
    Stroke,
    VectorLayer,
    new_id,
)


@dataclass(eq=False)
class Selection:
    layer_id: str
    polygon: np.ndarray  # (N, 2) document units
    strokes: list | None = None  # on a vector layer; None on a raster layer
    metadata: dict = field(default_factory=dict)


def rect_polygon(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    return np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], np.float64)


def inside(polygon: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Even-odd point-in-polygon for (N, 2) points -> (N,) bool."""
    poly = np.asarray(polygon, np.float64)
    x, y = np.asarray(xy, np.float64).reshape(-1, 2).T
    result = np.zeros(len(x), bool)
    xj, yj = poly[-1]
    for xi, yi in poly:
        crosses = (yi > y) != (yj > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = (xj - xi) * (y - yi) / (yj - yi) + xi
        result ^= crosses & (x < at)
        xj, yj = xi, yi
    return result


def select(layer: Layer, polygon: np.ndarray) -> Selection | None:
    """The selection the polygon makes on `layer` (None: it holds nothing)."""
    polygon = np.asarray(polygon, np.float64)
    if len(polygon) < 3:
        return None
    if isinstance(layer, VectorLayer):
        chosen = [s for s in layer.strokes if inside(polygon, s.points[:, :2]).mean() >= 0.5]
        return Selection(layer.id, polygon, chosen) if chosen else None
    if isinstance(layer, RasterLayer):
        return Selection(layer.id, polygon) if raster_mask(layer, polygon).any() else None
    return None


def select_all(layer: Layer, doc: Document) -> Selection | None:
    box = layer.bounds() if not layer.is_empty() else None
    if box is None:
        return None
    x0, y0, x1, y1 = box
    return select(layer, rect_polygon(x0 - 1, y0 - 1, x1 + 1, y1 + 1))


def raster_mask(layer: RasterLayer, polygon: np.ndarray) -> np.ndarray:
    """(H, W) bool: the layer's source pixels whose centres lie inside the polygon."""
    h, w = layer.pixels.shape[:2]
    uv = affine.apply(affine.invert(layer.pixel_to_document()), polygon)
    image = Image.new("1", (w, h), 0)
    ImageDraw.Draw(image).polygon([(float(u) - 0.5, float(v) - 0.5) for u, v in uv], fill=1)
    return np.asarray(image, bool)


def cleared(layer: RasterLayer, mask: np.ndarray) -> np.ndarray:
    """The layer's pixels with the masked ones made transparent (a new array)."""
    pixels = layer.pixels.copy()
    pixels[mask] = 0
    return pixels


def copied_layer(layer: RasterLayer, mask: np.ndarray, name: str) -> RasterLayer | None:
    """A new raster layer holding just the masked pixels, cropped, placed exactly where they were."""
    ys, xs = np.nonzero(mask & (layer.pixels[..., 3] > 0))
    if not len(ys):
        return None
    v0, v1, u0, u1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = layer.pixels[v0:v1, u0:u1].copy()
    crop[~mask[v0:v1, u0:u1]] = 0
    h, w = layer.pixels.shape[:2]
    rx, ry, rw, rh = layer.rect
    sx, sy = rw / w, rh / h
    rect = (rx + u0 * sx, ry + v0 * sy, (u1 - u0) * sx, (v1 - v0) * sy)
    return RasterLayer(name=name, pixels=crop, rect=rect, resample=layer.resample, transform=layer.transform,
                       metadata={k: v for k, v in layer.metadata.items() if k != "guide"})


def copied_strokes(strokes: list[Stroke]) -> list[Stroke]:
    return [dataclasses.replace(s, points=s.points.copy()) for s in strokes]  # shape fill and brush too


def duplicate(layer: Layer, name: str) -> Layer:
    """A copy of the layer with a new id (strokes copied; pixels shared, as they are never
    changed in place)."""
    twin = copy.copy(layer)
    twin.id = new_id()
    twin.name = name
    twin.metadata = copy.deepcopy(layer.metadata)
    if isinstance(twin, VectorLayer):
        twin.strokes = copied_strokes(twin.strokes)
    return twin
