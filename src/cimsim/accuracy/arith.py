"""The CIM arithmetic the accuracy emulator needs, read from the same fields the cost model reads.

:class:`Arith` is a frozen record of one design point's arithmetic: how many rows are read at
once (``rows_per_read``, an array's ``rows`` unless set), the array shape, the weight and input
precisions, the DAC slice width, whether the sign of an input is a pulse polarity, the ADC's
resolution and how its range is set (the *range policy*):

``max``
    the ADC spans the worst-case partial sum ``R * (2^D - 1) * (2^c - 1)`` (R rows read at once,
    D-bit input slices, c-bit cells); its step is never finer than one unit product;
``unit``
    one LSB per unit product (step 1): exact until a partial sum exceeds the top code, then clipped;
``calibrated``
    per layer, the ADC spans the ``adc_percentile``-th percentile of the absolute partial sums
    observed on calibration inputs (step never finer than one unit product).

:meth:`Arith.from_cim` builds it from a :class:`cimsim.hw.cim.CIMConfig` (``rows_per_read``,
``adc.range_policy``, ``adc.range_percentile``, ``nonideal.encoding``).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

RangePolicy = Literal["max", "unit", "calibrated"]
Encoding = Literal["differential", "offset"]
RANGE_POLICIES = ("max", "unit", "calibrated")
ENCODINGS = ("differential", "offset")
#: how a weight's scale is taken (``cim.weight_quant``)
WEIGHT_QUANTS = ("per_column", "per_tensor")


class NotEmulated(ValueError):
    """A CIM config field the emulator does not model (scoring it would describe another design)."""


#: the fields of :class:`Arith` that are positive integers
_INTS = ("rows", "cols", "bits_per_cell", "weight_bits", "input_bits", "dac_bits", "adc_bits")


@dataclass(frozen=True)
class Arith:
    """One design point's CIM arithmetic (all counts are plain integers; no units)."""

    rows: int = 128                 #: word lines per array
    cols: int = 128                 #: bit lines per array
    bits_per_cell: int = 2          #: c: weight bits stored per cell
    weight_bits: int = 8            #: weight precision (signed, symmetric)
    input_bits: int = 8             #: input precision
    dac_bits: int = 1               #: D: input bits applied per array read (one slice)
    signed_inputs: bool = False     #: the input sign is the pulse polarity (costs no slice)
    adc_bits: int = 8               #: resolution of one conversion
    adc_range_policy: RangePolicy = "max"
    adc_percentile: float = 99.9    #: percentile of |partial sum| for the ``calibrated`` policy
    rows_per_read: int | None = None  #: R: rows summed on a bit line per conversion (None: rows)
    encoding: Encoding = "offset"   #: signed weights: two columns (pos/neg) or one offset column
    weight_quant: str = "per_column"  #: weight scale: per output column or one per matrix
    #: a stationary weight's all-zero K rows left off the arrays (``cim.drop_zero_rows``): its
    #: live rows programmed and read alone (:func:`.emulator.program`), as the cost run maps them
    drop_zero_rows: bool = False

    def __post_init__(self):
        for name in _INTS:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, not {v!r}")
        if self.weight_bits < 2:
            raise ValueError(f"weight_bits must be >= 2 (signed weights), not {self.weight_bits}")
        if self.signed_inputs and self.input_bits < 2:
            raise ValueError(f"signed inputs need input_bits >= 2, not {self.input_bits}")
        if self.dac_bits > self.input_bits:
            raise ValueError(f"dac_bits ({self.dac_bits}) cannot exceed input_bits ({self.input_bits})")
        if self.bits_per_cell > self.weight_bits:
            raise ValueError(f"bits_per_cell ({self.bits_per_cell}) cannot exceed weight_bits "
                             f"({self.weight_bits})")
        if self.adc_range_policy not in RANGE_POLICIES:
            raise ValueError(f"adc_range_policy must be one of {', '.join(RANGE_POLICIES)}, "
                             f"not {self.adc_range_policy!r}")
        if self.weight_quant not in WEIGHT_QUANTS:
            raise ValueError(f"weight_quant must be one of {', '.join(WEIGHT_QUANTS)}, "
                             f"not {self.weight_quant!r}")
        if self.encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}, not {self.encoding!r}")
        if not (0 < self.adc_percentile <= 100):
            raise ValueError(f"adc_percentile must be in (0, 100], not {self.adc_percentile}")
        if self.rows_per_read is not None:
            r = self.rows_per_read
            if isinstance(r, bool) or not isinstance(r, int) or not 1 <= r <= self.rows:
                raise ValueError(f"rows_per_read must be an integer in 1..rows ({self.rows}), not {r!r}")

    # ---- derived quantities -------------------------------------------------------------
    @property
    def R(self) -> int:
        """Rows summed on a bit line per conversion."""
        return self.rows if self.rows_per_read is None else self.rows_per_read

    @property
    def input_slices(self) -> int:
        """Input slices per matrix-vector product (as the cost model counts them)."""
        if self.signed_inputs:
            return max(1, math.ceil((self.input_bits - 1) / self.dac_bits))
        return math.ceil(self.input_bits / self.dac_bits)

    @property
    def weight_magnitude_bits(self) -> int:
        """Bits stored per weight column: the magnitude (differential) or offset-binary word."""
        return self.weight_bits - 1 if self.encoding == "differential" else self.weight_bits

    @property
    def weight_slices(self) -> int:
        """Cells per weight per polarity: ``ceil(stored bits / bits_per_cell)``."""
        return math.ceil(self.weight_magnitude_bits / self.bits_per_cell)

    @property
    def bipolar(self) -> bool:
        """Partial sums can be negative (signed input pulses): the ADC spends a code on the sign."""
        return self.signed_inputs

    @property
    def max_partial_sum(self) -> int:
        """Worst-case |partial sum| of one conversion, in unit products: ``R (2^D-1) (2^c-1)``."""
        return self.R * (2 ** self.dac_bits - 1) * (2 ** self.bits_per_cell - 1)

    @property
    def adc_top_code(self) -> int:
        """Largest code magnitude: ``2^b - 1`` (unipolar) or ``2^(b-1) - 1`` (bipolar, symmetric)."""
        return 2 ** (self.adc_bits - 1) - 1 if self.bipolar else 2 ** self.adc_bits - 1

    @property
    def lossless_adc_bits(self) -> int:
        """ADC bits at which no partial sum is rounded or clipped (``max`` and ``unit``):
        ``ceil(log2(R (2^D-1) (2^c-1) + 1))``, plus one sign bit with signed inputs."""
        return math.ceil(math.log2(self.max_partial_sum + 1)) + (1 if self.bipolar else 0)

    def with_(self, **changes) -> "Arith":
        """A copy with fields replaced (validated again)."""
        return replace(self, **changes)

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def from_cim(cls, cim, *, encoding: Encoding | None = None, name: str = "cim") -> "Arith":
        """From a :class:`cimsim.hw.cim.CIMConfig`: the array shape and precisions, the ADC's
        ``bits``, ``range_policy`` and ``range_percentile``, ``rows_per_read`` (None: all rows)
        and the weight ``encoding`` of its ``nonideal`` block (``offset`` without one).

        A ``cim.exclude`` list is refused (:class:`NotEmulated`): the weights it leaves to the
        host would be scored with the arrays' arithmetic. An integrate-and-count readout
        (``adc.counting``) is refused (:class:`NotEmulated`): it
        converts a column's whole summed input with a counter of ``adc.bits`` per phase, not
        each R-row partial sum per input slice, so this arithmetic would not be the one its
        energy and latency describe."""
        adc = cim.adc
        if getattr(adc, "counting", None) is not None:
            raise NotEmulated(
                f"{name}.adc.counting (integrate-and-count readout) is not emulated: the emulator "
                "converts each rows_per_read partial sum of each input slice with adc.bits, not a "
                "column's whole summed input by a counter, so its accuracy would be another "
                "readout's; remove adc.counting to score the design (its cost runs without an accuracy)")
        if getattr(cim, "exclude", None):  # the host's matmuls would score as the arrays'
            raise NotEmulated(
                f"{name}.exclude ({', '.join(cim.exclude)}) is not emulated: the emulator computes "
                f"every stationary-weight matmul with {name}'s arithmetic, the excluded ones too; "
                "leave exclude out to score the design (its cost runs without an accuracy)")
        enc = encoding or (cim.nonideal.encoding if cim.nonideal is not None else "offset")
        rpr = cim.rows_per_read
        exact = cls._digital(cim)  # a digital cell's adders sum exactly: no conversion to round
        out = cls(
            rows=int(cim.rows), cols=int(cim.cols), bits_per_cell=int(cim.bits_per_cell),
            weight_bits=int(cim.weight_bits), input_bits=int(cim.input_bits),
            dac_bits=int(cim.dac_bits), signed_inputs=bool(cim.signed_inputs),
            adc_bits=int(adc.bits), adc_range_policy=adc.range_policy,
            adc_percentile=float(adc.range_percentile),
            rows_per_read=None if rpr is None else int(rpr),
            encoding=enc, weight_quant=str(getattr(cim, "weight_quant", "per_column")),
            drop_zero_rows=bool(getattr(cim, "drop_zero_rows", False)),
        )
        return out.with_(adc_bits=out.lossless_adc_bits) if exact else out

    @classmethod
    def from_declared(cls, fields) -> "Arith":
        """From a plug-in's ``accuracy_arith(config)`` (``accuracy_arithmetic = "analog"``,
        :mod:`cimsim.hw.declared`): an analog dot product of ``rows`` terms, one cell per weight
        (``bits_per_cell`` = ``weight_bits``) and one input pulse (``dac_bits`` = ``input_bits``)
        unless it says otherwise, read by its ``adc_bits`` ADC. A field it gives that is not one
        of :class:`Arith`'s, or a missing one of the four, is a ValueError."""
        if not isinstance(fields, Mapping):
            raise ValueError(f"accuracy_arith() returned {type(fields).__name__}, not a dict")
        need = {"rows", "weight_bits", "input_bits", "adc_bits"} - set(fields)
        known = set(cls.__dataclass_fields__)
        unknown = sorted(map(str, set(fields) - known))  # a typo "adc_bit" is named, beside the
        if need or unknown:  # "adc_bits" it leaves missing
            raise ValueError(f"accuracy_arith() must give rows, weight_bits, input_bits and adc_bits"
                             f" and only fields of {', '.join(sorted(known))}: "
                             + "; ".join(([f"missing {', '.join(sorted(need))}"] if need else [])
                                         + ([f"unknown {', '.join(unknown)}"] if unknown else [])))
        given = dict(fields)
        for name in [n for n in _INTS if n in given]:  # the fields it gave, before the defaults copy them;
            v = given[name]  # a NumPy integer is one (operator.index)
            try:
                given[name] = operator.index(v) if not isinstance(v, bool) else None
            except TypeError:
                given[name] = None
            if given[name] is None or given[name] < 1:
                raise ValueError(f"accuracy_arith() gives {name} {v!r}: it must be a positive integer")
        return cls(**{"cols": given["rows"], "bits_per_cell": given["weight_bits"],
                      "dac_bits": given["input_bits"], **given})

    @staticmethod
    def _digital(cim) -> bool:
        """A digital bit-serial cell (``sram_digital``): its column sums leave the array as
        digital words, so ``adc.bits`` (the output datapath's width) rounds nothing. A tester
        found a 3-bit ``adc.bits`` on one scored 4.4 % top-1 with 0 J of conversions."""
        from ..hw.cim.derive import DEFAULT_CELL
        from ..hw.circuits import array as array_model

        cell = cim.cell.type if getattr(cim, "cell", None) is not None else DEFAULT_CELL.get(cim.technology)
        try:
            return array_model.preset(cell).kind == "digital"
        except ValueError:  # no cell (no technology): not digital
            return False


def nonideal_of(cim):
    """``cim.nonideal`` with ``on_off_ratio``, when not given, the cell's (``cim.cell.on_off``
    or its preset's; :func:`cimsim.hw.cim.tiling.on_off_ratio`, which the cost model's reference
    column also reads); None without a ``nonideal`` block (ideal devices)."""
    from ..hw.cim.tiling import on_off_ratio

    ni = getattr(cim, "nonideal", None)
    if ni is None or ni.on_off_ratio is not None:
        return ni
    ratio = on_off_ratio(cim)[0]
    return ni if ratio is None else ni.model_copy(update={"on_off_ratio": ratio})
