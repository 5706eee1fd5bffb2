"""`.artdesk` project files: a zip of document.json, one PNG per raster layer and meta.json.

Saving writes a temporary file beside the target, fsyncs it and renames it over the target, so a
save that is killed half-way leaves the previous file as it was. Opening checks everything before
building a Document (sizes, counts, compression ratios, JSON shape, PNG pixel counts), so a
corrupt, truncated or hostile file is refused with a ProjectFileError and nothing else changes.
"""

from __future__ import annotations

import io
import json
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from artdesk import __version__
from artdesk.atomic import atomic_file
from artdesk.document.affine import IDENTITY, is_identity, is_valid
from artdesk.document.model import TEXT_PROPERTIES, Document, Layer, RasterLayer, Stroke, TextLayer, VectorLayer

FORMAT = "artdesk-project"
FORMAT_VERSION = 1
EXTENSION = ".artdesk"

MAX_ENTRIES = 2000
MAX_JSON_BYTES = 200 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024 ** 3
MAX_RATIO = 200  # uncompressed / compressed, per entry (PNG and JSON rarely exceed ~50)
MAX_IMAGE_PIXELS = 6000 * 7200  # a bit above print size
MAX_DOC_SIDE = 20000


class ProjectFileError(Exception):
    """A project file could not be read; the message says why in words for people."""


# -- writing ---------------------------------------------------------------------------------
def _png_bytes(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(buf, "PNG", compress_level=6)
    return buf.getvalue()


def document_to_json(doc: Document) -> dict:
    layers = []
    for layer in doc.layers:
        entry = {"id": layer.id, "kind": layer.kind, "name": layer.name, "visible": layer.visible,
                 "opacity": layer.opacity, "metadata": layer.metadata}
        if isinstance(layer, VectorLayer):
            entry["strokes"] = [s.to_dict() for s in layer.strokes]
        elif isinstance(layer, RasterLayer):
            entry["image"] = f"layers/{layer.id}.png"
            entry["rect"] = list(layer.rect)
            entry["resample"] = layer.resample
            if not is_identity(layer.transform):
                entry["transform"] = list(layer.transform)
        elif isinstance(layer, TextLayer):
            entry.update(layer.style())
        layers.append(entry)
    return {"format": FORMAT, "version": FORMAT_VERSION, "width": doc.width, "height": doc.height,
            "metadata": doc.metadata, "layers": layers}


def save_project(doc: Document, path: str | os.PathLike) -> None:
    """Write `doc` to `path` atomically (temporary file, fsync, rename)."""
    data = document_to_json(doc)
    with atomic_file(path) as raw:
        with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("meta.json", json.dumps({"app": "ArtDesk", "app_version": __version__,
                                                 "format": FORMAT, "version": FORMAT_VERSION}))
            zf.writestr("document.json", json.dumps(data))
            for layer in doc.layers:
                if isinstance(layer, RasterLayer):
                    zf.writestr(f"layers/{layer.id}.png", _png_bytes(layer.pixels),
                                compress_type=zipfile.ZIP_STORED)


# -- reading ---------------------------------------------------------------------------------
def load_project(path: str | os.PathLike) -> Document:
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise ProjectFileError(f"'{name}' does not exist or is not a file.")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = _checked_entries(zf, name)
            data = _read_json(zf, infos, "document.json", name)
            doc = _document_from_json(data, name)
            for layer_data, layer in zip(data["layers"], doc.layers):
                if isinstance(layer, RasterLayer):
                    layer.pixels = _read_png(zf, infos, layer_data.get("image"), name)
    except ProjectFileError:
        raise
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as exc:
        raise ProjectFileError(f"'{name}' is not a readable ArtDesk project (damaged or truncated zip: {exc}).") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ProjectFileError(f"'{name}' could not be read: {exc}") from exc
    return doc


def _checked_entries(zf: zipfile.ZipFile, name: str) -> dict[str, zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise ProjectFileError(f"'{name}' has {len(infos)} entries; an ArtDesk project has far fewer. Refused.")
    total = sum(i.file_size for i in infos)
    if total > MAX_TOTAL_BYTES:
        raise ProjectFileError(f"'{name}' would unpack to {total / 1e9:.1f} GB; refused as a possible zip bomb.")
    for info in infos:
        if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ProjectFileError(
                f"'{name}': entry '{info.filename}' expands {info.file_size // max(info.compress_size, 1)}x; "
                "refused as a possible zip bomb.")
    return {i.filename: i for i in infos}


def _read_bounded(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Read an entry but never more than `limit` bytes, whatever its header claims."""
    with zf.open(info) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ProjectFileError(f"entry '{info.filename}' is larger than ArtDesk allows.")
    return data


def _read_json(zf, infos, entry: str, name: str) -> dict:
    if entry not in infos:
        raise ProjectFileError(f"'{name}' is not an ArtDesk project (no {entry} inside).")
    try:
        data = json.loads(_read_bounded(zf, infos[entry], MAX_JSON_BYTES).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProjectFileError(f"'{name}': {entry} is damaged ({exc}).") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ProjectFileError(f"'{name}' is not an ArtDesk project.")
    if not isinstance(data.get("version"), int) or data["version"] > FORMAT_VERSION:
        raise ProjectFileError(f"'{name}' was written by a newer ArtDesk (format {data.get('version')}); please update.")
    return data


def _read_png(zf, infos, entry, name: str) -> np.ndarray:
    if not isinstance(entry, str) or entry not in infos:
        raise ProjectFileError(f"'{name}': a raster layer's image ({entry}) is missing.")
    raw = _read_bounded(zf, infos[entry], MAX_IMAGE_PIXELS * 4 + 1024 * 1024)
    return decode_image_bytes(raw, f"'{name}': {entry}")


def decode_image_bytes(raw: bytes, what: str, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """Decode PNG/JPEG bytes to RGBA uint8, refusing decompression bombs and damaged data."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as im:
                if im.width * im.height > max_pixels:
                    raise ProjectFileError(
                        f"{what} is {im.width}x{im.height} pixels, more than ArtDesk opens "
                        f"({max_pixels // 1_000_000} megapixels).")
                im.load()
                return np.asarray(im.convert("RGBA"), dtype=np.uint8).copy()
    except ProjectFileError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ProjectFileError(f"{what} is too large to open safely.") from exc
    except UnidentifiedImageError as exc:
        raise ProjectFileError(f"{what} is not a PNG or JPEG image (or it is damaged).") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ProjectFileError(f"{what} is not a readable image: it is damaged or truncated ({exc}).") from exc


def _document_from_json(data: dict, name: str) -> Document:
    width, height = data.get("width"), data.get("height")
    if not all(isinstance(v, int) and 0 < v <= MAX_DOC_SIDE for v in (width, height)):
        raise ProjectFileError(f"'{name}' has an impossible page size ({width} x {height}).")
    layers_data = data.get("layers")
    if not isinstance(layers_data, list):
        raise ProjectFileError(f"'{name}' has no layer list.")
    doc = Document(width, height)
    doc.metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    seen: set[str] = set()
    for entry in layers_data:
        layer = _layer_from_json(entry, name)
        if layer.id in seen:
            raise ProjectFileError(f"'{name}' has two layers with the id {layer.id}.")
        seen.add(layer.id)
        doc.layers.append(layer)
    return doc


def _layer_from_json(entry: dict, name: str) -> Layer:
    if not isinstance(entry, dict):
        raise ProjectFileError(f"'{name}' has a damaged layer entry.")
    common = dict(name=str(entry.get("name", "Layer")), visible=bool(entry.get("visible", True)),
                  opacity=min(1.0, max(0.0, float(entry.get("opacity", 1.0)))),
                  id=str(entry.get("id") or ""), metadata=entry.get("metadata") or {})
    if not common["id"]:
        raise ProjectFileError(f"'{name}' has a layer without an id.")
    if not isinstance(common["metadata"], dict):
        common["metadata"] = {}
    kind = entry.get("kind")
    if kind == "vector":
        strokes = entry.get("strokes", [])
        if not isinstance(strokes, list):
            raise ProjectFileError(f"'{name}': layer '{common['name']}' has damaged strokes.")
        return VectorLayer(**common, strokes=[Stroke.from_dict(s) for s in strokes])
    if kind == "raster":
        rect = entry.get("rect")
        if not (isinstance(rect, list) and len(rect) == 4 and rect[2] > 0 and rect[3] > 0):
            raise ProjectFileError(f"'{name}': layer '{common['name']}' has no valid placement.")
        resample = entry.get("resample", "smooth")
        transform = entry.get("transform", IDENTITY)  # files before 0.x have none
        if not is_valid(transform):
            raise ProjectFileError(f"'{name}': layer '{common['name']}' has a damaged transform.")
        return RasterLayer(**common, rect=tuple(rect), resample=resample if resample in ("smooth", "crisp") else "smooth",
                           transform=tuple(transform))
    if kind == "text":
        return _text_layer(entry, common, name)
    raise ProjectFileError(f"'{name}' has a layer of unknown kind {kind!r}.")


def _text_layer(entry: dict, common: dict, name: str) -> TextLayer:
    style = {k: entry[k] for k in TEXT_PROPERTIES if k in entry}
    types = {"text": str, "font": str, "color": str, "bold": bool, "italic": bool}
    for key, value in style.items():
        wanted = types.get(key, (int, float))
        if not isinstance(value, wanted) or (key in ("size", "x", "y", "angle") and isinstance(value, bool)):
            raise ProjectFileError(f"'{name}': text layer '{common['name']}' has a damaged {key}.")
    if len(style.get("text", "")) > 10000:
        raise ProjectFileError(f"'{name}': text layer '{common['name']}' holds more text than ArtDesk allows.")
    return TextLayer(**common, **style)
