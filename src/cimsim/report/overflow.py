"""A run's number that is not finite although every input is in its domain: an extreme given
value drove it past a float's range (``memory.dram.bandwidth: 1e-300 B/s`` makes 13.56 GB /
(0.7 x 1e-300 B/s) = 1.9e310 s, beyond the largest float, 1.8e308; energies of 1e-320 J sum
to a subnormal 2e-311 J, and 2 x MACs over it is past it too). Such a number is refused as an
:class:`~cimsim.errors.OverflowInputError` naming the figure, its value and the given fields
beyond 1e-30 to 1e30 (SI units) it likely came from, so the command line prints one line
naming the ``--set`` or file. A NaN or negative number from ordinary inputs stays an internal
error (``AssertionError``): no input explains it."""

from __future__ import annotations

import math
import sys
from typing import NoReturn

from ..errors import OverflowInputError
from ..quantity import extreme_fields
from ..units import si

#: the words of the fields that set a time and an energy, and what to check when no given
#: value is extreme
TIME = ("bandwidth", "clock", "op_overhead", "latency", "rate")
ENERGY = ("energy", "power")
_HINT = {TIME: "bandwidth, clock, op_overhead and latency", ENERGY: "energy_per_* and static_power"}


def extreme(arch) -> list[tuple[str, str]]:
    """``(dotted path, value)`` of each given number of ``arch`` beyond 1e-30 to 1e30 (SI)."""
    found: list[tuple[str, str]] = []
    for section in ("memory", "links"):
        for n, c in getattr(arch, section).items():
            found += extreme_fields(c, f"{section}.{n}.")
    for n, c in arch.components.items():
        found += extreme_fields(c, f"{n}.")
    if arch.technology is not None:
        found += extreme_fields(arch.technology, "technology.")
    return found


def refuse(arch, figure: str, value: str, groups: tuple, why: str = "") -> NoReturn:
    """Raise the error for ``figure`` (``value``: its number and unit): the extreme fields
    whose names hold a word of ``groups`` (in the groups' order; all extreme ones when none
    does), the first of them as its ``field``."""
    found = extreme(arch)
    picked = [f for g in groups for f in found if any(w in f[0] for w in g)]
    causes = list(dict.fromkeys(picked)) or found
    if causes:
        check = (f"check {', '.join(f'{p} = {t}' for p, t in causes)} (beyond 1e-30 to 1e30 in "
                 "SI units)")
    else:
        check = f"check the {' and '.join(_HINT[g] for g in groups)} fields and the workload's size"
    field = causes[0][0] if causes else None
    head = f"{field}: " if field else f"architecture '{arch.name}': "
    raise OverflowInputError(f"{head}the run's {figure} is not finite ({value}){why}: {check}", field)


def _overflows(arch, v: float) -> bool:
    """``v`` is not finite, and from extreme inputs: inf, or a NaN (inf - inf, 0 x inf) where a
    given value is extreme. A NaN without one is left to the internal checks."""
    return math.isinf(v) or (math.isnan(v) and bool(extreme(arch)))


def check_latency(arch, latency: float) -> None:
    if _overflows(arch, float(latency)):
        refuse(arch, "latency", f"{float(latency)} s", (TIME,))


def check_energy(arch, energy: dict, static: str, latency: float) -> None:
    """Each energy part finite; the static part is static power x latency."""
    for k, v in energy.items():
        if not _overflows(arch, v):
            continue
        if k == static:
            refuse(arch, f"{k} energy", f"{v} J", (ENERGY, TIME),
                   f" = static power {si(arch.static_power_w, 'W')} x latency {si(latency, 's')}")
        refuse(arch, f"{k} energy", f"{v} J", (ENERGY,))


def _numbers(obj, key: str = ""):
    """``(key, float)`` of each float in a ``to_json`` object, through dicts and lists."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _numbers(v, str(k))
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _numbers(v, key)
    elif isinstance(obj, float):
        yield key, obj


def check_figures(arch, result) -> None:
    """Every number of ``result``'s ``--json`` object finite: a per-joule figure over a subnormal
    energy, the power density of a huge energy, a per-second one over a tiny latency are
    refused (JSON has no Infinity; a table would show ``inf OPS/W``)."""
    from .column_docs import column_unit

    energy, latency = result.energy_j, result.latency_s
    for key, v in _numbers(result.to_json()):
        if not math.isinf(v):
            continue
        unit = column_unit(key)  # the column's (ops_per_j: op/J, average_power_w: W)
        v = f"{v} {unit}" if unit else f"{v}"
        if "per_j" in key:
            small = " (subnormal, below 2.2e-308 J)" if 0 < energy < sys.float_info.min else ""
            refuse(arch, key, v, (ENERGY,), f": the energy {si(energy, 'J')}{small} is too small "
                   "to divide by")
        if "power" in key:
            area = (f" / area {si(result.area_m2, 'm²')}" if "per_m2" in key else "")
            refuse(arch, key, v, (ENERGY, TIME), f" = energy {si(energy, 'J')} / latency "
                   f"{si(latency, 's')}{area}: the energy and power fields give more than a float holds")
        refuse(arch, key, v, (TIME, ENERGY), f": the latency {si(latency, 's')} is too small to "
               "divide by" if "per_s" in key else "")
