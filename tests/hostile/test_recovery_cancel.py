"""Recovery (issue 14): the first autosave comes seconds after the first change, every crashed
session's copy is offered, a declined copy is kept, a reused PID hides nothing. Cancel: a PNG
export stops and leaves no file; work that cannot yield (picking) still honours Cancel."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from artdesk import recovery
from artdesk.document.model import Document, Stroke
from artdesk.document.project import load_project, save_project
from artdesk.paths import recovery_dir

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent))


def drawing(n: int = 1) -> Document:
    doc = Document.blank()
    for i in range(n):
        doc.layers[0].strokes.append(Stroke.from_xy([(10 + i, 10), (60, 80)]))
    return doc


def crashed_copy(name: str, n: int, lock: bool = True, age: float = 0) -> Path:
    path = recovery_dir() / name
    save_project(drawing(n), path)
    if lock:
        path.with_suffix(".lock").write_bytes(b"")  # a lock file nobody holds: its session died
    if age:
        os.utime(path, (time.time() - age, time.time() - age))
    return path


def test_first_autosave_comes_seconds_after_the_first_change(window, qtbot):
    from artdesk.ui.main_window import AUTOSAVE_MS, FIRST_AUTOSAVE_MS

    from tests.ui.test_window import draw

    assert FIRST_AUTOSAVE_MS <= 5000 < AUTOSAVE_MS
    assert not window.recovery_path.exists()
    draw(window.canvas, [(100, 100), (200, 200)])
    qtbot.waitUntil(window.recovery_path.exists, timeout=FIRST_AUTOSAVE_MS + 3000)
    assert len(load_project(window.recovery_path).all_strokes()) == 1


def test_an_imported_picture_is_saved_for_recovery_soon(window, qtbot, tmp_path):
    from PIL import Image

    from artdesk.ui.main_window import FIRST_AUTOSAVE_MS

    Image.new("RGBA", (30, 20), (0, 0, 255, 255)).save(tmp_path / "blue.png")
    assert window.open_path(tmp_path / "blue.png")
    qtbot.waitUntil(window.recovery_path.exists, timeout=FIRST_AUTOSAVE_MS + 3000)
    window._force_dirty = False


def test_every_crashed_copy_is_offered_and_declined_ones_are_kept(window):
    from artdesk.ui.main_window import find_recovery_files, offer_recovery

    older = crashed_copy("recovery-999999997-0badc0de.artdesk", 1, age=120)
    newer = crashed_copy("recovery-999999998.artdesk", 2, lock=False)  # an older ArtDesk's name
    asked = []
    assert find_recovery_files() == [newer, older]
    assert offer_recovery(window, ask=lambda path: asked.append(path) or path == older)
    assert asked == [newer, older]  # newest first, both offered
    assert len(window.document.all_strokes()) == 1  # the older one was taken
    kept = list((recovery_dir() / recovery.KEPT).glob("*.artdesk"))
    assert len(kept) == 1 and len(load_project(kept[0]).all_strokes()) == 2  # "No" keeps it
    assert not older.exists() and not newer.exists() and find_recovery_files() == []
    window._force_dirty = False
    window.undo_stack.setClean()


def test_declining_all_keeps_all(window):
    from artdesk.ui.main_window import offer_recovery

    for i in range(3):
        crashed_copy(f"recovery-99999999{i}-0000000{i}.artdesk", i + 1, age=10 * i)
    assert not offer_recovery(window, ask=lambda path: False)
    kept = sorted(len(load_project(p).all_strokes()) for p in (recovery_dir() / recovery.KEPT).glob("*.artdesk"))
    assert kept == [1, 2, 3]


def test_a_reused_pid_hides_no_copy(tmp_path):
    live = recovery.Session(tmp_path)  # this process: alive, its lock held
    save_project(drawing(), live.copy_path)
    reused = tmp_path / "recovery-1-12345678.artdesk"  # PID 1 runs, but its lock is free: crashed
    save_project(drawing(), reused)
    reused.with_suffix(".lock").write_bytes(b"")
    found = recovery.crashed_copies(tmp_path)
    assert reused in found and live.copy_path not in found
    if Path("/proc/1/cmdline").exists():
        legacy = tmp_path / "recovery-1.artdesk"  # old name; PID 1 is not an ArtDesk
        save_project(drawing(), legacy)
        assert legacy in recovery.crashed_copies(tmp_path)
    live.release()
    assert not live.copy_path.exists() and not live.lock_path.exists()


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_a_killed_session_is_seen_as_crashed(tmp_path):
    code = ("import sys, time\nfrom artdesk.recovery import Session\nfrom artdesk.document.model import Document\n"
            "from artdesk.document.project import save_project\ns = Session(sys.argv[1])\n"
            "save_project(Document.blank(), s.copy_path)\nprint(s.copy_path, flush=True)\ntime.sleep(60)\n")
    child = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)))
    copy = Path(child.stdout.readline().strip())
    assert copy.exists() and recovery.crashed_copies(tmp_path) == []  # alive: not offered
    child.kill()
    child.wait()
    child.stdout.close()
    assert recovery.crashed_copies(tmp_path) == [copy]


def test_png_export_cancel_leaves_no_file(window, qtbot, tmp_path):
    target = tmp_path / "print.png"
    from tests.ui.test_window import draw

    draw(window.canvas, [(100, 100), (400, 500), (600, 200)])
    job = window.export_to(str(target), "png:tshirt")
    job.progress.connect(lambda p: job.cancel())
    qtbot.waitUntil(lambda: job.done, timeout=30000)
    assert job.outcome == "cancelled"
    assert not target.exists() and not list(tmp_path.glob(".*.tmp"))
    job = window.export_to(str(target), "png:screen")  # and an export left alone finishes
    qtbot.waitUntil(lambda: job.done, timeout=30000)
    assert job.outcome == "result" and target.exists()


def test_export_job_closed_mid_write_removes_its_temporary(tmp_path, monkeypatch):
    from artdesk.export import png

    monkeypatch.setattr(png, "WRITE_BLOCK_ROWS", 16)
    job = png.export_png_job(drawing(5), tmp_path / "p.png", "screen")
    for progress in job:
        if progress.message == "Writing the PNG":
            assert list(tmp_path.glob(".*.tmp"))
            break
    job.close()
    assert list(tmp_path.iterdir()) == []


def test_work_that_cannot_yield_honours_cancel(qtbot):
    from artdesk.engines.progress import Progress, check_cancel
    from artdesk.ui.jobs import JobRunner

    runner = JobRunner()
    results = []

    def picking_after_the_last_yield():
        yield Progress(0.5, "sampling")
        for _ in range(2000):  # e.g. the recogniser picking the clearest
            check_cancel()
            time.sleep(0.005)
        return "picked"

    holder = {}
    job = holder["job"] = runner.start("pick", picking_after_the_last_yield, on_result=results.append,
                                       on_progress=lambda p: holder["job"].cancel())
    qtbot.waitUntil(lambda: job.done, timeout=5000)
    assert job.outcome == "cancelled" and results == []

    def returns_after_cancel(started):
        started.append(1)
        time.sleep(0.3)
        return "late"

    started = []
    job = runner.start("late", returns_after_cancel, started, on_result=results.append)
    qtbot.waitUntil(lambda: bool(started), timeout=5000)
    job.cancel()
    qtbot.waitUntil(lambda: job.done, timeout=5000)
    assert job.outcome == "cancelled" and results == []


def test_doodle_cancel_during_picking_is_honoured(qtbot, monkeypatch):
    from artdesk.engines import doodle_io
    from artdesk.ui.jobs import JobRunner

    categories = doodle_io.shipped_categories()
    if not categories:
        pytest.skip("no doodle models shipped")
    runner = JobRunner()
    holder = {}
    opened = doodle_io.open_recogniser

    def user_cancels_while_picking():
        holder["job"].cancel()
        return opened()

    monkeypatch.setattr(doodle_io, "open_recogniser", user_cancels_while_picking)
    request = doodle_io.Request("random", categories[0], seed=1, temperature=0.5, pick=True)
    results = []
    holder["job"] = runner.start("doodle", doodle_io.doodle_job, request, on_result=results.append)
    qtbot.waitUntil(lambda: holder["job"].done, timeout=60000)
    assert holder["job"].outcome == "cancelled" and results == []
