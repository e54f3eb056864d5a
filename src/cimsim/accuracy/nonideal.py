"""The ``nonideal:`` block (``cim.nonideal``), re-exported: its config model lives with the CIM's
other parts (:mod:`cimsim.hw.parts.nonideal`, where its math and sources are written)."""

from ..hw.parts.nonideal import PCM_NU_MU, PCM_NU_SIGMA, PCM_T0_S, Drift, NonIdeal, StuckAt

__all__ = ["PCM_NU_MU", "PCM_NU_SIGMA", "PCM_T0_S", "Drift", "NonIdeal", "StuckAt"]
