"""ARCHITECTURE.md's recipe for a new engine, followed for a toy "Stripes" engine: an engine
module, an actions module, a tab and one registry entry are all it takes to get a panel tab, a
CLI command, a selftest line and the canvas drop."""

import dataclasses
import json
import sys
import types

import numpy as np
import pytest
from PIL import Image

from artdesk import registry


def _engine_module():
    module = types.ModuleType("recipe_stripes_engine")

    def paint(width, height, seed):
        from artdesk.engines.progress import Progress

        rng = np.random.default_rng(seed)
        out = np.zeros((height, width, 4), np.uint8)
        for x in range(width):
            out[:, x] = (*rng.integers(0, 256, 3), 255)
            yield Progress((x + 1) / width)
        return out

    module.paint = paint
    return module


def _actions_module():
    module = types.ModuleType("recipe_stripes_actions")
    module.__doc__ = "Stripes actions: random vertical stripes."

    @dataclasses.dataclass
    class Request:
        width: int = 24
        height: int = 16
        seed: int = 0

    def job(request):
        return sys.modules["recipe_stripes_engine"].paint(request.width, request.height, request.seed)

    module.Request = Request
    module.job = job
    module.generation = lambda r: {"engine": "stripes", "seed": r.seed, "size": [r.width, r.height]}
    module.selftest = lambda: "8 stripes"
    return module


def _tab_module():
    from PySide6.QtWidgets import QLabel

    module = types.ModuleType("recipe_stripes_tab")

    class StripesTab(QLabel):
        def __init__(self, desk):
            super().__init__("Stripes")
            self.dropped = []

        def take_drop(self, path, x, y):
            self.dropped.append((path, x, y))

    module.StripesTab = StripesTab
    return module


@pytest.fixture
def stripes(monkeypatch):
    for module in (_engine_module(), _actions_module(), _tab_module()):
        monkeypatch.setitem(sys.modules, module.__name__, module)
    entry = registry.Engine("stripes", "Stripes", "recipe_stripes_tab:StripesTab", "recipe_stripes_actions",
                            "recipe_stripes_actions:selftest", None, drop="take_drop")
    monkeypatch.setattr(registry, "ENGINES", (entry, *registry.ENGINES))
    return entry


def test_the_registry_entry_gives_a_cli_command_and_a_selftest_line(stripes, tmp_path):
    from artdesk.cli import build_parser, main
    from artdesk.selftest import engine_checks

    out = tmp_path / "s.png"
    assert main(["stripes", "--width", "8", "--seed", "3", "--out", str(out)]) == 0
    with pytest.raises(SystemExit):
        build_parser("stripes").parse_args(["stripes"])  # --out is required
    with Image.open(out) as im:
        assert im.size == (8, 16) and round(im.info["dpi"][0]) == 300
        assert json.loads(im.info["artdesk:generation"]) == {"engine": "stripes", "seed": 3, "size": [8, 16]}
    assert ("stripes", sys.modules["recipe_stripes_actions"].selftest) in engine_checks()


def test_the_registry_entry_gives_a_panel_tab_that_takes_the_drop(stripes, window):
    from PySide6.QtCore import QPointF

    tab = window.panel.by_engine["stripes"]
    assert window.panel.tabs["Stripes"] is tab and window.panel.tabText(0) == "Stripes"
    assert [window.panel.tabText(i) for i in range(1, 5)] == ["Doodle", "Zentangle", "Portraits", "Bauhaus"]
    window.pattern_dropped("pattern.png", QPointF(10, 20))
    assert tab.dropped == [("pattern.png", 10.0, 20.0)] and window.panel.currentWidget() is tab


def test_the_window_is_the_desk_the_tabs_are_given(window):
    from artdesk.ui.desk import Desk

    assert isinstance(window, Desk)
    window.status("Painted", 1000)
    assert window.statusBar().currentMessage() == "Painted"
