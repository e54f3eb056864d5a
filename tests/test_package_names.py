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


def _type_checking_names(module) -> set[str]:
    """The names a module's ``if TYPE_CHECKING:`` block imports (what mypy and pyright see)."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for imp in node.body:
                if isinstance(imp, ast.ImportFrom):
                    out.update(a.asname or a.name for a in imp.names)
    return out


def test_a_type_checker_sees_every_lazily_loaded_name():
    """find-F #1: the names loaded on first use (a module ``__getattr__``) were ``Any`` to mypy
    and pyright, and ``cimsim.sweep`` the subpackage: each is imported under ``TYPE_CHECKING``
    from where ``__getattr__`` loads it (``sweep`` from its runner, ``trace`` from the tracer)."""
    import importlib

    import cimsim.workload as workload

    seen = _type_checking_names(cimsim)
    assert set(cimsim._LAZY) | {"sweep", "trace"} <= seen, sorted(set(cimsim._LAZY) - seen)
    assert set(cimsim.__all__) <= seen | set(vars(cimsim)), sorted(set(cimsim.__all__) - seen)
    assert set(workload._WHERE) <= _type_checking_names(workload)
    # and each names the object it loads
    for name in seen - {"sweep", "trace"}:
        module = importlib.import_module(f"cimsim.{cimsim._LAZY[name]}")
        assert getattr(cimsim, name) is getattr(module, name)


def test_dir_lists_the_api_not_what_imports_bound():
    """find-F #8: ``dir(cimsim)`` listed ``annotations`` (``from __future__ import
    annotations``), ``cimsim.workload`` ``importlib``, the generators ``Callable``, ``Iterable``,
    ``Path``: tab completion offered them as cimsim's API."""
    run = subprocess.run([sys.executable, "-c",
                          "import cimsim, cimsim.workload as w, cimsim.workload.generators as g\n"
                          "for m in (cimsim, w, g): print(sorted(n for n in dir(m) if not n.startswith('_')"
                          " and n not in m.__all__ and n not in vars(m).get('__path__', []) and "
                          "not type(getattr(m, n)).__name__ == 'module'))"],
                         capture_output=True, text=True, timeout=120)
    assert run.stdout == "[]\n[]\n[]\n", run.stdout + run.stderr
    import cimsim.workload.generators as g

    assert {"lstm", "matmul", "GENERATORS"} <= set(dir(g)) and "Path" not in dir(g)
    assert "annotations" not in dir(cimsim) and "TYPE_CHECKING" not in dir(cimsim)
