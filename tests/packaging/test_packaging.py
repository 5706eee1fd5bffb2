"""Packaging and the first run: desktop entry, AppStream metainfo, MIME type, icons, sample
documents, the welcome canvas, Help > About, the self-test the bundle runs, and the bundle's
way of finding its files. (The PyInstaller build itself is `make bundle`, not a test.)"""

import configparser
import shutil
import subprocess
import sys
import types
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artdesk import APP_ID, __version__
from artdesk.document.model import Document, RasterLayer, Stroke, VectorLayer
from artdesk.document.project import load_project, save_project

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
RESOURCES = ROOT / "resources"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ENGINES = ("doodle", "zentangle", "portrait", "bauhaus")


# -- desktop entry, metainfo, MIME -----------------------------------------------------------------
def desktop_entry() -> dict:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(PACKAGING / f"{APP_ID}.desktop", encoding="utf-8")
    return dict(parser["Desktop Entry"])


def test_desktop_entry_opens_artdesk_files():
    entry = desktop_entry()
    assert entry["Type"] == "Application" and entry["Name"] == "ArtDesk"
    assert entry["Exec"] == "artdesk %f"
    assert entry["Icon"] == APP_ID
    assert "application/x-artdesk" in entry["MimeType"].split(";")
    assert "Graphics" in entry["Categories"].split(";")
    if shutil.which("desktop-file-validate"):
        done = subprocess.run(["desktop-file-validate", str(PACKAGING / f"{APP_ID}.desktop")],
                              capture_output=True, text=True)
        assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_metainfo_describes_the_app():
    root = ET.parse(PACKAGING / f"{APP_ID}.metainfo.xml").getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("project_license") == "MIT"
    assert root.findtext("launchable") == f"{APP_ID}.desktop"
    assert root.find("description/p") is not None
    assert root.find("content_rating").get("type").startswith("oars")
    assert root.find("releases/release").get("version") == __version__
    assert root.findtext("provides/mediatype") == "application/x-artdesk"
    shots = root.findall("screenshots/screenshot/image")
    assert {Path(s.text).stem for s in shots} == {"desk", *ENGINES}
    for image in shots:  # each screenshot it names is the one committed, at the size it says
        path = RESOURCES / "screenshots" / Path(image.text).name
        with Image.open(path) as im:
            assert im.size == (int(image.get("width")), int(image.get("height")))


@pytest.mark.skipif(not shutil.which("appstreamcli"), reason="appstreamcli is not installed")
def test_metainfo_validates_with_appstreamcli():
    done = subprocess.run(["appstreamcli", "validate", "--no-net", str(PACKAGING / f"{APP_ID}.metainfo.xml")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mime_type_matches_saved_projects(tmp_path):
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    root = ET.parse(PACKAGING / "artdesk-mime.xml").getroot()
    (mime,) = root.findall("m:mime-type", ns)
    assert mime.get("type") == "application/x-artdesk"
    assert mime.find("m:glob", ns).get("pattern") == "*.artdesk"
    assert mime.find("m:sub-class-of", ns).get("type") == "application/zip"
    outer = mime.find("m:magic/m:match", ns)
    inner = outer.find("m:match", ns)
    assert (outer.get("offset"), outer.get("value")) == ("0", r"PK\003\004")
    # the magic holds for what ArtDesk writes: a zip whose first entry is meta.json
    save_project(Document.blank(), tmp_path / "a.artdesk")
    data = (tmp_path / "a.artdesk").read_bytes()
    assert data[:4] == b"PK\x03\x04"
    offset = int(inner.get("offset"))
    assert data[offset:offset + len(inner.get("value"))] == inner.get("value").encode()


@pytest.mark.skipif(not shutil.which("update-mime-database"), reason="shared-mime-info is not installed")
def test_install_desktop_registers_the_mime_type_and_icons(tmp_path):
    done = subprocess.run(["bash", str(PACKAGING / "install_desktop.sh"), "--prefix", str(tmp_path),
                           "--exec", "/opt/ArtDesk/artdesk"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    share = tmp_path / "share"
    assert "application/x-artdesk:*.artdesk" in (share / "mime" / "globs2").read_text()
    assert "application/x-artdesk application/zip" in (share / "mime" / "subclasses").read_text()
    desktop = (share / "applications" / f"{APP_ID}.desktop").read_text()
    assert "Exec=/opt/ArtDesk/artdesk %f" in desktop
    assert (share / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    assert (share / "icons" / "hicolor" / "48x48" / "apps" / f"{APP_ID}.png").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()


# -- icons ---------------------------------------------------------------------------------------
def test_icons_in_the_usual_sizes():
    hicolor = RESOURCES / "icons" / "hicolor"
    for size in ICON_SIZES:
        with Image.open(hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png") as im:
            assert im.size == (size, size) and im.mode == "RGBA"
            alpha = np.asarray(im.getchannel("A"))
            assert alpha[0, 0] == 0 and alpha[size // 2, size // 2] == 255  # a rounded tile
    from PySide6.QtSvg import QSvgRenderer

    svg = hicolor / "scalable" / "apps" / f"{APP_ID}.svg"
    assert QSvgRenderer(str(svg)).isValid()


def test_window_has_the_app_icon(window):
    from artdesk.ui.app import app_icon

    icon = app_icon()
    assert not icon.isNull() and len(icon.availableSizes()) == len(ICON_SIZES)
    assert not window.windowIcon().isNull()


def test_pyproject_data_files_exist():
    tomllib = pytest.importorskip("tomllib")
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    for target, patterns in data.items():
        for pattern in patterns:
            found = list(ROOT.glob(pattern))
            # a folder breaks `pip install .`; models/ fill up as the models are trained
            assert all(p.is_file() for p in found), f"{target}: {pattern} matches a folder"
            assert found or pattern.startswith("models/"), f"{target}: {pattern} matches nothing"


# -- sample documents ---------------------------------------------------------------------------------
def engines_of(doc) -> set:
    return {layer.metadata.get("generation", {}).get("engine") for layer in doc.layers} - {None}


@pytest.mark.parametrize("name", ENGINES)
def test_each_engine_has_a_sample(name):
    path = RESOURCES / "samples" / f"{name}.artdesk"
    assert path.stat().st_size < 1.5 * 1024 * 1024
    doc = load_project(path)
    assert engines_of(doc) == {name}
    assert doc.metadata["sample"] == name
    made = [l for l in doc.layers if l.metadata.get("generation")]
    if name == "doodle":
        assert len(made) >= 1 and all(isinstance(l, VectorLayer) and l.strokes for l in made)
    else:
        assert all(isinstance(l, RasterLayer) and not l.is_empty() for l in made)
        assert all(max(l.pixels.shape[:2]) <= 2048 for l in made)  # modest, not print size
    if name == "zentangle":  # the outlines stay on top of their fills
        assert isinstance(doc.layers[-1], VectorLayer) and doc.layers[-1].strokes
        assert len(made) == 3


def test_welcome_sample_has_the_guide():
    doc = load_project(RESOURCES / "samples" / "welcome.artdesk")
    assert [l.name for l in doc.layers] == ["Welcome guide (not printed)", "Circle", "Drawing"]
    guide, circle, drawing = doc.layers
    assert isinstance(guide, RasterLayer) and guide.metadata.get("guide")
    assert isinstance(circle, VectorLayer) and len(circle.strokes) == 1
    assert isinstance(drawing, VectorLayer) and not drawing.strokes  # the user's first strokes go here


def test_the_guide_shows_on_screen_but_never_prints(tmp_path):
    """Following the guide (draw, drop, export) must not print the guide's text on the shirt."""
    import zipfile

    from artdesk.export.ora import export_ora
    from artdesk.export.render import render_document
    from artdesk.export.targets import document_targets
    from artdesk.engines.progress import run_to_end

    doc = load_project(RESOURCES / "samples" / "welcome.artdesk")
    guide, circle, _ = doc.layers
    printed = render_document(doc, 450, 540)
    alone = Document(doc.width, doc.height)
    alone.layers = [circle]
    assert np.array_equal(printed, render_document(alone, 450, 540))  # the circle only
    assert guide.is_guide and not circle.is_guide
    _, targets, _ = run_to_end(document_targets(doc, (450, 540)))
    assert targets == []  # a drop beside the circle does not fill the guide layer
    export_ora(doc, tmp_path / "w.ora", scale=0.25)
    with zipfile.ZipFile(tmp_path / "w.ora") as zf:
        assert "Welcome guide" not in zf.read("stack.xml").decode()
    doc.layers = [guide]
    assert doc.is_empty()  # "the picture is empty" when only the guide is there


# -- first run, samples menu, About -----------------------------------------------------------------
def test_settings_live_in_the_user_data_folder_when_it_is_set(tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings

    from artdesk.ui.main_window import default_settings

    monkeypatch.setenv("ARTDESK_USER_DATA", str(tmp_path / "profile"))
    settings = default_settings()
    settings.setValue("first_run_done", True)
    settings.sync()
    assert Path(settings.fileName()) == tmp_path / "profile" / "settings.ini"
    assert (tmp_path / "profile" / "settings.ini").is_file()
    again = QSettings(str(tmp_path / "profile" / "settings.ini"), QSettings.IniFormat)
    assert again.value("first_run_done") in (True, "true")


def test_first_run_shows_the_welcome_canvas_once(window):
    from artdesk.ui import welcome

    assert welcome.is_first_run(window.settings)
    assert welcome.first_run(window)
    assert window.path is None and window.document.metadata["title"] == "Welcome"
    assert window.windowTitle().startswith("Welcome")
    assert window.layers.active_id == window.document.layers[-1].id  # the empty Drawing layer
    assert not window.isWindowModified()
    assert not welcome.is_first_run(window.settings)
    window.set_document(Document.blank(), None)
    assert not welcome.first_run(window)
    assert window.document.metadata.get("title") is None


def test_welcome_step_two_drop_a_pattern_into_the_circle(window, qtbot):
    """The guide's step 2 works as it says: a gallery pattern dropped inside the welcome circle
    fills it, under the outline."""
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    from artdesk.ui.welcome import show_welcome

    assert show_welcome(window)
    gallery = window.gallery.list
    mime = gallery.mimeData([gallery.item(0)])
    pos = window.canvas.transform().map(QPointF(450, 850))  # the circle's centre, document units
    enter = QDragEnterEvent(pos.toPoint(), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    assert QApplication.sendEvent(window.canvas, enter) and enter.isAccepted()
    assert QApplication.sendEvent(window.canvas, QDropEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))
    tab = window.panel.tabs["Zentangle"]
    qtbot.waitUntil(lambda: tab.job is not None and tab.job.done, timeout=60000)
    qtbot.waitUntil(lambda: len(window.document.layers) == 4, timeout=5000)
    names = [l.name for l in window.document.layers]
    assert names[0] == "Welcome guide (not printed)" and names[2:] == ["Circle", "Drawing"]
    fill = window.document.layers[1]
    assert fill.metadata["generation"]["shape"] == "region"
    x, y, w, h = fill.rect
    assert abs(x - 315) < 12 and abs(y - 715) < 12 and abs(w - 270) < 24 and abs(h - 270) < 24


def test_startup_order_recovery_then_file_then_welcome(window, tmp_path):
    from artdesk.paths import recovery_dir
    from artdesk.ui.app import open_startup_document
    from artdesk.ui.welcome import is_first_run

    # a recovery copy from a crashed session wins, and the first run waits for a later start
    crashed = Document.blank()
    crashed.layers[0].strokes.append(Stroke.from_xy([(1, 1), (50, 50)]))
    save_project(crashed, recovery_dir() / "recovery-999999999.artdesk")
    assert open_startup_document(window, None, ask_recovery=lambda: True) == "recovered"
    assert len(window.document.all_strokes()) == 1 and is_first_run(window.settings)
    window._force_dirty = False
    window.undo_stack.setClean()
    # a file asked for on the command line (`artdesk FILE`, the .desktop entry's %f) is next
    mine = tmp_path / "mine.artdesk"
    save_project(crashed, mine)
    assert open_startup_document(window, str(mine)) == "file"
    assert window.path == mine and is_first_run(window.settings)
    # then, on a plain first start, the welcome canvas; never twice
    assert open_startup_document(window) == "welcome"
    assert open_startup_document(window) == "blank"


def test_samples_menu_and_welcome_guide_action(window):
    from artdesk.ui.welcome import SAMPLES

    titles = [a.text() for a in window.samples_menu.actions()]
    assert len(titles) == len(SAMPLES) == 4
    for name, _ in SAMPLES:
        window.act[f"sample_{name}"].trigger()
        assert window.path is None and window.document.metadata["sample"] == name
        assert engines_of(window.document) == {name}
        assert not window.isWindowModified()
    window.act["welcome"].trigger()
    assert window.document.metadata["sample"] == "welcome"
    assert window.act["welcome"] in window.menuBar().actions()[-1].menu().actions()


def test_sample_asks_before_dropping_unsaved_work(window):
    from PySide6.QtWidgets import QMessageBox

    from artdesk.ui.welcome import open_sample

    window.add_stroke(Stroke.from_xy([(10, 10), (90, 90)]))
    window.ask_save_changes = lambda: QMessageBox.Cancel
    assert not open_sample(window, "doodle")
    assert len(window.document.all_strokes()) == 1


def test_about_names_the_provider(window):
    from artdesk.runtime import models as runtime

    text = window.about_text()
    assert f"Models run on: <b>{runtime.provider_description()}</b>" in text
    for name, version in runtime.onnxruntime_packages():
        assert f"{name} {version}" in text


# -- onnxruntime: CPU wheel, GPU wheel, both ---------------------------------------------------------
class FakeSession:
    def __init__(self, providers):
        self._providers = providers

    def get_providers(self):
        return self._providers


def fake_ort(listed, session_providers=None, fails=False):
    module = types.SimpleNamespace(severity=[])
    module.get_available_providers = lambda: list(listed)
    module.SessionOptions = lambda: types.SimpleNamespace()
    module.set_default_logger_severity = module.severity.append

    def session(path, opts, providers):
        if fails:
            raise RuntimeError("no CUDA here")
        return FakeSession(session_providers or providers)

    module.InferenceSession = session
    return module


@pytest.mark.parametrize("listed, used, fails, expected", [
    (["CPUExecutionProvider"], None, False, ["CPUExecutionProvider"]),
    # onnxruntime-gpu without a GPU or without CUDA/cuDNN: CUDA is listed, the session falls back
    (["CUDAExecutionProvider", "CPUExecutionProvider"], ["CPUExecutionProvider"], False, ["CPUExecutionProvider"]),
    (["CUDAExecutionProvider", "CPUExecutionProvider"], None, True, ["CPUExecutionProvider"]),
    (["CUDAExecutionProvider", "CPUExecutionProvider"], None, False, ["CUDAExecutionProvider", "CPUExecutionProvider"]),
])
def test_cuda_is_used_only_when_it_really_works(monkeypatch, listed, used, fails, expected):
    from artdesk.runtime import models as runtime

    ort = fake_ort(listed, used, fails)
    monkeypatch.setitem(sys.modules, "onnxruntime", ort)
    monkeypatch.setattr(runtime, "_provider_probe", None)
    monkeypatch.setattr(runtime, "_force_cpu", False)
    assert runtime.available_providers() == expected
    assert runtime.provider_description() == ("GPU (CUDA)" if len(expected) == 2 else "CPU")
    if "CUDAExecutionProvider" in listed:
        assert ort.severity == [4, 2]  # the probe's expected failure is not logged, then logging is back


def test_both_onnxruntime_wheels_are_reported(monkeypatch, window):
    from importlib import metadata

    from artdesk.runtime import models as runtime

    versions = {"onnxruntime": "1.32.0", "onnxruntime-gpu": "1.31.1"}

    def version(name):
        if name not in versions:
            raise metadata.PackageNotFoundError(name)
        return versions[name]

    monkeypatch.setattr(metadata, "version", version)
    assert runtime.onnxruntime_packages() == list(versions.items())
    assert "pip uninstall -y onnxruntime" in runtime.package_conflict()
    assert "pip uninstall -y onnxruntime" in window.about_text()
    del versions["onnxruntime"]
    assert runtime.package_conflict() == ""


# -- the bundle: finding its files, the self-test, opening a file ------------------------------------
def test_frozen_bundle_finds_its_own_models_and_resources(monkeypatch, tmp_path):
    from artdesk import paths

    for name in ("models", "resources"):
        (tmp_path / name).mkdir()
        monkeypatch.delenv(f"ARTDESK_{name.upper()}", raising=False)
    assert paths.frozen_bundle_dir() is None
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert paths.frozen_bundle_dir() == tmp_path
    assert paths.models_dir() == tmp_path / "models"  # not the checkout's
    assert paths.resources_dir() == tmp_path / "resources"


def test_selftest_draws_and_exports_a_tshirt_png(tmp_path):
    from artdesk.selftest import run_selftest

    lines = []
    out = tmp_path / "shirt.png"
    assert run_selftest(out, engines=False, echo=lines.append), "\n".join(lines)
    assert lines[-1].startswith("selftest: all")
    assert any(line.startswith("ok   export T-shirt PNG: shirt.png 4500x5400 RGBA 300 dpi") for line in lines)
    with Image.open(out) as im:
        assert im.size == (4500, 5400) and im.mode == "RGBA"


def test_tshirt_check_refuses_other_pngs(tmp_path):
    from artdesk.selftest import check_tshirt_png

    Image.new("RGBA", (4500, 5400), (0, 0, 0, 0)).save(tmp_path / "empty.png", dpi=(300, 300))
    Image.new("RGB", (4500, 5400)).save(tmp_path / "rgb.png", dpi=(300, 300))
    Image.new("RGBA", (900, 1080), (0, 0, 0, 255)).save(tmp_path / "small.png", dpi=(300, 300))
    for name, why in (("empty", "empty"), ("rgb", "not RGBA"), ("small", "not 4500x5400")):
        with pytest.raises(RuntimeError, match=why):
            check_tshirt_png(tmp_path / f"{name}.png")


def test_selftest_is_a_command():
    from artdesk.cli import build_parser

    args = build_parser().parse_args(["selftest", "--out", "x.png", "--no-engines"])
    assert args.out == "x.png" and args.no_engines and callable(args.func)


def test_artdesk_file_opens_that_file(monkeypatch, tmp_path):
    """The desktop entry runs `artdesk %f`: a bare path is the gui command with that file."""
    import artdesk.ui.app as app
    from artdesk.cli import main

    opened = []
    monkeypatch.setattr(app, "run_app", lambda path=None: opened.append(path) or 0)
    path = tmp_path / "my drawing.artdesk"
    assert main([str(path)]) == 0
    assert main(["gui", str(path)]) == 0
    assert opened == [str(path), str(path)]
