"""Average power, power density and the physical-plausibility notes (report/plausible.py): silicon
above one reticle (26 mm x 33 mm = 858 mm², ASML's scanner field) or a 300 mm wafer
(pi x 150² mm² = 70,686 mm²), and average power above the TDP a processor's config states.
Golden values are closed forms from the configs' own fields."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import cimsim
from cimsim import bundled, load_architecture, load_workload, simulate
from cimsim.cli import main
from cimsim.errors import ConfigError
from cimsim.report.plausible import RETICLE_M2, WAFER_300MM_M2
from cimsim.workload.generators import matmul

N = 8192
COUNT = 4
MACS = COUNT * N ** 3


def _closed_form(arch, dtype: str, levels: list[str]):
    """Latency and the processor's power by part for COUNT independent N^3 matmuls on a one-
    processor config: each op at the peak MAC rate plus its dispatch and the DRAM latency, and
    each level moving A, B and C once (3 N^2 elements) per matmul."""
    p = arch.components["processor"]
    peak = p.cores * p.clock * p.macs_per_cycle_per_core[dtype]
    lat = COUNT * (N ** 3 / peak + p.op_overhead + arch.memory["dram"].latency)
    moved = COUNT * 3 * N * N * {"fp16": 2, "int8": 1}[dtype]
    parts = {"compute": MACS * p.energy_per_mac[dtype] / lat, "static": p.static_power}
    parts.update({lv: moved * arch.memory[lv].joules_per_byte / lat for lv in levels})
    return lat, parts


def test_gpu_hbm3_fp16_matmuls_average_711_w_over_its_700_w_tdp():
    """find-E #2: 4 fp16 8192^3 matmuls on gpu-hbm3 average 711.4 W = MACs 595.7 W + static 100 W
    + HBM 11.2 W + L2 4.5 W, over the H100 SXM5's 700 W TDP (the per-MAC energy is (700 - 100) W
    / peak, so the memory energy comes on top): a note names the part, its TDP and the power."""
    arch = load_architecture("gpu-hbm3")
    r = simulate(arch, matmul(N, N, N, count=COUNT, dtype="fp16"))
    lat, parts = _closed_form(arch, "fp16", ["sram", "dram"])
    assert r.latency_s == pytest.approx(lat, rel=1e-9, abs=0)
    power = sum(parts.values())
    assert r.average_power_w == pytest.approx(power, rel=1e-9, abs=0)
    assert r.average_power_w == pytest.approx(r.energy_j / r.latency_s, rel=1e-12, abs=0)
    assert (round(parts["compute"], 1), parts["static"], round(parts["dram"], 1), round(parts["sram"], 1)) \
        == (595.7, 100.0, 11.2, 4.5)
    assert round(power, 1) == 711.4
    # GH100's 814 mm² die (whitepaper): W per m² of the power dissipated in it, the HBM stacks'
    # 11.2 W left out (find-B 2: it was power / 814 mm², the HBM's access energy included)
    assert r.offchip_memory_power_w == pytest.approx(parts["dram"], rel=1e-9, abs=0)
    assert r.power_density_w_per_m2 == pytest.approx((power - parts["dram"]) / 814e-6, rel=1e-9, abs=0)
    tdp = [n for n in r.notes if "TDP" in n]
    assert len(tdp) == 1 and tdp == r.physical_notes
    assert "processor (NVIDIA H100 SXM5) is 711.4 W, above its TDP of 700 W (by 1.6%" in tdp[0]
    assert "dram 11.25 W" in tdp[0] and "static 100 W" in tdp[0]


def test_cpu_tdp_covers_the_package_not_the_dimms():
    """cpu-ddr5's 185 W is the Xeon package's TDP (L3 included, DDR5 DIMMs not): int8 matmuls at
    peak draw 145 W of MACs + 40 W static + the L3's share: 185.19 W, just above it; the run's
    average power (187.6 W) also counts the DIMMs' 2.4 W, which the TDP does not cover."""
    arch = load_architecture("cpu-ddr5")
    r = simulate(arch, matmul(N, N, N, count=COUNT, dtype="int8"))
    lat, parts = _closed_form(arch, "int8", ["sram"])
    package = sum(parts.values())
    assert round(package, 1) == 185.2
    dimms = COUNT * 3 * N * N * arch.memory["dram"].joules_per_byte / lat
    assert r.average_power_w == pytest.approx(package + dimms, rel=1e-9, abs=0)
    note = next(n for n in r.notes if "TDP" in n)
    assert f"is {package:.4g} W, above its TDP of 185 W" in note
    assert "dram" not in note


def test_no_tdp_note_below_the_tdp_or_without_one():
    """No note at a TDP above the power, without a TDP, or where the TDP covers only compute and
    static power: 595.7 + 100 = 695.7 W (the HBM and L2 energy is what takes the run over)."""
    wl = matmul(N, N, N, count=COUNT, dtype="fp16")
    _, parts = _closed_form(load_architecture("gpu-hbm3"), "fp16", [])
    assert 695 < sum(parts.values()) < 700
    for sets in ({"processor.tdp": "712 W"}, {"processor.tdp": None, "processor.tdp_includes": []},
                 {"processor.tdp_includes": []}):
        r = simulate(load_architecture("gpu-hbm3", overrides=sets), wl)
        assert not [n for n in r.notes if "TDP" in n], (sets, r.notes)
        assert not r.physical_notes


@pytest.mark.parametrize("mm2, noted", [(858, False), (858.5, True), (814, False)])
def test_reticle_boundary(mm2, noted):
    """26 mm x 33 mm = 858 mm²: a die of exactly that is one reticle, above it is not one die."""
    assert RETICLE_M2 == pytest.approx(26e-3 * 33e-3, rel=1e-15, abs=0) and 26 * 33 == 858
    arch = load_architecture("gpu-hbm3", overrides={"processor.area": f"{mm2} mm^2"})
    r = simulate(arch, matmul(64, 64, 64))
    got = [n for n in r.notes if "reticle" in n]
    assert bool(got) == noted, r.notes
    if noted:
        assert f"component 'processor' counts {mm2:g} mm² of silicon, more than one reticle (858 mm²" in got[0]


def test_billion_array_derived_cim_gets_the_wafer_warning():
    """find-E #1: rram-cim-derived with 1e9 arrays counts ~37.8 m² of silicon, ~535 wafers of
    pi x (150 mm)² = 70,686 mm² each; it ran with no warning."""
    assert WAFER_300MM_M2 * 1e6 == pytest.approx(math.pi * 150 ** 2, rel=1e-12, abs=0) and round(WAFER_300MM_M2 * 1e6) == 70686
    arch = load_architecture("rram-cim-derived", overrides={"cim.arrays": 10 ** 9})
    base = load_architecture("rram-cim-derived")
    r = simulate(arch, load_workload(bundled.resolve_workload("gru")))
    # the arrays' area scales with the array count: 1e9 / 33,800 of the bundled design's
    assert arch.component("cim").area_m2()["arrays"] == pytest.approx(
        base.component("cim").area_m2()["arrays"] * 1e9 / base.components["cim"].arrays, rel=1e-9, abs=0)
    cim = sum(arch.component("cim").area_m2().values())
    assert cim > 500 * WAFER_300MM_M2
    warn = [n for n in r.notes if "300 mm wafer" in n]
    assert len(warn) == 1 and warn[0].startswith("warning: component 'cim' counts")
    assert f"{cim / WAFER_300MM_M2:,.3g} wafers" in warn[0]
    assert not [n for n in r.notes if "reticle" in n]  # the stronger warning only


def test_tdp_fields_are_checked():
    with pytest.raises(ConfigError, match=r"processor\.tdp.*50 W is below static_power 100 W"):
        load_architecture("gpu-hbm3", overrides={"processor.tdp": "50 W"})
    with pytest.raises(ConfigError, match=r"tdp_includes.*names no memory level or link \['hbm'\]"):
        load_architecture("gpu-hbm3", overrides={"processor.tdp_includes": ["sram", "hbm"]})
    with pytest.raises(ConfigError, match=r"tdp_includes.*without tdp"):
        load_architecture("gpu-hbm3", overrides={"processor.tdp": None})
    res = CliRunner().invoke(main, ["run", "gpu-hbm3", "gru", "--set", "processor.tdp=-5W"])
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert len([ln for ln in res.output.splitlines() if ln.startswith("Error")]) == 1, res.output


def test_bundled_tdps_are_the_ones_their_comments_derive_energies_from():
    """Each bundled config whose processor comments derive energy_per_mac from '(N W TDP - ...)'
    or 'of the N W TDP' states that N as processor.tdp."""
    validation = Path(cimsim.__file__).parent / "data" / "validation"
    paths = [*bundled.config_paths(), validation / "titanxp.yaml", validation / "a100-sxm4-80gb.yaml"]
    seen = 0
    for p in paths:
        text = open(p).read()
        stated = {int(w) for w in re.findall(r"(\d+) W TDP", text)}
        if not stated:
            continue
        assert len(stated) == 1, (p, stated)
        assert load_architecture(p).component("processor").tdp_w == stated.pop(), p
        seen += 1
    assert seen == 11  # the 9 bundled configs (each has a Xeon or H100 host), 2 validation GPUs


def test_the_wafer_warning_is_a_warning_line_in_run_and_compare_and_a_note_in_csv_and_json(tmp_path):
    """The wafer warning was the last of `run`'s notes (`note: warning: ...`) and a `note (...)`
    line in `compare`, less prominent than the placeholder warning (review 1, finding 4): it is
    a `warning:` line of its own in both, and stays in the notes of --json and the CSV."""
    import csv
    import json

    wafer = "component 'cim' counts 3.783e+05 cm² of silicon, more than a whole 300 mm wafer"
    big = ["--set", "cim.arrays=1000000000", "--engine", "analytic"]
    res = CliRunner().invoke(main, ["run", "rram-cim-derived", "gru", *big])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert [ln for ln in lines if "300 mm wafer" in ln] == [next(ln for ln in lines if ln.startswith(f"warning: {wafer}"))]
    assert "note: warning" not in res.output
    res = CliRunner().invoke(main, ["run", "rram-cim-derived", "gru", *big, "--json"])
    assert res.exit_code == 0, res.output
    assert [n for n in json.loads(res.output)["notes"] if "300 mm wafer" in n][0].startswith(f"warning: {wafer}")
    out = tmp_path / "c.csv"
    res = CliRunner().invoke(main, ["compare", "rram-cim-derived", "-w", "gru", "-w", "tcn", *big, "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert [ln for ln in res.output.splitlines() if "300 mm wafer" in ln] == [f"warning: rram-cim-derived on gru, tcn: {wafer} "
                                                                        "(706.9 cm²; 535 wafers): not a buildable design"]
    with out.open() as f:
        assert all(f"warning: {wafer}" in row["notes"] for row in csv.DictReader(f))


def test_run_and_compare_show_power(tmp_path):
    """`run` prints the average power and W/mm²; compare's table has a power column at 100
    columns and its CSV average_power_w = energy_j / latency_s and power_density_w_per_m2 = that
    / area_m2; the reticle note is under the table once per design."""
    import csv

    res = CliRunner(env={"COLUMNS": "100"}).invoke(main, ["run", "gpu-hbm3", "gru", "--engine", "analytic"])
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.output.splitlines() if ln.strip().startswith("power"))
    assert re.search(r"power\s+[\d.]+ W average \(energy / latency\), [\d.]+ mW/mm² over 814 mm²", line), line
    out = tmp_path / "c.csv"
    res = CliRunner(env={"COLUMNS": "100"}).invoke(
        main, ["compare", "gpu-hbm3", "sram-cim", "-w", "gru", "-w", "tcn", "--engine", "analytic", "-o", str(out)])
    assert res.exit_code == 0, res.output
    header = next(ln for ln in res.output.splitlines() if "workload" in ln)
    assert "power" in [c.strip() for c in header.strip("┃").split("┃")]
    assert max(len(ln) for ln in res.output.splitlines() if ln[:1] in "┏┃┡│└") <= 100
    flat = " ".join(res.output.split())
    assert flat.count("more than one reticle") == 1
    assert "note (sram-cim on gru, tcn): component 'cim' counts 1707 mm²" in flat
    with out.open() as f:
        for row in csv.DictReader(f):
            w = float(row["average_power_w"])
            assert w == pytest.approx(float(row["energy_j"]) / float(row["latency_s"]), rel=1e-12, abs=0)
            die_w = w - float(row["offchip_memory_power_w"])  # find-B 2: HBM / DRAM left out
            assert float(row["offchip_memory_power_w"]) == pytest.approx(
                float(row["energy_dram_j"]) / float(row["latency_s"]), rel=1e-12, abs=0)
            assert float(row["power_density_w_per_m2"]) == pytest.approx(die_w / float(row["area_m2"]), rel=1e-12, abs=0)


# ---------------------------------------------------------------- find-B (power, 2026-12)
K = 8192
GEMVS = 10


def _gemv_closed_form(arch):
    """One fp16 K x K GEMV on hbm-pim's units: dynamic energy (J), MAC time and bank time (s)
    from the config's fields (units = units_per_channel x the level's channels)."""
    pim, dram = arch.components["pim"], arch.memory[arch.components["pim"].memory or "dram"]
    units = pim.units_per_channel * dram.channels
    weight = K * K * 2  # fp16 bytes read in the banks
    e = K * K * pim.energy_per_mac + 8 * weight * pim.energy_per_bit
    return e, K * K / (units * pim.macs_per_cycle * pim.clock), weight / (units * pim.internal_bandwidth)


def test_hbm_pim_tdp_counts_the_pim_units_in_its_hbm():
    """find-B #1: the PIM units sit in the HBM3 stacks the H100 module's TDP covers
    (tdp_includes [sram, dram]): their static power and their ops' energy count against the
    700 W. 4 fp16 8192^3 matmuls (no op for the PIM) average 711.4 W of GPU + 5 W PIM static
    = 716.4 W (the note said 711.4 W); GEMVs alone on the PIM, with the TDP at 101 W, put the
    processor's 100 W static + the units' 5 W + their compute over it (no note before)."""
    arch = load_architecture("hbm-pim")
    r = simulate(arch, matmul(N, N, N, count=COUNT, dtype="fp16"))
    _, parts = _closed_form(arch, "fp16", ["sram", "dram"])
    power = sum(parts.values()) + arch.components["pim"].static_power
    assert round(power, 1) == 716.4
    note = next(n for n in r.notes if "TDP" in n)
    assert f"is {power:.4g} W, above its TDP of 700 W" in note and "pim static 5 W" in note

    arch = load_architecture("hbm-pim", overrides={"processor.tdp": "101 W"})
    r = simulate(arch, matmul(1, K, K, count=GEMVS, dtype="fp16"))
    assert r.energy_breakdown_j["processor_compute"] == 0  # the PIM took every GEMV
    e, _, _ = _gemv_closed_form(arch)
    pim_w = GEMVS * e / r.latency_s
    note = next(n for n in r.notes if "TDP" in n)
    assert f"pim compute {pim_w:.4g} W + pim static 5 W" in note, note
    assert arch.component("pim").sits_in == "dram"


def test_binding_power_cap_is_a_power_bound_and_keeps_the_bank_time():
    """find-B #2: at pim.power_cap 10 W each GEMV takes E_dyn / 10 W, far above its MAC and bank
    time (equal here: ties go to the banks). The bound is power (pim_power), the time the cap
    adds is path part pim_power, a note names pim.power_cap, and the memory lower bound keeps
    the banks' GEMVS x t_banks (it dropped to the op I/O alone when the cap bound)."""
    arch = load_architecture("hbm-pim", overrides={"pim.power_cap": "10 W"})
    e, t_mac, t_banks = _gemv_closed_form(arch)
    assert t_banks == pytest.approx(t_mac, rel=1e-12, abs=0) and e / 10 > 10 * t_banks
    r = simulate(arch, matmul(1, K, K, count=GEMVS, dtype="fp16"))
    assert (r.bound, r.bound_part) == ("power", "pim_power")
    assert r.path_time_s["pim_power"] == pytest.approx(GEMVS * (e / 10 - t_banks), rel=1e-9, abs=0)
    assert r.path_time_s["pim_banks"] == pytest.approx(GEMVS * t_banks, rel=1e-9, abs=0)
    assert r.bound_memory_s >= GEMVS * t_banks * (1 - 1e-12)
    note = next(n for n in r.notes if "power_cap" in n)
    assert note.startswith(f"pim.power_cap binds on {GEMVS} of {GEMVS} pim ops")
    # without a cap: no power part, no note
    r0 = simulate(load_architecture("hbm-pim"), matmul(1, K, K, count=GEMVS, dtype="fp16"))
    assert r0.bound_part == "pim_banks" and "pim_power" not in r0.path_time_s
    assert not [n for n in r0.notes if "power_cap" in n]


def test_memory_level_and_link_static_power_count_in_static_energy():
    """find-B #3: a level's or link's static_power (default 0 W, not stated) counts in the
    static energy: cpu-ddr5's 40 W Xeon + 16 W of DIMMs = 56 W x latency; tpu-like's 40 W +
    28 W + a 5 W PCIe link = 73 W x latency."""
    wl = load_workload(bundled.resolve_workload("lstm"))
    for name, sets, watts in (("cpu-ddr5", {"memory.dram.static_power": "16 W"}, 40 + 16),
                              ("tpu-like", {"links.pcie.static_power": "5 W"}, 40 + 28 + 5)):
        assert load_architecture(name).static_power_w == watts - float(next(iter(sets.values()))[:-2])
        r = simulate(load_architecture(name, overrides=sets), wl, engine="analytic")
        assert r.energy_breakdown_j["static"] == pytest.approx(watts * r.latency_s, rel=1e-12, abs=0)
    res = CliRunner().invoke(main, ["run", "cpu-ddr5", "lstm", "--set", "memory.dram.static_power=-1W"])
    assert res.exit_code != 0 and "memory.dram.static_power: -1 W is outside the domain" in res.output
    assert "Traceback" not in res.output


def test_level_static_power_in_tdp_includes_counts_against_the_tdp():
    """A level the TDP covers brings its static power: gpu-hbm3's 4 fp16 8192^3 matmuls at
    695.7 W + sram 4.5 W under a 712 W TDP go over it with 20 W of HBM3 static power."""
    wl = matmul(N, N, N, count=COUNT, dtype="fp16")
    arch = load_architecture("gpu-hbm3", overrides={"processor.tdp": "712 W", "memory.dram.static_power": "20 W"})
    _, parts = _closed_form(arch, "fp16", ["sram", "dram"])
    r = simulate(arch, wl)
    note = next(n for n in r.notes if "TDP" in n)
    assert f"is {sum(parts.values()) + 20:.4g} W" in note and "dram static 20 W" in note


def test_systolic_array_states_a_tdp():
    """find-B #1: TPU v1's 75 W TDP per die (Jouppi et al. ISCA 2017 Table 2) is tpu-like's
    tpu.tdp; a TDP below its 28 W static power is a one-line error, one just above it a note
    naming the array."""
    assert load_architecture("tpu-like").components["tpu"].tdp == 75
    wl = matmul(256, 4096, 4096, count=4, dtype="int8")
    r = simulate(load_architecture("tpu-like", overrides={"tpu.tdp": "28.01 W"}), wl)
    assert any(n.startswith("average power of tpu (TPU v1-class matrix unit)") for n in r.notes), r.notes
    assert not [n for n in simulate(load_architecture("tpu-like"), wl).notes if "TDP" in n]
    res = CliRunner().invoke(main, ["run", "tpu-like", "lstm", "--set", "tpu.tdp=20W"])
    assert res.exit_code != 0 and "tpu.tdp: 20 W is below static_power 28 W" in res.output


# ---------------------------------------------------------------- find-B 2 (power density, 2026-12)
def test_power_density_leaves_out_off_chip_memory_and_counts_a_bonded_die():
    """power_density_w_per_m2 is the power dissipated in the declared area over it (find-B 2):
    an off-chip level's access energy and static power are dissipated in its own dies and left
    out; the same DRAM marked off_chip: false (a die bonded on the logic) with its area counts.
    Closed form: COUNT fp16 8192^3 matmuls on gpu-hbm3 (_closed_form), HBM static 20 W."""
    arch = load_architecture("gpu-hbm3", overrides={"memory.dram.static_power": "20 W"})
    wl = matmul(N, N, N, count=COUNT, dtype="fp16")
    r = simulate(arch, wl)
    lat, parts = _closed_form(arch, "fp16", ["sram", "dram"])
    total = sum(parts.values()) + 20.0
    assert r.average_power_w == pytest.approx(total, rel=1e-9, abs=0)
    assert r.offchip_memory_power_w == pytest.approx(parts["dram"] + 20.0, rel=1e-9, abs=0)
    die = parts["compute"] + parts["static"] + parts["sram"]  # 595.7 + 100 + 4.5 W
    assert round(die, 1) == 700.2
    assert r.power_density_w_per_m2 == pytest.approx(die / 814e-6, rel=1e-9, abs=0)
    res = CliRunner(env={"COLUMNS": "200"}).invoke(main, [
        "run", "gpu-hbm3", "gru", "--engine", "analytic", "--set", "memory.dram.static_power=20W"])
    assert res.exit_code == 0, res.output
    flat = " ".join(res.output.split())
    assert "(less what is dissipated off the die: dram " in flat
    # the same HBM stated as a 110 mm² die on the logic: all its power over 814 + 110 mm²
    stacked = load_architecture("gpu-hbm3", overrides={
        "memory.dram.static_power": "20 W", "memory.dram.off_chip": False, "memory.dram.area": "110 mm^2"})
    r = simulate(stacked, wl)
    assert r.offchip_memory_power_w == 0.0
    assert r.area_m2 == pytest.approx(924e-6, rel=1e-12, abs=0)
    assert r.power_density_w_per_m2 == pytest.approx(total / 924e-6, rel=1e-9, abs=0)


def test_hbm_pim_units_in_the_hbm_dissipate_off_the_die():
    """review P 1: hbm-pim's PIM units sit in the off-chip HBM3 (sits_in dram): their compute
    energy and 5 W static power are dissipated there, not in the 814 mm² GH100 die. GEMVS fp16
    GEMVs all on the PIM: off-chip power = dram / latency + GEMVS x e / latency + 5 W, and the
    density (power − that) / 814 mm² (the PIM's power was over the die before). A declared
    area_per_unit (0.1 mm² x 8 x 160 = 128 mm²) is the HBM dies', not the die's."""
    arch = load_architecture("hbm-pim")
    r = simulate(arch, matmul(1, K, K, count=GEMVS, dtype="fp16"))
    e, _, _ = _gemv_closed_form(arch)
    pim_w = GEMVS * e / r.latency_s + 5.0
    dram_w = r.energy_breakdown_j["dram"] / r.latency_s
    assert r.offchip_memory_power_w == pytest.approx(dram_w + pim_w, rel=1e-9, abs=0)
    assert r.power_density_w_per_m2 == pytest.approx((r.average_power_w - dram_w - pim_w) / 814e-6,
                                                     rel=1e-9, abs=0)
    big = simulate(load_architecture("hbm-pim", overrides={"pim.area_per_unit": "0.1 mm^2"}),
                   matmul(1, K, K, count=GEMVS, dtype="fp16"))
    assert big.area_m2 == pytest.approx((814 + 128) * 1e-6, rel=1e-12, abs=0)
    assert big.power_density_w_per_m2 == pytest.approx(r.power_density_w_per_m2, rel=1e-9, abs=0)
    res = CliRunner(env={"COLUMNS": "300"}).invoke(main, ["run", "hbm-pim", "gru", "--engine", "analytic"])
    flat = " ".join(res.output.split())
    assert "over 814 mm² (less what is dissipated off the die: dram " in flat and " + pim in dram " in flat
