"""The one decode policy for every image ArtDesk reads from outside.

- The format is told by its first bytes (magic), never by the file's name, and must be on the
  caller's allow-list: project layers are PNG only; imports are PNG, JPEG or WebP.
- Pillow is asked for that format only (`Image.open(..., formats=[...])`), so no other plugin
  (EPS and its Ghostscript, TIFF, BMP, GIF, ...) ever sees the bytes, and no program is started.
- The pixel count comes from the header and is checked against a budget before any decoding.
- Every failure is the caller's error type with a sentence for people.
"""

from __future__ import annotations

import io
import struct
import warnings
from typing import Sequence

import numpy as np
from PIL import Image

from artdesk.errors import ArtDeskError, ImportFailed

PROJECT_FORMATS = ("PNG",)
IMPORT_FORMATS = ("PNG", "JPEG", "WEBP")
MAX_IMAGE_PIXELS = 6000 * 7200  # a bit above the 4500 x 5400 print
MAX_JPEG_SCANS = 100  # a progressive JPEG has about 10; thousands make a decoding-time bomb
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_NAMES = {"PNG": "PNG", "JPEG": "JPEG", "WEBP": "WebP"}


def sniff_format(head: bytes) -> str | None:
    """The format the first bytes announce (PNG, JPEG, WEBP), or None for anything else."""
    if head.startswith(_PNG_MAGIC):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _allowed_words(formats: Sequence[str]) -> str:
    names = [_NAMES.get(f, f) for f in formats]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def check_format(head: bytes, what: str, formats: Sequence[str], error: type[ArtDeskError] = ImportFailed) -> str:
    found = sniff_format(head)
    if found is None or found not in formats:
        kind = f"a {_NAMES[found]} image" if found else "not an image ArtDesk reads"
        raise error(f"{what} is {kind}; ArtDesk accepts {_allowed_words(formats)} here "
                    "(the file's contents decide, not its name).")
    return found


def png_size(head: bytes, what: str, error: type[ArtDeskError] = ImportFailed) -> tuple[int, int]:
    """Width and height from a PNG's IHDR (the first 24 bytes), without decoding anything."""
    check_format(head, what, ("PNG",), error)
    if len(head) < 24 or head[12:16] != b"IHDR":
        raise error(f"{what} is a damaged PNG (no header).")
    return struct.unpack(">II", head[16:24])


def check_pixels(width: int, height: int, what: str, max_pixels: int, error: type[ArtDeskError]) -> None:
    if width <= 0 or height <= 0:
        raise error(f"{what} has an impossible size ({width}x{height}).")
    if width * height > max_pixels:
        raise error(f"{what} is {width}x{height} pixels, more than ArtDesk opens "
                    f"({max_pixels / 1e6:.0f} megapixels).")


def decode_image(raw: bytes, what: str, formats: Sequence[str] = IMPORT_FORMATS,
                 max_pixels: int = MAX_IMAGE_PIXELS, error: type[ArtDeskError] = ImportFailed) -> np.ndarray:
    """Image bytes -> RGBA uint8 (H, W, 4), or `error` with a sentence."""
    fmt = check_format(raw[:16], what, formats, error)
    scans = raw.count(b"\xff\xda") if fmt == "JPEG" else 0  # SOS markers (a 0xFF in the data is stuffed)
    if scans > MAX_JPEG_SCANS:
        raise error(f"{what} is a JPEG of {scans} scans, far more than a real photo has. Refused.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=[fmt]) as im:
                check_pixels(im.width, im.height, what, max_pixels, error)  # header only so far
                im.load()
                rgba = im if im.mode == "RGBA" else im.convert("RGBA")
                return np.array(rgba, dtype=np.uint8)
    except ArtDeskError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise error(f"{what} is too large to open safely.") from exc
    except MemoryError as exc:
        raise error(f"{what} needs more memory than this computer has free.") from exc
    except Exception as exc:  # Pillow raises many types (OSError, SyntaxError, struct.error, ...)
        raise error(f"{what} is not a readable {_NAMES[fmt]} image: it is damaged or truncated "
                    f"({type(exc).__name__}).") from exc


def read_image_file(path, what: str, formats: Sequence[str] = IMPORT_FORMATS, max_pixels: int = MAX_IMAGE_PIXELS,
                    max_bytes: int = 200 * 1024 * 1024, error: type[ArtDeskError] = ImportFailed) -> np.ndarray:
    """A regular file -> RGBA uint8 under the policy (FIFOs, devices and folders are refused)."""
    from artdesk.safe_read import read_regular_file

    raw = read_regular_file(path, max_bytes, what, error)
    return decode_image(raw, what, formats, max_pixels, error)
