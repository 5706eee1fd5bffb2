"""Students of Google's sketch-rnn teachers: a VAE whose decoder starts as its teacher.

Magenta published decoder-only sketch-rnn models (Apache-2.0) for 16 Quick, Draw! categories
(../shared/data/sketch/google_gen): an LSTM of 512 units over stroke-5 with a 20-component mixture
head. A student is our sketch-rnn VAE (artdesk.training.sketch_rnn) with the same decoder: the
teacher's LSTM and mixture weights, zero columns for the latent's inputs and a zero latent ->
initial state layer (tanh(0) = the teacher's zero state), the teacher's zero start token. At step 0
it draws exactly what its teacher draws, whatever z is, so Random is teacher-level before any
training; training then spends on the encoder and the latent: reconstruction of fresh teacher
drawings (a new set every few steps, never a fixed 20k) plus the KL term, the latent's columns and
the encoder at the full learning rate, the rest of the decoder fine-tuned at a small fraction of it.

    python -m artdesk.training.student init                 # export every student at step 0
    python -m artdesk.training.student --plan sheep:20 bird:10   # train (resumable), re-exporting

The decoder's matrices ship as int16 with Magenta's scale (see sketch_rnn._int16_weight): 17
students of 512 units would be ~100 MB in float32.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn as nn

from artdesk.engines.sketch_format import load_quickdraw_stroke3
from artdesk.engines.sketch_rnn_js import JsDoodleModel, load_sketch_rnn_js
from artdesk.paths import models_dir, shared_data_dir
from artdesk.training.sketch_rnn import (REPO, HParams, SketchRNN, StrokeData, evaluate, export_model,
                                         model_from_onnx, scheduled_loss, start_run)
from artdesk.training.teacher_data import sample_teacher_drawings, teacher_path

CHECKPOINTS = REPO / "checkpoints" / "doodle_student"
LICENCE = ("Apache-2.0 (decoder initialised from Magenta's sketch-rnn {cat}.gen.json, Apache-2.0, and trained on "
           "drawings sampled from it; the teacher was trained on Google's Quick, Draw! data, CC BY 4.0)")
LATENT = "inputs"  # "inputs": z feeds every decoder step and its initial state (Magenta); "state": the initial state only
DEC_LR_RATIO = 0.0  # the teacher's own decoder weights move at this fraction of the learning rate (0: frozen)
TEMPERATURES = (0.2, 0.7)  # fresh teacher drawings: around the app's default temperature (0.25)
REFILL = 200  # teacher drawings sampled per refill of the training pool
POOL = 1000  # the training pool: the newest drawings; each refill replaces the oldest


def teacher_categories() -> list[str]:
    return sorted(p.name[:-len(".gen.json")] for p in (shared_data_dir() / "sketch" / "google_gen").glob("*.gen.json"))


STEP_ROOM = 1.5  # a student may draw this many times its teacher's max_seq_len steps (see student_hparams)


def student_hparams(teacher: JsDoodleModel) -> HParams:
    """max_seq_len (the app's budget of steps for a drawing) is STEP_ROOM x the teacher's: at the
    teacher's own limit about 19% of its drawings at temperature 0.25 are cut off before they end
    (bear 49%), at 1.5x about 1%; they end a few strokes later, they do not scribble on."""
    return HParams(enc_units=128, dec_units=teacher.num_units, z_size=64,
                   max_seq_len=int(round(STEP_ROOM * teacher.max_seq_len)),
                   batch_size=50, lr=1e-3, lr_decay=0.9999, kl_weight=0.5, kl_weight_start=0.01,
                   kl_decay_rate=0.998, kl_tolerance=0.5, drop_point_prob=0.0, random_scale=0.10, zero_start=True)


def _igfo_to_ifgo(w: np.ndarray) -> np.ndarray:
    """Gate blocks along the last axis: sketch-rnn-js i, g, f, o -> torch i, f, g, o."""
    i, g, f, o = np.split(w, 4, axis=-1)
    return np.concatenate([i, f, g, o], axis=-1)


def student_from_teacher(teacher: JsDoodleModel, hp: HParams | None = None, seed: int = 1) -> SketchRNN:
    """A VAE that draws as `teacher` does: its decoder is the teacher's (forget bias folded in),
    the latent's input columns and the latent -> initial state layer are zero."""
    if teacher.z_size:
        raise ValueError("a student is made from a decoder-only (.gen.json) teacher")
    hp = hp or student_hparams(teacher)
    torch.manual_seed(seed)
    model = SketchRNN(hp)
    w, b = teacher.dec_w, teacher.dec_b  # (5 + H, 4H) and (4H,), forget bias already added
    with torch.no_grad():
        model.decoder.weight_ih_l0.zero_()
        model.decoder.weight_ih_l0[:, :5] = torch.from_numpy(_igfo_to_ifgo(w[:5]).T.copy())
        model.decoder.weight_hh_l0.copy_(torch.from_numpy(_igfo_to_ifgo(w[5:]).T.copy()))
        model.decoder.bias_ih_l0.copy_(torch.from_numpy(_igfo_to_ifgo(b)))
        model.decoder.bias_hh_l0.zero_()
        model.fc_out.weight.copy_(torch.from_numpy(teacher.out_w.T.copy()))
        model.fc_out.bias.copy_(torch.from_numpy(teacher.out_b))
        model.fc_init.weight.zero_()
        model.fc_init.bias.zero_()
        model.fc_presig.bias.fill_(-2.0)  # start with a narrow posterior: z near mu, little noise into the teacher
    return model.eval()


def label_of(category: str) -> str:
    return category.replace("_", " ")


LATENT_GAIN = 0.05  # held-out recon gained by the latent before Redraw, Morph and Mix are offered


def latent_carries(training: dict) -> bool:
    """Whether the latent carries the drawing: on held-out teacher drawings the encoder's z lowers
    the reconstruction loss by LATENT_GAIN or more against z = 0 (at step 0 it carries nothing)."""
    held = (training.get("held_out") or {}).get("teacher_samples") or {}
    return "recon" in held and held["recon_without_z"] - held["recon"] >= LATENT_GAIN


def typical_extent(teacher: JsDoodleModel, n: int = 60) -> float:
    """The median longer side of the teacher's drawings at the app's temperature, in scale factors:
    a user's doodle is scaled to it before the student reads it (doodle.frame_scale)."""
    from artdesk.engines.doodle import sample_doodles
    from artdesk.engines.progress import run_to_end

    drawings = run_to_end(sample_doodles(teacher, n, seed=12345, temperature=0.25, min_points=10,
                                         yield_every=10**9))
    sides = [np.ptp(np.cumsum(d[:, :2], axis=0), axis=0).max() / teacher.scale_factor for d in drawings if len(d) > 5]
    return round(float(np.median(sides)), 2)


def export_student(model: SketchRNN, category: str, scale_factor: float, training: dict,
                   out_dir: Path | None = None, bench: dict | None = None) -> dict:
    teacher = load_sketch_rnn_js(teacher_path(category))
    extra = {"label": label_of(category), "teacher": f"{category}.gen.json (Magenta sketch-rnn, Apache-2.0)",
             "typical_extent": typical_extent(teacher), "reads_drawings": latent_carries(training),
             "ends_after": teacher.max_seq_len}
    if bench:
        extra["bench"] = bench
    return export_model(model, category, scale_factor, training, out_dir, LICENCE.format(cat=category),
                        weights="int16", extra=extra)


def step0_training(category: str) -> dict:
    return {"data": f"none yet: the decoder is Magenta's {category}.gen.json as published",
            "steps": 0, "seconds": 0.0, "seed": 1, "finished": False,
            "updated": time.strftime("%Y-%m-%d %H:%M:%S"), "held_out": {}}


def init_students(categories: list[str], out_dir: Path | None = None, log: Callable[[str], None] = print) -> None:
    """Export every category's student at step 0 (Random = its teacher)."""
    for category in categories:
        teacher = load_sketch_rnn_js(teacher_path(category))
        model = student_from_teacher(teacher)
        export_student(model, category, teacher.scale_factor, step0_training(category), out_dir)
        log(f"{category}: student exported at step 0 ({teacher.num_units} units, max_seq_len {model.hp.max_seq_len})")


# --- training ------------------------------------------------------------------------------------

class TeacherPool:
    """Fresh training drawings: the teacher draws REFILL new ones every few steps into a pool of the
    POOL newest (stroke-3, teacher units, only drawings that ended by themselves)."""

    def __init__(self, teacher: JsDoodleModel, seed: int, round_: int = 0) -> None:
        self.teacher, self.seed, self.round = teacher, seed, round_
        self.drawings: list[np.ndarray] = []

    def refill(self) -> None:
        self.round += 1
        new, _ = sample_teacher_drawings(self.teacher, REFILL, seed=self.seed * 1_000_003 + self.round,
                                         temperatures=TEMPERATURES, batch=REFILL)
        self.drawings = (self.drawings + new)[-POOL:]

    def batch(self, size: int, rng: np.random.Generator) -> list[np.ndarray]:
        while len(self.drawings) < POOL:
            self.refill()
        rows = rng.choice(len(self.drawings), size, replace=False)
        return [self.drawings[i] for i in rows]


def lr_masks(model: SketchRNN) -> dict[str, torch.Tensor]:
    """Per-weight learning-rate factors: DEC_LR_RATIO on the teacher's decoder weights, 1 on the
    latent's input columns and everything else (encoder, latent layers)."""
    masks = {}
    z0, z1 = 5, 5 + model.hp.z_size
    for name, p in model.named_parameters():
        if name.startswith("decoder.") or name.startswith("fc_out."):
            m = torch.full_like(p, DEC_LR_RATIO)
            if name == "decoder.weight_ih_l0":
                m[:, z0:z1] = 1.0
            masks[name] = m
    return masks


def real_drawings(category: str, max_len: int) -> list[np.ndarray]:
    path = shared_data_dir() / "sketch" / "quickdraw_real" / f"{label_of(category)}.ndjson"
    if not path.exists():
        return []
    return [d for d in load_quickdraw_stroke3(path, size=None) if 2 <= len(d) <= max_len]


def latent_metrics(model: SketchRNN, real: StrokeData) -> dict:
    """Held-out loss on real drawings with the encoder's z, and with z = 0: the gap is what the
    latent carries of the drawing (0 at step 0)."""
    with_z = evaluate(model, real)
    saved = model.fc_mu.weight.detach().clone(), model.fc_mu.bias.detach().clone()
    with torch.no_grad():
        model.fc_mu.weight.zero_()
        model.fc_mu.bias.zero_()
        no_z = evaluate(model, real)
        model.fc_mu.weight.copy_(saved[0])
        model.fc_mu.bias.copy_(saved[1])
    return {"recon": with_z["recon"], "kl": with_z["kl"], "recon_without_z": no_z["recon"],
            "drawings": with_z["drawings"]}


def train_student(category: str, minutes: float, seed: int = 1, ckpt_every_s: float = 300.0,
                  log: Callable[[str], None] = print, out_dir: Path | None = None,
                  ckpt_dir: Path = CHECKPOINTS) -> dict:
    """Train (or resume) one student for a total of `minutes`; export at every checkpoint. Resumes
    from its checkpoint, else from the shipped ONNX (a fresh checkout), else from the teacher."""
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path = ckpt_dir / f"{category}.pt"
    teacher = load_sketch_rnn_js(teacher_path(category))
    state = torch.load(ckpt_path, weights_only=False) if ckpt_path.exists() else None
    step, elapsed, round_ = 0, 0.0, 0
    if state is not None:
        if state.get("elapsed", 0) >= minutes * 60:
            log(f"{category}: trained {state['elapsed'] / 60:.0f} min already, skipping")
            return state["training"]
        hp = HParams(**state["hparams"])
        model = SketchRNN(hp)
        model.load_state_dict(state["model"])
        step, elapsed, round_ = state["step"], state["elapsed"], state.get("round", 0)
        log(f"{category}: resumed at step {step} ({elapsed / 60:.1f} min done)")
    else:
        shipped = Path(out_dir or models_dir() / "doodle") / f"{category}.json"
        model = None
        import json

        shipped_steps = json.loads(shipped.read_text("utf-8")).get("training", {}).get("steps", 0) if shipped.exists() else 0
        if shipped_steps:  # a trained student shipped (a fresh checkout): go on from it
            try:
                model, _ = model_from_onnx(category, shipped.parent)
                log(f"{category}: starting from the shipped ONNX")
            except Exception as exc:  # noqa: BLE001 - an old or foreign export: start from the teacher
                log(f"{category}: shipped ONNX not usable ({exc}); starting from the teacher")
                model = None
        if model is None or model.hp.dec_units != teacher.num_units:
            model = student_from_teacher(teacher)
        hp = model.hp
    model.train()
    masks = lr_masks(model)
    if DEC_LR_RATIO == 0:  # frozen: no gradients to compute for the teacher's recurrent and output weights
        for p in (model.decoder.weight_hh_l0, model.decoder.bias_ih_l0, model.decoder.bias_hh_l0,
                  model.fc_out.weight, model.fc_out.bias):
            p.requires_grad_(False)
        masks = {"decoder.weight_ih_l0": masks["decoder.weight_ih_l0"]}
    if LATENT == "state" and state is None:
        # the latent sets the decoder's initial state only (its input columns stay zero), with the
        # full KL weight from the start and a low tolerance, so prior samples stay where training was
        hp = dataclasses.replace(hp, kl_weight=1.0, kl_weight_start=1.0, kl_tolerance=0.2)
        model.hp = hp
    if LATENT == "state":
        model.decoder.weight_ih_l0.requires_grad_(False)
        masks = {}
    opt = torch.optim.Adam(model.parameters(), lr=hp.lr)
    if state is not None and "optimizer" in state:
        opt.load_state_dict(state["optimizer"])
    rng = np.random.default_rng(seed * 7919 + step)
    pool = TeacherPool(teacher, seed, round_)
    real = StrokeData(real_drawings(category, hp.max_seq_len), teacher.scale_factor, hp.max_seq_len)
    held, _ = sample_teacher_drawings(teacher, 200, seed=999_983, temperatures=TEMPERATURES, batch=200)
    held = StrokeData(held, teacher.scale_factor, hp.max_seq_len)
    t_start = time.time() - elapsed
    t_ckpt = time.time()
    recon_avg = kl_avg = float("nan")
    description = (f"drawings sampled fresh from Magenta's {category}.gen.json during training ({REFILL} new every "
                   f"few steps into a pool of the newest {POOL}, temperatures {TEMPERATURES[0]}-{TEMPERATURES[1]}, "
                   f"only those that end by themselves); held out: {len(real)} real Quick, Draw! drawings "
                   "(quickdraw_real)")

    def save() -> dict:
        nonlocal t_ckpt
        model.eval()
        metrics = latent_metrics(model, real) if len(real) else {}
        held_metrics = latent_metrics(model, held)
        training = {"data": description, "steps": step, "seconds": round(time.time() - t_start, 1), "seed": seed,
                    "train_recon": recon_avg, "train_kl": kl_avg, "finished": False,
                    "held_out": {"teacher_samples": held_metrics, **({"quickdraw_real": metrics} if metrics else {})},
                    "updated": time.strftime("%Y-%m-%d %H:%M:%S"), "threads": torch.get_num_threads(),
                    "decoder": f"initialised from the teacher, fine-tuned at {DEC_LR_RATIO} x the learning rate"}
        tmp = ckpt_path.with_suffix(".tmp")
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "hparams": dataclasses.asdict(hp),
                    "step": step, "elapsed": time.time() - t_start, "round": pool.round, "training": training}, tmp)
        tmp.replace(ckpt_path)
        export_student(model, category, teacher.scale_factor, training, out_dir)
        log(f"{category}: checkpoint step {step}, {training['seconds'] / 60:.1f} min | held-out teacher drawings "
            f"recon {held_metrics['recon']:.3f} (z = 0: {held_metrics['recon_without_z']:.3f}) KL "
            f"{held_metrics['kl']:.3f}" + (f" | real recon {metrics['recon']:.3f} (z = 0: "
                                           f"{metrics['recon_without_z']:.3f})" if metrics else ""))
        model.train()
        t_ckpt = time.time()
        return training

    budget = minutes * 60.0
    while time.time() - t_start < budget:
        drawings = pool.batch(hp.batch_size, rng)
        if step % 5 == 0:
            pool.refill()
        data = StrokeData(drawings, teacher.scale_factor, hp.max_seq_len)
        batch, lengths = data.make_batch(np.arange(len(data)), hp, rng)
        recon, kl, loss, lr, eta = scheduled_loss(model, opt, batch, lengths, hp, step)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), hp.grad_clip)
        before = {n: p.detach().clone() for n, p in model.named_parameters() if n in masks}
        opt.step()
        with torch.no_grad():
            for n, p in model.named_parameters():
                if n in masks:
                    p.copy_(before[n] + (p - before[n]) * masks[n])
        step += 1
        r, k = recon.item(), kl.item()
        recon_avg = r if math.isnan(recon_avg) else 0.95 * recon_avg + 0.05 * r
        kl_avg = k if math.isnan(kl_avg) else 0.95 * kl_avg + 0.05 * k
        if step % 10 == 0:
            log(f"{category}: step {step} recon {recon_avg:.3f} KL {kl_avg:.3f} eta {eta:.2f} "
                f"({(time.time() - t_start) / 60:.1f} min)")
        if time.time() - t_ckpt > ckpt_every_s:
            save()
    return save()


def record_figures(categories: list[str], count: int, log: Callable[[str], None] = print,
                   cache: Path | None = None, draw_only: bool = False) -> dict:
    """Run the bench figures (artdesk.bench_doodle) of each category, store them in its
    models/doodle/<category>.json as "bench" and rewrite the model card; returns them. cache: a
    folder keeping each category's drawings, so the drawing (the slow part) can run before the
    judge is trained (draw_only) and the judging after."""
    import json
    import pickle

    from artdesk.bench_doodle import draw_category, open_judge, score, table
    from artdesk.training.manifest import atomic_write_bytes
    from artdesk.training.sketch_rnn import write_model_card

    drawn = {}
    for category in categories:
        path = Path(cache) / f"{category}.{count}.pkl" if cache else None
        if path is not None and path.exists():
            drawn[category] = pickle.loads(path.read_bytes())  # our own cache file, written below
            continue
        t0 = time.time()
        drawn[category] = draw_category(category, count)
        log(f"{category}: drawn in {time.time() - t0:.0f} s")
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(pickle.dumps(drawn[category]))
    if draw_only:
        return {}
    judge, judge_name = open_judge()
    out_dir = models_dir() / "doodle"
    figures = {}
    for category, (fig, sets) in drawn.items():
        fig = score(fig, sets, judge, category)
        fig.update(judge=judge_name, updated=time.strftime("%Y-%m-%d %H:%M"))
        path = out_dir / f"{category}.json"
        meta = json.loads(path.read_text("utf-8"))
        meta["bench"] = fig
        atomic_write_bytes(path, json.dumps(meta, indent=1).encode())
        figures[category] = fig
    write_model_card(out_dir)
    for line in table(figures, judge_name):
        log(line)
    return figures


def main(argv: list[str] | None = None) -> None:
    global LATENT
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", choices=["init", "figures"],
                        help="init: export every category's student at step 0; figures: run the bench figures "
                             "and write them into the models' json and card")
    parser.add_argument("--categories", nargs="+", default=None,
                        help="init/figures: these only (default: every teacher / every shipped category)")
    parser.add_argument("--count", type=int, default=90, help="figures: Random drawings per model")
    parser.add_argument("--cache", default=None, help="figures: keep the drawings in this folder")
    parser.add_argument("--draw-only", action="store_true", help="figures: draw (into --cache), judge later")
    parser.add_argument("--plan", nargs="+", default=[], help="category:minutes (total), trained in order")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--latent", choices=["inputs", "state"], default=LATENT,
                        help="where the latent enters the decoder: every step's input and the initial state "
                             "(Magenta), or the initial state only")
    parser.add_argument("--ckpt-every", type=float, default=300.0)
    parser.add_argument("--log", default=str(CHECKPOINTS / "train.log"))
    args = parser.parse_args(argv)
    LATENT = args.latent
    log = start_run(args.threads, args.log)

    if args.command == "init":
        init_students(args.categories or teacher_categories(), log=log)
        return
    if args.command == "figures":
        from artdesk.engines.doodle_io import shipped_categories

        record_figures(args.categories or shipped_categories(), args.count, log=log, cache=args.cache,
                       draw_only=args.draw_only)
        return
    log(f"plan {args.plan} threads {args.threads} pid {os.getpid()}")
    for item in args.plan:
        category, _, minutes = item.partition(":")
        try:
            train_student(category, float(minutes or 10), ckpt_every_s=args.ckpt_every, log=log)
        except Exception as exc:  # noqa: BLE001 - one failed category must not stop the others
            import traceback
            log(f"{category}: FAILED {exc!r}\n{traceback.format_exc()}")
    log("plan done")


if __name__ == "__main__":
    main()
