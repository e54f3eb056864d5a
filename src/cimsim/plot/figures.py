"""Figures of sweep results: DataFrame in, :class:`matplotlib.figure.Figure` out. Nothing here
simulates: what a figure needs beyond a sweep (per-op tables for the roofline) comes from
:mod:`cimsim.studies`.

Figures are built without pyplot (no global state, no display needed) on an
Agg canvas, whatever backend the session uses; save them with :func:`save_figure`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..report.columns import (
    ARCHITECTURE,
    AREA_M2,
    ENERGY,
    LATENCY,
    OPS_PER_J,
    OPS_PER_S_PER_M2,
    WORKLOAD,
    bytes_column,
    energy_column,
)
from ..report.format import si
from ..sweep.columns import ATTR_UNITS, ERROR, param_columns

#: A range wider than this ratio (max / min) gets a log axis.
LOG_RATIO = 10.0

_LABELS = {
    LATENCY: "latency [s]",
    ENERGY: "energy [J]",
}


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _ok(df: pd.DataFrame) -> pd.DataFrame:
    """Rows without an error."""
    if ERROR in df.columns:
        df = df[df[ERROR].isna()]
    return df


def _spans_decades(values) -> bool:
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    return len(v) > 1 and v.max() / v.min() > LOG_RATIO


def _param_label(df: pd.DataFrame, param: str) -> str:
    unit = df.attrs.get(ATTR_UNITS, {}).get(param, "")
    return f"{param} [{unit}]" if unit else param


def _pick_param(df: pd.DataFrame, param: str | None) -> str:
    params = param_columns(df)
    if param is not None:
        if param not in df.columns:
            raise ValueError(f"no column {param!r}; swept parameters: {', '.join(params) or 'none'}")
        return param
    if not params:
        raise ValueError("the DataFrame has no swept-parameter column (dotted config path)")
    return params[0]


def _series_groups(df: pd.DataFrame, param: str) -> list[tuple[str, pd.DataFrame]]:
    """One line per architecture (and per workload / other swept value when there are several)."""
    keys = [ARCHITECTURE]
    if df[WORKLOAD].nunique() > 1:
        keys.append(WORKLOAD)
    keys += [p for p in param_columns(df) if p != param and df[p].nunique() > 1]
    out = []
    for key, g in df.groupby(keys, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        parts = [str(key[0])] + [
            f"{k}={v:g}" if isinstance(v, (float, np.floating)) else f"{k}={v}" if k != WORKLOAD else str(v)
            for k, v in zip(keys[1:], key[1:])
        ]
        out.append((", ".join(parts), g.sort_values(param)))
    return out


def _draw_metric(ax, df: pd.DataFrame, data: pd.DataFrame, param: str, col: str, ylabel: str,
                 factor: float = 1.0, declared_only: bool = False) -> bool:
    """``col`` x ``factor`` against ``param`` on ``ax``, one line per series (log axes over
    decades); ``declared_only``: values <= 0 or missing are not drawn, nor a series with none
    left. True when a line was drawn."""
    drawn = []
    for name, g in _series_groups(data, param):
        y = g[col].astype(float) * factor
        if declared_only:
            y = y.where(y > 0)
            if not y.notna().any():
                continue
        ax.plot(g[param].astype(float), y, marker="o", markersize=3, label=name)
        drawn.append(y)
    if _spans_decades(data[param]):
        ax.set_xscale("log")
    if drawn and _spans_decades(pd.concat(drawn)):
        ax.set_yscale("log")
    ax.set_xlabel(_param_label(df, param))
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    if drawn:
        ax.legend(fontsize="small")
    return bool(drawn)


def metric_vs_param(
    df: pd.DataFrame, metric: str = LATENCY, param: str | None = None, title: str | None = None
) -> Figure:
    """``metric`` against a swept parameter, one line per architecture; log axes over decades."""
    param = _pick_param(df, param)
    fig = _figure(6.4, 4.4)
    ax = fig.add_subplot()
    _draw_metric(ax, df, _ok(df), param, metric, _LABELS.get(metric, metric))
    ax.set_title(title or f"{metric} vs {param}")
    return fig


def latency_vs_param(df: pd.DataFrame, param: str | None = None) -> Figure:
    """Latency against the swept parameter, one line per architecture."""
    return metric_vs_param(df, LATENCY, param, "latency")


def energy_vs_param(df: pd.DataFrame, param: str | None = None) -> Figure:
    """Energy against the swept parameter, one line per architecture."""
    return metric_vs_param(df, ENERGY, param, "energy")


#: the efficiency panels: (column, axis label, factor from the column's SI unit to the label's)
EFFICIENCY_PANELS = (
    (OPS_PER_J, "energy efficiency [TOPS/W]", 1e-12),  # ops/J = OPS/W
    (OPS_PER_S_PER_M2, "area efficiency [TOPS/mm^2]", 1e-18),  # ops/s/m^2 -> 1e-12 T x 1e-6 m^2/mm^2
    (AREA_M2, "area [mm^2]", 1e6),
)


def efficiency_vs_param(df: pd.DataFrame, param: str | None = None) -> Figure:
    """TOPS/W, TOPS/mm^2 and area against the swept parameter, one line per architecture
    (operations = 2 x MACs). An architecture that declares no area has no line in the last
    two panels (its columns are NaN); a panel with no line says so."""
    param = _pick_param(df, param)
    data = _ok(df)
    fig = _figure(15.0, 4.2)
    axes = fig.subplots(1, len(EFFICIENCY_PANELS), squeeze=False)[0]
    for ax, (col, label, factor) in zip(axes, EFFICIENCY_PANELS):
        # an area of 0 m^2 is one no part declared
        if not (col in data.columns and _draw_metric(ax, df, data, param, col, label, factor,
                                                     declared_only=True)):
            ax.set_xlabel(_param_label(df, param))
            ax.set_ylabel(label)
            ax.text(0.5, 0.5, "no architecture declares its area" if col != OPS_PER_J else "no data",
                    transform=ax.transAxes, ha="center", va="center")
    return fig


def _pick_values(values: Sequence, most: int) -> list:
    vals = sorted(set(values))
    if len(vals) <= most:
        return vals
    idx = np.unique(np.round(np.linspace(0, len(vals) - 1, most)).astype(int))
    return [vals[i] for i in idx]


def energy_breakdown(df: pd.DataFrame, param: str | None = None, most: int = 4) -> Figure:
    """Stacked bars of the energy components (``energy_<component>_j``).

    One bar per architecture (x workload) at up to ``most`` values of the
    swept parameter (its first, last and evenly spaced ones between).
    """
    data = _ok(df)
    params = param_columns(df)
    param = param if param is not None else (params[0] if params else None)
    comps = [c[len("energy_"):-len("_j")] for c in data.columns
             if c.startswith("energy_") and c.endswith("_j") and c != ENERGY]
    comps = [c for c in comps if data[energy_column(c)].fillna(0).astype(float).abs().sum() > 0]
    bars: list[tuple[str, pd.Series]] = []
    multi_wl = data[WORKLOAD].nunique() > 1
    for (arch, wl), g in data.groupby([ARCHITECTURE, WORKLOAD], sort=False):
        name = f"{arch}\n{wl}" if multi_wl else str(arch)
        if param is None:
            bars.append((name, g.iloc[0]))
            continue
        unit = (df.attrs.get(ATTR_UNITS) or {}).get(param, "")
        for v in _pick_values(g[param].tolist(), most):
            row = g[g[param] == v].iloc[0]
            shown = si(float(v), unit, digits=3) if isinstance(v, (int, float)) else str(v)
            bars.append((f"{name}\n{param.rsplit('.', 1)[-1]}\n{shown}", row))
    fig = _figure(max(6.4, 1.1 * len(bars) + 2), 4.8)
    ax = fig.add_subplot()
    x = np.arange(len(bars))
    bottom = np.zeros(len(bars))
    for c in comps:
        h = np.array([float(r[energy_column(c)]) if pd.notna(r[energy_column(c)]) else 0.0 for _, r in bars])
        ax.bar(x, h, bottom=bottom, label=c)
        bottom += h
    ax.set_xticks(x, [b[0] for b in bars], fontsize="x-small")
    ax.set_ylabel("energy [J]")
    ax.set_title("energy breakdown")
    if comps:
        ax.legend(fontsize="small", ncols=2)
    return fig


def utilization_vs_param(df: pd.DataFrame, param: str | None = None) -> Figure:
    """Utilization of every busy resource against the swept parameter, one panel per architecture."""
    if param is None:
        params = param_columns(df)
        bw = [p for p in params if p.startswith("memory.") and p.endswith(".bandwidth")]
        param = bw[-1] if bw else _pick_param(df, None)
    param = _pick_param(df, param)
    data = _ok(df)
    archs = list(dict.fromkeys(data[ARCHITECTURE]))
    fig = _figure(5.0 * max(1, len(archs)), 4.2)
    axes = fig.subplots(1, max(1, len(archs)), squeeze=False)[0]
    for ax, arch in zip(axes, archs):
        g = data[data[ARCHITECTURE] == arch]
        g = g[g[WORKLOAD] == g[WORKLOAD].iloc[0]].sort_values(param)
        for col in [c for c in g.columns if c.startswith("util_")]:
            u = col[len("util_"):]
            if g[col].fillna(0).astype(float).max() > 0:
                ax.plot(g[param].astype(float), g[col].astype(float), marker="o", markersize=3, label=u)
        if _spans_decades(g[param]):
            ax.set_xscale("log")
        ax.set_ylim(0, 1.05)
        ax.set_xlabel(_param_label(df, param))
        ax.set_ylabel("utilization [fraction of peak]")
        ax.set_title(str(arch))
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize="small")
    return fig


def utilization_vs_bandwidth(df: pd.DataFrame) -> Figure:
    """Utilization against a swept ``memory.LEVEL.bandwidth`` (the sweep must vary one)."""
    return utilization_vs_param(df, None)


def workload_dtype(workload) -> str:
    """The most common dtype of the workload's matmul outputs (fp32 when it has none)."""
    dtypes = [workload.tensors[op.outputs[0]].dtype for op in workload.ops if op.kind == "matmul"]
    return max(set(dtypes), key=dtypes.count) if dtypes else "fp32"


def roofline(tables: Iterable[tuple[object, pd.DataFrame]], workload) -> Figure:
    """Each op of ``workload`` placed by arithmetic intensity against its architecture's roofs.

    ``tables`` holds ``(architecture, per-op table of workload on it)`` pairs
    (:func:`cimsim.studies.op_tables`).

    Arithmetic intensity is ``2 * MACs / off-chip bytes`` [FLOP/B] (bytes over
    the backing store, the last memory level); an op's achieved rate is
    ``2 * MACs / duration`` [FLOP/s]. Each architecture draws one roof per
    component that does MACs (its peak for the workload's dtype, capped by the
    backing store's effective bandwidth), and its ops are marked by the
    component that ran them. Ops without off-chip traffic sit at the right edge.
    """
    dtype = workload_dtype(workload)
    fig = _figure(7.2, 5.0)
    ax = fig.add_subplot()
    ax.set_xscale("log")
    ax.set_yscale("log")
    colors = [f"C{i}" for i in range(10)]
    markers = "xo^sv<>dp*"
    drawn = []
    for i, (arch, ops) in enumerate(tables):
        ops = ops[(ops["macs"] > 0) & (ops["duration_s"] > 0)]
        col = bytes_column(arch.hardware.backing_store)
        drawn.append((arch, ops, col, colors[i % 10]))
    ai_all = np.concatenate([
        (2.0 * t["macs"] / t[c].where(t[c] > 0)).dropna().to_numpy(float) for _, t, c, _ in drawn
    ] or [np.array([1.0])])
    lo = max(min(ai_all.min() if len(ai_all) else 1.0, 1.0) / 10, 1e-3)
    hi = max(ai_all.max() if len(ai_all) else 1.0, 1e3) * 10
    for arch, _, _, _ in drawn:  # wide enough that every roof reaches its flat peak
        peaks = [c.peak_macs_per_s(dtype) for c in arch.instances]
        top = max([p for p in peaks if p] or [0.0])
        hi = max(hi, 10 * 2.0 * top / arch.backing_store.effective_bandwidth)
    xs = np.geomspace(lo, hi, 200)
    for arch, ops, col, color in drawn:
        bw = arch.backing_store.effective_bandwidth
        for j, comp in enumerate(arch.instances):
            peak = comp.peak_macs_per_s(dtype)
            if peak is None:
                continue
            style = ("-", "--", ":", "-.")[j % 4]
            ax.plot(xs, np.minimum(2.0 * peak, bw * xs), color=color, linestyle=style,
                    label=f"{arch.name}: {comp.name} roof")
            mine = ops[ops["unit"] == comp.name]
            if len(mine):
                ai = (2.0 * mine["macs"] / mine[col].where(mine[col] > 0)).fillna(hi / 2)
                perf = 2.0 * mine["macs"] / mine["duration_s"]
                ax.scatter(ai, perf, s=12, color=color, alpha=0.6, marker=markers[j % len(markers)],
                           label=f"{arch.name}: {comp.name} ops")
    ax.set_xlabel("arithmetic intensity [FLOP/B] (2 x MACs / off-chip bytes)")
    ax.set_ylabel(f"performance [FLOP/s] ({dtype})")
    ax.set_title(f"roofline: {workload.name}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="x-small")
    return fig


def save_figure(fig: Figure, path: str | Path, formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Write ``fig`` as ``path.<fmt>`` for each format; return the files written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in formats:
        target = path.with_suffix(f".{fmt}")
        fig.savefig(target, format=fmt, dpi=150)
        out.append(target)
    return out
