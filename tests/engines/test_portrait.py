"""The Portraits engine with the shipped KaoKore GAN (models/portrait/kaokore_gan.onnx)."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artdesk.engines import portrait
from artdesk.engines.progress import Progress, run_to_end
from artdesk.runtime import models as runtime_models

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def session(portrait_models):
    return runtime_models.open_session(portrait.MODEL_ID, directory=portrait_models)


def paint(seeds, session, variation=1.0):
    return run_to_end(portrait.paint_portraits(seeds, variation, session=session))


def test_same_seed_same_portrait_alone_or_in_a_batch(session):
    a = paint([7], session)[0]
    b = paint([7], session)[0]
    grid = paint(range(3, 12), session)
    assert np.array_equal(a, b)
    assert np.array_equal(a, grid[4])  # seed 7 is the 5th of 3..11
    assert a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 4 and a.shape[0] == a.shape[1] >= 32
    assert (a[..., 3] == 255).all()


def test_different_seeds_differ_and_jobs_report_progress(session):
    job = portrait.paint_portraits([1, 2], session=session)
    seen = []
    images = run_to_end(job, seen.append)
    assert all(isinstance(p, Progress) for p in seen) and seen[-1].fraction == 1.0
    assert np.abs(images[0].astype(int) - images[1].astype(int)).mean() > 2


def test_variation_zero_is_the_mean_face(session):
    a, b = paint([1, 99], session, variation=0.0)
    assert np.array_equal(a, b)
    with pytest.raises(ValueError):
        paint([1], session, variation=-0.5)


def test_latents_are_deterministic_per_seed():
    z = portrait.latents([7, 42], 128)
    assert z.shape == (2, 128) and z.dtype == np.float32
    assert np.array_equal(z[1], portrait.latents([42], 128)[0])
    assert np.array_equal(z[0], np.random.default_rng(7).standard_normal(128).astype(np.float32))


def test_slerp_endpoints_and_norm():
    z0, z1 = portrait.latents([1, 2], 128)
    assert np.allclose(portrait.slerp(z0, z1, 0.0), z0, atol=1e-6)
    assert np.allclose(portrait.slerp(z0, z1, 1.0), z1, atol=1e-6)
    path = portrait.slerp(z0, z1, np.linspace(0, 1, 11))
    norms = np.linalg.norm(path, axis=1)
    lo, hi = sorted([np.linalg.norm(z0), np.linalg.norm(z1)])
    # nearly orthogonal Gaussian latents: the path keeps about their length (a straight line
    # would sag to ~0.71 of it in the middle)
    assert norms.min() > 0.95 * lo and norms.max() < 1.05 * hi
    assert np.allclose(portrait.slerp(z0, 2 * z0, 0.5), 1.5 * z0, atol=1e-5)  # parallel: a line


def test_walk_frames_and_gif(session, tmp_path):
    frames = run_to_end(portrait.walk(7, 42, frames=6, variation=0.8, session=session))
    assert len(frames) == 6
    ends = paint([7, 42], session, variation=0.8)
    assert np.array_equal(frames[0], ends[0]) and np.array_equal(frames[-1], ends[1])
    path = portrait.save_gif(frames, tmp_path / "walk.gif", ms=50)
    with Image.open(path) as gif:
        assert gif.n_frames == 6
        assert gif.size == frames[0].shape[1::-1]


def test_upscale_smooth_and_crisp(session):
    face = paint([3], session)[0]
    h = face.shape[0]
    crisp = portrait.upscale(face, h * 4, "crisp")
    smooth = portrait.upscale(face, (h * 4, h * 5), "smooth")
    assert crisp.shape == (h * 4, h * 4, 4) and smooth.shape == (h * 5, h * 4, 4)
    assert np.array_equal(crisp[::4, ::4], face)
    blocks = crisp.reshape(h, 4, h, 4, 4)
    assert (blocks == blocks[:, :1, :, :1]).all()  # every source pixel is a 4x4 block
    assert not np.array_equal(smooth[::5, ::4], face)  # smooth blends
    with pytest.raises(ValueError):
        portrait.upscale(face, 100, "blurry")


def test_signature_changes_only_a_corner(session):
    face = portrait.upscale(paint([5], session)[0], 512, "smooth")
    signed = portrait.sign(face)
    assert signed.shape == face.shape and signed.dtype == np.uint8
    changed = np.argwhere((signed != face).any(axis=2))
    assert len(changed) > 50
    assert changed[:, 0].min() > 512 * 0.8 and changed[:, 1].min() > 512 * 0.4  # bottom right
    assert np.array_equal(portrait.sign(face), signed)
    top_left = np.argwhere((portrait.sign(face, corner="top-left") != face).any(axis=2))
    assert top_left[:, 0].max() < 512 * 0.2 and top_left[:, 1].max() < 512 * 0.6


def test_torch_and_onnx_generators_agree(tmp_path):
    torch = pytest.importorskip("torch", reason="torch (the `train` extra) is not installed")
    pytest.importorskip("onnx", reason="onnx is needed by torch's exporter")
    from artdesk.training import portrait_gan

    torch.manual_seed(0)
    g = portrait_gan.Generator(zdim=16, ngf=8, resolution=32)
    portrait_gan.standing_stats(g, batches=2, batch=16)
    path = tmp_path / "tiny.onnx"
    portrait_gan.export_onnx(g, path)
    session = runtime_models.open_onnx_file(path, "CPUExecutionProvider")
    z = portrait.latents([1, 2, 3], 16)
    with torch.no_grad():
        expected = g(torch.from_numpy(z)).numpy()
    (got,) = session.run(None, {"z": z})
    assert got.shape == (3, 3, 32, 32)
    assert np.abs(got - expected).max() < 1e-4
    images = np.stack(run_to_end(portrait.paint_portraits([1, 2, 3], session=session)))
    from_torch = np.stack(portrait.to_rgba(expected))
    assert np.abs(images.astype(int) - from_torch.astype(int)).max() <= 1


def test_the_shipped_generator_rebuilds_in_torch_from_its_onnx(session, portrait_models):
    """A fresh clone has no training snapshots: the bench's PyTorch baseline (and a fine-tune)
    starts from the weights read back from the ONNX file."""
    torch = pytest.importorskip("torch", reason="torch (the `train` extra) is not installed")
    import shutil

    from artdesk.training import portrait_gan, portrait_grow

    onnx_path = portrait_models / "portrait" / "kaokore_gan.onnx"
    shutil.copyfile(ROOT / "models" / "portrait" / "kaokore_gan.json", onnx_path.with_suffix(".json"))
    if json.loads(onnx_path.with_suffix(".json").read_text("utf-8"))["kind"] == "dcgan-grown":
        g = portrait_grow.grown_from_onnx(onnx_path)  # the 128 px generator grown from the 64 px one
    else:
        g = portrait_gan.generator_from_onnx(onnx_path)
    z = portrait.latents([1, 2, 3], portrait.latent_size(session))
    with torch.no_grad():
        expected = g(torch.from_numpy(z)).numpy()
    (got,) = session.run(None, {session.get_inputs()[0].name: z})
    assert np.abs(got - expected).max() < 1e-4


def test_diffaugment_policy_parts():
    torch = pytest.importorskip("torch", reason="torch (the `train` extra) is not installed")
    from artdesk.training import portrait_gan

    assert portrait_gan.parse_policy("color,translation") == ("color", "translation")
    assert portrait_gan.parse_policy("none") == ()
    with pytest.raises(ValueError):
        portrait_gan.parse_policy("color,rotate")
    x = torch.rand(4, 3, 16, 16) * 2 - 1
    assert torch.equal(portrait_gan.diff_augment(x, ()), x)
    cut = portrait_gan.diff_augment(x, ("cutout",))
    assert ((cut == 0).all(dim=1).flatten(1).sum(1) >= 16).all()  # a hole of up to 8x8 (cut by the border)
    moved = portrait_gan.diff_augment(x, ("translation",))
    assert moved.shape == x.shape


def assert_rebuilds_from_onnx(path, meta, session, z):
    """portrait_grow.grown_from_onnx, given `meta` as the description beside `path`, paints what
    ONNX Runtime's `session` of that file paints for the latents `z` (a torch tensor)."""
    import torch

    from artdesk.training import portrait_grow

    path.with_suffix(".json").write_text(json.dumps(meta))
    rebuilt = portrait_grow.grown_from_onnx(path)
    with torch.no_grad():
        again = rebuilt(z).numpy()
    assert np.abs(session.run(None, {"z": z.numpy()})[0] - again).max() < 1e-4


def test_grown_generator_starts_as_the_64px_model_and_exports_at_128(tmp_path):
    torch = pytest.importorskip("torch", reason="torch (the `train` extra) is not installed")
    pytest.importorskip("onnx", reason="onnx is needed by torch's exporter")
    from artdesk.training import portrait_gan, portrait_grow

    torch.manual_seed(0)
    small = portrait_gan.Generator(zdim=16, ngf=8, resolution=64)
    portrait_gan.standing_stats(small, batches=2, batch=16)
    grown = portrait_grow.GrownGenerator(zdim=16, ngf=8, c1=8, c2=4)
    grown.load_64(small.state_dict())
    grown.eval()
    z = torch.from_numpy(portrait.latents([1, 2], 16))
    with torch.no_grad():
        logits = torch.atanh(small(z).clamp(-0.999999, 0.999999))
        expected = torch.tanh(torch.nn.functional.interpolate(logits, scale_factor=2.0, mode="bilinear"))
        got = grown(z)
    assert got.shape == (2, 3, 128, 128)
    assert (got - expected).abs().max() < 1e-3  # step 0 is the 64 px model, enlarged

    with torch.no_grad():  # a trained block: the export (float16 weights) still matches torch
        for p in grown.rgb128.parameters():
            p.normal_(0, 0.05)
        want = grown(z).numpy()
    path = tmp_path / "grown.onnx"
    path.write_bytes(portrait_grow.onnx_bytes(grown))
    session = runtime_models.open_onnx_file(path, "CPUExecutionProvider")
    faces = run_to_end(portrait.paint_portraits([1, 2], 1.0, session=session))
    assert faces[0].shape == (128, 128, 4)
    assert np.abs(session.run(None, {"z": z.numpy()})[0] - want).max() < 1e-2

    # the torch module rebuilt from that file (a fresh clone's bench baseline and fine-tune start)
    # is exactly what ONNX Runtime runs: the float16 weights and the batch-norm statistics
    meta = {"kind": "dcgan-grown", "zdim": 16, "hparams": {"ngf": 8, "c1": 8, "c2": 4, "up": "resize", "trunk": "deconv"}}
    assert_rebuilds_from_onnx(path, meta, session, z)
    path.with_suffix(".json").write_text(json.dumps({**meta, "kind": "dcgan"}))
    with pytest.raises(ValueError, match="not a grown 128 px generator"):
        portrait_grow.grown_from_onnx(path)


def test_a_grown_generator_on_the_enlarger_starts_as_the_64px_faces_enlarged_and_rebuilds_from_its_onnx(tmp_path):
    torch = pytest.importorskip("torch", reason="torch (the `train` extra) is not installed")
    pytest.importorskip("onnx", reason="onnx is needed by torch's exporter")
    from artdesk.training import portrait_gan, portrait_grow

    torch.manual_seed(1)
    small = portrait_gan.Generator(zdim=16, ngf=8, resolution=64)
    portrait_gan.standing_stats(small, batches=2, batch=16)
    grown = portrait_grow.GrownGenerator(zdim=16, ngf=8, c1=8, c2=4, base_kind="sr")
    grown.load_64(small.state_dict())
    grown.eval()
    z = torch.from_numpy(portrait.latents([3, 4], 16))
    with torch.no_grad():
        enlarged = grown.sr((small(z) + 1.0) / 2.0)  # the print enlarger, x4
        expected = torch.nn.functional.avg_pool2d(enlarged, 2) * 2.0 - 1.0
        got = grown(z)
    assert got.shape == (2, 3, 128, 128)
    assert (got - expected.clamp(-0.999, 0.999)).abs().max() < 1e-4  # step 0: the 64 px faces as the enlarger draws them

    path = tmp_path / "grown_sr.onnx"
    path.write_bytes(portrait_grow.onnx_bytes(grown))
    meta = {"kind": "dcgan-grown", "zdim": 16,
            "hparams": {"ngf": 8, "c1": 8, "c2": 4, "up": "resize", "trunk": "deconv", "base": "sr"}}
    assert_rebuilds_from_onnx(path, meta, runtime_models.open_onnx_file(path, "CPUExecutionProvider"), z)

    # published at step 0 the block adds nothing (its RGB layer is zero): it is left out, same faces
    lean = portrait_grow.without_zero_residual(grown)
    assert lean.block is None and lean.rgb128 is None
    assert sum(p.numel() for p in lean.parameters()) < sum(p.numel() for p in grown.parameters())
    with torch.no_grad():
        assert (lean(z) - got).abs().max() < 1e-6
    lean_path = tmp_path / "grown_sr_lean.onnx"
    lean_path.write_bytes(portrait_grow.onnx_bytes(lean))
    lean_meta = {**meta, "hparams": {**meta["hparams"], "residual": False}}
    assert_rebuilds_from_onnx(lean_path, lean_meta, runtime_models.open_onnx_file(lean_path, "CPUExecutionProvider"), z)
    with torch.no_grad():  # a trained block is kept
        grown.rgb128.bias.fill_(0.01)
    assert portrait_grow.without_zero_residual(grown) is grown

    # a x2 refiner (trained on 64 -> 128 px pairs) is the base as it is: no 2x2 means; its x2-ness
    # is read from its weights, and a x4 file is refused for it
    from artdesk.training import portrait_sr

    x2 = portrait_grow.GrownGenerator(zdim=16, ngf=8, c1=8, c2=4, base_kind="sr", residual=False, sr_scale=2)
    x2.load_64(small.state_dict())
    refiner = portrait_sr.Enlarger(ch=40, blocks=4, scale=2).eval()
    refiner_path = tmp_path / "refiner.onnx"
    refiner_path.write_bytes(portrait_sr.onnx_bytes(refiner))
    x2.load_sr(refiner_path)
    x2.eval()
    assert portrait_sr.enlarger_scale(x2.sr.state_dict()) == 2
    with torch.no_grad():
        expected = refiner((small(z) + 1.0) / 2.0) * 2.0 - 1.0
        got2 = x2(z)
    assert got2.shape == (2, 3, 128, 128) and (got2 - expected.clamp(-0.999, 0.999)).abs().max() < 1e-4
    x2_path = tmp_path / "grown_x2.onnx"
    x2_path.write_bytes(portrait_grow.onnx_bytes(x2))
    x2_meta = {**lean_meta, "hparams": {**lean_meta["hparams"], "sr_scale": 2}}
    assert_rebuilds_from_onnx(x2_path, x2_meta, runtime_models.open_onnx_file(x2_path, "CPUExecutionProvider"), z)
    x4_path = tmp_path / "enlarger_x4.onnx"
    x4_path.write_bytes(portrait_sr.onnx_bytes(portrait_sr.Enlarger(scale=4)))
    with pytest.raises(ValueError, match="enlarges x4"):
        x2.load_sr(x4_path)
    with pytest.raises(ValueError, match="Unknown base"):
        portrait_grow.GrownGenerator(zdim=16, ngf=8, c1=8, c2=4, base_kind="bicubic")


@pytest.fixture(scope="module")
def enlarger(portrait_models):
    if not (portrait_models / "portrait" / "kaokore_sr.onnx").is_file():
        pytest.skip("models/portrait/kaokore_sr.onnx is not there yet: run `python -m artdesk.training.portrait_sr`")
    return runtime_models.open_session(portrait.ENLARGER_ID, directory=portrait_models)


def test_enlarger_beats_lanczos_on_held_out_kaokore_faces(enlarger, shared_data):
    folder = shared_data / "portraits" / "kaokore_128"
    files = sorted(folder.glob("dev_*.jpg"))[::40][:12]
    if not files:
        pytest.skip("no held-out KaoKore faces in ../shared/data")
    gains = []
    for f in files:
        with Image.open(f) as im:
            hr = np.asarray(im.convert("RGB"))
        lr = np.asarray(Image.fromarray(hr).resize((32, 32), Image.BICUBIC))
        ours = portrait.upscale(lr, 128, "smooth", enlarger=enlarger)
        plain = portrait.upscale(lr, 128, "smooth")
        assert ours.shape == plain.shape == (128, 128, 3)

        def mse(a, hr=hr):
            return float(((a.astype(np.float64) - hr) ** 2).mean())
        gains.append(10 * np.log10(mse(plain) / mse(ours)))
    assert np.mean(gains) > 0.3, gains  # dB of PSNR over Lanczos, held-out faces


def test_enlarger_keeps_alpha_and_is_skipped_for_small_steps(enlarger, session):
    face = paint([3], session)[0]
    side = face.shape[0]
    big = portrait.upscale(face, side * 4, "smooth", enlarger=enlarger)
    assert big.shape == (side * 4, side * 4, 4) and (big[..., 3] == 255).all()
    assert not np.array_equal(big, portrait.upscale(face, side * 4, "smooth"))
    small = portrait.upscale(face, side + side // 2, "smooth", enlarger=enlarger)
    np.testing.assert_array_equal(small, portrait.upscale(face, side + side // 2, "smooth"))
    crisp = portrait.upscale(face, side * 4, "crisp", enlarger=enlarger)
    np.testing.assert_array_equal(crisp[::4, ::4], face)  # Crisp never uses the network


def test_resize_trunk_has_no_strided_transposed_conv_and_distils_the_64px_model():
    torch = pytest.importorskip("torch", reason="torch (the `train` extra) is not installed")
    from artdesk.training import portrait_gan, portrait_grow

    torch.manual_seed(0)
    teacher = portrait_gan.Generator(zdim=16, ngf=8, resolution=64)
    # a teacher whose transposed convs are bilinear x2 times a channel mix (no per-phase pattern):
    # nearest x2 + 3x3 conv can paint exactly that (kernel [1, 2, 1] / 4 per axis)
    k = torch.tensor([1.0, 3.0, 3.0, 1.0]) / 4
    with torch.no_grad():
        for m in teacher.modules():
            if isinstance(m, torch.nn.ConvTranspose2d) and m.stride == (2, 2):
                m.weight.copy_(torch.randn(m.in_channels, m.out_channels, 1, 1) * 0.3 * torch.outer(k, k))
    portrait_gan.standing_stats(teacher, batches=2, batch=16)
    grown = portrait_grow.GrownGenerator(zdim=16, ngf=8, c1=8, c2=4, trunk="resize")
    strided = [m for m in grown.modules() if isinstance(m, torch.nn.ConvTranspose2d) and m.stride != (1, 1)]
    assert strided == []
    with pytest.raises(ValueError):
        grown.load_64(teacher.state_dict())

    z = torch.randn(64, 16, generator=torch.Generator().manual_seed(3))

    def rmse() -> float:
        grown.eval()
        with torch.no_grad():
            return float((torch.tanh(grown.logits64(z)) - teacher(z)).pow(2).mean().sqrt())

    with torch.no_grad():
        t = teacher(z)
        spread = float((t - t.mean(0)).pow(2).mean().sqrt())  # the error of painting the mean face
    before = rmse()
    fit = portrait_grow.distil_64(grown, teacher.state_dict(), lambda _msg: None, images=(200, 100, 40, 20), steps=0)
    after = rmse()
    assert after < 0.05 * spread and after < 0.05 * before, (spread, before, after)
    assert fit["rmse_255"] < 0.05 * spread * 127.5 and fit["psnr_db"] > 30
    with torch.no_grad():  # step 0 of the grown model is the distilled 64 px model, enlarged
        want = torch.tanh(torch.nn.functional.interpolate(grown.logits64(z[:2]), scale_factor=2.0, mode="bilinear"))
        assert (grown(z[:2]) - want).abs().max() < 1e-5


def test_grid_ratio_sees_a_2px_grid_and_4px_stripes_not_smooth_paint():
    torch = pytest.importorskip("torch", reason="torch (the `train` extra) is not installed")
    from artdesk.training import portrait_grow

    g = torch.Generator().manual_seed(0)
    smooth = torch.nn.functional.avg_pool2d(torch.rand(8, 3, 136, 136, generator=g), 9, 1) * 2 - 1
    yy, xx = torch.meshgrid(torch.arange(128), torch.arange(128), indexing="ij")
    checker = (((yy + xx) % 2) * 2 - 1).float() * 0.1
    stripes = (((xx // 2) % 2) * 2 - 1).float() * 0.1
    assert portrait_grow.grid_ratio(smooth) < 1.5
    assert portrait_grow.grid_ratio(smooth + checker) > 3.0
    assert portrait_grow.grid_ratio(smooth + stripes) > 3.0


@pytest.fixture(scope="module")
def picker(portrait_models):
    if not (portrait_models / "portrait" / "face_picker.onnx").is_file():
        pytest.skip("models/portrait/face_picker.onnx is not there yet: run `python -m artdesk.training.portrait_picker`")
    return runtime_models.open_session(portrait.PICKER_ID, directory=portrait_models)


class ScoreBy:
    """A stand-in picker session: scores faces by a function of the rgb batch."""

    def __init__(self, fn):
        self.fn, self.seen = fn, []

    def get_inputs(self):
        return [type("Input", (), {"name": "rgb"})()]

    def run(self, _outputs, feed):
        self.seen.append(feed["rgb"].shape)
        return [self.fn(feed["rgb"]).astype(np.float32)]


def test_each_seed_paints_the_candidate_the_picker_scores_highest(session):
    zdim = portrait.latent_size(session)
    cand = portrait.candidate_latents(5, zdim)
    assert cand.shape == (portrait.PICK_POOL, zdim)
    np.testing.assert_array_equal(cand[0], portrait.latents([5], zdim)[0])  # candidate 0 = the seed's own face
    np.testing.assert_array_equal(cand, portrait.candidate_latents(5, zdim))  # and they never change
    brightest = ScoreBy(lambda rgb: rgb.mean(axis=(1, 2, 3)))
    z, faces, chosen = run_to_end(portrait.pick_latents([5, 6], 0.8, session, brightest, steering=None))
    for seed, zi, face, k in zip((5, 6), z, faces, chosen):
        c = portrait.candidate_latents(seed, zdim)
        np.testing.assert_array_equal(zi, c[k])
        every = paint_latents(session, portrait.truncate(c, 0.8))
        means = [f[..., :3].mean() for f in every]
        assert k == int(np.argmax(means)) and np.array_equal(face, every[k])
    assert all(shape[1:] == (3, 64, 64) for shape in brightest.seen)
    # the grid and the walk use the same picks; the walk's ends are the picked faces
    first = ScoreBy(lambda rgb: -np.arange(len(rgb), dtype=np.float32))  # always candidate 0
    assert np.array_equal(run_to_end(portrait.pick_latents([9], 0.8, session, first, steering=None))[1][0],
                          paint([9], session, 0.8)[0])


def test_steering_moves_candidates_toward_the_direction_and_keeps_their_length(session, portrait_models):
    zdim = portrait.latent_size(session)
    direction, shift = portrait.picker_steering(zdim, portrait_models)  # the shipped picker's own
    assert direction.shape == (zdim,) and abs(np.linalg.norm(direction) - 1) < 1e-5 and 0 < shift <= 5
    cand = portrait.candidate_latents(5, zdim)
    moved = portrait.steer(cand, direction, shift)
    np.testing.assert_allclose(np.linalg.norm(moved, axis=1), np.linalg.norm(cand, axis=1), rtol=1e-5)
    assert (moved @ direction > cand @ direction).all()
    np.testing.assert_array_equal(portrait.steer(cand, direction, 0.0), cand)
    # the grid and the walk use the same (steered) picks; the walk's ends are the picked faces
    brightest = ScoreBy(lambda rgb: rgb.mean(axis=(1, 2, 3)))
    z, faces, chosen = run_to_end(portrait.pick_latents([5, 6], 0.8, session, brightest, steering=(direction, shift)))
    np.testing.assert_allclose(z[0], moved[chosen[0]], rtol=1e-6)
    steering = (direction, shift)
    painted = run_to_end(portrait.paint_portraits([5, 6], 0.8, session=session, pick=True, picker=brightest,
                                                  steering=steering))
    assert all(np.array_equal(a, b) for a, b in zip(painted, faces))
    frames = run_to_end(portrait.walk(5, 6, 4, 0.8, session=session, pick=True, picker=brightest, steering=steering))
    assert np.array_equal(frames[0], faces[0]) and np.array_equal(frames[-1], faces[1])


def test_a_damaged_steering_is_refused_with_a_sentence(portrait_models, tmp_path):
    import json
    import shutil

    from artdesk.errors import ModelError
    from artdesk.runtime.models import file_sha256

    folder = tmp_path / "models"
    shutil.copytree(portrait_models, folder)
    meta_path = folder / "portrait" / "face_picker.json"
    meta = json.loads(meta_path.read_text())

    def install(description: dict) -> None:  # the description, checksummed in the manifest as training does
        meta_path.write_text(json.dumps(description))
        manifest = json.loads((folder / "manifest.json").read_text())
        for entry in manifest["models"]:
            if entry["id"] == portrait.PICKER_ID:
                entry["meta_sha256"] = file_sha256(meta_path)
        (folder / "manifest.json").write_text(json.dumps(manifest))

    unit = [0.0] * 127 + [1.0]
    for damage in ({"direction": [1.0, float("nan")], "shift": 2.0}, {"direction": "x", "shift": 2.0},
                   {"direction": unit, "shift": 50.0}, {"direction": unit, "shift": 10 ** 400},
                   {"direction": unit[:-1] + [10 ** 400], "shift": 2.0}, {"direction": unit, "shift": "2"},
                   {"direction": unit, "shift": True}, {"direction": unit}, "steer as a string", [unit, 2.0]):
        if isinstance(damage, dict):  # made for the installed generator, so it is read (not skipped)
            damage = {"generator_sha256": meta["steer"]["generator_sha256"], **damage}
        install({**meta, "steer": damage})
        with pytest.raises(ModelError, match="steering"):
            portrait.picker_steering(128, folder)
    # a picker made for another generator keeps picking but does not steer: its direction is another latent space's
    for sha, steers in ((meta["steer"]["generator_sha256"], True), ("0" * 64, False)):
        install({**meta, "steer": {**meta["steer"], "generator_sha256": sha}})
        assert (portrait.picker_steering(128, folder) is not None) == steers
        # and a placed face's record says whether its candidates were steered
        assert portrait.steering_in_use(folder) == (meta["steer"]["shift"] if steers else None)


def paint_latents(session, z):
    return portrait.render(z, session)


def test_a_damaged_picker_output_is_refused_and_a_nan_score_never_wins():
    from artdesk.errors import ModelError

    x = np.zeros((3, 3, 64, 64), np.float32)
    with pytest.raises(ModelError, match="face picker is damaged"):
        portrait.face_scores(x, ScoreBy(lambda rgb: np.zeros(len(rgb) + 1)))
    scores = portrait.face_scores(x, ScoreBy(lambda rgb: np.array([np.nan, 1.0, 0.5])))
    assert int(np.argmax(scores)) == 1 and scores[0] == -np.inf


def test_picker_scores_larger_faces_pooled_to_64_px():
    seen = ScoreBy(lambda rgb: rgb[:, 0, 0, 0])
    x = np.zeros((2, 3, 128, 128), np.float32)
    x[1, :, :2, :2] = 1.0  # a 2x2 block becomes one 64 px pixel of 1.0
    assert portrait.face_scores(x, seen).tolist() == [0.0, 1.0] and seen.seen == [(2, 3, 64, 64)]
    with pytest.raises(ValueError):
        portrait.face_scores(np.zeros((1, 3, 96, 96), np.float32), seen)


def test_the_shipped_picker_prefers_labelled_readable_faces(session, picker):
    """On the labelled faces (the picker's training set, so this checks the export, not the
    held-out figure, which is the card's cross-validation): readable faces score higher."""
    import json

    from artdesk.training.portrait_picker import LABELS
    labels = json.loads(LABELS.read_text())
    zdim = portrait.latent_size(session)
    first = labels["sets"][0]
    z = np.random.default_rng(first["rng"]).standard_normal((96, zdim)).astype(np.float32)
    (rgb,) = session.run(None, {session.get_inputs()[0].name: z})
    scores = portrait.face_scores(rgb, picker)
    readable = np.isin(np.arange(96), first["readable"])
    assert scores[readable].mean() > scores[~readable].mean() + 1.0


def test_an_anchored_grow_step_holds_the_faces_2x2_means_at_the_starting_generator():
    import torch
    import torch.nn.functional as F

    from artdesk.training.portrait_grow import Trainer, parse_args

    torch.manual_seed(0)
    t = Trainer(parse_args(["--anchor", "10", "--batch", "4"]))
    t.freeze_anchor()
    assert t.anchor_g is not None and not any(p.requires_grad for p in t.anchor_g.parameters())
    z = torch.randn(4, 128)
    t.g.eval()
    with torch.no_grad():
        assert float(F.l1_loss(F.avg_pool2d(t.g(z), 2), F.avg_pool2d(t.anchor_g(z), 2))) < 1e-6  # step 0: no pull
    t.g.train()
    before = [p.detach().clone() for p in t.anchor_g.parameters()]
    loss_d, loss_g = t.train_step(torch.randint(0, 256, (4, 3, 128, 128), dtype=torch.uint8))
    assert np.isfinite(loss_d) and np.isfinite(loss_g) and t.step == 1
    assert all(torch.equal(a, b) for a, b in zip(before, t.anchor_g.parameters()))  # the anchor never trains
    assert Trainer(parse_args([])).anchor_g is None  # off by default


def test_steer_only_finds_the_direction_again_for_a_generator(portrait_models, tmp_path, monkeypatch):
    import json
    import shutil

    from artdesk.training import portrait_picker
    from artdesk.training.manifest import sha256_of

    folder = tmp_path / "models"
    shutil.copytree(portrait_models, folder)
    monkeypatch.setattr(portrait_picker, "STEER_SAMPLES", 2400)  # 400 to fit, 2,000 held out: a quick check
    generator = folder / "portrait" / "kaokore_gan.onnx"
    assert portrait_picker.main(["--steer-only", "--out", str(folder / "portrait"), "--generator", str(generator)]) == 0
    steer = json.loads((folder / "portrait" / "face_picker.json").read_text())["steer"]
    assert steer["generator_sha256"] == sha256_of(generator) and steer["samples"] == 2400
    assert steer["by_shift"]["2"]["mean_score"] > steer["by_shift"]["0"]["mean_score"]  # the direction clears faces
    assert portrait.picker_steering(128, folder) is not None  # checksummed again: the app takes it


def test_a_checkpoint_keeps_the_anchor_for_a_resume():
    import torch

    from artdesk.training.portrait_grow import Trainer, parse_args

    torch.manual_seed(0)
    t = Trainer(parse_args(["--anchor", "10", "--batch", "4"]))
    t.freeze_anchor()
    with torch.no_grad():
        for p in t.anchor_g.parameters():
            p.add_(0.01)  # an anchor unlike the generator, as after training
    st = t.state()
    resumed = Trainer(parse_args(["--batch", "4"]))  # a resume without --anchor still holds the faces
    resumed.load(st)
    assert resumed.anchor_g is not None and resumed.args.anchor == 10
    assert all(torch.equal(a, b) for a, b in zip(resumed.anchor_g.state_dict().values(), t.anchor_g.state_dict().values()))
    assert "anchor_g" not in Trainer(parse_args([])).state()


def test_print_comparison_measures_each_folders_own_prints(portrait_models, tmp_path):
    """portrait_card --before: the same seeds printed from two models folders, each with its own
    generator and enlarger; the same folder twice gives the same figure, and a folder without the
    enlarger (Lanczos all the way) prints softer."""
    pytest.importorskip("torch", reason="the card script lives in artdesk.training")
    import shutil

    if not (portrait_models / "portrait" / "kaokore_sr.onnx").is_file():
        pytest.skip("models/portrait/kaokore_sr.onnx is not there yet")
    from artdesk.training import portrait_card

    same = portrait_card.print_comparison(tmp_path / "same.png", portrait_models, portrait_models, seeds=[2, 5],
                                          print_size=512)
    assert same["before"] == same["after"] and same["after"]["side"] in (64, 128)
    with Image.open(tmp_path / "same.png") as im:
        assert im.size == (2 * 176 + 8, 176)  # two 100% crops (800 px of a 2,304 px print), side by side
    lanczos = tmp_path / "lanczos"
    shutil.copytree(portrait_models, lanczos)
    manifest = json.loads((lanczos / "manifest.json").read_text())
    manifest["models"] = [e for e in manifest["models"] if e["id"] != portrait.ENLARGER_ID]
    (lanczos / "manifest.json").write_text(json.dumps(manifest))
    softer = portrait_card.print_comparison(tmp_path / "soft.png", lanczos, portrait_models, seeds=[2, 5],
                                            print_size=512)
    assert softer["before"]["sharpness"] < softer["after"]["sharpness"]
