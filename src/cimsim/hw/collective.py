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
link latency + ``op_overhead``.

``protocols`` (optional) replaces that latency by a library's protocol regimes, as NCCL's tuning
model states them (NVIDIA/nccl ``src/graph/tuning.cc``: a base latency per algorithm and
protocol, a latency per hop per link type, LL / LL128 / Simple): an all-reduce of ``bytes`` takes
the first protocol whose ``up_to`` holds it; its latency is ``base_latency + steps x
hop_latency + op_overhead`` (the link's own latency is then not added: the hop latency is it) and
its bytes on the link are the moved bytes / ``wire_efficiency`` (LL sends a 4-byte flag with
every 4 bytes of data, LL128 8 bytes of flags per 128-byte line). The thresholds are the config's
statement of which protocol the library picks at which size (NCCL picks by its own model; see
the config that uses them). The local adds are ``(N - 1) / N x elements`` vector work, left
out (they are hidden behind the transfers). The partial tensor is read and the sum written in
the device's memory by the transfers themselves (not charged to a memory level).
"""

from __future__ import annotations

from typing import Literal, Optional

import numpy as np
from pydantic import Field, model_validator

from ..quantity import Bytes, Fraction, PositiveInt, Seconds
from .base import Component, ComponentConfig, OpCost, Plan, Strict


class CollectiveProtocol(Strict):
    """One protocol regime of a collective library (e.g. NCCL's LL, LL128, Simple)."""

    name: str = Field(description="Name of the protocol (reports and notes only).")
    up_to: Optional[Bytes] = Field(default=None, description="Largest all-reduce (bytes per "
                                   "device) run with this protocol (omit on the last: no limit).")
    base_latency: Seconds = Field(description="Fixed latency of one collective with this protocol "
                                  "(NCCL tuning.cc baseLat).")
    hop_latency: Seconds = Field(description="Latency of one step over one link with this protocol "
                                 "(NCCL tuning.cc hwLat of the link type).")
    wire_efficiency: Fraction = Field(default=1.0, description="Data bytes per byte sent on the "
                                      "link (LL 1/2: a flag per 4 data bytes; LL128 120/128).")


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
    protocols: Optional[list[CollectiveProtocol]] = Field(
        default=None, description="Protocol regimes by message size, smallest first, each {name, "
        "up_to [B] (all but the last), base_latency [s], hop_latency [s], wire_efficiency "
        "(fraction, default 1)}: the first whose up_to holds the all-reduce runs it (default: "
        "none, latency = steps x the link's latency).")

    @model_validator(mode="after")
    def _ascending(self) -> CollectiveConfig:
        ps = self.protocols
        if ps is not None:
            if not ps:
                raise ValueError("protocols is empty (omit it for the link's latency)")
            limits = [p.up_to for p in ps[:-1]]
            if any(u is None for u in limits) or any(b <= a for a, b in zip(limits, limits[1:])):
                raise ValueError("protocols: every protocol but the last needs up_to, ascending "
                                 f"(got {[p.up_to for p in ps]})")
        return self


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
        size = ops.act_in_bytes[idx]
        moved = size * (2.0 * (n - 1) / n)
        if self.config.protocols is None:
            latency = np.full(len(idx), self.config.op_overhead
                              + self.steps * self.hw.latency_of(self.link))
        else:
            latency, moved = self._by_protocol(size, moved)
        return OpCost(
            compute_s=np.zeros(len(idx)),
            latency_s=latency,
            bytes={self.link: moved},
            energy={},
        )

    def _by_protocol(self, size, moved):
        """(latency, bytes on the link) of each all-reduce under its size's protocol."""
        ps = self.config.protocols
        limits = np.array([p.up_to for p in ps[:-1]], dtype=np.float64)
        which = np.searchsorted(limits, size, side="left")  # first protocol with size <= up_to
        lat = np.array([p.base_latency + self.steps * p.hop_latency for p in ps]) + self.config.op_overhead
        eff = np.array([p.wire_efficiency for p in ps])
        return lat[which], moved / eff[which]
