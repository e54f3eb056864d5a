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
  writing the weights, as that line says it ("": nothing more is claimed). The programming
  object may say ``volatile = False`` (default True): its weights survive power-off, so the
  first call after power-up does not program them again (``power_up_latency_s``).
- ``reprogram_stage``, ``in_order_words``, ``power_up_words``: ``cimsim run``'s words for its
  in-run re-programming where it makes a stream one stage, for the note of its order-checked
  servers run in program order, and for the weights it programs again after power-up; the
  defaults name no device (the built-in CIM's speak of its arrays and cells).
- ``accuracy_arith(config)``: with ``accuracy_arithmetic = "analog"``, the fields of the
  emulator's :class:`cimsim.accuracy.arith.Arith` its matmuls compute with (a dict of plain
  numbers: ``rows``, ``weight_bits``, ``input_bits``, ``adc_bits``, ...).
- ``rate_notes(run)``: notes that need the run's rates (a placement and its notes see none):
  PIM's ``max_rows`` verdict, its units' time against the host's for the ops it left.
- ``inputs_via_host``: the host reads the model inputs it reads first from the backing store and
  sends them over its link (a CIM, a systolic array): the copy is in the host's levels then, so a
  host op reading the input later reads it as an activation (hierarchy rule 3). False: it reads
  them where they are (PIM units in the DRAM banks) and leaves the host's levels as they were.
- ``static_power_parts_w``: its static power in the parts a user budgets apart (a laser, its
  heaters), each a result column (the report checks they sum to ``static_power_w``).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
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
    #: why a stream on it is one stage when it re-programs during the run ("": "<name>
    #: re-programs during the run")
    reprogram_stage: ClassVar[str] = ""
    #: the note of its order-checked servers run in program order, after "<name>: " (``{n}``:
    #: their ops; "": cimsim's words, which name its plan's ``in_order_check``)
    in_order_words: ClassVar[str] = ""
    #: what the first call after power-up programs again (of a volatile programming)
    power_up_words: ClassVar[str] = "the weights lost at power-off"
    #: the host fetches the model inputs it reads first through its levels (hierarchy rule 3)
    inputs_via_host: ClassVar[bool] = False

    @property
    def static_power_parts_w(self) -> dict[str, float]:
        """Optional: ``static_power_w`` in named parts, W, summing to it (a laser, its heaters),
        each a column ``static_part_<component>_<part>_w``. Default: none (one column)."""
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


_PART = re.compile(r"[a-z0-9_]+")


def static_split(comp) -> dict[str, float]:
    """``comp``'s ``static_power_parts_w`` as floats, checked: a mapping of part names
    (``[a-z0-9_]+``, not the component's own name) to real numbers of W, finite, >= 0, summing to
    its ``static_power_w`` ({} or None: no split). What falls short is a one-line ``ValueError``
    (its text; the caller names the component): a string value was a traceback, a part named
    like the component took the unsplit column's name, ``"the laser"`` a CSV column with a space."""
    parts = comp.static_power_parts_w
    if parts is None or (isinstance(parts, Mapping) and not parts):
        return {}
    form = "a mapping of part name ([a-z0-9_]+) -> W (a real number), e.g. {'laser': 1.0, 'heaters': 2.0}"
    if not isinstance(parts, Mapping):
        raise ValueError(f"static_power_parts_w must be {form}, not {parts!r}")
    bad = [k for k in parts if not (isinstance(k, str) and _PART.fullmatch(k)) or k == comp.name]
    if bad:
        raise ValueError(f"static_power_parts_w names a part {bad[0]!r}: a part's name must match "
                         f"[a-z0-9_]+ and not be the component's own name '{comp.name}' ({form})")
    nums = [v for v in parts.values() if isinstance(v, bool) or not isinstance(v, numbers.Real)]
    if nums:
        raise ValueError(f"static_power_parts_w gives {nums[0]!r}: each part must be a real number of "
                         f"W, e.g. 1.0 (not a string with a unit), as {form}")
    split, whole = {k: float(v) for k, v in parts.items()}, float(comp.static_power_w)
    if not (all(math.isfinite(v) and v >= 0 for v in split.values())
            and math.isclose(sum(split.values()), whole, rel_tol=1e-9, abs_tol=1e-15)):
        raise ValueError(f"static_power_parts_w gives {split}; its parts must be finite, >= 0 (W) and "
                         f"sum to its static_power_w ({whole!r} W)")
    return split


def declared_errors(comp) -> list[tuple[str, str]]:
    """What is wrong with the declarations of the component ``comp`` as its instance gives them
    (``facts`` and ``energy_parts`` may be properties, which ``register`` cannot read: a
    ``reprogram_fact = "relaods"`` beside them passed, and a run re-programming 4 times read
    "nothing is written before the run"), as the config loader lists errors: ``(field, message)``.
    Also a static-power split :func:`static_split` refuses."""
    out, whose = [], f"its type {comp.type_name}'s"
    try:
        static_split(comp)
    except ValueError as exc:
        out.append((comp.name, f"{whose} {exc}"))
    facts, parts = comp.facts, tuple(comp.energy_parts)
    if comp.reprogram_fact is not None and comp.reprogram_fact not in facts:
        out.append((comp.name, f"{whose} reprogram_fact {comp.reprogram_fact!r} must be one of its "
                               f"facts ({', '.join(facts) or 'none'})"))
    if set(comp.reprogram_parts) - set(parts):
        out.append((comp.name, f"{whose} reprogram_parts {tuple(comp.reprogram_parts)!r} must be of its "
                               f"energy_parts ({', '.join(parts) or 'none'})"))
    return out
