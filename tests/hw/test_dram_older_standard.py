"""A DRAM standard older than every preset of its family (DDR3, LPDDR4/4X, GDDR5, HBM1) was
called a part of the newest one ("standard: DDR5" for DDR3); it is a different JEDEC standard
with its own organisation and command rules. The line now says there is no preset for it, names
the nearest preset and the organisation and command fields to give, and what stays (review
find-M #1). So is a newer standard (review 18-5 #6); a part of a preset's standard keeps its
hint, and LPDDR5X names the LPDDR5X-8533 part."""

from __future__ import annotations

import copy

import pytest

from cimsim import bundled
from cimsim.config import architecture_from_dict, read_yaml
from cimsim.errors import ConfigError


@pytest.fixture(scope="module")
def gpu():
    return read_yaml(bundled.resolve_config("gpu-hbm3"))


def _error(gpu, standard: str) -> str:
    d = copy.deepcopy(gpu)
    d["memory"]["dram"] = {"type": "dram", "standard": standard, "channels": 1, "capacity": "8 GB",
                           "latency": "100 ns", "energy_per_bit": "4 pJ/bit"}
    with pytest.raises(ConfigError) as e:
        architecture_from_dict(d)
    assert "\n" not in str(e.value)
    return str(e.value)


@pytest.mark.parametrize("standard, nearest", [
    ("DDR3", "DDR4"), ("LPDDR4", "LPDDR5"), ("LPDDR4X", "LPDDR5"), ("GDDR5", "GDDR6"),
    ("HBM1", "HBM2"),
])
def test_an_older_standard_is_not_called_a_part(gpu, standard, nearest):
    msg = _error(gpu, standard)
    assert f"no preset for '{standard}': it is an older standard than {nearest}" in msg
    assert f"not a part of {nearest}" in msg and "a part not listed" not in msg
    assert f"give standard: {nearest} with everything that differs under timings:" in msg
    assert "bus_bits, burst_length, n_bl, banks, bank_groups, cmd_act" in msg
    assert "presets and parts: DDR4, DDR4-2933, DDR4-3200, DDR5, LPDDR5, HBM2" in msg
    # LPDDR5's two-part activation (n_aad 8 in its preset) cannot be turned off: said
    assert ("two-part activation (n_aad > 0) stays" in msg) == (nearest == "LPDDR5")


@pytest.mark.parametrize("standard, base", [
    ("HBM3E", "HBM3"), ("DDR5-6400", "DDR5"), ("GDDR6X", "GDDR6")])
def test_a_part_of_a_presets_standard_keeps_its_hint(gpu, standard, base):
    """A name that starts with a preset's is a part of that standard."""
    assert f"a part not listed is its standard's preset with what differs under timings: " \
           f"(standard: {base}," in _error(gpu, standard)


@pytest.mark.parametrize("standard, nearest", [
    ("GDDR7", "GDDR6"), ("LPDDR6", "LPDDR5"), ("HBM4", "HBM3"), ("DDR6", "DDR5")])
def test_a_newer_standard_is_not_called_a_part(gpu, standard, nearest):
    """Review 18-5 #6: GDDR7 (PAM3, 4 channels a device), LPDDR6 (sub-channels), HBM4 (2048-bit)
    and DDR6 are JEDEC standards of their own; they were 'a part ... (standard: GDDR6'."""
    msg = _error(gpu, standard)
    assert f"no preset for '{standard}': it is a newer standard than {nearest}" in msg
    assert f"not a part of {nearest}" in msg and "a part not listed" not in msg
    assert f"give standard: {nearest} with everything that differs under timings:" in msg
    assert "bus_bits, burst_length, n_bl, banks, bank_groups, cmd_act" in msg
    assert ("two-part activation (n_aad > 0) stays" in msg) == (nearest == "LPDDR5")


@pytest.mark.parametrize("standard", ["LPDDR5X", "LPDDR5X-7500", "LPDDR5X-9600"])
def test_an_lpddr5x_part_is_pointed_at_the_lpddr5x_part(gpu, standard):
    """Review 18-5 #6: LPDDR5X-8533 (its 4:1 WCK clocking) is the base, not the LPDDR5 preset."""
    msg = _error(gpu, standard)
    assert (f"no preset or part (got '{standard}'); a part not listed is the listed part of its "
            "standard, LPDDR5X-8533, with what differs under timings: (standard: LPDDR5X-8533, "
            "timings: {rate_mtps: ..., tck_ps: ...") in msg
    assert "standard: LPDDR5," not in msg
