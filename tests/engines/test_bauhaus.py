"""Bauhaus engine: Markov-chain pixel paintings (headless, small real data)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artdesk.engines import bauhaus
from artdesk.engines.progress import run_to_end
from artdesk.paths import shared_data_dir

KANDINSKY = shared_data_dir() / "paintings" / "kandinsky_384"
TWO_COLOURS = np.array([[200, 30, 30], [20, 20, 160]], dtype=np.uint8)


def kandinsky_files(n: int) -> list[Path]:
    files = sorted(KANDINSKY.glob("*.jpg"))[:n]
    assert len(files) == n, f"needs {n} paintings in {KANDINSKY}"
    return files


def learn(images, order=3, palette=8, context="scanline", seed=0, size=64, **kw):
    return run_to_end(bauhaus.learn_chain(images, order, palette, context, seed, size, **kw))


def draw(chain, w=48, h=40, seed=0, block=1):
    return run_to_end(bauhaus.paint(chain, w, h, seed, block))


def stripes(width=64, height=32, vertical=True) -> np.ndarray:
    """Two colours in stripes two pixels wide (AABBAABB...)."""
    index = (np.arange(width if vertical else height) // 2) % 2
    band = TWO_COLOURS[index]
    if vertical:
        return np.ascontiguousarray(np.broadcast_to(band[None], (height, width, 3)))
    return np.ascontiguousarray(np.broadcast_to(band[:, None], (height, width, 3)))


def run_lengths(row: np.ndarray) -> list[int]:
    changes = np.flatnonzero(np.any(row[1:] != row[:-1], axis=-1)) + 1
    edges = np.r_[0, changes, len(row)]
    return np.diff(edges).tolist()


@pytest.fixture(scope="module")
def scan_chain():
    return learn(kandinsky_files(3), order=3, context="scanline", seed=1)


@pytest.fixture(scope="module")
def chain_2d():
    return learn(kandinsky_files(3), order=3, context="2d", seed=1)


@pytest.mark.parametrize("which", ["scan_chain", "chain_2d"])
def test_same_seed_same_picture_and_different_seeds_differ(which, request):
    chain = request.getfixturevalue(which)
    a, b, c = draw(chain, seed=7), draw(chain, seed=7), draw(chain, seed=8)
    assert a.shape == (40, 48, 4) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("which", ["scan_chain", "chain_2d"])
def test_picture_is_opaque_and_uses_only_palette_colours(which, request):
    chain = request.getfixturevalue(which)
    image = draw(chain, seed=3)
    assert (image[..., 3] == 255).all()
    colours = {tuple(c) for c in image[..., :3].reshape(-1, 3).tolist()}
    assert colours <= {tuple(c) for c in chain.palette.tolist()}
    assert len(colours) >= 3
    assert 2 <= chain.palette_size <= 8


@pytest.mark.parametrize("which", ["scan_chain", "chain_2d"])
@pytest.mark.parametrize("block", [1, 3])
def test_vectorised_painter_matches_python_loop_pixel_for_pixel(which, block, request):
    chain = request.getfixturevalue(which)
    fast = draw(chain, 37, 29, seed=5, block=block)
    slow = bauhaus.paint_python_loop(chain, 37, 29, seed=5, block=block)
    assert np.array_equal(fast, slow)


def test_unseen_contexts_back_off_to_lower_orders():
    images = kandinsky_files(2)
    order1 = learn(images, order=1, seed=2)
    # Every context of order >= 2 is dropped, so each pixel must back off to order 1.
    starved = learn(images, order=3, seed=2, min_count=10**12)
    assert starved.context_counts()[2:] == [0, 0]
    assert np.array_equal(draw(starved, seed=4), draw(order1, seed=4))
    assert np.array_equal(draw(starved, seed=4),
                          bauhaus.paint_python_loop(starved, 48, 40, seed=4))


def test_chain_with_only_palette_frequencies_still_paints():
    chain = learn(kandinsky_files(1), order=2, seed=0, min_count=10**12)
    chain.tables[1] = bauhaus._Table(np.zeros(0, np.int64), np.zeros(0, np.int64),
                                     np.zeros(0, np.uint8), np.zeros(0, np.int64),
                                     chain.base)
    image = draw(chain, 16, 16, seed=1)
    assert (image[..., 3] == 255).all()


def test_scanline_chain_of_order_two_learns_stripes():
    chain = learn([stripes()], order=2, palette=4, context="scanline", size=None)
    assert chain.palette_size == 2  # only two colours to find
    image = draw(chain, 40, 12, seed=9)
    for row in image[..., :3]:
        assert set(run_lengths(row)[:-1]) == {2}
    order1 = learn([stripes()], order=1, palette=4, context="scanline", size=None)
    lengths = {n for row in draw(order1, 40, 12, seed=9)[..., :3] for n in run_lengths(row)[:-1]}
    assert lengths != {2}  # order 1 cannot count to two


def test_2d_chain_learns_horizontal_stripes():
    chain = learn([stripes(vertical=False)], order=2, palette=2, context="2d", size=None)
    image = draw(chain, 30, 30, seed=3)
    assert (image == image[:, :1]).all()  # every row is one colour, as in training


def test_block_size_paints_in_blocks():
    chain = learn(kandinsky_files(1), order=2, seed=0)
    image = draw(chain, 40, 30, seed=1, block=4)
    assert image.shape == (30, 40, 4)
    blocks = image[:28, :40].reshape(7, 4, 10, 4, 4)
    assert (blocks == blocks[:, :1, :, :1]).all()
    assert np.array_equal(image[::4, ::4], draw(chain, 10, 8, seed=1)[:8, :10])


def test_painting_yields_progress_with_previews():
    chain = learn(kandinsky_files(1), order=2, seed=0)
    seen = []
    result = run_to_end(bauhaus.paint(chain, 64, 64, 0), seen.append)
    assert seen and seen[-1].fraction == 1.0
    assert all(0 <= p.fraction <= 1 for p in seen)
    assert seen[-1].preview is not None and np.array_equal(seen[-1].preview, result)


def test_save_and_load_keep_the_chain(tmp_path, chain_2d):
    path = bauhaus.save_chain(chain_2d, tmp_path / "c.npz")
    loaded = bauhaus.load_chain(path)
    assert loaded.order == 3 and loaded.context == "2d"
    assert np.array_equal(loaded.palette, chain_2d.palette)
    assert np.array_equal(draw(loaded, seed=11), draw(chain_2d, seed=11))


def _resave(src: Path, dst: Path, **changes) -> Path:
    with np.load(src) as data:
        arrays = {k: data[k] for k in data.files}
    arrays.update(changes)
    np.savez_compressed(dst, **arrays)
    return dst


def test_corrupt_chain_files_give_a_clear_value_error(tmp_path, scan_chain):
    good = bauhaus.save_chain(scan_chain, tmp_path / "good.npz")
    raw = good.read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(raw[: len(raw) // 2])
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a chain" * 10)
    with np.load(good) as data:
        sym = data["o2_sym"].copy()
        meta = json.loads(str(data["meta"]))
    sym[0] = 200
    bad_sym = _resave(good, tmp_path / "bad_sym.npz", o2_sym=sym)
    no_table = tmp_path / "no_table.npz"
    with np.load(good) as data:
        np.savez(no_table, **{k: data[k] for k in data.files if not k.startswith("o3_")})
    meta["version"] = 99
    future = _resave(good, tmp_path / "future.npz", meta=np.array(json.dumps(meta)))
    for path in (truncated, garbage, bad_sym, no_table, future, tmp_path / "missing.npz"):
        with pytest.raises(ValueError) as info:
            bauhaus.load_chain(path)
        assert str(path.name) in str(info.value)


def test_learning_is_seeded_and_validates_its_settings():
    images = kandinsky_files(2)
    a, b = learn(images, order=1, seed=5), learn(images, order=1, seed=5)
    assert np.array_equal(a.palette, b.palette)
    with pytest.raises(ValueError):
        learn(images, order=9)
    with pytest.raises(ValueError):
        learn(images, palette=40)
    with pytest.raises(ValueError):
        learn(images, context="spiral")
    with pytest.raises(ValueError):
        learn([])


def test_chain_predicts_held_out_paintings_better_than_palette_frequencies(scan_chain):
    scores = bauhaus.log_loss_bits(scan_chain, kandinsky_files(5)[3:], size=64)
    assert 0 < scores["bits_per_pixel"] < scores["order0_bits_per_pixel"] < 8
    assert scores["pixels"] > 1000


def test_builtin_kandinsky_chains_load_and_paint():
    names = bauhaus.builtin_chain_names()
    assert {"kandinsky_scan_o3", "kandinsky_2d_o2"} <= set(names)
    for name in names:
        chain = bauhaus.load_builtin_chain(name)
        assert chain.palette_size == 16
        assert (bauhaus.builtin_dir() / f"{name}.npz").stat().st_size < 5 * 2**20
        image = draw(chain, 24, 20, seed=1)
        assert image.shape == (20, 24, 4) and (image[..., 3] == 255).all()
    card = (bauhaus.builtin_dir() / "MODEL_CARD.md").read_text()
    assert "bits/pixel" in card and "public domain" in card
    with pytest.raises(ValueError, match="kandinsky_scan_o3"):
        bauhaus.load_builtin_chain("no_such_chain")


def test_cli_paints_a_png_from_pictures_and_from_a_builtin_chain(tmp_path):
    from artdesk.cli import main

    files = [str(p) for p in kandinsky_files(2)]
    out = tmp_path / "b.png"
    chain_path = tmp_path / "mine.npz"
    rc = main(["bauhaus", "--images", *files, "--order", "2", "--palette", "6", "--size", "40x30",
               "--seed", "1", "--learn-size", "64", "--save-chain", str(chain_path),
               "--out", str(out)])
    assert rc == 0
    with Image.open(out) as image:
        assert image.size == (40, 30) and image.mode == "RGBA"
        settings = json.loads(image.text["artdesk"])
    assert settings["seed"] == 1 and settings["order"] == 2
    assert bauhaus.load_chain(chain_path).palette_size <= 6

    rc = main(["bauhaus", "--model", "kandinsky_2d_o2", "--size", "32x32", "--block", "4",
               "--context", "2d", "--out", str(tmp_path / "k.png")])
    assert rc == 0
    assert (tmp_path / "k.png").is_file()
    assert main(["bauhaus", "--model", str(chain_path), "--size", "8x8",
                 "--out", str(tmp_path / "again.png")]) == 0
    assert main(["bauhaus", "--model", "missing_chain", "--out", str(tmp_path / "x.png")]) == 2


def test_big_pictures_get_small_previews(monkeypatch):
    monkeypatch.setattr(bauhaus, "PREVIEW_EVERY_S", 0.0)
    monkeypatch.setattr(bauhaus, "YIELD_EVERY_S", 0.0)
    monkeypatch.setattr(bauhaus, "PREVIEW_MAX_SIDE", 16)
    chain = learn(kandinsky_files(1), order=2, seed=0)
    seen = []
    result = run_to_end(bauhaus.paint(chain, 64, 48, 0), seen.append)
    partial = [p.preview for p in seen[:-1] if p.preview is not None]
    assert partial and all(p.shape == (12, 16, 4) for p in partial)
    assert (partial[0][..., 3] == 0).any()  # not painted yet: transparent
    assert np.array_equal(partial[-1][partial[-1][..., 3] > 0],
                          result[::4, ::4][partial[-1][..., 3] > 0])
