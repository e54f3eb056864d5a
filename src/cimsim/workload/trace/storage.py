"""Tensor identity: which data an aten op reads and writes.

Every tensor torch hands the recorder is a view ``(storage, offset, shape,
stride)`` of a storage. Views cost nothing, so they are not ops: an op that
reads a view reads *elements of a storage*. A storage changes over the run
(an op writes it whole, an in-place op writes part of it), so each write makes
a :class:`Version` whose ``domain`` is the set of elements it wrote, and each
element of a storage knows its latest version (``owner``). A read therefore
resolves to pieces ``(version, element offsets)``; ``None`` offsets mean "the
whole version".

After the capture, each activation version is cut into the coarsest parts
(*atoms*) such that every read is a union of atoms: an LSTM's input projection
read one time step at a time becomes one tensor per step, a fused QKV
projection read as Q, K and V becomes three tensors. Storages made by a copy
that only reshapes (``clone``, ``contiguous``, ``_to_copy``) are *provenance*
storages: their elements are mapped back to the elements they were copied from,
so a reshape costs nothing here either.

Where a view's strides answer a question, the offsets are not enumerated: a view
whose dimensions (stride-0 ones, an ``expand``, only repeat) tile its storage
densely reads the whole version (:func:`tiles`; grouped-query attention's
``repeat_kv`` copy of K and V to every query head), and distinct offsets and
version ids are counted, not sorted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def offsets(off: int, shape, stride) -> np.ndarray:
    """Storage offsets of a strided view's elements, in logical (row-major) order."""
    o = np.full((), off, dtype=np.int64)
    for size, st in zip(shape, stride):
        o = o[..., None] + np.arange(size, dtype=np.int64) * st
    return o.reshape(-1)


def tensor_offsets(t) -> np.ndarray:
    return offsets(t.storage_offset(), tuple(t.shape), tuple(t.stride()))


def tiles(off: int, shape, stride, numel: int) -> bool:
    """Whether a strided view's offsets are exactly ``0 .. numel-1``, each at least once, from its
    strides alone: dimensions of size 1 or stride 0 (an ``expand``) only repeat elements, and the
    others, sorted by stride, must each step by the product of the sizes below it (a dense
    layout in any dimension order). ``False`` also where only the offsets could tell."""
    if off != 0:
        return False
    span = 1
    for st, size in sorted((st, size) for size, st in zip(shape, stride) if size > 1 and st != 0):
        if st != span:
            return False
        span *= size
    return span == numel


def storage_key(t) -> int:
    """The identity of ``t``'s storage: its ``StorageImpl`` (views share it), not its data pointer,
    which is 0 for every meta and fake tensor (a model traced from shapes only). A sparse or
    other non-strided tensor has no one storage: refused, naming its layout."""
    if str(t.layout) != "torch.strided" or getattr(t, "is_nested", False):
        from ...errors import WorkloadError

        if getattr(t, "is_nested", False):  # a nested tensor has no one shape
            raise WorkloadError("a nested tensor (torch.nested): cimsim traces dense (strided) "
                                "tensors of one shape only; pad the sequences to one length")
        raise WorkloadError(f"a tensor of layout {t.layout} ({tuple(t.shape)}): cimsim traces dense "
                            "(strided) tensors only; give the model a dense tensor (a sparse "
                            "product as index_select / index_add over an edge list traces, each "
                            "gathered row and added product counted)")
    return t.untyped_storage()._cdata


def storage_numel(t) -> int:
    return t.untyped_storage().nbytes() // t.element_size()


@dataclass(eq=False)
class Version:
    """The data of one write to a storage (or a source: input, weight, constant)."""

    id: int
    role: str  # activation | input | weight
    name: str
    numel: int  # elements of its storage (of the virtual value for a virtual version)
    shape: tuple  # shape of the tensor that wrote it whole (else (numel of domain,))
    domain: np.ndarray | None = None  # offsets written; None: every element
    producer: int = -1  # index of the proto op that wrote it
    dtype: str | None = None  # IR dtype (cimsim.dtypes); None: the workload's
    reads: list = field(default_factory=list)  # offsets arrays (None: whole version)
    read_shapes: list = field(default_factory=list)
    tensors: list = field(default_factory=list)  # filled by atomize()
    atom_of: np.ndarray | None = None
    read_atoms: list = field(default_factory=list)
    #: read key (:func:`read_key`) -> the index a source's part is named by (an expert's id)
    labels: dict = field(default_factory=dict)

    @property
    def size(self) -> int:
        return self.numel if self.domain is None else len(self.domain)


class _Prov:
    """A storage whose elements are copies of another's (a reshape that had to copy)."""

    __slots__ = ("full", "src", "out", "vids", "offs")

    def __init__(self, full, src, out, vids=None, offs=None):
        self.full, self.src, self.out, self.vids, self.offs = full, src, out, vids, offs


class _Storage:
    __slots__ = ("numel", "cur", "owner", "prov")

    def __init__(self, numel: int, cur: int):
        self.numel, self.cur, self.owner, self.prov = numel, cur, None, None


class Storages:
    """The storages and versions of one capture."""

    def __init__(self):
        self.storages: dict[int, _Storage] = {}
        self.versions: list[Version] = []

    # ---------------------------------------------------------------- versions
    def new_version(self, role, name, numel, shape, domain=None, producer=-1, dtype=None) -> Version:
        v = Version(len(self.versions), role, name, numel, tuple(shape) or (1,), domain, producer,
                    dtype)
        self.versions.append(v)
        return v

    def known(self, t) -> bool:
        return storage_key(t) in self.storages

    def covers(self, t, st: _Storage) -> bool:
        return (t.numel() == st.numel and t.storage_offset() == 0
                and all(s > 0 for s, n in zip(t.stride(), t.shape) if n > 1))

    def add_source(self, t, role, name, dtype=None) -> Version:
        numel = storage_numel(t)
        shape = (tuple(t.shape) or (1,)) if t.numel() == numel else (numel,)
        v = self.new_version(role, name, numel, shape, dtype=dtype)
        self.storages[storage_key(t)] = _Storage(numel, v.id)
        return v

    # ---------------------------------------------------------------- reads
    def _elems(self, t, st: _Storage):
        """(version ids (int or array), storage offsets) of ``t``'s elements, logical order."""
        offs = tensor_offsets(t)
        p = st.prov
        if p is not None:
            vids, poffs = self._prov_arrays(st)
            return (vids if isinstance(vids, int) else vids[offs]), poffs[offs]
        if st.owner is None:
            return st.cur, offs
        return st.owner[offs], offs

    def _prov_arrays(self, st: _Storage):
        p = st.prov
        if p.offs is None:
            src_offs = tensor_offsets(p.src)
            poffs = np.zeros(st.numel, dtype=np.int64)
            poffs[tensor_offsets(p.out)] = src_offs
            p.vids, p.offs = p.full, poffs
        return p.vids, p.offs

    def pieces(self, t) -> list[tuple[int, np.ndarray | None]]:
        """What reading ``t`` reads: [(version id, offsets or None for all of it)]."""
        if t.numel() == 0:
            return []
        st = self.storages[storage_key(t)]
        full = self.covers(t, st)
        if full and st.prov is None and st.owner is None:
            return [(st.cur, None)]
        if st.prov is None and st.owner is None and self.versions[st.cur].domain is None \
                and tiles(t.storage_offset(), t.shape, t.stride(), st.numel):
            # every element of the whole version, some repeated (an expand): what
            # _maybe_whole finds from the offsets, without enumerating them
            return [(st.cur, None)]
        if full and st.prov is not None and st.prov.full is not None:
            return [(st.prov.full, None)]
        vids, offs = self._elems(t, st)
        if isinstance(vids, (int, np.integer)):
            return [(int(vids), self._maybe_whole(int(vids), offs))]
        out = []
        for u in _distinct_ids(vids):
            out.append((int(u), self._maybe_whole(int(u), offs[vids == u])))
        return out

    def pieces_at(self, t, offs: np.ndarray) -> list[tuple[int, np.ndarray | None]]:
        """What reading the storage offsets ``offs`` of ``t``'s storage reads (``t``'s storage
        is no provenance storage: materialise it first), as :meth:`pieces`."""
        st = self.storages[storage_key(t)]
        vids = st.cur if st.owner is None else st.owner[offs]
        if isinstance(vids, (int, np.integer)):
            return [(int(vids), self._maybe_whole(int(vids), offs))]
        return [(int(u), self._maybe_whole(int(u), offs[vids == u])) for u in _distinct_ids(vids)]

    def write_at(self, t, offs: np.ndarray, v: Version) -> None:
        """The storage offsets ``offs`` of ``t``'s (known, no provenance) storage now hold
        version ``v`` (an index accumulation's touched rows)."""
        st = self.storages[storage_key(t)]
        if st.owner is None:
            st.owner = np.full(st.numel, st.cur, dtype=np.int64)
        st.owner[offs] = v.id
        v.numel, v.domain = st.numel, offs

    def _maybe_whole(self, vid: int, offs: np.ndarray):
        v = self.versions[vid]
        if len(offs) >= v.size and _distinct(offs, v.numel) == v.size:
            return None
        return offs

    # ---------------------------------------------------------------- writes
    def write(self, t, v: Version) -> None:
        """``t`` (a fresh storage or a view of a known one) now holds version ``v``."""
        key = storage_key(t)
        st = self.storages.get(key)
        if st is None:
            numel = storage_numel(t)
            self.storages[key] = _Storage(numel, v.id)
            v.numel = numel
            if t.numel() != numel:
                v.domain = tensor_offsets(t)
            return
        if self.covers(t, st):
            st.cur, st.owner, st.prov = v.id, None, None
            return
        if st.prov is not None:
            raise AssertionError("a provenance storage must be materialised before it is written in part")
        offs = tensor_offsets(t)
        if st.owner is None:
            st.owner = np.full(st.numel, st.cur, dtype=np.int64)
        st.owner[offs] = v.id
        v.numel, v.domain = st.numel, offs

    def alias_copy(self, src, out) -> None:
        """``out`` (fresh) is a copy of ``src``'s elements that only reorders them."""
        st_src = self.storages[storage_key(src)]
        numel = storage_numel(out)
        st = _Storage(numel, -1)
        pieces = self.pieces(src)
        if len(pieces) == 1 and pieces[0][1] is None and out.numel() == numel and st_src.prov is None \
                and st_src.owner is None:
            st.prov = _Prov(pieces[0][0], src, out)
        else:
            vids, offs = self._elems(src, st_src)
            poffs = np.zeros(numel, dtype=np.int64)
            o = tensor_offsets(out)
            poffs[o] = offs
            if isinstance(vids, (int, np.integer)):
                pv = int(vids)
            else:
                pv = np.full(numel, -1, dtype=np.int64)
                pv[o] = vids
            full = pieces[0][0] if len(pieces) == 1 and pieces[0][1] is None and out.numel() == numel else None
            st.prov = _Prov(full, src, out, pv, poffs)
        self.storages[storage_key(out)] = st

    def is_prov(self, t) -> bool:
        st = self.storages.get(storage_key(t))
        return st is not None and st.prov is not None

    def drop_prov(self, t, v: Version) -> None:
        """The provenance storage of ``t`` was materialised as version ``v`` (whole)."""
        st = self.storages[storage_key(t)]
        st.prov, st.cur, st.owner = None, v.id, None
        v.numel = st.numel


def _distinct(offs: np.ndarray, numel: int) -> int:
    """How many distinct offsets ``offs`` holds: a mark per storage element (``0 .. numel-1``),
    O(n) where ``np.unique``'s sort is O(n log n); ``np.unique`` for offsets outside that range."""
    if len(offs) and (offs.min() < 0 or offs.max() >= numel):
        return int(np.unique(offs).size)
    seen = np.zeros(numel, dtype=bool)
    seen[offs] = True
    return int(np.count_nonzero(seen))


def _distinct_ids(vids: np.ndarray) -> np.ndarray:
    """The distinct version ids of ``vids``, ascending (``np.unique``'s answer), by counting."""
    if len(vids) and vids.min() < 0:
        return np.unique(vids)
    return np.flatnonzero(np.bincount(vids))


# ------------------------------------------------------------------------- atoms
_RNG = np.random.default_rng(20240601)


def atomize(v: Version) -> None:
    """Cut activation version ``v`` into atoms: each read is a union of atoms.

    Sets ``v.tensors`` [(name, shape, count)], ``v.read_atoms`` (atom ids per read).
    """
    reads = v.reads
    if all(r is None for r in reads):
        v.tensors = [(v.name, v.shape, v.size)]
        v.read_atoms = [[0] for _ in reads]
        return
    dom = v.domain if v.domain is not None else np.arange(v.numel, dtype=np.int64)
    labels = np.zeros(v.numel, dtype=np.uint64)
    for r in reads:
        labels[dom if r is None else r] += _RNG.integers(1, 2**63, dtype=np.uint64)
    uniq, inv = np.unique(labels[dom], return_inverse=True)
    inv = inv.reshape(-1)
    # number the atoms in storage order (the label order is arbitrary)
    firsts = np.full(len(uniq), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(firsts, inv, dom)
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[np.argsort(firsts, kind="stable")] = np.arange(len(uniq))
    inv = rank[inv]
    atom_of = np.full(v.numel, -1, dtype=np.int64)
    atom_of[dom] = inv
    counts = np.bincount(inv, minlength=len(uniq))
    v.read_atoms = []
    shapes: dict[int, tuple] = {}
    for r, shp in zip(reads, v.read_shapes):
        if r is None:
            ids = list(range(len(uniq)))
        else:
            ids = [int(a) for a in np.unique(atom_of[r])]
            if len(ids) == 1 and shp is not None and len(r) == counts[ids[0]] and ids[0] not in shapes:
                shapes[ids[0]] = shp
        v.read_atoms.append(ids)
    if len(uniq) == 1:
        v.tensors = [(v.name, v.shape, v.size)]
    else:
        v.tensors = [(f"{v.name}[{j}]", shapes.get(j, (int(c),)), int(c)) for j, c in enumerate(counts)]


def read_key(r) -> tuple:
    """What identifies a read of a source version: the whole of it, or its distinct offsets."""
    if r is None:
        return ("all",)
    u = np.unique(r)
    return (len(u), hash(u.tobytes()))


def source_tensors(v: Version) -> None:
    """Inputs and weights need no producer: each distinct read becomes its own tensor, named
    by its label (``gate_up_proj[5]``: expert 5's slice) or else its order among the reads."""
    seen: dict[tuple, int] = {}
    v.tensors, v.read_atoms = [], []
    for r, shp in zip(v.reads, v.read_shapes):
        key = read_key(r)
        if key not in seen:
            seen[key] = len(v.tensors)
            if r is None:
                v.tensors.append((v.name, v.shape, v.size))
            else:
                n = int(np.unique(r).size)
                shape = shp if shp is not None and len(r) == n else (n,)
                v.tensors.append((f"{v.name}[{v.labels.get(key, len(v.tensors))}]", tuple(shape), n))
        v.read_atoms.append([seen[key]])
    if len(v.tensors) == 1 and v.tensors[0][0] != v.name and v.reads and v.reads[0] is not None \
            and not v.labels:
        name, shape, n = v.tensors[0]
        v.tensors[0] = (f"{v.name}[part]", shape, n)
