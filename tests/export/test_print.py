"""The print path for garments: DTG halftone, trim, metadata, guides, mockup, and the window's
export/save dialogs, recent files and history panel."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artdesk.document.model import Document, RasterLayer, Stroke, VectorLayer
from artdesk.document.project import save_project
from artdesk.export.garment import print_guides, render_mockup, shirt_colour
from artdesk.export.halftone import coverage, halftone_alpha
from artdesk.export.png import export_png, semi_transparency_warning

ROOT = Path(__file__).resolve().parents[2]


def shirt_doc() -> Document:
    """A solid red square, a 50%-opaque grey block on its own layer, and a hidden layer."""
    doc = Document.blank()
    solid = np.zeros((100, 100, 4), np.uint8)
    solid[...] = (200, 30, 30, 255)
    doc.layers.append(RasterLayer("Square", pixels=solid, rect=(100, 100, 200, 200), resample="crisp",
                                  metadata={"generation": {"engine": "portrait", "seed": 7}}))
    grey = np.zeros((10, 10, 4), np.uint8)
    grey[...] = (90, 90, 90, 255)
    doc.layers.append(RasterLayer("Shadow", opacity=0.5, pixels=grey, rect=(400, 500, 400, 400),
                                  resample="crisp"))
    hidden = VectorLayer("Sketch", visible=False, metadata={"generation": {"engine": "doodle", "seed": 1}})
    hidden.strokes.append(Stroke.from_xy([(10, 10), (50, 50)]))
    doc.layers.append(hidden)
    return doc


def test_halftone_keeps_coverage_with_clustered_dots():
    for level in (32, 128, 200):
        px = np.zeros((600, 600, 4), np.uint8)
        px[...] = (0, 0, 0, level)
        out = halftone_alpha(px, dpi=300, lpi=45)
        assert set(np.unique(out[..., 3])) <= {0, 255}
        assert abs(coverage(out[..., 3]) - level / 255) < 0.02
    ink = out[..., 3] > 0
    # dots, not noise: neighbouring pixels mostly agree (white noise would differ ~40% of the time)
    assert np.mean(ink[:, 1:] != ink[:, :-1]) < 0.2
    solid = np.zeros((50, 50, 4), np.uint8)
    solid[10:20, 10:20] = (5, 6, 7, 255)
    assert np.array_equal(halftone_alpha(solid), solid)  # opaque and clear pixels are left alone


def test_dtg_export_halftones_a_half_layer(tmp_path, qapp):
    doc = shirt_doc()
    report = export_png(doc, tmp_path / "d.png", "tshirt", dtg=True, trim=False)
    with Image.open(tmp_path / "d.png") as im:
        px = np.asarray(im)
        text = dict(im.text)
    assert (report.width, report.height) == (4500, 5400)
    assert set(np.unique(px[..., 3])) <= {0, 255}
    shadow = px[2500 + 20: 4500 - 20, 2000 + 20: 4000 - 20, 3]  # the 50% layer, x5
    assert abs(coverage(shadow) - 0.5) < 0.05
    assert (px[600:1400, 600:1400, 3] == 255).all()  # the opaque square stays solid
    assert "halftone" in text["artdesk:dtg"]
    # metadata only for printed layers: the hidden sketch is not in the picture
    assert json.loads(text["artdesk:generation"]) == [{"layer": "Square", "engine": "portrait", "seed": 7}]


def test_trim_for_any_preset(tmp_path, qapp):
    doc = shirt_doc()
    report = export_png(doc, tmp_path / "t.png", "screen", trim=True)
    assert (report.width, report.height) == (700, 800)  # from the square's corner to the shadow's
    with Image.open(tmp_path / "t.png") as im:
        assert im.size == (700, 800) and 0 < np.asarray(im)[-1, -1, 3] < 255  # not DTG: soft kept
    assert export_png(doc, tmp_path / "f.png", "screen").width == 900


def test_semi_transparency_warning_names_the_layer():
    doc = shirt_doc()
    warning = semi_transparency_warning(doc)
    assert "'Shadow' is 50% opaque" in warning and "Square" not in warning
    doc.layers[2].opacity = 1.0
    plain = Document.blank()
    plain.layers[0].strokes.append(Stroke.from_xy([(10, 10), (300, 300)], width=8))
    assert semi_transparency_warning(plain) == ""  # anti-aliased stroke edges do not count


def test_print_guides_per_preset():
    doc = Document.blank()
    tee = print_guides(doc, "tshirt")
    assert tee.area == (0, 0, 900, 1080) and tee.inches == (15, 18)
    assert tee.safe == (30, 30, 840, 1020)  # half an inch = 150 px at 300 dpi = 30 units
    printful = print_guides(doc, "printful")  # 3:4 around a 5:6 page: taller than the page
    assert printful.area[2] == 900 and printful.area[3] == pytest.approx(1200) and printful.area[1] == -60
    with pytest.raises(ValueError, match="preset"):
        print_guides(doc, "billboard")


def test_mockup_draws_the_design_on_the_shirt(qapp):
    doc = shirt_doc()
    black = render_mockup(doc, "black", width=720)
    white = render_mockup(doc, "#ffffff", width=720)
    assert black.shape == (620, 720, 4) and (black[..., 3] == 255).all()
    ppi = 720 / 36
    chest = black[int((0.8 + 4 + 1) * ppi), int(360 - 6.5 * ppi)]  # print area's top-left corner: bare shirt
    assert chest[:3].max() < 60 and white[int((0.8 + 4 + 1) * ppi), int(360 - 6.5 * ppi)][:3].min() > 180
    # the red square sits 100/900 of 15" in from the print area's left edge, 100/1080 of 18" down
    x = int(360 + (-7.5 + 15 * 200 / 900) * ppi)
    y = int((0.8 + 4 + 18 * 200 / 1080) * ppi)
    assert [int(v) for v in black[y, x, :3]] == pytest.approx([200, 30, 30], abs=14)  # under the fabric shading
    assert shirt_colour("Black") == "#17171a" and shirt_colour("336699") == "#336699"
    with pytest.raises(ValueError, match="shirt colour"):
        shirt_colour("mauve")


def test_mockup_command_is_headless(tmp_path):
    doc = shirt_doc()
    save_project(doc, tmp_path / "s.artdesk")
    code = ("import sys; from artdesk.cli import main; rc = main(sys.argv[1:]); "
            "assert 'PySide6.QtWidgets' not in sys.modules, 'mockup loaded QtWidgets'; sys.exit(rc)")
    run = subprocess.run([sys.executable, "-c", code, "mockup", str(tmp_path / "s.artdesk"), "--shirt", "white",
                          "--out", str(tmp_path / "m.png"), "--width", "600"],
                         capture_output=True, text=True, cwd=ROOT, env={**__import__("os").environ,
                                                                     "QT_QPA_PLATFORM": "offscreen"})
    assert run.returncode == 0, run.stderr
    with Image.open(tmp_path / "m.png") as im:
        assert im.size == (600, 517)
    bad = subprocess.run([sys.executable, "-m", "artdesk", "mockup", str(tmp_path / "s.artdesk"), "--shirt", "mauve",
                          "--out", str(tmp_path / "x.png")], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "not a shirt colour" in bad.stderr


# -- the window ---------------------------------------------------------------------------------
def test_export_dialog_warns_about_semi_transparency(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QDialog, QFileDialog

    from artdesk.ui import main_window as mw

    window.set_document(shirt_doc(), None)
    seen = {}

    def fake_exec(dialog):
        seen["warning"] = dialog.warning.text()
        seen["visible"] = not dialog.warning.isHidden()
        dialog.dtg.setChecked(True)
        seen["hidden_with_dtg"] = dialog.warning.isHidden() and dialog.lpi.isEnabled()
        dialog.lpi.setValue(40)
        return QDialog.Accepted

    def fake_save(parent, title, start, flt):
        seen["start"] = start
        return str(tmp_path / "shirt.png"), flt

    monkeypatch.setattr(mw.ExportDialog, "exec", fake_exec)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_save)
    window.path = tmp_path / "sub" / "My shirt.artdesk"
    window.export_dialog()
    assert "Shadow" in seen["warning"] and seen["visible"] and seen["hidden_with_dtg"]
    assert seen["start"] == str(tmp_path / "sub" / "My shirt.png")  # the document's folder and name
    qtbot.waitUntil(lambda: window.last_export is not None, timeout=30000)
    with Image.open(tmp_path / "shirt.png") as im:
        assert set(np.unique(np.asarray(im)[..., 3])) <= {0, 255} and "40 lpi" in im.text["artdesk:dtg"]


def test_save_dialog_starts_at_the_title_and_recent_files(window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    window.settings.setValue("last_dir", str(tmp_path))
    window.document.metadata["title"] = "Cat shirt"
    starts = []

    def fake_save(parent, title, start, flt):
        starts.append(start)
        return str(tmp_path / "cat.artdesk"), flt

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_save)
    assert window.save_as()
    assert starts == [str(tmp_path / "Cat shirt.artdesk")]
    save_project(shirt_doc(), tmp_path / "other.artdesk")
    assert window.open_path(tmp_path / "other.artdesk")
    window.recent_menu.aboutToShow.emit()
    labels = [a.text() for a in window.recent_menu.actions()]
    assert labels[:2] == ["&1 other.artdesk", "&2 cat.artdesk"]
    window.recent_menu.actions()[1].trigger()
    assert window.path == tmp_path / "cat.artdesk"
    (tmp_path / "other.artdesk").unlink()
    from artdesk.ui.printing import open_recent, recent_files

    assert not open_recent(window, str(tmp_path / "other.artdesk"))
    assert "no longer there" in window.last_message[1]
    assert recent_files(window.settings) == [str(tmp_path / "cat.artdesk")]


def test_history_panel_lists_the_undo_stack(window, qtbot):
    from PySide6.QtCore import QPoint, Qt

    assert window.history.stack() is window.undo_stack
    canvas = window.canvas
    qtbot.mousePress(canvas, Qt.LeftButton, pos=QPoint(200, 200))
    qtbot.mouseMove(canvas, QPoint(260, 240))
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=QPoint(300, 260))
    assert window.history.model().rowCount() == 2  # "Opened" + the stroke
    window.history.setCurrentIndex(window.history.model().index(0, 0))  # click the first row: undo
    assert window.undo_stack.index() == 0 and not window.document.layers[0].strokes


def test_print_guides_toggle_on_the_canvas(window, qtbot):
    canvas = window.canvas
    window.act["print_guides"].setChecked(False)
    before = canvas.grab().toImage()
    window.act["print_guides"].setChecked(True)
    after = canvas.grab().toImage()
    assert before != after and window.settings.value("print_guides") in (True, "true")
    from artdesk.export.render import qimage_to_numpy

    diff = np.any(qimage_to_numpy(before) != qimage_to_numpy(after), axis=2)
    ys, xs = np.nonzero(diff)
    page = canvas.transform().mapRect(__import__("PySide6.QtCore", fromlist=["QRectF"]).QRectF(0, 0, 900, 1080))
    assert abs(xs.min() - page.left()) < 4  # the print area is the page's edge for the T-shirt preset
    window.act["print_guides"].setChecked(False)


def test_mockup_view(window, qtbot):
    from artdesk.ui.printing import show_mockup

    window.set_document(shirt_doc(), None)
    dialog = show_mockup(window)
    qtbot.waitUntil(lambda: dialog.pixels is not None, timeout=30000)
    assert dialog.pixels.shape[1] == 1000 and dialog.image.pixmap() is not None
    dialog.close()


def test_halftone_cuts_anti_aliased_edges_cleanly():
    px = np.zeros((60, 60, 4), np.uint8)
    px[10:50, 10:50] = (200, 0, 0, 255)
    px[10:50, 50] = (200, 0, 0, 100)  # a 1-pixel anti-aliased rim, below half
    px[10:50, 9] = (200, 0, 0, 180)  # and one above half
    out = halftone_alpha(px)
    assert (out[10:50, 50, 3] == 0).all() and (out[10:50, 9, 3] == 255).all()  # cut, not dotted
    screened = halftone_alpha(px, edges="screen")
    assert 0 < screened[10:50, 9, 3].mean() < 255


def test_marker_strokes_count_as_semi_transparent_and_the_cli_says_so(tmp_path):
    doc = Document.blank()
    marker = Stroke.from_xy([(100, 100), (400, 300)], width=20)
    marker.brush = "marker"
    doc.layers[0].strokes.append(marker)
    assert "'Drawing' has marker strokes" in semi_transparency_warning(doc)
    save_project(doc, tmp_path / "m.artdesk")
    run = subprocess.run([sys.executable, "-m", "artdesk", "export", str(tmp_path / "m.artdesk"), "--out",
                          str(tmp_path / "m.png"), "--preset", "screen"], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0 and "note: Semi-transparent parts" in run.stderr and "--dtg" in run.stderr


def test_mockup_sizes_keep_the_print_in_inches(qapp):
    doc = shirt_doc()
    small, large = render_mockup(doc, "white", width=600, size="S"), render_mockup(doc, "white", width=600, size="XL")

    def red_width(img):  # the red square (a fixed 2.2" wide on every shirt) in pixels
        red = (img[..., 0] > 150) & (img[..., 1] < 90) & (img[..., 2] < 90)
        cols = np.flatnonzero(red.any(axis=0))
        return cols[-1] - cols[0] + 1

    assert red_width(small) / red_width(large) == pytest.approx(24 / 18, rel=0.05)
    with pytest.raises(ValueError, match="shirt size"):
        render_mockup(doc, "white", size="XXS")
