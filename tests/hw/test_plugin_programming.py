"""A plug-in that programs its weights (find-P): a bank of weight slots, defined here and
registered through the public registry. Its plan's one-time programming was dropped unless the
class set an undocumented flag (P 1); the programming line used the CIM's wording, its ``write``
part and a ``*_reprograms`` fact-name convention (P 2); the in-order note claimed a swap (P 4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from pydantic import Field

from cimsim import bundled
from cimsim.cli import main
from cimsim.config import architecture_from_dict
from cimsim.errors import ComponentError, ConfigError
from cimsim.hw import register
from cimsim.hw.base import Component, ComponentConfig, OpArrays, OpCost, Plan
from cimsim.hw.registry import unregister
from cimsim.pipeline import simulate
from cimsim.report import columns as C
from cimsim.workload import load_workload

E_W = 10e-12     # J to program one weight
T_PROG = 10e-6   # s to program the bank (all slots at once)


@dataclass
class Deploy:
    energy_j: float
    seconds: float

    def time_s(self, rates):
        return self.seconds


class BankConfig(ComponentConfig):
    type: Literal["slot-bank"] = Field(default="slot-bank", description="Component type.")
    slots: int = Field(ge=1, description="Weight matrices held at once.")
    rate: float = Field(gt=0, description="MACs per second.")


class SlotBank(Component[BankConfig]):
    """Holds ``slots`` weight matrices (LRU over program order); a matrix not held is
    programmed before its op (T_PROG, E_W a weight, charged as ``program``)."""
    type_name = "slot-bank"
    Config = BankConfig
    priority = 30
    energy_parts = ("mac", "program")
    facts = {"reloads": 0}
    compute_parts = {"program": "compute"}
    programs_weights = True
    reprogram_fact, reprogram_parts = "reloads", ("program",)
    programming_includes = "heater transients only"

    def claim(self, ops: OpArrays, free):
        return free & (ops.stationary >= 0) & (ops.macs > 0)

    def place(self, ops: OpArrays, idx):
        w = ops.stationary[idx].tolist()
        reload, held = np.zeros(len(idx)), []
        deploy = None
        if len(set(w)) <= self.config.slots:
            deploy = Deploy(float(ops.weight_bytes[idx].sum()) * E_W, T_PROG)
        else:
            for i, t in enumerate(w):
                if t in held:
                    held.remove(t)
                else:
                    reload[i] = 1
                    held = held[-(self.config.slots - 1):] if self.config.slots > 1 else []
                held.append(t)
        plan = Plan.one_server(len(idx), programming=deploy, in_order=np.array([True]))
        plan.state["reload"] = reload
        plan.summary = {"reloads": int(reload.sum())}
        return plan

    def cost(self, ops: OpArrays, idx, plan):
        r = plan.state["reload"]
        store = self.hw.backing_store
        return OpCost(compute_s=ops.macs[idx] / self.config.rate + r * T_PROG,
                      latency_s=np.zeros(len(idx)),
                      bytes={store: ops.act_in_bytes[idx] + ops.act_out_bytes[idx]},
                      energy={"mac": ops.macs[idx] * 1e-12, "program": r * ops.weight_bytes[idx] * E_W},
                      compute_parts={"program": r * T_PROG})


class Unflagged(SlotBank):
    """The same bank without ``programs_weights``: its plan's programming would be dropped."""
    type_name = "slot-bank-unflagged"
    programs_weights = False

    class Config(BankConfig):
        type: Literal["slot-bank-unflagged"] = Field(default="slot-bank-unflagged",
                                                     description="Component type.")


@pytest.fixture(scope="module", autouse=True)
def plugins():
    register(SlotBank)
    register(Unflagged)
    yield
    unregister("slot-bank")
    unregister("slot-bank-unflagged")


HOST = {"name": "host", "cores": 1, "clock": "1 GHz", "macs_per_cycle_per_core": {"int8": 64},
        "vector_ops_per_cycle_per_core": 16, "energy_per_mac": {"int8": "1 pJ"},
        "energy_per_vector_op": "1 pJ", "static_power": "0 W"}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """4 chained int8 GEMVs of distinct 64 x 64 weights; the bank at 4 slots (all held: programmed
    once before the run) and at 2 (LRU: each of the 4 matrices programmed during the run)."""
    d = tmp_path_factory.mktemp("bank")
    res = CliRunner().invoke(main, ["workload", "gemv", "--k", "64", "--n", "64", "--count", "4",
                                    "--chain", "--dtype", "int8", "-o", str(d / "g.json")])
    assert res.exit_code == 0, res.output
    for slots, kind in ((4, "slot-bank"), (2, "slot-bank"), (4, "slot-bank-unflagged")):
        cfg = {"name": f"b{slots}", "memory": {"dram": {"capacity": "1 GiB", "bandwidth": "100 GB/s",
                                                        "energy_per_byte": "1 pJ/B"}},
               "processor": HOST, "bank": {"type": kind, "slots": slots, "rate": 1e12}}
        (d / f"{kind}-{slots}.yaml").write_text(yaml.safe_dump(cfg))
    return d


def _run(path, *extra):
    res = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["run", str(path), str(path.parent / "g.json"), *extra])
    return res.exit_code, " ".join(res.output.split())


def test_a_plan_with_programming_from_a_class_without_the_flag_is_refused(files):
    code, out = _run(files / "slot-bank-unflagged-4.yaml")
    assert code != 0 and "Traceback" not in out, out
    assert ("component 'bank' (slot-bank-unflagged) returned a plan with programming (the one-time "
            "programming before the run), but its class does not set programs_weights = True") in out


def test_the_flagged_plugin_reports_its_programming(files):
    arch = architecture_from_dict(yaml.safe_load((files / "slot-bank-4.yaml").read_text()))
    r = simulate(arch, load_workload(files / "g.json"))
    # 4 matrices x 64 x 64 int8 weights x 10 pJ = 163.84 nJ; the bank programs in 10 us
    assert r.facts[C.PROGRAMMING_ENERGY_J] == pytest.approx(4 * 64 * 64 * 10e-12, rel=1e-12, abs=0)
    assert r.facts[C.PROGRAMMING_TIME_S] == pytest.approx(10e-6, rel=1e-12, abs=0)


def test_the_programming_line_uses_the_plugins_own_words_and_parts(files):
    code, out = _run(files / "slot-bank-4.yaml")
    assert code == 0, out
    assert ("programming 163.8 nJ, 10 µs to write the weights once before the run, heater "
            "transients only (programming_energy_j, programming_time_s): not in the energy or "
            "latency above") in out, out
    assert "link" not in out.split("programming 163.8")[1].split("above")[0]
    code, out = _run(files / "slot-bank-2.yaml")
    assert code == 0, out
    # 2 slots, 4 distinct matrices in a chain: each is programmed during the run (4 reloads,
    # 4 x 4,096 x 10 pJ = 163.8 nJ of bank_program)
    assert ("programming nothing is written before the run: the weights are programmed during it "
            "(bank: 4 re-programmings, in bank_program energy and the latency above)") in out, out
    assert "bank_write" not in out


def test_the_in_order_note_of_a_server_without_a_check_claims_no_swap(files):
    code, out = _run(files / "slot-bank-4.yaml")
    assert code == 0, out
    assert ("bank: ran its 4 ops on order-dependent servers in program order (its plan marks the "
            "servers order-dependent, Plan.in_order, and gives no in_order_check") in out, out
    assert "swapped" not in out and "re-programmed arrays" not in out


@pytest.mark.parametrize("attrs, message", [
    ({"reprogram_fact": "reprograms"}, "reprogram_fact 'reprograms' must be one of its facts (reloads)"),
    ({"reprogram_parts": ("write",)}, "reprogram_parts must be a tuple of its energy_parts (mac, program), not ('write',)"),
    ({"programming_includes": ["heater", "laser"]}, "programming_includes must be a string"),
    ({"programs_weights": 1}, "programs_weights must be True or False, not 1"),
])
def test_register_refuses_a_wrong_programming_declaration(attrs, message):
    cfg = type("BadConfig", (BankConfig,), {"__annotations__": {"type": Literal["slot-bank-bad"]},
                                            "type": Field(default="slot-bank-bad", description="Component type.")})
    bad = type("Bad", (SlotBank,), {"type_name": "slot-bank-bad", "Config": cfg, **attrs})
    with pytest.raises(ComponentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        register(bad)


def _variant(name: str, **attrs):
    cfg = type(f"{name}Config", (BankConfig,), {"__annotations__": {"type": Literal[name]},
                                                "type": Field(default=name, description="Component type.")})
    return register(type(name, (SlotBank,), {"type_name": name, "Config": cfg, **attrs}))


def test_a_reprogram_fact_beside_facts_as_a_property_is_checked_when_the_config_loads(files):
    """Review 21 C 3 b: register cannot read facts that are a property (as the CIM's are), so a
    typo "relaods" passed and a run of 4 reloads read "nothing is written before the run"."""
    _variant("slot-bank-prop", facts=property(lambda self: {"reloads": 0}), reprogram_fact="relaods")
    try:
        cfg = yaml.safe_load((files / "slot-bank-2.yaml").read_text())
        cfg["bank"]["type"] = "slot-bank-prop"
        with pytest.raises(ConfigError, match=r"bank: its type slot-bank-prop's reprogram_fact 'relaods' "
                                              r"must be one of its facts \(reloads\)"):
            architecture_from_dict(cfg)
    finally:
        unregister("slot-bank-prop")


def test_a_device_that_only_reloads_during_the_run_has_a_programming_line(files):
    """Review 21 C 3 a: a device programming nothing before the run (programs_weights False) and
    reloading every weight during it (2 slots, 4 matrices: 4 reloads) printed no programming line."""
    def place(self, ops, idx):
        plan = SlotBank.place(self, ops, idx)
        plan.programming = None
        return plan
    _variant("slot-bank-nobefore", programs_weights=False, place=place)
    try:
        cfg = yaml.safe_load((files / "slot-bank-2.yaml").read_text())
        cfg["bank"]["type"] = "slot-bank-nobefore"
        (files / "nobefore.yaml").write_text(yaml.safe_dump(cfg))
        code, out = _run(files / "nobefore.yaml")
    finally:
        unregister("slot-bank-nobefore")
    assert code == 0, out
    assert ("programming nothing is written before the run: the weights are programmed during it "
            "(bank: 4 re-programmings, in bank_program energy and the latency above)") in out, out


def test_cimsim_words_for_a_plugin_name_no_arrays_or_cells(files):
    """Review 21 C 4: a pipelined bank re-programming during the run read "one stage: the arrays
    are re-programmed"; a volatile programming's first call read "the weights volatile cells lost"."""
    _variant("slot-bank-pipe", pipelined=True)
    try:
        cfg = yaml.safe_load((files / "slot-bank-2.yaml").read_text())
        cfg["bank"]["type"] = "slot-bank-pipe"
        (files / "pipe.yaml").write_text(yaml.safe_dump(cfg))
        code, out = _run(files / "pipe.yaml")
    finally:
        unregister("slot-bank-pipe")
    assert code == 0, out
    assert "(one stage: bank re-programs during the run, no layer pipeline;" in out, out
    assert "arrays" not in out.split("pipeline")[1].split("programming")[0], out
    code, out = _run(files / "slot-bank-4.yaml")
    assert code == 0, out
    # 4 slots: programmed before the run (10 us, volatile by default), so the first call adds it
    assert "(latency + 10 µs re-programming the weights lost at power-off, 163.8 nJ + static power over it;" in out, out


def test_only_a_component_that_programmed_before_the_run_is_quoted(files, tmp_path):
    """Review 21 C 4: beside a CIM that programs a matrix before the run, a bank that programmed
    nothing (2 slots, 3 matrices: reloaded during the run) had its "heater transients only" quoted."""
    def claim(self, ops, free):
        took = SlotBank.claim(self, ops, free)
        took[np.flatnonzero(took)[3:]] = False  # the first 3 weight matmuls; the CIM runs the 4th
        return took
    _variant("slot-bank-three", priority=31, claim=claim)
    try:
        base = yaml.safe_load(bundled.resolve_config("rram-cim").read_text())
        (tmp_path / "g.json").write_bytes((files / "g.json").read_bytes())
        (tmp_path / "mix.yaml").write_text(yaml.safe_dump(
            {**base, "bank": {"type": "slot-bank-three", "slots": 2, "rate": 1e12}}, sort_keys=False))
        code, out = _run(tmp_path / "mix.yaml")
    finally:
        unregister("slot-bank-three")
    assert code == 0, out
    line = out[out.index("to write the weights once before the run"):].split("first call")[0]
    assert line.startswith("to write the weights once before the run, reading them from the backing store"), out
    assert "bank: 3 re-programmings" in line and "heater" not in line, out
