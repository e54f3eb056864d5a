"""Idle states between runs at a load (left 21 2): ``--idle on|sleep|gate``,
``Result.at_load(idle=)``, each part's ``idle:`` block (:mod:`cimsim.report.idle`).

The architecture: ROUND_ARCH's processor (1 W static) with ``idle`` sleep 0.1 W, gated 0.01 W,
wake 1 uJ / 2 us; a CIM of 0.5 W static, no sleep state, gated at the default 0 W, wake
4 uJ / 3 us; DRAM (the backing store) 0.2 W static, self-refresh 0.05 W, wake 1 us; the SRAM
level and the link 0 W. So P_static = 1.7 W and between runs

- sleep: 0.1 (processor) + 0.5 (CIM stays on) + 0.05 (DRAM) = 0.65 W; wake 1 uJ, max(2, 1) us
- gate:  0.01 + 0 + 0.05 (DRAM sleeps: it holds the model) = 0.06 W; wake 1 + 4 uJ,
  max(2, 3, 1) us, and an SRAM CIM its weights' programming energy and time on top.
"""

from __future__ import annotations

import copy
import json
import math

import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.cli import main
from cimsim.config import load_architecture, save_architecture
from cimsim.errors import CimsimError
from cimsim.report import columns as C
from cimsim.workload.io import save_workload
from conftest import ROUND_CIM, ROUND_LINK, gemv_workload, make_arch

P_STATIC = 1.0 + 0.5 + 0.2
P_SLEEP = 0.1 + 0.5 + 0.05
P_GATE = 0.01 + 0.0 + 0.05
T = 1e-3


def _arch(tech: str, **cim_idle):
    from conftest import ROUND_ARCH

    c = copy.deepcopy(ROUND_CIM)
    c.update(technology=tech, static_power="0.5 W",
             idle={"wake_energy": "4 uJ", "wake_latency": "3 us", **cim_idle})
    if tech == "sram":
        c["bits_per_cell"] = 1
    proc = copy.deepcopy(ROUND_ARCH["processor"])
    proc["idle"] = {"sleep_power": "0.1 W", "gated_power": "0.01 W", "wake_energy": "1 uJ",
                    "wake_latency": "2 us"}
    mem = copy.deepcopy(ROUND_ARCH["memory"])
    mem["dram"].update(static_power="0.2 W", idle={"sleep_power": "0.05 W", "wake_latency": "1 us"})
    return make_arch(name=f"idle-{tech}", cim=c, processor=proc, memory=mem,
                     interconnect=dict(ROUND_LINK))


@pytest.fixture(scope="module")
def runs():
    wl = gemv_workload(128, 128, dtype="int8")
    return {t: simulate(_arch(t), wl) for t in ("rram", "sram")}


def _e_dyn(r):
    return r.energy_j - P_STATIC * r.latency_s


def test_on_is_the_default_and_unchanged(runs):
    r = runs["rram"]
    assert r.static_power_w == pytest.approx(P_STATIC, rel=1e-12, abs=0)
    on, default = r.at_load(T, idle="on").record(), r.at_load(T).record()
    assert on[C.PERIOD_ENERGY_J] == default[C.PERIOD_ENERGY_J]
    assert on[C.PERIOD_ENERGY_J] == pytest.approx(_e_dyn(r) + P_STATIC * T, rel=1e-12, abs=0)
    assert (on[C.PERIOD_IDLE], on[C.PERIOD_WAKE_ENERGY_J], on[C.PERIOD_WAKE_S]) == ("on", 0.0, 0.0)
    assert on[C.PERIOD_IDLE_POWER_W] == pytest.approx(P_STATIC, rel=1e-12, abs=0)


def test_sleep_follows_the_closed_form(runs):
    r = runs["rram"]
    f = r.at_load(T, idle="sleep").record()
    busy = 2e-6 + r.latency_s  # the longest wake-up (the processor's), then the run
    assert f[C.PERIOD_IDLE_POWER_W] == pytest.approx(P_SLEEP, rel=1e-12, abs=0)
    assert f[C.PERIOD_WAKE_ENERGY_J] == pytest.approx(1e-6, rel=1e-12, abs=0)
    assert f[C.PERIOD_WAKE_S] == pytest.approx(2e-6, rel=1e-12, abs=0)
    # period energy = busy-window energy + idle power x (period - busy) + wake energy
    e = _e_dyn(r) + P_STATIC * busy + P_SLEEP * (T - busy) + 1e-6
    assert f[C.PERIOD_ENERGY_J] == pytest.approx(e, rel=1e-12, abs=0)
    assert f[C.PERIOD_AVERAGE_POWER_W] == pytest.approx(e / T, rel=1e-12, abs=0)
    assert f[C.PERIOD_UTILIZATION] == pytest.approx(busy / T, rel=1e-12, abs=0)
    notes = r.at_load(T, idle="sleep").notes
    assert any(n.startswith("idle sleep: cim states no idle.sleep_power") for n in notes)


def test_gate_pays_programming_for_sram_cim_each_period_not_rram(runs):
    rram, sram = (runs[t].at_load(T, idle="gate") for t in ("rram", "sram"))
    assert sram.programming_time_s > 0 and sram.programming_energy_j > 0
    # resistive cells keep their weights: only the parts' wake-ups (1 + 4 uJ; max 3 us)
    assert rram.period_wake_energy_j == pytest.approx(5e-6, rel=1e-12, abs=0)
    assert rram.period_wake_s == pytest.approx(3e-6, rel=1e-12, abs=0)
    # SRAM cells lost theirs: the whole programming again, each period
    assert sram.period_wake_energy_j == pytest.approx(5e-6 + sram.programming_energy_j, rel=1e-12, abs=0)
    assert sram.period_wake_s == pytest.approx(3e-6 + sram.programming_time_s, rel=1e-12, abs=0)
    for r in (rram, sram):
        busy = r.period_wake_s + r.latency_s
        assert r.period_idle_power_w == pytest.approx(P_GATE, rel=1e-12, abs=0)
        e = _e_dyn(r) + P_STATIC * busy + P_GATE * (T - busy) + r.period_wake_energy_j
        assert r.period_energy_j == pytest.approx(e, rel=1e-12, abs=0)


def test_gated_programming_must_fit_the_period_and_counts_in_the_deadline(runs):
    r = runs["sram"]
    wake = 3e-6 + r.programming_time_s
    short = r.latency_s + 0.5 * wake  # keeps the run, not the wake-up and the run
    r.at_load(short)  # on: accepted
    with pytest.raises(CimsimError, match=r"is shorter than waking .* and one run of gemv"):
        r.at_load(short, idle="gate")
    loose = r.at_load(short, idle="gate", strict=False)
    assert math.isnan(loose.period_energy_j) and loose.period_idle == "gate"
    assert any("period_wake_s" in n for n in loose.notes)
    d = r.latency_s + 0.5 * wake
    on, gated = r.at_load(deadline_s=d), r.at_load(deadline_s=d, idle="gate")
    assert on.meets_deadline and not gated.meets_deadline
    assert gated.deadline_slack_s == pytest.approx(d - wake - r.latency_s, rel=1e-9, abs=0)
    assert gated.deadline_response_s == pytest.approx(wake + r.latency_s, rel=1e-12, abs=0)
    with pytest.raises(CimsimError, match="give a period"):
        r.at_load(idle="gate")
    with pytest.raises(CimsimError, match="must be one of on, sleep, gate"):
        r.at_load(T, idle="off")


def test_a_sleep_power_above_static_is_refused():
    # where the config loads, whatever --idle is asked for later (review 22 A 1)
    with pytest.raises(CimsimError, match=r"cim.idle.sleep_power: 1 W is above cim's static power 500 mW"):
        _arch("rram", sleep_power="1 W")


def test_set_starts_an_idle_block_on_a_bundled_config():
    a = load_architecture("sram-cim", overrides={"cim.idle.sleep_power": "1 mW",
                                                 "memory.dram.idle.wake_latency": "1 us"})
    assert a.components["cim"].idle.sleep_power == pytest.approx(1e-3, rel=1e-12, abs=0)
    assert a.memory["dram"].idle.wake_latency == pytest.approx(1e-6, rel=1e-12, abs=0)


def test_cli_idle(tmp_path):
    save_architecture(_arch("sram"), tmp_path / "a.yaml")
    save_workload(gemv_workload(64, 64, dtype="int8"), tmp_path / "w.json")
    cli = CliRunner()
    args = ["run", str(tmp_path / "a.yaml"), str(tmp_path / "w.json")]
    bad = cli.invoke(main, [*args, "--idle", "gate"])
    assert bad.exit_code != 0 and "give --period" in bad.output and "Traceback" not in bad.output
    out = cli.invoke(main, [*args, "--period", "1ms", "--idle", "gate"])
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())  # lines wrap at the terminal's width
    assert "between runs gate: idle power 60 mW" in text
    assert "re-programming the weights gating lost" in text
    js = json.loads(cli.invoke(main, [*args, "--period", "1ms", "--idle", "sleep", "--json"]).output)
    assert js[C.PERIOD_IDLE] == "sleep"
    assert js[C.PERIOD_IDLE_POWER_W] == pytest.approx(P_SLEEP, rel=1e-12, abs=0)


@pytest.mark.parametrize("config, sets", [("rram-cim", {"cim.arrays": 8452}), ("hbm-pim", {})])
def test_a_gated_idle_power_of_0_w_is_0_w_not_a_rounding_residue(config, sets):
    """Every part of rram-cim and hbm-pim is gated at the default 0 W or at 0 W static (DRAM), so
    the power between runs is 0 W exactly; their static powers (46.68883 W, 105 W) are sums of
    non-dyadic parts whose difference from the saved power left -7.105 fW and 14.21 fW
    (review 22 B 6). The ``at the period`` and ``between runs`` lines agree."""
    from cimsim.bundled import resolve_workload
    from cimsim.report.load import load_rows
    from cimsim.workload.io import load_workload

    r = simulate(load_architecture(config, sets), load_workload(resolve_workload("lstm")))
    a = r.at_load(period_s=1.0, idle="gate")
    assert a.period_idle_power_w == 0.0
    rows = dict(load_rows(a, False))
    assert "(idle 0 W between runs)" in rows["at the period"], rows
    assert rows["between runs"].startswith("gate: idle power 0 W ("), rows


def test_a_models_deadline_counts_the_wake_up_the_runs_does():
    # final read 22-2 2: `--deadline 100ms,kws=1.5ms --idle gate` met kws by 241.5 us against its
    # completion alone, while the run's deadline counted the 410.3 us wake-up first. A model answers
    # after the same wake-up: slack = deadline - (wake + its completion time)
    from cimsim.report.models import model_rows, with_deadlines
    from cimsim.workload.merge import merge_workloads

    wl = merge_workloads({"a": gemv_workload(128, 128, dtype="int8", name="a"),
                          "b": gemv_workload(64, 64, dtype="int8", name="b")})
    rram, sram = (simulate(_arch(t), wl) for t in ("rram", "sram"))
    a = rram.models["a"]["latency_s"]
    t = a + 1e-6  # 1 us after model a's completion time
    on = with_deadlines(rram.at_load(deadline_s=1.0), [("a", t)]).models["a"]
    assert on["meets_deadline"] and on["deadline_slack_s"] == pytest.approx(1e-6, rel=1e-9, abs=0)
    for mode, wake in (("sleep", 2e-6), ("gate", 3e-6)):  # the processor's 2 us; gated, the CIM's 3 us
        r = with_deadlines(rram.at_load(deadline_s=1.0, idle=mode), [("a", t)])
        m = r.models["a"]
        assert not m["meets_deadline"]
        assert m["deadline_slack_s"] == pytest.approx(1e-6 - wake, rel=1e-9, abs=0)
        assert m["deadline_response_s"] == pytest.approx(wake + a, rel=1e-12, abs=0)
        assert f"MISSED, slack -{round((wake - 1e-6) * 1e6)} µs (waking {round(wake * 1e6)} µs first, " \
               f"--idle {mode})" in dict(model_rows(r))["model a"]
    # the first call after power-up: the longest wake-up (the CIM's 3 us), the SRAM weights'
    # re-programming, then the model, as power_up_deadline_slack_s does for the run
    s = sram.models["a"]["latency_s"]
    prog = sram.power_up_programming_s
    assert prog > 0
    r = with_deadlines(sram.at_load(deadline_s=1.0), [("a", s + 1e-6)])
    m = r.models["a"]
    assert m["meets_deadline"]
    assert m["power_up_deadline_slack_s"] == pytest.approx(1e-6 - 3e-6 - prog, rel=1e-9, abs=0)
    assert "the first call after power-up" in dict(model_rows(r))["model a"]


def _p0_by_simulation(s, w, gap, n=200_000, seed=5):
    """The share of Poisson requests finding a gated FIFO server idle (it wakes for ``w`` first)
    and the share of time it is awake, by simulating ``n`` of them."""
    import numpy as np

    t = np.cumsum(np.random.default_rng(seed).exponential(gap, n))
    free, idle_found, awake = 0.0, 0, 0.0
    for a in t.tolist():
        if a >= free:
            idle_found += 1
            free, awake = a + w + s, awake + w + s
        else:
            free, awake = free + s, awake + s
    return idle_found / n, awake / free


def test_poisson_arrivals_wake_only_the_requests_that_find_it_idle(runs):
    """final read 23-2 F2 2, F2 3: run S = 0.9228 us, wake w = 3 us (the CIM's, gate), mean gap
    T = 2 us. Before, wake + S = 3.92 us > T was refused as too slow, and every arrival was
    charged a wake. M/G/1 with a setup time: a cycle is an idle gap (mean T: by memorylessness)
    then a busy period started by w + S of work, mean (w + S) / (1 - rho) (rho = S / T), so the
    server is idle T / (T + (w + S) / (1 - rho)) = (1 - rho) / (1 + w / T) = P0 of the time and,
    by PASTA, P0 of the requests find it so and wake it: one wake-up per cycle. rho = 0.4614,
    P0 = 0.5386 / 2.5 = 0.2154; awake S + P0 w = 0.9228 + 0.6463 = 1.569 us a request (78.5 %);
    a period's energy E_dyn + P_s (S + P0 w) + P_gate (T - S - P0 w) + P0 x 5 uJ. Stable while
    S < T (rho < 1); periodic arrivals each find it idle: still refused."""
    r = simulate(_arch("rram"), gemv_workload(128, 128, dtype="int8"))
    s, w, gap = r.latency_s, 3e-6, 2e-6
    with pytest.raises(CimsimError, match="waking"):
        r.at_load(gap, idle="gate", arrivals="periodic")
    f = r.at_load(gap, idle="gate", arrivals="poisson").record()
    rho = s / gap
    p0 = (1 - rho) / (1 + w / gap)
    assert p0 == pytest.approx(0.2154, rel=1e-3, abs=0)
    awake = s + p0 * w
    assert f[C.PERIOD_UTILIZATION] == pytest.approx(awake / gap, rel=1e-12, abs=0)
    energy = _e_dyn(r) + P_STATIC * awake + P_GATE * (gap - awake) + p0 * 5e-6
    assert f[C.PERIOD_ENERGY_J] == pytest.approx(energy, rel=1e-12, abs=0)
    found, busy = _p0_by_simulation(s, w, gap)
    assert found == pytest.approx(p0, rel=0, abs=0.005)
    assert busy == pytest.approx(awake / gap, rel=0, abs=0.005)
    with pytest.raises(CimsimError, match="only a request that finds it idle"):
        r.at_load(0.9 * s, idle="gate", arrivals="poisson")
    # the harvest rate whose average power is the harvest: the period figures at its gap agree
    q = r.at_load(gap, idle="gate", arrivals="poisson", harvest_w=1.0).harvest_runs_per_s
    at_q = r.at_load(1 / q, idle="gate", arrivals="poisson").record()
    assert at_q[C.PERIOD_AVERAGE_POWER_W] == pytest.approx(1.0, rel=1e-9, abs=0)
    every = r.at_load(10 * gap, idle="gate", harvest_w=1.0).harvest_runs_per_s  # a wake-up a run
    assert q > every


def test_run_and_compare_agree_on_a_poisson_period_shorter_than_wake_and_run(tmp_path):
    """final read 23-2 F2 2: `run` refused (wake + run > period) what `compare` answered with
    'too slow' beside a finite queue; now both answer (gap 2 us > S 0.9228 us)."""
    cfg, wl = tmp_path / "a.yaml", tmp_path / "w.json"
    save_architecture(_arch("rram"), cfg)
    save_workload(gemv_workload(128, 128, dtype="int8"), wl)
    load = ["--period", "2us", "--deadline", "20us", "--idle", "gate", "--arrivals", "poisson"]
    ran = CliRunner().invoke(main, ["run", str(cfg), str(wl), *load])
    assert ran.exit_code == 0, ran.output
    assert "wake-up for 21.5 % of the requests" in " ".join(ran.output.split())
    cmp = CliRunner().invoke(main, ["compare", str(cfg), "-w", str(wl), *load])
    assert cmp.exit_code == 0, cmp.output
    assert "too slow" not in cmp.output and "MISSED" not in cmp.output
