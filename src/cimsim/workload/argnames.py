"""How a generator's error names its parameters: by keyword in Python (``seq_len must be an
integer >= 2``, ``heads=8 must divide d_model=100``), by the command-line option under
``cimsim workload GEN`` (``--steps must be ...``, ``--heads 8 must divide --d-model 100``), so
each reader is told the name they typed. The command sets the options for the call
(:func:`option_names`); the generators name every parameter through :func:`arg` and
:func:`arg_is`; each reads an integer argument through :func:`integer`, so a NumPy integer counts
as one."""

from __future__ import annotations

import operator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator, Mapping

from ..errors import WorkloadError

_OPTIONS: ContextVar[Mapping[str, str]] = ContextVar("cimsim_option_names", default={})


@contextmanager
def option_names(options: Mapping[str, str]) -> Iterator[None]:
    """Within the block, name the parameters in ``options`` (keyword -> ``--option``) by
    their options."""
    token = _OPTIONS.set(dict(options))
    try:
        yield
    finally:
        _OPTIONS.reset(token)


def arg(name: str) -> str:
    """``name`` (Python), or its option (``--steps`` for ``seq_len``) under the command line."""
    return _OPTIONS.get().get(name, name)


def arg_is(name: str, value: object) -> str:
    """``name=value`` (Python), ``--option value`` under the command line (a flag given, such
    as ``chain=True``: ``--chain``)."""
    option = _OPTIONS.get().get(name)
    if option is None:
        return f"{name}={value}"
    return option if value is True else f"{option} {value}"


def integer(value: object) -> object:
    """``value`` as a Python ``int`` when it is an integer of another type (a NumPy integer, as
    ``rng.integers`` draws them: ``operator.index``); anything else unchanged (a ``bool``, a
    NumPy bool, a float, text), for the check that follows to refuse as it was given."""
    if isinstance(value, int):
        return value
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        return value


def at_least(gen: str, name: str, value: object, minimum: int = 1) -> int:
    """``value`` (through :func:`integer`) when it is an integer >= ``minimum``; else a
    :class:`~cimsim.errors.WorkloadError` naming ``gen`` and the parameter."""
    value = integer(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise WorkloadError(f"{gen}: {arg(name)} must be an integer >= {minimum}, got {value!r}")
    return value
