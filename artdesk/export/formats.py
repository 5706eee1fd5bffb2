"""The one registry of export formats: label, suffix, writer, presets. The export dialog lists
it, `artdesk export` parses against it, and `export_document` writes through it.

A format key is the format's name ("svg"), or "name:preset" for a format with presets
("png:tshirt"). Writers are named as "module:function" and imported only when used, so that
writing an SVG never loads the Qt renderer."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from artdesk.document.model import Document


@dataclass(frozen=True)
class ExportFormat:
    name: str            # "png", "svg", ...: the --format value
    label: str           # what the dialog shows (a format with presets: one entry per preset)
    suffix: str          # ".png"
    writer: str          # "module:function", called as writer(doc, path, **options)
    presets: tuple[tuple[str, str], ...] = ()  # (key, label); the first is the default
    dtg: bool = False    # takes the DTG-safe option

    def write(self, doc: Document, path: str | os.PathLike, preset: str | None = None, dtg: bool = False,
              **options: Any) -> Any:
        """options: the format's own (PNG: trim, lpi); the writer is called with them."""
        module, function = self.writer.split(":")
        fn = getattr(importlib.import_module(module), function)
        if self.presets:
            return fn(doc, path, preset or self.presets[0][0], dtg=dtg, **options)
        return fn(doc, path)


def _png_presets() -> tuple[tuple[str, str], ...]:
    from artdesk.export.png import PRESETS  # numpy and Pillow only: no Qt

    return tuple((p.key, p.label) for p in PRESETS.values())


FORMATS: dict[str, ExportFormat] = {f.name: f for f in (
    ExportFormat("png", "PNG", ".png", "artdesk.export.png:export_png", _png_presets(), dtg=True),
    ExportFormat("svg", "SVG — vector layers", ".svg", "artdesk.export.vector:export_svg"),
    ExportFormat("ndjson", "Quick, Draw! ndjson — the doodle", ".ndjson", "artdesk.export.formats:write_ndjson"),
    ExportFormat("ora", "OpenRaster (.ora) — layers for Krita, GIMP, MyPaint", ".ora", "artdesk.export.ora:export_ora"),
)}


def write_ndjson(doc: Document, path: str | os.PathLike) -> None:
    """The doodle as one Quick, Draw! record, its word the document's category."""
    from artdesk.export.vector import export_ndjson

    export_ndjson(doc, path, doc.metadata.get("category", "doodle"))


def dialog_entries() -> list[tuple[str, str, str]]:
    """(key, label, suffix) for each choice of the export dialog, PNG presets first."""
    out = []
    for fmt in FORMATS.values():
        if fmt.presets:
            out += [(f"{fmt.name}:{key}", f"{fmt.label} — {label}", fmt.suffix) for key, label in fmt.presets]
        else:
            out.append((fmt.name, fmt.label, fmt.suffix))
    return out


def format_for(key: str) -> tuple[ExportFormat, str | None]:
    """"png:tshirt" -> (the PNG format, "tshirt"); "svg" -> (the SVG format, None)."""
    name, _, preset = key.partition(":")
    fmt = FORMATS.get(name)
    if fmt is None or (preset and preset not in dict(fmt.presets)):
        raise ValueError(f"unknown export format {key}")
    return fmt, preset or None


def format_from_suffix(path: str | os.PathLike) -> str | None:
    suffix = os.path.splitext(str(path))[1].lower()
    return next((f.name for f in FORMATS.values() if f.suffix == suffix), None)


def export_document(doc: Document, path: str | os.PathLike, key: str, dtg: bool = False, **options: Any) -> Any:
    """Write one export; returns a report (PNG) or None. Runs on a worker or headless. options:
    the format's own (PNG: trim=None|bool, lpi=halftone lines per inch)."""
    fmt, preset = format_for(key)
    return fmt.write(doc, path, preset, dtg, **options)


def export_job(doc: Document, path: str | os.PathLike, key: str, dtg: bool = False, trim: bool | None = None,
               lpi: float | None = None) -> Any:
    """export_document as a job: a PNG yields between bands and row blocks, so Cancel stops it
    within a fraction of a second and leaves no file; other formats poll check_cancel."""
    fmt, preset = format_for(key)
    if fmt.name == "png":
        from artdesk.export import png

        return (yield from png.export_png_job(doc, path, preset or fmt.presets[0][0], dtg=dtg, trim=trim,
                                              lpi=png.DEFAULT_LPI if lpi is None else lpi))
    return fmt.write(doc, path, preset, dtg)
