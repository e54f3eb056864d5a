"""``replacement: lru`` (hw/lru.py): a weight stays in a hardware cache between two uses only
while what was touched in between fits; ``mac_efficiency.cold_from`` (rule 7): an op whose
weight comes from the backing store runs at the table's streamed rate; and the calibration's
usable LLC (calibrate/sweep.py ``reuse_capacity``).

Every expected value is arithmetic on the numbers given (conftest.ROUND_ARCH: 32 GMAC/s fp32,
DRAM 10 GB/s)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import ConfigError, MappingError
from cimsim.workload import Op, Tensor, Workload

from conftest import ROUND_ARCH

MiB = 2**20


# ------------------------------------------------------------------ the reuse distance
def _gemvs(k: int, weights: str, between: dict | None = None) -> Workload:
    """A chain of GEMVs h_i -> h_{i+1} by the weights named in ``weights`` (``W0``, ``W1``, ...
    each k x k fp32); ``between``: {op position: a model input of that many fp32 elements the
    op also reads, through an elementwise op before it}."""
    t = [Tensor("h0", (1, k), "fp32", "input")]
    t += [Tensor(f"W{c}", (k, k), "fp32", "weight") for c in sorted(set(weights))]
    ops, h = [], 0
    for i, c in enumerate(weights):
        if between and i in between:
            t += [Tensor(f"K{i}", (between[i],), "fp32", "input"), Tensor(f"s{i}", (1, k), "fp32", "activation")]
            ops.append(Op(f"read{i}", "elementwise", (f"h{h}", f"K{i}"), (f"s{i}",), fn="add"))
            t.append(Tensor(f"h{h + 1}", (1, k), "fp32", "activation"))
            ops.append(Op(f"mv{i}", "matmul", (f"s{i}", f"W{c}"), (f"h{h + 1}",), m=1, k=k, n=k, weight=f"W{c}"))
        else:
            t.append(Tensor(f"h{h + 1}", (1, k), "fp32", "activation"))
            ops.append(Op(f"mv{i}", "matmul", (f"h{h}", f"W{c}"), (f"h{h + 1}",), m=1, k=k, n=k, weight=f"W{c}"))
        h += 1
    return Workload("gemvs", t, ops)


def _dram_weight_bytes(llc: str, wl: Workload, replacement: str = "lru") -> float:
    r = simulate(_arch(llc, replacement), wl, engine="analytic")
    return sum(r.home_weight_bytes["processor"].values())


@pytest.mark.parametrize("cap, reads", [(527359, 3), (527360, 2)])
def test_the_reuse_distance_is_every_distinct_tensor_touched_between_two_uses(cap, reads):
    # W0 W1 W0, k = 256 (256 KiB weights, 1 KiB vectors). Between W0's two uses: h1 (op 1's
    # input), h2 (its output, op 2's input), W1, h3 (op 2's output), each once, and W0 itself:
    # 3 KiB + 256 KiB + 256 KiB = 527,360 B. A cache of that holds W0 for its second use
    wl = _gemvs(256, "010")
    assert _dram_weight_bytes(f"{cap} B", wl) == reads * 262144


def test_a_model_input_read_between_two_uses_evicts_the_weight():
    # W0 W0 with a 1 MiB model input (a KV cache) read between: distance > 1 MiB, past a
    # 768 KiB cache under lru (read twice from DRAM); placed keeps W0 (read once) (find-A 1)
    wl = _gemvs(256, "00", between={1: 262144})
    assert _dram_weight_bytes("768 KiB", wl) == 2 * 262144
    assert _dram_weight_bytes("768 KiB", wl, "placed") == 262144
    # and without it, 1 KiB vectors between: W0 stays
    assert _dram_weight_bytes("768 KiB", _gemvs(256, "00")) == 262144


def test_the_note_says_what_each_level_served_not_what_is_resident():
    # W0 W1 W0 W1 W0 W1 (k = 256) in 384 KiB: all 4 reads after a first use miss (1 MiB);
    # in 640 KiB all 4 hit the llc (find-A 2)
    def note(llc):
        r = simulate(_arch(llc, "lru"), _alternating(256, 6), engine="analytic")
        return next(n for n in r.notes if "processor weights" in n)

    assert "replacement: lru" in note("384 KiB") and "1.049 MB of them missed to dram" in note("384 KiB")
    assert "resident" not in note("384 KiB")
    assert "1.049 MB of the reads after a first use from llc, 0 B of them missed to dram" in note("640 KiB")


def test_lru_on_the_backing_store_is_refused_naming_the_field():
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["dram"]["replacement"] = "lru"
    with pytest.raises(ConfigError, match=r"memory\.dram\.replacement.*nothing is replaced"):
        architecture_from_dict(d)


# ------------------------------------------------------------------ in a simulation
def _alternating(k: int, n_ops: int) -> Workload:
    """A chain of GEMVs by W0, W1, W0, W1, ... (k x k fp32 each)."""
    t = [Tensor("h0", (1, k), "fp32", "input"), Tensor("W0", (k, k), "fp32", "weight"),
         Tensor("W1", (k, k), "fp32", "weight")]
    ops = []
    for i in range(n_ops):
        t.append(Tensor(f"h{i + 1}", (1, k), "fp32", "activation"))
        ops.append(Op(f"op{i}", "matmul", (f"h{i}", f"W{i % 2}"), (f"h{i + 1}",), m=1, k=k, n=k,
                      weight=f"W{i % 2}"))
    return Workload("alternating", t, ops)


def _arch(llc: str, replacement: str | None, **processor):
    d = copy.deepcopy(ROUND_ARCH)
    level = {"capacity": llc, "bandwidth": "1 TB/s", "energy_per_byte": "1 pJ/B"}
    if replacement:
        level["replacement"] = replacement
    d["memory"] = {"llc": level, "dram": d["memory"]["dram"]}
    d["processor"].update(processor)
    return architecture_from_dict(d)


@pytest.mark.parametrize("llc, replacement, weight_reads", [
    ("384 KiB", "placed", 4),  # one matrix stays: 2 cold reads + the other's 2 later uses
    ("384 KiB", "lru", 6),  # neither stays: 256 + 256 KiB + 2 KiB of outputs > 384 KiB
    ("640 KiB", "lru", 2),  # both stay: 514 KiB between two uses fit
])
def test_an_lru_cache_keeps_neither_of_two_weights_read_in_turn_that_do_not_both_fit(llc, replacement, weight_reads):
    k = 256
    w = k * k * 4  # 256 KiB
    r = simulate(_arch(llc, replacement), _alternating(k, 6), engine="analytic")
    assert r.traffic_bytes["dram"] == weight_reads * w + k * 4  # and the 1 KiB input


def test_levels_that_mix_replacement_rules_are_refused_naming_them():
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"] = {"l2": {"capacity": "256 KiB", "bandwidth": "2 TB/s", "energy_per_byte": "1 pJ/B",
                          "replacement": "lru"},
                   "llc": {"capacity": "1 MiB", "bandwidth": "1 TB/s", "energy_per_byte": "1 pJ/B"},
                   "dram": d["memory"]["dram"]}
    with pytest.raises(MappingError, match=r"l2: lru, llc: placed"):
        simulate(architecture_from_dict(d), _alternating(64, 2), engine="analytic")


def test_an_unknown_replacement_rule_is_refused():
    with pytest.raises(ConfigError, match="replacement"):
        _arch("1 MiB", "fifo")


# ------------------------------------------------------------------ mac_efficiency rule 7
def _table(cold_from=None, weight_bytes=("1 MiB", "4 MiB", "9 MiB")):
    from cimsim.hw.processor import MacEfficiency

    extra = {"cold_from": cold_from} if cold_from else {}
    return MacEfficiency(rows=[1], weight_bytes=list(weight_bytes), fraction=[[0.5, 0.4, 0.2]], **extra)


def test_a_cold_weight_takes_the_first_column_past_cold_from():
    t = _table("4 MiB")
    wb = np.array([4 * MiB, 4 * MiB, 2 * MiB, 16 * MiB])
    got = t.at(np.ones(4), wb, cold=np.array([False, True, True, True]))
    assert got.tolist() == [0.4, 0.2, 0.2, 0.2]
    # without cold_from, or without a column past it, every op at its own size
    assert _table().at(np.ones(2), wb[:2], cold=np.array([False, True])).tolist() == [0.4, 0.4]
    assert _table("9 MiB").at(np.ones(2), wb[:2], cold=np.array([False, True])).tolist() == [0.4, 0.4]


def test_cold_from_needs_weight_bytes():
    from pydantic import ValidationError

    from cimsim.hw.processor import MacEfficiency

    with pytest.raises(ValidationError, match="cold_from needs weight_bytes"):
        MacEfficiency(rows=[1], fraction=[[0.5]], cold_from="4 MiB")


def test_a_single_use_weight_runs_at_the_streamed_rate_and_a_held_one_at_the_warm_rate():
    # k = 512: a 1 MiB weight, 262,144 MACs. Table: 0.5 at 1 MiB (timed warm), 0.25 at 4 MiB
    # (streamed). Read twice in a 2 MiB LRU LLC: the first use is cold (0.25: 32.768 us of MACs
    # at 32 GMAC/s), the second finds it (0.5: 16.384 us)
    k = 512
    eff = {"rows": [1], "weight_bytes": ["1 MiB", "4 MiB"], "fraction": [[0.5, 0.25]], "cold_from": "1 MiB"}
    t = [Tensor("x", (1, k), "fp32", "input"), Tensor("W", (k, k), "fp32", "weight"),
         Tensor("y", (1, k), "fp32", "activation"), Tensor("z", (1, k), "fp32", "activation")]
    wl = Workload("twice", t, [Op("a", "matmul", ("x", "W"), ("y",), m=1, k=k, n=k, weight="W"),
                               Op("b", "matmul", ("y", "W"), ("z",), m=1, k=k, n=k, weight="W")])
    r = simulate(_arch("2 MiB", "lru", mac_efficiency=eff), wl, engine="analytic")
    assert r.op_table["compute_s"].tolist() == pytest.approx([k * k / (32e9 * 0.25), k * k / (32e9 * 0.5)],
                                                              rel=1e-12, abs=0)


# ------------------------------------------------------------------ the calibration
def test_the_usable_capacity_is_the_last_size_within_the_fraction_of_the_peak():
    from cimsim.calibrate.sweep import reuse_capacity

    sweep = [(1 * MiB, 100e9), (2 * MiB, 60e9), (4 * MiB, 48e9), (8 * MiB, 47e9), (16 * MiB, 10e9)]
    # above the 1 MiB private caches the peak is 60 GB/s at 2 MiB; 0.8 x 60 = 48: 4 MiB holds,
    # 8 MiB (47) does not, though it is above the geometric mean with DRAM the knee uses
    assert reuse_capacity(sweep, 1 * MiB) == 4 * MiB
    assert reuse_capacity(sweep, 1 * MiB, fraction=0.75) == 8 * MiB


@pytest.mark.parametrize("cap, reads", [(264191, 2), (264192, 1)])
def test_an_ops_own_output_counts_in_the_distance_of_the_weight_it_reads(cap, reads):
    # review H 4, a modelling choice: W0 W0, k = 256. Within an op the touches are its inputs,
    # its outputs, then its weight, so the second use's own output h2 is in W0's distance:
    # h1 (1 KiB) + h2 (1 KiB) + W0 (256 KiB) = 264,192 B, not 263,168 without h2 (conservative
    # by one output a use: a GEMM writes output tiles while it streams the weight)
    assert _dram_weight_bytes(f"{cap} B", _gemvs(256, "00")) == reads * 262144
