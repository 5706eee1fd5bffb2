"""The exported print shows the layout arranged on screen: a shirt is arranged with the tools
(move, scale, rotate, flip, a moved part of a doodle, a copied layer), exported as the 4500x5400
T-shirt PNG, and compared with the canvas at screen scale."""

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtTest import QTest

from artdesk.document import affine
from artdesk.document.model import RasterLayer, Stroke, VectorLayer
from artdesk.export.render import qimage_to_numpy


def at(canvas, x, y) -> QPoint:
    p = canvas.transform().map(QPointF(x, y))
    return QPoint(round(p.x()), round(p.y()))


def drag(canvas, a, b, steps=5):
    QTest.mousePress(canvas, Qt.LeftButton, Qt.NoModifier, at(canvas, *a))
    for i in range(1, steps + 1):
        QTest.mouseMove(canvas, at(canvas, a[0] + (b[0] - a[0]) * i / steps, a[1] + (b[1] - a[1]) * i / steps))
    QTest.mouseRelease(canvas, Qt.LeftButton, Qt.NoModifier, at(canvas, *b))


def picture(h, w, seed):
    rng = np.random.default_rng(seed)
    px = np.zeros((h, w, 4), np.uint8)
    for _ in range(12):
        y, x = rng.integers(0, h - h // 4), rng.integers(0, w - w // 4)
        px[y: y + h // 4, x: x + w // 4, :3] = rng.integers(0, 255, 3)
    px[..., 3] = 255
    return px


def doodle(cx, cy, r, color):
    t = np.linspace(0, 2 * np.pi, 40)
    ring = Stroke.from_xy(np.column_stack([cx + r * np.cos(t), cy + r * np.sin(t)]), color, 8)
    tail = Stroke.from_xy([(cx + r, cy), (cx + 2 * r, cy + r)], color, 8)
    return [ring, tail]


def screen_page(canvas):
    canvas.layer_images.forget()
    canvas.invalidate()
    canvas.repaint()
    page = canvas.transform().mapRect(QRectF(0, 0, canvas.document.width, canvas.document.height))
    full = qimage_to_numpy(canvas._cache)
    x, y, w, h = (round(v) for v in (page.x(), page.y(), page.width(), page.height()))
    return full[y: y + h, x: x + w, :3].astype(int), (w, h)


def arrange_shirt(window):
    """A portrait, two doodles and a Bauhaus picture, arranged with real mouse and key events."""
    doc = window.document
    canvas = window.canvas
    shirt = RasterLayer(name="Shirt", pixels=np.full((4, 4, 4), 255, np.uint8), rect=(0, 0, doc.width, doc.height))
    doc.layers.insert(0, shirt)  # an opaque page, so screen and print compare pixel for pixel
    window.set_document(doc, None)
    window.add_raster_layer(picture(128, 128, 1), "Portrait")
    portrait = doc.layers[-1]
    window.add_raster_layer(picture(60, 80, 2), "Bauhaus", resample="crisp")
    bauhaus = doc.layers[-1]
    cat = VectorLayer(name="Cat", strokes=doodle(200, 300, 60, "#aa2222"))
    window.place_new_layer(cat, "Place doodle", (250, 250))
    cat = doc.layers[-1]
    bike = VectorLayer(name="Bike", strokes=doodle(600, 800, 80, "#2222aa"))
    window.place_new_layer(bike, "Place doodle", (650, 850))
    bike = doc.layers[-1]
    window.set_tool("move")
    canvas.setFocus()
    # move the portrait up (it sits at the view's centre under the Bauhaus picture's corner)
    x, y, w, h = portrait.rect
    QTest.mouseClick(canvas, Qt.LeftButton, Qt.NoModifier, at(canvas, 600, 50))  # empty page: deselect
    window.layers.select(portrait.id)
    QTest.keyClick(window, Qt.Key_T, Qt.ControlModifier)
    tool = canvas.current_tool()
    drag(canvas, (x + w / 2, y + h / 2), (x + w / 2, y + h / 2 - 280))
    # scale it from its bottom-right corner and rotate it by typing the angle
    drag(canvas, (x + w, y + h - 280), (x + w + 60, y + h - 220))
    tool.options_widget().boxes["angle"].setValue(-12)
    QTest.keyClick(canvas, Qt.Key_Return)
    # the Bauhaus picture: to the lower left, flipped
    window.layers.select(bauhaus.id)
    QTest.keyClick(window, Qt.Key_T, Qt.ControlModifier)
    bx0, by0, bx1, by1 = bauhaus.bounds()
    drag(canvas, ((bx0 + bx1) / 2, (by0 + by1) / 2), ((bx0 + bx1) / 2 - 200, (by0 + by1) / 2 + 330))
    tool.options_widget().buttons["flip_h"].click()
    QTest.keyClick(canvas, Qt.Key_Return)
    # select the tail of the cat doodle and move it; copy the bike layer and nudge the copy
    window.layers.select(cat.id)
    QTest.keyClick(canvas, Qt.Key_M)
    tail = cat.strokes[1]
    tx0, ty0, tx1, ty1 = tail.bounds()
    drag(canvas, (tx0 - 4, ty0 - 4), (tx1 + 4, ty1 + 4))
    assert canvas.selection is not None and canvas.selection.strokes == [tail]
    drag(canvas, ((tx0 + tx1) / 2, (ty0 + ty1) / 2), ((tx0 + tx1) / 2 + 40, (ty0 + ty1) / 2 + 60))
    QTest.keyClick(canvas, Qt.Key_Return)
    window.layers.select(bike.id)
    QTest.keyClick(canvas, Qt.Key_J, Qt.ControlModifier)
    window.set_tool("move")
    for _ in range(12):
        QTest.keyClick(canvas, Qt.Key_Left, Qt.ShiftModifier)
    QTest.keyClick(canvas, Qt.Key_Return)
    window.set_tool("brush")
    return portrait, bauhaus, cat, bike


def test_exported_png_shows_the_layout_on_screen(window, qtbot, tmp_path):
    portrait, bauhaus, cat, bike = arrange_shirt(window)
    assert portrait.transform != affine.IDENTITY and affine.decompose(portrait.transform)[2] == pytest.approx(-12)
    assert affine.decompose(bauhaus.transform)[3]  # flipped
    assert len(window.document.layers) == 7  # shirt, portrait, bauhaus, cat, bike, bike copy, drawing
    on_screen, (w, h) = screen_page(window.canvas)
    out = tmp_path / "shirt.png"
    job = window.export_to(str(out), "png:tshirt")
    qtbot.waitUntil(lambda: job.done, timeout=60000)
    with Image.open(out) as im:
        assert im.size == (4500, 5400)
        printed = np.asarray(im.convert("RGB").resize((w, h), Image.BOX)).astype(int)
    diff = np.abs(printed - on_screen).max(axis=2)
    assert diff.mean() < 4 and np.percentile(diff, 99) < 90, (diff.mean(), np.percentile(diff, 99))
    # the comparison can fail: the same print against the layout before arranging differs a lot
    window.undo_stack.setIndex(0)
    before, _ = screen_page(window.canvas)
    assert np.abs(printed - before).max(axis=2).mean() > 3 * diff.mean() + 5
