"""``cimsim trace``: trace a PyTorch model (or the reference models) into workload JSON."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import CimsimError

_REFERENCE_NAMES = ("lstm", "gru", "hier-attn", "transformer", "tcn")


@click.command("trace")
@click.argument("spec", required=False, metavar="PATH.py:FACTORY|package.module:FACTORY")
@click.option("-o", "--output", required=True, type=click.Path(),
              help="Workload JSON to write; a directory with --reference all.")
@click.option("--name", default=None, help="Workload name (default: the file name without .json).")
@click.option("--allow-unknown", is_flag=True,
              help="Map ops the tracer does not know to generic elementwise ops (listed in the metadata).")
@click.option("--reference", type=click.Choice((*_REFERENCE_NAMES, "all")), default=None,
              help="Trace cimsim's reference model NAME (bundled sizes) instead of SPEC; 'all' "
                   "regenerates every one into the directory -o.")
def trace_command(spec, output, name, allow_unknown, reference):
    """Trace a PyTorch model into a cimsim workload.

    SPEC names a function returning (model, example_inputs), e.g.
    examples/lstmcell_loop.py:factory. The file is imported and run as Python
    code with your permissions, like `python FILE`: trace only files you trust.
    Nothing is unpickled. Needs the torch extra: pip install 'cimsim[torch]'.
    """
    if (spec is None) == (reference is None):
        raise click.UsageError("give either SPEC or --reference NAME")
    try:
        from ..workload.io import save_workload
        from ..workload.trace import require_torch

        require_torch()
        if reference is not None:
            from ..models import trace_reference

            names = _REFERENCE_NAMES if reference == "all" else (reference,)
            out = Path(output)
            for ref in names:
                as_dir = reference == "all" or out.is_dir() or output.endswith(("/", "\\"))
                path = out / f"{ref}.json" if as_dir else out
                w = trace_reference(ref)
                if name and reference != "all":
                    w.name = name
                save_workload(w, path)
                _report(w, path)
            return
        from ..workload.trace import load_factory, trace

        model, inputs = load_factory(spec)
        path = Path(output)
        w = trace(model, inputs, name=name or path.stem, allow_unknown=allow_unknown)
        save_workload(w, path)
        _report(w, path)
    except CimsimError as exc:
        raise click.ClickException(str(exc)) from None


def _report(w, path) -> None:
    unknown = w.metadata.get("unknown_ops") or []
    extra = f", {len(unknown)} unknown op(s) mapped to generic elementwise" if unknown else ""
    click.echo(f"wrote {path}: {len(w.ops)} ops, {w.macs} MACs, "
               f"{w.weight_bytes} weight bytes{extra}")


#: the name ``cimsim.cli`` registers
trace = trace_command
