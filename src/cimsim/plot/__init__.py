"""Plots of sweep results and single runs: DataFrame or Result in, matplotlib Figure out (Agg,
PNG and SVG; Jupyter shows them as PNG). Colours and markers: :mod:`cimsim.plot.style`."""

from .figures import (
    LOG_RATIO,
    CimFigure,
    efficiency_vs_param,
    energy_breakdown,
    energy_vs_param,
    latency_vs_param,
    metric_vs_param,
    new_figure,
    save_figure,
)
from .power import power_vs_param
from .roofline import roofline, rooflines
from .utilization import utilization_vs_bandwidth, utilization_vs_param
from .accuracy import accuracy_energy
from .select import pareto_front, where
from .serving import serving_vs_batch, serving_vs_param
from .style import arch_style, part_color

__all__ = [
    "LOG_RATIO",
    "accuracy_energy",
    "pareto_front",
    "CimFigure",
    "arch_style",
    "efficiency_vs_param",
    "energy_breakdown",
    "energy_vs_param",
    "latency_vs_param",
    "metric_vs_param",
    "new_figure",
    "part_color",
    "power_vs_param",
    "roofline",
    "rooflines",
    "save_figure",
    "serving_vs_batch",
    "serving_vs_param",
    "utilization_vs_bandwidth",
    "utilization_vs_param",
    "where",
]
