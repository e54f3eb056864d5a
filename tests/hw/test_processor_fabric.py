"""Spatial mapping with a split K (``processor.gemm_tile: [m, n, k]`` + ``processor.fabric``;
find-C1 1): a matmul's partial sums are reduced over a named link.

The machine: 4096 cores x 1 GHz x 1 fp32 MAC a cycle (4.096 TMAC/s), 8 vector ops a cycle a
core; memory at 100 TB/s (a 1 MiB weight in 10.5 ns, under every compute time below), DRAM
access latency 100 ns; a fabric link of 1 TB/s, 10 ns a hop, 0.1 pJ/bit.

A GEMV x (1 x 4096) . W (4096 x 64), fp32, with gemm_tile [1, 1, 64]:
- tiles: 1 x ceil(64 / 1) x ceil(4096 / 64) = 64 x 64 = 4096, one per core, one wave: each core
  does 64 MACs, 64 cycles = 64 ns (= 262,144 MACs / 4.096 TMAC/s);
- parts = 64 partial sums per output; mesh: the smallest a x b >= 64 rectangle, 8 x 8,
  (8 - 1) + (8 - 1) = 14 hops x 10 ns = 140 ns; tree: ceil(log2 64) = 6 hops, 60 ns;
- bytes over the fabric: (64 - 1) x 64 outputs x 4 B = 16,128 B (16.1 ns at 1 TB/s, overlapped
  with the 64 ns of compute: a simplification, README "Not modelled"; review W 7), energy
  16,128 x 8 x 0.1 pJ = 12.9024 nJ;
- adds: 63 x 64 = 4,032 vector ops (0.12 ns on 32,768 lanes; 4,032 x 1 pJ of energy).
Latency: 100 ns (DRAM) + 64 ns (compute) + hops x 10 ns.
"""

from __future__ import annotations

import copy

import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import ConfigError

from conftest import ROUND_ARCH, gemv_workload

K, N = 4096, 64
DRAM_S = 100e-9
COMPUTE_S = 64e-9  # 64 MACs a core at 1 MAC/cycle, 1 GHz
HOP_S = 10e-9
PSUM_B = 63 * 64 * 4  # (parts - 1) x outputs x 4 B


def wafer(tile=(1, 1, 64), topology="mesh", fabric=True, link="fabric"):
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["sram"]["bandwidth"] = "100 TB/s"
    d["memory"]["dram"]["bandwidth"] = "100 TB/s"
    d["links"] = {"fabric": {"bandwidth": "1 TB/s", "latency": "10 ns", "energy_per_bit": "0.1 pJ/bit"}}
    d["processor"].update(cores=4096, macs_per_cycle_per_core={"fp32": 1}, energy_per_mac={"fp32": "1 pJ"})
    if tile is not None:
        d["processor"]["gemm_tile"] = list(tile)
    if fabric:
        d["processor"]["fabric"] = {"link": link, "topology": topology}
    return architecture_from_dict(d)


@pytest.mark.parametrize("engine", ["des", "analytic"])
@pytest.mark.parametrize("topology, hops", [("mesh", 14), ("tree", 6)])
def test_gemv_pays_compute_plus_reduction(topology, hops, engine):
    r = simulate(wafer(topology=topology), gemv_workload(K, N), engine=engine)
    assert r.latency_s == pytest.approx(DRAM_S + COMPUTE_S + hops * HOP_S, rel=1e-9, abs=0)
    assert r.traffic_bytes["fabric"] == pytest.approx(PSUM_B, rel=1e-12, abs=0)
    assert r.energy_breakdown_j["fabric"] == pytest.approx(PSUM_B * 8 * 0.1e-12, rel=1e-9, abs=0)
    # the 4,032 adds' energy beside the MACs': 262,144 x 1 pJ + 4,032 x 1 pJ
    assert r.energy_breakdown_j["processor_compute"] == pytest.approx((K * N + 63 * N) * 1e-12, rel=1e-9, abs=0)
    # the link's utilization: 16,128 B over 1 TB/s for the run's latency
    assert r.utilization["fabric_bw"] == pytest.approx(PSUM_B / 1e12 / r.latency_s, rel=1e-9, abs=0)


def test_without_split_the_same_gemv_gets_the_whole_chip():
    # [1, 1]: 64 tiles on 4096 cores: 64 / 4096 of the peak, 4096 MACs a core = 4.096 us; no link
    r = simulate(wafer(tile=(1, 1), fabric=False), gemv_workload(K, N))
    assert r.latency_s == pytest.approx(DRAM_S + 4096e-9, rel=1e-9, abs=0)
    assert r.traffic_bytes.get("fabric", 0.0) == 0.0


def test_one_part_needs_no_reduction():
    # k = 64 <= tk = 64: one part, no hop, nothing over the fabric; 64 tiles, 64 MACs each
    r = simulate(wafer(), gemv_workload(64, N))
    assert r.latency_s == pytest.approx(DRAM_S + 64e-9, rel=1e-9, abs=0)
    assert r.traffic_bytes.get("fabric", 0.0) == 0.0


def test_parts_count_as_tiles_in_waves():
    # tk = 32: 64 x 128 = 8192 tiles on 4096 cores, 2 waves of 32 MACs = 64 ns; parts 128:
    # mesh a = ceil(sqrt(128)) = 12, b = ceil(128 / 12) = 11 (132 >= 128), 11 + 10 = 21 hops
    # (review W 2: the 12 x 12 square's 22 was one too many); bytes 127 x 64 x 4
    r = simulate(wafer(tile=(1, 1, 32)), gemv_workload(K, N))
    assert r.latency_s == pytest.approx(DRAM_S + 64e-9 + 21 * HOP_S, rel=1e-9, abs=0)
    assert r.traffic_bytes["fabric"] == pytest.approx(127 * 64 * 4, rel=1e-12, abs=0)


@pytest.mark.parametrize("parts, hops", [(2, 1), (3, 2), (6, 3), (12, 5), (32, 10)])
def test_mesh_hops_follow_the_smallest_rectangle(parts, hops):
    """review W 2: k = 64 x parts, tk = 64: parts on the smallest a x b >= parts rectangle,
    a = ceil(sqrt(parts)), b = ceil(parts / a), (a - 1) + (b - 1) hops to a corner root: 2 on
    1 x 2 (1 hop, the square formula said 2), 3 on 2 x 2 (2), 6 on 3 x 2 (3, not 4), 12 on 4 x 3
    (5, not 6), 32 on 6 x 6 (10). 64 x parts tiles on 4096 cores, one wave of 64 MACs = 64 ns."""
    r = simulate(wafer(), gemv_workload(64 * parts, N))
    assert r.latency_s == pytest.approx(DRAM_S + COMPUTE_S + hops * HOP_S, rel=1e-9, abs=0)


@pytest.mark.parametrize("kwargs, says", [
    (dict(fabric=False), "processor.*third entry splits K.*add fabric"),
    (dict(tile=(1, 1)), "processor.*fabric names the link.*no third entry"),
    (dict(tile=(1, 1, 64, 2)), "processor.gemm_tile.*at most 3 items"),
    (dict(topology="ring"), "processor.fabric.topology.*'mesh' or 'tree'"),
    (dict(link="noc"), "processor.fabric.link.*'noc' is not a link"),
])
def test_inconsistent_input_is_refused(kwargs, says):
    with pytest.raises(ConfigError, match=says):
        wafer(**kwargs)


@pytest.mark.parametrize("k, tk, parts", [(4096, 2048, 2), (4096, 3000, 2), (4096, 4095, 2), (4000, 64, 63)])
def test_an_uneven_split_is_timed_at_the_deepest_core(k, tk, parts):
    """review W 4: each of the parts = ceil(k / tk) cores of an output is timed at a full tk-deep
    block (the first cores' depth), so every tk from 2048 to 4095 no longer gives the same time:
    64 x parts tiles, one wave, tk MACs at 1 a cycle, 1 GHz = tk ns; 4000 / 64: 63 parts, the
    last 32 deep, the others 64 ns. Hops on the mesh: 2 parts 1, 63 parts 8 x 8, 14."""
    hops = {2: 1, 63: 14}[parts]
    r = simulate(wafer(tile=(1, 1, tk)), gemv_workload(k, N))
    assert r.latency_s == pytest.approx(DRAM_S + tk * 1e-9 + hops * HOP_S, rel=1e-9, abs=0)
    assert r.traffic_bytes["fabric"] == pytest.approx((parts - 1) * N * 4, rel=1e-12, abs=0)


def test_a_matmul_shallower_than_the_block_is_not_padded():
    # k = 32 < tk = 64: one part, 32 MACs a core = 32 ns (not 64), no reduction
    r = simulate(wafer(), gemv_workload(32, N))
    assert r.latency_s == pytest.approx(DRAM_S + 32e-9, rel=1e-9, abs=0)


@pytest.mark.parametrize("tile, rows, ns", [((1, 48, 4096), 1, 48 * 4096), ((2, 64, 4096), 3, 2 * 64 * 4096),
                                            ((1, 1365, 4096), 1, 64 * 4096)])
def test_an_uneven_n_or_m_split_is_timed_at_the_fullest_core(tile, rows, ns):
    """find-C4 3 (review W 4 did K): n = 64 in tiles of 48 is 2 tiles of 48 and 16 columns, the
    fuller 48 x 4096 MACs at 1 a cycle, 1 GHz = 196,608 ns (the average, 32 columns, gave
    131,072); m = 3 rows in tiles of 2: 2 x 64 x 4096 = 524,288 ns (not 1.5 rows' 393,216);
    n = 64 <= 1365: one tile, 64 columns, not padded. One part (k = tk): no reduction."""
    r = simulate(wafer(tile=tile), gemv_workload(K, N, rows=rows))
    assert r.latency_s == pytest.approx(DRAM_S + ns * 1e-9, rel=1e-9, abs=0)
