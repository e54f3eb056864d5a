"""The processor (hw/processor.py): GEMV and GEMM time, traffic and energy, weight reuse on
chip, vector ops, and its config defaults.

Golden values are arithmetic on the round-number fixtures of conftest.py
(4 cores x 1 GHz x 8 fp32 MAC = 32 GMAC/s, DRAM 10 GB/s + 100 ns, SRAM 1 MiB
at 1 TB/s), written out here, never copied from the code's output.
"""

from __future__ import annotations

import copy

import pytest

from cimsim import simulate
from cimsim.workload import Op, Tensor, Workload

from conftest import ROUND_ARCH, gemv_workload, make_arch

pJ = 1e-12


# --------------------------------------------------------------------------- processor goldens
def test_gemv_streams_weights_from_dram(round_arch):
    # 4 MiB of fp32 weights > 1 MiB SRAM: every use streams them at 10 GB/s; the model input
    # x (4 KiB) starts in DRAM and is read once; the output (4 KiB) stays on chip
    w = gemv_workload(1024, 1024)
    r = simulate(round_arch, w)
    weight_bytes = 4 * 1024 * 1024
    dram = weight_bytes + 4096
    assert r.facts["processor_weights_on_chip"] is False
    assert r.traffic_bytes["dram"] == dram
    assert r.latency_s == pytest.approx(dram / 10e9 + 100e-9, rel=1e-12, abs=0)
    assert r.bound == "memory"
    e = r.energy_breakdown_j
    assert e["dram"] == pytest.approx(dram * 8 * 10 * pJ, rel=1e-12, abs=0)
    assert e["processor_compute"] == pytest.approx(1024 * 1024 * 4 * pJ, rel=1e-12, abs=0)
    # SRAM: weights + 4 KiB input + 4 KiB output pass through it, 1 pJ/B
    assert e["sram"] == pytest.approx((weight_bytes + 2 * 4096) * 1 * pJ, rel=1e-12, abs=0)
    assert e["static"] == pytest.approx(1.0 * (dram / 10e9 + 100e-9), rel=1e-12, abs=0)
    assert r.utilization["processor_mac"] == pytest.approx(
        1024 * 1024 / 32e9 / (dram / 10e9 + 100e-9), rel=1e-12, abs=0)


def test_gemv_analytic_equals_des(round_arch):
    w = gemv_workload(1024, 1024)
    des = simulate(round_arch, w, engine="des")
    ana = simulate(round_arch, w, engine="analytic")
    assert ana.latency_s == pytest.approx(des.latency_s, rel=1e-12, abs=0)


@pytest.mark.parametrize("m, dram_bytes", [
    # 256 x 256 fp32 weights (256 KiB) fit the SRAM: read once from DRAM.
    # m=512: activations 512*256*4 in + out = 1 MiB <= SRAM -> on chip, but the model input
    # (512 x 256 x 4 B) starts in DRAM and is read from there once
    (512, 256 * 256 * 4 + 512 * 256 * 4),
    # m=1024: activations 2 MiB > SRAM -> both in and out through DRAM
    (1024, 256 * 256 * 4 + 2 * 1024 * 256 * 4),
])
def test_compute_bound_gemm(round_arch, m, dram_bytes):
    w = gemv_workload(256, 256, rows=m, name="gemm")
    r = simulate(round_arch, w)
    macs = m * 256 * 256
    assert r.macs == macs
    assert r.facts["processor_weights_on_chip"] is True
    assert r.traffic_bytes["dram"] == dram_bytes
    assert dram_bytes / 10e9 < macs / 32e9  # compute dominates the transfer
    assert r.latency_s == pytest.approx(macs / 32e9 + 100e-9, rel=1e-12, abs=0)
    assert r.bound == "compute"
    assert r.utilization["processor_mac"] == pytest.approx((macs / 32e9) / (macs / 32e9 + 100e-9), rel=1e-12, abs=0)
    assert r.energy_breakdown_j["processor_compute"] == pytest.approx(macs * 4 * pJ, rel=1e-12, abs=0)
    assert r.energy_breakdown_j["dram"] == pytest.approx(dram_bytes * 8 * 10 * pJ, rel=1e-12, abs=0)


def test_weight_reused_on_chip_reads_dram_once(round_arch):
    # the same 256 KiB weight used by two chained matmuls: only the first reads DRAM
    k = 256
    wl = Workload("reuse", [
        Tensor("x", (1, k), "fp32", "input"),
        Tensor("W", (k, k), "fp32", "weight"),
        Tensor("y1", (1, k), "fp32", "activation"),
        Tensor("y2", (1, k), "fp32", "activation"),
    ], [
        Op("mm1", "matmul", ("x", "W"), ("y1",), m=1, k=k, n=k, weight="W"),
        Op("mm2", "matmul", ("y1", "W"), ("y2",), m=1, k=k, n=k, weight="W"),
    ])
    r = simulate(round_arch, wl)
    assert r.traffic_bytes["dram"] == k * k * 4 + k * 4  # W once, and the model input x once
    # op 1 streams 256 KiB + x's 1 KiB (+100 ns); op 2 is on chip: (256 KiB + 2 KiB) / 1 TB/s
    t1 = (k * k * 4 + k * 4) / 10e9 + 100e-9
    t2 = max(k * k / 32e9, (k * k * 4 + 2 * k * 4) / 1e12)
    assert r.latency_s == pytest.approx(t1 + t2, rel=1e-12, abs=0)


def test_vector_op_time_and_energy(round_arch):
    # 2^20 fp32 elements of relu (1 op/element) at 4 x 1 GHz x 8 = 32 Gop/s;
    # 4 MiB in + 4 MiB out > SRAM -> through DRAM (8 MiB at 10 GB/s dominates)
    n = 1 << 20
    wl = Workload("relu", [Tensor("x", (n,), "fp32", "input"), Tensor("y", (n,), "fp32", "activation")],
                  [Op("r", "elementwise", ("x",), ("y",), fn="relu")])
    r = simulate(round_arch, wl)
    assert r.traffic_bytes["dram"] == 2 * 4 * n
    assert r.latency_s == pytest.approx(2 * 4 * n / 10e9 + 100e-9, rel=1e-12, abs=0)
    assert r.energy_breakdown_j["processor_compute"] == pytest.approx(n * 1 * pJ, rel=1e-12, abs=0)
    assert r.macs == 0


def test_processor_op_overhead_may_be_omitted():
    # regression: a bare 0.0 default was rejected by its own unit validator
    from conftest import ROUND_ARCH

    proc = copy.deepcopy(ROUND_ARCH["processor"])
    del proc["op_overhead"]
    arch = make_arch(name="no-overhead", processor=proc)
    assert arch.components["processor"].op_overhead == 0.0


def test_op_overhead_by_kind_replaces_op_overhead_for_its_kinds():
    # two ops in a chain: a relu (elementwise) and a softmax of 4 fp32 elements each; the
    # processor's own op_overhead 1 us, softmax 5 us by kind: 1 + 5 us of dispatch, plus each
    # op's bytes (16 B in + 16 B out, SRAM-resident activations aside) and DRAM latency
    from cimsim.errors import MappingError

    proc = copy.deepcopy(ROUND_ARCH["processor"])
    wl = Workload("two", [Tensor("x", (4,), "fp32", "input"), Tensor("y", (4,), "fp32", "activation"),
                          Tensor("z", (4,), "fp32", "activation")],
                  [Op("r", "elementwise", ("x",), ("y",), fn="relu"), Op("s", "softmax", ("y",), ("z",))])
    base = simulate(make_arch(name="plain", processor={**proc, "op_overhead": "1 us"}), wl).latency_s
    by_kind = simulate(make_arch(name="by-kind", processor={**proc, "op_overhead": "1 us",
                                                          "op_overhead_by_kind": {"softmax": "5 us"}}),
                       wl).latency_s
    assert by_kind - base == pytest.approx(4e-6, rel=1e-9, abs=0)  # the softmax's 5 us in place of 1 us
    bad = make_arch(name="bad", processor={**proc, "op_overhead_by_kind": {"gelu": "5 us"}})
    with pytest.raises(MappingError, match="op_overhead_by_kind names gelu, not an op kind"):
        simulate(bad, wl)


def test_the_weights_note_of_a_processor_with_no_on_chip_level_has_no_empty_list():
    """A config whose only memory level is DRAM printed "stay where they fit; ): ..."."""
    from cimsim.config import architecture_from_dict

    d = copy.deepcopy(ROUND_ARCH)
    d["memory"] = {"dram": d["memory"]["dram"]}
    d["processor"].pop("levels", None)
    r = simulate(architecture_from_dict(d), gemv_workload(64, 64))
    note = next(n for n in r.notes if "stay where they fit" in n)
    assert "stay where they fit; no level before dram):" in note and "; )" not in note


@pytest.mark.parametrize("n, rate", [
    (1, 4 * 1e9 * 8),  # n = 1 (a depthwise conv's product): the vector lanes, 4 cores x 1 GHz x 8
    (2, 4 * 1e9 * 32),  # n = 2: the int8 matrix peak, 4 cores x 1 GHz x 32 MAC
])
def test_single_column_product_runs_at_the_vector_rate(round_arch, n, rate):
    # a product with one output column has no second dimension for a matrix unit: its MACs
    # take the vector rate (32 G/s), not the int8 MAC peak (128 G/s); energy stays per MAC
    w = gemv_workload(64, n, rows=4096, dtype="int8")
    r = simulate(round_arch, w, keep_ops=True)
    macs = 4096 * 64 * n
    row = r.op_table.iloc[0]
    assert row["compute_s"] == pytest.approx(macs / rate, rel=1e-12, abs=0)
    assert r.energy_breakdown_j["processor_compute"] == pytest.approx(macs * 0.25 * pJ, rel=1e-12, abs=0)
    # the MAC unit's utilization counts the products it runs at its int8 peak (128 G/s) over the
    # run; n = 1 runs on the vector lanes, so the MAC unit is idle: 0 (was macs / 128 G over the run)
    mac_s = macs / (4 * 1e9 * 32) if n > 1 else 0.0
    assert r.utilization["processor_mac"] == pytest.approx(mac_s / r.latency_s, rel=1e-12, abs=0)
