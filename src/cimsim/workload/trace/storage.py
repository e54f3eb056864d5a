"""Tensor identity: which data an aten op reads and writes.

Every tensor torch hands the recorder is a view ``(storage, offset, shape,
stride)`` of a storage. Views cost nothing, so they are not ops: an op that
reads a view reads *elements of a storage*. A storage changes over the run
(an op writes it whole, an in-place op writes part of it), so each write makes
a :class:`Version` whose ``domain`` is the set of elements it wrote, and each
element of a storage knows its latest version (``owner``). A read therefore
resolves to pieces ``(version, element offsets)``; ``None`` offsets mean "the
whole version".

After the capture, each activation version is cut into the coarsest parts (:mod:`.atoms`)
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

**Units.** A storage is counted in one *unit*: the element size of the tensor that made it (its
first writer or, for an input or weight, the tensor first seen). Every offset of a storage, in
each version's ``domain``, each read and each atom, is in its units (:func:`to_units`), whatever
element size the view that touches it has: a view ``k`` times wider (``view_as_complex`` of a
float tensor, ``x.view(torch.int32)`` of an fp16 one) covers units ``o*k .. o*k+k-1`` of its
element ``o``; a view ``k`` times narrower (``view_as_real`` of a complex tensor,
``x.view(torch.uint8)``) maps element ``o`` to unit ``o // k``, the unit holding it (a part of a
unit is read as the whole unit; a write of part of a unit reads the rest of it: the unit is
read, modified and written). Element sizes are powers of two, so either divides the other. The
unit is the creator's, not the gcd of sizes (bytes): every storage of a trace whose views keep
their storage's element size is counted exactly as before, offset for offset, and a version's
size times its dtype's bytes stays its bytes (a complex64 value read through its float view is
its 8 x 32 complex elements, 2,048 B, as the float view's 8 x 64 x 4 B).
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
    """Storage offsets of ``t``'s elements in ``t``'s own element size (see :func:`to_units`)."""
    return offsets(t.storage_offset(), tuple(t.shape), tuple(t.stride()))


def to_units(offs: np.ndarray, size: int, unit: int) -> np.ndarray:
    """Offsets ``offs`` in elements of ``size`` bytes as offsets in storage units of ``unit``
    bytes (the module docstring): the same where the sizes agree; a wider element covers its
    ``size // unit`` units (element by element, units in order); a narrower one is the unit
    holding it (repeated for each element in it)."""
    if size == unit:
        return offs
    if size > unit:
        k = size // unit
        return (offs[:, None] * k + np.arange(k, dtype=np.int64)).reshape(-1)
    return offs // (unit // size)


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


def torch_vec(kind: str, fn: str | None, reads, writes) -> float:
    """An op's vector operations counted in torch's elements (the IR's default counts its
    tensors' elements, which are storage units: a ``sum`` of ``view_as_real(z)`` adds 2 floats
    per complex unit): a reduction's per element read, any other kind's per element written."""
    from ..kinds import ELEMENTWISE_OPS_PER_ELEMENT, KIND_OPS_PER_ELEMENT

    if kind == "reduction":
        return KIND_OPS_PER_ELEMENT[kind] * sum(t.numel() for t in reads)
    per = ELEMENTWISE_OPS_PER_ELEMENT[fn] if kind == "elementwise" else KIND_OPS_PER_ELEMENT[kind]
    return per * sum(t.numel() for t in writes)


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
                            "gathered row and added product counted, but as vector work, not "
                            "MACs: 0 MAC and 0 OPS/W)")
    return t.untyped_storage()._cdata


def same_data(a, b) -> bool:
    """Whether tensors ``a`` and ``b`` are the same elements (one storage, offset, shape, strides
    and dtype): ``a.copy_(b)`` then moves nothing, and torch returns at once (``at::copy_``)."""
    return a is b or (storage_key(a) == storage_key(b) and a.storage_offset() == b.storage_offset()
                      and a.shape == b.shape and a.stride() == b.stride() and a.dtype == b.dtype)


def repeats(t) -> bool:
    """Whether view ``t`` holds some storage element more than once (an ``expand``'s stride 0, an
    overlapping ``unfold`` window): a copy of it writes more elements than it reads. From the
    strides where they tell (each dimension, by stride, stepping past the span of those below it:
    no repeat; a stride 0 over more than one element: a repeat), else from the offsets."""
    dims = sorted((st, size) for size, st in zip(t.shape, t.stride()) if size > 1)
    if any(st == 0 for st, _ in dims):
        return True
    span = 0  # the largest offset the dimensions so far reach, past the first element
    for st, size in dims:
        if st <= span:
            return int(_sorted_distinct(tensor_offsets(t)).size) < t.numel()
        span += st * (size - 1)
    return False


def storage_numel(t, unit: int | None = None) -> int:
    """Units of ``t``'s storage (of ``unit`` bytes; default: ``t``'s element size)."""
    return t.untyped_storage().nbytes() // (unit or t.element_size())


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
    #: read key -> the name of the model input that is that part of a source's storage (two
    #: inputs that are views of one storage, as ``A.nonzero(as_tuple=True)``'s are)
    view_names: dict = field(default_factory=dict)
    #: a source's elements per row of dim 0 as laid out in its storage (a contiguous tensor of
    #: 2+ dimensions: ``edge_index[1]`` is elements E..2E-1); 0: no rows to name parts by
    row_stride: int = 0

    @property
    def size(self) -> int:
        return self.numel if self.domain is None else len(self.domain)


class _Prov:
    """A storage whose elements are copies of another's (a reshape that had to copy)."""

    __slots__ = ("full", "src", "out", "vids", "offs")

    def __init__(self, full, src, out, vids=None, offs=None):
        self.full, self.src, self.out, self.vids, self.offs = full, src, out, vids, offs


class _Storage:
    """A storage of ``numel`` units of ``unit`` bytes (IR dtype ``dtype``: its maker's)."""

    __slots__ = ("numel", "cur", "owner", "prov", "unit", "dtype")

    def __init__(self, numel: int, cur: int, unit: int, dtype: str | None):
        self.numel, self.cur, self.owner, self.prov = numel, cur, None, None
        self.unit, self.dtype = unit, dtype


class Storages:
    """The storages and versions of one capture."""

    def __init__(self):
        self.storages: dict[int, _Storage] = {}
        self.versions: list[Version] = []
        #: storage key -> the versions it has held (its source and every write into it)
        self.history: dict[int, list[int]] = {}

    # ---------------------------------------------------------------- versions
    def new_version(self, role, name, numel, shape, domain=None, producer=-1, dtype=None) -> Version:
        v = Version(len(self.versions), role, name, numel, tuple(shape) or (1,), domain, producer,
                    dtype)
        self.versions.append(v)
        return v

    def known(self, t) -> bool:
        return storage_key(t) in self.storages

    def covers(self, t, st: _Storage) -> bool:
        return (t.numel() * t.element_size() == st.numel * st.unit and t.storage_offset() == 0
                and all(s > 0 for s, n in zip(t.stride(), t.shape) if n > 1))

    def _new(self, t, cur: int, dtype) -> _Storage:
        st = self.storages[storage_key(t)] = _Storage(storage_numel(t), cur, t.element_size(), dtype)
        return st

    # ---------------------------------------------------------------- units
    def unit_of(self, t) -> int:
        """Bytes of a unit of ``t``'s storage (``t``'s element size if it is not known yet)."""
        st = self.storages.get(storage_key(t))
        return t.element_size() if st is None else st.unit

    def same_unit(self, t) -> bool:
        """Whether ``t``'s elements are its storage's units (a view of its own element size)."""
        return t.element_size() == self.unit_of(t)

    def vec(self, kind: str, fn, reads, writes) -> float | None:
        """:func:`torch_vec` where a tensor the op reads or writes is a view of another element
        size than its storage's; None (the IR's count, the same) where none is, or where a read
        is given as pieces."""
        if kind in ("matmul", "copy") or any(isinstance(r, list) for r in reads) or \
                all(self.same_unit(t) for t in (*reads, *writes) if t.numel()):
            return None
        return torch_vec(kind, fn, reads, writes)

    def units(self, t) -> np.ndarray:
        """The storage offsets (in its storage's units) of ``t``'s elements, logical order."""
        return self.units_at(t, tensor_offsets(t))

    def units_at(self, t, offs: np.ndarray) -> np.ndarray:
        """Storage offsets ``offs`` counted in ``t``'s elements, in its storage's units."""
        return to_units(offs, t.element_size(), self.unit_of(t))

    def _tiles(self, t, st: _Storage) -> bool:
        """:func:`tiles` in the storage's units (a wider view: a dimension of its ``k`` units
        innermost; a narrower one: not from strides)."""
        size = t.element_size()
        if size < st.unit:
            return False
        k = size // st.unit
        shape, stride = tuple(t.shape), tuple(t.stride())
        if k > 1:
            shape, stride = (*shape, k), (*(s * k for s in stride), 1)
        return tiles(t.storage_offset() * k, shape, stride, st.numel)

    def add_source(self, t, role, name, dtype=None, given=None) -> Version:
        """A source version of ``t``'s storage, of the shape of the tensor ``t`` views (the model's
        input or parameter as given, not the transposed view first read: ``x.t().contiguous()``;
        ``given``: an example input's own shape, a view's too: ``torch.randn(64, 8).t()``)."""
        numel = storage_numel(t)
        b = t if getattr(t, "_base", None) is None or storage_key(t._base) != storage_key(t) else t._base
        shape = ((tuple(given) or (1,)) if given is not None and int(np.prod(given)) == numel else
                 (tuple(b.shape) or (1,)) if b.numel() == numel else (numel,))
        v = self.new_version(role, name, numel, shape, dtype=dtype)
        if b.dim() >= 2 and b.numel() == numel and b.is_contiguous():
            v.row_stride = int(np.prod(b.shape[1:]))
        self._new(t, v.id, dtype)
        self.history.setdefault(storage_key(t), []).append(v.id)
        return v

    # ---------------------------------------------------------------- reads
    def _elems(self, t, st: _Storage):
        """(version ids (int or array), storage offsets) of ``t``'s elements, logical order."""
        return self._elems_at(st, self.units(t))

    def _elems_at(self, st: _Storage, offs: np.ndarray):
        """(version ids (int or array), source offsets) of the units ``offs`` of ``st``."""
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
            p.vids, p.offs = p.full, self._placed(p.out, self.units(p.src), st.numel, 0)
        return p.vids, p.offs

    def _placed(self, out, values: np.ndarray, numel: int, fill: int) -> np.ndarray:
        """A value per unit of ``out``'s storage (``numel`` units): ``values`` (one per element
        of ``out``, logical order) at ``out``'s units, ``fill`` elsewhere; ``values`` itself where
        ``out`` is its storage, dense in order (a fresh copy's usual layout: nothing to place)."""
        if out.numel() == numel and out.storage_offset() == 0 and out.is_contiguous() \
                and self.same_unit(out):
            return np.asarray(values, dtype=np.int64)
        a = np.full(numel, fill, dtype=np.int64)
        a[self.units(out)] = values
        return a

    def pieces(self, t) -> list[tuple[int, np.ndarray | None]]:
        """What reading ``t`` reads: [(version id, offsets or None for all of it)]."""
        if t.numel() == 0:
            return []
        st = self.storages[storage_key(t)]
        full = self.covers(t, st)
        if full and st.prov is None and st.owner is None:
            return [(st.cur, None)]
        if st.prov is None and st.owner is None and self.versions[st.cur].domain is None \
                and self._tiles(t, st):
            # every element of the whole version, some repeated (an expand): what
            # _maybe_whole finds from the offsets, without enumerating them
            return [(st.cur, None)]
        if full and st.prov is not None and st.prov.full is not None:
            return [(st.prov.full, None)]
        return self._split(*self._elems(t, st))

    def _split(self, vids, offs: np.ndarray) -> list[tuple[int, np.ndarray | None]]:
        """[(version id, its offsets or None: all of it)] of units ``offs`` held by ``vids``."""
        if isinstance(vids, (int, np.integer)):
            return [(int(vids), self._maybe_whole(int(vids), offs))]
        return [(int(u), self._maybe_whole(int(u), offs[vids == u])) for u in _distinct_ids(vids)]

    def whole(self, t) -> list[tuple[int, np.ndarray | None]]:
        """What reading every unit of ``t``'s storage reads, as :meth:`pieces`."""
        st = self.storages[storage_key(t)]
        return self._split(*self._elems_at(st, np.arange(st.numel, dtype=np.int64)))

    def rest_of_units(self, t) -> list[tuple[int, np.ndarray | None]]:
        """What a write of ``t`` leaves of the units it writes in part (a view narrower than its
        storage's unit writing some of a unit's bytes: the unit is read, modified and written),
        as :meth:`pieces`; [] where it writes whole units."""
        st = self.storages.get(storage_key(t))
        if st is None or t.numel() == 0 or t.element_size() >= st.unit:
            return []
        k = st.unit // t.element_size()
        elems = np.unique(tensor_offsets(t))
        units, hits = np.unique(elems // k, return_counts=True)
        part = units[hits < k]
        return self._split(*self._elems_at(st, part)) if len(part) else []

    def pieces_at(self, t, offs: np.ndarray) -> list[tuple[int, np.ndarray | None]]:
        """What reading the storage offsets ``offs`` (in units) of ``t``'s storage reads
        (``t``'s storage is no provenance storage: materialise it first), as :meth:`pieces`."""
        st = self.storages[storage_key(t)]
        return self._split(st.cur if st.owner is None else st.owner[offs], offs)

    def write_at(self, t, offs: np.ndarray, v: Version) -> None:
        """The storage offsets ``offs`` (distinct, in units) of ``t``'s (known, no provenance)
        storage now hold version ``v`` (an index accumulation's touched rows)."""
        self.history.setdefault(storage_key(t), []).append(v.id)
        st = self.storages[storage_key(t)]
        if st.owner is None:
            st.owner = np.full(st.numel, st.cur, dtype=np.int64)
        st.owner[offs] = v.id
        v.numel, v.domain = st.numel, offs
        self._in_units(t, st, v)

    @staticmethod
    def _in_units(t, st: _Storage, v: Version) -> None:
        """A version written through a view of another element size is of the storage's units:
        its IR dtype is the storage's (its size times that dtype's bytes: its bytes)."""
        if t.element_size() != st.unit:
            v.dtype = st.dtype or v.dtype
            if v.domain is None:
                v.numel, v.shape = st.numel, (st.numel,)
            else:  # the units it writes (the view's shape is in the view's elements)
                v.shape = (len(v.domain),)

    def _maybe_whole(self, vid: int, offs: np.ndarray):
        v = self.versions[vid]
        if len(offs) >= v.size and _distinct(offs, v.numel) == v.size:
            return None
        return offs

    # ---------------------------------------------------------------- writes
    def write(self, t, v: Version) -> None:
        """``t`` (a fresh storage or a view of a known one) now holds version ``v``."""
        self.history.setdefault(storage_key(t), []).append(v.id)
        st = self.storages.get(storage_key(t))
        if st is None:
            st = self._new(t, v.id, v.dtype)
            v.numel = st.numel
            if t.numel() != st.numel:
                v.domain = self.units(t)
            return
        if self.covers(t, st):
            st.cur, st.owner, st.prov = v.id, None, None
            self._in_units(t, st, v)
            return
        if st.prov is not None:
            raise AssertionError("a provenance storage must be materialised before it is written in part")
        offs = self.units(t)
        if t.element_size() < st.unit:  # a narrower view: each unit it writes (part of) once
            offs = np.unique(offs)
        self.write_at(t, offs, v)

    def alias_copy(self, src, out, dtype=None) -> bool:
        """``out`` (fresh, of IR dtype ``dtype``) is a copy of ``src``'s elements that only
        reorders them: True, or False (nothing done) where ``src`` is a view of another element
        size than its storage's (an element is not one unit: the caller copies)."""
        st_src = self.storages[storage_key(src)]
        if src.element_size() != st_src.unit:
            return False
        numel = storage_numel(out)
        st = _Storage(numel, -1, out.element_size(), dtype)
        pieces = self.pieces(src)
        if len(pieces) == 1 and pieces[0][1] is None and out.numel() == numel and st_src.prov is None \
                and st_src.owner is None:
            st.prov = _Prov(pieces[0][0], src, out)
        else:
            vids, offs = self._elems(src, st_src)
            poffs = self._placed(out, offs, numel, 0)
            pv = int(vids) if isinstance(vids, (int, np.integer)) else self._placed(out, vids, numel, -1)
            full = pieces[0][0] if len(pieces) == 1 and pieces[0][1] is None and out.numel() == numel else None
            st.prov = _Prov(full, src, out, pv, poffs)
        self.storages[storage_key(out)] = st
        return True

    def is_prov(self, t) -> bool:
        st = self.storages.get(storage_key(t))
        return st is not None and st.prov is not None

    def drop_prov(self, t, v: Version) -> None:
        """The provenance storage of ``t`` was materialised as version ``v`` (whole)."""
        st = self.storages[storage_key(t)]
        st.prov, st.cur, st.owner = None, v.id, None
        v.numel = st.numel


def _prod(shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


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


class RowRead:
    """A gather's read of whole rows: offsets ``base + rows[i] * stride + inner[j]`` (row by row,
    :meth:`offsets`), kept as its row ids rather than one offset per element, so that a lookup
    of many rows costs its rows, not its elements (:func:`runs`, :func:`read_key`). ``len`` is
    its element count, as an offsets array's."""

    __slots__ = ("base", "rows", "stride", "inner")

    def __init__(self, base: int, rows: np.ndarray, stride: int, inner: np.ndarray):
        self.base, self.stride = int(base), int(stride)
        self.rows, self.inner = np.asarray(rows, dtype=np.int64), np.asarray(inner, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.rows) * len(self.inner)

    def offsets(self) -> np.ndarray:
        return (self.base + self.rows[:, None] * self.stride + self.inner[None, :]).reshape(-1)

    def runs(self):
        """:func:`runs` from the rows alone where each row is one run of ``w`` consecutive
        offsets and the rows ascend without overlapping; else None."""
        rows, inner, w = self.rows, self.inner, len(self.inner)
        if not (w and len(rows) and self.stride >= w and inner[-1] - inner[0] == w - 1
                and (w == 1 or bool(np.all(np.diff(inner) == 1)))
                and (len(rows) == 1 or bool(np.all(np.diff(rows) > 0)))):
            return None
        starts = self.base + int(inner[0]) + rows * self.stride
        first = np.concatenate(([0], np.flatnonzero(np.diff(starts) != w) + 1))
        return starts[first], np.diff(np.append(first, len(rows))).astype(np.int64) * w


def as_offsets(r):
    """A read's offsets as an array (a :class:`RowRead` enumerated; ``None`` and arrays as they are)."""
    return r.offsets() if isinstance(r, RowRead) else r


def _sorted_distinct(offs: np.ndarray) -> np.ndarray:
    """``np.unique(offs)`` (int64 offsets), by a mark per offset between the least and the
    greatest where that span is not much wider than the offsets (O(n), where the sort is
    O(n log n): an expert's slice of a stacked weight is millions of offsets)."""
    if not len(offs):
        return np.unique(offs)
    lo = int(offs.min())
    span = int(offs.max()) - lo + 1
    if span > 4 * len(offs):
        return np.unique(offs)
    seen = np.zeros(span, dtype=bool)
    seen[offs - lo] = True
    return np.flatnonzero(seen).astype(np.int64, copy=False) + lo


def runs(r) -> tuple[np.ndarray, np.ndarray]:
    """The distinct offsets of read ``r`` (an offsets array or a :class:`RowRead`) as maximal
    runs of consecutive offsets, ascending: (starts, lengths), int64. One set has one answer,
    however it was read."""
    if isinstance(r, RowRead):
        fast = r.runs()
        if fast is not None:
            return fast
        r = r.offsets()
    u = _sorted_distinct(np.asarray(r, dtype=np.int64))
    if not len(u):
        return u, u.copy()
    first = np.concatenate(([0], np.flatnonzero(np.diff(u) != 1) + 1))
    return u[first], np.diff(np.append(first, len(u))).astype(np.int64)


def distinct_size(reads) -> int:
    """How many distinct offsets the reads ``reads`` (offsets arrays, :class:`RowRead` s) hold
    together: from the row ids where all are gathers of the same rows' layout, each row its own
    run (:meth:`RowRead.runs`), else by marking their offsets."""
    first = reads[0] if reads else None
    if isinstance(first, RowRead) and first.runs() is not None and all(
            isinstance(r, RowRead) and (r.base, r.stride) == (first.base, first.stride)
            and np.array_equal(r.inner, first.inner) for r in reads):
        return len(np.unique(np.concatenate([r.rows for r in reads]))) * len(first.inner)
    return len(_sorted_distinct(np.concatenate([as_offsets(r) for r in reads]).astype(np.int64)))


def read_key(r) -> tuple:
    """What identifies a read of a source version: the whole of it, or its distinct offsets (as
    their maximal runs of consecutive offsets, :func:`runs`: the same set, the same key, whether
    the read is an offsets array or a gather's :class:`RowRead`). Its first item is how many
    distinct offsets the read holds."""
    if r is None:
        return ("all",)
    starts, lengths = runs(r)
    return (int(lengths.sum()), hash((starts.tobytes(), lengths.tobytes())))


def source_tensors(v: Version) -> None:
    """Inputs and weights need no producer: each distinct read becomes its own tensor, named
    by the model input it is (``dst`` of ``src, dst = A.nonzero(as_tuple=True)``: two inputs,
    one storage; :attr:`Version.view_names`), by its label (``gate_up_proj[5]``: expert 5's
    slice), by the row of dim 0 it is (``edge_index[1]``: row 1 of a contiguous input,
    :attr:`Version.row_stride`), or else its place in storage among the reads (beside rows:
    its storage offsets, ``x[@0:16]``)."""
    seen: dict[tuple, int] = {}
    v.tensors, v.read_atoms = [], []
    first: dict[tuple, tuple] = {}  # each partial read's (first storage offset, whether one run)
    for r in v.reads:
        if r is not None and (key := read_key(r)) not in first:
            starts = runs(r)[0] if key[0] else np.zeros(1, np.int64)
            first[key] = (int(starts[0]), len(starts) == 1)
    row = v.row_stride
    by_row = {k: f // row for k, (f, one) in first.items()
              if row and one and k[0] == row and f % row == 0}  # a whole row of dim 0: its index
    place = {k: j for j, k in enumerate(sorted(first, key=lambda k: first[k][0]))}  # stable: ties by use
    for r, shp in zip(v.reads, v.read_shapes):
        key = read_key(r)
        if key not in seen:
            seen[key] = len(v.tensors)
            if r is None:
                v.tensors.append((v.name, v.shape, v.size))
            else:
                n = key[0]
                shape = shp if shp is not None and len(r) == n == _prod(shp) else (n,)
                label = v.labels.get(key, by_row.get(key))
                if label is None:  # not a row: its place among the reads, or beside rows its offsets
                    f = first[key][0]
                    label = place[key] if not by_row else f"@{f}:{f + n}"
                name = v.view_names.get(key) or f"{v.name}[{label}]"
                v.tensors.append((name, tuple(shape), n))
        v.read_atoms.append([seen[key]])
    if len(v.tensors) == 1 and v.tensors[0][0] != v.name and v.reads and v.reads[0] is not None \
            and not v.labels and not v.view_names:
        name, shape, n = v.tensors[0]
        v.tensors[0] = (f"{v.name}[part]", shape, n)
