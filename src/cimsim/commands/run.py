"""``cimsim run``: a study (:mod:`cimsim.studies`) printed; options other commands share (``compare``: commands/compare.py)."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import click

from . import OneLineErrors, OneLineUsageError, console, created, full_path, new_folder, unbroken
from .accuracy_lines import print_accuracy  # noqa: F401 - cimsim.commands.run.print_accuracy
from .load import arrivals_option, at_load, load_options, slo_options, stated_load
from .cim_lines import floorplan_texts as _floorplan_texts, programming_text, unit_energy_text
from .placement import critical_path_rows, print_critical_path, print_placement
from .steady import steady_of, steady_option
from .. import bundled
from ..atomic import check_writable
from ..errors import CimsimError, MappingError, OverflowInputError
from ..inputs import file_record
from ..report import columns as C
from ..report.load import load_rows
from ..report.models import model_rows
from ..report.phases import phase_rows
from ..report.devices import efficiency_text, system, energy_text, latency_text, power_text, vector_text, work_text
from ..report.plausible import WARNING
from ..report.provenance import placeholder_warning
from ..report.result import json_number
from ..report.ridge import dtype_rated, level_ridge_text, peak_text
from ..report.samples import per_sample_text, steady_energy_by_part
from ..report.columns import DEPENDENCY_PATH, REALIZED_PATH
from ..report.format import NBSP, NO_ENERGY, keep_units, pct, per_joule, rate, si
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
@click.option("--kv-link", "kv_link", default=None, metavar="LINK",
              help="Prefill/decode disaggregation of an LLM serving run: ship each request's KV cache "
                   "from a prefill node to a decode node (both this config) over LINK, "
                   "'bandwidth=400Gb/s,latency=5us,energy_per_bit=10pJ/bit' (split --link's fields, or a "
                   "YAML file): per request KV bytes, transfer time and energy, TTFT on the decode node, "
                   "TPOT of the decode-only steps, tokens/J over both nodes and the transfers.")
@click.option("--kv-overlap", "kv_overlap", type=click.Choice(["none", "layer"]), default="none",
              show_default=True, help="With --kv-link: none ships the whole cache once the prefill ends "
              "(DistServe); layer ships each layer's share as the prefill writes it, only the last "
              "layer's after it (Splitwise, Mooncake). The first token comes from the prefill node "
              "either way; the transfer delays the second (ttft2_disagg_s).")
@click.option("--prefill-run", "prefill_run", default=None, metavar="PF.json",
              help="With --kv-link on the decode node's run (the workload with --prefix P-1): the "
              "prefill node's run --json of the workload with --decode 0 and no --prefix P-1 (any config); first tokens "
              "and its energy come from it, this run's 1-row admission passes are dropped: the "
              "placement's TTFT, TPOT and tokens/J over both nodes and the transfers.")
@click.option("--pipeline-schedule", type=click.Choice(["flush", "noflush"]), default=None,
              help="A pipeline-parallel serving run (workload llm --pipeline-parallel, --micro-batches): "
              "flush drains the stages between iterations (GPipe, the workload's default); noflush "
              "sends each micro-batch's next step into stage 0 when its tokens return and stage 0 is "
              "free (a layer pipeline streaming tokens). Sets the workload's llm.pipeline.schedule.")
@steady_option
@timing_option
def run(config: str, workload: str, engine: str, sets: tuple[str, ...], as_json: bool,
        placement: bool, cpath: bool, trace_file: Path | None, accuracy: bool, dataset: str | None,
        output_kind: str = "auto", period: str | None = None, deadline: str | None = None, idle: str = "on",
        harvest=None, storage=None, arrivals=None, ttft_slo=None, tpot_slo=None, steady: bool = False,
        kv_link: str | None = None, pipeline_schedule: str | None = None, kv_overlap: str = "none",
        prefill_run: str | None = None) -> None:
    """Simulate WORKLOAD (a file or bundled name) on CONFIG (a YAML file or bundled name).

    With --accuracy, WORKLOAD is an evaluation model (e.g. cimsim run rram-cim digits-cnn
    --accuracy --json): its traced forward pass gives the cost, the same model run with the
    design's arithmetic gives the accuracy."""
    from ..config import load_architecture
    from ..config.origin import origin
    from ..studies import run_one
    from ..workload import load_workload

    load = stated_load(period, deadline, idle, harvest, storage, True, arrivals, (ttft_slo, tpot_slo))  # before the run
    if kv_link is not None:  # before the run, as the load
        from ..report.disagg import parse_kv_link

        link = parse_kv_link(kv_link)
        if accuracy:
            raise OneLineUsageError("--kv-link goes with an LLM serving run, not --accuracy")
    elif kv_overlap != "none" or prefill_run is not None:
        raise OneLineUsageError(f"{'--kv-overlap' if kv_overlap != 'none' else '--prefill-run'} goes with --kv-link")
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
    if kv_link is not None:  # a workload with no KV cache to ship: refused before the run
        from ..report.disagg import check_kv_workload

        check_kv_workload(wl)
        if prefill_run is not None:  # find-E3 2: the prefill node's run, checked before this one
            from ..report.disagg_pair import load_prefill_run

            prefill_run = load_prefill_run(prefill_run, wl)
    if pipeline_schedule is not None:  # find-C3 3: the schedule of a pipelined serving run
        from ..report.pipeline import with_schedule

        with_schedule(wl, pipeline_schedule)
    # the per-op table costs memory and time: build it only when something shows it
    try:
        result = run_one(arch, wl, engine=engine, keep_ops=placement or trace_file is not None)
    except MappingError as exc:  # the config cannot run this workload: name the file and --sets
        raise MappingError(f"{origin(config_path, overrides(sets))}{exc}") from None
    except OverflowInputError as exc:  # an extreme value overflowed: the --set or file that gave it
        raise OverflowInputError(f"{origin(config_path, overrides(sets), exc.field)}{exc}",
                                 exc.field) from None
    steady_run = steady_of(steady, arch, wl, engine, result, load)  # the cold call before the load
    result = at_load(result, load)
    if kv_link is not None:  # find-E2 3: the KV cache shipped prefill node -> decode node
        from ..report.disagg import with_kv_link

        result = with_kv_link(result, wl, link, arch, kv_overlap, prefill_run)
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
        out = steady_run.json(result.to_json()) if steady_run else result.to_json()
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
        if steady_run is not None:
            click.echo(steady_run.text())
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
        ("latency", latency_text(r)),
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
        from ..report.disagg import rows as disagg_rows

        rows += disagg_rows(r)
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
