"""Reading one config file: its bytes, its YAML as a plain mapping in the current layout (a
legacy file upgraded, its ``(U)`` comments as placeholder marks). :mod:`.inherit` reads a
config's ``base:`` chain with it; :func:`.loader.read_yaml` is the public reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..inputs import read_input
from . import legacy, marks
from .yamlread import KeyNotAName, UniqueKeyLoader, graph_error, syntax_error


def yaml_kind(data: Any) -> str:
    """What a YAML document is, in YAML's words (``a list``), not Python's (``list``)."""
    if data is None:
        return "nothing (the file is empty)"
    if isinstance(data, (int, float)):  # a bool is an int
        return f"a {'boolean' if isinstance(data, bool) else 'number'} ({data})"
    if isinstance(data, str):
        return "a string"
    if isinstance(data, (list, tuple)):
        return "a list"
    return type(data).__name__


def read_one(path: str | Path, raw: bytes | None = None) -> dict:
    """One config file as a plain mapping, current layout (``raw``: its bytes, if read already);
    its ``base:``, if any, left in it (:func:`.inherit.read_config` follows it)."""
    path = Path(path)
    if raw is None:
        raw = config_bytes(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}: {raw[exc.start:exc.start + 1]!r})") from None
    loader = None
    try:  # parse once: compose the node tree, bound its depth, then construct from it
        loader = UniqueKeyLoader(text)
        node = loader.get_single_node()
        why = graph_error(node) if node is not None else None
        if why is not None:
            raise ConfigError(f"{path}: {why}")
        data = loader.construct_document(node) if node is not None else None
    except KeyNotAName as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {syntax_error(exc, text)}") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to parse; not a cimsim config") from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level (name: ..., memory: ...), got {yaml_kind(data)}")
    old = legacy.is_legacy(data)
    data = legacy.upgrade(data) if old else data
    try:  # a legacy file's marks name its own paths: moved with their values
        found = marks.value_marks(text, data, legacy.upgrade_path if old else None)
    except ConfigError:  # a config whose sections are wrong: validation will say why
        found = []
    given = data.get(marks.KEY)
    if found and (given is None or isinstance(given, list)):
        data[marks.KEY] = list(dict.fromkeys([*(given or []), *found]))
    return data


def config_bytes(path: str | Path) -> bytes:
    """The config file's bytes (read once where it is a pipe); ConfigError where it cannot be read."""
    try:
        return read_input(path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror or exc})") from None
