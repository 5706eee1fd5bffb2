"""The int8 copy of the AdaIN pair: used when installed, and close to the float pair."""

import numpy as np
import pytest

from artdesk.engines import neural_fill as nf
from artdesk.engines.tangles import draw
from artdesk.runtime.models import ModelError, load_manifest


@pytest.fixture(scope="module")
def pair():
    try:
        entries = load_manifest()
        if nf.ENCODER_ID + "_int8" not in entries:
            pytest.skip("the int8 pair is not installed")
        return nf.AdaInModels.open(), nf.AdaInModels.open(int8=False)
    except ModelError as exc:
        pytest.skip(str(exc))


def test_the_fill_opens_the_int8_pair_made_from_the_installed_one(pair):
    q8, fp = pair
    entries = load_manifest()
    for model_id in (nf.ENCODER_ID, nf.DECODER_ID):
        assert entries[model_id + "_int8"].info["quantized"]["from_sha256"] == entries[model_id].sha256
    assert q8.encoder is not fp.encoder and q8.decoder is not fp.decoder


def test_int8_features_and_pictures_stay_close_to_float(pair):
    q8, fp = pair
    rgb = np.repeat(draw("printemps", 128)[..., None], 3, axis=2)
    f_fp, f_q8 = fp.encode(rgb), q8.encode(rgb)
    assert f_q8.shape == f_fp.shape
    assert np.abs(f_q8 - f_fp).mean() / np.abs(f_fp).mean() < 0.2
    out_fp, out_q8 = fp.decode(f_fp), q8.decode(f_fp)
    assert np.abs(out_q8 - out_fp).mean() < 20  # of 255
    assert np.corrcoef(out_q8.ravel(), out_fp.ravel())[0, 1] > 0.9


class Counting:
    """The installed models, counting the network runs."""

    def __init__(self, models):
        self.models, self.encodes, self.decodes = models, [], 0
        self.factor, self.encoder, self.decoder = models.factor, models.encoder, models.decoder

    def encode(self, rgb):
        self.encodes.append(rgb.shape[:2])
        return self.models.encode(rgb)

    def decode(self, feat):
        self.decodes += 1
        return self.models.decode(feat)


def test_a_second_drop_of_the_same_pattern_repeats_no_work(pair):
    q8, _ = pair
    counting = Counting(q8)
    pattern = draw("florz", 96)
    mask = np.zeros((64, 64), np.uint8)
    mask[8:56, 8:56] = 255
    first = nf.neural_tile_fn(pattern, scale=0.83, seed=3, content="pattern", models=counting)
    first(np.full((64, 64, 3), 255, np.uint8), mask, (0, 0))
    assert len(counting.encodes) >= 3  # the pattern's statistics, the reference disc, the tile
    counting.encodes.clear()
    counting.decodes = 0
    again = nf.neural_tile_fn(pattern, scale=0.83, seed=4, content="pattern", models=counting)
    again(np.full((64, 64, 3), 255, np.uint8), mask, (0, 0))
    assert counting.encodes == [(64, 64)] and counting.decodes == 1  # the tile only


def test_a_big_patterns_statistics_come_from_a_bounded_sample(pair):
    q8, _ = pair
    counting = Counting(q8)
    big = np.tile(draw("static", 400), (7, 7))  # 2800 px: 16 chunks of 768 px, a few encoded
    nf.style_stats(counting, big, scale=1.0, chunk=768, max_chunks=nf.MAX_STYLE_CHUNKS)
    assert len(counting.encodes) == nf.MAX_STYLE_CHUNKS
    assert all(shape == (768, 768) for shape in counting.encodes)
