"""The latency's provenance (find-D, finding 1): ``latency_placeholder_share`` is the share of the
critical path's time whose part rests on a (U) time field (a level's rate or latency, an op
overhead), and static energy (static power x latency) counts as placeholder in proportion to it,
where before it counted only by the marks on ``static_power``.

One GEMV of a 1024 x 1024 fp32 weight on the round machine, its SRAM (1 MiB) too small for the
4 MiB weight: every byte of the weight and the 4 KiB input comes from DRAM at 10 GB/s x
``sustained_fraction`` 0.5, so the critical path is DRAM time alone (no access latency, no op
overhead): 4,198,400 B / 5 GB/s = 839.68 us."""

import copy

import pytest

from conftest import ROUND_ARCH, gemv_workload

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.report.provenance import placeholder_warning

DRAM_B = 1024 * 1024 * 4 + 1024 * 4  # the weight and the input, fp32
DRAM_S = DRAM_B / (10e9 * 0.5)  # 839.68 us at half of 10 GB/s
ENERGY = {  # J, each part in closed form
    "processor_compute": 1024 * 1024 * 4e-12,  # MACs x 4 pJ
    "sram": (DRAM_B + 1024 * 4) * 1e-12,  # the weight, input and output through the SRAM at 1 pJ/B
    "dram": DRAM_B * 8 * 10e-12,  # 10 pJ/bit
}


def _arch(marks=(), op_overhead="0 s", dram_latency="0 s", static_power="1 W"):
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["dram"].pop("technology")
    d["memory"]["dram"].update(sustained_fraction=0.5, latency=dram_latency)
    d["processor"].update(op_overhead=op_overhead, static_power=static_power)
    d["placeholders"] = list(marks)
    return architecture_from_dict(d)


@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_dram_bound_path_marked_vs_given(engine):
    wl = gemv_workload(1024, 1024)
    given = simulate(_arch(), wl, engine=engine)
    marked = simulate(_arch(["memory.dram.sustained_fraction"]), wl, engine=engine)
    for r in (given, marked):
        assert r.latency_s == pytest.approx(DRAM_S, rel=1e-12, abs=0)
        assert r.path_time_s["dram"] == pytest.approx(DRAM_S, rel=1e-12, abs=0)
        for part, j in ENERGY.items():
            assert r.energy_breakdown_j[part] == pytest.approx(j, rel=1e-12, abs=0)
        assert r.energy_breakdown_j["static"] == pytest.approx(1.0 * DRAM_S, rel=1e-12, abs=0)  # 1 W
    e_total = sum(ENERGY.values()) + DRAM_S
    # given: nothing marked, nothing rests on placeholders
    assert given.latency_placeholder_share == 0.0
    assert given.energy_placeholder_share == 0.0
    assert given.provenance["latency"]["dram"] == "given"
    assert given.provenance["energy"]["static"] == "given"
    # marked: all of the path is DRAM time at a (U) rate, so all static energy rests on it
    # (0.7092 of the energy; 0 before); the DRAM's energy per bit stays given
    assert marked.latency_placeholder_share == pytest.approx(1.0, rel=1e-12, abs=0)
    assert marked.energy_placeholder_share == pytest.approx(DRAM_S / e_total, rel=1e-12, abs=0)
    assert marked.to_json()["latency_placeholder_share"] == pytest.approx(1.0, rel=1e-12, abs=0)
    assert marked.provenance["latency"] == {"sram": "given", "dram": "placeholder",
                                            "compute": "given", "overhead": "given"}
    assert marked.provenance["energy"]["static"] == "placeholder"
    assert marked.provenance["energy"]["dram"] == "given"
    assert marked.energy_placeholder_fraction == {"static": 1.0}


def test_part_of_the_path_and_a_marked_static_power_combine():
    """A 1 ms op overhead (given) beside the DRAM time (rate marked): the latency share is the
    DRAM's part of the path, l = 839.68 / 1839.68; static energy rests on placeholders by
    1 - (1 - p)(1 - l): l with its static power given (p = 0), all of it with it marked (p = 1)."""
    wl = gemv_workload(1024, 1024)
    r = simulate(_arch(["memory.dram.sustained_fraction"], op_overhead="1 ms"), wl, engine="des")
    latency = DRAM_S + 1e-3
    assert r.latency_s == pytest.approx(latency, rel=1e-12, abs=0)
    share = DRAM_S / latency
    assert r.latency_placeholder_share == pytest.approx(share, rel=1e-12, abs=0)
    e_total = sum(ENERGY.values()) + 1.0 * latency
    assert r.energy_placeholder_share == pytest.approx(share * latency / e_total, rel=1e-12, abs=0)
    assert r.energy_placeholder_fraction["static"] == pytest.approx(share, rel=1e-12, abs=0)
    assert r.provenance["energy"]["static"] == "given"  # only in part
    both = simulate(_arch(["memory.dram.sustained_fraction", "processor.static_power"],
                          op_overhead="1 ms"), wl, engine="des")
    assert both.energy_placeholder_share == pytest.approx(latency / e_total, rel=1e-12, abs=0)
    assert both.provenance["energy"]["static"] == "placeholder"


@pytest.mark.parametrize("mark", ["processor.op_overhead", "memory.dram.latency"])
def test_overhead_rests_on_the_op_overhead_and_the_levels_latency(mark):
    """The op's fixed latency (1 ms dispatch + 100 ns DRAM access) is the overhead part: a
    placeholder when the dispatch or the latency of a level the op reads is marked; a mark on
    the DRAM's energy per bit leaves the latency given."""
    wl = gemv_workload(1024, 1024)
    r = simulate(_arch([mark], op_overhead="1 ms", dram_latency="100 ns"), wl, engine="des")
    over = 1e-3 + 100e-9
    assert r.path_time_s["overhead"] == pytest.approx(over, rel=1e-12, abs=0)
    assert r.provenance["latency"]["overhead"] == "placeholder"
    # a marked DRAM latency is a time field of the DRAM: its transfer part rests on it too
    dram = mark.startswith("memory.")
    assert r.latency_placeholder_share == pytest.approx(
        (over + DRAM_S * dram) / (over + DRAM_S), rel=1e-12, abs=0)
    r = simulate(_arch(["memory.dram.energy_per_bit"], op_overhead="1 ms"), wl, engine="des")
    assert r.latency_placeholder_share == 0.0


def test_warning_names_the_latency():
    """More than half of the latency on placeholders: the run's warning says so, with the
    parts, even where the energy share (0.24 % here: the DRAM's energy per bit given, a
    static power of 1 mW) would not warn."""
    r = simulate(_arch(["memory.dram.sustained_fraction"], static_power="1 mW"),
                 gemv_workload(1024, 1024), engine="des")
    e_share = 1e-3 * DRAM_S / (sum(ENERGY.values()) + 1e-3 * DRAM_S)
    assert r.energy_placeholder_share == pytest.approx(e_share, rel=1e-12, abs=0) and e_share < 0.5
    assert placeholder_warning(r) == (
        "warning: 100 % of the latency (critical path) rests on placeholder rates, latencies or "
        "overheads: dram; see `--json` provenance")
    assert placeholder_warning(simulate(_arch(), gemv_workload(1024, 1024), engine="des")) == ""


def test_warning_names_static_energy_resting_on_the_latency_in_part():
    """A 0.5 ms op overhead (given) and 2 W static power (given): l = 839.68 / 1339.68 = 63 % of
    the latency is DRAM time at a (U) rate, so 63 % of the static energy rests on it, which
    carries the energy share past one half (56 %): both sentences of the warning, static named
    with its part."""
    r = simulate(_arch(["memory.dram.sustained_fraction"], op_overhead="0.5 ms", static_power="2 W"),
                 gemv_workload(1024, 1024), engine="des")
    latency = DRAM_S + 0.5e-3
    share = DRAM_S / latency
    static = 2.0 * latency
    e_share = share * static / (sum(ENERGY.values()) + static)
    assert r.energy_placeholder_share == pytest.approx(e_share, rel=1e-12, abs=0)
    assert placeholder_warning(r) == (
        f"warning: {100 * e_share:.0f} % of the energy rests on placeholder values ((U) or unsourced "
        f"defaults: static ({100 * share:.0f} % of it)); {100 * share:.0f} % of the latency (critical path) rests "
        "on placeholder rates, latencies or overheads: dram; see `--json` provenance")
    assert f"{e_share:.0%}|{share:.0%}" == "56%|63%"
