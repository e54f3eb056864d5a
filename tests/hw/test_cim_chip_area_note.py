"""A chip whose arrays, ADCs and drivers declare no area (neurosim-vgg8: no `cim.area`, no
technology block) has an area of only its buffers, buses and periphery; the result says so
(before: 398.5 GOPS/mm² over 4.7 mm² with no word, NeuroSim's chip being 84.8 mm²). A chip
whose parts all have an area (PUMA) gets no such note."""

from __future__ import annotations

from importlib import resources

from cimsim import simulate
from cimsim.config.loader import load_architecture
from cimsim.workload import load_workload

VALID = resources.files("cimsim") / "data" / "validation"
VGG8 = str(VALID / "vgg8-cifar10.json")


def _notes(config, overrides=None):
    arch = load_architecture(str(VALID / config), overrides, cli=True)
    return simulate(arch, load_workload(VGG8), engine="analytic").notes


def test_chip_without_array_area_says_area_is_partial():
    notes = [n for n in _notes("neurosim-vgg8.yaml") if "area counts only" in n]
    assert len(notes) == 1 and "arrays, ADCs and drivers" in notes[0]


def test_chip_with_array_area_has_no_such_note():
    notes = _notes("puma.yaml", {"cim.chip.periphery.level": "tile",
                                 "cim.chip.periphery.units": "1", "cim.chip.periphery.bits": "16",
                                 "cim.chip.periphery.clock": "1GHz"})
    assert not [n for n in notes if "area counts only" in n]
