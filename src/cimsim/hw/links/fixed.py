"""``type: fixed`` (the default): a point-to-point link that sustains ``bandwidth x
sustained_fraction`` whatever the access pattern."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..base import RATE, STREAM, BytesPerSecond, Fraction, Link, LinkResource, Pattern


class FixedLink(Link):
    """A link with one sustained bandwidth."""

    type: Literal["fixed"] = Field(default="fixed", description="Resource type: fixed (bandwidth x "
                                   "sustained fraction).")
    bandwidth: BytesPerSecond = Field(description="Peak bandwidth, shared by both directions "
                                      "(an op's inputs and outputs over it add up): a full-duplex "
                                      "link's per-direction figure gives an upper bound on its "
                                      "time, its two directions' total a lower bound.",
                                      json_schema_extra=RATE)
    sustained_fraction: Fraction = Field(default=1.0, description="Fraction of peak bandwidth sustained.",
                                         json_schema_extra=RATE)

    @property
    def effective_bandwidth(self) -> float:
        return self.bandwidth * self.sustained_fraction


class Fixed(LinkResource):
    type_name = "fixed"
    pattern_free = True  # the same rate whatever the access pattern
    Config = FixedLink

    def bytes_per_s(self, pattern: Pattern = STREAM) -> float:
        return self.config.bandwidth * self.config.sustained_fraction

    def peak_bytes_per_s(self) -> float:
        return self.config.bandwidth
