"""What a component's :meth:`~cimsim.hw.base.Component.place` and
:meth:`~cimsim.hw.base.Component.cost` return (:class:`Plan`, :class:`OpCost`) and the helpers
that build them (:func:`row_pieces`, :func:`add_stored`). Re-exported by :mod:`cimsim.hw.base`,
where plug-ins import them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..workload.oparrays import OpArrays

#: the op column (:attr:`Plan.op_columns`) True for ops whose compute time is a measured
#: table's (a processor's ``mac_efficiency``): it holds the kernel's weight streaming too
MEASURED_COMPUTE = "measured_compute"
#: what the report says beside a bound whose compute time is mostly measured
MEASURED_BOUND_DETAIL = "measured table: includes weight streaming"


@dataclass
class Plan:
    """Placement data of one component (arrays aligned with the op indices it runs)."""

    server: np.ndarray  # int64 local server of each op, 0 .. n_servers - 1
    n_servers: int
    #: the op's transfers must finish before its compute starts (e.g. a GEMV whose single
    #: input vector must arrive first); otherwise compute overlaps the transfers
    serial: np.ndarray
    notes: list[str] = field(default_factory=list)
    #: scalar facts for the report (e.g. arrays needed, re-programs), by result field name
    summary: dict[str, object] = field(default_factory=dict)
    #: extra per-op columns for the op table (bool or numeric arrays)
    op_columns: dict[str, np.ndarray] = field(default_factory=dict)
    #: anything the component's own cost() needs (private to the component)
    state: dict[str, object] = field(default_factory=dict)
    #: a name per server (e.g. the layer a pipeline stage runs), for throughput reports;
    #: default ``<component>`` (``<component>#i`` when it has several servers)
    server_labels: list[str] = field(default_factory=list)
    #: what programming what the component holds before the run takes (stationary weights:
    #: deployment, in neither the run's energy nor its latency): an object with ``energy_j`` (J)
    #: and ``time_s(rates)`` (s; ``rates``: sustained B/s by resource name), e.g.
    #: :class:`cimsim.hw.cim.programming.Deployment`; optionally ``volatile`` (default True: the
    #: weights are lost at power-off and the first call programs them again, ``power_up_latency_s``;
    #: False: cells that keep them); None: nothing to program. Only a class
    #: with ``programs_weights = True`` may set it (the results then carry the programming
    #: columns); from any other the plan is refused
    programming: object | None = None
    #: bool per server, True where the server runs its ops in program order: each waits for
    #: the one listed before it on the server, even where a later one is ready first (the
    #: engines' rule otherwise: an idle server takes its lowest-index *ready* op). For a server
    #: whose state depends on the order its ops run in, decided at placement (CIM arrays
    #: re-programmed as an LRU cache over program order); None: none. Where the order matters
    #: (``in_order_check``) the stages make it a dependency
    #: (:meth:`cimsim.mapping.placement.Placement.predecessors`, rule 6 there), so every engine
    #: runs it the same way; the dependency critical path leaves it out.
    in_order: np.ndarray | None = None
    #: the ops (workload indices) whose dispatch costs nothing only because the component's
    #: ``op_overhead`` is left at its unstated 0 s default; the report names the field with the
    #: latency the host's stated ``op_overhead`` per op would give (None: none)
    free_dispatch: np.ndarray | None = None
    #: per in-order server (by its number in this plan), a callable given the server's ops
    #: (indices into the component's ops) in the order an engine started them without the
    #: order, True where that order leaves the state as decided (every swap run was charged):
    #: the order is then not imposed (it would only delay ops). A server without one is
    #: always in order.
    in_order_check: dict | None = None
    #: home level -> the weight bytes its ops read from it in one run, for a component that
    #: reads its weights through cache levels it may keep them in (a processor:
    #: :attr:`cimsim.hw.hierarchy.HierarchyTraffic.home_weight_bytes`); empty: none said. What
    #: a run at a short period (``--period``) weighs as a cold call's weight reads
    home_weight_bytes: dict[str, float] = field(default_factory=dict)

    @classmethod
    def one_server(cls, n_ops: int, **kw) -> "Plan":
        """Every op on one server, none serial (a unit that runs one op at a time)."""
        return cls(server=np.zeros(n_ops, dtype=np.int64), n_servers=1,
                   serial=np.zeros(n_ops, dtype=bool), **kw)


def row_pieces(rows, compute_s=None, last_s=None) -> np.ndarray:
    """:attr:`OpCost.pieces` of ops that stream activation rows: the transfers in ``rows``
    pieces (one row's input and output each, at least one); the compute in ``rows`` pieces,
    or, given the op's ``compute_s`` and ``last_s``, the time its last row computes after
    arriving (e.g. one vector on a weight copy, or one row's share of a buffer every copy
    shares: weight copies shorten only the first), in ``compute_s / last_s`` pieces (the
    engine then adds ``last_s``; inf where ``last_s`` is 0: nothing computes after)."""
    rows = np.asarray(rows, dtype=np.float64)
    if not (rows >= 0).all():  # NaN fails too
        raise ValueError("row_pieces: rows must be numbers >= 0")
    r = np.maximum(rows, 1.0)  # a zero-row op moves and computes as one piece
    if (compute_s is None) != (last_s is None):
        raise ValueError("row_pieces: give compute_s and last_s together (the last row's compute "
                         "is a part of the op's), or neither (the compute in rows pieces)")
    if compute_s is None:
        return np.column_stack([r, r])
    c, last = np.broadcast_arrays(np.asarray(compute_s, dtype=np.float64),
                                  np.asarray(last_s, dtype=np.float64))
    if not ((last >= 0) & (c >= 0)).all():
        raise ValueError("row_pieces: compute_s and last_s must be times >= 0 s")
    if (last > c * (1 + 1e-12)).any():
        raise ValueError("row_pieces: a last row cannot compute longer than the whole op")
    with np.errstate(divide="ignore", invalid="ignore"):
        pc = np.where(last > 0, np.maximum(c / np.where(last > 0, last, 1.0), 1.0), np.inf)
    return np.column_stack([r, pc])


def add_stored(ops: OpArrays, idx, backing: str, nbytes: dict, writes: dict, scale=1.0) -> None:
    """Charge the bytes the ops ``idx`` also store (:attr:`OpArrays.store_bytes`, a KV-cache
    append) as writes to ``backing`` (:attr:`Hardware.store_target`), in place: for a component
    whose outputs reach the host (PIM, an array over a link), which writes them; ``scale``
    (per op): bytes in the component's number format per byte of the ops' dtype."""
    store = ops.stored(idx)
    if store is None:
        return
    store = store * scale
    nbytes[backing] = nbytes.get(backing, 0.0) + store
    writes[backing] = writes.get(backing, 0.0) + store


@dataclass
class OpCost:
    """Per-op costs of one component (arrays aligned with its op indices)."""

    compute_s: np.ndarray  # time busy on the op's server, s
    latency_s: np.ndarray  # fixed delay after the work (dispatch, access latency), s
    bytes: dict[str, np.ndarray]  # resource name -> bytes the op moves over it
    energy: dict[str, np.ndarray]  # energy part -> J (parts from Component.energy_parts)
    #: busy time for utilization (e.g. array-seconds), by utilization name
    busy: dict[str, np.ndarray] = field(default_factory=dict)
    #: seconds of ``compute_s`` spent in named parts of the component (e.g. a CIM chip's
    #: buffers and interconnect), by a part of :attr:`Component.compute_parts`; the report
    #: splits the critical path's compute time by them (``bound_part``)
    compute_parts: dict[str, np.ndarray] = field(default_factory=dict)
    #: resource name -> seconds the op holds that resource at its full rate without moving
    #: bytes the report counts (e.g. PIM in all-bank mode, whose bank work blocks the host's
    #: accesses); the stages charge the engine ``hold_s x rate`` bytes, no energy, and the
    #: DES gives the op's transfer on that resource the resource alone (others queue behind
    #: it, non-preemptive: :func:`cimsim.pipeline.engine_rules`)
    hold_s: dict[str, np.ndarray] = field(default_factory=dict)
    #: resource name -> the part of ``bytes`` on it that are writes (the rest are reads; a
    #: resource missing here is read only). On a memory level a write moves bytes into the
    #: level (a WR burst on its bus: an output stored there, an operand written into PIM
    #: units), a read moves bytes out; on a link a read is a byte the component takes in, a
    #: write one it sends out. The stages derive each op's read fraction per resource from it
    #: (:func:`cimsim.pipeline.pattern_scale`: read/write turnarounds on a ``type: dram`` level)
    write_bytes: dict[str, np.ndarray] = field(default_factory=dict)
    #: ``(m, 2)`` numbers >= 1, per op that is not serial: the pieces its transfers and its
    #: compute are pipelined in (e.g. activation rows: the first row's input arrives before
    #: it computes, the last row's compute follows its input: the engine's "Pieces" rule,
    #: :func:`row_pieces`); None: they overlap entirely (``inf``)
    pieces: np.ndarray | None = None
    #: resource name -> bool per op: its transfer on that resource runs *ahead* of the op's
    #: other transfers, which start when it is through (an input that must arrive first, as a
    #: CIM op's input over the chip link before its output leaves over the host link:
    #: :mod:`cimsim.hw.cim.chips` rule 3); the op's transfers then take the ahead ones'
    #: slowest plus the others' slowest, not the slowest of all (the engine's "Ahead" rule)
    ahead: dict[str, np.ndarray] = field(default_factory=dict)
    #: the part of ``latency_s`` that is the op's dispatch (its ``op_overhead``), per op; the
    #: rest is its access latency. A launch group pays its principal op's dispatch and its
    #: ops' largest access latency (:func:`cimsim.cost.table._launch_latency`); None: one
    #: dispatch for all the component's ops, so the group's largest ``latency_s`` is that
    dispatch_s: np.ndarray | None = None
