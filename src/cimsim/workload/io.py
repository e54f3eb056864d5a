"""The workload file format: versioned JSON.

::

    {"format": "cimsim-workload", "version": 1, "name": ..., "metadata": {...},
     "tensors": [{"name", "shape", "dtype", "role"}, ...],
     "ops": [{"name", "kind", "inputs", "outputs", "m", "k", "n", "batch",
              "weight", "fn", "ops_per_element", "tags", "generic_macs"}, ...]}

Keys an op does not need are left out. A file of another format or version
is refused with a message naming both versions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..atomic import atomic_write
from ..errors import WorkloadError
from .ir import Op, Tensor, Workload

FORMAT = "cimsim-workload"
VERSION = 1

_OP_KEYS = {"name", "kind", "inputs", "outputs", "m", "k", "n", "batch", "weight", "fn",
            "ops_per_element", "tags", "generic_macs"}
_TENSOR_KEYS = {"name", "shape", "dtype", "role"}


def workload_to_dict(w: Workload) -> dict[str, Any]:
    ops = []
    for op in w.ops:
        d: dict[str, Any] = {"name": op.name, "kind": op.kind, "inputs": list(op.inputs),
                             "outputs": list(op.outputs)}
        if op.kind == "matmul":
            d.update(m=op.m, k=op.k, n=op.n, batch=op.batch)
            if op.weight is not None:
                d["weight"] = op.weight
        if op.fn is not None:
            d["fn"] = op.fn
        if op.ops_per_element is not None:
            d["ops_per_element"] = op.ops_per_element
        if op.generic_macs:
            d["generic_macs"] = op.generic_macs
        if op.tags:
            d["tags"] = dict(op.tags)
        ops.append(d)
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": w.name,
        "metadata": w.metadata,
        "tensors": [
            {"name": t.name, "shape": list(t.shape), "dtype": t.dtype, "role": t.role}
            for t in w.tensors.values()
        ],
        "ops": ops,
    }


def workload_from_dict(data: Any, source: str = "<workload>") -> Workload:
    def fail(msg: str):
        raise WorkloadError(f"{source}: {msg}")

    if not isinstance(data, dict):
        fail("expected a JSON object at the top level")
    if data.get("format") != FORMAT:
        fail(f"'format' is {data.get('format')!r}; a cimsim workload file has format '{FORMAT}'")
    version = data.get("version")
    if type(version) is not int or version != VERSION:
        fail(
            f"workload file version {data.get('version')!r} is not supported; this cimsim reads "
            f"version {VERSION} (regenerate the file with `cimsim workload` or `cimsim trace`)"
        )
    for key in ("name", "tensors", "ops"):
        if key not in data:
            fail(f"missing key '{key}'")
    unknown = set(data) - {"format", "version", "name", "metadata", "tensors", "ops"}
    if unknown:
        fail(f"unknown top-level keys {sorted(unknown)}")
    for key in ("tensors", "ops"):
        if not isinstance(data[key], list):
            fail(f"'{key}' must be a list, got {type(data[key]).__name__}")
    if not isinstance(data.get("metadata", {}), dict):
        fail(f"'metadata' must be an object, got {type(data['metadata']).__name__}")
    tensors = []
    for i, t in enumerate(data["tensors"]):
        if not isinstance(t, dict) or set(t) != _TENSOR_KEYS:
            fail(f"tensors[{i}]: a tensor has exactly the keys {sorted(_TENSOR_KEYS)}, got "
                 f"{sorted(t) if isinstance(t, dict) else type(t).__name__}")
        tensors.append(Tensor(t["name"], tuple(t["shape"]), t["dtype"], t["role"]))
    ops = []
    for i, o in enumerate(data["ops"]):
        if not isinstance(o, dict):
            fail(f"ops[{i}]: expected an object")
        bad = set(o) - _OP_KEYS
        if bad:
            fail(f"ops[{i}] ('{o.get('name')}'): unknown keys {sorted(bad)}; allowed: {sorted(_OP_KEYS)}")
        for key in ("name", "kind", "inputs", "outputs"):
            if key not in o:
                fail(f"ops[{i}]: missing key '{key}'")
        ops.append(Op(
            name=o["name"], kind=o["kind"], inputs=tuple(o["inputs"]), outputs=tuple(o["outputs"]),
            m=o.get("m", 0), k=o.get("k", 0), n=o.get("n", 0), batch=o.get("batch", 1),
            weight=o.get("weight"), fn=o.get("fn"), ops_per_element=o.get("ops_per_element"),
            tags=o.get("tags", {}), generic_macs=o.get("generic_macs", 0),
        ))
    try:
        return Workload(data["name"], tensors, ops, data.get("metadata", {}))
    except WorkloadError as exc:
        raise WorkloadError(f"{source}: {exc}") from None


def save_workload(w: Workload, path: str | Path) -> None:
    """Write ``w`` as JSON atomically (a temp file renamed into place)."""

    def write(tmp: str) -> None:
        with open(tmp, "w") as f:
            json.dump(workload_to_dict(w), f, separators=(",", ":"))
            f.write("\n")

    atomic_write(path, write)


def load_workload(path: str | Path) -> Workload:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise WorkloadError(f"{path}: cannot read workload ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkloadError(f"{path}: not valid JSON: {exc}") from None
    return workload_from_dict(data, source=str(path))
