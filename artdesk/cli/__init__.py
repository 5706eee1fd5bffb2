"""`artdesk` opens the app; `artdesk <command>` does headless work.

One module per command, imported lazily: `artdesk doodle random` imports `artdesk.cli.doodle`
and what its run needs, never the other engines, and headless commands never load QtWidgets
(the `gui` command is the only one that imports `artdesk.ui`). A command module defines
`add_parser(subparsers)` (registering a parser whose `func(args) -> int` runs it) with only light
imports at its top, and an engine's module `bench() -> list[str]` for `artdesk bench <engine>`.
The engines come from `artdesk.registry`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from artdesk import __version__, registry

# The engines' commands, in the registry's order (artdesk.bench runs their bench() too).
ENGINE_CLI_MODULES = [engine.key for engine in registry.engines()]

# command -> (module, function that adds its parser); the engines' commands come from the registry.
DESK_COMMANDS: dict[str, tuple[str, str]] = {
    "export": ("artdesk.cli.desk", "add_export_parser"),
    "bench": ("artdesk.cli.desk", "add_bench_parser"),
    "mockup": ("artdesk.cli.desk", "add_mockup_parser"),
    "selftest": ("artdesk.selftest", "add_parser"),
    "train": ("artdesk.cli.train", "add_parser"),
}


def commands() -> dict[str, tuple[str, str]]:
    """Every command but gui: the desk's, then one per registered engine (an engine without a
    hand-made CLI module gets one made from its actions: artdesk.cli.engine)."""
    found = dict(DESK_COMMANDS)
    for engine in registry.engines():
        found[engine.key] = ((engine.cli_module, "add_parser") if engine.cli_module
                             else ("artdesk.cli.engine", "add_parser_for"))
    return found


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; `only` adds just that command's parser (and imports just its module)."""
    parser = argparse.ArgumentParser(prog="artdesk", description="ArtDesk: paint with data-science models.")
    parser.add_argument("--version", action="version", version=f"ArtDesk {__version__}")
    sub = parser.add_subparsers(dest="command")

    gui = sub.add_parser("gui", help="open the main window (the default)")
    gui.add_argument("file", nargs="?", help="a .artdesk project or an image to open "
                     "(`artdesk FILE` does the same: the desktop entry runs `artdesk %%f`)")
    gui.set_defaults(func=_cmd_gui)

    for name, (module_name, function) in commands().items():
        if only is None or only == name:
            add = getattr(importlib.import_module(module_name), function)
            if function == "add_parser_for":
                add(sub, registry.engine(name))
            else:
                add(sub)
    return parser


def _cmd_gui(args) -> int:
    from artdesk import platform_check

    if platform_check.uses_xcb() and (missing := platform_check.missing_qt_libraries()):
        print(f"artdesk: {platform_check.advice(missing)}", file=sys.stderr)  # Qt's own message names one
    from artdesk.ui.app import run_app

    return run_app(args.file)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--version"]:  # without building the parser, which imports every command's module
        print(f"ArtDesk {__version__}")
        raise SystemExit(0)  # as argparse's version action does
    known = commands()
    if not argv or (argv[0] not in known and argv[0] != "gui" and not argv[0].startswith("-")):
        argv = ["gui", *argv]
    parser = build_parser(argv[0] if argv[0] in known or argv[0] == "gui" else None)
    args = parser.parse_args(argv)
    from artdesk.errors import ArtDeskError

    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except ArtDeskError as exc:  # every loader's family: a sentence, never a traceback
        print(f"artdesk {args.command}: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"artdesk: {exc}", file=sys.stderr)
        return 2
