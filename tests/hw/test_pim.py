"""Processing in memory (hw/pim.py): bandwidth- and compute-bound GEMV, the max_rows limit
that sends a GEMM back to the processor, and its config defaults.

Golden values are arithmetic on the round-number fixtures of conftest.py (2 DRAM channels,
DRAM 10 GB/s + 100 ns, processor 1 W static), written out here, never copied from the code's
output.
"""

from __future__ import annotations

import pytest

from cimsim import simulate
from cimsim.mapping.placement import place

from conftest import gemv_workload, make_arch

pJ = 1e-12


# --------------------------------------------------------------------------- PIM goldens
def _pim_arch(per_unit_bw: str, macs_per_cycle: float = 2, max_rows: int = 1):
    # 2 channels (ROUND_ARCH) x 4 units x 2 MAC/cycle x 1 GHz = 16 GMAC/s
    return make_arch(name="round-pim", pim={
        "units_per_channel": 4, "clock": "1 GHz", "macs_per_cycle": macs_per_cycle,
        "internal_bandwidth": per_unit_bw, "energy_per_mac": "1 pJ", "energy_per_bit": "0.5 pJ/bit",
        "max_rows": max_rows, "static_power": "2 W",
    })


def test_pim_gemv_bandwidth_bound():
    arch = _pim_arch("2 GB/s")  # 8 units x 2 GB/s = 16 GB/s inside the banks
    w = gemv_workload(1024, 1024)
    pl = place(w, arch)
    assert pl.unit_names.tolist() == ["pim"]
    r = simulate(arch, w)
    weight_bytes = 4 * 1024 * 1024
    macs = 1024 * 1024
    compute = max(macs / 16e9, weight_bytes / 16e9)
    assert compute == weight_bytes / 16e9
    assert r.latency_s == pytest.approx(compute + 100e-9, rel=1e-12)
    assert r.traffic_bytes["dram"] == 2 * 4096  # input and output vectors over the external bus
    assert r.energy_breakdown_j["pim_compute"] == pytest.approx(macs * 1 * pJ + weight_bytes * 8 * 0.5 * pJ,
                                                        rel=1e-12)
    assert r.energy_breakdown_j["dram"] == pytest.approx(2 * 4096 * 8 * 10 * pJ, rel=1e-12)
    assert r.energy_breakdown_j["static"] == pytest.approx((1 + 2) * r.latency_s, rel=1e-12)
    assert r.utilization["pim_mac"] == pytest.approx(macs / 16e9 / r.latency_s, rel=1e-12)


def test_pim_gemv_compute_bound():
    arch = _pim_arch("1 TB/s", macs_per_cycle=0.5)  # 2 x 4 x 0.5 x 1 GHz = 4 GMAC/s
    w = gemv_workload(1024, 1024)
    r = simulate(arch, w)
    macs = 1024 * 1024
    assert r.latency_s == pytest.approx(macs / 4e9 + 100e-9, rel=1e-12)


def test_gemm_above_pim_max_rows_goes_to_processor():
    arch = _pim_arch("2 GB/s", max_rows=1)
    pl = place(gemv_workload(1024, 1024, rows=2), arch)
    assert pl.unit_names.tolist() == ["processor"]
    pl = place(gemv_workload(1024, 1024, rows=2), _pim_arch("2 GB/s", max_rows=2))
    assert pl.unit_names.tolist() == ["pim"]


# --------------------------------------------------------------------------- config defaults
def test_pim_static_power_may_be_omitted():
    # regression: a bare 0.0 default was rejected by its own unit validator
    arch = make_arch(name="pim-no-static", pim={
        "units_per_channel": 4, "clock": "1 GHz", "macs_per_cycle": 2,
        "internal_bandwidth": "2 GB/s", "energy_per_mac": "1 pJ", "energy_per_bit": "0.5 pJ/bit"})
    assert arch.components["pim"].static_power == 0.0
    assert arch.components["pim"].max_rows == 1
