"""The style gallery: pattern thumbnails to drag onto the canvas.

Built-in patterns come from resources/patterns; images the user adds (button or drop) are copied
into the user data folder and stay between sessions.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from pathlib import Path

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QDrag, QIcon, QPixmap
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QListView, QListWidget, QListWidgetItem,
                               QPushButton, QVBoxLayout, QWidget)

from artdesk.document.imports import IMAGE_SUFFIXES, ImportFailed, read_image
from artdesk.export.render import numpy_to_qimage
from artdesk.paths import resources_dir, user_data_dir
from artdesk.ui.canvas import PATTERN_MIME
from artdesk.ui.widgets import paint_placeholder

log = logging.getLogger("artdesk.gallery")
THUMB = 72


def user_gallery_dir() -> Path:
    path = user_data_dir() / "gallery"
    path.mkdir(parents=True, exist_ok=True)
    return path


def pattern_label(path: str | Path) -> str:
    """A pattern's name for people: the tangle's own name, else the file name."""
    from artdesk.engines.tangles import TANGLES

    path = Path(path)
    if path.stem in TANGLES:
        return TANGLES[path.stem].display_name
    return path.stem.split("-", 1)[-1].replace("_", " ")


class PatternList(QListWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setViewMode(QListView.IconMode)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setResizeMode(QListView.Adjust)
        self.setMovement(QListView.Static)
        self.setSpacing(4)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDragDropMode(QListWidget.DragDrop)
        self.setWordWrap(True)

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self.count() == 0:
            paint_placeholder(self, "No patterns yet.\nDrop images here or use “Add image…”, "
                             "then drag a pattern onto the canvas.")

    def startDrag(self, actions) -> None:
        item = self.currentItem()
        if item is None:
            return
        mime = QMimeData()
        path = item.data(Qt.UserRole)
        mime.setData(PATTERN_MIME, path.encode("utf-8"))
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.setPixmap(item.icon().pixmap(THUMB, THUMB))
        drag.exec(Qt.CopyAction)

    def mimeData(self, items):
        mime = QMimeData()
        if items:
            mime.setData(PATTERN_MIME, items[0].data(Qt.UserRole).encode("utf-8"))
        return mime

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and event.source() is None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasUrls() and event.source() is None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        self.parent().add_images(paths)
        event.acceptProposedAction()


class StyleGallery(QWidget):
    message = Signal(str)
    error = Signal(str, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.list = PatternList(self)
        self.add_button = QPushButton("Add image…")
        self.add_button.setToolTip("Add your own pattern image to the gallery")
        self.add_button.clicked.connect(self._choose_images)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.reload()

    def pattern_files(self) -> list[Path]:
        builtin = sorted((resources_dir() / "patterns").glob("*.png"))
        mine = sorted(p for p in user_gallery_dir().iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        return builtin + mine

    def reload(self) -> None:
        self.list.clear()
        for path in self.pattern_files():
            try:
                pixels = read_image(path, max_pixels=40_000_000)
            except ImportFailed as exc:
                log.warning("gallery skips %s: %s", path, exc)
                continue
            pixmap = QPixmap.fromImage(numpy_to_qimage(pixels)).scaled(
                THUMB, THUMB, Qt.KeepAspectRatioByExpanding, Qt.SmoothTransformation)
            item = QListWidgetItem(QIcon(pixmap), pattern_label(path))
            item.setData(Qt.UserRole, str(path))
            item.setToolTip(f"{path.stem} — drag onto a shape on the canvas")
            self.list.addItem(item)

    def _choose_images(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add pattern images", "",
                                                "Images (*.png *.jpg *.jpeg)")
        self.add_images(files)

    def add_images(self, paths: list[str]) -> int:
        """Copy valid images into the user gallery; bad ones are reported, never half-added."""
        added = 0
        for name in paths:
            path = Path(name)
            try:
                read_image(path)
            except ImportFailed as exc:
                self.error.emit("Cannot add this pattern", str(exc))
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
            target = user_gallery_dir() / f"{digest}-{path.stem}{path.suffix.lower()}"
            if not target.exists():
                shutil.copyfile(path, target)
            added += 1
        if added:
            self.reload()
            self.message.emit(f"Added {added} pattern{'s' if added > 1 else ''} to the gallery.")
        return added
