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


def peak_rss_mb() -> float:
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
        before = peak_rss_mb()
        t0 = time.perf_counter()
        report = export_png(doc, os.path.join(tmp, "tshirt.png"), "tshirt")
        seconds = time.perf_counter() - t0
        queue.put((seconds, before, peak_rss_mb(), report.bytes))


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
    from artdesk.export.formats import export_document

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


def _best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_print_tools() -> list[str]:
    """The painting tools at print size: a text layer, a filled shape, a bucket fill, and the
    DTG halftone of a 4500x5400 page that is half semi-transparent (target < 2 s)."""
    from artdesk.document.geometry import shape_stroke
    from artdesk.document.model import TextLayer
    from artdesk.engines.progress import run_to_end
    from artdesk.export.bucket import bucket_fill
    from artdesk.export.halftone import halftone_alpha
    from artdesk.export.png import render_fitted
    from artdesk.export.render import ensure_gui_app

    ensure_gui_app()
    blank = Document.blank()
    base = _best_of(lambda: render_fitted(blank, 4500, 5400))
    text = Document.blank()
    text.layers.append(TextLayer("Slogan", text="STAY WEIRD\nAND TANGLE", size=110, x=40, y=700, bold=True))
    t_text = _best_of(lambda: render_fitted(text, 4500, 5400))
    shape = Document.blank()
    shape.layers[0].strokes.append(shape_stroke("star", 100, 100, 800, 800, "#202020", 8, fill="#ffcc00"))
    t_shape = _best_of(lambda: render_fitted(shape, 4500, 5400))
    t_bucket = _best_of(lambda: run_to_end(bucket_fill(shape, 450, 480, "#2080ff")), 1)
    page = render_fitted(shape, 4500, 5400)
    page[2700:, :, 3] = 128  # the lower half of the page: a 50% layer
    page[2700:, :, :3] = 90
    t_half = _best_of(lambda: halftone_alpha(page, 300, 45))
    page[..., 3] = 128  # the worst case: every pixel semi-transparent
    t_full = _best_of(lambda: halftone_alpha(page, 300, 45))
    return [f"Print page render, empty (4500x5400): {base:.2f} s (the base of the lines below)",
            f"Text layer at print size (two lines, 110 units): {t_text:.2f} s ({t_text / max(base, 1e-9):.1f}x empty)",
            f"Filled star at print size: {t_shape:.2f} s ({t_shape / max(base, 1e-9):.1f}x empty)",
            f"Bucket fill of the star at print resolution: {t_bucket:.2f} s",
            f"DTG halftone of 4500x5400, half of it 50% alpha: {t_half:.2f} s (target < 2 s)",
            f"DTG halftone of 4500x5400, all of it 50% alpha: {t_full:.2f} s (target < 2 s)"]


def bench_desk() -> list[str]:
    from artdesk.bench_hostile import bench_cancel_and_writer

    return bench_export() + bench_stall() + bench_print_tools() + bench_cancel_and_writer()


# -- command start-up -------------------------------------------------------------------------------
CLI_RUNS = 7


def _median_wall(argv: list[str], runs: int = CLI_RUNS, cwd: str | None = None,
                 exit_status: int = 0) -> tuple[float, float]:
    """Median (wall seconds, CPU seconds) of running `python argv` in fresh processes, each
    ending with `exit_status`. The CPU time (user + system of the child) moves much less than
    the wall time when other work shares the machine."""
    import resource
    import statistics
    import subprocess
    import sys

    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, *argv], cwd=cwd, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        if done.returncode != exit_status:
            raise RuntimeError(f"python {' '.join(argv)} ended with {done.returncode}, not {exit_status}")
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def _import_ms(argv: list[str], cwd: str | None = None) -> tuple[float, bool]:
    """(milliseconds spent importing, per -X importtime, whether QtWidgets was among them)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-X", "importtime", *argv], check=True, cwd=cwd,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    total, widgets = 0, False
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            first = line.split(":", 1)[1].split("|")
            if first[0].strip().isdigit():
                total += int(first[0])
                widgets = widgets or first[2].strip() == "PySide6.QtWidgets"
    return total / 1000, widgets


def bench_cli() -> list[str]:
    """Start-up of headless commands, each against `python -c pass` in the same run (the
    median of CLI_RUNS runs each, in fresh processes)."""
    with tempfile.TemporaryDirectory() as tmp:
        sample = os.path.join(tmp, "d.artdesk")
        from artdesk.document.project import save_project

        save_project(sample_drawing(20), sample)
        commands = {
            "artdesk --version": ["-m", "artdesk", "--version"],
            "artdesk doodle random --out x.svg": ["-m", "artdesk", "doodle", "random", "--out",
                                                  os.path.join(tmp, "x.svg")],
            "artdesk export d.artdesk --out x.svg": ["-m", "artdesk", "export", sample, "--out",
                                                     os.path.join(tmp, "e.svg")],
        }
        # Start-up alone: the command imports what it needs, builds its parser, then refuses the
        # temperature (exit status 2) before it samples anything.
        startup = ["-m", "artdesk", "doodle", "random", "--temperature", "5", "--out", os.path.join(tmp, "s.svg")]
        floor, floor_cpu = _median_wall(["-c", "pass"], cwd=tmp)
        lines = [f"python -c pass: {floor * 1000:.0f} ms wall, {floor_cpu * 1000:.0f} ms CPU "
                 f"(medians of {CLI_RUNS} runs)"]
        for label, argv in commands.items():
            wall, cpu = _median_wall(argv, cwd=tmp)
            imports, widgets = _import_ms(argv, cwd=tmp)
            lines.append(f"{label}: {wall * 1000:.0f} ms wall = {wall / floor:.1f}x python -c pass, "
                         f"{cpu * 1000:.0f} ms CPU = {cpu / max(floor_cpu, 1e-3):.1f}x; {imports:.0f} ms "
                         f"importing; QtWidgets {'LOADED' if widgets else 'not loaded'}")
        wall, cpu = _median_wall(startup, cwd=tmp, exit_status=2)
        lines.append(f"artdesk doodle random start-up (imports and parser, no sampling): {wall * 1000:.0f} ms wall "
                     f"= {wall / floor:.1f}x python -c pass, {cpu * 1000:.0f} ms CPU = {cpu / max(floor_cpu, 1e-3):.1f}x")
    return lines
