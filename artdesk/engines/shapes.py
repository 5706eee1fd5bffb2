"""Which shape did the user drop a pattern onto? Masks from doodles, silhouettes and layers.

Plain numpy on plain arrays (no Qt, no scipy; Pillow only to blur an enlarged silhouette), so the
drop logic is testable headless:

- `region_at(ink_alpha, x, y)`: the closed region of a rendered doodle around a point (a flood
  fill over runs of free pixels), grown under the inner half of its outline so the fill meets the
  ink without a gap. Refuses with a message when there is nothing to fill.
- `silhouette_mask(rgba)`: an imported silhouette's shape (its alpha, or its dark pixels);
  `page_silhouette_mask` the same for one drawn on the page.
- `layer_mask(rgba)`: the whole raster layer (its alpha).
- `find_target(...)`: the one call the window makes on a drop.

Masks are uint8 (H, W), 0 outside and 255 inside.

Flood fill by runs: each row's free pixels are cut into runs [start, end); a run touches the runs
of the next row whose spans overlap it (4-connected, so a pen line that is only diagonally
connected still holds the fill). Neighbour ranges are found for all runs at once with
searchsorted on (row, column) keys, then a breadth-first walk visits only the runs of the one
region. A 4500x5400 doodle has a few tens of thousands of runs: well under a second.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

INK_LEVEL = 64  # alpha at or above this blocks the fill (antialiased edges count as ink)

MESSAGES = {
    "empty": "The canvas is empty here: draw a closed shape (or import a silhouette), then drop "
             "the pattern inside it.",
    "on_ink": "That is on a line. Drop the pattern inside the shape you want to fill.",
    "open": "This outline is not closed, so the fill would run out to the edge of the canvas. "
            "Close the gap with the pen, drop inside a closed shape, or use the outline of the "
            "strokes nearby instead.",
    "outside": "There is no shape at that point. Drop the pattern inside a closed outline, onto "
               "an imported silhouette or onto a picture layer.",
}


@dataclass
class ShapeResult:
    """What a drop would fill. `ok` is True when `mask` is ready to use.

    status: "ok", "empty" (nothing drawn), "on_ink" (dropped on a line), "open" (the fill leaks to
    the canvas edge; `offered` then holds the filled outline of the nearby strokes, if any).
    """

    status: str
    message: str
    mask: np.ndarray | None = None
    offered: np.ndarray | None = None
    source: str = "region"  # "region" | "silhouette" | "layer"
    bbox: tuple[int, int, int, int] | None = None  # y0, x0, y1, x1 (exclusive) of mask
    notes: list[str] = field(default_factory=list)
    # an opaque silhouette's layer (its own paper would print around the fill): its id
    backdrop_layer: str = ""
    layer_id: str = ""  # the raster layer the shape was found on ("" for a doodle region)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


# ---------------------------------------------------------------- runs and flood fill


@dataclass
class _Runs:
    row: np.ndarray
    start: np.ndarray
    end: np.ndarray  # exclusive
    width: int
    height: int

    @classmethod
    def of(cls, free: np.ndarray) -> "_Runs":
        h, w = free.shape
        padded = np.zeros((h, w + 2), np.int8)
        padded[:, 1:-1] = free
        edges = np.diff(padded, axis=1)
        rs, cs = np.nonzero(edges == 1)
        _, ce = np.nonzero(edges == -1)
        return cls(rs.astype(np.int64), cs.astype(np.int64), ce.astype(np.int64), w, h)

    def find(self, y: int, x: int) -> int:
        """Index of the run containing (y, x), or -1."""
        key = y * (self.width + 1) + x
        i = int(np.searchsorted(self.row * (self.width + 1) + self.start, key, "right")) - 1
        if i >= 0 and self.row[i] == y and self.start[i] <= x < self.end[i]:
            return i
        return -1

    def component(self, seed: int, diagonal: bool = False) -> np.ndarray:
        """Indices of the runs connected to run `seed` (4-connected, or 8 with `diagonal`)."""
        stride = self.width + 1
        start_key = self.row * stride + self.start
        end_key = self.row * stride + self.end
        grow = 1 if diagonal else 0
        ranges = []
        for dr in (1, -1):
            lo = np.searchsorted(end_key, (self.row + dr) * stride + self.start - grow, "right")
            hi = np.searchsorted(start_key, (self.row + dr) * stride + self.end + grow, "left")
            ranges.append((lo, hi))
        seen = np.zeros(len(self.row), bool)
        seen[seed] = True
        todo = deque([seed])
        (lo_d, hi_d), (lo_u, hi_u) = ranges
        while todo:
            i = todo.popleft()
            for j in range(lo_d[i], hi_d[i]):
                if not seen[j]:
                    seen[j] = True
                    todo.append(j)
            for j in range(lo_u[i], hi_u[i]):
                if not seen[j]:
                    seen[j] = True
                    todo.append(j)
        return np.nonzero(seen)[0]

    def touches_border(self, idx: np.ndarray) -> bool:
        r, s, e = self.row[idx], self.start[idx], self.end[idx]
        return bool(np.any(r == 0) or np.any(r == self.height - 1) or np.any(s == 0)
                    or np.any(e == self.width))

    def paint(self, idx: np.ndarray, shape: tuple[int, int] | None = None) -> np.ndarray:
        """Boolean mask of the given runs."""
        h, w = shape or (self.height, self.width)
        marks = np.zeros((h, w + 1), np.int8)
        np.add.at(marks, (self.row[idx], self.start[idx]), 1)
        np.add.at(marks, (self.row[idx], self.end[idx]), -1)
        return np.cumsum(marks, axis=1, dtype=np.int8)[:, :w] > 0


# ---------------------------------------------------------------- morphology (no scipy)


def _max_window(m: np.ndarray, width: int, axis: int) -> np.ndarray:
    """out[i] = any(m[i : i + width]) along `axis` (by doubling), zero-padded past the end."""
    out = m.copy()
    if axis == 1:
        out = out.T
    n = out.shape[0]
    span = 1
    while span * 2 <= width:
        out[: n - span] |= out[span:]  # numpy buffers overlapping in-place operands
        span *= 2
    rest = width - span
    if rest > 0:
        out[: n - rest] |= out[rest:]
    return out.T if axis == 1 else out


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Square dilation of a boolean mask by `radius` pixels (cost grows with log radius)."""
    if radius <= 0:
        return mask.copy()
    m = mask
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (radius, radius)
        grown = _max_window(np.pad(m, pad), 2 * radius + 1, axis)
        sl = [slice(None), slice(None)]
        sl[axis] = slice(0, m.shape[axis])
        m = grown[tuple(sl)]
    return m


def _geodesic_grow(seed: np.ndarray, allowed: np.ndarray, steps: int) -> np.ndarray:
    """Grow `seed` by 4-neighbour steps through `allowed` pixels only (no jumping over lines)."""
    m = seed.copy()
    for _ in range(steps):
        g = m.copy()
        g[1:] |= m[:-1]
        g[:-1] |= m[1:]
        g[:, 1:] |= m[:, :-1]
        g[:, :-1] |= m[:, 1:]
        g &= allowed | m
        if np.array_equal(g, m):
            break
        m = g
    return m


def mask_bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(y0, x0, y1, x1) exclusive of the nonzero pixels, or None for an empty mask."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def _stroke_half_width(ink: np.ndarray, region: np.ndarray, side: int | None = None) -> int:
    """Half the typical width of the pen lines that bound `region`: the ink within reach of the
    region divided by the length of the region's inked edge (a line of length L and width w
    has area L*w and touches the region along L). Other strokes within reach inflate it a
    little; the cap keeps that harmless."""
    box = mask_bbox(region)
    if box is None:
        return 1
    reach = max(8, int(0.01 * (side or max(ink.shape))))
    y0, x0, y1, x1 = box
    y0, x0 = max(0, y0 - reach), max(0, x0 - reach)
    y1, x1 = min(ink.shape[0], y1 + reach), min(ink.shape[1], x1 + reach)
    sub_ink, sub_region = ink[y0:y1, x0:x1], region[y0:y1, x0:x1]
    edge = int((dilate(sub_region, 1) & sub_ink).sum())
    if edge == 0:
        return 1
    area = int((dilate(sub_region, reach) & sub_ink).sum())
    return int(np.clip(np.ceil(area / edge / 2), 1, reach))


# ---------------------------------------------------------------- convex hull (offered shape)


def _convex_hull(points: np.ndarray) -> np.ndarray:
    """Monotone chain hull of (N, 2) float points (x, y); returns the hull vertices in order."""
    pts = np.unique(points, axis=0)
    if len(pts) < 3:
        return pts

    def half(seq):
        out: list = []
        for p in seq:
            while len(out) >= 2:
                (ax, ay), (bx, by) = out[-2], out[-1]
                if (bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax) <= 0:
                    out.pop()
                else:
                    break
            out.append((p[0], p[1]))
        return out

    lst = pts.tolist()
    lower = half(lst)
    upper = half(lst[::-1])
    return np.array(lower[:-1] + upper[:-1], np.float64)


def _fill_convex(hull: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Rasterise a convex polygon (x, y vertices) row by row (pixel centres inside)."""
    h, w = shape
    mask = np.zeros(shape, bool)
    if len(hull) < 3:
        return mask
    ys = hull[:, 1]
    r0, r1 = max(0, int(np.floor(ys.min()))), min(h, int(np.ceil(ys.max())) + 1)
    rows = np.arange(r0, r1) + 0.5
    left = np.full(rows.shape, np.inf)
    right = np.full(rows.shape, -np.inf)
    n = len(hull)
    for i in range(n):
        (ax, ay), (bx, by) = hull[i], hull[(i + 1) % n]
        lo, hi = min(ay, by), max(ay, by)
        sel = (rows >= lo) & (rows <= hi)
        if not sel.any():
            continue
        if hi - lo < 1e-9:
            xs_a = np.full(sel.sum(), min(ax, bx))
            xs_b = np.full(sel.sum(), max(ax, bx))
        else:
            t = (rows[sel] - ay) / (by - ay)
            xs_a = xs_b = ax + t * (bx - ax)
        left[sel] = np.minimum(left[sel], xs_a)
        right[sel] = np.maximum(right[sel], xs_b)
    cols = np.arange(w) + 0.5
    for k, y in enumerate(range(r0, r1)):
        if left[k] <= right[k]:
            mask[y] = (cols >= left[k] - 0.5) & (cols <= right[k] + 0.5)
    return mask


def _nearby_strokes_shape(ink: np.ndarray, x: int, y: int) -> np.ndarray | None:
    """The filled convex outline of the strokes nearest (x, y): the 'bounding shape' offered
    when the doodle is open. Strokes closer than ~1.5% of the canvas count as one drawing."""
    h, w = ink.shape
    step = max(1, int(max(h, w) // 1024))  # look at a coarse copy of big canvases
    small = ink[::step, ::step] if step > 1 else ink
    if step > 1:  # keep thin lines: a coarse pixel is ink if any pixel in its block is
        hh, ww = -(-h // step), -(-w // step)
        pad = np.zeros((hh * step, ww * step), bool)
        pad[:h, :w] = ink
        small = np.asarray(pad.reshape(hh, step, ww, step).any(axis=(1, 3)))  # an array: the stub says bool too
    joined = dilate(small, max(1, int(0.015 * max(small.shape))))
    ys, xs = np.nonzero(small)
    if ys.size == 0:
        return None
    near = int(np.argmin((ys - y / step) ** 2 + (xs - x / step) ** 2))
    runs = _Runs.of(joined)
    seed = runs.find(int(ys[near]), int(xs[near]))
    if seed < 0:
        return None
    group = runs.paint(runs.component(seed, diagonal=True)) & small
    rr, cc = np.nonzero(group)
    pts = np.stack([(cc + 0.5) * step, (rr + 0.5) * step], axis=1)
    # only each row's outermost points can be on the hull
    order = np.lexsort((pts[:, 0], pts[:, 1]))
    pts = pts[order]
    first = np.r_[True, pts[1:, 1] != pts[:-1, 1]]
    last = np.r_[pts[1:, 1] != pts[:-1, 1], True]
    hull = _convex_hull(np.concatenate([pts[first] - [step / 2, 0], pts[last] + [step / 2, 0]]))
    return _fill_convex(hull, (h, w)) | ink


# ---------------------------------------------------------------- public API


def _as_uint8(mask: np.ndarray) -> np.ndarray:
    return np.where(mask, np.uint8(255), np.uint8(0))


def _result_ok(mask: np.ndarray, source: str, message: str = "", notes=None) -> ShapeResult:
    return ShapeResult("ok", message or "Ready to fill.", _as_uint8(mask), None, source,
                       mask_bbox(mask), list(notes or []))


def region_at(ink_alpha: np.ndarray, x: float, y: float, *, gap: int | None = None,
              grow: int | None = None, ink_level: int = INK_LEVEL, page_side: int | None = None) -> ShapeResult:
    """The closed region of a doodle around (x, y).

    ink_alpha: (H, W) uint8 coverage of the rendered strokes (any resolution; pass the screen
    render for speed and scale the mask up, or the print render for a crisp print mask).
    gap: the widest break in an outline (pixels) that may be bridged; by default breaks up to
    ~0.6% of the canvas are closed when the plain fill leaks.
    grow: how far the mask reaches under the outline (default: half the measured pen width).
    page_side: the page's longer side when `ink_alpha` is a window of it (the defaults above
    scale with the page, so a window gives the page's answer).
    """
    ink = np.asarray(ink_alpha) >= ink_level
    h, w = ink.shape
    side = page_side or max(h, w)
    xi, yi = int(np.floor(x)), int(np.floor(y))
    if not ink.any():
        return ShapeResult("empty", MESSAGES["empty"])
    if not (0 <= xi < w and 0 <= yi < h):
        return ShapeResult("outside", MESSAGES["outside"])
    if ink[yi, xi]:
        return ShapeResult("on_ink", MESSAGES["on_ink"])

    gaps = [0] if gap == 0 else ([gap] if gap else [0, max(2, int(round(0.006 * side)))])
    for g in gaps:
        blocked = dilate(ink, g) if g else ink
        if blocked[yi, xi]:
            continue
        runs = _Runs.of(~blocked)
        idx = runs.component(runs.find(yi, xi))
        if runs.touches_border(idx):
            continue
        region = runs.paint(idx)
        notes = []
        if g:  # give back what the bridging took from the region, without crossing lines
            region = _geodesic_grow(region, ~ink, g + 1)
            notes.append(f"A gap of up to {g} px in the outline was closed for the fill.")
        half = _stroke_half_width(ink, region, side) if grow is None else int(grow)
        box = mask_bbox(region) if half > 0 else None  # never empty: the region holds the dropped pixel
        if box is not None:
            y0, x0, y1, x1 = box
            y0, x0, y1, x1 = max(0, y0 - half), max(0, x0 - half), y1 + half, x1 + half
            window = region[y0:y1, x0:x1]
            window |= dilate(window, half) & ink[y0:y1, x0:x1]
        return _result_ok(region, "region", notes=notes)

    offered = _nearby_strokes_shape(ink, xi, yi)
    return ShapeResult("open", MESSAGES["open"],
                       offered=None if offered is None else _as_uint8(offered))


def otsu_threshold(gray: np.ndarray) -> int:
    """Otsu's threshold of a uint8 image: the level that best splits it into two classes."""
    hist = np.bincount(np.asarray(gray, np.uint8).ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    levels = np.arange(256)
    w0 = np.cumsum(hist)
    m0 = np.cumsum(hist * levels)
    w1 = total - w0
    mean_all = m0[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean_all * w0 / total - m0) ** 2 / (w0 * w1 / total)
    between = np.nan_to_num(between, nan=-1.0, posinf=-1.0)
    return int(np.argmax(between))


def _gray(img: np.ndarray) -> np.ndarray:
    if img.ndim == 2:
        return img.astype(np.uint8)
    rgb = img[..., :3].astype(np.float32)
    return np.round(rgb @ np.array([0.299, 0.587, 0.114], np.float32)).astype(np.uint8)


def has_transparency(rgba: np.ndarray) -> bool:
    return rgba.ndim == 3 and rgba.shape[2] == 4 and bool((rgba[..., 3] < 128).any())


EDGE_SMOOTH = 1.0  # blur, in the silhouette's own pixels, before the threshold of an enlarged one


def _smooth(channel: np.ndarray, magnification: float) -> np.ndarray:
    """An enlarged silhouette's alpha or grey, blurred by EDGE_SMOOTH of its own pixels, so the
    threshold draws round curves instead of its pixels' stairs (a 256 px shape printed at 4500 px
    steps by 17 px otherwise). Below 2x there are no stairs to see: unchanged."""
    if magnification < 2:
        return channel
    from PIL import Image, ImageFilter

    img = Image.fromarray(np.ascontiguousarray(channel, dtype=np.uint8))
    return np.asarray(img.filter(ImageFilter.GaussianBlur(EDGE_SMOOTH * magnification)))


def silhouette_mask(rgba: np.ndarray, magnification: float = 1.0) -> np.ndarray:
    """The shape of an imported silhouette: its alpha where it has transparency, else the pixels
    on the other side of Otsu's threshold from the background (the colour of most border
    pixels), so dark-on-light and light-on-dark silhouettes both work. `magnification`: how much
    `rgba` was enlarged from the silhouette's own pixels (smooths the edge, see `_smooth`)."""
    img = np.asarray(rgba)
    if has_transparency(img):
        return np.where(_smooth(img[..., 3], magnification) >= 128, np.uint8(255), np.uint8(0))
    gray = _gray(img)
    t: float = otsu_threshold(gray)  # a level; the midpoint of two tone means below
    smooth = _smooth(gray, magnification)
    if smooth is not gray:  # blurred edges: cut half-way between the two tones, which keeps the area
        low, high = gray[gray <= t], gray[gray > t]
        if low.size and high.size:
            t = (float(low.mean()) + float(high.mean())) / 2
    dark = smooth <= t
    border = np.concatenate([dark[0], dark[-1], dark[:, 0], dark[:, -1]])
    shape = ~dark if border.mean() > 0.5 else dark
    return _as_uint8(shape)


def page_silhouette_mask(page: np.ndarray, magnification: float = 1.0, opaque: bool = False) -> np.ndarray:
    """`silhouette_mask` of a silhouette layer drawn on the transparent page. An `opaque` image
    (a dark shape on white, no alpha of its own) gets transparent surroundings on the page, so
    its shape is found from its grey inside the layer's own area, not from the page's alpha."""
    img = np.asarray(page)
    if not opaque:
        return silhouette_mask(img, magnification)
    out = np.zeros(img.shape[:2], np.uint8)
    box = mask_bbox(img[..., 3] > 0)
    if box is None:
        return out
    y0, x0, y1, x1 = box
    crop = img[y0:y1, x0:x1]
    out[y0:y1, x0:x1] = np.where(crop[..., 3] > 0, silhouette_mask(crop[..., :3], magnification), 0)
    return out


def layer_mask(rgba: np.ndarray) -> np.ndarray:
    """The whole raster layer: every pixel that has paint (alpha > 0)."""
    img = np.asarray(rgba)
    if img.ndim == 3 and img.shape[2] == 4:
        return np.where(img[..., 3] > 0, np.uint8(255), np.uint8(0))
    return np.full(img.shape[:2], 255, np.uint8)


@dataclass
class TargetLayer:
    """A raster layer the drop may land on, topmost first in `find_target`.

    kind "silhouette": an imported shape (its alpha, or its dark pixels); "raster": the whole
    painted layer.
    """

    rgba: np.ndarray
    kind: str = "raster"
    name: str = ""
    magnification: float = 1.0  # page pixels per pixel of the layer's own image (smooth resampling)
    opaque: bool = False  # a silhouette without alpha of its own: its shape is its dark (or light) pixels
    layer_id: str = ""


def find_target(ink_alpha: np.ndarray | None, x: float, y: float,
                layers: Sequence[TargetLayer] = (), **region_options) -> ShapeResult:
    """What a pattern dropped at (x, y) should fill, in canvas pixels.

    Order: a closed doodle region around the point; else the topmost layer with paint under the
    point (a silhouette's shape or the whole layer); else the doodle's refusal ("open" with an
    offered outline, "on_ink") or "empty" when there is nothing on the canvas at all.
    """
    result = None
    if ink_alpha is not None:
        result = region_at(ink_alpha, x, y, **region_options)
        if result.ok:
            return result
    xi, yi = int(np.floor(x)), int(np.floor(y))
    for layer in layers:
        img = np.asarray(layer.rgba)
        if not (0 <= yi < img.shape[0] and 0 <= xi < img.shape[1]):
            continue
        if layer.kind == "silhouette":
            mask = page_silhouette_mask(img, layer.magnification, layer.opaque)
        else:
            mask = layer_mask(img)
        if mask[yi, xi]:
            name = f" “{layer.name}”" if layer.name else ""
            found = _result_ok(mask > 0, layer.kind if layer.kind == "silhouette" else "layer",
                               f"Fills the layer{name}.")
            found.layer_id = layer.layer_id
            if layer.kind == "silhouette" and layer.opaque:
                found.backdrop_layer = layer.layer_id
            return found
    if result is not None and result.status in ("open", "on_ink"):
        return result
    doodle_empty = result is None or result.status == "empty"
    if doodle_empty and not any((np.asarray(t.rgba)[..., 3] > 0).any() if np.asarray(t.rgba).ndim == 3
                                and np.asarray(t.rgba).shape[2] == 4 else True for t in layers):
        return ShapeResult("empty", MESSAGES["empty"])
    return ShapeResult("outside", MESSAGES["outside"])
