"""The Doodle tab: sketch-rnn continues, redraws, morphs and mixes the doodle on the canvas.

Every action samples several candidates at once on a worker (the ONNX decoder step is batched),
shows them live in a grid, and places the one the user clicks as one undo step.
"""

from __future__ import annotations

import logging
import random
import shutil
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence, QPainter, QPainterPath, QPen, QShortcut
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QFormLayout, QGridLayout, QHBoxLayout, QLabel,
                               QPushButton, QSizePolicy, QVBoxLayout, QWidget)

from artdesk.actions import doodle as doodle_actions
from artdesk.document.model import VectorLayer
from artdesk.engines.doodle_io import (APP_TEMPERATURE, CANDIDATES, MORPH_STEPS, PICK_DEFAULT, PICK_FROM, Outcome,
                                       Request, category_label, doodle_job, reading_labels, reads_drawings,
                                       shipped_categories, student_reads)
from artdesk.engines.progress import Progress
from artdesk.engines.sketch_rnn_js import load_sketch_rnn_js
from artdesk.paths import user_data_dir
from artdesk.ui.widgets import ComboBox, Slider, SpinBox, fill_with_scroll_area, run_shortcut

log = logging.getLogger("artdesk.doodle_tab")

DEFAULT_TEMPERATURE = APP_TEMPERATURE
LIVE_DELAY_MS = 450  # "Continue as I draw": wait this long after a stroke (the next may follow)
LIVE_KEY = "doodle/continue_as_i_draw"
PICK_KEY = "doodle/pick_clearest"
MODEL_KEY = "doodle/model"


def user_models_dir() -> Path:
    path = user_data_dir() / "doodle_models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def available_models() -> list[tuple[str, str]]:
    """(label, key) for every model the user can pick: ours first, then imported files."""
    found = [(category_label(c), c) for c in shipped_categories()]
    for path in sorted(user_models_dir().glob("*.json")):
        found.append((f"{path.name.split('.')[0].replace('_', ' ')} (imported)", str(path)))
    return found


class CandidateCell(QWidget):
    clicked = Signal()

    def __init__(self):
        super().__init__()
        # small enough that Morph's 5 columns fit the dock's default width without a sideways scroll bar,
        # and the three rows its default height (the cells take the room there is, not a square each)
        self.setMinimumSize(44, 44)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setCursor(Qt.PointingHandCursor)
        self.old: list[np.ndarray] = []
        self.new: list[np.ndarray] = []
        self.label = ""

    def show_lines(self, old, new, label: str = "") -> None:
        self.old, self.new, self.label = old, new, label
        self.setToolTip(label)
        self.update()

    def sizeHint(self):
        from PySide6.QtCore import QSize

        return QSize(52, 52)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton and self.new:
            self.clicked.emit()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.fillRect(self.rect(), QColor("#ffffff"))
        p.setPen(QColor("#c8c8cc"))
        p.drawRect(self.rect().adjusted(0, 0, -1, -1))
        fm = p.fontMetrics()
        top = fm.height() + 2 if self.label else 0  # the label's own strip: it never covers the drawing
        pts = [l for l in self.old + self.new if len(l)]
        if pts:
            allxy = np.concatenate(pts)
            lo, hi = allxy.min(axis=0), allxy.max(axis=0)
            ext = np.maximum(hi - lo, 1e-6)
            # each axis fits its own room (the smaller ratio wins): a wide drawing in a wide cell spans its width
            room = np.array([self.width() - 8.0, self.height() - top - 6.0])
            k = max(1e-3, float(min(room / ext)))
            if not np.isfinite(k) or k > 1e3:  # a single point
                k = 1.0
            off = np.array([self.width() / 2, top + (self.height() - top) / 2]) - (lo + hi) / 2 * k
            for lines, color in ((self.old, QColor("#9a9aa2")), (self.new, QColor("#1d1d1f"))):
                p.setPen(QPen(color, 1.6, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin))
                for line in lines:
                    xy = line * k + off
                    path = QPainterPath(QPointF(*xy[0]))
                    for x, y in xy[1:]:
                        path.lineTo(x, y)
                    p.drawPath(path)
        if self.label:
            p.setPen(QColor("#606068"))
            # narrow cells: "4  brace… 27%" shortens the category, keeps the percentage (full text in the tooltip)
            room = self.width() - 8
            text = self.label
            if fm.horizontalAdvance(text) > room and " " in text:
                head, tail = text.rsplit(" ", 1)
                text = fm.elidedText(head, Qt.ElideRight, room - fm.horizontalAdvance(" " + tail)) + " " + tail
            p.drawText(QRectF(4, 1, self.width() - 8, top), Qt.AlignLeft | Qt.AlignVCenter, text)
        p.end()


class CandidateGrid(QWidget):
    chosen = Signal(int)

    def __init__(self):
        super().__init__()
        self.layout_ = QGridLayout(self)
        self.layout_.setSpacing(4)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.cells: list[CandidateCell] = []
        self.set_count(CANDIDATES)

    def set_count(self, n: int) -> None:
        if n == len(self.cells):
            return
        for cell in self.cells:
            cell.setParent(None)
        self.cells = []
        cols = 3 if n == 9 else 5
        for i in range(n):
            cell = CandidateCell()
            cell.clicked.connect(lambda i=i: self.chosen.emit(i))
            self.layout_.addWidget(cell, i // cols, i % cols)
            self.cells.append(cell)

    def clear(self) -> None:
        for cell in self.cells:
            cell.show_lines([], [])


class DoodleTab(QWidget):
    def __init__(self, desk):
        super().__init__()
        self.desk = desk
        self.job = None
        self.last_request: Request | None = None
        self.outcome: Outcome | None = None

        self.model_combo = ComboBox()
        self.model_combo.setToolTip("The category the model draws")
        self.mix_combo = ComboBox()
        self.mix_combo.setToolTip("Mix: read your doodle with the first model, draw it with this one")
        self.morph_combo = ComboBox()
        self.morph_combo.setToolTip("Morph from the canvas doodle to this one")
        self.temperature = Slider(Qt.Horizontal)
        self.temperature.setRange(5, 100)
        self.temperature.setValue(round(DEFAULT_TEMPERATURE * 100))
        self.temperature.setToolTip("Low: careful and typical. High: wild and surprising.")
        self.temp_label = QLabel()
        self.temperature.valueChanged.connect(self._show_temperature)
        self._show_temperature()
        self.seed = SpinBox()
        self.seed.setRange(0, 2_000_000_000)
        self.seed.setValue(1)
        temp_row = QHBoxLayout()
        temp_row.addWidget(self.temperature, 1)
        temp_row.addWidget(self.temp_label)
        new_seed = QPushButton("New")
        new_seed.clicked.connect(lambda: self.seed.setValue(random.randrange(1, 1_000_000)))
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(new_seed)

        form = QFormLayout()
        form.addRow("Model", self.model_combo)
        form.addRow("Temperature", temp_row)
        form.addRow("Seed", seed_row)
        form.addRow("Mix with", self.mix_combo)
        form.addRow("Morph to", self.morph_combo)

        self.buttons = {}
        actions = QGridLayout()
        for i, (key, text, tip) in enumerate((
            ("continue", "Continue", "Nine possible endings of your doodle"),
            ("redraw", "Redraw", "Your doodle, drawn again in the model's own style"),
            ("morph", "Morph", "Ten in-betweens from your doodle to another"),
            ("mix", "Mix", "Read your doodle as one category, draw it as another (crats!)"),
            ("random", "Random", "Nine new doodles of the category"),
            ("again", "Again", "Ask again with a new seed (Ctrl+Return)"),
        )):
            b = QPushButton(text)
            b.setToolTip(tip)
            b.clicked.connect(lambda _=False, k=key: self.again() if k == "again" else self.start(k))
            actions.addWidget(b, i // 3, i % 3)
            self.buttons[key] = b
        self.buttons["again"].setEnabled(False)
        run_shortcut(self, self.generate)
        # the canvas has the focus while the user draws: Ctrl+Return there generates too, while this tab shows
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), desk.canvas)
            shortcut.setContext(Qt.WidgetShortcut)  # (a context keyword is not taken: it would be window-wide)
            shortcut.activated.connect(self._generate_from_canvas)
        for n in range(1, CANDIDATES + 1):  # 1..9 place that candidate, as a click does (within this tab)
            number = QShortcut(QKeySequence(str(n)), self)
            number.setContext(Qt.WidgetWithChildrenShortcut)  # PySide6 ignores a context keyword: window-wide
            number.activated.connect(lambda n=n: self.apply(n - 1))

        self.live = QCheckBox("Continue as I draw")
        self.live.setToolTip("After each stroke you draw, offer nine endings (Continue) by itself")
        self.live.setChecked(desk.setting_bool(LIVE_KEY, False))
        self.live.toggled.connect(lambda on: desk.settings.setValue(LIVE_KEY, on))
        self.pick = QCheckBox(f"Pick the clearest {CANDIDATES} of {CANDIDATES * PICK_FROM}")
        self.pick.setToolTip(f"Random and Continue draw {CANDIDATES * PICK_FROM} candidates and keep the "
                             f"{CANDIDATES} the doodle recogniser is surest are the model's category. Every "
                             "cell says what the recogniser sees in it")
        self.pick.setChecked(desk.setting_bool(PICK_KEY, PICK_DEFAULT))
        self.pick.toggled.connect(lambda on: desk.settings.setValue(PICK_KEY, on))
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(LIVE_DELAY_MS)
        self._live_timer.timeout.connect(self._live_continue)
        desk.canvas.strokeFinished.connect(self._stroke_drawn)

        self.grid = CandidateGrid()
        self.grid.chosen.connect(self.apply)
        self.hint = QLabel("Draw on the canvas, then press Continue. Click a candidate to place it.")
        self.hint.setWordWrap(True)

        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addLayout(form)
        layout.addLayout(actions)
        layout.addWidget(self.live)
        layout.addWidget(self.pick)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.hint)
        fill_with_scroll_area(self, inner)

        self.import_action = QAction("Import doodle &model…", self)
        self.import_action.setStatusTip("Add a sketch-rnn model Magenta published (.gen.json / .vae.json)")
        self.import_action.triggered.connect(self.import_model_dialog)
        self.reload_models()
        desk.documentReplaced.connect(lambda doc: self._document_replaced())
        self.model_combo.currentIndexChanged.connect(
            lambda _: desk.settings.setValue(MODEL_KEY, self.model_combo.currentData()))
        self.model_combo.currentIndexChanged.connect(lambda _: self._enable_reading_actions())
        desk.undo_stack.indexChanged.connect(lambda _: self._refresh_morph_targets())
        self._refresh_morph_targets()

    def _document_replaced(self) -> None:
        """A new or opened document: the candidates drawn for the old one go."""
        self.outcome = None
        self.grid.clear()
        self._refresh_morph_targets()

    def file_actions(self) -> list[QAction]:
        return [self.import_action]

    def _show_temperature(self) -> None:
        self.temp_label.setText(f"{self.temperature.value() / 100:.2f}")

    # -- models ---------------------------------------------------------------------------
    def reload_models(self, select: str | None = None) -> None:
        models = available_models()
        for combo in (self.model_combo, self.mix_combo):
            current = select if combo is self.model_combo and select else combo.currentData()
            if current is None and combo is self.model_combo:
                current = self.desk.settings.value(MODEL_KEY)  # the category chosen last session
            combo.blockSignals(True)
            combo.clear()
            for label, key in models:
                combo.addItem(label, key)
            index = combo.findData(current)
            if index < 0:
                index = max(0, combo.findData("sheep"))
            combo.setCurrentIndex(index)
            combo.blockSignals(False)
        if self.mix_combo.count() > 1 and self.mix_combo.currentIndex() == self.model_combo.currentIndex():
            self.mix_combo.setCurrentIndex(1)
        has = bool(models)
        for b in self.buttons.values():
            b.setEnabled(has and (b is not self.buttons["again"] or self.last_request is not None))
        if not has:
            self.hint.setText("No doodle models are installed. Use File > Import doodle model to add one.")
        self._enable_reading_actions()

    READING_TIPS = {"redraw": "Your doodle, drawn again in the model's own style",
                    "morph": "Ten in-betweens from your doodle to another",
                    "mix": "Read your doodle as one category, draw it as another (crats!)"}

    def _enable_reading_actions(self) -> None:
        """Redraw, Morph and Mix read the doodle into the model's latent: only for models that can."""
        key = self.model_combo.currentData()
        ok = key is not None and reads_drawings(key)
        shipped = key is not None and "/" not in key and not key.endswith(".json")
        reader = shipped and not student_reads(key)  # Redraw, Morph and Mix go through its reader VAE
        for action, tip in self.READING_TIPS.items():
            self.buttons[action].setEnabled(ok)
            if ok:
                text = tip + (f".\nRead by the {category_label(key)} reader, a second model whose latent carries the "
                              "drawing" if reader else "")
            else:
                readers = reading_labels()
                text = (f"{tip}. This category has no reader yet (a model whose latent reads a drawing): Continue "
                        "and Random work with it" + (f". Categories with a reader: {', '.join(readers)}"
                                                     if readers else ""))
            self.buttons[action].setToolTip(text)

    def import_model_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import doodle model", "",
                                              "sketch-rnn models (*.gen.json *.vae.json *.json)")
        if path:
            self.import_model(path)

    def import_model(self, path: str) -> bool:
        """Check a Magenta sketch-rnn-js file and keep a copy among the user's models."""
        try:
            load_sketch_rnn_js(path)
        except (ValueError, OSError) as exc:
            self.desk.show_error("Cannot import this doodle model", str(exc))
            return False
        target = user_models_dir() / Path(path).name
        shutil.copyfile(path, target)
        self.reload_models(select=str(target))
        self.desk.status(f"Added the doodle model {Path(path).name}", 5000)
        return True

    def _refresh_morph_targets(self) -> None:
        current = self.morph_combo.currentData()
        self.morph_combo.blockSignals(True)
        self.morph_combo.clear()
        self.morph_combo.addItem("A new doodle by the model", None)
        for layer in self.desk.document.vector_layers():
            if layer.strokes:
                self.morph_combo.addItem(f"Layer: {layer.name}", layer.id)
        self.morph_combo.setCurrentIndex(max(0, self.morph_combo.findData(current)))
        self.morph_combo.blockSignals(False)

    # -- running --------------------------------------------------------------------------
    def _stroke_drawn(self, _stroke) -> None:
        """A stroke was drawn on the canvas: with "Continue as I draw" on and this tab showing,
        continue the doodle once the pen has rested for LIVE_DELAY_MS (each stroke restarts it)."""
        if self.live.isChecked() and self.desk.panel.currentWidget() is self:
            self._live_timer.start()

    def _live_continue(self) -> None:
        if self.live.isChecked() and self.model_combo.count() and self._source()[0]:
            self.start("continue")

    def _source(self) -> tuple[list, str | None]:
        """The doodle to read, and the layer its endings join: the active vector layer, else the
        layer last drawn in, else the topmost drawing; one layer only, never a guide."""
        doc = self.desk.document
        usable = lambda l: isinstance(l, VectorLayer) and l.visible and l.strokes and not l.is_guide  # noqa: E731
        candidates = [self.desk.active_layer()]
        if getattr(self.desk, "last_drawn_layer_id", None):
            candidates.append(next((l for l in doc.layers if l.id == self.desk.last_drawn_layer_id), None))
        candidates += list(reversed(doc.vector_layers()))
        layer = next((l for l in candidates if usable(l)), None)
        if layer is None:
            return [], None
        return [s.points[:, :2] for s in layer.strokes], layer.id

    def start(self, action: str) -> None:
        if self.model_combo.count() == 0:
            self.desk.show_warning("No doodle model", "Import a doodle model first (File > Import doodle model).")
            return
        lines, layer_id = ([], None) if action == "random" else self._source()
        target = []
        if action == "morph" and self.morph_combo.currentData():
            try:
                other = self.desk.document.layer(self.morph_combo.currentData())
                target = [s.points[:, :2] for s in other.strokes]
            except KeyError:
                self._refresh_morph_targets()
        request = Request(action, self.model_combo.currentData(), self.seed.value(),
                          self.temperature.value() / 100, self.mix_combo.currentData(), lines, target, layer_id,
                          pick=self.pick.isChecked())
        self.run(request)

    def generate(self) -> None:
        """Ctrl+Return: ask again with a new seed, or the first time Continue the doodle on the
        canvas (Random when the canvas is empty)."""
        if self.last_request is not None:
            self.again()
        elif self.model_combo.count():
            self.start("continue" if self._source()[0] else "random")

    def _generate_from_canvas(self) -> None:
        if self.desk.panel.currentWidget() is self:
            self.generate()

    def again(self) -> None:
        if self.last_request is None:
            return
        self.seed.setValue(self.seed.value() + 1)
        self.run(doodle_actions.again(self.last_request, self.seed.value(), self.temperature.value() / 100,
                                      self.pick.isChecked()))

    def run(self, request: Request) -> None:
        self.last_request = request
        self.buttons["again"].setEnabled(True)
        self.outcome = None
        self.grid.set_count(MORPH_STEPS if request.action == "morph" else CANDIDATES)
        self.grid.clear()
        if request.picking:
            self.hint.setText(f"{request.action.capitalize()}: drawing {CANDIDATES * PICK_FROM}, keeping the "
                              f"{CANDIDATES} clearest…")
        else:
            self.hint.setText(f"{request.action.capitalize()}: drawing…")
        # the key cancels the doodle job before this one and drops its late previews and result
        self.job = self.desk.run_job(f"Doodle: {request.action}", doodle_job, request, key="doodle",
                                     on_progress=self._preview, on_result=self._done,
                                     on_error=lambda message, tb: self.hint.setText(message))

    def _preview(self, progress: Progress) -> None:
        if not isinstance(progress.preview, list):
            return
        for cell, drawing in zip(self.grid.cells, progress.preview):
            cell.show_lines([], [l for l in _lines(drawing) if len(l)])

    def _done(self, outcome: Outcome) -> None:
        self.outcome = outcome
        request = outcome.request
        prefix_lines = _lines(outcome.prefix) if request.action == "continue" and outcome.prefix is not None else []
        for i, (cell, drawing) in enumerate(zip(self.grid.cells, outcome.candidates)):
            new = _lines(drawing, start=outcome.prefix[:, :2].sum(axis=0) if prefix_lines else (0, 0))
            label = f"{i + 1}" if request.action != "morph" else f"{i / (len(outcome.candidates) - 1):.0%}"
            if i < len(outcome.guesses):
                label += f"  {outcome.guesses[i].label()}"
            cell.show_lines(prefix_lines, new, label)
        notes = " ".join(outcome.notes)
        self.hint.setText(f"{notes} Click a candidate, or press its number, to place it on the canvas.".strip())

    def apply(self, index: int) -> None:
        """Place candidate `index` on the canvas as one undo step (actions.doodle)."""
        outcome = self.outcome
        if outcome is None or index >= len(outcome.candidates):
            return
        desk = self.desk
        active = desk.active_layer()
        applied = doodle_actions.place_candidate(
            desk.document, outcome, index, desk.canvas.brush_color.name(), float(desk.canvas.brush_size),
            active.id if isinstance(active, VectorLayer) else None)
        if applied is None:
            desk.status("That ending adds nothing; pick another." if outcome.request.action
                                         == "continue" else "That candidate is empty; pick another.", 4000)
            return
        desk.apply(applied)


def _lines(drawing, start=(0, 0)) -> list[np.ndarray]:
    from artdesk.engines.sketch_format import stroke3_to_lines

    if drawing is None or len(drawing) == 0:
        return []
    return [l for l in stroke3_to_lines(drawing, start=start) if len(l)]
