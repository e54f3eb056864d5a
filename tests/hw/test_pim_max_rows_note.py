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
            f"(up to {8 * P}) than pim.max_rows (1); raise pim.max_rows to let it take them")
    assert _pim_notes(result) == [note]
    assert f"note: {note}" in " ".join(text.split())  # the human output shows it too


def test_batch_one_notes_only_the_prefill_matmuls(tmp_path):
    result, _ = _run(tmp_path, batch=1)
    refused = 4 * L  # the prefill's layer matmuls (P rows); its LM head and every decode op: 1 row
    total = (1 + D) * PER_STEP
    assert _pim_notes(result) == [
        f"pim took {total - refused} of {total} matmuls it could run: {refused} have more "
        f"activation rows (up to {P}) than pim.max_rows (1); raise pim.max_rows to let it take them"]


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
                     "than pim.max_rows (1); raise pim.max_rows to let it take them"]
