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
    # find-H 4: the remedy is the stored weights' bits, not "--dtype int8" to an int8 trace
    assert notes[0].endswith("(--set cim.weight_bits=4 matches the stored 4-bit weights; or tag "
                             "each narrower layer's matmul weight_value_bits)"), notes[0]


def _gemv(weight_dtype: str):
    from cimsim.workload.ir import Op, Tensor, Workload

    return Workload("gemv", [Tensor("x", (1, 256), "int8", "input"),
                             Tensor("W", (256, 256), weight_dtype, "weight"),
                             Tensor("y", (1, 256), "int8", "activation")],
                    [Op("mm", "matmul", ("x", "W"), ("y",), m=1, k=256, n=256, weight="W")])


def test_int2_weights_on_2_bit_weights_match():
    """find-H 4: int2-stored weights (BitNet's packed ternary) on a CIM of 2-bit weights x 8-bit
    inputs are 2-bit x 8-bit on both sides: no mismatch (was one, with a remedy saying its bits
    at 8 match an int8 trace)."""
    arch = cimsim.load_architecture("sram-cim", {"cim.weight_bits": 2})
    r = cimsim.simulate(arch, _gemv("int2"), engine="analytic")
    assert not r.precision_mismatch, r.notes
    r8 = cimsim.simulate(arch, _gemv("int8"), engine="analytic")  # still one at int8 weights
    note = next(n for n in r8.notes if n.startswith("precision mismatch"))
    assert "set its bits to 8 to match that trace" in note, note


def _layers(*specs):
    """A chain of 256 x 256 matmuls, one per ``(dtype, weight dtype, weight name)``."""
    from cimsim.workload.ir import Op, Tensor, Workload

    tensors, ops, prev = [Tensor("x0", (1, 256), specs[0][0], "input")], [], "x0"
    for i, (dt, wdt, w) in enumerate(specs):
        tensors += [Tensor(w, (256, 256), wdt, "weight"), Tensor(f"x{i + 1}", (1, 256), dt, "activation")]
        ops.append(Op(f"mm{i}", "matmul", (prev, w), (f"x{i + 1}",), m=1, k=256, n=256, weight=w))
        prev = f"x{i + 1}"
    return Workload("layers", tensors, ops)


def test_a_few_mismatching_ops_are_counted_and_kept_off_not_the_blocks_bits():
    """(review DH 3) Two int8 matmuls of int2 weights match a CIM of 2-bit weights x 8-bit
    inputs; a bf16 head does not. The note counts it (1 of 3 ops) and names its weight for
    cim.exclude, not 'set its bits to 8', which would make the 2 matched ones mismatch."""
    arch = cimsim.load_architecture("sram-cim", {"cim.weight_bits": 2})
    w = _layers(("int8", "int2", "W_a"), ("int8", "int2", "W_b"), ("bf16", "bf16", "W_head"))
    r = cimsim.simulate(arch, w, engine="analytic")
    note = next(n for n in r.notes if n.startswith("precision mismatch"))
    assert "but its ops are bf16 (1 of 3 ops) in the workload" in note, note
    assert "the other 2 ops match its bits" in note and "cim.exclude: ['W_head']" in note, note
    assert "set its bits to 8" not in note


def test_int4_weights_under_a_float_op_point_to_the_tag():
    """(review DH 4) An fp32 trace's int4-stored weight is held at weight_bits 8 (a dtype is not
    read as bits): the note says to tag the layer weight_value_bits 4."""
    arch = cimsim.load_architecture("rram-cim")
    r = cimsim.simulate(arch, _layers(("fp32", "int4", "W4"), ("fp32", "fp32", "W")), engine="analytic")
    note = next(n for n in r.notes if n.startswith("precision mismatch"))
    assert "fp32 with int4 weights" in note
    assert note.endswith("tag their layers' matmuls weight_value_bits 4 to hold them at that)"), note
