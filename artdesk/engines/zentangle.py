"""Zentangle: fill the shape under a drop point with a pattern, at print size.

`fill_at` is the whole gesture as one job on plain arrays: find the target (a closed region of
the doodle, an imported silhouette, or a raster layer) at print resolution, fill it tile by tile,
and return the filled pixels cropped to the shape with where they go on the page
(artdesk.export.targets turns a Document into those arrays). The outside
stays fully transparent and the doodle's strokes stay on top, sharp, as their own layer.

Fill modes: "strings" is the Zentangle method (artdesk.engines.strings): seeded curves divide
the shape into sections, each filled with a different tangle of a chosen set and outlined;
"tile" repeats the pattern (scale, rotation, seed); "neural" transfers the pattern's
style into the shape with AdaIN (artdesk.engines.neural_fill), tile by tile at print size,
starting from the repeated pattern ("pattern": the network redraws the repeat in its own hand)
or from the plain shape ("shape": a free texture in the pattern's strokes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from artdesk import PRINT_SIZE
from artdesk.engines.progress import Job, Progress, sub_job
from artdesk.engines.shapes import ShapeResult, TargetLayer, find_target, mask_bbox, silhouette_mask
from artdesk.engines.neural_fill import FILL_MODES, fill_for_mode
from artdesk.engines.strings import DEFAULT_PATTERNS

MODES = FILL_MODES


class ShapeNotFound(Exception):
    """The drop point has no shape to fill; `result` says why (status, message, offered mask)."""

    def __init__(self, result: ShapeResult):
        super().__init__(result.message)
        self.result = result


@dataclass
class FillSettings:
    mode: str = "strings"
    scale: float = 1.0  # pattern size: 1.0 = a 512 px pattern tile spans about 1/9 of the print width
    rotation: float = 0.0
    seed: int = 0
    ink: tuple[int, int, int] | None = None
    paper: tuple[int, int, int] | None = None
    strength: float = 1.0  # neural mode: 0 = the shape's own look, 1 = fully the pattern's style
    detail: str = "standard"  # neural mode: the network's work resolution (neural_fill.DETAILS)
    content: str = "pattern"  # neural mode: what the network redraws: "pattern" (the repeat) or "shape"
    patterns: tuple = DEFAULT_PATTERNS  # strings mode: the other tangles (keys or images) beside the dropped one
    pattern_names: tuple = ()  # strings mode: how the user named `patterns` (for the metadata)
    strings: int = 4  # strings mode: how many curves divide the shape
    palette: tuple = ()  # strings mode: an ink colour per section, (r, g, b) each; () = the ink
    string_layer: str = ""  # strings mode: id of the layer whose strokes are the strings ("" = generated)
    # strings/neural: a picture the fill follows: "" none, "beneath" (the layer under the shape),
    # "layer" (the layer `follow_layer`, e.g. the selected one), "image" (the CLI's --follow file)
    follow: str = ""
    follow_layer: str = ""
    follow_name: str = ""  # how the user knows the picture (a layer's name, a file's): metadata
    levels: int = 4  # strings mode following a picture: its tone levels
    picture_colours: bool = False  # strings mode following a picture: each section inked in its colour

    def follows(self) -> bool:
        return bool(self.follow) and self.mode in ("strings", "neural")

    def fill_options(self, pen_scale: float) -> dict:
        """The keyword arguments of neural_fill.fill_for_mode for these settings."""
        options = dict(strength=self.strength, detail=self.detail, content=self.content,
                       rotation=self.rotation, seed=self.seed, ink=self.ink, paper=self.paper)
        if self.mode == "strings":
            options.update(patterns=tuple(self.patterns), strings=self.strings,
                           palette=[tuple(c) for c in self.palette], pen_scale=pen_scale, levels=self.levels,
                           picture_colours=self.picture_colours and self.follows())
        return options

    def as_metadata(self) -> dict:
        data = {"mode": self.mode, "scale": self.scale, "rotation": self.rotation, "seed": self.seed}
        if self.mode == "strings":
            data["patterns"] = list(self.pattern_names) or [p if isinstance(p, str) else "image" for p in self.patterns]
            data["strings"] = "layer" if self.string_layer else self.strings
            if self.follows():
                data["strings"] = "picture"
                data["levels"] = self.levels
            if self.palette:
                data["palette"] = ["#%02x%02x%02x" % tuple(c) for c in self.palette]
            if self.picture_colours and self.follows():
                data["palette"] = "picture"
        if self.follows():
            data["follow"] = {"source": self.follow, **({"name": self.follow_name} if self.follow_name else {})}
        if self.mode == "neural":
            data["strength"] = self.strength
            data["detail"] = self.detail
            data["content"] = self.content
        if self.ink is not None:
            data["ink"] = list(self.ink)
        if self.paper is not None:
            data["paper"] = list(self.paper)
        return data


@dataclass
class FillResult:
    pixels: np.ndarray  # RGBA, cropped to the shape's bounding box, at print resolution
    rect: tuple[float, float, float, float]  # where it goes, in document units
    source: str  # "region" | "silhouette" | "layer" | "offered"
    message: str = ""
    notes: list = field(default_factory=list)
    backdrop_layer: str = ""  # see ShapeResult.backdrop_layer
    followed: str = ""  # the name of the layer whose picture the fill followed (follow "beneath")


def fill_at(ink_alpha: np.ndarray | None, targets: list[TargetLayer], x: float, y: float,
            pattern: np.ndarray, settings: FillSettings | None = None, pixels_per_unit: float = 5.0,
            use_offered: bool = False, dividers: np.ndarray | None = None,
            page_side: int | None = None, picture: np.ndarray | None = None) -> Job:
    """Job: fill the shape under page pixel (x, y) with `pattern` -> FillResult.

    `ink_alpha` is the doodle's ink (page-sized alpha at print scale), `targets` the visible
    raster layers rendered on the same page, topmost first; `pixels_per_unit` maps the page back
    to document units for the result's rect; `dividers` (strings mode) the alpha of the strokes
    that divide the shape into sections, on the same page; `page_side` the page's longer side
    when the arrays are a window of it; `picture` (settings.follow "layer"/"image") the RGBA
    picture the fill follows, on the same page; with follow "beneath" it is the first of
    `targets` under the shape's own layer with paint at the drop point. Raises ShapeNotFound
    with the reason for people."""
    settings = settings or FillSettings()
    if settings.mode not in MODES:
        raise ValueError(f"Unknown fill mode {settings.mode!r}.")
    yield Progress(0.05, "Finding the shape")
    result = find_target(ink_alpha, x, y, targets, **({"page_side": page_side} if page_side else {}))
    if result.ok and result.mask is not None:  # an ok result always has its mask
        mask, source, message = result.mask, result.source, result.message
    elif result.status == "open" and use_offered and result.offered is not None:
        mask, source, message = result.offered, "offered", "Filled the outline around the open doodle."
    else:
        raise ShapeNotFound(result)
    bbox = mask_bbox(mask)
    if bbox is None:
        raise ShapeNotFound(ShapeResult("empty", "The shape is empty."))
    y0, x0, y1, x1 = bbox
    crop = np.ascontiguousarray(mask[y0:y1, x0:x1])
    del mask
    options = settings.fill_options(pixels_per_unit / 5.0)
    if dividers is not None and settings.mode == "strings" and not settings.follows():
        options["dividers"] = np.ascontiguousarray(dividers[y0:y1, x0:x1])
    followed = ""
    if settings.follows():
        if settings.follow == "beneath":
            beneath = picture_beneath(targets, result.layer_id, x, y)
            picture, followed = (beneath.rgba, beneath.name) if beneath is not None else (None, "")
        if picture is None:
            raise ShapeNotFound(ShapeResult("empty", "There is no picture to follow under the shape: place or "
                                                     "import one beneath it, or choose the layer to follow."))
        options["picture"] = np.ascontiguousarray(picture[y0:y1, x0:x1])
    job = fill_for_mode(settings.mode, pattern, crop, scale=settings.scale * pixels_per_unit / 5.0, **options)
    pixels = yield from sub_job(job, 0.15, 0.85, "Filling")
    k = pixels_per_unit
    rect = (x0 / k, y0 / k, (x1 - x0) / k, (y1 - y0) / k)
    return FillResult(pixels, rect, source, message, list(result.notes or []), result.backdrop_layer, followed)


def picture_beneath(targets: list[TargetLayer], layer_id: str, x: float, y: float) -> TargetLayer | None:
    """The first target layer below the layer `layer_id` (all of them for a doodle region, "")
    that has paint at page pixel (x, y); None when there is none."""
    below = targets
    if layer_id:
        ids = [t.layer_id for t in targets]
        below = targets[ids.index(layer_id) + 1:] if layer_id in ids else []
    xi, yi = int(np.floor(x)), int(np.floor(y))
    for t in below:
        rgba = np.asarray(t.rgba)
        if rgba.ndim == 3 and 0 <= yi < rgba.shape[0] and 0 <= xi < rgba.shape[1] \
                and (rgba.shape[2] < 4 or rgba[yi, xi, 3] > 0):
            return t
    return None


def fill_silhouette(shape_rgba: np.ndarray, pattern: np.ndarray, size: tuple[int, int],
                    settings: FillSettings | None = None, strings_rgba: np.ndarray | None = None,
                    picture: np.ndarray | None = None) -> Job:
    """Job for the CLI: an imported silhouette scaled to fit `size`, filled -> RGBA page.
    strings_rgba (strings mode): an image of the strokes that divide the shape (its alpha, or its
    dark pixels), laid over the silhouette image (stretched to its size); picture (strings or
    neural mode, settings.follow "image"): a picture the fill follows, stretched over the
    silhouette image the same way."""
    from PIL import Image

    settings = settings or FillSettings()
    h, w = shape_rgba.shape[:2]
    k = min(size[0] / w, size[1] / h)
    nw, nh = max(1, round(w * k)), max(1, round(h * k))
    # enlarge the image itself (grey, RGB or RGBA: Pillow keeps the mode), then find the shape at print size
    big = np.asarray(Image.fromarray(np.ascontiguousarray(shape_rgba, dtype=np.uint8)).resize((nw, nh), Image.Resampling.BICUBIC))
    mask = np.zeros((size[1], size[0]), np.uint8)
    oy, ox = (size[1] - nh) // 2, (size[0] - nw) // 2
    mask[oy:oy + nh, ox:ox + nw] = silhouette_mask(big, magnification=k)
    if not mask.any():
        raise ShapeNotFound(ShapeResult("empty", "The shape image has no shape in it (it is blank)."))
    options = settings.fill_options(size[0] / PRINT_SIZE[0])
    if strings_rgba is not None and settings.mode == "strings":
        lines = Image.fromarray(np.ascontiguousarray(strings_rgba, dtype=np.uint8)).resize((nw, nh), Image.Resampling.BICUBIC)
        dividers = np.zeros_like(mask)
        dividers[oy:oy + nh, ox:ox + nw] = silhouette_mask(np.asarray(lines), magnification=k)
        options["dividers"] = dividers
    if picture is not None and settings.follows():
        big_picture = Image.fromarray(np.ascontiguousarray(_as_rgba(picture))).resize((nw, nh), Image.Resampling.BICUBIC)
        page_picture = np.zeros((size[1], size[0], 4), np.uint8)
        page_picture[oy:oy + nh, ox:ox + nw] = np.asarray(big_picture)
        options["picture"] = page_picture
    job = fill_for_mode(settings.mode, pattern, mask, scale=settings.scale * size[0] / PRINT_SIZE[0], **options)
    return (yield from job)


def _as_rgba(image: np.ndarray) -> np.ndarray:
    """Grey, RGB or RGBA uint8 -> RGBA uint8."""
    a = np.asarray(image, np.uint8)
    if a.ndim == 2:
        a = a[..., None]
    if a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    if a.shape[2] == 3:
        a = np.concatenate([a, np.full(a.shape[:2] + (1,), 255, np.uint8)], axis=2)
    return a[..., :4]
