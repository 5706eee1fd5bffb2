"""Starting the app: logging to the user log dir, an exception hook that keeps the app alive,
crash recovery, and the main window."""

from __future__ import annotations

import logging
import logging.handlers
import sys
import traceback

from artdesk.paths import user_log_dir

log = logging.getLogger("artdesk")


def setup_logging() -> None:
    if any(isinstance(h, logging.handlers.RotatingFileHandler) for h in log.handlers):
        return
    handler = logging.handlers.RotatingFileHandler(user_log_dir() / "artdesk.log", maxBytes=2_000_000,
                                                   backupCount=2, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)


def install_excepthook(window) -> None:
    """An unexpected error in a slot is logged and shown; the document stays open."""
    def hook(exc_type, exc, tb):
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("unexpected error\n%s", text)
        try:
            window.show_error("Something went wrong", f"{exc_type.__name__}: {exc}\n\nYour drawing is "
                              "untouched; details are in Help > Show log.")
        except Exception:  # the window itself may be what failed
            sys.__excepthook__(exc_type, exc, tb)
    sys.excepthook = hook


def app_icon():
    """The app icon from the hicolor PNGs in resources/icons (every size there), falling back to
    the desktop theme's icon of the same name."""
    from PySide6.QtGui import QIcon

    from artdesk import APP_ID
    from artdesk.paths import resources_dir

    icon = QIcon()
    for path in sorted((resources_dir() / "icons" / "hicolor").glob(f"*/apps/{APP_ID}.png")):
        icon.addFile(str(path))
    return icon if not icon.isNull() else QIcon.fromTheme(APP_ID)


def open_startup_document(window, path: str | None = None, ask_recovery=None) -> str:
    """What the window shows first: a crash-recovery copy (if the user takes it), else the file
    asked for, else on the very first run the welcome canvas, else a blank page. Returns which
    one: "recovered", "file", "welcome" or "blank"."""
    from artdesk.ui.main_window import clean_at_start, offer_recovery
    from artdesk.ui.welcome import first_run

    try:
        clean_at_start(window.settings)
    except OSError as exc:  # a cleanup must never stop the app from starting
        log.warning("cleaning temporary files failed: %s", exc)
    if offer_recovery(window, ask_recovery):
        return "recovered"
    if path:
        window.open_path(path)
        return "file"
    if first_run(window):
        return "welcome"
    return "blank"


def run_app(path: str | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    from artdesk import APP_ID
    from artdesk.runtime.models import package_conflict
    from artdesk.ui.main_window import MainWindow

    setup_logging()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ArtDesk")
    app.setOrganizationName("ArtDesk")
    app.setDesktopFileName(APP_ID)  # Wayland and the taskbar match the window to the .desktop file
    app.setWindowIcon(app_icon())
    window = MainWindow()
    install_excepthook(window)
    window.show()
    log.info("ArtDesk started")
    if package_conflict():
        log.warning("onnxruntime: %s", package_conflict())
    open_startup_document(window, path)
    return app.exec()
