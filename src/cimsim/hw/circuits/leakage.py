"""Static (leakage) power of CIM arrays, their periphery and their buffer, from the node, the
supply and the transistors' off current.

Off current per metre of gate width, at 300 K: the PTM model cards' values as NeuroSim V1.4
transcribes them (``Inference_pytorch/NeuroSIM/Technology.cpp`` @ ac828e6, ``currentOffNmos[0]`` /
``currentOffPmos[0]`` in uA/um = A/m) (T):

- ``lstp`` (low standby power, PTM ``*_LP.pm``; NeuroSim's default roadmap, ``Param.cpp``
  ``deviceroadmap = 2``): 100 pA/um for nMOS and pMOS at every node 130-22 nm (within 0.3 %);
  at 14 / 10 / 7 nm nMOS 100 / 127 / 147 pA/um, pMOS 102.3 / 100.6 / 101.0 pA/um;
- ``hp`` (high performance, PTM ``*_HP.pm``): 100 nA/um at 130-22 nm (NeuroSim has no HP
  card below 22 nm: an error there).

Node rule: between the table's nodes, log-linear in the node; above 130 nm the 130 nm value (the
PTM cards target the same off current at every planar node). Supply rule: a leaking device
draws ``I_off x V``; ``I_off`` itself is the card's at its nominal supply and is **not** scaled
with the supply (drain-induced barrier lowering is not modelled: below the nominal supply this
overstates the leakage, above it understates it).

Parts:

- SRAM bit (:func:`sram_bit_w`): a 6T cell holding either value, bitlines precharged to the
  supply, has three devices off: one pull-down nMOS (2 F wide), one pull-up pMOS (1 F) and the
  access nMOS on the side storing 0 (1 F) -- widths of NeuroSim V1.4 ``Param.cpp``
  (``widthSRAMCellNMOS = 2``, ``widthSRAMCellPMOS = 1``, ``widthAccessCMOS = 1``) (P). An 8T
  cell adds its read port's access nMOS (1 F, read wordline low); charge-domain and digital SRAM
  cells count their 6T storage core only (their compute devices are stated as not counted);
- resistive cells (RRAM 1T1R, FeFET, PCM): non-volatile, held with the wordlines low and the
  bit and source lines at the same potential: no current flows through a cell or its access
  transistor, 0 W;
- periphery (:func:`periphery_w`, ADCs, shift-and-add and registers, a non-SRAM buffer): laid
  out at the 6T cell's transistor density, 8 F of gate width per 10 x 28 F^2 (NeuroSim's cell),
  half of it off (a static CMOS gate holds one of its two networks off; the 6T cell's 4 of 8 F)
  (stated rule), each metre off drawing the mean of the nMOS and pMOS off currents. A derived
  area is counted in devices at :data:`COUNT_NODE_NM` (the same design there), each device then
  F wide at the run's node: the same circuit's off width goes as F, its leakage falls with the
  node (22 -> 7 nm x 7/22 x I_off x V); capped at the devices the run node's own area holds at
  the density (an area law that shrinks slower than F^2, the ADC fit ~ node^0.8, would
  otherwise give a large node more devices than its silicon holds: the cap binds above 22 nm,
  where the count is the run node's area, as before the count rule); a given area is counted
  at the run's node.

Power gating is not modelled: every array, its periphery and the buffer leak for the whole run
(an SRAM array holding stationary weights cannot be gated without losing them).
"""

from __future__ import annotations

import math

from . import scaling

SOURCE = ("off current: PTM LP/HP cards at 300 K via NeuroSim V1.4 Technology.cpp (T); 6T "
          "widths NeuroSim V1.4 Param.cpp (P); I_off x V, no DIBL scaling (stated)")

#: devices flavours and their off currents (A/m of gate width): node -> (nMOS, pMOS)
OFF_CURRENT_A_PER_M = {
    "lstp": {130: (100.2e-6, 100.2e-6), 90: (100.0e-6, 100.3e-6), 65: (100.2e-6, 100.2e-6),
             45: (100.0e-6, 100.2e-6), 32: (100.1e-6, 100.1e-6), 22: (100.0e-6, 100.0e-6),
             14: (100.0e-6, 102.3333e-6), 10: (127.0e-6, 100.5839e-6),
             7: (147.0e-6, 100.9536e-6)},
    "hp": {130: (100.0e-3, 100.2e-3), 90: (100.8e-3, 100.0e-3), 65: (100.0e-3, 100.1e-3),
           45: (100.0e-3, 100.2e-3), 32: (100.3e-3, 100.1e-3), 22: (100.2e-3, 100.2e-3)},
}
DEVICES = tuple(OFF_CURRENT_A_PER_M)

#: 6T cell transistor widths in F (NeuroSim V1.4 Param.cpp) (P)
PULL_DOWN_F, PULL_UP_F, ACCESS_F = 2.0, 1.0, 1.0
#: off gate width of one stored bit: (nMOS F, pMOS F) by cell type; resistive cells: none
OFF_WIDTH_F = {
    "sram_6t": (PULL_DOWN_F + ACCESS_F, PULL_UP_F),
    "sram_8t": (PULL_DOWN_F + ACCESS_F + ACCESS_F, PULL_UP_F),  # + read-port access nMOS
    "sram_charge": (PULL_DOWN_F + ACCESS_F, PULL_UP_F),  # 6T storage core only
    "sram_digital": (PULL_DOWN_F + ACCESS_F, PULL_UP_F),  # 6T storage core only
    "sram_dcim": (PULL_DOWN_F + ACCESS_F, PULL_UP_F),  # 6T storage core only
    "rram_1t1r": (0.0, 0.0), "fefet": (0.0, 0.0), "pcm": (0.0, 0.0),
}
#: periphery density: the 6T cell's gate width (2 x (2 + 1 + 1) F) over its area (10 x 28 F^2),
#: and the share of it off (4 of 8 F) (stated rule)
PERIPHERY_WIDTH_F_PER_F2 = 2 * (PULL_DOWN_F + PULL_UP_F + ACCESS_F) / (10 * 28)
PERIPHERY_OFF_SHARE = 0.5
#: where a derived periphery area is counted in devices (:func:`periphery_w`'s ``area_node_nm``):
#: the node of the density rule's cell, NeuroSim's 10 x 28 F^2 6T (its default 22 nm) (D). An
#: area fit that does not scale as F^2 (the ADC regression ~ node^0.8) counted at the run's node
#: would give the same converter more devices at each shrink, and more leakage
COUNT_NODE_NM = 22


def off_current(node_nm: float, devices: str = "lstp") -> tuple[float, float]:
    """``(nMOS, pMOS)`` off current per metre of gate width (A/m) at the node, 300 K."""
    if devices not in OFF_CURRENT_A_PER_M:
        raise ValueError(f"leakage devices {devices!r} is not allowed; allowed: "
                         f"{', '.join(DEVICES)}")
    table = OFF_CURRENT_A_PER_M[devices]
    scaling._check_node(node_nm)
    nodes = sorted(table)
    if node_nm < nodes[0]:
        raise ValueError(f"{node_nm:g} nm has no {devices} off current (the PTM cards via "
                         f"NeuroSim reach {nodes[0]} nm; use lstp)")
    if node_nm >= nodes[-1]:
        return table[nodes[-1]]
    if node_nm in table:
        return table[node_nm]
    lo = max(n for n in nodes if n < node_nm)
    hi = min(n for n in nodes if n > node_nm)
    t = (math.log(node_nm) - math.log(lo)) / (math.log(hi) - math.log(lo))
    return tuple(math.exp((1 - t) * math.log(a) + t * math.log(b))
                 for a, b in zip(table[lo], table[hi]))


def _registered_off_width(cell: str) -> tuple[float, float]:
    """A registered (plug-in) preset's off gate width: none for a resistive cell (non-volatile,
    unbiased when idle), else the preset's ``off_width_f``."""
    from .array import preset

    try:
        p = preset(cell)
    except ValueError:
        p = None
    if p is not None and p.kind == "resistive":
        return 0.0, 0.0
    if p is None or p.off_width_f is None:
        raise ValueError(f"cell type {cell!r} has no leakage model; allowed: "
                         f"{', '.join(OFF_WIDTH_F)}, a resistive preset, or one stating "
                         "off_width_f")
    return p.off_width_f


def sram_bit_w(node_nm: float, vdd=None, devices: str = "lstp", cell: str = "sram_6t") -> float:
    """Leakage power (W) of one stored bit of cell type ``cell`` (0 for a resistive cell)."""
    wn, wp = OFF_WIDTH_F[cell] if cell in OFF_WIDTH_F else _registered_off_width(cell)
    i_n, i_p = off_current(node_nm, devices)
    f = node_nm * 1e-9
    return (wn * f * i_n + wp * f * i_p) * scaling.supply(node_nm, vdd)


def array_w(cell: str, rows: int, cols: int, node_nm: float, vdd=None,
            devices: str = "lstp") -> float:
    """Leakage power (W) of one ``rows x cols`` array of ``cell``: bits x per-bit leakage."""
    return rows * cols * sram_bit_w(node_nm, vdd, devices, cell)


def lowest_node(devices: str) -> float:
    """The smallest node (nm) with an off current of ``devices`` (hp: 22 nm, lstp: 7 nm)."""
    return float(min(OFF_CURRENT_A_PER_M[devices]))


def periphery_w(area_m2: float, node_nm: float, vdd=None, devices: str = "lstp",
                counted: tuple[float, float] | None = None) -> float:
    """Leakage power (W) at ``node_nm`` of CMOS periphery (ADCs, adders, registers) of area
    ``area_m2`` there: its gate width at the 6T cell's density (``area / F^2 x 8/280``), half of
    it off, each device ``F`` wide. ``counted``: ``(area m^2, node nm)`` of the same circuit where
    its devices are counted (:data:`COUNT_NODE_NM`); the device count is then the smaller of
    that node's (``area_c / F_c^2 x 8/280``) and the run node's own, so no circuit holds more
    devices than its silicon at the density rule."""
    if area_m2 < 0:
        raise ValueError(f"periphery area {area_m2} must be >= 0")
    f = node_nm * 1e-9
    squares = area_m2 / (f * f)  # F^2 squares the run node's area holds
    if counted is not None:
        a_c, n_c = counted
        if a_c < 0:
            raise ValueError(f"periphery area {a_c} at {n_c:g} nm must be >= 0")
        fc = scaling._check_node(n_c) * 1e-9
        squares = min(squares, a_c / (fc * fc))
    width_off = squares * PERIPHERY_WIDTH_F_PER_F2 * PERIPHERY_OFF_SHARE * f
    i_n, i_p = off_current(node_nm, devices)
    return width_off * 0.5 * (i_n + i_p) * scaling.supply(node_nm, vdd)
