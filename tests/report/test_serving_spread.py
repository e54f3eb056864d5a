"""TTFT and TPOT over requests: per-request lists in ``--json``, p50 / p90 / p99 / max columns.

The percentile is NumPy's default (linear interpolation, Hyndman-Fan type 7): of n sorted values
the q-th sits at rank h = q/100 (n - 1), between x_floor(h) and the next. The case is a
4-request continuous run, whose per-request first and last tokens are derived by hand from its
schedule below, then read off the run's per-op end times by op name.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.cli import main
from cimsim.report import columns as C
from cimsim.workload.llm import LLMModel, llm_serving

TINY = LLMModel(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4, gated=True)
P, D = [16, 64, 32, 8], [4, 8, 2, 6]


def _run(arch):
    w = llm_serving(TINY, prompt=P, decode=D, batch=2, requests=4, batching="continuous", dtype="fp32")
    return simulate(arch, w)


def test_per_request_ttft_tpot_and_their_percentiles_by_hand(round_arch):
    r = _run(round_arch)
    end = dict(zip(r.op_table["op"], r.op_table["end_s"]))
    # by hand (Orca, 2 slots): it0 prefill {0,1}; decode steps it0-it3 {0,1}: request 0 has its
    # 4 steps at it3; it4 prefill {2}, steps it4-it5 {1,2}: 2 is done (2 steps) at it5; it6
    # prefill {3}, steps it6-it7 {1,3}: 1 is done (8 steps: it0-it7) at it7; steps it8-it11 {3}:
    # 3 is done (6 steps: it6-it11) at it11. A token comes out when its iteration samples.
    first = [end["it0.prefill.sample"], end["it0.prefill.sample"], end["it4.prefill.sample"],
             end["it6.prefill.sample"]]
    last = [end["it3.decode.sample"], end["it7.decode.sample"], end["it5.decode.sample"],
            end["it11.decode.sample"]]
    tpot = [(lt - ft) / d for ft, lt, d in zip(first, last, D)]  # tokens - 1 = D_r
    assert r.serving_requests[C.REQUEST_TTFT_S] == pytest.approx(first, rel=1e-12, abs=0)
    assert r.serving_requests[C.REQUEST_TPOT_S] == pytest.approx(tpot, rel=1e-12, abs=0)
    a, b, c = first[0], first[2], first[3]  # sorted: a, a, b, c (the queue makes b, c later)
    assert a < b < c
    sv = r.serving
    # n = 4: h = 1.5 -> x1 + 0.5 (x2 - x1); h = 2.7 -> x2 + 0.7 (x3 - x2); h = 2.97 likewise
    assert sv[C.TTFT_P50_S] == pytest.approx((a + b) / 2, rel=1e-12, abs=0)
    assert sv[C.TTFT_P90_S] == pytest.approx(b + 0.7 * (c - b), rel=1e-12, abs=0)
    assert sv[C.TTFT_P99_S] == pytest.approx(b + 0.97 * (c - b), rel=1e-12, abs=0)
    assert sv[C.TTFT_MAX_S] == c
    assert sv[C.TTFT_S] == pytest.approx((2 * a + b + c) / 4, rel=1e-12, abs=0)  # the mean, unchanged
    x = sorted(tpot)
    assert sv[C.TPOT_P50_S] == pytest.approx((x[1] + x[2]) / 2, rel=1e-12, abs=0)
    assert sv[C.TPOT_P90_S] == pytest.approx(x[2] + 0.7 * (x[3] - x[2]), rel=1e-12, abs=0)
    assert sv[C.TPOT_P99_S] == pytest.approx(x[2] + 0.97 * (x[3] - x[2]), rel=1e-12, abs=0)
    assert sv[C.TPOT_MAX_S] == pytest.approx(x[3], rel=1e-12, abs=0)
    # the columns are result columns (sweep, compare), the lists are not
    rec = r.record()
    assert all(k in rec for k in (*C.TTFT_SPREAD, *C.TPOT_SPREAD))
    assert C.REQUEST_TTFT_S not in rec and C.REQUEST_TPOT_S not in rec


def test_a_one_token_request_has_no_tpot_and_is_left_out_of_its_percentiles(round_arch):
    w = llm_serving(TINY, prompt=[4, 6], decode=[0, 2], batch=2, dtype="fp32")
    r = simulate(round_arch, w)
    tpot = r.serving_requests[C.REQUEST_TPOT_S]
    assert tpot[0] != tpot[0] and tpot[1] == tpot[1]  # NaN for the request of one token
    assert r.serving[C.TPOT_P50_S] == r.serving[C.TPOT_MAX_S] == tpot[1]
    assert r.to_json()[C.REQUEST_TPOT_S][0] is None  # null in --json


def test_cli_run_prints_the_spread_and_json_lists_each_request(tmp_path):
    wl = tmp_path / "cb.npz"
    res = CliRunner().invoke(main, ["workload", "llm", "--layers", "2", "--hidden", "32", "--heads", "8",
                                    "--ffn", "48", "--vocab", "20", "--prompt", "16,64,32,8",
                                    "--decode", "4,8,2,6", "--batch", "2", "--requests", "4",
                                    "--batching", "continuous", "-o", str(wl)])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["run", "gpu-hbm3", str(wl), "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output[res.output.index("{"):res.output.rindex("}") + 1])
    assert len(d[C.REQUEST_TTFT_S]) == len(d[C.REQUEST_TPOT_S]) == 4
    assert d[C.TTFT_MAX_S] == max(d[C.REQUEST_TTFT_S])
    res = CliRunner().invoke(main, ["run", "gpu-hbm3", str(wl)])
    assert res.exit_code == 0, res.output
    assert "TTFT over requests" in res.output and "TPOT over requests" in res.output
    assert "p99" in res.output and "(4 requests; linear interpolation)" in res.output
