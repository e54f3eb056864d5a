"""Human-readable numbers: every value printed with its unit."""

from __future__ import annotations

import math

_PREFIXES = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"),
             (1e-6, "µ"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f")]


def si(value: float, unit: str, digits: int = 4) -> str:
    """``si(0.0123, "s") -> '12.3 ms'``; zero, NaN and inf are printed plainly."""
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


def pct(fraction: float) -> str:
    return f"{100.0 * fraction:.1f} %"
