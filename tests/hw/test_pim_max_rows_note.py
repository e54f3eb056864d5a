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
#: the claim note counts the matmuls and points to the verdict, which needs the run's rates
#: (find-E 1: being MAC-bound on the units is no reason to stay on the host)
WEIGHS = " (the pim.max_rows note weighs raising it)"


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
            f"(up to {8 * P}) than pim.max_rows (1)" + WEIGHS)
    assert _pim_notes(result) == [note]
    assert f"note: {note}" in " ".join(text.split())  # the human output shows it too


def test_the_verdict_names_no_launch_groups_where_every_refused_op_is_its_own_launch(tmp_path):
    # review P 5: the refused ops here are weight matmuls, none in a launch group (each op its
    # own launch, as the run charges them): the verdict says nothing of launch groups
    result, _ = _run(tmp_path, batch=8)
    verdict = next(n for n in result["notes"] if n.startswith("pim.max_rows (1): "))
    assert f"{(1 + D) * PER_STEP} matmul(s) of up to {8 * P} rows would take " in verdict
    assert "launch" not in verdict
    assert " on its units against " in verdict


def test_batch_one_notes_only_the_prefill_matmuls(tmp_path):
    result, _ = _run(tmp_path, batch=1)
    refused = 4 * L  # the prefill's layer matmuls (P rows); its LM head and every decode op: 1 row
    total = (1 + D) * PER_STEP
    assert _pim_notes(result) == [
        f"pim took {total - refused} of {total} matmuls it could run: {refused} have more "
        f"activation rows (up to {P}) than pim.max_rows (1)" + WEIGHS]


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
    assert lines[0] == (f"note (hbm-pim on llm-L2-d64-h4-kv4-B8-P4-D2-fp16): pim took 0 of {total} "
                        f"matmuls it could run: {total} have more activation rows (up to {8 * P}) "
                        "than pim.max_rows (1)" + WEIGHS)
    assert lines[1].startswith("note (hbm-pim on llm-L2-d64-h4-kv4-B8-P4-D2-fp16): pim.max_rows (1): ")
    assert len(lines) == 2


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
    return [n for n in json.loads(r.stdout)["notes"] if n.startswith(("pim took ", "pim.max_rows"))]


def test_a_prefix_prefill_attention_is_counted_and_weighed(tmp_path):
    notes = _prefix_run(tmp_path)
    assert notes[0] == ("pim took 2 of 4 matmuls it could run: 2 have more activation rows (up to 64) "
                        "than pim.max_rows (8)" + WEIGHS)
    # 64 query rows a KV head: the units' 6.144 TMAC/s take 64 / 6.144e12 s an fp16 cache element
    # against a host that reads its 2 B at 2.345 TB/s in 0.85 ps: far slower, so no raise
    assert notes[1].startswith("pim.max_rows (8): raising it would not speed up the matmuls it "
                               "leaves for their rows: 2 matmul(s) of up to 64 rows")


L3 = dict(hidden=4096, heads=32, kv_heads=8, ffn=14336, vocab=1000, head_dim=128)


def _tpot(tmp_path, batch: int, *sets: str) -> tuple[float, list[str]]:
    """One Llama-3-8B layer (vocabulary cut to 1000), prompt 16, 2 decode steps on hbm-pim."""
    wl = tmp_path / f"l{batch}.json"
    if not wl.exists():
        args = [a for k, v in L3.items() for a in (f"--{k.replace('_', '-')}", str(v))]
        gen = CliRunner().invoke(main, ["workload", "llm", "--layers", "1", *args, "--gated", "--prompt", "16",
                                        "--decode", "2", "--batch", str(batch), "--attention-kernel",
                                        "fused", "-o", str(wl)])
        assert gen.exit_code == 0, gen.output
    r = CliRunner().invoke(main, ["run", "hbm-pim", str(wl), "--json", *[a for s in sets for a in ("--set", s)]])
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    return js["tpot_s"], \
        [n for n in js["notes"] if n.startswith("pim.max_rows")]


@pytest.mark.parametrize("batch, raise_to", [(2, 2), (3, 3), (4, 4), (8, None)])
def test_the_verdict_matches_the_run_with_max_rows_raised(tmp_path, batch, raise_to):
    # find-E 1. A decode step's weight matmul reads each fp16 weight element once: the host
    # (H100, HBM at 3.35 TB/s x 0.70 = 2.345 TB/s) needs 2 B / 2.345e12 = 0.853 ps for it,
    # the units (6.144 TMAC/s) m / 6.144e12 for its m = batch MACs: 0.326 ps at batch 2 (the
    # units win up to m = 5.2), 1.302 ps at batch 8 (the host wins). The note must say so,
    # and the run with pim.max_rows raised to the batch must agree
    before, notes = _tpot(tmp_path, batch)
    after, _ = _tpot(tmp_path, batch, f"pim.max_rows={batch}")
    assert len(notes) == 1
    if raise_to is not None:
        assert notes[0].startswith(f"pim.max_rows (1): raising it to {raise_to} speeds up the matmuls")
        assert after < before
    else:
        assert notes[0].startswith("pim.max_rows (1): raising it would not speed up the matmuls")
        assert after > before


def test_the_verdict_charges_the_units_one_launch_per_launch_group(tmp_path):
    # find-B 1. GQA g = 32 / 2 = 16 > max_rows 8: the 16 decode attention matmuls (1 layer x 2
    # steps x 4 requests x scores, context) stay on the GPU. On the units each is MAC-bound
    # (16 MACs a cache element read at 2 B: 16 / 6.144e12 s against 2 B / 12.288 TB/s):
    # 32 heads x 128 x L MACs at L = 65, 66 (prompt 64 + the step's token): 4,292,608 MACs
    # / (1280 units x 16 MACs x 300 MHz = 6.144 TMAC/s) = 0.6987 us. The run launches a
    # layer-step's per-request scores (and contexts) as one command: 4 groups x (5 us
    # op_overhead + 500 ns latency) = 22 us; charging every op its own launch, as before, gave
    # 0.6987 + 16 x 5.5 = 88.70 us. Blocked sharing (review P 2): the query goes in and the
    # scores (or context) come out over the bus at 2.345 TB/s, then the MACs, one after the
    # other, as the run charges them: per request and step 8,192 B query in + 32 x L x 2 B
    # scores out (scores), 32 x L x 2 B probabilities in + 8,192 B out (context): 2 x
    # (8,192 + 64 L) B, 4 requests: 4 x 2 x (12,352 + 12,416) B / 2.345e12 = 0.0845 us,
    # so 0.6987 + 0.0845 + 22 = 22.78 us (22.70 overlapped the bus with the MACs)
    import re
    wl = tmp_path / "g16.json"
    gen = CliRunner().invoke(main, ["workload", "llm", "--layers", "1", "--hidden", "4096", "--heads", "32",
                                    "--kv-heads", "2", "--ffn", "1024", "--vocab", "100", "--prompt", "64",
                                    "--decode", "2", "--batch", "4", "-o", str(wl)])
    assert gen.exit_code == 0, gen.output
    r = CliRunner().invoke(main, ["run", "gpu-hbm-pim-attn", str(wl), "--json"])
    assert r.exit_code == 0, r.output
    note = next(n for n in json.loads(r.stdout)["notes"] if n.startswith("pim.max_rows (8): "))
    m = re.search(r"16 matmul\(s\) of up to 16 rows would take ([\d.]+) µs on its units \((\d+) launch", note)
    assert m, note
    macs = 32 * 128 * (65 + 66) * 4 * 2
    bus = 4 * 2 * sum(8192 + 64 * L for L in (65, 66)) / 2.345e12
    assert float(m.group(1)) == pytest.approx((macs / (1280 * 16 * 300e6) + bus + 4 * 5.5e-6) * 1e6, abs=0.005)
    assert int(m.group(2)) == 4
