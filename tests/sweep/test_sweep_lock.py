"""The sweep's ``OUT.lock`` (find-U 1 and 7): two sweeps never both hold it, and a file system
without ``flock`` is a warning (the sweep runs unguarded), not a refusal that leaks the lock file.

Both windows need the moment of one system call: the tests replace ``fcntl.flock`` for one call
(the real call still runs in test 1), because nothing else can put a sweep's exit between
another's ``open`` and ``flock``, or give a local disk a file system without ``flock``.
"""

from __future__ import annotations

import errno
import fcntl
import os
import warnings

import pytest
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.errors import CimsimWarning
from cimsim.sweep.store import LOCK_MAGIC, SweepBusy, SweepStore


def test_a_sweep_finishing_between_open_and_flock_leaves_one_lock_holder(tmp_path, monkeypatch):
    """A held the lock; B opened A's lock file; A finished (removed the file, released it); B's
    flock then locked the removed file, and a third sweep C created a new lock file and locked
    that too: B and C both wrote the output. B now sees its file is gone and locks the one there."""
    out = tmp_path / "race.parquet"
    a = SweepStore(out).__enter__()
    real = fcntl.flock

    def flock_after_a_finishes(fd, op):  # A's exit inside B's window, then B's real flock
        monkeypatch.setattr(fcntl, "flock", real)
        a.__exit__(None, None, None)
        return real(fd, op)

    monkeypatch.setattr(fcntl, "flock", flock_after_a_finishes)
    b = SweepStore(out).__enter__()
    assert fcntl.flock is real  # B went through the window
    assert os.path.exists(b.lock_path) and b._lock_owned
    assert os.fstat(b._lock_fd).st_ino == os.stat(b.lock_path).st_ino
    assert b.lock_path.read_bytes() == LOCK_MAGIC
    with pytest.raises(SweepBusy, match="another sweep is writing this file"):
        SweepStore(out).__enter__()
    b.__exit__(None, None, None)
    assert not b.lock_path.exists()


def _no_flock(fd, op):
    raise OSError(errno.ENOSYS, os.strerror(errno.ENOSYS))


def test_a_file_system_without_flock_runs_unguarded_with_a_warning(tmp_path, monkeypatch):
    """flock raising ENOSYS (Lustre without -o flock) was "cannot write there", and left an
    empty lock file (and its fd) that no later sweep removed."""
    out = tmp_path / "nolock.parquet"
    monkeypatch.setattr(fcntl, "flock", _no_flock)
    store = SweepStore(out)
    with pytest.warns(CimsimWarning) as got:
        store.__enter__()
    (msg,) = [str(w.message) for w in got]
    assert msg == (f"cannot lock {store.lock_path} (the file system does not support flock: "
                   "Function not implemented): concurrent sweeps on this output are not guarded")
    assert store._lock_fd is None and not store.lock_path.exists()
    store.__exit__(None, None, None)

    args = ["sweep", "cpu-ddr5", "-w", "lstm", "--param", "memory.dram.bandwidth=50GB/s,100GB/s",
            "--engine", "analytic", "--workers", "1", "-q", "-o", str(out)]
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "cannot write there" not in res.output
    assert "concurrent sweeps on this output are not guarded" in res.output
    assert out.is_file() and not store.lock_path.exists()
