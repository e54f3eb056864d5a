"""Relative values: ``x0.9,x1.1`` (or ``x0.5..x2:log:8``) is a multiple of the value the config
uses for the field (stated, or derived by its circuit models), so one spec fits every config
without reading its numbers out of ``cimsim fields -c`` first.

:func:`absolute_spec` rewrites a spec's relative items into absolute values of the field's
unit; :func:`config_number` is the base they multiply (also :func:`cimsim.sensitivity`'s).
"""

from __future__ import annotations

import math
import re

from ..errors import CimsimError
from ..units import format_quantity, si
from .params import RANGE_DIGITS, RELATIVE_FORM, FieldKind, SweepSpecError, _clip

_RELATIVE = re.compile(r"^\s*x\s*(?P<factor>\S+)\s*$", re.IGNORECASE)  # a bare "x" is no factor


def _factor(text: str) -> str | None:
    """The factor text of a relative item (``x0.9`` -> ``0.9``), None for an absolute one."""
    m = _RELATIVE.match(text)
    return None if m is None else m.group("factor")


def _items(spec: str) -> list[str]:
    """The value texts of a spec: a range's two ends, or a list's items."""
    if ".." in spec:
        lo, _, rest = spec.partition("..")
        return [lo, rest.split(":")[0]]
    return spec.split(",")


def is_relative(spec: str) -> bool:
    """Whether any value of ``spec`` is relative (``x0.9``)."""
    return any(_factor(t) is not None for t in _items(spec))


def config_number(config, path: str) -> float:
    """The number the config ``config`` (a bundled name or a file) uses for the field at
    ``path``, stated or derived; refused in one line where it has none."""
    from ..bundled import resolve_config
    from ..config import load_architecture
    from ..config.resolved import used_number

    file = resolve_config(str(config))
    where = str(config) if str(config) == str(file) else f"{config} ({file})"
    try:
        arch = load_architecture(file)
    except CimsimError as exc:
        raise SweepSpecError(f"{path}: a relative value (x0.9) multiplies the config's value, but "
                             f"config {where} does not load: {str(exc).splitlines()[0]}") from None
    value = used_number(arch, path)
    if value is None:
        raise SweepSpecError(f"{path}: config {where} has no value of it to multiply (the field "
                             "is left out and not derived); give absolute values")
    return value


def _absolute(path: str, spec: str, fk: FieldKind, base: float, factor: str) -> str:
    try:
        f = float(factor)
    except ValueError:
        f = math.nan
    if not (math.isfinite(f) and f > 0):
        raise SweepSpecError(f"--param {path}={_clip(spec)}: 'x{_clip(factor, 20)}': {RELATIVE_FORM}")
    value = float(f"{base * f:.{RANGE_DIGITS}g}")
    if fk.kind == "int":
        if not value.is_integer():
            raise SweepSpecError(f"--param {path}={_clip(spec)}: x{factor} of the config's "
                                 f"{base:g} is {value:g}, not a whole number ({path} is an "
                                 "integer)")
        return str(int(value))
    return format_quantity(value, fk.unit) if fk.kind == "quantity" else repr(value)


def absolute_spec(path: str, spec: str, fk: FieldKind, configs) -> str:
    """``spec`` with each relative item (``x0.9``) replaced by that multiple of the value the
    ``configs`` use for the field (they must agree on it); refused in one line otherwise."""
    if fk.kind not in ("quantity", "int", "float"):
        raise SweepSpecError(f"--param {path}={_clip(spec)}: a relative value (x0.9) needs a "
                             f"numeric field, but {path} is {fk.describe()}")
    if not configs:
        raise SweepSpecError(f"--param {path}={_clip(spec)}: a relative value (x0.9) multiplies "
                             "a config's value: give the config")
    try:
        bases = {str(c): config_number(c, path) for c in configs}
    except SweepSpecError as exc:
        raise SweepSpecError(f"--param {path}={_clip(spec)}: "
                             f"{str(exc).removeprefix(f'{path}: ')}") from None
    (first, base), *rest = bases.items()
    other = next(((c, v) for c, v in rest if v != base), None)
    if other is not None:
        shown = (lambda v: si(v, fk.unit, 6)) if fk.kind == "quantity" else (lambda v: f"{v:g}")
        raise SweepSpecError(f"--param {path}={_clip(spec)}: a relative value multiplies the "
                             f"config's value, which differs between configs {first} "
                             f"({shown(base)}) and {other[0]} ({shown(other[1])}); sweep each "
                             "config alone, or give absolute values")

    def one(text: str) -> str:
        factor = _factor(text)
        return text if factor is None else _absolute(path, spec, fk, base, factor)

    if ".." in spec:
        lo, _, rest = spec.partition("..")
        hi, colon, opts = rest.partition(":")
        return f"{one(lo)}..{one(hi)}{colon}{opts}"
    return ",".join(one(t) for t in spec.split(","))
