"""Bauhaus: Markov-chain pixel paintings learned from a few pictures.

After William Anderson's experiment: quantise training pictures to a small palette (k-means),
count which colour follows which context of n previous pixels, and paint new pictures pixel by
pixel from those counts.

A context of order m is the first m neighbours of a pixel from a fixed list:
- "scanline": the m pixels to the left, nearest first (rows are independent chains);
- "2d": left, above, above-left, left-left, above-above, (x-2, y-1), (x-1, y-2), (x-3, y).
Every neighbour lies up and/or left, so a 2D picture can be painted one anti-diagonal at a time
and a scan-line picture one column at a time, all rows in parallel. Outside the picture a
neighbour reads as the extra "border" symbol k, so edges are learned like any other context.

The chain keeps the counts of every order 0..n. Painting uses the highest order whose context was
seen in training and backs off to lower ones otherwise; order 0 (palette frequencies) always
exists, so painting never fails.

Randomness: one uniform number per output pixel, drawn up front from the seed. The vectorised
painter and the plain per-pixel Python loop consume it identically and give the same picture.
"""

from __future__ import annotations

import json
import time
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Literal, Sequence

import numpy as np

from artdesk.engines.progress import Job, Progress, run_to_end, sub_job
from artdesk.errors import ModelError
from artdesk.safe_read import read_npz

MAX_ORDER = 8
MIN_PALETTE, MAX_PALETTE = 2, 32
CONTEXTS = ("scanline", "2d")
FORMAT_NAME = "artdesk-bauhaus-chain"
FORMAT_VERSION = 1

# Neighbour offsets (dy, dx), nearest first; order m uses the first m.
NEIGHBOURS = {
    "scanline": [(0, -1 - i) for i in range(MAX_ORDER)],
    "2d": [(0, -1), (-1, 0), (-1, -1), (0, -2), (-2, 0), (-1, -2), (-2, -1), (0, -3)],
}
PAD_TOP, PAD_LEFT = 2, MAX_ORDER  # padding of the canvas that holds every neighbour
DENSE_INDEX_LIMIT = 1 << 21  # contexts spaces up to this size get a direct lookup array
PADDED_ROWS_LIMIT = 1 << 22  # entries of the row-wise sampling matrix, else binary search
YIELD_EVERY_S = 0.05
PREVIEW_EVERY_S = 0.25
PREVIEW_MAX_SIDE = 1024


def normalise_context(context: str) -> str:
    name = {"scan": "scanline", "scan-line": "scanline", "scanline": "scanline", "2d": "2d",
            "2D": "2d"}.get(context)
    if name is None:
        raise ValueError(f"Unknown Bauhaus context {context!r}: use 'scanline' (or 'scan') or '2d'.")
    return name


class _Table:
    """Counts of one order: sorted context ids, each with a short sparse list (symbol, count)."""

    def __init__(self, ctx: np.ndarray, lengths: np.ndarray, sym: np.ndarray, cnt: np.ndarray,
                 space: int):
        self.ctx = np.ascontiguousarray(ctx, dtype=np.int64)
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.sym = np.asarray(sym, dtype=np.uint8)
        self.cnt = np.asarray(cnt, dtype=np.int64)
        self.space = space
        start = np.zeros(len(self.ctx), dtype=np.int64)
        np.cumsum(self.lengths[:-1], out=start[1:])
        self.start = start
        self.cum = np.cumsum(self.cnt)
        self.row_total = np.add.reduceat(self.cnt, start) if len(start) else np.zeros(0, np.int64)
        self.row_base = self.cum[start] - self.cnt[start] if len(start) else np.zeros(0, np.int64)
        self._dense: np.ndarray | None = None
        self._entry_key: np.ndarray | None = None
        self._padded: tuple[np.ndarray, np.ndarray] | Literal[False] | None = None  # False: too big to pad

    def __len__(self) -> int:
        return len(self.ctx)

    def lookup(self, ids: np.ndarray) -> np.ndarray:
        """Row of each context id, -1 where that context was never seen."""
        if self.space <= DENSE_INDEX_LIMIT:
            if self._dense is None:
                dense = np.full(self.space, -1, dtype=np.int32)
                dense[self.ctx] = np.arange(len(self.ctx), dtype=np.int32)
                self._dense = dense
            return self._dense[ids]
        if not len(self.ctx):
            return np.full(len(ids), -1, dtype=np.int64)
        pos = np.searchsorted(self.ctx, ids)
        np.minimum(pos, len(self.ctx) - 1, out=pos)
        return np.where(self.ctx[pos] == ids, pos, -1)

    def sample(self, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
        """One colour per row: the first entry whose running count passes floor(u * total)."""
        total = self.row_total[rows]
        offset = np.minimum((u.astype(np.float64) * total).astype(np.int64), total - 1)
        if self._padded is None:
            self._padded = self._padded_rows()
        if self._padded is not False:
            row_cum, row_sym = self._padded
            within = (row_cum[rows] <= offset[:, None]).sum(1)
            return row_sym[rows, within]
        return self.sym[np.searchsorted(self.cum, self.row_base[rows] + offset, side="right")]

    def _padded_rows(self) -> tuple[np.ndarray, np.ndarray] | Literal[False]:
        """Row-local running counts as a (rows, longest row) matrix, when that stays small."""
        width = int(self.lengths.max()) if len(self.lengths) else 0
        if not width or len(self.ctx) * width > PADDED_ROWS_LIMIT:
            return False
        row_of = np.repeat(np.arange(len(self.ctx)), self.lengths)
        col_of = np.arange(len(self.sym)) - self.start[row_of]
        row_cum = np.full((len(self.ctx), width), np.iinfo(np.int64).max, dtype=np.int64)
        row_cum[row_of, col_of] = self.cum - self.row_base[row_of]
        row_sym = np.zeros((len(self.ctx), width), dtype=np.uint8)
        row_sym[row_of, col_of] = self.sym
        return row_cum, row_sym

    def entry_count(self, rows: np.ndarray, syms: np.ndarray) -> np.ndarray:
        """Count of symbol `syms` in context row `rows` (0 where absent)."""
        if self._entry_key is None:
            entry_row = np.repeat(np.arange(len(self.ctx), dtype=np.int64), self.lengths)
            self._entry_key = entry_row * 256 + self.sym
        entry_key = self._entry_key
        want = rows.astype(np.int64) * 256 + syms
        pos = np.searchsorted(entry_key, want)
        np.minimum(pos, max(len(entry_key) - 1, 0), out=pos)
        return np.where(entry_key[pos] == want, self.cnt[pos], 0)


@dataclass
class MarkovChain:
    """A learned Bauhaus chain: palette, order, context kind and the counts of orders 0..order."""

    palette: np.ndarray  # (k, 3) uint8
    order: int
    context: str
    tables: list = field(repr=False)  # list[_Table], index = order
    info: dict = field(default_factory=dict)

    @property
    def palette_size(self) -> int:
        return len(self.palette)

    @property
    def base(self) -> int:
        """Number of symbols a neighbour can take: the palette plus the border."""
        return len(self.palette) + 1

    @property
    def offsets(self) -> list[tuple[int, int]]:
        return NEIGHBOURS[self.context][: self.order]

    def context_counts(self) -> list[int]:
        return [len(t) for t in self.tables]

    def quantise(self, image) -> np.ndarray:
        """Palette index of every pixel of an RGB image (array, PIL image or path)."""
        return quantise(as_rgb(image), self.palette)


# ----------------------------------------------------------------------------- images, palette


def as_rgb(image, size: int | None = None) -> np.ndarray:
    """An (H, W, 3) uint8 array from a path, PIL image or array; transparency goes on white.

    With `size`, the picture is scaled so that its longer side is `size` pixels.
    """
    from PIL import Image

    if isinstance(image, (str, Path)):
        from artdesk.image_policy import read_image_file

        pil = Image.fromarray(read_image_file(image, f"The picture '{Path(image).name}'"))
    elif isinstance(image, np.ndarray):
        arr = image
        if arr.dtype != np.uint8:
            raise ValueError("Bauhaus images must be uint8 arrays (H, W[, 3|4]).")
        if arr.ndim == 2:
            arr = np.repeat(arr[:, :, None], 3, axis=2)
        if arr.ndim != 3 or arr.shape[2] not in (3, 4):
            raise ValueError(f"Bauhaus images must be (H, W, 3|4) arrays, got shape {arr.shape}.")
        pil = Image.fromarray(np.ascontiguousarray(arr))
    else:
        pil = image
    if pil.mode in ("RGBA", "LA", "P", "PA"):
        pil = pil.convert("RGBA")
        white = Image.new("RGBA", pil.size, (255, 255, 255, 255))
        pil = Image.alpha_composite(white, pil)
    pil = pil.convert("RGB")
    if size is not None and max(pil.size) != size:
        scale = size / max(pil.size)
        new = (max(1, round(pil.width * scale)), max(1, round(pil.height * scale)))
        pil = pil.resize(new, Image.Resampling.BOX if scale < 1 else Image.Resampling.NEAREST)
    return np.asarray(pil, dtype=np.uint8)


def _sq_distances(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return ((x * x).sum(1)[:, None] - 2.0 * x @ centres.T + (centres * centres).sum(1)[None, :])


def kmeans_palette(pixels: np.ndarray, k: int, seed: int = 0, iterations: int = 25,
                   sample: int = 100_000) -> np.ndarray:
    """A palette of at most k colours (uint8 (k', 3), sorted dark to light) by seeded k-means++.

    Fewer than k colours come back when the pixels hold fewer distinct colours.
    """
    return run_to_end(kmeans_palette_job(pixels, k, seed, iterations, sample))


def kmeans_palette_job(pixels: np.ndarray, k: int, seed: int = 0, iterations: int = 25,
                       sample: int = 100_000) -> Job:
    """Job form of kmeans_palette (yields Progress per iteration, returns the palette)."""
    if not MIN_PALETTE <= k <= MAX_PALETTE:
        raise ValueError(f"Palette size must be {MIN_PALETTE}..{MAX_PALETTE} colours, got {k}.")
    rng = np.random.default_rng(seed)
    pixels = np.asarray(pixels, dtype=np.uint8).reshape(-1, 3)
    if len(pixels) > sample:
        pixels = pixels[rng.choice(len(pixels), sample, replace=False)]
    distinct = np.unique(pixels, axis=0)
    if len(distinct) <= k:
        return _sorted_palette(distinct)
    x = pixels.astype(np.float64)
    centres = np.empty((k, 3))
    centres[0] = x[rng.integers(len(x))]
    closest = ((x - centres[0]) ** 2).sum(1)
    for j in range(1, k):  # k-means++ seeding
        weights = closest / closest.sum()
        centres[j] = x[rng.choice(len(x), p=weights)]
        np.minimum(closest, ((x - centres[j]) ** 2).sum(1), out=closest)
    for it in range(iterations):
        label = _sq_distances(x, centres).argmin(1)
        sums = np.zeros((k, 3))
        np.add.at(sums, label, x)
        counts = np.bincount(label, minlength=k)
        empty = counts == 0
        new = centres.copy()
        new[~empty] = sums[~empty] / counts[~empty, None]
        if empty.any():  # restart empty clusters on the worst-fitted pixels
            worst = np.argsort(_sq_distances(x, new).min(1))[::-1][: int(empty.sum())]
            new[empty] = x[worst]
        shift = np.abs(new - centres).max()
        centres = new
        yield Progress((it + 1) / iterations, f"Finding the palette ({it + 1}/{iterations})")
        if shift < 0.05:
            break
    palette = np.unique(np.clip(np.rint(centres), 0, 255).astype(np.uint8), axis=0)
    return _sorted_palette(palette)


def _sorted_palette(palette: np.ndarray) -> np.ndarray:
    luma = palette.astype(np.int64) @ np.array([299, 587, 114])
    order = np.lexsort((palette[:, 2], palette[:, 1], palette[:, 0], luma))
    return np.ascontiguousarray(palette[order], dtype=np.uint8)


def quantise(image: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Index (uint8, H x W) of the nearest palette colour of every pixel of an RGB array."""
    rgb = np.asarray(image, dtype=np.uint8)
    flat = rgb.reshape(-1, 3).astype(np.float32)
    centres = palette.astype(np.float32)
    out = np.empty(len(flat), dtype=np.uint8)
    step = 65536
    for i in range(0, len(flat), step):
        out[i:i + step] = _sq_distances(flat[i:i + step], centres).argmin(1)
    return out.reshape(rgb.shape[:2])


# ----------------------------------------------------------------------------- learning


def _padded(indices: np.ndarray, border: int) -> np.ndarray:
    h, w = indices.shape
    canvas = np.full((h + PAD_TOP, w + PAD_LEFT), border, dtype=np.uint8)
    canvas[PAD_TOP:, PAD_LEFT:] = indices
    return canvas


def context_ids(indices: np.ndarray, order: int, context: str, base: int) -> list[np.ndarray]:
    """Context id (int64, flattened) of every pixel for orders 0..order."""
    h, w = indices.shape
    canvas = _padded(indices, base - 1)
    ctx = np.zeros(h * w, dtype=np.int64)
    ids = [ctx]
    power = 1
    for dy, dx in NEIGHBOURS[context][:order]:
        y0, x0 = PAD_TOP + dy, PAD_LEFT + dx
        ctx = ctx + canvas[y0:y0 + h, x0:x0 + w].reshape(-1).astype(np.int64) * power
        ids.append(ctx)
        power *= base
    return ids


class _Counter:
    """Accumulates (context, symbol) counts of one order, dense when small, sparse when not."""

    def __init__(self, space: int, k: int):
        self.space, self.k = space, k
        self.dense = np.zeros(space * k, dtype=np.int64) if space * k <= DENSE_INDEX_LIMIT else None
        self.pending: list[np.ndarray] = []
        self.pending_size = 0
        self.parts: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, keys: np.ndarray) -> None:
        if self.dense is not None:
            self.dense += np.bincount(keys, minlength=len(self.dense))
            return
        self.pending.append(keys)
        self.pending_size += len(keys)
        if self.pending_size > 2_000_000:
            self.compress()

    def compress(self) -> None:
        if self.pending:
            keys, counts = np.unique(np.concatenate(self.pending), return_counts=True)
            self.parts.append((keys, counts.astype(np.int64)))
            self.pending, self.pending_size = [], 0

    def finish(self, min_count: int = 1) -> _Table:
        if self.dense is not None:
            keys = np.flatnonzero(self.dense)
            counts = self.dense[keys]
        else:
            self.compress()
            if not self.parts:
                keys, counts = np.zeros(0, np.int64), np.zeros(0, np.int64)
            elif len(self.parts) == 1:
                keys, counts = self.parts[0]
            else:
                all_keys = np.concatenate([p[0] for p in self.parts])
                all_counts = np.concatenate([p[1] for p in self.parts])
                keys, inverse = np.unique(all_keys, return_inverse=True)
                counts = np.bincount(inverse, weights=all_counts).astype(np.int64)
        ctx, sym = np.divmod(keys, self.k)
        if min_count > 1 and len(ctx):
            starts = np.flatnonzero(np.r_[True, ctx[1:] != ctx[:-1]])
            totals = np.add.reduceat(counts, starts)
            keep_row = totals >= min_count
            lengths = np.diff(np.r_[starts, len(ctx)])
            keep = np.repeat(keep_row, lengths)
            ctx, sym, counts = ctx[keep], sym[keep], counts[keep]
        uctx, lengths = np.unique(ctx, return_counts=True)
        return _Table(uctx, lengths, sym.astype(np.uint8), counts, self.space)


def learn_chain(images: Sequence, order: int = 3, palette_size: int = 12,
                context: str = "scanline", seed: int = 0, size: int | None = 256,
                palette: np.ndarray | None = None, min_count: int = 1) -> Job:
    """Job: learn a chain from pictures (paths, PIL images or uint8 arrays); returns MarkovChain.

    Pictures are scaled so their longer side is `size` pixels (None keeps them as they are).
    `palette` skips k-means and uses the given colours. `min_count` drops contexts of order >= 2
    seen fewer times than that (smaller files; painting backs off for them).
    """
    context = normalise_context(context)
    if not 0 <= order <= MAX_ORDER:
        raise ValueError(f"Order must be 0..{MAX_ORDER}, got {order}.")
    images = list(images)
    if not images:
        raise ValueError("Pick at least one picture to learn from.")
    started = time.perf_counter()
    rgbs = []
    for i, image in enumerate(images):
        rgbs.append(as_rgb(image, size))
        yield Progress(0.2 * (i + 1) / len(images), f"Reading pictures ({i + 1}/{len(images)})")

    if palette is None:
        rng = np.random.default_rng(seed)
        per_image = max(1, 100_000 // len(rgbs))
        samples = []
        for rgb in rgbs:
            flat = rgb.reshape(-1, 3)
            samples.append(flat[rng.choice(len(flat), min(per_image, len(flat)), replace=False)])
        palette = yield from sub_job(kmeans_palette_job(np.concatenate(samples), palette_size, seed), 0.2, 0.2)
    palette = np.asarray(palette, dtype=np.uint8).reshape(-1, 3)
    k = len(palette)
    base = k + 1
    counters = [_Counter(base ** m, k) for m in range(order + 1)]
    last = time.perf_counter()
    for i, rgb in enumerate(rgbs):
        indices = quantise(rgb, palette)
        sym = indices.reshape(-1).astype(np.int64)
        for m, ctx in enumerate(context_ids(indices, order, context, base)):
            counters[m].add(ctx * k + sym)
        if time.perf_counter() - last > YIELD_EVERY_S or i == len(rgbs) - 1:
            last = time.perf_counter()
            yield Progress(0.4 + 0.5 * (i + 1) / len(rgbs), f"Counting colours ({i + 1}/{len(rgbs)})")
    tables = []
    for m, counter in enumerate(counters):
        tables.append(counter.finish(min_count if m >= 2 else 1))
        yield Progress(0.9 + 0.1 * (m + 1) / len(counters), f"Building order {m}")
    info = {"images": len(rgbs), "size": size, "seed": seed, "palette_size": palette_size,
            "min_count": min_count, "pixels": int(sum(r.shape[0] * r.shape[1] for r in rgbs)),
            "learn_seconds": round(time.perf_counter() - started, 3)}
    return MarkovChain(palette, order, context, tables, info)


# ----------------------------------------------------------------------------- painting


def _grid_size(width: int, height: int, block: int) -> tuple[int, int]:
    if width < 1 or height < 1:
        raise ValueError(f"Picture size must be at least 1x1, got {width}x{height}.")
    if block < 1:
        raise ValueError(f"Block size must be at least 1, got {block}.")
    return -(-width // block), -(-height // block)


def _uniforms(seed: int, w: int, h: int) -> np.ndarray:
    """The picture's random stream: one uniform per grid pixel (float32 to halve the memory)."""
    return np.random.default_rng(seed).random((h, w), dtype=np.float32)


def _lut(chain: MarkovChain) -> np.ndarray:
    """Symbol -> RGBA; the border symbol (unpainted) is transparent."""
    lut = np.zeros((256, 4), dtype=np.uint8)
    lut[: chain.palette_size, :3] = chain.palette
    lut[: chain.palette_size, 3] = 255
    return lut


def _render(lut: np.ndarray, canvas: np.ndarray, width: int, height: int, block: int,
            ys: np.ndarray, step: int = 1) -> np.ndarray:
    """Output rows `ys` (every `step`-th column) as RGBA, blocks enlarged by nearest neighbour."""
    grid = canvas[PAD_TOP:, PAD_LEFT:]
    xs = np.arange(0, width, step) // block
    return lut[grid[(ys // block)[:, None], xs[None, :]]]


def _preview(lut, canvas, width, height, block) -> np.ndarray:
    """The partial picture, subsampled to at most PREVIEW_MAX_SIDE on its longer side."""
    step = -(-max(width, height) // PREVIEW_MAX_SIDE)
    return _render(lut, canvas, width, height, block, np.arange(0, height, step), step)


def _final_image(lut, canvas, width, height, block) -> Job:
    image = np.empty((height, width, 4), dtype=np.uint8)
    band = max(1, (1 << 20) // width)
    for y0 in range(0, height, band):
        y1 = min(height, y0 + band)
        image[y0:y1] = _render(lut, canvas, width, height, block, np.arange(y0, y1))
        if y1 < height:
            yield Progress(1.0, "Colouring")
    return image


def _uniforms_job(seed: int, w: int, h: int) -> Job:
    """Same stream as _uniforms, drawn in bands so that big pictures keep yielding."""
    rng = np.random.default_rng(seed)
    u = np.empty((h, w), dtype=np.float32)
    band = max(1, (1 << 22) // w)
    for y0 in range(0, h, band):
        u[y0:y0 + band] = rng.random((min(h, y0 + band) - y0, w), dtype=np.float32)
        yield Progress(0.0, "Preparing")
    return u


def _wavefronts(context: str, w: int, h: int):
    """Groups of pixels (ys, xs) whose neighbours are all painted by earlier groups."""
    if context == "scanline":
        ys = np.arange(h)
        for x in range(w):
            yield ys, np.full(h, x)
    else:
        for d in range(w + h - 1):
            ys = np.arange(max(0, d - w + 1), min(h - 1, d) + 1)
            yield ys, d - ys


def paint(chain: MarkovChain, width: int, height: int, seed: int = 0, block: int = 1) -> Job:
    """Job: paint a width x height picture from the chain; returns opaque RGBA uint8 (H, W, 4).

    With block k the chain paints a (W/k, H/k) grid, enlarged by nearest neighbour. Progress
    carries a partial RGBA preview (unpainted pixels transparent) a few times a second: the
    picture itself up to PREVIEW_MAX_SIDE pixels, above that every n-th pixel of it (longer
    side <= PREVIEW_MAX_SIDE). The last Progress carries the finished picture.
    """
    w, h = _grid_size(width, height, block)
    u = yield from _uniforms_job(seed, w, h)
    base, border = chain.base, chain.base - 1
    canvas = _padded(np.full((h, w), border, dtype=np.uint8), border)
    lut = _lut(chain)
    flat_canvas = canvas.reshape(-1)
    stride = canvas.shape[1]
    offsets = [dy * stride + dx for dy, dx in chain.offsets]
    powers = [base ** i for i in range(chain.order)]
    steps = w if chain.context == "scanline" else w + h - 1
    unit = "column" if chain.context == "scanline" else "diagonal"
    last_yield = last_preview = time.perf_counter()
    for step, (ys, xs) in enumerate(_wavefronts(chain.context, w, h)):
        pos = (ys + PAD_TOP) * stride + (xs + PAD_LEFT)
        ids = [np.zeros(len(pos), dtype=np.int64)]
        for off, power in zip(offsets, powers):
            ids.append(ids[-1] + flat_canvas[pos + off].astype(np.int64) * power)
        uu = u[ys, xs]
        pending = np.arange(len(pos))
        for m in range(chain.order, -1, -1):
            table = chain.tables[m]
            rows = table.lookup(ids[m][pending])
            found = rows >= 0
            hit = pending[found]
            if len(hit):
                flat_canvas[pos[hit]] = table.sample(rows[found], uu[hit])
            pending = pending[~found]
            if not len(pending):
                break
        now = time.perf_counter()
        if now - last_yield > YIELD_EVERY_S:
            preview = None
            if now - last_preview > PREVIEW_EVERY_S:
                preview = _preview(lut, canvas, width, height, block)
                last_preview = now
            last_yield = time.perf_counter()
            yield Progress((step + 1) / steps, f"Painting {unit} {step + 1}/{steps}", preview)
    image = yield from _final_image(lut, canvas, width, height, block)
    yield Progress(1.0, "Painted", image)
    return image


def paint_python_loop(chain: MarkovChain, width: int, height: int, seed: int = 0,
                      block: int = 1, rows: int | None = None) -> np.ndarray:
    """The same painting as `paint`, one pixel at a time in plain Python (the bench baseline).

    `rows` paints only the first rows of the grid (to time big sizes); the rest stays transparent.
    """
    w, h = _grid_size(width, height, block)
    u = _uniforms(seed, w, h)
    base, border = chain.base, chain.base - 1
    canvas = _padded(np.full((h, w), border, dtype=np.uint8), border)
    stride = canvas.shape[1]
    cells = canvas.reshape(-1).tolist()
    offsets = [dy * stride + dx for dy, dx in chain.offsets]
    powers = [base ** i for i in range(chain.order)]
    index = [dict(zip(t.ctx.tolist(), zip(t.row_base.tolist(), t.row_total.tolist())))
             for t in chain.tables]
    cums = [t.cum.tolist() for t in chain.tables]
    syms = [t.sym.tolist() for t in chain.tables]
    top = chain.order
    for y in range(h if rows is None else min(rows, h)):
        u_row = u[y].tolist()
        for x in range(w):
            p = (y + PAD_TOP) * stride + x + PAD_LEFT
            ctx = 0
            ids = [0]
            for off, power in zip(offsets, powers):
                ctx += cells[p + off] * power
                ids.append(ctx)
            for m in range(top, -1, -1):
                entry = index[m].get(ids[m])
                if entry is not None:
                    row_base, total = entry
                    target = row_base + min(int(u_row[x] * total), total - 1)
                    cells[p] = syms[m][bisect_right(cums[m], target)]
                    break
    canvas = np.array(cells, dtype=np.uint8).reshape(canvas.shape)
    return run_to_end(_final_image(_lut(chain), canvas, width, height, block))


# ----------------------------------------------------------------------------- evaluation


def log_loss_bits(chain: MarkovChain, images: Iterable, size: int | None = None) -> dict:
    """Held-out cost of pictures under the chain, in bits per pixel.

    Probabilities interpolate the orders Witten-Bell style, p_m = (c + T p_{m-1}) / (N + T)
    (N: count of the context, T: colours seen after it), from a uniform p_{-1}, so an unseen
    colour costs bits instead of infinity. Returns bits per pixel for the full chain, for order 0
    alone, and the share of pixels whose full-order context was seen in training.
    """
    k = chain.palette_size
    total_bits = total_bits0 = 0.0
    pixels = seen_top = 0
    for image in images:
        indices = chain.quantise(as_rgb(image, size))
        sym = indices.reshape(-1).astype(np.int64)
        p = np.full(len(sym), 1.0 / k)
        seen = np.zeros(len(sym), dtype=bool)
        for m, ids in enumerate(context_ids(indices, chain.order, chain.context, chain.base)):
            table = chain.tables[m]
            rows = table.lookup(ids)
            seen = rows >= 0
            r = np.where(seen, rows, 0)
            n = table.row_total[r].astype(np.float64)
            t = table.lengths[r].astype(np.float64)
            c = table.entry_count(r, sym).astype(np.float64)
            p = np.where(seen, (c + t * p) / np.maximum(n + t, 1.0), p)
            if m == 0:
                total_bits0 += float(-np.log2(p).sum())
        total_bits += float(-np.log2(p).sum())
        pixels += len(sym)
        seen_top += int(seen.sum())
    if not pixels:
        raise ValueError("No held-out pixels to score.")
    return {"bits_per_pixel": total_bits / pixels, "order0_bits_per_pixel": total_bits0 / pixels,
            "top_order_seen": seen_top / pixels, "pixels": pixels}


# ----------------------------------------------------------------------------- files


def _smallest_uint(values: np.ndarray) -> np.ndarray:
    top = int(values.max()) if len(values) else 0
    for dtype in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dtype).max:
            return values.astype(dtype)
    return values.astype(np.uint64)


def save_chain(chain: MarkovChain, path) -> Path:
    """Write the chain as a compressed .npz (context ids delta-coded, counts in the smallest ints)."""
    path = Path(path)
    meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "order": chain.order,
            "context": chain.context, "info": chain.info}
    arrays = {"meta": np.array(json.dumps(meta)), "palette": chain.palette.astype(np.uint8)}
    for m, table in enumerate(chain.tables):
        arrays[f"o{m}_ctx_delta"] = np.diff(table.ctx, prepend=0).astype(np.int64)
        arrays[f"o{m}_len"] = table.lengths.astype(np.uint8)
        arrays[f"o{m}_sym"] = table.sym.astype(np.uint8)
        arrays[f"o{m}_cnt"] = _smallest_uint(table.cnt)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        # numpy's stub matches **arrays against its allow_pickle: bool keyword too; the keys are array names
        np.savez_compressed(f, **arrays)  # type: ignore[arg-type]
    return path


MAX_CHAIN_BYTES = 256 * 1024 * 1024  # decompressed, all arrays (the largest built-in chain is 6 MB)


def _damaged(path, why: str) -> ModelError:
    return ModelError(f"The Bauhaus chain file {path} is damaged or not a chain ({why}). "
                      "Learn the chain again or re-install the built-in models.")


def load_chain(path) -> MarkovChain:
    """Read and validate a chain written by save_chain; a bad file raises ModelError (a ValueError).

    The npz is read by artdesk.safe_read.read_npz: numeric arrays only (no pickles), every member
    and the whole bounded in decompressed bytes, damaged or exotic zip entries refused."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"No Bauhaus chain file at {path}.")
    try:
        arrays = read_npz(path, f"The Bauhaus chain file {path}", ModelError, MAX_CHAIN_BYTES, MAX_CHAIN_BYTES,
                          max_entries=4 * (MAX_ORDER + 1) + 8)
        return _chain_from_arrays(path, arrays)
    except ModelError:
        raise
    except (ValueError, TypeError, OverflowError, MemoryError, IndexError) as exc:
        raise _damaged(path, type(exc).__name__) from exc


def _chain_from_arrays(path, arrays: dict) -> MarkovChain:
    meta_text = arrays.get("meta")
    if meta_text is None or meta_text.dtype.kind != "U" or meta_text.ndim != 0:
        raise _damaged(path, "no readable header")
    try:
        meta = json.loads(str(meta_text))
    except (ValueError, RecursionError) as exc:
        raise _damaged(path, "no readable header") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise _damaged(path, "wrong format name")
    if meta.get("version") != FORMAT_VERSION:
        raise ModelError(f"The Bauhaus chain file {path} has format version {meta.get('version')}; "
                         f"this ArtDesk reads version {FORMAT_VERSION}.")
    order, context = meta.get("order"), meta.get("context")
    if not isinstance(order, int) or not 0 <= order <= MAX_ORDER:
        raise _damaged(path, f"bad order {order!r}")
    if context not in CONTEXTS:
        raise _damaged(path, f"bad context {context!r}")
    palette = arrays.get("palette")
    if (palette is None or palette.dtype != np.uint8 or palette.ndim != 2 or palette.shape[1] != 3
            or not MIN_PALETTE <= len(palette) <= MAX_PALETTE):
        raise _damaged(path, "bad palette")
    k = len(palette)
    base = k + 1
    tables = []
    for m in range(order + 1):
        try:
            delta, lengths = arrays[f"o{m}_ctx_delta"], arrays[f"o{m}_len"]
            sym, cnt = arrays[f"o{m}_sym"], arrays[f"o{m}_cnt"]
        except KeyError as exc:
            raise _damaged(path, f"order {m} table missing") from exc
        if not all(a.ndim == 1 for a in (delta, lengths, sym, cnt)):
            raise _damaged(path, f"order {m} table has the wrong shape")
        if delta.dtype.kind != "i" or lengths.dtype.kind != "u" or sym.dtype != np.uint8 \
                or cnt.dtype.kind != "u":
            raise _damaged(path, f"order {m} table has the wrong types")
        ctx = np.cumsum(delta.astype(np.int64))
        if len(delta) != len(lengths) or int(lengths.astype(np.int64).sum()) != len(sym) \
                or len(sym) != len(cnt):
            raise _damaged(path, f"order {m} table sizes disagree")
        if len(ctx) and (delta[0] < 0 or (len(delta) > 1 and delta[1:].min() <= 0)
                         or (len(ctx) > 1 and np.diff(ctx).min() <= 0)  # a wrap-around of the sum
                         or int(ctx[-1]) >= base ** m):
            raise _damaged(path, f"order {m} context ids out of order or range")
        if len(sym) and (sym.max() >= k or cnt.min() == 0 or lengths.min() == 0 or int(cnt.max()) >= 1 << 48):
            raise _damaged(path, f"order {m} counts invalid")
        tables.append(_Table(ctx, lengths, sym, cnt.astype(np.int64), base ** m))
    if len(tables[0]) != 1:
        raise _damaged(path, "no palette frequencies (order 0)")
    info = meta.get("info") or {}
    return MarkovChain(palette, order, context, tables, info if isinstance(info, dict) else {})


def builtin_dir() -> Path:
    from artdesk.paths import models_dir

    return models_dir() / "bauhaus"


def builtin_chain_names() -> list[str]:
    """Names of the chains shipped in models/bauhaus (e.g. 'kandinsky_scan_o3')."""
    folder = builtin_dir()
    return sorted(p.stem for p in folder.glob("*.npz")) if folder.is_dir() else []


def load_builtin_chain(name: str) -> MarkovChain:
    from artdesk.runtime.models import verified_path

    path = builtin_dir() / f"{name}.npz"
    if not path.is_file():
        names = ", ".join(builtin_chain_names()) or "none installed"
        raise ModelError(f"No built-in Bauhaus chain named {name!r} (available: {names}).")
    return load_chain(verified_path(f"bauhaus/{name}.npz", builtin_dir().parent))  # sha256 in the manifest
