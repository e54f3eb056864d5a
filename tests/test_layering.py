"""The layering of the package, read from the source (ast), in both directions.

- ``plot/``, ``report/`` and ``hw/`` never import what runs simulations: the pipeline, the
  studies, the engine (nor the ``simulate`` / ``sweep`` entry points that lead to them);
- ``hw/`` (the components) imports no stage: only its own modules, the quantity types, the
  units and the errors;
- the stages (``mapping/``, ``cost/``, ``pipeline.py``, ``engine/``, ``report/``) never name a
  registered device type: they loop over components and ask them.

Every checker is run on a small bad source first, so a checker that finds nothing cannot pass.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import cimsim
from cimsim.hw.registry import types

SRC = Path(cimsim.__file__).resolve().parent  # src/cimsim


# ------------------------------------------------------------------ import graph
def module_name(path: Path) -> str:
    """``cimsim.report.html`` for src/cimsim/report/html.py, ``cimsim.report`` for its __init__."""
    parts = ("cimsim",) + path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, module: str, is_package: bool) -> set[str]:
    """Every absolute module (or module attribute) ``source`` imports, at any depth, relative
    imports resolved: ``from ..pipeline import simulate`` in cimsim.plot.figures gives
    ``cimsim.pipeline`` and ``cimsim.pipeline.simulate``. String arguments of
    ``importlib.import_module`` / ``__import__`` count too."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name in ("import_module", "__import__"):
                target = node.args[0].value
                if target.startswith("."):  # import_module(".x", package): relative to this package
                    target = ".".join(package) + target
                out.add(target)
    return out


def _under(name: str, prefixes) -> str | None:
    for p in prefixes:
        if name == p or name.startswith(p + "."):
            return p
    return None


def module_files(*subdirs: str) -> list[Path]:
    out = []
    for sub in subdirs:
        p = SRC / sub
        out += sorted(p.rglob("*.py")) if p.is_dir() else [p]
    assert out and all(f.is_file() for f in out), subdirs
    return out


def imports_of(path: Path) -> set[str]:
    return imported(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")


#: what runs simulations: nothing that draws or writes (plot/, report/) nor a component (hw/)
#: may import it
RUNNERS = ("cimsim.pipeline", "cimsim.studies", "cimsim.engine",
           "cimsim.simulate",  # the package's re-export of the pipeline's function
           "cimsim.sweep.sweep", "cimsim.sweep.runner", "cimsim.sweep.worker", "cimsim.sweep.executors")


def runner_imports(path_or_source, module: str | None = None, is_package: bool = False) -> list[str]:
    names = (imports_of(path_or_source) if isinstance(path_or_source, Path)
             else imported(path_or_source, module, is_package))
    return sorted(n for n in names if _under(n, RUNNERS))


def test_the_import_reader_resolves_relative_and_dynamic_imports():
    # a checker that reads nothing would pass every layering test: prove it reads each form
    bad = ("from ..pipeline import simulate\n"
           "def f():\n    from ..engine.des import simulate_dag\n"
           "import cimsim.studies\n"
           "from .. import simulate as run\n"
           "import importlib\nimportlib.import_module('cimsim.sweep.runner')\n")
    assert runner_imports(bad, "cimsim.plot.figures") == [
        "cimsim.engine.des", "cimsim.engine.des.simulate_dag", "cimsim.pipeline",
        "cimsim.pipeline.simulate", "cimsim.simulate", "cimsim.studies", "cimsim.sweep.runner"]
    # a package's own relative import starts at the package, a module's at its parent
    assert "cimsim.report.columns" in imported("from . import columns", "cimsim.report", True)
    assert "cimsim.report.columns" in imported("from . import columns", "cimsim.report.html", False)
    assert "cimsim.hw.base" in imported("from ..base import X", "cimsim.hw.cim.energy", False)
    assert "cimsim.errors" in imported("from ...errors import E", "cimsim.hw.cim.energy", False)
    # and on the real tree: the pipeline imports the engine and the report's builder
    got = imports_of(SRC / "pipeline.py")
    assert {"cimsim.engine.des", "cimsim.report.build", "cimsim.cost.cache"} <= got


@pytest.mark.parametrize("layer", ["plot", "report", "hw"])
def test_drawing_writing_and_components_import_nothing_that_runs(layer):
    bad = {f.relative_to(SRC).as_posix(): runner_imports(f) for f in module_files(layer)}
    assert {k: v for k, v in bad.items() if v} == {}


def test_hw_imports_only_the_base_quantities_and_errors():
    # a component never imports a stage (config, mapping, cost, engine, report, pipeline,
    # studies, sweep, workload), so stages can loop over components freely
    allowed = ("cimsim.quantity", "cimsim.errors", "cimsim.units", "cimsim.dtypes", "cimsim.workload.oparrays", "cimsim.hw")
    assert [n for n in imported("from ...cost import CostTable", "cimsim.hw.cim.energy", False)
            if n.startswith("cimsim.") and not _under(n, allowed)]  # the check can fail
    bad = {}
    for f in module_files("hw"):
        names = [n for n in imports_of(f) if (n == "cimsim" or n.startswith("cimsim."))
                 and not _under(n, allowed)]
        if names:
            bad[f.relative_to(SRC).as_posix()] = sorted(names)
    assert bad == {}



def test_config_and_mapping_reach_the_report_layer_only_for_its_column_names():
    # cimsim.report.columns (no imports of its own) is the one file naming result columns, so a
    # lower layer may read it; anything else of report/ or plot/ (si came from report.format,
    # a re-export of cimsim.units) is the wrong way up
    bad = {}
    for f in module_files("config", "mapping", "accuracy"):
        names = [n for n in imports_of(f) if _under(n, ("cimsim.report", "cimsim.plot"))
                 and not _under(n, ("cimsim.report.columns",)) and n != "cimsim.report"]
        if names:
            bad[f.relative_to(SRC).as_posix()] = sorted(names)
    assert bad == {}
    assert imports_of(SRC / "report" / "columns.py") == {"__future__", "__future__.annotations"}


# ------------------------------------------------------------------ no device names in stages
STAGES = ("mapping", "cost", "pipeline.py", "engine", "report")


def _words(text: str) -> list[str]:
    """Lower-case words of an identifier or key: ``cim_rows`` -> cim, rows; ``CIMArea`` ->
    cim, area; ``hw.cim`` -> hw, cim."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    return [w for w in re.split(r"[^A-Za-z0-9]+", text.lower()) if w]


def device_names(source: str, type_names) -> list[tuple[int, str, str]]:
    """``(line, type name, what)`` for every place ``source`` names a device type.

    Fair means: what the code *does* with a name. Counted are identifiers (variables,
    attributes, functions, classes, arguments, keywords, imported modules) with the type name
    as one of their words (``cim_rows``, ``arch.cim``, ``from ..hw.cim import``) and string
    literals that are a key or name rather than prose: no whitespace in them (``"cim"``,
    ``"util_cim_mac"``), compared word by word. Prose (a string with spaces, such as an error
    message's advice) and docstrings describe; they do not select a device, so they are left
    out.
    """
    tree = ast.parse(source)
    docs = set()
    for n in ast.walk(tree):
        if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and n.body \
                and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant):
            docs.add(id(n.body[0].value))
    names = set(type_names)
    hits = []
    for n in ast.walk(tree):
        found: list[tuple[str, str]] = []
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs \
                and not re.search(r"\s", n.value):
            found += [(w, repr(n.value)) for w in _words(n.value)]
        for attr in ("id", "attr", "name", "arg", "module", "asname"):
            v = getattr(n, attr, None)
            if isinstance(v, str):
                found += [(w, v) for w in _words(v)]
        hits += [(getattr(n, "lineno", 0), w, what) for w, what in found if w in names]
    return sorted(set(hits))


def test_the_device_name_check_finds_each_form():
    names = ("cim", "processor", "systolic")
    bad = ('if comp.type_name == "cim":\n    pass\n'
           "rows = arch.cim.rows\n"
           "from ..hw.systolic import SystolicArray\n"
           "def place_processor(x):\n    return x\n"
           'col = "util_processor_mac"\n'
           'msg = "add a processor to run what the accelerators do not"\n')
    found = {(line, name) for line, name, _ in device_names(bad, names)}
    assert found == {(1, "cim"), (3, "cim"), (4, "systolic"), (5, "processor"), (7, "processor")}


@pytest.mark.parametrize("path", module_files(*STAGES), ids=lambda p: p.relative_to(SRC).as_posix())
def test_stages_never_name_a_registered_device_type(path):
    registered = sorted(types())
    assert {"processor", "pim", "cim", "systolic"} <= set(registered)
    assert device_names(path.read_text(encoding="utf-8"), registered) == []


def test_no_module_over_600_lines_without_a_stated_reason():
    """A module over 600 lines says why at its top ("Why one module of over 600 lines")."""
    marker = "why one module of over 600 lines"
    long = {f.relative_to(SRC).as_posix(): n for f in SRC.rglob("*.py")
            if (n := len(f.read_text().splitlines())) > 600}
    unexplained = {name: n for name, n in long.items()
                   if marker not in (ast.get_docstring(ast.parse((SRC / name).read_text())) or "").lower()}
    assert unexplained == {}
