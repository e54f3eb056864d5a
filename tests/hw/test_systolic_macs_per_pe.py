"""``tpu.macs_per_pe``: MACs a PE does per cycle at the array's weight_bits (find-A 3).

An FPGA DSP48E2 packs two int8 MACs (one input times two weights) and about four int4. With
``lanes`` MACs a PE, the array takes ``lanes`` adjacent output columns a PE: the n dimension folds
as ⌈n / lanes⌉ and the peak is rows x cols x lanes x clock. The case: a 64 x 128 array at
tpu-like's 700 MHz; ws GEMV M = 1, K = 512, N = 1024.
"""

from __future__ import annotations

import pytest

from cimsim import simulate
from cimsim.config import load_architecture
from cimsim.errors import ConfigError
from cimsim.workload import generators as g

ARRAY = {"tpu.rows": 64, "tpu.cols": 128}


def _run(m, k, n, **sets):
    r = simulate(load_architecture("tpu-like", {**ARRAY, **sets}), g.matmul(m, k, n, dtype="int8"),
                 keep_ops=True, engine="analytic")
    return r, r.op_table.iloc[0]


def test_two_lanes_halve_the_ws_column_folds_and_double_the_peak():
    _, one = _run(1, 512, 1024)
    r, two = _run(1, 512, 1024, **{"tpu.macs_per_pe": {8: 2, 4: 4}})
    # 8 x 8 = 64 folds of 2·64 + 128 + 1 − 2 = 255 cycles, less 1; with 2 lanes 8 x 4 = 32 folds
    assert one["compute_s"] == pytest.approx((64 * 255 - 1) / 700e6, rel=1e-12, abs=0)
    assert two["compute_s"] == pytest.approx((32 * 255 - 1) / 700e6, rel=1e-12, abs=0)
    # tpu_mac: the 524,288 MACs over the peak 64 x 128 x 2 x 700 MHz, over the latency
    assert r.utilization["tpu_mac"] == pytest.approx(
        512 * 1024 / (64 * 128 * 2 * 700e6) / r.latency_s, rel=1e-9, abs=0)


def test_the_entry_for_weight_bits_is_used():
    # at 4 bits, 4 lanes: 8 x ⌈256/128⌉ = 16 folds
    _, op = _run(1, 512, 1024, **{"tpu.macs_per_pe": {8: 2, 4: 4}, "tpu.weight_bits": 4,
                                  "tpu.input_bits": 4})
    assert op["compute_s"] == pytest.approx((16 * 255 - 1) / 700e6, rel=1e-12, abs=0)


def test_output_stationary_folds_n_over_lanes_too():
    # os, M = 256, K = 64: ⌈256/64⌉ x ⌈512/128⌉ = 16 folds of 64 + 128 + 64 − 2 = 254 cycles
    _, op = _run(256, 64, 1024, **{"tpu.macs_per_pe": {8: 2}, "tpu.dataflow": "os"})
    assert op["compute_s"] == pytest.approx((16 * 254 - 1) / 700e6, rel=1e-12, abs=0)


def test_a_missing_entry_for_weight_bits_is_refused():
    with pytest.raises(ConfigError, match="macs_per_pe: has no entry for weight_bits 8"):
        load_architecture("tpu-like", {"tpu.macs_per_pe": {4: 4}})
    # a --set path names the bits as text
    _, op = _run(1, 512, 1024, **{"tpu.macs_per_pe.8": 2})
    assert op["compute_s"] == pytest.approx((32 * 255 - 1) / 700e6, rel=1e-12, abs=0)
