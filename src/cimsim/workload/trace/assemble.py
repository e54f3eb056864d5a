"""Building the workload from the lowered proto ops: each version is cut into atoms
(:func:`.atoms.atomize`, :func:`.storage.source_tensors`) and each proto op becomes an
:class:`~cimsim.workload.ir.Op` over those tensors; a matmul operand that is not exactly one
tensor gets an explicit ``copy`` op that materialises it (:func:`_operand`)."""

from __future__ import annotations

from ...dtypes import DTYPE_BYTES, tensor_bytes
from ..ir import Op, Tensor
from . import complexes
from .atoms import atomize, overlapping_reads
from .storage import distinct_size, source_tensors


def byproducts(low, outs, first: int) -> None:
    """Mark the versions of ``outs`` (an op's outputs a backward pass alone reads: a max pool's
    indices, a norm's statistics, :data:`.aten.BYPRODUCTS`) that the protos from ``first`` on
    wrote: :func:`finish` leaves out those no op reads and the model does not return."""
    marks = low.__dict__.setdefault("byproducts", set())
    for t in outs:
        if t.numel() and low.st.known(t):
            marks.update(vid for vid, _ in low.st.pieces(t) if low.st.versions[vid].producer >= first)


def finish(low):
    """(tensors, ops) of the workload lowered by ``low`` (a :class:`~.lower.Lowerer`)."""
    # register reads in order; remember each read's index into its version's read list
    for p in low.protos:
        p._read_idx = []
        for operand, shape in zip(p.operands, p.shapes):
            idxs = []
            for vid, offs in operand:
                v = low.st.versions[vid]
                idxs.append((vid, len(v.reads)))
                v.reads.append(offs)
                v.read_shapes.append(shape if len(operand) == 1 else None)
            p._read_idx.append(idxs)
    # a matmul's operand must stay one tensor (a weight stays stationary): a source a matmul
    # reads keeps a tensor per distinct read, even where the reads overlap (README: Tracing)
    by_matmul = {vid for p in low.protos if p.kind == "matmul" for operand in p.operands[:2]
                 for vid, _ in operand}
    kept = []  # weights a matmul reads through overlapping views: :func:`overlapping_weights`
    for v in low.st.versions:
        if v.role == "weight" and v.id in by_matmul and overlapping_reads(v):
            kept.append(v)
        # a weight read through overlapping views (shifted windows, knot slices) is cut into
        # atoms as an activation is: each element is one tensor's, counted once (a model
        # input keeps its name: a tensor per distinct read)
        if v.role == "activation" or (v.role == "weight" and v.id not in by_matmul
                                      and overlapping_reads(v)):
            atomize(v)
        else:
            source_tensors(v)
    dtype = low.dtype
    tensors: dict[str, Tensor] = {}
    low.sync_of = {}  # tensor name -> the sync epoch of the op writing it, where not 0

    #: (version id, its tensor's index) -> the workload's name of that tensor (a training
    #: step's updated weights are named from it: :func:`.persist.updated_weight_tensors`)
    declared: dict[tuple[int, int], str] = {}
    low.declared = declared

    def declare(v, j):
        key = (v.id, j)
        name = declared.get(key)
        if name is None:
            name, shape, _ = v.tensors[j]
            if name in tensors:  # an op named like a parameter: keep names unique
                name = f"{name}~{v.id}"
            declared[key] = name
            tensors[name] = Tensor(name, tuple(int(s) for s in shape), v.dtype or dtype, v.role)
        return name

    # by-products no op reads and the model does not return: not written, never live (an
    # inference kernel makes none); said in metadata['unwritten_byproducts'] (:func:`byproducts`)
    lasting = getattr(low, "lasting_vids", set())
    unwritten = {vid for vid in getattr(low, "byproducts", ()) if not low.st.versions[vid].reads
                 and vid not in lasting}
    low.unwritten = [0, 0]  # tensors, bytes
    ops: list[Op] = []
    for p in low.protos:
        operands = []
        whole = []  # per operand: one whole read of a full version cut into atoms (find-F 1)
        for idxs in p._read_idx:
            whole.append(len(idxs) == 1 and low.st.versions[idxs[0][0]].reads[idxs[0][1]] is None
                         and low.st.versions[idxs[0][0]].domain is None)
            names = []
            for vid, ri in idxs:
                v = low.st.versions[vid]
                for j in v.read_atoms[ri]:
                    nm = declare(v, j)
                    if nm not in names:
                        names.append(nm)
            operands.append(names)
        outs = []
        for vid in p.outputs:
            v = low.st.versions[vid]
            if vid in unwritten:
                low.unwritten[0] += 1
                low.unwritten[1] += v.size * DTYPE_BYTES[v.dtype or dtype]
                continue
            for j in range(len(v.tensors)):
                outs.append(declare(v, j))
        if not outs:
            continue
        if p.sync:  # after a value read: fusion does not join it to what ran before (:mod:`.control`)
            low.sync_of.update(dict.fromkeys(outs, p.sync))
        if (p.kind == "matmul" or p.macs) and tensors[outs[0]].dtype.startswith("complex"):
            complexes.refuse_complex_macs(p, tensors[outs[0]].dtype, p.macs or p.batch * p.m * p.k * p.n)
        if p.kind == "matmul":
            a = _operand(ops, tensors, p, operands[0], p.batch * p.m * p.k, "A", False, whole[0])
            # one k x n weight shared by the batch is stationary; a batch x k x n one (a bmm
            # over a 3-D parameter) is read as an operand, as a grouped convolution's is
            # (on live tensors: :func:`.claims.shared_by_batch`)
            one = p.weight and [tensors[t].numel for t in operands[1]] == [p.k * p.n] and \
                tensors[operands[1][0]].role == "weight"
            b = _operand(ops, tensors, p, operands[1], (p.k * p.n) if one else p.batch * p.k * p.n, "B", one,
                         whole[1])
            weight = b if one else None
            ops.append(Op(p.name, "matmul", (a, b), tuple(outs), m=p.m, k=p.k, n=p.n, batch=p.batch,
                          weight=weight, tags=p.tags))
            continue
        ins = tuple(dict.fromkeys(n for names in operands for n in names))
        ope = None
        if p.vec is not None:
            out_elems = sum(tensors[o].numel for o in outs)
            ope = p.vec / out_elems if out_elems else 0.0
        ops.append(Op(p.name, p.kind, ins, tuple(outs), fn=p.fn, ops_per_element=ope, tags=dict(p.tags),
                      generic_macs=int(p.macs)))
    # the atoms of versions that outlive the step (:mod:`.persist`): outputs fusion keeps
    low.kept = frozenset(name for (vid, _), name in declared.items() if vid in lasting)
    low.overlapping = overlapping_weights(kept, declared, tensors)
    return tensors, ops


def overlapping_weights(kept, declared, tensors) -> list[dict]:
    """``metadata['overlapping_weight_reads']``: per weight version in ``kept`` (a matmul reads
    it, and its distinct reads overlap: shifted windows each a matmul's weight, a Linear's W
    beside ``W[:8].sum(0)``, a tied embedding's gathered rows beside the LM head), its tensors
    (one per distinct read: each matmul's stationary operand stays one tensor), the ``bytes``
    they count and the ``union_bytes`` of the elements they hold; the weights and the footprint
    count the union (:func:`cimsim.workload.footprint.overlap_excess`)."""
    out = []
    for v in kept:
        names = [declared[(v.id, j)] for j in range(len(v.tensors)) if (v.id, j) in declared]
        if len(names) < 2:
            continue
        union = v.size if any(r is None for r in v.reads) else distinct_size(v.reads)
        counted = sum(tensors[n].nbytes for n in names)
        held = tensor_bytes(union, tensors[names[0]].dtype)
        if counted > held:
            out.append({"name": v.name, "tensors": names, "bytes": int(counted), "union_bytes": int(held)})
    return out


def overlap_readers(entries: list[dict], ops) -> None:
    """Add to each :func:`overlapping_weights` entry its ``readers``: one per op that reads any
    of its tensors, in program order (``matmul``, ``gather`` for an embedding's row gather, else
    the op's kind), so that the note says which reads overlap (a tied embedding: a gather and
    one matmul, nothing held twice; a second matmul on the table: two hold it). (Before
    2026-12-07 one per tensor, its first reader: a tensor two matmuls read counted one.)"""
    where = {e_t: i for i, e in enumerate(entries) for e_t in e["tensors"]}
    seen: list[list[str]] = [[] for _ in entries]
    for op in ops:
        for i in dict.fromkeys(where[t] for t in op.inputs if t in where):  # once an op
            seen[i].append("gather" if op.kind == "copy" and op.tags.get("part") == "gather" else op.kind)
    for e, r in zip(entries, seen):
        e["readers"] = r or ["none"]


def _operand(ops, tensors, p, names, numel, which, weight, whole=False):
    # read through a view of another element size: the operand in the dtype the matmul reads
    dtype = p.read_as["AB".index(which)] if p.read_as else tensors[names[0]].dtype
    if len(names) == 1 and tensors[names[0]].numel == numel and tensors[names[0]].dtype == dtype:
        return names[0]
    out = f"{p.name}.{which}"
    tensors[out] = Tensor(out, (int(numel),), dtype, "activation")
    tags = {"module": p.tags.get("module", ""), "part": "operand"}
    if whole and sum(tensors[n].numel for n in names) == numel and \
            all(tensors[n].dtype == dtype for n in names):
        # the whole of one tensor that other reads cut into atoms (``h`` read whole by one
        # head, ``h[:26]`` by the next stage): its atoms in storage order are the tensor as
        # torch holds it, so the matmul reads them in place, no copy kernel (find-F 1). The
        # operand is a view: one launch with its matmul, its bytes read once (here), passed
        # on chip, no vector work
        tags.update(part="view", on_chip=1, launch=p.tags.get("launch", p.name))
        p.tags.setdefault("launch", p.name)
        ops.append(Op(f"{p.name}.{which}.view", "copy", tuple(names), (out,), ops_per_element=0.0,
                      tags=tags))
        return out
    # materialise the operand (a broadcast, or a window over several parts) as torch does
    ops.append(Op(f"{p.name}.{which}.gather", "copy", tuple(names), (out,), tags=tags))
    return out
