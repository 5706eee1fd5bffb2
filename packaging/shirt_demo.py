"""Make a shirt in the real app and check the print a shirt shop gets.

    Xvfb :19 -screen 0 1600x1000x24 &
    DISPLAY=:19 QT_QPA_PLATFORM=xcb python packaging/shirt_demo.py --out /tmp/shirt [--readme]

Drives the main window with real mouse events: a star drawn with the shape tool and filled with
a tangle dropped from the gallery, a slogan placed with the text tool, a portrait from the
Portraits tab behind a 50%-opaque band (a filled rectangle on a layer at 50% opacity). Then it
opens the shirt mockup on a black shirt, exports the T-shirt PNG with DTG-safe, and checks that
the PNG holds only fully opaque or fully clear pixels and that the 50% band prints with about
50% ink coverage. Writes desk.png, mockup.png, shirt.artdesk and shirt_dtg.png to --out;
--readme also copies the mockup to resources/screenshots/mockup.png.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from demo_window import DemoWindow

ROOT = Path(__file__).resolve().parents[1]
BAND = (60, 860, 840, 1050)  # the 50% band, document units (x0, y0, x1, y1)
PORTRAIT = (300, 640, 300, 300)  # x, y, w, h


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--readme", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PIL import Image
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QColor
    from PySide6.QtTest import QTest

    from artdesk.document import commands as cmds
    from artdesk.document.model import VectorLayer
    from artdesk.export.halftone import coverage
    from artdesk.selftest import wait_for
    from artdesk.ui.printing import show_mockup

    demo = DemoWindow("artdesk-shirt-", **{"zentangle/mode": "tile"})
    app, window, canvas, at, drag = demo.app, demo.window, demo.canvas, demo.at, demo.drag

    def new_layer(name):
        layer = VectorLayer(name=window.document.unique_layer_name(name))
        window.add_layer(layer)
        return layer

    # 1. the portrait, from the Portraits tab
    tab = window.panel.tabs["Portraits"]
    tab.seed.setValue(45)  # a seed whose face has eyes and a mouth (see the portrait model card)
    tab.paint()
    wait_for(lambda: tab.faces()[0] is not None, 180)
    layers_before = len(window.document.layers)
    tab.place_cell(0)
    wait_for(lambda: len(window.document.layers) > layers_before and not window.jobs.running, 180)
    portrait = window.document.layers[-1]
    window.push(cmds.SetLayerProperty(portrait.id, "rect", PORTRAIT))

    # 2. the 50% band in front of it: a filled rectangle on a layer at half opacity
    band = new_layer("Band")
    window.set_color(QColor("#f2f2f2"))
    window.set_tool("shape")
    options = canvas.current_tool().options_widget()
    options.kind.setCurrentIndex(options.kind.findData("rectangle"))
    options.fill.setChecked(True)
    options.outline.setChecked(False)
    options.colour.set_colour("#f2f2f2")
    drag([BAND[:2], ((BAND[0] + BAND[2]) / 2, 950), BAND[2:]])
    window.push(cmds.SetLayerProperty(band.id, "opacity", 0.5))

    # 3. the star, outlined, then filled with a tangle dropped inside it
    new_layer("Star")
    window.set_color(QColor("#ffffff"))
    window.size_box.setValue(8)
    options.kind.setCurrentIndex(options.kind.findData("star"))
    options.fill.setChecked(False)
    options.outline.setChecked(True)
    drag([(190, 40), (450, 300), (710, 520)])
    pattern = str(ROOT / "resources" / "patterns" / "hollibaugh.png")
    count = len(window.document.layers)
    window.pattern_dropped(pattern, QPointF(450, 330))
    wait_for(lambda: len(window.document.layers) > count and not window.jobs.running, 300)

    # 4. the slogan, with the text tool
    window.set_color(QColor("#ffd23f"))
    window.set_tool("text")
    text_tool = canvas.current_tool()
    QTest.mouseClick(canvas, Qt.LeftButton, Qt.NoModifier, at(150, 535))
    dialog = text_tool.dialog
    dialog.edit.setPlainText("STAY WEIRD")
    dialog.size.setValue(92)
    dialog.bold.setChecked(True)
    dialog.accept()
    app.processEvents()
    window.set_tool("brush")
    window.act["print_guides"].setChecked(True)
    window.save_to(out / "shirt.artdesk")
    for _ in range(20):
        app.processEvents()
    window.grab().save(str(out / "desk.png"))

    # 5. the mockup on a black shirt
    mockup = show_mockup(window)
    wait_for(lambda: mockup.pixels is not None and not window.jobs.running, 120)
    Image.fromarray(mockup.pixels, "RGBA").convert("RGB").save(out / "mockup.png")
    for _ in range(10):
        app.processEvents()
    mockup.grab().save(str(out / "mockup_view.png"))
    mockup.close()
    if args.readme:
        from artdesk.export.garment import save_mockup

        save_mockup(window.document, ROOT / "resources" / "screenshots" / "mockup.png", "black", width=900)

    # 6. export with DTG-safe and check what the shop gets
    window.last_export = None
    window.export_to(str(out / "shirt_dtg.png"), "png:tshirt", dtg=True, trim=False)
    wait_for(lambda: window.last_export is not None, 120)
    with Image.open(out / "shirt_dtg.png") as im:
        px = np.asarray(im)
    alphas = sorted(int(a) for a in np.unique(px[..., 3]))
    s = 5  # print pixels per document unit
    x0, y0, x1, y1 = BAND
    px0, py0, pw, ph = PORTRAIT
    margin = 20
    left = px[y0 * s + margin: y1 * s - margin, x0 * s + margin: px0 * s - margin, 3]
    right = px[y0 * s + margin: y1 * s - margin, (px0 + pw) * s + margin: x1 * s - margin, 3]
    cov = coverage(np.concatenate([left.ravel(), right.ravel()]))
    print(f"DTG PNG {px.shape[1]}x{px.shape[0]}: alpha values {alphas}")
    print(f"50% band ink coverage: {cov * 100:.1f}% (target 50% +- 10%)")
    ok = set(alphas) <= {0, 255} and abs(cov - 0.5) <= 0.05
    window._force_dirty = False
    window.undo_stack.setClean()
    window.close()
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
