"""``cimsim run``, ``compare``: a study (:mod:`cimsim.studies`) printed; options other commands share."""

from __future__ import annotations

import errno
import json
import math
from pathlib import Path

import click

from . import (OneLineErrors, OneLineUsageError, console, created, csv_name, full_path, is_workload_file, new_folder,
               pair_error, unbroken)
from .accuracy_lines import print_accuracy  # noqa: F401 - cimsim.commands.run.print_accuracy
from .load import arrivals_option, at_load, load_cells, load_options, power_up_cell, slo_options, stated_headers, stated_load
from .compare_rows import expected_rows, weights_of, weights_options, with_share_column
from .cim_lines import floorplan_texts as _floorplan_texts, programming_text, unit_energy_text
from .placement import critical_path_rows, print_critical_path, print_placement
from .steady import steady_latency_of, steady_option, steady_text, with_steady
from .. import bundled
from ..atomic import atomic_write, check_writable
from ..errors import CimsimError, ConfigError, MappingError, OverflowInputError, one_name_each
from ..inputs import file_record, recorded, with_inputs
from ..report import columns as C
from ..report.baseline import RATIO_HEADERS, baseline_ratios, period_energy_ratios, ratio
from ..report.load import load_rows, period_power_cell, period_token_cell, slack_cell
from ..report.models import model_rows
from ..report.phases import phase_rows
from ..report.devices import ALL_NOTE, all_mark, efficiency_text, system, energy_text, power_text, vector_text, work_text
from ..report.plausible import WARNING
from ..report.provenance import placeholder_warning
from ..report.result import json_number, one_device
from ..report.ridge import dtype_rated, level_ridge_text, peak_text
from ..report.samples import per_sample_text, steady_energy_by_part
from ..report.columns import DEPENDENCY_PATH, REALIZED_PATH
from ..report.format import NBSP, NO_ENERGY, area, keep_units, off_chip_traffic, pct, per_joule, rate, seconds_or_na, si
from ..pipeline import ENGINES
from ..timing import OUTPUT, mark, step, timing_option


def engine_option(f):
    return click.option("--engine", type=click.Choice(ENGINES), default="des", show_default=True,
                        help="des: discrete-event simulation; analytic: bounds only")(f)


def overrides(sets: tuple[str, ...], option: str = "--set") -> dict[str, str]:
    """``{path: value}`` of ``--set PATH=VALUE`` items (``option``: the option's name in the
    one-line refusals, e.g. ``--edge-set``)."""
    out: dict[str, str] = {}
    for item in sets:
        path, eq, value = item.partition("=")
        if eq and path.strip() and not value.strip():
            raise OneLineUsageError(f"{option} {item!r}: the value is empty; give one, e.g. "
                                    f"{path.strip()}=VALUE ({path.strip()}=null leaves the field out)")
        if not eq or not path.strip() or not value.strip():
            raise OneLineUsageError(f"{option} {item!r}: expected PATH=VALUE, e.g. memory.dram.bandwidth=1TB/s")
        if path.strip() in out:  # as a YAML file's duplicate key and sweep's repeated --param
            raise OneLineUsageError(f"{option} {path.strip()} is given more than once "
                                    f"({out[path.strip()]!r}, then {value.strip()!r}); give it once")
        out[path.strip()] = value.strip()
    return out


def set_option(f):
    return click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
                        help="Override a config field (repeatable), e.g. --set memory.dram.bandwidth=1TB/s; "
                             "`cimsim fields -c CONFIG` lists the paths.")(f)


@click.command("run", cls=OneLineErrors)
@click.argument("config")
@click.argument("workload")
@engine_option
@set_option
@load_options
@arrivals_option
@slo_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--placement", is_flag=True, help="Also list where each op runs and its cost "
              "(with --json: a list `placement`, one object per op).")
@click.option("--critical-path", "cpath", is_flag=True, help="Also list the dependency critical "
              "path's ops and each one's time (with --json: a list `critical_path`).")
@click.option("--trace", "trace_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the op timeline as a Chrome/Perfetto trace-event JSON file.")
@click.option("--accuracy", is_flag=True,
              help="WORKLOAD is an evaluation model: a bundled one (digits-mlp, digits-cnn, "
                   "mnist-cnn, mnist1d-cnn, mnist1d-gru, mnist1d-lstm) or FILE.py:FACTORY with "
                   "--dataset; it is traced for the cost and run with the CIM's arithmetic for "
                   "accuracy (top-1, agreement with fp32, output SNR, KL). Needs the accuracy extra.")
@click.option("--dataset", default=None, metavar="FILE.py:DATASET",
              help="With --accuracy and a FILE.py:FACTORY model: a function returning "
                   "(inputs, labels) to evaluate on (labels may be None); inputs a tensor, or a "
                   "tuple of tensors spread over the model's forward (several inputs).")
@click.option("--output-kind", type=click.Choice(["auto", "logits", "probabilities"]), default="auto",
              show_default=True, help="With --accuracy: the model's outputs are logits, or "
              "probabilities (it ends in sigmoid or softmax); auto takes probabilities where every "
              "fp32 output lies in [0, 1] (and sums to 1 over the classes), and the basis says so.")
@steady_option
@timing_option
def run(config: str, workload: str, engine: str, sets: tuple[str, ...], as_json: bool,
        placement: bool, cpath: bool, trace_file: Path | None, accuracy: bool, dataset: str | None,
        output_kind: str = "auto", period: str | None = None, deadline: str | None = None, idle: str = "on",
        harvest=None, storage=None, arrivals=None, ttft_slo=None, tpot_slo=None, steady: bool = False) -> None:
    """Simulate WORKLOAD (a file or bundled name) on CONFIG (a YAML file or bundled name).

    With --accuracy, WORKLOAD is an evaluation model (e.g. cimsim run rram-cim digits-cnn
    --accuracy --json): its traced forward pass gives the cost, the same model run with the
    design's arithmetic gives the accuracy."""
    from ..config import load_architecture
    from ..config.origin import origin
    from ..studies import run_one
    from ..workload import load_workload

    load = stated_load(period, deadline, idle, harvest, storage, True, arrivals, (ttft_slo, tpot_slo))  # before the run
    if dataset is not None and not accuracy:
        raise OneLineUsageError("--dataset goes with --accuracy")
    if output_kind != "auto" and not accuracy:
        raise OneLineUsageError("--output-kind goes with --accuracy")
    if trace_file is not None and engine != "des":  # a timeline needs a schedule
        from ..report.trace_events import NOT_A_SCHEDULE

        raise OneLineUsageError(f"--trace needs --engine des: {NOT_A_SCHEDULE}")
    if trace_file is not None:  # before the run, not after it
        check_writable(trace_file, "--trace")
        made = new_folder(trace_file)
    target = None
    if accuracy or (not bundled._is_workload(workload) and _is_target(workload)):
        from ..accuracy.target import load_target, stats_bits, traced

        config_path = bundled.resolve_config(config)
        arch = load_architecture(config_path, overrides(sets), cli=True)
        target = load_target(workload, dataset, output_kind)
        # traced with its data statistics at the CIM's precision: the cost uses the activity
        # of the evaluation data (the facts <cim>_input_ones_default_ops etc. say how many not)
        tr = traced(target, stats_bits(arch))
        wl, wl_file = tr.workload, file_record(tr.path, tr.raw)
    else:
        config_path, workload_path = bundled.resolve_pair(config, workload)
        arch = load_architecture(config_path, overrides(sets), cli=True)
        wl, wl_file = load_workload(workload_path, progress=True), None  # its source records it
    # the per-op table costs memory and time: build it only when something shows it
    try:
        result = run_one(arch, wl, engine=engine, keep_ops=placement or trace_file is not None)
    except MappingError as exc:  # the config cannot run this workload: name the file and --sets
        raise MappingError(f"{origin(config_path, overrides(sets))}{exc}") from None
    except OverflowInputError as exc:  # an extreme value overflowed: the --set or file that gave it
        raise OverflowInputError(f"{origin(config_path, overrides(sets), exc.field)}{exc}",
                                 exc.field) from None
    steady_s = steady_latency_of(arch, wl, engine, result) if steady else None  # before the load's periods
    result = at_load(result, load)
    acc = None
    if accuracy:
        from ..accuracy.models import threads
        from ..accuracy.target import accuracy_record

        step("evaluating accuracy", f"evaluating accuracy of {wl.name} on {arch.name}")
        with threads(1):  # small tensors: one thread beats busy cores
            acc = accuracy_record(arch, target)
        mark(OUTPUT)
    if trace_file is not None:
        from ..report.trace_events import write_trace

        try:
            write_trace(result, trace_file, arch=arch, workload=wl)
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # --trace /dev/stdout into `| head`: a cut output, 141
                raise
            raise CimsimError(f"--trace {trace_file}: cannot write there ({exc.strerror or exc})") from None
    if as_json:
        out = with_steady(result.to_json(), steady_s)
        if acc is not None:  # beside latency and energy
            from ..accuracy.target import accuracy_json

            acc = accuracy_json(acc)
            keys = list(out)
            at = keys.index("energy_j") + 1
            out = {**{k: out[k] for k in keys[:at]}, **acc, **{k: out[k] for k in keys[at:]}}
        # what it was computed from (config, workload, --set), then which cimsim computed it:
        # to_json's last keys, kept last (the result's, the architecture's and workload's source)
        tail = {k: out.pop(k) for k in (*C.INPUT_COLUMNS, C.CIMSIM_VERSION, C.CIMSIM_REVISION)}
        if wl_file is not None:  # an evaluation model: its trace, read from the cache
            tail.update({C.WORKLOAD_PATH: wl_file["path"], C.WORKLOAD_SHA256: wl_file["sha256"]})
        if placement:  # the per-op table, one object per op (columns named in report.columns)
            from ..sweep.store import integer_counts

            # every float in full (pandas' to_json keeps 10 decimals: pJ and ps become 0); MACs
            # and bytes as integers, as in the run's own record
            out["placement"] = [{k: json_number(v.item() if hasattr(v, "item") else v)
                                 for k, v in row.items()}
                                for row in integer_counts(result.op_table).to_dict("records")]
        out.update({"critical_path": critical_path_rows(result)} if cpath else {}, **tail)
        click.echo(json.dumps(out, indent=2, allow_nan=False))  # RFC 8259: no NaN, no Infinity
    else:
        from dataclasses import replace

        from ..workload.footprint import checked_footprint

        apart = arch.cache_memory is not None  # each side at its own peak, as the placement checks
        fp, held = checked_footprint(wl, apart), result.footprint
        if held:  # as the placement held it: a PIM unit's own format widens what it holds, and
            # input reuse forms no im2col matrix (placement rule 4a)
            fp = replace(fp, weights=held[C.FOOTPRINT_WEIGHT_BYTES], kv_cache=held[C.FOOTPRINT_KV_CACHE_BYTES],
                         activations=held[C.FOOTPRINT_ACTIVATION_BYTES])
        print_result(result, footprint=fp, cache_apart=apart, arch=arch)
        if steady_s is not None:
            click.echo(steady_text(steady_s, result.latency_s))
        if acc is not None:
            print_accuracy(acc, auto=target.output_kind == "auto")
        for warn in [n for n in result.notes if n.startswith(WARNING)] + [placeholder_warning(result)]:
            if warn:  # a warning note (past a wafer) on its own line, not one note among others
                click.echo(warn, err=True)
        if placement:
            print_placement(result)
        if cpath:
            print_critical_path(result)
    if trace_file is not None:  # with --json, stdout carries the JSON alone
        click.echo(f"wrote {full_path(trace_file)}: {result.ops:,} ops over {si(result.latency_s, 's')} "
                   f"(open it in https://ui.perfetto.dev){created(made)}", err=as_json)


def _is_target(name: str) -> bool:
    """A bundled evaluation model's name (run for its cost alone without --accuracy)."""
    from ..accuracy.target import bundled_names_no_torch

    return name in bundled_names_no_torch()


def _serving_text(sv: dict, full_load: bool = False) -> str:
    from ..report import columns as C

    tpot, dec, tpj = sv[C.TPOT_S], sv[C.DECODE_TOKENS_PER_S], sv[C.TOKENS_PER_J]
    return (f"time to first token {si(sv[C.TTFT_S], 's')} (mean over requests), per output token "
            f"{si(tpot, 's') if tpot == tpot else 'n/a (no decode step)'}, "
            f"{rate(sv[C.TOKENS_PER_S])} tokens/s"
            + (f" ({rate(dec)} in decode)" if dec == dec else "")
            + f", {rate(tpj) + ' tokens/J' if tpj == tpj else per_joule(tpj, 'tokens/J')}"
            + (" at full load (per token at the period: the 'at the period' row)" if full_load else ""))


def _spread_rows(r) -> list[tuple[str, str]]:
    """The ``TTFT over requests`` and ``TPOT over requests`` rows: p50, p90, p99 and max
    (NumPy's linear interpolation; columns.PERCENTILES), with how many requests they span."""
    from ..report import columns as C

    rows = []
    n_tok = len(r.serving_requests.get(C.REQUEST_TTFT_S, []))
    n_tpot = sum(v == v for v in r.serving_requests.get(C.REQUEST_TPOT_S, []))
    for what, names, n in (("TTFT", C.TTFT_SPREAD, n_tok), ("TPOT", C.TPOT_SPREAD, n_tpot)):
        v = [r.serving.get(c, float("nan")) for c in names]
        if n and all(x == x for x in v):
            tags = [f"p{q}" for q in C.PERCENTILES] + ["max"]
            rows.append((f"{what} over requests", ", ".join(f"{t} {si(x, 's')}" for t, x in zip(tags, v))
                         + f" ({n:,} request{'s' if n != 1 else ''}; linear interpolation)"))
    return rows


def _latency_label(f) -> str:
    """What the efficiency line's OPS/mm² is over, beside a pipeline line's per-sample rate:
    the run's latency, one sample's only where the run is one sample."""
    n = f.get(C.SAMPLES_PER_RUN, 1)
    return f" (the run's latency: {n:,} samples)" if isinstance(n, int) and n > 1 else \
        " (one sample's latency)"


def _footprint_text(r, fp, cache_apart: bool = False) -> str:
    """What is live at once at the peak (the capacity check's bytes), and the activation tensors'
    bytes in all (the old line gave only those two totals under "footprint", e.g. 68.87 GB of
    "activations" for a run whose peak holds 5 GB)."""
    if fp is None:
        return f"weights {si(r.weight_bytes, 'B')}, activation tensors {si(r.activation_bytes, 'B')} in all"
    where = "" if fp.stage is None else f" on pipeline stage {fp.stage} of {fp.stages}"
    train = (f", optimizer state {si(fp.optimizer_state, 'B')}" if fp.optimizer_state else "") + \
        (f", master weights {si(fp.master_weights, 'B')}" if fp.master_weights else "")
    if fp.unread:  # parameters the trace never read (experts no token chose): held all the same
        train = f" ({si(fp.unread, 'B')} of them never read by the trace)" + train
    if cache_apart and fp.kv_cache:  # a PIM device of its own holds the cache (placement's check)
        return (f"{si(fp.total - fp.kv_cache, 'B')} live at once{where} in the host's memory (at its "
                f"peak: weights {si(fp.weights, 'B')}{train}, activations {si(fp.activations, 'B')}), "
                f"KV cache {si(fp.kv_cache, 'B')} at its peak in the PIM device; activation tensors "
                f"{si(r.activation_bytes, 'B')} in all")
    kv = f", KV cache {si(fp.kv_cache, 'B')}" if fp.kv_cache else ""
    return (f"{si(fp.total, 'B')} live at once{where} (at its peak: weights {si(fp.weights, 'B')}{train}"
            f"{kv}, activations {si(fp.activations, 'B')}); activation tensors "
            f"{si(r.activation_bytes, 'B')} in all")


def print_result(r, footprint=None, cache_apart: bool = False, arch=None) -> None:
    from rich.cells import cell_len
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    from .tables import folded_table

    out = console()
    out.print(Text.assemble((r.workload, "bold"), " on ", (r.architecture, "bold"),
                            f" ({r.engine} engine)"))
    # indented as a block: a label that wraps stays in its column (find-A 5)
    head = Table(show_header=False, box=None, pad_edge=False)
    pt = r.path_time_s
    total = sum(pt.values()) or 1.0
    peak = peak_text(r.facts, r.ops_per_unit, system(r).devices,  # review 23 F 6, F 7
                     dtype_rated(arch.instances) if arch is not None else frozenset())
    ridges = level_ridge_text(r.ridge_ops_per_byte_by_level, max(r.macs_per_unit, key=r.macs_per_unit.get, default=""))
    rows = [
        ("latency", si(r.latency_s, "s")),
        ("energy", energy_text(r)),
        ("bound", r.bound_label),
        (REALIZED_PATH, (f"{r.realized_path_ops:,} ops; " if r.realized_path_ops is not None else "")
                        + "time: " + ", ".join(f"{k} {pct(v / total)}" for k, v in pt.items())),
        (DEPENDENCY_PATH, f"{si(r.critical_path_s, 's')} over {r.critical_path_ops:,} ops "
                          + (f"= {r.critical_path_serial_steps:,} serial steps (dependent ops) "
                             if r.critical_path_serial_steps != r.critical_path_ops else "")
                          + "(ops alone, no contention)"),
        ("graph depth", f"{r.graph_depth_serial_steps:,} serial steps (dependent ops), {r.graph_depth_ops:,} ops "
                        "on the longest chains of the graph (any config)")
        if r.graph_depth_serial_steps is not None else None,
        ("parallelism", f"{r.parallelism:.3g} (sum of op times / critical path)"),
        ("lower bounds", f"memory {si(r.bound_memory_s, 's')}, "
                         + (f"links {si(r.bound_link_s, 's')}, " if r.bound_link_s else "")
                         + f"compute {si(r.bound_compute_s, 's')}"),
        ("work", f"{si(r.macs, 'MAC')}, {r.ops:,} ops, throughput {si(r.throughput_macs_per_s, 'MAC/s')}"
                 + work_text(r) + vector_text(r)),
        ("traffic", ", ".join(f"{k} {si(v, 'B')}" for k, v in r.traffic_bytes.items())),
        ("footprint", _footprint_text(r, footprint, cache_apart)),
        ("efficiency", efficiency_text(r, _latency_label(r.facts) if C.PIPELINE_INTERVAL_S in r.facts else "")),
        ("power", power_text(r)),
        ("per sample", per_sample_text(r)) if per_sample_text(r) else None,
        ("ops per unit", ", ".join(f"{k} {v}" for k, v in r.ops_per_unit.items())),
        ("MACs per unit", ", ".join(f"{k} {si(v, 'MAC')} ({100 * v / r.macs:.1f} %)" if r.macs else f"{k} 0 MAC"
                                    for k, v in r.macs_per_unit.items())),
        ("dynamic energy per unit", unit_energy_text(r) or "none (no unit ran MACs)"),
        ("peak", peak) if peak else None,  # find-K 3
        ("ridge by level", ridges) if ridges else None,  # find-A 5
    ]
    f = r.facts
    if C.PIPELINE_INTERVAL_S in f:  # a layer-pipelined chip: the steady state of a stream
        # weights that do not fit are re-programmed in turn: the chip is one stage, no layers overlap
        one = C.one_stage(arch.instances if arch is not None else (), f)
        rows.append(("pipeline", f"{si(f[C.PIPELINE_INTERVAL_S], 's')} per sample at steady state "
                                 + (f"(one stage: {one}, no layer pipeline; " if one else "(")
                                 + f"limited by {f[C.PIPELINE_LIMIT]}): "
                                 f"{si(f[C.PIPELINED_SAMPLES_PER_S], 'samples/s')}, "
                                 f"{si(f[C.PIPELINED_OPS_PER_S], 'OPS')}, "
                                 f"{si(f[C.PIPELINED_J_PER_SAMPLE], 'J')} per sample "
                                 f"({per_joule(f[C.PIPELINED_OPS_PER_J], 'OPS/W')}"
                                 + (f", {si(f[C.PIPELINED_OPS_PER_S_PER_M2] / 1e6, 'OPS/mm²')}"
                                    if r.area_m2 > 0 else "") + ")"))
    if r.serving:
        rows.append(("LLM serving", _serving_text(r.serving, C.PERIOD_S in f)))
        rows += _spread_rows(r) + phase_rows(r.serving, r.latency_s, r.energy_j)
    rows.extend(("floorplan", text) for text in _floorplan_texts(f))
    if C.PROGRAMMING_ENERGY_J in f:  # deployment: reported beside the run, not in its totals
        rows.append(("programming", programming_text(f, arch.instances if arch is not None else (), r.programmed)))
    rows += load_rows(r, C.PROGRAMMING_ENERGY_J in f, arch.instances if arch is not None else ()) + model_rows(r)
    rows = list(filter(None, rows))  # wrapped at spaces, never between a number and its unit:
    # the value column as wide as its longest number and unit, at least, as far as the labels (wrapped
    # at their words) leave room; the labels no wider than the rest (wider, rich cropped every value)
    units = [w for _, v in rows for w in keep_units(v).split(" ") if NBSP in w]
    room = out.width - 2 - max(cell_len(w) for k, _ in rows for w in k.split()) - 2
    value = max(min(max(map(cell_len, units), default=1), room), 1)
    head.add_column(max_width=max(out.width - 2 - value - 2, 1), overflow="fold")
    head.add_column(min_width=value, overflow="fold")  # a longer word (a field name) folds, never "…"
    for k, v in rows:
        head.add_row(k, unbroken(v))
    out.print(Padding(head, (0, 0, 0, 2)))
    energy = [(comp, si(val, "J"), pct(val / r.energy_j)) for comp, val in r.energy_breakdown_j.items() if val]
    # every energy field 0: a latency-only study
    out.print(folded_table("energy by part", ["part", "energy", "share"],
                           energy or [("(none)", si(0.0, "J"), NO_ENERGY)]))
    if steady := steady_energy_by_part(r):  # a layer pipeline: per sample, static over the interval
        total = sum(steady.values())
        out.print(folded_table("energy per sample, steady state", ["part", "energy", "share"],
                               [(k, si(v, "J"), pct(v / total)) for k, v in steady.items() if v]))
    out.print(folded_table("utilization (fraction of peak over the run)", ["resource", "utilization"],
                           [(res, pct(val)) for res, val in r.utilization.items()]))
    for note in r.notes:  # the warnings are printed apart (`run`), after the table
        if not note.startswith(WARNING):
            # one line off a terminal (a log greps a note as one record); wrapped on one
            out.print(f"  note: {note}", soft_wrap=not out.is_terminal)


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
