"""Intermittent figures across devices and wake-ups (review 22 F 2-F 7, B 1): a pipeline-parallel
run's programming paid once (its simulated device programs every stage), a tensor-parallel one's
once per share; the first call after power-up waits for the slowest part's wake-up; a volatile
backing store said; the load arguments' errors; SRAM wears nothing; the time units' errors.

test_idle's architecture: the CIM wakes in 3 us (the slowest part), the processor in 2 us, the
DRAM in 1 us; P_static = 1.7 W; the SRAM CIM loses its weights at power-off.
"""

from __future__ import annotations

import copy
import math

import pytest
import yaml

from cimsim import simulate
from cimsim.config import architecture_from_dict, load_architecture, save_architecture
from cimsim.errors import CimsimError
from cimsim.report import columns as C
from cimsim.report.load import load_rows
from cimsim.units import UnitError, parse_quantity
from cimsim.workload.llm import LLMModel, llm_serving
from report.test_idle import P_STATIC, _arch, runs  # noqa: F401 - runs: the fixture

TINY = LLMModel(layers=2, hidden=64, heads=8, kv_heads=2, ffn=128, vocab=32, head_dim=8, gated=True)


@pytest.fixture(scope="module")
def two_devices():
    """sram-cim with a 2-device ring (no idle blocks: every part wakes in 0 s for 0 J)."""
    from cimsim.bundled import resolve_config

    d = yaml.safe_load(resolve_config("sram-cim").read_text())
    d["cim"]["endurance"] = float(d["cim"]["endurance"])  # PyYAML reads 1e15 as text (YAML 1.1)
    d["collective"] = {"devices": 2, "topology": "ring", "link": "nvlink"}
    d["links"]["nvlink"] = {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}
    return architecture_from_dict(d)


def _run(arch, **parallel):
    return simulate(arch, llm_serving(TINY, prompt=4, decode=2, batch=4, dtype="int8", **parallel))


def _system_energy(r, tp: int, p: int) -> float:
    """tp x (E_dynamic + p x E_static): every device over the run (report.devices)."""
    static = r.energy_breakdown_j[C.STATIC]
    return tp * (r.energy_j - static + p * static)


@pytest.mark.parametrize("parallel, tp, p", [({"pipeline_parallel": 2}, 1, 2), ({"tensor_parallel": 2}, 2, 1)])
def test_programming_is_paid_once_per_tensor_parallel_share(two_devices, parallel, tp, p):
    """Gated, a period wakes by re-programming: pipeline-parallel, the simulated device already
    programs both stages' weights (12.33 uJ, as unsplit), so once, not 2 x; tensor-parallel each
    device programs its half, so 2 x (review 22 F 2). The store's run: the system's energy + that
    programming + every device's static power over the programming time."""
    r = _run(two_devices, **parallel)
    prog_j, prog_s = r.power_up_programming_j, r.power_up_programming_s
    assert prog_j > 0 and prog_s > 0
    gated = r.at_load(period_s=1.0, idle="gate")
    assert gated.period_wake_energy_j == pytest.approx(tp * prog_j, rel=1e-12, abs=0)
    on = r.at_load(storage_j=1.0)
    want = _system_energy(r, tp, p) + tp * prog_j + tp * p * r.static_power_w * prog_s
    assert on.storage_run_energy_j == pytest.approx(want, rel=1e-12, abs=0)


def test_a_micro_batched_first_call_says_which_time_it_is(two_devices):
    """Under micro-batches the deadline's first call is the re-programming then the pipeline's
    last request (pipeline_span_s), and the ``first call`` line says its figures are one
    micro-batch's (review 22 F 2)."""
    r = _run(two_devices, pipeline_parallel=2, micro_batches=2)
    span, prog = r.pipeline_span_s, r.power_up_programming_s
    a = r.at_load(deadline_s=span + 0.5 * prog)
    assert a.power_up_deadline_slack_s == pytest.approx(-0.5 * prog, rel=1e-9, abs=0)
    rows = {k: " ".join(v.split()) for k, v in load_rows(a, True)}
    assert "one micro-batch on one device, as latency_s and energy_j" in rows["first call"]
    assert "re-programming the volatile weights, then the pipeline's last request at" in rows["after power-up"]


def test_the_first_call_waits_for_the_slowest_wake_up(runs):
    """Under gate every call is a first call: the power-up slack is the deadline's slack (it was
    1 us better than a gated call that misses by 2 us); under sleep a start from off waits for the
    slowest part (3 us) and the re-programming, never less than a wake from sleep (review 22 F 3)."""
    r = runs["sram"]
    t, prog = r.latency_s, r.power_up_programming_s
    gate = r.at_load(period_s=1e-3, deadline_s=t + prog + 1e-6, idle="gate")
    assert gate.deadline_slack_s == pytest.approx(-2e-6, rel=1e-6, abs=0)  # waking 3 us + prog first
    assert gate.power_up_deadline_slack_s == gate.deadline_slack_s
    sleep = r.at_load(period_s=1e-3, deadline_s=t + 2.5e-6, idle="sleep")
    assert sleep.deadline_slack_s == pytest.approx(0.5e-6, rel=1e-6, abs=0)  # waking 2 us first
    assert sleep.power_up_deadline_slack_s == pytest.approx(2.5e-6 - 3e-6 - prog, rel=1e-9, abs=0)


def test_a_volatile_backing_store_is_said_on_the_first_call_line(tmp_path):
    """The SRAM CIM re-programs from DRAM, which states no ``volatile: false``: it lost the
    weights at the same power-off, which the first call does not model (review 22 F 4)."""
    from conftest import gemv_workload

    wl = gemv_workload(64, 64, dtype="int8")
    line = dict(load_rows(simulate(_arch("sram"), wl), True))["first call"]
    assert "dram, where the weights are programmed from, is volatile" in " ".join(line.split())
    save_architecture(_arch("sram"), tmp_path / "a.yaml")
    flash = load_architecture(tmp_path / "a.yaml", overrides={"memory.dram.volatile": False})
    assert "is volatile" not in dict(load_rows(simulate(flash, wl), True))["first call"]


def test_load_arguments_name_themselves_and_their_unit(runs):
    """``at_load`` takes text as ``sweep()`` does and names the argument and its unit (review 22 F 6)."""
    r = runs["rram"]
    assert r.at_load(harvest_w="100uW").harvest_power_w == pytest.approx(1e-4, rel=1e-12, abs=0)
    assert r.at_load(storage_j="1 mJ").storage_j == pytest.approx(1e-3, rel=1e-12, abs=0)
    with pytest.raises(CimsimError, match=r"^harvest_w=-0.001: must be a positive, finite power in W"):
        r.at_load(harvest_w=-1e-3)
    with pytest.raises(CimsimError, match=r"^storage_j=0.0: must be a positive, finite energy in J"):
        r.at_load(storage_j=0.0)
    with pytest.raises(CimsimError, match=r"^harvest_w='2J': .*needs power"):
        r.at_load(harvest_w="2J")


def test_sram_cells_show_no_wear_out():
    """Volatile SRAM cells wear nothing: no ``period_wearout_s`` from their placeholder endurance
    (it read 2.881e+06 years, review 22 F 7); resistive cells keep theirs (test_intermittent)."""
    from conftest import ROUND_CIM, ROUND_LINK, gemv_workload, make_arch

    c = copy.deepcopy(ROUND_CIM)
    c.update(technology="sram", bits_per_cell=1, arrays=1)  # 2 arrays' worth: each run re-writes
    r = simulate(make_arch(name="wear-sram", cim=c, interconnect=dict(ROUND_LINK)),
                 gemv_workload(128, 64, dtype="int8"))
    assert math.isfinite(r.facts["cim_runs_to_wearout"])  # the placeholder is there ...
    a = r.at_load(1.0)
    assert math.isnan(a.period_wearout_s)  # ... but no wear-out from it
    assert "wear-out" not in dict(load_rows(a, True))


@pytest.mark.parametrize("text", ["1hour", "1 day", "1H", "1 Min"])
def test_a_time_error_names_the_clock_units(text):
    with pytest.raises(UnitError, match=r"a time also takes min, h and d"):
        parse_quantity(text, "s")


def test_a_clock_unit_where_another_quantity_goes_is_said_to_be_a_time():
    with pytest.raises(UnitError, match=r"'1h' is a time quantity, but this field needs power"):
        parse_quantity("1h", "W")


def test_the_pipeline_span_the_queue_serves_at_is_in_the_json(two_devices):
    """final read 23-2 F2 8: the `served at ... (pipeline_span_s)` figure was named in the output
    but absent from `run --json`; a run without micro-batches has no such key."""
    r = _run(two_devices, pipeline_parallel=2, micro_batches=2)
    assert r.to_json()["pipeline_span_s"] == r.pipeline_span_s > r.latency_s
    assert "pipeline_span_s" not in _run(two_devices).to_json()
