"""Hierarchy rule 9 with an offload policy (``memory.LEVEL.place`` of a far tier): the share of
weights / KV cache / activations homed in the far tier, in closed form on real runs. A tiny
GQA model (2 layers, hidden 256, 4 heads, 2 KV heads of 64, gated FFN 512, vocab 256, fp32)
served at batch 2, prompt 512, 2 decode steps, on the round machine with a 64 KiB SRAM (no
weight matrix stays on chip) and a 64 GiB, 80 GB/s CXL tier beside the DDR."""

from __future__ import annotations

import copy

import pytest
from conftest import ROUND_ARCH

from cimsim import MappingError, simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import ConfigError
from cimsim.workload.llm import LLMModel, llm_serving

M = LLMModel(layers=2, hidden=256, heads=4, kv_heads=2, ffn=512, vocab=256, head_dim=64, gated=True)
# per layer: q, o (256 x 256), k, v (256 x 128), gate, up, down (256 x 512); + the LM head; fp32
WEIGHTS = 2 * (2 * 256 * 256 + 2 * 256 * 128 + 3 * 256 * 512) * 4 + 256 * 256 * 4  # 4,980,736 B
ROWS = 2 * 2 * 2 * 2 * 64 * 4  # one token's K and V rows: layers x requests x (K, V) x kv_heads x 64 x 4 B


def kv(step: int) -> int:
    """The bytes of every cache decode step ``step`` reads (512 + step rows)."""
    return (512 + step) * ROWS


def arch(near: float, place: dict | None, far: bool = True, far_cap: str = "64 GiB", **cxl):
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["sram"]["capacity"] = "64 KiB"
    d["memory"]["dram"]["capacity"] = f"{near} B"
    d["memory"]["cxl"] = {"capacity": far_cap, "bandwidth": "80 GB/s", "latency": "300 ns",
                          "energy_per_bit": "30 pJ/bit", "far": far, **cxl}
    if place is not None:
        d["memory"]["cxl"]["place"] = place
    return architecture_from_dict(d)


def host_bytes_per_step(near: float, place: dict | None) -> list[float]:
    t = simulate(arch(near, place), llm_serving(M, prompt=512, decode=2, batch=2, dtype="fp32")).op_table
    return [t.loc[t.op.str.startswith(f"it{s}.decode."), "cxl_bytes"].sum() for s in (0, 1)]


def test_zero_inference_streams_every_weight_from_the_far_tier_each_token():
    """find-P 3: 'all weights on the host, KV on the GPU' (ZeRO-Inference) reads all 4,980,736 B
    of weights from the far tier at each decode step and no cache byte; the default (first
    touch, everything fits the 16 GB near tier) reads nothing there."""
    assert host_bytes_per_step(16e9, None) == [0.0, 0.0]
    zero = host_bytes_per_step(16e9, {"weights": 1, "kv_cache": 0})
    assert zero == [pytest.approx(WEIGHTS, rel=1e-12, abs=0)] * 2


def test_flexgen_shares_split_each_class_by_its_percentage():
    """FlexGen's w_gpu 75 % (weights 0.25 on the host): a quarter of the weights per token;
    cache_cpu 100 %: each step's whole cache (kv(1), kv(2)) plus its appended rows (ROWS)."""
    assert host_bytes_per_step(16e9, {"weights": 0.25}) == [pytest.approx(WEIGHTS / 4, rel=1e-12, abs=0)] * 2
    assert host_bytes_per_step(16e9, {"kv_cache": 1}) == [
        pytest.approx(kv(1) + ROWS, rel=1e-12, abs=0), pytest.approx(kv(2) + ROWS, rel=1e-12, abs=0)]


def test_the_far_tier_note_prints_computed_shares_in_decimal_units():
    """(final read 23 F1 3) the homes are computed byte counts: all 4,980,736 B of weights (4.75
    MiB) on the CXL tier read ``4.981 MB``, not ``4.75 MiB (4.981 MB)``; the binary form is kept
    for a configured capacity (the 64 KiB SRAM in the same note)."""
    w = llm_serving(M, prompt=512, decode=2, batch=2, dtype="fp32")
    note = next(n for n in simulate(arch(16e9, {"weights": 1}), w).notes if "far tier" in n)
    assert "home 0 B in dram, 4.981 MB in the far tier cxl (by memory.cxl.place)" in note
    assert "sram 64 KiB (65.54 kB)" in note and "MiB" not in note


def test_a_policy_that_keeps_more_than_the_near_tier_holds_is_one_line_error():
    """Pinned near bytes are never spilled silently: weights 0 on a 3 MB DDR (weights 4.98 MB)."""
    w = llm_serving(M, prompt=512, decode=2, batch=2, dtype="fp32")
    with pytest.raises(MappingError, match=r"memory\.cxl\.place \(weights 0\) keeps 4\.981 MB in dram .*"
                       r"memory\.dram\.capacity 3 MB; raise the far shares or raise memory\.dram\.capacity") as e:
        simulate(arch(3e6, {"weights": 0}), w)
    assert "\n" not in str(e.value)
    with pytest.raises(MappingError, match=r"place\.activations 0 keeps .* in dram"):
        simulate(arch(3e6, {"weights": 1, "kv_cache": 1, "activations": 0}), w)
    # every share given is named, the activations' too (review 23 C 7)
    with pytest.raises(MappingError, match=r"memory\.cxl\.place \(weights 0, activations 0\) keeps 4\.981 MB"):
        simulate(arch(3e6, {"weights": 0, "activations": 0}), w)


def test_a_policy_that_puts_more_on_the_far_tier_than_it_holds_is_one_line_error():
    """F2 1: weights 1 homes all 4,980,736 B of weights on the far tier; a 4 MB one does not hold
    them (the near tier's 16 GB took the sum check), a 5 MB one does. Half of them (2.49 MB) fit
    the 4 MB one."""
    w = llm_serving(M, prompt=512, decode=2, batch=2, dtype="fp32")
    with pytest.raises(MappingError, match=r"memory\.cxl\.place \(weights 1\) keeps 4\.981 MB in cxl at its "
                       r"peak, over memory\.cxl\.capacity 4 MB; lower the far shares or raise "
                       r"memory\.cxl\.capacity") as e:
        simulate(arch(16e9, {"weights": 1}, far_cap="4 MB"), w)
    assert "\n" not in str(e.value)
    simulate(arch(16e9, {"weights": 1}, far_cap="5 MB"), w)
    simulate(arch(16e9, {"weights": 0.5}, far_cap="4 MB"), w)


@pytest.mark.parametrize("place, far, msg", [
    ({"weights": 1.5}, True, r"memory\.cxl\.place\.weights: Input should be less than or equal to 1"),
    ({"weight": 1}, True, r"memory\.cxl\.place\.weight: unknown key .*weights, kv_cache, activations"),
    ({"weights": 1}, False, r"memory\.cxl\.place: sets the offload policy of a far tier"),
])
def test_bad_policies_are_refused_naming_the_field(place, far, msg):
    with pytest.raises(ConfigError, match=msg):
        arch(16e9, place, far)


def test_a_read_only_far_tier_written_by_place_names_the_share_not_the_inner_levels():
    """F2 5: kv_cache 1 on a read_only far tier writes every cache row there: the prompt's 512
    and the 2 decode steps' (514 x 4,096 B = 2.105 MB); the error names the share that put them
    there, not 'levels inside it' (the far tier is the DDR's peer) nor 'shrink the batch'.
    Weights alone (never written) run."""
    w = llm_serving(M, prompt=512, decode=2, batch=2, dtype="fp32")
    ro = {"read_only": True}
    with pytest.raises(MappingError, match=r"memory\.cxl is read_only, but the run writes 2\.105 MB to "
                       r"it, where memory\.cxl\.place \(kv_cache 1\) homes .* set those shares to 0") as e:
        simulate(arch(16e9, {"kv_cache": 1}, **ro), w)
    assert "inside it" not in str(e.value) and "\n" not in str(e.value)
    assert simulate(arch(16e9, {"weights": 1}, **ro), w).latency_s > 0
