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

from conftest import ROUND_ARCH, ROUND_CIM, ROUND_LINK, gemv_workload

from cimsim import load_workload, simulate
from cimsim.config import architecture_from_dict, load_architecture
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
    # the DRAM's latency is paid in the overhead part alone: its transfer part (the bytes at
    # 5 GB/s) stays given (before: a marked latency labelled it a placeholder too, 1.0 here)
    assert r.provenance["latency"]["dram"] == "given"
    assert r.path_time_s["dram"] == pytest.approx(DRAM_S, rel=1e-12, abs=0)
    assert r.latency_placeholder_share == pytest.approx(over / (over + DRAM_S), rel=1e-12, abs=0)
    assert r.latency_placeholder_fields == {"overhead": [mark]}
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
        "overheads: dram (memory.dram.sustained_fraction); see `--json` provenance")
    assert placeholder_warning(simulate(_arch(), gemv_workload(1024, 1024), engine="des")) == ""


def test_warning_names_the_marked_fields_of_each_part():
    """A 1 ms op overhead (marked) and the DRAM's 100 ns latency (marked) beside the 839.68 us
    of DRAM time at a (U) rate: the overhead part (1.0001 ms, the larger) is named first, with
    both its fields; the DRAM's part with its rate alone (its latency is the overhead's)."""
    r = simulate(_arch(["memory.dram.sustained_fraction", "memory.dram.latency",
                        "processor.op_overhead"], op_overhead="1 ms", dram_latency="100 ns"),
                 gemv_workload(1024, 1024), engine="des")
    assert r.latency_placeholder_share == pytest.approx(1.0, rel=1e-12, abs=0)
    assert placeholder_warning(r).endswith(
        "100 % of the latency (critical path) rests on placeholder rates, latencies or overheads: "
        "overhead (processor.op_overhead, memory.dram.latency), "
        "dram (memory.dram.sustained_fraction); see `--json` provenance")


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
        "on placeholder rates, latencies or overheads: dram (memory.dram.sustained_fraction); see "
        "`--json` provenance")
    assert f"{e_share:.0%}|{share:.0%}" == "56%|63%"


def _cim_arch(marks=()):
    d = copy.deepcopy(ROUND_ARCH)
    d.update(name="round-cim", cim=copy.deepcopy(ROUND_CIM), links={"interconnect": dict(ROUND_LINK)})
    d["placeholders"] = list(marks)
    return architecture_from_dict(d)


def test_write_latency_counts_only_where_the_run_reprograms():
    """A marked ``cim.write_latency`` times re-programming alone. A 128 x 128 int8 GEMV takes
    8 bits / 2 bits a cell = 4 of the 64 arrays (128 x 128 cells): resident, never written
    during the run, so none of its latency rests on the mark (before: compute and the CIM's
    parts were labelled placeholders, 1.0 of the path here). A 1024 x 1024 one needs
    8 row tiles x 1024 x 4 / 128 = 256 arrays: 4 rounds over the 64, each writing 128 rows of
    1 us, 512 us of writes in its compute, which then rests on the mark."""
    arch = _cim_arch(["cim.write_latency"])
    resident = simulate(arch, gemv_workload(128, 128, dtype="int8"), engine="des")
    assert resident.facts["cim_reprograms"] == 0
    assert resident.latency_placeholder_share == 0.0
    assert set(resident.provenance["latency"].values()) == {"given"}
    rounds = simulate(arch, gemv_workload(1024, 1024, dtype="int8"), engine="des")
    assert rounds.facts["cim_reprograms"] == 1
    write_s = 4 * 128 * 1e-6
    assert rounds.path_time_s["compute"] >= write_s
    assert rounds.provenance["latency"]["compute"] == "placeholder"
    assert rounds.latency_placeholder_share >= write_s / rounds.latency_s
    assert rounds.latency_placeholder_fields["compute"] == ["cim.write_latency"]


def test_neurosim_vgg8_never_reprograms():
    """neurosim-vgg8 marks ``cim.write_latency: 10 ns (U)`` ("inference only: never charged");
    with its other (U) time fields set, VGG-8 runs resident and none of its latency rests on a
    placeholder (before: 0.9968, compute and the chip's buffer and interconnect parts labelled
    placeholder); the static energy, over a latency resting on nothing marked, stays given."""
    arch = load_architecture("neurosim-vgg8", {
        "cim.chip.levels.pe.fanout": "4", "cim.chip.levels.tile.fanout": "16",
        "cim.chip.periphery.units": "64", "links.host.bandwidth": "1PB/s",
        "memory.offchip.bandwidth": "1TB/s"}, cli=True)
    assert "cim.write_latency" in arch.placeholders
    r = simulate(arch, load_workload("vgg8-cifar10"), engine="analytic")
    assert r.facts["cim_reprograms"] == 0
    assert r.latency_placeholder_share == 0.0
    assert r.energy_placeholder_share == 0.0
    assert set(r.provenance["latency"].values()) == {"given"}
