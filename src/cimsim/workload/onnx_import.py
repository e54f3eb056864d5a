"""Import an ONNX model into a cimsim :class:`~cimsim.workload.ir.Workload` (the ``onnx`` extra:
``pip install 'cimsim[onnx]'``; ``cimsim trace --onnx FILE.onnx``, :func:`trace_onnx`).

The graph is read with the ``onnx`` package without its external data (only the initializers'
shapes matter; a model over 2 GB, whose weights ONNX keeps in ``.data`` files, imports from its
``.onnx`` alone, and a missing ``.data`` file is said, not needed), its shapes from
``onnx.shape_inference`` on a copy without the weights' bytes. Each node becomes the ops the
PyTorch tracer (:mod:`.trace`) emits for the torch call it exports from
(:mod:`.onnx_lower` has the tables), in the same op vocabulary:

* ``Gemm`` / ``MatMul`` / a two-operand ``Einsum``: a matmul whose initializer operand is its
  stationary ``weight`` (``W @ x``: the product transposed, as the tracer does); two
  activations: a batched matmul without a weight; a bias is its own ``add`` op tagged
  ``epilogue: bias``;
* ``Conv``: an im2col matmul; grouped: a batch of per-group products with no stationary weight;
  ``ConvTranspose``: a matmul, then a col2im sum where windows overlap (:mod:`.trace.convs`);
* pointwise ops, ``Softmax``, the norms, reductions, pools, ``Resize`` (nearest a copy; linear /
  cubic a weighted sum of taps, as ``F.interpolate``), ``Concat`` / ``Pad`` / ``Tile`` as copies;
  ``Cast`` a copy where the dtype changes, else free;
* ``Gather`` of an initializer: an embedding lookup of the rows its ids name; ``Gather`` /
  ``Slice`` / ``Split`` of a model input: its parts as input tensors (``x[0]``), as traced;
* ``Reshape``, ``Flatten``, ``Transpose``, ``(Un)Squeeze``, ``Expand``, ``Identity``,
  ``Dropout`` are views (free); ``Constant``, ``Shape`` and every node that reads only those
  (the export's shape arithmetic) carry no data.

Initializers are ``weight`` tensors under their own names (``torch.onnx.export`` keeps the
parameters' qualified names; a bias-free Linear's ``onnx::MatMul_N`` gets its module's,
``blocks.0.q.weight``). Pointwise chains then fuse as traced ones do, graph outputs kept. Any
other op type is refused in one line naming it and its node, or with ``allow_unknown`` kept as
a generic op whose MACs are not counted (listed in ``metadata['unknown_ops']``).
``LSTM`` / ``GRU`` / ``RNN`` are refused either way, before anything else: trace the PyTorch
model instead (their steps are the tracer's). The workload is marked ``capture: onnx``: its
model inputs are activations unless named as a cache or given in ``resident``.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..errors import WorkloadError, name_problem
from .io import looks_like_onnx
from .ir import Workload
from .onnx_lower import Importer
from .onnx_values import binary_inits
from .onnx_tables import RECURRENT, SMALL, SUPPORTED, small_value
from .depth import CHAIN_RULE, CHAIN_RULE_KEY
from .randomtags import GATHER_RULE

__all__ = ["ONNX_INSTALL_HINT", "SUPPORTED", "looks_like_onnx", "trace_onnx"]

ONNX_INSTALL_HINT = "pip install 'cimsim[onnx]'"


def _require_onnx():
    try:
        import onnx
    except ImportError:
        raise WorkloadError(f"reading an ONNX model needs the onnx package: {ONNX_INSTALL_HINT}") from None
    return onnx


def trace_onnx(path: str | Path, name: str | None = None, allow_unknown: bool = False,
               dtype: str | None = None, dims: dict[str, int] | None = None,
               resident=(), batch: int | None = None) -> Workload:
    """The workload of the ONNX model in ``path``.

    name : the workload's name (default: the file name without ``.onnx``).
    allow_unknown : keep op types without a mapping as generic ops (their MACs not counted,
        listed in ``metadata['unknown_ops']``) instead of raising.
    dtype : fp32|fp16|bf16|int8 for every floating-point tensor; default: each tensor's own.
    dims : values of the graph inputs' symbolic dimensions (``{"batch": 8}``), which an export
        with ``dynamic_axes`` leaves named; every one must be given.
    resident : graph inputs that are resident state, in memory across runs (a retrieval
        database), as ``cimsim trace --resident``; every other input is sent each run.
    batch : the samples the inputs hold, ``metadata['batch']``, as ``cimsim trace --batch``;
        without it a first input whose leading dimension is over 1 warns ``BatchNote``
        (:func:`cimsim.trace`'s ``batch``).
    """
    from .trace.common import check_batch, record_batch

    batch = check_batch(batch, "trace_onnx()")
    onnx = _require_onnx()
    path = Path(path)
    if name is not None and (why := name_problem(name)) is not None:
        raise WorkloadError(f"name {why}")
    if dtype is not None and dtype not in ("fp32", "fp16", "bf16", "int8"):
        raise WorkloadError(f"dtype {dtype!r} is not one of fp32, fp16, bf16, int8")
    model, external = _load(onnx, path)
    for i, node in enumerate(model.graph.node):  # before anything else is refused
        if node.op_type in RECURRENT and node.domain in ("", "ai.onnx"):
            raise WorkloadError(
                f"{path}: node '{node.name}' (#{i}): ONNX {node.op_type} is not imported (its steps "
                "are not in the graph); trace the PyTorch model instead (cimsim trace "
                "FILE.py:FACTORY), which lowers each step's gate matmuls and cell op")
    _set_dims(model, path, dims or {})
    values = _small_values(model)
    bits = binary_inits(model)  # 0/1 tables, one-hot zeros (:mod:`.onnx_values`)
    _drop_weight_bytes(model)
    try:
        model = onnx.shape_inference.infer_shapes(model, data_prop=True)
    except Exception as exc:
        raise WorkloadError(f"{path}: ONNX shape inference failed: {_first_line(exc)}") from None
    from .onnx_fold import fill_shapes

    model = fill_shapes(onnx, model)  # the shapes inference leaves unknown (an expanded CLS token)
    imp = Importer(path, model.graph, dtype, allow_unknown, values)
    imp.bits = bits
    for i, node in enumerate(model.graph.node):
        imp.node(i, node)
    n_lowered = len(imp.ops)
    if not imp.ops:
        raise WorkloadError(f"{path}: the graph computes nothing (only views, shapes and constants): "
                            "there is nothing to simulate")
    from collections import Counter

    from .trace.fuse import absorb_into_softmax, drop_lone_launches, fuse_pointwise

    # graph outputs outlive the run: no fused chain swallows one (the tracer's kept outputs)
    keep = frozenset(imp.ir(v.name) for v in model.graph.output) & set(imp.tensors)
    ops = fuse_pointwise(imp.ops, imp.tensors, {}, keep)
    ops = drop_lone_launches(absorb_into_softmax(ops, imp.tensors, keep))
    macs = sum(op.macs for op in ops if op.kind == "matmul")
    multiplies = sum(bool(u.get("multiplies")) for u in imp.unknown)
    metadata = {
        "source": "cimsim.trace_onnx",
        "gather_rule": GATHER_RULE,
        CHAIN_RULE_KEY: CHAIN_RULE,  # fused ops state chain_io (workload/depth.py)
        "capture": "onnx",  # traced: model inputs are activations unless resident (workload.resident)
        "onnx_file": path.name,
        "onnx_producer": f"{model.producer_name} {model.producer_version}".strip(),
        "onnx_opsets": {(o.domain or "ai.onnx"): int(o.version) for o in model.opset_import},
        "onnx_nodes": len(model.graph.node),
        "ops_before_fusion": n_lowered,
        "ops_by_kind": dict(sorted(Counter(op.kind for op in ops).items())),
        "unknown_ops": imp.unknown,
        "generic_macs": 0,
        # None (JSON null): no MAC counted, or an unmapped op that multiplies (its MACs unknown)
        "mapped_mac_share": (1.0 if macs and not multiplies else None),
    }
    # the graph outputs, held by the caller to the run's end (:mod:`.returned`)
    if outs := list(dict.fromkeys(n for n in (imp.ir(v.name) for v in model.graph.output) if n in imp.tensors)):
        metadata["outputs"] = outs
    if multiplies:
        metadata["unmapped_multiplying_ops"] = multiplies
    if external:
        metadata["onnx_external_data"] = external
    if imp.unread:
        metadata["unread_parameters"] = imp.unread
    try:
        w = Workload(path.stem if name is None else name, list(imp.tensors.values()), ops, metadata)
    except WorkloadError as exc:
        raise WorkloadError(f"{path}: the imported graph is invalid: {exc}") from None
    if resident:
        from .resident import mark_resident

        mark_resident(w, resident)
    record_batch(w, next((t for t in w.tensors.values() if t.role == "input"), None), batch,
                 "trace_onnx()")
    return w


def _first_line(exc) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _load(onnx, path: Path):
    """The model without its external data, and the external data files it names
    (``[{"file", "present"}]``): the import reads only the initializers' shapes."""
    if path.is_dir():
        raise WorkloadError(f"{path}: a directory, not an ONNX model")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise WorkloadError(f"{path}: no such file") from None
    if size == 0:
        raise WorkloadError(f"{path}: an empty file, not an ONNX model")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # a protobuf decode error: not an ONNX model
        raise WorkloadError(f"{path}: not an ONNX model ({_first_line(exc)})") from None
    files: dict[str, bool] = {}
    for t in model.graph.initializer:
        if t.data_location == onnx.TensorProto.EXTERNAL:
            loc = next((e.value for e in t.external_data if e.key == "location"), "")
            files.setdefault(loc, (path.parent / loc).is_file())
    return model, [{"file": f, "present": ok} for f, ok in files.items()]


def _small_values(model) -> dict:
    """The values of the initializers of at most :data:`SMALL` elements held in the file (an
    index, a split's sizes, a 0 or 1), by name."""
    from onnx import TensorProto

    out = {}
    for t in model.graph.initializer:
        if t.data_location != TensorProto.EXTERNAL:
            val = small_value(t)
            if val is not None:
                out[t.name] = val
    return out


_DATA_FIELDS = ("raw_data", "float_data", "int32_data", "int64_data", "double_data", "uint64_data",
                "string_data")


def _drop_weight_bytes(model) -> None:
    """Clear the bytes of every initializer (and constant) over :data:`SMALL` elements, keeping
    its dims and type: shape inference serialises the model, and a weight's values change no
    shape (small ones stay: a shape, an index)."""
    tensors = list(model.graph.initializer)
    tensors += [a.t for nd in model.graph.node if nd.op_type == "Constant" for a in nd.attribute
                if a.HasField("t")]
    for t in tensors:
        if math.prod(t.dims) > SMALL:
            for f in _DATA_FIELDS:
                t.ClearField(f)


def _set_dims(model, path, dims) -> None:
    """Give the graph inputs' symbolic dimensions their values from ``dims``."""
    inits = {t.name for t in model.graph.initializer}
    used = set()
    for v in model.graph.input:
        if v.name in inits:
            continue
        for d in v.type.tensor_type.shape.dim:
            if d.HasField("dim_value"):
                continue
            sym = d.dim_param or "?"
            if sym not in dims:
                raise WorkloadError(
                    f"{path}: input '{v.name}' has the symbolic dimension '{sym}' (an export with "
                    f"dynamic_axes); give its value: --dim {sym}=N (trace_onnx(..., dims={{'{sym}': N}}))")
            val = dims[sym]
            if type(val) is not int or val < 1:
                raise WorkloadError(f"{path}: dimension '{sym}' = {val!r} must be a positive integer")
            d.dim_value = val
            used.add(sym)
    extra = sorted(set(dims) - used)
    if extra:
        raise WorkloadError(f"{path}: no input has the symbolic dimension(s) {', '.join(extra)}")
