"""Plots of sweep results and single runs: DataFrame or Result in, matplotlib Figure out (Agg,
PNG and SVG; Jupyter shows them as PNG). Colours and markers: :mod:`cimsim.plot.style`."""


def _quiet_config_dir() -> None:
    """Where matplotlib cannot make or write its config folder (``$MPLCONFIGDIR``, else
    ``$XDG_CONFIG_HOME/matplotlib`` or ``~/.config/matplotlib``: an unwritable HOME in a container
    or CI), it warns twice on stderr and uses a temporary folder; cimsim gives it that temporary
    folder first (removed at exit), so a command still prints one line per problem it has."""
    import os
    import sys

    if os.environ.get("MPLCONFIGDIR") or "matplotlib" in sys.modules:
        return
    import atexit
    import shutil
    import tempfile
    from pathlib import Path

    try:
        folder = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "matplotlib"
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK) and folder.is_dir():
            return
    except (OSError, RuntimeError):  # (RuntimeError: no home folder to be found)
        pass
    os.environ["MPLCONFIGDIR"] = tmp = tempfile.mkdtemp(prefix="cimsim-matplotlib-")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)


_quiet_config_dir()

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
