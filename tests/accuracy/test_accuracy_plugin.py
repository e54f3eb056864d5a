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


def test_register_refuses_an_unknown_accuracy_arithmetic():
    from cimsim.errors import ComponentError

    class Analog(Npu):
        type_name = "plug-analog"
        accuracy_arithmetic = "optical"

        class Config(Npu.Config):
            type: Literal["plug-analog"] = Field(default="plug-analog", description="Component type.")

    with pytest.raises(ComponentError, match="accuracy_arithmetic must be one of None, 'cim', "
                                             "'fixed', 'analog', 'exact', not 'optical'"):
        register(Analog)
