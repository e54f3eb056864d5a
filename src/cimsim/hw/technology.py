"""The process block of an architecture (``technology:``): the node and supply the circuit
models (:mod:`cimsim.hw.circuits`) derive per-event energies, delays and areas from, and the
design of the registers they count. One block shared by the components that read it."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, field_validator, model_validator

from ..quantity import Meters, NonNegativeFloat, Volts
from .base import Strict


class Register(Strict):
    """How the registers (flip-flops) the circuit models count are built: one design for every
    register of a block (shift-and-add, SAR logic, near-memory datapath, a digital CIM cell's
    pipeline register, register-file buffers, the input switch matrix's row register)."""

    design: Literal["standard_cell", "structural"] = Field(
        default="standard_cell", description="standard_cell: Aladdin's 40 nm standard-cell "
        "register, 9 fJ per bit access (Shao et al., ISCA 2014, via hwcomponents-library), "
        "scaled by node and supply; structural: the flip-flop's own switched capacitance from "
        "its transistors (kind), for a design whose registers are transistor-level rather than "
        "library cells -- say which document states it. Energy only: area and delay are the "
        "standard cell's in both.")
    kind: Literal["transmission_gate"] = Field(
        default="transmission_gate", description="Structural flip-flop: transmission_gate, the "
        "static TG master-slave flip-flop of Weste & Harris (4th ed. 10.3.2), 24 minimum "
        "transistors, 8 clocked, two local clock inverters: 48 F of clock and 120 F of data "
        "node width at 1 fF/um (cimsim.hw.circuits.flipflop).")
    data_activity: NonNegativeFloat = Field(
        default=0.5, le=1, description="Probability (fraction, 0-1) that a stored bit changes "
        "in a clock cycle (structural only; the clock switches every cycle): each data node "
        "is charged on half of the changes. Default 0.5 (random data).")


#: a node within this fraction of a table end (7 or 180 nm) is that end: a unit conversion's
#: float noise is ~1e-16 of the value, a typed digit at least 1e-8 of it (6.9999996 nm)
NODE_REL_TOL = 1e-12


def _in_tables(nm: float, lo: float, hi: float) -> bool:
    return lo * (1 - NODE_REL_TOL) <= nm <= hi * (1 + NODE_REL_TOL)


def _shown_outside(v: float, lo: float, hi: float) -> str:
    """``v`` (m) with an SI prefix and no exponent (``22 zm``, ``1 Zm``), to as many digits as
    it takes for the number shown to be outside ``lo``-``hi`` nm too (``6.9999996 nm``, never
    ``7 nm``)."""
    from ..units import parse_quantity, si

    for digits in range(4, 18):
        text = si(v, "m", digits)
        if not _in_tables(parse_quantity(text, "m") * 1e9, lo, hi):
            return text
    return text


class Technology(Strict):
    """The process the circuits are built in: the node and the supply voltage from which the
    circuit models (:mod:`cimsim.hw.circuits`) derive every per-event energy, delay and area a
    component's config leaves out. One block shared by the components that read it."""

    node: Meters = Field(description="Technology node (feature size F), 7-180 nm (the ends "
                         "within 1e-12 of the value); energy, delay and area move between nodes "
                         "by Stillmaker & Baas 2017's tables, log-linear between tabulated nodes.")
    voltage: Optional[Volts] = Field(default=None, description="Supply voltage of the periphery "
                                     "(default: the node's nominal supply, 1.8 V at 180 nm to "
                                     "0.7 V at 7 nm); energy scales as V^2, delay by the "
                                     "alpha-power law with one threshold V_th per node fitted "
                                     "(alpha 1.3) to Stillmaker & Baas's HP delay between 0.8 and "
                                     "1.1 x nominal; that fitted V_th jumps between nodes (65 nm "
                                     "0.470 V, 45 nm 0.230, 32 nm 0.327, 20 nm 0.190), so the "
                                     "lower bound (a supply must exceed V_th) is a fit's, not a "
                                     "device's: 45 nm takes 0.25 V, 65 nm refuses 0.47 V. Below "
                                     "0.8 x nominal no model was fitted (runs say extrapolated); "
                                     "there is no subthreshold tail: a minimum-energy point "
                                     "appears (0.35 V on sram-cim-derived), placed by the V_th "
                                     "fit, where the delay diverges, not by leakage physics. "
                                     "Below the cell's minimum operating voltage (per cell "
                                     "type, e.g. sram_6t 0.75 x nominal (U), placed by hand "
                                     "next to the validated supplies, from 22-14 nm HD cells) "
                                     "a run is flagged physically_plausible: false.")
    flavour: Optional[Literal["hp", "lp"]] = Field(
        default=None, description="Device flavour of the derived numbers: hp or lp picks "
        "Stillmaker & Baas's HP or LP delay and energy polynomials (one flavour above 45 nm; "
        "an anchored figure is read as HP and moved to the flavour) and the off current "
        "cim.leakage_devices defaults to (hp: PTM HP cards, none below 22 nm, where hp is "
        "refused unless leakage_devices is given; lp: lstp; at 65 nm and above lp is HP speed "
        "with lstp leakage). "
        "Default (left out): HP delay and energy with lstp leakage, cimsim's numbers before "
        "this field. The alpha-power V_th stays the HP fit's.")
    registers: Optional[Register] = Field(default=None, description="Register (flip-flop) "
                                          "design of every register the circuit models derive "
                                          "(default: standard_cell, Aladdin's).")

    @field_validator("node")
    @classmethod
    def _node_range(cls, v: float) -> float:
        from .circuits.scaling import NODES_NM

        lo, hi = NODES_NM[-1], NODES_NM[0]
        nm = v * 1e9
        # float noise (``22 nm`` is 22.000000000000004 nm after the unit's 1e-9) is within
        # NODE_REL_TOL of a table end and is that end; 6.9999996 nm is not noise and is refused
        if not _in_tables(nm, lo, hi):
            raise ValueError(f"{_shown_outside(v, lo, hi)} is outside the scaling tables "
                             f"({lo}-{hi} nm: Stillmaker & Baas 2017 tabulate "
                             f"{', '.join(map(str, NODES_NM))} nm, log-linear between)")
        return v

    @model_validator(mode="after")
    def _voltage_range(self):
        from .circuits.scaling import check_supply  # at most 1.5 x the node's nominal supply

        if self.voltage is not None:
            check_supply(self.node_nm, self.voltage)
        return self

    @property
    def node_nm(self) -> float:
        """The node in nanometres (rounded to 1e-6 nm: '22 nm' is 22, not 22.000000000000004)."""
        return round(self.node * 1e9, 6)


#: the component types whose circuit models read the technology block (a CIM derives its array,
#: ADC, DAC and periphery numbers from it); a processor, PIM or systolic array states its figures
READS_TECHNOLOGY = ("cim",)

#: what the technology block moves, for the note and the --set refusal (find-E 1)
ONLY_CIM = ("technology.* moves only the numbers a cim component's circuit models derive; a "
            "processor's supply is processor.supply (voltage, nominal_voltage, nominal_clock, "
            "threshold_voltage)")


def unread_note(arch) -> list[str]:
    """A note when the architecture has a technology block and no component reads it (no cim):
    the block, node and voltage, changes nothing in the run (find-E 1)."""
    t = getattr(arch, "technology", None)
    if t is None or any(c.type in READS_TECHNOLOGY for c in arch.components.values()):
        return []
    volts = f", {t.voltage:g} V" if t.voltage is not None else ""
    return [f"technology ({t.node_nm:g} nm{volts}) changes nothing in this run: no component "
            f"of this architecture reads it ({ONLY_CIM}); technology_node_m reports the block "
            "as given, not the node of the parts here"]
