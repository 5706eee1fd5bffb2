"""2-D affine transforms as 6-tuples, in Qt's QTransform order (m11, m12, m21, m22, dx, dy):

    x' = m11 * x + m21 * y + dx
    y' = m12 * x + m22 * y + dy

Pure numpy, so document/ and the project file can use them without Qt; the canvas and the
renderer turn them into QTransforms with QTransform(*affine).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

Affine = tuple[float, float, float, float, float, float]
IDENTITY: Affine = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def matrix(t: Affine) -> np.ndarray:
    """3x3 column-vector matrix of `t`."""
    m11, m12, m21, m22, dx, dy = t
    return np.array([[m11, m21, dx], [m12, m22, dy], [0.0, 0.0, 1.0]])


def from_matrix(m: np.ndarray) -> Affine:
    return (float(m[0, 0]), float(m[1, 0]), float(m[0, 1]), float(m[1, 1]), float(m[0, 2]), float(m[1, 2]))


def compose(*ts: Affine) -> Affine:
    """compose(a, b, c) applies c first, then b, then a (as matrices multiply)."""
    out = np.eye(3)
    for t in ts:
        out = out @ matrix(t)
    return from_matrix(out)


def invert(t: Affine) -> Affine:
    return from_matrix(np.linalg.inv(matrix(t)))


def apply(t: Affine, xy: ArrayLike) -> np.ndarray:
    """(N, 2) points through `t`."""
    xy = np.asarray(xy, np.float64).reshape(-1, 2)
    m = matrix(t)
    return xy @ m[:2, :2].T + m[:2, 2]


def translate(dx: float, dy: float) -> Affine:
    return (1.0, 0.0, 0.0, 1.0, float(dx), float(dy))


def scale(sx: float, sy: float, cx: float = 0.0, cy: float = 0.0) -> Affine:
    """Scale by (sx, sy) about (cx, cy); a negative factor flips."""
    return (float(sx), 0.0, 0.0, float(sy), cx - sx * cx, cy - sy * cy)


def rotate(degrees: float, cx: float = 0.0, cy: float = 0.0) -> Affine:
    """Rotate clockwise on screen (y points down) by `degrees` about (cx, cy)."""
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    return compose(translate(cx, cy), (c, s, -s, c, 0.0, 0.0), translate(-cx, -cy))


def rect_to_rect(src: tuple[float, float, float, float], dst: tuple[float, float, float, float]) -> Affine:
    """The scale + translate that maps rect src (x, y, w, h) onto rect dst."""
    sx, sy = dst[2] / src[2], dst[3] / src[3]
    return (sx, 0.0, 0.0, sy, dst[0] - sx * src[0], dst[1] - sy * src[1])


def is_identity(t: Affine, tol: float = 1e-9) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(t, IDENTITY))


def area_scale(t: Affine) -> float:
    """How much lengths grow on average: sqrt(|det|)."""
    return math.sqrt(abs(t[0] * t[3] - t[1] * t[2]))


def is_valid(t) -> bool:
    """Six finite numbers with an invertible linear part."""
    try:
        values = [float(v) for v in t]
    except (TypeError, ValueError):
        return False
    return len(values) == 6 and all(math.isfinite(v) for v in values) and \
        abs(values[0] * values[3] - values[1] * values[2]) > 1e-12


def decompose(t: Affine) -> tuple[float, float, float, bool]:
    """(x-axis length, y-axis length, angle in degrees of the x axis, flipped) of a transform
    without shear (what the move tool makes)."""
    m11, m12, m21, m22 = t[:4]
    sx = math.hypot(m11, m12)
    det = m11 * m22 - m12 * m21
    sy = abs(det) / sx if sx else math.hypot(m21, m22)
    return sx, sy, math.degrees(math.atan2(m12, m11)), det < 0
