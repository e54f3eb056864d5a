"""The wafer example (find-C1 1): examples/wafer-splitk.yaml runs a K = N = 2048 fp16 GEMV split
over K, 64 a core, and its time and fabric bytes equal the hand arithmetic in the README
("Spatial mapping: split K over a fabric"):

- tiles 2048 columns x ceil(2048 / 64) = 32 parts = 65,536 cores (of 850,000: one wave), each
  64 MACs at 4 a cycle = 16 cycles / 1.1 GHz = 14.545 ns;
- mesh: 32 parts on a 6 x 6 rectangle, 5 + 5 = 10 hops x 1 ns = 10 ns; SRAM access latency 1 ns;
- fabric bytes (32 - 1) x 2048 x 2 B = 126,976 B, x 8 x 0.1 pJ/bit = 101.58 nJ.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cimsim import load_architecture, simulate
from conftest import gemv_workload

CONFIG = Path(__file__).resolve().parents[2] / "examples" / "wafer-splitk.yaml"


def test_wafer_gemv_is_compute_plus_mesh_reduction():
    r = simulate(load_architecture(CONFIG), gemv_workload(2048, 2048, dtype="fp16"))
    assert r.latency_s == pytest.approx(1e-9 + 16 / 1.1e9 + 10e-9, rel=1e-9, abs=0)
    assert r.traffic_bytes["fabric"] == pytest.approx(31 * 2048 * 2, rel=1e-12, abs=0)
    assert r.energy_breakdown_j["fabric"] == pytest.approx(31 * 2048 * 2 * 8 * 0.1e-12, rel=1e-9, abs=0)
