"""Ops of one kernel launch (tag ``launch``) pay one dispatch: a paged-attention kernel runs
every request's scores (softmax, context) at once, where one op per request paid a launch
each (a new user held Llama-2-7B at batch 8 on gpu-hbm3 against NVIDIA's NeMo figures: the
per-request attention's 672 launches a step made its time per token 1.47x the padded one's).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from cimsim import simulate
from cimsim.workload import Op, Tensor, Workload
from cimsim.workload.arrays import op_arrays_reference
from cimsim.workload.llm import llm_serving

from conftest import ROUND_ARCH, make_arch
from test_llm import TINY


def _three(launch):
    """Three independent reductions of 1 MiB (fp32), tagged ``launch`` as given per op."""
    t = [Tensor(f"x{i}", (262144,), "fp32", "input") for i in range(3)]
    t += [Tensor(f"s{i}", (1,), "fp32", "activation") for i in range(3)]
    ops = [Op(f"r{i}", "reduction", (f"x{i}",), (f"s{i}",),
              tags={} if launch[i] is None else {"launch": launch[i]}) for i in range(3)]
    return Workload("three", t, ops)


def test_dispatched_marks_the_first_op_of_each_launch_in_program_order():
    w = _three(["a", "b", "a"])
    ops = w.arrays
    assert ops.launch.tolist() == [0, 1, 0]  # numbered in order of first appearance
    assert op_arrays_reference(w).launch.tolist() == [0, 1, 0]
    assert ops.dispatched(np.arange(3)).tolist() == [True, True, False]
    # the group's first op in program order pays, whatever component runs it: op 2 rides on
    # op 0's launch even where op 0 runs elsewhere (a gather after attention on PIM)
    assert ops.dispatched(np.array([2, 1])).tolist() == [False, True]
    assert _three([None, 7, 7]).arrays.launch.tolist() == [-1, 0, 0]
    assert _three([None] * 3).arrays.launch is None
    assert _three([None] * 3).arrays.dispatched(np.arange(3)).tolist() == [True] * 3


def test_a_launch_group_pays_one_op_overhead_on_the_processor():
    """10 us of dispatch each; one processor runs the three one after another, each moving its
    1 MiB + 4 B over the 10 GB/s DRAM (100 ns latency): alone 3 x (10 us + 100 ns + t), in one
    launch one fixed latency, 10 us + 100 ns, and 3 t (one kernel's accesses overlap their
    latency)."""
    d = copy.deepcopy(ROUND_ARCH)
    d["processor"]["op_overhead"] = "10 us"
    arch = make_arch(processor=d["processor"])
    t = (2**20 + 4) / 10e9
    alone = simulate(arch, _three([None] * 3)).latency_s
    grouped = simulate(arch, _three(["k"] * 3)).latency_s
    assert alone == pytest.approx(3 * (10e-6 + 100e-9 + t), rel=1e-12, abs=0)
    assert grouped == pytest.approx(10e-6 + 100e-9 + 3 * t, rel=1e-12, abs=0)


def test_a_decode_steps_per_request_attention_is_three_launches_a_layer():
    """TINY at batch 4: per request a scores, softmax and context op (and a gather), but three
    launches per layer per step: as many dispatches as the padded attention's three ops."""
    w = llm_serving(TINY, prompt=[3, 5, 2, 4], decode=3, batch=4)
    ops = w.arrays
    names = w.columns.op_names.tolist()
    step = [i for i, n in enumerate(names) if n.startswith("it2.decode.l0.")]
    attn = [i for i in step if any(p in names[i] for p in (".scores", ".softmax", ".ctx", ".gather"))]
    assert len(attn) == 3 * 4 + 1
    assert int(ops.dispatched(np.array(attn)).sum()) == 3
    padded = llm_serving(TINY, prompt=[3, 5, 2, 4], decode=3, batch=4, attention="padded")
    pn = padded.columns.op_names.tolist()
    assert len([n for n in pn if n.startswith("it2.decode.l0.") and
                any(p in n for p in (".scores", ".softmax", ".ctx"))]) == 3


def test_equal_lengths_per_request_and_padded_attention_take_the_same_time():
    """With every request at the same length the two read the same cache bytes and make the
    same launches, so a decode step takes the same time but for the gather's copy of the
    context rows (rows x H x d_h x 2 B a layer): per-request paid each request's DRAM access
    latency in turn (a new user: 14 us on a 2-layer model, 2 ms a step at batch 64)."""
    from cimsim import load_architecture

    arch = load_architecture("gpu-hbm3")
    kw = dict(prompt=16, decode=3, batch=8)
    per = simulate(arch, llm_serving(TINY, **kw), engine="analytic")
    pad = simulate(arch, llm_serving(TINY, **kw, attention="padded"), engine="analytic")
    gather = TINY.layers * 8 * TINY.heads * TINY.head_dim * 2 * 2  # read + write, fp16
    assert per.serving["tpot_s"] == pytest.approx(pad.serving["tpot_s"], rel=1e-3, abs=0)
    # the gather's copy, each of the 3 decode steps (the prefills' attention is alike in both)
    assert 0 < per.traffic_bytes["sram"] - pad.traffic_bytes["sram"] <= 3 * gather


@pytest.mark.parametrize("relu_first", [False, True])
def test_a_launch_over_two_components_pays_each_components_fixed_latency(cim_arch, relu_first):
    """A group whose ops run on the CIM arrays and on the processor is split at the unit
    boundary: each component's op pays its own fixed latency, in either order (review 3: one
    launch tag over the PIM units' and the GPU's attention ops dropped the GPU softmax's launch
    and the PIM context's command latency). Two ops of the group on one unit pay once."""
    def wl(tagged):
        t = [Tensor("x", (1, 128), "int8", "input"), Tensor("W", (128, 16), "int8", "weight"),
             Tensor("y", (1, 16), "int8", "activation"), Tensor("a", (1, 16), "int8", "input"),
             Tensor("b", (1, 16), "int8", "activation"), Tensor("d", (1, 16), "int8", "input"),
             Tensor("c", (1, 16), "int8", "activation")]
        tag = {"launch": "k"} if tagged else {}
        mm = Op("mm", "matmul", ("x", "W"), ("y",), m=1, k=128, n=16, weight="W", tags=tag)
        relu = Op("relu", "elementwise", ("a",), ("b",), fn="relu", tags=tag)
        neg = Op("neg", "elementwise", ("d",), ("c",), fn="neg", tags=tag)
        return Workload("two", t, [relu, neg, mm] if relu_first else [mm, relu, neg])

    alone = simulate(cim_arch, wl(False)).op_table.set_index("op")["fixed_latency_s"]
    grouped = simulate(cim_arch, wl(True)).op_table.set_index("op")["fixed_latency_s"]
    assert alone["mm"] > 0 and alone["relu"] > 0 and alone["neg"] > 0
    assert grouped["mm"] == alone["mm"] and grouped["relu"] == alone["relu"]
    assert grouped["neg"] == 0.0  # the processor's second op of the group rides on its launch


def test_a_launch_pays_its_slowest_ops_access_latency_not_its_first_ops():
    """find-H #1: a launch whose first op reads only SRAM (a scaling of an activation the
    previous op left there, as a conv's im2col copy) and whose second op reads its weights from
    DRAM pays one op_overhead and DRAM's 100 ns access latency, 10 us + 100 ns, not the first
    op's 10 us + 0 (SRAM states no latency): alone the scaling pays 10 us and the matmul
    10 us + 100 ns; in one launch the pair saves exactly one 10 us op_overhead, in both
    engines."""
    def wl(tag):
        t = [Tensor("x", (1, 64), "fp32", "input"), Tensor("a", (1, 64), "fp32", "activation"),
             Tensor("b", (1, 64), "fp32", "activation"), Tensor("W", (64, 64), "fp32", "weight"),
             Tensor("y", (1, 64), "fp32", "activation")]
        ops = [Op("relu", "elementwise", ("x",), ("a",), fn="relu"),
               Op("scale", "elementwise", ("a",), ("b",), fn="neg", tags=tag),
               Op("mm", "matmul", ("b", "W"), ("y",), m=1, k=64, n=64, weight="W", tags=tag)]
        return Workload("scale-mm", t, ops)

    d = copy.deepcopy(ROUND_ARCH)
    d["processor"]["op_overhead"] = "10 us"
    arch = make_arch(processor=d["processor"])
    for engine in ("des", "analytic"):
        alone = simulate(arch, wl({}), engine=engine)
        grouped = simulate(arch, wl({"launch": "k"}), engine=engine)
        a = alone.op_table.set_index("op")["fixed_latency_s"]
        g = grouped.op_table.set_index("op")["fixed_latency_s"]
        assert a["scale"] == pytest.approx(10e-6, rel=1e-12, abs=0)
        assert a["mm"] == pytest.approx(10e-6 + 100e-9, rel=1e-12, abs=0)
        assert g["scale"] == pytest.approx(10e-6 + 100e-9, rel=1e-12, abs=0) and g["mm"] == 0.0
        assert alone.latency_s - grouped.latency_s == pytest.approx(10e-6, rel=1e-9, abs=0)


@pytest.mark.parametrize("by_kind, pays", [
    ({"elementwise": "10 us"}, 2e-6 + 100e-9),  # the mm's dispatch, not the scaling's 10 us
    ({"matmul": "10 us"}, 10e-6 + 100e-9),  # the mm's 10 us, though the scaling comes first
    ({"elementwise": "1 us"}, 2e-6 + 100e-9)])  # and not the first op's cheaper 1 us
def test_a_launch_pays_its_principal_ops_dispatch_under_op_overhead_by_kind(by_kind, pays):
    """Review 17-2 B2: under ``op_overhead_by_kind`` a launch group pays ONE dispatch, its
    principal op's (the one with the MACs: the call is the matmul's), plus the largest access
    latency of its ops (the mm's 100 ns DRAM latency): op_overhead 2 us, so 2 us + 100 ns
    whatever the elementwise kind's dispatch costs (it paid 10 us, losing the 100 ns, under a
    largest-of-sums rule), 10 us + 100 ns with a 10 us matmul dispatch; both engines."""
    def wl(tag):
        t = [Tensor("a", (1, 64), "fp32", "input"), Tensor("b", (1, 64), "fp32", "activation"),
             Tensor("W", (64, 64), "fp32", "weight"), Tensor("y", (1, 64), "fp32", "activation")]
        ops = [Op("scale", "elementwise", ("a",), ("b",), fn="neg", tags=tag),
               Op("mm", "matmul", ("b", "W"), ("y",), m=1, k=64, n=64, weight="W", tags=tag)]
        return Workload("scale-mm", t, ops)

    d = copy.deepcopy(ROUND_ARCH)
    d["processor"]["op_overhead"] = "2 us"
    d["processor"]["op_overhead_by_kind"] = by_kind
    arch = make_arch(processor=d["processor"])
    for engine in ("des", "analytic"):
        g = simulate(arch, wl({"launch": "k"}), engine=engine).op_table.set_index("op")["fixed_latency_s"]
        assert g["scale"] == pytest.approx(pays, rel=1e-12, abs=0) and g["mm"] == 0.0
