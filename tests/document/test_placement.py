"""Sensible placement: new things get their own layer, a third of the page wide at the view's
centre or the drop point, on the page, with handles; Continue reads one layer, never a guide."""

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from artdesk.document.model import Document, RasterLayer, Stroke, VectorLayer
from artdesk.document.placement import place_layer, place_rect


def test_place_rect_is_a_third_wide_and_stays_on_the_page():
    doc = Document(900, 1080)
    assert place_rect(400, 300, doc) == pytest.approx((300, 427.5, 300, 225))
    x, y, w, h = place_rect(400, 300, doc, center=(890, 5))  # a drop at the corner
    assert (x + w, y) == pytest.approx((900, 0)) and w == pytest.approx(300)
    x, y, w, h = place_rect(100, 1000, doc)  # tall things are a third of the page tall
    assert h == pytest.approx(360) and w == pytest.approx(36)


def test_vector_layers_keep_their_pen_width():
    doc = Document(900, 1080)
    layer = VectorLayer(name="d", strokes=[Stroke.from_xy([(0, 0), (5000, 2500)], width=7)])
    place_layer(layer, doc, center=(450, 540))
    xy = layer.strokes[0].points[:, :2]
    assert np.ptp(xy[:, 0]) == pytest.approx(300) and layer.strokes[0].width == 7


def test_an_imported_logo_lands_a_third_wide_with_handles(window, tmp_path):
    path = tmp_path / "logo.png"
    Image.fromarray(np.full((300, 400, 4), 200, np.uint8)).save(path)
    window.import_files([str(path)])
    layer = window.document.layers[-1]
    assert isinstance(layer, RasterLayer) and window.layers.active_id == layer.id
    x, y, w, h = layer.rect
    assert (w, h) == pytest.approx((300, 225))
    cx, cy = window.placement_center()
    assert (x + w / 2, y + h / 2) == pytest.approx((cx, cy))
    tool = window.canvas.current_tool()
    assert window.canvas.tool == "move" and tool.transformer.target.layer_id == layer.id
    window.import_files([str(path)], QPointF(880, 20))  # dropped at the page's corner
    x, y, w, h = window.document.layers[-1].rect
    assert x + w <= 900 + 1e-6 and y >= 0


def test_continue_reads_only_the_layer_drawn_in_never_a_guide(window):
    doc = window.document
    guide = RasterLayer(name="Welcome guide", pixels=np.zeros((4, 4, 4), np.uint8), metadata={"guide": True})
    circle = VectorLayer(name="Circle", strokes=[Stroke.from_xy([(100, 100), (200, 100)])])
    doc.layers[:] = [guide, circle, doc.layers[0]]
    drawing = doc.layers[2]
    window.set_document(doc, None)
    window.layers.select(drawing.id)
    window.set_tool("brush")
    QTest.mousePress(window.canvas, Qt.LeftButton, Qt.NoModifier, QPoint(300, 300))
    QTest.mouseMove(window.canvas, QPoint(350, 320))
    QTest.mouseRelease(window.canvas, Qt.LeftButton, Qt.NoModifier, QPoint(350, 320))
    window.layers.select(guide.id)  # the user clicked the guide in the layer list
    tab = window.panel.tabs["Doodle"]
    lines, layer_id = tab._source()
    assert layer_id == drawing.id and len(lines) == 1


def test_new_things_do_not_land_on_each_other(window):
    from artdesk.document.placement import free_center

    pixels = np.full((100, 100, 4), 255, np.uint8)
    boxes = []
    for i in range(4):
        window.add_raster_layer(pixels, f"Result {i}")
        x0, y0, x1, y1 = window.document.layers[-1].bounds()
        assert x0 >= 0 and y0 >= 0 and x1 <= 900 and y1 <= 1080
        for b in boxes:
            overlap = max(0, min(x1, b[2]) - max(x0, b[0])) * max(0, min(y1, b[3]) - max(y0, b[1]))
            assert overlap <= 0.15 * (x1 - x0) * (y1 - y0)
        boxes.append((x0, y0, x1, y1))
    doc = Document(900, 1080)
    assert free_center(1, 1, doc, (450, 540)) == pytest.approx((450, 540))  # an empty page: the centre


def test_continue_on_the_welcome_canvas_extends_the_drawing_layer_only(window, qtbot):
    from artdesk.ui.welcome import open_sample

    assert open_sample(window, "welcome")
    doc = window.document
    guide, circle, drawing = doc.layers
    circle_strokes = list(circle.strokes)
    canvas = window.canvas
    window.set_tool("brush")
    for a, b in (((300, 500), (380, 470)), ((380, 470), (420, 520))):  # a little zigzag in "Drawing"
        QTest.mousePress(canvas, Qt.LeftButton, Qt.NoModifier, QPoint(*a))
        for t in np.linspace(0, 1, 6)[1:]:
            QTest.mouseMove(canvas, QPoint(round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t)))
        QTest.mouseRelease(canvas, Qt.LeftButton, Qt.NoModifier, QPoint(*b))
    assert len(drawing.strokes) == 2
    window.layers.select(guide.id)  # even with the guide chosen in the layer list
    tab = window.panel.tabs["Doodle"]
    tab.start("continue")
    qtbot.waitUntil(lambda: tab.job.done, timeout=60000)
    qtbot.wait(30)
    assert tab.outcome is not None and tab.outcome.request.layer_id == drawing.id
    steps = window.undo_stack.count()
    tab.apply(0)
    assert len(drawing.strokes) > 2 and circle.strokes == circle_strokes
    assert window.undo_stack.count() == steps + 1
