"""The one op-kind table: kind names, their integer codes, and vector work per element.

Every stage that needs an op kind reads it from here: the IR validates against
:data:`OP_KINDS`, the columns (``OpArrays.kind``) hold :data:`KIND_CODES`, the
cost of a non-matmul op is ``ops per element x elements`` from
:data:`ELEMENTWISE_OPS_PER_ELEMENT` / :data:`KIND_OPS_PER_ELEMENT`. Tensor roles
and dtypes get integer codes the same way (their index in :data:`ROLES` /
:data:`~cimsim.dtypes.TENSOR_DTYPES`). This module imports nothing of the workload
package, so ``ir`` and ``arrays`` both import it without a cycle.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..dtypes import DTYPE_BYTES, DTYPE_FRACTION, TENSOR_DTYPES

OpKind = Literal["matmul", "elementwise", "softmax", "layernorm", "reduction", "copy", "allreduce",
                 "allgather", "sendrecv"]
#: Op kinds; a kind's code is its index here. ``allreduce``: the sum of a tensor's partial
#: values over the devices of a tensor-parallel group (its input: this device's partial; its
#: output: the sum), run by a collective component over a link (:mod:`cimsim.hw.collective`);
#: ``allgather``: every device's shard gathered on all (its output: the whole tensor);
#: ``sendrecv``: a tensor sent to the next device of a pipeline (its output: the received copy).
OP_KINDS: tuple[str, ...] = ("matmul", "elementwise", "softmax", "layernorm", "reduction", "copy",
                             "allreduce", "allgather", "sendrecv")
KIND_CODES: dict[str, int] = {k: i for i, k in enumerate(OP_KINDS)}
(MATMUL, ELEMENTWISE, SOFTMAX, LAYERNORM, REDUCTION, COPY, ALLREDUCE, ALLGATHER,
 SENDRECV) = range(len(OP_KINDS))

#: Tensor roles; a role's code is its index here.
ROLES: tuple[str, ...] = ("input", "weight", "activation")
ROLE_CODES: dict[str, int] = {r: i for i, r in enumerate(ROLES)}
ROLE_INPUT, ROLE_WEIGHT, ROLE_ACTIVATION = range(len(ROLES))

#: Tensor dtypes; a dtype's code is its index in :data:`~cimsim.dtypes.TENSOR_DTYPES`.
DTYPE_CODES: dict[str, int] = {d: i for i, d in enumerate(TENSOR_DTYPES)}
#: Bytes per element by dtype code (float64: int4 is 0.5).
DTYPE_SIZES: np.ndarray = np.array([DTYPE_BYTES[d] for d in TENSOR_DTYPES], dtype=np.float64)
#: Bytes per element by dtype code as numerator and denominator (int64): a tensor's bytes are
#: ``ceil(numel * num / den)`` (:func:`cimsim.dtypes.tensor_bytes`).
DTYPE_NUM: np.ndarray = np.array([DTYPE_FRACTION[d][0] for d in TENSOR_DTYPES], dtype=np.int64)
DTYPE_DEN: np.ndarray = np.array([DTYPE_FRACTION[d][1] for d in TENSOR_DTYPES], dtype=np.int64)

#: Vector operations charged per output element, by elementwise function. A
#: modelling choice (transcendental functions as a few ops of a special-function
#: unit), not a measured number; ``Op.ops_per_element`` overrides it per op.
ELEMENTWISE_OPS_PER_ELEMENT: dict[str, float] = {
    "add": 1, "sub": 1, "mul": 1, "div": 1, "neg": 1, "max": 1, "min": 1,
    "relu": 1, "abs": 1, "round": 1, "sign": 1, "where": 1, "bitwise": 1, "scale": 1, "copy": 1, "pow": 4,
    "exp": 4, "log": 4, "sqrt": 4, "rsqrt": 4, "sigmoid": 4, "tanh": 4,
    "gelu": 8, "silu": 5, "erf": 8, "softplus": 5, "dropout": 1, "generic": 1,
    # a random draw generated in place (torch's Philox4x32-10: 10 rounds of 2 multiplies, 4 xors
    # and 2 key adds make four 32-bit draws, 80 / 4 = 20 ops each; no memory read)
    "rng": 20,
}
#: Vector operations per element of the other non-matmul kinds (same caveat).
KIND_OPS_PER_ELEMENT: dict[str, float] = {
    "softmax": 7.0,  # max, subtract, exp (4), sum, divide -> counted per element
    "layernorm": 8.0,  # mean, subtract, square, mean, rsqrt, scale, shift
    "reduction": 1.0,  # one add/compare per input element
    "copy": 0.0,  # moves bytes only
    "allreduce": 1.0,  # one add per element into the local partial (the sums travel over a link)
    "allgather": 0.0,  # moves bytes only
    "sendrecv": 0.0,  # moves bytes only
}
#: :data:`KIND_OPS_PER_ELEMENT` by kind code (NaN for matmul and elementwise,
#: whose work comes from MACs and from the function).
KIND_OPS_BY_CODE: np.ndarray = np.array(
    [KIND_OPS_PER_ELEMENT.get(k, np.nan) for k in OP_KINDS], dtype=np.float64)
#: Kinds whose vector work counts input elements rather than output elements.
COUNTS_INPUT_ELEMENTS: frozenset[str] = frozenset({"reduction"})


def dtype_bytes_of(dtype_names: np.ndarray) -> np.ndarray:
    """Bytes per element of each dtype name in ``dtype_names`` (float64: int4 is 0.5)."""
    return np.array([DTYPE_BYTES[d] for d in dtype_names], dtype=np.float64)
