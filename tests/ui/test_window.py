"""The real main window, driven with synthetic mouse and tablet events."""

import time

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from artdesk.document.model import RasterLayer, VectorLayer
from artdesk.document.project import load_project
from artdesk.engines.progress import Progress


def draw(canvas, points, button=Qt.LeftButton):
    QTest.mousePress(canvas, button, Qt.NoModifier, QPoint(*points[0]))
    for p in points[1:]:
        QTest.mouseMove(canvas, QPoint(*p))
    QTest.mouseRelease(canvas, button, Qt.NoModifier, QPoint(*points[-1]))


def pen(pointer=QPointingDevice.PointerType.Pen):
    return QPointingDevice("test pen", 1, QInputDevice.DeviceType.Stylus, pointer,
                           QInputDevice.Capability.Position | QInputDevice.Capability.Pressure, 1, 2)


def tablet(canvas, device, kind, pos, pressure):
    buttons = Qt.NoButton if kind == QTabletEvent.Type.TabletRelease else Qt.LeftButton
    event = QTabletEvent(kind, device, QPointF(*pos), QPointF(canvas.mapToGlobal(QPoint(*pos))), pressure,
                         0.0, 0.0, 0.0, 0.0, 0.0, Qt.NoModifier, Qt.LeftButton, buttons)
    QApplication.sendEvent(canvas, event)
    return event


def pen_stroke(canvas, device, points):
    tablet(canvas, device, QTabletEvent.Type.TabletPress, points[0][:2], points[0][2])
    for x, y, p in points[1:]:
        tablet(canvas, device, QTabletEvent.Type.TabletMove, (x, y), p)
    tablet(canvas, device, QTabletEvent.Type.TabletRelease, points[-1][:2], 0.0)


def strokes(window):
    return [s for layer in window.document.vector_layers() for s in layer.strokes]


def test_mouse_draws_a_stroke_in_document_units(window):
    canvas = window.canvas
    draw(canvas, [(200, 200), (220, 210), (260, 240), (300, 300)])
    (stroke,) = strokes(window)
    assert len(stroke.points) == 4 and (stroke.points[:, 2] == 1.0).all()
    expected = canvas.to_document(QPointF(300, 300))
    assert stroke.points[-1, 0] == pytest.approx(expected.x(), abs=1e-3)
    assert np.all(np.diff(stroke.points[:, 3]) >= 0)  # t increases
    assert window.isWindowModified()


def test_tablet_pressure_sets_width_and_eraser_end_erases(window):
    canvas = window.canvas
    pen_stroke(canvas, pen(), [(150, 150, 0.1), (180, 160, 0.5), (220, 170, 0.9), (260, 175, 0.3)])
    (stroke,) = strokes(window)
    np.testing.assert_allclose(stroke.points[:, 2], [0.1, 0.5, 0.9, 0.3], atol=1e-6)
    draw(canvas, [(150, 400), (300, 400)])
    assert len(strokes(window)) == 2
    pen_stroke(canvas, pen(QPointingDevice.PointerType.Eraser), [(210, 168, 1.0), (215, 170, 1.0)])
    remaining = strokes(window)
    assert len(remaining) == 1 and remaining[0] is not stroke
    window.undo_stack.undo()
    assert len(strokes(window)) == 2


def test_undo_redo_with_shortcuts(window, qtbot):
    canvas = window.canvas
    draw(canvas, [(100, 100), (200, 200)])
    draw(canvas, [(100, 300), (200, 300)])
    assert len(strokes(window)) == 2
    QTest.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert len(strokes(window)) == 1
    QTest.keyClick(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert len(strokes(window)) == 2
    window.set_tool("eraser")
    draw(canvas, [(150, 300), (152, 300)])
    assert len(strokes(window)) == 1
    QTest.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert len(strokes(window)) == 2


def test_layers_panel_edits_are_undoable(window):
    layers = window.layers
    window.new_vector_layer()
    assert len(window.document.layers) == 2
    top = window.document.layers[-1]
    item = layers.list.item(0)
    item.setText("Ink")
    assert top.name == "Ink"
    layers.list.item(0).setCheckState(Qt.Unchecked)
    assert top.visible is False
    layers.opacity.setValue(40)
    layers.opacity.setValue(30)
    assert top.opacity == pytest.approx(0.3)
    window.undo_stack.undo()  # the slider drag is one step
    assert top.opacity == 1.0
    layers.select(top.id)
    layers.buttons["down"].click()
    assert window.document.layers[0] is top
    layers.buttons["delete"].click()
    assert top not in window.document.layers
    for _ in range(2):
        window.undo_stack.undo()
    assert window.document.layers[-1] is top


def test_drawing_on_a_raster_layer_makes_a_vector_layer(window):
    pixels = np.zeros((8, 8, 4), np.uint8)
    window.add_raster_layer(pixels, "Pixels")
    assert window.canvas.tool == "move"  # a placed result comes with its handles (issue 16)
    window.set_tool("brush")
    draw(window.canvas, [(100, 100), (200, 200)])
    kinds = [l.kind for l in window.document.layers]
    assert kinds == ["vector", "raster", "vector"]
    window.undo_stack.undo()  # the stroke and its new layer go in one step
    assert [l.kind for l in window.document.layers] == ["vector", "raster"]


def test_save_open_round_trip_through_the_window(window, tmp_path):
    draw(window.canvas, [(100, 100), (150, 120), (200, 200)])
    path = tmp_path / "mine.artdesk"
    assert window.save_to(path)
    assert not window.isWindowModified()
    window.new_document()
    assert strokes(window) == []
    assert window.open_path(path)
    assert len(strokes(window)) == 1 and window.path == path
    assert "mine.artdesk" in window.windowTitle()


def test_corrupt_file_leaves_document_untouched(window, tmp_path):
    draw(window.canvas, [(100, 100), (200, 200)])
    before = strokes(window)
    (tmp_path / "bad.artdesk").write_bytes(b"PK\x03\x04 definitely not a zip")
    window.ask_save_changes = lambda: QMessageBox.Discard
    assert not window.open_path(tmp_path / "bad.artdesk")
    assert strokes(window) == before and window.isWindowModified()
    assert window.last_message[0] == "Cannot open this file" and "bad.artdesk" in window.last_message[1]


def test_export_from_the_window_is_a_print_png(window, qtbot, tmp_path):
    canvas = window.canvas
    draw(canvas, [(300, 300), (500, 300)])
    out = tmp_path / "shirt.png"
    job = window.export_to(str(out), "png:tshirt")
    qtbot.waitUntil(lambda: job.done, timeout=30000)
    qtbot.waitUntil(lambda: window.last_export is not None, timeout=5000)
    with Image.open(out) as im:
        assert im.size == (4500, 5400) and im.mode == "RGBA"
        px = np.asarray(im)
    assert px[0, 0, 3] == 0
    mid = canvas.to_document(QPointF(400, 300))
    scale = 4500 / window.document.width
    assert px[round(mid.y() * scale), round(mid.x() * scale), 3] == 255


def test_failing_job_shows_error_and_app_stays_usable(window, qtbot):
    def explode():
        yield Progress(0.2, "warming up")
        raise ValueError("model exploded")

    draw(window.canvas, [(100, 100), (200, 200)])
    with qtbot.waitSignal(window.jobFailed, timeout=5000):
        window.run_job("Exploding", explode)
    assert window.last_message == ("Exploding failed", "ValueError: model exploded")
    assert len(strokes(window)) == 1
    results = []
    with qtbot.waitSignal(window.jobs.ended, timeout=5000):
        window.run_job("Fine", lambda: 42, on_result=results.append)
    assert results == [42]
    draw(window.canvas, [(300, 100), (300, 200)])
    assert len(strokes(window)) == 2


def test_cancel_button_stops_a_job(window, qtbot):
    def slow():
        while True:
            time.sleep(0.01)
            yield Progress(0.5, "working")

    job = window.run_job("Slow", slow)
    qtbot.waitUntil(lambda: window.cancel_button.isVisible(), timeout=2000)
    QTest.mouseClick(window.cancel_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: job.done, timeout=1000)
    assert job.outcome == "cancelled"
    qtbot.waitUntil(lambda: not window.cancel_button.isVisible(), timeout=1000)


def test_autosave_and_recovery(window, qtbot, tmp_path):
    from artdesk.ui.main_window import find_recovery_files, offer_recovery

    assert not window.autosave()  # nothing to save yet
    draw(window.canvas, [(100, 100), (200, 200)])
    assert window.autosave() and window.recovery_path.exists()
    assert len(load_project(window.recovery_path).all_strokes()) == 1
    # pretend that file was left by a crashed session (a pid that is not running)
    crashed = window.recovery_path.with_name("recovery-999999.artdesk")
    window.recovery_path.rename(crashed)
    assert find_recovery_files() == [crashed]
    window.ask_save_changes = lambda: QMessageBox.Discard
    window.new_document()
    assert offer_recovery(window, ask=lambda: True)
    assert len(strokes(window)) == 1 and window.isWindowModified()
    assert not crashed.exists()


def test_quit_with_unsaved_changes_asks(window):
    draw(window.canvas, [(100, 100), (200, 200)])
    window.ask_save_changes = lambda: QMessageBox.Cancel
    assert not window.close()
    assert window.isVisible()
    window.ask_save_changes = lambda: QMessageBox.Discard
    assert window.close()


def test_dropped_files_are_imported(window, shared_data, tmp_path):
    Image.new("RGBA", (30, 20), (0, 0, 255, 255)).save(tmp_path / "blue.png")
    window.import_files([str(tmp_path / "blue.png"),
                         str(shared_data / "sketch" / "quickdraw_real" / "cat.ndjson")])
    kinds = [type(l) for l in window.document.layers]
    assert kinds == [VectorLayer, RasterLayer, VectorLayer]
    window.import_files([str(tmp_path / "missing.png")])
    assert "missing.png" in window.last_message[1]
    assert len(window.document.layers) == 3


def test_gallery_keeps_added_patterns(window, tmp_path):
    Image.new("RGB", (64, 64), "orange").save(tmp_path / "dots.png")
    assert window.gallery.add_images([str(tmp_path / "dots.png")]) == 1
    (tmp_path / "junk.png").write_bytes(b"nope")
    assert window.gallery.add_images([str(tmp_path / "junk.png")]) == 0
    from artdesk.ui.gallery import StyleGallery

    again = StyleGallery()
    assert any("dots" in again.list.item(i).data(Qt.UserRole) for i in range(again.list.count()))


def test_zoom_and_pan_keep_drawing_in_place(window):
    canvas = window.canvas
    canvas.set_zoom(2.0, QPointF(300, 300))
    canvas.pan_by(40, -20)
    draw(canvas, [(300, 300), (340, 300)])
    (stroke,) = strokes(window)
    expected = canvas.to_document(QPointF(340, 300))
    assert stroke.points[-1, 0] == pytest.approx(expected.x(), abs=1e-3)
    canvas.fit_to_window()
    assert canvas.zoom < 2.0
