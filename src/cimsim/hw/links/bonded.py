"""``type: bonded``: a die-to-die interface sized from its bonds (find-B 4): hybrid bonding or
micro-bumps on a square grid of ``pitch``, over ``bond_area``, a ``data_fraction`` of them
carrying data at ``rate_per_wire`` each. Its bandwidth is derived, not stated:

    bonds = floor(bond_area / pitch²),  data wires = floor(bonds x data_fraction),
    bandwidth = data wires x rate_per_wire  (shared by both directions, as a fixed link's)

so a sweep over the pitch is a sweep over the bandwidth. Energy is the stated ``energy_per_bit``
(hybrid bonds about 0.01-0.05 pJ/bit, TSVs 0.1-0.5 pJ/bit). The bonds' silicon (a TSV's keep-out
zone) is not counted in any area: put it in the chip's ``area`` by hand."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from ...quantity import Meters, PositiveSquareMeters
from ..base import RATE, BytesPerSecond, Fraction, Link
from .fixed import Fixed

#: a count within this of the next whole number is that number (a unit conversion's float noise:
#: 10 mm² / (10 µm)² is 99,999.99999999999, never meant as 99,999 bonds)
WHOLE_TOL = 1e-9


def _whole(x: float) -> int:
    return math.floor(x * (1 + WHOLE_TOL))


class BondedLink(Link):
    """A die-to-die interface whose bandwidth follows from its bond pitch, bonded area and per-wire rate."""

    type: Literal["bonded"] = Field(default="bonded", description="Resource type: bonded (a die-to-"
                                    "die interface: bandwidth = floor(floor(bond_area / pitch²) x "
                                    "data_fraction) x rate_per_wire).")
    pitch: Meters = Field(description="Bond (or micro-bump, or TSV) pitch, centre to centre, on a "
                          "square grid: 1 / pitch² bonds per unit area, e.g. 9 um (hybrid bonding "
                          "1-10 um, micro-bumps 25-55 um).", json_schema_extra=RATE)
    bond_area: PositiveSquareMeters = Field(description="The area the bonds of this interface cover "
                                            "(floor(bond_area / pitch²) bonds), e.g. 10 mm^2.",
                                            json_schema_extra=RATE)
    data_fraction: Fraction = Field(description="Share of the bonds that carry data, 0-1 (the rest: "
                                    "power, ground, clock, redundancy), e.g. 0.25.",
                                    json_schema_extra=RATE)
    rate_per_wire: BytesPerSecond = Field(description="Data rate of one data bond (one direction at "
                                          "a time, as a fixed link's bandwidth), e.g. 1 Gb/s.",
                                          json_schema_extra=RATE)
    sustained_fraction: Fraction = Field(default=1.0, description="Fraction of the derived bandwidth "
                                         "sustained.", json_schema_extra=RATE)

    @property
    def bonds(self) -> int:
        """floor(bond_area / pitch²): the bonds of a square grid."""
        return _whole(self.bond_area / self.pitch ** 2)

    @property
    def data_wires(self) -> int:
        """floor(bonds x data_fraction)."""
        return _whole(self.bonds * self.data_fraction)

    @property
    def bandwidth(self) -> float:
        """Derived peak bandwidth, B/s: data wires x rate_per_wire."""
        return self.data_wires * self.rate_per_wire

    @model_validator(mode="after")
    def _some_data_wire(self) -> "BondedLink":
        if self.data_wires < 1:
            raise ValueError(f"bond_area {self.bond_area * 1e6:g} mm^2 at pitch {self.pitch * 1e6:g} um "
                             f"holds {self.bonds} bond(s), {self.data_fraction:g} of them data: no "
                             "data wire; give a larger bond_area or data_fraction, or a finer pitch")
        return self


class Bonded(Fixed):
    """A fixed-rate link (:class:`.fixed.Fixed`'s rates) whose bandwidth its bonds derive."""
    type_name = "bonded"
    Config = BondedLink


def bonded_notes(arch) -> list[str]:
    """One note per ``type: bonded`` link of ``arch``: the bandwidth it derives, with its arithmetic."""
    from ...units import si

    return [f"link {n} (bonded): floor({si(c.bond_area, 'm²')} / ({si(c.pitch, 'm')})²) = {c.bonds:,} "
            f"bonds, {c.data_fraction:g} of them data = {c.data_wires:,} wires x "
            f"{si(c.rate_per_wire * 8, 'b/s')} = {si(c.bandwidth, 'B/s')} (x sustained_fraction "
            f"{c.sustained_fraction:g}); the bonds' area is in no area (put it in the chip's by hand)"
            for n, c in arch.links.items() if isinstance(c, BondedLink)]
