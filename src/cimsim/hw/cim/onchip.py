"""The CIM component's placement and cost when its config has a ``chip`` block.

Placement (on top of :mod:`.tiling`): every layer (weight matrix) keeps its own arrays and its
own engine server (a layer pipeline), copies chosen by :mod:`.mapping`; an op's activation rows
spread over its layer's copies. When one copy of every layer does not fit, the flat pool's
re-programming rules apply (:mod:`.reprogram`) on one server. Every op's inputs and outputs
cross the hierarchy (:mod:`.chip`), which adds time (op columns ``buffer_s``,
``interconnect_s``) and the energy parts ``buffer`` and ``interconnect``.

With ``chip.input_reuse``, a convolution (an op carrying ``window_elems``, the input elements
read once per kernel row: batch x channels x output rows x kernel rows x input width) moves
``window_elems x input_bits / 8`` bytes instead of its im2col bytes, and the im2col copy ops
the tracer emits before it are claimed by the chip and cost nothing (the hardware does not
copy).
"""

from __future__ import annotations

import numpy as np

from ..base import Plan
from . import chip as chipmod
from . import mapping
from .reprogram import lru_reprograms

PARTS = ("buffer", "interconnect")


def check_config(c) -> None:
    ch = c.chip
    if ch.arrays != c.arrays:
        raise ValueError(f"chip.levels fan-outs multiply to {ch.arrays} arrays "
                         f"({' x '.join(str(lv.fanout) for lv in ch.levels)}) but arrays is "
                         f"{c.arrays}; make them equal")
    if c.weight_replication:
        raise ValueError("weight_replication does not apply with a chip block: use "
                         "chip.duplication or chip.layers")


def energy_parts(c) -> tuple[str, ...]:
    return PARTS if c.chip is not None else ()


def facts(c) -> dict[str, object]:
    if c.chip is None:
        return {}
    return {f: 0 for f in mapping.fact_names(c.chip)}


def area_m2(c) -> dict[str, float]:
    return {"chip_buffers": chipmod.buffer_area_m2(c.chip)} if c.chip is not None else {}


def claims_im2col(c) -> bool:
    return c.chip is not None and c.chip.input_reuse


def place(comp, ops, idx, groups, group_of, rt, ct, pc) -> Plan:
    c, ch = comp.config, comp.config.chip
    rows, k = ops.rows[idx], ops.k[idx]
    mm = ops.stationary[idx] >= 0
    need_op = rt * ct
    G = len(groups)
    need = np.zeros(G)
    need[group_of] = need_op
    need[groups < 0] = 0.0
    names = [ops.tensor_names[int(g)] if g >= 0 else "" for g in groups]
    notes = []
    packed = int(need.sum())
    fits = packed <= c.arrays
    align = ch.align_arrays
    if fits and mapping.aligned(need, align).sum() > c.arrays:
        notes.append(f"{comp.name}: layers rounded up to whole {ch.layer_unit}s need "
                     f"{int(mapping.aligned(need, align).sum())} of {c.arrays} arrays; "
                     "they pack densely instead")
        align = 1
    by_name = {nm: g for g, nm in enumerate(names) if nm}
    unknown = [nm for nm in ch.layers if nm not in by_name]
    if unknown:
        notes.append(f"{comp.name}: chip.layers names {', '.join(unknown)}, which no CIM op of "
                     "this workload reads (ignored)")
    fixed = {by_name[nm]: d for nm, d in ch.layers.items() if nm in by_name}
    rounds = np.ones(len(idx))
    if fits:
        reprogram = np.zeros(len(idx), dtype=bool)
        work = np.bincount(group_of, weights=rows * c.t_vector, minlength=G)
        most = np.zeros(G)
        np.maximum.at(most, group_of, rows)
        copies = mapping.duplication(ch.duplication, fixed, need, work, most, c.arrays, align)
        if mapping.aligned(need * copies, align).sum() > c.arrays:
            notes.append(f"{comp.name}: chip.layers copies need "
                         f"{int(mapping.aligned(need * copies, align).sum())} of {c.arrays} "
                         "arrays; every layer keeps one copy")
            copies = np.ones(G, dtype=np.int64)
        replicas = np.minimum(copies[group_of], np.maximum(rows, 1.0)).astype(np.float64)
        server, n_servers = group_of.astype(np.int64), G
        labels = [f"{comp.name}:{nm}" if nm else f"{comp.name}:im2col" for nm in names]
        notes.append(f"{comp.name}: {int((need * copies).sum())} of {c.arrays} arrays hold "
                     f"{int((groups >= 0).sum())} layers as a pipeline ("
                     f"{int((copies > 1).sum())} duplicated, up to {int(copies.max())} copies); "
                     "programmed once before the run (not charged)")
        summary = {"arrays_needed": packed, "reprograms": 0}
    else:
        gneed = np.maximum(need, 0)
        reprogram = lru_reprograms(group_of, gneed, c.arrays) & mm
        rounds = np.maximum(1.0, np.ceil(need_op / c.arrays))
        copies = np.ones(G, dtype=np.int64)
        replicas = np.ones(len(idx))
        server, n_servers, labels = np.zeros(len(idx), dtype=np.int64), 1, [comp.name]
        notes.append(f"{comp.name}: weights need {packed} arrays but only {c.arrays} exist; "
                     f"arrays are re-programmed {int(reprogram.sum())} times (LRU over "
                     "matrices); no layer pipeline")
        summary = {"arrays_needed": packed, "reprograms": int(reprogram.sum())}
    # weight cells of each layer once (a layer read by several ops counts once)
    wc = np.zeros(G)
    wc[group_of] = k * pc
    summary.update(mapping.floorplan(ch, need, copies, float((wc * copies).sum()), c.rows, c.cols))
    a_in = rows * k * c.input_bits / 8
    win = getattr(ops, "window_elems", None)
    if ch.input_reuse and win is not None:
        w = win[idx]
        a_in = np.where(w > 0, w * c.input_bits / 8, a_in)
    a_in = np.where(mm, a_in, 0.0)
    a_out = np.where(mm, ops.act_out_bytes[idx], 0.0)
    op_arr = np.minimum(need_op * replicas, c.arrays)
    levels = chipmod.transfers(ch, a_in + a_out, op_arr)
    _, buf_s, ic_s = chipmod.op_time(ch, np.zeros(len(idx)), levels)
    return Plan(
        server=server, n_servers=n_servers,
        serial=np.ceil(rows / replicas) <= 1,
        notes=notes, summary=summary, server_labels=labels,
        op_columns={"reprogram": reprogram, "buffer_s": buf_s, "interconnect_s": ic_s,
                    "copies": replicas},
        state=dict(row_tiles=rt, col_tiles=ct, phys_cols=pc, arrays=np.minimum(need_op, c.arrays),
                   rounds=rounds, replicas=replicas, reprogram=reprogram, a_in=a_in,
                   levels=levels, mm=mm),
    )


def op_time(ch, core_s, levels):
    return chipmod.op_time(ch, core_s, levels)[0]


def energy(levels) -> dict[str, np.ndarray]:
    buf = sum(r["buffer_j"] for r in levels.values())
    ic = sum(r["interconnect_j"] for r in levels.values())
    return {"buffer": buf, "interconnect": ic}
