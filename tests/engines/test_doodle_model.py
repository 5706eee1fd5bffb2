"""Doodle model side: sketch-rnn-js reader, stroke formats, numpy/ONNX sampler, torch export."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from artdesk.engines.doodle import (OnnxDoodleModel, continue_doodle, load_doodle_model, morph_doodles,
                                    reconstruction_loss, sample_doodles, slerp)
from artdesk.engines.progress import Progress, run_to_end
from artdesk.engines.sketch_format import (lines_to_stroke3, load_quickdraw_stroke3, load_stroke3_npz, rdp,
                                           stroke3_to_lines, to_stroke3, to_stroke5)
from artdesk.engines.sketch_rnn_js import load_sketch_rnn_js
from artdesk.paths import shared_data_dir

SKETCH = shared_data_dir() / "sketch"
GEN_FILES = sorted((SKETCH / "google_gen").glob("*.gen.json"))
needs_data = pytest.mark.skipif(not GEN_FILES, reason="../shared/data/sketch is not here")


def _extent(drawing: np.ndarray) -> float:
    xy = np.cumsum(drawing[:, :2], axis=0)
    return float((xy.max(axis=0) - xy.min(axis=0)).max())


# --- the sketch-rnn-js reader --------------------------------------------------------------------

@needs_data
@pytest.mark.parametrize("path", GEN_FILES, ids=lambda p: p.name.split(".")[0])
def test_every_google_model_loads_and_draws_a_plausible_doodle(path: Path):
    model = load_sketch_rnn_js(path)
    assert model.num_units == 512 and model.z_size == 0 and not model.has_encoder
    assert model.name == path.name.split(".")[0]
    drawings = run_to_end(sample_doodles(model, 3, seed=5, temperature=0.4))
    ended = [len(d) < model.max_seq_len for d in drawings]  # shorter than the limit: it drew its own end
    assert sum(ended) >= 2
    for d in drawings:
        assert d.dtype == np.float32 and d.shape[1] == 3 and np.isfinite(d).all()
        assert 5 <= len(d) <= model.max_seq_len
        assert d[-1, 2] == 1.0  # the last stroke is finished
        assert 20 < _extent(d) < 5000


@needs_data
def test_corrupt_or_foreign_files_give_a_clear_value_error(tmp_path: Path):
    data = json.loads(GEN_FILES[0].read_text())
    cases = {
        "truncated.gen.json": GEN_FILES[0].read_text()[:5000],
        "foreign.gen.json": json.dumps({"weights": [1, 2, 3]}),
        "bad_base64.gen.json": json.dumps([data[0], data[1], ["@@@not base64@@@"] + data[2][1:]]),
        "short_blob.gen.json": json.dumps([data[0], data[1], [data[2][0][:400]] + data[2][1:]]),
        "wrong_shape.gen.json": json.dumps([data[0], [[7, 7]] + data[1][1:], data[2]]),
        "no_scale.gen.json": json.dumps([{"name": "x"}, data[1], data[2]]),
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(ValueError, match=r"not a readable sketch-rnn model.*\.gen\.json or \.vae\.json"):
            load_sketch_rnn_js(path)
    with pytest.raises(ValueError, match="does not exist"):
        load_sketch_rnn_js(tmp_path / "missing.gen.json")


# --- stroke formats ------------------------------------------------------------------------------

def test_stroke3_stroke5_round_trip():
    rng = np.random.default_rng(0)
    s3 = np.round(rng.normal(0, 10, (40, 3)), 2).astype(np.float32)
    s3[:, 2] = (rng.random(40) < 0.2).astype(np.float32)
    s3[-1, 2] = 1.0
    s5 = to_stroke5(s3)
    assert s5.shape == (41, 5) and np.array_equal(s5[-1], [0, 0, 0, 0, 1])
    assert np.allclose(s5[:-1, 2] + s5[:-1, 3], 1.0)
    assert np.array_equal(to_stroke3(s5), s3)
    padded = to_stroke5(s3, max_len=60)
    assert padded.shape == (61, 5) and (padded[40:, 4] == 1).all()
    assert np.array_equal(to_stroke3(padded), s3)


def test_lines_round_trip_through_stroke3():
    lines = [np.array([[10, 10], [20, 15], [30, 10]], float), np.array([[5, 40], [50, 45]], float)]
    s3 = lines_to_stroke3(lines)
    assert s3[:, 2].tolist() == [0, 0, 1, 0, 1]
    back = stroke3_to_lines(s3)
    assert len(back) == 2 and all(np.allclose(a, b) for a, b in zip(lines, back))


def test_rdp_drops_points_within_epsilon_and_keeps_corners():
    x = np.linspace(0, 100, 101)
    line = np.stack([x, 0.5 * np.sin(x)], axis=1)  # wiggle of 0.5 < epsilon 2
    assert len(rdp(line, 2.0)) == 2
    corner = np.concatenate([np.stack([x[:51], np.zeros(51)], 1), np.stack([np.full(50, 50.0), x[1:51]], 1)])
    simple = rdp(corner, 2.0)
    assert len(simple) == 3 and np.allclose(simple[1], [50, 0])
    # every dropped point lies within epsilon of the simplified polyline
    rng = np.random.default_rng(1)
    walk = np.cumsum(rng.normal(0, 3, (200, 2)), axis=0)
    simple = rdp(walk, 2.0)
    segs = list(zip(simple[:-1], simple[1:]))

    def dist(p):
        best = np.inf
        for a, b in segs:
            ab = b - a
            t = np.clip((p - a) @ ab / max(ab @ ab, 1e-12), 0, 1)
            best = min(best, np.linalg.norm(p - (a + t * ab)))
        return best

    assert max(dist(p) for p in walk) <= 2.0 + 1e-9
    assert len(simple) < len(walk)


@needs_data
def test_real_quickdraw_drawings_are_prepared_like_googles_data():
    drawings = load_quickdraw_stroke3(SKETCH / "quickdraw_real" / "sheep.ndjson")
    assert drawings
    for d in drawings:
        xy = np.cumsum(d[:, :2], axis=0)
        assert xy.min() >= 0 and abs((xy.max(axis=0) - xy.min(axis=0)).max() - 255) <= 1
        assert d[-1, 2] == 1 and np.array_equal(d[:, :2], np.round(d[:, :2]))
    sheep = load_stroke3_npz(SKETCH / "aaron_sheep.npz")
    assert len(sheep["train"]) == 7400 and sheep["test"][0].shape[1] == 3


# --- sampling ------------------------------------------------------------------------------------

@needs_data
def test_batched_sampling_of_nine_is_deterministic_for_a_seed():
    model = load_sketch_rnn_js(SKETCH / "google_gen" / "sheep.gen.json")
    job = sample_doodles(model, 9, seed=42, temperature=0.5)
    progress = []
    result = run_to_end(job, progress.append)
    again = run_to_end(sample_doodles(model, 9, seed=42, temperature=0.5))
    other = run_to_end(sample_doodles(model, 9, seed=43, temperature=0.5))
    assert len(result) == 9 and all(np.array_equal(a, b) for a, b in zip(result, again))
    assert not all(len(a) == len(b) and np.array_equal(a, b) for a, b in zip(result, other))
    assert all(isinstance(p, Progress) for p in progress) and len(progress) > 5
    assert len(progress[-1].preview) == 9
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


@needs_data
def test_continue_a_begun_drawing_returns_only_new_points():
    model = load_sketch_rnn_js(SKETCH / "google_gen" / "bird.gen.json")
    begun = run_to_end(sample_doodles(model, 1, seed=3, temperature=0.3))[0][:20]
    begun[-1, 2] = 1.0
    endings = run_to_end(continue_doodle(model, begun, 9, seed=1))
    assert len(endings) == 9
    assert all(np.isfinite(e).all() and len(e) <= model.max_seq_len for e in endings)
    assert sum(len(e) > 0 for e in endings) >= 7


@needs_data
def test_shared_noise_draws_the_same_doodle_for_the_same_code():
    """A morph's candidates share their random numbers: equal codes draw equal doodles, so the
    strip changes with z only (with separate noise, nine equal codes draw nine different doodles)."""
    model = load_sketch_rnn_js(SKETCH / "google_gen" / "sheep.gen.json")
    shared = run_to_end(sample_doodles(model, 4, seed=7, temperature=0.5, shared_noise=True))
    separate = run_to_end(sample_doodles(model, 4, seed=7, temperature=0.5))
    assert all(np.array_equal(shared[0], d) for d in shared[1:])
    assert not all(len(separate[0]) == len(d) and np.array_equal(separate[0], d) for d in separate[1:])


def test_slerp_ends_and_midpoint():
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    assert np.allclose(slerp(a, b, 0.0), a) and np.allclose(slerp(a, b, 1.0), b)
    assert np.allclose(slerp(a, b, 0.5), [np.sqrt(0.5), np.sqrt(0.5)], atol=1e-6)
    assert slerp(a, b, np.linspace(0, 1, 5)).shape == (5, 2)


# --- our model: torch <-> ONNX -------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    from artdesk.training.sketch_rnn import HParams, SketchRNN, export_model

    torch.manual_seed(0)
    model = SketchRNN(HParams(enc_units=16, dec_units=32, z_size=8, max_seq_len=60)).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    out = tmp_path_factory.mktemp("models") / "doodle"
    meta = export_model(model, "tiny", 10.0, {"data": "none", "steps": 0, "seconds": 0, "seed": 0}, out, "test")
    return model, out, meta


def test_onnx_decoder_step_matches_torch(tiny_model):
    import torch

    model, out, _ = tiny_model
    onnx_model = load_doodle_model(out / "tiny.json")
    assert isinstance(onnx_model, OnnxDoodleModel)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5)).astype(np.float32)
    z = rng.normal(size=(4, 8)).astype(np.float32)
    with torch.no_grad():
        h, c = model.initial_state(torch.from_numpy(z))
        p1, h1, c1 = model.step(torch.from_numpy(x), torch.from_numpy(z), h, c)
        p2, _, _ = model.step(torch.from_numpy(x[::-1].copy()), torch.from_numpy(z), h1, c1)
    params, state = onnx_model.step(x, onnx_model.start_state(4, z), z)
    assert np.allclose(params, p1.numpy(), atol=1e-5) and np.allclose(state[0], h1.numpy(), atol=1e-5)
    params2, _ = onnx_model.step(x[::-1].copy(), state, z)
    assert np.allclose(params2, p2.numpy(), atol=1e-5)
    strokes = rng.normal(size=(3, 12, 5)).astype(np.float32)
    lengths = np.array([12, 5, 9])
    with torch.no_grad():
        mu, presig = model.encode(torch.from_numpy(strokes), torch.from_numpy(lengths))
    mu_o, presig_o = onnx_model.encode(strokes, lengths)
    assert np.allclose(mu_o, mu.numpy(), atol=1e-5) and np.allclose(presig_o, presig.numpy(), atol=1e-5)


def test_numpy_loss_matches_torch_and_manifest_is_written(tiny_model):
    from artdesk.training.sketch_rnn import StrokeData, evaluate

    model, out, meta = tiny_model
    onnx_model = load_doodle_model(out / "tiny.json")
    rng = np.random.default_rng(2)
    drawings = []
    for n in (7, 15, 30):
        d = np.round(rng.normal(0, 10, (n, 3)), 1).astype(np.float32)
        d[:, 2] = (rng.random(n) < 0.2)
        d[-1, 2] = 1
        drawings.append(d)
    ours = reconstruction_loss(onnx_model, drawings)
    ref = evaluate(model, StrokeData(drawings, 10.0, 60))
    assert ours["recon"] == pytest.approx(ref["recon"], rel=1e-4)
    assert ours["kl"] == pytest.approx(ref["kl"], rel=1e-4)
    manifest = json.loads((out.parent / "manifest.json").read_text())
    ids = {m["id"]: m for m in manifest["models"]}
    entry = ids["doodle/tiny.decoder"]
    assert entry["file"] == "doodle/tiny.decoder.onnx" and len(entry["sha256"]) == 64
    assert [i["name"] for i in entry["inputs"]] == ["x", "z", "h", "c", "start"]
    assert "doodle/tiny.encoder" in ids and (out / "MODEL_CARD.md").exists()
    # VAE helpers run end to end on the ONNX model, deterministic for a seed
    a = run_to_end(morph_doodles(onnx_model, drawings[1], drawings[2], 4, seed=1))
    b = run_to_end(morph_doodles(onnx_model, drawings[1], drawings[2], 4, seed=1))
    assert len(a) == 4 and all(np.array_equal(x, y) for x, y in zip(a, b))


def test_manifest_writer_replaces_by_id_and_keeps_others(tmp_path: Path):
    pytest.importorskip("torch")
    from artdesk.training.sketch_rnn import write_manifest_entries

    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"format": 1, "models": [{"id": "style/a", "file": "a.onnx"},
                                                        {"id": "doodle/x.decoder", "file": "old"}]}))
    write_manifest_entries([{"id": "doodle/x.decoder", "file": "new"}, {"id": "doodle/y.decoder", "file": "y"}], path)
    models = json.loads(path.read_text())["models"]
    assert [m["id"] for m in models] == ["style/a", "doodle/x.decoder", "doodle/y.decoder"]
    assert models[1]["file"] == "new"


def test_dropped_points_keep_the_drawing_in_place():
    pytest.importorskip("torch")
    from artdesk.training.sketch_rnn import drop_points

    rng = np.random.default_rng(0)
    d = rng.normal(0, 5, (80, 3)).astype(np.float32)
    d[:, 2] = 0
    d[[19, 49, 79], 2] = 1
    out = drop_points(d, 0.5, rng)
    assert len(out) < len(d) and out[:, 2].sum() == 3
    ends = lambda s: np.cumsum(s[:, :2], axis=0)[s[:, 2] == 1]
    assert np.allclose(ends(out), ends(d), atol=1e-3)


def test_vae_json_reader_matches_the_torch_model(tiny_model):
    """A .vae.json written from our torch VAE reads back with the same encoder, initial state and step."""
    import torch
    from artdesk.engines.sketch_rnn_js import parse_sketch_rnn_js
    from artdesk.training.sketch_rnn import to_sketch_rnn_js

    model, _, _ = tiny_model
    js = parse_sketch_rnn_js(json.loads(json.dumps(to_sketch_rnn_js(model, "tiny", 10.0))), "tiny.vae.json")
    assert js.has_encoder and js.z_size == 8 and js.num_units == 32
    rng = np.random.default_rng(3)
    strokes = rng.normal(size=(2, 9, 5)).astype(np.float32)
    lengths = np.array([9, 4])
    x = rng.normal(size=(2, 5)).astype(np.float32)
    with torch.no_grad():
        mu, presig = model.encode(torch.from_numpy(strokes), torch.from_numpy(lengths))
        h, c = model.initial_state(mu)
        params, _, _ = model.step(torch.from_numpy(x), mu, h, c)
    mu_js, presig_js = js.encode(strokes, lengths)
    assert np.allclose(mu_js, mu.numpy(), atol=2e-2) and np.allclose(presig_js, presig.numpy(), atol=2e-2)
    params_js, _ = js.step(x, js.start_state(2, mu.numpy()), mu.numpy())
    assert np.allclose(params_js, params.numpy(), atol=2e-2)


def test_torch_model_samples_through_the_same_loop(tiny_model):
    from artdesk.training.sketch_rnn import TorchDoodleModel

    model, out, _ = tiny_model
    onnx_model = load_doodle_model(out / "tiny.json")
    torch_model = TorchDoodleModel(model, 10.0)
    a = run_to_end(sample_doodles(onnx_model, 9, seed=4, max_steps=30, stop_at_end=False))
    b = run_to_end(sample_doodles(torch_model, 9, seed=4, max_steps=30, stop_at_end=False))
    assert all(len(x) == len(y) and np.allclose(x, y, atol=1e-3) for x, y in zip(a, b))


# --- students of the Google teachers -------------------------------------------------------------

def test_a_student_draws_as_its_teacher_at_step_0_and_its_int16_export_keeps_that(tmp_path):
    """The student's decoder is the teacher's (zero latent columns, zero initial state, the
    teacher's zero start token): whatever z is, its ONNX step gives the teacher's mixture, and the
    int16 export stores Magenta's weights exactly."""
    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    from artdesk.engines.sketch_rnn_js import load_sketch_rnn_js
    from artdesk.training.sketch_rnn import model_from_onnx
    from artdesk.training.student import export_student, step0_training, student_from_teacher

    teacher = load_sketch_rnn_js(SKETCH / "google_gen" / "bird.gen.json")
    student = student_from_teacher(teacher)
    export_student(student, "bird", teacher.scale_factor, step0_training("bird"), tmp_path / "doodle")
    onnx_model = load_doodle_model(tmp_path / "doodle" / "bird.json")
    assert np.array_equal(onnx_model.start_token, teacher.start_token)
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, onnx_model.z_size)).astype(np.float32)
    s_state, t_state = onnx_model.start_state(3, z), teacher.start_state(3)
    x = np.zeros((3, 5), np.float32)
    for _ in range(4):
        ps, s_state = onnx_model.step(x, s_state, z)
        pt, t_state = teacher.step(x, t_state)
        assert np.abs(ps - pt).max() < 1e-4
        x = rng.normal(size=(3, 5)).astype(np.float32)
    a = run_to_end(sample_doodles(onnx_model, 4, seed=3, temperature=0.25, z=np.zeros(onnx_model.z_size),
                                  max_steps=teacher.max_seq_len))
    b = run_to_end(sample_doodles(teacher, 4, seed=3, temperature=0.25))
    assert onnx_model.max_seq_len == round(1.5 * teacher.max_seq_len)  # room to end what it began
    assert all(len(u) == len(v) for u, v in zip(a, b))  # same draws of the random numbers, same doodles
    back, _ = model_from_onnx("bird", tmp_path / "doodle")  # int16 weights read back for training
    w = back.decoder.weight_hh_l0.detach().numpy()
    assert np.allclose(w, student.decoder.weight_hh_l0.detach().numpy(), atol=1e-6)
    float32_bytes = 4 * (5 + onnx_model.z_size + 512) * 2048  # the gate matrix alone, in float32
    assert (tmp_path / "doodle" / "bird.decoder.onnx").stat().st_size < 0.6 * float32_bytes


def test_past_ends_after_the_first_lift_of_the_pen_ends_the_drawing():
    model = load_sketch_rnn_js(SKETCH / "google_gen" / "bear.gen.json")
    shortened = 0
    for seed in range(6):  # one candidate a run: the random numbers stay in step
        (a,) = run_to_end(sample_doodles(model, 1, seed=seed, temperature=0.25, max_steps=400))
        (b,) = run_to_end(sample_doodles(model, 1, seed=seed, temperature=0.25, max_steps=400, ends_after=30))
        lifts = np.flatnonzero(a[29:, 2] > 0.5)  # a lift on the 30th point or later ends the drawing there
        expected = min(len(a), 30 + int(lifts[0])) if len(lifts) else len(a)
        assert len(b) == expected and np.array_equal(a[:expected], b)
        shortened += len(a) > expected
    assert shortened >= 3  # bears drawn freely run on well past 30 points


def test_bench_figures_compare_a_student_with_its_teacher_drawing_for_drawing():
    """The bench's Random figures: the same seed draws the same points with a student and its
    teacher (the latent has its own random stream), so at step 0 the judge sees the same doodles
    up to the student's end at the first pen lift past the teacher's length, and none is cut off."""
    from artdesk.bench_doodle import category_figures, open_judge
    from artdesk.engines.doodle_io import shipped_categories

    if "ant" not in shipped_categories():
        pytest.skip("the ant student is not installed")
    judge, name = open_judge()
    assert name.startswith("judge")  # the bench's referee is not the picking recogniser
    fig = category_figures("ant", judge, count=18, with_continue=False)
    assert fig["uncut"] <= fig["teacher_uncut"] and fig["uncut"] == 0
    assert abs(fig["app"] - fig["teacher"]) <= fig["past_teacher_length"]
    assert fig["app_picked"] >= fig["app"] - 2 and fig["ms_nine"] > 0
