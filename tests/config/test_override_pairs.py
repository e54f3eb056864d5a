"""``overrides=`` from an optimizer (find-E 3, 6).

3. A quantity took only text: an SI float (a sweep table's ``memory.dram.bandwidth`` column,
   3.072e11) had to be formatted back with its unit by the caller, and a short format moved the
   point. A ``(number, unit)`` pair is now that quantity at full precision.
6. Several overrides in one error read ``overrides={'cim.input_bits': 1}, overrides={'cim.dac_bits':
   4}``, as if two calls; now the one mapping ``overrides={'cim.input_bits': 1, 'cim.dac_bits': 4}``.
"""

from __future__ import annotations

import numpy as np
import pytest

from cimsim import ConfigError, load_architecture


def test_a_number_unit_pair_is_the_quantity():
    got = load_architecture("sram-cim-derived", overrides={
        "memory.dram.bandwidth": (np.float64(3.072e11), "B/s"), "technology.voltage": (0.8, "V")})
    want = load_architecture("sram-cim-derived", overrides={
        "memory.dram.bandwidth": "307.2 GB/s", "technology.voltage": "800 mV"})
    assert got.memory["dram"].bandwidth == want.memory["dram"].bandwidth == 307.2e9
    assert got.technology.voltage == want.technology.voltage == 0.8


@pytest.mark.parametrize("bad, said", [
    ((3.072e11,), "(307200000000.0,) is not a (number, unit) pair"),
    (("3.072e11", "B/s"), "is not a (number, unit) pair"),
    ((float("nan"), "B/s"), "is not a (number, unit) pair"),
    ((3.072e11, "V"), "is a voltage"),
    (3.072e11, "a bare number is ambiguous"),  # still refused: its unit is not known
])
def test_a_bad_pair_or_a_bare_number_is_refused(bad, said):
    with pytest.raises(ConfigError) as info:
        load_architecture("sram-cim-derived", overrides={"memory.dram.bandwidth": bad})
    assert said in str(info.value) and "memory.dram.bandwidth" in str(info.value)


def test_several_overrides_are_named_as_the_one_mapping():
    with pytest.raises(ConfigError) as info:
        load_architecture("sram-cim-derived", overrides={"cim.input_bits": 1, "cim.dac_bits": 4})
    assert ("with overrides={'cim.input_bits': 1, 'cim.dac_bits': 4}: cim: dac_bits (4) cannot "
            "exceed input_bits (1)") in str(info.value)
    assert str(info.value).count("overrides=") == 1
