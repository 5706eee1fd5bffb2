"""The application layer without Qt: requests -> jobs -> undo commands with what made them."""

import numpy as np

from artdesk.actions import bauhaus as bauhaus_actions
from artdesk.actions import doodle as doodle_actions
from artdesk.document.model import Document, RasterLayer, Stroke
from artdesk.engines import bauhaus
from artdesk.engines.progress import run_to_end


def apply(doc, applied):
    for command in applied.commands:
        command.do(doc)


def undo(doc, applied):
    for command in reversed(applied.commands):
        command.undo(doc)


def test_a_continued_doodle_records_what_made_it_like_random():
    doc = Document.blank()
    layer = doc.layers[0]
    layer.strokes.append(Stroke.from_xy([(300, 300), (360, 280), (420, 320), (430, 400)], "#000000", 5))
    lines = [s.points[:, :2] for s in layer.strokes]
    request = doodle_actions.Request("continue", "sheep", 11, 0.3, lines=lines, layer_id=layer.id)
    outcome = run_to_end(doodle_actions.doodle_job(request))
    index = next(i for i in range(len(outcome.candidates))
                 if doodle_actions.place_candidate(doc, outcome, i, "#ff0000", 4.0) is not None)
    applied = doodle_actions.place_candidate(doc, outcome, index, "#ff0000", 4.0)
    apply(doc, applied)
    assert len(doc.layers) == 1 and len(layer.strokes) > 1
    made = layer.metadata["generation"]
    assert made == {"engine": "doodle", "model": "sheep", "action": "continue", "seed": 11,
                    "temperature": 0.3, "candidate": index}
    undo(doc, applied)
    assert len(layer.strokes) == 1 and "generation" not in layer.metadata

    random = doodle_actions.Request("random", "sheep", 11, 0.3)
    placed = doodle_actions.place_candidate(doc, run_to_end(doodle_actions.doodle_job(random)), 0, "#000", 3.0)
    apply(doc, placed)
    assert set(made) <= set(doc.layers[-1].metadata["generation"])


def test_again_asks_a_new_request_and_keeps_the_old_one():
    first = doodle_actions.Request("random", "sheep", 1, 0.25)
    second = doodle_actions.again(first, 2, 0.5, True)
    assert (first.seed, first.temperature, first.pick) == (1, 0.25, False)
    assert (second.seed, second.temperature, second.pick, second.action) == (2, 0.5, True, "random")


def test_a_bauhaus_painting_is_one_crisp_layer_that_records_its_seed():
    chain = bauhaus.load_builtin_chain("kandinsky_scan_o3")
    request = bauhaus_actions.PaintRequest(chain, "kandinsky_scan_o3", 30, 36, seed=4, block=2, order=2)
    image = run_to_end(bauhaus_actions.paint_job(request))
    assert image.shape == (36, 30, 4)
    assert np.array_equal(image, run_to_end(bauhaus_actions.paint_job(request)))  # the seed makes it again
    doc = Document.blank()
    applied = bauhaus_actions.place_painting(doc, request, image)
    apply(doc, applied)
    layer = doc.layers[-1]
    assert isinstance(layer, RasterLayer) and layer.resample == "crisp" and applied.select == layer.id
    assert layer.metadata["generation"] == {"engine": "bauhaus", "model": "kandinsky_scan_o3", "order": 2,
                                            "palette": chain.palette_size, "context": chain.context,
                                            "seed": 4, "block": 2, "size": [30, 36]}
    assert layer.rect[2] / layer.rect[3] == 30 / 36


def test_learning_refuses_a_bad_picture_with_a_sentence(tmp_path):
    import pytest

    from artdesk.document.imports import ImportFailed

    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(ImportFailed, match="Remove it from the list"):
        run_to_end(bauhaus_actions.learn_job(bauhaus_actions.LearnRequest([str(bad)])))


def test_a_reader_category_redraws_and_morphs_through_the_actions(reader_models):
    _, cat = reader_models  # the sheep, read by its reader (tests/conftest.py)
    doc = Document.blank()
    layer = doc.layers[0]
    layer.strokes.append(Stroke.from_xy([(300, 300), (420, 260), (520, 320), (480, 420), (330, 420), (300, 300)],
                                        "#000000", 5))
    lines = [s.points[:, :2] for s in layer.strokes]
    for action, count in (("redraw", 9), ("morph", 10)):
        outcome = run_to_end(doodle_actions.doodle_job(doodle_actions.Request(action, cat, 5, 0.25, lines=lines)))
        assert len(outcome.candidates) == count
        index = next(i for i, c in enumerate(outcome.candidates) if len(c) > 2)
        applied = doodle_actions.place_candidate(doc, outcome, index, "#0000ff", 3.0)
        apply(doc, applied)
        made = doc.layers[-1].metadata["generation"]
        assert made["action"] == action and made["model"] == cat
        undo(doc, applied)
        assert len(doc.layers) == 1
