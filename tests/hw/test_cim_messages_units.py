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


@pytest.mark.parametrize("volts, outside", [(0.213, True), (0.70, True), (0.72, False), (0.9, False),
                                            (0.99, False), (1.0, True), (1.3, True)])
def test_a_supply_outside_the_fitted_range_is_noted_as_extrapolated(volts, outside):
    """22 nm's nominal is 0.9 V; the voltage laws are fitted on 0.8-1.1 x nominal, 0.72-0.99 V:
    a derived design at another supply (above the threshold, below 1.5 x) runs, and its note
    says the laws are extrapolated there."""
    from cimsim.config import load_architecture
    from cimsim.workload.generators import lstm

    arch = load_architecture("sram-cim-derived", {"technology.voltage": f"{volts} V"}, cli=True)
    r = simulate(arch, lstm(input_size=16, hidden=16, layers=1, steps=2), engine="analytic")
    note = next(n for n in r.notes if "derived by the circuit models" in n)
    assert ("outside the 0.8-1.1 x the circuit models' voltage laws were fitted on" in note) is outside
    if outside:
        assert f"is {volts / 0.9:.2f} x the 22 nm nominal (0.9 V)" in note
