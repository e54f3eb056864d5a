"""``overrides=`` values given in Python, as the config reads them: a NumPy bool on a boolean
field is that bool (find-F 4); a ``(number, unit)`` pair on a quantity field is that quantity
(find-E 3), so an optimizer's SI float goes back in with its unit, in full precision
(``(3.072e11, "B/s")`` is ``'307200000000.0 B/s'``), not through a formatter that rounds it.
A bare number on a quantity field is still refused: its unit is not known."""

from __future__ import annotations

import math
from typing import Any

from ..errors import ConfigError, one_line
from .origin import _where
from .walk import Kind


def plain_number(number: Any) -> Any:
    """A NumPy scalar (a 0-d array) as the Python number it stands for: a float32 as the decimal
    it prints as (``np.float32(0.8)`` is 0.8, not 0.800000011920929: review E 6), as a
    torch-based optimizer's float32 proposal means it."""
    if hasattr(number, "item") and getattr(number, "ndim", 0) == 0:
        dtype = getattr(number, "dtype", None)
        if getattr(dtype, "kind", "") == "f" and getattr(dtype, "itemsize", 8) < 8:
            return float(str(number))  # NumPy prints a float32 at its shortest round trip
        number = number.item()  # np.float64, a 0-d array
    return number


def _is_pair(value: Any) -> bool:
    """A ``(number, unit)`` tuple, or the 2-element list JSON or YAML turns it into (a result's
    recorded ``overrides``, loaded back: review E 3)."""
    return isinstance(value, tuple) or (isinstance(value, list) and len(value) == 2
                                        and isinstance(value[1], str)
                                        and not isinstance(value[0], str))


def python_value(value: Any, kind: Kind, dotted: str, overrides: Any, source: str) -> Any:
    """``value`` for a field of ``kind``, set by ``overrides[dotted]`` on the config ``source``;
    a bad pair is refused as the validation errors are (``overrides={...}: FIELD: ...``, with
    ``fields``: review E 2)."""
    if kind.name == "bool" and getattr(getattr(value, "dtype", None), "kind", "") == "b" \
            and getattr(value, "ndim", None) == 0:
        return bool(value)  # a NumPy bool (a mask's entry, rng.random() < p) is one
    if kind.name != "quantity" or not _is_pair(value):
        return value
    number, unit = value if len(value) == 2 else (None, None)
    number = plain_number(number)
    if isinstance(number, bool) or not isinstance(number, (int, float)) \
            or not isinstance(unit, str) or not math.isfinite(number):
        exc = ConfigError(one_line(_where(dotted, overrides, source, set_with="overrides"))
                          + f"{dotted}: {one_line(repr(value))} is not a (number, unit) pair; give "
                          f"one finite number and its unit, e.g. (3.072e11, {kind.unit!r}), or "
                          "text such as '307.2 GB/s'")
        exc.fields = [dotted]
        raise exc
    return f"{number!r} {unit.strip()}"
