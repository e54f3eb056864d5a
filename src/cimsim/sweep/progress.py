"""The sweep's progress (:func:`cimsim.sweep.sweep` shows it unless quiet): a bar on a
terminal; elsewhere (a log under nohup, cron, Slurm) a plain line every :data:`EVERY_PCT` %
of the runs and at least every :data:`EVERY_S` seconds,
``sweep: 1,184/1,600 (74 %), 31.2 pt/s, ETA 0:00:13``; and a line for each loss of workers
(:mod:`cimsim.sweep.drive`) either way."""

from __future__ import annotations

import sys
import time

#: a plain progress line (stderr not a terminal) at each step of this many % of the runs ...
EVERY_PCT = 10
#: ... and after this many seconds without one
EVERY_S = 60.0


def plain_line(done: int, total: int, rate: float | None) -> str:
    """``sweep: 1,184/1,600 (74 %), 31.2 pt/s, ETA 0:00:13`` (``--`` before a rate is known)."""
    pct = 100 * done // total if total else 100
    if not rate:
        return f"sweep: {done:,}/{total:,} ({pct} %), -- pt/s, ETA --"
    eta = round((total - done) / rate)
    return (f"sweep: {done:,}/{total:,} ({pct} %), {rate:.1f} pt/s, "
            f"ETA {eta // 3600}:{eta % 3600 // 60:02d}:{eta % 60:02d}")


class Progress:
    """A rich progress bar (done/total, points/s, ETA) on a terminal, plain lines elsewhere,
    nothing when quiet. ``every_pct`` / ``every_s``: the plain lines' steps."""

    def __init__(self, total: int, done: int, enabled: bool, every_pct: float = EVERY_PCT,
                 every_s: float = EVERY_S, stream=None):
        self._bar = None
        self._plain = False
        self.total, self.done, self._start_done = total, done, done
        self._every_pct, self._every_s = every_pct, every_s
        self._stream = stream
        self._t0 = self._said_t = time.monotonic()
        self._said_step = self._step(done)
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
            self._plain = True
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

    def _step(self, done: int) -> int:
        return int(100 * done / self.total // self._every_pct) if self.total else 0

    def _say(self, line: str) -> None:
        print(line, file=self._stream or sys.stderr, flush=True)

    def advance(self, n: int) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.advance(self._task, n)
        if not self._plain:
            return
        now = time.monotonic()
        step = self._step(self.done)
        if step > self._said_step or now - self._said_t >= self._every_s:
            rate = (self.done - self._start_done) / (now - self._t0) if now > self._t0 else None
            self._say(plain_line(self.done, self.total, rate))
            self._said_step, self._said_t = step, now

    def note(self, line: str) -> None:
        """``sweep: LINE`` above the bar, or as a plain line (nothing when quiet)."""
        if self._bar is not None:
            self._bar.console.print(f"sweep: {line}", markup=False, highlight=False)
        elif self._plain:
            self._say(f"sweep: {line}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
