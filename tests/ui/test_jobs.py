import time


from artdesk.engines.progress import Progress
from artdesk.ui.jobs import JobRunner


def counting(n, delay=0.0):
    for i in range(n):
        time.sleep(delay)
        yield Progress((i + 1) / n, f"step {i + 1}")
    return n * 10


def forever():
    while True:
        time.sleep(0.01)
        yield Progress(0.5)


def broken():
    yield Progress(0.1)
    raise RuntimeError("the engine fell over")


def test_job_reports_progress_and_result(qtbot):
    runner = JobRunner()
    seen = []
    with qtbot.waitSignal(runner.ended, timeout=5000):
        job = runner.start("count", counting, 5, 0.05, on_progress=seen.append)
    assert job.outcome == "result"
    assert seen and seen[-1].fraction == 1.0


def test_plain_function_job(qtbot):
    runner = JobRunner()
    results = []
    with qtbot.waitSignal(runner.ended, timeout=5000):
        runner.start("sum", sum, [1, 2, 3], on_result=results.append)
    assert results == [6]


def test_cancel_is_honoured_quickly(qtbot):
    runner = JobRunner()
    cancelled = []
    job = runner.start("forever", forever, on_cancelled=lambda: cancelled.append(time.monotonic()))
    qtbot.wait(100)
    asked = time.monotonic()
    job.cancel()
    qtbot.waitUntil(lambda: bool(cancelled), timeout=2000)
    assert cancelled[0] - asked < 0.2
    assert job.outcome == "cancelled"


def test_error_reaches_the_error_signal(qtbot):
    runner = JobRunner()
    errors = []
    with qtbot.waitSignal(runner.ended, timeout=5000):
        runner.start("broken", broken, on_error=lambda msg, tb: errors.append((msg, tb)))
    assert errors[0][0] == "RuntimeError: the engine fell over"
    assert "Traceback" in errors[0][1]


def test_a_new_job_with_the_same_key_cancels_the_old_and_drops_its_outcome(qtbot):
    runner = JobRunner()
    results, progress = [], []
    first = runner.start("slow", counting, 50, 0.02, key="doodle", on_result=lambda v: results.append(("first", v)),
                         on_progress=lambda p: progress.append("first"))
    qtbot.waitUntil(lambda: bool(progress), timeout=3000)
    second = runner.start("quick", counting, 2, key="doodle", on_result=lambda v: results.append(("second", v)))
    other = runner.start("other key", counting, 2, key="bauhaus", on_result=lambda v: results.append(("other", v)))
    qtbot.waitUntil(lambda: first.done and second.done and other.done, timeout=5000)
    qtbot.wait(50)
    assert first.superseded and first.cancel_requested and first.outcome == "cancelled"
    assert sorted(results) == [("other", 20), ("second", 20)]
    assert runner.latest("doodle") is second
