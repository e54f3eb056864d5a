"""``tpu.weight_buffer``: the systolic array's on-chip weight (filter) buffer (find-E 2).

Output- and input-stationary runs re-read every weight from the off-chip weight memory at every
fold, and no config could say otherwise (SCALE-Sim feeds its array from a 64 KB filter SRAM).
The case is the finding's: ResNet-18's stem as a GEMM, 12544 x 147 x 64 at int8, on a 32 x 32
output-stationary array: its filter is 147 x 64 = 9,408 B, streamed once per fold of 32 output
rows, ⌈12544 / 32⌉ = 392 times (3,687,936 B from tpu-like's DDR3 at 70 pJ/bit).
"""

from __future__ import annotations

import pytest

from cimsim import simulate
from cimsim.config import load_architecture
from cimsim.report import columns as C
from cimsim.workload import generators as g

FILTER = 147 * 64  # 9,408 B of int8 weights
FOLDS = -(-12544 // 32)  # 392 passes of the weights under os
DDR3 = 70e-12 * 8  # tpu-like's weight memory: 70 pJ/bit, in J/B
ARRAY32 = {"tpu.rows": 32, "tpu.cols": 32, "tpu.dataflow": "os"}


def _stem(**sets):
    """The stem GEMM on tpu-like with ``sets``: (result, its one op's row)."""
    r = simulate(load_architecture("tpu-like", {**ARRAY32, **sets}),
                 g.matmul(12544, 147, 64, dtype="int8"), keep_ops=True, engine="analytic")
    assert r.ops_per_unit["tpu"] == 1 == len(r.op_table)
    return r, r.op_table.iloc[0]


def _buffer(capacity="64 KiB", bandwidth="32 GB/s", energy="2.5 pJ/B"):
    return {"tpu.weight_buffer.capacity": capacity, "tpu.weight_buffer.bandwidth": bandwidth,
            "tpu.weight_buffer.energy_per_byte": energy}


def test_without_a_weight_buffer_os_streams_the_filter_from_dram_at_every_fold():
    assert FOLDS == 392
    r, _ = _stem()
    assert r.traffic_bytes["weights"] == FOLDS * FILTER == 3_687_936
    assert r.energy_breakdown_j["weights"] == pytest.approx(FOLDS * FILTER * DDR3, rel=1e-12, abs=0)
    assert "tpu_weight_buffer" not in r.energy_breakdown_j


def test_a_filter_that_fits_is_read_from_dram_once_and_re_read_from_the_buffer():
    r, op = _stem(**_buffer())
    assert r.traffic_bytes["weights"] == FILTER  # 1x, not 392x
    assert r.energy_breakdown_j["weights"] == pytest.approx(FILTER * DDR3, rel=1e-12, abs=0)
    # the 391 further folds read the buffer: 391 x 9,408 = 3,678,528 B at 2.5 pJ/B = 9.196 µJ
    assert r.energy_breakdown_j["tpu_weight_buffer"] == pytest.approx(
        (FOLDS - 1) * FILTER * 2.5e-12, rel=1e-12, abs=0)
    assert not any("weight_buffer" in n for n in r.notes), r.notes
    # 32 GB/s (one int8 weight per column per cycle at 1 GHz) keeps up with the array:
    # compute stays SCALE-Sim's 784 x 209 - 1 = 163,855 cycles at tpu-like's 700 MHz
    assert op["compute_s"] == pytest.approx(163_855 / 700e6, rel=1e-12, abs=0)


def test_the_buffer_bandwidth_bounds_the_re_reads():
    # 3,678,528 B re-read at 1 GB/s = 3.679 ms, past the array's 234.1 µs
    _, op = _stem(**_buffer(bandwidth="1 GB/s"))
    assert op["compute_s"] == pytest.approx((FOLDS - 1) * FILTER / 1e9, rel=1e-12, abs=0)


def test_a_filter_that_does_not_fit_streams_from_dram_at_every_fold_with_a_note():
    r, _ = _stem(**_buffer(capacity="8 KiB"))  # 8,192 B < 9,408 B
    assert r.traffic_bytes["weights"] == FOLDS * FILTER
    assert r.energy_breakdown_j["tpu_weight_buffer"] == 0.0
    assert any("tpu: 1 op(s) whose weights (up to 9.408 kB) exceed the 8.192 kB "
               "tpu.weight_buffer: they stream from weights at every pass of the dataflow (up to "
               "392 passes), as without one" in n for n in r.notes), r.notes


@pytest.mark.parametrize("dataflow, passes", [("ws", 1), ("is", -(-12544 // 32))])
def test_the_other_dataflows(dataflow, passes):
    """ws passes each weight once: nothing to re-read; is streams every weight column once per
    fold of 32 input vectors, ⌈12544 / 32⌉ = 392 passes, like os here."""
    r, _ = _stem(**_buffer(), **{"tpu.dataflow": dataflow})
    assert r.traffic_bytes["weights"] == FILTER
    assert r.energy_breakdown_j["tpu_weight_buffer"] == pytest.approx(
        (passes - 1) * FILTER * 2.5e-12, rel=1e-12, abs=0)


def test_a_weight_buffer_that_bounds_the_op_is_named_with_its_utilization():
    """review14-1 #4: at 1 GB/s the re-reads (3,678,528 B = 3.679 ms) outlast the array's
    234.1 µs 15.7 x: the bound is the weight buffer's, a memory, not compute at 4.5 % MACs."""
    r, _ = _stem(**_buffer(bandwidth="1 GB/s"))
    reread_s = (FOLDS - 1) * FILTER / 1e9
    assert (r.bound, r.bound_part) == ("memory", "tpu_weight_buffer")
    rec = r.record()
    assert rec[C.path_column("tpu_weight_buffer")] == pytest.approx(reread_s, rel=1e-12, abs=0)
    assert rec[C.BOUND_MEMORY_S] == pytest.approx(reread_s, rel=1e-12, abs=0)
    u = r.utilization["tpu_weight_buffer_bw"]  # its re-reads' time at 1 GB/s over the latency
    assert rec[C.util_column("tpu_weight_buffer_bw")] == u
    assert u * r.latency_s == pytest.approx(reread_s, rel=1e-12, abs=0)
    assert C.util_column("tpu_weight_buffer_bw") in C.result_columns(
        load_architecture("tpu-like", {**ARRAY32, **_buffer()}))


def test_a_weight_buffer_that_keeps_up_leaves_the_bound_to_the_array():
    # 32 GB/s: 3,678,528 B take 114.95 µs, under the array's 163,855 cycles at 700 MHz (234.1 µs)
    r, op = _stem(**_buffer())
    assert (r.bound, r.bound_part) == ("compute", "compute")
    assert r.record()[C.path_column("tpu_weight_buffer")] == 0.0
    assert r.utilization["tpu_weight_buffer_bw"] * r.latency_s == pytest.approx(
        (FOLDS - 1) * FILTER / 32e9, rel=1e-12, abs=0)
    # without a weight buffer: no such utilization, part or column
    r, _ = _stem()
    assert "tpu_weight_buffer_bw" not in r.utilization
    assert C.util_column("tpu_weight_buffer_bw") not in r.record()
