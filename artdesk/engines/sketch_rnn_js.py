"""Reader for the sketch-rnn models Magenta published for sketch-rnn-js (`.gen.json`, `.vae.json`).

A file is a JSON list `[info, dims, blobs]`: `info` has name, mode (2 or "gen" = decoder only,
0/1 = VAE), scale_factor, max_seq_len, version; `dims` gives the shape of each blob; each blob is
base64 of little-endian int16 values, weight = value * 10 / 32767.

Decoder-only blobs: output W (H, 123), output b, LSTM W_xh (5, 4H), W_hh (H, 4H), bias (4H).
VAE blobs: encoder forward LSTM (W_xh, W_hh, b), backward LSTM (same), mu W/b, presig W/b,
z->initial state W/b, then the five decoder blobs. LSTM gates are ordered i, g, f, o with a
forget bias of 1 added at run time; the output row is [3 pen logits, 20 pi, 20 mu_x, 20 mu_y,
20 log sigma_x, 20 log sigma_y, 20 corr]. The VAE initial state is tanh(z W + b) split as (c, h).

The model runs on numpy (`JsDoodleModel`), batched; it implements the same step interface as
our ONNX models (see artdesk.engines.doodle).
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any

import numpy as np

from artdesk.errors import ModelError
from artdesk.safe_read import finite, regular_file, whole

MAX_WEIGHT = 10.0
MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_SEQ_LEN = 10_000
MAX_SCALE = 1e4
MAX_BLOB_VALUES = 20_000_000
N_MIXTURE = 20
N_OUT = 3 + 6 * N_MIXTURE
_HELP = "Use a .gen.json or .vae.json file from Magenta's sketch-rnn-js models."


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


def lstm_step(x: np.ndarray, h: np.ndarray, c: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One batched LSTM step, gates i, g, f, o; `b` already holds the forget bias."""
    gates = np.concatenate([x, h], axis=1) @ w + b
    i, g, f, o = np.split(gates, 4, axis=1)
    c = c * _sigmoid(f) + np.tanh(g) * _sigmoid(i)
    h = np.tanh(c) * _sigmoid(o)
    return h, c


class JsDoodleModel:
    """A sketch-rnn-js model on numpy: decoder-only (`z_size == 0`) or a VAE with its encoder."""

    # sketch-rnn-js starts from a zero input; it also fits real drawings better than (0, 0, 1, 0, 0)
    start_token = np.zeros(5, dtype=np.float32)

    def __init__(self, info: dict, weights: list[np.ndarray], source: str = "") -> None:
        self.info = dict(info)
        self.source = source
        self.name = str(info.get("name", "sketch"))
        self.scale_factor = float(info["scale_factor"])
        self.max_seq_len = int(info["max_seq_len"])
        version = info.get("version", 6)
        self.version = version if whole(version, 0, 1000) is not None else 6
        if len(weights) == 5:
            dec = weights
            self.z_size = 0
            self.has_encoder = False
        else:
            (fw_x, fw_h, fw_b, bw_x, bw_h, bw_b, self.mu_w, self.mu_b, self.sigma_w, self.sigma_b,
             self.init_w, self.init_b) = weights[:12]
            dec = weights[12:]
            self.enc_units = fw_h.shape[0]
            self.enc_fw = self._fuse(fw_x, fw_h, fw_b)
            self.enc_bw = self._fuse(bw_x, bw_h, bw_b)
            self.z_size = self.init_w.shape[0]
            self.has_encoder = True
        self.out_w, self.out_b, dec_x, dec_h, dec_b = dec
        self.num_units = dec_h.shape[0]
        self.dec_w, self.dec_b = self._fuse(dec_x, dec_h, dec_b)

    @staticmethod
    def _fuse(wx: np.ndarray, wh: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = wh.shape[0]
        b = b.astype(np.float32).copy()
        b[2 * n:3 * n] += 1.0  # forget bias
        return np.concatenate([wx, wh], axis=0).astype(np.float32), b

    # --- the step interface -------------------------------------------------------------------

    def start_state(self, batch: int, z: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        if self.z_size == 0 or z is None:
            zeros = np.zeros((batch, self.num_units), dtype=np.float32)
            return zeros, zeros.copy()
        z = np.asarray(z, dtype=np.float32).reshape(batch, self.z_size)
        if self.version < 6:
            z = np.tanh(z)
        state = np.tanh(z @ self.init_w + self.init_b)
        c, h = state[:, :self.num_units], state[:, self.num_units:]
        return np.ascontiguousarray(h), np.ascontiguousarray(c)

    def step(self, x: np.ndarray, state: tuple[np.ndarray, np.ndarray], z: np.ndarray | None = None):
        """x: (B, 5) normalised stroke-5 -> (mixture params (B, 123), new state)."""
        h, c = state
        x = np.asarray(x, dtype=np.float32)
        if self.z_size:
            x = np.concatenate([x, np.asarray(z, dtype=np.float32).reshape(len(x), self.z_size)], axis=1)
        h, c = lstm_step(x, h, c, self.dec_w, self.dec_b)
        return h @ self.out_w + self.out_b, (h, c)

    def encode(self, strokes5: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(B, T, 5) normalised stroke-5 (without start token) and lengths -> (mu, presig)."""
        if not self.has_encoder:
            raise ValueError(f"The model '{self.name}' is decoder-only: it cannot encode a drawing.")
        strokes5 = np.asarray(strokes5, dtype=np.float32)
        lengths = np.asarray(lengths).astype(int)
        outs = []
        for (w, b), reverse in ((self.enc_fw, False), (self.enc_bw, True)):
            hs = []
            for row, n in zip(strokes5, lengths):
                seq = row[:n][::-1] if reverse else row[:n]
                h = np.zeros((1, self.enc_units), np.float32)
                c = h.copy()
                for t in range(n):
                    h, c = lstm_step(seq[t:t + 1], h, c, w, b)
                hs.append(h[0])
            outs.append(np.stack(hs))
        hidden = np.concatenate(outs, axis=1)
        return hidden @ self.mu_w + self.mu_b, hidden @ self.sigma_w + self.sigma_b


def _fail(source: str, why: str) -> ModelError:
    return ModelError(f"{source} is not a readable sketch-rnn model: {why}. {_HELP}")


def parse_sketch_rnn_js(data: Any, source: str = "This file") -> JsDoodleModel:
    """Build a model from the parsed JSON of a sketch-rnn-js file; ModelError (a ValueError) if it
    is not one: every value is checked (finite scale, bounded sequence length, integer shapes)."""
    if not (isinstance(data, list) and len(data) == 3 and isinstance(data[0], dict)
            and isinstance(data[1], list) and isinstance(data[2], list)):
        raise _fail(source, "expected a JSON list [info, dims, blobs]")
    info, dims, blobs = data
    scale = finite(info.get("scale_factor"), 1e-6, MAX_SCALE)
    if scale is None:
        raise _fail(source, "the info has no valid 'scale_factor' (a finite number above 0)")
    if whole(info.get("max_seq_len"), 1, MAX_SEQ_LEN) is None:
        raise _fail(source, f"the info has no valid 'max_seq_len' (a whole number from 1 to {MAX_SEQ_LEN})")
    info = {**info, "scale_factor": scale}
    if len(dims) != len(blobs) or len(blobs) not in (5, 17):
        raise _fail(source, f"expected 5 (decoder-only) or 17 (VAE) weight blobs, found {len(blobs)}")
    weights: list[np.ndarray] = []
    for i, (dim, blob) in enumerate(zip(dims, blobs)):
        if not (isinstance(dim, list) and 1 <= len(dim) <= 2
                and all(whole(d, 1, MAX_BLOB_VALUES) is not None for d in dim)) or int(np.prod(dim)) > MAX_BLOB_VALUES:
            raise _fail(source, f"blob {i} has an invalid shape {str(dim)[:40]}")
        if not isinstance(blob, str):
            raise _fail(source, f"blob {i} is not a base64 string")
        try:
            raw = base64.b64decode(blob, validate=True)
        except (binascii.Error, ValueError):
            raise _fail(source, f"blob {i} is not valid base64 (the file may be truncated or corrupt)") from None
        count = int(np.prod(dim))
        if len(raw) != 2 * count:
            raise _fail(source, f"blob {i} holds {len(raw) // 2} values where its shape {dim} needs {count}")
        values = np.frombuffer(raw, dtype="<i2").astype(np.float32) * (MAX_WEIGHT / 32767.0)
        weights.append(values.reshape(dim))
    dec = weights[-5:]
    out_w, out_b, dec_x, dec_h, dec_b = dec
    n = dec_h.shape[0] if dec_h.ndim == 2 else -1
    ok = (out_w.ndim == 2 and out_w.shape == (n, N_OUT) and out_b.shape == (N_OUT,)
          and dec_x.ndim == 2 and dec_x.shape[1] == 4 * n and dec_h.shape == (n, 4 * n) and dec_b.shape == (4 * n,))
    if not ok:
        raise _fail(source, "the decoder weights do not have the shapes of a 20-mixture sketch-rnn LSTM")
    if len(weights) == 17:
        fw_x, fw_h, fw_b, bw_x, bw_h, bw_b, mu_w, mu_b, sg_w, sg_b, init_w, init_b = weights[:12]
        e = fw_h.shape[0] if fw_h.ndim == 2 else -1
        z = mu_w.shape[1] if mu_w.ndim == 2 else -1
        ok = (fw_x.shape == (5, 4 * e) and fw_h.shape == (e, 4 * e) and fw_b.shape == (4 * e,)
              and bw_x.shape == fw_x.shape and bw_h.shape == fw_h.shape and bw_b.shape == fw_b.shape
              and mu_w.shape == (2 * e, z) and mu_b.shape == (z,) and sg_w.shape == (2 * e, z)
              and sg_b.shape == (z,) and init_w.shape == (z, 2 * n) and init_b.shape == (2 * n,)
              and dec_x.shape[0] == 5 + z)
        if not ok:
            raise _fail(source, "the encoder weights do not match a sketch-rnn VAE")
    elif dec_x.shape[0] != 5:
        raise _fail(source, "a decoder-only model must take stroke-5 input")
    return JsDoodleModel(info, weights, source)


def load_sketch_rnn_js(path: str | Path) -> JsDoodleModel:
    """Read a Magenta sketch-rnn-js `.gen.json` or `.vae.json` file."""
    path = Path(path)
    if not path.exists():
        raise ModelError(f"The sketch model file {path} does not exist.")
    regular_file(path, path.name, ModelError, MAX_FILE_BYTES)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _fail(path.name, f"it is not valid JSON ({exc.__class__.__name__} at {getattr(exc, 'pos', '?')})") from None
    except RecursionError:
        raise _fail(path.name, "it is nested too deeply") from None
    except (OSError, ValueError) as exc:
        raise _fail(path.name, f"it cannot be read ({type(exc).__name__})") from None
    try:
        return parse_sketch_rnn_js(data, path.name)
    except ModelError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, MemoryError) as exc:
        raise _fail(path.name, f"its weights do not fit together ({type(exc).__name__})") from exc
