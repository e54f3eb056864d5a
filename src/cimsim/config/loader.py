"""YAML loading, error messages that name file and field, dotted-path overrides."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Mapping

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import ConfigError
from .models import Architecture


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys instead of keeping the last one."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen[key] = 1
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def read_yaml(path: str | Path) -> dict:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror})") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """Follow ``loc`` through nested pydantic models; None where it leaves them."""
    current: Any = model
    for part in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        ann = field.annotation
        # unwrap Optional[X]
        args = getattr(ann, "__args__", ())
        if args:
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            ann = models[0] if models else ann
        current = ann
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def format_validation_error(
    exc: ValidationError, source: str, model: type[BaseModel] = Architecture
) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        path = ".".join(str(p) for p in loc) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            parent = _model_at(model, loc[:-1])
            allowed = sorted(parent.model_fields) if parent else []
            msg = f"unknown key; allowed keys here: {', '.join(allowed)}"
        elif err["type"] == "missing":
            parent = _model_at(model, loc[:-1])
            field = parent.model_fields.get(loc[-1]) if parent else None
            desc = f" ({field.description})" if field is not None and field.description else ""
            msg = f"required field is missing{desc}"
        lines.append(f"{source}: {path}: {msg}")
    return "\n".join(lines)


def architecture_from_dict(data: Mapping, source: str = "<config>") -> Architecture:
    """Validate a plain mapping into an :class:`Architecture`, or raise ConfigError."""
    try:
        return Architecture.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source)) from None


def load_architecture(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Architecture:
    """Load a YAML architecture file, apply dotted-path ``overrides``, validate."""
    data = read_yaml(path)
    if overrides:
        data = apply_overrides(data, overrides, source=str(path))
    return architecture_from_dict(data, source=str(path))


def apply_overrides(data: Mapping, overrides: Mapping[str, Any], source: str = "<config>") -> dict:
    """Return a copy of ``data`` with ``{"memory.bandwidth": "25 GB/s"}``-style values set.

    The path must name a field of the schema; a section the config does not
    have (say ``cim`` on a CPU-only config) is an error, not a silent no-op.
    """
    out = copy.deepcopy(dict(data))
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        model: type[BaseModel] | None = Architecture
        node: Any = out
        for i, part in enumerate(parts):
            here = ".".join(parts[: i + 1])
            if model is not None:
                if part not in model.model_fields:
                    allowed = ", ".join(sorted(model.model_fields))
                    raise ConfigError(
                        f"{source}: override '{dotted}': '{here}' is not a field; "
                        f"allowed here: {allowed}"
                    )
                model = _model_at(model, (part,))
            last = i == len(parts) - 1
            if last:
                if not isinstance(node, dict):
                    raise ConfigError(f"{source}: override '{dotted}': cannot set inside a non-mapping")
                node[part] = value
            else:
                if not isinstance(node, dict) or part not in node or node[part] is None:
                    raise ConfigError(
                        f"{source}: override '{dotted}': this architecture has no '{here}' section"
                    )
                node = node[part]
    return out
