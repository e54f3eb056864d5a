"""A CIM chip's energy and area parts say where their numbers come from (a tester, 2026-12-05):
`provenance` listed only the flat block's parts, so a (U) mark on a chip field never reached
`cim_buffer`, `cim_interconnect`, `cim_periphery` or `cim_layout` (28.6 % of VGG-8's energy),
and `energy_placeholder_share` stayed 0 whatever was marked."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

import cimsim
from cimsim import load_architecture, simulate
from cimsim.config import architecture_from_dict
from cimsim.workload.io import load_workload

from test_cim_chip import ARCH, PERIPHERY

DATA = Path(cimsim.__file__).resolve().parent / "data" / "validation"


def chip_arch(**chip):
    d = copy.deepcopy(ARCH)
    d["cim"]["chip"].update(chip)
    return architecture_from_dict(d).component("cim")


def test_every_chip_part_has_a_provenance():
    lv = {"pe": {"fanout": 4, "buffer": {"type": "sram", "capacity": "256 B", "width_bits": 8},
                 "interconnect": {"type": "bus", "width_bits": 8, "clock": "1 GHz",
                                  "energy_per_bit_per_hop": "1 pJ/bit"}},
          "chip": {"fanout": 4}}
    cim = chip_arch(levels=lv, periphery=PERIPHERY, energy_overhead=1.2, area_overhead=1.1)
    p = cim.provenance()
    assert set(cim.energy_parts) <= set(p["energy"])
    # the buffer's access energy and the periphery's area come from the circuit models (no
    # energy_per_access given; PERIPHERY gives energy_per_op and area_per_unit)
    assert p["energy"]["buffer"] == "derived" and p["energy"]["interconnect"] == "given"
    assert p["energy"]["periphery"] == "given" and p["energy"]["layout"] == "given"
    assert p["area"]["chip_buffers"] == "derived" and p["area"]["periphery"] == "given"
    assert p["area"]["overhead"] == "given"
    # a mark on what a part rests on makes it a placeholder, and only that part
    marked = cim.provenance(frozenset({"cim.chip.levels.pe.buffer.capacity",
                                       "cim.chip.energy_overhead", "cim.chip.periphery.units"}))
    assert marked["energy"]["buffer"] == "placeholder" and marked["energy"]["layout"] == "placeholder"
    assert marked["area"]["chip_buffers"] == "placeholder"
    assert marked["area"]["periphery"] == "placeholder"  # area = units x area per unit
    assert marked["energy"]["periphery"] == "given"  # energy = ops x energy per op
    assert marked["energy"]["interconnect"] == "given"


def test_a_marked_chip_energy_counts_in_the_placeholder_share(tmp_path):
    """neurosim-vgg8 with its chip mesh's energy per bit per hop marked (U): the placeholder
    share is that part's share of the energy (no other energy of the chip is marked) plus the
    static energy, whose latency rests wholly on (U) time fields (the off-chip and host
    bandwidths, the chip's fanouts: find-D, finding 1)."""
    text = (DATA / "neurosim-vgg8.yaml").read_text()
    line = next(ln for ln in text.splitlines() if "type: mesh" in ln)
    block = re.sub(r"energy_per_bit_per_hop: ([0-9.]+ pJ/bit), ", "", line.split("#")[0].rstrip())
    value = re.search(r"energy_per_bit_per_hop: ([0-9.]+ pJ/bit)", line).group(1)
    ind = line[: len(line) - len(line.lstrip())]
    block = block.replace("interconnect: {", "interconnect:\n" + ind + "  ").rstrip("}")
    block = block.replace(", ", "\n" + ind + "  ")
    marked = block + f"\n{ind}  energy_per_bit_per_hop: {value}  # (U) test mark"
    path = tmp_path / "ns.yaml"
    path.write_text(text.replace(line, marked))
    arch = load_architecture(path)
    assert "cim.chip.levels.chip.interconnect.energy_per_bit_per_hop" in arch.placeholders
    wl = load_workload(DATA / "vgg8-cifar10.json")
    r = simulate(arch, wl, keep_ops=False)
    e = r.energy_breakdown_j
    assert r.provenance["energy"]["cim_interconnect"] == "placeholder"
    assert r.latency_placeholder_share == 1.0
    assert r.energy_placeholder_share == pytest.approx(
        (e["cim_interconnect"] + e["static"]) / r.energy_j, rel=1e-12, abs=0)
    bare = simulate(load_architecture(DATA / "neurosim-vgg8.yaml"), wl, keep_ops=False)
    assert bare.energy_placeholder_share == pytest.approx(
        bare.energy_breakdown_j["static"] / bare.energy_j, rel=1e-12, abs=0)
