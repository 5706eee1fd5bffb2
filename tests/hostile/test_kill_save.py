"""kill -9 during save: the project always reopens and the next start leaves no orphan (a few
runs here; `python tests/hostile/kill_save.py --runs 50` for the full count)."""

import os
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import kill_save  # noqa: E402


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_kill_during_save_never_corrupts(tmp_path):
    rng = random.Random(3)
    results = []
    for i in range(4):
        folder = tmp_path / str(i)
        folder.mkdir()
        results.append(kill_save.one_run(folder, rng))
    assert sum(r["corrupt"] for r in results) == 0
    assert sum(r["orphans_after"] for r in results) == 0
