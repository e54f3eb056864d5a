"""cimsim: what would this neural workload cost on this processor / DRAM / CIM architecture, and why?

Public API::

    from cimsim import load_architecture, load_workload, simulate
    result = simulate(load_architecture("configs/gpu-hbm3.yaml"), load_workload("workloads/lstm.json"))
    result.latency_s, result.energy_j, result.bound

``cimsim.trace`` (needs the ``torch`` extra) turns a PyTorch model into a
workload; ``cimsim.sweep`` runs design-space sweeps.
"""

from __future__ import annotations

from .config import Architecture, load_architecture
from .errors import CimsimError, ConfigError, MappingError, WorkloadError
from .simulate import simulate
from .workload import Workload, load_workload, save_workload

__version__ = "0.1.0"

__all__ = [
    "Architecture",
    "CimsimError",
    "ConfigError",
    "MappingError",
    "Workload",
    "WorkloadError",
    "load_architecture",
    "load_workload",
    "save_workload",
    "simulate",
    "sweep",
    "trace",
]


def __getattr__(name: str):
    # heavy or optional parts load on first use: torch for trace, dask for sweep
    if name == "trace":
        from .workload.trace import trace

        return trace
    if name == "sweep":
        from .sweep import sweep

        return sweep
    raise AttributeError(f"module 'cimsim' has no attribute {name!r}")
