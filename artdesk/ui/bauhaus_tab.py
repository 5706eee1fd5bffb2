"""The Bauhaus tab: paint Markov-chain pixel pictures from the built-in Kandinsky chains or from a
chain learned here, in the app, from a few of the user's pictures.

Painting and learning run as desk jobs; this tab only gathers settings, shows the live preview
(the engine's thinned, partly transparent Progress.preview) and turns a finished picture into one
crisp raster layer (nearest-neighbour scaling: the pixels are the art).
"""

from __future__ import annotations

import logging
import random
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QFileDialog, QFormLayout,
                               QFrame, QGroupBox, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QSizePolicy, QVBoxLayout, QWidget)

from artdesk.actions import bauhaus as actions
from artdesk.actions.bauhaus import chain_summary, chain_title, layer_picture
from artdesk.document.imports import IMAGE_SUFFIXES
from artdesk.document.model import RasterLayer
from artdesk.engines import bauhaus
from artdesk.engines.progress import Progress
from artdesk.export.render import numpy_to_qimage
from artdesk.ui.desk import Desk
from artdesk.ui.widgets import ComboBox, paint_placeholder, fill_with_scroll_area, run_shortcut, button, spin_box

log = logging.getLogger("artdesk.bauhaus_tab")

DEFAULT_CHAIN = "kandinsky_scan_o3"
DEFAULT_SIZE = (450, 540)  # the page's 5:6 shape, so the layer fills it
DEFAULT_BLOCK = 4
DEFAULT_SEED = 1
MAX_SIDE = 6000  # covers the T-shirt page (4500 x 5400) at block 1
LEARNED_PREFIX = "learned:"
CHAIN_FILTER = "Bauhaus chain (*.npz)"


# -- small widgets -------------------------------------------------------------------------------
class ImageList(QListWidget):
    """The pictures to learn from; image files dropped from outside are added."""

    filesDropped = Signal(list)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DropOnly)
        self.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.setToolTip("Pictures to learn from: drop PNG/JPEG files here or use Add…")

    def _wanted(self, event) -> bool:
        return event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls())

    def dragEnterEvent(self, event) -> None:
        if self._wanted(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if self._wanted(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        event.acceptProposedAction()
        self.filesDropped.emit(paths)

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self.count() == 0:
            paint_placeholder(self, "Drop a few pictures here")


class PreviewLabel(QLabel):
    """The picture being painted, scaled to fit with nearest neighbour (the pixels are the art)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAlignment(Qt.AlignCenter)
        self.setFrameShape(QFrame.StyledPanel)
        self.setMinimumSize(64, 64)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.setFixedHeight(170)
        self.setText("The painting appears here while it paints.")
        self.setWordWrap(True)
        self._image = None

    def show_pixels(self, pixels: np.ndarray) -> None:
        self._image = numpy_to_qimage(pixels)
        self._rescale()

    def _rescale(self) -> None:
        if self._image is None:
            return
        size = self.contentsRect().size() - QSize(4, 4)
        scaled = self._image.scaled(size, Qt.KeepAspectRatio, Qt.FastTransformation)
        pixmap = QPixmap(scaled.size())
        pixmap.fill(QColor("#d8d8d8"))  # unpainted (transparent) pixels show grey
        painter = QPainter(pixmap)
        painter.drawImage(0, 0, scaled)
        painter.end()
        self.setPixmap(pixmap)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._rescale()


class PaletteStrip(QWidget):
    """The chain's colours as a row of swatches."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.colors: list[QColor] = []
        self.setFixedHeight(12)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)

    def set_palette(self, palette: np.ndarray | None) -> None:
        self.colors = [] if palette is None else [QColor(*map(int, rgb)) for rgb in palette]
        self.setToolTip(" ".join(c.name() for c in self.colors))
        self.update()

    def paintEvent(self, event) -> None:
        if not self.colors:
            return
        painter = QPainter(self)
        w = self.width() / len(self.colors)
        for i, color in enumerate(self.colors):
            painter.fillRect(int(i * w), 0, int((i + 1) * w) - int(i * w), self.height(), color)


# -- the tab -------------------------------------------------------------------------------------
class BauhausTab(QWidget):
    """Chain choice, painting settings, live preview, and "learn from my pictures"."""

    def __init__(self, desk: Desk):
        super().__init__()
        self.desk = desk
        self.chains: dict[str, bauhaus.MarkovChain] = {}  # combo key -> loaded chain
        self.chain_sources: dict[str, dict] = {}  # combo key -> what it was learned from
        self.paint_job = None
        self.learn_job = None
        self._learned = 0  # chains added (learned or opened), for unique combo keys
        self._learn_count = 0
        self._build()
        desk.jobs.ended.connect(self._job_ended)
        self._fill_builtin_chains()
        self._chain_changed()
        self._update_buttons()

    # -- construction -------------------------------------------------------------------------
    def _build(self) -> None:
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(6, 6, 6, 6)
        column.setSpacing(6)

        self.model_combo = ComboBox()
        self.model_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(10)
        self.model_combo.setToolTip("The colour chain to paint with: a built-in Kandinsky chain or "
                                    "one learned from your pictures")
        self.model_combo.currentIndexChanged.connect(self._chain_changed)
        self.chain_info = QLabel()
        self.chain_info.setWordWrap(True)
        self.chain_info.setStyleSheet("color: palette(placeholder-text);")
        self.palette_strip = PaletteStrip()

        self.order = spin_box(1, bauhaus.MAX_ORDER, 3,
                           "How many neighbouring pixels choose the next colour. Painting uses up "
                           "to the chain's own order; learning counts up to this order.")
        self.order.valueChanged.connect(self._update_chain_info)
        self.width_box = spin_box(16, MAX_SIDE, DEFAULT_SIZE[0], "Width of the painting in pixels",
                               step=64)
        self.height_box = spin_box(16, MAX_SIDE, DEFAULT_SIZE[1], "Height of the painting in pixels",
                                step=64)
        size_row = QHBoxLayout()
        size_row.setSpacing(2)
        size_row.addWidget(self.width_box, 1)
        size_row.addWidget(QLabel("×"))
        size_row.addWidget(self.height_box, 1)
        self.block = spin_box(1, 64, DEFAULT_BLOCK, "Paint blocks of k x k pixels for a poster look "
                           "(1: every pixel its own colour)", suffix=" px")
        self.seed = spin_box(0, 2_147_483_647, DEFAULT_SEED,
                          "The same seed and settings paint the same picture again")
        self.new_seed_button = button("New", "Pick a new random seed", self.new_seed)
        seed_row = QHBoxLayout()
        seed_row.setSpacing(4)
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.new_seed_button)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.addRow("Chain", self.model_combo)
        form.addRow("", self.chain_info)
        form.addRow("", self.palette_strip)
        form.addRow("Order", self.order)
        form.addRow("Size", size_row)
        form.addRow("Block", self.block)
        form.addRow("Seed", seed_row)
        column.addLayout(form)

        self.paint_button = button("Paint again", "Paint a new picture as a layer (Ctrl+Return)",
                                    self.paint)
        column.addWidget(self.paint_button)
        self.preview = PreviewLabel()
        column.addWidget(self.preview)

        column.addWidget(self._build_learn_box())
        column.addStretch(1)

        fill_with_scroll_area(self, content)
        run_shortcut(self, self.paint)

    def _build_learn_box(self) -> QGroupBox:
        box = QGroupBox("Learn from my pictures")
        layout = QVBoxLayout(box)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        self.image_list = ImageList()
        self.image_list.setFixedHeight(84)
        self.image_list.filesDropped.connect(self.add_images)
        layout.addWidget(self.image_list)
        row = QHBoxLayout()
        row.setSpacing(4)
        self.add_button = button("Add…", "Pick PNG or JPEG pictures to learn from",
                                  self._choose_images)
        self.remove_button = button("Remove", "Take the selected pictures off the list",
                                     self.remove_selected)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        layout.addLayout(row)
        self.use_layers = QCheckBox("Use visible raster layers")
        self.use_layers.setToolTip("Also learn from the pictures on the document's visible "
                                   "raster layers")
        self.use_layers.toggled.connect(self._update_buttons)
        layout.addWidget(self.use_layers)

        self.palette_size = spin_box(4, bauhaus.MAX_PALETTE, 12,
                                  "How many colours the pictures are reduced to", suffix=" colours")
        self.context = ComboBox()
        self.context.addItem("Scan line", "scanline")
        self.context.addItem("2D", "2d")
        self.context.setToolTip("Scan line: the pixels to the left choose the next colour "
                                "(stripes); 2D: the pixels to the left and above (patches)")
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.addRow("Palette", self.palette_size)
        form.addRow("Context", self.context)
        layout.addLayout(form)

        row = QHBoxLayout()
        row.setSpacing(4)
        self.learn_button = button("Learning…", "Learn a chain of the chosen order from these "
                                    "pictures; it then appears under Chain as \"My pictures\"",
                                    self.learn)
        self.save_button = button("Save…", "Save the selected learned chain to a file",
                                   self.save_chain_dialog)
        self.open_button = button("Open…", "Open a chain saved before", self.open_chain_dialog)
        row.addWidget(self.learn_button, 1)
        row.addWidget(self.save_button)
        row.addWidget(self.open_button)
        layout.addLayout(row)
        return box

    def _fill_builtin_chains(self) -> None:
        for name in bauhaus.builtin_chain_names():
            self.model_combo.addItem(chain_title(name), name)
            self.model_combo.setItemData(self.model_combo.count() - 1, f"Built-in chain {name}",
                                         Qt.ToolTipRole)
        index = self.model_combo.findData(DEFAULT_CHAIN)
        if index >= 0:
            self.model_combo.setCurrentIndex(index)

    # -- chains -------------------------------------------------------------------------------
    def current_key(self) -> str | None:
        return self.model_combo.currentData()

    def current_chain(self) -> bauhaus.MarkovChain | None:
        """The selected chain, loading a built-in one on first use; None (and an error) if it fails."""
        key = self.current_key()
        if key is None:
            return None
        if key not in self.chains:
            try:
                self.chains[key] = bauhaus.load_builtin_chain(key)
            except ValueError as exc:
                self.desk.show_error("Cannot load this chain", str(exc))
                return None
        return self.chains[key]

    def _chain_changed(self, *args) -> None:
        chain = self.current_chain() if self.current_key() is not None else None
        if chain is not None:
            self.order.blockSignals(True)
            self.order.setValue(max(1, chain.order))
            self.order.blockSignals(False)
        self._update_chain_info()
        self._update_buttons()

    def _update_chain_info(self, *args) -> None:
        key = self.current_key()
        chain = self.chains.get(key) if key is not None else None
        if chain is None:
            self.chain_info.setText("No chain: learn one from your pictures below."
                                    if key is None else "")
            self.palette_strip.set_palette(None)
            return
        text = chain_summary(chain)
        if self.order.value() < chain.order:
            text += f", painting with order {self.order.value()}"
        elif self.order.value() > chain.order:
            text += f"\nThis chain goes up to order {chain.order}: painting with {chain.order}."
        source = self.chain_sources.get(key)
        if source and source.get("learned_from"):
            text += f"\nLearned from {len(source['learned_from'])} picture(s)"
        self.chain_info.setText(text)
        self.palette_strip.set_palette(chain.palette)

    def add_chain(self, chain: bauhaus.MarkovChain, title: str, source: dict) -> str:
        """Make a learned or opened chain selectable (and select it); returns its combo key."""
        self._learned += 1
        key = f"{LEARNED_PREFIX}{self._learned}"
        self.chains[key] = chain
        self.chain_sources[key] = source
        self.model_combo.addItem(title, key)
        index = self.model_combo.count() - 1
        self.model_combo.setItemData(index, f"{title}: {chain_summary(chain)}", Qt.ToolTipRole)
        self.model_combo.setCurrentIndex(index)
        return key

    def _model_id(self, key: str) -> str:
        source = self.chain_sources.get(key)
        return source["model"] if source else key

    # -- painting -----------------------------------------------------------------------------
    def settings(self) -> dict:
        return {"order": self.order.value(), "size": [self.width_box.value(), self.height_box.value()],
                "block": self.block.value(), "seed": self.seed.value()}

    def new_seed(self) -> None:
        self.seed.setValue(random.randint(1, 999_999))

    def paint(self) -> None:
        """Paint with the selected chain; a paint already running is cancelled first."""
        chain = self.current_chain()
        if chain is None:
            if self.current_key() is None:
                self.desk.show_error("No chain to paint with",
                                     "Learn a chain from your pictures first, or re-install the "
                                     "built-in Kandinsky chains.")
            return
        key = self.current_key()
        s = self.settings()
        source = self.chain_sources.get(key) or {}
        width, height = s["size"]
        request = actions.PaintRequest(chain, self._model_id(key), width, height, s["seed"], s["block"],
                                       order=s["order"], learned_from=list(source.get("learned_from") or []))

        def progress(p: Progress):
            if p.preview is not None:
                self.preview.show_pixels(p.preview)

        # the key cancels a painting still running and drops its late previews and result
        self.paint_job = self.desk.run_job(f"Painting Bauhaus {width}x{height}", actions.paint_job, request,
                                           key="bauhaus:paint", on_result=lambda image: self._painted(image, request),
                                           on_progress=progress)
        self.paint_button.setText("Paint again")
        self.paint_button.setToolTip("Stop this painting and start again with the settings now "
                                     "shown (Ctrl+Return)")

    def _painted(self, image: np.ndarray, request: actions.PaintRequest) -> None:
        self.preview.show_pixels(image)
        self.desk.apply(actions.place_painting(self.desk.document, request, image))
        generation = actions.generation(request)
        log.info("painted Bauhaus layer: %s", generation)
        self.desk.status(
            f"Painted a {request.width}x{request.height} Bauhaus picture (seed {request.seed})", 5000)
        self._update_buttons()

    # -- learning -----------------------------------------------------------------------------
    def _choose_images(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Pictures to learn from", "",
                                                "Images (*.png *.jpg *.jpeg);;All files (*)")
        if files:
            self.add_images(files)

    def add_images(self, paths: list) -> int:
        """Put picture files on the learn list (files are read when learning)."""
        present = set(self.image_paths())
        added = 0
        for name in paths:
            path = Path(name)
            if path.is_dir():
                self.add_images(sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES))
                continue
            if str(path) in present:
                continue
            item = QListWidgetItem(path.name)
            item.setData(Qt.UserRole, str(path))
            item.setToolTip(str(path))
            self.image_list.addItem(item)
            present.add(str(path))
            added += 1
        self._update_buttons()
        return added

    def image_paths(self) -> list[str]:
        return [self.image_list.item(i).data(Qt.UserRole) for i in range(self.image_list.count())]

    def remove_selected(self) -> None:
        for item in self.image_list.selectedItems():
            self.image_list.takeItem(self.image_list.row(item))
        self._update_buttons()

    def layer_pictures(self) -> list[tuple[str, np.ndarray]]:
        found = []
        for layer in self.desk.document.layers:
            if isinstance(layer, RasterLayer) and layer.visible:
                picture = layer_picture(layer)
                if picture is not None:
                    found.append((layer.name, picture))
        return found

    def learn(self) -> None:
        sources, names = [], []
        for path in self.image_paths():
            sources.append(path)
            names.append(Path(path).name)
        if self.use_layers.isChecked():
            for name, picture in self.layer_pictures():
                sources.append(picture)
                names.append(f"layer {name}")
        if not sources:
            self.desk.show_error("Nothing to learn from",
                                 "Add a few pictures (Add… or drop them on the list), or tick "
                                 "\"Use visible raster layers\" with pictures on the page.")
            return
        order, palette = self.order.value(), self.palette_size.value()
        context, seed = self.context.currentData(), self.seed.value()

        def learned(chain):
            self._learn_count += 1
            title = f"My pictures {self._learn_count}" if self._learn_count > 1 else "My pictures"
            source = {"model": f"my pictures ({', '.join(names)})"[:200], "learned_from": names}
            chain.info = {**chain.info, "learned_from": names}
            self.add_chain(chain, title, source)
            log.info("learned a Bauhaus chain (%s) from %s", chain_summary(chain), names)
            self.desk.status(
                f"Learned a chain from {len(names)} picture(s): {chain_summary(chain)}", 5000)

        self.learn_job = self.desk.run_job("Learning from your pictures", actions.learn_job,
                                           actions.LearnRequest(sources, order, palette, context, seed),
                                           key="bauhaus:learn", on_result=learned)
        self._update_buttons()

    def save_chain_dialog(self) -> None:
        key = self.current_key()
        chain = self.chains.get(key) if key is not None else None
        if chain is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save chain", "my_pictures.npz", CHAIN_FILTER)
        if path:
            self.save_chain_to(path)

    def save_chain_to(self, path: str) -> bool:
        if not path.lower().endswith(".npz"):
            path += ".npz"
        try:
            bauhaus.save_chain(self.chains[self.current_key()], path)
        except OSError as exc:
            self.desk.show_error("Could not save the chain",
                                 f"Saving to {path} failed: {exc.strerror or exc}. Try another folder.")
            return False
        self.desk.status(f"Saved the chain to {Path(path).name}", 4000)
        return True

    def open_chain_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open chain", "", CHAIN_FILTER)
        if path:
            self.open_chain(path)

    def open_chain(self, path: str) -> bool:
        try:
            chain = bauhaus.load_chain(path)
        except ValueError as exc:
            self.desk.show_error("Cannot open this chain", str(exc))
            return False
        learned_from = chain.info.get("learned_from") if isinstance(chain.info, dict) else None
        self.add_chain(chain, Path(path).stem, {"model": Path(path).name,
                                                "learned_from": learned_from or []})
        return True

    # -- state --------------------------------------------------------------------------------
    def _job_ended(self, job) -> None:
        if job is self.paint_job or job is self.learn_job:
            self._update_buttons()

    def _update_buttons(self, *args) -> None:
        learning = self.learn_job is not None and not self.learn_job.done
        self.learn_button.setEnabled(not learning and (self.image_list.count() > 0
                                                       or self.use_layers.isChecked()))
        self.learn_button.setText("Learning…" if learning else "Learn")
        self.remove_button.setEnabled(self.image_list.count() > 0)
        key = self.current_key()
        self.save_button.setEnabled(key is not None and key.startswith(LEARNED_PREFIX))
        self.paint_button.setEnabled(key is not None)
        if self.paint_job is None or self.paint_job.done:
            self.paint_button.setText("Paint")
            self.paint_button.setToolTip("Paint a new picture as a layer (Ctrl+Return)")
