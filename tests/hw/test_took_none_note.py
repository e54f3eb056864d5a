"""A component that runs no op says what it claims and why nothing matched (find-E 2): on
gpu-hbm-pim-attn (``claims: [kv_cache]``) an encoder's attention reads the K and V the run has
just projected, no cache, so the PIM units take none of its weightless matmuls; the run says so
(as hbm-pim's max_rows note explains its 0), and any component that took nothing names its
claims. Counts by hand from the workloads below."""

from __future__ import annotations

import copy

import yaml

from cimsim import load_architecture, simulate
from cimsim.bundled import resolve_config
from cimsim.config import architecture_from_dict
from cimsim.workload import Op, Tensor, Workload
from conftest import ROUND_ARCH, ROUND_CIM, ROUND_LINK
from test_cim_offchip import arch as chip_arch

L, H = 8, 16  # tokens, width


def encoder_attention(layers: int = 1) -> Workload:
    """Per layer: q, k, v = x·Wq, x·Wk, x·Wv; s = q·kᵀ; p = softmax(s); o = p·v: 3 weight
    matmuls and 2 weightless ones, whose second operands (k, v) this run projects."""
    ts, ops, x = [Tensor("x", (L, H), "fp16", "input")], [], "x"
    for i in range(layers):
        for w in "qkv":
            ts += [Tensor(f"W{w}{i}", (H, H), "fp16", "weight"), Tensor(f"{w}{i}", (L, H), "fp16", "activation")]
            ops.append(Op(f"{w}{i}", "matmul", (x, f"W{w}{i}"), (f"{w}{i}",), m=L, k=H, n=H, weight=f"W{w}{i}"))
        ts += [Tensor(f"s{i}", (L, L), "fp16", "activation"), Tensor(f"p{i}", (L, L), "fp16", "activation"),
               Tensor(f"o{i}", (L, H), "fp16", "activation")]
        ops += [Op(f"qk{i}", "matmul", (f"q{i}", f"k{i}"), (f"s{i}",), m=L, k=H, n=L),
                Op(f"sm{i}", "softmax", (f"s{i}",), (f"p{i}",)),
                Op(f"pv{i}", "matmul", (f"p{i}", f"v{i}"), (f"o{i}",), m=L, k=L, n=H)]
        x = f"o{i}"
    return Workload("enc", ts, ops)


def mlp(dtype: str = "fp16") -> Workload:
    ts = [Tensor("x", (L, H), dtype, "input"), Tensor("W", (H, H), dtype, "weight"),
          Tensor("y", (L, H), dtype, "activation"), Tensor("z", (L, H), dtype, "activation")]
    return Workload("mlp", ts, [Op("fc", "matmul", ("x", "W"), ("y",), m=L, k=H, n=H, weight="W"),
                                Op("relu", "elementwise", ("y",), ("z",), fn="relu")])


def _pim_notes(r) -> list[str]:
    return [n for n in r.notes if n.startswith("pim ")]


def test_encoder_attention_on_a_kv_cache_pim_says_why_it_took_none():
    r = simulate(load_architecture("gpu-hbm-pim-attn"), encoder_attention(layers=2))
    # 2 layers x (q·kᵀ, p·v) = 4 weightless matmuls, every one reading a K or V this run projected
    assert _pim_notes(r) == [
        "pim took 0 of 4 matmul(s) without a weight: it claims kv_cache, matmuls without a weight whose "
        "second operand is a KV cache (a model input; in a trace, one given as a cache or marked "
        "--resident), and this run reads no cache: their second operands are activations the run "
        "computes (4 of them read what a matmul with a weight made in this run: a K or V projection, or "
        "an attention output's W_o projection), as an encoder's or a prefill's attention over its own K "
        "and V is, so they stay on the host; kv_cache helps decode steps that read a cache (cimsim "
        "workload llm, cimsim trace --serve)"]


def test_the_no_cache_note_counts_a_w_o_projection_as_no_k_or_v():
    # find-F 5: one weightless matmul reads o·Wo (no K, no V): it is counted, as "1 of them reads",
    # and not called a K or V
    w = encoder_attention(layers=1)
    ts = list(w.tensors.values()) + [Tensor("Wo", (H, H), "fp16", "weight"), Tensor("a", (L, H), "fp16", "activation"),
                                     Tensor("g", (L, L), "fp16", "activation")]
    ops = list(w.ops) + [Op("wo", "matmul", ("o0", "Wo"), ("a",), m=L, k=H, n=H, weight="Wo"),
                         Op("gram", "matmul", ("x", "a"), ("g",), m=L, k=H, n=L)]
    (note,) = _pim_notes(simulate(load_architecture("gpu-hbm-pim-attn"), Workload("enc", ts, ops)))
    assert note.startswith("pim took 0 of 3 matmul(s) without a weight") and "(3 of them read what" in note
    (note,) = _pim_notes(simulate(load_architecture("gpu-hbm-pim-attn"), Workload("g", [
        Tensor("x", (L, H), "fp16", "input"), Tensor("Wo", (H, H), "fp16", "weight"),
        Tensor("a", (L, H), "fp16", "activation"), Tensor("g", (L, L), "fp16", "activation")],
        [Op("wo", "matmul", ("x", "Wo"), ("a",), m=L, k=H, n=H, weight="Wo"),
         Op("gram", "matmul", ("x", "a"), ("g",), m=L, k=H, n=L)])))
    assert "(1 of them reads what a matmul with a weight made in this run" in note
    assert "read a K or V" not in note


def attention_only(dtype: str = "fp16") -> Workload:
    """s = q·kᵀ over two model inputs: one weightless matmul."""
    return Workload("att", [Tensor("q", (L, H), dtype, "input"), Tensor("k", (L, H), dtype, "input"),
                            Tensor("s", (L, L), dtype, "activation")],
                    [Op("qk", "matmul", ("q", "k"), ("s",), m=L, k=H, n=L)])


def test_a_cim_with_no_weight_matmul_names_its_claims():
    # find-F 6: rram-cim's arrays hold stationary weights; q·kᵀ has none, one op in all
    r = simulate(load_architecture("rram-cim"), attention_only())
    assert [n for n in r.notes if n.startswith("cim ")] == [
        "cim runs no op: it claims matmuls with a stationary weight (a weight tensor the op names as "
        "its weight), and this workload's one op is not one"]


def test_a_cim_chip_block_names_the_vector_ops_it_runs_too():
    r = simulate(chip_arch(processor=True), attention_only("int8"))
    assert [n for n in r.notes if n.startswith("cim ")] == [
        "cim runs no op: it claims matmuls with a stationary weight (a weight tensor the op names as "
        "its weight; its chip block also runs the im2col copies and vector ops beside them), and this "
        "workload's one op is not one"]


def test_a_systolic_array_with_only_elementwise_ops_names_its_claims():
    # tpu-like's array takes matmuls (m, k, n given); a ReLU and an exp are none (2 ops)
    w = Workload("ew", [Tensor("x", (L, H), "fp16", "input"), Tensor("y", (L, H), "fp16", "activation"),
                        Tensor("z", (L, H), "fp16", "activation")],
                 [Op("r", "elementwise", ("x",), ("y",), fn="relu"), Op("e", "elementwise", ("y",), ("z",), fn="exp")])
    r = simulate(load_architecture("tpu-like"), w)
    assert [n for n in r.notes if n.startswith("tpu ")] == [
        "tpu runs no op: it claims matmuls (m, k, n given; a generic op carrying MACs stays on the "
        "host), and none of this workload's 2 ops is one"]


def test_a_pim_with_nothing_of_its_kind_names_its_claims():
    r = simulate(load_architecture("gpu-hbm-pim-attn"), mlp())
    assert _pim_notes(r) == [
        "pim runs no op: it claims matmuls without a weight whose second operand is a KV cache (a model "
        "input; in a trace, one given as a cache or marked --resident), and none of this workload's 2 ops is one"]


def test_a_component_whose_ops_went_first_elsewhere_says_to_whom():
    # a CIM (priority 30) claims the weight matmul before PIM units claiming weights (priority 20)
    pim = yaml.safe_load(resolve_config("gpu-hbm-pim-attn").read_text())["pim"]
    d = copy.deepcopy(ROUND_ARCH)
    d.update(links={"bus": ROUND_LINK}, cim=dict(ROUND_CIM), pim={**pim, "claims": ["weights"], "max_rows": 64, "precision": None})
    r = simulate(architecture_from_dict(d), mlp("fp32"))  # the round host computes fp32
    assert _pim_notes(r) == [
        "pim runs no op: it claims GEMV-shaped matmuls with a stationary weight (at most max_rows "
        "activation rows); the 1 such op(s) went to components that claim first (1 to cim)"]


def test_no_note_where_it_runs_ops():
    one = Workload("one", [Tensor("x", (1, H), "fp16", "input"), Tensor("W", (H, H), "fp16", "weight"),
                           Tensor("y", (1, H), "fp16", "activation")],
                   [Op("fc", "matmul", ("x", "W"), ("y",), m=1, k=H, n=H, weight="W")])
    r = simulate(load_architecture("hbm-pim"), one)  # one row: max_rows 1 lets the PIM take it
    assert r.ops_per_unit["pim"] == 1 and _pim_notes(r) == []
