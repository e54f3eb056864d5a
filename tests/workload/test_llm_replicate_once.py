"""Replicated decode stretches are written in one rebuild of the columns (issue: `cimsim workload
llm --requests R` took ~R^2 time: each stretch rebuilt every column, names included, of the whole
workload: R = 128 / 256 / 512 / 1024 took 1.8 / 4.4 / 13.2 / 46.9 s).

The result is held to the op-by-op build (``replicate=False``, which inserts nothing), column by
column, on serving runs with many stretches; and the name tables are built once each.
"""

from __future__ import annotations

import pytest

from cimsim.workload import llm_replicate
from cimsim.workload.columns import StringTable
from cimsim.workload.llm import LLMModel, llm_serving

from test_llm import _columns_equal  # the same comparison as the op-by-op build's tests

TINY = LLMModel(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4, gated=True)

CASES = [
    # continuous batching, 8 requests of different lengths through 3 slots: a stretch after
    # each admission or finish
    dict(prompt=[3, 5, 2, 4, 3, 6, 2, 5], decode=[9, 4, 7, 6, 12, 8, 5, 10], batch=3, requests=8,
         batching="continuous"),
    # static batching, 3 batches of 2 requests: a stretch per batch at least
    dict(prompt=[3, 5, 2, 4, 3, 6], decode=[9, 4, 7, 6, 12, 8], batch=2, requests=6, batching="static"),
]


@pytest.mark.parametrize("kw", CASES)
def test_many_stretches_in_one_rebuild_equal_the_op_by_op_build(kw, monkeypatch):
    seen, built = [], []
    insert = llm_replicate.insert_replicas
    from_list = StringTable.from_list.__func__

    def spy_insert(c, stretches):
        seen.append(sum(1 for st in stretches if st.count))
        built.clear()  # the builder's own tables before: not the insertion's
        return insert(c, stretches)

    def spy_from_list(cls, strings, what="name"):
        built.append(what)
        return from_list(cls, strings, what)

    import cimsim.workload.llm as llm

    monkeypatch.setattr(llm, "insert_replicas", spy_insert)
    monkeypatch.setattr(StringTable, "from_list", classmethod(spy_from_list))
    fast = llm_serving(TINY, **kw)
    # several stretches, and the tensor and op name tables built once each for all of them (the
    # workload built from the columns afterwards makes none)
    assert seen and seen[0] >= 3
    assert sorted(built) == ["op", "tensor"]
    monkeypatch.undo()
    slow = llm_serving(TINY, **kw, replicate=False)
    assert len(fast) == len(slow)
    _columns_equal(fast, slow)
