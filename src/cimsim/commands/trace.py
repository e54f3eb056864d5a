"""``cimsim trace``: trace a PyTorch model (a factory, a zoo model, a Hugging Face config, or the
reference models) into workload JSON."""

from __future__ import annotations

import time
from pathlib import Path

import click

from ..errors import CimsimError

_REFERENCE_NAMES = ("lstm", "gru", "hier-attn", "transformer", "tcn")


def _kv(pairs, option) -> dict:
    import yaml

    out = {}
    for p in pairs:
        key, sep, value = p.partition("=")
        if not sep or not key.isidentifier():
            raise click.UsageError(f"{option} '{p}' must be KEY=VALUE with KEY a name")
        v = yaml.safe_load(value)
        out[key] = tuple(v) if isinstance(v, list) else v
    return out


@click.command("trace")
@click.argument("spec", required=False, metavar="PATH.py:FACTORY|package.module:FACTORY")
@click.option("-o", "--output", required=True, type=click.Path(),
              help="Workload JSON to write; a directory with --reference all.")
@click.option("--name", default=None, help="Workload name (default: the file name without .json).")
@click.option("--allow-unknown", is_flag=True,
              help="Keep aten ops without a mapping as generic ops carrying their FLOP-counter MACs "
                   "(listed in the metadata) instead of failing.")
@click.option("--reference", type=click.Choice((*_REFERENCE_NAMES, "all")), default=None,
              help="Trace cimsim's reference model NAME (bundled sizes) instead of SPEC; 'all' "
                   "regenerates every one into the directory -o.")
@click.option("--zoo", "zoo_name", default=None, metavar="NAME",
              help="Trace a model of cimsim.zoo (e.g. gpt2, llama-decode, resnet); sizes via --param.")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="Override a --zoo factory argument or model config field (repeatable), "
                   "e.g. --zoo gpt2 --param n_layer=12.")
@click.option("--hf", "hf_type", default=None, metavar="MODEL_TYPE",
              help="Trace a Hugging Face transformers model built from its config class with random "
                   "weights (no download), fed token ids, e.g. gpt2, llama, bert.")
@click.option("--hf-config", "hf_config", multiple=True, metavar="KEY=VALUE",
              help="A config field of the --hf model (repeatable), e.g. num_hidden_layers=12.")
@click.option("--seq", type=click.IntRange(min=1), default=8, show_default=True,
              help="--hf: tokens of the prompt.")
@click.option("--cache", type=click.IntRange(min=0), default=0, show_default=True,
              help="--hf: trace one decode step against a KV cache of this many tokens (causal LMs).")
def trace_command(spec, output, name, allow_unknown, reference, zoo_name, params, hf_type,
                  hf_config, seq, cache):
    """Trace a PyTorch model into a cimsim workload.

    SPEC names a function returning (model, example_inputs) or (model,
    example_inputs, example_kwargs), e.g. examples/lstmcell_loop.py:factory. The file is
    imported and run as Python code with your permissions, like `python FILE`: trace only
    files you trust. Nothing is unpickled. Needs the torch extra: pip install 'cimsim[torch]'.
    """
    given = [x for x in (spec, reference, zoo_name, hf_type) if x is not None]
    if len(given) != 1:
        raise click.UsageError("give exactly one of SPEC, --reference NAME, --zoo NAME, --hf MODEL_TYPE")
    if params and zoo_name is None:
        raise click.UsageError("--param goes with --zoo")
    if (hf_config or cache) and hf_type is None:
        raise click.UsageError("--hf-config and --cache go with --hf")
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
                t0 = time.perf_counter()
                w = trace_reference(ref)
                if name and reference != "all":
                    w.name = name
                save_workload(w, path)
                _report(w, path, time.perf_counter() - t0)
            return
        from ..workload.trace import trace

        path = Path(output)
        kwargs = {}
        t0 = time.perf_counter()
        if spec is not None:
            from ..workload.trace import load_factory

            model, inputs, kwargs = load_factory(spec, with_kwargs=True)
        elif zoo_name is not None:
            from .. import zoo

            model, inputs, kwargs = zoo.build(zoo_name, **_kv(params, "--param"))
        else:
            from .. import zoo

            model, inputs, kwargs = zoo.hf_causal_or_base(hf_type, _kv(hf_config, "--hf-config"), seq, cache)
        w = trace(model, inputs, name=name or path.stem, allow_unknown=allow_unknown,
                  example_kwargs=kwargs or None)
        save_workload(w, path)
        _report(w, path, time.perf_counter() - t0)
    except CimsimError as exc:
        raise click.ClickException(str(exc)) from None


def _report(w, path, seconds: float) -> None:
    unknown = w.metadata.get("unknown_ops") or []
    extra = f", {len(unknown)} unknown op(s) kept as generic ops" if unknown else ""
    blind = sum(u.get("macs") is None for u in unknown)
    if blind:
        extra += f" ({blind} with no FLOP formula: their MACs, if any, are not counted)"
    share = w.metadata.get("mapped_mac_share")
    mapped = f", {share:.1%} of MACs mapped to specific kinds" if share is not None else ""
    from ..report.format import si

    click.echo(f"wrote {path}: {len(w.ops)} ops, {w.macs:,} MACs ({si(w.macs, 'MAC')}), weights "
               f"{si(w.weight_bytes, 'B')}{mapped}{extra} ({si(seconds, 's')})")


#: the name ``cimsim.cli`` registers
trace = trace_command
