"""Placement of a CIM block without a ``chip:`` block: which arrays hold which weight matrix,
which matmuls re-program, and the engine servers.

Rules, in order:

1. Each device holds its own matrices (one per weight and orientation: :func:`.tiling.matrix_keys`): without pipeline parallelism one device, with it one
   per pipeline stage (``OpArrays.stage``), each with all ``arrays`` (a matrix read on two
   stages is held on both). Before 2026-12-05 (day) every stage's matrices counted against the
   one ``arrays``.
2. On a device where every matrix fits, each is programmed once before the run (deployment,
   not charged; reported: :mod:`.programming`) and is its own engine server; with ``weight_replication`` each is copied
   ``floor(arrays / arrays needed)`` times and a matmul's rows spread over the copies.
   On one device, the matrices of parameters the traced forward never read (an untaken
   branch, an expert no token chose: ``OpArrays.unread_matrices``) are held too: they take
   arrays (counted in the arrays needed, so in the copies) but are never read (no energy, no
   time). Where they do not fit beside the weights read, the note says so and they are left out.
3. Otherwise :mod:`.reprogram` pins what it can and the rest share the arrays left: a pinned
   matrix is its own server, the others one server (their re-programming serialises them).

Facts (as a chip block's floorplan, :mod:`.mapping`): ``arrays_used``, the arrays the largest
device's matrices take with their replication copies (at most ``arrays``: a device that
re-programs uses them all); ``array_utilization``, that over ``arrays``; ``cell_utilization``,
cells holding weight bits / cells of the arrays the matrices take (copies on both sides; a
re-programming device's matrices each once), over all devices.
"""

from __future__ import annotations

import numpy as np

from ..base import Plan
from . import programming
from .reprogram import lru_reprograms, wear_text
from .tiling import matrix_keys, tiles

#: the facts of module docstring, before a run
FACTS = {"arrays_used": 0, "array_utilization": 0.0, "cell_utilization": 0.0}


def place(comp, ops, idx) -> Plan:
    """The :class:`Plan` of the flat CIM ``comp`` for its ops ``idx`` (rules above)."""
    c = comp.config
    k, n, rows = ops.k[idx], ops.n[idx], ops.rows[idx]
    rt, ct, pc = tiles(k, n, c.rows, c.cols, c.weight_bits, c.bits_per_cell,
                       differential=c.differential)
    need = rt * ct
    stage = ops.stage[idx] if ops.stage is not None else np.zeros(len(idx), dtype=np.int64)
    # a matrix per (device, weight, orientation): rule 1 (:func:`.tiling.matrix_keys`)
    matrix, oriented = matrix_keys(ops, idx)
    key = stage.astype(np.int64) * (int(matrix.max()) + 2 if len(idx) else 1) + matrix
    groups, group_of = np.unique(key, return_inverse=True)
    group_arrays = np.zeros(len(groups), dtype=np.int64)
    group_arrays[group_of] = need
    group_cells = np.zeros(len(groups))  # cells holding weight bits, per matrix
    group_cells[group_of] = k * pc
    reprogram = np.zeros(len(idx), dtype=bool)
    replicas = np.ones(len(idx))
    server = np.zeros(len(idx), dtype=np.int64)
    notes = [m for m in [comp.derived_note(), comp.adc_waste_note()] if m]
    if oriented:
        notes.append(f"{comp.name}: {oriented}")
    stages = np.unique(stage)
    held = _unread_arrays(c, ops) if len(stages) <= 1 else None  # rule 2: held, never read
    n_servers, needs, fitting, used, cells, deploy = 0, [], [], [], [0.0, 0.0], []
    first_op = np.unique(group_of, return_index=True)[1]  # each matrix's first op
    for s in stages.tolist():
        on = np.flatnonzero(stage == s)
        mine, local = np.unique(group_of[on], return_inverse=True)
        sizes = group_arrays[mine]
        needed = int(sizes.sum())
        weight_cells = float(group_cells[mine].sum())
        where = f" on pipeline stage {s}'s device" if len(stages) > 1 else ""
        if held is not None and needed <= c.arrays < needed + held[1]:
            notes.append(f"{comp.name}: the {held[0]:,} matrices of parameters this forward never "
                         f"reads would need {held[1]:,} more arrays beside the {needed:,} of the "
                         f"weights read, more than the {c.arrays:,} that exist: left out (a "
                         "weight-stationary chip of this size cannot hold the whole model)")
        elif held is not None and needed <= c.arrays:
            needed += held[1]
            weight_cells += held[2]
        needs.append(needed)
        if needed <= c.arrays:  # rule 2
            server[on] = n_servers + local
            n_servers += len(mine)
            copies = c.arrays // needed if c.weight_replication else 1
            if copies > 1:
                replicas[on] = np.minimum(copies, np.maximum(rows[on], 1.0))
            fitting.append((s, needed, len(mine), copies,
                            held[:2] if held is not None and needed > int(sizes.sum()) else None))
            used.append(needed * copies)
            cells[0] += weight_cells * copies
            cells[1] += float(needed * copies) * c.rows * c.cols
            e, t = programming.deployment(c, k, pc, first_op[mine], copies)
            if held is not None and needed > int(sizes.sum()):  # the held matrices are written too
                e += programming.write_energy(c, held[2], 1.0) * copies
                t += held[3]
            deploy.append((e, t))
            continue
        used.append(c.arrays)
        cells[0] += weight_cells
        cells[1] += float(needed) * c.rows * c.cols
        mask, free, keep = lru_reprograms(local, sizes, c.arrays)  # rule 3
        deploy.append(programming.deployment(c, k, pc, first_op[mine[sorted(keep)]], 1))
        reprogram[on] = mask
        own = {g: i for i, g in enumerate(sorted(keep))}
        server[on] = n_servers + np.array([own.get(g, len(own)) for g in local.tolist()],
                                          dtype=np.int64)
        n_servers += len(own) + 1
        notes.append(f"{comp.name}: weights{where} need {needed:,} arrays but only {c.arrays:,} "
                     "exist; " + wear_text(float(need[on][mask].sum()), free, c.endurance,
                                           int(mask.sum()), c.arrays))
    if fitting:  # the fitting devices' deployment (deploy: one entry per stage, in order)
        fit_deploy = [deploy[stages.tolist().index(f[0])] for f in fitting]
        notes.append(_fit_note(comp.name, c.arrays, fitting, len(stages),
                               programming.deployed_text(sum(e for e, _ in fit_deploy),
                                                         max(t for _, t in fit_deploy))))
    return Plan(
        server=server, n_servers=n_servers,
        # re-programmed weights arrive and are written before any row computes
        serial=(rows <= 1) | reprogram,
        notes=notes,
        # per device: the largest stage's under pipeline parallelism
        summary={"arrays_needed": max(needs), "reprograms": int(reprogram.sum()),
                 "arrays_used": max(used, default=0),
                 "array_utilization": max(used, default=0) / c.arrays,
                 "cell_utilization": cells[0] / cells[1] if cells[1] else 0.0},
        # the devices of pipeline stages program at once (:mod:`.programming`)
        programming=(sum(e for e, _ in deploy), max((t for _, t in deploy), default=0.0)),
        op_columns={"reprogram": reprogram},
        state=dict(row_tiles=rt, col_tiles=ct, phys_cols=pc, arrays=np.minimum(need, c.arrays),
                   rounds=np.ceil(need / c.arrays), replicas=replicas, reprogram=reprogram),
    )


def _unread_arrays(c, ops) -> tuple[int, int, float, float] | None:
    """(matrices, arrays, cells holding weight bits, time to program them once) of the
    parameters the traced forward never read, tiled as the weights read are
    (:func:`.tiling.tiles`); None when there are none."""
    kn = getattr(ops, "unread_matrices", None)
    if kn is None or not len(kn):
        return None
    rt, ct, pc = tiles(kn[:, 0], kn[:, 1], c.rows, c.cols, c.weight_bits, c.bits_per_cell,
                       differential=c.differential)
    return (len(kn), int((rt * ct).sum()), float((kn[:, 0] * pc).sum()),
            float(programming.write_time(c, kn[:, 0].astype(np.float64)).sum()))


def _fit_note(name: str, arrays: int, fitting: list, stages: int, deployed: str) -> str:
    """What rule 2 did on the devices where every matrix fits: ``fitting`` lists ``(stage,
    arrays needed, matrices, copies, (unread matrices, their arrays) or None)``; ``deployed``
    says what programming them cost (:func:`.programming.deployed_text`)."""
    if stages == 1:
        _, needed, count, copies, held = fitting[0]
        note = (f"{name}: {needed:,} of {arrays:,} arrays hold all {count:,} weight matrices"
                + (f" and the {held[0]:,} matrices of parameters this forward never reads ({held[1]:,} "
                   "arrays: held, never read, so no energy or time)" if held else "")
                + "; " + deployed)
        if copies > 1:
            note += f"; weight replication: {copies:,} copies of every matrix share an op's rows"
        return note
    most = max(fitting, key=lambda f: f[1])
    which = (f"every one of the {stages} pipeline stages" if len(fitting) == stages else
             f"pipeline stage{'s' if len(fitting) > 1 else ''} "
             f"{', '.join(str(f[0]) for f in fitting)} of {stages}")
    note = (f"{name}: the weight matrices of {which} fit its own device's {arrays:,} arrays (at "
            f"most {most[1]:,}, stage {most[0]}); {deployed}")
    copied = [f for f in fitting if f[3] > 1]
    if copied:
        note += (f"; weight replication: {min(f[3] for f in copied)}-{max(f[3] for f in copied)}"
                 " copies of every matrix share an op's rows")
    return note
