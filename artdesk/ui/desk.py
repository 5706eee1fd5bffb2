"""What a panel tab may use of the window: the `desk` it is constructed with. The tabs reach no
further into MainWindow than this; a new tab reads it here instead of in a 700-line window."""

from __future__ import annotations

from typing import Any, Callable, Protocol, runtime_checkable


@runtime_checkable
class Desk(Protocol):
    document: Any       # the open Document (replaced on New/Open: listen to documentReplaced)
    settings: Any       # QSettings: the tab's remembered choices
    jobs: Any           # the JobRunner (its `ended` signal)
    canvas: Any         # brush_color, brush_size, strokeFinished
    gallery: Any        # the style gallery (patterns the user added)
    panel: Any          # the generation panel (which tab is showing)
    undo_stack: Any     # QUndoStack (indexChanged)
    documentReplaced: Any

    def run_job(self, title: str, fn: Callable, *args: Any, on_result: Callable | None = None,
                on_progress: Callable | None = None, on_error: Callable | None = None,
                on_cancelled: Callable | None = None, key: str | None = None, **kwargs: Any) -> Any:
        """Run an engine's or an action's job on a worker (a `key` replaces the job of that key)."""

    def apply(self, applied: Any) -> None:
        """Push an action's result (actions.Applied) as one undo step."""

    def status(self, message: str, ms: int = 4000) -> None:
        """A line in the status bar for `ms` milliseconds."""

    def show_error(self, title: str, message: str) -> None: ...

    def show_warning(self, title: str, message: str) -> None: ...

    def setting_bool(self, key: str, default: bool) -> bool: ...

    def active_layer(self) -> Any: ...
