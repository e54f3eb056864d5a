"""``cimsim report``: one self-contained HTML page of runs (every config x every workload).

This module draws and writes; it runs nothing. :func:`cimsim.studies.report_runs`
simulates and returns a :class:`Report` of the runs; :func:`build_report` draws its
figures and :func:`write_report` writes the page and the files beside it.

The page (``DIR/report.html``) needs no server and no other file: figures are
PNGs embedded as data URIs. It shows the comparison table (every number with
its unit), for LLM serving runs their serving table (time to first token, time
per output token, tokens/s, tokens/J, as ``cimsim compare`` prints), the energy
breakdown as stacked bars, the utilization of every resource, each architecture's
own roofline, each run's critical path as a Gantt strip with its bound
attribution and, when a workload is recurrent or
hierarchical (generated LSTM / GRU / hierarchical attention), critical path
against sequence length. Beside it: ``results.csv`` (every result column) and
one timeline per run (``timeline-<workload>-<architecture>.json``, the trace
event format; open it in https://ui.perfetto.dev or chrome://tracing).
"""

from __future__ import annotations

import base64
import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pandas as pd

from . import columns as C
from .baseline import baseline_ratios, ratio
from .devices import ALL_NOTE, all_mark
from .result import one_device
from .format import area, keep_units, off_chip_traffic, pct, per_joule, si
from .plausible import WARNING
from .provenance import placeholder_warning

@dataclass
class Report:
    """What the report shows: the runs and tables (a study's, :func:`cimsim.studies.report_runs`)
    and the figures by id (:func:`build_report` draws them)."""

    archs: list
    workloads: list
    results: list  # [(arch, workload, Result)], workload-major
    figures: dict = field(default_factory=dict)  # id -> (title, matplotlib Figure)
    #: id -> (alt text, data table headers, rows): the figure's numbers as text (find-A 3); rows
    #: a figure id instead: that figure's table describes this one too
    figure_data: dict = field(default_factory=dict)
    table: pd.DataFrame | None = None  # every result column, one row per run
    seq_table: pd.DataFrame | None = None  # critical path vs length, when shown
    seq_window: int = 4  # the hierarchical encoders' window in seq_table
    #: the architecture the table's speed-up and energy-ratio columns compare against (None:
    #: the first architecture)
    baseline: str | None = None
    #: bytes of the timeline files :func:`write_report` wrote beside the page
    timeline_bytes: int = 0
    #: why :func:`write_report` wrote no timeline for some runs ("" when it wrote one per run)
    timeline_note: str = ""
    #: the ``--set`` overrides every run had, ``["memory.dram.bandwidth=1TB/s", ...]``
    overrides: list = field(default_factory=list)
    #: the files the runs read, ``{"configs": {name: {"path", "sha256"}}, "workloads": {...},
    #: "overrides": {...}}`` (:func:`cimsim.inputs.recorded`): results.csv's columns and the
    #: page's footer (None: neither)
    inputs: dict | None = None


#: where the page's placeholder warnings send the reader (not `--json`, a flag they did not use)
PAGE_SEE = "results.csv beside this page gives each run's energy_placeholder_share and latency_placeholder_share"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


def _unique(slugs: list[str], empty: str) -> list[str]:
    """``slugs`` made distinct in order: a repeat gets ``-2``, ``-3``, ...; an empty one (a name
    of no ASCII letter or digit) is ``empty`` (two names as ``mm_a`` and ``mm-a`` would
    otherwise share one figure and one timeline file, the second overwriting the first)."""
    seen: set[str] = set()
    out = []
    for s in slugs:
        s = s or empty
        key, n = s, 1
        while key in seen:
            n += 1
            key = f"{s}-{n}"
        seen.add(key)
        out.append(key)
    return out


def run_keys(rep: "Report") -> list[str]:
    """One distinct ``<workload>-<architecture>`` slug per run of ``rep`` (figure ids, timeline
    file names)."""
    return _unique([f"{_slug(wl.name)}-{_slug(arch.name)}".strip("-") for arch, wl, _ in rep.results],
                   "run")


def build_report(rep: Report) -> Report:
    """Draw the report's figures from its runs and tables (into ``rep.figures``); returns ``rep``."""
    from ..plot.figures import energy_breakdown, energy_parts
    from ..plot.style import result_parts
    from ..plot.run_figures import (
        arch_roofline,
        critical_path_gantt,
        critical_path_vs_length,
        energy_shares,
        utilization_bars,
    )

    if rep.table is None:
        rep.table = pd.DataFrame([r.record() for _, _, r in rep.results],
                                 columns=list(C.union_columns(rep.archs)))
    figs = rep.figures
    # one colour per part in every figure of the page (a part outside the fixed palette took a
    # colour per figure, from what else that figure drew)
    parts = result_parts([r for _, _, r in rep.results])
    figs["energy-breakdown"] = ("Energy breakdown", energy_breakdown(rep.table, universe=parts))
    runs_all = [r for _, _, r in rep.results]
    rep.figure_data["energy-breakdown"] = _energy_data(runs_all)
    # its own alt (the same 330 characters were read twice), described by the breakdown's table
    rep.figure_data["energy-shares"] = (
        f"Each of {len(runs_all)} run(s) as one bar of height 1, split into its parts' shares of "
        "its energy, in the breakdown's part order; the shares are in the energy breakdown's data "
        "table", [], "energy-breakdown")
    figs["energy-shares"] = ("Energy breakdown, shares", energy_shares([r for _, _, r in rep.results], parts,
                                                                        energy_parts(rep.table)))
    for wl, key in zip(rep.workloads, _unique([_slug(w.name) for w in rep.workloads], "workload")):
        runs = [r for _, w, r in rep.results if w is wl]
        figs[f"utilization-{key}"] = (f"Utilization: {wl.name}", utilization_bars(runs, parts))
        rep.figure_data[f"utilization-{key}"] = (
            f"Bars of each resource's utilization (fraction of peak) for {len(runs)} run(s) of {wl.name}; "
            "the numbers are in the data table below",
            ["architecture", "resource", "utilization"],
            [[r.architecture, res, pct(v)] for r in runs for res, v in r.utilization.items()])
    for (arch, wl, r), key in zip(rep.results, run_keys(rep)):
        figs[f"roofline-{key}"] = (f"Roofline: {wl.name} on {arch.name}", arch_roofline(arch, r, wl))
    for (arch, wl, r), key in zip(rep.results, run_keys(rep)):
        figs[f"critical-path-{key}"] = (f"Critical path: {wl.name} on {arch.name}",
                                        critical_path_gantt(r, parts))
        total = sum(r.path_time_s.values()) or 1.0
        top = max(r.path_time_s, key=r.path_time_s.get, default=None)
        rep.figure_data[f"critical-path-{key}"] = (
            f"Gantt strip of the realised critical path of {wl.name} on {arch.name}, split by part"
            + (f"; the largest part is {top} ({pct(r.path_time_s[top] / total)})" if top else ""),
            ["part", "time", "share"],
            [[p, si(t, "s"), pct(t / total)] for p, t in r.path_time_s.items()])
    if rep.seq_table is not None:
        models = "; ".join(dict.fromkeys(rep.seq_table["model"])) if "model" in rep.seq_table else ""
        figs["critical-path-vs-length"] = ("Critical path vs sequence length of generated models, "
                                           f"not the workloads above ({models})" if models else
                                           "Critical path vs sequence length",
                                           critical_path_vs_length(rep.seq_table, rep.seq_window))
    return rep


def _energy_data(results) -> tuple[str, list[str], list[list[str]]]:
    """The energy figures' alt text and data: each run's energy by part and its share."""
    big = "; ".join(f"{r.architecture} on {r.workload}: {p} {pct(v / r.energy_j)}" for r in results
                    if r.energy_j for p, v in [max(r.energy_breakdown_j.items(), key=lambda kv: kv[1])])
    return (f"Stacked energy by part of {len(results)} run(s); the largest part of each: {big or 'none'}",
            ["workload", "architecture", "part", "energy", "share"],
            [[r.workload, r.architecture, p, si(v, "J"), pct(v / r.energy_j) if r.energy_j else "n/a"]
             for r in results for p, v in r.energy_breakdown_j.items() if v])


#: comparison-table columns: (header, column, unit or formatter)
def _table_rows(rep: Report) -> tuple[list[str], list[list[str]]]:
    heads = ["workload", "architecture", "latency", "energy", "bound (part)", C.DEPENDENCY_PATH,
             "dependency-path ops", "realised-path ops", "parallelism", "throughput", "efficiency",
             "area", "off-chip traffic", "busiest resources"]
    base = rep.baseline or (rep.archs[0].name if rep.archs else None)
    ratios = baseline_ratios([r for _, _, r in rep.results], base) if rep.results and base else {}
    if ratios:
        heads[4:4] = [f"speed-up vs {base}", f"energy vs {base}"]
    rows = []
    for arch, wl, r in rep.results:
        top = sorted(r.utilization.items(), key=lambda kv: -kv[1])[:3]
        pair = ratios.get((r.workload, r.architecture)) if ratios else None
        rows.append([
            r.workload, r.architecture + (" (!p)" if r.precision_mismatch else "") + (" (1d)" if one_device(r) else ""),
            si(r.latency_s, "s"), si(r.energy_j, "J"),
            *([ratio(pair[0]), ratio(pair[1], "n/a (no baseline energy)")] if pair else ["no baseline run"] * 2 if ratios else []),
            r.bound_label, si(r.critical_path_s, "s"), f"{r.critical_path_ops:,} ops",
            f"{r.realized_path_ops:,} ops" if r.realized_path_ops is not None else "unknown",
            f"{r.parallelism:.3g}x", si(r.throughput_macs_per_s, "MAC/s"),
            per_joule(r.system_ops_per_j, "OPS/W") + all_mark(r),
            area(r.system_area_m2) + all_mark(r) if r.area_m2 > 0 else "not declared",
            off_chip_traffic(arch.hardware, r.traffic_bytes),
            ", ".join(f"{k} {pct(v)}" for k, v in top),
        ])
    return heads, rows


def _serving_rows(rep: Report) -> list[list[str]]:
    """The LLM serving table's rows (runs of serving workloads only), as `cimsim compare`'s."""
    from .format import rate, seconds_or_na

    rows = []
    for _, _, r in rep.results:
        sv = r.serving
        if not sv:
            continue
        rows.append([r.workload, r.architecture + (" (!p)" if r.precision_mismatch else ""),
                     seconds_or_na(sv[C.TTFT_S]), seconds_or_na(sv.get(C.TTFT_P99_S)),
                     seconds_or_na(sv[C.TPOT_S]), seconds_or_na(sv.get(C.TPOT_P99_S)),
                     f"{rate(sv[C.TOKENS_PER_S])} tokens/s", f"{rate(sv[C.DECODE_TOKENS_PER_S])} tokens/s",
                     f"{rate(sv[C.TOKENS_PER_J])} tokens/J" if sv[C.TOKENS_PER_J] == sv[C.TOKENS_PER_J]
                     else per_joule(sv[C.TOKENS_PER_J], "tokens/J")])
    return rows


_SERVING_HEADS = ("workload", "architecture", "time to first token", "TTFT p99",
                  "time per output token", "TPOT p99", "tokens/s", "decode tokens/s", "tokens/J")


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return base64.b64encode(buf.getvalue()).decode("ascii")


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; }
div.wide { overflow-x: auto; max-width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: right; }
th { background: #f0f0f0; } td.l { text-align: left; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-weight: 600; margin-bottom: 0.3em; }
"""


_PIPELINE_HEADS = ("workload", "architecture", "interval per sample", "limited by", "samples/s",
                   "throughput", "energy per sample", "efficiency", "per area")


def _pipeline_rows(rep: Report) -> list[list[str]]:
    """A layer-pipelined CIM chip's steady state of a stream (its headline numbers, as `cimsim
    run` prints them; a re-programming chip's interval is one sample's latency)."""
    rows = []
    for arch, _, r in rep.results:
        f = r.facts
        if C.PIPELINE_INTERVAL_S not in f:
            continue
        per_m2 = f[C.PIPELINED_OPS_PER_S_PER_M2]
        # weights that do not fit are re-programmed in turn: one stage, as `cimsim run` says
        one = C.one_stage(arch.instances, f)
        rows.append([r.workload, r.architecture + (" (!p)" if r.precision_mismatch else ""),
                     si(f[C.PIPELINE_INTERVAL_S], "s"),
                     str(f[C.PIPELINE_LIMIT]) + (f" (one stage: {one}, no layer pipeline)" if one else ""),
                     si(f[C.PIPELINED_SAMPLES_PER_S], "samples/s"), si(f[C.PIPELINED_OPS_PER_S], "OPS"),
                     si(f[C.PIPELINED_J_PER_SAMPLE], "J"), per_joule(f[C.PIPELINED_OPS_PER_J], "OPS/W"),
                     si(per_m2 / 1e6, "OPS/mm²") if per_m2 == per_m2 and r.area_m2 > 0
                     else "no area declared"])
    return rows


def _steady_rows(rep: Report) -> list[list[str]]:
    """A layer pipeline's energy per sample at steady state, by part (``steady_energy_by_part_j``:
    each dynamic part over the run's samples, static power over the interval), one row a part
    that spends any, as `cimsim run` prints it."""
    rows = []
    for _, _, r in rep.results:
        steady = r.steady_energy_by_part_j
        total = sum(steady.values())
        rows += [[r.workload, r.architecture, part, si(j, "J"), pct(j / total)]
                 for part, j in steady.items() if j and total > 0]
    return rows


def _load_table(rep: Report) -> tuple[list[str], list[list[str]]]:
    """``--period`` / ``--deadline`` / ``--idle`` / ``--harvest`` / ``--storage``: each run at the
    stated load, as ``run``'s lines give it (a run too slow for the period: ``too slow (65.9 ms)``,
    the shortest period it keeps; its note says why); no load stated: no rows."""
    from .intermittent import duty
    from .load import period_power_cell, slack_cell
    from .load_table import between_cell, harvest_cell, storage_cell

    runs = [r for _, _, r in rep.results]
    period, deadline, harvest, storage = (any(k in r.facts for r in runs) for k in (
        C.PERIOD_S, C.DEADLINE_S, C.HARVEST_POWER_W, C.STORAGE_J))
    idle = any(r.facts.get(C.PERIOD_IDLE, "on") != "on" for r in runs)
    first = any(r.power_up_latency_s > r.latency_s for r in runs)
    if not (period or deadline or harvest or storage):
        return [], []
    heads = ["workload", "architecture",
             *(["period", "energy per period", "energy per sample", "average power", "busy"]
               if period else []), *(["between runs"] if idle else []),
             *(["deadline", "slack"] if deadline else []), *(["first call"] if first else []),
             *(["harvest rate"] if harvest else []), *(["runs a charge"] if storage else [])]
    rows = []
    for r in runs:
        f, row = r.facts, [r.workload, r.architecture]
        if period:
            t, e = f[C.PERIOD_S], f[C.PERIOD_ENERGY_J]
            ok = e == e  # NaN: too slow for the period
            row += [f"{si(t, 's')} ({si(1.0 / t, 'Hz')})",
                    si(e, "J") if ok else "n/a (too slow)",
                    si(f[C.PERIOD_J_PER_SAMPLE], "J") if ok else "n/a (too slow)",
                    period_power_cell(r), duty(f[C.PERIOD_UTILIZATION]) if ok else "n/a (too slow)"]
        row += [between_cell(r)] if idle else []
        row += [si(f[C.DEADLINE_S], "s"), slack_cell(r)] if deadline else []
        row += [f"{si(r.power_up_latency_s, 's')}, {si(r.power_up_energy_j, 'J')}"] if first else []
        row += [harvest_cell(r)] if harvest else []
        row += [storage_cell(r)] if storage else []
        rows.append(row)
    return heads, rows


def _section(title: str, table_id: str, heads, rows: list[list[str]], left: set[int]) -> list[str]:
    """A titled table of ``rows`` (none: nothing), the ``left`` columns' text left-aligned; a
    no-break space keeps each number with its unit."""
    if not rows:
        return []
    esc = html.escape
    out = [f"<h2>{esc(title)}</h2>", f'<div class="wide"><table id="{table_id}"><thead><tr>'
           + "".join(f'<th scope="col">{esc(h)}</th>' for h in heads) + "</tr></thead><tbody>"]
    out += ["<tr>" + "".join(f'<td{" class=l" if i in left else ""}>{esc(keep_units(v))}</td>'
                             for i, v in enumerate(row)) + "</tr>" for row in rows]
    return out + ["</tbody></table></div>"]


def render_html(rep: Report, links: Sequence[tuple[str, str]] = ()) -> str:
    """The page as a string (figures embedded as PNG data URIs)."""
    esc = html.escape
    heads, rows = _table_rows(rep)
    base = rep.baseline or (rep.archs[0].name if rep.archs and rep.results else None)
    left = {0, 1, heads.index("bound (part)"), len(heads) - 1}
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>cimsim report</title>", f"<style>{_CSS}</style></head><body>",
           "<h1>cimsim report</h1>",
           (f'<p id="overrides">overrides: {esc(" ".join(f"--set {o}" for o in rep.overrides))}</p>'
            if rep.overrides else ""),
           f"<p>{len(rep.workloads)} workload(s) x {len(rep.archs)} architecture(s), "
           f"{esc(rep.results[0][2].engine) if rep.results else ''} engine.</p>",
           "<h2>Comparison</h2>",
           f"<p>Speed-up = {esc(base)} latency / latency; energy ratio = energy / {esc(base)} energy "
           "(same workload).</p>" if base else "",
           '<div class="wide"><table id="comparison"><thead><tr>']
    out += [f'<th scope="col">{esc(h)}</th>' for h in heads]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f'<td{" class=l" if i in left else ""}>{esc(keep_units(v))}</td>'
                                    for i, v in enumerate(row)) + "</tr>")  # 87.5 % never split
    out.append("</tbody></table></div>")
    if any(r.precision_mismatch for _, _, r in rep.results):
        out.append("<p>(!p) precision mismatch: a unit of this architecture computes at a fixed "
                   "precision other than the workload's dtype (e.g. 8-bit CIM on an fp32 trace); "
                   "those rows compare unlike precisions (see the notes).</p>")
    if any(one_device(r) for _, _, r in rep.results):
        out.append("<p>(1d) tensor- or pipeline-parallel run: latency and energy are one device's "
                   "share (pipeline: one micro-batch through the stages in turn on one device); the "
                   f"LLM serving table gives the group's figures. {ALL_NOTE}.</p>")
    load_heads, load_rows = _load_table(rep)
    out += _section("At the stated load", "load", load_heads, load_rows, {0, 1})
    if load_rows:  # worded from the runs' --idle (review 22 B 1, F 5)
        from .load_table import load_note

        out.append(f'<p id="load-note">{esc(load_note([r for _, _, r in rep.results]))}</p>')
    out += _section("Pipelined stream (steady state)", "pipeline", _PIPELINE_HEADS,
                    _pipeline_rows(rep), {0, 1, 3})
    out += _section("Energy per sample, steady state", "steady-energy",
                    ("workload", "architecture", "part", "energy", "share"), _steady_rows(rep),
                    {0, 1, 2})
    out += _section("LLM serving", "serving", _SERVING_HEADS, _serving_rows(rep), {0, 1})
    if links:
        out.append("<h3>Files</h3><ul>" + "".join(
            f'<li><a href="{esc(href)}">{esc(text)}</a></li>' for text, href in links) + "</ul>")
    if rep.timeline_note:
        out.append(f'<p id="timeline-note">{esc(rep.timeline_note)}</p>')
    # the warnings `cimsim run` prints (placeholder shares, past a wafer), where they are seen
    warns = [(f"{r.workload} on {r.architecture}", w) for _, _, r in rep.results
             for w in [placeholder_warning(r, PAGE_SEE),
                       *(n for n in r.notes if n.startswith(WARNING))] if w]
    if warns:
        out.append('<h2>Warnings</h2><ul id="warnings">' + "".join(
            f"<li><b>{esc(run)}</b>: {esc(w[len(WARNING):] if w.startswith(WARNING) else w)}</li>"
            for run, w in warns) + "</ul>")
    out.append("<h2>Figures</h2>")
    for fid, (title, fig) in rep.figures.items():
        alt, dheads, drows = rep.figure_data.get(fid, (None, [], []))
        # the alt says what the figure shows (the caption repeated was read twice), and its
        # numbers are on the page as a table beside it (find-A 3)
        # ids "data-<figure id>": no figure id starts with "data-", so none collides (a
        # workload named "a-data" gave its figure the id of workload "a"'s table: review19-E 4)
        table_id = f"data-{drows if isinstance(drows, str) else fid}"  # a str: another's table
        data = (f'<details><summary>Data: {esc(title)}</summary><table id="{esc(table_id)}"><caption>'
                f"{esc(title)}</caption><thead><tr>" + "".join(f'<th scope="col">{esc(h)}</th>' for h in dheads)
                + "</tr></thead><tbody>" + "".join("<tr>" + "".join(
                    f"<td class=l>{esc(keep_units(v))}</td>" for v in row) + "</tr>" for row in drows)
                + "</tbody></table></details>") if drows and not isinstance(drows, str) else ""
        described = f' aria-describedby="{esc(table_id)}"' if drows else ""
        alt = alt or f"{title}: a figure whose numbers are not on this page as text"
        out.append(f'<figure class="cimsim-figure" id="{esc(fid)}"><figcaption>{esc(title)}</figcaption>'
                   f'<img alt="{esc(alt)}"{described} src="data:image/png;base64,{_png(fig)}">{data}</figure>')
    notes = [(f"{r.workload} on {r.architecture}", n) for _, _, r in rep.results for n in r.notes
             if not n.startswith(WARNING)]
    if notes:  # not only placement: precision, reticle, queueing, area (find-A 6)
        out.append("<details><summary>Notes</summary><ul>" + "".join(
            f"<li><b>{esc(run)}</b>: {esc(n)}</li>" for run, n in notes) + "</ul></details>")
    out += _footer(rep)
    out.append("</body></html>")
    return "\n".join(out)


def _footer(rep: Report) -> list[str]:
    """The page's last lines: the cimsim that made it (version and revision) and each config's
    and workload's path and SHA-256, so a shared page says what to re-run."""
    from ..revision import current

    esc = html.escape
    out = ['<footer id="provenance">', f"<p>Made by {esc(current())}.</p>"]
    files = [(what, name, rec) for what, key in (("config", "configs"), ("workload", "workloads"))
             for name, rec in ((rep.inputs or {}).get(key) or {}).items()]
    if files:
        out.append("<table><thead><tr><th>file</th><th>name</th><th>path</th><th>SHA-256</th>"
                   "</tr></thead><tbody>")
        out += [f"<tr><td class=l>{what}</td><td class=l>{esc(name)}</td><td class=l>"
                f"{esc(rec['path'])}</td><td class=l><code>{esc(rec['sha256'])}</code></td></tr>"
                for what, name, rec in files]
        out.append("</tbody></table>")
    return out + ["</footer>"]


def write_report(rep: Report, out_dir: str | Path, timelines: bool = True) -> Path:
    """Write ``out_dir/report.html`` (drawing the figures first if ``rep`` has none),
    ``results.csv`` and, unless ``timelines`` is False, one timeline per DES run (a serving run
    of 140,869 ops writes ~150 MB of them); returns the page's path. An analytic run has no
    timeline (not a schedule): ``rep.timeline_note`` and the page's file list say so."""
    from ..atomic import atomic_write
    from .trace_events import NOT_A_SCHEDULE, write_trace

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if not rep.figures:
        build_report(rep)
    table = rep.table
    base = rep.baseline or (rep.archs[0].name if rep.archs and rep.results else None)
    if base is not None and rep.results:  # the ratio columns the page's table shows
        from .baseline import with_ratios

        table = with_ratios(table, baseline_ratios([r for _, _, r in rep.results], base), base)
    if any(one_device(r) for _, _, r in rep.results):  # the tables' (1d) mark as a column
        table = table.copy()
        table.insert(list(table.columns).index(C.ARCHITECTURE) + 1, C.ONE_DEVICE_SHARE,
                     [one_device(r) for _, _, r in rep.results])
    from ..revision import with_provenance

    if rep.inputs is not None:  # what the runs read: overrides, each file's path and SHA-256
        from ..inputs import with_inputs

        table = with_inputs(table, rep.inputs)
    # the cimsim that computed the rows: a column each (a CSV file has no metadata)
    from ..sweep.store import integer_counts

    csv = with_provenance(integer_counts(table, rep.archs))
    atomic_write(out / "results.csv", lambda tmp: csv.to_csv(tmp, index=False))
    rep.timeline_bytes = 0
    links = [("results.csv (every result column)", "results.csv")]
    bounds = [r for _, _, r in rep.results if r.engine != "des"] if timelines else []
    rep.timeline_note = (f"no timeline for {len(bounds):,} of {len(rep.results):,} runs: "
                         f"{NOT_A_SCHEDULE}; the DES engine writes one per run") if bounds else ""
    for (arch, wl, r), key in zip(rep.results if timelines else [], run_keys(rep)):
        if r.engine != "des":
            continue
        name = f"timeline-{key}.json"
        write_trace(r, out / name, arch=arch, workload=wl)
        rep.timeline_bytes += (out / name).stat().st_size
        links.append((f"timeline of {wl.name} on {arch.name} (open in ui.perfetto.dev or "
                      "chrome://tracing)", name))
    page = out / "report.html"
    html = render_html(rep, links)
    atomic_write(page, lambda tmp: Path(tmp).write_text(html, encoding="utf-8"))
    return page
