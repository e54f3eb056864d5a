"""Physical quantities at the boundary: ``"25.6 GB/s"`` in, SI float out.

This is the only place where unit strings are read or written. Everything
inside cimsim is a plain ``float`` in the SI (or information) base unit named
by the field: seconds, hertz, bytes, bytes/second, joules, joules/bit,
joules/byte, watts.

Prefixes
--------
Decimal prefixes are powers of ten (``k`` = 1e3, ``M`` = 1e6, ``G`` = 1e9,
``T`` = 1e12, ``m`` = 1e-3, ``u``/``µ`` = 1e-6, ``n`` = 1e-9, ``p`` = 1e-12,
``f`` = 1e-15). Binary prefixes are powers of two (``Ki`` = 2**10,
``Mi`` = 2**20, ``Gi`` = 2**30, ``Ti`` = 2**40) and apply to ``B`` and ``bit``
only. So ``1 MB`` is 1,000,000 bytes and ``1 MiB`` is 1,048,576 bytes. A decimal
prefix below one (``m`` ``u`` ``n`` ``p`` ``f``) on ``B``, ``bit`` or ``b`` is refused,
also inside a compound unit (``mb/s``, ``J/mB``): a millibyte is never meant, so
``37.5 mb`` answers ``did you mean 'MB' or 'Mb'?`` (``pJ/bit`` is fine: its ``p`` is on
the ``J``).

Base units
----------
``s`` second, ``Hz`` hertz, ``B`` byte, ``bit`` (or ``b``) bit, ``J`` joule,
``W`` watt, ``m`` metre; for circuit parameters ``V`` volt, ``A`` ampere, ``ohm`` (or
``Ω``) and ``F`` farad (a fifth dimension, charge, tells them apart). A unit expression is a product of these with at most one ``/``:
``GB/s``, ``pJ/bit``, ``pJ/B``, ``mW``. We deliberately do not use pint: its
``bit`` is dimensionless, so it cannot tell a bandwidth (``GB/s``) from a
frequency (``GHz``), which is exactly the mistake a config author makes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = [
    "UnitError",
    "Unit",
    "parse_unit",
    "parse_quantity",
    "format_quantity",
    "number_text",
]


class UnitError(ValueError):
    """A quantity string could not be parsed or has the wrong dimension."""


# Dimension exponents: (time, information, energy, length, charge, temperature).
_DIM_NAMES = ("time", "information", "energy", "length", "charge", "temperature")
_NONE = (0, 0, 0, 0, 0, 0)

_BASE = {
    # symbol: (factor to base, dims)
    "s": (1.0, (1, 0, 0, 0, 0, 0)),
    "Hz": (1.0, (-1, 0, 0, 0, 0, 0)),
    "B": (1.0, (0, 1, 0, 0, 0, 0)),  # byte is the base of information
    "bit": (1.0 / 8.0, (0, 1, 0, 0, 0, 0)),
    "b": (1.0 / 8.0, (0, 1, 0, 0, 0, 0)),
    "J": (1.0, (0, 0, 1, 0, 0, 0)),
    "W": (1.0, (-1, 0, 1, 0, 0, 0)),
    "m": (1.0, (0, 0, 0, 1, 0, 0)),  # metre: areas are written mm^2 (a prefix applies before the power)
    # circuit quantities (technology and cell parameters): volt = J/C, ampere = C/s, ohm = V/A
    "V": (1.0, (0, 0, 1, 0, -1, 0)),
    "A": (1.0, (-1, 0, 0, 0, 1, 0)),
    "ohm": (1.0, (1, 0, 1, 0, -2, 0)),
    "Ω": (1.0, (1, 0, 1, 0, -2, 0)),
    "F": (1.0, (0, 0, -1, 0, 2, 0)),  # farad = C/V (a CIM cell's unit capacitance)
    # a temperature difference (a thermal resistance: K/W = °C/W); an absolute temperature is
    # read by parse_quantity(text, CELSIUS) alone, where K is offset by 273.15 (find-B 5)
    "K": (1.0, (0, 0, 0, 0, 0, 1)),
    "°C": (1.0, (0, 0, 0, 0, 0, 1)),
    "degC": (1.0, (0, 0, 0, 0, 0, 1)),
}
#: the unit of an absolute temperature field (``thermal.t_ambient``): °C, or K written as such
CELSIUS = "°C"
#: 0 °C in K
ZERO_CELSIUS_K = 273.15

_DECIMAL = {
    "": 1.0,
    "f": 1e-15,
    "p": 1e-12,
    "n": 1e-9,
    "u": 1e-6,
    "µ": 1e-6,
    "μ": 1e-6,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    # the rest of SI, as :func:`si` prints them (what it prints can be typed back)
    "E": 1e18, "Z": 1e21, "Y": 1e24, "R": 1e27, "Q": 1e30,
    "a": 1e-18, "z": 1e-21, "y": 1e-24, "r": 1e-27, "q": 1e-30,
}
#: information units: a decimal prefix below one on them (``mB``, ``mb``, ``nbit``, also in
#: ``mb/s`` or ``J/mB``) is refused, never read as a fraction of a byte or bit
_INFO = {"B": "byte", "b": "bit", "bit": "bit"}
_SUB_NAMES = {"f": "femto", "p": "pico", "n": "nano", "u": "micro", "µ": "micro", "μ": "micro",
              "m": "milli", "a": "atto", "z": "zepto", "y": "yocto", "r": "ronto", "q": "quecto"}
_DIM_WORDS = {
    (1, 0, 0, 0, 0, 0): "time",
    (-1, 0, 0, 0, 0, 0): "frequency",
    (0, 1, 0, 0, 0, 0): "capacity",
    (-1, 1, 0, 0, 0, 0): "bandwidth",
    (0, 0, 1, 0, 0, 0): "energy",
    (0, -1, 1, 0, 0, 0): "energy per information",
    (-1, 0, 1, 0, 0, 0): "power",
    (0, 0, 0, 2, 0, 0): "area",
    (0, 0, 1, 0, -1, 0): "voltage",
    (-1, 0, 0, 0, 1, 0): "current",
    (1, 0, 1, 0, -2, 0): "resistance",
    (0, 0, 0, 0, 0, 1): "temperature",
    (1, 0, -1, 0, 0, 1): "thermal resistance",
}
#: clock units, read only where a time is expected (``--period 10min``, a config's latency):
#: never prefixed, and nowhere inside a compound unit (``J/h`` is refused)
CLOCK_UNITS = {"min": 60.0, "h": 3600.0, "d": 86400.0}
_BINARY = {"Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "Pi": 2.0**50}

#: look-alike code points read as the symbol: U+2126 OHM SIGN as U+03A9 (datasheets and word
#: processors type it); the micro sign U+00B5 and Greek mu U+03BC are both prefixes (_DECIMAL)
_SIGNS = str.maketrans({"\u2126": "\u03a9"})
#: a number written with digit groups (``1,000``, ``1 000``, ``1_000``, ``1'000``, thin or
#: no-break spaces) or a decimal comma (``2,5``): refused, saying so (never read as ``1``)
_GROUPED = re.compile(r"^\s*[-+]?\d{1,3}(?:[,_'\u2019 \u00a0\u2009\u202f]\d{3})+(?:\.\d+)?(?![\d,])")
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+")
#: both, as much of Europe writes them (``1.000,5``, ``1 000,5``), or dot groups (``1.000.000``)
_GROUPED_COMMA = re.compile(r"^\s*[-+]?\d{1,3}(?:(?:[.'\u2019 \u00a0\u2009\u202f]\d{3})+,\d+|(?:\.\d{3}){2,}(?![\d.,]))")
_POWER = re.compile(r"^(.+?)(?:\^([-+]?\d+)|(²))$")
_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


@dataclass(frozen=True)
class Unit:
    """A unit: multiply a number in this unit by ``factor`` to get base units."""

    factor: float
    dims: tuple[int, int, int, int, int, int]

    def describe_dims(self) -> str:
        """``'frequency (1/time)'``, ``'bandwidth (information/time)'``, ..."""
        parts = [f"{n}^{e}" if e != 1 else n for n, e in zip(_DIM_NAMES, self.dims) if e]
        formula = " * ".join(parts) if parts else "dimensionless"
        name = _DIM_WORDS.get(self.dims)
        return f"{name} ({formula})" if name and name != formula else (name or formula)


def _power_hint(atom: str, expr: str) -> str:
    """``"; write the power with ^: 'W/mm^2'"`` for the ``mm2`` of ``W/mm2`` (a length unit and a
    trailing 2 or 3, find-C 23 C 5; the whole unit, review 23 G 8), else ``''`` (``ms2`` is no
    area: no hint)."""
    base, power = atom[:-1], atom[-1:]
    if not base or power not in "23":
        return ""
    try:
        if _parse_atom(base).dims != _BASE["m"][1]:
            return ""
    except UnitError:
        return ""
    fixed = re.sub(rf"(?<![\w^]){re.escape(atom)}(?!\w)", f"{base}^{power}", expr)
    return f"; write the power with ^: {fixed!r}"


def _centi_hint(atom: str) -> str:
    """For ``cm`` (``cm2``, ``cm^2``): centi is no prefix here, with the conversion to mm (review
    23 G 8: W/cm² is the usual power density)."""
    if atom.rstrip("23") != "cm":
        return ""
    return ("; c (centi) is not a prefix: write mm or m (1 cm = 10 mm, 1 cm^2 = 100 mm^2, "
            "1 W/cm^2 = 0.01 W/mm^2)")


def _parse_atom(atom: str) -> Unit:
    if atom in _BASE:
        f, d = _BASE[atom]
        return Unit(f, d)
    for pfx, mult in _BINARY.items():
        if atom.startswith(pfx) and atom[len(pfx):] in ("B", "bit", "b"):
            f, d = _BASE[atom[len(pfx):]]
            return Unit(mult * f, d)
    for pfx, mult in _DECIMAL.items():
        if pfx and atom.startswith(pfx) and atom[len(pfx):] in _BASE:
            base = atom[len(pfx):]
            if mult < 1 and base in _INFO:  # a millibyte or a nanobit is never meant
                raise UnitError(
                    f"unit {atom!r} is {_a(_SUB_NAMES.get(pfx, pfx) + _INFO[base])} ({mult:g} "
                    f"{_INFO[base]}): a byte or bit takes no prefix below one{_case_hint(atom)}")
            f, d = _BASE[base]
            return Unit(mult * f, d)
    if atom.startswith("K") and atom[1:] in _BASE:  # 1 KB: a kilobyte or a kibibyte?
        raise UnitError(f"unit {atom!r}: K is not a prefix; write k{atom[1:]} (1000) "
                        f"{f'or Ki{atom[1:]} (1024)' if atom[1:] in _INFO else ''}".rstrip())
    hint = _case_hint(atom) or _rate_hint(atom) or _centi_hint(atom)
    if hint:  # the spelling meant: the list of every unit would only bury it
        raise UnitError(f"unknown unit {atom!r}{hint}")
    raise UnitError(
        f"unknown unit {atom!r}; known units are s, Hz, B, bit, J, W, m, m^2, V, A, "
        "ohm, F, K, °C with decimal prefixes q r y z a f p n u m k M G T P E Z Y R Q or binary prefixes "
        "Ki Mi Gi Ti Pi (B and bit only)"
    )


def _known(bases) -> list[str]:
    """Every prefixed unit of ``bases`` that parses (no prefix below one on a byte or bit)."""
    return ([p + b for p, m in _DECIMAL.items() for b in bases if m >= 1 or b not in _INFO]
            + [p + b for p in _BINARY for b in ("B", "bit") if b in bases])


def _case_hint(atom: str) -> str:
    """`` (did you mean 'GB'?)`` when ``atom`` is a known unit written in the wrong case
    (``gb``, ``Mhz``, ``kib``, and ``mb``: a millibit is refused, :data:`_INFO`); units are
    case-sensitive (``mW`` is a milliwatt, ``MW`` a megawatt)."""
    close = sorted({k for k in _known(_BASE) if k.lower() == atom.lower()})
    return f" (did you mean {' or '.join(repr(k) for k in close)}?)" if close else ""


def _rate_hint(atom: str) -> str:
    """`` (did you mean 'GB/s'? ...)`` for a datasheet's rate spelling, an information unit
    with ``ps`` (per second) on it: ``GBps``, ``Gbps``, ``MBps``, ``kbps`` (``gbps``: each
    spelling it may mean)."""
    if len(atom) < 3 or atom[-2:].lower() != "ps":
        return ""
    stem = atom[:-2]
    info = _known(_INFO)
    close = [stem] if stem in info else sorted({k for k in info if k.lower() == stem.lower()})
    return (f" (did you mean {' or '.join(repr(f'{k}/s') for k in close)}? a rate is written with "
            "'/s')" if close else "")


def parse_unit(expr: str) -> Unit:
    """Parse a unit expression such as ``"GB/s"`` or ``"pJ/bit"``."""
    expr = expr.strip().translate(_SIGNS)
    if not expr:
        return Unit(1.0, _NONE)
    if expr.count("/") > 1:
        raise UnitError(f"unit {expr!r} has more than one '/'")
    if "**" in expr:  # Python's power (review 23 G 8): 'mm**2' would read '2' as a unit
        raise UnitError(f"unit {expr!r}: write a power with ^, not **: {expr.replace('**', '^')!r}")
    num, _, den = expr.partition("/")
    factor = 1.0
    dims = list(_NONE)
    for sign, side in ((1, num), (-1, den)):
        for atom in filter(None, re.split(r"[*·\s]+", side.strip())):
            power = _POWER.match(atom)
            exp = 1
            if power:
                atom, exp = power.group(1), 2 if power.group(3) else int(power.group(2))
            elif (hint := _power_hint(atom, expr)) and not _known_atom(atom):
                raise UnitError(f"unknown unit {atom!r}{hint}")
            u = _parse_atom(atom)
            f = u.factor ** exp
            factor = factor * f if sign > 0 else factor / f
            for i in range(len(_NONE)):
                dims[i] += sign * exp * u.dims[i]
    return Unit(factor, tuple(dims))  # type: ignore[arg-type]


def _known_atom(atom: str) -> bool:
    try:
        _parse_atom(atom)
    except UnitError:
        return False
    return True


def _a(noun: str) -> str:
    """``an energy``, ``a frequency``."""
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def parse_quantity(text: object, unit: str) -> float:
    """Convert ``text`` (e.g. ``"25.6 GB/s"``) to a float in ``unit`` (e.g. ``"B/s"``).

    Raises :class:`UnitError` with a message that says what was expected when
    the string has no unit, an unknown unit, or a unit of another dimension.
    Plain numbers are refused: a bare ``25.6`` in a config is ambiguous.
    """
    if unit == CELSIUS:
        return _celsius(text)
    target = parse_unit(unit)
    if isinstance(text, bool) or not isinstance(text, str):
        if isinstance(text, (int, float)):  # (a boolean too: YAML's `true` where a quantity goes)
            shown, why = number_text(text), "a bare number is ambiguous; write its unit"
            if not isinstance(text, bool) and math.isfinite(text) and text > 0:
                why += f", e.g. '{si(text, unit)}' if it is in {unit}"
        else:
            shown = repr(text)
            why = f"a {type(text).__name__.replace('NoneType', 'null')}, not one quantity"
        raise UnitError(f"expected a quantity with a unit like '{_example(unit)}' (got {shown}): {why}")
    both = _GROUPED_COMMA.match(text)
    grouped, comma = _GROUPED.match(text), _DECIMAL_COMMA.match(text)
    if both:
        digits = both.group(0).strip()
        whole, _, frac = digits.partition(",")
        plain = re.sub(r"[^-+0-9]", "", whole) + (f".{frac}" if frac else "")
        what = ("digit groups (thousands separators) and a decimal comma are" if frac else
                "digit groups (thousands separators) are")
    elif grouped or comma:
        digits = (grouped or comma).group(0).strip()
        plain, what = ((re.sub(r"[^-+0-9.]", "", digits), "digit groups (thousands separators) are")
                       if grouped else (digits.replace(",", "."), "a decimal comma is"))
    if both or grouped or comma:
        raise UnitError(f"cannot read {text!r}: {what} not read; write {digits!r} as {plain}, "
                        f"e.g. '{_example(unit)}'")
    m = _NUMBER.match(text)
    if not m:
        raise UnitError(f"cannot read {text!r} as a number with a unit, e.g. '{_example(unit)}'")
    value = float(m.group(1))
    if not math.isfinite(value):
        raise UnitError(f"{text!r} is not a finite number")
    time = _BASE["s"][1]
    if m.group(2) in CLOCK_UNITS:  # a time: 10 min, 1 h, 1 d; elsewhere said as a time
        if target.dims == time:
            return value * CLOCK_UNITS[m.group(2)] / target.factor
        raise UnitError(f"{text!r} is {_a(Unit(1.0, time).describe_dims())} quantity, but this "
                        f"field needs {target.describe_dims()} (like '{_example(unit)}')")
    try:
        given = parse_unit(m.group(2))
    except UnitError as exc:  # a time also takes the clock units (review 22 F 7: 1hour, 1 day)
        if target.dims != time:
            raise
        raise UnitError(f"{exc}; a time also takes min, h and d, unprefixed (10min, 1h, 1d)") from None
    if m.group(2) == "" and target.dims != _NONE:
        raise UnitError(
            f"{text!r} has no unit; expected a quantity like '{_example(unit)}'"
        )
    if given.dims != target.dims:
        raise UnitError(
            f"{text!r} is {_a(given.describe_dims())} quantity, but this field needs "
            f"{target.describe_dims()} (like '{_example(unit)}')"
        )
    return value * given.factor / target.factor


def _celsius(text: object) -> float:
    """An absolute temperature in °C: ``45 °C`` (or ``degC``), or ``318.15 K`` (less 273.15);
    a prefixed or compound unit is refused (a temperature difference such as ``mK`` is no
    ambient)."""
    try:  # a quantity of temperature, its errors as any field's (the example in °C)
        value = parse_quantity(text, "K")
    except UnitError as exc:
        raise UnitError(re.sub(r", e\.g\. '[^']*' if it is in K", ", e.g. '45 °C' or '318.15 K'",
                               str(exc)).replace("'1 K'", "'45 °C'")) from None
    given = _NUMBER.match(str(text)).group(2).translate(_SIGNS)
    if given in ("°C", "degC"):
        return value
    if given == "K":
        return value - ZERO_CELSIUS_K
    raise UnitError(f"{text!r}: an absolute temperature is written in °C (or degC) or in K, "
                    f"unprefixed, e.g. '45 °C' or '318.15 K'")


def number_text(x: float) -> str:
    """A number as a config writes it: ``repr`` (``25.6``, ``0.7``, ``12345678.0``), but a whole
    number ending in five zeros or more, or one with an exponent in short exponent form (``1e10``, ``1.5e6``, ``1e-9``; YAML reads
    ``1e10`` as ``10000000000.0``)."""
    r = repr(x)
    if isinstance(x, bool) or not isinstance(x, float) or not math.isfinite(x):
        return r
    if "e" in r:
        mantissa, _, exp = r.partition("e")
        return f"{mantissa}e{int(exp)}"
    sign, digits = ("-", r[1:-2]) if r.startswith("-") else ("", r[:-2])
    sig = digits.rstrip("0")
    if r.endswith(".0") and sig and len(digits) - len(sig) >= 5:  # 1500000.0, not 12345678.0
        return f"{sign}{sig[0]}{'.' + sig[1:] if len(sig) > 1 else ''}e{len(digits) - 1}"
    return r


def format_quantity(value: float, unit: str) -> str:
    """Write ``value`` (in ``unit``) back as a string that :func:`parse_quantity` reads."""
    return f"{float(value)!r} {unit}"


_EXAMPLES = {
    "B/s": "25.6 GB/s",
    "Hz": "1.2 GHz",
    "s": "100 ns",
    "B": "2 MiB",
    "J": "4.6 pJ",
    "J/bit": "3.9 pJ/bit",
    "J/B": "0.5 pJ/B",
    "W": "2 mW",
    "m^2": "0.5 mm^2",
    "m": "22 nm",
    "V": "0.8 V",
    "A": "20 uA",
    "ohm": "100 kohm",
    "F": "2 fF",
    "K/W": "0.5 K/W",
    CELSIUS: "45 °C",
}


def _example(unit: str) -> str:
    return _EXAMPLES.get(unit, f"1 {unit}")


# --------------------------------------------------------------------------- printing
_PREFIXES = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"),
             (1e-6, "µ"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f")]
#: the prefixes numbers are printed with, T to f, largest first: (scale, prefix)
SI_PREFIXES = tuple(_PREFIXES)
#: every SI prefix, quetta to quecto: for a number the T..f range would print with an exponent
_ALL_PREFIXES = [(1e30, "Q"), (1e27, "R"), (1e24, "Y"), (1e21, "Z"), (1e18, "E"), (1e15, "P"),
                 *_PREFIXES, (1e-18, "a"), (1e-21, "z"), (1e-24, "y"), (1e-27, "r"), (1e-30, "q")]

#: area units :func:`si` accepts, and their size in m²
AREA_UNITS = {"m²": 1.0, "m^2": 1.0, "mm²": 1e-6, "mm^2": 1e-6, "cm²": 1e-4, "cm^2": 1e-4,
              "µm²": 1e-12, "um^2": 1e-12}
#: areas from this many mm² on are printed in cm²
CM2_FROM_MM2 = 1e4


def si(value: float, unit: str, digits: int = 4) -> str:
    """``si(0.0123, "s") -> '12.3 ms'``; zero, NaN and inf are printed plainly. An area unit
    (``AREA_UNITS``) is printed by :func:`area`, never prefixed. T to f as always (``1000
    TB``, ``0.853 fJ``); a number they would print with an exponent takes the prefixes up to
    Q (quetta, 1e30) and down to q (quecto, 1e-30) (``320 PB``), and beyond those (an absurd
    input's result) it is printed with an exponent and the bare unit (``4.04e+207 s``,
    ``1.234e-35 J``): the order of magnitude stays visible, never hundreds of digits. A byte
    or bit count below 1 is printed in full (``0.5 B``) down to 1e-30, with an exponent below."""
    if unit in AREA_UNITS and value is not None:
        return area(float(value) * AREA_UNITS[unit], digits)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"nan {unit}".strip()
    if value == 0 or math.isinf(value):
        return f"{value:g} {unit}".strip()
    if unit.split("/")[0] in _INFO and abs(value) < 1:  # "0.5 B", never "500 mB" (refused as input)
        return f"{_plain(value, digits) if abs(value) >= 1e-30 else f'{value:.{digits}g}'} {unit}"
    text, scale, prefix = _pick(value, digits, _PREFIXES)
    if "e" in text:  # past T..f (``3.2e+05 T``): the other prefixes, then an exponent
        text, scale, prefix = _pick(value, digits, _ALL_PREFIXES)
        if "e" in text:
            text, prefix = f"{value:.{digits}g}", ""
    return f"{text} {prefix}{unit}".strip()


def capacity_text(value: float, digits: int = 4) -> str:
    """A configured capacity as :func:`si` prints it, led by its binary form where it is a whole
    or two-decimal number of the largest of KiB to PiB it is one of (``80 GiB (85.9 GB)``,
    ``37.5 MiB (39.32 MB)``, ``640 KiB (655.4 kB)``): a capacity a config states in KiB..PiB is
    shown back as written (review 23 G 4, final read 23 F1 1); ``2.024 GB`` (no such number), and
    a round decimal one (three significant digits or fewer: ``80 GB``, ``16 MB``, though 16e6 B
    is 15,625 KiB), or one that would need more than five significant digits (a footprint
    given as a capacity: ``12,937,488 KiB``), as :func:`si` alone. For a capacity the user
    wrote only: a computed byte count (a share, a footprint) is printed by :func:`si`, or by
    :func:`bytes_of` beside the capacity it may equal."""
    b = float(value) if value is not None else math.nan
    if math.isfinite(b) and b >= 2 ** 10 and float(f"{b:.3g}") != b:  # not a round decimal
        for pfx, m in reversed([*_BINARY.items()]):  # PiB to KiB
            n = f"{b / m:,.2f}".rstrip("0").rstrip(".")
            if b >= m and (b * 100 / m).is_integer() and len(n.replace(",", "").replace(".", "")
                                                            .strip("0")) <= 5:
                return f"{n} {pfx}B ({si(b, 'B', digits)})"
    return si(value, "B", digits)


def bytes_of(value: float, capacity: float | None, digits: int = 4) -> str:
    """A computed byte count: :func:`capacity_text` where it is exactly ``capacity`` (a tier
    filled to what its config states: ``80 GiB (85.9 GB)``), :func:`si` otherwise (``51.53
    GB``, never ``49,140 MiB (51.53 GB)``: final read 23 F1 3)."""
    if capacity is not None and float(value) == float(capacity):
        return capacity_text(value, digits)
    return si(value, "B", digits)


def _pick(value: float, digits: int, prefixes) -> tuple[str, float, str]:
    """The mantissa (``:g``), scale and prefix of the first of ``prefixes`` whose rounded
    mantissa is >= 1: 999.99999e6 Hz at 3 digits is '1 GHz', not '1e+03 MHz'."""
    mag = abs(value)
    for scale, prefix in prefixes:
        if float(f"{mag / scale:.{digits}g}") >= 1:
            return f"{value / scale:.{digits}g}", scale, prefix
    scale, prefix = prefixes[-1]
    return f"{value / scale:.{digits}g}", scale, prefix


def plain(x: float, digits: int = 4) -> str:
    """A count to ``digits`` significant digits without an ``e`` exponent: in full below 1e15
    (``1,650``, ``605,000,000,000``), as a power of ten from there (``1 × 10^300``, never 300
    digits)."""
    if math.isfinite(x) and x != 0:
        mantissa, exponent = f"{x:.{max(digits - 1, 0)}e}".split("e")  # rounded to digits first
        if int(exponent) >= 15:
            m = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
            return f"{m} × 10^{int(exponent)}"
    return _plain(x, digits)


def _plain(x: float, digits: int) -> str:
    """``x`` to ``digits`` significant digits as ``:g`` writes it, or, where ``:g`` would write
    an exponent (beyond the outermost prefix), in full: thousands separators, no exponent."""
    text = f"{x:.{digits}g}"
    if "e" not in text:
        return text
    from decimal import Decimal

    d = Decimal(f"{x:.{max(digits - 1, 0)}e}")  # the same significant digits, exactly
    return f"{d:,f}" if abs(x) >= 1 else f"{d.normalize():f}"


def area(m2: float, digits: int = 4) -> str:
    """An area given in m²: ``µm²`` below 0.01 mm², ``mm²`` up to ``CM2_FROM_MM2`` mm², ``cm²``
    above (``area(1.707e-3) -> '1707 mm²'``, ``area(2.5e-2) -> '250 cm²'``)."""
    if m2 is None or math.isnan(m2):
        return "nan mm²"
    mm2 = m2 * 1e6
    if mm2 == 0 or math.isinf(mm2):
        return f"{mm2:g} mm²"
    if abs(float(f"{mm2:.{digits}g}")) >= CM2_FROM_MM2:
        return f"{m2 * 1e4:.{digits}g} cm²"
    if abs(mm2) < 1e-2:
        return f"{mm2 * 1e6:.{digits}g} µm²"
    return f"{mm2:.{digits}g} mm²"
