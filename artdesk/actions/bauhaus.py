"""Bauhaus actions: learn a Markov chain from pictures, paint a picture with one, and place the
painting as one crisp raster layer that records how it was made."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from artdesk.actions import Applied
from artdesk.document import commands as cmds
from artdesk.document.imports import ImportFailed, fit_rect, read_image
from artdesk.document.model import Document, RasterLayer
from artdesk.engines import bauhaus
from artdesk.engines.progress import Job, Progress, sub_job

LEARN_SIZE = 256  # longer side the user's pictures are scaled to for learning
CONTEXT_LABELS = {"scanline": "scan line", "2d": "2D"}


def chain_title(name: str) -> str:
    """'kandinsky_scan_o3' -> 'Kandinsky · scan line · order 3' (unknown parts kept as they are)."""
    words = []
    for part in name.split("_"):
        if part in ("scan", "scanline"):
            words.append("scan line")
        elif part.lower() == "2d":
            words.append("2D")
        elif part[:1] == "o" and part[1:].isdigit():
            words.append(f"order {part[1:]}")
        else:
            words.append(part.capitalize() if not words else part)
    return " · ".join(words)


def chain_summary(chain: bauhaus.MarkovChain) -> str:
    return (f"{chain.palette_size} colours · {CONTEXT_LABELS.get(chain.context, chain.context)} · "
            f"order {chain.order}")


def limit_order(chain: bauhaus.MarkovChain, order: int) -> bauhaus.MarkovChain:
    """The chain painting with at most `order` neighbours (its tables 0..order, shared)."""
    if order >= chain.order:
        return chain
    return bauhaus.MarkovChain(chain.palette, max(0, order), chain.context,
                               chain.tables[: max(0, order) + 1], chain.info)


def layer_picture(layer: RasterLayer) -> np.ndarray | None:
    """A raster layer's pixels cropped to what is painted on it (None if nothing is)."""
    alpha = layer.pixels[..., 3]
    rows, cols = np.flatnonzero(alpha.any(1)), np.flatnonzero(alpha.any(0))
    if not len(rows):
        return None
    return layer.pixels[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def chain_from_model(model: str) -> bauhaus.MarkovChain:
    """A chain file (.npz) or the name of a built-in chain -> the chain."""
    path = Path(model)
    if path.suffix == ".npz" or path.is_file():
        return bauhaus.load_chain(path)
    return bauhaus.load_builtin_chain(model)


# -- learning ------------------------------------------------------------------------------------
@dataclass
class LearnRequest:
    sources: list  # picture files (paths) or RGBA arrays
    order: int = 3
    palette_size: int = 12
    context: str = "scanline"
    seed: int = 0
    learn_size: int = LEARN_SIZE


def _plain(exc: Exception) -> str:
    text = str(exc)
    return text if text.endswith(".") else text + "."


def learn_job(request: LearnRequest) -> Job:
    """Job -> MarkovChain: read the pictures (every file is read, and refused with a sentence,
    ImportFailed, before any learning starts), then learn the chain from them."""
    pictures = []
    sources = request.sources
    for i, source in enumerate(sources):
        if isinstance(source, np.ndarray):
            pictures.append(source)
        else:
            try:
                pictures.append(read_image(source))
            except ImportFailed as exc:
                raise ImportFailed(f"{_plain(exc)} Remove it from the list (or pick another PNG or JPEG "
                                   "picture) and learn again.") from exc
        yield Progress(0.1 * (i + 1) / len(sources), f"Reading pictures ({i + 1}/{len(sources)})")
    return (yield from sub_job(bauhaus.learn_chain(pictures, request.order, request.palette_size, request.context,
                                                   request.seed, size=request.learn_size), 0.1, 0.9))


def learn_from_pictures(sources: list, order: int, palette_size: int, context: str, seed: int) -> Job:
    return learn_job(LearnRequest(sources, order, palette_size, context, seed))


# -- painting ------------------------------------------------------------------------------------
@dataclass
class PaintRequest:
    chain: bauhaus.MarkovChain
    model: str  # what the chain is called in the picture's record: a built-in name, a file, "my pictures (...)"
    width: int
    height: int
    seed: int = 0
    block: int = 1
    order: int | None = None  # paint with at most this order (None: the chain's own)
    learned_from: list[str] = field(default_factory=list)

    @property
    def painter(self) -> bauhaus.MarkovChain:
        return self.chain if self.order is None else limit_order(self.chain, self.order)


def generation(request: PaintRequest) -> dict:
    painter = request.painter
    made = {"engine": "bauhaus", "model": request.model, "order": painter.order,
            "palette": request.chain.palette_size, "context": request.chain.context, "seed": request.seed,
            "block": request.block, "size": [request.width, request.height]}
    if request.learned_from:
        made["learned_from"] = list(request.learned_from)
    return made


def paint_job(request: PaintRequest) -> Job:
    """Job -> the painting, RGBA uint8 (height, width, 4); its progress carries a live preview."""
    return bauhaus.paint(request.painter, request.width, request.height, request.seed, request.block)


def place_painting(doc: Document, request: PaintRequest, image: np.ndarray, name: str = "Bauhaus") -> Applied:
    """One crisp raster layer fitted to the page (nearest neighbour: the pixels are the art)."""
    h, w = image.shape[:2]
    layer = RasterLayer(name=doc.unique_layer_name(name), pixels=image, rect=fit_rect(w, h, doc),
                        resample="crisp", metadata={"generation": generation(request)})
    return Applied(f"Add {name}", [cmds.AddLayer(layer, text=f"Add {name}")], select=layer.id, place=layer.id)
