"""A 3D stack's footprint (find-B 1, hw/stack.py): parts stated on tiers (``stack: {tier: N}``,
``stack: {parts: {...}}``, ``stack: {dies: true}``) give ``stack_footprint_m2``, the largest
tier's area, and ``power_density_w_per_m2`` over it; ``area_m2`` and ``ops_per_s_per_m2`` stay on
all the silicon. Nothing stated: no column, nothing changes.

Goldens are closed forms from the configs' areas: the logic die of STACK is 10 mm² (host) + 4 mm²
(SRAM) + 256 x 0.202 mm² (CIM arrays) = 65.712 mm², its bonded DRAM die 66 mm² (find-B 1's
example); gpu-hbm3's 4 fp16 8192³ matmuls are the closed form of test_power_plausibility.
"""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from click.testing import CliRunner

from cimsim import load_architecture, simulate
from cimsim.cli import main
from cimsim.config.loader import architecture_from_dict
from cimsim.report import columns as C
from cimsim.report.format import area, si
from cimsim.workload.generators import matmul

from conftest import ROUND_ARCH

LOGIC_MM2 = 10 + 4 + 256 * 0.202  # 65.712 mm²
DRAM_MM2 = 66.0

STACK = {
    "name": "stack-cim",
    "memory": {
        "sram": {"capacity": "4 MiB", "bandwidth": "400 GB/s", "energy_per_byte": "12.5 pJ/B",
                 "area": "4 mm^2"},
        "dram": {"capacity": "4 GiB", "bandwidth": "1 TB/s", "latency": "40 ns",
                 "energy_per_bit": "0.9 pJ/bit", "off_chip": False, "area": f"{DRAM_MM2} mm^2"},
    },
    "links": {"hb": {"bandwidth": "2 TB/s", "latency": "2 ns", "energy_per_bit": "0.05 pJ/bit"}},
    "processor": {"name": "small host", "cores": 4, "clock": "1 GHz", "macs_per_cycle_per_core": {"int8": 32},
                  "vector_ops_per_cycle_per_core": 8, "energy_per_mac": {"int8": "1 pJ"},
                  "energy_per_vector_op": "4 pJ", "static_power": "0.5 W", "op_overhead": "1 us",
                  "area": "10 mm^2"},
    "cim": {"link": "hb", "technology": "sram", "cell": {"type": "sram_digital", "rows_per_register": 256},
            "arrays": 256, "rows": 256, "cols": 256, "bits_per_cell": 1, "weight_bits": 8,
            "input_bits": 8, "dac_bits": 1, "read_latency": "2.4881 ns",
            "adc": {"bits": 9, "energy_per_conversion": "0.36 pJ", "per_array": 256},
            "dac_energy": "0 pJ", "cell_read_energy": "0 pJ", "shift_add_energy": "0 pJ",
            "write_latency": "2.4881 ns", "write_energy": "50 fJ", "endurance": 1e15,
            "buffer": {"capacity": "256 KiB", "bandwidth": "256 GB/s", "energy_per_byte": "0.4 pJ/B"},
            "static_power": "221 mW", "weight_replication": False,
            "area": {"array": "0.202 mm^2", "adc": "0 mm^2"}},
}
WL = matmul(64, 1024, 1024, dtype="int8")


def _stack(**edits):
    """STACK with ``{"memory.dram.stack": {...}}``-style edits (dotted section paths)."""
    d = copy.deepcopy(STACK)
    for path, v in edits.items():
        *head, last = path.split(".")
        node = d
        for k in head:
            node = node[k]
        node[last] = v
    return d


def test_dram_bonded_on_logic_divides_power_by_the_largest_tier():
    """find-B 1's example: DRAM 66 mm² on tier 1 over the 65.712 mm² logic die: the footprint is
    max(66, 65.712) = 66 mm², not the 131.712 mm² of silicon; the same power over it."""
    flat = simulate(architecture_from_dict(_stack()), WL)
    r = simulate(architecture_from_dict(_stack(**{"memory.dram.stack": {"tier": 1}})), WL)
    assert r.stack_footprint_m2 == pytest.approx(DRAM_MM2 * 1e-6, rel=1e-12, abs=0)
    assert r.area_m2 == pytest.approx((LOGIC_MM2 + DRAM_MM2) * 1e-6, rel=1e-12, abs=0)
    assert r.offchip_memory_power_w == 0.0  # the DRAM is on the chip: all the power is the stack's
    assert r.average_power_w == flat.average_power_w  # stacking moves no joule
    assert r.power_density_w_per_m2 == pytest.approx(r.average_power_w / (DRAM_MM2 * 1e-6), rel=1e-12, abs=0)
    # side by side, the same power over all the silicon: (65.712 + 66) / 66 = 1.996x lower
    assert flat.power_density_w_per_m2 / r.power_density_w_per_m2 == pytest.approx(
        DRAM_MM2 / (LOGIC_MM2 + DRAM_MM2), rel=1e-12, abs=0)
    assert r.ops_per_s_per_m2 == flat.ops_per_s_per_m2  # area efficiency stays on the silicon
    assert r.to_json()[C.STACK_FOOTPRINT_M2] == pytest.approx(66e-6, rel=1e-12, abs=0)
    assert r.record()[C.STACK_FOOTPRINT_M2] == r.stack_footprint_m2
    note = next(n for n in r.notes if n.startswith("stack: "))
    assert "tier 0: 65.71 mm² (processor_die, cim_arrays, sram); tier 1: 66 mm² (dram)" in note


def test_nothing_stated_is_side_by_side_and_adds_no_column():
    """Opt-in: without a stack block no stack_footprint_m2 (column, JSON, note) and power density
    over area_m2, as before."""
    arch = architecture_from_dict(_stack())
    r = simulate(arch, WL)
    assert not arch.stacked and C.STACK_FOOTPRINT_M2 not in C.result_columns(arch)
    assert C.STACK_FOOTPRINT_M2 not in r.to_json() and C.STACK_FOOTPRINT_M2 not in r.record()
    assert r.power_density_w_per_m2 == pytest.approx(
        r.average_power_w / ((LOGIC_MM2 + DRAM_MM2) * 1e-6), rel=1e-12, abs=0)
    assert not [n for n in r.notes if n.startswith("stack: ")]
    assert C.STACK_FOOTPRINT_M2 in C.result_columns(
        architecture_from_dict(_stack(**{"memory.dram.stack": {"tier": 1}})))


def test_rram_arrays_over_their_periphery_by_part():
    """RRAM in the back end over CMOS: ``cim.stack.parts.arrays: 1`` puts the 51.712 mm² of
    arrays on tier 1 over the rest (10 + 4 + 66 mm² on tier 0): footprint 80 mm²."""
    r = simulate(architecture_from_dict(_stack(**{"cim.stack": {"parts": {"arrays": 1}}})), WL)
    assert r.stack_footprint_m2 == pytest.approx(80e-6, rel=1e-12, abs=0)
    # the ADCs given an area of 40 mm² beneath: tier 0 = 120 mm², tier 1 = 51.712 mm²
    d = _stack(**{"cim.stack": {"parts": {"arrays": 1}}})
    d["cim"]["area"]["adc"] = f"{40 / 65536} mm^2"  # per ADC: 256 arrays x 256 ADCs each
    r = simulate(architecture_from_dict(d), WL)
    assert r.stack_footprint_m2 == pytest.approx(120e-6, rel=1e-9, abs=0)


def test_stacked_cim_chips_one_a_tier():
    """find-B 1's 4-tier stack: cim.chips 4 of 1,024 arrays, stack.dies: each tier one chip of
    1,024 x 0.202 = 206.848 mm², the base tier with the 10 mm² host and 4 mm² SRAM beside its
    chip (the DRAM off the chip here): footprint 220.848 mm² of 841.392 mm² of silicon."""
    d = _stack(**{"cim.stack": {"dies": True}, "cim.chips": 4, "cim.arrays": 1024, "cim.chip_link": "tsv"})
    d["links"]["tsv"] = {"bandwidth": "256 GB/s", "latency": "5 ns", "energy_per_bit": "0.3 pJ/bit"}
    del d["memory"]["dram"]["off_chip"], d["memory"]["dram"]["area"]
    r = simulate(architecture_from_dict(d), WL)
    chip = 1024 * 0.202
    assert r.area_m2 == pytest.approx((14 + 4 * chip) * 1e-6, rel=1e-12, abs=0)
    assert r.stack_footprint_m2 == pytest.approx((14 + chip) * 1e-6, rel=1e-12, abs=0)
    assert r.power_density_w_per_m2 == pytest.approx(
        (r.average_power_w - r.offchip_memory_power_w) / ((14 + chip) * 1e-6), rel=1e-12, abs=0)
    note = next(n for n in r.notes if n.startswith("stack: "))
    assert "tier 3: 206.8 mm² (cim_arrays (die 4 of 4))" in note


def test_gpu_with_hbm_stacked_on_it_closed_form():
    """gpu-hbm3 (814 mm² die) with its HBM stated as a 110 mm² die bonded on top (off_chip:
    false, stack tier 1): all 711.4 W (595.7 MACs + 100 static + 11.2 HBM + 4.5 L2, the closed
    form of test_power_plausibility) over the footprint max(814, 110) = 814 mm²; beside it
    (no tier) over 814 + 110 = 924 mm²."""
    n, count = 8192, 4
    wl = matmul(n, n, n, count=count, dtype="fp16")
    over = {"memory.dram.off_chip": False, "memory.dram.area": "110 mm^2"}
    arch = load_architecture("gpu-hbm3", overrides={**over, "memory.dram.stack.tier": 1})
    p = arch.components["processor"]
    lat = count * (n ** 3 / (p.cores * p.clock * p.macs_per_cycle_per_core["fp16"])
                   + p.op_overhead + arch.memory["dram"].latency)
    moved = count * 3 * n * n * 2
    power = (count * n ** 3 * p.energy_per_mac["fp16"] / lat + p.static_power
             + sum(moved * arch.memory[lv].joules_per_byte / lat for lv in ("sram", "dram")))
    assert round(power, 1) == 711.4
    r = simulate(arch, wl)
    assert r.stack_footprint_m2 == pytest.approx(814e-6, rel=1e-12, abs=0)
    assert r.power_density_w_per_m2 == pytest.approx(power / 814e-6, rel=1e-9, abs=0)
    beside = simulate(load_architecture("gpu-hbm3", overrides=over), wl)
    assert beside.power_density_w_per_m2 == pytest.approx(power / 924e-6, rel=1e-9, abs=0)


def _files(tmp_path, data: dict):
    """The config ``data`` and find-B's mm.json (64 x 1024 x 1024 int8) as files."""
    cfg, wl = tmp_path / "s.yaml", tmp_path / "mm.json"
    cfg.write_text(yaml.safe_dump(data, sort_keys=False))
    made = CliRunner().invoke(main, ["workload", "matmul", "--m", "64", "--k", "1024", "--n", "1024",
                                     "--dtype", "int8", "-o", str(wl)])
    assert made.exit_code == 0, made.output
    return str(cfg), str(wl)


def test_run_lines_name_the_footprint_and_the_silicon(tmp_path):
    cfg, wl = _files(tmp_path, _stack(**{"memory.dram.stack": {"tier": 1}}))
    res = CliRunner(env={"COLUMNS": "300"}).invoke(main, ["run", cfg, wl])
    assert res.exit_code == 0, res.output
    flat = " ".join(res.output.split())
    assert "over the stack's 66 mm² footprint (131.7 mm² of silicon)" in flat
    assert "over 131.7 mm² of silicon (" in flat and "over the stack's 66 mm² footprint)" in flat
    # the same by --set on the file without a stack block
    cfg, wl = _files(tmp_path, _stack())
    res = CliRunner(env={"COLUMNS": "300"}).invoke(main, ["run", cfg, wl, "--set", "memory.dram.stack.tier=1"])
    assert res.exit_code == 0 and "over the stack's 66 mm² footprint" in " ".join(res.output.split())


@pytest.mark.parametrize("sets, says", [
    (["memory.dram.off_chip=true", "memory.dram.area=null", "memory.dram.stack.tier=1"],
     "memory.dram.stack.tier: the level lies off the compute chip"),
    (["memory.dram.area=null", "memory.dram.stack.tier=1"],
     "memory.dram.stack.tier: the level declares no area"),
    (["cim.stack.parts.array=1"],
     "cim.stack.parts.array: 'array' is not an area part of cim; its parts: arrays, adc"),
    (["memory.dram.stack.dies=true"], "'memory.dram.stack.dies' is not a field; allowed here: tier"),
])
def test_a_tier_that_places_nothing_is_refused_in_one_line(tmp_path, sets, says):
    cfg, wl = _files(tmp_path, _stack())
    res = CliRunner(env={"COLUMNS": "300"}).invoke(main, ["run", cfg, wl,
                                                          *[x for s in sets for x in ("--set", s)]])
    assert res.exit_code != 0 and says in res.output, res.output
    assert "Traceback" not in res.output and len(res.output.strip().splitlines()) == 1, res.output


def test_tensor_parallel_devices_are_each_a_stack(tmp_path):
    """tp = 2 devices, each a 10 mm² processor with a 4 mm² SRAM die on it: the power line's
    density is (2 E − 2 x the DRAM's energy) / L over 2 x 10 mm² (each device's footprint), not
    over the 28 mm² of silicon."""
    d = copy.deepcopy(ROUND_ARCH)
    d["processor"]["area"] = "10 mm^2"
    d["memory"]["sram"].update({"area": "4 mm^2", "stack": {"tier": 1}})
    d["links"] = {"c2c": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}}
    d["collective"] = {"devices": 2, "link": "c2c"}
    cfg, wl = tmp_path / "two.yaml", tmp_path / "w.json"
    cfg.write_text(yaml.safe_dump(d, sort_keys=False))
    made = CliRunner().invoke(main, ["workload", "llm", "--layers", "2", "--hidden", "32", "--heads", "8",
                                     "--kv-heads", "2", "--ffn", "48", "--vocab", "20", "--prompt", "4",
                                     "--decode", "2", "--batch", "2", "--dtype", "fp32",
                                     "--tensor-parallel", "2", "-o", str(wl)])
    assert made.exit_code == 0, made.output
    text = CliRunner(env={"COLUMNS": "400"}).invoke(main, ["run", str(cfg), str(wl)]).output
    d = json.loads(CliRunner().invoke(main, ["run", str(cfg), str(wl), "--json"]).stdout)
    assert d[C.STACK_FOOTPRINT_M2] == pytest.approx(10e-6, rel=1e-12, abs=0)
    L, E, dram = d["latency_s"], d["energy_j"], d["energy_breakdown_j"]["dram"]
    line = next(x for x in text.splitlines() if x.startswith("  power "))
    want = si((2 * E - 2 * dram) / L / 20e-6 / 1e6, "W/mm²")
    assert f"{want} over the stack's {area(20e-6)} footprint ({area(28e-6)} of silicon)" in line
