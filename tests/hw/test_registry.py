"""The component registry: built-in types arrive as entry points of ``cimsim.components``,
the same way an installed package's types do (issue 16, item 5)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import cimsim
from cimsim.config import architecture_from_dict
from cimsim.errors import ConfigError
from cimsim.hw import registry
from cimsim.workload import Op, Tensor, Workload, save_workload

from conftest import ROUND_ARCH, install_plugin, run_readme_block


def test_builtins_are_entry_points_of_the_plugin_group():
    assert {ep.group for ep in registry.BUILTINS} == {"cimsim.components"}
    names = [ep.name for ep in registry.BUILTINS]
    assert names == ["processor", "pim", "cim", "systolic", "collective"]
    # each entry point loads the class registered under its name, and they come first
    t = registry.types()
    assert list(t)[: len(names)] == names
    for ep in registry.BUILTINS:
        assert ep.load() is t[ep.name] and t[ep.name].type_name == ep.name


@pytest.mark.parametrize("name", ["processor", "pim", "cim", "systolic", "collective"])
def test_builtins_cannot_be_unregistered(name):
    with pytest.raises(ValueError, match="built-in"):
        registry.unregister(name)


def test_claim_priority_order_is_unchanged():
    # higher claims first: CIM (stationary weights), the systolic array, PIM, then the host
    pr = {n: c.priority for n, c in registry.types().items() if n in ("processor", "pim", "cim", "systolic")}
    assert sorted(pr, key=lambda n: -pr[n]) == ["cim", "systolic", "pim", "processor"]


#: a one-op workload the processor runs
WL = Workload("relu", [Tensor("x", (8,), "fp32", "input"), Tensor("y", (8,), "fp32", "activation")],
              [Op("r", "elementwise", ("x",), ("y",), fn="relu")])

#: the two methods every component type implements (register refuses one without them), as
#: lines of the class a plug-in module ends with
RUNS = textwrap.indent(textwrap.dedent('''
    def place(self, ops, idx):
        from cimsim.hw import Plan
        return Plan.one_server(len(idx))

    def cost(self, ops, idx, plan):
        from cimsim.hw import OpCost
        return OpCost(ops.vector_ops[idx] * 1e-9, 0.0 * ops.vector_ops[idx], {}, {})
'''), "    ")


def _installed(folder: Path, *packages: tuple[str, str, str]) -> dict:
    """Each ``(module, distribution, entry point)`` installed as a real distribution in
    ``folder`` (a .dist-info with entry_points.txt in the components group); the environment
    whose PYTHONPATH holds it and cimsim's sources, for a fresh interpreter."""
    for _, dist, entry in packages:
        env = install_plugin(folder, dist, {"cimsim.components": [entry]})
    return env


def _toy_module(path: Path, priority: int = 0, name: str = "toy") -> None:
    """A module of one working component type, ``name`` (class Toy), at ``path``."""
    path.write_text(textwrap.dedent(f'''
        from typing import Literal
        from pydantic import Field
        from cimsim.hw import Component, ComponentConfig

        class ToyConfig(ComponentConfig):
            type: Literal["{name}"] = Field(default="{name}", description="Component type.")

        class Toy(Component):
            type_name = "{name}"
            Config = ToyConfig
            priority = {priority}
    ''') + RUNS)


def test_an_installed_package_registers_through_the_same_group(tmp_path):
    # a real distribution on sys.path (a .dist-info with entry_points.txt), read by
    # importlib.metadata in a fresh interpreter: no mocks
    _toy_module(tmp_path / "toy_accel.py", priority=5)
    env = _installed(tmp_path, ("toy_accel", "toy-accel", "toy = toy_accel:Toy"))
    out = subprocess.run(
        [sys.executable, "-c", "import json; from cimsim.hw.registry import types; "
                               "print(json.dumps(list(types())))"],
        env=env, capture_output=True, text=True, check=True, timeout=300).stdout
    assert json.loads(out) == ["processor", "pim", "cim", "systolic", "collective", "toy"]


def test_a_broken_installed_package_breaks_only_the_runs_that_use_it(tmp_path):
    """Two installed packages, one of whose Config has a field with no description: runs of
    bundled configs and of the good type go on; a config using the broken type gets one line
    saying why. Before, the registry stopped at the broken entry point: every run failed, and
    in Python a second call returned the built-ins only (the good plug-in lost)."""
    (tmp_path / "toy_good.py").write_text(textwrap.dedent('''
        from typing import Literal
        from pydantic import Field
        from cimsim.hw import Component, ComponentConfig

        class GoodConfig(ComponentConfig):
            type: Literal["good"] = Field(default="good", description="Component type.")

        class Good(Component):
            type_name = "good"
            Config = GoodConfig
    ''') + RUNS)
    (tmp_path / "toy_bad.py").write_text(textwrap.dedent('''
        from typing import Literal
        from pydantic import Field
        from cimsim.hw import Component, ComponentConfig

        class BadConfig(ComponentConfig):
            type: Literal["bad"] = Field(default="bad", description="Component type.")
            lanes: int = Field(default=4, ge=1)

        class Bad(Component):
            type_name = "bad"
            Config = BadConfig
    '''))
    env = _installed(tmp_path, *((name, name, f"{name[4:]} = {name}:{name[4:].title()}")
                                 for name in ("toy_bad", "toy_good")))  # the broken one first
    script = textwrap.dedent('''
        import json
        from cimsim.hw import registry
        from cimsim.config import architecture_from_dict, load_architecture
        from cimsim.errors import ConfigError
        out = {"types": sorted(registry.types()), "again": sorted(registry.types()),
               "broken": sorted(registry.components.broken())}
        load_architecture("cpu-ddr5")
        try:
            architecture_from_dict({"name": "x", "description": "x",
                                    "memory": {"dram": {"capacity": "1 GB", "bandwidth": "1 GB/s",
                                                        "energy_per_bit": "1 pJ/bit"}},
                                    "npu": {"type": "bad"}})
        except ConfigError as e:
            out["error"] = str(e)
        print(json.dumps(out))
    ''')
    out = json.loads(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                                    text=True, check=True, timeout=300).stdout)
    assert "good" in out["types"] and out["types"] == out["again"] and "bad" not in out["types"]
    assert out["broken"] == ["bad"]
    assert out["error"] == ("<config>: npu.type: component type 'bad' (entry point toy_bad:Bad) is installed but "
                            "could not be registered: component type 'bad' (toy_bad.Bad): its Config "
                            "BadConfig is not self-describing: 'lanes' has no description (give it "
                            "Field(description=...)); every config field needs a description and a unit "
                            "or domain"), out["error"]


def test_an_entry_point_named_unlike_its_type_says_so(tmp_path):
    """`npu = toy_named:Toy` with Toy.type_name 'toy': a config's `type: npu` said only "unknown
    component type 'npu'" (a plug-in author, 2026-12-05); `type: toy` works."""
    _toy_module(tmp_path / "toy_named.py")
    env = _installed(tmp_path, ("toy_named", "toy-named", "npu = toy_named:Toy"))
    out = subprocess.run(
        [sys.executable, "-c", "import json; from cimsim.hw import registry; "
                               "print(json.dumps([registry.components.broken(), "
                               "registry.get('toy').__name__]))"],
        env=env, capture_output=True, text=True, check=True, timeout=300).stdout
    # registered under its type_name, as before (a reviewer: refusing it broke working
    # plug-ins); `type: npu` says what to write
    assert json.loads(out) == [{"npu": "'npu' is the name of entry point toy_named:Toy, whose class "
                                       "registers the component type 'toy': write type: toy"}, "Toy"]


def test_a_type_named_like_another_entry_point_is_not_shadowed_by_its_hint(tmp_path):
    """Plug-in A's entry point `npu` holds type 'toy'; plug-in B registers a type 'npu' (entry
    point `npu2`): `type: npu` is B's, the hint only where no type has the name (a reviewer,
    2026-12-05)."""
    _toy_module(tmp_path / "a_mod.py")
    _toy_module(tmp_path / "b_mod.py", name="npu")
    env = _installed(tmp_path, ("a_mod", "a-mod", "npu = a_mod:Toy"),
                     ("b_mod", "b-mod", "npu2 = b_mod:Toy"))
    out = subprocess.run(
        [sys.executable, "-c", "import json; from cimsim.hw import registry; "
                               "print(json.dumps([registry.get('npu').__module__, "
                               "registry.get('toy').__module__, sorted(registry.components.broken())]))"],
        env=env, capture_output=True, text=True, check=True, timeout=300).stdout
    assert json.loads(out) == ["b_mod", "a_mod", ["npu2"]]


@pytest.mark.parametrize("what, msg", [
    ("memory-config", r"memory-level type 'odd-level' \(.*\): its Config must derive from MemoryLevel"),
    ("type-literal", r"component type 'renamed' \(.*\): its Config's type accepts 'processor', not its "
                     r"type_name 'renamed'"),
])
def test_register_refuses_a_type_that_would_fail_later(what, msg):
    """A memory type whose Config lacks the level's fields failed at run time with a bare
    AttributeError; a subclass inheriting its parent's Config could never be selected."""
    from typing import Literal

    from pydantic import Field

    from cimsim.errors import ComponentError
    from cimsim.hw.base import MemoryResource, ResourceConfig
    from cimsim.hw.processor import Processor

    if what == "memory-config":
        class Odd(MemoryResource):
            type_name = "odd-level"

            class Config(ResourceConfig):
                type: Literal["odd-level"] = Field(default="odd-level", description="Resource type.")
        cls = Odd
    else:
        class Renamed(Processor):
            type_name = "renamed"
        cls = Renamed
    with pytest.raises(ComponentError, match=msg):
        registry.register(cls)


def test_components_share_parts_from_hw_parts_not_from_each_other():
    # the systolic array's buffer is a shared part, not the CIM's: no component module
    # imports another device's module (only the base, the parts and helpers)
    import ast

    from cimsim.hw.parts import ADC, Buffer
    from cimsim.hw.systolic import SystolicConfig

    root = Path(registry.__file__).parent
    devices = {"cim", "pim", "processor", "systolic", "collective"}
    for path in root.rglob("*.py"):
        own = path.relative_to(root).parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                depth = len(path.relative_to(root).parts)
                if node.level == depth:  # relative to hw/
                    top = (node.module or "").split(".")[0]
                    assert top not in devices - {own}, f"{path.relative_to(root)} imports .{node.module}"
    assert SystolicConfig.model_fields["buffer"].annotation is Buffer
    assert ADC.__module__ == "cimsim.hw.parts.adc"


def test_unknown_component_type_lists_the_registered_ones():
    d = copy.deepcopy(ROUND_ARCH)
    d["npu"] = {"type": "npu", "cores": 2}
    with pytest.raises(ConfigError, match=r"x.yaml: npu.type: unknown component type 'npu'; "
                                          r"registered types: processor, pim, cim, systolic"):
        architecture_from_dict(d, source="x.yaml")


# ------------------------------------------------------------------ a plug-in's fields describe themselves
def _plugin(**fields):
    """A real component class whose Config has ``fields`` (name -> (annotation, FieldInfo))
    beside a described ``type``; built with pydantic's create_model so each test names its own."""
    from typing import Literal

    from pydantic import Field, create_model

    from cimsim.hw import Component, ComponentConfig

    cfg = create_model("GapConfig", __base__=ComponentConfig,
                       type=(Literal["test-gap"], Field(default="test-gap", description="Component type.")),
                       **fields)
    ns: dict = {}
    exec(textwrap.dedent(RUNS), ns)  # noqa: S102  (place and cost, as a plug-in module has them)
    return type("GapUnit", (Component,), {"type_name": "test-gap", "Config": cfg, "priority": 10,
                                          "place": ns["place"], "cost": ns["cost"]})


def test_a_plugin_field_without_a_description_is_refused_by_name():
    from pydantic import Field

    from cimsim.errors import ComponentError
    from cimsim.quantity import Hertz

    cls = _plugin(clock=(Hertz, Field(description="Clock.")), lanes=(int, Field(default=4, ge=1)))
    with pytest.raises(ComponentError, match=r"component type 'test-gap' \(.*GapUnit\): its Config "
                                             r"GapConfig .*'lanes' has no description"):
        registry.register(cls)
    assert "test-gap" not in registry.types()  # refused: nothing was filed


def test_a_plugin_plain_number_without_a_domain_is_refused_by_name():
    from pydantic import BaseModel, Field

    from cimsim.errors import ComponentError

    class Inner(BaseModel):  # a section: its fields are checked too
        gain: float = Field(default=1.0, description="Gain.")

    cls = _plugin(inner=(Inner, Field(default_factory=Inner, description="A sub-section.")))
    with pytest.raises(ComponentError, match=r"'inner\.gain' is a plain float with no domain"):
        registry.register(cls)
    # the same class with the domain given registers (the check can pass)
    ok = _plugin(gain=(float, Field(default=1.0, gt=0, description="Gain.")))
    registry.register(ok)
    try:
        assert registry.types()["test-gap"] is ok
    finally:
        registry.unregister("test-gap")


def test_a_plugin_list_or_tuple_of_plain_numbers_is_refused_by_name():
    """`tile_sizes: list[int]` took [-5, 0] and `gains: tuple[float, ...]` (nan, -1e300): the
    items of a list or tuple need a domain as a plain number does (a plug-in author,
    2026-12-05)."""
    from pydantic import Field

    from cimsim.errors import ComponentError
    from cimsim.quantity import PositiveInt

    for ann, path, kind in ((list[int], "tiles", "int"), (tuple[float, ...], "tiles", "float")):
        cls = _plugin(tiles=(ann, Field(default=(), description="Tile sizes.")))
        with pytest.raises(ComponentError, match=rf"'{path}\[\]' is a plain {kind} with no domain"):
            registry.register(cls)
    ok = _plugin(tiles=(list[PositiveInt], Field(default_factory=list, description="Tile sizes.")))
    registry.register(ok)
    registry.unregister("test-gap")


def test_every_builtin_type_meets_the_rule_register_applies():
    # the rule tests/config/test_schema.py checks on `cimsim fields`, applied to each class
    for kinds in (registry.types(), registry.memory_types(), registry.link_types()):
        for name, cls in kinds.items():
            assert registry.field_gaps(cls.Config) == [], name


def test_the_readme_plugin_recipe_registers():
    # the README's "A new memory or link type" example, run as written
    ns = run_readme_block("**A new memory or link type**")
    try:
        assert registry.memory_types()["halved"] is ns["Halved"]
    finally:
        registry.unregister("halved", kind="memory")


def test_a_plugin_config_naming_a_type_it_did_not_import_is_refused_at_register(tmp_path):
    """With ``from __future__ import annotations`` a field's type is a name resolved late: a
    Config naming one its module never imported was registered, and every run using it ended in
    pydantic's 30-line "is not fully defined" traceback. register() now resolves it and refuses
    in one line naming the type, the class and the missing name."""
    import importlib.util

    from cimsim.errors import ComponentError

    src = tmp_path / "late_plugin.py"
    src.write_text(textwrap.dedent('''
        from __future__ import annotations
        from typing import Literal
        from pydantic import Field
        from cimsim.hw import Component, ComponentConfig

        class LateConfig(ComponentConfig):
            type: Literal["test-late"] = Field(default="test-late", description="Component type.")
            macros: PositiveInt = Field(description="Macros.")  # noqa: F821  (never imported)

        class Late(Component):
            type_name = "test-late"
            Config = LateConfig
            priority = 5
    '''))
    spec = importlib.util.spec_from_file_location("late_plugin", src)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["late_plugin"] = mod  # as an import would leave it
    try:
        spec.loader.exec_module(mod)
        assert not mod.LateConfig.__pydantic_complete__
        with pytest.raises(ComponentError) as exc:
            registry.register(mod.Late)
    finally:
        del sys.modules["late_plugin"]
    assert str(exc.value) == ("component type 'test-late' (late_plugin.Late): its Config LateConfig is "
                              "not fully defined: name 'PositiveInt' is not defined (import every "
                              "type its fields name)")
    assert "test-late" not in registry.types()


def test_an_installed_plugin_named_like_a_builtin_is_refused_and_the_builtin_works(tmp_path):
    """An installed package whose entry point is named like a built-in type (`processor =
    clash_plug:Clash`, `fixed` in cimsim.memory) made that built-in unusable for every config:
    the refused plug-in was filed under the built-in's name and looked up first. Now the
    plug-in is refused with one warning line naming its entry point and package, and the
    built-ins run; one whose type_name clashes under another entry-point name fails only the
    configs that ask for that name."""
    env = install_plugin(tmp_path, "clash-plug", {
        "cimsim.components": ["processor = clash_plug:Clash", "myproc = clash_plug:Clash"],
        "cimsim.memory": ["fixed = clash_plug:ClashMem"]}, {"clash_plug": textwrap.dedent('''
            from cimsim.hw import Component, MemoryResource

            class Clash(Component):
                type_name = "processor"

            class ClashMem(MemoryResource):
                type_name = "fixed"
        ''')})
    cfg, other, wl = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "w.json"
    cfg.write_text(json.dumps(ROUND_ARCH))
    other.write_text(json.dumps({**ROUND_ARCH, "npu": {"type": "myproc"}}))
    save_workload(WL, wl)
    cli = [sys.executable, "-m", "cimsim.cli", "run", "--engine", "analytic"]
    ok = subprocess.run([*cli, str(cfg), str(wl)], env=env, capture_output=True, text=True,
                        timeout=300)
    assert ok.returncode == 0 and "latency" in ok.stdout, ok.stderr
    assert sorted(ok.stderr.splitlines()) == [
        f"warning: cimsim.{group} entry point '{name}' (clash_plug:{cls}) is named like the built-in "
        f"{what} type '{name}' and is ignored: rename it (its entry point and type_name) or "
        "uninstall its package clash-plug"
        for group, name, cls, what in (("components", "processor", "Clash", "component"),
                                       ("memory", "fixed", "ClashMem", "memory-level"))]
    bad = subprocess.run([*cli, str(other), str(wl)], env=env, capture_output=True, text=True,
                         timeout=300)
    assert bad.returncode == 1
    assert bad.stderr.splitlines()[-1] == (
        f"Error: {other}: npu.type: component type 'myproc' (entry point clash_plug:Clash) is "
        "installed but could not be registered: its type_name 'processor' is a built-in "
        "component type's: rename it or uninstall its package clash-plug")


def test_sweep_workers_leave_the_name_clash_warning_to_the_main_process(tmp_path):
    """A sweep's worker processes each printed the clash warning as a raw Python warning
    (`registry.py:253: UserWarning: ...` and the source line `self._load()`) below the main
    process's one `warning: ...` line (a tester, h72): now the main process says it once."""
    env = install_plugin(tmp_path, "clash-plug", {"cimsim.memory": ["fixed = clash_plug:ClashMem"]},
                         {"clash_plug": textwrap.dedent('''
                             from cimsim.hw import MemoryResource

                             class ClashMem(MemoryResource):
                                 type_name = "fixed"
                         ''')})
    cfg, wl = tmp_path / "a.yaml", tmp_path / "w.json"
    cfg.write_text(json.dumps(ROUND_ARCH))
    save_workload(WL, wl)
    p = subprocess.run([sys.executable, "-m", "cimsim.cli", "sweep", str(cfg), "-w", str(wl),
                        "--param", "processor.cores=1,2", "--workers", "2", "-q", "--engine", "analytic",
                        "-o", str(tmp_path / "s.parquet")], env=env, capture_output=True, text=True,
                        timeout=300)
    assert p.returncode == 0, p.stderr
    lines = p.stderr.splitlines()
    assert [ln for ln in lines if "clash_plug" in ln] == [
        "warning: cimsim.memory entry point 'fixed' (clash_plug:ClashMem) is named like the built-in "
        "memory-level type 'fixed' and is ignored: rename it (its entry point and type_name) or "
        "uninstall its package clash-plug"], p.stderr
    assert not any("Warning:" in ln or "self._load()" in ln for ln in lines), p.stderr


_TREE = textwrap.dedent('''
    from typing import Literal
    from pydantic import Field
    from cimsim.hw.collective import Collective, CollectiveConfig

    class Tree(Collective):
        type_name = "tree"

        class Config(CollectiveConfig):
            type: Literal["tree"] = Field(default="tree", description="Component type.")
''')


def test_two_installed_packages_declaring_one_type_are_both_named_and_fields_refuses_it(tmp_path):
    """Two installed packages declaring the type 'tree': the error blamed only the one loaded
    second, named by its module, and which one that was depended on sys.path order; `cimsim
    fields tree` listed the first one's fields while `run` refused the type. Now both refuse
    it, naming both packages (distribution and entry point), in either order."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    env = install_plugin(a, "alpha-plug", {"cimsim.components": ["tree = alpha_tree:Tree"]},
                         {"alpha_tree": _TREE})
    install_plugin(b, "beta-plug", {"cimsim.components": ["tree = beta_tree:Tree"]},
                   {"beta_tree": _TREE})
    src = env["PYTHONPATH"].split(":")[-1]
    d = copy.deepcopy(ROUND_ARCH)
    d["links"] = {"nvlink": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}}
    d["group"] = {"type": "tree", "devices": 2}
    cfg, wl = tmp_path / "c.yaml", tmp_path / "w.json"
    cfg.write_text(json.dumps(d))
    save_workload(WL, wl)
    says = ("component type 'tree' is declared by 2 installed packages: {} and {}; uninstall all "
            "but one, or rename the type (its type_name and entry point) in the others")
    alpha = "alpha-plug (entry point tree = alpha_tree:Tree)"
    beta = "beta-plug (entry point tree = beta_tree:Tree)"
    for order in ((a, b), (b, a)):
        e = {**env, "PYTHONPATH": ":".join([*map(str, order), src])}
        first, second = (alpha, beta) if order[0] == a else (beta, alpha)
        run = subprocess.run([sys.executable, "-m", "cimsim.cli", "run", str(cfg), str(wl)],
                             env=e, capture_output=True, text=True, timeout=300)
        assert run.returncode == 1
        assert run.stderr.splitlines() == [f"Error: {cfg}: group.type: " + says.format(first, second)]
        fields = subprocess.run([sys.executable, "-m", "cimsim.cli", "fields", "tree"],
                                env=e, capture_output=True, text=True, timeout=300)
        assert fields.returncode == 1
        assert fields.stderr.splitlines() == ["Error: " + says.format(first, second)], fields.stdout


def test_the_readme_subclass_recipes_register_and_run():
    """The README's topology / CIM subclass block, run as written: the tree collective's
    all-reduce on 4 devices is 2S in 2 ceil(log2 4) = 4 steps (S = 1 MiB, 100 GB/s, 1 us):
    2,097,152 B / 100 GB/s + 4 us = 24.97 us; the CIM under its own name costs what the
    built-in costs."""
    from cimsim import simulate
    from conftest import ROUND_CIM, ROUND_LINK, gemv_workload, make_arch

    run_readme_block("**A new collective topology**")
    try:
        d = copy.deepcopy(ROUND_ARCH)
        d["links"] = {"nvlink": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}}
        d["group"] = {"type": "tree-collective", "devices": 4}
        # an HBM-like DRAM: a collective reads its input and writes its output there (find-E 4),
        # 2 MiB at 1 TB/s (2.1 us) stays under the link's time, which this recipe checks
        d["memory"] = copy.deepcopy(d["memory"])
        d["memory"]["dram"]["bandwidth"] = "1 TB/s"
        S = 2 ** 20
        wl = Workload("ar", [Tensor("x", (S // 4,), "fp32", "input"),
                             Tensor("y", (S // 4,), "fp32", "activation")],
                      [Op("ar", "allreduce", ("x",), ("y",))])
        r = simulate(architecture_from_dict(d), wl)
        assert r.traffic_bytes["nvlink"] == 2 * S
        assert r.latency_s == pytest.approx(2 * S / 100e9 + 4 * 1e-6, rel=1e-12, abs=0)
        cims = []
        for t in ("cim", "fefet-cim"):
            a = make_arch(cim={**copy.deepcopy(ROUND_CIM), "type": t}, interconnect=dict(ROUND_LINK))
            cims.append(simulate(a, gemv_workload(256, 256)))
        assert cims[1].ops_per_unit["cim"] == 1
        assert (cims[1].latency_s, cims[1].energy_j) == (cims[0].latency_s, cims[0].energy_j)
    finally:
        registry.unregister("fefet-cim")
        registry.unregister("tree-collective")


def test_one_list_of_built_in_adc_types():
    # the circuits' ADC_TYPES (the only copy) names the built-in entry points, in order
    from cimsim.hw.circuits.adc import ADC_TYPES
    from cimsim.hw.parts import adc as adc_config
    from cimsim.hw.parts.registry import ADC_BUILTINS

    assert tuple(e.name for e in ADC_BUILTINS) == ADC_TYPES == ("sar", "flash", "ramp", "current_sense")
    assert not hasattr(adc_config, "ADC_TYPES")
