"""The hostile-file corpus (tests/hostile/hostile.py) through the real loaders of all four families:
every case is accepted or refused with its family's error, none starts a program, none hangs.
`python tests/hostile/hostile.py --cases 1200` is the long run (with peak memory per case)."""

import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import hostile  # noqa: E402

CASES_PER_FAMILY = 150


@pytest.mark.parametrize("family", hostile.FAMILIES)
def test_hostile_corpus(family, tmp_path):
    cases = hostile.corpus(seed=1400 + hostile.FAMILIES.index(family), count=CASES_PER_FAMILY,
                           families=(family,), big=False)
    outcomes = []
    alarm = hasattr(signal, "SIGALRM")
    if alarm:
        def hang(*_):
            raise TimeoutError("a loader ran over 10 s")
        previous = signal.signal(signal.SIGALRM, hang)
    try:
        with hostile.ProcessGuard() as guard:
            for i, case in enumerate(cases):
                folder = tmp_path / str(i)
                folder.mkdir()
                if alarm:
                    signal.alarm(10)
                try:
                    outcomes.append(hostile.run_case(case, folder))
                except Exception as exc:
                    raise AssertionError(f"case {i} ({case.family}/{case.label}) escaped as "
                                         f"{type(exc).__name__}: {exc}") from exc
                finally:
                    if alarm:
                        signal.alarm(0)
    finally:
        if alarm:
            signal.signal(signal.SIGALRM, previous)
    assert guard.started == []
    assert not hostile.MARKER.exists()
    assert outcomes.count("refused") > CASES_PER_FAMILY // 2  # the corpus really is hostile
    assert "accepted" in outcomes  # and the valid seeds still load


def test_corpus_is_seeded():
    a = hostile.corpus(7, 40, big=False)
    b = hostile.corpus(7, 40, big=False)
    assert [(c.label, c.data) for c in a] == [(c.label, c.data) for c in b]
    assert {c.family for c in a} == set(hostile.FAMILIES)


def test_hostile_files_through_the_cli(tmp_path):
    """`artdesk export` on hostile files: exit 0 or 2 with a sentence, never a traceback."""
    cases = [c for c in hostile.corpus(seed=1499, count=24, families=("project", "image", "drawing"), big=False)]
    outcomes = []
    for i, case in enumerate(cases):
        folder = tmp_path / str(i)
        folder.mkdir()
        outcomes.append(hostile.run_cli_case(case, folder))
    assert "refused" in outcomes
