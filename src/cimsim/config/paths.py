"""Dotted config paths (``memory.dram.bandwidth``, ``cim.adc.bits``).

Overrides (``--set``), ``cimsim fields`` and sweeps (``--param``) all resolve a
path here. The first part picks the section:

- ``name``, ``description``: the architecture's own fields;
- ``technology.FIELD``: the shared process block (:class:`~cimsim.hw.technology.Technology`);
- ``placeholders``: the list of values marked as placeholders (:mod:`.marks`);
- ``memory.LEVEL.FIELD``: a memory level (the ``Config`` of its ``type:``, default ``fixed``);
- ``links.LINK.FIELD``: a link (likewise);
- ``COMPONENT.FIELD...``: a component section, validated by its type's
  ``Config`` model (the type is the section's ``type:``, or its key).

Below that, :func:`cimsim.config.walk.field_at` follows nested models (``cim.adc.bits``)
and tables with fixed keys (``processor.macs_per_cycle_per_core.fp32``). With the config's
mapping at hand (``data``), a level, link or component the config does not
have is an error; without it (sweep specs, ``cimsim fields``), any level or
link name is accepted and a component key must be a registered type name.
"""

from __future__ import annotations

from typing import Mapping, Optional

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ..errors import ConfigError
from ..hw.technology import Technology
from ..hw.thermal import Thermal
from .models import RESERVED
from .walk import Kind, Leaf, PathError, did_you_mean, field_at, unwrap_optional

PLACEHOLDERS_DOC = ("Dotted paths of values that rest on no source (placeholders); a '(U)' in "
                    "a value's line comment adds its path. The report's placeholder shares "
                    "weigh the energy and area resting on them.")

#: the leaf a dotted path names (kept under its old name)
FieldRef = Leaf

__all__ = ["FieldRef", "PathError", "resolve", "section_model", "unwrap_optional"]


def section_model(key: str, data: Optional[Mapping] = None) -> type[BaseModel]:
    """The config model of a top-level component section ``key``."""
    from ..hw.registry import types

    reg = types()
    if data is not None:
        sec = data.get(key)
        if not isinstance(sec, Mapping):
            allowed = [k for k in data if k not in RESERVED]
            # a section this config has in another case ('Memory', 'MEMORY') is meant too
            sections = [k for k in RESERVED if isinstance(data.get(k), Mapping)]
            raise PathError(f"'{key}' is not a section of this config; its components: "
                            f"{', '.join(allowed) or '(none)'}"
                            + did_you_mean(key, [*allowed, *sections]))
        type_name = sec.get("type", key)
    else:
        type_name = key
    if type_name not in reg:
        raise PathError(f"'{key}' is not a section; allowed: {', '.join(RESERVED)} or a component "
                        f"of type {', '.join(reg)}" + did_you_mean(key, [*RESERVED, *reg]))
    return reg[type_name].Config


def resource_model(head: str, name: str, data: Optional[Mapping] = None,
                   field: Optional[str] = None) -> type[BaseModel]:
    """The config model of the memory level or link ``name`` (``head``: ``memory`` or
    ``links``): its type's (``type:``, default ``fixed``), from ``data`` when given; else the
    fixed type's, or the first registered type that has ``field``."""
    from ..hw import registry

    reg = registry.memory if head == "memory" else registry.links
    kinds = reg.types()
    sec = ((data or {}).get(head) or {}).get(name) if data is not None else None
    if isinstance(sec, Mapping):
        t = sec.get("type", "fixed")
        if isinstance(t, str) and t in kinds:
            return kinds[t].Config
        raise PathError(f"'{head}.{name}' has type {t!r}, not one of {', '.join(kinds)}")
    if field is not None:
        for cls in kinds.values():
            if field in cls.Config.model_fields:
                return cls.Config
    return kinds["fixed"].Config


def resource_fields(head: str) -> list[str]:
    """Every field name of any registered type of ``head`` (``memory`` or ``links``)."""
    from ..hw import registry

    reg = registry.memory if head == "memory" else registry.links
    return list(dict.fromkeys(f for cls in reg.types().values() for f in cls.Config.model_fields))


def _misplaced(parts: list[str], data: Optional[Mapping]) -> Optional[str]:
    """``memory.dram.bandwidth`` for ``dram.bandwidth``: the path with the ``memory.`` or
    ``links.`` a user left out, when its first part names a level or link (of ``data``, or
    any name whose next part is a field of a level or link)."""
    for head in ("memory", "links"):
        names = (data or {}).get(head) if data is not None else None
        if (parts[0] in names if isinstance(names, Mapping) else
                data is None and len(parts) > 1 and parts[1] in resource_fields(head)):
            return ".".join([head, *parts])
    return None


def resolve(path: str, data: Optional[Mapping] = None) -> Leaf:
    """The field the dotted ``path`` names, or :class:`PathError` saying what is allowed."""
    parts = path.split(".")
    if not all(parts):
        raise PathError(f"'{path}' is not a dotted path of field names")
    head = parts[0]
    if head in ("name", "description"):
        if len(parts) > 1:
            raise PathError(f"'{head}' has no sub-fields")
        return Leaf(path, str, (), f"the architecture's {head}", PydanticUndefined, Kind("str"),
                    required=head == "name")
    if head == "placeholders":
        if len(parts) > 1:
            raise PathError("'placeholders' has no sub-fields")
        return Leaf(path, list, (), PLACEHOLDERS_DOC, None, Kind("list", item=Kind("str")))
    if head == "technology":
        if data is not None and not isinstance(data.get("technology"), Mapping):
            from ..hw.technology import ONLY_CIM, READS_TECHNOLOGY

            types = [c.get("type", k) for k, c in data.items()  # a section's type: its key
                     if k not in RESERVED and isinstance(c, Mapping)]
            if not any(t in READS_TECHNOLOGY for t in types):
                raise PathError(f"this architecture has no 'technology' section, and no "
                                f"component that would read one: {ONLY_CIM}")
            raise PathError("this architecture has no 'technology' section; add one, e.g. "
                            "technology: {node: 22 nm}")
        if len(parts) == 1:
            raise PathError(f"'technology' is a section, not a value; its fields: "
                            f"{', '.join(Technology.model_fields)}")
        return field_at(Technology, parts, 1, path)
    if head == "thermal":  # find-B 5: --set thermal.r_th=... starts the block, the rest required
        if len(parts) == 1:
            raise PathError(f"'thermal' is a section, not a value; its fields: "
                            f"{', '.join(Thermal.model_fields)}")
        return field_at(Thermal, parts, 1, path)
    if head in ("memory", "links"):
        if len(parts) < 3:
            names = list((data or {}).get(head) or {}) or ["NAME"]
            raise PathError(f"'{path}': name a {'level' if head == 'memory' else 'link'} and a field: "
                            f"{head}.{{{', '.join(names)}}}.{{{', '.join(resource_fields(head))}}}")
        if data is not None:
            have = data.get(head) or {}
            if parts[1] not in have:
                raise PathError(f"this architecture has no '{head}.{parts[1]}'; it has "
                                f"{', '.join(f'{head}.{k}' for k in have) or 'none'}"
                                + did_you_mean(parts[1], have, f"{head}.{{}}"))
        model = resource_model(head, parts[1], data, parts[2])
        try:
            return field_at(model, parts, 2, path)
        except PathError as exc:  # a field of another type of level or link: say which
            from ..hw import registry

            reg = registry.memory if head == "memory" else registry.links
            others = [t for t, c in reg.types().items()
                      if c.Config is not model and parts[2] in c.Config.model_fields]
            if len(parts) != 3 or not others:
                raise
            raise PathError(f"{exc}; '{parts[2]}' is a field of type {', '.join(others)}: set "
                            f"{head}.{parts[1]}.type={others[0]} too, and leave out (=null) the "
                            "fields that type does not have") from None
    try:
        model = section_model(head, data)
    except PathError as exc:
        fixed = _misplaced(parts, data)
        if fixed is None or (data is None and "did you mean" in str(exc)):  # a typo, not a level
            raise
        what = "a memory level" if fixed.startswith("memory.") else "a link"
        raise PathError(f"'{head}' is not a section but {what}: did you mean '{fixed}'?") from None
    if len(parts) == 1:
        raise PathError(f"'{head}' is a section, not a value; its fields: {', '.join(model.model_fields)}")
    return field_at(model, parts, 1, path)


def field_of(path: str, msg: str, data: Optional[Mapping] = None) -> str:
    """The field an error at ``path`` is about: ``path``, or for a rule between a section's
    fields (``cim: adc.per_array (512) cannot exceed cols``) the field its message starts with
    (``cim.adc.per_array``), which the command line's ``(and 1 more: ...)`` names."""
    head = f"{path}.{msg.split(' ', 1)[0]}"
    try:
        resolve(head, data)
    except ConfigError:  # no such field (PathError): the error is about the path itself
        return path
    return head
