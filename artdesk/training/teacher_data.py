"""Training drawings sampled from Google's decoder-only sketch-rnn models (the teachers).

Quick, Draw! at full scale cannot be had here, so for categories other than sheep a published
`.gen.json` model draws the training set: tens of thousands of drawings at temperatures spread
over a range (low = tidy, high = varied), kept only when they end by themselves. The drawings
are stroke-3 in the teacher's own units, saved as npz (train/valid/test) with the teacher's
scale factor, so a student trained on them is normalised exactly like its teacher.

    python -m artdesk.training.teacher_data bird --n 20000 --out checkpoints/data/bird.npz
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from artdesk.engines.doodle import sample_doodles
from artdesk.engines.progress import run_to_end
from artdesk.engines.sketch_format import load_stroke3_npz, save_stroke3_npz
from artdesk.engines.sketch_rnn_js import JsDoodleModel, load_sketch_rnn_js
from artdesk.paths import shared_data_dir

TEMPERATURES = (0.25, 0.9)


def teacher_path(category: str) -> Path:
    return shared_data_dir() / "sketch" / "google_gen" / f"{category}.gen.json"


def sample_teacher_drawings(teacher: JsDoodleModel, n: int, seed: int = 0,
                            temperatures: tuple[float, float] = TEMPERATURES, batch: int = 500,
                            min_points: int = 8) -> tuple[list[np.ndarray], list[float]]:
    """n finished drawings (stroke-3, teacher units) and the temperature each was drawn at."""
    rng = np.random.default_rng(seed)
    drawings: list[np.ndarray] = []
    temps: list[float] = []
    round_ = 0
    while len(drawings) < n:
        temperature = float(rng.uniform(*temperatures))
        result = run_to_end(sample_doodles(teacher, batch, seed=seed * 100003 + round_, temperature=temperature,
                                           max_steps=teacher.max_seq_len + 1, yield_every=10**9))
        round_ += 1
        for d in result:
            # a drawing that hit max_steps has no end of its own; too short ones are scribbles
            if min_points <= len(d) <= teacher.max_seq_len and np.isfinite(d).all():
                drawings.append(np.round(d, 2).astype(np.float32))
                temps.append(temperature)
    return drawings[:n], temps[:n]


def make_teacher_dataset(category: str, out: str | Path, n_train: int = 20000, n_valid: int = 500,
                         n_test: int = 500, seed: int = 1, log=print) -> Path:
    """Sample and save <category> drawings from its teacher; returns the npz path (kept if present)."""
    out = Path(out)
    if out.exists():
        return out
    teacher = load_sketch_rnn_js(teacher_path(category))
    t0 = time.time()
    total = n_train + n_valid + n_test
    drawings, temps = sample_teacher_drawings(teacher, total, seed=seed)
    order = np.random.default_rng(seed).permutation(total)
    drawings = [drawings[i] for i in order]
    temps = np.asarray(temps, np.float32)[order]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.npz")
    save_stroke3_npz(tmp, train=drawings[:n_train], valid=drawings[n_train:n_train + n_valid],
                     test=drawings[n_train + n_valid:])
    with np.load(tmp, allow_pickle=True) as data:
        arrays = dict(data)
    arrays["temperature"] = temps
    arrays["scale_factor"] = np.float32(teacher.scale_factor)
    arrays["max_seq_len"] = np.int32(teacher.max_seq_len)
    np.savez_compressed(tmp, **arrays)
    tmp.replace(out)
    log(f"teacher data {category}: {total} drawings in {time.time() - t0:.0f} s, mean length "
        f"{np.mean([len(d) for d in drawings]):.1f}, temperatures {TEMPERATURES}")
    return out


def load_teacher_dataset(path: str | Path) -> tuple[dict[str, list[np.ndarray]], float, int]:
    """(splits, teacher scale factor, teacher max_seq_len) of a saved teacher data set."""
    splits = load_stroke3_npz(path)
    with np.load(path, allow_pickle=True) as data:
        scale, max_len = float(data["scale_factor"]), int(data["max_seq_len"])
    return {k: splits[k] for k in ("train", "valid", "test")}, scale, max_len


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("category")
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    make_teacher_dataset(args.category, args.out, n_train=args.n, seed=args.seed)


if __name__ == "__main__":
    main()
