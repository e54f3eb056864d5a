"""Workloads: the op-DAG IR (columnar), its JSON and .npz files, generators and (optionally)
the torch tracer."""

from .io import (
    FORMAT,
    VERSION,
    load_workload,
    read_workload_bytes,
    save_workload,
    workload_from_dict,
    workload_to_dict,
)
from .ir import OP_KINDS, Op, Tensor, Workload, WorkloadBuilder, WorkloadColumns

__all__ = [
    "FORMAT",
    "VERSION",
    "OP_KINDS",
    "Op",
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
