"""Reader VAEs: Redraw, Morph and Mix read the drawing with a category's reader (models/doodle/readers)
while Random and Continue keep the teacher-level student; the carry measure behind shipping one.

The reader_models fixture (tests/conftest.py) lists the Sheep Market VAE as the Quick, Draw! sheep's
reader in a models folder of its own, so these run whichever readers are shipped."""

import json
import os

import numpy as np
import pytest

from artdesk.engines import doodle_io
from artdesk.engines.progress import run_to_end
from artdesk.errors import ModelError

LINES = [np.array([[0, 0], [60, -20], [120, 0], [100, 60], [20, 60], [0, 0]], float),
         np.array([[120, 0], [150, -30], [170, -10]], float)]


def test_readers_are_listed_apart_from_the_students(reader_models):
    _, cat = reader_models
    assert doodle_io.reader_categories() == [cat]
    shipped = doodle_io.shipped_categories()
    assert cat in shipped and not any("/" in c for c in shipped)  # doodle/readers/<c> is no category of its own
    assert doodle_io.reads_drawings(cat) and not doodle_io.student_reads(cat)
    others = [c for c in shipped if c != cat and not doodle_io.student_reads(c)]
    assert others and not any(doodle_io.reads_drawings(c) for c in others)


def test_every_shipped_reader_carries_the_drawing():
    for cat in doodle_io.reader_categories():  # the project's own readers, as shipped
        meta = doodle_io.open_reader(cat).meta
        assert meta["role"] == "reader" and meta["carry"]["carries"] is True, cat
        teacher = meta["carry"]["teacher"]
        assert teacher["redraw"] > teacher["random"] + 2 * teacher["gain_se"], cat


def test_a_reader_category_redraws_and_morphs_with_its_reader_and_draws_random_with_its_student(reader_models):
    _, cat = reader_models
    reader, student = doodle_io.open_reading_model(cat), doodle_io.open_model(cat)
    assert reader.has_encoder and reader.num_units == 256 and not student.has_encoder and student.num_units == 512
    redraw = run_to_end(doodle_io.doodle_job(doodle_io.Request("redraw", cat, 3, 0.25, lines=LINES)))
    assert len(redraw.candidates) == 9 and all(len(c) >= doodle_io.WHOLE_MIN_POINTS for c in redraw.candidates)
    morph = run_to_end(doodle_io.doodle_job(doodle_io.Request("morph", cat, 3, 0.25, lines=LINES)))
    assert len(morph.candidates) == doodle_io.MORPH_STEPS
    mix = run_to_end(doodle_io.doodle_job(doodle_io.Request("mix", cat, 3, 0.25, lines=LINES, mix_with="sheep_market")))
    assert len(mix.candidates) == 9
    random = run_to_end(doodle_io.doodle_job(doodle_io.Request("random", cat, 3, 0.25, count=2)))
    assert len(random.candidates) == 2


def test_a_category_without_a_reader_gets_the_sentence_naming_the_readers(reader_models):
    _, cat = reader_models
    lacking = [c for c in doodle_io.shipped_categories() if not doodle_io.reads_drawings(c)]
    assert lacking
    with pytest.raises(doodle_io.DoodleInputError) as info:
        run_to_end(doodle_io.doodle_job(doodle_io.Request("redraw", lacking[0], 1, 0.25, lines=LINES)))
    text = str(info.value)
    assert "has no reader" in text and "Categories with a reader: " in text and "sheep" in text.split("reader:")[-1]
    with pytest.raises(doodle_io.DoodleInputError, match="has no reader"):
        run_to_end(doodle_io.doodle_job(doodle_io.Request("mix", cat, 1, 0.25, lines=LINES, mix_with=lacking[0])))


def test_a_tampered_reader_file_is_refused(reader_models):
    from artdesk.runtime import models as runtime

    folder, cat = reader_models
    doodle_io.open_reader(cat)  # the faithful copy opens
    readers = folder / "doodle" / "readers"
    meta = json.loads((readers / f"{cat}.json").read_text())
    meta["scale_factor"] *= 1.01  # a plausible edit, still valid by value
    (readers / f"{cat}.json").write_text(json.dumps(meta))
    runtime.clear_cache()
    with pytest.raises(ModelError, match="checksum"):
        doodle_io.open_reader(cat)
    with pytest.raises(ModelError, match="checksum"):  # the app's path says the same, not a crash
        run_to_end(doodle_io.doodle_job(doodle_io.Request("redraw", cat, 1, 0.25, lines=LINES)))
    (readers / f"{cat}.decoder.onnx").write_bytes(b"\x08\x07not a model")
    runtime.clear_cache()
    with pytest.raises(ModelError):
        doodle_io.open_reader(cat)
    os.unlink(readers / f"{cat}.encoder.onnx")
    runtime.clear_cache()
    with pytest.raises(ModelError):
        doodle_io.open_reader(cat)


def test_the_carry_measure_tells_a_copy_from_another_drawing():
    from artdesk.bench_doodle_carry import carries, iou_matrix

    square = np.array([[0, 0, 0], [40, 0, 0], [0, 40, 0], [-40, 0, 0], [0, -40, 1]], np.float32)
    cross = np.array([[0, 0, 0], [40, 40, 1], [-40, 0, 0], [40, -40, 1]], np.float32)
    m = iou_matrix([square, cross], [square, cross])
    assert m[0, 0] == pytest.approx(1.0) and m[1, 1] == pytest.approx(1.0) and m[0, 1] < 0.6
    wobbly = square.copy()
    wobbly[1:, :2] += np.array([[2, -1], [-1, 2], [1, 1], [-2, 1]], np.float32)
    assert iou_matrix([wobbly], [square])[0, 0] > m[0, 1]
    good = {"teacher": {"gain": 0.05, "gain_se": 0.01}, "real": {"gain": 0.02}}
    assert carries(good)
    assert not carries({**good, "teacher": {"gain": 0.01, "gain_se": 0.01}})
    assert not carries({**good, "real": {"gain": -0.01}})


def test_redraw_keeps_the_students_drawings_nearest_the_doodle_in_the_readers_latent(reader_models):
    from artdesk.engines.doodle import sample_doodles

    _, cat = reader_models
    reader, student = doodle_io.open_reading_model(cat), doodle_io.open_model(cat)
    pool = run_to_end(sample_doodles(student, 8, seed=4, temperature=0.25, min_points=10))
    for k in (0, 5):  # a doodle that is one of the pool's drawings is its own nearest
        doodle = doodle_io.read_whole(reader, pool[k])
        order = doodle_io.nearest_by_reading(reader, doodle, pool, 3)
        assert order[0] == k and len(set(order.tolist())) == 3
    outcome = run_to_end(doodle_io.doodle_job(doodle_io.Request("redraw", cat, 4, 0.25, lines=LINES, count=2)))
    assert len(outcome.candidates) == 2 and all(len(c) >= doodle_io.WHOLE_MIN_POINTS for c in outcome.candidates)


def test_morph_with_a_reader_walks_from_the_doodle_to_the_other_through_distinct_drawings(reader_models):
    """walk_by_reading: each point of the slerp path takes the pool drawing the reader reads nearest it,
    each once; a pool holding the two ends gives them back as the first and last frames."""
    from artdesk.engines.doodle import morph_path, sample_doodles

    _, cat = reader_models
    reader = doodle_io.open_reading_model(cat)
    s3, _, _ = doodle_io.doodle_from_lines(LINES, reader, room=doodle_io.READ_ROOM)
    others = run_to_end(sample_doodles(doodle_io.open_model(cat), 8, seed=5, temperature=0.25,
                                       min_points=doodle_io.WHOLE_MIN_POINTS))
    other = doodle_io.read_whole(reader, others[0])  # in the reader's frame, as doodle_job reads it
    pool = [other, s3] + list(others[1:]) + [np.zeros((0, 3), np.float32)]  # an empty one is never picked
    picks = doodle_io.walk_by_reading(reader, morph_path(reader, s3, other, 5), pool)
    assert picks[0] == 1 and picks[-1] == 0
    assert len(picks) == 5 and len(set(picks)) == 5 and len(pool) - 1 not in picks
    assert doodle_io.walk_by_reading(reader, morph_path(reader, s3, other, 3), [np.zeros((0, 3), np.float32)]) == []


def test_mix_into_a_reader_category_keeps_the_drawings_its_reader_reads_nearest_the_doodle(reader_models):
    """Mix with a painter that has a reader: of its student's drawings, the n
    whose reader latent is nearest the doodle's reading (nearest_to_latent), nearest first."""
    from artdesk.engines.doodle import encode_doodles

    _, cat = reader_models
    reader = doodle_io.open_reading_model(cat)
    s3, _, _ = doodle_io.doodle_from_lines(LINES, reader, room=doodle_io.READ_ROOM)
    mu, _ = encode_doodles(reader, [s3])
    mix = run_to_end(doodle_io.doodle_job(doodle_io.Request("mix", cat, 4, 0.25, lines=LINES, mix_with=cat)))
    assert len(mix.candidates) == 9 and all(len(c) >= doodle_io.WHOLE_MIN_POINTS for c in mix.candidates)
    order = doodle_io.nearest_to_latent(reader, mu[0], list(mix.candidates), 9)
    assert list(order) == list(range(9))  # already nearest first
    pool = [np.zeros((0, 3), np.float32), s3]
    assert list(doodle_io.nearest_to_latent(reader, mu[0], pool, 2)) == [1, 0]  # the unreadable one last
