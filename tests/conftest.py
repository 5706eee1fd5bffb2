import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ARTDESK_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(autouse=True, scope="session")
def _one_qapplication(qapp):
    """Make the QApplication first: the headless exporters would otherwise create a bare
    QGuiApplication, and widgets cannot live under one."""
    return qapp


@pytest.fixture(autouse=True)
def user_dirs(tmp_path, monkeypatch):
    """Every test gets its own user data/log folders, never the real ones."""
    monkeypatch.setenv("ARTDESK_USER_DATA", str(tmp_path / "userdata"))
    monkeypatch.setenv("ARTDESK_USER_LOG", str(tmp_path / "logs"))
    yield


@pytest.fixture
def shared_data():
    if not SHARED.is_dir():
        pytest.skip("../shared/data is not beside the project")
    return SHARED


@pytest.fixture
def window(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from artdesk.ui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    # drops fill by tiling; the app's default (Strings) is tested where it is picked
    settings.setValue("zentangle/mode", "tile")
    win = MainWindow(settings)

    def forget_changes(w):
        w.jobs.cancel_all()
        w.jobs.wait(5000)
        w._force_dirty = False
        w.undo_stack.setClean()

    qtbot.addWidget(win, before_close_func=forget_changes)
    win.show()
    qtbot.waitExposed(win)
    win.ask_save_changes = lambda: pytest.fail("unexpected 'save changes?' prompt")
    yield win


@pytest.fixture(scope="session")
def portrait_models(tmp_path_factory):
    """A private copy of the shipped portrait generator with its own manifest (a training run may
    rewrite models/portrait, and its checksum, while the tests run). Returns the folder."""
    import json
    import shutil

    from artdesk.engines import portrait
    from artdesk.runtime.models import file_sha256

    shipped = ROOT / "models" / "portrait" / "kaokore_gan.onnx"
    if not shipped.is_file():
        pytest.skip("models/portrait/kaokore_gan.onnx is not there yet: run "
                    "`python -m artdesk.training.portrait_gan` to train and export it")
    folder = tmp_path_factory.mktemp("models")
    (folder / "portrait").mkdir()
    onnx_copy = folder / "portrait" / "kaokore_gan.onnx"
    shutil.copyfile(shipped, onnx_copy)
    entry = {"id": portrait.MODEL_ID, "file": "portrait/kaokore_gan.onnx", "sha256": file_sha256(onnx_copy),
             "task": "portrait", "licence": "CC BY-SA 4.0", "inputs": [], "training": {}}
    entries = [entry]
    enlarger = ROOT / "models" / "portrait" / "kaokore_sr.onnx"  # the Smooth print filter's network
    if enlarger.is_file():
        shutil.copyfile(enlarger, folder / "portrait" / enlarger.name)
        entries.append({"id": portrait.ENLARGER_ID, "file": "portrait/kaokore_sr.onnx",
                        "sha256": file_sha256(folder / "portrait" / enlarger.name), "task": "portrait-upscale",
                        "licence": "CC BY-SA 4.0", "inputs": [], "training": {}})
    picker = ROOT / "models" / "portrait" / "face_picker.onnx"  # Paint's "Clearer faces"
    if picker.is_file():
        shutil.copyfile(picker, folder / "portrait" / picker.name)
        shutil.copyfile(picker.with_suffix(".json"), folder / "portrait" / "face_picker.json")  # its steering
        entries.append({"id": portrait.PICKER_ID, "file": "portrait/face_picker.onnx",
                        "sha256": file_sha256(folder / "portrait" / picker.name), "task": "portrait-pick",
                        "licence": "CC BY-SA 4.0", "inputs": [], "training": {}, "meta": "portrait/face_picker.json",
                        "meta_sha256": file_sha256(folder / "portrait" / "face_picker.json")})
    (folder / "manifest.json").write_text(json.dumps({"format": 1, "models": entries}))
    return folder


@pytest.fixture
def reader_models(tmp_path, monkeypatch):
    """A models folder of its own where the Quick, Draw! sheep has a reader: the Sheep Market VAE
    (a model whose encoder reads drawings) listed as doodle/readers/sheep.*, checksummed in its own
    manifest, beside the shipped students (linked). Returns (folder, category)."""
    import json
    import shutil

    from artdesk.runtime import models as runtime
    from artdesk.training.manifest import write_manifest_entries
    from artdesk.training.readers import reader_manifest_entries

    shipped = runtime.models_dir()
    copy = tmp_path / "models"
    (copy / "doodle" / "readers").mkdir(parents=True)
    for path in (shipped / "doodle").iterdir():
        if path.is_file():
            os.symlink(path, copy / "doodle" / path.name)
    listed = json.loads((shipped / "manifest.json").read_text())
    listed["models"] = [m for m in listed["models"] if not m["id"].startswith("doodle/readers/")]
    (copy / "manifest.json").write_text(json.dumps(listed))
    for part in ("encoder", "decoder"):
        shutil.copy(shipped / "doodle" / f"sheep_market.{part}.onnx", copy / "doodle" / "readers" / f"sheep.{part}.onnx")
    meta = json.loads((shipped / "doodle" / "sheep_market.json").read_text())
    meta.update(category="sheep", role="reader", files={"encoder": "sheep.encoder.onnx", "decoder": "sheep.decoder.onnx"})
    meta.pop("label", None)
    (copy / "doodle" / "readers" / "sheep.json").write_text(json.dumps(meta))
    write_manifest_entries(reader_manifest_entries("sheep", copy / "doodle" / "readers"), copy / "manifest.json")
    monkeypatch.setattr("artdesk.paths.models_dir", lambda: copy)
    monkeypatch.setattr(runtime, "models_dir", lambda: copy)
    runtime.clear_cache()
    yield copy, "sheep"
    runtime.clear_cache()
