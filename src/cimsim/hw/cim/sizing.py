"""What a CIM block's totals stand for: the area of the arrays a run needs (the fact
``<cim>_area_needed_m2``) and the config totals that do not scale with ``arrays``
(:meth:`cimsim.hw.base.Component.fixed_totals`), and the given numbers that would follow
``adc.bits`` if left out (:meth:`~cimsim.hw.base.Component.stated_dependents`)."""

from __future__ import annotations

import math

#: the area parts (:data:`.derive.AREA_FIELDS`) that scale with ``arrays``: each array's cells,
#: ADCs, DACs and digital (shift-add) logic; the buffer, ``other`` and a chip block's buffers,
#: interconnect, periphery and layout overhead are one each, whatever the arrays
PER_ARRAY_PARTS = ("arrays", "adc", "dac", "digital")


def area_needed_m2(comp, needed: int) -> float:
    """The area of the ``needed`` arrays: ``needed`` x one array's share of
    :data:`PER_ARRAY_PARTS` (their area / ``arrays``); NaN when the block declares no area.
    Beside ``area_m2`` (every provisioned array) it is the area a design sized to the workload
    would take, without the spare arrays that only copy weights for speed."""
    a = comp.design.area
    if a is None:
        return math.nan
    return needed * sum(a[p] for p in PER_ARRAY_PARTS) / comp.config.arrays


def fixed_totals(comp) -> dict[str, tuple[str, int, float, str]]:
    """A given ``static_power`` is one total for all ``arrays`` (left out, with a technology
    block, the leakage model derives it per array and it scales); so are a given
    ``area.buffer`` and ``area.other`` (ISAAC's per-tile eDRAM and bus / router share, stated
    for 177 tiles: find-B 2), which each chip of ``chips`` counts whole."""
    c = comp.config
    out = ({"static_power": ("arrays", c.arrays, float(c.static_power), "W")}
           if c.static_power is not None and c.static_power > 0 else {})
    for part in ("buffer", "other"):
        value = getattr(c.area, part, None) if c.area is not None else None
        if value is not None and value > 0:
            out[f"area.{part}"] = ("arrays", c.arrays, float(value), "m^2")
    return out


#: the ADC numbers the circuit models derive from ``adc.bits`` when left out (with ``adc.type``):
#: energy per conversion, conversion rate, area of one ADC; (config path, unit)
ADC_BY_BITS = (("adc.energy_per_conversion", "J"), ("adc.sample_rate", "Hz"), ("area.adc", "m^2"))


def stated_dependents(comp) -> dict[str, tuple[object, dict[str, tuple[float, str]]]]:
    """The ADC numbers of :data:`ADC_BY_BITS` the config gives: they stay as given when
    ``adc.bits`` changes (a SAR ADC's energy halves roughly per bit removed, Murmann's survey).
    None with ``adc.counting``, whose energy and rate are per counting step, whatever the bits."""
    c = comp.config
    if c.adc.counting is not None:
        return {}
    blocks = {"adc": c.adc, "area": c.area}
    given = {}
    for path, unit in ADC_BY_BITS:
        block, _, name = path.partition(".")
        value = getattr(blocks[block], name, None) if blocks[block] is not None else None
        if value is not None:
            given[path] = (float(value), unit)
    return {"adc.bits": (c.adc.bits, given)} if given else {}
