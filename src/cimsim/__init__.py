"""cimsim: what would this neural workload cost on this processor / DRAM / CIM architecture, and why?

Public API::

    from cimsim import load_architecture, load_workload, simulate
    result = simulate(load_architecture("configs/gpu-hbm3.yaml"), load_workload("workloads/lstm.json"))
    result.latency_s, result.energy_j, result.bound

``cimsim.trace`` (needs the ``torch`` extra) turns a PyTorch model into a
workload; ``cimsim.sweep`` runs design-space sweeps.
"""

from __future__ import annotations

from .errors import CimsimError, ConfigError, MappingError, WorkloadError
from .pipeline import simulate

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


_LAZY = {"Architecture": "config", "load_architecture": "config",
         "Workload": "workload", "load_workload": "workload", "save_workload": "workload"}


def __getattr__(name: str):
    # everything loads on first use (a CLI command imports only what it runs): numba and
    # pydantic for the core, torch for trace, dask and pandas for sweep
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    if name == "trace":
        from .workload.trace import trace

        return trace
    if name == "sweep":
        from .sweep import sweep

        return sweep
    raise AttributeError(f"module 'cimsim' has no attribute {name!r}")
