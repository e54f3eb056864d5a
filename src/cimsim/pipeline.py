"""One run, the stages in order: place -> cost -> engine, handed to the report.

>>> from cimsim import simulate, load_architecture, load_workload
>>> r = simulate(load_architecture("configs/gpu-hbm3.yaml"), load_workload("workloads/lstm.json"))
>>> r.latency_s, r.bound

The placement and cost table of a run can be reused by a later one whose
architecture differs only in rate fields (memory-level and link bandwidths):
pass the same :class:`~cimsim.cost.cache.CostCache` to both (sweeps do).
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings

import numpy as np

from .config import Architecture
from .cost import CostTable, compute_costs
from .cost.cache import CostCache
from .cost.gathers import activation_note, fixed_level_note, repeat_hit_note
from .cost.col2im import col2im_note
from .engine.analytic import analytic_latency, op_work
from .engine.des import simulate_dag
from .errors import CimsimError, ComponentError, PhysicalPlausibilityWarning, given, one_line
from .hw.base import STREAM, Pattern
from .hw.technology import unread_note
from .inputs import source_fields
from .mapping.placement import Placement, place
from .report.build import RunData, build_result
from .report.plausible import WARNING
from .report.realised import analytic_bound, des_busiest_note, realized_critical_path
from .report.result import Result
from .timing import OUTPUT, mark
from .workload.graph import longest_paths
from .workload.checks import check_metadata
from .workload.kinds import MATMUL
from .workload.ir import Workload
from .workload.randomtags import LINE, line_mix

ENGINES = ("des", "analytic")


def resource_rates(arch: Architecture) -> np.ndarray:
    """Sustained bandwidth of each memory level, then each link, for streaming reads
    (:data:`~cimsim.hw.base.STREAM`): the rates the engine shares (an op of another pattern
    moves more bytes at them, :func:`pattern_scale`)."""
    hw = arch.hardware
    rates = np.array([hw.resource(r).bytes_per_s() for r in hw.resources], dtype=np.float64)
    for j in np.flatnonzero(~(np.isfinite(rates) & (rates > 0))):
        _bad_rate(hw, hw.resources[j], rates[j], "a streaming read")
    return rates


def mac_dtypes(workload: Workload) -> tuple[str, ...]:
    """The dtypes a run's roofline draws each component's peak at: its matmuls' (the dtypes
    their operands multiply in, :func:`cimsim.dtypes.matmul_dtype`:
    :func:`cimsim.plot.roofline.workload_dtype` picks the commonest), fp32 without one."""
    from .dtypes import DTYPES

    arrays = workload.arrays
    # compute dtypes only: a traced model's storage-only dtypes (int64 indices) have no MAC rate
    found = [d for d in np.unique(arrays.dtype[arrays.kind == MATMUL]).tolist() if d in DTYPES]
    return tuple(found) or ("fp32",)


def check_resources(arch: Architecture, dtypes: tuple[str, ...] = ()) -> None:
    """Each memory level's and link's answers for a streaming read (what components and the
    cost table ask): peak and sustained rate finite and > 0, the rate at most the peak, energy
    per byte and latency finite and >= 0; each component's static power and area parts finite
    and >= 0, its peak MAC rate for each of ``dtypes`` (:func:`mac_dtypes`) None or finite and
    > 0; else one line naming the level, link or component, its type and the method (a
    plug-in type's negative latency lowered every op's time silently, a zero peak divided by
    zero, a negative static power lowered the energy)."""
    hw = arch.hardware
    for name in hw.resources:
        res = hw.resource(name)
        got = {}
        for method, positive in (("peak_bytes_per_s", True), ("joules_per_byte", False),
                                 ("latency_s", False), ("bytes_per_s", None)):
            v = got[method] = answer(hw, name, method, getattr(res, method)() if method ==
                                     "peak_bytes_per_s" else getattr(res, method)(STREAM))
            if positive is not None and not (np.isfinite(v) and (v > 0 if positive else v >= 0)):
                raise ComponentError(f"{_what(hw, name)} '{name}' ({getattr(res, 'type_name', '')}): {method}() "
                                     f"gives {v!r}; it must be finite and {'> 0' if positive else '>= 0'}")
        rate, peak = got["bytes_per_s"], got["peak_bytes_per_s"]
        if rate > peak * (1 + 1e-9):  # a utilization over 1 (an AssertionError deep in the report)
            raise ComponentError(f"{_what(hw, name)} '{name}' ({getattr(res, 'type_name', '')}): "
                                 f"bytes_per_s() of a stream gives {rate!r} B/s, above its "
                                 f"peak_bytes_per_s() {peak!r}; the sustained rate is at most the peak")
    for comp in arch.instances:  # what the report multiplies and sums as given
        what = f"component '{comp.name}' ({comp.type_name})"
        p = float(comp.static_power_w)
        if not (np.isfinite(p) and p >= 0):
            raise ComponentError(f"{what}: static_power_w gives {p!r}; it must be finite and >= 0 (W)")
        for part, a in comp.area_m2().items():
            if not (np.isfinite(float(a)) and float(a) >= 0):
                raise ComponentError(f"{what}: area_m2() gives part '{part}' {float(a)!r}; an area "
                                     "must be finite and >= 0 (m^2)")
        for dt in dtypes:  # a roofline's roof (a negative one was drawn, 'roof: sa -2 OPS')
            try:
                peak = comp.peak_macs_per_s(dt)
            except Exception as exc:  # a plug-in's lookup of its one dtype (guard.py words it)
                said = (one_line(str(exc)) if isinstance(exc, ComponentError) else
                        f"{what}: peak_macs_per_s() raised {type(exc).__name__}: {one_line(str(exc))}")
                raise ComponentError(
                    f"{said}; it was asked for '{dt}': every run asks it for each matmul dtype of "
                    f"the workload ({', '.join(dtypes)}: the roofline's roof): return None for a "
                    "dtype it does no MACs of") from None
            if peak is not None and not (_is_number(peak) and np.isfinite(float(peak)) and float(peak) > 0):
                raise ComponentError(f"{what}: peak_macs_per_s('{dt}') gives {one_line(repr(peak))[:80]}; "
                                     "it must be a finite number of MAC/s > 0, or None where it "
                                     "does no MACs of that dtype")


#: the unit of each resource method's answer, for messages
UNITS = {"peak_bytes_per_s": "B/s", "bytes_per_s": "B/s", "joules_per_byte": "J/B", "latency_s": "s"}


def answer(hw, name: str, method: str, v, pattern: str = "") -> float:
    """A memory level's or link's answer ``v`` to ``method`` as a float; else (text such as
    '64 GB/s', None, a bool) one line naming the level or link, its type and the method (and
    `` for PATTERN``), as a component's cost() is told (float() of it was a traceback)."""
    if _is_number(v):
        return float(v)
    res = hw.resource(name)
    raise ComponentError(f"{_what(hw, name)} '{name}' ({getattr(res, 'type_name', '') or type(res).__name__}): "
                         f"{method}() gives {one_line(repr(v))[:80]} ({type(v).__name__}){pattern}, not a "
                         f"number; it must be a number of {UNITS[method]}")


def _is_number(v) -> bool:
    """A real number (a NumPy one, a Decimal too), not text, a bool or a complex."""
    if isinstance(v, np.ndarray):
        return v.shape == () and v.dtype.kind in "iuf"
    return isinstance(v, numbers.Number) and not isinstance(v, (bool, np.bool_)) and not (
        isinstance(v, numbers.Complex) and not isinstance(v, numbers.Real))


def _what(hw, name: str) -> str:
    """What a resource is, for a message: a link, a memory level or a component's bandwidth."""
    return "link" if name in hw.links else "memory level" if name in hw.memory else "bandwidth"


def _bad_rate(hw, name: str, rate: float, pattern: str):
    """Refuse a rate that is not finite and > 0 (a zero rate would never finish a transfer: the
    engine would not stop), naming the level or link and its type."""
    res = hw.resource(name)
    raise ComponentError(f"{_what(hw, name)} '{name}' ({getattr(res, 'type_name', '') or type(res).__name__}): "
                         f"bytes_per_s() gives {float(rate)!r} for {pattern}; a rate must be finite and "
                         "> 0 (B/s)")


def read_fractions(arrays, table: CostTable | None, j: int, tags: bool = True) -> np.ndarray:
    """Each op's share of reads among its bytes on resource ``j``: a hand-stated
    ``read_fraction`` tag where the op has one (it wins; ``tags=False``: ignored), else its
    reads / bytes there from the cost table (:attr:`CostTable.write_bytes`; 1 where it moves
    no byte, or without a table)."""
    n = len(arrays.kind)
    if table is not None and table.write_bytes is not None and table.write_bytes[:, j].any():
        b, w = table.bytes[:, j], table.write_bytes[:, j]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(b > 0, (b - w) / b, 1.0)
    else:
        r = np.ones(n)
    stated = arrays.read_fraction
    return r if stated is None or not tags else np.where(np.isnan(stated), r, stated)


def pattern_scale(arch: Architecture, arrays, rates: np.ndarray,
                  table: CostTable | None = None) -> np.ndarray | None:
    """(n_ops, n_resources) factor ``stream rate / rate of the op's pattern`` on each resource,
    or None when it is 1 everywhere (no resource's rate depends on the pattern: every
    ``type: fixed`` level and link, so every bundled config, the fast path; or every op streams
    reads on those that do).

    An op's pattern on a resource: its random access size (tag ``access_bytes``, 0 =
    streaming) and its read fraction there (:func:`read_fractions`: the cost table's read/write
    split of its bytes on that resource, unless a ``read_fraction`` tag states one). The engine
    shares one rate per resource; an op whose pattern a resource serves slower is charged the
    time of its bytes at its own rate by moving ``bytes x scale`` at the streaming rate (the
    engine stays pattern-free; energy per byte follows the pattern: :func:`pattern_energy`).
    Only an op's random share of its bytes there (:func:`random_shares`: a GNN gather's rows,
    not its ids or E x d output) takes the random rate; the rest streams at its read fraction.
    """
    hw = arch.hardware
    live = [j for j, name in enumerate(hw.resources) if not hw.resource(name).pattern_free]
    if not live:
        return None
    n = len(arrays.kind)
    size = arrays.access_bytes if arrays.access_bytes is not None else np.zeros(n)
    scale = None
    for j in live:
        reads = read_fractions(arrays, table, j)
        odd = (size > 0) | (reads != 1.0)
        if table is not None:
            odd &= table.bytes[:, j] > 0
        idx = np.flatnonzero(odd)
        if not len(idx):
            continue
        col = rates[j] / _gather_rates(hw, j, arrays, size, reads, idx)
        share = random_shares(arrays, table, j, reads)[idx]
        on, ratio = _table_streams(hw, j, arrays, table, idx, share, size, reads)
        col[on] *= ratio  # a gather whose table streams faster there: the table, streamed
        part = np.flatnonzero(share < 1.0)
        if len(part):  # the streamed rest of a random-access op: the stream rate at its reads
            flat = np.zeros(n)
            stream = rates[j] / _own_rates(hw, j, flat, reads, idx[part])
            col[part] = share[part] * col[part] + (1.0 - share[part]) * stream
        if (col == 1.0).all():
            continue
        if scale is None:
            scale = np.ones((n, len(rates)))
        scale[idx, j] = col
    return scale


def random_shares(arrays, table: CostTable | None, j: int, reads: np.ndarray) -> np.ndarray:
    """Each op's share of its bytes on resource ``j`` that are random accesses: its stated
    random reads (tag ``random_read_bytes``: a row gather's rows) and writes
    (``random_write_bytes``: a scatter-add's destination rows written back), each at most its
    reads (writes) there, over its bytes there; its other bytes (ids, an E x d source or
    output) stream. 1 where an op states neither (its every byte takes its pattern), or
    without a cost table."""
    rr, rw = arrays.random_read_bytes, arrays.random_write_bytes
    n = len(arrays.kind)
    if rr is None or table is None:
        return np.ones(n)
    b = table.bytes[:, j]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (np.minimum(rr, b * reads) + np.minimum(rw, b * (1.0 - reads))) / b
    return np.where(np.isnan(rr) | (b <= 0), 1.0, share)


def _line_means(arrays, size, idx):
    """Of the ops ``idx``: the positions of traced gathers (tag ``table_bytes``) whose
    ``access_bytes`` is a mean of accesses of whole :data:`LINE` s between ``k`` and ``k + 1``
    lines, with ``k`` and the fraction ``f`` of the way to ``k + 1``."""
    tb = arrays.table_bytes
    if tb is None:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    mixed, k, f = line_mix(size[idx])
    on = np.flatnonzero(~np.isnan(tb[idx]) & mixed)
    return on, k[on], f[on]


def _gather_rates(hw, j: int, arrays, size, reads, idx) -> np.ndarray:
    """:func:`_own_rates`, where a traced gather's accesses (tag ``table_bytes``) of whole lines
    average ``access_bytes`` taken as that mix of ``k`` and ``k + 1`` lines: each access's time
    is the time of its own whole lines (bursts), not of the mean rounded up to whole bursts."""
    own = _own_rates(hw, j, size, reads, idx)
    on, k, f = _line_means(arrays, size, idx)
    if len(on):
        sub, lo, hi = idx[on], size.copy(), size.copy()
        lo[sub], hi[sub] = k * LINE, (k + 1) * LINE
        per_access = ((1 - f) * k * LINE / _own_rates(hw, j, lo, reads, sub)
                      + f * (k + 1) * LINE / _own_rates(hw, j, hi, reads, sub))
        own[on] = size[sub] / per_access
    return own


def _table_streams(hw, j: int, arrays, table, idx, share, size, reads):
    """Of the ops ``idx`` on resource ``j`` (``share``: their random share there): the positions
    of traced gathers (tag ``table_bytes``) that take less time streaming their whole table
    there than fetching their lines at random, and that time over the random lines' (< 1). On a
    ``type: fixed`` level (no random penalty) the lines never cost more than the table."""
    tb, none = arrays.table_bytes, (np.zeros(0, np.int64), np.zeros(0))
    if tb is None or table is None:
        return none
    rb = share * table.bytes[idx, j]
    on = np.flatnonzero(~np.isnan(tb[idx]) & (rb > 0))
    if not len(on):
        return none
    sub = idx[on]
    ratio = (tb[sub] / _own_rates(hw, j, np.zeros(len(size)), reads, sub)
             * _gather_rates(hw, j, arrays, size, reads, sub) / rb[on])
    return on[ratio < 1.0], ratio[ratio < 1.0]


def _own_rates(hw, j: int, size, reads, idx) -> np.ndarray:
    """Resource ``j``'s rates (B/s) of the ops ``idx``' patterns, each a finite positive number
    at most its peak, or one line naming the op and its pattern."""
    res = hw.resource(hw.resources[j])
    try:
        own = np.asarray(res.rates_of(size[idx], reads[idx]), dtype=np.float64)
    except (TypeError, ValueError):  # an answer that is text: one line naming its pattern
        _first_text_rate(hw, hw.resources[j], size, reads, idx)
        raise
    bad = np.flatnonzero(~(np.isfinite(own) & (own > 0)))
    if len(bad):
        i = idx[bad[0]]
        _bad_rate(hw, hw.resources[j], own[bad[0]], _pattern_text(size, reads, i))
    peak = answer(hw, hw.resources[j], "peak_bytes_per_s", res.peak_bytes_per_s())
    over = np.flatnonzero(own > peak * (1 + 1e-9))  # as a stream's (check_resources)
    if len(over):  # a utilization over 1 (an AssertionError in the report), or silent
        raise ComponentError(f"{_what(hw, hw.resources[j])} '{hw.resources[j]}' ({res.type_name}): "
                             f"bytes_per_s() gives {float(own[over[0]])!r} B/s for "
                             f"{_pattern_text(size, reads, idx[over[0]])}, above its "
                             f"peak_bytes_per_s() {peak!r} B/s; the sustained rate is at most the peak")
    return own


def _first_text_rate(hw, name: str, size, reads, idx) -> None:
    """Raise the one line :func:`answer` gives the first of the ops ``idx``' patterns whose
    ``bytes_per_s()`` is not a number."""
    res = hw.resource(name)
    _, first = np.unique(np.stack([size[idx], reads[idx]], axis=1), axis=0, return_index=True)
    for i in idx[np.sort(first)]:
        s, r = float(size[i]), float(reads[i])
        pattern = Pattern.random_access(s, r) if s > 0 else Pattern.stream(r)
        answer(hw, name, "bytes_per_s", res.bytes_per_s(pattern), f" for {_pattern_text(size, reads, i)}")


def _pattern_text(size, reads, i: int) -> str:
    """Op ``i``'s access pattern, for a message."""
    return (f"accesses of {size[i]:g} B, {reads[i]:g} of them reads (op #{i})" if size[i] > 0
            else f"a stream {reads[i]:g} of whose bytes are reads (op #{i})")


def _joules_per_byte(hw, name: str, s: float, r: float, i: int) -> float:
    """Level ``name``'s energy per byte of accesses of ``s`` bytes, ``r`` of them reads (op
    ``i``'s): a finite number >= 0, or one line naming the level and that pattern."""
    res, said = hw.resource(name), f" for accesses of {s:g} B, {r:g} of them reads (op #{i})"
    v = answer(hw, name, "joules_per_byte", res.joules_per_byte(Pattern.random_access(float(s), float(r))), said)
    if not (np.isfinite(v) and v >= 0):
        raise ComponentError(f"{_what(hw, name)} '{name}' ({getattr(res, 'type_name', '')}): "
                             f"joules_per_byte() gives {v!r}{said}; it must be finite and >= 0 (J/B)")
    return v


def pattern_energy(arch: Architecture, arrays, table: CostTable) -> CostTable:
    """``table`` with each resource's energy per byte taken at each op's access pattern
    (:meth:`~cimsim.hw.base.Resource.joules_per_byte` of the pattern: a DRAM's burst over-fetch
    of a small random access); ``table`` itself when no op's pattern changes it (every bundled
    config: ``type: fixed`` resources and streaming ops). A copy: a cached table serves runs of
    other rates."""
    hw = arch.hardware
    size = arrays.access_bytes
    if size is None or not (size > 0).any():
        return table
    energy, first = None, len(table.parts) - len(table.resources)
    for j, name in enumerate(table.resources):
        res = hw.resource(name)
        if res.pattern_free:
            continue
        reads = read_fractions(arrays, table, j)
        idx = np.flatnonzero((size > 0) & (table.bytes[:, j] > 0))
        if not len(idx):
            continue
        keys, inv = np.unique(np.stack([size[idx], reads[idx]], axis=1), axis=0, return_inverse=True)
        inv = inv.reshape(-1)
        per = np.empty(len(keys))
        for q, (s, r) in enumerate(keys):  # each answer a number, finite and >= 0, or one line
            per[q] = _joules_per_byte(hw, name, s, r, int(idx[np.argmax(inv == q)]))
        if energy is None:
            energy = table.energy.copy()
        per = per[inv]
        on, k, f = _line_means(arrays, size, idx)
        for q, i in enumerate(idx[on]):  # accesses of k and k + 1 whole lines (_gather_rates)
            e = [s * _joules_per_byte(hw, name, s, reads[i], i) for s in (k[q] * LINE, (k[q] + 1) * LINE)]
            per[on[q]] = ((1 - f[q]) * e[0] + f[q] * e[1]) / size[i]
        share = random_shares(arrays, table, j, reads)[idx]  # the rest keeps the stream's energy
        stream = table.energy[idx, first + j] / np.where(table.bytes[idx, j] > 0, table.bytes[idx, j], 1.0)
        rand = share * table.bytes[idx, j] * per
        on, _ = _table_streams(hw, j, arrays, table, idx, share, size, reads)
        if len(on):  # the table streamed: its bytes' energy
            rand[on] = arrays.table_bytes[idx[on]] * stream[on]
        energy[idx, first + j] = rand + (1.0 - share) * table.energy[idx, first + j]
    return table if energy is None else dataclasses.replace(table, energy=energy)


def stated_read_note(arch: Architecture, arrays, table: CostTable) -> list[str]:
    """A note when hand-stated ``read_fraction`` tags replace the cost table's read/write split
    on a level whose rate depends on it (empty otherwise)."""
    stated = arrays.read_fraction
    if stated is None:
        return []
    hw = arch.hardware
    has = ~np.isnan(stated)
    out = []
    for j, name in enumerate(hw.resources):
        if hw.resource(name).pattern_free:
            continue
        on = has & (table.bytes[:, j] > 0)
        if not on.any():
            continue
        differ = int((on & (read_fractions(arrays, table, j, tags=False) != stated)).sum())
        out.append(f"{int(on.sum()):,} ops state read_fraction by tag: on {name} it replaces the "
                   f"read share of their bytes the cost model gives ({differ} of them differ)")
    return out


def engine_rules(arch: Architecture, table: CostTable):
    """The engine's optional link rules: ``(exclusive, curves)``.

    ``exclusive`` (ops x resources, or None): an op that *holds* a resource (``hold_s > 0``,
    e.g. a PIM op in ``blocked`` sharing) holds it alone, non-preemptive; other transfers
    queue behind it. ``curves`` (per resource, or None): each resource's loaded-latency curve
    (:meth:`~cimsim.hw.base.Resource.loaded_latency_curve`). None when no resource has one /
    nothing holds (every bundled config: the engine's plain rules, bit for bit)."""
    hw = arch.hardware
    curves = [hw.resource(r).loaded_latency_curve() for r in hw.resources]
    held = table.hold_s is not None and bool(table.hold_s.any())
    return (table.hold_s > 0 if held else None,
            curves if any(c is not None for c in curves) else None)


def analytic_notes(arch: Architecture, exclusive, curves) -> list[str]:
    """What the analytic engine leaves out of the DES's rules, for the result's notes."""
    names = arch.hardware.resources
    out = []
    if curves is not None:
        out.append("analytic engine: no loaded latency on " + ", ".join(
            n for n, c in zip(names, curves) if c is not None) + " (each op as if alone: the idle "
            "latency; the DES adds the latency that grows with load)")
    if exclusive is not None:
        out.append("analytic engine: transfers that hold " + ", ".join(
            n for n, h in zip(names, exclusive.any(axis=0)) if h) + " exclusively (a CIM chip's shared buffers "
            "and buses, PIM in blocked sharing) are not queued ahead of others; the bounds count their time only")
    return out


def place_and_cost(arch: Architecture, workload: Workload,
                   costs: CostCache | None = None) -> tuple[Placement, CostTable]:
    """The placement and cost table of ``workload`` on ``arch``; from ``costs`` when it holds
    them for an architecture equal to this one but for rate fields (the component contract:
    costs never depend on them)."""
    if costs is not None:
        hit = costs.get(arch, workload)
        if hit is not None:
            return hit
    pl = place(workload, arch)
    table = compute_costs(pl, arch, pl.arrays)
    if costs is not None:
        costs.put(arch, workload, pl, table)
    return pl, table


def _check_args(arch, workload) -> None:
    """An Architecture and a Workload, or one line saying what was given and how to load it."""
    for value, cls, load, what in ((arch, Architecture, "load_architecture", "arch"),
                                   (workload, Workload, "load_workload", "workload")):
        if not isinstance(value, cls):
            raise CimsimError(f"simulate(): {what} must be {'an' if what == 'arch' else 'a'} {cls.__name__} ({load}(NAME or PATH) "
                              f"gives one), got {given(value)}"[:300])
    # the metadata is a plain dict the caller may have edited since loading: its batch sets the
    # samples (and samples/s) of the result, so the loader's rule holds here too
    check_metadata(workload.name, workload.metadata)


def _check_options(keep_ops, costs) -> None:
    if not isinstance(keep_ops, (bool, np.bool_)):  # "no" was taken as true
        raise CimsimError(f"simulate(): keep_ops must be True or False, got {given(keep_ops)}"[:300])
    if costs is not None and not isinstance(costs, CostCache):
        raise CimsimError(f"simulate(): costs must be a CostCache (cimsim.cost.cache.CostCache()) "
                          f"or None, got {given(costs)}"[:300])


def simulate(arch: Architecture, workload: Workload, engine: str = "des", keep_ops: bool = True,
             costs: CostCache | None = None) -> Result:
    """Simulate ``workload`` on ``arch`` and report latency, energy and utilization.

    Parameters
    ----------
    engine : ``"des"`` (discrete-event simulation, shares bandwidth between
        concurrent transfers) or ``"analytic"`` (critical-path and bandwidth
        bounds, no event simulation).
    keep_ops : attach the per-op table (``Result.op_table``); sweeps turn it off.
    costs : a :class:`~cimsim.cost.cache.CostCache` to take the placement and cost table
        from (and to leave them in): runs on the same workload object whose architectures
        differ only in memory-level and link bandwidths share them (sweeps).

    Each of the result's ``implausible_notes`` (a design above a 300 mm wafer, above its
    TDP) is also issued as a :class:`~cimsim.errors.PhysicalPlausibilityWarning` (a
    ``CimsimWarning``), one per note, and ``Result.physically_plausible`` is then false.
    """
    result = simulate_quietly(arch, workload, engine, keep_ops, costs)
    for note in result.implausible_notes:
        warnings.warn(note.removeprefix(WARNING), PhysicalPlausibilityWarning, stacklevel=2)
    return result


def simulate_quietly(arch: Architecture, workload: Workload, engine: str = "des",
                     keep_ops: bool = True, costs: CostCache | None = None) -> Result:
    """:func:`simulate` without issuing the physical notes as warnings: for callers that show
    or keep them with the result (sweep rows: ``notes`` and ``physically_plausible``)."""
    if engine not in ENGINES:
        raise CimsimError(f"engine '{engine}' is not one of {', '.join(ENGINES)}")
    _check_args(arch, workload)
    _check_options(keep_ops, costs)
    mark("placing and costing", f"{workload.name} on {arch.name}")
    check_resources(arch, mac_dtypes(workload))
    pl, table = place_and_cost(arch, workload, costs)
    raw, table = table, pattern_energy(arch, pl.arrays, table)
    rates = resource_rates(arch)
    moved = table.engine_bytes(rates)
    scale = pattern_scale(arch, pl.arrays, rates, table)
    slow = None
    if scale is not None:  # per-op rates, as counted bytes scaled to the streaming rate
        extra = table.bytes * (scale - 1.0)  # (holds and traffic unscaled; energy: pattern_energy)
        moved = moved + extra
        slow = extra.sum(axis=0)
    resource_s = moved / rates if len(rates) else np.zeros((pl.n_ops, 0))
    transfer_s = table.transfer_s(resource_s)  # the slowest, or ahead's then the rest's
    work = op_work(pl.serial, table.pieces, table.compute_s, transfer_s)
    duration = work + table.latency_s

    # the critical path is the workload's own (no server's order: that is the engines')
    dist, cp_path = longest_paths(*workload.predecessors, duration)
    cp_s = float(dist.max()) if len(dist) else 0.0
    exclusive, curves = engine_rules(arch, table)
    notes: list[str] = []
    ordered = np.zeros(pl.n_servers, dtype=bool)  # in-order servers run in order (placement 6)
    mark(f"simulating ({engine})")
    while True:
        indptr, indices = pl.predecessors(workload, ordered)
        if engine == "des":
            rec = simulate_dag(indptr, indices, pl.run_server, table.compute_s, table.latency_s, moved,
                               rates, pl.serial, exclusive=exclusive, link_latency=curves,
                               pieces=table.pieces, ahead=table.ahead)
            start = rec.start
        else:  # each op as early as its dependencies allow; the order check list-schedules
            eng_dist, eng_path = (dist, cp_path) if not ordered.any() else longest_paths(
                indptr, indices, duration)
            start = eng_dist - duration
        need = pl.order_needed(start, ordered, None if engine == "des" else duration)
        if not need.any():
            break
        ordered |= need
    if engine == "des":
        latency = rec.makespan
        start, end = rec.start, rec.end
        path = realized_critical_path(indptr, indices, pl.run_server, start, end)
        notes = des_busiest_note(pl, duration, table.latency_s, float(latency), cp_s)
    else:
        eng_cp = float(eng_dist.max()) if len(eng_dist) else 0.0
        latency, bounds = analytic_latency(indptr, indices, pl.server, duration, moved, rates, eng_cp)
        notes = analytic_notes(arch, exclusive, curves)
        end = eng_dist
        path = eng_path
        if latency > eng_cp:  # the busiest unit or link sets it: the bound and path parts say which
            path, path_time, note = analytic_bound(pl, duration, moved, rates, table, bounds, eng_cp)
            notes.append(note)
    notes += pl.order_note(ordered)
    mark("building the report", path=rec.path if engine == "des" else "analytic")
    run = RunData(arch, workload, engine, pl, table, rates, resource_s, duration, float(latency),
                  start, end, path, float(cp_s), cp_path, slow,
                  notes + stated_read_note(arch, pl.arrays, table) + fixed_level_note(arch, pl.arrays, table, pl)
                  + activation_note(arch, pl.arrays, raw, table, pattern_energy) + repeat_hit_note(arch, workload, pl.arrays)
                  + col2im_note(workload, pl) + unread_note(arch) + list(arch.notes), path_time if engine != "des" and latency > eng_cp else None)
    result = build_result(run, keep_ops)
    result.inputs = source_fields(arch.source, workload.source)  # what it was computed from
    mark(OUTPUT)
    return result
