"""``cimsim split EDGE SERVER -w WORKLOAD --link LINK``: a split-point study (:mod:`cimsim.split`),
printed as one table per link, written with ``-o`` (CSV or Parquet) and ``--figure`` (PNG/SVG/PDF)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import OneLineErrors, OneLineUsageError, console, created, new_folder
from .. import bundled
from ..atomic import atomic_write, check_writable
from ..errors import CimsimError
from ..report import columns as C
from ..report.format import si
from .run import engine_option, overrides

_TABLES = (".csv", ".parquet")
_FIGURES = (".png", ".svg", ".pdf")


def _suffix(path: Path | None, option: str, allowed: tuple[str, ...]) -> None:
    if path is not None and path.suffix.lower() not in allowed:
        raise OneLineUsageError(f"{option} {path}: the name must end in {' or '.join(allowed)}")


def _bandwidth_links(links, bandwidths: tuple[str, ...]):
    """Each link at each ``--bandwidth`` uplink rate (the links as given without any)."""
    from ..units import UnitError, parse_quantity

    rates = []
    for text in (b for spec in bandwidths for b in spec.split(",") if b.strip()):
        try:
            rate = parse_quantity(text.strip(), "B/s")
        except UnitError as exc:
            raise OneLineUsageError(f"--bandwidth {text.strip()}: {exc}") from None
        if rate <= 0:
            raise OneLineUsageError(f"--bandwidth {text.strip()}: a rate above 0, e.g. '10 Mb/s'")
        rates.append(rate)
    return [v for link in links for v in link.at_uplinks(rates)] if rates else list(links)


def _load(config: str, sets: tuple[str, ...], option: str):
    """The config with its ``--edge-set`` / ``--server-set`` overrides; a refusal names that
    option, not ``--set`` (which split has not: find-C 6)."""
    from ..config import load_architecture

    try:
        return load_architecture(bundled.resolve_config(config), overrides(sets, option), cli=True)
    except CimsimError as exc:
        text = str(exc)
        if "--set " not in text:
            raise
        try:
            new = type(exc)(text.replace("--set ", f"{option} "))
            new.__dict__.update(exc.__dict__)
        except Exception:  # pragma: no cover - an error type of another signature
            raise exc from None
        raise new from None


def _label(arch, sets: tuple[str, ...]) -> str:
    """A config's name with its ``--edge-set`` / ``--server-set`` overrides (``edge-cim
    [cim.arrays=2048]``)."""
    return f"{arch.name} [{', '.join(sets)}]" if sets else arch.name


def _ms(x: float) -> str:
    return si(x, "s", 3)


def _j(x: float) -> str:
    return si(x, "J", 3)


def _print(study, width: int | None = None) -> None:
    from rich import box
    from rich.table import Table

    out = console()
    rows = study.rows
    for link in study.links:
        t = Table(title=f"{study.workload}: edge {study.edge_config}, server {study.server_config}, "
                        f"link {link.name} ({si(link.uplink_bytes_per_s * 8, 'b/s')} up"
                        f"{', ' + si(link.downlink_bytes_per_s * 8, 'b/s') + ' down' if link.downlink_bytes_per_s else ''}"
                        f", {si(link.latency_s, 's')} latency)", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1), collapse_padding=True)
        cells = {"cut": lambda r: str(r[C.SPLIT_CUT]), "after op": lambda r: r[C.SPLIT_AFTER_OP],
                 "sent": lambda r: si(r[C.UPLINK_BYTES], "B", 3)
                 + (f" ({r[C.SPLIT_TENSORS]})" if r[C.SPLIT_TENSORS] > 1 else ""),
                 "edge": lambda r: _ms(r[C.EDGE_LATENCY_S]), "edge E": lambda r: _j(r[C.EDGE_ENERGY_J]),
                 "link": lambda r: _ms(r[C.LINK_S]), "edge radio": lambda r: _j(r[C.EDGE_RADIO_J]),
                 "server": lambda r: _ms(r[C.SERVER_LATENCY_S]),
                 "server E": lambda r: _j(r[C.SERVER_ENERGY_J]),
                 "total": lambda r: _ms(r[C.TOTAL_LATENCY_S]) + (" *" if r[C.BEST_LATENCY] else "  "),
                 "edge+radio+wait E": lambda r: _j(r[C.EDGE_TOTAL_ENERGY_J])
                 + (" *" if r[C.BEST_EDGE_ENERGY] and study.period_s is None else "  ")}
        if study.period_s is not None:  # a frame's energy and the average power at the period
            cells["edge E/period"] = lambda r: (_j(r[C.SPLIT_PERIOD_ENERGY_J]) if r[C.SUSTAINS_PERIOD] is True
                                                else "too slow") + (" *" if r[C.BEST_EDGE_ENERGY] else "  ")
            cells["edge power"] = lambda r: si(r[C.SPLIT_AVERAGE_POWER_W], "W", 3) if r[C.SUSTAINS_PERIOD] is True else "-"
        if out.width < 118:  # a narrow terminal: the parts the totals add up, left to -o
            for head in ("edge E", "edge radio", "server E", *(("edge+radio+wait E",) if study.period_s else ())):
                del cells[head]
        for head in cells:
            text = head == "after op"
            t.add_column(head, justify="left" if text else "right", no_wrap=not text,
                         overflow="fold", min_width=14 if text else None)
        for r in (r for r in rows if r[C.SPLIT_LINK] == link.name):
            t.add_row(*(cell(r) if not r[C.ERROR] or head in ("cut", "after op", "sent") else "n/a"
                        for head, cell in cells.items()))
        out.print(t)
        refused = [r for r in rows if r[C.SPLIT_LINK] == link.name and r[C.ERROR]]
        if refused:
            out.print(f"{len(refused)} cut(s) not run (n/a: {_refusals(refused)}), e.g. cut "
                      f"{refused[0][C.SPLIT_CUT]}: {refused[0][C.ERROR]}", markup=False)
        if len(refused) == len([r for r in rows if r[C.SPLIT_LINK] == link.name]):
            continue
        fast = study.best(link.name, "latency")
        out.print(f"sent: bytes uplink (tensors crossing, where more than one); link: uplink + "
                  f"downlink time; E: energy, static over the half's own run; edge+radio+wait E: "
                  f"the edge's run, its radio and its static power "
                  f"({si(study.edge_static_w, 'W')}) while it waits; * the best; "
                  + _period_legend(study, link.name) +
                  f"best for latency: cut {fast[C.SPLIT_CUT]} (after {fast[C.SPLIT_AFTER_OP]}), "
                  f"{_ms(fast[C.TOTAL_LATENCY_S])}; " + _frugal(study, link.name), markup=False)
    for note in study.notes:
        out.print(f"note: {note}", markup=False)


def _period_legend(study, link: str) -> str:
    """The legend's ``--period`` part: what the period columns are, and the cuts too slow."""
    if study.period_s is None:
        return ""
    slow = [r for r in study.rows if r[C.SPLIT_LINK] == link and not r[C.ERROR] and not r[C.SUSTAINS_PERIOD]]
    return (f"edge E/period: one frame every {_ms(study.period_s)} "
            f"({si(1 / study.period_s, 'Hz', 4)}), the edge's run and radio + its static power over "
            f"the whole period (on between frames), edge power that / the period; "
            + (f"too slow: {len(slow)} cut(s) whose edge half, uplink, server or downlink takes "
               f"longer than the period (e.g. cut {slow[0][C.SPLIT_CUT]}: edge "
               f"{_ms(slow[0][C.EDGE_LATENCY_S])}, link {_ms(slow[0][C.UPLINK_S])}, server "
               f"{_ms(slow[0][C.SERVER_LATENCY_S])}); " if slow else ""))


def _frugal(study, link: str) -> str:
    """``best for edge energy: cut N (after OP), X J`` (a frame's at the period), or why none."""
    try:
        r = study.best(link, "edge_energy")
    except ValueError:
        return "no cut sustains the period"
    what = "per frame" if study.period_s is not None else ""
    return (f"best for edge energy{' ' + what if what else ''}: cut {r[C.SPLIT_CUT]} (after "
            f"{r[C.SPLIT_AFTER_OP]}), {si(r[study.edge_energy_key], 'J')}"
            + (f" ({si(r[C.SPLIT_AVERAGE_POWER_W], 'W')})" if study.period_s is not None else ""))


def _refusals(rows) -> str:
    """``12 do not fit, 1 cimsim error``: the refused rows counted by what refused them."""
    from ..split.study import REFUSALS

    counts = {kind: sum(f": {kind}: " in f": {r[C.ERROR]}" for r in rows) for kind in REFUSALS}
    return ", ".join(f"{n} {kind.replace('does not', 'do not') if n > 1 else kind}"
                     for kind, n in counts.items() if n)


@click.command("split", cls=OneLineErrors)
@click.argument("edge")
@click.argument("server")
@click.option("-w", "--workload", required=True, help="Workload file or bundled name to cut.")
@click.option("--link", "links", multiple=True, required=True, metavar="LINK",
              help="The edge-server link: a YAML file or KEY=VALUE,... with uplink= (or bandwidth=), "
                   "downlink=, latency= (or rtt=), tx_energy= (or energy_per_bit=), rx_energy=, "
                   "name= (repeatable: one table per link).")
@click.option("--bandwidth", "bandwidths", multiple=True, metavar="RATE[,RATE...]",
              help="Sweep the uplink rate: each --link at each of these rates (e.g. "
                   "'1Mb/s,10Mb/s,100Mb/s'); the links' uplink= may then be left out.")
@click.option("--cut-dtype", default=None, metavar="DTYPE",
              help="Send the floating-point crossing tensors as this dtype where it is narrower "
                   "(int8: 1 B an element; one of fp32, fp16, bf16, fp8, int8, int4); indices, "
                   "masks and integer tensors keep their own, and none is widened; the halves "
                   "still run at their own dtypes.")
@click.option("--cut-bits", "cut_bits", multiple=True, metavar="NAME=BITS",
              help="Send crossing tensor NAME at BITS an element (repeatable), before "
                   "--cut-dtype: a RAW10 frame x=10 (307,200 pixels: 384,000 B), an event bitmap 1.")
@click.option("--cut-density", "cut_density", multiple=True, metavar="NAME=FRACTION,BYTES",
              help="Send crossing tensor NAME as its nonzeros (repeatable): FRACTION of its "
                   "elements, BYTES each (an event camera's AER events: x=0.01,4B).")
@click.option("--output-to", type=click.Choice(["edge", "server"]), default="edge", show_default=True,
              help="Which side consumes the model's outputs: edge (those the server makes come "
                   "back where the link has a downlink; the edge-only cut sends nothing) or server "
                   "(a sensor's host: every cut sends the outputs the edge makes uplink, the "
                   "edge-only cut too, nothing comes back, the edge waits for its radio only).")
@click.option("--after", "after", multiple=True, metavar="PATTERN",
              help="Only cuts right after an op whose name matches this glob (repeatable).")
@click.option("--module-depth", type=click.IntRange(min=1), default=None,
              help="Only cuts at module boundaries: where the first N dotted parts of the op's "
                   "module tag change (2: between blocks.0 and blocks.1).")
@click.option("--single-tensor", is_flag=True, help="Only cuts with exactly one tensor crossing.")
@click.option("--lowered-cuts", is_flag=True,
              help="Keep the cuts right after a lowering copy (a convolution's im2col matrix, a "
                   "matmul's gathered operand), which would send that copy: left out by default.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the rows, one per link and cut (.csv or .parquet).")
@click.option("--figure", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Draw total latency and the edge's energy against the cut, a line per link "
                   "(.png, .svg or .pdf).")
@click.option("--period", metavar="TIME|RATE", default=None,
              help="One frame every period (e.g. 30Hz, 33.3ms), the halves and the link "
                   "pipelined: adds each cut's edge energy per frame (its run and radio + its "
                   "static power over the whole period), average power, and whether every stage "
                   "keeps up (sustains_period; 'too slow' where not).")
@engine_option
@click.option("--edge-set", "edge_sets", multiple=True, metavar="PATH=VALUE",
              help="Override a field of the EDGE config (repeatable), e.g. --edge-set cim.static_power=10uW.")
@click.option("--server-set", "server_sets", multiple=True, metavar="PATH=VALUE",
              help="Override a field of the SERVER config (repeatable).")
def split(edge: str, server: str, workload: str, links: tuple[str, ...], bandwidths: tuple[str, ...],
          cut_dtype: str | None, after: tuple[str, ...], module_depth: int | None,
          single_tensor: bool, lowered_cuts: bool, output: Path | None, figure: Path | None,
          period: str | None, cut_bits: tuple[str, ...], cut_density: tuple[str, ...],
          output_to: str, engine: str,
          edge_sets: tuple[str, ...], server_sets: tuple[str, ...]) -> None:
    """Split WORKLOAD between EDGE and SERVER (configs: YAML files or bundled names): at every
    cut of its op order (or those --after / --module-depth / --single-tensor keep; always cut 0,
    server only, and the last, edge only), run the ops before the cut on EDGE and the rest on
    SERVER, send the tensors crossing the cut over each --link, and print per cut the edge's,
    the link's and the server's time and energy, the totals and the best cut."""
    from ..config import load_architecture
    from ..split import cut_points, parse_link, split_study
    from ..workload import load_workload

    _suffix(output, "-o", _TABLES)
    _suffix(figure, "--figure", _FIGURES)
    parsed = _bandwidth_links([parse_link(text, uplink_given=any(b.strip(",") for b in bandwidths))
                               for text in links], bandwidths)
    for path, option in ((output, "-o"), (figure, "--figure")):
        if path is not None:
            check_writable(path, option)
    edge_arch = _load(edge, edge_sets, "--edge-set")
    server_arch = _load(server, server_sets, "--server-set")
    wl = load_workload(bundled.resolve_workload(workload), progress=True)
    cuts = cut_points(wl, after=after, module_depth=module_depth, single_tensor=single_tensor,
                      lowered=lowered_cuts)

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            click.echo(f"\rcut {done}/{total} run on both configs", err=True, nl=done == total)

    study = split_study(edge_arch, server_arch, wl, parsed, cuts=cuts, cut_dtype=cut_dtype,
                        engine=engine, progress=progress, edge_name=_label(edge_arch, edge_sets),
                        server_name=_label(server_arch, server_sets), period=period,
                        cut_bits=cut_bits, cut_density=cut_density, output_to=output_to)
    _print(study)
    if output is not None:
        made = new_folder(output)
        df = study.table()
        if output.suffix.lower() == ".csv":
            atomic_write(output, lambda tmp: df.to_csv(tmp, index=False))
        else:
            from ..sweep.store import with_column_units

            with_column_units(df)  # {column: unit} in the Parquet's attrs (review 23 G 7)
            atomic_write(output, lambda tmp: df.to_parquet(tmp, index=False))
        click.echo(f"wrote {output}{created(made)}")
    if figure is not None:
        from ..plot.split import split_figure

        made = new_folder(figure)
        fig = split_figure(study)
        atomic_write(figure, lambda tmp: fig.savefig(tmp, format=figure.suffix[1:].lower()))
        click.echo(f"wrote {figure}{created(made)}")
    if not study.rows:  # pragma: no cover - cut_points always keeps the two ends
        raise CimsimError("no cut to report")
