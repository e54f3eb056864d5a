"""A :class:`Workload` is a value (tester E, finding 7): a reload of its file (JSON or .npz), a
pickled or deep copy and the same workload built again compare equal (``==``) and hash alike;
before, they compared by identity (``load_workload("lstm") == load_workload("lstm")`` was
False). Every difference (name, metadata, a dimension, a tag's value or its JSON type) makes
two workloads unequal."""

from __future__ import annotations

import copy
import math
import pickle

import pytest

from cimsim import load_workload, save_workload
from cimsim.workload import Op, Tensor, Workload


def _build(tags=None, name="w", metadata=None, k=64, ope=math.nan, fn="relu"):
    tags = {"launch": 3, "part": "a"} if tags is None else tags
    ops = [Op("mm", "matmul", ("x", "W"), ("y",), m=2, k=k, n=32, weight="W", tags=tags),
           Op("act", "elementwise", ("y",), ("z",), fn=fn,
              ops_per_element=None if math.isnan(ope) else ope, tags={"part": "b"})]
    return Workload(name, [Tensor("x", (2, k), "fp32", "input"),
                           Tensor("W", (k, 32), "fp32", "weight"),
                           Tensor("y", (2, 32), "fp32", "activation"),
                           Tensor("z", (2, 32), "fp32", "activation")], ops,
                    metadata={"generator": "test"} if metadata is None else metadata)


def test_the_same_workload_built_twice_and_its_copies_are_equal():
    a, b = _build(), _build()
    assert a is not b and a == b and hash(a) == hash(b)
    for other in (pickle.loads(pickle.dumps(a)), copy.deepcopy(a)):
        assert other == a and hash(other) == hash(a)
    # a tag's key order inside an op is not part of its value (a dict's is not)
    assert _build(tags={"part": "a", "launch": 3}) == a
    assert (a == "w") is False


@pytest.mark.parametrize("other", [
    dict(name="v"), dict(metadata={"generator": "other"}), dict(k=65), dict(fn="gelu"),
    dict(ope=2.0), dict(tags={"launch": 4, "part": "a"}), dict(tags={"launch": 3}),
    dict(tags={"launch": "3", "part": "a"}),   # the string "3" is not the number 3
    dict(tags={"launch": 3.0, "part": "a"}),   # nor is 3.0 (JSON keeps them apart)
    dict(tags={"launch": True, "part": "a"}),
])
def test_any_difference_makes_them_unequal(other):
    assert _build(**other) != _build()


def test_a_renamed_workload_keeps_its_hash():
    a = _build()
    h = hash(a)
    a.name = "renamed"
    assert hash(a) == h and a != _build()


@pytest.mark.parametrize("name", ["lstm", "hier-attn"])
@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_a_saved_and_reloaded_workload_is_equal(tmp_path, name, suffix):
    w = load_workload(name)
    assert w == load_workload(name)
    save_workload(w, tmp_path / f"rt{suffix}")
    back = load_workload(tmp_path / f"rt{suffix}")
    assert back == w and hash(back) == hash(w)
    assert w != load_workload("gru")


def test_an_llm_serving_run_with_tags_round_trips_equal(tmp_path):
    from cimsim.workload.llm import LLMModel, llm_serving

    w = llm_serving(LLMModel(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4,
                             gated=True), prompt=8, decode=2, batch=2)
    assert any(op.tags for op in w.ops)  # the case of tag columns (launch, parts)
    save_workload(w, tmp_path / "llm.json")
    assert load_workload(tmp_path / "llm.json") == w
