"""``cimsim workload``: generate a workload file, or regenerate the bundled ones.

Each generator is a subcommand with only its own options; an option of another
generator is an error, not silently ignored. Errors print one line and exit non-zero.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import click

from . import OneLineErrors, OneLineGroup, cannot_write, created, full_path, new_output

from ..dtypes import DTYPES
from ..workload.llm_dtypes import KV_DTYPES, WEIGHT_DTYPES
from ..errors import CimsimError, WorkloadError
from ..progress import Feedback
from ..workload.generators import (
    BUNDLED,
    GENERATORS,
    MODES,
    PARTIAL,
    OPERANDS,
    POINTWISE,
    SCHEDULES,
    write_bundled,
)
from ..workload.argnames import option_names
from ..workload.builders import MAX_OPS  # the most ops a workload holds
from ..workload.io import COLUMNAR_SUFFIX, save_workload, stamp_writer
from ..workload.ir import Workload

#: Ops from which a JSON output gets a note recommending the columnar .npz form (a
#: 1M-op LSTM is ~400 MB of JSON, ~10 MB of .npz, and loads several times faster)
LARGE_OPS = 100_000


def _summary(w: Workload, path: Path, made: Path | None = None) -> str:
    from ..report.format import si

    from ..workload.footprint import untied_table_bytes

    table = untied_table_bytes(w)  # an untied LLM's input embedding table
    held = (f" ({si(w.weight_bytes + table, 'B')} held with the {si(table, 'B')} untied input "
            "embedding table)") if table else ""
    return (f"wrote {full_path(path)}: {w.name}: {len(w):,} ops, {w.macs:,} MACs "
            f"({si(w.macs, 'MAC')}), weights {si(w.weight_bytes, 'B')}{held}{created(made)}")


def _check_ops(at_least: int, options: str) -> None:
    """Refuse sizes whose op count alone, at least ``at_least`` (the product of ``options``),
    is past :data:`MAX_OPS`: generating them would end in a memory error or never end."""
    if at_least > MAX_OPS:
        raise click.ClickException(f"{options} gives at least {at_least:,} ops, more than a workload "
                                   f"holds ({MAX_OPS:,}: op indices are 32-bit); use smaller sizes")


#: per generator, the options (their --names) whose product is a floor on its op count
_OP_FLOOR = {"lstm": ("steps", "layers"), "gru": ("steps", "layers"), "matmul": ("count",),
             "transformer": ("layers",), "tcn": ("layers",), "hier-attn-stream": ("seq_len",)}


def command_options() -> dict[str, str]:
    """The running command's options by parameter (``seq_len``: ``--steps``), for the
    generators' errors to name (:func:`cimsim.workload.argnames.option_names`)."""
    ctx = click.get_current_context(silent=True)
    return {} if ctx is None else {
        p.name: max(p.opts, key=len) for p in ctx.command.params
        if isinstance(p, click.Option) and p.name}


def _generate(gen: str, output: Path, name: str | None, shown: str | None = None,
              **params) -> None:
    """``shown``: the command's name where it is not the generator's (``gemv``: ``matmul``)."""
    keys = _OP_FLOOR.get(gen + ("-stream" if params.get("mode") == "stream" else ""), ())
    _check_ops(math.prod(max(int(params[k]), 0) for k in keys),
               " x ".join(f"--{'steps' if k == 'seq_len' else k} {params[k]:,}" for k in keys))
    # status on stderr when generating or writing takes more than a second
    with Feedback(f"{gen} workload -> {output}") as fb:
        fb.update("generating")
        made = new_output(output)
        try:
            with option_names(command_options()):
                w = GENERATORS[gen](**params, name=name)
        except WorkloadError as exc:
            msg = str(exc)
            if shown is not None and msg.startswith(f"{gen}: "):
                msg = f"{shown}: {msg[len(gen) + 2:]}"
            raise click.ClickException(msg) from None
        try:
            save_workload(stamp_writer(w), output, progress=fb)
        except OSError as exc:
            raise cannot_write(output, exc) from None
    click.echo(_summary(w, output, made))
    if len(w) >= LARGE_OPS and output.suffix.lower() != COLUMNAR_SUFFIX:
        click.echo(f"note: {len(w):,} ops: for a workload this large use the columnar form "
                   f"(-o {output.with_suffix(COLUMNAR_SUFFIX).name}): tens of times smaller than JSON, "
                   "and it loads in a fraction of the time and memory", err=True)


def _opt(*decls, **kw):
    return click.option(*decls, show_default=True, **kw)


def _workload_suffix(ctx, param, value):
    """-o must name a .json or .npz file: another suffix got JSON under a name that says otherwise."""
    if value is not None and Path(value).suffix.lower() not in (".json", COLUMNAR_SUFFIX):
        raise click.BadParameter(f"'{value}': a workload file is .json, or .npz for the columnar form")
    return value


_output = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                       required=True, callback=_workload_suffix,
                       help="Workload file to write: .json, or .npz for the compact columnar form.")
def check_name(ctx, param, value):
    """``--name ""`` was dropped in silence (the default name used): refused, as a name with a
    control character is."""
    from ..errors import name_problem

    if value is not None:  # under a non-UTF-8 locale (LC_ALL=C) the shell's UTF-8 bytes reach
        try:  # Python as lone surrogates: the text they were, where they are UTF-8
            value = os.fsencode(value).decode("utf-8")
        except UnicodeError:
            pass  # (not UTF-8: refused below, naming the byte)
    if value is not None and (why := name_problem(value)) is not None:
        raise click.BadParameter(f"the name {why}")
    return value


_name = click.option("--name", default=None, callback=check_name,
                     help="Workload name (default: from the parameters).")
_dtype = _opt("--dtype", default="fp32", help=f"Data type: {'|'.join(DTYPES)}.")
_batch = _opt("--batch", type=int, default=1, help="Batch size B.")


@click.group("workload", cls=OneLineGroup)
def workload() -> None:
    """Generate workload files (op DAG JSON) from closed-form model definitions."""


def _recurrent_command(gen: str, doc: str):
    @workload.command(gen, cls=OneLineErrors, help=doc)
    @_opt("--input-size", type=int, required=True, help="Input width I.")
    @_opt("--hidden", type=int, required=True, help="Hidden width H.")
    @_opt("--layers", type=int, default=1, help="Stacked layers.")
    @_opt("--steps", type=int, required=True, help="Time steps T.")
    @_batch
    @_dtype
    @_opt("--schedule", default="layer", help=f"Layer schedule: {'|'.join(SCHEDULES)}.")
    @_opt("--pointwise", default="fused",
          help=f"Gate arithmetic per step: {'|'.join(POINTWISE)} (fused: one op, as cuDNN).")
    @_opt("--bidirectional", is_flag=True,
          help="A reverse direction per layer with its own weights (bidirectional=True), run "
               "beside the forward one: twice the MACs and weights, the same critical path "
               "(T steps, not 2T); layers above the first read 2H. Layer schedule only.")
    @_opt("--horizon", type=int, default=0,
          help="Autoregressive rollout after the T context steps (DeepAR): this many decode "
               "steps, each fed the previous step's output projection (W_out: --out-features x "
               "H) joined to its input-size - out-features covariates. Layer schedule only.")
    @click.option("--out-features", type=int, default=None,
                  help="With --horizon: the width O of the output fed back (default 1).")
    @_output
    @_name
    def cmd(input_size, hidden, layers, steps, batch, dtype, schedule, pointwise, bidirectional,
            horizon, out_features, output, name):
        _generate(gen, output, name, input_size=input_size, hidden=hidden, layers=layers,
                  steps=steps, batch=batch, dtype=dtype, schedule=schedule, pointwise=pointwise,
                  bidirectional=bidirectional, horizon=horizon, out_features=out_features)

    return cmd


_recurrent_command("lstm", "A stacked LSTM (nn.LSTM semantics).")
_recurrent_command("gru", "A stacked GRU (nn.GRU semantics).")


@workload.command("hier-attn", cls=OneLineErrors)
@_opt("--steps", "seq_len", type=int, required=True, help="Sequence length N.")
@_opt("--d-model", type=int, default=512, help="Model width d.")
@_opt("--heads", type=int, default=8, help="Attention heads.")
@_opt("--window", type=int, default=100, help="Window w (vectors per module); the encoder has "
      "ceil(log_w N) levels (N 1024: 2 at w 100, 3 at w 16).")
@_batch
@_dtype
@_opt("--mode", default="encode", help=f"{'|'.join(MODES)}.")
@_opt("--partial", default=None, help=f"Encode mode, a level's partial last window: "
      f"{'|'.join(PARTIAL)} (pad: padded and masked into the level's batched ops, as a batched "
      "encoder does, the default; separate: ops of its own).")
@_output
@_name
def hier_attn_cmd(seq_len, d_model, heads, window, batch, dtype, mode, partial, output, name):
    """The hierarchical neural attention encoder.

    Level 1 attends within windows of w vectors; each next level attends over the previous
    level's window summaries, ceil(n / w) of them, until one is left: levels = ceil(log_w N).
    The README's path-length table (examples/path_length.py) uses --window 16 --d-model 512
    --heads 8, not the default window 100.
    """
    _generate("hier-attn", output, name, seq_len=seq_len, d_model=d_model, heads=heads,
              window=window, batch=batch, dtype=dtype, mode=mode, partial=partial)


@workload.command("transformer", cls=OneLineErrors)
@_opt("--steps", "seq_len", type=int, required=True, help="Sequence length N.")
@_opt("--d-model", type=int, default=512, help="Model width d.")
@_opt("--heads", type=int, default=8, help="Attention heads.")
@_opt("--ffn", type=int, default=2048, help="Feed-forward width f.")
@_opt("--layers", type=int, default=1, help="Encoder layers.")
@_batch
@_dtype
@_opt("--bias", is_flag=True,
      help="The linear layers' biases, as nn.TransformerEncoderLayer has them: 3d + d + f + d "
           "weights per layer and an add per output element of each linear layer.")
@_output
@_name
def transformer_cmd(seq_len, d_model, heads, ffn, layers, batch, dtype, bias, output, name):
    """A stack of post-norm transformer encoder layers. Without --bias the linear layers'
    biases are left out (a traced nn.TransformerEncoderLayer has 3d + d + f + d per layer)."""
    _generate("transformer", output, name, seq_len=seq_len, d_model=d_model, heads=heads,
              ffn=ffn, layers=layers, batch=batch, dtype=dtype, bias=bias)


@workload.command("tcn", cls=OneLineErrors)
@_opt("--steps", type=int, required=True, help="Time steps T.")
@_opt("--channels", type=int, default=256, help="Channels C (in = out).")
@_opt("--kernel", type=int, default=3, help="Kernel size k.")
@_opt("--layers", type=int, default=8, help="Conv layers (dilations 1, 2, 4, ...).")
@_batch
@_dtype
@_opt("--bias", is_flag=True,
      help="The convolutions' biases, as nn.Conv1d has them: C weights per layer and an add per "
           "output element (added in each layer's relu op).")
@_output
@_name
def tcn_cmd(steps, channels, kernel, layers, batch, dtype, bias, output, name):
    """A dilated causal temporal convolutional network. Without --bias the conv biases are
    left out (a traced nn.Conv1d has C per layer: L x C x dtype bytes more weights)."""
    _generate("tcn", output, name, steps=steps, channels=channels, kernel=kernel,
              layers=layers, batch=batch, dtype=dtype, bias=bias)
    first = (steps - 1).bit_length()  # the first layer whose dilation 2^l is >= steps
    if layers > first and kernel > 1:
        from ..workload.windows import only_padding_note

        click.echo(f"note: {only_padding_note(f'layers {first}-{layers - 1} (dilation >= --steps {steps})', kernel - 1)}",
                   err=True)


def _matmul_options(f):
    for deco in reversed([
        _opt("--count", type=int, default=1, help="Products (each with its own operands)."),
        _opt("--chain/--no-chain", default=False,
             help="Feed each product's output to the next (needs K = N); else independent."),
        _opt("--operand", default="weight",
             help=f"B operand: {'|'.join(OPERANDS)} (weight: stationary, mappable to CIM/PIM)."),
        _dtype, _output, _name]):
        f = deco(f)
    return f


@workload.command("matmul", cls=OneLineErrors)
@_opt("--m", "m", type=int, required=True, help="Rows M of A and of the output.")
@_opt("--k", "k", type=int, required=True, help="Inner dimension K.")
@_opt("--n", "n", type=int, required=True, help="Columns N of B and of the output.")
@_matmul_options
def matmul_cmd(m, k, n, count, chain, operand, dtype, output, name):
    """Matrix products y[M, N] = x[M, K] @ B[K, N] (MACs: count x M x K x N)."""
    _generate("matmul", output, name, m=m, k=k, n=n, count=count, chain=chain, operand=operand,
              dtype=dtype)


@workload.command("gemv", cls=OneLineErrors)
@_opt("--k", "k", type=int, required=True, help="Input length K.")
@_opt("--n", "n", type=int, required=True, help="Output length N.")
@_matmul_options
def gemv_cmd(k, n, count, chain, operand, dtype, output, name):
    """Matrix-vector products y[N] = x[K] @ B[K, N] (matmul with M = 1)."""
    _generate("matmul", output, name, "gemv", m=1, k=k, n=n, count=count, chain=chain,
              operand=operand, dtype=dtype)


def _default_bundled_dir() -> Path:
    from ..bundled import workloads_dir

    try:
        return workloads_dir()
    except CimsimError:
        return Path("workloads")


@workload.command("bundled", cls=OneLineErrors)
@click.option("-o", "--output", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Directory to write (default: the bundled workloads/ directory).")
def bundled_cmd(directory):
    """Regenerate every bundled workload file."""
    directory = directory or _default_bundled_dir()
    made = new_output(directory / "workload.json")
    names = list(BUNDLED)
    written: list[Path] = []

    def echo(w: Workload, path: Path) -> None:  # the folder made, on the first file's line
        click.echo(_summary(w, path, made if not written else None))
        written.append(path)

    try:
        write_bundled(directory, names, echo)
    except CimsimError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:  # the file after the last one written
        raise cannot_write(directory / f"{names[len(written)]}.json", exc) from None


# --------------------------------------------------------------------------- LLM serving
def _lengths(value: str, what: str) -> list[int] | int:
    try:
        vals = [int(v) for v in value.split(",")]
    except ValueError:
        raise click.ClickException(f"--{what} must be an integer or a comma-separated list of "
                                   f"integers (one per request), got '{value}'") from None
    return vals[0] if len(vals) == 1 else vals


#: The serving options of ``cimsim workload llm`` and ``cimsim trace --serve`` (one definition):
#: parameter names are :func:`cimsim.workload.llm.llm_serving`'s.
SERVING_OPTIONS = ("prompt", "decode", "batch", "requests", "batching", "attention",
                   "attention_kernel", "sub_batches", "tensor_parallel", "pipeline_parallel",
                   "micro_batches", "dtype", "kv_dtype", "weight_dtype")


def serving_options(f, trace: bool = False):
    """Decorate a command with the serving options (``--prompt`` ... ``--dtype``); ``trace``:
    ``cimsim trace``'s, whose ``--dtype`` has no default (fp16 with ``--serve``, each tensor's
    own without: :func:`trace_serving_options`)."""
    dtype = _opt("--dtype", default="fp16", help=f"Data type: {'|'.join(DTYPES)}.") if not trace \
        else click.option("--dtype", default=None, help=(
            f"Data type: {'|'.join(DTYPES)} of the floating-point tensors (integer, bool and "
            "complex ones keep their own). Default: fp16 with --serve; without it, each tensor "
            "keeps its own (fp32, fp16, bf16: a mixed-precision model's as torch runs them)."))
    for deco in reversed([
        _opt("--prompt", default="512", help="Prompt length per request: one, or one per request (a,b,...)."),
        _opt("--decode", default="128", help="Decode steps per request: one, or one per request."),
        _opt("--batch", type=int, default=1, help="Requests served at once (batch slots)." + (
            " With a SPEC (no --serve): the samples its example inputs hold, recorded as "
            "metadata.batch, the per-sample figures' divisor (default 1)." if trace else "")),
        _opt("--requests", type=int, default=None, help="Requests in all (default: as many as --prompt / --decode list, else --batch), queued at time 0."),
        _opt("--batching", default="static", help="Batching: static (admit into an empty batch) | "
            "continuous (admit into any free slot before each decode step)."),
        _opt("--attention", default="per-request", help="Decode attention: per-request (one op each, "
            "exact lengths, as paged attention) | padded (one op over the caches padded to the longest, "
            "as static batching pads)."),
        _opt("--attention-kernel", default="unfused", help="Attention's kernel, prefill and decode: "
            "unfused (scores, softmax, context: three launches, the score tensor through memory) | "
            "fused (FlashAttention: one launch, the same MACs and softmax work, the scores kept on "
            "chip: DRAM moves Q, K, V in and O out)."),
        _opt("--sub-batches", type=int, default=1, help="Decode steps split into this many independent "
            "sub-batches (NeuPIMs' interleaving: one's FC beside another's attention)."),
        _opt("--tensor-parallel", type=int, default=1, help="Devices N the model is split over (Megatron): "
            "the workload is one device's share, with all-reduces for a `collective` component."),
        _opt("--pipeline-parallel", type=int, default=1, help="Stages N the layers are split over "
             "(one device each): send/recv ops pass the hidden state between stages, for a "
             "`collective` component."),
        _opt("--micro-batches", type=int, default=1, help="With --pipeline-parallel: each batch "
             "split into this many identical micro-batches pipelined over the stages (GPipe); the "
             "workload is one micro-batch, the report the pipeline's (closed form)."),
        dtype,
        click.option("--kv-dtype", default=None, help=(
            f"The KV cache's number format: {'|'.join(KV_DTYPES)} (fp8: vLLM's --kv-cache-dtype "
            "fp8; int4: 0.5 B an element, lmdeploy quant_policy=4; int2: 0.25 B, KIVI's 2-bit "
            "cache; scales and zero points not counted). Default: --dtype. Scales the cache's bytes only (footprint, the rows appended, "
            "the K and V attention reads); the arithmetic stays at --dtype (dequantised on read)."
            + (" Not taken by cimsim trace, with or without --serve (refused): a traced run's "
               "cache is the model's own tensors, at --dtype; use `cimsim workload llm --kv-dtype`."
               if trace else ""))),
        click.option("--weight-dtype", default=None, help=(
            f"The weight matrices' number format: {'|'.join(WEIGHT_DTYPES)} (int4: weight-only "
            "W4A16 / W4A8, 0.5 B an element, as llama.cpp Q4, AWQ, GPTQ store them; int2: 0.25 B, "
            "2-bit or ternary weights four to a byte, BitNet b1.58's I2_S; group scales "
            "not counted: one fp16 per 128 weights adds 1/64 B a weight). Default: --dtype; no "
            "wider than --dtype. Scales the weights' bytes only (footprint, what each matmul "
            "reads); the arithmetic stays at --dtype (dequantised on read)."
            + (" Not taken by cimsim trace, with or without --serve (refused): a traced model's "
               "weights are its own tensors, at --dtype or their own dtype; use `cimsim workload "
               "llm --weight-dtype` (int4, int2) for a low-bit LLM." if trace else ""))),
    ]):
        f = deco(f)
    return f


def trace_serving_options(f):
    """``cimsim trace``'s serving options (:func:`serving_options`)."""
    return serving_options(f, trace=True)


def serving_params(prompt, decode, **options) -> dict:
    """The serving options as :func:`~cimsim.workload.llm.llm_serving` takes them."""
    served = max(options.get("requests") or 0, options.get("batch") or 0)
    _check_ops(served, f"--requests / --batch {served:,}")  # each request has its own ops
    return dict(prompt=_lengths(prompt, "prompt"), decode=_lengths(decode, "decode"), **options)


def _hf_base(make, given: dict) -> dict:
    """The shape an HF config gives with the shape options in ``given``; a config stating K/V
    heads that --heads alone no longer fits says to give --kv-heads too."""
    from ..errors import WorkloadError

    try:
        return make().__dict__
    except WorkloadError as exc:
        if "heads" in given and "kv_heads" not in given and "kv_heads=" in str(exc):
            raise WorkloadError(f"{exc} (the config states its key/value heads: give --kv-heads "
                                "with --heads)") from None
        raise


@workload.command("llm", cls=OneLineErrors)
@_opt("--hf-config", type=click.Path(dir_okay=False, path_type=Path), default=None,
      help="A Hugging Face config.json giving the model's shape (the shape options override it).")
@_opt("--hf-model", default=None, help="A transformers model type whose default config gives the "
      "shape, offline (llama: Llama-2-7B, mistral: Mistral-7B, gpt2: GPT-2 small).")
@_opt("--layers", type=int, default=None, help="Decoder layers (num_hidden_layers).")
@_opt("--hidden", type=int, default=None, help="Model width (hidden_size).")
@_opt("--heads", type=int, default=None, help="Query heads (num_attention_heads).")
@_opt("--kv-heads", type=int, default=None,
      help="Key/value heads (num_key_value_heads; GQA; 1 is MQA). Default: --heads.")
@_opt("--ffn", type=int, default=None, help="FFN width (intermediate_size). Default: 4 x hidden.")
@_opt("--vocab", type=int, default=None, help="Vocabulary size.")
@_opt("--head-dim", type=int, default=None, help="Head width. Default: hidden / heads.")
@click.option("--gated/--no-gated", default=None,
              help="Gated FFN (SwiGLU, Llama) or two matrices (GPT-2). Default: from the HF "
                   "config, else gated.")
@click.option("--tied-embeddings/--untied-embeddings", "tied", default=None,
              help="The LM head's matrix is the input embedding table (GPT-2, Gemma), or the "
                   "model has a table of its own, vocab x hidden more weight bytes held (Llama, "
                   "Mistral, Qwen2). Default: the HF config's tie_word_embeddings, else tied. An untied "
                   "table is stored at --head-dtype (default --weight-dtype).")
@_opt("--head-dtype", default=None, help="The LM head's matrix's and the embedding table's number "
      f"format: {'|'.join(WEIGHT_DTYPES)}. Default: --weight-dtype. BitNet b1.58 keeps them bf16 beside "
      "its ternary body (--weight-dtype int2 --head-dtype bf16), GPTQ/AWQ and 2-bit QuIP#/AQLM "
      "fp16; each decode step reads the whole head at this format. Wider than --dtype, the LM "
      "head's matmul computes at it (bf16 head, --dtype int8: a bf16 GEMM).")
@serving_options
@_opt("--verify", type=int, default=0, help="Speculative decoding's verify step: each decode step "
      "feeds K+1 tokens per request (K draft tokens) against its cache, reading the weights and "
      "the cache once, the LM head over all K+1. Default 0: one token a step. The draft model's "
      "steps are not in the run.")
@_opt("--accepted", type=int, default=None, help="With --verify K: tokens each verify step keeps "
      "(1 to K+1; default K+1, every draft accepted): the tokens it yields and adds to the cache. "
      "A whole number: for an expected accepted length E[A] that is not whole, TPOT ~ the "
      "verify step time (TPOT x A of a run at a whole A) / E[A].")
@_opt("--prefix", type=int, default=0, help="Tokens at the start of every prompt already in the KV "
      "cache (a prefix-cache hit, a shared system prompt): the prefill runs the rest against the "
      "whole prompt. Default 0.")
@_opt("--cuda-graph", is_flag=True, default=False, help="Replay each decode step as one CUDA "
      "graph (vLLM, TensorRT-LLM): the step's kernels are one launch (tag launch), paying "
      "processor.op_overhead and one access latency once a step instead of once a kernel; the "
      "prefill stays eager. Default: every kernel launched eagerly.")
@_opt("--image-tokens", type=int, default=None, help="Image tokens in each request: rows of its "
      "prompt after its text that come from image embeddings, not token ids (the prefill and KV cache "
      "hold them; --prompt counts the text), or, for a model with cross-attention layers (mllama, "
      "IDEFICS), the keys those attend to (default: the config's). Default 0.")
@_opt("--vision-workload", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
      help="A traced vision encoder (and projector) run before each request's prefill: its output "
      "is the request's image states (N x the text width); TTFT includes it. --image-tokens "
      "defaults to its N.")
@_output
@_name
def llm_cmd(hf_config, hf_model, layers, hidden, heads, kv_heads, ffn, vocab, head_dim, gated, tied, prompt, decode,
            batch, requests, batching, attention, attention_kernel, sub_batches, tensor_parallel,
            pipeline_parallel, micro_batches, dtype, kv_dtype, weight_dtype, verify, accepted, prefix, cuda_graph,
            image_tokens, vision_workload, output, name, head_dtype):
    """A decoder-only LLM serving run: prefill, then decode steps over a growing KV cache."""
    import json

    from ..workload.llm import LLMModel, hf_overridden, llm_serving, model_from_hf, model_from_hf_type

    shape = {"layers": layers, "hidden": hidden, "heads": heads, "kv_heads": kv_heads, "ffn": ffn,
             "vocab": vocab, "head_dim": head_dim, "gated": gated, "tied": tied}
    given = {k: v for k, v in shape.items() if v is not None}
    # the errors name the options (--kv-heads 3), not the parameters (kv_heads=3)
    click.get_current_context().with_resource(option_names(command_options()))
    try:
        if hf_config is not None and hf_model is not None:
            raise click.ClickException("give --hf-config or --hf-model, not both")
        if hf_model is not None:
            base = _hf_base(lambda: model_from_hf_type(hf_model, given), given)
        elif hf_config is not None:
            from ..workload.jsonstream import RepeatedKey, unique_keys

            try:
                cfg = json.loads(hf_config.read_text(), object_pairs_hook=unique_keys)
            except RepeatedKey as exc:
                raise click.ClickException(f"{hf_config}: key '{exc.key}' is given twice in one "
                                           "object (JSON would keep only the last value); give "
                                           "each key once") from None
            except (OSError, ValueError) as exc:
                raise click.ClickException(f"cannot read {hf_config} as a JSON config: "
                                           f"{getattr(exc, 'strerror', None) or exc}") from None
            if not isinstance(cfg, dict):
                raise click.ClickException(f"{hf_config}: a config.json is a JSON object")
            base = _hf_base(lambda: model_from_hf(hf_overridden(cfg, given)), given)
        else:
            missing = [f"--{k}" for k in ("layers", "hidden", "heads", "vocab") if k not in given]
            if missing:
                raise click.ClickException(f"give --hf-config or --hf-model, or {', '.join(missing)}")
            h, nh = given["hidden"], given["heads"]
            hd = given.get("head_dim") or (h // nh if nh >= 1 and h % nh == 0 else None)
            if hd is None:  # as the HF paths refuse it: a head would be rounded down
                raise click.ClickException(
                    f"--hidden {h} is not a multiple of --heads {nh}: give --head-dim, or a hidden "
                    "size divisible by the heads" if nh >= 1 else f"--heads must be >= 1, got {nh}")
            base = {"kv_heads": given.get("heads"), "ffn": 4 * h, "head_dim": hd, "gated": True}
        model = LLMModel(**{**base, **given})
        params = dict(model=model, **serving_params(
            prompt, decode, batch=batch, requests=requests, batching=batching, attention=attention,
            attention_kernel=attention_kernel, sub_batches=sub_batches, tensor_parallel=tensor_parallel,
            pipeline_parallel=pipeline_parallel, micro_batches=micro_batches, dtype=dtype,
            kv_dtype=kv_dtype, weight_dtype=weight_dtype), verify=verify, accepted=accepted, prefix=prefix,
            cuda_graph=cuda_graph, image_tokens=image_tokens, head_dtype=head_dtype)
        if vision_workload is not None:
            from ..workload.io import load_workload

            params["vision"] = load_workload(vision_workload)
        steps = max(params["decode"]) if isinstance(params["decode"], list) else params["decode"]
        _check_ops(max(steps, 1) * model.layers, f"--decode {steps:,} x --layers {model.layers:,}")
        with Feedback(f"llm workload -> {output}") as fb:
            fb.update("generating")
            w = llm_serving(**params, name=name)
            made = new_output(output)
            try:
                save_workload(stamp_writer(w), output, progress=fb)
            except OSError as exc:
                raise cannot_write(output, exc) from None
    except (WorkloadError, TypeError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(_summary(w, output, made))
    from ..workload.llm_cross import crossed
    from ..workload.llm_options import context_note

    wp = w.metadata["params"]
    step = (wp.get("verify", 0) + 1, wp.get("accepted", 1))  # a verify step feeds K + 1 positions
    img = 0 if crossed(model) else wp.get("image_tokens", 0)  # prompt rows (review 22 E 4); cross keys: none
    note = context_note(model, [p + img for p in wp["prompt"]], wp["decode"], step=step, image=img)
    if note:  # past a rotary model's max_position_embeddings: computed, but said
        click.echo(note, err=True)
    from ..workload.llm_cross import vision_note

    note = vision_note(cfg if hf_config is not None else {}, model, image_tokens, vision_workload is not None)
    if note:  # a VLM's config: what of the image the run holds
        click.echo(note, err=True)
    from ..report.serving import encoder_tp_note

    note = encoder_tp_note(w.metadata)
    if note:  # the chained encoder, whole on each tensor-parallel device (review 22 E 3)
        click.echo(f"note: {note}", err=True)


@workload.command("merge", cls=OneLineErrors)
@click.argument("models", nargs=-1, required=True, metavar="[NAME=]FILE...")
@click.option("--after", "edges", multiple=True, metavar="B.INPUT=A.OUTPUT|B=A",
              help="Model B's input INPUT is model A's tensor OUTPUT (same dtype and elements): B's "
                   "ops that read it wait for A's op that writes it. B=A (no tensor): B's ops that "
                   "read its own inputs wait for A's returned outputs (a cascade: the big model "
                   "after the small one's test). Repeatable.")
@click.option("--chain", is_flag=True, help="Each model feeds the next: its one output into the "
                                            "next model's one input of the same dtype and size.")
@_opt("--batch", type=int, default=1, help="Samples the merged run stands for (metadata.batch).")
@_output
@_name
def merge_cmd(models, edges, chain, batch, output, name):
    """Several models on one system as one workload: each model's names prefixed with its NAME
    (default: the file's stem), all starting together unless --after / --chain make one wait for
    another's output; the run reports each model's completion time and dynamic energy."""
    from ..workload.io import load_workload
    from ..workload.merge import merge_workloads

    if batch < 1:
        raise click.BadParameter(f"{batch}: a count of samples, at least 1", param_hint="--batch")
    pairs = []
    for item in models:
        label, eq, path = item.rpartition("=") if "=" in item and not Path(item).exists() else ("", "", item)
        pairs.append((label if eq else Path(path).stem, load_workload(path)))
    try:
        w = merge_workloads(pairs, after=edges, chain=chain, name=name, batch=batch)
    except WorkloadError as exc:
        raise click.ClickException(str(exc)) from None
    made = new_output(output)
    try:
        save_workload(stamp_writer(w), output)
    except OSError as exc:
        raise cannot_write(output, exc) from None
    click.echo(_summary(w, output, made))
    if w.metadata.get("edges"):  # the edges it chose (--chain's too), so a wrong one shows
        click.echo(f"edges: {', '.join(w.metadata['edges'])}")
from . import canonicalize as _canonicalize  # noqa: E402,F401  (registers `workload canonicalize`)
