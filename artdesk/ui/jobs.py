"""One job runner for all long work.

A job is a plain function or an engine generator (see artdesk.engines.progress). The runner puts
it on a QThreadPool worker and turns its yields into `progress`, its return value into `result`,
an exception into `error` (plus a log line), and a cancel request into `cancelled` at the next
yield. Workers never touch widgets: they pass plain data through queued signals.

A job may have a key ("doodle", "portrait:paint", ...): starting a job cancels the running one
with the same key, and the earlier job's late result, progress, error or cancel never reach its
slots, so a tab never shows the answer to a question the user has since changed.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from artdesk.engines.progress import Cancelled, Progress, bind_cancel

log = logging.getLogger("artdesk.jobs")

PROGRESS_INTERVAL_S = 1 / 30  # at most ~30 progress signals a second reach the GUI


class JobCancelled(Exception):
    """Raised inside a job's generator when the user cancels (via generator.close())."""


class Job(QObject):
    """A handle on one running job: its signals, and `cancel()`."""

    progress = Signal(object)  # Progress
    result = Signal(object)
    error = Signal(str, str)  # message for people, traceback for the log
    cancelled = Signal()
    finished = Signal()

    def __init__(self, title: str, key: str | None = None):
        super().__init__()
        self.title = title
        self.key = key
        self._cancel = threading.Event()
        # True once the job's outcome has reached its slots: set on the GUI thread when the
        # runner handles `finished` (so a tab that checks `done` in its `ended` handler, or a
        # test that waits for it, never sees a finished job whose result is still on its way)
        self.done = False
        self.superseded = False  # a newer job of the same key started: this one's outcome is dropped
        self.outcome: str | None = None  # "result" | "error" | "cancelled"

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()


class _Worker(QRunnable):
    def __init__(self, job: Job, fn: Callable, args: tuple, kwargs: dict):
        super().__init__()
        self.setAutoDelete(True)
        self.job, self.fn, self.args, self.kwargs = job, fn, args, kwargs

    def run(self) -> None:
        job = self.job
        bind_cancel(job._cancel)  # long work that cannot yield polls it (check_cancel)
        try:
            value = self.fn(*self.args, **self.kwargs)
            if inspect.isgenerator(value):
                value = self._drive(value)
            if value is JobCancelled or job.cancel_requested:  # a late cancel still drops the result
                job.outcome = "cancelled"
                job.cancelled.emit()
                return
            job.outcome = "result"
            job.result.emit(value)
        except Cancelled:
            log.info("job '%s' cancelled", job.title)
            job.outcome = "cancelled"
            job.cancelled.emit()
        except Exception as exc:  # a failing engine must never take the app down
            tb = traceback.format_exc()
            log.error("job '%s' failed: %s\n%s", job.title, exc, tb)
            job.outcome = "error"
            job.error.emit(error_message(exc), tb)
        finally:
            bind_cancel(None)
            job.finished.emit()

    def _drive(self, gen) -> Any:
        job = self.job
        last = 0.0
        while True:
            if job.cancel_requested:
                gen.close()
                log.info("job '%s' cancelled", job.title)
                return JobCancelled
            try:
                item = next(gen)
            except StopIteration as stop:
                return stop.value
            now = time.monotonic()
            if isinstance(item, Progress) and (item.preview is not None or now - last >= PROGRESS_INTERVAL_S
                                               or item.fraction >= 1.0):
                last = now
                job.progress.emit(item)


def _unless_superseded(job: Job, slot: Callable) -> Callable:
    def call(*args):
        if not job.superseded:
            slot(*args)
    return call


def error_message(exc: BaseException) -> str:
    """A sentence for people: our own errors already are; others get their type named."""
    text = str(exc).strip()
    if type(exc).__module__.startswith("artdesk") and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class JobRunner(QObject):
    """Starts jobs on a thread pool and keeps them alive until they finish."""

    started = Signal(object)  # Job
    ended = Signal(object)  # Job

    def __init__(self, parent: QObject | None = None, max_threads: int = 2):
        super().__init__(parent)
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(max_threads)
        self.running: list[Job] = []
        self._recent: list[Job] = []
        self._latest: dict[str, Job] = {}  # key -> the job that holds it now

    def start(self, title: str, fn: Callable, *args, on_result: Callable | None = None,
              on_error: Callable | None = None, on_progress: Callable | None = None,
              on_cancelled: Callable | None = None, key: str | None = None, **kwargs) -> Job:
        """Run `fn(*args, **kwargs)` on a worker. With a `key`, the running job of that key is
        cancelled and its outcome dropped (see the module's docstring)."""
        job = Job(title, key)
        if key is not None:
            earlier = self._latest.get(key)
            if earlier is not None and not earlier.done:
                earlier.superseded = True
                earlier.cancel()
            self._latest[key] = job
        for signal, slot in ((job.result, on_result), (job.error, on_error),
                             (job.progress, on_progress), (job.cancelled, on_cancelled)):
            if slot is not None:
                signal.connect(_unless_superseded(job, slot))
        job.finished.connect(lambda: self._finished(job))
        self.running.append(job)
        self.started.emit(job)
        self.pool.start(_Worker(job, fn, args, kwargs))
        return job

    def latest(self, key: str) -> Job | None:
        """The job that holds `key` now (running or done), or None."""
        return self._latest.get(key)

    def _finished(self, job: Job) -> None:
        job.done = True
        if job in self.running:
            self.running.remove(job)
        # keep the last few alive a while: the worker may still hold the job, and its last
        # reference must be dropped here, on the GUI thread, not by the worker
        self._recent.append(job)
        del self._recent[:-16]
        self.ended.emit(job)

    def cancel_all(self) -> None:
        for job in list(self.running):
            job.cancel()

    def wait(self, msecs: int = 5000) -> bool:
        return self.pool.waitForDone(msecs)
