"""The CIM component's placement and cost when its config has a ``chip`` block.

Placement (on top of :mod:`.tiling`): every layer (weight matrix) keeps its own arrays and its
own engine server (a layer pipeline), copies chosen by :mod:`.mapping`; an op's activation rows
spread over its layer's copies. When one copy of every layer does not fit, the flat pool's
re-programming rules apply (:mod:`.reprogram`) on one server, which runs its ops in program
order where run as ready it would re-program other ops than charged (``Plan.in_order``,
``in_order_check``: the order the LRU was decided in; before 2026-12-06 (late) the
ready op listed first, so independent chains swapped matrices uncharged). Every op's inputs and outputs
cross the hierarchy (:mod:`.chip`), which adds time (op columns ``buffer_s``,
``interconnect_s``) and the energy parts ``buffer`` and ``interconnect``.

The chip claims the im2col copy ops the tracer emits before a convolution and charges them
nothing: the arrays' input path builds the windows, and what that moves is charged to the
convolution. Without ``chip.input_reuse`` (NeuroSim's conventional mapping) a convolution
moves its im2col bytes (every window's inputs); with it (the novel mapping's input reuse), an
op carrying ``window_elems`` (the input elements read once per kernel row: batch x channels
x output rows x kernel rows x input width, a tracer tag) moves ``window_elems x input_bits /
8`` bytes instead.

With ``chip.periphery``, the chip also claims every other op with vector work and no MACs
(activations, pooling, residual adds, normalisations; ``vector_ops`` of the workload). Such an
op runs on the periphery units of the layer that precedes it in program order (the first layer
when none precedes): ``units = ceil(arrays allocated to the layer / arrays per periphery
level unit) x periphery.units``; time ``vector_ops / (units x clock)``, energy ``vector_ops x
energy_per_op`` (part ``periphery``); its tensors stay on the chip (no link bytes).
Matmuls without a stationary weight and copies other than im2col stay with a processor.

Shared levels. A level with one unit on the chip (typically the top: one global buffer and
one bus serving every layer) is an engine resource ``<component>_<level>`` (e.g. ``cim_chip``,
:func:`shared_bandwidths`), not part of the op's compute time: the op charges it its bytes and
holds it for the rest of its closed-form time alone (whole bus words and cycles, the buffer's
accesses: ``OpCost.hold_s``), so an op alone on it takes exactly the time of :mod:`.chip`'s
rules, and ops in flight together share it (the DES's processor sharing; the analytic engine
and the pipeline's steady state count its total). The resource's rate is the interconnect's
``width / 8 x clock`` (else the buffer's ``width / 8 / (2 x cycle)``); the interconnect's hops
are the op's fixed latency. With ``transfers: serial`` the op's compute waits for its shared
transfers (an engine ``serial`` op); overlapped, they run beside it. The op columns
``buffer_s`` and ``interconnect_s`` stay every level's time alone; ``shared_s`` is the shared
levels' part of them.

The flat-pool local buffer (``cim.buffer``) is optional with a chip block; given, it is a
buffer beside the levels (a note says so): it bounds an op's array time as without a chip block
(``max(array time, bytes / buffer bandwidth)``) and its energy per byte, area and leakage count
as without one.
"""

from __future__ import annotations

import numpy as np

from ...dtypes import DTYPE_BYTES
from ...errors import MappingError
from ...units import si
from ..base import Plan
from ..im2col import input_bytes
from . import chip as chipmod
from . import adcshare, epilogue, inbits, mapping, offchip, programming, wbits
from .reprogram import NO_WEAR, Replay, chips_text, lifetime, lru_reprograms, rounds, wear_text
from .shared import (chip_node, one_unit_levels, per_op_levels, resource_name,  # noqa: F401
                     shared_bandwidths, shared_classes, shared_costs, shared_levels, shared_time)
from .tiling import matrix_keys, read_groups, tiles

PARTS = ("buffer", "interconnect")


def check_config(c) -> None:
    ch = c.chip
    if ch.arrays != c.arrays:
        raise ValueError(f"chip.levels fan-outs multiply to {ch.arrays} arrays "
                         f"({' x '.join(str(lv.fanout) for lv in ch.levels.values())}) but arrays is "
                         f"{c.arrays}; make them equal")
    if c.transposed_read:
        raise ValueError("transposed_read does not apply with a chip block (its layer mapping "
                         "holds one layer per weight orientation): leave it out, or use a flat "
                         "pool (no chip block)")
    if c.weight_replication or c.replication != "uniform" or c.input_reuse:
        raise ValueError("weight_replication, replication and input_reuse do not apply with a "
                         "chip block: use chip.duplication or chip.layers, and chip.input_reuse")


def node_nm(c, hw) -> float | None:
    """The node of the chip's circuit defaults: ``chip.node_nm``, else the architecture's."""
    if c.chip.node_nm is not None:
        return c.chip.node_nm
    tech = getattr(hw, "technology", None)
    return tech.node_nm if tech is not None else None


def taken_level_names() -> tuple[str, ...]:
    """Names a chip level may not have: the CIM's energy and compute parts. A level with one
    unit on the chip is the engine resource ``<component>_<level>`` (:func:`resource_name`),
    whose energy, time and bytes the result reports beside the parts ``<component>_<part>``: a
    level named like a part took the part's place (a top level ``buffer`` dropped the buffers'
    energy, 30 % of a run's)."""
    from .derive import ENERGY_FIELDS

    return (*ENERGY_FIELDS, *PARTS, "periphery", "layout")


def check(c, hw) -> list[tuple[str, str]]:
    """Cross-reference errors of the chip block (a component check)."""
    if c.chip is None:
        return []
    taken = taken_level_names()
    out = [(f"chip.levels.{n}", f"a chip level may not be named '{n}': a level with one unit on "
            f"the chip is reported as '<component>_{n}', the name of the CIM's part '{n}' too; "
            f"name it otherwise (e.g. top): any lower case word but {', '.join(taken)}")
           for n in c.chip.levels if n in taken]
    if node_nm(c, hw) is not None or not chipmod.needs_node(c.chip):
        return out
    return out + [("chip.node_nm", "the chip's buffers or periphery take circuit-model defaults: "
                   "give chip.node_nm or a top-level technology block (node), or give their "
                   "energies and latencies")]


def energy_parts(c) -> tuple[str, ...]:
    if c.chip is None:
        return ()
    return (PARTS + (("periphery",) if c.chip.periphery is not None else ())
            + (("layout",) if c.chip.energy_overhead > 1.0 else ()))


def provenance(c, field_prov, weakest) -> tuple[dict, dict]:
    """``(energy, area)`` provenance of the chip's parts (the block's :meth:`provenance`
    rules): a given energy or area rests on its field (a placeholder when marked); one the
    circuit models derive is derived, unless a field it is derived from is marked."""
    ch = c.chip
    if ch is None:
        return {}, {}
    node = ["chip.node_nm"] if ch.node_nm is not None else []

    def own(given, *inputs):  # a given value's field, else derived from its inputs
        return (field_prov(given) if given else
                weakest(["derived", *(field_prov(f) for f in (*inputs, *node))]))

    bufs = [(f"chip.levels.{n}.buffer", lv.buffer) for n, lv in ch.levels.items() if lv.buffer]
    links = [(f"chip.levels.{n}.interconnect", lv.interconnect) for n, lv in ch.levels.items()
             if lv.interconnect]
    e_buf = [own(f"{p}.energy_per_access" if b.energy_per_access is not None else None,
                 f"{p}.type", f"{p}.capacity", f"{p}.width_bits") for p, b in bufs]
    if c.buffer is not None:  # the flat buffer beside the levels joins their part
        e_buf.append(field_prov("buffer.energy_per_byte"))
    energy = {"buffer": weakest(e_buf or ["given"]),
              "interconnect": weakest([field_prov(f"{p}.{f}") for p, _ in links
                                       for f in ("energy_per_bit_per_hop", "activity")]
                                      or ["given"])}
    a_buf = [own(f"{p}.area" if b.area is not None else None,
                 f"{p}.type", f"{p}.capacity", f"{p}.width_bits") for p, b in bufs]
    area = {"chip_buffers": weakest(a_buf or ["given"])}
    if links and any(i.area is not None for _, i in links):
        area["chip_interconnect"] = weakest([field_prov(f"{p}.area") for p, i in links
                                             if i.area is not None])
    if ch.periphery is not None:
        p, per = "chip.periphery", ch.periphery
        energy["periphery"] = own(f"{p}.energy_per_op" if per.energy_per_op is not None else None,
                                  f"{p}.bits")
        area["periphery"] = weakest([own(f"{p}.area_per_unit" if per.area_per_unit is not None
                                         else None, f"{p}.bits"), field_prov(f"{p}.units")])
    # the overheads rest on their factors (the parts they scale count on their own)
    if ch.energy_overhead > 1.0:
        energy["layout"] = field_prov("chip.energy_overhead")
    if ch.area_overhead > 1.0:
        area["overhead"] = field_prov("chip.area_overhead")
    return energy, area


#: where the chip's ops spend their time, summed over its ops (s), and the largest part
TIME_PARTS = ("array", "buffer", "interconnect", "periphery")


def facts(c) -> dict[str, object]:
    if c.chip is None:
        return {}
    return {**{f: 0 for f in mapping.fact_names(c.chip)},
            **{f"time_{p}_s": 0.0 for p in TIME_PARTS}, "time_bound": ""}


def area_m2(c, base: dict[str, float], hw=None) -> dict[str, float]:
    """``base`` (the flat block's parts) plus the chip's buffers, periphery and layout overhead."""
    ch = c.chip
    if ch is None:
        return base
    node = node_nm(c, hw)
    out = dict(base)
    out["chip_buffers"] = chipmod.buffer_area_m2(ch, node)
    ic = chipmod.interconnect_area_m2(ch)
    if ic is not None:
        out["chip_interconnect"] = ic
    if ch.periphery is not None:
        p = ch.periphery
        out["periphery"] = (p.energy_area(node)[1] * p.units
                            * (ch.arrays // ch.level_arrays(p.level)))
    if ch.area_overhead > 1.0:
        out["overhead"] = (ch.area_overhead - 1.0) * sum(out.values())
    return out


def claims(c, ops, left=None) -> np.ndarray:
    """Ops the chip block adds to the block's claim: im2col copies and vector ops
    (``periphery``); ``left`` (bool per op, or None): the matmuls ``exclude`` leaves to the host
    (:mod:`.exclude`), whose im2col copies stay with them."""
    mine = np.zeros(ops.stationary.shape, dtype=bool)
    ch = c.chip
    if ch is None:
        return mine
    if getattr(ops, "im2col", None) is not None:
        mine |= ops.im2col & _feeds_the_arrays(ops, left)
    if ch.periphery is not None:
        mine |= (ops.stationary < 0) & (ops.macs == 0) & (ops.vector_ops > 0)
        while (more := _recasts_of(ops, mine) & ~mine).any():  # a cast of a cast: to a fixpoint
            mine |= more
    return mine


def _recasts_of(ops, mine) -> np.ndarray:
    """Per op: a copy that only re-types a tensor an op of ``mine`` made (``OpArrays.recast``:
    the compare's bool widened to fp32 by ``(v > theta).float()``), run where that op runs."""
    out = np.zeros(ops.stationary.shape[0], dtype=bool)
    if ops.recast is None or ops.producer is None or ops.act_ptr is None:
        return out
    i = np.flatnonzero(ops.recast & (np.diff(ops.act_ptr) == 1))
    made = ops.producer[ops.act_ids[ops.act_ptr[i]]]
    out[i[(made >= 0) & mine[np.maximum(made, 0)]]] = True
    return out


def _elem_bytes(dtypes) -> np.ndarray:
    """Bytes per element of each dtype name (1 for one not in DTYPE_BYTES)."""
    return np.array([DTYPE_BYTES.get(d, 1) for d in dtypes])


def periphery_ops(ops, idx) -> np.ndarray:
    """Periphery operations of the ops ``idx``: their vector ops, and a re-typing copy's
    (:func:`_recasts_of`) one per output element (a bool widened to a float is a select of two
    constants, as the compare that made it is one operation per element)."""
    vec = ops.vector_ops[idx]
    if ops.recast is None or not ops.recast[idx].any():
        return vec
    elems = ops.act_out_bytes[idx] / _elem_bytes(ops.dtype[idx])
    return np.where(ops.recast[idx], elems, vec)


def _feeds_the_arrays(ops, left=None) -> np.ndarray:
    """Per op: some reader of one of its outputs is a matmul the arrays can hold (a stationary
    weight of a compute dtype, not ``left`` to the host by ``exclude``); a depthwise
    convolution's im2col copy (no stationary weight: the host runs it) stays with its
    convolution, and so does an excluded one's (before 2026-12-06 (mend) it ran on the chip,
    at 0 J, while its convolution ran on the host). All ops without the producer columns."""
    n = ops.stationary.shape[0]
    if getattr(ops, "act_ptr", None) is None or getattr(ops, "producer", None) is None:
        return np.ones(n, dtype=bool)
    reader = ops.act_readers()
    arrays = (ops.stationary >= 0) & ops.mac_dtype_ok()
    if left is not None:
        arrays &= ~left
    t = ops.act_ids[arrays[reader]]
    made = ops.producer[t]
    out = np.zeros(n, dtype=bool)
    out[made[made >= 0]] = True
    return out


def _owner(mm: np.ndarray, group_of_mm: np.ndarray) -> np.ndarray:
    """Layer of each op: its own for matmuls; the preceding matmul's (else the first one's)."""
    pos = np.where(mm, np.arange(len(mm)), -1)
    last = np.maximum.accumulate(pos) if len(mm) else pos
    first = int(np.flatnonzero(mm)[0])
    src = np.where(last >= 0, last, first)
    owner = np.zeros(len(mm), dtype=np.int64)
    owner[mm] = group_of_mm
    return owner[src]


def place(comp, ops, idx, ride=None) -> Plan:
    """The chip's plan of the ops ``idx``; ``ride`` (bool per op): those riding on their
    matmuls in the near-memory datapath (:mod:`.epilogue`: on their matmul's layer, no
    periphery work, the matmul's output kept in the datapath and theirs at its chip size)."""
    c, ch = comp.config, comp.config.chip
    ride = np.zeros(ops.kind.shape[0], dtype=bool) if ride is None else ride
    rides, at = ride[idx], epilogue.positions(ops, idx, ride)
    node = node_nm(c, comp.hw)
    rows, k, n = ops.rows[idx], ops.k[idx], ops.n[idx]
    mm = ops.stationary[idx] >= 0
    reads = read_groups(k, c.rows, c.rows_per_read)[1]  # per op (:mod:`.tiling`)
    reads, slices = np.where(mm, reads, 1.0) if np.ndim(reads) else reads, inbits.op_slices(c, ops, idx)
    rt, ct, pc = tiles(k, n, c.rows, c.cols, wbits.op_weight_bits(c, ops, idx),
                       c.bits_per_cell, differential=c.differential)  # per op (:mod:`.wbits`)
    rt, ct, pc = (np.where(mm, x, 0.0) for x in (rt, ct, pc))
    need_op = rt * ct
    from . import notes as notes_model  # notes imports onchip
    notes = [n for n in [comp.derived_note(), comp.adc_waste_note(), comp.sense_margin_note(),
                         notes_model.given_read(comp)] if n]
    if ops.stage is not None and len(np.unique(ops.stage[idx])) > 1:  # flat.py gives each its own
        notes.append(f"{comp.name}: the layers of all {len(np.unique(ops.stage[idx]))} pipeline "
                     f"stages share one chip's {c.arrays} arrays (not one chip per stage's "
                     "device): its copies and re-programming are one chip's (a known limit)")
    if mm.any():  # a layer per (weight, orientation): :func:`.tiling.matrix_keys`
        matrix, oriented = matrix_keys(ops, idx, offered=False)  # no transposed_read here
        _, first, g_mm = np.unique(matrix[mm], return_index=True, return_inverse=True)
        groups = ops.stationary[idx][mm][first]  # each layer's weight
        group_of = _owner(mm, g_mm)[at]  # a riding op: its matmul's layer
        notes += [f"{comp.name}: {oriented}"] if oriented else []
    else:  # only vector ops: one stage of periphery
        groups, group_of = np.zeros(0, dtype=np.int64), np.zeros(len(idx), dtype=np.int64)
    G = max(len(groups), 1)
    need = np.zeros(G)
    need[group_of[mm]] = need_op[mm]
    names = [ops.tensor_names[int(g)] for g in groups] or ["periphery"]
    seen: dict[str, int] = {}  # a weight's second orientation: its own layer, its own name
    for i, m in enumerate(names):
        seen[m] = seen.get(m, -1) + 1
        names[i] = f"{m}@{seen[m]}" if seen[m] else m
    packed = int(need.sum())
    fits = packed <= c.arrays
    # whole layer units that do not fit: the layers pack densely, in the costs and the floorplan
    dense = fits and mapping.aligned(need, ch.align_arrays).sum() > c.arrays
    if dense:
        notes.append(f"{comp.name}: layers rounded up to whole {ch.layer_unit}s need "
                     f"{int(mapping.aligned(need, ch.align_arrays).sum())} of {c.arrays} arrays; "
                     "they pack densely instead")
    align = 1 if dense else ch.align_arrays
    by_name = {nm: g for g, nm in enumerate(names)}
    unknown = [nm for nm in ch.layers if nm not in by_name]
    if unknown:
        notes.append(f"{comp.name}: chip.layers names {', '.join(unknown)}, which no CIM op of "
                     "this workload reads (ignored)")
    fixed = {by_name[nm]: d for nm, d in ch.layers.items() if nm in by_name}
    # inside the chip the arrays read the live rows' inputs only (drop_zero_rows, :mod:`.zeros`);
    # what enters it (in_scale) is the host's, a window's inputs whole
    a_host = np.where(mm, input_bytes(ops, idx, c.input_bits, ch.input_reuse), 0.0)
    a_in = np.where(mm, input_bytes(ops, idx, c.input_bits, ch.input_reuse, live=True), 0.0)
    out_bits = ch.matmul_output_bits()  # output_bits, else periphery.bits, else the trace's
    out_b = ops.act_out_bytes[idx] if out_bits is None else rows * n * out_bits / 8
    a_out = np.where(mm, out_b, 0.0)
    lbytes = chipmod.level_bytes(ch, a_in, a_out, rt, ct)  # per level (chip rules 1 and 7)
    # what enters and leaves the chip (:mod:`.offchip`): each op's chip bytes per workload byte
    own_in, own_out = ops.act_in_bytes[idx], ops.act_out_bytes[idx]
    im = ops.im2col[idx] if ops.im2col is not None else np.zeros(len(idx), dtype=bool)
    in_scale = np.ones(len(idx))
    if im.any():  # an im2col copy's inputs: input_bits (a loop over the copies alone)
        in_scale[im] = (c.input_bits / 8) / _elem_bytes(ops.dtype[idx][im])
    in_scale = np.where(mm, np.divide(a_host, own_in, out=np.ones(len(idx)), where=own_in > 0), in_scale)
    out_scale = np.where(mm, np.divide(a_out, own_out, out=np.ones(len(idx)), where=own_out > 0), 1.0)
    pv = ~mm & ~im & ~rides  # a periphery op's tensors: periphery.bits an element (rule 2),
    # each at its own dtype in link_bytes; the op's dtype where the producer columns are missing
    in_scale, out_scale = (np.where(pv, offchip.periphery_scale(ch, ops.dtype[idx]), x)
                           for x in (in_scale, out_scale))
    out_scale = out_scale[at]  # a riding op's output: its matmul's chip size (output_bits)
    crossing = offchip.link_bytes(c, ops, idx, in_scale, out_scale, own_in * in_scale,
                                  np.where(mm, a_out, own_out * out_scale), epilogue.kept(ops, ride),
                                  periph=pv)
    link_in, link_out = crossing.inputs, crossing.outputs
    if crossing.spilled:
        wide = int(((crossing.spill_out > 0) & mm).sum()) if out_bits is None else 0
        notes.append(f"{comp.name}: {crossing.spilled} activation tensor(s) of the chip's ops "
                     f"({si(crossing.spilled_bytes, 'B')}) do not fit its buffers "
                     f"({si(crossing.capacity, 'B')}): written out over {comp.link} to "
                     f"{comp.hw.backing_store} and read back" + (
                         f"; {wide} of them are matmul outputs at the trace's dtype "
                         f"({comp.name}.chip.output_bits unset, no periphery): set it to the "
                         "bits the chip writes" if wide else ""))
    n_rounds, space = np.ones(len(idx)), np.full(len(idx), float(c.arrays))  # rule 3 (reprogram)
    if fits:
        reprogram = np.zeros(len(idx), dtype=bool)
        most = np.zeros(G)
        np.maximum.at(most, group_of, np.where(mm, rows, 0.0))
        sel = np.flatnonzero(mm)

        def stage(grid):  # S_g(d) of cimsim.hw.cim.mapping, layers x grid
            out = np.zeros((G, len(grid)))
            for lo in range(0, len(sel), 4096):  # bounded memory: ops x grid per chunk
                o = sel[lo:lo + 4096]
                d = np.minimum(grid[None, :], np.maximum(rows[o], 1.0)[:, None])
                core = np.ceil(rows[o][:, None] / d) * adcshare.t_vector(  # module adcshare
                    c, comp.design, reads, slices, need_op[o][:, None] * d, o)
                nbytes = {name: np.repeat(b[o][:, None], len(grid), axis=1)
                          for name, b in lbytes.items()}
                lv = chipmod.transfers(ch, nbytes, np.minimum(need_op[o][:, None] * d, c.arrays),
                                       node)
                np.add.at(out, group_of[o], chipmod.op_time(ch, core, lv)[0])
            return out

        copies = mapping.duplication(ch.duplication, fixed, need, np.zeros(G), most, c.arrays,
                                     align, stage)
        if mapping.aligned(need * copies, align).sum() > c.arrays:  # chip.layers alone can
            asked = ", ".join(f"{nm}: {d}" for nm, d in ch.layers.items() if nm in by_name)
            raise MappingError(
                f"{comp.name}.chip.layers ({asked}) asks for copies that need "
                f"{int(mapping.aligned(need * copies, align).sum())} arrays with one copy of every "
                f"other layer, of the {c.arrays} of {comp.name}.arrays; ask for fewer copies (or "
                f"leave the layer out of {comp.name}.chip.layers for the duplication policy)")
        replicas = np.minimum(copies[group_of], np.maximum(rows, 1.0)).astype(np.float64)
        server, n_servers = group_of.astype(np.int64), G
        labels = [f"{comp.name}:{nm}" for nm in names]
        fit_text = (f"{comp.name}: {int((need * copies).sum()):,} of {c.arrays:,} arrays hold "
                    f"{len(groups)} layers as a pipeline ({int((copies > 1).sum())} duplicated, "
                    f"up to {int(copies.max())} copies); ")  # + the deployment, below
        summary = {"arrays_needed": packed, "reprograms": 0, **NO_WEAR}
    else:
        reprogram = np.zeros(len(idx), dtype=bool)  # LRU over the matmuls only
        reprogram[mm], free, pinned = lru_reprograms(group_of[mm], need, c.arrays)
        check = {0: Replay(np.flatnonzero(mm), group_of[mm], need, free, pinned, reprogram[mm])}
        n_rounds[mm] = rounds(group_of[mm], need, free, pinned)
        space = np.where(n_rounds > 1, free, c.arrays)
        copies = np.ones(G, dtype=np.int64)
        replicas = np.ones(len(idx))
        server, n_servers, labels = np.zeros(len(idx), dtype=np.int64), 1, [comp.name]
        notes.append(f"{comp.name}: weights need {packed:,} arrays but only {c.arrays:,} exist "
                     f"(no layer pipeline){chips_text(packed, c.arrays)}; "
                     + wear_text(need_op[reprogram], (k * pc)[reprogram], free,
                                 c.rows * c.cols, c.endurance, c.arrays,
                                 np.unique(group_of[n_rounds > 1]).size, c.write_verify_pulses))
        if asked := [f"{nm}: {d}" for nm, d in ch.layers.items() if nm in by_name]:
            notes.append(f"{comp.name}.chip.layers ({', '.join(asked)}) asks for copies, but the "
                         "weights do not fit once: no layer is copied (ignored)")
        summary = {"arrays_needed": packed, "reprograms": int(reprogram.sum()),
                   **lifetime(need_op[reprogram], (k * pc)[reprogram], free, c.rows * c.cols,
                              c.endurance, c.write_verify_pulses)}
    wc = np.zeros(G)
    wc[group_of[mm]] = (k * pc)[mm]  # weight cells of each layer once
    first = np.full(G, -1, dtype=np.int64)  # each layer's first matmul (:mod:`.programming`)
    first[group_of[mm][::-1]] = np.flatnonzero(mm)[::-1]
    held = np.flatnonzero(first >= 0) if fits else np.array(sorted(pinned), dtype=np.int64)
    wb = programming.stored_bits(c, ops, idx)  # the bits a weight is read at (find-H 3, review DH 2)
    deployed = programming.deployment(comp, k, n, pc, first[held], copies[held], bits=wb)
    if fits:
        notes.append(fit_text + programming.deployed_text(deployed))
        summary.update(mapping.floorplan(ch, need, copies, float((wc * copies).sum()), c.rows,
                                         c.cols, dense=dense))
    else:  # re-programmed: every array holds weights in turn, densely (the need: arrays_needed)
        summary.update(mapping.floorplan(ch, np.array([float(c.arrays)]), np.ones(1, dtype=np.int64),
                                         float(wc.sum()) * c.arrays / packed, c.rows, c.cols,
                                         dense=True))
    op_arr = np.minimum(need_op * replicas, space)
    levels = chipmod.transfers(ch, lbytes, op_arr, node)
    _, buf_s, ic_s = chipmod.op_time(ch, np.zeros(len(idx)), levels)  # every level, op alone
    shared = {lv: shared_time(ch, lv, levels[lv], lbytes[lv], node)
              for lv in shared_levels(ch)}
    per_op = {lv: shared_time(ch, lv, levels[lv], lbytes[lv], node) for lv in per_op_levels(ch)}
    notes.extend(_buffer_notes(comp.name, ch, lbytes, op_arr))
    if c.buffer is not None:
        notes.append(f"{comp.name}: cim.buffer ({si(c.buffer.capacity, 'B')}) is a flat buffer "
                     "beside the chip's levels: its bandwidth bounds every op's array time, and its "
                     f"energy per byte ({si(comp.design.buffer_energy_per_byte, 'J/B', 3)}), area "
                     "and leakage count on top of the levels' buffers (leave cim.buffer out with a "
                     "chip block to count the levels' alone)")
    if comp.design.area is None:
        notes.append(f"{comp.name}: area counts only the chip's buffers, buses (where given) and "
                     "periphery: its arrays, ADCs and drivers declare none (give cim.area, or a "
                     "technology block and adc.type to derive it), so area efficiency is an upper "
                     "bound")
    if bare := [n for n, lv in ch.levels.items()
                if lv.interconnect is not None and lv.interconnect.area is None]:
        notes.append(f"{comp.name}: the interconnect of chip level(s) {', '.join(bare)} declares no "
                     "area (interconnect.area), so the chip's area leaves its buses out (give it, or 0 mm^2 "
                     "where cim.area.other already books them)")
    periph_s, periph_j = _periphery(ch, node, periphery_ops(ops, idx), ~mm & ~rides,
                                    mapping.aligned(need * copies, align)[group_of]
                                    if fits else np.full(len(idx), float(c.arrays)),
                                    None if ops.serial_ops is None else ops.serial_ops[idx])
    t_vector = adcshare.t_vector(c, comp.design, reads, slices, need_op * replicas)
    t_array = np.where(mm, n_rounds * np.ceil(rows / replicas) * t_vector, 0.0)
    times = dict(zip(TIME_PARTS, (float(x.sum()) for x in (t_array, buf_s, ic_s, periph_s))))
    summary.update({f"time_{p}_s": v for p, v in times.items()})
    summary["time_bound"] = max(times, key=times.get) if any(times.values()) else ""
    cols = {"reprogram": reprogram, "buffer_s": buf_s, "interconnect_s": ic_s, "copies": replicas,
            **programming.per_matrix(comp, k, n, pc, first[first >= 0], n_rounds,
                                     copies[first >= 0], wb)}
    if shared:  # of buffer_s + interconnect_s, the time on the shared levels (alone, hops included)
        cols["shared_s"] = sum(sh["time_s"] + sh["hop_s"] for sh in shared.values())
    for lv, sh in per_op.items():  # a per-op one-unit level: its bytes (its roof's intensity)
        cols[f"{lv}_bytes"] = sh["bytes"]  # and its time alone, hops included, inside compute_s
        cols[f"{lv}_per_op_s"] = sh["time_s"] + sh["hop_s"]
    if ch.periphery is not None:
        cols["periphery_s"] = periph_s
    # a one-row op waits for its input; a re-programmed layer for its weights (written before
    # any row computes); more rows pipeline with their fill and drain (the op's pieces), on
    # copies too
    serial = (rows <= 1) | ~mm | reprogram
    if shared and ch.transfers == "serial":  # the shared levels' transfers, then the arrays
        serial = serial | mm
    return Plan(
        server=server, n_servers=n_servers, in_order=None if fits else np.ones(1, dtype=bool),
        in_order_check=None if fits else check,
        serial=serial, programming=deployed,
        notes=notes, summary=summary, server_labels=labels, op_columns=cols,
        state=dict(row_tiles=rt, col_tiles=ct, phys_cols=pc, arrays=np.minimum(need_op, space),
                   rounds=n_rounds, replicas=replicas, reprogram=reprogram, a_in=a_in, a_out=a_out,
                   link_in=link_in, link_out=link_out, spill_out=crossing.spill_out,
                   spill_in=crossing.spill_in, backed_in=crossing.backed_in,
                   levels=levels, mm=mm, periphery_s=periph_s, periphery_j=periph_j,
                   local_levels={k: v for k, v in levels.items() if k not in shared},
                   shared=shared, per_op=per_op),
    )


def _periphery(ch, node, vector_ops, sel, layer_arrays, serial=None):
    """Time and energy of the vector ops ``sel`` on their layer's periphery units (at least
    ``serial`` cycles: a fused chain's operations one after another, ``OpArrays.serial_ops``)."""
    zero = np.zeros(len(sel))
    p = ch.periphery
    if p is None:
        return zero, zero
    e, _ = p.energy_area(node, chipmod.register_of(ch))
    units = np.maximum(1.0, np.ceil(layer_arrays / ch.level_arrays(p.level))) * p.units
    ops_ = np.where(sel, vector_ops, 0.0)
    t = ops_ / (units * p.clock)
    if serial is not None:
        t = np.maximum(t, np.where(sel, serial, 0.0) / p.clock)
    return t, ops_ * e


def _buffer_notes(name, ch, nbytes, op_arrays) -> list[str]:
    out = []
    for (level, lv), a in zip(ch.levels.items(), ch.unit_arrays):
        if lv.buffer is None or not len(nbytes[level]):
            continue
        per_unit = nbytes[level] / np.maximum(1.0, np.ceil(op_arrays / a))
        worst = float(per_unit.max())
        if worst > lv.buffer.capacity:
            out.append(f"{name}: an op moves {si(worst, 'B')} through one {level} buffer of "
                       f"{si(lv.buffer.capacity, 'B')}: it streams through in "
                       f"{int(np.ceil(worst / lv.buffer.capacity))} fills (time and energy per "
                       "word are charged either way)")
    return out


#: compute parts split out of an op's time for the critical path, and their bound classes
COMPUTE_PARTS = {"buffer": "memory", "interconnect": "interconnect"}


def flat_parts(c) -> dict[str, str]:
    """A block without a chip: its flat ``cim.buffer`` (when it has one) as a compute part."""
    return {"buffer": "memory"} if c.buffer is not None else {}


def flat_time(c, mvm_s, io_bytes):
    """``(time, compute parts)`` of each op of the arrays and the flat buffer (which overlap):
    the op is the buffer's when its bytes take longer than the arrays' vectors."""
    if c.buffer is None:
        return mvm_s, {}
    buf_s = io_bytes / c.buffer.bandwidth
    return np.maximum(mvm_s, buf_s), {"buffer": np.where(buf_s > mvm_s, buf_s, 0.0)}


def op_time(ch, core_s, levels, flat=None):
    """``(time, compute parts)`` of each op: serial transfers add their buffer and
    interconnect time; overlapped ones give the whole op to its longest part when that is a
    buffer or an interconnect. ``flat``: the parts of ``core_s`` (:func:`flat_time`), a flat
    buffer's time inside it, kept where no level's part takes the op."""
    t, buf, ic = chipmod.op_time(ch, core_s, levels)
    flat_s = (flat or {}).get("buffer", 0.0)
    if ch.transfers == "serial":
        return t, {"buffer": buf + flat_s, "interconnect": ic}
    bmax = np.zeros_like(t)
    imax = np.zeros_like(t)
    for r in levels.values():
        bmax = np.maximum(bmax, r["buffer_s"])
        imax = np.maximum(imax, r["interconnect_s"])
    to_buf = (bmax > core_s) & (bmax >= imax)
    to_ic = (imax > core_s) & ~to_buf
    return t, {"buffer": np.where(to_buf, t, np.where(to_ic, 0.0, flat_s)),
               "interconnect": np.where(to_ic, t, 0.0)}


def energy(ch, state, flat_j=0.0) -> dict[str, np.ndarray]:
    """The chip's energy parts; ``flat_j``, a flat ``cim.buffer``'s energy beside the levels,
    joins their ``buffer`` part."""
    levels = state["levels"]
    out = {"buffer": flat_j + sum(r["buffer_j"] for r in levels.values()),
           "interconnect": sum(r["interconnect_j"] for r in levels.values())}
    if ch.periphery is not None:
        out["periphery"] = state["periphery_j"]
    return out


def layout_energy(ch, energy: dict) -> dict:
    """``energy`` (the op's parts) plus ``layout``: ``(energy_overhead - 1) x`` their sum but
    the re-programming writes' (``write``: not the inference datapath NeuroSim's factor is
    for), the post-layout excess (none at 1, the default)."""
    if ch.energy_overhead <= 1.0:
        return energy
    return {**energy, "layout": (ch.energy_overhead - 1.0) * sum(v for k, v in energy.items()
                                                                  if k != "write")}
