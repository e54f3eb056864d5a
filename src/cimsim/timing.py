"""Where a command's time goes: ``--timing`` on ``run``, ``compare`` and ``report``.

:func:`mark` starts a phase of the run in progress (the pipeline marks placing and costing, the
engine, the report); it costs one context-variable read where nothing is timing (sweeps, the
API). :func:`timing_option` gives a click command ``--timing``: the command runs inside a
:class:`Timing` whose phases start with ``loading`` (config and workload files, tracing a
model) and end with ``output`` (tables, JSON, files written), and with ``--timing`` the
per-phase wall and CPU seconds go to stderr when it ends. While a simulation runs, a
:class:`~cimsim.progress.Feedback` status line names its phase: on a terminal always (after
1 s; it disappears when the run ends), off a terminal with ``--timing`` only (a line every 5 s).
"""

from __future__ import annotations

import contextvars
import functools
import sys
import time

import click

_CURRENT: contextvars.ContextVar["Timing | None"] = contextvars.ContextVar("cimsim_timing", default=None)
OUTPUT = "output"  # after a run: tables, JSON, files


class Timing:
    """Wall and CPU seconds per phase name, summed over the runs of one command."""

    def __init__(self, status: bool = False, stream=None):
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.paths: dict[str, int] = {}  # engine path -> runs (EventRecord.path, or "analytic")
        self.runs = 0
        self._status, self._stream = status, stream
        self._phase: str | None = None
        self._feedback = None
        self._t0 = self._t = time.perf_counter()
        self._c0 = self._c = time.process_time()

    def mark(self, phase: str, what: str | None = None, path: str | None = None) -> None:
        """End the phase in progress and start ``phase``; ``what`` (the run's name) opens the
        status line of a simulation, ``path`` counts the engine path it took."""
        t, c = time.perf_counter(), time.process_time()
        if self._phase is not None:
            self.wall[self._phase] = self.wall.get(self._phase, 0.0) + t - self._t
            self.cpu[self._phase] = self.cpu.get(self._phase, 0.0) + c - self._c
        self._phase, self._t, self._c = phase, t, c
        if path is not None:
            self.paths[path] = self.paths.get(path, 0) + 1
        if what is not None:
            self.runs += 1
            self._close_feedback()
            from .progress import Feedback

            stream = self._stream if self._stream is not None else sys.stderr
            tty = bool(getattr(stream, "isatty", lambda: False)())
            self._feedback = Feedback(f"simulating {what}", enabled=tty or self._status, stream=stream)
        if self._feedback is not None:
            if phase == OUTPUT:
                self._close_feedback()
            else:
                self._feedback.update(phase)

    def _close_feedback(self) -> None:
        if self._feedback is not None:
            self._feedback.close()
            self._feedback = None

    def stop(self) -> None:
        self.mark("")
        self._close_feedback()
        self.wall.pop("", None)
        self.cpu.pop("", None)

    def lines(self) -> list[str]:
        """The report: one line per phase (wall s, CPU s, share of the wall total), then the total."""
        total = sum(self.wall.values())
        width = max([len(p) for p in self.wall] + [5])
        runs = f", {self.runs} runs summed" if self.runs > 1 else ""
        out = [f"cimsim: timing (wall clock s, CPU s of this process{runs}):"]
        for p, w in self.wall.items():
            share = f"{100 * w / total:5.1f} %" if total > 0 else "    - %"
            out.append(f"  {p:<{width}}  {w:9.3f} s wall  {self.cpu[p]:9.3f} s CPU  {share}")
        out.append(f"  {'total':<{width}}  {total:9.3f} s wall  {sum(self.cpu.values()):9.3f} s CPU")
        if self.paths:
            out.append("  engine path: " + ", ".join(f"{p} ({n} run{'s' if n > 1 else ''})"
                                                     for p, n in self.paths.items())
                       + " (des: uncontended or stitched replay, else simpy, the slowest)")
        return out


def mark(phase: str, what: str | None = None, path: str | None = None) -> None:
    """Start ``phase`` of the command being timed, if any (:meth:`Timing.mark`)."""
    t = _CURRENT.get()
    if t is not None:
        t.mark(phase, what, path)


def timing_option(command):
    """``--timing`` for a click command (applied next to its ``def``): it runs inside a
    :class:`Timing`, starting with ``loading``; with ``--timing`` the phases go to stderr."""

    @functools.wraps(command)
    def wrapper(*args, timing: bool = False, **kwargs):
        t = Timing(status=timing)
        token = _CURRENT.set(t)
        t.mark("loading")
        try:
            return command(*args, **kwargs)
        finally:
            _CURRENT.reset(token)
            t.stop()
            if timing:
                click.echo("\n".join(t.lines()), err=True)

    return click.option("--timing", is_flag=True, help="Print to stderr the wall and CPU seconds of each "
                        "phase (loading, placing and costing, simulating, building the report, output) "
                        "and the engine path.")(wrapper)
