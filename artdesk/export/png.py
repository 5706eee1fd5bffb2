"""Print-ready PNG export: presets, 300 dpi, sRGB, transparent page, settings in text chunks.

The export is a job (`export_png_job`, a generator): the page is rendered in bands and the PNG is
written by a streaming writer (`write_png_rows`) that yields between row blocks, so a cancel is
honoured within a band or a block, and the temporary file is removed (atomic_file)."""

from __future__ import annotations

import io
import json
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np
from PIL import Image, ImageCms, PngImagePlugin

from artdesk import PRINT_SIZE, __version__
from artdesk.atomic import atomic_file
from artdesk.document.model import Document, RasterLayer, VectorLayer
from artdesk.engines.progress import Progress, run_to_end
from artdesk.export.halftone import DEFAULT_LPI, halftone_alpha

RENDER_BAND_ROWS = 1080  # rows rendered between progress steps (the paint itself polls check_cancel)
WRITE_BLOCK_ROWS = 64  # rows filtered and compressed between cancel checks (~40 ms on one core)

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
    return run_to_end(render_fitted_job(doc, width, height))


def render_fitted_job(doc: Document, width: int, height: int, share: float = 1.0):
    """render_fitted in horizontal bands, yielding Progress (0..share) between them."""
    from artdesk.export.render import render_rgba  # QtGui: loaded only when pixels are rendered

    scale = min(width / doc.width, height / doc.height)
    dx, dy = (width - doc.width * scale) / 2, (height - doc.height * scale) / 2
    pixels = np.empty((height, width, 4), np.uint8)
    for y0 in range(0, height, RENDER_BAND_ROWS):
        y1 = min(height, y0 + RENDER_BAND_ROWS)
        pixels[y0:y1] = render_rgba(doc, width, y1 - y0, scale, scale, dx, dy - y0)
        yield Progress(share * y1 / height, "Rendering")
    return pixels


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
    """RGBA (or RGB) pixels -> PNG bytes with the dpi, the sRGB ICC profile and `text` as iTXt."""
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_itxt(key, value)
    buf = io.BytesIO()
    Image.fromarray(pixels, "RGBA" if pixels.shape[-1] == 4 else "RGB").save(buf, "PNG", dpi=(dpi, dpi), icc_profile=_srgb_icc(),
                                         pnginfo=info, compress_level=6)
    return buf.getvalue()


# -- a streaming PNG writer ---------------------------------------------------------------------
def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _paeth(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    ai, bi, ci = a.astype(np.int16), b.astype(np.int16), c.astype(np.int16)
    pa, pb, pc = np.abs(bi - ci), np.abs(ai - ci), np.abs(ai + bi - 2 * ci)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def _apply(code: int, x: np.ndarray, left: np.ndarray, up: np.ndarray, upleft: np.ndarray) -> np.ndarray:
    if code == 1:
        return x - left
    if code == 2:
        return x - up
    if code == 4:
        return x - _paeth(left, up, upleft)
    return x


def _neighbours(x: np.ndarray, up: np.ndarray, step: int = 4) -> tuple[np.ndarray, np.ndarray]:
    left = np.zeros_like(x)
    left[:, step:] = x[:, :-step]
    upleft = np.zeros_like(up)
    upleft[:, step:] = up[:, :-step]
    return left, upleft


def _filtered(block: np.ndarray, above: np.ndarray) -> np.ndarray:
    """PNG filters per row for a block of RGBA rows -> (rows, 1 + 4 * width) bytes.

    Each row gets None, Sub, Up or Paeth, whichever gives the smallest sum of |signed bytes| (the
    heuristic of libpng), judged on every 8th pixel; rows that are blank, like the row above,
    are written unfiltered without any arithmetic. uint8 arithmetic wraps modulo 256, exactly
    as PNG filters are defined."""
    x = block.reshape(len(block), -1)
    up = np.empty_like(x)
    up[0] = above.reshape(-1)
    up[1:] = x[:-1]
    out = np.zeros((len(x), x.shape[1] + 1), np.uint8)
    busy = np.flatnonzero(x.any(axis=1) | up.any(axis=1))
    if not len(busy):
        return out
    xb, ub = x[busy], up[busy]
    cols = np.arange(x.shape[1]).reshape(-1, 4)[::8].ravel()  # every 8th pixel, all 4 channels
    xs, us = xb[:, cols], ub[:, cols]
    ls = np.zeros_like(xs)
    ls[:, 4:] = xb[:, cols[4:] - 4]
    uls = np.zeros_like(us)
    uls[:, 4:] = ub[:, cols[4:] - 4]
    codes = (0, 1, 2, 4)
    costs = np.stack([np.abs(_apply(k, xs, ls, us, uls).view(np.int8)).view(np.uint8).sum(axis=1, dtype=np.uint32)
                      for k in codes])
    choice = costs.argmin(axis=0)
    for i, code in enumerate(codes):
        rows = busy[choice == i]
        if not len(rows):
            continue
        xr, ur = x[rows], up[rows]
        left, upleft = _neighbours(xr, ur)
        out[rows, 0] = code
        out[rows, 1:] = _apply(code, xr, left, ur, upleft)
    return out


def write_png_rows(fh: BinaryIO, pixels: np.ndarray, dpi: int, text: dict[str, str], icc: bytes | None = None,
                   level: int = 6, share: float = 1.0, start: float = 0.0) -> Iterator[Progress]:
    """Write RGBA `pixels` as a PNG (pHYs dpi, iCCP sRGB, iTXt text) to `fh`, yielding Progress
    between blocks of WRITE_BLOCK_ROWS rows; a closed generator stops writing at once."""
    height, width = pixels.shape[:2]
    fh.write(b"\x89PNG\r\n\x1a\n")
    fh.write(_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)))
    if icc:
        fh.write(_chunk(b"iCCP", b"ICC Profile\0\0" + zlib.compress(icc)))
    ppm = int(round(dpi / 0.0254))
    fh.write(_chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)))
    for key, value in text.items():
        fh.write(_chunk(b"iTXt", key.encode("latin-1", "replace")[:79] + b"\0\0\0\0\0" + value.encode("utf-8")))
    packer = zlib.compressobj(level)
    above = np.zeros((width, 4), np.uint8)
    for y0 in range(0, height, WRITE_BLOCK_ROWS):
        block = pixels[y0: y0 + WRITE_BLOCK_ROWS]
        data = packer.compress(_filtered(block, above).tobytes())
        if data:
            fh.write(_chunk(b"IDAT", data))
        above = block[-1]
        yield Progress(start + share * min(height, y0 + WRITE_BLOCK_ROWS) / height, "Writing the PNG")
    fh.write(_chunk(b"IDAT", packer.flush()))
    fh.write(_chunk(b"IEND", b""))


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


def export_png(doc: Document, path: str | os.PathLike, preset: str = "tshirt", dtg: bool = False,
               trim: bool | None = None, lpi: float = DEFAULT_LPI) -> ExportReport:
    """Export at once (CLI, tests): the job below, driven to its end."""
    return run_to_end(export_png_job(doc, path, preset, dtg, trim, lpi))


def export_png_job(doc: Document, path: str | os.PathLike, preset: str = "tshirt", dtg: bool = False,
                   trim: bool | None = None, lpi: float = DEFAULT_LPI):
    """The PNG export as a job: renders in bands, writes in row blocks, yields Progress between
    them; cancelled (closed), it leaves no file behind and the previous file at `path` untouched.
    dtg: halftone the semi-transparency at `lpi` lines per inch; trim: cut the transparent margin
    (any preset; by default with dtg)."""
    if preset not in PRESETS:
        raise ValueError(f"unknown export preset {preset!r}; choose one of {', '.join(PRESETS)}")
    spec = PRESETS[preset]
    width, height = (spec.width, spec.height) if spec.width else (doc.width, doc.height)
    pixels = yield from render_fitted_job(doc, width, height, share=0.5)
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
    path = Path(path)
    with atomic_file(path) as fh:
        yield from write_png_rows(fh, pixels, spec.dpi, text, _srgb_icc(), share=0.5, start=0.5)
        size = fh.tell()
    report = ExportReport(path, pixels.shape[1], pixels.shape[0], size)
    if size > SIZE_LIMIT_BYTES:
        report.warnings.append(
            f"The PNG is {size / 1024 / 1024:.1f} MB, above the 25 MB most print shops accept; "
            "try the DTG-safe option or fewer textured layers.")
    if doc.is_empty():
        report.warnings.append("The picture is empty: the PNG is fully transparent.")
    scale = min(width / doc.width, height / doc.height)
    upscaled = [layer.name for layer in doc.layers if isinstance(layer, RasterLayer) and layer.visible
                and not layer.is_guide and layer.resample == "smooth" and layer.pixels.shape[1] * 2 < layer.rect[2] * scale]
    if upscaled:
        report.warnings.append("Raster layers upscaled more than 2x (may look soft): " + ", ".join(upscaled))
    return report
