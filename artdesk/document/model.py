"""What a picture is: strokes, layers, a document. Pure Python + numpy.

Coordinates are document units; a document is `width` x `height` units with the origin at the
top-left. The default 900 x 1080 has the T-shirt print's 5:6 aspect, so the 4500 x 5400 export is
exactly 5x. Print renders re-draw the strokes at the target scale.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from artdesk.document import affine
from artdesk.document.affine import IDENTITY, Affine

DEFAULT_SIZE = (900, 1080)
RESAMPLE_MODES = ("smooth", "crisp")
BRUSHES = ("round", "pen", "marker", "pencil")  # how a stroke's line is drawn (print and screen alike)


def new_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass(eq=False)
class Stroke:
    """One pen-down..pen-up line. `points` is float32 (N, 4): x, y, pressure 0..1, t seconds.

    A shape is a `closed` stroke (the last point joins the first) with an optional `fill` colour
    ("" for none); `outline=False` draws only the fill. `brush` names the look of the line
    (BRUSHES)."""

    points: np.ndarray
    color: str = "#000000"
    width: float = 6.0
    closed: bool = False
    fill: str = ""
    outline: bool = True
    brush: str = "round"

    def __post_init__(self) -> None:
        pts = np.asarray(self.points, dtype=np.float32)
        if pts.ndim != 2 or pts.shape[1] != 4 or len(pts) == 0:
            raise ValueError("a stroke needs points as an (N, 4) array of x, y, pressure, t")
        if not np.isfinite(pts).all():
            raise ValueError("a stroke's points must be finite numbers")
        if self.brush not in BRUSHES:
            raise ValueError(f"a stroke's brush must be one of {', '.join(BRUSHES)}")
        self.points = pts

    @classmethod
    def from_xy(cls, xy: Iterable[tuple[float, float]], color: str = "#000000", width: float = 6.0,
                pressure: float = 1.0) -> "Stroke":
        xy = np.asarray(list(xy), dtype=np.float32).reshape(-1, 2)
        n = len(xy)
        pts = np.column_stack([xy, np.full(n, pressure, np.float32), np.arange(n, dtype=np.float32) * 0.01])
        return cls(pts, color, width)

    def bounds(self) -> tuple[float, float, float, float]:
        pad = self.width / 2
        x0, y0 = self.points[:, :2].min(axis=0)
        x1, y1 = self.points[:, :2].max(axis=0)
        return float(x0 - pad), float(y0 - pad), float(x1 + pad), float(y1 + pad)

    def distance_to(self, x: float, y: float) -> float:
        """Shortest distance from (x, y) to the stroke's centre line."""
        p = self.points[:, :2].astype(np.float64)
        q = np.array([x, y])
        if len(p) == 1:
            return float(np.hypot(*(p[0] - q)))
        a, b = p[:-1], p[1:]
        ab = b - a
        denom = np.maximum((ab * ab).sum(axis=1), 1e-12)
        s = np.clip(((q - a) * ab).sum(axis=1) / denom, 0.0, 1.0)
        nearest = a + ab * s[:, None]
        return float(np.hypot(*(nearest - q).T).min())

    def fill_contains(self, x: float, y: float) -> bool:
        """True if (x, y) is inside a filled shape (even-odd rule, as the renderer fills)."""
        if not self.fill or len(self.points) < 3:
            return False
        px, py = self.points[:, 0].astype(np.float64), self.points[:, 1].astype(np.float64)
        qx, qy = np.roll(px, 1), np.roll(py, 1)
        crosses = (py > y) != (qy > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = (qx - px) * (y - py) / (qy - py) + px
        return bool(np.count_nonzero(crosses & (x < at)) % 2)

    def to_dict(self) -> dict:
        data = {"color": self.color, "width": self.width,
                "points": np.round(self.points.astype(np.float64), 3).tolist()}
        for key, default in (("closed", False), ("fill", ""), ("outline", True), ("brush", "round")):
            if getattr(self, key) != default:  # plain strokes stay as they were in older files
                data[key] = getattr(self, key)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Stroke":
        brush = data.get("brush", "round")
        return cls(np.asarray(data["points"], dtype=np.float32).reshape(-1, 4),
                   str(data.get("color", "#000000")), float(data.get("width", 6.0)),
                   closed=bool(data.get("closed", False)), fill=str(data.get("fill") or ""),
                   outline=bool(data.get("outline", True)), brush=brush if brush in BRUSHES else "round")


@dataclass(eq=False)
class Layer:
    name: str
    visible: bool = True
    opacity: float = 1.0
    id: str = field(default_factory=new_id)
    metadata: dict = field(default_factory=dict)

    kind = "layer"

    @property
    def is_guide(self) -> bool:
        """A guide (e.g. the welcome text) shows on screen but is never printed, exported or
        filled: metadata {"guide": true}."""
        return bool(self.metadata.get("guide"))

    def is_empty(self) -> bool:
        raise NotImplementedError

    def bounds(self) -> tuple[float, float, float, float] | None:
        """(x0, y0, x1, y1) in document units of what the layer shows, None if nothing."""
        raise NotImplementedError

    def hit(self, x: float, y: float, tolerance: float = 0.0) -> bool:
        """True if the layer paints something at (x, y) (within `tolerance` units)."""
        raise NotImplementedError


def strokes_bounds(strokes: Iterable[Stroke]) -> tuple[float, float, float, float] | None:
    boxes = np.array([s.bounds() for s in strokes])
    if not len(boxes):
        return None
    return (float(boxes[:, 0].min()), float(boxes[:, 1].min()), float(boxes[:, 2].max()), float(boxes[:, 3].max()))


def transformed_stroke(stroke: Stroke, t: Affine) -> Stroke:
    """A copy of `stroke` moved by `t`: points transformed, width scaled with the area, so the
    print re-draws it crisp at any size (vectors stay vectors)."""
    points = stroke.points.copy()
    points[:, :2] = affine.apply(t, points[:, :2]).astype(np.float32)
    return Stroke(points, stroke.color, stroke.width * affine.area_scale(t), closed=stroke.closed,
                  fill=stroke.fill, outline=stroke.outline, brush=stroke.brush)


@dataclass(eq=False)
class VectorLayer(Layer):
    strokes: list[Stroke] = field(default_factory=list)

    kind = "vector"

    def is_empty(self) -> bool:
        return not self.strokes

    def bounds(self):
        return strokes_bounds(self.strokes)

    def hit(self, x: float, y: float, tolerance: float = 0.0) -> bool:
        return self.stroke_at(x, y, tolerance) is not None

    def stroke_at(self, x: float, y: float, tolerance: float = 0.0) -> Stroke | None:
        """The topmost stroke under (x, y)."""
        for stroke in reversed(self.strokes):
            x0, y0, x1, y1 = stroke.bounds()
            if x0 - tolerance <= x <= x1 + tolerance and y0 - tolerance <= y <= y1 + tolerance and \
                    (stroke.distance_to(x, y) <= stroke.width / 2 + tolerance or stroke.fill_contains(x, y)):
                return stroke
        return None


@dataclass(eq=False)
class RasterLayer(Layer):
    """RGBA pixels placed on the document at `rect` (x, y, w, h in document units).

    The pixels keep their own resolution (a 128 px portrait or a 4500 px styled fill); `resample`
    says how they are scaled for screen and print: "smooth" (bicubic) or "crisp" (nearest).
    `transform` (an affine, see affine.py) moves the placed rect further: rotation and flips live
    there, so the source pixels are never resampled until the print draws them once.
    """

    pixels: np.ndarray = field(default_factory=lambda: np.zeros((1, 1, 4), np.uint8))
    rect: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)
    resample: str = "smooth"
    transform: Affine = IDENTITY

    kind = "raster"

    def __post_init__(self) -> None:
        px = np.asarray(self.pixels)
        if px.ndim != 3 or px.shape[2] != 4 or px.dtype != np.uint8:
            raise ValueError("a raster layer needs RGBA uint8 pixels of shape (H, W, 4)")
        if self.resample not in RESAMPLE_MODES:
            raise ValueError(f"resample must be one of {RESAMPLE_MODES}")
        self.pixels = np.ascontiguousarray(px)
        x, y, w, h = self.rect
        self.rect = (float(x), float(y), float(w), float(h))
        if not affine.is_valid(self.transform):
            raise ValueError("a raster layer's transform must be six finite numbers that can be undone")
        a, b, c, d, e, f = self.transform  # six numbers: is_valid checked
        self.transform = (float(a), float(b), float(c), float(d), float(e), float(f))

    def is_empty(self) -> bool:
        return not self.pixels[..., 3].any()

    def pixel_to_document(self) -> Affine:
        """Maps source pixel coordinates (0..W, 0..H) to the document."""
        h, w = self.pixels.shape[:2]
        return affine.compose(self.transform, affine.rect_to_rect((0, 0, w, h), self.rect))

    def corners(self) -> np.ndarray:
        """The four placed corners (top-left, top-right, bottom-right, bottom-left) in document units."""
        h, w = self.pixels.shape[:2]
        return affine.apply(self.pixel_to_document(), [(0, 0), (w, 0), (w, h), (0, h)])

    def bounds(self):
        c = self.corners()
        return (float(c[:, 0].min()), float(c[:, 1].min()), float(c[:, 0].max()), float(c[:, 1].max()))

    def hit(self, x: float, y: float, tolerance: float = 0.0) -> bool:
        u, v = affine.apply(affine.invert(self.pixel_to_document()), [(x, y)])[0]
        h, w = self.pixels.shape[:2]
        if not (0 <= u < w and 0 <= v < h):
            return False
        return bool(self.pixels[int(v), int(u), 3] > 0)

    def with_transform(self, t: Affine) -> tuple[tuple[float, float, float, float], Affine]:
        """(rect, transform) after moving the layer by `t` (document -> document). A result without
        rotation or flip is kept as a plain rect, so code that reads `rect` stays right."""
        h, w = self.pixels.shape[:2]
        total = affine.compose(t, self.pixel_to_document())
        m11, m12, m21, m22, dx, dy = total
        if abs(m12) < 1e-9 and abs(m21) < 1e-9 and m11 > 0 and m22 > 0:
            return (dx, dy, m11 * w, m22 * h), IDENTITY
        return self.rect, affine.compose(t, self.transform)


@dataclass(eq=False)
class TextLayer(Layer):
    """A line (or lines) of text, kept as text so it stays editable and prints crisp: it is drawn
    from the font's outlines at whatever scale the page is rendered. (x, y) is the top-left of
    the first line and `size` the font's pixel size, both in document units; the text turns by
    `angle` degrees about (x, y)."""

    text: str = ""
    font: str = "DejaVu Sans"
    size: float = 72.0
    color: str = "#000000"
    x: float = 0.0
    y: float = 0.0
    bold: bool = False
    italic: bool = False
    angle: float = 0.0  # degrees, clockwise on the page, about (x, y)
    measured: tuple | None = field(default=None, repr=False, compare=False)  # (style values, box)

    kind = "text"

    def __post_init__(self) -> None:
        self.angle = float(self.angle)
        if not np.isfinite([float(self.size), float(self.x), float(self.y), self.angle]).all():
            raise ValueError("a text layer's size and position must be finite numbers")
        if not (0 < float(self.size) <= 5000):
            raise ValueError("a text size must be between 0 and 5000 units")
        self.size = float(self.size)
        self.x, self.y = float(self.x), float(self.y)

    def is_empty(self) -> bool:
        return not self.text.strip()

    def bounds(self) -> tuple[float, float, float, float] | None:
        """The box of the letters: as measured by the renderer from the font (which stores it in
        `measured`), else an estimate from the size and the number of characters."""
        if self.is_empty():
            return None
        if self.measured is not None and self.measured[0] == tuple(self.style().values()):
            return self.measured[1]
        lines = self.text.split("\n")
        return (self.x, self.y, self.x + self.size * 0.6 * max(map(len, lines)), self.y + self.size * 1.2 * len(lines))

    def hit(self, x: float, y: float, tolerance: float = 0.0) -> bool:
        box = self.bounds()
        return box is not None and box[0] - tolerance <= x <= box[2] + tolerance and \
            box[1] - tolerance <= y <= box[3] + tolerance

    def style(self) -> dict:
        return {k: getattr(self, k) for k in TEXT_PROPERTIES}


TEXT_PROPERTIES = ("text", "font", "size", "color", "x", "y", "bold", "italic", "angle")

Listener = Callable[[str, object], None]


class Document:
    """Layers over a transparent page, plus metadata. Observers hear about every change."""

    def __init__(self, width: int = DEFAULT_SIZE[0], height: int = DEFAULT_SIZE[1]):
        if width < 1 or height < 1:
            raise ValueError("a document needs a positive size")
        self.width = int(width)
        self.height = int(height)
        self.layers: list[Layer] = []
        self.metadata: dict = {}
        self._listeners: list[Listener] = []

    @classmethod
    def blank(cls, width: int = DEFAULT_SIZE[0], height: int = DEFAULT_SIZE[1]) -> "Document":
        doc = cls(width, height)
        doc.layers.append(VectorLayer(name="Drawing"))
        return doc

    # -- observers -------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def notify(self, what: str, detail: object = None) -> None:
        for listener in list(self._listeners):
            listener(what, detail)

    # -- lookups ---------------------------------------------------------------------------
    def layer(self, layer_id: str) -> Layer:
        for layer in self.layers:
            if layer.id == layer_id:
                return layer
        raise KeyError(f"no layer with id {layer_id}")

    def index_of(self, layer_id: str) -> int:
        return self.layers.index(self.layer(layer_id))

    def vector_layers(self) -> list[VectorLayer]:
        return [layer for layer in self.layers if isinstance(layer, VectorLayer)]

    def all_strokes(self, visible_only: bool = True) -> list[Stroke]:
        return [s for layer in self.vector_layers() if layer.visible or not visible_only for s in layer.strokes]

    def unique_layer_name(self, base: str) -> str:
        names = {layer.name for layer in self.layers}
        if base not in names:
            return base
        for i in itertools.count(2):
            if f"{base} {i}" not in names:
                return f"{base} {i}"
        raise AssertionError("unreachable")

    def is_empty(self) -> bool:
        """Nothing that would print: guide layers do not count."""
        return all(layer.is_empty() or layer.is_guide for layer in self.layers)
