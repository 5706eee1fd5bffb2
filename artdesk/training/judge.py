"""Train the doodle judge: a second Quick, Draw! classifier, independent of the recogniser that
picks the clearest candidates, so the figures of `artdesk bench doodle` are not marked by the
network that chose the drawings.

Different from models/recogniser in both ways that matter: the data split (seed 1: another 10
bitmaps per category held out, so it trains on drawings the recogniser never saw and vice versa)
and the architecture (strided convolutions and global average + max pooling into one linear
layer, no dense hidden layer, no max pooling; augmentation adds small shifts of the zoom). Same
data (quickdraw_bitmaps, 345 x 100, CC BY 4.0 Google) and the same renderer for strokes
(artdesk.engines.recognise.raster), its line width chosen on the real Quick, Draw! drawings.

    python -m artdesk.training.judge --epochs 8 --threads 1
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch
import torch.nn as nn

from artdesk.atomic import atomic_file
from artdesk.engines.recognise import JUDGE_ID, SIDE
from artdesk.paths import models_dir, shared_data_dir
from artdesk.training.manifest import sha256_of, write_manifest_entries
from artdesk.training.recogniser import LICENCE, LINES, evaluate, fit, load_bitmaps, load_real, real_by_line


class JudgeNet(nn.Module):
    """28x28 ink -> logits: 6 convolutions (16, 32 s2, 32, 64 s2, 64, 128), global avg + max pool, linear."""

    def __init__(self, classes: int) -> None:
        super().__init__()

        def conv(cin, cout, stride=1):
            return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

        self.features = nn.Sequential(*conv(1, 16), *conv(16, 32, 2), *conv(32, 32), *conv(32, 64, 2),
                                      *conv(64, 64), *conv(64, 128))
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(256, classes)

    def forward(self, ink: torch.Tensor) -> torch.Tensor:
        f = self.features(ink)
        pooled = torch.cat([f.mean((2, 3)), f.amax((2, 3))], dim=1)
        return self.head(self.drop(pooled))


def train(a) -> None:
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    data = shared_data_dir()
    x_tr, y_tr, x_te, y_te, classes = load_bitmaps(data / "quickdraw_bitmaps", seed=a.seed)
    real, y_real = load_real(data / "sketch" / "quickdraw_real", classes)
    print(f"{len(x_tr)} train / {len(x_te)} held-out bitmaps (split seed {a.seed}); {len(real)} real drawings",
          flush=True)
    net = JudgeNet(len(classes))
    wall = fit(net, x_tr, y_tr, x_te, y_te, a)
    held = evaluate(net, x_te, y_te)
    by_line = real_by_line(net, real, y_real)
    line = max(LINES, key=lambda v: by_line[v]["top1"])
    export(net, classes, a, held, by_line, line, wall)


def export(net: JudgeNet, classes: list[str], a, held: dict, by_line: dict, line: float, wall: float) -> None:
    out = Path(a.out or models_dir()) / "judge"
    out.mkdir(parents=True, exist_ok=True)
    net.eval()
    onnx_path, tmp = out / "judge.onnx", out / "judge.onnx.tmp"
    with torch.no_grad():
        torch.onnx.export(net, torch.zeros(1, 1, SIDE, SIDE), str(tmp), input_names=["ink"], output_names=["logits"],
                          dynamic_axes={"ink": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17, dynamo=False)
    tmp.replace(onnx_path)
    params = sum(p.numel() for p in net.parameters())
    metrics = {"held_out_bitmaps": {"top1": round(held["top1"], 4), "top3": round(held["top3"], 4), "n": held["n"]},
               "real_drawings": {"top1": round(by_line[line]["top1"], 4), "top3": round(by_line[line]["top3"], 4),
                                 "n": by_line[line]["n"]},
               "real_by_line": {str(k): round(v["top1"], 4) for k, v in by_line.items()}}
    meta = {"classes": classes, "side": SIDE, "line": line, "input": "ink (batch, 1, 28, 28), 1 = ink",
            "metrics": metrics,
            "training": {"data": f"quickdraw_bitmaps (345 x 100, 10 held out each, split seed {a.seed})",
                         "epochs": a.epochs, "batch": a.batch, "lr": a.lr, "seed": a.seed, "params": params,
                         "wall_s": round(wall, 1), "threads": a.threads, "machine": platform.machine(),
                         "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}}
    with atomic_file(out / "judge.json") as fh:
        fh.write((json.dumps(meta, indent=1) + "\n").encode())
    with atomic_file(out / "MODEL_CARD.md") as fh:
        fh.write(model_card(meta).encode())
    entry = {"id": JUDGE_ID, "file": "judge/judge.onnx", "sha256": sha256_of(onnx_path), "task": "doodle",
             "licence": LICENCE,
             "inputs": [{"name": "ink", "dtype": "float32", "shape": ["batch", 1, SIDE, SIDE]}],
             "outputs": [{"name": "logits", "dtype": "float32", "shape": ["batch", len(classes)]}],
             "meta": "judge/judge.json", "card": "judge/MODEL_CARD.md",
             "training": {"data": meta["training"]["data"], "epochs": a.epochs, "wall_s": meta["training"]["wall_s"],
                          "seed": a.seed, "held_out_top1": metrics["held_out_bitmaps"]["top1"],
                          "real_top1": metrics["real_drawings"]["top1"]}}
    write_manifest_entries([entry], out.parent / "manifest.json")
    print(f"exported {onnx_path} ({onnx_path.stat().st_size / 1e6:.1f} MB)", flush=True)


def model_card(meta: dict) -> str:
    t, m = meta["training"], meta["metrics"]
    return "\n".join([
        "# Doodle judge (Quick, Draw! 345 categories)", "",
        "The referee of `artdesk bench doodle` and of the doodle model cards' recognition figures: how often a "
        "doodle model's drawings are recognised as their category. It is not the network that picks (that is "
        "models/recogniser): another data split and another architecture, so a drawing picked by the recogniser "
        "is not marked by the same eyes.", "",
        f"- data: Google's Quick, Draw! 28x28 bitmaps, {len(meta['classes'])} categories x 100 "
        f"(../shared/data/quickdraw_bitmaps), 10 per category held out with split seed {t['seed']} (the recogniser: seed 0)",
        f"- licence: {LICENCE}",
        f"- network: 6 convolutions (16, 32 stride 2, 32, 64 stride 2, 64, 128; batch norm), global average + max "
        f"pooling, dropout 0.2, one linear layer; {t['params']:,} parameters",
        f"- training: {t['epochs']} epochs, batch {t['batch']}, AdamW one-cycle lr {t['lr']}, label smoothing 0.1, "
        "augmentation mirror + zoom out; "
        f"{t['wall_s'] / 60:.1f} min on {t['threads']} CPU thread(s) ({t['machine']}), finished {t['finished']}",
        "- reproduce: `python -m artdesk.training.judge`", "",
        "## Held-out figures", "",
        f"- held-out bitmaps ({m['held_out_bitmaps']['n']}): top-1 {m['held_out_bitmaps']['top1']:.1%}, "
        f"top-3 {m['held_out_bitmaps']['top3']:.1%}",
        f"- real Quick, Draw! stroke drawings ({m['real_drawings']['n']}, never trained on), app renderer: "
        f"top-1 {m['real_drawings']['top1']:.1%}, top-3 {m['real_drawings']['top3']:.1%}",
        "- line width (px of 28) chosen on those: " + ", ".join(f"{k}: {v:.1%}" for k, v in m["real_by_line"].items())
        + f"; used {meta['line']}", "",
    ])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=4e-3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=None, help="models folder (default: the project's models/)")
    train(p.parse_args(argv))


if __name__ == "__main__":
    main()
