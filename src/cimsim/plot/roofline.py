"""The sweep's roofline (:func:`rooflines`, one panel per workload), hierarchical: each
component draws one roof per level its ops read (:func:`roof_levels`: memory levels, links and
its own internal bandwidths, a PIM's banks), and each op is placed by arithmetic intensity
(2 x MACs / its bytes at the level that bounds it, :func:`place_ops`). An op that moves no
bytes at any level has no finite intensity: it is drawn apart, at the right edge, and its
legend entry says so (as :func:`cimsim.plot.run_figures.arch_roofline` does)."""

from __future__ import annotations

import itertools
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.text import Annotation
from matplotlib.transforms import Bbox

from ..report.columns import OP_FIXED_LATENCY, bytes_column
from ..report.format import si
from ..units import plain
from ..workload.kinds import MATMUL
from .canvas import wrap
from .figures import _facet_shape, _figure, _grid, _outside_legend
from .overlap import BAND, band_label, covers
from .style import LINESTYLES, NUMBER_FONT, TEXT_COLOR, arch_style

def workload_dtype(workload) -> str:
    """The most common dtype the workload's matmuls compute in: their rows of
    ``workload.arrays.dtype``, the dtype the processor reads (:func:`~cimsim.dtypes.matmul_dtype`
    of a matmul's two operands); on a tie the first by name, fp32 when it has none."""
    arrays = workload.arrays
    names, counts = np.unique(arrays.dtype[arrays.kind == MATMUL], return_counts=True)
    return str(names[np.argmax(counts)]) if len(names) else "fp32"


def mac_precision(comp, dtype: str) -> str:
    """The precision ``comp`` does its MACs at for a workload of ``dtype`` (its roof's label)."""
    fn = getattr(comp, "mac_precision", None)
    return fn(dtype) if fn is not None else dtype


def roof_levels(arch, comp, ops: pd.DataFrame) -> list[tuple[str, float, str]]:
    """``(level, effective bandwidth B/s, op-table bytes column)`` of every level ``comp``'s
    ``ops`` read (a hierarchical roofline's diagonals): each memory level and link they move
    bytes over, in the architecture's order, then each bandwidth inside the component
    (:meth:`~cimsim.hw.base.Component.internal_bandwidths`, named ``<component>_<part>``: a
    PIM's ``pim_banks``)."""
    out = []
    roofs: dict[str, float] = {}  # a shared on-chip level at its effective rate (buffer and bus)
    for c in arch.instances:
        roofs.update(type(c).shared_roofs(c.name, c.config, arch.hardware.technology))
    for r in arch.hardware.resources:
        col = bytes_column(r)
        if col in ops.columns and (ops[col] > 0).any():
            out.append((r, float(roofs.get(r, arch.hardware.resource(r).bytes_per_s())), col))
    for part, bw in comp.internal_bandwidths().items():
        name = f"{comp.name}_{part}"
        col = bytes_column(name)
        if not (np.isfinite(bw) and bw > 0):
            raise ValueError(f"{comp.name}.internal_bandwidths()['{part}'] is {bw!r}: a bandwidth "
                             "must be finite and > 0 B/s")
        if col in ops.columns and (ops[col] > 0).any():
            out.append((name, float(bw), col))
    return out


def place_ops(ops: pd.DataFrame, levels: Sequence[tuple[str, float, str]]
              ) -> tuple[np.ndarray, np.ndarray]:
    """``(intensity, level index)`` of each op: 2 x MACs / its bytes at the level that bounds
    it, the one of ``levels`` (:func:`roof_levels`) whose bytes / bandwidth is the largest for
    that op (the first of a tie); NaN and -1 for an op that moves no bytes at any of them."""
    n = len(ops)
    if not levels or not n:
        return np.full(n, np.nan), np.full(n, -1)
    nbytes = np.column_stack([ops[col].to_numpy(float) for _, _, col in levels])
    t = nbytes / np.array([bw for _, bw, _ in levels])
    k = np.argmax(t, axis=1)
    b = nbytes[np.arange(n), k]
    moved = b > 0
    ai = np.where(moved, 2.0 * ops["macs"].to_numpy(float) / np.where(moved, b, 1.0), np.nan)
    return ai, np.where(moved, k, -1)


#: the legend's words for an op whose fixed latency is its largest part (:func:`overhead_bound`)
OVERHEAD_BOUND = "bound by overhead (fixed latency)"


def level_seconds(ops: pd.DataFrame, levels: Sequence[tuple[str, float, str]],
                  k: np.ndarray) -> np.ndarray:
    """Each op's time at the level that bounds it (``k``: :func:`place_ops`' level index): its
    bytes there / that level's bandwidth [s]; 0 for an op that moves no bytes (``k`` = -1)."""
    out = np.zeros(len(ops))
    for i, (_, bw, col) in enumerate(levels):
        on = k == i
        out[on] = ops[col].to_numpy(float)[on] / bw
    return out


def _seconds(ops: pd.DataFrame, col: str) -> np.ndarray:
    return ops[col].to_numpy(float) if col in ops.columns else np.zeros(len(ops))


def overhead_bound(ops: pd.DataFrame, levels: Sequence[tuple[str, float, str]],
                   k: np.ndarray) -> np.ndarray:
    """True for each op whose fixed latency (``fixed_latency_s``) exceeds both its time at the
    level that bounds it (``k``: :func:`place_ops`' level index; bytes / bandwidth) and its
    compute time: bound by overhead, not by the level, so it sits below that level's roof
    (hbm-pim's GEMVs: 2.73 us of bank time plus 5.5 us of fixed latency). An op that moves no
    bytes stays apart, at the right edge."""
    if OP_FIXED_LATENCY not in ops.columns or not len(ops):
        return np.zeros(len(ops), dtype=bool)
    fixed = _seconds(ops, OP_FIXED_LATENCY)
    return (k >= 0) & (fixed > level_seconds(ops, levels, k)) & (fixed > _seconds(ops, "compute_s"))


def compute_bound(ops: pd.DataFrame, levels: Sequence[tuple[str, float, str]],
                  k: np.ndarray) -> np.ndarray:
    """True for each op placed at a level (``k`` >= 0) whose compute time (``compute_s``) is
    at least its time at that level and which is not :func:`overhead_bound`: bound by compute,
    not by the level, though it is placed at that level's bytes (cpu-ddr5's hier-attn GEMMs:
    2.048 ms of compute, 0.195 ms of DRAM time). An op is bound by a level only when its time
    there is its largest part. A level whose time is inside the compute time (op column
    ``<level>_per_op_s``: a CIM chip's one global buffer and bus under ``shared_levels: per_op``) is
    compared with the rest of it."""
    t = level_seconds(ops, levels, k)
    rest = _seconds(ops, "compute_s")
    for i, (level, _, _) in enumerate(levels):
        if f"{level}_per_op_s" in ops.columns:
            rest = np.where(k == i, rest - _seconds(ops, f"{level}_per_op_s"), rest)
    return (k >= 0) & (rest >= t) & ~overhead_bound(ops, levels, k)


#: a ridge label's first offset below its corner and the step it moves down by to clear
#: another label, pt (an x-small line of text is about 8 pt tall, its white box 1.4 pt more)
RIDGE_DROP_PT, RIDGE_STEP_PT = 3.0, 10.0
#: the least room left between ridge labels side by side, pt
RIDGE_GAP_PT = 8.0


#: the start of the caption that holds the ridges with no room beside their corner, followed
#: by their values (``; `` between them: a value may hold a thousands comma) and ``op/B``
RIDGE_CAPTION = "ridges with no room by their corner:"


class _RidgeLabel(Annotation):
    """One ridge label of an axes' :func:`ridge_labels`; the first of them places them all
    when the axes is drawn, once the layout has sized it (:func:`_place_ridges`), and writes
    the ones with no room into ``caption``."""

    def __init__(self, group: list, caption: list, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.group, self.caption = group, caption

    def draw(self, renderer):  # called hidden too (a dropped label), and then draws nothing
        if self.group and self.group[0] is self:
            _place_ridges(self.group, renderer, self.caption[0])
        super().draw(renderer)


def _free_slot(lab: Annotation, placed: Sequence[Bbox], renderer):
    """Put ``lab`` right of its corner, or left of it where right would cross the axes' right
    edge, :data:`RIDGE_DROP_PT` below it, then a :data:`RIDGE_STEP_PT` lower at a time until it
    overlaps none of ``placed``; its box there, or None where it reaches the axes' bottom first."""
    box = lab.axes.bbox
    for n in itertools.count():
        dy = -(RIDGE_DROP_PT + n * RIDGE_STEP_PT)
        lab.set_horizontalalignment("left")
        lab.xyann = (4.0, dy)
        bb = lab.get_window_extent(renderer)
        if bb.x1 > box.x1:
            lab.set_horizontalalignment("right")
            lab.xyann = (-4.0, dy)
            bb = lab.get_window_extent(renderer)
        if bb.y0 < box.y0 or n > 10_000:  # (a corner far above a tiny axes: no endless walk)
            return None
        if not any(bb.overlaps(p) for p in placed):
            return bb


def _place_ridges(labels: Sequence[Annotation], renderer, caption: Annotation) -> None:
    """Each label, highest corner first, at the first free place below its corner
    (:func:`_free_slot`), :data:`RIDGE_GAP_PT` clear of each side of another (two on one line
    read as one). A label with none inside the axes is not drawn; its text goes into
    ``caption`` (the axes' lower right corner, placed before the labels so that none covers
    it), and the others are placed again around it, until every label is placed or captioned."""
    gx, gy = renderer.points_to_pixels(RIDGE_GAP_PT), renderer.points_to_pixels(1.0)
    dpi = renderer.points_to_pixels(72.0)  # pixels an inch

    def pad(bb):
        return Bbox.from_extents(bb.x0 - gx, bb.y0 - gy, bb.x1 + gx, bb.y1 + gy)

    dropped: list = []
    while True:
        placed = []
        caption.set_visible(bool(dropped))
        if dropped:
            values = "; ".join(lab.get_text().removeprefix("ridge ").removesuffix(" op/B")
                               for lab in labels if lab in dropped)  # highest corner first
            caption.set_text(wrap(f"{RIDGE_CAPTION} {values} op/B", caption.axes.bbox.width / dpi,
                                  caption.get_fontsize()))
            placed.append(pad(caption.get_window_extent(renderer)))
        more = []
        for lab in labels:
            lab.set_visible(lab not in dropped)
            bb = None if lab in dropped else _free_slot(lab, placed, renderer)
            if bb is not None:
                placed.append(pad(bb))
            elif lab not in dropped:
                more.append(lab)
        if not more:
            return
        dropped += more


def ridge_labels(ax, corners: Sequence[tuple[float, float, object]]) -> None:
    """Label each roof's ridge point, where its diagonal meets its flat peak: at intensity
    2 x peak MAC/s / bandwidth [op/B] (left of it an op on this level is bound by its
    bandwidth, right of it by compute), ``ridge N op/B`` (N plain, :func:`~cimsim.units.plain`:
    ``11.9``, ``217,000``), anchored at the corner. ``corners``: ``(peak MAC/s, B/s, colour)``
    of each roof in ``ax``.

    Each label sits just below its flat roof, beside its corner (inside the axes, clear of the
    top frame), on a white box that lets a marker under it show; one that would overlap
    another, taken from the highest corner down (the leftmost first on a tie), moves down a
    step at a time until it does not (:func:`_place_ridges`, when the figure is drawn). One
    that reaches the axes' bottom first is not drawn by its corner: its text is written in the
    axes' lower right corner after :data:`RIDGE_CAPTION`, never left over another. Two roofs
    with one corner (two architectures' equal roofs) get one label, in the first one's
    colour."""
    seen: dict[tuple[float, float], object] = {}
    for peak, bw, color in corners:
        seen.setdefault((2.0 * peak / bw, 2.0 * peak), color)
    group: list = []
    caption: list = []  # filled below, once the labels are added: it is drawn after them
    box = dict(boxstyle="square,pad=0.1", facecolor="white", edgecolor="none", alpha=0.7)
    for (x, y), color in sorted(seen.items(), key=lambda c: (-c[0][1], c[0][0])):
        # near-black (a pale level's colour was 1.7:1 on white: find-A 2); the roof is coloured
        lab = _RidgeLabel(group, caption, f"ridge {plain(x, 3)} op/B", (x, y), fontsize=NUMBER_FONT,
                          color=TEXT_COLOR, xytext=(4.0, -RIDGE_DROP_PT), textcoords="offset points",
                          va="top", bbox=box)
        group.append(lab)
        ax.add_artist(lab)
    if group:
        caption.append(ax.annotate("", (1.0, 0.0), xycoords="axes fraction", xytext=(-4.0, 4.0),
                                   textcoords="offset points", ha="right", va="bottom",
                                   fontsize=NUMBER_FONT, bbox=box, visible=False))


def roof_linestyle(i: int):
    """The ``i``-th roof line style of an architecture: :data:`~cimsim.plot.style.LINESTYLES`,
    then dash patterns of their own (never a repeat: two roofs of one architecture share its
    colour, so their styles must differ)."""
    return LINESTYLES[i] if i < len(LINESTYLES) else (0, (i, 2, 1, 2))


def _draw_roofline(ax, tables, workload, note: str | None = None,
                   styles: dict | None = None) -> None:
    """One panel. ``styles``: ``{architecture: {(component, level): line style}}``, shared by
    every panel of a figure (it has one legend), filled in the order the roofs are met."""
    styles = {} if styles is None else styles
    dtype = workload_dtype(workload)
    ax.set_xscale("log")
    ax.set_yscale("log")
    drawn = []  # (arch, [(component, peak, its ops, its levels, intensity, level index)])
    for arch, ops in tables:
        ops = ops[(ops["macs"] > 0) & (ops["duration_s"] > 0)]
        comps = []
        for comp in arch.instances:
            peak = comp.peak_macs_per_s(dtype)
            if peak is None:
                continue
            mine = ops[ops["unit"] == comp.name]
            levels = roof_levels(arch, comp, mine)
            if not levels:  # no op read anything: the backing store's roof, as before
                store = arch.hardware.backing_store
                levels = [(store, float(arch.hardware.resource(store).bytes_per_s()), bytes_column(store))]
            ai, k = place_ops(mine, levels)
            comps.append((comp, float(peak), mine, levels, ai, k, overhead_bound(mine, levels, k)))
        drawn.append((arch, comps))
    ai_all = np.concatenate([ai[np.isfinite(ai)] for _, comps in drawn for *_, ai, _, _ in comps]
                            or [np.array([1.0])])
    lo = max(min(ai_all.min() if len(ai_all) else 1.0, 1.0) / 10, 1e-3)
    hi = max(ai_all.max() if len(ai_all) else 1.0, 1e3) * 10
    for _, comps in drawn:  # wide enough that every roof reaches its flat peak
        for _, peak, _, levels, *_ in comps:
            hi = max([hi] + [10 * 2.0 * peak / bw for _, bw, _ in levels])
    xs = np.geomspace(lo, hi, 200)
    roofs = []  # (architecture, label, xs, roof) drawn so far: one another's would hide is a band
    corners = []  # (peak, bandwidth, colour) of each roof: its ridge, labelled once all are drawn
    for arch, comps in drawn:
        st = arch_style(arch.name)
        mine_styles = styles.setdefault(arch.name, {})  # one per (component, level), every panel
        for j, (comp, peak, mine, levels, ai, k, over) in enumerate(comps):
            prec = mac_precision(comp, dtype)
            for level, bw, _ in levels:
                style = mine_styles.setdefault((comp.name, level), roof_linestyle(len(mine_styles)))
                roof = np.minimum(2.0 * peak, bw * xs)
                label = f"{arch.name}: {comp.name} roof ({prec}) over {level} {si(bw, 'B/s')}"
                under = covers([r for r in roofs if r[0] != arch.name], xs, roof)
                ax.plot(xs, roof, color=st.color, linestyle=style, label=band_label(label, under),
                        **({} if under is None else BAND))
                roofs.append((arch.name, label, xs, roof))
                corners.append((peak, bw, st.color))
            # the first component with a MAC peak: filled markers; the others hollow
            # hollow at 14 pt^2 read as filled (its edge filled it): larger, so the hole shows
            hollow = dict(s=36, facecolors="none", linewidths=1.2)
            face, edge = (dict(s=14, facecolors=st.color), dict(s=30, facecolors=st.color)) if j == 0 \
                else (hollow, hollow)
            if not len(mine):
                continue
            perf = 2.0 * mine["macs"].to_numpy(float) / mine["duration_s"].to_numpy(float)
            placed = (k >= 0) & ~over
            many = len(mine) > 2000  # an SVG of 415k op markers was 70 MB: rasterized, both kinds
            if placed.any():
                ax.scatter(ai[placed], perf[placed], edgecolors=st.color, alpha=0.6,
                           marker=st.marker, label=f"{arch.name}: {comp.name} ops ({prec})",
                           rasterized=many, **face)
            if over.any():  # at their bytes on their level, below its roof by their fixed latency
                ax.scatter(ai[over], perf[over], edgecolors=st.color, facecolors="0.85", s=36,
                           linewidths=1.2, marker=st.marker, rasterized=many,
                           label=f"{arch.name}: {comp.name} ops {OVERHEAD_BOUND} "
                                 f"({int(over.sum())}, {prec})")
            if (k < 0).any():  # no bytes at any level: no intensity to place them at
                n = int((k < 0).sum())
                ax.scatter(np.full(n, hi), perf[k < 0], edgecolors=st.color, marker=">", clip_on=False,
                           rasterized=many,
                           label=f"{arch.name}: {comp.name} ops moving no bytes over "
                                 f"{', '.join(lv for lv, _, _ in levels)} ({n}): "
                                 "at the right edge, intensity unbounded", **edge)
    ridge_labels(ax, corners)
    ax.set_xlabel("arithmetic intensity [op/B] (2 x MACs / bytes at the level that bounds the op)")
    ax.set_ylabel("performance [op/s] (each roof at its own precision)")
    ax.set_title(f"roofline: {workload.name}" + (f"\n({note})" if note else ""), fontsize="medium")
    ax.grid(True, which="both", alpha=0.3)


def roofline(tables: Iterable[tuple[object, pd.DataFrame]], workload) -> Figure:
    """Each op of ``workload`` placed by arithmetic intensity against its architecture's roofs.

    ``tables`` holds ``(architecture, per-op table of workload on it)`` pairs
    (:func:`cimsim.studies.op_tables`).

    Arithmetic intensity is ``2 * MACs / bytes at the level that bounds the op`` [op/B] (of the
    levels its component's ops read, the one whose bytes / bandwidth is the largest for it); an
    op's achieved rate is ``2 * MACs / duration`` [op/s]. Each architecture draws, per
    component that does MACs, one roof per level its ops read (its peak, at the precision that
    component computes in: the workload's dtype on a processor, its own input x weight bits on
    CIM arrays or a systolic array, capped by that level's effective bandwidth; the backing
    store's for a component that ran nothing), and its ops are marked by the component that
    ran them (filled: the first component, hollow: the others; grey-filled: an op bound by its
    fixed latency, :func:`overhead_bound`, below its level's roof). An op that moves no bytes at
    any level has no finite intensity: it is drawn apart, a ``>`` at the right edge, its legend
    entry saying how many ops and over which levels (as the run report's roofline does).
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
    styles: dict = {}  # one legend for every panel: a roof keeps its line style in each
    for ax, (workload, tables) in zip(axes, per_workload):
        _draw_roofline(ax, tables, workload, note, styles)
    for ax in axes[len(per_workload):]:
        ax.remove()
    _outside_legend(fig, axes[:len(per_workload)])
    return fig
