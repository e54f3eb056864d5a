"""The built-in validation suites (each registers itself with :func:`cimsim.validate.suite`)."""

from __future__ import annotations

from . import cim, cim_macros, dram, gpu, host, pim, systolic  # noqa: F401
