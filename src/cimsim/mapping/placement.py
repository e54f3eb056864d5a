"""Placement: which component runs each op, and each component's placement data.

Rules, in order:

1. A workload with no ops, or whose weights, KV caches and activations live at once
   (:attr:`~cimsim.workload.ir.Workload.footprint`: every layer's cache resident through
   its iteration, activations in program order) exceed the backing store's capacity (the
   last memory level), is refused; when a component holds the KV cache in a memory of its own
   (:meth:`~cimsim.hw.base.Component.cache_memory`: a separate PIM device), the cache is held
   to that memory and the rest to the backing store.
2. Components claim ops in priority order (higher first): each takes, from the
   ops no one has claimed yet, those its type claims
   (:meth:`cimsim.hw.base.Component.claim`): CIM arrays every matmul with a
   stationary weight, a systolic array every matmul, near-bank PIM the
   GEMV-shaped ones with a stationary weight, the processor everything left.
   Components of equal priority (two of one type, or CIM beside a collective)
   must claim disjoint ops: one op both would claim is an error naming them, for
   which would run it is nothing but their order in the config (the first would
   take every such op and the second none; no op is split between them).
   A component's note on the ops its limits kept from it (PIM's ``max_rows``) comes
   first among the run's notes.
3. An op no component claims is an error naming the op and its kind.
4a. A convolution that a component building its sliding windows from the raw input runs
   (:attr:`builds_windows` true: ``cim.input_reuse`` on a flat CIM pool, ``tpu.input_reuse``)
   reads that input from memory, not the im2col matrix: the copy forming the matrix (tag
   ``part: im2col``) moves nothing and runs no kernel wherever it was claimed
   (:func:`~cimsim.hw.im2col.windows_built`, ``OpArrays.windows_built``), and the convolution's
   activation reads (``act_ids``) are the copy's inputs, so rule 4 reads a spilled one back. Before 2026-12-07
   the host formed the whole matrix and the device read it back (find-D 1). The engines run
   such a copy on its convolution's server (:attr:`Placement.run_server`), in no time, so the
   convolution waits for the copy's inputs only, not behind its unit's earlier ops; and rule 1
   holds the footprint with the matrix left out (the copy's input live through the
   convolution), checked once the claims are known.
4. The tensors a component writes to the backing store, where they stay
   (:meth:`~cimsim.hw.base.Component.backing_outputs`: a host's outputs its levels cannot
   hold), are marked (``OpArrays.backed``): another component's op reading one has the host
   read it back from there (hierarchy rule 7). So are the tensors another component's op
   made that such a host op reads (``OpArrays.landed``): they are written there first,
   charged on the op that made them (hierarchy rule 8). So are the ops of a component the host
   fetches model inputs for (``OpArrays.via_host``: a CIM, a systolic array), whose first read
   of one leaves it in the host's levels (hierarchy rule 3).
5. Each component then places its own ops (:meth:`~cimsim.hw.base.Component.place`):
   engine servers, serial ops, weight residency, re-programming, notes.
   Servers are numbered component by component, in config order.
6. A server a component marks in order (:attr:`~cimsim.hw.base.Plan.in_order`: CIM arrays
   re-programmed as an LRU cache decided over program order) runs its ops in program order
   where the order matters: the engine runs without it first; where the order it ran such a
   server's ops in (the DES: as they started; the analytic engine: the server alone
   list-scheduled over its ops' dependency-earliest starts, :func:`server_run_order`) leaves the state other than decided (:attr:`Plan.in_order_check`:
   :meth:`Placement.order_needed`; the LRU replayed over it re-programs other ops than
   charged), each op there also depends on the one listed before it on that server
   (:meth:`Placement.predecessors`) and the engine runs again. Where it ran them as charged
   the unordered run stands (the order would only delay ops: two co-located TCNs' single-use
   matrices, 318.6 instead of 486.5 us). The critical path is the workload's, without these.

This stage never names a device: it loops over the architecture's components.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field, replace

import numpy as np

from ..config import Architecture
from ..errors import CapacityError, ComponentError, MappingError, RateFieldError
from ..hw.base import Component, OpArrays, Plan
from ..hw.im2col import windows_built, windows_note
from .capacity import check_capacity
from .unused_links import unused_link_notes
from ..units import capacity_text, si
from ..workload.arrays import crossing_on_chip, with_bytes_of
from ..workload.footprint import checked_footprint
from ..workload.graph import with_server_order
from ..workload.ir import Workload


def server_run_order(ops: np.ndarray, start: np.ndarray, duration: np.ndarray) -> np.ndarray:
    """The order one server runs ``ops`` (ascending op indices) in by the DES's rule, alone:
    once idle it takes the lowest-index op among those whose dependency-earliest ``start``
    (s) has passed, each holding it ``duration`` s. One heap pass, O(n log n)."""
    ready = ops[np.lexsort((ops, start[ops]))].tolist()
    t, k, heap, out = 0.0, 0, [], []
    while k < len(ready) or heap:
        if not heap and start[ready[k]] > t:
            t = float(start[ready[k]])
        while k < len(ready) and start[ready[k]] <= t:
            heapq.heappush(heap, ready[k])
            k += 1
        i = heapq.heappop(heap)
        out.append(i)
        t += float(duration[i])
    return np.array(out, dtype=np.int64)


@dataclass
class Placement:
    """Where each op runs (arrays over ops, in workload order) and each component's plan."""

    components: tuple[Component, ...]  # the architecture's components, in config order
    component: np.ndarray  # int64: index into ``components`` of each op's component
    idx: list[np.ndarray]  # per component: the op indices it runs (program order)
    plans: list[Plan | None]  # per component (None when it runs no op)
    server: np.ndarray  # int64: global engine server of each op
    serial: np.ndarray  # bool: the op's transfers finish before its compute starts
    n_servers: int
    notes: list[str] = field(default_factory=list)
    #: bool per global server: it runs its ops in program order (:attr:`Plan.in_order`)
    in_order: np.ndarray | None = None
    #: the notes of components on ops their config's limits kept from them (first in ``notes``)
    claim_notes: list[str] = field(default_factory=list)
    #: the op columns the components placed (and cost) these ops with: the workload's
    #: (``Workload.arrays``), but for tensors kept on chip that cross units (their bytes again)
    arrays: object = None
    #: the bytes live at once that the capacity check held (:func:`checked_footprint`), the
    #: backing store's capacity they were held to (whole bytes) and whether a device of its own
    #: held the KV caches (they are then no part of what the backing store holds)
    footprint: Footprint | None = None
    capacity_bytes: int = 0
    cache_apart: bool = False
    #: per in-order global server, its plan's check (:attr:`Plan.in_order_check`) and the
    #: component's index
    order_checks: dict = field(default_factory=dict)
    #: ``(conv, copy, cols)`` int64: the convolutions whose im2col copies rule 4a folded
    folded: tuple = ()
    _ordered: dict = field(default_factory=dict, repr=False, compare=False)

    def predecessors(self, workload: Workload,
                     servers: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The dependency CSR the engines run: the workload's (``Workload.predecessors``) and,
        on the in-order ``servers`` (bool per server; None: every in-order one, rule 6), each
        op after the one listed before it there (kept for the next run of this workload)."""
        indptr, indices = workload.predecessors
        on = self.in_order if servers is None or self.in_order is None else self.in_order & servers
        if on is None or not on.any():
            return indptr, indices
        key = (id(workload), on.tobytes())
        if key not in self._ordered or self._ordered[key][0] is not workload:
            self._ordered[key] = (workload, with_server_order(indptr, indices, self.server, on))
        return self._ordered[key][1]

    def order_needed(self, start: np.ndarray, done: np.ndarray,
                     duration: np.ndarray | None = None) -> np.ndarray:
        """Bool per server: the in-order servers not in ``done`` whose ops, in the order they
        ran, leave the state other than their plan decided (rule 6), or that have no check.
        Without ``duration``, ``start`` is when each op started on its server (the DES: ties in
        program order); with it (the analytic engine), ``start`` is each op's earliest start by
        its dependencies alone, which is no order a server runs, and the order is that of the
        server alone list-scheduled over those starts (:func:`server_run_order`)."""
        need = np.zeros(self.n_servers, dtype=bool)
        if self.in_order is None:
            return need
        for s in np.flatnonzero(self.in_order & ~done).tolist():
            ops = np.flatnonzero(self.server == s)
            ran = (ops[np.argsort(start[ops], kind="stable")] if duration is None
                   else server_run_order(ops, start, duration))
            ci, check = self.order_checks.get(s, (None, None))
            if check is None or not check(np.searchsorted(self.idx[ci], ran)):
                need[s] = True
        return need

    def order_note(self, ordered: np.ndarray) -> list[str]:
        """The note of a run whose in-order servers (``ordered``, bool per server) ran in
        program order (rule 6), one per component: where its plan's ``in_order_check`` found
        that the order they ran in as ready leaves the state other than decided, and where the
        plan gives no check (the order is imposed, whether or not another would differ)."""
        out = []
        on = ordered[self.server]
        for ci in np.unique(self.component[on]).tolist():
            mine = on & (self.component == ci)
            checked = np.array([int(s) in self.order_checks for s in self.server[mine].tolist()])
            name = self.components[ci].name
            words = getattr(self.components[ci], "in_order_words", "")
            if checked.any() and words:  # its own (the CIM's arrays), as hw.declared says
                out.append(f"{name}: " + words.format(n=int(checked.sum())))
            elif checked.any():
                out.append(f"{name}: its order-dependent servers ran their {int(checked.sum()):,} ops "
                           "in program order, the order its plan decided their state in (as they "
                           "became ready they ran in an order its in_order_check found leaves that "
                           "state other than charged, e.g. re-programs other weights); the "
                           "dependency critical path leaves that wait out")
            if not checked.all():
                out.append(f"{name}: ran its {int((~checked).sum()):,} ops on order-dependent servers "
                           "in program order (its plan marks the servers order-dependent, "
                           "Plan.in_order, and gives no in_order_check, so the order is always "
                           "imposed); the dependency critical path leaves that wait out")
        return out

    @property
    def run_server(self) -> np.ndarray:
        """The server each op runs on in the engines: :attr:`server`, but a copy folded by rule
        4a on its convolution's, where it takes no time: it waits on none of its own unit's
        work, so the convolution waits only for the copy's inputs (find-D 1 review)."""
        if not self.folded or not len(self.folded[0]):
            return self.server
        run = self.server.copy()
        run[self.folded[1]] = self.server[self.folded[0]]
        return run

    @property
    def n_ops(self) -> int:
        return int(self.component.shape[0])

    @property
    def unit_names(self) -> np.ndarray:
        """The component name of each op."""
        names = np.array([c.name for c in self.components], dtype=object)
        return names[self.component] if self.n_ops else np.zeros(0, dtype=object)

    def facts(self) -> dict[str, object]:
        """Every component's scalar facts, keyed ``<component>_<fact>``."""
        out: dict[str, object] = {}
        for comp, plan in zip(self.components, self.plans):
            for k, v in (plan.summary if plan is not None else {}).items():
                out[f"{comp.name}_{k}"] = v
        return out

    def op_columns(self) -> dict[str, np.ndarray]:
        """Components' extra per-op columns (``<component>_<column>``), over all ops."""
        out: dict[str, np.ndarray] = {}
        for comp, ids, plan in zip(self.components, self.idx, self.plans):
            for k, v in (plan.op_columns if plan is not None else {}).items():
                col = np.zeros(self.n_ops, dtype=np.asarray(v).dtype)
                col[ids] = v
                out[f"{comp.name}_{k}"] = col
        return out


def place(workload: Workload, arch: Architecture) -> Placement:
    """Place every op of ``workload`` on a component of ``arch`` (rules above)."""
    n = len(workload.ops)
    if n == 0:
        raise MappingError(f"workload '{workload.name}' has no ops: nothing to simulate")
    back = arch.hardware.backing_store
    tiers = arch.rate_free_hardware.home_tiers  # the backing store, or a near and a far tier
    capacity = arch.rate_free_hardware.home_capacity  # their capacities add (hierarchy rule 9)
    held_by = " + ".join(f"memory.{t}.capacity" for t in tiers)
    # a PIM device of its own (sharing: separate) holds the KV cache: the host's backing store
    # holds the rest, and the device, organised like that level, the cache
    device = arch.cache_memory
    apart = device is not None
    # each side at its own peak when apart: the caches' alone, the host's weights + activations
    fp = checked_footprint(workload, apart)
    comps = arch.instances
    # with input reuse (rule 4a) the check waits for the im2col matrices no one forms
    reuse = any(getattr(c, "builds_windows", False) for c in comps)
    if not reuse:
        check_capacity(workload, arch, fp, capacity, held_by, device)
    ops = workload.arrays
    if len(tiers) > 1:  # hierarchy rule 9 is a processor's: others read the backing store
        direct = [c.name for c in comps if not c.reads_far_tier]
        if direct:
            raise MappingError(f"architecture '{arch.name}': memory.{back}.far is modelled for "
                               f"processors only; component '{direct[0]}' would read every "
                               f"tensor from {back}: leave far out (a far tier beside a CIM, "
                               "systolic array or PIM device is not modelled)")
    wrong = [e for c in comps for e in c.workload_errors(workload.metadata)]
    if wrong:
        raise MappingError(f"architecture '{arch.name}', workload '{workload.name}': "
                           + "; ".join(wrong))
    order = sorted(range(len(comps)), key=lambda i: (-comps[i].priority, i))
    owner = np.full(n, -1, dtype=np.int64)
    free = np.ones(n, dtype=bool)
    claim_notes: list[str] = []
    for ci in order:
        tied = [cj for cj in order if cj != ci and comps[cj].priority == comps[ci].priority]
        if tied and ci == min(tied + [ci], key=order.index):  # the first of a tie: check it
            _no_tied_overlap(arch, workload, [comps[c] for c in [ci, *tied]], ops, free)
        took = _claimed(comps[ci], comps[ci].claim(ops, free.copy()), n) & free
        note = comps[ci].claim_note(ops, free.copy(), took)
        if not note and not took.any():  # what it claims, and why it ran none
            note = _took_none(comps, ci, ops, owner)
        if note:
            claim_notes.append(note)
        owner[took] = ci
        free &= ~took
    claim_notes += unused_link_notes(arch)  # a declared link nothing uses (find-C 5)
    if free.any():
        i = int(np.flatnonzero(free)[0])
        op = workload.ops[i]
        hints = [h for h in (c.unclaimed_hint(ops, free) for c in comps) if h]
        raise MappingError(
            f"architecture '{arch.name}', workload '{workload.name}': no component runs op "
            f"'{op.name}' (kind {op.kind}) nor "
            f"{int(free.sum()) - 1} other(s); its components "
            f"({', '.join(f'{c.name}: {c.type_name}' for c in comps)}) claim none of them; "
            + ("; ".join(hints) if hints else "add a processor to run what the accelerators do not"))
    idx, plans, notes = [], [], list(claim_notes)
    ops, note = _on_chip_across_units(workload, ops, owner, comps)
    if note:
        notes.append(note)
    ops, folded, note = _windows(ops, owner, comps)
    if note:
        notes.append(note)
    if len(folded[0]):  # their im2col matrices are never formed, nor live (rule 4a)
        fp = checked_footprint(workload, apart, folded=folded)
    if reuse:
        check_capacity(workload, arch, fp, capacity, held_by, device)
    for ci, comp in enumerate(comps):  # a unit's own narrowing of its ops (live rows only)
        if (narrow := getattr(comp, "narrowed_ops", None)) is not None:
            ops, said = narrow(ops, owner == ci)
            notes.extend(said)
    ops = _backed(ops, owner, comps)
    server = np.zeros(n, dtype=np.int64)
    serial = np.zeros(n, dtype=bool)
    in_order: list[np.ndarray] = []
    checks: dict = {}
    offset = 0
    for ci, comp in enumerate(comps):
        ids = np.flatnonzero(owner == ci)
        idx.append(ids)
        if not len(ids):
            plans.append(None)
            continue
        try:
            placed = comp.place(ops, ids)
        except RateFieldError as exc:
            raise ComponentError(f"component '{comp.name}' ({comp.type_name}): place() read {exc}") from None
        plan = _checked_plan(comp, placed, len(ids))
        plans.append(plan)
        server[ids] = offset + plan.server
        serial[ids] = plan.serial
        in_order.append(np.zeros(plan.n_servers, dtype=bool) if plan.in_order is None
                        else np.asarray(plan.in_order, dtype=bool))
        checks.update({offset + int(k): (ci, f) for k, f in (plan.in_order_check or {}).items()})
        offset += plan.n_servers
        notes.extend(plan.notes)
    fp, note = _held_at_own_format(workload, arch, fp, comps, idx, ops, capacity, held_by, device,
                                   folded)
    if note:
        notes.append(note)
    if apart:  # the device holds its units' resident weights beside the caches
        resident = sum(c.device_bytes(ops, ids) for c, ids in zip(comps, idx) if len(ids))
        if resident and fp.kv_cache + resident > device[1]:
            raise CapacityError(
                f"workload '{workload.name}' needs {si(fp.kv_cache + resident, 'B', 6)} in "
                f"{device[0]}: KV cache {si(fp.kv_cache, 'B', 6)} at its peak and the weights "
                f"its units compute on {si(resident, 'B', 6)}, but it holds {si(device[1], 'B', 6)}, "
                f"in architecture '{arch.name}'")
    return Placement(comps, owner, idx, plans, server, serial, offset, notes,
                     np.concatenate(in_order), claim_notes, ops, fp, int(capacity), apart, checks,
                     folded=folded)


def _held_at_own_format(workload, arch, fp, comps, idx, ops, capacity, held_by, device, folded):
    """``(fp, note)``: the footprint counted again with the weights and KV caches the
    components hold in their own number format where that is wider than the tensors' dtype
    (:meth:`Component.held_bytes`: PIM units of fp16 holding an int8 cache at 2 B an element),
    each pipeline stage's at its peak as :func:`checked_footprint` counts them, checked against
    ``capacity`` (and a separate PIM ``device``'s); a note with the bytes. ``(fp, None)`` where
    no format widens anything."""
    nb = workload.tensor_nbytes
    wide = nb
    for c, ids in zip(comps, idx):
        held = c.held_bytes(ops, ids) if len(ids) else None
        if held is not None:
            wide = np.maximum(wide, np.rint(held).astype(np.int64))
    if wide is nb or (wide == nb).all():
        return fp, None
    apart = device is not None
    new = checked_footprint(workload, apart, wide, folded if len(folded[0]) else None)
    at = "" if new.stage is None else f" on pipeline stage {new.stage} of {new.stages}"
    if apart:
        if new.kv_cache > device[1]:
            raise CapacityError(
                f"workload '{workload.name}' needs {si(new.kv_cache, 'B', 6)} of KV cache at its "
                f"peak{at} in {device[0]} with the caches its PIM units hold in their own number "
                f"format ({si(fp.kv_cache, 'B', 6)} at the workload's dtypes): "
                f"{si(device[1], 'B', 6)}, in architecture '{arch.name}'")
        return new, (f"the PIM device holds the KV caches its units read in their own number "
                     f"format: {si(new.kv_cache, 'B')} at their peak{at}, {si(fp.kv_cache, 'B')} at "
                     "the workload's dtypes (its capacity check counts the former)")
    host = new.total
    if host > capacity:
        raise CapacityError(
            f"workload '{workload.name}' needs {si(host, 'B', 6)} live at once{at} with the weights "
            f"and KV caches its PIM units hold in their own number format (weights "
            f"{si(new.weights, 'B', 6)}, KV cache {si(new.kv_cache, 'B', 6)}, activations "
            f"{si(new.activations, 'B', 6)}; {si(fp.total, 'B', 6)} at the workload's dtypes) but "
            f"architecture '{arch.name}' has {held_by} {capacity_text(capacity, 6)}")
    return new, (f"the footprint counts the weights and KV caches PIM units hold in their own "
                 f"number format: {si(host, 'B')} live at once at its peak{at} (weights "
                 f"{si(new.weights, 'B')}, KV cache {si(new.kv_cache, 'B')}, activations "
                 f"{si(new.activations, 'B')}), {si(fp.total, 'B')} at the workload's dtypes")


def _on_chip_across_units(workload: Workload, ops, owner: np.ndarray, comps) -> tuple:
    """``(ops, note)``: the op columns with the tensors kept on chip (tag ``on_chip``) that
    cross between components at their full bytes, and a note naming them (None when none
    cross). A fused kernel keeps its intermediates in one unit's registers; when its scores
    run on PIM units and its softmax on the GPU, they cross the bus like any activation."""
    cross = crossing_on_chip(workload, ops, owner)
    if not len(cross):
        return ops, None
    t = int(cross[0])
    prod = int(ops.producer[t])
    readers = ops.act_readers()[ops.act_ids == t]
    other = int(readers[owner[readers] != owner[prod]][0])
    names = workload.columns
    total = float(workload.tensor_nbytes[cross].sum())
    note = (f"{len(cross):,} tensor(s) tagged on_chip (a fused kernel's intermediates, e.g. "
            f"'{names.tensor_names[t]}' of op '{names.op_names[prod]}' on {comps[owner[prod]].name}, "
            f"read by '{names.op_names[other]}' on {comps[owner[other]].name}) pass between "
            f"units, so they cannot stay on one unit's chip: they move their "
            f"{si(total, 'B', 4)} through the memory levels as any activation")
    return with_bytes_of(workload, ops, cross), note


def _windows(ops: OpArrays, owner: np.ndarray, comps) -> tuple:
    """``(ops, (conv, copy, cols), note)``: rule 4a: the op columns with the im2col copies
    ``copy`` of the convolutions ``conv`` a component that builds the windows from the raw input
    runs (``builds_windows``: input reuse on a flat CIM pool or a systolic array) never formed
    (:func:`.windows_built`; ``cols``, their matrices), and the note saying so (None when none
    is)."""
    builds = np.array([bool(getattr(c, "builds_windows", False)) for c in comps])
    none = np.zeros(0, dtype=np.int64)
    if not builds.any():
        return ops, (none, none, none), None
    ops, folded = windows_built(ops, builds[owner])
    names = [c.name for c, b in zip(comps, builds) if b and (owner == comps.index(c)).any()]
    formed = float(ops.tensor_bytes[folded[2]].sum())
    return ops, folded, (windows_note(names, len(folded[0]), formed) or [None])[0]


def _backed(ops: OpArrays, owner: np.ndarray, comps: list[Component]) -> OpArrays:
    """The op columns with :attr:`~cimsim.workload.oparrays.OpArrays.backed`: the tensors made
    by an op whose component writes its outputs to the backing store, where they stay
    (:meth:`Component.backing_outputs`: a host whose levels cannot hold them), which
    another component's reader has read back from there (hierarchy rule 7); and with
    :attr:`~cimsim.workload.oparrays.OpArrays.landed`: the tensors another component made that
    such an op reads from there, so they are written there first (hierarchy rule 8)."""
    via = np.array([bool(getattr(c, "inputs_via_host", False)) for c in comps])[owner]
    if via.any():  # hierarchy rule 3: the host fetched the model inputs these read first
        ops = replace(ops, via_host=via)
    if ops.producer is None or not len(ops.producer):
        return ops
    spills = np.zeros(len(owner), dtype=bool)
    for ci, comp in enumerate(comps):
        ids = np.flatnonzero(owner == ci)
        out = comp.backing_outputs(ops, ids) if len(ids) else None
        if out is not None:
            spills[ids] = np.asarray(out, dtype=bool)
    made = np.maximum(ops.producer, 0)
    backed = (ops.producer >= 0) & spills[made]
    marks = {"backed": backed} if backed.any() else {}
    if spills.any() and ops.act_ptr is not None:
        t, reader = ops.act_ids, ops.act_readers()
        hit = (spills[reader] & (ops.producer[t] >= 0) & ~backed[t]
               & (owner[made[t]] != owner[reader]))
        if hit.any():
            marks["landed"] = np.zeros(len(ops.producer), dtype=bool)
            marks["landed"][t[hit]] = True
    return replace(ops, **marks) if marks else ops


def _no_tied_overlap(arch: Architecture, workload: Workload, tied: list[Component], ops,
                     free: np.ndarray) -> None:
    """Refuse components of equal ``priority`` (in config order) that would claim one op
    each: which of them runs it would be their order in the config, not a rule."""
    n = len(free)
    masks = [_claimed(c, c.claim(ops, free.copy()), n) & free for c in tied]
    for i in range(len(tied)):
        for j in range(i + 1, len(tied)):
            both = masks[i] & masks[j]
            if both.any():
                a, b = tied[i], tied[j]
                op = workload.ops[int(np.flatnonzero(both)[0])]
                same = (f"both {a.type_name}" if a.type_name == b.type_name
                        else f"{a.type_name} and {b.type_name}")
                raise MappingError(
                    f"architecture '{arch.name}', workload '{workload.name}': components "
                    f"'{a.name}' and '{b.name}' ({same}, "
                    f"priority {a.priority}) would both run op '{op.name}' (kind {op.kind}) and "
                    f"{int(both.sum()) - 1} other(s); at equal priority which one runs them would "
                    f"be their order in the config ('{a.name}' all, '{b.name}' none), and no op is "
                    "split between components: make it one component (e.g. more units, cores or "
                    "arrays)" + _split_hint(a, b))


def _split_hint(a: Component, b: Component) -> str:
    """How tied components could split ops: by their ``claims`` where both types have one;
    otherwise say that this type cannot share a workload (e.g. a CPU beside a GPU)."""
    lacking = sorted({c.type_name for c in (a, b) if "claims" not in type(c.config).model_fields})
    if not lacking:
        return " or give them claims that do not overlap"
    return (f"; {' and '.join(lacking)} components have no claims field to split ops by, so two "
            "cannot share one workload (two processors on one memory, a CPU beside a GPU, are "
            "not modelled)" + "".join(sorted({getattr(c, "share_hint", "") for c in (a, b)})))


def _took_none(comps: list[Component], ci: int, ops, owner: np.ndarray) -> str | None:
    """The note on a component that took no op and said nothing of it (:meth:`Component.
    claim_note`): what it claims (:meth:`Component.claims_words`; None: no note) and why it ran
    none: no op of the workload is one, or those that are went to components claiming first."""
    comp, n = comps[ci], len(owner)
    words = comp.claims_words()
    if not words:
        return None
    could = _claimed(comp, comp.claim(ops, np.ones(n, dtype=bool)), n) & (owner >= 0)
    if not could.any():
        return (f"{comp.name} runs no op: it claims {words}, and "
                + ("this workload's one op is not one" if n == 1 else f"none of this workload's {n:,} ops is one"))
    by = [f"{int((owner[could] == j).sum()):,} to {comps[j].name}" for j in np.unique(owner[could]).tolist()]
    return (f"{comp.name} runs no op: it claims {words}; the {int(could.sum()):,} such op(s) went to "
            f"components that claim first ({', '.join(by)})")


def _claimed(comp: Component, mask, n: int) -> np.ndarray:
    """``claim``'s answer, which must be a boolean mask over all ``n`` ops (an index array or a
    mask of another length would take the wrong ops)."""
    a = np.asarray(mask)
    if a.shape != (n,) or a.dtype != bool:
        raise ComponentError(f"component '{comp.name}' ({comp.type_name}): claim() returned "
                             f"{a.dtype} of shape {a.shape}; it must be a boolean mask over all "
                             f"ops, shape ({n},)")
    return a


def _checked_plan(comp: Component, plan, m: int) -> Plan:
    """``place``'s answer: a :class:`Plan` with a server in ``0 .. n_servers - 1`` and a serial
    flag for each of its ``m`` ops (a server out of range would run on another component's)."""
    who = f"component '{comp.name}' ({comp.type_name})"
    if not isinstance(plan, Plan):
        raise ComponentError(f"{who}: place() returned {type(plan).__name__}, not a Plan")
    if len(plan.server) != m or len(plan.serial) != m:
        raise ComponentError(f"{who} returned a plan of the wrong length: {len(plan.server)} "
                             f"servers and {len(plan.serial)} serial flags for {m} ops")
    n = plan.n_servers
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ComponentError(f"{who} returned a plan with n_servers = {n!r}; it must be a whole "
                             "number >= 1")
    server = np.asarray(plan.server)
    if server.dtype.kind not in "iu" or (len(server) and (server.min() < 0 or server.max() >= n)):
        bad = server[(server < 0) | (server >= n)][:1] if server.dtype.kind in "iuf" else server[:1]
        raise ComponentError(f"{who} returned a plan whose servers ({server.dtype}, e.g. "
                             f"{bad.tolist()}) are not whole numbers in 0 .. {n - 1} "
                             f"(n_servers - 1)")
    if plan.in_order is not None and np.shape(plan.in_order) != (n,):
        raise ComponentError(f"{who} returned a plan whose in_order has shape "
                             f"{np.shape(plan.in_order)}: one flag per server ({n},) or None")
    bad = [k for k, f in (plan.in_order_check or {}).items()
           if not (isinstance(k, (int, np.integer)) and 0 <= k < n and plan.in_order is not None
                   and plan.in_order[k] and callable(f))]
    if bad:
        raise ComponentError(f"{who} returned a plan whose in_order_check has the key(s) "
                             f"{[int(k) if isinstance(k, (int, np.integer)) else k for k in bad[:3]]}: one callable "
                             "per in-order server")
    if plan.programming is not None and not getattr(comp, "programs_weights", False):
        raise ComponentError(f"{who} returned a plan with programming (the one-time programming "
                             "before the run), but its class does not set programs_weights = True: "
                             "set it, so results carry programming_energy_j and programming_time_s "
                             "(else they would be dropped)")
    extra = [k for k in plan.summary if k not in comp.facts]
    if extra:
        raise ComponentError(f"{who} reported the fact(s) {', '.join(extra)} in its plan's "
                             f"summary, not among its type's facts ({', '.join(comp.facts) or 'none'}); "
                             "declare each in `facts` with its value when it runs no op, so every "
                             "table (compare's CSV, a sweep's) has its column")
    return plan

