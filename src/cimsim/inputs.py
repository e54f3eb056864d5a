"""What a result was computed from, as outputs record it: each config and workload file (its
path as resolved and the SHA-256 of its bytes) and the ``--set`` overrides as typed.

One record per file, ``{"path": ..., "sha256": ...}`` (:func:`file_record`): a sweep's Parquet
attrs ``cimsim_configs`` / ``cimsim_workloads`` hold them by name as typed; ``run --json``,
``compare -o``, the report's results.csv and page, and a sweep's CSV copy hold them as the
columns :data:`cimsim.report.columns.INPUT_COLUMNS` name (:func:`input_fields`,
:func:`with_inputs`). Paths are absolute and nothing here holds a time: the same command gives
the same bytes.
"""

from __future__ import annotations

import copy
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .report import columns as C


@dataclass(frozen=True)
class Source:
    """What an :class:`~cimsim.config.Architecture` or a :class:`~cimsim.workload.Workload` was
    built from (its ``source``): the file's path as resolved and the SHA-256 of its bytes (both
    None for one built in memory: ``architecture_from_dict``, a generator, a trace) and, for an
    architecture, the overrides applied to the file (:attr:`overrides`, as given)."""

    path: str | None = None
    sha256: str | None = None
    #: the overrides' ``(field, value)`` pairs in order (:attr:`overrides` gives them as a dict)
    override_items: tuple = ()

    @classmethod
    def of(cls, record: Mapping[str, str] | None = None,
           overrides: Mapping[str, Any] | None = None) -> "Source":
        """From :func:`file_record`'s record (None: no file) and the overrides (copied)."""
        record = record or {}
        return cls(record.get("path"), record.get("sha256"),
                   tuple(copy.deepcopy(dict(overrides or {})).items()))

    @property
    def overrides(self) -> dict[str, Any]:
        """The overrides applied to the file, ``{"dotted.field": value}`` as given (a copy)."""
        return copy.deepcopy(dict(self.override_items))

    def record(self) -> dict[str, str | None]:
        """``{"path": ..., "sha256": ...}``, as :func:`file_record` gives it (None: no file)."""
        return {"path": self.path, "sha256": self.sha256}


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of ``data``, 64 hex digits."""
    return hashlib.sha256(data).hexdigest()


#: the bytes of the inputs that are not regular files (a pipe, ``<(...)``, ``/dev/stdin``, a
#: FIFO), by absolute path and the pipe's (device, inode): such a file gives its bytes once, so
#: every later read of the same pipe gets these (another pipe at the same path is read anew)
_STREAMS: dict[tuple, bytes] = {}


def read_input(path: str | Path) -> bytes:
    """The bytes of the config or workload file ``path`` (OSError as ``read_bytes`` raises it).

    A file that is not a regular file (a shell's ``<(...)``, ``/dev/stdin``, a named pipe) can
    be read only once: its bytes are kept for the rest of the process, so that parsing it,
    hashing it and checking it again all see what was read, not an empty second read."""
    try:
        st = os.stat(path)
    except OSError:
        return Path(path).read_bytes()  # (which says why it cannot be read)
    if stat.S_ISREG(st.st_mode):
        return Path(path).read_bytes()
    key = (os.path.abspath(path), st.st_dev, st.st_ino)
    if key not in _STREAMS:
        _STREAMS[key] = Path(path).read_bytes()
    return _STREAMS[key]


def file_record(path: str | Path, data: bytes | None = None) -> dict[str, str]:
    """``{"path": absolute path, "sha256": SHA-256 of the file's bytes}`` (``data``: the bytes,
    when the caller has read them already)."""
    if data is None:
        data = read_input(path)
    return {"path": path_text(os.path.abspath(path)), "sha256": sha256_hex(data)}


def path_text(path: str | Path) -> str:
    """``path`` as text any UTF-8 writer takes: a file name whose bytes are not UTF-8 (``caf\\xe9``
    in Latin-1) reaches Python as lone surrogates, which JSON, Parquet and CSV writers refuse;
    its undecodable bytes are spelled ``\\xe9``. A UTF-8 name comes back unchanged."""
    return utf8_text(os.fsencode(path).decode("utf-8", "surrogateescape"))


def utf8_text(text: str) -> str:
    """``text`` with any lone surrogate (an undecodable byte of a file name, as Python's
    ``surrogateescape`` keeps it) spelled ``\\xe9``: what :func:`path_text` gives a path."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def overrides_cell(overrides: Mapping[str, str]) -> str:
    """The ``overrides`` CSV cell: ``field=value`` as typed, joined by ``; `` ("" when none)."""
    return C.OVERRIDES_SEPARATOR.join(f"{k}={v}" for k, v in overrides.items())


def recorded(config_paths, arch_names, workload_paths, workload_names,
             overrides: Mapping[str, str]) -> dict:
    """``{"configs": {name: record}, "workloads": {name: record}, "overrides": {...}}`` for
    the runs of these files (names: the architectures' and workloads' own, which key the rows)."""
    return {"configs": {n: file_record(p) for p, n in zip(config_paths, arch_names)},
            "workloads": {n: file_record(p) for p, n in zip(workload_paths, workload_names)},
            "overrides": dict(overrides)}


def input_fields(config: Mapping | None, workload: Mapping | None,
                 overrides: Mapping[str, str]) -> dict:
    """``run --json``'s keys: the overrides as an object, each file's path and SHA-256 (None
    for a workload traced in memory)."""
    config, workload = config or {}, workload or {}
    return {C.OVERRIDES: dict(overrides),
            C.CONFIG_PATH: config.get("path"), C.CONFIG_SHA256: config.get("sha256"),
            C.WORKLOAD_PATH: workload.get("path"), C.WORKLOAD_SHA256: workload.get("sha256")}


def source_fields(config: Source | None, workload: Source | None) -> dict:
    """:func:`input_fields` of an architecture's and a workload's :class:`Source` (None: built
    in memory): what ``Result.to_json()`` holds of them, as ``run --json`` does. Override
    values are given JSON-ready: a NumPy number as the number, another non-JSON value as its
    text."""
    config, workload = config or Source(), workload or Source()
    return input_fields(config.record(), workload.record(),
                        {k: _json_ready(v) for k, v in config.overrides.items()})


def _json_ready(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # a NumPy scalar
        try:
            return _json_ready(value.item())
        except (TypeError, ValueError):
            pass
    return str(value)


def with_inputs(df, inputs: Mapping):
    """``df`` (a row per run, keyed by ``architecture`` and ``workload`` names) with the
    :data:`~cimsim.report.columns.INPUT_COLUMNS` appended (``inputs``: :func:`recorded`'s)."""
    cfg = [inputs["configs"].get(a, {}) for a in df[C.ARCHITECTURE]]
    wl = [inputs["workloads"].get(w, {}) for w in df[C.WORKLOAD]]
    return df.assign(**{C.OVERRIDES: overrides_cell(inputs.get("overrides") or {}),
                        C.CONFIG_PATH: [c.get("path", "") for c in cfg],
                        C.CONFIG_SHA256: [c.get("sha256", "") for c in cfg],
                        C.WORKLOAD_PATH: [w.get("path", "") for w in wl],
                        C.WORKLOAD_SHA256: [w.get("sha256", "") for w in wl]})
