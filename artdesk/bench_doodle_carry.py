"""Does a model's latent carry the drawing? The figure for Redraw, Morph and Mix.

For held-out drawings of a category, the model Redraw uses (the category's reader, or a model that
reads for itself) reads each drawing (doodle_io.doodle_from_lines, z = the encoder's mean) and it is
drawn again at the app's default temperature, as Redraw does: with a reader, the teacher-level
student draws 27 and the one whose reader latent is nearest the input's is the redraw (the reader's
own decoder is measured too: `decoded`); a model that reads for itself decodes z. Two held-out
sets, neither trained on: drawings sampled afresh from the Google teacher (seed HELD_OUT_SEED, not
the training data's), and the real Quick, Draw! drawings (quickdraw_real).

Layout similarity: soft IoU, sum(min) / sum(max), of two drawings rasterised at 64 px the way the
recogniser's bitmaps are made (top-left aligned, the longer side filling the square) and blurred
(Gaussian, sigma BLUR px), so a line a few pixels off still overlaps. Per input drawing d:
- redraw: IoU(Redraw of d, d); decoded: the same for the reader's own decoder;
- random: the mean IoU(r, d) over random teacher drawings r of the category (what any drawing of
  the category shares with d: the baseline);
- other: the mean IoU(Redraw of another input, d) (the model's own hand without d's latent);
- morph0: IoU(Morph's first frame, d): with a reader, of the reader's decoding of d's mean (at Morph's
  temperature min(0.1, default)) and 30 of the student's drawings, the one the reader reads nearest
  d's mean, as the app's Morph picks its frames; a model that reads for itself: its decoding;
- judge: top-1 recognition of the redraws (and of the inputs) by the judge (models/judge).
A model carries the drawing when its redraws beat the random baseline on the teacher set by more
than two standard errors of the paired difference, and on the real drawings on average.
"""

from __future__ import annotations

import numpy as np

HELD_OUT_SEED = 424242  # teacher_data samples the training sets with seed 1
N_TEACHER = 100
SIDE = 64
LINE = 2.0
BLUR = 2.0


def blurred_raster(drawing: np.ndarray) -> np.ndarray:
    from PIL import Image, ImageFilter

    from artdesk.engines.recognise import raster

    img = Image.fromarray(np.uint8(np.clip(raster(drawing, SIDE, LINE), 0, 1) * 255))
    return np.asarray(img.filter(ImageFilter.GaussianBlur(BLUR)), np.float32) / 255.0


def iou_matrix(a: list[np.ndarray], b: list[np.ndarray]) -> np.ndarray:
    """(len(a), len(b)) soft IoU of blurred rasters."""
    ra = np.stack([blurred_raster(d).ravel() for d in a])
    rb = np.stack([blurred_raster(d).ravel() for d in b])
    lo = np.minimum(ra[:, None, :], rb[None, :, :]).sum(-1)
    hi = np.maximum(ra[:, None, :], rb[None, :, :]).sum(-1)
    return lo / np.maximum(hi, 1e-6)


def _inputs(model, drawings: list[np.ndarray]) -> list[np.ndarray]:
    """Each drawing read as Redraw reads the canvas (doodle_from_lines: the model's frame, RDP)."""
    from artdesk.engines.doodle_io import READ_ROOM, doodle_from_lines
    from artdesk.engines.sketch_format import stroke3_to_lines

    return [doodle_from_lines([ln for ln in stroke3_to_lines(d) if len(ln)], model, room=READ_ROOM)[0]
            for d in drawings]


def _redraws(model, inputs: list[np.ndarray], temperature: float, seed: int) -> list[np.ndarray]:
    from artdesk.engines.doodle import encode_doodles, sample_doodles
    from artdesk.engines.doodle_io import WHOLE_MIN_POINTS
    from artdesk.engines.progress import run_to_end

    mu, _ = encode_doodles(model, inputs)
    return run_to_end(sample_doodles(model, len(inputs), seed=seed, temperature=temperature, z=mu,
                                     min_points=WHOLE_MIN_POINTS, yield_every=10**9))


POOL = 270  # Redraw with a reader, as the app does it: each input's 27 come from one pool of the student's


def _student_pool(reader, drawer, temperature: float, seed: int) -> tuple[list, list[int], np.ndarray]:
    """POOL drawings by the teacher-level student, which of them the reader can read, and their latents."""
    from artdesk.engines.doodle import sample_doodles
    from artdesk.engines.doodle_io import WHOLE_MIN_POINTS, pool_latents
    from artdesk.engines.progress import run_to_end

    pool = run_to_end(sample_doodles(drawer, POOL, seed=seed + 100, temperature=temperature,
                                     min_points=WHOLE_MIN_POINTS, yield_every=10**9))
    keep, mu_pool = pool_latents(reader, pool)
    return pool, keep, mu_pool


def _picked_redraws(reader, student_pool, inputs: list[np.ndarray], seed: int, extra: list[np.ndarray] | None = None,
                    count: int | None = None) -> list[np.ndarray]:
    """The app's first Redraw candidate with a reader (doodle_io.doodle_job): of n x REDRAW_POOL drawings
    by the teacher-level student, the one whose reader latent is nearest the input's. The drawings come
    from one pool of POOL (_student_pool; a fresh random subset per input) instead of a fresh batch per
    input: the same distribution, a fraction of the time. extra (one per input) joins that input's
    subset, and count sets the subset's size: Morph's first frame is the nearest of MORPH_STEPS x
    REDRAW_POOL student drawings and the reader's own decoding (doodle_io.walk_by_reading)."""
    from artdesk.engines.doodle import encode_doodles
    from artdesk.engines.doodle_io import CANDIDATES, REDRAW_POOL, pool_latents

    pool, keep, mu_pool = student_pool
    mu, _ = encode_doodles(reader, inputs)
    extra_ok, mu_extra = pool_latents(reader, extra if extra is not None else [])
    rng = np.random.default_rng(seed)
    out = []
    for k, m in enumerate(mu):
        sub = rng.choice(len(keep), min(len(keep), count or CANDIDATES * REDRAW_POOL), replace=False)
        best = sub[np.argmin(((mu_pool[sub] - m) ** 2).sum(axis=1))]
        pick = pool[keep[best]]
        if extra is not None and k in extra_ok:
            if ((mu_extra[extra_ok.index(k)] - m) ** 2).sum() < ((mu_pool[best] - m) ** 2).sum():
                pick = extra[k]
        out.append(pick)
    return out


def _set_figures(model, drawings: list[np.ndarray], randoms: list[np.ndarray], judge, category: str,
                 temperature: float, seed: int, drawer=None) -> dict:
    from artdesk.bench_doodle import recognised

    inputs = _inputs(model, drawings)
    decoded = _redraws(model, inputs, temperature, seed)  # the model's own decoder from z = the input's mean
    morph0 = _redraws(model, inputs, min(0.1, temperature), seed + 1)  # the reader's decoding at the doodle's z
    redraws = decoded
    if drawer is not None:
        from artdesk.engines.doodle_io import MORPH_STEPS, REDRAW_POOL

        student_pool = _student_pool(model, drawer, temperature, seed)
        redraws = _picked_redraws(model, student_pool, inputs, seed)
        # the app's first frame: that decoding or one of the student's, whichever the reader reads nearer
        morph0 = _picked_redraws(model, student_pool, inputs, seed + 2, extra=morph0, count=MORPH_STEPS * REDRAW_POOL)
    own = np.diag(iou_matrix(redraws, inputs))
    dec = np.diag(iou_matrix(decoded, inputs))
    m0 = np.diag(iou_matrix(morph0, inputs))
    rand = iou_matrix(inputs, randoms).mean(1)
    cross = iou_matrix(inputs, redraws)
    n = len(inputs)
    other = (cross.sum(1) - np.diag(cross)) / max(n - 1, 1)
    diff = own - rand
    se = float(diff.std(ddof=1) / np.sqrt(n)) if n > 1 else float("inf")
    return {"n": n, "redraw": float(own.mean()), "random": float(rand.mean()), "other": float(other.mean()),
            "decoded": float(dec.mean()), "morph0": float(m0.mean()), "gain": float(diff.mean()), "gain_se": se,
            "closer_than_random": int((own > rand).sum()), "picked_by_reader": drawer is not None,
            "judge_redraw": recognised(judge, redraws, category), "judge_decoded": recognised(judge, decoded, category),
            "judge_input": recognised(judge, inputs, category)}


def carry_figures(model, category: str, judge, n_teacher: int = N_TEACHER, temperature: float | None = None,
                  drawer=None) -> dict:
    """The carry figures of `model` (one that reads drawings) on `category`'s held-out drawings; with
    `drawer` (a reader's student), Redraw is the app's: the drawer's drawings picked by the reader."""
    from artdesk.bench_doodle import _random, real_drawings, teacher_of
    from artdesk.engines.doodle_io import APP_TEMPERATURE
    from artdesk.engines.sketch_rnn_js import load_sketch_rnn_js

    temperature = APP_TEMPERATURE if temperature is None else temperature
    teacher_path = teacher_of(category)
    if teacher_path is None:
        raise ValueError(f"no teacher for {category}")
    teacher = load_sketch_rnn_js(teacher_path)
    held_out = held_out_teacher(teacher, n_teacher)
    randoms, _ = _random(teacher, n_teacher, temperature, seed=HELD_OUT_SEED + 1)
    fig: dict = {"temperature": temperature,
                 "teacher": _set_figures(model, held_out, randoms, judge, category, temperature, 1, drawer)}
    real = [d for d in real_drawings(category) if len(d) >= 5]
    if len(real) >= 2:
        fig["real"] = _set_figures(model, real, randoms, judge, category, temperature, 2, drawer)
    fig["carries"] = carries(fig)
    return fig


def held_out_teacher(teacher, n: int, temperatures=(0.25, 0.45, 0.65, 0.9)) -> list[np.ndarray]:
    """n finished drawings sampled from the teacher at the training data's temperature range, with
    a seed the training data was not drawn with."""
    from artdesk.engines.doodle import sample_doodles
    from artdesk.engines.progress import run_to_end

    out: list[np.ndarray] = []
    for round_ in range(40):
        t = temperatures[round_ % len(temperatures)]
        batch = run_to_end(sample_doodles(teacher, 10, seed=HELD_OUT_SEED + 17 * round_, temperature=t,
                                          max_steps=teacher.max_seq_len + 1, yield_every=10**9))
        out += [d for d in batch if 8 <= len(d) <= teacher.max_seq_len]
        if len(out) >= n:
            break
    return out[:n]


def carries(fig: dict) -> bool:
    """Redraws closer to their input than random drawings of the category: on the teacher set by
    more than two standard errors, and on the real drawings (when there are some) on average."""
    t = fig["teacher"]
    ok = t["gain"] > 2 * t["gain_se"]
    if "real" in fig:
        ok = ok and fig["real"]["gain"] > 0
    return bool(ok)


def carry_line(name: str, fig: dict) -> str:
    def part(key: str) -> str:
        if key not in fig:
            return f"{'-':>50}"
        f = fig[key]
        return (f"{f['redraw']:.3f} {f['random']:.3f} {f['decoded']:.3f} {f['morph0']:.3f} "
                f"{f['closer_than_random']:>3}/{f['n']:<3} {f['judge_redraw']:>2}/{f['judge_input']:<3}")
    return f"{name:12} {part('teacher')}  {part('real')}  {'yes' if fig['carries'] else 'NO'}"


CARRY_HEADER = ("Does the latent carry the drawing? Soft IoU of blurred 64 px rasters (top-left, longer side filling) "
                "with the input, per held-out input, mean: redraw = the app's first Redraw (with a reader: of 27 "
                "drawings by the teacher-level student, the one whose reader latent is nearest the input's); random = "
                "a random teacher drawing of the category (the baseline); decoded = the reader's own decoder from z = "
                "the input's mean; morph0 = Morph's first frame; closer = inputs whose redraw beats the baseline; "
                "judge = redraws / inputs recognised (models/judge). Held out: teacher samples drawn with a fresh seed, "
                "real Quick, Draw! drawings. Carries = redraw beats random by > 2 standard errors on the teacher set "
                "and on average on the real drawings.")


def carry_table(figures: dict[str, dict]) -> list[str]:
    cols = "redraw random decoded morph0 closer judge"
    lines = [CARRY_HEADER, f"{'model':12} {'teacher held-out: ' + cols:50}  {'real Quick, Draw!: ' + cols:50}  carries"]
    lines += [carry_line(cat, fig) for cat, fig in figures.items()]
    return lines


def reading_categories() -> list[str]:
    from artdesk.engines.doodle_io import reads_drawings, shipped_categories

    return [c for c in shipped_categories() if reads_drawings(c)]


def bench_carry(categories: list[str] | None = None, n_teacher: int = N_TEACHER) -> tuple[list[str], dict]:
    """The carry table for every shipped category that reads drawings (its reader, or its student)."""
    from artdesk.bench_doodle import open_judge, teacher_of
    from artdesk.engines.doodle_io import is_reader, open_reading_model, open_shipped

    cats = [c for c in (categories or reading_categories()) if teacher_of(c) is not None]
    if not cats:
        return ["no doodle model reads drawings"], {}
    judge, _ = open_judge()
    figures = {}
    for c in cats:
        model = open_reading_model(c)
        figures[c] = carry_figures(model, c, judge, n_teacher, drawer=open_shipped(c) if is_reader(model) else None)
    return carry_table(figures), figures
