"""Workloads: the op-DAG IR, its JSON format, generators and (optionally) the torch tracer."""

from .io import FORMAT, VERSION, load_workload, save_workload, workload_from_dict, workload_to_dict
from .ir import OP_KINDS, Op, Tensor, Workload

__all__ = [
    "FORMAT",
    "VERSION",
    "OP_KINDS",
    "Op",
    "Tensor",
    "Workload",
    "load_workload",
    "save_workload",
    "workload_from_dict",
    "workload_to_dict",
]
