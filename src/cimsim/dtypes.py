"""Data types a workload may use, and their sizes in bytes: the one dtype table.

A leaf module (it imports nothing), so every layer may import it: the workload IR, the
generators and the hardware components (``hw/`` names per-dtype rates with
:data:`DType`).

Two sets: :data:`DTYPES`, the *compute* dtypes (a workload is generated in one, a component
gives MAC rates and energies per one, a CIM array or PIM unit quantizes them), and
:data:`TENSOR_DTYPES`, every dtype a tensor may have: the compute dtypes first (their codes do
not move), then the storage-only dtypes a traced model produces besides its own (indices and
counts ``int64`` / ``int32``, masks ``bool``, FFT outputs ``complex64``, a float64 constant).
Storage-only dtypes carry their real element size (torch's ``element_size()``) into every byte
count; no component claims a MAC op in one (:meth:`~cimsim.workload.oparrays.OpArrays.mac_dtype_ok`).
``int4`` (a weight-only format, ``cimsim workload llm --weight-dtype int4``, and a KV cache's,
``--kv-dtype int4``) is half a byte an element: two to a byte, a tensor's bytes rounded up to a
whole byte (:func:`tensor_bytes`); ``int2`` (a KV cache's, ``--kv-dtype int2``: KIVI's 2-bit
cache) a quarter, four to a byte. Their group scales and zero points are not counted.
"""

from typing import Literal

#: bytes per element of every tensor dtype (compute dtypes first)
DTYPE_BYTES: dict[str, float] = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1,
                               "fp64": 8, "int64": 8, "int32": 4, "int16": 2, "uint8": 1,
                               "bool": 1, "complex32": 4, "complex64": 8, "complex128": 16,
                               "fp8": 1,  # a KV cache's format (``--kv-dtype``), storage only
                               "int4": 0.5,  # weights' and KV cache's format: 2 a byte
                               "int2": 0.25}  # a KV cache's format (``--kv-dtype``, KIVI): 4 a byte
#: compute dtypes: the workload dtypes of generators and traces, the keys of per-dtype rates
DTYPES: tuple[str, ...] = ("fp32", "fp16", "bf16", "int8")
#: every tensor dtype; a dtype's code in the workload columns is its index here
TENSOR_DTYPES: tuple[str, ...] = tuple(DTYPE_BYTES)
#: a field naming one of :data:`DTYPES` (e.g. the keys of a processor's per-dtype tables)
DType = Literal[DTYPES]  # type: ignore[valid-type]
#: bytes per element as a fraction (numerator, denominator) of whole numbers: a tensor of ``n``
#: elements is ``ceil(n * num / den)`` bytes (int4: two elements to a byte)
DTYPE_FRACTION: dict[str, tuple[int, int]] = {d: float(b).as_integer_ratio()
                                              for d, b in DTYPE_BYTES.items()}


def tensor_bytes(numel: int, dtype: str) -> int:
    """Bytes of ``numel`` elements of ``dtype``: a sub-byte dtype packed, rounded up to a byte."""
    num, den = DTYPE_FRACTION[dtype]
    return -(-numel * num // den)


#: the dtype an operand of the key multiplies as: a quantized Linear's uint8 activations by
#: its int8 weight are an int8 GEMM (torch's quantized kernels); a complex operand by its
#: parts' real dtype (the tracer writes a complex product as a real matmul of its parts)
_MULTIPLIES_AS = {"uint8": "int8", "complex32": "fp16", "complex64": "fp32", "complex128": "fp64"}


def matmul_dtype(a: str, b: str) -> str:
    """The dtype a matmul of operands of dtypes ``a`` (A) and ``b`` (B) computes in: the key
    of its MAC rate and MAC energy. Its operands decide, never its output, whose dtype counts
    bytes only: fp16 x fp16 writing fp32 (``torch.mm(..., out_dtype=torch.float32)``,
    ``cublasGemmEx`` with an fp32 C) is an fp16 GEMM, the tensor cores accumulate in fp32
    anyway; fp32 x fp32 writing fp16 an fp32 one; int8 x int8 writing int32
    (``torch._int_mm``) or a dequantized float an int8 one. uint8 multiplies as int8; a
    compute dtype (:data:`DTYPES`) decides before a storage-only one of any width (fp16 x
    int32 is an fp16 GEMM, as the output's dtype made it before: the int32 operand has no MAC
    rate), so only a storage-only x storage-only matmul stays storage-only (the processor
    refuses it); then the wider operand (int8 weights by fp16 activations: fp16), then ``a``."""
    a, b = _MULTIPLIES_AS.get(a, a), _MULTIPLIES_AS.get(b, b)
    return b if (b in DTYPES, DTYPE_BYTES[b]) > (a in DTYPES, DTYPE_BYTES[a]) else a
