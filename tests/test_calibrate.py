"""`cimsim calibrate`: a real run on this machine (quick mode) writes a config that loads
and whose numbers are plausible; the knee finder on a synthetic sweep (closed form)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cimsim import load_architecture
from cimsim.calibrate import MiB, find_knee, sweep_sizes


def test_knee_of_a_two_plateau_sweep():
    # 100 GB/s up to 8 MiB, 10 GB/s beyond: the threshold is sqrt(100 x 10) = 31.6 GB/s,
    # so the knee is the last 100 GB/s point and the plateau is 100 GB/s
    sizes = [2 ** k * MiB for k in range(0, 7)]  # 1 .. 64 MiB
    sweep = [(s, 100e9 if s <= 8 * MiB else 10e9) for s in sizes]
    knee, bw = find_knee(sweep, inner_bytes=0.5 * MiB, dram_bps=10e9)
    assert knee == 8 * MiB
    assert bw == 100e9


def test_knee_ignores_the_private_caches():
    # faster points at or below the private caches (inner_bytes) do not count
    sweep = [(MiB, 500e9), (2 * MiB, 50e9), (4 * MiB, 50e9), (8 * MiB, 5e9)]
    knee, bw = find_knee(sweep, inner_bytes=MiB, dram_bps=5e9)
    assert (knee, bw) == (4 * MiB, 50e9)


def test_sweep_sizes_are_half_octaves_on_4k_pages():
    s = sweep_sizes(256 * 1024, 1 * MiB, per_octave=2)
    # 256 KiB x 2^(k/2) = 64, 90.51, 128, 181.02, 256 pages of 4 KiB, rounded
    assert s == [64 * 4096, 91 * 4096, 128 * 4096, 181 * 4096, 256 * 4096]


@pytest.mark.slow
def test_calibrate_writes_a_plausible_config(tmp_path):
    out = tmp_path / "host.yaml"
    p = subprocess.run([sys.executable, "-m", "cimsim.cli", "calibrate", "--quick", "-o", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    text = out.read_text()
    assert "# Calibrated to this host by `cimsim calibrate" in text
    arch = load_architecture(out)
    assert list(arch.memory) == ["llc", "dram"]
    dram, llc = arch.memory["dram"], arch.memory["llc"]
    assert 1e9 < dram.bandwidth < 1e12  # B/s
    assert dram.bandwidth < llc.bandwidth < 1e13
    assert 256 * 1024 <= llc.capacity <= 4 * 2 ** 30
    proc = arch.components["processor"]
    assert 1e8 < proc.clock < 1e10
    assert proc.cores >= 1
    # loose: other jobs share the test machine
    assert 1e7 < proc.peak_macs_per_s("fp32") < 1e14  # MAC/s
    assert 1e-8 < proc.op_overhead < 1e-3  # s
    assert [e.max_rows for e in proc.mac_efficiency] == [8, 64, 256]
    assert all(0 < e.fraction <= 1 for e in proc.mac_efficiency)


def test_calibrate_without_output_is_a_one_line_usage_error():
    p = subprocess.run([sys.executable, "-m", "cimsim.cli", "calibrate"], capture_output=True, text=True)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_mac_efficiency_slows_matmuls_of_few_rows_by_its_fraction():
    """One matmul of 8 rows x 512 x 2048 (8,388,608 MACs) on a processor of peak
    1 core x 1 GHz x 64 MAC/cycle = 64 GMAC/s, with memory far faster than compute:
    at peak 131.072 us; with mac_efficiency {max_rows: 8, fraction: 0.5}: 262.144 us;
    an entry for max_rows 4 does not apply to 8 rows; 9 rows run at peak."""
    from cimsim import simulate
    from cimsim.config import architecture_from_dict
    from cimsim.workload.ir import Op, Tensor, Workload

    def one_matmul(rows):
        return Workload("mm", [Tensor("x", (rows, 512), "fp32", "input"),
                               Tensor("W", (512, 2048), "fp32", "weight"),
                               Tensor("y", (rows, 2048), "fp32", "activation")],
                        [Op("mm", "matmul", ("x", "W"), ("y",), m=rows, k=512, n=2048, weight="W")])

    def arch(eff):
        return architecture_from_dict({
            "name": "t", "memory": {"dram": {"capacity": "1 GB", "bandwidth": "1 PB/s",
                                             "energy_per_bit": "1 pJ/bit"}},
            "processor": {"name": "p", "cores": 1, "clock": "1 GHz",
                          "macs_per_cycle_per_core": {"fp32": 64}, "vector_ops_per_cycle_per_core": 1,
                          "energy_per_mac": {"fp32": "1 pJ"}, "energy_per_vector_op": "1 pJ",
                          "static_power": "0 W", "mac_efficiency": eff}})

    peak = 8 * 512 * 2048 / 64e9
    assert peak == pytest.approx(131.072e-6, rel=1e-12)
    t = simulate(arch([]), one_matmul(8)).latency_s
    assert t == pytest.approx(peak, rel=1e-3)  # memory (8.4 MB at 1 PB/s = 8 ns) overlaps
    half = [{"max_rows": 4, "fraction": 0.25}, {"max_rows": 8, "fraction": 0.5}]
    assert simulate(arch(half), one_matmul(8)).latency_s == pytest.approx(2 * peak, rel=1e-3)
    assert simulate(arch(half), one_matmul(4)).latency_s == pytest.approx(4 * peak / 2, rel=1e-3)
    assert simulate(arch(half), one_matmul(9)).latency_s == pytest.approx(9 / 8 * peak, rel=1e-3)


def test_calibrate_into_a_missing_directory_is_a_one_line_error(tmp_path):
    out = tmp_path / "no-such-dir" / "host.yaml"
    p = subprocess.run([sys.executable, "-m", "cimsim.cli", "calibrate", "--quick", "-o", str(out)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert "no-such-dir" in p.stderr
