"""kill -9 during save: a child process saves a project in a loop and is killed at a random moment;
then the next start cleans orphan temporaries and the project must reopen.

`python tests/hostile/kill_save.py --runs 50` prints the counts (corrupt projects, orphans left before and
after the next start); tests/hostile/test_kill_save.py runs a few in CI."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import sys
import numpy as np
from artdesk.document.model import Document, RasterLayer, Stroke
from artdesk.document.project import save_project
doc = Document.blank()
rng = np.random.default_rng(int(sys.argv[2]))
for i in range(400):
    doc.layers[0].strokes.append(Stroke.from_xy(rng.uniform(0, 900, (30, 2))))
doc.layers.append(RasterLayer(name="noise", pixels=rng.integers(0, 255, (600, 500, 4), dtype=np.uint8),
                              rect=(0, 0, 500, 600)))
n = 0
while True:
    doc.metadata["n"] = n
    save_project(doc, sys.argv[1])
    n += 1
    print(n, flush=True)
"""


def one_run(folder: Path, rng: random.Random) -> dict:
    """Start a saver, kill -9 it mid-way through some save, then 'start again'."""
    from artdesk.atomic import orphans, remove_orphans
    from artdesk.document.project import ProjectFileError, load_project

    target = folder / "drawing.artdesk"
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(target), str(rng.randrange(1 << 30))],
                             stdout=subprocess.PIPE, env=env, cwd=ROOT)
    try:
        child.stdout.readline()  # the first save is complete
        time.sleep(rng.uniform(0.0, 0.6))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
    before = len(orphans(folder, target.name))
    remove_orphans(folder, target.name)  # what the next start (open/save) does
    after = len(list(folder.glob(".*.tmp")))
    try:
        load_project(target)
        corrupt = 0
    except ProjectFileError:
        corrupt = 1
    return {"corrupt": corrupt, "orphans_before": before, "orphans_after": after}


def main(argv: list[str] | None = None) -> int:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    rng = random.Random(args.seed)
    totals = {"corrupt": 0, "orphans_before": 0, "orphans_after": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            folder = Path(tmp) / str(i)
            folder.mkdir()
            for key, value in one_run(folder, rng).items():
                totals[key] += value
    print(f"kill -9 during save, {args.runs} runs: {totals['corrupt']} corrupt, "
          f"{totals['orphans_before']} runs left an orphan .tmp, {totals['orphans_after']} orphans after the next start")
    return 0 if totals["corrupt"] == 0 and totals["orphans_after"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
