"""Checks a sweep makes of its swept fields against each config before anything runs
(:func:`check_swept_fields`, called by :func:`cimsim.sweep.runner.plan_sweep`), and of the
Python-only run settings (:func:`check_run_settings`: the command line range-checks its own)."""

from __future__ import annotations

from typing import Mapping, Sequence

from ..errors import CimsimError, ConfigError, given
from .params import ParamSpec, SweepSpecError, python_wording


def check_run_settings(workers: object, chunk_size: object, flush_rows: object,
                       flush_seconds: object) -> None:
    """Refuse, in one line naming the argument and what it takes, a ``sweep()`` setting out of
    range or of the wrong type (``workers=0`` ran on every core, ``-3`` on one, ``2.5`` was a
    raw TypeError; ``chunk_size=-2`` ended in a misleading SweepIncomplete)."""
    import numbers

    def whole(v: object) -> bool:  # NumPy integers too (np.int64(2) from a user's array)
        return isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1

    for name, value, what, none in (
            ("workers", workers, "local worker processes", "one per core"),
            ("chunk_size", chunk_size, "runs handed to a worker at once", "by the sweep's size"),
            ("flush_rows", flush_rows, "rows per part file written", "")):
        if not (whole(value) or (none and value is None)):
            raise CimsimError(f"sweep(): {name} must be a whole number >= 1 ({what})"
                              f"{f', or None ({none})' if none else ''}, got {given(value)}")
    if isinstance(flush_seconds, bool) or not isinstance(flush_seconds, numbers.Real) \
            or not flush_seconds >= 0:  # NaN fails too
        raise CimsimError("sweep(): flush_seconds must be a number of seconds >= 0 (a part file is "
                          f"written at least this often), got {given(flush_seconds)}")


def check_swept_fields(configs, specs: Sequence[ParamSpec], given: Mapping | None = None) -> None:
    """Refuse, in one line, a swept field that one of the ``configs`` lacks (say ``cim.arrays``
    on a GPU config), naming the config, the field and what the config has; each of that
    config's points would otherwise be an error row. The fields are set in order, a first
    value each, as a point sets them (a section one of them starts is there for the next).
    ``given``: the ``params={PATH: VALUE}`` of a Python ``sweep()`` call, which the error names
    as the call gave it (else ``--param PATH``)."""
    try:
        _check_swept_fields(configs, specs)
    except SweepSpecError as exc:
        values = {str(k): v for k, v in (given or {}).items()}
        msg = str(exc)
        path = next((p.path for p in specs if p.path in values and
                     msg.startswith((f"--param {p.path}:", f"--param {p.path}="))), None)
        if path is None:
            raise
        raise SweepSpecError(python_wording(msg, path, values[path])) from None


def _check_swept_fields(configs, specs: Sequence[ParamSpec]) -> None:
    from ..bundled import resolve_config
    from ..config import apply_overrides, read_yaml
    from ..config.paths import resolve

    if not specs:
        return
    for name in configs:
        path = resolve_config(str(name))
        data = read_yaml(path)
        where = str(name) if str(name) == str(path) else f"{name} ({path})"
        base = data
        for p in specs:
            first = p.values[0] if p.values is not None else p.low
            try:
                resolve(p.path, data)
            except ConfigError as exc:
                raise SweepSpecError(f"--param {p.path}: not a field of config {where}: {exc}") from None
            try:
                data = apply_overrides(data, {p.path: p.override_value(first)})
            except ConfigError as exc:  # a field of it, set where it cannot be (one of a pair)
                why = str(exc).split(f"override '{p.path}': ", 1)[-1]
                if "; leave the file's out too: " in why:  # a sweep cannot leave a field out
                    why = (why.split("; leave the file's out too: ")[0] + "; a sweep leaves no "
                           "field out: sweep a copy of the config without the file's one")
                raise SweepSpecError(f"--param {p.path}: config {where}: {why}") from None
        _some_value_loads(where, base, specs)


def _some_value_loads(where: str, base: Mapping, specs) -> None:
    """Each swept field loads at one of its values at least (a list's values, a range's ends), the
    other swept fields at their first values, or the file's, or one of them at each of its
    values (fields valid only together, an SRAM larger than today's backing store beside a
    larger one, a data rate beside its clock, load as their points do; another field's failing
    first value blames nothing on this one), or one line names the config and the error: a key
    no schema lists (a misspelt ``timings`` name) fails at every value, and the sweep would
    write nothing but error rows and exit 0. A value that fails beside others that load is that
    point's error row."""
    from ..config import apply_overrides, architecture_from_dict

    try:
        architecture_from_dict(base)
    except ConfigError:
        return  # the config itself does not load: its rows say so, as before
    def ends(q):
        return list(q.values) if q.values is not None else [q.low, q.high]

    firsts = {p.path: p.override_value(ends(p)[0]) for p in specs}
    for p in specs:
        if p.is_range:
            _range_ends_in_domain(where, base, firsts, p)
        # the others at their first values, then at the file's, then one other at each of its
        # values: another field's failing first value must not make this one look broken
        others = [{k: v for k, v in firsts.items() if k != p.path}, {}]
        others += [{q.path: q.override_value(v)} for q in specs if q is not p for v in ends(q)]
        first_error = None
        for ctx in others:
            for v in ends(p):
                try:
                    architecture_from_dict(apply_overrides(base, {**ctx, p.path: p.override_value(v)}))
                    break
                except ConfigError as exc:
                    first_error = first_error or str(exc).splitlines()[0].removeprefix("<config>: ")
            else:
                continue
            break
        else:
            raise SweepSpecError(f"--param {p.path}: config {where} loads at none of its values: "
                                 f"{first_error}")


def _range_ends_in_domain(where: str, base: Mapping, firsts: Mapping, p) -> None:
    """A range's every value lies between its ends, and a field's domain is an interval: an end
    the field itself refuses (``-1TB/s..1TB/s`` on a bandwidth, > 0) is a typo, refused in one
    line naming the param, the value and the domain, not a sweep of error rows that exits 0.
    (A list's value that fails is that point's error row; a rule between fields, reported at
    their section, is not the field's domain.)"""
    from ..config import apply_overrides, architecture_from_dict
    from ..units import si

    for end, v in (("start", p.low), ("end", p.high)):
        shown = si(v, p.unit) if p.unit else f"{v:g}"
        try:
            architecture_from_dict(apply_overrides(base, {**firsts, p.path: p.override_value(v)}))
        except ConfigError as exc:
            for line in str(exc).splitlines():
                why = line.removeprefix("<config>: ")
                if why.startswith(f"{p.path}: "):
                    raise SweepSpecError(f"--param {p.path}={p.spec}: the range's {end} "
                                         f"{shown} is outside the field's domain in config {where}: "
                                         f"{why[len(p.path) + 2:]}") from None
