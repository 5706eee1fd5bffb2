"""The canvas tool system: tools are registered classes, chosen from the toolbar and by keys."""

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from artdesk.ui.tools import TOOLS, Tool, ToolEvent


def draw(canvas, points, modifiers=Qt.NoModifier):
    QTest.mousePress(canvas, Qt.LeftButton, modifiers, QPoint(*points[0]))
    for p in points[1:]:
        QTest.mouseMove(canvas, QPoint(*p))
    QTest.mouseRelease(canvas, Qt.LeftButton, modifiers, QPoint(*points[-1]))


def test_every_registered_tool_has_an_action_and_a_key(window):
    assert {"brush", "eraser"} <= set(TOOLS)
    keys = set()
    for name, cls in TOOLS.items():
        assert issubclass(cls, Tool) and cls.label and cls.tip
        action = window.act[name]
        assert action.isCheckable() and action.shortcut().toString() == cls.shortcut
        keys.add(cls.shortcut)
    assert len(keys) == len(TOOLS)  # no two tools share a key


def test_keys_and_toolbar_switch_tools(window):
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, Qt.Key_E)
    assert window.canvas.tool == "eraser" and window.act["eraser"].isChecked()
    QTest.keyClick(window.canvas, Qt.Key_B)
    assert window.canvas.tool == "brush" and not window.act["eraser"].isChecked()
    window.act["eraser"].trigger()
    assert window.canvas.tool == "eraser"


def test_escape_drops_the_stroke_being_drawn(window):
    canvas = window.canvas
    QTest.mousePress(canvas, Qt.LeftButton, Qt.NoModifier, QPoint(100, 100))
    QTest.mouseMove(canvas, QPoint(150, 150))
    assert canvas.busy()
    QTest.keyClick(canvas, Qt.Key_Escape)
    QTest.mouseRelease(canvas, Qt.LeftButton, Qt.NoModifier, QPoint(150, 150))
    assert not canvas.busy()
    assert all(not layer.strokes for layer in window.document.vector_layers())


def test_a_tool_gets_document_positions(window):
    seen = []

    class Probe(Tool):
        name = "probe-test"

        def press(self, event: ToolEvent) -> None:
            seen.append(event.doc)

    TOOLS["probe-test"] = Probe
    try:
        window.canvas.set_tool("probe-test")
        draw(window.canvas, [(300, 200)])
    finally:
        del TOOLS["probe-test"]
        window.canvas.set_tool("brush")
    expected = window.canvas.to_document(QPoint(300, 200).toPointF())
    assert seen and abs(seen[0].x() - expected.x()) < 1e-6 and abs(seen[0].y() - expected.y()) < 1e-6
