"""The edge-SoC example config (find-B 4): examples/edge-soc.yaml, an Orin-class host (3 W
static, LPDDR5) with 256 digital SRAM CIM macros, loads and runs a merged two-model frame; its
static power, macro area and power at 10 Hz equal closed forms from the config's numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from cimsim import load_architecture, simulate
from cimsim.workload.merge import merge_workloads
from conftest import gemv_workload

CONFIG = Path(__file__).resolve().parents[2] / "examples" / "edge-soc.yaml"
STATIC_W = 3.0 + 0.221            # host 3 W (U) + 256 macros x 0.864 mW (221 mW, U)
AREA_M2 = 256 * 0.202e-6          # 256 macros of 0.202 mm^2


def test_edge_soc_runs_a_frame_at_a_few_watts():
    arch = load_architecture(CONFIG)
    frame = merge_workloads({"perc": gemv_workload(256, 256, dtype="int8"),
                             "plan": gemv_workload(256, 64, dtype="int8")}, chain=True)
    r = simulate(arch, frame)
    assert r.static_power_w == pytest.approx(STATIC_W, rel=1e-12, abs=0)
    assert r.area_breakdown_m2["cim_arrays"] == pytest.approx(AREA_M2, rel=1e-12, abs=0)
    assert r.ops_per_unit.get("cim") == 2  # both matmuls on the macros
    at = r.at_load(period_s=0.1)
    dynamic = r.energy_j - r.energy_breakdown_j["static"]
    # P = P_static + 10 Hz x E_dynamic: a few watts, not a datacenter host's 40 W
    assert at.period_average_power_w == pytest.approx(STATIC_W + 10 * dynamic, rel=1e-9, abs=0)
    assert r.models["plan"]["latency_s"] == pytest.approx(r.latency_s, rel=1e-12, abs=0)
