"""The layers dock: visibility, opacity, order, rename, delete — each an undoable command."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap, QTransform
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from artdesk.document.commands import MoveLayer, RemoveLayer, SetLayerProperty
from artdesk.document.model import Document
from artdesk.ui.layer_cache import LayerImages
from artdesk.ui.widgets import tool_buttons

THUMB = 44  # thumbnail height in px


class LayersPanel(QWidget):
    activeLayerChanged = Signal(str)
    command = Signal(object)  # a document Command to push on the undo stack
    newVectorLayerRequested = Signal()
    importRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.document: Document | None = None
        self.active_id: str | None = None
        self._refreshing = False

        self.list = QListWidget()
        self.list.setObjectName("layerList")
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.thumbnails = LayerImages(min_pen_px=1.2)  # a new stroke is painted onto its thumbnail, as on the canvas
        self._thumb_timer = QTimer(self)
        self._thumb_timer.setSingleShot(True)
        self._thumb_timer.setInterval(250)
        self._thumb_timer.timeout.connect(self._update_thumbnails)
        self.list.currentItemChanged.connect(self._current_changed)
        self.list.itemChanged.connect(self._item_edited)

        self.opacity = QSlider(Qt.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setToolTip("Layer opacity")
        self.opacity.valueChanged.connect(self._opacity_moved)

        buttons = QHBoxLayout()
        self.buttons = tool_buttons(buttons, (
            ("add", "+", "New vector layer", self.newVectorLayerRequested.emit),
            ("import", "⇪", "Import an image or drawing as a layer", self.importRequested.emit),
            ("up", "▲", "Move layer up", lambda: self._move(+1)),
            ("down", "▼", "Move layer down", lambda: self._move(-1)),
            ("delete", "✕", "Delete layer", self._delete),
        ))
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list)
        row = QHBoxLayout()
        row.addWidget(QLabel("Opacity"))
        row.addWidget(self.opacity)
        layout.addLayout(row)
        layout.addLayout(buttons)

    def set_document(self, doc: Document) -> None:
        if self.document is not None:
            self.document.unsubscribe(self._changed)
        self.document = doc
        self.thumbnails = LayerImages(min_pen_px=1.2)
        doc.subscribe(self._changed)
        self.active_id = doc.layers[-1].id if doc.layers else None
        self.refresh()

    def _changed(self, what: str, detail: object) -> None:
        if what == "layer" and isinstance(detail, str):
            self.thumbnails.forget(detail)
        if what in ("layers", "layer"):
            self.refresh()
        else:
            self._thumb_timer.start()  # strokes: the thumbnail follows a moment later

    def thumbnail(self, layer) -> QIcon:
        """The layer's content over a checkerboard, the page's shape."""
        doc = self.document
        scale = THUMB / max(doc.width, doc.height)
        size = QSize(max(1, round(doc.width * scale)), max(1, round(doc.height * scale)))
        content = self.thumbnails.image(layer, QTransform.fromScale(scale, scale), size, 1.0)
        image = QImage(size, QImage.Format_ARGB32_Premultiplied)
        image.fill(QColor("#ffffff"))
        p = QPainter(image)
        for y in range(0, size.height(), 6):
            for x in range((y // 6 % 2) * 6, size.width(), 12):
                p.fillRect(x, y, 6, 6, QColor("#e3e3e3"))
        p.drawImage(0, 0, content)
        p.setPen(QColor("#9a9a9a"))
        p.drawRect(0, 0, size.width() - 1, size.height() - 1)
        p.end()
        return QIcon(QPixmap.fromImage(image))

    def _update_thumbnails(self) -> None:
        if self.document is None:
            return
        for row in range(self.list.count()):
            item = self.list.item(row)
            try:
                item.setIcon(self.thumbnail(self.document.layer(item.data(Qt.UserRole))))
            except KeyError:
                continue

    def refresh(self) -> None:
        doc = self.document
        self._refreshing = True
        try:
            self.list.clear()
            ids = [layer.id for layer in doc.layers]
            if self.active_id not in ids:
                self.active_id = ids[-1] if ids else None
            for layer in reversed(doc.layers):  # top of the stack first, as painters expect
                item = QListWidgetItem(layer.name)
                item.setData(Qt.UserRole, layer.id)
                item.setToolTip(f"{layer.kind.capitalize()} layer — double-click to rename"
                                + (" (the text tool, T, edits its words)" if layer.kind == "text" else ""))
                item.setFlags(item.flags() | Qt.ItemIsEditable | Qt.ItemIsUserCheckable)
                item.setCheckState(Qt.Checked if layer.visible else Qt.Unchecked)
                item.setText(f"{layer.name}")
                item.setIcon(self.thumbnail(layer))
                self.list.addItem(item)
                if layer.id == self.active_id:
                    self.list.setCurrentItem(item)
            self._sync_controls()
        finally:
            self._refreshing = False

    def _sync_controls(self) -> None:
        layer = self._active_layer()
        self.opacity.blockSignals(True)
        self.opacity.setValue(round((layer.opacity if layer else 1.0) * 100))
        self.opacity.blockSignals(False)
        has = layer is not None
        for key in ("up", "down", "delete"):
            self.buttons[key].setEnabled(has)
        self.opacity.setEnabled(has)

    def _active_layer(self):
        if self.document is None or self.active_id is None:
            return None
        try:
            return self.document.layer(self.active_id)
        except KeyError:
            return None

    def select(self, layer_id: str) -> None:
        self.active_id = layer_id
        self.refresh()
        self.activeLayerChanged.emit(layer_id)

    def _current_changed(self, current, previous) -> None:
        if self._refreshing or current is None:
            return
        self.active_id = current.data(Qt.UserRole)
        self._sync_controls()
        self.activeLayerChanged.emit(self.active_id)

    def _item_edited(self, item: QListWidgetItem) -> None:
        if self._refreshing:
            return
        layer = self.document.layer(item.data(Qt.UserRole))
        visible = item.checkState() == Qt.Checked
        name = item.text().strip()
        if visible != layer.visible:
            self.command.emit(SetLayerProperty(layer.id, "visible", visible))
        elif name and name != layer.name:
            self.command.emit(SetLayerProperty(layer.id, "name", name))
        elif not name:
            self.refresh()

    def _opacity_moved(self, value: int) -> None:
        layer = self._active_layer()
        if layer is not None and abs(layer.opacity - value / 100) > 1e-6:
            self.command.emit(SetLayerProperty(layer.id, "opacity", value / 100))

    def _move(self, step: int) -> None:
        layer = self._active_layer()
        if layer is None:
            return
        index = self.document.index_of(layer.id)
        target = index + step
        if 0 <= target < len(self.document.layers):
            self.command.emit(MoveLayer(layer.id, target))

    def _delete(self) -> None:
        layer = self._active_layer()
        if layer is not None:
            self.command.emit(RemoveLayer(layer.id))
