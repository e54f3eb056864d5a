"""Peak-live capacity (issue 18, item 5): the backing-store check counts the activations live
at once in program order, not the sum over every op. Golden values are hand sums."""

from __future__ import annotations

import copy

import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import MappingError
from cimsim.workload import Op, Tensor, Workload


def chain() -> Workload:
    # x (100 B) -> a -> y (200 B) -> b -> z (50 B) -> c -> o (10 B); x is read again by c
    t = [Tensor("x", (100,), "int8", "input"), Tensor("y", (200,), "int8", "activation"),
         Tensor("z", (50,), "int8", "activation"), Tensor("o", (10,), "int8", "activation")]
    ops = [Op("a", "elementwise", ("x",), ("y",), fn="relu"),
           Op("b", "elementwise", ("y",), ("z",), fn="relu"),
           Op("c", "elementwise", ("z", "x"), ("o",), fn="add")]
    return Workload("chain", t, ops)


def test_peak_live_bytes_by_hand():
    w = chain()
    # during a: x + y = 300; during b: x (read later by c) + y + z = 350; during c: x + z + o = 160
    assert w.peak_live_activation_bytes == 350
    assert w.activation_bytes == 360  # the old sum, o included


def test_tensor_dead_after_its_last_read():
    t = [Tensor("x", (100,), "int8", "input"), Tensor("y", (200,), "int8", "activation"),
         Tensor("z", (50,), "int8", "activation")]
    ops = [Op("a", "elementwise", ("x",), ("y",), fn="relu"),
           Op("b", "elementwise", ("y",), ("z",), fn="relu")]
    # a: x + y = 300; b: y + z = 250 (x dead after a); z is the output, live to the end
    assert Workload("c2", t, ops).peak_live_activation_bytes == 300


ARCH = {
    "name": "tiny",
    "memory": {"dram": {"capacity": "355 B", "bandwidth": "1 GB/s", "energy_per_byte": "1 pJ/B"}},
    "processor": {"name": "host", "cores": 1, "clock": "1 GHz", "macs_per_cycle_per_core": {"int8": 1},
                  "vector_ops_per_cycle_per_core": 1, "energy_per_mac": {"int8": "1 pJ"},
                  "energy_per_vector_op": "1 pJ", "static_power": "0 W", "op_overhead": "0 s"},
}


def test_capacity_check_uses_the_peak_not_the_sum():
    # 355 B holds the peak (350 B) though not the sum (360 B); 349 B holds neither
    assert simulate(architecture_from_dict(ARCH), chain()).latency_s > 0
    d = copy.deepcopy(ARCH)
    d["memory"]["dram"]["capacity"] = "349 B"
    with pytest.raises(MappingError, match=r"needs 350 B live at once \(weights 0 B, KV cache 0 B, activations 350 B\) but .* memory\.dram\.capacity 349 B"):
        simulate(architecture_from_dict(d), chain())
