"""The Portraits tab and `artdesk portrait`, driven through the real widgets in the real main window."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from artdesk.cli import main
from artdesk.document.model import RasterLayer
from artdesk.engines import portrait
from artdesk.engines.progress import run_to_end
from artdesk.runtime import models as runtime_models
from artdesk.ui import portrait_tab as pt

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def models(portrait_models, monkeypatch):
    monkeypatch.setenv("ARTDESK_MODELS", str(portrait_models))
    runtime_models.clear_cache()
    yield portrait_models
    runtime_models.clear_cache()


@pytest.fixture
def tab(window, models):
    tab = window.panel.tabs["Portraits"]
    window.panel.setCurrentWidget(tab)
    return tab


def faces_for(seeds, variation, folder, pick=True):
    """The faces the tab should show (picked, as the tab paints by default)."""
    session = runtime_models.open_session(portrait.MODEL_ID, directory=folder)
    picker = runtime_models.open_session(portrait.PICKER_ID, directory=folder) if pick else None
    return run_to_end(portrait.paint_portraits(list(seeds), variation, session=session, pick=pick, picker=picker))


def raster_layers(window):
    return [layer for layer in window.document.layers if isinstance(layer, RasterLayer)]


def paint_grid(qtbot, tab, seed, variation=0.8, click=True):
    tab.seed.setValue(seed)
    tab.set_variation(variation)
    tab._repaint_timer.stop()
    if click:
        qtbot.mouseClick(tab.paint_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: tab.paint_job is not None and tab.paint_job.done
                    and tab.grid.cells[0].seed == seed and tab.grid.cells[0].variation == variation,
                    timeout=10000)
    return tab.faces()


def place_and_wait(qtbot, window, tab, index):
    before = len(raster_layers(window))
    qtbot.mouseClick(tab.grid.cells[index], Qt.LeftButton)
    qtbot.waitUntil(lambda: len(raster_layers(window)) == before + 1, timeout=10000)
    return raster_layers(window)[-1]


def test_paint_fills_nine_cells_from_consecutive_seeds(window, qtbot, tab, models):
    assert tab.variation_value() == pt.DEFAULT_VARIATION and tab.mode() == "smooth"
    faces = paint_grid(qtbot, tab, 7)
    expected = faces_for(range(7, 16), 0.8, models)
    assert len(faces) == 9
    for cell, face, want in zip(tab.grid.cells, faces, expected):
        np.testing.assert_array_equal(face, want)
        assert cell.pixmap() is not None and not cell.pixmap().isNull()
    assert [c.seed for c in tab.grid.cells] == list(range(7, 16))
    assert tab.paint_button.text() == "Paint"

    faces8 = paint_grid(qtbot, tab, 8)  # the same seed is the same face, wherever in the grid
    np.testing.assert_array_equal(faces8[0], faces[1])

    window.activateWindow()
    tab.seed.setFocus()
    tab.seed.setValue(7)
    QTest.keyClick(tab.seed, Qt.Key_Return, Qt.ControlModifier)  # Ctrl+Return paints
    again = paint_grid(qtbot, tab, 7, click=False)
    np.testing.assert_array_equal(again[4], faces[4])

    tab.set_variation(0.3)  # moving the slider repaints the grid
    qtbot.waitUntil(lambda: tab.grid.cells[0].variation == 0.3, timeout=10000)
    np.testing.assert_array_equal(tab.faces()[0], faces_for([7], 0.3, models)[0])
    assert not window.undo_stack.canUndo()  # painting the grid changes no document


def test_pick_the_clearest_is_on_by_default_and_off_paints_each_seeds_own_face(window, qtbot, tab, models):
    assert tab.pick_box.isChecked()
    picked = paint_grid(qtbot, tab, 20)
    assert all(cell.picked for cell in tab.grid.cells) and f"clearest of {portrait.PICK_POOL}" in tab.hint.text()
    tab.pick_box.setChecked(False)  # unticking repaints the grid, as the variation slider does
    assert not window.setting_bool(pt.CLEARER_KEY, True)  # and is remembered for the next session
    qtbot.waitUntil(lambda: not tab.grid.cells[0].picked and tab.paint_job.done, timeout=10000)
    plain = tab.faces()
    expected = faces_for(range(20, 29), 0.8, models, pick=False)
    assert all(np.array_equal(a, b) for a, b in zip(plain, expected))
    assert any(not np.array_equal(a, b) for a, b in zip(plain, picked))  # the picker chose other faces
    layer = place_and_wait(qtbot, window, tab, 0)
    assert "pick" not in layer.metadata["generation"]
    tab.pick_box.setChecked(True)
    qtbot.waitUntil(lambda: tab.grid.cells[0].picked and tab.paint_job.done, timeout=10000)
    assert all(np.array_equal(a, b) for a, b in zip(tab.faces(), picked))


def test_the_tab_opens_empty_and_paint_again_paints_the_next_nine(window, qtbot, tab, models):
    qtbot.wait(100)  # the tab has been shown: nothing is painted until the user asks
    assert tab.paint_job is None and all(face is None for face in tab.faces())
    assert "Press Paint" in tab.hint.text()

    first = paint_grid(qtbot, tab, 4)
    qtbot.mouseClick(tab.paint_button, Qt.LeftButton)  # the grid already shows seeds 4-12
    qtbot.waitUntil(lambda: tab.grid.cells[0].seed == 13 and tab.paint_job.done, timeout=10000)
    assert tab.seed.value() == 13 and [c.seed for c in tab.grid.cells] == list(range(13, 22))
    assert not np.array_equal(tab.faces()[0], first[0])
    np.testing.assert_array_equal(tab.faces()[0], faces_for([13], 0.8, models)[0])

    tab.set_variation(0.5)  # other settings than the grid's: Paint paints the seed box's nine
    tab._repaint_timer.stop()
    qtbot.mouseClick(tab.paint_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: tab.grid.cells[0].variation == 0.5 and tab.paint_job.done, timeout=10000)
    assert tab.grid.cells[0].seed == 13


def test_click_places_one_print_layer_and_undo_removes_it(window, qtbot, tab, models):
    faces = paint_grid(qtbot, tab, 3)
    tab.upscale.setCurrentIndex(tab.upscale.findData("crisp"))
    before = len(window.document.layers)

    crisp = place_and_wait(qtbot, window, tab, 2)

    assert len(window.document.layers) == before + 1
    assert crisp.resample == "crisp"
    assert crisp.pixels.shape == (1024, 1024, 4) and (crisp.pixels[..., 3] == 255).all()
    assert crisp.metadata == {"generation": {"engine": "portrait", "model": "portrait/kaokore_gan",
                                             "seed": 5, "variation": 0.8, "upscale": "crisp",
                                             "signed": False,
                                             "pick": {"model": "portrait/face_picker", "of": portrait.PICK_POOL,
                                                      "steer": 2.0}}}  # the shipped picker steers
    x, y, w, h = crisp.rect  # square, a third of the page wide, at the view's centre (issue 16)
    doc = window.document
    cx, cy = window.placement_center()
    assert w == h == pytest.approx(doc.width / 3) and (x + w / 2, y + h / 2) == pytest.approx((cx, cy), abs=2)
    side = faces[2].shape[0]  # 64 or 128: whatever the installed generator paints
    k = 1024 // side
    blocks = crisp.pixels.reshape(side, k, side, k, 4)
    assert (blocks == blocks[:, :1, :, :1]).all()  # nearest: every face pixel a k x k block
    np.testing.assert_array_equal(crisp.pixels[::k, ::k], faces[2])
    window.undo_stack.undo()
    assert len(window.document.layers) == before and crisp not in window.document.layers

    tab.upscale.setCurrentIndex(tab.upscale.findData("smooth"))
    smooth = place_and_wait(qtbot, window, tab, 2)
    assert smooth.resample == "smooth" and smooth.pixels.shape == (2304, 2304, 4)
    assert smooth.metadata["generation"]["upscale"] == "smooth"
    assert smooth.metadata["generation"].get("enlarger") == (
        portrait.ENLARGER_ID if (models / "portrait" / "kaokore_sr.onnx").is_file() else None)
    k = 2304 // side
    blocks = smooth.pixels.reshape(side, k, side, k, 4)
    assert not (blocks == blocks[:, :1, :, :1]).all()  # the smooth filter blends across the blocks
    assert (smooth.pixels[..., 3] == 255).all()
    assert window.undo_stack.count() == 1


def test_sign_writes_the_objective_in_the_bottom_right_corner(window, qtbot, tab):
    paint_grid(qtbot, tab, 11)
    plain = place_and_wait(qtbot, window, tab, 0)
    tab.sign_box.setChecked(True)
    signed = place_and_wait(qtbot, window, tab, 0)
    assert signed.metadata["generation"]["signed"] is True
    assert plain.metadata["generation"]["signed"] is False
    changed = np.argwhere((signed.pixels != plain.pixels).any(axis=2))
    side = signed.pixels.shape[0]
    assert len(changed) > 500
    assert changed[:, 0].min() > side * 0.8 and changed[:, 1].min() > side * 0.4


def test_walk_strip_frames_place_and_gif(window, qtbot, tab, models, tmp_path):
    paint_grid(qtbot, tab, 20)
    tab.set_walk_end(1, "from")  # what the cells' right-click menu does
    tab.set_walk_end(6, "to")
    assert (tab.walk_from.value(), tab.walk_to.value()) == (21, 26)
    assert tab.grid.cells[1].badge == "From" and tab.grid.cells[6].badge == "To"
    assert not tab.gif_button.isEnabled()
    tab.frames_box.setValue(7)

    qtbot.mouseClick(tab.walk_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: tab.strip.count() == 7, timeout=10000)
    assert len(tab.frames) == 7
    np.testing.assert_array_equal(tab.frames[0], tab.grid.cells[1].face)
    np.testing.assert_array_equal(tab.frames[-1], tab.grid.cells[6].face)
    assert not np.array_equal(tab.frames[3], tab.frames[0])
    assert tab.gif_button.isEnabled()

    before = len(raster_layers(window))
    item = tab.strip.item(3)
    qtbot.mouseClick(tab.strip.viewport(), Qt.LeftButton, pos=tab.strip.visualItemRect(item).center())
    qtbot.waitUntil(lambda: len(raster_layers(window)) == before + 1, timeout=10000)
    gen = raster_layers(window)[-1].metadata["generation"]
    assert gen["walk"] == {"from": 21, "to": 26, "frames": 7, "frame": 3}
    assert gen["seed"] == 21 and gen["variation"] == 0.8

    tab.ms_box.setValue(50)
    tab.gif_size.setValue(128)
    job = tab.save_gif_to(str(tmp_path / "walk"))
    qtbot.waitUntil(lambda: job.done, timeout=10000)
    assert job.outcome == "result"
    with Image.open(tmp_path / "walk.gif") as gif:
        assert gif.n_frames == 7 and gif.size == (128, 128)
        assert gif.info["duration"] == 50


def test_missing_model_gives_a_sentence_and_the_tab_keeps_working(window, qtbot, tab, models,
                                                                   tmp_path, monkeypatch):
    empty = tmp_path / "no_models"
    empty.mkdir()
    (empty / "manifest.json").write_text(json.dumps({"format": 1, "models": []}))
    monkeypatch.setenv("ARTDESK_MODELS", str(empty))
    runtime_models.clear_cache()
    with qtbot.waitSignal(window.jobFailed, timeout=10000):
        qtbot.mouseClick(tab.paint_button, Qt.LeftButton)
    title, message = window.last_message
    assert title.startswith("Painting portraits") and title.endswith("failed")
    assert message.startswith("No model called 'portrait/kaokore_gan' is installed.")
    assert "Reinstall" in message or "python -m artdesk.training.portrait_gan" in message  # and what to do
    assert "No faces" in tab.hint.text()
    assert all(face is None for face in tab.faces())
    assert not window.undo_stack.canUndo()
    qtbot.waitUntil(lambda: tab.paint_button.text() == "Paint", timeout=2000)

    monkeypatch.setenv("ARTDESK_MODELS", str(models))
    runtime_models.clear_cache()
    assert all(f is not None for f in paint_grid(qtbot, tab, 1))


def test_cli_paint_and_walk_write_files(models, tmp_path, capsys):
    out = tmp_path / "p.png"
    assert main(["portrait", "--seed", "7", "--out", str(out), "--size", "256", "--crisp",
                 "--sign"]) == 0
    with Image.open(out) as im:
        assert im.size == (256, 256)
        assert json.loads(im.info["artdesk:generation"])["seed"] == 7
        pixels = np.asarray(im)
    face = faces_for([7], 0.8, models)[0]
    k = 256 // face.shape[0]
    np.testing.assert_array_equal(pixels[:200:k, :200:k], face[:200 // k, :200 // k])  # crisp, unsigned part
    assert main(["portrait", "paint", "--seed", "7", "--out", str(tmp_path / "q.png")]) == 0
    with Image.open(tmp_path / "q.png") as im:
        assert im.size == (1024, 1024)
    assert main(["portrait", "--seed", "7", "--no-pick", "--crisp", "--size", "128", "--out", str(tmp_path / "r.png")]) == 0
    with Image.open(tmp_path / "r.png") as im:  # the seed's own face, as the tab paints with the box unticked
        assert "pick" not in json.loads(im.info["artdesk:generation"])
        own = faces_for([7], 0.8, models, pick=False)[0]
        np.testing.assert_array_equal(np.asarray(im)[::128 // own.shape[0], ::128 // own.shape[0]][..., :3], own[..., :3])

    gif = tmp_path / "walk.gif"
    assert main(["portrait", "walk", "--from", "7", "--to", "42", "--frames", "5",
                 "--out", str(gif), "--ms", "60", "--size", "96"]) == 0
    with Image.open(gif) as im:
        assert im.n_frames == 5 and im.size == (96, 96) and im.info["duration"] == 60
    assert "walk.gif" in capsys.readouterr().out


def test_cli_refuses_bad_sizes_and_a_missing_model(models, tmp_path, capsys, monkeypatch):
    for argv in (["portrait", "--seed", "1", "--size", "0"],
                 ["portrait", "--seed", "1", "--size", "big"],
                 ["portrait", "walk", "--from", "1", "--to", "2", "--size", "5000"],
                 ["portrait", "walk", "--from", "1"],
                 ["portrait", "--seed", "1", "--frames", "4"]):
        with pytest.raises(SystemExit) as info:
            main(argv + ["--out", str(tmp_path / "x.png")])
        assert info.value.code == 2, argv
    err = capsys.readouterr().err
    assert "--size" in err and "--to SEED" in err and "portrait walk" in err
    assert not (tmp_path / "x.png").exists()

    monkeypatch.setenv("ARTDESK_MODELS", str(tmp_path / "nowhere"))
    runtime_models.clear_cache()
    assert main(["portrait", "--seed", "1", "--out", str(tmp_path / "x.png")]) == 1
    assert "model list" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
