"""Workloads: the op-DAG IR (columnar), its JSON and .npz files, generators and (optionally)
the torch tracer.

Layout: :mod:`.ir` the records and queries (Tensor, Op, Workload and its views),
:mod:`.builder` the op-by-op builder, :mod:`.checks` the validation rules (one
table), :mod:`.columns` strings and tags as columns, :mod:`.kinds` the op-kind
table, :mod:`.oparrays` the per-op columns the stages read (a leaf ``hw/`` may
import), :mod:`.arrays` computing them, :mod:`.io` the files, :mod:`.generators`
the closed-form models, :mod:`.graph` longest paths, :mod:`.trace` the tracer.

The names below load on first use, so importing :mod:`cimsim.workload.oparrays`
alone does not import the rest of the package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what the lazily loaded names are, for mypy and pyright (see _WHERE)
    from .builder import WorkloadBuilder
    from .io import (FORMAT, VERSION, load_workload, read_workload_bytes, save_workload,
                     workload_from_dict, workload_to_dict)
    from .ir import Op, Tensor, Workload, WorkloadColumns
    from .kinds import OP_KINDS
    from .oparrays import OpArrays

_WHERE = {
    "FORMAT": "io", "VERSION": "io", "load_workload": "io", "read_workload_bytes": "io",
    "save_workload": "io", "workload_from_dict": "io", "workload_to_dict": "io",
    "OP_KINDS": "kinds", "Op": "ir", "Tensor": "ir", "Workload": "ir", "WorkloadColumns": "ir",
    "WorkloadBuilder": "builder", "OpArrays": "oparrays",
}

__all__ = [
    "FORMAT",
    "VERSION",
    "OP_KINDS",
    "Op",
    "OpArrays",
    "Tensor",
    "Workload",
    "WorkloadBuilder",
    "WorkloadColumns",
    "read_workload_bytes",
    "load_workload",
    "save_workload",
    "workload_from_dict",
    "workload_to_dict",
]


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    from ..names import public_dir

    return public_dir(globals())
