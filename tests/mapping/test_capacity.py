"""A capacity refusal names what would fit (:mod:`cimsim.mapping.capacity`): an LLM run's
smaller weight and KV formats, tensor parallelism, a far host tier, the shared prefix counted
once per request (find-P 4), and a host's im2col matrices that GPU and CPU libraries never
form (find-U 3). Golden values are closed forms of the shapes."""

from __future__ import annotations

import pytest

from cimsim.config import architecture_from_dict
from cimsim.errors import MappingError
from cimsim.mapping.placement import place
from cimsim.workload.llm import LLMModel, llm_serving

M = LLMModel(layers=1, hidden=64, heads=4, kv_heads=4, ffn=128, vocab=32, head_dim=16, gated=True)
# weights: 64·(4+8)·16 + 64·64 + 3·64·128 + 64·32 = 43,008 elements x 2 B = 86,016 B
WEIGHTS = 2 * (64 * 12 * 16 + 64 * 64 + 3 * 64 * 128 + 64 * 32)
PER_TOKEN = 2 * 1 * 4 * 16 * 2  # K and V x layers x kv_heads x head_dim x fp16: 256 B


def box(capacity_b: int, far_b: int | None = None):
    mem = {"hbm": {"technology": "HBM3", "capacity": f"{capacity_b} B", "bandwidth": "1 TB/s",
                   "energy_per_byte": "1 pJ/B"}}
    if far_b is not None:  # a far host tier of far_b bytes behind it (hierarchy rule 9)
        mem["host"] = {"capacity": f"{far_b} B", "bandwidth": "64 GB/s", "energy_per_byte": "1 pJ/B",
                       "far": True}
    return architecture_from_dict({
        "name": "box", "memory": mem,
        "processor": {"name": "host", "cores": 1, "clock": "1 GHz",
                      "macs_per_cycle_per_core": {"fp16": 1, "fp32": 1},
                      "vector_ops_per_cycle_per_core": 1,
                      "energy_per_mac": {"fp16": "1 pJ", "fp32": "1 pJ"},
                      "energy_per_vector_op": "1 pJ", "static_power": "0 W", "op_overhead": "0 s"}})


def refusal(workload, arch) -> str:
    with pytest.raises(MappingError) as e:
        place(workload, arch)
    return str(e.value)


def test_an_llm_refusal_names_int8_int4_weights_and_kv_tensor_parallel_and_a_far_tier():
    w = llm_serving(M, prompt=8, decode=1, batch=4)
    fp = w.footprint
    assert fp.weights == WEIGHTS == 86_016
    cap = fp.total - 1000
    msg = refusal(w, box(cap))
    assert ("--weight-dtype int8 / int4 (weights 86.02 kB -> int8 43.01 kB (peak 79.87 kB), "
            "int4 21.5 kB (peak 58.37 kB); fits on its own)" in msg), msg  # 86,016 / 2 and / 4
    kv = fp.kv_cache
    assert kv == 4 * 8 * PER_TOKEN  # 4 requests x 8 rows at the prefill's peak: 8,192 B
    assert "--kv-dtype int8 / int4 (KV cache 8.192 kB -> int8 4.096 kB (peak 118.8 kB), int4 2.048 kB" in msg
    # two devices hold (86,016 + 8,192) / 2 + the activations: within the capacity
    assert (WEIGHTS + kv) / 2 + fp.activations <= cap
    assert "--tensor-parallel 2 (each device about 43.01 kB of weights and 4.096 kB of KV cache" in msg
    assert "a far host tier holding the 1 kB over (memory.LEVEL with far: true" in msg
    # an architecture with a far tier is not told to add one
    assert "far host tier" not in refusal(w, box(cap // 2, far_b=cap // 4))


def test_a_format_that_cannot_close_the_gap_alone_is_not_offered():
    """(review 23 C 3) 7,000 B over: int4 KV saves 8,192 x 3/4 = 6,144 B, too little, so no
    --kv-dtype; 66,000 B over: int4 weights save 86,016 x 3/4 = 64,512 B, too little alone,
    int4 weights with int8 KV save 64,512 + 4,096 = 68,608 B, the mildest pair that fits."""
    w = llm_serving(M, prompt=8, decode=1, batch=4)
    msg = refusal(w, box(w.footprint.total - 7000))
    assert "--weight-dtype int8 / int4" in msg and "--kv-dtype" not in msg, msg
    msg = refusal(w, box(w.footprint.total - 66_000))
    assert "--weight-dtype int4 with --kv-dtype int8 (together; neither alone fits" in msg, msg
    assert "--weight-dtype int8" not in msg and "--kv-dtype int4" not in msg, msg


def test_the_tensor_parallel_estimate_replicates_kv_heads_and_divides_the_heads():
    """(review 23 C 4) 6 heads, 2 KV heads: N = 3 is refused by the generator (3 neither divides
    2 nor is a multiple of it), N = 4 and 8 do not divide 6; at N = 6 each device keeps 1 KV
    head (2 // 6 -> 1, replicated), so half the KV cache, not a sixth."""
    m6 = LLMModel(layers=1, hidden=96, heads=6, kv_heads=2, ffn=120, vocab=36, head_dim=16, gated=True)
    w = llm_serving(m6, prompt=8, decode=1, batch=4)
    fp = w.footprint
    kv = 4 * 8 * 2 * 2 * 16 * 2  # requests x rows x K,V x kv_heads x head_dim x fp16: 4,096 B
    assert fp.kv_cache == kv
    cap = fp.weights // 6 + kv // 2 + fp.activations  # N = 6's estimate; N = 2's is over it
    assert fp.weights / 2 + kv / 2 + fp.activations > cap
    msg = refusal(w, box(cap))
    assert ("--tensor-parallel 6 (each device about 20.86 kB of weights and 2.048 kB of KV cache, "
            "1 of the 2 key/value heads (replicated past kv_heads)") in msg, msg
    assert llm_serving(m6, prompt=8, decode=1, batch=4, tensor_parallel=6).footprint.kv_cache == kv // 2


def test_a_prefix_refusal_says_the_prefix_is_counted_once_per_request():
    """--prefix 6 with 4 requests: the prefix's rows 3 times more than a shared copy would hold,
    (4 - 1) x 6 x 256 B = 4,608 B."""
    w = llm_serving(M, prompt=8, decode=1, batch=4, prefix=6)
    msg = refusal(w, box(1000))
    assert ("of the KV cache, 4.608 kB is the 6-token prefix counted once per request "
            "(4 requests, each its own copy") in msg, msg
    assert "prefix" not in refusal(llm_serving(M, prompt=8, decode=1, batch=4), box(1000))


def test_a_pipeline_stage_prefix_note_counts_the_stage_s_layers():
    """(review 23 C 2) 2 layers over 2 stages: a stage holds 1 layer's rows, so the prefix is
    (4 - 1) x 6 x 256 B = 4,608 B of its 8,192 B KV cache, not the 2 layers' 9,216 B."""
    m2 = LLMModel(layers=2, hidden=64, heads=4, kv_heads=4, ffn=128, vocab=32, head_dim=16, gated=True)
    msg = refusal(llm_serving(m2, prompt=8, decode=1, batch=4, prefix=6, pipeline_parallel=2), box(1000))
    assert "on pipeline stage 1 of 2" in msg and "KV cache 8.192 kB" in msg, msg
    assert "of the KV cache, 4.608 kB is the 6-token prefix" in msg, msg


@pytest.mark.torch
def test_a_host_convolution_refusal_says_the_im2col_matrix_is_no_library_s():
    """Conv2d(4, 8, 3, padding 1, no bias) over 1 x 4 x 16 x 16 fp32 on a processor: at the peak
    the 9 x 4,096 = 36,864 B im2col matrix and the 8,192 B output, plus 1,152 B of weights:
    46,208 B; without the matrix the conv reads its 4,096 B input: 1,152 + 4,096 + 8,192 =
    13,440 B, 32,768 B less."""
    import torch
    from torch import nn

    from cimsim.workload.trace import trace

    w = trace(nn.Conv2d(4, 8, 3, padding=1, bias=False).eval(), (torch.randn(1, 4, 16, 16),))
    assert w.footprint.total == 1152 + 9 * 4096 + 8192
    msg = refusal(w, box(20_000))
    assert ("these bytes include im2col matrices (ops tagged part: im2col) that this model forms "
            "on the host and cuDNN's and oneDNN's implicit-GEMM convolutions never form: without "
            "them (each convolution reading its input) the peak is 13.44 kB, 32.768 kB less") in msg, msg
