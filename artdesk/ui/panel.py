"""The generation panel: one tab per engine of `artdesk.registry`."""

from __future__ import annotations

import importlib
import logging

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from artdesk import registry

log = logging.getLogger("artdesk.panel")

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
        self.tabs = {}  # tab title -> widget
        self.by_engine = {}  # engine key -> widget
        for engine in registry.engines():  # each tab is constructed as Class(desk), desk the MainWindow
            title = engine.title
            module_name, class_name = engine.tab.split(":")
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name != module_name:
                    raise
                widget = NotInstalledTab(title)
            else:
                widget = getattr(module, class_name)(desk)
            self.tabs[title] = self.by_engine[engine.key] = widget
            self.addTab(widget, title)

    def drop_handler(self):
        """(tab, method) of the first engine that takes a pattern dropped on the canvas, or None."""
        for engine in registry.engines():
            tab = self.by_engine.get(engine.key)
            handler = getattr(tab, engine.drop, None) if engine.drop else None
            if handler is not None:
                return tab, handler
        return None
