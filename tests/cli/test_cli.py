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
