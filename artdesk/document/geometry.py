"""Shapes and stroke helpers in document units: closed outlines for the shape tools, stroke
smoothing for shaky hands, and the pen's pressure curve. Pure numpy."""

from __future__ import annotations

import numpy as np

from artdesk.document.model import Stroke

SHAPES = ("ellipse", "rectangle", "polygon", "star")


def _ring(n: int, cx: float, cy: float, rx: float, ry: float, start: float = -np.pi / 2) -> np.ndarray:
    angles = start + np.arange(n) * 2 * np.pi / n
    return np.column_stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)])


def shape_outline(kind: str, x0: float, y0: float, x1: float, y1: float, sides: int = 5,
                  inner: float = 0.45) -> np.ndarray:
    """The corners of a closed shape fitted to the box (x0, y0)-(x1, y1): (N, 2) float, the last
    point not repeated. `sides` is the polygon's corners or the star's points; `inner` is the
    star's inner radius as a share of the outer one."""
    if kind not in SHAPES:
        raise ValueError(f"unknown shape {kind!r}; choose one of {', '.join(SHAPES)}")
    x0, x1 = sorted((float(x0), float(x1)))
    y0, y1 = sorted((float(y0), float(y1)))
    cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    if kind == "rectangle":
        return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float)
    if kind == "ellipse":  # enough corners that print (x5) still looks round
        n = int(np.clip(np.hypot(rx, ry) * 1.5, 48, 720))
        return _ring(n, cx, cy, rx, ry)
    sides = int(np.clip(sides, 3, 64))
    if kind == "polygon":
        return _ring(sides, cx, cy, rx, ry)
    outer = _ring(sides, cx, cy, rx, ry)
    inner_pts = _ring(sides, cx, cy, rx * inner, ry * inner, start=-np.pi / 2 + np.pi / sides)
    return np.stack([outer, inner_pts], axis=1).reshape(-1, 2)


def shape_stroke(kind: str, x0: float, y0: float, x1: float, y1: float, color: str = "#000000",
                 width: float = 6.0, fill: str = "", outline: bool = True, sides: int = 5,
                 inner: float = 0.45) -> Stroke:
    """A closed vector stroke for the shape tools (outline and/or fill)."""
    xy = shape_outline(kind, x0, y0, x1, y1, sides, inner)
    stroke = Stroke.from_xy(xy, color, width)
    stroke.closed, stroke.fill, stroke.outline = True, fill, outline or not fill
    return stroke


def smooth_points(points: np.ndarray, strength: float) -> np.ndarray:
    """Steady a shaky line: each point becomes a Gaussian-weighted mean of its neighbours along
    the stroke (the ends stay where they were). strength 0..1; 0 returns the points unchanged.
    Pressure and time columns are kept."""
    pts = np.asarray(points, np.float64)
    strength = float(np.clip(strength, 0.0, 1.0))
    if strength <= 0 or len(pts) < 3:
        return pts.astype(np.float32)
    sigma = 0.5 + strength * 6.0  # in points: up to ~a dozen neighbours each side
    radius = int(np.ceil(3 * sigma))
    offsets = np.arange(-radius, radius + 1)
    weights = np.exp(-0.5 * (offsets / sigma) ** 2)
    xy = pts[:, :2]
    padded = np.concatenate([np.repeat(xy[:1], radius, 0), xy, np.repeat(xy[-1:], radius, 0)])
    out = np.zeros_like(xy)
    for w, k in zip(weights, offsets):
        out += w * padded[radius + k: radius + k + len(xy)]
    out /= weights.sum()
    # pin the ends and blend in over the first and last few points, so a stroke starts where the pen did
    ramp = np.minimum(np.arange(len(xy)), np.arange(len(xy))[::-1]).astype(np.float64)
    keep = np.clip(ramp / max(1.0, sigma / 2), 0, 1)[:, None]
    smoothed = pts.copy()
    smoothed[:, :2] = xy * (1 - keep) + out * keep
    return smoothed.astype(np.float32)


def pressure_curve(pressure, curve: float = 0.0):
    """Map pen pressure 0..1 through a curve: curve 0 is linear, above 0 soft (light pressure
    already gives a thick line), below 0 firm. curve in -1..1 is a power 4**-curve."""
    gamma = 4.0 ** (-float(np.clip(curve, -1.0, 1.0)))
    return np.clip(np.asarray(pressure, np.float64), 0.0, 1.0) ** gamma
