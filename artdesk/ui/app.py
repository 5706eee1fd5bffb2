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


def run_app(path: str | None = None) -> int:
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from artdesk.paths import resources_dir
    from artdesk.ui.main_window import MainWindow, offer_recovery

    setup_logging()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ArtDesk")
    app.setOrganizationName("ArtDesk")
    icon = resources_dir() / "icons" / "artdesk-256.png"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    window = MainWindow()
    install_excepthook(window)
    window.show()
    log.info("ArtDesk started")
    if not offer_recovery(window) and path:
        window.open_path(path)
    return app.exec()
