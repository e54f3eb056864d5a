"""The built-in validation suites (each registers itself with :func:`cimsim.validate.suite`)."""

from __future__ import annotations

from . import accuracy, cim, cim_macros, cimchip, dram, gpu, host, llm, pim, systolic  # noqa: F401
