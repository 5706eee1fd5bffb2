"""Print-ready PNG export: presets, 300 dpi, sRGB, transparent page, settings in text chunks."""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, PngImagePlugin

from artdesk import __version__
from artdesk.atomic import atomic_file
from artdesk.document.model import Document, RasterLayer, VectorLayer
from artdesk.export.halftone import DEFAULT_LPI, halftone_alpha
from artdesk.export.render import render_rgba

SIZE_LIMIT_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    width: int | None  # None: the document's own size
    height: int | None
    dpi: int


PRESETS = {
    p.key: p
    for p in (
        Preset("tshirt", "T-shirt (Merch) 4500x5400 @300 dpi", 4500, 5400, 300),
        Preset("printful", "Printful 12x16 in @300 dpi", 3600, 4800, 300),
        Preset("screen", "Screen (canvas size)", None, None, 96),
    )
}


@dataclass
class ExportReport:
    path: Path
    width: int
    height: int
    bytes: int
    warnings: list[str] = field(default_factory=list)


def _srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def render_fitted(doc: Document, width: int, height: int) -> np.ndarray:
    """Render `doc` scaled uniformly to fit `width` x `height`, centred, on a transparent page."""
    scale = min(width / doc.width, height / doc.height)
    return render_rgba(doc, width, height, scale, scale,
                       (width - doc.width * scale) / 2, (height - doc.height * scale) / 2)


def trim_to_design(pixels: np.ndarray) -> np.ndarray:
    """Cut the transparent margin around the picture (a blank page stays as it is)."""
    rows = np.flatnonzero(pixels[..., 3].any(axis=1))
    if not len(rows):
        return pixels
    cols = np.flatnonzero(pixels[rows[0]: rows[-1] + 1, :, 3].any(axis=0))
    return np.ascontiguousarray(pixels[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1])


def dtg_safe(pixels: np.ndarray, dpi: int = 300, lpi: float = DEFAULT_LPI, trim: bool = True) -> np.ndarray:
    """Direct-to-garment printers dislike partial transparency: alpha becomes 0 or 255, a
    semi-transparent area a halftone dot screen of `lpi` lines per inch (so a 50% layer prints
    as about 50% ink), then (by default) the margin is trimmed."""
    out = halftone_alpha(pixels, dpi, lpi)
    return trim_to_design(out) if trim else out


def semi_transparent_fraction(pixels: np.ndarray) -> float:
    """Share of the painted pixels that are partly transparent (0..1)."""
    alpha = pixels[..., 3]
    painted = np.count_nonzero(alpha)
    return float(np.count_nonzero(alpha < 255) - (alpha.size - painted)) / painted if painted else 0.0


def semi_transparent_layers(doc: Document) -> list[str]:
    """Sentences naming the printed layers that will put semi-transparent pixels in a PNG (a
    layer opacity below 100%, a raster layer with soft alpha, marker or pencil strokes);
    anti-aliased edges are not counted."""
    found = []
    for layer in printed_layers(doc):
        if layer.opacity < 0.999:
            found.append(f"'{layer.name}' is {layer.opacity * 100:.0f}% opaque")
        elif isinstance(layer, RasterLayer):
            share = semi_transparent_fraction(layer.pixels[::2, ::2])
            if share > 0.05:
                found.append(f"'{layer.name}' has soft transparency ({share * 100:.0f}% of its pixels)")
        elif isinstance(layer, VectorLayer):
            see_through = sorted({s.brush for s in layer.strokes if s.brush in ("marker", "pencil")})
            if see_through:
                found.append(f"'{layer.name}' has {' and '.join(see_through)} strokes (see-through ink)")
    return found


def semi_transparency_warning(doc: Document) -> str:
    """A sentence for the export dialog when the PNG would hold semi-transparent areas ("" if not)."""
    found = semi_transparent_layers(doc)
    if not found:
        return ""
    return ("Semi-transparent parts: " + "; ".join(found) + ". A garment printer may drop them or print "
            "them solid; DTG-safe turns them into a halftone.")


def printed_layers(doc: Document) -> list:
    """The layers that end up in a print: visible, not guides, not fully transparent, not empty."""
    return [layer for layer in doc.layers
            if layer.visible and not layer.is_guide and layer.opacity > 0 and not layer.is_empty()]


def generation_settings(doc: Document) -> list[dict]:
    """Every printed generated layer's recorded settings (engine, model, seed, ...); hidden
    layers and guides are left out, since they are not in the picture."""
    found = []
    for layer in printed_layers(doc):
        gen = layer.metadata.get("generation") if isinstance(layer.metadata, dict) else None
        if gen:
            found.append({"layer": layer.name, **gen})
    return found


def png_bytes(pixels: np.ndarray, dpi: int, text: dict[str, str]) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_itxt(key, value)
    buf = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(buf, "PNG", dpi=(dpi, dpi), icc_profile=_srgb_icc(),
                                         pnginfo=info, compress_level=6)
    return buf.getvalue()


def export_png(doc: Document, path: str | os.PathLike, preset: str = "tshirt", dtg: bool = False,
               trim: bool | None = None, lpi: float = DEFAULT_LPI) -> ExportReport:
    """Render `doc` for `preset` and write the PNG. dtg: halftone the semi-transparency at `lpi`
    lines per inch; trim: cut the transparent margin (any preset; by default with dtg)."""
    if preset not in PRESETS:
        raise ValueError(f"unknown export preset {preset!r}; choose one of {', '.join(PRESETS)}")
    spec = PRESETS[preset]
    width, height = (spec.width, spec.height) if spec.width else (doc.width, doc.height)
    pixels = render_fitted(doc, width, height)
    if dtg:
        pixels = halftone_alpha(pixels, spec.dpi, lpi)
    if dtg if trim is None else trim:
        pixels = trim_to_design(pixels)
    text = {"Software": f"ArtDesk {__version__}", "artdesk:preset": preset}
    if dtg:
        text["artdesk:dtg"] = f"halftone {lpi:g} lpi"
    settings = generation_settings(doc)
    if settings:
        text["artdesk:generation"] = json.dumps(settings)
    data = png_bytes(pixels, spec.dpi, text)
    path = Path(path)
    with atomic_file(path) as fh:
        fh.write(data)
    report = ExportReport(path, pixels.shape[1], pixels.shape[0], len(data))
    if len(data) > SIZE_LIMIT_BYTES:
        report.warnings.append(
            f"The PNG is {len(data) / 1024 / 1024:.1f} MB, above the 25 MB most print shops accept; "
            "try the DTG-safe option or fewer textured layers.")
    if doc.is_empty():
        report.warnings.append("The picture is empty: the PNG is fully transparent.")
    scale = min(width / doc.width, height / doc.height)
    upscaled = [layer.name for layer in doc.layers if isinstance(layer, RasterLayer) and layer.visible
                and not layer.is_guide and layer.resample == "smooth" and layer.pixels.shape[1] * 2 < layer.rect[2] * scale]
    if upscaled:
        report.warnings.append("Raster layers upscaled more than 2x (may look soft): " + ", ".join(upscaled))
    return report
