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
"""

from typing import Literal

#: bytes per element of every tensor dtype (compute dtypes first)
DTYPE_BYTES: dict[str, int] = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1,
                               "fp64": 8, "int64": 8, "int32": 4, "int16": 2, "uint8": 1,
                               "bool": 1, "complex32": 4, "complex64": 8, "complex128": 16,
                               "fp8": 1}  # a KV cache's format (``--kv-dtype``), storage only
#: compute dtypes: the workload dtypes of generators and traces, the keys of per-dtype rates
DTYPES: tuple[str, ...] = ("fp32", "fp16", "bf16", "int8")
#: every tensor dtype; a dtype's code in the workload columns is its index here
TENSOR_DTYPES: tuple[str, ...] = tuple(DTYPE_BYTES)
#: a field naming one of :data:`DTYPES` (e.g. the keys of a processor's per-dtype tables)
DType = Literal[DTYPES]  # type: ignore[valid-type]
