"""Prefill/decode disaggregation (find-E2 3: :mod:`cimsim.report.disagg`): ``run --kv-link``
ships each request's KV cache over a link; bytes, time and energy from closed-form arithmetic."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.bundled import resolve_config
from cimsim.cli import main
from cimsim.config import load_architecture
from cimsim.errors import CimsimError
from cimsim.report import columns as C
from cimsim.report.disagg import kv_bytes_per_token, parse_kv_link, with_kv_link
from cimsim.workload.io import save_workload
from cimsim.workload.llm import LLMModel, llm_serving

TINY = LLMModel(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4, gated=True)
# Llama-3-8B's shape (config.json of meta-llama/Meta-Llama-3-8B)
L8 = LLMModel(layers=32, hidden=4096, heads=32, kv_heads=8, ffn=14336, vocab=128256, head_dim=128,
              gated=True, tied=False)


def test_kv_bytes_per_token_closed_form():
    # Llama-3-8B fp16: 2 (K, V) x 32 layers x 8 kv heads x 128 x 2 B = 131,072 B
    p = {"layers": 32, "kv_heads": 8, "head_dim": 128, "dtype": "fp16", "prompt": [1024]}
    assert kv_bytes_per_token(p) == 2 * 32 * 8 * 128 * 2 == 131_072
    # Llama-3-70B, TP 8, fp8 cache: one of the 8 kv heads per device, 1 B: 2 x 80 x 1 x 128 x 1
    p70 = {"layers": 80, "kv_heads": 8, "head_dim": 128, "dtype": "fp16", "kv_dtype": "fp8", "tensor_parallel": 8}
    assert kv_bytes_per_token(p70) == 20_480
    # TP 16 > 8 kv heads: each device holds one (replicated), as the capacity check counts it
    assert kv_bytes_per_token({**p70, "tensor_parallel": 16}) == 20_480


@pytest.mark.slow
def test_llama3_8b_p1024_ships_134_mb_in_2_684_ms_plus_latency():
    wl = llm_serving(L8, prompt=1024, decode=1, batch=1, dtype="fp16", attention_kernel="fused")
    r = simulate(load_architecture(resolve_config("gpu-hbm3")), wl)
    d = with_kv_link(r, wl, parse_kv_link("bandwidth=400Gb/s,latency=5us,energy_per_bit=10pJ/bit"))
    f = d.facts
    assert f[C.KV_TRANSFER_BYTES] == 1024 * 131_072 == 134_217_728
    # 134,217,728 B x 8 / 400e9 b/s = 2.68435 ms, + 5 us
    assert f[C.KV_TRANSFER_S] == pytest.approx(134_217_728 * 8 / 400e9 + 5e-6, rel=1e-12, abs=0)
    assert f[C.KV_TRANSFER_J] == pytest.approx(134_217_728 * 8 * 10e-12, rel=1e-12, abs=0)  # 10.74 mJ
    ttft = r.serving_requests[C.REQUEST_TTFT_S][0]
    assert f[C.TTFT_DISAGG_S] == pytest.approx(ttft + 134_217_728 * 8 / 400e9 + 5e-6, rel=1e-12, abs=0)


def _static():
    # one batch of two: both prefills end together, so the second cache waits for the first
    return llm_serving(TINY, prompt=[16, 64], decode=3, batch=2, dtype="fp32")


def test_fifo_link_bytes_time_energy_and_tokens_per_joule(round_arch):
    wl = _static()
    r = simulate(round_arch, wl)
    link = parse_kv_link("bandwidth=8Mb/s,latency=1ms,tx_energy=1nJ/bit,rx_energy=1nJ/bit")
    d = with_kv_link(r, wl, link)
    per_token = 2 * 2 * 2 * 4 * 4  # K, V x 2 layers x 2 kv heads x head_dim 4 x fp32 4 B = 128 B
    rq = d.serving_requests
    assert rq[C.REQUEST_KV_TRANSFER_BYTES] == [16 * per_token, 64 * per_token] == [2048, 8192]
    # 8 Mb/s = 1e6 B/s: 2.048 ms and 8.192 ms on the wire, + 1 ms latency each
    assert rq[C.REQUEST_KV_TRANSFER_S] == pytest.approx([3.048e-3, 9.192e-3], rel=1e-12, abs=0)
    assert rq[C.REQUEST_KV_TRANSFER_J] == pytest.approx([2048 * 8 * 2e-9, 8192 * 8 * 2e-9], rel=1e-12, abs=0)
    t0, t1 = r.serving_requests[C.REQUEST_TTFT_S]
    assert t0 == t1  # one static batch: both first tokens at the prefill's end
    # FIFO over one link: request 0 on the wire first, request 1 after it
    assert rq[C.REQUEST_TTFT_DISAGG_S] == pytest.approx([t0 + 2.048e-3 + 1e-3, t0 + 2.048e-3 + 8.192e-3 + 1e-3],
                                                         rel=1e-12, abs=0)
    f = d.facts
    assert f[C.KV_TRANSFER_BYTES] == 10_240 and f[C.KV_TOKEN_BYTES] == 128
    assert f[C.TTFT_DISAGG_MAX_S] == pytest.approx(t0 + 11.24e-3, rel=1e-12, abs=0)
    tokens, tpj = r.serving[C.TOKENS_PER_RUN], r.serving[C.TOKENS_PER_J]
    assert tokens == 2 * (1 + 3)
    assert f[C.DISAGG_TOKENS_PER_J] == pytest.approx(tokens / (tokens / tpj + 10_240 * 8 * 2e-9), rel=1e-12, abs=0)
    # a static batch of equal decode lengths runs only decode-only steps after its prefill: each
    # request's TPOT is their mean span
    assert f[C.TPOT_DECODE_ONLY_S] == pytest.approx(r.serving[C.TPOT_S], rel=1e-12, abs=0)
    assert C.TTFT_DISAGG_S not in r.facts  # the run itself as it was


def test_cli_json_lists_and_one_line_refusals(round_arch, tmp_path):
    from cimsim.config import save_architecture

    cfg, wl = tmp_path / "a.yaml", tmp_path / "w.json"
    save_architecture(round_arch, cfg)
    save_workload(_static(), wl)
    runner = CliRunner()
    out = runner.invoke(main, ["run", str(cfg), str(wl), "--json", "--kv-link", "bandwidth=8Mb/s,latency=1ms"])
    assert out.exit_code == 0, out.output
    j = json.loads(out.output)
    assert j[C.REQUEST_KV_TRANSFER_BYTES] == [2048, 8192] and j[C.KV_TRANSFER_LINK_J] == 0.0
    # find-E3 4: no link energy given, but both ends' memory: 10,240 B read + written at the test
    # DRAM's 10 pJ/bit = 80 pJ/B
    assert j[C.KV_TRANSFER_MEMORY_J] == pytest.approx(2 * 10_240 * 80e-12, rel=1e-12, abs=0)
    assert j[C.KV_TRANSFER_J] == j[C.KV_TRANSFER_MEMORY_J]
    text = runner.invoke(main, ["run", str(cfg), str(wl), "--kv-link", "bandwidth=8Mb/s"]).output
    assert "disaggregated" in text and "10.24 kB shipped" in text
    for spec, says in (("bandwidth=8Mb/s,downlink=1Mb/s", "a downlink is not used"),
                       ("latency=1ms", "no uplink rate"), ("bandwidth=8Mb/s,energy_per_bit=10pJ", "--kv-link")):
        bad = runner.invoke(main, ["run", str(cfg), str(wl), "--kv-link", spec])
        assert bad.exit_code != 0 and says in bad.output and "Traceback" not in bad.output, bad.output
        assert len(bad.output.strip().splitlines()) == 1
    bad = runner.invoke(main, ["run", str(cfg), "transformer", "--kv-link", "bandwidth=8Mb/s"])
    assert bad.exit_code != 0 and "not an LLM serving run" in bad.output


def test_split_refusal_of_a_serving_run_points_to_kv_link(tmp_path):
    from cimsim.split.cuts import refuse

    with pytest.raises(CimsimError, match="--kv-link"):
        refuse(_static())


def test_prefill_only_run_has_no_tokens_per_joule_over_both_nodes(round_arch):
    # review S 1: the prefill node's run (--decode 0) holds no decode node's energy or tokens, so
    # a tokens/J "over both nodes" would be 1 first token / (prefill + link energy): NaN instead
    wl = llm_serving(TINY, prompt=16, decode=0, batch=1, dtype="fp32")
    r = simulate(round_arch, wl)
    d = with_kv_link(r, wl, parse_kv_link("bandwidth=8Mb/s,latency=1ms,energy_per_bit=1nJ/bit"))
    f = d.facts
    assert f[C.KV_TRANSFER_BYTES] == 16 * 128 == 2048  # the transfer itself is still there
    assert f[C.KV_TRANSFER_J] == pytest.approx(2048 * 8 * 1e-9, rel=1e-12, abs=0)
    assert f[C.DISAGG_TOKENS_PER_J] != f[C.DISAGG_TOKENS_PER_J]  # NaN
    from cimsim.report.disagg import rows

    (label, text), = rows(d)
    assert "tokens/J n/a (no decode step" in text and "over both nodes" not in text
    assert not any("co-located" in n for n in d.notes)  # nothing interleaved here


def test_colocated_continuous_run_notes_its_queueing_and_batches(round_arch):
    # review S 3: one slot, two requests under continuous batching: request 1's prefill runs
    # after request 0's decode steps, so its ttft_disagg_s queues behind them
    wl = llm_serving(TINY, prompt=16, decode=2, batch=1, requests=2, batching="continuous", dtype="fp32")
    kinds = wl.metadata["llm"]["step_kind"]
    assert kinds.index("prefill", 1) > kinds.index("decode")
    r = simulate(round_arch, wl)
    d = with_kv_link(r, wl, parse_kv_link("bandwidth=8Mb/s"))
    said = [n for n in d.notes if n.startswith("--kv-link on a co-located run")]
    assert len(said) == 1 and "--decode 0" in said[0] and "--prefix P-1" in said[0]
    assert len(d.notes) == len(r.notes) + 1  # r's own notes as they were
    # a static batch of one wave (prefill, then only decode steps) gets no such note
    ws = _static()
    assert not any("co-located" in n for n in with_kv_link(simulate(round_arch, ws), ws,
                                                           parse_kv_link("bandwidth=8Mb/s")).notes)
