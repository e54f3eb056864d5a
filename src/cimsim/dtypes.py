"""Data types a workload may use, and their sizes in bytes."""

DTYPE_BYTES: dict[str, int] = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}
DTYPES: tuple[str, ...] = tuple(DTYPE_BYTES)
