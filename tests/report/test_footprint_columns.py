"""The footprint as result columns (`run --json`, `compare -o` CSV, sweeps): the bytes live at
once at the peak, its weights / KV cache / activations, and the backing store's capacity and
headroom. Before, the one memory figure there was ``activation_bytes``, the sum of every
activation tensor (159 GB for a serving run holding 5.9 GB at its peak); the footprint was
only in `run`'s text. Golden values are closed forms of the model's shape."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

import cimsim
from cimsim.cli import main
from cimsim.config import architecture_from_dict
from cimsim.report import columns as C
from cimsim.sweep.columns import column_kind
from cimsim.workload import save_workload
from cimsim.workload.llm import LLMModel, llm_serving

# a GQA model (4 query heads, 2 K/V heads of 16), small enough to simulate in a moment
M = LLMModel(layers=2, hidden=64, heads=4, kv_heads=2, ffn=128, vocab=100, head_dim=16, gated=True)
FP16 = 2
B, P, D = 2, 2, 30  # a short prompt: the peak is the last decode step's, not the prefill's
CAPACITY = 10_000_000  # B


def weights() -> int:
    """Per layer W_qkv (64 x (4 + 2 x 2) x 16), W_o (64 x 64), W_up (64 x 2 x 128), W_down (128 x
    64), then the LM head (64 x 100), fp16: 160,256 B."""
    d, dh = M.hidden, M.head_dim
    per_layer = d * (M.heads + 2 * M.kv_heads) * dh + M.heads * dh * d + 3 * d * M.ffn
    return (M.layers * per_layer + d * M.vocab) * FP16


def kv(batch: int, tokens: int, nbytes: int = FP16) -> int:
    """2 (K and V) x layers x kv_heads x head_dim x tokens x batch x bytes."""
    return 2 * M.layers * M.kv_heads * M.head_dim * tokens * batch * nbytes


def box() -> object:
    return architecture_from_dict({
        "name": "box",
        "memory": {"hbm": {"capacity": f"{CAPACITY} B", "bandwidth": "1 TB/s", "energy_per_byte": "1 pJ/B"}},
        "processor": {"name": "host", "cores": 1, "clock": "1 GHz",
                      "macs_per_cycle_per_core": {"fp16": 1}, "vector_ops_per_cycle_per_core": 1,
                      "energy_per_mac": {"fp16": "1 pJ"}, "energy_per_vector_op": "1 pJ",
                      "static_power": "0 W", "op_overhead": "0 s"}})


def expected() -> dict[str, int]:
    # the peak is the last decode step's FFN: every layer's cache at P + D tokens (the step's own
    # row included), and per request the FFN's up (2 x ffn), its output (ffn) and the residual
    # (hidden) live
    act = B * (3 * M.ffn + M.hidden) * FP16
    total = weights() + kv(B, P + D) + act
    return {C.FOOTPRINT_BYTES: total, C.FOOTPRINT_WEIGHT_BYTES: weights(),
            C.FOOTPRINT_KV_CACHE_BYTES: kv(B, P + D), C.FOOTPRINT_ACTIVATION_BYTES: act,
            C.BACKING_CAPACITY_BYTES: CAPACITY, C.BACKING_HEADROOM_BYTES: CAPACITY - total,
            C.KV_CACHE_PEAK_BYTES: kv(B, P + D)}


def test_closed_form():
    e = expected()
    assert e[C.FOOTPRINT_KV_CACHE_BYTES] == 16_384  # 2 x 2 x 2 x 16 x 32 x 2 x 2
    assert e[C.FOOTPRINT_WEIGHT_BYTES] == 160_256
    assert e[C.FOOTPRINT_ACTIVATION_BYTES] == 1_792  # 2 x (384 + 64) x 2
    # the prefill's peak holds less: its FFN's 2 x 2 rows (3,584 B) and at most the caches of
    # 3 tokens (1,536 B)
    assert e[C.BACKING_HEADROOM_BYTES] == 10_000_000 - 178_432


def test_a_result_record_carries_the_footprint_columns():
    w = llm_serving(M, prompt=P, decode=D, batch=B)
    r = cimsim.simulate(box(), w)
    rec = r.record()
    got = {c: rec[c] for c in C.FOOTPRINT_COLUMNS}
    assert got == expected()
    # the sum of every activation tensor is much more than those live at the peak
    assert rec[C.ACTIVATION_BYTES] > 10 * got[C.FOOTPRINT_ACTIVATION_BYTES]
    assert all(c in C.result_columns(box()) for c in C.FOOTPRINT_COLUMNS)  # a sweep's table too
    assert all(column_kind(c) == "count" for c in C.FOOTPRINT_COLUMNS)  # Int64 in a sweep


def test_run_json_and_compare_csv_carry_them(tmp_path):
    save_workload(llm_serving(M, prompt=P, decode=D, batch=B), tmp_path / "w.json")
    cfg = tmp_path / "box.yaml"
    cfg.write_text(
        "name: box\nmemory:\n  hbm: {capacity: 10000000 B, bandwidth: 1 TB/s, energy_per_byte: 1 pJ/B}\n"
        "processor: {name: host, cores: 1, clock: 1 GHz, macs_per_cycle_per_core: {fp16: 1}, "
        "vector_ops_per_cycle_per_core: 1, energy_per_mac: {fp16: 1 pJ}, energy_per_vector_op: 1 pJ, "
        "static_power: 0 W, op_overhead: 0 s}\n")
    r = CliRunner().invoke(main, ["run", str(cfg), str(tmp_path / "w.json"), "--json"])
    assert r.exit_code == 0, r.output
    j = json.loads(r.output)
    assert {c: j[c] for c in C.FOOTPRINT_COLUMNS} == expected()
    out = tmp_path / "c.csv"
    r = CliRunner().invoke(main, ["compare", str(cfg), "-w", str(tmp_path / "w.json"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    row = pd.read_csv(out).iloc[0]
    assert {c: int(row[c]) for c in C.FOOTPRINT_COLUMNS} == expected()


def test_kv_cache_peak_is_the_cache_at_its_largest_where_the_prefill_peaks():
    # review 15-2 item 4: a long prompt under unfused attention peaks in the prefill (its scores
    # and probabilities, 2 x 4 x 256^2 x 2 B = 1 MB, dwarf a decode step), where the cache holds
    # the prompt's P rows; footprint_kv_cache_bytes is then flat over --decode, while the cache
    # grows to P + D tokens: kv_cache_peak_bytes = kv(B, P + D)
    prompt = 256
    for decode in (2, 30):
        rec = cimsim.simulate(box(), llm_serving(M, prompt=prompt, decode=decode, batch=B)).record()
        assert rec[C.FOOTPRINT_KV_CACHE_BYTES] == kv(B, prompt) == 131_072
        assert rec[C.KV_CACHE_PEAK_BYTES] == kv(B, prompt + decode)
    assert kv(B, prompt + 30) == 146_432  # 2 x 2 x 2 x 16 x 286 x 2 x 2


def test_the_new_columns_are_appended_after_the_older_fixed_columns():
    # review 15-2 item 9: inserted after activation_bytes they moved every later CSV column (from
    # ops_per_backing_byte on) by six places; appended, the older ones keep their positions:
    # ops_per_backing_byte right after activation_bytes, notes before the new ones
    # (find-R 1 / find-C 1 appended static_power_w, dynamic_j_per_sample, power_up_latency_s;
    # find-H 1 power_up_energy_j; find-B 2 (fifteenth session) offchip_memory_power_w, last)
    new = (C.GRAPH_DEPTH_SERIAL_STEPS, C.GRAPH_DEPTH_OPS, *C.FOOTPRINT_COLUMNS, *C.LOAD_COLUMNS,
           C.OFFCHIP_MEMORY_POWER_W)
    assert len(new) == 14 and C.FIXED_COLUMNS[-14:] == new and new[-2] == C.POWER_UP_ENERGY_J
    i = C.FIXED_COLUMNS.index(C.ACTIVATION_BYTES)
    assert C.FIXED_COLUMNS[i + 1] == C.OPS_PER_BACKING_BYTE
    assert C.FIXED_COLUMNS[-15] == C.NOTES
