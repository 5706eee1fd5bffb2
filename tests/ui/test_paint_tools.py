"""The painter's everyday tools, driven with real mouse, key and tablet events on the canvas."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from artdesk.document.geometry import pressure_curve, shape_outline, shape_stroke, smooth_points
from artdesk.document.model import Document, RasterLayer, Stroke, TextLayer, VectorLayer
from artdesk.document.project import load_project, save_project
from artdesk.export.png import export_png
from artdesk.export.render import render_document


def widget_point(canvas, x, y) -> QPoint:
    """The widget pixel of document point (x, y)."""
    return canvas.transform().map(QPointF(x, y)).toPoint()


def drag(canvas, points, modifiers=Qt.NoModifier):
    pts = [widget_point(canvas, *p) for p in points]
    QTest.mousePress(canvas, Qt.LeftButton, modifiers, pts[0])
    for p in pts[1:]:
        QTest.mouseMove(canvas, p)
    QTest.mouseRelease(canvas, Qt.LeftButton, modifiers, pts[-1])


def click(canvas, x, y, modifiers=Qt.NoModifier):
    QTest.mouseClick(canvas, Qt.LeftButton, modifiers, widget_point(canvas, x, y))


def strokes(window):
    return [s for layer in window.document.vector_layers() for s in layer.strokes]


def pixel(window, x, y, size=(900, 1080)):
    return render_document(window.document, *size)[int(y), int(x)]


# -- geometry -------------------------------------------------------------------------------------
def test_shape_outlines():
    star = shape_outline("star", 0, 0, 100, 100, sides=5, inner=0.4)
    assert star.shape == (10, 2)
    radii = np.hypot(star[:, 0] - 50, star[:, 1] - 50)
    assert np.allclose(radii[::2], 50) and np.allclose(radii[1::2], 20)
    assert shape_outline("rectangle", 10, 20, 0, 0).tolist() == [[0, 0], [10, 0], [10, 20], [0, 20]]
    assert len(shape_outline("polygon", 0, 0, 10, 10, sides=6)) == 6
    with pytest.raises(ValueError, match="shape"):
        shape_outline("blob", 0, 0, 1, 1)


def test_smoothing_steadies_a_shaky_line():
    rng = np.random.default_rng(0)
    x = np.linspace(0, 300, 120)
    y = 100 + rng.normal(0, 4, len(x))
    pts = np.column_stack([x, y, np.ones_like(x), x / 100]).astype(np.float32)
    wobble = [np.std(np.diff(smooth_points(pts, s)[:, 1])) for s in (0.0, 0.3, 1.0)]
    assert wobble[0] > 2 * wobble[1] > 0 and wobble[1] > wobble[2]
    assert np.allclose(smooth_points(pts, 1.0)[[0, -1], :2], pts[[0, -1], :2])  # the ends stay put


def test_pressure_curve():
    assert pressure_curve(0.25, 0.0) == pytest.approx(0.25)
    assert pressure_curve(0.25, 1.0) > 0.6 and pressure_curve(0.25, -1.0) < 0.01
    assert pressure_curve(1.0, 0.7) == pytest.approx(1.0)


def test_shapes_and_text_round_trip_a_project(tmp_path):
    doc = Document.blank()
    doc.layers[0].strokes.append(shape_stroke("star", 0, 0, 100, 100, "#112233", 4, fill="#ffcc00"))
    marker = Stroke.from_xy([(0, 0), (10, 10)])
    marker.brush = "marker"
    doc.layers[0].strokes.append(marker)
    doc.layers.append(TextLayer("Slogan", text="Hi\nthere", font="DejaVu Serif", size=40, color="#ff0000",
                                x=10, y=20, bold=True))
    save_project(doc, tmp_path / "a.artdesk")
    back = load_project(tmp_path / "a.artdesk")
    star, mark = back.layers[0].strokes
    assert star.closed and star.fill == "#ffcc00" and star.outline and mark.brush == "marker"
    text = back.layers[1]
    assert isinstance(text, TextLayer) and text.style() == doc.layers[1].style()


# -- tools ----------------------------------------------------------------------------------------
def test_star_tool_draws_a_filled_closed_stroke(window):
    window.set_tool("shape")
    options = window.canvas.current_tool().options_widget()
    options.kind.setCurrentIndex(options.kind.findData("star"))
    options.fill.setChecked(True)
    options.colour.set_colour("#ff8800")
    window.set_color(QColor("#000000"))
    drag(window.canvas, [(200, 200), (400, 300), (600, 600)])
    (star,) = strokes(window)
    assert star.closed and star.fill == "#ff8800" and len(star.points) == 10
    assert window.undo_stack.text(window.undo_stack.index() - 1) == "Draw shape"  # as History lists it
    assert tuple(pixel(window, 400, 420)[:3]) == (255, 136, 0)  # inside the star: the fill
    assert pixel(window, 210, 590)[3] == 0  # the box's corner is outside a star
    window.undo_stack.undo()
    assert not strokes(window)


def test_ellipse_with_shift_is_a_circle_and_a_click_draws_nothing(window):
    window.set_tool("shape")
    options = window.canvas.current_tool().options_widget()
    options.kind.setCurrentIndex(options.kind.findData("ellipse"))
    click(window.canvas, 300, 300)
    assert not strokes(window)
    drag(window.canvas, [(100, 100), (300, 200)], Qt.ShiftModifier)
    (circle,) = strokes(window)
    xs, ys = circle.points[:, 0], circle.points[:, 1]
    assert np.ptp(xs) == pytest.approx(np.ptp(ys), rel=0.02) and not circle.fill


def test_keys_choose_the_new_tools(window):
    window.canvas.setFocus()
    for text, name in (("u", "shape"), ("t", "text"), ("g", "bucket"), ("i", "eyedropper"), ("b", "brush")):
        QTest.keyClick(window.canvas, text)
        assert window.canvas.tool == name
    QTest.keyClick(window.canvas, Qt.Key_E, Qt.ShiftModifier)
    assert window.canvas.tool == "pixel_eraser"


def test_text_tool_places_edits_and_moves_a_slogan(window, qtbot, tmp_path):
    window.set_tool("text")
    tool = window.canvas.current_tool()
    click(window.canvas, 100, 700)
    dialog = tool.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.edit.setPlainText("Stay weird")
    dialog.size.setValue(80)
    dialog.colour.set_colour("#cc2255")
    assert tool.preview.text == "Stay weird" and tool.preview.color == "#cc2255"  # shown while typed
    dialog.accept()
    assert tool.preview is None
    text = window.document.layers[-1]
    assert isinstance(text, TextLayer) and text.text == "Stay weird" and text.size == 80
    assert (text.x, text.y) == pytest.approx((100, 700), abs=2)
    # printed crisp: at print size the letters are re-drawn from outlines (full-opacity cores)
    export_png(window.document, tmp_path / "t.png", "tshirt")
    from PIL import Image

    with Image.open(tmp_path / "t.png") as im:
        px = np.asarray(im)[3500:4000, 500:2500]
    assert (px[..., 3] == 255).sum() > 20000 and tuple(px[px[..., 3] == 255][0][:3]) == (0xcc, 0x22, 0x55)
    # click it again: the dialog opens with its words; change them
    x, y = text.x, text.y
    click(window.canvas, x + 20, y + 40)
    edit = tool.dialog
    assert edit is not dialog and edit.edit.toPlainText() == "Stay weird"
    edit.edit.setPlainText("Stay weirder")
    edit.accept()
    assert text.text == "Stay weirder"
    # drag it: it moves, one undo step
    drag(window.canvas, [(x + 20, y + 40), (x + 60, y + 60), (x + 120, y + 90)])
    assert (text.x, text.y) == pytest.approx((x + 100, y + 50), abs=2)
    window.undo_stack.undo()
    assert (text.x, text.y) == pytest.approx((x, y), abs=0.01)
    window.undo_stack.undo()
    assert text.text == "Stay weird"


def test_bucket_fills_a_closed_shape_below_its_outline(window, qtbot):
    window.set_color(QColor("#000000"))
    window.document.layers[0].strokes.append(shape_stroke("rectangle", 200, 200, 500, 500, "#000000", 6))
    window.document.notify("strokes")
    window.set_color(QColor("#2080ff"))
    window.set_tool("bucket")
    click(window.canvas, 350, 350)
    qtbot.waitUntil(lambda: len(window.document.layers) == 2, timeout=30000)
    fill = window.document.layers[0]
    assert isinstance(fill, RasterLayer) and window.document.layers[1].strokes  # the outline stays on top
    assert tuple(pixel(window, 350, 350)[:3]) == (0x20, 0x80, 0xff) and pixel(window, 600, 600)[3] == 0
    assert tuple(pixel(window, 200, 350)[:3]) == (0, 0, 0)  # the outline itself is not painted over
    x, y, w, h = fill.rect
    assert 196 <= x <= 204 and 296 <= w <= 306
    # outside any closed shape: nothing is added, and the person is told why
    click(window.canvas, 700, 800)
    qtbot.waitUntil(lambda: "not closed" in getattr(window, "last_message", ("", ""))[1]
                    or "Click on the page" in getattr(window, "last_message", ("", ""))[1], timeout=30000)
    assert len(window.document.layers) == 2


def test_eyedropper_and_alt_click_pick_colours(window):
    doc = window.document
    layer = doc.layers[0]
    layer.strokes.append(shape_stroke("rectangle", 100, 100, 300, 300, "#000000", 4, fill="#33aa55"))
    layer.strokes.append(shape_stroke("rectangle", 400, 100, 600, 300, "#000000", 4, fill="#aa3355"))
    doc.notify("strokes")
    window.set_tool("eyedropper")
    click(window.canvas, 200, 200)
    assert window.canvas.brush_color.name() == "#33aa55"
    click(window.canvas, 800, 1000)  # bare page: the colour stays
    assert window.canvas.brush_color.name() == "#33aa55"
    window.set_tool("brush")
    click(window.canvas, 500, 200, Qt.AltModifier)
    assert window.canvas.brush_color.name() == "#aa3355" and window.canvas.tool == "brush"
    assert len(layer.strokes) == 2  # Alt+click painted nothing


def test_pixel_eraser_on_an_image_layer(window):
    doc = window.document
    solid = np.zeros((100, 100, 4), np.uint8)
    solid[...] = (10, 200, 10, 255)
    image = RasterLayer("Photo", pixels=solid, rect=(0, 0, 900, 1080))
    window.add_layer(image)
    window.size_box.setValue(40)
    window.set_tool("pixel_eraser")
    drag(window.canvas, [(100, 540), (450, 540), (800, 540)])
    assert image.pixels[50, 50, 3] == 0 and image.pixels[50, 5, 3] == 255 and image.pixels[10, 50, 3] == 255
    window.undo_stack.undo()
    assert image.pixels[50, 50, 3] == 255
    # on a vector layer it erases nothing and says why
    window.layers.select(doc.layers[0].id)
    window.canvas.active_layer_id = doc.layers[0].id
    drag(window.canvas, [(100, 540), (450, 540)])
    assert "image layers" in window.statusBar().currentMessage()


def test_brush_presets_smoothing_and_pressure_curve(window):
    window.set_tool("brush")
    options = window.canvas.current_tool().options_widget()
    options.preset.setCurrentIndex(options.preset.findData("pencil"))
    options.smoothing.setValue(80)
    drag(window.canvas, [(100 + 5 * i, 400 + (12 if i % 2 else -12)) for i in range(40)])
    (stroke,) = strokes(window)
    assert stroke.brush == "pencil" and window.size_box.value() == 5
    assert np.ptp(stroke.points[5:-5, 1]) < 12  # the zigzag (24 units tall) is steadied
    assert window.settings.value("brush_preset") == "pencil"
    # a pen with a soft curve: light pressure already draws wide
    options.preset.setCurrentIndex(options.preset.findData("round"))
    options.smoothing.setValue(0)
    options.curve.setValue(100)
    device = QPointingDevice("test pen", 1, QInputDevice.DeviceType.Stylus, QPointingDevice.PointerType.Pen,
                             QInputDevice.Capability.Position | QInputDevice.Capability.Pressure, 1, 2)

    def tablet(kind, pos, pressure):
        buttons = Qt.NoButton if kind == QTabletEvent.Type.TabletRelease else Qt.LeftButton
        QApplication.sendEvent(window.canvas, QTabletEvent(
            kind, device, QPointF(pos), QPointF(window.canvas.mapToGlobal(pos)), pressure,
            0.0, 0.0, 0.0, 0.0, 0.0, Qt.NoModifier, Qt.LeftButton, buttons))

    tablet(QTabletEvent.Type.TabletPress, QPoint(300, 300), 0.25)
    tablet(QTabletEvent.Type.TabletMove, QPoint(340, 320), 0.25)
    tablet(QTabletEvent.Type.TabletRelease, QPoint(340, 320), 0.0)
    pen = strokes(window)[-1]
    assert pen.points[0, 2] == pytest.approx(float(pressure_curve(0.25, 1.0)), abs=1e-3) and pen.points[0, 2] > 0.6


def test_marker_and_pencil_print_as_they_show(qapp):
    """Screen and print are one renderer: the print (x5) reduced to screen size matches the screen."""
    doc = Document.blank()
    for i, brush in enumerate(("marker", "pencil", "pen")):
        s = Stroke.from_xy([(100 + 4 * t, 200 + 200 * i + 30 * np.sin(t / 8)) for t in range(150)], "#223366", 20)
        s.brush = brush
        doc.layers[0].strokes.append(s)
    screen = render_document(doc, 900, 1080).astype(np.float64)
    big = render_document(doc, 4500, 5400).astype(np.float64)
    reduced = big.reshape(1080, 5, 900, 5, 4).mean(axis=(1, 3))
    for i in range(3):
        band = slice(150 + 200 * i, 250 + 200 * i)
        a, b = screen[band, ..., 3].mean(), reduced[band, ..., 3].mean()
        assert a > 5 and abs(a - b) / a < 0.12  # the same ink coverage on screen and in print
    assert 0.6 < screen[150:250, ..., 3][screen[150:250, ..., 3] > 0].max() / 255 < 0.9  # the marker's ink


def test_bucket_recolours_a_painted_area(qapp):
    from artdesk.engines.progress import run_to_end
    from artdesk.export.bucket import FillRefused, bucket_fill

    doc = Document.blank()
    doc.layers[0].strokes.append(shape_stroke("ellipse", 100, 100, 500, 500, "#000000", 1, fill="#ffcc00",
                                              outline=False))
    layer = run_to_end(bucket_fill(doc, 300, 300, "#0000ff", scale=2.0))
    x, y, w, h = layer.rect
    assert abs(x - 100) < 3 and abs(w - 400) < 5  # the yellow disc, not the page around it
    assert (layer.pixels[..., :3][layer.pixels[..., 3] > 0] == (0, 0, 255)).all()
    assert layer.metadata["fill"]["color"] == "#0000ff"
    with pytest.raises(FillRefused, match="not closed"):
        run_to_end(bucket_fill(doc, 800, 1000, "#0000ff", scale=2.0))  # the open page around the disc


def test_svg_keeps_shapes_closed_and_filled(tmp_path):
    from artdesk.export.vector import svg_text

    doc = Document.blank()
    doc.layers[0].strokes.append(shape_stroke("star", 0, 0, 100, 100, "#112233", 4, fill="#ffcc00", outline=False))
    svg = svg_text(doc)
    assert ' Z"' in svg and 'fill="#ffcc00"' in svg and 'stroke="none"' in svg


def test_move_tool_moves_a_text_and_keeps_a_shapes_fill(window):
    from tests.ui.test_move_tool import drag as move_drag, screen

    doc = window.document
    doc.layers[0].strokes.append(shape_stroke("star", 100, 100, 300, 300, "#000000", 4, fill="#ff0000"))
    text = TextLayer("Slogan", text="HELLO", size=60, x=400, y=600)
    window.add_layer(text)
    window.undo_stack.clear()
    window.canvas.invalidate()
    window.set_tool("move")
    canvas = window.canvas
    canvas.setFocus()
    canvas.repaint()
    x0, y0, x1, y1 = text.bounds()
    assert x1 - x0 > 100 and text.measured is not None  # measured from the font by the renderer
    move_drag(canvas, screen(canvas, (x0 + x1) / 2, (y0 + y1) / 2), screen(canvas, (x0 + x1) / 2 + 100, (y0 + y1) / 2))
    QTest.keyClick(canvas, Qt.Key_Return)
    assert text.x == pytest.approx(500, abs=1.5) and text.y == pytest.approx(600, abs=1.5) and text.size == 60
    move_drag(canvas, screen(canvas, 200, 200), screen(canvas, 250, 200))
    QTest.keyClick(canvas, Qt.Key_Return)
    star = doc.layers[0].strokes[0]  # picked by its fill (the click was inside, off the outline)
    assert star.closed and star.fill == "#ff0000" and star.points[0, 0] == pytest.approx(250, abs=1.5)
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert text.x == pytest.approx(400)


def test_stroke_eraser_takes_a_filled_shape_by_its_inside(window):
    layer = window.document.layers[0]
    layer.strokes.append(shape_stroke("ellipse", 200, 200, 600, 600, "#000000", 4, fill="#00aa00"))
    window.document.notify("strokes", layer.id)
    window.set_tool("eraser")
    drag(window.canvas, [(400, 400), (410, 405)])
    assert not layer.strokes


def test_bucket_on_a_huge_page_works_at_print_size_at_most(qapp):
    from artdesk.engines.progress import run_to_end
    from artdesk.export.bucket import bucket_fill

    doc = Document(12000, 9000)
    doc.layers.append(VectorLayer("Box", strokes=[shape_stroke("rectangle", 1000, 1000, 5000, 5000, "#000000", 40)]))
    layer = run_to_end(bucket_fill(doc, 3000, 3000, "#ff0000"))
    assert layer.pixels.shape[0] * layer.pixels.shape[1] < 4500 * 5400
    assert abs(layer.rect[2] - 4000) < 60


def test_pixel_eraser_follows_a_flipped_layer(qapp):
    from artdesk.document import affine
    from artdesk.ui.tools.pixel_eraser import erase_pixels

    solid = np.full((100, 100, 4), 255, np.uint8)
    layer = RasterLayer("Photo", pixels=solid, rect=(0, 0, 900, 1080), transform=affine.scale(-1, 1, 450, 0))
    out = erase_pixels(layer, [(45, 540)], 40)  # the left of the page shows the layer's right edge
    assert out[50, 95, 3] == 0 and out[50, 5, 3] == 255


def test_turning_a_text_with_a_transform_keeps_it_text(qapp, tmp_path):
    from artdesk.document import affine
    from artdesk.document.commands import TransformLayer
    from artdesk.export.render import text_path

    doc = Document.blank()
    text = TextLayer("Slogan", text="TILT", size=80, x=300, y=300)
    doc.layers.append(text)
    upright = text_path(text).boundingRect()
    turn = TransformLayer(text.id, affine.rotate(90, 300, 300))
    turn.do(doc)
    assert text.angle == pytest.approx(90) and (text.x, text.y) == pytest.approx((300, 300))
    turned = text_path(text).boundingRect()
    assert turned.width() == pytest.approx(upright.height(), rel=0.05)  # standing on its side
    save_project(doc, tmp_path / "t.artdesk")
    assert load_project(tmp_path / "t.artdesk").layers[-1].angle == pytest.approx(90)
    turn.undo(doc)
    assert text.angle == 0
