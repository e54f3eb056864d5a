"""Reuse of placements and cost tables across runs that differ only in rate fields.

A *rate field* is a config field the stages apply (the engine's bandwidths)
and no component reads: today the ``bandwidth`` and ``sustained_fraction`` of
memory levels and links. A field says it is one in its own declaration,
``Field(..., json_schema_extra={"rate": True})``; nothing here lists names.
Two architectures whose validated models are equal once their rate fields are
left out place and cost a workload identically, so the placement and cost
table of one serve the other.

A :class:`CostCache` is owned by whoever reuses it (a sweep worker makes one and
passes it to every :func:`~cimsim.pipeline.simulate` it runs); nothing is cached
between calls that are not given one.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..config.value import frozen_image
from ..hw.base import is_rate

if TYPE_CHECKING:
    from ..config import Architecture
    from ..mapping.placement import Placement
    from ..workload.ir import Workload
    from .table import CostTable


def rate_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The names of ``model``'s own fields declared rates."""
    return tuple(name for name, f in model.model_fields.items() if is_rate(f))


def _rate_free(value: Any) -> Any:
    """A hashable image of a validated value with every rate field left out, at any depth."""
    return frozen_image(value, is_rate)


def rate_free_key(arch: "Architecture") -> tuple:
    """What a placement and cost table depend on: the architecture's validated models
    (memory levels, links, components) without their rate fields."""
    return (arch.name, arch.description, _rate_free(arch.memory), _rate_free(arch.links),
            _rate_free(arch.components), _rate_free(arch.technology))


class CostCache:
    """Placements and cost tables by (workload object, rate-free architecture), the last
    ``keep`` of them. ``hits`` and ``misses`` count lookups."""

    def __init__(self, keep: int = 4):
        import numbers

        if isinstance(keep, bool) or not isinstance(keep, numbers.Integral) or keep < 1:
            from ..errors import CimsimError, given

            raise CimsimError(f"CostCache(): keep must be a whole number >= 1 (the placements and "
                              f"cost tables kept), got {given(keep)}")
        self.keep = int(keep)
        self.hits = 0
        self.misses = 0
        self._entries: "OrderedDict[tuple, tuple]" = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()

    def _key(self, arch: "Architecture", workload: "Workload") -> tuple:
        return (id(workload), rate_free_key(arch))

    def get(self, arch: "Architecture", workload: "Workload") -> "tuple[Placement, CostTable] | None":
        key = self._key(arch, workload)
        entry = self._entries.get(key)
        if entry is None or entry[0] is not workload:  # the entry holds its workload: a guard
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[1], entry[2]

    def put(self, arch: "Architecture", workload: "Workload", placement: "Placement",
            costs: "CostTable") -> None:
        key = self._key(arch, workload)
        self._entries[key] = (workload, placement, costs)
        self._entries.move_to_end(key)
        while len(self._entries) > self.keep:
            self._entries.popitem(last=False)
