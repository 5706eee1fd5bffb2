"""Per-layer screen images for the canvas, so a change redraws only what it touches.

Each visible layer keeps a transparent image the size of the canvas, drawn at the current view.
A stroke added to a vector layer is painted onto that layer's image (the other strokes are not
drawn again); a raster layer is drawn from a proxy no bigger than its size on screen (a 4500 px
layer costs a screen's worth of pixels); the canvas composes the images, and a layer being
dragged is composed from its screen image under the drag's transform.
"""

from __future__ import annotations

import dataclasses
import math
import time

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QTransform

from artdesk.document import affine
from artdesk.document.model import Layer, RasterLayer, TextLayer, VectorLayer, strokes_bounds
from artdesk.export.render import numpy_to_qimage, paint_raster, paint_stroke, paint_text

MAX_REPAIR_STROKES = 300  # more changed strokes than this: the layer is drawn again whole
PROGRESSIVE_STROKES = 400  # a vector layer with more strokes is drawn whole a slice at a time
SLICE_S = 0.012  # one slice of that drawing, in seconds: the window stays responsive


class _Job:
    __slots__ = ("content", "exclude", "image", "key", "next", "seen", "strokes", "view")

    def __init__(self, image, key, strokes, view, content, exclude, seen):
        self.image, self.key, self.strokes, self.view, self.content = image, key, strokes, view, content
        self.exclude, self.seen, self.next = exclude, seen, 0


class _Entry:
    __slots__ = ("content", "image", "key", "strokes", "view")

    def __init__(self, image: QImage, key: tuple, strokes: list, view: QTransform, content: tuple):
        self.image, self.key, self.strokes, self.view, self.content = image, key, strokes, view, content


class LayerImages:
    MAX_PROXIES = 48

    def __init__(self, min_pen_px: float = 0.0) -> None:
        self.min_pen_px = min_pen_px  # thumbnails: lines never thinner than this on the image
        self._entries: dict[str, _Entry] = {}
        self._jobs: dict[str, _Job] = {}
        self._proxies: dict[tuple, QImage] = {}
        self.full_renders = 0  # counters for the bench and the tests
        self.incremental = 0
        self.repairs = 0

    def forget(self, layer_id: str | None = None) -> None:
        if layer_id is None:
            self._entries.clear()
            self._jobs.clear()
        else:
            self._entries.pop(layer_id, None)
            self._jobs.pop(layer_id, None)

    def keep_only(self, layer_ids: set[str]) -> None:
        for stale in set(self._entries) - layer_ids:
            del self._entries[stale]
        for stale in set(self._jobs) - layer_ids:
            del self._jobs[stale]
        if len(self._proxies) > self.MAX_PROXIES:
            self._proxies.clear()

    # -- raster proxies -------------------------------------------------------------------
    def proxy(self, layer: RasterLayer, screen_scale: float) -> QImage:
        """The layer's pixels halved until one more halving would fall below their size on
        screen (`screen_scale` screen px per document unit)."""
        h, w = layer.pixels.shape[:2]
        on_screen = layer.rect[2] * affine.area_scale(layer.transform) * screen_scale
        level = max(0, int(math.floor(math.log2(max(w / max(on_screen, 1.0), 1.0)))))
        key = (layer.id, id(layer.pixels), level)
        image = self._proxies.get(key)
        if image is None:
            full = self._proxies.get((layer.id, id(layer.pixels), 0))  # kept only when shown full size
            if full is None:
                full = numpy_to_qimage(layer.pixels)
            image = full if level == 0 else full.scaled(max(1, w >> level), max(1, h >> level),
                                                        Qt.IgnoreAspectRatio, Qt.SmoothTransformation)
            self._proxies[key] = image
        return image

    def appended(self, layer: Layer) -> list | None:
        """The strokes added to a vector layer since its image was drawn, if that is all that
        changed (None: something else changed, or there is no image yet)."""
        entry = self._entries.get(layer.id)
        if entry is None or not isinstance(layer, VectorLayer):
            return None
        old, strokes = entry.strokes, layer.strokes
        if len(strokes) < len(old) or strokes[: len(old)] != old:  # strokes compare by identity
            return None
        return strokes[len(old):]

    # -- layer images ---------------------------------------------------------------------
    def image(self, layer: Layer, view: QTransform, size: QSize, dpr: float,
              exclude: frozenset = frozenset(), progressive: bool = False) -> QImage | None:
        """The layer drawn at `view` on a transparent `size` image (device pixels), leaving out
        the strokes whose id() is in `exclude` (they are being dragged). With `progressive`, a
        vector layer of many strokes that must be drawn whole is drawn a slice at a time: None
        until it is done (show stale() or partial() meanwhile, and call advance())."""
        content = self._content(layer, exclude)
        key = (view.m11(), view.m22(), view.dx(), view.dy(), size.width(), size.height(), dpr) + content
        entry = self._entries.get(layer.id)
        strokes = list(layer.strokes) if isinstance(layer, VectorLayer) else []
        if entry is not None and entry.key == key:
            if entry.strokes == strokes:
                self._jobs.pop(layer.id, None)  # e.g. an undo brought back what the image shows
                return entry.image
            old = len(entry.strokes)
            if len(strokes) > old and strokes[:old] == entry.strokes:  # identity: Stroke has no __eq__
                painter = self._painter(entry.image, view)
                for stroke in strokes[old:]:
                    if id(stroke) not in exclude:
                        paint_stroke(painter, self._thick(stroke, view))
                painter.end()
                entry.strokes = strokes
                self.incremental += 1
                return entry.image
            if self._repair(entry, strokes, view, dpr, exclude):
                self.repairs += 1
                return entry.image
        if progressive and isinstance(layer, VectorLayer) and len(strokes) > PROGRESSIVE_STROKES:
            return self._progress(layer.id, key, strokes, view, size, dpr, content, exclude)
        image = self._blank(size, dpr)
        painter = self._painter(image, view)
        if isinstance(layer, VectorLayer):
            seen = view.inverted()[0].mapRect(QRectF(0, 0, size.width() / dpr, size.height() / dpr))
            for stroke in strokes:  # zoomed in, most strokes are off the image: skip them
                if id(stroke) not in exclude and _meets(stroke.bounds(), seen):
                    paint_stroke(painter, self._thick(stroke, view))
        elif isinstance(layer, RasterLayer):
            paint_raster(painter, layer, self.proxy(layer, view.m11() * dpr))
        elif isinstance(layer, TextLayer):
            paint_text(painter, layer)
        painter.end()
        self._entries[layer.id] = _Entry(image, key, strokes, QTransform(view), content)
        self.full_renders += 1
        return image

    # -- drawing a big layer a slice at a time --------------------------------------------
    @staticmethod
    def _blank(size: QSize, dpr: float) -> QImage:
        image = QImage(size, QImage.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(dpr)
        image.fill(Qt.transparent)
        return image

    def _progress(self, layer_id, key, strokes, view, size, dpr, content, exclude) -> QImage | None:
        """Start (or go on with) drawing a big vector layer in slices; None until it is done."""
        job = self._jobs.get(layer_id)
        if job is not None and job.key == key and strokes[: len(job.strokes)] == job.strokes:
            job.strokes = strokes  # strokes added meanwhile are drawn at the end
        else:
            seen = view.inverted()[0].mapRect(QRectF(0, 0, size.width() / dpr, size.height() / dpr))
            job = self._jobs[layer_id] = _Job(self._blank(size, dpr), key, strokes, QTransform(view), content,
                                              exclude, seen)
        return self._advance(layer_id, job, time.perf_counter() + SLICE_S)

    def _advance(self, layer_id: str, job: _Job, deadline: float) -> QImage | None:
        painter = self._painter(job.image, job.view)
        strokes = job.strokes
        while job.next < len(strokes):
            stroke = strokes[job.next]
            job.next += 1
            if id(stroke) not in job.exclude and _meets(stroke.bounds(), job.seen):
                paint_stroke(painter, self._thick(stroke, job.view))
            if job.next % 4 == 0 and time.perf_counter() > deadline:
                break
        painter.end()
        if job.next < len(strokes):
            return None
        del self._jobs[layer_id]
        self._entries[layer_id] = _Entry(job.image, job.key, strokes, job.view, job.content)
        self.full_renders += 1
        return job.image

    def pending(self) -> bool:
        return bool(self._jobs)

    def advance(self, seconds: float = SLICE_S) -> bool:
        """Draw on with the big layers being drawn, for about `seconds`; True if one got done."""
        deadline = time.perf_counter() + seconds
        done = False
        for layer_id, job in list(self._jobs.items()):
            if time.perf_counter() > deadline:
                break
            done = self._advance(layer_id, job, deadline) is not None or done
        return done

    def finish(self) -> None:
        """Draw the big layers being drawn to the end (the bench and the tests)."""
        while self._jobs:
            self.advance(3600.0)

    def previous(self, layer_id: str) -> tuple[QImage, QTransform] | None:
        """The layer's last finished image and the transform it was drawn with, whatever changed."""
        entry = self._entries.get(layer_id)
        return (entry.image, entry.view) if entry is not None else None

    def partial(self, layer_id: str) -> QImage | None:
        job = self._jobs.get(layer_id)
        return job.image if job is not None else None

    def _repair(self, entry: _Entry, strokes: list, view: QTransform, dpr: float, exclude: frozenset) -> bool:
        """Strokes removed, added or replaced in place (an erase, an undo, a moved selection):
        clear the pixels they cover and draw again only the strokes there. False if the change
        is too big or reorders strokes (the caller draws the whole layer)."""
        old_ids, new_ids = {id(s) for s in entry.strokes}, {id(s) for s in strokes}
        changed = [s for s in entry.strokes if id(s) not in new_ids] + [s for s in strokes if id(s) not in old_ids]
        if len(changed) > MAX_REPAIR_STROKES:
            return False
        kept_old = [s for s in entry.strokes if id(s) in new_ids]
        kept_new = [s for s in strokes if id(s) in old_ids]
        if any(a is not b for a, b in zip(kept_old, kept_new)):
            return False
        box = strokes_bounds(changed)
        entry.strokes = strokes
        if box is None:
            return True
        image = entry.image
        area = view.mapRect(QRectF(box[0], box[1], box[2] - box[0], box[3] - box[1]))
        x0, y0 = math.floor(area.left() * dpr) - 2, math.floor(area.top() * dpr) - 2
        x1, y1 = math.ceil(area.right() * dpr) + 2, math.ceil(area.bottom() * dpr) + 2
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, image.width()), min(y1, image.height())
        if x1 <= x0 or y1 <= y0:
            return True
        if (x1 - x0) * (y1 - y0) > 0.5 * image.width() * image.height():
            entry.key = None  # cheaper to draw it all
            return False
        clip = QRectF(x0 / dpr, y0 / dpr, (x1 - x0) / dpr, (y1 - y0) / dpr)
        painter = QPainter(image)
        painter.setCompositionMode(QPainter.CompositionMode_Clear)
        painter.fillRect(clip, Qt.transparent)
        painter.setCompositionMode(QPainter.CompositionMode_SourceOver)
        painter.setClipRect(clip)
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setTransform(view)
        inv = view.inverted()[0].mapRect(clip)
        for stroke in strokes:
            if id(stroke) not in exclude and _meets(stroke.bounds(), inv):
                paint_stroke(painter, self._thick(stroke, view))
        painter.end()
        return True

    @staticmethod
    def _content(layer: Layer, exclude: frozenset) -> tuple:
        if isinstance(layer, RasterLayer):
            return (exclude, id(layer.pixels), layer.rect, layer.transform, layer.resample)
        if isinstance(layer, TextLayer):
            return (exclude, *layer.style().values())
        return (exclude,)

    def stale(self, layer: Layer) -> tuple[QImage, QTransform] | None:
        """The layer's image drawn at another view, with the transform it was drawn with, if the
        layer itself has not changed since (zooming shows it scaled until a sharp one is drawn)."""
        entry = self._entries.get(layer.id)
        if entry is None or entry.content != self._content(layer, frozenset()):
            return None
        if isinstance(layer, VectorLayer) and entry.strokes != layer.strokes:
            return None
        return entry.image, entry.view

    def _thick(self, stroke, view: QTransform):
        if self.min_pen_px <= 0 or stroke.width * view.m11() >= self.min_pen_px:
            return stroke
        return dataclasses.replace(stroke, width=self.min_pen_px / view.m11())  # keeps a shape's fill and brush

    @staticmethod
    def _painter(image: QImage, view: QTransform) -> QPainter:
        painter = QPainter(image)
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setTransform(view)
        return painter


def _meets(box: tuple[float, float, float, float], rect: QRectF) -> bool:
    """Does the (x0, y0, x1, y1) box touch the rect (a stroke's pen width is in its box)?"""
    return box[2] >= rect.left() and box[0] <= rect.right() and box[3] >= rect.top() and box[1] <= rect.bottom()
