"""Human-readable numbers: every value printed with its unit.

Areas are never SI-prefixed: a prefix on ``mm²`` would be read as a prefix on the metre
("1.707 kmm²" for 1,707 mm²). :func:`area` prints µm², mm² or cm² by size, and :func:`si`
hands any area unit to it.
"""

from __future__ import annotations

import math
import re

# si, area and their tables live in cimsim.units (the one place unit strings are written),
# so components' notes print numbers the same way; re-exported here for the report's callers
from ..units import AREA_UNITS, CM2_FROM_MM2, area, si  # noqa: F401,E402


#: a per-joule figure (OPS/W, tokens/J) of a run that counted no energy: undefined, not 0 or inf
NO_ENERGY = "n/a (no energy counted)"


def per_joule(value: float, unit: str) -> str:
    """A per-joule figure (``ops_per_j``, ``tokens_per_j``...) with its unit; NaN (the run counted
    no energy, so there is nothing to divide by) as ``n/a UNIT (no energy counted)``."""
    if value is None or value != value:
        return NO_ENERGY.replace("n/a", f"n/a {unit}", 1)
    return si(value, unit)


def seconds_or_na(value: float | None) -> str:
    """A time in SI seconds, or ``n/a`` where there is none (None or NaN: the time per output
    token of a run whose requests all have one token)."""
    return "n/a" if value is None or value != value else si(value, "s")


def pct(fraction: float) -> str:
    """A fraction as a percentage to 0.1 % (``0.875 -> '87.5 %'``). A value that would print as
    0.0 % or 100.0 % without being exactly 0 or 1 says which side it lies on, never a share that
    is there read as none or a unit that idles read as full: ``<0.1 %`` (0.025 %, 3.2e-6),
    ``>-0.1 %``, ``>99.9 %``, ``>100.0 %``."""
    text = f"{100.0 * fraction:.1f}" if fraction != 0 else "0.0"  # -0.0 too
    if text in ("0.0", "-0.0") and fraction != 0:
        return "<0.1 %" if fraction > 0 else ">-0.1 %"
    if text == "100.0" and fraction != 1:
        return ">99.9 %" if fraction < 1 else ">100.0 %"
    return f"{text} %"


#: a no-break space: between a number and its unit in a table cell that wraps
NBSP = "\u00a0"
_NUMBER_UNIT = re.compile(r"(?<=\d) (?=[%A-Za-zµ])")


def keep_units(text: str) -> str:
    """``text`` with a no-break space between each number and the unit after it (``87.5 %``,
    ``5.748 ms``, ``953 ops``): for table cells a browser or terminal wraps (a wrapped
    ``processor_busy 87.5`` left its ``%`` on the next line); CSV and JSON keep plain spaces."""
    return _NUMBER_UNIT.sub(NBSP, text)


def rate(value: float, digits: int = 4) -> str:
    """A count per unit (tokens/s, tokens/J) whose unit is printed beside it: 4 significant
    digits (``358.3``, ``1,009``: thousands separators from 1,000), and from 10,000 on the whole
    number (``14,700``, never ``1.47e+04``); NaN as ``n/a``."""
    if value is None or value != value:
        return "n/a"
    if math.isinf(value):
        return f"{value:g}"
    text = f"{value:,.{digits}g}"  # 1,009 as the larger counts print: separators from 1,000
    return text if abs(value) < 10 ** digits and "e" not in text else f"{value:,.0f}"


#: :func:`off_chip_traffic` where no level is off the chip
NO_OFF_CHIP = "none (no off-chip level)"


def off_chip_traffic(hardware, traffic_bytes: dict[str, float]) -> str:
    """The bytes over the levels off the compute chip (:attr:`Hardware.off_chip`: the backing
    store, and any level a config marks ``off_chip``), with their names: ``3.389 GB (weights +
    dram)``; ``none (no off-chip level)`` where every level is on the chip (a microcontroller's
    flash marked ``off_chip: false``: final read 22-2 4)."""
    levels = hardware.off_chip
    if not levels:
        return NO_OFF_CHIP
    return f"{si(sum(traffic_bytes.get(n, 0.0) for n in levels), 'B')} ({' + '.join(levels)})"
