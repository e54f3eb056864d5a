"""Physics invariants of whole runs, over small generated workloads x architectures x engines.

energy >= 0 and adds up; utilization in [0, 1]; simulated MACs == workload MACs;
DES latency >= every lower bound and >= the analytic engine; DES == analytic where
nothing can contend; scaling laws of the recurrent and hierarchical workloads.
"""

from __future__ import annotations

import copy
import functools

import numpy as np
import pytest

from cimsim import bundled, simulate
from cimsim.config import load_architecture
from cimsim.report.columns import BOUNDS, energy_column, result_columns
from cimsim.workload import load_workload
from cimsim.workload.generators import gru, hier_attn, lstm, tcn, transformer

from conftest import ROUND_ARCH, ROUND_CIM, ROUND_LINK, gemv_workload, make_arch

REL = 1e-9

WORKLOADS = {
    "lstm": lambda: lstm(48, 32, 2, steps=4),
    "lstm-wavefront": lambda: lstm(48, 32, 2, steps=4, schedule="wavefront"),
    "lstm-separate-b2": lambda: lstm(32, 32, 1, steps=3, batch=2, pointwise="separate"),
    "lstm-bf16": lambda: lstm(32, 32, 1, steps=3, dtype="bf16"),
    "gru": lambda: gru(32, 32, 2, steps=4),
    "gru-separate": lambda: gru(32, 16, 1, steps=3, pointwise="separate"),
    "hier-attn-encode": lambda: hier_attn(16, d_model=32, heads=2, window=4),
    "hier-attn-encode-partial": lambda: hier_attn(10, d_model=32, heads=2, window=4),
    "hier-attn-stream": lambda: hier_attn(9, d_model=32, heads=2, window=3, mode="stream"),
    "transformer": lambda: transformer(8, d_model=32, heads=2, ffn=64, layers=2),
    "tcn": lambda: tcn(8, channels=16, kernel=3, layers=3),
}


def _proc(**over):
    """The round processor with a bf16 rate added (the bf16 workload runs everywhere)."""
    d = copy.deepcopy(ROUND_ARCH["processor"])
    d["macs_per_cycle_per_core"]["bf16"] = 16
    d["energy_per_mac"]["bf16"] = "1 pJ"
    d.update(over)
    return d


def _round_cim(arrays: int):
    cim = copy.deepcopy(ROUND_CIM)
    cim["arrays"] = arrays
    return make_arch(name=f"round-cim-{arrays}", processor=_proc(), cim=cim,
                     interconnect=dict(ROUND_LINK))


def _round_pim():
    return make_arch(name="round-pim", processor=_proc(), pim={
        "units_per_channel": 4, "clock": "1 GHz", "macs_per_cycle": 2, "internal_bandwidth": "2 GB/s",
        "energy_per_mac": "1 pJ", "energy_per_bit": "0.5 pJ/bit", "max_rows": 2,
        "static_power": "0.5 W"})


def _tiny_sram():
    mem = copy.deepcopy(ROUND_ARCH["memory"])
    mem["sram"]["capacity"] = "1 KiB"
    return make_arch(name="tiny-sram", processor=_proc(), memory=mem)


EXTRA_ARCHS = {
    "round": lambda: make_arch(processor=_proc()),
    "tiny-sram": _tiny_sram,  # weights and activations spill to DRAM
    # (a CIM too small for the workload is left out of this grid: see
    # test_cim_matrices_sharing_too_few_arrays_serialise)
    "round-cim-64": lambda: _round_cim(64),
    "round-pim": _round_pim,
}
ARCH_NAMES = [p.stem for p in bundled.config_paths()] + list(EXTRA_ARCHS)


@functools.lru_cache(maxsize=None)
def workload(name):
    return WORKLOADS[name]()


@functools.lru_cache(maxsize=None)
def arch(name):
    if name in EXTRA_ARCHS:
        return EXTRA_ARCHS[name]()
    return load_architecture(bundled.configs_dir() / f"{name}.yaml")


@functools.lru_cache(maxsize=None)
def result(wname, aname, engine):
    return simulate(arch(aname), workload(wname), engine=engine)


@functools.lru_cache(maxsize=None)
def bundled_result(wname, aname, engine="des"):
    wl = load_workload(bundled.workloads_dir() / f"{wname}.json")
    return simulate(arch(aname), wl, engine=engine)


grid = pytest.mark.parametrize("aname", ARCH_NAMES)
wgrid = pytest.mark.parametrize("wname", list(WORKLOADS))
egrid = pytest.mark.parametrize("engine", ["des", "analytic"])


# --------------------------------------------------------------------------- per-run invariants
@egrid
@grid
@wgrid
def test_energy_parts_nonnegative_and_sum(wname, aname, engine):
    r = result(wname, aname, engine)
    a = arch(aname)
    assert tuple(r.energy_breakdown_j) == tuple(
        f"{c.name}_{p}" for c in a.instances for p in c.energy_parts) + a.hardware.resources + ("static",)
    for comp, v in r.energy_breakdown_j.items():
        assert np.isfinite(v) and v >= 0.0, comp
    assert r.energy_j > 0.0
    assert sum(r.energy_breakdown_j.values()) == pytest.approx(r.energy_j, rel=1e-12, abs=0)
    rec = r.record()
    assert sum(rec[energy_column(c)] for c in r.energy_breakdown_j) == pytest.approx(rec["energy_j"], rel=1e-12, abs=0)
    # per-op energies plus static add up to the total
    static = r.energy_breakdown_j["static"]
    assert r.op_table["energy_j"].sum() + static == pytest.approx(r.energy_j, rel=1e-12, abs=0)


@egrid
@grid
@wgrid
def test_utilization_in_unit_interval(wname, aname, engine):
    r = result(wname, aname, engine)
    a = arch(aname)
    assert tuple(r.utilization) == tuple(f"{c.name}_{u}" for c in a.instances for u in c.utilizations) + tuple(
        f"{res}_bw" for res in a.hardware.resources)
    for k, v in r.utilization.items():
        assert 0.0 <= v <= 1.0, (k, v)


@egrid
@grid
@wgrid
def test_simulated_macs_equal_workload_macs(wname, aname, engine):
    r = result(wname, aname, engine)
    wl = workload(wname)
    assert r.op_table["macs"].sum() == wl.macs
    assert r.macs == wl.macs
    assert wl.macs == wl.metadata["macs"]
    assert r.ops == len(wl.ops) == len(r.op_table)
    assert sum(r.ops_per_unit.values()) == len(wl.ops)


@egrid
@grid
@wgrid
def test_bound_and_record_columns(wname, aname, engine):
    r = result(wname, aname, engine)
    assert r.bound in BOUNDS  # report/columns.py: memory, interconnect, compute, dependency, overhead
    rec = r.record()
    assert tuple(rec) == result_columns(arch(aname))
    assert rec["engine"] == engine
    # the critical-path parts add up to the time of the realised path (never more than latency)
    assert sum(r.path_time_s.values()) <= r.latency_s * (1 + REL)
    assert min(r.path_time_s.values()) >= 0.0
    # the dependency path is one path of the graph: never deeper than its longest (find-X 1)
    assert r.critical_path_serial_steps <= r.graph_depth_serial_steps
    assert r.critical_path_ops <= r.graph_depth_ops


@grid
@wgrid
def test_des_latency_above_lower_bounds(wname, aname):
    des = result(wname, aname, "des")
    ana = result(wname, aname, "analytic")
    assert des.latency_s >= des.critical_path_s * (1 - REL)
    assert des.latency_s >= des.bound_memory_s * (1 - REL)
    assert des.latency_s >= des.bound_link_s * (1 - REL)
    assert des.latency_s >= des.bound_compute_s * (1 - REL)
    assert des.latency_s >= ana.latency_s * (1 - REL)
    # the analytic engine is the largest of its bounds
    assert ana.latency_s >= ana.critical_path_s * (1 - REL)
    assert ana.latency_s >= ana.bound_memory_s * (1 - REL)
    assert ana.latency_s >= ana.bound_link_s * (1 - REL)
    assert ana.latency_s >= ana.bound_compute_s * (1 - REL)
    # both engines cost the same ops identically
    assert des.critical_path_s == ana.critical_path_s
    assert des.energy_j - des.energy_breakdown_j["static"] == pytest.approx(
        ana.energy_j - ana.energy_breakdown_j["static"], rel=1e-12, abs=0)


@grid
@wgrid
def test_des_schedule_is_feasible(wname, aname):
    r = result(wname, aname, "des")
    t = r.op_table
    start, end = t["start_s"].to_numpy(), t["end_s"].to_numpy()
    assert (start >= 0).all()
    # bandwidth sharing only slows an op: each takes at least its isolated duration
    assert (end - start >= t["duration_s"].to_numpy() * (1 - REL) - 1e-18).all()
    indptr, indices = workload(wname).predecessors
    for i in range(len(start)):
        preds = indices[indptr[i]:indptr[i + 1]]
        if len(preds):
            assert start[i] >= end[preds].max() * (1 - 1e-12), i
    # one op at a time per server
    for s in np.unique(t["server"]):
        sel = np.flatnonzero(t["server"].to_numpy() == s)
        order = sel[np.argsort(start[sel], kind="stable")]
        assert (start[order[1:]] >= end[order[:-1]] * (1 - 1e-12)).all(), s
    assert r.latency_s == end.max()


@pytest.mark.parametrize("aname", ["cpu-ddr5", "gpu-hbm3", "round", "tiny-sram"])
@wgrid
def test_single_server_des_equals_analytic(wname, aname):
    # every op on the processor: one op at a time, so no transfers overlap and
    # the server never idles -> DES latency == sum of isolated durations == analytic
    des = result(wname, aname, "des")
    ana = result(wname, aname, "analytic")
    assert des.ops_per_unit["processor"] == des.ops
    assert des.latency_s == pytest.approx(ana.latency_s, rel=REL, abs=0)
    assert des.latency_s == pytest.approx(des.op_table["duration_s"].sum(), rel=REL, abs=0)


def test_pure_chain_des_equals_analytic_on_cim(cim_arch):
    # a chain of matmuls alternating two CIM matrices: nothing overlaps
    from cimsim.workload import Op, Tensor, Workload

    t = [Tensor("x", (1, 128), "fp32", "input"),
         Tensor("A", (128, 128), "fp32", "weight"), Tensor("B", (128, 128), "fp32", "weight")]
    ops, prev = [], "x"
    for i in range(6):
        w = "AB"[i % 2]
        t.append(Tensor(f"y{i}", (1, 128), "fp32", "activation"))
        ops.append(Op(f"mm{i}", "matmul", (prev, w), (f"y{i}",), m=1, k=128, n=128, weight=w))
        prev = f"y{i}"
    wl = Workload("chain", t, ops)
    des = simulate(cim_arch, wl, engine="des")
    ana = simulate(cim_arch, wl, engine="analytic")
    assert des.critical_path_ops == 6
    assert des.latency_s == pytest.approx(ana.latency_s, rel=REL, abs=0)
    assert des.latency_s == pytest.approx(des.critical_path_s, rel=REL, abs=0)
    # each op (one vector, so serial): 128 B in + 512 B out over 100 GB/s, then
    # 8 slices x 100 ns, then 10 ns link latency; the first also reads x (a model input) from
    # DRAM, 512 B at 10 GB/s beside the link's 6.4 ns, and pays the DRAM's 100 ns latency
    link = (128 + 512) / 100e9
    assert des.latency_s == pytest.approx(6 * (link + 8 * 100e-9 + 10e-9) + (512 / 10e9 - link) + 100e-9,
                                          rel=1e-12, abs=0)


def test_contention_makes_des_slower_than_analytic(round_arch):
    # two independent GEMVs, one on the processor and one on PIM, both moving
    # data over DRAM at once: DES shares the bus, the analytic bound does not
    from cimsim.workload import Op, Tensor, Workload

    pim = _round_pim()
    k = 1024
    wl = Workload("two", [
        Tensor("x", (1, k), "fp32", "input"), Tensor("W1", (k, k), "fp32", "weight"),
        Tensor("W2", (k, k), "fp32", "weight"), Tensor("X2", (4, k), "fp32", "input"),
        Tensor("y1", (1, k), "fp32", "activation"), Tensor("y2", (4, k), "fp32", "activation"),
    ], [
        Op("pim", "matmul", ("x", "W1"), ("y1",), m=1, k=k, n=k, weight="W1"),
        Op("cpu", "matmul", ("X2", "W2"), ("y2",), m=4, k=k, n=k, weight="W2"),
    ])
    des = simulate(pim, wl, engine="des")
    ana = simulate(pim, wl, engine="analytic")
    assert des.ops_per_unit == {"processor": 1, "pim": 1}
    assert des.latency_s >= ana.latency_s * (1 - REL)


# --------------------------------------------------------------------------- CIM arrays over-subscribed
@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_cim_matrices_sharing_too_few_arrays_serialise(engine):
    from cimsim.workload import Op, Tensor, Workload

    # two independent 128 x 64 matrices of 2 arrays each (256 phys cols) on a 2-array CIM
    wl = Workload("two-mvm", [
        Tensor("x", (1, 128), "fp32", "input"),
        Tensor("A", (128, 64), "fp32", "weight"), Tensor("B", (128, 64), "fp32", "weight"),
        Tensor("ya", (1, 64), "fp32", "activation"), Tensor("yb", (1, 64), "fp32", "activation"),
    ], [
        Op("a", "matmul", ("x", "A"), ("ya",), m=1, k=128, n=64, weight="A"),
        Op("b", "matmul", ("x", "B"), ("yb",), m=1, k=128, n=64, weight="B"),
    ])
    r = simulate(_round_cim(2), wl, engine=engine)
    # pinning either leaves no room for the other (2 + 2 > 2): both re-program
    assert r.facts["cim_reprograms"] == 2
    # each op: program 128 rows x 1 us, then 8 slices x 100 ns; they need the same 2 arrays
    per_op = 128 * 1e-6 + 8 * 100e-9
    assert r.latency_s >= 2 * per_op
    assert r.utilization["cim_arrays"] <= 1.0


def test_cim_reprogramming_chain_invariants():
    # a chain cannot overlap, so a CIM too small for it is still consistent
    # TCN: im2col -> conv -> relu per layer, one 48 x 16 matrix (1 array) per layer: 3 arrays
    wl = workload("tcn")
    for engine in ("des", "analytic"):
        r = simulate(_round_cim(2), wl, engine=engine)
        assert r.facts["cim_arrays_needed"] == 3
        assert r.facts["cim_reprograms"] == 2  # layer 1 pinned; 2 and 3 share the other array
        assert all(v >= 0 for v in r.energy_breakdown_j.values())
        assert all(0 <= v <= 1 for v in r.utilization.values())
        assert r.op_table["macs"].sum() == wl.macs


# --------------------------------------------------------------------------- dram_bw utilization
def test_dram_bw_utilization_is_relative_to_peak():
    # a fully bandwidth-bound run on a bus sustaining half its peak uses ~50 % of the peak
    mem = copy.deepcopy(ROUND_ARCH["memory"])
    mem["dram"]["sustained_fraction"] = 0.5
    arch_half = make_arch(name="half-bw", memory=mem)
    r = simulate(arch_half, gemv_workload(1024, 1024))
    nbytes = 4 * 1024 * 1024 + 4096  # the weights and the model input x, read from DRAM once
    latency = nbytes / 5e9 + 100e-9
    assert r.latency_s == pytest.approx(latency, rel=1e-12, abs=0)
    assert r.utilization["dram_bw"] == pytest.approx(nbytes / (10e9 * latency), rel=1e-12, abs=0)
    assert r.utilization["dram_bw"] == pytest.approx(0.5, rel=1e-3, abs=0)


def test_dram_bw_utilization_full_bandwidth(round_arch):
    r = simulate(round_arch, gemv_workload(1024, 1024))
    nbytes = 4 * 1024 * 1024 + 4096  # the weights and the model input x
    latency = nbytes / 10e9 + 100e-9
    assert r.utilization["dram_bw"] == pytest.approx(nbytes / (10e9 * latency), rel=1e-12, abs=0)


# --------------------------------------------------------------------------- scaling laws
@pytest.mark.parametrize("aname", ["gpu-hbm3", "cpu-ddr5"])
def test_lstm_latency_linear_in_steps(aname):
    # bundled LSTM sizes (I = H = 2048, 2 layers), fewer steps
    lat = [simulate(arch(aname), lstm(2048, 2048, 2, steps=T), keep_ops=False).latency_s
           for T in (5, 10, 15)]
    d1, d2 = lat[1] - lat[0], lat[2] - lat[1]
    assert d1 > 0
    assert d2 == pytest.approx(d1, rel=0.01, abs=0)


def test_lstm_critical_path_ops_double_with_steps():
    a = arch("cpu-ddr5")
    L = 2
    cp = {T: simulate(a, lstm(32, 32, L, steps=T), keep_ops=False).critical_path_ops for T in (4, 8, 16)}
    # per layer: input projection, then T state updates and T-1 recurrent matmuls, then the concat
    for T in (4, 8, 16):
        assert abs(cp[T] - L * 2 * T) <= L, (T, cp[T])
    for T in (4, 8):
        assert abs(cp[2 * T] - 2 * cp[T]) <= L
    assert cp[16] - cp[8] == 2 * (cp[8] - cp[4])  # exactly linear


def test_hier_attn_doubling_n_adds_at_most_one_level():
    a = arch("cpu-ddr5")
    w = 4

    def cp_ops(n):
        return simulate(a, hier_attn(n, d_model=32, heads=2, window=w), keep_ops=False).critical_path_ops

    # one level's worth: going from w (1 level) to w^2 (2 levels)
    per_level = cp_ops(w * w) - cp_ops(w)
    assert per_level > 0
    assert cp_ops(w ** 3) - cp_ops(w * w) == per_level
    for n in (4, 8, 16, 32):
        grow = cp_ops(2 * n) - cp_ops(n)
        assert 0 <= grow <= per_level, (n, grow, per_level)


def test_lstm_path_grows_faster_than_hier_attn():
    a = arch("gpu-hbm3")
    lstm_cp = [simulate(a, lstm(32, 32, 1, steps=T), keep_ops=False).critical_path_ops for T in (16, 64)]
    attn_cp = [simulate(a, hier_attn(N, d_model=32, heads=2, window=4), keep_ops=False).critical_path_ops
               for N in (16, 64)]
    assert lstm_cp[1] - lstm_cp[0] > 4 * (attn_cp[1] - attn_cp[0])


# --------------------------------------------------------------------------- bundled LSTM claims
@pytest.mark.parametrize("aname", ["cpu-ddr5", "gpu-hbm3"])
def test_bundled_lstm_is_memory_bound(aname):
    r = bundled_result("lstm", aname)
    assert r.bound == "memory"
    assert r.utilization["processor_mac"] < 0.10
    assert r.facts["processor_weights_on_chip"] is False
    # every step streams W_hh: DRAM traffic at least T * L * 4H * H * 4 bytes
    assert r.traffic_bytes["dram"] >= 100 * 2 * 4 * 2048 * 2048 * 4


@pytest.mark.parametrize("aname", ["sram-cim", "rram-cim"])
def test_bundled_lstm_on_cim_has_no_weight_traffic(aname):
    r = bundled_result("lstm", aname)
    assert r.facts["cim_reprograms"] == 0
    assert r.traffic_bytes["dram"] < r.weight_bytes
    assert r.ops_per_unit["cim"] == 2 * (100 + 1)  # per layer: one input projection + 100 steps
