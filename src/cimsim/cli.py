"""Command line: glue only (parse, load, call, print/write).

Every error a user can cause prints one line on stderr and exits with status
1 (2 for usage errors), never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import bundled
from .commands import OneLineErrors, OneLineUsageError
from .config import load_architecture
from .errors import CimsimError
from .report import columns as C
from .report.format import pct, si
from .simulate import ENGINES, simulate
from .workload import load_workload


class _Group(click.Group):
    """Turns cimsim's input errors into one-line messages."""

    command_class = OneLineErrors

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CimsimError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cimsim")
def main() -> None:
    """cimsim: latency, energy and utilization of neural workloads on
    processor / DRAM / near-bank PIM / compute-in-memory architectures."""


def _engine_option(f):
    return click.option("--engine", type=click.Choice(ENGINES), default="des", show_default=True,
                        help="des: discrete-event simulation; analytic: bounds only")(f)


def _overrides(sets: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in sets:
        path, eq, value = item.partition("=")
        if not eq or not path.strip() or not value.strip():
            raise OneLineUsageError(f"--set {item!r}: expected PATH=VALUE, e.g. memory.bandwidth=1TB/s")
        out[path.strip()] = value.strip()
    return out


def _set_option(f):
    return click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
                        help="Override a config field (repeatable), e.g. --set memory.bandwidth=1TB/s; "
                             "`cimsim fields` lists the paths.")(f)


@main.command()
@click.argument("config")
@click.argument("workload")
@_engine_option
@_set_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--placement", is_flag=True, help="Also list where each op runs and its cost.")
@click.option("--trace", "trace_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the op timeline as a Chrome/Perfetto trace-event JSON file.")
def run(config: str, workload: str, engine: str, sets: tuple[str, ...], as_json: bool,
        placement: bool, trace_file: Path | None) -> None:
    """Simulate WORKLOAD (a file or bundled name) on CONFIG (a YAML file or bundled name)."""
    arch = load_architecture(bundled.resolve_config(config), _overrides(sets))
    wl = load_workload(bundled.resolve_workload(workload), progress=True)
    result = simulate(arch, wl, engine=engine)
    if trace_file is not None:
        from .report.trace_events import write_trace

        write_trace(result, trace_file)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    _print_result(result)
    if placement:
        _print_placement(result)


def _console(min_width: int = 120):
    """A rich console of at least ``min_width`` columns off a terminal (rich assumes 80)."""
    from rich.console import Console

    probe = Console()
    return probe if probe.is_terminal else Console(width=max(min_width, probe.width))


def _print_result(r) -> None:
    from rich.table import Table

    console = _console()
    console.print(f"[bold]{r.workload}[/] on [bold]{r.architecture}[/] ({r.engine} engine)")
    head = Table(show_header=False, box=None, pad_edge=False)
    pt = r.path_time_s
    total = sum(pt.values()) or 1.0
    rows = [
        ("latency", si(r.latency_s, "s")),
        ("energy", si(r.energy_j, "J")),
        ("bound", f"{r.bound}  (critical path time: "
                  + ", ".join(f"{k} {pct(v / total)}" for k, v in pt.items()) + ")"),
        ("critical path", f"{si(r.critical_path_s, 's')} over {r.critical_path_ops} ops "
                          f"(ops alone, no contention)"),
        ("parallelism", f"{r.parallelism:.3g} (sum of op times / critical path)"),
        ("lower bounds", f"bandwidth {si(r.bound_memory_s, 's')}, compute {si(r.bound_compute_s, 's')}"),
        ("work", f"{si(r.macs, 'MAC')}, {r.ops} ops, throughput {si(r.throughput_macs_per_s, 'MAC/s')}"),
        ("DRAM traffic", si(r.dram_bytes, "B")),
        ("footprint", f"weights {si(r.weight_bytes, 'B')}, activations {si(r.activation_bytes, 'B')}"),
        ("ops per unit", ", ".join(f"{k} {v}" for k, v in r.ops_per_unit.items())),
    ]
    for k, v in rows:
        head.add_row(f"  {k}", v)
    console.print(head)
    et = Table(title="energy by component", title_justify="left")
    et.add_column("component")
    et.add_column("energy", justify="right")
    et.add_column("share", justify="right")
    for comp, val in r.energy_breakdown_j.items():
        if val:
            et.add_row(comp, si(val, "J"), pct(val / r.energy_j if r.energy_j else 0.0))
    console.print(et)
    ut = Table(title="utilization (fraction of peak over the run)", title_justify="left")
    ut.add_column("resource")
    ut.add_column("utilization", justify="right")
    for res, val in r.utilization.items():
        ut.add_row(res, pct(val))
    console.print(ut)
    for note in r.notes:
        console.print(f"  note: {note}")


def _print_placement(r) -> None:
    from rich.table import Table

    t = Table(title="placement (per op)", title_justify="left")
    for col in ("#", "op", "kind", "unit", "MACs", "DRAM bytes", "compute", "latency", "start", "end"):
        t.add_column(col, justify="left" if col in ("op", "kind", "unit") else "right")
    df = r.op_table
    for i, row in enumerate(df.itertuples(index=False)):
        t.add_row(str(i), row.op, row.kind, row.unit + (" (reprogram)" if row.cim_reprogram else ""),
                  f"{row.macs:.4g}", si(row.dram_bytes, "B"), si(row.compute_s, "s"),
                  si(row.latency_s, "s"), si(row.start_s, "s"), si(row.end_s, "s"))
    _console().print(t)


@main.command()
@click.argument("configs", nargs=-1)
@click.option("-w", "--workload", "workloads", multiple=True,
              help="Workload file or bundled name (repeatable; default: all bundled).")
@_engine_option
@_set_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every metric to this CSV file.")
def compare(configs: tuple[str, ...], workloads: tuple[str, ...], engine: str,
            sets: tuple[str, ...], output: Path | None) -> None:
    """Simulate every workload on every config and print a comparison table.

    CONFIGS are YAML files or bundled names (default: all bundled configs).
    """
    import pandas as pd
    from rich.table import Table

    config_paths = [bundled.resolve_config(c) for c in configs] or bundled.config_paths()
    workload_paths = [bundled.resolve_workload(w) for w in workloads] or bundled.workload_paths()
    overrides = _overrides(sets)
    archs = [load_architecture(p, overrides) for p in config_paths]
    wls = [load_workload(p) for p in workload_paths]
    rows = []
    for wl in wls:
        for arch in archs:
            rows.append(simulate(arch, wl, engine=engine, keep_ops=False).record())
    df = pd.DataFrame(rows, columns=list(C.RESULT_COLUMNS))
    t = Table(title=f"cimsim compare ({engine} engine)", title_justify="left")
    headers = ["workload", "architecture", "latency", "energy", "bound", "MAC util",
               "DRAM BW util", "CIM util", "critical path", "path ops", "DRAM traffic", "CIM reprograms"]
    for h in headers:
        t.add_column(h, justify="left" if h in ("workload", "architecture", "bound") else "right",
                     no_wrap=h in ("workload", "architecture"))
    for row in df.itertuples(index=False):
        r = row._asdict()
        t.add_row(
            r[C.WORKLOAD], r[C.ARCHITECTURE], si(r[C.LATENCY], "s"), si(r[C.ENERGY], "J"), r[C.BOUND],
            pct(r[C.util_column("mac")]), pct(r[C.util_column("dram_bw")]),
            pct(r[C.util_column("cim_arrays")]), si(r[C.CRITICAL_PATH_S], "s"),
            str(r[C.CRITICAL_PATH_OPS]), si(r[C.DRAM_BYTES], "B"), str(r[C.CIM_REPROGRAMS]),
        )
    _console(min_width=180).print(t)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(output, index=False)
        click.echo(f"wrote {len(df)} rows to {output}")


@main.command()
@click.argument("prefix", required=False, default="")
def fields(prefix: str) -> None:
    """List every config field (dotted path, type or SI unit, default, description).

    PREFIX limits the list, e.g. `cimsim fields cim`. Any of these paths can be
    swept with `cimsim sweep --param PATH=SPEC`.
    """
    from rich.markup import escape
    from rich.table import Table

    from .config.schema import describe_fields

    rows = [f for f in describe_fields() if f.path.startswith(prefix)]
    if not rows:
        raise click.ClickException(f"no config field starts with '{prefix}'")
    t = Table(title="config fields", title_justify="left")
    for col in ("path", "type", "default", "description"):
        t.add_column(col, no_wrap=col == "path")
    for f in rows:
        t.add_row(*(escape(x) for x in (f.path, f.type, f.default or "(required)", f.description)))
    _console(min_width=160).print(t)


# subcommands living in their own modules; each imports its heavy or optional
# dependencies (torch, dask) only when it runs
from .commands.plot import plot  # noqa: E402
from .commands.sweep import sweep  # noqa: E402
from .commands.trace import trace  # noqa: E402
from .commands.workload import workload  # noqa: E402

for _command in (workload, trace, sweep, plot):
    main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
