"""Plots of sweep results and single runs: DataFrame or Result in, matplotlib Figure out (Agg,
PNG and SVG; Jupyter shows them as PNG). Colours and markers: :mod:`cimsim.plot.style`."""


def _writable_folder(folder) -> bool:
    """Whether ``mkdir -p folder`` would succeed and leave a writable folder, tested without
    making anything: the folder, or the nearest existing parent of the missing part."""
    import os

    p = folder
    try:
        while not p.exists():
            if p.is_symlink() or p == p.parent:  # a dangling link: mkdir fails on it
                return False
            p = p.parent
        return p.is_dir() and os.access(p, os.W_OK | (0 if p == folder else os.X_OK))
    except OSError:
        return False


def _quiet_config_dir() -> None:
    """matplotlib needs two writable folders, its config folder and its cache folder
    (``$MPLCONFIGDIR`` for both, else on Linux ``$XDG_CONFIG_HOME/matplotlib`` or
    ``~/.config/matplotlib`` and ``$XDG_CACHE_HOME/matplotlib`` or ``~/.cache/matplotlib``,
    elsewhere ``~/.matplotlib``: its ``_get_config_or_cache_dir``). Where either cannot be made
    or written (an unwritable HOME in a container or CI, a file at ``~/.cache``), it warns twice
    on stderr and uses a temporary folder; cimsim gives it that temporary folder first (removed
    at exit), so a command still prints one line per problem it has. The test makes nothing."""
    import os
    import sys

    if os.environ.get("MPLCONFIGDIR") or "matplotlib" in sys.modules:
        return
    import atexit
    import shutil
    import tempfile
    from pathlib import Path

    try:
        if sys.platform.startswith(("linux", "freebsd")):
            bases = [os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config",
                     os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"]
            folders = [Path(b, "matplotlib") for b in bases]
        else:
            folders = [Path.home() / ".matplotlib"]
        if all(_writable_folder(f.resolve()) for f in folders):
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
