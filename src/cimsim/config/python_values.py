"""``overrides=`` values given in Python, as the config reads them: a NumPy bool on a boolean
field is that bool (find-F 4); a ``(number, unit)`` pair on a quantity field is that quantity
(find-E 3), so an optimizer's SI float goes back in with its unit, in full precision
(``(3.072e11, "B/s")`` is ``'307200000000.0 B/s'``), not through a formatter that rounds it.
A bare number on a quantity field is still refused: its unit is not known."""

from __future__ import annotations

import math
from typing import Any

from ..errors import ConfigError, one_line
from .walk import Kind


def python_value(value: Any, kind: Kind, where: str) -> Any:
    """``value`` for a field of ``kind``; ``where`` names the override in an error."""
    if kind.name == "bool" and getattr(getattr(value, "dtype", None), "kind", "") == "b" \
            and getattr(value, "ndim", None) == 0:
        return bool(value)  # a NumPy bool (a mask's entry, rng.random() < p) is one
    if kind.name != "quantity" or not isinstance(value, tuple):
        return value
    number, unit = value if len(value) == 2 else (None, None)
    if hasattr(number, "item") and getattr(number, "ndim", 0) == 0:
        number = number.item()  # np.float64, a 0-d array
    if isinstance(number, bool) or not isinstance(number, (int, float)) \
            or not isinstance(unit, str) or not math.isfinite(number):
        raise ConfigError(f"{where}: {one_line(repr(value))} is not a (number, unit) pair; give "
                          f"one finite number and its unit, e.g. (3.072e11, {kind.unit!r}), or "
                          "text such as '307.2 GB/s'")
    return f"{number!r} {unit.strip()}"
