"""Transform handles shared by the move tool and the selection tool.

A target is a whole layer or some strokes of a vector layer. Its frame maps the unit square onto
its box in the document; a pending affine P (document -> document) moves that box while the user
drags handles, nudges with the arrows or types values; the canvas shows the target moved by P
(set_floating) and nothing in the document changes until apply(), which pushes one TransformLayer
command: one undo step per transform.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QCursor, QPainter, QPen, QPolygonF, QTransform
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QWidget

from artdesk.document import affine
from artdesk.document.commands import TransformLayer
from artdesk.document.model import RasterLayer, TextLayer, VectorLayer, strokes_bounds
from artdesk.ui.widgets import tool_buttons

HANDLE_PX = 9  # handle square size on screen
GRAB_PX = 10  # how near a handle the pointer must be
ROTATE_PX = 30  # rotate handle distance above the top edge
ROTATE_RING_PX = 28  # a press this near a corner, outside the box, rotates
CORNERS = [(0, 0), (1, 0), (1, 1), (0, 1)]
HANDLES = CORNERS + [(0.5, 0), (1, 0.5), (0.5, 1), (0, 0.5)]


@dataclass
class Target:
    layer_id: str
    strokes: list | None = None  # None: the whole layer


def frame_of(layer, strokes=None) -> affine.Affine | None:
    """The affine mapping the unit square onto the target's box (None: nothing to move)."""
    if isinstance(layer, RasterLayer) and strokes is None:
        h, w = layer.pixels.shape[:2]
        return affine.compose(layer.pixel_to_document(), affine.scale(w, h))
    if isinstance(layer, (VectorLayer, TextLayer)):
        box = strokes_bounds(layer.strokes if strokes is None else strokes) if isinstance(layer, VectorLayer) \
            else layer.bounds()
        if box is None:
            return None
        x0, y0, x1, y1 = box
        return (max(x1 - x0, 1.0), 0.0, 0.0, max(y1 - y0, 1.0), x0, y0)
    return None


class Transformer:
    """Handles, drags, nudges and typed values for one target, drawn on `canvas`."""

    def __init__(self, canvas, on_change=None):
        self.canvas = canvas
        self.target: Target | None = None
        self.frame: affine.Affine | None = None
        self.pending: affine.Affine = affine.IDENTITY
        self._drag = None  # (kind, handle, press point, pending at press)
        self.applying = False  # pushing our own command: the document change is expected
        self.on_change = on_change or (lambda: None)

    # -- target -------------------------------------------------------------------------
    def set_target(self, target: Target | None) -> None:
        if self.target is not None and target != self.target:
            self.apply()
        self.target = target
        self.pending = affine.IDENTITY
        self._drag = None
        self.refresh_frame()
        self.canvas.clear_floating()
        self.on_change()

    def layer(self):
        if self.target is None or self.canvas.document is None:
            return None
        try:
            return self.canvas.document.layer(self.target.layer_id)
        except KeyError:
            return None

    def refresh_frame(self) -> None:
        layer = self.layer()
        if layer is not None and self.target.strokes is not None:
            alive = {id(s) for s in getattr(layer, "strokes", [])}
            self.target.strokes = [s for s in self.target.strokes if id(s) in alive]
            if not self.target.strokes:
                layer = None
        self.frame = frame_of(layer, self.target.strokes) if layer is not None else None
        if self.frame is None:
            self.target = None
        self.canvas.update()

    def box(self) -> affine.Affine | None:
        """The target's box after the pending transform (unit square -> document)."""
        return None if self.frame is None else affine.compose(self.pending, self.frame)

    def is_pending(self) -> bool:
        return not affine.is_identity(self.pending)

    def dragging(self) -> bool:
        return self._drag is not None

    # -- apply / cancel -----------------------------------------------------------------
    def set_pending(self, t: affine.Affine) -> None:
        self.pending = tuple(t)
        if self.target is not None:
            self.canvas.set_floating(self.target.layer_id, self.pending, self.target.strokes)
        self.on_change()

    def apply(self) -> None:
        """Push the pending transform as one undo step."""
        if self.target is None or not self.is_pending() or self.layer() is None:
            self.cancel()
            return
        command = TransformLayer(self.target.layer_id, self.pending, self.target.strokes)
        if self.target.strokes is None:
            self.canvas.hint_moved(self.target.layer_id, self.pending)
        self.pending = affine.IDENTITY
        self._drag = None
        self.canvas.clear_floating()
        self.applying = True
        try:
            self.canvas.push(command)
        finally:
            self.applying = False
        if self.target.strokes is not None:
            self.target.strokes = [command.transformed(s) for s in self.target.strokes]
        self.refresh_frame()
        self.on_change()

    def cancel(self) -> None:
        self.pending = affine.IDENTITY
        self._drag = None
        self.canvas.clear_floating()
        self.on_change()

    # -- geometry in screen space ---------------------------------------------------------
    def _screen(self, u: float, v: float) -> QPointF:
        x, y = affine.apply(self.box(), [(u, v)])[0]
        return self.canvas.transform().map(QPointF(x, y))

    def _rotate_handle(self) -> QPointF:
        top, centre = self._screen(0.5, 0), self._screen(0.5, 0.5)
        d = top - centre
        length = math.hypot(d.x(), d.y())
        d = QPointF(0, -1) if length < 1e-6 else d / length
        return top + d * ROTATE_PX

    def handle_at(self, pos: QPointF) -> tuple[str, tuple] | None:
        """("rotate", ()) / ("scale", (u, v)) / ("move", ()) under the widget point, or None."""
        if self.frame is None:
            return None
        doc = self.canvas.to_document(pos)
        u, v = affine.apply(affine.invert(self.box()), [(doc.x(), doc.y())])[0]
        inside = -1e-6 <= u <= 1 + 1e-6 and -1e-6 <= v <= 1 + 1e-6
        corners = [self._screen(*uv) for uv in CORNERS]
        small = min(math.hypot((a - b).x(), (a - b).y()) for a, b in zip(corners, corners[1:])) < 3 * GRAB_PX
        if inside and small:  # a box a few pixels wide: its handles would cover it; a press moves it
            return "move", ()
        near = lambda q: math.hypot(q.x() - pos.x(), q.y() - pos.y()) <= GRAB_PX
        if near(self._rotate_handle()):
            return "rotate", ()
        for uv in HANDLES:
            if near(self._screen(*uv)):
                return "scale", uv
        if inside:
            return "move", ()
        if any(math.hypot(c.x() - pos.x(), c.y() - pos.y()) <= ROTATE_RING_PX for c in corners):
            return "rotate", ()  # just outside a corner, as in most painting programs
        return None

    def cursor_at(self, pos: QPointF) -> QCursor | None:
        hit = self.handle_at(pos)
        if hit is None:
            return None
        kind, uv = hit
        if kind == "move":
            return QCursor(Qt.SizeAllCursor)
        if kind == "rotate":
            return QCursor(Qt.CrossCursor)
        p, c = self._screen(*uv), self._screen(0.5, 0.5)
        angle = math.degrees(math.atan2(p.y() - c.y(), p.x() - c.x())) % 180
        shapes = [Qt.SizeHorCursor, Qt.SizeFDiagCursor, Qt.SizeVerCursor, Qt.SizeBDiagCursor]
        return QCursor(shapes[int(((angle + 22.5) % 180) // 45)])

    # -- drags ----------------------------------------------------------------------------
    def begin(self, pos: QPointF, kind: str | None = None, handle=()) -> bool:
        if kind is None:
            hit = self.handle_at(pos)
            if hit is None:
                return False
            kind, handle = hit
        doc = self.canvas.to_document(pos)
        self._drag = (kind, handle, (doc.x(), doc.y()), self.pending)
        return True

    def drag(self, doc: QPointF, modifiers) -> None:
        if self._drag is None or self.frame is None:
            return
        kind, handle, (px, py), p0 = self._drag
        shift = bool(modifiers & Qt.ShiftModifier)
        x, y = doc.x(), doc.y()
        if kind == "move":
            dx, dy = x - px, y - py
            if shift:  # keep to the horizontal or vertical
                dx, dy = (dx, 0.0) if abs(dx) >= abs(dy) else (0.0, dy)
            self.set_pending(affine.compose(affine.translate(dx, dy), p0))
        elif kind == "rotate":
            q = affine.compose(p0, self.frame)
            cx, cy = affine.apply(q, [(0.5, 0.5)])[0]
            delta = math.degrees(math.atan2(y - cy, x - cx) - math.atan2(py - cy, px - cx))
            if shift:  # snap the layer's angle to 15 degrees
                start = affine.decompose(q)[2]
                delta = round((start + delta) / 15.0) * 15.0 - start
            self.set_pending(affine.compose(affine.rotate(delta, cx, cy), p0))
        else:
            self.set_pending(self._scaled(p0, handle, x, y, shift))

    def _scaled(self, p0, handle, x, y, keep_aspect) -> affine.Affine:
        q = affine.compose(p0, self.frame)
        hu, hv = handle
        au, av = 1 - hu, 1 - hv  # the opposite handle stays put
        u, v = affine.apply(affine.invert(q), [(x, y)])[0]
        sx = (u - au) / (hu - au) if hu != 0.5 else 1.0
        sy = (v - av) / (hv - av) if hv != 0.5 else 1.0
        if keep_aspect:
            s = sx if hv == 0.5 else sy if hu == 0.5 else (sx if abs(sx) >= abs(sy) else sy)
            sx = sy = s
        sx = math.copysign(max(abs(sx), 0.01), sx)
        sy = math.copysign(max(abs(sy), 0.01), sy)
        unit = affine.scale(sx, sy, au if hu != 0.5 else 0.5, av if hv != 0.5 else 0.5)
        return affine.compose(p0, self.frame, unit, affine.invert(self.frame))

    def end(self) -> None:
        self._drag = None

    # -- exact edits ---------------------------------------------------------------------------
    def nudge(self, dx: float, dy: float) -> None:
        self.set_pending(affine.compose(affine.translate(dx, dy), self.pending))

    def flip(self, horizontal: bool) -> None:
        """Mirror the target in its own box (left-right or top-bottom)."""
        if self.frame is None:
            return
        unit = affine.scale(-1, 1, 0.5, 0.5) if horizontal else affine.scale(1, -1, 0.5, 0.5)
        q = self.box()
        self.set_pending(affine.compose(q, unit, affine.invert(self.frame)))

    def geometry(self) -> tuple[float, float, float, float, float] | None:
        """(x, y, w, h, angle) of the box: its size, its angle, and the top-left it would have
        unrotated about its centre."""
        q = self.box()
        if q is None:
            return None
        w, h, angle, _ = affine.decompose(q)
        cx, cy = affine.apply(q, [(0.5, 0.5)])[0]
        return cx - w / 2, cy - h / 2, w, h, angle

    def set_geometry(self, x: float, y: float, w: float, h: float, angle: float) -> None:
        q = self.box()
        if q is None or w <= 0 or h <= 0:
            return
        flipped = affine.decompose(q)[3]
        new = affine.compose(affine.translate(x + w / 2, y + h / 2), affine.rotate(angle),
                             affine.scale(w, -h if flipped else h), affine.translate(-0.5, -0.5))
        self.set_pending(affine.compose(new, affine.invert(self.frame)))

    # -- looks ----------------------------------------------------------------------------
    def paint(self, painter: QPainter) -> None:
        if self.frame is None:
            return
        painter.save()
        painter.resetTransform()
        corners = QPolygonF([self._screen(*uv) for uv in CORNERS])
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setBrush(Qt.NoBrush)
        painter.setPen(QPen(QColor(255, 255, 255, 220), 3))
        painter.drawPolygon(corners)
        painter.setPen(QPen(QColor("#1e88e5"), 1.2, Qt.DashLine))
        painter.drawPolygon(corners)
        rot, top = self._rotate_handle(), self._screen(0.5, 0)
        painter.setPen(QPen(QColor("#1e88e5"), 1.2))
        painter.drawLine(top, rot)
        painter.setBrush(QColor("white"))
        painter.drawEllipse(rot, HANDLE_PX / 2 + 1, HANDLE_PX / 2 + 1)
        for uv in HANDLES:
            p = self._screen(*uv)
            painter.drawRect(QRectF(p.x() - HANDLE_PX / 2, p.y() - HANDLE_PX / 2, HANDLE_PX, HANDLE_PX))
        painter.restore()


class TransformOptions(QWidget):
    """X, Y, W, H, angle for typing exact values; flip, apply and cancel buttons."""

    def __init__(self, transformer: Transformer, parent: QWidget | None = None):
        super().__init__(parent)
        self.transformer = transformer
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        self.boxes = {}
        for key, label, tip in (("x", "X", "Left edge, document px"), ("y", "Y", "Top edge, document px"),
                                ("w", "W", "Width, document px"), ("h", "H", "Height, document px"),
                                ("angle", "∠", "Angle in degrees")):
            box = QDoubleSpinBox()
            box.setObjectName(f"transform_{key}")
            box.setRange(-360.0, 360.0) if key == "angle" else box.setRange(-99999.0, 99999.0)
            box.setDecimals(1)
            box.setKeyboardTracking(False)
            box.setToolTip(tip)
            box.valueChanged.connect(self._typed)
            layout.addWidget(QLabel(label))
            layout.addWidget(box)
            self.boxes[key] = box
        self.buttons = tool_buttons(layout, (
            ("flip_h", "Flip ↔", "Flip horizontally", lambda: transformer.flip(True)),
            ("flip_v", "Flip ↕", "Flip vertically", lambda: transformer.flip(False)),
            ("apply", "Apply", "Apply the transform (Enter)", transformer.apply),
            ("cancel", "Cancel", "Drop the transform (Esc)", transformer.cancel),
        ))
        layout.addStretch(1)
        self._syncing = False
        self.sync()

    def sync(self) -> None:
        geometry = self.transformer.geometry()
        self._syncing = True
        try:
            for box in self.boxes.values():
                box.setEnabled(geometry is not None)
            for button in self.buttons.values():
                button.setEnabled(geometry is not None)
            if geometry is not None:
                for key, value in zip(("x", "y", "w", "h", "angle"), geometry):
                    self.boxes[key].setValue(value)
        finally:
            self._syncing = False

    def _typed(self, _value: float) -> None:
        if self._syncing:
            return
        b = self.boxes
        self.transformer.set_geometry(b["x"].value(), b["y"].value(), b["w"].value(), b["h"].value(),
                                      b["angle"].value())


def transform_keys(transformer: Transformer, event) -> bool:
    """Arrows nudge 1 px (Shift: 10), Enter applies; True if the key was used."""
    if transformer.target is None:
        return False
    step = 10.0 if event.modifiers() & Qt.ShiftModifier else 1.0
    moves = {Qt.Key_Left: (-step, 0), Qt.Key_Right: (step, 0), Qt.Key_Up: (0, -step), Qt.Key_Down: (0, step)}
    if event.key() in moves:
        transformer.nudge(*moves[event.key()])
        return True
    if event.key() in (Qt.Key_Return, Qt.Key_Enter):
        transformer.apply()
        return True
    return False


def screen_transform(canvas, t: affine.Affine) -> QTransform:
    return QTransform(*t) * canvas.transform()
