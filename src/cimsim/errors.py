"""Errors a user can act on. The CLI prints their message and exits non-zero."""

from __future__ import annotations

import difflib
import os
from typing import Iterable, Optional


class CimsimError(Exception):
    """Base of every error cimsim raises for bad input."""


class CimsimWarning(UserWarning):
    """Base of every warning cimsim issues (a ``UserWarning``, as they were before), so that
    ``warnings.filterwarnings("error", category=cimsim.CimsimWarning)`` turns them into errors,
    or ``"ignore"`` silences them, and no one else's. The command line prints each as one
    ``warning: ...`` line."""


class PhysicalPlausibilityWarning(CimsimWarning):
    """A simulated design is not physically plausible as modelled: one of the run's
    ``Result.implausible_notes`` (silicon above a 300 mm wafer, average power above a stated
    TDP: :mod:`cimsim.report.plausible`; a reticle exceeded is a note only). :func:`cimsim.simulate` issues one per note;
    the command line and sweeps show the notes and the ``physically_plausible`` column instead."""


class ConfigError(CimsimError):
    """A hardware config is invalid: the message names the file and the field, one line per
    error when a config has several (the command line prints the first and names the fields of
    the others: ``fields``, where the loader sets it, holds each line's field)."""


class WorkloadError(CimsimError):
    """A workload file or generator argument is invalid."""


class MappingError(CimsimError):
    """A workload cannot be placed on an architecture (e.g. a dtype it has no rate for)."""


class CapacityError(MappingError):
    """A workload does not fit an architecture's memory (its footprint over the backing store's
    capacity, a PIM device's or a weight memory's): the config refuses it for its size, not for
    what it is (:func:`cimsim.split.split_study` reports such a half as ``n/a``)."""


class ComponentError(CimsimError, AssertionError):
    """A component broke the protocol of :mod:`cimsim.hw.base` (a claim mask, plan or cost of
    the wrong shape or type, an impossible cost, an undeclared part): the message names the
    component, its type and the rule. The CLI prints it in one line like any input error (a
    plug-in's author is a user); it is also an ``AssertionError``, as these were before."""


class OverflowInputError(CimsimError):
    """A run's number (its latency, an energy part, OPS/W, the power density) is not finite
    although every input is in its domain: an extreme value (``bandwidth: 1e-300 B/s``,
    ``energy_per_bit: 1e300 J/bit``) drove it past a float's range (about 1.8e308, or a
    subnormal energy too small to divide by). ``field``: the dotted config path of the given
    value that likely drove it (the command line names the ``--set`` or file that gave it), or
    None where none is beyond 1e-30 to 1e30 in SI units."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class RateFieldError(AttributeError):
    """A rate field read through a rate-free view (:class:`cimsim.hw.base.RateFree`). An
    ``AttributeError`` (so ``getattr(config, name, default)`` still works); the stages catch it
    and report it as a :class:`ComponentError` naming the component or resource that read it."""


def where_raised(exc: BaseException) -> str:
    """`` (at FILE:LINE)``: the innermost frame of ``exc``'s traceback, where the user's code
    (a model factory, a data set) raised; empty without a traceback."""
    tb = exc.__traceback__
    if tb is None:
        return ""
    while tb.tb_next is not None:
        tb = tb.tb_next
    return f" (at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno})"


def error_line(exc: CimsimError) -> str:
    """``exc`` as the command line prints it: one line, its first (several errors come one per
    line) and a count of the others, naming their fields when they share the first's source
    (``(and 2 more: cim.write_energy, cim.endurance)``, so a user fixes them at once)."""
    lines = str(exc).split("\n")
    more = (f" (and {len(lines) - 1} more{_others(lines, getattr(exc, 'fields', None))})"
            if len(lines) > 1 else "")
    return one_line(lines[0] + more)  # the fields named in `more` escaped too


def _others(lines: list[str], fields: list[str] | None = None) -> str:
    """``": cim.write_energy, cim.endurance"``: the fields the errors after the first name, when
    each says ``SOURCE: FIELD: ...`` with the first's source; ``fields``: a config error's field
    per line (:func:`cimsim.config.paths.field_of`: a rule between a section's fields names the
    field, ``cim.adc.per_array``, not the section)."""
    src = lines[0].split(": ", 1)[0]
    if not all(ln.startswith(src + ": ") and ln.count(": ") >= 2 for ln in lines[1:]):
        return ""
    named = (fields[1:] if fields is not None and len(fields) == len(lines)
             else [ln.split(": ", 2)[1] for ln in lines[1:]])
    return f": {', '.join(named)}"


def one_line(text: str) -> str:
    """``text`` with every non-printable character (newline, tab, control codes) escaped, e.g.
    ``\\x1e``: messages quote what the user wrote, and an escaped message stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def one_error(func):
    """``func`` (a reader or an override, whose every :class:`CimsimError` is one error) with
    that error's message escaped by :func:`one_line`: it quotes what the user wrote (a key with
    a newline or a carriage return), and a message of two lines reads as two errors."""
    import functools

    @functools.wraps(func)
    def escaped(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except CimsimError as exc:
            if len(exc.args) == 1 and isinstance(exc.args[0], str):
                exc.args = (one_line(exc.args[0]),)
            raise

    return escaped


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name an architecture, a workload, an op or a tensor (it is printed on
    a line of its own, in tables and in file names), or None: empty, or holding a control
    character (a newline, a tab, an escape sequence that recolours the terminal), or a lone
    surrogate (an undecodable byte: JSON's ``\\udce9``, a non-UTF-8 locale's argv)."""
    if not name:
        return "is empty; give a name"
    import unicodedata

    bad = next((c for c in name if unicodedata.category(c) == "Cc"), None)  # C0, DEL, C1
    if bad is not None:
        return (f"{one_line(repr(name))} holds the control character {bad!r}; a name is "
                "printable text")
    # a lone surrogate (JSON's "\udce9", a byte a non-UTF-8 locale could not decode): no writer
    # (CSV, Parquet) takes it
    bad = next((c for c in name if unicodedata.category(c) == "Cs"), None)
    if bad is not None:
        return (f"{one_line(repr(name))} holds the lone surrogate {bad!r} (an undecodable "
                "byte, not a character); a name is UTF-8 text")
    return None


def given(value: object) -> str:
    """What a caller passed, for a message: ``the str 'gpu-hbm3'``, ``the int 123``, ``None``,
    ``a dict``, ``an Architecture``."""
    if value is None:
        return "None"
    name = type(value).__name__
    if isinstance(value, (str, bytes, int, float)) or hasattr(value, "__fspath__"):
        return f"the {name} {value!r}"[:200]
    return f"{'an' if name[:1] in 'AEIOUaeiou' else 'a'} {name}"


def check_path_argument(func: str, value: object, what: str, from_dict: str) -> None:
    """Refuse a ``path`` argument of ``func`` that is no path (a str or os.PathLike), in one
    :class:`CimsimError` saying what was given, what is allowed (``what``), and for a mapping
    the function that takes one (``from_dict``)."""
    import os
    from collections.abc import Mapping

    if isinstance(value, (str, os.PathLike)):
        return
    hint = (f"; for one given as a mapping use {from_dict}(data)"
            if from_dict and isinstance(value, Mapping) else "")
    raise CimsimError(f"{func}(): path must be a str or os.PathLike ({what}), got "
                      f"{given(value)}{hint}")


def suggest(word: str, choices: Iterable[str]) -> Optional[str]:
    """The closest of ``choices`` to a misspelt ``word``, or None: one that differs only in case
    (``ddr5`` -> ``DDR5``), else difflib's closest."""
    choices = [str(c) for c in choices]
    same = [c for c in choices if c.lower() == str(word).lower()]
    if same:
        return same[0]
    found = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(word: str, choices: Iterable[str], form: str = "{}") -> str:
    """``" (did you mean 'X'?)"`` for the closest choice, else ``""``."""
    best = suggest(word, choices)
    return f" (did you mean '{form.format(best)}'?)" if best is not None else ""


def one_name_each(what: str, paths, names, field: str) -> None:
    """Rows, baseline ratios, report files and a sweep's figures are keyed by name: two files of
    one name (a copied config with one field edited) are refused, naming both (their rows were
    indistinguishable, the ratios and timelines of one were the other's, and a sweep's plot
    joined both designs into one line). ``paths`` as given, ``names`` their ``field``'s values."""
    seen: dict[str, object] = {}
    for p, n in zip(paths, names):
        if n in seen:
            same = os.path.realpath(seen[n]) == os.path.realpath(p)
            raise CimsimError(f"{what} {p} is given twice" if same else
                              f"{what}s {seen[n]} and {p} are both named '{n}' (their {field} field): "
                              f"results are keyed by name; give each {what} its own name")
        seen[n] = p


class Involves(str):
    """A config error's field path that also names the other fields or sections its rule reads
    (:attr:`also`, dotted from the top), so that in a config with a ``base:`` the error names the
    file of each of them, or the file with its chain where they come from several (find-B4 2)."""

    also: tuple = ()


def involving(path: str, *also: str) -> str:
    """``path`` carrying ``also`` (:class:`Involves`): ``involving("tdp_includes", "memory")``."""
    out = Involves(path)
    out.also = tuple(also) + tuple(getattr(path, "also", ()))
    return out
