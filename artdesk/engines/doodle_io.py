"""Between the canvas and sketch-rnn: user strokes <-> stroke-3 in a model's data units, and the
models a user can pick (the project's own, from the manifest, plus imported Magenta files).

A `Frame` maps document units to model units: model = (doc - origin) * factor, with the factor
chosen so the drawing spans what the model saw in training (doodle.frame_scale)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence, TypedDict

import numpy as np

from artdesk.engines.doodle import (OnnxDoodleModel, continue_doodle, encode_doodles, frame_scale,
                                    load_doodle_model, morph_doodles, morph_path, redraw_doodle,
                                    sample_doodles)
from artdesk.engines.progress import Progress, check_cancel
from artdesk.engines.sketch_format import lines_to_stroke3, rdp, stroke3_to_lines

from artdesk.engines.doodle_defaults import (APP_TEMPERATURE, CANDIDATES, MORPH_STEPS,  # noqa: F401 (re-exported)
                                             PICK_DEFAULT, PICK_FROM)

PICKING_ACTIONS = ("random", "continue")  # the actions that draw the model's category and can pick
READ_ROOM = 0  # Redraw, Morph and Mix read the whole drawing and draw a new one: no steps kept for an ending
REDRAW_POOL = PICK_FROM  # Redraw with a reader: the student draws n x this many, the reader keeps the n nearest
MIN_EXTENT = 2.0  # document units: anything smaller is a dot, not a doodle
MAX_INPUT_POINTS = 5000


class DoodleInputError(ValueError):
    """The drawing cannot be read by the model; the message says what to do."""


@dataclass(frozen=True)
class Frame:
    origin: tuple[float, float]
    factor: float

    def to_doc(self, lines: Sequence[np.ndarray]) -> list[np.ndarray]:
        ox, oy = self.origin
        return [np.asarray(line, np.float64) / self.factor + (ox, oy) for line in lines]


def doodle_from_lines(lines: Sequence[np.ndarray], model, room: int = 40) -> tuple[np.ndarray, Frame, list[str]]:
    """User polylines (document units, (N, 2+) arrays) -> (stroke-3 in model units, Frame, notes).

    Simplified with RDP at epsilon 2 in the model's frame, as the training data was; a long
    scribble is simplified further until it leaves `room` steps for the model to draw (Continue;
    a drawing read whole, for Redraw, Morph and Mix, needs none: READ_ROOM)."""
    lines = [np.asarray(l, np.float64)[:, :2] for l in lines if len(l)]
    total = sum(len(l) for l in lines)
    if total == 0:
        raise DoodleInputError("The canvas is empty: draw a doodle first (or pick a category and press Random).")
    if total > MAX_INPUT_POINTS * 4:
        raise DoodleInputError(f"This drawing has {total} points; the doodle models read at most "
                               f"{MAX_INPUT_POINTS * 4}. Draw on a new layer, or clear some strokes.")
    allxy = np.concatenate(lines)
    extent = float((allxy.max(axis=0) - allxy.min(axis=0)).max())
    if extent < MIN_EXTENT:
        raise DoodleInputError("The doodle is a single dot: draw a few lines for the model to read.")
    factor = frame_scale(model, extent)
    ox, oy = lines[0][0]  # (N, 2) after the [:, :2] above
    origin = (float(ox), float(oy))
    scaled = [(line - origin) * factor for line in lines]
    notes = []
    limit = max(16, model.max_seq_len - room)
    eps = 2.0
    simple = [rdp(line, eps) for line in scaled]
    while sum(len(l) for l in simple) > limit and eps < 64:
        eps *= 1.5
        simple = [rdp(line, eps) for line in scaled]
    if sum(len(l) for l in simple) > limit:
        keep: list[np.ndarray] = []
        count = 0
        for line in reversed(simple):  # the most recent strokes matter most for continuing
            if count + len(line) > limit:
                break
            keep.insert(0, line)
            count += len(line)
        simple = keep or [simple[-1][-limit:]]
        notes.append("Only the latest strokes were read: the drawing is longer than the model can take.")
    elif eps > 2.0:
        notes.append("The drawing was simplified to fit the model.")
    s3 = lines_to_stroke3(simple)
    if len(s3) < 2:
        raise DoodleInputError("The doodle is too small for the model to read: draw a few longer lines.")
    return s3.astype(np.float32), Frame(origin, factor), notes


def continuation_lines(prefix: np.ndarray, new: np.ndarray, frame: Frame) -> list[np.ndarray]:
    """A sampled ending (stroke-3 after `prefix`) as document polylines."""
    last = np.asarray(prefix, np.float64)[:, :2].sum(axis=0)
    return [l for l in frame.to_doc(stroke3_to_lines(new, start=last)) if len(l) >= 1]


def placed_lines(drawing: np.ndarray, center: tuple[float, float], extent: float) -> list[np.ndarray]:
    """A whole sampled drawing (stroke-3) as document polylines centred on `center`, its longer
    side `extent` document units."""
    lines = [l for l in stroke3_to_lines(drawing) if len(l)]
    if not lines:
        return []
    allxy = np.concatenate(lines)
    lo, hi = allxy.min(axis=0), allxy.max(axis=0)
    size = float((hi - lo).max()) or 1.0
    k = extent / size
    mid = (lo + hi) / 2
    return [(l - mid) * k + center for l in lines]


# -- which models ---------------------------------------------------------------------------
def shipped_categories() -> list[str]:
    """Categories the project trained and ships (both halves listed in models/manifest.json)."""
    from artdesk.runtime.models import ModelError, load_manifest

    try:
        ids = set(load_manifest())
    except ModelError:
        return []
    cats = {i.split("/", 1)[1].rsplit(".", 1)[0] for i in ids if i.startswith("doodle/") and i.endswith(".decoder")}
    return sorted(c for c in cats if "/" not in c and f"doodle/{c}.encoder" in ids)


READER_PREFIX = "doodle/readers/"


def reader_categories() -> list[str]:
    """Categories with a shipped *reader*: a second VAE (models/doodle/readers/<category>.*) whose
    encoder reads a drawing into a latent its own decoder draws from. Redraw, Morph and Mix use it
    when the category's student cannot read (artdesk.training.readers)."""
    from artdesk.runtime.models import ModelError, load_manifest

    try:
        ids = set(load_manifest())
    except ModelError:
        return []
    cats = {i[len(READER_PREFIX):-len(".decoder")] for i in ids if i.startswith(READER_PREFIX) and i.endswith(".decoder")}
    return sorted(c for c in cats if "/" not in c and f"{READER_PREFIX}{c}.encoder" in ids)


def category_label(category: str) -> str:
    """What the user reads for a shipped category: its model's label ("sheep (Sheep Market)"),
    else the key with spaces."""
    from artdesk.runtime.models import ModelError, read_model_description

    try:  # the description is checksummed and size-bounded like every model file
        label = read_model_description(f"doodle/{category}.decoder").get("label")
    except ModelError:
        label = None
    return label if isinstance(label, str) and label else category.replace("_", " ")


def open_shipped(category: str) -> OnnxDoodleModel:
    """One of the project's models, opened through the runtime (sha256 checked, provider chosen)."""
    from artdesk.engines.doodle import check_doodle_meta
    from artdesk.runtime.models import open_session, read_model_description

    meta = read_model_description(f"doodle/{category}.decoder")  # checksummed in the manifest
    check_doodle_meta(meta, f"The doodle model '{category}' description")
    return OnnxDoodleModel(meta, open_session(f"doodle/{category}.decoder"),
                           open_session(f"doodle/{category}.encoder"))


def open_reader(category: str) -> OnnxDoodleModel:
    """The reader VAE of a shipped category, opened through the runtime like the students."""
    from artdesk.engines.doodle import check_doodle_meta
    from artdesk.runtime.models import open_session, read_model_description

    meta = read_model_description(f"{READER_PREFIX}{category}.decoder")  # checksummed in the manifest
    check_doodle_meta(meta, f"The doodle reader '{category}' description")
    return OnnxDoodleModel(meta, open_session(f"{READER_PREFIX}{category}.decoder"),
                           open_session(f"{READER_PREFIX}{category}.encoder"))


def student_reads(category: str) -> bool:
    """Whether the shipped student itself reads drawings (its description does not say
    reads_drawings: false)."""
    from artdesk.runtime.models import ModelError, read_model_description

    try:  # checksummed and size-bounded, like every model file
        meta = read_model_description(f"doodle/{category}.decoder")
    except ModelError:
        return False
    return isinstance(meta, dict) and bool(meta.get("reads_drawings", True))


def reads_drawings(key: str) -> bool:
    """Whether a model can read a drawing into its latent (Redraw, Morph, Mix): a shipped category
    can when its student reads or it has a reader; an imported file unless it is decoder-only."""
    if "/" in key or key.endswith(".json"):
        return not key.endswith(".gen.json")
    return student_reads(key) or key in reader_categories()


def open_reading_model(key: str):
    """The model that reads drawings for `key`: an imported file itself; for a shipped category
    its student when the student reads, else its reader, else the student (whose has_encoder is
    False, so the action says it cannot read)."""
    if "/" in key or key.endswith(".json"):
        return load_doodle_model(Path(key))
    category = resolve_category(key)
    if not student_reads(category) and category in reader_categories():
        return open_reader(category)
    return open_shipped(category)


def is_reader(model) -> bool:
    """A category's reader (models/doodle/readers), as opposed to a model that draws for itself."""
    meta = getattr(model, "meta", None)
    return isinstance(meta, dict) and meta.get("role") == "reader"


def read_whole(model, drawing: np.ndarray) -> np.ndarray | None:
    """A drawing (stroke-3, any units) as `model` reads a doodle for Redraw: in its frame, simplified
    as doodle_from_lines does; None when there is nothing to read."""
    lines = [ln for ln in stroke3_to_lines(np.asarray(drawing, np.float32).reshape(-1, 3)) if len(ln)]
    try:
        return doodle_from_lines(lines, model, room=READ_ROOM)[0] if lines else None
    except DoodleInputError:
        return None


def pool_latents(reader, pool: Sequence[np.ndarray]) -> tuple[list[int], np.ndarray]:
    """The drawings of `pool` the reader can read (their indices) and their latents (the means)."""
    ok, read = [], []
    for i, d in enumerate(pool):
        r = read_whole(reader, d)
        if r is not None and len(r) >= 2:
            ok.append(i)
            read.append(r)
    mu = encode_doodles(reader, read)[0] if ok else np.zeros((0, reader.z_size), np.float32)
    return ok, mu


def nearest_by_reading(reader, drawing: np.ndarray, pool: Sequence[np.ndarray], n: int) -> np.ndarray:
    """Indices of the n drawings of `pool` whose latent (the reader's mean) is nearest the latent
    of `drawing` (already read, as doodle_from_lines gives it), nearest first."""
    mu, _ = encode_doodles(reader, [drawing])
    return nearest_to_latent(reader, mu[0], pool, n)


def nearest_to_latent(reader, z: np.ndarray, pool: Sequence[np.ndarray], n: int) -> np.ndarray:
    """Indices of the n drawings of `pool` whose reader latent is nearest z, nearest first (a drawing
    the reader cannot read comes last)."""
    ok, mu_pool = pool_latents(reader, pool)
    dist = np.full(len(pool), np.inf)
    if ok:
        dist[ok] = ((mu_pool - np.asarray(z, np.float32)) ** 2).sum(axis=1)
    return np.argsort(dist, kind="stable")[:n]


def walk_by_reading(reader, path: np.ndarray, pool: Sequence[np.ndarray]) -> list[int]:
    """Morph with a reader: for each latent code of `path`, the index of a drawing of `pool` whose
    reader latent is near it, each drawing used once, the nearest pairs matched first (greedy), so
    the path's ends get the drawings nearest them (a pool drawing the reader cannot read is never
    picked). The pool holds the student's drawings and the reader's own decodings of
    the path, so each frame is whichever of them the reader reads as closest to that point of the
    path. Fewer than len(path) readable drawings -> the frames repeat the nearest."""
    ok, mu_pool = pool_latents(reader, pool)
    if not ok:
        return []
    dist = ((np.asarray(path, np.float32)[:, None, :] - mu_pool[None, :, :]) ** 2).sum(axis=-1)
    picks = [-1] * len(dist)
    free = dist.copy()  # the nearest pair of all first (a frame and a drawing), then the next, each used once
    for _ in range(min(free.shape)):
        fi, ji = np.unravel_index(int(np.argmin(free)), free.shape)
        f, j = int(fi), int(ji)
        picks[f] = ok[j]
        free[f, :] = np.inf
        free[:, j] = np.inf
    for k, p in enumerate(picks):  # more frames than readable drawings: the nearest again
        if p < 0:
            picks[k] = ok[int(np.argmin(dist[k]))]
    return picks


def reading_labels() -> list[str]:
    """The categories that can Redraw, Morph and Mix, as the user reads them."""
    return [category_label(c) for c in shipped_categories() if reads_drawings(c)]


def resolve_category(name: str) -> str:
    """A shipped category from what a person typed: "palm tree", "palm_tree", "Palm Tree" or the
    label ("sheep (Sheep Market)"); DoodleInputError listing the categories when there is none."""
    cats = shipped_categories()
    wanted = " ".join(str(name).replace("_", " ").split()).lower()
    for c in cats:
        if wanted in (c.replace("_", " "), category_label(c).lower()):
            return c
    listed = ", ".join(category_label(c) for c in cats) or "none installed"
    raise DoodleInputError(f"There is no doodle model '{name}'. The categories are: {listed}. "
                           "Or give a Magenta .gen.json/.vae.json file.")


def open_model(key: str):
    """`key` is a shipped category (any spelling resolve_category takes) or the path of an
    imported Magenta/ArtDesk model file."""
    if "/" in key or key.endswith(".json"):
        return load_doodle_model(Path(key))
    return open_shipped(resolve_category(key))


# -- the actions ------------------------------------------------------------------------
@dataclass
class Request:
    """What the user asked for, kept so "Again" can ask once more with a new seed."""

    action: str  # continue | redraw | morph | mix | random
    model: str
    seed: int
    temperature: float
    mix_with: str | None = None
    lines: list = field(default_factory=list)  # the source doodle (document polylines)
    target_lines: list = field(default_factory=list)  # morph: the other doodle (empty: a sample)
    layer_id: str | None = None
    pick: bool = False  # Random/Continue: draw PICK_FROM x as many, keep the ones recognised best
    count: int | None = None  # candidates (default CANDIDATES, MORPH_STEPS for a morph)

    @property
    def picking(self) -> bool:
        """Whether this request draws PICK_FROM x as many candidates and keeps the clearest."""
        return self.pick and self.action in PICKING_ACTIONS


@dataclass
class Outcome:
    request: Request
    candidates: list  # stroke-3 arrays in model units
    prefix: np.ndarray | None = None
    frame: object = None
    notes: list = field(default_factory=list)
    guesses: list = field(default_factory=list)  # what the recogniser sees in each candidate (Guess)


WHOLE_MIN_POINTS = 10


def open_recogniser():
    """The shipped doodle recogniser, or None (with the reason) when it cannot be opened: the
    doodles then come unpicked and unlabelled, nothing else changes."""
    from artdesk.engines.recognise import Recogniser
    from artdesk.runtime.models import ModelError

    try:
        return Recogniser.open(), ""
    except ModelError as exc:
        return None, str(exc)


def recognised(outcome: Outcome, n: int, picking: bool) -> Outcome:
    """Label the candidates with what the recogniser sees and, when `picking`, keep the n it
    rates most like the model's category (best first); a missing recogniser keeps the first n."""
    from artdesk.engines.recognise import pick_clearest

    check_cancel()
    recogniser, why = open_recogniser()
    check_cancel()
    if recogniser is None:
        outcome.candidates = outcome.candidates[:n]
        if picking:
            outcome.notes.append(f"Not picked: {why}")
        return outcome
    prefix = outcome.prefix if outcome.request.action == "continue" else None
    whole = [c if prefix is None or not len(c) else np.concatenate([prefix, c]) for c in outcome.candidates]
    key = outcome.request.model if picking else None
    if picking and not recogniser.knows(key):
        outcome.notes.append("The recogniser does not know this category, so the first nine are shown.")
    order, guesses = pick_clearest(recogniser, whole, key, n)
    outcome.candidates = [outcome.candidates[i] for i in order]
    outcome.guesses = guesses
    return outcome


class _SampleArgs(TypedDict, total=False):
    """The sampling keywords doodle_job passes to every sampler."""

    seed: int
    temperature: float
    min_points: int


def doodle_job(request: Request):
    """Worker job: open the model(s), read the doodle, sample the candidates -> Outcome."""
    yield Progress(0.0, "Opening the model")
    model = open_model(request.model)
    n = request.count or (MORPH_STEPS if request.action == "morph" else CANDIDATES)
    picking = request.picking
    drawn = n * PICK_FROM if picking else n
    args: _SampleArgs = {"seed": request.seed, "temperature": request.temperature}
    if request.action != "continue":
        # a whole drawing of a few points is an empty cell in the grid: read an early "end" as
        # "pen down" until the drawing has WHOLE_MIN_POINTS points
        args["min_points"] = WHOLE_MIN_POINTS
    if request.action == "random":
        return recognised(Outcome(request, (yield from sample_doodles(model, drawn, **args))), n, picking)
    if request.action == "continue":
        s3, frame, notes = doodle_from_lines(request.lines, model)
        found = yield from continue_doodle(model, s3, drawn, **args)
        return recognised(Outcome(request, found, s3, frame, notes), n, picking)
    drawer = model  # Morph's other end is drawn by the category's own (teacher-level) model; a reader
    # was trained on that model's teacher's drawings, in the same units
    doodle_from_lines(request.lines, drawer, room=READ_ROOM)  # an empty canvas or a dot: said first
    model = open_reading_model(request.model)
    if not model.has_encoder:
        readers = reading_labels()
        raise DoodleInputError(f"The '{model.name.replace('_', ' ')}' model draws from scratch only: it has no reader "
                               f"(a trained encoder with a decoder that draws from it), so it can Continue or draw "
                               f"Random ones but not {request.action}."
                               + (f" Categories with a reader: {', '.join(readers)}." if readers else ""))
    s3, frame, notes = doodle_from_lines(request.lines, model, room=READ_ROOM)
    if request.action == "redraw":
        if is_reader(model) and drawer is not model:
            # the reader's own decoder draws far below the teacher-level student, so the student draws
            # n x REDRAW_POOL and the reader keeps the n whose latent is nearest the doodle's
            pool = yield from sample_doodles(drawer, n * REDRAW_POOL, **args)
            check_cancel()
            found = [pool[i] for i in nearest_by_reading(model, s3, pool, n)]
        else:
            found = yield from redraw_doodle(model, s3, n, **args)
        return recognised(Outcome(request, found, s3, frame, notes), n, False)
    if request.action == "mix":
        if request.mix_with is None:
            raise DoodleInputError("Mix needs a second model to draw with.")
        painter = open_reading_model(request.mix_with)
        if not painter.has_encoder:
            readers = reading_labels()
            raise DoodleInputError(f"The '{painter.name.replace('_', ' ')}' model cannot draw from another "
                                   "model's reading (it has no reader whose decoder draws from a latent): mix with a "
                                   "category that has one" + (f": {', '.join(readers)}." if readers else "."))
        if painter.z_size != model.z_size:
            raise DoodleInputError(f"'{model.name}' and '{painter.name}' speak different latent languages "
                                   f"(z of {model.z_size} vs {painter.z_size}); pick two ArtDesk models.")
        mu, _ = encode_doodles(model, [s3])
        # as Redraw: a painter's reader decodes loosely and draws far below its teacher-level student,
        # so the student draws n x REDRAW_POOL and the painter's reader keeps the n whose latent is
        # nearest the doodle's reading (the reader's own decodings are not among them: they re-read
        # nearest and would win while looking least like the category)
        student = open_model(request.mix_with) if is_reader(painter) else painter
        if student is not painter:
            pool = yield from sample_doodles(student, n * REDRAW_POOL, **args)
            check_cancel()
            found = [pool[i] for i in nearest_to_latent(painter, mu[0], pool, n)]
        else:
            found = yield from sample_doodles(painter, n, z=np.repeat(mu, n, axis=0), **args)
        return recognised(Outcome(request, found, s3, frame, notes), n, False)
    if request.action == "morph":
        if request.target_lines:
            other, _, _ = doodle_from_lines(request.target_lines, model, room=READ_ROOM)
        else:
            other = (yield from sample_doodles(drawer, 1, seed=request.seed + 1, temperature=0.3,
                                               min_points=WHOLE_MIN_POINTS))[0]
            if len(other) < 2:
                raise DoodleInputError("The model's sample came out empty; press Again for another.")
            if drawer is not model:  # the student's drawing, read in the reader's frame as the canvas is
                read = read_whole(model, other)
                other = read if read is not None and len(read) >= 2 else other
        found = yield from morph_doodles(model, s3, other, n, seed=request.seed,
                                         temperature=min(0.1, request.temperature), min_points=WHOLE_MIN_POINTS)
        if is_reader(model) and drawer is not model:
            # the reader's own decoder draws the path loosely (its first frame is often no closer to the
            # doodle than any drawing of the category), so the student draws n x REDRAW_POOL more and each
            # frame is the drawing, of those and the reader's, that the reader reads nearest its point of
            # the path (bench_doodle_carry's morph0: first frame vs the doodle)
            pool = yield from sample_doodles(drawer, n * REDRAW_POOL, **args)
            check_cancel()
            pool = list(pool) + list(found)
            picks = walk_by_reading(model, morph_path(model, s3, other, n), pool)
            found = [pool[i] for i in picks] or found
        return Outcome(request, found, s3, frame, notes)
    raise ValueError(f"unknown doodle action {request.action}")
