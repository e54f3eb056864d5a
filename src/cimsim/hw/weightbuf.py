"""A systolic array's optional on-chip weight (filter) buffer, ``tpu.weight_buffer``.

Without one, the array streams its stationary weights from ``weight_memory`` (TPU v1's DDR3)
through the weight FIFO at every pass of the dataflow (:func:`cimsim.hw.systolic.operand_passes`:
once under ``ws``, once per fold of ``rows`` output rows under ``os``, once per fold of ``cols``
input vectors under ``is``). SCALE-Sim feeds its array from on-chip SRAMs instead (ifmap, filter
and ofmap, 64 KB each in its ``scale.cfg`` presets): a filter that fits is read from DRAM once.

With a weight buffer, an op whose weights (at ``weight_bits``) fit in its ``capacity`` reads them
from ``weight_memory`` once, on the first pass (which fills the buffer on its way to the array,
not charged apart, as the unified buffer's fill is not), and every further pass from the buffer:
``(passes - 1) x weight bytes`` at its ``energy_per_byte``, no faster than its ``bandwidth``. An op
whose weights do not fit streams them from ``weight_memory`` at every pass, as without one (a
note counts those that pass more than once). Under ``ws`` each weight passes once, so the buffer
carries nothing. It holds one op's weights at a time: an op does not find an earlier op's
weights in it (a recurrence's weight matrix is read from ``weight_memory`` once per step).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from ..quantity import Bytes, BytesPerSecond, JoulesPerByte
from ..units import si
from .base import Strict


class WeightBuffer(Strict):
    """An on-chip buffer holding one op's stationary weights between passes of the dataflow."""

    capacity: Bytes = Field(description="Usable capacity: an op's weights (at weight_bits) that "
                            "fit are read from weight_memory once, their further passes from here.")
    bandwidth: BytesPerSecond = Field(description="Peak read bandwidth into the array (SCALE-Sim's "
                                      "filter SRAM gives one weight per column per cycle: cols x "
                                      "weight_bits / 8 B x clock).")
    energy_per_byte: JoulesPerByte = Field(description="Energy per byte read from it (each pass "
                                           "after the first).")


def weight_reads(buf: WeightBuffer | None, w, w_passes) -> tuple[np.ndarray, np.ndarray]:
    """``(bytes from weight_memory, bytes re-read from the weight buffer)`` of ops whose
    stationary weights are ``w`` bytes (0 for an op without) passing ``w_passes`` times: without
    a buffer, or where they do not fit, ``w x passes`` and 0; where they fit, ``w`` and
    ``w x (passes - 1)``."""
    w = np.asarray(w, dtype=float)
    streamed = w * w_passes
    if buf is None:
        return streamed, np.zeros_like(streamed)
    held = w <= buf.capacity
    return np.where(held, w, streamed), np.where(held, w * (w_passes - 1), 0.0)


def weight_buffer_note(name: str, level: str, buf: WeightBuffer | None, w, w_passes) -> list[str]:
    """One note counting the ops whose weights ``w`` exceed the weight buffer and pass more than
    once: they stream from ``level`` at every pass."""
    if buf is None:
        return []
    w = np.asarray(w, dtype=float)
    over = (w > buf.capacity) & (np.asarray(w_passes) > 1)
    if not over.any():
        return []
    return [f"{name}: {int(over.sum()):,} op(s) whose weights (up to {si(float(w[over].max()), 'B')}) "
            f"exceed the {si(buf.capacity, 'B')} {name}.weight_buffer: they stream from {level} "
            f"at every pass of the dataflow (up to {int(np.max(np.asarray(w_passes)[over])):,} "
            f"passes), as without one"]
