"""``cimsim trace``: trace a PyTorch model (a factory of yours, or a model of cimsim.zoo by name)
or import an ONNX model (``--onnx``) into workload JSON."""

from __future__ import annotations

import math
import time
from pathlib import Path

import click

from ..errors import CimsimError
from ..workload.argnames import option_names
from ..workload.torchfiles import torch_file, torch_file_error
from ..workload.trace.common import batch_mismatch, batch_note, quiet_batch
from . import OneLineErrors, created, full_path, new_output
from .workload import check_name, command_options, serving_params, trace_serving_options

#: flags replaced by --zoo / --param: what to write instead (one line each)
_MOVED = {
    "--reference": "--zoo NAME (e.g. --zoo lstm), or --zoo reference -o DIR for all five reference models",
    "--hf": "--zoo hf:MODEL_TYPE with sizes, seq and cache as --param KEY=VALUE "
            "(e.g. --zoo hf:llama --param cache=2048)",
    "--hf-config": "--param KEY=VALUE (with --zoo hf:MODEL_TYPE)",
    "--seq": "--param seq=N (with --zoo)",
    "--cache": "--param cache=N (with --zoo)",
}


def _kv(pairs, option) -> dict:
    import yaml

    from ..config.yamlread import load_text
    from ..quantity import YAML12_TEXT_REASON, text_number_reason

    out = {}
    for p in pairs:
        key, sep, value = p.partition("=")
        if not sep or not key.isidentifier():
            raise click.UsageError(f"{option} '{p}' must be KEY=VALUE with KEY a name")
        try:
            v = load_text(value)
        except yaml.YAMLError as exc:  # malformed, or a key given twice: one line, not a traceback
            why = " ".join(str(getattr(exc, "problem", None) or exc).split())
            raise click.UsageError(f"{option} {key}: '{value}' is not a YAML value ({why})") from None
        if isinstance(v, str) and text_number_reason(v) == YAML12_TEXT_REASON:  # as --set says
            raise click.UsageError(f"{option} {key}: '{value}' is not a number: {YAML12_TEXT_REASON}")
        out[key] = tuple(v) if isinstance(v, list) else v
    return out


def _factory_args(pairs) -> dict:
    """``--arg KEY=VALUE`` pairs as the factory's keyword arguments (values: :func:`parse_arg`)."""
    from ..workload.trace.common import parse_arg

    out: dict = {}
    for p in pairs:
        key, sep, value = p.partition("=")
        if not sep or not key.isidentifier():
            raise click.UsageError(f"--arg '{p}' must be KEY=VALUE with KEY a Python name")
        if key in out:
            raise click.UsageError(f"--arg {key} is given twice")
        try:
            out[key] = parse_arg(value)
        except ValueError as exc:  # 1_000, 0b10, 1:00: text under YAML 1.2, as --set says
            raise click.UsageError(f"--arg {key}: {exc}") from None
    return out


def _bits(text: str):
    """``--stats-bits``: ``B`` or ``IN,W`` (range checked by the tracer)."""
    parts = text.split(",")
    if len(parts) > 2 or not all(p.strip().isdigit() for p in parts):
        raise click.UsageError(f"--stats-bits '{text}' must be BITS or IN,W (whole numbers)")
    vals = [int(p) for p in parts]
    return vals[0] if len(vals) == 1 else tuple(vals)


def _moved(ctx, param, value):
    if value not in (None, (), False):
        raise click.UsageError(f"{param.opts[0]} is gone: use {_MOVED[param.opts[0]]}")
    return value


@click.command("trace", cls=OneLineErrors)
@click.argument("spec", required=False, metavar="[PATH.py:FACTORY|package.module:FACTORY]")
@click.option("-o", "--output", default=None, type=click.Path(),
              help="Workload JSON to write; a directory when --zoo names a family.")
@click.option("--name", default=None, callback=check_name,
              help="Workload name (default: the file name without .json).")
@click.option("--allow-unknown", is_flag=True,
              help="Keep ops without a mapping as generic ops instead of failing, listed in the "
                   "metadata: aten ops carry their FLOP-counter MACs; with --onnx, op types "
                   "without a mapping carry none.")
@click.option("--onnx", "onnx_file", default=None, metavar="FILE.onnx",
              help="Import an ONNX model instead of SPEC (needs the onnx extra: pip install "
                   "'cimsim[onnx]'; no torch): its initializers are the weights (external data "
                   "is not read), its shapes ONNX's shape inference; --dtype, --batch and "
                   "--resident apply; --dim NAME=N sets a symbolic input dimension (an export "
                   "with dynamic_axes).")
@click.option("--dim", "dims", multiple=True, metavar="NAME=N",
              help="--onnx: the value of a symbolic input dimension (repeatable), e.g. --dim batch=8.")
@click.option("--zoo", "zoo_name", default=None, metavar="NAME",
              help="Trace a model of cimsim.zoo instead of SPEC: a name (gpt2, llama-decode, resnet, "
                   "lstm, ...; `cimsim trace --zoo list` lists them), hf:MODEL_TYPE (any Hugging Face "
                   "model type at its config's default size, e.g. hf:llama), hf:PATH.json (a "
                   "model's Hugging Face config.json), or a family "
                   "(e.g. reference: every model of it into the directory -o).")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A --zoo model's parameter or Hugging Face config field (repeatable), e.g. "
                   "--zoo gpt2 --param n_layer=12, or --zoo hf:llama --param cache=2048; "
                   "hf: entries with --real-weights also take seed=N, the random weights' seed "
                   "(default 0: a mixture of experts routes by them).")
@click.option("--arg", "args", multiple=True, metavar="KEY=VALUE",
              help="SPEC: a keyword argument of the factory (repeatable), e.g. --arg T=64; the "
                   "value is an integer, a number, true/false or else text. Recorded in the "
                   "workload's metadata.params, so a sweep over files traced at several values "
                   "gets a workload.KEY column (cimsim plot draws against it).")
@click.option("--resident", "resident", multiple=True, metavar="NAME",
              help="A forward argument of the model whose tensors are resident state, in memory "
                   "across runs (a retrieval database passed as forward(q, db)), not an input "
                   "sent every run (repeatable). Recorded in the workload's "
                   "metadata.resident_inputs: the footprint counts it with the KV cache and PIM "
                   "units with claims [kv_cache] read it in their banks. An argument named as a "
                   "cache (past_key_values, layer_past, any name holding cache or past) is "
                   "resident without it. Only inputs a matmul without a weight reads as its "
                   "second operand (itself or a reshaped or scaled copy) are held; any other (a "
                   "recurrent state h, a cache appended with torch.cat, mv(db, q)'s db) is "
                   "refused, saying why.")
@click.option("--launch-module", "launch_module", multiple=True, metavar="NAME",
              help="SPEC: run each call of this module as one kernel launch, one dispatch "
                   "for all its ops (a custom CUDA kernel: a hash-grid encoder, a fused MLP); "
                   "NAME is a module path (enc, mlp.0) or a class name (HashGrid), not the "
                   "model's own class; repeatable. Its ops get op tag launch = module:PATH "
                   "(module:PATH#k for the k-th call of a module called more than once).")
@click.option("--fold-computed-weights", "fold_computed", is_flag=True,
              help="SPEC: a matmul whose weight is computed each forward from one parameter "
                   "alone (a BitNet BitLinear quantising self.weight in forward: round(clamp(w / "
                   "scale)) * scale, sign(w)) reads that parameter as its stationary weight and "
                   "the transform ops are dropped (run once, when the weight is programmed); "
                   "listed in metadata.folded_weights. Not a convolution's weight.")
@click.option("--real-weights", is_flag=True,
              help="--zoo: build random weights instead of shapes only (fake tensors); says first "
                   "how much memory that takes and refuses beyond what is available.")
@click.option("--serve", is_flag=True,
              help="--zoo hf:MODEL_TYPE, hf:PATH.json or a Hugging Face decoder of the zoo: trace "
                   "a serving run (prefills, decode steps over growing KV caches, batching) with "
                   "the serving options below, the same as `cimsim workload llm` takes (tensor "
                   "parallelism for configs with num_key_value_heads, e.g. Llama, Qwen2; "
                   "pipeline parallelism).")
@trace_serving_options
@click.option("--stats", is_flag=True,
              help="Run the model once on its example inputs and record, on every matmul with a "
                   "weight (linear, convolution, GEMV), the data statistics the CIM energies "
                   "use: fraction of ones per input and weight bit-plane, input sparsity, mean "
                   "|w| (op tags input_ones, input_zeros, weight_ones, weight_abs_mean). Needs "
                   "real tensors: with --zoo, --real-weights (fake models record nothing).")
@click.option("--stats-bits", default=None, metavar="BITS|IN,W",
              help="--stats: bits the inputs and weights are quantised to before the planes are "
                   "counted (default 8; IN,W: inputs IN bits, weights W bits); a CIM uses an "
                   "op's figure only at its own input_bits / weight_bits, but an input of 0/1 "
                   "only (tag input_value_bits 1, a spike) at any input_bits.")
@click.option("--items-per-sample", "items_per_sample", default=None, type=float, metavar="N",
              help="The items one sample holds (a clip's frames, a sequence's tokens, a read's "
                   "base pairs), recorded as metadata.items_per_sample: a run then reports "
                   "items_per_s and j_per_item (frames/s, J per frame) beside the "
                   "per-sample figures.")
@click.option("--item-name", "item_name", default=None, metavar="NAME",
              help="--items-per-sample: what an item is (frame, token, bp; default item), "
                   "recorded as metadata.item_name.")
@click.option("--reference", hidden=True, callback=_moved, expose_value=False)
@click.option("--hf", hidden=True, callback=_moved, expose_value=False)
@click.option("--hf-config", hidden=True, multiple=True, callback=_moved, expose_value=False)
@click.option("--seq", hidden=True, callback=_moved, expose_value=False)
@click.option("--cache", hidden=True, callback=_moved, expose_value=False)
@click.pass_context
def trace_command(ctx, spec, output, name, allow_unknown, onnx_file, dims, zoo_name, params, args,
                  resident, launch_module, fold_computed,
                  real_weights, serve, stats, stats_bits, items_per_sample, item_name, **serving):
    """Trace a PyTorch model, or import an ONNX model, into a cimsim workload.

    SPEC names a function returning (model, example_inputs), (model, example_inputs,
    example_kwargs) or a cimsim.zoo.ZooModel, e.g. examples/lstmcell_loop.py:factory. The file is
    imported and run as Python code with your permissions, like `python FILE`: trace only
    files you trust. Nothing is unpickled. SPEC and --zoo need the torch extra: pip install
    'cimsim[torch]'. --onnx FILE.onnx instead reads an exported graph (no code runs) and needs
    the onnx extra only: pip install 'cimsim[onnx]'.
    """
    if (spec is not None) + (zoo_name is not None) + (onnx_file is not None) != 1:
        raise click.UsageError("give exactly one of SPEC, --zoo NAME or --onnx FILE.onnx")
    if spec is not None and spec.lower().endswith(".onnx"):
        raise click.UsageError(f"'{spec}' is an ONNX model: use cimsim trace --onnx {spec} -o "
                               "WORKLOAD.json")
    if spec is not None and ":" not in spec and (kind := torch_file(spec)):
        raise click.UsageError(f"'{spec}' is {torch_file_error(kind, 'a model spec')}")
    if dims and onnx_file is None:
        raise click.UsageError("--dim goes with --onnx")
    if onnx_file is not None and (params or real_weights or args or serve or stats):
        raise click.UsageError("--onnx takes -o, --name, --allow-unknown, --dim, --dtype, --batch and "
                               "--resident only")
    if (params or real_weights) and zoo_name is None:
        raise click.UsageError("--param and --real-weights go with --zoo")
    if fold_computed and spec is None:
        raise click.UsageError("--fold-computed-weights goes with SPEC (a factory of yours): a --zoo "
                               "or --onnx model's weights are parameters already")
    if args and spec is None:
        raise click.UsageError("--arg goes with SPEC (a factory of yours); a --zoo model takes "
                               "--param KEY=VALUE")
    factory_args = _factory_args(args)
    items = _items(items_per_sample, item_name, serve)
    if output is None and zoo_name != "list":
        raise click.UsageError("missing option '-o' / '--output'")
    given = [f"--{k.replace('_', '-')}" for k in serving
             if ctx.get_parameter_source(k) is not click.core.ParameterSource.DEFAULT]
    for opt, what in (("--kv-dtype", "KV cache is the model's own tensors, at --dtype"),
                      ("--weight-dtype", "weights are the model's own tensors, at --dtype or "
                       "their own dtype (a packed-int4 model's matmuls read its dequantized "
                       "matrix); for int4 / int2 weights generate the LLM with `cimsim workload "
                       "llm --weight-dtype`")):
        if opt in given:  # the traced tensors are the model's own (find-H 5: plain traces too)
            raise click.UsageError(f"{opt} goes with `cimsim workload llm`, not `cimsim trace` "
                                   f"(with or without --serve): a traced run's {what}")
    del serving["kv_dtype"], serving["weight_dtype"]
    # --dtype also sets a plain trace's dtype (default there: each tensor's own); --serve's is fp16
    dtype = serving["dtype"]
    if dtype is None:
        serving["dtype"] = "fp16"
    given = [g for g in given if g != "--dtype"]
    # SPEC: --batch is the samples its example inputs hold (the per-sample figures' divisor)
    own = spec is not None or onnx_file is not None  # example inputs (a factory's, the graph's)
    batch = serving["batch"] if own and "--batch" in given else None
    given = [g for g in given if not (own and g == "--batch")]
    if batch is not None and batch < 1:
        raise click.UsageError(f"--batch {batch}: the samples the example inputs hold must be a "
                               "positive integer")
    if given and not serve:
        raise click.UsageError(f"{', '.join(given)} {'goes' if len(given) == 1 else 'go'} with "
                               "--serve")
    if serve and (zoo_name is None or real_weights or allow_unknown):
        raise click.UsageError("--serve goes with --zoo hf:MODEL_TYPE (or a Hugging Face decoder "
                               "of the zoo), without --real-weights and --allow-unknown")
    if resident and serve:
        raise click.UsageError("--resident goes without --serve (a serving run's KV caches are "
                               "resident already)")
    if stats_bits is not None and not stats:
        raise click.UsageError("--stats-bits goes with --stats")
    if stats and serve:
        raise click.UsageError("--stats goes without --serve (a serving run traces shapes only)")
    sbits = (8 if stats_bits is None else _bits(stats_bits)) if stats else None
    suffix = Path(output).suffix.lower() if output is not None else ""
    if suffix and suffix not in (".json", ".npz"):  # no suffix: a --zoo FAMILY's folder
        raise click.UsageError(f"-o '{output}': a workload file is .json, or .npz for the columnar "
                               "form")
    try:
        from ..workload.io import save_workload, stamp_writer
        from ..workload.resident import mark_resident
        from ..workload.trace import require_torch, trace

        if zoo_name == "list":
            _list()
            return
        if launch_module and spec is None:
            raise click.UsageError("--launch-module goes with SPEC (FILE.py:FACTORY) only: a --zoo, "
                                   "--onnx or --serve trace takes the launches it has")
        if onnx_file is not None:
            _trace_onnx(onnx_file, Path(output), name, allow_unknown, dtype, dims, batch, resident, items)
            return
        require_torch()
        if spec is not None:
            from ..workload.trace import load_factory

            path = Path(output)
            made = new_output(path)  # refused before the factory runs, not after the trace
            t0 = time.perf_counter()
            model, inputs, kwargs = load_factory(spec, with_kwargs=True, args=factory_args)
            with quiet_batch():  # the CLI's own note, below
                w = trace(model, inputs, name=path.stem if name is None else name, allow_unknown=allow_unknown,
                          example_kwargs=kwargs or None, stats_bits=sbits, dtype=dtype,
                          launch_modules=list(launch_module) or None, batch=batch,
                          fold_computed_weights=fold_computed)
            w.metadata.update(items)
            if factory_args:  # the sweep's workload.KEY columns (sweep/shape.py)
                w.metadata["params"] = factory_args
            if resident:
                mark_resident(w, resident)
            save_workload(stamp_writer(_stamp_source(w, spec)), path)
            _report(w, path, time.perf_counter() - t0, made)
            _batch_note(inputs, batch, model=model, kwargs=kwargs)
            return
        from .. import zoo

        overrides = _kv(params, "--param")
        if serve:
            _trace_serving(zoo_name, Path(output), name, overrides, serving, params)
            return
        family = zoo.families().get(zoo_name)
        if family is not None:
            if overrides or name or resident:
                raise click.UsageError(f"--param, --name and --resident go with one model, not the "
                                       f"family '{zoo_name}'")
            out = Path(output)
            made = new_output(out / "workload.json")
            out.mkdir(parents=True, exist_ok=True)
            for i, n in enumerate(family):  # the folder made, on the first file's line
                _trace_zoo(zoo, n, out / f"{n}.json", n, overrides, real_weights, allow_unknown,
                           sbits, dtype, made if i == 0 else None, params, items=items)
            return
        path = Path(output)
        _trace_zoo(zoo, zoo_name, path, path.stem if name is None else name, overrides, real_weights, allow_unknown,
                   sbits, dtype, params=params, resident=resident, items=items)
    except CimsimError as exc:
        raise click.ClickException(str(exc)) from None


def _items(count: float | None, name: str | None, serve: bool) -> dict:
    """The metadata ``--items-per-sample`` and ``--item-name`` record (find-D 2), checked."""
    if count is None:
        if name is not None:
            raise click.UsageError("--item-name goes with --items-per-sample N")
        return {}
    if serve:
        raise click.UsageError("--items-per-sample goes without --serve (a serving run reports "
                               "tokens/s of its own)")
    if not math.isfinite(count) or count <= 0:
        raise click.UsageError(f"--items-per-sample {count:g}: the items one sample holds must be a "
                               "positive number")
    if name is not None and (not name.strip() or any(ch.isspace() for ch in name)):
        raise click.UsageError(f"--item-name '{name}': give one word (frame, token, bp)")
    return {"items_per_sample": int(count) if count == int(count) else count,
            "item_name": name or "item"}


def _trace_onnx(onnx_file, path, name, allow_unknown, dtype, dims, batch, resident=(),
                items=None) -> None:
    from ..inputs import file_record
    from ..workload.io import save_workload, stamp_writer
    from ..workload.onnx_import import trace_onnx

    values = {}
    for d in dims:
        key, sep, value = d.partition("=")
        if not sep or not key or not value.strip().isdigit():
            raise click.UsageError(f"--dim '{d}' must be NAME=N with N a positive whole number")
        if key in values:
            raise click.UsageError(f"--dim {key} is given twice ({values[key]} and {int(value)}): give "
                                   "each symbolic dimension once")
        values[key] = int(value)
    t0 = time.perf_counter()
    with quiet_batch():  # the CLI's own note, below
        w = trace_onnx(onnx_file, name=path.stem if name is None else name, allow_unknown=allow_unknown,
                       dtype=dtype, dims=values, resident=resident, batch=batch)
    w.metadata.update(items or {})
    if values:  # the sweep's workload.KEY columns (sweep/shape.py), as --arg's
        w.metadata["params"] = values
    w.metadata["traced_from"] = {"onnx": onnx_file, **file_record(onnx_file)}
    made = new_output(path)
    save_workload(stamp_writer(w), path)
    _report(w, path, time.perf_counter() - t0, made)
    for ext in w.metadata.get("onnx_external_data") or []:
        click.echo(f"note: the weights are in the external data file {ext['file']}"
                   f"{'' if ext['present'] else ', which is not beside ' + Path(onnx_file).name}; "
                   "the import reads only their shapes from the .onnx file, not that file")
    _batch_note(next((t for t in w.tensors.values() if t.role == "input"), None), batch, onnx=True)


def _trace_zoo(zoo, zoo_name, path, name, overrides, real_weights, allow_unknown,
               stats_bits=None, dtype=None, made=None, params=(), resident=(), items=None) -> None:
    from ..workload.io import save_workload, stamp_writer
    from ..workload.resident import mark_resident

    t0 = time.perf_counter()
    if real_weights:
        need = zoo.registry.estimate_bytes(zoo_name, **overrides)
        click.echo(f"{zoo_name} with real weights: ~{need / zoo.registry.GiB:.2f} GiB of weights, "
                   f"buffers and inputs; {zoo.available_bytes() / zoo.registry.GiB:.1f} GiB available")
    w = zoo.trace_zoo(zoo_name, real_weights=real_weights, allow_unknown=allow_unknown,
                      stats_bits=stats_bits, dtype=dtype, **overrides)
    w.name = name
    w.metadata.update(items or {})
    if resident:
        mark_resident(w, resident)
    made = made or new_output(path)
    save_workload(stamp_writer(_stamp_source(w, zoo_name, params, zoo=True)), path)
    _report(w, path, time.perf_counter() - t0, made)


def _trace_serving(zoo_name, path, name, overrides, serving, params=()) -> None:
    from ..workload.io import save_workload, stamp_writer
    from ..zoo.serve import trace_serving

    import inspect

    own = [k for k in overrides if k in inspect.signature(trace_serving).parameters or k in ("seq", "cache")]
    if own:  # a serving option (or the tracer's own switch) given as a model config field
        k = own[0]
        opt = {"seq": "--prompt", "cache": "--prompt / --decode", "name": "-o's file name",
               "replicate": None}.get(k, f"--{k.replace('_', '-')}")
        raise CimsimError(f"--param {k}: --serve sets {k} itself" + (f" (use {opt})" if opt else
                          " (an internal switch of the serving tracer, not a config field)"))
    t0 = time.perf_counter()
    with option_names(command_options()):  # the serving options' errors name --batch, not batch
        w = trace_serving(zoo_name, **serving_params(**serving), name=name, **overrides)
    # the tracing time is this run's, not the workload's: the file stays the same bytes for the
    # same model (a sweep names its points by them)
    trace_s = w.metadata["traces"].pop("seconds", 0.0)
    made = new_output(path)
    save_workload(stamp_writer(_stamp_source(w, zoo_name, params, zoo=True)), path)
    _report(w, path, time.perf_counter() - t0, made)
    llm = w.metadata["llm"]
    tr = w.metadata["traces"]
    click.echo(f"serving run: {llm['step_kind'].count('prefill')} prefill(s), "
               f"{llm['step_kind'].count('decode')} decode step(s), {llm['generated_tokens']} tokens; "
               f"{tr['count']} traces in {trace_s:.1f} s")
    if w.metadata.get("context_note"):  # past a rotary model's max_position_embeddings, as workload llm
        click.echo(w.metadata["context_note"], err=True)


def _stamp_source(w, spec: str, params=(), zoo: bool = False):
    """``w`` with what it was traced from in its metadata: ``traced_from`` = the spec as typed
    (``--zoo``'s name, ``--param``'s as typed), and the file's path and SHA-256 where the spec
    names one (a factory's ``.py`` file or module file, an ``hf:PATH.json``), so an edited
    script shows; ``transformers_version`` beside ``torch_version`` when the model is a Hugging
    Face class (its ``model`` is ``transformers.…``). No time: the same trace, the same bytes."""
    import importlib.util
    import sys

    from ..inputs import file_record

    src: dict = {"spec": spec, **({"zoo": True, "params": list(params)} if zoo else {})}
    target = spec[3:] if zoo and spec.startswith("hf:") else None if zoo else spec.rsplit(":", 1)[0]
    if target and not Path(target).is_file() and not target.endswith((".py", ".json")):
        found = importlib.util.find_spec(target) if target.replace(".", "").isidentifier() else None
        target = found.origin if found is not None and found.has_location else None
    if target and Path(target).is_file():
        src.update(file_record(target))
    w.metadata["traced_from"] = src
    # the model's own class, not whether anything in this process imported transformers
    if "transformers" in sys.modules and str(w.metadata.get("model", "")).startswith("transformers."):
        w.metadata["transformers_version"] = sys.modules["transformers"].__version__
    return w


def _batch_note(inputs, batch: int | None = None, onnx: bool = False, model=None, kwargs=None) -> None:
    """Says so when the first example input's leading dimension is > 1 and no --batch was given:
    the run counts 1 sample; not where it cannot be the batch (:func:`batch_note`: a 1-D input,
    a time-major first module, an unbatched convolution input). The other way, ``--batch N > 1``
    over a leading dimension of 1 (:func:`batch_mismatch`): --batch records N, it does not resize
    the inputs (a warning on stderr, not a refusal; how to resize them: a factory's ``--arg``, an
    ONNX model's ``--dim`` of ``onnx``). Python's ``trace(batch=)`` warns the same texts."""
    if batch is not None:
        how = (f"--dim NAME={batch} for a symbolic batch dimension NAME, or export the model at "
               f"batch {batch}" if onnx else f"--arg batch={batch} where the factory takes it")
        if (note := batch_mismatch(inputs, batch, how, kwargs, "--batch")) is not None:
            click.echo(f"warning: {note}", err=True)
        return
    if (note := batch_note(inputs, "cimsim trace ... --batch N (a trace option: re-trace; "
                                          "cimsim run has no --batch)", model, kwargs)) is not None:  # Python's trace() warns it
        click.echo(f"note: {note}")


def _list() -> None:
    from .. import zoo

    for family, names in zoo.families().items():
        click.echo(f"{family}:")
        for n in names:
            click.echo(f"  {n:16s} {zoo.ZOO[n].description}")
    click.echo("hf:MODEL_TYPE    any Hugging Face model type at its config's default size (e.g. hf:llama)")
    click.echo("hf:PATH.json     a Hugging Face model from its config.json (model_type and fields)")


def _report(w, path, seconds: float, made=None) -> None:
    unknown = w.metadata.get("unknown_ops") or []
    extra = f", {len(unknown):,} unknown op(s) kept as generic ops" if unknown else ""
    blind = sum(u.get("macs") is None for u in unknown)
    if blind and w.metadata.get("capture") == "onnx":
        extra += " (their MACs, if any, are not counted)"
    elif blind:
        extra += f" ({blind} with no FLOP formula: their MACs, if any, are not counted)"
    packed = sum(bool(u.get("packed_weights")) for u in unknown)
    if packed:
        extra += (f"; {packed} read packed parameters (e.g. a dynamically quantized Linear's): "
                  "their weights are not counted in the weights either")
    share = w.metadata.get("mapped_mac_share")
    mapped = f", {share:.1%} of MACs mapped to specific kinds" if share is not None else ""
    if share is None and "mapped_mac_share" in w.metadata:  # no MAC counted: no share to state
        mapped = ", mapped MAC share n/a (no MACs counted)"
    if w.metadata.get("unmapped_multiplying_ops"):  # an unknown op that multiplies: share unknown
        mapped = (f", mapped MAC share unknown ({w.metadata['unmapped_multiplying_ops']} unmapped "
                  "op(s) of a type that multiplies, their MACs not counted)")
    if share is not None and w.metadata.get("untraced_tensors"):  # of what torch ran, not all
        mapped = mapped.replace("of MACs", "of the traced MACs") + " (work outside torch: see the note)"
    if w.metadata.get("computed_weights"):
        from ..workload.trace.computed import summary

        extra += f"; {summary(w.metadata['computed_weights'])}"
    if w.metadata.get("folded_weights"):
        from ..workload.trace.fold import summary as folded

        extra += f"; {folded(w.metadata['folded_weights'])}"
    from ..report.format import si

    bufs = w.metadata.get("buffer_weights")
    rebuilt = (bufs or {}).get("non_persistent") or []
    held = "" if not bufs else (f" ({si(bufs['bytes'], 'B')} of it buffers, constant data "
                                f"held in memory with the model: {', '.join(bufs['names'][:3])}"
                                f"{', ...' if len(bufs['names']) > 3 else ''}"
                                + (f"; {len(rebuilt)} rebuilt at construction, not in the state_dict "
                                   f"(persistent=False): {', '.join(rebuilt[:3])}"
                                   f"{', ...' if len(rebuilt) > 3 else ''}" if rebuilt else "") + ")")
    click.echo(f"wrote {full_path(path)}: {len(w.ops):,} ops, {w.macs:,} MACs ({si(w.macs, 'MAC')}), "
               f"weights {si(w.weight_bytes, 'B')}{held}{mapped}{extra} ({si(seconds, 's')}){created(made)}")
    st = w.metadata.get("activity_stats")
    if st is not None:
        from ..workload.trace.stats import zero_summary

        part = [f"{st[k]:,} with {what}" for k, what in (
            ("weight_only_ops", "the weight's figures only (no input figure)"),
            ("unmeasured_ops", "none (nn.Bilinear)")) if st.get(k)]
        more = (f"; {' and '.join(part)}: the CIM uses its configured activity for what is "
                "missing") if part else ""
        if st.get("computed_weight_ops"):  # what they are, as the summary above tells them
            from ..workload.trace.computed import counts, why

            kinds = why(counts(e for e in w.metadata.get("computed_weights") or [] if e["from"] == "parameters"))
            more += (f"; {st['computed_weight_ops']:,} read a matrix computed from parameters each "
                     f"forward ({kinds}): none measured, no CIM runs them")
        click.echo(f"data statistics: {st['note']}" if "note" in st else
                   f"data statistics (inputs at {st['input_bits']} bits, weights at "
                   f"{st['weight_bits']}) on {st['ops']:,} of {st['weight_matmuls']:,} weight "
                   f"matmuls{more}{zero_summary(w.ops)}")
    from ..workload.trace.padding import notes as padding_notes
    from ..workload.trace.unread import notes as unread_notes
    from ..workload.trace.complexes import kept_note
    from ..workload.trace.unread import estimate_notes

    built = (w.metadata.get("zoo") or {}).get("built")
    mla = (w.metadata.get("latent_attention") or {}).get("note")
    for line in ([built] if built else []) + ([mla] if mla else []) + training_notes(w.metadata) \
            + unread_notes(w.metadata) + padding_notes(w.metadata) + kept_note(w.metadata) + estimate_notes(w.metadata):
        click.echo(f"note: {line}")


def training_notes(meta) -> list[str]:
    """What a trace of a model in train mode, or of a backward pass, counts: the backward pass
    and an optimizer's update traffic are traced as plain ops; a run on a CIM reports the step's
    rewrite of the updated weights and the steps the cells last (README 'Training on a CIM: what
    is modelled'); the update on the device and convergence are not modelled."""
    notes = []
    if meta.get("train_mode_ops"):
        where = ("the model is in train mode" if meta.get("training") else "a submodule is in "
                 "train mode (MC dropout's dropout.train() after eval()) or forward calls "
                 "F.dropout(training=True)")
        notes.append(f"{where}: its dropout and batch statistics ({meta['train_mode_ops']:,} aten "
                     "op(s)) are traced and counted, the random masks generated in place (rng ops, "
                     "no memory read); call model.eval() on every module to trace deterministic inference")
    if meta.get("backward_ops") and meta.get("input_derivatives_only"):
        notes.append(f"{meta['backward_ops']:,} aten op(s) of autograd computed derivatives w.r.t. "
                     "the inputs only (torch.autograd.grad, no parameter gradient: "
                     "metadata['input_derivatives_only']): part of the model's inference (a PINN's "
                     "residual, forces as -dE/dx), traced as plain ops; not a training step")
    elif meta.get("backward_ops"):
        updated = meta.get("updated_parameters")
        step = (f", and the optimizer's in-place update of {updated:,} parameter(s) "
                "(metadata['updated_parameters']), its reads and writes of any optimizer state included"
                if updated else "")
        notes.append(f"{meta['backward_ops']:,} aten op(s) ran in autograd's backward pass: traced as "
                     f"plain ops{step}; a run on a CIM reports a full rewrite of the updated weights "
                     "a step and the steps the cells last (step_write_energy_j, steps_to_wearout); "
                     "the update on the device (a parallel outer-product or incremental cell "
                     "write) and convergence are not modelled: README 'Training on a CIM: what is "
                     "modelled'")
    return notes


#: the name ``cimsim.cli`` registers
trace = trace_command
