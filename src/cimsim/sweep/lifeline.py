"""Sweep workers end when the sweep's main process ends, even if it is SIGKILLed alone.

What keeps a worker alive after its sweep is gone, and what ends it:

* **Local workers (forkserver, Linux).** A pool worker is a child of the
  multiprocessing *forkserver*, not of the sweep, and every worker holds the
  forkserver's "alive" pipe open, so neither notices the sweep's death. Each
  worker's initializer (:func:`guard`) starts a watchdog thread that checks
  every :data:`POLL_S` seconds that the sweep's main process still exists —
  the same pid *and* the same start time in ``/proc``, so a recycled pid does
  not fool it — and that the worker's own parent is unchanged; if not, the
  worker exits at once (``os._exit``). It also sets the Linux parent-death
  signal (``prctl(PR_SET_PDEATHSIG, SIGKILL)``), so a worker dies with its
  direct parent (the forkserver, or the sweep itself under ``spawn``) with
  no delay. Once the workers are gone the forkserver reads EOF on its alive
  pipe and exits, and the resource tracker then reads EOF on its pipe and
  exits (both standard-library behaviour).
* **Dask ``local:N``.** A LocalCluster's worker processes are children of the
  sweep; distributed already ends them when their parent's pipe closes, and
  the first chunk each one runs arms the same guard (watchdog and
  parent-death signal). Workers of a remote ``tcp://``/``tls://`` scheduler
  are not the sweep's processes and are left alone.
* **Not covered.** Processes started by code that a *point* runs (cimsim
  starts none); non-Linux systems get the watchdog on the parent pid only
  (no ``prctl``, no ``/proc`` start time).

``tests/sweep/test_sweep.py`` SIGKILLs a running ``cimsim sweep`` (local workers
and ``--scheduler local:2``) and checks that every process below it is gone
within seconds.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Optional

#: Seconds between two checks of the watchdog.
POLL_S = 0.2

_PR_SET_PDEATHSIG = 1
_armed_for: Optional[tuple] = None


def _start_time(pid: int) -> Optional[int]:
    """The process's start time in clock ticks since boot (Linux ``/proc``), None if unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after the last ')'
    fields = stat.rsplit(b")", 1)[1].split()
    if fields and fields[0] == b"Z":  # a zombie has ended
        return None
    return int(fields[19])  # field 22 of stat(5), counted from field 3


def identity(pid: Optional[int] = None) -> tuple:
    """``(pid, start time)`` of a process (default: this one), to recognise it later."""
    pid = os.getpid() if pid is None else pid
    return (pid, _start_time(pid))


def is_alive(ident: tuple) -> bool:
    """Whether the process ``ident`` (from :func:`identity`) is still running."""
    pid, start = ident
    if start is not None:
        return _start_time(pid) == start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else: a recycled pid
        return False
    return True


def set_parent_death_signal(sig: int = signal.SIGKILL) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent ends; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):  # pragma: no cover - no libc prctl
        return False


def guard(main: Optional[tuple]) -> None:
    """Make this worker process exit when ``main`` (an :func:`identity`) or its parent ends.

    Idempotent per process: a second call for the same ``main`` does nothing.
    """
    global _armed_for
    if main is None or _armed_for == main or main[0] == os.getpid():
        return  # nothing to watch, already watching, or run in the sweep's own process
    parent = os.getppid()
    set_parent_death_signal()
    # the parent may have ended before prctl took effect: then the signal never comes
    if os.getppid() != parent or not is_alive(main):
        os._exit(1)
    _armed_for = main

    def watch() -> None:
        while True:
            time.sleep(POLL_S)
            if os.getppid() != parent or not is_alive(main):
                os._exit(1)  # the sweep is gone: nobody will collect this worker's results

    threading.Thread(target=watch, name="cimsim-sweep-lifeline", daemon=True).start()
