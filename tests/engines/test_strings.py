"""Strings mode (the Zentangle method): sections of different tangles, outlined, seeded."""

import json

import numpy as np
import pytest
from PIL import Image

from artdesk.cli import main
from artdesk.engines import strings as zs
from artdesk.engines.progress import run_to_end
from artdesk.engines.shapes import mask_bbox

PATTERNS = ["hollibaugh", "printemps", "crescent_moon", "knightsbridge", "static"]


def ellipse(w, h):
    yy, xx = np.mgrid[0:h, 0:w]
    inside = ((xx + 0.5 - w / 2) / (w * 0.42)) ** 2 + ((yy + 0.5 - h / 2) / (h * 0.42)) ** 2 <= 1
    return np.where(inside, 255, 0).astype(np.uint8)


def fill(mask, **kw):
    kw.setdefault("scale", mask.shape[1] / 4500)
    return run_to_end(zs.fill_shape_with_strings(PATTERNS, mask, **kw))


def sections_of(mask, count=4, seed=0):
    """Per pixel of the mask's box: section code and distance to the nearest string (as the fill)."""
    y0, x0, y1, x1 = mask_bbox(mask)
    shape = mask[y0:y1, x0:x1]
    strings, plan = zs.layout(shape, count, seed, len(PATTERNS))
    side = max(shape.shape)
    yy, xx = np.mgrid[0:shape.shape[0], 0:shape.shape[1]]
    code, near = zs.section_codes(strings, (yy + 0.5) / side, (xx + 0.5) / side)
    return (y0, x0, y1, x1), shape, code, near * side, plan


@pytest.fixture(scope="module")
def filled():
    mask = ellipse(900, 1080)
    return mask, fill(mask, seed=3)


def test_same_seed_same_picture_and_another_seed_another(filled):
    mask, out = filled
    assert np.array_equal(out, fill(mask, seed=3))
    other = fill(mask, seed=4)
    assert (np.abs(other.astype(int) - out).max(axis=2) > 64).mean() > 0.1


def test_outside_stays_transparent_and_inside_is_opaque(filled):
    mask, out = filled
    assert out.shape == (1080, 900, 4) and out.dtype == np.uint8
    assert np.array_equal(out[..., 3], mask)
    assert not out[mask == 0].any()


def test_every_section_is_filled_with_its_own_tangle(filled):
    mask, out = filled
    (y0, x0, y1, x1), shape, code, near, plan = sections_of(mask, seed=3)
    inside = shape >= 128
    grey = out[y0:y1, x0:x1, :3].mean(axis=2)
    assert len(plan) >= 4
    assert max(plan.values(), key=lambda sec: sec.area).pattern == 0  # the dropped tangle shows most
    seen = {}
    for c, section in plan.items():
        body = inside & (code == c) & (near > 8)  # away from the strings
        if body.sum() < 400:
            continue
        values = grey[body]
        ink, paper = (values < 160).mean(), (values > 200).mean()
        assert ink > 0.04 and paper > 0.1, (c, ink, paper)  # pattern ink and paper: filled, not blank
        seen[c] = section.pattern
    # neighbours across one string get different tangles (there are enough tangles for that)
    for a in seen:
        for b in seen:
            if bin(a ^ b).count("1") == 1:
                assert seen[a] != seen[b], (a, b)
    assert len(set(seen.values())) >= 3


def test_the_strings_and_the_shape_are_outlined():
    mask = ellipse(1500, 1800)
    out = fill(mask, seed=3)
    (y0, x0, y1, x1), shape, code, near, _ = sections_of(mask, seed=3)
    pen = zs.STRING_PEN * 1500 / 4500
    on_string = (shape == 255) & (near < pen / 2 - 0.5)
    grey = out[y0:y1, x0:x1, :3].mean(axis=2)
    assert on_string.sum() > 500
    assert (grey[on_string] < 60).mean() > 0.95  # inked
    aura = (shape == 255) & (near > pen / 2 + 0.6) & (near < pen / 2 + zs.AURA * 1500 / 4500 - 0.6)
    assert (grey[aura] > 200).mean() > 0.9  # a paper gap beside the ink
    # the shape's own edge: the first inside pixel of every row is ink
    rows = np.flatnonzero((mask == 255).any(axis=1))[5:-5]
    first = [(y, int(np.flatnonzero(mask[y] == 255)[0])) for y in rows]
    assert np.mean([out[y, x, :3].mean() < 80 for y, x in first]) > 0.9


def test_a_preview_is_the_print_made_small():
    """The same fill at a fifth of the size divides the shape the same way and has the same
    tones (the patterns keep their size in page units)."""
    small, big = ellipse(180, 216), ellipse(900, 1080)
    _, _, code_small, _, plan_small = sections_of(small, seed=1)
    _, _, code_big, _, plan_big = sections_of(big, seed=1)
    assert {c: s.pattern for c, s in plan_small.items()} == {c: s.pattern for c, s in plan_big.items()}
    h, w = code_small.shape
    picked = code_big[(np.arange(h) * code_big.shape[0] // h)[:, None], (np.arange(w) * code_big.shape[1] // w)[None, :]]
    assert (picked == code_small).mean() > 0.95

    def tones(rgba):
        return np.asarray(Image.fromarray(rgba).resize((30, 36), Image.BOX)).astype(np.float32)

    a, b = tones(fill(small, seed=1)), tones(fill(big, seed=1))
    core = tones(np.dstack([np.repeat(small[..., None], 3, 2), small]))[..., 3] == 255
    diff = np.abs(a[..., :3].mean(axis=2) - b[..., :3].mean(axis=2))[core]
    assert np.median(diff) < 20, np.median(diff)


def test_palette_colours_grey_patterns_and_coloured_patterns_keep_theirs():
    mask = ellipse(300, 360)
    palette = zs.parse_palette("#c0392b, #1b4f72")
    out = run_to_end(zs.fill_shape_with_strings(PATTERNS, mask, scale=300 / 4500, palette=palette, seed=2))
    rgb = out[mask == 255][:, :3].astype(int)
    reds = ((rgb[:, 0] > 150) & (rgb[:, 2] < 100)).mean()
    blues = ((rgb[:, 2] > 90) & (rgb[:, 0] < 60)).mean()
    assert reds > 0.02 and blues > 0.02
    stripes = np.zeros((64, 64, 3), np.uint8)
    stripes[:, :32] = (20, 160, 40)
    stripes[:, 32:] = (250, 220, 0)
    out = run_to_end(zs.fill_shape_with_strings([stripes], mask, scale=1.0, count=0, outline=False))
    rgb = out[mask == 255][:, :3].astype(int)
    assert ((np.abs(rgb - (20, 160, 40)).sum(axis=1) < 30) | (np.abs(rgb - (250, 220, 0)).sum(axis=1) < 30)).mean() > 0.8
    with pytest.raises(ValueError, match="not a colour"):
        zs.parse_palette("red")


def test_cli_strings_mode(tmp_path, shared_data):
    shape = sorted((shared_data / "shapes" / "openclipart_pd").glob("*.png"))[3]
    out = tmp_path / "s.png"
    assert main(["zentangle", "--shape", str(shape), "--pattern", "florz", "--mode", "strings",
                 "--patterns", "Hollibaugh,Crescent Moon,static", "--strings", "3",
                 "--palette", "#1b4f72,#c0392b", "--size", "450x540", "--seed", "5", "--out", str(out)]) == 0
    with Image.open(out) as im:
        assert im.size == (450, 540) and im.mode == "RGBA"
        gen = json.loads(im.text["artdesk:generation"])[0]
        px = np.asarray(im)
    assert gen["mode"] == "strings" and gen["strings"] == 3 and gen["seed"] == 5
    assert gen["patterns"] == ["Hollibaugh", "Crescent Moon", "static"] and gen["palette"] == ["#1b4f72", "#c0392b"]
    assert px[0, 0, 3] == 0 and (px[..., 3] == 255).sum() > 1000
    assert main(["zentangle", "--shape", str(shape), "--pattern", "florz", "--patterns", "Nope",
                 "--out", str(tmp_path / "x.png")]) == 2
    assert not (tmp_path / "x.png").exists()


def crossing_lines(w, h, width=8):
    from PIL import ImageDraw

    im = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(im)
    d.line([(0, h * 0.3), (w, h * 0.7)], fill=255, width=width)
    d.line([(w * 0.55, 0), (w * 0.45, h)], fill=255, width=width)
    return np.asarray(im)


def test_label_sections_finds_the_parts_between_strokes():
    free = np.ones((9, 12), bool)
    free[4, :] = False  # a horizontal stroke
    free[:, 6] = False  # a vertical one
    labels, n = zs.label_sections(free)
    assert n == 4 and (labels[~free] == -1).all()
    assert labels[0, 0] == 0 and labels[0, 11] == 1 and labels[8, 0] == 2 and labels[8, 11] == 3
    ring = np.ones((7, 7), bool)
    ring[1:6, 1] = ring[1:6, 5] = ring[1, 1:6] = ring[5, 1:6] = False
    labels, n = zs.label_sections(ring)
    assert n == 2 and labels[3, 3] != labels[0, 0]  # the inside of a closed stroke is its own part


def test_the_users_strokes_divide_the_shape():
    mask = ellipse(600, 720)
    lines = crossing_lines(600, 720)
    out = run_to_end(zs.fill_shape_with_strings(PATTERNS, mask, scale=600 / 4500, dividers=lines, seed=2))
    assert np.array_equal(out[..., 3], mask)  # under the strokes too: no hole where they run
    again = run_to_end(zs.fill_shape_with_strings(PATTERNS, mask, scale=600 / 4500, dividers=lines, seed=2))
    assert np.array_equal(out, again)
    grey = out[..., :3].mean(axis=2)
    # the four parts (one point well inside each) carry different tangles: different textures
    spots = [(200, 170), (220, 430), (500, 180), (540, 420)]
    stats = []
    for y, x in spots:
        patch = grey[y - 40:y + 40, x - 40:x + 40]
        assert (mask[y - 40:y + 40, x - 40:x + 40] == 255).all()
        stats.append(((patch < 128).mean(), np.abs(np.diff(patch, axis=1)).mean()))
    for i in range(4):
        for j in range(i + 1, 4):
            assert max(abs(stats[i][0] - stats[j][0]), abs(stats[i][1] - stats[j][1]) / 40) > 0.02, (i, j, stats)


def test_cli_strings_from_an_image(tmp_path, shared_data):
    shape = sorted((shared_data / "shapes" / "openclipart_pd").glob("*.png"))[3]
    with Image.open(shape) as im:
        size = im.size
    Image.fromarray(crossing_lines(*size, width=3)).save(tmp_path / "lines.png")
    out = tmp_path / "s.png"
    assert main(["zentangle", "--shape", str(shape), "--pattern", "florz", "--strings-image",
                 str(tmp_path / "lines.png"), "--size", "450x540", "--out", str(out)]) == 0
    with Image.open(out) as im:
        assert json.loads(im.text["artdesk:generation"])[0]["strings"] == "image"


def test_a_small_tile_fill_is_the_big_one_made_small_not_aliased():
    """The tile fill below its drawn size (a preview) samples a Lanczos-shrunk pattern: it is the
    print-size fill made small, not the moire that bilinear sampling of the full pattern gives."""
    from artdesk.engines.tangles import draw
    from artdesk.engines.tiling import fill_shape_with_pattern

    pattern = draw("printemps", 256)
    big = run_to_end(fill_shape_with_pattern(pattern, np.full((600, 600), 255, np.uint8), scale=1.0, seed=4))
    small = run_to_end(fill_shape_with_pattern(pattern, np.full((120, 120), 255, np.uint8), scale=0.2, seed=4))
    shrunk = np.asarray(Image.fromarray(big[..., :3]).resize((120, 120), Image.LANCZOS), np.float32)
    diff = np.abs(shrunk - small[..., :3].astype(np.float32)).mean()
    assert diff < 25, diff


def test_a_scribble_of_many_parts_fills_every_part_quickly():
    """A grid of strokes cuts the shape into hundreds of parts: each is filled (no holes), the
    parts' plan comes from their moments at once and the bands group pixels by sorting."""
    mask = ellipse(600, 720)
    lines = np.zeros_like(mask)
    lines[::24, :] = 255
    lines[:, ::24] = 255
    out = run_to_end(zs.fill_shape_with_strings(PATTERNS, mask, scale=600 / 4500, dividers=lines))
    assert np.array_equal(out[..., 3], mask)
    labels, n = zs.label_sections((mask >= 128) & (lines < zs.DIVIDER_INK))
    assert n > 300
    grey = out[..., :3].mean(axis=2)
    filled = [grey[labels == c].std() > 0 or grey[labels == c].mean() < 250 for c in range(0, n, 37)]
    assert all(filled)
