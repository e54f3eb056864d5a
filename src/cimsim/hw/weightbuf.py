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
carries nothing. By default it holds one op's weights at a time: an op does not find an earlier
op's weights in it (a recurrence's weight matrix is read from ``weight_memory`` once per step).

With ``persist: true`` (find-A 1) weights stay in it across ops, as an FPGA / ASIC RNN engine
keeps W_hh in BRAM / URAM for all time steps (ESE, Brainwave): walking the ops in the workload's
order, a weight matrix (its tensor id) already held is read from the buffer at every pass
(nothing from ``weight_memory``); one not held and fitting is read from ``weight_memory`` once,
on its first pass, and enters the buffer, evicting the least recently used matrices until it
fits; one larger than ``capacity`` streams at every pass and does not enter it.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from pydantic import Field

from ..quantity import Bytes, BytesPerSecond, Flag, JoulesPerByte
from ..units import si
from .base import Strict


class WeightBuffer(Strict):
    """An on-chip buffer holding stationary weights between passes of the dataflow: one op's
    (the default), or with ``persist`` weight matrices across ops."""

    capacity: Bytes = Field(description="Usable capacity: an op's weights (at weight_bits) that "
                            "fit are read from weight_memory once, their further passes from here; "
                            "with persist, a matrix still held from an earlier op reads nothing "
                            "from weight_memory and every pass from here.")
    bandwidth: BytesPerSecond = Field(description="Peak read bandwidth into the array (SCALE-Sim's "
                                      "filter SRAM gives one weight per column per cycle: cols x "
                                      "weight_bits / 8 B x clock; with macs_per_pe, lanes weights "
                                      "per column: cols x lanes x weight_bits / 8 B x clock).")
    energy_per_byte: JoulesPerByte = Field(description="Energy per byte read from it (each pass "
                                           "after the first; with persist, every pass of a held "
                                           "matrix).")
    persist: Flag = Field(default=False, description="Weights stay in the buffer across ops "
                          "(least recently used evicted first): a weight matrix already held is "
                          "read from it at every pass, nothing from weight_memory (a recurrence's "
                          "W_hh loaded once for all time steps). Off: it holds one op's weights at "
                          "a time.")


def weight_reads(buf: WeightBuffer | None, w, w_passes, ids=None) -> tuple[np.ndarray, np.ndarray]:
    """``(bytes from weight_memory, bytes re-read from the weight buffer)`` of ops whose
    stationary weights are ``w`` bytes (0 for an op without) passing ``w_passes`` times: without
    a buffer, or where they do not fit, ``w x passes`` and 0; where they fit, ``w`` and
    ``w x (passes - 1)``. With ``persist`` and ``ids`` (each op's weight tensor id, -1 for none,
    in op order), a matrix still held from an earlier op reads 0 and ``w x passes``."""
    w = np.asarray(w, dtype=float)
    streamed = w * np.broadcast_to(np.asarray(w_passes, dtype=float), w.shape)
    if buf is None:
        return streamed, np.zeros_like(streamed)
    held = w <= buf.capacity
    from_wl, again = np.where(held, w, streamed), np.where(held, w * (w_passes - 1), 0.0)
    if buf.persist and ids is not None:
        resident = _resident(np.asarray(ids), w, held, buf.capacity)
        from_wl, again = np.where(resident, 0.0, from_wl), np.where(resident, streamed, again)
    return from_wl, again


def _resident(ids, w, fits, capacity: float) -> np.ndarray:
    """Which ops find their weight matrix already in a persistent buffer of ``capacity`` bytes:
    the ops in order, each fitting matrix entering it (least recently used evicted first)."""
    held: OrderedDict[int, float] = OrderedDict()
    used, out = 0.0, np.zeros(len(w), dtype=bool)
    for i in np.flatnonzero(fits & (ids >= 0) & (w > 0)):
        key, size = int(ids[i]), float(w[i])
        if key in held:
            out[i] = True
            held.move_to_end(key)
            continue
        while held and used + size > capacity:
            used -= held.popitem(last=False)[1]
        held[key] = size
        used += size
    return out


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
