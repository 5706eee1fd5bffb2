"""Strings from a picture: sections that follow a picture's tones, outlined, tone -> tangle density."""

import json

import numpy as np
import pytest
from PIL import Image

from artdesk.cli import main
from artdesk.engines import follow
from artdesk.engines import strings as zs
from artdesk.engines.progress import run_to_end

PATTERNS = ["hollibaugh", "printemps", "crescent_moon", "knightsbridge", "static", "florz"]


def square(n):
    return np.full((n, n), 255, np.uint8)


def disc_picture(n, dark=30, light=235, r=0.3, speck=False):
    """A dark disc on a light ground (RGB), optionally a tiny dark speck in a corner."""
    yy, xx = np.mgrid[0:n, 0:n]
    inside = (yy + 0.5 - n / 2) ** 2 + (xx + 0.5 - n / 2) ** 2 <= (r * n) ** 2
    grey = np.where(inside, dark, light).astype(np.uint8)
    if speck:
        grey[n // 10:n // 10 + max(1, n // 100), n // 10:n // 10 + max(1, n // 100)] = 0
    return np.repeat(grey[..., None], 3, axis=2), inside


def fill(n, picture, **kw):
    kw.setdefault("scale", n / 4500)
    return run_to_end(zs.fill_shape_with_strings(PATTERNS, square(n), picture=picture, **kw))


def lum(rgba):
    return rgba[..., :3].astype(np.float32).mean(axis=2)


def test_dark_parts_get_dense_tangles_and_light_parts_stay_paper():
    n = 600
    picture, inside = disc_picture(n)
    out = lum(fill(n, picture, levels=2, seed=1))
    yy, xx = np.mgrid[0:n, 0:n]
    r = np.hypot(yy + 0.5 - n / 2, xx + 0.5 - n / 2)
    core = r < 0.3 * n - 15  # well inside the disc, away from its border line
    ground = (r > 0.3 * n + 15) & (np.minimum.reduce([yy, xx, n - 1 - yy, n - 1 - xx]) > 15)
    assert out[core].mean() < 200, out[core].mean()  # inked with a tangle
    assert out[ground].mean() > 250, out[ground].mean()  # light ground: paper


def test_the_border_follows_the_picture_and_is_inked_crisply():
    n = 900
    picture, _ = disc_picture(n)
    out = lum(fill(n, picture, levels=2, seed=1))
    # along a ray from the centre, the ink line sits at the disc's radius, within a few pixels
    row = out[n // 2, n // 2:]
    radius = 0.3 * n
    ring = row[int(radius) - 12:int(radius) + 12]
    assert ring.min() < 40, ring
    darkest = int(np.argmin(ring)) + int(radius) - 12
    assert abs(darkest - radius) <= 4, (darkest, radius)
    # crisp: the line goes from ink to paper within 3 pixels on the outside
    outside = row[darkest:darkest + 12]
    assert (outside > 250).any() and int(np.argmax(outside > 250)) <= 3 + round(9 * n / 4500 / 2) + 6


def test_the_plan_is_the_same_at_any_size_and_seeded():
    picture, _ = disc_picture(400, speck=False)
    small = follow.plan_picture(picture, square(400))
    big = follow.plan_picture(np.asarray(Image.fromarray(picture).resize((1200, 1200))), square(1200))
    assert small.count == big.count
    assert follow.assign_patterns(small, PATTERNS, 3) == follow.assign_patterns(big, PATTERNS, 3)
    a = fill(300, disc_picture(300)[0], seed=5)
    b = fill(300, disc_picture(300)[0], seed=5)
    assert np.array_equal(a, b)


def test_small_specks_merge_into_their_surroundings_and_a_flat_picture_is_one_section():
    picture, _ = disc_picture(600, speck=True)
    plan = follow.plan_picture(picture, square(600), levels=2)
    assert plan.count == 2, plan.level_of  # the disc and the ground; the speck is merged away
    flat = np.full((300, 300, 3), 128, np.uint8)
    assert follow.plan_picture(flat, square(300)).count == 1


def test_darker_levels_get_inkier_tangles_drawn_smaller():
    n = 400
    yy, xx = np.mgrid[0:n, 0:n]
    ramp = np.repeat((xx * 255 / n).astype(np.uint8)[..., None], 3, axis=2)  # dark left, light right
    plan = follow.plan_picture(ramp, square(n), levels=4)
    chosen = follow.assign_patterns(plan, PATTERNS, 0)
    by_level = {}
    for s, (p, zoom) in chosen.items():
        by_level.setdefault(plan.level_of[s], []).append((p, zoom))
    ink = [np.mean([follow.tangle_darkness(PATTERNS[p]) if p >= 0 else 0.0 for p, _ in by_level[lv]])
           for lv in sorted(by_level)]
    zooms = [by_level[lv][0][1] for lv in sorted(by_level)]
    assert ink == sorted(ink, reverse=True), ink
    assert zooms == sorted(zooms), zooms
    assert by_level[max(by_level)][0][0] == -1  # the lightest level (near white) is paper


def test_a_picture_of_another_size_is_refused_with_a_sentence():
    with pytest.raises(ValueError, match="differ in size"):
        fill(100, np.zeros((50, 50, 3), np.uint8))


def test_follow_beneath_takes_the_layer_under_the_shape():
    from artdesk.engines.shapes import TargetLayer
    from artdesk.engines.zentangle import FillSettings, ShapeNotFound, fill_at

    n = 300
    sil = np.zeros((n, n, 4), np.uint8)
    sil[60:240, 60:240] = (0, 0, 0, 255)
    picture, _ = disc_picture(n, r=0.15)
    photo = np.concatenate([picture, np.full((n, n, 1), 255, np.uint8)], axis=2)
    targets = [TargetLayer(sil, "silhouette", "shape", layer_id="s"), TargetLayer(photo, "raster", "photo", layer_id="p")]
    settings = FillSettings(mode="strings", seed=1, follow="beneath", patterns=tuple(PATTERNS), levels=2)
    got = run_to_end(fill_at(None, targets, 150, 150, "hollibaugh", settings, pixels_per_unit=n / 900))
    assert got.source == "silhouette"
    centre = lum(got.pixels)[90 - 20:90 + 20, 90 - 20:90 + 20]  # the disc's middle, in the shape's box
    corner = lum(got.pixels)[20:40, 20:40]  # the photo's light ground
    assert centre.mean() < 200 and corner.mean() > 250
    with pytest.raises(ShapeNotFound, match="no picture to follow"):
        run_to_end(fill_at(None, targets[:1], 150, 150, "hollibaugh", settings, pixels_per_unit=n / 900))


def test_cli_follow(tmp_path):
    shape = np.full((120, 100), 255, np.uint8)
    shape[10:110, 10:90] = 0
    Image.fromarray(shape).save(tmp_path / "shape.png")
    Image.fromarray(disc_picture(100)[0]).resize((100, 120)).save(tmp_path / "face.png")
    out = tmp_path / "f.png"
    assert main(["zentangle", "--shape", str(tmp_path / "shape.png"), "--pattern", "florz", "--follow",
                 str(tmp_path / "face.png"), "--size", "450x540", "--out", str(out)]) == 0
    with Image.open(out) as im:
        meta = json.loads(im.text["artdesk:generation"])[0]
    assert meta["strings"] == "picture" and meta["follow"] == {"source": "image", "name": "face.png"}
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    assert main(["zentangle", "--shape", str(tmp_path / "shape.png"), "--pattern", "florz", "--follow",
                 str(tmp_path / "bad.png"), "--size", "450x540", "--out", str(tmp_path / "g.png")]) == 2
    assert main(["zentangle", "--shape", str(tmp_path / "shape.png"), "--pattern", "florz", "--mode", "tile",
                 "--follow", str(tmp_path / "face.png"), "--size", "450x540", "--out", str(tmp_path / "h.png")]) == 2


def test_picture_colours_ink_each_section_in_its_colour():
    n = 400
    yy, xx = np.mgrid[0:n, 0:n]
    disc = (yy + 0.5 - n / 2) ** 2 + (xx + 0.5 - n / 2) ** 2 <= (0.3 * n) ** 2
    picture = np.where(disc[..., None], np.asarray([200, 30, 30], np.uint8), np.asarray([245, 245, 245], np.uint8))
    out = fill(n, picture, levels=2, seed=1, picture_colours=True)
    core = out[n // 2 - 30:n // 2 + 30, n // 2 - 30:n // 2 + 30, :3].astype(np.float32)
    inked = core[core.sum(axis=2) < 600]  # the tangle's ink, not its paper
    assert len(inked) > 100
    r, g, b = inked.mean(axis=0)
    assert r > 2 * g and r > 2 * b, (r, g, b)  # red ink, darkened to read on paper
    assert follow.ink_of((250, 250, 250)) != (250, 250, 250)  # a light colour is darkened
    assert sum(follow.ink_of((10, 10, 10))) < 60


def test_a_thin_band_along_a_sharp_edge_is_shared_out_between_its_neighbours():
    """A two-tone picture cut into three levels: the blurred edge between the tones is a band a
    few grid cells wide, mostly outline at print size; it is merged, leaving the two tones."""
    n = 640
    picture = np.full((n, n, 3), 20, np.uint8)
    picture[:, n // 2:] = 240
    plan = follow.plan_picture(picture, square(n), levels=3)
    assert plan.count == 2 and sorted(plan.level_of.values()) == [0, 2], plan.level_of


def test_a_line_drawing_is_followed_by_how_densely_it_is_drawn():
    """The doodle's strokes as the picture: thin lines have no tone areas, so the fill follows
    their density: tangles around the strokes, paper far from them."""
    from PIL import ImageDraw

    n = 600
    drawing = Image.new("RGBA", (n, n), (0, 0, 0, 0))
    pen = ImageDraw.Draw(drawing)
    for i in range(6):  # hatching in the top left
        pen.line((60 + 25 * i, 60, 40 + 25 * i, 220), fill="black", width=5)
    pen.ellipse((380, 380, 460, 430), outline="black", width=5)  # an eye, bottom right
    picture = np.asarray(drawing)
    plan = follow.plan_picture(picture, square(n))
    assert plan.count >= 2
    out = lum(fill(n, picture, seed=1))
    hatched = out[100:180, 80:160]
    empty = out[250:330, 420:500]  # far from every stroke
    assert hatched.mean() < 220 and empty.mean() > 250, (hatched.mean(), empty.mean())
