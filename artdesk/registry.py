"""The one registry of engines. Each engine is named here once, with everything the rest of the
app needs to find it: its panel tab, its CLI command, its selftest check, its model folder and
what a pattern dropped on the canvas does while its tab is open.

Everything is a dotted name, imported only when used, so reading the registry costs nothing
(the CLI builds its parser from it without loading any engine) and this module imports no Qt.
ARCHITECTURE.md lists the files a new engine touches.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Engine:
    key: str                  # "doodle": the CLI command, the `artdesk bench` name, the selftest line
    title: str                # the panel tab's title
    tab: str                  # "module:Class" of the panel tab, constructed as Class(desk)
    actions: str              # the engine's actions module (artdesk.actions.<key>)
    selftest: str             # "module:function" -> a short str; raises when the engine is broken
    model_folder: str | None  # models/<folder> (also listed in pyproject's data-files)
    drop: str | None = None   # method of the tab called as method(path, x, y) for a dropped pattern
    # a hand-made CLI: a module with add_parser(subparsers) and bench() -> list[str]; None: the
    # command is made from the actions module's Request (artdesk.cli.engine)
    cli_module: str | None = None


ENGINES: tuple[Engine, ...] = (
    Engine("doodle", "Doodle", "artdesk.ui.doodle_tab:DoodleTab", "artdesk.actions.doodle",
           "artdesk.selftest:_check_doodle", "doodle", cli_module="artdesk.cli.doodle"),
    Engine("zentangle", "Zentangle", "artdesk.ui.zentangle_tab:ZentangleTab", "artdesk.actions.zentangle",
           "artdesk.selftest:_check_zentangle", "zentangle", drop="fill_at_drop", cli_module="artdesk.cli.zentangle"),
    Engine("portrait", "Portraits", "artdesk.ui.portrait_tab:PortraitTab", "artdesk.actions.portrait",
           "artdesk.selftest:_check_portrait", "portrait", cli_module="artdesk.cli.portrait"),
    Engine("bauhaus", "Bauhaus", "artdesk.ui.bauhaus_tab:BauhausTab", "artdesk.actions.bauhaus",
           "artdesk.selftest:_check_bauhaus", "bauhaus", cli_module="artdesk.cli.bauhaus"),
)


def engines() -> tuple[Engine, ...]:
    return ENGINES


def engine(key: str) -> Engine:
    for entry in ENGINES:
        if entry.key == key:
            return entry
    raise KeyError(f"no engine called {key!r}; the engines are {', '.join(e.key for e in ENGINES)}")


def resolve(dotted: str) -> Any:
    """"package.module:name" -> that object (the module is imported now)."""
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)
