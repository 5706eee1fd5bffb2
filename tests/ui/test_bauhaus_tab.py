"""The Bauhaus tab, driven through its real widgets in the real main window."""

import numpy as np
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from artdesk.document.model import RasterLayer
from artdesk.engines import bauhaus


def bauhaus_tab(window):
    tab = window.panel.tabs["Bauhaus"]
    window.panel.setCurrentWidget(tab)
    return tab


def raster_layers(window):
    return [layer for layer in window.document.layers if isinstance(layer, RasterLayer)]


def set_size(tab, width, height, block=1, seed=1):
    tab.width_box.setValue(width)
    tab.height_box.setValue(height)
    tab.block.setValue(block)
    tab.seed.setValue(seed)


def paint_and_wait(qtbot, window, tab, click=True):
    before = len(raster_layers(window))
    if click:
        qtbot.mouseClick(tab.paint_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(raster_layers(window)) == before + 1, timeout=10000)
    return raster_layers(window)[-1]


def colours(pixels):
    return {tuple(c) for c in np.unique(pixels[..., :3].reshape(-1, 3), axis=0)}


def kandinsky_files(shared_data, n):
    return sorted((shared_data / "paintings" / "kandinsky_384").glob("*.jpg"))[:n]


def test_defaults_and_paint_with_builtin_chain_is_one_undo_step(window, qtbot):
    tab = bauhaus_tab(window)
    assert tab.current_key() == "kandinsky_scan_o3"
    assert (tab.width_box.value(), tab.height_box.value(), tab.block.value(), tab.seed.value()) \
        == (450, 540, 4, 1)
    assert tab.order.value() == 3
    set_size(tab, 64, 48, block=2, seed=7)
    before = len(window.document.layers)

    layer = paint_and_wait(qtbot, window, tab)

    assert len(window.document.layers) == before + 1
    assert layer.resample == "crisp"
    assert layer.pixels.shape == (48, 64, 4)
    assert (layer.pixels[..., 3] == 255).all()
    chain = bauhaus.load_builtin_chain("kandinsky_scan_o3")
    assert colours(layer.pixels) <= {tuple(c) for c in chain.palette}
    assert (layer.pixels[0::2, 0::2] == layer.pixels[1::2, 1::2]).all()  # 2x2 blocks
    gen = layer.metadata["generation"]
    assert gen == {"engine": "bauhaus", "model": "kandinsky_scan_o3", "order": 3, "palette": 16,
                   "context": "scanline", "seed": 7, "block": 2, "size": [64, 48]}
    assert tab.preview.pixmap() is not None and not tab.preview.pixmap().isNull()
    qtbot.waitUntil(lambda: tab.paint_button.text() == "Paint", timeout=2000)

    window.undo_stack.undo()
    assert len(window.document.layers) == before
    assert layer not in window.document.layers


def test_same_seed_paints_the_same_picture_and_ctrl_return_paints(window, qtbot):
    tab = bauhaus_tab(window)
    tab.model_combo.setCurrentIndex(tab.model_combo.findData("kandinsky_2d_o5"))
    assert tab.order.value() == 5
    tab.order.setValue(4)  # paints with orders 0..4 of the order-5 chain
    set_size(tab, 40, 40, block=1, seed=123)
    first = paint_and_wait(qtbot, window, tab)
    assert first.metadata["generation"]["order"] == 4
    assert first.metadata["generation"]["context"] == "2d"

    window.activateWindow()
    tab.seed.setFocus()
    QTest.keyClick(tab.seed, Qt.Key_Return, Qt.ControlModifier)
    second = paint_and_wait(qtbot, window, tab, click=False)
    assert second is not first
    np.testing.assert_array_equal(first.pixels, second.pixels)

    qtbot.mouseClick(tab.new_seed_button, Qt.LeftButton)
    assert tab.seed.value() != 123
    third = paint_and_wait(qtbot, window, tab)
    assert not np.array_equal(first.pixels, third.pixels)


def test_preview_shows_while_painting_and_cancel_adds_no_layer(window, qtbot):
    tab = bauhaus_tab(window)
    set_size(tab, 4096, 4096, block=1)
    before = len(window.document.layers)
    qtbot.mouseClick(tab.paint_button, Qt.LeftButton)
    job = tab.paint_job
    qtbot.waitUntil(lambda: tab.preview.pixmap() is not None and not tab.preview.pixmap().isNull(),
                    timeout=10000)
    assert not job.done  # the preview came from a partial painting
    window.jobs.cancel_all()
    qtbot.waitUntil(lambda: job.done, timeout=5000)
    QApplication.processEvents()
    assert job.outcome == "cancelled"
    assert len(window.document.layers) == before
    assert not window.undo_stack.canUndo()
    qtbot.waitUntil(lambda: tab.paint_button.text() == "Paint", timeout=2000)


def test_learn_from_two_kandinsky_pictures_then_paint(window, qtbot, shared_data):
    tab = bauhaus_tab(window)
    first, second = kandinsky_files(shared_data, 2)
    tab.add_images([str(first)])
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(second))])
    enter = QDragEnterEvent(QPoint(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(tab.image_list.viewport(), enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(tab.image_list.viewport(), drop)
    assert tab.image_paths() == [str(first), str(second)]

    tab.palette_size.setValue(8)
    tab.context.setCurrentIndex(tab.context.findData("2d"))
    tab.order.setValue(2)
    count = tab.model_combo.count()
    qtbot.mouseClick(tab.learn_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: tab.model_combo.count() == count + 1, timeout=10000)
    assert tab.model_combo.currentText() == "My pictures"
    chain = tab.current_chain()
    assert (chain.palette_size, chain.order, chain.context) == (8, 2, "2d")
    assert chain.info["images"] == 2
    qtbot.waitUntil(lambda: tab.learn_button.isEnabled(), timeout=2000)

    set_size(tab, 48, 32, block=1, seed=5)
    layer = paint_and_wait(qtbot, window, tab)
    gen = layer.metadata["generation"]
    assert gen["model"].startswith("my pictures") and gen["palette"] == 8 and gen["seed"] == 5
    assert gen["learned_from"] == [first.name, second.name]
    assert colours(layer.pixels) <= {tuple(c) for c in chain.palette}
    assert (layer.pixels[..., 3] == 255).all() and layer.resample == "crisp"

    saved = tab.chain_info.text()
    assert "8 colours" in saved and "2D" in saved


def test_corrupt_picture_gives_an_error_and_learns_nothing(window, qtbot, shared_data, tmp_path):
    tab = bauhaus_tab(window)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a picture")
    tab.add_images([str(kandinsky_files(shared_data, 1)[0]), str(bad)])
    count = tab.model_combo.count()
    with qtbot.waitSignal(window.jobFailed, timeout=10000):
        qtbot.mouseClick(tab.learn_button, Qt.LeftButton)
    title, message = window.last_message
    assert title == "Learning from your pictures failed"
    assert "bad.png" in message and "Remove it from the list" in message
    assert tab.model_combo.count() == count
    qtbot.waitUntil(lambda: tab.learn_button.isEnabled(), timeout=2000)
    assert window.document.layers and not window.undo_stack.canUndo()


def test_learn_from_raster_layers_and_save_open_the_chain(window, qtbot, shared_data, tmp_path):
    tab = bauhaus_tab(window)
    tab.use_layers.setChecked(False)
    tab.learn()  # nothing on the list, layers not ticked
    assert window.last_message[0] == "Nothing to learn from"

    window.import_files([str(kandinsky_files(shared_data, 3)[2])])
    assert tab.image_list.count() == 0
    qtbot.mouseClick(tab.use_layers, Qt.LeftButton)
    assert tab.use_layers.isChecked() and tab.learn_button.isEnabled()
    tab.palette_size.setValue(6)
    tab.order.setValue(1)
    qtbot.mouseClick(tab.learn_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: tab.current_key().startswith("learned:"), timeout=10000)
    chain = tab.current_chain()
    assert chain.palette_size == 6 and chain.order == 1 and chain.info["images"] == 1
    assert tab.save_button.isEnabled()

    path = tmp_path / "mine"
    assert tab.save_chain_to(str(path))
    assert tab.open_chain(str(tmp_path / "mine.npz"))
    assert tab.model_combo.currentText() == "mine"
    reopened = tab.current_chain()
    np.testing.assert_array_equal(reopened.palette, chain.palette)

    assert not tab.open_chain(str(tmp_path / "missing.npz"))
    assert window.last_message[0] == "Cannot open this chain"
