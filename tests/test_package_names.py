"""The names of the ``cimsim`` package itself.

``cimsim.sweep`` was the function on first access and a callable module (no signature, the
module's docstring) once the subpackage was imported: Python binds an imported subpackage on
its parent under the same name."""

from __future__ import annotations

import inspect
import subprocess
import sys

import cimsim

SCRIPT = """
import inspect, cimsim
first = cimsim.sweep
import cimsim.sweep                      # binds the subpackage on cimsim (it did)
from cimsim.sweep import SweepStore      # the package's names still import
import cimsim.sweep.executors as ex      # a dotted submodule still imports
second = cimsim.sweep
assert first is second, (first, second)
assert inspect.isfunction(second) and second.__module__ == "cimsim.sweep.runner"
assert "chunk_size" in inspect.signature(second).parameters
assert second.__doc__.startswith("Run every design point")
assert ex.security_from_files is cimsim.sweep.executors.security_from_files
assert SweepStore.__module__ == "cimsim.sweep.store"
print("ok")
"""


def test_cimsim_sweep_is_always_the_function():
    # a fresh interpreter: here the subpackage is imported long before this test runs
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=240)
    assert run.returncode == 0 and run.stdout == "ok\n", run.stderr


def test_cimsim_sweep_in_this_process():
    import importlib

    from cimsim.sweep.runner import sweep

    pkg = importlib.import_module("cimsim.sweep")
    assert cimsim.sweep is sweep and cimsim.sweep is cimsim.sweep
    assert pkg.__name__ == "cimsim.sweep" and pkg.sweep is sweep
    assert list(inspect.signature(cimsim.sweep).parameters)[:2] == ["configs", "workloads"]


def test_dir_lists_the_lazily_loaded_names():
    """``dir(cimsim)`` left out every name loaded on first use (load_architecture, sweep, trace,
    ...), so tab completion and ``help`` did not offer them; in a fresh interpreter none is
    loaded yet."""
    run = subprocess.run([sys.executable, "-c",
                          "import cimsim; d = dir(cimsim); print(sorted(set(cimsim.__all__) - set(d))); "
                          "print('simulate' in d, '__version__' in d, d == sorted(d))"],
                         capture_output=True, text=True, timeout=120)
    assert run.stdout == "[]\nTrue True True\n", run.stderr
    assert set(cimsim.__all__) <= set(dir(cimsim))


def test_the_sweep_packages_names_reach_through_the_function():
    """`cimsim.sweep.plan_sweep`, `sweep_columns`, `SweepStore` worked while `cimsim.sweep` was
    the package; they work through the function too (a reviewer)."""
    import cimsim
    import cimsim.sweep  # noqa: F401  (binds the package, which the function stands for)
    from cimsim.sweep.columns import sweep_columns
    from cimsim.sweep.store import SweepStore

    assert cimsim.sweep.sweep_columns is sweep_columns and cimsim.sweep.SweepStore is SweepStore
    assert callable(cimsim.sweep.plan_sweep) and callable(cimsim.sweep.parse_spec)
