"""The component protocol and the memory hierarchy: extension points proven with closed forms.

Round numbers (conftest.ROUND_ARCH): 4 cores x 1 GHz x 8 fp32 MAC = 32 GMAC/s, 32 G vector
ops/s; DRAM 10 GB/s + 100 ns. Every expected value below is arithmetic on those numbers.
"""

from __future__ import annotations

import copy
from typing import Literal

import numpy as np
import pytest
from pydantic import Field

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import ConfigError, MappingError
from cimsim.hw import Component, ComponentConfig, OpCost, Plan, register
from cimsim.hw.registry import types, unregister
from cimsim.quantity import PositiveFloat, Watts
from cimsim.workload import Op, Tensor, Workload

from conftest import ROUND_ARCH

KiB = 1024


def _arch(levels: dict, **extra):
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"] = {**levels, "dram": d["memory"]["dram"]}
    d.update(extra)
    return architecture_from_dict(d)


def _level(capacity: str, bandwidth: str = "1 TB/s") -> dict:
    return {"capacity": capacity, "bandwidth": bandwidth, "energy_per_byte": "1 pJ/B"}


def _recurrent(k: int, steps: int) -> Workload:
    """x W_in, then `steps` matmuls by the same W_hh (a recurrence without its pointwise)."""
    t = [Tensor("x", (1, k), "fp32", "input"), Tensor("W_in", (k, k), "fp32", "weight"),
         Tensor("W_hh", (k, k), "fp32", "weight"), Tensor("h0", (1, k), "fp32", "activation")]
    ops = [Op("in", "matmul", ("x", "W_in"), ("h0",), m=1, k=k, n=k, weight="W_in")]
    for s in range(1, steps + 1):
        t.append(Tensor(f"h{s}", (1, k), "fp32", "activation"))
        ops.append(Op(f"step{s}", "matmul", (f"h{s - 1}", "W_hh"), (f"h{s}",), m=1, k=k, n=k,
                      weight="W_hh"))
    return Workload("recurrent", t, ops)


# ------------------------------------------------------------------ per-matrix residency
@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_a_cache_that_holds_the_recurrent_weights_changes_the_prediction(engine):
    # k = 256 fp32: W_in and W_hh are 256 KiB each, 512 KiB together. A 384 KiB LLC cannot hold
    # both (all-or-nothing residency would stream both at every use) but holds W_hh: after its
    # first read it stays, and each later step is compute-bound on chip.
    k, steps = 256, 8
    w = k * k * 4  # 262,144 B
    stream = w / 10e9 + 100e-9  # one matrix from DRAM: 26.2144 us + 100 ns latency
    x = k * 4  # the model input (1 KiB) starts in DRAM: the first op reads it too
    on_chip = max(k * k / 32e9, (w + 2 * k * 4) / 1e12)  # 2.048 us of MACs vs 0.264 us of LLC
    assert on_chip == k * k / 32e9
    wl = _recurrent(k, steps)
    fits = simulate(_arch({"llc": _level("384 KiB")}), wl, engine=engine)
    assert fits.latency_s == pytest.approx(x / 10e9 + 2 * stream + (steps - 1) * on_chip, rel=1e-12)
    assert fits.traffic_bytes["dram"] == 2 * w + x  # each matrix read from DRAM once, and x
    assert fits.facts["processor_weights_on_chip"] is False  # W_in does not fit beside W_hh
    # a cache too small for W_hh: every step streams it
    small = simulate(_arch({"llc": _level("128 KiB")}), wl, engine=engine)
    assert small.latency_s == pytest.approx(x / 10e9 + (steps + 1) * stream, rel=1e-12)
    assert small.traffic_bytes["dram"] == (steps + 1) * w + x
    assert fits.latency_s < 0.3 * small.latency_s


def test_three_levels_place_each_matrix_in_the_innermost_that_holds_it():
    # A: 256 x 256 fp32 (256 KiB), B: 64 x 128 fp32 (32 KiB), each read twice: A, B, A, B.
    # l2 (64 KiB) holds B but not A; llc (512 KiB) holds A. Bytes pass every level inside
    # the one they come from (inclusive), activations stay in l2.
    t = [Tensor("x", (1, 256), "fp32", "input"), Tensor("x2", (1, 64), "fp32", "input"),
         Tensor("A", (256, 256), "fp32", "weight"), Tensor("B", (64, 128), "fp32", "weight")]
    ops = []
    for i, (a, w, k, n) in enumerate([("x", "A", 256, 256), ("x2", "B", 64, 128)] * 2):
        t.append(Tensor(f"y{i}", (1, n), "fp32", "activation"))
        ops.append(Op(f"mm{i}", "matmul", (a, w), (f"y{i}",), m=1, k=k, n=n, weight=w))
    wl = Workload("abab", t, ops)
    arch = _arch({"l2": _level("64 KiB", "2 TB/s"), "llc": _level("512 KiB")})
    r = simulate(arch, wl)
    A, B = 256 * 256 * 4, 64 * 128 * 4
    acts = 2 * ((256 + 256) * 4 + (64 + 128) * 4)
    inputs = (256 + 64) * 4  # the model inputs x and x2 start in DRAM: read from there once
    assert r.traffic_bytes["dram"] == A + B + inputs  # first reads only
    # A every time, B's first read and the inputs' first reads pass through
    assert r.traffic_bytes["llc"] == 2 * A + B + inputs
    assert r.traffic_bytes["l2"] == 2 * A + 2 * B + acts
    assert "processor weights" in r.notes[0] and "0.2621 MB resident in llc" in r.notes[0]
    assert "0.03277 MB resident in l2" in r.notes[0]
    assert list(r.energy_breakdown_j)[1:4] == ["l2", "llc", "dram"]
    assert r.energy_breakdown_j["llc"] == pytest.approx((2 * A + B + inputs) * 1e-12, rel=1e-12)


def test_processor_levels_must_name_levels_and_end_at_the_backing_store():
    d = copy.deepcopy(ROUND_ARCH)
    d["processor"]["levels"] = ["sram", "l3"]
    with pytest.raises(ConfigError, match=r"processor.levels: names no memory level \['l3'\]"):
        architecture_from_dict(d, source="x.yaml")
    d["processor"]["levels"] = ["sram"]
    with pytest.raises(ConfigError, match="must end with the backing store 'dram'"):
        architecture_from_dict(d, source="x.yaml")


# ------------------------------------------------------------------ a plug-in component
class VectorUnitConfig(ComponentConfig):
    """A toy near-memory vector unit: elementwise ops at a fixed rate."""

    type: Literal["test-vector-unit"] = "test-vector-unit"
    ops_per_s: PositiveFloat = Field(description="Vector operations per second.")
    static_power: Watts = Field(default="0 W", description="Idle power.")


class VectorUnit(Component):
    """Claims every op without MACs; runs it at ops_per_s; its operands cross the DRAM bus."""

    type_name = "test-vector-unit"
    Config = VectorUnitConfig
    priority = 10
    energy_parts = ("ops",)
    utilizations = ("busy",)

    def claim(self, ops, free):
        return free & (ops.macs == 0)

    def place(self, ops, idx):
        return Plan.one_server(len(idx))

    def cost(self, ops, idx, plan):
        vec = ops.vector_ops[idx]
        return OpCost(compute_s=vec / self.config.ops_per_s, latency_s=np.zeros(len(idx)),
                      bytes={"dram": ops.act_in_bytes[idx] + ops.act_out_bytes[idx]},
                      energy={"ops": vec * 1e-12})

    def utilization(self, ops, idx, plan, cost, busy_s, latency_s):
        return {"busy": busy_s / latency_s}


@pytest.fixture
def vector_unit():
    register(VectorUnit)
    yield VectorUnit
    unregister(VectorUnit.type_name)


def test_a_new_device_is_one_class_and_one_registration(vector_unit):
    assert "test-vector-unit" in types()
    d = copy.deepcopy(ROUND_ARCH)
    d["vu"] = {"type": "test-vector-unit", "ops_per_s": "1e9"}  # not a quantity: a plain rate
    arch = architecture_from_dict(d)
    n = 1 << 16
    wl = Workload("relu", [Tensor("x", (n,), "fp32", "input"), Tensor("y", (n,), "fp32", "activation")],
                  [Op("r", "elementwise", ("x",), ("y",), fn="relu")])
    r = simulate(arch, wl)
    assert r.ops_per_unit == {"processor": 0, "vu": 1}
    # 65,536 relu ops at 1 G/s = 65.536 us; 512 KiB over 10 GB/s DRAM = 52.4288 us: compute wins
    assert r.latency_s == pytest.approx(n / 1e9, rel=1e-12)
    assert r.energy_breakdown_j["vu_ops"] == pytest.approx(n * 1e-12, rel=1e-12)
    assert r.utilization["vu_busy"] == pytest.approx(1.0)
    assert r.record()["energy_vu_ops_j"] == r.energy_breakdown_j["vu_ops"]
    # the new type's fields are listed and validated like the built-ins'
    from cimsim.config.schema import describe_fields

    assert "test-vector-unit.ops_per_s" in {f.path for f in describe_fields()}
    d["vu"]["ops_per_s"] = -1
    with pytest.raises(ConfigError, match="vu.ops_per_s"):
        architecture_from_dict(d, source="x.yaml")


def test_a_component_returning_an_impossible_cost_is_named(vector_unit):
    class Broken(VectorUnit):
        type_name = "test-broken"

        def cost(self, ops, idx, plan):
            c = super().cost(ops, idx, plan)
            c.compute_s = -c.compute_s
            return c

    class BrokenConfig(VectorUnitConfig):
        type: Literal["test-broken"] = "test-broken"

    Broken.Config = BrokenConfig
    register(Broken)
    try:
        d = copy.deepcopy(ROUND_ARCH)
        d["bad"] = {"type": "test-broken", "ops_per_s": 1e9}
        wl = Workload("relu", [Tensor("x", (8,), "fp32", "input"), Tensor("y", (8,), "fp32", "activation")],
                      [Op("r", "elementwise", ("x",), ("y",), fn="relu")])
        with pytest.raises(AssertionError, match=r"component 'bad' \(test-broken\) produced an impossible compute_s"):
            simulate(architecture_from_dict(d), wl)
    finally:
        unregister("test-broken")


def test_an_op_no_component_claims_is_an_error():
    d = copy.deepcopy(ROUND_ARCH)
    d["pim"] = {"units_per_channel": 1, "clock": "1 GHz", "macs_per_cycle": 1,
                "internal_bandwidth": "1 GB/s", "energy_per_mac": "1 pJ", "energy_per_bit": "1 pJ/bit"}
    del d["processor"]
    wl = Workload("relu", [Tensor("x", (8,), "fp32", "input"), Tensor("y", (8,), "fp32", "activation")],
                  [Op("r", "elementwise", ("x",), ("y",), fn="relu")])
    with pytest.raises(MappingError, match="no component runs op 'r' .*add a processor"):
        simulate(architecture_from_dict(d), wl)


def test_unknown_component_type_lists_the_registered_ones():
    d = copy.deepcopy(ROUND_ARCH)
    d["npu"] = {"type": "npu", "cores": 2}
    with pytest.raises(ConfigError, match=r"x.yaml: npu.type: unknown component type 'npu'; "
                                          r"registered types: processor, pim, cim, systolic"):
        architecture_from_dict(d, source="x.yaml")


def test_levels_links_and_components_need_distinct_names():
    d = copy.deepcopy(ROUND_ARCH)
    d["links"] = {"dram": {"bandwidth": "1 GB/s", "latency": "1 ns", "energy_per_bit": "1 pJ/bit"}}
    with pytest.raises(ConfigError, match="dram: the name is used by a memory level too"):
        architecture_from_dict(d, source="x.yaml")


# ------------------------------------------------------------------ area and efficiency
def test_cim_area_and_efficiency_closed_form():
    from conftest import ROUND_CIM, ROUND_LINK, gemv_workload, make_arch

    cim = copy.deepcopy(ROUND_CIM)  # 64 arrays of 128 x 128, one ADC each
    cim["area"] = {"array": "0.0002 mm^2", "adc": "0.0012 mm^2", "dac": "0.00001 mm^2",
                   "digital": "0.0006 mm^2", "buffer": "0.08 mm^2", "other": "1 mm^2"}
    mem = copy.deepcopy(ROUND_ARCH["memory"])
    mem["sram"]["area"] = "2 mm^2"
    proc = copy.deepcopy(ROUND_ARCH["processor"])
    proc["area"] = "10 mm^2"
    arch = make_arch(name="areas", cim=cim, interconnect=dict(ROUND_LINK), memory=mem, processor=proc)
    r = simulate(arch, gemv_workload(128, 64))
    mm2 = 1e-6
    parts = {"processor_die": 10 * mm2, "cim_arrays": 64 * 0.0002 * mm2, "cim_adc": 64 * 0.0012 * mm2,
             "cim_dac": 64 * 128 * 0.00001 * mm2, "cim_digital": 64 * 0.0006 * mm2,
             "cim_buffer": 0.08 * mm2, "cim_other": 1 * mm2, "sram": 2 * mm2}
    assert r.area_breakdown_m2 == pytest.approx(parts, rel=1e-12)
    assert r.area_m2 == pytest.approx(sum(parts.values()), rel=1e-12)
    macs = 128 * 64
    assert r.ops_per_j == pytest.approx(2 * macs / r.energy_j, rel=1e-12)
    assert r.ops_per_s_per_m2 == pytest.approx(2 * macs / r.latency_s / r.area_m2, rel=1e-12)
    rec = r.record()
    assert rec["area_cim_adc_m2"] == pytest.approx(64 * 0.0012 * mm2, rel=1e-12)
    assert rec["area_m2"] == r.area_m2


def test_no_declared_area_gives_nan_area_efficiency(round_arch):
    from conftest import gemv_workload

    r = simulate(round_arch, gemv_workload(64, 64))
    assert r.area_m2 == 0.0 and np.isnan(r.ops_per_s_per_m2)
    assert r.to_json()["ops_per_s_per_m2"] is None  # JSON has no NaN
    assert r.ops_per_j > 0


# ------------------------------------------------------------------ systolic array
@pytest.mark.parametrize("m, k, n, cycles", [
    # SCALE-Sim 3.0.0 on 128 x 128, weight-stationary (issue 7): folds x (3 x 128 + M - 2) - 1
    (1, 512, 1024, 12_255), (1, 2048, 4096, 196_095), (64, 2048, 4096, 228_351)])
def test_systolic_component_time_is_scalesim_cycles(m, k, n, cycles):
    from cimsim.validate.systolic import _arch, gemm

    assert 4 * 8 * (3 * 128 + 1 - 2) - 1 == 12_255  # the closed form, by hand
    r = simulate(_arch("ws", 128, 128), gemm(m, k, n))
    assert r.ops_per_unit == {"array": 1}
    assert r.op_table["compute_s"].iloc[0] * 1e9 == pytest.approx(cycles, rel=1e-12)
    assert r.utilization["array_mac"] == pytest.approx(m * k * n / (128 * 128 * cycles), rel=1e-9)


def test_tpu_like_lstm_is_bound_by_its_weight_memory():
    # TPU v1 streams weights from 34 GB/s DDR3: a GEMV-heavy LSTM is weight-bandwidth-bound
    from cimsim import bundled, load_architecture, load_workload

    r = simulate(load_architecture(bundled.resolve_config("tpu-like")),
                 load_workload(bundled.resolve_workload("lstm")), keep_ops=False)
    assert (r.bound, r.bound_part) == ("memory", "weights")
    # every recurrent step reads W_hh at 8 bits: 2 layers x 100 steps x 2048 x 8192 B, plus W_ih once
    assert r.traffic_bytes["weights"] == 2 * 101 * 2048 * 8192
    assert r.latency_s >= r.traffic_bytes["weights"] / 34e9
    assert r.utilization["tpu_mac"] < 0.01


def test_systolic_suite_matches_every_scalesim_run():
    from cimsim.validate import run

    df = run(["systolic"])
    assert len(df) == 150
    assert (df["predicted"] == df["measured"]).all()


def test_cim_published_suite_reproduces_isaac_and_the_sram_macro():
    # published figures (sources in cimsim/data/validation/isaac.yaml and chih-sram-macro.yaml);
    # the ISAAC and 4-bit cases are reproductions from each design's own parameters, the
    # 8-bit cases predictions from the 4-bit calibration
    from cimsim.validate import run

    df = run(["cim-published"]).set_index("case")
    err = df["rel_error"].abs()
    assert err["ISAAC-CE chip power at peak"] < 0.01
    assert err["ISAAC-CE chip area"] < 0.01
    assert err["ISAAC-CE power efficiency (PE)"] < 0.01
    assert err["ISAAC-CE computational efficiency (CE)"] < 0.02  # 483.3 vs 478.95: the paper's busy cycles
    assert err["22 nm SRAM macro TOPS/W, 4b x 4b"] < 0.01
    assert err["22 nm SRAM macro TOPS/mm^2, 4b x 4b"] < 0.01
    assert (err[[c for c in df.index if "8b x 8b" in c]] < 0.15).all()


def test_an_llc_holding_an_lstms_recurrent_weights_changes_its_prediction():
    # the case: a 1-layer H = I = 1024 fp32 LSTM, batch 1: W_hh is 4 x 1024 x 1024 x 4 B
    # = 16.8 MB and W_ih the same. A 25 MB LLC holds W_hh but not both; all-or-nothing
    # residency (cimsim 0.1) streamed W_hh at every one of the T steps.
    from cimsim import bundled, load_architecture
    from cimsim.workload.generators import lstm

    T = 20
    wl = lstm(1024, 1024, 1, steps=T)
    w = 4 * 1024 * 1024 * 4
    cpu = load_architecture(bundled.resolve_config("cpu-ddr5"),
                            {"memory.sram.capacity": "25 MB"})
    r = simulate(cpu, wl, keep_ops=False)
    biases = 2 * 4 * 1024 * 4
    acts_in = T * 1024 * 4 + 2 * 1024 * 4  # the input sequence, h0 and c0 start in DRAM: read once
    assert r.traffic_bytes["dram"] <= 2 * w + biases + acts_in + 1
    assert r.traffic_bytes["dram"] >= 2 * w  # W_ih and W_hh read once each
    small = simulate(load_architecture(bundled.resolve_config("cpu-ddr5"),
                                       {"memory.sram.capacity": "10 MB"}), wl, keep_ops=False)
    assert small.traffic_bytes["dram"] >= (T + 1) * w  # W_hh at every step, W_ih once
    assert r.latency_s < 0.5 * small.latency_s
