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
    assert (f"--weight-dtype int8 / int4 (weights 86.02 kB -> int8 43.01 kB, int4 21.5 kB)"
            in msg), msg  # 86,016 / 2 and / 4
    kv = fp.kv_cache
    assert kv == 4 * 8 * PER_TOKEN  # 4 requests x 8 rows at the prefill's peak: 8,192 B
    assert "--kv-dtype int8 / int4 (KV cache 8.192 kB -> int8 4.096 kB, int4 2.048 kB)" in msg
    # two devices hold (86,016 + 8,192) / 2 + the activations: within the capacity
    assert (WEIGHTS + kv) / 2 + fp.activations <= cap
    assert "--tensor-parallel 2 (each device about 1/2 of the weights and KV cache" in msg
    assert "a far host tier holding the 1 kB over (memory.LEVEL with far: true" in msg
    # an architecture with a far tier is not told to add one
    assert "far host tier" not in refusal(w, box(cap // 2, far_b=cap // 4))


def test_a_prefix_refusal_says_the_prefix_is_counted_once_per_request():
    """--prefix 6 with 4 requests: the prefix's rows 3 times more than a shared copy would hold,
    (4 - 1) x 6 x 256 B = 4,608 B."""
    w = llm_serving(M, prompt=8, decode=1, batch=4, prefix=6)
    msg = refusal(w, box(1000))
    assert ("of the KV cache, 4.608 kB is the 6-token prefix counted once per request "
            "(4 requests, each its own copy") in msg, msg
    assert "prefix" not in refusal(llm_serving(M, prompt=8, decode=1, batch=4), box(1000))


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
