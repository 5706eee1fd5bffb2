"""The Zentangle tab: drag a pattern from the gallery onto a shape; it fills at print size.

The drop itself arrives from the canvas (MainWindow.pattern_dropped -> `fill_at_drop`); the tab
holds the settings, shows the chosen pattern, and offers "Restyle" to redo the last fill.

A drop answers at once: the fill is made on the spot at a preview size of the page (the same
pattern size in page units as the print; Neural previews as the crisp tile) and shown as the
new layer, then the print-size fill runs on the job runner and takes the preview's place in the
same undo step. Cancelling the print-size fill takes the preview away again.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (QColorDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QMessageBox,
                               QPushButton, QVBoxLayout, QWidget)

from artdesk.actions import zentangle as actions
from artdesk.actions.zentangle import FillRequest, fill_job  # noqa: F401 (the tab's names before actions/)
from artdesk.document.imports import ImportFailed, read_image
from artdesk.engines.neural_fill import DECODER_ID, NEURAL_SCALE
from artdesk.actions.zentangle import builtin_tangle
from artdesk.document import commands as cmds
from artdesk.document.model import VectorLayer
from artdesk.engines.progress import run_to_end
from artdesk.engines.strings import DEFAULT_PATTERNS, parse_palette
from artdesk.engines.tangles import TANGLES, find
from artdesk.engines.zentangle import FillSettings, ShapeNotFound
from artdesk import PRINT_SIZE
from artdesk.export.targets import PREVIEW_SIZE
from artdesk.ui.gallery import pattern_label
from artdesk.ui.widgets import ComboBox, Slider, SpinBox, run_shortcut

log = logging.getLogger("artdesk.zentangle")
# Strings' palette presets (ink colours per section): none (the ink), deep, bright, Bauhaus primaries
PALETTES = ["", "#1b4f72, #922b21, #117a65, #7d3c98, #b9770e",
            "#e4467c, #7b4fc9, #2f8fd8, #17a589, #f39c12", "#d62828, #1d3557, #f4a300, #111111", "picture"]
PICTURE_PALETTE = "picture"  # Palette: each section in the followed picture's colour

PATTERN_MAX_PIXELS = 4096 * 4096
MODE_KEY = "zentangle/mode"  # the fill mode chosen last session; Strings when none


def neural_installed() -> bool:
    """The neural fill is offered once its trained model is installed (models/manifest.json)."""
    from artdesk.runtime.models import ModelError, load_manifest

    try:
        return DECODER_ID in load_manifest()
    except ModelError:
        return False


class ZentangleTab(QWidget):
    def __init__(self, desk):
        super().__init__()
        self.desk = desk
        self.pattern_path: str | None = None
        self.last: tuple[FillRequest, str] | None = None  # the last fill and its layer id
        self._before_preview: tuple[FillRequest, str] | None = None  # self.last before the preview
        self._pending = None  # (undo index, layer id) of the preview the running job will replace
        self.job = None
        self.ink = QColor("#000000")

        self.pattern_icon = QLabel()
        self.pattern_icon.setFixedSize(56, 56)
        self.pattern_icon.setScaledContents(True)
        self.pattern_name = QLabel("Pick a pattern in the gallery")
        self.pattern_name.setWordWrap(True)
        head = QHBoxLayout()
        head.addWidget(self.pattern_icon)
        head.addWidget(self.pattern_name, 1)

        self.mode = ComboBox()
        self.mode.addItem("Strings — sections of different tangles", "strings")
        self.mode.addItem("Tile — repeat the pattern", "tile")
        if neural_installed():
            self.mode.addItem("Neural — style transfer", "neural")
        self.mode.setToolTip("How the shape is filled")
        self.strength = Slider(Qt.Horizontal)
        self.strength.setRange(0, 100)
        self.strength.setValue(100)
        self.strength.setToolTip("Neural fill: 0 keeps the shape's own look, 100 is all pattern")
        self.detail = ComboBox()
        self.detail.addItem("Fast (paints at 100 dpi)", "fast")
        self.detail.addItem("Standard (150 dpi)", "standard")
        self.detail.addItem("Full (300 dpi, slowest)", "full")
        self.detail.setCurrentIndex(1)
        self.detail.setToolTip("Neural fill: the resolution the network paints at. The outline is "
                               "sharp at every setting; Full draws the finest texture and takes "
                               "about four times as long as Standard.")
        self.content = ComboBox()
        self.content.addItem("The pattern, redrawn", "pattern")
        self.content.addItem("The plain shape, free texture", "shape")
        self.content.setToolTip("Neural fill: the network redraws the repeated pattern in its own hand, "
                                "or grows a free texture in the pattern's strokes from the plain shape")
        self.tangles = QLineEdit(", ".join(TANGLES[k].display_name for k in DEFAULT_PATTERNS))
        self.tangles.setCursorPosition(0)  # show the list from its start
        self.tangles.setToolTip("Strings: the tangles the sections are filled with, besides the dropped "
                                "pattern: built-in tangles or pictures of the gallery, by name, comma-separated")
        self.strings = SpinBox()
        self.strings.setRange(0, 8)
        self.strings.setValue(4)
        self.strings.setToolTip("Strings: how many curves divide the shape into sections")
        self.string_source = ComboBox()
        self.string_source.addItem("Generated curves", "curves")
        self.string_source.addItem("My strokes (the active layer)", "layer")
        self.string_source.setToolTip("Strings: seeded curves, or your own strokes: draw lines across the "
                                      "shape on a layer of their own, keep it active and drop the pattern; "
                                      "each part between them gets its own tangle")
        self.string_source.currentIndexChanged.connect(
            lambda _: self.strings.setEnabled(self.mode.currentData() == "strings"
                                              and self.string_source.currentData() == "curves"))
        self.follow = ComboBox()
        self.follow.addItem("Nothing", "")
        self.follow.addItem("The picture beneath the shape", "beneath")
        self.follow.addItem("The selected layer", "layer")
        self.follow.setToolTip("Strings and Neural: follow a picture (an imported photo or drawing, a placed "
                               "portrait, your doodle's strokes). Strings: the sections are the picture's tone "
                               "levels, dark ones filled with dense dark tangles, light ones sparse or left as "
                               "paper; Neural: the picture is what the network redraws in the pattern's style")
        self.follow.currentIndexChanged.connect(lambda _: self._mode_changed())
        self.palette = ComboBox()
        self.palette.setEditable(True)  # a preset, or your own colours typed as #rrggbb, ...
        # as narrow as a line edit: the presets' long text must not widen the whole panel
        self.palette.setSizeAdjustPolicy(ComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.palette.setMinimumContentsLength(12)
        for colours in PALETTES:
            self.palette.addItem(colours)
        self.palette.lineEdit().setPlaceholderText("Ink only, or #rrggbb, #rrggbb, ...")
        self.palette.setToolTip("Strings: an ink colour per section (empty: all in the ink colour; “picture”: "
                                "with Follow, each section in the picture's colour there); "
                                "coloured patterns keep their own colours")
        self.mode.setCurrentIndex(max(0, self.mode.findData(desk.settings.value(MODE_KEY, "strings"))))
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.mode.currentIndexChanged.connect(lambda _: desk.settings.setValue(MODE_KEY, self.mode.currentData()))
        self._mode_changed()
        self.scale = Slider(Qt.Horizontal)
        self.scale.setRange(25, 400)
        self.scale.setValue(100)
        self.scale.setToolTip(f"The pattern's size on the page. In Neural mode the same value draws it "
                              f"{NEURAL_SCALE:g}x as large as in Tile mode: the network needs room to redraw a motif")
        self.scale_label = QLabel("100%")
        self.scale.valueChanged.connect(lambda v: self.scale_label.setText(f"{v}%"))
        scale_row = QHBoxLayout()
        scale_row.addWidget(self.scale, 1)
        scale_row.addWidget(self.scale_label)
        self.rotation = SpinBox()
        self.rotation.setRange(0, 359)
        self.rotation.setSuffix("°")
        self.seed = SpinBox()
        self.seed.setRange(0, 2_000_000_000)
        self.seed.setToolTip("Moves the pattern within the shape; the same seed gives the same fill")
        new_seed = QPushButton("New")
        new_seed.clicked.connect(lambda: self.seed.setValue((self.seed.value() * 7919 + 13) % 1_000_003))
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(new_seed)
        self.ink_button = QPushButton("Ink")
        self.ink_button.setToolTip("The colour of the pattern's lines")
        self.ink_button.clicked.connect(self._choose_ink)
        self._update_ink_icon()

        form = QFormLayout()
        form.addRow("Mode", self.mode)
        form.addRow("Tangles", self.tangles)
        strings_row = QHBoxLayout()
        strings_row.addWidget(self.string_source, 1)
        strings_row.addWidget(self.strings)
        form.addRow("Strings", strings_row)
        form.addRow("Follow", self.follow)
        form.addRow("Palette", self.palette)
        form.addRow("Strength", self.strength)
        form.addRow("Start from", self.content)
        form.addRow("Detail", self.detail)
        form.addRow("Scale", scale_row)
        form.addRow("Rotation", self.rotation)
        form.addRow("Seed", seed_row)
        form.addRow("Colour", self.ink_button)

        self.restyle_button = QPushButton("Restyle")
        self.restyle_button.setToolTip("Fill the last shape again with these settings (Ctrl+Return)")
        self.restyle_button.setEnabled(False)
        self.restyle_button.clicked.connect(self.restyle)
        run_shortcut(self, self.restyle)
        self.hint = QLabel("Drag a pattern from the gallery onto a closed shape of your doodle, an "
                           "imported silhouette or a layer. A preview shows at once, then the shape "
                           "fills at print size; its outline stays sharp and the outside stays "
                           "transparent.")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: palette(mid);")

        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addLayout(form)
        layout.addWidget(self.restyle_button)
        layout.addWidget(self.hint)
        layout.addStretch(1)
        desk.gallery.list.currentItemChanged.connect(self._gallery_pick)

    # -- settings -------------------------------------------------------------------------
    def settings(self) -> FillSettings:
        """The fill settings; ValueError with a sentence for a tangle or colour it cannot read."""
        ink = self.ink
        names = [n.strip() for n in self.tangles.text().split(",") if n.strip()]
        keys = [self._tangle_or_gallery_image(name) for name in names] if self.mode.currentData() == "strings" else []
        string_layer = ""
        follow, follow_layer, follow_name = self.follow.currentData() or "", "", ""
        if self.mode.currentData() not in ("strings", "neural"):
            follow = ""
        if follow == "layer":
            chosen = self.desk.active_layer()
            if chosen is None or (isinstance(chosen, VectorLayer) and not chosen.strokes):
                raise ValueError("“Follow: the selected layer” follows the active layer: select the picture "
                                 "(or the drawing) under Layers, or choose “the picture beneath the shape”.")
            follow_layer, follow_name = chosen.id, chosen.name
        if self.mode.currentData() == "strings" and self.string_source.currentData() == "layer" and not follow:
            layer = self.desk.active_layer()
            if not isinstance(layer, VectorLayer) or not layer.strokes:
                raise ValueError("“My strokes” takes the strings from the active layer: select the layer "
                                 "you drew the strings on (under Layers), or choose generated curves.")
            string_layer = layer.id
        picture_colours = self.palette.currentText().strip().lower() == PICTURE_PALETTE
        if picture_colours and not follow:
            raise ValueError("The “picture” palette takes its colours from the picture the fill follows: "
                             "choose a picture under Follow, or another palette.")
        palette = () if picture_colours else tuple(parse_palette(self.palette.currentText()))
        return FillSettings(mode=self.mode.currentData(), scale=self.scale.value() / 100,
                            rotation=float(self.rotation.value()), seed=self.seed.value(),
                            ink=None if ink == QColor("#000000") else (ink.red(), ink.green(), ink.blue()),
                            strength=self.strength.value() / 100, detail=self.detail.currentData(),
                            content=self.content.currentData(), patterns=tuple(keys), pattern_names=tuple(names),
                            strings=self.strings.value(), palette=palette, picture_colours=picture_colours,
                            string_layer=string_layer, follow=follow, follow_layer=follow_layer,
                            follow_name=follow_name)

    def _tangle_or_gallery_image(self, name: str):
        """A Tangles entry: a built-in tangle's key, or the picture of the gallery item of that name
        (your own images); ValueError with a sentence for people otherwise."""
        key = find(name)
        if key is not None:
            return key
        gallery = self.desk.gallery.list
        for i in range(gallery.count()):
            path = gallery.item(i).data(Qt.UserRole)
            if pattern_label(path).casefold() == name.casefold():
                try:
                    return read_image(path, max_pixels=PATTERN_MAX_PIXELS)
                except ImportFailed as exc:
                    raise ValueError(str(exc)) from exc
        raise ValueError(f"“{name}” is neither a built-in tangle nor a picture in the gallery; built-in: "
                         f"{', '.join(t.display_name for t in TANGLES.values())}.")

    def _mode_changed(self) -> None:
        neural = self.mode.currentData() == "neural"
        for w in (self.strength, self.detail, self.content):
            w.setEnabled(neural)
        strings = self.mode.currentData() == "strings"
        following = bool(self.follow.currentData()) and (strings or neural)
        self.follow.setEnabled(strings or neural)
        for w in (self.tangles, self.palette):
            w.setEnabled(strings)
        self.string_source.setEnabled(strings and not following)
        self.strings.setEnabled(strings and not following and self.string_source.currentData() == "curves")

    def _choose_ink(self) -> None:
        color = QColorDialog.getColor(self.ink, self, "Pattern colour")
        if color.isValid():
            self.ink = color
            self._update_ink_icon()

    def _update_ink_icon(self) -> None:
        pixmap = QPixmap(14, 14)
        pixmap.fill(self.ink)
        self.ink_button.setIcon(QIcon(pixmap))

    def _gallery_pick(self, item, _previous=None) -> None:
        if item is not None:
            self.set_pattern(item.data(Qt.UserRole))

    def set_pattern(self, path: str) -> None:
        self.pattern_path = path
        self.pattern_name.setText(pattern_label(path))
        try:  # decoded under the image policy, as the gallery does (never QPixmap(path) on a user file)
            from artdesk.export.render import numpy_to_qimage

            self.pattern_icon.setPixmap(QPixmap.fromImage(numpy_to_qimage(read_image(path))))
        except ImportFailed:
            self.pattern_icon.clear()

    # -- filling --------------------------------------------------------------------------
    def fill_at_drop(self, path: str, x: float, y: float) -> None:
        self.set_pattern(path)
        self._run(FillRequest(path, x, y))

    def restyle(self) -> None:
        if self.last is None:
            return
        request, _ = self.last
        if self.pattern_path:
            request = FillRequest(self.pattern_path, request.x, request.y, request.use_offered)
        self._run(request, replace=True)

    def _run(self, request: FillRequest, replace: bool = False) -> None:
        try:
            pattern = read_image(request.pattern_path, max_pixels=PATTERN_MAX_PIXELS)
        except ImportFailed as exc:
            self.desk.show_error("Cannot use this pattern", str(exc))
            return
        try:
            settings = self.settings()
        except ValueError as exc:
            self.desk.show_error("Cannot fill with these settings", str(exc))
            return
        if self.job is not None and not self.job.done:
            self.job.cancel()
            if self._pending is not None:
                self._drop_preview(self._pending)
        from artdesk.document.snapshot import snapshot

        if settings.mode == "strings":
            pattern = builtin_tangle(request.pattern_path) or pattern
        doc = snapshot(self.desk.document)
        try:
            preview = self._preview(doc, pattern, request, settings)
        except Exception as exc:  # a failing engine must never take the app down (as on the runner)
            from artdesk.ui.jobs import error_message

            log.exception("zentangle preview failed")
            self.desk.show_error("Zentangle fill failed", error_message(exc))
            return
        if isinstance(preview, ShapeNotFound):
            self._explain(preview, request)
            return
        self._apply(preview, request, settings, replace)
        mark = self._pending = (self.desk.undo_stack.index(), self.last[1])
        near = preview.rect if preview.source == "region" else None  # a doodle region: look only there
        self.job = self.desk.run_job("Zentangle fill", fill_job, doc, pattern, request, settings, PRINT_SIZE, near,
                                     on_result=lambda r: self._refined(r, request, settings, replace, mark),
                                     on_cancelled=lambda: self._drop_preview(mark),
                                     on_error=lambda *_: self._drop_preview(mark))

    def _preview(self, doc, pattern, request: FillRequest, settings: FillSettings):
        """The fill at PREVIEW_SIZE, made on the spot (Neural previews as the crisp tile)."""
        from dataclasses import replace as with_changes

        quick = with_changes(settings, mode="tile") if settings.mode == "neural" else settings
        return run_to_end(fill_job(doc, pattern, request, quick, size=PREVIEW_SIZE))

    def _preview_on_top(self, mark) -> bool:
        index, layer_id = mark
        return (self.desk.undo_stack.index() == index
                and any(l.id == layer_id for l in self.desk.document.layers))

    def _drop_preview(self, mark) -> None:
        """The print-size fill did not come: take its preview away (when nothing came after it)."""
        if self._preview_on_top(mark):
            self.desk.undo_stack.undo()
            self.last = self._before_preview
            self.restyle_button.setEnabled(self.last is not None)

    def _refined(self, result, request: FillRequest, settings: FillSettings, replace: bool, mark) -> None:
        """The print-size fill replaces its preview: as the same undo step when nothing came after
        the preview, else as a step of its own."""
        if isinstance(result, ShapeNotFound):  # the document changed under the preview
            self._drop_preview(mark)
            self._explain(result, request)
            return
        if self._preview_on_top(mark):
            self.desk.undo_stack.undo()
            self.last = self._before_preview
            self._apply(result, request, settings, replace)
        elif any(l.id == mark[1] for l in self.desk.document.layers):
            self.desk.push(cmds.SetRasterPixels(mark[1], result.pixels, result.rect, text="Fill at print size"))

    def _apply(self, result, request: FillRequest, settings: FillSettings, replace: bool) -> None:
        self._before_preview = self.last
        old_id = self.last[1] if (replace and self.last) else None
        placed = actions.place_fill(self.desk.document, result, request, settings,
                                    pattern_label(request.pattern_path), old_id)
        self.desk.apply(placed.applied)
        self.last = (request, placed.layer_id)
        self.restyle_button.setEnabled(True)
        self.desk.status(f"{result.message} {' '.join(placed.notes)}".strip(), 8000)

    def _below_the_doodle(self) -> int | None:
        return actions.below_the_doodle(self.desk.document)

    def _explain(self, missing: ShapeNotFound, request: FillRequest) -> None:
        result = missing.result
        if result.status == "open" and result.offered is not None and not request.use_offered:
            answer = self.ask_use_outline(result.message)
            if answer:
                self._run(FillRequest(request.pattern_path, request.x, request.y, True))
            return
        self.desk.show_warning("Nothing to fill here", result.message)

    def ask_use_outline(self, message: str) -> bool:
        return QMessageBox.question(self, "The doodle is open",
                                    f"{message}\n\nFill the outline around the doodle instead?",
                                    QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes) == QMessageBox.Yes
