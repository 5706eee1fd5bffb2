"""The house's layering, checked where it shows: headless commands load no Qt widgets, the CLI
loads only the command it runs, the registries agree with what is installed."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from artdesk.cli import main
rc = main(sys.argv[1:])
print(json.dumps({"rc": rc, "modules": sorted(sys.modules)}))
"""


def run_cli(tmp_path, *argv) -> tuple[int, list[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("QT_QPA_PLATFORM", None)
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=tmp_path, env=env, check=True,
                          capture_output=True, text=True, timeout=120)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report["rc"], report["modules"]


def test_svg_export_and_random_doodles_load_no_qt(tmp_path):
    from artdesk.document.model import Document, Stroke
    from artdesk.document.project import save_project

    doc = Document.blank()
    doc.layers[0].strokes.append(Stroke.from_xy([(10, 10), (200, 120)], "#112233", 5))
    save_project(doc, tmp_path / "x.artdesk")
    rc, modules = run_cli(tmp_path, "export", "x.artdesk", "--out", "x.svg")
    assert rc == 0 and "<path" in (tmp_path / "x.svg").read_text()
    assert "PySide6.QtWidgets" not in modules
    assert not [m for m in modules if m.startswith(("PySide6", "artdesk.ui"))]

    rc, modules = run_cli(tmp_path, "doodle", "random", "--out", "d.svg", "--seed", "2")
    assert rc == 0 and (tmp_path / "d.svg").stat().st_size > 0
    assert "PySide6.QtWidgets" not in modules
    assert not [m for m in modules if m.startswith(("PySide6", "artdesk.ui"))]
    # only the doodle command's module and engine: not the other engines' CLIs or engines
    assert not [m for m in modules if m.startswith(("artdesk.cli.portrait", "artdesk.cli.zentangle",
                                                    "artdesk.engines.portrait", "artdesk.engines.bauhaus",
                                                    "artdesk.engines.neural_fill", "artdesk.selftest"))]


def test_the_doodle_parser_loads_no_engine():
    code = ("import sys; from artdesk.cli import build_parser; build_parser('doodle'); "
            "print([m for m in sys.modules if m.startswith(('artdesk.engines', 'artdesk.runtime', 'onnxruntime', 'PySide6'))])")
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)},
                          check=True, capture_output=True, text=True, timeout=60)
    # the package and the defaults' plain numbers (engines/doodle_defaults.py imports nothing) are no engine
    assert done.stdout.strip() == "['artdesk.engines', 'artdesk.engines.doodle_defaults']"


def test_export_formats_registry_feeds_the_cli_and_the_dialog():
    from artdesk.cli.desk import EXPORT_CHOICES
    from artdesk.export.formats import FORMATS, dialog_entries, format_for, format_from_suffix

    assert EXPORT_CHOICES == ["png", "svg", "ndjson", "ora"]
    keys = [key for key, _, _ in dialog_entries()]
    assert keys == ["png:tshirt", "png:printful", "png:screen", "svg", "ndjson", "ora"]
    assert format_from_suffix("a/b.ORA") == "ora" and format_from_suffix("x.gif") is None
    assert format_for("png:printful") == (FORMATS["png"], "printful")
    with pytest.raises(ValueError, match="unknown export format"):
        format_for("png:poster")


def test_every_engine_is_registered_once_and_complete():
    import importlib.util

    from artdesk import registry

    keys = [e.key for e in registry.engines()]
    assert keys == ["doodle", "zentangle", "portrait", "bauhaus"] and len(set(keys)) == len(keys)
    pyproject = (ROOT / "pyproject.toml").read_text()
    for engine in registry.engines():
        for dotted in (engine.tab, engine.selftest):
            module, _, name = dotted.partition(":")
            assert importlib.util.find_spec(module) is not None and name, dotted
        assert importlib.util.find_spec(engine.cli_module) is not None
        assert callable(registry.resolve(engine.selftest))
        if engine.model_folder:
            assert (ROOT / "models" / engine.model_folder).is_dir()
            assert f'"share/artdesk/models/{engine.model_folder}"' in pyproject
    with pytest.raises(KeyError, match="no engine called"):
        registry.engine("pottery")


def test_train_names_every_training_script(capsys):
    import importlib.util

    from artdesk.cli import build_parser
    from artdesk.cli.train import TRAINERS

    for module, _ in TRAINERS.values():
        assert importlib.util.find_spec(module) is not None, module
    args = build_parser("train").parse_args(["train", "bauhaus", "--rounds", "2"])
    assert args.model == "bauhaus" and args.options == ["--rounds", "2"] and callable(args.func)
    with pytest.raises(SystemExit):
        build_parser("train").parse_args(["train", "pottery"])
    assert "invalid choice" in capsys.readouterr().err
