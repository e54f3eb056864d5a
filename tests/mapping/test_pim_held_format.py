"""PIM units of fp16 hold an int8 model's weights and KV caches at 2 B an element (review 17-5
of find-V 2): the footprint counts what is live at its peak that way, each pipeline stage's and
each decode step's, not every tensor the units read over the run added up.

Closed forms of a small gated model (``M``: L = 2 layers, hidden d = 32, 4 heads of 8, FFN 48,
vocabulary 20) served int8: the caches at the last decode step are 2 (K and V) x L x B x (P + D)
x 4 x 8 x 1 B; the weights per layer d x (4 + 2 x 4) x 8 + 4 x 8 x d + 3 x d x 48 = 8,704 B,
the LM head d x 20 = 640 B.
"""

from __future__ import annotations

import pytest

from cimsim.config import architecture_from_dict
from cimsim.errors import MappingError
from cimsim.mapping.placement import place
from cimsim.workload.llm import LLMModel, llm_serving

M = LLMModel(layers=2, hidden=32, heads=4, kv_heads=4, ffn=48, vocab=20, head_dim=8, gated=True)
B, P, D = 2, 8, 8
LAYER, HEAD = 32 * 12 * 8 + 4 * 8 * 32 + 3 * 32 * 48, 32 * 20  # int8 bytes
HOST = {"name": "host", "cores": 1, "clock": "1 GHz", "macs_per_cycle_per_core": {"fp16": 1, "int8": 1},
        "vector_ops_per_cycle_per_core": 1, "energy_per_mac": {"fp16": "1 pJ", "int8": "1 pJ"},
        "energy_per_vector_op": "1 pJ", "static_power": "0 W", "op_overhead": "0 s"}
ONE = {"channels": 1}  # PIM units on one channel: a separate device of its capacity
LINK = {"nvlink": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}}


def kv(batch: int, length: int) -> int:
    """int8 caches: 2 x L x B x length x kv_heads x head_dim x 1 B."""
    return 2 * M.layers * batch * length * M.kv_heads * M.head_dim


def box(capacity: int, claims, devices: int | None = None, banks: int = 1, **pim):
    """A host and fp16 PIM units in its memory (or, with ``sharing: separate``, a device of
    their own over the link: its ``channels`` of the memory's ``banks`` channels)."""
    more = {} if devices is None else {"collective": {"devices": devices, "topology": "ring"}}
    return architecture_from_dict({
        "name": "box", "links": LINK, **more, "processor": HOST,
        "memory": {"hbm": {"capacity": f"{capacity} B", "bandwidth": "1 TB/s",
                           "energy_per_byte": "1 pJ/B", "channels": banks}},
        "pim": {"units_per_channel": 1, "clock": "1 GHz", "macs_per_cycle": 1,
                "internal_bandwidth": "1 GB/s", "energy_per_mac": "1 pJ", "energy_per_bit": "1 pJ/bit",
                "claims": claims, "max_rows": 32, "precision": "fp16", **pim}})


def test_a_serving_run_widens_the_caches_live_at_the_peak_not_every_steps():
    w = llm_serving(M, prompt=P, decode=D, batch=B, dtype="int8")
    assert w.footprint.kv_cache_peak == kv(B, P + D) == 4096  # at 1 B an element
    pl = place(w, box(10**9, ["kv_cache"]))
    fp = pl.footprint
    # the last decode step's caches at 2 B: 8,192 B (summed over the 8 decode steps' caches,
    # 2 x 2 x 2 x 32 x (9 + ... + 16) = 25,600 B more, as the branch under review counted)
    assert fp.kv_cache_peak == fp.kv_cache == 2 * kv(B, P + D) == 8192
    assert fp.weights == M.layers * LAYER + HEAD  # the weights stay on the host, at 1 B
    # one byte under the widened peak is refused, with the bytes; at it the run places
    with pytest.raises(MappingError) as e:
        place(w, box(fp.total - 1, ["kv_cache"]))
    msg = str(e.value)
    assert "\n" not in msg and f"needs {fp.total / 1e3:.6g} kB live at once" in msg
    assert f"KV cache {2 * kv(B, P + D) / 1e3:.6g} kB" in msg and "own number format" in msg
    place(w, box(fp.total, ["kv_cache"]))
    note = [n for n in pl.notes if n.startswith("the footprint counts")]
    assert len(note) == 1 and f"{fp.total / 1e3:.4g} kB live at once at its peak" in note[0]
    assert "KV cache 8.192 kB" in note[0]


def test_fp16_caches_are_not_widened():
    w = llm_serving(M, prompt=P, decode=D, batch=B)  # fp16: the units' own format
    pl = place(w, box(10**9, ["kv_cache"]))
    assert pl.footprint == w.footprint and pl.footprint.kv_cache_peak == 2 * kv(B, P + D)
    assert not [n for n in pl.notes if "own number format" in n or "fp16 only" in n]


def test_a_pipeline_stage_widens_its_own_weights_and_caches():
    w = llm_serving(M, prompt=P, decode=D, batch=B, dtype="int8", pipeline_parallel=2)
    plain = w.footprint
    assert (plain.stage, plain.weights) == (1, LAYER + HEAD)  # the last stage: a layer, the head
    fp = place(w, box(10**9, ["weights", "kv_cache"], devices=2)).footprint
    # the stage's layer and head at 2 B, not the stage's plus the whole model's 18,048 B more
    assert (fp.stage, fp.weights) == (1, 2 * (LAYER + HEAD)) == (1, 18688)
    assert fp.kv_cache_peak == 2 * kv(B, P + D) // 2  # its layer's caches, at 2 B


def test_a_separate_device_counts_its_caches_at_the_units_format():
    # the device is one channel of 16 (pim.channels 1): capacity / 16; the host has room to spare
    w = llm_serving(M, prompt=P, decode=D, batch=B, dtype="int8")
    need = 2 * kv(B, P + D)
    pl = place(w, box(16 * need, ["kv_cache"], banks=16, sharing="separate", link="nvlink", **ONE))
    assert pl.footprint.kv_cache == need
    note = [n for n in pl.notes if n.startswith("the PIM device holds")]
    assert len(note) == 1 and "8.192 kB at their peak, 4.096 kB at the workload's dtypes" in note[0]
    with pytest.raises(MappingError, match=rf"needs {need / 1e3:.6g} kB of KV cache at its peak in "
                                           r"the PIM device .* own number format \(4\.096 kB"):
        place(w, box(16 * (need - 1), ["kv_cache"], banks=16, sharing="separate", link="nvlink", **ONE))
