"""find-C 2 (the part d26-C2 left): the cache layout (an external store as the backing store
behind an on-chip SRAM, no far tier) homes the KV cache in the store and reads it from there at
every decode step, even where every weight is in the SRAM and the SRAM has room for the cache;
nothing said so. Now a run note names the far tier's ``near_on_chip: true`` and ``place:``.
Real runs of the ``workload llm`` generator's 2-layer model on test_near_on_chip's wafer."""

from __future__ import annotations

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.workload.llm import llm_serving

from test_near_on_chip import TINY, wafer


def _kv_notes(r):
    return [n for n in r.notes if n.startswith("KV cache:")]


def _run(arch):
    return simulate(architecture_from_dict(arch), llm_serving(TINY, prompt=16, decode=2, batch=1,
                                                              dtype="fp32"))


def test_the_cache_layout_says_the_kv_cache_is_read_from_the_store():
    (note,) = _kv_notes(_run(wafer(far=False)))
    assert "read from the backing store memx, its home" in note
    assert "every weight is on chip and sram has room for it" in note
    assert "memory.memx.far: true and memory.memx.near_on_chip: true" in note


def test_no_note_with_the_far_tier_or_when_the_weights_do_not_fit():
    assert _kv_notes(_run(wafer())) == []
    small = wafer(far=False)
    small["memory"]["sram"]["capacity"] = "4 KiB"  # below one 64 x 128 fp32 matrix (32 KiB)
    assert _kv_notes(_run(small)) == []
