"""cimsim: what would this neural workload cost on this processor / DRAM / CIM architecture, and why?

Public API::

    from cimsim import load_architecture, load_workload, simulate
    result = simulate(load_architecture("configs/gpu-hbm3.yaml"), load_workload("workloads/lstm.json"))
    result.latency_s, result.energy_j, result.bound

``cimsim.trace`` (needs the ``torch`` extra) turns a PyTorch model into a
workload; ``cimsim.sweep`` runs design-space sweeps. ``cimsim.model_revision()`` names the
code and bundled data that compute results (``__version__`` names only the release).
"""

from __future__ import annotations

import sys as _sys
import types as _types
from typing import TYPE_CHECKING

from .errors import (CimsimError, CimsimWarning, ConfigError, MappingError, PhysicalPlausibilityWarning,
                     WorkloadError)
from .pipeline import simulate

if TYPE_CHECKING:  # what the lazily loaded names are, for mypy and pyright (see _LAZY)
    from .config import (Architecture, architecture_from_dict, architecture_to_dict,
                         config_fields, load_architecture, save_architecture)
    from .revision import model_revision
    from .sweep.pool import sweep_pool
    from .sweep.runner import sweep
    from .sweep.sensitivity import sensitivity
    from .workload import Workload, load_workload, save_workload
    from .workload.onnx_import import trace_onnx
    from .workload.trace import trace


def _version() -> str:
    """This package's version: the ``[project] version`` of the source checkout it runs from, if
    any (an editable install's metadata keeps the version of the day it was installed), else
    the installed distribution's metadata, else ``0+unknown``."""
    import re
    from pathlib import Path

    pyproject = Path(__file__).resolve().parent.parent.parent / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        text = ""
    # the [project] table: from its header to the next line that opens a table
    table = next((t for t in re.split(r"^(?=\[)", text, flags=re.M) if t.startswith("[project]")), "")
    m = re.search(r'^version\s*=\s*"([^"]+)"', table, re.M)
    if m and re.search(r'^name\s*=\s*"cimsim"', table, re.M):
        return m.group(1)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cimsim")
    except PackageNotFoundError:
        return "0+unknown"


__version__ = _version()

__all__ = [
    "Architecture",
    "CimsimError",
    "CimsimWarning",
    "ConfigError",
    "MappingError",
    "PhysicalPlausibilityWarning",
    "Workload",
    "WorkloadError",
    "architecture_from_dict",
    "architecture_to_dict",
    "config_fields",
    "load_architecture",
    "load_workload",
    "model_revision",
    "save_architecture",
    "save_workload",
    "sensitivity",
    "simulate",
    "sweep",
    "sweep_pool",
    "trace",
    "trace_onnx",
]


_LAZY = {"Architecture": "config", "load_architecture": "config",
         "architecture_from_dict": "config", "architecture_to_dict": "config",
         "save_architecture": "config", "config_fields": "config",
         "Workload": "workload", "load_workload": "workload", "save_workload": "workload",
         "trace_onnx": "workload.onnx_import", "model_revision": "revision", "sensitivity": "sweep.sensitivity",
         "sweep_pool": "sweep.pool"}


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
    raise AttributeError(f"module 'cimsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    # the lazily loaded names (load_architecture, sweep, trace, ...) as well as those loaded;
    # not what this module's imports bound (annotations, TYPE_CHECKING)
    from .names import public_dir

    return public_dir(globals())


class _Cimsim(_types.ModuleType):
    """The type of this package's module: ``cimsim.sweep`` names both the function and the
    subpackage that holds it. Importing the subpackage binds its module here (as Python does for
    every submodule); this keeps ``cimsim.sweep`` the function on every access, while ``import
    cimsim.sweep`` and ``from cimsim.sweep import ...`` reach the package through sys.modules
    (``importlib.import_module("cimsim.sweep")`` gives the package itself)."""

    @property
    def sweep(self):
        """:func:`cimsim.sweep.runner.sweep` (or what was assigned to ``cimsim.sweep``)."""
        given = self.__dict__.get("_sweep_assigned")
        if given is not None:
            return given
        from .sweep.runner import sweep

        # its loaded submodules and the package's public names as attributes, so that dotted
        # names through it keep working: ``import cimsim.sweep.executors as ex``,
        # ``cimsim.sweep.executors.security_from_files``, ``cimsim.sweep.plan_sweep``
        pkg = _sys.modules[f"{__name__}.sweep"]
        for key, value in vars(pkg).items():
            if isinstance(value, _types.ModuleType) and value.__name__ == f"{__name__}.sweep.{key}":
                setattr(sweep, key, value)
        for key in getattr(pkg, "__all__", ()):  # loaded lazily by the package: getattr loads them
            if key != "sweep" and key not in vars(sweep):
                setattr(sweep, key, getattr(pkg, key))
        return sweep

    @sweep.setter
    def sweep(self, value) -> None:
        if isinstance(value, _types.ModuleType) and value.__name__ == f"{__name__}.sweep":
            return  # the import system binding the subpackage: the function stays
        self.__dict__["_sweep_assigned"] = value  # a stand-in (monkeypatch, a wrapper)

    @sweep.deleter
    def sweep(self) -> None:
        self.__dict__.pop("_sweep_assigned", None)


_sys.modules[__name__].__class__ = _Cimsim
