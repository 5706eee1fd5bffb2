"""The brush's options: a preset (round, pen, marker, pencil), stroke smoothing and the pen's
pressure curve. The values live on the canvas (brush_preset, smoothing, pressure_curve) and in
the window's settings."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QWidget

from artdesk.document.geometry import pressure_curve

PRESETS = {  # key: (label, size in document units)
    "round": ("Round", None),
    "pen": ("Ink pen", 4),
    "marker": ("Marker", 14),
    "pencil": ("Pencil", 5),
}


class CurvePreview(QWidget):
    """A small picture of the pressure curve: pen pressure across, line width up."""

    def __init__(self, curve: float = 0.0):
        super().__init__()
        self.curve = curve
        self.setFixedSize(34, 26)
        self.setToolTip("Pressure curve: pen pressure (across) to line width (up)")

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.fillRect(self.rect(), QColor("#f4f4f4"))
        w, h = self.width() - 4, self.height() - 4
        path = QPainterPath(QPointF(2, 2 + h))
        for i in range(1, 21):
            x = i / 20
            path.lineTo(2 + x * w, 2 + h - float(pressure_curve(x, self.curve)) * h)
        p.setPen(QPen(QColor("#1d1d1f"), 1.5))
        p.drawPath(path)
        p.end()


def _settings(canvas):
    return getattr(canvas.window(), "settings", None)


def load_brush_settings(canvas) -> None:
    settings = _settings(canvas)
    canvas.brush_preset = str(settings.value("brush_preset", "round")) if settings is not None else "round"
    if canvas.brush_preset not in PRESETS:
        canvas.brush_preset = "round"
    canvas.smoothing = float(settings.value("smoothing", 0.0)) if settings is not None else 0.0
    canvas.pressure_curve = float(settings.value("pressure_curve", 0.0)) if settings is not None else 0.0


def brush_options(canvas) -> QWidget:
    load_brush_settings(canvas)
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(4, 0, 4, 0)
    preset = QComboBox()
    for key, (label, _) in PRESETS.items():
        preset.addItem(label, key)
    preset.setCurrentIndex(list(PRESETS).index(canvas.brush_preset))
    smoothing = QSlider(Qt.Horizontal)
    smoothing.setRange(0, 100)
    smoothing.setFixedWidth(110)
    smoothing.setValue(int(round(canvas.smoothing * 100)))
    smoothing.setToolTip("Smoothing: steadies shaky mouse strokes (0 = off)")
    curve = QSlider(Qt.Horizontal)
    curve.setRange(-100, 100)
    curve.setFixedWidth(110)
    curve.setValue(int(round(canvas.pressure_curve * 100)))
    curve.setToolTip("Pressure curve: right = soft (light touch, thick line), left = firm")
    preview = CurvePreview(canvas.pressure_curve)

    def set_preset(_=None):
        canvas.brush_preset = preset.currentData()
        size = PRESETS[canvas.brush_preset][1]
        window = canvas.window()
        if size is not None and hasattr(window, "size_box"):
            window.size_box.setValue(size)
        _save(canvas, "brush_preset", canvas.brush_preset)

    def set_smoothing(value):
        canvas.smoothing = value / 100
        _save(canvas, "smoothing", canvas.smoothing)

    def set_curve(value):
        canvas.pressure_curve = preview.curve = value / 100
        preview.update()
        _save(canvas, "pressure_curve", canvas.pressure_curve)

    preset.currentIndexChanged.connect(set_preset)
    smoothing.valueChanged.connect(set_smoothing)
    curve.valueChanged.connect(set_curve)
    for w in (QLabel("Brush"), preset, QLabel("Smoothing"), smoothing, QLabel("Pressure"), curve, preview):
        row.addWidget(w)
    row.addStretch(1)
    box.preset, box.smoothing, box.curve = preset, smoothing, curve
    return box


def _save(canvas, key, value) -> None:
    settings = _settings(canvas)
    if settings is not None:
        settings.setValue(key, value)
