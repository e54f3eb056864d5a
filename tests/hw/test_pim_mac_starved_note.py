"""find-B 2: KV-cache matmuls the PIM units take where they are MAC-bound and slower than the
host would be at the run's rates get a note naming g and both times.

gpu-hbm-pim-attn: 1280 units x 16 fp16 MACs x 300 MHz = 6.144 TMAC/s; banks 1280 x 9.6 GB/s =
12.288 TB/s; the H100's HBM 3.35 TB/s x 0.70 = 2.345 TB/s; every launch 5 us + 500 ns. A decode
step's per-request scores (and contexts) are one launch group a layer. With g query heads per KV
head each 2 B cache element read feeds g MACs, and a unit does 16 MACs while its banks give it 32 B
(16 elements): for g > 1 the units are MAC-bound and read the cache at 12.288 TB/s / g; at g = 8
that is 1.536 TB/s, below the host's 2.345 TB/s.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cimsim.cli import main

P, B = 1024, 4
KEYS = (P + 1, P + 2)  # the two decode steps' keys


def _run(tmp_path, kv_heads: int, batch: int = B, *sets: str) -> dict:
    wl = tmp_path / f"kv{kv_heads}b{batch}.json"
    if not wl.exists():
        gen = CliRunner().invoke(main, ["workload", "llm", "--layers", "1", "--hidden", "4096", "--heads", "32",
                                        "--kv-heads", str(kv_heads), "--ffn", "1024", "--vocab", "100",
                                        "--prompt", str(P), "--decode", "2", "--batch", str(batch), "-o", str(wl)])
        assert gen.exit_code == 0, gen.output
    r = CliRunner().invoke(main, ["run", "gpu-hbm-pim-attn", str(wl), "--json", *[a for s in sets for a in ("--set", s)]])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _notes(tmp_path, kv_heads: int, batch: int = B, *sets: str) -> list[str]:
    return [n for n in _run(tmp_path, kv_heads, batch, *sets)["notes"] if n.startswith("pim took KV-cache")]


def test_g8_attention_on_16_mac_units_is_noted_with_both_times(tmp_path):
    import re
    notes = _notes(tmp_path, kv_heads=4)  # g = 32 / 4 = 8
    assert len(notes) == 1, notes
    m = re.search(r"16 with g = 8 query rows per KV head take ([\d.]+) µs on its units against "
                  r"([\d.]+) µs on processor at this run's rates, of which up to ([\d.]+) µs .* read the "
                  r"cache at 1\.536 TB/s, their internal 12\.29 TB/s / 8\)", notes[0])
    assert m, notes[0]
    # units (blocked mode: the query in and the scores out over the bus, then the MACs):
    # per op 32 x 128 x L MACs / 6.144e12 + (8,192 B query + 32 x L x 2 B out) / 2.345e12
    units = sum(B * 2 * (32 * 128 * L / 6.144e12 + (8192 + 64 * L) / 2.345e12) for L in KEYS)
    # host: the op's 4 KV heads x 128 x L x 2 B cache read from HBM
    host = sum(B * 2 * 4 * 128 * L * 2 / 2.345e12 for L in KEYS)
    launches = 4 * 5.5e-6  # 2 steps x (scores, context), one launch each, on either side
    assert float(m.group(1)) == pytest.approx((units + launches) * 1e6, abs=0.01)
    assert float(m.group(2)) == pytest.approx((host + launches) * 1e6, abs=0.01)
    # review P 1: 3 of each launch group's 4 ops ride on its launch and can run beside the
    # GPU's work (a request's softmax under the next request's scores): up to 12 x 0.715 us
    # = 8.58 us, more than the 4.28 us difference, so the note says "may" (and the run is in
    # fact faster with the units: test below)
    hide = sum(B * 2 * 3 / 4 * (32 * 128 * L / 6.144e12 + (8192 + 64 * L) / 2.345e12) for L in KEYS)
    assert float(m.group(3)) == pytest.approx(hide * 1e6, abs=0.01)
    assert notes[0].startswith("pim took KV-cache matmul(s) it may run slower than processor would")
    # review P 3: the value to set, not the current one as if it were below g
    assert notes[0].endswith("pim.max_rows below 8 (now 8), e.g. 4, keeps them on processor (compare both runs)")


def test_the_may_note_fires_where_the_run_gains_from_the_units(tmp_path):
    # review P 1: g = 8, batch 4: the serial estimate is +4.28 us, the run is faster with the
    # units (the overlap); the note must not say they run slower for certain
    with_pim, without = (_run(tmp_path, 4, B, f"pim.max_rows={m}") for m in (16, 4))
    assert with_pim["tpot_s"] < without["tpot_s"]
    notes = [n for n in with_pim["notes"] if n.startswith("pim took KV-cache")]
    assert len(notes) == 1 and " it may run slower " in notes[0]
    assert notes[0].endswith("pim.max_rows below 8 (now 16), e.g. 4, keeps them on processor (compare both runs)")


def test_a_sure_note_predicts_the_runs_sign_and_size(tmp_path):
    # review P 1: batch 1, g = 16: one op a launch group, nothing rides, so nothing can hide:
    # per step and op (scores, context) 0.6833 x L / 1025 us of MACs + (8,192 + 64 L) B /
    # 2.345e12 on the units against 2 x 128 x L x 2 B / 2.345e12 on the GPU, the same 5.5 us
    # launch each side: units - host = sum over L of 2 x (...) per 2 tokens
    gap = sum(2 * (32 * 128 * L / 6.144e12 + (8192 + 64 * L) / 2.345e12 - 2 * 128 * L * 2 / 2.345e12)
              for L in KEYS) / 2
    with_pim, without = (_run(tmp_path, 2, 1, f"pim.max_rows={m}") for m in (16, 8))
    notes = [n for n in with_pim["notes"] if n.startswith("pim took KV-cache")]
    assert len(notes) == 1 and " it runs slower than processor would, even where the run overlaps them" in notes[0]
    assert notes[0].endswith("pim.max_rows below 16 (now 16), e.g. 8, keeps them on processor (compare both runs)")
    assert with_pim["tpot_s"] - without["tpot_s"] == pytest.approx(gap, rel=0.05, abs=0)  # the run's sign and size


def test_g4_attention_is_faster_on_the_units_and_not_noted(tmp_path):
    # g = 4: 32 x 128 x L / 6.144e12 = 0.667 ns x L on the units against 8 x 128 x L x 2 B /
    # 2.345e12 = 0.873 ns x L on the host: the units win, no note
    assert _notes(tmp_path, kv_heads=8) == []
