"""The ``cim-published`` suite: published CIM chip and macro figures reproduced from each
design's own parameters (``cimsim/data/validation/isaac.yaml``, ``chih-sram-macro.yaml``).

Each design is evaluated at peak: one matrix fills every array (no replication), 16 input
rows stream through it, and the figures come from cimsim's CIM model of that op:

- throughput = 2 x MACs / the op's compute time (ops/s; one MAC = 2 ops, as the papers count);
- power = the CIM energy parts of the op (ADC, DAC, cell reads, digital) / its compute time
  + the component's static power;
- area = the component's declared area; efficiencies = throughput / power, / area.
"""

from __future__ import annotations

import math
from pathlib import Path

from . import Case, suite

VALIDATION = Path(__file__).resolve().parent.parent / "data" / "validation"


def _fill(arch, rows: int = 16):
    """A GEMM whose k x n weight occupies every array exactly (row tiles x column tiles)."""
    from ..workload import Op, Tensor, Workload

    cim = arch.component("cim").config
    per_array_n = cim.cols * cim.bits_per_cell // cim.weight_bits
    rt = max(d for d in range(1, int(math.isqrt(cim.arrays)) + 1) if cim.arrays % d == 0)
    ct = cim.arrays // rt
    k, n = cim.rows * rt, per_array_n * ct
    return Workload("fill", [Tensor("x", (rows, k), "int8", "input"), Tensor("W", (k, n), "int8", "weight"),
                             Tensor("y", (rows, n), "int8", "activation")],
                    [Op("mm", "matmul", ("x", "W"), ("y",), m=rows, k=k, n=n, weight="W")])


def peak_figures(arch) -> dict[str, float]:
    """Throughput (ops/s), power (W), area (m^2) of ``arch``'s CIM component at peak."""
    from ..simulate import simulate

    wl = _fill(arch)
    r = simulate(arch, wl)
    t = float(r.op_table["compute_s"].iloc[0])
    dynamic = sum(v for k, v in r.energy_breakdown_j.items() if k.startswith("cim_"))
    cim = arch.component("cim")
    ops_s = 2.0 * wl.macs / t
    power = dynamic / t + cim.static_power_w
    area = sum(cim.area_m2().values())
    return {"ops_s": ops_s, "power_w": power, "area_m2": area}


def _load(name: str, **overrides):
    from ..config import load_architecture

    return load_architecture(VALIDATION / name, overrides or None)


@suite("cim-published", "ISAAC chip totals and an SRAM CIM macro's TOPS/W, TOPS/mm2, from their own parameters")
def cim_published() -> list[Case]:
    out = []
    isaac = peak_figures(_load("isaac.yaml"))
    src = "ISAAC, ISCA 2016 (corrected Oct 2016), Table I"
    out.append(Case("cim-published", "ISAAC-CE chip power at peak", "W", 65.8, isaac["power_w"], src))
    out.append(Case("cim-published", "ISAAC-CE chip area", "mm^2", 85.4, isaac["area_m2"] * 1e6, src))
    src4 = "ISAAC, ISCA 2016 (corrected Oct 2016), Table IV (16-bit ops, HyperTransport included)"
    out.append(Case("cim-published", "ISAAC-CE power efficiency (PE)", "GOPS/W", 627.5,
                    isaac["ops_s"] / isaac["power_w"] / 1e9, src4))
    out.append(Case("cim-published", "ISAAC-CE computational efficiency (CE)", "GOPS/s/mm^2", 478.95,
                    isaac["ops_s"] / (isaac["area_m2"] * 1e6) / 1e9, src4))
    chih4 = peak_figures(_load("chih-sram-macro.yaml"))
    title = "Chih et al., ISSCC 2021 16.4, title (4b x 4b)"
    out.append(Case("cim-published", "22 nm SRAM macro TOPS/W, 4b x 4b", "TOPS/W", 89.0,
                    chih4["ops_s"] / chih4["power_w"] / 1e12, title))
    out.append(Case("cim-published", "22 nm SRAM macro TOPS/mm^2, 4b x 4b", "TOPS/mm^2", 16.3,
                    chih4["ops_s"] / (chih4["area_m2"] * 1e6) / 1e12, title))
    chih8 = peak_figures(_load("chih-sram-macro.yaml", **{"cim.weight_bits": 8, "cim.input_bits": 8}))
    survey = "Chih et al., ISSCC 2021 16.4, INT8 figures in KU Leuven carbonspot expr.py @ 0839b49"
    out.append(Case("cim-published", "22 nm SRAM macro TOPS/W, 8b x 8b (predicted from 4b)", "TOPS/W", 24.7,
                    chih8["ops_s"] / chih8["power_w"] / 1e12, survey))
    out.append(Case("cim-published", "22 nm SRAM macro TOPS, 8b x 8b (predicted from 4b)", "TOPS", 0.917,
                    chih8["ops_s"] / 1e12, survey))
    return out
