"""Built-in zentangle patterns, drawn by the project itself (the style gallery's "built-in" half).

Every tangle is drawn from distance fields in numpy: for each pixel the distance to the nearest
pen line (or the signed distance to a filled shape) is turned into ink coverage with a one-pixel
linear ramp, which is an exact-enough box-filter antialias for black ink on white paper.

All tangles are periodic on their square (the tile wraps: left edge continues the right edge,
top continues bottom), so the "Tile" fill can repeat them without seams. A drawing is a pure
function of (size, seed): same seed, same array.

`python -m artdesk.engines.tangles --out resources/patterns` writes the gallery PNGs.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

PEN = 2.2  # line width in pixels at size 512; scaled with size


@dataclass(frozen=True)
class Tangle:
    key: str
    display_name: str
    draw: Callable[..., np.ndarray]
    description: str


# ---------------------------------------------------------------- distance-field helpers


def _coords(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates (y, x), float32, shape (size, size)."""
    c = np.arange(size, dtype=np.float32) + 0.5
    return c[:, None] + 0 * c[None, :], c[None, :] + 0 * c[:, None]


def _line(d: np.ndarray, width: float) -> np.ndarray:
    """Coverage of a pen line of `width` from distance-to-centre-line `d`."""
    return np.clip(width / 2 - d + 0.5, 0.0, 1.0)


def _solid(sd: np.ndarray) -> np.ndarray:
    """Coverage of a filled shape from its signed distance (negative inside)."""
    return np.clip(0.5 - sd, 0.0, 1.0)


def _wrap(v: np.ndarray, period: float) -> np.ndarray:
    """Signed offset to the nearest multiple of `period` (in -period/2 .. period/2)."""
    return v - period * np.round(v / period)


def _to_image(ink: np.ndarray) -> np.ndarray:
    """Ink coverage 0..1 -> uint8 L image, black ink on white."""
    return np.round(255.0 * (1.0 - np.clip(ink, 0.0, 1.0))).astype(np.uint8)


def _segment_dist(py, px, ay, ax, by, bx):
    dy, dx = by - ay, bx - ax
    ll = dy * dy + dx * dx
    t = np.clip(((py - ay) * dy + (px - ax) * dx) / max(ll, 1e-9), 0.0, 1.0)
    return np.hypot(py - ay - t * dy, px - ax - t * dx)


def _stroke_segments(ink: np.ndarray, segments, width: float) -> None:
    """Draw straight pen segments ((y0, x0), (y1, x1)) into `ink` (max), wrapping at the edges."""
    size = ink.shape[0]
    pad = width + 2
    for (ay, ax), (by, bx) in segments:
        y0 = int(math.floor(min(ay, by) - pad))
        y1 = int(math.ceil(max(ay, by) + pad))
        x0 = int(math.floor(min(ax, bx) - pad))
        x1 = int(math.ceil(max(ax, bx) + pad))
        ys = np.arange(y0, y1, dtype=np.float32) + 0.5
        xs = np.arange(x0, x1, dtype=np.float32) + 0.5
        cov = _line(_segment_dist(ys[:, None], xs[None, :], ay, ax, by, bx), width)
        rows = np.arange(y0, y1) % size
        cols = np.arange(x0, x1) % size
        block = ink[np.ix_(rows, cols)]
        ink[np.ix_(rows, cols)] = np.maximum(block, cov)


_PACKINGS: dict[tuple, tuple[list, Mapping[str, Any]]] = {}  # packings at 512 px and the generator state after


def _pack_circles(size: int, rng: np.random.Generator, r_min: float, r_max: float,
                  gap: float, tries: int = 6000) -> list[tuple[float, float, float]]:
    """Dart-throwing circle packing on the torus, big circles first. The packing is made at
    512 px and scaled (all its lengths scale with the size), and kept: the strings fill draws a
    tangle at many sizes, and the packing (a Python loop) is most of a drawing's time. `rng`
    is left in the state the packing leaves it in, as without the memo."""
    k = size / 512
    key = (repr(rng.bit_generator.state), round(r_min / k, 6), round(r_max / k, 6), round(gap / k, 6), tries)
    if key not in _PACKINGS:
        if len(_PACKINGS) > 64:
            _PACKINGS.clear()
        circles = _pack_circles_at(512, rng, r_min / k, r_max / k, gap / k, tries)
        _PACKINGS[key] = (circles, rng.bit_generator.state)
    circles, state = _PACKINGS[key]
    rng.bit_generator.state = state
    return [(y * k, x * k, r * k) for y, x, r in circles]


def _pack_circles_at(size: int, rng: np.random.Generator, r_min: float, r_max: float,
                     gap: float, tries: int) -> list[tuple[float, float, float]]:
    circles: list[tuple[float, float, float]] = []
    cy = np.empty(0, np.float32)
    cx = np.empty(0, np.float32)
    cr = np.empty(0, np.float32)
    for i in range(tries):
        frac = i / tries
        r = r_max - (r_max - r_min) * frac ** 0.5 * rng.random() ** 0.3
        r = max(r_min, min(r_max, r))
        y, x = rng.random(2) * size
        if len(circles):
            dy = _wrap(cy - y, size)
            dx = _wrap(cx - x, size)
            if np.any(np.hypot(dy, dx) < cr + r + gap):
                continue
        circles.append((y, x, r))
        cy = np.append(cy, y)
        cx = np.append(cx, x)
        cr = np.append(cr, r)
    return circles


def _circle_windows(size: int, y: float, x: float, r: float, pad: float):
    """Yield (rows, cols, dy, dx) for a circle's window on the torus (dy, dx relative to centre)."""
    y0, y1 = int(math.floor(y - r - pad)), int(math.ceil(y + r + pad))
    x0, x1 = int(math.floor(x - r - pad)), int(math.ceil(x + r + pad))
    ys = np.arange(y0, y1, dtype=np.float32) + 0.5 - y
    xs = np.arange(x0, x1, dtype=np.float32) + 0.5 - x
    return (np.arange(y0, y1) % size, np.arange(x0, x1) % size,
            ys[:, None] + 0 * xs[None, :], xs[None, :] + 0 * ys[:, None])


def _pen(size: int) -> float:
    return PEN * size / 512


# ---------------------------------------------------------------- the tangles


def draw_crescent_moon(size: int = 512, seed: int = 0) -> np.ndarray:
    """Crescent Moon: black half-moons along the edges of each square, echoed by auras that
    meet in the middle."""
    rng = np.random.default_rng(seed)
    n = 2  # squares per side
    cell = size / n
    pen = _pen(size)
    y, x = _coords(size)
    cy, cx = np.floor(y / cell), np.floor(x / cell)
    u, v = x - cx * cell, y - cy * cell
    # moons per edge, per edge (shared by the two squares that edge separates)
    k_h = rng.integers(2, 4, size=(n, n))  # horizontal edge at top of square (row, col)
    k_v = rng.integers(2, 4, size=(n, n))  # vertical edge at left of square (row, col)
    d_moon = np.full(y.shape, np.inf, np.float32)
    for edge in range(4):
        if edge == 0:  # top edge of this square
            k = k_h[cy.astype(int) % n, cx.astype(int) % n]
            along, across = u, v
        elif edge == 1:  # bottom edge = top edge of the square below
            k = k_h[(cy.astype(int) + 1) % n, cx.astype(int) % n]
            along, across = u, cell - v
        elif edge == 2:  # left
            k = k_v[cy.astype(int) % n, cx.astype(int) % n]
            along, across = v, u
        else:  # right = left edge of the square to the right
            k = k_v[cy.astype(int) % n, (cx.astype(int) + 1) % n]
            along, across = v, cell - u
        spacing = cell / k
        centre = (np.floor(along / spacing) + 0.5) * spacing
        radius = 0.36 * spacing
        d_moon = np.minimum(d_moon, np.hypot(along - centre, across) - radius)
    d_edge = np.minimum(np.minimum(u, cell - u), np.minimum(v, cell - v))
    d = np.minimum(np.maximum(d_moon, 0), d_edge)
    gap = 9.5 * size / 512
    ink = _solid(d_moon)
    ink = np.maximum(ink, _line(d_edge, pen))
    rings = np.abs(_wrap(d, gap))
    ring_ink = _line(rings, pen) * (d > gap * 0.5)
    ink = np.maximum(ink, ring_ink)
    return _to_image(ink)


def draw_hollibaugh(size: int = 512, seed: int = 0) -> np.ndarray:
    """Hollibaugh: straight bands that pass behind one another; the gaps are filled black."""
    rng = np.random.default_rng(seed)
    directions = [(1, 0), (0, 1), (1, 1), (1, -1), (2, 1), (1, 2), (2, -1), (1, -2)]
    y, x = _coords(size)
    pen = _pen(size)
    ink = np.ones_like(y)  # the background is black
    n_bands = 13
    order = rng.permutation(len(directions))
    bands = []
    for i in range(n_bands):
        a, b = directions[order[i % len(directions)]]
        length = math.hypot(a, b)
        period = size / length
        half = rng.uniform(14, 26) * size / 512
        offset = rng.uniform(0, period)
        bands.append((a, b, length, period, half, offset))
    for a, b, length, period, half, offset in bands:  # first = furthest back
        s = (-b * x + a * y) / length - offset
        d = np.abs(_wrap(s, period))
        inside = _solid(d - half)
        ink = ink * (1 - inside)
        ink = np.maximum(ink, _line(np.abs(d - half), pen))
    return _to_image(ink)


def draw_printemps(size: int = 512, seed: int = 0) -> np.ndarray:
    """Printemps: tightly rolled spirals, each closed by a round edge, packed side by side."""
    rng = np.random.default_rng(seed)
    pen = _pen(size)
    s = size / 512
    ink = np.zeros((size, size), np.float32)
    for cy, cx, r in _pack_circles(size, rng, 9 * s, 30 * s, 2.5 * s):
        turn = 1 if rng.random() < 0.5 else -1
        phase = rng.random()
        rows, cols, dy, dx = _circle_windows(size, cy, cx, r, pen + 2)
        rad = np.hypot(dy, dx)
        pitch = max(3.2 * pen, r / 3.4)
        t = rad / pitch - turn * np.arctan2(dy, dx) / (2 * np.pi) + phase
        d_spiral = np.abs(_wrap(t, 1.0)) * pitch
        cov = _line(d_spiral, pen) * np.clip(r - rad, 0, 1)
        cov = np.maximum(cov, _line(np.abs(rad - r), pen))
        cov = np.maximum(cov, _solid(rad - 0.9 * pen))
        block = ink[np.ix_(rows, cols)]
        ink[np.ix_(rows, cols)] = np.maximum(block, cov)
    return _to_image(ink)


def _supersampled(size: int, ss: int, fn: Callable[[np.ndarray, np.ndarray], np.ndarray]):
    """Evaluate a 0/1 ink function at ss x ss points per pixel and average (for hard edges
    that have no simple distance field, like checkerboards)."""
    c = (np.arange(size * ss, dtype=np.float32) + 0.5) / ss
    y, x = np.meshgrid(c, c, indexing="ij")
    ink = fn(y, x).astype(np.float32)
    return ink.reshape(size, ss, size, ss).mean(axis=(1, 3))


def draw_knightsbridge(size: int = 512, seed: int = 0) -> np.ndarray:
    """Knightsbridge: a checkerboard set on the diagonal."""
    step = size / (8 if seed % 2 == 0 else 6)

    def black(y, x):
        a = np.floor((x + y) / step)
        b = np.floor((x - y) / step)
        return (a + b) % 2 == 0

    ink = _supersampled(size, 4, black)
    y, x = _coords(size)
    pen = _pen(size)
    d = np.minimum(np.abs(_wrap(x + y, step)), np.abs(_wrap(x - y, step))) / math.sqrt(2)
    return _to_image(np.maximum(ink, _line(d, pen)))


def draw_static(size: int = 512, seed: int = 0) -> np.ndarray:
    """Static: parallel lightning-bolt zigzags running on the diagonal, every third band inked."""
    rng = np.random.default_rng(seed)
    pen = _pen(size)
    y, x = _coords(size)
    # frame along (1, 1): u along the bolts, w across; both periods divide the tile's diagonal
    # repeat (size / sqrt 2), so the tile wraps
    u = (x + y) / math.sqrt(2)
    w = (y - x) / math.sqrt(2)
    period = size / math.sqrt(2) / int(rng.choice([4, 5]))
    spacing = size / math.sqrt(2) / 15
    amp = 1.1 * spacing
    # a bolt: a long rise then a sharp drop (an asymmetric triangle wave)
    f = np.mod(u / period, 1.0)
    rise = 0.75
    wave = np.where(f < rise, f / rise, (1 - f) / (1 - rise)) * amp
    slope = np.where(f < rise, amp / (rise * period), amp / ((1 - rise) * period))
    across = (w - wave) / spacing
    d = np.abs(_wrap(across, 1.0)) * spacing / np.sqrt(1 + slope * slope)
    band = np.mod(np.floor(across), 3) == 0
    ink = np.maximum(_line(d, pen), band * np.clip(d + 0.5, 0, 1))
    return _to_image(ink)


def _sd_triangle(py, px, a, b, c):
    """Signed distance to triangle abc (points as (y, x)), negative inside."""
    pts = [a, b, c]
    d = np.full(py.shape, np.inf, np.float32)
    signs = []
    for i in range(3):
        (ay, ax), (by, bx) = pts[i], pts[(i + 1) % 3]
        d = np.minimum(d, _segment_dist(py, px, ay, ax, by, bx))
        signs.append((bx - ax) * (py - ay) - (by - ay) * (px - ax) > 0)
    inside = (signs[0] == signs[1]) & (signs[1] == signs[2])
    return np.where(inside, -d, d)


def draw_nzeppel(size: int = 512, seed: int = 0) -> np.ndarray:
    """'Nzeppel: a grid cut by its diagonals into triangles, each drawn as a rounded pebble;
    the gaps between the pebbles are filled black."""
    n = 8 if seed % 2 == 0 else 6
    cell = size / n
    y, x = _coords(size)
    u = np.mod(x, cell) / cell - 0.5
    v = np.mod(y, cell) / cell - 0.5
    # fold every quarter onto the bottom triangle: rotate by 90 degrees until v >= |u|
    for _ in range(3):
        swap = ~(v >= np.abs(u))
        u, v = np.where(swap, -v, u), np.where(swap, u, v)
    py, px = v * cell, u * cell
    # bottom triangle of the cell: centre (0,0), corners (cell/2, -cell/2), (cell/2, cell/2)
    h = cell / 2
    inradius = h / (1 + math.sqrt(2))
    incentre_y = h - inradius
    inset = 1.8 * size / 512
    radius = 0.38 * inradius
    k = (inradius - inset - radius) / inradius

    def scaled(py_, px_):
        return (incentre_y + (py_ - incentre_y) * k, px_ * k)

    tri = _sd_triangle(py, px, scaled(0.0, 0.0), scaled(h, -h), scaled(h, h))
    pebble = _solid(tri - radius)
    ink = 1.0 - pebble
    return _to_image(ink)


def draw_florz(size: int = 512, seed: int = 0) -> np.ndarray:
    """Florz: a diagonal grid with a black square jewel, ringed by an aura, on every crossing."""
    step = size / (4 if seed % 2 == 0 else 5)
    pen = _pen(size)
    y, x = _coords(size)
    d_lines = np.minimum(np.abs(_wrap(x + y, step)), np.abs(_wrap(x - y, step))) / math.sqrt(2)
    # crossings sit at x, y multiples of step/2 with x+y a multiple of step
    half = step / 2
    jy, jx = _wrap(y, half), _wrap(x, half)
    cy, cx = np.round(y / half), np.round(x / half)
    on_crossing = np.mod(cy + cx, 2) == 0
    box = np.maximum(np.abs(jy), np.abs(jx))
    r = 0.075 * step
    jewel = _solid(box - r) * on_crossing
    aura = _line(np.abs(box - r * 1.7), pen) * on_crossing
    clear = (box < r * 1.7 - pen) & on_crossing
    lines = _line(d_lines, pen) * ~clear
    # a small dot in the middle of each diamond cell
    dot = _solid(np.hypot(jy, jx) - 0.03 * step) * ~on_crossing
    return _to_image(np.maximum.reduce([lines, jewel, aura, dot]))


def draw_paradox(size: int = 512, seed: int = 0) -> np.ndarray:
    """Paradox: in every square, straight lines walk round and round towards the middle, each
    starting a little way along the last; neighbours turn opposite ways."""
    n = 4
    cell = size / n
    pen = max(1.2, 0.75 * _pen(size))
    frac = 0.14 + 0.02 * (seed % 3)
    ink = np.zeros((size, size), np.float32)
    segments = []
    for row in range(n):
        for col in range(n):
            y0, x0 = row * cell, col * cell
            square = [(y0, x0), (y0, x0 + cell), (y0 + cell, x0 + cell), (y0 + cell, x0)]
            if (row + col) % 2:
                square = square[::-1]
            pts = list(square)
            for _ in range(60):
                for i in range(4):
                    segments.append((pts[i], pts[(i + 1) % 4]))
                pts = [(pts[i][0] + frac * (pts[(i + 1) % 4][0] - pts[i][0]),
                        pts[i][1] + frac * (pts[(i + 1) % 4][1] - pts[i][1])) for i in range(4)]
                if math.dist(pts[0], pts[1]) < 2.2 * pen:
                    break
    _stroke_segments(ink, segments, pen)
    return _to_image(ink)


def draw_tipple(size: int = 512, seed: int = 0) -> np.ndarray:
    """Tipple: little round pebbles of many sizes, packed close; the spaces between are black."""
    rng = np.random.default_rng(seed)
    s = size / 512
    pen = _pen(size)
    white = np.zeros((size, size), np.float32)
    outline = np.zeros((size, size), np.float32)
    for cy, cx, r in _pack_circles(size, rng, 4 * s, 22 * s, 2.0 * s, tries=9000):
        rows, cols, dy, dx = _circle_windows(size, cy, cx, r, pen + 2)
        rad = np.hypot(dy, dx)
        idx = np.ix_(rows, cols)
        white[idx] = np.maximum(white[idx], _solid(rad - r))
        outline[idx] = np.maximum(outline[idx], _line(np.abs(rad - r), pen))
        # highlight: a short arc at upper left
        ang = np.arctan2(dy, dx)
        arc = _line(np.abs(rad - 0.62 * r), 0.8 * pen) * (np.abs(_wrap(ang + 2.2, 2 * np.pi)) < 0.5)
        if r > 9 * s:
            outline[idx] = np.maximum(outline[idx], arc)
    return _to_image(np.maximum(1.0 - white, outline))


def draw_jetties(size: int = 512, seed: int = 0) -> np.ndarray:
    """Jetties: round posts seen from above and aside, banded with curved black stripes."""
    rng = np.random.default_rng(seed)
    s = size / 512
    pen = _pen(size)
    ink = np.zeros((size, size), np.float32)
    for cy, cx, r in _pack_circles(size, rng, 12 * s, 42 * s, 6 * s, tries=3000):
        rows, cols, dy, dx = _circle_windows(size, cy, cx, r, pen + 2)
        rad = np.hypot(dy, dx)
        bands = 5 + 2 * int(rng.integers(0, 2))
        band_h = 2 * r / bands
        # stripes bow downwards like bands around a post
        w = (dy + r - 0.35 * (dx * dx) / r) / band_h
        stripe = (np.mod(np.floor(w), 2) == 1).astype(np.float32)
        edge = np.minimum(np.abs(_wrap(w, 1.0)) * band_h, 1.0)
        cov = stripe * np.clip(edge + 0.5, 0, 1) * _solid(rad - r)
        cov = np.maximum(cov, _line(np.abs(rad - r), pen))
        idx = np.ix_(rows, cols)
        ink[idx] = np.maximum(ink[idx], cov)
    return _to_image(ink)


def draw_cadent(size: int = 512, seed: int = 0) -> np.ndarray:
    """Cadent: a grid of dots joined by S-curves, rows one way and columns the other, which
    interlock like woven loops."""
    n = 8 if seed % 2 == 0 else 6
    cell = size / n
    pen = _pen(size)
    y, x = _coords(size)
    ink = np.zeros((size, size), np.float32)
    # dots
    dy, dx = _wrap(y, cell), _wrap(x, cell)
    ink = np.maximum(ink, _solid(np.hypot(dy, dx) - 0.08 * cell))
    # S-curve between horizontally adjacent dots: two half circles of radius cell/4
    r = cell / 4
    for horizontal in (True, False):
        a = x if horizontal else y  # along the pair of dots
        b = y if horizontal else x  # across
        la = np.mod(a, cell)
        lb = _wrap(b, cell) if horizontal else -_wrap(b, cell)
        # first half: centre (r, 0) upper half (lb < 0); second half: centre (3r, 0) lower half
        d1 = np.abs(np.hypot(la - r, lb) - r)
        d1 = np.where(lb <= 0, d1, np.hypot(np.minimum(np.abs(la), np.abs(la - 2 * r)), lb))
        d2 = np.abs(np.hypot(la - 3 * r, lb) - r)
        d2 = np.where(lb >= 0, d2, np.hypot(np.minimum(np.abs(la - 2 * r), np.abs(la - 4 * r)), lb))
        ink = np.maximum(ink, _line(np.minimum(d1, d2), pen))
    return _to_image(ink)


TANGLES: dict[str, Tangle] = {
    t.key: t
    for t in [
        Tangle("crescent_moon", "Crescent Moon", draw_crescent_moon, draw_crescent_moon.__doc__ or ""),
        Tangle("hollibaugh", "Hollibaugh", draw_hollibaugh, draw_hollibaugh.__doc__ or ""),
        Tangle("printemps", "Printemps", draw_printemps, draw_printemps.__doc__ or ""),
        Tangle("knightsbridge", "Knightsbridge", draw_knightsbridge, draw_knightsbridge.__doc__ or ""),
        Tangle("static", "Static", draw_static, draw_static.__doc__ or ""),
        Tangle("nzeppel", "'Nzeppel", draw_nzeppel, draw_nzeppel.__doc__ or ""),
        Tangle("florz", "Florz", draw_florz, draw_florz.__doc__ or ""),
        Tangle("paradox", "Paradox", draw_paradox, draw_paradox.__doc__ or ""),
        Tangle("tipple", "Tipple", draw_tipple, draw_tipple.__doc__ or ""),
        Tangle("jetties", "Jetties", draw_jetties, draw_jetties.__doc__ or ""),
        Tangle("cadent", "Cadent", draw_cadent, draw_cadent.__doc__ or ""),
    ]
}


def find(name: str) -> str | None:
    """The key of the built-in tangle called `name`: its key or its gallery title, any case,
    spaces, hyphens and apostrophes ignored ("Crescent Moon", "crescent-moon", "nzeppel").
    None when there is no such tangle."""
    def norm(text: str) -> str:
        return "".join(ch for ch in text.casefold() if ch.isalnum())

    wanted = norm(name)
    for tangle in TANGLES.values():
        if wanted in (norm(tangle.key), norm(tangle.display_name)):
            return tangle.key
    return None


def draw(key: str, size: int = 512, seed: int = 0) -> np.ndarray:
    """Draw the tangle `key` as an L uint8 image (black ink on white)."""
    try:
        tangle = TANGLES[key]
    except KeyError:
        raise KeyError(f"No built-in tangle called {key!r}; known: {', '.join(TANGLES)}") from None
    return tangle.draw(size=size, seed=seed)


def render_all(directory: str | Path, size: int = 512, seed: int = 0) -> list[Path]:
    """Write every tangle as `<directory>/<key>.png` (8-bit grey, optimised). Returns the paths."""
    from PIL import Image, PngImagePlugin

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for key, tangle in TANGLES.items():
        info = PngImagePlugin.PngInfo()
        info.add_text("Title", tangle.display_name)
        info.add_text("Software", f"ArtDesk tangles.py seed={seed}")
        path = out / f"{key}.png"
        Image.fromarray(tangle.draw(size=size, seed=seed), "L").save(path, optimize=True, pnginfo=info)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the built-in zentangle pattern PNGs.")
    parser.add_argument("--out", default="resources/patterns", help="folder for the PNGs")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for path in render_all(args.out, args.size, args.seed):
        print(f"{path}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
