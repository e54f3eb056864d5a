"""A processor's supply voltage (``processor.supply``, find-E 2): a DVFS operating point.

The processor's ``energy_per_mac``, ``energy_per_vector_op``, ``static_power`` and
``supply.nominal_clock`` are the figures at the nominal supply ``V0`` (``supply.nominal_voltage``).
At the run's supply ``V`` (``supply.voltage``):

- energy per MAC and per vector op scale as ``(V / V0)^2`` (switched charge ``C V^2``);
- static power scales as ``V / V0``: the leakage law cimsim's CIM static power uses (an off
  current ``I_off`` drawn at ``V``, no DIBL, :mod:`cimsim.hw.circuits.leakage`); uncore power
  counted in ``static_power`` is scaled alike;
- the highest clock at ``V`` is the alpha-power law's (Sakurai & Newton, JSSC 25(2) 1990, the
  law the CIM circuit models use, :mod:`cimsim.hw.circuits.scaling`):
  ``f_max(V) = nominal_clock x ((V - V_th)^alpha / V) / ((V0 - V_th)^alpha / V0)``, with the
  config's ``threshold_voltage`` and ``alpha`` (default 1.3). A ``clock`` above ``f_max(V)`` is
  refused; a lower one runs (a part held below its highest clock at that supply);
- a supply above :data:`~cimsim.hw.circuits.scaling.MAX_SUPPLY_FACTOR` (1.5) x ``V0`` is refused,
  and one outside :data:`~cimsim.hw.circuits.scaling.FITTED_SUPPLY` (0.8-1.1) x ``V0`` is
  ``extrapolated`` (the CIM's rule for ``technology.voltage``; review E 1);
- a ``mac_efficiency`` table is a fraction of the peak at ``clock``, except its columns timed
  with the weight streaming from DRAM (past ``cold_from``): their time is memory-bound and is
  held at its ``nominal_clock`` value (:meth:`cimsim.hw.processor.Processor.cost`; review E 2).

Opt-in: without a ``supply`` block every figure is used as given (every bundled config)."""

from __future__ import annotations

from typing import Optional

from pydantic import Field, model_validator

from ..quantity import Hertz, PositiveFloat, Volts
from ..units import si
from .base import Strict
from .circuits.scaling import FITTED_SUPPLY, MAX_SUPPLY_FACTOR

#: alpha of the alpha-power law (Sakurai & Newton 1990), the CIM circuit models' value
ALPHA = 1.3


class Supply(Strict):
    """A processor's core supply voltage, with the nominal operating point its energy, static
    power and clock figures are stated at (README: "Processor supply voltage (DVFS)")."""

    voltage: Volts = Field(description="Core supply of this run, V; energy per MAC and per "
                           "vector op scale as (voltage / nominal_voltage)^2, static_power as "
                           "voltage / nominal_voltage (leakage I_off x V, no DIBL), and clock "
                           "must not exceed the alpha-power f_max at this supply; at most 1.5 x "
                           "nominal_voltage, and outside 0.8-1.1 x it the run is extrapolated.")
    nominal_voltage: Volts = Field(description="Supply the processor's energy_per_mac, "
                                   "energy_per_vector_op and static_power are stated at, V.")
    nominal_clock: Hertz = Field(description="Highest clock at nominal_voltage (f_max(V0)), "
                                 "the anchor of the alpha-power f_max(V).")
    threshold_voltage: Volts = Field(description="Threshold voltage V_th of the alpha-power law "
                                     "f_max ~ (V - V_th)^alpha / V, V (a fit to the part's V-f "
                                     "table, not a device's V_th); both supplies must exceed it.")
    alpha: PositiveFloat = Field(default=ALPHA, description="Exponent (dimensionless) of the "
                                 "alpha-power law (default 1.3, Sakurai & Newton 1990, the CIM "
                                 "circuit models' value).")

    @model_validator(mode="after")
    def _above_threshold(self):
        for name in ("voltage", "nominal_voltage"):
            v = getattr(self, name)
            if v <= self.threshold_voltage:
                raise ValueError(f"supply.{name} {v:g} V is at or below threshold_voltage "
                                 f"{self.threshold_voltage:g} V: the alpha-power law gives no "
                                 "clock there (no subthreshold model)")
        if self.voltage > MAX_SUPPLY_FACTOR * self.nominal_voltage * (1 + 1e-9):  # review E 1
            raise ValueError(f"supply.voltage {self.voltage:g} V is above {MAX_SUPPLY_FACTOR:g} x "
                             f"supply.nominal_voltage {self.nominal_voltage:g} V: no operating point "
                             "the stated figures scale to (technology.voltage's bound); at most "
                             f"{MAX_SUPPLY_FACTOR * self.nominal_voltage:g} V")
        return self

    @property
    def extrapolated(self) -> bool:
        """Whether ``voltage`` lies outside FITTED_SUPPLY (0.8-1.1) x ``nominal_voltage``, where
        the V^2, V and alpha-power laws extrapolate (the CIM's range; review E 1)."""
        lo, hi = FITTED_SUPPLY
        f = self.voltage / self.nominal_voltage
        return not lo * (1 - 1e-9) <= f <= hi * (1 + 1e-9)

    @property
    def energy_factor(self) -> float:
        """``(V / V0)^2``: dynamic energy per operation at the supply over the stated one."""
        return (self.voltage / self.nominal_voltage) ** 2

    @property
    def static_factor(self) -> float:
        """``V / V0``: static power at the supply over the stated one (I_off x V)."""
        return self.voltage / self.nominal_voltage

    def f_max(self, v: Optional[float] = None) -> float:
        """The alpha-power highest clock at supply ``v`` (default: ``voltage``), Hz."""
        v = self.voltage if v is None else v
        vt, a, v0 = self.threshold_voltage, self.alpha, self.nominal_voltage
        return self.nominal_clock * ((v - vt) ** a / v) / ((v0 - vt) ** a / v0)

    def clock_problem(self, clock: float) -> str:
        """Words when ``clock`` is above :meth:`f_max` at the supply, else ''."""
        f = self.f_max()
        if clock <= f * (1 + 1e-9):
            return ""
        return (f"{si(clock, 'Hz')} is above the {si(f, 'Hz')} the supply allows at "
                f"supply.voltage {self.voltage:g} V (alpha-power: nominal_clock "
                f"{si(self.nominal_clock, 'Hz')} at {self.nominal_voltage:g} V x ((V - "
                f"{self.threshold_voltage:g})^{self.alpha:g} / V) / ((V0 - "
                f"{self.threshold_voltage:g})^{self.alpha:g} / V0)); lower clock to at most "
                f"that, or raise supply.voltage")

    def note(self, name: str, clock: float, table: str = "") -> str:
        """The run's note on what the supply scaled: '' at the nominal supply with clock at its
        f_max (nothing changes; review E 5). ``table``: words on the processor's
        ``mac_efficiency`` at this clock (review E 2), '' without one."""
        f = self.f_max()
        if self.voltage == self.nominal_voltage and clock >= f * (1 - 1e-9) and not table:
            return ""
        lo, hi = FITTED_SUPPLY
        out = (f" {self.voltage / self.nominal_voltage:.3g} x nominal_voltage is outside the "
               f"{lo:g}-{hi:g} x the voltage laws are taken to hold over: extrapolated"
               if self.extrapolated else "")
        return (f"{name}: supply {self.voltage:g} V against the stated figures' "
                f"{self.nominal_voltage:g} V: energy_per_mac and energy_per_vector_op x "
                f"{self.energy_factor:.4g} ((V/V0)^2), static_power x {self.static_factor:.4g} "
                f"(V/V0, leakage I_off x V); clock {si(clock, 'Hz')} of the {si(f, 'Hz')} "
                f"f_max at this supply (alpha-power, V_th {self.threshold_voltage:g} V, alpha "
                f"{self.alpha:g});{out and out + ';'} op_overhead (seconds) and memory figures do "
                "not follow it, op_overhead_cycles follows clock" + (f"; {table}" if table else ""))
