"""A prefill-only serving run (``--decode 0``: a disaggregated prefill node's) holds the KV cache
its prefill writes (find-E 1). Before, its footprint counted no KV cache (``kv_cache_peak_bytes``
0) and its capacity check admitted a batch whose caches do not fit, where the same prefill with
one decode step after it was refused. Golden values are closed forms of the model's shape."""

from __future__ import annotations

import pytest

import cimsim
from cimsim.config import architecture_from_dict
from cimsim.errors import CapacityError
from cimsim.report import columns as C
from cimsim.workload.footprint import footprint
from cimsim.workload.llm import LLMModel, llm_serving

# Llama-3-8B's shape: KV per token 2 x 32 layers x 8 kv heads x 128 x 2 B (fp16) = 131,072 B
LLAMA3_8B = LLMModel(layers=32, hidden=4096, heads=32, kv_heads=8, ffn=14336, vocab=128256,
                     head_dim=128, gated=True)
# a small model whose caches outweigh its live activations (8 layers, MHA, a narrow FFN)
SMALL = LLMModel(layers=8, hidden=64, heads=4, kv_heads=4, ffn=64, vocab=100, head_dim=16, gated=True)


def test_a_llama3_8b_prefill_node_holds_its_requests_caches():
    per_token = 2 * 32 * 8 * 128 * 2
    assert per_token == 131_072
    want = 4 * 1024 * per_token  # 536,870,912 B
    for kw in ({}, {"requests": 8, "batching": "continuous"}):  # one wave, or two one after another
        f = footprint(llm_serving(LLAMA3_8B, prompt=1024, decode=0, batch=4, attention_kernel="fused", **kw))
        assert (f.kv_cache, f.kv_cache_peak) == (want, want), kw
    # after a cached prefix of 1,000 tokens the prefill still ends holding all 1,024 rows
    f = footprint(llm_serving(LLAMA3_8B, prompt=1024, prefix=1000, decode=0, batch=4, attention_kernel="fused"))
    assert (f.kv_cache, f.kv_cache_peak) == (want, want)
    # with one decode step after it the prefill's peak holds the same; the step adds a row a request
    f1 = footprint(llm_serving(LLAMA3_8B, prompt=1024, decode=1, batch=4, attention_kernel="fused"))
    assert (f1.kv_cache, f1.kv_cache_peak) == (want, 4 * 1025 * per_token)


def box(capacity: int) -> object:
    return architecture_from_dict({
        "name": "box",
        "memory": {"hbm": {"capacity": f"{capacity} B", "bandwidth": "1 TB/s", "energy_per_byte": "1 pJ/B"}},
        "processor": {"name": "host", "cores": 1, "clock": "1 GHz",
                      "macs_per_cycle_per_core": {"fp16": 1}, "vector_ops_per_cycle_per_core": 1,
                      "energy_per_mac": {"fp16": "1 pJ"}, "energy_per_vector_op": "1 pJ",
                      "static_power": "0 W", "op_overhead": "0 s"}})


def small_sizes() -> tuple[int, int]:
    """(weights, KV of 2 requests x 256 tokens), fp16: per layer W_qkv 64 x 12 x 16, W_o 64 x 64,
    W_up 64 x 128, W_down 64 x 64, then the LM head 64 x 100; KV 2 x 8 x 4 x 16 x 512 tokens."""
    per_layer = 64 * 12 * 16 + 64 * 64 + 64 * 2 * 64 + 64 * 64
    return (8 * per_layer + 64 * 100) * 2, 2 * 8 * 4 * 16 * 2 * 256 * 2


def test_a_prefill_only_run_reports_and_is_held_to_its_kv_cache():
    weights, kv = small_sizes()
    assert (weights, kv) == (471_552, 1_048_576)
    w0 = llm_serving(SMALL, prompt=256, decode=0, batch=2, attention_kernel="fused")
    rec = cimsim.simulate(box(10_000_000), w0).record()
    assert rec[C.FOOTPRINT_KV_CACHE_BYTES] == kv
    assert rec[C.KV_CACHE_PEAK_BYTES] == kv
    assert rec[C.FOOTPRINT_WEIGHT_BYTES] == weights
    assert rec[C.FOOTPRINT_BYTES] == weights + kv + rec[C.FOOTPRINT_ACTIVATION_BYTES]
    # a capacity that holds the weights and the caches but no activation refuses both runs (the
    # activations live at the prefill's peak, 327,680 B, are fewer than the caches: the prefill-only
    # run passed it before)
    for d in (0, 1):
        w = llm_serving(SMALL, prompt=256, decode=d, batch=2, attention_kernel="fused")
        with pytest.raises(CapacityError, match="KV cache 1.04858 MB"):
            cimsim.simulate(box(weights + kv), w)
