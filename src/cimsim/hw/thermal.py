"""The thermal block of an architecture (``thermal:``, find-B 5): one junction-to-ambient thermal
resistance and an ambient temperature, from which a run reports its junction temperature
``t_junction_c`` = ``t_ambient`` + ``r_th`` x the power dissipated on the chip
(:mod:`cimsim.report.thermal`). Opt-in: without the block no thermal column or note appears."""

from __future__ import annotations

from typing import Optional

from pydantic import Field, model_validator

from ..quantity import Celsius, KelvinPerWatt
from .base import Strict

#: the case temperature above which JEDEC DRAM refreshes twice as often (tREFI halved: 7.8 us to
#: 3.9 us for DDR4/5, JESD79-4 / JESD79-5 "extended temperature range", 85-95 °C)
DRAM_HOT_C = 85.0


class Thermal(Strict):
    """A lumped, steady-state thermal model of the chip (of a stack: all its dies together): the
    junction sits ``r_th`` x P above the ambient, where P is the run's average power less the
    off-chip memory levels' (``average_power_w`` − ``offchip_memory_power_w``, the numerator of
    ``power_density_w_per_m2``). One resistance for the whole chip: no per-die or per-tier
    gradient, no transient (the run's average, not its peak)."""

    r_th: KelvinPerWatt = Field(description="Junction-to-ambient thermal resistance θ_ja of the "
                                "package with its heat sink and airflow (K/W = °C/W), e.g. 0.5 K/W "
                                "for a heat-sunk server part, 20-40 K/W for a bare BGA; a datasheet "
                                "states it, or the sum of θ_jc and the sink's θ_ca.")
    t_ambient: Celsius = Field(description="Ambient (inlet air or coolant) temperature the heat "
                               "flows to (°C, or K: '318.15 K' is 45 °C), e.g. 25 °C on a bench, "
                               "45 °C in a server inlet, 85 °C under an automotive hood.")
    t_junction_max: Optional[Celsius] = Field(
        default=None, description="The highest junction temperature the design may reach (°C), "
        "e.g. 105 °C (commercial logic), 125 °C (automotive); above it a run is not physically "
        "plausible (physically_plausible false, a warning note), as a power above a stated TDP. "
        "Default: none stated, no check (t_junction_c is still reported).")

    @model_validator(mode="after")
    def _max_above_ambient(self) -> "Thermal":
        if self.t_junction_max is not None and self.t_junction_max <= self.t_ambient:
            raise ValueError(f"t_junction_max ({self.t_junction_max:g} °C) must be above "
                             f"t_ambient ({self.t_ambient:g} °C): no power could be dissipated")
        return self

    def junction_c(self, power_w: float) -> float:
        """t_ambient + r_th x ``power_w``, °C."""
        return self.t_ambient + self.r_th * power_w
