"""`artdesk` opens the app; `artdesk <command>` does headless work.

Each engine adds its own subcommands from a module `artdesk.cli_<engine>` that defines
`add_parser(subparsers)` (registering a parser whose `func(args) -> int` runs it) and, for
`artdesk bench <engine>`, `bench() -> list[str]` (lines of figures).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from artdesk import __version__

ENGINE_CLI_MODULES = ["doodle", "zentangle", "portrait", "bauhaus"]


def _engine_modules():
    for name in ENGINE_CLI_MODULES:
        try:
            yield name, importlib.import_module(f"artdesk.cli_{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"artdesk.cli_{name}":
                raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="artdesk", description="ArtDesk: paint with data-science models.")
    parser.add_argument("--version", action="version", version=f"ArtDesk {__version__}")
    sub = parser.add_subparsers(dest="command")

    gui = sub.add_parser("gui", help="open the main window (the default)")
    gui.add_argument("file", nargs="?", help="a .artdesk project or an image to open "
                     "(`artdesk FILE` does the same: the desktop entry runs `artdesk %%f`)")
    gui.set_defaults(func=_cmd_gui)

    from artdesk import cli_desk, selftest

    cli_desk.add_parsers(sub)
    selftest.add_parser(sub)
    for _, module in _engine_modules():
        module.add_parser(sub)
    return parser


def _cmd_gui(args) -> int:
    from artdesk.ui.app import run_app

    return run_app(args.file)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if not argv or (argv[0] not in parser._subparsers._group_actions[0].choices
                    and not argv[0].startswith("-")):
        argv = ["gui", *argv]
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except (OSError, ValueError) as exc:
        print(f"artdesk: {exc}", file=sys.stderr)
        return 2
