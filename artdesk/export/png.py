"""Print-ready PNG export: presets, 300 dpi, sRGB, transparent page, settings in text chunks."""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, PngImagePlugin

from artdesk import PRINT_SIZE, __version__
from artdesk.atomic import atomic_file
from artdesk.document.model import Document, RasterLayer

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
        Preset("tshirt", "T-shirt (Merch) {}x{} @300 dpi".format(*PRINT_SIZE), *PRINT_SIZE, 300),
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
    from artdesk.export.render import render_rgba  # QtGui: loaded only when pixels are rendered

    scale = min(width / doc.width, height / doc.height)
    return render_rgba(doc, width, height, scale, scale,
                       (width - doc.width * scale) / 2, (height - doc.height * scale) / 2)


def dtg_safe(pixels: np.ndarray) -> np.ndarray:
    """Direct-to-garment printers dislike partial transparency: make alpha 0 or 255 and trim."""
    out = pixels.copy()
    solid = out[..., 3] >= 128
    out[..., 3] = np.where(solid, 255, 0).astype(np.uint8)
    out[~solid, :3] = 0
    ys, xs = np.nonzero(solid)
    if len(ys):
        out = out[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]
    return np.ascontiguousarray(out)


def generation_settings(doc: Document) -> list[dict]:
    """Every generated layer's recorded settings (engine, model, seed, ...)."""
    found = []
    for layer in doc.layers:
        gen = layer.metadata.get("generation") if isinstance(layer.metadata, dict) else None
        if gen:
            found.append({"layer": layer.name, **gen})
    return found


def png_bytes(pixels: np.ndarray, dpi: int, text: dict[str, str]) -> bytes:
    """RGBA (or RGB) pixels -> PNG bytes with the dpi, the sRGB ICC profile and `text` as iTXt."""
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_itxt(key, value)
    buf = io.BytesIO()
    Image.fromarray(pixels, "RGBA" if pixels.shape[-1] == 4 else "RGB").save(buf, "PNG", dpi=(dpi, dpi), icc_profile=_srgb_icc(),
                                         pnginfo=info, compress_level=6)
    return buf.getvalue()


def write_png(path: str | os.PathLike, pixels: np.ndarray, dpi: int = 300,
              text: dict[str, str] | None = None, settings: object = None) -> int:
    """The one PNG writer of every command: dpi, sRGB ICC, text chunks, written atomically.
    `settings` (a dict or a list of them: engine, model, seed, ...) goes in as JSON under
    "artdesk:generation", as the app's export writes it. Returns the file's size in bytes."""
    chunks = {"Software": f"ArtDesk {__version__}", **(text or {})}
    if settings is not None:
        chunks["artdesk:generation"] = json.dumps(settings)
    data = png_bytes(pixels, dpi, chunks)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as fh:
        fh.write(data)
    return len(data)


def export_png(doc: Document, path: str | os.PathLike, preset: str = "tshirt", dtg: bool = False) -> ExportReport:
    if preset not in PRESETS:
        raise ValueError(f"unknown export preset {preset!r}; choose one of {', '.join(PRESETS)}")
    spec = PRESETS[preset]
    width, height = (spec.width, spec.height) if spec.width else (doc.width, doc.height)
    pixels = render_fitted(doc, width, height)
    if dtg:
        pixels = dtg_safe(pixels)
    text = {"Software": f"ArtDesk {__version__}", "artdesk:preset": preset}
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
