"""Rich progress bars for long CLI work; services accept any object with ``advance``/``stage``."""

from __future__ import annotations

from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


class Stages:
    """A stage-by-stage reporter. ``stage(name, total)`` starts one; ``advance(n)`` moves it."""

    def __init__(self, progress: Progress | None):
        self._p = progress
        self._task = None

    def stage(self, name: str, total: float | None = 1) -> None:
        if self._p is None:
            return
        if self._task is not None:
            t = self._p.tasks[self._task]
            self._p.update(self._task, completed=t.total or t.completed)
        self._task = self._p.add_task(name, total=total)

    def advance(self, n: float = 1) -> None:
        if self._p is not None and self._task is not None:
            self._p.advance(self._task, n)

    def done(self) -> None:
        if self._p is not None and self._task is not None:
            t = self._p.tasks[self._task]
            self._p.update(self._task, completed=t.total or t.completed)


NULL = Stages(None)


@contextmanager
def stage_progress(console: Console):
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as p:
        stages = Stages(p)
        yield stages
        stages.done()
