"""The window's print helpers: print-area guides on the canvas, the shirt mockup view, File > Open
recent and the History panel. `install(window)` adds them to a MainWindow."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QFont, QKeySequence, QPen, QPixmap
from PySide6.QtWidgets import (QCheckBox, QColorDialog, QComboBox, QDialog, QDockWidget, QHBoxLayout,
                               QLabel, QMenu, QPushButton, QUndoView, QVBoxLayout)

from artdesk.export.garment import SHIRT_COLOURS, SHIRT_SIZES, print_guides
from artdesk.export.png import PRESETS

RECENT_KEY = "recent_files"
RECENT_MAX = 10
GUIDE_PRESETS = ("tshirt", "printful")


# -- recent files ------------------------------------------------------------------------------
def recent_files(settings) -> list[str]:
    value = settings.value(RECENT_KEY, [])
    if isinstance(value, str):  # an ini file gives back one string for a list of one
        value = [value] if value else []
    return [str(v) for v in (value or [])]


def remember_recent(settings, path) -> None:
    """Put `path` first in the list of recent files (at most RECENT_MAX, no repeats)."""
    path = str(Path(path).resolve())
    files = [path] + [f for f in recent_files(settings) if f != path]
    settings.setValue(RECENT_KEY, files[:RECENT_MAX])


def _fill_recent_menu(window) -> None:
    menu = window.recent_menu
    menu.clear()
    files = recent_files(window.settings)
    for i, path in enumerate(files):
        action = menu.addAction(f"&{(i + 1) % 10} {Path(path).name}")
        action.setStatusTip(path)
        action.triggered.connect(lambda _=False, p=path: open_recent(window, p))
    if files:
        menu.addSeparator()
        menu.addAction("Clear the list", lambda: window.settings.setValue(RECENT_KEY, []))
    else:
        menu.addAction("No recent files").setEnabled(False)


def open_recent(window, path: str) -> bool:
    if not Path(path).is_file():
        window.settings.setValue(RECENT_KEY, [f for f in recent_files(window.settings) if f != path])
        window.show_error("Cannot open this file", f"{path} is no longer there (moved or deleted); "
                          "it has been taken off the recent list.")
        return False
    return window.open_path(path)


# -- print guides -------------------------------------------------------------------------------
class PrintGuidesOverlay:
    """Draws the preset's print area (dashed) and safe margin (dotted) over the canvas; the canvas
    calls it after the document, so the guides never reach a print."""

    def __init__(self, window):
        self.window = window
        self.enabled = window.setting_bool("print_guides", False)
        preset = str(window.settings.value("guide_preset", "tshirt"))
        self.preset = preset if preset in GUIDE_PRESETS else "tshirt"

    def __call__(self, painter, canvas) -> None:
        doc = canvas.document
        if not self.enabled or doc is None:
            return
        guides = print_guides(doc, self.preset)
        painter.save()
        painter.setBrush(Qt.NoBrush)
        area = QPen(QColor(0, 150, 220), 1.5, Qt.DashLine)
        area.setCosmetic(True)
        safe = QPen(QColor(230, 60, 140), 1.2, Qt.DotLine)
        safe.setCosmetic(True)
        painter.setPen(area)
        painter.drawRect(QRectF(*guides.area))
        painter.setPen(safe)
        painter.drawRect(QRectF(*guides.safe))
        transform = painter.transform()
        corner = transform.map(QRectF(*guides.safe).topLeft())
        painter.resetTransform()
        font = QFont(painter.font())
        font.setPointSizeF(8.5)
        painter.setFont(font)
        painter.setPen(QColor(230, 60, 140))
        w_in, h_in = guides.inches
        painter.drawText(corner + type(corner)(4, 12),
                         f"{PRESETS[self.preset].label.split(' ')[0]} {w_in:g} x {h_in:g} in: keep inside (safe)")
        painter.restore()

    def set_enabled(self, on: bool) -> None:
        self.enabled = bool(on)
        self.window.settings.setValue("print_guides", self.enabled)
        self.window.canvas.update()

    def set_preset(self, preset: str) -> None:
        self.preset = preset
        self.window.settings.setValue("guide_preset", preset)
        self.window.canvas.update()


# -- mockup view --------------------------------------------------------------------------------
class MockupDialog(QDialog):
    """The design on a shirt at its print size; re-rendered on a worker when the colour changes."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.setWindowTitle("Shirt mockup")
        self.colour = QComboBox()
        for name in SHIRT_COLOURS:
            self.colour.addItem(name.capitalize(), name)
        self.colour.addItem("Other colour…", "")
        saved = str(window.settings.value("mockup_shirt", "black"))
        index = self.colour.findData(saved)
        if index < 0:
            self.colour.insertItem(0, saved, saved)
            index = 0
        self.colour.setCurrentIndex(index)
        self.size = QComboBox()
        for name in SHIRT_SIZES:
            self.size.addItem(name, name)
        self.size.setCurrentIndex(max(0, self.size.findData(str(window.settings.value("mockup_size", "L")))))
        self.size.setToolTip("The shirt's size: the print keeps its inches, so it looks bigger on a small shirt")
        self.dtg = QCheckBox("Show the DTG halftone")
        self.image = QLabel("Drawing the shirt…")
        self.image.setAlignment(Qt.AlignCenter)
        self.image.setMinimumSize(480, 420)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        row = QHBoxLayout()
        row.addWidget(QLabel("Shirt"))
        row.addWidget(self.colour)
        row.addWidget(QLabel("Size"))
        row.addWidget(self.size)
        row.addWidget(self.dtg)
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.image, 1)
        self.colour.activated.connect(self._colour_chosen)
        self.dtg.toggled.connect(lambda _: self.refresh())
        self.size.currentIndexChanged.connect(self._size_chosen)
        self.pixels = None
        self.job = None
        self.resize(760, 700)

    def shirt(self) -> str:
        return str(self.colour.currentData() or "black")

    def _colour_chosen(self, index: int) -> None:
        if not self.colour.itemData(index):
            colour = QColorDialog.getColor(QColor("#336699"), self, "Shirt colour")
            if not colour.isValid():
                self.colour.setCurrentIndex(0)
                return
            self.colour.insertItem(index, colour.name(), colour.name())
            self.colour.setCurrentIndex(index)
        self.window.settings.setValue("mockup_shirt", self.shirt())
        self.refresh()

    def _size_chosen(self, _index: int) -> None:
        self.window.settings.setValue("mockup_size", self.size.currentData())
        self.refresh()

    def refresh(self):
        from artdesk.export.garment import render_mockup
        from artdesk.document.snapshot import snapshot

        self.image.setText("Drawing the shirt…")
        self.job = self.window.run_job("Shirt mockup", render_mockup, snapshot(self.window.document),
                                       self.shirt(), "tshirt", 1000, self.dtg.isChecked(), self.size.currentData(),
                                       on_result=self._show)
        return self.job

    def _show(self, pixels) -> None:
        from artdesk.export.render import numpy_to_qimage

        self.pixels = pixels
        pixmap = QPixmap.fromImage(numpy_to_qimage(pixels))
        self.image.setPixmap(pixmap.scaled(self.image.size(), Qt.KeepAspectRatio, Qt.SmoothTransformation))


def show_mockup(window) -> MockupDialog:
    dialog = getattr(window, "mockup_dialog", None)
    if dialog is None:
        dialog = window.mockup_dialog = MockupDialog(window)
    dialog.show()
    dialog.raise_()
    dialog.refresh()
    return dialog


# -- installing -----------------------------------------------------------------------------------
def install(window) -> None:
    """Add the recent-files menu, the History dock, print guides and the mockup view."""
    window.recent_menu = QMenu("Open &recent", window)
    window.file_menu.insertMenu(window.samples_menu.menuAction(), window.recent_menu)
    window.recent_menu.aboutToShow.connect(lambda: _fill_recent_menu(window))

    window.history = QUndoView(window.undo_stack)
    window.history.setEmptyLabel("Opened")
    dock = QDockWidget("History", window)
    dock.setObjectName("historyDock")
    dock.setWidget(window.history)
    window.addDockWidget(Qt.RightDockWidgetArea, dock)
    window.tabifyDockWidget(window.layersDock, dock)
    window.layersDock.raise_()
    window.historyDock = dock

    window.print_guides = PrintGuidesOverlay(window)
    window.canvas.overlays.append(window.print_guides)
    view = next(a.menu() for a in window.menuBar().actions() if a.menu() and a.text() == "&View")
    view.addSeparator()
    guides = QAction("&Print guides", window)
    guides.setCheckable(True)
    guides.setChecked(window.print_guides.enabled)
    guides.setShortcut(QKeySequence("Ctrl+;"))
    guides.setStatusTip("Show the printable area and the safe margin of a print preset (never printed)")
    guides.toggled.connect(window.print_guides.set_enabled)
    view.addAction(guides)
    presets = view.addMenu("Guides &for")
    group = QActionGroup(window)
    for key in GUIDE_PRESETS:
        action = presets.addAction(PRESETS[key].label)
        action.setCheckable(True)
        action.setChecked(key == window.print_guides.preset)
        action.triggered.connect(lambda _=False, k=key: window.print_guides.set_preset(k))
        group.addAction(action)
    mockup = QAction("Shirt &mockup…", window)
    mockup.setShortcut(QKeySequence("Ctrl+M"))
    mockup.setStatusTip("See the design on a shirt at its print size")
    mockup.triggered.connect(lambda: show_mockup(window))
    view.addAction(mockup)
    view.addAction(dock.toggleViewAction())
    window.act.update(print_guides=guides, mockup=mockup, history=dock.toggleViewAction())
