"""``sweep()``'s run settings, which the command line range-checks (``--workers``,
``--flush-every``) or does not offer: each is checked from Python too, in one CimsimError line
naming the argument and what it takes, before anything runs. They were: ``workers=0`` ran on
every core and ``-3`` on one, silently; ``2.5`` and ``"2"`` raised a raw TypeError;
``flush_rows`` 0 / -1, ``flush_seconds`` -5 and ``chunk_size`` 0 were accepted; ``chunk_size=-2``
ended in a SweepIncomplete blaming dying workers."""

from __future__ import annotations

import pytest

from cimsim.errors import CimsimError
from cimsim.sweep import sweep

WORKERS = "workers must be a whole number >= 1 (local worker processes), or None (one per core)"
CHUNK = "chunk_size must be a whole number >= 1 (runs handed to a worker at once), or None (by the sweep's size)"
ROWS = "flush_rows must be a whole number >= 1 (rows per part file written)"
SECONDS = "flush_seconds must be a number of seconds >= 0 (a part file is written at least this often)"


@pytest.mark.parametrize("kw, says", [
    ({"workers": 0}, f"{WORKERS}, got the int 0"),
    ({"workers": -3}, f"{WORKERS}, got the int -3"),
    ({"workers": 2.5}, f"{WORKERS}, got the float 2.5"),
    ({"workers": "2"}, f"{WORKERS}, got the str '2'"),
    ({"workers": True}, f"{WORKERS}, got the bool True"),
    ({"chunk_size": 0}, f"{CHUNK}, got the int 0"),
    ({"chunk_size": -2}, f"{CHUNK}, got the int -2"),
    ({"flush_rows": 0}, f"{ROWS}, got the int 0"),
    ({"flush_rows": -1}, f"{ROWS}, got the int -1"),
    ({"flush_rows": None}, f"{ROWS}, got None"),
    ({"flush_seconds": -5.0}, f"{SECONDS}, got the float -5.0"),
    ({"flush_seconds": float("nan")}, f"{SECONDS}, got the float nan"),
    ({"flush_seconds": "2"}, f"{SECONDS}, got the str '2'"),
])
def test_a_bad_run_setting_is_one_line_before_anything_runs(tmp_path, kw, says):
    out = tmp_path / "never.parquet"
    with pytest.raises(CimsimError) as exc:
        sweep("gpu-hbm3", "gru", ["memory.dram.bandwidth=1TB/s,2TB/s"], output=out,
              announce=lambda line: pytest.fail(f"announced: {line}"), **kw)
    assert str(exc.value) == f"sweep(): {says}"
    assert list(tmp_path.iterdir()) == []


def test_the_edges_run(tmp_path):
    # the smallest allowed values: one worker, one run per chunk, a part file per row, no wait
    df = sweep("gpu-hbm3", "gru", ["memory.dram.bandwidth=1TB/s,2TB/s"], engine="analytic",
               workers=1, chunk_size=1, flush_rows=1, flush_seconds=0, output=tmp_path / "o.parquet")
    assert len(df) == 2 and df["error"].isna().all()  # 2 bandwidths x 1 config x 1 workload


def test_numpy_whole_numbers_are_whole_numbers():
    """np.int64(2) from a user's array was refused as 'got an int64' (a reviewer)."""
    import numpy as np

    from cimsim.cost.cache import CostCache
    from cimsim.sweep.checks import check_run_settings

    check_run_settings(np.int64(2), np.int32(4), np.int64(8), np.float32(1.5))
    assert CostCache(keep=np.int64(2)).keep == 2
