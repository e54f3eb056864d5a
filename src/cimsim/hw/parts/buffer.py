"""A component's private on-chip buffer (CIM arrays' local buffer, a systolic array's
unified buffer)."""

from __future__ import annotations

from pydantic import Field

from ...quantity import Bytes, BytesPerSecond, JoulesPerByte
from ..base import Strict


class Buffer(Strict):
    """A component's private on-chip buffer (its bandwidth bounds the component's own time)."""

    capacity: Bytes = Field(description="Usable capacity.")
    bandwidth: BytesPerSecond = Field(description="Peak read+write bandwidth.")
    energy_per_byte: JoulesPerByte = Field(description="Energy per byte read or written.")
