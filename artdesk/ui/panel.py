"""The generation panel: one tab per engine. Engines add their tab through `ENGINE_TABS`."""

from __future__ import annotations

import importlib
import logging

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

log = logging.getLogger("artdesk.panel")

# (tab title, module, class); a tab class is constructed as cls(desk) where desk is the MainWindow
ENGINE_TABS = [
    ("Doodle", "artdesk.ui.doodle_tab", "DoodleTab"),
    ("Zentangle", "artdesk.ui.zentangle_tab", "ZentangleTab"),
    ("Portraits", "artdesk.ui.portrait_tab", "PortraitTab"),
    ("Bauhaus", "artdesk.ui.bauhaus_tab", "BauhausTab"),
]


class NotInstalledTab(QWidget):
    def __init__(self, title: str):
        super().__init__()
        label = QLabel(f"The {title} engine is not part of this build yet.")
        label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addStretch(1)


class GenerationPanel(QTabWidget):
    def __init__(self, desk):
        super().__init__()
        self.tabs = {}
        for title, module_name, class_name in ENGINE_TABS:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name != module_name:
                    raise
                widget = NotInstalledTab(title)
            else:
                widget = getattr(module, class_name)(desk)
            self.tabs[title] = widget
            self.addTab(widget, title)
