"""An Architecture's ``memory``, ``links`` and ``components`` are read-only: they were plain dicts,
and an edit was used when made before the first simulate and silently ignored after it (the
hardware and component objects are built from them once). Every way to change one is a
TypeError naming the architecture and the mapping; a copy (pickle, deepcopy) stays read-only."""

from __future__ import annotations

import copy
import pickle

import pytest

from cimsim import load_architecture


@pytest.mark.parametrize("what", ["memory", "links", "components"])
@pytest.mark.parametrize("edit", [
    lambda m, k: m.__setitem__(k, m[k]),
    lambda m, k: m.__delitem__(k),
    lambda m, k: m.pop(k),
    lambda m, k: m.update({k: m[k]}),
    lambda m, k: m.clear(),
    lambda m, k: m.setdefault("new", m[k]),
])
def test_each_edit_is_refused(what, edit):
    a = load_architecture("rram-cim")
    m = getattr(a, what)
    key = next(iter(m))
    before = dict(m)
    with pytest.raises(TypeError, match=rf"^architecture '{a.name}': {what} is read-only \(configs are "
                                        r"frozen\); build a changed architecture with load_architecture"):
        edit(m, key)
    assert dict(m) == before


def test_a_copy_is_read_only_and_equal():
    a = load_architecture("rram-cim")
    for b in (pickle.loads(pickle.dumps(a)), copy.deepcopy(a)):
        assert dict(b.memory) == dict(a.memory) and list(b.components) == list(a.components)
        with pytest.raises(TypeError, match="memory is read-only"):
            b.memory["x"] = a.memory[next(iter(a.memory))]


def test_it_reads_as_a_mapping():
    a = load_architecture("gpu-hbm3")
    assert list(a.memory) == ["sram", "dram"]  # innermost first, as in configs/gpu-hbm3.yaml
    assert "dram" in a.memory and len(a.memory) == 2 and dict(a.memory)["dram"] is a.memory["dram"]
