"""One palette for every figure, the report and the notebooks.

- an architecture has one colour and one marker wherever it is drawn
  (:func:`arch_style`): fixed for every bundled architecture, and for any other name
  chosen from the extra colours by a stable hash of the name (the same name gets the same
  style in every session and every figure); no two of these colours are closer than
  :data:`MIN_DELTA_E` (CIE76, :func:`delta_e`);
- a part (an energy part, a critical-path part, a memory level or link) has one
  colour wherever it is drawn (:func:`part_color`): ``compute`` is always red,
  ``overhead`` always grey, ``dram`` always blue, in the energy breakdown, the
  shares, the Gantt strips and the utilization panels alike; the parts drawn together in the
  bundled designs' figures stay :data:`MIN_CVD_DELTA_E` apart under simulated protanopia,
  deuteranopia and tritanopia (:func:`simulate_cvd`), and a part has a hatch
  (:func:`part_hatches`) and a marker (:func:`part_markers`) too, so colour is never alone;
- text is near-black (:data:`TEXT_COLOR`), never a part's or architecture's colour;
- :func:`value_styles`: line styles (or markers, :data:`VALUE_MARKERS`) for the values of a
  second swept parameter.

Nothing here reads results: names in, colours out.
"""

from __future__ import annotations

import math
import zlib
from typing import NamedTuple

import pandas as pd


class Style(NamedTuple):
    color: str
    marker: str


#: the least CIE76 colour distance (Euclidean in CIELAB, D65; 2.3 is a just-noticeable
#: difference) between two architectures' colours: every pair of fixed colours, and every extra
#: colour against every fixed one and every other extra, is at least this far apart
#: (:func:`delta_e`), so no two are shades of one colour
MIN_DELTA_E = 20.0

#: every bundled architecture (configs/ and the validation suites' configs), each its own
#: colour; the six first keep matplotlib's tab10 colours (the figures in docs/), the others are
#: from Paul Tol's and Okabe-Ito's palettes where they fit, else tab20/tab20b. The colours alone
#: are NOT colour-blind safe (tab10's blue/purple and red/green pairs): an architecture is told
#: apart by its marker (they differ within configs/, repeat among the validation ones) and its
#: name in the legend or under its bar
ARCH_STYLES: dict[str, Style] = {
    "cpu-ddr5": Style("#1f77b4", "o"),  # blue, circle
    "gpu-hbm3": Style("#2ca02c", "s"),  # green, square
    "hbm-pim": Style("#9467bd", "^"),  # purple, triangle
    "rram-cim": Style("#d62728", "D"),  # red, diamond
    "sram-cim": Style("#ff7f0e", "v"),  # orange, down triangle
    "tpu-like": Style("#8c564b", "P"),  # brown, plus
    "gpu-hbm-pim-attn": Style("#44aa99", "X"),  # teal (Tol muted)
    "sram-cim-derived": Style("#ee3377", "<"),  # magenta (Tol vibrant)
    "rram-cim-derived": Style("#999933", "d"),  # olive (Tol muted)
    # the validation suites' configs (src/cimsim/data/validation)
    "a100-sxm4-80gb": Style("#000000", "*"),  # black (Okabe-Ito)
    "t4": Style("#33bbee", "h"),  # cyan (Tol vibrant)
    "titanxp": Style("#e69f00", "p"),  # amber (Okabe-Ito)
    "aquabolt-xl-mi100": Style("#882255", "H"),  # wine (Tol muted)
    "chih-sram-macro": Style("#cc79a7", "8"),  # pink (Okabe-Ito)
    "chih-dcim": Style("#b15928", "h"),  # rust (ColorBrewer Paired)
    "colonnade-jssc2021": Style("#225522", ">"),  # dark green (Tol dark)
    "jia-jssc2020": Style("#332288", "o"),  # indigo (Tol muted)
    "sinangil-jssc2021": Style("#ff9896", "s"),  # salmon (tab20)
    "isaac-ce": Style("#225555", "^"),  # dark teal (Tol dark)
    "isaac-chip": Style("#fdbf6f", "s"),  # light orange (ColorBrewer Paired)
    "neurosim-vgg8": Style("#7f7f7f", "D"),  # grey (tab10)
    "neurram": Style("#c5b0d5", "v"),  # lavender (tab20)
    "puma": Style("#222255", "P"),  # navy (Tol dark)
}
#: colours for any other architecture: tab20/tab20b/Tol shades at least MIN_DELTA_E from every
#: fixed colour and from each other
EXTRA_COLORS = ("#8c6d31", "#74c476", "#bcbd22", "#c49c94", "#aa4499", "#17becf", "#ad494a",
                "#637939", "#ee6677")
EXTRA_MARKERS = ("X", "*", "h", "p", "<", ">", "d", "8")

#: parts with a fixed colour: critical-path parts, the bundled memory levels and links,
#: static power and the bundled components' energy parts
PART_COLORS: dict[str, str] = {
    "compute": "#d62728",  # red
    "overhead": "#7f7f7f",  # grey
    "static": "#bcbd22",  # olive
    "dram": "#1f77b4",  # blue
    "hbm": "#1f77b4",
    "sram": "#aec7e8",  # light blue
    "weights": "#33bbee",  # cyan (Tol vibrant): #17becf read as pcie under protanopia
    "interconnect": "#882255",  # wine (Tol muted): purple read as dram's blue under protanopia
    "pcie": "#dddddd",  # pale grey (Tol light): #c5b0d5 was 3.3 dE from weights (protan)
    "processor_compute": "#ee8866",  # light orange (Tol light): #ff9896 read as tpu_buffer
    "pim_compute": "#332288",  # indigo (Tol muted)
    "tpu_mac": "#225522",  # dark green (Tol dark): #f7b6d2 read as weights (protan)
    "tpu_buffer": "#f0027f",  # magenta (Accent): #c49c94 was 3.9 dE from processor_compute
    "cim_array": "#2ca02c",  # green
    "cim_adc": "#cc79a7",  # pink (Okabe-Ito): orange read as cim_array's green (protan)
    "cim_dac": "#ffbb78",  # light orange
    "cim_digital": "#cc3311",  # vermillion (Tol vibrant): light green read as cim_dac (protan)
    "cim_write": "#8c564b",  # brown
    # a CIM chip's parts (cim.chip): buffers, interconnect, periphery, layout, the shared level
    "cim_buffer": "#393b79",  # dark indigo
    "cim_interconnect": "#6b6ecf",  # periwinkle
    "cim_periphery": "#8ca252",  # moss
    "cim_layout": "#e7ba52",  # ochre
    "cim_chip": "#7b4173",  # plum
    "cim_switch": "#ffd92f",  # yellow (Set2): teal #1b9e77 read as cim_array (tritan)
    "cim_mux": "#ee6677",  # rose (Tol bright): rust #b15928 read as cim_array (deutan)
    "cim_counter": "#ffff99",  # pale yellow
    # the bundled components' utilizations (``<component>_<what>``), near their energy parts
    "processor_mac": "#cc6677",  # rose (Tol muted)
    "processor_busy": "#cc3311",  # red read as cim_arrays' green (deutan)
    "pim_mac": "#f781bf",  # pink (Set1): #8c564b's hatched swatch read as processor_mac's
    "pim_banks": "#98df8a",  # hashed, it read as cim_arrays (protan)
    "pim_busy": "#f0e442",  # yellow (Okabe-Ito)
    "cim_arrays": "#2ca02c",
    "tpu_busy": "#222255",  # navy (Tol dark): tpu_buffer's old colour read as processor_mac
}
#: text in a figure (tick labels, titles, a level's or ridge's label): near-black, 15.9:1 on
#: white (WCAG AA asks 4.5:1); a part's or architecture's colour goes on a swatch or marker
#: beside it, never on the text (``sram`` #aec7e8 was 1.73:1, sram-cim #ff7f0e 2.53:1: find-A 2)
TEXT_COLOR = "#222222"
#: the smallest font for text that carries a number (8.3 pt; x-small, 5.8 pt, was unreadable)
NUMBER_FONT = "small"

#: Machado, Oliveira & Fernandes (2009), "A physiologically-based model for simulation of color
#: vision deficiency", IEEE TVCG 15(6), severity 1.0: 3x3 matrices on linear sRGB
CVD_MATRICES = {
    "protan": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
               (-0.003882, -0.048116, 1.051998)),
    "deutan": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
               (-0.011820, 0.042940, 0.968881)),
    "tritan": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
               (0.004733, 0.691367, 0.303900)),
}
#: the least CIE76 distance between two parts' colours drawn together in the bundled designs'
#: figures, seen with each deficiency of :data:`CVD_MATRICES` (tests/plot/test_plot_cvd.py);
#: parts also differ by hatch (:func:`part_hatches`) and marker (:func:`part_markers`)
MIN_CVD_DELTA_E = 12.0
#: markers of utilization lines, by resource name order (:func:`part_markers`)
PART_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">", "p", "d", "H", "8", "1", "2",
                "3", "4", "+", "x", "|", "_")
#: the hatches of stacked parts, sparse (one line set, or one line set and one dot set) so the
#: fill stays the colour the CVD check measured (dense ``***`` / ``xxx`` in white moved a swatch's
#: mean colour 43 dE: review19-E 3); more are made past the last (:func:`_hatch`)
_LINES = ("/", "\\", "|", "-", "+", "x")
_DOTS = (".", "o", "O", "*")
HATCHES = ("", *_LINES, *_DOTS, *(a + b for b in _DOTS for a in _LINES), "/-", "\\-", "/|", "\\|")


def _hatch(i: int) -> str:
    """The i-th hatch: :data:`HATCHES`, then the same patterns at twice, three times ... the
    density (never one twice)."""
    n = len(HATCHES) - 1
    if i < len(HATCHES):
        return HATCHES[i]
    rep, j = divmod(i - 1, n)
    return "".join(ch * (rep + 1) for ch in HATCHES[j + 1])


#: a fixed hatch for every part with a fixed colour (in :data:`PART_COLORS`' order: append new
#: parts at its end), so a part has one hatch in every figure and command (review19-E 7.2) and no
#: two fixed parts share one; only ``compute`` has none
PART_HATCHES: dict[str, str] = {k: _hatch(i) for i, k in enumerate(k for k in PART_COLORS if k != "hbm")}
PART_HATCHES["hbm"] = PART_HATCHES["dram"]  # the same level


def simulate_cvd(color, kind: str) -> str:
    """``color`` as a person with ``kind`` (``protan``, ``deutan``, ``tritan``) deficiency sees
    it (:data:`CVD_MATRICES`), a hex colour."""
    import numpy as np
    from matplotlib.colors import to_hex, to_rgb

    rgb = np.array(to_rgb(color))
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    lin = np.clip(np.array(CVD_MATRICES[kind]) @ lin, 0, 1)
    return to_hex(np.clip(np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055), 0, 1))


def part_hatches(names, universe=()) -> dict[str, str]:
    """A hatch for each of ``names``: a fixed part's (:data:`PART_HATCHES`) always; the other
    parts of ``names`` and ``universe``, in sorted order, the next hatches after every fixed one
    (:func:`_hatch`), so no two parts of one figure share a hatch however many there are, and a
    part has one hatch in all of a report's figures (``universe``: :func:`result_parts`)."""
    names = list(dict.fromkeys(names))
    others = sorted({_key(n) for n in (*names, *universe)} - set(PART_HATCHES))
    out = {k: _hatch(len(PART_HATCHES) - 1 + i) for i, k in enumerate(others)}  # after every fixed one
    return {n: PART_HATCHES.get(_key(n)) or out.get(_key(n), "") for n in names}


def part_markers(names) -> dict[str, str]:
    """A marker for each of ``names``, by its place among the sorted parts of ``names`` (so
    one figure repeats none up to :data:`PART_MARKERS`' 23; ranked among a report's 32 parts,
    a figure's parts repeated markers 23 apart)."""
    keys = sorted({_key(n) for n in names})
    return {n: PART_MARKERS[keys.index(_key(n)) % len(PART_MARKERS)] for n in dict.fromkeys(names)}


#: the outline of a bar or stacked part: near-black, so a pale fill (``pim_busy`` #f0e442 is
#: 1.3:1 on white) still has an edge at WCAG 1.4.11's 3:1 (review19-E 6)
BAR_EDGE, BAR_EDGE_WIDTH, HATCH_WIDTH = TEXT_COLOR, 0.5, 0.5


def hatch_color(color) -> str:
    """The hatch drawn on ``color``: the fill 25 % darker, thin (:data:`HATCH_WIDTH`), so the part
    still reads as its checked colour (white or black hatches moved swatches up to 43 dE, and a
    light hatch on dark fills, a dark one on light fills, pulled two parts' swatches together)."""
    import numpy as np
    from matplotlib.colors import to_hex, to_rgb

    return to_hex(0.75 * np.array(to_rgb(color)))


def bar_style(color, hatch: str) -> dict:
    """The keyword arguments of a part's bar (``ax.bar``, ``barh``): its fill, its hatch in a
    shade of the fill, and a thin dark outline. A hatch colour apart from the edge's came with
    matplotlib 3.11 and the hatch's own width with 3.10: before them the hatch is drawn in the
    outline's colour and width (the figures still draw, their hatches darker)."""
    from matplotlib.patches import Patch

    style = dict(color=color, hatch=hatch, edgecolor=BAR_EDGE, linewidth=BAR_EDGE_WIDTH)
    if hasattr(Patch, "set_hatchcolor"):
        style["hatchcolor"] = hatch_color(color)
    if hasattr(Patch, "set_hatch_linewidth"):
        style["hatch_linewidth"] = HATCH_WIDTH
    return style


#: colours for any other part (none of the fixed ones)
EXTRA_PART_COLORS = ("#393b79", "#5254a3", "#6b6ecf", "#637939", "#8ca252", "#b5cf6b", "#8c6d31",
                     "#bd9e39", "#e7ba52", "#843c39", "#ad494a", "#d6616b", "#7b4173", "#a55194",
                     "#ce6dbd", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363")

#: markers for the values of a swept parameter where points are not joined by lines (the
#: accuracy-energy figure), in sorted value order
VALUE_MARKERS = ("o", "s", "^", "D", "v", "P")
#: line styles for the values of a parameter other than the x axis's (in sorted value order)
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))


def lab(color) -> tuple[float, float, float]:
    """CIELAB (L*, a*, b*) of a matplotlib colour: sRGB (IEC 61966-2-1) to linear, to XYZ, to
    Lab under D65."""
    import numpy as np
    from matplotlib.colors import to_rgb

    rgb = np.array(to_rgb(color))
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124564, 0.3575761, 0.1804375],
                    [0.2126729, 0.7151522, 0.0721750],
                    [0.0193339, 0.1191920, 0.9503041]]) @ lin / np.array([0.95047, 1.0, 1.08883])
    d = 6 / 29
    f = np.where(xyz > d ** 3, np.cbrt(xyz), xyz / (3 * d * d) + 4 / 29)
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def delta_e(c1, c2) -> float:
    """CIE76 colour distance between two matplotlib colours (Euclidean in CIELAB)."""
    return math.dist(lab(c1), lab(c2))


def _hash(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


#: what a sweep figure adds to the name of an architecture with a precision mismatch
MISMATCH_MARK = " (!p)"


def arch_style(name: str) -> Style:
    """The colour and marker of architecture ``name``: fixed for the bundled ones, else by a
    stable hash of the name (crc32, not Python's salted ``hash``); ``NAME (!p)``'s are NAME's."""
    name = name[:-len(MISMATCH_MARK)] if name.endswith(MISMATCH_MARK) else name
    if name in ARCH_STYLES:
        return ARCH_STYLES[name]
    h = _hash(name)
    return Style(EXTRA_COLORS[h % len(EXTRA_COLORS)],
                 EXTRA_MARKERS[(h // len(EXTRA_COLORS)) % len(EXTRA_MARKERS)])


def _key(name: str) -> str:
    """The part a name's colour is that of: a bandwidth utilization ``<resource>_bw`` its
    resource's (a level named by the user too: ``ddr_bw`` was hashed apart from ``ddr``)."""
    return name[:-3] if name.endswith("_bw") else name


def part_color(name: str) -> str:
    """The colour of part ``name`` (energy part, critical-path part, memory level or link; a
    resource's bandwidth utilization ``<resource>_bw`` takes the resource's colour)."""
    k = _key(name)
    return PART_COLORS[k] if k in PART_COLORS else EXTRA_PART_COLORS[_hash(k) % len(EXTRA_PART_COLORS)]


def part_colors(names, universe=()) -> dict[str, str]:
    """The colour of each of ``names``, parts drawn together: a fixed part's
    (:func:`part_color`) always; any other its hashed extra colour unless that lies within
    :data:`MIN_DELTA_E` of a colour already taken, then the next extra colour that does not
    (the first in hash order where none is free), the parts taken in name order. ``universe``:
    every part of a set of figures (a report's: :func:`result_parts`), so each part has one
    colour in all of them; without it, the colours are those of ``names`` alone. Two parts of
    one figure were shades of one blue (a PIM device's bandwidth beside the DRAM's), and one
    level took three colours in one report's figures (both found by testers)."""
    names = list(dict.fromkeys(names))
    keys = sorted({_key(n) for n in (*names, *universe)})
    out = {k: PART_COLORS[k] for k in keys if k in PART_COLORS}
    for k in keys:
        if k in out:
            continue
        start = _hash(k) % len(EXTRA_PART_COLORS)
        ring = EXTRA_PART_COLORS[start:] + EXTRA_PART_COLORS[:start]
        out[k] = next((c for c in ring if all(delta_e(c, u) >= MIN_DELTA_E for u in out.values())),
                      ring[0])
    return {n: out[_key(n)] for n in names}


def result_parts(results) -> list[str]:
    """Every part the figures of ``results`` colour: energy parts, critical-path parts and
    utilizations (a ``_bw`` one its resource's)."""
    return list(dict.fromkeys(p for r in results for d in (r.energy_breakdown_j, r.path_time_s,
                                                           r.utilization) for p in d))


def _order(v) -> tuple:
    """A sort key for a value or a tuple of them: numbers, then text, then empty cells (``<NA>``,
    NaN, None: a workload parameter its generator group does not vary), never comparing those."""
    if isinstance(v, tuple):
        return tuple(_order(x) for x in v)
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return (2, 0.0, "")
    return (1, 0.0, v) if isinstance(v, str) else (0, v, "")


def value_styles(values, styles=LINESTYLES) -> dict:
    """A line style (or one of ``styles``: :data:`VALUE_MARKERS`) for each of ``values``
    (sorted, empty cells last; styles repeat past the last)."""
    vals = sorted(set(values), key=_order)
    return {v: styles[i % len(styles)] for i, v in enumerate(vals)}
