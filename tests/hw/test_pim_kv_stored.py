"""A KV cache stored in a dtype other than its attention's (``--kv-dtype``) is read in PIM's
banks as stored, as a weight-only format's weights are (find-E 4: an int4 cache under int8
arithmetic was held at 1 B an element, under fp32 at 0.25 B, and the note named fp16's 2 B).

One layer, 2 KV heads of 64 (hidden 256, 4 query heads), prompt 64, 2 decode steps with the
fused kernel on gpu-hbm-pim-attn (pim.precision fp16, claims kv_cache): decode step s reads
K and V of its 64 + 1 + s tokens, so the banks read 2 x 2 x 64 x (65 + 66) = 33,536 cache
elements over the run.
"""

from __future__ import annotations

import pytest

from cimsim import load_architecture, simulate
from cimsim.workload.llm import LLMModel, llm_serving

M = LLMModel(layers=1, hidden=256, heads=4, kv_heads=2, ffn=512, vocab=100, head_dim=64, gated=True)
ELEMENTS = 2 * 2 * 64 * (65 + 66)
BYTES = {"fp16": 2, "int8": 1, "int4": 0.5, "int2": 0.25, "fp32": 4}


@pytest.mark.parametrize("dtype", ["fp16", "int8", "fp32"])
@pytest.mark.parametrize("kv", ["int8", "int4", "int2"])
def test_a_packed_cache_is_read_in_the_banks_as_stored(dtype, kv):
    r = simulate(load_architecture("gpu-hbm-pim-attn"),
                 llm_serving(M, prompt=64, decode=2, attention_kernel="fused", dtype=dtype, kv_dtype=kv))
    # a cache of its op's own dtype (int8 under int8) lies in the banks as fp16, 2 B an element
    per = BYTES["fp16"] if kv == dtype else BYTES[kv]
    assert r.facts["pim_bank_bytes"] == pytest.approx(ELEMENTS * per, rel=1e-12, abs=0)
    notes = [n for n in r.notes if "KV caches" in n and n.startswith("pim ")]
    if kv == dtype:
        assert notes and "as fp16, 2 B an element for int8's 1 B" in notes[0]
    else:
        assert notes == [f"pim reads the KV caches of 4 op(s) as stored, {kv} ({BYTES[kv]:g} B an element) "
                         f"under {dtype} arithmetic: a cache format dequantised as read, so the banks, the "
                         "footprint and the capacity check count their stored bytes, not fp16's 2 B an element"]
