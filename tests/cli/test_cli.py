import json
import numpy as np
import pytest
from PIL import Image

from artdesk.bench import sample_drawing
from artdesk.cli import main
from artdesk.document.project import save_project


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert "ArtDesk" in capsys.readouterr().out


def test_export_png_svg_ora(tmp_path, capsys):
    save_project(sample_drawing(20), tmp_path / "d.artdesk")
    assert main(["export", str(tmp_path / "d.artdesk"), "--out", str(tmp_path / "d.png"), "--preset", "screen"]) == 0
    with Image.open(tmp_path / "d.png") as im:
        assert im.size == (900, 1080) and np.asarray(im)[..., 3].any()
    assert main(["export", str(tmp_path / "d.artdesk"), "--out", str(tmp_path / "d.svg")]) == 0
    assert (tmp_path / "d.svg").read_text().count("<path") == 20
    assert main(["export", str(tmp_path / "d.artdesk"), "--out", str(tmp_path / "d.ora")]) == 0


def test_export_refuses_bad_input(tmp_path, capsys):
    (tmp_path / "bad.artdesk").write_bytes(b"nope")
    assert main(["export", str(tmp_path / "bad.artdesk"), "--out", str(tmp_path / "x.png")]) == 2
    assert "bad.artdesk" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
    save_project(sample_drawing(2), tmp_path / "d.artdesk")
    assert main(["export", str(tmp_path / "d.artdesk"), "--out", str(tmp_path / "x.bmp")]) == 2


def test_doodle_redraw_and_morph_with_a_reader_and_the_sentence_without_one(tmp_path, capsys, shared_data,
                                                                            reader_models):
    from artdesk.engines.doodle_io import reads_drawings, shipped_categories

    _, cat = reader_models  # the sheep, read by its reader (tests/conftest.py)
    real = shared_data / "sketch" / "quickdraw_real" / f"{cat}.ndjson"
    for action in ("redraw", "morph"):
        out = tmp_path / f"{action}.ndjson"
        assert main(["doodle", action, "--model", cat, "--input", str(real), "--out", str(out)]) == 0
        rows = out.read_text().splitlines()
        assert len(rows) == (10 if action == "morph" else 9) and all(json.loads(r)["drawing"] for r in rows)
    lacking = [c for c in shipped_categories() if not reads_drawings(c)]
    capsys.readouterr()
    assert main(["doodle", "redraw", "--model", lacking[0].replace("_", " "), "--input", str(real),
                 "--out", str(tmp_path / "x.svg")]) == 2
    err = capsys.readouterr().err
    assert "has no reader" in err and "Categories with a reader:" in err and cat in err.split("reader:")[-1]
    assert not (tmp_path / "x.svg").exists()
