"""Several chips of one flat CIM design (``cim.chips`` > 1) joined by a chip-to-chip link
(``cim.chip_link``), as ISAAC's node of 16 chips on HyperTransport links (Shafiee et al., ISCA
2016) and PUMA's or NeuroSim's multi-chip systems, which split a model's layers over chips.

Rules, in order (a flat pool: no ``chip:`` block):

1. The component is ``chips`` identical chips of ``arrays`` arrays each: placement's capacity is
   ``chips x arrays`` (:mod:`.flat`); static power and every area part are ``chips`` x one
   chip's, and so is ``chip_link``'s static power (a port per chip: :func:`ports`); the
   ``arrays`` utilization and the peak MAC rate are over all chips' arrays.
2. Where every matrix fits the chips, each is programmed once (no re-programming during the
   run) and its *home chip* is fixed by :func:`assign`: the matrices in first-use order, next
   fit, each on the chip the one before it ended on if it fits what is left there, else on the
   next chip (consecutive layers share a chip); one larger than a chip starts on a fresh chip
   and spans ``ceil(its arrays / arrays)`` chips. Where next fit needs more chips than exist,
   first fit (each on the lowest chip with room for it whole, a larger one on the first run of
   empty chips), which keeps every matrix whole where it can; where that fails too, first fit
   decreasing (the same, largest matrix first: matrices of 5, 5, 10, 10 arrays in first-use
   order fill 2 chips of 15 as 10 + 5 each, where next fit and first fit need 3 chips); where
   that fails too, the matrices are packed contiguously (chip 0's arrays, then chip 1's, ...), and a matrix crossing
   a chip's end spans both.
3. An activation an op of this component makes on chip i and an op of it on chip j != i reads
   crosses ``chip_link`` from chip i to chip j: the reader's input bytes of that tensor (at
   ``input_bits``, its share of the op's ``input_bytes``) move over ``chip_link`` instead of
   ``link`` (the host link that brings a flat pool's every other input), and the op pays the
   chip link's latency. Everything else moves as on one chip: every op's outputs go to the host
   over ``link``, its other inputs come from it (the host runs the ops between CIM layers: an
   LSTM's gates, a ReLU); so layers joined by a host op send nothing over ``chip_link``: such a
   cut goes chip-host-chip over ``link`` (the note says so where one exists: :func:`host_cut`).
4. A matrix spanning ``s`` chips (rule 2) costs its ops ``(s - 1) x (input + output bytes)``
   over ``chip_link``: its home chip forwards the input to each further chip, and each sends
   back a result of the output's size (column tiles split over the chips; a bound, not a
   tiling of partial sums).
5. Where the matrices do not fit the chips, the re-programming rules of :mod:`.reprogram` apply
   to the ``chips x arrays`` arrays as one pool: a matrix has no fixed chip and nothing is
   charged to ``chip_link`` (an optimistic bound; the run's note says so).

Not built, refused by :func:`check` (one line naming the field): ``chips`` > 1 with a ``chip:``
block, with ``weight_replication`` (copies across chips), or without ``chip_link``; and, at
placement, a pipeline-parallel workload (each stage is already its own device).
"""

from __future__ import annotations

import numpy as np

from ...errors import MappingError
from ...units import si


def check(c, hw) -> list[tuple[str, str]]:
    """The component's ``(field, message)`` errors of ``chips`` and ``chip_link``."""
    out = [] if c.chip_link is None else hw.link_errors("chip_link", c.chip_link, "the chips")
    if c.chips == 1:
        return out
    if c.chip_link is None:
        out.append(("chip_link", f"required with chips: {c.chips}: name the link between the "
                    f"chips, one of links: {list(hw.links)}"))
    if c.chip is not None:
        out.append(("chips", f"chips: {c.chips} with a chip: block is not built (a chip block "
                    "models one chip); allowed: chips: 1 with a chip block, or chips > 1 on a "
                    "flat pool (no chip: block)"))
    if c.weight_replication:
        out.append(("weight_replication", f"copies across chips are not built: with chips: "
                    f"{c.chips} set weight_replication: false (or chips: 1)"))
    return out


def refuse_stages(name: str, c, stages: int) -> None:
    """Raise when a pipeline-parallel workload (``stages`` > 1 devices) meets ``chips`` > 1."""
    if c.chips > 1 and stages > 1:
        raise MappingError(f"{name}.chips: {c.chips} with a pipeline-parallel workload ({stages} "
                           "stages, each its own device) is not built; allowed: chips: 1 with "
                           "pipeline parallelism, or chips > 1 on a workload of one device")


def assign(sizes: np.ndarray, arrays: int, chips: int) -> tuple[np.ndarray, np.ndarray]:
    """Rule 2: each matrix's first and last chip, ``sizes`` its arrays in first-use order (their
    sum at most ``chips x arrays``): next fit, else first fit, else first fit decreasing, else
    contiguous."""
    for fit in (_next_fit, _first_fit, _decreasing):
        first, last = fit(sizes.tolist(), arrays, chips)
        if not len(sizes) or last.max() < chips:
            return first, last
    end = np.cumsum(sizes)  # too many holes either way: contiguous, no gaps
    return (end - sizes) // arrays, (end - 1) // arrays


def _spans(size: int, arrays: int) -> int:
    return -(-size // arrays)


def _next_fit(sizes: list, arrays: int, chips: int):
    """Each matrix on the chip the one before it ended on if it fits what is left there, else
    on the next; one larger than a chip from a fresh chip over as many as it takes."""
    first, last = np.zeros(len(sizes), np.int64), np.zeros(len(sizes), np.int64)
    cur, free = 0, arrays
    for i, size in enumerate(sizes):
        if size <= free:
            free -= size
        elif size <= arrays:
            cur, free = cur + 1, arrays - size
        else:
            cur += free < arrays
            first[i] = cur
            cur, free = cur + _spans(size, arrays) - 1, _spans(size, arrays) * arrays - size
            last[i] = cur
            continue
        first[i] = last[i] = cur
    return first, last


def _first_fit(sizes: list, arrays: int, chips: int):
    """Each matrix on the lowest chip with room for it whole; one larger than a chip on the
    first run of empty chips it fills (its last chip's rest open to later matrices). A matrix
    with no such place gets the chip past the last (the caller then packs contiguously)."""
    free = [arrays] * chips
    first, last = np.zeros(len(sizes), np.int64), np.zeros(len(sizes), np.int64)
    for i, size in enumerate(sizes):
        span = _spans(size, arrays)
        at = next((c for c in range(chips - span + 1)
                   if (free[c] >= size if span == 1 else
                       all(f == arrays for f in free[c:c + span]))), chips)
        first[i], last[i] = at, at + span - 1
        for c in range(at, min(at + span, chips)):
            free[c] -= min(free[c], size - (c - at) * arrays)
    return first, last


def _decreasing(sizes: list, arrays: int, chips: int):
    """First fit, the largest matrix first (equal sizes in first-use order)."""
    order = sorted(range(len(sizes)), key=lambda i: -sizes[i])
    lo, hi = _first_fit([sizes[i] for i in order], arrays, chips)
    first, last = np.zeros(len(sizes), np.int64), np.zeros(len(sizes), np.int64)
    first[order], last[order] = lo, hi
    return first, last


def occupancy(first: np.ndarray, last: np.ndarray, sizes: np.ndarray, arrays: int,
              chips: int) -> np.ndarray:
    """Arrays used on each chip, ``first`` / ``last`` / ``sizes`` in first-use order: each whole
    matrix on its chip; a spanning one fills what is left on each of its chips but the last,
    which holds the rest (as :func:`assign` places it: from a fresh chip, or contiguously)."""
    per = np.zeros(chips, dtype=np.int64)
    whole = first == last
    np.add.at(per, first[whole], sizes[whole])
    for f, l, size in zip(first[~whole].tolist(), last[~whole].tolist(), sizes[~whole].tolist()):
        for c in range(f, l):
            take = min(arrays - per[c], size)
            per[c] += take
            size -= take
        per[l] += size
    return per


def ports(c, link: str) -> dict[str, int]:
    """Rule 1 for the chip link: each chip has its own port on ``chip_link``, so the link's
    ``static_power`` counts ``chips`` times (ISAAC states its HyperTransport per chip: 10.4 W);
    none where ``chip_link`` is the host ``link`` (one link, its static power stated once)."""
    return {c.chip_link: c.chips} if c.chips > 1 and c.chip_link not in (None, link) else {}


def link_bytes(ops, idx, home: np.ndarray, span: np.ndarray, a_in, a_out, makers=None):
    """Per op of ``idx``: (its input bytes that cross ``chip_link`` instead of ``link``, rule 3;
    all its bytes over ``chip_link``, rules 3 and 4), ``home`` / ``span`` its matrix's home chip
    and chips spanned."""
    cross = cross_bytes(ops, idx, home, a_in, makers)
    return cross, cross + (span - 1) * (a_in + a_out)


def cross_bytes(ops, idx, home: np.ndarray, a_in, makers=None) -> np.ndarray:
    """Rule 3: per op of ``idx``, its input bytes (``a_in``) of tensors made by an op of ``idx``
    on another chip (each tensor once however often the op reads it). ``makers`` (int64 per op,
    or None): the op whose chip holds an op's output, for an op outside ``idx`` that rides on a
    matmul of ``idx`` (:func:`.epilogue.makers`)."""
    out = np.zeros(len(idx))
    if ops.producer is None or ops.act_ptr is None or not len(idx) or (home < 0).all():
        return out
    n_ops = ops.kind.shape[0]
    chip_of = np.full(n_ops, -1, dtype=np.int64)
    chip_of[idx] = home
    p_op, p_t = ops.read_pairs()
    prod = ops.producer[p_t]
    if makers is not None:
        prod = np.where(prod >= 0, makers[np.maximum(prod, 0)], -1)
    src = np.where(prod >= 0, chip_of[np.maximum(prod, 0)], -1)
    cross = (chip_of[p_op] >= 0) & (src >= 0) & (src != chip_of[p_op])
    moved = np.bincount(p_op[cross], weights=ops.tensor_bytes[p_t[cross]], minlength=n_ops)[idx]
    total = ops.act_in_bytes[idx]
    share = np.divide(moved, total, out=np.zeros(len(idx)), where=total > 0)
    return np.minimum(share, 1.0) * a_in


def host_cut(ops, idx, home: np.ndarray, makers=None) -> bool:
    """Whether an op of ``idx`` on chip j reads a tensor made outside ``idx`` (a host op:
    LayerNorm, an add) that depends, through host ops only, on an output made on a chip i != j
    (rule 3: such a layer cut goes chip-host-chip over the host link). ``makers`` as in
    :func:`cross_bytes`."""
    if ops.producer is None or ops.act_ptr is None or not len(idx) or (home < 0).all():
        return False
    n_ops = ops.kind.shape[0]
    mk = np.arange(n_ops) if makers is None else np.asarray(makers)
    chip_of = np.full(n_ops, -1, dtype=np.int64)
    chip_of[idx] = home
    chip_of = chip_of[mk]  # a riding op sits on its matmul's chip
    p_op, p_t = ops.read_pairs()
    prod = ops.producer[p_t]
    p_op, prod = p_op[prod >= 0], prod[prod >= 0]
    src, host_src = chip_of[prod], chip_of[prod] < 0
    # per host op: the lowest and highest chip whose outputs reach it through host ops only; one
    # pass, the ops in topological order (read_pairs sorted by reader; a maker comes first)
    lo, hi = {}, {}
    h = chip_of[p_op] < 0
    for op, at, s in zip(p_op[h].tolist(), prod[h].tolist(), src[h].tolist()):
        a, b = (s, s) if s >= 0 else (lo.get(at), hi.get(at))
        if a is not None:
            lo[op], hi[op] = min(a, lo.get(op, a)), max(b, hi.get(op, b))
    on = ~h & host_src  # a chip's op reading a host op's output
    return any(lo.get(at, me) != me or hi.get(at, me) != me
               for at, me in zip(prod[on].tolist(), chip_of[p_op[on]].tolist()))


def charge(hw, link: str, chip_link: str, state: dict, nbytes: dict, rows):
    """Rules 3 and 4, in place: the bytes that cross ``chip_link`` instead of the host ``link``;
    returns each op's latency of ``chip_link`` (where it moves bytes over it) and its
    :attr:`~cimsim.hw.plan.OpCost.ahead`: a one-row op's (``rows`` <= 1: serial, no row pieces)
    ``chip_link`` transfer runs before its host link's (rule 3: the input arrives, then the op
    computes and its output leaves; rule 4: the results come back before the output leaves), so
    the two links' times add, as one link's would. An op of more rows pipelines its rows (row
    r's output leaves while later rows arrive), so its two links overlap; none where
    ``chip_link`` is ``link``: one link, its bytes already summed."""
    nbytes[link] = nbytes[link] - state["chip_in"]
    nbytes[chip_link] = nbytes.get(chip_link, 0.0) + state["chip_link"]
    on = state["chip_link"] > 0
    return (np.where(on, hw.links[chip_link].latency, 0.0),
            {} if chip_link == link else {chip_link: on & (np.asarray(rows) <= 1)})


def note(name: str, c, link: str, first: np.ndarray, last: np.ndarray, sizes: np.ndarray,
         moved: float, spanning: int, cut: bool = False) -> str:
    """What rules 1-4 did: the chips the matrices use, the bytes over ``chip_link``; ``cut``
    (:func:`host_cut`): some layer cut goes through a host op (said only where ``chip_link`` is
    not the host ``link``)."""
    shared = c.chip_link == link
    per = occupancy(first, last, sizes, c.arrays, c.chips)
    used = int((per > 0).sum())
    span = (f"; {spanning:,} matri{'x spans' if spanning == 1 else 'ces span'} chips "
            f"(rule 4: its input and an output-sized result cross {c.chip_link} per further "
            "chip)" if spanning else "")
    return (f"{name}: {c.chips:,} chips of {c.arrays:,} arrays ({c.chips * c.arrays:,} in all): "
            f"the matrices use {used:,} of them (arrays per chip, "
            f"{'the shares of matrices that span chips included' if spanning else 'whole matrices'}: "
            f"{_per_chip(per)}){span}; "
            + (f"{si(moved, 'B')} of activations cross {c.chip_link} between chips"
               + (f" ({c.chip_link} is also the host link: it carries the other inputs and "
                  "every output too, as on one chip)" if shared else
                  f", the other inputs and every output over {link} as on one chip")
               if moved else
               f"no op reads an output made on another chip: every input and output goes over "
               f"{link}, the host link, as on one chip" if shared else
               f"nothing crosses {c.chip_link} (no op reads an output made on another chip: "
               f"its inputs come over {link} from the host, which runs the ops between layers)")
            + (f"; a layer cut through a host op (LayerNorm, add) goes chip-host-chip over "
               f"{link}, none of it over {c.chip_link}" if cut and not shared else "")
            + f"; static power and area count all {c.chips:,} chips, each a whole one (its "
            "buffer and other area too)")


def _per_chip(per: np.ndarray, shown: int = 8) -> str:
    """Arrays of whole matrices on each chip: every chip up to ``shown + 1`` chips (one number
    takes no more room than a "1 more"), else the first ``shown - 2`` and the last two around a
    count of those left out and how many of all hold none (``cim.chips`` may be 1,048,576: one
    number a chip was megabytes)."""
    some = len(per) > shown + 1
    words = [f"{int(a):,}" for a in (per[:shown - 2] if some else per)]
    if some:
        words += [f"... {len(per) - shown:,} more ...", *(f"{int(a):,}" for a in per[-2:])]
        none = int((per == 0).sum())
        return ", ".join(words) + " arrays" + (f"; {none:,} of the {len(per):,} chips hold none"
                                               if none else "")
    return ", ".join(words) + " arrays"


def reprogram_note(name: str, c) -> str:
    """Rule 5's words."""
    return (f"{name}: the {c.chips} chips' {c.chips * c.arrays:,} arrays are re-programmed as one "
            f"pool: a matrix has no fixed chip and nothing is charged to {c.chip_link} (a lower "
            "bound on the chip-to-chip traffic)")
