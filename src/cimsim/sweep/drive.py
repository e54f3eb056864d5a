"""Running a sweep's points on an executor, and what becomes of points lost with a worker.

A worker process that dies (the OOM killer's SIGKILL on an over-large point, a segfault in
native code, a Dask worker restarted or preempted) takes the chunks it was running with it,
and on local workers every chunk then in flight (the pool breaks). Nothing says which point
did it, so the lost points are run again in steps, each narrower, none counted against a
point until it runs alone:

1. the sweep's chunks, at most two per worker in flight (:func:`drive`);
2. the chunks lost, again as chunks (a worker killed from outside, a cluster restarted: they
   now finish);
3. the points of chunks lost twice, one point per task, one per worker in flight;
4. each point lost there, alone (nothing else in flight), up to
   :data:`~cimsim.sweep.worker.DIED_ALONE` times.

A point whose worker dies every time it runs alone becomes an error row
(:func:`~cimsim.sweep.worker.died_row`: ``the worker process died (SIGKILL) running this
point ...``), which ``--retry-errors`` runs again; every other point lost on the way is run
again without a mark, so the sweep finishes and writes its file. On Dask the sweep context is
a task's result, computed again when the workers holding it are gone, and a cluster left
without workers is waited for (:meth:`DaskExecutor.recover
<cimsim.sweep.executors.DaskExecutor.recover>`). :class:`Losses` counts what was
lost, for the progress notes and the ``wrote`` line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

from .worker import DIED_ALONE, died_row, point_text


@dataclass
class Losses:
    """What a sweep lost to dying workers: ``workers`` lost, the point ids run again after a
    loss (``retried``), and the points that became error rows (``died``)."""

    workers: int = 0
    retried: set = field(default_factory=set)
    died: int = 0
    _events: set = field(default_factory=set)

    def lost(self, event) -> bool:
        """Count one loss (once, however many chunks it took); whether it is new."""
        if id(event) in self._events:
            return False
        self._events.add(id(event))
        self.workers += getattr(event, "workers", 1) or 1
        return True

    def said(self) -> str:
        """``; 2 workers lost, 37 points run again`` for the ``wrote`` line, or ``""``."""
        if not self.workers:
            return ""
        return (f"; {self.workers:,} worker{'s' if self.workers != 1 else ''} lost, "
                f"{len(self.retried):,} point{'s' if len(self.retried) != 1 else ''} run again")


def drive(executor, todo: list, size: int, losses: Losses,
          note: Callable[[str], None] = lambda line: None) -> Iterator[list[dict]]:
    """Run ``todo`` (tasks, in execution order) on ``executor`` in chunks of ``size``; yield
    each chunk's rows as it finishes, and the error rows of points that killed their worker
    alone. Every task gets a row."""
    n = max(1, int(getattr(executor, "workers", 1) or 1))
    chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
    lost = yield from _round(executor, chunks, 2 * n, losses, note, "as they were")
    if lost:  # a worker killed from outside, a cluster restarted: they finish now
        lost = yield from _round(executor, [c for c, _ in lost], 2 * n, losses, note,
                                 "one point per task")
    if lost:  # lost twice: one point per task, so a point that kills its worker is found
        lost = yield from _round(executor, [[t] for c, _ in lost for t in c], n, losses, note,
                                 "alone, one at a time")
    for i in range(DIED_ALONE):
        if not lost:
            return
        lost = yield from _round(executor, [c for c, _ in lost], 1, losses, note,
                                 "alone once more" if i + 1 < DIED_ALONE else None)
    rows = [died_row(t, getattr(why, "how", "")) for c, why in lost for t in c]
    losses.died += len(rows)
    if rows:
        hows = ", ".join(dict.fromkeys(getattr(why, "how", "") or "died" for _, why in lost))
        shown = [point_text(t.overrides) or t.point_id for c, _ in lost for t in c]
        note(f"{len(rows):,} point{'s' if len(rows) != 1 else ''} killed the worker process "
             f"({hows}) each time {'they' if len(rows) != 1 else 'it'} ran alone, an error row "
             f"each (--retry-errors runs them again): {'; '.join(shown[:4])}"
             + (f"; ... ({len(shown) - 4:,} more)" if len(shown) > 4 else ""))
        yield rows


def _round(executor, chunks: list, window: int, losses: Losses, note, then: str | None):
    """Run ``chunks`` with at most ``window`` in flight, yielding the rows of each that
    finishes; return the lost ones, ``[(chunk, loss)]``, said in one note."""
    lost: list = []
    before = losses.workers
    for chunk, rows, failure in executor.run(chunks, window):
        if failure is None:
            yield rows
            continue
        lost.append((chunk, failure))
        losses.retried.update(t.point_id for t in chunk)
        losses.lost(failure)
    if lost and then is not None:  # (the last: died_row's note says it)
        hows = ", ".join(dict.fromkeys(getattr(f, "how", "") or type(f).__name__ for _, f in lost))
        n, workers = sum(len(c) for c, _ in lost), losses.workers - before
        note(f"{workers:,} worker process{'es' if workers != 1 else ''} lost ({hows}) running "
             f"{n:,} point{'s' if n != 1 else ''}: {'they are' if n != 1 else 'it is'} run again "
             f"{then}, not counted against {'them' if n != 1 else 'it'}")
    return lost
