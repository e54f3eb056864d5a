"""Where chunks of points run: local worker processes or a Dask distributed cluster.

Both executors take the sweep context once and then yield ``(chunk, rows,
failure)`` as chunks finish, in completion order, with at most ``window`` chunks in
flight (so a worker's death takes only those with it). ``failure`` is set only when
the *machinery* lost a chunk (a worker process died): a :class:`WorkerLost`, one object
per death shared by every chunk lost with it; errors of a point are already inside its
row. What becomes of lost chunks is :mod:`cimsim.sweep.drive`'s.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import os
import signal
import tempfile
import threading
import time
from collections import deque
from typing import Iterator

from ..errors import CimsimError
from . import lifeline
from .worker import LIFELINE, init_worker, run_chunk

#: environment variable naming the file a worker touches when it finds itself importing the
#: user's script (see :meth:`LocalExecutor._unguarded_main`)
UNGUARDED_MARKER = "CIMSIM_SWEEP_UNGUARDED"


class SchedulerError(CimsimError):
    """The ``--scheduler`` value is invalid or the cluster cannot be reached."""


class ClusterLost(CimsimError):
    """The workers are gone and none comes back, or fail outside any point: the sweep cannot
    go on (its finished rows are kept); :class:`cimsim.sweep.SweepIncomplete` says so."""


class WorkerLost(Exception):
    """One loss of worker processes: ``how`` they died (``SIGKILL``, ``exit status 3``,
    ``KilledWorker``), ``workers`` how many."""

    def __init__(self, how: str, workers: int = 1):
        super().__init__(how)
        self.how, self.workers = how, workers


def death(exit_codes) -> tuple[str, int]:
    """How the processes of a broken pool died, from their exit codes, and how many died of
    it: the pool itself ends the others with SIGTERM, so a code that is not SIGTERM's is the
    death (``SIGKILL``: -9, the OOM killer's; ``SIGSEGV``; ``exit status 3``)."""
    term = -signal.SIGTERM
    dead = [c for c in exit_codes if c not in (None, 0, term)] or \
        [c for c in exit_codes if c == term][:1]
    if not dead:
        return "", 1
    c = dead[0]
    if c < 0:
        try:
            how = signal.Signals(-c).name
        except ValueError:
            how = f"signal {-c}"
    else:
        how = f"exit status {c}"
    return how, len(dead)


class LocalExecutor:
    """A :class:`concurrent.futures.ProcessPoolExecutor` of ``workers`` processes."""

    name = "local"

    def __init__(self, context: dict, workers: int | None = None):
        self.context = context
        self.workers = max(1, workers or os.cpu_count() or 1)
        methods = multiprocessing.get_all_start_methods()
        # forkserver: workers start from a clean, single-threaded server process
        # (fork after numba / rich threads have started is unsafe); spawn elsewhere.
        self._mp = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if "forkserver" in methods:
            # import numpy, numba, simpy and the model once in the server, not in every worker
            self._mp.set_forkserver_preload(["cimsim.sweep.worker", "cimsim.pipeline"])
        self._pool: cf.ProcessPoolExecutor | None = None
        self._started = False  # a chunk has come back: the workers can start
        # a worker that finds itself importing the user's script (an unguarded module-level
        # sweep() call) touches this file before it exits (runner.sweep), so the failure is
        # named here instead of being retried as a lost worker
        fd, self._unguarded = tempfile.mkstemp(prefix="cimsim-unguarded-")
        os.close(fd)
        os.unlink(self._unguarded)
        os.environ[UNGUARDED_MARKER] = self._unguarded

    def _unguarded_main(self) -> CimsimError | None:
        if not os.path.exists(self._unguarded):
            return None
        return CimsimError(
            "the sweep's worker processes could not start: cimsim.sweep() is called at the top "
            "level of a script, which each worker process imports again; put the call under "
            "`if __name__ == \"__main__\":`")

    def _ensure_pool(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=self._mp,
                initializer=init_worker,
                initargs=(self.context, lifeline.identity()),
            )
        return self._pool

    def _submit(self, chunk: list):
        # the pool starts its processes in a submit: an interrupt in the middle left one
        # started but unlisted, never joined; the sweep then exited under it and it printed a
        # traceback of the semaphores gone (interrupts wait until it is listed)
        with _interrupts_deferred(), _sigint_blocked(), _main_without_file():
            pool = self._ensure_pool()
            return pool, pool.submit(run_chunk, chunk)

    def run(self, chunks: list, window: int | None = None
            ) -> Iterator[tuple[list, list | None, BaseException | None]]:
        queue, futures = deque(chunks), {}
        lost: dict[int, WorkerLost] = {}  # id(pool) -> its death, shared by its chunks
        window = max(1, window or len(chunks) or 1)
        while queue or futures:
            while queue and len(futures) < window:
                try:
                    pool, fut = self._submit(queue[0])
                except (BrokenPipeError, EOFError, ConnectionError, cf.process.BrokenProcessPool) as exc:
                    if self._started or futures:  # broken meanwhile: its futures say so; resubmit
                        self._death(lost)
                        if futures:
                            break
                        continue
                    # the worker server died while starting: the usual cause is a script that
                    # calls cimsim.sweep() at module level, which multiprocessing re-runs while
                    # it imports the script in the server (see runner.sweep)
                    self._discard_pool()
                    raise (self._unguarded_main() or CimsimError(
                        "the sweep's worker processes could not start; if cimsim.sweep() is called "
                        "from a script, put the call under `if __name__ == \"__main__\":` (each "
                        f"worker process imports the script again) ({type(exc).__name__})")) from None
                futures[fut] = (queue.popleft(), pool)
            done, _ = cf.wait(list(futures), return_when=cf.FIRST_COMPLETED)
            for fut in done:
                chunk, pool = futures.pop(fut)
                try:
                    rows = fut.result()
                except cf.process.BrokenProcessPool:
                    # A worker died (killed, out of memory): the pool is unusable; start afresh.
                    event = lost.get(id(pool)) or self._death(lost, pool)
                    unguarded = self._unguarded_main()
                    if unguarded is not None:
                        raise unguarded from None
                    yield chunk, None, event
                else:
                    self._started = True
                    yield chunk, rows, None

    def _death(self, lost: dict, pool=None) -> WorkerLost:
        """Discard the broken pool (``pool`` or the current one) and say how its worker died."""
        pool = pool or self._pool
        codes = _stop_pool(pool) if pool is not None else []
        if pool is self._pool:
            self._pool = None
        event = lost[id(pool)] = WorkerLost(*death(codes))
        return event

    def recover(self) -> None:
        """Nothing to do: a broken pool is replaced by the next submit."""

    def _discard_pool(self) -> None:
        if self._pool is not None:
            _stop_pool(self._pool)
            self._pool = None

    def close(self, cancel: bool = False) -> None:
        if os.path.exists(self._unguarded):
            os.unlink(self._unguarded)
        # Every result has been collected (or is being abandoned) when this runs, so
        # workers are stopped rather than waited for: a worker SIGKILLed while holding
        # the pool's queue lock leaves its siblings blocked on that lock forever, and a
        # plain shutdown(wait=True) would then hang the sweep.
        if self._pool is not None:
            _stop_pool(self._pool)
            self._pool = None


@contextlib.contextmanager
def _main_without_file():
    """While worker processes start: a ``__main__`` whose ``__file__`` is no file (a script read
    on stdin, ``python - < job.py``, has ``'<stdin>'``) shows none. multiprocessing re-runs the
    main script in each worker from that path, so a worker failed to start (FileNotFoundError)
    and the sweep with it; without one a worker leaves ``__main__`` alone, as for ``python -c``
    or an interactive session. The workers need nothing from it (they load the files and
    cimsim's own code); the main script of a real file is still imported, as multiprocessing
    does."""
    import sys
    from multiprocessing import process

    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    spec_name = getattr(getattr(main, "__spec__", None), "name", None)
    if path is None or spec_name is not None or os.path.isfile(
            os.path.join(process.ORIGINAL_DIR or "", path)):
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


@contextlib.contextmanager
def _interrupts_deferred():
    """Ctrl-C and SIGTERM received inside are handled when it ends (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list = []
    old = {s: signal.signal(s, lambda signum, frame: got.append((signum, frame)))
           for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        for signum, frame in got[:1]:  # as if it came now, to the handler it was meant for
            h = old[signum]
            if callable(h):
                h(signum, frame)
            elif h == signal.SIG_DFL and signum == signal.SIGTERM:
                os.kill(os.getpid(), signum)


@contextlib.contextmanager
def _sigint_blocked():
    """SIGINT blocked in this thread while the pool starts its processes; a Ctrl-C inside is
    handled when it ends (by :func:`_interrupts_deferred` around it).

    Ctrl-C reaches the whole process group. The forkserver (and, with spawn, each worker) is
    started from here and imports cimsim for seconds before it ignores SIGINT, so a Ctrl-C then
    printed its KeyboardInterrupt traceback (50-70 lines) under the sweep's one line. A blocked
    signal stays blocked across fork and exec: those processes never see it, as CPython's own
    resource tracker does it; the main process keeps the interrupt and handles it."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    # the resource tracker starts with the pool's first lock, and its start unblocks SIGINT
    # whatever blocked it before: started first, it leaves the mask alone
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _stop_pool(pool: cf.ProcessPoolExecutor, grace_s: float = 5.0) -> list:
    """Shut ``pool`` down without waiting on stuck workers: join briefly, then kill; the exit
    codes of its processes."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + grace_s
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join(1.0)
    if manager is not None:
        # the pool's manager thread closes its wake-up pipe as it ends; Python 3.11's exit hook
        # (concurrent.futures.process._python_exit) writes to that pipe unlocked, and one that
        # ran while the thread closed it printed "Exception ignored ... OSError: [Errno 9] Bad
        # file descriptor" after an early Ctrl-C's one line: the thread ends here first
        manager.join(max(1.0, deadline - time.monotonic()))
    return [p.exitcode for p in procs]


class DaskExecutor:
    """A Dask distributed client: ``local:N`` (a LocalCluster of N processes) or a running
    scheduler at ``tls://HOST:PORT`` (with ``security``) or ``tcp://HOST:PORT``.

    Trust: a ``tcp://`` scheduler authenticates nobody and encrypts nothing;
    whoever can reach it can run code on its workers, and the rows that come
    back are unpickled here. ``tls://`` with a :class:`distributed.Security`
    (CA, client certificate and key) encrypts and authenticates both ends.
    With ``local:N`` a ``security`` object makes the LocalCluster speak TLS too.
    """

    name = "dask"

    def __init__(self, context: dict, scheduler: str, security=None):
        n = check_scheduler(scheduler, security)
        try:
            import distributed
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise SchedulerError(f"--scheduler {scheduler}: dask.distributed is not installed "
                                 f"({exc})") from None
        self._distributed = distributed
        self.cluster = None
        self._local = (n, security)
        if n is not None:
            self._start_local()
        else:
            kwargs = {} if security is None else {"security": security}
            try:
                self.client = distributed.Client(scheduler, timeout="20s", **kwargs)
            except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, TLS and address errors
                why = " ".join(str(exc).split()) or type(exc).__name__
                hint = " (a tls:// scheduler needs --tls-ca-file and --tls-cert)" if (
                    scheduler.startswith("tls://") and security is None) else ""
                raise SchedulerError(f"--scheduler {scheduler}: cannot connect: {why}{hint}") from None
        if self.cluster is not None:
            # the cluster's workers are this process's children: they end with it
            context = {**context, LIFELINE: lifeline.identity()}
        self._full = context
        self._gone: set[str] = set()  # worker addresses lost during the sweep
        self._known = self._workers()
        self.workers = max(1, n or len(self._known))
        self._scatter()

    def _start_local(self) -> None:
        """A LocalCluster of ``local:N``'s N worker processes, and its client. A worker that
        finds itself importing the user's script (a module-level ``sweep()`` or ``sweep_pool()``
        call without the ``__main__`` guard) touches a marker file and exits; the failed start
        is then refused in one line naming the guard (review L45 2), not Dask's traceback."""
        fd, marker = tempfile.mkstemp(prefix="cimsim-unguarded-")
        os.close(fd)
        os.unlink(marker)
        before = os.environ.get(UNGUARDED_MARKER)
        os.environ[UNGUARDED_MARKER] = marker
        try:
            self._start_cluster()
        except Exception:
            if os.path.exists(marker):
                raise CimsimError(
                    "the sweep's Dask worker processes could not start: cimsim.sweep() or "
                    "cimsim.sweep_pool() is called at the top level of a script, which each worker "
                    "process imports again; put the call under `if __name__ == \"__main__\":`") from None
            raise
        finally:
            if os.path.exists(marker):
                os.unlink(marker)
            if before is None:
                os.environ.pop(UNGUARDED_MARKER, None)
            else:
                os.environ[UNGUARDED_MARKER] = before

    def _start_cluster(self) -> None:
        n, security = self._local
        tls = {} if security is None else {"security": security, "protocol": "tls://"}
        self.cluster = self._distributed.LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,  # a lost worker is said once, in cimsim's words
            # a task whose worker dies fails at once (KilledWorker), not after 3 more workers:
            # the sweep runs it again itself, alone if need be (cimsim.sweep.drive)
            scheduler_kwargs={"allowed_failures": 0},
            **tls,
        )
        self.client = self._distributed.Client(
            self.cluster, **({} if security is None else {"security": security}))

    def _workers(self) -> set[str]:
        return set(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    def _scatter(self) -> None:
        # One copy of the context per worker, not one per task: a task whose result it is, so
        # the scheduler computes it again when every worker holding it is gone (a restart,
        # preemption, local:1's only worker). Scattered data cannot be recomputed: once lost,
        # every chunk still to run failed with it.
        import warnings

        with warnings.catch_warnings():  # "Sending large graph": once, the workloads' bytes
            warnings.simplefilter("ignore")
            self._context = self.client.submit(_context_of, self._full, pure=False)

    def _lost_workers(self) -> int:
        """How many workers left the cluster since the last call."""
        now = self._workers()
        gone = (self._known - now) - self._gone
        self._gone |= gone
        self._known |= now
        return len(gone)

    def recover(self) -> bool:
        """No worker: wait for one (:data:`RECOVER_S`); our ``local:N`` whose nannies gave up
        is started again (whether it was: the chunks in flight are then lost). A cluster that
        stays without a worker is :class:`ClusterLost`."""
        try:
            self.client.wait_for_workers(1, timeout=RECOVER_S if self.cluster is None else 20)
            return False
        except Exception as exc:  # noqa: BLE001 - TimeoutError, a closed connection
            if self.cluster is None:
                raise ClusterLost(f"the Dask cluster has had no worker for {RECOVER_S:.0f} s "
                                  f"after losing its workers ({type(exc).__name__})") from None
        self.close()
        self._start_local()
        self._known |= self._workers()
        self._scatter()
        return True

    def run(self, chunks: list, window: int | None = None
            ) -> Iterator[tuple[list, list | None, BaseException | None]]:
        wait = self._distributed.wait
        queue, futures = deque(chunks), {}
        window = max(1, window or len(chunks) or 1)
        event = None  # the last loss: chunks lost with no other worker gone share it
        while queue or futures:
            while queue and len(futures) < window:
                chunk = queue.popleft()
                futures[self.client.submit(run_chunk, chunk, self._context, pure=False)] = chunk
            try:
                done = wait(list(futures), timeout=STALL_S, return_when="FIRST_COMPLETED").done
            except TimeoutError:
                done = set()
            if not done:  # nothing finished for a while: is there a worker at all?
                if not self._workers() and self.recover():  # a new cluster: all in flight lost
                    event = WorkerLost("worker lost", max(1, self._lost_workers()))
                    for fut, chunk in list(futures.items()):
                        yield chunk, None, event
                    futures.clear()
                continue
            for fut in done:
                chunk = futures.pop(fut)
                try:
                    rows = fut.result()
                except Exception as exc:  # noqa: BLE001 - KilledWorker, lost data or connection
                    if not _worker_death(exc):  # raised by run_chunk itself, not by a point
                        raise ClusterLost(f"the Dask workers fail outside any point: "
                                          f"{type(exc).__name__}: {' '.join(str(exc).split())}") from None
                    gone = self._lost_workers()
                    if gone or event is None:
                        how = "KilledWorker" if type(exc).__name__ == "KilledWorker" else "worker lost"
                        event = WorkerLost(how, max(1, gone))
                    yield chunk, None, event
                else:
                    yield chunk, rows, None
                finally:
                    with contextlib.suppress(Exception):
                        fut.release()

    def close(self, cancel: bool = False) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


#: seconds a Dask sweep waits for a worker after losing them all, before it stops (rerun)
RECOVER_S = 120.0
#: seconds without a finished chunk after which a Dask sweep checks that it has a worker
STALL_S = 10.0


def _context_of(context: dict) -> dict:
    """The sweep context, as a task's result (:meth:`DaskExecutor._scatter`)."""
    return context


def _worker_death(exc: BaseException) -> bool:
    """Whether a Dask task failed with its worker (died, killed, its data lost, the connection
    gone), not with an exception its function raised."""
    import asyncio

    names = {t.__name__ for t in type(exc).__mro__}
    return bool(names & {"KilledWorker", "CancelledError", "FutureCancelledError", "CommClosedError"}) \
        or isinstance(exc, (asyncio.CancelledError, cf.CancelledError, OSError, TimeoutError))


def security_from_files(ca_file=None, cert_file=None, key_file=None):
    """A :class:`distributed.Security` for a ``tls://`` scheduler from PEM files, or None if none given.

    ``ca_file`` verifies the scheduler; ``cert_file`` (and ``key_file``, unless
    the key is inside the certificate file) identify this client to it.
    """
    if ca_file is None and cert_file is None and key_file is None:
        return None
    if ca_file is None or cert_file is None:
        raise SchedulerError("TLS needs both --tls-ca-file (to verify the scheduler) and --tls-cert (this client)")
    from distributed import Security

    return Security(
        tls_ca_file=str(ca_file),
        tls_client_cert=str(cert_file),
        tls_client_key=None if key_file is None else str(key_file),
        require_encryption=True,
    )


def check_scheduler(scheduler: str | None, security=None) -> int | None:
    """Refuse a malformed ``--scheduler`` (or TLS where it cannot apply) without starting or
    reaching anything; the worker count of ``local:N`` or of a pool (:mod:`cimsim.sweep.pool`),
    else None."""
    if _is_pool(scheduler):
        scheduler.check()
        if security is not None:
            raise SchedulerError(f"scheduler={scheduler}: a pool's TLS is set when it starts "
                                 "(sweep_pool(security=...)), not per sweep")
        return scheduler.workers
    if scheduler is not None and not isinstance(scheduler, str):
        raise SchedulerError(f"scheduler={scheduler!r}: expected 'local:N', an address like "
                             "'tls://HOST:PORT', or a pool from cimsim.sweep_pool()")
    if scheduler in (None, "", "processes"):
        if security is not None:
            raise SchedulerError("TLS security applies to a Dask scheduler (--scheduler tls://HOST:PORT or local:N)")
        return None
    if scheduler.startswith("local:"):
        try:
            n = int(scheduler.split(":", 1)[1])
        except ValueError:
            n = 0
        if n < 1:
            raise SchedulerError(
                f"--scheduler {scheduler}: expected 'local:N' with N >= 1 workers, or an address "
                "like 'tls://HOST:PORT' or 'tcp://HOST:PORT'"
            )
        return n
    if "://" not in scheduler:
        raise SchedulerError(
            f"--scheduler {scheduler!r}: expected 'local:N' or an address like 'tls://HOST:PORT' "
            "or 'tcp://HOST:PORT'"
        )
    if security is not None and not scheduler.startswith("tls://"):
        raise SchedulerError(
            f"--scheduler {scheduler}: TLS certificates were given, but the address is not tls://"
        )
    return None


def make_executor(context: dict, scheduler: str | None = None, workers: int | None = None, security=None):
    if _is_pool(scheduler):  # a warm pool kept across calls (cimsim.sweep_pool)
        check_scheduler(scheduler, security)
        return scheduler.executor(context)
    if scheduler in (None, "", "processes"):
        check_scheduler(scheduler, security)
        return LocalExecutor(context, workers)
    return DaskExecutor(context, scheduler, security)


def workers_clash(scheduler, workers) -> str:
    """The refusal of ``workers`` given with a ``scheduler``: a pool's in a Python call's words
    (review L45 6: it was told about --workers and --scheduler), else the CLI's."""
    if _is_pool(scheduler):
        return (f"sweep(scheduler=pool, workers={workers!r}): a pool's sweep runs on the pool's "
                f"workers ({scheduler}); set them in sweep_pool(workers=N)")
    return (f"--workers sets the local worker processes; with --scheduler {scheduler} the Dask "
            "cluster's workers run the points (local:N starts N): give one or the other")


def _is_pool(scheduler) -> bool:
    """Whether ``scheduler`` is a :class:`cimsim.sweep.pool.SweepPool` (imported only if one exists)."""
    import sys

    pool = sys.modules.get("cimsim.sweep.pool")
    return pool is not None and isinstance(scheduler, pool.SweepPool)
