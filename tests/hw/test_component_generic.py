"""A component class is generic over its config model (``class CIM(Component[CIMConfig])``): a
type checker sees the model's own fields on ``self.config`` (before, ``Component.config`` was the
base ``ComponentConfig`` and mypy called every ``self.config.rows`` an error, so a real typo was
lost among them). At run time nothing changes: the README's plug-in runs, registers and pickles
as before, and a plug-in's errors still name the plug-in's own line.

Round numbers (conftest.ROUND_ARCH): DRAM 10 GB/s + 100 ns, the backing store.
"""

from __future__ import annotations

import copy
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Literal

import pytest
from pydantic import Field

import cimsim
from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import ComponentError
from cimsim.hw import Component, ComponentConfig, register
from cimsim.hw.cim import CIM, CIMConfig
from cimsim.hw.registry import types, unregister
from cimsim.quantity import PositiveInt

from conftest import ROUND_ARCH, gemv_workload, run_readme_block

HEADING = "**A new device**"
GEMV = {"type": "gemv-engine", "lanes": 256, "clock": "1 GHz", "energy_per_mac": "1 pJ"}


def _readme_block() -> str:
    readme = (Path(cimsim.__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("```python\n", readme.index(HEADING)) + len("```python\n")
    return readme[start:readme.index("```", start)]


@pytest.fixture
def gemv_engine():
    ns = run_readme_block(HEADING)  # registers GemvEngine
    try:
        yield ns["GemvEngine"]
    finally:
        unregister("gemv-engine")


def test_the_readme_engine_runs(gemv_engine):
    assert types()["gemv-engine"] is gemv_engine
    arch = architecture_from_dict({**copy.deepcopy(ROUND_ARCH), "gemv": dict(GEMV)})
    assert isinstance(arch.component("gemv").config, gemv_engine.Config)
    r = simulate(arch, gemv_workload(1024, 4096))
    assert r.ops_per_unit == {"processor": 0, "gemv": 1}
    # 1024 x 4096 = 4,194,304 MACs at 1 pJ each
    assert r.energy_breakdown_j["gemv_mac"] == pytest.approx(1024 * 4096 * 1e-12, rel=1e-12, abs=0)


def test_a_generic_component_pickles_as_before():
    # an architecture crosses to a sweep's workers pickled; a plug-in class defined in a
    # function or a script goes by value with cloudpickle, its Component[...] base with it
    cloudpickle = pytest.importorskip("cloudpickle")
    arch, wl = architecture_from_dict(copy.deepcopy(ROUND_ARCH)), gemv_workload(256, 256)
    assert simulate(pickle.loads(pickle.dumps(arch)), wl).energy_breakdown_j == \
        simulate(arch, wl).energy_breakdown_j

    class LocalConfig(ComponentConfig):
        type: Literal["test-local"] = Field(default="test-local", description="Component type.")
        lanes: PositiveInt = Field(description="Lanes.")

    class Local(Component[LocalConfig]):
        type_name = "test-local"
        Config = LocalConfig

    # loaded in another process (a worker), where the class is rebuilt from the bytes
    code = ("import pickle, sys; from cimsim.hw import Component; C = pickle.loads(sys.stdin.buffer.read()); "
            "print(issubclass(C, Component), C.__orig_bases__[0].__args__[0] is C.Config, "
            "C('x', C.Config(lanes=3), None).config.lanes)")
    p = subprocess.run([sys.executable, "-c", code], input=cloudpickle.dumps(Local), capture_output=True)
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout.decode().split() == ["True", "True", "3"]


def test_the_builtins_name_their_config_type():
    # CIM's generic argument is its Config: what mypy reads and what the registry builds agree
    for cls in types().values():
        if not cls.__module__.startswith("cimsim."):
            continue
        base = next(b for b in cls.__orig_bases__ if getattr(b, "__origin__", None) is Component)
        assert base.__args__ == (cls.Config,), cls
    assert CIM.Config is CIMConfig


BOOM = textwrap.dedent('''
    import typing
    from typing import Literal
    from pydantic import Field
    from cimsim.hw import Component, ComponentConfig, Plan


    def _hinted(x: "NoSuchName") -> None: ...


    class StdlibBoomConfig(ComponentConfig):
        type: Literal["test-stdlib-boom"] = Field(default="test-stdlib-boom", description="Component type.")


    class StdlibBoom(Component[StdlibBoomConfig]):
        type_name = "test-stdlib-boom"
        Config = StdlibBoomConfig
        priority = 10

        def claim(self, ops, free):
            return free & (ops.macs == 0)

        def place(self, ops, idx):
            typing.get_type_hints(_hinted)  # NameError, raised inside typing.py
            return Plan.one_server(len(idx))

        def cost(self, ops, idx, plan):
            raise AssertionError("not reached")
''')


def test_an_error_raised_in_the_standard_library_names_the_plugins_line(tmp_path, monkeypatch):
    # typing.Generic is in every component's MRO now; the guard took its file (typing.py) for the
    # plug-in's, and named typing.py's line instead of the plug-in's call
    (tmp_path / "stdlib_boom.py").write_text(BOOM)
    monkeypatch.syspath_prepend(str(tmp_path))
    import stdlib_boom

    line = next(i for i, s in enumerate(BOOM.splitlines(), 1) if "get_type_hints(_hinted)" in s)
    register(stdlib_boom.StdlibBoom)
    try:
        arch = architecture_from_dict({**copy.deepcopy(ROUND_ARCH), "vu": {"type": "test-stdlib-boom"}})
        from cimsim.workload import Op, Tensor, Workload

        wl = Workload("relu", [Tensor("x", (8,), "fp32", "input"), Tensor("y", (8,), "fp32", "activation")],
                      [Op("r", "elementwise", ("x",), ("y",), fn="relu")])
        with pytest.raises(ComponentError) as e:
            simulate(arch, wl)
    finally:
        unregister("test-stdlib-boom")
    assert str(e.value).startswith("component 'vu' (test-stdlib-boom): place() raised NameError: ")
    assert str(e.value).endswith(f"(stdlib_boom.py:{line})"), str(e.value)


@pytest.mark.slow  # mypy reads cimsim's import graph: 10-30 s
def test_mypy_sees_a_plugins_own_config_fields(tmp_path, monkeypatch):
    pytest.importorskip("mypy.api")
    from mypy import api

    block = _readme_block()
    assert "self.config.lanes" in block
    (tmp_path / "recipe.py").write_text(block)
    (tmp_path / "typo.py").write_text(block.replace("self.config.lanes", "self.config.lane"))
    # the cimsim under test (this checkout's src), not another installed copy
    monkeypatch.setenv("MYPYPATH", str(Path(cimsim.__file__).resolve().parents[1]))
    out, err, status = api.run([str(tmp_path / "recipe.py"), str(tmp_path / "typo.py"),
                                "--follow-imports=silent", "--no-incremental",
                                "--cache-dir", os.devnull, "--python-executable", os.sys.executable])
    errors = [line for line in out.splitlines() if ": error:" in line]
    # the recipe is clean: before, each of its self.config reads was '"ComponentConfig" has no
    # attribute ...'
    assert not [e for e in errors if "recipe.py" in e], out + err
    # and the typo is found, naming the plug-in's own config
    assert len(errors) == 1 and 'typo.py' in errors[0] and \
        '"GemvConfig" has no attribute "lane"' in errors[0], out + err
    assert status == 1
