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


BAR = 20  #: the terminal line's bar, in columns (rich's default of 40 leaves 30 of 80 for the text)


def columns() -> tuple:
    """The terminal line's columns: spinner, text, a bar of :data:`BAR`, count, elapsed time."""
    from rich.progress import BarColumn, SpinnerColumn, TextColumn, TimeElapsedColumn

    return (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(BAR),
            TextColumn("{task.fields[count]}"), TimeElapsedColumn())


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
        from rich.progress import Progress

        unit = self.unit or "ops"
        count = "" if self.done is None else (f"{self.done:,}/{self.total:,} {unit}" if self.total
                                              else f"{self.done:,}")
        if self._bar is None:
            console = Console(file=self._stream)
            self._bar = Progress(*columns(), console=console, transient=True)
            # the first frame already has its phase (added whole, then started)
            self._task = self._bar.add_task(self.line(console.width, count), total=self.total,
                                            completed=self.done or 0, count=count)
            self._bar.start()
        self._bar.update(self._task, description=self.line(self._bar.console.width, count),
                         total=self.total, completed=self.done or 0, count=count)

    def line(self, width: int, count: str = "") -> str:
        """The terminal line's text, ``what: phase``, to fit ``width`` columns beside the spinner,
        the bar, ``count`` and the elapsed time: the phase (what changes) is kept whole and
        ``what`` (a generated workload's name can be 50 characters) shortened with an ellipsis."""
        room = width - (1 + BAR + len(count) + len("0:00:00") + 4)  # 4 gaps between 5 columns
        text = f"{self.what}: {self.phase}" if self.phase else self.what
        if len(text) <= room:
            return text
        keep = room - (len(text) - len(self.what)) - 1  # what's characters left, then "…"
        if keep < 8:  # too narrow for both: the phase alone
            return self.phase[:max(room, 1)] if self.phase else self.what[:max(room - 1, 0)] + "…"
        return self.what[:keep] + "…" + text[len(self.what):]

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
