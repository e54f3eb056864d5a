"""Near-bank PIM units of a number format of their own (hbm-pim: ``precision: fp16``) on an LLM
whose weights are stored narrower than its arithmetic (``workload llm --weight-dtype int4``,
review 18-5 item 1). The units scaled a held weight by its *op's* dtype: int4 weights of an int8
matmul were held at 0.5 B x 2 = 1 B, neither as stored (0.5 B) nor as the note's fp16 (2 B).
A weight stored in its op's dtype is held in the units' format (int8 at 2 B, as before); one
stored in a dtype of its own (a weight-only format, dequantised as read) is held and read as
stored, at 0.5 B, and a note says so; the footprint, the bank reads and the note agree.

Closed forms: the weight matrices of the small model below, W = 2 layers x (512 x 12 heads x 64
+ 8 x 64 x 512 + 3 x 512 x 2048) + 512 x 4096 (the LM head, LM) = 9,699,328. hbm-pim claims the
one-row matmuls (``max_rows: 1``): the 4 decode steps read every weight once, the prefill only its
LM head (the last position's logits); its 32-row matmuls stay on the host. So the banks read
(4 W + LM) x B bytes, B the bytes a held weight takes."""

from __future__ import annotations

import pytest

import cimsim
from cimsim.workload.llm import LLMModel, llm_serving

SMALL = LLMModel(layers=2, hidden=512, heads=8, kv_heads=2, ffn=2048, vocab=4096, head_dim=64, gated=True)
LM = 512 * 4096
W = 2 * (512 * (8 + 2 * 2) * 64 + 8 * 64 * 512 + 3 * 512 * 2048) + LM


def _run(dtype: str, weight_dtype: str | None):
    w = llm_serving(SMALL, prompt=32, decode=4, dtype=dtype, weight_dtype=weight_dtype)
    r = cimsim.simulate(cimsim.load_architecture("hbm-pim"), w)
    return r.footprint["footprint_weight_bytes"], r.to_json()["pim_bank_bytes"], r.notes


@pytest.mark.parametrize("dtype, weight_dtype, held", [
    ("int8", None, 2.0),    # W8A8: int8 weights of int8 ops, widened to the units' fp16
    ("int8", "int4", 0.5),  # W4A8: read as stored
    ("fp16", "int4", 0.5),  # W4A16: read as stored
    ("fp16", None, 2.0),    # W16A16: fp16 as it is
])
def test_a_weight_is_held_at_its_own_storage_dtype(dtype, weight_dtype, held):
    assert W == 9_699_328
    weights, banks, notes = _run(dtype, weight_dtype)
    assert weights == W * held
    assert banks == (4 * W + LM) * held
    widened = [n for n in notes if "computes in fp16 only" in n]
    stored = [n for n in notes if "as stored" in n]
    if weight_dtype == "int4":
        # no note claims 2 B a weight; one says how they are held, with the same bytes
        assert not any("holds the weights" in n for n in widened)
        assert stored == [f"pim reads 9 weight(s) as stored, int4 (0.5 B an element) under {dtype} "
                          f"arithmetic: a weight-only format dequantised as read, so the banks, the "
                          f"footprint and the capacity check count 4.85 MB, not fp16's 2 B an element "
                          f"(an operand stored in its op's dtype it holds as fp16)"]
        assert W * 0.5 == 4_849_664  # the note's 4.85 MB
    else:
        assert not stored
        assert bool(widened) == (dtype == "int8")
