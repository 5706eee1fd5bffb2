"""Portraits: faces in the manner of pre-modern Japanese paintings, from the project's KaoKore GAN.

The generator (models/portrait/kaokore_gan.onnx, opened through the manifest) maps a latent
z ~ N(0, I) of `zdim` numbers to an RGB face in [-1, 1] (NCHW float32). Everything here is numpy,
onnxruntime and Pillow:

- `latents(seeds, zdim)`: one z per seed, from np.random.default_rng(seed), so a seed always means
  the same face, alone or in a batch;
- `paint_portraits(seeds, variation)`: a job returning opaque RGBA uint8 HxWx4 images;
  `variation` is the truncation trick: z is scaled toward the mean latent 0 (1 = the full range
  the GAN learned, 0 = the average face, values in between = safer, less varied faces);
- `slerp` / `walk`: a spherical path between two seeds' latents, frames for an animated GIF
  (`save_gif`);
- `pick_latents` / `paint_portraits(..., pick=True)`: each seed's PICK_POOL candidate latents
  (candidate 0 is the seed's own) are steered toward clearer faces along the face picker's latent
  direction (`steer`), and the face the picker (models/portrait/face_picker.onnx,
  artdesk.training.portrait_picker) scores clearest is kept, as the Doodle tab picks the clearest
  drawings; walks then run between the picked latents;
- `upscale` (smooth = the KaoKore enlarger network x4 when it is installed, then Lanczos; crisp =
  nearest, blocks) and `sign` (the GAN objective as a small signature in a corner) for prints.

The face size is whatever the installed generator paints (64 or 128 px): nothing here assumes one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from artdesk.engines.progress import Job, Progress

MODEL_ID = "portrait/kaokore_gan"
ENLARGER_ID = "portrait/kaokore_sr"  # x4 super-resolution for the Smooth print filter
PICKER_ID = "portrait/face_picker"  # scores how readable a face's eyes and mouth are
PICK_POOL = 8  # candidates per seed; with the steering, a blind judge read 40 of seeds 0-47 (unpicked: 3; see the card)
PICK_SIZE = 64  # the picker's input side
SIGNATURE = "min_G max_D E_x[log D(x)] + E_z[log(1 - D(G(z)))]"
BATCH = 9  # portraits per ONNX run; a Paint grid is one run
MAX_VARIATION = 2.0
UPSCALE_MODES = {"smooth": Image.Resampling.LANCZOS, "crisp": Image.Resampling.NEAREST}


def open_generator(session=None):
    """The generator's onnxruntime session (from the manifest unless one is given)."""
    if session is not None:
        return session
    from artdesk.runtime.models import open_session

    return open_session(MODEL_ID)


def latent_size(session) -> int:
    return int(session.get_inputs()[0].shape[1])


def latents(seeds: Iterable[int], zdim: int) -> np.ndarray:
    """float32 [len(seeds), zdim]: row i is N(0, I) drawn from np.random.default_rng(seeds[i])."""
    rows = [np.random.default_rng(int(s)).standard_normal(zdim) for s in seeds]
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), zdim)


def candidate_latents(seed: int, zdim: int, pool: int = PICK_POOL) -> np.ndarray:
    """float32 [pool, zdim]: row 0 is the seed's own latent (`latents([seed])`), the others come
    from np.random.default_rng((seed, 1)), so a seed's candidates never change."""
    extra = np.random.default_rng((int(seed), 1)).standard_normal((max(0, pool - 1), zdim))
    return np.concatenate([latents([seed], zdim), extra.astype(np.float32)]).astype(np.float32)


def steer(z: np.ndarray, direction: np.ndarray, shift: float) -> np.ndarray:
    """Latents z [..., zdim] moved `shift` along the unit `direction` (toward clearer faces), each
    rescaled to its own length, so the faces stay as typical of the GAN as before."""
    z = np.asarray(z, np.float32)
    moved = z + np.float32(shift) * np.asarray(direction, np.float32)
    scale = np.linalg.norm(z, axis=-1, keepdims=True) / np.maximum(np.linalg.norm(moved, axis=-1, keepdims=True), 1e-12)
    return (moved * scale).astype(np.float32)


def picker_steering(zdim: int, directory=None) -> tuple[np.ndarray, float] | None:
    """(direction, shift) from the face picker's description, or None when it has none or was
    made for another generator than the installed one (its direction belongs to that generator's
    latent space). A description whose steering is not `zdim` finite numbers and a shift of 0..5
    is refused."""
    from artdesk.runtime.models import ModelError, load_manifest, read_model_description
    from artdesk.safe_read import finite

    entries = load_manifest(directory)
    entry, generator = entries.get(PICKER_ID), entries.get(MODEL_ID)
    if entry is None or "meta" not in entry.info:  # a picker listed without a description steers nothing
        return None
    description = read_model_description(PICKER_ID, directory)
    steer_info = description.get("steer")
    if steer_info is None:
        return None
    damaged = ModelError(f"The face picker's steering is damaged or does not fit this generator ({zdim} latent "
                         "numbers); reinstall ArtDesk, or find it again with `python -m artdesk.training.portrait_picker "
                         "--steer-only`.")
    if not isinstance(steer_info, dict):
        raise damaged
    made_for = steer_info.get("generator_sha256", description.get("generator_sha256", ""))
    if generator is None or not isinstance(made_for, str) or made_for.lower() != generator.sha256.lower():
        return None  # found for another generator: its direction is another latent space's
    raw, shift = steer_info.get("direction"), finite(steer_info.get("shift"), 0.0, 5.0)
    if shift is None or not isinstance(raw, list) or len(raw) != zdim:
        raise damaged
    values = [finite(v, -10.0, 10.0) for v in raw]
    if any(v is None for v in values):
        raise damaged
    direction = np.asarray(values, dtype=np.float64)
    if not 0.5 < np.linalg.norm(direction) < 2.0:
        raise damaged
    return (direction / np.linalg.norm(direction)).astype(np.float32), shift


def steering_in_use(directory: Path | None = None) -> float | None:
    """The shift by which picking with the installed models moves each candidate (`picker_steering`
    for the installed generator), or None when it steers nothing, for the placed face's record."""
    from artdesk.runtime.models import ModelError, open_session

    try:  # the session is cached: the one that painted the face
        found = picker_steering(latent_size(open_session(MODEL_ID, directory=directory)), directory)
    except ModelError:
        return None
    return None if found is None else round(float(found[1]), 4)


def open_picker(session=None):
    """The face picker's onnxruntime session (from the manifest unless one is given); its errors
    say how to paint without it."""
    if session is not None:
        return session
    from artdesk.runtime.models import ModelError, open_session

    try:
        return open_session(PICKER_ID)
    except ModelError as exc:
        raise ModelError(f"{exc} Untick \"Clearer faces\" (or pass --no-pick) to paint the generator's own "
                         "faces without it.") from exc


def face_scores(rgb: np.ndarray, picker) -> np.ndarray:
    """Picker scores (higher = clearer eyes and mouth) of generator output rgb float [N, 3, H, W]
    in -1..1; faces larger than the picker's 64 px are mean-pooled down to it first."""
    x = np.asarray(rgb, dtype=np.float32)
    side = x.shape[-1]
    if side != PICK_SIZE:
        if side % PICK_SIZE or x.shape[-2] != side:
            raise ValueError(f"The face picker needs square faces of a multiple of {PICK_SIZE} px, got {side}.")
        k = side // PICK_SIZE
        x = x.reshape(x.shape[0], 3, PICK_SIZE, k, PICK_SIZE, k).mean(axis=(3, 5))
    from artdesk.runtime.models import ModelError

    try:
        (score,) = picker.run(None, {picker.get_inputs()[0].name: np.ascontiguousarray(x)})[:1]
        score = np.asarray(score, dtype=np.float32).reshape(len(x))
    except ModelError:
        raise
    except Exception as exc:  # onnxruntime's own errors, or an output of the wrong size
        raise ModelError(f"The face picker is damaged ({type(exc).__name__}); reinstall ArtDesk, or untick "
                         "\"Clearer faces\" (--no-pick).") from exc
    return np.where(np.isfinite(score), score, -np.inf).astype(np.float32)  # a NaN score is never the clearest


def pick_latents(seeds: Sequence[int], variation: float, session=None, picker=None,
                 pool: int = PICK_POOL, steering: tuple[np.ndarray, float] | None | str = "installed") -> Job:
    """A job: for each seed, the candidate (of `pool`) whose face the picker scores clearest at this
    variation; returns (z float32 [len(seeds), zdim] before truncation, the faces as RGBA images,
    the chosen candidate index per seed). steering: (direction, shift) moves every candidate toward
    clearer faces first (`steer`); "installed" = the installed picker's own (`picker_steering` of
    the default models folder: pass it explicitly for sessions from another folder), None = none."""
    session = open_generator(session)
    picker = open_picker(picker)
    zdim = latent_size(session)
    if steering == "installed":
        steering = picker_steering(zdim)
    elif isinstance(steering, str):
        raise ValueError(f"steering must be (direction, shift), None or 'installed', not {steering!r}")
    chosen_z, faces, chosen = [], [], []
    name = session.get_inputs()[0].name
    yield Progress(0.0, f"Painting {pool} candidates per face")
    for i, seed in enumerate(seeds):
        cand = candidate_latents(seed, zdim, pool)
        if steering is not None:
            cand = steer(cand, *steering)
        (rgb,) = session.run(None, {name: truncate(cand, variation)})
        best = int(np.argmax(face_scores(rgb, picker)))
        chosen_z.append(cand[best])
        faces += to_rgba(rgb[best:best + 1])
        chosen.append(best)
        yield Progress((i + 1) / len(seeds), f"Picked {i + 1} of {len(seeds)} faces", preview=faces[-1])
    return np.asarray(chosen_z, np.float32).reshape(len(chosen), zdim), faces, chosen


def truncate(z: np.ndarray, variation: float) -> np.ndarray:
    """The truncation trick toward the mean latent (0 for a Gaussian z)."""
    if not 0.0 <= variation <= MAX_VARIATION:
        raise ValueError(f"Variation must be between 0 and {MAX_VARIATION:g} (1 is the model's full range).")
    return (np.asarray(z, dtype=np.float32) * np.float32(variation)).astype(np.float32)


def to_rgba(rgb: np.ndarray) -> list[np.ndarray]:
    """Generator output (float [N, 3, H, W] in [-1, 1]) -> opaque RGBA uint8 HxWx4 images."""
    u8 = np.clip(np.rint((rgb + 1.0) * 127.5), 0, 255).astype(np.uint8).transpose(0, 2, 3, 1)
    alpha = np.full(u8.shape[:3] + (1,), 255, np.uint8)
    return list(np.ascontiguousarray(np.concatenate([u8, alpha], axis=3)))


def render(z: np.ndarray, session=None) -> list[np.ndarray]:
    """Run the generator on latents z [N, zdim] (one ONNX call) -> RGBA images."""
    session = open_generator(session)
    name = session.get_inputs()[0].name
    (rgb,) = session.run(None, {name: np.ascontiguousarray(z, dtype=np.float32)})
    return to_rgba(rgb)


def _render_job(z: np.ndarray, session, what: str) -> Job:
    images: list[np.ndarray] = []
    yield Progress(0.0, f"Painting {what}")
    for i in range(0, len(z), BATCH):
        images += render(z[i:i + BATCH], session)
        yield Progress(len(images) / len(z), f"Painted {len(images)} of {len(z)} {what}",
                       preview=images[-1])
    return images


def paint_portraits(seeds: Sequence[int], variation: float = 1.0, session=None, pick: bool = False,
                    picker=None, steering: tuple[np.ndarray, float] | None | str = "installed") -> Job:
    """A job: one portrait per seed (e.g. 9 consecutive seeds for the Paint grid); returns a list
    of opaque RGBA uint8 HxWx4 arrays in the order of `seeds`. With `pick`, each is the clearest
    of the seed's PICK_POOL candidates (`pick_latents`, which says what `steering` takes)."""
    seeds = list(seeds)
    if not seeds:
        return []
    session = open_generator(session)
    if pick:
        _, faces, _ = yield from pick_latents(seeds, variation, session, picker, steering=steering)
        return faces
    z = truncate(latents(seeds, latent_size(session)), variation)
    return (yield from _render_job(z, session, "portraits"))


def slerp(z0: np.ndarray, z1: np.ndarray, t) -> np.ndarray:
    """Spherical interpolation from z0 (t=0) to z1 (t=1); t a number or an array of them (then
    the result has one row per t). Falls back to a straight line for (anti)parallel latents."""
    z0 = np.asarray(z0, dtype=np.float64)
    z1 = np.asarray(z1, dtype=np.float64)
    ts = np.atleast_1d(np.asarray(t, dtype=np.float64))[:, None]
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    cos = np.dot(z0, z1) / max(n0 * n1, 1e-12)
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if np.sin(omega) < 1e-6:
        out = (1 - ts) * z0 + ts * z1
    else:
        out = (np.sin((1 - ts) * omega) * z0 + np.sin(ts * omega) * z1) / np.sin(omega)
    out = out.astype(np.float32)
    return out[0] if np.ndim(t) == 0 else out


def walk_latents(seed_a: int, seed_b: int, frames: int, zdim: int, variation: float = 1.0,
                 ends: np.ndarray | None = None) -> np.ndarray:
    """The path's latents; `ends` [2, zdim] replaces the two seeds' own latents (picked faces)."""
    if frames < 2:
        raise ValueError("A walk needs at least 2 frames.")
    z = latents([seed_a, seed_b], zdim) if ends is None else np.asarray(ends, np.float32)
    return truncate(slerp(z[0], z[1], np.linspace(0.0, 1.0, frames)), variation)


def walk(seed_a: int, seed_b: int, frames: int = 24, variation: float = 1.0, session=None, pick: bool = False,
         picker=None, steering: tuple[np.ndarray, float] | None | str = "installed") -> Job:
    """A job: `frames` portraits on the spherical path from seed_a's face to seed_b's; the first
    and last frames are exactly those seeds' portraits (same variation, picked or not)."""
    session = open_generator(session)
    ends, end_faces = None, None
    if pick:
        ends, end_faces, _ = yield from pick_latents([seed_a, seed_b], variation, session, picker, steering=steering)
    z = walk_latents(seed_a, seed_b, frames, latent_size(session), variation, ends)
    images = yield from _render_job(z, session, "frames")
    if end_faces is not None:  # the very faces the grid shows, not a re-render in another batch
        images[0], images[-1] = end_faces[0], end_faces[1]
    return images


def save_gif(frames: Sequence[np.ndarray], path, ms: int = 80, loop: int = 0) -> Path:
    """An animated GIF of the frames (RGB or RGBA uint8, alpha dropped), `ms` per frame, looping
    forever by default. Pillow merges identical consecutive frames (their durations add up)."""
    if not frames:
        raise ValueError("No frames to save.")
    images = [Image.fromarray(np.ascontiguousarray(f[..., :3])) for f in frames]
    path = Path(path)
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:], duration=int(ms),
                   loop=int(loop), optimize=False, disposal=1)
    return path


def open_enlarger(session=None):
    """The print enlarger's onnxruntime session, or None when it is not installed (Smooth then
    falls back to Lanczos all the way, as before the enlarger existed)."""
    if session is not None:
        return session
    from artdesk.runtime.models import ModelError, open_session

    try:
        return open_session(ENLARGER_ID)
    except ModelError:
        return None


def enlarge(image: np.ndarray, session) -> np.ndarray:
    """The enlarger network on an RGB(A) uint8 image: 4x the width and height; alpha, if any, is
    enlarged with Lanczos beside it."""
    arr = np.ascontiguousarray(image, dtype=np.uint8)
    x = (arr[..., :3].astype(np.float32) / 255.0).transpose(2, 0, 1)[None]
    name = session.get_inputs()[0].name
    (out,) = session.run(None, {name: np.ascontiguousarray(x)})
    rgb = np.clip(np.rint(out[0].transpose(1, 2, 0) * 255.0), 0, 255).astype(np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 4:
        h, w = rgb.shape[:2]
        alpha = np.asarray(Image.fromarray(arr[..., 3]).resize((w, h), Image.Resampling.LANCZOS))
        rgb = np.concatenate([rgb, alpha[..., None]], axis=2)
    return np.ascontiguousarray(rgb)


def upscale(image: np.ndarray, size, mode: str = "smooth", enlarger=None) -> np.ndarray:
    """Resize for print: `size` is the new width = height (int) or (width, height); mode "smooth"
    (the `enlarger` session's network first when one is given and the print is at least twice
    the image, then Lanczos) or "crisp" (nearest neighbour: every pixel becomes a sharp block).
    Keeps the channels (RGB or RGBA) and dtype uint8."""
    if mode not in UPSCALE_MODES:
        raise ValueError(f"Unknown upscale mode {mode!r}: use 'smooth' or 'crisp'.")
    w, h = (int(size), int(size)) if np.ndim(size) == 0 else (int(size[0]), int(size[1]))
    if w < 1 or h < 1:
        raise ValueError("The print size must be at least 1 pixel.")
    arr = np.ascontiguousarray(image, dtype=np.uint8)
    if mode == "smooth" and enlarger is not None and w >= 2 * arr.shape[1] and h >= 2 * arr.shape[0]:
        arr = enlarge(arr, enlarger)
    if (w, h) == (arr.shape[1], arr.shape[0]):
        return arr
    return np.asarray(Image.fromarray(arr).resize((w, h), UPSCALE_MODES[mode]))


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: the fixed bitmap font
        return ImageFont.load_default()


def sign(image: np.ndarray, text: str = SIGNATURE, corner: str = "bottom-right",
         width_fraction: float = 0.45) -> np.ndarray:
    """A copy of the image with `text` (by default the GAN objective) written small in a corner,
    in dark or light ink to suit that corner. Only a box in that corner changes. Pillow's default
    font: no font files needed."""
    arr = np.ascontiguousarray(image, dtype=np.uint8)
    h, w = arr.shape[:2]
    margin = max(1, round(min(w, h) * 0.02))
    size = 64
    font = _font(size)
    while size > 4:  # largest size whose text fits in width_fraction of the image
        font = _font(size)
        if ImageDraw.Draw(Image.new("L", (1, 1))).textlength(text, font=font) <= w * width_fraction:
            break
        size = max(4, int(size * 0.9) if size > 10 else size - 1)
    img = Image.fromarray(arr)
    draw = ImageDraw.Draw(img)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    tw, th = right - left, bottom - top
    x = margin if "left" in corner else w - margin - tw
    y = margin if "top" in corner else h - margin - th
    box = arr[max(0, y):y + th, max(0, x):x + tw, :3]
    light = box.size == 0 or box.mean() > 110
    rgb = (40, 30, 25) if light else (240, 232, 215)
    ink: tuple[int, ...] = rgb + (255,) if arr.ndim == 3 and arr.shape[2] == 4 else rgb
    draw.text((x - left, y - top), text, fill=ink, font=font)
    return np.asarray(img)
