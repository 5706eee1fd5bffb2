"""Strings mode: the Zentangle method as a fill.

A drawn zentangle starts with a "string": a few loose pencil curves across the shape that divide
it into sections; each section is then filled with a different tangle, and the string is inked
over as the sections' outlines. `fill_shape_with_strings` does that on plain arrays:

- strings: `count` smooth curves (a line through a point of the shape, bent by a few seeded
  sine waves), defined in the shape's own normalised coordinates (its bounding box), so the same
  seed divides a 900 px preview and a 4500 px print the same way;
- sections: the side of each string a pixel lies on (a bit per string); every piece of the shape
  gets the tangle of its section, drawn from the chosen set so that sections differ;
- per section, the pattern is scaled to the section (small sections, finer pattern) and turned
  along the section's long axis (from its second moments);
- outlines: each string is inked with an antialiased pen from its distance (analytic, so it is
  sharp at any size), with a thin paper "aura" on both sides, and the shape's edge is inked
  the same way inside the shape;
- colour: grey patterns (every built-in tangle) are inked in the section's palette colour;
  coloured patterns keep their colours.

Built-in tangles (given by key) are drawn at the pixel size they are shown at (tangles.draw is a
distance-field renderer), never resampled, so lines stay crisp at print size and a small preview
shows the same picture smaller instead of aliasing. Work is done in bands of rows; only pixels
inside the shape are sampled. numpy only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from artdesk.engines.progress import Job, Progress
from artdesk.engines.shapes import mask_bbox
from artdesk.engines.tiling import bilinear_wrapped, mask_alpha, pattern_as_rgb

BAND = 256  # rows per band
STRING_PEN = 9.0  # string and outline width in print pixels (at scale 1: a 4500 px wide page)
AURA = 6.0  # paper between a string and the patterns, print pixels
TANGLE_SIDE = 512  # a built-in tangle's tile spans this many print pixels at scale 1
STAT_SIDE = 192  # the section statistics (area, axis) are measured on a grid this size
DEFAULT_PATTERNS = ("hollibaugh", "printemps", "crescent_moon", "knightsbridge", "nzeppel", "florz",
                    "static", "jetties")


@dataclass(frozen=True)
class String:
    """One string in the shape's normalised frame (units of its bounding box's longer side)."""

    py: float
    px: float
    angle: float
    amps: tuple[float, ...]
    freqs: tuple[float, ...]
    phases: tuple[float, ...]

    def signed_distance(self, y: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Approximate signed distance (normalised units) of points (y, x) to the curve
        v = f(u) in the string's own frame: (v - f(u)) / sqrt(1 + f'(u)^2), exact for a
        straight string and within a few percent for these gentle bends."""
        c, s = math.cos(self.angle), math.sin(self.angle)
        dy, dx = y - self.py, x - self.px
        u = dx * c + dy * s
        v = -dx * s + dy * c
        f = np.zeros_like(u)
        fp = np.zeros_like(u)
        for a, k, p in zip(self.amps, self.freqs, self.phases):
            arg = k * u + p
            f += a * np.sin(arg)
            fp += a * k * np.cos(arg)
        return (v - f) / np.sqrt(1.0 + fp * fp)


def make_strings(inside_small: np.ndarray, count: int, seed: int) -> list[String]:
    """`count` seeded strings that cross the shape: each passes through a point of the shape
    (from `inside_small`, the shape on the statistics grid, normalised by its longer side) at
    angles spread around the half-turn, with two or three gentle waves."""
    rng = np.random.default_rng(seed)
    h, w = inside_small.shape
    side = max(h, w)
    ys, xs = np.nonzero(inside_small)
    cy, cx = (ys.mean() + 0.5) / side, (xs.mean() + 0.5) / side
    spread = max(ys.std(), xs.std()) / side if len(ys) else 0.25
    base = rng.uniform(0, math.pi)
    strings = []
    for i in range(count):
        # a point of the shape's inner part, so the string crosses it; drawn uniformly and
        # kept when inside, so a preview's coarser shape picks the same points as the print
        py, px = cy, cx
        for _ in range(60):
            qy, qx = rng.uniform(0, h / side), rng.uniform(0, w / side)
            iy, ix = min(h - 1, int(qy * side)), min(w - 1, int(qx * side))
            if inside_small[iy, ix] and math.hypot(qy - cy, qx - cx) <= 0.7 * spread:
                py, px = qy, qx
                break
        angle = base + math.pi * i / count + rng.uniform(-0.35, 0.35)
        waves = int(rng.integers(2, 4))
        freqs = tuple(2 * math.pi / rng.uniform(0.35, 1.1) for _ in range(waves))
        amps = tuple(rng.uniform(0.02, 0.07) / (1 + n) for n in range(waves))
        phases = tuple(rng.uniform(0, 2 * math.pi) for _ in range(waves))
        strings.append(String(py, px, angle, amps, freqs, phases))
    return strings


def _band_distances(strings: list[String], y0: int, y1: int, width: int, side: int,
                    ry: np.ndarray, rx: np.ndarray, step: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """(section code, distance in pixels to the nearest string) for the band's pixels (ry + y0, rx):
    each string's signed distance is evaluated on a grid every `step` pixels and interpolated
    bilinearly over the band (it is smooth: the error is far below a pixel), 16x fewer sines
    than per pixel; the interpolation runs on whole rows, then the pixels are picked."""
    gy = np.arange(y0, y1 + step, step, dtype=np.float32) + 0.5
    gx = np.arange(0, width + step, step, dtype=np.float32) + 0.5
    rows = np.arange(y1 - y0, dtype=np.float32) / step
    cols = np.arange(width, dtype=np.float32) / step
    iy = np.minimum(rows.astype(np.int64), len(gy) - 2)
    ix = np.minimum(cols.astype(np.int64), len(gx) - 2)
    ty = (rows - iy)[:, None]
    tx = cols - ix
    code = np.zeros((y1 - y0, width), np.int32)
    near = np.full((y1 - y0, width), np.inf, np.float32)
    for bit, s in enumerate(strings):
        grid = s.signed_distance(gy[:, None] / side, gx[None, :] / side).astype(np.float32) * side
        across = grid[:, ix] * (1 - tx) + grid[:, ix + 1] * tx
        d = across[iy] * (1 - ty) + across[iy + 1] * ty
        code |= (d > 0).astype(np.int32) << bit
        np.minimum(near, np.abs(d), out=near)
    return code[ry, rx], near[ry, rx]


def _codes(strings: list[String], y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(section code: one bit per string side, distance to the nearest string) for points."""
    code = np.zeros(np.broadcast(y, x).shape, np.int32)
    near = np.full(code.shape, np.inf, np.float32)
    for bit, s in enumerate(strings):
        d = s.signed_distance(y, x)
        code |= (d > 0).astype(np.int32) << bit
        np.minimum(near, np.abs(d).astype(np.float32), out=near)
    return code, near


@dataclass
class Section:
    code: int
    area: float  # fraction of the shape
    angle: float  # long axis, radians (image coordinates, y down)
    pattern: int  # index into the pattern list; -1: paper (a light part of a followed picture)
    colour: tuple[int, int, int] | None
    zoom: float | None = None  # the pattern's size relative to the fill's scale (None: from the area)


def plan_sections(alpha: np.ndarray, strings: list[String], n_patterns: int, seed: int,
                  palette: list[tuple[int, int, int]] | None = None) -> dict[int, Section]:
    """Measure every section on a small grid of the shape (area, long axis) and give each a
    pattern (neighbouring codes differ while there are patterns enough) and a palette colour.
    Resolution-independent: the grid is in normalised coordinates."""
    h, w = alpha.shape
    side = max(h, w)
    k = STAT_SIDE / side
    sh, sw = max(1, round(h * k)), max(1, round(w * k))
    ys = (np.arange(sh, dtype=np.float32)[:, None] + 0.5) / sh * (h / side)
    xs = (np.arange(sw, dtype=np.float32)[None, :] + 0.5) / sw * (w / side)
    iy = np.minimum((ys * side).astype(np.int64), h - 1)
    ix = np.minimum((xs * side).astype(np.int64), w - 1)
    inside = alpha[iy, ix] >= 128
    code, _ = _codes(strings, ys, xs)
    # Patterns go to all possible codes in order, whether or not a section is there, so that
    # the choice does not depend on the resolution: across one string (codes one bit apart) is
    # a neighbour, and never gets the same tangle while there are tangles enough.
    rng = np.random.default_rng(seed + 1)
    order = [int(v) for v in rng.permutation(n_patterns)]
    used = {p: 0 for p in order}
    chosen: dict[int, int] = {}
    for c in range(1 << len(strings)):
        taken = {chosen[o] for o in chosen if bin(o ^ c).count("1") == 1}
        pattern = min(order, key=lambda p: (p in taken, used[p], order.index(p)))
        used[pattern] += 1
        chosen[c] = pattern
    sections: dict[int, Section] = {}
    present = sorted(set(np.unique(code[inside]).tolist())) if inside.any() else []
    total = max(1, int(inside.sum()))
    for c in present:
        sel = inside & (code == c)
        yy, xx = np.nonzero(sel)
        angle = 0.0
        if len(yy) >= 3:
            cov = np.cov(np.stack([xx.astype(np.float64), yy.astype(np.float64)]))
            vals, vecs = np.linalg.eigh(cov)
            vx, vy = vecs[:, int(np.argmax(vals))]
            angle = math.atan2(vy, vx)
        colour = palette[c % len(palette)] if palette else None
        sections[c] = Section(c, len(yy) / total, angle, chosen[c], colour)
    return _dropped_pattern_first(sections)


def _dropped_pattern_first(sections: dict[int, Section]) -> dict[int, Section]:
    """The largest section gets pattern 0 (the one the user dropped): the patterns of the
    sections are swapped as a whole (0 <-> the largest's), so neighbours still differ."""
    if not sections:
        return sections
    big = max(sections.values(), key=lambda sec: (sec.area, -sec.code))
    other = big.pattern
    if other == 0:
        return sections
    swap = {0: other, other: 0}
    for sec in sections.values():
        sec.pattern = swap.get(sec.pattern, sec.pattern)
    return sections


def section_scale(area: float, n_sections: int) -> float:
    """The pattern's size in a section, relative to the fill's scale: sections of average size
    get 1, a small one a finer pattern, a big one a coarser (within 0.6..1.3)."""
    return float(np.clip(math.sqrt(max(area, 1e-6) * max(n_sections, 1)), 0.6, 1.3))


# ---------------------------------------------------------------- patterns at the shown size


def tangle_side(pixel_scale: float) -> int:
    """The size a tangle is drawn at to be shown at `pixel_scale`: on a ladder of quarter
    octaves, so drops and seeds reuse cached drawings (sampled at most 9% off their size)."""
    want = max(16.0, TANGLE_SIDE * pixel_scale)
    return max(16, round(2 ** (round(math.log2(want) * 4) / 4)))


@lru_cache(maxsize=64)
def _tangle_at(key: str, side: int) -> np.ndarray:
    """The tangle drawn at `side` px; below the gallery's 512 px (a preview) its shipped picture
    (tangles.render_all's output, the same drawing) made smaller with Lanczos instead, since
    drawing a packed tangle (Printemps, Tipple) costs about 0.5 s at any size."""
    from artdesk.engines import tangles

    if side < TANGLE_SIDE:
        picture = _shipped_tangle(key)
        if picture is not None:
            from PIL import Image

            return np.asarray(Image.fromarray(picture).resize((side, side), Image.Resampling.LANCZOS))
    return tangles.draw(key, size=side)


@lru_cache(maxsize=64)
def _tangle_grey(key: str, side: int) -> np.ndarray:
    """The tangle at `side` px as one float32 channel (tangles are ink on paper), kept."""
    return np.ascontiguousarray(_tangle_at(key, side).astype(np.float32)[..., None])


@lru_cache(maxsize=32)
def _shipped_tangle(key: str) -> np.ndarray | None:
    from PIL import Image

    from artdesk.paths import resources_dir

    path = resources_dir() / "patterns" / f"{key}.png"
    try:
        with Image.open(path) as im:
            if im.size != (TANGLE_SIDE, TANGLE_SIDE):
                return None
            return np.asarray(im.convert("L"))
    except OSError:
        return None


def pattern_at(pattern, pixel_scale: float) -> tuple[np.ndarray, float]:
    """(the pattern as float32 RGB 0..255 about the size it is shown at, page pixels per pixel
    of it), for `pixel_scale` page pixels per pixel of a 512 px tile: a tangle key is drawn near
    that size (tangle_side), an image is resampled (Lanczos when shrinking, so a preview does
    not alias)."""
    from PIL import Image

    if isinstance(pattern, str):
        side = tangle_side(pixel_scale)
        return pattern_as_rgb(_tangle_at(pattern, side)), TANGLE_SIDE * pixel_scale / side
    src = pattern_as_rgb(pattern)
    h, w = src.shape[:2]
    k = pixel_scale * TANGLE_SIDE / max(h, w) if max(h, w) > TANGLE_SIDE * 1.5 else pixel_scale
    nh, nw = max(4, round(h * k)), max(4, round(w * k))
    if (nh, nw) == (h, w):
        return src, 1.0
    img = Image.fromarray(np.clip(np.rint(src), 0, 255).astype(np.uint8))
    return np.asarray(img.resize((nw, nh), Image.Resampling.LANCZOS if k < 1 else Image.Resampling.BICUBIC), np.float32), 1.0


def sample(src: np.ndarray, y: np.ndarray, x: np.ndarray, angle: float, oy: float, ox: float,
           zoom: float = 1.0) -> np.ndarray:
    """Bilinear, wrapping samples of `src` (ph, pw, C) at page points (y, x) (pixel centres),
    the pattern enlarged by `zoom`, turned by `angle` (radians) and shifted by (oy, ox) of its
    pixels. -> (N, C) float32."""
    ph, pw = src.shape[:2]
    c, s = math.cos(angle) / zoom, math.sin(angle) / zoom
    u = (c * x + s * y + ox) % pw
    v = (-s * x + c * y + oy) % ph
    return bilinear_wrapped(src, u, v, np.float32)


# ---------------------------------------------------------------- the shape's own outline


def edge_distance(alpha: np.ndarray, limit: int) -> np.ndarray:
    """Steps (0..limit, uint8) from each inside pixel to the outside, growing the outside by
    alternating 4- and 8-neighbour steps (an octagon, close to a disc); `limit` beyond. The
    array's border counts as outside."""
    inside = alpha >= 128
    outside = np.pad(~inside, 1, constant_values=True)
    dist = np.full(outside.shape, limit, np.uint8)
    grown = outside
    dist[grown] = 0
    for step in range(1, limit):
        g = grown.copy()
        g[1:] |= grown[:-1]
        g[:-1] |= grown[1:]
        g[:, 1:] |= grown[:, :-1]
        g[:, :-1] |= grown[:, 1:]
        if step % 2 == 0:
            g[1:, 1:] |= grown[:-1, :-1]
            g[1:, :-1] |= grown[:-1, 1:]
            g[:-1, 1:] |= grown[1:, :-1]
            g[:-1, :-1] |= grown[1:, 1:]
        dist[g & ~grown] = step
        grown = g
    return dist[1:-1, 1:-1]


def _box3(a: np.ndarray) -> np.ndarray:
    """3x3 box blur (edges replicated): softens the stair steps of a raster band into antialiasing."""
    p = np.pad(a, 1, mode="edge")
    rows = p[:-2] + p[1:-1] + p[2:]
    return (rows[:, :-2] + rows[:, 1:-1] + rows[:, 2:]) / 9.0


# ---------------------------------------------------------------- the user's own strings


DIVIDER_INK = 64  # alpha at or above this in the dividers (the user's strokes) splits sections


def label_sections(free: np.ndarray) -> tuple[np.ndarray, int]:
    """Connected parts (4-neighbour) of the boolean `free`: (int32 labels, -1 outside, count).
    Runs of each row are joined to the overlapping runs of the next row with a union-find, so
    the cost follows the number of runs, not of pixels; labels follow the first run of each part
    in reading order (top to bottom, left to right)."""
    from artdesk.engines.shapes import _Runs

    h, w = free.shape
    runs = _Runs.of(free)
    n = len(runs.row)
    labels = np.full((h, w), -1, np.int32)
    if n == 0:
        return labels, 0
    stride = w + 1
    start_key = runs.row * stride + runs.start
    end_key = runs.row * stride + runs.end
    lo = np.searchsorted(end_key, (runs.row + 1) * stride + runs.start, "right")
    hi = np.searchsorted(start_key, (runs.row + 1) * stride + runs.end, "left")
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in np.flatnonzero(hi > lo).tolist():
        for j in range(int(lo[i]), int(hi[i])):
            a, b = find(i), find(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    roots = np.asarray([find(i) for i in range(n)])
    _, first = np.unique(roots, return_index=True)
    number = {int(roots[f]): k for k, f in enumerate(np.sort(first))}
    run_label = np.asarray([number[int(r)] for r in roots], np.int32)
    for r, a, b, lab in zip(runs.row.tolist(), runs.start.tolist(), runs.end.tolist(), run_label.tolist()):
        labels[r, a:b] = lab
    return labels, len(number)


def _fill_row_gaps(labels: np.ndarray) -> np.ndarray:
    """Give every -1 pixel of each row the label of the nearest labelled pixel to its left (else
    to its right; else 0): pixels under the user's strokes get a neighbouring section's pattern,
    so the stroke's antialiased edge shows pattern, not a white halo."""
    w = labels.shape[1]
    have = labels >= 0
    idx = np.where(have, np.arange(w)[None, :], 0)
    np.maximum.accumulate(idx, axis=1, out=idx)
    left = np.take_along_axis(labels, idx, axis=1)
    left_ok = np.take_along_axis(have, idx, axis=1)
    ridx = np.where(have, np.arange(w)[None, :], w - 1)[:, ::-1]
    np.minimum.accumulate(ridx, axis=1, out=ridx)
    right = np.take_along_axis(labels, ridx[:, ::-1], axis=1)
    out = np.where(have, labels, np.where(left_ok, left, right))
    return np.maximum(out, 0)


def plan_labelled(labels: np.ndarray, count: int, inside: np.ndarray, n_patterns: int, seed: int,
                  palette: list[tuple[int, int, int]] | None) -> dict[int, Section]:
    """Sections for labelled parts (the user's strings): area and long axis measured on a grid of
    about STAT_SIDE (all parts at once, from their moments: a scribble's thousand parts cost no
    more than four), patterns in a seeded order (consecutive parts differ)."""
    step = max(1, max(labels.shape) // (STAT_SIDE * 2))
    grid = labels[::step, ::step]
    total = max(1, int((inside[::step, ::step]).sum()))
    order = [int(v) for v in np.random.default_rng(seed + 1).permutation(n_patterns)]
    yy, xx = np.nonzero(grid >= 0)
    lab = grid[yy, xx]
    n = np.bincount(lab, minlength=count).astype(np.float64)[:count]

    def moment(values):
        return np.bincount(lab, weights=values, minlength=count)[:count] / np.maximum(n, 1)

    x, y = xx.astype(np.float64), yy.astype(np.float64)
    mx, my = moment(x), moment(y)
    cxx, cyy, cxy = moment(x * x) - mx ** 2, moment(y * y) - my ** 2, moment(x * y) - mx * my
    angles = 0.5 * np.arctan2(2 * cxy, cxx - cyy)  # the long axis, from the second moments
    sections = {}
    for c in range(count):
        colour = palette[c % len(palette)] if palette else None
        angle = float(angles[c]) if n[c] >= 3 else 0.0
        sections[c] = Section(c, max(n[c], 1.0) / total, angle, order[c % n_patterns], colour)
    return _dropped_pattern_first(sections)


# ---------------------------------------------------------------- the fill


def layout(shape: np.ndarray, count: int, seed: int, n_patterns: int,
           palette: list[tuple[int, int, int]] | None = None) -> tuple[list[String], dict[int, Section]]:
    """The strings and the planned sections for `shape` (alpha cropped to its bounding box).
    A point (y, x) of the crop is in section `section_codes(strings, y / side, x / side)`, side
    being the crop's longer side."""
    bh, bw = shape.shape
    side = max(bh, bw)
    small_k = STAT_SIDE / side
    sy = np.minimum(((np.arange(max(1, round(bh * small_k))) + 0.5) / small_k).astype(np.int64), bh - 1)
    sx = np.minimum(((np.arange(max(1, round(bw * small_k))) + 0.5) / small_k).astype(np.int64), bw - 1)
    inside_small = shape[sy][:, sx] >= 128
    if not inside_small.any():
        inside_small = shape[sy][:, sx] > 0
    strings = make_strings(inside_small, max(0, int(count)), seed) if inside_small.any() else []
    return strings, plan_sections(shape, strings, n_patterns, seed, palette)


def section_codes(strings: list[String], y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(section code, distance to the nearest string) of normalised points: see `layout`."""
    return _codes(strings, y, x)



def parse_palette(text: str) -> list[tuple[int, int, int]]:
    """'#1b4f72, #c0392b' -> [(27, 79, 114), (192, 57, 43)]; ValueError with a sentence."""
    colours = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        h = part.lstrip("#")
        if len(h) != 6 or any(ch not in "0123456789abcdefABCDEF" for ch in h):
            raise ValueError(f"'{part}' is not a colour; write colours as #rrggbb, separated by commas.")
        colours.append((int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)))
    return colours


def fill_shape_with_strings(patterns: list, mask: np.ndarray, scale: float = 1.0, rotation: float = 0.0,
                            seed: int = 0, count: int = 4, ink: tuple[int, int, int] | None = None,
                            paper: tuple[int, int, int] | None = None,
                            palette: list[tuple[int, int, int]] | None = None,
                            outline: bool = True, pen_scale: float | None = None,
                            dividers: np.ndarray | None = None, picture: np.ndarray | None = None,
                            levels: int = 4, picture_colours: bool = False) -> Job:
    """Job: `mask` divided by `count` seeded strings, each section filled with one of `patterns`
    (tangle keys or images), outlined. Returns RGBA uint8 the size of `mask`, alpha = the mask.

    dividers: the user's own strings instead of generated ones, an alpha (uint8, the size of
    `mask`) of strokes that cut the shape into sections (a doodle's strokes, strokes on a layer);
    the strokes themselves are not drawn (they stay on their own layer, on top).
    picture: a picture to follow (RGB/RGBA/grey, the size of `mask`): the sections are its tone
    levels' parts (artdesk.engines.follow), dark ones filled with dark, dense tangles, light ones
    with light, sparse ones or left as paper, their borders inked like strings; `levels` tone levels;
    picture_colours: each section inked in the picture's colour there (darkened to read on paper).

    scale: page pixels per print pixel times the user's pattern size (1.0 = a 4500 px wide print
    at the default size); pen_scale: page pixels per print pixel for the strings' and outline's
    width (default: scale); rotation: degrees added to every section's own angle; ink / paper: the
    colours of grey patterns and of the strings (a palette colour per section overrides ink)."""
    if scale <= 0:
        raise ValueError("The pattern scale must be more than 0.")
    if not patterns:
        raise ValueError("Strings mode needs at least one pattern.")
    alpha = mask_alpha(mask)
    h, w = alpha.shape
    result = np.zeros((h, w, 4), np.uint8)
    box = mask_bbox(alpha)
    if box is None:
        yield Progress(1.0, "Nothing to fill: the shape is empty.")
        return result
    by0, bx0, by1, bx1 = box
    shape = alpha[by0:by1, bx0:bx1]
    bh, bw = shape.shape
    side = max(bh, bw)
    labels = None
    plan = None
    strings: list[String] = []
    if picture is not None:
        from artdesk.engines.follow import assign_patterns, ink_of, plan_picture

        yield Progress(0.02, "Reading the picture's tones")
        pic = np.asarray(picture)
        if pic.shape[:2] != alpha.shape:
            raise ValueError(f"picture {pic.shape[:2]} and mask {alpha.shape} differ in size")
        plan = plan_picture(pic[by0:by1, bx0:bx1], shape, levels)
        chosen = assign_patterns(plan, list(patterns), seed)
        sections = {}
        for c, (p_index, zoom) in chosen.items():
            lv = plan.level_of[c]
            colour = palette[lv % len(palette)] if palette else None
            if picture_colours and c in plan.colour_of:
                colour = ink_of(plan.colour_of[c])
            sections[c] = Section(c, 1.0 / max(1, plan.count), 0.0, p_index, colour, zoom)
    elif dividers is not None:
        yield Progress(0.02, "Finding the sections between your strokes")
        div = np.asarray(dividers)[by0:by1, bx0:bx1]
        if div.shape != shape.shape:
            raise ValueError(f"dividers {np.asarray(dividers).shape} and mask {alpha.shape} differ in size")
        labels, n_labels = label_sections((shape >= 128) & (div < DIVIDER_INK))
        sections = plan_labelled(labels, n_labels, shape >= 128, len(patterns), seed, palette)
    else:
        yield Progress(0.02, "Drawing the strings")
        strings, sections = layout(shape, count, seed, len(patterns), palette)
    n_sections = max(1, len(sections))

    ink_rgb = np.asarray(ink if ink is not None else (0, 0, 0), np.float32)
    paper_rgb = np.asarray(paper if paper is not None else (255, 255, 255), np.float32)
    pen = STRING_PEN * (pen_scale or scale)
    aura = AURA * (pen_scale or scale)
    rng = np.random.default_rng(seed + 2)
    offsets = {c: (float(rng.uniform(0, 1)), float(rng.uniform(0, 1))) for c in range(1 << len(strings))} \
        if labels is None else {}
    sources: dict[int, tuple[np.ndarray, float, bool]] = {}
    images: dict[tuple, tuple[np.ndarray, float, bool]] = {}

    def source(sec: Section) -> tuple[np.ndarray, float, bool]:
        if sec.code not in sources:
            pattern = patterns[sec.pattern]
            pixel_scale = scale * (sec.zoom if sec.zoom is not None else section_scale(sec.area, n_sections))
            if isinstance(pattern, str):  # a tangle: grey, its one channel kept per size
                side = tangle_side(pixel_scale)
                sources[sec.code] = (_tangle_grey(pattern, side), TANGLE_SIDE * pixel_scale / side, True)
            else:  # an image: made at a size on the tangles' ladder, kept per size for all sections
                step = tangle_side(pixel_scale) / TANGLE_SIDE
                key = (sec.pattern, step)
                if key not in images:
                    src, zoom = pattern_at(pattern, step)
                    grey = bool(np.all(src.max(axis=2) - src.min(axis=2) < 1.0))
                    images[key] = (np.ascontiguousarray(src[..., :1]) if grey else src, zoom, grey)
                src, zoom, grey = images[key]
                sources[sec.code] = (src, zoom * pixel_scale / step, grey)
        return sources[sec.code]

    edge = None
    if outline:
        yield Progress(0.05, "Outlining the shape")
        limit = int(min(250, math.ceil(pen + aura) + 2))
        edge = edge_distance(shape, limit)

    rows = list(range(0, bh, BAND))
    for bi, y0 in enumerate(rows):
        y1 = min(bh, y0 + BAND)
        band = shape[y0:y1]
        ry, rx = np.nonzero(band > 0)
        if len(ry):
            py = (ry + y0).astype(np.float32) + 0.5
            px = rx.astype(np.float32) + 0.5
            if labels is not None:
                code = _fill_row_gaps(labels[y0:y1])[ry, rx]
                near = np.full(len(ry), np.inf, np.float32)
            elif plan is not None:
                code, near = plan.codes(y0, y1, ry, rx)
            else:
                code, near = _band_distances(strings, y0, y1, bw, side, ry, rx)
            colour = np.empty((len(ry), 3), np.float32)
            # the band's pixels grouped by section (sorted once: many sections cost no more)
            order = np.argsort(code, kind="stable")
            starts = np.flatnonzero(np.r_[True, np.diff(code[order]) != 0])
            ends = np.r_[starts[1:], len(order)]
            for a, b in zip(starts.tolist(), ends.tolist()):
                sel = order[a:b]
                c = int(code[sel[0]])
                sec = sections.get(c) or Section(c, 1.0 / n_sections, 0.0, c % len(patterns),
                                                 palette[c % len(palette)] if palette else None)
                sections.setdefault(c, sec)
                if sec.pattern < 0:
                    colour[sel] = paper_rgb
                    continue
                src, zoom, grey = source(sec)
                ph, pw = src.shape[:2]
                oy, ox = offsets[c] if c in offsets else np.random.default_rng([seed, c]).uniform(size=2)
                angle = sec.angle + math.radians(rotation)
                got = sample(src, py[sel], px[sel], angle, oy * ph, ox * pw, zoom)
                if grey:
                    k = np.asarray(sec.colour, np.float32) if sec.colour is not None else ink_rgb
                    lum = got / 255.0
                    got = k * (1.0 - lum) + paper_rgb * lum
                colour[sel] = got
            # strings: paper aura, then the inked line, both antialiased from the distance
            # (blended only where they reach: most pixels are pattern only)
            if strings or plan is not None:
                idx = np.flatnonzero(near < pen / 2 + aura + 0.5)
                nn = near[idx]
                gap = np.clip(pen / 2 + aura - nn + 0.5, 0.0, 1.0)[:, None]
                line = np.clip(pen / 2 - nn + 0.5, 0.0, 1.0)[:, None]
                colour[idx] = (colour[idx] * (1 - gap) + paper_rgb * gap) * (1 - line) + ink_rgb * line
            if edge is not None:
                lo, hi = max(0, y0 - 1), min(bh, y1 + 1)
                d = edge[lo:hi].astype(np.float32)
                band_line = _box3(np.clip(pen - d, 0.0, 1.0))[y0 - lo:y0 - lo + (y1 - y0)]
                band_gap = _box3(np.clip(pen + aura - d, 0.0, 1.0))[y0 - lo:y0 - lo + (y1 - y0)]
                g = band_gap[ry, rx]
                idx = np.flatnonzero(g > 0)
                g = g[idx][:, None]
                li = band_line[ry[idx], rx[idx]][:, None]
                colour[idx] = (colour[idx] * (1 - g) + paper_rgb * g) * (1 - li) + ink_rgb * li
            out = result[by0 + y0:by0 + y1, bx0:bx1]
            out[ry, rx, :3] = np.clip(np.rint(colour), 0, 255).astype(np.uint8)
            out[ry, rx, 3] = band[ry, rx]
        yield Progress(0.1 + 0.9 * (bi + 1) / len(rows), f"Filling band {bi + 1} of {len(rows)}")
    return result
