"""Collective communication of a tensor-parallel group: the all-reduces between its devices.

A workload generated for one device of a group of ``devices`` (``cimsim workload llm
--tensor-parallel N``) holds its share of every layer and an ``allreduce`` op wherever the
devices' partial sums meet (after attention's output projection and after the FFN's down
projection, Megatron-LM style, Shoeybi et al. 2019). This component runs those ops over a link:

``ring``
    reduce-scatter then all-gather around a ring: each device sends and receives
    ``2 (N - 1) / N x bytes`` over its link in ``2 (N - 1)`` steps, each paying the link's latency
    (Patarasuk and Yuan, J. Parallel Distrib. Comput. 2009: the bandwidth-optimal all-reduce);
``direct``
    every device exchanges with every other at once (an NVSwitch-style full crossbar): the same
    ``2 (N - 1) / N x bytes`` per device, in 2 steps (one latency each).

Time on the link = bytes / the link's bandwidth (the stages apply the rate); latency = steps x
link latency + ``op_overhead``; the local adds are ``(N - 1) / N x elements`` vector work, left
out (they are hidden behind the transfers). The partial tensor is read and the sum written in
the device's memory by the transfers themselves (not charged to a memory level).
"""

from __future__ import annotations

from typing import Literal, Optional

import numpy as np
from pydantic import Field

from ..quantity import PositiveInt, Seconds
from .base import Component, ComponentConfig, OpCost, Plan


class CollectiveConfig(ComponentConfig):
    """The all-reduces of a tensor-parallel group of devices, over one link."""

    type: Literal["collective"] = Field(default="collective", description="Component type.")
    devices: PositiveInt = Field(description="Devices in the tensor-parallel group (N); the "
                                 "workload is one device's share (--tensor-parallel N).")
    link: Optional[str] = Field(default=None, description="The link between the devices "
                                "(default: the architecture's only link).")
    algorithm: Literal["ring", "direct"] = Field(
        default="ring", description="ring: 2(N-1) steps around a ring; direct: every pair at once "
        "(full crossbar, 2 steps). Both move 2(N-1)/N x bytes per device.")
    op_overhead: Seconds = Field(default="0 s", description="Launch cost of one collective.")


class Collective(Component):
    type_name = "collective"
    Config = CollectiveConfig
    priority = 30
    label = "collective"

    @property
    def link(self) -> Optional[str]:
        return self.hw.link_named(self.config.link)

    def check(self):
        return self.hw.link_errors("link", self.link, "the devices of the group")

    def claim(self, ops, free):
        return free & (ops.kind == ops.kind_codes["allreduce"])

    def place(self, ops, idx):
        return Plan.one_server(len(idx))

    @property
    def steps(self) -> int:
        n = self.config.devices
        return 2 * (n - 1) if self.config.algorithm == "ring" else (2 if n > 1 else 0)

    def cost(self, ops, idx, plan):
        n = self.config.devices
        moved = ops.act_in_bytes[idx] * (2.0 * (n - 1) / n)
        return OpCost(
            compute_s=np.zeros(len(idx)),
            latency_s=np.full(len(idx), self.config.op_overhead
                              + self.steps * self.hw.latency_of(self.link)),
            bytes={self.link: moved},
            energy={},
        )
