"""`--accuracy` on plug-in component types: a subclass of the built-in CIM under another type
name is emulated as the CIM (it was scored as exact digital products, its ADC dropped); a type
that does not say how it computes is refused in one line."""

from __future__ import annotations

import json
from typing import Literal

import pytest
import yaml
from click.testing import CliRunner
from pydantic import Field

torch = pytest.importorskip("torch")

from cimsim import bundled  # noqa: E402
from cimsim.cli import main  # noqa: E402
from cimsim.hw import Component, OpCost, Plan, register  # noqa: E402
from cimsim.hw.base import ComponentConfig  # noqa: E402
from cimsim.hw.cim import CIM, CIMConfig  # noqa: E402
from cimsim.hw.registry import unregister  # noqa: E402
from cimsim.quantity import PositiveInt  # noqa: E402
from cimsim.report import columns as C  # noqa: E402

from conftest import LABELLED_LINEAR, fresh_cache  # noqa: E402

pytestmark = pytest.mark.torch


class PlugCIM(CIM):
    """The built-in CIM under another type name, nothing else changed."""
    type_name = "plug-cim"

    class Config(CIMConfig):
        type: Literal["plug-cim"] = Field(default="plug-cim", description="Component type.")


class Npu(Component):
    """A from-scratch digital unit with operand widths and no stated arithmetic: it claims
    nothing, so it costs nothing, but --accuracy cannot know what it would compute."""
    type_name = "plug-npu"
    priority = 10

    class Config(ComponentConfig):
        type: Literal["plug-npu"] = Field(default="plug-npu", description="Component type.")
        weight_bits: PositiveInt = Field(default=8, le=32, description="Weight bits.")
        input_bits: PositiveInt = Field(default=8, le=32, description="Input bits.")

    def place(self, ops, idx):
        return Plan.one_server(len(idx))

    def cost(self, ops, idx, plan):
        z = torch.zeros(len(idx), dtype=torch.float64).numpy()
        return OpCost(compute_s=z, latency_s=z, bytes={}, energy={})


@pytest.fixture(scope="module", autouse=True)
def plugins(tmp_path_factory):
    register(PlugCIM)
    register(Npu)
    with fresh_cache(tmp_path_factory.mktemp("cimsim-cache")):
        yield
    unregister("plug-cim")
    unregister("plug-npu")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """rram-cim as written, as the plug-in CIM, and with the plug-in NPU beside its CIM; a
    linear model with its data set."""
    d = tmp_path_factory.mktemp("plug")
    base = yaml.safe_load(bundled.resolve_config("rram-cim").read_text())
    (d / "plug.yaml").write_text(yaml.safe_dump({**base, "cim": {**base["cim"], "type": "plug-cim"}}, sort_keys=False))
    (d / "npu.yaml").write_text(yaml.safe_dump({**base, "npu": {"type": "plug-npu"}}, sort_keys=False))
    (d / "m.py").write_text(LABELLED_LINEAR)
    return d


def _run(cfg, files, *sets):
    m = files / "m.py"
    res = CliRunner().invoke(main, ["run", str(cfg), f"{m}:factory", "--accuracy", "--dataset",
                                    f"{m}:dataset", "--json", *sets])
    return res.exit_code, res.output


def test_a_cim_subclass_under_another_name_is_emulated_as_the_cim(files):
    """4-bit ADC, 16 rows per read, programming noise: the plug-in (the built-in class under
    another type name) scores what the built-in scores, column for column; before, it was
    scored as exact 8b x 8b products with an SNR of a lossless readout."""
    sets = ("--set", "cim.adc.bits=4", "--set", "cim.rows_per_read=16",
            "--set", "cim.nonideal.programming_sigma=0.1")
    code, out = _run(bundled.resolve_config("rram-cim"), files, *sets)
    assert code == 0, out
    builtin = json.loads(out)
    code, out = _run(files / "plug.yaml", files, *sets)
    assert code == 0, out
    plug = json.loads(out)
    assert plug[C.ACCURACY_BASIS].startswith("cim emulated:"), plug[C.ACCURACY_BASIS]
    assert "4-bit ADC" in plug[C.ACCURACY_BASIS] and "16 rows per read" in plug[C.ACCURACY_BASIS]
    for col in (C.ACCURACY_BASIS, C.OUTPUT_SNR_DB, C.OUTPUT_KL, C.AGREEMENT, C.ACCURACY_TOP1):
        assert plug[col] == builtin[col], col


def test_the_sweep_key_of_a_cim_subclass_is_the_cims():
    from cimsim.accuracy.target import arithmetic_key, cim_configs
    from cimsim.config import load_architecture

    sets = {"cim.adc.bits": "4"}
    a = load_architecture(bundled.resolve_config("rram-cim"), sets, cli=True)
    b = load_architecture(bundled.resolve_config("rram-cim"), {**sets, "cim.type": "plug-cim"}, cli=True)
    assert [n for n, _ in cim_configs(b)] == ["cim"]
    assert arithmetic_key(a)[1] == arithmetic_key(b)[1]


def test_a_type_that_does_not_say_how_it_computes_is_refused(files):
    code, out = _run(files / "npu.yaml", files)
    assert code != 0 and len(out.strip().splitlines()) == 1 and "Traceback" not in out, out
    # the class as Python names it: its module depends on pytest's import mode
    # (`tests.accuracy.test_accuracy_plugin` under --import-mode=importlib)
    assert (f"--accuracy: component 'npu' (type plug-npu, {Npu.__module__}.Npu) does not say "
            "how it computes") in out, out
    res = CliRunner().invoke(main, ["run", str(files / "npu.yaml"), "lstm", "--json"])
    assert res.exit_code == 0, res.output   # its cost still runs


@pytest.mark.parametrize("kind, message", [
    ("optical", "accuracy_arithmetic must be one of None, 'cim', 'fixed', 'analog', 'exact', not 'optical'"),
    ("analog", r"accuracy_arithmetic 'analog' needs an accuracy_arith\(config\) classmethod")])
def test_register_refuses_an_unknown_accuracy_arithmetic(kind, message):
    from cimsim.errors import ComponentError

    class Analog(Npu):
        type_name = "plug-analog"
        accuracy_arithmetic = kind

        class Config(Npu.Config):
            type: Literal["plug-analog"] = Field(default="plug-analog", description="Component type.")

    with pytest.raises(ComponentError, match=message):
        register(Analog)


class Mesh(Component):
    """An ADC-limited analog matrix-vector unit written from scratch (find-P 5): dot products of
    ``size`` terms, one analog weight and one analog input pulse each, read by ``adc_bits``."""
    type_name = "plug-mesh"
    priority = 30
    accuracy_arithmetic = "analog"

    class Config(ComponentConfig):
        type: Literal["plug-mesh"] = Field(default="plug-mesh", description="Component type.")
        size: PositiveInt = Field(default=16, description="Terms per analog dot product.")
        weight_bits: PositiveInt = Field(default=6, le=16, description="Weight bits.")
        input_bits: PositiveInt = Field(default=6, le=16, description="Input bits.")
        adc_bits: PositiveInt = Field(default=6, le=16, description="Output ADC bits.")

    @classmethod
    def accuracy_arith(cls, config):
        return {"rows": config.size, "weight_bits": config.weight_bits,
                "input_bits": config.input_bits, "adc_bits": config.adc_bits}

    def claim(self, ops, free):
        return free & (ops.stationary >= 0) & (ops.macs > 0)

    def place(self, ops, idx):
        return Plan.one_server(len(idx))

    def cost(self, ops, idx, plan):
        z = torch.zeros(len(idx), dtype=torch.float64).numpy()
        return OpCost(compute_s=z + 1e-9, latency_s=z, bytes={}, energy={})


@pytest.mark.slow
def test_an_analog_plugin_is_scored_with_its_own_adc(files, tmp_path):
    """The mesh at 2 and 8 ADC bits: each scores what the emulator gives for the arithmetic its
    accuracy_arith names (16-term dot products, 6b x 6b in one analog cell and pulse), and 2 bits
    loses signal that 8 keep; before, only 'fixed' (exact products, the ADC dropped) fitted it."""
    from cimsim.accuracy.arith import Arith
    from cimsim.accuracy.run import evaluate
    from cimsim.accuracy.target import arithmetic_key
    from cimsim.config import architecture_from_dict

    register(Mesh)
    try:
        base = yaml.safe_load(bundled.resolve_config("rram-cim").read_text())
        base.pop("cim")
        cfg = tmp_path / "mesh.yaml"
        cfg.write_text(yaml.safe_dump({**base, "mesh": {"type": "plug-mesh"}}, sort_keys=False))
        got = {}
        for bits in (2, 8):
            code, out = _run(cfg, files, "--set", f"mesh.adc_bits={bits}")
            assert code == 0, out
            got[bits] = json.loads(out)
            assert got[bits][C.ACCURACY_BASIS].startswith(
                f"mesh emulated (its accuracy_arith): 6b inputs in 6-bit slices x 6b weights in "
                f"6-bit cells, {bits}-bit ADC (max range), 16 rows per read"), got[bits][C.ACCURACY_BASIS]
        assert got[2][C.OUTPUT_SNR_DB] < got[8][C.OUTPUT_SNR_DB]
        arch = architecture_from_dict({**base, "mesh": {"type": "plug-mesh", "adc_bits": 2}})
        hand = Arith(rows=16, cols=16, bits_per_cell=6, weight_bits=6, input_bits=6, dac_bits=6, adc_bits=2)
        assert arithmetic_key(arch)[1] == (("mesh", hand),)
        ns: dict = {}
        exec((files / "m.py").read_text(), ns)
        x, y = ns["dataset"]()
        ref = evaluate(ns["_model"]().eval(), x, y, hand)
        assert got[2][C.OUTPUT_SNR_DB] == pytest.approx(ref.output_snr_db, rel=1e-9, abs=0)
    finally:
        unregister("plug-mesh")



def test_accuracy_arith_errors_name_the_field_given():
    """Review 21 C 5: a typo "adc_bit" read only "missing adc_bits"; weight_bits 6.0 was blamed on
    bits_per_cell (a default copied from it); a NumPy integer, what a plug-in computes, was refused."""
    import numpy as np

    from cimsim.accuracy.arith import Arith

    with pytest.raises(ValueError, match="missing adc_bits; unknown adc_bit$"):
        Arith.from_declared({"rows": 16, "weight_bits": 6, "input_bits": 6, "adc_bit": 4})
    with pytest.raises(ValueError, match=r"gives weight_bits 6\.0: it must be a positive integer"):
        Arith.from_declared({"rows": 16, "weight_bits": 6.0, "input_bits": 6, "adc_bits": 4})
    a = Arith.from_declared({"rows": np.int64(16), "weight_bits": np.int32(6), "input_bits": 6, "adc_bits": 4})
    assert (a.rows, a.cols, a.weight_bits, a.bits_per_cell, a.dac_bits) == (16, 16, 6, 6, 6)
    assert type(a.rows) is int


class Mesh31(Mesh):
    """The mesh ahead of the CIM (priority 31): it claims the weight matmuls, the CIM none."""
    type_name = "plug-mesh31"
    priority = 31

    class Config(Mesh.Config):
        type: Literal["plug-mesh31"] = Field(default="plug-mesh31", description="Component type.")


class MeshFirst(Mesh31):
    """Claims the first weight matmul only: the CIM runs the other."""
    type_name = "plug-mesh-first"

    class Config(Mesh.Config):
        type: Literal["plug-mesh-first"] = Field(default="plug-mesh-first", description="Component type.")

    def claim(self, ops, free):
        took = super().claim(ops, free)
        took[took.argmax() + 1:] = False
        return took


@pytest.mark.slow
def test_the_arithmetic_scored_is_that_of_the_component_that_ran_the_matmuls(files, tmp_path):
    """Review 21 C 1: an analog unit claiming both weight matmuls beside a CIM that ran none was
    scored with the CIM's 8-bit ADC (a tester's 95.3 % against the unit's own 15.8 %), the basis
    saying the CIM emulated both. Now its own 2-bit arithmetic: the SNR the emulator gives for
    it by hand; a split of the matmuls across the two arithmetics is refused in one line."""
    from cimsim.accuracy.arith import Arith
    from cimsim.accuracy.run import evaluate

    register(Mesh31)
    register(MeshFirst)
    try:
        base = yaml.safe_load(bundled.resolve_config("rram-cim").read_text())
        cfg = tmp_path / "mix.yaml"
        cfg.write_text(yaml.safe_dump({**base, "mesh": {"type": "plug-mesh31", "adc_bits": 2}}, sort_keys=False))
        code, out = _run(cfg, files)
        assert code == 0, out
        got = json.loads(out)
        assert got[C.ACCURACY_BASIS].startswith("mesh emulated (its accuracy_arith): 6b inputs in 6-bit "
                                                "slices x 6b weights in 6-bit cells, 2-bit ADC"), got[C.ACCURACY_BASIS]
        assert ("(cim ran no weight matmul in the placement: not scored with its arithmetic); "
                "2 of 2 weight matmuls emulated") in got[C.ACCURACY_BASIS]
        ns: dict = {}
        exec((files / "m.py").read_text(), ns)
        x, y = ns["dataset"]()
        hand = Arith(rows=16, cols=16, bits_per_cell=6, weight_bits=6, input_bits=6, dac_bits=6, adc_bits=2)
        ref = evaluate(ns["_model"]().eval(), x, y, hand)
        assert got[C.OUTPUT_SNR_DB] == pytest.approx(ref.output_snr_db, rel=1e-9, abs=0)
        cfg.write_text(yaml.safe_dump({**base, "mesh": {"type": "plug-mesh-first"}}, sort_keys=False))
        code, out = _run(cfg, files)
        assert code != 0 and len(out.strip().splitlines()) == 1 and "Traceback" not in out, out
        assert ("runs the weight matmuls on cim (cim arithmetic) and mesh (analog arithmetic), which "
                "compute differently") in out, out
    finally:
        unregister("plug-mesh31")
        unregister("plug-mesh-first")
