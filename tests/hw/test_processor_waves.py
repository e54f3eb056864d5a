"""Wave quantization of a matmul on the processor (``processor.gemm_tile``).

NVIDIA, *Matrix Multiplication Background User's Guide* (DU-09799-001, Feb 2023), sec. 3.2
"Wave Quantization": a GEMM's output tiles run one per SM at a time, so its time steps with
ceil(tiles / SMs). The machine here: 132 cores (an H100's SM count) x 1 GHz x 1024 fp16 MACs
a cycle; one 128 x 128 tile over K = 4096 takes 128 x 128 x 4096 / (1024 x 1 GHz) = 65.536 us
on its core. Memory at 100 TB/s moves each GEMM's < 30 MB in < 0.3 us, so every run below is
bound by compute; its latency is the compute time plus the DRAM's 100 ns access latency.
"""

from __future__ import annotations

import copy

import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import ConfigError

from conftest import ROUND_ARCH, gemv_workload

K = 4096
TILE_S = 128 * 128 * K / (1024 * 1e9)  # one tile's MACs over one core's rate: 65.536 us
PEAK = 132 * 1024 * 1e9  # MAC/s of all 132 cores
DRAM_LATENCY = 100e-9


def gpu(tile=None, efficiency=None):
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["sram"]["bandwidth"] = "100 TB/s"
    d["memory"]["dram"]["bandwidth"] = "100 TB/s"
    d["processor"].update(cores=132, macs_per_cycle_per_core={"fp16": 1024},
                          energy_per_mac={"fp16": "1 pJ"})
    if tile is not None:
        d["processor"]["gemm_tile"] = tile
    if efficiency is not None:  # one fraction of the peak at every row count in the table
        d["processor"]["mac_efficiency"] = {"rows": [1, 4096], "fraction": [efficiency, efficiency]}
    return architecture_from_dict(d)


def gemm_s(arch, m, n, k=K, engine="des"):
    r = simulate(arch, gemv_workload(k, n, rows=m, dtype="fp16", name="gemm"), engine=engine)
    assert r.bound == "compute"
    return r.latency_s - DRAM_LATENCY


@pytest.mark.parametrize("engine", ["des", "analytic"])
@pytest.mark.parametrize("m, n, tiles, waves", [
    (128 * 12, 128 * 11, 132, 1),   # one full wave
    (128 * 7, 128 * 19, 133, 2),    # one tile past it: a second wave of 1 tile
    (128 * 11, 128 * 13, 143, 2),   # 11 tiles in the second wave
    (128 * 12, 128 * 22, 264, 2),   # two full waves
    (128 * 8, 128 * 8, 64, 1),      # fewer tiles than cores: 68 cores idle
])
def test_time_steps_with_waves(m, n, tiles, waves, engine):
    assert (m // 128) * (n // 128) == tiles
    assert gemm_s(gpu([128, 128]), m, n, engine=engine) == pytest.approx(waves * TILE_S, rel=1e-9, abs=0)


@pytest.mark.parametrize("m, n, waves", [(128 * 12, 128 * 11, 1), (128 * 11, 128 * 13, 2)])
def test_mac_efficiency_multiplies_the_wave_fraction(m, n, waves):
    # mac_efficiency 0.8 at every row count and the waves both divide the rate: a tile takes
    # 65.536 us / 0.8 = 81.92 us, one wave 81.92 us, two 163.84 us (the product, not either alone)
    arch = gpu([128, 128], efficiency=0.8)
    assert gemm_s(arch, m, n) == pytest.approx(waves * TILE_S / 0.8, rel=1e-9, abs=0)
    assert gemm_s(gpu(efficiency=0.8), m, n) == pytest.approx(m * n * K / PEAK / 0.8, rel=1e-9, abs=0)


def test_one_tile_past_a_wave_is_less_efficient():
    # the finding: without waves, 143 tiles ran at the same MAC rate as 132; with them, 143
    # tiles take two waves' time, 143 / 264 of the rate of the full wave
    arch = gpu([128, 128])
    full = 128 * 12 * 128 * 11 * K / gemm_s(arch, 128 * 12, 128 * 11)
    past = 128 * 11 * 128 * 13 * K / gemm_s(arch, 128 * 11, 128 * 13)
    assert full == pytest.approx(PEAK, rel=1e-9, abs=0)
    assert past == pytest.approx(PEAK * 143 / 264, rel=1e-9, abs=0)


def test_partial_tiles_count_as_tiles():
    # n = 1409: ceil(1409 / 128) = 12 tile columns x 12 rows of tiles = 144 tiles, 2 waves;
    # a partial tile (the last column's, 1 wide) takes a full tile's time (tile quantization,
    # sec. 3.1; find-C4 3): 2 waves x 65.536 us, not the 1409 / 1536 average's 120.2 us
    assert gemm_s(gpu([128, 128]), 128 * 12, 1409) == pytest.approx(2 * TILE_S, rel=1e-9, abs=0)


@pytest.mark.parametrize("m, n", [(128 * 12 - 100, 128 * 11), (128 * 12, 128 * 11 - 100),
                                  (128 * 12 - 100, 128 * 11 - 100)])
def test_an_uneven_m_or_n_is_timed_at_a_full_tile(m, n):
    # find-C4 3: 12 x 11 = 132 tiles, one wave, the last row / column of tiles 28 wide: every
    # core's time is the full tile's 65.536 us (before: the average, m x n / (1536 x 1408) of it)
    assert gemm_s(gpu([128, 128]), m, n) == pytest.approx(TILE_S, rel=1e-9, abs=0)


def test_batch_counts_in_tiles():
    # a batched matmul: 2 products of 768 x 1408, 6 x 11 tiles each = 132 tiles, one wave
    from cimsim.workload import Op, Tensor, Workload
    wl = Workload("bmm", [Tensor("a", (2, 768, K), "fp16", "input"),
                          Tensor("b", (2, K, 1408), "fp16", "input"),
                          Tensor("c", (2, 768, 1408), "fp16", "activation")],
                  [Op("bmm", "matmul", ("a", "b"), ("c",), m=768, k=K, n=1408, batch=2)])
    r = simulate(gpu([128, 128]), wl)
    assert r.latency_s - DRAM_LATENCY == pytest.approx(TILE_S, rel=1e-9, abs=0)


def test_unset_keeps_every_matmul_at_the_peak():
    macs = 128 * 7 * 128 * 19 * K
    assert gemm_s(gpu(), 128 * 7, 128 * 19) == pytest.approx(macs / PEAK, rel=1e-9, abs=0)


@pytest.mark.parametrize("tile, says", [([128], "at least 2 items"), ([0, 128], "greater than or equal to 1"),
                                        ([128, 128, 32, 8], "at most 3 items")])
def test_bad_tile_is_refused(tile, says):
    with pytest.raises(ConfigError, match=f"processor.gemm_tile.*{says}"):
        gpu(tile)
