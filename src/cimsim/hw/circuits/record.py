"""The record every circuit model returns: energy per event, delay, area, and their sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Union

import numpy as np

#: a float, or a NumPy array when a knob was given as an array (a sweep evaluated at once)
Number = Union[float, np.ndarray]

#: what a number rests on: ``derived`` from published equations and data (cited in ``source``);
#: ``placeholder`` when some input to it is a (U) value with no source. (``given`` is for the
#: component, once wiring lets a config state a number explicitly.)
PROVENANCES = ("given", "derived", "placeholder")

FIELDS = ("energy_j", "delay_s", "area_m2")


@dataclass(frozen=True, eq=False)
class PartEstimate:
    """Energy per event (J), delay of one event (s) and area of one instance (m^2) of a part.

    ``provenance`` is the weakest of ``field_provenance`` (a field resting on a placeholder makes
    the whole record a placeholder); ``source`` names the equations and data behind the numbers.
    """

    energy_j: Number
    delay_s: Number
    area_m2: Number
    source: str
    field_provenance: Mapping[str, str] = field(
        default_factory=lambda: {f: "derived" for f in FIELDS})

    def __post_init__(self):
        for f in FIELDS:
            p = self.field_provenance.get(f)
            if p not in PROVENANCES:
                raise ValueError(f"PartEstimate.field_provenance[{f!r}] is {p!r}; allowed: "
                                 f"{', '.join(PROVENANCES)}")

    @property
    def provenance(self) -> str:
        """``placeholder`` if any field rests on one, else ``derived`` (or ``given`` if all are)."""
        ps = set(self.field_provenance[f] for f in FIELDS)
        if "placeholder" in ps:
            return "placeholder"
        return "given" if ps == {"given"} else "derived"


def provenance(**placeholders: bool) -> dict:
    """``{field: 'placeholder' if placeholders[field] else 'derived'}`` for the three fields."""
    unknown = set(placeholders) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}; allowed: {', '.join(FIELDS)}")
    return {f: "placeholder" if placeholders.get(f, False) else "derived" for f in FIELDS}
