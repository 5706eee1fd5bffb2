"""Bringing outside pictures in: PNG/JPEG/WebP as raster layers, Quick, Draw! ndjson and sketch-rnn
npz drawings as vector layers. Every reader treats the file as hostile: regular files only, the
image format told by its bytes (artdesk.image_policy), reads streamed and bounded, npz decoded
without unpickling (artdesk.safe_read), caps on strokes and points, and only ImportFailed (with a
sentence for people) comes out; nothing is added to a document unless the whole file was understood."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from artdesk.document.model import Document, RasterLayer, Stroke, VectorLayer
from artdesk.errors import ImportFailed
from artdesk.image_policy import IMPORT_FORMATS, read_image_file
from artdesk.safe_read import read_npz, regular_file

__all__ = ["ImportFailed", "import_file", "read_image", "load_stroke3_npz", "count_drawings"]

MAX_IMAGE_FILE_BYTES = 200 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
MAX_NDJSON_LINE = 5 * 1024 * 1024
MAX_NDJSON_BYTES = 2 * 1024 ** 3  # counted in a stream, never read whole
MAX_NDJSON_DRAWINGS = 1_000_000
MAX_NPZ_BYTES = 300 * 1024 * 1024  # decompressed, all members
MAX_NPZ_DRAWINGS = 200_000
MAX_NPZ_POINTS = 20_000_000  # in the whole file
MAX_POINTS = 50_000  # in the one drawing imported
MAX_STROKES = 5_000
MAX_SPAN = 1e7
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def fit_rect(w: float, h: float, doc: Document, margin: float = 0.0, center: tuple[float, float] | None = None):
    """The largest rect of aspect w:h inside the page (less a margin), centred (or at `center`)."""
    scale = min((doc.width - 2 * margin) / w, (doc.height - 2 * margin) / h)
    rw, rh = w * scale, h * scale
    cx, cy = center if center else (doc.width / 2, doc.height / 2)
    return (cx - rw / 2, cy - rh / 2, rw, rh)


def read_image(path: str | os.PathLike, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """PNG/JPEG file -> RGBA uint8, refusing huge, damaged or bomb images."""
    path = Path(path)
    return read_image_file(path, f"'{path.name}'", IMPORT_FORMATS, max_pixels, MAX_IMAGE_FILE_BYTES, ImportFailed)


def image_layer(path: str | os.PathLike, doc: Document) -> RasterLayer:
    pixels = read_image(path)
    h, w = pixels.shape[:2]
    return RasterLayer(name=doc.unique_layer_name(Path(path).stem), pixels=pixels,
                       rect=fit_rect(w, h, doc), metadata={"source": Path(path).name})


# -- strokes ---------------------------------------------------------------------------------
def _strokes_fitted(polylines: list[np.ndarray], doc: Document, color: str, width: float) -> list[Stroke]:
    """Scale and centre a drawing (list of (N, 4) arrays in any units) to fill 80% of the page."""
    allxy = np.concatenate([p[:, :2] for p in polylines]).astype(np.float64)
    lo, hi = allxy.min(axis=0), allxy.max(axis=0)
    span = np.maximum(hi - lo, 1e-6)
    if not np.isfinite(span).all() or span.max() > MAX_SPAN:
        raise ImportFailed(f"the drawing spans {span.max():.3g} units, far more than a drawing does; refused.")
    x, y, w, h = fit_rect(float(span[0]), float(span[1]), doc, margin=0.1 * min(doc.width, doc.height))
    scale = w / span[0]
    strokes = []
    for p in polylines:
        q = p.astype(np.float32).copy()
        q[:, 0] = (q[:, 0] - lo[0]) * scale + x
        q[:, 1] = (q[:, 1] - lo[1]) * scale + y
        strokes.append(Stroke(q, color, width))
    return strokes


def stroke3_to_polylines(stroke3: np.ndarray) -> list[np.ndarray]:
    """sketch-rnn stroke-3 (dx, dy, pen_lifted) -> polylines of (x, y, pressure=1, t) points."""
    s = np.asarray(stroke3)
    if s.dtype.kind not in "iuf" or s.ndim != 2 or s.shape[1] != 3 or len(s) == 0:
        raise ImportFailed("this is not a stroke-3 drawing (rows of dx, dy, pen_lifted).")
    if len(s) > MAX_POINTS:
        raise ImportFailed(f"the drawing has {len(s):,} points; ArtDesk imports drawings of up to {MAX_POINTS:,}.")
    s = s.astype(np.float64)
    if not np.isfinite(s).all() or np.abs(s[:, :2]).max() > MAX_SPAN:
        raise ImportFailed("the drawing holds offsets that are not finite or far too large; refused.")
    xy = np.cumsum(s[:, :2], axis=0)  # point i is where the pen is after row i
    lifts = s[:, 2] > 0.5
    lines, start = [], 0
    for i in np.flatnonzero(lifts):
        lines.append(xy[start: i + 1])
        start = i + 1
    if start < len(xy):
        lines.append(xy[start:])
    out, t = [], 0.0
    for line in lines:
        if len(line) == 0:
            continue
        n = len(line)
        out.append(np.column_stack([line, np.ones(n), t + np.arange(n) * 0.02]))
        t += n * 0.02 + 0.2
    if not out:
        raise ImportFailed("the drawing has no strokes.")
    return out


def load_stroke3_npz(path: str | os.PathLike, max_bytes: int = MAX_NPZ_BYTES) -> dict[str, list[np.ndarray]]:
    """Read a sketch-rnn npz (keys like train/valid/test, each a list of stroke-3 arrays) without
    unpickling anything (artdesk.safe_read.read_npz), within caps on drawings and points."""
    path = Path(path)
    what = f"'{path.name}'"
    arrays = read_npz(path, what, ImportFailed, max_bytes, max_bytes, objects=True)
    out: dict[str, list[np.ndarray]] = {}
    points = 0
    for key, arr in arrays.items():
        if arr.dtype != object or arr.ndim != 1:
            raise ImportFailed(f"{what}: {key} is not a list of drawings.")
        if len(arr) > MAX_NPZ_DRAWINGS:
            raise ImportFailed(f"{what}: {key} holds {len(arr):,} drawings; ArtDesk reads up to {MAX_NPZ_DRAWINGS:,}.")
        drawings = list(arr)
        for d in drawings:
            if d.ndim != 2 or d.shape[1] != 3 or d.dtype.kind not in "iuf":
                raise ImportFailed(f"{what}: {key} holds something other than stroke-3 drawings.")
            points += len(d)
        if points > MAX_NPZ_POINTS:
            raise ImportFailed(f"{what} holds more than {MAX_NPZ_POINTS:,} points; ArtDesk reads smaller files.")
        out[key] = drawings
    if not out:
        raise ImportFailed(f"{what} holds no drawings.")
    return out


def npz_drawing_layer(path: str | os.PathLike, doc: Document, index: int = 0, split: str | None = None,
                      color: str = "#000000", width: float = 6.0) -> VectorLayer:
    sets = load_stroke3_npz(path)
    split = split or ("test" if "test" in sets else sorted(sets)[0])
    if split not in sets:
        raise ImportFailed(f"'{Path(path).name}' has no '{split}' drawings (it has {', '.join(sets)}).")
    drawings = sets[split]
    if not 0 <= index < len(drawings):
        raise ImportFailed(f"'{Path(path).name}' has {len(drawings)} {split} drawings; there is no number {index}.")
    strokes = _strokes_fitted(stroke3_to_polylines(drawings[index]), doc, color, width)
    return VectorLayer(name=doc.unique_layer_name(f"{Path(path).stem} {split} {index}"), strokes=strokes,
                       metadata={"source": Path(path).name, "split": split, "index": index})


def _ndjson_line(path: Path, index: int) -> bytes:
    """Drawing `index` (blank lines skipped, as count_drawings counts) of an ndjson file, streamed
    in bounded pieces (a line without an end is refused once it passes MAX_NDJSON_LINE)."""
    what = f"'{path.name}'"
    regular_file(path, what, ImportFailed, MAX_NDJSON_BYTES)
    try:
        with path.open("rb") as fh:
            seen, number = -1, 0
            while seen < index:
                line = fh.readline(MAX_NDJSON_LINE + 1)
                number += 1
                if not line:
                    raise ImportFailed(f"{what} has fewer than {index + 1} drawings.")
                if len(line) > MAX_NDJSON_LINE:
                    raise ImportFailed(f"{what} line {number} is too long to be a drawing.")
                if line.strip():
                    seen += 1
    except OSError as exc:
        raise ImportFailed(f"{what} cannot be read ({exc.strerror or exc}).") from exc
    return line


def _coords(values, what: str) -> np.ndarray:
    if not isinstance(values, list) or not all(type(v) is int or type(v) is float for v in values):
        raise ValueError(f"{what} must be a list of numbers")
    arr = np.array(values, dtype=np.float64)
    if not np.isfinite(arr).all() or (len(arr) and np.abs(arr).max() > MAX_SPAN):
        raise ValueError(f"{what} holds numbers that are not finite or far too large")
    return arr


def read_quickdraw_ndjson(path: str | os.PathLike, index: int = 0) -> tuple[str, list[np.ndarray]]:
    """One drawing from a Quick, Draw! ndjson file (raw [[x],[y],[t]] or simplified [[x],[y]])."""
    path = Path(path)
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ImportFailed(f"There is no drawing number {index!r} in '{path.name}'.")
    line = _ndjson_line(path, index)
    try:
        record = json.loads(line)
        if not isinstance(record, dict) or not isinstance(record.get("drawing"), list):
            raise ValueError("no 'drawing' list")
        strokes = record["drawing"]
        if len(strokes) > MAX_STROKES:
            raise ValueError(f"more than {MAX_STROKES} strokes")
        polylines = []
        total = 0
        for stroke in strokes:
            if not isinstance(stroke, list) or len(stroke) not in (2, 3):
                raise ValueError("a stroke is not [xs, ys] or [xs, ys, ts]")
            total += len(stroke[0]) if isinstance(stroke[0], list) else 0
            if total > MAX_POINTS:
                raise ValueError(f"more than {MAX_POINTS:,} points")
            xs, ys = _coords(stroke[0], "x"), _coords(stroke[1], "y")
            ts = _coords(stroke[2], "t") / 1000.0 if len(stroke) > 2 else np.zeros(len(xs))
            if not (len(xs) == len(ys) == len(ts)) or len(xs) == 0:
                raise ValueError("a stroke's x, y and t lists differ in length")
            polylines.append(np.column_stack([xs, ys, np.ones(len(xs)), ts]))
        if not polylines:
            raise ValueError("no strokes")
        word = record.get("word", path.stem)
    except RecursionError:
        raise ImportFailed(f"'{path.name}' line {index + 1} is nested too deeply to be a drawing.") from None
    except (ValueError, KeyError, TypeError, IndexError, OverflowError) as exc:
        raise ImportFailed(f"'{path.name}' line {index + 1} is not a Quick, Draw! drawing ({exc}).") from exc
    return (word if isinstance(word, str) else path.stem)[:200], polylines


def ndjson_drawing_layer(path: str | os.PathLike, doc: Document, index: int = 0,
                         color: str = "#000000", width: float = 6.0) -> VectorLayer:
    word, polylines = read_quickdraw_ndjson(path, index)
    strokes = _strokes_fitted(polylines, doc, color, width)
    return VectorLayer(name=doc.unique_layer_name(word), strokes=strokes,
                       metadata={"source": Path(path).name, "word": word, "index": index})


def count_drawings(path: str | os.PathLike) -> int:
    """How many drawings a .ndjson / .npz file offers (1 for images)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".ndjson":
        return _count_lines(path)
    if suffix == ".npz":
        sets = load_stroke3_npz(path)
        return len(sets["test"] if "test" in sets else sets[sorted(sets)[0]])
    return 1


def _count_lines(path: Path) -> int:
    """Non-empty lines, counted in 1 MB blocks (a file with no newline is never read whole)."""
    what = f"'{path.name}'"
    regular_file(path, what, ImportFailed, MAX_NDJSON_BYTES)
    count, in_line = 0, False
    try:
        with path.open("rb") as fh:
            while block := fh.read(1 << 20):
                for piece in block.split(b"\n")[:-1]:
                    if in_line or piece.strip():
                        count += 1
                    in_line = False
                tail = block.rsplit(b"\n", 1)[-1]
                in_line = in_line or bool(tail.strip())
                if count > MAX_NDJSON_DRAWINGS:
                    raise ImportFailed(f"{what} holds more than {MAX_NDJSON_DRAWINGS:,} drawings.")
    except OSError as exc:
        raise ImportFailed(f"{what} cannot be read ({exc.strerror or exc}).") from exc
    return count + (1 if in_line else 0)


def import_file(path: str | os.PathLike, doc: Document, index: int = 0):
    """Any importable file -> a new layer (not yet added to the document). `index` picks the
    drawing in a multi-drawing file (ndjson line, npz test-set entry). Only ImportFailed comes out."""
    name = Path(path).name
    try:
        return _import_file(path, doc, index)
    except ImportFailed:
        raise
    except MemoryError as exc:
        raise ImportFailed(f"'{name}' needs more memory than this computer has free.") from exc
    except Exception as exc:  # the boundary of the import family: nothing else may escape
        raise ImportFailed(f"'{name}' could not be imported: it is damaged ({type(exc).__name__}).") from exc


def _import_file(path: str | os.PathLike, doc: Document, index: int = 0):
    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return image_layer(path, doc)
    if suffix == ".ndjson":
        return ndjson_drawing_layer(path, doc, index)
    if suffix == ".npz":
        return npz_drawing_layer(path, doc, index)
    raise ImportFailed(f"ArtDesk cannot import '{Path(path).name}': use PNG, JPEG, WebP, Quick, Draw! .ndjson or sketch-rnn .npz.")
