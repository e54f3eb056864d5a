"""The sweep's progress bar (:func:`cimsim.sweep.sweep` shows it unless quiet)."""

from __future__ import annotations


class Progress:
    """A rich progress bar (done/total, points/s, ETA), or nothing when quiet / not a TTY."""

    def __init__(self, total: int, done: int, enabled: bool):
        self._bar = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class _Rate(ProgressColumn):
            def render(self, task):
                speed = task.finished_speed or task.speed
                return Text("  -- pt/s" if speed is None else f"{speed:6.1f} pt/s")

        console = Console(stderr=True)
        if not console.is_terminal:
            return
        self._bar = Progress(
            TextColumn("sweep"),
            BarColumn(),
            MofNCompleteColumn(),
            _Rate(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
        )
        self._bar.start()
        self._task = self._bar.add_task("sweep", total=total, completed=done)

    def advance(self, n: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
