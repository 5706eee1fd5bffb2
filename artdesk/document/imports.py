"""Bringing outside pictures in: PNG/JPEG as raster layers, Quick, Draw! ndjson and sketch-rnn npz
drawings as vector layers. Every reader bounds what it reads and raises ImportFailed with a
sentence for people; nothing is added to a document unless the whole file was understood."""

from __future__ import annotations

import json
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np

from artdesk.document.model import Document, RasterLayer, Stroke, VectorLayer
from artdesk.document.project import ProjectFileError, decode_image_bytes

MAX_IMAGE_FILE_BYTES = 200 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
MAX_NDJSON_LINE = 5 * 1024 * 1024
MAX_POINTS = 50_000
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


class ImportFailed(Exception):
    """A file could not be imported; the message says why."""


def _read_file(path: Path, limit: int) -> bytes:
    if not path.is_file():
        raise ImportFailed(f"'{path.name}' does not exist.")
    size = path.stat().st_size
    if size > limit:
        raise ImportFailed(f"'{path.name}' is {size / 1e6:.0f} MB; ArtDesk imports files up to {limit / 1e6:.0f} MB.")
    return path.read_bytes()


def fit_rect(w: float, h: float, doc: Document, margin: float = 0.0, center: tuple[float, float] | None = None):
    """The largest rect of aspect w:h inside the page (less a margin), centred (or at `center`)."""
    scale = min((doc.width - 2 * margin) / w, (doc.height - 2 * margin) / h)
    rw, rh = w * scale, h * scale
    cx, cy = center if center else (doc.width / 2, doc.height / 2)
    return (cx - rw / 2, cy - rh / 2, rw, rh)


def read_image(path: str | os.PathLike, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """PNG/JPEG file -> RGBA uint8, refusing huge, damaged or bomb images."""
    path = Path(path)
    raw = _read_file(path, MAX_IMAGE_FILE_BYTES)
    try:
        return decode_image_bytes(raw, f"'{path.name}'", max_pixels)
    except ProjectFileError as exc:
        raise ImportFailed(str(exc)) from exc


def image_layer(path: str | os.PathLike, doc: Document) -> RasterLayer:
    pixels = read_image(path)
    h, w = pixels.shape[:2]
    return RasterLayer(name=doc.unique_layer_name(Path(path).stem), pixels=pixels,
                       rect=fit_rect(w, h, doc), metadata={"source": Path(path).name})


# -- strokes ---------------------------------------------------------------------------------
def _strokes_fitted(polylines: list[np.ndarray], doc: Document, color: str, width: float) -> list[Stroke]:
    """Scale and centre a drawing (list of (N, 4) arrays in any units) to fill 80% of the page."""
    allxy = np.concatenate([p[:, :2] for p in polylines])
    lo, hi = allxy.min(axis=0), allxy.max(axis=0)
    span = np.maximum(hi - lo, 1e-6)
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
    s = np.asarray(stroke3, dtype=np.float64)
    if s.ndim != 2 or s.shape[1] != 3 or len(s) == 0 or not np.isfinite(s).all():
        raise ImportFailed("this is not a stroke-3 drawing (rows of dx, dy, pen_lifted).")
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


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """sketch-rnn npz files hold object arrays (pickles); allow only numpy array reconstruction."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refused to load {module}.{name} from a drawing file")
        return super().find_class(module, name)


def load_stroke3_npz(path: str | os.PathLike, max_bytes: int = 500 * 1024 * 1024) -> dict[str, list[np.ndarray]]:
    """Read a sketch-rnn npz (keys like train/valid/test, each a list of stroke-3 arrays) safely."""
    path = Path(path)
    if not path.is_file():
        raise ImportFailed(f"'{path.name}' does not exist.")
    out: dict[str, list[np.ndarray]] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            if sum(i.file_size for i in zf.infolist()) > max_bytes:
                raise ImportFailed(f"'{path.name}' is too large to import.")
            for info in zf.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                with zf.open(info) as fh:
                    np.lib.format.read_magic(fh)
                    shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
                    if dtype != object:
                        raise ImportFailed(f"'{path.name}': {info.filename} is not a list of drawings.")
                    arr = _NumpyOnlyUnpickler(fh, encoding="latin1").load()
                drawings = [np.asarray(d) for d in np.asarray(arr, dtype=object).reshape(-1)]
                if not all(d.ndim == 2 and d.shape[1] == 3 for d in drawings):
                    raise ImportFailed(f"'{path.name}': {info.filename} holds something other than stroke-3 drawings.")
                out[info.filename[:-4]] = drawings
    except ImportFailed:
        raise
    except (zipfile.BadZipFile, pickle.UnpicklingError, ValueError, EOFError, OSError, TypeError) as exc:
        raise ImportFailed(f"'{path.name}' is not a readable sketch-rnn npz file ({exc}).") from exc
    if not out:
        raise ImportFailed(f"'{path.name}' holds no drawings.")
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


def read_quickdraw_ndjson(path: str | os.PathLike, index: int = 0) -> tuple[str, list[np.ndarray]]:
    """One drawing from a Quick, Draw! ndjson file (raw [[x],[y],[t]] or simplified [[x],[y]])."""
    path = Path(path)
    if not path.is_file():
        raise ImportFailed(f"'{path.name}' does not exist.")
    with path.open("rb") as fh:
        for i, line in enumerate(fh):
            if len(line) > MAX_NDJSON_LINE:
                raise ImportFailed(f"'{path.name}' line {i + 1} is too long to be a drawing.")
            if i == index:
                break
        else:
            raise ImportFailed(f"'{path.name}' has fewer than {index + 1} drawings.")
    try:
        record = json.loads(line)
        polylines = []
        total = 0
        for stroke in record["drawing"]:
            xs, ys = np.asarray(stroke[0], float), np.asarray(stroke[1], float)
            ts = np.asarray(stroke[2], float) / 1000.0 if len(stroke) > 2 else np.zeros(len(xs))
            if not (len(xs) == len(ys) == len(ts)) or len(xs) == 0:
                raise ValueError("a stroke's x, y and t lists differ in length")
            total += len(xs)
            polylines.append(np.column_stack([xs, ys, np.ones(len(xs)), ts]))
        if not polylines or total > MAX_POINTS or not all(np.isfinite(p).all() for p in polylines):
            raise ValueError("no usable strokes")
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise ImportFailed(f"'{path.name}' line {index + 1} is not a Quick, Draw! drawing ({exc}).") from exc
    return str(record.get("word", path.stem)), polylines


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
        with path.open("rb") as fh:
            return sum(1 for line in fh if line.strip())
    if suffix == ".npz":
        sets = load_stroke3_npz(path)
        return len(sets["test"] if "test" in sets else sets[sorted(sets)[0]])
    return 1


def import_file(path: str | os.PathLike, doc: Document, index: int = 0):
    """Any importable file -> a new layer (not yet added to the document). `index` picks the
    drawing in a multi-drawing file (ndjson line, npz test-set entry)."""
    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return image_layer(path, doc)
    if suffix == ".ndjson":
        return ndjson_drawing_layer(path, doc, index)
    if suffix == ".npz":
        return npz_drawing_layer(path, doc, index)
    raise ImportFailed(f"ArtDesk cannot import '{Path(path).name}': use PNG, JPEG, Quick, Draw! .ndjson or sketch-rnn .npz.")
