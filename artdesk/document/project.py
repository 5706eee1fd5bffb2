"""`.artdesk` project files: a zip of document.json, one PNG per raster layer and meta.json.

Saving writes a temporary file beside the target, fsyncs it and renames it over the target, so a
save that is killed half-way leaves the previous file as it was. Opening treats the file as hostile
and checks everything before building a Document: the zip (unique, unencrypted, stored or deflated
entries; every read streamed and bounded in absolute bytes, so whatever ArtDesk writes reopens),
document.json against a schema (types, finite ranges, colours, real booleans, one image per raster
layer), and the layers' PNG headers against a pixel budget for the whole document before any pixel
is decoded (PNG only, through artdesk.image_policy). A bad file is refused with a ProjectFileError
and nothing else changes.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from artdesk import __version__
from artdesk.atomic import atomic_file
from artdesk.document.affine import IDENTITY, is_identity, is_valid
from artdesk.document.model import (BRUSHES, RESAMPLE_MODES, TEXT_PROPERTIES, Document, Layer, RasterLayer, Stroke,
                                    TextLayer, VectorLayer)
from artdesk.errors import ProjectFileError
from artdesk.image_policy import MAX_IMAGE_PIXELS, PROJECT_FORMATS, check_pixels, decode_image, png_size
from artdesk.safe_read import (READ_ERRORS, checked_zip_entries, finite, open_zip, parse_json, read_member,
                                regular_file, whole)

__all__ = ["ProjectFileError", "load_project", "save_project", "document_to_json", "decode_image_bytes"]

FORMAT = "artdesk-project"
FORMAT_VERSION = 1
EXTENSION = ".artdesk"

MAX_ENTRIES = 2000
MAX_LAYERS = 1000
MAX_JSON_BYTES = 100 * 1024 * 1024  # absolute, streamed: 20,000 identical strokes compress 1000x and reopen
MAX_PNG_BYTES = MAX_IMAGE_PIXELS * 4 + 16 * 1024 * 1024
MAX_TOTAL_BYTES = 4 * 1024 ** 3
MAX_DOC_PIXELS = 250_000_000  # decoded raster pixels per document (1 GB as RGBA), about 10 print-size layers
MAX_DOC_POINTS = 2_000_000  # stroke points per document
MAX_DOC_SIDE = 20000
MAX_COORD = 1e7  # document units, for points and raster placements
MAX_STROKE_WIDTH = 5000.0
MAX_NAME = 1000
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")


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
    """Read a project file; anything wrong with it is a ProjectFileError with a sentence."""
    path = Path(path)
    name = f"'{path.name}'"
    regular_file(path, name, ProjectFileError)
    try:
        with open_zip(path, name, ProjectFileError, MAX_ENTRIES) as zf:
            infos = checked_zip_entries(zf, name, ProjectFileError, MAX_ENTRIES,
                                        max(MAX_JSON_BYTES, MAX_PNG_BYTES), MAX_TOTAL_BYTES)
            data = _read_json(zf, infos, "document.json", name)
            doc, images = _document_from_json(data, name)
            _check_pixel_budget(zf, infos, images, name)
            for layer, entry in images:
                raw = read_member(zf, infos[entry], MAX_PNG_BYTES, name, ProjectFileError)
                layer.pixels = decode_image(raw, f"{name}: {entry}", PROJECT_FORMATS, MAX_IMAGE_PIXELS, ProjectFileError)
    except ProjectFileError:
        raise
    except MemoryError as exc:
        raise ProjectFileError(f"{name} needs more memory than this computer has free.") from exc
    except RecursionError as exc:
        raise ProjectFileError(f"{name} is nested too deeply to be a real project.") from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise ProjectFileError(f"{name} is not a readable ArtDesk project (damaged or truncated zip).") from exc
    except (*READ_ERRORS, KeyError, TypeError, IndexError) as exc:
        raise ProjectFileError(f"{name} could not be read: it is damaged ({type(exc).__name__}).") from exc
    return doc


def _read_json(zf, infos, entry: str, name: str) -> dict:
    if entry not in infos:
        raise ProjectFileError(f"{name} is not an ArtDesk project (no {entry} inside).")
    if infos[entry].file_size > MAX_JSON_BYTES:  # its header says so; a header that lies is caught while reading
        raise ProjectFileError(f"{name}: {entry} would unpack to {infos[entry].file_size / 1e6:.0f} MB, more than "
                               f"ArtDesk allows ({MAX_JSON_BYTES / 1e6:.0f} MB). Refused.")
    raw = read_member(zf, infos[entry], MAX_JSON_BYTES, name, ProjectFileError)
    if raw.count(b"[") > MAX_DOC_POINTS + 10 * MAX_LAYERS + 100_000:  # each point is a list
        raise ProjectFileError(f"{name} holds more stroke points than ArtDesk opens ({MAX_DOC_POINTS:,}).")
    data = parse_json(raw, f"{name}: {entry}", ProjectFileError)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ProjectFileError(f"{name} is not an ArtDesk project.")
    version = whole(data.get("version"), 1, 1 << 30)
    if version is None:
        raise ProjectFileError(f"{name} has an impossible format version ({data.get('version')!r}); the file is damaged.")
    if version > FORMAT_VERSION:
        raise ProjectFileError(f"{name} was written by a newer ArtDesk (format {version}); please update.")
    return data


def _check_pixel_budget(zf, infos, images, name: str) -> None:
    """Every raster layer's PNG header, summed against the document budget, before decoding."""
    total = 0
    for _, entry in images:
        try:
            with zf.open(infos[entry]) as fh:
                head = fh.read(24)
        except READ_ERRORS as exc:
            raise ProjectFileError(f"{name}: {entry} is damaged ({type(exc).__name__}).") from exc
        w, h = png_size(head, f"{name}: {entry}", ProjectFileError)
        check_pixels(w, h, f"{name}: {entry}", MAX_IMAGE_PIXELS, ProjectFileError)
        total += w * h
    if total > MAX_DOC_PIXELS:
        raise ProjectFileError(f"{name} holds {total / 1e6:.0f} megapixels of images, more than ArtDesk opens "
                               f"in one document ({MAX_DOC_PIXELS / 1e6:.0f}). Refused.")


def decode_image_bytes(raw: bytes, what: str, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """PNG bytes (a project layer) -> RGBA uint8, under the project decode policy."""
    return decode_image(raw, what, PROJECT_FORMATS, max_pixels, ProjectFileError)


def _document_from_json(data: dict, name: str) -> tuple[Document, list[tuple[RasterLayer, str]]]:
    """The Document (raster pixels not yet read) and the (layer, image entry) pairs to read."""
    width, height = whole(data.get("width"), 1, MAX_DOC_SIDE), whole(data.get("height"), 1, MAX_DOC_SIDE)
    if width is None or height is None:
        raise ProjectFileError(f"{name} has an impossible page size ({data.get('width')!r} x {data.get('height')!r}).")
    layers_data = data.get("layers")
    if not isinstance(layers_data, list):
        raise ProjectFileError(f"{name} has no layer list.")
    if len(layers_data) > MAX_LAYERS:
        raise ProjectFileError(f"{name} has {len(layers_data)} layers; ArtDesk opens at most {MAX_LAYERS}.")
    metadata = data.get("metadata", {})
    if not isinstance(metadata, dict):
        raise ProjectFileError(f"{name}: the document's metadata is damaged.")
    doc = Document(width, height)
    doc.metadata = metadata
    seen: set[str] = set()
    images: list[tuple[RasterLayer, str]] = []
    used: set[str] = set()
    points = 0
    for entry in layers_data:
        layer = _layer_from_json(entry, name)
        if layer.id in seen:
            raise ProjectFileError(f"{name} has two layers with the id {layer.id}.")
        seen.add(layer.id)
        if isinstance(layer, VectorLayer):
            points += sum(len(s.points) for s in layer.strokes)
            if points > MAX_DOC_POINTS:
                raise ProjectFileError(f"{name} holds more stroke points than ArtDesk opens ({MAX_DOC_POINTS:,}).")
        elif isinstance(layer, RasterLayer):
            image = entry.get("image")
            if not isinstance(image, str):
                raise ProjectFileError(f"{name}: raster layer '{layer.name}' names no image.")
            if image in used:
                raise ProjectFileError(f"{name}: two raster layers share the image {image}; ArtDesk never writes that.")
            used.add(image)
            images.append((layer, image))
        doc.layers.append(layer)
    return doc, images


def _bad(name: str, layer: str, what: str) -> ProjectFileError:
    return ProjectFileError(f"{name}: layer '{layer}' has {what}; the file is damaged.")


def _layer_from_json(entry, name: str) -> Layer:
    if not isinstance(entry, dict):
        raise ProjectFileError(f"{name} has a damaged layer entry.")
    lname = entry.get("name", "Layer")
    if not isinstance(lname, str) or len(lname) > MAX_NAME:
        raise ProjectFileError(f"{name} has a layer with a damaged name.")
    layer_id = entry.get("id")
    if not isinstance(layer_id, str) or not 0 < len(layer_id) <= 64:
        raise ProjectFileError(f"{name}: layer '{lname}' has no valid id.")
    visible = entry.get("visible", True)
    if not isinstance(visible, bool):
        raise _bad(name, lname, f"a visibility that is not true or false ({visible!r})")
    opacity = finite(entry.get("opacity", 1.0), 0.0, 1.0)
    if opacity is None:
        raise _bad(name, lname, "an opacity outside 0..1")
    metadata = entry.get("metadata", {})
    if not isinstance(metadata, dict):
        raise _bad(name, lname, "damaged metadata")
    kind = entry.get("kind")
    if kind == "vector":
        strokes = entry.get("strokes", [])
        if not isinstance(strokes, list):
            raise _bad(name, lname, "damaged strokes")
        return VectorLayer(name=lname, visible=visible, opacity=opacity, id=layer_id, metadata=metadata,
                           strokes=_strokes_from_json(strokes, name, lname))
    if kind == "raster":
        rect = entry.get("rect")
        values = [finite(v, -MAX_COORD, MAX_COORD) for v in rect] if isinstance(rect, list) and len(rect) == 4 else []
        x, y, w, h = values if len(values) == 4 else (None, None, None, None)
        if x is None or y is None or w is None or h is None or w <= 0 or h <= 0:
            raise _bad(name, lname, "no valid placement (x, y, width, height)")
        resample = entry.get("resample", "smooth")
        if resample not in RESAMPLE_MODES:
            raise _bad(name, lname, f"an unknown resampling {resample!r}")
        transform = entry.get("transform", IDENTITY)  # files before 0.x have none
        if not is_valid(transform):
            raise _bad(name, lname, "a damaged transform")
        return RasterLayer(name=lname, visible=visible, opacity=opacity, id=layer_id, metadata=metadata,
                           rect=(x, y, w, h), resample=resample, transform=tuple(transform))
    if kind == "text":
        return _text_layer(entry, dict(name=lname, visible=visible, opacity=opacity, id=layer_id, metadata=metadata),
                           name)
    raise ProjectFileError(f"{name} has a layer of unknown kind {kind!r}.")


_NUMBER_TYPES = {int, float}


def _strokes_from_json(strokes: list, name: str, lname: str) -> list[Stroke]:
    """All strokes of a layer: types checked per stroke, numbers checked for the layer at once."""
    specs = []
    for data in strokes:
        if not isinstance(data, dict):
            raise _bad(name, lname, "a damaged stroke")
        color = data.get("color", "#000000")
        if not isinstance(color, str) or not _COLOR.fullmatch(color):
            raise _bad(name, lname, f"a stroke colour that is not #rrggbb ({str(color)[:20]!r})")
        width = finite(data.get("width", 6.0), 0.0, MAX_STROKE_WIDTH)
        if width is None or width <= 0:
            raise _bad(name, lname, f"a stroke width outside 0..{MAX_STROKE_WIDTH:g}")
        rows = data.get("points")
        if not isinstance(rows, list) or not rows:
            raise _bad(name, lname, "a stroke without points")
        if set(map(type, rows)) != {list} or set(map(len, rows)) != {4} \
                or not {type(v) for r in rows for v in r} <= _NUMBER_TYPES:  # no bools, no strings
            raise _bad(name, lname, "a stroke point that is not four numbers (x, y, pressure, time)")
        closed, outline = data.get("closed", False), data.get("outline", True)
        if type(closed) is not bool or type(outline) is not bool:
            raise _bad(name, lname, "a stroke whose closed/outline flag is not true or false")
        fill = data.get("fill", "")
        if not isinstance(fill, str) or (fill and not _COLOR.fullmatch(fill)):
            raise _bad(name, lname, f"a fill colour that is not #rrggbb ({str(fill)[:20]!r})")
        brush = data.get("brush", "round")
        if brush not in BRUSHES:
            raise _bad(name, lname, f"an unknown brush {str(brush)[:20]!r}")
        specs.append((rows, color, width, dict(closed=closed, fill=fill, outline=outline, brush=brush)))
    if not specs:
        return []
    try:
        pts = np.array([r for rows, *_ in specs for r in rows], dtype=np.float64)
    except OverflowError:
        raise _bad(name, lname, "a stroke point too large to be real") from None
    if not np.isfinite(pts).all() or np.abs(pts[:, :2]).max() > MAX_COORD or np.abs(pts[:, 3]).max() > 1e9:
        raise _bad(name, lname, "a stroke point out of range")
    if pts[:, 2].min() < 0 or pts[:, 2].max() > 1:
        raise _bad(name, lname, "a pen pressure outside 0..1")
    pts32 = pts.astype(np.float32)
    out, start = [], 0
    for rows, color, width, look in specs:
        out.append(Stroke(pts32[start: start + len(rows)], color, width, **look))
        start += len(rows)
    return out


def _text_layer(entry: dict, common: dict, name: str) -> TextLayer:
    style = {k: entry[k] for k in TEXT_PROPERTIES if k in entry}
    types = {"text": str, "font": str, "color": str, "bold": bool, "italic": bool}
    ranges = {"size": (0.5, MAX_STROKE_WIDTH), "x": (-MAX_COORD, MAX_COORD), "y": (-MAX_COORD, MAX_COORD),
              "angle": (-3600.0, 3600.0)}
    for key, value in style.items():
        if key in ranges:
            value = style[key] = finite(value, *ranges[key])  # a real number in range, never a bool
            ok = value is not None
        else:
            ok = type(value) is types.get(key, str)
        if ok and key == "color":
            ok = bool(_COLOR.fullmatch(value))
        if ok and key == "font":
            ok = len(value) <= 200
        if not ok:
            raise _bad(name, common["name"], f"a damaged text {key}")
    if len(style.get("text", "")) > 10000:
        raise ProjectFileError(f"'{name}': text layer '{common['name']}' holds more text than ArtDesk allows.")
    return TextLayer(**common, **style)
