"""The input's multicast over the fabric (``processor.fabric.multicast: true``; find-C4 1).

The machine of test_processor_fabric.py: 4096 cores x 1 GHz x 1 fp32 MAC a cycle, memory at
100 TB/s, DRAM access 100 ns; a fabric link of 10 ns a hop, 0.1 pJ/bit.

A GEMV x (1 x 4096) . W (4096 x 64), fp32, gemm_tile [1, 1, 64]: 64 columns x 64 parts = 4096
tiles, one wave of 64 MACs = 64 ns; the reduction: 64 parts on 8 x 8, 14 hops, (64 - 1) x 64 x
4 B = 16,128 B. The multicast: the 4096 tiles occupy min(4096, 4096) = 4096 cores, the smallest
rectangle 64 x 64, (64 - 1) + (64 - 1) = 126 hops; bytes: every tile's core receives its own
1 x 64 fp32 block (256 B) once, all but the source's: 4095 x 256 B = 1,048,320 B
(= 1 x 4096 x 64 columns x 4 B x 4095 / 4096).
"""

from __future__ import annotations

import copy

import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import ConfigError

from conftest import ROUND_ARCH, gemv_workload

K, N, HOP_S = 4096, 64, 10e-9
PSUM_B = 63 * 64 * 4
CAST_B = 4095 * 256


def wafer(tile=(1, 1, 64), multicast=True, bandwidth="1 PB/s", topology="mesh"):
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["sram"]["bandwidth"] = "100 TB/s"
    d["memory"]["dram"]["bandwidth"] = "100 TB/s"
    d["links"] = {"fabric": {"bandwidth": bandwidth, "latency": "10 ns", "energy_per_bit": "0.1 pJ/bit"}}
    d["processor"].update(cores=4096, macs_per_cycle_per_core={"fp32": 1}, energy_per_mac={"fp32": "1 pJ"},
                          gemm_tile=list(tile), fabric={"link": "fabric", "topology": topology,
                                                        "multicast": multicast})
    return architecture_from_dict(d)


@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_multicast_adds_the_region_hops_and_the_tree_bytes(engine):
    # 100 ns DRAM + 64 ns compute + (14 + 126) hops x 10 ns; 1.064 MB at 1 PB/s = 1.06 ns < 64 ns
    r = simulate(wafer(), gemv_workload(K, N), engine=engine)
    assert r.latency_s == pytest.approx(100e-9 + 64e-9 + (14 + 126) * HOP_S, rel=1e-9, abs=0)
    assert r.traffic_bytes["fabric"] == pytest.approx(PSUM_B + CAST_B, rel=1e-12, abs=0)
    assert r.energy_breakdown_j["fabric"] == pytest.approx((PSUM_B + CAST_B) * 8 * 0.1e-12, rel=1e-9, abs=0)


def test_the_multicast_bytes_share_the_link_bandwidth():
    # at 1 TB/s the 1,064,448 B take 1064.448 ns, longer than the 64 ns of MACs:
    # 100 + 1400 hops + 1064.448 ns
    r = simulate(wafer(bandwidth="1 TB/s"), gemv_workload(K, N))
    assert r.latency_s == pytest.approx(100e-9 + 140 * HOP_S + (PSUM_B + CAST_B) / 1e12, rel=1e-9, abs=0)


def test_default_off_leaves_only_the_reduction():
    r = simulate(wafer(multicast=False), gemv_workload(K, N))
    assert r.latency_s == pytest.approx(100e-9 + 64e-9 + 14 * HOP_S, rel=1e-9, abs=0)
    assert r.traffic_bytes["fabric"] == pytest.approx(PSUM_B, rel=1e-12, abs=0)


def test_a_region_larger_than_the_wafer_is_capped_at_its_cores():
    # tk = 32: 64 x 128 = 8192 tiles, 2 waves on 4096 cores (64 ns); the region is min(8192,
    # 4096) = 4096 cores, 126 hops; reduction 128 parts on 12 x 11, 21 hops; multicast bytes
    # 8191 blocks of 32 x 4 B = 128 B
    r = simulate(wafer(tile=(1, 1, 32)), gemv_workload(K, N))
    assert r.latency_s == pytest.approx(100e-9 + 64e-9 + (21 + 126) * HOP_S, rel=1e-9, abs=0)
    assert r.traffic_bytes["fabric"] == pytest.approx(127 * 64 * 4 + 8191 * 128, rel=1e-12, abs=0)


def test_n_tiles_each_receive_the_whole_k():
    # [1, 16, 4096]: one part, 4 column tiles of 16 x 4096 MACs = 65,536 ns; 4 cores on 2 x 2,
    # 2 hops; each of the 3 non-source cores receives the whole 4096 x 4 B input: 49,152 B
    r = simulate(wafer(tile=(1, 16, 4096)), gemv_workload(K, N))
    assert r.latency_s == pytest.approx(100e-9 + 65536e-9 + 2 * HOP_S, rel=1e-9, abs=0)
    assert r.traffic_bytes["fabric"] == pytest.approx(3 * 4096 * 4, rel=1e-12, abs=0)


def test_one_tile_is_not_multicast():
    # [1, 64, 4096]: the whole GEMV on one core, 262,144 ns; nothing crosses the fabric
    r = simulate(wafer(tile=(1, 64, 4096)), gemv_workload(K, N))
    assert r.latency_s == pytest.approx(100e-9 + 262144e-9, rel=1e-9, abs=0)
    assert r.traffic_bytes.get("fabric", 0.0) == 0.0


def test_tree_multicast_takes_log2_steps():
    # tree: reduction ceil(log2 64) = 6, multicast over 4096 cores ceil(log2 4096) = 12
    r = simulate(wafer(topology="tree"), gemv_workload(K, N))
    assert r.latency_s == pytest.approx(100e-9 + 64e-9 + (6 + 12) * HOP_S, rel=1e-9, abs=0)


def test_multicast_must_be_a_boolean():
    with pytest.raises(ConfigError, match="processor.fabric.multicast"):
        wafer(multicast="sometimes")


# --- find-C4 4: a tile's weight block against a core's share of the on-chip level -------------
# sram 1 MiB on 4096 cores: 256 B a core. [1, 1, 64] fp32: a 64 x 1 x 4 B = 256 B block (fits);
# [1, 1, 128]: 512 B, 2x it. GEMV 4096 x 64 fp32 = 1 MiB of weight: 64 x 64 blocks of 256 B =
# 1 MiB (= the capacity: stays); n = 65: 65 x 64 x 256 B = 1,064,960 B > 1,048,576 B.
FITS, BLOCK, TOTAL = "larger than one core's share of sram", "weight block", "cannot all stay stationary"


def _notes(tile, n, fabric=True):
    arch = wafer(tile=tile) if fabric else _no_fabric(tile)
    return [x for x in simulate(arch, gemv_workload(K, n)).notes if "gemm_tile" in x]


def _no_fabric(tile):
    d = copy.deepcopy(ROUND_ARCH)
    d["processor"].update(cores=4096, macs_per_cycle_per_core={"fp32": 1}, energy_per_mac={"fp32": "1 pJ"},
                          gemm_tile=list(tile[:2]))
    return architecture_from_dict(d)


def test_a_block_within_the_core_share_gets_no_note():
    assert _notes((1, 1, 64), N) == []


def test_a_block_above_the_core_share_is_noted():
    said = _notes((1, 1, 128), N)
    assert len(said) == 1 and FITS in said[0]
    assert "1 MiB" in said[0] and "4,096 cores = 256 B" in said[0] and "128 x 1 x 4 B = 512 B, 2x it" in said[0]


def test_weights_above_the_capacity_cannot_stay_stationary():
    said = _notes((1, 1, 64), 65)
    assert len(said) == 1 and TOTAL in said[0] and "1.065 MB" in said[0] and "1 weight(s)" in said[0]


def test_no_fabric_no_tile_note():
    # gemm_tile [m, n] alone (a GPU's thread-block tile): a 1 x 4096 column block of 16 kB is no
    # core's SRAM share, so no note
    assert _notes((1, 1, 64), N, fabric=False) == []


def test_the_block_note_counts_distinct_weights_not_op_instances():
    # review C4 5: one 4096 x 64 weight read by 3 matmuls (an LLM's weight at each decode
    # iteration): [1, 1, 128] gives its 512 B blocks 2x the 256 B share, and the note counts the
    # 1 weight, not the 3 op instances (which grew with --decode: 516 = 129 weights x 4 iterations)
    from cimsim.workload import Op, Tensor, Workload
    ts = [Tensor("W", (K, N), "fp32", "weight")]
    ops = []
    for i in range(3):
        ts += [Tensor(f"x{i}", (1, K), "fp32", "input"), Tensor(f"y{i}", (1, N), "fp32", "activation")]
        ops.append(Op(f"mm{i}", "matmul", (f"x{i}", "W"), (f"y{i}",), m=1, k=K, n=N, weight="W"))
    said = [x for x in simulate(wafer(tile=(1, 1, 128)), Workload("rep", ts, ops)).notes
            if FITS in x]
    assert len(said) == 1 and "gives 1 weight(s) a weight block" in said[0]
