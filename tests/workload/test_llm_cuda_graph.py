"""`cimsim workload llm --cuda-graph`: each decode step one kernel launch (a CUDA graph replay,
as vLLM and TensorRT-LLM run decode), the prefill eager (find-S 3)."""

from __future__ import annotations

import pytest

from cimsim import load_architecture, simulate
from cimsim.workload.llm import LLMModel, llm_serving

SMALL = LLMModel(layers=2, hidden=256, heads=4, kv_heads=4, ffn=1024, vocab=1000, head_dim=64, gated=True)


def test_a_graph_decode_step_pays_one_dispatch_and_one_latency():
    """With every dispatch and access latency at 0 the step is its data and compute time X; gpu-hbm3's graph step is X + 5 us (processor.op_overhead, once) + 500 ns
    (the HBM latency, once), where eager pays both for each of the step's 24 launches."""
    free = load_architecture("gpu-hbm3", {"processor.op_overhead": "0 s", "memory.dram.latency": "0 s"})
    gpu = load_architecture("gpu-hbm3")
    eager, graph = (llm_serving(SMALL, prompt=16, decode=3, attention_kernel="fused", cuda_graph=g)
                    for g in (False, True))
    x = simulate(free, eager).serving["tpot_s"]
    g, e = simulate(gpu, graph).serving, simulate(gpu, eager).serving
    assert g["tpot_s"] == pytest.approx(x + 5e-6 + 500e-9, rel=1e-9, abs=0)
    assert e["tpot_s"] > x + 20 * 5e-6  # eager: a dispatch a kernel
    assert g["ttft_s"] == pytest.approx(e["ttft_s"], rel=1e-12, abs=0)  # the prefill stays eager
    assert graph.metadata["params"]["cuda_graph"] is True and "cuda_graph" not in eager.metadata["params"]


def test_graph_tags_are_the_same_built_op_by_op_or_replicated():
    """Decode 6 replicates steps 3-5 from step 2 (llm_replicate): one launch a decode step
    either way, none shared with the prefill."""
    fast, slow = (llm_serving(SMALL, prompt=16, decode=6, batch=2, cuda_graph=True, replicate=r)
                  for r in (True, False))
    for w in (fast, slow):
        steps = {}
        for o in w.ops:
            if o.tags["phase"] == "decode":
                steps.setdefault(o.tags["step"], set()).add(o.tags["launch"])
        assert len(steps) == 6 and all(len(v) == 1 for v in steps.values())
        assert len({next(iter(v)) for v in steps.values()}) == 6
        prefill = {o.tags.get("launch") for o in w.ops if o.tags["phase"] == "prefill"}
        assert not prefill & set().union(*steps.values())
    assert [o.tags for o in fast.ops] == [o.tags for o in slow.ops]
