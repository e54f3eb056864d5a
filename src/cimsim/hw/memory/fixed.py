"""``type: fixed`` (the default): a memory level that sustains ``bandwidth x sustained_fraction``
whatever the access pattern. Every bundled config uses it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..base import RATE, STREAM, BytesPerSecond, Fraction, MemoryLevel, MemoryResource, Pattern


class FixedLevel(MemoryLevel):
    """A memory level with one sustained bandwidth."""

    type: Literal["fixed"] = Field(default="fixed", description="Resource type: fixed (bandwidth x "
                                   "sustained fraction, whatever the pattern), dram (JEDEC timing), ...")
    bandwidth: BytesPerSecond = Field(description="Peak bandwidth of the level (all channels together).",
                                      json_schema_extra=RATE)
    sustained_fraction: Fraction = Field(
        default=1.0, description="Fraction of peak bandwidth that streaming transfers sustain.",
        json_schema_extra=RATE)

    @property
    def effective_bandwidth(self) -> float:
        """Bandwidth the simulation uses, B/s: peak x sustained fraction."""
        return self.bandwidth * self.sustained_fraction


class Fixed(MemoryResource):
    type_name = "fixed"
    pattern_free = True  # the same rate whatever the access pattern
    Config = FixedLevel

    def bytes_per_s(self, pattern: Pattern = STREAM) -> float:
        return self.config.bandwidth * self.config.sustained_fraction

    def peak_bytes_per_s(self) -> float:
        return self.config.bandwidth
