"""A workload's ops as flat NumPy columns (what the cost kernels and engines read).

Computed once per workload (``Workload.arrays``) and shared by every
architecture it is placed on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kinds import (  # noqa: F401  (KIND_CODES, dtype_bytes_of re-exported for mapping/)
    ELEMENTWISE_OPS_PER_ELEMENT,
    KIND_CODES,
    KIND_OPS_PER_ELEMENT,
    dtype_bytes_of,
)


@dataclass(frozen=True)
class OpArrays:
    """Per-op columns, in op order. Bytes are in the workload's dtypes."""

    kind: np.ndarray  # int64, KIND_CODES
    dtype: np.ndarray  # str, dtype of the op's first output
    macs: np.ndarray  # float64
    vector_ops: np.ndarray  # float64
    rows: np.ndarray  # float64: batch * m of a matmul (activation rows)
    k: np.ndarray  # float64
    n: np.ndarray  # float64
    weight_bytes: np.ndarray  # float64: bytes of the op's weight inputs
    act_in_bytes: np.ndarray  # float64: bytes of the other inputs
    act_out_bytes: np.ndarray  # float64
    stationary: np.ndarray  # int64: tensor id of a matmul's stationary weight, -1 if none
    weight_ptr: np.ndarray  # CSR over ops of every weight tensor id an op reads
    weight_ids: np.ndarray
    tensor_bytes: np.ndarray  # float64, by tensor id
    tensor_names: tuple[str, ...]


def op_arrays(workload) -> OpArrays:
    names = tuple(workload.tensors)
    tid = {name: i for i, name in enumerate(names)}
    nbytes = np.array([t.nbytes for t in workload.tensors.values()], dtype=np.float64)
    numel = [t.numel for t in workload.tensors.values()]
    is_weight = [t.role == "weight" for t in workload.tensors.values()]
    dtypes = [t.dtype for t in workload.tensors.values()]
    n = len(workload.ops)
    kind = np.zeros(n, dtype=np.int64)
    dtype = np.empty(n, dtype=object)
    macs, vec, rows, kk, nn, wb, ain, aout = (np.zeros(n) for _ in range(8))
    stationary = np.full(n, -1, dtype=np.int64)
    wptr = np.zeros(n + 1, dtype=np.int64)
    wids: list[int] = []
    for i, op in enumerate(workload.ops):
        ins = [tid[t] for t in op.inputs]
        outs = [tid[t] for t in op.outputs]
        kind[i] = KIND_CODES[op.kind]
        dtype[i] = dtypes[outs[0]]
        w_in = [t for t in ins if is_weight[t]]
        wids.extend(w_in)
        wptr[i + 1] = len(wids)
        wb[i] = sum(nbytes[t] for t in w_in)
        ain[i] = sum(nbytes[t] for t in ins if not is_weight[t])
        aout[i] = sum(nbytes[t] for t in outs)
        if op.kind == "matmul":
            macs[i] = op.batch * op.m * op.k * op.n
            rows[i], kk[i], nn[i] = op.batch * op.m, op.k, op.n
            if op.weight is not None:
                stationary[i] = tid[op.weight]
            continue
        out_elems = sum(numel[t] for t in outs)
        if op.ops_per_element is not None:
            vec[i] = op.ops_per_element * out_elems
        elif op.kind == "elementwise":
            vec[i] = ELEMENTWISE_OPS_PER_ELEMENT[op.fn] * out_elems
        elif op.kind == "reduction":
            vec[i] = KIND_OPS_PER_ELEMENT["reduction"] * sum(numel[t] for t in ins)
        else:
            vec[i] = KIND_OPS_PER_ELEMENT[op.kind] * out_elems
    return OpArrays(kind, dtype.astype(str) if n else np.zeros(0, dtype=str), macs, vec, rows, kk,
                    nn, wb, ain, aout, stationary, wptr, np.asarray(wids, dtype=np.int64), nbytes,
                    names)
