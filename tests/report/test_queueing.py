"""A deadline at a load a run cannot keep (find-Q 1), response times under random arrivals
(find-Q 2, Q 6: :mod:`cimsim.report.queueing`), the deadline-past-the-period note (find-Q 5) and
the refusal's "one run at a time" (find-Q 3)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.cli import main
from cimsim.config import architecture_from_dict, save_architecture
from cimsim.errors import CimsimError
from cimsim.report import columns as C, queueing
from cimsim.workload import Op, Tensor, Workload
from cimsim.workload.io import save_workload
from conftest import ROUND_CIM, ROUND_LINK, gemv_workload, make_arch, tiny_chip


@pytest.fixture(scope="module")
def run():
    arch = make_arch(name="round-rram", cim=dict(ROUND_CIM), interconnect=dict(ROUND_LINK))
    return simulate(arch, gemv_workload(128, 128, dtype="int8"))


def test_md1_waits_follow_the_closed_form():
    """M/D/1 at rho = 0.5 (S = 1 s, mean gap 2 s): mean wait rho S / (2 (1 - rho)) = 0.5 s, and a
    request waits not at all with probability 1 - rho = 0.5 (PASTA: it finds the server idle)."""
    w = queueing.waits(1.0, 2.0, "poisson")
    assert w.mean() == pytest.approx(0.5, rel=0.02, abs=0)
    assert np.mean(w == 0) == pytest.approx(0.5, rel=0, abs=0.01)
    assert queueing.md1_mean_response_s(1.0, 2.0, 1.0) == pytest.approx(1.5, rel=1e-12, abs=0)
    assert not queueing.waits(1.0, 2.0, "periodic").any()  # D/D/1 below saturation: no wait


def test_too_slow_for_the_period_never_meets_the_deadline(run):
    """find-Q 1: a period half the run (utilisation 2) grows the backlog a run every two periods,
    so no response is bounded; the deadline (100 runs long) read met with one run's slack."""
    at = run.at_load(period_s=0.5 * run.latency_s, deadline_s=100 * run.latency_s, strict=False)
    assert at.meets_deadline is False
    assert math.isnan(at.deadline_slack_s) and math.isnan(at.power_up_deadline_slack_s)
    assert not any("longer than the period" in n for n in at.notes)
    ok = run.at_load(period_s=2 * run.latency_s, deadline_s=100 * run.latency_s, strict=False)
    assert ok.meets_deadline is True
    assert ok.deadline_slack_s == pytest.approx(99 * run.latency_s, rel=1e-12, abs=0)


def test_poisson_arrivals_at_a_real_run(run):
    """One request every 2 latencies on average (rho = 0.5): M/D/1 mean response 0.5 S + S = 1.5 S;
    half the requests wait, so a deadline of one latency holds for 1 - rho = 50 % of them."""
    s = run.latency_s
    at = run.at_load(period_s=2 * s, deadline_s=s, arrivals="poisson")
    assert at.queue_md1_mean_response_s == pytest.approx(1.5 * s, rel=1e-12, abs=0)
    assert at.queue_mean_response_s == pytest.approx(1.5 * s, rel=0.02, abs=0)
    assert at.queue_within_deadline == pytest.approx(0.5, rel=0, abs=0.01)
    assert at.queue_p50_response_s <= at.queue_p95_response_s <= at.queue_p99_response_s
    assert at.meets_deadline is True  # the single-run verdict stays what it says
    periodic = run.at_load(period_s=2 * s, deadline_s=s, arrivals="periodic")
    assert periodic.queue_p99_response_s == pytest.approx(s, rel=1e-12, abs=0)
    assert periodic.queue_within_deadline == 1.0
    full = run.at_load(period_s=s, deadline_s=10 * s, arrivals="poisson")  # rho = 1: no steady state
    assert full.queue_p99_response_s == math.inf and full.queue_within_deadline == 0.0
    with pytest.raises(CimsimError, match="arrivals 'bursty': must be one of periodic, poisson"):
        run.at_load(period_s=2 * s, arrivals="bursty")
    with pytest.raises(CimsimError, match="give a period"):
        run.at_load(deadline_s=s, arrivals="poisson")


def test_a_busy_period_notes_that_the_verdict_is_for_periodic_arrivals(run):
    """find-Q 2: at 80 % busy, M/D/1's mean response is 0.8 S / (2 x 0.2) + S = 3 S."""
    s = run.latency_s
    busy = run.at_load(period_s=s / 0.8, deadline_s=2 * s)
    note = next(n for n in busy.notes if "busy" in n)
    assert "strictly periodic arrivals only" in note and "80.0 % busy" in note
    from cimsim.report.format import si
    assert f"M/D/1 mean response {si(3 * s, 's')}" in note
    assert not any("busy: the deadline" in n for n in run.at_load(period_s=2 * s, deadline_s=2 * s).notes)
    again = busy.at_load(period_s=2 * s, deadline_s=2 * s)  # restated: the old note goes
    assert not any("busy: the deadline" in n for n in again.notes)


def test_past_the_period_note_says_what_it_checks(run):
    """find-Q 5: a period longer than the run never overlaps runs at periodic arrivals; on a
    layer-pipelined chip (period inside the latency) the note names the pipeline's interval."""
    s = run.latency_s
    note = next(n for n in run.at_load(period_s=2 * s, deadline_s=3 * s).notes if "longer than the period" in n)
    assert "each run ends before the next starts" in note and "overlapping runs are not modelled" not in note
    x = [Tensor("x0", (1, 64), "int8", "input"), Tensor("x1", (1, 64), "int8", "activation"),
         Tensor("x2", (1, 64), "int8", "activation")]
    w = [Tensor(f"w{j}", (64, 64), "int8", "weight") for j in range(2)]
    ops = [Op(f"l{j}", "matmul", (f"x{j}", f"w{j}"), (f"x{j + 1}",), m=1, k=64, n=64, weight=f"w{j}")
           for j in range(2)]
    bus = {"type": "bus", "width_bits": 8, "clock": "100 MHz", "energy_per_bit_per_hop": "0 pJ/bit"}
    chip = simulate(architecture_from_dict(tiny_chip("serial", {"interconnect": bus}, "stream-chip")),
                    Workload("two", x + w, ops))
    assert chip.latency_s > 3e-6  # a period of 3 us is inside the latency, above the 2.56 us interval
    note = next(n for n in chip.at_load(period_s=3e-6, deadline_s=1e-3).notes if "longer than the period" in n)
    assert "steady interval" in note and "refused" not in note


def test_cli_arrivals_and_too_slow_compare(tmp_path, run):
    arch = make_arch(name="round-rram", cim=dict(ROUND_CIM), interconnect=dict(ROUND_LINK))
    save_architecture(arch, tmp_path / "a.yaml")
    save_workload(gemv_workload(128, 128, dtype="int8"), tmp_path / "w.json")
    a, w, s = str(tmp_path / "a.yaml"), str(tmp_path / "w.json"), run.latency_s
    cli = CliRunner()
    out = cli.invoke(main, ["run", a, w, "--period", f"{2 * s}s", "--deadline", f"{s}s",
                            "--arrivals", "poisson", "--json"])
    assert out.exit_code == 0, out.output
    d = json.loads(out.output)
    assert d[C.QUEUE_ARRIVALS] == "poisson"
    assert d[C.QUEUE_WITHIN_DEADLINE] == pytest.approx(0.5, rel=0, abs=0.01)
    text = cli.invoke(main, ["run", a, w, "--period", f"{2 * s}s", "--arrivals", "poisson"]).output
    assert "one FIFO server, no batching or overlap" in text and "p99" in text
    bad = cli.invoke(main, ["run", a, w, "--arrivals", "poisson"])
    assert bad.exit_code != 0 and "Traceback" not in bad.output and "give --period" in bad.output
    full = cli.invoke(main, ["run", a, w, "--period", f"{s}s", "--arrivals", "poisson"]).output
    assert "response unbounded" in " ".join(full.split())  # rho = 1: no steady state, not "inf s"
    refused = cli.invoke(main, ["run", a, w, "--period", f"{s / 2}s"])
    assert "one run at a time" in refused.output  # find-Q 3: not a capacity
    csv = tmp_path / "c.csv"
    out = cli.invoke(main, ["compare", a, "-w", w, "--period", f"{s / 2}s", "--deadline", f"{100 * s}s",
                            "--arrivals", "poisson", "-o", str(csv)])
    assert out.exit_code == 0, out.output
    assert "MISSED (too slow for the period)" in out.output and "unbounded" in out.output
    import pandas as pd

    df = pd.read_csv(csv)
    assert not df[C.MEETS_DEADLINE].iloc[0] and math.isnan(df[C.DEADLINE_SLACK_S].iloc[0])
