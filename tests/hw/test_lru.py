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
from cimsim.hw.lru import lru_sources
from cimsim.workload import Op, Tensor, Workload

from conftest import ROUND_ARCH

MiB = 2**20


# ------------------------------------------------------------------ the reuse distance
def _ab(pattern: str):
    """Pairs of ops reading weights in ``pattern`` (one weight an op, 100 B each; 10 B of
    outputs an op)."""
    ids = {c: i for i, c in enumerate(sorted(set(pattern)))}
    n = len(pattern)
    return (np.arange(n), np.array([ids[c] for c in pattern]), np.full(n, 100.0), np.full(n, 10.0))


@pytest.mark.parametrize("cap, hits", [(219.0, False), (220.0, True)])
def test_two_weights_in_turn_stay_only_where_both_and_the_outputs_between_fit(cap, hits):
    # A B A B: at the second A, B's 100 B, the outputs of ops 1 and 2 (10 B each) and A's own
    # 100 B were touched since A's first use: 220 B
    op, w, b, out = _ab("ABAB")
    src = lru_sources(op, w, b, out, [cap], back=1)
    assert src.tolist() == [1, 1, 0, 0] if hits else [1, 1, 1, 1]


def test_a_weight_read_twice_in_a_row_finds_the_innermost_level_that_holds_it():
    # A A: one op's outputs (10 B) and A (100 B) between: 110 B, past a 105 B L2, in a 220 B L3
    op, w, b, out = _ab("AA")
    assert lru_sources(op, w, b, out, [105.0, 220.0], back=2).tolist() == [2, 1]
    assert lru_sources(op, w, b, out, [110.0, 220.0], back=2).tolist() == [2, 0]


def test_a_weight_is_counted_once_however_often_it_is_read_between():
    # A B B B A: B's 100 B once, 4 ops' outputs (40 B), A's 100 B: 240 B
    op, w, b, out = _ab("ABBBA")
    assert lru_sources(op, w, b, out, [239.0], back=1).tolist()[-1] == 1
    assert lru_sources(op, w, b, out, [240.0], back=1).tolist()[-1] == 0


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
