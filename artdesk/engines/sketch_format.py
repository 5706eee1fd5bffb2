"""Stroke formats of sketch-rnn (Ha & Eck 2017) and readers for the sketch data sets.

- lines: a drawing as a list of polylines, each an (n, 2) array of absolute x, y.
- stroke-3: an (n, 3) float32 array of (dx, dy, pen_lifted); pen_lifted = 1 on the last point
  of each polyline. The format on disk (aaron_sheep.npz, Quick, Draw! sketchrnn files).
- stroke-5: an (n, 5) float32 array of (dx, dy, p_down, p_up, p_end), the network's format; a
  drawing ends with one (0, 0, 0, 0, 1) row and may be padded with more of them.

The network sees offsets divided by a per-model scale factor (the standard deviation of all
offsets in its training data); `normalize` and `denormalize` apply it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

END_OF_SKETCH = np.array([0, 0, 0, 0, 1], dtype=np.float32)


# --- conversions ---------------------------------------------------------------------------------

def lines_to_stroke3(lines: Sequence[np.ndarray], start: Sequence[float] = (0.0, 0.0)) -> np.ndarray:
    """Polylines (absolute coordinates) -> stroke-3; the first offset is taken from `start`."""
    rows = []
    px, py = float(start[0]), float(start[1])
    for line in lines:
        line = np.asarray(line, dtype=np.float64).reshape(-1, 2)
        if len(line) == 0:
            continue
        for j, (x, y) in enumerate(line):
            rows.append((x - px, y - py, 1.0 if j == len(line) - 1 else 0.0))
            px, py = x, y
    return np.asarray(rows, dtype=np.float32).reshape(-1, 3)


def stroke3_to_lines(strokes: np.ndarray, start: Sequence[float] = (0.0, 0.0)) -> list[np.ndarray]:
    """stroke-3 -> polylines of absolute coordinates (a trailing open polyline is kept)."""
    strokes = np.asarray(strokes, dtype=np.float64).reshape(-1, 3)
    xy = np.cumsum(strokes[:, :2], axis=0) + np.asarray(start, dtype=np.float64)
    lines, begin = [], 0
    for i in np.flatnonzero(strokes[:, 2] > 0.5):
        lines.append(xy[begin:i + 1])
        begin = i + 1
    if begin < len(strokes):
        lines.append(xy[begin:])
    return lines


def to_stroke5(strokes: np.ndarray, max_len: int | None = None) -> np.ndarray:
    """stroke-3 -> stroke-5 with the end-of-sketch row; padded with end rows up to max_len + 1."""
    strokes = np.asarray(strokes, dtype=np.float32).reshape(-1, 3)
    n = len(strokes)
    total = n + 1 if max_len is None else max(max_len, n) + 1
    out = np.zeros((total, 5), dtype=np.float32)
    out[:n, :2] = strokes[:, :2]
    out[:n, 3] = strokes[:, 2]
    out[:n, 2] = 1.0 - strokes[:, 2]
    out[n:, 4] = 1.0
    return out


def to_stroke3(strokes5: np.ndarray) -> np.ndarray:
    """stroke-5 -> stroke-3, stopping at the first end-of-sketch row."""
    strokes5 = np.asarray(strokes5, dtype=np.float32).reshape(-1, 5)
    ends = np.flatnonzero(strokes5[:, 4] > 0.5)
    n = int(ends[0]) if len(ends) else len(strokes5)
    out = np.empty((n, 3), dtype=np.float32)
    out[:, :2] = strokes5[:n, :2]
    out[:, 2] = strokes5[:n, 3]
    return out


def normalize(strokes: np.ndarray, scale_factor: float) -> np.ndarray:
    out = np.array(strokes, dtype=np.float32, copy=True)
    out[:, :2] /= scale_factor
    return out


def denormalize(strokes: np.ndarray, scale_factor: float) -> np.ndarray:
    out = np.array(strokes, dtype=np.float32, copy=True)
    out[:, :2] *= scale_factor
    return out


def scale_factor_of(drawings: Iterable[np.ndarray]) -> float:
    """Standard deviation of all dx and dy together, as Magenta normalises its data sets."""
    offsets = np.concatenate([np.asarray(d, dtype=np.float64)[:, :2].ravel() for d in drawings])
    return float(np.std(offsets))


def bounds(strokes: np.ndarray) -> tuple[float, float, float, float]:
    """(min_x, min_y, max_x, max_y) of a stroke-3 drawing that starts at (0, 0)."""
    xy = np.cumsum(np.asarray(strokes, dtype=np.float64)[:, :2], axis=0)
    if len(xy) == 0:
        return 0.0, 0.0, 0.0, 0.0
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


# --- simplification ------------------------------------------------------------------------------

def rdp(points: np.ndarray, epsilon: float = 2.0) -> np.ndarray:
    """Ramer-Douglas-Peucker simplification of one polyline (distance to the segment, not the line)."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    n = len(points)
    if n < 3:
        return points.copy()
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    eps2 = epsilon * epsilon
    while stack:
        a, b = stack.pop()
        if b <= a + 1:
            continue
        p, q = points[a], points[b]
        inner = points[a + 1:b]
        seg = q - p
        seg2 = float(seg @ seg)
        if seg2 == 0.0:
            d2 = np.sum((inner - p) ** 2, axis=1)
        else:
            t = np.clip((inner - p) @ seg / seg2, 0.0, 1.0)
            d2 = np.sum((inner - (p + t[:, None] * seg)) ** 2, axis=1)
        i = int(np.argmax(d2))
        if d2[i] > eps2:
            k = a + 1 + i
            keep[k] = True
            stack.append((a, k))
            stack.append((k, b))
    return points[keep]


def simplify_lines(lines: Sequence[np.ndarray], epsilon: float = 2.0) -> list[np.ndarray]:
    return [rdp(line, epsilon) for line in lines]


def quickdraw_to_stroke3(drawing: Sequence, epsilon: float = 2.0, size: float | None = 255.0) -> np.ndarray:
    """A raw Quick, Draw! drawing ([[xs], [ys], (ts)] per stroke) -> stroke-3 as Google prepared
    the sketch-rnn data: aligned to the top left, scaled so the longest side is `size` (None keeps
    the raw canvas pixels), RDP epsilon 2, whole pixels. The first offset is the first point."""
    lines = [np.stack([np.asarray(s[0], float), np.asarray(s[1], float)], axis=1) for s in drawing if len(s[0])]
    if not lines:
        return np.zeros((0, 3), dtype=np.float32)
    allxy = np.concatenate(lines)
    lo = allxy.min(axis=0)
    extent = float((allxy.max(axis=0) - lo).max()) or 1.0
    factor = 1.0 if size is None else size / extent
    lines = [np.round((line - lo) * factor) for line in lines]
    lines = [line for line in simplify_lines(lines, epsilon) if len(line)]
    return lines_to_stroke3(lines)


# --- data sets -----------------------------------------------------------------------------------

def load_stroke3_npz(path: str | Path) -> dict[str, list[np.ndarray]]:
    """An npz of stroke-3 drawings (keys train/valid/test, object arrays as Magenta saves them)."""
    with np.load(path, allow_pickle=True, encoding="latin1") as data:
        return {key: [np.asarray(d, dtype=np.float32) for d in data[key]]
                for key in data.files if data[key].dtype == object}


def save_stroke3_npz(path: str | Path, **splits: Sequence[np.ndarray]) -> None:
    arrays = {}
    for key, drawings in splits.items():
        arr = np.empty(len(drawings), dtype=object)
        for i, d in enumerate(drawings):
            arr[i] = np.asarray(d, dtype=np.float32)
        arrays[key] = arr
    # numpy's stub matches **arrays against its allow_pickle: bool keyword too; the keys are split names
    np.savez_compressed(path, **arrays)  # type: ignore[arg-type]


def read_quickdraw_ndjson(path: str | Path) -> list[dict]:
    """Records of a raw Quick, Draw! ndjson file (one JSON object a line, `drawing` per stroke)."""
    records = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                records.append(json.loads(line))
    return records


def load_quickdraw_stroke3(path: str | Path, epsilon: float = 2.0, size: float | None = 255.0,
                           recognized_only: bool = False) -> list[np.ndarray]:
    out = []
    for rec in read_quickdraw_ndjson(path):
        if recognized_only and not rec.get("recognized", True):
            continue
        s3 = quickdraw_to_stroke3(rec["drawing"], epsilon, size)
        if len(s3) >= 2:
            out.append(s3)
    return out
