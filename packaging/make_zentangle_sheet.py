"""The README's Zentangle contact sheet: Tile, Strings and Neural side by side at print size.

    python packaging/make_zentangle_sheet.py [--cache runs/sheet]

For three silhouettes (the welcome sample's circle, a galloping horse and a fox from the
public-domain openclipart set in ../shared/data/shapes) each mode fills a 4500x5400 page with the
same pattern (Hollibaugh; Strings adds its default tangles) and seed, through the app's own jobs
(the welcome circle by the drop job on the sample document, the others by the CLI's
fill_silhouette). Each cell shows the whole page small and a 100% crop (one print pixel per sheet
pixel) of the same page spot in every mode. Writes resources/screenshots/zentangle_sheet.png,
zentangle_colour.png: two Strings fills with palettes, and zentangle_follow.png: fills that follow a
picture (two KaoKore faces under an oval) beside Tile and Strings (`--only-follow` makes just that one).
The full pages are kept in --cache so the sheet can be re-laid out without refilling.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PATTERN = "hollibaugh"
MODES = ("tile", "strings", "neural")
# (label, source, 100% crop centre as a fraction of the shape's box (x, y))
SILHOUETTES = [
    ("welcome circle", "welcome", (0.30, 0.30)),
    ("horse (openclipart)", "animals_mammals_horses_cavallo_architetto_franc_01.png", (0.42, 0.40)),
    ("fox (openclipart)", "animals_mammals_contour_fox.png", (0.30, 0.55)),
]
THUMB = (300, 300)
CROP = 420


def fill_page(source: str, mode: str) -> np.ndarray:
    from artdesk.engines.progress import run_to_end
    from artdesk.engines.tangles import draw
    from artdesk.engines.zentangle import FillSettings, fill_silhouette

    settings = FillSettings(mode=mode, seed=1)
    pattern = PATTERN if mode == "strings" else draw(PATTERN)
    if source == "welcome":
        from artdesk.document.project import load_project
        from artdesk.export.render import ensure_gui_app
        from artdesk.export.targets import PRINT_SIZE, fill_document_at

        ensure_gui_app()
        doc = load_project(ROOT / "resources" / "samples" / "welcome.artdesk")
        result = run_to_end(fill_document_at(doc, pattern, 450.0, 850.0, settings))
        page = np.zeros((PRINT_SIZE[1], PRINT_SIZE[0], 4), np.uint8)
        x, y = (round(v * 5) for v in result.rect[:2])
        page[y:y + result.pixels.shape[0], x:x + result.pixels.shape[1]] = result.pixels
        # the doodle's circle is drawn on top in the app: add it, as the export would
        from artdesk.export.render import render_rgba
        from artdesk.document.model import Document

        ink = Document(doc.width, doc.height)
        ink.layers = [l for l in doc.layers if l.name.startswith("Circle")]
        stroke = render_rgba(ink, PRINT_SIZE[0], PRINT_SIZE[1], 5.0, 5.0)
        a = stroke[..., 3:4].astype(np.float32) / 255
        page[..., :3] = (page[..., :3] * (1 - a) + stroke[..., :3] * a).astype(np.uint8)
        page[..., 3] = np.maximum(page[..., 3], stroke[..., 3])
        return page
    from artdesk.document.imports import read_image
    from artdesk.paths import shared_data_dir

    shape = read_image(str(shared_data_dir() / "shapes" / "openclipart_pd" / source))
    return run_to_end(fill_silhouette(shape, pattern, (4500, 5400), settings))


def on_paper(rgba: np.ndarray) -> Image.Image:
    img = Image.fromarray(rgba, "RGBA")
    paper = Image.new("RGBA", img.size, (255, 255, 255, 255))
    paper.alpha_composite(img)
    return paper.convert("RGB")


# (silhouette, dropped tangle, palette, seed): the colour examples beside the sheet
COLOUR_EXAMPLES = [
    ("animals_mammals_contour_fox.png", "hollibaugh", "#e4467c, #7b4fc9, #2f8fd8, #17a589, #f39c12", 1),
    ("animals_mammals_horses_cavallo_architetto_franc_01.png", "printemps", "#d62828, #1d3557, #f4a300, #111111", 2),
]


def colour_examples(out: Path) -> None:
    """Strings fills with palettes (`artdesk zentangle --palette ...`), 900x1080 each, side by side."""
    from artdesk.document.imports import read_image
    from artdesk.engines.progress import run_to_end
    from artdesk.engines.strings import parse_palette
    from artdesk.engines.zentangle import FillSettings, fill_silhouette
    from artdesk.paths import shared_data_dir

    size = (900, 1080)
    sheet = Image.new("RGB", (size[0] * len(COLOUR_EXAMPLES), size[1]), "white")
    for i, (name, pattern, palette, seed) in enumerate(COLOUR_EXAMPLES):
        shape = read_image(str(shared_data_dir() / "shapes" / "openclipart_pd" / name))
        settings = FillSettings(mode="strings", seed=seed, palette=tuple(parse_palette(palette)))
        sheet.paste(on_paper(run_to_end(fill_silhouette(shape, pattern, size, settings))), (i * size[0], 0))
    sheet.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, optimize=True)
    print(f"wrote {out} ({out.stat().st_size // 1024} KB)")


# "Follow a picture": KaoKore faces (CC BY-SA 4.0, ROIS-DS CODH) enlarged under an oval silhouette
# (the 128 px face and the oval stretched over the page alike), the 100% crop's centre as a
# fraction of the shape's box
FOLLOW_FACES = [
    ("dev_female-commoner_00003402.jpg", (0.60, 0.47)),
    ("dev_female-noble_00001182.jpg", (0.68, 0.36)),
]
FOLLOW_COLUMNS = ("picture", "tile", "strings", "strings, follow", "neural, follow")


def oval(side: int = 128) -> np.ndarray:
    """The cameo silhouette: a black oval on white, the face picture's size."""
    yy, xx = np.mgrid[0:side, 0:side]
    inside = ((yy + 0.5 - side / 2) / (side * 0.47)) ** 2 + ((xx + 0.5 - side / 2) / (side * 0.40)) ** 2 <= 1
    return np.where(inside, 0, 255).astype(np.uint8)


def follow_page(face: str, column: str) -> np.ndarray:
    """One cell of the follow sheet at 4500x5400, through the CLI's fill_silhouette."""
    from artdesk.document.imports import read_image
    from artdesk.engines.progress import run_to_end
    from artdesk.engines.tangles import draw
    from artdesk.engines.zentangle import FillSettings, fill_silhouette
    from artdesk.paths import shared_data_dir

    picture = read_image(str(shared_data_dir() / "portraits" / "kaokore_128" / face))
    shape = oval(picture.shape[0])
    if column == "picture":  # the picture as the fill follows it: enlarged over the oval
        side = 4500
        big = np.asarray(Image.fromarray(picture).resize((side, side), Image.Resampling.BICUBIC))
        page = np.zeros((5400, 4500, 4), np.uint8)
        top = (5400 - side) // 2
        page[top:top + side] = big
        page[top:top + side, :, 3] = 255 - np.asarray(Image.fromarray(shape).resize((side, side), Image.Resampling.BICUBIC))
        return page
    mode = column.split(",")[0]
    follows = column.endswith("follow")
    settings = FillSettings(mode=mode, seed=1, follow="image" if follows else "")
    pattern = PATTERN if mode == "strings" else draw(PATTERN)
    return run_to_end(fill_silhouette(shape, pattern, (4500, 5400), settings, picture=picture if follows else None))


def follow_sheet(out: Path, cache: Path) -> None:
    """zentangle_follow.png: two faces, each column a fill of the oval at print size, whole and at 100%."""
    label_w, head_h, pad = 150, 34, 10
    cell_w, cell_h = CROP, THUMB[1] + pad + CROP
    sheet = Image.new("RGB", (label_w + len(FOLLOW_COLUMNS) * (cell_w + pad),
                              head_h + len(FOLLOW_FACES) * (cell_h + 2 * pad)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=18)
    for j, column in enumerate(FOLLOW_COLUMNS):
        draw.text((label_w + j * (cell_w + pad) + 8, 8), column.capitalize(), fill="black", font=font)
    for i, (face, (fx, fy)) in enumerate(FOLLOW_FACES):
        top = head_h + i * (cell_h + 2 * pad)
        draw.text((8, top + 8), f"KaoKore face\n{Path(face).stem.split('_')[-1]}\nin an oval", fill="black", font=font)
        for j, column in enumerate(FOLLOW_COLUMNS):
            path = cache / f"follow_{Path(face).stem}_{column.replace(', ', '_')}.png"
            if not path.exists():
                t0 = time.perf_counter()
                Image.fromarray(follow_page(face, column)).save(path)
                print(f"{face} {column}: {time.perf_counter() - t0:.1f} s", flush=True)
            _paste_cell(sheet, np.asarray(Image.open(path)), label_w + j * (cell_w + pad), top, fx, fy, pad)
    sheet.quantize(colors=160, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, optimize=True)
    print(f"wrote {out} ({out.stat().st_size // 1024} KB)")


def follow_colour(out: Path) -> None:
    """zentangle_follow_colour.png: the two faces followed with `--palette picture` (each section
    inked in the picture's colour there), 900x1080 each, side by side."""
    from artdesk.document.imports import read_image
    from artdesk.engines.progress import run_to_end
    from artdesk.engines.zentangle import FillSettings, fill_silhouette
    from artdesk.paths import shared_data_dir

    size = (900, 1080)
    sheet = Image.new("RGB", (size[0] * len(FOLLOW_FACES), size[1]), "white")
    for i, (face, _) in enumerate(FOLLOW_FACES):
        picture = read_image(str(shared_data_dir() / "portraits" / "kaokore_128" / face))
        settings = FillSettings(mode="strings", seed=1, follow="image", picture_colours=True)
        page = run_to_end(fill_silhouette(oval(picture.shape[0]), PATTERN, size, settings, picture=picture))
        sheet.paste(on_paper(page), (i * size[0], 0))
    sheet.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, optimize=True)
    print(f"wrote {out} ({out.stat().st_size // 1024} KB)")


def _paste_cell(sheet: Image.Image, rgba: np.ndarray, left: int, top: int, fx: float, fy: float, pad: int) -> None:
    """A page as a thumbnail of its shape (a red box where the crop is) over its 100% crop."""
    ys, xs = np.nonzero(rgba[..., 3])
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    page = on_paper(rgba)
    shape = page.crop(box)
    k = min(THUMB[0] / shape.width, THUMB[1] / shape.height)
    thumb = shape.resize((max(1, round(shape.width * k)), max(1, round(shape.height * k))), Image.LANCZOS)
    cx = round(box[0] + fx * (box[2] - box[0]))
    cy = round(box[1] + fy * (box[3] - box[1]))
    spot = (cx - CROP // 2, cy - CROP // 2, cx + CROP // 2, cy + CROP // 2)
    ImageDraw.Draw(thumb).rectangle([round((spot[0] - box[0]) * k), round((spot[1] - box[1]) * k),
                                     round((spot[2] - box[0]) * k), round((spot[3] - box[1]) * k)],
                                    outline=(220, 40, 40), width=2)
    sheet.paste(thumb, (left + (CROP - thumb.width) // 2, top))
    sheet.paste(page.crop(spot), (left, top + THUMB[1] + pad))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default=str(ROOT / "runs" / "sheet"))
    parser.add_argument("--out", default=str(ROOT / "resources" / "screenshots" / "zentangle_sheet.png"))
    parser.add_argument("--only-follow", action="store_true", help="remake only zentangle_follow.png")
    args = parser.parse_args(argv)
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    if args.only_follow:
        follow_sheet(Path(args.out).parent / "zentangle_follow.png", cache)
        follow_colour(Path(args.out).parent / "zentangle_follow_colour.png")
        return 0
    label_w, head_h, pad = 150, 34, 10
    cell_w = CROP
    cell_h = THUMB[1] + pad + CROP
    sheet = Image.new("RGB", (label_w + len(MODES) * (cell_w + pad), head_h + len(SILHOUETTES) * (cell_h + 2 * pad)),
                      "white")  # RGB: the thumbnails' red boxes mark the 100% crops
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=18)
    for j, mode in enumerate(MODES):
        draw.text((label_w + j * (cell_w + pad) + 8, 8), mode.capitalize(), fill="black", font=font)
    for i, (label, source, (fx, fy)) in enumerate(SILHOUETTES):
        top = head_h + i * (cell_h + 2 * pad)
        draw.text((8, top + 8), label.replace(" (", "\n("), fill="black", font=font)
        for j, mode in enumerate(MODES):
            path = cache / f"{Path(source).stem}_{mode}.png"
            if not path.exists():
                t0 = time.perf_counter()
                Image.fromarray(fill_page(source, mode)).save(path)
                print(f"{label} {mode}: {time.perf_counter() - t0:.1f} s", flush=True)
            _paste_cell(sheet, np.asarray(Image.open(path)), label_w + j * (cell_w + pad), top, fx, fy, pad)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # a palette of 48 greys and the boxes' red, no dither: the antialiased ink survives, a third the size
    palette = Image.new("P", (1, 1))
    greys = [round(i * 255 / 47) for i in range(48)]
    palette.putpalette([v for g in greys for v in (g, g, g)] + [220, 40, 40] + [0, 0, 0] * 207)
    sheet.quantize(palette=palette, dither=Image.Dither.NONE).save(out, optimize=True)
    print(f"wrote {out} ({out.stat().st_size // 1024} KB)")
    colour_examples(out.parent / "zentangle_colour.png")
    follow_sheet(out.parent / "zentangle_follow.png", cache)
    follow_colour(out.parent / "zentangle_follow_colour.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
