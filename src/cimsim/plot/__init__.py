"""Plots of sweep results: DataFrame in, matplotlib Figure out (Agg, PNG and SVG)."""

from .figures import (
    LOG_RATIO,
    efficiency_vs_param,
    energy_breakdown,
    energy_vs_param,
    latency_vs_param,
    metric_vs_param,
    roofline,
    save_figure,
    utilization_vs_bandwidth,
    utilization_vs_param,
)

__all__ = [
    "LOG_RATIO",
    "efficiency_vs_param",
    "energy_breakdown",
    "energy_vs_param",
    "latency_vs_param",
    "metric_vs_param",
    "roofline",
    "save_figure",
    "utilization_vs_bandwidth",
    "utilization_vs_param",
]
