"""Per-op costs of a placed workload, assembled from every component's cost model."""

from .table import CostTable, compute_costs

__all__ = ["CostTable", "compute_costs"]
