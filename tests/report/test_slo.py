"""Per-request SLOs of an LLM serving run (find-Q 4: :mod:`cimsim.report.slo`): the share of
requests within ``--ttft-slo`` / ``--tpot-slo``, from the run's own per-request lists, and a
``deadline`` line that names the makespan it checks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.cli import main
from cimsim.config import save_architecture
from cimsim.errors import CimsimError
from cimsim.report import columns as C
from cimsim.report.slo import with_slo
from cimsim.workload.io import save_workload
from cimsim.workload.llm import LLMModel, llm_serving
from conftest import gemv_workload

TINY = LLMModel(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4, gated=True)


def _workload():
    return llm_serving(TINY, prompt=[16, 64, 32, 8], decode=[4, 8, 2, 6], batch=2, requests=4,
                       batching="continuous", dtype="fp32")


def test_attainment_counts_requests_within_each_slo(round_arch):
    r = simulate(round_arch, _workload())
    ttft = sorted(r.serving_requests[C.REQUEST_TTFT_S])  # a, a, b, c: two wait for a slot
    tpot = sorted(r.serving_requests[C.REQUEST_TPOT_S])
    assert ttft[1] < ttft[2] < ttft[3]
    # a TTFT SLO between the 2nd and 3rd request's: 2 of 4 met; the TPOT SLO at the 3rd lowest: 3 of 4
    s = with_slo(r, ttft_s=(ttft[1] + ttft[2]) / 2, tpot_s=tpot[2])
    assert s.facts[C.SLO_TTFT_ATTAINMENT] == 0.5 and s.facts[C.SLO_TPOT_ATTAINMENT] == 0.75
    both = np.mean([(t <= (ttft[1] + ttft[2]) / 2) and (p <= tpot[2]) for t, p in
                    zip(r.serving_requests[C.REQUEST_TTFT_S], r.serving_requests[C.REQUEST_TPOT_S])])
    assert s.facts[C.SLO_ATTAINMENT] == both
    assert C.SLO_ATTAINMENT not in r.facts  # r as it was
    with pytest.raises(CimsimError, match="need an LLM serving run"):
        with_slo(simulate(round_arch, gemv_workload(16, 16)), ttft_s=1.0, tpot_s=None)


def test_cli_slo_line_and_the_makespan_deadline(tmp_path, round_arch):
    save_architecture(round_arch, tmp_path / "a.yaml")
    save_workload(_workload(), tmp_path / "w.npz")
    a, w = str(tmp_path / "a.yaml"), str(tmp_path / "w.npz")
    cli = CliRunner()
    out = cli.invoke(main, ["run", a, w, "--ttft-slo", "1s", "--tpot-slo", "1s", "--json"])
    assert out.exit_code == 0, out.output
    d = json.loads(out.output)
    assert d[C.SLO_ATTAINMENT] == 1.0 and d[C.SLO_TTFT_S] == pytest.approx(1.0, rel=1e-12, abs=0)
    text = cli.invoke(main, ["run", a, w, "--ttft-slo", "1s", "--deadline", "1s"]).output
    assert "of the 4 requests" in text and "TTFT ≤ 1 s: 100.0 %" in text
    assert "the last of its 4 requests' completion (the makespan" in " ".join(text.split())
    bad = cli.invoke(main, ["run", a, w, "--ttft-slo", "-1ms"])
    assert bad.exit_code != 0 and "--ttft-slo" in bad.output and "Traceback" not in bad.output


def test_under_arrivals_the_slo_line_says_it_leaves_out_the_queueing_wait(tmp_path, round_arch):
    """F2 4: the SLO line is over one run's burst; under --arrivals it says the queueing wait is
    not added and gives the arrivals line's mean response: M/D/1 at rho 1/2 (period 2 S) waits
    rho S / (2 (1 - rho)) = S / 2, a mean response of 1.5 S."""
    save_architecture(round_arch, tmp_path / "a.yaml")
    save_workload(_workload(), tmp_path / "w.npz")
    a, w = str(tmp_path / "a.yaml"), str(tmp_path / "w.npz")
    cli = CliRunner()
    s = json.loads(cli.invoke(main, ["run", a, w, "--json"]).output)["latency_s"]
    args = ["run", a, w, "--ttft-slo", "1s", "--period", f"{2 * s!r}s", "--arrivals", "poisson"]
    d = json.loads(cli.invoke(main, [*args, "--json"]).output)
    assert d[C.QUEUE_MEAN_RESPONSE_S] == pytest.approx(1.5 * s, rel=1e-6, abs=0)
    text = " ".join(cli.invoke(main, args).output.split())
    assert "without the queueing wait of --arrivals poisson: the arrivals line's mean response is" in text
    assert "queueing wait" not in " ".join(cli.invoke(main, args[:4]).output.split())
