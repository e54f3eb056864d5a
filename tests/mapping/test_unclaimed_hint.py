"""A CIM chip without periphery units refusing a CNN's activations says how the chip itself
could run them (`chip.periphery`), not only "add a processor" (issue 18: a CIM-only chip needs
no host processor). A chip-less CIM gets no such hint: only a processor helps there."""

from __future__ import annotations

import pytest

from importlib import resources

from cimsim.bundled import resolve_workload
from cimsim.config.loader import load_architecture
from cimsim.errors import MappingError
from cimsim.mapping.placement import place
from cimsim.workload import load_workload



def test_chip_without_periphery_names_it():
    puma = resources.files("cimsim") / "data" / "validation" / "puma.yaml"
    arch = load_architecture(str(puma))
    w = load_workload(str(resources.files("cimsim") / "data" / "validation" / "vgg8-cifar10.json"))
    with pytest.raises(MappingError) as e:
        place(w, arch)
    msg = str(e.value)
    assert "add a processor" in msg and "cim.chip.periphery" in msg and "\n" not in msg
    # with the periphery given, the same workload places on the chip alone
    arch = load_architecture(str(puma), {"cim.chip.periphery.level": "tile",
                                         "cim.chip.periphery.units": "1",
                                         "cim.chip.periphery.bits": "16",
                                         "cim.chip.periphery.clock": "1GHz"}, cli=True)
    place(w, arch)


def test_flat_cim_gets_no_periphery_hint():
    isaac = resources.files("cimsim") / "data" / "validation" / "isaac.yaml"
    with pytest.raises(MappingError) as e:
        place(load_workload(resolve_workload("lstm")), load_architecture(str(isaac)))
    assert "periphery" not in str(e.value)
