"""Communication between the devices of a group: all-reduce, all-gather and send/recv over a
link topology.

A workload generated for one device of a tensor-parallel group of ``devices`` (``cimsim
workload llm --tensor-parallel N``) holds its share of every layer and an ``allreduce`` op
wherever the devices' partial sums meet (after attention's output projection and after the
FFN's down projection, Megatron-LM style, Shoeybi et al. 2019); a pipeline-parallel run
(``--pipeline-parallel N``) holds a ``sendrecv`` op wherever the hidden state passes from one
stage's device to the next; ``allgather`` gathers every device's shard on all of them. This
component runs those ops over ``link``, each device having one such link to each neighbour of
the ``topology`` (``S``: the op's tensor, the whole of it; ``B``: the link's bandwidth, applied
by the stages; ``alpha``: the link's latency, paid once per step):

=========  ==========================================  =========================================
topology   all-reduce                                  all-gather (half of it) / send-recv
=========  ==========================================  =========================================
ring       ``2 (p-1)/p S/B + 2 (p-1) alpha``:          ``(p-1)/p S/B + (p-1) alpha``
           reduce-scatter then all-gather around a
           ring (Patarasuk and Yuan, JPDC 2009: the
           bandwidth-optimal all-reduce)
switch     ``2 (p-1)/p S/B + 2 alpha``: every device   ``(p-1)/p S/B + alpha``
           on one link to a non-blocking switch
           (NVSwitch-style full connectivity): the
           same bytes per device, in one step each
mesh       ``a x b`` devices (``mesh: [a, b]``), each  ``((a-1)/a + (b-1)/(ab)) S/B
           row and column a ring (a 2-D torus):        + (a-1 + b-1) alpha``
           reduce-scatter along the rows, all-reduce
           of the ``S/a`` shards along the columns,
           all-gather along the rows (the 2-D
           algorithm of TPU pods, Ying et al. 2018):
           ``2 ((a-1)/a + (b-1)/(ab)) S/B
           + 2 (a-1 + b-1) alpha``
mesh2d     ``a x b`` devices without wraparound (a     as mesh
           wafer's regions): each row and column a
           line, each phase run both ways at once
           (a device sends its partials or shards to
           both neighbours and forwards what comes
           in, farthest first): a line of ``n`` takes
           ``(n-1)/n S/B + (n-1) alpha`` a phase, a
           ring's (the end link carries ``n-1``
           shards one way; the last arrives after
           ``n-1`` hops, pipelined), so the same
           closed form as mesh
=========  ==========================================  =========================================

A ``sendrecv`` is one hop on every topology: ``S/B + alpha`` (pipeline stages sit on
neighbouring devices). ``B`` is the link's rate each way (full duplex, as a ring's). Time on the link = bytes / the link's bandwidth (the stages apply the
rate); latency = steps x link latency + ``op_overhead``.

``protocols`` (optional) replaces an all-reduce's latency by a library's protocol regimes, as
NCCL's tuning model states them (NVIDIA/nccl ``src/graph/tuning.cc``: a base latency per
algorithm and protocol, a latency per hop per link type, LL / LL128 / Simple): an all-reduce of
``bytes`` takes the first protocol whose ``up_to`` holds it; its latency is ``base_latency +
steps x hop_latency + op_overhead`` (the link's own latency is then not added: the hop latency is
it) and its bytes on the link are the moved bytes / ``wire_efficiency`` (LL sends a 4-byte flag
with every 4 bytes of data, LL128 8 bytes of flags per 128-byte line). The thresholds are the
config's statement of which protocol the library picks at which size (NCCL picks by its own
model; see the config that uses them). All-gathers and send/recvs keep the link's latency. The
local adds of an all-reduce are ``(p - 1) / p x elements`` vector work, left out (hidden behind
the transfers; the op's ``vector_ops`` column counts one add per element, the kind's count
without ``p``, and costs nothing). The tensors are read and written in the devices' memory
(:meth:`Collective.memory_traffic`: the input read, the output written, on the levels the
hierarchy's rules 2 and 3 give any op's activations; find-E 4: before, charged to no level);
the op's time is the slowest of the link's and the memory's.
"""

from __future__ import annotations

from typing import Literal, Optional

import numpy as np
from pydantic import Field, model_validator

from ..dtypes import DTYPE_BYTES
from ..errors import MappingError, involving
from ..quantity import Bytes, Fraction, PositiveInt, Seconds
from .base import Component, ComponentConfig, OpCost, Plan, Strict
from .hierarchy import staged_traffic
from .parts.communication import COMMUNICATION_KINDS  # the op kinds this component runs


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
    """All-reduces, all-gathers and send/recvs of a group of devices, over a link topology."""

    type: Literal["collective"] = Field(default="collective", description="Component type.")
    devices: PositiveInt = Field(description="Devices in the group (p): the tensor-parallel "
                                 "group of the all-reduces (--tensor-parallel N); in a run "
                                 "pipeline parallel only, its stages (--pipeline-parallel N).")
    link: Optional[str] = Field(default=None, description="The link between neighbouring "
                                "devices (default: the architecture's only link).")
    topology: Literal["ring", "switch", "mesh", "mesh2d"] = Field(
        default="ring", description="ring: 2(p-1) steps around a ring; switch: every device on "
        "one link to a non-blocking switch (NVSwitch-style), 2 steps; mesh: a x b devices, rows "
        "and columns rings (2-D torus), 2(a-1+b-1) steps; mesh2d: a x b devices without "
        "wraparound (a wafer's regions), rows and columns lines run both ways, the same "
        "2(a-1+b-1) steps. An all-reduce moves 2(p-1)/p x bytes per device on ring and switch, "
        "2((a-1)/a + (b-1)/(ab)) x bytes on mesh and mesh2d.")
    mesh: Optional[list[PositiveInt]] = Field(
        default=None, description="topology: mesh or mesh2d: its rows and columns [a, b], a x b "
        "= devices.")
    op_overhead: Seconds = Field(default="0 s", description="Launch cost of one collective.")
    partial_sum_bits: Optional[PositiveInt] = Field(
        default=None, description="Bits per element [bit] an all-reduce of an integer tensor "
        "(int8 row-parallel partial sums) sends: 16 where they are dequantised to fp16 / bf16 "
        "first (SmoothQuant, TensorRT-LLM), 32 for raw int32 accumulators; default none: the "
        "tensor's own dtype (1 B an int8 element, a lower bound); below that width refused. Float "
        "all-reduces and integer ones not made by a matmul (token ids) keep theirs.")
    levels: Optional[list[str]] = Field(
        default=None, description="The memory levels, innermost first, that hold the tensors the "
        "group's ops read and write in each device's memory (its input and output; hierarchy rules "
        "2, 3 and 9, as a processor's copy of them: the innermost level that holds both, else the "
        "home); default: every memory level of the architecture.")
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
                got = ", ".join("none" if p.up_to is None else f"{p.up_to:g} B" for p in ps)
                raise ValueError(f"protocols: every protocol but the last needs up_to, ascending "
                                 f"(got {got})")
            names = [p.name for p in ps]
            if len(set(names)) != len(names):
                raise ValueError(f"protocols: each needs a name of its own (got {', '.join(names)})")
            if ps[-1].up_to is not None:  # it would be ignored: the last runs every larger one
                raise ValueError(f"protocols: the last protocol ({ps[-1].name}) runs every "
                                 f"all-reduce above the others' up_to, so it takes no up_to "
                                 f"(got {ps[-1].up_to:g} B); omit it, or add a protocol for "
                                 "the larger all-reduces")
        return self

    @model_validator(mode="after")
    def _mesh_shape(self):
        if self.topology in ("mesh", "mesh2d"):
            if self.mesh is None or len(self.mesh) != 2:
                raise ValueError(f"topology: {self.topology} needs mesh: [a, b] (rows and "
                                 f"columns), got {self.mesh}")
            if self.mesh[0] * self.mesh[1] != self.devices:
                raise ValueError(f"mesh {list(self.mesh)} has {self.mesh[0] * self.mesh[1]} "
                                 f"devices, devices is {self.devices}")
        elif self.mesh is not None:
            raise ValueError(f"mesh goes with topology: mesh or mesh2d (topology is "
                             f"{self.topology})")
        return self


class Collective(Component[CollectiveConfig]):
    type_name = "collective"
    Config = CollectiveConfig
    priority = 30
    reads_far_tier = True
    accuracy_arithmetic = "exact"
    label = "collective"
    #: a collective is links (NVLink, a ring), no die of its own: 0 dies, never costed
    own_silicon = False
    #: ``busy``: the share of the run the collective has an all-reduce or send in flight
    utilizations = ("busy",)

    @property
    def link(self) -> Optional[str]:
        return self.hw.link_named(self.config.link)

    @property
    def levels(self) -> list[str]:
        return list(self.config.levels) if self.config.levels else list(self.hw.memory)

    def check(self):
        bad = [lv for lv in self.config.levels or [] if lv not in self.hw.memory]
        if bad:
            return [(involving("levels", "memory"), f"names no memory level {bad}; the architecture has "
                     f"{list(self.hw.memory)}")]
        return self.hw.link_errors("link", self.link, "the devices of the group")

    def workload_errors(self, metadata):
        """A workload written as one device's share of a tensor-parallel group of N (its
        ``params.tensor_parallel``) needs a group of N: its all-reduces' bytes and steps are
        the group's. A pipeline-only workload (``params.pipeline_parallel`` P > 1, no tensor
        parallelism) is one device per stage: the group is its P stages (no number depends on
        it, a send is one hop whatever the group, but a group of another size contradicts the
        workload)."""
        params = metadata.get("params") if isinstance(metadata, dict) else None
        params = params if isinstance(params, dict) else {}
        tp, pp, p = params.get("tensor_parallel"), params.get("pipeline_parallel"), self.config.devices
        if isinstance(tp, int) and tp > 1 and tp != p:
            return [f"{self.name}.devices is {p}, but the workload is one "
                    f"device's share of tensor parallelism {tp}: set {self.name}.devices={tp}, "
                    f"or generate the workload with --tensor-parallel {p}"]
        if (isinstance(pp, int) and pp > 1 and not (isinstance(tp, int) and tp > 1)
                and pp != p):
            return [f"{self.name}.devices is {p}, but the workload is pipeline parallel over "
                    f"{pp} stages (params.pipeline_parallel, one device each, no tensor "
                    f"parallelism): set {self.name}.devices={pp}, or generate the workload with "
                    f"--pipeline-parallel {p}"]
        return []

    def claim(self, ops, free):
        return free & np.isin(ops.kind, [ops.kind_codes[k] for k in COMMUNICATION_KINDS])

    def claim_note(self, ops, free, took):
        """A group of devices whose workload has no collective op runs one device's work: said,
        so a run of a one-device workload on a multi-device config is not read as the group's.
        All-reduces of an integer tensor without ``partial_sum_bits``: said (find-B 3)."""
        if took.any():
            mine = np.flatnonzero(took)
            ints = self._int_allreduce(ops, mine, ops.kind[mine])
            if self.config.partial_sum_bits is not None or not ints.any():
                return None
            dt = sorted(set(np.asarray(ops.dtype[mine][ints]).astype(str).tolist()))
            return (f"{self.name}: {int(ints.sum()):,} all-reduce(s) of {', '.join(dt)} partial "
                    f"sums move at {', '.join(dt)}'s width, a lower bound (int8 tensor parallelism "
                    "dequantises them to fp16 / bf16 first, or sums int32): set "
                    f"{self.name}.partial_sum_bits (16 or 32)")
        return (f"{self.name} ({self.config.devices} devices) runs no op: the workload has no "
                "all-reduce, all-gather or send/recv, so it is one device's run (generate it with "
                "--tensor-parallel / --pipeline-parallel for the group's)")

    def place(self, ops, idx):
        """Every communication op on one server (the group's link runs one collective at a
        time), none serial; with the bytes each reads and writes in the devices' memory
        (:meth:`memory_traffic`)."""
        return Plan.one_server(len(idx), state={"memory": self.memory_traffic(ops, idx)})

    def memory_traffic(self, ops, idx) -> tuple[dict, dict]:
        """``(bytes, write_bytes)`` by memory level per op of ``idx``: the tensor a device sends
        is read from its memory and the one it receives written into it (GPUDirect RDMA's NIC
        reads the sender's HBM and writes the receiver's; NCCL's kernels read the all-reduce's
        input and write its output there), charged as the hierarchy charges any op's
        activations (:func:`~.hierarchy.staged_traffic`: the innermost of :attr:`levels` holding
        input and output, else the home; a model input read from the home), each pipeline
        stage its own device. A library's staging buffers (NCCL's FIFOs, each byte received
        written and read back once more) are not counted: a lower bound."""
        levels = self.levels
        mem = [self.hw.resource(lv) for lv in levels]
        far = self.hw.home_tiers[0] != self.hw.backing_store and levels[-1] == self.hw.backing_store
        t = staged_traffic(ops, idx, levels, [float(m.config.capacity) for m in mem],
                           [0.0] * len(levels), far, mem[-1].config.place if far else None)
        return t.bytes, t.write_bytes

    def all_gather(self) -> tuple[float, int]:
        """(bytes moved per device per byte of the whole tensor, steps) of an all-gather; an
        all-reduce is a reduce-scatter and an all-gather: twice both."""
        p, topo = self.config.devices, self.config.topology
        if p == 1:
            return 0.0, 0
        if topo == "ring":
            return (p - 1) / p, p - 1
        if topo == "switch":
            return (p - 1) / p, 1
        a, b = self.config.mesh
        return (a - 1) / a + (b - 1) / (a * b), (a - 1) + (b - 1)

    def per_kind(self) -> dict[str, tuple[float, int]]:
        """kind -> (bytes moved per device per byte of the op's tensor, steps)."""
        f, s = self.all_gather()
        return {"allreduce": (2 * f, 2 * s), "allgather": (f, s), "sendrecv": (1.0, 1)}

    def cost(self, ops, idx, plan):
        """Per op: no compute; ``bytes`` on the link = the tensor x :meth:`per_kind`'s factor;
        ``latency_s`` = steps x the link's latency + ``op_overhead`` (under ``protocols``, an
        all-reduce's protocol's latency and wire bytes instead). A topology subclass overrides
        :meth:`all_gather`, not this."""
        kind = ops.kind[idx]
        factor, steps = np.zeros(len(idx)), np.zeros(len(idx))
        for name, (f, s) in self.per_kind().items():
            sel = kind == ops.kind_codes[name]
            factor[sel], steps[sel] = f, s
        # the whole tensor: the partial of an all-reduce (input), the gathered one (output) of an
        # all-gather, the tensor sent (input) of a send/recv
        gather = kind == ops.kind_codes["allgather"]
        p = self.config.devices
        off = gather & (ops.act_out_bytes[idx] != p * ops.act_in_bytes[idx])
        if off.any():  # one shard per device: the workload's sizes and the group's disagree
            i = int(idx[np.flatnonzero(off)[0]])
            what = ("" if ops.act_ptr is None or ops.act_ptr[i] == ops.act_ptr[i + 1]
                    else f" of '{ops.tensor_names[int(ops.act_ids[ops.act_ptr[i]])]}'")
            raise MappingError(
                f"{self.name}: an all-gather{what} outputs {ops.act_out_bytes[i]:.0f} B from a "
                f"{ops.act_in_bytes[i]:.0f} B shard, not {self.name}.devices = {p} shards; set "
                f"{self.name}.devices to the group the workload was written for")
        size = np.where(gather, ops.act_out_bytes[idx], ops.act_in_bytes[idx])
        size = self._partial_sums(ops, idx, kind, size)
        scale = self._partial_sums(ops, idx, kind, np.ones(len(idx)))  # int partial sums' width
        moved = size * factor
        latency = self.config.op_overhead + steps * self.hw.latency_of(self.link)
        if self.config.protocols is not None:
            ar = kind == ops.kind_codes["allreduce"]
            latency, moved = np.array(latency, dtype=np.float64), moved.copy()
            latency[ar], moved[ar] = self._by_protocol(size[ar], moved[ar], steps[ar])
        held, written = plan.state.get("memory") or ({}, {})
        nbytes = {lv: b * scale for lv, b in held.items()}
        return OpCost(
            compute_s=np.zeros(len(idx)),
            latency_s=latency,  # the levels' access latency hides under the link's
            bytes={**nbytes, self.link: moved},
            write_bytes={lv: b * scale for lv, b in written.items()},
            energy={},
        )

    def _int_allreduce(self, ops, idx, kind) -> np.ndarray:
        """Which ops of ``idx`` are all-reduces of integer partial sums: an integer tensor made
        by a matmul (or a model input, its maker unknown); not one another op made, as the
        LLM's sampled token ids (an int8 [1, 1] all-reduce of the sampling reduction's output:
        review B 6). Without the producer columns, every integer all-reduce."""
        dt = np.asarray(ops.dtype[idx]).astype(str)
        on = (kind == ops.kind_codes["allreduce"]) & np.char.startswith(dt, "int")
        if ops.producer is None or ops.act_ptr is None or not on.any():
            return on
        ptr = ops.act_ptr[idx]
        has = ops.act_ptr[idx + 1] > ptr
        prod = np.full(len(idx), -1, dtype=np.int64)
        prod[has] = ops.producer[ops.act_ids[ptr[has]]]
        made = np.ones(len(idx), dtype=bool)
        made[prod >= 0] = ops.kind[prod[prod >= 0]] == ops.kind_codes["matmul"]
        return on & made

    def _partial_sums(self, ops, idx, kind, size):
        """``size`` with each integer all-reduce's bytes at ``partial_sum_bits`` an element."""
        bits = self.config.partial_sum_bits
        if bits is None:
            return size
        size = np.asarray(size, dtype=np.float64).copy()
        on = self._int_allreduce(ops, idx, kind)
        dt = np.asarray(ops.dtype[idx]).astype(str)
        for name in set(dt[on].tolist()):
            if bits < 8 * DTYPE_BYTES[name]:
                raise MappingError(
                    f"{self.name}.partial_sum_bits: {bits} is below the {name} partial sums' own "
                    f"{8 * DTYPE_BYTES[name]:g} bits (a sum is never narrower than its terms); "
                    f"allowed: at least {8 * DTYPE_BYTES[name]:g} (16 for fp16 / bf16, 32 for "
                    "int32), or omit it")
            sel = on & (dt == name)
            size[sel] *= (bits / 8) / DTYPE_BYTES[name]
        return size

    def _by_protocol(self, size, moved, steps):
        """(latency, bytes on the link) of each all-reduce under its size's protocol."""
        ps = self.config.protocols
        limits = np.array([p.up_to for p in ps[:-1]], dtype=np.float64)
        which = np.searchsorted(limits, size, side="left")  # first protocol with size <= up_to
        base = np.array([p.base_latency for p in ps])
        hop = np.array([p.hop_latency for p in ps])
        eff = np.array([p.wire_efficiency for p in ps])
        return base[which] + steps * hop[which] + self.config.op_overhead, moved / eff[which]
