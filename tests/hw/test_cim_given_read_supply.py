"""A given cim.read_latency at a supply other than the node's nominal: the run says it stays as
given while the array model's read follows the alpha-power law, and warns when the given read
is faster than the cell reads at that supply (find-E 6)."""

from __future__ import annotations

import warnings

import pytest

import cimsim
from cimsim import load_architecture, simulate
from cimsim.workload.generators import lstm

#: sram-cim-derived is 22 nm, nominal 0.9 V; the alpha-power V_th fitted at 22 nm is 0.212 V
#: (README, technology.voltage), alpha 1.3. An SRAM bitline is discharged by a fixed sense
#: swing, so its read time goes as 1 / I_on ~ 1 / (V - V_th)^1.3 (Sakurai & Newton 1990): from
#: 0.9 V to 0.5 V it grows by (0.688 / 0.288)^1.3 = 3.10
SLOWER_AT_0V5 = ((0.9 - 0.212) / (0.5 - 0.212)) ** 1.3


def _notes(overrides):
    arch = load_architecture("sram-cim-derived", overrides=overrides)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cimsim.CimsimWarning)
        r = simulate(arch, lstm(64, 64, 1, steps=2, dtype="int8"), engine="analytic")
    return [n for n in r.notes if "read_latency" in n and "is given" in n]


def test_a_read_faster_than_the_supply_allows_is_a_warning_with_the_alpha_power_factor():
    assert SLOWER_AT_0V5 == pytest.approx(3.10, abs=0.01)
    (note,) = _notes({"technology.voltage": "0.5 V", "cim.read_latency": "20 ps"})
    assert note.startswith("warning: cim: read_latency 20 ps is given"), note
    assert f"({SLOWER_AT_0V5:.3g} x its " in note, note  # 3.1 x
    # the array model's read at 0.5 V over the given 20 ps: > 3.10 x 56 ps / 20 ps = 8.7
    assert "x faster than the cell reads at this supply" in note


def test_a_slower_given_read_is_a_note_and_nominal_says_nothing():
    (note,) = _notes({"technology.voltage": "0.5 V", "cim.read_latency": "1 ns"})
    assert note.startswith("cim: read_latency 1 ns is given, and a given read stays as given "
                           "at every supply"), note
    assert "faster" not in note
    assert _notes({"technology.voltage": "0.9 V", "cim.read_latency": "20 ps"}) == []
    assert _notes({"technology.voltage": "0.5 V"}) == []  # derived: it follows the supply


def test_a_supply_below_the_fit_says_an_energy_minimum_there_is_the_fits():
    """find-E 4: below 0.8 x nominal the derived note says the delay diverges at the fitted
    V_th (22 nm: 0.212 V) and that an energy minimum there is placed by that fit."""
    arch = load_architecture("sram-cim-derived", overrides={"technology.voltage": "0.35 V"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cimsim.CimsimWarning)
        r = simulate(arch, lstm(64, 64, 1, steps=2, dtype="int8"), engine="analytic")
    (note,) = [n for n in r.notes if "derived by the circuit models" in n]
    assert "0.39 x the 22 nm nominal" in note  # 0.35 / 0.9
    assert ("the delay diverges at the fitted V_th 0.212 V and leakage is I_off V without DIBL, "
            "so an energy minimum found down here is placed by the V_th fit") in note, note
    at_nominal = load_architecture("sram-cim-derived", overrides={"technology.voltage": "0.9 V"})
    r = simulate(at_nominal, lstm(64, 64, 1, steps=2, dtype="int8"), engine="analytic")
    assert not any("V_th fit" in n for n in r.notes)
