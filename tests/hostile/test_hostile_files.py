"""One regression test per bug family of issue 14 (every file is hostile)."""

import io
import json
import os
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
import hostile  # noqa: E402

from artdesk.document.imports import ImportFailed, count_drawings, import_file, load_stroke3_npz  # noqa: E402
from artdesk.document.model import Document, Stroke  # noqa: E402
from artdesk.document.project import ProjectFileError, load_project, save_project  # noqa: E402
from artdesk.errors import ArtDeskError, ModelError  # noqa: E402


def project(tmp_path, doc=None, images=None, extra=None, name="x.artdesk"):
    seed_doc, seed_images = hostile.seed_document_json()
    path = tmp_path / name
    path.write_bytes(hostile.project_bytes(doc or seed_doc, seed_images if images is None else images, extra))
    return path


def layer_field(tmp_path, layer: int, **values):
    doc, _ = hostile.seed_document_json()
    doc["layers"][layer].update(values)
    return project(tmp_path, doc)


def stroke_field(tmp_path, **values):
    doc, _ = hostile.seed_document_json()
    doc["layers"][0]["strokes"][0].update(values)
    return project(tmp_path, doc)


# -- security ------------------------------------------------------------------------------------
def test_eps_never_reaches_ghostscript(tmp_path):
    eps = hostile.eps_bytes()
    with hostile.ProcessGuard() as guard:
        with pytest.raises(ProjectFileError, match="accepts PNG"):
            load_project(project(tmp_path, images={"layers/bbbbbbbbbbbb.png": eps}))
        for name in ("eps.png", "eps.jpg", "eps.webp"):
            (tmp_path / name).write_bytes(eps)
            with pytest.raises(ImportFailed, match="not an image ArtDesk reads"):
                import_file(tmp_path / name, Document.blank())
    assert guard.started == [] and not hostile.MARKER.exists()


@pytest.mark.parametrize("fmt,mode", [("TIFF", "RGBA"), ("BMP", "RGB"), ("GIF", "RGB"), ("ICO", "RGBA")])
def test_other_formats_renamed_png_are_refused(tmp_path, fmt, mode):
    path = tmp_path / "renamed.png"
    path.write_bytes(hostile.pil_bytes(fmt, mode=mode))
    with pytest.raises(ImportFailed, match="PNG, JPEG or WebP"):
        import_file(path, Document.blank())


def test_allowed_formats_are_told_by_their_bytes(tmp_path):
    doc = Document.blank()
    for fmt, name in (("WEBP", "pic.webp"), ("JPEG", "jpeg_named.png"), ("PNG", "png_named.jpg")):
        path = tmp_path / name
        path.write_bytes(hostile.pil_bytes(fmt, (20, 10), "RGB" if fmt == "JPEG" else "RGBA"))
        assert import_file(path, doc).pixels.shape == (10, 20, 4)
    webp_layer = hostile.pil_bytes("WEBP", (30, 20))
    with pytest.raises(ProjectFileError, match="a WebP image; ArtDesk accepts PNG"):
        load_project(project(tmp_path, images={"layers/bbbbbbbbbbbb.png": webp_layer}))


def test_npz_pickles_are_never_run_nor_believed(tmp_path):
    evil = tmp_path / "evil.npz"
    evil.write_bytes(hostile.npz_bytes({"test": hostile.npy_object_bytes([hostile._RunsCode()])}))
    with pytest.raises(ImportFailed, match="posix.system|nt.system"):
        load_stroke3_npz(evil)
    assert not hostile.MARKER.exists()
    claims = tmp_path / "claims.npz"  # a few hundred bytes asking numpy for 3e8 objects
    claims.write_bytes(hostile.npz_bytes({"test": hostile.pickle_shape_claim(300_000_000)}))
    assert claims.stat().st_size < 1000
    with pytest.raises(ImportFailed, match="do not match its shape"):
        load_stroke3_npz(claims)
    header = tmp_path / "header.npz"  # an npy header claiming 100 GB
    header.write_bytes(hostile.zip_bytes([("test.npy", b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': "
                                           b"False, 'shape': (12500000000,), }".ljust(127) + b"\n", 8)]))
    with pytest.raises(ImportFailed, match="more data than ArtDesk reads"):
        load_stroke3_npz(header)


def test_sketch_rnn_npz_still_imports_without_unpickling(tmp_path):
    from artdesk.engines.sketch_format import save_stroke3_npz

    drawings = hostile.seed_drawings(__import__("random").Random(3), 4)
    save_stroke3_npz(tmp_path / "d.npz", test=drawings, train=drawings[:2])
    sets = load_stroke3_npz(tmp_path / "d.npz")
    assert [len(sets["test"]), len(sets["train"])] == [4, 2]
    assert all(np.array_equal(a, b) for a, b in zip(sets["test"], drawings))
    assert count_drawings(tmp_path / "d.npz") == 4


# -- exceptions that escaped ---------------------------------------------------------------------
def test_zip_tricks_are_the_family_error(tmp_path):
    good = hostile.project_bytes(*hostile.seed_document_json())
    rng = __import__("random").Random(5)
    cases = {"damaged deflate": hostile.damage_deflate(good, rng),
             "encrypted": hostile.patch_zip_headers(good, flag=0x1)}
    cases.update({f"method {m}": hostile.patch_zip_headers(good, method=m) for m in (1, 9, 99)})
    for _label, data in cases.items():
        path = tmp_path / "z.artdesk"
        path.write_bytes(data)
        with pytest.raises(ProjectFileError):
            load_project(path)
        npz = tmp_path / "z.npz"
        npz.write_bytes(data)
        with pytest.raises(ImportFailed):
            import_file(npz, Document.blank())
    chain = hostile.arrays_npz(hostile.chain_arrays())
    from artdesk.engines import bauhaus

    for data in (hostile.damage_deflate(chain, rng), hostile.patch_zip_headers(chain, flag=1),
                 hostile.patch_zip_headers(chain, method=9)):
        (tmp_path / "c.npz").write_bytes(data)
        with pytest.raises(ModelError):
            bauhaus.load_chain(tmp_path / "c.npz")


def test_deep_json_and_huge_numbers(tmp_path):
    doc, _ = hostile.seed_document_json()
    doc["metadata"] = hostile.DEEP
    with pytest.raises(ProjectFileError, match="nested too deeply"):
        load_project(project(tmp_path, doc))
    for field in ("opacity",):
        with pytest.raises(ProjectFileError, match="opacity"):
            load_project(layer_field(tmp_path, 0, **{field: hostile.BIG_INT}))
    with pytest.raises(ProjectFileError, match="width"):
        load_project(stroke_field(tmp_path, width=hostile.BIG_INT))
    with pytest.raises(ProjectFileError, match="too large|out of range"):
        load_project(stroke_field(tmp_path, points=[[hostile.BIG_INT, 1, 1, 0]]))
    (tmp_path / "deep.ndjson").write_bytes(hostile.dumps({"word": "x", "drawing": hostile.DEEP}) + b"\n")
    with pytest.raises(ImportFailed, match="nested too deeply"):
        import_file(tmp_path / "deep.ndjson", Document.blank())


def gen_json(tmp_path, mutate) -> Path:
    gen = hostile.seed_gen_json(__import__("random").Random(1))
    mutate(gen)
    path = tmp_path / "m.gen.json"
    path.write_bytes(hostile.dumps(gen))
    return path


def test_gen_json_values_are_checked(tmp_path):
    from artdesk.engines.doodle import load_doodle_model

    assert load_doodle_model(gen_json(tmp_path, lambda g: None)).max_seq_len == 250
    bad = [lambda g: g[0].update(max_seq_len=float("inf")), lambda g: g[0].update(max_seq_len=10 ** 9),
           lambda g: g[0].update(max_seq_len=True), lambda g: g[0].update(scale_factor=float("nan")),
           lambda g: g[0].update(scale_factor="12"), lambda g: g[1].__setitem__(0, [True, 123]),
           lambda g: g[1].__setitem__(0, [10 ** 9, 10 ** 9]), lambda g: g[0].update(name=hostile.DEEP)]
    for mutate in bad:
        with pytest.raises(ModelError, match="not a readable sketch-rnn model"):
            load_doodle_model(gen_json(tmp_path, mutate))


def test_stroke_garbage_in_imports_is_import_failed(tmp_path):
    doc = Document.blank()
    lines = [{"word": "w", "drawing": [[[0, 1e308], [0, -1e308]]]},  # spans overflow
             {"word": "w", "drawing": [[[[0, 1]], [[0, 1]]]]},  # 2-D xs
             {"word": "w", "drawing": [[["1", "2"], ["3", "4"]]]},  # strings
             {"word": "w", "drawing": [[[True, False], [1, 2]]]}]  # booleans
    for record in lines:
        path = tmp_path / "w.ndjson"
        path.write_bytes(hostile.dumps(record) + b"\n")
        with pytest.raises(ImportFailed):
            import_file(path, doc)
    spans = tmp_path / "spans.npz"
    spans.write_bytes(hostile.npz_bytes({"test": hostile.npy_object_bytes([np.array([[1e308, 0, 0], [1e308, 0, 1]])])}))
    with pytest.raises(ImportFailed):
        import_file(spans, doc)


def test_cli_prints_a_sentence_and_exits_2(tmp_path, capsys):
    from artdesk.cli import main

    bad = tmp_path / "bad.artdesk"
    bad.write_bytes(hostile.patch_zip_headers(hostile.project_bytes(*hostile.seed_document_json()), method=99))
    eps = tmp_path / "eps.png"
    eps.write_bytes(hostile.eps_bytes())
    gen = gen_json(tmp_path, lambda g: g[0].update(max_seq_len=float("inf")))
    for args in (["export", str(bad), "--out", str(tmp_path / "o.png")],
                 ["export", str(eps), "--out", str(tmp_path / "o.png")],
                 ["doodle", "random", "--model", str(gen), "--out", str(tmp_path / "d.png")]):
        code = main(args)
        err = capsys.readouterr().err
        assert code == 2, (args, err)
        assert "Traceback" not in err and err.strip()
    assert not (tmp_path / "o.png").exists()


# -- memory and time -----------------------------------------------------------------------------
def test_pixel_budget_is_checked_from_headers(tmp_path):
    doc, _ = hostile.seed_document_json()
    layer = doc["layers"][1]
    doc["layers"] = [dict(layer, id=f"{i:012d}", image=f"layers/{i:012d}.png") for i in range(12)]
    huge = hostile.png_with_size(6000, 7200)  # a small file claiming 43 Mpx
    with pytest.raises(ProjectFileError, match="megapixels of images"):
        load_project(project(tmp_path, doc, {f"layers/{i:012d}.png": huge for i in range(12)}))
    shared, _ = hostile.seed_document_json()
    shared["layers"] = [dict(layer, id=f"{i:012d}") for i in range(12)]
    with pytest.raises(ProjectFileError, match="share the image"):
        load_project(project(tmp_path, shared, {"layers/bbbbbbbbbbbb.png": huge}))
    with pytest.raises(ProjectFileError, match="more than ArtDesk opens"):
        load_project(project(tmp_path, images={"layers/bbbbbbbbbbbb.png": hostile.png_with_size(100_000, 100_000)}))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_and_folders_are_refused_without_blocking(tmp_path):
    for name in ("pipe.ndjson", "pipe.artdesk", "pipe.png", "pipe.npz"):
        os.mkfifo(tmp_path / name)
    with pytest.raises(ImportFailed, match="not a regular file"):
        count_drawings(tmp_path / "pipe.ndjson")
    for name in ("pipe.ndjson", "pipe.png", "pipe.npz"):
        with pytest.raises(ImportFailed, match="not a regular file"):
            import_file(tmp_path / name, Document.blank())
    with pytest.raises(ProjectFileError, match="not a regular file"):
        load_project(tmp_path / "pipe.artdesk")


def test_ndjson_counting_streams_a_file_without_newlines(tmp_path):
    path = tmp_path / "one.ndjson"
    with open(path, "wb") as fh:
        fh.write(b'{"word": "x", "drawing": [[[')
        for _ in range(12):
            fh.write(b"1," * 500_000)
        fh.write(b"1]]]}")
    assert count_drawings(path) == 1
    with pytest.raises(ImportFailed, match="too long to be a drawing"):
        import_file(path, Document.blank())
    (tmp_path / "many.ndjson").write_bytes(b"\n\n" + b'{"drawing": [[[1, 2], [3, 4]]]}\n' * 3 + b"\n")
    assert count_drawings(tmp_path / "many.ndjson") == 3
    assert import_file(tmp_path / "many.ndjson", Document.blank(), 2).strokes


def test_npz_caps_points_and_strokes(tmp_path, monkeypatch):
    from artdesk.document import imports

    monkeypatch.setattr(imports, "MAX_NPZ_DRAWINGS", 500)
    one = np.array([[1, 1, 0], [2, 2, 1]], np.int16)
    path = tmp_path / "many.npz"
    path.write_bytes(hostile.npz_bytes({"test": hostile.npy_object_bytes([one] * 600)}))
    with pytest.raises(ImportFailed, match="600 drawings"):
        import_file(path, Document.blank())
    long = tmp_path / "long.npz"
    long.write_bytes(hostile.npz_bytes({"test": hostile.npy_object_bytes([np.ones((60_000, 3), np.int16)])}))
    with pytest.raises(ImportFailed, match="60,000 points"):
        import_file(long, Document.blank())


def test_chain_members_are_size_guarded(tmp_path, monkeypatch):
    from artdesk.engines import bauhaus

    monkeypatch.setattr(bauhaus, "MAX_CHAIN_BYTES", 20_000)
    path = tmp_path / "big.npz"
    arrays = hostile.chain_arrays()
    arrays["palette"] = np.zeros((30_000,), np.uint8)
    path.write_bytes(hostile.arrays_npz(arrays))
    with pytest.raises(ModelError, match="more than ArtDesk allows|more data"):
        bauhaus.load_chain(path)


# -- garbage accepted silently -------------------------------------------------------------------
@pytest.mark.parametrize("values,words", [
    ({"width": float("nan")}, "width"), ({"width": float("inf")}, "width"), ({"width": 0}, "width"),
    ({"width": -5}, "width"), ({"width": 1e30}, "width"), ({"width": True}, "width"),
    ({"color": "not a colour"}, "colour"), ({"color": 123}, "colour"),
    ({"points": [["1", "2", "1", "0"]]}, "four numbers"), ({"points": [[True, 2, 1, 0]]}, "four numbers"),
    ({"points": [[1, 2, 100, 0]]}, "pressure"), ({"points": [[1, 2]]}, "four numbers"),
])
def test_stroke_schema(tmp_path, values, words):
    with pytest.raises(ProjectFileError, match=words):
        load_project(stroke_field(tmp_path, **values))


@pytest.mark.parametrize("layer,values,words", [
    (0, {"visible": "false"}, "true or false"), (0, {"opacity": "1"}, "opacity"), (0, {"opacity": 2}, "opacity"),
    (1, {"rect": [float("nan"), 0, 10, 10]}, "placement"), (1, {"rect": [0, 0, float("inf"), 10]}, "placement"),
    (1, {"rect": [0, 0, 1e300, 10]}, "placement"), (1, {"resample": "bogus"}, "resampling"),
    (0, {"metadata": []}, "metadata"), (0, {"id": 5}, "id"),
])
def test_layer_schema(tmp_path, layer, values, words):
    with pytest.raises(ProjectFileError, match=words):
        load_project(layer_field(tmp_path, layer, **values))


@pytest.mark.parametrize("values", [{"version": 0}, {"version": -1}, {"version": True}, {"width": True},
                                    {"height": 1.5}, {"width": 0}])
def test_document_schema(tmp_path, values):
    doc, _ = hostile.seed_document_json()
    doc.update(values)
    with pytest.raises(ProjectFileError):
        load_project(project(tmp_path, doc))


def test_duplicated_member_is_refused(tmp_path):
    doc, _ = hostile.seed_document_json()
    other = dict(doc, width=100)
    path = project(tmp_path, doc, extra=[("document.json", json.dumps(other).encode(), zipfile.ZIP_DEFLATED)])
    with pytest.raises(ProjectFileError, match="twice"):
        load_project(path)


def test_the_seed_project_opens(tmp_path):
    doc = load_project(project(tmp_path))
    assert [layer.kind for layer in doc.layers] == ["vector", "raster", "text"]
    assert doc.layers[1].pixels.shape == (20, 30, 4) and doc.layers[1].opacity == 0.8
    # the fields the corpus mutates besides the old ones: a shape, a raster transform, a text layer
    shape = doc.layers[0].strokes[2]
    assert shape.closed and shape.fill == "#ffcc00" and shape.brush == "marker"
    assert doc.layers[1].transform == (0.9, 0.2, -0.2, 0.9, 5.0, 7.0)
    assert doc.layers[2].text == "STAY WEIRD" and doc.layers[2].size == 72.0 and doc.layers[2].bold


def test_doodle_descriptions_are_checked_and_checksummed(tmp_path, monkeypatch):
    import shutil

    from artdesk.engines.doodle import check_doodle_meta
    from artdesk.engines.doodle_io import open_shipped, shipped_categories
    from artdesk.runtime import models as runtime

    for bad in ({"scale_factor": float("nan")}, {"max_seq_len": 10 ** 9}, {"max_seq_len": 1.5},
                {"files": {"decoder": "../../etc/passwd"}}, {"hparams": {"z_size": True, "dec_units": 4}},
                {"ends_after": "x"}, {"ends_after": [200]}, {"ends_after": 0}, {"ends_after": 10 ** 9}):
        with pytest.raises(ModelError):
            check_doodle_meta({**hostile.seed_description(), **bad})
    categories = shipped_categories()
    if not categories:
        pytest.skip("no doodle models shipped")
    category = categories[0]
    shipped = runtime.models_dir()
    entries = runtime.load_manifest()
    assert all("meta_sha256" in e.info for e in entries.values() if "meta" in e.info)
    assert {f"bauhaus/{p.stem}" for p in (shipped / "bauhaus").glob("*.npz")} <= set(entries)
    copy = tmp_path / "models"
    shutil.copytree(shipped / "doodle", copy / "doodle", ignore=shutil.ignore_patterns("*.onnx"))
    for name in (f"{category}.encoder.onnx", f"{category}.decoder.onnx"):
        os.symlink(shipped / "doodle" / name, copy / "doodle" / name)
    shutil.copy(shipped / "manifest.json", copy / "manifest.json")
    meta = json.loads((copy / "doodle" / f"{category}.json").read_text())
    meta["scale_factor"] = meta["scale_factor"] * 1.01  # a plausible edit, still valid by value
    (copy / "doodle" / f"{category}.json").write_text(json.dumps(meta))
    monkeypatch.setattr("artdesk.paths.models_dir", lambda: copy)
    monkeypatch.setattr(runtime, "models_dir", lambda: copy)
    runtime.clear_cache()
    with pytest.raises(ModelError, match="checksum"):
        open_shipped(category)


def test_builtin_chain_is_checksummed(tmp_path, monkeypatch):
    import shutil

    from artdesk.engines import bauhaus
    from artdesk.runtime import models as runtime

    names = bauhaus.builtin_chain_names()
    if not names:
        pytest.skip("no chains shipped")
    copy = tmp_path / "models"
    shutil.copytree(runtime.models_dir() / "bauhaus", copy / "bauhaus")
    shutil.copy(runtime.models_dir() / "manifest.json", copy / "manifest.json")
    monkeypatch.setattr("artdesk.paths.models_dir", lambda: copy)
    monkeypatch.setattr(runtime, "models_dir", lambda: copy)
    runtime.clear_cache()
    assert bauhaus.load_builtin_chain(names[0]).palette_size >= 2
    arrays = hostile.chain_arrays() if names[0] == "kandinsky_2d_o2" else None
    path = copy / "bauhaus" / f"{names[0]}.npz"
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["o0_cnt"] = arrays["o0_cnt"] + 1  # still a valid chain, but not the shipped one
    path.write_bytes(hostile.arrays_npz(arrays))
    with pytest.raises(ModelError, match="checksum"):
        bauhaus.load_builtin_chain(names[0])


# -- saving always reopens -----------------------------------------------------------------------
def test_twenty_thousand_identical_strokes_reopen(tmp_path):
    doc = Document.blank()
    stroke = Stroke.from_xy([(10, 10), (20, 30), (40, 35)])
    doc.layers[0].strokes.extend([Stroke(stroke.points.copy()) for _ in range(20_000)])
    save_project(doc, tmp_path / "many.artdesk")
    with zipfile.ZipFile(tmp_path / "many.artdesk") as zf:
        info = zf.getinfo("document.json")
        assert info.file_size > 200 * info.compress_size  # what a ratio guard refused
    assert len(load_project(tmp_path / "many.artdesk").all_strokes()) == 20_000


def test_atomic_file_needs_no_fchmod(tmp_path, monkeypatch):
    from artdesk.atomic import atomic_file

    monkeypatch.delattr(os, "fchmod", raising=False)  # Windows before Python 3.13
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    with atomic_file(target) as fh:
        fh.write(b"new")
    assert target.read_bytes() == b"new"
    if os.name == "posix":
        assert target.stat().st_mode & 0o777 == 0o640
    assert not list(tmp_path.glob(".*.tmp"))


def test_orphan_temporaries_are_removed(tmp_path):
    from artdesk.atomic import orphans, remove_orphans

    dead = tmp_path / ".doc.artdesk.999999999.abcdefgh.tmp"
    dead.write_bytes(b"half")
    live = tmp_path / f".doc.artdesk.{os.getpid()}.abcdefgh.tmp"
    live.write_bytes(b"mine, being written")
    stale = tmp_path / ".doc.artdesk.1.abcdefgh.tmp"  # a PID that runs again (init), untouched for an hour
    stale.write_bytes(b"old")
    os.utime(stale, (1, 1))
    other = tmp_path / ".notes.txt.999999999.abcdefgh.tmp"
    other.write_bytes(b"x")
    assert set(orphans(tmp_path, "doc.artdesk")) == {dead, stale}
    assert remove_orphans(tmp_path) == 3 and live.exists()


def test_error_families():
    from artdesk.document.imports import ImportFailed as A
    from artdesk.document.project import ProjectFileError as B
    from artdesk.runtime.models import ModelError as C

    assert all(issubclass(e, ArtDeskError) for e in (A, B, C))
    assert issubclass(C, ValueError)  # model loaders raised ValueError before; callers still catch it


def test_a_million_zip_entries_are_refused_before_zipfile_reads_them(tmp_path):
    import struct

    path = tmp_path / "many.artdesk"
    # an end record claiming 65,000 entries in a 60 MB central directory (the directory itself absent)
    path.write_bytes(b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 65000, 65000, 60_000_000, 0, 0))
    with pytest.raises(ProjectFileError, match="more entries"):
        load_project(path)
    npz = tmp_path / "many.npz"
    npz.write_bytes(path.read_bytes())
    with pytest.raises(ImportFailed, match="more entries"):
        load_stroke3_npz(npz)


def test_a_pickle_of_endless_operations_stops_early(tmp_path):
    raw = hostile.npy_object_bytes(hostile.seed_drawings(__import__("random").Random(1), 3))
    header = raw[: raw.index(b"\n", 10) + 1]
    ops = b"\x80\x02]" + b"N" * 200_000 + b"."  # PROTO 2, EMPTY_LIST, then NONE after NONE
    path = tmp_path / "ops.npz"
    path.write_bytes(hostile.npz_bytes({"test": header + ops}))
    from artdesk.document import imports

    with pytest.raises(ImportFailed, match="more data than ArtDesk reads"):
        imports.read_npz(path, "'ops.npz'", ImportFailed, 10 ** 8, 10 ** 8, objects=True, max_objects=100)


def test_a_jpeg_of_endless_scans_is_refused_before_decoding(tmp_path):
    raw = hostile.pil_bytes("JPEG", (200, 100), "RGB")
    buf = io.BytesIO()
    Image.open(io.BytesIO(raw)).save(buf, "JPEG", progressive=True)
    raw = buf.getvalue()
    start, end = raw.index(b"\xff\xda"), raw.rindex(b"\xff\xd9")
    (tmp_path / "ok.jpg").write_bytes(raw)
    assert import_file(tmp_path / "ok.jpg", Document.blank()).pixels.shape == (100, 200, 4)
    (tmp_path / "scans.jpg").write_bytes(raw[:end] + raw[start:end] * 20 + raw[end:])
    with pytest.raises(ImportFailed, match="scans"):
        import_file(tmp_path / "scans.jpg", Document.blank())


def test_a_field_named_twice_is_refused(tmp_path):
    doc, images = hostile.seed_document_json()
    text = hostile.dumps(doc).replace(b'"width": 900', b'"width": 900, "width": 20000', 1)
    path = tmp_path / "twice.artdesk"
    path.write_bytes(hostile.zip_bytes([("document.json", text, zipfile.ZIP_DEFLATED)]
                                       + [(k, v, zipfile.ZIP_STORED) for k, v in images.items()]))
    with pytest.raises(ProjectFileError, match="same field twice"):
        load_project(path)
