"""Data types a workload may use, and their sizes in bytes: the one dtype table.

A leaf module (it imports nothing), so every layer may import it: the workload IR, the
generators and the hardware components (``hw/`` names per-dtype rates with
:data:`DType`).
"""

from typing import Literal

DTYPE_BYTES: dict[str, int] = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}
DTYPES: tuple[str, ...] = tuple(DTYPE_BYTES)
#: a field naming one of :data:`DTYPES` (e.g. the keys of a processor's per-dtype tables)
DType = Literal[DTYPES]  # type: ignore[valid-type]
