"""Pydantic field types for physical quantities (unit strings in, SI floats out).

Plain numbers are refused: every quantity in a config says its unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

from ..units import UnitError, format_quantity, parse_quantity


@dataclass(frozen=True)
class QuantityUnit:
    """Marks a field as a physical quantity stored as an SI float in ``unit``."""

    unit: str
    doc: str


def _quantity(unit: str, doc: str):
    def _validate(value: object) -> float:
        try:
            return parse_quantity(value, unit)
        except UnitError as exc:
            # pydantic turns ValueError into a field error with the field's path
            raise ValueError(str(exc)) from None

    return Annotated[
        float,
        BeforeValidator(_validate),
        PlainSerializer(lambda v: format_quantity(v, unit), return_type=str),
        QuantityUnit(unit, doc),
    ]


Seconds = _quantity("s", "time, e.g. '100 ns'")
Hertz = _quantity("Hz", "frequency, e.g. '1.2 GHz'")
Bytes = _quantity("B", "capacity, e.g. '2 MiB' (binary) or '50 MB' (decimal)")
BytesPerSecond = _quantity("B/s", "bandwidth, e.g. '25.6 GB/s'")
Joules = _quantity("J", "energy per event, e.g. '4.6 pJ'")
JoulesPerBit = _quantity("J/bit", "energy per bit moved, e.g. '3.9 pJ/bit'")
JoulesPerByte = _quantity("J/B", "energy per byte accessed, e.g. '0.5 pJ/B'")
Watts = _quantity("W", "power, e.g. '2 mW'")
