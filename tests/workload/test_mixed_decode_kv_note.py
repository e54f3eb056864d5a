"""review S 4: a per-request --decode list mixing 0 with longer requests under continuous
batching undercounts the KV cache by the decode-0 requests' rows; the run says so in a note."""

from __future__ import annotations

import numpy as np

from cimsim import simulate
from cimsim.report.serving import mixed_decode_note
from cimsim.workload.footprint import kv_cache_mask, kv_cache_profile
from cimsim.workload.llm import LLMModel, llm_serving

TINY = LLMModel(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4, gated=True)
ROW = 2 * 2 * 2 * 4 * 4  # K, V x 2 layers x 2 kv heads x head_dim 4 x fp32 4 B = 128 B a token


def _mixed(decode):
    # two slots, four requests of 16 prompt tokens: r0 and r1 first, r2 when r0 leaves, r3 after
    return llm_serving(TINY, prompt=16, decode=decode, batch=2, requests=4, batching="continuous", dtype="fp32")


def test_undercount_exists_and_the_run_notes_its_bound(round_arch):
    wl = _mixed([0, 3, 0, 2])
    kinds, ends = wl.metadata["llm"]["step_kind"], wl.metadata["llm"]["step_end_ops"]
    assert kinds[2:4] == ["prefill", "decode"]
    prof = kv_cache_profile(wl, kv_cache_mask(wl))
    step2 = int(prof[ends[1] + 1:ends[2] + 1].max())
    # r2's prefill runs beside r1 (16 prompt rows + 1 decode row): 17 + 16 = 33 rows = 4,224 B are
    # resident; the count leaves out r2's 16 rows (2,048 B): 17 rows = 2,176 B (the limitation)
    assert step2 == 17 * ROW == 2176 and (33 - 17) * ROW == 2048
    note = mixed_decode_note(wl.metadata)
    assert note is not None and "2 decode-0 requests" in note and "up to 2,048 B at once" in note
    assert "128 B a token" in note
    r = simulate(round_arch, wl)
    assert note in r.notes


def test_no_note_without_a_mix_or_under_static_batching():
    assert mixed_decode_note(_mixed([1, 3, 1, 2]).metadata) is None
    assert mixed_decode_note(_mixed(0).metadata) is None
    # a static batch keeps a decode-0 request's cache in its decode steps (no undercount)
    static = llm_serving(TINY, prompt=16, decode=[0, 3], batch=2, dtype="fp32")
    assert mixed_decode_note(static.metadata) is None
    assert int(np.max(kv_cache_profile(static, kv_cache_mask(static)))) == 2 * 19 * ROW
