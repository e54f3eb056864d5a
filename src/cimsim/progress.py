"""Feedback on long work (generating, loading, saving a large workload).

:class:`Feedback` says nothing for work that ends within ``after_s`` seconds.
Past that, on a terminal it shows a rich progress line (spinner, phase, ops done
of total, elapsed time) that disappears when the work ends; off a terminal (a
log, CI, a pipe) it writes one status line to stderr every ``every_s`` seconds
and a last line with the total time. A background thread does the printing, so
the work only sets the phase and counts (cheap) and opaque phases (a generator
running) still get their periodic line.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import IO


class Feedback:
    """``with Feedback("loading x.npz") as fb: fb.update("validating", done, total)``."""

    def __init__(self, what: str, *, enabled: bool = True, after_s: float = 1.0,
                 every_s: float = 5.0, stream: IO[str] | None = None, unit: str | None = None):
        self.what = what
        self.unit = unit  # what ``done`` counts, if not ops (said after the count)
        self.phase = ""
        self.done: int | None = None
        self.total: int | None = None
        self._stream = stream if stream is not None else sys.stderr
        self._after_s, self._every_s = after_s, every_s
        self._start = time.monotonic()
        self._lines = 0
        self._bar = None
        self._stop = threading.Event()
        self._thread = None
        if enabled:
            self._tty = bool(getattr(self._stream, "isatty", lambda: False)())
            self._thread = threading.Thread(target=self._run, name="cimsim-feedback", daemon=True)
            self._thread.start()

    def update(self, phase: str | None = None, done: int | None = None, total: int | None = None) -> None:
        """Set the phase (which resets the count) and/or the count ``done`` of ``total``."""
        if phase is not None:
            self.phase, self.total = phase, total
        elif total is not None:
            self.total = total
        self.done = done

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self._start

    def status(self) -> str:
        """The current status line (without the trailing newline)."""
        text = f"cimsim: {self.what}"
        if self.phase:
            text += f": {self.phase}"
        if self.done is not None:
            text += f" {self.done:,}"
            if self.total:
                unit = f" {self.unit}" if self.unit else ""
                text += f"/{self.total:,}{unit} ({100 * self.done / self.total:.0f} %)"
        return f"{text}, {self.elapsed_s:.1f} s"

    def _run(self) -> None:
        last = -float("inf")
        while not self._stop.wait(0.2):
            el = self.elapsed_s
            if el < self._after_s:
                continue
            if self._tty:
                self._render_bar()
            elif el - last >= self._every_s:
                last = el
                self._write(self.status())

    def _write(self, line: str) -> None:
        try:
            self._stream.write(line + "\n")
            self._stream.flush()
            self._lines += 1
        except (OSError, ValueError):  # a closed stream: stay quiet
            pass

    def _render_bar(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        if self._bar is None:
            self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                 TextColumn("{task.fields[count]}"), TimeElapsedColumn(),
                                 console=Console(file=self._stream), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.what, total=None, count="")
        unit = self.unit or "ops"
        count = "" if self.done is None else (f"{self.done:,}/{self.total:,} {unit}" if self.total
                                              else f"{self.done:,}")
        self._bar.update(self._task, description=f"{self.what}: {self.phase}", total=self.total,
                         completed=self.done or 0, count=count)

    def close(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        if self._bar is not None:
            self._bar.stop()
        elif self._lines:
            self._write(f"cimsim: {self.what}: done in {self.elapsed_s:.1f} s")

    def __enter__(self) -> "Feedback":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def feedback(progress: "Feedback | bool | None", what: str) -> Feedback:
    """``progress`` as a Feedback: the one given, a new one (True), or a silent one."""
    if isinstance(progress, Feedback):
        return progress
    return Feedback(what, enabled=bool(progress))
