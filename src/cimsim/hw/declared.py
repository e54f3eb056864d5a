"""What a component type declares beyond its costs: how it programs what it holds (weights) and
how ``--accuracy`` emulates its arithmetic. :class:`cimsim.hw.base.Component` inherits these,
so a plug-in sets them as class attributes and hooks, never by a naming convention.

- ``programs_weights``: its plans may state the one-time programming before the run
  (:attr:`cimsim.hw.plan.Plan.programming`); results on an architecture with it carry
  ``programming_energy_j`` / ``programming_time_s``. A plan stating one from a class without
  it is refused in one line (it would be dropped).
- ``reprogram_fact`` / ``reprogram_parts``: the fact (of its ``facts``) that counts the
  re-programmings it charges *during* the run, and the energy parts (of its ``energy_parts``)
  they are charged in; the ``programming`` line of ``cimsim run`` names them.
- ``programming_includes``: what its ``Plan.programming`` energy and time include beyond
  writing the weights, as that line says it ("": nothing more is claimed).
- ``accuracy_arith(config)``: with ``accuracy_arithmetic = "analog"``, the fields of the
  emulator's :class:`cimsim.accuracy.arith.Arith` its matmuls compute with (a dict of plain
  numbers: ``rows``, ``weight_bits``, ``input_bits``, ``adc_bits``, ...).
- ``rate_notes(run)``: notes that need the run's rates (a placement and its notes see none):
  PIM's ``max_rows`` verdict, its units' time against the host's for the ops it left.
- ``static_power_parts_w``: its static power in the parts a user budgets apart (a laser, its
  heaters), each a result column (the report checks they sum to ``static_power_w``).
"""

from __future__ import annotations

from typing import ClassVar, Optional


class Declared:
    """The declarations above, with their defaults (a component that programs nothing)."""

    #: its plans may set ``Plan.programming``; results then carry the programming columns
    programs_weights: ClassVar[bool] = False
    #: the one of its facts counting its re-programmings during the run; None: none
    reprogram_fact: ClassVar[Optional[str]] = None
    #: the energy parts its in-run re-programming is charged in
    reprogram_parts: ClassVar[tuple[str, ...]] = ()
    #: what its before-run programming energy and time include beyond writing the weights
    programming_includes: ClassVar[str] = ""

    @property
    def static_power_parts_w(self) -> dict[str, float]:
        """Optional: ``static_power_w`` in named parts, W, summing to it (a laser, its heaters),
        each a column ``static_power_<component>_<part>_w``. Default: none (one column)."""
        return {}

    def rate_notes(self, run) -> list[str]:
        """Optional: notes on this run at its rates (``run``: :class:`cimsim.report.build.RunData`,
        with the placement, the costs, ``rates`` and ``resource_s``). Default: none."""
        return []

    @classmethod
    def accuracy_arith(cls, config) -> dict:
        """``accuracy_arithmetic = "analog"``: the :class:`~cimsim.accuracy.arith.Arith` fields
        (plain numbers by name) its matmuls with a stationary weight compute with: ``rows``
        (the length of the dot product summed before one conversion), ``weight_bits``,
        ``input_bits``, ``adc_bits``; optionally ``bits_per_cell`` (default ``weight_bits``:
        one analog weight), ``dac_bits`` (default ``input_bits``: one analog input),
        ``signed_inputs``, ``adc_range_policy``, ``encoding``, ``weight_quant``."""
        raise NotImplementedError(f"{cls.__qualname__} declares accuracy_arithmetic = 'analog' "
                                  "without an accuracy_arith(config) classmethod")
