"""Zentangle "Follow a picture" in the real window.

    Xvfb :17 -screen 0 1600x1000x24 &
    DISPLAY=:17 QT_QPA_PLATFORM=xcb python packaging/follow_demo.py --out /tmp/follow

Imports a picture (a KaoKore face from ../shared/data, enlarged to 900 px, through the import
dialog's own path and the image policy), draws an oval over it with the shape tool (real mouse
events) on a layer of its own, chooses Strings > Follow: the picture beneath the shape in the
Zentangle tab, drops Hollibaugh from the gallery inside the oval, exports the T-shirt PNG and cuts
a 100% crop of it. --strokes instead doodles a face with the brush on a layer of its own and
follows that (Follow: the selected layer). Writes desk.png (the window), shirt.png, crop_100.png
to --out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from demo_window import DemoWindow

ROOT = Path(__file__).resolve().parents[1]
FACE = "dev_female-commoner_00003402.jpg"
OVAL = ((180, 150), (720, 930))  # the oval's box corners, document units
PHOTO = (60, 150, 780, 780)  # where the picture is placed (x, y, w, h): over the oval


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--mode", default="strings", choices=["strings", "neural"])
    parser.add_argument("--strokes", action="store_true",
                        help="follow a doodle drawn with the brush on its own layer (Follow: the selected "
                             "layer) instead of the face")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PIL import Image
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QColor

    from artdesk.document.model import RasterLayer, VectorLayer
    from artdesk.paths import shared_data_dir
    from artdesk.selftest import wait_for

    demo = DemoWindow("artdesk-follow-")
    app, window, canvas, tmp, drag = demo.app, demo.window, demo.canvas, demo.tmp, demo.drag

    # 1. the picture: a face enlarged to the page's width, imported as a layer
    with Image.open(shared_data_dir() / "portraits" / "kaokore_128" / FACE) as im:
        face = im.convert("RGB").resize((900, 900), Image.Resampling.BICUBIC)
    face_path = Path(tmp) / "face.png"
    face.save(face_path)
    count = len(window.document.layers)
    window.import_files([str(face_path)])
    wait_for(lambda: len(window.document.layers) > count and not window.jobs.running, 60)
    photo = next(l for l in window.document.layers if isinstance(l, RasterLayer))
    from artdesk.document import commands as cmds

    window.push(cmds.SetLayerProperty(photo.id, "rect", PHOTO))  # scaled over the page, as with the move tool

    # 2. an oval over it, drawn with the shape tool on a layer of its own
    window.add_layer(VectorLayer(name=window.document.unique_layer_name("Oval")))
    window.set_color(QColor("#000000"))
    window.size_box.setValue(6)
    window.set_tool("shape")
    options = canvas.current_tool().options_widget()
    options.kind.setCurrentIndex(options.kind.findData("ellipse"))
    options.fill.setChecked(False)
    options.outline.setChecked(True)
    (x0, y0), (x1, y1) = OVAL
    drag([(x0, y0), ((x0 + x1) / 2, (y0 + y1) / 2), (x1, y1)])

    tab = window.panel.tabs["Zentangle"]
    if args.strokes:  # 2b. a face doodled with the brush on a layer of its own, kept selected
        window.push(cmds.SetLayerProperty(photo.id, "visible", False))
        window.add_layer(VectorLayer(name=window.document.unique_layer_name("Face strokes")))
        window.set_tool("brush")
        for line in ([(330, 430), (360, 415), (390, 430), (360, 445), (330, 430)],
                     [(510, 430), (540, 415), (570, 430), (540, 445), (510, 430)],
                     [(450, 460), (435, 560), (470, 570)], [(360, 650), (450, 700), (540, 650)],
                     *[[(300 + 40 * i, 220), (280 + 45 * i, 360)] for i in range(8)]):
            drag(line)
    # 3. Strings (or Neural), Follow: the picture beneath the shape (or the selected strokes);
    # drop a tangle inside the oval
    tab.mode.setCurrentIndex(max(0, tab.mode.findData(args.mode)))
    tab.follow.setCurrentIndex(tab.follow.findData("layer" if args.strokes else "beneath"))
    pattern = str(ROOT / "resources" / "patterns" / "hollibaugh.png")
    count = len(window.document.layers)
    window.pattern_dropped(pattern, QPointF((x0 + x1) / 2, (y0 + y1) / 2))
    wait_for(lambda: len(window.document.layers) > count and not window.jobs.running, 600)
    fill = next(l for l in window.document.layers if isinstance(l, RasterLayer) and l.id != photo.id)
    window.layers.select(fill.id)
    print("fill:", fill.name, fill.pixels.shape, fill.metadata["generation"])
    window.set_tool("brush")
    for _ in range(20):
        app.processEvents()
    window.grab().save(str(out / "desk.png"))

    # 4. hide the photo (the shirt prints the fill and the oval) and export the T-shirt PNG
    if photo.visible:
        window.push(cmds.SetLayerProperty(photo.id, "visible", False))
    window.last_export = None
    window.export_to(str(out / "shirt.png"), "png:tshirt")
    wait_for(lambda: window.last_export is not None, 120)
    with Image.open(out / "shirt.png") as im:
        px = np.asarray(im)
        print(f"shirt.png {im.size}, {im.mode}")
        im.crop((2250 - 300, 1500 - 300, 2250 + 300, 1500 + 300)).save(out / "crop_100.png")
    ok = px.shape[:2] == (5400, 4500) and px[2700, 2250, 3] == 255 and px[50, 50, 3] == 0
    window._force_dirty = False
    window.undo_stack.setClean()
    window.close()
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
