"""Data statistics of an op, as op tags: what a traced model's real inputs and weights look like
to energies that depend on data (:mod:`cimsim.hw.circuits`: a cell conducts, a row swings, only
where a bit is one).

``cimsim trace --stats`` (:mod:`cimsim.workload.trace.stats`) runs the model once on its example
inputs and writes, on every matmul with a stationary weight (linear, convolution, GEMV), the tags

``input_ones``
    mean, over the input's ``input_stats_bits`` bit-planes, of the fraction of ones, the input
    quantised as the accuracy emulator quantises it (per activation row, max |x| to the top code;
    offset-binary when any input is negative); for an input of only -1/+1 or -1/0/+1, the
    density of the planes a CIM applies offset-binary, at any bits (:func:`.trace.stats.signed_ones`);
``input_zeros``
    fraction of the input's elements that are exactly zero (activation sparsity, before
    quantising);
``weight_ones``
    mean, over the weight's ``weight_stats_bits`` bit-planes, of the fraction of ones of its
    offset-binary words (per-column symmetric quantisation, as the emulator's ``offset``
    encoding stores them): with 1-bit cells, the fraction of cells in the on state;
``weight_abs_mean``
    mean |w| (the weight's own units);
``input_stats_bits``, ``weight_stats_bits``
    the bits each was quantised to;
``weight_zeros``
    fraction of the weight's elements exactly zero (weight sparsity, before quantising);
``weight_zero_rows``, ``weight_zero_cols``
    its K rows and N columns entirely zero (structured sparsity), and where they are:
    ``weight_zero_rows_at`` / ``weight_zero_cols_at``, index runs (``"0-127,300"``), only where
    there are any. No cost depends on them (zero-skipping is not modelled); a CIM counts the
    arrays whose tile holds only zeros (:mod:`cimsim.hw.cim.zeros`).

and, without ``--stats`` too, on a weight matmul whose input holds only 0 and 1 (a spiking
network's spikes: the float cast of a bool tensor, ``(v > theta).float()``, or
``torch.where(cond, 1.0, 0.0)``, through views, copies and max pools; with ``--stats``, also an
input whose every measured value is 0 or 1), or only -1 and +1, or -1, 0 and +1 (``torch.sign``,
``torch.where(x >= 0, 1., -1.)``: :mod:`cimsim.workload.trace.binary`), the tags

``input_value_bits``
    the input's values are whole numbers in ``[0, 2^b)``: ``1``, binary. A CIM applies such an
    input in ``ceil(min(b, input_bits) / dac_bits)`` slices (:mod:`cimsim.hw.cim.inbits`), and
    with ``1`` takes its ``input_ones`` as measured at any ``input_stats_bits`` (0/1 data
    quantised per row has every bit-plane alike);
``input_value_signed``
    ``1``: the values are of either sign, whole numbers with ``|x| < 2^b`` (``b`` magnitude bits
    and a sign: ``torch.sign``'s -1, 0, +1 with ``b = 1``); needs ``input_value_bits``;
``input_bipolar``
    ``1``: the values are exactly -1 or +1 (a binary neural network's signs, a bipolar
    hypervector: ``torch.where(x >= 0, 1., -1.)``); needs ``input_value_signed: 1`` and
    ``input_value_bits: 1``. How a CIM applies a signed narrow input: :mod:`cimsim.hw.cim.inbits`.

and, written by hand (or by a quantisation flow) on a weight matmul of a mixed-precision model,

``weight_value_bits``
    the weight's values are ``b``-bit integers: a CIM stores that matrix at
    ``min(weight_bits, b)`` bits, ``ceil(min(weight_bits, b) / bits_per_cell)`` cells a weight
    (:mod:`cimsim.hw.cim.wbits`).

A workload without these tags reads, runs and writes exactly as before (they are ordinary tags:
the readers and writers see nothing new). A tag out of range is a one-line
:class:`~cimsim.errors.WorkloadError` naming the op when the workload's columns are built.
"""

from __future__ import annotations

import numpy as np

from .oparrays import OpActivity

#: the activity tags' keys (their type, unit and meaning are in :data:`cimsim.workload.tags.TAGS`)
KEYS = ("input_ones", "input_zeros", "weight_ones", "weight_abs_mean", "input_stats_bits",
        "weight_stats_bits", "weight_zeros", "weight_zero_rows", "weight_zero_cols",
        "input_value_bits", "input_value_signed", "input_bipolar", "weight_value_bits")
#: a tag type -> its test over a float64 column (the vector form of ``tags.TYPES``' test)
_VECTOR_TESTS = {
    "fraction": lambda a: (a >= 0) & (a <= 1),
    "number": lambda a: (a >= 0) & np.isfinite(a),
    "bits": lambda a: (a >= 1) & (a <= 32) & (a == np.round(a)),
    "count": lambda a: (a >= 0) & np.isfinite(a) & (a == np.round(a)),
    "flag": lambda a: (a == 0) | (a == 1),
}


def _rule(key: str):
    """(what the value must be, in the registry's words; the vector test) of activity tag ``key``."""
    from .tags import TAGS as REGISTRY, TYPES

    kind = REGISTRY[key].type
    return TYPES[kind][0], _VECTOR_TESTS[kind]


#: tag -> (what the value must be, the test): the registry's rule for each of :data:`KEYS`
TAGS = {key: _rule(key) for key in KEYS}
#: the index-run tags (where the all-zero rows / columns are) and the count each must match
RUNS = {"weight_zero_rows_at": "weight_zero_rows", "weight_zero_cols_at": "weight_zero_cols"}
#: the tags that are a bit-plane figure, and the tag saying at how many bits
NEED_BITS = {"input_ones": "input_stats_bits", "weight_ones": "weight_stats_bits"}


def _error(workload: str, op: str, msg: str):
    from ..errors import WorkloadError

    return WorkloadError(f"workload '{workload}': op {op}: {msg}")


def _column(tags, key: str, n: int, names, workload: str) -> np.ndarray | None:
    """float64 values of tag ``key`` (NaN where an op lacks it); None when no op has it."""
    col = tags.columns.get(key)
    if col is None:
        return None
    has = np.array([key in o for o in tags.orders], dtype=bool)[np.asarray(tags.order_code)]
    if col[0] == "int":
        vals = col[1].astype(np.float64)
    else:
        vocab = col[2]
        ok = np.array([isinstance(v, (int, float)) and not isinstance(v, bool) for v in vocab] + [True])
        bad = has & ~ok[col[1]]
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise _error(workload, f"'{names[i]}' (#{i})", f"tag {key} = {vocab[col[1][i]]!r} is not a number; "
                                             f"it must be {TAGS[key][0]}")
        vals = np.array([float(v) if ok[j] else np.nan for j, v in enumerate(vocab)] + [np.nan])[col[1]]
    if (has & ~np.isfinite(vals)).any():
        i = int(np.flatnonzero(has & ~np.isfinite(vals))[0])
        raise _error(workload, f"'{names[i]}' (#{i})", f"tag {key} = {vals[i]:g} is not allowed; it must be "
                                         f"{TAGS[key][0]}")
    return np.where(has, vals, np.nan)


def activity_columns(tags, n: int, names, workload: str) -> OpActivity | None:
    """The ops' :class:`~cimsim.workload.oparrays.OpActivity` from their tags (None when no op
    states any); an out-of-range value is a :class:`~cimsim.errors.WorkloadError` naming the op,
    the tag and what is allowed."""
    if n == 0 or not any(k in tags.columns for k in TAGS):
        return None
    cols = {}
    for key, (allowed, ok) in TAGS.items():
        v = _column(tags, key, n, names, workload)
        if v is None:
            v = np.full(n, np.nan)
        stated = ~np.isnan(v)
        with np.errstate(invalid="ignore"):
            bad = stated & ~ok(np.where(stated, v, 0.0))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise _error(workload, f"'{names[i]}' (#{i})", f"tag {key} = {v[i]:g} is not allowed; it must be {allowed}")
        cols[key] = v
    for key, bits in NEED_BITS.items():
        bad = ~np.isnan(cols[key]) & np.isnan(cols[bits])
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise _error(workload, f"'{names[i]}' (#{i})", f"tag {key} needs tag {bits} (the bits the "
                                             "bit-planes were counted at)")
    _signs_need_bits(cols, names, workload)
    return OpActivity(**cols, zero_at=_zero_at(tags, cols, names, workload))


def _signs_need_bits(cols, names, workload) -> None:
    """``input_value_signed`` needs ``input_value_bits``; ``input_bipolar: 1`` needs
    ``input_value_signed: 1`` and ``input_value_bits: 1`` (a one-line error naming the op)."""
    bits, signed, bip = cols["input_value_bits"], cols["input_value_signed"], cols["input_bipolar"]
    for bad, msg in ((~np.isnan(signed) & np.isnan(bits), "tag input_value_signed needs tag "
                      "input_value_bits (the magnitude bits of the signed values)"),
                     ((bip == 1) & ((signed != 1) | (bits != 1)), "tag input_bipolar: 1 (values "
                      "-1 and +1 only) needs input_value_signed: 1 and input_value_bits: 1")):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise _error(workload, f"'{names[i]}' (#{i})", msg)


def index_runs(at) -> str:
    """Sorted distinct indices as runs: ``[0, 1, 2, 5]`` -> ``"0-2,5"``."""
    runs, start = [], None
    for i, x in enumerate(at):
        if start is None:
            start = x
        if i + 1 == len(at) or at[i + 1] != x + 1:
            runs.append(f"{start}" if start == x else f"{start}-{x}")
            start = None
    return ",".join(runs)


def parse_runs(text) -> np.ndarray | None:
    """The indices of :func:`index_runs`' ``text`` (int64, ascending); None when it is not runs
    of whole numbers >= 0 in ascending order."""
    if not isinstance(text, str) or not text:
        return None
    out, last = [], -1
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        if not lo.isdigit() or not (hi.isdigit() or not _):
            return None
        a, b = int(lo), int(hi) if _ else int(lo)
        if a <= last or b < a:
            return None
        out.append(np.arange(a, b + 1, dtype=np.int64))
        last = b
    return np.concatenate(out)


def _zero_at(tags, cols, names, workload) -> dict | None:
    """``{op index: (all-zero row indices, all-zero column indices)}`` of the ops with a
    :data:`RUNS` tag (None when none has one); a tag that is not runs, or whose count differs
    from its count tag's, is a :class:`~cimsim.errors.WorkloadError` naming the op."""
    out = {}
    for key, count in RUNS.items():
        col = tags.columns.get(key)
        if col is None:
            continue
        has = np.array([key in o for o in tags.orders], dtype=bool)[np.asarray(tags.order_code)]
        for i in np.flatnonzero(has).tolist():
            text = col[1][i] if col[0] == "int" else col[2][col[1][i]]
            at = parse_runs(str(text) if isinstance(text, (int, np.integer)) else text)
            if at is None or len(at) != cols[count][i]:
                raise _error(workload, f"'{names[i]}' (#{i})", f"tag {key} = {str(text)[:40]!r} is not allowed; it "
                                                 f"must be ascending index runs ('0-127,300') of as "
                                                 f"many indices as tag {count} states")
            rows_at, cols_at = out.get(i, (None, None))
            out[i] = (at, cols_at) if key == "weight_zero_rows_at" else (rows_at, at)
    return out or None


def activity_reference(ops) -> OpActivity | None:
    """:func:`activity_columns` op by op (the test reference; values only, no checks)."""
    if not any(k in op.tags for op in ops for k in TAGS):
        return None
    zero_at = {i: tuple(parse_runs(op.tags[k]) if k in op.tags else None for k in RUNS)
               for i, op in enumerate(ops) if any(k in op.tags for k in RUNS)}
    return OpActivity(**{k: np.array([float(op.tags[k]) if k in op.tags else np.nan for op in ops])
                         for k in TAGS}, zero_at=zero_at or None)
