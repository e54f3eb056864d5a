"""A run at a stated load (find-R 1, find-C 1), its deadline check (find-R 4) and the first call
after power-up (find-R 3): :mod:`cimsim.report.load`, ``run`` / ``compare --period --deadline``."""

from __future__ import annotations

import copy
import json
import math
import pickle
import re

import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.cli import main
from cimsim.config import save_architecture
from cimsim.errors import CimsimError
from cimsim.report import columns as C
from cimsim.report.format import si
from cimsim.report.load import period_of
from cimsim.workload.io import save_workload
from cimsim.config import architecture_from_dict
from cimsim.workload import Op, Tensor, Workload
from conftest import ROUND_CIM, ROUND_LINK, gemv_workload, make_arch, tiny_chip

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
    with pytest.raises(CimsimError, match=re.escape(
            f"is shorter than one run of gemv on round-rram: {si(r.latency_s, 's')} (1 sample)")):
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


def _suggested(text: str) -> tuple[str, str, str, str]:
    """The refused period, the latency, the highest rate and the shortest period an error
    names (``--period 1.036 ms (965.25 Hz) is shorter ...: 1.0363 ms (...) ... at most 964.96
    Hz (...); give a period of at least 1.0364 ms``)."""
    m = re.search(r"period (\S+ \S+) \(.*?: (\S+ \S+) .*at most (\S+ \S*Hz) \(.*at least (\S+ \S+)$", text)
    assert m, text
    return m.groups()


@pytest.mark.parametrize("under", [1e-5, 1e-7, 0.3])
def test_the_suggested_period_and_rate_are_accepted_fed_back(runs, under):
    """find-R A 3: a period just under the latency was refused with a minimum, and a maximum
    rate, each rounded to the nearest 4 digits: both refused again, and "1.036 ms is shorter
    than 1.036 ms". Now they are rounded outward, with the digits that tell them apart."""
    r = runs["rram"]
    with pytest.raises(CimsimError) as e:
        r.at_load(period_s=r.latency_s * (1 - under))
    period, latency, rate, shortest = _suggested(str(e.value))
    assert period != latency  # never "x is shorter than x"
    for given in (shortest, rate):  # each accepted as --period would read it
        at = r.at_load(period_s=period_of(given))
        assert at.period_utilization <= 1.0
    assert period_of(shortest) >= r.latency_s and 1.0 / period_of(rate) <= 1.0 / r.latency_s


def _chip_dict() -> dict:
    """conftest.tiny_chip with one 8-bit chip bus at 100 MHz shared by every layer."""
    bus = {"type": "bus", "width_bits": 8, "clock": "100 MHz", "energy_per_bit_per_hop": "0 pJ/bit"}
    return tiny_chip("serial", {"interconnect": bus}, "stream-chip")


def test_a_layer_pipelined_chip_keeps_a_period_down_to_its_interval():
    """find-R A 4: one sample through two 64 x 64 layers of a layer-pipelined chip. Its bus
    carries 2 x (64 B in + 64 B out) = 256 cycles of 10 ns a sample: the interval, 2.56 us,
    shorter than the sample's latency (each layer waits for its transfers). A period between
    the two was refused, with a maximum rate of 1 / latency; one run every T >= interval is the
    steady state: E(T) = E_dyn + P_static x T, utilization interval / T."""
    x = [Tensor("x0", (1, 64), "int8", "input"), Tensor("x1", (1, 64), "int8", "activation"),
         Tensor("x2", (1, 64), "int8", "activation")]
    w = [Tensor(f"w{j}", (64, 64), "int8", "weight") for j in range(2)]
    ops = [Op(f"l{j}", "matmul", (f"x{j}", f"w{j}"), (f"x{j + 1}",), m=1, k=64, n=64, weight=f"w{j}")
           for j in range(2)]
    r = simulate(architecture_from_dict(_chip_dict()), Workload("two", x + w, ops))
    interval = 256 * 10e-9
    assert r.facts[C.PIPELINE_INTERVAL_S] == pytest.approx(interval, rel=1e-6, abs=0)
    assert r.latency_s > 3e-6  # the period below is inside the latency
    at = r.at_load(period_s=3e-6)
    dyn = r.energy_j - r.energy_breakdown_j.get(C.STATIC, 0.0)
    assert at.period_energy_j == pytest.approx(dyn + r.static_power_w * 3e-6, rel=1e-9, abs=1e-18)
    assert at.period_utilization == pytest.approx(interval / 3e-6, rel=1e-6, abs=0)
    with pytest.raises(CimsimError, match="layer pipeline's steady state") as e:
        r.at_load(period_s=2e-6)
    _, _, rate, shortest = _suggested(str(e.value))
    assert period_of(shortest) == pytest.approx(interval, rel=1e-3, abs=0)
    r.at_load(period_s=period_of(shortest))  # accepted fed back
    r.at_load(period_s=period_of(rate))


def test_compare_keeps_a_config_too_slow_for_the_period_as_nan(tmp_path, round_arch):
    """find-R A 7: one config slower than the period aborted the whole compare; now its period
    columns are NaN with a note and a ``too slow`` cell, the other's are computed. With
    ``--baseline`` the energy ratio at the period is (E_dyn + P T) over the baseline's
    (find-R A 2), beside the full-load ratio energy_j / baseline energy_j."""
    import pandas as pd

    from cimsim import studies

    slow, fast = round_arch, _cim("rram")
    wl = gemv_workload(128, 128, dtype="int8")
    rs, rf = simulate(slow, wl), simulate(fast, wl)
    assert rf.latency_s < rs.latency_s
    T = (rf.latency_s + rs.latency_s) / 2
    runs_, df = studies.compare([slow, fast], [wl], period_s=T)
    by = dict(zip(df[C.ARCHITECTURE], df[C.PERIOD_AVERAGE_POWER_W]))
    assert math.isnan(by[slow.name])
    dyn = rf.energy_j - rf.energy_breakdown_j[C.STATIC]
    assert by[fast.name] == pytest.approx((dyn + P_STATIC * T) / T, rel=1e-9, abs=0)
    assert any("is shorter than one run" in n for n in runs_[0].result.notes)
    for a in (slow, fast):
        save_architecture(a, tmp_path / f"{a.name}.yaml")
    save_workload(wl, tmp_path / "w.json")
    csv = tmp_path / "c.csv"
    out = CliRunner(env={"COLUMNS": "250"}).invoke(main, [
        "compare", str(tmp_path / f"{slow.name}.yaml"), str(tmp_path / f"{fast.name}.yaml"),
        "-w", str(tmp_path / "w.json"), "--period", f"{T * 1e9:.6f}ns", "--baseline", fast.name,
        "-o", str(csv)])
    assert out.exit_code == 0, out.output
    assert f"too slow ({si(rs.latency_s, 's')})" in out.output and "energy ratio at period" in out.output
    d = pd.read_csv(csv).set_index(C.ARCHITECTURE)
    assert math.isnan(d.loc[slow.name, C.PERIOD_ENERGY_RATIO])
    assert d.loc[fast.name, C.PERIOD_ENERGY_RATIO] == pytest.approx(1.0, rel=1e-12, abs=0)
    assert d.loc[slow.name, C.ENERGY_RATIO] == pytest.approx(rs.energy_j / rf.energy_j, rel=1e-9, abs=0)
    # rram against sram at 1 ms: (E_dyn + 1 W x 1 ms) / (E_dyn' + 1 W x 1 ms)
    from cimsim.report.baseline import period_energy_ratios

    both = [simulate(_cim(t), wl).at_load(period_s=1e-3) for t in ("rram", "sram")]
    e = [b.energy_j - b.energy_breakdown_j[C.STATIC] + P_STATIC * 1e-3 for b in both]
    got = period_energy_ratios(both, "round-sram")
    assert got[("gemv", "round-rram")] == pytest.approx(e[0] / e[1], rel=1e-9, abs=0)


def test_a_second_at_load_replaces_the_first(runs):
    """Final read 21-2: a too-short period's note stayed after a second call with a valid period,
    and each call replaces the load (a period-only call has no deadline columns)."""
    r = runs["rram"]
    short = r.at_load(period_s=r.latency_s / 2, strict=False)
    assert any(n.endswith(": its period columns are NaN") for n in short.notes)
    assert math.isnan(short.record()[C.PERIOD_ENERGY_J])
    ok = short.at_load(period_s=1e-3)
    assert not any(n.endswith(": its period columns are NaN") for n in ok.notes)
    assert ok.record()[C.PERIOD_ENERGY_J] == pytest.approx(r.energy_j - P_STATIC * r.latency_s + 1e-3,
                                                           rel=1e-12, abs=0)
    both = r.at_load(period_s=1e-3, deadline_s=1e-3)
    assert C.DEADLINE_S in both.record() and C.DEADLINE_S not in both.at_load(period_s=1e-3).record()
