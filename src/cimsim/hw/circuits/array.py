"""A CIM array read: row drive, cell currents and column (bitline) energy, read delay and area.

Geometry: a cell is ``height_f x width_f`` feature sizes (F = the node); a row (wordline)
spans ``cols`` cell widths, a column (bitline) ``rows`` cell heights. Wire capacitance is
0.2 fF/um (the usual figure for minimum-pitch on-chip wires, Weste & Harris, CMOS VLSI
Design, 4th ed., ch. 6) (T). A row also carries the gates its cells put on it
(``Cell.row_gate_units``, in 6 F unit-inverter loads: SRAM access transistors, a digital
cell's multiplier input); the bitlines' drain junctions are not added (stated, not hidden).

One read applies one input slice to ``rows_active`` rows (a partial parallel read when fewer
than ``rows``), each driven with probability ``input_ones`` (the fraction of ones of the
slice's bit-plane; default 0.5), and reads every column. ``weight_ones`` is the fraction of
cells in the on (low-resistance / '1') state; for multi-level cells, the mean normalised
conductance (0 = all off, 1 = all on).

Resistive cells (``rram_1t1r``, ``fefet``, ``pcm``, ``stt_mram``): per driven row and column
the cell conducts ``V_read^2 G t_pulse`` with ``G = G_off + weight_ones (G_on - G_off)``, ``G_on =
1/R_on``, ``G_off = G_on / on_off``; each driven row charges its wordline, ``C_row
V_read^2``; each column charges by the sense swing, ``C_col V_read dV_sense``. Delay: the
read pulse.

SRAM cells (``sram_6t``, ``sram_8t``): each driven row's wordline swings the supply,
``C_row V^2``, its capacitance the wire and each cell's access-transistor gates on it
(``row_gate_units``: a 6T cell's two pass gates, an 8T cell's one read-access gate on the read
wordline, each 1 F wide, NeuroSim V1.4's ``widthAccessCMOS`` (P), at 1 fF/um of gate
width; at FinFET nodes a fin is wider than 1 F, so there it is a floor); each on cell of a
driven row discharges its bitline by ``I_read t_pulse / C_col``; the bitline swing
``dV = min(V, n_on I_read t_pulse / C_col)`` is restored from the supply, ``C_col V dV``.
The pulse defaults to the time one cell needs for the sense swing, ``C_col dV_sense /
I_read``. The array's wordline term is the load alone; its driver chain is the input
driver's (:func:`.digital.driven_capacitance`).

Charge-domain SRAM cells (``sram_charge``, kind ``capacitive``; e.g. Jia et al., JSSC 2020):
each cell computes its 1-bit product (input AND weight) locally and drives its own unit
capacitor ``C_u`` from 0 to the supply when the product is 1; the column's capacitors then
share charge (the analog sum the ADC reads) and are reset. Energy drawn from the supply per
read: ``rows_active x cols x input_ones x weight_ones x C_u V^2`` (the switching energy
``C V^2`` of a capacitor charged from 0; the reset returns nothing), plus the wordlines as for
SRAM. The compute line's own wire capacitance and the ADC's sampling are not added (stated).
Delay: the read pulse (the design's compute cycle, given).

Digital bit-serial cells (``sram_digital``, kind ``digital``; e.g. Colonnade, JSSC 2021): each
cell holds one weight bit and a full adder that adds its 1-bit product to the partial sum
rippling down the column; a pipeline register every ``rows_per_register`` rows. Energy per
read: ``rows_active x cols x (E_FA + E_reg / rows_per_register + E_logic)``, ``E_FA`` and
``E_reg`` one full-adder and one register bit of :mod:`.digital` (Horowitz 2014's adder,
Aladdin's 40 nm standard-cell register, both scaled),
data-independent (an adder evaluates every cycle), ``E_logic`` the cell's multiplier (XNOR2)
and configuration multiplexer charging their logical-effort capacitances and one cell pitch
of wire (:func:`.digital.in_array_cell_logic_energy`; the multiplier's activity follows
``input_ones``), plus the wordlines. Delay: the read pulse when given, else
the adder chain's cycle (:func:`.digital.bit_serial_cycle`: the carry across a weight's
columns, the sum down ``rows_per_register`` rows and the register, by logical effort). The
input line of a digital row is loaded, besides its wire, by each cell's 1-bit multiplier: an
XNOR2 input, logical effort 4, i.e. 4 minimum unit-inverter loads (``row_gate_units``;
:func:`.digital.unit_inverter_capacitance`, Sutherland-Sproull-Harris / Weste & Harris) (T).
The preset's cell is Colonnade's whole bitcell with its adder, 11.63 um^2 at 65 nm
(2754 F^2, drawn square, 52.5 F a side): the bitcell array's 83.9 % of the 0.2272 mm^2 macro
over 128 x 128 cells (the paper's Fig. 17 area split as CiMLoop's ``_tests.py`` transcribes
it) (T) (D); the SRAM part alone is 130 F^2 (CiMLoop's cell file).

Cell presets (``CELLS``): RRAM 1T1R from NeuroSim V1.4 ``Param.cpp`` (R_on 100 kOhm,
on/off 17, 0.5 V read, 10 ns pulse, 4 x 12 F^2) (P); SRAM 6T cell of 10 x 28 F^2 and the
0.1 V sense swing from the same file (P). The SRAM read current and 8T area, and every FeFET
and PCM number, and the STT-MRAM preset's electrical values and size (binary; Jung et al.,
Nature 2022), are (U) placeholders (typical of the literature, unverified): records built
on them say ``placeholder``. Give your device's numbers with :class:`Cell` instead.

Write figures (``write_energy_j`` per pulse per bit a cell holds, ``write_pulse_s`` per row,
``endurance`` in pulses), what ``cim.write_energy`` (the preset's x ``bits_per_cell``: a cell's
bits all written) / ``write_latency`` / ``endurance`` take when a config leaves them out:
rram_1t1r 3 pJ/bit, 10 ns, 1e12 (ITRS 2011 / Yang et al., Nat. Nanotechnol. 2013)
(T); pcm 10 pJ, 100 ns (SET), 1e8; fefet 1 fJ, 100 ns, 1e5; stt_mram 1 pJ, 10 ns, 1e15 (U: the
ranges Burr et al., Adv. Phys. X 2017 and Yu, Proc. IEEE 2018 review, not checked against their
tables). The SRAM presets state none (a config gives its own).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Optional

import numpy as np

from . import adder_tree, buffer, digital, scaling
from .record import PartEstimate, provenance

#: wire capacitance per metre (0.2 fF/um; Weste & Harris) (T)
WIRE_CAP_F_PER_M = 0.2e-15 / 1e-6
#: sense swing (NeuroSim V1.4 Param.cpp minSenseVoltage) (P)
SENSE_SWING_V = 0.1
#: SRAM access-transistor width in feature sizes (NeuroSim V1.4 Param.cpp widthAccessCMOS,
#: neurosim/DNN_NeuroSim_V1.4 @ ac828e6) (P)
ACCESS_WIDTH_F = 1.0

CELL_KINDS = ("sram", "resistive", "capacitive", "digital")
#: cell kinds built on a 6T SRAM storage cell: never smaller than the node's published
#: high-density 6T cell (:func:`below_published_cell`)
SRAM_BASED_KINDS = ("sram", "capacitive", "digital")
#: minimum operating supply, x the node's nominal, of a 6T-based cell (hold, read and write
#: without assist circuits; HD 6T cells at 22-14 nm need roughly 0.6-0.8 V) and of an 8T cell
#: (its read port decoupled from the storage node: no read-disturb limit) (U). Not fitted to
#: any prediction, but placed by hand next to the validated supplies: Jia et al.'s sram_charge
#: macro runs at 0.85 V, 1.03 x its 0.825 V (65 nm, 1.1 V nominal); a factor of 0.8 would
#: flag it. One factor of nominal at every node, from 22-14 nm HD cells only: at 180 nm it
#: asks 1.35 V, at 65 nm an 8T cell 0.66 V (assisted 8T designs are reported far lower)
VMIN_6T, VMIN_8T = 0.75, 0.6
#: Colonnade's bitcell (65 nm, 2754 F^2: a large cell, far less mismatch than an HD one) is
#: measured working at 0.6 V (JSSC 2021, the lowest of its published points) (T): 0.6 / 1.1
#: x nominal is where it is known to work, not a measured Vmin; the cim-macros cases at 0.6 V
#: sit exactly on it (a supply equal to the threshold is not flagged)
VMIN_COLONNADE = 0.6 / 1.1
#: where each threshold comes from, as the warning states it
VMIN_SOURCE = {VMIN_6T: "a (U) placeholder for HD 6T cells at 22-14 nm without assist circuits",
               VMIN_8T: "a (U) placeholder for 8T cells without assist circuits",
               VMIN_COLONNADE: "Colonnade's lowest measured supply, 0.6 V (T), not a measured "
                               "Vmin: below it the cell is unmeasured"}


@dataclass(frozen=True)
class Cell:
    """A memory cell type. Resistive cells give ``r_on_ohm`` and ``on_off``; SRAM cells give
    ``read_current_a`` (their read voltage is the supply; the current is the one at the
    node's nominal supply, moved to another supply by the alpha-power law, and the same at every
    node: a per-cell constant)."""

    name: str
    kind: str
    height_f: float
    width_f: float
    r_on_ohm: Optional[float] = None
    on_off: Optional[float] = None
    read_voltage_v: Optional[float] = None
    read_pulse_s: Optional[float] = None
    read_current_a: Optional[float] = None
    unit_capacitance_f: Optional[float] = None
    rows_per_register: Optional[int] = None
    #: minimum unit-inverter gate loads each cell puts on its row (input) line
    row_gate_units: float = 0.0
    placeholder: bool = False
    area_placeholder: bool = False
    source: str = ""
    #: the ``cim.cell`` fields whose preset values are (U): all given, the cell is sourced
    #: (``placeholder`` cleared); ``height_f`` and ``width_f`` given clear ``area_placeholder``
    placeholder_fields: tuple = ()
    #: leakage of one stored bit of a non-resistive plug-in preset: its off gate width
    #: ``(nMOS F, pMOS F)`` (:mod:`.leakage`; the built-ins' are its table, a resistive cell's 0)
    off_width_f: Optional[tuple] = None
    #: a digital cell whose column sums in an adder tree (:mod:`.adder_tree`), not in-cell
    #: adders: the cell is its 1-bit product (NOR2) alone, no pipeline register down the column
    adder_tree: bool = False
    #: the most weight bits one cell can hold, where the device states it (a binary MTJ: 1);
    #: None: not stated (``cim.bits_per_cell`` up to 8 is taken)
    max_bits_per_cell: Optional[int] = None
    #: write figures (:data:`WRITE_FIGURES`): one write pulse's energy per bit of a cell (J;
    #: a cell of ``bits_per_cell`` bits is charged that many: the sources state pJ/bit), its
    #: width (s, one row of an array written per pulse), and the pulses a cell survives; None:
    #: not stated (an SRAM cell's write is the config's ``cim.write_*``)
    write_energy_j: Optional[float] = None
    write_pulse_s: Optional[float] = None
    endurance: Optional[float] = None
    #: the write figures are (U) placeholders
    write_placeholder: bool = False
    write_source: str = ""
    #: the node (nm) at which ``height_f x width_f`` is the cell's stated size; at another node
    #: the cell keeps its ratio to the published high-density 6T cell of the node
    #: (:func:`at_node`); None: the size in F holds at every node (a size a config gives)
    area_node_nm: Optional[float] = None
    #: the lowest supply (x the node's nominal) the cell holds and reads its data at without
    #: assist circuits (:func:`below_vmin`); None: not stated (resistive cells: their own read
    #: voltage, the supply drives CMOS periphery only)
    vmin_factor: Optional[float] = None

    def __post_init__(self):
        if self.kind not in CELL_KINDS:
            raise ValueError(f"cell kind {self.kind!r} is not allowed; allowed: "
                             f"{', '.join(CELL_KINDS)}")
        if not (self.height_f > 0 and self.width_f > 0):
            raise ValueError(f"cell {self.name}: height_f and width_f must be > 0")
        for f in ("write_energy_j", "write_pulse_s", "endurance"):
            v = getattr(self, f)
            if v is not None and not v > 0:
                raise ValueError(f"cell {self.name}: {f} must be > 0 (or None: not stated)")
        if self.kind == "resistive":
            for f in ("r_on_ohm", "on_off", "read_voltage_v", "read_pulse_s"):
                v = getattr(self, f)
                if v is None or not v > 0:
                    raise ValueError(f"resistive cell {self.name}: {f} must be given and > 0")
            if not self.on_off > 1:  # G_on = G_off: the cell holds no bit
                raise ValueError(f"cell {self.name}: on_off {self.on_off} must be > 1")
        elif self.kind in ("capacitive", "digital"):
            if self.kind == "capacitive" and self.read_pulse_s is None:
                raise ValueError(f"capacitive cell {self.name}: read_pulse_s (the compute "
                                 "cycle) must be given and > 0")
            if self.read_pulse_s is not None and not self.read_pulse_s > 0:
                raise ValueError(f"{self.kind} cell {self.name}: read_pulse_s (the compute "
                                 "cycle) must be > 0")
            if self.kind == "capacitive" and not (self.unit_capacitance_f or 0) > 0:
                raise ValueError(f"capacitive cell {self.name}: unit_capacitance_f must be > 0")
            if (self.kind == "digital" and not self.adder_tree
                    and not (self.rows_per_register or 0) >= 1):
                raise ValueError(f"digital cell {self.name}: rows_per_register must be >= 1")
        else:
            if self.read_current_a is None or not self.read_current_a > 0:
                raise ValueError(f"SRAM cell {self.name}: read_current_a must be given and > 0")

    @property
    def area_f2(self) -> float:
        return self.height_f * self.width_f


#: a resistive preset's (U) fields, by ``cim.cell`` name
_RESISTIVE_U = ("r_on", "on_off", "read_voltage", "read_pulse")

def _write(energy_j, pulse_s, endurance, placeholder, source) -> dict:
    """A preset's write figures (:class:`Cell`'s ``write_*`` fields)."""
    return {"write_energy_j": energy_j, "write_pulse_s": pulse_s, "endurance": endurance,
            "write_placeholder": placeholder, "write_source": source}


#: the built-in presets (every registered one: :data:`cimsim.hw.parts.registry.cells`)
CELLS = {
    "rram_1t1r": Cell("rram_1t1r", "resistive", 4, 12, r_on_ohm=100e3, on_off=17,
                      read_voltage_v=0.5, read_pulse_s=10e-9,
                      source="NeuroSim V1.4 Param.cpp defaults (P)", area_node_nm=22, **_write(
                          3e-12, 10e-9, 1e12, False, "3 pJ/bit (top of the RRAM 0.1-3 pJ/bit "
                          "range), 10 ns, 1e12 cycles (lab best): ITRS 2011 / Yang et al. 2013 "
                          "(T)")),
    # SRAM wordlines carry their cells' access-transistor gates, each 1 F wide (NeuroSim V1.4
    # Param.cpp widthAccessCMOS = 1 (P)), i.e. 1/6 of a 6 F unit inverter: a 6T cell's word
    # line two pass gates, an 8T cell's read wordline its one read-access transistor (T)
    "sram_6t": Cell("sram_6t", "sram", 10, 28, read_current_a=20e-6,
                    row_gate_units=2 * ACCESS_WIDTH_F / digital.UNIT_INVERTER_WIDTH_F,
                    placeholder=True, placeholder_fields=("read_current",),
                    source="NeuroSim V1.4 Param.cpp cell size and 1 F access width (P); read "
                           "current 20 uA (U)", area_node_nm=22, vmin_factor=VMIN_6T),
    "sram_8t": Cell("sram_8t", "sram", 10, 36.4, read_current_a=20e-6,
                    row_gate_units=ACCESS_WIDTH_F / digital.UNIT_INVERTER_WIDTH_F,
                    placeholder=True, area_placeholder=True, placeholder_fields=("read_current",),
                    source="6T cell x 1.3 (U); read-access gate 1 F (NeuroSim V1.4 access width) "
                           "(P) on the read wordline; read current 20 uA (U)", area_node_nm=22,
                    vmin_factor=VMIN_8T),
    # Jia et al. JSSC 2020 bitcell: 426 F^2 and a 2 fF unit capacitor, as CiMLoop's model of
    # that macro states them (mit-emze/cimloop memory_cells/sram_jia_jssc_2020.cell.yaml and
    # 1_macro/jia_jssc_2020/arch.yaml) (T); the compute cycle has no default (give read_pulse)
    "sram_charge": Cell("sram_charge", "capacitive", 20.64, 20.64, unit_capacitance_f=2e-15,
                        read_pulse_s=1e-9, placeholder=True, placeholder_fields=("read_pulse",),
                        source="426 F^2, C_u 2 fF: CiMLoop's Jia et al. JSSC 2020 model (T); "
                               "read pulse 1 ns (U)", area_node_nm=65, vmin_factor=VMIN_6T),
    # Colonnade (JSSC 2021) bitcell with its full adder: 83.9 % of 0.2272 mm^2 over 128 x 128
    # cells = 11.63 um^2 = 2754 F^2 at 65 nm (Fig. 17 area split via CiMLoop's _tests.py) (T),
    # drawn square (D); its input line sees one XNOR2 input per cell (g = 4) (T)
    "sram_digital": Cell("sram_digital", "digital", 52.5, 52.5, rows_per_register=8,
                         row_gate_units=4.0,
                         source="Colonnade bitcell + adder 2754 F^2 (Fig. 17 area via CiMLoop) "
                                "(T); XNOR2 input load and adder-chain cycle (logical effort) "
                                "(T); Horowitz adder and Aladdin register bit (T)",
                         area_node_nm=65, vmin_factor=VMIN_COLONNADE),
    # TSMC-style DCIM (Chih et al., ISSCC 2021 16.4): a 6T bitcell (NeuroSim's 10 x 28 F^2) and
    # its NOR2 multiplier (4 transistors, + 10 x 12 F^2 (U)); the input line sees one NOR2
    # input per cell (g = 5/3) (T); the column's adder tree is module adder_tree's
    "sram_dcim": Cell("sram_dcim", "digital", 10, 40, row_gate_units=adder_tree.LE_NOR2[0],
                      adder_tree=True, area_placeholder=True,
                      source="6T bitcell (NeuroSim V1.4) + NOR2 multiplier 10 x 12 F^2 (U); NOR2 "
                             "product and input load by logical effort (T); adder tree: "
                             + adder_tree.SOURCE, area_node_nm=22, vmin_factor=VMIN_6T),
    "fefet": Cell("fefet", "resistive", 4, 12, r_on_ohm=240e3, on_off=100, read_voltage_v=0.1,
                  read_pulse_s=10e-9, placeholder=True, area_placeholder=True,
                  placeholder_fields=_RESISTIVE_U, source="all values (U)", area_node_nm=22,
                  **_write(1e-15, 100e-9, 1e5, True, "1 fJ/bit (a gate's C V^2), 100 ns, 1e5 cycles (the "
                      "low end of HfO2 FeFETs' 1e5-1e10) (U)")),
    "pcm": Cell("pcm", "resistive", 4, 12, r_on_ohm=10e3, on_off=100, read_voltage_v=0.2,
                read_pulse_s=10e-9, placeholder=True, area_placeholder=True,
                placeholder_fields=_RESISTIVE_U, source="all values (U)", area_node_nm=22,
                **_write(10e-12, 100e-9, 1e8, True, "10 pJ/bit, 100 ns (the SET pulse), 1e8 cycles (in "
                    "the 1e6-1e9 reported) (U)")),
    # a binary MTJ cell: two magnetisation states of the free layer, parallel = R_on and
    # antiparallel = R_off (T). Jung et al., Nature 601, 211 (2022) show a 64 x 64 MRAM
    # crossbar in 28 nm CMOS, read by resistance summation (MRAM's low resistance makes a
    # current-summation crossbar too power-hungry, their abstract), which cimsim does not
    # model: this cell is read by current summation as the other resistive cells, so the paper
    # sources only its being binary, not its architecture (nor its unit cell, not checked
    # here). R_P 5 kOhm, TMR 150 % (on/off 2.5, the middle of the 100-200 % of MgO MTJs), 0.1 V
    # read, 10 ns pulse and the 1T1R cell size are (U)
    "stt_mram": Cell("stt_mram", "resistive", 4, 12, r_on_ohm=5e3, on_off=2.5,
                     read_voltage_v=0.1, read_pulse_s=10e-9, placeholder=True,
                     area_placeholder=True, placeholder_fields=_RESISTIVE_U, max_bits_per_cell=1,
                     area_node_nm=22,
                     source="binary MTJ cell (T), read by current summation (Jung et al., Nature "
                            "2022 read their MRAM crossbar by resistance summation, not "
                            "modelled); R_P 5 kOhm, TMR 150 %, 0.1 V, 10 ns, 4 x 12 F^2 (U)",
                     **_write(1e-12, 10e-9, 1e15, True, "1 pJ/bit (~100 uA x 1 V x 10 ns), 10 ns, "
                              "1e15 cycles (U)")),
}


def preset(name: str) -> Cell:
    """The registered cell preset ``name`` (:mod:`cimsim.hw.parts.registry`): the built-ins of
    :data:`CELLS` and any a plug-in registered; a ``ValueError`` naming them for another."""
    from ..parts.registry import cells

    if not isinstance(name, str) or name not in cells.types():
        raise ValueError(f"cell type {name!r} is not allowed; allowed: {', '.join(cells.types())}")
    return cells.get(name)


def cell(name: str, **overrides) -> Cell:
    """A preset cell, with any field overridden. Overriding the (U) values does not clear the
    placeholder marks: pass ``placeholder=False`` / ``area_placeholder=False`` with your
    sourced numbers."""
    base = preset(name)
    return replace(base, **overrides) if overrides else base


def published_cell_shrink(from_nm: float, to_nm: float) -> float:
    """A cell's area in F^2 at ``to_nm`` over that at ``from_nm`` when it keeps its ratio to
    the node's published high-density 6T cell (:func:`.buffer.sram_cell_area_m2`): 1 at the
    same node, above 1 where the published cells shrink slower than F^2 (22 -> 7 nm:
    (0.027 / 0.092) x (22 / 7)^2 = 2.90)."""
    return (buffer.sram_cell_area_m2(to_nm) / buffer.sram_cell_area_m2(from_nm)
            * (from_nm / to_nm) ** 2)


def at_node(c: Cell, node_nm: float) -> Cell:
    """The cell at ``node_nm``: its ``height_f`` and ``width_f`` (in that node's F) scaled
    alike by ``sqrt(published_cell_shrink(area_node_nm, node_nm))``, so its area and the
    bitline and wordline lengths on its pitch follow the published cells; a cell without an
    ``area_node_nm`` unchanged. The returned cell is fixed at the node (``area_node_nm`` None)."""
    if c.area_node_nm is None:
        return c
    s = math.sqrt(published_cell_shrink(c.area_node_nm, node_nm))
    return replace(c, height_f=c.height_f * s, width_f=c.width_f * s, area_node_nm=None)


def cell_overhead(c: Cell) -> Optional[float]:
    """The cell over the published high-density 6T cell at its ``area_node_nm`` (the factor it
    keeps at every node): 280 F^2 at 22 nm / 0.092 um^2 = 1.47 for the 6T preset; None for a
    cell without one."""
    if c.area_node_nm is None:
        return None
    n = c.area_node_nm
    return c.area_f2 * (n * 1e-9) ** 2 / buffer.sram_cell_area_m2(n)


def below_published_cell(c: Cell, node_nm: float) -> str:
    """Words when a 6T-based cell (:data:`SRAM_BASED_KINDS`) at ``node_nm`` is smaller than the
    node's published high-density 6T cell (no such CIM cell has been built), else ''."""
    c = at_node(c, node_nm)
    a, hd = c.area_f2 * (node_nm * 1e-9) ** 2, buffer.sram_cell_area_m2(node_nm)
    if c.kind not in SRAM_BASED_KINDS or a >= hd * (1 - 1e-9):
        return ""
    return (f"the {c.name} cell, {c.height_f:.4g} x {c.width_f:.4g} F at {node_nm:g} nm, is "
            f"{a * 1e12:.4g} um², {a / hd:.2f} x the published high-density 6T cell of the node "
            f"({hd * 1e12:.4g} um²): no 6T-based CIM cell is smaller than the foundry's densest")


def below_vmin(c: Cell, node_nm: float, vdd) -> str:
    """Words when the supply ``vdd`` (V; None: nominal) is below the cell's minimum operating
    voltage, ``vmin_factor`` x the node's nominal, else ''."""
    if vdd is None or c.vmin_factor is None:
        return ""
    vmin = c.vmin_factor * scaling.nominal_vdd(node_nm)
    if vdd >= vmin * (1 - 1e-9):
        return ""
    why = VMIN_SOURCE.get(c.vmin_factor, "the cell preset's")
    return (f"the supply {vdd:g} V is below the {c.name} cell's minimum operating voltage "
            f"{vmin:.3g} V ({c.vmin_factor:.3g} x the {node_nm:g} nm nominal, {why}): "
            "it would not hold or read its data without assist circuits, so this is no "
            "functional point")


def _feature_m(node_nm: float) -> float:
    scaling._check_node(node_nm)
    return node_nm * 1e-9


def row_capacitance(c: Cell, cols: int, node_nm: float) -> float:
    """Wordline capacitance (F): ``cols`` cell widths of wire (the cell at the node,
    :func:`at_node`), plus each cell's ``row_gate_units`` minimum-inverter gate loads (SRAM
    access transistors, digital cells' multipliers)."""
    c = at_node(c, node_nm)
    return cols * (c.width_f * _feature_m(node_nm) * WIRE_CAP_F_PER_M
                   + c.row_gate_units * digital.unit_inverter_capacitance(node_nm))


def column_capacitance(c: Cell, rows: int, node_nm: float) -> float:
    """Bitline capacitance (F): ``rows`` cell heights of wire (the cell at the node,
    :func:`at_node`)."""
    c = at_node(c, node_nm)
    return rows * c.height_f * _feature_m(node_nm) * WIRE_CAP_F_PER_M


def _fraction(name, v):
    a = np.asarray(v, dtype=float)
    if np.any(a < 0) or np.any(a > 1) or not np.all(np.isfinite(a)):
        raise ValueError(f"{name} {v} must be within 0..1")
    return a


def _read(c: Cell, rows, cols, node_nm, rows_active, vdd, input_ones, weight_ones,
          read_pulse_s, weight_columns=1, register_design=None):
    if int(rows) != rows or int(cols) != cols or rows < 1 or cols < 1:
        raise ValueError(f"array {rows} x {cols}: rows and cols must be whole numbers >= 1")
    ra = np.asarray(rows if rows_active is None else rows_active, dtype=float)
    if np.any(ra < 1) or np.any(ra > rows) or np.any(np.mod(ra, 1) != 0):
        raise ValueError(f"rows_active {rows_active} must be a whole number within 1..{rows}")
    c = at_node(c, node_nm)
    x1 = _fraction("input_ones", input_ones)
    w1 = _fraction("weight_ones", weight_ones)
    c_row = row_capacitance(c, cols, node_nm)
    c_col = column_capacitance(c, rows, node_nm)
    driven = ra * x1
    if c.kind == "resistive":
        v = c.read_voltage_v
        t = c.read_pulse_s if read_pulse_s is None else read_pulse_s
        g_on = 1.0 / c.r_on_ohm
        g_off = g_on / c.on_off
        g = g_off + w1 * (g_on - g_off)
        parts = {"cells": driven * cols * v * v * g * t,
                 "rows": driven * c_row * v * v,
                 "columns": cols * c_col * v * SENSE_SWING_V * np.ones_like(driven)}
    elif c.kind in ("capacitive", "digital"):
        v = scaling.supply(node_nm, vdd)
        if np.any(v <= 0):
            raise ValueError(f"supply {vdd} V must be > 0")
        t = c.read_pulse_s if read_pulse_s is None else read_pulse_s
        if t is None and c.adder_tree:  # an adder-tree column: the tree's cycle
            t = adder_tree.cycle(rows, node_nm, v)
        if t is None:  # a digital cell without a given clock: its adder chain's cycle
            t = digital.bit_serial_cycle(weight_columns, c.rows_per_register, node_nm, v,
                                         c.width_f * _feature_m(node_nm))
        if c.kind == "capacitive":
            cells = ra * cols * x1 * w1 * c.unit_capacitance_f * v * v
        elif c.adder_tree:  # the cells' NOR2 products; the tree is its own part
            cells = ra * cols * adder_tree.product_energy(node_nm, v, x1, w1)
        else:
            per_cell = digital.full_adder_energy(node_nm, v) + (
                digital.register(1, node_nm, v, register_design).energy_j / c.rows_per_register)
            per_cell = per_cell + digital.in_array_cell_logic_energy(
                node_nm, v, c.width_f * _feature_m(node_nm), x1)
            cells = ra * cols * per_cell * np.ones_like(driven)
        parts = {"cells": cells, "rows": driven * c_row * v * v,
                 "columns": np.zeros_like(cells)}
    else:
        v = scaling.supply(node_nm, vdd)
        if np.any(v <= 0):
            raise ValueError(f"supply {vdd} V must be > 0")
        # the cell's read current at the supply: the alpha-power law (Sakurai & Newton) from
        # the preset's value at the node's nominal supply; the swing is the fixed sense swing
        i_read = c.read_current_a * scaling.drive_current_factor(node_nm, v)
        t = c_col * SENSE_SWING_V / i_read if read_pulse_s is None else read_pulse_s
        dv = np.minimum(v, driven * w1 * i_read * t / c_col)
        parts = {"cells": np.zeros_like(dv),
                 "rows": driven * c_row * v * v,
                 "columns": cols * c_col * v * dv}
    return parts, t


def read_energy_parts(c: Cell, rows: int, cols: int, node_nm: float, rows_active=None,
                      vdd=None, input_ones=0.5, weight_ones=0.5, read_pulse_s=None,
                      weight_columns=1, register_design=None) -> dict:
    """The read energy of :func:`array_read` split into ``cells``, ``rows`` (wordlines) and
    ``columns`` (bitlines), J."""
    return _read(c, rows, cols, node_nm, rows_active, vdd, input_ones, weight_ones,
                 read_pulse_s, weight_columns, register_design)[0]


def array_read(c: Cell, rows: int, cols: int, node_nm: float, rows_active=None, vdd=None,
               input_ones=0.5, weight_ones=0.5, read_pulse_s=None,
               weight_columns=1, register_design=None) -> PartEstimate:
    """One read of an array (one input slice on ``rows_active`` rows, every column).

    ``energy_j`` is the whole array's read energy; ``delay_s`` the read time; ``area_m2`` the
    cells' area. ``vdd`` (default the node's nominal) is the SRAM read voltage; resistive
    cells read at their ``read_voltage_v``. A digital cell without a read pulse (given here
    or in the cell) is clocked at its adder chain's cycle,
    :func:`.digital.bit_serial_cycle` over a weight's ``weight_columns`` columns. A digital
    cell's pipeline register is of ``register_design`` (None: the standard cell)."""
    c = at_node(c, node_nm)
    parts, t = _read(c, rows, cols, node_nm, rows_active, vdd, input_ones, weight_ones,
                     read_pulse_s, weight_columns, register_design)
    energy = parts["cells"] + parts["rows"] + parts["columns"]
    shape = np.shape(energy)
    kind = {"resistive": "V^2 G t cell energy; C V^2 wordlines; C V dV bitlines",
            "sram": "C V^2 wordlines; bitline discharge I t / C restored at C V dV",
            "capacitive": "charge-domain MAC: C_u V^2 per 1-bit product; C V^2 wordlines",
            "digital": "bit-serial adder per cell: full adder (Horowitz 2014) + register "
                       "(Aladdin 2014) / rows_per_register; C V^2 wordlines"}[c.kind]
    if c.adder_tree:
        kind = "NOR2 1-bit product per cell (logical effort); C V^2 wordlines"
    return PartEstimate(
        energy_j=energy,
        delay_s=np.broadcast_to(np.asarray(t, dtype=float), shape) * 1.0 if shape else float(t),
        area_m2=rows * cols * c.area_f2 * _feature_m(node_nm) ** 2,
        source=kind + "; wire 0.2 fF/um (Weste & Harris); cell: " + c.source
               + ("; register bit instead: " + digital.register_source(register_design)
                  if c.kind == "digital" and register_design is not None
                  and register_design.structural else ""),
        field_provenance=provenance(
            energy_j=c.placeholder,
            delay_s=c.placeholder and not (c.kind == "digital" and read_pulse_s is None
                                           and c.read_pulse_s is None),
            area_m2=c.area_placeholder),
    )
