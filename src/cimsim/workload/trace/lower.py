"""Lowering: recorded aten ops -> IR ops with exact MAC, vector-op and byte counts.

Each event becomes zero or more *proto ops* (kind, operands as pieces of versions, output
versions). Once every event is seen, each version is cut into atoms (:mod:`.storage`) and the
proto ops become :class:`~cimsim.workload.ir.Op` over those tensors. A matmul operand that is
not exactly one tensor (a broadcast K of grouped-query attention, a window of several atoms)
gets an explicit ``copy`` op that materialises it, as torch does.

MACs: ``mm``/``addmm``: m*k*n; ``bmm``/``baddbmm``/``addbmm``: b*m*k*n (``addbmm``'s sum over
the batch: one m x b*k by b*k x n product); ``mv``/``addmv``: m*k; ``dot``: k; ``convolution``:
output elements x C_in/groups x kernel elements (an im2col matmul; a transposed convolution:
input elements x C_out/groups x kernel elements). These equal ``FlopCounterMode`` / 2 op by op.

An op with no lowering (an error, or ``--allow-unknown``'s generic op) is lowered in
:mod:`.unknown`; a matmul whose weight is computed from one parameter is folded onto it
(``fold_computed``) in :mod:`.fold`.

Dispatch is a table (:data:`.registry.LOWERINGS`, aten overload packet -> its
lowering) filled by the ``@lowers(...)`` registrations on :class:`Lowerer`'s
methods; the classes of many ops (pointwise, reductions, copies, ...) are
registered from the name tables of :mod:`.aten`, so a new op is one entry there
or one ``@lowers`` here. An op with no registration is unknown (an error, or a
generic op).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ...dtypes import DTYPE_BYTES
from ...errors import WorkloadError
from ..kinds import ELEMENTWISE_OPS_PER_ELEMENT
from . import aten as A, binary, complexes, fold, quant, scans
from .assemble import byproducts, finish
from .claims import MATMULS, dims, scale_ops, weight_side, weight_transposed
from .registry import LOWERINGS, Call, aten, bound_args, lowers
from .computed import note as note_computed, source_flags
from .control import SIZED_BY_VALUES, VALUE_READS, read_value, sized_by_values
from .custom import CUSTOM_OPS, composite_tags, lower_custom
from .resample import pool_vec, resample_vec
from .stats import add as add_stats
from .unread import untraced
from .unknown import lower_unknown
from .storage import Storages, repeats, same_data, storage_key

@dataclass
class Proto:
    kind: str
    name: str
    operands: list  # per operand: list of (version id, offsets|None)
    outputs: list  # version ids
    m: int = 0
    k: int = 0
    n: int = 0
    batch: int = 1
    weight: bool = False
    fn: str | None = None
    vec: float | None = None  # total vector ops (None: the IR default for the kind)
    macs: int = 0  # generic op only
    tags: dict = field(default_factory=dict)
    shapes: list = field(default_factory=list)  # per operand: the shape torch read it as
    where: str = ""  # the user's source line of the aten op it lowers
    read_as: tuple = ()  # a matmul's (A, B) IR dtypes where one is a view of another element size
    sync: int = 0  # the value reads and value-sized ops before it (:mod:`.control`): its sync epoch


def _tensors(torch, obj):
    from torch.utils._pytree import tree_leaves

    return [t for t in tree_leaves(obj) if isinstance(t, torch.Tensor)]


class Lowerer:
    stats_bits = None  # ``--stats``: (input, weight) bits, or None (off); :func:`.stats.add`
    #: storage keys of the example inputs and of the parameters (:mod:`.computed`)
    param_keys: frozenset = frozenset()
    given_shapes: dict = {}  # storage of an example input -> the shape it was given
    updated_reads = 0  # matmuls reading a parameter the step had updated (a later step)
    fold_computed = False  # ``--fold-computed-weights``: re-point computed weights (:mod:`.fold`)
    syncs = 0  # value reads and value-sized ops so far: fusion does not cross one (:mod:`.control`)

    def __init__(self, torch, names: dict[int, tuple[str, str]], dtype: str, allow_unknown: bool,
                 modules: dict, keep_floats: bool = False):
        self.torch = torch
        self.st = Storages()
        self.names = names  # storage key -> (role, name) of inputs, parameters and buffers
        self.dtype = dtype
        #: no dtype given: fp32 / fp16 / bf16 tensors keep their own (a mixed-precision model)
        self.keep_floats = keep_floats
        #: weight name -> dtype of a whole-weight cast read as that weight (``autocast``)
        self.cast_weights: dict[str, str] = {}
        self._cast_of: dict[tuple[str, str], object] = {}  # (weight, dtype) -> its cast version
        #: matmuls whose matrix is computed from parameters or a constant (:mod:`.computed`)
        self.computed_weights: list[dict] = []
        self.src_flags: dict[int, int] = {}  # source version id -> :mod:`.computed` bits
        self.allow_unknown = allow_unknown
        self.modules = modules
        self.protos: list[Proto] = []
        self.unknown: list[dict] = []
        self._counts: dict[str, int] = {}
        self._n_const = 0
        self.ev = None
        #: source version ids read by some op; storage key -> its source version (:mod:`.unread`)
        self.read_vids: set[int] = set()
        self.source_vid: dict[int, int] = {}
        self.untraced: list[dict] = []  # float tensors no traced op made (:func:`.unread.untraced`)
        #: torch dtypes with no IR dtype (e.g. uint16), counted at the workload dtype
        self.untyped: set[str] = set()

    # ------------------------------------------------------------------ helpers
    def dt(self, t) -> str:
        """The IR dtype of tensor ``t``. Floating point: its own fp32 / fp16 / bf16 when no
        workload dtype was given (``keep_floats``: :data:`.aten.TORCH_FLOAT_DTYPES`; float8:
        :data:`.aten.FLOAT8_STORAGE`), else the workload dtype; any other: its own
        (:data:`.aten.TORCH_STORAGE_DTYPES`: int64 indices, bool masks, complex FFT outputs)."""
        name = str(t.dtype).removeprefix("torch.")
        if t.is_floating_point():
            if name.startswith("float8") and self.keep_floats:
                return A.FLOAT8_STORAGE  # stored at 1 B, computed in what it is cast to
            own = A.TORCH_FLOAT_DTYPES.get(name) if self.keep_floats else None
            if own is None and self.keep_floats:
                self.untyped.add(name)  # float64: counted at the workload dtype
            return own or self.dtype
        if name == "complex128":  # narrowed as float64 is: its real form fp64 -> fp32 (find-R, E 6)
            self.untyped.add(name)
            return "complex64"
        ir = A.TORCH_STORAGE_DTYPES.get(name)
        if ir is None:
            self.untyped.add(name)
            return self.dtype
        return ir

    def _name(self, base: str) -> str:
        mod = self.ev.module if self.ev is not None else ""
        prefix = f"{mod}.{base}" if mod else base
        n = self._counts.get(prefix, 0)
        self._counts[prefix] = n + 1
        return prefix if n == 0 else f"{prefix}#{n}"

    def _source(self, t):
        """Version of a storage seen for the first time as a read: an input, weight or constant."""
        role, name = self.names.get(storage_key(t), (None, None))
        if role is None:
            if isinstance(t, self.torch.nn.Parameter):
                role, name = "weight", self._param_name(t)
            else:
                role, name = "input", f"const{self._n_const}"
                self._n_const += 1
        v = self.st.add_source(t, role, name, self.dt(t), self.given_shapes.get(storage_key(t)))
        source_flags(self, t, v)
        self.source_vid[storage_key(t)] = v.id
        if role == "input" and name.startswith("const"):
            untraced(self, t, name)
        return v

    def _param_name(self, t) -> str:
        key = storage_key(t)
        for path, mod in self.modules.items():
            for pname, p in mod.named_parameters(recurse=False):
                if p.numel() and storage_key(p) == key:
                    return f"{path}.{pname}" if path else pname
        return f"param{self._n_const}"

    def read(self, t):
        if t.numel() == 0:
            return []
        if not self.st.known(t):
            self._source(t)
        pieces = self.st.pieces(t)
        self.read_vids.update(vid for vid, _ in pieces)
        base = t._base if t._base is not None else t
        if isinstance(base, self.torch.nn.Parameter) and len(pieces) == 1:
            v = self.st.versions[pieces[0][0]]
            if v.role == "input" and v.producer < 0:
                # a parameter initialised during the run (a module created inside forward)
                v.role, v.name = "weight", self._param_name(base)
        return pieces

    def _write(self, t, pid: int, role="activation", name=None):
        """``t`` is written by proto ``pid``: a new version."""
        self._prepare_write(t)
        rest = self.st.rest_of_units(t)  # a narrower view writing part of a unit reads the rest
        if rest:
            self.protos[pid].operands.append(rest)
            self.protos[pid].shapes.append(None)
        v = self.st.new_version(role, name or self.protos[pid].name, t.numel(), tuple(t.shape),
                                producer=pid, dtype=self.dt(t))
        self.st.write(t, v)
        if v.domain is not None:
            v.shape = (len(v.domain),) if t.numel() != len(v.domain) else (tuple(t.shape) or (1,))
        return v.id

    def _prepare_write(self, t):
        if self.st.is_prov(t) and not self.st.covers(t, self.st.storages[storage_key(t)]):
            self._materialise(t)

    def _materialise(self, t):
        """A reshape-copy storage about to be written in part becomes a real copy."""
        st = self.st.storages[storage_key(t)]
        pid = self._proto(Proto("copy", self._name("materialise"), [self.st.whole(t)], []))
        v = self.st.new_version("activation", self.protos[pid].name, st.numel, (st.numel,), producer=pid,
                                dtype=st.dtype or self.dt(t))
        self.protos[pid].outputs.append(v.id)
        self.st.drop_prov(t, v)

    def _virtual(self, pid: int, shape, suffix="", dtype=None) -> int:
        """A value op ``pid`` makes that no torch tensor holds, in ``dtype`` (default: the workload's)."""
        numel = math.prod(shape)
        v = self.st.new_version("activation", self.protos[pid].name + suffix, numel, tuple(shape), producer=pid,
                                dtype=dtype)
        self.protos[pid].outputs.append(v.id)
        return v.id

    def _proto(self, p: Proto) -> int:
        if len(p.shapes) != len(p.operands):
            p.shapes = [None] * len(p.operands)
        p.tags.setdefault("module", self.ev.module if self.ev is not None else "")
        if self.ev is not None and self.ev.calls:  # --launch-module: the module calls running it
            p.tags.setdefault("module_calls", self.ev.calls)
        p.where = self.ev.where if self.ev is not None else ""
        composite_tags(self.ev, p.tags)  # an op of a registered composite (:mod:`.custom`)
        p.sync = self.syncs
        self.protos.append(p)
        return len(self.protos) - 1

    def emit(self, kind, base, reads, writes, **kw) -> int:
        """One proto op reading tensors (or ready piece lists) ``reads``, writing tensors ``writes``."""
        if kw.get("vec") is None:  # a view of another element size: torch's elements
            kw["vec"] = self.st.vec(kind, kw.get("fn"), reads, writes)
        operands, shapes = [], []
        for r in reads:
            o = r if isinstance(r, list) else self.read(r)
            if o:
                operands.append(o)
                shapes.append(None if isinstance(r, list) else (tuple(r.shape) or (1,)))
        for t in writes:  # a reshape copy written in part is a real copy before the writer
            if t.numel():
                self._prepare_write(t)
        pid = self._proto(Proto(kind, self._name(base), operands, [], shapes=shapes, **kw))
        for i, t in enumerate(writes):
            if t.numel():
                name = self.protos[pid].name + (f".out{i}" if i else "")
                self.protos[pid].outputs.append(self._write(t, pid, name=name))
        return pid

    # ------------------------------------------------------------------ events
    def event(self, ev) -> None:
        """Lower one recorded aten op through its registered lowering (:data:`LOWERINGS`)."""
        self.ev = ev
        torch = self.torch
        rule = LOWERINGS.get(ev.func._overloadpacket)
        if ev.func is aten.copy_.default and same_data(*ev.args[:2]):
            return  # x.copy_(x) moves nothing (a functionalized write-back of an op run in place)
        if rule is not None and not rule.moves_data:
            if (name := ev.func._overloadpacket.__name__) in VALUE_READS:  # an if / while on a value
                read_value(self, ev, name)
            return
        args, kwargs = ev.args, ev.kwargs
        mutated = []
        for i, a in enumerate(ev.func._schema.arguments):
            if a.alias_info is not None and a.alias_info.is_write:
                val = args[i] if i < len(args) else kwargs.get(a.name)
                mutated.extend(_tensors(torch, val))
        ins = _tensors(torch, (args, kwargs))
        outs = _tensors(torch, ev.out)
        for t in ins:
            if t.numel() and not self.st.known(t) and not any(t is m for m in mutated):
                self._source(t)
        # what it writes: the arguments it mutates and the fresh tensors it returns (a QAT
        # fake-quant mutates its observer's buffers and returns the quantized activation)
        wrote = {storage_key(m) for m in mutated}
        targets = mutated + [t for t in outs if t.numel() and not self.st.known(t)
                             and storage_key(t) not in wrote]
        base = A.base_name(ev.func)
        if not targets:  # a view: no data moves; a selection that kept nothing is still said
            if base in SIZED_BY_VALUES:
                sized_by_values(self, ev, base, ins, outs)  # 0 of N, and its sync
            return
        reads = [t for t in ins if t.numel() and not (base in A.WRITE_ONLY and any(t is m for m in mutated))]
        call, first = Call(base, args, ins, bool(mutated), targets, reads), len(self.protos)
        put = binary.before(self, call)  # 0/1 values written into 0/1 values (a one-hot)
        if rule is not None:
            rule.lower(self, call)
        elif (custom := CUSTOM_OPS.get(ev.func._schema.name)) is not None:  # a user's op (:mod:`.custom`)
            lower_custom(self, call, custom)
        else:
            self._unknown(call)
        if base in SIZED_BY_VALUES:  # nonzero, a boolean mask's index: sized by the example's values
            sized_by_values(self, ev, base, ins, outs)
        binary.after(self, call, put)  # values 0/1 only (a spike): :mod:`.binary`
        if base in A.BYPRODUCTS:  # outputs only a backward reads: :func:`.assemble.byproducts`
            byproducts(self, outs[1:], first)

    @lowers(*A.NO_DATA, *A.VIEW_INPLACE, moves_data=False)
    def _no_data(self, c: Call) -> None:
        """Metadata, asserts, scalar reads and in-place views: skipped before any read is seen
        (a value read into Python is counted first: :mod:`.control`)."""

    @lowers(*A.FACTORIES)
    def _factory(self, c: Call) -> None:
        for t in c.targets:
            if t.numel():  # before the rest of the units is read (:meth:`emit`)
                self._prepare_write(t)
            if self.st.rest_of_units(t):  # a fill of part of each unit: the rest is kept
                self.emit("copy", c.base, [], [t])
            elif t.numel():
                # optimizer state created in the step (:mod:`.persist`) has its name
                name = self.names.get(storage_key(t), (None, None))[1]
                if name is None:
                    name = f"const{self._n_const}"
                    self._n_const += 1
                v = self.st.new_version("input", name, t.numel(), tuple(t.shape), dtype=self.dt(t))
                self.st.write(t, v)

    @lowers(*A.REORDER)
    def _reorder_op(self, c: Call) -> None:
        """A reshape that had to copy aliases its source (free, like a view) when it writes one
        fresh tensor of the same size and IR dtype; otherwise it is a copy (``mask.float()``,
        ``x.half()``), but for a whole weight cast to another dtype (``autocast`` casting a
        Linear's weight to bf16 each forward): that is the weight, stored at the dtype it is
        computed in (a weight tensor of that dtype, listed in ``metadata['weights_cast']``)."""
        if not c.mutated and len(c.targets) == 1 and c.ins:
            src, out = c.ins[0], c.targets[0]
            if self.dt(src) == self.dt(out) and self._reorder(src, out):
                return
            if self._cast_weight(src, out):
                return
        self.emit("copy", c.base, c.reads, c.targets)

    def _cast_weight(self, src, out) -> bool:
        """A whole weight cast from one float compute dtype to another is that weight at the
        new dtype, one tensor per (weight, dtype) however often it is cast (autocast re-casts a
        frozen model's weights at every call: a reviewer found a Linear called 4 times as 4
        weights). A cast to or from anything else (``.bool()`` of a float buffer) is a copy."""
        if src.numel() != out.numel() or self.st.known(out):
            return False
        new = self.dt(out)
        if not all(str(t.dtype).removeprefix("torch.") in A.TORCH_FLOAT_DTYPES for t in (src, out)):
            return False
        pieces = self.read(src)
        if len(pieces) != 1 or pieces[0][1] is not None:
            return False
        v = self.st.versions[pieces[0][0]]
        if v.role != "weight" or v.producer >= 0 or v.size != src.numel():
            return False
        seen = self._cast_of.get((v.name, new))
        if seen is not None:  # the same weight at the same dtype: read that tensor again
            self.st.write(out, seen)
            return True
        self._cast_of[(v.name, new)] = self.st.add_source(out, "weight", v.name, new)
        self.cast_weights[v.name] = new
        return True

    @lowers(*A.COPIES)
    def _copy(self, c: Call) -> None:
        self.emit("copy", c.base, c.reads, c.targets)

    @lowers(*A.POINTWISE)
    def _pointwise(self, c: Call) -> None:
        fn = A.POINTWISE[c.base]
        vec = complexes.pointwise_vec(c, fn)
        if vec is None and (cost := A.pow_fn(c.base, c.args)) is not None:  # x ** 2: one multiply
            vec = ELEMENTWISE_OPS_PER_ELEMENT[cost] * sum(t.numel() for t in c.targets)
        self.emit("elementwise", c.base, c.reads, c.targets, fn=fn, vec=vec,
                  tags={"epilogue": "relu"} if c.base == "relu" and not c.targets[0].is_complex() else {})

    @lowers("glu")
    def _glu(self, c: Call) -> None:
        """``F.glu``: ``a * sigmoid(b)`` over the two halves of its input along ``dim``; reads
        the input, writes half of it, :data:`.aten.GLU_OPS_PER_ELEMENT` per output element."""
        out = c.targets[0]
        self.emit("elementwise", c.base, c.reads, c.targets, fn="sigmoid",
                  vec=A.GLU_OPS_PER_ELEMENT * out.numel())

    @lowers("isin")
    def _isin(self, c: Call) -> None:
        """``torch.isin(elements, test_elements)`` (``generate()``'s end-of-sequence test): each
        element compared with each test element, one ``where``-class vector op per pair, N x |S|
        (the OR over the set folded into the compare)."""
        test = c.args[1]
        s = test.numel() if isinstance(test, self.torch.Tensor) else 1
        self.emit("elementwise", c.base, c.reads, c.targets, fn="where",
                  vec=float(c.targets[0].numel() * s))

    @lowers(*A.SOFTMAX)
    def _softmax(self, c: Call) -> None:
        self.emit("softmax", c.base, c.reads, c.targets)

    @lowers(*A.NORMS)
    def _norm(self, c: Call) -> None:
        main = max(t.numel() for t in c.targets)  # the normalised output (not the running stats)
        per = A.EVAL_BATCH_NORM_OPS_PER_ELEMENT if A.batch_norm_mode(self.ev) == "eval" else A.NORM_OPS_PER_ELEMENT
        self.emit("layernorm", c.base, c.reads, c.targets, vec=per * main)

    @lowers(*A.REDUCTIONS)
    def _reduction(self, c: Call, vec: float | None = None) -> None:  # vec: :mod:`.mathops`'s
        vec, tags = scans.reduction_cost(self, c, vec)  # a scan's depth, a broadcast's elements
        self.emit("reduction", c.base, c.reads, c.targets, vec=vec, tags=tags)

    @lowers(*A.SORTS)
    def _sort(self, c: Call) -> None:
        """A comparison sort along ``dim``: ~n log2 n comparisons per row (:func:`.aten.sort_vector_ops`)."""
        x, arg = c.args[0], bound_args(self.ev, c.args, self.ev.kwargs)
        n = x.shape[arg.get("dim", -1)] if x.dim() else 1
        vec = A.sort_vector_ops(x.numel(), n, arg["k"] if c.base == "topk" else None)
        self.emit("reduction", c.base, c.reads, c.targets, vec=vec)

    def _is_param(self, t) -> bool:
        role, _ = self.names.get(storage_key(t), (None, None))
        return role == "weight" or isinstance(t, self.torch.nn.Parameter)

    def _reorder(self, src, out) -> bool:
        """``out`` aliases ``src`` (True) where the copy only reorders: not where ``src`` repeats
        elements (``x.expand(...).contiguous()`` materialises a broadcast and writes every copy,
        as ``x.repeat(...)`` does: a copy op)."""
        if src.numel() == 0 or out.numel() != src.numel() or repeats(src):
            return False
        if not self.st.known(src):
            self._source(src)
        return self.st.alias_copy(src, out, self.dt(out))

    # ------------------------------------------------------------------ matmuls
    def _is_weight(self, pieces) -> bool:
        """Whether a matmul operand is a stationary weight. The rules: a whole parameter or
        floating-point buffer (one version of role ``weight``), read as is or through a view; a
        reshape copy of one (``contiguous``, ``clone``) aliases it; a whole weight cast to
        another dtype (``autocast``) is that weight at the cast dtype (:meth:`_cast_weight`); of
        two weight operands the larger is the weight (:meth:`_matmul_op`). Not a weight: a
        matrix computed from parameters each forward (``weight_norm``, parametrize, a
        concatenation) or a constant tensor that is no parameter or buffer: listed in
        ``metadata['computed_weights']`` (:mod:`.computed`)."""
        return len(pieces) == 1 and self.st.versions[pieces[0][0]].role == "weight"

    @lowers(*MATMULS)
    def _matmul_family(self, c: Call) -> None:
        """The matmul family (:data:`.claims.MATMULS`): ``beta * bias + alpha * (a @ b)``, its
        ``(batch, m, k, n)`` from :func:`.claims.dims`. With ``beta == 0`` torch ignores the
        bias (``input``; diffusers' attention scores pass ``torch.empty``): it is not read, so
        no bytes, no dependency and no footprint. ``alpha`` and ``beta`` other than 1 are one
        multiply an output element each (:func:`.claims.scale_ops`), as ``(a @ b) * alpha``
        written out would be."""
        bias_at, a_at, b_at = MATMULS[c.base]
        a, b = c.args[a_at], c.args[b_at]
        arg = bound_args(self.ev, c.args, self.ev.kwargs) if bias_at is not None else {}
        beta, alpha = arg.get("beta", 1), arg.get("alpha", 1)
        bias = None if bias_at is None or beta == 0 else c.args[bias_at]
        # torch's fused matmul + activation: a ReLU, or with ``use_gelu`` a tanh GELU (which no
        # cim.nmc performs: it carries no ``epilogue`` tag)
        post = None if c.base != "_addmm_activation" else \
            "gelu" if arg.get("use_gelu", False) else "relu"
        self._matmul_op(c, bias, a, b, *dims(c.base, a, b), post=post,
                        scales=scale_ops(alpha, beta if bias is not None else 1))

    def _matmul_op(self, c: Call, bias, a, b, batch, m, k, n, post=None, scales=0):
        """``a`` (batch x m x k) times ``b`` (k x n), plus ``bias`` and ``post`` as their own ops.
        The stationary weight is ``b`` if it is one, else ``a`` (``W @ x``: the product is
        transposed); of two weights (``W @ v``, both parameters) the larger, the matrix."""
        pa, pb = self.read(a), self.read(b)
        if a.is_complex() or b.is_complex():
            complexes.refuse_complex_buffer(self, c, a, b)
        folds = []
        if self.fold_computed and not a.is_complex():  # a weight computed from one parameter
            pa, pb, folds = fold.operands(self, pa, pb, a, b)
        side = None if a.is_complex() else \
            weight_side(batch, self._is_weight(pa), self._is_weight(pb), a.numel(), b.numel())
        weight, swapped = side is not None, side == "a"
        if swapped:
            pa, pb, m, n = pb, pa, n, m  # out^T = B^T A^T: the weight is B
        tags = {"aten": c.base}
        if not weight and getattr(self.ev, "backward", False):  # autograd's (a weight gradient): no KV-cache read
            tags["part"] = "backward"
        if not weight and any(storage_key(t) in self.param_keys and
                              any(self.st.versions[vid].producer >= 0 for vid, _ in self.st.pieces(t))
                              for t in (a, b) if t.numel()):
            self.updated_reads += 1  # a parameter the step updated, read as an activation
        if weight:
            tags.update(weight_name=self.st.versions[pb[0][0]].name,
                        **weight_transposed(self.st, a if swapped else b, swapped))
            add_stats(self, tags, "matmul_stats", *((b, a) if swapped else (a, b)), k, swapped)
        shapes = [tuple(a.shape), tuple(b.shape)]
        if swapped:
            shapes.reverse()
        pid = self._matmul(c.base, pa, pb, batch, m, k, n, weight, self.ev.out, bias, tags, post, shapes,
                           scales)
        # a view of another element size read by a real matmul: its operands in the dtype it
        # reads. A complex product's real matmul reads its own split planes (:mod:`.complexes`),
        # whose copies read the views' bytes (view_as_complex of a real parameter: its bytes)
        if pid is not None and not self.ev.out.is_complex() and \
                not (self.st.same_unit(a) and self.st.same_unit(b)):
            self.protos[pid].read_as = (self.dt(b), self.dt(a)) if swapped else (self.dt(a), self.dt(b))
        if folds and pid is not None and weight:
            fold.record(self, pid, folds)
        if not weight and pa and pb:  # a matrix computed from parameters: said, not stationary
            note_computed(self, pid, (pb, pa))
    def _matmul(self, base, pa, pb, batch, m, k, n, weight, out, bias, tags, post=None, shapes=None,
                scales=0):
        """The matmul proto (its index) of ``pa`` times ``pb`` writing ``out``, then ``bias`` and
        ``post`` as their own ops; a complex product in real arithmetic (:mod:`.complexes`).
        ``scales``: multiplies an output element by ``alpha`` / ``beta`` (in the bias op, else
        an op ``scale`` of their own)."""
        if not pa or not pb:
            return None
        launch = {}
        if weight:  # an input of 0/1 only: tag input_value_bits (:mod:`.binary`)
            binary.tag(self, tags, pa)
            quant.tag(self, tags, pa, pb)  # fake-quantized operands' bits (:mod:`.quant`)
        if out.is_complex():
            mm, pid = complexes.matmul(self, Proto, base, pa, pb, batch, m, k, n, out, tags, shapes)
        else:
            name = self._name(base)
            # one torch call, one dispatch: its own bias add / scale (no ``post``) shares the
            # matmul's launch (a fused op drops the tag: :func:`.fuse.drop_lone_launches`)
            launch = {"launch": name} if post is None and (bias is not None or scales) else {}
            mm = pid = self._proto(Proto("matmul", name, [pa, pb], [], m=int(m), k=int(k),
                                         n=int(n), batch=int(batch), weight=weight,
                                         tags={**tags, **launch}, shapes=shapes or []))
        if bias is None and post is None and not scales:
            self.protos[pid].outputs.append(self._write(out, pid))
            return mm
        vid = self._virtual(pid, tuple(out.shape), ".mm", self.dt(out))
        reads = [[(vid, None)]] + ([bias] if bias is not None else [])
        if bias is not None or scales:
            # a complex add: each part once (:func:`.complexes.pointwise_vec`'s rule), 2 an element
            vec = None
            if out.is_complex() or scales:
                vec = (2.0 if out.is_complex() else 1.0) * ((bias is not None) + scales) * out.numel()
            base, fn = ("add_bias", "add") if bias is not None else ("scale", "mul")
            # a bias per output column alone is a matmul's epilogue (what a CIM's cim.nmc adds)
            epi = ({"epilogue": "bias"} if bias is not None and not scales and not out.is_complex()
                   and getattr(bias, "numel", lambda: 0)() == n else {})
            last = self.emit("elementwise", base, reads, [out] if post is None else [], fn=fn, vec=vec,
                             tags={**launch, **epi})
            if post is not None:
                vid = self._virtual(last, tuple(out.shape), dtype=self.dt(out))
                reads = [[(vid, None)]]
        if post is not None:
            self.emit("elementwise", post, reads, [out], fn=post,
                      tags={"epilogue": "relu"} if post == "relu" else {})
        return mm

    # ------------------------------------------------------------------ others
    @lowers(*A.POOLS)
    def _pool(self, c: Call) -> None:
        """A window pool: one vector op per element of each window inside its input."""
        self.emit("reduction", c.base, c.reads, c.targets,
                  vec=pool_vec(c.base, bound_args(self.ev, c.args, self.ev.kwargs), c.targets[0]))

    @lowers(*A.RESAMPLES)
    def _resample(self, c: Call) -> None:
        """Interpolation, grid sampling and adaptive pools: per output element by the taps it
        reads; col2im: one add per element read (:func:`.resample.resample_vec`)."""
        vec = resample_vec(c.base, c.args, c.args[0], c.targets[0])
        self.emit("reduction", c.base, c.reads, c.targets, vec=vec)

    def _unknown(self, c: Call) -> None:
        """No lowering registered: an error naming the op, or a generic op (:func:`.unknown.lower_unknown`)."""
        lower_unknown(self, c)

    # ------------------------------------------------------------------ build
    def store(self, tensors) -> None:
        """Tag each op that wrote part of ``tensors`` (the KV cache a model returns: it outlives
        the step) with the bytes it leaves there (tag ``store_bytes``: writes to the backing
        store, :attr:`~cimsim.workload.oparrays.OpArrays.store_bytes`)."""
        for t in tensors:
            if t.numel() == 0 or not self.st.known(t):
                continue
            for vid, offs in self.st.pieces(t):
                v = self.st.versions[vid]
                if v.producer < 0:  # never written during the step (an untouched input)
                    continue
                n = v.size if offs is None else len(offs)
                tags = self.protos[v.producer].tags
                tags["store_bytes"] = int(tags.get("store_bytes", 0)) + int(n) * DTYPE_BYTES[v.dtype or self.dtype]

    def finish(self):
        """(tensors, ops) of the workload (:func:`.assemble.finish`)."""
        fold.drop(self)  # the folded weights' transform ops (:mod:`.fold`)
        return finish(self)
