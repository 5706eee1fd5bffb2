"""The move/transform tool driven with real mouse and key events on the canvas."""

import math

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from artdesk.document import affine
from artdesk.document.model import RasterLayer, Stroke


def mouse_move(canvas, pos, modifiers=Qt.NoModifier, buttons=Qt.LeftButton):
    """A move with the button held and modifiers down (QTest.mouseMove carries no modifiers)."""
    p = QPointF(*pos)
    event = QMouseEvent(QEvent.MouseMove, p, canvas.mapToGlobal(p), Qt.NoButton, buttons, modifiers)
    QApplication.sendEvent(canvas, event)


def drag(canvas, a, b, modifiers=Qt.NoModifier, steps=6):
    QTest.mousePress(canvas, Qt.LeftButton, modifiers, QPoint(*map(round, a)))
    for i in range(1, steps + 1):
        f = i / steps
        mouse_move(canvas, (round(a[0] + (b[0] - a[0]) * f), round(a[1] + (b[1] - a[1]) * f)), modifiers)
    QTest.mouseRelease(canvas, Qt.LeftButton, modifiers, QPoint(*map(round, b)))


def screen(canvas, x, y):
    p = canvas.transform().map(QPointF(x, y))
    return p.x(), p.y()


def key(canvas, k, modifiers=Qt.NoModifier):
    QTest.keyClick(canvas, k, modifiers)


@pytest.fixture
def arranged(window):
    """A square doodle on the bottom layer and an image layer to its right, move tool on."""
    doc = window.document
    doodle = doc.layers[0]
    doodle.strokes.append(Stroke.from_xy([(200, 200), (300, 200), (300, 300), (200, 300), (200, 200)], width=8))
    pixels = np.zeros((50, 100, 4), np.uint8)
    pixels[..., 0] = 220
    pixels[..., 3] = 255
    image = RasterLayer(name="Logo", pixels=pixels, rect=(500, 600, 200, 100))
    window.add_layer(image)
    window.undo_stack.clear()
    window.canvas.layer_images.forget()
    window.canvas.invalidate()
    window.set_tool("move")
    window.canvas.setFocus()
    return window, doodle, image


def test_click_picks_the_layer_under_the_pointer_and_drag_moves_it_in_one_undo_step(arranged):
    window, doodle, image = arranged
    canvas = window.canvas
    drag(canvas, screen(canvas, 300, 250), screen(canvas, 400, 300))
    assert window.layers.active_id == doodle.id
    assert doodle.strokes[0].points[0, 0] == 200  # nothing applied yet: a live preview
    key(canvas, Qt.Key_Return)
    np.testing.assert_allclose(doodle.strokes[0].points[0, :2], [300, 250], atol=1.5)
    assert window.undo_stack.count() == 1
    window.undo_stack.undo()
    np.testing.assert_allclose(doodle.strokes[0].points[0, :2], [200, 200])


def test_arrows_nudge_and_escape_cancels(arranged):
    window, doodle, image = arranged
    canvas = window.canvas
    QTest.mouseClick(canvas, Qt.LeftButton, Qt.NoModifier, QPoint(*map(round, screen(canvas, 600, 650))))
    assert window.layers.active_id == image.id
    key(canvas, Qt.Key_Right)
    key(canvas, Qt.Key_Down, Qt.ShiftModifier)
    key(canvas, Qt.Key_Return)
    assert image.rect == pytest.approx((501, 610, 200, 100))
    key(canvas, Qt.Key_Left, Qt.ShiftModifier)
    QTest.keyClick(window, Qt.Key_Escape)
    assert image.rect == pytest.approx((501, 610, 200, 100)) and not canvas.busy()


def test_corner_scales_with_shift_keeping_the_aspect(arranged):
    window, doodle, image = arranged
    canvas = window.canvas
    QTest.mouseClick(canvas, Qt.LeftButton, Qt.NoModifier, QPoint(*map(round, screen(canvas, 600, 650))))
    drag(canvas, screen(canvas, 700, 700), screen(canvas, 800, 710), Qt.ShiftModifier)
    key(canvas, Qt.Key_Return)
    x, y, w, h = image.rect
    assert (x, y) == pytest.approx((500, 600), abs=1) and w == pytest.approx(300, abs=3)
    assert w / h == pytest.approx(2.0, rel=1e-3)


def test_rotate_handle_with_shift_snaps_to_15_degrees(arranged):
    window, doodle, image = arranged
    canvas = window.canvas
    QTest.mouseClick(canvas, Qt.LeftButton, Qt.NoModifier, QPoint(*map(round, screen(canvas, 600, 650))))
    tool = canvas.current_tool()
    handle = tool.transformer._rotate_handle()
    centre = screen(canvas, 600, 650)
    # drag the handle round the centre by about 40 degrees
    r = math.hypot(handle.x() - centre[0], handle.y() - centre[1])
    a = math.atan2(handle.y() - centre[1], handle.x() - centre[0]) + math.radians(40)
    drag(canvas, (handle.x(), handle.y()), (centre[0] + r * math.cos(a), centre[1] + r * math.sin(a)),
         Qt.ShiftModifier)
    assert tool.transformer.geometry()[4] == pytest.approx(45, abs=1e-6)
    key(canvas, Qt.Key_Return)
    placed = affine.compose(image.transform, affine.rect_to_rect((0, 0, 1, 1), image.rect))
    w, h, angle, flipped = affine.decompose(placed)
    assert angle == pytest.approx(45) and not flipped
    x0, y0, x1, y1 = image.bounds()
    assert ((x0 + x1) / 2, (y0 + y1) / 2) == pytest.approx((600, 650))  # about its centre
    assert np.array_equal(image.pixels[..., 0], np.full((50, 100), 220))  # source pixels untouched


def test_flip_and_typed_values_in_the_options_bar(arranged):
    window, doodle, image = arranged
    canvas = window.canvas
    window.layers.select(doodle.id)
    QTest.keyClick(window, Qt.Key_T, Qt.ControlModifier)
    assert canvas.tool == "move"
    options = canvas.current_tool().options_widget()
    assert options.isVisible() and options.boxes["w"].value() == pytest.approx(108)
    options.buttons["flip_h"].click()
    options.boxes["x"].setValue(50)
    options.boxes["w"].setValue(216)
    options.buttons["apply"].click()
    (stroke,) = doodle.strokes
    assert stroke.points[:, 0].min() == pytest.approx(50 + 8, abs=0.1)  # box includes the pen's width
    assert stroke.points[1, 0] < stroke.points[0, 0]  # mirrored: the first edge now runs leftwards
    assert stroke.width == pytest.approx(8 * math.sqrt(2), rel=1e-3)  # 2x wide, 1x tall
    assert window.undo_stack.count() == 1


def test_clicking_empty_page_deselects_and_drawing_still_works_after(arranged):
    window, doodle, image = arranged
    canvas = window.canvas
    QTest.mouseClick(canvas, Qt.LeftButton, Qt.NoModifier, QPoint(*map(round, screen(canvas, 600, 650))))
    assert canvas.current_tool().transformer.target is not None
    QTest.mouseClick(canvas, Qt.LeftButton, Qt.NoModifier, QPoint(*map(round, screen(canvas, 100, 1000))))
    assert canvas.current_tool().transformer.target is None
    QTest.keyClick(canvas, Qt.Key_B)
    assert canvas.tool == "brush"


def test_saving_applies_a_pending_transform(arranged, tmp_path):
    window, doodle, image = arranged
    canvas = window.canvas
    QTest.mouseClick(canvas, Qt.LeftButton, Qt.NoModifier, QPoint(*map(round, screen(canvas, 600, 650))))
    key(canvas, Qt.Key_Right, Qt.ShiftModifier)
    assert image.rect[0] == 500
    assert window.save_to(tmp_path / "a.artdesk")
    assert image.rect[0] == 510 and not canvas.busy()


def test_ctrl_t_on_a_selection_and_undo_under_a_pending_transform(arranged):
    window, doodle, image = arranged
    canvas = window.canvas
    extra = Stroke.from_xy([(600, 200), (700, 200)], width=8)
    doodle.strokes.append(extra)
    window.layers.select(doodle.id)
    window.set_tool("select")
    drag(canvas, screen(canvas, 550, 150), screen(canvas, 750, 250))
    assert canvas.selection.strokes == [extra]
    QTest.keyClick(window, Qt.Key_T, Qt.ControlModifier)
    tool = canvas.current_tool()
    assert canvas.tool == "move" and tool.transformer.target.strokes == [extra]
    key(canvas, Qt.Key_Down, Qt.ShiftModifier)
    key(canvas, Qt.Key_Return)
    assert doodle.strokes[1].points[0, 1] == pytest.approx(210)
    assert doodle.strokes[0].points[0, 1] == 200  # the square stayed
    key(canvas, Qt.Key_Up)
    window.undo_stack.undo()  # undo drops the pending nudge and takes back the applied move
    assert doodle.strokes[1] is extra and not canvas.busy()


def test_a_tiny_layer_is_moved_not_scaled_by_a_press_on_it(window):
    canvas = window.canvas
    QTest.mouseClick(canvas, Qt.LeftButton, Qt.NoModifier, QPoint(400, 300))  # a dot, one click
    (dot,) = window.document.layers[0].strokes
    width = dot.width
    QTest.keyClick(canvas, Qt.Key_V)
    drag(canvas, (400, 300), (460, 340))
    QTest.keyClick(canvas, Qt.Key_Return)
    (moved,) = window.document.layers[0].strokes
    assert moved.width == pytest.approx(width)
    np.testing.assert_allclose(moved.points[0, :2] - dot.points[0, :2], [60 / canvas.zoom, 40 / canvas.zoom], atol=0.5)


def test_ctrl_t_from_the_layer_list_takes_the_arrows(arranged):
    window, doodle, image = arranged
    window.layers.list.setFocus()
    window.layers.select(image.id)
    QTest.keyClick(window.layers.list, Qt.Key_T, Qt.ControlModifier)
    QTest.keyClick(window.focusWidget(), Qt.Key_Up, Qt.ShiftModifier)
    QTest.keyClick(window.focusWidget(), Qt.Key_Return)
    assert image.rect[1] == pytest.approx(590) and window.layers.active_id == image.id


def test_dragging_just_outside_a_corner_rotates(arranged):
    window, doodle, image = arranged
    canvas = window.canvas
    QTest.mouseClick(canvas, Qt.LeftButton, Qt.NoModifier, QPoint(*map(round, screen(canvas, 600, 650))))
    corner = screen(canvas, 700, 700)
    start = (corner[0] + 14, corner[1] + 10)
    centre = screen(canvas, 600, 650)
    angle = math.atan2(start[1] - centre[1], start[0] - centre[0]) + math.radians(30)
    r = math.hypot(start[0] - centre[0], start[1] - centre[1])
    drag(canvas, start, (centre[0] + r * math.cos(angle), centre[1] + r * math.sin(angle)))
    assert canvas.current_tool().transformer.geometry()[4] == pytest.approx(30, abs=2)


def test_a_pen_drags_a_layer_with_the_move_tool(arranged):
    from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent

    window, doodle, image = arranged
    canvas = window.canvas
    device = QPointingDevice("test pen", 1, QInputDevice.DeviceType.Stylus, QPointingDevice.PointerType.Pen,
                             QInputDevice.Capability.Position | QInputDevice.Capability.Pressure, 1, 2)

    def pen(kind, pos, pressure):
        buttons = Qt.NoButton if kind == QTabletEvent.Type.TabletRelease else Qt.LeftButton
        event = QTabletEvent(kind, device, QPointF(*pos), QPointF(canvas.mapToGlobal(QPointF(*pos))), pressure,
                             0.0, 0.0, 0.0, 0.0, 0.0, Qt.NoModifier, Qt.LeftButton, buttons)
        QApplication.sendEvent(canvas, event)

    a, b = screen(canvas, 600, 650), screen(canvas, 600, 550)
    pen(QTabletEvent.Type.TabletPress, a, 0.6)
    for t in (0.25, 0.5, 0.75, 1.0):
        pen(QTabletEvent.Type.TabletMove, (a[0], a[1] + (b[1] - a[1]) * t), 0.6)
    pen(QTabletEvent.Type.TabletRelease, b, 0.0)
    key(canvas, Qt.Key_Return)
    assert image.rect[1] == pytest.approx(500, abs=1.5) and image.rect[0] == pytest.approx(500, abs=1.5)
