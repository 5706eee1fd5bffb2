"""`artdesk <engine> ... --out picture.png` for an engine without a hand-made CLI module: the
command is made from its actions module (artdesk.registry: Engine.actions), which has

    Request      a dataclass; each field with a default (int, float, str or bool) is an option
    job(request) a job (generator yielding Progress) that returns RGBA pixels (H, W, 4)
    generation(request) -> dict   what made the picture (written into the PNG)
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import sys
from typing import Any


def _option_type(value: Any):
    return type(value) if isinstance(value, (int, float, str)) else str


def add_parser_for(sub, engine) -> None:
    actions = importlib.import_module(engine.actions)
    p = sub.add_parser(engine.key, help=f"{engine.title}: {(actions.__doc__ or '').strip().splitlines()[0]}")
    for f in dataclasses.fields(actions.Request):
        if f.default is dataclasses.MISSING:
            continue
        flag = "--" + f.name.replace("_", "-")
        if isinstance(f.default, bool):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default)
        else:
            p.add_argument(flag, type=_option_type(f.default), default=f.default, help=f"default {f.default}")
    p.add_argument("--out", required=True, help="the picture: a .png (300 dpi, sRGB, settings inside)")
    p.set_defaults(func=lambda args: run(engine, actions, args))


def run(engine, actions, args) -> int:
    from artdesk.engines.progress import run_to_end
    from artdesk.export.png import write_png

    if not args.out.lower().endswith(".png"):
        print(f"artdesk {engine.key}: --out must end in .png", file=sys.stderr)
        return 2
    names = {f.name for f in dataclasses.fields(actions.Request) if f.default is not dataclasses.MISSING}
    request = actions.Request(**{name: getattr(args, name) for name in names})
    pixels = run_to_end(actions.job(request))
    write_png(args.out, pixels, 300, settings=actions.generation(request))
    print(f"wrote {args.out} ({pixels.shape[1]}x{pixels.shape[0]})")
    return 0
