"""Where a config error came from, as its message says it: the file, or the ``--set`` (or the
Python ``overrides=``) that set the field; what the user wrote escaped to stay on one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from ..errors import one_line


def _set_text(key: object, value: object, set_with: str) -> str:
    """One override as its user wrote it: ``--set K=V`` (the text typed), or in Python
    ``overrides={'K': V}`` (the value's repr: ``'yes'`` is not ``True``)."""
    if set_with == "--set":
        return f"--set {one_line(str(key))}={one_line(str(value))}"
    return f"{set_with}={{{one_line(repr(key))}: {one_line(repr(value))}}}"


def _where(path: str, set_by: Mapping[str, Any], source: str, written: bool = False,
           set_with: str = "--set") -> str:
    """The origin of an error at ``path``: the ``--set`` that set it; else, for an error about
    a section whose fields ``--set``s changed (a rule between its fields), the file with those
    ``--set``s; else, for a value's error elsewhere while ``--set``s apply (a field derived
    from another section's, as an ADC's sample rate from the supply voltage), the file with
    all of them; else (and for what the file itself wrote wrong, ``written``: an unknown key
    or type) the file."""
    for key, value in set_by.items():
        if path == key or path.startswith(key + "."):
            return f"{_set_text(key, value, set_with)}: "
    inside = [k for k in set_by if str(k).startswith(path + ".")]
    if inside or (set_by and not written):  # the --set options on the section; in Python the
        # one mapping as passed, not the part of it on the section (review E 5)
        shown = inside if inside and set_with == "--set" else list(set_by)
        return f"{source} with {_sets_text({k: set_by[k] for k in shown}, set_with)}: "
    return f"{source}: "


def _sets_text(set_by: Mapping[str, Any], set_with: str) -> str:
    """Several overrides as their user wrote them: ``--set A=1, --set B=2`` (several options),
    or in Python the one mapping ``overrides={'A': 1, 'B': 2}`` (one argument, not two calls)."""
    if set_with == "--set":
        return ", ".join(_set_text(k, v, set_with) for k, v in set_by.items())
    return f"{set_with}={{" + ", ".join(f"{one_line(repr(k))}: {one_line(repr(v))}"
                                        for k, v in set_by.items()) + "}"


def origin(source: str | Path, set_by: Mapping[str, Any] | None, path: str | None = None) -> str:
    """``FILE: `` or ``FILE with --set K=V, ...: ``: where a loaded config came from, as its
    config errors say it (for an error found later, running it: a dtype it has no rate for);
    ``path``: the field the error is about, ``--set K=V: `` where a ``--set`` gave it."""
    return one_line(_where(path or "", set_by or {}, str(source)))
