"""Fused (FlashAttention) attention in LLM serving runs (``attention_kernel="fused"``,
``--attention-kernel fused``; :mod:`cimsim.workload.llm_attention`): the same MACs and
softmax work, one launch, no memory traffic for the score tensor."""

from __future__ import annotations

import copy

import pytest
from click.testing import CliRunner

from cimsim import load_architecture, simulate
from cimsim.bundled import resolve_config
from cimsim.cli import main
from cimsim.errors import WorkloadError
from cimsim.report import columns as C
from cimsim.workload.llm import LLMModel, llm_serving, prefill_macs

from conftest import ROUND_ARCH, make_arch

#: Llama-3-8B's shape (config.json of meta-llama/Meta-Llama-3-8B)
L3 = dict(hidden=4096, heads=32, kv_heads=8, ffn=14336, vocab=128256, head_dim=128, gated=True)
ATTENTION = ("scores", "softmax", "context")


def _attention_bytes(r, w, column: str) -> float:
    """Bytes the attention ops of ``w`` move over one resource in the run ``r``."""
    parts = [op.tags.get("part") for op in w.ops]
    t = r.op_table
    return float(sum(b for b, p in zip(t[column], parts) if p in ATTENTION))


def test_one_prefill_layer_fused_moves_q_k_v_in_and_o_out_over_dram():
    # a processor over DRAM alone: every byte an op moves crosses the DRAM
    arch = make_arch(memory={"dram": copy.deepcopy(ROUND_ARCH["memory"]["dram"])})
    m = LLMModel(layers=1, **L3)
    P = 2048
    fused = llm_serving(m, prompt=P, decode=0, dtype="fp32", attention_kernel="fused")
    unfused = llm_serving(m, prompt=P, decode=0, dtype="fp32")
    rf, ru = simulate(arch, fused), simulate(arch, unfused)
    dram = C.bytes_column("dram")
    # Q = P x H d_h = 2048 x 4096 = 8,388,608 elements, O the same; K = V = P x H_kv d_h =
    # 2048 x 1024 = 2,097,152 each: 20,971,520 elements x 4 B (fp32) = 83,886,080 B
    q = o = 2048 * 4096
    k = v = 2048 * 1024
    assert q + k + v + o == 20_971_520
    assert _attention_bytes(rf, fused, dram) == (q + k + v + o) * 4 == 83_886_080
    # unfused: the H x P x P score tensor (32 x 2048^2 = 134,217,728 elements, 536,870,912 B)
    # written by q.K^T, read and written by softmax, read by p.V: 4 passes more
    scores = 32 * 2048 * 2048 * 4
    assert _attention_bytes(ru, unfused, dram) == 83_886_080 + 4 * scores == 2_231_369_728
    # the same MACs (the full P x P products, 2 H d_h P^2 per layer) and softmax work
    assert fused.macs == unfused.macs == prefill_macs(m, [P])
    att = [op for op in fused.ops if op.tags.get("part") in ("scores", "context")]
    assert sum(op.macs for op in att) == 2 * 32 * 128 * 2048 ** 2 == 34_359_738_368
    for a, b in ((fused.arrays, unfused.arrays),):
        assert (a.vector_ops == b.vector_ops).all() and (a.macs == b.macs).all()
    # one kernel launch for the three parts (unfused: three)
    launch = {op.tags["launch"] for op in fused.ops if op.tags.get("part") in ATTENTION}
    assert len(launch) == 1
    assert len({op.tags["launch"] for op in unfused.ops if op.tags.get("part") in ATTENTION}) == 3


def test_llama3_8b_prefill_ttft_on_gpu_hbm3_moves_toward_the_compute_roofline():
    arch = load_architecture(resolve_config("gpu-hbm3"))
    m = LLMModel(layers=32, **L3)
    P = 2048
    ttft = {k: simulate(arch, llm_serving(m, prompt=P, decode=0, attention_kernel=k),
                        keep_ops=False).serving[C.TTFT_S] for k in ("unfused", "fused")}
    # H100 SXM5: 989.4 TFLOP/s dense fp16 (494.7 TMAC/s); vector 132 SMs x 138.5 x 1.83 GHz =
    # 33.45 Tops/s; HBM3 3.35 TB/s x 0.70 sustained = 2.345 TB/s; 5 us per launch
    mac_s, vec_s, bw, launch = 494.7e12, 132 * 138.5 * 1.83e9, 3.35e12 * 0.70, 5e-6
    roofline = prefill_macs(m, [P]) / mac_s  # 2 MACs / 989.4 TFLOP/s
    assert roofline == pytest.approx(31.11e-3, rel=1e-3, abs=0)
    assert ttft["fused"] >= roofline
    # per layer, the unfused score tensor (H P^2 x 2 B = 268,435,456 B) makes 4 passes over
    # DRAM, during which the scores', softmax's and context's compute (2 H d_h P^2 MACs,
    # 7 H P^2 vector ops) was hidden; fused, they are compute alone, in one launch instead of 3
    S = 32 * P * P * 2
    per_layer = (4 * S / bw - 2 * 32 * 128 * P * P / mac_s - 7 * 32 * P * P / vec_s
                 + 2 * launch)  # 457.9 - 69.5 - 28.1 + 10 = 370.3 us
    assert per_layer == pytest.approx(370.3e-6, rel=1e-3, abs=0)
    assert ttft["unfused"] - ttft["fused"] >= 32 * per_layer  # >= 11.85 ms of the gap closed
    # the gap to the roofline: +63 % unfused, under half of that fused
    assert ttft["fused"] - roofline < 0.5 * (ttft["unfused"] - roofline)


def test_decode_attention_split_between_pim_and_gpu_pays_the_bus_and_each_dispatch_fused_too():
    # on gpu-hbm-pim-attn the decode step's q.K^T and p.V run on the PIM units, softmax on the
    # GPU: a fused kernel cannot keep the scores on one chip, so they cross the bus as unfused
    arch = load_architecture(resolve_config("gpu-hbm-pim-attn"))
    m = LLMModel(layers=2, hidden=512, heads=8, kv_heads=2, ffn=1024, vocab=1000, head_dim=64, gated=True)
    runs = {k: llm_serving(m, prompt=[64, 32], decode=4, batch=2, attention_kernel=k)
            for k in ("unfused", "fused")}
    latency = {}
    for engine in ("des", "analytic"):
        res = {k: simulate(arch, w, engine=engine) for k, w in runs.items()}
        latency[engine] = res["fused"].latency_s
        # q.K^T and p.V of each running request, layer and decode step: 2 x 2 x 2 x 4 = 32
        assert res["fused"].ops_per_unit["pim"] == res["unfused"].ops_per_unit["pim"] == 32
        # the PIM units' bus bytes (H = 8 heads, d_h = 64, 2 B): q in (8 x 64 x 2 = 1,024 B)
        # and the scores out (8 x keys x 2 B) for q.K^T, the probabilities in (8 x keys x 2 B)
        # and O out (1,024 B) for p.V, 2 requests x 4 steps x 2 layers = 16 times: 32,768 B;
        # the scores and probabilities, keys 65..68 and 33..36 over 4 steps, 2 layers, 2 ways:
        # 2 x 2 x 8 x 2 B x (266 + 138) = 25,856 B, fused or not; 58,624 B in all
        scores = 2 * 2 * 8 * 2 * ((65 + 66 + 67 + 68) + (33 + 34 + 35 + 36))
        assert scores == 25_856
        dram = C.bytes_column("dram")
        for k, w in runs.items():
            t = res[k].op_table
            pim = [i for i, u in enumerate(t["unit"]) if u == "pim"]
            assert float(sum(t[dram][i] for i in pim)) == 16 * 2 * 1024 + scores == 58_624
            # each layer and step: q.K^T one PIM command (op_overhead 5 us + DRAM latency
            # 500 ns), the softmaxes one GPU launch (5 us), the contexts another PIM command
            # (5.5 us); their gather (a copy) rides on the contexts': 16 us x 2 layers x 4 steps
            dec = [i for i, op in enumerate(w.ops) if ".decode." in op.name
                   and op.tags.get("part") in (*ATTENTION, "gather")]
            assert sum(t[C.OP_FIXED_LATENCY][i] for i in dec) == pytest.approx(8 * 16e-6, rel=1e-12, abs=0)
        assert any("pass between units" in n and "25.86 kB" in n for n in res["fused"].notes)
    # the two engines agree (the DES shares bandwidth between concurrent transfers)
    assert latency["des"] == pytest.approx(latency["analytic"], rel=1e-3, abs=0)
    # the prefill's attention runs on the GPU alone, fused there: its scores stay on chip
    assert not any("pass between units" in n for n in simulate(
        load_architecture(resolve_config("gpu-hbm3")), runs["fused"]).notes)


def test_an_on_chip_output_that_no_op_reads_is_refused():
    from cimsim.workload import Op, Tensor, Workload

    w = Workload("w", [Tensor("x", (4, 8), "fp16", "input"), Tensor("W", (8, 8), "fp16", "weight"),
                       Tensor("y", (4, 8), "fp16", "activation"), Tensor("z", (4, 8), "fp16", "activation")],
                 [Op("mm", "matmul", ("x", "W"), ("y",), m=4, k=8, n=8, weight="W"),
                  Op("relu", "elementwise", ("y",), ("z",), fn="relu", tags={"on_chip": 1})])
    with pytest.raises(WorkloadError, match=r"^workload 'w': op 'relu': tag on_chip = 1 but its output "
                                            r"'z' is read by no op \(a model output\)"):
        w.arrays


def test_bad_attention_kernel_is_one_line():
    with pytest.raises(WorkloadError, match="attention_kernel 'flash' is not one of unfused, fused"):
        llm_serving(LLMModel(layers=1, **L3), prompt=4, decode=1, attention_kernel="flash")
    r = CliRunner().invoke(main, ["workload", "llm", "--layers", "1", "--hidden", "64", "--heads", "4",
                                  "--vocab", "10", "--attention-kernel", "flash", "-o", "x.npz"])
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert r.output.strip().splitlines()[-1].endswith(
        "--attention-kernel 'flash' is not one of unfused, fused")


@pytest.mark.parametrize("value", [2, "yes"])
def test_an_on_chip_tag_other_than_0_or_1_is_refused(value):
    from cimsim.workload import Op, Tensor, Workload

    with pytest.raises(WorkloadError, match=rf"op 'mm' \(#0\): tag on_chip = {value!r} is not "
                                            "(allowed|a number); it must be 0 or 1"):  # when the workload is made
        Workload("w", [Tensor("x", (1, 4), "fp32", "input"), Tensor("W", (4, 2), "fp32", "weight"),
                       Tensor("y", (1, 2), "fp32", "activation")],
                 [Op("mm", "matmul", ("x", "W"), ("y",), m=1, k=4, n=2, weight="W",
                     tags={"on_chip": value})])


@pytest.mark.torch
@pytest.mark.slow
def test_trace_serve_fused_keeps_what_the_generator_keeps_on_chip():
    from cimsim.workload.llm import model_from_hf
    from cimsim.zoo.hf import _LM
    from cimsim.zoo.serve import trace_serving

    opts = dict(prompt=[5, 7], decode=[6, 3], batch=2, dtype="fp32", batching="continuous")
    model = model_from_hf({"model_type": "llama", "hidden_act": "silu", **_LM})
    t = {k: trace_serving("llama", attention_kernel=k, **opts) for k in ("unfused", "fused")}
    g = {k: llm_serving(model, attention_kernel=k, **opts) for k in ("unfused", "fused")}
    assert t["fused"].metadata["llm"]["step_macs"] == g["fused"].metadata["llm"]["step_macs"]

    def moved(w):
        a = w.arrays
        return float(a.act_in_bytes.sum() + a.act_out_bytes.sum())
    # the bytes no longer moved: the scores and probabilities, each written once and read once,
    # H x tokens x keys x 4 B: prefill 2 layers x 4 heads x (5^2 + 7^2); decode keys 6..11 and
    # 8..10 (request 1 stops after 3 steps): 2 x 4 x (6+7+8+9+10+11 + 8+9+10)
    elems = 2 * 4 * (25 + 49) + 2 * 4 * (51 + 27)
    kept = 2 * 2 * elems * 4  # 2 tensors (scores, probabilities) x (write + read) x 4 B
    assert kept == 19_456
    assert moved(g["unfused"]) - moved(g["fused"]) == kept
    assert moved(t["unfused"]) - moved(t["fused"]) == kept
    on = [sum(1 for op in w.ops if op.tags.get("on_chip")) for w in (t["fused"], g["fused"])]
    assert on[0] == on[1] == 2 * 2 * (2 + 2 * 3 + 1 * 3)  # scores + softmax per request/layer/iteration
