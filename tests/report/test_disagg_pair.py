"""find-E3 1-4: ``run --kv-link`` on the decode node's run (NaN without the prefill node's),
``--prefill-run PF.json`` (the two nodes' runs composed), ``--kv-overlap layer`` (Splitwise's
layer-wise transfer; the first token from the prefill node, the transfer on the second) and both
ends' memory energy. Golden values from closed-form arithmetic."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.bundled import resolve_config
from cimsim.cli import main
from cimsim.config import load_architecture, save_architecture
from cimsim.report import columns as C
from cimsim.report.disagg import _memory_j_per_byte, arrivals, parse_kv_link, rows, with_kv_link
from cimsim.workload.io import save_workload
from cimsim.workload.llm import LLMModel, llm_serving

TINY = LLMModel(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4, gated=True)
LINK = "bandwidth=8Mb/s,latency=1ms,energy_per_bit=1nJ/bit"  # 1e6 B/s, 1 nJ/bit
PER_TOKEN = 2 * 2 * 2 * 4 * 4  # K, V x 2 layers x 2 kv heads x head_dim 4 x fp32 = 128 B


def test_decode_node_run_has_no_first_token_nor_tokens_per_joule(round_arch):
    # find-E3 1: the decode node's run (--prefix P-1) holds its 1-row passes, not the prefill
    # node's prefill: its TTFT and a "both nodes" tokens/J would leave the prefill node out
    wl = llm_serving(TINY, prompt=16, prefix=15, decode=3, batch=2, dtype="fp32")
    d = with_kv_link(simulate(round_arch, wl), wl, parse_kv_link(LINK), round_arch)
    f = d.facts
    assert f[C.KV_TRANSFER_BYTES] == 2 * 16 * PER_TOKEN == 4096  # the transfer itself stays
    for k in (C.TTFT_PREFILL_NODE_S, C.TTFT_DISAGG_S, C.TTFT2_DISAGG_S, C.DISAGG_TOKENS_PER_J, C.DISAGG_ENERGY_J):
        assert f[k] != f[k], k  # NaN
    (_, text), = rows(d)
    assert "give --prefill-run" in text and "over both nodes" not in text
    assert any(n.startswith("--kv-link on the decode node's run") for n in d.notes)


def test_memory_energy_both_ends_closed_form(round_arch):
    # find-E3 4: gpu-hbm3's HBM3 at 3.9 pJ/bit: the sender reads and the receiver writes the
    # Llama-3-8B P 1024 cache, 2 x 134,217,728 B x 8 x 3.9 pJ = 8.375 mJ (the sendrecv's DRAM figure)
    jpb = _memory_j_per_byte(load_architecture(resolve_config("gpu-hbm3")))
    assert jpb == pytest.approx(8 * 3.9e-12, rel=1e-12, abs=0)
    assert 2 * 134_217_728 * jpb == pytest.approx(8.3752e-3, rel=1e-4, abs=0)
    wl = llm_serving(TINY, prompt=[16, 64], decode=3, batch=2, dtype="fp32")
    d = with_kv_link(simulate(round_arch, wl), wl, parse_kv_link(LINK), round_arch)
    f, rq = d.facts, d.serving_requests
    # the test DRAM: 10 pJ/bit = 80 pJ/B; link 1 nJ/bit
    assert f[C.KV_TRANSFER_MEMORY_J] == pytest.approx(2 * 10_240 * 80e-12, rel=1e-12, abs=0)
    assert f[C.KV_TRANSFER_LINK_J] == pytest.approx(10_240 * 8 * 1e-9, rel=1e-12, abs=0)
    assert f[C.KV_TRANSFER_J] == pytest.approx(10_240 * (8e-9 + 160e-12), rel=1e-12, abs=0)
    assert rq[C.REQUEST_KV_TRANSFER_J] == pytest.approx([2048 * 8.16e-9, 8192 * 8.16e-9], rel=1e-12, abs=0)


def test_layer_overlap_closed_form_llama3_8b_batch4():
    # find-E3 3, the tester's numbers: 4 requests' prefill ends at 73.47 ms (one iteration from
    # 0), 134,217,728 B each at 50 GB/s = 2.68435 ms, 32 layers: each layer's share (83.886 us)
    # is on the link long before the next layer is written (2.296 ms), so after the prefill only
    # the 4 last-layer shares remain: request i at T + (i + 1) x 83.886 us + 5 us
    t, w = np.full(4, 73.47e-3), np.full(4, 134_217_728 / 50e9)
    got = arrivals(t, t, w, 5e-6, 32, "layer")
    assert got == pytest.approx([73.47e-3 + (i + 1) * w[0] / 32 + 5e-6 for i in range(4)], rel=1e-12, abs=0)
    assert got.max() - 73.47e-3 == pytest.approx(4 * 2.68435456e-3 / 32 + 5e-6, rel=1e-9, abs=0)  # 0.3405 ms
    # serial (none): FIFO of whole caches, T + (i + 1) x 2.684 ms + 5 us
    assert arrivals(t, t, w, 5e-6, 32, "none") == pytest.approx(
        [73.47e-3 + (i + 1) * w[0] + 5e-6 for i in range(4)], rel=1e-12, abs=0)


def test_layer_overlap_in_a_run_and_the_second_token(round_arch):
    wl = llm_serving(TINY, prompt=[16, 64], decode=3, batch=2, dtype="fp32")
    r = simulate(round_arch, wl)
    t0, t1 = r.serving_requests[C.REQUEST_TTFT_S]
    d0, d1 = r.serving_requests[C.REQUEST_PREFILL_STEP_S]
    assert t0 == t1 == d0 == d1  # one static batch, its prefill the first iteration (from 0)
    d = with_kv_link(r, wl, parse_kv_link(LINK), None, "layer")
    rq, f = d.serving_requests, d.facts
    # 2 layers: chunks of 1.024 ms (request 0) and 4.096 ms (request 1); layer 0 ready at t - t/2,
    # layer 1 at t (a few us later, while request 0's layer 0 is on the link), so request 0's
    # layer 1 goes next: request 0 at t/2 + 2.048 ms + 1 ms, request 1 4.096 x 2 ms after
    assert rq[C.REQUEST_TTFT_DISAGG_S] == pytest.approx([t0 / 2 + 3.048e-3, t0 / 2 + 11.24e-3], rel=1e-12, abs=0)
    assert f[C.KV_OVERLAP] == "layer" and f[C.TTFT_PREFILL_NODE_S] == t0  # the first token not delayed
    tpot = f[C.TPOT_DECODE_ONLY_S]
    assert rq[C.REQUEST_TTFT2_DISAGG_S] == pytest.approx([t0 / 2 + 3.048e-3 + tpot, t0 / 2 + 11.24e-3 + tpot],
                                                          rel=1e-12, abs=0)
    (_, text), = rows(d)
    assert "layer by layer" in text and "second token" in text


def _cli(round_arch, tmp_path):
    cfg = tmp_path / "a.yaml"
    save_architecture(round_arch, cfg)
    pf, dn, other = tmp_path / "pf.npz", tmp_path / "dn.npz", tmp_path / "pf2.npz"
    save_workload(llm_serving(TINY, prompt=16, decode=0, batch=2, dtype="fp32"), pf)
    save_workload(llm_serving(TINY, prompt=16, prefix=15, decode=3, batch=2, dtype="fp32"), dn)
    save_workload(llm_serving(TINY, prompt=17, decode=0, batch=2, dtype="fp32"), other)
    # review E3 1: the decode node's workload with --decode 0 (a 1-row pass, no prefill)
    save_workload(llm_serving(TINY, prompt=16, prefix=15, decode=0, batch=2, dtype="fp32"), tmp_path / "pfx.npz")
    return cfg, pf, dn, other


def test_prefill_run_composes_the_two_nodes(round_arch, tmp_path):
    # find-E3 2: TTFT and energy from the prefill node's run; the decode run's 1-row pass dropped
    cfg, pf, dn, _ = _cli(round_arch, tmp_path)
    runner = CliRunner()
    out = runner.invoke(main, ["run", str(cfg), str(pf), "--json", "--kv-link", LINK])
    assert out.exit_code == 0, out.output
    (tmp_path / "pf.json").write_text(out.output)
    p = json.loads(out.output)
    out = runner.invoke(main, ["run", str(cfg), str(dn), "--json", "--kv-link", LINK,
                               "--prefill-run", str(tmp_path / "pf.json")])
    assert out.exit_code == 0, out.output
    j = json.loads(out.output)
    assert j[C.REQUEST_TTFT_DISAGG_S] == pytest.approx(
        [p[C.TTFT_S] + 2.048e-3 + 1e-3, p[C.TTFT_S] + 2 * 2.048e-3 + 1e-3], rel=1e-12, abs=0)
    assert j[C.TTFT_PREFILL_NODE_S] == p[C.TTFT_S]
    link = 4096 * 8 * 1e-9 + 2 * 4096 * 80e-12  # the link + both ends' memory (80 pJ/B)
    assert j[C.KV_TRANSFER_J] == pytest.approx(link, rel=1e-12, abs=0)
    # both nodes: the prefill node's run + the decode node's less its admission pass
    energy = p[C.ENERGY] + j[C.ENERGY] - j[C.PREFILL_ENERGY_J] + link
    assert j[C.DISAGG_ENERGY_J] == pytest.approx(energy, rel=1e-12, abs=0)
    assert j[C.TOKENS_PER_RUN] == 2 * (1 + 3)
    assert j[C.DISAGG_TOKENS_PER_J] == pytest.approx(8 / energy, rel=1e-12, abs=0)
    assert any("--prefill-run" in n and "dropped" in n for n in j["notes"])


def test_prefill_run_refusals_are_one_line(round_arch, tmp_path):
    cfg, pf, dn, other = _cli(round_arch, tmp_path)
    runner = CliRunner()
    for wl, name in ((pf, "pf.json"), (other, "pf2.json"), (tmp_path / "pfx.npz", "pfx.json")):
        out = runner.invoke(main, ["run", str(cfg), str(wl), "--json"])
        assert out.exit_code == 0, out.output
        (tmp_path / name).write_text(out.output)
    cases = ((dn, "pf2.json", "prompt [17, 17] there"),  # another workload's prefill
             (dn, "pfx.json", "prefix 15 there (1 row a request computed); the prefill node computes "
                              "all P rows: --prefix 0"),  # review E3 1: a 1-row pass, not a prefill
             (pf, "pf.json", "goes with the decode node's run"),  # not the decode node's run
             (dn, "missing.json", "not a readable run --json file"))
    for wl, name, says in cases:
        bad = runner.invoke(main, ["run", str(cfg), str(wl), "--kv-link", LINK, "--prefill-run", str(tmp_path / name)])
        assert bad.exit_code != 0 and says in bad.output and "Traceback" not in bad.output, bad.output
        assert len(bad.output.strip().splitlines()) == 1, bad.output
    bad = runner.invoke(main, ["run", str(cfg), str(dn), "--kv-overlap", "layer"])
    assert bad.exit_code != 0 and "goes with --kv-link" in bad.output


def test_prefill_run_partial_prefix_hit_is_noted(round_arch, tmp_path):
    # review E3 1: a prefill node with a partial prefix-cache hit (--prefix 8 of 16) is a real
    # placement: taken as run, with a note; the transfer still ships all 16 rows a request
    cfg, _, dn, _ = _cli(round_arch, tmp_path)
    save_workload(llm_serving(TINY, prompt=16, prefix=8, decode=0, batch=2, dtype="fp32"), tmp_path / "p8.npz")
    runner = CliRunner()
    out = runner.invoke(main, ["run", str(cfg), str(tmp_path / "p8.npz"), "--json"])
    assert out.exit_code == 0, out.output
    (tmp_path / "p8.json").write_text(out.output)
    p = json.loads(out.output)
    out = runner.invoke(main, ["run", str(cfg), str(dn), "--json", "--kv-link", LINK,
                               "--prefill-run", str(tmp_path / "p8.json")])
    assert out.exit_code == 0, out.output
    j = json.loads(out.output)
    assert j[C.TTFT_PREFILL_NODE_S] == p[C.TTFT_S]
    assert j[C.KV_TRANSFER_BYTES] == 2 * 16 * PER_TOKEN == 4096
    assert any("--prefix 8" in n and "prefix-cache hit" in n for n in j["notes"])
