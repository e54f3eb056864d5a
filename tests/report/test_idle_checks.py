"""Review 22 A 1 - A 4 of ``--idle on|sleep|gate`` (:mod:`cimsim.report.idle`): an idle power
above the part's static power refused where the config loads (A 1), a mode under which no part
leaves on giving the on figures (A 2), a deadline's wake-up in the columns and compare's notes
(A 3), and the gate note of a CIM that re-programs its weights (A 4)."""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.cli import main
from cimsim.commands.load import Load, at_load
from cimsim.config import architecture_from_dict, load_architecture, save_architecture
from cimsim.errors import CimsimError, ConfigError
from cimsim.report import columns as C
from cimsim.report.format import si
from cimsim.workload import Op, Tensor, Workload
from cimsim.workload.io import save_workload
from conftest import ROUND_ARCH, ROUND_CIM, ROUND_LINK, gemv_workload, make_arch, tiny_chip


def _round(cim_idle=None, proc_idle=None, dram=None, link=None, tech="rram", name="idle-check"):
    """ROUND_ARCH (processor 1 W static) with a CIM of 0.5 W static and the idle blocks given."""
    c = copy.deepcopy(ROUND_CIM)
    c.update(technology=tech, static_power="0.5 W", idle=cim_idle or {})
    if tech == "sram":
        c["bits_per_cell"] = 1
    proc = copy.deepcopy(ROUND_ARCH["processor"])
    proc["idle"] = proc_idle or {}
    mem = copy.deepcopy(ROUND_ARCH["memory"])
    mem["dram"].update(dram or {})
    return make_arch(name=name, cim=c, processor=proc, memory=mem,
                     interconnect={**ROUND_LINK, **(link or {})})


# ---------------------------------------------------------------- A 1: refused where it loads

def test_an_idle_power_above_static_is_refused_when_the_config_loads():
    """The check ran only in ``figures``, after the run and never under ``--idle on``; now the
    loader refuses it naming the field, whatever mode is asked for later."""
    with pytest.raises(ConfigError, match=r"cim\.idle\.sleep_power: 1 W is above cim's static "
                                          r"power 500 mW: a sleep state draws less"):
        _round(cim_idle={"sleep_power": "1 W"})
    with pytest.raises(ConfigError, match=r"links\.interconnect\.idle\.gated_power: 1 mW is above "
                                          r"links\.interconnect's static power, which is not stated"):
        _round(link={"idle": {"gated_power": "1 mW"}})
    # DRAM self-refresh on a level that states no static power: say to state it too
    with pytest.raises(ConfigError) as e:
        _round(dram={"idle": {"sleep_power": "0.3 W"}})
    assert ("memory.dram.idle.sleep_power: 300 mW is above memory.dram's static power, which is "
            "not stated (0 W)") in str(e.value)
    assert "state memory.dram.static_power (its on power) too, at least 300 mW" in str(e.value)
    # stated, and at least the sleep power: accepted
    a = _round(dram={"static_power": "0.3 W", "idle": {"sleep_power": "0.3 W"}})
    assert float(a.memory["dram"].idle.sleep_power) == pytest.approx(0.3, rel=1e-12, abs=0)


def test_the_error_names_the_set_that_gave_the_idle_power(tmp_path):
    """rram-cim states cim.static_power 6.68883 W (configs/rram-cim.yaml): 100 W of sleep power
    is refused naming the ``--set``, one line, where the config loads."""
    with pytest.raises(ConfigError) as e:
        load_architecture("rram-cim", overrides={"cim.idle.sleep_power": "100W"}, cli=True)
    assert str(e.value).startswith("--set cim.idle.sleep_power=100W: cim.idle.sleep_power: 100 W "
                                   "is above cim's static power 6.689 W")
    save_workload(gemv_workload(64, 64, dtype="int8"), tmp_path / "w.json")
    out = CliRunner().invoke(main, ["run", "rram-cim", str(tmp_path / "w.json"), "--set",
                                    "cim.idle.sleep_power=100W"])
    assert out.exit_code != 0 and "Traceback" not in out.output
    assert "Error: --set cim.idle.sleep_power=100W: cim.idle.sleep_power: 100 W" in out.output
    assert "--'cim'" not in out.output


def test_only_the_options_own_errors_are_worded_as_the_option():
    """``commands.load.at_load`` wrote ``--`` before every error, so a config's error read
    ``--'cim': ...``; a period's still reads ``--period ...``. A Result whose parts carry a sleep
    power above static (built before the loader's check, pickled) meets the figures' check."""
    r = simulate(_round(proc_idle={"sleep_power": "0.1 W"}), gemv_workload(64, 64, dtype="int8"))
    with pytest.raises(CimsimError, match=r"^--period 1 ps \(1 THz\) is shorter than"):
        at_load(r, Load(1e-12, None, "sleep"))
    old = copy.copy(r)
    old.idle_parts = {**r.idle_parts, "processor": {**r.idle_parts["processor"], "sleep_w": 2.0}}
    with pytest.raises(CimsimError) as e:
        at_load(old, Load(1e-3, None, "sleep"))
    assert str(e.value).startswith("idle-check: processor.idle.sleep_power: 2 W is above "
                                   "processor's static power 1 W")


# ---------------------------------------------------------------- A 2: nothing leaves on

def _two_layers():
    x = [Tensor("x0", (1, 64), "int8", "input"), Tensor("x1", (1, 64), "int8", "activation"),
         Tensor("x2", (1, 64), "int8", "activation")]
    w = [Tensor(f"w{j}", (64, 64), "int8", "weight") for j in range(2)]
    ops = [Op(f"l{j}", "matmul", (f"x{j}", f"w{j}"), (f"x{j + 1}",), m=1, k=64, n=64, weight=f"w{j}")
           for j in range(2)]
    return Workload("two", x + w, ops)


def _chip(**cim):
    bus = {"type": "bus", "width_bits": 8, "clock": "100 MHz", "energy_per_bit_per_hop": "0 pJ/bit"}
    d = tiny_chip("serial", {"interconnect": bus}, "stream-chip")
    d["cim"].update(cim)
    return architecture_from_dict(d)


def test_sleep_with_no_sleep_state_is_the_on_case_on_a_layer_pipelined_chip():
    """tests/report/test_load.py's chip: interval 256 x 10 ns = 2.56 us, latency > 3 us. One run
    every 3 us overlaps in the layer pipeline under on; ``--idle sleep`` refused it ("waking
    (0 s)") though no part states a sleep state. Now the same figures, and a note."""
    r = simulate(_chip(static_power="1 W"), _two_layers())
    interval = 256 * 10e-9
    assert r.latency_s > 3e-6
    on, asleep = r.at_load(3e-6), r.at_load(3e-6, idle="sleep")
    assert asleep.period_energy_j == pytest.approx(on.period_energy_j, rel=1e-12, abs=0)
    assert asleep.period_utilization == pytest.approx(interval / 3e-6, rel=1e-6, abs=0)
    assert asleep.period_idle == "sleep" and asleep.period_wake_s == 0.0
    assert any(n.startswith("idle sleep: no part leaves on between runs") for n in asleep.notes)
    assert on.at_load(harvest_w=2.0, idle="sleep").harvest_runs_per_s == pytest.approx(
        on.at_load(harvest_w=2.0).harvest_runs_per_s, rel=1e-12, abs=0)
    # a part that does sleep (waking in 0 s): runs no longer overlap; said without "waking (0 s"
    s = simulate(_chip(static_power="1 W", idle={"sleep_power": "0.1 W"}), _two_layers())
    with pytest.raises(CimsimError) as e:
        s.at_load(3e-6, idle="sleep")
    assert "waking (" not in str(e.value)
    assert "its parts idle between runs (--idle), so runs do not overlap" in str(e.value)


# ---------------------------------------------------------------- A 3: a deadline alone

def test_a_deadline_alone_writes_the_wake_up_and_compare_prints_the_idle_notes(tmp_path):
    """The processor wakes in 2 us: a deadline's response is the latency + 2 us, and the JSON
    carries ``period_wake_s`` = 2 us and ``period_idle`` (before: neither, without a period)."""
    arch = _round(proc_idle={"sleep_power": "0.1 W", "wake_latency": "2 us"})
    r = simulate(arch, gemv_workload(64, 64, dtype="int8"))
    f = r.at_load(deadline_s=1e-3, idle="sleep").record()
    assert (f[C.PERIOD_IDLE], f[C.PERIOD_WAKE_S]) == ("sleep", pytest.approx(2e-6, rel=1e-12, abs=0))
    assert f[C.DEADLINE_RESPONSE_S] - r.latency_s == pytest.approx(2e-6, rel=1e-9, abs=0)
    assert C.PERIOD_WAKE_S not in r.at_load(deadline_s=1e-3).record()  # on: as before
    save_architecture(arch, tmp_path / "a.yaml")
    save_workload(gemv_workload(64, 64, dtype="int8"), tmp_path / "w.json")
    cli = CliRunner()
    js = json.loads(cli.invoke(main, ["run", str(tmp_path / "a.yaml"), str(tmp_path / "w.json"),
                                      "--deadline", "1ms", "--idle", "sleep", "--json"]).output)
    assert js[C.PERIOD_WAKE_S] == pytest.approx(2e-6, rel=1e-12, abs=0)
    out = cli.invoke(main, ["compare", str(tmp_path / "a.yaml"), "-w", str(tmp_path / "w.json"),
                            "--deadline", "1ms", "--idle", "gate"])
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "idle gate: processor, cim gated at 0 W (idle.gated_power not stated" in text
    assert "idle gate: cim wakes in 0 s for 0 J" in text


# ---------------------------------------------------------------- A 4: the gate note

def test_the_gate_note_of_a_cim_that_re_programs_says_so():
    """An SRAM CIM stating no wake figures re-programs its weights each gated period: the note
    said "cim wakes in 0 s for 0 J" beside a period_wake_s of the whole programming time."""
    r = simulate(_round(tech="sram"), gemv_workload(64, 64, dtype="int8"))
    g = r.at_load(1e-3, idle="gate")
    assert r.power_up_programming_s > 0
    assert g.period_wake_s == pytest.approx(r.power_up_programming_s, rel=1e-12, abs=0)
    cim = [n for n in g.notes if n.startswith("idle gate: cim wakes")]
    assert len(cim) == 1 and cim[0].endswith(
        f"beyond re-programming the weights gating lost: {si(r.power_up_programming_s, 's')} and "
        f"{si(r.power_up_programming_j, 'J')} a period (in period_wake_s and period_wake_energy_j)")
    assert any(n.startswith("idle gate: processor wakes in 0 s for 0 J (") and n.endswith("stated)")
               for n in g.notes)
    rram = simulate(_round(), gemv_workload(64, 64, dtype="int8")).at_load(1e-3, idle="gate")
    assert any(n.startswith("idle gate: processor, cim wake in 0 s for 0 J") and n.endswith("stated)")
               for n in rram.notes)  # resistive cells keep their weights: no re-programming
