"""sketch-rnn VAE (Ha & Eck 2017) in torch: model, data, training loop, ONNX export.

Encoder: bidirectional LSTM (two one-way LSTMs) over stroke-5 -> mu, presig -> z. Decoder: LSTM over
[stroke-5, z] from the state tanh(W z + b) = (c, h), output a 20-component bivariate Gaussian
mixture for (dx, dy) plus 3 pen-state logits, laid out as Magenta's sketch-rnn-js files
([pen 3, pi 20, mu_x 20, mu_y 20, log sigma_x 20, log sigma_y 20, corr 20]) so one numpy
sampler serves both. Loss: reconstruction (Magenta's convention: summed per drawing, divided
by N_max) + w_KL * eta_step * max(KL, tolerance), eta annealed 1 - (1 - eta_min) R^step.
Batches are bucketed by length and padded to their own longest drawing, not to N_max.
Augmentation: random x/y scale and dropped mid-stroke points.

The ONNX files are built with onnx.helper from the trained weights (no exporter needed):
- encoder: strokes (B, T, 5) normalised stroke-5 + lengths (B,) int32 -> mu, presig (B, Z)
- decoder: one step. x (B, 5), z (B, Z), h, c (B, H), start (bool) -> params (B, 123), h_out,
  c_out; when `start` is true the state comes from z and the h, c inputs are ignored.

Run (one process, one thread; resumable — run the same command again to go on):
    python -m artdesk.training.sketch_rnn --plan sheep_market:28   (the Sheep Market sheep; teacher categories: artdesk.training.student)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from artdesk.engines.sketch_format import (load_quickdraw_stroke3, load_stroke3_npz, scale_factor_of,
                                           to_stroke5)
from artdesk.engines.sketch_rnn_js import MAX_WEIGHT, N_MIXTURE, N_OUT
from artdesk.training.manifest import atomic_write_bytes, sha256_of, write_manifest_entries  # noqa: F401
from artdesk.paths import models_dir, shared_data_dir

M = N_MIXTURE
REPO = Path(__file__).resolve().parents[2]
CHECKPOINTS = REPO / "checkpoints" / "doodle"

SHEEP_LICENCE = ("CC BY-NC 4.0 (trained on Aaron Koblin's Sheep Market drawings, aaron_sheep.npz prepared by "
                 "D. Ha; non-commercial use only)")
TEACHER_LICENCE = ("Apache-2.0 (trained on drawings sampled from Magenta's sketch-rnn {cat}.gen.json, Apache-2.0, "
                   "itself trained on Google's Quick, Draw! data, CC BY 4.0)")


@dataclass
class HParams:
    enc_units: int = 128
    dec_units: int = 256
    z_size: int = 64
    max_seq_len: int = 250
    batch_size: int = 100
    lr: float = 1e-3
    lr_decay: float = 0.9999
    min_lr: float = 1e-5
    grad_clip: float = 1.0
    kl_weight: float = 0.5
    kl_weight_start: float = 0.01
    kl_decay_rate: float = 0.9995
    kl_tolerance: float = 0.2
    random_scale: float = 0.15
    drop_point_prob: float = 0.10
    output_dropout: float = 0.0
    # training only: each decoder input step (the previous point) is zeroed with this probability, so
    # the decoder must lean on z for what it cannot see (Bowman et al. 2016's word dropout); the readers
    input_dropout: float = 0.0
    # training only: z must also predict the drawing's blurred layout_side x layout_side raster (MSE
    # through a linear head, not exported), so the latent holds where the drawing's lines are
    layout_weight: float = 0.0
    layout_side: int = 8
    zero_start: bool = False  # start token (0, 0, 0, 0, 0) as sketch-rnn-js (students of a teacher) instead of (0, 0, 1, 0, 0)


# --- model ---------------------------------------------------------------------------------------

class SketchRNN(nn.Module):
    def __init__(self, hp: HParams):
        super().__init__()
        self.hp = hp
        # two one-way LSTMs rather than a packed bidirectional one: packing makes the backward pass
        # of variable-length batches ~10x slower on CPU; the reverse one reads each drawing reversed
        self.encoder_fw = nn.LSTM(5, hp.enc_units, batch_first=True)
        self.encoder_bw = nn.LSTM(5, hp.enc_units, batch_first=True)
        self.fc_mu = nn.Linear(2 * hp.enc_units, hp.z_size)
        self.fc_presig = nn.Linear(2 * hp.enc_units, hp.z_size)
        self.fc_init = nn.Linear(hp.z_size, 2 * hp.dec_units)
        self.decoder = nn.LSTM(5 + hp.z_size, hp.dec_units, batch_first=True)
        self.fc_out = nn.Linear(hp.dec_units, N_OUT)
        self.dropout = nn.Dropout(hp.output_dropout)
        if hp.layout_weight > 0:
            self.fc_layout = nn.Linear(hp.z_size, hp.layout_side * hp.layout_side)
        self.last_z: torch.Tensor | None = None
        with torch.no_grad():  # forget-gate bias 1 as TF's LSTM; small initial presig
            for lstm in (self.encoder_fw, self.encoder_bw, self.decoder):
                for name, p in lstm.named_parameters():
                    if name.startswith("bias_ih"):
                        n = p.shape[0] // 4
                        p.zero_()
                        p[n:2 * n] = 1.0
                    elif name.startswith("bias_hh"):
                        p.zero_()
                    elif name.startswith("weight_hh"):
                        for k in range(4):
                            nn.init.orthogonal_(p[k * p.shape[1]:(k + 1) * p.shape[1]])

    def encode(self, strokes: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, t, _ = strokes.shape
        lengths = lengths.to(torch.long)
        last = (lengths - 1).clamp(min=0)
        steps = torch.arange(t)[None, :]
        rev_index = (last[:, None] - steps).clamp(min=0)  # reversed within each drawing's length
        reverse = torch.gather(strokes, 1, rev_index[:, :, None].expand(-1, -1, 5))
        rows = torch.arange(b)
        out_fw, _ = self.encoder_fw(strokes)
        out_bw, _ = self.encoder_bw(reverse)
        hidden = torch.cat([out_fw[rows, last], out_bw[rows, last]], dim=1)
        return self.fc_mu(hidden), self.fc_presig(hidden)

    def initial_state(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        state = torch.tanh(self.fc_init(z))
        c, h = state.split(self.hp.dec_units, dim=1)
        return h.contiguous(), c.contiguous()

    def decode(self, inputs: torch.Tensor, z: torch.Tensor, state=None):
        """inputs (B, T, 5) -> params (B, T, 123), final (h, c)."""
        if state is None:
            state = self.initial_state(z)
        h, c = state
        zs = z[:, None, :].expand(-1, inputs.shape[1], -1)
        out, (h, c) = self.decoder(torch.cat([inputs, zs], dim=2), (h[None], c[None]))
        return self.fc_out(self.dropout(out)), (h[0], c[0])

    def step(self, x: torch.Tensor, z: torch.Tensor, h: torch.Tensor, c: torch.Tensor):
        """One decoder step, the reference for the ONNX decoder: (B, 5) -> params (B, 123), h, c."""
        params, (h, c) = self.decode(x[:, None, :], z, (h, c))
        return params[:, 0], h, c

    def forward(self, batch5: torch.Tensor, lengths: torch.Tensor, sample_z: bool = True):
        """batch5 (B, T+2, 5): start token, points, >= 1 end row. Returns params, mu, presig."""
        mu, presig = self.encode(batch5[:, 1:], lengths)
        z = mu
        if sample_z:
            z = mu + torch.exp(0.5 * presig) * torch.randn_like(mu)
        self.last_z = z
        inputs = batch5[:, :-1]
        if self.training and self.hp.input_dropout > 0:
            keep = (torch.rand(inputs.shape[:2]) >= self.hp.input_dropout).to(inputs.dtype)
            keep[:, 0] = 1.0  # the start token stays
            inputs = inputs * keep[..., None]
        params, _ = self.decode(inputs, z)
        return params, mu, presig


def mixture_losses(params: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-position NLL of (dx, dy) under the mixture and pen cross-entropy, shapes (B, T)."""
    pen_logits = params[..., :3]
    pi, mx, my, lsx, lsy, rho = params[..., 3:].split(M, dim=-1)
    rho = torch.tanh(rho).clamp(-0.9999, 0.9999)
    dx, dy = target[..., 0:1], target[..., 1:2]
    zx, zy = (dx - mx) * torch.exp(-lsx), (dy - my) * torch.exp(-lsy)
    one_r2 = 1.0 - rho * rho
    log_n = (-(zx * zx + zy * zy - 2 * rho * zx * zy) / (2 * one_r2)
             - (math.log(2 * math.pi) + lsx + lsy + 0.5 * torch.log(one_r2)))
    offset_nll = -torch.logsumexp(F.log_softmax(pi, dim=-1) + log_n, dim=-1)
    pen_ce = -(F.log_softmax(pen_logits, dim=-1) * target[..., 2:5]).sum(-1)
    return offset_nll, pen_ce


def scheduled_loss(model, opt, batch, lengths, hp, step: int):
    """One training step's loss with sketch-rnn's schedules: the learning rate decayed to
    min_lr (set on `opt`), the KL weight annealed towards kl_weight, the KL clamped at its
    tolerance. -> (recon, kl, loss, lr, eta); the sheep trainer and the students share it."""
    lr = max(hp.min_lr, hp.lr * hp.lr_decay ** step)
    for g in opt.param_groups:
        g["lr"] = lr
    eta = 1.0 - (1.0 - hp.kl_weight_start) * hp.kl_decay_rate ** step
    recon, kl = losses(model, batch, lengths, training=True)
    return recon, kl, recon + hp.kl_weight * eta * torch.clamp(kl, min=hp.kl_tolerance), lr, eta


def losses(model: SketchRNN, batch5: torch.Tensor, lengths: torch.Tensor, training: bool = True):
    """(reconstruction, KL) in Magenta's convention. Training: pen loss on every position (the
    end and padding too); eval: offsets and pens of the drawn points only."""
    params, mu, presig = model(batch5, lengths, sample_z=training)
    target = batch5[:, 1:]
    offset_nll, pen_ce = mixture_losses(params, target)
    drawn = 1.0 - target[..., 4]
    nmax = model.hp.max_seq_len
    b = batch5.shape[0]
    if training:
        recon = ((offset_nll * drawn).sum() + pen_ce.sum()) / (b * nmax)
    else:
        recon = ((offset_nll + pen_ce) * drawn).sum() / (b * nmax)
    kl = -0.5 * torch.mean(1 + presig - mu ** 2 - torch.exp(presig))
    return recon, kl


# --- data ----------------------------------------------------------------------------------------

def drop_points(strokes: np.ndarray, prob: float, rng: np.random.Generator) -> np.ndarray:
    """Drop mid-stroke points at random (not the first three of a stroke), keeping the shape:
    the next kept point absorbs the dropped offset (Magenta's augment_strokes)."""
    if prob <= 0 or len(strokes) < 4:
        return strokes
    pen = strokes[:, 2] > 0.5
    starts = np.concatenate([[True], pen[:-1]])  # first point of each stroke
    idx = np.arange(len(strokes))
    stroke_start = np.maximum.accumulate(np.where(starts, idx, 0))
    droppable = (~pen) & ((idx - stroke_start) > 2)
    droppable[-1] = False
    keep = ~(droppable & (rng.random(len(strokes)) < prob))
    xy = np.cumsum(strokes[:, :2], axis=0)[keep]
    out = strokes[keep].copy()
    out[1:, :2] = np.diff(xy, axis=0)
    out[0, :2] = xy[0]
    return out


class StrokeData:
    """Normalised drawings with bucketed batches (a batch is padded to its own longest drawing)."""

    def __init__(self, drawings: Sequence[np.ndarray], scale_factor: float, max_seq_len: int):
        self.scale_factor = scale_factor
        self.max_seq_len = max_seq_len
        self.drawings = []
        for d in drawings:
            d = np.asarray(d, np.float32)
            if 2 <= len(d) <= max_seq_len:
                d = d.copy()
                d[:, :2] /= scale_factor
                self.drawings.append(d)
        self.lengths = np.array([len(d) for d in self.drawings])

    def __len__(self) -> int:
        return len(self.drawings)

    def layouts(self, side: int) -> np.ndarray:
        """(N, side * side) blurred rasters of the drawings (as the recogniser's bitmaps: top-left,
        the longer side filling), computed once: the targets of the layout loss."""
        cached = getattr(self, "_layouts", None)
        if cached is None or cached.shape[1] != side * side:
            from PIL import Image, ImageFilter

            from artdesk.engines.recognise import raster

            rows = []
            for d in self.drawings:
                big = Image.fromarray(np.uint8(raster(d, 32, 2.0) * 255)).filter(ImageFilter.GaussianBlur(2.0))
                rows.append(np.asarray(big.resize((side, side), Image.Resampling.BOX), np.float32).ravel() / 255.0)
            cached = np.stack(rows)
            self._layouts = cached
        return cached

    def epoch_batches(self, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
        jitter = rng.uniform(0, 8, len(self.lengths))  # vary bucket membership between epochs
        order = np.argsort(self.lengths + jitter, kind="stable")
        batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
        batches = [b for b in batches if len(b) == batch_size] or batches
        rng.shuffle(batches)
        return batches

    def make_batch(self, rows: np.ndarray, hp: HParams | None = None, rng: np.random.Generator | None = None,
                   zero_start: bool | None = None):
        drawings = [self.drawings[i] for i in rows]
        if zero_start is None:
            zero_start = bool(hp is not None and hp.zero_start)
        if hp is not None and rng is not None:
            aug = []
            for d in drawings:
                d = drop_points(d, hp.drop_point_prob, rng)
                s = 1.0 + rng.uniform(-hp.random_scale, hp.random_scale, 2).astype(np.float32)
                d = d.copy()
                d[:, :2] *= s
                aug.append(d)
            drawings = aug
        lengths = np.array([len(d) for d in drawings])
        t = int(lengths.max())
        batch = np.zeros((len(drawings), t + 2, 5), np.float32)
        if not zero_start:
            batch[:, 0, 2] = 1.0  # start token (0, 0, 1, 0, 0)
        for i, d in enumerate(drawings):
            batch[i, 1:] = to_stroke5(d, t)
        return torch.from_numpy(batch), torch.from_numpy(lengths)


def evaluate(model: SketchRNN, data: StrokeData, batch_size: int = 100) -> dict:
    """Held-out reconstruction (z = mu) and KL, averaged over drawings."""
    model.eval()
    recon_sum = kl_sum = 0.0
    n = 0
    with torch.no_grad():
        order = np.argsort(data.lengths)
        for i in range(0, len(order), batch_size):
            rows = order[i:i + batch_size]
            batch, lengths = data.make_batch(rows, zero_start=model.hp.zero_start)
            r, k = losses(model, batch, lengths, training=False)
            recon_sum += float(r) * len(rows)
            kl_sum += float(k) * len(rows)
            n += len(rows)
    model.train()
    return {"recon": recon_sum / max(n, 1), "kl": kl_sum / max(n, 1), "drawings": n}


# --- ONNX ----------------------------------------------------------------------------------------

def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float32)


INT16_MAX = 32767.0


def _int16_weight(name: str, value: np.ndarray) -> tuple[list, list]:
    """A weight stored as int16 times one float scale, restored to float32 by Cast and Mul nodes
    that onnxruntime folds into a constant when the session opens (a step costs the same). The
    scale is Magenta's sketch-rnn-js one (10/32767) while the weights fit in +-10, so a student's
    weights taken from its teacher are stored exactly and trained ones at the teacher's precision."""
    from onnx import TensorProto, helper, numpy_helper

    scale = max(float(np.abs(value).max()), MAX_WEIGHT) / INT16_MAX
    q = np.clip(np.round(value / scale), -INT16_MAX, INT16_MAX).astype(np.int16)
    inits = [numpy_helper.from_array(q, f"{name}_q"), numpy_helper.from_array(np.array(scale, np.float32), f"{name}_scale")]
    nodes = [helper.make_node("Cast", [f"{name}_q"], [f"{name}_f"], to=TensorProto.FLOAT),
             helper.make_node("Mul", [f"{name}_f", f"{name}_scale"], [name])]
    return inits, nodes


def decoder_onnx(model: SketchRNN, weights: str = "float32"):
    """One decoder step as an ONNX graph (opset 17). weights "int16": the three weight matrices
    stored as int16 + scale (see _int16_weight), for the 512-unit students."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    hp = model.hp
    H, Z = hp.dec_units, hp.z_size
    w = torch.cat([model.decoder.weight_ih_l0, model.decoder.weight_hh_l0], dim=1).T  # (5+Z+H, 4H), i f g o
    b = model.decoder.bias_ih_l0 + model.decoder.bias_hh_l0
    big = {"W": _np(w), "Wout": _np(model.fc_out.weight.T), "Winit": _np(model.fc_init.weight.T)}
    inits = [
        numpy_helper.from_array(_np(b), "B"),
        numpy_helper.from_array(_np(model.fc_out.bias), "Bout"),
        numpy_helper.from_array(_np(model.fc_init.bias), "Binit"),
        numpy_helper.from_array(np.array([H, H], np.int64), "split_hh"),
        numpy_helper.from_array(np.array([H] * 4, np.int64), "split_4h"),
    ]
    restore = []
    for name, value in big.items():
        if weights == "int16":
            more, nodes_ = _int16_weight(name, value)
            inits += more
            restore += nodes_
        else:
            inits.append(numpy_helper.from_array(value, name))
    fv = lambda name, shape: helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)
    then_graph = helper.make_graph([
        helper.make_node("MatMul", ["z", "Winit"], ["init_mm"]),
        helper.make_node("Add", ["init_mm", "Binit"], ["init_pre"]),
        helper.make_node("Tanh", ["init_pre"], ["init_state"]),
        helper.make_node("Split", ["init_state", "split_hh"], ["c_start", "h_start"], axis=1),
    ], "from_z", [], [fv("h_start", ["batch", H]), fv("c_start", ["batch", H])])
    else_graph = helper.make_graph([
        helper.make_node("Identity", ["h"], ["h_keep"]),
        helper.make_node("Identity", ["c"], ["c_keep"]),
    ], "carry", [], [fv("h_keep", ["batch", H]), fv("c_keep", ["batch", H])])
    nodes = restore + [
        helper.make_node("If", ["start"], ["h0", "c0"], then_branch=then_graph, else_branch=else_graph),
        helper.make_node("Concat", ["x", "z", "h0"], ["xin"], axis=1),
        helper.make_node("MatMul", ["xin", "W"], ["gates_mm"]),
        helper.make_node("Add", ["gates_mm", "B"], ["gates"]),
        helper.make_node("Split", ["gates", "split_4h"], ["gi", "gf", "gg", "go"], axis=1),
        helper.make_node("Sigmoid", ["gi"], ["si"]),
        helper.make_node("Sigmoid", ["gf"], ["sf"]),
        helper.make_node("Tanh", ["gg"], ["tg"]),
        helper.make_node("Sigmoid", ["go"], ["so"]),
        helper.make_node("Mul", ["sf", "c0"], ["fc"]),
        helper.make_node("Mul", ["si", "tg"], ["ig"]),
        helper.make_node("Add", ["fc", "ig"], ["c_out"]),
        helper.make_node("Tanh", ["c_out"], ["tc"]),
        helper.make_node("Mul", ["so", "tc"], ["h_out"]),
        helper.make_node("MatMul", ["h_out", "Wout"], ["out_mm"]),
        helper.make_node("Add", ["out_mm", "Bout"], ["params"]),
    ]
    graph = helper.make_graph(
        nodes, "sketch_rnn_decoder_step",
        [fv("x", ["batch", 5]), fv("z", ["batch", Z]), fv("h", ["batch", H]), fv("c", ["batch", H]),
         helper.make_tensor_value_info("start", TensorProto.BOOL, [])],
        [fv("params", ["batch", N_OUT]), fv("h_out", ["batch", H]), fv("c_out", ["batch", H])],
        inits)
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="artdesk")
    onnx_model.ir_version = 8
    onnx.checker.check_model(onnx_model)
    return onnx_model


def encoder_onnx(model: SketchRNN):
    """The bidirectional encoder as an ONNX LSTM (gates reordered i f g o -> i o f c)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    hp = model.hp
    E, Z = hp.enc_units, hp.z_size

    def reorder(t: torch.Tensor) -> torch.Tensor:
        i, f, g, o = t.split(E, dim=0)
        return torch.cat([i, o, f, g], dim=0)

    fw, bw = model.encoder_fw, model.encoder_bw
    W = torch.stack([reorder(fw.weight_ih_l0), reorder(bw.weight_ih_l0)])
    R = torch.stack([reorder(fw.weight_hh_l0), reorder(bw.weight_hh_l0)])
    B = torch.stack([torch.cat([reorder(fw.bias_ih_l0), reorder(fw.bias_hh_l0)]),
                     torch.cat([reorder(bw.bias_ih_l0), reorder(bw.bias_hh_l0)])])
    inits = [
        numpy_helper.from_array(_np(W), "W"), numpy_helper.from_array(_np(R), "R"),
        numpy_helper.from_array(_np(B), "B"),
        numpy_helper.from_array(_np(model.fc_mu.weight.T), "Wmu"),
        numpy_helper.from_array(_np(model.fc_mu.bias), "Bmu"),
        numpy_helper.from_array(_np(model.fc_presig.weight.T), "Wsig"),
        numpy_helper.from_array(_np(model.fc_presig.bias), "Bsig"),
        numpy_helper.from_array(np.array([0, -1], np.int64), "flat_shape"),
    ]
    nodes = [
        helper.make_node("Transpose", ["strokes"], ["seq"], perm=[1, 0, 2]),
        helper.make_node("LSTM", ["seq", "W", "R", "B", "lengths"], ["Y", "Y_h"], hidden_size=E,
                         direction="bidirectional"),
        helper.make_node("Transpose", ["Y_h"], ["h_bd"], perm=[1, 0, 2]),
        helper.make_node("Reshape", ["h_bd", "flat_shape"], ["hidden"]),
        helper.make_node("MatMul", ["hidden", "Wmu"], ["mu_mm"]),
        helper.make_node("Add", ["mu_mm", "Bmu"], ["mu"]),
        helper.make_node("MatMul", ["hidden", "Wsig"], ["sig_mm"]),
        helper.make_node("Add", ["sig_mm", "Bsig"], ["presig"]),
    ]
    graph = helper.make_graph(
        nodes, "sketch_rnn_encoder",
        [helper.make_tensor_value_info("strokes", TensorProto.FLOAT, ["batch", "time", 5]),
         helper.make_tensor_value_info("lengths", TensorProto.INT32, ["batch"])],
        [helper.make_tensor_value_info("mu", TensorProto.FLOAT, ["batch", Z]),
         helper.make_tensor_value_info("presig", TensorProto.FLOAT, ["batch", Z])],
        inits)
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="artdesk")
    onnx_model.ir_version = 8
    onnx.checker.check_model(onnx_model)
    return onnx_model


def export_model(model: SketchRNN, category: str, scale_factor: float, training: dict,
                 out_dir: Path | None = None, licence: str = "", manifest: bool = True,
                 weights: str = "float32", extra: dict | None = None) -> dict:
    """Write <category>.encoder.onnx, .decoder.onnx and .json into models/doodle; return the meta.
    weights "int16": the decoder's matrices as int16 (the 512-unit students); extra: more meta
    (label, teacher, bench figures)."""
    out_dir = Path(out_dir or models_dir() / "doodle")
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"encoder": f"{category}.encoder.onnx", "decoder": f"{category}.decoder.onnx"}
    atomic_write_bytes(out_dir / files["encoder"], encoder_onnx(model).SerializeToString())
    atomic_write_bytes(out_dir / files["decoder"], decoder_onnx(model, weights).SerializeToString())
    meta = {
        "format": 1, "category": category, "kind": "sketch-rnn-vae", "scale_factor": scale_factor,
        "max_seq_len": model.hp.max_seq_len, "start_token": [0, 0, 0 if model.hp.zero_start else 1, 0, 0],
        "n_mixture": M,
        "params_layout": "pen3, pi20, mu_x20, mu_y20, log_sigma_x20, log_sigma_y20, corr20",
        "hparams": dataclasses.asdict(model.hp), "files": files, "licence": licence, "training": training,
        **(extra or {}),
    }
    atomic_write_bytes(out_dir / f"{category}.json", json.dumps(meta, indent=1).encode())
    if manifest:  # models/manifest.json for models/doodle
        write_manifest_entries(doodle_manifest_entries(category, meta, out_dir), out_dir.parent / "manifest.json")
    write_model_card(out_dir)
    return meta


# --- manifest and model card ---------------------------------------------------------------------

def doodle_manifest_entries(category: str, meta: dict, out_dir: Path) -> list[dict]:
    z, h = meta["hparams"]["z_size"], meta["hparams"]["dec_units"]
    training = {k: meta["training"].get(k) for k in ("data", "steps", "seconds", "seed", "held_out", "updated")}
    training["script"] = ("python -m artdesk.training.student" if meta.get("teacher")
                          else "python -m artdesk.training.sketch_rnn")
    rel = lambda name: f"{out_dir.name}/{name}"  # relative to the manifest's folder
    return [
        {"id": f"doodle/{category}.encoder", "file": rel(meta["files"]["encoder"]),
         "sha256": sha256_of(out_dir / meta["files"]["encoder"]), "task": "doodle", "licence": meta["licence"],
         "inputs": [{"name": "strokes", "shape": ["batch", "time", 5], "dtype": "float32"},
                    {"name": "lengths", "shape": ["batch"], "dtype": "int32"}],
         "outputs": [{"name": "mu", "shape": ["batch", z]}, {"name": "presig", "shape": ["batch", z]}],
         "meta": rel(f"{category}.json"), "training": training},
        {"id": f"doodle/{category}.decoder", "file": rel(meta["files"]["decoder"]),
         "sha256": sha256_of(out_dir / meta["files"]["decoder"]), "task": "doodle", "licence": meta["licence"],
         "inputs": [{"name": "x", "shape": ["batch", 5], "dtype": "float32"},
                    {"name": "z", "shape": ["batch", z], "dtype": "float32"},
                    {"name": "h", "shape": ["batch", h], "dtype": "float32"},
                    {"name": "c", "shape": ["batch", h], "dtype": "float32"},
                    {"name": "start", "shape": [], "dtype": "bool"}],
         "outputs": [{"name": "params", "shape": ["batch", N_OUT]}, {"name": "h_out", "shape": ["batch", h]},
                     {"name": "c_out", "shape": ["batch", h]}],
         "meta": rel(f"{category}.json"), "training": training},
    ]


def write_model_card(out_dir: Path) -> None:
    """models/doodle/MODEL_CARD.md from every <category>.json there."""
    metas = []
    for p in sorted(out_dir.glob("*.json")):
        try:
            meta = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            continue
        if isinstance(meta, dict) and meta.get("kind") == "sketch-rnn-vae":
            metas.append(meta)
    lines = [
        "# Doodle models (sketch-rnn VAE)", "",
        "sketch-rnn (Ha & Eck 2017, *A Neural Representation of Sketch Drawings*) trained by "
        "`python -m artdesk.training.sketch_rnn` on 1 CPU thread. Bidirectional LSTM encoder, latent z, "
        "LSTM decoder with a 20-component bivariate Gaussian mixture and 3 pen states; KL annealing with "
        "tolerance; gradient clipping; augmentation by random x/y scale and dropped points; batches "
        "bucketed by length. Exported as ONNX: the encoder and one decoder step.", "",
        "Losses are Magenta's: reconstruction = negative log-likelihood of the drawn points (offsets "
        "in units of the scale factor, and pen states) summed per drawing and divided by N_max "
        "(= max_seq_len); KL is the mean per latent dimension. Held-out reconstruction uses z = mu. "
        "`teacher` is the Google decoder-only model's loss on the same drawings (no z), same N_max, "
        "same scale factor; `nll/pt` is the loss per drawn point.", "",
        "**Students** (every category with a Google teacher: `python -m artdesk.training.student`): the "
        "decoder is Magenta's published sketch-rnn-js model for the category (Apache-2.0, LSTM 512, trained by "
        "Google on Quick, Draw!), taken over whole, with zero columns for the latent's inputs and a zero "
        "latent -> initial state layer, so at step 0 the student draws exactly as its teacher; training adds the "
        "encoder and the latent. The decoder's matrices are stored as int16 at Magenta's own scale (10/32767). "
        "`recon (z = 0)` is the loss without the latent: the gap to `recon` is what the latent carries.", "",
        "Tried and not shipped (sheep student, 1 shared CPU thread, the teacher's decoder frozen): the latent fed to "
        "every step and the initial state (Magenta's layout), 275 steps in 10 min: Random recognised 30/180 by the "
        "judge against the teacher's 169/180, held-out recon -0.673 with z, -0.717 with z = 0; the latent into the "
        "initial state only (full KL weight, tolerance 0.2), 821 steps in 16 min: Random 144/180, recon -0.748 "
        "with z vs -0.742 without, a Redraw overlapping its own input no more than another drawing's (0.144 vs "
        "0.156). The latent needs far longer runs (Magenta: tens of thousands of steps) before Redraw, Morph and "
        "Mix can be offered with the students; until then they use the category's reader (the last part of this "
        "card).", "",
        "**Bench figures** (`artdesk bench doodle`, artdesk.bench_doodle; the judge is models/judge, not the "
        "recogniser that picks): recognition of Random at the app's default temperature, unpicked, picked (the "
        "app's default: 9 of 27 by the recogniser) and the Google teacher's (same count, judge and temperature); "
        "uncut = drawings that ran to max_seq_len without an end-of-drawing; Continue = the first 40% of the real "
        "Quick, Draw! drawings continued, judged before -> after.", "",
    ]
    for meta in metas:
        tr, hp = meta["training"], meta["hparams"]
        lines += [f"## {meta.get('label') or meta['category']}", ""]
        if meta.get("teacher"):
            lines.append(f"- teacher: {meta['teacher']}; credit: Magenta (Ha & Eck), Google Quick, Draw!")
        b = meta.get("bench")
        if b:
            n = b["count"]
            text = (f"- bench ({b.get('updated', '')}, judge: {b.get('judge', 'models/judge')}): Random at "
                    f"temperature {b['temperature']}, {n} drawings: recognised {b['app'] / n:.0%}, picked "
                    f"{b['app_picked'] / n:.0%}")
            if "teacher" in b:
                text += f"; teacher {b['teacher'] / n:.0%}"
            text += f"; uncut {b['uncut'] / n:.0%}"
            if "teacher_uncut" in b:
                text += f" (teacher {b['teacher_uncut'] / n:.0%})"
            c = b.get("continue")
            if c:
                text += (f"; Continue on {c['drawings']} real drawings: {c['before']} -> {c['after']} "
                         f"(picked {c['after_picked']})")
            text += f"; nine endings {b['ms_nine']:.0f} ms"
            lines.append(text)
        lines += [f"- data: {tr.get('data')}",
                  f"- licence: {meta['licence']}",
                  f"- size: encoder {hp['enc_units']}+{hp['enc_units']}, decoder {hp['dec_units']}, z {hp['z_size']}, "
                  f"max_seq_len {meta['max_seq_len']}, scale factor {meta['scale_factor']:.3f}, "
                  f"batch {hp['batch_size']}, KL weight {hp['kl_weight']} (tolerance {hp['kl_tolerance']})",
                  f"- training: {tr.get('steps')} steps, {tr.get('seconds', 0) / 60:.1f} min, seed {tr.get('seed')}, "
                  f"{'finished' if tr.get('finished') else 'in progress'} (updated {tr.get('updated')})",
                  f"- last train batch: recon {tr.get('train_recon', float('nan')):.3f}, KL {tr.get('train_kl', float('nan')):.3f}"]
        if meta.get("teacher") and not tr.get("steps"):  # a student at step 0
            reader = (out_dir / "readers" / f"{meta['category']}.json").exists()
            lines[-2:] = ["- training: none yet (step 0): the teacher's decoder as published, the encoder and latent "
                          "untrained, so Redraw, Morph and Mix " + ("use its reader (below)" if reader else
                                                                    "are off for it: it has no reader (below)") +
                          f" (`python -m artdesk.training.student --plan {meta['category']}:MINUTES` trains them)"]
        for name, res in (tr.get("held_out") or {}).items():
            extra = ""
            if "teacher_recon" in res:
                extra = f"; teacher {res['teacher_recon']:.3f} (nll/pt {res['teacher_nll_per_point']:.3f})"
            per_point = f" (nll/pt {res['nll_per_point']:.3f})" if "nll_per_point" in res else ""
            if "recon_without_z" in res:
                extra += f"; recon (z = 0) {res['recon_without_z']:.3f}"
            lines.append(f"- held-out {name} ({res['drawings']} drawings): recon {res['recon']:.3f}{per_point}, "
                         f"KL {res['kl']:.3f}{extra}")
        lines.append("")
    lines += readers_card_lines(out_dir / "readers")
    atomic_write_bytes(out_dir / "MODEL_CARD.md", "\n".join(lines).encode())


def _carry_text(fig: dict) -> str:
    def one(key: str, what: str) -> str:
        f = fig[key]
        decoded = (f", the reader's own decoder {f['decoded']:.3f} (judge {f['judge_decoded']}/{f['n']})"
                   if "decoded" in f and f.get("picked_by_reader") else "")
        return (f"{what} ({f['n']}): Redraw {f['redraw']:.3f} vs random {f['random']:.3f} (gain {f['gain']:+.3f} "
                f"+- {f['gain_se']:.3f}; {f['closer_than_random']}/{f['n']} closer){decoded}, Morph's first frame "
                f"{f['morph0']:.3f}; judge: redraws {f['judge_redraw']}/{f['n']}, inputs {f['judge_input']}/{f['n']}")
    text = one("teacher", "held-out teacher samples")
    if "real" in fig:
        text += "; " + one("real", "real Quick, Draw!")
    return text + ("; carries the drawing" if fig.get("carries") else "; does NOT carry the drawing")


def readers_card_lines(folder: Path) -> list[str]:
    """The card's part on the readers (models/doodle/readers: the shipped ones, and measured.json,
    the carry figures of every reader measured, shipped or not)."""
    lines = [
        "# Readers (Redraw, Morph and Mix)", "",
        "The students' latent reads nothing yet, so Redraw, Morph and Mix use a second model of the category, a "
        "*reader* (`python -m artdesk.training.readers`): a sketch-rnn VAE at the size of the project's first "
        "models (encoder 128+128, decoder 256, z 64) with its own decoder, trained on drawings sampled from the "
        "category's Google teacher (artdesk.training.teacher_data). Random and Continue keep the teacher-level "
        "student. Redraw: the student draws 27 and the reader keeps the 9 whose latent (the encoder's mean) is "
        "nearest the doodle's, nearest first, because the reader's own decoder draws far below the teacher (its "
        "figure is `decoded` below); Morph: the slerp path between the two drawings' latents, ten points; the "
        "reader's decoder draws each point (temperature 0.1) and the student draws 30 more, and each point takes "
        "the drawing of those 40 the reader reads nearest it, each once, the nearest pairs first "
        "(doodle_io.walk_by_reading; `morph0` below is the first frame), because the reader's decoding alone is "
        "often no closer to the doodle than any drawing of the category (bear 0.253 vs random 0.281, 100 teacher "
        "samples); Mix: one reader reads the doodle, and of the other category's 27 student drawings the other "
        "reader keeps the 9 it reads nearest that latent (its own decodings are left out: they re-read nearest "
        "and would win while looking least like the category; 40 held-out "
        "teacher drawings each, soft IoU with the input vs a random drawing of the other category, judge "
        "recognising the other category: bear->tiger 0.247 vs 0.236, 1/40, where the decoder alone gave 0.215, "
        "0/40; bird->parrot 0.262 vs 0.226, 9/40 (decoder 0.239, 4/40); ambulance->sheep 0.273 vs 0.246, "
        "38/40 (decoder 0.275, 12/40)). Files "
        "models/doodle/readers/<category>.*, manifest ids doodle/readers/<category>.encoder|decoder.", "",
        "A reader ships only when its latent carries the drawing (artdesk.bench_doodle_carry, also in `artdesk bench "
        "doodle`): held-out drawings, 100 teacher samples drawn with a seed the training data was not and the real "
        "Quick, Draw! drawings of quickdraw_real (never trained on), are Redrawn as the app does at its default "
        "temperature (0.25) and compared with their input by soft IoU of blurred 64 px rasters; the first "
        "redraw must beat a random teacher drawing of the category by more than two standard errors on the teacher "
        "set, and on average on the real drawings. The judge (models/judge) counts the redraws it recognises.", "",
        "New readers (2026-11-30) start from a shipped reader of a similar shape (same size; bicycle from the "
        "ambulance, palm tree from the bird, the mammals from the bear) and train with a KL tolerance "
        "of 1.0 instead of 0.2 (the old readers' KL sat exactly at 0.2), decoder input dropout 0.4 (each previous "
        "point hidden with that chance, so the decoder needs z) and a training-only head that makes z predict the "
        "drawing's blurred 8x8 raster (weight 1.0), on 1 CPU thread shared with other trainings. What was tried, "
        "measured with the reader's own decoder as Redraw (the first measure): ant from the bird reader with "
        "tolerance 1.0 alone, 3 min: KL rose to 0.95 but redraw 0.312 vs random 0.313; with input dropout 0.4 to "
        "8 min: 0.287 vs 0.307, its own hand worse (judge 32/100 vs 60/100 inputs) though closer to its input "
        "than to another's (0.287 vs 0.262); bird with dropout 6 min then the layout head too: 0.271 (3 min), "
        "0.274 (14 min), 0.282 (20 min) vs random 0.248, on real drawings 0.238 -> 0.272 vs 0.259. Since the "
        "readers' own decoders draw far worse than the teachers (bird: judge 3/100 vs 17/100 for the inputs), "
        "Redraw keeps the student's drawings by the reader's latent: bird 0.302 vs 0.248, real 0.322 vs 0.259. "
        "The seven old readers, measured the same way: only ambulance carries.", "",
    ]
    if (folder / "samples.png").exists():
        lines += ["![Readers: real drawings, Redraws, the reader's own decoding, Morph's first frame]"
                  "(readers/samples.png)", "",
                  "Per shipped reader, two real Quick, Draw! drawings (grey, never trained on), the first three "
                  "Redraws as the app makes them, the reader decoding the drawing itself, and Morph's first frame "
                  "(`python -m artdesk.training.readers --sheet`).", ""]
    measured: dict = {}
    try:
        measured = json.loads((folder / "measured.json").read_text("utf-8"))
    except (OSError, ValueError):
        pass
    for key, rec in sorted(measured.items()):
        hp, tr = rec.get("hparams", {}), rec.get("training", {})
        try:  # shipped: this very version is the one in the folder
            now = json.loads((folder / f"{rec.get('category', key)}.json").read_text("utf-8"))
            shipped = now.get("training", {}).get("updated") == tr.get("updated") and now.get("carry") is not None
        except (OSError, ValueError):
            shipped = False
        lines += [f"## reader: {key.replace('_', ' ')} ({'shipped' if shipped else 'not shipped'})", ""]
        if rec.get("origin"):
            lines.append(f"- origin: {rec['origin']}")
        if tr:
            lines += [f"- data: {tr.get('data')}",
                      f"- training: {tr.get('steps')} steps, {tr.get('seconds', 0) / 60:.1f} min on 1 shared CPU thread, "
                      f"seed {tr.get('seed')} (updated {tr.get('updated')})"]
            v = (tr.get("held_out") or {}).get("valid")
            if v:
                lines.append(f"- held-out valid ({v['drawings']} drawings): recon {v['recon']:.3f}, KL {v['kl']:.3f}")
        if hp:
            lines.append(f"- size: encoder {hp['enc_units']}+{hp['enc_units']}, decoder {hp['dec_units']}, z "
                         f"{hp['z_size']}; KL weight {hp['kl_weight']} (tolerance {hp['kl_tolerance']}), decoder input "
                         f"dropout {hp.get('input_dropout', 0.0)}")
        if rec.get("licence"):
            lines.append(f"- licence: {rec['licence']}")
        if rec.get("carry"):
            lines.append(f"- carry ({rec.get('measured', '')}): {_carry_text(rec['carry'])}")
        lines.append("")
    return lines


# --- training ------------------------------------------------------------------------------------

def default_hparams(category: str) -> HParams:
    """Sized for minutes of 1-thread CPU: sheep (real data, ~100 epochs) gets output dropout
    against overfitting; teacher categories get a faster KL schedule for their shorter runs."""
    if category in ("sheep_market", "sheep"):
        return HParams(output_dropout=0.1, kl_decay_rate=0.9995)
    return HParams(kl_decay_rate=0.999)


@dataclass
class CategoryData:
    category: str
    train: StrokeData
    valid: StrokeData
    test: StrokeData
    real: list  # real Quick, Draw! drawings for evaluation (stroke-3, same frame as train)
    description: str
    licence: str
    teacher: object | None = None


def load_category(category: str, log: Callable[[str], None] = print, n_teacher: int = 20000) -> CategoryData:
    sketch = shared_data_dir() / "sketch"
    if category == "sheep_market":  # "sheep" is the Quick, Draw! teacher category
        splits = load_stroke3_npz(sketch / "aaron_sheep.npz")
        max_len = max(len(d) for k in splits for d in splits[k])
        scale = scale_factor_of(splits["train"])
        real = load_quickdraw_stroke3(sketch / "quickdraw_real" / "sheep.ndjson", size=255)
        desc = (f"aaron_sheep.npz: {len(splits['train'])} human sheep drawings for training, "
                f"{len(splits['valid'])} valid, {len(splits['test'])} test (held out)")
        return CategoryData(category, StrokeData(splits["train"], scale, max_len), StrokeData(splits["valid"], scale, max_len),
                            StrokeData(splits["test"], scale, max_len), real, desc, SHEEP_LICENCE)
    from artdesk.training.teacher_data import load_teacher_dataset, make_teacher_dataset, teacher_path
    from artdesk.engines.sketch_rnn_js import load_sketch_rnn_js

    path = make_teacher_dataset(category, CHECKPOINTS / "data" / f"{category}.npz", n_train=n_teacher, log=log)
    splits, scale, max_len = load_teacher_dataset(path)
    real_path = sketch / "quickdraw_real" / f"{category.replace('_', ' ')}.ndjson"
    real = load_quickdraw_stroke3(real_path, size=None) if real_path.exists() else []
    real = [d for d in real if len(d) <= max_len]
    desc = (f"{len(splits['train'])} drawings sampled from Magenta's {category}.gen.json at temperatures "
            f"0.25-0.9 (artdesk.training.teacher_data), {len(splits['valid'])} valid + {len(splits['test'])} test "
            f"sampled drawings held out; {len(real)} real Quick, Draw! drawings (quickdraw_real, raw canvas pixels, "
            f"RDP 2) for evaluation only")
    return CategoryData(category, StrokeData(splits["train"], scale, max_len), StrokeData(splits["valid"], scale, max_len),
                        StrokeData(splits["test"], scale, max_len), real, desc,
                        TEACHER_LICENCE.format(cat=category), load_sketch_rnn_js(teacher_path(category)))


def held_out_metrics(model: SketchRNN, data: CategoryData, final: bool) -> dict:
    res = {"valid": evaluate(model, data.valid)}
    if final:
        res["test"] = evaluate(model, data.test)
    if data.real:
        real = StrokeData(data.real, data.train.scale_factor, data.train.max_seq_len)
        r = evaluate(model, real)
        points = int(real.lengths.sum())
        r["nll_per_point"] = r["recon"] * model.hp.max_seq_len * len(real) / max(points, 1)
        if data.teacher is not None:
            from artdesk.engines.doodle import reconstruction_loss
            t = reconstruction_loss(data.teacher, real.drawings_in_units(), nmax=model.hp.max_seq_len)
            r["teacher_recon"], r["teacher_nll_per_point"] = t["recon"], t["nll_per_point"]
        res["quickdraw_real"] = r
    return res


def _drawings_in_units(self: StrokeData) -> list[np.ndarray]:
    out = []
    for d in self.drawings:
        d = d.copy()
        d[:, :2] *= self.scale_factor
        out.append(d)
    return out


StrokeData.drawings_in_units = _drawings_in_units  # type: ignore[attr-defined]



def _warm_start_from_shipped(model: SketchRNN, category: str, out_dir: Path | None, log) -> tuple[int, float]:
    """Without a training checkpoint (a fresh machine), go on from the shipped model: its weights
    rebuilt from the ONNX pair, its step and seconds from its description (so the schedules go
    on too; the optimizer's moments start again). (0, 0.0) when nothing usable is shipped."""
    try:
        shipped, _ = model_from_onnx(category, out_dir)
        model.load_state_dict(shipped.state_dict(), strict=False)  # a training-only layout head starts fresh
        meta = json.loads((Path(out_dir or models_dir() / "doodle") / f"{category}.json").read_text("utf-8"))
        training = meta.get("training", {})
        step, elapsed = int(training.get("steps", 0)), float(training.get("seconds", 0.0))
    except (OSError, KeyError, ValueError, RuntimeError) as exc:  # none shipped, or another shape
        log(f"{category}: no training checkpoint and no usable shipped model ({type(exc).__name__}); from scratch")
        return 0, 0.0
    log(f"{category}: no training checkpoint; going on from the shipped model (step {step}, "
        f"{elapsed / 60:.1f} min trained)")
    return step, elapsed

def train_category(category: str, minutes: float, hp: HParams | None = None, seed: int = 1,
                   ckpt_every_s: float = 300.0, log: Callable[[str], None] = print,
                   out_dir: Path | None = None, ckpt_dir: Path = CHECKPOINTS,
                   init_from: tuple[str, Path] | None = None) -> dict:
    """Train (or resume) one category for a total of `minutes` of wall time; export at checkpoints.
    init_from (category, folder): without a checkpoint, start from the weights of that shipped
    model of the same size (another category's reader) at step 0, instead of from scratch."""
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path = ckpt_dir / f"{category}.pt"
    state = torch.load(ckpt_path, weights_only=False) if ckpt_path.exists() else None
    if state is not None and state.get("finished") and state.get("minutes", 0) >= minutes:
        log(f"{category}: finished earlier ({state['step']} steps), skipping")
        return state["training"]
    data = load_category(category, log)
    if state is not None:  # a given hp (a new schedule, say) goes on from the checkpoint's weights
        hp = HParams(**state["hparams"]) if hp is None else dataclasses.replace(
            hp, max_seq_len=state["hparams"]["max_seq_len"])
    else:
        hp = dataclasses.replace(hp or default_hparams(category), max_seq_len=data.train.max_seq_len)
    torch.manual_seed(seed)
    model = SketchRNN(hp)
    opt = torch.optim.Adam(model.parameters(), lr=hp.lr)
    step, elapsed = 0, 0.0
    history: list = []
    if state is not None:
        missing, _ = model.load_state_dict(state["model"], strict=False)  # a layout head added on resume
        if missing:
            log(f"{category}: new parameters {missing} start fresh, and so does the optimizer")
        else:
            opt.load_state_dict(state["optimizer"])
        step, elapsed, history = state["step"], state["elapsed"], state.get("history", [])
        log(f"{category}: resumed at step {step} ({elapsed / 60:.1f} min done)")
    elif init_from is not None:
        source, _ = model_from_onnx(*init_from)
        model.load_state_dict(source.state_dict(), strict=False)  # a layout head starts fresh
        log(f"{category}: starting from the weights of {init_from[1]}/{init_from[0]} (step 0)")
    else:
        step, elapsed = _warm_start_from_shipped(model, category, out_dir, log)
    rng = np.random.default_rng(seed * 7919 + step)
    log(f"{category}: {len(data.train)} train drawings, scale factor {data.train.scale_factor:.3f}, "
        f"max_seq_len {hp.max_seq_len}, mean length {data.train.lengths.mean():.1f}, budget {minutes} min")
    budget = minutes * 60.0
    t_last_ckpt = time.time()
    t_start = time.time() - elapsed
    recon_avg = kl_avg = float("nan")
    batches: list = []
    model.train()

    def save(finished: bool) -> dict:
        nonlocal t_last_ckpt
        metrics = held_out_metrics(model, data, final=finished)
        training = {
            "data": data.description, "steps": step, "seconds": round(time.time() - t_start, 1), "seed": seed,
            "train_recon": recon_avg, "train_kl": kl_avg, "held_out": metrics, "finished": finished,
            "updated": time.strftime("%Y-%m-%d %H:%M:%S"), "threads": torch.get_num_threads(),
        }
        history.append({"step": step, "seconds": training["seconds"], "train_recon": recon_avg, "train_kl": kl_avg,
                        "valid": metrics["valid"]})
        tmp = ckpt_path.with_suffix(".tmp")
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "hparams": dataclasses.asdict(hp),
                    "step": step, "elapsed": time.time() - t_start, "history": history, "finished": finished,
                    "minutes": minutes, "training": training, "scale_factor": data.train.scale_factor}, tmp)
        tmp.replace(ckpt_path)
        model.eval()
        # past the 90th percentile of the training drawings' lengths the first pen lift ends a drawing
        # (the Sheep Market model: 43 % of Random drawings ran to max_seq_len without it, 9 % with it)
        export_model(model, category, data.train.scale_factor, training, out_dir, data.licence,
                     extra={"ends_after": int(np.percentile(data.train.lengths, 90))})
        model.train()
        v = metrics["valid"]
        extra = ""
        if "quickdraw_real" in metrics:
            q = metrics["quickdraw_real"]
            extra = f" | real recon {q['recon']:.3f}" + (f" teacher {q['teacher_recon']:.3f}" if "teacher_recon" in q else "")
        log(f"{category}: checkpoint step {step}, {training['seconds'] / 60:.1f} min | valid recon {v['recon']:.3f} "
            f"KL {v['kl']:.3f}{extra}")
        t_last_ckpt = time.time()
        return training

    t_window, n_window = time.time(), 0
    layouts = data.train.layouts(hp.layout_side) if hp.layout_weight > 0 else None
    while time.time() - t_start < budget:
        if not batches:
            batches = data.train.epoch_batches(hp.batch_size, rng)
        rows = batches.pop()
        batch, lengths = data.train.make_batch(rows, hp, rng)
        recon, kl, loss, lr, eta = scheduled_loss(model, opt, batch, lengths, hp, step)
        if hp.layout_weight > 0 and model.last_z is not None:
            assert layouts is not None
            target = torch.from_numpy(layouts[rows])
            loss = loss + hp.layout_weight * F.mse_loss(torch.sigmoid(model.fc_layout(model.last_z)), target,
                                                        reduction="sum") / len(rows)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), hp.grad_clip)
        opt.step()
        step += 1
        n_window += 1
        r, k = recon.item(), kl.item()
        recon_avg = r if math.isnan(recon_avg) else 0.98 * recon_avg + 0.02 * r
        kl_avg = k if math.isnan(kl_avg) else 0.98 * kl_avg + 0.02 * k
        if step % 50 == 0:
            dt = (time.time() - t_window) / n_window
            log(f"{category}: step {step} recon {recon_avg:.3f} KL {kl_avg:.3f} eta {eta:.2f} lr {lr:.2e} "
                f"{dt:.3f} s/step (len {int(lengths.max())})")
            t_window, n_window = time.time(), 0
        if time.time() - t_last_ckpt > ckpt_every_s:
            save(False)
    return save(True)


def parse_plan(items: Sequence[str]) -> list[tuple[str, float]]:
    plan = []
    for item in items:
        cat, _, minutes = item.partition(":")
        plan.append((cat, float(minutes or 10)))
    return plan


def start_run(threads: int, log_path: str) -> Callable[[str], None]:
    """A training process's set-up: torch and OpenBLAS on `threads` threads, and a log function
    that prints each line with the time and appends it to `log_path` (the sheep trainer and the
    students share it)."""
    torch.set_num_threads(threads)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    log_file = open(log_path, "a", buffering=1, encoding="utf-8")

    def log(msg: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        log_file.write(line + "\n")

    return log


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plan", nargs="+", default=["sheep_market:28"], help="category:minutes, trained in order")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--ckpt-every", type=float, default=300.0, help="seconds between checkpoints/exports")
    parser.add_argument("--log", default=str(CHECKPOINTS / "train.log"))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    log = start_run(args.threads, args.log)

    log(f"plan {args.plan} threads {args.threads} pid {os.getpid()}")
    for category, minutes in parse_plan(args.plan):
        try:
            train_category(category, minutes, seed=args.seed, ckpt_every_s=args.ckpt_every, log=log)
        except Exception as exc:  # one failed category must not stop the others
            import traceback
            log(f"{category}: FAILED {exc!r}\n{traceback.format_exc()}")
    log("plan done")


# --- for benchmarks and other tools --------------------------------------------------------------

def load_trained(category: str, ckpt_dir: Path = CHECKPOINTS) -> tuple[SketchRNN, dict]:
    """The torch model of a checkpoint (eval mode) and the checkpoint's training record."""
    state = torch.load(Path(ckpt_dir) / f"{category}.pt", weights_only=False, map_location="cpu")
    model = SketchRNN(HParams(**state["hparams"]))
    model.load_state_dict(state["model"])
    model.eval()
    return model, {"scale_factor": state["scale_factor"], "step": state["step"], **state.get("training", {})}


class TorchDoodleModel:
    """A torch SketchRNN behind the engines' step interface, so artdesk.engines.doodle can sample
    it step by step exactly as it samples the ONNX export (for `artdesk bench doodle`)."""

    start_token = np.array([0, 0, 1, 0, 0], dtype=np.float32)

    def __init__(self, model: SketchRNN, scale_factor: float, name: str = "torch"):
        self.model = model.eval()
        self.name = name
        self.scale_factor = float(scale_factor)
        self.max_seq_len = model.hp.max_seq_len
        self.z_size = model.hp.z_size
        self.num_units = model.hp.dec_units
        self.has_encoder = True
        if model.hp.zero_start:
            self.start_token = np.zeros(5, dtype=np.float32)

    @torch.no_grad()
    def start_state(self, batch: int, z: np.ndarray | None = None):
        z = np.zeros((batch, self.z_size), np.float32) if z is None else z
        return self.model.initial_state(torch.from_numpy(np.asarray(z, np.float32).reshape(batch, -1)))

    @torch.no_grad()
    def step(self, x: np.ndarray, state, z: np.ndarray | None = None):
        h, c = (s if isinstance(s, torch.Tensor) else torch.from_numpy(s) for s in state)
        z = np.zeros((len(x), self.z_size), np.float32) if z is None else z
        params, h, c = self.model.step(torch.from_numpy(np.asarray(x, np.float32)),
                                       torch.from_numpy(np.asarray(z, np.float32)), h, c)
        return params.numpy(), (h, c)

    @torch.no_grad()
    def encode(self, strokes5: np.ndarray, lengths: np.ndarray):
        mu, presig = self.model.encode(torch.from_numpy(np.asarray(strokes5, np.float32)),
                                       torch.from_numpy(np.asarray(lengths, np.int64)))
        return mu.numpy(), presig.numpy()


def to_sketch_rnn_js(model: SketchRNN, category: str, scale_factor: float) -> list:
    """Our VAE as a Magenta sketch-rnn-js `.vae.json` structure [info, dims, blobs] (int16 weights,
    gates i g f o, forget bias 1 taken out of the stored bias), for use in sketch-rnn-js demos."""
    import base64

    def gates_igfo(t: torch.Tensor, n: int, bias: bool = False) -> np.ndarray:
        i, f, g, o = t.split(n, dim=0)
        if bias:
            f = f - 1.0
        return _np(torch.cat([i, g, f, o], dim=0))

    def lstm(lstm_mod: nn.LSTM) -> list[np.ndarray]:
        n = lstm_mod.hidden_size
        wx = gates_igfo(lstm_mod.weight_ih_l0, n).T
        wh = gates_igfo(lstm_mod.weight_hh_l0, n).T
        b = gates_igfo(lstm_mod.bias_ih_l0 + lstm_mod.bias_hh_l0, n, bias=True)
        return [wx, wh, b]

    blobs = (lstm(model.encoder_fw) + lstm(model.encoder_bw)
             + [_np(model.fc_mu.weight.T), _np(model.fc_mu.bias), _np(model.fc_presig.weight.T), _np(model.fc_presig.bias),
                _np(model.fc_init.weight.T), _np(model.fc_init.bias), _np(model.fc_out.weight.T), _np(model.fc_out.bias)]
             + lstm(model.decoder))
    info = {"mode": 0, "version": 6, "name": category, "scale_factor": float(scale_factor),
            "max_seq_len": model.hp.max_seq_len}
    dims = [list(b.shape) for b in blobs]
    strings = []
    for b in blobs:
        q = np.clip(np.round(b * 32767.0 / 10.0), -32767, 32767).astype("<i2")
        strings.append(base64.b64encode(q.tobytes()).decode("ascii"))
    return [info, dims, strings]


def model_from_onnx(category: str, directory: Path | None = None) -> tuple[SketchRNN, float]:
    """Rebuild the torch model from the shipped ONNX pair (models/doodle/<category>.*), so a fresh
    checkout can resume training or measure the PyTorch baseline without the training checkpoint.
    The LSTM biases come back summed into bias_ih (bias_hh = 0): the same function."""
    from onnx import load, numpy_helper

    from artdesk.paths import models_dir

    directory = Path(directory or models_dir() / "doodle")
    meta = json.loads((directory / f"{category}.json").read_text("utf-8"))
    fields = {f.name for f in dataclasses.fields(HParams)}
    hp = HParams(**{k: v for k, v in meta["hparams"].items() if k in fields})
    hp = dataclasses.replace(hp, layout_weight=0.0)  # the layout head is for training only, not exported
    model = SketchRNN(hp)

    def weights(part: str) -> dict[str, torch.Tensor]:
        graph = load(str(directory / meta["files"][part])).graph
        found = {t.name: numpy_helper.to_array(t).copy() for t in graph.initializer}
        for name in [n[:-2] for n in found if n.endswith("_q")]:  # int16 + scale (see _int16_weight)
            found[name] = found.pop(f"{name}_q").astype(np.float32) * found.pop(f"{name}_scale")
        return {k: torch.from_numpy(np.asarray(v)) for k, v in found.items()}

    dec, enc = weights("decoder"), weights("encoder")
    E, nx = hp.enc_units, 5 + hp.z_size

    def unorder(t: torch.Tensor) -> torch.Tensor:  # ONNX i o f c -> torch i f g o
        i, o, f, g = t.split(E, dim=0)
        return torch.cat([i, f, g, o], dim=0)

    state = {
        "decoder.weight_ih_l0": dec["W"][:nx].T, "decoder.weight_hh_l0": dec["W"][nx:].T,
        "decoder.bias_ih_l0": dec["B"], "decoder.bias_hh_l0": torch.zeros_like(dec["B"]),
        "fc_out.weight": dec["Wout"].T, "fc_out.bias": dec["Bout"],
        "fc_init.weight": dec["Winit"].T, "fc_init.bias": dec["Binit"],
        "fc_mu.weight": enc["Wmu"].T, "fc_mu.bias": enc["Bmu"],
        "fc_presig.weight": enc["Wsig"].T, "fc_presig.bias": enc["Bsig"],
    }
    for d, name in enumerate(("encoder_fw", "encoder_bw")):
        state[f"{name}.weight_ih_l0"] = unorder(enc["W"][d])
        state[f"{name}.weight_hh_l0"] = unorder(enc["R"][d])
        state[f"{name}.bias_ih_l0"] = unorder(enc["B"][d][:4 * E])
        state[f"{name}.bias_hh_l0"] = unorder(enc["B"][d][4 * E:])
    model.load_state_dict({k: v.contiguous() for k, v in state.items()})
    model.eval()
    return model, float(meta["scale_factor"])


if __name__ == "__main__":
    main()
