"""A grouped-query attention's ``repeat_kv`` copy resolves from strides, not element offsets
(issue: `cimsim trace` of a GQA decode step took minutes: ``np.unique`` over the 16.8 M offsets
of the K/V expand per layer of a 70B shape).

The storage analysis answers "does this view read every element of the version?" in closed form
where the strides tell (:func:`cimsim.workload.trace.storage.tiles`); the traced workload is the
same, op for op and tensor for tensor, as the element-by-element path's (kept here by patching
the closed forms out).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from cimsim.workload.trace import storage as S


def test_tiles_from_strides_alone():
    # repeat_kv's expand of a (1, 2, 17, 8) K (272 elements) to 4 query heads per KV head:
    # shape (1, 2, 4, 17, 8), strides (272, 136, 0, 8, 1); stride-0 and size-1 dims only repeat,
    # the rest sorted by stride step 1, 8 = 1 * 8, 136 = 8 * 17, span 2 * 136 = 272: every element
    assert S.tiles(0, (1, 2, 4, 17, 8), (272, 136, 0, 8, 1), 272)
    # a transpose of a contiguous (3, 5) is still dense: strides (1, 5) sorted step 1, 5 = 1 * 5
    assert S.tiles(0, (5, 3), (1, 5), 15)
    # the first 16 of 17 cached positions: span 2 * 136 but the positions step 8 over 16 only
    assert not S.tiles(0, (1, 2, 16, 8), (272, 136, 8, 1), 272)
    # a view that starts past element 0 never reads element 0
    assert not S.tiles(8, (1, 2, 16, 8), (272, 136, 8, 1), 272)
    # every other element (stride 2): 8 of 16, the strides say no
    assert not S.tiles(0, (8,), (2,), 16)


def test_an_expanded_read_enumerates_no_offsets(monkeypatch):
    torch = pytest.importorskip("torch")
    st = S.Storages()
    k = torch.empty(1, 2, 17, 8, device="meta")
    v = st.add_source(k, "input", "cache.k")
    rep = k[:, :, None].expand(1, 2, 4, 17, 8)

    def no_offsets(*a, **kw):
        raise AssertionError("enumerated element offsets")

    monkeypatch.setattr(S, "offsets", no_offsets)
    # the whole version (None: all of it), found from the strides
    assert st.pieces(rep) == [(v.id, None)]


def _old_path(monkeypatch):
    """The element-by-element answers the closed forms replace: no stride shortcut, and
    ``np.unique`` for distinct offsets and version ids."""
    monkeypatch.setattr(S, "tiles", lambda *a: False)
    monkeypatch.setattr(S, "_distinct", lambda offs, numel: int(np.unique(offs).size))
    monkeypatch.setattr(S, "_distinct_ids", np.unique)


def _columns(w):
    a = w.arrays
    return {f: np.asarray(getattr(a, f)) for f in ("macs", "vector_ops", "weight_bytes", "act_in_bytes",
                                                  "act_out_bytes", "tensor_bytes", "store_bytes")}


@pytest.mark.parametrize("kv_heads", [2, 4])  # GQA (4 query heads share 2 KV heads) and MHA
def test_decode_trace_identical_to_the_element_path(kv_heads, monkeypatch):
    pytest.importorskip("transformers")
    os.environ["HF_HUB_OFFLINE"] = "1"
    from cimsim import zoo

    kw = dict(num_hidden_layers=2, hidden_size=32, num_attention_heads=4, num_key_value_heads=kv_heads,
              intermediate_size=64, cache=16)
    new = zoo.trace_zoo("hf:llama", **kw)
    with monkeypatch.context() as m:
        _old_path(m)
        old = zoo.trace_zoo("hf:llama", **kw)
    assert list(new.ops) == list(old.ops)
    assert dict(new.tensors) == dict(old.tensors)
    for f, col in _columns(new).items():
        assert np.array_equal(col, _columns(old)[f]), f
    # GQA: per layer the K and V repeat (2 KV heads -> 4 query heads) are read whole, as one
    # tensor each: 2 layers x (K, V) cache inputs of (1, 2, 16, 8)
    cache = [t for t in new.tensors.values() if t.name.startswith(("cache.", "past_key_values"))]
    assert len(cache) == 4 and all(t.shape == (1, kv_heads, 16, 8) for t in cache)
