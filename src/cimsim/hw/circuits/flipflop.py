"""Register (flip-flop) bit by its transistor structure: the energy of one clocked bit from the
capacitances its clock and its data switch.

A register design (:class:`RegisterDesign`, the config's ``technology.registers`` and
``chip.registers``) is either

- ``standard_cell``: Aladdin's 40 nm standard-cell register, 9 fJ per bit access (Shao, Reagen,
  Wei & Brooks, ISCA 2014, via hwcomponents-library ``aladdin.py``) (T), scaled by node and
  supply (:func:`.digital.register_bit_energy`) -- a library flip-flop with its layout, wider
  devices and characterisation overheads; the default; or
- ``structural``: the flip-flop's own switched capacitance at the node's feature size ``F``,
  for a design whose registers are transistor-level (e.g. a simulator that builds its DFF from
  sized transistors, NeuroSim), of the ``kind`` below.

``transmission_gate`` (the static transmission-gate master-slave flip-flop, Weste & Harris,
CMOS VLSI Design, 4th ed., sec. 10.3.2) (T): master and slave latches, each a clocked input
transmission gate (TG), an inverter and a feedback inverter through a clocked TG; an input
inverter before the master, an output inverter after the slave; the two clock phases made
locally by two inverters from the clock pin -- 24 transistors, 8 of them clocked. Every
device is minimum size, the unit inverter's ``nMOS 2 F, pMOS 4 F`` (Weste & Harris's 4:8
lambda inverter; NeuroSim V1.4 ``constant.h`` ``MIN_NMOS_SIZE 2`` F (P)), a TG one nMOS and one
pMOS of those widths. Each transistor terminal loads its node with its gate width (gate) or
its width (drain/source diffusion, the parasitic-to-gate ratio ``p = 1`` the package takes for
an inverter, :data:`.digital.DRIVER_PARASITIC`), at ``1 fF/um`` (Weste & Harris sec. 2.3.2)
(T). Widths in F, :data:`TG_CLOCK_NODES` and :data:`TG_DATA_NODES`:

- clock nets, each charged once per cycle whatever the data: the clock pin (the first clock
  inverter's gate, 6 F); ``clkb`` (that inverter's drain 6 F, the second inverter's gate
  6 F, four clocked gates 2 + 2 + 4 + 4 F) = 24 F; ``clk`` (the second inverter's drain
  6 F, the other four clocked gates 12 F) = 18 F -- together **48 F**;
- data nodes, each one transition when the stored bit changes: the D pin (input inverter's
  gate, 6 F); input inverter out (its drain 6 F + a TG side 6 F) 12 F; master store (two TG
  sides + an inverter gate) 18 F; master out (drain + feedback inverter gate + the slave TG
  side) 18 F; master feedback (drain + TG side) 12 F; slave store 18 F; slave out (drain +
  feedback and output inverter gates) 18 F; slave feedback 12 F; Q (output inverter's drain)
  6 F -- together **120 F**.

Energy per clocked bit, a node charged from the supply on each 0 -> 1 transition: ``E = C_g F
(W_clock + a W_data / 2) V^2`` with ``a`` the probability the stored bit changes in a cycle
(``data_activity``; half of the changes are rises): ``(48 + 60 a) F x 1 fF/um x V^2`` --
1.39 fJ at 22 nm, 0.9 V, a = 0.5; 3.24 fJ at 65 nm, 0.8 V. Not counted (stated, a floor):
the clock tree above the pin, short-circuit current, the output's load (the next gate's),
leakage. Area and delay are the standard cell's in both designs (this module models energy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import scaling

DESIGNS = ("standard_cell", "structural")
KINDS = ("transmission_gate",)

#: device widths in F: a minimum nMOS and pMOS (the unit inverter; Weste & Harris) (T)
NMOS_F, PMOS_F = 2.0, 4.0
INVERTER_F = NMOS_F + PMOS_F  # an inverter's gate (or drain) width on a node
TG_SIDE_F = NMOS_F + PMOS_F   # one side of a transmission gate's diffusions
#: gate capacitance per metre of width, 1 fF/um (Weste & Harris 4th ed. 2.3.2) (T); drain
#: capacitance per metre the same (p = 1)
CAP_F_PER_M = 1e-15 / 1e-6

#: clock nets of the TG master-slave flip-flop: (name, width in F)
TG_CLOCK_NODES = (
    ("clock pin", INVERTER_F),
    ("clkb", INVERTER_F + INVERTER_F + 2 * NMOS_F + 2 * PMOS_F),
    ("clk", INVERTER_F + 2 * NMOS_F + 2 * PMOS_F),
)
#: data nodes of the TG master-slave flip-flop: (name, width in F)
TG_DATA_NODES = (
    ("D pin", INVERTER_F),
    ("input inverter out", INVERTER_F + TG_SIDE_F),
    ("master store", 2 * TG_SIDE_F + INVERTER_F),
    ("master out", INVERTER_F + INVERTER_F + TG_SIDE_F),
    ("master feedback", INVERTER_F + TG_SIDE_F),
    ("slave store", 2 * TG_SIDE_F + INVERTER_F),
    ("slave out", INVERTER_F + 2 * INVERTER_F),
    ("slave feedback", INVERTER_F + TG_SIDE_F),
    ("Q", INVERTER_F),
)
#: clocked transistors of the TG flip-flop (4 TGs) and its transistor count (T)
TG_CLOCKED_DEVICES = 8
TG_TRANSISTORS = 24

STRUCTURES = {"transmission_gate": (TG_CLOCK_NODES, TG_DATA_NODES)}
SOURCE = {"transmission_gate": "static TG master-slave flip-flop (Weste & Harris 4th ed. 10.3.2), "
                               "minimum devices, 1 fF/um (T): (48 + 60 a) F C_g V^2"}


@dataclass(frozen=True)
class RegisterDesign:
    """How the package's registers are built: ``design`` (``standard_cell`` or
    ``structural``), the structural ``kind``, and ``data_activity``, the probability that a
    stored bit changes in a clock cycle (structural only)."""

    design: str = "standard_cell"
    kind: str = "transmission_gate"
    data_activity: float = 0.5

    def __post_init__(self):
        if self.design not in DESIGNS:
            raise ValueError(f"register design {self.design!r} is not allowed; allowed: "
                             f"{', '.join(DESIGNS)}")
        if self.kind not in KINDS:
            raise ValueError(f"register kind {self.kind!r} is not allowed; allowed: "
                             f"{', '.join(KINDS)}")
        if not 0.0 <= float(self.data_activity) <= 1.0:
            raise ValueError(f"register data_activity {self.data_activity} must be within 0..1")

    @property
    def structural(self) -> bool:
        return self.design == "structural"


STANDARD_CELL = RegisterDesign()


def switched_width_f(kind: str = "transmission_gate", data_activity=0.5):
    """Width (F) switched per clocked bit, counted once per 0 -> 1 transition: the clock nets
    every cycle and the data nodes on half of the stored bit's changes,
    ``W_clock + a W_data / 2``."""
    if kind not in STRUCTURES:
        raise ValueError(f"register kind {kind!r} is not allowed; allowed: {', '.join(KINDS)}")
    a = np.asarray(data_activity, dtype=float)
    if np.any(a < 0) or np.any(a > 1):
        raise ValueError(f"data_activity {data_activity} must be within 0..1")
    clock, data = STRUCTURES[kind]
    return sum(w for _, w in clock) + a * sum(w for _, w in data) / 2.0


def bit_energy(node_nm: float, vdd=None, kind: str = "transmission_gate", data_activity=0.5):
    """Energy (J) of one clocked bit of a structural flip-flop: ``switched_width_f x F x
    1 fF/um x V^2`` (``vdd`` default the node's nominal supply)."""
    scaling._check_node(node_nm)
    v = scaling.supply(node_nm, vdd)
    if np.any(v <= 0):
        raise ValueError(f"supply {vdd} V must be > 0")
    width_m = switched_width_f(kind, data_activity) * node_nm * 1e-9
    return width_m * CAP_F_PER_M * v * v
