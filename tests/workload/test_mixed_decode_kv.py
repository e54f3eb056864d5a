"""find-G2 2 (review S 4): under continuous batching a per-request --decode list mixing 0 with
longer requests counts each request's KV rows from the prefill that writes them until the
request ends: a decode-0 request's rows are held to its prefill's end beside the running
requests' (the count took them off the running requests' caches: 2,176 B where 4,224 B are held).

Golden values: rows of one token's K and V over every layer (ROW bytes), the schedule of
``llm_schedule.schedule`` written out by hand in each test."""

from __future__ import annotations

import numpy as np
import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import MappingError
from cimsim.mapping.placement import place
from cimsim.workload.footprint import kv_cache_mask, kv_cache_profile
from cimsim.workload.llm import LLMModel, llm_serving

TINY = LLMModel(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4, gated=True)
ROW = 2 * 2 * 2 * 4 * 4  # K, V x 2 layers x 2 kv heads x head_dim 4 x fp32 4 B = 128 B a token


def _steps(wl) -> list[int]:
    """The most KV bytes held in each iteration, in rows (of ROW bytes)."""
    prof = kv_cache_profile(wl, kv_cache_mask(wl))
    e = [-1] + wl.metadata["llm"]["step_end_ops"]
    peaks = [int(prof[e[i] + 1:e[i + 1] + 1].max()) for i in range(len(e) - 1)]
    assert all(p % ROW == 0 for p in peaks)
    return [p // ROW for p in peaks]


def _serve(**kw):
    return llm_serving(TINY, batching="continuous", dtype="fp32", **kw)


@pytest.mark.parametrize("prefix", [0, 8])
def test_a_decode_0_request_holds_its_rows_to_its_prefills_end(prefix):
    # 2 slots, 4 requests of 16 tokens, decode 0, 3, 0, 2:
    # it0 prefill r0 + r1: 16 + 16 = 32 rows; decode (r1): 17
    # it1 prefill r2 beside r1 (17 rows): 17 + 16 = 33 (counted 17 before the fix); decode: 18
    # it2 prefill r3 beside r1 (18): 18 + 16 = 34; decode r1 19 + r3 17 = 36; it3 decode r3: 18
    # with --prefix 8 the prefill writes 8 rows a request, its 8 cached rows held beside them
    wl = _serve(prompt=16, decode=[0, 3, 0, 2], batch=2, requests=4, prefix=prefix)
    assert wl.metadata["llm"]["step_kind"] == ["prefill", "decode"] * 3 + ["decode"]
    assert _steps(wl) == [32, 17, 33, 18, 34, 36, 18]
    assert 33 * ROW == 4224
    assert wl.footprint.kv_cache_peak == 36 * ROW


def test_a_long_decode_0_prompt_sets_the_peak_and_the_capacity_check(round_arch):
    # 3 slots, prompts 32, 24, 64, 16, 96, decode 2, 4, 0, 3, 0:
    # it0 prefill r0 r1 r2: 32 + 24 + 64 = 120; decode r0 33 + r1 25 = 58 (r2 ended)
    # it1 prefill r3 beside r0 r1 (58): 58 + 16 = 74; decode 34 + 26 + 17 = 77 (r0 ends)
    # it2 prefill r4 beside r1 r3 (26 + 17 = 43): 43 + 96 = 139 (counted 96 before the fix);
    #     decode 27 + 18 = 45; it3 decode 28 + 19 = 47
    wl = _serve(prompt=[32, 24, 64, 16, 96], decode=[2, 4, 0, 3, 0], batch=3, requests=5)
    assert _steps(wl) == [120, 58, 74, 77, 139, 45, 47]
    fp = wl.footprint
    assert fp.kv_cache_peak == 139 * ROW == 17_792
    # the capacity check holds the same count at the peak op (r4's prefill, its last qkv write)
    assert fp.kv_cache == 139 * ROW
    r = simulate(round_arch, wl)
    assert r.kv_cache_peak_bytes == 17_792
    assert not any("decode-0" in n or "mixes 0" in n for n in r.notes)
    box = lambda cap: architecture_from_dict({  # noqa: E731
        "name": "box", "memory": {"hbm": {"capacity": f"{cap} B", "bandwidth": "1 TB/s",
                                          "energy_per_byte": "1 pJ/B"}},
        "processor": {"name": "host", "cores": 1, "clock": "1 GHz",
                      "macs_per_cycle_per_core": {"fp32": 1}, "vector_ops_per_cycle_per_core": 1,
                      "energy_per_mac": {"fp32": "1 pJ"}, "energy_per_vector_op": "1 pJ",
                      "static_power": "0 W", "op_overhead": "0 s"}})
    place(wl, box(fp.total))
    with pytest.raises(MappingError, match=r"memory\.hbm\.capacity"):
        place(wl, box(fp.total - 1))


def test_static_batching_and_unmixed_lists_are_unchanged():
    # a static batch keeps a decode-0 request's cache through its decode steps: 2 x (16 + 3)
    static = llm_serving(TINY, prompt=16, decode=[0, 3], batch=2, dtype="fp32")
    assert int(np.max(kv_cache_profile(static, kv_cache_mask(static)))) == 2 * 19 * ROW
    # no decode-0 request: it1 prefill r2 beside r1 (17): 17 + 16 = 33 as before
    wl = _serve(prompt=16, decode=[1, 3, 1, 2], batch=2, requests=4)
    assert _steps(wl)[:4] == [32, 34, 33, 35]


@pytest.mark.slow
@pytest.mark.torch
def test_a_traced_serving_run_counts_the_same_rows(monkeypatch):
    # the zoo's tiny llama traced (its K and V projections state the rows, batched over the
    # prefill's requests: split by the prompts in params) and generated: 2 slots, prompts 4, 3, 3,
    # decode 2, 0, 0; one token's K and V over both layers: 2 x 2 x 16 x 4 B = 256 B.
    # it0 prefill r0 r1: 4 + 3 = 7 rows; decode r0: 5; it1 prefill r2 beside r0 (5): 5 + 3 = 8
    # (counted 5 before the fix); decode r0: 6
    pytest.importorskip("transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from cimsim.workload.llm import model_from_hf
    from cimsim.zoo.hf import _LM
    from cimsim.zoo.serve import trace_serving

    kw = dict(prompt=[4, 3, 3], decode=[2, 0, 0], batch=2, dtype="fp32", batching="continuous")
    row = 2 * 2 * 16 * 4
    for w in (trace_serving("llama", **kw),
              llm_serving(model_from_hf({"model_type": "llama", "hidden_act": "silu", **_LM}), **kw)):
        prof = kv_cache_profile(w, kv_cache_mask(w))
        e = [-1] + w.metadata["llm"]["step_end_ops"]
        assert [int(prof[e[i] + 1:e[i + 1] + 1].max()) for i in range(4)] == [7 * row, 5 * row, 8 * row, 6 * row]
