"""The number formats of an LLM serving run's stored tensors (:func:`cimsim.workload.llm.llm_serving`):
the KV cache's (``kv_dtype``) and the weights' (``weight_dtype``), each scaling its tensors'
bytes only, the arithmetic staying at ``dtype`` (dequantised as read)."""

from __future__ import annotations

from ..dtypes import DTYPE_BYTES, DTYPES
from ..errors import WorkloadError
from .argnames import arg, arg_is

GEN = "llm"
#: the KV cache's number formats (``kv_dtype``): the compute dtypes and the storage-only fp8
#: (FP8 E4M3 / E5M2, vLLM's ``--kv-cache-dtype fp8``), int4 (0.5 B an element: lmdeploy's
#: ``quant_policy=4``, QServe's KV4) and int2 (0.25 B: KIVI's 2-bit cache)
KV_DTYPES: tuple[str, ...] = (*DTYPES, "fp8", "int4", "int2")


def kv_dtype_of(dtype: str, kv_dtype: str | None) -> str:
    """The KV cache's number format: ``kv_dtype`` (checked), ``dtype`` when None. Only the cache
    takes it: its bytes (the footprint's KV cache, the rows a step appends, tag ``store_bytes``,
    and the K and V each decode step's attention reads); the qkv projection's fresh K and V (a
    prefill's attention reads them as they are) and every op's arithmetic stay at ``dtype``
    (the cache dequantised as it is read, as vLLM's fp8 KV cache and KIVI run). int4 and int2
    pack two and four elements to a byte (:func:`cimsim.dtypes.tensor_bytes`). Its scale
    factors and zero points (one per tensor, or per group of elements: KIVI's fp16 scale and
    zero point per 32 elements add 1/8 B an element, 50 % of the int2 bytes) and KIVI's
    full-precision residual of the newest tokens are not counted."""
    if kv_dtype is None:
        return dtype
    if kv_dtype not in KV_DTYPES:
        raise WorkloadError(f"{GEN}: {arg('kv_dtype')} {kv_dtype!r} is not one of {', '.join(KV_DTYPES)}")
    return kv_dtype


#: the weights' number formats (``weight_dtype``): the compute dtypes, int4 (weight-only
#: quantization, W4A16 / W4A8: llama.cpp's Q4, AWQ, GPTQ, MLC's q4f16) and int2 (0.25 B a weight:
#: 2-bit and ternary weights packed four to a byte, BitNet b1.58 / bitnet.cpp's I2_S, QuIP#'s
#: 2-bit), storage-only formats
WEIGHT_DTYPES: tuple[str, ...] = (*DTYPES, "int4", "int2")


def weight_dtype_of(dtype: str, weight_dtype: str | None) -> str:
    """The weight matrices' number format: ``weight_dtype`` (checked), ``dtype`` when None. Only
    the weights take it: their bytes (the footprint's weights, what each matmul reads of them);
    every op's arithmetic stays at ``dtype`` (the weights dequantised as they are read, as
    llama.cpp, AWQ and MLC's W4A16 kernels run: :func:`cimsim.dtypes.matmul_dtype` of a
    ``dtype`` activation and a narrower weight is ``dtype``). int4 is 0.5 B an element, int2
    0.25 B (a ternary weight stored in 2 bits); their group scales are not counted (one fp16
    scale per 128 weights would add 1/64 B a weight, 3.1 % of the int4 bytes). A format wider
    than ``dtype`` is refused: the matmul would run in it."""
    return _stored_dtype(dtype, weight_dtype, "weight_dtype")


def head_dtype_of(dtype: str, weight_dtype: str, head_dtype: str | None) -> str:
    """The LM head's matrix's and the embedding table's number format: ``head_dtype`` (one of
    :data:`WEIGHT_DTYPES`), ``weight_dtype`` when None. BitNet b1.58 keeps them bf16 beside its
    ternary body, as 2-bit QuIP# and AQLM keep fp16 heads: at 2 bits the head is the model's
    largest tensor and each decode step reads all of it. Unlike ``weight_dtype`` it may be wider
    than ``dtype``: the LM head's matmul then computes at ``head_dtype`` (a bf16 head of an int8
    run is a bf16 GEMM, :func:`cimsim.dtypes.matmul_dtype`, as BitNet runs its head)."""
    if head_dtype is None:
        return weight_dtype
    if head_dtype not in WEIGHT_DTYPES:
        raise WorkloadError(f"{GEN}: {arg('head_dtype')} {head_dtype!r} is not one of {', '.join(WEIGHT_DTYPES)}")
    return head_dtype


def _stored_dtype(dtype: str, given: str | None, name: str) -> str:
    """``given`` (a stored weight format of parameter ``name``) checked, ``dtype`` when None."""
    if given is None:
        return dtype
    if given not in WEIGHT_DTYPES:
        raise WorkloadError(f"{GEN}: {arg(name)} {given!r} is not one of {', '.join(WEIGHT_DTYPES)}")
    if DTYPE_BYTES[given] > DTYPE_BYTES[dtype]:
        raise WorkloadError(f"{GEN}: {arg(name)} {given!r} is wider than "
                            f"{arg_is('dtype', dtype)}; weights are stored at {arg('dtype')} or narrower "
                            f"({', '.join(d for d in WEIGHT_DTYPES if DTYPE_BYTES[d] <= DTYPE_BYTES[dtype])}), "
                            f"the arithmetic runs at {arg('dtype')}")
    return given
