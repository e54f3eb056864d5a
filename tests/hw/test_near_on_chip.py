"""find-C2 2: a far tier beside an on-chip near tier (``memory.<far>.near_on_chip: true``): an
SRAM machine (a wafer, an LPU, an IPU) streams the weights from an external store (Cerebras
MemoryX) while the KV cache and activations stay in its SRAM. Closed forms on real runs of
the ``workload llm`` generator's models: a wafer with 1 GB of SRAM (20 PB/s, 0 s, 0.2 pJ/bit,
100 mm²) and a 150 GB/s, 0 s, 20 pJ/bit store; a 10^6 MAC/ns processor (100 mm²) whose compute
is far below the stream."""

from __future__ import annotations

import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import ConfigError
from cimsim.workload.llm import LLMModel, llm_serving

#: the tester's 1.3B OPT-like model (find-C: `workload llm --layers 24 --hidden 2048 --heads 16
#: --ffn 8192 --vocab 50272 --no-gated`, fp16): per layer qkv + out 4 x 2048², up + down
#: 2 x 2048 x 8192, the LM head 50272 x 2048; 2 B each: 2,621,833,216 B
OPT13 = LLMModel(layers=24, hidden=2048, heads=16, kv_heads=16, ffn=8192, vocab=50272,
                 head_dim=128, gated=False)
OPT13_W = (24 * (4 * 2048 * 2048 + 2 * 2048 * 8192) + 50272 * 2048) * 2
#: a 2-layer model (fp32): per layer 4 x 64² + 3 x 64 x 128, the LM head 64²; its K and V
#: caches, per layer and decode step s after a 16-token prompt, 2 x (16 + s) rows x 64 x 4 B
TINY = LLMModel(layers=2, hidden=64, heads=4, kv_heads=4, ffn=128, vocab=64, head_dim=16, gated=True)
TINY_W = 2 * (4 * 64 * 64 + 3 * 64 * 128) * 4 + 64 * 64 * 4


def wafer(far: bool = True, **memx) -> dict:
    """The wafer: ``far``: the store is a far tier beside the on-chip SRAM, weights homed there
    (``place.weights: 1``); else it is the backing store behind the SRAM (the cache layout)."""
    store = {"capacity": "1 TB", "bandwidth": "150 GB/s", "latency": "0 s", "energy_per_bit": "20 pJ/bit"}
    store.update({"far": True, "near_on_chip": True, "place": {"weights": 1}} if far else {"off_chip": True})
    store.update(memx)
    return {"name": "wafer", "memory": {
        "sram": {"capacity": "1 GB", "bandwidth": "20 PB/s", "latency": "0 s",
                 "energy_per_bit": "0.2 pJ/bit", "off_chip": False, "area": "100 mm^2"},
        "memx": store},
        "processor": {"name": "pe", "cores": 1000000, "clock": "1 GHz",
                      "macs_per_cycle_per_core": {"fp32": 1, "fp16": 1}, "vector_ops_per_cycle_per_core": 1,
                      "energy_per_mac": {"fp32": "1 pJ", "fp16": "1 pJ"}, "energy_per_vector_op": "1 pJ",
                      "static_power": "0 W", "op_overhead": "0 s", "area": "100 mm^2"}}


def decode_bytes(r, step: int, level: str = "memx") -> float:
    t = r.op_table
    return float(t.loc[t.op.str.startswith(f"it{step}.decode."), f"{level}_bytes"].sum())


def test_streamed_weights_set_the_token_time_and_the_kv_cache_stays_on_chip():
    """The tester's closed form: 2,621,833,216 B of weights / 150 GB/s = 17.479 ms per token;
    each decode step reads the weights, and only them, from the store."""
    r = simulate(architecture_from_dict(wafer()), llm_serving(OPT13, prompt=8, decode=1, batch=1,
                                                              dtype="fp16"))
    assert decode_bytes(r, 0) == OPT13_W
    assert r.serving["tpot_s"] == pytest.approx(OPT13_W / 150e9, rel=1e-5, abs=0)
    assert r.serving["tpot_s"] == pytest.approx(17.479e-3, rel=1e-4, abs=0)


def test_the_kv_cache_is_not_re_read_from_the_store_as_in_the_cache_layout():
    """Per decode step s the store moves the weights alone (the caches and their appended rows
    in the SRAM); the cache layout (the store as the backing store) keeps the weights in the
    SRAM and reads each step's caches, 2 layers x K, V x (16 + s) rows x 256 B (the prompt and
    each step's token, its own row appended first), and writes
    the appended 2 x 2 x 256 B from and to the store."""
    work = llm_serving(TINY, prompt=16, decode=2, batch=1, dtype="fp32")
    near = simulate(architecture_from_dict(wafer()), work)
    cached = simulate(architecture_from_dict(wafer(far=False)), work)
    for s in (1, 2):
        assert decode_bytes(near, s - 1) == TINY_W
        assert decode_bytes(cached, s - 1) == 2 * 2 * (16 + s) * 256 + 4 * 256
    assert near.serving["tpot_s"] == pytest.approx(TINY_W / 150e9, rel=1e-5, abs=0)


def test_an_on_chip_near_tier_keeps_its_area_and_is_no_off_chip_traffic():
    """The SRAM keeps its 100 mm² (200 mm² with the processor's) and only the store is off the
    chip: the off-chip memory power is the store's energy (bytes x 8 x 20 pJ) / latency."""
    r = simulate(architecture_from_dict(wafer()), llm_serving(TINY, prompt=16, decode=1, batch=1,
                                                              dtype="fp32"))
    assert r.area_m2 == pytest.approx(200e-6, rel=1e-12, abs=0)
    assert r.off_chip_levels == ("memx",) and r.home_tiers == ("sram", "memx")
    store_j = r.traffic_bytes["memx"] * 8 * 20e-12
    assert r.energy_breakdown_j["memx"] == pytest.approx(store_j, rel=1e-9, abs=0)
    assert r.offchip_memory_power_w == pytest.approx(store_j / r.latency_s, rel=1e-9, abs=0)


def test_weights_that_fit_the_on_chip_near_tier_are_on_chip():
    """First touch (no place): every weight in the SRAM, nothing from the store."""
    d = wafer()
    del d["memory"]["memx"]["place"]
    r = simulate(architecture_from_dict(d), llm_serving(TINY, prompt=16, decode=1, batch=1, dtype="fp32"))
    assert r.traffic_bytes["memx"] == 0.0
    assert r.facts["processor_weights_on_chip"] is True


@pytest.mark.parametrize("change, line", [
    ({"near_on_chip": False}, "memory.sram.area: memory.memx.far makes 'sram' the near tier"),
    ({"far": False, "place": None}, "memory.memx.near_on_chip: says the near tier before a far "
     "tier is on the chip; mark this level far: true"),
])
def test_an_on_chip_near_tier_needs_the_statement_and_a_far_tier(change, line):
    d = wafer()
    d["memory"]["memx"].update(change)
    d["memory"]["memx"] = {k: v for k, v in d["memory"]["memx"].items() if v is not None}
    with pytest.raises(ConfigError) as e:
        architecture_from_dict(d)
    assert line in str(e.value)
    if not change.get("near_on_chip", True):
        assert "set memory.memx.near_on_chip: true" in str(e.value)


def test_a_near_tier_stated_on_chip_and_marked_off_chip_is_refused():
    d = wafer()
    del d["memory"]["sram"]["area"]
    d["memory"]["sram"]["off_chip"] = True
    with pytest.raises(ConfigError, match=r"memory\.sram\.off_chip: memory\.memx\.near_on_chip says "
                       r"the near tier 'sram' is on the compute chip, but 'sram' is marked off_chip: true"):
        architecture_from_dict(d)


def test_a_near_tier_stated_on_chip_without_area_or_off_chip_false_is_refused():
    """review W 1: a plain DDR (1 GB, 100 GB/s, 50 ns, 10 pJ/bit, no area, no off_chip) before a
    near_on_chip store was accepted as on chip, its traffic missing from the off-chip power."""
    d = wafer()
    d["memory"]["sram"] = {"capacity": "1 GB", "bandwidth": "100 GB/s", "latency": "50 ns",
                           "energy_per_bit": "10 pJ/bit"}
    with pytest.raises(ConfigError, match=r"memory\.sram\.area: memory\.memx\.near_on_chip says the "
                       r"near tier 'sram' is on the compute chip, but 'sram' declares neither area "
                       r"nor off_chip: false"):
        architecture_from_dict(d)
    d["memory"]["sram"]["off_chip"] = False  # either statement is enough
    assert architecture_from_dict(d).memory
