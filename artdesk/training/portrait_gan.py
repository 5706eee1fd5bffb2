"""Train the Portraits GAN on KaoKore faces: `python -m artdesk.training.portrait_gan`.

Data: the 6,705 KaoKore faces (pre-modern Japanese paintings, CC BY-SA 4.0) in
../shared/data/portraits/kaokore_128, read once into a uint8 tensor at the training resolution.
The `train` split (5,848) is trained on; `dev` + `test` (857; `test` alone has only 12 faces) are
held out for the quality figure.

Model: DCGAN (Radford et al. 2015) generator (transposed convolutions, batch norm, ReLU, tanh)
against a spectrally normalised DCGAN discriminator (Miyato et al. 2018) with the hinge loss,
DiffAugment colour/translation/cutout on every image D sees (Zhao et al. 2020, for small data
sets), and an exponential moving average of G's weights (the EMA generator is the one exported).
Sized to train on one CPU thread.

Every checkpoint (~5 min): resumable state in checkpoints/portrait/last.pt, the EMA weights in
checkpoints/portrait/ema/, a sample grid in checkpoints/portrait/samples/, the quality figure (KID
in the feature space of a fixed random conv net, held-out real faces vs 1000 generated ones) in
checkpoints/portrait/metrics.jsonl, and the export: models/portrait/kaokore_gan.onnx (input
`z` float32 [N, zdim], output `rgb` float32 [N, 3, H, W] in [-1, 1]), kaokore_gan.json,
the manifest entry and MODEL_CARD.md.
"""

from __future__ import annotations

import argparse
import copy
import csv
import datetime as dt
import io
import json
import math
import platform
import time
import warnings
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

from artdesk.atomic import atomic_file
from artdesk.image_policy import IMPORT_FORMATS
from artdesk.paths import models_dir, shared_data_dir
from artdesk.training.manifest import sha256_of, write_manifest_entries

MODEL_ID = "portrait/kaokore_gan"
LICENCE = "CC BY-SA 4.0 (weights, shared alike; trained on KaoKore)"
ROOT = Path(__file__).resolve().parents[2]
CKPT_DIR = ROOT / "checkpoints" / "portrait"
SEED = 5
GRID_SEED = 1234
KID_SEED = 4321
KID_FAKES = 1000


def kaokore_dir() -> Path:
    return shared_data_dir() / "portraits" / "kaokore_128"


# --- data ----------------------------------------------------------------------------------------

def load_faces(data_dir: Path, size: int, cache: Path | None = None) -> dict[str, torch.Tensor]:
    """All faces as uint8 [N, 3, size, size] tensors by split ('train', 'held_out')."""
    if cache is not None and cache.is_file():
        with np.load(cache) as z:
            return {k: torch.from_numpy(z[k]) for k in z.files}
    splits: dict[str, list[np.ndarray]] = {"train": [], "held_out": []}
    with open(data_dir / "labels.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            with Image.open(data_dir / row["file"], formats=IMPORT_FORMATS) as im:  # the image policy
                im = im.convert("RGB")
                if im.size != (size, size):
                    im = im.resize((size, size), Image.LANCZOS)
                arr = np.asarray(im, dtype=np.uint8).transpose(2, 0, 1)
            splits["train" if row["split"] == "train" else "held_out"].append(arr)
    out = {k: np.stack(v) for k, v in splits.items()}
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(cache) as fh:
            np.savez(fh, **out)
    return {k: torch.from_numpy(v) for k, v in out.items()}


def to_float(batch_u8: torch.Tensor) -> torch.Tensor:
    return batch_u8.float().div_(127.5).sub_(1.0)


# --- DiffAugment (Zhao et al. 2020, policy color,translation,cutout) ---------------------------

AUGMENT_POLICIES = ("color", "translation", "cutout")
DEFAULT_AUGMENT = ",".join(AUGMENT_POLICIES)  # runs saved before --augment existed used all three


def parse_policy(text: str) -> tuple[str, ...]:
    """'color,translation,cutout' (any subset) or 'none' -> the parts, checked."""
    parts = tuple(p for p in (s.strip() for s in text.split(",")) if p and p != "none")
    bad = [p for p in parts if p not in AUGMENT_POLICIES]
    if bad:
        raise ValueError(f"unknown DiffAugment part(s) {', '.join(bad)}; use {', '.join(AUGMENT_POLICIES)} or none")
    return parts


def diff_augment(x: torch.Tensor, policy: tuple[str, ...] = AUGMENT_POLICIES) -> torch.Tensor:
    n = x.shape[0]
    dev = x.device
    if "color" in policy:  # brightness, saturation, contrast
        x = x + (torch.rand(n, 1, 1, 1, device=dev) - 0.5)
        mean = x.mean(dim=1, keepdim=True)
        x = (x - mean) * (torch.rand(n, 1, 1, 1, device=dev) * 2) + mean
        mean = x.mean(dim=[1, 2, 3], keepdim=True)
        x = (x - mean) * (torch.rand(n, 1, 1, 1, device=dev) + 0.5) + mean
    if "translation" in policy:
        x = _translate(x)
    if "cutout" in policy:
        x = _cutout(x)
    return x


def _translate(x: torch.Tensor) -> torch.Tensor:
    """Translation by up to 1/8 of the image, zero padded."""
    n, dev = x.shape[0], x.device
    h, w = x.shape[2], x.shape[3]
    sx, sy = int(h * 0.125 + 0.5), int(w * 0.125 + 0.5)
    tx = torch.randint(-sx, sx + 1, (n, 1, 1), device=dev)
    ty = torch.randint(-sy, sy + 1, (n, 1, 1), device=dev)
    gb, gx, gy = torch.meshgrid(torch.arange(n, device=dev), torch.arange(h, device=dev),
                                torch.arange(w, device=dev), indexing="ij")
    gx = torch.clamp(gx + tx + 1, 0, h + 1)
    gy = torch.clamp(gy + ty + 1, 0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1, 0, 0, 0, 0])
    return padded.permute(0, 2, 3, 1).contiguous()[gb, gx, gy].permute(0, 3, 1, 2)


def _cutout(x: torch.Tensor) -> torch.Tensor:
    """Cutout of a half-size square."""
    n, dev = x.shape[0], x.device
    h, w = x.shape[2], x.shape[3]
    ch, cw = int(h * 0.5 + 0.5), int(w * 0.5 + 0.5)
    ox = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), device=dev)
    oy = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), device=dev)
    gb, gx, gy = torch.meshgrid(torch.arange(n, device=dev), torch.arange(ch, device=dev),
                                torch.arange(cw, device=dev), indexing="ij")
    gx = torch.clamp(gx + ox - ch // 2, 0, h - 1)
    gy = torch.clamp(gy + oy - cw // 2, 0, w - 1)
    mask = torch.ones(n, h, w, dtype=x.dtype, device=dev)
    mask[gb, gx, gy] = 0
    return x * mask.unsqueeze(1)


# --- networks ------------------------------------------------------------------------------------

def _levels(resolution: int) -> int:
    if resolution not in (32, 64, 128):
        raise ValueError("resolution must be 32, 64 or 128")
    return int(math.log2(resolution)) - 2  # 4x4 -> resolution in that many doublings


class Generator(nn.Module):
    """DCGAN generator: z [N, zdim] -> RGB [N, 3, R, R] in [-1, 1]."""

    def __init__(self, zdim: int = 128, ngf: int = 48, resolution: int = 64):
        super().__init__()
        n = _levels(resolution)
        ch = [ngf * 2 ** (n - 1 - i) for i in range(n)]
        layers: list[nn.Module] = [nn.ConvTranspose2d(zdim, ch[0], 4, 1, 0, bias=False),
                                   nn.BatchNorm2d(ch[0]), nn.ReLU(True)]
        for a, b in zip(ch, ch[1:]):
            layers += [nn.ConvTranspose2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(ch[-1], 3, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.zdim = zdim
        for m in self.modules():
            if isinstance(m, nn.ConvTranspose2d):
                nn.init.normal_(m.weight, 0.0, 0.02)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.normal_(m.weight, 1.0, 0.02)
                nn.init.zeros_(m.bias)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.reshape(z.shape[0], self.zdim, 1, 1))


class Discriminator(nn.Module):
    """DCGAN discriminator, one real-valued score per image; `norm` "sn" puts spectral norm on every
    layer (Miyato et al. 2018), "bn" is DCGAN's batch norm (no norm on the first layer)."""

    def __init__(self, ndf: int = 32, resolution: int = 64, norm: str = "sn"):
        super().__init__()
        wrap = nn.utils.spectral_norm if norm == "sn" else (lambda m: m)
        n = _levels(resolution)
        ch = [ndf * 2 ** i for i in range(n)]
        layers: list[nn.Module] = [wrap(nn.Conv2d(3, ch[0], 4, 2, 1)), nn.LeakyReLU(0.2, True)]
        for a, b in zip(ch, ch[1:]):
            layers += [wrap(nn.Conv2d(a, b, 4, 2, 1, bias=norm != "bn"))]
            if norm == "bn":
                layers += [nn.BatchNorm2d(b)]
            layers += [nn.LeakyReLU(0.2, True)]
        layers += [wrap(nn.Conv2d(ch[-1], 1, 4, 1, 0))]
        self.net = nn.Sequential(*layers)
        if norm != "sn":
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.normal_(m.weight, 0.0, 0.02)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.normal_(m.weight, 1.0, 0.02)
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()


@torch.no_grad()
def ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    for pe, pm in zip(ema.parameters(), model.parameters()):
        pe.lerp_(pm, 1.0 - decay)


@torch.no_grad()
def standing_stats(g: Generator, batches: int = 16, batch: int = 64, seed: int = 0) -> None:
    """Batch-norm running statistics re-estimated for these (EMA) weights, then eval mode."""
    gen = torch.Generator().manual_seed(seed)
    for m in g.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the batches below
    g.train()
    for _ in range(batches):
        g(torch.randn(batch, g.zdim, generator=gen))
    for m in g.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = 0.1
    g.eval()


# --- quality figure: KID in a fixed random conv net's feature space ------------------------------

class RandomFeatures(nn.Module):
    """A fixed, seeded, untrained conv net; mean-pooled activations of its 4 stages (480 dims)."""

    def __init__(self, seed: int = KID_SEED):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        chans = [3, 32, 64, 128, 256]
        self.convs = nn.ModuleList()
        for a, b in zip(chans, chans[1:]):
            conv = nn.Conv2d(a, b, 3, 2, 1)
            with torch.no_grad():
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * math.sqrt(2.0 / (a * 9)))
                conv.bias.zero_()
            self.convs.append(conv)
        self.requires_grad_(False)

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=(64, 64), mode="area") if x.shape[-1] != 64 else x
        feats = []
        for conv in self.convs:
            x = F.relu(conv(x))
            feats.append(x.mean(dim=(2, 3)))
        return torch.cat(feats, dim=1)

    def of_images(self, images: torch.Tensor, batch: int = 250) -> np.ndarray:
        """images: uint8 or float in [-1, 1], [N, 3, H, W]."""
        out = []
        for i in range(0, len(images), batch):
            x = images[i:i + batch]
            out.append(self(to_float(x) if x.dtype == torch.uint8 else x.float()))
        return torch.cat(out).double().numpy()


def kid(fa: np.ndarray, fb: np.ndarray, subsets: int = 20, size: int = 500, seed: int = 0) -> tuple[float, float]:
    """Kernel Inception Distance's estimator (Binkowski et al. 2018): unbiased MMD^2 with the
    kernel (x.y/d + 1)^3, mean and std over random subsets."""
    rng = np.random.default_rng(seed)
    d = fa.shape[1]
    size = min(size, len(fa), len(fb))
    vals = []
    for _ in range(subsets):
        a = fa[rng.choice(len(fa), size, replace=False)]
        b = fb[rng.choice(len(fb), size, replace=False)]
        kaa = (a @ a.T / d + 1) ** 3
        kbb = (b @ b.T / d + 1) ** 3
        kab = (a @ b.T / d + 1) ** 3
        m = size
        mmd = ((kaa.sum() - np.trace(kaa)) / (m * (m - 1)) + (kbb.sum() - np.trace(kbb)) / (m * (m - 1))
               - 2 * kab.mean())
        vals.append(mmd)
    return float(np.mean(vals)), float(np.std(vals))


@torch.no_grad()
def generate(g: Generator, n: int, seed: int, batch: int = 100) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(n, g.zdim, generator=gen)
    return torch.cat([g(z[i:i + batch]) for i in range(0, n, batch)])


# --- images --------------------------------------------------------------------------------------

def grid_png(images: torch.Tensor, path: Path, cols: int = 8, pad: int = 2) -> None:
    arr = ((images.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    n, h, w, _ = arr.shape
    rows = (n + cols - 1) // cols
    canvas = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, 3), 255, np.uint8)
    for i, im in enumerate(arr):
        r, c = divmod(i, cols)
        canvas[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = im
    buf = io.BytesIO()
    Image.fromarray(canvas).save(buf, format="PNG")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as fh:
        fh.write(buf.getvalue())


# --- export --------------------------------------------------------------------------------------

def export_onnx(g: Generator, path: Path) -> None:
    """The generator as ONNX: input `z` float32 [N, zdim], output `rgb` float32 [N, 3, R, R] in [-1, 1]."""
    g = copy.deepcopy(g).eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with warnings.catch_warnings():  # the TorchScript exporter (no onnxscript needed) is deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(g, (torch.zeros(2, g.zdim),), buf, input_names=["z"], output_names=["rgb"],
                          dynamic_axes={"z": {0: "batch"}, "rgb": {0: "batch"}}, opset_version=17,
                          dynamo=False)
    with atomic_file(path) as fh:
        fh.write(buf.getvalue())


def model_card(meta: dict, history: list[dict]) -> str:
    tr, hp = meta["training"], meta["hparams"]
    lines = [
        "# Portrait GAN (KaoKore faces)", "",
        f"`{MODEL_ID}`: a GAN that paints faces in the manner of pre-modern Japanese paintings, "
        f"{meta['resolution']}x{meta['resolution']} RGB, trained by ArtDesk's own script "
        "`python -m artdesk.training.portrait_gan` on one CPU thread.", "",
        "## Data and licence", "",
        "KaoKore (ROIS-DS Center for Open Data in the Humanities, Tian et al. 2020): faces cropped from "
        "Japanese paintings and picture scrolls of the 16th-17th centuries. 6,705 faces at 128 px "
        "(../shared/data/portraits/kaokore_128, from GitHub 41enthusiast/ST-SACLF-ver1.1), "
        f"resized to {meta['resolution']} px. Trained on the `train` split ({tr['train_images']} faces, "
        f"with horizontal flips); `dev` + `test` ({tr['held_out_images']} faces) are held out for the "
        "quality figure (`test` alone has 12).", "",
        "**Licence: CC BY-SA 4.0.** The data is CC BY-SA 4.0, and these weights (kaokore_gan.onnx) are "
        "shared alike under CC BY-SA 4.0, with attribution: \"KaoKore dataset, ROIS-DS CODH\" "
        "(http://codh.rois.ac.jp/face/dataset/). Images the model makes are derived from it; credit "
        "KaoKore when you publish them.", "",
        "## Model", "",
        f"- generator: DCGAN (Radford et al. 2015): z ~ N(0, I) of {meta['zdim']} dims -> 4x4 -> "
        f"transposed 4x4 convolutions with batch norm and ReLU, doubling to {meta['resolution']} px, tanh; "
        f"width {hp['ngf']} at the last hidden layer; {tr['g_params']:,} parameters.",
        "- discriminator: DCGAN with "
        + ("spectral norm on every layer (Miyato et al. 2018)" if hp.get("d_norm", "sn") == "sn" else "batch norm")
        + f", LeakyReLU 0.2, width {hp['ndf']} at the first layer; "
        + ("hinge loss." if hp.get("loss", "hinge") == "hinge" else "non-saturating GAN loss."),
        "- DiffAugment (Zhao et al. 2020) "
        + " + ".join(parse_policy(hp.get("augment", DEFAULT_AUGMENT)) or ("no parts",))
        + " on every image the discriminator sees, real and generated (for a small data set).",
        f"- Adam lr {hp['lr_g']} (G) / {hp['lr_d']} (D), betas {tuple(hp['betas'])}, batch {hp['batch']}; "
        f"exponential moving average of G's weights (decay {hp['ema']}), batch-norm statistics "
        "re-estimated for the EMA weights; the EMA generator is the exported one.",
        f"- seed {tr['seed']}; torch {tr['torch']}; {tr['machine']}.", "",
        "ONNX: input `z` float32 [N, zdim] (any N), output `rgb` float32 [N, 3, H, W] in [-1, 1] "
        "(RGB, NCHW). `variation` in the app scales z toward 0 (the mean latent of a Gaussian z), "
        "the truncation trick. kaokore_gan.json holds zdim, resolution and the output range.", "",
        "## Training", "",
        f"- steps: {tr['steps']:,} (batches of {hp['batch']}; {tr['steps'] * hp['batch'] / tr['train_images']:.1f} epochs)",
        f"- training wall time: {tr['wall_s'] / 60:.1f} min ({tr['s_per_step']:.3f} s per step)",
        f"- checkpoints: every {hp['ckpt_minutes']} min; sample grids in checkpoints/portrait/samples/ "
        "(not committed)",
        *(["- why this set-up: the first shipped run (spectral norm + hinge loss, DiffAugment with cutout, "
        "width 48, Adam 1e-4/4e-4) stalled at KID x1000 1.18 after 8,758 steps (168 min) with faces that "
        "never got features. Plain DCGAN (batch-norm discriminator, non-saturating loss, Adam 2e-4 with "
        "beta1 0.5, width 64) with colour + translation DiffAugment passed it at step ~3,900 on the same "
        "data and figure, and its faces have outlines and hair in place."] if hp.get("d_norm") == "bn" else []), "",
        *(["## What the faces look like", "",
           "Looked at by eye, seeds 0-47 at variation 0.8: 9 of 48 faces have eyes and a mouth one can read "
           "(seeds 0, 2, 5, 6, 10, 18, 26, 35, 45); most others have hair, headgear, clothes and a face's "
           "outline in place but no features, and a few are scraps. KID was flat (0.50-0.56) from step ~6,500 "
           "to 13,812: more steps of this set-up do not help. A fine-tune of this generator against a projected "
           "discriminator (frozen VGG19 features with small trained heads, Sauer et al. 2021) for 1,089 steps "
           "(about an hour) lowered KID from 0.557 to 0.332 (+- 0.125), but left the faces visibly the same, "
           "and its raw generator began to fool the new discriminator with white masks and dotted eyes; "
           "it was not shipped.", ""]
          if hp.get("d_norm") == "bn" else []),
        "## Quality figure", "",
        "KID (kernel inception distance's estimator: unbiased MMD^2, cubic polynomial kernel, 20 subsets "
        "of 500) between the held-out real faces and 1,000 generated faces (fixed seed), in the feature "
        f"space of a fixed, untrained, seeded conv net (seed {KID_SEED}; 4 stride-2 3x3 convolutions, "
        "32-256 channels, ReLU, mean-pooled activations of every stage, 480 dims) at 64 px. Computed "
        "identically at every checkpoint. Lower is better; the floor is the same figure for 1,000 real "
        "training faces vs the held-out ones. Values x 1000. A random network's features see colour, "
        "tone and texture statistics, not semantics: use it to compare checkpoints of this model, "
        "not against published FID/KID numbers.", "",
        f"Floor (real train vs real held-out): **{tr['kid_floor'] * 1000:.3f}**", "",
        "| step | minutes | KID x1000 (+- std) |", "|---:|---:|---:|",
    ]
    for h in history:
        lines.append(f"| {h['step']:,} | {h['wall_s'] / 60:.1f} | {h['kid'] * 1000:.3f} (+- {h['kid_std'] * 1000:.3f}) |")
    lines += ["", f"Exported checkpoint: step {tr['steps']:,}.", ""]
    return "\n".join(lines)


# --- training ------------------------------------------------------------------------------------

class TrainerState:
    """What a GAN trainer's checkpoint holds and how it comes back: the networks (g, d, g_ema),
    both optimizers, step, wall time, history, arguments and torch's random state. The 64 px
    trainer and portrait_grow's share it."""

    def state(self) -> dict:
        return {"g": self.g.state_dict(), "d": self.d.state_dict(), "g_ema": self.g_ema.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(), "step": self.step,
                "wall_s": self.wall_s, "history": self.history, "args": vars(self.args),
                "torch_rng": torch.get_rng_state()}

    def load(self, st: dict) -> None:
        self.g.load_state_dict(st["g"])
        self.d.load_state_dict(st["d"])
        self.g_ema.load_state_dict(st["g_ema"])
        self.opt_g.load_state_dict(st["opt_g"])
        self.opt_d.load_state_dict(st["opt_d"])
        self.step, self.wall_s, self.history = st["step"], st["wall_s"], st["history"]
        torch.set_rng_state(st["torch_rng"])


class Trainer(TrainerState):
    def __init__(self, args):
        self.args = args
        torch.manual_seed(args.seed)
        self.g = Generator(args.zdim, args.ngf, args.resolution)
        self.d = Discriminator(args.ndf, args.resolution, args.d_norm)
        self.g_ema = copy.deepcopy(self.g).eval()
        self.g_ema.requires_grad_(False)
        betas = tuple(args.betas)
        self.opt_g = torch.optim.Adam(self.g.parameters(), args.lr_g, betas=betas)
        self.opt_d = torch.optim.Adam(self.d.parameters(), args.lr_d, betas=betas)
        self.policy = parse_policy(args.augment)
        self.step = 0
        self.wall_s = 0.0
        self.history: list[dict] = []

    def train_step(self, real_u8: torch.Tensor) -> tuple[float, float]:
        a = self.args
        real = to_float(real_u8)
        flip = torch.rand(real.shape[0]) < 0.5
        real[flip] = real[flip].flip(-1)
        z = torch.randn(real.shape[0], a.zdim)
        with torch.no_grad():
            fake = self.g(z)
        d_real = self.d(diff_augment(real, self.policy))
        d_fake = self.d(diff_augment(fake, self.policy))
        if a.loss == "hinge":
            loss_d = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
        else:  # the non-saturating GAN loss (Goodfellow et al. 2014, DCGAN)
            loss_d = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()

        z = torch.randn(real.shape[0], a.zdim)
        d_gen = self.d(diff_augment(self.g(z), self.policy))
        loss_g = -d_gen.mean() if a.loss == "hinge" else F.softplus(-d_gen).mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        decay = 0.0 if self.step < a.ema_start else a.ema
        ema_update(self.g_ema, self.g, decay)
        self.step += 1
        return float(loss_d.detach()), float(loss_g.detach())


def sync_ema_buffers(t: Trainer) -> None:
    for be, bm in zip(t.g_ema.buffers(), t.g.buffers()):
        be.copy_(bm)


def checkpoint(t: Trainer, faces: dict, feat_net: RandomFeatures, real_feats: np.ndarray,
               kid_floor: float, out_dir: Path, ckpt_dir: Path, log) -> None:
    started = time.perf_counter()
    a = t.args
    g = copy.deepcopy(t.g_ema)
    standing_stats(g)
    grid_png(generate(g, 64, GRID_SEED), ckpt_dir / "samples" / f"step_{t.step:06d}.png")
    fakes = generate(g, KID_FAKES, KID_SEED)
    k, k_std = kid(real_feats, feat_net.of_images(fakes))
    t.history = [h for h in t.history if h["step"] != t.step]
    t.history.append({"step": t.step, "wall_s": round(t.wall_s, 1), "kid": k, "kid_std": k_std})
    with open(ckpt_dir / "metrics.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({**t.history[-1], "time": dt.datetime.now().isoformat(timespec="seconds")}) + "\n")

    st = t.state()
    buf = io.BytesIO()
    torch.save(st, buf)
    with atomic_file(ckpt_dir / "last.pt") as fh:
        fh.write(buf.getvalue())
    (ckpt_dir / "ema").mkdir(exist_ok=True)
    torch.save({"g_ema": g.state_dict(), "args": vars(a), "step": t.step}, ckpt_dir / "ema" / f"step_{t.step:06d}.pt")

    onnx_path = out_dir / "kaokore_gan.onnx"
    export_onnx(g, onnx_path)
    g_params = sum(p.numel() for p in g.parameters())
    training = {
        "script": "python -m artdesk.training.portrait_gan",
        "data": "KaoKore faces (ROIS-DS CODH), ../shared/data/portraits/kaokore_128",
        "train_images": int(len(faces["train"])), "held_out_images": int(len(faces["held_out"])),
        "steps": t.step, "batch": a.batch, "wall_s": round(t.wall_s, 1),
        "s_per_step": round(t.wall_s / max(1, t.step), 4), "seed": a.seed,
        "kid_x1000": round(k * 1000, 4), "kid_floor_x1000": round(kid_floor * 1000, 4),
        "kid_floor": kid_floor, "g_params": g_params, "torch": torch.__version__,
        "machine": f"{platform.machine()} CPU, 1 thread",
        "finished": dt.datetime.now().isoformat(timespec="seconds"),
    }
    hparams = {k_: getattr(a, k_) for k_ in ("zdim", "ngf", "ndf", "resolution", "batch", "lr_g", "lr_d",
                                              "betas", "ema", "ema_start", "ckpt_minutes", "d_norm", "loss", "augment")}
    meta = {"kind": "dcgan", "id": MODEL_ID, "zdim": a.zdim, "resolution": a.resolution,
            "input": {"name": "z", "dtype": "float32", "shape": ["batch", a.zdim], "distribution": "N(0, I)"},
            "output": {"name": "rgb", "dtype": "float32", "shape": ["batch", 3, a.resolution, a.resolution],
                       "layout": "NCHW", "range": [-1.0, 1.0], "colour": "RGB"},
            "mean_latent": "zeros (Gaussian z: truncation scales z toward 0)",
            "licence": LICENCE, "hparams": hparams, "training": training}
    with atomic_file(out_dir / "kaokore_gan.json") as fh:
        fh.write((json.dumps(meta, indent=1) + "\n").encode())
    with atomic_file(out_dir / "MODEL_CARD.md") as fh:
        fh.write(model_card(meta, t.history).encode())
    entry = {"id": MODEL_ID, "file": "portrait/kaokore_gan.onnx", "sha256": sha256_of(onnx_path),
             "task": "portrait", "licence": LICENCE,
             "inputs": [{"name": "z", "dtype": "float32", "shape": ["batch", a.zdim]}],
             "outputs": [{"name": "rgb", "dtype": "float32", "shape": ["batch", 3, a.resolution, a.resolution],
                          "range": [-1.0, 1.0]}],
             "meta": "portrait/kaokore_gan.json", "card": "portrait/MODEL_CARD.md",
             "training": {k_: training[k_] for k_ in ("data", "steps", "batch", "wall_s", "seed",
                                                      "kid_x1000", "kid_floor_x1000", "finished")}}
    write_manifest_entries([entry], out_dir.parent / "manifest.json")
    log(f"checkpoint step {t.step} wall {t.wall_s / 60:.1f} min KID x1000 {k * 1000:.3f} (+- {k_std * 1000:.3f}) "
        f"floor {kid_floor * 1000:.3f}; exported {onnx_path.stat().st_size / 1e6:.1f} MB in "
        f"{time.perf_counter() - started:.1f} s")


def onnx_initializers(path: Path) -> dict[str, torch.Tensor]:
    """Every initializer of an ONNX file as a float32 tensor, by name (the weights of a module
    exported under its parameters' names)."""
    import onnx
    from onnx import numpy_helper

    return {i.name: torch.from_numpy(numpy_helper.to_array(i).astype(np.float32).copy())
            for i in onnx.load(str(path)).graph.initializer}


def state_from_onnx(path: Path) -> dict[str, torch.Tensor]:
    """The shipped 64 px generator's weights (and batch-norm statistics) from its ONNX file."""
    st = {name: t for name, t in onnx_initializers(path).items() if name.startswith("net.")}
    for name in [k for k in st if k.endswith("running_var")]:
        st[name.replace("running_var", "num_batches_tracked")] = torch.tensor(0)
    return st


def generator_from_onnx(onnx_path: Path) -> Generator:
    """The 64 px generator as a torch module in eval mode, its weights and batch-norm statistics
    read back from the exported ONNX file (the size from the model's description beside it)."""
    meta = json.loads(onnx_path.with_suffix(".json").read_text("utf-8"))
    g = Generator(int(meta["zdim"]), int(meta["hparams"]["ngf"]), int(meta["resolution"]))
    g.load_state_dict(state_from_onnx(onnx_path))
    return g.eval()


def load_ema_generator(path: Path | None = None) -> Generator:
    """The exported (EMA, batch-norm re-estimated) generator as a torch module in eval mode, from
    a snapshot in checkpoints/portrait/ema/ (the newest unless `path` is given); for comparing
    PyTorch with ONNX Runtime in `artdesk bench portrait`."""
    if path is None:
        snaps = sorted((CKPT_DIR / "ema").glob("step_*.pt"))
        if not snaps:  # a fresh clone: the same weights, rebuilt from the shipped ONNX
            return generator_from_onnx(models_dir() / "portrait" / "kaokore_gan.onnx")
        path = snaps[-1]
    st = torch.load(path, weights_only=False)
    a = st["args"]
    g = Generator(a["zdim"], a["ngf"], a["resolution"])
    g.load_state_dict(st["g_ema"])
    return g.eval()


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--out", type=Path, default=None, help="models/portrait (the export)")
    p.add_argument("--ckpt-dir", type=Path, default=CKPT_DIR)
    p.add_argument("--minutes", type=float, default=120.0, help="training time of this run")
    p.add_argument("--until", default=None, help="also stop by this machine time, HH:MM")
    p.add_argument("--max-steps", type=int, default=0)
    p.add_argument("--ckpt-minutes", type=float, default=5.0)
    p.add_argument("--resume", action="store_true", help="continue from <ckpt-dir>/last.pt")
    p.add_argument("--export-only", action="store_true",
                   help="no training: re-export models/portrait (ONNX, json, manifest, card) from last.pt")
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--resolution", type=int, default=64)
    p.add_argument("--zdim", type=int, default=128)
    p.add_argument("--ngf", type=int, default=48)
    p.add_argument("--ndf", type=int, default=64)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--d-norm", choices=["sn", "bn"], default="sn")
    p.add_argument("--loss", choices=["hinge", "ns"], default="hinge")
    p.add_argument("--augment", default=DEFAULT_AUGMENT,
                   help="DiffAugment parts applied to everything D sees: any of color,translation,cutout, or none")
    p.add_argument("--lr-g", type=float, default=1e-4)
    p.add_argument("--lr-d", type=float, default=4e-4)
    p.add_argument("--betas", type=float, nargs=2, default=[0.0, 0.9])
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--ema-start", type=int, default=1000)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--log-every", type=int, default=50)
    return p.parse_args(argv)


def run_log(ckpt_dir: Path) -> Callable[[str], None]:
    """A logger that prints each message with the time and appends it to ckpt_dir/train_log.txt."""
    log_file = open(ckpt_dir / "train_log.txt", "a", encoding="utf-8")

    def log(msg: str) -> None:
        line = f"{dt.datetime.now().strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    return log


def run_deadline(minutes: float, until: str | None, start: float | None = None) -> float:
    """When a run stops: `minutes` after `start` (now), or at the clock time `until` ("HH:MM",
    tomorrow if it has passed today), whichever comes first."""
    deadline = (time.time() if start is None else start) + minutes * 60
    if until:
        hh, mm = map(int, until.split(":"))
        now = dt.datetime.now()
        stop = now.replace(hour=hh, minute=mm, second=0, microsecond=0)
        if stop < now:
            stop += dt.timedelta(days=1)
        deadline = min(deadline, stop.timestamp())
    return deadline


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    data_dir = args.data or kaokore_dir()
    out_dir = args.out or models_dir() / "portrait"
    ckpt_dir = args.ckpt_dir
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    log = run_log(ckpt_dir)

    run_start = time.time()
    deadline = run_deadline(args.minutes, args.until, run_start)

    faces = load_faces(data_dir, args.resolution, ckpt_dir / f"faces_{args.resolution}.npz")
    train = faces["train"]
    log(f"data: {len(train)} train / {len(faces['held_out'])} held-out faces at {args.resolution} px")
    feat_net = RandomFeatures()
    real_feats = feat_net.of_images(faces["held_out"])
    floor_idx = torch.from_numpy(np.random.default_rng(KID_SEED).choice(len(train), KID_FAKES, replace=False))
    kid_floor, _ = kid(real_feats, feat_net.of_images(train[floor_idx]))

    if args.resume or args.export_only:
        if not (ckpt_dir / "last.pt").is_file():
            raise SystemExit(f"Nothing to resume: {ckpt_dir / 'last.pt'} is missing.")
        st = torch.load(ckpt_dir / "last.pt", weights_only=False)
        saved = st["args"]  # the architecture and optimiser of the run being continued
        for key in ("zdim", "ngf", "ndf", "resolution", "batch", "lr_g", "lr_d", "betas", "ema", "ema_start",
                    "d_norm", "loss", "seed", "augment"):
            if key in saved:
                setattr(args, key, saved[key])
    t = Trainer(args)
    if args.resume or args.export_only:
        t.load(st)
        log(f"resumed at step {t.step} ({t.wall_s / 60:.1f} min trained)")
    if args.export_only:
        checkpoint(t, faces, feat_net, real_feats, kid_floor, out_dir, ckpt_dir, log)
        return 0
    log(f"G {sum(p.numel() for p in t.g.parameters()):,} params, D {sum(p.numel() for p in t.d.parameters()):,}; "
        f"KID floor x1000 {kid_floor * 1000:.3f}; stop by {dt.datetime.fromtimestamp(deadline):%H:%M:%S}")

    save = lambda: checkpoint(t, faces, feat_net, real_feats, kid_floor, out_dir, ckpt_dir, log)  # noqa: E731
    if run_training(t, train, args, deadline - 60.0, save, log):  # 60 s kept for the final checkpoint
        return 1
    checkpoint(t, faces, feat_net, real_feats, kid_floor, out_dir, ckpt_dir, log)
    log(f"done: step {t.step}, {t.wall_s / 60:.1f} min trained in total")
    return 0


def run_training(t, train: torch.Tensor, args, stop_at: float, save, log) -> int:
    """The GAN step loop of the 64 px trainer and of portrait_grow: shuffled batches until
    `stop_at` (a time.time()) or args.max_steps more steps, a log line every args.log_every steps,
    `save()` every args.ckpt_minutes (its time counts as training time). Returns 1 when a loss
    stops being finite (nothing saved then), else 0."""
    rng = np.random.default_rng(args.seed + t.step)
    order, pos = rng.permutation(len(train)), 0
    last_ckpt = time.time()
    seg_start, seg_steps, stats = time.time(), 0, []
    start_step = t.step
    while time.time() < stop_at and not (args.max_steps and t.step - start_step >= args.max_steps):
        if pos + args.batch > len(order):
            order, pos = rng.permutation(len(train)), 0
        idx = torch.from_numpy(order[pos:pos + args.batch])
        pos += args.batch
        step_start = time.time()
        ld, lg = t.train_step(train[idx])
        t.wall_s += time.time() - step_start
        seg_steps += 1
        stats.append((ld, lg))
        if not (math.isfinite(ld) and math.isfinite(lg)):
            log(f"step {t.step}: loss is not finite (D {ld}, G {lg}); stopping without a checkpoint")
            return 1
        if t.step % args.log_every == 0:
            arr = np.array(stats)
            log(f"step {t.step} loss_D {arr[:, 0].mean():.3f} loss_G {arr[:, 1].mean():.3f} "
                f"{(time.time() - seg_start) / seg_steps:.3f} s/step")
            stats, seg_start, seg_steps = [], time.time(), 0
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            ck_start = time.time()
            save()
            t.wall_s += time.time() - ck_start  # wall time counts checkpoints too
            last_ckpt = time.time()
            seg_start, seg_steps = time.time(), 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
