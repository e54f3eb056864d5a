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


@pytest.mark.parametrize("bad", [(float("nan"), "B/s"), (float("inf"), "B/s"), (True, "B/s"),
                                 (1.0, "B/s", "x")])
def test_a_bad_pair_is_an_override_error_with_its_field(bad):
    # review E 2: as every other override value error, the overrides= form and .fields set
    with pytest.raises(ConfigError) as info:
        load_architecture("sram-cim-derived", overrides={"memory.dram.bandwidth": bad})
    assert str(info.value).startswith(
        f"overrides={{'memory.dram.bandwidth': {bad!r}}}: memory.dram.bandwidth: ")
    assert info.value.fields == ["memory.dram.bandwidth"]


def test_a_pair_read_back_from_json_is_a_list_and_loads():
    # review E 3: JSON and YAML give the pair back as a list; 3.072e11 B/s = 307.2 GB/s
    got = load_architecture("sram-cim-derived",
                            overrides={"memory.dram.bandwidth": [307200000000.0, "B/s"]})
    assert got.memory["dram"].bandwidth == 307.2e9
    with pytest.raises(ConfigError, match="a list, not one quantity"):  # a list of two texts
        load_architecture("sram-cim-derived",
                          overrides={"memory.dram.bandwidth": ["1 GB/s", "2 GB/s"]})


def test_a_float32_number_is_the_decimal_it_prints_as():
    # review E 6: np.float32(0.8) is 0.800000011920929 as a float64; the optimizer meant 0.8 V
    got = load_architecture("sram-cim-derived",
                            overrides={"technology.voltage": (np.float32(0.8), "V")})
    assert got.technology.voltage == 0.8


def test_the_one_mapping_in_an_error_is_the_whole_argument():
    # review E 5: the bandwidth key was left out, a dict literal that was not the call's argument
    with pytest.raises(ConfigError) as info:
        load_architecture("sram-cim-derived", overrides={
            "memory.dram.bandwidth": (3.072e11, "B/s"), "cim.input_bits": 1, "cim.dac_bits": 4})
    assert ("with overrides={'memory.dram.bandwidth': (307200000000.0, 'B/s'), 'cim.input_bits': "
            "1, 'cim.dac_bits': 4}: cim: dac_bits (4) cannot exceed input_bits (1)") in str(info.value)
