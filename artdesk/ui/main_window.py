"""The main window: canvas, docks (gallery, generation, layers), menus, undo, files, jobs."""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QColor, QDesktopServices, QKeySequence, QUndoStack
from PySide6.QtWidgets import (QCheckBox, QColorDialog, QComboBox, QDialog, QDialogButtonBox,
                               QDockWidget, QFileDialog, QFormLayout, QLabel, QMainWindow,
                               QMessageBox, QProgressBar, QPushButton, QSpinBox, QStackedWidget,
                               QToolBar)

from artdesk import __version__, recovery
from artdesk.atomic import remove_orphans
from artdesk.document import commands as cmds
from artdesk.document.imports import import_file
from artdesk.document.model import Document, RasterLayer, VectorLayer
from artdesk.document.project import EXTENSION, load_project, save_project
from artdesk.document.snapshot import snapshot
from artdesk.errors import ArtDeskError
from artdesk.export import png as png_export
from artdesk.export.formats import dialog_entries, export_job
from artdesk.paths import recovery_dir, user_data_dir, user_log_dir
from artdesk.runtime import models as runtime
from artdesk.ui import printing, welcome
from artdesk.ui.app import app_icon
from artdesk.ui.canvas import CanvasView
from artdesk.ui.gallery import StyleGallery
from artdesk.ui.jobs import JobRunner
from artdesk.ui.layers import LayersPanel
from artdesk.ui.panel import GenerationPanel
from artdesk.ui.undo import DocumentCommand

log = logging.getLogger("artdesk.window")

AUTOSAVE_MS = 30_000
FIRST_AUTOSAVE_MS = 3_000  # the first change of a document is saved for recovery this soon
PROJECT_FILTER = f"ArtDesk project (*{EXTENSION})"
IMPORT_FILTER = "Images and drawings (*.png *.jpg *.jpeg *.ndjson *.npz);;All files (*)"
EXPORT_FORMATS = dialog_entries()  # (key, label, suffix): the export dialog's choices




class ExportDialog(QDialog):
    def __init__(self, parent=None, fmt: str = "png:tshirt", dtg: bool = False, trim: bool = False,
                 lpi: int = 45, warning: str = ""):
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.format = QComboBox()
        for key, label, _ in EXPORT_FORMATS:
            self.format.addItem(label, key)
        self.format.setCurrentIndex(max(0, self.format.findData(fmt)))
        self.dtg = QCheckBox("DTG-safe: no semi-transparent pixels (a halftone dot screen instead)")
        self.dtg.setChecked(dtg)
        self.lpi = QSpinBox()
        self.lpi.setRange(10, 150)
        self.lpi.setSuffix(" lines per inch")
        self.lpi.setValue(int(lpi))
        self.lpi.setToolTip("The halftone's dot screen: fewer lines, bigger dots (DTG printers like 35–55)")
        self.trim = QCheckBox("Trim to the design (cut the transparent margin)")
        self.trim.setChecked(trim)
        self.warning = QLabel(warning)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b35c00")
        self.format.currentIndexChanged.connect(self._sync)
        self.dtg.toggled.connect(self._sync)
        form = QFormLayout(self)
        form.addRow("Format", self.format)
        form.addRow("", self.dtg)
        form.addRow("Halftone", self.lpi)
        form.addRow("", self.trim)
        form.addRow("", self.warning)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._sync()

    def _sync(self) -> None:
        png = str(self.format.currentData()).startswith("png:")
        for widget in (self.dtg, self.trim):
            widget.setEnabled(png)
        self.lpi.setEnabled(png and self.dtg.isChecked())
        self.warning.setVisible(png and not self.dtg.isChecked() and bool(self.warning.text()))


def default_settings() -> QSettings:
    """The app's settings: the platform's usual place, or settings.ini in ARTDESK_USER_DATA when that
    is set, so a separate profile (a test run, a second user data folder) also has its own settings,
    first-run flag included."""
    if os.environ.get("ARTDESK_USER_DATA"):
        return QSettings(str(user_data_dir() / "settings.ini"), QSettings.IniFormat)
    return QSettings("ArtDesk", "ArtDesk")


class MainWindow(QMainWindow):
    documentReplaced = Signal(object)
    jobFailed = Signal(str)

    def __init__(self, settings: QSettings | None = None):
        super().__init__()
        self.settings = settings or default_settings()
        runtime.set_force_cpu(self.setting_bool("force_cpu", False))
        self.document: Document = Document.blank()
        self.path: Path | None = None
        self.undo_stack = QUndoStack(self)
        self.jobs = JobRunner(self)
        self.recovery_session = recovery.Session(recovery_dir())
        self.recovery_path = self.recovery_session.copy_path
        self._autosaved_index = 0
        self.first_autosave_timer = QTimer(self)
        self.first_autosave_timer.setSingleShot(True)
        self.first_autosave_timer.setInterval(FIRST_AUTOSAVE_MS)
        self.first_autosave_timer.timeout.connect(self.autosave)
        self.last_export = None
        self.last_drawn_layer_id: str | None = None

        self.canvas = CanvasView()
        self.setCentralWidget(self.canvas)
        self.layers = LayersPanel()
        self.gallery = StyleGallery()
        self.panel = GenerationPanel(self)
        self._docks()
        self._status_bar()
        self._actions()
        self._connect()
        printing.install(self)
        self.set_document(self.document, None)

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        self.setWindowIcon(app_icon())
        self.resize(1280, 860)

    # -- construction ---------------------------------------------------------------------
    def setting_bool(self, key: str, default: bool) -> bool:
        """A yes/no setting (an ini file gives back the strings "true" and "false")."""
        value = self.settings.value(key, default)
        return value in (True, "true", "1", 1)

    def _docks(self) -> None:
        for title, widget, area, name in (
            ("Style gallery", self.gallery, Qt.LeftDockWidgetArea, "galleryDock"),
            ("Generate", self.panel, Qt.RightDockWidgetArea, "generateDock"),
            ("Layers", self.layers, Qt.RightDockWidgetArea, "layersDock"),
        ):
            dock = QDockWidget(title, self)
            dock.setObjectName(name)
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            setattr(self, name, dock)
        self.resizeDocks([self.galleryDock, self.generateDock], [220, 330], Qt.Horizontal)
        self.resizeDocks([self.generateDock, self.layersDock], [520, 260], Qt.Vertical)

    def _status_bar(self) -> None:
        bar = self.statusBar()
        self.job_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running job (Esc)")
        self.cancel_button.clicked.connect(self.jobs.cancel_all)
        self.zoom_label = QLabel("100%")
        for w in (self.job_label, self.progress, self.cancel_button):
            bar.addPermanentWidget(w)
            w.setVisible(False)
        bar.addPermanentWidget(self.zoom_label)

    def _action(self, text, slot, shortcut=None, tip=None, checkable=False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        return action

    def _actions(self) -> None:
        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        self.act = {}
        a = self.act
        a["new"] = self._action("&New", self.new_document, QKeySequence.New)
        a["open"] = self._action("&Open…", self.open_dialog, QKeySequence.Open)
        a["save"] = self._action("&Save", self.save, QKeySequence.Save)
        a["save_as"] = self._action("Save &As…", self.save_as, QKeySequence("Ctrl+Shift+S"))
        a["import"] = self._action("&Import…", self.import_dialog, QKeySequence("Ctrl+I"),
                                   "Add a PNG/JPEG image or a Quick, Draw!/sketch-rnn drawing as a layer")
        a["export"] = self._action("&Export…", self.export_dialog, QKeySequence("Ctrl+E"))
        a["quit"] = self._action("&Quit", self.close, QKeySequence.Quit)
        file_menu.addAction(a["new"])
        file_menu.addAction(a["open"])
        self.samples_menu = file_menu.addMenu("Open sa&mple")
        for name, label in welcome.SAMPLES:
            a[f"sample_{name}"] = self._action(label, lambda _=False, n=name: welcome.open_sample(self, n))
            self.samples_menu.addAction(a[f"sample_{name}"])
        file_menu.addAction(a["save"])
        file_menu.addAction(a["save_as"])
        file_menu.addSeparator()
        file_menu.addAction(a["import"])
        for tab in self.panel.tabs.values():  # engines may add their own imports (a doodle model)
            for action in getattr(tab, "file_actions", list)():
                file_menu.addAction(action)
        file_menu.addAction(a["export"])
        self.file_menu = file_menu
        file_menu.addSeparator()
        file_menu.addAction(a["quit"])

        edit = mb.addMenu("&Edit")
        a["undo"] = self._action("&Undo", self.undo_stack.undo, QKeySequence.Undo)
        a["redo"] = self._action("&Redo", self.undo_stack.redo, QKeySequence("Ctrl+Shift+Z"))
        a["redo"].setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        a["undo"].setEnabled(False)
        a["redo"].setEnabled(False)
        self.undo_stack.canUndoChanged.connect(a["undo"].setEnabled)
        self.undo_stack.canRedoChanged.connect(a["redo"].setEnabled)
        self.undo_stack.undoTextChanged.connect(lambda t: a["undo"].setStatusTip(f"Undo {t}"))
        self.undo_stack.redoTextChanged.connect(lambda t: a["redo"].setStatusTip(f"Redo {t}"))
        a["clear"] = self._action("C&lear layer", self.clear_layer, QKeySequence("Ctrl+Shift+Delete"))
        self._tool_actions()
        a["transform"] = self._action("Free &transform", self.free_transform, QKeySequence("Ctrl+T"),
                                      "Handles on the active layer (or the selection): move, scale, rotate, flip")
        self._compose_actions()
        a["color"] = self._action("Brush &colour…", self.choose_color, QKeySequence("C"))
        a["bigger"] = self._action("Bigger brush", lambda: self.size_box.setValue(self.size_box.value() + 2), QKeySequence("]"))
        a["smaller"] = self._action("Smaller brush", lambda: self.size_box.setValue(self.size_box.value() - 2), QKeySequence("["))
        a["force_cpu"] = self._action("Force &CPU for models", self.toggle_force_cpu, checkable=True)
        a["force_cpu"].setChecked(runtime.force_cpu())
        for key in ("undo", "redo", None, "cut", "copy", "paste", "delete_selection", "select_all", "deselect",
                    None, "duplicate_layer", "merge_down", "flip_h", "flip_v", None, *self.tool_keys, "transform", "color", "bigger", "smaller", None, "clear", None, "force_cpu"):
            edit.addSeparator() if key is None else edit.addAction(a[key])

        view = mb.addMenu("&View")
        a["zoom_in"] = self._action("Zoom &in", self.canvas.zoom_in, QKeySequence.ZoomIn)
        a["zoom_out"] = self._action("Zoom &out", self.canvas.zoom_out, QKeySequence.ZoomOut)
        a["zoom_fit"] = self._action("&Fit to window", self.canvas.fit_to_window, QKeySequence("Ctrl+0"))
        a["zoom_100"] = self._action("&Actual size", self.canvas.zoom_actual, QKeySequence("Ctrl+1"))
        for key in ("zoom_in", "zoom_out", "zoom_fit", "zoom_100"):
            view.addAction(a[key])
        view.addSeparator()
        for dock in (self.galleryDock, self.generateDock, self.layersDock):
            view.addAction(dock.toggleViewAction())

        help_menu = mb.addMenu("&Help")
        a["welcome"] = self._action("&Welcome guide", lambda: welcome.show_welcome(self),
                                    tip="Open the welcome canvas with the four-step guide again")
        a["log"] = self._action("Show &log", self.show_log)
        a["about"] = self._action("&About ArtDesk", self.about)
        help_menu.addAction(a["welcome"])
        help_menu.addAction(a["log"])
        help_menu.addAction(a["about"])

        a["cancel_job"] = self._action("Cancel job", self.escape, QKeySequence("Esc"))
        a["cancel_job"].setShortcutContext(Qt.WindowShortcut)
        self.addAction(a["cancel_job"])

        style = self.style()
        for key, icon in (("new", "SP_FileIcon"), ("open", "SP_DialogOpenButton"), ("save", "SP_DialogSaveButton"),
                          ("export", "SP_DriveFDIcon"), ("undo", "SP_ArrowBack"), ("redo", "SP_ArrowForward")):
            a[key].setIcon(style.standardIcon(getattr(style.StandardPixmap, icon)))
        tools = QToolBar("Tools")
        tools.setObjectName("toolsBar")
        tools.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.addToolBar(tools)
        for key in ("new", "open", "save", "export", None, "undo", "redo", None, "color"):
            tools.addSeparator() if key is None else tools.addAction(a[key])
        # the canvas tools in a toolbox down the left edge, as in Krita or Photoshop: a dozen of
        # them no longer push the colour and size off the top bar
        self.toolbox = QToolBar("Toolbox")
        self.toolbox.setObjectName("toolboxBar")
        self.toolbox.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.addToolBar(Qt.LeftToolBarArea, self.toolbox)
        for key in self.tool_keys:
            self.toolbox.addAction(a[key])
        tools.addWidget(QLabel(" Size "))
        self.size_box = QSpinBox()
        self.size_box.setRange(1, 120)
        self.size_box.setValue(int(self.settings.value("brush_size", 6)))
        self.size_box.valueChanged.connect(self._size_changed)
        tools.addWidget(self.size_box)
        color = QColor(str(self.settings.value("brush_color", "#1d1d1f")))
        self.canvas.brush_color = color if color.isValid() else QColor("#1d1d1f")
        self.canvas.brush_size = self.size_box.value()
        self.addToolBarBreak()
        self.options_bar = QToolBar("Tool options")
        self.options_bar.setObjectName("toolOptionsBar")
        self.options_stack = QStackedWidget()
        blank = QLabel("")
        blank.setMinimumHeight(QSpinBox().sizeHint().height())  # the bar keeps its height: no canvas jump
        self.options_stack.addWidget(blank)
        self.options_bar.addWidget(self.options_stack)
        self.addToolBar(self.options_bar)
        self.set_tool("brush")
        self._update_color_icon()

    def _tool_actions(self) -> None:
        """One checkable action per registered tool (artdesk/ui/tools), in one exclusive group."""
        from PySide6.QtGui import QActionGroup, QIcon

        from artdesk.paths import resources_dir
        from artdesk.ui.tools import TOOLS

        self.tool_group = QActionGroup(self)
        self.tool_keys = []
        style = self.style()
        for name, cls in TOOLS.items():
            action = self._action(cls.label, lambda _=False, n=name: self.set_tool(n),
                                  QKeySequence(cls.shortcut) if cls.shortcut else None, cls.tip, checkable=True)
            if cls.icon and hasattr(style.StandardPixmap, cls.icon):
                action.setIcon(style.standardIcon(getattr(style.StandardPixmap, cls.icon)))
            elif cls.icon and (resources_dir() / "icons" / cls.icon).is_file():
                action.setIcon(QIcon(str(resources_dir() / "icons" / cls.icon)))
            self.tool_group.addAction(action)
            self.act[name] = action
            self.tool_keys.append(name)

    def _compose_actions(self) -> None:
        """Selection, clipboard and layer actions (artdesk/ui/compose.py)."""
        from artdesk.ui.compose import Compose

        self.compose = c = Compose(self)
        for key, text, slot, keys, tip in (
            ("copy", "&Copy", c.copy, QKeySequence.Copy, "Copy the selection (or the active layer), also as an image"),
            ("cut", "Cu&t", c.cut, QKeySequence.Cut, "Copy the selection (or the active layer) and remove it"),
            ("paste", "&Paste", c.paste, QKeySequence.Paste, "Paste onto a new layer, with handles to place it"),
            ("delete_selection", "&Delete selection", c.delete_selection, QKeySequence.Delete, None),
            ("select_all", "Select &all", c.select_all, QKeySequence.SelectAll,
             "Select everything on the active layer"),
            ("deselect", "Dese&lect", c.deselect, QKeySequence("Ctrl+Shift+A"), None),
            ("duplicate_layer", "Duplicate layer / selection to layer", c.duplicate, QKeySequence("Ctrl+J"),
             "A copy of the active layer, or of the selection, on a new layer"),
            ("merge_down", "&Merge down", c.merge_down, QKeySequence("Ctrl+Shift+E"),
             "Merge the active layer into the one below it"),
            ("flip_h", "Flip &horizontally", lambda: c.flip(True), None,
             "Mirror the layer (or selection) left to right"),
            ("flip_v", "Flip &vertically", lambda: c.flip(False), None,
             "Mirror the layer (or selection) top to bottom"),
        ):
            self.act[key] = self._action(text, slot, keys, tip)
        self.act["deselect"].setShortcuts([QKeySequence("Ctrl+Shift+A"), QKeySequence("Ctrl+D")])  # GIMP, Photoshop

    def _connect(self) -> None:
        self.canvas.contextMenuRequested.connect(lambda pos, _pt: self.compose.canvas_menu().popup(pos))
        self.layers.list.setContextMenuPolicy(Qt.CustomContextMenu)
        self.layers.list.customContextMenuRequested.connect(
            lambda pos: self.compose.layer_menu().popup(self.layers.list.viewport().mapToGlobal(pos)))
        self.canvas.commandRequested.connect(self.push)
        self.canvas.layerPicked.connect(self.layers.select)
        self.canvas.strokeFinished.connect(self.add_stroke)
        self.canvas.eraseFinished.connect(self.erase_strokes)
        self.canvas.filesDropped.connect(self.import_files)
        self.canvas.patternDropped.connect(self.pattern_dropped)
        self.canvas.zoomChanged.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f}%"))
        self.layers.command.connect(self.push)
        self.layers.activeLayerChanged.connect(self._active_layer_changed)
        self.layers.newVectorLayerRequested.connect(self.new_vector_layer)
        self.layers.importRequested.connect(self.import_dialog)
        self.gallery.message.connect(self.statusBar().showMessage)
        self.gallery.error.connect(self.show_error)
        self.undo_stack.cleanChanged.connect(self._update_title)
        self.undo_stack.indexChanged.connect(self._update_title)
        self.undo_stack.indexChanged.connect(self._autosave_soon)
        self.jobs.started.connect(self._job_started)
        self.jobs.ended.connect(self._job_ended)

    # -- document and undo ----------------------------------------------------------------
    def set_document(self, doc: Document, path: Path | None, dirty: bool = False) -> None:
        self.jobs.cancel_all()
        self.undo_stack.clear()
        self.document = doc
        self.path = path
        self.canvas.set_document(doc)
        self.layers.set_document(doc)
        self._active_layer_changed(self.layers.active_id)
        self._force_dirty = dirty  # a recovered or imported drawing has never been saved
        self.undo_stack.setClean()
        self._autosaved_index = -1
        self._autosave_soon()  # an imported or recovered drawing is saved for recovery within seconds
        self._update_title()
        self.documentReplaced.emit(doc)

    def is_dirty(self) -> bool:
        return self._force_dirty or not self.undo_stack.isClean()

    def push(self, command: cmds.Command) -> None:
        self.undo_stack.push(DocumentCommand(self.document, command))

    def status(self, message: str, ms: int = 4000) -> None:
        """A line in the status bar for `ms` milliseconds (what the tabs say when work is done)."""
        self.statusBar().showMessage(message, ms)

    def apply(self, applied) -> None:
        """Push an action's result (actions.Applied) as one undo step and select its layer; a new
        layer to `place` lands where the user looks, with its transform handles showing."""
        placed = self._place_new(applied)
        self.undo_stack.beginMacro(applied.text)
        for command in applied.commands:
            self.push(command)
        self.undo_stack.endMacro()
        if applied.select is not None:
            self.layers.select(applied.select)
        if placed is not None:
            self.show_handles(placed.id)

    def _place_new(self, applied):
        """The layer of `applied.place` (before it is added), placed as place_new_layer does."""
        layer = next((c.layer for c in applied.commands
                      if isinstance(c, cmds.AddLayer) and applied.place is not None and c.layer.id == applied.place),
                     None)
        if layer is not None:
            self._place(layer)
        return layer

    def begin_macro(self, text: str) -> None:
        self.undo_stack.beginMacro(text)

    def end_macro(self) -> None:
        self.undo_stack.endMacro()

    def _update_title(self, *args) -> None:
        name = self.path.name if self.path else self.document.metadata.get("title") or "Untitled"
        self.setWindowTitle(f"{name}[*] — ArtDesk")
        self.setWindowModified(self.is_dirty())

    def _active_layer_changed(self, layer_id) -> None:
        self.canvas.active_layer_id = layer_id
        selection = self.canvas.selection
        if selection is not None and selection.layer_id != layer_id:  # a selection belongs to one layer
            self.canvas.set_selection(None)

    def active_layer(self):
        try:
            return self.document.layer(self.layers.active_id)
        except KeyError:
            return None

    def ensure_vector_layer(self) -> str:
        """The active layer if it is a vector layer, else a new one above it (within the current
        undo macro, if any)."""
        layer = self.active_layer()
        if isinstance(layer, VectorLayer):
            return layer.id
        new = VectorLayer(name=self.document.unique_layer_name("Drawing"))
        self.push(cmds.AddLayer(new))
        self.layers.select(new.id)
        if layer is not None:
            self.statusBar().showMessage(f"'{layer.name}' holds pixels: the strokes went onto a new layer, "
                                         f"'{new.name}'. To move a picture, use the move tool (V).", 6000)
        return new.id

    def add_stroke(self, stroke) -> None:
        text = "Draw shape" if stroke.closed else "Draw stroke"  # as the History panel lists it
        self.undo_stack.beginMacro(text)
        layer_id = self.ensure_vector_layer()
        self.push(cmds.AddStroke(layer_id, stroke, text=text))
        self.undo_stack.endMacro()
        self.last_drawn_layer_id = layer_id  # Continue reads this layer when no other is active

    def erase_strokes(self, strokes: list) -> None:
        layer = self.active_layer()
        if isinstance(layer, VectorLayer):
            strokes = [s for s in strokes if s in layer.strokes]
            if strokes:
                self.push(cmds.RemoveStrokes(layer.id, strokes))

    def clear_layer(self) -> None:
        layer = self.active_layer()
        if isinstance(layer, VectorLayer) and layer.strokes:
            self.push(cmds.RemoveStrokes(layer.id, list(layer.strokes), text="Clear layer"))
        elif isinstance(layer, RasterLayer):
            import numpy as np

            self.push(cmds.SetRasterPixels(layer.id, np.zeros_like(layer.pixels), text="Clear layer"))

    def new_vector_layer(self) -> None:
        layer = VectorLayer(name=self.document.unique_layer_name("Drawing"))
        self.push(cmds.AddLayer(layer))
        self.layers.select(layer.id)

    def add_layer(self, layer, text: str = "Add layer", index: int | None = None) -> None:
        """Add a finished layer (an import or a generated result) as one undo step, on top or
        at `index` in the stack."""
        self.push(cmds.AddLayer(layer, index=index, text=text))
        self.layers.select(layer.id)

    def add_raster_layer(self, pixels, name: str, metadata: dict | None = None, rect=None,
                         resample: str = "smooth", index: int | None = None) -> RasterLayer:
        """Engines' results land here: a new raster layer at `rect`, or, without one, a third of
        the page wide at the view's centre with the transform handles on it."""
        from artdesk.document.placement import free_center, place_rect

        h, w = pixels.shape[:2]
        if rect is None:
            rect = place_rect(w, h, self.document, free_center(w, h, self.document, self.placement_center()))
            handles = True
        else:
            handles = False
        layer = RasterLayer(name=self.document.unique_layer_name(name), pixels=pixels, rect=rect,
                            resample=resample, metadata=metadata or {})
        self.add_layer(layer, text=f"Add {name}", index=index)
        if handles:
            self.show_handles(layer.id)
        return layer

    def place_new_layer(self, layer, text: str, center=None) -> None:
        """A generated or imported layer of its own: a third of the page wide at `center` (the
        click or drop, else near the view's centre where it covers nothing), on the page, selected
        with its handles showing."""
        self._place(layer, center)
        self.add_layer(layer, text=text)
        self.show_handles(layer.id)

    def _place(self, layer, center=None) -> None:
        """Size and put a new layer (not yet in the document) at `center`, or where the view looks
        and it covers nothing (document.placement)."""
        from artdesk.document.placement import content_size, free_center, place_layer

        if center is None:
            center = free_center(*content_size(layer), self.document, self.placement_center())
        place_layer(layer, self.document, center)

    def placement_center(self) -> tuple[float, float]:
        """The view's centre in document units, kept on the page."""
        c = self.canvas.to_document(self.canvas.rect().center().toPointF())
        return (min(max(c.x(), 0.0), self.document.width), min(max(c.y(), 0.0), self.document.height))

    def show_handles(self, layer_id: str) -> None:
        """The move tool with transform handles on the layer, to adjust it at once."""
        from artdesk.ui.tools.transform import Target

        self.set_tool("move")
        self.canvas.current_tool().transform(Target(layer_id))
        self.canvas.setFocus()  # arrows nudge and Enter applies at once

    # -- tools ----------------------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        """Choose a registered tool: check its action, show its options, say how to use it."""
        self.canvas.set_tool(tool)
        self.act[tool].setChecked(True)
        current = self.canvas.current_tool()
        options = current.options_widget()
        if options is not None and self.options_stack.indexOf(options) < 0:
            self.options_stack.addWidget(options)
        self.options_stack.setCurrentWidget(options if options is not None else self.options_stack.widget(0))
        self.statusBar().showMessage(current.tip, 3000)

    def free_transform(self) -> None:
        """Ctrl+T: the move tool with handles on the selection, else on the active layer."""
        from artdesk.ui.tools.transform import Target

        from artdesk.ui.tools.select import lift

        selection = getattr(self.canvas, "selection", None)
        piece = lift(self.canvas, selection) if selection is not None and selection.strokes is None else None
        self.set_tool("move")
        layer = self.active_layer()
        if piece is not None:
            target = Target(piece)
        elif selection is not None and selection.strokes:
            target = Target(selection.layer_id, list(selection.strokes))
        elif layer is not None and not layer.is_empty():
            target = Target(layer.id)
        else:
            self.statusBar().showMessage("Nothing to transform: the active layer is empty.", 4000)
            return
        self.canvas.current_tool().transform(target)
        self.canvas.setFocus()

    def escape(self) -> None:
        """Esc: drop the canvas gesture in progress if there is one, else cancel the running jobs."""
        if self.canvas.busy():
            self.canvas.cancel_gesture()
        else:
            self.jobs.cancel_all()

    def choose_color(self) -> None:
        color = QColorDialog.getColor(self.canvas.brush_color, self, "Brush colour")
        if color.isValid():
            self.set_color(color)

    def set_color(self, color: QColor) -> None:
        self.canvas.brush_color = color
        self.settings.setValue("brush_color", color.name())
        self._update_color_icon()

    def _update_color_icon(self) -> None:
        from PySide6.QtGui import QIcon, QPixmap

        pixmap = QPixmap(16, 16)
        pixmap.fill(self.canvas.brush_color)
        self.act["color"].setIcon(QIcon(pixmap))

    def _size_changed(self, value: int) -> None:
        self.canvas.brush_size = float(value)
        self.settings.setValue("brush_size", value)

    def toggle_force_cpu(self, checked: bool) -> None:
        runtime.set_force_cpu(checked)
        self.settings.setValue("force_cpu", checked)
        self.statusBar().showMessage(f"Models run on: {runtime.provider_description()}", 4000)

    # -- files ----------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """True if it is fine to drop the current document (saved, discarded, or clean)."""
        if not self.is_dirty():
            return True
        answer = self.ask_save_changes()
        if answer == QMessageBox.Save:
            return self.save()
        return answer == QMessageBox.Discard

    def ask_save_changes(self):
        name = self.path.name if self.path else "Untitled"
        return QMessageBox.warning(self, "Unsaved changes", f"Save the changes to {name}?",
                                   QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel,
                                   QMessageBox.Save)

    def new_document(self) -> None:
        if self.maybe_save():
            self.set_document(Document.blank(), None)

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open", self._last_dir(),
                                              f"{PROJECT_FILTER};;Images (*.png *.jpg *.jpeg);;All files (*)")
        if path:
            self.open_path(path)

    def open_path(self, path: str | os.PathLike) -> bool:
        """Open a project (or an image as a new document). On failure the current document stays."""
        path = Path(path)
        if not self.maybe_save():
            return False
        try:
            if path.suffix.lower() == EXTENSION:
                remove_orphans(path.parent, path.name)  # temporaries of a save that was killed
                doc = load_project(path)
                self.set_document(doc, path)
            else:
                doc = Document.blank()
                layer = import_file(path, doc)
                doc.layers.append(layer)
                self.set_document(doc, None, dirty=True)
        except ArtDeskError as exc:  # ProjectFileError, ImportFailed
            self.show_error("Cannot open this file", str(exc))
            return False
        self.settings.setValue("last_dir", str(path.parent))
        printing.remember_recent(self.settings, path)
        self.statusBar().showMessage(f"Opened {path.name}", 4000)
        return True

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self.save_to(self.path)

    def save_as(self) -> bool:
        start = str(self.document_stem_path(EXTENSION))
        path, _ = QFileDialog.getSaveFileName(self, "Save As", start, PROJECT_FILTER)
        if not path:
            return False
        if not path.endswith(EXTENSION):
            path += EXTENSION
        return self.save_to(Path(path))

    def save_to(self, path: Path) -> bool:
        self.canvas.finish_edits()
        try:
            remove_orphans(Path(path).parent, Path(path).name)
            save_project(self.document, path)
        except OSError as exc:
            self.show_error("Could not save", f"Saving to {path} failed: {exc.strerror or exc}. "
                            "Your drawing is still open; try another folder.")
            return False
        self.path = Path(path)
        self._force_dirty = False
        self.undo_stack.setClean()
        self.settings.setValue("last_dir", str(self.path.parent))
        printing.remember_recent(self.settings, self.path)
        self._update_title()
        self.statusBar().showMessage(f"Saved {self.path.name}", 4000)
        return True

    def document_stem_path(self, suffix: str) -> Path:
        """Where a save or export dialog starts: the document's own folder and name (its title,
        for a document never saved), with `suffix`."""
        if self.path is not None:
            return self.path.with_suffix(suffix)
        title = str(self.document.metadata.get("title") or "Untitled")
        stem = "".join(c for c in title if c.isalnum() or c in " -_").strip() or "Untitled"
        return Path(self._last_dir()) / f"{stem}{suffix}"

    def _last_dir(self) -> str:
        return str(self.settings.value("last_dir", str(Path.home())))

    def import_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import", self._last_dir(), IMPORT_FILTER)
        if files:
            self.import_files(files, ask_index=True)

    def import_files(self, paths: list, point=None, ask_index: bool = False) -> None:
        for path in paths:
            if str(path).lower().endswith(EXTENSION):
                self.open_path(path)
                return
            try:
                index = self._ask_drawing_index(path) if ask_index else 0
                if index is None:
                    continue
                layer = import_file(path, self.document, index)
            except ArtDeskError as exc:
                self.show_error("Cannot import this file", str(exc))
                continue
            center = (point.x(), point.y()) if point is not None else None
            self.place_new_layer(layer, f"Import {Path(path).name}", center)

    def _ask_drawing_index(self, path) -> int | None:
        """For a file of many drawings, ask which one (None: the user cancelled)."""
        from PySide6.QtWidgets import QInputDialog

        from artdesk.document.imports import count_drawings

        count = count_drawings(path)
        if count <= 1:
            return 0
        index, ok = QInputDialog.getInt(self, "Import drawing",
                                        f"{Path(path).name} holds {count} drawings. Which one (0–{count - 1})?",
                                        0, 0, count - 1)
        return index if ok else None

    def pattern_dropped(self, path: str, point) -> None:
        """A pattern dropped on the canvas fills the shape under the drop point."""
        found = self.panel.drop_handler()  # the engine registered for drops (artdesk.registry)
        if found is not None:
            tab, handler = found
            self.generateDock.show()
            self.panel.setCurrentWidget(tab)
            handler(path, point.x(), point.y())
        else:
            self.import_files([path], point)

    # -- export ---------------------------------------------------------------------------
    def export_dialog(self) -> None:
        dialog = ExportDialog(self, str(self.settings.value("export_format", "png:tshirt")),
                              self.setting_bool("export_dtg", False), self.setting_bool("export_trim", False),
                              int(self.settings.value("export_lpi", png_export.DEFAULT_LPI)),
                              png_export.semi_transparency_warning(self.document))
        if dialog.exec() != QDialog.Accepted:
            return
        fmt = dialog.format.currentData()
        suffix = next(s for k, _, s in EXPORT_FORMATS if k == fmt)
        path, _ = QFileDialog.getSaveFileName(self, "Export", str(self.document_stem_path(suffix)), f"*{suffix}")
        if path:
            if not path.lower().endswith(suffix):
                path += suffix
            self.settings.setValue("export_format", fmt)
            self.settings.setValue("export_dtg", dialog.dtg.isChecked())
            self.settings.setValue("export_trim", dialog.trim.isChecked())
            self.settings.setValue("export_lpi", dialog.lpi.value())
            self.export_to(path, fmt, dialog.dtg.isChecked(), dialog.trim.isChecked(), dialog.lpi.value())

    def export_to(self, path: str, fmt: str = "png:tshirt", dtg: bool = False, trim: bool | None = None,
                  lpi: float = png_export.DEFAULT_LPI):
        """Export on a worker (a print PNG takes a second or two); the UI stays live."""
        self.canvas.finish_edits()
        return self.run_job(f"Exporting {Path(path).name}", export_job, snapshot(self.document),
                            path, fmt, dtg, trim, lpi, on_result=lambda report: self._exported(path, report))

    def _exported(self, path: str, report) -> None:
        self.last_export = report
        text = f"Exported {Path(path).name}"
        if report is not None and hasattr(report, "bytes"):
            text += f" ({report.width}x{report.height}, {report.bytes / 1024 / 1024:.1f} MB)"
            if report.warnings:
                self.show_warning("Export finished with a warning", "\n".join(report.warnings))
        self.statusBar().showMessage(text, 6000)

    # -- jobs -----------------------------------------------------------------------------
    def run_job(self, title: str, fn, *args, on_result=None, on_progress=None, on_error=None,
                on_cancelled=None, key: str | None = None, **kwargs):
        """Run `fn(*args, **kwargs)` (a function or an engine generator) on a worker. A `key`
        cancels the running job of that key and drops its outcome (ui.jobs)."""
        def failed(message, tb):
            self.show_error(f"{title} failed", message)
            self.jobFailed.emit(message)
            if on_error is not None:
                on_error(message, tb)

        def cancelled():
            self.statusBar().showMessage(f"{title}: cancelled", 4000)
            if on_cancelled is not None:
                on_cancelled()

        def progress(p):
            self.progress.setValue(int(max(0.0, min(1.0, p.fraction)) * 1000))
            if p.message:
                self.job_label.setText(f"{title}: {p.message}")
            if on_progress is not None:
                on_progress(p)

        return self.jobs.start(title, fn, *args, on_result=on_result, on_error=failed,
                               on_progress=progress, on_cancelled=cancelled, key=key, **kwargs)

    def _job_started(self, job) -> None:
        self.job_label.setText(job.title)
        self.progress.setValue(0)
        for w in (self.job_label, self.progress, self.cancel_button):
            w.setVisible(True)

    def _job_ended(self, job) -> None:
        if not self.jobs.running:
            for w in (self.job_label, self.progress, self.cancel_button):
                w.setVisible(False)

    # -- messages -------------------------------------------------------------------------
    def show_error(self, title: str, message: str) -> None:
        """Non-modal, so a failing worker never blocks the app (or a test)."""
        log.warning("%s: %s", title, message)
        self._message_box(QMessageBox.Critical, title, message)

    def show_warning(self, title: str, message: str) -> None:
        log.info("%s: %s", title, message)
        self._message_box(QMessageBox.Warning, title, message)

    def _message_box(self, icon, title: str, message: str) -> None:
        box = QMessageBox(icon, title, message, QMessageBox.Ok, self)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModal)
        box.open()
        self.statusBar().showMessage(f"{title}: {message}", 8000)
        self.last_message = (title, message)

    def show_log(self) -> None:
        path = user_log_dir() / "artdesk.log"
        if not path.exists():
            path.touch()
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.show_warning("Log file", f"The log is at {path}")

    def about_text(self) -> str:
        packages = ", ".join(f"{name} {version}" for name, version in runtime.onnxruntime_packages())
        text = (f"<b>ArtDesk {__version__}</b><br>Doodles, zentangles, portraits and Bauhaus "
                f"pixels, drawn with models trained by the project.<br><br>"
                f"Models run on: <b>{runtime.provider_description()}</b>"
                f"{f' ({packages})' if packages else ''}<br>")
        warning = runtime.package_conflict()
        if warning:
            text += f"<br><b>Note:</b> {warning}<br>"
        return text + f"<br>Log: {user_log_dir() / 'artdesk.log'}"

    def about(self) -> None:
        QMessageBox.about(self, "About ArtDesk", self.about_text())

    # -- autosave and recovery ------------------------------------------------------------
    def _autosave_soon(self, *args) -> None:
        """The first change since the last recovery copy is saved within a few seconds (a crash
        in the first 30 s must not lose it); later ones every AUTOSAVE_MS."""
        if self._autosaved_index == -1 and self.is_dirty() and not self.first_autosave_timer.isActive():
            self.first_autosave_timer.start()

    def autosave(self) -> bool:
        """If anything changed, save a recovery copy (never over the user's file)."""
        if not self.is_dirty() or self.undo_stack.index() == self._autosaved_index:
            return False
        try:
            save_project(self.document, self.recovery_path)
        except OSError as exc:
            log.warning("autosave failed: %s", exc)
            return False
        self._autosaved_index = self.undo_stack.index()
        return True

    def discard_recovery(self) -> None:
        self.recovery_path.unlink(missing_ok=True)

    def closeEvent(self, event) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.jobs.cancel_all()
        self.jobs.wait(2000)
        self.recovery_session.release()
        event.accept()


def find_recovery_files() -> list[Path]:
    """Recovery copies left by sessions that did not end cleanly (not by a running one), newest first."""
    return recovery.crashed_copies(recovery_dir())


def clean_at_start(settings=None) -> int:
    """Orphan temporary files of killed saves: in the recovery folder and the last folder used."""
    count = recovery.clean_at_start(recovery_dir())
    last = settings.value("last_dir", "") if settings is not None else ""
    if last and Path(str(last)).is_dir():
        count += remove_orphans(Path(str(last)))
    return count


def _ask(ask, path: Path):
    """Callers (tests, older code) may pass an `ask` that takes no argument."""
    try:
        return ask(path)
    except TypeError:
        return ask()


def offer_recovery(window: MainWindow, ask=None) -> bool:
    """After a crash, offer back every crashed session's copy, newest first, until one is
    restored. A copy not restored is kept in recovery/kept/ (the user is told where) until the
    user deletes it. Returns True if one was restored."""
    files = find_recovery_files()
    if not files:
        return False

    def ask_user(path: Path) -> bool:
        when = datetime.fromtimestamp(path.stat().st_mtime).strftime("%d %b %Y %H:%M")
        more = f" ({len(files)} drawings were left; this is one of them)" if len(files) > 1 else ""
        return QMessageBox.question(
            window, "Recover your drawing?",
            f"ArtDesk did not close properly. Restore the drawing it saved for you at {when}?{more}\n\n"
            f"If you answer No, the copy is kept in {path.parent / recovery.KEPT} until you delete it.",
            QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes) == QMessageBox.Yes

    ask = ask or ask_user
    restored = False
    kept: list[Path] = []
    for path in files:
        if not restored and _ask(ask, path):
            try:
                window.set_document(load_project(path), None, dirty=True)
                restored = True
                recovery.discard(path)
                continue
            except ArtDeskError as exc:
                window.show_error("Could not recover", f"{exc} The copy is kept in {path.parent / recovery.KEPT}.")
        try:
            kept.append(recovery.keep_aside(path))
        except OSError as exc:
            log.warning("could not keep the recovery copy %s aside: %s", path, exc)
    if kept:
        window.statusBar().showMessage(f"{len(kept)} recovered drawing(s) kept in {kept[0].parent}", 10000)
        log.info("recovery copies kept: %s", ", ".join(str(p) for p in kept))
    if restored:
        window.autosave()
    return restored
