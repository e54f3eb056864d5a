"""The re-programmed CIM server runs its ops in program order (find-M 1).

hw/cim/reprogram.py decides which matmuls re-program by an LRU over program order. The engine's
servers take their lowest-index *ready* op, so on the one server that re-programmed matrices
share, independent chains (a bidirectional LSTM's two directions, two co-located models) ran
interleaved: W_hh, rev.W_hh, W_hh, ... 16 changes of the resident matrix, 2 charged. The
server is now in order (``Plan.in_order``, made a dependency by ``Placement.predecessors``), so
every engine runs it as the LRU assumed and the charged swaps are the swaps executed. Only
where it matters: a run whose order re-programs as charged keeps its unordered schedule."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from cimsim import simulate
from cimsim.engine.des import simulate_dag
from cimsim.engine.reference import simulate_dag_reference
from cimsim.pipeline import place_and_cost, resource_rates
from cimsim.workload.generators import lstm
from cimsim.report import columns as col
from cimsim.workload import Op, Tensor, Workload
from cimsim.workload.graph import with_server_order

from conftest import ROUND_CIM, ROUND_LINK, make_arch, tiny_chip


def _arch(arrays: int = 400):
    cim = copy.deepcopy(ROUND_CIM)
    cim.update(arrays=arrays, weight_replication=False)
    return make_arch(name="round-cim", cim=cim, interconnect=dict(ROUND_LINK))


def _bilstm():
    """The finding's bidirectional int8 LSTM, I = 8, H = 512, 8 steps. On 128 x 128 arrays of
    2-bit cells an 8-bit weight takes 4 columns: W_ih 1 x ceil(2048 x 4 / 128) = 64 arrays, W_hh
    ceil(512 / 128) x 64 = 256, per direction. On 400 arrays the two W_ih are pinned (128) and
    the two W_hh share the 272 left: only one fits at a time."""
    return lstm(8, 512, steps=8, dtype="int8", bidirectional=True)


def _matrix_changes(r, w) -> tuple[list[str], int]:
    """The weights the busiest CIM server's ops read, in the order they started, and how many
    times the resident matrix changed (its first load counted)."""
    t = r.op_table
    t = t[t.unit == "cim"]
    shared = t[t.server == t.server.value_counts().idxmax()].sort_values("start_s", kind="stable")
    weight = {o.name: o.weight for o in w.ops}
    seq = [weight[o] for o in shared.op]
    return seq, 1 + sum(a != b for a, b in zip(seq, seq[1:]))


# closed form on the round machine (conftest): DRAM 10 GB/s + 100 ns, link 100 GB/s + 10 ns,
# write 1 us a row, 8 input bits x 100 ns a vector, the processor 32 vector ops a ns
MiB = 1 << 20
#: a re-programming hproj: the 1 MiB W_hh and its 512 B h0 read from DRAM (the slower of its two
#: links; serial: then the write of 128 rows and one vector), + link and DRAM latency
R = (MiB + 512) / 10e9 + 128 * 1e-6 + 8 * 100e-9 + 10e-9 + 100e-9
#: a resident hproj: h in (512 B) and hproj out (2048 B) over the link, one vector, link latency
H = 2560 / 100e9 + 8 * 100e-9 + 10e-9
#: the cell: 18 vector ops per element of c and h (2 x 512), 32 per ns; the first of each
#: direction also reads its biases and c0 from DRAM (4,608 B: 460.8 ns, under its compute) + 100 ns
C, C0 = 18 * 1024 / 32e9, 18 * 1024 / 32e9 + 100e-9
#: concat: 2 x 8 x 512 B read and written in SRAM at 1 TB/s
CAT = 2 * 8192 / 1e12
#: all forward steps, then all reverse (the rev chain's first hproj waits for the forward's
#: last): 2 loads, 14 resident hprojs, the 2 first cells, the 13 others on the path, concat
SERIAL = 2 * R + 2 * C0 + 14 * H + 13 * C + CAT


def test_bidirectional_lstm_runs_each_direction_through_its_load():
    """Without the order the server alternated W_hh and rev.W_hh (16 changes, 2 charged). Now:
    the two loads charged are the two changes run, and the latency is the in-order schedule's.
    The DES adds one thing the closed form's analytic run leaves out: the forward xproj reads
    the 64 B input over DRAM beside the first load's weights (processor sharing: the load ends
    when both are through, 64 B / 10 GB/s = 6.4 ns later)."""
    w = _bilstm()
    des = simulate(_arch(), w)
    seq, changes = _matrix_changes(des, w)
    assert seq == ["l0.W_hh"] * 8 + ["l0.rev.W_hh"] * 8
    assert changes == des.record()["cim_reprograms"] == 2
    charged = des.op_table.loc[des.op_table.cim_reprogram, "op"].tolist()
    assert charged == ["l0.t0.hproj", "l0.rev.t7.hproj"]
    # the CIM's own words (review 21 C 6: it read a plug-in's "order-dependent servers" and
    # "in_order_check" API name)
    assert ("cim: its re-programmed arrays ran their 16 ops in program order, the order the "
            "re-programming was charged in") in des.notes[[i for i, n in enumerate(des.notes)
                                                           if "program order" in n][0]]
    assert des.latency_s == pytest.approx(SERIAL + 64 / 10e9, rel=1e-12, abs=0)
    ana = simulate(_arch(), w, engine="analytic")
    assert ana.latency_s == pytest.approx(SERIAL, rel=1e-12, abs=0)
    assert _matrix_changes(ana, w)[1] == ana.record()["cim_reprograms"] == 2


def test_every_engine_runs_the_in_order_server_alike():
    """The order is a dependency in the DAG the engines get, so the compiled replay, SimPy and
    the naive reference engine give the same times."""
    arch, w = _arch(), _bilstm()
    pl, table = place_and_cost(arch, w)
    indptr, indices = pl.predecessors(w)
    assert len(indices) > len(w.predecessors[1])  # the order edges are there
    assert pl.predecessors(w)[1] is indices  # kept on the placement, not rebuilt
    rates = resource_rates(arch)
    args = (indptr, indices, pl.server, table.compute_s, table.latency_s,
            table.engine_bytes(rates), rates, pl.serial)
    auto = simulate_dag(*args, pieces=table.pieces)
    simpy = simulate_dag(*args, pieces=table.pieces, method="simpy")
    ref = simulate_dag_reference(*args, pieces=table.pieces)
    for other in (simpy, ref):
        np.testing.assert_allclose(other.end, auto.end, rtol=1e-12, atol=0)
    assert auto.makespan == pytest.approx(SERIAL + 64 / 10e9, rel=1e-12, abs=0)


def test_a_chip_block_s_reprogrammed_server_is_in_order_too():
    """With a chip block the re-programmed layers share one server (hw/cim/onchip.py). The tiny
    chip's 16 arrays of 64 x 64 8-bit cells and a bidirectional LSTM of H = 128: W_ih 1 x
    ceil(512 / 64) = 8 arrays, W_hh 2 x 8 = 16, all the arrays, so nothing is pinned and every
    change of matrix re-programs: per direction xproj then W_hh, 4 loads in program order."""
    from cimsim.config import architecture_from_dict

    d = tiny_chip("serial", {})
    d["processor"] = {"name": "cpu", "cores": 1, "clock": "1 GHz", "vector_ops_per_cycle_per_core": 8,
                      "macs_per_cycle_per_core": {"int8": 8}, "energy_per_mac": {"int8": "1 pJ"},
                      "energy_per_vector_op": "1 pJ", "static_power": "0 W", "op_overhead": "0 s"}
    w = lstm(8, 128, steps=4, dtype="int8", bidirectional=True)
    r = simulate(architecture_from_dict(d), w)
    seq, changes = _matrix_changes(r, w)
    assert seq == ["l0.W_ih"] + ["l0.W_hh"] * 4 + ["l0.rev.W_ih"] + ["l0.rev.W_hh"] * 4
    assert changes == int(r.op_table.cim_reprogram.sum()) == r.record()["cim_reprograms"] == 4


def test_order_edges_in_closed_form():
    """Ops 0..5: 1 <- 0, 3 <- 2 (two chains); servers [0, 1, 1, 0, 1, 1], server 1 in order:
    its ops 1, 2, 4, 5 chain 1 -> 2 -> 4 -> 5 (edges 2 <- 1, 4 <- 2, 5 <- 4), server 0 free;
    an edge already there is not doubled."""
    indptr, indices = np.array([0, 0, 1, 1, 2, 2, 2]), np.array([0, 2])
    server, in_order = np.array([0, 1, 1, 0, 1, 1]), np.array([False, True])
    p, i = with_server_order(indptr, indices, server, in_order)
    assert [sorted(i[p[k]:p[k + 1]].tolist()) for k in range(6)] == [[], [0], [1], [2], [2], [4]]
    again = with_server_order(p, i, server, in_order)
    assert again[0].tolist() == p.tolist() and again[1].tolist() == i.tolist()


def test_the_critical_path_is_the_workload_s_own():
    """The order is the engines' (review16-2 #2): the dependency critical path of the
    bidirectional LSTM is one direction's chain, its load charged once (the R of its first
    hproj), 7 resident hprojs, 8 cells and the concat, 17 ops, not the 32-op in-order queue."""
    r = simulate(_arch(), _bilstm()).record()
    assert r[col.CRITICAL_PATH_S] == pytest.approx(R + C0 + 7 * (H + C) + CAT, rel=1e-12, abs=0)
    assert r[col.CRITICAL_PATH_OPS] == 17
    assert r[col.CRITICAL_PATH_OPS] == r[col.GRAPH_DEPTH_OPS]


#: two independent chains of two 512 x 512 int8 gemvs, x1 -> x2 and y1 -> y2, each matrix used
#: once. On the round CIM's 128 x 128 2-bit arrays a matrix takes 4 x 16 = 64 arrays; of 128,
#: W1 is pinned (room left for one other) and W2, W3, W4 share 64 arrays: each re-programmed
#: once, in any order.
KB = 512


def _two_chains() -> Workload:
    t = [Tensor(x, (1, KB), "int8", "input") for x in ("x", "u")]
    t += [Tensor(f"W{i}", (KB, KB), "int8", "weight") for i in range(1, 5)]
    t += [Tensor(a, (1, KB), "int8", "activation") for a in ("a", "b", "c", "d")]
    mm = [("x1", "x", "W1", "a"), ("x2", "a", "W2", "b"), ("y1", "u", "W3", "c"),
          ("y2", "c", "W4", "d")]
    return Workload("two-chains", t, [Op(n, "matmul", (i, wt), (o,), m=1, k=KB, n=KB, weight=wt)
                                      for n, i, wt, o in mm])


#: a re-programmed gemv (serial: transfers, then the write of 128 rows and one vector): its
#: 256 KiB matrix over DRAM (the slower link), link and DRAM latency; y1 also reads its 512 B
#: input from DRAM
R2 = KB * KB / 10e9 + 128 * 1e-6 + 8 * 100e-9 + 10e-9 + 100e-9
R1 = R2 + KB / 10e9
#: x1 on its pinned arrays: its 512 B input over DRAM, one vector, latencies
T1 = KB / 10e9 + 8 * 100e-9 + 10e-9 + 100e-9


def test_an_order_that_re_programs_as_charged_is_not_imposed():
    """Single-use matrices re-program at each use whatever the order, so the run as ready
    (y1 beside x1, then x2, y2) charges exactly the swaps it runs and stands: y1 shares DRAM
    with x1's 512 B input (ends 51.2 ns later), then x2 and y2, R1 + 512 B / 10 GB/s + 2 R2.
    In program order y1 would wait for x2: T1 + R1 + 2 R2, 0.91 us more."""
    arch, w = _arch(128), _two_chains()
    des = simulate(arch, w)
    assert des.record()["cim_reprograms"] == 3
    seq, changes = _matrix_changes(des, w)
    assert seq == ["W3", "W2", "W4"] and changes == 3
    assert des.latency_s == pytest.approx(R1 + KB / 10e9 + 2 * R2, rel=1e-12, abs=0)
    assert not any("program order" in n for n in des.notes)
    ana = simulate(arch, w, engine="analytic")  # the busiest server: y1, x2, y2
    assert ana.latency_s == pytest.approx(R1 + 2 * R2, rel=1e-12, abs=0)
    assert des.latency_s < T1 + R1 + 2 * R2


def test_the_analytic_order_is_the_server_s_own_list_schedule():
    """Closed form: op 0 ready at 3 s, op 1 at 0 s for 5 s, op 2 at 0 s for 1 s. By start
    alone the order would be 1, 2, 0; the server takes 1 at 0, is free at 5 with 0 and 2 both
    ready and takes the lower index, 0, then 2."""
    from cimsim.mapping.placement import server_run_order
    start, dur = np.array([3.0, 0.0, 0.0]), np.array([1.0, 5.0, 1.0])
    assert server_run_order(np.arange(3), start, dur).tolist() == [1, 0, 2]
    # an idle gap: op 1 ready only at 10 s waits for it
    assert server_run_order(np.arange(2), np.array([0.0, 10.0]), np.array([1.0, 1.0])).tolist() == [0, 1]


@pytest.mark.parametrize("seq,window,arrays,imposed", [(20, 4, 8, False), (12, 3, 6, True)])
def test_stream_hier_attn_analytic_never_above_the_des(seq, window, arrays, imposed):
    """Review 16-6 #1: stream-mode hier-attn's level-1 modules are all ready at 0, so ordering
    the shared re-programmed server by dependency-earliest start is level-major, no order a
    server runs; the LRU replayed over it charged other swaps, the analytic imposed program
    order where the DES ran as charged and came out above it (20 steps on 8 rram-cim arrays:
    962.3 vs 734.2 us). It now list-schedules the server as the DES does: both engines take the
    same decision, the DES is never below the analytic, and where no order is imposed the
    analytic is its unordered bound (the run with no in-order server at all)."""
    from cimsim import bundled, load_architecture
    from cimsim.workload.generators import hier_attn
    arch = load_architecture(bundled.resolve_config("rram-cim"), overrides={"cim.arrays": arrays})
    w = hier_attn(seq, d_model=64, heads=2, window=window, mode="stream", dtype="int8")
    des = simulate(arch, w, keep_ops=False)
    ana = simulate(arch, w, engine="analytic", keep_ops=False)
    assert des.record()["cim_reprograms"] > 0
    ordered = [any("program order" in n for n in r.notes) for r in (des, ana)]
    assert ordered == [imposed, imposed]
    assert des.latency_s >= ana.latency_s * (1 - 1e-12)
    if imposed:
        return
    from cimsim.mapping import placement as P
    mp = pytest.MonkeyPatch()
    mp.setattr(P.Placement, "order_needed", lambda self, *a, **k: np.zeros(self.n_servers, bool))
    try:
        free = simulate(arch, w, engine="analytic", keep_ops=False)
    finally:
        mp.undo()
    assert ana.latency_s == pytest.approx(free.latency_s, rel=1e-12, abs=0)


def _two_rnns(steps: int = 8):
    """Review 16-6 #2: two independent chains h <- tanh(relu(h @ Wa)), g <- tanh(relu(g @ Wb)),
    int8 512 x 512 (64 round-CIM arrays a matrix), listed chain A then chain B; the ReLU tagged
    ``epilogue`` (rides under ``cim.nmc``), the tanh a host op, so run as ready they interleave."""
    K = 512
    t = [Tensor("h0", (1, K), "int8", "input"), Tensor("g0", (1, K), "int8", "input"),
         Tensor("Wa", (K, K), "int8", "weight"), Tensor("Wb", (K, K), "int8", "weight")]
    ops = []
    for c, W in (("h", "Wa"), ("g", "Wb")):
        x = f"{c}0"
        for s in range(steps):
            y, q, r = f"{c}{s}.y", f"{c}{s}.q", f"{c}{s + 1}"
            t += [Tensor(n, (1, K), "int8", "activation") for n in (y, q, r)]
            ops += [Op(f"{c}{s}.mm", "matmul", (x, W), (y,), m=1, k=K, n=K, weight=W),
                    Op(f"{c}{s}.relu", "elementwise", (y,), (q,), fn="relu", tags={"epilogue": "relu"}),
                    Op(f"{c}{s}.tanh", "elementwise", (q,), (r,), fn="tanh")]
            x = r
    return Workload("two-rnn", t, ops)


@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_riding_ops_keep_the_flat_pool_in_order(engine):
    """With ``cim.nmc`` the ReLUs ride, and epilogue.widen rebuilt the flat plan without
    ``in_order`` / ``in_order_check``: the shared server (100 arrays: one 64-array matrix at a
    time) ran the chains interleaved, 10 (DES) / 16 (analytic) matrix changes for 2 charged,
    with no note. Now 2 run, 2 charged: all of chain A, then chain B, with the order note."""
    arch = make_arch(name="round-cim", cim={**copy.deepcopy(ROUND_CIM), "arrays": 100,
                                              "weight_replication": False,
                                              "nmc": {"bias": False, "activation": "relu"}},
                     interconnect=dict(ROUND_LINK))
    w = _two_rnns()
    r = simulate(arch, w, engine=engine)
    t = r.op_table
    assert ((t.unit == "cim") & t.op.str.endswith(".relu")).sum() == 16  # they ride
    assert r.record()["cim_reprograms"] == 2
    mm = t[(t.unit == "cim") & t.op.str.endswith(".mm")].sort_values("start_s", kind="stable")
    seq = [o[0] for o in mm.op]
    assert seq == ["h"] * 8 + ["g"] * 8
    assert any("program order" in n for n in r.notes)
