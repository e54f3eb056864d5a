"""The precision note of a fixed-precision CIM compares its weight bits with the dtype each op's
weight is stored in (review 18-5 item 2): a W4A8 LLM (``workload llm --dtype int8
--weight-dtype int4``) on a CIM of 4-bit weights x 8-bit inputs matches it exactly, so no
``precision mismatch``; the same LLM at int8 weights on that CIM, or the W4A8 one on 8-bit
weights, is one, and the note for 4-bit weights names ``--weight-dtype int4``."""

from __future__ import annotations

import pytest

import cimsim
from cimsim.workload.llm import LLMModel, llm_serving

SMALL = LLMModel(layers=1, hidden=64, heads=4, kv_heads=2, ffn=128, vocab=256, head_dim=16, gated=True)


def _notes(weight_bits: int, weight_dtype: str | None):
    w = llm_serving(SMALL, prompt=4, decode=2, dtype="int8", weight_dtype=weight_dtype)
    r = cimsim.simulate(cimsim.load_architecture("sram-cim", {"cim.weight_bits": weight_bits}), w)
    return r.precision_mismatch, [n for n in r.notes if n.startswith("precision mismatch")]


@pytest.mark.parametrize("weight_bits, weight_dtype", [(4, "int4"), (8, None)])
def test_weights_stored_at_the_cims_bits_match(weight_bits, weight_dtype):
    assert _notes(weight_bits, weight_dtype) == (False, [])


def test_int8_weights_on_4_bit_weights_name_weight_dtype_int4():
    mixed, notes = _notes(4, None)
    assert mixed and len(notes) == 1
    assert "cim computes 4-bit weights x 8-bit inputs, but its ops are int8 in the workload" in notes[0]
    assert notes[0].endswith("; an LLM generated with cimsim workload llm --dtype int8 "
                             "--weight-dtype int4 has 4-bit weights)")


def test_int4_weights_on_8_bit_weights_are_a_mismatch_saying_so():
    mixed, notes = _notes(8, "int4")
    assert mixed and len(notes) == 1
    assert "cim computes 8-bit weights x 8-bit inputs, but its ops are int8 with int4 weights" in notes[0]
