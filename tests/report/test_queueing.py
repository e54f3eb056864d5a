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


def _lindley(s, gap, n=1_000_000, seed=7):
    """Waits of n Poisson arrivals at one FIFO server of service s, by Lindley's recursion in
    closed form (W = X - min(0, cummin X)), the first tenth dropped as warm-up."""
    x = np.cumsum(s - np.random.default_rng(seed).exponential(gap, n))
    return (x - np.minimum(np.minimum.accumulate(x), 0.0))[n // 10:]


def _erlang_cdf(t, rho, digits=400):
    """Erlang's M/D/1 wait CDF, S = 1: (1 - rho) sum_{k <= t} [rho (k - t)]^k / k! e^{-rho (k - t)},
    alternating, so summed in 400-digit decimals (the terms reach e^{2 rho t}: t <= ~400)."""
    from decimal import Decimal, localcontext

    with localcontext() as ctx:
        ctx.prec = digits
        t, rho = Decimal(repr(t)), Decimal(repr(rho))
        total, fact = Decimal(0), Decimal(1)
        for k in range(int(t) + 1):
            fact *= max(k, 1)
            x = rho * (k - t)
            total += x ** k / fact * (-x).exp()
        return float((1 - rho) * total)


def test_md1_exact_distribution_matches_a_lindley_simulation_at_moderate_load():
    """review 23 B 1: at rho = 0.5 and 0.8 (S = 1) the exact wait distribution agrees with 10^6
    simulated arrivals (relaxation is short there); P(W = 0) = 1 - rho (PASTA)."""
    for rho in (0.5, 0.8):
        q, w = queueing.MD1(rho), _lindley(1.0, 1 / rho)
        assert q.wait_cdf(0.0)[0] == pytest.approx(1 - rho, rel=1e-12, abs=0)
        for p in (0.5, 0.95, 0.99):
            assert q.quantile(p) == pytest.approx(np.quantile(w, p), rel=0.05, abs=0.01)  # sampling error
        for t in (0.5, 2.0, 5.0):
            assert q.wait_cdf(t)[0] == pytest.approx(np.mean(w <= t), rel=0, abs=0.005)
    assert queueing.md1_mean_response_s(1.0, 2.0, 1.0) == pytest.approx(1.5, rel=1e-12, abs=0)


def test_md1_figures_are_exact_at_high_load():
    """review 23 B 1: the old 10^6-arrival simulation printed p50 40.3 S at rho = 0.99 (exact
    35.21 S) and a mean 6.6 % high at 0.966. The mean is the closed form rho S / (2 (1 - rho)) + R;
    the quantiles solve Erlang's formula (checked here in 400-digit decimals)."""
    f = queueing.facts(1.0, 1.0, 1 / 0.99, "poisson", 100.0)
    assert f[C.QUEUE_MEAN_RESPONSE_S] == pytest.approx(0.99 / 0.02 + 1, rel=1e-9, abs=0)
    for col, p in ((C.QUEUE_P50_RESPONSE_S, 0.5), (C.QUEUE_P95_RESPONSE_S, 0.95),
                   (C.QUEUE_P99_RESPONSE_S, 0.99)):
        assert _erlang_cdf(f[col] - 1, 0.99) == pytest.approx(p, rel=0, abs=1e-9)
    assert 35.1 < f[C.QUEUE_P50_RESPONSE_S] < 35.3  # the old simulation: 40.3
    assert f[C.QUEUE_WITHIN_DEADLINE] == pytest.approx(_erlang_cdf(99.0, 0.99), rel=0, abs=1e-9)
    # the changelog's gpu-hbm3 ResNet-18 case: S 347.88 us, period 360 us, deadline 1 ms
    s, t, d = 347.88e-6, 360e-6, 1e-3
    f = queueing.facts(s, s, t, "poisson", d)
    assert f[C.QUEUE_MEAN_RESPONSE_S] == pytest.approx((s / t) * s / (2 * (1 - s / t)) + s, rel=1e-9, abs=0)
    assert f[C.QUEUE_WITHIN_DEADLINE] == pytest.approx(_erlang_cdf((d - s) / s, s / t), rel=0, abs=1e-9)
    assert f[C.QUEUE_WITHIN_DEADLINE] == pytest.approx(0.140, rel=0, abs=0.001)  # the simulation: 13.2 %


def test_md1_beyond_the_states_solved_is_not_a_number():
    """review 23 B 1: at rho = 0.99999 the p99 (~2.3 x 10^5 S) needs more than MAX_STATES
    queue lengths: NaN, and the line says "not computed", not a biased figure."""
    f = queueing.facts(1.0, 1.0, 1 / 0.99999, "poisson", None)
    assert math.isnan(f[C.QUEUE_P99_RESPONSE_S])
    assert f[C.QUEUE_MEAN_RESPONSE_S] == pytest.approx(0.99999 / 2e-5 + 1, rel=1e-9, abs=0)
    assert "not computed" in queueing.time_text(f[C.QUEUE_P99_RESPONSE_S])


def test_a_wake_up_is_waited_for_only_by_a_request_that_finds_the_server_idle():
    """review 23 B 2: run 1.011 ms, wake 0.5 ms, mean gap 2 ms (rram-cim ResNet-18 --idle gate).
    Charging the wake to every request gave mean 3.861 ms, 51.2 % within 3 ms. A gated server
    that wakes only when it finds the queue empty (simulated below) answers in 1.98 ms mean
    (Welch: M/D/1 0.5055 x 1.011 / (2 x 0.4945) + (w + w^2 / 2T) / (1 + w / T) + run)."""
    run, wake, gap = 1.011e-3, 0.5e-3, 2e-3
    f = queueing.facts(run, run, gap, "poisson", 3e-3, wake)
    rho = run / gap
    welch = rho * run / (2 * (1 - rho)) + (wake + wake ** 2 / (2 * gap)) / (1 + wake / gap) + run
    assert f[C.QUEUE_MEAN_RESPONSE_S] == pytest.approx(welch, rel=1e-9, abs=0)
    n = 300_000
    t = np.cumsum(np.random.default_rng(3).exponential(gap, n))
    free, resp = 0.0, np.empty(n)
    for i, a in enumerate(t.tolist()):
        free = (a + wake + run) if a >= free else free + run
        resp[i] = free - a
    resp = resp[n // 10:]
    assert f[C.QUEUE_WITHIN_DEADLINE] == pytest.approx(np.mean(resp <= 3e-3), rel=0, abs=0.005)
    for col, p in ((C.QUEUE_P50_RESPONSE_S, 50), (C.QUEUE_P99_RESPONSE_S, 99)):
        assert f[col] == pytest.approx(np.percentile(resp, p), rel=0.02, abs=0)
    periodic = queueing.facts(run, run, gap, "periodic", 3e-3, wake)  # each finds it idle
    assert periodic[C.QUEUE_P99_RESPONSE_S] == pytest.approx(run + wake, rel=1e-12, abs=0)


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
    assert at.queue_mean_response_s == pytest.approx(1.5 * s, rel=1e-9, abs=0)
    assert at.queue_within_deadline == pytest.approx(0.5, rel=1e-9, abs=0)
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
    # review 23 B 4: the arrivals line named "no batching or overlap" while queueing at the interval
    from cimsim.report.format import si
    from cimsim.report.load import load_rows, min_period_s

    at = chip.at_load(period_s=3e-6, deadline_s=1e-3, arrivals="poisson")
    line = dict(load_rows(at, programs=False))["arrivals"]
    assert f"one layer pipeline taking a run every {si(min_period_s(chip), 's')} (pipeline_interval_s)" in line
    assert f"answering in its latency {si(chip.latency_s, 's')}" in line and "overlap" not in line


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
    text = " ".join(text.split())
    assert "poisson at one request every" in text and "one FIFO server running one at a time" in text
    assert "(exact M/D/1)" in text and "% of requests within" not in text and "p99" in text
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


def test_one_arrival_of_a_run_of_several_samples_is_the_whole_run(run):
    """review 23 B 3: one arrival is one run; on a run of 4 samples the line says so and counts
    runs within the deadline, not requests."""
    from cimsim.report.load import load_rows

    arch = make_arch(name="round-rram", cim=dict(ROUND_CIM), interconnect=dict(ROUND_LINK))
    four = simulate(arch, Workload("four", [Tensor("x", (1, 128), "int8", "input"), Tensor(
        "W", (128, 128), "int8", "weight"), Tensor("y", (1, 128), "int8", "activation")], [Op(
            "mm", "matmul", ("x", "W"), ("y",), m=1, k=128, n=128, weight="W")], metadata={"batch": 4}))
    assert four.samples == 4
    s = four.latency_s
    line = dict(load_rows(four.at_load(period_s=2 * s, deadline_s=s, arrivals="poisson"), programs=False))["arrivals"]
    assert "poisson at one run (a burst of 4 samples) every" in line and "% of runs within the deadline" in line
    line = dict(load_rows(run.at_load(period_s=2 * run.latency_s, arrivals="poisson"), programs=False))["arrivals"]
    assert "at one request every" in line


def test_a_models_deadline_at_a_period_too_short_is_missed():
    """review 23 B 6: with_deadlines at a period shorter than one run (a non-strict result, as
    compare gives): the backlog grows, so model 'a' misses a 1 s deadline and has no slack."""
    from cimsim.report.models import with_deadlines
    from cimsim.workload.merge import merge_workloads

    arch = make_arch(name="round-rram", cim=dict(ROUND_CIM), interconnect=dict(ROUND_LINK))
    r = simulate(arch, merge_workloads({"a": gemv_workload(128, 128, dtype="int8", name="a"),
                                        "b": gemv_workload(64, 64, dtype="int8", name="b")}))
    short = r.latency_s / 2
    m = with_deadlines(r.at_load(period_s=short, strict=False), (("a", 1.0),), short).models["a"]
    assert not m["meets_deadline"]
    assert math.isnan(m["deadline_slack_s"]) and math.isnan(m["power_up_deadline_slack_s"])
    ok = with_deadlines(r.at_load(period_s=2 * r.latency_s), (("a", 1.0),), 2 * r.latency_s).models["a"]
    assert ok["meets_deadline"] and ok["deadline_slack_s"] == pytest.approx(1.0 - ok["latency_s"], rel=1e-12, abs=0)
