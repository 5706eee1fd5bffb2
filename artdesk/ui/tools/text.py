"""The text tool: click to place a slogan (a text layer, kept as text, printed from the font's
outlines), click a text again to edit it, drag a text to move it."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFontComboBox,
                               QFormLayout, QHBoxLayout, QLabel, QPlainTextEdit, QWidget)

from artdesk.document import commands as cmds
from artdesk.document.model import TextLayer
from artdesk.export.render import paint_text, text_box
from artdesk.ui.tools.base import Tool, ToolEvent, register
from artdesk.ui.tools.colour_button import ColourButton

DRAG_UNITS = 3.0  # a press that moves further than this moves the text instead of editing it


class TextDialog(QDialog):
    """Words, font, size, colour, bold and italic of one text layer."""

    def __init__(self, parent, style: dict, title: str = "Text"):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.edit = QPlainTextEdit(style.get("text", ""))
        self.edit.setPlaceholderText("Your slogan")
        self.edit.setFixedHeight(96)
        self.font = QFontComboBox()
        self.font.setCurrentFont(QFont(style.get("font", "DejaVu Sans")))
        self.size = QDoubleSpinBox()
        self.size.setRange(4, 2000)
        self.size.setSuffix(" units")
        self.size.setValue(float(style.get("size", 72)))
        self.colour = ColourButton(style.get("color", "#000000"), "Text colour")
        self.bold = QCheckBox("Bold")
        self.bold.setChecked(bool(style.get("bold")))
        self.italic = QCheckBox("Italic")
        self.italic.setChecked(bool(style.get("italic")))
        form = QFormLayout(self)
        form.addRow("Text", self.edit)
        form.addRow("Font", self.font)
        form.addRow("Size", self.size)
        row = QHBoxLayout()
        for w in (self.colour, self.bold, self.italic):
            row.addWidget(w)
        row.addStretch(1)
        form.addRow("Colour", row)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.edit.setFocus()

    def style(self) -> dict:
        return {"text": self.edit.toPlainText(), "font": self.font.currentFont().family(),
                "size": self.size.value(), "color": self.colour.colour, "bold": self.bold.isChecked(),
                "italic": self.italic.isChecked()}


@register
class TextTool(Tool):
    name = "text"
    label = "&Text"
    shortcut = "T"
    icon = "tools/text.png"
    tip = "Text: click to place a slogan; click a text to edit it, drag it to move it"

    def __init__(self, canvas):
        super().__init__(canvas)
        self.defaults = {"font": "DejaVu Sans", "size": 72.0, "bold": True, "italic": False}
        self._press = None  # (layer or None, doc x, doc y)
        self._offset = (0.0, 0.0)
        self.dialog: TextDialog | None = None
        self.preview: TextLayer | None = None  # the new text while its words are typed

    def busy(self) -> bool:
        return self._press is not None

    def cancel(self) -> None:
        self._press = None
        self._offset = (0.0, 0.0)
        self.canvas.update()

    def text_at(self, x: float, y: float) -> TextLayer | None:
        doc = self.canvas.document
        for layer in reversed(doc.layers if doc else []):
            if isinstance(layer, TextLayer) and layer.visible:
                bx, by, bw, bh = text_box(layer)
                if bx <= x <= bx + bw and by <= y <= by + bh:
                    return layer
        return None

    def press(self, event: ToolEvent) -> None:
        x, y = event.doc.x(), event.doc.y()
        self._press = (self.text_at(x, y), x, y)
        self._offset = (0.0, 0.0)

    def move(self, event: ToolEvent) -> None:
        if self._press is not None and self._press[0] is not None:
            self._offset = (event.doc.x() - self._press[1], event.doc.y() - self._press[2])
            self.canvas.update()

    def release(self, event: ToolEvent) -> None:
        if self._press is None:
            return
        layer, x, y = self._press
        dx, dy = event.doc.x() - x, event.doc.y() - y
        self.cancel()
        if layer is not None and max(abs(dx), abs(dy)) > DRAG_UNITS:
            self.canvas.push(cmds.SetText(layer.id, {"x": layer.x + dx, "y": layer.y + dy}, text="Move text"))
        elif layer is not None:
            self.edit(layer)
        else:
            self.place(x, y)

    def _style(self) -> dict:
        return {**self.defaults, "color": self.canvas.brush_color.name()}

    def place(self, x: float, y: float) -> TextDialog:
        """Ask for the words and add a text layer with its top-left at (x, y)."""
        dialog = self._open(TextDialog(self.canvas, {**self._style(), "text": ""}, "New text"))
        self.preview = TextLayer(name="preview", x=x, y=y, **dialog.style())

        def typed(*_):  # the words appear on the canvas as they are typed
            if self.preview is not None:
                for key, value in dialog.style().items():
                    setattr(self.preview, key, value)
                self.canvas.update()

        for signal in (dialog.edit.textChanged, dialog.font.currentFontChanged, dialog.size.valueChanged,
                       dialog.colour.changed, dialog.bold.toggled, dialog.italic.toggled):
            signal.connect(typed)
        dialog.finished.connect(self._drop_preview)

        def accepted():
            style = dialog.style()
            if not style["text"].strip():
                return
            self.defaults.update({k: style[k] for k in ("font", "size", "bold", "italic")})
            name = style["text"].strip().splitlines()[0][:24]
            layer = TextLayer(name=self.canvas.document.unique_layer_name(name), x=x, y=y, **style)
            self.canvas.push(cmds.AddLayer(layer, text="Add text"))
            self.canvas.active_layer_id = layer.id
            window = self.canvas.window()
            if hasattr(window, "layers") and hasattr(window.layers, "select"):
                window.layers.select(layer.id)

        dialog.accepted.connect(accepted)
        return dialog

    def _drop_preview(self, *_) -> None:
        self.preview = None
        self.canvas.update()

    def edit(self, layer: TextLayer) -> TextDialog:
        dialog = self._open(TextDialog(self.canvas, layer.style(), "Edit text"))

        def accepted():
            style = dialog.style()
            changes = {k: v for k, v in style.items() if getattr(layer, k) != v}
            if changes and style["text"].strip():
                self.canvas.push(cmds.SetText(layer.id, changes))

        dialog.accepted.connect(accepted)
        return dialog

    def _open(self, dialog: TextDialog) -> TextDialog:
        """Window-modal but not blocking: the result arrives through accepted()."""
        self.dialog = dialog
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def paint_overlay(self, painter: QPainter) -> None:
        doc = self.canvas.document
        if doc is None:
            return
        if self.preview is not None and not self.preview.is_empty():
            paint_text(painter, self.preview)
        pen = QPen(QColor(0, 150, 220), 1, Qt.DashLine)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(Qt.NoBrush)
        moving = self._press[0] if self._press else None
        for layer in doc.layers:
            if isinstance(layer, TextLayer) and layer.visible:
                x, y, w, h = text_box(layer)
                if layer is moving:
                    x, y = x + self._offset[0], y + self._offset[1]
                painter.drawRect(QRectF(x, y, w, h))

    def make_options(self) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(4, 0, 4, 0)
        font = QFontComboBox()
        font.setCurrentFont(QFont(self.defaults["font"]))
        size = QDoubleSpinBox()
        size.setRange(4, 2000)
        size.setValue(self.defaults["size"])
        bold = QCheckBox("Bold")
        bold.setChecked(self.defaults["bold"])
        italic = QCheckBox("Italic")

        def sync(*_):
            self.defaults.update(font=font.currentFont().family(), size=size.value(), bold=bold.isChecked(),
                                 italic=italic.isChecked())

        for signal in (font.currentFontChanged, size.valueChanged, bold.toggled, italic.toggled):
            signal.connect(sync)
        for w in (QLabel("Font"), font, QLabel("Size"), size, bold, italic,
                  QLabel("Colour: the brush colour (C)")):
            row.addWidget(w)
        row.addStretch(1)
        return box
