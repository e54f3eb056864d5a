"""Property tests: physical invariants over random valid architectures x random workloads.

Hypothesis draws an architecture (a processor, on-chip SRAM and DRAM levels, and optionally
CIM arrays with a link or near-bank PIM units, every value inside its physical domain) and a
workload from the generators at small random sizes, and checks what must hold whatever the
numbers: energy parts non-negative and summing to the total, utilizations in [0, 1], MACs
conserved, the DES never below the analytic bound nor the analytic below its own bounds, and
latency non-increasing in bandwidth and in CIM array count for the analytic engine.
Example counts are bounded for CI; `HYPOTHESIS_PROFILE=deep` runs many more.
"""

from __future__ import annotations

import copy
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.workload.generators import gru, hier_attn, lstm, tcn, transformer

settings.register_profile("ci", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("deep", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REL = 1e-9


def _q(x: float, unit: str) -> str:
    return f"{x!r} {unit}"


@st.composite
def architectures(draw):
    lg = lambda lo, hi: draw(st.floats(lo, hi, allow_nan=False, allow_infinity=False))  # noqa: E731
    d = {
        "name": "random",
        "memory": {
            "sram": {"capacity": _q(2 ** lg(10, 27), "B"), "bandwidth": _q(10 ** lg(10, 13.5), "B/s"),
                     "energy_per_byte": _q(lg(0, 20), "pJ/B")},
            "dram": {"capacity": "1 TiB", "bandwidth": _q(10 ** lg(9, 12.5), "B/s"),
                     "sustained_fraction": lg(0.05, 1.0), "latency": _q(lg(0, 1000), "ns"),
                     "energy_per_bit": _q(lg(0, 50), "pJ/bit"), "channels": draw(st.integers(1, 64))},
        },
        "processor": {
            "name": "p", "cores": draw(st.integers(1, 128)), "clock": _q(lg(0.1, 5), "GHz"),
            "macs_per_cycle_per_core": {dt: lg(0.5, 4096) for dt in ("fp32", "fp16", "bf16", "int8")},
            "vector_ops_per_cycle_per_core": lg(0.5, 256),
            "energy_per_mac": {dt: _q(lg(0, 200), "pJ") for dt in ("fp32", "fp16", "bf16", "int8")},
            "energy_per_vector_op": _q(lg(0, 200), "pJ"), "static_power": _q(lg(0, 300), "W"),
            "op_overhead": _q(lg(0, 10), "us"),
        },
    }
    extra = draw(st.sampled_from(["none", "cim", "pim"]))
    if extra == "cim":
        wbits = draw(st.sampled_from([4, 8]))
        in_bits = draw(st.sampled_from([4, 8]))
        d["links"] = {"noc": {"bandwidth": _q(10 ** lg(9, 12), "B/s"), "latency": _q(lg(0, 100), "ns"),
                              "energy_per_bit": _q(lg(0, 5), "pJ/bit")}}
        d["cim"] = {
            "technology": draw(st.sampled_from(["sram", "rram"])),
            "arrays": draw(st.integers(1, 20000)), "rows": draw(st.sampled_from([32, 64, 128, 256])),
            "cols": draw(st.sampled_from([32, 64, 128, 256])),
            "bits_per_cell": draw(st.sampled_from([1, 2, 4])) if wbits >= 4 else 1,
            "weight_bits": wbits, "input_bits": in_bits, "dac_bits": draw(st.sampled_from([1, 2, in_bits])),
            "read_latency": _q(lg(1, 200), "ns"),
            "adc": {"bits": 8, "sample_rate": _q(lg(0.1, 5), "GHz"),
                    "energy_per_conversion": _q(lg(0, 5), "pJ"), "per_array": draw(st.integers(1, 16))},
            "dac_energy": _q(lg(0, 1), "pJ"), "cell_read_energy": _q(lg(0, 100), "fJ"),
            "shift_add_energy": _q(lg(0, 1), "pJ"), "write_latency": _q(lg(1, 1000), "ns"),
            "write_energy": _q(lg(0, 10), "pJ"), "endurance": 1e9,
            "buffer": {"capacity": "64 KiB", "bandwidth": _q(10 ** lg(9, 13), "B/s"),
                       "energy_per_byte": _q(lg(0, 2), "pJ/B")},
            "static_power": _q(lg(0, 20), "W"), "weight_replication": draw(st.booleans()),
        }
    elif extra == "pim":
        d["pim"] = {"units_per_channel": draw(st.integers(1, 16)), "clock": _q(lg(0.1, 2), "GHz"),
                    "macs_per_cycle": lg(1, 64), "internal_bandwidth": _q(10 ** lg(9, 11), "B/s"),
                    "energy_per_mac": _q(lg(0, 5), "pJ"), "energy_per_bit": _q(lg(0, 5), "pJ/bit"),
                    "max_rows": draw(st.integers(1, 8)), "op_overhead": _q(lg(0, 10), "us")}
    return d


@st.composite
def workloads(draw):
    kind = draw(st.sampled_from(["lstm", "gru", "hier-attn", "transformer", "tcn"]))
    dt = draw(st.sampled_from(["fp32", "fp16", "bf16", "int8"]))
    h = draw(st.sampled_from([8, 16, 48, 64]))
    steps = draw(st.integers(1, 6))
    if kind == "lstm":
        return lstm(h, h, draw(st.integers(1, 2)), steps=steps, batch=draw(st.integers(1, 3)), dtype=dt)
    if kind == "gru":
        return gru(h, h, 1, steps=steps, dtype=dt)
    if kind == "hier-attn":
        # stream mode: every step's level-1 module ready at 0, where re-programmed CIM arrays
        # interleave independent chains (the engines' program-order decision, review 16-6 #1)
        return hier_attn(draw(st.integers(2, 20)), d_model=32, heads=2, window=draw(st.integers(2, 5)), dtype=dt,
                         mode=draw(st.sampled_from(["encode", "stream"])))
    if kind == "transformer":
        return transformer(draw(st.integers(2, 8)), d_model=32, heads=2, ffn=64, dtype=dt)
    return tcn(draw(st.integers(2, 10)), channels=16, kernel=3, layers=2, dtype=dt)


@given(architectures(), workloads())
def test_invariants_hold_for_random_machines_and_workloads(data, wl):
    arch = architecture_from_dict(data)
    des = simulate(arch, wl, engine="des")
    ana = simulate(arch, wl, engine="analytic", keep_ops=False)
    for r in (des, ana):
        assert all(v >= 0 for v in r.energy_breakdown_j.values())
        assert sum(r.energy_breakdown_j.values()) == pytest.approx(r.energy_j, rel=1e-12, abs=0)
        assert all(0.0 <= v <= 1.0 for v in r.utilization.values())
        assert r.macs == wl.macs and r.latency_s > 0
        assert r.latency_s >= r.critical_path_s * (1 - REL)
        assert r.latency_s >= r.bound_memory_s * (1 - REL)
        assert r.latency_s >= r.bound_compute_s * (1 - REL)
    assert des.latency_s >= ana.latency_s * (1 - REL)
    assert des.op_table["macs"].sum() == wl.macs
    # energy apart from static power does not depend on the engine
    assert des.energy_j - des.energy_breakdown_j["static"] == pytest.approx(
        ana.energy_j - ana.energy_breakdown_j["static"], rel=1e-9, abs=0)


@given(architectures(), workloads(), st.floats(1.1, 10.0))
def test_more_bandwidth_never_slows_the_analytic_bound(data, wl, factor):
    slow = simulate(architecture_from_dict(data), wl, engine="analytic", keep_ops=False)
    fast_data = copy.deepcopy(data)
    for level in fast_data["memory"].values():
        value, unit = level["bandwidth"].split(" ")
        level["bandwidth"] = _q(float(value) * factor, unit)
    fast = simulate(architecture_from_dict(fast_data), wl, engine="analytic", keep_ops=False)
    assert fast.latency_s <= slow.latency_s * (1 + REL)


@given(architectures(), workloads(), st.integers(2, 8))
def test_more_cim_arrays_never_slow_the_analytic_bound(data, wl, factor):
    if "cim" not in data:
        data = None
    if data is None:
        return
    few = simulate(architecture_from_dict(data), wl, engine="analytic", keep_ops=False)
    more_data = copy.deepcopy(data)
    more_data["cim"]["arrays"] *= factor
    more_data["cim"]["weight_replication"] = False
    data = copy.deepcopy(data)
    data["cim"]["weight_replication"] = False
    few = simulate(architecture_from_dict(data), wl, engine="analytic", keep_ops=False)
    more = simulate(architecture_from_dict(more_data), wl, engine="analytic", keep_ops=False)
    assert more.latency_s <= few.latency_s * (1 + REL)
