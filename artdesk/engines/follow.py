"""Strings from a picture: sections that follow a picture's structure (Kalai Ramea's Frida).

A picture under the shape (an imported photo or drawing, a placed portrait, the doodle's strokes)
gives the sections instead of seeded curves: its tone, read on a small grid over the shape's box
(FOLLOW_GRID on the longer side), smoothed, cut into `levels` tone levels inside the shape (1-D
k-means of the tones, so a border sits where the tone changes); connected parts of a level are
the sections, parts smaller than MIN_PART of the shape or thinner than THIN grid cells (the
blurred band along a sharp edge) are merged into their surroundings. The tone chooses the
tangle: dark sections get the inkiest tangles of the set, drawn small (dense), light ones lighter
tangles drawn large (sparse), and the lightest level is left as paper when it is light in the
picture (a face stays a face); optionally each section is inked in the picture's colour there.

Crisp at any size: each level set is a smooth field on the grid (the level indicator, blurred a
little), enlarged (bicubic) to the fill's pixels band by band; a border is the field's 0.5
iso-line and a pixel's distance to it is |field - 0.5| divided by the field's gradient, so the
borders are inked like the strings, antialiased and sharp at 4500x5400. Seeded (only the tangle choice is random) and resolution-independent (the grid is in
the shape's own normalised frame). numpy + Pillow only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

FOLLOW_GRID = 320  # the picture is read on a grid with this many cells on the shape box's longer side
LEVELS = 4  # tone levels (sections are the connected parts of each)
MIN_PART = 0.0015  # parts of a level smaller than this fraction of the shape are merged away
SMOOTH = 1.6  # the tone's smoothing, in grid cells (sigma)
LINE_ART_INK = 0.12  # a picture whose mean ink inside the shape is below this is a line drawing
LINE_SPREAD = 6.0  # a line drawing's ink is spread over this many grid cells (sigma) into a tone
THIN = 3.0  # parts thinner than this many grid cells (a band's width) are merged too: mostly outline
LIGHT = 150  # a lightest level whose picture tone is above this stays paper
# the pattern size of the darkest and the lightest level (relative to the fill's scale): dark = dense
DARK_ZOOM, LIGHT_ZOOM = 0.5, 1.3


def gaussian(a: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur of a 2-D float array (edges reflected)."""
    if sigma <= 0:
        return a.astype(np.float32)
    r = max(1, int(math.ceil(3 * sigma)))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2).astype(np.float32)
    k /= k.sum()
    out = np.pad(a.astype(np.float32), r, mode="reflect" if min(a.shape) > r else "edge")
    out = sum(k[i] * out[i:i + out.shape[0] - 2 * r] for i in range(2 * r + 1))
    out = sum(k[i] * out[:, i:i + out.shape[1] - 2 * r] for i in range(2 * r + 1))
    return np.asarray(out, np.float32)


def picture_tone(picture: np.ndarray) -> np.ndarray:
    """Luminance 0..255 (float32) of a picture (grey, RGB or RGBA: alpha composited on white)."""
    p = np.asarray(picture)
    if p.ndim == 2:
        return p.astype(np.float32)
    if p.ndim != 3 or p.shape[2] not in (1, 3, 4):
        raise ValueError(f"The picture to follow must be grey, RGB or RGBA, not shape {p.shape}.")
    rgb = p[..., :3].astype(np.float32) if p.shape[2] >= 3 else np.repeat(p.astype(np.float32), 3, axis=2)
    lum = rgb @ np.asarray([0.299, 0.587, 0.114], np.float32)
    if p.shape[2] == 4:
        a = p[..., 3].astype(np.float32) / 255.0
        lum = lum * a + 255.0 * (1.0 - a)
    return lum


def _on_white(picture: np.ndarray) -> np.ndarray:
    """A picture (grey, RGB or RGBA) as float32 RGB 0..255, alpha composited on white."""
    p = np.asarray(picture)
    if p.ndim == 2:
        p = p[..., None]
    rgb = p[..., :3].astype(np.float32) if p.shape[2] >= 3 else np.repeat(p[..., :1].astype(np.float32), 3, axis=2)
    if p.shape[2] == 4:
        a = p[..., 3:4].astype(np.float32) / 255.0
        rgb = rgb * a + 255.0 * (1.0 - a)
    return rgb


INK_LUMA = 110.0  # a colour taken from the picture is darkened to at most this luminance (ink on paper)
INK_CHROMA = 1.8  # and its colourfulness raised this much (a section's mean colour is greyer than its inks)


def ink_of(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    """The picture's colour of a section as an ink: its hue kept and strengthened, darkened so
    that it reads on paper (luminance at most INK_LUMA)."""
    weights = np.asarray([0.299, 0.587, 0.114])
    c = np.asarray(colour, np.float64)
    luma = float(c @ weights)
    c = np.clip(luma + (c - luma) * INK_CHROMA, 0, 255)
    luma = float(c @ weights)
    if luma > INK_LUMA:
        c = c * (INK_LUMA / luma)
    r, g, b = (int(round(v)) for v in np.clip(c, 0, 255))
    return r, g, b


def _resize(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A float array resized to (w, h): BOX when shrinking (an average), BICUBIC when enlarging."""
    from PIL import Image

    img = Image.fromarray(np.ascontiguousarray(a, np.float32), "F")
    smaller = size[0] <= a.shape[1] and size[1] <= a.shape[0]
    return np.asarray(img.resize(size, Image.Resampling.BOX if smaller else Image.Resampling.BICUBIC), np.float32)


def _spread_outside(tone: np.ndarray, inside: np.ndarray, sigma: float) -> np.ndarray:
    """The tone inside the shape carried outward (normalised blur), so the border field near the
    shape's edge is the picture's own, not the paper's."""
    w = gaussian(inside.astype(np.float32), sigma)
    near = gaussian(tone * inside, sigma) / np.maximum(w, 1e-6)
    mean = float(tone[inside].mean()) if inside.any() else 255.0
    return np.where(inside, tone, np.where(w > 1e-3, near, mean)).astype(np.float32)


@dataclass
class FollowPlan:
    """The sections of a shape's box (h, w), read from a picture: the tone levels as nested
    smooth fields on the grid (field j is 1 where the level is above j, blurred a little: its
    0.5 iso-line is the border, smooth at any size, and nested fields never cross)."""

    fields: np.ndarray  # (levels - 1, gh, gw) float32
    nearest: np.ndarray  # (levels, gh, gw) int32: section of each level at or nearest each cell
    level_of: dict  # section -> level (0 = darkest)
    tone_of: dict  # section -> mean picture tone 0..255
    box: tuple[int, int]  # (h, w) of the shape's box the grid spans
    colour_of: dict = field(default_factory=dict)  # section -> the picture's mean (r, g, b) there

    @property
    def count(self) -> int:
        return len(self.level_of)

    @property
    def levels(self) -> int:
        return self.fields.shape[0] + 1

    def codes(self, y0: int, y1: int, ry: np.ndarray, rx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(section, distance in pixels to the nearest section border) of the band's pixels
        (ry + y0, rx): each field enlarged (bicubic) over the band's rows only."""
        from PIL import Image

        h, w = self.box
        gh, gw = self.nearest.shape[1:]
        lo, hi = max(0, y0 - 1), min(h, y1 + 1)
        level = np.zeros(len(ry), np.int64)
        near = np.full(len(ry), np.inf, np.float32)
        yy = ry + y0 - lo
        for f in self.fields:
            img = Image.fromarray(np.ascontiguousarray(f), "F")
            band = np.asarray(img.resize((w, hi - lo), Image.Resampling.BICUBIC,
                                         box=(0, lo * gh / h, gw, hi * gh / h)), np.float32)
            gx = np.gradient(band, axis=1) if band.shape[1] > 1 else np.zeros_like(band)
            gy = np.gradient(band, axis=0) if band.shape[0] > 1 else np.zeros_like(band)
            t = band[yy, rx]
            grad = np.hypot(gy[yy, rx], gx[yy, rx])
            level += t > 0.5
            np.minimum(near, (np.abs(t - 0.5) / np.maximum(grad, 1e-5)).astype(np.float32), out=near)
        cy = np.minimum(((ry + y0 + 0.5) * gh / h).astype(np.int64), gh - 1)
        cx = np.minimum(((rx + 0.5) * gw / w).astype(np.int64), gw - 1)
        return self.nearest[level, cy, cx], near


def tone_thresholds(values: np.ndarray, levels: int, rounds: int = 30) -> np.ndarray:
    """Thresholds between `levels` tone levels: 1-D k-means of the tones (started at equal-area
    quantiles), cut halfway between neighbouring centres, so a border sits where the picture's
    tone changes (a dark disc on light paper is cut at its edge, not at the median)."""
    v = np.sort(np.asarray(values, np.float32).ravel())
    centres = np.quantile(v, (np.arange(levels) + 0.5) / levels).astype(np.float64)
    for _ in range(rounds):
        cuts = (centres[1:] + centres[:-1]) / 2
        idx = np.searchsorted(cuts, v)
        sums = np.bincount(idx, weights=v, minlength=levels)
        counts = np.bincount(idx, minlength=levels)
        new = np.where(counts > 0, sums / np.maximum(counts, 1), centres)
        if np.allclose(new, centres, atol=0.05):
            break
        centres = np.sort(new)
    return np.unique(((centres[1:] + centres[:-1]) / 2).astype(np.float32))


def line_art_density(tone: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """A line drawing (the doodle's strokes: mostly paper, a little ink) has no tone areas to
    follow, only lines thinner than a section; its tone is then how densely it is drawn around
    each cell (the ink spread over LINE_SPREAD cells, the densest 1% as dark as ink), so strokes
    drawn close together (hair, hatching) become a dark section and open paper stays light.
    Anything else (a photo, a painting) is returned as it is."""
    ink = (255.0 - tone) * inside
    if not inside.any() or float(ink[inside].mean()) > LINE_ART_INK * 255.0:
        return tone
    density = gaussian(ink, LINE_SPREAD)
    top = float(np.quantile(density[inside], 0.99))
    if top <= 1.0:
        return tone
    return np.clip(255.0 - density * (235.0 / top), 0.0, 255.0).astype(np.float32)


def plan_picture(picture: np.ndarray, shape: np.ndarray, levels: int = LEVELS,
                 grid: int = FOLLOW_GRID, min_part: float = MIN_PART) -> FollowPlan:
    """The sections of `shape` (alpha, the box of the shape) that follow `picture` (the same
    size as `shape`, or any size: it is stretched over the box)."""
    from artdesk.engines.strings import label_sections

    h, w = shape.shape
    if not 1 <= levels <= 8:
        raise ValueError("The picture's tone levels must be between 1 and 8.")
    k = grid / max(h, w)
    gh, gw = max(2, round(h * k)), max(2, round(w * k))
    inside = _resize(shape.astype(np.float32), (gw, gh)) >= 128
    if not inside.any():
        inside = _resize(shape.astype(np.float32), (gw, gh)) > 0
    tone = _resize(picture_tone(picture), (gw, gh))
    rgb = np.stack([_resize(c, (gw, gh)) for c in np.moveaxis(_on_white(picture), 2, 0)], axis=2)
    tone = line_art_density(tone, inside)
    tone = _spread_outside(tone, inside, 4.0)
    field = gaussian(tone, SMOOTH)
    values = field[inside] if inside.any() else field.ravel()
    if float(values.std()) < 2.0 or levels == 1:  # a flat picture: one section
        thresholds = np.zeros(0, np.float32)
    else:
        thresholds = tone_thresholds(values, levels)
    total = max(1, int(inside.sum()))
    level = np.searchsorted(thresholds, field, side="right")
    for _ in range(4):  # merge the small and the thin parts of each level into their surroundings
        small = np.zeros(field.shape, bool)
        for lv in range(len(thresholds) + 1):
            labels, n = label_sections((level == lv) & inside)
            if n:
                have = labels >= 0
                areas = np.bincount(labels[have], minlength=n)
                edge = have & ~_interior(labels)
                rims = np.bincount(labels[edge], minlength=n)
                thickness = 2.0 * areas / np.maximum(rims, 1)  # a band's width, a disc's radius
                drop = np.flatnonzero((areas < min_part * total) | (thickness < THIN))
                if len(drop):
                    small |= np.isin(labels, drop)
        if not small.any():
            break
        # each dropped cell takes the level of the nearest kept one: an island its surroundings',
        # a thin band between two levels is shared out between them
        level = _nearest_label(np.where(small, -1, level).astype(np.int32), steps=max(gh, gw))
    # the nested level sets as smooth fields; the final levels are theirs
    fields = np.stack([gaussian((level > j).astype(np.float32), 1.0) for j in range(len(thresholds))]) \
        if len(thresholds) else np.zeros((0, gh, gw), np.float32)
    level = (fields > 0.5).sum(axis=0) if len(thresholds) else np.zeros((gh, gw), np.int64)
    n_levels = len(thresholds) + 1
    nearest = np.zeros((n_levels, gh, gw), np.int32)
    level_of: dict[int, int] = {}
    tone_of: dict[int, float] = {}
    colour_of: dict[int, tuple[int, int, int]] = {}
    base = 0
    for lv in range(n_levels):
        labels, n = label_sections((level == lv) & inside)
        if n == 0:  # a level with no part inside (possible after merging): the whole shape's first part
            continue
        flat = labels[labels >= 0]
        sums = np.bincount(flat, weights=tone[labels >= 0], minlength=n)
        counts = np.bincount(flat, minlength=n)
        means = [np.bincount(flat, weights=rgb[..., i][labels >= 0], minlength=n) / np.maximum(counts, 1)
                 for i in range(3)]
        for c in range(n):
            level_of[base + c] = lv
            tone_of[base + c] = float(sums[c] / max(1, counts[c]))
            colour_of[base + c] = (int(round(means[0][c])), int(round(means[1][c])), int(round(means[2][c])))
        nearest[lv] = _nearest_label(labels) + base
        base += n
    if not level_of:  # nothing inside: one section
        level_of[0], tone_of[0] = 0, float(values.mean()) if values.size else 255.0
    return FollowPlan(fields.astype(np.float32), nearest, level_of, tone_of, (h, w), colour_of)


def _interior(labels: np.ndarray) -> np.ndarray:
    """Cells whose four neighbours (within the array) carry the same label."""
    same = np.ones(labels.shape, bool)
    same[1:] &= labels[1:] == labels[:-1]
    same[:-1] &= labels[:-1] == labels[1:]
    same[:, 1:] &= labels[:, 1:] == labels[:, :-1]
    same[:, :-1] &= labels[:, :-1] == labels[:, 1:]
    return same


def _nearest_label(labels: np.ndarray, steps: int = 24) -> np.ndarray:
    """Labels (-1 = none) spread to the unlabelled cells from their nearest labelled neighbours
    (4/8-neighbour growth, `steps` cells; the rest get the most common label)."""
    out = labels.copy()
    for _ in range(steps):
        empty = out < 0
        if not empty.any():
            break
        p = np.pad(out, 1, constant_values=-1)
        for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2), (0, 0), (2, 2), (0, 2), (2, 0)):
            nb = p[dy:dy + out.shape[0], dx:dx + out.shape[1]]
            take = empty & (out < 0) & (nb >= 0)
            out[take] = nb[take]
    if (out < 0).any():
        have = out[out >= 0]
        out[out < 0] = int(np.bincount(have).argmax()) if have.size else 0
    return out


def tangle_darkness(pattern) -> float:
    """How much ink a pattern puts down, 0 (paper) .. 1 (solid): a tangle key from its small
    drawing, an image from its mean luminance."""
    if isinstance(pattern, str):
        from artdesk.engines.strings import _tangle_grey

        return 1.0 - float(_tangle_grey(pattern, 64).mean()) / 255.0
    return 1.0 - float(picture_tone(np.asarray(pattern)).mean()) / 255.0


def assign_patterns(plan: FollowPlan, patterns: list, seed: int) -> dict[int, tuple[int, float]]:
    """Section -> (pattern index or -1 for paper, zoom): the patterns are ranked by their ink,
    the darkest level gets the darkest group, drawn small; a near-white lightest level is paper.
    Within a level the sections take the group's patterns in a seeded order (so they differ)."""
    n_levels = plan.levels
    rank = sorted(range(len(patterns)), key=lambda i: -tangle_darkness(patterns[i]))
    rng = np.random.default_rng(seed + 3)
    light = [lv for lv in range(n_levels)
             if lv == n_levels - 1 and n_levels > 1
             and np.mean([t for s, t in plan.tone_of.items() if plan.level_of[s] == lv] or [0]) > LIGHT]
    inked = n_levels - len(light)
    groups: list[list[int]] = [[] for _ in range(max(1, inked))]
    for j, i in enumerate(rank):  # contiguous groups of the ranking, one per inked level
        groups[min(inked - 1, j * max(1, inked) // max(1, len(rank)))].append(i)
    for g in range(len(groups)):  # fewer patterns than levels: share
        if not groups[g]:
            groups[g] = [rank[min(len(rank) - 1, g)]]
    order = {g: [int(v) for v in rng.permutation(len(groups[g]))] for g in range(len(groups))}
    used = {g: 0 for g in range(len(groups))}
    out: dict[int, tuple[int, float]] = {}
    for s in sorted(plan.level_of):
        lv = plan.level_of[s]
        if lv in light:
            out[s] = (-1, LIGHT_ZOOM)
            continue
        g = min(lv, len(groups) - 1)
        pick = groups[g][order[g][used[g] % len(groups[g])]]
        used[g] += 1
        out[s] = (pick, DARK_ZOOM + (LIGHT_ZOOM - DARK_ZOOM) * lv / max(1, n_levels - 1))
    return out
