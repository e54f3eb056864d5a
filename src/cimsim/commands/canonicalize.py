"""``cimsim workload canonicalize IN -o OUT``: a workload file re-listed in its canonical program
order (:meth:`cimsim.workload.ir.Workload.canonical`), so that two listings of one graph give one
file and runs of them can be compared (README "Program order")."""

from __future__ import annotations

from pathlib import Path

import click

from . import OneLineErrors, cannot_write, created, full_path, new_output
from .workload import _output, workload


@workload.command("canonicalize", cls=OneLineErrors)
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path), metavar="IN")
@_output
def canonicalize_cmd(source, output):
    """Write workload IN in its canonical program order: topological, among ops ready together
    the smallest op name first (iterations of an LLM serving run and models of a merge keep
    their ops), tensors by name. Two valid listings of one graph give the same file. Its
    latency is that one listing's, not the graph's: renaming ops can change which listing is
    canonical, and so the latency."""
    from ..workload.io import load_workload, save_workload, stamp_writer

    w = load_workload(source)
    c = w.canonical()
    moved = sum(a != b for a, b in zip(w.columns.op_names, c.columns.op_names))
    made = new_output(output)
    try:
        save_workload(stamp_writer(c), output)
    except OSError as exc:
        raise cannot_write(output, exc) from None
    click.echo(f"wrote {full_path(output)}: {c.name}: {len(c):,} ops in canonical order "
               f"({moved:,} of them at another place than in {full_path(source)}){created(made)}")
