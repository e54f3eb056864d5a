"""``cimsim compare``: configs x workloads side by side (moved from commands/run.py, review H 6)."""

from __future__ import annotations

import errno
from pathlib import Path

import click

from . import (
    OneLineErrors, console, created, csv_name, full_path, is_workload_file, new_folder, pair_error, unbroken)
from .load import arrivals_option, load_cells, load_options, power_up_cell, stated_headers, stated_load
from .compare_rows import expected_rows, weights_of, weights_options, with_share_column
from .. import bundled
from ..atomic import atomic_write, check_writable
from ..errors import CimsimError, ConfigError, MappingError, OverflowInputError, one_name_each
from ..inputs import recorded, with_inputs
from ..report import columns as C
from ..report.baseline import RATIO_HEADERS, baseline_ratios, period_energy_ratios, ratio
from ..report.load import period_power_cell, period_token_cell, slack_cell
from ..report.devices import ALL_NOTE, all_mark
from ..report.plausible import WARNING
from ..report.result import one_device
from ..report.format import area, off_chip_traffic, pct, rate, seconds_or_na, si
from ..timing import timing_option
from .run import engine_option, overrides, set_option


def load_many(configs: tuple[str, ...], workloads: tuple[str, ...], sets: tuple[str, ...]):
    """The architectures (with ``--set`` overrides) and workloads named on a command line (every
    bundled one when none is named), and what they were read from (:func:`cimsim.inputs.recorded`)."""
    from ..config import load_architecture
    from ..workload import load_workload

    config_paths = [bundled.resolve_config(c) for c in configs] or bundled.config_paths()
    workload_paths = [bundled.resolve_workload(w) for w in workloads] or bundled.workload_paths()
    ov = overrides(sets)
    archs = []
    for p in config_paths:
        if str(p).endswith((".json", ".npz")) and is_workload_file(p):  # -w takes one file each
            raise CimsimError(f"{p} is a workload, given where a config goes: name each workload "
                              f"with its own -w (-w a.json -w b.json)")
        try:
            archs.append(load_architecture(p, ov, cli=True))
        except ConfigError as exc:  # of several configs, say which one a --set's error is about
            if len(config_paths) == 1 or str(p) in str(exc):
                raise
            raise ConfigError(f"{p}: {exc}") from None
    wls = [load_workload(p) for p in workload_paths]
    one_name_each("config", config_paths, [a.name for a in archs], "name:")
    one_name_each("workload", workload_paths, [w.name for w in wls], '"name"')
    return archs, wls, recorded(config_paths, [a.name for a in archs], workload_paths,
                                [w.name for w in wls], ov)


def _area_cell(arch, r, bare_area: dict[str, dict[str, None]]) -> str:
    """compare's area cell: the declared area (what `run` prints as "over N mm²"; all the devices
    of a parallel run, marked "(all N)"), marked "(part)"
    where some component declares none (``bare_area`` collects them, component -> architectures,
    for the footnote); "not declared" where no part declares one."""
    if not r.area_m2 > 0:
        return "not declared"
    bare = [c.name for c in arch.instances if not c.area_m2()]
    for name in bare:
        bare_area.setdefault(name, {})[r.architecture] = None
    return area(r.system_area_m2) + all_mark(r) + (" (part)" if bare else "")


@click.command("compare", cls=OneLineErrors)
@click.argument("configs", nargs=-1)
@click.option("-w", "--workload", "workloads", multiple=True,
              help="Workload file or bundled name (repeatable; default: all bundled).")
@engine_option
@set_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              callback=lambda ctx, param, v: csv_name(v),
              help="Write every metric to this CSV file.")
@load_options
@arrivals_option
@click.option("--baseline", metavar="ARCHITECTURE", default=None,
              help="Add speed-up (baseline latency / latency) and energy ratio (energy / baseline "
                   "energy) columns against this architecture's run of the same workload, "
                   "with --period, the energy ratio at the period; e.g. --baseline gpu-hbm3.")
@weights_options
@timing_option
def compare(configs: tuple[str, ...], workloads: tuple[str, ...], engine: str,
            sets: tuple[str, ...], output: Path | None, baseline: str | None,
            period: str | None = None, deadline: str | None = None, idle: str = "on",
            harvest: str | None = None, storage: str | None = None, arrivals: str | None = None,
            weights_spec: str | None = None, expected_csv: Path | None = None) -> None:
    """Simulate every workload on every config and print a comparison table.

    CONFIGS are YAML files or bundled names (default: all bundled configs).
    """
    from .tables import fitted_table, left_out_line

    from .. import studies

    if output is not None:  # before the runs, not after them
        check_writable(output, "-o")
        made = new_folder(output)
    load = stated_load(period, deadline, idle, harvest, storage, arrivals=arrivals)
    period_s, deadline_s = load.period_s, load.deadline_s
    archs, wls, inputs = load_many(configs, workloads, sets)
    weighted = weights_of(weights_spec, expected_csv, output, workloads, wls)  # before the runs
    try:
        # each run at the stated load; one too slow for the period: NaN there, not an error
        runs, df = studies.compare(archs, wls, engine, *load[:5], arrivals=load.arrivals)
    except (OverflowInputError, MappingError) as exc:
        raise pair_error(exc, inputs, overrides(sets)) from None
    results = [(run.arch, run.result) for run in runs]
    ratios = baseline_ratios([r for _, r in results], baseline) if baseline is not None else None
    at_period = period_energy_ratios([r for _, r in results], baseline) if ratios and period_s else None
    ratio_headers = [RATIO_HEADERS[0], "energy ratio at period"] if at_period is not None else RATIO_HEADERS
    title = f"cimsim compare ({engine} engine)"
    headers = ["workload", "architecture", "latency", "energy", "power", "area", "bound", "busiest units",
               "off-chip traffic", "dependency path", "dep. path ops"]
    power_up = any(r.power_up_latency_s > r.latency_s for _, r in results)  # volatile weights
    load_headers = (["power at period"] if period_s is not None else []) + \
        (["deadline slack"] if deadline_s is not None else []) + (["first call"] if power_up else []) + \
        stated_headers(load)
    headers[5:5] = load_headers  # after power
    if ratios is not None:  # beside latency and energy, and the last columns left out
        headers[4:4] = ratio_headers
        title += f", speed-up and energy ratio{' at the period' if at_period else ''} against {baseline}"
    rows = []
    mixed = False
    any_share = False
    bare_area: dict[str, dict[str, None]] = {}  # component without a declared area -> architectures
    for arch, r in results:
        mixed |= r.precision_mismatch
        # a tensor- or pipeline-parallel run: latency and energy are one device's share
        share = one_device(r)
        any_share |= share
        top = sorted(r.utilization.items(), key=lambda kv: -kv[1])[:2]
        cells = [r.workload, r.architecture + (" (!p)" if r.precision_mismatch else "") + (" (1d)" if share else ""),
                 si(r.latency_s, "s"), si(r.energy_j, "J"), si(r.system_average_power_w, "W") + all_mark(r),
                 *([period_power_cell(r)] if period_s is not None else []),
                 *([slack_cell(r)] if deadline_s is not None else []),
                 *([power_up_cell(r)] if power_up else []), *load_cells(r, load),
                 _area_cell(arch, r, bare_area),
                 r.bound_label, unbroken(", ".join(f"{k} {pct(v)}" for k, v in top)),
                 off_chip_traffic(arch.hardware, r.traffic_bytes), si(r.critical_path_s, "s"),
                 str(r.critical_path_ops)]
        if ratios is not None:
            pair = ratios.get((r.workload, r.architecture))
            e = at_period.get((r.workload, r.architecture)) if at_period is not None else pair and pair[1]
            cells[4:4] = ([ratio(pair[0]), ratio(e, "n/a (too slow or no baseline energy)" if at_period is not None
                                                    else "n/a (no baseline energy)")] if pair
                          else ["no baseline run"] * 2)
        rows.append(cells)
    out = console(min_width=180)
    # numbers are never cut: text wraps, then whole columns are left out (and named)
    t, left_out = fitted_table(title, headers, rows, out.width,
                               {"bound": 12, "busiest units": 16, "off-chip traffic": 10},
                               ["dep. path ops", "runs a charge", "harvest rate", "first call",
                                "dependency path", "off-chip traffic",
                                "busiest units", "area", "power", "bound", *ratio_headers[::-1]],
                               {"workload", "architecture", "bound", "busiest units"})
    out.print(t)
    if left_out:
        out.print(left_out_line(left_out, out.width))
    if power_up and "first call" not in left_out:  # (review 22 F 4)
        from ..report.load import volatile_store_text, volatile_stores

        if lost := sorted({n for _, r in results for n in volatile_stores(r)}):
            click.echo(f"first call after power-up: {volatile_store_text(lost)}")
    stated = any(v is not None for v in (period_s, deadline_s, load.harvest_w, load.storage_j))
    for _, r in results:  # why a unit's row may equal a run without it (compare shows no notes)
        for note in r.claim_notes + ([n for n in r.notes if n.startswith(("period ", "idle "))] if stated else []):
            click.echo(f"note ({r.architecture} on {r.workload}): {note}")
    physical: dict[tuple[str, str], list[str]] = {}  # (architecture, note) -> workloads
    for _, r in results:  # silicon past a reticle or wafer, power past a TDP: once per design
        for note in r.physical_notes:
            physical.setdefault((r.architecture, note), []).append(r.workload)
    for (name, note), wls_of in physical.items():  # a warning (past a wafer) as a warning line
        on = f"{name} on {', '.join(wls_of)}"
        click.echo(f"{WARNING}{on}: {note[len(WARNING):]}" if note.startswith(WARNING) else f"note ({on}): {note}")
    serving = [(a, r) for a, r in results if r.serving]
    if serving:
        sh = ["workload", "architecture", "time to first token", "TTFT p99",
              "time per output token", "TPOT p99", "tokens/s", "decode tokens/s",
              *(["tokens/J (full load)", "J/token at period"] if period_s is not None else ["tokens/J"])]
        srows = []
        for _, r in serving:
            sv = r.serving
            srows.append([r.workload, r.architecture + (" (!p)" if r.precision_mismatch else ""),
                          seconds_or_na(sv[C.TTFT_S]), seconds_or_na(sv.get(C.TTFT_P99_S)),
                          seconds_or_na(sv[C.TPOT_S]), seconds_or_na(sv.get(C.TPOT_P99_S)),
                          rate(sv[C.TOKENS_PER_S]), rate(sv[C.DECODE_TOKENS_PER_S]),
                          rate(sv[C.TOKENS_PER_J]), *([period_token_cell(r)] if period_s is not None else [])])
        st, s_left = fitted_table("LLM serving", sh, srows, out.width, {},
                                  ["TPOT p99", "TTFT p99", "decode tokens/s", "tokens/s",
                                   "time to first token"],
                                  {"workload", "architecture"})
        out.print(st)
        if s_left:
            out.print(left_out_line(s_left, out.width))
        from ..report.build import ANALYTIC_SERVING_NOTE

        lower = [r for _, r in serving if any(n.startswith(ANALYTIC_SERVING_NOTE) for n in r.notes)]
        if lower:  # the run's note, which the table would otherwise leave out
            click.echo(f"analytic engine: time to first token, time per output token and decode "
                       f"tokens/s of {len(lower):,} run(s) take each op's end with ops alone: lower "
                       "bounds (the DES can be much longer, and where the busiest unit or link "
                       "sets the latency, tokens/s and tokens/J do not share them); use --engine "
                       "des for serving figures")
    if any_share:
        click.echo("(1d) tensor- or pipeline-parallel run: latency and energy are one device's share "
                   "(pipeline: one micro-batch through the stages in turn on one device); the LLM "
                   "serving table gives the group's time per token, tokens/s and tokens/J"
                   + ("\n" + ALL_NOTE if {"power", "area"} - set(left_out) else ""))
    # a footnote only for a column the table shows (area is the first left out once --baseline
    # adds two columns, and its "(part)" note was printed under a table without it)
    if bare_area and "area" not in left_out:
        click.echo(f"(part) area of the parts that declare one ({C.AREA_M2} in the CSV); none is given "
                   "for " + "; ".join(f"{c} ({', '.join(a)})" for c, a in bare_area.items())
                   + ", so those designs are larger than shown")
    if mixed:
        click.echo("(!p) precision mismatch: a unit of this architecture computes at a fixed "
                   "precision other than the workload's dtype (e.g. 8-bit CIM on an fp32 trace); "
                   "rows compare unlike precisions (see the run's notes)")
    expected_rows(weighted, [r for _, r in results], expected_csv)  # --weights (find-L4 1)
    if output is not None:
        if ratios is not None:
            from ..report.baseline import with_ratios

            df = with_ratios(df, ratios, baseline, at_period)
        from ..revision import with_provenance

        from ..sweep.store import integer_counts

        df = with_provenance(with_inputs(with_share_column(integer_counts(df, archs), [r for _, r in results]),
                                         inputs))
        try:
            atomic_write(output, lambda tmp: df.to_csv(tmp, index=False))
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # -o /dev/stdout into `| head`: a cut output, 141
                raise
            raise CimsimError(f"-o {output}: cannot write there ({exc.strerror or exc})") from None
        click.echo(f"wrote {len(df):,} rows to {full_path(output)}{created(made)}")
