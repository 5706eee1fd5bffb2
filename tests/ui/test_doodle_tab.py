"""The Doodle tab on the real window, with the project's shipped sketch-rnn models."""


import numpy as np
import pytest

from artdesk.document.model import VectorLayer
from artdesk.engines.doodle_io import DoodleInputError, doodle_from_lines, open_model, shipped_categories
from artdesk.runtime import models as runtime

pytestmark = pytest.mark.skipif(not shipped_categories(), reason="no doodle model has been trained yet")


@pytest.fixture
def tab(window):
    runtime.clear_cache()
    tab = window.panel.tabs["Doodle"]
    window.panel.setCurrentWidget(tab)
    return tab


def run(tab, qtbot, action):
    tab.start(action)
    qtbot.waitUntil(lambda: tab.job.done, timeout=60000)
    qtbot.wait(30)


def half_sheep(window, shared_data, index=7):
    from artdesk.document.imports import npz_drawing_layer

    layer = npz_drawing_layer(shared_data / "sketch" / "aaron_sheep.npz", window.document, index)
    layer.strokes = layer.strokes[: max(1, len(layer.strokes) // 2)]
    window.add_layer(layer)
    return layer


def strokes_of(window):
    return sum(len(l.strokes) for l in window.document.vector_layers())


def test_continue_offers_nine_endings_and_places_one_as_one_step(window, tab, qtbot, shared_data):
    layer = half_sheep(window, shared_data)
    before = len(layer.strokes)
    assert tab.model_combo.currentData() == "sheep"
    run(tab, qtbot, "continue")
    assert tab.job.outcome == "result" and len(tab.outcome.candidates) == 9
    assert sum(bool(c.new) for c in tab.grid.cells) >= 7 and all(c.old for c in tab.grid.cells)
    first = [np.array(c) for c in tab.outcome.candidates]
    tab.apply(0)
    assert len(layer.strokes) > before
    new_pts = np.concatenate([s.points[:, :2] for s in layer.strokes[before:]])
    old_pts = np.concatenate([s.points[:, :2] for s in layer.strokes[:before]])
    # the ending is drawn at the doodle's scale and place, not somewhere else on the page
    assert np.linalg.norm(new_pts.mean(0) - old_pts.mean(0)) < 1.5 * np.ptp(old_pts, axis=0).max()
    window.undo_stack.undo()
    assert len(layer.strokes) == before
    run(tab, qtbot, "continue")  # same seed, same endings
    assert all(np.array_equal(a, b) for a, b in zip(first, tab.outcome.candidates))
    tab.again()
    qtbot.waitUntil(lambda: tab.job.done, timeout=60000)
    qtbot.wait(30)
    assert tab.seed.value() == 2
    assert not all(np.array_equal(a, b) for a, b in zip(first, tab.outcome.candidates))


def test_redraw_random_mix_and_morph_place_new_layers(window, tab, qtbot, shared_data):
    from artdesk.engines.doodle_io import reads_drawings

    half_sheep(window, shared_data)
    untrained = [c for c in shipped_categories() if not reads_drawings(c)]
    if untrained:  # a student whose latent is untrained: Redraw, Morph, Mix are off, with the reason
        tab.model_combo.setCurrentIndex(tab.model_combo.findData(untrained[0]))
        assert not any(tab.buttons[k].isEnabled() for k in ("redraw", "morph", "mix"))
        assert "has no reader" in tab.buttons["redraw"].toolTip()
        assert tab.buttons["continue"].isEnabled() and tab.buttons["random"].isEnabled()
        run(tab, qtbot, "redraw")  # asked anyway (the CLI, an old request): a sentence, not nonsense
        assert tab.job.outcome == "error" and "has no reader" in window.last_message[1]
    reader = next(c for c in shipped_categories() if reads_drawings(c))
    tab.model_combo.setCurrentIndex(tab.model_combo.findData(reader))
    assert tab.buttons["redraw"].isEnabled()
    for action, count in (("redraw", 9), ("random", 9), ("morph", 10)):
        run(tab, qtbot, action)
        assert tab.job.outcome == "result", (action, window.last_message)
        assert len(tab.outcome.candidates) == count and len(tab.grid.cells) == count
        layers = len(window.document.layers)
        index = next(i for i, c in enumerate(tab.outcome.candidates) if len(c) > 2)
        tab.apply(index)
        assert len(window.document.layers) == layers + 1
        placed = window.document.layers[-1]
        assert isinstance(placed, VectorLayer) and placed.metadata["generation"]["action"] == action
    painters = [c for c in shipped_categories() if c != reader and reads_drawings(c)]
    if painters:
        tab.mix_combo.setCurrentIndex(tab.mix_combo.findData(painters[0]))
        run(tab, qtbot, "mix")
        assert tab.job.outcome == "result" and len(tab.outcome.candidates) == 9
    if untrained:  # a painter whose latent is untrained would ignore the reading: refused with a sentence
        tab.mix_combo.setCurrentIndex(tab.mix_combo.findData(untrained[0]))
        run(tab, qtbot, "mix")
        assert tab.job.outcome == "error" and "has no reader" in window.last_message[1]


def test_bad_doodles_get_a_sentence_and_leave_the_drawing(window, tab, qtbot):
    from artdesk.document import commands as cmds
    from artdesk.document.model import Stroke

    run(tab, qtbot, "continue")  # empty canvas
    assert tab.job.outcome == "error" and "empty" in window.last_message[1]
    window.push(cmds.AddStroke(window.document.layers[0].id, Stroke.from_xy([(100, 100)])))
    run(tab, qtbot, "redraw")  # a single dot
    assert tab.job.outcome == "error" and "dot" in window.last_message[1]
    rng = np.random.default_rng(0)
    scribble = np.cumsum(rng.normal(0, 3, (5000, 2)), axis=0) + 450
    window.push(cmds.AddStroke(window.document.layers[0].id, Stroke.from_xy(scribble)))
    run(tab, qtbot, "continue")  # a 5,000-point scribble is simplified, not refused
    assert tab.job.outcome == "result"
    assert strokes_of(window) == 2


def test_doodle_input_limits():
    model = open_model("sheep")
    with pytest.raises(DoodleInputError, match="empty"):
        doodle_from_lines([], model)
    scribble = np.cumsum(np.random.default_rng(1).normal(0, 4, (4000, 2)), axis=0)
    s3, frame, notes = doodle_from_lines([scribble], model)
    assert len(s3) <= model.max_seq_len - 40 and notes
    with pytest.raises(DoodleInputError, match="dot"):
        doodle_from_lines([np.array([[5.0, 5.0], [5.5, 5.2]])], model)


def test_import_a_magenta_model_and_refuse_a_foreign_file(window, tab, shared_data, tmp_path):
    src = shared_data / "sketch" / "google_gen" / "lobster.gen.json"
    assert tab.import_model(str(src))
    assert "lobster (imported)" in [tab.model_combo.itemText(i) for i in range(tab.model_combo.count())]
    bad = tmp_path / "cat.gen.json"
    bad.write_text('{"not": "a model"}')
    assert not tab.import_model(str(bad))
    assert window.last_message[0] == "Cannot import this doodle model"
    assert tab.import_action in window.file_menu.actions()


def test_cli_doodle_sheets(tmp_path, shared_data, capsys):
    from xml.etree import ElementTree as ET

    from artdesk.cli import main

    sheep = shared_data / "sketch" / "aaron_sheep.npz"
    assert main(["doodle", "continue", "--input", str(sheep), "--index", "3", "--out", str(tmp_path / "c.svg")]) == 0
    paths = ET.parse(tmp_path / "c.svg").getroot().findall(".//{http://www.w3.org/2000/svg}path")
    assert len(paths) > 9
    assert main(["doodle", "random", "--seed", "4", "--out", str(tmp_path / "r.png")]) == 0
    assert main(["doodle", "morph", "--model", "sheep (Sheep Market)", "--input", str(sheep), "--to", str(sheep),
                 "--to-index", "5", "--out", str(tmp_path / "m.png")]) == 0
    assert main(["doodle", "redraw", "--out", str(tmp_path / "x.png")]) == 2
    assert "--input" in capsys.readouterr().err
    (tmp_path / "junk.gen.json").write_text("[1, 2]")
    assert main(["doodle", "random", "--model", str(tmp_path / "junk.gen.json"), "--out", str(tmp_path / "j.png")]) == 2


def test_continue_as_i_draw_waits_for_the_pen_to_rest(window, tab, qtbot):
    from artdesk.document.model import Stroke

    assert not tab.live.isChecked()
    t = np.linspace(0, 2 * np.pi, 40)
    stroke = Stroke.from_xy(np.column_stack([450 + 120 * np.cos(t), 500 + 80 * np.sin(t)]), "#000000", 6)
    window.canvas.strokeFinished.emit(stroke)  # off: drawing alone asks the model nothing
    qtbot.wait(LIVE_WAIT)
    assert tab.job is None and strokes_of(window) == 1
    tab.live.setChecked(True)
    assert window.settings.value("doodle/continue_as_i_draw") in (True, "true")
    for dy in (0, 30):  # two quick strokes: one continuation, after the second
        window.canvas.strokeFinished.emit(Stroke.from_xy(np.array([[560, 420 + dy], [620, 400 + dy]]), "#000000", 6))
        qtbot.wait(100)
    qtbot.waitUntil(lambda: tab.job is not None and tab.job.done, timeout=60000)
    assert tab.last_request.action == "continue" and len(tab.last_request.lines) == 3
    assert strokes_of(window) == 3  # the endings are offered, not placed


LIVE_WAIT = 700


def test_pick_the_clearest_is_remembered_and_the_cells_say_what_they_show(window, tab, qtbot):
    from artdesk.engines.doodle_io import open_recogniser

    assert tab.pick.isChecked()  # on by default: Random and Continue keep the clearest 9 of 27
    run(tab, qtbot, "random")
    assert tab.job.outcome == "result" and tab.last_request.pick
    if open_recogniser()[0] is not None:
        assert len(tab.outcome.guesses) == 9
        assert all(c.label.startswith(f"{i + 1}  ") and c.label.endswith("%") for i, c in enumerate(tab.grid.cells))
    tab.pick.setChecked(False)
    assert window.settings.value("doodle/pick_clearest") in (False, "false")
    tab.again()
    qtbot.waitUntil(lambda: tab.outcome is not None, timeout=60000)
    assert not tab.last_request.pick and len(tab.outcome.candidates) == 9


def test_the_category_is_remembered_number_keys_place_and_a_new_document_clears(window, tab, qtbot):
    from artdesk.ui.doodle_tab import DoodleTab

    index = tab.model_combo.findData("rabbit")
    assert index >= 0
    tab.model_combo.setCurrentIndex(index)
    assert window.settings.value("doodle/model") == "rabbit"
    assert DoodleTab(window).model_combo.currentData() == "rabbit"  # as the next session opens it
    run(tab, qtbot, "random")
    assert any(c.new for c in tab.grid.cells) and tab.outcome is not None
    layers = len(window.document.layers)
    tab.model_combo.setFocus()
    qtbot.keyClick(tab.model_combo, "2")  # a number key places that candidate
    assert len(window.document.layers) == layers + 1
    assert window.document.layers[-1].metadata["generation"]["candidate"] == 1
    window.set_document(type(window.document).blank(), None)
    assert tab.outcome is None and not any(c.new or c.label for c in tab.grid.cells)


def test_ctrl_return_generates_and_all_nine_cells_show_with_their_labels_above(window, tab, qtbot):
    from PySide6.QtCore import Qt

    window.canvas.setFocus()  # the user has been drawing: the canvas has the focus, not the tab
    qtbot.keyClick(window.canvas, Qt.Key_Return, Qt.ControlModifier)
    qtbot.waitUntil(lambda: tab.job is not None and tab.job.done, timeout=60000)
    assert tab.last_request.action == "random"  # the canvas is empty: Random
    seed = tab.seed.value()
    qtbot.keyClick(window.canvas, Qt.Key_Return, Qt.ControlModifier)  # then: Again, with the next seed
    qtbot.waitUntil(lambda: tab.job.done and tab.last_request.seed == seed + 1, timeout=60000)
    qtbot.wait(50)
    assert window.width() <= 1280 and window.height() <= 860  # the default window size
    for cell in tab.grid.cells:  # every cell wholly on screen, not below the panel's edge
        assert cell.visibleRegion().boundingRect().size() == cell.size(), cell.label
    image = tab.grid.cells[0].grab().toImage()
    strip = tab.grid.cells[0].fontMetrics().height() + 2
    dark = lambda y0, y1: sum(image.pixelColor(x, y).lightness() < 90  # noqa: E731 - the drawing's ink
                              for x in range(2, image.width() - 2) for y in range(y0, y1))
    assert dark(strip + 1, image.height() - 2) > 20  # the drawing is below the label's strip


def test_cli_doodle_ndjson_category_names_and_errors(tmp_path, capsys):
    import json

    from artdesk.cli import main

    out, again = tmp_path / "p.ndjson", tmp_path / "q.ndjson"
    assert main(["doodle", "random", "--model", "palm tree", "--count", "4", "--no-pick", "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 4 and {r["word"] for r in rows} == {"palm tree"}
    for r in rows:  # Quick, Draw! layout: [[xs], [ys]] per stroke, from 0, the longer side 255
        xs = [v for s in r["drawing"] for v in s[0]]
        ys = [v for s in r["drawing"] for v in s[1]]
        assert min(xs) == 0 and min(ys) == 0 and max(max(xs), max(ys)) == 255
    assert main(["doodle", "random", "--model", "palm_tree", "--count", "4", "--no-pick", "--out", str(again)]) == 0
    assert again.read_text() == out.read_text()  # either spelling, same model, same seed
    assert "(picked)" not in capsys.readouterr().out
    assert main(["doodle", "random", "--model", "sheep (Sheep Market)", "--count", "3", "--out", str(out)]) == 0
    assert "(picked)" in capsys.readouterr().out  # picking is the default, as in the tab
    assert main(["doodle", "random", "--model", "unicorn", "--out", str(tmp_path / "u.svg")]) == 2
    err = capsys.readouterr().err
    assert "no doodle model 'unicorn'" in err and "palm tree" in err and "sheep (Sheep Market)" in err
    assert main(["doodle", "random", "--input", str(out), "--out", str(tmp_path / "r.svg")]) == 2
    assert "--input" in capsys.readouterr().err


def test_the_tab_offers_redraw_morph_and_mix_for_a_category_with_a_reader(reader_models, window, tab, qtbot,
                                                                          shared_data):
    from artdesk.engines.doodle_io import reads_drawings, student_reads

    _, cat = reader_models  # the sheep, read by its reader (tests/conftest.py)
    tab.reload_models()
    half_sheep(window, shared_data)
    tab.model_combo.setCurrentIndex(tab.model_combo.findData(cat))
    assert all(tab.buttons[k].isEnabled() for k in ("redraw", "morph", "mix"))
    assert f"Read by the {cat} reader" in tab.buttons["redraw"].toolTip()
    run(tab, qtbot, "redraw")
    assert tab.job.outcome == "result" and len(tab.outcome.candidates) == 9
    lacking = next(c for c in shipped_categories() if not reads_drawings(c) and not student_reads(c))
    tab.model_combo.setCurrentIndex(tab.model_combo.findData(lacking))
    assert not any(tab.buttons[k].isEnabled() for k in ("redraw", "morph", "mix"))
    tip = tab.buttons["morph"].toolTip()
    assert "has no reader" in tip and f"Categories with a reader: {cat}" in tip


def test_a_drawing_fills_the_room_of_its_cell_along_its_longer_fit(qtbot):
    import numpy as np

    from artdesk.ui.doodle_tab import CandidateCell

    cell = CandidateCell()
    qtbot.addWidget(cell)
    cell.resize(120, 60)
    strip = cell.fontMetrics().height() + 2

    def ink(lines):
        cell.show_lines([], lines, "1  snake 95%")
        image = cell.grab().toImage()
        dark = [(x, y) for y in range(strip + 1, image.height()) for x in range(image.width())
                if image.pixelColor(x, y).lightness() < 90]
        xs, ys = [x for x, _ in dark], [y for _, y in dark]
        return max(xs) - min(xs), max(ys) - min(ys)

    wide_w, _ = ink([np.array([[0.0, 0.0], [100.0, 0.0], [100.0, 10.0]])])  # 100 wide, 10 tall
    assert wide_w >= 0.8 * (120 - 8)  # the cell's width (a square fit drew it 32 px wide)
    _, tall_h = ink([np.array([[0.0, 0.0], [0.0, 100.0], [30.0, 100.0]])])  # 30 wide, 100 tall
    assert 0.8 * (60 - strip - 6) <= tall_h <= 60 - strip  # the height under the label, never into it
