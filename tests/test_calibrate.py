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


def test_calibrate_without_output_is_a_one_line_usage_error():
    p = subprocess.run([sys.executable, "-m", "cimsim.cli", "calibrate"], capture_output=True, text=True)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1
