"""What an installed package (a wheel, not this checkout) needs: every data file the code reads
is in pyproject's package-data, and a project that vendors cimsim does not stand in for its
checkout. Found by a tester who installed the wheel (2026-12-05): the validation workload
``vgg8-cifar10.json`` was left out, so ``cimsim validate`` failed once installed."""

from __future__ import annotations

import fnmatch
import os
import tomllib
from pathlib import Path

import pytest

from cimsim import bundled

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "cimsim"


def _package_data() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["tool"]["setuptools"]["package-data"]["cimsim"]


def _data_files() -> list[str]:
    """Every non-Python file under the package (symbolic links to configs/ and workloads/
    followed, as a wheel build copies them), relative to the package."""
    out = []
    for d, dirs, files in os.walk(PKG, followlinks=True):
        dirs[:] = [x for x in dirs if x != "__pycache__"]
        for f in files:
            if not f.endswith((".py", ".pyc")):
                out.append(str((Path(d) / f).relative_to(PKG)))
    return sorted(out)


def test_every_data_file_is_in_the_package_data():
    patterns = _package_data()
    files = _data_files()
    assert "data/validation/vgg8-cifar10.json" in files and "data/configs/cpu-ddr5.yaml" in files
    missing = [f for f in files if not any(fnmatch.fnmatchcase(f, p) for p in patterns)]
    assert missing == [], f"not in [tool.setuptools.package-data]: {missing}"


def test_a_project_vendoring_cimsim_is_not_taken_for_its_checkout(tmp_path, monkeypatch):
    # a project's own pyproject two folders above the package (pip install --target vendor)
    proj = tmp_path / "proj"
    (proj / "configs").mkdir(parents=True)
    (proj / "configs" / "train.yaml").write_text("learning_rate: 0.1\n")
    (proj / "pyproject.toml").write_text('[project]\nname = "myproj"\n')
    pkg = proj / "vendor" / "cimsim"
    (pkg / "data" / "configs").mkdir(parents=True)
    (pkg / "data" / "configs" / "gpu-hbm3.yaml").write_text("name: x\n")
    monkeypatch.delenv("CIMSIM_HOME", raising=False)
    monkeypatch.setattr(bundled, "_PKG", pkg)
    assert bundled._root_candidates() == [pkg / "data"]
    assert bundled.configs_dir() == pkg / "data" / "configs"
    # cimsim's own checkout is one
    (proj / "pyproject.toml").write_text('[project]\nname = "cimsim"\nversion = "0"\n')
    assert bundled._root_candidates() == [proj, pkg / "data"]


@pytest.mark.parametrize("text", ["[project\nname = ", "[tool.x]\nname = 'cimsim'\n", "project = 3\n"])
def test_an_unreadable_or_other_pyproject_is_no_checkout(tmp_path, text):
    p = tmp_path / "pyproject.toml"
    p.write_text(text)
    assert bundled._is_cimsim_project(p) is False
    assert bundled._is_cimsim_project(tmp_path / "absent.toml") is False
    assert bundled._is_cimsim_project(ROOT / "pyproject.toml") is True


# ------------------------------------------------------------------ py.typed (PEP 561)
def test_the_package_is_marked_typed_for_type_checkers():
    # a type checker reads an installed package's hints only beside a py.typed marker (PEP 561);
    # without it mypy stopped at `import cimsim` ("missing library stubs or py.typed marker")
    import importlib.resources

    assert importlib.resources.files("cimsim").joinpath("py.typed").is_file()
    assert any(fnmatch.fnmatchcase("py.typed", p) for p in _package_data())  # in the wheel too


@pytest.mark.slow  # mypy reads cimsim's whole import graph: 10-25 s
def test_mypy_checks_a_script_against_cimsims_hints(tmp_path):
    # a user's script, checked as a user checks it: cimsim found as an installed package (on
    # the path, not a file given to mypy), so only the py.typed marker lets mypy read it
    pytest.importorskip("mypy.api")
    from mypy import api

    (tmp_path / "user.py").write_text(
        "from cimsim import load_architecture, load_workload, simulate\n"
        "r = simulate(load_architecture('gpu-hbm3'), load_workload('lstm'))\n"
        "e: str = r.energy_j\n")
    out, err, status = api.run([str(tmp_path / "user.py"), "--follow-imports=silent",
                                "--no-incremental", "--cache-dir", os.devnull,
                                "--python-executable", os.sys.executable])
    assert "py.typed" not in out and "import-untyped" not in out, out
    # the deliberate mistake is found, from Result.energy_j's hint (float)
    assert 'user.py:3: error: Incompatible types in assignment (expression has type "float", ' \
           'variable has type "str")' in out, out + err
    assert status == 1


@pytest.mark.slow  # mypy --strict reads cimsim's whole import graph: 20-60 s
def test_mypy_strict_sees_the_lazily_loaded_names_and_sweep(tmp_path):
    # find-F #1: the names cimsim loads on first use were Any to mypy (an untyped module
    # __getattr__), so load_architecture(123, overrides=5) passed --strict, and the documented
    # sweep(...) call was "Module not callable" (mypy saw the subpackage cimsim/sweep/)
    pytest.importorskip("mypy.api")
    from mypy import api

    (tmp_path / "user.py").write_text(
        "import cimsim\n"
        "from cimsim import Architecture, load_architecture, load_workload, model_revision, sweep\n"
        "a: Architecture = load_architecture('cpu-ddr5', overrides={'processor.cores': 8})\n"
        "n: int = load_architecture(123)\n"
        "w: str = load_workload('lstm')\n"
        "rev: str = model_revision()\n"
        "if __name__ == '__main__':\n"
        "    sweep('cpu-ddr5', 'lstm', {'processor.cores': [4, 8]})\n"
        "    cimsim.sweep('cpu-ddr5', 'lstm', params=['processor.cores=4,8'])\n")
    out, err, status = api.run([str(tmp_path / "user.py"), "--strict", "--follow-imports=silent",
                                "--no-incremental", "--cache-dir", os.devnull,
                                "--python-executable", os.sys.executable])
    lines = sorted("user.py" + line.split("user.py", 1)[1] for line in out.splitlines()
                   if ": error:" in line)
    assert lines == [
        'user.py:4: error: Argument 1 to "load_architecture" has incompatible type "int"; '
        'expected "str | Path"  [arg-type]',
        'user.py:4: error: Incompatible types in assignment (expression has type "Architecture", '
        'variable has type "int")  [assignment]',
        'user.py:5: error: Incompatible types in assignment (expression has type "Workload", '
        'variable has type "str")  [assignment]',
    ], out + err
