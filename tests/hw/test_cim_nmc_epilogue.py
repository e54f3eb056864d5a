"""find-T, finding 3: a CIM whose near-memory datapath (``cim.nmc``) has a bias adder and a ReLU
per output absorbs the bias adds / ReLUs that are a matmul's whole epilogue
(:mod:`cimsim.hw.cim.epilogue`): they ride on the matmul, with no dispatch, compute, energy or
link crossing of their own, in a flat pool and on a chip, in every engine. Before, they ran on
the host (2.11 us of dispatch each on sram-cim-derived, and their energy beside the datapath's).

Golden values are hand arithmetic from the config's numbers (and, for the derived per-event
energies and rates, the design point's values: inputs of the closed form, stated below)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict, load_architecture
from cimsim.engine.reference import simulate_dag_reference
from cimsim.errors import WorkloadError
from cimsim.pipeline import place_and_cost, resource_rates
from cimsim.workload import Op, Tensor, Workload
from conftest import ROUND_CIM, ROUND_LINK, make_arch

import test_cim_offchip as off
from test_cim_chip import PERIPHERY, two_layers

torch = pytest.importorskip("torch")
nn = torch.nn

NMC = {"cim.nmc.bias": True, "cim.nmc.activation": "relu"}


def _mlp(act=nn.ReLU, bias=True):
    """Linear(32, 64)-ReLU-Linear(64, 64)-ReLU-Linear(64, 8) at batch 1, fp32, traced: each
    inner bias add fused into its ReLU, the last a bias add of its own (3 epilogue ops)."""
    from cimsim.workload.trace import trace

    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(32, 64, bias=bias), act(), nn.Linear(64, 64, bias=bias), act(),
                      nn.Linear(64, 8, bias=bias))
    return trace(m.eval(), (torch.randn(1, 32),))


def _reference_latency(arch, w) -> float:
    """The naive one-process-per-op engine on the same placement and costs."""
    pl, table = place_and_cost(arch, w, None)
    rates = resource_rates(arch)
    indptr, indices = w.predecessors
    return simulate_dag_reference(indptr, indices, pl.server, table.compute_s, table.latency_s,
                                  table.engine_bytes(rates), rates, pl.serial,
                                  pieces=table.pieces, ahead=table.ahead).makespan


@pytest.mark.torch
def test_traced_mlp_on_sram_cim_derived_with_nmc_by_hand():
    arch = load_architecture("sram-cim-derived", NMC)
    w = _mlp()
    cim = next(c for c in arch.instances if c.name == "cim")
    d, cfg = cim.design, arch.hardware
    link, dram = cfg.links["interconnect"], cfg.memory["dram"]
    # one 8-bit bit-serial vector: 8 slices x max(read, ceil(256 cols / 32 ADCs) / ADC rate);
    # k = 32 and 64 rows read in ceil(k / 64) = 1 group of rows_per_read 64
    t_vector = 8 * max(d.read_latency, 8 / d.sample_rate)
    # link bytes: inputs at 8 bits (k B), outputs fp32 (4n B): 32 + 256, 64 + 256, 64 + 32
    link_b = 704
    # three serial GEMVs, each its link latency, then the model input's DRAM latency on the first
    latency = 3 * (link.latency + t_vector) + link_b / link.bandwidth + dram.latency
    r = simulate(arch, w, keep_ops=True)
    ops = r.op_table.set_index("op")
    rides = ["0.fused", "2.fused", "4.add_bias"]
    assert (ops.loc[rides, "unit"] == "cim").all()
    assert (ops.loc[rides, ["compute_s", "fixed_latency_s"]] == 0).all().all()
    assert r.latency_s == pytest.approx(latency, rel=1e-9, abs=0)
    assert simulate(arch, w, engine="analytic").latency_s == pytest.approx(latency, rel=1e-9, abs=0)
    assert _reference_latency(arch, w) == pytest.approx(latency, rel=1e-9, abs=0)
    # energy: conversions = rows x groups x physical columns (n x 8 bits) x 8 slices =
    # 512 x 8 + 512 x 8 + 64 x 8 = 8704; row drives rows x k x column tiles x slices =
    # 32 x 2 x 8 + 64 x 2 x 8 + 64 x 1 x 8 = 2048; cell reads rows x k x phys cols x slices =
    # 32 x 512 x 8 + 64 x 512 x 8 + 64 x 64 x 8 = 425,984; the buffer the link's 704 B
    conv, drives, cells = 8704, 2048, 425_984
    parts = {"cim_adc": conv * d.energy_per_conversion, "cim_mux": conv * d.mux_energy,
             "cim_digital": conv * d.shift_add_energy + link_b * d.buffer_energy_per_byte,
             "cim_dac": drives * d.dac_energy, "cim_array": cells * d.cell_read_energy,
             "dram": 128 * 8 * dram.energy_per_bit,  # the 32 fp32 model inputs, nothing else
             "interconnect": link_b * 8 * link.energy_per_bit,
             "static": (40.0 + cim.static_power_w) * latency}  # processor.static_power 40 W
    e = r.energy_breakdown_j
    for p, v in parts.items():
        assert e[p] == pytest.approx(v, rel=1e-9, abs=0), p
    # no host work: no host compute energy, no host SRAM traffic, no bias read from DRAM
    assert e.get("processor_compute", 0.0) == 0 and e.get("sram", 0.0) == 0
    assert r.energy_j == pytest.approx(sum(parts.values()), rel=1e-9, abs=0)
    assert [n for n in r.notes if "ride on them in the cim.nmc datapath" in n]
    assert not [n for n in r.notes if "cannot absorb" in n]


@pytest.mark.torch
def test_without_nmc_the_epilogue_stays_on_the_host():
    arch = load_architecture("sram-cim-derived")
    r = simulate(arch, _mlp(), keep_ops=True)
    ops = r.op_table.set_index("op")
    assert (ops.loc[["0.fused", "2.fused", "4.add_bias"], "unit"] == "processor").all()
    # each pays the host's 2 us dispatch (+ its access latency): far above the 1.7 us above
    assert r.latency_s > 3 * 2e-6


@pytest.mark.torch
def test_note_counts_only_what_the_datapath_cannot_absorb():
    # a bias adder but no ReLU: the fused bias + ReLU ops stay on the host (2), the last layer's
    # bias add rides
    arch = load_architecture("sram-cim-derived", {"cim.nmc.bias": True, "cim.nmc.activation": "none"})
    r = simulate(arch, _mlp(), keep_ops=True)
    ops = r.op_table.set_index("op")
    assert ops.loc["4.add_bias", "unit"] == "cim"
    assert (ops.loc[["0.fused", "2.fused"], "unit"] == "processor").all()
    said = [n for n in r.claim_notes if "cim.nmc" in n]
    assert len(said) == 1 and "the 2 elementwise op(s)" in said[0] and "cannot absorb" in said[0]
    # a GELU is no epilogue the datapath does: it stays, and is counted
    r = simulate(load_architecture("sram-cim-derived", NMC), _mlp(act=nn.GELU), keep_ops=True)
    said = [n for n in r.claim_notes if "cim.nmc" in n]
    assert len(said) == 1 and "the 2 elementwise op(s)" in said[0]


@pytest.mark.torch
def test_relu_of_a_bias_free_linear_rides():
    arch = load_architecture("sram-cim-derived", {"cim.nmc.bias": False, "cim.nmc.activation": "relu"})
    r = simulate(arch, _mlp(bias=False), keep_ops=True)
    ew = r.op_table[r.op_table["kind"] == "elementwise"]
    assert len(ew) == 2 and (ew["unit"] == "cim").all()


def _residual() -> Workload:
    """y = x @ W; r = relu(y) (tag epilogue); o = r + y: y has two readers."""
    t = [Tensor("x", (1, 64), "int8", "input"), Tensor("W", (64, 64), "int8", "weight"),
         Tensor("y", (1, 64), "int8", "activation"), Tensor("r", (1, 64), "int8", "activation"),
         Tensor("o", (1, 64), "int8", "activation")]
    ops = [Op("mm", "matmul", ("x", "W"), ("y",), m=1, k=64, n=64, weight="W"),
           Op("relu", "elementwise", ("y",), ("r",), fn="relu", tags={"epilogue": "relu"}),
           Op("add", "elementwise", ("r", "y"), ("o",), fn="add")]
    return Workload("residual", t, ops)


def test_a_pre_activation_read_twice_does_not_ride():
    cim = {**copy.deepcopy(ROUND_CIM), "link": "interconnect", "nmc": {"bias": True, "activation": "relu"}}
    r = simulate(make_arch(cim=cim, interconnect=dict(ROUND_LINK)), _residual(), keep_ops=True)
    ops = r.op_table.set_index("op")
    assert ops.loc["relu", "unit"] == "processor"


@pytest.mark.parametrize("reference", [False, True])
def test_a_bad_epilogue_tag_is_one_line_naming_the_op(reference):
    from cimsim.workload.arrays import op_arrays, op_arrays_reference

    w = _residual()
    ops = list(w.ops)
    ops[1] = Op("relu", "elementwise", ("y",), ("r",), fn="relu", tags={"epilogue": "gelu"})
    with pytest.raises(WorkloadError, match=r"op 'relu' \(#1\): tag epilogue = 'gelu' is not allowed; "
                       r"it must be one of bias, relu, bias\+relu"):
        (op_arrays_reference if reference else op_arrays)(Workload("bad", list(w.tensors.values()), ops))


def _with_epilogue_relu() -> Workload:
    """two_layers with relu(y) between the layers, tagged a matmul epilogue."""
    w = two_layers()
    t = list(w.tensors.values()) + [Tensor("y2", (16, 64), "int8", "activation")]
    ops = [w.ops[0], Op("r", "elementwise", ("y",), ("y2",), fn="relu", tags={"epilogue": "relu"}),
           Op("b", "matmul", ("y2", "wb"), ("z",), m=16, k=64, n=64, weight="wb")]
    return Workload("relu-epilogue", t, ops)


def test_on_a_chip_the_relu_rides_and_its_input_never_leaves():
    def build(nmc):
        d = copy.deepcopy(off.ARCH)
        d["links"]["noc"]["latency"] = "1 us"
        d["processor"] = dict(off.PROCESSOR, macs_per_cycle_per_core={"int8": 1},
                              energy_per_mac={"int8": "1 pJ"})
        if nmc:
            d["cim"]["nmc"] = {"bias": False, "activation": "relu"}
        return architecture_from_dict(d)

    w = _with_epilogue_relu()
    host = simulate(build(False), w, keep_ops=True).op_table.set_index("op")
    # without nmc: y leaves (16 x 64 B), y2 comes back (16 x 64 B at 8-bit inputs)
    assert host.loc["r", "unit"] == "processor"
    assert host.loc["a", "noc_bytes"] == 16 * 128 + 16 * 64 and host.loc["b", "noc_bytes"] == 16 * 64 + 16 * 64
    r = simulate(build(True), w, keep_ops=True)
    ops = r.op_table.set_index("op")
    assert ops.loc["r", "unit"] == "cim" and ops.loc["r", "server"] == ops.loc["a", "server"]
    # with it: x enters (16 x 128 B) and z leaves (16 x 64 B); y and y2 stay on the chip
    assert ops.loc["a", "noc_bytes"] == 16 * 128 and ops.loc["r", "noc_bytes"] == 0
    assert ops.loc["b", "noc_bytes"] == 16 * 64
    assert ops.loc["r", "compute_s"] == 0 and r.energy_breakdown_j.get("processor_compute", 0) == 0
    # no host op between the layers, nor y's and y2's trips over the link
    assert r.latency_s < simulate(build(False), w).latency_s


def test_on_a_chip_with_periphery_the_relu_costs_no_periphery_work():

    d = copy.deepcopy(off.ARCH)
    d["cim"]["chip"]["periphery"] = PERIPHERY
    without = simulate(architecture_from_dict(d), _with_epilogue_relu(), keep_ops=True)
    # without nmc the periphery runs it: 1024 ops on its layer's units (test_cim_chip: 512 ns)
    assert without.op_table.set_index("op").loc["r", "cim_periphery_s"] > 0
    d["cim"]["nmc"] = {"bias": False, "activation": "relu"}
    r = simulate(architecture_from_dict(d), _with_epilogue_relu(), keep_ops=True)
    ops = r.op_table.set_index("op")
    assert ops.loc["r", "cim_periphery_s"] == 0 and ops.loc["r", "compute_s"] == 0
    assert r.energy_breakdown_j.get("cim_periphery", 0.0) == 0


def test_on_a_chip_with_periphery_an_untagged_relu_is_told_to_re_trace():
    # find-I 3: the same ReLU without its epilogue tag (a file written before the tag, as the
    # bundled vgg8-cifar10) runs on the periphery, 1024 ops / (2 units x 1 GHz) = 512 ns; the
    # note counted only ops left to another unit, so a chip said nothing and nmc silently did
    # nothing. It now names the op, where it runs, and the re-trace.
    import dataclasses

    w = _with_epilogue_relu()
    old = Workload("old", list(w.tensors.values()),
                   [dataclasses.replace(op, tags={}) for op in w.ops])
    d = copy.deepcopy(off.ARCH)
    d["cim"]["chip"]["periphery"] = PERIPHERY
    d["cim"]["nmc"] = {"bias": False, "activation": "relu"}
    r = simulate(architecture_from_dict(d), old, keep_ops=True)
    assert r.op_table.set_index("op").loc["r", "cim_periphery_s"] == pytest.approx(
        512e-9, rel=1e-12, abs=0)
    said = [n for n in r.claim_notes if "cim.nmc" in n]
    assert len(said) == 1 and "the 1 elementwise op(s)" in said[0]
    assert "1 of them are bias adds / ReLUs it would absorb but carry no epilogue tag" in said[0]
    assert "re-trace / regenerate it" in said[0]
    assert "1 run on cim.chip.periphery, on their layer's stage" in said[0]
    assert "another unit" not in said[0]
    # tagged, it rides and the note is gone
    r = simulate(architecture_from_dict(d), w, keep_ops=False)
    assert not [n for n in r.claim_notes if "cim.nmc" in n]


@pytest.mark.torch
def test_the_tracer_tags_bias_adds_and_relus_and_their_fusion():
    w = _mlp()
    tags = {op.name: op.tags.get("epilogue") for op in w.ops if op.kind == "elementwise"}
    assert tags == {"0.fused": "bias+relu", "2.fused": "bias+relu", "4.add_bias": "bias"}
    w = _mlp(act=nn.GELU)
    assert [op.tags.get("epilogue") for op in w.ops if op.kind == "elementwise"] == [None, None, "bias"]
    assert np.array_equal(w.arrays.epilogue, [0, 0, 0, 0, 0, 1])


def test_on_a_chip_the_matmul_output_a_riding_op_reads_is_never_spilled():
    # a 64 B chip buffer holds neither y nor y2 (1,024 B each): y2 goes out and back (offchip
    # rule 3), but y stays in the datapath (rule 6): no spill of it, written or read back
    d = copy.deepcopy(off.ARCH)
    d["cim"]["buffer"]["capacity"] = "64 B"
    d["cim"]["nmc"] = {"bias": False, "activation": "relu"}
    r = simulate(architecture_from_dict(d), _with_epilogue_relu(), keep_ops=True)
    ops = r.op_table.set_index("op")
    assert ops.loc["a", "dram_bytes"] == 16 * 128  # the model input x alone
    assert ops.loc["r", "dram_bytes"] == 16 * 64  # y2 spilled: written by r ...
    assert ops.loc["b", "dram_bytes"] == 16 * 64  # ... and read back by b


class _AddmmActivation(nn.Module):
    """torch's fused matmul + activation, ``torch._addmm_activation(b, x, W^T, use_gelu=...)``."""

    def __init__(self, gelu):
        super().__init__()
        self.gelu = gelu
        self.w, self.b = nn.Parameter(torch.randn(64, 32)), nn.Parameter(torch.randn(64))

    def forward(self, x):
        return torch._addmm_activation(self.b, x, self.w.t(), use_gelu=self.gelu)


class _LinearTanhGelu(nn.Module):
    """The same written out: a Linear, then a tanh GELU."""

    def __init__(self):
        super().__init__()
        self.l = nn.Linear(32, 64)

    def forward(self, x):
        return nn.functional.gelu(self.l(x), approximate="tanh")


@pytest.mark.torch
@pytest.mark.parametrize("gelu", [False, True])
def test_addmm_activation_with_use_gelu_is_a_gelu_that_does_not_ride(gelu):
    # review16-5 #3: use_gelu=True was lowered as a ReLU, tagged bias+relu, and rode on the
    # datapath's ReLU
    from cimsim.workload.trace import trace

    torch.manual_seed(0)
    x = (torch.randn(1, 32),)
    w = trace(_AddmmActivation(gelu).eval(), x)
    ew = [op for op in w.ops if op.kind == "elementwise"]
    assert len(ew) == 1  # the bias add fused with the activation
    # the same cost as the written-out model's bias add + activation
    written = trace((_LinearTanhGelu() if gelu else nn.Sequential(nn.Linear(32, 64), nn.ReLU())).eval(), x)
    (same,) = [op for op in written.ops if op.kind == "elementwise"]
    assert ew[0].tags.get("serial_ops") == same.tags.get("serial_ops")
    assert ew[0].tags.get("epilogue") == (None if gelu else "bias+relu")
    r = simulate(load_architecture("sram-cim-derived", NMC), w, keep_ops=True)
    assert r.op_table.set_index("op").loc[ew[0].name, "unit"] == ("processor" if gelu else "cim")


def _chain_with_relu(relu: bool) -> Workload:
    """test_cim_chips' chain, four int8 (4 x 256) @ (256 x 256) matmuls, with a ReLU tagged
    epilogue on mm1's output (``relu``) or not."""
    t, ops, x = [Tensor("x0", (4, 256), "int8", "input")], [], "x0"
    for i in range(4):
        t += [Tensor(f"w{i}", (256, 256), "int8", "weight"), Tensor(f"y{i}", (4, 256), "int8", "activation")]
        ops.append(Op(f"mm{i}", "matmul", (x, f"w{i}"), (f"y{i}",), m=4, k=256, n=256, weight=f"w{i}"))
        x = f"y{i}"
        if relu and i == 1:
            t.append(Tensor("r1", (4, 256), "int8", "activation"))
            ops.append(Op("relu1", "elementwise", (x,), ("r1",), fn="relu", tags={"epilogue": "relu"}))
            x = "r1"
    return Workload("chain", t, ops)


@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_on_flat_chips_a_riding_ops_output_crosses_the_chip_link(engine):
    # review16-5 #2: matrices 0-1 sit on chip 0, 2-3 on chip 1 (test_cim_chips), so mm2's
    # 4 x 256 B input crosses c2c (10 GB/s, 50 ns, 2 pJ/bit) whether or not a riding ReLU
    # sits between; the rider's output is mm1's, on chip 0. It went over the host link instead
    from test_cim_chips import arch_dict

    d = arch_dict(arrays=32, chips=2, weight_replication=False, nmc={"bias": False, "activation": "relu"})
    arch = architecture_from_dict(d)
    r = simulate(arch, _chain_with_relu(True), engine=engine, keep_ops=True)
    rec = r.record()
    io = 4 * 256
    assert rec["c2c_bytes"] == io
    assert rec["energy_c2c_j"] == pytest.approx(io * 8 * 2e-12, rel=1e-12, abs=0)
    assert rec["interconnect_bytes"] == 4 * (io + io) - io  # x0 in, 4 outputs out, 3 inputs in
    ops = r.op_table.set_index("op")
    assert ops.loc["relu1", "unit"] == "cim" and ops.loc["mm2", "c2c_bytes"] == io
    # a riding op costs nothing: the run is the chain's without it
    plain = simulate(arch, _chain_with_relu(False), engine=engine)
    assert r.latency_s == pytest.approx(plain.latency_s, rel=1e-12, abs=0)
    assert r.energy_j == pytest.approx(plain.energy_j, rel=1e-12, abs=0)
    assert "1.024 kB of activations cross c2c" in " ".join(r.notes)


@pytest.mark.torch
def test_a_file_without_epilogue_tags_is_told_to_re_trace():
    # review16-5 #1: a workload written before the tag (the same MLP, tags dropped) gets no
    # riding, and the note said the 3 bias adds / ReLUs were ones the datapath cannot absorb
    import dataclasses

    w = _mlp()
    old = Workload("old", list(w.tensors.values()),
                   [dataclasses.replace(op, tags={k: v for k, v in op.tags.items() if k != "epilogue"})
                    for op in w.ops])
    r = simulate(load_architecture("sram-cim-derived", NMC), old, keep_ops=True)
    assert (r.op_table.set_index("op").loc[["0.fused", "2.fused", "4.add_bias"], "unit"] == "processor").all()
    said = [n for n in r.claim_notes if "cim.nmc" in n]
    assert len(said) == 1 and "the 3 elementwise op(s)" in said[0]
    # review16-6 #3: only the untagged ops a tag would let ride get the advice: the last bias
    # add (fn add, one weight); the two fused bias+ReLU ops (fn fused) cannot be told apart
    # from other fused chains without the tag
    assert "1 of them are bias adds / ReLUs it would absorb but carry no epilogue tag" in said[0]
    assert "re-trace / regenerate it" in said[0]


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_no_re_trace_advice_where_nothing_would_ride(name):
    # review16-6 #3: the bundled LSTM / GRU have no bias add or ReLU on a matmul (their gates
    # add two matmuls' outputs), so nothing would ride if tagged: re-tracing changes nothing,
    # and the note says they are ops the datapath cannot absorb, not that the file is old
    from cimsim import bundled, load_workload

    w = load_workload(bundled.resolve_workload(name))
    r = simulate(load_architecture("sram-cim-derived", NMC), w, keep_ops=False)
    said = [n for n in r.claim_notes if "cim.nmc" in n]
    assert len(said) == 1 and "that it cannot absorb" in said[0]
    assert "re-trace" not in said[0] and "epilogue tag" not in said[0]


@pytest.mark.parametrize("name", ["tcn", "transformer"])
def test_the_bundled_files_carry_the_generators_epilogue_tags(name):
    # review16-5 #1: the bundled files predated the tag, so the bundled name and the file
    # `cimsim workload bundled` writes gave different numbers with cim.nmc
    from cimsim import bundled, load_workload
    from cimsim.workload.generators import make_bundled

    (path,) = [p for p in bundled.workload_paths() if p.stem == name]
    got = [op.tags.get("epilogue") for op in load_workload(path).ops]
    assert got == [op.tags.get("epilogue") for op in make_bundled(name).ops]
    assert got.count("relu") == {"tcn": 8, "transformer": 2}[name]  # a ReLU a conv / FFN layer
