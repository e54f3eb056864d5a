"""cimsim.sweep_pool: one Dask LocalCluster kept warm across sweep() calls (find-L5 1)."""

from __future__ import annotations

import os

import pandas as pd
import pytest

import cimsim
from cimsim.sweep import POINT_ID, sweep
from cimsim.sweep.executors import SchedulerError

GEN1 = {"memory.dram.bandwidth": "10GB/s..1TB/s:log:3"}
GEN2 = {"memory.dram.bandwidth": ["20 GB/s", "400 GB/s"]}


def _rows(df: pd.DataFrame) -> pd.DataFrame:
    out = df.sort_values(POINT_ID).reset_index(drop=True)
    out.attrs = {}
    return out


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie has ended
    except OSError:
        return True


@pytest.mark.slow
def test_two_calls_on_one_pool_match_two_cold_calls_on_the_same_workers():
    cold = [sweep("cpu-ddr5", "tcn", gen, workers=1) for gen in (GEN1, GEN2)]
    with cimsim.sweep_pool(workers=2) as pool:
        before = pool.worker_state()
        warm = [pool.sweep("cpu-ddr5", "tcn", GEN1), sweep("cpu-ddr5", "tcn", GEN2, scheduler=pool)]
        after = pool.worker_state()
        assert pool.worker_addresses() == set(before) == set(after)  # the same two workers
        assert {a: s["pid"] for a, s in before.items()} == {a: s["pid"] for a, s in after.items()}
        # 5 points of one workload over two calls: each worker parsed it at most once
        loads = [n for s in after.values() for n in s["workload_loads"].values()]
        assert 1 <= sum(loads) <= 2 and max(loads) == 1
        pids = [s["pid"] for s in after.values()]
    for c, w in zip(cold, warm):
        assert len(w) == w.attrs["computed"] == len(c)
        pd.testing.assert_frame_equal(_rows(c), _rows(w))  # same rows and point ids
    assert len(warm[0]) == 3 and len(warm[1]) == 2 and warm[0][cimsim.sweep.ERROR].isna().all()
    # closing is clean: the worker processes are gone, and the pool refuses another sweep
    assert pool.closed and pool.client is None
    assert all(_gone(p) for p in pids) and os.getpid() not in pids
    with pytest.raises(SchedulerError, match=r"sweep_pool\(workers=2\) is closed"):
        pool.sweep("cpu-ddr5", "tcn", GEN2)
    pool.close()  # again: nothing to do


def test_bad_pool_arguments_are_one_line_each():
    with pytest.raises(SchedulerError, match=r"sweep_pool\(workers=0\): expected a whole number >= 1"):
        cimsim.sweep_pool(workers=0)
    with pytest.raises(SchedulerError, match=r"scheduler=3: expected 'local:N'.*cimsim.sweep_pool"):
        sweep("cpu-ddr5", "tcn", GEN2, scheduler=3)


@pytest.mark.slow
@pytest.mark.parametrize("call", [
    "with cimsim.sweep_pool(workers=1) as pool:\n    pool.sweep('cpu-ddr5', 'tcn', engine='analytic', params=P)\n",
    "cimsim.sweep('cpu-ddr5', 'tcn', engine='analytic', scheduler='local:1', params=P)\n",
])
def test_an_unguarded_pool_in_a_script_is_one_clear_error(tmp_path, call):
    """review L45 2: a module-level sweep_pool() (or scheduler='local:1') without the __main__
    guard died in a ~170-line Dask traceback (a worker re-importing the script started a
    cluster of its own); now the worker's import ends quietly and the caller gets one CimsimError
    naming the guard."""
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text("import cimsim\nP = {'memory.dram.bandwidth': ['100 GB/s', '200 GB/s']}\n" + call)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=240,
                         cwd=tmp_path)
    assert run.returncode != 0
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("cimsim.errors.CimsimError: the sweep's Dask worker processes could not start")
    assert 'if __name__ == "__main__":' in last
    assert run.stderr.count("Traceback") == 1, run.stderr  # the caller's only


@pytest.mark.slow
def test_workers_with_a_pool_is_refused_in_a_python_calls_words():
    """review L45 6: sweep(scheduler=pool, workers=3) was told about --workers and --scheduler."""
    with cimsim.sweep_pool(workers=1) as pool:
        with pytest.raises(SchedulerError) as e:
            sweep("cpu-ddr5", "tcn", GEN2, scheduler=pool, workers=3, engine="analytic")
    assert str(e.value) == ("sweep(scheduler=pool, workers=3): a pool's sweep runs on the pool's workers "
                            "(sweep_pool(workers=1)); set them in sweep_pool(workers=N)")
