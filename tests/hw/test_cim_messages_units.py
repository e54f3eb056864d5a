"""Numbers in CIM errors and notes carry SI prefixes, like every number the CLI prints: the ADC
sample-rate error said '100000000000.0 Hz' and '1e-09 s', the chip buffer note '7.475e+04 B'."""

from __future__ import annotations

from importlib import resources

import re

import pytest

from cimsim import simulate
from cimsim.bundled import resolve_config
from cimsim.config.loader import load_architecture
from cimsim.errors import ConfigError
from cimsim.workload import load_workload


@pytest.mark.parametrize("config, what", [("rram-cim-derived", "(flash, 4 bits at 22 nm: 1 ns)"),
                                          ("sram-cim-derived", "(sar, 7 bits at 22 nm: 8 ns)")])
def test_sample_rate_error_is_prefixed(config, what):
    # flash: one 1 ns cycle at 22 nm; SAR: b + 1 = 8 cycles of 1 ns
    with pytest.raises(ConfigError) as e:
        load_architecture(resolve_config(config), {"cim.adc.sample_rate": "100GHz"}, cli=True)
    assert "sample rate 100 GHz is faster" in str(e.value) and what in str(e.value)


def test_chip_buffer_note_is_prefixed():
    valid = resources.files("cimsim") / "data" / "validation"
    arch = load_architecture(str(valid / "neurosim-vgg8.yaml"), {"cim.chip.levels.pe.buffer.capacity": "64 B"},
                             cli=True)
    r = simulate(arch, load_workload(str(valid / "vgg8-cifar10.json")), engine="analytic")
    notes = [n for n in r.notes if "streams through" in n]
    assert notes and all(re.search(r"moves [\d.]+ [kMG]?B through one \w+ buffer of [\d.]+ [kMG]?B:", n)
                         for n in notes)
    assert any("pe buffer of 64 B" in n for n in notes)
