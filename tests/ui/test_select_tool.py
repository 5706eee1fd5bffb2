"""Selection, clipboard and layer operations, driven with mouse and keys on the real window."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtTest import QTest

from artdesk.document.model import RasterLayer, Stroke, VectorLayer


def at(canvas, x, y) -> QPoint:
    p = canvas.transform().map(QPointF(x, y))
    return QPoint(round(p.x()), round(p.y()))


def drag(canvas, points):
    QTest.mousePress(canvas, Qt.LeftButton, Qt.NoModifier, at(canvas, *points[0]))
    for p in points[1:]:
        QTest.mouseMove(canvas, at(canvas, *p))
    QTest.mouseRelease(canvas, Qt.LeftButton, Qt.NoModifier, at(canvas, *points[-1]))


@pytest.fixture
def doodles(window):
    layer = window.document.layers[0]
    left = Stroke.from_xy([(100, 100), (200, 150)], width=6)
    right = Stroke.from_xy([(600, 600), (700, 650)], width=6)
    layer.strokes[:] = [left, right]
    window.canvas.layer_images.forget()
    window.canvas.invalidate()
    window.canvas.setFocus()
    return window, layer, left, right


def test_rectangle_selects_strokes_and_dragging_moves_only_them(doodles):
    window, layer, left, right = doodles
    canvas = window.canvas
    QTest.keyClick(canvas, Qt.Key_M)
    assert canvas.tool == "select"
    drag(canvas, [(50, 50), (300, 300)])
    assert canvas.selection.strokes == [left]
    drag(canvas, [(150, 125), (170, 165), (200, 225)])  # drag inside the box
    QTest.keyClick(canvas, Qt.Key_Return)
    moved, still = layer.strokes
    np.testing.assert_allclose(moved.points[0, :2], [150, 200], atol=1.5)
    assert still is right and window.undo_stack.count() == 1
    assert canvas.selection.strokes == [moved]  # the selection follows the strokes


def test_lasso_delete_and_select_all(doodles):
    window, layer, left, right = doodles
    canvas = window.canvas
    QTest.keyClick(canvas, Qt.Key_L)
    drag(canvas, [(550, 550), (800, 560), (790, 700), (560, 690)])
    assert canvas.selection.strokes == [right]
    QTest.keyClick(canvas, Qt.Key_Delete)
    assert layer.strokes == [left]
    QTest.keyClick(canvas, Qt.Key_A, Qt.ControlModifier)
    assert canvas.selection.strokes == [left]
    QTest.keyClick(canvas, Qt.Key_A, Qt.ControlModifier | Qt.ShiftModifier)
    assert canvas.selection is None
    QTest.keyClick(canvas, Qt.Key_A, Qt.ControlModifier)
    QTest.keyClick(canvas, Qt.Key_D, Qt.ControlModifier)
    assert canvas.selection is None


def test_copy_paste_through_the_system_clipboard(doodles):
    window, layer, left, right = doodles
    canvas = window.canvas
    QTest.keyClick(canvas, Qt.Key_M)
    drag(canvas, [(50, 50), (300, 300)])
    QTest.keyClick(canvas, Qt.Key_C, Qt.ControlModifier)
    image = QGuiApplication.clipboard().image()
    assert not image.isNull() and image.width() == pytest.approx(106, abs=2)  # the stroke, as a picture
    QTest.keyClick(canvas, Qt.Key_V, Qt.ControlModifier)
    pasted = window.document.layers[-1]
    assert isinstance(pasted, VectorLayer) and len(pasted.strokes) == 1
    np.testing.assert_allclose(pasted.strokes[0].points, left.points)  # in place, a copy
    assert pasted.strokes[0] is not left and canvas.tool == "move"
    # an image from another program lands on a raster layer of its own, a third of the page wide
    other = QImage(400, 300, QImage.Format_RGBA8888)
    other.fill(Qt.red)
    QGuiApplication.clipboard().setImage(other)
    QTest.keyClick(canvas, Qt.Key_V, Qt.ControlModifier)
    top = window.document.layers[-1]
    assert isinstance(top, RasterLayer) and top.pixels.shape == (300, 400, 4)
    assert top.rect[2] == pytest.approx(window.document.width / 3)


def test_pixel_selection_lifts_onto_its_own_layer_when_dragged(window):
    pixels = np.zeros((100, 100, 4), np.uint8)
    pixels[..., 1] = 180
    pixels[..., 3] = 255
    window.add_raster_layer(pixels, "Green", rect=(100, 100, 400, 400))
    layer = window.document.layers[-1]
    canvas = window.canvas
    steps = window.undo_stack.count()
    window.set_tool("select")
    drag(canvas, [(100, 100), (300, 300)])  # the top-left quarter
    assert canvas.selection is not None and canvas.selection.strokes is None
    drag(canvas, [(200, 200), (400, 200), (600, 200)])
    QTest.keyClick(canvas, Qt.Key_Return)
    piece = window.document.layers[-1]
    assert piece is not layer and piece.pixels.shape[:2] == (50, 50)
    assert piece.rect == pytest.approx((500, 100, 200, 200), abs=1.5)
    assert layer.pixels[:50, :50, 3].max() == 0 and layer.pixels[60:, 60:, 3].min() == 255
    assert window.undo_stack.count() == steps + 1  # lifting and moving the pixels: one step
    assert window.undo_stack.undoText() == "Move selection"
    window.undo_stack.undo()
    assert window.document.layers[-1] is layer and layer.pixels[:50, :50, 3].min() == 255


def test_ctrl_j_duplicates_flip_and_merge_down(doodles):
    window, layer, left, right = doodles
    canvas = window.canvas
    QTest.keyClick(canvas, Qt.Key_J, Qt.ControlModifier)
    copy = window.document.layers[-1]
    assert copy.name == "Drawing copy" and len(copy.strokes) == 2 and window.layers.active_id == copy.id
    window.act["flip_h"].trigger()
    xs = copy.strokes[0].points[:, 0]
    assert xs[0] > xs[1]  # mirrored
    window.act["merge_down"].trigger()
    assert len(window.document.layers) == 1 and len(window.document.layers[0].strokes) == 4
    window.undo_stack.undo()
    assert len(window.document.layers) == 2


def test_context_menus_offer_the_arranging_actions(doodles):
    window = doodles[0]
    texts = [a.text() for a in window.compose.canvas_menu().actions()]
    assert "Free &transform" in texts and "&Paste" in texts and "Flip &horizontally" in texts
    texts = [a.text() for a in window.compose.layer_menu().actions()]
    assert "&Merge down" in texts and "Delete layer" in texts


def test_ctrl_t_on_a_pixel_selection_lifts_and_transforms_it_in_one_step(window):
    pixels = np.zeros((100, 100, 4), np.uint8)
    pixels[..., 0] = 200
    pixels[..., 3] = 255
    window.add_raster_layer(pixels, "Red", rect=(100, 100, 400, 400))
    layer = window.document.layers[-1]
    canvas = window.canvas
    steps = window.undo_stack.count()
    window.set_tool("lasso")
    drag(canvas, [(300, 300), (500, 300), (500, 500), (300, 500)])  # the bottom-right quarter
    QTest.keyClick(window, Qt.Key_T, Qt.ControlModifier)
    piece = window.document.layers[-1]
    assert canvas.tool == "move" and piece is not layer
    assert canvas.current_tool().transformer.target.layer_id == piece.id
    canvas.current_tool().options_widget().buttons["flip_v"].click()
    QTest.keyClick(canvas, Qt.Key_Return)
    assert window.undo_stack.count() == steps + 1 and affine_flipped(piece)
    window.undo_stack.undo()
    assert window.document.layers[-1] is layer and layer.pixels[60:, 60:, 3].min() == 255


def affine_flipped(layer) -> bool:
    from artdesk.document import affine

    return affine.decompose(affine.compose(layer.transform, affine.rect_to_rect((0, 0, 1, 1), layer.rect)))[3]
