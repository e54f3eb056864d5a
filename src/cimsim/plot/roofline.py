"""The sweep's roofline (:func:`rooflines`, one panel per workload): each op placed by
arithmetic intensity (2 x MACs / backing-store bytes) against every architecture's roofs. An
op that moves no backing-store bytes has no finite intensity: it is drawn apart, at the right
edge, and its legend entry says so (as :func:`cimsim.plot.run_figures.arch_roofline` does)."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..report.columns import bytes_column
from .figures import _facet_shape, _figure, _grid, _outside_legend
from .overlap import BAND, band_label, covers
from .style import arch_style

def workload_dtype(workload) -> str:
    """The most common dtype of the workload's matmul outputs (fp32 when it has none)."""
    dtypes = [workload.tensors[op.outputs[0]].dtype for op in workload.ops if op.kind == "matmul"]
    return max(set(dtypes), key=dtypes.count) if dtypes else "fp32"


def mac_precision(comp, dtype: str) -> str:
    """The precision ``comp`` does its MACs at for a workload of ``dtype`` (its roof's label)."""
    fn = getattr(comp, "mac_precision", None)
    return fn(dtype) if fn is not None else dtype


def _draw_roofline(ax, tables, workload, note: str | None = None) -> None:
    dtype = workload_dtype(workload)
    ax.set_xscale("log")
    ax.set_yscale("log")
    drawn = []
    for arch, ops in tables:
        ops = ops[(ops["macs"] > 0) & (ops["duration_s"] > 0)]
        drawn.append((arch, ops, bytes_column(arch.hardware.backing_store)))
    ai_all = np.concatenate([
        (2.0 * t["macs"] / t[c].where(t[c] > 0)).dropna().to_numpy(float) for _, t, c in drawn
    ] or [np.array([1.0])])
    lo = max(min(ai_all.min() if len(ai_all) else 1.0, 1.0) / 10, 1e-3)
    hi = max(ai_all.max() if len(ai_all) else 1.0, 1e3) * 10
    for arch, _, _ in drawn:  # wide enough that every roof reaches its flat peak
        peaks = [c.peak_macs_per_s(dtype) for c in arch.instances]
        top = max([p for p in peaks if p] or [0.0])
        hi = max(hi, 10 * 2.0 * top / arch.hardware.resource(arch.hardware.backing_store).bytes_per_s())
    xs = np.geomspace(lo, hi, 200)
    roofs = []  # (architecture, label, xs, roof) drawn so far: one another's would hide is a band
    for arch, ops, col in drawn:
        st = arch_style(arch.name)
        store = arch.hardware.backing_store
        bw = arch.hardware.resource(store).bytes_per_s()
        first = True  # the first component with a MAC peak: filled markers; the others hollow
        for j, comp in enumerate(arch.instances):
            peak = comp.peak_macs_per_s(dtype)
            if peak is None:
                continue
            prec = mac_precision(comp, dtype)
            style = ("-", "--", ":", "-.")[j % 4]
            roof, label = np.minimum(2.0 * peak, bw * xs), f"{arch.name}: {comp.name} roof ({prec})"
            under = covers([r for r in roofs if r[0] != arch.name], xs, roof)
            ax.plot(xs, roof, color=st.color, linestyle=style, label=band_label(label, under),
                    **({} if under is None else BAND))
            roofs.append((arch.name, label, xs, roof))
            mine = ops[ops["unit"] == comp.name]
            # hollow at 14 pt^2 read as filled (its edge filled it): larger, so the hole shows
            hollow = dict(s=36, facecolors="none", linewidths=1.2)
            face, edge = (dict(s=14, facecolors=st.color), dict(s=30, facecolors=st.color)) if first \
                else (hollow, hollow)
            first = False
            if not len(mine):
                continue
            b, macs = mine[col].to_numpy(float), mine["macs"].to_numpy(float)
            perf = 2.0 * macs / mine["duration_s"].to_numpy(float)
            placed = b > 0
            many = len(mine) > 2000  # an SVG of 415k op markers was 70 MB: rasterized, both kinds
            if placed.any():
                ax.scatter(2.0 * macs[placed] / b[placed], perf[placed], edgecolors=st.color, alpha=0.6,
                           marker=st.marker, label=f"{arch.name}: {comp.name} ops ({prec})",
                           rasterized=many, **face)
            if not placed.all():  # no bytes over the backing store: no intensity to place them at
                n = int((~placed).sum())
                ax.scatter(np.full(n, hi), perf[~placed], edgecolors=st.color, marker=">", clip_on=False,
                           rasterized=many,
                           label=f"{arch.name}: {comp.name} ops moving no bytes over {store} ({n}): "
                                 "at the right edge, intensity unbounded", **edge)
    ax.set_xlabel("arithmetic intensity [op/B] (2 x MACs / backing-store bytes)")
    ax.set_ylabel("performance [op/s] (each roof at its own precision)")
    ax.set_title(f"roofline: {workload.name}" + (f"\n({note})" if note else ""), fontsize="medium")
    ax.grid(True, which="both", alpha=0.3)


def roofline(tables: Iterable[tuple[object, pd.DataFrame]], workload) -> Figure:
    """Each op of ``workload`` placed by arithmetic intensity against its architecture's roofs.

    ``tables`` holds ``(architecture, per-op table of workload on it)`` pairs
    (:func:`cimsim.studies.op_tables`).

    Arithmetic intensity is ``2 * MACs / backing-store bytes`` [op/B] (bytes over the backing
    store, the last memory level); an op's achieved rate is ``2 * MACs / duration``
    [op/s]. Each architecture draws one roof per component that does MACs (its peak, at the
    precision that component computes in: the workload's dtype on a processor, its own
    input x weight bits on CIM arrays or a systolic array, capped by the backing store's
    effective bandwidth), and its ops are marked by the component that ran them (filled:
    the first component, hollow: the others). An op that moves no backing-store bytes has no
    finite intensity: it is drawn apart, a ``>`` at the right edge, its legend entry saying how
    many ops and over which level (as the run report's roofline does).
    """
    return rooflines([(workload, list(tables))])


def rooflines(per_workload: Sequence[tuple[object, Sequence[tuple[object, pd.DataFrame]]]],
              note: str | None = None) -> Figure:
    """:func:`roofline` of several workloads, one panel each: ``per_workload`` holds
    ``(workload, [(architecture, per-op table)])`` (:func:`cimsim.studies.sweep_op_tables`);
    ``note`` is added to each panel's title, on a line of its own (``roofline: lstm\\n(NOTE)``)."""
    rows, cols = _facet_shape(len(per_workload))
    fig = _figure(5.6 * cols + 3.6, 4.6 * rows + 0.3)
    axes = _grid(fig, rows, cols).ravel()
    for ax, (workload, tables) in zip(axes, per_workload):
        _draw_roofline(ax, tables, workload, note)
    for ax in axes[len(per_workload):]:
        ax.remove()
    _outside_legend(fig, axes[:len(per_workload)])
    return fig
