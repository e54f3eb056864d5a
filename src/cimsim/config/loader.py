"""YAML loading, validation with errors that name file and field, dotted-path overrides."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any, Mapping

import yaml
from pydantic import BaseModel, ValidationError

from ..bundled import resolve_config
from ..errors import (CimsimError, ConfigError, check_path_argument, given, involving, name_problem,
                      one_error, one_line)
from ..report.columns import column_clashes
from ..units import capacity_text, si
from ..hw.base import Link, MemoryLevel
from ..hw.homes import far_errors, off_chip_names, replacement_errors
from ..hw.idle import errors as idle_errors  # an idle power above static (review 22 A 1)
from ..hw.totals import with_override_notes
from ..inputs import Source
from . import legacy, marks
from .inherit import Resolved, read_config
from .models import BLOCKS, RESERVED, Architecture, unknown_top_key
from .origin import _where, origin  # noqa: F401  (origin re-exported)
from .paths import field_of, resolve
from .python_values import python_value
from .walk import did_you_mean, field_at, model_at, not_a_key, parse_flag
from .readfile import config_bytes, yaml_kind as _yaml_kind  # noqa: F401  (config_bytes re-exported)
from .yamlread import core_number, load_text


@one_error
def read_yaml(path: str | Path, raw: bytes | None = None) -> dict:
    """A config file as a plain mapping, current layout (``raw``: its bytes, if read already),
    its ``base:`` chain merged in (:mod:`.inherit`)."""
    return read_config(path, raw).data


#: how an unknown-key error starts: these come first, a misspelt key being the likeliest
#: reason for the other errors (``bandwith`` leaves ``bandwidth`` missing)
UNKNOWN = "unknown key"
_FIRST = (UNKNOWN, "unknown component type", "unknown memory-level type", "unknown link type")


def _errors(exc: ValidationError, model: type[BaseModel], prefix: tuple) -> list[tuple[str, str]]:
    out = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            parent = model_at(model, loc[:-1])
            allowed = list(parent.model_fields) if parent else []
            msg = (f"{UNKNOWN}{did_you_mean(loc[-1], allowed)}; allowed keys here: "
                   f"{', '.join(allowed)}")
        elif err["type"] == "missing":
            parent = model_at(model, loc[:-1])
            fld = parent.model_fields.get(loc[-1]) if parent else None
            desc = f" ({fld.description})" if fld is not None and fld.description else ""
            msg = f"required field is missing{desc}"
        elif loc[-1:] == ("[key]",) and len(loc) >= 3 and (keys := _table_keys(model, loc[:-2])):
            msg, loc = not_a_key(loc[-2], ".".join(str(p) for p in prefix + loc[:-2]), keys), loc[:-1]
        elif "input" in err and not isinstance(err["input"], (dict, list)):
            value = err["input"]
            shown = repr(value) if not isinstance(value, float) or math.isfinite(value) else str(value)
            if "(got " not in msg:  # ours say it; pydantic's "greater than 0" holds a 0 of its own
                msg = f"{msg} (got {shown})"
        out.append((".".join(str(p) for p in prefix + loc) or "(top level)", msg))
    return out


def _table_keys(model: type[BaseModel], loc: tuple) -> tuple | None:
    """The keys of the fixed-key table at ``loc`` below ``model`` (a per-dtype table), or None."""
    try:
        leaf = field_at(model, [str(p) for p in loc], 0, ".".join(str(p) for p in loc))
    except ConfigError:
        return None
    return tuple(leaf.kind.keys) if leaf.kind.name == "table" and leaf.kind.keys else None


def _validate(model: type[BaseModel], data: Any, prefix: tuple, errors: list) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors.extend(_errors(exc, model, prefix))
        return None


def architecture_from_dict(data: Mapping, source: str = "<config>",
                           set_by: Mapping[str, Any] | None = None, *,
                           set_with: str = "--set", chain: Resolved | None = None) -> Architecture:
    """Validate a plain mapping (in the current layout: :func:`read_yaml` upgrades older ones)
    into an :class:`Architecture`, or raise ConfigError naming ``source``, the dotted field
    path, the value and what is allowed. Unknown keys are reported first. ``set_by``: the
    command-line overrides (``--set``) applied to ``data``; an error in a field they set
    names ``--set PATH=VALUE`` instead of ``source`` (``set_with="overrides"``: the Python
    ``overrides=`` mapping, named ``overrides={'PATH': VALUE}``). Its ``source`` holds no
    file (path and SHA-256 None) and ``set_by`` as the overrides. ``chain``: the file read with
    its bases; an error names the file of the chain that states the field."""
    from ..hw.registry import types

    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected a mapping at the top level (name: ..., memory: ...), got {_yaml_kind(data)}")
    if legacy.is_legacy(data):
        raise ConfigError(f"{source}: memory: a cimsim 0.1 layout (one memory level, with "
                          "'bandwidth'); read it with read_yaml or load_architecture, which upgrade it")
    errors: list[tuple[str, str]] = []
    name = data.get("name")
    if not isinstance(name, str) or not name:
        errors.append(("name", "required: a non-empty string naming the architecture"))
    elif (why := name_problem(name)) is not None:
        errors.append(("name", why))
    desc = data.get("description", "")
    if not isinstance(desc, str):
        errors.append(("description", f"must be a string, got {type(desc).__name__}"))
    technology, thermal = (None if data.get(k) is None else _validate(m, data[k], (k,), errors)
                           for k, m in BLOCKS.items())  # the top-level blocks (find-B 5: thermal)
    placeholders = _placeholders(data, errors)
    sections: dict[str, dict] = {}
    from ..hw import registry

    for key, model, reg in (("memory", MemoryLevel, registry.memory), ("links", Link, registry.links)):
        raw = data.get(key, {} if key == "links" else None)
        if raw is None and key == "memory":
            errors.append(("memory", "required: the memory levels, innermost first, e.g. "
                                     "memory: {dram: {capacity: ..., bandwidth: ..., ...}}"))
            raw = {}
        if not isinstance(raw, Mapping):
            errors.append((key, f"must be a mapping of names to {model.__name__} sections"))
            raw = {}
        sections[key] = {}
        kinds, broken = reg.types(), reg.broken()
        for lv, sec in raw.items():
            if (why := name_problem(str(lv))) is not None:  # it names columns and table rows
                errors.append((f"{key}.{one_line(str(lv))}", f"the name {why}"))
                continue
            type_name = sec.get("type", "fixed") if isinstance(sec, Mapping) else "fixed"
            if isinstance(type_name, str) and type_name in broken:
                errors.append((f"{key}.{lv}.type", broken[type_name]))
                continue
            if not isinstance(type_name, str) or type_name not in kinds:
                hint = did_you_mean(str(type_name), list(kinds))
                errors.append((f"{key}.{lv}.type", f"unknown {reg.what} type '{type_name}'{hint}; "
                                                   f"registered types: {', '.join(kinds)}"))
                continue
            before = len(errors)
            obj = _validate(kinds[type_name].Config, sec, (key, lv), errors)
            if obj is not None:
                sections[key][str(lv)] = obj
            for i in range(before, len(errors)):  # a key of another type: say which, and how
                path, msg = errors[i]
                field = path.rsplit(".", 1)[-1]
                others = [t for t, c in kinds.items() if t != type_name and field in c.Config.model_fields]
                if msg.startswith(UNKNOWN) and others:
                    errors[i] = (path, f"{UNKNOWN} for type {type_name}: '{field}' is a field of "
                                       f"type {', '.join(others)} (remove it, or set {key}.{lv}."
                                       f"type); allowed keys here: "
                                       f"{', '.join(kinds[type_name].Config.model_fields)}")
    if "memory" in data and isinstance(data.get("memory"), Mapping) and not data["memory"]:
        errors.append(("memory", "needs at least one level (the backing store)"))
    levels = list(sections["memory"].items())
    far = far_errors(levels)  # a near tier said to be on chip: that error alone
    off = set(off_chip_names(levels)) - {p.split(".")[1] for p, _ in far}
    for n, c in levels:  # Hardware.off_chip's rule (hw.homes)
        if c.area is not None and n in off:
            errors.append((f"memory.{n}.area", "the level lies off the compute chip (the backing "
                           "store, or off_chip: true), so its silicon is not the chip's: leave "
                           "area out (area is for on-chip levels), or mark the level off_chip: "
                           "false if it is on the chip"))
    errors += far + replacement_errors(levels)
    if levels and levels[-1][1].far:  # a far tier is no cache: the near tier before it is the
        levels = levels[:-1]          # outermost level of the inclusive hierarchy
    if len(levels) >= 2:  # innermost first: the last holds every tensor, so none inside is larger
        back, bcfg = levels[-1]
        larger = [(n, c) for n, c in levels[:-1] if float(c.capacity) > float(bcfg.capacity)]
        if larger:
            n, c = larger[0]
            errors.append((involving(f"memory.{n}.capacity", f"memory.{back}.capacity"),
                           f"{capacity_text(float(c.capacity))} is more than the backing store's: levels "
                           f"run innermost first and the last, '{back}' of {capacity_text(float(bcfg.capacity))}, "
                           f"holds every tensor; raise memory.{back}.capacity, lower this one, or "
                           "list the levels innermost first (the largest last)"))
        else:  # the hierarchy is inclusive (bytes from a level pass every level inside it)
            inner = next(((a, b) for a, b in zip(levels[:-1], levels[1:-1])
                          if float(a[1].capacity) > float(b[1].capacity)), None)
            if inner is not None:
                (n, c), (m, d) = inner
                errors.append((involving(f"memory.{n}.capacity", f"memory.{m}.capacity"),
                               f"{capacity_text(float(c.capacity))} is more than '{m}' outside it, "
                               f"{capacity_text(float(d.capacity))}: the hierarchy is inclusive (what a "
                               "level holds passes every level inside it), so each level is at least "
                               "as large as the one inside it; list the levels innermost first"))
    reg, broken_components = types(), registry.components.broken()
    components = {}
    for key, sec in data.items():
        if key in RESERVED:
            continue
        if (why := name_problem(str(key))) is not None:
            errors.append((one_line(str(key)), f"the component's name {why}"))
            continue
        if not isinstance(sec, Mapping):  # find-B 3: `extends: NAME` is an unknown key, said so
            errors.append((str(key), f"a component section must be a mapping (or use one of {', '.join(RESERVED)})"
                           if key in reg else UNKNOWN + unknown_top_key(str(key))))
            continue
        type_name = sec.get("type", key)
        if isinstance(type_name, str) and type_name in broken_components:
            errors.append((f"{key}.type" if "type" in sec else str(key), broken_components[type_name]))
            continue
        if type_name not in reg:
            where = f"{key}.type" if "type" in sec else str(key)
            hint = did_you_mean(type_name, [*reg, *RESERVED])
            errors.append((where, f"unknown component type '{type_name}'{hint}; registered types: "
                                  f"{', '.join(reg)} (top-level keys are {', '.join(RESERVED)} or "
                                  "component sections)"))
            continue
        obj = _validate(reg[type_name].Config, {**sec, "type": type_name}, (str(key),), errors)
        if obj is not None:
            components[str(key)] = obj
    seen: dict[str, str] = {}
    for kind, names in (("memory level", sections["memory"]), ("link", sections["links"]),
                        ("component", components)):
        # result parts of the same names: the static energy, the critical path's compute and
        # overhead beside each level's and link's time
        # (and a level's or link's `<name>_bytes` column: not the workload's weight_bytes or
        # activation_bytes, nor another's `<other>_write_bytes`)
        taken = (("static",) if kind == "component" else
                 ("static", "compute", "overhead", "weight", "activation",
                  *(f"{o}_write" for o in (*sections["memory"], *sections["links"]))))
        for n in names:
            if n in seen or n in taken:
                errors.append((n, f"the name is used by a {seen.get(n, 'report part')} too; "
                                  "levels, links and components need distinct names"
                                  + ("" if n in seen else f" (a {kind} may not be named "
                                     + ("static" if kind == "component" else
                                        f"{', '.join(taken[:5])} or <level or link>_write: "
                                        "result columns of those names exist") + ")")))
            seen[n] = kind
    if not errors:
        arch = Architecture(name=name, description=desc, memory=sections["memory"],
                            links=sections["links"], components=components,
                            technology=technology, thermal=thermal, placeholders=placeholders,
                            source=Source.of(None, set_by))  # load_architecture adds the file
        errors.extend(arch.kv_cache_clash())  # arch.hardware would raise it, without the file
        for comp in ([] if errors else arch.instances):
            # a field below the component, or one outside it written as an absolute "/path"
            own = [(involving(f[1:] if f.startswith("/") else f"{comp.name}.{f}", *getattr(f, "also", ())), m)
                   for f, m in comp.check()]
            # its parts and utilizations beside the levels', links' and buses' (its buses come
            # from a config its check refused, an error that says it already)
            errors.extend(own + arch.part_clashes(comp, onchip=not own))
        if not errors and not (errors := column_clashes(arch) + idle_errors(arch) + arch.stack_errors()):  # a column two fill
            return arch
    # unknown keys first (a typo explains the missing field it leaves), then in config order;
    # one error per line; what the user wrote is escaped to stay on it (and in "(and 1 more: ...)")
    errors.sort(key=lambda e: not e[1].startswith(_FIRST))
    fields = [one_line(field_of(str(p), str(m), data)) for p, m in errors]
    blamed = [chain.blame(f, source, getattr(p, "also", ())) if chain else (source, "")
              for (p, _), f in zip(errors, fields)]
    exc = ConfigError("\n".join(one_line(_where(p, set_by or {}, file, m.startswith(_FIRST), set_with)
                                         + f"{p}: {m}{note}")
                                for (p, m), (file, note) in zip(errors, blamed)))
    exc.fields = fields
    raise exc


def _placeholders(data: Mapping, errors: list) -> frozenset:
    """The ``placeholders:`` list as a set of dotted paths naming values of ``data``. A path
    the schema knows but ``data`` lacks (its level or section was taken out) marks nothing;
    a path the schema does not know is an error."""
    from .paths import resolve as _resolve

    raw = data.get(marks.KEY)
    if raw is None:
        return frozenset()
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        errors.append((marks.KEY, "must be a list of dotted field paths, e.g. "
                                  "[cim.static_power, memory.dram.energy_per_bit]"))
        return frozenset()
    ok = []
    for p in raw:
        try:
            _resolve(p, data)
        except ConfigError as exc:
            try:  # a field of the schema this config lacks (a level or section taken out): no mark
                _resolve(p)
            except ConfigError:
                errors.append((marks.KEY, f"'{p}': {exc}"))
            continue
        ok.append(p)
    return frozenset(ok)


def load_architecture(path: str | Path, overrides: Mapping[str, Any] | None = None, *,
                      cli: bool = False) -> Architecture:
    """Load a YAML architecture file, apply dotted-path ``overrides``, validate.

    With ``cli``, the overrides are ``--set`` text: a boolean field takes true/false,
    yes/no, 1/0 (any case), and errors in what they set name ``--set``, not the file (without
    it they name ``overrides={'PATH': VALUE}``).

    ``path`` is resolved as the command line resolves a config: a file that exists wins; a
    bare name (no folder, no ``.yaml``) is a bundled config (``gpu-hbm3``) or a validation
    suite's; another bare name is refused listing the bundled names."""
    check_path_argument("load_architecture", path, "a YAML file or a bundled config name such as "
                        "'gpu-hbm3'", "cimsim.config.architecture_from_dict")
    p = Path(path)
    if not p.exists() and len(p.parts) == 1 and p.suffix not in (".yaml", ".yml"):
        path = resolve_config(str(path))
    res = read_config(path)  # each file read once: what is parsed is what is hashed
    base = data = res.data
    src = res.label(path)  # the file, with its bases (find-B2 3)
    if overrides:
        data = apply_overrides(data, overrides, source=src, cli=cli)
    arch = architecture_from_dict(data, source=src, set_by=overrides,
                                  set_with="--set" if cli else "overrides", chain=res)
    # just built: no one else holds it yet
    object.__setattr__(arch, "source", Source.of(res.record, overrides))
    if (note := res.note(path)) is not None:
        object.__setattr__(arch, "notes", (*arch.notes, note))
    return with_override_notes(arch, lambda: architecture_from_dict(base, source=src, chain=res), overrides)


def _section_ref(dotted: str, data: Mapping):
    """``(model, leaf)``: the schema model the dotted path starts in and the field it names
    (``leaf`` None: the path names that model itself, a component or a level); ConfigError
    where it leaves the schema."""
    from .paths import section_model
    from .walk import field_at

    parts = dotted.split(".")
    if parts[0] in BLOCKS:  # a top-level block (e.g. technology.registers)
        model, at = BLOCKS[parts[0]], 1
    elif parts[0] in ("memory", "links") and len(parts) > 1:  # a level's or link's own fields
        from .paths import resource_model

        model, at = resource_model(parts[0], parts[1], data), 2
    else:
        model, at = section_model(parts[0], data), 1
    return model, (None if at >= len(parts) else field_at(model, parts, at, dotted, value_only=False))


def _optional_section(dotted: str, data: Mapping) -> bool:
    """Whether ``dotted`` names a section the schema makes optional (default: absent), such as
    ``cim.nonideal``: ``--set cim.nonideal.adc_noise=0.5`` then starts it, the rest at defaults."""
    try:
        _, ref = _section_ref(dotted, data)
    except ConfigError:
        return False
    if ref is None:
        return False
    if ref.kind.name == "table" and ref.kind.keys is None:  # a free-key table left out
        return True
    return ref.kind.name == "section" and (ref.default is None or not (ref.required or ref.in_table))  # or idle:


def _check_exclusive(out: dict, overrides: Mapping[str, Any], source: str, cli: bool) -> None:
    """An override that gives one of a pair of exclusive fields (a section model's
    ``EXCLUSIVE``: ``adc.per_array`` / ``adc.columns_per_adc``) whose other one the file gives:
    one line saying so and how to leave the file's out, not the model's "not both"."""
    for dotted, value in overrides.items():
        parent, _, field = dotted.rpartition(".")
        if not parent or _leaves_out(value, cli):
            continue
        try:
            model, ref = _section_ref(parent, out)
        except ConfigError:
            continue
        model = model if ref is None else ref.kind.model if ref.kind.name == "section" else None
        for pair in getattr(model, "EXCLUSIVE", ()):
            other = next((f for f in pair if f != field), None) if field in pair else None
            has, given_value = _lookup(out, [*parent.split("."), other or ""])
            if other is None or not has or given_value is None or f"{parent}.{other}" in overrides:
                continue
            where = (f"--set {one_line(dotted)}={one_line(str(value))}" if cli
                     else f"{source}: override '{dotted}'")
            fix = f"--set {parent}.{other}=null" if cli else f"'{parent}.{other}': None"
            raise ConfigError(f"{where}: the file gives {parent}.{other} ({one_line(str(given_value))}), "
                              f"which {parent}.{field} replaces (give one, not both); leave the "
                              f"file's out too: {fix}")


def _cli_number(text: str) -> Any:
    """``--set`` text of a number field as a number, read as a config file's YAML reads it
    (YAML 1.2's core schema: ``16``, ``010`` -> 10, ``0.7``, ``1e6``); other text (``1:00``,
    ``1_000``) as given, for the field's own error (a number field takes no string)."""
    value = core_number(text.strip())
    return text if value is None else value


def _cli_list(text: str, where: str) -> list:
    """A list field's ``--set`` value: a YAML flow list (``[2, 2]``, ``[a, b]``)."""
    try:
        value = load_text(text)
    except yaml.YAMLError:
        value = None
    if not isinstance(value, list):
        raise ConfigError(f"{where}: this field is a list; write it as [a, b, ...]")
    return value


def _cli_table(text: str, where: str) -> dict:
    """A table field's ``--set`` value: a YAML flow mapping (``{}``, ``{2.weight: 8}``)."""
    try:
        value = load_text(text)
    except yaml.constructor.ConstructorError as exc:  # a key given twice: say which
        if "duplicate key" in str(exc.problem):
            raise ConfigError(f"{where}: {exc.problem}; give each key once") from None
        value = None
    except yaml.YAMLError:
        value = None
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: this field is a table; write it as {{key: value, ...}} "
                          "({} for none), or set one key as FIELD.KEY=VALUE")
    return value


#: ``--set PATH=null`` (YAML's spellings of null) leaves the field out, as if the file had not
#: given it (its default, or derived; a required field is then missing)
NULLS = ("null", "Null", "NULL", "~")


def _leaves_out(value: Any, cli: bool) -> bool:
    return value is None or (cli and isinstance(value, str) and value.strip() in NULLS)


def _lookup(data: Mapping, parts: list[str]) -> tuple[bool, Any]:
    """(whether ``data`` holds the key path ``parts``, its value)."""
    node: Any = data
    for part in parts:
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


@one_error
def apply_overrides(data: Mapping, overrides: Mapping[str, Any], source: str = "<config>",
                    cli: bool = False) -> dict:
    """Return a copy of ``data`` with ``{"memory.dram.bandwidth": "25 GB/s"}``-style values set.

    ``data`` is in the current layout (as :func:`read_yaml` returns it). The path must name
    a field of the schema (:func:`cimsim.config.paths.resolve`); a section the config does
    not have (say ``cim`` on a CPU-only config) is an error, not a silent no-op. The value is
    validated with the rest of the config. With ``cli`` the values are command-line text
    (``--set``): booleans are read from words, and errors name ``--set``. A value ``None``
    (``null`` from the command line) leaves the field out. Setting the ``type`` of a memory
    level, a link or a component switches it to that type, whose defaults apply; the old type's
    fields the new one lacks must be left out too (each named otherwise): none is dropped unasked.
    """
    if not isinstance(overrides, Mapping):
        raise CimsimError(f"overrides must be a mapping of dotted field paths to values, e.g. "
                          f"{{'processor.cores': 8}}, got {given(overrides)}")
    if (bad := next((k for k in overrides if not isinstance(k, str)), None)) is not None:
        raise CimsimError(f"overrides: each key must be a dotted field path (a str such as "
                          f"'processor.cores'), got {given(bad)}")
    out = copy.deepcopy(dict(data))
    switched: dict[tuple[str, ...], str] = {}  # the switched section's key path -> the override
    for dotted, value in overrides.items():
        where = (f"--set {one_line(str(dotted))}={one_line(str(value))}" if cli
                 else f"{source}: override '{dotted}'")
        parts = dotted.split(".")
        leave_out = _leaves_out(value, cli)
        try:
            ref = resolve(dotted, out)
        except ConfigError as exc:
            # a key the config holds may be left out though no field of its section's type now
            # (the old type's bandwidth after --set memory.dram.type=dram)
            if not (leave_out and _lookup(out, parts)[0]):
                raise ConfigError(f"{where}: {exc}") from None
            ref = None
        if leave_out:
            if ref is not None and ref.key_at is not None:
                parts = parts[:ref.key_at] + [".".join(parts[ref.key_at:])]
            held, node = _lookup(out, parts[:-1])
            if held and isinstance(node, dict):
                node.pop(parts[-1], None)
            if isinstance(out.get(marks.KEY), list):
                out[marks.KEY] = marks.cleared(out[marks.KEY], dotted)
            continue
        if not cli:  # a NumPy bool; a (3.072e11, "B/s") pair on a quantity (find-E 3)
            value = python_value(value, ref.kind, dotted, overrides, source)
        if cli and ref.kind.name == "bool" and isinstance(value, str):
            try:
                value = parse_flag(value)
            except ValueError as exc:
                raise ConfigError(f"{where}: {exc}") from None
        if cli and ref.kind.name in ("int", "float") and isinstance(value, str):
            value = _cli_number(value)
        if cli and ref.kind.name == "list" and isinstance(value, str):
            value = _cli_list(value, where)
        if cli and ref.kind.name == "table" and isinstance(value, str):
            value = _cli_table(value, where)
        if ref.key_at is not None:  # a table key holding dots ('cim.chip.layers.2.weight')
            parts = parts[:ref.key_at] + [".".join(parts[ref.key_at:])]
        if parts[-1] == "type" and (len(parts) == 3 and parts[0] in ("memory", "links")
                                    or len(parts) == 2 and parts[0] not in RESERVED):
            switched[tuple(parts[:-1])] = where
        node: Any = out
        for i, part in enumerate(parts[:-1]):
            if isinstance(node, dict) and node.get(part) is None and (i == 0 and part == "thermal" or i > 0
                                                                     and _optional_section(".".join(parts[:i + 1]), out)):
                node[part] = {}  # an optional section inside one the config has, or thermal: start it empty
            if not isinstance(node, dict) or node.get(part) is None:
                have = [k for k, v in node.items() if isinstance(v, dict)] \
                    if isinstance(node, dict) and i > 0 else []
                raise ConfigError(f"{where}: this architecture has no "
                                  f"'{'.'.join(parts[:i + 1])}' section"
                                  + (f"; '{'.'.join(parts[:i])}' has {', '.join(have)}"
                                     + did_you_mean(part, have) if have else ""))
            node = node[part]
        if not isinstance(node, dict):
            raise ConfigError(f"{where}: cannot set inside a non-mapping")
        node[parts[-1]] = value
        if isinstance(out.get(marks.KEY), list):  # a value stated here is no placeholder
            out[marks.KEY] = marks.cleared(out[marks.KEY], dotted)
    for key, where in switched.items():
        _check_switch(out, key, where, overrides, cli)
    _check_exclusive(out, overrides, source, cli)
    return out


def _check_switch(out: dict, key: tuple[str, ...], where: str, overrides: Mapping[str, Any],
                  cli: bool) -> None:
    """Refuse a section whose ``type`` an override switched (a memory level or link: ``key``
    ``(memory|links, NAME)``; a component: ``(KEY,)``) that keeps fields its new type lacks,
    naming each with its value (and the override that set it, if one did) and how to leave it
    out."""
    from ..hw import registry

    if len(key) == 2:
        section = out[key[0]][key[1]]
        kinds = (registry.memory if key[0] == "memory" else registry.links).types()
        new = section.get("type", "fixed")
    else:
        section = out[key[0]]
        kinds = registry.types()
        new = section.get("type", key[0])
    if not isinstance(new, str) or new not in kinds:
        return  # an unknown type: validation names the allowed ones
    extra = [k for k in section if k not in kinds[new].Config.model_fields]
    if not extra:
        return
    said, fix = [], []
    for k in extra:
        path = ".".join((*key, k))
        value = section[k]
        value = "a section" if isinstance(value, dict) else one_line(str(value))
        if path in overrides:
            value += f", from --set {path}={overrides[path]}" if cli else f", from override '{path}'"
        said.append(f"{k} ({value})")
        fix.append(f"--set {path}=null" if cli else f"'{path}': None")
    raise ConfigError(f"{where}: type {new} has no {', '.join(said)}; leave "
                      f"{'it' if len(extra) == 1 else 'them'} out too: {', '.join(fix)} (or write "
                      "the section in a config file)")
