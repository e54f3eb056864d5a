"""PIM units that refuse ops for ``max_rows`` say so (README 0.4: hbm-pim's near-bank units,
``max_rows: 1``, took no op of a batched LLM serving run and no note said it).

The LLM below (2 layers, width 64, 4 heads, vocabulary 100; the generator builds the FFN as
up and down) has per step 4 weight matmuls a layer (qkv, out_proj, up, down) and the LM head: 9.
A prefill of B requests of P tokens runs the layers on B x P rows and the LM head on B rows
(the last token of each); a decode step runs all 9 on B rows. With D = 2 decode steps:
(1 + D) x 9 = 27 weight matmuls.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cimsim.cli import main

L, P, D = 2, 4, 2
PER_STEP = 4 * L + 1
#: hbm-pim's units: 160 channels x 8 units x 16 MACs x 300 MHz = 6.144 TMAC/s, x 9.6 GB/s =
#: 12.288 TB/s: 0.5 MAC a byte. An fp16 matmul of m rows does m / 2 MAC a weight byte, so from
#: m = 2 its MACs outlast its bank reads and the note advises no raise (find-S 1: following it
#: made TPOT worse, 143.08 -> 146.70 us for batch 8 below)
MAC_BOUND = ("at that many rows its MACs (6.144 TMAC/s) would outlast its bank reads (12.29 TB/s), "
             "so they stay on the host: raising pim.max_rows would run them MAC-bound on the units")


def _run(tmp_path, batch: int) -> tuple[dict, str]:
    wl = tmp_path / f"b{batch}.json"
    gen = CliRunner().invoke(main, ["workload", "llm", "--layers", str(L), "--hidden", "64",
                                    "--heads", "4", "--vocab", "100", "--prompt", str(P),
                                    "--decode", str(D), "--batch", str(batch), "-o", str(wl)])
    assert gen.exit_code == 0, gen.output
    js = CliRunner().invoke(main, ["run", "hbm-pim", str(wl), "--json"])
    assert js.exit_code == 0, js.output
    text = CliRunner(env={"COLUMNS": "400"}).invoke(main, ["run", "hbm-pim", str(wl)])
    assert text.exit_code == 0, text.output
    return json.loads(js.stdout), text.stdout


def _pim_notes(result: dict) -> list[str]:
    return [n for n in result["notes"] if n.startswith("pim took ")]


def test_a_batched_llm_run_says_the_pim_refused_every_matmul_and_why(tmp_path):
    result, text = _run(tmp_path, batch=8)
    total = (1 + D) * PER_STEP  # every weight matmul: none is one row at batch 8
    note = (f"pim took 0 of {total} matmuls it could run: {total} have more activation rows "
            f"(up to {8 * P}) than pim.max_rows (1); " + MAC_BOUND)
    assert _pim_notes(result) == [note]
    assert f"note: {note}" in " ".join(text.split())  # the human output shows it too


def test_batch_one_notes_only_the_prefill_matmuls(tmp_path):
    result, _ = _run(tmp_path, batch=1)
    refused = 4 * L  # the prefill's layer matmuls (P rows); its LM head and every decode op: 1 row
    total = (1 + D) * PER_STEP
    assert _pim_notes(result) == [
        f"pim took {total - refused} of {total} matmuls it could run: {refused} have more "
        f"activation rows (up to {P}) than pim.max_rows (1); " + MAC_BOUND]


def test_no_note_when_max_rows_covers_every_matmul(tmp_path):
    wl = tmp_path / "b8.json"
    assert CliRunner().invoke(main, ["workload", "llm", "--layers", str(L), "--hidden", "64",
                                     "--heads", "4", "--vocab", "100", "--prompt", str(P),
                                     "--decode", str(D), "--batch", "8", "-o", str(wl)]).exit_code == 0
    r = CliRunner().invoke(main, ["run", "hbm-pim", str(wl), "--json", "--set",
                                  f"pim.max_rows={8 * P}"])
    assert r.exit_code == 0, r.output
    assert _pim_notes(json.loads(r.stdout)) == []


def test_compare_shows_the_note_below_its_table(tmp_path):
    # compare prints no notes, but this one explains why hbm-pim's row equals gpu-hbm3's
    wl = tmp_path / "b8.json"
    assert CliRunner().invoke(main, ["workload", "llm", "--layers", str(L), "--hidden", "64",
                                     "--heads", "4", "--vocab", "100", "--prompt", str(P),
                                     "--decode", str(D), "--batch", "8", "-o", str(wl)]).exit_code == 0
    r = CliRunner(env={"COLUMNS": "400"}).invoke(main, ["compare", "hbm-pim", "gpu-hbm3", "-w", str(wl)])
    assert r.exit_code == 0, r.output
    total = (1 + D) * PER_STEP
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("note")]
    assert lines == [f"note (hbm-pim on llm-L2-d64-h4-kv4-B8-P4-D2-fp16): pim took 0 of {total} "
                     f"matmuls it could run: {total} have more activation rows (up to {8 * P}) "
                     "than pim.max_rows (1); " + MAC_BOUND]


def _prefix_run(tmp_path, *sets: str) -> list[str]:
    """GQA (8 heads on 2 KV heads: g = 4), prompt 64 of which 48 are a cached prefix: the
    prefill's attention runs its 16 new tokens' 16 x 4 = 64 query rows per KV head against the
    prefix cache, a model input, so PIM's kv_cache claim counts it (find-S 1)."""
    wl = tmp_path / "pfx.json"
    gen = CliRunner().invoke(main, ["workload", "llm", "--layers", "1", "--hidden", "256", "--heads", "8",
                                    "--kv-heads", "2", "--vocab", "100", "--prompt", "64", "--prefix", "48",
                                    "--decode", "1", "--attention-kernel", "fused", "-o", str(wl)])
    assert gen.exit_code == 0, gen.output
    r = CliRunner().invoke(main, ["run", "gpu-hbm-pim-attn", str(wl), "--json",
                                  *[a for s in sets for a in ("--set", s)]])
    assert r.exit_code == 0, r.output
    return _pim_notes(json.loads(r.stdout))


def test_a_prefix_prefill_attention_is_not_advised_onto_mac_bound_units(tmp_path):
    # 64 rows of fp16: 32 MAC a cache byte against the units' 6.144e12 / 12.288e12 = 0.5
    assert _prefix_run(tmp_path) == [
        "pim took 2 of 4 matmuls it could run: 2 have more activation rows (up to 64) than "
        "pim.max_rows (8); " + MAC_BOUND]


def test_bank_bound_rows_are_advised(tmp_path):
    # 4096 MACs a cycle: 1280 x 4096 x 300 MHz = 1.573e15 MAC/s, 128 MAC a byte of 12.288 TB/s:
    # 64 rows (32 MAC a byte) now leave the units bank-bound
    assert _prefix_run(tmp_path, "pim.macs_per_cycle=4096") == [
        "pim took 2 of 4 matmuls it could run: 2 have more activation rows (up to 64) than "
        "pim.max_rows (8); raising pim.max_rows lets it take them at its bank bandwidth (their "
        "results still cross the bus and each op waits its latency: compare both runs)"]
