"""Non-destructive transforms in the document: vectors stay vectors, raster layers keep their pixels."""

import numpy as np
import pytest

from artdesk.document import affine
from artdesk.document.commands import TransformLayer
from artdesk.document.model import Document, RasterLayer, Stroke, VectorLayer
from artdesk.document.project import load_project, save_project
from artdesk.export.render import render_document


def red_square_layer(doc, rect=(100, 100, 200, 100)):
    pixels = np.zeros((10, 20, 4), np.uint8)
    pixels[..., 0] = 255
    pixels[..., 3] = 255
    pixels[:, :10, 1] = 255  # left half yellow, so flips show
    layer = RasterLayer(name="Square", pixels=pixels, rect=rect)
    doc.layers.append(layer)
    return layer


def test_vector_transform_moves_points_and_scales_width_and_undoes():
    doc = Document.blank()
    layer = doc.layers[0]
    a = Stroke.from_xy([(10, 10), (30, 10)], width=4)
    b = Stroke.from_xy([(50, 50), (60, 60)], width=4)
    layer.strokes[:] = [a, b]
    cmd = TransformLayer(layer.id, affine.scale(2, 2, 10, 10), strokes=[a])
    cmd.do(doc)
    moved = layer.strokes[0]
    np.testing.assert_allclose(moved.points[:, :2], [[10, 10], [50, 10]])
    assert moved.width == pytest.approx(8) and layer.strokes[1] is b
    cmd.undo(doc)
    assert layer.strokes == [a, b]


def test_raster_keeps_pixels_and_plain_moves_stay_a_rect():
    doc = Document(400, 400)
    layer = red_square_layer(doc)
    pixels = layer.pixels
    cmd = TransformLayer(layer.id, affine.compose(affine.translate(10, 20), affine.scale(0.5, 0.5, 100, 100)))
    cmd.do(doc)
    assert layer.pixels is pixels
    assert layer.rect == pytest.approx((110, 120, 100, 50)) and layer.transform == affine.IDENTITY
    cmd.undo(doc)
    assert layer.rect == (100, 100, 200, 100)


def test_rotation_and_flip_render_from_the_source_and_survive_the_project_file(tmp_path):
    doc = Document(400, 400)
    layer = red_square_layer(doc)
    TransformLayer(layer.id, affine.rotate(90, 200, 150)).do(doc)
    assert layer.transform != affine.IDENTITY
    x0, y0, x1, y1 = layer.bounds()
    assert (x1 - x0, y1 - y0) == pytest.approx((100, 200))
    TransformLayer(layer.id, affine.scale(-1, 1, 200, 150)).do(doc)  # flip horizontally
    before = render_document(doc, 400, 400)
    save_project(doc, tmp_path / "t.artdesk")
    again = load_project(tmp_path / "t.artdesk")
    assert again.layers[-1].transform == pytest.approx(layer.transform)
    after = render_document(again, 400, 400)
    assert np.abs(before.astype(int) - after.astype(int)).max() <= 1
    # rotated a quarter turn: a 100 wide, 200 tall box centred on (200, 150)
    assert before[150, 200, 3] == 255 and before[150, 120, 3] == 0 and before[60, 200, 3] == 255
    assert layer.hit(200, 150) and not layer.hit(120, 150)


def test_old_projects_without_a_transform_still_open(tmp_path):
    doc = Document(400, 400)
    red_square_layer(doc)
    save_project(doc, tmp_path / "old.artdesk")
    import json
    import zipfile

    with zipfile.ZipFile(tmp_path / "old.artdesk") as zf:
        data = json.loads(zf.read("document.json")) if "document.json" in zf.namelist() else None
    if data is not None:
        assert "transform" not in json.dumps(data)
    assert load_project(tmp_path / "old.artdesk").layers[-1].transform == affine.IDENTITY


def test_vector_layer_hit_and_bounds():
    layer = VectorLayer(name="v", strokes=[Stroke.from_xy([(0, 0), (100, 0)], width=10)])
    assert layer.hit(50, 3) and not layer.hit(50, 20)
    assert layer.bounds() == pytest.approx((-5, -5, 105, 5))
