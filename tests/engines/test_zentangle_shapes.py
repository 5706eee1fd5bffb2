"""Zentangle engine, non-neural half: the built-in tangles, the drop target logic, the tiled fill."""

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from artdesk.engines import shapes, tangles
from artdesk.engines.progress import Progress, run_to_end
from artdesk.engines.shapes import TargetLayer, find_target, region_at, silhouette_mask
from artdesk.engines.tiling import (fill_shape_with_pattern, pattern_fill, run_untiled,
                                    tiled_apply)

REQUIRED = ["crescent_moon", "hollibaugh", "printemps", "knightsbridge", "static", "nzeppel",
            "florz", "paradox"]


# ---------------------------------------------------------------- tangles


@pytest.fixture(scope="module")
def drawn():
    return {key: t.draw(size=256, seed=0) for key, t in tangles.TANGLES.items()}


def test_gallery_has_the_named_tangles_with_display_names():
    assert set(REQUIRED) <= set(tangles.TANGLES)
    assert len(tangles.TANGLES) >= 10
    assert tangles.TANGLES["nzeppel"].display_name == "'Nzeppel"
    assert tangles.TANGLES["crescent_moon"].display_name == "Crescent Moon"


def test_each_tangle_is_deterministic_and_inked_sensibly(drawn):
    for key, img in drawn.items():
        assert img.shape == (256, 256) and img.dtype == np.uint8, key
        again = tangles.TANGLES[key].draw(size=256, seed=0)
        assert np.array_equal(img, again), f"{key}: same seed gave a different picture"
        dark = float((img < 128).mean())
        assert 0.05 <= dark <= 0.60, f"{key}: {dark:.0%} dark pixels"
        assert img.min() <= 40 and img.max() == 255, f"{key}: not black ink on white"


def test_tangles_differ_from_each_other(drawn):
    keys = list(drawn)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            differ = float((np.abs(drawn[a].astype(int) - drawn[b]) > 64).mean())
            assert differ > 0.1, f"{a} and {b} look alike"


def test_tangles_wrap_around_without_a_seam(drawn):
    """The tile fill repeats the pattern, so its left edge must continue its right edge: the
    jump across the wrap is no bigger than between ordinary neighbouring columns."""
    for key, img in drawn.items():
        f = img.astype(np.float32)
        inner = np.abs(np.diff(f, axis=1)).mean()
        wrap = np.abs(f[:, 0] - f[:, -1]).mean()
        inner_v = np.abs(np.diff(f, axis=0)).mean()
        wrap_v = np.abs(f[0] - f[-1]).mean()
        assert wrap <= 2.5 * inner + 4, f"{key}: seam at the left/right wrap"
        assert wrap_v <= 2.5 * inner_v + 4, f"{key}: seam at the top/bottom wrap"


def test_render_all_writes_small_pngs(tmp_path):
    paths = tangles.render_all(tmp_path, size=128)
    assert {p.stem for p in paths} == set(tangles.TANGLES)
    for p in paths:
        assert p.stat().st_size < 150_000
        assert Image.open(p).size == (128, 128)


def test_shipped_patterns_are_the_drawn_ones():
    from artdesk.paths import resources_dir

    folder = resources_dir() / "patterns"
    for key in REQUIRED:
        path = folder / f"{key}.png"
        assert path.is_file(), f"run python -m artdesk.engines.tangles --out {folder}"
        assert path.stat().st_size < 150_000
        assert Image.open(path).size == (512, 512)


# ---------------------------------------------------------------- region_at


def _ring(h, w, cx, cy, r, width, arc=None):
    im = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(im)
    box = [cx - r, cy - r, cx + r, cy + r]
    if arc:
        draw.arc(box, arc[0], arc[1], fill=255, width=width)
    else:
        draw.ellipse(box, outline=255, width=width)
    return np.array(im)


def test_region_inside_a_closed_circle_is_its_interior():
    ink = _ring(600, 800, 400, 300, 200, 6)
    result = region_at(ink, 400, 300)
    assert result.ok, result.message
    area = (result.mask > 0).sum()
    assert area == pytest.approx(np.pi * 200 ** 2, rel=0.04)
    # reaches under the inner half of the line, but not beyond the line
    assert result.mask[300, 400 + 200 - 6] == 255  # inner edge pixel of the ink
    assert result.mask[300, 400 + 200 + 2] == 0
    assert result.mask[10, 10] == 0


def test_open_arc_is_refused_with_an_offered_shape():
    ink = _ring(600, 800, 400, 300, 200, 6, arc=(0, 290))
    result = region_at(ink, 400, 300)
    assert result.status == "open" and not result.ok
    assert "not closed" in result.message
    assert result.offered is not None
    offered = result.offered > 0
    assert offered[300, 400] and not offered[10, 10]
    assert offered.sum() == pytest.approx(np.pi * 200 ** 2, rel=0.25)


def test_small_gap_is_bridged_and_said():
    ink = _ring(600, 800, 400, 300, 200, 6, arc=(0, 358))
    result = region_at(ink, 400, 300)
    assert result.ok and result.notes
    assert (result.mask > 0).sum() == pytest.approx(np.pi * 200 ** 2, rel=0.05)


def test_empty_canvas_and_drop_on_ink():
    empty = region_at(np.zeros((200, 300), np.uint8), 50, 50)
    assert empty.status == "empty" and "draw" in empty.message.lower()
    ink = _ring(600, 800, 400, 300, 200, 6)
    on_line = region_at(ink, 400 + 197, 300)
    assert on_line.status == "on_ink" and "line" in on_line.message
    outside = region_at(ink, 20, 20)  # the outside of a closed shape reaches the border
    assert outside.status == "open"


def _quickdraw_masks(shared_data, word, size=512, limit=10):
    path = shared_data / "sketch" / "quickdraw_real" / f"{word}.ndjson"
    for line in path.read_text().splitlines()[:limit]:
        strokes = json.loads(line)["drawing"]
        xs = np.concatenate([s[0] for s in strokes]).astype(float)
        ys = np.concatenate([s[1] for s in strokes]).astype(float)
        scale = 0.8 * size / max(xs.max() - xs.min(), ys.max() - ys.min(), 1)
        im = Image.new("L", (size, size), 0)
        draw = ImageDraw.Draw(im)
        for sx, sy, *_ in strokes:
            pts = [(0.1 * size + (x - xs.min()) * scale, 0.1 * size + (y - ys.min()) * scale)
                   for x, y in zip(sx, sy)]
            draw.line(pts, fill=255, width=5, joint="curve")
        yield np.array(im)


def test_real_doodles_give_a_closed_region_or_an_offer(shared_data):
    statuses = []
    for ink in [*_quickdraw_masks(shared_data, "circle"), *_quickdraw_masks(shared_data, "donut")]:
        ys, xs = np.nonzero(ink)
        result = region_at(ink, xs.mean(), ys.mean())
        statuses.append(result.status)
        if result.ok:
            m = result.mask > 0
            assert m[int(ys.mean()), int(xs.mean())]
            assert not m[0].any() and not m[-1].any() and not m[:, 0].any() and not m[:, -1].any()
        elif result.status == "open":
            assert result.offered is not None
    assert statuses.count("ok") >= len(statuses) // 2, statuses


def test_region_at_print_size():
    ink = _ring(5400, 4500, 2250, 2700, 2000, 40)
    result = region_at(ink, 2250, 2700)
    assert result.ok
    assert (result.mask > 0).sum() == pytest.approx(np.pi * 2000 ** 2, rel=0.03)


# ---------------------------------------------------------------- silhouettes and layers


def test_silhouette_mask_from_an_openclipart_shape(shared_data):
    folder = shared_data / "shapes" / "openclipart_pd"
    for name in sorted(p.name for p in folder.glob("*.png"))[:5]:
        grey = np.array(Image.open(folder / name).convert("L"))
        mask = silhouette_mask(np.dstack([grey] * 3))
        truth = grey < 128
        iou = (truth & (mask > 0)).sum() / max(1, (truth | (mask > 0)).sum())
        assert iou > 0.95, name
        assert mask[0, 0] == 0  # the paper around it stays outside


def test_silhouette_light_on_dark_and_with_alpha(shared_data):
    fish = np.array(Image.open(shared_data / "shapes" / "kfahn22_cc0" / "fish.png").convert("RGBA"))
    mask = silhouette_mask(fish)
    border = np.concatenate([mask[0], mask[-1], mask[:, 0], mask[:, -1]])
    assert (border == 0).mean() > 0.8 and 0.05 < (mask > 0).mean() < 0.9
    rgba = np.zeros((50, 60, 4), np.uint8)
    rgba[10:30, 20:40] = (200, 0, 0, 255)
    assert np.array_equal(silhouette_mask(rgba) > 0, rgba[..., 3] > 0)


def test_find_target_prefers_doodle_then_layers_and_explains_misses():
    ink = _ring(300, 400, 100, 150, 60, 4)
    layer = np.zeros((300, 400, 4), np.uint8)
    layer[100:200, 250:350] = (10, 20, 30, 255)
    layers = [TargetLayer(layer, "raster", "photo")]
    assert find_target(ink, 100, 150, layers).source == "region"
    on_layer = find_target(ink, 300, 150, layers)
    assert on_layer.ok and on_layer.source == "layer" and (on_layer.mask > 0).sum() == 100 * 100
    miss = find_target(ink, 200, 20, layers)
    assert not miss.ok and miss.message
    assert find_target(np.zeros((300, 400), np.uint8), 10, 10, []).status == "empty"


# ---------------------------------------------------------------- tiled fill


def _soft_disc(h, w):
    im = Image.new("L", (w, h), 0)
    ImageDraw.Draw(im).ellipse([40, 30, w - 60, h - 20], fill=255)
    return np.array(im)


def test_tiled_equals_untiled_for_a_pointwise_fill():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (700, 900, 3), dtype=np.uint8)
    mask = _soft_disc(700, 900)

    def invert(rgb, m):
        return 255 - rgb

    progress = []
    tiled = run_to_end(tiled_apply(invert, image, mask, tile=256, overlap=32), progress.append)
    whole = run_untiled(invert, image, mask)
    assert np.abs(tiled.astype(int) - whole).max() <= 1
    assert (tiled[..., 3][mask == 0] == 0).all() and (tiled[mask == 0] == 0).all()
    assert (tiled[..., 3][mask == 255] == 255).all()
    assert all(isinstance(p, Progress) for p in progress)
    # bbox 800x650 in tiles of 256 every 224 (the last pulled back to the edge): 4 x 3 tiles
    assert len(progress) == 4 * 3 and progress[-1].fraction == 1.0


def test_blending_hides_tile_edge_artefacts():
    """A fill that darkens its own tile borders (as a network might) leaves no hard seam."""
    mask = np.full((600, 600), 255, np.uint8)

    def framed(rgb, m):
        out = np.full(rgb.shape, 200, np.uint8)
        out[:8] = out[-8:] = out[:, :8] = out[:, -8:] = 0
        return out

    result = run_to_end(tiled_apply(framed, None, mask, tile=256, overlap=64))
    inner = result[100:500, 100:500, 0].astype(int)
    assert inner.min() >= 180  # unblended tile edges would show as 0 here


def test_pattern_fill_is_continuous_across_tiles():
    pattern = tangles.draw("hollibaugh", size=256, seed=1)
    mask = _soft_disc(700, 900)
    fill = pattern_fill(pattern, scale=1.7, rotation=23, seed=4)
    tiled = run_to_end(tiled_apply(fill, None, mask, tile=200, overlap=40))
    whole = run_untiled(fill, None, mask)
    assert np.abs(tiled.astype(int) - whole).max() <= 1
    # continuity: differences across tile borders look like differences anywhere else
    g = tiled[..., 0].astype(int)
    border_cols = [160, 320, 480]  # tile starts (step 160 from the bbox's left edge at 40)
    inside = mask[:, 1:] == 255
    jumps = np.abs(np.diff(g, axis=1))
    border_jump = np.mean([jumps[:, 40 + c - 1][inside[:, 40 + c - 1]].mean() for c in border_cols])
    assert border_jump <= 2.5 * jumps[inside].mean() + 2


def test_pattern_fill_options_change_the_picture():
    pattern = tangles.draw("static", size=128)
    mask = np.full((128, 128), 255, np.uint8)
    base = run_untiled(pattern_fill(pattern), None, mask)
    for options in ({"seed": 1}, {"scale": 2.0}, {"rotation": 30}):
        assert not np.array_equal(base, run_untiled(pattern_fill(pattern, **options), None, mask))
    red = run_untiled(pattern_fill(pattern, ink=(200, 0, 0)), None, mask)
    dark = red[..., 0] < 250
    assert (red[dark][:, 1] <= red[dark][:, 0]).all()
    with pytest.raises(ValueError):
        pattern_fill(pattern, scale=0)


def test_print_size_fill_in_tiles():
    h, w = 5400, 4500
    im = Image.new("L", (w, h), 0)
    ImageDraw.Draw(im).ellipse([300, 600, 4200, 4800], fill=255)
    mask = np.array(im)
    steps = []
    result = run_to_end(tiled_apply(lambda rgb, m: rgb // 2, None, mask, tile=1024, overlap=64),
                        steps.append)
    assert result.shape == (5400, 4500, 4)
    assert (result[..., 3] == mask).all()
    assert (result[mask == 255, 0] == 127).all()
    assert len(steps) == 4 * 5  # bbox 3900x4200, tiles of 1024 every 960


def test_fill_shape_with_pattern_job():
    mask = np.zeros((300, 300), np.uint8)
    mask[50:250, 50:250] = 255
    result = run_to_end(fill_shape_with_pattern(tangles.draw("tipple", 128), mask, scale=0.5))
    assert (result[..., 3] == mask).all()
    inner = result[50:250, 50:250, 0]
    assert 0.05 < (inner < 128).mean() < 0.95


def test_empty_mask_yields_a_transparent_result():
    result = run_to_end(tiled_apply(lambda rgb, m: rgb, None, np.zeros((50, 50), np.uint8)))
    assert result.shape == (50, 50, 4) and not result.any()


def test_mask_bbox():
    m = np.zeros((10, 12), bool)
    m[2:5, 3:9] = True
    assert shapes.mask_bbox(m) == (2, 3, 5, 9)
    assert shapes.mask_bbox(np.zeros((3, 3))) is None


def test_an_enlarged_silhouette_has_a_round_edge_not_its_pixels_stairs():
    yy, xx = np.mgrid[:32, :32]
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[(xx - 15.5) ** 2 + (yy - 15.5) ** 2 <= 12 ** 2] = (0, 0, 0, 255)
    big = np.asarray(Image.fromarray(rgba, "RGBA").resize((640, 640), Image.BICUBIC))  # 20x, as on the page

    def edge_radii(mask):
        edge = (mask & ~np.roll(mask, 1, 0)) | (mask & ~np.roll(mask, 1, 1))
        ey, ex = np.nonzero(edge)
        return np.hypot(ex + 0.5 - 320, ey + 0.5 - 320)

    stairs = edge_radii(silhouette_mask(big) > 0)
    round_ = edge_radii(silhouette_mask(big, magnification=20) > 0)
    assert np.ptp(stairs) > 12  # a 12 px disc's pixel steps, 20x
    assert np.ptp(round_) < 9 and abs(np.median(round_) - 240) < 6  # a circle, the same size
