"""Cutting an activation version into atoms (:func:`atomize`), by runs of offsets.

An atom is a largest set of a version's elements that the same reads cover (every read is a
union of atoms: an LSTM's input projection read one time step at a time becomes one tensor per
step, a fused QKV projection read as Q, K and V becomes three tensors). The elements are not
labelled one by one: each read and the version's domain become their maximal runs of consecutive
offsets (:func:`.storage.runs`, counted, not sorted, where the offsets are dense; a gather's
rows give them directly), the starts and ends of all runs cut the storage into *segments*, and
each segment, not each element, gets the label of the reads covering it. A segment is either in
every run of a read or in none, so the atoms are the same sets of elements as labelling each
element would give, and the work after the runs scales with the runs (a 321-channel PatchTST's Q,
K and V slices: a run of 128 per token), not with the elements (find-T 2: 35 of 44 s of a
44-op trace were ``np.unique`` over element labels). Where the runs are short (more than
:data:`DENSE_RUNS` an element: an interleaved ``y[..., ::2]``, a run per element read) the segments
are about as many as the elements and their sort costs more than labelling the elements, so
such a version is labelled element by element.
"""

from __future__ import annotations

import numpy as np

from .storage import RowRead, Version, _prod, as_offsets, read_key, runs

_RNG = np.random.default_rng(20240601)


def _read_len(r) -> int:
    """Elements read (offsets counted as often as they occur, as the read's length)."""
    return len(r) if isinstance(r, RowRead) else int(np.asarray(r).size)


def _covered(first: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Every index ``i`` with ``first[k] <= i < stop[k]`` for some ``k`` (ranges disjoint)."""
    n = stop - first
    total = int(n.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    return np.arange(total, dtype=np.int64) + np.repeat(first - (np.cumsum(n) - n), n)


#: versions of at most this many units are labelled element by element (a few small arrays:
#: cheaper than the runs' bookkeeping); larger ones segment by segment (:func:`_by_runs`)
SMALL = 1 << 14
#: ... unless their reads and domain hold more than this many runs per element: short runs
#: (``y[..., ::2]`` and ``y[..., 1::2]`` are one run per element read) make about as many
#: segments as elements, whose sort costs more than the one label pass of :func:`_by_elements`
#: (a 16.8 M-element activation read so: 26.8 s by runs, 8.0 s by elements)
DENSE_RUNS = 1 / 8


def overlapping_reads(v: Version) -> bool:
    """Whether two distinct reads of source version ``v`` (an input, a weight) share elements:
    a whole read beside a partial one, or partial reads whose runs of offsets overlap
    (``w[:, i:i+n]`` for several ``i``: shifted windows, a KAN's knot slices ``g[:, :-1]`` and
    ``g[:, 1:]``, an ``unfold``). Disjoint parts (``chunk``, an expert's slice) do not."""
    parts = {read_key(r): r for r in v.reads if r is not None}
    if len(parts) + any(r is None for r in v.reads) < 2:
        return False
    if any(r is None for r in v.reads):
        return True
    spans = [runs(r) for r in parts.values()]
    starts = np.concatenate([s[0] for s in spans])
    ends = starts + np.concatenate([s[1] for s in spans])
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    return bool(np.any(starts[1:] < np.maximum.accumulate(ends)[:-1]))


def atomize(v: Version) -> None:
    """Cut activation version ``v`` into atoms: each read is a union of atoms.

    Sets ``v.tensors`` [(name, shape, count)], ``v.read_atoms`` (atom ids per read). Atoms are
    numbered in storage order (by their first element).
    """
    reads = v.reads
    if all(r is None for r in reads):
        v.tensors = [(v.name, v.shape, v.size)]
        v.read_atoms = [[0] for _ in reads]
        return
    counts, ids = (_by_elements if v.numel <= SMALL else _by_runs)(v)
    v.read_atoms = []
    shapes: dict[int, tuple] = {}
    for r, got, shp in zip(reads, ids, v.read_shapes):
        if r is None:
            got = list(range(len(counts)))
        # the shape torch read it as, where its elements are the atom's units
        elif len(got) == 1 and shp is not None and _read_len(r) == counts[got[0]] == _prod(shp) \
                and got[0] not in shapes:
            shapes[got[0]] = shp
        v.read_atoms.append(got)
    if len(counts) == 1:
        v.tensors = [(v.name, v.shape, v.size)]
    else:
        v.tensors = [(f"{v.name}[{j}]", shapes.get(j, (int(c),)), int(c)) for j, c in enumerate(counts)]


def _numbered(labels: np.ndarray, first_of):
    """(atom of each labelled item, atoms' count) with the atoms numbered in storage order: by
    ``first_of(inverse, n)``, the first storage offset (or segment) of each atom (the label
    order is arbitrary)."""
    uniq, inv = np.unique(labels, return_inverse=True)
    inv = inv.reshape(-1)
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[np.argsort(first_of(inv, len(uniq)), kind="stable")] = np.arange(len(uniq))
    return rank[inv], len(uniq)


def _by_elements(v: Version):
    """(atom sizes, atom ids per read: None for a whole read) from one label per element."""
    reads = [as_offsets(r) for r in v.reads]
    dom = v.domain if v.domain is not None else np.arange(v.numel, dtype=np.int64)
    labels = np.zeros(v.numel, dtype=np.uint64)
    for r in reads:
        if r is not None:
            labels[r] += _RNG.integers(1, 2**63, dtype=np.uint64)

    def first_of(inv, n):
        firsts = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(firsts, inv, dom)
        return firsts

    inv, n = _numbered(labels[dom], first_of)
    atom_of = np.full(v.numel, -1, dtype=np.int64)
    atom_of[dom] = inv
    ids = [None if r is None else [int(a) for a in np.unique(atom_of[r])] for r in reads]
    return np.bincount(inv, minlength=n), ids


def _by_runs(v: Version):
    """:func:`_by_elements`'s answer from one label per segment (the module docstring); by
    :func:`_by_elements` itself where the runs are more than :data:`DENSE_RUNS` an element."""
    if v.domain is None:
        dom = (np.zeros(1, dtype=np.int64), np.full(1, v.numel, dtype=np.int64))
    else:
        dom = runs(v.domain)
    spans = [None if r is None else runs(r) for r in v.reads]
    if len(dom[0]) + sum(len(s[0]) for s in spans if s is not None) > v.numel * DENSE_RUNS:
        return _by_elements(v)
    bounds = np.sort(np.concatenate(
        [dom[0], dom[0] + dom[1]] + [a for s in spans if s is not None for a in (s[0], s[0] + s[1])]))
    # distinct (NumPy 2's hashing ``np.unique`` took 0.75 s on 630 k such ends, the sort 0.1 s)
    bounds = bounds[np.concatenate(([True], bounds[1:] != bounds[:-1]))]
    nseg = len(bounds) - 1  # segment i: offsets bounds[i] .. bounds[i+1]-1

    def cuts(s):  # (first segment, segment after the last) of each run of ``s``
        return np.searchsorted(bounds, s[0]), np.searchsorted(bounds, s[0] + s[1])

    # in the domain: +1 where a run of it starts, -1 after it ends (runs disjoint, not touching)
    delta = np.zeros(nseg + 1, dtype=np.int64)
    a, b = cuts(dom)
    delta[a] += 1
    delta[b] -= 1
    segs = np.flatnonzero(np.cumsum(delta)[:-1] > 0)
    # a segment's label: the sum of the random labels of the reads covering it (mod 2**64); a
    # whole read covers every segment of the domain alike, so it cuts nothing
    lab = np.zeros(nseg + 1, dtype=np.uint64)
    for s in spans:
        if s is not None and len(s[0]):
            val = _RNG.integers(1, 2**63, dtype=np.uint64)
            a, b = cuts(s)
            lab[a] += val
            lab[b] -= val
    # segments ascend: an atom's first segment is its first in storage order
    inv, n = _numbered(np.cumsum(lab, dtype=np.uint64)[:-1][segs],
                       lambda inv, n: np.unique(inv, return_index=True)[1])
    seg_atom = np.full(nseg, -1, dtype=np.int64)
    seg_atom[segs] = inv
    counts = np.zeros(n, dtype=np.int64)
    np.add.at(counts, inv, np.diff(bounds)[segs])
    ids = [None if s is None else [int(x) for x in np.unique(seg_atom[_covered(*cuts(s))])]
           for s in spans]
    return counts, ids
