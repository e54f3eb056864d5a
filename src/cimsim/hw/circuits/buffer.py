"""On-chip buffers (SRAM, register file, eDRAM): energy per access, latency and area.

Energy, a CACTI-like closed form anchored on published values:

- SRAM: Horowitz, "Computing's energy problem", ISSCC 2014 (T): a 64-bit read costs 10 pJ
  from 8 KB, 20 pJ from 32 KB and 100 pJ from 1 MB at 45 nm (0.9 V). A power law through
  the three points (least squares in log-log, computed here) gives ``E = E_8K (capacity /
  8 KB)^beta`` with ``beta = 0.47`` -- the square-root growth of bitline and wordline length
  with capacity that CACTI's organisation implies. Energy is proportional to the access
  width (64 bits in the anchor) and moves to other nodes and supplies by
  :func:`.scaling.energy_factor`.
- register file: an array of flip-flops, so one access of ``width`` bits is ``width`` register
  bits (:func:`.digital.register_bit_energy`, Aladdin's 40 nm standard-cell register, 9 fJ per
  bit (T), scaled; or a structural flip-flop, :mod:`.flipflop`); its area ``capacity x 8`` register bits (5.98 um^2 per bit at 40 nm (T)).
  The address decoder and the read multiplexer are not counted (stated): a floor.
- eDRAM: ISAAC's 64 KB eDRAM, 256-bit access 20.45 pJ at 32 nm (ISCA 2016, as encoded in
  Accelergy's hwcomponents-library ``isaac.py``) (P), with the same capacity exponent.

Area: capacity bits x cell area / array efficiency (0.7, (U): decoders, sense amplifiers and
I/O of a small macro may take more). Cells:

- SRAM: a per-node table of published high-density 6T cells, :data:`SRAM_CELL_UM2` (T):
  Intel 90 nm 1.0 um^2 (Thompson et al., IEDM 2002), 65 nm 0.57 (Bai et al., IEDM 2004),
  45 nm 0.346 (Mistry et al., IEDM 2007), 32 nm 0.171 (Natarajan et al., IEDM 2008), 22 nm
  0.092 (Auth et al., VLSI 2012), TSMC 16 nm 0.070 (Wu et al., IEDM 2013), Intel 14 nm 0.0588
  (Natarajan et al., IEDM 2014), Samsung 10 nm 0.040 (Song et al., ISSCC 2016), TSMC 7 nm
  0.027 (Chang et al., ISSCC 2017). Between tabulated nodes the cell is interpolated
  log-linearly (log area against log node, as :mod:`.scaling` does); above 90 nm (to 180 nm)
  it keeps the 90 nm cell's 123.5 F^2 (D) -- the cell scaled nearly as F^2 to 65 nm (135 F^2)
  and ever more slowly below (171 F^2 at 45 nm, 190 at 22 nm, 551 at 7 nm).
- eDRAM: the SRAM cell of the node x 0.029 / 0.092 (D), the ratio of Intel's 22 nm eDRAM cell
  (0.029 um^2, Hamzaoglu et al., ISSCC 2014) to its 22 nm high-density SRAM cell (0.092 um^2,
  above), both of one process (T): 0.0539 um^2 at 32 nm. IBM's 22 nm SOI eDRAM cell,
  0.026 um^2 (Pei et al., IEDM 2014), is within 12 % of it. A 64 KB eDRAM at 32 nm derives
  0.0404 mm^2, 0.49x ISAAC's 0.083 mm^2 (Table I, ISCA 2016) and 0.47x PUMA's 0.086 mm^2
  (CACTI macros with their periphery; the array efficiency is the (U) part).
- register file: its flip-flops (above).

Latency (U): ``(8 + 2 log2(words)) FO4`` (decoder depth plus wordline/bitline and sense),
a placeholder until a sourced CACTI fit replaces it.
"""

from __future__ import annotations

import math

import numpy as np

from . import digital, scaling
from .record import PartEstimate, provenance

BUFFER_KINDS = ("sram", "register_file", "edram")

#: Horowitz 2014, 45 nm: (capacity bytes, energy of a 64-bit read J), (T)
HOROWITZ_SRAM_64BIT = ((8 * 1024, 10e-12), (32 * 1024, 20e-12), (1024 * 1024, 100e-12))
HOROWITZ_NODE_NM, HOROWITZ_VDD = 45, 0.9
#: ISAAC eDRAM: 64 KB, 256-bit access, 20.45 pJ at 32 nm (P)
ISAAC_EDRAM = (64 * 1024, 256, 20.45e-12, 32)

#: published high-density 6T SRAM cells, node nm -> um^2 (T); sources in the module docstring
SRAM_CELL_UM2 = {90: 1.0, 65: 0.57, 45: 0.346, 32: 0.171, 22: 0.092, 16: 0.070, 14: 0.0588,
                 10: 0.040, 7: 0.027}
#: eDRAM cell / SRAM cell: Intel 22 nm eDRAM 0.029 um^2 (Hamzaoglu et al., ISSCC 2014) over
#: Intel 22 nm HD SRAM 0.092 um^2 (Auth et al., VLSI 2012) (T) (D)
EDRAM_TO_SRAM_CELL = 0.029 / 0.092
ARRAY_EFFICIENCY = 0.7  # (U)
LATENCY_FO4_BASE, LATENCY_FO4_PER_LOG2_WORD = 8, 2  # (U)


def _fit():
    x = np.log([c for c, _ in HOROWITZ_SRAM_64BIT])
    y = np.log([e for _, e in HOROWITZ_SRAM_64BIT])
    beta, ln_e0 = np.polyfit(x - math.log(8 * 1024), y, 1)
    return float(beta), float(math.exp(ln_e0))


#: capacity exponent and the fitted 64-bit read energy of an 8 KB SRAM at 45 nm (D)
CAPACITY_EXPONENT, SRAM_8K_64BIT_J = _fit()


def sram_cell_area_m2(node_nm: float) -> float:
    """A high-density 6T SRAM cell at ``node_nm`` (m^2): :data:`SRAM_CELL_UM2` at a tabulated
    node, log-linear between two, the 90 nm cell's F^2 above 90 nm."""
    n = scaling._check_node(node_nm)
    nodes = sorted(SRAM_CELL_UM2)
    if n >= nodes[-1]:
        um2 = SRAM_CELL_UM2[nodes[-1]] * (n / nodes[-1]) ** 2
    else:
        um2 = float(np.exp(np.interp(math.log(n), np.log(nodes),
                                     np.log([SRAM_CELL_UM2[k] for k in nodes]))))
    return um2 * 1e-12


def cell_area_m2(kind: str, node_nm: float) -> float:
    """One bit cell of an ``sram`` or ``edram`` buffer at ``node_nm`` (m^2)."""
    cell = sram_cell_area_m2(node_nm)
    return cell * EDRAM_TO_SRAM_CELL if kind == "edram" else cell


def buffer(kind: str, capacity_bytes, width_bits, node_nm: float, vdd=None,
           register_design=None) -> PartEstimate:
    """One access of ``width_bits`` to a ``capacity_bytes`` buffer of ``kind`` (a register
    file's bits of ``register_design``; None: the standard cell)."""
    if kind not in BUFFER_KINDS:
        raise ValueError(f"buffer kind {kind!r} is not allowed; allowed: {', '.join(BUFFER_KINDS)}")
    cap = np.asarray(capacity_bytes, dtype=float)
    w = np.asarray(width_bits, dtype=float)
    if np.any(cap <= 0) or np.any(w < 1) or np.any(w > cap * 8):
        raise ValueError(f"buffer of {capacity_bytes} B with {width_bits}-bit accesses: "
                         "capacity must be > 0 and the width within 1 bit..capacity")
    if kind == "edram":
        c0, w0, e0, n0 = ISAAC_EDRAM
        energy = (e0 * (cap / c0) ** CAPACITY_EXPONENT * (w / w0)
                  * scaling.energy_factor(n0, node_nm, None, vdd))
        src = "ISAAC eDRAM 64 KB/256 b 20.45 pJ at 32 nm; capacity^beta (Horowitz fit)"
    elif kind == "register_file":
        energy = w * digital.register_bit_energy(node_nm, vdd, register_design)
        src = (digital.register_source(register_design) + ": width x register bit (decoder "
               "and read mux not counted), "
               "area capacity x register bit")
    else:
        energy = (SRAM_8K_64BIT_J * (cap / (8 * 1024)) ** CAPACITY_EXPONENT * (w / 64)
                  * scaling.energy_factor(HOROWITZ_NODE_NM, node_nm, HOROWITZ_VDD, vdd))
        src = "Horowitz ISSCC 2014 SRAM reads (8 KB, 32 KB, 1 MB at 45 nm), power-law fit"
        if np.any(cap < 8 * 1024):
            src += "; extrapolated below 8 KB"
    words = np.maximum(1.0, cap * 8 / w)
    latency = ((LATENCY_FO4_BASE + LATENCY_FO4_PER_LOG2_WORD * np.log2(words))
               * scaling.fo4_delay(node_nm, vdd))
    if kind == "register_file":
        area = cap * 8 * digital.register_bit_area(node_nm)
    else:
        area = cap * 8 * cell_area_m2(kind, node_nm) / ARRAY_EFFICIENCY
    return PartEstimate(
        energy_j=energy, delay_s=latency, area_m2=area,
        source=src + "; node/voltage by Stillmaker & Baas and C V^2; latency (U)"
               + ("" if kind == "register_file" else
                  "; area: published cells by node (T), array efficiency (U)"),
        field_provenance=provenance(delay_s=True, area_m2=kind != "register_file"),
    )
