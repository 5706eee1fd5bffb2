"""The Portraits tab: a 3x3 grid of KaoKore GAN faces from consecutive seeds, a walk between two
of them (an animated GIF), and "click to place" as a print-ready layer.

Painting, walking, upscaling for print and writing the GIF run as desk jobs; this tab only
gathers settings, shows the faces the jobs return (64 or 128 px, whatever the installed model
paints), and turns a chosen one into one raster layer (one undo step) upscaled with the chosen
filter (Smooth: the KaoKore enlarger network, then Lanczos), optionally signed with the GAN objective.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QFormLayout, QFrame, QGridLayout, QGroupBox,
                               QHBoxLayout, QLabel, QListView, QListWidget, QListWidgetItem, QMenu,
                               QSizePolicy, QVBoxLayout, QWidget)

from artdesk.actions import portrait as actions
from artdesk.actions.portrait import (GRID, PRINT_SIZE, TRAIN_ADVICE, generation, open_generator,  # noqa: F401
                                      print_pixels, write_walk_gif)
from artdesk.engines import portrait
from artdesk.export.render import numpy_to_qimage
from artdesk.ui.widgets import ComboBox, paint_placeholder, fill_with_scroll_area, run_shortcut, Slider, button, spin_box

log = logging.getLogger("artdesk.portrait_tab")

DEFAULT_SEED = 1
DEFAULT_VARIATION = 0.8  # a little truncation: fewer broken faces, still varied
VARIATION_STEPS = 100  # slider ticks per 1.0 of variation
UPSCALE_LABELS = {"smooth": "Smooth", "crisp": "Crisp pixel art"}
DEFAULT_FRAMES = 24
DEFAULT_MS = 80
DEFAULT_GIF_SIZE = 256
GIF_FILTER = "Animated GIF (*.gif)"
CLEARER_KEY = "portrait/clearer_faces"  # the "Clearer faces" box, remembered between sessions


# -- plain helpers (no widgets) ------------------------------------------------------------------
def face_pixmap(face: np.ndarray, side: int, mode: str) -> QPixmap:
    transform = Qt.FastTransformation if mode == "crisp" else Qt.SmoothTransformation
    image = numpy_to_qimage(face).scaled(side, side, Qt.KeepAspectRatio, transform)
    return QPixmap.fromImage(image)


# -- small widgets -------------------------------------------------------------------------------
class PortraitCell(QLabel):
    """One face of the grid: click places it, right-click offers the walk ends."""

    clicked = Signal(int)
    menuRequested = Signal(int, object)  # index, global position

    def __init__(self, index: int, parent=None):
        super().__init__(parent)
        self.index = index
        self.face: np.ndarray | None = None
        self.seed: int | None = None
        self.variation: float | None = None
        self.picked = False  # whether the face is the clearest of its seed's candidates
        self.mode = "smooth"
        self.badge = ""  # "From" / "To" when it is a walk end
        self.setAlignment(Qt.AlignCenter)
        self.setFrameShape(QFrame.StyledPanel)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Ignored)
        self.setMinimumSize(40, 40)
        self.setStyleSheet("QLabel { background: palette(base); }"
                           "QLabel:hover { border: 2px solid palette(highlight); }")

    def set_face(self, face: np.ndarray | None, seed: int | None, variation: float | None,
                 picked: bool = False) -> None:
        self.face, self.seed, self.variation, self.picked = face, seed, variation, picked
        self.setCursor(Qt.PointingHandCursor if face is not None else Qt.ArrowCursor)
        self.setToolTip("" if face is None else
                        f"Seed {seed}: click to place it as a layer; right-click to walk from or to it")
        self._rescale()

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self._rescale()

    def set_badge(self, text: str) -> None:
        if text != self.badge:
            self.badge = text
            self.update()

    def _rescale(self) -> None:
        if self.face is None:
            self.clear()
            return
        side = max(8, min(self.width(), self.height()) - 4)
        self.setPixmap(face_pixmap(self.face, side, self.mode))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._rescale()

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.LeftButton and self.face is not None and self.rect().contains(
                event.position().toPoint()):
            self.clicked.emit(self.index)
        super().mouseReleaseEvent(event)

    def contextMenuEvent(self, event) -> None:
        if self.face is not None:
            self.menuRequested.emit(self.index, event.globalPos())

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self.seed is not None:
            painter = QPainter(self)
            font = painter.font()
            font.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
            painter.setFont(font)
            text = f"{self.badge} {self.seed}" if self.badge else str(self.seed)
            metrics = painter.fontMetrics()
            w, h = metrics.horizontalAdvance(text) + 6, metrics.height()
            color = QColor("#c0392b") if self.badge else QColor(0, 0, 0, 140)
            painter.fillRect(3, self.height() - h - 3, w, h, color)
            painter.setPen(QColor("white"))
            painter.drawText(6, self.height() - 3 - metrics.descent(), text)
            painter.end()


class FrameStrip(QListWidget):
    """The walk's frames in a row; says what it is for while empty."""

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self.count() == 0:
            paint_placeholder(self, "The walk's frames appear here")


class PortraitGrid(QWidget):
    """Nine square cells, as wide as the dock allows (at most 160 px each)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.cells = [PortraitCell(i) for i in range(GRID)]
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for cell in self.cells:
            layout.addWidget(cell, cell.index // 3, cell.index % 3)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.setFixedHeight(3 * 96 + 8)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        side = max(40, min(160, (self.width() - 8) // 3))
        self.setFixedHeight(3 * side + 8)


# -- the tab -------------------------------------------------------------------------------------
class PortraitTab(QWidget):
    """Seed, variation, print filter; the Paint grid; the walk strip and its GIF."""

    def __init__(self, desk):
        super().__init__()
        self.desk = desk
        self.paint_job = None
        self.walk_job = None
        self.gif_job = None
        self.place_jobs: list = []
        self.frames: list[np.ndarray] = []
        self.walk_info: dict | None = None  # {"from", "to", "frames", "variation", "pick"} of the strip
        self._repaint_timer = QTimer(self)  # a moved variation slider repaints the grid
        self._repaint_timer.setSingleShot(True)
        self._repaint_timer.setInterval(200)
        self._repaint_timer.timeout.connect(self._repaint_if_painted)
        self._build()
        desk.jobs.ended.connect(self._job_ended)
        self._update_buttons()

    # -- construction -------------------------------------------------------------------------
    def _build(self) -> None:
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(6, 6, 6, 6)
        column.setSpacing(6)

        self.seed = spin_box(0, 2_147_483_647 - GRID, DEFAULT_SEED,
                          "The first of the grid's nine seeds; a seed always paints the same face")
        self.new_seed_button = button("New", "Paint nine faces from a new random seed", self.new_seed)
        self.next_button = button("Next 9", "Paint the next nine seeds", self.next_nine)
        seed_row = QHBoxLayout()
        seed_row.setSpacing(4)
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.new_seed_button)
        seed_row.addWidget(self.next_button)

        self.variation = Slider(Qt.Horizontal)
        self.variation.setRange(0, int(portrait.MAX_VARIATION * VARIATION_STEPS))
        self.variation.setSingleStep(5)
        self.variation.setPageStep(20)
        self.variation.setValue(round(DEFAULT_VARIATION * VARIATION_STEPS))
        self.variation.setToolTip("How far faces may stray from the average face: 0 = the average "
                                  "face, 1 = the model's full range, above 1 = wilder (and more "
                                  "broken) faces")
        self.variation_label = QLabel()
        metrics = self.variation_label.fontMetrics()
        self.variation_label.setMinimumWidth(metrics.horizontalAdvance("0.00") + 4)
        self.variation.valueChanged.connect(self._variation_changed)
        variation_row = QHBoxLayout()
        variation_row.setSpacing(4)
        variation_row.addWidget(self.variation, 1)
        variation_row.addWidget(self.variation_label)

        self.upscale = ComboBox()
        for mode in ("smooth", "crisp"):
            self.upscale.addItem(UPSCALE_LABELS[mode], mode)
        self.upscale.setToolTip("How a placed face is enlarged for print: Smooth (Lanczos) or Crisp "
                                "pixel art (every pixel a sharp square)")
        self.upscale.currentIndexChanged.connect(self._mode_changed)
        self.sign_box = QCheckBox("Sign")
        self.sign_box.setToolTip("Write the GAN objective small in the bottom-right corner, as "
                                 "Obvious signed Edmond de Belamy")
        print_row = QHBoxLayout()
        print_row.setSpacing(6)
        print_row.addWidget(self.upscale, 1)
        print_row.addWidget(self.sign_box)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.addRow("Seed", seed_row)
        form.addRow("Variation", variation_row)
        form.addRow("Print", print_row)
        self.pick_box = QCheckBox(f"Clearer faces (the clearest of {portrait.PICK_POOL})")
        self.pick_box.setChecked(self.desk.setting_bool(CLEARER_KEY, True))
        self.pick_box.setToolTip(f"Steer each seed's face toward clear eyes and a mouth and keep the clearest of "
                                 f"{portrait.PICK_POOL} candidates, as the face picker reads them; off: the "
                                 "generator's own face for the seed")
        self.pick_box.toggled.connect(lambda on: self.desk.settings.setValue(CLEARER_KEY, on))
        self.pick_box.toggled.connect(lambda _on: self._repaint_timer.start())
        form.addRow(self.pick_box)
        column.addLayout(form)

        self.paint_button = button("Paint", "Paint nine faces from the seed on; when the grid already "
                                   "shows them, paint the next nine (Ctrl+Return)", self.paint_pressed)
        column.addWidget(self.paint_button)
        self.grid = PortraitGrid()
        for cell in self.grid.cells:
            cell.clicked.connect(self.place_cell)
            cell.menuRequested.connect(self._cell_menu)
        column.addWidget(self.grid)
        self.hint = QLabel("Press Paint to paint nine faces, then click one to place it on the "
                           "page. Right-click a face to walk from or to it.")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: palette(placeholder-text);")
        column.addWidget(self.hint)

        column.addWidget(self._build_walk_box())
        column.addStretch(1)

        fill_with_scroll_area(self, content)
        run_shortcut(self, self.paint_pressed)
        self._variation_changed(self.variation.value())

    def _build_walk_box(self) -> QGroupBox:
        box = QGroupBox("Walk between two faces")
        layout = QVBoxLayout(box)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        self.walk_from = spin_box(0, 2_147_483_647, DEFAULT_SEED, "The seed of the face the walk starts at")
        self.walk_to = spin_box(0, 2_147_483_647, DEFAULT_SEED + 1, "The seed of the face the walk ends at")
        self.walk_from.valueChanged.connect(self._update_badges)
        self.walk_to.valueChanged.connect(self._update_badges)
        ends = QHBoxLayout()
        ends.setSpacing(2)
        ends.addWidget(self.walk_from, 1)
        ends.addWidget(QLabel("→"))
        ends.addWidget(self.walk_to, 1)
        self.frames_box = spin_box(2, 240, DEFAULT_FRAMES, "Faces on the way, both ends included",
                                " frames")
        self.ms_box = spin_box(20, 2000, DEFAULT_MS, "How long each frame shows in the GIF", " ms")
        self.ms_box.setSingleStep(10)
        timing = QHBoxLayout()
        timing.setSpacing(4)
        timing.addWidget(self.frames_box, 1)
        timing.addWidget(self.ms_box, 1)
        self.gif_size = spin_box(64, 1024, DEFAULT_GIF_SIZE, "Width and height of the GIF's frames "
                              "(enlarged with the Print filter)", " px")
        self.gif_size.setSingleStep(64)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.addRow("Seeds", ends)
        form.addRow("Frames", timing)
        form.addRow("GIF size", self.gif_size)
        layout.addLayout(form)

        row = QHBoxLayout()
        row.setSpacing(4)
        self.walk_button = button("Walk", "Paint the faces on the way from one seed to the other",
                                   self.walk)
        self.gif_button = button("Save GIF…", "Save the walk as a looping animated GIF",
                                  self.save_gif_dialog)
        row.addWidget(self.walk_button, 1)
        row.addWidget(self.gif_button, 1)
        layout.addLayout(row)

        self.strip = FrameStrip()
        self.strip.setViewMode(QListView.IconMode)
        self.strip.setFlow(QListView.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setMovement(QListView.Static)
        self.strip.setIconSize(QSize(56, 56))
        self.strip.setSpacing(2)
        self.strip.setFixedHeight(56 + 2 * 6 + self.strip.horizontalScrollBar().sizeHint().height())
        self.strip.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOn)
        self.strip.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.strip.setToolTip("The walk: click a frame to place it as a layer")
        self.strip.itemClicked.connect(lambda item: self.place_frame(item.data(Qt.UserRole)))
        self.player = QLabel()
        self.player.setAlignment(Qt.AlignCenter)
        self.player.setFrameShape(QFrame.StyledPanel)
        self.player.setFixedSize(self.strip.height(), self.strip.height())
        self.player.setToolTip("The walk, playing at the GIF's speed")
        strip_row = QHBoxLayout()
        strip_row.setSpacing(4)
        strip_row.addWidget(self.player)
        strip_row.addWidget(self.strip, 1)
        layout.addLayout(strip_row)
        self._play_timer = QTimer(self)
        self._play_timer.timeout.connect(self._play_next)
        self._play_index = 0
        self.ms_box.valueChanged.connect(lambda ms: self._play_timer.setInterval(ms))
        return box

    # -- settings -----------------------------------------------------------------------------
    def variation_value(self) -> float:
        return self.variation.value() / VARIATION_STEPS

    def set_variation(self, value: float) -> None:
        self.variation.setValue(round(value * VARIATION_STEPS))

    def mode(self) -> str:
        return self.upscale.currentData()

    def _variation_changed(self, value: int) -> None:
        self.variation_label.setText(f"{value / VARIATION_STEPS:.2f}")
        self._repaint_timer.start()

    def _repaint_if_painted(self) -> None:
        first = self.grid.cells[0]
        if any(cell.face is not None for cell in self.grid.cells) and \
                (first.variation != self.variation_value() or first.picked != self.pick_box.isChecked()):
            self.paint()

    def _mode_changed(self, *args) -> None:
        for cell in self.grid.cells:
            cell.set_mode(self.mode())
        self._fill_strip()

    def new_seed(self) -> None:
        self.seed.setValue(random.randint(1, 999_999))
        self.paint()

    def next_nine(self) -> None:
        self.seed.setValue(min(self.seed.maximum(), self.seed.value() + GRID))
        self.paint()

    # -- painting -----------------------------------------------------------------------------
    def shows_current_settings(self) -> bool:
        """Whether the grid already shows the seed box's nine faces at the slider's variation
        (picked or not, as the box says)."""
        first = self.grid.cells[0]
        return first.face is not None and first.seed == self.seed.value() and \
            first.variation == self.variation_value() and first.picked == self.pick_box.isChecked()

    def paint_pressed(self) -> None:
        """Paint (the button, Ctrl+Return): the seed box's nine faces, or the next nine when the
        grid already shows those (painting them again would change nothing one could see)."""
        if self.shows_current_settings() and (self.paint_job is None or self.paint_job.done):
            self.next_nine()
        else:
            self.paint()

    def paint(self) -> None:
        """Paint the grid from the seed box on; a paint still running is cancelled first."""
        self._repaint_timer.stop()
        request = actions.GridRequest(self.seed.value(), self.variation_value(), pick=self.pick_box.isChecked())
        seeds, first = request.seeds, request.first_seed
        # the key cancels a painting still running and drops its late faces or error
        self.paint_job = self.desk.run_job(
            f"Painting portraits {first}–{first + GRID - 1}", actions.paint_grid_job, request, key="portrait:paint",
            on_result=lambda faces: self._painted(seeds, request.variation, faces, request.pick),
            on_error=lambda message, tb: self.hint.setText(f"No faces: {message}"))
        self._update_buttons()

    def _painted(self, seeds: list[int], variation: float, faces: list[np.ndarray], picked: bool = False) -> None:
        for cell, seed, face in zip(self.grid.cells, seeds, faces):
            cell.set_mode(self.mode())
            cell.set_face(face, seed, variation, picked)
        how = f", each the clearest of {portrait.PICK_POOL}" if picked else ""
        self.hint.setText(f"Seeds {seeds[0]}–{seeds[-1]}, variation {variation:.2f}{how}. Click a face "
                          "to place it; right-click to walk from or to it.")
        self._update_badges()
        self.desk.status(f"Painted portraits {seeds[0]}–{seeds[-1]}", 4000)

    def faces(self) -> list[np.ndarray | None]:
        return [cell.face for cell in self.grid.cells]

    # -- placing ------------------------------------------------------------------------------
    def place_cell(self, index: int):
        cell = self.grid.cells[index]
        if cell.face is None:
            return None
        return self.place(cell.face, cell.seed, cell.variation, f"Portrait {cell.seed}", picked=cell.picked)

    def place_frame(self, index: int):
        if self.walk_info is None or not 0 <= index < len(self.frames):
            return None
        info = self.walk_info
        walk = {"from": info["from"], "to": info["to"], "frames": info["frames"], "frame": index}
        name = f"Walk {info['from']}→{info['to']} {index + 1}/{info['frames']}"
        return self.place(self.frames[index], info["from"], info["variation"], name, walk, picked=info["pick"])

    def place(self, face: np.ndarray, seed: int, variation: float, name: str, walk: dict | None = None,
              picked: bool = False):
        """Upscale (and sign) on a worker, then add one raster layer fitted to the page."""
        request = actions.PlaceRequest(face, seed, variation, self.mode(), self.sign_box.isChecked(), name, walk,
                                       pick=picked)
        document = self.desk.document

        def done(pixels):
            if self.desk.document is not document:  # a new document came meanwhile
                return
            self.desk.apply(actions.place_portrait(document, request, pixels))
            log.info("placed portrait layer: %s", document.layers[-1].metadata.get("generation"))
            self.desk.status(
                f"Placed {name} ({pixels.shape[1]} px, {UPSCALE_LABELS[request.mode].lower()}"
                f"{', signed' if request.signed else ''})", 5000)

        job = self.desk.run_job(f"Placing {name}", actions.place_job, request, on_result=done)
        self.place_jobs = [j for j in self.place_jobs if not j.done] + [job]
        return job

    # -- walking ------------------------------------------------------------------------------
    def _cell_menu(self, index: int, pos) -> None:
        cell = self.grid.cells[index]
        menu = QMenu(self)
        menu.addAction("Place as a layer", lambda: self.place_cell(index))
        menu.addSeparator()
        menu.addAction(f"Walk from seed {cell.seed}", lambda: self.set_walk_end(index, "from"))
        menu.addAction(f"Walk to seed {cell.seed}", lambda: self.set_walk_end(index, "to"))
        menu.exec(pos)

    def set_walk_end(self, index: int, end: str) -> None:
        """Make a grid face the walk's start ("from") or end ("to")."""
        cell = self.grid.cells[index]
        if cell.seed is None:
            return
        (self.walk_from if end == "from" else self.walk_to).setValue(cell.seed)
        self._update_badges()

    def _update_badges(self, *args) -> None:
        for cell in self.grid.cells:
            if cell.seed == self.walk_from.value():
                cell.set_badge("From")
            elif cell.seed == self.walk_to.value():
                cell.set_badge("To")
            else:
                cell.set_badge("")

    def walk(self) -> None:
        """Paint the faces on the spherical path between the two seeds (cancels a running walk)."""
        request = actions.WalkRequest(self.walk_from.value(), self.walk_to.value(), self.frames_box.value(),
                                      self.variation_value(), pick=self.pick_box.isChecked())
        a, b, frames = request.seed_from, request.seed_to, request.frames
        info = {"from": a, "to": b, "frames": frames, "variation": request.variation, "pick": request.pick}

        def done(images):
            self.frames = list(images)
            self.walk_info = info
            self._fill_strip()
            self.desk.status(f"Walked from seed {a} to {b} in {frames} frames", 4000)

        # the key cancels a walk still running and drops its late frames
        self.walk_job = self.desk.run_job(f"Walking from seed {a} to {b}", actions.walk_job, request,
                                          key="portrait:walk", on_result=done)
        self._update_buttons()

    def _fill_strip(self) -> None:
        self.strip.clear()
        side = self.strip.iconSize().width()
        n = len(self.frames)
        for i, frame in enumerate(self.frames):
            item = QListWidgetItem(QIcon(face_pixmap(frame, side, self.mode())), "")
            item.setData(Qt.UserRole, i)
            item.setToolTip(f"Frame {i + 1} of {n}: click to place it as a layer")
            item.setSizeHint(QSize(side + 4, side + 4))
            self.strip.addItem(item)
        self._play_index = 0
        if self.frames:
            self._play_timer.start(self.ms_box.value())
            self._play_next()
        else:
            self._play_timer.stop()
            self.player.clear()
        self._update_buttons()

    def _play_next(self) -> None:
        if not self.frames or not self.isVisible():
            return
        self._play_index %= len(self.frames)
        side = self.player.height() - 4
        self.player.setPixmap(face_pixmap(self.frames[self._play_index], side, self.mode()))
        self._play_index += 1

    def save_gif_dialog(self) -> None:
        if not self.frames:
            return
        info = self.walk_info
        start = str(Path(str(self.desk.settings.value("last_dir", str(Path.home()))))
                    / f"walk_{info['from']}_{info['to']}.gif")
        path, _ = QFileDialog.getSaveFileName(self, "Save walk as GIF", start, GIF_FILTER)
        if path:
            self.save_gif_to(path)

    def save_gif_to(self, path: str):
        """Write the walk shown in the strip as a GIF on a worker; returns the job."""
        if not self.frames:
            return None
        if not path.lower().endswith(".gif"):
            path += ".gif"
        ms, size, mode = self.ms_box.value(), self.gif_size.value(), self.mode()

        def done(written):
            self.desk.status(
                f"Saved {Path(written).name} ({len(self.frames)} frames, {ms} ms each)", 5000)

        self.gif_job = self.desk.run_job(f"Saving {Path(path).name}", write_walk_gif,
                                         list(self.frames), path, ms, size, mode, on_result=done)
        self._update_buttons()
        return self.gif_job

    # -- state --------------------------------------------------------------------------------
    def _job_ended(self, job) -> None:
        if job in (self.paint_job, self.walk_job, self.gif_job):
            self._update_buttons()

    def _update_buttons(self, *args) -> None:
        painting = self.paint_job is not None and not self.paint_job.done
        self.paint_button.setText("Painting…" if painting else "Paint")
        walking = self.walk_job is not None and not self.walk_job.done
        self.walk_button.setText("Walking…" if walking else "Walk")
        saving = self.gif_job is not None and not self.gif_job.done
        self.gif_button.setEnabled(bool(self.frames) and not saving)
