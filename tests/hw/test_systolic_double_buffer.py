"""``tpu.double_buffer_weights``: the next weight tile shifts in while a fold computes (find-A 2).

SCALE-Sim counts a weight-stationary fold as 2·rows + cols + M − 2 cycles (``rows`` of them to
load the tile). TPU v1 holds a second tile "to hide the 256 cycles it takes to shift a tile in"
(Jouppi et al., ISCA 2017), so a fold after the first costs rows + cols + M − 2. The case: a
batch-1 GEMV, M = 1, K = 512, N = 1024, on a 64 x 128 ws array at tpu-like's 700 MHz:
F = ⌈512/64⌉·⌈1024/128⌉ = 64 folds.
"""

from __future__ import annotations

import pytest

from cimsim import simulate
from cimsim.config import load_architecture
from cimsim.errors import ConfigError
from cimsim.hw.systolic_timing import ws_cycles, ws_cycles_double_buffered
from cimsim.workload import generators as g

ARRAY = {"tpu.rows": 64, "tpu.cols": 128}
SCALESIM = 64 * (2 * 64 + 128 + 1 - 2) - 1  # 16,319 cycles
DOUBLE = 64 * (64 + 128 + 1 - 2) + 64 - 1  # 12,287: the first fold as SCALE-Sim, 63 at 191


def _op(**sets):
    r = simulate(load_architecture("tpu-like", {**ARRAY, **sets}), g.matmul(1, 512, 1024, dtype="int8"),
                 keep_ops=True, engine="analytic")
    return r.op_table.iloc[0]


def test_closed_forms():
    assert ws_cycles(1, 512, 1024, 64, 128) == SCALESIM == 16_319
    assert ws_cycles_double_buffered(1, 512, 1024, 64, 128) == DOUBLE == 12_287
    # one fold: nothing to hide, SCALE-Sim's count
    assert ws_cycles_double_buffered(5, 64, 128, 64, 128) == ws_cycles(5, 64, 128, 64, 128) == 2 * 64 + 128 + 5 - 2 - 1


def test_simulate_uses_the_double_buffered_count_only_when_asked():
    assert _op()["compute_s"] == pytest.approx(SCALESIM / 700e6, rel=1e-12, abs=0)
    assert _op(**{"tpu.double_buffer_weights": True})["compute_s"] == pytest.approx(
        DOUBLE / 700e6, rel=1e-12, abs=0)


def test_refused_outside_ws():
    with pytest.raises(ConfigError, match="double_buffer_weights"):
        load_architecture("tpu-like", {"tpu.double_buffer_weights": True, "tpu.dataflow": "os"})
