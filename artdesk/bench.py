"""`artdesk bench` for the desk: print export speed and memory, and GUI responsiveness."""

from __future__ import annotations

import multiprocessing as mp
import os
import tempfile
import time

import numpy as np

from artdesk.document.model import Document, Stroke, VectorLayer


def sample_drawing(n_strokes: int = 200, seed: int = 0, points: int = 60) -> Document:
    """A busy, reproducible drawing: random-walk strokes with varying pressure and colour."""
    rng = np.random.default_rng(seed)
    doc = Document.blank()
    layer: VectorLayer = doc.layers[0]
    for _ in range(n_strokes):
        xy = np.cumsum(rng.normal(0, 5, (points, 2)), axis=0) + rng.uniform(80, 820, 2) * [1, 1.2]
        pressure = np.clip(0.55 + 0.4 * np.sin(np.arange(points) / 6 + rng.uniform(0, 6)), 0.1, 1)
        t = np.arange(points) * 0.008
        color = "#%02x%02x%02x" % tuple(rng.integers(0, 200, 3))
        layer.strokes.append(Stroke(np.column_stack([xy, pressure, t]), color, float(rng.uniform(3, 12))))
    return doc


def _peak_rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def _export_child(queue) -> None:
    from artdesk.export.png import export_png
    from artdesk.export.render import ensure_gui_app

    ensure_gui_app()
    doc = sample_drawing()
    with tempfile.TemporaryDirectory() as tmp:
        export_png(doc, os.path.join(tmp, "warm.png"), "screen")
        _reset_peak()
        before = _peak_rss_mb()
        t0 = time.perf_counter()
        report = export_png(doc, os.path.join(tmp, "tshirt.png"), "tshirt")
        seconds = time.perf_counter() - t0
        queue.put((seconds, before, _peak_rss_mb(), report.bytes))


def bench_export() -> list[str]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_export_child, args=(queue,))
    proc.start()
    seconds, before, peak, size = queue.get(timeout=600)
    proc.join()
    return [f"T-shirt export (4500x5400 PNG, 200 strokes): {seconds:.2f} s, file {size / 1024 / 1024:.1f} MB",
            f"  peak memory: {peak:.0f} MB resident ({peak - before:+.0f} MB over the idle app)"]


def _busy_python(seconds: float):
    """A CPU-heavy job in pure Python (the worst case for the GIL), yielding progress."""
    from artdesk.engines.progress import Progress

    end = time.perf_counter() + seconds
    total = 0
    while time.perf_counter() < end:
        for i in range(20000):
            total += i * i % 7
        yield Progress(1 - (end - time.perf_counter()) / seconds)
    return total


def bench_stall() -> list[str]:
    """Longest gap between 5 ms timer ticks on the GUI thread while jobs run on the worker."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer

    from artdesk.export.render import ensure_gui_app
    from artdesk.ui.jobs import JobRunner
    from artdesk.ui.main_window import export_document

    ensure_gui_app()
    lines = []
    tmp = tempfile.mkdtemp()
    from artdesk.engines import bauhaus

    jobs = {
        "pure-Python CPU job (2 s)": (_busy_python, (2.0,)),
        "T-shirt export job": (export_document, (sample_drawing(), os.path.join(tmp, "b.png"), "png:tshirt")),
        "Bauhaus 2048x2048 painting job": (bauhaus.paint, (bauhaus.load_builtin_chain("kandinsky_2d_o5"), 2048, 2048)),
    }
    for label, (fn, args) in jobs.items():
        runner = JobRunner()
        clock = QElapsedTimer()
        gaps = []
        timer = QTimer()
        timer.setInterval(5)
        last = [0]

        def tick():
            now = clock.elapsed()
            gaps.append(now - last[0])
            last[0] = now

        timer.timeout.connect(tick)
        loop = QEventLoop()
        job = runner.start(label, fn, *args)
        job.finished.connect(loop.quit)
        clock.start()
        timer.start()
        loop.exec()
        timer.stop()
        runner.wait()
        stall = max(gaps[1:] or [0]) - 5
        lines.append(f"GUI stall during {label}: longest {stall:.0f} ms over {clock.elapsed() / 1000:.1f} s "
                     f"(target < 50 ms)")
    return lines


def bench_desk() -> list[str]:
    from artdesk.bench_hostile import bench_cancel_and_writer

    return bench_export() + bench_stall() + bench_cancel_and_writer()
