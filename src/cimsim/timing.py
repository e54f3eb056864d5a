"""Where a command's time goes: ``--timing`` on ``run``, ``compare`` and ``report``.

:func:`mark` starts a phase of the run in progress (the pipeline marks placing and costing, the
engine, the report); it costs one context-variable read where nothing is timing (sweeps, the
API). :func:`timing_option` gives a click command ``--timing``: the command runs inside a
:class:`Timing` whose phases start with ``loading`` (config and workload files, tracing a
model) and end with ``output`` (tables, JSON, files written); a command marks its own work
between (:func:`step`: ``evaluating accuracy``, ``drawing the figures``), and runs it makes for
itself beyond those asked for go under one phase of their own (:func:`extra`: ``report``'s
critical path against sequence length). With ``--timing`` the per-phase wall and CPU seconds
go to stderr when it ends (on an error, before the one-line ``Error:``, which stays last).
While a simulation runs, a :class:`~cimsim.progress.Feedback` status line names its phase: on a
terminal always (after 1 s; it disappears when the run ends), off a terminal with ``--timing``
only (a line every 5 s).
"""

from __future__ import annotations

import contextlib
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
        self.extra: dict[str, dict[str, int]] = {}  # extra()'s label -> engine path -> runs
        self._extra: str | None = None
        self._status, self._stream = status, stream
        self._phase: str | None = None
        self._feedback = None
        self._t0 = self._t = time.perf_counter()
        self._c0 = self._c = time.process_time()

    def mark(self, phase: str, what: str | None = None, path: str | None = None) -> None:
        """End the phase in progress and start ``phase``; ``what`` (the run's name) opens the
        status line of a simulation, ``path`` counts the engine path it took. Inside
        :meth:`extra` a simulation's marks count its run and path there, its time in that phase."""
        if self._extra is not None:
            if path is not None:
                got = self.extra[self._extra]
                got[path] = got.get(path, 0) + 1
                if self._feedback is not None:
                    self._feedback.update(done=sum(got.values()))
            return
        t, c = time.perf_counter(), time.process_time()
        if self._phase is not None:
            self.wall[self._phase] = self.wall.get(self._phase, 0.0) + t - self._t
            self.cpu[self._phase] = self.cpu.get(self._phase, 0.0) + c - self._c
        self._phase, self._t, self._c = phase, t, c
        if path is not None:
            self.paths[path] = self.paths.get(path, 0) + 1
        if what is not None:
            self.runs += 1
            self._open_feedback(f"simulating {what}")
        if self._feedback is not None:
            if phase == OUTPUT:
                self._close_feedback()
            else:
                self._feedback.update(phase)

    def step(self, phase: str, what: str) -> None:
        """Start a command's own ``phase`` (after its runs), with a status line naming ``what``."""
        self.mark(phase)
        self._open_feedback(what)
        self._feedback.update(phase)

    @contextlib.contextmanager
    def extra_runs(self, label: str):
        """Runs the command makes beyond those asked for (``label`` says what for): one phase
        ``runs for <label>``, counted apart from the command's runs."""
        self.mark(f"runs for {label}")
        self._open_feedback(f"runs for {label}")
        self._feedback.update("", done=0)
        self.extra.setdefault(label, {})
        self._extra = label
        try:
            yield
        finally:
            self._extra = None
            self._close_feedback()

    def _open_feedback(self, what: str) -> None:
        self._close_feedback()
        from .progress import Feedback

        stream = self._stream if self._stream is not None else sys.stderr
        tty = bool(getattr(stream, "isatty", lambda: False)())
        self._feedback = Feedback(what, enabled=tty or self._status, stream=stream, unit="runs")

    def _close_feedback(self) -> None:
        if self._feedback is not None:
            self._feedback.close()
            self._feedback = None

    def stop(self) -> None:
        self.mark("")
        self._close_feedback()
        self.wall.pop("", None)
        self.cpu.pop("", None)

    def lines(self, failed: bool = False) -> list[str]:
        """The report: one line per phase (wall s, CPU s, share of the wall total), then the total;
        ``failed``: the command stopped with an error (said in the heading)."""
        total = sum(self.wall.values())
        width = max([len(p) for p in self.wall] + [5])
        runs = f", {self.runs} runs summed" if self.runs > 1 or self.extra else ""
        for label, paths in self.extra.items():
            runs += f" (+{_runs(paths)} for {label})"
        stop = ", up to the error below" if failed else ""
        out = [f"cimsim: timing (wall clock s, CPU s of this process{runs}{stop}):"]
        for p, w in self.wall.items():
            share = f"{100 * w / total:5.1f} %" if total > 0 else "    - %"
            out.append(f"  {p:<{width}}  {w:9.3f} s wall  {self.cpu[p]:9.3f} s CPU  {share}")
        out.append(f"  {'total':<{width}}  {total:9.3f} s wall  {sum(self.cpu.values()):9.3f} s CPU")
        if self.paths:
            out.append("  engine path: " + ", ".join(f"{p} ({n} run{'s' if n > 1 else ''})"
                                                     for p, n in self.paths.items())
                       + " (des: uncontended or stitched replay, else simpy, the slowest)")
        return out


def _runs(paths: dict[str, int]) -> str:
    """``16 analytic runs``, or ``3 runs: uncontended 2, simpy 1`` where the paths differ."""
    n = sum(paths.values())
    s = "s" if n != 1 else ""
    if len(paths) == 1:
        return f"{n} {next(iter(paths))} run{s}"
    return f"{n} run{s}" + (": " + ", ".join(f"{p} {k}" for p, k in paths.items()) if paths else "")


def mark(phase: str, what: str | None = None, path: str | None = None) -> None:
    """Start ``phase`` of the command being timed, if any (:meth:`Timing.mark`)."""
    t = _CURRENT.get()
    if t is not None:
        t.mark(phase, what, path)


def step(phase: str, what: str) -> None:
    """Start a command's own ``phase`` (:meth:`Timing.step`), if it is timed."""
    t = _CURRENT.get()
    if t is not None:
        t.step(phase, what)


@contextlib.contextmanager
def extra(label: str):
    """Runs beyond those the user asked for (:meth:`Timing.extra_runs`), if timed."""
    t = _CURRENT.get()
    if t is None:
        yield
    else:
        with t.extra_runs(label):
            yield


def timing_option(command):
    """``--timing`` for a click command (applied next to its ``def``): it runs inside a
    :class:`Timing`, starting with ``loading``; with ``--timing`` the phases go to stderr."""

    @functools.wraps(command)
    def wrapper(*args, timing: bool = False, **kwargs):
        t = Timing(status=timing)
        token = _CURRENT.set(t)
        t.mark("loading")
        failed = True
        try:
            done = command(*args, **kwargs)
            failed = False
            return done
        finally:  # click prints an error after this: the one-line Error: stays the last line
            _CURRENT.reset(token)
            t.stop()
            if timing:
                click.echo("\n".join(t.lines(failed)), err=True)

    return click.option("--timing", is_flag=True, help="Print to stderr the wall and CPU seconds of each "
                        "phase (loading, placing and costing, simulating, building the report, the "
                        "command's own work such as evaluating accuracy or drawing the figures, "
                        "output) and the engine path.")(wrapper)
