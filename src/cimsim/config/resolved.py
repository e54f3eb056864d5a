"""What a loaded config uses: each field's value and where it came from.

``cimsim fields -c CONFIG [--set PATH=VALUE ...]`` shows these beside the schema. A field's
source is one of :data:`SOURCES`:

- ``file``: the config file states it;
- ``--set``: an override states it (an override of ``null`` leaves the field out: then the
  field is ``default`` or ``derived``, and the source says ``left out by --set``);
- ``derived``: the config leaves it out and a component derives it (a CIM's circuit models,
  :meth:`cimsim.hw.base.Component.derived_values`), or the technology block's supply is the
  node's nominal one;
- ``default``: the schema's default.

Placeholders are the ones the run's ``provenance`` reports, not a second system: a stated
value the config marks ``(U)`` (:mod:`cimsim.config.marks`; a ``--set`` clears the mark), and
a derived value resting on a placeholder input of a circuit model; both add ``, placeholder``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ..errors import ConfigError
from ..units import capacity_text, si
from .walk import Leaf

SOURCES = ("file", "--set", "derived", "default")
PLACEHOLDER = ", placeholder"


@dataclass(frozen=True)
class FieldValue:
    value: str  # as shown, with its unit; "(none)" when left out and not derived, "(section
    #: left out)" when a section above it is
    source: str  # one of SOURCES, maybe with ", placeholder" or a --set's "left out"


def _walk(node: Any, parts: list[str]) -> tuple[bool, Any]:
    """``(found, value)`` at ``parts`` below ``node`` (models by attribute, mappings by key; a
    key may hold dots: the rest of the path; ``KEY``: the whole table)."""
    for i, part in enumerate(parts):
        if node is None:
            return False, None
        if isinstance(node, BaseModel):
            if part not in type(node).model_fields:
                return False, None
            node = getattr(node, part)
        elif isinstance(node, Mapping):
            if part == "KEY":  # every key's value (of each key's section: its field's)
                rest = parts[i + 1:]
                return True, {k: _walk(v, rest)[1] for k, v in node.items()} if rest else node
            if part not in node:
                rest = ".".join(parts[i:])
                return (True, node[rest]) if rest in node else (False, None)
            node = node[part]
        else:
            return False, None
    return True, node


def _value_at(arch, parts: list[str]) -> tuple[bool, Any]:
    """``(found, value)`` of a field of ``arch``; not found: a section above it is left out."""
    head = parts[0]
    if head in ("name", "description"):
        return True, getattr(arch, head)
    if head == "placeholders":
        return True, sorted(arch.placeholders) or None
    if head in ("technology", "thermal"):
        return _walk(getattr(arch, head), parts[1:])
    if head in ("memory", "links"):
        return _walk(getattr(arch, head).get(parts[1]), parts[2:])
    return _walk(arch.components.get(head), parts[1:])


def show(value: Any, leaf: Leaf | None) -> str:
    """A field's value as ``cimsim fields`` prints it: a quantity with an SI prefix and its
    unit, a flag as true/false, a list or table as YAML would write it inline."""
    if value is None:
        return "(none)"
    if isinstance(value, Mapping) and not isinstance(value, BaseModel):
        return "{" + ", ".join(f"{k}: {show(v, leaf)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    unit = leaf.kind.unit if leaf is not None and leaf.kind.name == "quantity" else None
    if unit and isinstance(value, (int, float)):
        return capacity_text(float(value), 6) if unit == "B" else si(float(value), unit, 6)
    if isinstance(value, float):  # a whole number .6g would round (a timing's CK count) in full
        short = f"{value:.6g}"
        exact = value.is_integer() and abs(value) < 2.0**53 and float(short) != value
        return str(int(value)) if exact else short
    if isinstance(value, BaseModel):
        return str(value.model_dump(mode="json", exclude_unset=True))
    return str(value)


def _set_by(path: str, set_by: Mapping[str, Any]) -> str | None:
    """The override that states ``path`` (or a table holding it), None if none."""
    table = path[:-len(".KEY")] if path.endswith(".KEY") else None
    for key in set_by:
        if path == key or path.startswith(key + ".") or (table and key.startswith(table + ".")):
            return key
    return None


def derived_values(arch) -> dict[str, tuple[float, str]]:
    """Each dotted path a component derives (the config leaves it out) -> ``(value,
    provenance)``; ``technology.voltage``, left out, is the node's nominal supply."""
    derived: dict[str, tuple[float, str]] = {}
    for comp in arch.instances:
        derived.update((f"{comp.name}.{f}", v) for f, v in comp.derived_values().items())
    tech = arch.technology
    if tech is not None and tech.voltage is None:
        from ..hw.circuits.scaling import nominal_vdd

        derived["technology.voltage"] = (nominal_vdd(tech.node_nm), "derived")
    return derived


def used_number(arch, path: str) -> float | None:
    """The number the loaded ``arch`` uses for the field at dotted ``path``: stated (file,
    ``--set``) or default, else derived; None where it has none (left out, not derived, or
    not a number)."""
    found, value = _value_at(arch, path.split("."))
    if found and value is None:
        value = derived_values(arch).get(path, (None, ""))[0]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def resolved_values(arch, data: Mapping, set_by: Mapping[str, Any] | None, paths: list[str],
                    cli: bool = True) -> dict[str, FieldValue]:
    """Each of the dotted ``paths`` -> its :class:`FieldValue` in ``arch``, loaded from the
    file's mapping ``data`` with the overrides ``set_by`` (``cli``: ``--set`` text)."""
    from .loader import _leaves_out, apply_overrides
    from .paths import resolve

    set_by = set_by or {}
    derived = derived_values(arch)
    now = apply_overrides(data, set_by, cli=cli) if set_by else data
    out = {}
    for path in paths:
        parts = path.split(".")
        try:
            leaf = resolve(path, now)
        except ConfigError:  # a placeholder-named key (KEY) of a table: shown without a unit
            leaf = None
        found, value = _value_at(arch, parts)
        key = _set_by(path, set_by)
        left_out = key is not None and _leaves_out(set_by[key], cli)
        if key is not None and not left_out:
            source = "--set"
        elif not left_out and _walk(data, parts)[0]:
            source = "file"
        elif value is None and path in derived:
            value, prov = derived[path]
            source = "derived" + (PLACEHOLDER if prov == "placeholder" else "")
        else:
            source = "default"
        if source in ("file", "--set") and path in arch.placeholders:
            source += PLACEHOLDER
        if left_out:
            source += f" (left out by --set {key}=null)"
        out[path] = FieldValue(show(value, leaf) if found else "(section left out)", source)
    return out
