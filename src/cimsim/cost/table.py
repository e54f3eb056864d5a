"""The cost table: every op's time, bytes per resource and energy per part.

Each component costs its own ops (:meth:`cimsim.hw.base.Component.cost`);
this stage checks and assembles them, and charges memory levels and links
their energy from the bytes moved (bytes x the resource's energy per byte).
Columns:

- ``compute_s``, ``latency_s``: per op;
- ``bytes``: (ops x resources), the resources being the architecture's memory
  levels (innermost first) and then its links, by name;
- ``write_bytes``: (ops x resources), the part of ``bytes`` that are writes (components say
  which, :attr:`~cimsim.hw.base.OpCost.write_bytes`; the rest are reads);
- ``hold_s``: (ops x resources), time an op holds a resource at its full rate
  without moving counted bytes (PIM in all-bank mode); the engine sees it as
  ``hold_s x rate`` more bytes (:meth:`CostTable.engine_bytes`), energy does not;
- ``energy``: (ops x parts), the parts being each component's energy parts
  (``<component>_<part>``, config order), then one per memory level and link.

The component cost models are vectorised NumPy: measured on a 1,000,002-op
LSTM they cost well under the engine's time (see README, Performance), so
numba does not pay here.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ..config import Architecture
from ..errors import ComponentError, OverflowInputError, RateFieldError
from ..hw.base import Component, OpCost
from ..mapping.placement import Placement
from ..quantity import extreme_fields


@dataclass
class CostTable:
    """Per-op costs (arrays in op order) of a placed workload."""

    compute_s: np.ndarray  # work on the op's server, s
    latency_s: np.ndarray  # fixed delay (dispatch + access latency), s
    resources: tuple[str, ...]  # memory levels, then links
    bytes: np.ndarray  # (n_ops, n_resources) bytes over each resource
    parts: tuple[str, ...]  # energy parts
    energy: np.ndarray  # (n_ops, n_parts) J
    component_costs: list  # per component: its OpCost (None when it runs no op)
    #: (n_ops, n_resources) seconds each op holds a resource at its full rate (OpCost.hold_s)
    hold_s: np.ndarray | None = None
    #: (n_ops, n_resources) the part of ``bytes`` that are writes (OpCost.write_bytes)
    write_bytes: np.ndarray | None = None
    #: (n_ops, 2) the pieces each op's transfers and compute are pipelined in (OpCost.pieces;
    #: ``inf``: overlapped); None: every op overlapped
    pieces: np.ndarray | None = None
    #: (n_ops, n_resources) bool: the op's transfer on that resource runs ahead of its other
    #: transfers (OpCost.ahead); None: every op's transfers run at once
    ahead: np.ndarray | None = None

    def transfer_s(self, resource_s: np.ndarray) -> np.ndarray:
        """Each op's transfer time alone, from its time on each resource (``resource_s``,
        ops x resources): the slowest (they run at once), or, for an op with transfers
        ahead, the slowest of those plus the slowest of the rest."""
        out = np.zeros(resource_s.shape[0])
        if not resource_s.shape[1]:
            return out
        if self.ahead is not None:
            return (np.where(self.ahead, resource_s, 0.0).max(axis=1)
                    + np.where(self.ahead, 0.0, resource_s).max(axis=1))
        # column by column (the same values as .max(axis=1), several times faster)
        out = resource_s[:, 0].copy()
        for j in range(1, resource_s.shape[1]):
            np.maximum(out, resource_s[:, j], out=out)
        return out

    def engine_bytes(self, rates: np.ndarray) -> np.ndarray:
        """What the engine moves over each resource: the bytes, plus ``hold_s x rate`` for
        the time an op holds a resource without moving counted bytes."""
        if self.hold_s is None or not self.hold_s.any():
            return self.bytes
        return self.bytes + self.hold_s * rates

    def bytes_of(self, resource: str) -> np.ndarray:
        return self.bytes[:, self.resources.index(resource)]

    def writes_of(self, resource: str) -> np.ndarray:
        j = self.resources.index(resource)
        return self.write_bytes[:, j] if self.write_bytes is not None else np.zeros(len(self.bytes))

    def reads_of(self, resource: str) -> np.ndarray:
        return self.bytes_of(resource) - self.writes_of(resource)


def energy_parts(arch: Architecture) -> tuple[str, ...]:
    """Energy part names of an architecture, in report order (without ``static``)."""
    parts = [f"{c.name}_{p}" for c in arch.instances for p in c.energy_parts]
    out = (*parts, *arch.hardware.resources)
    if len(set(out)) < len(out):  # one column for two: the cost of one went to the other
        twice = next(p for p in out if out.count(p) > 1)
        raise ComponentError(f"architecture '{arch.name}': two energy parts are named '{twice}' "
                             "(a component's <component>_<part>, a memory level, a link or an "
                             "on-chip bandwidth); give them distinct names")
    return out


def _numbers(comp, name: str, arr) -> np.ndarray:
    """``arr`` as float64, or a one-line ComponentError naming the component and the field."""
    raw = np.asarray(arr)
    bad = raw.dtype.kind not in "iufO"  # text ("1e-6" too) and booleans are not numbers
    if raw.dtype.kind == "O":  # Python numbers (a Decimal, a big int) are, text in them not
        bad = not all(isinstance(x, numbers.Number) and not isinstance(x, (bool, complex))
                      for x in raw.flat)
    if bad:
        raise ComponentError(f"component '{comp.name}' ({comp.type_name}): cost() returned {name} "
                             f"that are not numbers ({raw.dtype}: e.g. {raw.ravel()[:1].tolist()})")
    try:
        return raw.astype(np.float64, copy=False)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ComponentError(f"component '{comp.name}' ({comp.type_name}): cost() returned {name} "
                             f"that are not floats ({' '.join(str(exc).split())})") from None


def _check_busy(comp, c: OpCost, m: int) -> None:
    """``OpCost.busy``: only the type's declared ``utilizations`` (a busy time under another name
    reached no report), and each one the default ``utilization()`` reads (all but ``busy``,
    which the engine measures), unless the type computes its utilizations itself."""
    declared = tuple(comp.utilizations)
    who = f"component '{comp.name}' ({comp.type_name}): cost() returned busy"
    extra = [k for k in c.busy if k not in declared]
    if extra:
        raise ComponentError(f"{who} time for '{extra[0]}', not one of its type's utilizations "
                             f"{declared}; declare it there or leave it out")
    own = type(comp).utilization
    if getattr(own, "__wrapped__", own) is Component.utilization:  # (a plug-in's is guarded)
        missing = [k for k in declared if k != "busy" and k not in c.busy]
        if missing:
            raise ComponentError(f"{who} times without '{missing[0]}', which its type's "
                                 f"utilizations {declared} declare (the default utilization() "
                                 "sums it); give it in OpCost.busy")
    for k, v in c.busy.items():
        _check(comp, f"busy time {k}", v, m)


def _unit(name: str) -> str:
    """The unit of the cost field ``name`` (:func:`_check`'s): an energy's J, bytes' B, else a
    time's s (``compute_s``, ``latency_s``, a busy or hold time)."""
    return "J" if name.startswith("energy") else "B" if "bytes" in name else "s"


def _check(comp, name: str, arr, n: int) -> np.ndarray:
    a = _numbers(comp, name, arr)
    if a.shape == ():
        a = np.full(n, float(a))
    if a.shape != (n,):
        raise ComponentError(f"component '{comp.name}' ({comp.type_name}): cost() returned {name} "
                             f"of shape {a.shape}, expected ({n},)")
    if not np.all(np.isfinite(a)) or (a < 0).any():
        bad = a[~np.isfinite(a) | (a < 0)][0]
        if bad == np.inf and (found := extreme_fields(comp.config, f"{comp.name}.")):
            # an extreme given value (energy_per_mac 1e300 J) overflowed: an input error
            raise OverflowInputError(
                f"{found[0][0]}: component '{comp.name}' ({comp.type_name}): its {name} is not finite "
                f"(inf {_unit(name)}): check {', '.join(f'{p} = {t}' for p, t in found)} (beyond 1e-30 to 1e30 in "
                "SI units)", found[0][0])
        raise ComponentError(f"component '{comp.name}' ({comp.type_name}) produced an impossible "
                             f"{name} ({bad}): a cost must be finite and >= 0; check its config")
    return a


def _as_slice(ids):
    """``ids`` as a slice when it is a run of consecutive ops (same element writes, no fancy
    indexing), else ``ids``."""
    ids = np.asarray(ids)
    m = len(ids)
    if m and ids[-1] - ids[0] == m - 1 and (m == 1 or (np.diff(ids) == 1).all()):
        return slice(int(ids[0]), int(ids[0]) + m)
    return ids


def compute_costs(pl: Placement, arch: Architecture, ops) -> CostTable:
    """Cost every op of a placement on ``arch``; a cost that overflows (an extreme given
    value) is refused by its check, without NumPy's warning line."""
    with np.errstate(over="ignore"):
        return _compute_costs(pl, arch, ops)


def _compute_costs(pl: Placement, arch: Architecture, ops) -> CostTable:
    n = pl.n_ops
    resources = arch.hardware.resources
    parts = energy_parts(arch)
    compute, latency = np.zeros(n), np.zeros(n)
    nbytes = np.zeros((n, len(resources)))
    hold = np.zeros((n, len(resources)))
    writes = np.zeros((n, len(resources)))
    energy = np.zeros((n, len(parts)))
    pieces = ahead = dispatch = None
    costs = []
    for comp, ids, plan in zip(pl.components, pl.idx, pl.plans):
        if plan is None:
            costs.append(None)
            continue
        try:
            c = comp.cost(ops, ids, plan)
        except RateFieldError as exc:
            raise ComponentError(f"component '{comp.name}' ({comp.type_name}): cost() read {exc}") from None
        if not isinstance(c, OpCost):
            raise ComponentError(f"component '{comp.name}' ({comp.type_name}): cost() returned "
                                 f"{type(c).__name__}, not an OpCost")
        m = len(ids)
        ids = _as_slice(ids)  # a run of ops (often all of them): column writes without a gather
        compute[ids] = _check(comp, "compute_s", c.compute_s, m)
        latency[ids] = _check(comp, "latency_s", c.latency_s, m)
        if c.dispatch_s is not None and ops.launch is not None:
            if dispatch is None:
                dispatch = np.zeros(n)
            dispatch[ids] = np.minimum(_check(comp, "dispatch_s", c.dispatch_s, m), latency[ids])
        checked = {}
        for res, b in c.bytes.items():
            if res not in resources:
                raise ComponentError(f"component '{comp.name}' ({comp.type_name}) charged bytes to '{res}', which is "
                                     f"not a memory level or link of '{arch.name}'")
            checked[res] = _check(comp, f"bytes on {res}", b, m)
            nbytes[ids, resources.index(res)] += checked[res]
        for res, w in c.write_bytes.items():
            if res not in checked:
                raise ComponentError(f"component '{comp.name}' ({comp.type_name}) reported writes to '{res}' but "
                                     "no bytes over it")
            w, b = _check(comp, f"write bytes on {res}", w, m), checked[res]
            if (w > b * (1 + 1e-12)).any():
                raise ComponentError(f"component '{comp.name}' ({comp.type_name}) reported more write bytes than "
                                     f"bytes on '{res}'")
            writes[ids, resources.index(res)] += np.minimum(w, b)
        for res, h in c.hold_s.items():
            if res not in resources:
                raise ComponentError(f"component '{comp.name}' ({comp.type_name}) holds '{res}', which is "
                                     f"not a memory level or link of '{arch.name}'")
            hold[ids, resources.index(res)] += _check(comp, f"hold time on {res}", h, m)
        for part, e in c.energy.items():
            key = f"{comp.name}_{part}"
            if key not in parts:
                raise ComponentError(f"component '{comp.name}' ({comp.type_name}) reported energy part '{part}' "
                                     f"not in its type's energy_parts {comp.energy_parts}")
            energy[ids, parts.index(key)] += _check(comp, f"energy {part}", e, m)
        missing = [p for p in comp.energy_parts if p not in c.energy]
        if missing:  # as a declared busy time left out: it was 0 J, silently
            raise ComponentError(f"component '{comp.name}' ({comp.type_name}): cost() returned "
                                 f"energy without '{missing[0]}', which its type's energy_parts "
                                 f"{tuple(comp.energy_parts)} declare; give it in OpCost.energy "
                                 "(zeros where its ops spend none)")
        _check_busy(comp, c, m)
        if c.pieces is not None:
            p = _numbers(comp, "pieces", c.pieces)
            who = f"component '{comp.name}' ({comp.type_name}): cost() returned pieces"
            if p.shape != (m, 2):
                raise ComponentError(f"{who} of shape {p.shape}; they must be ({m}, 2): one "
                                     "(transfer, compute) pair per op (inf: overlapped)")
            if not (p >= 1.0).all():  # NaN fails too
                bad = float(p[~(p >= 1.0)][0])
                raise ComponentError(f"{who} with {bad!r}; each must be a number >= 1 (a count "
                                     "of pieces; inf: overlapped)")
            if pieces is None:
                pieces = np.full((n, 2), np.inf)
            pieces[ids] = p
        for res, a in c.ahead.items():
            if res not in checked:
                raise ComponentError(f"component '{comp.name}' ({comp.type_name}) put its transfer "
                                     f"on '{res}' ahead but charged no bytes over it")
            if ahead is None:
                ahead = np.zeros((n, len(resources)), dtype=np.bool_)
            ahead[ids, resources.index(res)] |= np.broadcast_to(np.asarray(a, dtype=np.bool_), (m,))
        costs.append(c)
    if ops.launch is not None:
        latency = _launch_latency(ops.payers(pl.component), latency, dispatch, ops.macs > 0)
    hw = arch.rate_free_hardware  # a cached table must not depend on a rate
    per_byte = np.array([_per_byte(hw.resource(r)) for r in resources])
    first = len(parts) - len(resources)
    energy[:, first:] = nbytes * per_byte
    return CostTable(compute, latency, resources, nbytes, parts, energy, costs, hold, writes, pieces,
                     ahead)


def _launch_latency(payer: np.ndarray, latency: np.ndarray, dispatch: np.ndarray | None,
                    principal: np.ndarray) -> np.ndarray:
    """A launch group (tag ``launch``) pays one fixed latency per dispatch (per unit), on its
    payer: the dispatch (``op_overhead``) of its principal op plus the largest access latency
    of its ops. The principal op is the call's: its first op with MACs (``principal``: an
    ``addmm``'s matmul, not its bias add; a convolution's matmul, not its im2col copy), else
    its first op; so under ``op_overhead_by_kind`` a Linear's launch pays the matmul's
    dispatch, not the elementwise kinds'. The access part is each op's ``latency`` less its
    ``dispatch`` (None: a component with one dispatch for all its ops, the largest latency):
    one kernel waits for its slowest first access (a convolution's launch for its weights'
    DRAM latency, though its im2col copy, first in the group, reads only SRAM). An op that
    rides on a dispatch (``payer`` -1) pays none."""
    fixed = np.zeros_like(latency)
    on = payer >= 0
    if dispatch is None:
        np.maximum.at(fixed, payer[on], latency[on])
        return fixed
    lead = np.arange(len(payer))  # per payer: the op whose dispatch its group pays
    with_macs = np.flatnonzero(on & principal)
    groups, first = np.unique(payer[with_macs], return_index=True)
    lead[groups] = with_macs[first]
    own = dispatch[lead[payer[on]]]  # each op's group's dispatch
    # an op of the principal's dispatch keeps its latency as it is (no rounding by a - d + d)
    own_latency = np.where(dispatch[on] == own, latency[on], latency[on] - dispatch[on] + own)
    np.maximum.at(fixed, payer[on], own_latency)
    return fixed


def _per_byte(res) -> float:
    """A resource's energy per byte (streaming), a rate-field read named as the level's or
    link's."""
    try:
        return res.joules_per_byte()
    except RateFieldError as exc:
        what = "memory level" if res.kind == "memory" else res.kind
        raise ComponentError(f"{what} '{res.name}' (type: {res.type_name}): joules_per_byte() "
                             f"read {exc}") from None

