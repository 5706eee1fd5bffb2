"""The contract between engines and whoever runs them (the UI's job runner, the CLI, tests).

An engine's long operation is a generator: it `yield`s Progress between steps (rows, tiles,
decoder steps) and `return`s its result. The runner checks for cancel at every yield, so an engine
must yield at least every ~100 ms of work. Engines never import Qt.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, Generator


@dataclass
class Progress:
    fraction: float  # 0..1
    message: str = ""
    preview: Any = None  # optional plain data (numpy array, stroke list) for a live preview


Job = Generator[Progress, None, Any]


class Cancelled(Exception):
    """Raised by check_cancel() inside long work that cannot yield (a paint, a model run) once the
    user has cancelled; the runner reports the job as cancelled, not failed."""


_local = threading.local()


def bind_cancel(event: threading.Event | None) -> None:
    """The runner binds its job's cancel flag to the worker thread (None unbinds)."""
    _local.event = event


def check_cancel() -> None:
    """Raise Cancelled if the job running on this thread was cancelled; free when none runs."""
    event = getattr(_local, "event", None)
    if event is not None and event.is_set():
        raise Cancelled()


def run_to_end(job: Job, on_progress: Callable[[Progress], None] | None = None) -> Any:
    """Drive a job generator to completion without a UI (CLI, tests) and return its result."""
    while True:
        try:
            progress = next(job)
        except StopIteration as stop:
            return stop.value
        if on_progress is not None:
            on_progress(progress)


def sub_job(job: Job, start: float = 0.0, span: float = 1.0, label: str = "") -> Job:
    """Run `job` as the part [start, start + span] of a bigger job: `result = yield from
    sub_job(step, 0.1, 0.9)` passes its progress (message and preview too) on, rescaled; `label`
    stands in for a step that says nothing."""
    while True:
        try:
            p = next(job)
        except StopIteration as stop:
            return stop.value
        yield Progress(start + span * p.fraction, p.message or label, p.preview)
