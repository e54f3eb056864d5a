"""Placement of a CIM block without a ``chip:`` block: which arrays hold which weight matrix,
which matmuls re-program, and the engine servers.

Rules, in order:

1. Each device holds its own matrices (one per weight and orientation: :func:`.tiling.matrix_keys`): without pipeline parallelism one device, with it one
   per pipeline stage (``OpArrays.stage``), each with all ``arrays`` (a matrix read on two
   stages is held on both). Before 2026-12-05 (day) every stage's matrices counted against the
   one ``arrays``.
2. On a device where every matrix fits, each is programmed once before the run (deployment,
   not charged; reported: :mod:`.programming`) and is its own engine server; with
   ``weight_replication`` each is copied and a matmul's rows spread over the copies: with
   ``replication: uniform`` (the default) ``floor(arrays / arrays needed)`` times, with
   ``balance`` the arrays left beside the unread matrices below go where they cut the summed
   array time most (the matrices run one after another: the best of :func:`.mapping.spend`'s
   greedy from no copies, the uniform copies and the minimax of :func:`.mapping.duplication`, so
   never slower than uniform; before 2026-12-06 (evening) it was that minimax alone, slower
   than uniform where one matrix's time no copy cuts). Either way a matrix has at most as many copies as
   its ops' most activation rows: a copy past them never receives a row, so it is neither
   programmed nor counted in the facts below (before 2026-12-06 (day) every matrix counted
   ``floor(arrays / arrays needed)`` copies there; the timing was already capped). With the
   uniform policy, a note names the matrix with the most array time when more copies would cut it
   (not at the flat buffer's floor) and it takes at least twice the mean matrix's, with the
   time the fewest copies reaching its shortest would save; otherwise a note says when the
   uniform copies leave at least a quarter of the arrays idle and copies there of a matrix with
   more rows than copies would save at least a tenth of the summed array time (find-M 2: two
   co-located models each 1 copy, 41 % of the arrays idle, 2.8x slower than ``balance``).
   On one device, the matrices of parameters the traced forward never read (an untaken
   branch, an expert no token chose: ``OpArrays.unread_matrices``) are held too: they take
   arrays (counted in the arrays needed, so in the uniform copies) but are never read (no
   energy, no time), one copy each. Where they do not fit beside the weights read, the note
   says so and they are left out.
3. Otherwise :mod:`.reprogram` pins what it can and the rest share the arrays left: a pinned
   matrix is its own server, the others one server (their re-programming serialises them),
   which runs its ops in program order (``Plan.in_order``), the order the LRU was decided in,
   where run as ready they would re-program other ops than charged (``Plan.in_order_check``:
   :class:`.reprogram.Replay`): independent chains (a bidirectional LSTM's two directions, two
   co-located models) then take turns on it as listed, not as they become ready. Before 2026-12-06 (late) it took whichever
   was ready, so their matrices alternated while only the program order's swaps were charged
   (find-M 1: 2 of 16 re-programmings on the bidirectional LSTM).

Facts (as a chip block's floorplan, :mod:`.mapping`): ``arrays_used``, the arrays the largest
device's matrices take with their replication copies (rule 2; at most ``arrays``: a device that
re-programs uses them all); ``array_utilization``, that over ``arrays``; ``cell_utilization``,
cells holding weight bits / cells of the arrays the matrices take (copies on both sides; a
re-programming device's matrices each once), over all devices.

Link bytes: a flat pool moves every op's inputs and outputs; a convolution's inputs are its
im2col matrix, or with ``input_reuse`` the tracer's ``window_elems`` (each input once per kernel
row: :func:`..im2col.input_bytes`, as ``chip.input_reuse``).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..base import Plan
from ..hierarchy import backed_reads
from ...units import si
from . import adcshare, chips, inbits, mapping, onchip, programming, wbits
from ..im2col import im2col_note, input_bytes
from .reprogram import NO_WEAR, Replay, chips_text, lifetime, lru_reprograms, rounds, wear_text
from .tiling import columns_per_weight, fill_note, matrix_keys, read_groups, tiles

#: the facts of module docstring, before a run
FACTS = {"arrays_used": 0, "array_utilization": 0.0, "cell_utilization": 0.0}


def place(comp, ops, idx, makers=None) -> Plan:
    """The :class:`Plan` of the flat CIM ``comp`` for its ops ``idx`` (rules above); ``makers``
    (int64 per op, or None: each op itself): the op whose chip holds an op's output
    (:func:`.epilogue.makers`)."""
    c = comp.config
    k, n, rows = ops.k[idx], ops.n[idx], ops.rows[idx]
    per_op = wbits.op_weight_bits(c, ops, idx)  # the bits a matrix is stored at (:mod:`.wbits`)
    # the bits a weight is read at: those it is stored at (the tag's too), or fewer where the
    # workload stores it narrower (find-H 3, review DH 1)
    wb = programming.stored_bits(c, ops, idx)
    rt, ct, pc = tiles(k, n, c.rows, c.cols, per_op, c.bits_per_cell,
                       differential=c.differential)
    need = rt * ct
    stage = ops.stage[idx] if ops.stage is not None else np.zeros(len(idx), dtype=np.int64)
    # a matrix per (device, weight, orientation): rule 1 (:func:`.tiling.matrix_keys`)
    matrix, oriented = matrix_keys(ops, idx, c.transposed_read)
    key = stage.astype(np.int64) * (int(matrix.max()) + 2 if len(idx) else 1) + matrix
    groups, group_of = np.unique(key, return_inverse=True)
    first_op = np.unique(group_of, return_index=True)[1]  # each matrix's first op
    # a matrix is held as its first op reads it (a transposed read's op: the same arrays)
    group_arrays = need[first_op].astype(np.int64)
    group_cells = (k * pc)[first_op].astype(np.float64)  # cells holding weight bits
    reprogram = np.zeros(len(idx), dtype=bool)
    n_rounds = np.ones(len(idx))  # rule 3 of :mod:`.reprogram`, over `space` arrays
    space = np.full(len(idx), float(c.arrays * c.chips))  # every chip's (a matrix may span them)
    replicas = np.ones(len(idx))
    server = np.zeros(len(idx), dtype=np.int64)
    from . import notes as notes_model  # notes imports onchip
    notes = [m for m in [comp.derived_note(), comp.adc_waste_note(), comp.sense_margin_note(),
                         notes_model.given_read(comp)] if m]
    if oriented:
        slices = columns_per_weight(c.weight_bits, c.bits_per_cell, c.differential)
        floor = (f" (time a floor: {slices} cells a weight, the per-significance passes of a "
                 "transposed read are not modelled)") if c.transposed_read and slices > 1 else ""
        notes.append(f"{comp.name}: {oriented}{floor}")
    stages = np.unique(stage)
    chips.refuse_stages(comp.name, c, len(stages))
    cap = c.arrays * c.chips  # every chip's arrays (:mod:`.chips` rule 1)
    held = _unread_arrays(c, ops) if len(stages) <= 1 else None  # rule 2: held, never read
    home, span = np.full(len(idx), -1, dtype=np.int64), np.ones(len(idx), dtype=np.int64)
    n_servers, needs, fitting, used, cells, deploy = 0, [], [], [], [0.0, 0.0], []
    shared: dict[int, Replay] = {}  # the re-programmed servers: in program order (rule 3)
    held_copies = np.ones(len(groups))  # each matrix's copies held (rule 2; 1 re-programmed)
    life = dict(NO_WEAR)  # the runs the cells last: the shortest-lived device's
    for s in stages.tolist():
        on = np.flatnonzero(stage == s)
        mine, local = np.unique(group_of[on], return_inverse=True)
        sizes = group_arrays[mine]
        needed = int(sizes.sum())
        weight_cells = float(group_cells[mine].sum())
        where = f" on pipeline stage {s}'s device" if len(stages) > 1 else ""
        if held is not None and needed <= cap < needed + held[1]:
            notes.append(f"{comp.name}: the {held[0]:,} matrices of parameters this forward never "
                         f"reads would need {held[1]:,} more arrays beside the {needed:,} of the "
                         f"weights read, more than the {cap:,} that exist: left out (a "
                         "weight-stationary chip of this size cannot hold the whole model)")
        elif held is not None and needed <= cap:
            needed += held[1]
            weight_cells += held[2]
        needs.append(needed)
        if needed <= cap:  # rule 2
            if c.chips > 1:  # each matrix's home chip (:mod:`.chips` rule 2)
                order = np.argsort(first_op[mine], kind="stable")
                lo, hi = np.empty_like(order), np.empty_like(order)
                lo[order], hi[order] = chips.assign(sizes[order], c.arrays, c.chips)
                home[on], span[on] = lo[local], (hi - lo + 1)[local]
                chip_at = (lo[order], hi[order], sizes[order])  # first-use order
            server[on] = n_servers + local
            n_servers += len(mine)
            most = np.zeros(len(mine))  # each matrix's most activation rows
            np.maximum.at(most, local, rows[on])
            uniform = c.arrays // needed if c.weight_replication else 1
            copies = _copies(comp, ops, idx, on, local, sizes, np.maximum(most, 1.0), uniform,
                             c.arrays - (needed - int(sizes.sum())))
            replicas[on] = np.minimum(copies[local], np.maximum(rows[on], 1.0))
            held_copies[mine] = copies
            kept = held is not None and needed > int(sizes.sum())  # held matrices: one copy
            balance = c.weight_replication and c.replication == "balance"  # 0: balance
            used.append(int((sizes * copies).sum()) + needed - int(sizes.sum()))
            fitting.append((s, needed, len(mine), 0 if balance else uniform,
                            held[:2] if kept else None, copies, used[-1]))
            cells[0] += float((group_cells[mine] * copies).sum()) + (held[2] if kept else 0.0)
            cells[1] += float(used[-1]) * c.rows * c.cols
            # the held matrices are written too, once
            deploy.append(programming.deployment(comp, k, n, pc, first_op[mine], copies,
                                                 held[2:] if kept else None, bits=wb))
            if c.weight_replication and c.replication == "uniform" and len(mine) > 1:
                room = c.arrays - (needed - int(sizes.sum())) - int(sizes.sum())  # beside 1 copy
                notes.extend(_uniform_note(comp, ops, idx, on, local, copies, most, sizes, room,
                                           c.arrays - used[-1]))
            continue
        used.append(cap)
        cells[0] += weight_cells
        cells[1] += float(needed) * c.rows * c.cols
        mask, free, keep = lru_reprograms(local, sizes, cap)  # rule 3
        deploy.append(programming.deployment(comp, k, n, pc,
                                             first_op[mine[sorted(keep)]], 1, bits=wb))
        reprogram[on] = mask
        n_rounds[on] = rounds(local, sizes, free, keep)
        space[on] = np.where(n_rounds[on] > 1, free, cap)
        own = {g: i for i, g in enumerate(sorted(keep))}
        server[on] = n_servers + np.array([own.get(g, len(own)) for g in local.tolist()],
                                          dtype=np.int64)
        shared[n_servers + len(own)] = Replay(on, local, sizes, free, keep, mask)
        n_servers += len(own) + 1
        notes.append(f"{comp.name}: weights{where} need {needed:,} arrays but only {cap:,} "
                     f"exist{chips_text(needed, c.arrays, c.chips, comp.name, c.weight_replication)}; "
                     + wear_text(need[on][mask], (k * pc)[on][mask], free, c.rows * c.cols,
                                 c.endurance, cap, np.unique(local[n_rounds[on] > 1]).size,
                                 c.write_verify_pulses))
        lasts = lifetime(need[on][mask], (k * pc)[on][mask], free, c.rows * c.cols, c.endurance,
                         c.write_verify_pulses)
        life = {f: float(np.fmin(v, life[f])) for f, v in lasts.items()}  # NaN: no bound
        if c.chips > 1:
            notes.append(chips.reprogram_note(comp.name, c))
    staged = len(stages) > 1
    if thin := fill_note(comp.name, lambda at: _labels(ops, idx, first_op, stage, staged, at),
                         group_cells, group_arrays, c.rows * c.cols):
        notes.append(thin)
    notes.extend(im2col_note(comp.name, comp.link, ops, idx, c.input_bits, c.input_reuse))
    if fitting:  # the fitting devices' deployment (deploy: one entry per stage, in order)
        fit_deploy = programming.devices([deploy[stages.tolist().index(f[0])] for f in fitting])
        notes.append(_fit_note(comp.name, cap, fitting, len(stages),
                               programming.deployed_text(fit_deploy)))
    a_in = input_bytes(ops, idx, c.input_bits, c.input_reuse)
    state = {}
    if c.chips > 1 and (home >= 0).any():  # :mod:`.chips` rules 3 and 4
        state["chip_in"], state["chip_link"] = chips.link_bytes(ops, idx, home, span, a_in,
                                                                ops.act_out_bytes[idx], makers)
        notes.append(chips.note(comp.name, c, comp.link, *chip_at,
                                float(state["chip_link"].sum()), int((chip_at[1] > chip_at[0]).sum()),
                                chips.host_cut(ops, idx, home, makers)))
    in_order = np.zeros(n_servers, dtype=bool)
    in_order[list(shared)] = True
    return Plan(
        server=server, n_servers=n_servers, in_order=in_order, in_order_check=shared,
        # re-programmed weights arrive and are written before any row computes
        serial=(rows <= 1) | reprogram,
        notes=notes,
        # per device: the largest stage's under pipeline parallelism
        summary={"arrays_needed": max(needs), "reprograms": int(reprogram.sum()),
                 "arrays_used": max(used, default=0),
                 "array_utilization": max(used, default=0) / cap,
                 "cell_utilization": cells[0] / cells[1] if cells[1] else 0.0, **life},
        # the devices of pipeline stages program at once (:mod:`.programming`)
        programming=programming.devices(deploy),
        op_columns={"reprogram": reprogram,  # and each matrix's one programming (find-L 4)
                    **programming.per_matrix(comp, k, n, pc, first_op, n_rounds, held_copies, wb)},
        state=dict(row_tiles=rt, col_tiles=ct, phys_cols=pc,
                   arrays=np.minimum(group_arrays[group_of], space),
                   # the arrays of the matrix as held (a transposed read's too: review 22 A 5)
                   held_tiles=group_arrays[group_of].astype(np.float64),
                   rounds=n_rounds, replicas=replicas, reprogram=reprogram,
                   # inputs at input_bits over the link, once per kernel row with input_reuse
                   a_in=a_in, backed_in=backed_reads(ops, idx), **state),
    )


def _op_times(comp, ops, idx, on, d, held) -> np.ndarray:
    """Array time of each op ``idx[on]`` with its rows shared by ``d`` copies of its matrix (ops
    x copy counts): ``ceil(rows / min(d, rows)) x t_vector``, or the flat buffer's time when
    longer (:func:`.onchip.flat_time`), as the op's compute without re-programming. ``held``:
    the arrays of each op's matrix as held (its first read's tiles: a transposed read converts
    on those, not on its own k x n's, review 22 A 5), one copy, converting at once (.adcshare)."""
    c, o = comp.config, idx[on]
    rows = np.maximum(ops.rows[o], 1.0)[:, None]
    copies = np.minimum(np.atleast_2d(d), rows)
    held = np.broadcast_to(np.asarray(held, dtype=np.float64), (len(o),))
    t_vector = adcshare.t_vector(c, comp.design, read_groups(ops.k[o], c.rows, c.rows_per_read)[1],
                                 inbits.op_slices(c, ops, o), held[:, None] * copies)
    mvm = np.ceil(rows / copies) * t_vector
    io = input_bytes(ops, o, c.input_bits, c.input_reuse) + ops.act_out_bytes[o]
    return onchip.flat_time(c, mvm, io[:, None])[0]


def _copies(comp, ops, idx, on, local, sizes, most, uniform, budget) -> np.ndarray:
    """Copies of each matrix of one device (rule 2): ``uniform`` (``floor(arrays / arrays
    needed)``), or with ``balance`` the ``budget`` arrays spent for the smallest summed array
    time (the matrices run one after another): :func:`.mapping.spend`'s greedy from no copies,
    from the uniform copies and from :func:`.mapping.duplication`'s minimax, and where small
    enough :func:`.mapping.exact`'s optimum over the copy grid, the best of them, so never
    slower than uniform. Each matrix has at most its ``most`` activation rows
    (a copy past them never gets a row)."""
    c = comp.config
    flat = np.minimum(uniform, most).astype(np.int64)
    if not c.weight_replication or c.replication == "uniform":
        return flat

    def stage(grid):  # each matrix's summed array time with each count of copies of grid
        out = np.zeros((len(sizes), len(grid)))
        for lo in range(0, len(on), 4096):  # bounded memory: ops x grid per chunk
            np.add.at(out, local[lo:lo + 4096], _op_times(comp, ops, idx, on[lo:lo + 4096], grid,
                                                          sizes[local[lo:lo + 4096]]))
        return out
    need = sizes.astype(np.float64)
    minimax = mapping.duplication("balance", {}, need, np.zeros(len(sizes)), most, budget, 1,
                                  stage)
    grid = np.unique(np.concatenate([mapping.copy_grid(most.max()), flat, minimax]))
    times = np.where(grid[None, :] <= most[:, None], stage(grid), np.inf)
    starts = [np.searchsorted(grid, s) for s in (np.ones(len(sizes)), flat, minimax)]
    plans = [mapping.spend(need, times, grid, s, budget) for s in starts]
    plans += [j for j in [mapping.exact(need, times, grid, budget)] if j is not None]
    at = np.arange(len(sizes))
    best = min(plans, key=lambda j: (times[at, j].sum(), (need * grid[j]).sum()))
    return grid[best].astype(np.int64)


def _uniform_note(comp, ops, idx, on, local, copies, most, sizes, room, idle) -> list[str]:
    """What uniform copies leave on the table, or nothing. (a) The matrix that takes most of the
    arrays' time, when more copies would cut its time (not when its ops are at the flat
    buffer's floor, :func:`_op_times`) and it takes at least twice the mean matrix's time (the
    copies are unbalanced); with the fewest copies (of :func:`.mapping.copy_grid`'s counts)
    reaching its shortest time that the arrays hold beside one copy of every other matrix
    (``room`` arrays left by one copy of each, ``sizes`` arrays per copy). (b) Otherwise, when
    at least :data:`IDLE_SHARE` of the arrays hold nothing (``idle``: ``floor(arrays / arrays
    needed)`` copies of every matrix leave them over, e.g. two co-located models needing just
    over half the arrays between them, find-M 2) and the matrix with most array time among
    those with more rows than copies would be cut by copies in those idle arrays: how many
    idle, and what the fewest copies reaching its shortest there would save, when that is at
    least :data:`IDLE_SHARE_SAVES` of the arrays' summed time."""
    c = comp.config
    t = _op_times(comp, ops, idx, on, copies[local][:, None], sizes[local])[:, 0]
    per = np.bincount(local, weights=t, minlength=len(copies))
    g = int(per.argmax())
    if per[g] and most[g] > copies[g] and per[g] >= 2 * per.mean():
        note = _more_copies(comp, ops, idx, on, local, g, sizes[g], copies, most, per,
                            min(most[g], (room + sizes[g]) // sizes[g]))
        return [] if note is None else [
            f"{comp.name}: uniform replication leaves the layer of weight {note[0]} (up to "
            f"{int(most[g]):,} rows per op on its {int(copies[g]):,} copies) {si(per[g], 's')} of "
            f"the arrays' {si(per.sum(), 's')} ({100 * per[g] / per.sum():.1f} %); with "
            f"{note[1]:,} copies (room for them beside one copy of every other matrix) it would "
            f"take {si(note[2], 's')} ({si(per[g] - note[2], 's')} less); {comp.name}.replication: "
            "balance spends the arrays where they cut the summed time most"]
    open_ = (most > copies) & (sizes <= idle) & (per > 0)
    if idle < IDLE_SHARE * c.arrays or not open_.any():
        return []
    g = int(np.flatnonzero(open_)[per[open_].argmax()])
    note = _more_copies(comp, ops, idx, on, local, g, sizes[g], copies, most, per,
                        min(most[g], copies[g] + idle // sizes[g]))
    if note is None or per[g] - note[2] < IDLE_SHARE_SAVES * per.sum():
        return []
    needed = c.arrays - room
    n = c.arrays // needed
    return [f"{comp.name}: uniform replication gives every matrix floor({c.arrays:,} / "
            f"{needed:,} arrays needed) = {n:,} cop{'y' if n == 1 else 'ies'} (at most its "
            f"ops' rows) and leaves {int(idle):,} of the {c.arrays:,} arrays "
            f"({100 * idle / c.arrays:.1f} %) idle, while {int(open_.sum()):,} of the "
            f"{len(copies):,} matrices {'has' if open_.sum() == 1 else 'have'} more rows than copies: the layer of weight {note[0]} "
            f"(up to {int(most[g]):,} rows per op on its {int(copies[g]):,} "
            f"cop{'y' if copies[g] == 1 else 'ies'}) takes {si(per[g], 's')} of the arrays' "
            f"{si(per.sum(), 's')}; with {note[1]:,} copies in the idle arrays it would take "
            f"{si(note[2], 's')} ({si(per[g] - note[2], 's')} less); {comp.name}.replication: "
            "balance spends the arrays where they cut the summed time most"]


#: the share of a device's arrays that uniform copies leave idle from which :func:`_uniform_note`
#: says so, where copies there would save one matrix at least :data:`IDLE_SHARE_SAVES` of the
#: arrays' summed time (the bundled GRU on rram-cim leaves 45.8 % idle, but 9 more copies of
#: W_ih would save 4 of 88 µs beside the one-row W_hh, and balance runs it no faster: no note)
IDLE_SHARE = 0.25
IDLE_SHARE_SAVES = 0.1


def _more_copies(comp, ops, idx, on, local, g, size, copies, most, per, top):
    """``(weight name, copies, time)``: the fewest copies of matrix ``g`` (of
    :func:`.mapping.copy_grid`'s counts up to ``top``) reaching its shortest summed array time,
    and that time; None when no count above its ``copies`` cuts its time ``per[g]``."""
    grid = np.unique(np.append(mapping.copy_grid(int(top)), int(top)))
    grid = grid[grid > copies[g]]
    mine = on[local == g]
    if not len(grid):
        return None
    times = _op_times(comp, ops, idx, mine, grid, size).sum(axis=0)
    if not times.min() < per[g]:  # more copies cannot cut it
        return None
    d = int(grid[int(np.argmax(times <= times.min()))])
    return ops.tensor_names[int(ops.stationary[idx[mine[0]]])], d, float(times.min())


def _unread_arrays(c, ops) -> tuple | None:
    """(matrices, arrays, cells holding weight bits, each matrix's time to program it once and
    its weight bytes) of the parameters the traced forward never read, tiled as the weights
    read are (:func:`.tiling.tiles`); None when there are none."""
    kn = getattr(ops, "unread_matrices", None)
    if kn is None or not len(kn):
        return None
    rt, ct, pc = tiles(kn[:, 0], kn[:, 1], c.rows, c.cols, c.weight_bits, c.bits_per_cell,
                       differential=c.differential)
    return (len(kn), int((rt * ct).sum()), float((kn[:, 0] * pc).sum()),
            programming.write_time(c, kn[:, 0].astype(np.float64)),
            programming.weight_bytes(c, kn[:, 0].astype(np.float64), kn[:, 1]))


def _labels(ops, idx, first_op, stage, staged: bool, which) -> list[str]:
    """The names in the notes of the matrices at positions ``which``: each its weight's, with
    its k (and pipeline stage) where a weight is held as more than one matrix (read in two
    orientations, or on two stages). Linear in the matrices (before 2026-12-06 (mend) the
    twice-held test was quadratic, 7.4 s of a 9.4 s run at 16,000 matrices, and ran on every
    flat run, note or none)."""
    w = ops.stationary[idx[first_op]]
    held = Counter(w.tolist())  # matrices per weight
    out = []
    for g in np.asarray(which, dtype=np.int64).tolist():
        i, t = int(idx[first_op[g]]), int(w[g])
        nm = ops.tensor_names[t]
        out.append(nm if held[t] < 2 else f"{nm} (k = {int(ops.k[i]):,}"
                   + (f", stage {int(stage[first_op[g]])}" if staged else "") + ")")
    return out


def _fit_note(name: str, arrays: int, fitting: list, stages: int, deployed: str) -> str:
    """What rule 2 did on the devices where every matrix fits: ``fitting`` lists ``(stage,
    arrays needed, matrices, uniform copies (0 under the balance policy), (unread matrices, their arrays) or None, copies
    per matrix, arrays used with the copies)``; ``deployed`` says what programming them cost
    (:func:`.programming.deployed_text`). With copies, the arrays they use are said beside the
    one-copy need (a tester read "100 arrays" where 16 copies used 1,600)."""
    if stages == 1:
        _, needed, count, _, held, _, used = fitting[0]
        note = (f"{name}: {needed:,} of {arrays:,} arrays hold all {count:,} weight matrices"
                + (f" ({used:,} with the copies)" if used > needed else "")
                + (f" and the {held[0]:,} matrices of parameters this forward never reads ({held[1]:,} "
                   "arrays: held, never read, so no energy or time)" if held else "")
                + "; " + deployed)
        return note + _copies_text(fitting)
    most = max(fitting, key=lambda f: f[1])
    which = (f"every one of the {stages} pipeline stages" if len(fitting) == stages else
             f"pipeline stage{'s' if len(fitting) > 1 else ''} "
             f"{', '.join(str(f[0]) for f in fitting)} of {stages}")
    return (f"{name}: the weight matrices of {which} fit its own device's {arrays:,} arrays (at "
            f"most {most[1]:,}, stage {most[0]}"
            + (f"; {max(f[6] for f in fitting):,} with the copies" if any(f[6] > f[1] for f in fitting)
               else "") + f"); {deployed}") + _copies_text(fitting)


def _copies_text(fitting: list) -> str:
    """The notes' words for the copies of :func:`_fit_note`'s ``fitting`` ("" without any)."""
    copies = np.concatenate([f[5] for f in fitting])
    uniform = sorted({f[3] for f in fitting if f[3] > 1})
    if not len(copies) or (copies.max() <= 1 and not uniform
                           and not any(f[3] == 0 for f in fitting)):
        return ""
    span = (f"{int(copies.min()):,}" if copies.min() == copies.max() else
            f"{int(copies.min()):,}-{int(copies.max()):,}")
    capped = int((copies < max(uniform, default=1)).sum())
    per = f"{span} {'copy' if span == '1' else 'copies'} per matrix"
    if uniform:  # the uniform policy
        count = f"{uniform[0]:,}" if len(uniform) == 1 else f"{uniform[0]:,}-{uniform[-1]:,}"
        if not capped:
            return f"; weight replication: {count} copies of every matrix share an op's rows"
        return (f"; weight replication: {per} share an op's rows (uniform "
                f"floor(arrays / arrays needed) = {count}, capped at each matrix's most rows: "
                f"{capped:,} of {len(copies):,} matrices hold fewer)")
    return (f"; weight replication (balance): {per} share an op's rows (the "
            "arrays spent where they cut the summed array time most)")
