"""Screenshots of the real app for the README and the AppStream metainfo.

    python packaging/screenshots.py          # writes resources/screenshots/*.png

Starts an Xvfb display (1280x800), runs ArtDesk on it (the real main window on Qt's xcb
platform, with user folders and settings of its own), opens the welcome canvas and each sample
document, lets each engine's tab show what it does (nine random sheep, nine portraits, the
Bauhaus picture painted again in the preview), and grabs
the X screen itself for each: desk.png, doodle.png, zentangle.png, portrait.png, bauhaus.png,
and compose.png (a shirt arranged with the move and selection tools, see compose_shirt).
PNGs over 300 KB are quantised to 256 colours. Needs Xvfb (Debian: apt-get install xvfb).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "resources" / "screenshots"
SIZE = (1280, 800)
ONLY: list[str] = os.environ.get("ARTDESK_SHOTS_ONLY", "").split()  # --only, passed on to the inside run
MAX_BYTES = 300 * 1024
# (file, sample document, Generate tab or None)
SHOTS = [
    ("desk", "welcome", None),
    ("doodle", "doodle", "Doodle"),
    ("zentangle", "zentangle", "Zentangle"),
    ("portrait", "portrait", "Portraits"),
    ("bauhaus", "bauhaus", "Bauhaus"),
    ("compose", None, "Doodle"),  # a shirt arranged with the move and selection tools
]


# -- outside: the X server ---------------------------------------------------------------------
def start_xvfb() -> tuple[subprocess.Popen, str]:
    if not shutil.which("Xvfb"):
        raise SystemExit("screenshots: Xvfb is not installed (Debian: apt-get install xvfb)")
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24",
                             "-nolisten", "tcp", "-noreset"], pass_fds=(write,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    number = b""
    deadline = time.monotonic() + 20
    while not number.endswith(b"\n") and time.monotonic() < deadline:
        chunk = os.read(read, 16)
        if not chunk:
            break
        number += chunk
    os.close(read)
    if not number.strip():
        proc.kill()
        raise SystemExit("screenshots: Xvfb did not start")
    return proc, f":{number.decode().strip()}"


def shrink(path: Path) -> None:
    """Quantise a screenshot to 256 colours when the plain PNG is large."""
    from PIL import Image

    if path.stat().st_size <= MAX_BYTES:
        return
    with Image.open(path) as im:
        small = im.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def outside(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    xvfb, display = start_xvfb()
    try:
        with tempfile.TemporaryDirectory(prefix="artdesk-shots-") as tmp:
            env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", XDG_CONFIG_HOME=f"{tmp}/config",
                       ARTDESK_USER_DATA=f"{tmp}/userdata", ARTDESK_USER_LOG=f"{tmp}/logs",
                       PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
            env.pop("WAYLAND_DISPLAY", None)
            done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--inside", "--out", str(out)],
                                  env=env, timeout=600)
            if done.returncode:
                return done.returncode
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    for name, _, _ in SHOTS:
        path = out / f"{name}.png"
        if path.exists():
            shrink(path)
            print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {path.stat().st_size / 1024:.0f} KB")
    return 0


# -- inside: the app on the X display ----------------------------------------------------------
def show_engine(window, tab_name: str) -> None:
    """Let the tab show its engine at work, without touching the sample document."""
    from artdesk.selftest import wait_for

    tab = window.panel.tabs[tab_name]
    if tab_name == "Doodle":
        index = tab.model_combo.findData("sheep")
        if index >= 0:
            tab.model_combo.setCurrentIndex(index)
        tab.temperature.setValue(25)
        tab.seed.setValue(2)
        tab.start("random")
        wait_for(lambda: not window.jobs.running, 120)
        tab.model_combo.showPopup()  # the categories, listed over the form (closed after the grab)
    elif tab_name == "Portraits":
        tab.paint()
    elif tab_name == "Bauhaus":
        # paint the sample's picture again, live, with its own settings; the preview keeps it and
        # undo takes the duplicate layer off the sample
        gen = window.document.layers[0].metadata["generation"]
        tab.model_combo.setCurrentIndex(max(0, tab.model_combo.findData(gen["model"])))
        tab.order.setValue(gen["order"])
        tab.width_box.setValue(gen["size"][0])
        tab.height_box.setValue(gen["size"][1])
        tab.block.setValue(gen["block"])
        tab.seed.setValue(gen["seed"])
        before = window.undo_stack.index()
        tab.paint()
        wait_for(lambda: not window.jobs.running, 120)
        while window.undo_stack.index() > before:
            window.undo_stack.undo()
        window.undo_stack.clear()
    wait_for(lambda: not window.jobs.running, 120)


def compose_shirt(window) -> None:
    """Arrange a shirt as a person would: a portrait, a Bauhaus picture and two doodles land
    where placement puts them, then the move tool and its options bar size, rotate and flip
    them, part of a doodle is selected and moved, and a doodle is copied."""
    from artdesk.document.selection import rect_polygon, select
    from artdesk.engines import bauhaus, portrait
    from artdesk.engines.progress import run_to_end
    from artdesk.selftest import wait_for

    (face,) = run_to_end(portrait.paint_portraits([26], 0.8))
    window.add_raster_layer(portrait.upscale(face, 512, "smooth"), "Portrait 26")
    chain = bauhaus.load_builtin_chain("kandinsky_scan_o3")
    window.add_raster_layer(run_to_end(bauhaus.paint(chain, 160, 100, 4, 4)), "Bauhaus", resample="crisp")
    layers = window.document.layers
    face_layer, band = layers[-2], layers[-1]
    tab = window.panel.tabs["Doodle"]
    doodles = []
    for model, seed in (("sheep", 3), ("bird", 5)):
        tab.model_combo.setCurrentIndex(max(0, tab.model_combo.findData(model)))
        tab.seed.setValue(seed)
        tab.start("random")
        wait_for(lambda: not window.jobs.running, 120)
        wait_for(None, 0.3)
        tab.apply(0)
        doodles.append(window.document.layers[-1])
    canvas = window.canvas

    def arrange(layer, x, y, size, angle=0.0, flip=False, height=None):
        window.layers.select(layer.id)
        window.free_transform()
        tool = canvas.current_tool()
        if flip:
            tool.transformer.flip(True)
        _, _, w, h, _ = tool.transformer.geometry()
        k = size / max(w, h)
        tool.transformer.set_geometry(x, y, w * k, height if height else h * k, angle)
        tool.transformer.apply()

    arrange(face_layer, 250, 70, 400, angle=-8)
    arrange(band, 120, 690, 660, flip=True, height=300)
    arrange(doodles[0], 40, 520, 230)
    arrange(doodles[1], 600, 470, 230, angle=12, flip=True)
    window.layers.select(doodles[1].id)  # select the bird's left half and lift it a little
    window.set_tool("select")
    x0, y0, x1, y1 = doodles[1].bounds()
    tool = canvas.current_tool()
    canvas.set_selection(select(doodles[1], rect_polygon(x0 - 4, y0 - 4, (x0 + x1) / 2, y1 + 4)))
    if canvas.selection is not None:
        tool.transformer.nudge(-12, -20)
        tool.transformer.apply()
    window.layers.select(doodles[0].id)
    window.compose.duplicate()
    arrange(window.document.layers[window.document.index_of(doodles[0].id) + 1], 720, 60, 140)
    window.layers.select(face_layer.id)
    window.free_transform()


def inside(out: Path) -> int:
    from PySide6.QtWidgets import QApplication

    from artdesk import APP_ID
    from artdesk.selftest import wait_for
    from artdesk.ui.app import app_icon
    from artdesk.ui.main_window import MainWindow
    from artdesk.ui.welcome import open_sample

    app = QApplication(sys.argv[:1])
    app.setApplicationName("ArtDesk")
    app.setOrganizationName("ArtDesk")
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    window = MainWindow()
    window.setGeometry(0, 0, *SIZE)  # no window manager on Xvfb: the window is the screen
    window.show()
    wait_for(None, 1.0)
    for name, sample, tab_name in SHOTS:
        if ONLY and name not in ONLY:
            continue
        window.undo_stack.setClean()
        window._force_dirty = False
        if sample is None:
            from artdesk.document.model import Document

            window.set_document(Document.blank(), None)
            window.canvas.fit_to_window()
            compose_shirt(window)
        elif not open_sample(window, sample):
            print(f"screenshots: cannot open the sample {sample}", file=sys.stderr)
            return 1
        window.panel.setCurrentWidget(window.panel.tabs[tab_name or "Doodle"])
        if tab_name and sample is not None:
            show_engine(window, tab_name)
        if sample is not None:
            window.canvas.fit_to_window()
        window.statusBar().clearMessage()
        wait_for(None, 0.8)
        pixmap = app.primaryScreen().grabWindow(0)  # the X screen as it is, not a widget render
        window.panel.tabs["Doodle"].model_combo.hidePopup()
        path = out / f"{name}.png"
        if not pixmap.save(str(path), "PNG"):
            print(f"screenshots: cannot write {path}", file=sys.stderr)
            return 1
    window.undo_stack.setClean()
    window._force_dirty = False
    window.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--only", nargs="+", default=[], help="these shots only (desk, doodle, ...)")
    args = parser.parse_args(argv)
    if args.only:
        ONLY[:] = args.only
        os.environ["ARTDESK_SHOTS_ONLY"] = " ".join(args.only)
    return inside(args.out) if args.inside else outside(args.out)


if __name__ == "__main__":
    raise SystemExit(main())
