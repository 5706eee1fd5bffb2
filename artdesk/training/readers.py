"""Reader VAEs: a second, smaller sketch-rnn per category whose latent reads the drawing.

The students (artdesk.training.student) draw Random and Continue exactly as their Google teacher,
but their latent reads nothing yet, so Redraw, Morph and Mix use a *reader* of the category: an
encoder and its own 256-unit decoder, trained by artdesk.training.sketch_rnn on drawings sampled
from the teacher (artdesk.training.teacher_data). Redraw keeps the student's drawings whose reader
latent is nearest the doodle's (doodle_io.doodle_job); Morph and Mix decode with the reader. The
real Quick, Draw! drawings are never trained on: they are the held-out set of the carry measure
(artdesk.bench_doodle_carry), which decides whether a reader ships.

Readers live in models/doodle/readers/<category>.{json,encoder.onnx,decoder.onnx}, manifest ids
doodle/readers/<category>.encoder|decoder. The first seven (bird, rabbit, palm_tree, bicycle, dog,
hedgehog, ambulance) are the project's VAEs of before the students (git 7f1cac1, KL tolerance
0.2). New ones start from one of them (same size) and train with a larger KL tolerance, decoder
input dropout and a layout head (reader_hparams) so the latent carries the drawing's layout.

    python -m artdesk.training.readers --plan ant:9 bear:9   (trains into checkpoints/readers)
    python -m artdesk.training.readers --publish ant bear    (measures, then ships those that carry)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

from artdesk.paths import models_dir
from artdesk.training.manifest import atomic_write_bytes, write_manifest_entries
from artdesk.training.sketch_rnn import (REPO, HParams, doodle_manifest_entries, parse_plan, start_run,
                                         train_category)

CKPT = REPO / "checkpoints" / "readers"
STAGING = CKPT / "export" / "doodle"  # train_category's exports land here, not in models/
OLD_READERS = ("ambulance", "bicycle", "bird", "dog", "hedgehog", "palm_tree", "rabbit")
NEW_READERS = ("ant", "bear", "dolphin", "lobster", "monkey", "parrot", "rhinoceros", "sheep", "tiger")
# the shipped reader each new one starts from (a bird for the birds, fish and insects; a dog for mammals);
# an old reader trained on again starts from itself
INIT_FROM = {"ant": "bird", "dolphin": "bird", "lobster": "bird", "parrot": "bird",
             "bear": "dog", "monkey": "bear", "rhinoceros": "bear", "sheep": "bear", "tiger": "bear",
             "dog": "bear", "hedgehog": "bear", "rabbit": "bear", "bicycle": "ambulance", "palm_tree": "bird"}
# (the old dog, hedgehog, rabbit, bicycle and palm tree readers do not carry and do not ship, so they
# start again from a shipped reader of a similar shape: the bear for the mammals, the ambulance's
# wheels for the bicycle, the bird for the palm tree; a source that is not shipped means a start from
# scratch)
KL_TOLERANCE = 1.0  # the old readers: 0.2, and their KL sat exactly there
INPUT_DROPOUT = 0.4  # the decoder sees 60% of the previous points: the rest must come from z
LAYOUT_WEIGHT = 1.0  # z also predicts the drawing's blurred 8x8 raster (a training-only head)


def readers_dir() -> Path:
    return models_dir() / "doodle" / "readers"


def reader_hparams() -> HParams:
    """The old readers' size (128+128 encoder, 256 decoder, z 64) with KL free up to 1.0 per
    dimension (64 nats) instead of 0.2, so recon, not the KL term, decides how much z carries, and
    the decoder's inputs dropped at INPUT_DROPOUT so that it needs z to draw, and z made to predict the
    drawing's layout (LAYOUT_WEIGHT) so that what it carries is where the lines are."""
    return HParams(kl_weight=0.5, kl_tolerance=KL_TOLERANCE, kl_decay_rate=0.999, input_dropout=INPUT_DROPOUT,
                   layout_weight=LAYOUT_WEIGHT)


def train(plan: list[tuple[str, float]], ckpt_every_s: float, log, seed: int = 1) -> None:
    for category, minutes in plan:
        source = INIT_FROM.get(category, category if category in OLD_READERS else None)  # an old one: itself
        init = (source, readers_dir()) if source and (readers_dir() / f"{source}.json").exists() else None
        try:
            train_category(category, minutes, hp=reader_hparams(), seed=seed, ckpt_every_s=ckpt_every_s, log=log,
                           out_dir=STAGING, ckpt_dir=CKPT, init_from=init)
        except Exception as exc:  # one failed category must not stop the others
            import traceback
            log(f"{category}: FAILED {exc!r}\n{traceback.format_exc()}")


def reader_manifest_entries(category: str, folder: Path | None = None) -> list[dict]:
    """The manifest entries of a reader: ids doodle/readers/<category>.encoder|decoder, files
    and description relative to the models folder."""
    folder = Path(folder or readers_dir())
    meta = json.loads((folder / f"{category}.json").read_text("utf-8"))
    entries = doodle_manifest_entries(category, meta, folder)
    for e in entries:
        part = e["id"].rsplit(".", 1)[1]
        e["id"] = f"doodle/readers/{category}.{part}"
        e["file"] = f"doodle/readers/{meta['files'][part]}"
        e["meta"] = f"doodle/readers/{category}.json"
        e["training"]["script"] = "python -m artdesk.training.readers"
        e["role"] = "reader"
    return entries


def student_extent(category: str) -> float | None:
    """The span of the category's teacher drawings (the student's typical_extent): a reader, trained
    on the same teacher's drawings, reads a doodle in that frame too."""
    student = models_dir() / "doodle" / f"{category}.json"
    try:
        return json.loads(student.read_text("utf-8")).get("typical_extent")
    except (OSError, ValueError):
        return None


def publish(category: str, carry: dict | None = None, source: Path = STAGING, log=print) -> None:
    """Ship a reader: copy a staged export (new readers) into models/doodle/readers, record its
    carry figures in the description, and list both files in the manifest."""
    folder = readers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    if Path(source).resolve() != folder.resolve():
        for suffix in ("encoder.onnx", "decoder.onnx"):
            shutil.copyfile(source / f"{category}.{suffix}", folder / f"{category}.{suffix}")
        meta = json.loads((source / f"{category}.json").read_text("utf-8"))
    else:
        meta = json.loads((folder / f"{category}.json").read_text("utf-8"))
    meta["role"] = "reader"
    if student_extent(category):  # drawings read in the same frame as the student's
        meta["typical_extent"] = student_extent(category)
    if carry is not None:
        meta["carry"] = carry
    atomic_write_bytes(folder / f"{category}.json", json.dumps(meta, indent=1).encode())
    write_manifest_entries(reader_manifest_entries(category, folder), models_dir() / "manifest.json")
    log(f"reader {category}: published")
    write_card()


def withdraw(category: str, log=print) -> None:
    """Take a reader off the manifest (it did not carry the drawing); its files are removed."""
    path = models_dir() / "manifest.json"
    data = json.loads(path.read_text("utf-8"))
    ids = {f"doodle/readers/{category}.encoder", f"doodle/readers/{category}.decoder"}
    data["models"] = [m for m in data["models"] if m.get("id") not in ids]
    atomic_write_bytes(path, (json.dumps(data, indent=1) + "\n").encode())
    for suffix in ("json", "encoder.onnx", "decoder.onnx"):
        (readers_dir() / f"{category}.{suffix}").unlink(missing_ok=True)
    log(f"reader {category}: withdrawn")
    write_card()


def write_card() -> None:
    from artdesk.training.sketch_rnn import write_model_card

    write_model_card(models_dir() / "doodle")


def origin(category: str, source: Path, meta: dict | None = None) -> str:
    """Where a reader's weights come from, for the card."""
    import time

    meta = meta or {}
    hp = meta.get("hparams", {})
    if not hp.get("input_dropout") and category in OLD_READERS:
        return ("the project's own VAE of before the students (git 7f1cac1, models/doodle/" + category + ".*), "
                "restored as it was")
    start = INIT_FROM.get(category, category)
    which = "git 7f1cac1"
    try:  # the source was already the retrained one when this reader's training began
        src = json.loads((readers_dir() / f"{start}.json").read_text("utf-8"))
        tr = meta.get("training", {})
        began = time.mktime(time.strptime(tr["updated"], "%Y-%m-%d %H:%M:%S")) - float(tr["seconds"])
        made = time.mktime(time.strptime(src["training"]["updated"], "%Y-%m-%d %H:%M:%S"))
        if start != category and src["hparams"].get("input_dropout") and made < began:
            which = "the retrained one, itself from git 7f1cac1"
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return (f"trained from the weights of the {start} reader ({which}) by `python -m artdesk.training.readers`: "
            f"KL tolerance {hp.get('kl_tolerance')}, decoder input dropout {hp.get('input_dropout', 0.0)}, layout "
            f"loss weight {hp.get('layout_weight', 0.0)}")


def record(category: str, meta: dict, carry: dict, where: str) -> None:
    """measured.json: the carry figures of every reader measured, shipped or not (for the card)."""
    import time

    path = readers_dir() / "measured.json"
    readers_dir().mkdir(parents=True, exist_ok=True)
    data = json.loads(path.read_text("utf-8")) if path.exists() else {}
    old = not meta.get("hparams", {}).get("input_dropout")  # the VAEs of git 7f1cac1, kept apart from new ones
    data[f"{category} (7f1cac1)" if old else category] = {
        "category": category, "shipped": bool(carry.get("carries")), "origin": where, "carry": carry,
                      "measured": time.strftime("%Y-%m-%d %H:%M"), "hparams": meta.get("hparams"),
                      "training": {k: meta.get("training", {}).get(k) for k in
                                   ("data", "steps", "seconds", "seed", "updated", "held_out")},
                      "licence": meta.get("licence")}
    atomic_write_bytes(path, json.dumps(data, indent=1).encode())


def measure_and_publish(categories: list[str], source: Path, log=print, n_teacher: int | None = None) -> dict:
    """The carry figures of each staged (or shipped) reader; ship those that carry the drawing,
    take the others off the manifest. -> {category: figures}."""
    from artdesk.bench_doodle import open_judge
    from artdesk.bench_doodle_carry import CARRY_HEADER, N_TEACHER, carry_figures, carry_line
    from artdesk.engines.doodle import OnnxDoodleModel
    from artdesk.engines.doodle_io import open_shipped

    judge, judge_name = open_judge()
    log(CARRY_HEADER + f" [{judge_name}]")
    figures = {}
    for category in categories:
        model = OnnxDoodleModel.from_json(Path(source) / f"{category}.json")
        model.typical_extent = model.typical_extent or student_extent(category)  # as it will read once shipped
        model.meta["role"] = "reader"
        fig = carry_figures(model, category, judge, n_teacher or N_TEACHER, drawer=open_shipped(category))
        figures[category] = fig
        log(carry_line(category, fig))
        record(category, model.meta, fig, origin(category, Path(source), model.meta))
        if fig["carries"]:
            publish(category, fig, Path(source), log)
        else:
            t, r = fig["teacher"], fig.get("real", {})
            log(f"reader {category}: does not carry the drawing, not shipped: Redraw vs a random {category} drawing "
                f"{t['gain']:+.3f} +- {t['gain_se']:.3f} on teacher samples"
                + (f", {r['gain']:+.3f} on {r['n']} real drawings" if r else "") + " (needs > 2 SE and > 0)")
            withdraw(category, log) if Path(source).resolve() != readers_dir().resolve() else None
    return figures


def sample_sheet(categories: list[str], path: Path, cell: int = 96) -> None:
    """The card's picture: per shipped reader, two held-out real Quick, Draw! drawings (grey), each
    followed by its first three Redraws as the app makes them (doodle_job: the student's drawings
    kept by the reader's latent), the reader's own decoding of the drawing, and Morph's first frame as
    the app makes it (doodle_io.walk_by_reading)."""
    import numpy as np
    from PIL import Image, ImageDraw

    from artdesk.bench_doodle import real_drawings
    from artdesk.bench_doodle_carry import _inputs, _redraws
    from artdesk.engines.doodle_io import APP_TEMPERATURE, Request, doodle_job, open_reader
    from artdesk.engines.progress import run_to_end
    from artdesk.engines.recognise import raster
    from artdesk.engines.sketch_format import stroke3_to_lines

    rows, labels = [], []
    for category in categories:
        model = open_reader(category)
        real = [d for d in real_drawings(category) if len(d) >= 5][:2]
        for i, d in enumerate(_inputs(model, real)):
            lines = [ln for ln in stroke3_to_lines(d) if len(ln)]
            redraws = run_to_end(doodle_job(Request("redraw", category, 1 + i, APP_TEMPERATURE, lines=lines,
                                                    count=3))).candidates
            decoded = _redraws(model, [d], APP_TEMPERATURE, seed=1 + i)
            first = run_to_end(doodle_job(Request("morph", category, 11 + i, APP_TEMPERATURE,
                                                  lines=lines))).candidates[:1]  # the app's first frame
            cells = [raster(x, cell, 2.0) for x in [d, *redraws, *decoded, *first]]
            cells[0] = cells[0] * 0.45  # the input in grey
            rows.append(np.concatenate([np.pad(c, 2) for c in cells], 1))
            labels.append(category.replace("_", " "))
    if not rows:
        return
    sheet = np.concatenate(rows, 0)
    img = Image.fromarray(np.uint8(255 - sheet * 255)).convert("RGB")
    head = 18
    out = Image.new("RGB", (110 + img.width, img.height + head), "white")
    out.paste(img, (110, head))
    draw = ImageDraw.Draw(out)
    for j, title in enumerate(["real drawing", "Redraw 1", "Redraw 2", "Redraw 3", "reader decodes", "Morph 0%"]):
        draw.text((110 + j * (cell + 4) + 4, 3), title, fill=(0, 0, 0))
    for i, label in enumerate(labels):
        draw.text((4, head + i * (cell + 4) + cell // 2 - 6), label, fill=(0, 0, 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    out.save(path, optimize=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plan", nargs="+", default=[f"{c}:9" for c in NEW_READERS],
                        help="category:minutes, trained in order (default: the 9 new readers, 9 min each)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--ckpt-every", type=float, default=180.0, help="seconds between checkpoints/exports")
    parser.add_argument("--log", default=str(CKPT / "train.log"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--publish", nargs="*", default=None, metavar="CATEGORY",
                        help="measure these staged readers (checkpoints/readers/export) and ship those that carry")
    parser.add_argument("--shipped", action="store_true",
                        help="with --publish: measure the readers in models/doodle/readers instead; keep those that "
                             "carry (their figures go into their description), report the others")
    parser.add_argument("--n", type=int, default=None, help="held-out teacher drawings per category for the measure")
    parser.add_argument("--sheet", action="store_true",
                        help="draw the card's picture (models/doodle/readers/samples.png) from the shipped readers")
    args = parser.parse_args(argv)
    log = start_run(args.threads, args.log)
    if args.sheet:
        from artdesk.engines.doodle_io import reader_categories

        sample_sheet(reader_categories(), readers_dir() / "samples.png")
        write_card()
        return
    if args.publish is not None:
        measure_and_publish(args.publish, readers_dir() if args.shipped else STAGING, log, args.n)
        return
    log(f"readers plan {args.plan} threads {args.threads} pid {os.getpid()}")
    train(parse_plan(args.plan), args.ckpt_every, log, args.seed)
    log("plan done")


if __name__ == "__main__":
    main()
