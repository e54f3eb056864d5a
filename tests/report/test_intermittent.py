"""Intermittent computing at a load (find-H): the first call after power-up's energy and its
deadline, ``--harvest``, ``--storage``, a memory level's ``volatile`` flag under ``--idle gate``,
the wear-out at a period, ``--period 10min / 1h / 1d`` and the duty cycle's digits.

The architecture is test_idle's: P_static = 1 W (processor) + 0.5 W (CIM) + 0.2 W (DRAM) =
1.7 W; gated, 0.01 W (processor) + 0 W (CIM) + 0.05 W (DRAM asleep: it holds the model) =
0.06 W between runs, wake-ups 1 + 4 uJ and max(2, 3, 1) us; an SRAM CIM loses its weights.
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
from cimsim.report.intermittent import duration, duty
from cimsim.report.load import period_of
from cimsim.units import UnitError, parse_quantity
from cimsim.workload.io import save_workload
from conftest import ROUND_CIM, ROUND_LINK, gemv_workload, make_arch
from report.test_idle import P_GATE, P_STATIC, _arch, _e_dyn, runs  # noqa: F401 - runs: the fixture

WAKE_J, WAKE_S = 5e-6, 3e-6


def test_power_up_energy_is_dynamic_plus_volatile_programming_plus_static_over_power_up(runs):
    sram, rram = runs["sram"], runs["rram"]
    prog_s, prog_j = sram.programming_time_s, sram.programming_energy_j
    assert prog_s > 0 and prog_j > 0
    assert sram.power_up_latency_s == pytest.approx(sram.latency_s + prog_s, rel=1e-12, abs=0)
    # E_dyn + the programming energy + P_static x power_up_latency_s
    want = _e_dyn(sram) + prog_j + P_STATIC * (sram.latency_s + prog_s)
    assert sram.power_up_energy_j == pytest.approx(want, rel=1e-12, abs=0)
    assert sram.record()[C.POWER_UP_ENERGY_J] == pytest.approx(want, rel=1e-12, abs=0)
    # resistive cells keep their weights: the first call is an ordinary one
    assert rram.power_up_energy_j == rram.energy_j


def test_a_deadline_the_first_call_after_power_up_misses(runs, tmp_path):
    r = runs["sram"]
    d = r.latency_s + 0.5 * r.programming_time_s
    out = r.at_load(deadline_s=d)
    assert out.meets_deadline
    # a start from power-off also waits for the slowest part's wake-up, the CIM's 3 us (review 22 F 3)
    assert out.power_up_deadline_slack_s == pytest.approx(-0.5 * r.programming_time_s - WAKE_S, rel=1e-9, abs=0)
    save_architecture(_arch("sram"), tmp_path / "a.yaml")
    save_workload(gemv_workload(128, 128, dtype="int8"), tmp_path / "w.json")
    text = " ".join(CliRunner().invoke(main, ["run", str(tmp_path / "a.yaml"), str(tmp_path / "w.json"),
                                              "--deadline", f"{d * 1e6:.6f}us"]).output.split())
    assert "deadline" in text and ": met," in text
    assert "after power-up the first call" in text and "MISSES it by" in text
    assert "power_up_energy_j" in text  # the first call line gives the energy too


def test_harvest_rate_on_and_gated(runs):
    r = runs["sram"]
    e_dyn, t, prog_s, prog_j = _e_dyn(r), r.latency_s, r.programming_time_s, r.programming_energy_j
    p = P_STATIC + 0.1 * e_dyn / t  # a tenth of the full rate's dynamic power
    on = r.at_load(harvest_w=p)
    assert on.harvest_runs_per_s == pytest.approx((p - P_STATIC) / e_dyn, rel=1e-9, abs=0)
    assert on.harvest_runs_per_s == pytest.approx(0.1 / t, rel=1e-9, abs=0)
    assert on.harvest_period_s == pytest.approx(e_dyn / (p - P_STATIC), rel=1e-9, abs=0)
    # gated: P x T = E_b + P_i (T - B), B = wake + programming + run
    b = WAKE_S + prog_s + t
    e_b = e_dyn + P_STATIC * b + WAKE_J + prog_j
    p = P_GATE + 0.1 * (e_b - P_GATE * b) / b
    q = (p - P_GATE) / (e_b - P_GATE * b)
    assert q == pytest.approx(0.1 / b, rel=1e-12, abs=0)
    gated = r.at_load(harvest_w=p, idle="gate")
    assert gated.harvest_runs_per_s == pytest.approx(q, rel=1e-9, abs=0)
    # the gated period at that rate costs exactly the harvested energy
    at_q = r.at_load(1.0 / q, idle="gate")
    assert at_q.period_average_power_w == pytest.approx(p, rel=1e-9, abs=0)
    # below the idle power nothing is sustained; far above, one run every shortest period
    assert r.at_load(harvest_w=1.0).harvest_runs_per_s == 0.0
    assert math.isnan(r.at_load(harvest_w=1.0).harvest_period_s)
    assert r.at_load(harvest_w=1e6, idle="gate").harvest_runs_per_s == pytest.approx(1.0 / b, rel=1e-9, abs=0)


def test_storage_fits_or_counts_charges(runs):
    r = runs["sram"]
    e_on = r.power_up_energy_j  # --idle on: the first call after power-up
    fits = r.at_load(storage_j=2.5 * e_on)
    assert fits.storage_run_energy_j == pytest.approx(e_on, rel=1e-12, abs=0)
    assert (fits.storage_runs, fits.storage_charges_per_run) == (2, 1)
    short = r.at_load(storage_j=0.4 * e_on)
    assert (short.storage_runs, short.storage_charges_per_run) == (0, 3)
    b = WAKE_S + r.programming_time_s + r.latency_s  # gated: the parts' wake-ups too
    e_gate = _e_dyn(r) + P_STATIC * b + WAKE_J + r.programming_energy_j
    assert r.at_load(storage_j=1.0, idle="gate").storage_run_energy_j == pytest.approx(e_gate, rel=1e-9, abs=0)
    with pytest.raises(CimsimError, match="storage"):
        r.at_load(storage_j=-1.0)


def test_a_non_volatile_backing_store_is_gated_a_volatile_one_sleeps(tmp_path):
    wl = gemv_workload(64, 64, dtype="int8")
    vol = simulate(_arch("rram"), wl).at_load(1e-3, idle="gate")
    assert vol.period_idle_power_w == pytest.approx(P_GATE, rel=1e-12, abs=0)  # DRAM asleep, 0.05 W
    assert any(n.startswith("idle gate: dram holds the model") for n in vol.notes)
    save_architecture(_arch("rram"), tmp_path / "a.yaml")
    a = load_architecture(tmp_path / "a.yaml", overrides={"memory.dram.volatile": False})
    assert a.memory["dram"].volatile is False
    nv = simulate(a, wl).at_load(1e-3, idle="gate")
    assert nv.period_idle_power_w == pytest.approx(0.01, rel=1e-12, abs=0)  # DRAM gated at 0 W
    assert not any(n.startswith("idle gate: dram holds") for n in nv.notes)


def test_wearout_at_a_period():
    c = copy.deepcopy(ROUND_CIM)
    c["arrays"] = 1  # a 128 x 64 int8 matrix needs 2 arrays: each run writes every cell twice
    r = simulate(make_arch(name="wear", cim=c, interconnect=dict(ROUND_LINK)),
                 gemv_workload(128, 64, dtype="int8"))
    runs = 1e8 / 2  # endurance / writes a run
    out = r.at_load(1.0)
    assert out.period_wearout_s == pytest.approx(runs * 1.0, rel=1e-12, abs=0)
    assert out.period_wearout_levelled_s == pytest.approx(runs * 1.0, rel=1e-12, abs=0)
    assert duration(runs) == "1.584 years"  # 5e7 s / (365.25 x 86,400 s)
    assert math.isnan(simulate(_arch("rram"), gemv_workload(64, 64, dtype="int8")).at_load(1.0).period_wearout_s)


def test_clock_units_where_a_time_is_expected():
    assert parse_quantity("10min", "s") == 600.0
    assert parse_quantity("1 h", "s") == 3600.0
    assert parse_quantity("1d", "ms") == 86_400_000.0
    assert period_of("10min") == 600.0
    with pytest.raises(UnitError):
        parse_quantity("1h", "W")
    with pytest.raises(UnitError):
        parse_quantity("1 J/h", "W")


def test_duty_cycle_has_significant_digits():
    assert duty(22.21e-6 / 1.0) == "0.00222 %"  # find-H 5: it read "<0.1 %"
    assert duty(4.02e-3 / 86400) == "0.00000465 %"  # 4.02 ms a day: it read 4.65e-06 % (review 22 F 7)
    assert duty(6.7e-3 / 600) == "0.00112 %" and duty(4.02e-3 / 600) == "0.000670 %"  # 3 digits, not 0.00067
    assert duty(0.5) == "50.0 %"


def test_cli_harvest_storage_and_long_periods(tmp_path):
    save_architecture(_arch("sram"), tmp_path / "a.yaml")
    save_workload(gemv_workload(64, 64, dtype="int8"), tmp_path / "w.json")
    args = ["run", str(tmp_path / "a.yaml"), str(tmp_path / "w.json")]
    cli = CliRunner()
    out = cli.invoke(main, [*args, "--period", "1h", "--harvest", "2W", "--storage", "1mJ", "--idle", "gate"])
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "one run every 3.6 ks (1 h," in text
    assert "harvest 2 W sustains at most" in text and "--idle on:" in text
    assert "storage 1 mJ stored" in text
    js = json.loads(cli.invoke(main, [*args, "--harvest", "2W", "--json"]).output)
    assert js[C.HARVEST_POWER_W] == 2.0 and js[C.PERIOD_IDLE] == "on"
    bad = cli.invoke(main, [*args, "--harvest", "2J"])
    assert bad.exit_code != 0 and "--harvest '2J'" in bad.output and "Traceback" not in bad.output
