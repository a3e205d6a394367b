"""A progress bar that appears only once work has run for more than a second."""

from __future__ import annotations

import time
from types import TracebackType

from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from revarch.cli.common import err_console

DELAY_SECONDS = 1.0


class DelayedProgress:
    """Callable progress report for long work; silent for work under a second."""

    def __init__(self, title: str) -> None:
        self._title = title
        self._started = time.monotonic()
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, step: str, done: int, total: int) -> None:
        if self._bar is None:
            if time.monotonic() - self._started < DELAY_SECONDS:
                return
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=err_console,
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self._title, total=total)
        assert self._task is not None
        self._bar.update(
            self._task,
            description=f"{self._title}: {step}",
            completed=done,
            total=total,
        )

    def __enter__(self) -> DelayedProgress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
