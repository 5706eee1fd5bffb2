"""Figures for the doodle models, for `artdesk bench doodle` and the doodle model cards.

Per category, at the app's default temperature and through the app's own code paths:
- recognition of Random: the share of drawings the *judge* (models/judge, an independent Quick,
  Draw! classifier) names as the category, top-1; for the app's model unpicked, for the app's
  default (Pick the clearest: the *recogniser*, models/recogniser, keeps 9 of 27), and for the
  Google teacher decoder the model learned from (same count, same judge, same temperature);
- uncut: the share of Random drawings that ran to max_seq_len without an end-of-drawing;
- Continue: the first 40% of each real Quick, Draw! drawing (quickdraw_real) continued by the
  app, judged before and after (first ending; and the default, picked);
- time for nine endings (max_seq_len steps, batched) with ONNX Runtime and, as the baseline in
  the same run, the teacher on numpy.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

COUNT = 90  # Random drawings per model and category
CONTINUE_FRACTION = 0.4


def open_judge():
    """(judge, name): the judge, else the picking recogniser with a warning in its name."""
    from artdesk.engines.recognise import JUDGE_ID, Recogniser
    from artdesk.runtime.models import ModelError

    try:
        return Recogniser.open(model_id=JUDGE_ID), "judge (models/judge)"
    except ModelError:
        return Recogniser.open(), "RECOGNISER (no judge installed: the picking network judged its own picks)"


def teacher_of(category: str) -> Path | None:
    from artdesk.engines.recognise import category_name
    from artdesk.paths import shared_data_dir

    path = shared_data_dir() / "sketch" / "google_gen" / f"{category_name(category).replace(' ', '_')}.gen.json"
    return path if path.exists() else None


def recognised(judge, drawings, category: str) -> int:
    from artdesk.engines.recognise import category_name

    name = category_name(category)
    if not drawings or not judge.knows(name):
        return 0
    best = judge.probabilities(drawings).argmax(1)
    return int((best == judge.index[name]).sum())


def _random(model, count: int, temperature: float, seed: int = 1) -> tuple[list, int]:
    """count Random drawings as doodle_job draws them (min points, temperature) and how many ran to
    max_seq_len without ending."""
    from artdesk.engines.doodle import sample_doodles
    from artdesk.engines.doodle_io import WHOLE_MIN_POINTS
    from artdesk.engines.progress import run_to_end

    out = run_to_end(sample_doodles(model, count, seed=seed, temperature=temperature, min_points=WHOLE_MIN_POINTS,
                                    yield_every=10**9))
    return out, sum(len(d) >= model.max_seq_len for d in out)


def _past_teacher_length(model, drawings) -> int:
    """Drawings longer than the teacher's max_seq_len (they ended at the first pen lift past it)."""
    limit = getattr(model, "ends_after", None)
    return sum(len(d) > limit for d in drawings) if limit else 0


def _picked(category: str, count: int, temperature: float) -> list:
    from artdesk.engines.doodle_io import CANDIDATES, Request, doodle_job
    from artdesk.engines.progress import run_to_end

    out = []
    for seed in range(max(1, count // CANDIDATES)):
        out += run_to_end(doodle_job(Request("random", category, seed, temperature, pick=True))).candidates
    return out


def _ms_nine(model) -> float:
    from artdesk.engines.doodle import sample_doodles
    from artdesk.engines.progress import run_to_end

    job = lambda: run_to_end(sample_doodles(model, 9, seed=0, max_steps=model.max_seq_len, stop_at_end=False,  # noqa: E731
                                            yield_every=10**9))
    job()
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        job()
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def real_drawings(category: str) -> list[np.ndarray]:
    from artdesk.engines.recognise import category_name
    from artdesk.engines.sketch_format import load_quickdraw_stroke3
    from artdesk.paths import shared_data_dir

    path = shared_data_dir() / "sketch" / "quickdraw_real" / f"{category_name(category)}.ndjson"
    return load_quickdraw_stroke3(path, size=None) if path.exists() else []


def continue_drawings(model_key: str, category: str, temperature: float) -> dict:
    """The first CONTINUE_FRACTION of each real drawing, alone and continued by `model_key` (its
    first ending, and the app's default picked ending), as whole stroke-3 drawings."""
    from artdesk.engines.doodle_io import Request, doodle_job
    from artdesk.engines.progress import run_to_end
    from artdesk.engines.sketch_format import stroke3_to_lines

    real = [d for d in real_drawings(category) if len(d) >= 5]
    out: dict[str, list] = {"before": [], "after": [], "after_picked": []}
    for i, d in enumerate(real):
        prefix = d[:max(2, round(CONTINUE_FRACTION * len(d)))]
        lines = [l for l in stroke3_to_lines(prefix) if len(l)]
        for pick, key in ((False, "after"), (True, "after_picked")):
            outcome = run_to_end(doodle_job(Request("continue", model_key, i + 1, temperature, lines=lines, pick=pick)))
            end = outcome.candidates[0]
            out[key].append(np.concatenate([outcome.prefix, end]) if len(end) else outcome.prefix)
        out["before"].append(outcome.prefix)
    return out


def draw_category(category: str, count: int = COUNT, temperature: float | None = None,
                  with_continue: bool = True, teacher_continue: bool = False) -> tuple[dict, dict]:
    """(figures that need no judge, the drawings to judge) of one shipped category."""
    from artdesk.engines.doodle_io import APP_TEMPERATURE, open_shipped
    from artdesk.engines.sketch_rnn_js import load_sketch_rnn_js

    temperature = APP_TEMPERATURE if temperature is None else temperature
    model = open_shipped(category)
    app, uncut = _random(model, count, temperature)
    fig = {"count": count, "temperature": temperature, "uncut": uncut,
           "past_teacher_length": _past_teacher_length(model, app),
           "max_seq_len": model.max_seq_len, "ms_nine": round(_ms_nine(model), 1)}
    sets: dict = {"app": app, "app_picked": _picked(category, count, temperature)}
    teacher_path = teacher_of(category)
    if teacher_path is not None:
        teacher = load_sketch_rnn_js(teacher_path)
        sets["teacher"], t_uncut = _random(teacher, count, temperature)
        fig.update(teacher_uncut=t_uncut, teacher_max_seq_len=teacher.max_seq_len,
                   teacher_ms_nine=round(_ms_nine(teacher), 1))
    if with_continue:
        sets["continue"] = continue_drawings(category, category, temperature)
        if teacher_continue and teacher_path is not None:
            sets["teacher_continue"] = continue_drawings(str(teacher_path), category, temperature)
    return fig, sets


def score(fig: dict, sets: dict, judge, category: str) -> dict:
    """The figures with the judge's counts filled in."""
    fig = dict(fig)
    for key in ("app", "app_picked", "teacher"):
        if key in sets:
            fig[key] = recognised(judge, sets[key], category)
    for key in ("continue", "teacher_continue"):
        if key in sets:
            c = sets[key]
            fig[key] = {"drawings": len(c["before"]), **{k: recognised(judge, v, category) for k, v in c.items()}}
    return fig


def category_figures(category: str, judge, count: int = COUNT, temperature: float | None = None,
                     with_continue: bool = True, teacher_continue: bool = False) -> dict:
    """The figures of one shipped category (see the module docstring)."""
    fig, sets = draw_category(category, count, temperature, with_continue, teacher_continue)
    return score(fig, sets, judge, category)


def _pct(k: int, n: int) -> str:
    return f"{k / max(n, 1):4.0%}"


def table(figures: dict[str, dict], judge_name: str) -> list[str]:
    any_fig = next(iter(figures.values()))
    n, t = any_fig["count"], any_fig["temperature"]
    lines = [f"doodle bench: Random at temperature {t} (the app's default), {n} drawings per model; recognition = "
             f"top-1 of the {judge_name}; picked = the app's default (Pick the clearest by the recogniser, 9 of 27); "
             "uncut = ran to max_seq_len without an end-of-drawing (target <= 17%; the students may take 1.5x "
             "their teacher's max_seq_len and end at the first pen lift past the teacher's: 'long' counts those); "
             "Continue = first 40% of real "
             "Quick, Draw! drawings, judged before -> after (first ending / picked ending); ms = nine endings of "
             "max_seq_len steps, batched",
             f"{'category':22} {'app':>5} {'picked':>6} {'teacher':>7} {'uncut':>6} {'long':>5} {'t.uncut':>7} "
             f"{'continue before->after/picked':>30} {'teacher cont.':>13} {'ms app/teacher':>15}"]
    tot = {"app": 0, "app_picked": 0, "teacher": 0, "uncut": 0, "teacher_uncut": 0, "n": 0, "nt": 0}
    for cat, f in figures.items():
        c = f.get("continue", {})
        tc = f.get("teacher_continue", {})
        cont = (f"{c['before']}/{c['drawings']} -> {c['after']} / {c['after_picked']}" if c else "-")
        tcont = f"-> {tc['after']}/{tc['drawings']}" if tc else "-"
        teacher = _pct(f["teacher"], n) if "teacher" in f else "   -"
        t_uncut = _pct(f["teacher_uncut"], n) if "teacher_uncut" in f else "   -"
        ms = f"{f['ms_nine']:.0f}/{f['teacher_ms_nine']:.0f}" if "teacher_ms_nine" in f else f"{f['ms_nine']:.0f}/-"
        lines.append(f"{cat:22} {_pct(f['app'], n):>5} {_pct(f['app_picked'], n):>6} {teacher:>7} "
                     f"{_pct(f['uncut'], n):>6} {_pct(f.get('past_teacher_length', 0), n):>5} {t_uncut:>7} "
                     f"{cont:>30} {tcont:>13} {ms:>15}")
        tot["app"] += f["app"]
        tot["app_picked"] += f["app_picked"]
        tot["uncut"] += f["uncut"]
        tot["n"] += n
        if "teacher" in f:
            tot["teacher"] += f["teacher"]
            tot["teacher_uncut"] += f["teacher_uncut"]
            tot["nt"] += n
    lines.append(f"{'all':22} {_pct(tot['app'], tot['n']):>5} {_pct(tot['app_picked'], tot['n']):>6} "
                 f"{_pct(tot['teacher'], tot['nt']):>7} {_pct(tot['uncut'], tot['n']):>6} {'':>5} "
                 f"{_pct(tot['teacher_uncut'], tot['nt']):>7}")
    return lines


def bench_doodle(categories: list[str] | None = None, count: int = COUNT) -> tuple[list[str], dict]:
    from artdesk.engines.doodle_io import shipped_categories

    cats = categories or shipped_categories()
    if not cats:
        return ["no doodle model is installed (python -m artdesk.training.student init)"], {}
    judge, judge_name = open_judge()
    figures = {c: category_figures(c, judge, count) for c in cats}
    return table(figures, judge_name), figures
