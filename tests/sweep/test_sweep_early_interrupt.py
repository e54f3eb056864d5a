"""An interrupt before any row finished, and while the workers start (found by a seventh round
of new users: an early Ctrl-C said rows were saved in a folder that did not exist, and one
while the pool started its processes left a worker unlisted, never joined, printing a traceback
of the semaphores gone after the sweep's one line)."""

from __future__ import annotations

import os
import signal

import pytest

from cimsim.commands.sweep import _kept
from cimsim.sweep.executors import _interrupts_deferred


def test_an_interrupt_before_any_row_says_nothing_was_saved(tmp_path):
    out = tmp_path / "s.parquet"
    assert _kept(out).startswith("no row had finished, nothing was saved")
    (tmp_path / "s.parquet.parts").mkdir()
    assert _kept(out).startswith("no row had finished")  # made, still empty
    out.write_bytes(b"x")  # an earlier run's rows, no new part: not "saved in .parts/"
    assert _kept(out).startswith(f"no new row had finished; {out} holds the rows of earlier runs")
    (tmp_path / "s.parquet.parts" / "part-0.parquet").write_bytes(b"x")
    assert _kept(out).startswith(f"the rows finished so far are saved in {out}.parts/")


def test_an_interrupt_while_workers_start_comes_after_it():
    done = []
    old = signal.signal(signal.SIGINT, signal.default_int_handler)  # as a command line has it
    with pytest.raises(KeyboardInterrupt):
        with _interrupts_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            done.append("the pool's processes listed")  # not cut short
    assert done == ["the pool's processes listed"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    signal.signal(signal.SIGINT, old)


def test_sigterm_goes_to_the_handler_it_was_meant_for():
    class Term(Exception):
        pass

    def stop(signum, frame):
        raise Term()

    old = signal.signal(signal.SIGTERM, stop)
    try:
        with pytest.raises(Term):
            with _interrupts_deferred():
                os.kill(os.getpid(), signal.SIGTERM)
        assert signal.getsignal(signal.SIGTERM) is stop
    finally:
        signal.signal(signal.SIGTERM, old)


def test_a_part_a_signal_cut_short_is_removed_with_the_store(tmp_path):
    """SIGTERM between atomic_write's temporary file and its clean-up left `.part-...tmp` behind
    (a CI run of the SIGTERM test); the store removes this process's on leaving, no other's."""
    from cimsim.sweep.store import SweepStore

    store = SweepStore(tmp_path / "s.parquet")
    with pytest.raises(KeyboardInterrupt):
        with store:
            store.parts_dir.mkdir(parents=True)
            mine = store.parts_dir / f".part-{os.getpid()}-000003-e28329ad.parquet.huomwu56.tmp"
            other = store.parts_dir / f".part-{os.getpid() + 1}-000001-0000aaaa.parquet.x.tmp"
            mine.write_bytes(b"half")
            other.write_bytes(b"another writer's")
            raise KeyboardInterrupt
    assert not mine.exists() and other.exists()
