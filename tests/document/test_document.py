import io
import json
import os
import signal
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image

from artdesk.document import commands as cmds
from artdesk.document.model import Document, RasterLayer, Stroke
from artdesk.document.project import ProjectFileError, load_project, save_project


def busy_doc() -> Document:
    doc = Document.blank()
    doc.layers[0].strokes += [Stroke.from_xy([(10, 10), (50, 60), (90, 20)], "#ff0000", 5, pressure=0.7),
                              Stroke(np.array([[100, 100, 0.2, 0.0], [120, 130, 0.9, 0.05]]), "#00ff00", 9)]
    pixels = np.zeros((32, 48, 4), np.uint8)
    pixels[..., 0] = np.arange(48, dtype=np.uint8)[None, :] * 5
    pixels[8:24, 8:40, 3] = 255
    doc.layers.append(RasterLayer(name="Pixels", pixels=pixels, rect=(100, 200, 480, 320), resample="crisp",
                                  opacity=0.5, metadata={"generation": {"engine": "bauhaus", "seed": 7}}))
    doc.metadata["title"] = "test"
    return doc


def test_stroke_rejects_bad_points():
    with pytest.raises(ValueError):
        Stroke(np.zeros((0, 4)))
    with pytest.raises(ValueError):
        Stroke(np.array([[1, 2, np.nan, 0]]))
    with pytest.raises(ValueError):
        Stroke(np.zeros((3, 2)))


def test_commands_undo_restores_exact_state():
    doc = busy_doc()
    vec = doc.layers[0]
    a, b = vec.strokes
    extra = Stroke.from_xy([(0, 0), (1, 1)])
    history = [cmds.AddStroke(vec.id, extra), cmds.RemoveStrokes(vec.id, [a, extra]),
               cmds.SetLayerProperty(vec.id, "name", "Ink"), cmds.MoveLayer(vec.id, 1),
               cmds.SetLayerProperty(doc.layers[1].id, "opacity", 3.0), cmds.RemoveLayer(doc.layers[1].id)]
    states = []
    for command in history:
        states.append(([l.id for l in doc.layers], list(vec.strokes), vec.name, [l.opacity for l in doc.layers]))
        command.do(doc)
    assert vec.strokes == [b]
    for command, state in zip(reversed(history), reversed(states)):
        command.undo(doc)
        assert ([l.id for l in doc.layers], list(vec.strokes), vec.name, [l.opacity for l in doc.layers]) == state
    assert vec.strokes == [a, b]


def test_opacity_is_clamped():
    doc = busy_doc()
    cmd = cmds.SetLayerProperty(doc.layers[0].id, "opacity", 3.0)
    cmd.do(doc)
    assert doc.layers[0].opacity == 1.0


def test_save_open_round_trip(tmp_path):
    doc = busy_doc()
    path = tmp_path / "pic.artdesk"
    save_project(doc, path)
    back = load_project(path)
    assert (back.width, back.height, back.metadata) == (doc.width, doc.height, doc.metadata)
    assert [l.kind for l in back.layers] == ["vector", "raster"]
    for s1, s2 in zip(doc.layers[0].strokes, back.layers[0].strokes):
        np.testing.assert_allclose(s1.points, s2.points, atol=1e-3)
        assert (s1.color, s1.width) == (s2.color, s2.width)
    r1, r2 = doc.layers[1], back.layers[1]
    np.testing.assert_array_equal(r1.pixels, r2.pixels)
    assert (r2.rect, r2.resample, r2.opacity, r2.metadata, r2.id, r2.name) == \
        (r1.rect, r1.resample, r1.opacity, r1.metadata, r1.id, r1.name)


def test_killed_save_leaves_previous_file_intact(tmp_path):
    """SIGKILL a process in the middle of saving a big project over an existing file."""
    path = tmp_path / "keep.artdesk"
    save_project(busy_doc(), path)
    before = path.read_bytes()
    script = textwrap.dedent(f"""
        import numpy as np, sys, time, zipfile
        from artdesk.document.model import Document, RasterLayer
        from artdesk.document import project
        real = zipfile.ZipFile.writestr
        def slow(self, *a, **k):
            real(self, *a, **k)
            print("writing", flush=True)
            time.sleep(0.3)
        zipfile.ZipFile.writestr = slow
        doc = Document.blank()
        for i in range(20):
            doc.layers.append(RasterLayer(name=str(i), pixels=np.random.default_rng(i).integers(0, 255, (256, 256, 4), dtype=np.uint8), rect=(0, 0, 10, 10)))
        project.save_project(doc, {str(path)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    for _ in range(3):
        assert proc.stdout.readline().startswith("writing")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert path.read_bytes() == before
    assert len(load_project(path).layers) == 2
    leftovers = [p for p in tmp_path.iterdir() if p.name != "keep.artdesk"]
    assert all(p.name.endswith(".tmp") for p in leftovers)


def test_failed_save_raises_and_keeps_file(tmp_path, monkeypatch):
    path = tmp_path / "keep.artdesk"
    save_project(busy_doc(), path)
    before = path.read_bytes()
    import artdesk.document.project as project

    monkeypatch.setattr(project, "_png_bytes", lambda px: (_ for _ in ()).throw(OSError(28, "No space left")))
    with pytest.raises(OSError):
        save_project(busy_doc(), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.artdesk"]


def _project_bytes(tmp_path) -> bytes:
    save_project(busy_doc(), tmp_path / "ok.artdesk")
    return (tmp_path / "ok.artdesk").read_bytes()


def _rezip(tmp_path, name, entries: dict, compression=zipfile.ZIP_DEFLATED):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", compression) as zf:
        for key, value in entries.items():
            zf.writestr(key, value)
    return path


def _png_header_only(width, height) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def _doc_json(**changes):
    data = {"format": "artdesk-project", "version": 1, "width": 900, "height": 1080, "metadata": {},
            "layers": [{"id": "r1", "kind": "raster", "name": "R", "rect": [0, 0, 10, 10], "image": "layers/r1.png"}]}
    data.update(changes)
    return json.dumps(data)


@pytest.mark.parametrize("case", ["truncated", "garbage", "empty", "foreign_zip", "bad_json", "newer",
                                  "huge_page", "unknown_layer", "zip_bomb", "png_bomb", "bad_png",
                                  "missing_png", "bad_stroke"])
def test_corrupt_and_hostile_projects_are_refused(tmp_path, case):
    good = _project_bytes(tmp_path)
    tiny_png = io.BytesIO()
    Image.new("RGBA", (2, 2)).save(tiny_png, "PNG")
    make = {
        "truncated": lambda: (tmp_path / "t.artdesk").write_bytes(good[: len(good) // 2]) and tmp_path / "t.artdesk",
        "garbage": lambda: (tmp_path / "g.artdesk").write_bytes(os.urandom(5000)) and tmp_path / "g.artdesk",
        "empty": lambda: (tmp_path / "e.artdesk").write_bytes(b"") is not None and tmp_path / "e.artdesk",
        "foreign_zip": lambda: _rezip(tmp_path, "f.artdesk", {"hello.txt": "hi"}),
        "bad_json": lambda: _rezip(tmp_path, "j.artdesk", {"document.json": "{not json"}),
        "newer": lambda: _rezip(tmp_path, "n.artdesk", {"document.json": _doc_json(version=99)}),
        "huge_page": lambda: _rezip(tmp_path, "h.artdesk", {"document.json": _doc_json(width=10**9)}),
        "unknown_layer": lambda: _rezip(tmp_path, "u.artdesk", {"document.json": _doc_json(
            layers=[{"id": "x", "kind": "python", "name": "evil"}])}),
        "zip_bomb": lambda: _rezip(tmp_path, "z.artdesk", {"document.json": _doc_json(),
                                                           "layers/r1.png": b"\x00" * (64 * 1024 * 1024)}),
        "png_bomb": lambda: _rezip(tmp_path, "p.artdesk", {"document.json": _doc_json(),
                                                           "layers/r1.png": _png_header_only(60000, 60000)}),
        "bad_png": lambda: _rezip(tmp_path, "b.artdesk", {"document.json": _doc_json(),
                                                          "layers/r1.png": tiny_png.getvalue()[:30]}),
        "missing_png": lambda: _rezip(tmp_path, "m.artdesk", {"document.json": _doc_json()}),
        "bad_stroke": lambda: _rezip(tmp_path, "s.artdesk", {"document.json": _doc_json(
            layers=[{"id": "v", "kind": "vector", "name": "V", "strokes": [{"points": [[1, 2]]}]}])}),
    }
    path = make[case]()
    with pytest.raises(ProjectFileError) as info:
        load_project(path)
    message = str(info.value)
    assert path.name in message and "Traceback" not in message


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ProjectFileError, match="does not exist"):
        load_project(tmp_path / "nope.artdesk")


def test_stroke_distance():
    s = Stroke.from_xy([(0, 0), (10, 0)])
    assert s.distance_to(5, 3) == pytest.approx(3)
    assert s.distance_to(13, 4) == pytest.approx(5)


def test_saved_files_get_normal_permissions(tmp_path):
    path = tmp_path / "p.artdesk"
    save_project(busy_doc(), path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    os.chmod(path, 0o640)
    save_project(busy_doc(), path)
    assert path.stat().st_mode & 0o777 == 0o640
