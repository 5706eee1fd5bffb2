import io
import json
import zipfile
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image, ImageCms

from artdesk.document.imports import (ImportFailed, image_layer, import_file, load_stroke3_npz,
                                      ndjson_drawing_layer, npz_drawing_layer, stroke3_to_polylines)
from artdesk.document.model import Document, RasterLayer, Stroke
from artdesk.export.ora import export_ora
from artdesk.export.png import dtg_safe, export_png
from artdesk.export.vector import export_ndjson, export_svg


def cross_doc() -> Document:
    """A thick dark cross centred on the page, plus a generated raster layer at the top-left."""
    doc = Document.blank()
    doc.layers[0].strokes += [Stroke.from_xy([(350, 540), (550, 540)], "#102030", 20),
                              Stroke.from_xy([(450, 440), (450, 640)], "#102030", 20)]
    pixels = np.zeros((10, 10, 4), np.uint8)
    pixels[..., 0] = 255
    pixels[..., 3] = 255
    doc.layers.append(RasterLayer(name="Red", pixels=pixels, rect=(0, 0, 90, 108), resample="crisp",
                                  metadata={"generation": {"engine": "bauhaus", "model": "kandinsky", "seed": 3}}))
    return doc


def test_tshirt_png_is_print_ready(tmp_path, qapp):
    doc = cross_doc()
    report = export_png(doc, tmp_path / "shirt.png", "tshirt")
    assert report.bytes < 25 * 1024 * 1024 and not report.warnings
    with Image.open(tmp_path / "shirt.png") as im:
        assert im.size == (4500, 5400) and im.mode == "RGBA"
        assert tuple(round(v) for v in im.info["dpi"]) == (300, 300)
        profile = ImageCms.ImageCmsProfile(io.BytesIO(im.info["icc_profile"]))
        assert "sRGB" in ImageCms.getProfileDescription(profile)
        settings = json.loads(im.text["artdesk:generation"])
        px = np.asarray(im)
    assert settings == [{"layer": "Red", "engine": "bauhaus", "model": "kandinsky", "seed": 3}]
    # transparent page; the cross where it was drawn (x5), re-rendered sharp (not upscaled)
    assert px[5399, 4499, 3] == 0 and px[5000, 2250, 3] == 0
    assert tuple(px[2700, 2250]) == (0x10, 0x20, 0x30, 255)
    assert tuple(px[2700, 2700]) == (0x10, 0x20, 0x30, 255) and px[2700, 2800, 3] == 0
    assert px[2700 - 49, 2250 + 200, 3] == 255 and px[2700 - 52, 2250 + 200, 3] == 0  # 20 units wide = 100 px
    # the crisp raster layer covers 450 x 540 px at the top-left with solid red
    assert tuple(px[10, 10]) == (255, 0, 0, 255) and tuple(px[535, 445]) == (255, 0, 0, 255)
    assert px[560, 470, 3] == 0


def test_other_presets_and_dtg(tmp_path, qapp):
    doc = cross_doc()
    assert export_png(doc, tmp_path / "p.png", "printful").width == 3600
    with Image.open(tmp_path / "p.png") as im:
        assert im.size == (3600, 4800)
    assert export_png(doc, tmp_path / "s.png", "screen").height == 1080
    doc.layers[1].visible = False
    report = export_png(doc, tmp_path / "d.png", "tshirt", dtg=True)
    with Image.open(tmp_path / "d.png") as im:
        px = np.asarray(im)
    assert set(np.unique(px[..., 3])) <= {0, 255}
    assert abs(report.width - 1100) < 8 and abs(report.height - 1100) < 8  # trimmed to the cross
    with pytest.raises(ValueError, match="preset"):
        export_png(doc, tmp_path / "x.png", "billboard")


def test_dtg_safe_removes_partial_alpha():
    px = np.zeros((40, 40, 4), np.uint8)
    px[10:30, 10:30] = (10, 20, 30, 255)
    px[12, 12] = (10, 20, 30, 128)  # a half-transparent pixel inside becomes ink or nothing
    out = dtg_safe(px)
    assert out.shape == (20, 20, 4) and set(np.unique(out[..., 3])) <= {0, 255}
    assert tuple(out[5, 5]) == (10, 20, 30, 255) and tuple(out[0, 0]) == (10, 20, 30, 255)


def test_empty_document_warns(tmp_path, qapp):
    report = export_png(Document.blank(), tmp_path / "e.png", "screen")
    assert any("empty" in w for w in report.warnings)


def test_svg_and_ndjson(tmp_path, qapp):
    doc = cross_doc()
    export_svg(doc, tmp_path / "a.svg")
    root = ET.parse(tmp_path / "a.svg").getroot()
    paths = root.findall(".//{http://www.w3.org/2000/svg}path")
    assert len(paths) == 2 and root.get("width") == "900"
    export_ndjson(doc, tmp_path / "a.ndjson", "cross")
    record = json.loads((tmp_path / "a.ndjson").read_text())
    assert record["word"] == "cross" and len(record["drawing"]) == 2
    assert record["drawing"][0][0] == [350.0, 550.0]
    back = ndjson_drawing_layer(tmp_path / "a.ndjson", Document.blank())
    assert len(back.strokes) == 2


def test_ora_opens_as_layers(tmp_path, qapp):
    doc = cross_doc()
    export_ora(doc, tmp_path / "a.ora")
    with zipfile.ZipFile(tmp_path / "a.ora") as zf:
        first = zf.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert zf.read("mimetype") == b"image/openraster"
        stack = ET.fromstring(zf.read("stack.xml"))
        layers = stack.findall(".//layer")
        assert [l.get("name") for l in layers] == ["Red", "Drawing"]
        for layer in layers:
            with Image.open(io.BytesIO(zf.read(layer.get("src")))) as im:
                assert im.size == (900, 1080) and im.mode == "RGBA"
        assert "mergedimage.png" in zf.namelist() and "Thumbnails/thumbnail.png" in zf.namelist()


def test_import_real_drawings(shared_data):
    doc = Document.blank()
    sheep = npz_drawing_layer(shared_data / "sketch" / "aaron_sheep.npz", doc, index=5)
    assert len(sheep.strokes) >= 2
    pts = np.concatenate([s.points for s in sheep.strokes])
    assert pts[:, 0].min() >= 0 and pts[:, 0].max() <= doc.width and pts[:, 1].max() <= doc.height
    cat = ndjson_drawing_layer(shared_data / "sketch" / "quickdraw_real" / "cat.ndjson", doc, index=0)
    assert cat.name == "cat" and len(cat.strokes) >= 3
    assert len(load_stroke3_npz(shared_data / "sketch" / "aaron_sheep.npz")["train"]) == 7400


def test_stroke3_splits_on_pen_lift():
    s3 = np.array([[5, 5, 0], [10, 0, 1], [0, 10, 0], [10, 0, 0], [0, 5, 1]])
    lines = stroke3_to_polylines(s3)
    assert [len(l) for l in lines] == [2, 3]
    np.testing.assert_allclose(lines[0][:, :2], [[5, 5], [15, 5]])
    np.testing.assert_allclose(lines[1][0, :2], [15, 15])


def test_image_import_and_refusals(tmp_path):
    Image.new("RGB", (40, 20), "blue").save(tmp_path / "b.jpg")
    layer = image_layer(tmp_path / "b.jpg", Document.blank())
    assert layer.pixels.shape == (20, 40, 4) and layer.rect[2] / layer.rect[3] == pytest.approx(2)
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"junk" * 10)
    with pytest.raises(ImportFailed, match="bad.png"):
        import_file(tmp_path / "bad.png", Document.blank())
    with pytest.raises(ImportFailed, match="cannot import"):
        import_file(tmp_path / "x.docx", Document.blank())
    (tmp_path / "bad.ndjson").write_text('{"drawing": [[[1,2],[3]]]}\n')
    with pytest.raises(ImportFailed, match="not a Quick, Draw!"):
        import_file(tmp_path / "bad.ndjson", Document.blank())


def test_huge_image_is_refused(tmp_path):
    Image.new("1", (9000, 6000)).save(tmp_path / "huge.png")
    with pytest.raises(ImportFailed, match="megapixels"):
        import_file(tmp_path / "huge.png", Document.blank())


class Evil:
    def __reduce__(self):
        import os
        return (os.system, ("echo pwned > /dev/null",))


def test_npz_with_foreign_pickle_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    arr = np.empty(1, dtype=object)
    arr[0] = Evil()
    np.savez(path, train=arr)
    with pytest.raises(ImportFailed, match="refused"):
        load_stroke3_npz(path)


def test_pick_a_drawing_from_a_many_drawing_file(shared_data):
    from artdesk.document.imports import count_drawings

    cats = shared_data / "sketch" / "quickdraw_real" / "cat.ndjson"
    assert count_drawings(cats) >= 5
    first, third = (import_file(cats, Document.blank(), i) for i in (0, 2))
    assert first.metadata["index"] == 0 and third.metadata["index"] == 2
    assert not np.array_equal(first.strokes[0].points, third.strokes[0].points)
    assert count_drawings(shared_data / "sketch" / "aaron_sheep.npz") == 300
