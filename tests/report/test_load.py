"""A run at a stated load (find-R 1, find-C 1), its deadline check (find-R 4) and the first call
after power-up (find-R 3): :mod:`cimsim.report.load`, ``run`` / ``compare --period --deadline``."""

from __future__ import annotations

import copy
import json
import math
import pickle

import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.cli import main
from cimsim.config import save_architecture
from cimsim.errors import CimsimError
from cimsim.report import columns as C
from cimsim.report.load import period_of
from cimsim.workload.io import save_workload
from conftest import ROUND_CIM, ROUND_LINK, gemv_workload, make_arch

#: ROUND_ARCH's processor states 1 W of static power; ROUND_CIM 0 W
P_STATIC = 1.0


def _cim(tech: str):
    c = copy.deepcopy(ROUND_CIM)
    c["technology"] = tech
    if tech == "sram":
        c["bits_per_cell"] = 1
    return make_arch(name=f"round-{tech}", cim=c, interconnect=dict(ROUND_LINK))


@pytest.fixture(scope="module")
def runs():
    wl = gemv_workload(128, 128, dtype="int8")
    return {t: simulate(_cim(t), wl) for t in ("rram", "sram")}


def test_static_power_and_dynamic_energy_per_sample(runs):
    r = runs["rram"]
    assert r.static_power_w == pytest.approx(P_STATIC, rel=1e-12, abs=0)
    assert r.record()[C.STATIC_POWER_W] == pytest.approx(P_STATIC, rel=1e-12, abs=0)
    # one sample: the run's energy less 1 W x its latency
    assert r.dynamic_j_per_sample == pytest.approx(r.energy_j - P_STATIC * r.latency_s, rel=1e-12, abs=0)
    assert 0 < r.dynamic_j_per_sample < r.j_per_sample


def test_period_energy_and_power_follow_the_closed_form(runs):
    r = runs["rram"]
    e_dyn = r.energy_j - P_STATIC * r.latency_s
    at = r.at_load(period_s=1e-3)
    f = at.record()
    # E(T) = E_dyn + P_static x T; P = E(T) / T = 1 W + 1 kHz x E_dyn
    assert f[C.PERIOD_ENERGY_J] == pytest.approx(e_dyn + 1e-3, rel=1e-12, abs=0)
    assert f[C.PERIOD_AVERAGE_POWER_W] == pytest.approx(1.0 + 1e3 * e_dyn, rel=1e-12, abs=0)
    assert f[C.PERIOD_J_PER_SAMPLE] == pytest.approx(e_dyn + 1e-3, rel=1e-12, abs=0)
    assert f[C.PERIOD_UTILIZATION] == pytest.approx(r.latency_s / 1e-3, rel=1e-12, abs=0)
    # at T = latency the full-load figures come back
    full = r.at_load(period_s=r.latency_s)
    assert full.period_j_per_sample == pytest.approx(r.j_per_sample, rel=1e-12, abs=0)
    assert full.period_average_power_w == pytest.approx(r.average_power_w, rel=1e-12, abs=0)
    assert C.PERIOD_S not in r.facts  # at_load leaves the run as it was


def test_period_shorter_than_the_latency_is_refused(runs):
    r = runs["rram"]
    with pytest.raises(CimsimError, match="is shorter than one run of gemv on round-rram: 922.8 ns"):
        r.at_load(period_s=0.5 * r.latency_s)
    with pytest.raises(CimsimError, match="positive, finite"):
        r.at_load(deadline_s=-1.0)


def test_deadline_slack_and_verdict(runs):
    r = runs["rram"]
    met, missed = r.at_load(deadline_s=1e-6), r.at_load(deadline_s=0.5e-6)
    assert met.deadline_slack_s == pytest.approx(1e-6 - r.latency_s, rel=1e-12, abs=0)
    assert met.meets_deadline is True and missed.meets_deadline is False
    assert missed.deadline_slack_s == pytest.approx(0.5e-6 - r.latency_s, rel=1e-12, abs=0)


def test_power_up_latency_pays_programming_for_volatile_cells_only(runs):
    # one 128 x 128 int8 matrix: 16,384 B over the slower of the 100 GB/s link and the 10 GB/s
    # DRAM (1.6384 us), 128 rows x 1 us of writes, 10 ns + 100 ns latency: 129.7484 us
    prog = 128 * 1e-6 + 16384 / 10e9 + 110e-9
    for t in ("rram", "sram"):
        assert runs[t].programming_time_s == pytest.approx(prog, rel=1e-9, abs=0)
    assert runs["sram"].power_up_latency_s == pytest.approx(runs["sram"].latency_s + prog, rel=1e-9, abs=0)
    assert runs["rram"].power_up_latency_s == runs["rram"].latency_s  # non-volatile: kept


def test_columns_as_attributes_nan_where_absent(runs, round_arch):
    cpu = simulate(round_arch, gemv_workload(64, 64))
    assert math.isnan(cpu.programming_time_s)  # no weights programmed: NaN, not AttributeError
    assert cpu.power_up_latency_s == cpu.latency_s
    assert runs["sram"].j_per_sample == runs["sram"].facts[C.J_PER_SAMPLE]
    with pytest.raises(AttributeError, match="no_such_column"):
        cpu.no_such_column  # noqa: B018
    again = pickle.loads(pickle.dumps(runs["sram"]))
    assert again == runs["sram"] and again.power_up_latency_s == runs["sram"].power_up_latency_s


def test_period_parses_a_time_or_a_rate():
    assert period_of("1ms") == pytest.approx(1e-3, rel=1e-12, abs=0)
    assert period_of("1kHz") == pytest.approx(1e-3, rel=1e-12, abs=0)
    with pytest.raises(CimsimError, match="--deadline '1kHz'"):
        period_of("1kHz", "--deadline", rate_ok=False)
    with pytest.raises(CimsimError, match="give a period"):
        period_of("3")


def test_cli_run_and_compare(tmp_path):
    arch = _cim("sram")
    save_architecture(arch, tmp_path / "a.yaml")
    save_workload(gemv_workload(128, 128, dtype="int8"), tmp_path / "w.json")
    a, w = str(tmp_path / "a.yaml"), str(tmp_path / "w.json")
    cli = CliRunner()
    out = cli.invoke(main, ["run", a, w, "--period", "1kHz", "--deadline", "500ns", "--json"])
    assert out.exit_code == 0, out.output
    d = json.loads(out.output)
    assert d[C.PERIOD_S] == pytest.approx(1e-3, rel=1e-12, abs=0) and d[C.MEETS_DEADLINE] is False
    text = cli.invoke(main, ["run", a, w, "--period", "1ms", "--deadline", "1us"]).output
    assert "first call" in text and "at the period" in text and "deadline" in text and "met" in text
    bad = cli.invoke(main, ["run", a, w, "--period", "100ns"])
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    assert "--period 100 ns (10 MHz) is shorter than one run" in bad.output
    csv = tmp_path / "c.csv"
    out = cli.invoke(main, ["compare", a, "-w", w, "--period", "1ms", "-o", str(csv)])
    assert out.exit_code == 0, out.output
    import pandas as pd

    df = pd.read_csv(csv)
    assert df[C.PERIOD_AVERAGE_POWER_W].iloc[0] == pytest.approx(
        P_STATIC + 1e3 * df[C.DYNAMIC_J_PER_SAMPLE].iloc[0], rel=1e-9, abs=0)
