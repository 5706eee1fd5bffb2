"""Doodle: sketch-rnn drawing (Ha & Eck 2017) on numpy + onnxruntime.

A *doodle model* is anything with the step interface below; two kinds exist:
- `JsDoodleModel` (artdesk.engines.sketch_rnn_js): Magenta's published `.gen.json`/`.vae.json`.
- `OnnxDoodleModel`: our own models (models/doodle/<category>.{encoder,decoder}.onnx + .json).

Step interface (all arrays float32, batch first):
    name, scale_factor, max_seq_len, z_size (0 = decoder-only), num_units, has_encoder, start_token
    start_state(batch, z=None) -> state
    step(x (B, 5) normalised stroke-5, state, z=None) -> (params (B, 123), state)
    encode(strokes5 (B, T, 5) normalised, lengths (B,)) -> (mu (B, Z), presig (B, Z))

params per row: [3 pen logits, 20 pi logits, 20 mu_x, 20 mu_y, 20 log sigma_x, 20 log sigma_y,
20 raw corr]. Sampling is batched: N candidates cost about one step each. Long operations are
generators yielding Progress (preview: the candidates' stroke-3 so far) and returning the result.
Drawings in and out are stroke-3 in the model's data units (Quick, Draw! 255-pixel frame).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from artdesk.errors import ModelError
from artdesk.safe_read import finite, load_json_file, whole

from .progress import Job, Progress
from .sketch_format import normalize, to_stroke5
from .sketch_rnn_js import MAX_SCALE, MAX_SEQ_LEN, N_MIXTURE, JsDoodleModel, load_sketch_rnn_js

M = N_MIXTURE
DEFAULT_TEMPERATURE = 0.65


# --- our ONNX models -----------------------------------------------------------------------------

class OnnxDoodleModel:
    """A sketch-rnn VAE exported by artdesk.training.sketch_rnn: one ONNX decoder step (state in,
    state out; its `start` input computes the initial state from z) and an ONNX encoder."""

    start_token = np.array([0, 0, 1, 0, 0], dtype=np.float32)

    def __init__(self, meta: dict, decoder: Any, encoder: Any | None = None) -> None:
        check_doodle_meta(meta)
        self.meta = meta
        self.name = meta["category"]
        self.start_token = np.asarray(meta.get("start_token", [0, 0, 1, 0, 0]), dtype=np.float32).reshape(5)
        self.typical_extent = meta.get("typical_extent")  # see frame_scale
        self.ends_after = meta.get("ends_after")  # see sample_doodles
        self.scale_factor = float(meta["scale_factor"])
        self.max_seq_len = int(meta["max_seq_len"])
        hp = meta["hparams"]
        self.z_size = int(hp["z_size"])
        self.num_units = int(hp["dec_units"])
        self.decoder = decoder
        self.encoder = encoder
        # a student whose latent is untrained has an encoder but nothing to read with it
        self.has_encoder = encoder is not None and bool(meta.get("reads_drawings", True))

    @classmethod
    def from_json(cls, path: str | Path, providers: Sequence[str] | None = None, threads: int = 1) -> "OnnxDoodleModel":
        """Open a models/doodle/<category>.json-style model (an imported one: the shipped ones come
        through doodle_io.open_shipped) with its two ONNX files beside it, through the runtime: its
        provider choice (Force CPU respected), quiet logs and clear errors. `providers` names one
        to use instead; `threads` is kept for callers of the old signature."""
        from artdesk.runtime.models import open_onnx_file

        path = Path(path)
        meta = load_json_file(path, MAX_DESCRIPTION_BYTES, f"The doodle model description {path.name}", ModelError)
        check_doodle_meta(meta, path.name)

        def session(key: str):
            file = path.parent / meta["files"][key]
            if not file.exists():
                raise ModelError(f"The doodle model file {file} is missing; re-export it with `artdesk train doodle`.")
            return open_onnx_file(file, providers[0] if providers else None, label=f"{path.name} ({key})")

        try:
            return cls(meta, session("decoder"), session("encoder") if "encoder" in meta["files"] else None)
        except ModelError:
            raise
        except Exception as exc:  # onnxruntime raises its own types for a bad graph
            raise ModelError(f"The doodle model {path.name} could not be loaded: its files are damaged "
                             f"({type(exc).__name__}).") from exc

    def start_state(self, batch: int, z: np.ndarray | None = None):
        zeros = np.zeros((batch, self.num_units), dtype=np.float32)
        if z is None:
            z = np.zeros((batch, self.z_size), dtype=np.float32)
        return ("start", np.asarray(z, dtype=np.float32).reshape(batch, self.z_size), zeros, zeros)

    def step(self, x: np.ndarray, state, z: np.ndarray | None = None):
        start = isinstance(state, tuple) and len(state) == 4 and isinstance(state[0], str)
        if start:
            _, z0, h, c = state
            if z is None:
                z = z0
        else:
            h, c = state
        batch = len(x)
        if z is None:
            z = np.zeros((batch, self.z_size), dtype=np.float32)
        params, h, c = self.decoder.run(None, {
            "x": np.asarray(x, dtype=np.float32),
            "z": np.asarray(z, dtype=np.float32).reshape(batch, self.z_size),
            "h": h, "c": c,
            "start": np.array(start),
        })
        return params, (h, c)

    def encode(self, strokes5: np.ndarray, lengths: np.ndarray):
        if self.encoder is None:
            raise ValueError(f"The doodle model '{self.name}' has no encoder.")
        mu, presig = self.encoder.run(None, {
            "strokes": np.asarray(strokes5, dtype=np.float32),
            "lengths": np.asarray(lengths, dtype=np.int32),
        })
        return mu, presig


MAX_DESCRIPTION_BYTES = 4 * 1024 * 1024


def check_doodle_meta(meta: Any, source: str = "The doodle model description") -> None:
    """A description's values, each checked: ModelError (with a sentence) if one is off."""
    def bad(why: str) -> ModelError:
        return ModelError(f"{source} is damaged ({why}); reinstall ArtDesk or re-make the model with "
                          "`artdesk train doodle`.")

    if not isinstance(meta, dict):
        raise bad("not a JSON object")
    if not isinstance(meta.get("category"), str) or not 0 < len(meta["category"]) <= 100:
        raise bad("no category name")
    if finite(meta.get("scale_factor"), 1e-6, MAX_SCALE) is None:
        raise bad("scale_factor is not a finite number above 0")
    if whole(meta.get("max_seq_len"), 1, MAX_SEQ_LEN) is None:
        raise bad(f"max_seq_len is not a whole number from 1 to {MAX_SEQ_LEN}")
    if meta.get("ends_after") is not None and whole(meta.get("ends_after"), 1, MAX_SEQ_LEN) is None:
        raise bad(f"ends_after is not a whole number from 1 to {MAX_SEQ_LEN}")
    hp = meta.get("hparams")
    if not isinstance(hp, dict) or whole(hp.get("z_size"), 0, 4096) is None \
            or whole(hp.get("dec_units"), 1, 8192) is None:
        raise bad("hparams z_size / dec_units are not sensible whole numbers")
    files = meta.get("files")
    if not isinstance(files, dict) or not isinstance(files.get("decoder"), str) or \
            not all(isinstance(v, str) and "/" not in v and "\\" not in v and not v.startswith(".")
                    for v in files.values()):
        raise bad("its file names are missing or point outside its folder")


def load_doodle_model(path: str | Path, **kwargs) -> JsDoodleModel | OnnxDoodleModel:
    """A Magenta .gen.json/.vae.json file or one of our models/doodle/<category>.json."""
    path = Path(path)
    if path.name.endswith((".gen.json", ".vae.json")):
        return load_sketch_rnn_js(path)
    if path.suffix == ".json":
        head = load_json_file(path, 100 * 1024 * 1024, f"The doodle model {path.name}", ModelError)
        if isinstance(head, list):
            return load_sketch_rnn_js(path)
        return OnnxDoodleModel.from_json(path, **kwargs)
    raise ModelError(f"{path.name} is not a doodle model: expected a .gen.json, .vae.json or ArtDesk .json file.")


# --- the mixture ---------------------------------------------------------------------------------

def _softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / max(temperature, 1e-6)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def split_params(params: np.ndarray):
    """(B, 123) raw outputs -> pen_logits, pi_logits, mu_x, mu_y, log_sx, log_sy, corr (tanh'd)."""
    pen = params[:, :3]
    pi, mx, my, lsx, lsy, rho = np.split(params[:, 3:3 + 6 * M], 6, axis=1)
    return pen, pi, mx, my, lsx, lsy, np.tanh(rho)


def sample_points(params: np.ndarray, rng: np.random.Generator, temperature: float = DEFAULT_TEMPERATURE,
                  softmax_temperature: float | None = None, shared: bool = False) -> np.ndarray:
    """Draw one normalised stroke-5 point per row (Magenta's sketch-rnn-js sampling rule).
    shared: every row uses the same random numbers (rows with near codes draw near points)."""
    if softmax_temperature is None:
        softmax_temperature = 0.5 + 0.5 * temperature
    pen_l, pi_l, mx, my, lsx, lsy, rho = split_params(params.astype(np.float64))
    b = len(params)
    rows = np.arange(b)
    pi = _softmax(pi_l, softmax_temperature)
    pen = _softmax(pen_l, softmax_temperature)
    u = np.broadcast_to(rng.random((1 if shared else b, 2)), (b, 2))
    k = np.minimum((pi.cumsum(axis=1) < u[:, :1]).sum(axis=1), M - 1)
    p = np.minimum((pen.cumsum(axis=1) < u[:, 1:]).sum(axis=1), 2)
    s = np.sqrt(max(temperature, 0.0))
    sx, sy = np.exp(lsx[rows, k]) * s, np.exp(lsy[rows, k]) * s
    r = rho[rows, k]
    n = np.broadcast_to(rng.standard_normal((1 if shared else b, 2)), (b, 2))
    out = np.zeros((b, 5), dtype=np.float32)
    out[:, 0] = mx[rows, k] + sx * (np.sqrt(1.0 - r * r) * n[:, 0] + r * n[:, 1])
    out[:, 1] = my[rows, k] + sy * n[:, 1]
    out[rows, 2 + p] = 1.0
    return out


def mixture_nll(params: np.ndarray, target5: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row negative log-likelihood of a normalised stroke-5 target: (offset part, pen part)."""
    pen_l, pi_l, mx, my, lsx, lsy, rho = split_params(params.astype(np.float64))
    dx, dy = target5[:, :1].astype(np.float64), target5[:, 1:2].astype(np.float64)
    sx, sy = np.exp(lsx), np.exp(lsy)
    zx, zy = (dx - mx) / sx, (dy - my) / sy
    one_r2 = np.maximum(1.0 - rho * rho, 1e-6)
    log_n = -(zx * zx + zy * zy - 2 * rho * zx * zy) / (2 * one_r2) - np.log(2 * np.pi * sx * sy * np.sqrt(one_r2))
    log_pi = pi_l - pi_l.max(axis=1, keepdims=True)
    log_pi = log_pi - np.log(np.exp(log_pi).sum(axis=1, keepdims=True))
    a = log_pi + log_n
    amax = a.max(axis=1, keepdims=True)
    offset = -(amax[:, 0] + np.log(np.exp(a - amax).sum(axis=1) + 1e-300))
    log_pen = pen_l - pen_l.max(axis=1, keepdims=True)
    log_pen = log_pen - np.log(np.exp(log_pen).sum(axis=1, keepdims=True))
    pen = -(log_pen * target5[:, 2:5]).sum(axis=1)
    return offset, pen


# --- batching drawings ---------------------------------------------------------------------------

def _batch5(model, drawings: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Normalised stroke-5 batch (B, T+1, 5), padded with end rows, and lengths (drawn points)."""
    lengths = np.array([len(d) for d in drawings])
    t = int(lengths.max()) if len(lengths) else 0
    batch = np.stack([to_stroke5(normalize(np.asarray(d, np.float32).reshape(-1, 3), model.scale_factor), t)
                      for d in drawings])
    return batch, lengths


def _repeat_state(state, n: int):
    if isinstance(state[0], str):
        return (state[0],) + tuple(np.repeat(s, n, axis=0) for s in state[1:])
    return tuple(np.repeat(s, n, axis=0) for s in state)


def _take_state(state, rows: np.ndarray):
    return tuple(s[rows] for s in state)


def encode_doodles(model, drawings: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """stroke-3 drawings -> (mu, sigma) of their latent codes (needs a VAE model)."""
    if not model.has_encoder:
        raise ValueError(f"The doodle model '{model.name}' draws from scratch only: it cannot read a drawing.")
    if not len(drawings) or any(len(d) == 0 for d in drawings):
        raise ValueError("There is no drawing to read: draw something first.")
    batch, lengths = _batch5(model, drawings)
    mu, presig = model.encode(batch, lengths)
    return mu, np.exp(0.5 * presig)


TYPICAL_EXTENT = 12.0  # a training drawing spans about this many scale factors (sheep 13, teachers ~12)


def frame_scale(model, extent: float) -> float:
    """Factor that takes a drawing spanning `extent` canvas units into the model's frame (multiply
    user strokes by it before sampling, divide the results by it): the span of the model's own
    drawings when its description names it, else TYPICAL_EXTENT scale factors."""
    typical = float(getattr(model, "typical_extent", None) or TYPICAL_EXTENT)
    return typical * model.scale_factor / max(float(extent), 1e-6)


def slerp(z0: np.ndarray, z1: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """Spherical interpolation between latent codes (linear when they are nearly parallel)."""
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    t = np.asarray(t, np.float64)[..., None] if np.ndim(t) else float(t)
    cos = np.dot(z0 / np.linalg.norm(z0), z1 / np.linalg.norm(z1))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if abs(np.sin(omega)) < 1e-6:
        return ((1.0 - t) * z0 + t * z1).astype(np.float32)
    return ((np.sin((1.0 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)).astype(np.float32)


# --- sampling ------------------------------------------------------------------------------------

def sample_doodles(model, n: int = 9, *, seed: int = 0, temperature: float = DEFAULT_TEMPERATURE,
                   prefix: np.ndarray | None = None, z: np.ndarray | None = None,
                   max_steps: int | None = None, stop_at_end: bool = True,
                   softmax_temperature: float | None = None, min_points: int = 2, yield_every: int = 4,
                   shared_noise: bool = False, ends_after: int | None = None) -> Job:
    """Draw n candidates at once; a job generator that returns a list of n stroke-3 arrays.

    prefix: stroke-3 drawing so far (data units); it is fed through the decoder once and each
    candidate continues it: the result holds only the new points. z: (n, Z) or (Z,) latent codes
    for a VAE (default: standard normal draws from the seed). max_steps defaults to the model's
    max_seq_len minus the prefix length; stop_at_end=False runs all max_steps (for benchmarks).
    An end of drawing sampled before min_points new points is read as "pen down" instead, so no
    candidate comes back empty. shared_noise: all candidates draw with the same random numbers, so
    they differ only by their z (a morph strip changes smoothly instead of nine different hands).
    ends_after (default: the model's own `ends_after`, if any, counted from the drawing's start):
    past this many points, the first lift of the pen ends the drawing, so a long drawing finishes
    its stroke instead of starting new ones (the students' teachers were trained to this length;
    the new strokes they add beyond it make a drawing less recognisable, not more).
    """
    rng = np.random.default_rng(seed)
    if model.z_size:
        if z is None:  # from a stream of its own: the points of a seed are drawn with the same numbers by any
            # model, so a student and its teacher (or two versions of a model) compare drawing for drawing
            z = np.random.default_rng([seed, 1]).standard_normal((n, model.z_size)).astype(np.float32)
        z = np.broadcast_to(np.asarray(z, np.float32).reshape(-1, model.z_size), (n, model.z_size)).copy()
    else:
        z = None
    prefix_len = 0 if prefix is None else len(prefix)
    if max_steps is None:
        max_steps = max(model.max_seq_len - prefix_len, 16)
    if ends_after is None and getattr(model, "ends_after", None):
        ends_after = max(int(model.ends_after) - prefix_len, min_points)

    # the prefix: identical for all candidates when z is shared, so feed it once and repeat
    shared = z is None or bool(np.all(z == z[:1]))
    feed = 1 if shared else n
    state = model.start_state(feed, None if z is None else z[:feed])
    x = np.repeat(model.start_token[None], feed, axis=0)
    if prefix_len:
        p5 = to_stroke5(normalize(np.asarray(prefix, np.float32).reshape(-1, 3), model.scale_factor))[:-1]
        for i, point in enumerate(p5):
            _, state = model.step(x, state, None if z is None else z[:feed])
            x = np.repeat(point[None], feed, axis=0)
            if i % 32 == 31:
                yield Progress(0.0, "reading the drawing")
    if feed == 1 and n > 1:
        state = _repeat_state(state, n)
        x = np.repeat(x, n, axis=0)

    points = np.zeros((n, max_steps, 5), dtype=np.float32)
    lengths = np.zeros(n, dtype=int)
    active = np.arange(n)
    for t in range(max_steps):
        params, state = model.step(x, state, None if z is None else z[active])
        nxt = sample_points(params, rng, temperature, softmax_temperature, shared_noise)
        if t < min_points:
            early = nxt[:, 4] > 0.5
            nxt[early, 2], nxt[early, 4] = 1.0, 0.0
        elif ends_after is not None and t >= ends_after:
            lifted = x[:, 3] > 0.5  # the previous point ended a stroke: end the drawing here
            nxt[lifted] = (0.0, 0.0, 0.0, 0.0, 1.0)
        points[active, t] = nxt
        lengths[active] = t + 1
        if stop_at_end:
            alive = nxt[:, 4] < 0.5
            if not alive.all():
                active, nxt = active[alive], nxt[alive]
                state = _take_state(state, np.flatnonzero(alive))
        x = nxt
        if len(active) == 0:
            break
        if t % yield_every == yield_every - 1:
            yield Progress((t + 1) / max_steps, "drawing",
                           preview=[_to_data_units(points[i, :lengths[i]], model.scale_factor) for i in range(n)])
    result = [_to_data_units(points[i, :lengths[i]], model.scale_factor) for i in range(n)]
    yield Progress(1.0, "done", preview=result)
    return result


def _to_data_units(points5: np.ndarray, scale_factor: float) -> np.ndarray:
    ends = np.flatnonzero(points5[:, 4] > 0.5)
    k = int(ends[0]) if len(ends) else len(points5)
    out = np.empty((k, 3), dtype=np.float32)
    out[:, :2] = points5[:k, :2] * scale_factor
    out[:, 2] = points5[:k, 3]
    if k and not len(ends):
        out[-1, 2] = 1.0  # a drawing cut off by max_steps ends with the pen lifted
    return out


def continue_doodle(model, drawing: np.ndarray, n: int = 9, *, seed: int = 0,
                    temperature: float = DEFAULT_TEMPERATURE, **kwargs) -> Job:
    """n endings of a drawing begun by the user (stroke-3, data units); returns only the new points.
    For a VAE the latent code comes from encoding the begun drawing (one draw per candidate)."""
    z = kwargs.pop("z", None)
    if z is None and model.z_size and model.has_encoder and len(drawing):
        mu, sigma = encode_doodles(model, [drawing])
        eps = np.random.default_rng(seed + 7919).standard_normal((n, model.z_size)).astype(np.float32)
        z = mu + eps * sigma * temperature
    return (yield from sample_doodles(model, n, seed=seed, temperature=temperature, prefix=drawing, z=z, **kwargs))


def redraw_doodle(model, drawing: np.ndarray, n: int = 9, *, seed: int = 0,
                  temperature: float = DEFAULT_TEMPERATURE, **kwargs) -> Job:
    """n new drawings from the latent code of `drawing` (VAE): same subject, the model's hand."""
    mu, _ = encode_doodles(model, [drawing])
    return (yield from sample_doodles(model, n, seed=seed, temperature=temperature, z=np.repeat(mu, n, axis=0), **kwargs))


def morph_doodles(model, first: np.ndarray, second: np.ndarray, steps: int = 9, *, seed: int = 0,
                  temperature: float = 0.1, **kwargs) -> Job:
    """steps drawings along the slerp path from first's latent code to second's (VAE)."""
    z = morph_path(model, first, second, steps)
    return (yield from sample_doodles(model, steps, seed=seed, temperature=temperature, z=z, shared_noise=True,
                                      **kwargs))


def morph_path(model, first: np.ndarray, second: np.ndarray, steps: int) -> np.ndarray:
    """(steps, Z): the slerp path from first's latent code (the encoder's mean) to second's."""
    mu, _ = encode_doodles(model, [first, second])
    return slerp(mu[0], mu[1], np.linspace(0.0, 1.0, steps))


# --- evaluation ----------------------------------------------------------------------------------

def reconstruction_loss(model, drawings: Sequence[np.ndarray], nmax: int | None = None,
                        use_encoder: bool = True, batch_size: int = 100) -> dict:
    """Teacher-forced held-out loss in Magenta's eval convention: the negative log-likelihood of
    each drawn point (offsets + pen state) summed per drawing and divided by nmax; with the
    encoder's mean z for a VAE, else z = 0 (a VAE without encoding) or no z (decoder-only).
    Also returns the KL term of the encoder and the per-point loss, which does not depend on nmax."""
    nmax = int(nmax or model.max_seq_len)
    total, kl_sum, points, count = 0.0, 0.0, 0, 0
    for start in range(0, len(drawings), batch_size):
        chunk = [np.asarray(d, np.float32).reshape(-1, 3) for d in drawings[start:start + batch_size]]
        b = len(chunk)
        batch, lengths = _batch5(model, chunk)
        z = None
        if model.z_size:
            if use_encoder and model.has_encoder:
                mu, presig = model.encode(batch, lengths)
                z = mu
                kl_sum += float(np.sum(-0.5 * np.mean(1 + presig - mu ** 2 - np.exp(presig), axis=1)))
            else:
                z = np.zeros((b, model.z_size), np.float32)
        state = model.start_state(b, z)
        x = np.repeat(model.start_token[None], b, axis=0)
        real = lengths
        for t in range(int(real.max())):
            params, state = model.step(x, state, z)
            target = batch[:, t]
            offset, pen = mixture_nll(params, target)
            mask = t < real
            total += float(np.sum((offset + pen) * mask))
            x = target
        points += int(real.sum())
        count += b
    return {"recon": total / (count * nmax), "kl": kl_sum / max(count, 1), "nll_per_point": total / max(points, 1),
            "nmax": nmax, "drawings": count}
