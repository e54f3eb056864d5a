"""Placement of a workload's ops onto an architecture's components."""

from .placement import Placement, place

__all__ = ["Placement", "place"]
