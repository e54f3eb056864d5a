"""Pydantic field types for physical quantities (unit strings in, SI floats out).

Plain numbers are refused: every quantity in a config says its unit. Every
quantity also has a *domain* checked where it is parsed: it is finite, and
either positive (``> 0``: rates, capacities, clocks) or non-negative (``>= 0``:
energies, powers, latencies). The error names the value and the domain; the
loader adds the file and the field path.

Plain-number fields (counts, fractions) use :data:`PositiveInt`,
:data:`PositiveFloat`, :data:`Fraction` and friends, which are finite and
bounded the same way, and take numbers only: a string (``cores: "16"``) is
refused, not converted (the command line's ``--set`` text is read as a number
first).
"""

from __future__ import annotations

import math
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Callable

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, StrictBool

from .report.format import si
from .units import ZERO_CELSIUS_K, UnitError, format_quantity, parse_quantity

#: domains a quantity may declare
DOMAINS = {"positive": "> 0", "nonnegative": ">= 0", "celsius": "> -273.15 °C (absolute zero)"}


@dataclass(frozen=True)
class Choices:
    """Marks a string field whose allowed values a registry holds (``cim.adc.type``,
    ``cim.cell.type``: ``Annotated[str, Choices(names)]``): ``names()`` lists them as they are
    when asked, plug-ins registered since included, so ``cimsim fields`` and a sweep's value
    check (which refuses a misspelt value before any run) read them as a Literal's choices."""

    names: Callable[[], tuple[str, ...]]


@dataclass(frozen=True)
class QuantityUnit:
    """Marks a field as a physical quantity stored as an SI float in ``unit``."""

    unit: str
    doc: str
    domain: str = "nonnegative"


def _check_domain(value: float, unit: str, domain: str) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{format_quantity(value, unit)} is not finite; the value must be finite "
                         f"and {DOMAINS[domain]}")
    if (domain == "positive" and value <= 0) or (domain == "nonnegative" and value < 0) or \
            (domain == "celsius" and value <= -ZERO_CELSIUS_K):
        raise ValueError(f"{si(value, unit, 6)} is outside the domain: the value must be "
                         f"{DOMAINS[domain]} ({unit})")
    return value


def _quantity(unit: str, doc: str, domain: str):
    def _validate(value: object) -> float:
        try:
            v = parse_quantity(value, unit)
        except UnitError as exc:
            # pydantic turns ValueError into a field error with the field's path
            raise ValueError(str(exc)) from None
        return _check_domain(v, unit, domain)

    return Annotated[
        float,
        BeforeValidator(_validate),
        PlainSerializer(lambda v: format_quantity(v, unit), return_type=str),
        QuantityUnit(unit, doc, domain),
    ]


Seconds = _quantity("s", "time, e.g. '100 ns'", "nonnegative")
PositiveSeconds = _quantity("s", "time, e.g. '100 ns'", "positive")
Hertz = _quantity("Hz", "frequency, e.g. '1.2 GHz'", "positive")
Bytes = _quantity("B", "capacity, e.g. '2 MiB' (binary) or '50 MB' (decimal)", "positive")
BytesPerSecond = _quantity("B/s", "bandwidth, e.g. '25.6 GB/s'", "positive")
Joules = _quantity("J", "energy per event, e.g. '4.6 pJ'", "nonnegative")
JoulesPerBit = _quantity("J/bit", "energy per bit moved, e.g. '3.9 pJ/bit'", "nonnegative")
JoulesPerByte = _quantity("J/B", "energy per byte accessed, e.g. '0.5 pJ/B'", "nonnegative")
Watts = _quantity("W", "power, e.g. '2 mW'", "nonnegative")
PositiveWatts = _quantity("W", "power, e.g. '20 W'", "positive")
SquareMeters = _quantity("m^2", "area, e.g. '0.5 mm^2'", "nonnegative")
#: the area of a whole die or unit: 0 m^2 would be an impossible chip
PositiveSquareMeters = _quantity("m^2", "area, e.g. '0.5 mm^2'", "positive")
Meters = _quantity("m", "length, e.g. '22 nm'", "positive")
Volts = _quantity("V", "voltage, e.g. '0.8 V'", "positive")
Amperes = _quantity("A", "current, e.g. '20 uA'", "positive")
Ohms = _quantity("ohm", "resistance, e.g. '100 kohm'", "positive")
Farads = _quantity("F", "capacitance, e.g. '2 fF'", "positive")
KelvinPerWatt = _quantity("K/W", "thermal resistance, e.g. '0.5 K/W' (or °C/W)", "positive")
Celsius = _quantity("°C", "absolute temperature, e.g. '45 °C' (or '318.15 K')", "celsius")


def _finite(v: float) -> float:
    if not math.isfinite(v):
        raise ValueError(f"{v} is not finite")
    return v


#: what YAML 1.2's core schema reads as text though it looks like a number
_YAML12_TEXT = re.compile(r"[-+]?(?:0b[01_]+|[0-9][0-9_]*(?::[0-9_]+)+|[0-9][0-9_]*_[0-9_]*(?:\.[0-9_]*)?)")
#: why (one clause)
YAML12_TEXT_REASON = ("YAML 1.2 reads digit groups (1_000), 0b binary and base 60 (1:00) as text; "
                      "write the plain number, e.g. 1000")


def text_number_reason(text: str) -> str | None:
    """Why ``text``, which looks like a number, is text and no number (YAML 1.2's core schema:
    a digit group, 0b binary, base 60; ``nan`` / ``inf`` spelt without YAML's dot); None where
    neither applies."""
    text = text.strip()
    if _YAML12_TEXT.fullmatch(text):
        return YAML12_TEXT_REASON
    if text.lstrip("+-").lower() in ("nan", "inf", "infinity"):
        return ("YAML spells not-a-number and infinity .nan and .inf, and a field of finite "
                "numbers refuses both; write a finite number")
    return None


def _strict_number(v: object) -> object:
    """A plain number, as YAML reads one: a boolean or a string (``cores: "16"``, a quoted
    number) is refused, not converted."""
    if isinstance(v, bool):
        raise ValueError(f"expected a number (got the boolean {v})")
    if isinstance(v, str):
        if why := text_number_reason(v):
            raise ValueError(f"expected a number (got the text {v!r}): {why}")
        try:
            float(v)
        except ValueError:
            raise ValueError(f"expected a number (got the text {v!r})") from None
        raise ValueError(f"expected a number (got the text {v!r}): a quoted number is text in "
                         "YAML; write it unquoted, e.g. 16, 0.7, 1e1")
    return v


_num = BeforeValidator(_strict_number)
#: counts: integers >= 1 (a float such as 2.0 is accepted; 2.5, booleans and strings are not)
PositiveInt = Annotated[int, _num, Field(ge=1)]
NonNegativeInt = Annotated[int, _num, Field(ge=0)]
#: finite floats
PositiveFloat = Annotated[float, _num, Field(gt=0, allow_inf_nan=False)]
NonNegativeFloat = Annotated[float, _num, Field(ge=0, allow_inf_nan=False)]
#: a fraction in (0, 1]
Fraction = Annotated[float, _num, Field(gt=0, le=1, allow_inf_nan=False)]


def _strict_flag(v: object) -> object:
    """A YAML boolean (``true``/``false``): text (``"true"``, a quoted word, or ``"true"`` in a
    Python ``overrides=`` mapping) and numbers are refused with the hint the number fields give
    (find-D 7: pydantic's "Input should be a valid boolean" said neither why nor what to write)."""
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        raise ValueError(f"expected true or false (got the text {v!r}): a quoted word is text in "
                         "YAML; write it unquoted, true or false (True or False in a Python "
                         "overrides= mapping; --set takes true/false, yes/no, 1/0)")
    raise ValueError(f"expected true or false (got {v!r})")


#: booleans, as YAML reads them: text and numbers (1, "yes") are refused, not converted
Flag = Annotated[bool, BeforeValidator(_strict_flag), StrictBool]

__all__ = [
    "QuantityUnit", "Choices", "Seconds", "PositiveSeconds", "Hertz", "Bytes", "BytesPerSecond", "Joules",
    "JoulesPerBit", "JoulesPerByte", "Watts", "SquareMeters", "PositiveSquareMeters", "Meters", "Volts", "Amperes", "Ohms", "KelvinPerWatt", "Celsius", "PositiveInt", "NonNegativeInt",
    "PositiveFloat", "NonNegativeFloat", "Fraction", "Flag", "AfterValidator",
]


# ------------------------------------------------------------------ extreme given values
#: beyond these magnitudes (SI units) a given value is named as a likely cause
EXTREME = (1e-30, 1e30)


def _extreme(model, prefix: str, out: list) -> None:
    """Given plain-number fields of pydantic ``model`` (and its sub-models and tables, such as
    ``energy_per_mac.fp32``) beyond :data:`EXTREME`, as ``(path, text)``."""
    for name in sorted(getattr(model, "model_fields_set", ())):
        info = type(model).model_fields.get(name)
        unit = next((m.unit for m in getattr(info, "metadata", ()) if isinstance(getattr(m, "unit", None), str)),
                    None) or _unit(getattr(info, "annotation", None))
        _value(getattr(model, name, None), f"{prefix}{name}", unit, out)


def _value(v, path: str, unit: str, out: list) -> None:
    if hasattr(v, "model_fields_set"):
        _extreme(v, f"{path}.", out)
    elif isinstance(v, Mapping):
        for key, x in v.items():
            _value(x, f"{path}.{key}", unit, out)
    elif isinstance(v, (int, float)) and not isinstance(v, bool) and v != 0 and (
            not math.isfinite(v) or not EXTREME[0] <= abs(v) <= EXTREME[1]):
        # 4 significant digits, si's exponent form: `1e-320` given is the subnormal 9.99989e-321
        # (`:g` echoed that round-off, not the value given)
        out.append((path, f"{v:.4g} {unit}".strip()))


def extreme_fields(model, prefix: str = "") -> list[tuple[str, str]]:
    """``(path, text)`` of each given number of ``model`` beyond :data:`EXTREME` (SI units):
    the likely cause of a derived number that is not finite."""
    out: list = []
    _extreme(model, prefix, out)
    return out


def _unit(annotation) -> str:
    """The unit of a quantity field's type (``Optional[Ohms]``: its QuantityUnit's), or ""."""
    for a in typing.get_args(annotation):
        if isinstance(getattr(a, "unit", None), str):
            return a.unit
        if (u := _unit(a)):
            return u
    return ""
