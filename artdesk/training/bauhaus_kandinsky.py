"""Learn the built-in Kandinsky Bauhaus chains: `python -m artdesk.training.bauhaus_kandinsky`.

Data: the 480 Kandinsky paintings in ../shared/data/paintings/kandinsky_384. A seeded 10% of
them is held out; each chain is learned from the rest and scored on the held-out paintings
(bits per pixel, Witten-Bell interpolated across the chain's orders, against order 0 alone).
Writes models/bauhaus/<name>.npz and models/bauhaus/MODEL_CARD.md. numpy only (no torch).
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np

from artdesk.engines import bauhaus
from artdesk.engines.progress import run_to_end
from artdesk.paths import models_dir, shared_data_dir
from artdesk.training.manifest import chain_entry, write_manifest_entries

SEED = 6
PALETTE = 16
SIZE = 256
HOLD_OUT = 0.10
# name, context, order, min_count (contexts of order >= 2 seen fewer times are dropped)
CHAINS = [
    ("kandinsky_scan_o3", "scanline", 3, 1),
    ("kandinsky_2d_o2", "2d", 2, 1),
    ("kandinsky_2d_o5", "2d", 5, 1),
]


def paintings_dir() -> Path:
    return shared_data_dir() / "paintings" / "kandinsky_384"


def split(files: list[Path], seed: int) -> tuple[list[Path], list[Path]]:
    order = np.random.default_rng(seed).permutation(len(files))
    n_test = max(1, round(HOLD_OUT * len(files)))
    test = sorted(files[i] for i in order[:n_test])
    train = sorted(files[i] for i in order[n_test:])
    return train, test


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=paintings_dir())
    parser.add_argument("--out", type=Path, default=models_dir() / "bauhaus")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--palette", type=int, default=PALETTE)
    parser.add_argument("--size", type=int, default=SIZE)
    parser.add_argument("--explore", action="store_true",
                        help="only print held-out scores for orders 1..8 of both contexts")
    args = parser.parse_args(argv)

    files = sorted(p for p in args.data.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not files:
        raise SystemExit(f"No paintings in {args.data}")
    train, test = split(files, args.seed)
    started = time.perf_counter()
    train_rgb = [bauhaus.as_rgb(p, args.size) for p in train]
    test_rgb = [bauhaus.as_rgb(p, args.size) for p in test]
    print(f"{len(train)} training / {len(test)} held-out paintings, read in "
          f"{time.perf_counter() - started:.1f} s")

    t = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    sample = np.concatenate([r.reshape(-1, 3)[rng.choice(r.shape[0] * r.shape[1], 500)]
                             for r in train_rgb])
    palette = bauhaus.kmeans_palette(sample, args.palette, args.seed, iterations=50,
                                     sample=len(sample))
    palette_s = time.perf_counter() - t
    print(f"palette of {len(palette)} colours by k-means in {palette_s:.1f} s")

    configs = CHAINS
    if args.explore:
        configs = [(f"{c}_o{o}", c, o, 1) for c in ("scanline", "2d") for o in range(1, 9)]
    results = []
    for name, context, order, min_count in configs:
        t = time.perf_counter()
        chain = run_to_end(bauhaus.learn_chain(train_rgb, order, args.palette, context, args.seed,
                                               size=args.size, palette=palette,
                                               min_count=min_count))
        learn_s = time.perf_counter() - t
        scores = bauhaus.log_loss_bits(chain, test_rgb)
        line = (f"{name}: {context} order {order}: {scores['bits_per_pixel']:.3f} bits/pixel "
                f"(order 0: {scores['order0_bits_per_pixel']:.3f}), full context seen for "
                f"{100 * scores['top_order_seen']:.1f}% of held-out pixels, contexts "
                f"{sum(chain.context_counts())}, learned in {learn_s:.1f} s")
        size_kb = None
        if not args.explore:
            chain.info.update({"name": name, "data": "kandinsky_384 (training split)",
                               "seed": args.seed, "size": args.size})
            path = bauhaus.save_chain(chain, args.out / f"{name}.npz")
            if args.out.resolve().parent == models_dir().resolve():
                write_manifest_entries([chain_entry(path, models_dir())])  # the runtime checks its sha256
            size_kb = path.stat().st_size / 1024
            line += f", {size_kb:.0f} KB"
        print(line, flush=True)
        results.append((name, context, order, min_count, scores, learn_s, size_kb, chain))
    if not args.explore:
        write_card(args, train, test, palette, palette_s, results, time.perf_counter() - started)
    return 0


def write_card(args, train, test, palette, palette_s, results, total_s) -> None:
    rows = []
    for name, context, order, min_count, s, learn_s, size_kb, chain in results:
        rows.append(f"| `{name}.npz` | {context} | {order} | {min_count} | "
                    f"{sum(chain.context_counts())} | {s['bits_per_pixel']:.3f} | "
                    f"{s['order0_bits_per_pixel']:.3f} | {100 * s['top_order_seen']:.1f}% | "
                    f"{learn_s:.1f} s | {size_kb:.0f} KB |")
    colours = " ".join(f"#{r:02x}{g:02x}{b:02x}" for r, g, b in palette.tolist())
    test_px = results[0][4]["pixels"] if results else 0
    card = f"""# Bauhaus built-in chains: Kandinsky

Markov chains of palette colours over pixels, learned by
`python -m artdesk.training.bauhaus_kandinsky` (numpy only, no torch). The ArtDesk Bauhaus
engine (`artdesk/engines/bauhaus.py`) loads them with `load_chain` and paints from them;
`artdesk bauhaus --model <name>` uses them from the command line.

## Data and licence

- {len(train) + len(test)} paintings by Wassily Kandinsky (1866-1944), max side 384 px, from
  `../shared/data/paintings/kandinsky_384` (source: github jinczing/kandinsky-abstract-art).
- Kandinsky died in 1944: his paintings are in the public domain in countries with a copyright
  term of the author's life + 70 years (or less). They may still be protected elsewhere (e.g.
  works first published after 1928 in the USA); photographs of them may carry their own claims.
  The chains are colour-transition counts over a {len(palette)}-colour palette, not the paintings.
- Training split: {len(train)} paintings; held out: {len(test)} paintings (seeded 10% split,
  seed {args.seed}), scored with the training palette.

## Settings

- Pictures scaled so the longer side is {args.size} px (box filter), then quantised to a shared
  palette of {len(palette)} colours by seeded k-means++ (500 random pixels of each training
  painting, {palette_s:.1f} s): {colours}
- Seed {args.seed}. Context "scanline": the n pixels to the left; "2d": left, above, above-left,
  left-left, above-above, (x-2, y-1), (x-1, y-2), (x-3, y) (the first n of them). Outside the
  picture a neighbour reads as a border symbol. Each file holds the counts of all orders 0..n
  for back-off. `min_count` drops contexts of order >= 2 seen fewer times (smaller files).
- Machine: {platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}.
  Total run (reading, palette, all chains, scoring): {total_s:.0f} s.

## Held-out metrics

Per-pixel log-loss on the {test_px} pixels of the held-out paintings, in bits per pixel (lower
is better). The chain's probabilities interpolate its orders Witten-Bell style,
p_m = (c + T p_(m-1)) / (N + T), from a uniform p_(-1); "order 0" is the palette frequencies
alone. The painter itself samples from the highest order whose context was seen ("full context
seen" says how often that is the top order on held-out pixels).

| file | context | order | min_count | contexts | bits/pixel | order 0 | full context seen | learn | size |
|---|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

## Use and limits

These chains paint textures with Kandinsky's colours and local shapes (edges, stripes, flat
fields); they have no notion of composition beyond a few pixels. Higher orders copy longer
fragments of the training paintings. Same seed and settings give the same picture.
"""
    (args.out / "MODEL_CARD.md").write_text(card)
    print(f"wrote {args.out / 'MODEL_CARD.md'}")


if __name__ == "__main__":
    raise SystemExit(main())
