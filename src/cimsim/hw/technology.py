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


class Technology(Strict):
    """The process the circuits are built in: the node and the supply voltage from which the
    circuit models (:mod:`cimsim.hw.circuits`) derive every per-event energy, delay and area a
    component's config leaves out. One block shared by the components that read it."""

    node: Meters = Field(description="Technology node (feature size F), 7-180 nm; energy, delay "
                         "and area move between nodes by Stillmaker & Baas 2017's tables.")
    voltage: Optional[Volts] = Field(default=None, description="Supply voltage of the periphery "
                                     "(default: the node's nominal supply, 1.8 V at 180 nm to "
                                     "0.7 V at 7 nm); energy scales as V^2, delay by the "
                                     "alpha-power law.")
    registers: Optional[Register] = Field(default=None, description="Register (flip-flop) "
                                          "design of every register the circuit models derive "
                                          "(default: standard_cell, Aladdin's).")

    @field_validator("node")
    @classmethod
    def _node_range(cls, v: float) -> float:
        nm = round(v * 1e9, 6)
        if not 7.0 <= nm <= 180.0:
            raise ValueError(f"{nm:g} nm is outside the scaling tables (7-180 nm, Stillmaker & "
                             "Baas 2017)")
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
