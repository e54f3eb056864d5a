"""Swept parameters: a dotted config path and a spec of its values, with units.

Forms of a spec (``PATH=SPEC`` on the command line)::

    25GB/s..3.2TB/s:log:32    32 values, geometric from 25 GB/s to 3.2 TB/s
    8..128:lin:16             16 values, evenly spaced from 8 to 128
    64,128,256                exactly these values
    25GB/s..3.2TB/s:log       a range without a count (random / LHS sampling only)

A value of a quantity field must carry a unit of the field's dimension
(``GB/s`` for ``memory.dram.bandwidth``); integer fields take whole numbers;
text fields (``cim.technology``) take a list. Values are stored as SI floats
(or ints / strings) and turned back into YAML-form override strings with
:func:`cimsim.units.format_quantity`.
"""

from __future__ import annotations

import math
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Optional

import numpy as np

from ..config.walk import parse_flag
from ..config.yamlread import core_number
from ..errors import CimsimError, one_line  # noqa: F401  (one_line re-exported)
from ..quantity import text_number_reason
from ..units import UnitError, format_quantity, parse_quantity

#: the sweep runs for ``cimsim sweep`` (:func:`cli_wording`): errors name its options
#: (``--sample``, ``--samples``, ``--param PATH=SPEC``); else the Python call's keywords
_CLI: ContextVar[bool] = ContextVar("cimsim_sweep_cli", default=False)
#: the value a Python ``sweep()`` call gave for the parameter being parsed, ``(path, value)``
#: (:func:`python_spec`): its warnings name it as given (``[4, 4, 5]``), not as spec text
_GIVEN: ContextVar[tuple[str, Any] | None] = ContextVar("cimsim_sweep_given", default=None)


@contextmanager
def cli_wording() -> Iterator[None]:
    """Within the block, the sweep's errors name the command line's options, not ``sweep()``'s
    keywords (``--samples N`` for ``samples=N``)."""
    token = _CLI.set(True)
    try:
        yield
    finally:
        _CLI.reset(token)


def under_cli() -> bool:
    """The sweep runs for ``cimsim sweep`` (:func:`cli_wording`)."""
    return _CLI.get()


def option(keyword: str, value: Any = None) -> str:
    """A ``sweep()`` argument as its caller wrote it: ``sample='random'`` / ``samples=`` in
    Python, ``--sample random`` / ``--samples`` from ``cimsim sweep``."""
    if _CLI.get():
        return f"--{keyword}" + ("" if value is None else f" {value}")
    return f"{keyword}=" + ("" if value is None else repr(value))


def draw_options() -> str:
    """The sampled (not grid) methods, as the caller names them."""
    return "--sample random|lhs" if _CLI.get() else "sample='random' or 'lhs'"


def outside_cimsim() -> int:
    """The ``stacklevel`` of the first frame outside cimsim, for a warning raised in the frame
    that calls this: the caller's line, so its ``warnings.filterwarnings(module=...)`` applies
    (review E 7), however deep in ``sweep(...)`` the warning is found."""
    import sys

    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("cimsim"):
        frame, level = frame.f_back, level + 1
    return level


def spec_named(path: str, spec: str) -> str:
    """One swept parameter as the caller wrote it: ``--param PATH=SPEC`` or ``params={PATH:
    VALUE}``, the value as the call gave it (a list as a list: review E 7)."""
    if _CLI.get():
        return f"--param {path}={spec}"
    given = _GIVEN.get()
    value = given[1] if given is not None and given[0] == path else spec
    return f"params={{{path!r}: {_clip(repr(value))}}}"


SPEC_FORMS = (
    "'A..B:log:N' (N geometric steps), 'A..B:lin:N' (N even steps), 'A,B,C' (a list), "
    "or 'A..B:log' / 'A..B:lin' (a range for --sample random|lhs)"
)

#: what a relative value is (sweep/relative.py), said too where a numeric field's value that
#: failed to read starts with x (a bare 'x': the factor left out)
RELATIVE_FORM = "a relative value is x and a factor > 0, a multiple of the config's value (x0.9, x1.1)"


#: Significant digits of every value a range generates (grid points between the given ends, and
#: random / LHS draws): the value printed is the value run, so ``cimsim run --set`` of a printed
#: point (``32GB/s`` of ``8GB/s..128GB/s:log:3``) reproduces its row exactly.
RANGE_DIGITS = 12


def round_point(value: float, low: float, high: float) -> float:
    """``value`` rounded to :data:`RANGE_DIGITS` significant digits, kept within [low, high]."""
    return min(max(float(f"{value:.{RANGE_DIGITS}g}"), low), high)


#: Default bound on a sweep's runs (points x configs x workloads), ``--max-points``.
DEFAULT_MAX_POINTS = 100_000


class SweepSpecError(CimsimError):
    """A swept parameter's path or spec is invalid (the message is always one printable line)."""

    def __init__(self, message: str):
        super().__init__(one_line(str(message)))


def _check_count(path: str, spec: str, n: int, max_points: int) -> None:
    if n > max_points:
        raise SweepSpecError(
            f"--param {path}={_clip(spec)}: {n:,} values exceed --max-points {max_points:,} "
            "(raise --max-points, max_points= in Python, to allow more)"
        )


@dataclass(frozen=True)
class FieldKind:
    """What a config field holds: ``kind`` is 'quantity', 'int', 'float', 'str' or 'bool'."""

    path: str
    kind: str
    unit: Optional[str] = None  # SI unit of a quantity field, e.g. "B/s"
    choices: Optional[tuple[str, ...]] = None  # allowed values of a Literal field

    def describe(self) -> str:
        if self.kind == "quantity":
            return f"a quantity in {self.unit}"
        if self.choices:
            return f"one of {', '.join(self.choices)}"
        return f"a {self.kind}"


def field_kind(path: str, data: Optional[Mapping[str, Any]] = None) -> FieldKind:
    """Tell what the config field at dotted ``path`` holds, or raise naming the allowed fields.

    Paths resolve through :func:`cimsim.config.paths.resolve` and field types are read by
    :mod:`cimsim.config.walk` (the one walker of config field types); ``data`` is a
    config's mapping when one is at hand.

    >>> field_kind("memory.dram.bandwidth").unit
    'B/s'
    """
    from ..config.paths import resolve

    try:
        ref = resolve(path, data)
    except CimsimError as exc:
        raise SweepSpecError(f"--param {path}: {exc}") from None
    k = ref.kind
    if k.name == "quantity":
        return FieldKind(path, "quantity", unit=k.unit)
    if k.name == "choice":
        return FieldKind(path, "str", choices=k.choices)
    if k.name in ("bool", "int", "float", "str"):
        return FieldKind(path, k.name)
    raise SweepSpecError(f"--param {path}: this field ({k.describe()}) cannot be swept; "
                         "sweep one of its sub-fields")


@dataclass(frozen=True)
class ParamSpec:
    """One swept parameter.

    ``values`` holds the grid (SI floats, ints or strings) when the spec has a
    count or is a list; ``low``/``high``/``scale`` describe a continuous range
    that random and Latin-hypercube sampling draw from.
    """

    path: str
    field: FieldKind
    spec: str
    values: Optional[tuple] = None
    low: Optional[float] = None
    high: Optional[float] = None
    scale: Optional[str] = None  # "lin" | "log" for ranges
    #: a whole-number field's counted range whose even steps were not whole: its values are
    #: the nearest whole numbers (said in the sweep's plan line)
    rounded: bool = False

    @property
    def unit(self) -> Optional[str]:
        return self.field.unit

    @property
    def is_range(self) -> bool:
        return self.scale is not None

    def grid(self) -> tuple:
        if self.values is None:
            raise SweepSpecError(
                f"{spec_named(self.path, self.spec)}: a grid needs a point count, e.g. "
                f"'{self.spec}:16'; or use {draw_options()}"
            )
        return self.values

    def from_unit(self, u: np.ndarray) -> list:
        """Map draws ``u`` in [0, 1) onto this parameter's values."""
        u = np.asarray(u, dtype=float)
        if self.scale is None:
            vals = self.values
            idx = np.minimum((u * len(vals)).astype(int), len(vals) - 1)
            return [vals[i] for i in idx]
        if self.field.kind == "int":
            # whole numbers low .. high: each value v owns the interval [v, v + 1) of the draw
            # (its share of the log scale for :log), so the end values are drawn as often as
            # the others and a Latin hypercube of high - low + 1 draws gives each value once
            lo, hi = math.ceil(self.low), math.floor(self.high)
            if self.scale == "log":
                x = lo * ((hi + 1) / lo) ** u
            else:
                x = lo + (hi + 1 - lo) * u
            return [min(int(math.floor(v)), hi) for v in x]
        if self.scale == "log":
            x = self.low * (self.high / self.low) ** u
        else:
            x = self.low + (self.high - self.low) * u
        return [round_point(v, self.low, self.high) for v in x]

    def override_value(self, value: Any) -> Any:
        """The value in YAML form for :func:`cimsim.config.apply_overrides`."""
        if self.field.kind == "quantity":
            return format_quantity(float(value), self.field.unit)
        return value


def _clip(text: str, most: int = 80) -> str:
    """``text``, or its start and its length when longer than ``most`` characters (a spec of
    10,000 digits made a 10,000-character error line)."""
    return text if len(text) <= most else f"{text[:most]}... ({len(text):,} characters)"


def _fail(path: str, spec: str, why: str, hint: str = "") -> SweepSpecError:
    return SweepSpecError(f"--param {path}={_clip(spec)}: {why}; a spec is {SPEC_FORMS}{hint}")


_LEADING_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def parse_value(text: str, fk: FieldKind):
    """One value of the field ``fk`` from its text (a quantity with a unit of the field's
    dimension, a whole number, a number, a flag, one of a choice's values); raises
    ``ValueError`` saying why not (the caller names where the text came from)."""
    text = text.strip()
    if not text:
        raise ValueError("empty value")
    if fk.kind == "quantity":
        try:
            v = parse_quantity(text, fk.unit)
        except UnitError as exc:
            raise ValueError(f"{fk.path} is {fk.describe()}: {exc}") from None
        # a number scaled by its unit at 15 significant digits, so one value however written
        # is one float: 700 mV is 700 x 1e-3 = 0.7000000000000001 V unrounded, 0.7 V as
        # written (review E 1); one in the SI unit is kept whole (an optimizer's float)
        written = _LEADING_NUMBER.match(text)
        if not math.isfinite(v) or (written and float(written.group()) == v):
            return v
        return float(f"{v:.15g}")
    if fk.kind == "int":  # numbers as a config file's YAML 1.2 reads them (010 -> 10, 1e3)
        try:
            v = core_number(text)
        except ValueError:  # more digits than Python converts
            v = None
        why = text_number_reason(text) if v is None else None
        if why:  # 1_000, 0b10: the reason --set gives
            raise ValueError(f"{text!r} is not a number: {why}")
        if v is None or not math.isfinite(v) or not float(v).is_integer():
            raise ValueError(f"{text!r} is not a whole number ({fk.path} is an integer)")
        return int(v)
    if fk.kind == "float":
        v = _number(text)
        v = float(v)
        if not math.isfinite(v):
            raise ValueError(f"{text!r} is not finite")
        return v
    if fk.kind == "bool":
        return parse_flag(text)  # its ValueError says what a flag is
    if fk.choices and text not in fk.choices:
        raise ValueError(f"{text!r} is not {fk.describe()}")
    return text


def _number(text: str) -> int | float:
    """``text`` as YAML 1.2 reads a number (:func:`core_number`); raises ``ValueError`` with the
    reason a config file's number field gives where that reads it as text (``1_000``, ``0b10``,
    ``1:00``: :func:`cimsim.quantity.text_number_reason`)."""
    v = core_number(text)
    if v is None:
        why = text_number_reason(text)
        raise ValueError(f"{text!r} is not a number" + (f": {why}" if why else ""))
    return v


def _parse_scalar(path: str, spec: str, text: str, fk: FieldKind):
    try:
        return parse_value(text, fk)
    except ValueError as exc:
        relative = fk.kind in ("quantity", "int", "float") and text.strip()[:1] in ("x", "X")
        raise _fail(path, spec, str(exc), f"; {RELATIVE_FORM}" if relative else "") from None


def parse_param(text: str, data: Optional[Mapping[str, Any]] = None,
                max_points: int = DEFAULT_MAX_POINTS) -> ParamSpec:
    """Parse ``'memory.dram.bandwidth=25GB/s..3.2TB/s:log:32'`` into a :class:`ParamSpec`."""
    path, eq, spec = text.partition("=")
    path, spec = path.strip(), spec.strip()
    if not eq or not path or not spec:
        raise SweepSpecError(f"--param {text!r}: expected PATH=SPEC, where a spec is {SPEC_FORMS}")
    return parse_spec(path, spec, data, max_points)


def parse_spec(path: str, spec: str, data: Optional[Mapping[str, Any]] = None,
               max_points: int = DEFAULT_MAX_POINTS) -> ParamSpec:
    """Parse one spec of the field at ``path`` (``data``: a config's mapping, when one is at
    hand); a grid of more than ``max_points`` values is refused before any value is made."""
    fk = field_kind(path, data)
    if ".." in spec:
        if fk.kind not in ("quantity", "int", "float"):
            raise _fail(path, spec, f"a range needs a numeric field, but {path} is {fk.describe()}")
        lo_text, _, rest = spec.partition("..")
        hi_text, *opts = rest.split(":")
        if not opts or opts[0] not in ("lin", "log") or len(opts) > 2:
            raise _fail(path, spec, "a range needs ':lin' or ':log' and optionally ':N'")
        scale = opts[0]
        low = float(_parse_scalar(path, spec, lo_text, fk))
        high = float(_parse_scalar(path, spec, hi_text, fk))
        if not high > low:
            raise _fail(path, spec, "the range's end must be greater than its start")
        if scale == "log" and low <= 0:
            raise _fail(path, spec, "a log range needs a start > 0")
        values, rounded = None, False
        if len(opts) == 2:
            try:  # read as a value's digits are (YAML 1.2)
                n = core_number(opts[1].strip())
            except ValueError:  # more digits than Python converts
                n = None
            if n is None or not math.isfinite(n) or not float(n).is_integer():
                why = text_number_reason(opts[1]) if n is None else None
                raise _fail(path, spec, f"point count {_clip(opts[1])!r} is not an integer"
                            + (f": {why}" if why else ""))
            n = int(n)
            if n < 2:
                raise _fail(path, spec, f"a range needs at least 2 points, got {n}")
            _check_count(path, spec, n, max_points)
            with np.errstate(over="ignore", invalid="ignore"):  # an overflowing range is refused below
                if scale == "log":
                    grid = np.geomspace(low, high, n)
                else:
                    grid = np.linspace(low, high, n)
            if fk.kind != "int":  # round values, the ends exactly as given
                grid = np.array([round_point(v, low, high) if np.isfinite(v) else v for v in grid])
            grid[0], grid[-1] = low, high
            if fk.kind == "int":
                ints = [int(round(v)) for v in grid]
                if len(set(ints)) != len(ints):
                    raise _fail(path, spec, f"{n} points between {low:g} and {high:g} repeat whole numbers; use fewer")
                values = tuple(ints)
                rounded = bool(np.any(np.abs(grid - np.array(ints)) > 1e-9 * np.abs(grid)))
            else:
                if not np.all(np.isfinite(grid)):
                    raise _fail(path, spec, f"the range from {low:g} to {high:g} overflows a float")
                values = tuple(float(v) for v in grid)
                if len(set(values)) != len(values):
                    raise _fail(path, spec, f"{n} points between {low:g} and {high:g} repeat values; use fewer")
        return ParamSpec(path, fk, spec, values=values, low=low, high=high, scale=scale,
                         rounded=rounded)
    if ":" in spec and fk.kind != "str":
        raise _fail(path, spec, "':lin'/':log' need a range 'A..B'")
    items = spec.split(",")
    _check_count(path, spec, len(items), max_points)
    values = tuple(_parse_scalar(path, spec, s, fk) for s in items)
    if len(set(values)) != len(values):  # an optimizer's batch proposing a value again: one point
        import warnings

        from ..errors import CimsimWarning

        again = [s.strip() for s, v in zip(items, values) if values.count(v) > 1]
        warnings.warn(f"{spec_named(path, spec)}: the list repeats {', '.join(dict.fromkeys(again))}"
                      f" (the same value however written): each runs once, {len(set(values))} "
                      f"distinct of {len(values)}", CimsimWarning, stacklevel=outside_cimsim())
        values = tuple(dict.fromkeys(values))
    return ParamSpec(path, fk, spec, values=values)


# --------------------------------------------------------------------------- from Python
def _value_text(path: str, value: Any, item: Any, where: str) -> str:
    """One sweep value given in Python (a number, a boolean, a string) as spec text."""
    if isinstance(item, np.generic):
        item = item.item()
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, (int, float)):
        return repr(item)
    if isinstance(item, str) and item.strip() and "," not in item and ".." not in item:
        return item
    from ..errors import given

    raise SweepSpecError(f"params={{{path!r}: {_clip(repr(value))}}}: {where}{given(item)} is not "
                         "a value; give a spec string such as '4,5' or '25GB/s..3.2TB/s:log:8', or "
                         "a list, tuple or range of numbers, booleans or strings such as '1 TB/s' "
                         "(without ',' or '..')")


def spec_text(path: str, value: Any) -> str:
    """A sweep value given in Python as spec text: a str as it is (any form of
    :data:`SPEC_FORMS`); a number or boolean as one value; a list, tuple or range (or a 1-D
    NumPy array) as its values, comma-separated (``[4, 5]`` and ``range(4, 6)`` are ``'4,5'``);
    a 0-d array (``np.array(5)``, what NumPy arithmetic often returns) is its one value."""
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return _value_text(path, value, value.item(), "")
    if isinstance(value, (list, tuple, range, np.ndarray)):
        items = value.tolist() if isinstance(value, np.ndarray) else list(value)
        if not items:
            raise SweepSpecError(f"params={{{path!r}: {_clip(repr(value))}}}: no values; give at "
                                 "least one")
        return ",".join(_value_text(path, value, item, f"item #{i} ")
                        for i, item in enumerate(items))
    return _value_text(path, value, value, "")


def python_spec(path: str, value: Any, parse) -> "ParamSpec":
    """``parse(path, text)`` of a value given in Python, ``params={PATH: VALUE}``; an error is
    worded for that call (``params={'cim.adc.bits': 'x'}: ...``), not for the command line's
    ``--param PATH=SPEC``."""
    text = spec_text(path, value)
    token = _GIVEN.set((path, value))  # a warning names the value as given (review E 7)
    try:
        return parse(path, text)
    except SweepSpecError as exc:
        raise SweepSpecError(python_wording(str(exc), path, value)) from None
    finally:
        _GIVEN.reset(token)


def python_wording(msg: str, path: str, value: Any) -> str:
    """``msg``, an error about ``--param PATH=SPEC``, worded for the Python call that gave the
    value, ``params={PATH: VALUE}``."""
    text = spec_text(path, value)
    for prefix in (f"--param {path}={_clip(text)}", f"--param {path}={text}", f"--param {path}"):
        if msg.startswith(prefix):
            msg = f"params={{{path!r}: {_clip(repr(value))}}}" + msg[len(prefix):]
            break
    msg = msg.replace(f"a spec is {SPEC_FORMS}", f"a value is a spec string, "
                      f"{SPEC_FORMS.replace('--sample random|lhs', draw_options())}, or a "
                      "list, tuple or range of values")
    return msg.replace("exceed --max-points ", "exceed max_points=").replace(
        "(raise --max-points, max_points= in Python, to allow more)", "(raise max_points= to allow more)")
