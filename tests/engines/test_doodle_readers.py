"""Reader VAEs: Redraw, Morph and Mix read the drawing with a category's reader (models/doodle/readers)
while Random and Continue keep the teacher-level student; the carry measure behind shipping one."""

import json
import os
import shutil

import numpy as np
import pytest

from artdesk.engines import doodle_io
from artdesk.engines.progress import run_to_end
from artdesk.errors import ModelError


def a_reader() -> str:
    readers = doodle_io.reader_categories()
    assert readers, "no reader is shipped: models/doodle/readers and their manifest entries are missing"
    return "bird" if "bird" in readers else readers[0]


def test_readers_are_listed_apart_from_the_students():
    readers = doodle_io.reader_categories()
    shipped = doodle_io.shipped_categories()
    assert readers and set(readers) <= set(shipped)
    assert not any("/" in c for c in shipped)  # doodle/readers/<c> ids are not categories of their own
    for c in readers:
        assert doodle_io.reads_drawings(c)
    meta = doodle_io.open_reader(a_reader()).meta
    assert meta["role"] == "reader" and meta["carry"]["carries"] is True


def test_a_reader_category_redraws_and_morphs_with_its_reader_and_draws_random_with_its_student():
    cat = a_reader()
    if doodle_io.student_reads(cat):
        pytest.skip(f"the {cat} student reads drawings itself")
    reader, student = doodle_io.open_reading_model(cat), doodle_io.open_model(cat)
    assert reader.has_encoder and reader.num_units == 256 and not student.has_encoder
    lines = [np.array([[0, 0], [60, -20], [120, 0], [100, 60], [20, 60], [0, 0]], float),
             np.array([[120, 0], [150, -30], [170, -10]], float)]
    redraw = run_to_end(doodle_io.doodle_job(doodle_io.Request("redraw", cat, 3, 0.25, lines=lines)))
    assert len(redraw.candidates) == 9 and all(len(c) >= doodle_io.WHOLE_MIN_POINTS for c in redraw.candidates)
    morph = run_to_end(doodle_io.doodle_job(doodle_io.Request("morph", cat, 3, 0.25, lines=lines)))
    assert len(morph.candidates) == doodle_io.MORPH_STEPS
    random = run_to_end(doodle_io.doodle_job(doodle_io.Request("random", cat, 3, 0.25, count=2)))
    assert len(random.candidates) == 2


def test_a_category_without_a_reader_gets_the_sentence_naming_the_readers():
    lacking = [c for c in doodle_io.shipped_categories() if not doodle_io.reads_drawings(c)]
    if not lacking:
        pytest.skip("every category reads drawings")
    lines = [np.array([[0, 0], [60, -20], [120, 0], [100, 60]], float)]
    with pytest.raises(doodle_io.DoodleInputError) as info:
        run_to_end(doodle_io.doodle_job(doodle_io.Request("redraw", lacking[0], 1, 0.25, lines=lines)))
    text = str(info.value)
    assert "has no reader" in text and doodle_io.category_label(a_reader()) in text
    with pytest.raises(doodle_io.DoodleInputError, match="has no reader"):
        run_to_end(doodle_io.doodle_job(doodle_io.Request("mix", a_reader(), 1, 0.25, lines=lines,
                                                          mix_with=lacking[0])))


def test_a_tampered_reader_file_is_refused(tmp_path, monkeypatch):
    from artdesk.runtime import models as runtime

    cat = a_reader()
    shipped = runtime.models_dir()
    copy = tmp_path / "models"
    shutil.copytree(shipped / "doodle", copy / "doodle", ignore=shutil.ignore_patterns("*.onnx"))
    for name in os.listdir(shipped / "doodle" / "readers"):
        if name.endswith(".onnx"):
            os.symlink(shipped / "doodle" / "readers" / name, copy / "doodle" / "readers" / name)
    shutil.copy(shipped / "manifest.json", copy / "manifest.json")
    monkeypatch.setattr("artdesk.paths.models_dir", lambda: copy)
    monkeypatch.setattr(runtime, "models_dir", lambda: copy)
    runtime.clear_cache()
    doodle_io.open_reader(cat)  # the faithful copy opens
    meta = json.loads((copy / "doodle" / "readers" / f"{cat}.json").read_text())
    meta["scale_factor"] *= 1.01  # a plausible edit, still valid by value
    (copy / "doodle" / "readers" / f"{cat}.json").write_text(json.dumps(meta))
    runtime.clear_cache()
    with pytest.raises(ModelError, match="checksum"):
        doodle_io.open_reader(cat)
    (copy / "doodle" / "readers" / f"{cat}.json").unlink()
    os.unlink(copy / "doodle" / "readers" / f"{cat}.decoder.onnx")
    (copy / "doodle" / "readers" / f"{cat}.decoder.onnx").write_bytes(b"\x08\x07not a model")
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
