"""Human-readable numbers: every value printed with its unit.

Areas are never SI-prefixed: a prefix on ``mm²`` would be read as a prefix on the metre
("1.707 kmm²" for 1,707 mm²). :func:`area` prints µm², mm² or cm² by size, and :func:`si`
hands any area unit to it.
"""

from __future__ import annotations

import math

_PREFIXES = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"),
             (1e-6, "µ"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f")]

#: area units :func:`si` accepts, and their size in m²
AREA_UNITS = {"m²": 1.0, "m^2": 1.0, "mm²": 1e-6, "mm^2": 1e-6, "cm²": 1e-4, "cm^2": 1e-4,
              "µm²": 1e-12, "um^2": 1e-12}
#: areas from this many mm² on are printed in cm²
CM2_FROM_MM2 = 1e4


def si(value: float, unit: str, digits: int = 4) -> str:
    """``si(0.0123, "s") -> '12.3 ms'``; zero, NaN and inf are printed plainly. An area unit
    (``AREA_UNITS``) is printed by :func:`area`, never prefixed."""
    if unit in AREA_UNITS and value is not None:
        return area(float(value) * AREA_UNITS[unit], digits)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"nan {unit}".strip()
    if value == 0 or math.isinf(value):
        return f"{value:g} {unit}".strip()
    mag = abs(value)
    for scale, prefix in _PREFIXES:
        if mag >= scale:
            return f"{value / scale:.{digits}g} {prefix}{unit}".strip()
    scale, prefix = _PREFIXES[-1]
    return f"{value / scale:.{digits}g} {prefix}{unit}".strip()


def area(m2: float, digits: int = 4) -> str:
    """An area given in m²: ``µm²`` below 0.01 mm², ``mm²`` up to ``CM2_FROM_MM2`` mm², ``cm²``
    above (``area(1.707e-3) -> '1707 mm²'``, ``area(2.5e-2) -> '250 cm²'``)."""
    if m2 is None or math.isnan(m2):
        return "nan mm²"
    mm2 = m2 * 1e6
    if mm2 == 0 or math.isinf(mm2):
        return f"{mm2:g} mm²"
    if abs(float(f"{mm2:.{digits}g}")) >= CM2_FROM_MM2:
        return f"{m2 * 1e4:.{digits}g} cm²"
    if abs(mm2) < 1e-2:
        return f"{mm2 * 1e6:.{digits}g} µm²"
    return f"{mm2:.{digits}g} mm²"


def pct(fraction: float) -> str:
    return f"{100.0 * fraction:.1f} %"


def rate(value: float, digits: int = 4) -> str:
    """A count per unit (tokens/s, tokens/J) whose unit is printed beside it: 4 significant
    digits, and from 10,000 on the whole number with thousands separators (``14,700``, never
    ``1.47e+04``); NaN as ``n/a``."""
    if value is None or value != value:
        return "n/a"
    if math.isinf(value) or abs(value) < 10 ** digits:
        return f"{value:.{digits}g}"
    return f"{value:,.0f}"
