"""The one table of op tags: every tag key cimsim writes or reads, its value type, unit and
meaning (:data:`TAGS`), and the check every workload passes (:func:`check_tags`).

A workload's ops carry tags (``Op.tags``, a file's ``"tags"`` object). The tracer, the
generators, the ONNX import and the file reader all go through :func:`check_tags` (run when a
:class:`~cimsim.workload.ir.Workload` is made, as its other rules are), so a key not declared
here is refused in one line naming the op, the key, the nearest declared key and the allowed
keys: a misspelt ``lauch`` no longer runs as an op without its launch group. A key starting
:data:`USER_PREFIX` is the user's own note, kept and read by nothing. Each tag's value is checked
by its type (:data:`TYPES`), a cost tag by the op kinds that read it (``Tag.kinds``,
``Tag.value_kinds``: ``window_elems`` on a copy would change nothing, so it is refused) and the
``chain_in`` / ``chain_out`` / ``chain_io`` lists by the op's input and output counts; the other
checks of one tag against another or against the op (``store_bytes`` at most the op's outputs,
...) stay with the code that reads the tag. ``python -m cimsim.workload.tag_docs --write README.md`` writes the README's table
from this one.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

#: keys starting so are the user's own notes: kept, written back, read by nothing
USER_PREFIX = "x_"


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


#: type name -> (what a value must be, in words; the test of one value)
TYPES: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "bytes": ("a number >= 0 (bytes)", lambda v: _num(v) and v >= 0),
    "access": ("0 (streaming) or a number >= 1 (bytes)", lambda v: _num(v) and (v == 0 or v >= 1)),
    "count": ("a whole number >= 0", lambda v: _num(v) and v >= 0 and v == int(v)),
    "number": ("a finite number >= 0", lambda v: _num(v) and v >= 0),
    "fraction": ("a fraction in [0, 1]", lambda v: _num(v) and 0 <= v <= 1),
    "bits": ("a whole number of bits in 1..32", lambda v: _num(v) and 1 <= v <= 32 and v == int(v)),
    "flag": ("0 or 1", lambda v: _num(v) and v in (0, 1)),
    "counts": ("a list of numbers >= 0, one per input (output)",
               lambda v: isinstance(v, list) and all(_num(x) and x >= 0 for x in v)),
    "runs": ("index runs: a string of ascending indices and ranges, such as '0-3,7'",
             lambda v: isinstance(v, str)),
    "text": ("a string", lambda v: isinstance(v, str)),
    "pairs": ("a list per input of a list per output, each a number >= 0 or null",
              lambda v: isinstance(v, list) and all(isinstance(r, list) and all(
                  x is None or (_num(x) and x >= 0) for x in r) for r in v)),
    "label": ("any JSON value (a label: shown, read by no cost model)", lambda v: True),
    "group": ("any JSON value (ops of one value are one group; numbers compare by value: 1 and 1.0 "
              "are one group)", lambda v: True),
}


#: the types whose values are numbers (a string, a bool or null there "is not a number")
NUMERIC = ("bytes", "access", "count", "number", "fraction", "bits", "flag")


@dataclass(frozen=True)
class Tag:
    """One tag: its value type (a key of :data:`TYPES`), unit ("-" for none), what it changes,
    and for a ``text`` tag the values cimsim reads (another value is a label, but one that is a
    near miss of one of these is refused as a typo)."""

    type: str
    unit: str
    what: str
    values: tuple[str, ...] = ()
    #: whether the value changes a cost or a reported number (False: a label, for reading;
    #: "note": it only feeds a run's notes, no number)
    costs: bool | str = True
    #: of a ``text`` tag with ``values``: whether another string is a label (True) or refused
    labels: bool = False
    #: the op kinds the tag may stand on (empty: any)
    kinds: tuple[str, ...] = ()
    #: of a ``text`` tag: the op kinds each value cimsim reads may stand on (value, kinds) pairs
    value_kinds: tuple[tuple[str, tuple[str, ...]], ...] = ()


#: what ``part`` values cimsim reads (the others are labels: ``qkv_proj``, ``ffn1``, ...)
PARTS: tuple[str, ...] = ("im2col", "col2im", "gather", "backward", "conv", "conv_dw")
#: the op kinds a ``part`` value cimsim reads may stand on (gather and backward: any kind)
PART_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("im2col", ("copy",)), ("col2im", ("reduction", "elementwise")),
    ("conv", ("matmul",)), ("conv_dw", ("matmul",)))
#: a weight matmul's tags (the CIM's input reuse, its weight sharing, its measured activity)
MATMUL: tuple[str, ...] = ("matmul",)
#: a traced gather's tags: the kinds a gather / scatter / bag is lowered to
GATHER: tuple[str, ...] = ("copy", "reduction", "elementwise")
#: ``Tag.costs`` of a tag that only feeds a run's notes (no number changes)
NOTE = "note"
#: values of ``epilogue``
EPILOGUES: tuple[str, ...] = ("bias", "relu", "bias+relu")

TAGS: dict[str, Tag] = {
    # ---- memory access pattern
    "access_bytes": Tag("access", "B", "bytes per independent random access (0: streaming, else at "
                        "least 1); a traced gather's mean access of whole 64 B lines"),
    "random_read_bytes": Tag("bytes", "B", "of an op with access_bytes, the bytes read at random "
                             "(the rest of its reads stream)"),
    "random_write_bytes": Tag("bytes", "B", "of an op with access_bytes, the bytes written at random"),
    "table_bytes": Tag("bytes", "B", "of an op with access_bytes, the table its random accesses read "
                       "(a level where streaming it is cheaper charges the stream)"),
    "table_rows": Tag("count", "rows", "rows of the table a traced gather reads (its notes on "
                      "repeated ids past the cache)", costs=NOTE, kinds=GATHER),
    "row_bytes": Tag("bytes", "B", "bytes of one row a traced gather looks up, as its view holds it (a "
                     "slice's, not its storage's): near-bank PIM units read lookups x row_bytes in the banks "
                     "for an embedding bag", kinds=GATHER),
    "lookups": Tag("count", "rows", "ids a traced gather looks up (its notes on repeated ids; a bag's "
                   "bank reads on near-bank PIM units, lookups x row_bytes)", kinds=GATHER),
    "rows_read": Tag("count", "rows", "distinct rows a traced gather reads (its notes on repeated ids)", costs=NOTE, kinds=GATHER),
    "read_fraction": Tag("fraction", "-", "share of the op's bytes that are reads on every resource "
                         "(default: from the cost model, per resource)"),
    "store_bytes": Tag("bytes", "B", "bytes of the op's outputs also stored to the backing store "
                       "(a KV-cache append); at most its output bytes"),
    "on_chip": Tag("flag", "-", "1: the op's outputs stay on chip (a fused kernel's intermediate), "
                   "moved at 0 bytes"),
    # ---- timing
    "launch": Tag("group", "-", "ops of one value are one kernel launch: the group pays one fixed "
                  "latency (one dispatch and access latency)"),
    "chain_ops": Tag("number", "ops", "dependent ops the op stands for on a path (the critical "
                     "path's serial steps; default 1)"),
    "chain_in": Tag("counts", "ops", "chain_ops per input: the steps from each input to the op's end"),
    "chain_out": Tag("counts", "ops", "chain_ops per output: the steps from the op's start to each output"),
    "chain_io": Tag("pairs", "ops", "chain_ops per input and output pair: the dependent ops from each "
                    "input to each output, null where the output does not depend on it (a fused op)"),
    "chain_io_omitted": Tag("count", "pairs", "input x output pairs of a fused op whose chain_io the tracer "
                            "did not work out (over 16,384 pairs, or over its pass's work bound): its "
                            "pairs count min(chain_in, chain_out), an upper bound; a run note names it"),
    "serial_ops": Tag("number", "ops", "operations one after another per element (a recurrence): "
                      "the processor's cycle bound"),
    "host_syncs": Tag("count", "reads", "host reads of a tensor's value (a traced if / .item() / "
                      "nonzero count) just before the op: a processor charges each its sync_overhead"),
    "dispatches": Tag("count", "calls", "torch calls the op stands for, each charged the processor's "
                      "op_overhead where it has torch_cpu_dispatches: true (default 1, and one dispatch an "
                      "op elsewhere): the tracer states it on a native nn.LSTM / nn.GRU / nn.RNN "
                      "step's fused gate arithmetic, the ATen calls of torch's CPU cell (10 an LSTM or GRU "
                      "step; its views not counted)"),
    # ---- what kind of work
    "part": Tag("text", "-", "what the op is part of; cimsim reads im2col (a convolution's window "
                "copy), col2im, gather, backward (a training step's backward op), conv and conv_dw "
                "(a convolution's matmul, depthwise); any other string is a label", PARTS, labels=True, value_kinds=PART_KINDS),
    "pool": Tag("text", "-", "a traced gather / scatter's reduction (sum, mean, max, scatter): its notes", costs=NOTE, kinds=GATHER),
    "epilogue": Tag("text", "-", "on an elementwise op: bias, relu or bias+relu, what a CIM's "
                    "cim.nmc datapath absorbs into the matmul before it", EPILOGUES,
                    kinds=("elementwise",)),
    "window_elems": Tag("count", "elements", "a convolution's input elements per output window "
                        "(a CIM's input reuse)", kinds=MATMUL),
    "depthwise": Tag("flag", "-", "1: a depthwise convolution's matmul (one channel per group)", kinds=MATMUL),
    "weight_transposed": Tag("flag", "-", "how a matmul reads its weight: 0 k down its first "
                             "dimension (dY @ W), 1 along its trailing ones (x @ W.T)"),
    "weight_name": Tag("text", "-", "the parameter a matmul's weight is (stationary-weight sharing)", kinds=MATMUL),
    "input_value_bits": Tag("bits", "bits", "on a weight matmul: its inputs are whole numbers below "
                            "2^b (a CIM feeds min(slices, ceil(b / dac_bits)) input slices)", kinds=MATMUL),
    "input_value_signed": Tag("flag", "-", "on a weight matmul with input_value_bits: b, its inputs are "
                              "whole numbers of either sign, |x| < 2^b (-1, 0 or +1 at b = 1: torch.sign); a "
                              "CIM applies the sign by its signed-input rules", kinds=MATMUL),
    "input_bipolar": Tag("flag", "-", "with input_value_signed: 1 and input_value_bits: 1, its inputs "
                         "are -1 or +1 only (a binary network's signs): one input plane", kinds=MATMUL),
    "weight_value_bits": Tag("bits", "bits", "on a weight matmul: its weight's values are b-bit "
                             "integers (a layer quantised narrower than the rest); a CIM stores them at "
                             "min(weight_bits, b) bits, ceil(min(weight_bits, b) / bits_per_cell) cells a weight", kinds=MATMUL),
    # ---- measured activity (CIM energy)
    "input_ones": Tag("fraction", "-", "share of input bit-planes' bits that are 1 (needs input_stats_bits)", kinds=MATMUL),
    "input_zeros": Tag("fraction", "-", "share of input values that are 0", kinds=MATMUL),
    "input_stats_bits": Tag("bits", "bits", "the bits input_ones was counted at", kinds=MATMUL),
    "weight_ones": Tag("fraction", "-", "share of weight bit-planes' bits that are 1 (needs weight_stats_bits)", kinds=MATMUL),
    "weight_zeros": Tag("fraction", "-", "share of weight values that are 0", kinds=MATMUL),
    "weight_abs_mean": Tag("number", "-", "mean absolute weight (a weight's scale)", kinds=MATMUL),
    "weight_stats_bits": Tag("bits", "bits", "the bits weight_ones was counted at", kinds=MATMUL),
    "weight_zero_rows": Tag("count", "rows", "all-zero rows of the weight", costs=NOTE, kinds=MATMUL),
    "weight_zero_cols": Tag("count", "columns", "all-zero columns of the weight", costs=NOTE, kinds=MATMUL),
    "weight_zero_rows_at": Tag("runs", "-", "where the all-zero rows are (as many as weight_zero_rows)", costs=NOTE, kinds=MATMUL),
    "weight_zero_cols_at": Tag("runs", "-", "where the all-zero columns are (as many as weight_zero_cols)", costs=NOTE, kinds=MATMUL),
}

#: labels: written by the tracer, the generators and the ONNX import for a reader (op tables,
#: --group-by, notes), read by no cost model; each any JSON value
LABELS: dict[str, str] = {
    "module": ("the PyTorch module an op came from (per-module sums: group Result.op_table by "
               "it, README 'Tracing PyTorch models')"),
    "modules": "the modules a fused op's members came from",
    "module_calls": "the calls of each module so far (--launch-module)",
    "layer": "the layer index of a generated model",
    "step": "the step of a recurrence or a serving run",
    "phase": "prefill or decode (serving)",
    "request": "the request of a serving run",
    "stage": "the pipeline stage",
    "direction": "a bidirectional recurrence's direction",
    "aten": "the aten operator traced",
    "onnx": "the ONNX node type imported",
    "onnx_weight": "the ONNX initializer a matmul reads",
    "custom_op": "a custom operator's name",
    "unknown": "an operator the tracer has no rule for (charged as generic work)",
    "fused": "how many traced ops a fused op stands for",
    "quantized": "a quantized operator's kind (dynamic, static)",
    "fake_quant": "a fake-quantize op",
    "quantize": "a quantize / dequantize op",
    "complex": "a complex-valued op's part",
    "linalg": "the linear-algebra routine traced",
    "cdist": "a pairwise-distance op's part",
    "index": "an indexing op's form",
    "level": "a hierarchy's level",
    "windows": "a windowed-attention generator's windows",
    "vectors": "a windowed-attention generator's vectors per window",
    "window": "a hierarchical-attention generator's window index",
    "group": "a hierarchical-attention generator's group index",
    "dilation": "a TCN generator's layer dilation",
    "scan_length": "a traced scan's (cumsum, cumprod) length",
    "cdist_p": "a traced cdist's p (a number, or 'inf')",
    "expert": "a grouped (mixture-of-experts) matmul's group",
    "poly_degree": "a traced special function's polynomial degree",
    "svd": "a traced SVD's form (uv, values)",
    "mexp_degree": "a matrix exponential's Pade degree",
    "mexp_squarings": "a matrix exponential's squarings",
    "mexp_values": "a matrix exponential's values (real, complex)",
}
TAGS.update({k: Tag("label", "-", v, costs=False) for k, v in LABELS.items()})


def show(value: Any) -> str:
    """A tag value as a user wrote it: a whole float as an integer, a string quoted, JSON
    otherwise (never a NumPy repr)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return str(int(value))
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (str, bool)) or value is None:
        return repr(value)
    import json

    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def value_problem(key: str, value: Any) -> str | None:
    """What is wrong with ``value`` of declared tag ``key`` (None: nothing)."""
    tag = TAGS[key]
    allowed, ok = TYPES[tag.type]
    if tag.type in NUMERIC and not _num(value) and not (isinstance(value, float) and not math.isfinite(value)):
        return f"is not a number; it must be {allowed}"
    if not ok(value):
        if tag.values and not tag.labels:
            return f"is not allowed; it must be one of {', '.join(tag.values)}"
        return f"is not allowed; it must be {allowed}"
    if tag.type == "text" and tag.values and value not in tag.values:
        if not tag.labels:
            near = difflib.get_close_matches(value, tag.values, n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            return f"is not allowed; it must be one of {', '.join(tag.values)}{hint}"
        near = difflib.get_close_matches(value, tag.values, n=1, cutoff=0.75)
        if near and value not in KNOWN_LABELS.get(key, ()):
            return (f"is not allowed; did you mean '{near[0]}'? cimsim reads {', '.join(tag.values)}; another "
                    "string is a label, but this one looks like a misspelling of one it reads")
    return None


#: ``part`` labels the tracer and generators write that are near a value cimsim reads
KNOWN_LABELS: dict[str, tuple[str, ...]] = {"part": ("conv_dx", "conv_dw_dx", "im2col_dx")}


def unknown_key_message(key: str) -> str:
    """The text for an undeclared tag ``key``: the nearest declared key and the allowed ones."""
    near = difflib.get_close_matches(key.strip().lower(), TAGS, n=1, cutoff=0.6)
    hint = f" (did you mean '{near[0]}'?)" if near else ""
    cost = sorted(k for k, t in TAGS.items() if t.costs)
    return (f"tag '{key}' is not a tag cimsim knows{hint}; allowed: {', '.join(cost)}, the labels "
            f"{', '.join(sorted(LABELS))}, or a key starting '{USER_PREFIX}' (your own note, "
            "read by nothing); see the op-tag table in the README")


def first_tag_error(c) -> tuple[int, str] | None:
    """``(op, text)`` of the first op (in op order) with an undeclared tag key, a value its
    type refuses or a tag on a kind of op it may not stand on, from a workload's columns; None
    when every tag holds."""
    from .kinds import OP_KINDS

    tags, n = c.tags, c.n_ops
    if n == 0:
        return None
    codes = np.asarray(tags.order_code)
    found: list[tuple[int, str]] = []
    for key in {k for keys in tags.orders for k in keys}:
        has = np.array([key in o for o in tags.orders], dtype=bool)[codes]
        if not has.any():
            continue
        if key not in TAGS:
            if not (isinstance(key, str) and key.startswith(USER_PREFIX)):
                found.append((int(np.argmax(has)), unknown_key_message(key)))
            continue
        col = tags.columns[key]
        for value, kinds in ((None, TAGS[key].kinds), *TAGS[key].value_kinds):
            off = has if value is None or col[0] != "json" else has & (
                np.asarray(col[1]) == (col[2].index(value) if value in col[2] else -1))
            off = off & ~np.isin(c.kind, [OP_KINDS.index(k) for k in kinds]) if kinds else off & False
            if off.any():
                i = int(np.argmax(off))
                what = key if value is None else f"{key} = {show(value)}"
                kind = OP_KINDS[int(c.kind[i])]
                found.append((i, f"tag {what} stands on {'an' if kind[0] in 'aeiou' else 'a'} {kind} op; "
                                 f"cimsim reads it on {', '.join(kinds)} ops only, so here it would change "
                                 "nothing; move it to the op that does the work"
                                 + (f" ({TAGS[key].what})" if value is None else "")))
        if col[0] == "int":
            values = col[1][has]
            uniq = np.unique(values)
            bad = [v for v in uniq.tolist() if value_problem(key, v) is not None]
            if bad:
                i = int(np.flatnonzero(has & np.isin(col[1], bad))[0])
                found.append((i, f"tag {key} = {show(int(col[1][i]))} {value_problem(key, int(col[1][i]))}"))
            continue
        vocab = col[2]
        probs = [value_problem(key, v) for v in vocab]
        bad_code = np.array([p is not None for p in probs] + [False])
        hit = has & bad_code[np.asarray(col[1])]
        if hit.any():
            i = int(np.argmax(hit))
            j = int(col[1][i])
            found.append((i, f"tag {key} = {show(vocab[j])} {probs[j]}"))
    found.extend(_chain_lengths(c))
    return min(found) if found else None


def _chain_lengths(c) -> list[tuple[int, str]]:
    """``(op, text)`` of the first op whose ``chain_in`` / ``chain_out`` is not one number per
    input / output, or whose ``chain_io`` is not one list per input of one entry per output."""
    n_in, n_out = np.diff(c.in_ptr), np.diff(c.out_ptr)
    found = []
    for key, what in (("chain_in", "input"), ("chain_out", "output"), ("chain_io", "input")):
        col = c.tags.columns.get(key)
        if col is None or col[0] != "json":  # a whole number is no list: its type check refuses it
            continue
        has = np.array([key in o for o in c.tags.orders], dtype=bool)[np.asarray(c.tags.order_code)]
        vocab = col[2]
        lengths = np.array([len(v) if isinstance(v, list) else -1 for v in vocab] + [-1])
        inner = np.array([len(v[0]) if isinstance(v, list) and v and all(
            isinstance(r, list) and len(r) == len(v[0]) for r in v) else -1 for v in vocab] + [-1])
        code = np.asarray(col[1])
        need_out = n_out if key == "chain_out" else n_in
        bad = has & (lengths[code] != need_out)
        if key == "chain_io":
            bad |= has & (n_in > 0) & (inner[code] != n_out)
        if bad.any():
            i = int(np.argmax(bad))
            form = (f"a list of {n_in[i]} lists (one per input) of {n_out[i]} numbers >= 0 or null (one "
                    "per output)" if key == "chain_io" else f"a list of {need_out[i]} numbers >= 0, one per "
                    f"{what} of the op, in the order of its {what}s")
            found.append((i, f"tag {key} = {show(vocab[int(code[i])])} is not allowed; the op has {n_in[i]} "
                             f"input(s) and {n_out[i]} output(s), so it must be {form}"))
    return found


def check_tags(workload) -> None:
    """Refuse (one line naming the op, its index, the tag and what is allowed) the first op with
    an undeclared tag key or a tag value its type refuses."""
    from ..errors import WorkloadError

    c = workload.columns
    err = first_tag_error(c)
    if err is not None:
        i, text = err
        raise WorkloadError(f"workload '{workload.name}': op '{c.op_names[i]}' (#{i}): {text}")
