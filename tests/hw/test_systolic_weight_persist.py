"""``tpu.weight_buffer.persist``: weights stay on chip across ops (find-A 1).

An FPGA / ASIC RNN engine keeps W_hh in BRAM / URAM for all time steps; without ``persist`` the
weight buffer holds one op's weights at a time, so a recurrence reads W_hh from the weight memory
once per step. The case: a 2-layer int8 LSTM, input 64, hidden 64, 10 steps, layer schedule, on
tpu-like (weight-stationary: each weight passes once per op). Each of its four matrices (W_ih and
W_hh of two layers) is 4·64 x 64 = 16,384 B; W_ih is used once a layer (one GEMM over all steps),
W_hh once a step.
"""

from __future__ import annotations

import numpy as np
import pytest

from cimsim import simulate
from cimsim.config import load_architecture
from cimsim.hw.weightbuf import WeightBuffer, weight_reads
from cimsim.workload import generators as g

MATRIX = 4 * 64 * 64  # 16,384 B
PER_STEP = 2 * MATRIX + 2 * 10 * MATRIX  # 360,448 B: W_ih once a layer, W_hh once a step
ONCE = 4 * MATRIX  # 65,536 B: each matrix loaded once


def _run(**sets):
    arch = load_architecture("tpu-like", {"tpu.weight_buffer.bandwidth": "1 TB/s",
                                          "tpu.weight_buffer.energy_per_byte": "1 pJ/B", **sets})
    return simulate(arch, g.lstm(64, 64, 2, steps=10, dtype="int8"), engine="analytic")


def test_without_persist_w_hh_is_read_from_the_weight_memory_every_step():
    r = _run(**{"tpu.weight_buffer.capacity": "1 MiB"})
    assert r.traffic_bytes["weights"] == PER_STEP


def test_with_persist_each_matrix_is_loaded_once_and_re_read_from_the_buffer():
    r = _run(**{"tpu.weight_buffer.capacity": "1 MiB", "tpu.weight_buffer.persist": True})
    assert r.traffic_bytes["weights"] == ONCE
    # the 2 x 9 later W_hh steps read the buffer: 18 x 16,384 B at 1 pJ/B
    assert r.energy_breakdown_j["tpu_weight_buffer"] == pytest.approx(18 * MATRIX * 1e-12, rel=1e-12, abs=0)


def test_persist_with_a_buffer_too_small_for_any_matrix_streams_as_before():
    r = _run(**{"tpu.weight_buffer.capacity": "8 KiB", "tpu.weight_buffer.persist": True})
    assert r.traffic_bytes["weights"] == PER_STEP


def test_least_recently_used_matrix_is_evicted():
    buf = WeightBuffer(capacity="2 kB", bandwidth="1 GB/s", energy_per_byte="1 pJ/B", persist=True)
    # matrices 1, 2, 3 of 1 kB each: the buffer holds two. Order 1 2 1 3 2 1:
    # 1 load, 2 load, 1 hit, 3 load (evicts 2, the least recently used), 2 load (evicts 1), 1 load
    ids = np.array([1, 2, 1, 3, 2, 1])
    w = np.full(6, 1000.0)
    from_wl, again = weight_reads(buf, w, np.ones(6), ids)
    assert from_wl.tolist() == [1000, 1000, 0, 1000, 1000, 1000]
    assert again.tolist() == [0, 0, 1000, 0, 0, 0]
    # a matrix larger than the buffer streams at every pass and never enters it
    from_wl, again = weight_reads(buf, np.array([3000.0, 3000.0]), np.array([2.0, 2.0]), np.array([7, 7]))
    assert from_wl.tolist() == [6000, 6000] and again.tolist() == [0, 0]


def test_a_missing_capacity_is_described_with_persist():
    """review A 5: setting persist on a config without a buffer prints capacity's description,
    which said only "their further passes from here"; it now says what persist reads."""
    from cimsim.errors import ConfigError
    with pytest.raises(ConfigError, match=r"capacity: required field is missing .*with persist, a "
                       r"matrix still held from an earlier op reads nothing from weight_memory"):
        load_architecture("tpu-like", {"tpu.weight_buffer.persist": True})
