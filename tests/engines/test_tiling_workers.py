"""Tiles painted on several threads at once give the fill one thread gives; big shapes get the
tile size that paints the fewest pixels."""

import threading

import numpy as np

from artdesk.engines import neural_fill as nf
from artdesk.engines.progress import run_to_end
from artdesk.engines.tiling import tiled_apply


def ellipse(w, h):
    yy, xx = np.mgrid[0:h, 0:w]
    return np.where(((xx + 0.5 - w / 2) / (w * 0.45)) ** 2 + ((yy + 0.5 - h / 2) / (h * 0.45)) ** 2 <= 1,
                    255, 0).astype(np.uint8)


def origin_fill(seen):
    """A tile function whose colour depends on the page position (tiles must blend alike) and
    that notes the threads it ran on."""
    def fn(rgb, mask, origin):
        seen.add(threading.get_ident())
        th, tw = mask.shape
        yy, xx = np.mgrid[0:th, 0:tw]
        y, x = yy + origin[0], xx + origin[1]
        return np.dstack([(x * 7 + y) % 256, (y * 3) % 256, ((x // 16 + y // 16) % 2) * 255]).astype(np.uint8)
    fn.wants_origin = True
    return fn


def test_several_workers_give_the_same_fill_as_one():
    mask = ellipse(900, 700)
    one, many = set(), set()
    a = run_to_end(tiled_apply(origin_fill(one), None, mask, tile=200, overlap=32))
    b = run_to_end(tiled_apply(origin_fill(many), None, mask, tile=200, overlap=32, workers=3))
    assert np.array_equal(a, b)
    assert len(one) == 1 and len(many) >= 2  # the workers did run the tiles


def test_a_cancelled_fill_stops_its_workers():
    started = []

    def slow(rgb, mask):
        started.append(1)
        return np.zeros(mask.shape + (3,), np.uint8)

    job = tiled_apply(slow, None, ellipse(900, 700), tile=200, overlap=32, workers=2)
    next(job)
    next(job)
    job.close()  # as a cancelled job: the pool is shut down, the tiles not started are dropped
    assert len(started) < 30
    assert not [t for t in threading.enumerate() if t.name.startswith("tile")]


def test_big_shapes_get_the_tile_size_that_paints_fewest_pixels():
    from PIL import Image

    page = ellipse(4500, 5400)
    work = np.asarray(Image.fromarray(page).resize((2250, 2700), Image.Resampling.BOX))
    assert nf._one_tile(work, 512, 64) == 576  # twenty tiles, 6.6 MP, against thirty of 512 (7.9 MP)
    assert nf._one_tile(ellipse(700, 700), 512, 64) == 630  # a small shape: one tile over its box
    assert nf._one_tile(ellipse(400, 400), 512, 64) == 512
    assert 1 <= nf.idle_cores() <= nf.MAX_WORKERS


def test_an_unturned_tile_fill_samples_as_the_general_bilinear_does():
    """Rotation 0 takes the two-pass (rows, then columns) path; it gives the turned path's
    samples at a turn too small to move a pixel, within one level, and tiles still continue."""
    from artdesk.engines.tiling import pattern_fill, run_untiled

    rng = np.random.default_rng(1)
    pattern = rng.integers(0, 256, (90, 130, 3)).astype(np.uint8)
    mask = np.full((200, 260), 255, np.uint8)
    for scale in (0.6, 1.0, 1.7):
        fast = pattern_fill(pattern, scale=scale, seed=4)
        general = pattern_fill(pattern, scale=scale, rotation=1e-9, seed=4)
        a = fast(None, mask, (37, 11)).astype(int)
        b = general(None, mask, (37, 11)).astype(int)
        assert np.abs(a - b).max() <= 1 and (a != b).mean() < 0.01
        whole = run_untiled(fast, None, mask)
        tiled = run_to_end(tiled_apply(fast, None, mask, tile=96, overlap=16))
        assert np.abs(whole.astype(int) - tiled.astype(int)).max() <= 1
