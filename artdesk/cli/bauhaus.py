"""`artdesk bauhaus ...`: Markov-chain pixel paintings from the command line; `bench()` for
`artdesk bench bauhaus`."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

MAX_ORDER = 8  # artdesk.engines.bauhaus.MAX_ORDER, here so that the parser loads no engine


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 512x512, got {text!r}") from None
    if not (1 <= w <= 16384 and 1 <= h <= 16384):
        raise argparse.ArgumentTypeError(f"size must be 1..16384 on each side, got {text!r}")
    return w, h


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "bauhaus", help="paint a Markov-chain pixel picture learned from pictures",
        description="Learn a Markov chain of palette colours from a few pictures (or use a "
                    "built-in one) and paint a new picture from it.")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--images", nargs="+", metavar="IMAGE", help="pictures to learn from")
    source.add_argument("--model", metavar="NAME|PATH",
                        help="a built-in chain (e.g. kandinsky_scan_o3) or a chain .npz file")
    p.add_argument("--order", type=int, default=3, help="context length 1..8 (default 3)")
    p.add_argument("--palette", type=int, default=12, help="palette colours 2..32 (default 12)")
    p.add_argument("--context", choices=["scan", "2d"], default="scan",
                   help="scan: the pixels to the left; 2d: left and above neighbours")
    p.add_argument("--size", type=_size, default=(512, 512), help="output WIDTHxHEIGHT")
    p.add_argument("--block", type=int, default=1, help="paint in blocks of k x k pixels")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--learn-size", type=int, default=256,
                   help="longer side the pictures are scaled to for learning (default 256)")
    p.add_argument("--save-chain", type=Path, metavar="PATH", help="also save the learned chain")
    p.add_argument("--out", type=Path, required=True, help="output PNG")
    p.set_defaults(func=run_bauhaus)


def run_bauhaus(args) -> int:
    from artdesk.actions import bauhaus as actions
    from artdesk.engines import bauhaus
    from artdesk.engines.progress import run_to_end
    from artdesk.export.png import write_png

    if not 1 <= args.order <= MAX_ORDER:
        raise ValueError(f"--order must be 1..{MAX_ORDER}, got {args.order}")
    width, height = args.size
    if args.model:
        chain = actions.chain_from_model(args.model)
        source: dict = {"model": args.model}
    else:
        request = actions.LearnRequest(args.images, args.order, args.palette, args.context, args.seed,
                                       args.learn_size)
        chain = run_to_end(actions.learn_job(request))
        source = {"images": [Path(p).name for p in args.images]}
        if args.save_chain:
            bauhaus.save_chain(chain, args.save_chain)
    paint = actions.PaintRequest(chain, args.model or "my pictures", width, height, args.seed, args.block)
    image = run_to_end(actions.paint_job(paint))
    settings = {"engine": "bauhaus", **source, "order": chain.order, "context": chain.context,
                "palette": chain.palette_size, "size": f"{width}x{height}", "block": args.block,
                "seed": args.seed}
    # "artdesk" is the key this command wrote before the one PNG writer; kept for readers of it
    write_png(args.out, image, 300, {"artdesk": json.dumps(settings)}, settings=settings)
    print(f"wrote {args.out} ({width}x{height}, {chain.context} order {chain.order}, "
          f"{chain.palette_size} colours, seed {args.seed})")
    return 0


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _learn_counts_python_loop(indices_list, chain) -> dict:
    """Plain per-pixel Python counting of (context, colour) for the learning baseline."""
    base, border = chain.base, chain.base - 1
    offsets = chain.offsets
    counts = [dict() for _ in range(chain.order + 1)]
    for indices in indices_list:
        h, w = indices.shape
        rows = indices.tolist()
        for y in range(h):
            for x in range(w):
                ctx, power = 0, 1
                sym = rows[y][x]
                c = counts[0]
                c[(0, sym)] = c.get((0, sym), 0) + 1
                for m, (dy, dx) in enumerate(offsets, start=1):
                    yy, xx = y + dy, x + dx
                    v = rows[yy][xx] if yy >= 0 and xx >= 0 else border
                    ctx += v * power
                    power *= base
                    c = counts[m]
                    c[(ctx, sym)] = c.get((ctx, sym), 0) + 1
    return counts


def bench() -> list[str]:
    import numpy as np

    from artdesk.engines import bauhaus
    from artdesk.engines.progress import run_to_end
    from artdesk.paths import shared_data_dir

    folder = shared_data_dir() / "paintings" / "kandinsky_384"
    files = sorted(folder.glob("*.jpg"))[:20]
    if len(files) < 20:
        return [f"bauhaus: needs 20 paintings in {folder}, found {len(files)}"]
    lines = [f"bauhaus bench (numpy {np.__version__}; Python loop = the same chain and random "
             "stream painted one pixel at a time; ratio = loop / numpy)"]
    for context in ("scanline", "2d"):
        learn_s, chain = _timed(lambda: run_to_end(
            bauhaus.learn_chain(files, 3, 12, context, seed=1, size=256)))
        rgbs = [bauhaus.as_rgb(f, 256) for f in files]
        indices = [chain.quantise(r) for r in rgbs]
        loop_count_s, loop_counts = _timed(lambda: _learn_counts_python_loop(indices, chain))
        count_s, tables = _timed(lambda: _count_numpy(indices, chain))
        same = loop_counts == [_table_dict(t) for t in tables]
        lines.append(f"  {context}: learn order-3 chain, 20 images at 256 px: {learn_s:.2f} s "
                     f"(of which counting: numpy {count_s:.3f} s, Python loop {loop_count_s:.2f} s, "
                     f"ratio {loop_count_s / count_s:.0f}x, same counts: {'yes' if same else 'NO'})")
        for side in (512, 2048):
            paint_s, image = _timed(lambda: run_to_end(bauhaus.paint(chain, side, side, seed=1)))
            rows = side if side <= 512 else 128
            loop_s, ref = _timed(lambda: bauhaus.paint_python_loop(chain, side, side, seed=1,
                                                                   rows=rows))
            same = np.array_equal(image[:rows], ref[:rows])
            loop_full = loop_s * side / rows
            note = "" if rows == side else f" (timed on {rows} rows, scaled)"
            lines.append(f"  {context}: paint {side}x{side}: numpy {paint_s:.2f} s, Python loop "
                         f"{loop_full:.2f} s{note}, ratio {loop_full / paint_s:.0f}x, "
                         f"identical pixels: {'yes' if same else 'NO'}")
    return lines


def _count_numpy(indices_list, chain) -> list:
    import numpy as np

    from artdesk.engines import bauhaus

    k = chain.palette_size
    counters = [bauhaus._Counter(chain.base ** m, k) for m in range(chain.order + 1)]
    for indices in indices_list:
        sym = indices.reshape(-1).astype(np.int64)
        for m, ctx in enumerate(bauhaus.context_ids(indices, chain.order, chain.context,
                                                     chain.base)):
            counters[m].add(ctx * k + sym)
    return [counter.finish() for counter in counters]


def _table_dict(table) -> dict:
    import numpy as np

    ctx = np.repeat(table.ctx, table.lengths)
    return dict(zip(zip(ctx.tolist(), table.sym.tolist()), table.cnt.tolist()))
