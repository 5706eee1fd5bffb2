"""The real main window for the packaging demos (shirt_demo.py, follow_demo.py): opened with
settings of its own in a temporary folder, fitted to the page, driven with real mouse events."""

from __future__ import annotations

import sys
import tempfile


class DemoWindow:
    """`window` (a shown MainWindow), `app`, `canvas`, `tmp` (its settings' folder); `at` maps
    document units to canvas pixels, `drag` presses, moves through and releases at points."""

    def __init__(self, prefix: str, **settings) -> None:
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication

        from artdesk.selftest import wait_for
        from artdesk.ui.main_window import MainWindow

        self.app = QApplication.instance() or QApplication(sys.argv)
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        store = QSettings(f"{self.tmp}/settings.ini", QSettings.IniFormat)
        for key, value in {**settings, "first_run_done": True}.items():
            store.setValue(key, value)
        self.window = MainWindow(store)
        self.window.resize(1500, 950)
        self.window.show()
        wait_for(lambda: self.window.isVisible(), 10)
        self.canvas = self.window.canvas
        self.canvas.fit_to_window()

    def at(self, x, y):
        from PySide6.QtCore import QPointF

        return self.canvas.transform().map(QPointF(x, y)).toPoint()

    def drag(self, points, modifiers=None) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        modifiers = Qt.NoModifier if modifiers is None else modifiers
        QTest.mousePress(self.canvas, Qt.LeftButton, modifiers, self.at(*points[0]))
        for p in points[1:]:
            QTest.mouseMove(self.canvas, self.at(*p))
            self.app.processEvents()
        QTest.mouseRelease(self.canvas, Qt.LeftButton, modifiers, self.at(*points[-1]))
        self.app.processEvents()
