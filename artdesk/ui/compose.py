"""Arranging a shirt from the window: selection edits, the clipboard, layer duplicate / merge /
flip, and the context menus of the canvas and the layer list. Each edit is one undo step."""

from __future__ import annotations

import json

import numpy as np
from PySide6.QtCore import QByteArray, QMimeData
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QMenu

from artdesk.document import affine
from artdesk.document import commands as cmds
from artdesk.document.model import Document, RasterLayer, Stroke, VectorLayer
from artdesk.document.selection import (
    cleared,
    copied_layer,
    copied_strokes,
    duplicate,
    raster_mask,
    select_all,
)
from artdesk.export.render import numpy_to_qimage, qimage_to_numpy, render_rgba

STROKES_MIME = "application/x-artdesk-strokes"
MAX_PASTE_PIXELS = 40_000_000


class Compose:
    """The window's arranging actions (bound to `window`)."""

    def __init__(self, window):
        self.w = window
        self.internal = None  # the last copied layer, for pasting with its exact placement

    @property
    def canvas(self):
        return self.w.canvas

    @property
    def doc(self) -> Document:
        return self.w.document

    def _say(self, text: str) -> None:
        self.w.statusBar().showMessage(text, 4000)

    # -- selection ------------------------------------------------------------------------
    def select_all(self) -> None:
        layer = self.w.active_layer()
        sel = select_all(layer, self.doc) if layer is not None and not layer.is_guide else None
        if sel is None:
            self._say("The active layer is empty: nothing to select.")
            return
        if self.canvas.tool not in ("select", "lasso"):
            self.w.set_tool("select")
        self.canvas.set_selection(sel)

    def deselect(self) -> None:
        self.canvas.set_selection(None)

    def _selected(self):
        """(layer, selection or None) the edit works on: the selection, else the active layer."""
        sel = self.canvas.selection
        if sel is not None:
            try:
                return self.doc.layer(sel.layer_id), sel
            except KeyError:
                self.canvas.set_selection(None)
        return self.w.active_layer(), None

    def _piece(self, name: str):
        """A new layer holding what is selected (or the whole active layer)."""
        layer, sel = self._selected()
        if layer is None or layer.is_empty():
            return None
        if sel is None:
            return duplicate(layer, name)
        if isinstance(layer, VectorLayer):
            return VectorLayer(name=name, strokes=copied_strokes(sel.strokes or []), opacity=layer.opacity)
        return copied_layer(layer, raster_mask(layer, sel.polygon), name)

    def delete_selection(self) -> None:
        layer, sel = self._selected()
        if sel is None or layer is None:
            return
        self.canvas.set_selection(None)
        if isinstance(layer, VectorLayer):
            strokes = [s for s in sel.strokes or [] if s in layer.strokes]
            if strokes:
                self.w.push(cmds.RemoveStrokes(layer.id, strokes, text="Delete selection"))
        else:
            self.w.push(cmds.SetRasterPixels(layer.id, cleared(layer, raster_mask(layer, sel.polygon)),
                                             text="Delete selection"))

    # -- clipboard ------------------------------------------------------------------------
    def copy(self) -> bool:
        piece = self._piece("Pasted")
        if piece is None:
            self._say("Nothing to copy: the active layer is empty.")
            return False
        self.internal = piece
        mime = QMimeData()
        image = layer_image(piece, self.doc)
        if image is not None:
            mime.setImageData(image)
        if isinstance(piece, VectorLayer):
            mime.setData(STROKES_MIME, QByteArray(json.dumps([s.to_dict() for s in piece.strokes]).encode()))
        QGuiApplication.clipboard().setMimeData(mime)
        self._say("Copied: paste with Ctrl+V, here or in another program (as an image).")
        return True

    def cut(self) -> None:
        layer, sel = self._selected()
        if not self.copy():
            return
        if sel is not None:
            self.delete_selection()
        elif layer is not None:
            self.w.push(cmds.RemoveLayer(layer.id, text="Cut layer"))

    def paste(self) -> None:
        """Paste onto a new layer: our own strokes or layer in place, another program's image a
        third of the page wide at the view's centre. Handles show on it."""
        mime = QGuiApplication.clipboard().mimeData()
        layer = None
        if mime is not None and mime.hasFormat(STROKES_MIME):
            try:
                data = json.loads(bytes(mime.data(STROKES_MIME)).decode("utf-8"))
                strokes = [Stroke.from_dict(d) for d in data][:100_000]
            except (ValueError, TypeError, KeyError, AttributeError):
                strokes = []
            if strokes:
                layer = VectorLayer(name=self.doc.unique_layer_name("Pasted"), strokes=strokes)
        elif self.internal is not None and mime is not None and mime.hasImage() and self._ours(mime):
            layer = duplicate(self.internal, self.doc.unique_layer_name("Pasted"))
        elif mime is not None and mime.hasImage():
            image = QImage(mime.imageData())
            if image.isNull() or image.width() * image.height() > MAX_PASTE_PIXELS:
                self._say("The clipboard image is empty or too big to paste.")
                return
            pixels = qimage_to_numpy(image)
            self.w.add_raster_layer(pixels, "Pasted image", metadata={"source": "clipboard"})
            return
        if layer is None:
            self._say("The clipboard holds nothing ArtDesk can paste (strokes or an image).")
            return
        self.w.add_layer(layer, text="Paste")
        self.w.show_handles(layer.id)

    def _ours(self, mime) -> bool:
        image = QImage(mime.imageData())
        mine = layer_image(self.internal, self.doc)
        return mine is not None and image.size() == mine.size()

    # -- layers ---------------------------------------------------------------------------
    def duplicate(self) -> None:
        """Ctrl+J: the selection onto a new layer, else a copy of the active layer."""
        layer, sel = self._selected()
        if layer is None:
            return
        name = self.doc.unique_layer_name(f"{layer.name} copy")
        piece = self._piece(name)
        if piece is None:
            piece = duplicate(layer, name)
        self.canvas.set_selection(None)
        self.w.push(cmds.AddLayer(piece, index=self.doc.index_of(layer.id) + 1,
                                  text="Selection to new layer" if sel else "Duplicate layer"))
        self.w.layers.select(piece.id)

    def flip(self, horizontal: bool) -> None:
        layer, sel = self._selected()
        strokes = sel.strokes if sel is not None and sel.strokes else None
        box = layer.bounds() if layer is not None and strokes is None else None
        if strokes is not None:
            from artdesk.document.model import strokes_bounds
            box = strokes_bounds(strokes)
        if box is None:
            return
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        t = affine.scale(-1, 1, cx, cy) if horizontal else affine.scale(1, -1, cx, cy)
        self.w.push(cmds.TransformLayer(layer.id, t, strokes,
                                        text="Flip horizontally" if horizontal else "Flip vertically"))
        if strokes is not None:
            self.canvas.set_selection(None)

    def merge_down(self) -> None:
        """The active layer into the one below: strokes join strokes; anything with pixels is
        drawn into one raster layer at twice the page's size."""
        layer = self.w.active_layer()
        if layer is None:
            return
        index = self.doc.index_of(layer.id)
        if index == 0:
            self._say("There is no layer below to merge into.")
            return
        below = self.doc.layers[index - 1]
        if isinstance(layer, VectorLayer) and isinstance(below, VectorLayer) and layer.opacity == below.opacity:
            self.w.push(cmds.Batch([cmds.AddStrokes(below.id, copied_strokes(layer.strokes)),
                                    cmds.RemoveLayer(layer.id)], text="Merge down"))
            self.w.layers.select(below.id)
            return
        pair = Document(self.doc.width, self.doc.height)
        pair.layers = [below, layer]
        scale = 2
        pixels = render_rgba(pair, self.doc.width * scale, self.doc.height * scale, scale, scale)
        merged = RasterLayer(name=below.name, pixels=pixels, rect=(0, 0, self.doc.width, self.doc.height),
                             metadata={"merged": [below.name, layer.name]})
        self.w.push(cmds.Batch([cmds.RemoveLayer(layer.id), cmds.RemoveLayer(below.id),
                                cmds.AddLayer(merged, index=index - 1)], text="Merge down"))
        self.w.layers.select(merged.id)

    # -- menus ----------------------------------------------------------------------------
    def canvas_menu(self) -> QMenu:
        a = self.w.act
        menu = QMenu(self.w)
        for key in ("transform", None, "copy", "cut", "paste", "delete_selection", None, "duplicate_layer",
                    "merge_down", "flip_h", "flip_v", None, "select_all", "deselect"):
            menu.addSeparator() if key is None else menu.addAction(a[key])
        return menu

    def layer_menu(self) -> QMenu:
        a = self.w.act
        menu = QMenu(self.w)
        for key in ("duplicate_layer", "merge_down", "flip_h", "flip_v", None, "transform", "copy", "paste"):
            menu.addSeparator() if key is None else menu.addAction(a[key])
        delete = menu.addAction("Delete layer")
        delete.triggered.connect(self.w.layers.buttons["delete"].click)
        return menu


def layer_image(layer, doc: Document) -> QImage | None:
    """One layer alone, at document scale, cropped to what it shows: the system clipboard's image."""
    box = layer.bounds() if not layer.is_empty() else None
    if box is None:
        return None
    x0, y0 = int(np.floor(box[0])), int(np.floor(box[1]))
    w, h = max(1, int(np.ceil(box[2])) - x0), max(1, int(np.ceil(box[3])) - y0)
    if w * h > MAX_PASTE_PIXELS:
        return None
    one = Document(doc.width, doc.height)
    one.layers = [layer]
    return numpy_to_qimage(render_rgba(one, w, h, 1.0, 1.0, dx=-x0, dy=-y0))
