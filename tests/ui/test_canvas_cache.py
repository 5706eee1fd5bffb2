"""Per-layer canvas caches: a new stroke is painted onto its layer's image, and what the canvas
shows after the cheap path is what a full redraw shows."""

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from artdesk.document import affine
from artdesk.export.render import qimage_to_numpy


def draw(canvas, points):
    QTest.mousePress(canvas, Qt.LeftButton, Qt.NoModifier, QPoint(*points[0]))
    for p in points[1:]:
        QTest.mouseMove(canvas, QPoint(*p))
    QTest.mouseRelease(canvas, Qt.LeftButton, Qt.NoModifier, QPoint(*points[-1]))


def shown(canvas) -> np.ndarray:
    canvas.repaint()
    return qimage_to_numpy(canvas._cache).astype(int)


def redrawn(canvas) -> np.ndarray:
    canvas.layer_images.forget()
    canvas.invalidate()
    return shown(canvas)


def test_a_new_stroke_redraws_only_its_layer(window):
    canvas = window.canvas
    pixels = np.zeros((40, 40, 4), np.uint8)
    pixels[..., 2] = 200
    pixels[..., 3] = 255
    window.add_raster_layer(pixels, "Blue", rect=(100, 100, 300, 300))
    window.new_vector_layer()
    draw(canvas, [(300, 300), (400, 320)])
    shown(canvas)
    full, incremental = canvas.layer_images.full_renders, canvas.layer_images.incremental
    draw(canvas, [(320, 200), (420, 380), (500, 390)])
    cheap = shown(canvas)
    assert canvas.layer_images.full_renders == full  # no layer drawn again from scratch
    assert canvas.layer_images.incremental == incremental + 1
    assert np.abs(cheap - redrawn(canvas)).max() <= 2


def test_strokes_on_a_lower_layer_and_undo_show_right(window):
    canvas = window.canvas
    draw(canvas, [(300, 300), (400, 320)])
    bottom = window.document.layers[0].id
    window.new_vector_layer()
    draw(canvas, [(200, 300), (500, 300)])
    window.layers.select(bottom)
    draw(canvas, [(350, 200), (350, 450)])
    assert np.abs(shown(canvas) - redrawn(canvas)).max() <= 2
    window.undo_stack.undo()
    assert np.abs(shown(canvas) - redrawn(canvas)).max() <= 2


def test_floating_preview_moves_the_layer_on_screen(window):
    canvas = window.canvas
    draw(canvas, [(300, 300), (400, 300)])
    layer = window.document.layers[0]
    before = shown(canvas)
    canvas.set_floating(layer.id, affine.translate(0, 100 / canvas.zoom))
    moved = shown(canvas)
    canvas.clear_floating()
    assert np.abs(shown(canvas) - before).max() <= 2
    y = int(round(300 * canvas.devicePixelRatioF()))
    x = int(round(350 * canvas.devicePixelRatioF()))
    assert abs(moved[y, x] - before[y, x]).max() > 50  # the ink left...
    assert abs(moved[y + 100, x] - before[y, x]).max() <= 40  # ...and arrived 100 px lower


def test_panning_draws_no_layer_again(window):
    canvas = window.canvas
    draw(canvas, [(300, 300), (400, 320)])
    shown(canvas)
    full = canvas.layer_images.full_renders
    canvas.pan_by(40, -25)
    panned = shown(canvas)
    assert canvas.layer_images.full_renders == full
    assert np.abs(panned - redrawn(canvas)).max() <= 2


def test_erasing_and_undo_redraw_only_where_the_strokes_were(window):
    from artdesk.bench import sample_drawing

    doc = sample_drawing(300)
    window.set_document(doc, None)
    canvas = window.canvas
    shown(canvas)
    full = canvas.layer_images.full_renders
    window.set_tool("eraser")
    victim = doc.layers[0].strokes[10]
    x, y = victim.points[len(victim.points) // 2, :2]
    p = canvas.transform().map(QPointF(float(x), float(y))).toPoint()
    draw(canvas, [(p.x(), p.y()), (p.x() + 1, p.y())])
    assert victim not in doc.layers[0].strokes
    erased = shown(canvas)
    window.undo_stack.undo()
    restored = shown(canvas)
    assert canvas.layer_images.full_renders == full and canvas.layer_images.repairs >= 2
    window.undo_stack.redo()
    assert np.abs(shown(canvas) - erased).max() <= 2
    assert np.abs(erased - redrawn(canvas)).max() <= 3
    window.undo_stack.undo()
    assert np.abs(restored - redrawn(canvas)).max() <= 3


def test_renaming_hiding_and_reordering_draw_no_layer_again(window):
    canvas = window.canvas
    draw(canvas, [(300, 300), (400, 320)])
    window.new_vector_layer()
    draw(canvas, [(200, 300), (450, 300)])
    shown(canvas)
    full = canvas.layer_images.full_renders
    top = window.document.layers[-1]
    item = window.layers.list.item(0)
    item.setText("Ink")
    window.layers.list.item(0).setCheckState(Qt.Unchecked)
    hidden = shown(canvas)
    window.layers.list.item(0).setCheckState(Qt.Checked)
    window.layers.buttons["down"].click()
    moved = shown(canvas)
    assert top.name == "Ink" and canvas.layer_images.full_renders == full
    assert np.abs(moved - redrawn(canvas)).max() <= 2
    assert np.abs(hidden - moved).max() > 50  # hiding showed


def test_zoomed_in_far_the_layer_images_cover_the_widget_and_stay_right(window):
    canvas = window.canvas
    draw(canvas, [(300, 300), (400, 320)])
    canvas.set_zoom(4.0, QPointF(350, 310))
    canvas._zoom_done()
    space, size, origin = canvas._image_space()
    assert size.width() <= canvas.width() * canvas.devicePixelRatioF() + 1  # widget-sized, not page-sized
    draw(canvas, [(200, 200), (600, 500)])
    canvas.pan_by(-30, 12)
    assert np.abs(shown(canvas) - redrawn(canvas)).max() <= 2


def test_a_big_layer_is_drawn_in_slices_and_strokes_drawn_meanwhile_join_it(window, qtbot):
    from artdesk.bench import sample_drawing
    from artdesk.ui.layer_cache import PROGRESSIVE_STROKES

    doc = sample_drawing(PROGRESSIVE_STROKES + 200)
    window.set_document(doc, None)
    canvas = window.canvas
    canvas.repaint()
    assert canvas.layer_images.pending()  # the window shows what is drawn so far, and stays live
    draw(canvas, [(300, 300), (420, 330)])  # a stroke while the layer is still being drawn
    assert canvas.layer_images.pending()
    qtbot.waitUntil(lambda: not canvas.layer_images.pending(), timeout=30000)
    assert len(doc.layers[0].strokes) == PROGRESSIVE_STROKES + 201
    assert np.abs(shown(canvas) - redrawn_whole(canvas)).max() <= 2
    canvas.set_zoom(canvas.zoom * 1.3)
    canvas._sharpen.stop()
    canvas._zoom_done()
    zooming = shown(canvas)  # the old image, scaled, while the sharp one is drawn
    assert canvas.layer_images.pending() and zooming[..., :3].std() > 5
    qtbot.waitUntil(lambda: not canvas.layer_images.pending(), timeout=30000)
    assert np.abs(shown(canvas) - redrawn_whole(canvas)).max() <= 2


def redrawn_whole(canvas) -> np.ndarray:
    canvas.layer_images.forget()
    canvas.invalidate()
    canvas.repaint()
    canvas.layer_images.finish()
    return redrawn_shown(canvas)


def redrawn_shown(canvas) -> np.ndarray:
    canvas.invalidate()
    return shown(canvas)


def test_a_big_layer_just_moved_shows_moved_while_it_is_drawn_again(window, qtbot):
    from artdesk.bench import sample_drawing
    from artdesk.document import affine
    from artdesk.ui.layer_cache import PROGRESSIVE_STROKES

    doc = sample_drawing(PROGRESSIVE_STROKES + 200)
    window.set_document(doc, None)
    canvas = window.canvas
    canvas.repaint()
    canvas.layer_images.finish()
    before = shown(canvas)
    window.layers.select(doc.layers[0].id)
    window.free_transform()
    tool = canvas.current_tool()
    tool.transformer.set_pending(affine.translate(0, 80 / canvas.zoom))
    preview = shown(canvas)
    QTest.keyClick(canvas, Qt.Key_Return)
    just_moved = shown(canvas)
    assert canvas.layer_images.pending()
    assert np.abs(just_moved - preview).mean() < 2 < np.abs(just_moved - before).mean()
    qtbot.waitUntil(lambda: not canvas.layer_images.pending(), timeout=30000)
    assert np.abs(shown(canvas) - preview).mean() < 2
