"""What a CIM block's totals stand for: the area of the arrays a run needs (the fact
``<cim>_area_needed_m2``) and the config totals that do not scale with ``arrays``
(:meth:`cimsim.hw.base.Component.fixed_totals`)."""

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
    block, the leakage model derives it per array and it scales)."""
    c = comp.config
    return ({"static_power": ("arrays", c.arrays, float(c.static_power), "W")}
            if c.static_power is not None and c.static_power > 0 else {})
