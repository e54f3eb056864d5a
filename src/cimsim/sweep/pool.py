"""A warm worker pool kept across :func:`cimsim.sweep` calls.

Each ``sweep()`` call starts its worker processes and stops them at the end, so a caller that
sweeps many small batches (an ask-tell optimizer: one call per generation) pays the workers'
start-up (importing numpy, numba, simpy and the model: seconds) every call. A pool starts a Dask
``LocalCluster`` once and runs every call on its workers:

>>> if __name__ == "__main__":  # in a script: each worker imports it again  # doctest: +SKIP
...     with cimsim.sweep_pool(workers=2) as pool:
...         for generation in range(50):
...             df = pool.sweep("sram-cim-derived", "lstm", points=candidates(generation))

``pool.sweep(...)`` takes what :func:`cimsim.sweep` takes (it is ``sweep(..., scheduler=pool)``)
and gives the same rows and ``point_id`` as a cold call. Each call sends its configs and
workloads to the workers once (as ``scheduler="local:N"`` does); a worker keeps what it parsed
(workloads by their SHA-256, placements and cost tables) between calls. The workers are this
process's children, armed with the same lifeline as ``local:N`` (:mod:`cimsim.sweep.lifeline`):
they end with it. The pool is closed when the ``with`` block ends, by :meth:`SweepPool.close`,
or at interpreter exit; a closed pool refuses ``sweep``.
"""

from __future__ import annotations

import atexit
import os
import threading
import weakref

from .executors import DaskExecutor, SchedulerError
from .worker import LIFELINE
from . import lifeline


class SweepPool:
    """Dask ``LocalCluster`` worker processes kept warm across sweeps (:func:`sweep_pool`)."""

    def __init__(self, workers: int | None = None, security=None):
        import numbers

        from .runner import _importing_main_in_a_worker

        if _importing_main_in_a_worker():
            # a Dask worker importing the user's script (a module-level sweep_pool() call without
            # `if __name__ == "__main__":`): end this import quietly; the parent names the guard
            # (DaskExecutor._start_local, review L45 2)
            marker = os.environ.get("CIMSIM_SWEEP_UNGUARDED")
            if marker:
                open(marker, "a").close()
            raise SystemExit(1)
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, numbers.Integral)
                                    or workers < 1):
            raise SchedulerError(f"sweep_pool(workers={workers!r}): expected a whole number >= 1 of "
                                 "worker processes (default: all cores)")
        self.workers = int(workers or os.cpu_count() or 1)
        self.security = security
        self.cluster = self.client = None
        self.closed = False
        self._lock = threading.Lock()
        self._start()
        # closed at interpreter exit if the caller did not (a weak reference: the pool may go first)
        ref = weakref.ref(self)
        self._atexit = lambda: (ref() is not None and ref().close())
        atexit.register(self._atexit)

    def _start(self) -> None:
        ex = DaskExecutor.__new__(DaskExecutor)  # its LocalCluster settings, without a context
        import distributed

        ex._distributed, ex._local = distributed, (self.workers, self.security)
        ex._start_local()
        self.cluster, self.client = ex.cluster, ex.client

    def restart(self) -> None:
        """Start the cluster afresh (its nannies gave up on every worker)."""
        self._stop()
        self._start()

    def worker_addresses(self) -> set[str]:
        """The addresses of the pool's workers now."""
        return set(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    def worker_state(self) -> dict:
        """Per worker address: its ``pid`` and ``workload_loads`` (how many times it parsed each
        workload, by SHA-256: once per worker while the pool runs)."""
        return self.client.run(_worker_state)

    def sweep(self, configs, workloads, params=None, **kwargs):
        """:func:`cimsim.sweep` on this pool's workers (``scheduler=`` and ``workers=`` are the pool's)."""
        from .runner import sweep

        for name in ("scheduler", "workers", "security"):
            if name in kwargs:
                raise SchedulerError(f"{self}.sweep({name}=...): a pool's sweep runs on the pool's "
                                     f"workers; set them in sweep_pool(workers=N, security=...)")
        return sweep(configs, workloads, params, scheduler=self, **kwargs)

    def executor(self, context: dict) -> "PooledExecutor":
        """The executor of one sweep call (:func:`cimsim.sweep.executors.make_executor`)."""
        self.check()
        return PooledExecutor(self, context)

    def check(self) -> None:
        if self.closed:
            raise SchedulerError(f"{self} is closed: start a new one (with cimsim.sweep_pool(...) as pool:)")

    def _stop(self) -> None:
        client, cluster, self.client, self.cluster = self.client, self.cluster, None, None
        try:
            if client is not None:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()

    def close(self) -> None:
        """Stop the workers (idempotent)."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            atexit.unregister(self._atexit)
            self._stop()

    def __enter__(self) -> "SweepPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"sweep_pool(workers={self.workers})"


def _worker_state() -> dict:
    from .worker import WORKLOAD_LOADS

    return {"pid": os.getpid(), "workload_loads": dict(WORKLOAD_LOADS)}


def sweep_pool(workers: int | None = None, security=None) -> SweepPool:
    """A :class:`SweepPool` of ``workers`` Dask worker processes (default: all cores), started
    now; use it as a context manager (``with cimsim.sweep_pool(2) as pool: pool.sweep(...)``).
    ``security``: a :class:`distributed.Security` to make the cluster speak TLS."""
    return SweepPool(workers, security)


class PooledExecutor(DaskExecutor):
    """A :class:`DaskExecutor` on a pool's cluster: the call's context is sent to the workers,
    and released at the end; the cluster is left running."""

    def __init__(self, pool: SweepPool, context: dict):
        import distributed

        self.pool = pool
        self._distributed = distributed
        self.cluster, self.client = pool.cluster, pool.client
        self._local = (pool.workers, pool.security)
        self._full = {**context, LIFELINE: lifeline.identity()}  # the workers are our children
        self._gone: set[str] = set()
        self._known = self._workers()
        self.workers = pool.workers
        self._scatter()

    def recover(self) -> bool:
        """As :meth:`DaskExecutor.recover` for ``local:N``: wait for a worker, else restart the
        pool's cluster (the chunks in flight are then lost)."""
        try:
            self.client.wait_for_workers(1, timeout=20)
            return False
        except Exception:  # noqa: BLE001 - TimeoutError, a closed connection
            pass
        self.pool.restart()
        self.cluster, self.client = self.pool.cluster, self.pool.client
        self._known |= self._workers()
        self._scatter()
        return True

    def close(self, cancel: bool = False) -> None:
        """Release this call's context on the workers; the pool keeps running."""
        ctx = getattr(self, "_context", None)
        if ctx is not None:
            try:
                ctx.release()
            except Exception:  # noqa: BLE001 - the pool's client closed meanwhile
                pass
            self._context = None
