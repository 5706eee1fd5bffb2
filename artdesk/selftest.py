"""`artdesk selftest`: check an installation (a pip install or the PyInstaller bundle) end to end,
headless, without touching the user's settings or files.

It finds the shipped models and resources, checks every model's checksum and runs each engine
once on a tiny job; then it opens the real main window offscreen, draws three strokes with
synthetic mouse events, exports the T-shirt PNG (4500x5400, 300 dpi, RGBA) and checks the file,
and opens every sample document. Prints one line per check; exit status 0 only if all passed.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from artdesk import PRINT_SIZE as TSHIRT
from artdesk import __version__


def add_parser(sub) -> None:
    p = sub.add_parser("selftest", help="check this installation: models, each engine, the window "
                                        "(offscreen), a T-shirt PNG export")
    p.add_argument("--out", help="where to write the T-shirt PNG (default: a temporary folder)")
    p.add_argument("--no-engines", action="store_true", help="skip the model and engine checks")
    p.add_argument("--no-window", action="store_true", help="skip the window and export checks")
    p.set_defaults(func=_cmd_selftest)


def _cmd_selftest(args) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    ok = run_selftest(args.out, engines=not args.no_engines, window=not args.no_window)
    return 0 if ok else 1


class Checks:
    def __init__(self, echo: Callable[[str], None] = print):
        self.echo = echo
        self.failed: list[str] = []
        self.count = 0

    def run(self, name: str, fn: Callable[[], str | None]) -> None:
        self.count += 1
        t0 = time.perf_counter()
        try:
            detail = fn()
        except Exception as exc:  # a check that fails for any reason is reported, not raised
            self.failed.append(name)
            self.echo(f"FAIL {name}: {type(exc).__name__}: {exc}")
            return
        ms = (time.perf_counter() - t0) * 1000
        self.echo(f"ok   {name}{f': {detail}' if detail else ''} ({ms:.0f} ms)")


def run_selftest(out: str | os.PathLike | None = None, engines: bool = True, window: bool = True,
                 echo: Callable[[str], None] = print) -> bool:
    from artdesk.paths import frozen_bundle_dir, models_dir, resources_dir
    from artdesk.runtime import models as runtime

    checks = Checks(echo)
    bundle = frozen_bundle_dir()
    echo(f"ArtDesk {__version__}, Python {sys.version.split()[0]}"
         f"{f', bundle {bundle}' if bundle else ''}")
    echo(f"models: {models_dir()}")
    echo(f"resources: {resources_dir()}")
    checks.run("onnxruntime", lambda: f"{runtime.provider_description()} "
                                      f"({', '.join(f'{n} {v}' for n, v in runtime.onnxruntime_packages())})")
    if engines:
        for name, fn in engine_checks():
            checks.run(name, fn)
    if window:
        with tempfile.TemporaryDirectory(prefix="artdesk-selftest-") as tmp:
            target = Path(out) if out else Path(tmp) / "selftest-tshirt.png"
            _window_checks(checks, Path(tmp), target)
    if checks.failed:
        echo(f"selftest: {len(checks.failed)} of {checks.count} checks FAILED: {', '.join(checks.failed)}")
        return False
    echo(f"selftest: all {checks.count} checks passed")
    return True


# -- engines (no Qt) -------------------------------------------------------------------------------
def _check_models() -> str:
    from artdesk.runtime import models as runtime

    entries = runtime.load_manifest()
    described = set()
    for entry in entries.values():
        runtime.verify(entry)
        if isinstance(entry.info.get("meta"), str):  # descriptions are checksummed too (meta_sha256)
            described.add(str(runtime.verified_path(entry.info["meta"])))
    return f"{len(entries)} models and {len(described)} descriptions, checksums match"


def _check_doodle() -> str:
    from artdesk.engines.doodle import redraw_doodle, sample_doodles
    from artdesk.engines.doodle_io import open_reader, open_shipped, reader_categories, shipped_categories
    from artdesk.engines.progress import run_to_end

    categories = shipped_categories()
    if not categories:
        raise RuntimeError("no doodle models installed")
    category = "sheep" if "sheep" in categories else categories[0]
    (drawing,) = run_to_end(sample_doodles(open_shipped(category), 1, seed=1, temperature=0.25))
    readers = reader_categories()
    if not readers:
        return f"a {category} of {len(drawing)} points ({len(categories)} categories, no reader)"
    read = category if category in readers else readers[0]  # Redraw, Morph and Mix read with these
    (theirs,) = run_to_end(sample_doodles(open_shipped(read), 1, seed=1, temperature=0.25))
    (again,) = run_to_end(redraw_doodle(open_reader(read), theirs, 1, seed=1, temperature=0.25))
    return (f"a {category} of {len(drawing)} points ({len(categories)} categories); the {read} reader decoded a "
            f"{read} of {len(theirs)} points into one of {len(again)} ({len(readers)} readers: {', '.join(readers)})")


def _check_zentangle() -> str:
    import numpy as np

    from artdesk.engines.progress import run_to_end
    from artdesk.engines.tangles import draw
    from artdesk.engines.tiling import fill_shape_with_pattern

    yy, xx = np.ogrid[0:160, 0:160]
    mask = np.where((xx - 80) ** 2 + (yy - 80) ** 2 <= 70 ** 2, np.uint8(255), np.uint8(0))
    pixels = run_to_end(fill_shape_with_pattern(draw("hollibaugh", 128), mask, scale=0.5))
    if pixels.shape[:2] != mask.shape or pixels[0, 0, 3] != 0 or pixels[80, 80, 3] == 0:
        raise RuntimeError("the fill does not follow the shape")
    from artdesk.engines.strings import DEFAULT_PATTERNS, fill_shape_with_strings

    pixels = run_to_end(fill_shape_with_strings(list(DEFAULT_PATTERNS), mask, scale=0.2))
    if not np.array_equal(pixels[..., 3], mask) or pixels[mask == 255, :3].std() < 10:
        raise RuntimeError("the strings fill does not follow the shape")
    picture = np.where(np.broadcast_to(xx < 80, mask.shape), np.uint8(20), np.uint8(240))  # dark left half
    pixels = run_to_end(fill_shape_with_strings(list(DEFAULT_PATTERNS), mask, scale=0.2, picture=picture))
    left, right = pixels[60:100, 20:60, :3].mean(), pixels[60:100, 100:140, :3].mean()
    if not np.array_equal(pixels[..., 3], mask) or not left < 200 < 250 < right:
        raise RuntimeError(f"the strings fill does not follow a picture (dark half {left:.0f}, light half {right:.0f})")
    return "tile and strings fills of a circle, strings following a picture"


def _check_portrait() -> str:
    from artdesk.engines import portrait
    from artdesk.engines.progress import run_to_end

    (face,) = run_to_end(portrait.paint_portraits([7]))
    if face.ndim != 3 or face.shape[2] != 4 or face[..., :3].std() < 1:
        raise RuntimeError("the generator painted nothing")
    return f"a {face.shape[1]}x{face.shape[0]} face"


def _check_bauhaus() -> str:
    from artdesk.engines import bauhaus
    from artdesk.engines.progress import run_to_end

    names = bauhaus.builtin_chain_names()
    if not names:
        raise RuntimeError("no Bauhaus chains installed")
    image = run_to_end(bauhaus.paint(bauhaus.load_builtin_chain(names[0]), 48, 48, seed=1))
    if image.shape != (48, 48, 4):
        raise RuntimeError(f"painted {image.shape}, not 48x48 RGBA")
    return f"48x48 from {names[0]} ({len(names)} chains)"


def engine_checks() -> list[tuple[str, Callable[[], str]]]:
    """The model checksums, then each registered engine's own check (artdesk.registry)."""
    from artdesk import registry

    return [("models", _check_models)] + [(e.key, registry.resolve(e.selftest)) for e in registry.engines()]


# -- the window ------------------------------------------------------------------------------------
def wait_for(predicate: Callable[[], bool] | None, seconds: float) -> bool:
    """Process Qt events until `predicate()` is true or `seconds` pass (None: the whole time).
    Returns whether the predicate came true."""
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QApplication.processEvents()
        if predicate is not None and predicate():
            return True
        time.sleep(0.01)
    return predicate is None or predicate()


def _window_checks(checks: Checks, tmp: Path, target: Path) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    saved = {key: os.environ.get(key) for key in ("ARTDESK_USER_DATA", "ARTDESK_USER_LOG")}
    os.environ["ARTDESK_USER_DATA"] = str(tmp / "userdata")  # recovery copies go here, not home
    os.environ["ARTDESK_USER_LOG"] = str(tmp / "logs")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    state: dict = {}
    try:
        def open_window() -> str:
            from artdesk.ui.main_window import MainWindow

            win = MainWindow(QSettings(str(tmp / "settings.ini"), QSettings.IniFormat))
            win.resize(1000, 760)
            win.show()
            wait_for(lambda: win.isVisible(), 5)
            state["window"] = win
            return f"{app.platformName()} platform, tabs: {', '.join(win.panel.tabs)}"

        def draw_strokes() -> str:
            from PySide6.QtCore import QPoint, Qt
            from PySide6.QtTest import QTest

            win = state["window"]
            w, h = win.canvas.width(), win.canvas.height()
            for k in range(3):
                y = int(h * (0.35 + 0.12 * k))
                points = [QPoint(int(w * (0.3 + 0.05 * i)), y + (12 if i % 2 else -12)) for i in range(9)]
                QTest.mousePress(win.canvas, Qt.LeftButton, Qt.NoModifier, points[0])
                for p in points[1:]:
                    QTest.mouseMove(win.canvas, p)
                QTest.mouseRelease(win.canvas, Qt.LeftButton, Qt.NoModifier, points[-1])
            strokes = win.document.all_strokes()
            if len(strokes) != 3:
                raise RuntimeError(f"drew 3 strokes, the document has {len(strokes)}")
            return "3 strokes on the canvas"

        def export_tshirt() -> str:
            win = state["window"]
            target.parent.mkdir(parents=True, exist_ok=True)
            win.last_export = None
            win.export_to(str(target), "png:tshirt")
            if not wait_for(lambda: win.last_export is not None or (not win.jobs.running and target.exists()), 120):
                raise RuntimeError("the export did not finish in 120 s")
            return check_tshirt_png(target)

        def open_samples() -> str:
            from artdesk.ui import welcome

            win = state["window"]
            win.undo_stack.setClean()
            win._force_dirty = False
            opened = []
            for name in [welcome.WELCOME] + [n for n, _ in welcome.SAMPLES]:
                if not welcome.open_sample(win, name):
                    raise RuntimeError(f"the sample {name} did not open")
                opened.append(f"{name} ({len(win.document.layers)} layers)")
            return ", ".join(opened)

        checks.run("window", open_window)
        if "window" in state:
            checks.run("draw", draw_strokes)
            checks.run("export T-shirt PNG", export_tshirt)
            checks.run("samples", open_samples)
    finally:
        win = state.get("window")
        if win is not None:
            win.jobs.cancel_all()
            win.jobs.wait(5000)
            win.undo_stack.setClean()
            win._force_dirty = False
            win.close()
            win.deleteLater()
            QApplication.processEvents()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def check_tshirt_png(path: str | os.PathLike) -> str:
    """Raise unless `path` is a T-shirt print: 4500x5400 RGBA at 300 dpi, transparent corners,
    some ink. Returns a one-line summary."""
    import numpy as np
    from PIL import Image

    from artdesk.errors import ImportFailed
    from artdesk.image_policy import check_format

    with open(path, "rb") as fh:
        check_format(fh.read(16), str(path), ("PNG",), ImportFailed)
    with Image.open(path, formats=["PNG"]) as im:  # the image policy: PNG only, never another plugin
        size, mode, dpi = im.size, im.mode, im.info.get("dpi", (0, 0))
        alpha = np.asarray(im.getchannel("A")) if mode == "RGBA" else None
    if size != TSHIRT:
        raise RuntimeError(f"{path} is {size[0]}x{size[1]}, not {TSHIRT[0]}x{TSHIRT[1]}")
    if mode != "RGBA" or alpha is None:
        raise RuntimeError(f"{path} is {mode}, not RGBA")
    if abs(float(dpi[0]) - 300) > 1 or abs(float(dpi[1]) - 300) > 1:
        raise RuntimeError(f"{path} says {dpi} dpi, not 300")
    if alpha[0, 0] or alpha[-1, -1] or alpha[0, -1] or alpha[-1, 0]:
        raise RuntimeError(f"{path} has paint in its corners; the page should be transparent")
    inked = int((alpha > 0).sum())
    if inked < 1000:
        raise RuntimeError(f"{path} is (almost) empty: {inked} painted pixels")
    return (f"{Path(path).name} {size[0]}x{size[1]} {mode} 300 dpi, {inked / alpha.size:.1%} painted, "
            f"{Path(path).stat().st_size / 1024 / 1024:.1f} MB")
