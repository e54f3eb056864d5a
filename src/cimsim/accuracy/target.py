"""What ``--accuracy`` evaluates, and the accuracy columns of one design point.

A *target* is a model with its evaluation data: a bundled evaluation model by name
(:data:`cimsim.accuracy.models.MODELS`, e.g. ``digits-cnn``), or a user's ``FILE.py:FACTORY``
(the factory ``cimsim trace`` takes, returning ``(model, example_inputs)``, a function too)
with ``--dataset FILE.py:DATASET``, a callable returning ``(inputs, labels)`` (``labels`` may be
None: agreement, SNR and KL are reported without top-1). The same model is traced for cost (one
sample of the data, as ``cimsim trace`` would) and run for accuracy: one forward of one design.

:func:`accuracy_record` scores a target on an architecture: its (first) CIM component's
arithmetic (:meth:`Arith.from_cim`) and ``nonideal`` block; without a CIM, a digital array of
fixed precision (a systolic array's ``weight_bits`` x ``input_bits``) computes exact integer
products of the quantised operands, a plug-in's analog device its own ADC-limited arithmetic
(:mod:`.analog`); otherwise the accuracy is the fp32 reference's. Each says which in
``accuracy_basis``. Which is which is its class's ``accuracy_arithmetic`` (:func:`arithmetic_of`;
a plug-in subclass inherits it); a type without one is refused.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Optional

from ..errors import CimsimError, where_raised
from ..report import columns as C
from . import classes
from .arith import Arith, NotEmulated, nonideal_of
from .analog import analog_arith, analog_basis
from .choose import choose, placement_key
from .layerbits import from_workload, note as bits_note
from .nonideal import nonideal_text as _nonideal_text
from .notes import not_emulated_note

#: one-line install hint for the accuracy extra
INSTALL = "pip install 'cimsim[accuracy]'"
#: calibration inputs of the ``calibrated`` ADC range policy (taken from the training split)
CALIBRATION_SAMPLES = 256


class AccuracyError(CimsimError):
    """A bad ``--accuracy`` model or data set (unknown name, broken file, missing extra)."""


@dataclass
class Target:
    """A model with its evaluation data."""

    name: str
    model: Any                     #: torch.nn.Module (eval mode)
    inputs: Any                    #: test inputs (a tensor or tuple of them, first dimension = samples)
    labels: Any                    #: test labels (int64 tensor) or None
    calibration: Any               #: inputs for the ``calibrated`` ADC range policy
    example: tuple                 #: one sample, traced for the cost
    key: str                       #: identity of the model and data (trace cache key)
    output_kind: str = "auto"      #: logits, probabilities or auto (:mod:`.scores`)


def require_torch(what: str = "--accuracy needs torch"):
    try:
        import torch
    except ImportError:
        raise AccuracyError(f"{what}, which is not installed: {INSTALL}") from None
    return torch


def is_target_spec(spec: str) -> bool:
    """Whether ``spec`` names a bundled evaluation model or a ``FILE.py:FACTORY``."""
    if spec in bundled_names_no_torch():
        return True
    head, sep, tail = spec.rpartition(":")
    return bool(sep) and head.endswith(".py") and tail.isidentifier()


def bundled_names_no_torch() -> tuple[str, ...]:
    # the names without importing torch (models.py imports it): kept equal by a test
    return ("digits-mlp", "digits-cnn", "mnist-cnn", "mnist1d-cnn", "mnist1d-gru", "mnist1d-lstm")


def _import_callable(spec: str, option: str):
    """``FILE.py:NAME`` or ``package.module:NAME`` -> the callable (the module imported once)."""
    from ..workload.trace.common import import_function

    return import_function(spec, option, AccuracyError, reuse=True)


def _call(spec: str, option: str):
    """Call the user's function ``spec`` names; what it raises is one line naming it and where."""
    fn = _import_callable(spec, option)
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - the user's code: one line, with where it raised
        raise AccuracyError(f"{option} '{spec}': calling it failed: {type(exc).__name__}: {exc}"
                            f"{where_raised(exc)}") from exc


def load_target(spec: str, dataset: Optional[str] = None, output_kind: str = "auto") -> Target:
    """The bundled model ``spec`` (trained and cached on first use), or ``FILE.py:FACTORY``
    evaluated on ``dataset`` (``FILE.py:DATASET`` returning ``(inputs, labels)``, the inputs a
    tensor or a tuple of them: :mod:`.inputs`); ``output_kind`` as :mod:`.scores` reads it."""
    from .inputs import check_data, count, rows

    torch = require_torch(f"'{spec}' is a PyTorch model cimsim traces (and --accuracy evaluates): "
                          "it needs torch")
    names = bundled_names_no_torch()
    if spec in names:
        if dataset is not None:
            raise AccuracyError(f"--dataset goes with a FILE.py:FACTORY model; '{spec}' is bundled "
                                "with its own data")
        from . import models

        try:
            model, split = models.load(spec)
        except ImportError as exc:
            raise AccuracyError(f"model '{spec}': {exc}") from None
        # the weights' bytes in the key (as a user model's): a trace carries the weights' data
        # statistics, so retrained or other weights (another CPU's rounding) trace again
        key = f"{spec}-v{models.MODELS_VERSION}-{_weights_hash(torch, hashlib.sha256(), model)[:12]}"
        return Target(spec, model, split.x_test, split.y_test,
                      split.x_train[:CALIBRATION_SAMPLES], (split.x_test[:1],), key, output_kind)
    if ":" not in spec:
        raise AccuracyError(f"unknown evaluation model '{spec}': give a bundled one "
                            f"({', '.join(names)}) or FILE.py:FACTORY with --dataset FILE.py:DATASET")
    if dataset is None:
        raise AccuracyError(f"model '{spec}' needs --dataset FILE.py:DATASET, a function returning "
                            "(inputs, labels)")
    result = _call(spec, "model")
    if not (isinstance(result, tuple) and len(result) == 2 and callable(result[0])):
        raise AccuracyError(f"model '{spec}': the factory must return (model, example_inputs), "
                            "the model a torch.nn.Module or a function of the inputs")
    from ..workload.trace.functions import as_module
    from .run import eval_mode  # modes with any module in eval stay so; a function as trace wraps it
    model = as_module(torch, result[0], f"model '{spec}'")
    model = eval_mode(model)  # all modules in train mode: eval (any in eval: kept)
    x, y = check_data(torch, _call(dataset, "--dataset"), dataset)
    out = _check_runs_on(torch, model, x, result[1], dataset)
    from .logits import _logits
    try:  # the scorer's reading of the output: its .logits, a mapping's, a tuple's first
        out = _logits(out)
    except Exception:  # noqa: BLE001 - an output it cannot read: the checks below name it
        pass
    # one class per sample of a (N, C) output, per position of a (N, C, H, W) one
    classes.check_labels(out, y, count(x), f"--dataset '{dataset}'")
    h = hashlib.sha256(f"{Path(spec.rpartition(':')[0]).resolve()}:{spec}:{dataset}".encode()
                       + _file_bytes(spec))
    # the data and the weights by their bytes: a changed data file (or one it reads) is new data
    for name, t in [("x", x), ("y", y)]:
        h.update(name.encode())
        _hash_tensor(torch, h, t)
    key = _weights_hash(torch, h, model)[:16]
    name = re.sub(r"\W", "-", Path(spec.rpartition(":")[0]).stem + "-" + spec.rpartition(":")[2])
    return Target(name, model, x, y, rows(x, 0, CALIBRATION_SAMPLES), rows(x, 0, 1), f"{name}-{key}",
                  output_kind)


def _check_runs_on(torch, model, x, example, dataset: str):
    """The model's output for the data set's first input (its trace is that sample's forward
    pass), or one line naming the data set, the shapes and what the model raised."""
    from .inputs import rows

    first = rows(x, 0, 1)  # spread over forward, as trace spreads the example inputs
    try:
        with torch.no_grad():
            return model(*first)
    except Exception as exc:  # noqa: BLE001 - the user's model on the user's data: one line
        exs = [t for t in (example if isinstance(example, tuple) else (example,))
               if isinstance(t, torch.Tensor)]
        dt = lambda ts: ", ".join(str(t.dtype).removeprefix("torch.") for t in ts)  # noqa: E731
        said = (f"; the factory's example inputs have shape {', '.join(str(list(t.shape)) for t in exs)}"
                if exs else "")
        said += f"; its dtype {dt(first)}, the example's {dt(exs)}" if exs and dt(exs) != dt(first) else ""
        msg = str(exc).splitlines()[0] if str(exc) else ""
        raise AccuracyError(f"--dataset '{dataset}': the model fails on its first input (shape "
                            f"{', '.join(str(list(t.shape)) for t in first)}{said}"
                            + (f"; its {len(first)} input tensors are spread over forward" if len(first) > 1
                               else "") + f"): {type(exc).__name__}: {msg}") from exc


def _weights_hash(torch, h, model) -> str:
    """``h`` fed ``model``'s state dict (names, dtypes, shapes, bytes), as hex digits."""
    for name, t in model.state_dict().items():
        h.update(name.encode())  # renamed or swapped tensors are another model
        _hash_tensor(torch, h, t)
    return h.hexdigest()


def _hash_tensor(torch, h, t) -> None:
    """Feed ``t``'s dtype, shape and bytes to the hash ``h``; a value that is no tensor (a
    module's extra state in its ``state_dict``) by its structure: containers item by item,
    numbers and strings by value, anything else by its pickle (a repr abbreviates large
    tensors and names addresses)."""
    if isinstance(t, dict):
        for k, v in t.items():
            h.update(repr(k).encode())
            _hash_tensor(torch, h, v)
        return
    if isinstance(t, (list, tuple)):
        h.update(f"{type(t).__name__}{len(t)}".encode())
        for v in t:
            _hash_tensor(torch, h, v)
        return
    if t is None or isinstance(t, (str, int, float, bool, bytes)):
        h.update(repr(t).encode())
        return
    if not torch.is_tensor(t):
        import pickle

        h.update(pickle.dumps(t))
        return
    t = t.detach().cpu().contiguous()
    h.update(f"{t.dtype}{tuple(t.shape)}".encode())
    if t.numel():
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())


def _file_bytes(spec: str) -> bytes:
    p = Path(spec.rpartition(":")[0])
    return p.read_bytes() if p.is_file() else b""


#: evaluation inputs the data statistics of an accuracy run's trace are measured on (its first)
STATS_SAMPLES = 256
#: the op tags a statistics trace adds (:mod:`cimsim.workload.activity`)
_STATS_TAGS = ("input_ones", "input_zeros", "weight_ones", "weight_abs_mean", "input_stats_bits",
               "weight_stats_bits")


def stats_bits(arch) -> Optional[tuple[int, int]]:
    """``(input_bits, weight_bits)`` of ``arch``'s first CIM component (the one the accuracy
    emulates), the precision its data statistics are counted at; None without a CIM (no other
    component's energy depends on the data)."""
    cims = cim_configs(arch)
    if not cims:
        return None
    c = cims[0][1]
    return (int(c.input_bits), int(c.weight_bits))


def trace_dtype(bits: Optional[tuple[int, int]]) -> Optional[str]:
    """The dtype an evaluation model is traced at for a CIM of ``bits`` = (input, weight) bits:
    int8 where both are at most 8 (the CIM computes the model at 8 bits or fewer, so its weights
    and activations move as int8 bytes, as a ``cimsim trace --dtype int8`` trace), else None (the
    model's own dtype: no integer dtype holds more bits, and no CIM: the exact arithmetic)."""
    return "int8" if bits is not None and max(bits) <= 8 else None


def _weight_matmuls(wl) -> list:
    return [(o.name, (o.weight, o.k, o.n)) for o in wl.ops if o.kind == "matmul" and o.weight]


def trace_target(target: Target, bits: Optional[tuple[int, int]] = None):
    """The target's workload: one sample's forward pass, as ``cimsim trace`` records it.

    ``bits`` = (input, weight) bits: each weight matmul also carries the data statistics
    (``cimsim trace --stats``) measured on the first :data:`STATS_SAMPLES` evaluation inputs, the
    data the accuracy is scored on, counted at those bits. They are traced as one batch and
    matched to the one-sample trace's weight matmuls in order (same weight, K and N); a model
    whose weight matmuls differ with the batch (no such bundled one) is measured on the traced
    sample alone, and ``metadata['activity_stats']`` says which. Traced at :func:`trace_dtype`
    of ``bits``: int8 for a CIM of at most 8-bit inputs and weights."""
    from functools import partial

    from ..workload.ir import Op, Workload
    from ..workload.trace import trace as trace_any

    trace = partial(trace_any, dtype=trace_dtype(bits))
    wl = trace(target.model, target.example, name=target.name)
    if bits is None:
        return wl
    from ..workload.trace.common import quiet_batch
    from .inputs import count, rows

    n = min(STATS_SAMPLES, count(target.inputs))
    with quiet_batch():  # the statistics' batch of n evaluation inputs: no samples-per-run note
        data = trace(target.model, rows(target.inputs, 0, n), name=target.name, stats_bits=bits)
    mine, theirs = _weight_matmuls(wl), _weight_matmuls(data)
    stats = dict(data.metadata["activity_stats"])
    if [k for _, k in mine] != [k for _, k in theirs]:
        one = trace(target.model, target.example, name=target.name, stats_bits=bits)
        one.metadata["activity_stats"] = {
            **one.metadata["activity_stats"], "samples": 1,
            "measured_on": "the traced sample alone (the model's weight matmuls differ at a "
                           f"batch of {n} evaluation inputs)"}
        return one
    tags = {name: {k: v for k, v in o.tags.items() if k in _STATS_TAGS}
            for (name, _), o in zip(mine, (o for o in data.ops
                                           if o.kind == "matmul" and o.weight))}
    ops = [o if o.name not in tags else
           Op(o.name, o.kind, o.inputs, o.outputs, o.m, o.k, o.n, o.batch, o.weight, o.fn,
              o.ops_per_element, {**o.tags, **tags[o.name]}, o.generic_macs)
           for o in wl.ops]
    stats.update(samples=n, measured_on=f"the first {n} evaluation inputs (one batch), "
                                        "the data the accuracy is scored on")
    return Workload(wl.name, list(wl.tensors.values()), ops, {**wl.metadata, "activity_stats": stats})


class Traced(NamedTuple):
    """A traced workload: parsed, its cache file (absent where the cache cannot be written) and
    that file's bytes."""
    workload: Workload
    path: Path
    raw: bytes


def traced(target: Target, bits: Optional[tuple[int, int]] = None) -> Traced:
    """The traced workload, from its JSON file in the accuracy cache (traced once per cimsim
    model revision, :func:`cimsim.model_revision`: a tracer changed within one ``__version__``
    traces again, the model's weights (:attr:`Target.key`), and statistics precision ``bits``,
    see :func:`trace_target`, the dtype they give (:func:`trace_dtype`) and the custom ops registered;
    sweeps hand the bytes to their workers). A damaged file is traced again and replaced; a cache
    that cannot be written keeps the trace in memory (:mod:`cimsim.accuracy.cache`)."""
    import io

    from ..revision import model_revision
    from ..workload.io import FORMAT, VERSION, read_workload_bytes
    from ..workload.jsonstream import write_json
    from ..workload.trace.custom import registry_tag
    from ..workload.trace.stats import STATS_RULES
    from .cache import cache_dir, cached

    stats = "" if bits is None else f"-stats{bits[0]}x{bits[1]}n{STATS_SAMPLES}r{STATS_RULES}"
    dtype = f"-{trace_dtype(bits)}" if trace_dtype(bits) else ""
    ops = registry_tag()  # the custom ops registered: a trace made under others is not reused
    path = cache_dir() / "traces" / f"{target.key}-cimsim{model_revision()}{stats}{dtype}{ops}.json"

    def read(p: Path) -> tuple[bytes, Workload]:
        raw = p.read_bytes()
        return raw, read_workload_bytes(raw, str(p))

    def build() -> tuple[bytes, Workload]:  # the bytes save_workload writes, parsed as read back
        wl = trace_target(target, bits)
        text = io.StringIO()
        write_json(wl, text, {"format": FORMAT, "version": VERSION, "name": wl.name,
                              "metadata": wl.metadata})
        raw = (text.getvalue() + "\n").encode()
        return raw, read_workload_bytes(raw, str(path))

    raw, wl = cached(path, read, build, lambda v, tmp: Path(tmp).write_bytes(v[0]))
    return Traced(wl, path, raw)


def workload_file(target: Target, bits: Optional[tuple[int, int]] = None) -> Path:
    """The cache file of :func:`traced` (one line where the cache cannot hold it)."""
    path = traced(target, bits).path
    if not path.is_file():
        from .cache import root

        raise AccuracyError(f"{path}: the traced workload is not in the accuracy cache {root()}, "
                            "which cannot be written (CIMSIM_CACHE names another)")
    return path


# ---- scoring ------------------------------------------------------------------------------------
def reference_outputs(target: Target):
    """The fp32 model's outputs on the target's inputs (fused kernels off, as when emulated)."""
    from .run import _forward, fused_kernels_off

    with fused_kernels_off():
        return _forward(target.model, target.inputs, None)


def arithmetic_of(name: str, config) -> str:
    """How ``--accuracy`` scores the component ``name``: its class's
    :attr:`~cimsim.hw.base.Component.accuracy_arithmetic` (``cim``, ``fixed`` or ``exact``),
    inherited by a plug-in that subclasses a built-in; a type that declares none, or whose
    config lacks what its arithmetic reads, is one line (never scored as exact)."""
    from ..hw.cim import CIMConfig
    from ..hw.registry import get

    cls = get(config.type)
    kind = cls.accuracy_arithmetic
    where = f"--accuracy: component '{name}' (type {config.type}, {cls.__module__}.{cls.__qualname__})"
    if kind is None:
        raise AccuracyError(f"{where} does not say how it computes, so its accuracy cannot be "
                            "scored: give its class accuracy_arithmetic = 'cim' (a subclass of "
                            "cimsim.hw.cim.CIM), 'fixed' (weight_bits x input_bits), 'analog' "
                            "(accuracy_arith()) or 'exact' (the ops' dtype), or run without --accuracy")
    if kind == "cim" and not isinstance(config, CIMConfig):
        raise AccuracyError(f"{where}: accuracy_arithmetic 'cim' reads a cimsim.hw.cim.CIMConfig, "
                            f"and its Config {type(config).__qualname__} is not one (derive it from "
                            "CIMConfig)")
    if kind == "fixed" and not (hasattr(config, "weight_bits") and hasattr(config, "input_bits")):
        raise AccuracyError(f"{where}: accuracy_arithmetic 'fixed' reads the config's weight_bits "
                            "and input_bits, and it has not both")
    analog_arith(config, where) if kind == "analog" else None  # what its accuracy_arith gives
    return kind


def cim_configs(arch) -> list:
    """The configs (name, config) of ``arch``'s components scored with the CIM's arithmetic
    (:func:`arithmetic_of` ``cim``: the built-in CIM and its subclasses), in config order."""
    return [(n, c) for n, c in arch.components.items() if arithmetic_of(n, c) == "cim"]


def _finite(v):
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else v


def _snr(v):
    """An SNR mean as the record holds it: +inf (exact) is None; -inf (no signal: the outputs do
    not follow the reference) and NaN (Monte-Carlo chips mixing exact and no-signal outputs)
    stay floats, never the exact design's None."""
    return None if v == math.inf else v


#: what the CLI prints, and :func:`accuracy_json` writes, for an SNR that is not a number
NO_SIGNAL = "no signal (outputs do not follow the reference)"
UNDEFINED_SNR = "undefined (the Monte-Carlo chips mix exact and no-signal outputs)"


def accuracy_json(acc: dict) -> dict:
    """``acc`` as JSON holds it: JSON has no infinity or NaN, so an SNR of -inf is the string
    ``"-Infinity"`` and a NaN one ``"NaN"`` (what ``float()`` and JavaScript's ``Number()``
    read back); exact stays null."""
    def one(v):
        if isinstance(v, float) and not math.isfinite(v):
            return "NaN" if v != v else ("-Infinity" if v < 0 else "Infinity")
        return v
    return {k: one(v) for k, v in acc.items()}


def cim_arith(name: str, cim) -> Arith:
    """:meth:`Arith.from_cim` of the CIM component ``name``; what it cannot emulate is one line."""
    try:
        return Arith.from_cim(cim, name=name)
    except NotEmulated as exc:
        raise AccuracyError(f"--accuracy: {exc}") from None
    except ValueError as exc:
        raise AccuracyError(f"--accuracy: {name}: cannot emulate its arithmetic: {exc}") from None


def arithmetic_key(arch) -> tuple:
    """What :func:`accuracy_record` reads of ``arch`` (its components' arithmetic, not their
    costs): two architectures with equal keys give equal accuracy on the same target, so a sweep
    over bandwidths or array counts evaluates the model once."""
    out = []
    for name, c in arch.components.items():
        kind = arithmetic_of(name, c)
        if kind == "cim":
            out.append((name, cim_arith(name, c), nonideal_of(c)))
        elif kind in ("fixed", "analog"):  # an analog one: its Arith
            out.append((name, int(c.weight_bits), int(c.input_bits)) if kind == "fixed"
                       else (name, analog_arith(c, name)))
    return (arch.name, tuple(out), placement_key(arch))  # several: which one ran them


def accuracy_record(arch, target: Target, reference=None, repeatable=None) -> dict:
    """The accuracy columns (:data:`cimsim.report.columns.ACCURACY_COLUMNS`) of ``target`` on
    ``arch``. ``reference``: the fp32 outputs, when computed before (they depend on no config);
    ``repeatable``: :func:`~.sampling.fp32_repeatable` of them and a second pass (saves that pass).
    An exact output's SNR (+inf) and non-finite spreads are None; an SNR of -inf (no signal)
    or NaN (chips mixing both; ``accuracy_basis`` says so) stays a float (:func:`_snr`)."""
    require_torch()
    import warnings

    from .run import evaluate
    from .scores import OutputKindNote

    with warnings.catch_warnings():  # the basis says how the outputs were read
        warnings.simplefilter("ignore", OutputKindNote)
        return _accuracy_record(arch, target, reference, repeatable, evaluate)


def _accuracy_record(arch, target, reference, repeatable, evaluate) -> dict:
    kind = target.output_kind
    chosen, note = choose(arch, lambda: traced(target, stats_bits(arch)).workload)  # review 21 C 1
    cims = [(n, c) for n, c, k in chosen if k == "cim"]
    digital = [(n, c) for n, c, k in chosen if k != "cim"]
    if digital and chosen[0][2] == "analog":  # a plug-in's analog dot products
        a = analog_arith(digital[0][1], digital[0][0])
        res = evaluate(target.model, target.inputs, target.labels, a, calibration_inputs=target.calibration,
                       reference=reference, repeatable=repeatable, output_kind=kind)
        return _record(res, analog_basis(digital[0][0], a, bool(res.emulated_ops)) + note)
    if digital:  # a digital array of fixed precision (systolic): exact products of the quantised
        name, c = digital[0]  # operands, as a lossless ADC gives them, of every matmul (its claim)
        try:
            a = Arith(rows=128, cols=128, bits_per_cell=1, weight_bits=int(c.weight_bits),
                      input_bits=int(c.input_bits), dac_bits=1)
        except ValueError as exc:
            raise AccuracyError(f"{name}: cannot emulate its precision: {exc}") from None
        a = a.with_(adc_bits=a.lossless_adc_bits)
        res = evaluate(target.model, target.inputs, target.labels, a, reference=reference,
                       claim="all", repeatable=repeatable, output_kind=kind)
        return _record(res, f"{name}: digital {c.input_bits}b inputs x {c.weight_bits}b weights "
                            "(exact integer products; per-column weight, per-row input scales; "
                            "every matmul, as it claims them)" + note, claim="all")
    if not cims:
        from . import scores
        from .run import top1_interval

        ref = reference_outputs(target) if reference is None else reference
        dim = classes.class_dim(tuple(ref.shape), None if target.labels is None else tuple(target.labels.shape))
        kind, found = scores.output_kind(kind, ref, dim, "output_kind (--output-kind)")
        mine = (scores.binary_metrics(ref, target.labels, dim, kind)
                if scores.binary_task(tuple(ref.shape), target.labels, dim) else {})
        ref = scores.as_logits(ref, dim, kind)
        top1 = None if target.labels is None else classes.top1(ref, target.labels)

        low, high = top1_interval(top1, target.labels)
        return {C.ACCURACY_TOP1: top1, C.ACCURACY_TOP1_STD: 0.0 if top1 is not None else None,
                C.ACCURACY_TOP1_CI_LOW: low, C.ACCURACY_TOP1_CI_HIGH: high,
                C.ACCURACY_TOP1_REFERENCE: top1, C.AGREEMENT: 1.0, C.AGREEMENT_STD: 0.0,
                C.OUTPUT_SNR_DB: None, C.OUTPUT_SNR_DB_STD: None, C.OUTPUT_SNR_CORRECTED_DB: None,
                C.OUTPUT_SNR_CORRECTED_DB_STD: None, C.OUTPUT_KL: 0.0, C.OUTPUT_KL_STD: 0.0,
                **_fp32_calibration(ref, target.labels), C.ACCURACY_REPEATS: 1,
                **{c: None if (m := mine.get(c.removesuffix("_reference").removesuffix("_std"))) is None
                   else 0.0 if c.endswith("_std") else m for c in C.BINARY_COLUMNS},  # undefined: no spread
                C.ACCURACY_OUTPUT_KIND: kind,
                C.ACCURACY_BASIS: f"fp32 reference: {arch.name} has no CIM or fixed-precision "
                                  "component, its units compute at the workload's dtype (fp32)"
                                  + classes.axis_note(tuple(ref.shape), dim, kind)
                                  + scores.kind_note(kind, found, tuple(ref.shape), dim)}
    name, cim = cims[0]
    a, bits = cim_arith(name, cim), from_workload(traced(target, stats_bits(arch)).workload)
    res = evaluate(target.model, target.inputs, target.labels, a, nonideal=nonideal_of(cim),
                   calibration_inputs=target.calibration, reference=reference,
                   repeatable=repeatable, output_kind=kind, layer_bits=bits)  # find-L2 1
    rng = cim.adc.range_policy + (f" at the {cim.adc.range_percentile:g}th percentile"
                                  if cim.adc.range_policy == "calibrated" else "")
    enc = "differential" if cim.differential else "offset"
    # every setting that moves the numbers: two rows of a sweep over bits per cell and DAC bits
    # read alike before (a tester)
    readout = ("digital column sums (exact)" if Arith._digital(cim)
               else f"{cim.adc.bits}-bit ADC ({rng} range)")
    # a model whose weight matmuls all ran in fp32 (prune hooks) is not called emulated
    ran = "emulated" if res.emulated_ops else "not emulated, no op ran on it"
    basis = (f"{name} {ran}: {cim.input_bits}b {'signed ' if cim.signed_inputs else ''}inputs in "
             f"{cim.dac_bits}-bit slices x {cim.weight_bits}b weights in {cim.bits_per_cell}-bit "
             f"cells ({enc} encoding), {readout}, {cim.rows_per_read or cim.rows} rows per read, "
             + ("ideal devices" if cim.nonideal is None else
                f"non-ideal ({_nonideal_text(cim)}), {res.repeats} chip(s)"))
    basis += f" (of {len(cims)} CIM components, the first)" if len(cims) > 1 else ""
    return _record(res, basis + bits_note(a, bits, set(res.narrowed_weights)) + note)


def _fp32_calibration(ref, labels) -> dict:
    """The calibration columns of an architecture that computes the fp32 model itself."""
    cal = {} if labels is None else classes.calibration(ref, labels, classes.class_dim(ref.shape, labels.shape))
    return {k: (0.0 if k.endswith("_std") else cal[k.split("_")[1]]) if cal else None for k in C.CALIBRATION}


def _record(res, basis: str, claim: str = "weights") -> dict:
    from .run import randomness_note
    from .scores import kind_note
    return {C.ACCURACY_TOP1: res.accuracy_top1, C.ACCURACY_TOP1_STD: _finite(res.accuracy_top1_std),
            C.ACCURACY_TOP1_CI_LOW: res.accuracy_top1_ci_low,
            C.ACCURACY_TOP1_CI_HIGH: res.accuracy_top1_ci_high,
            C.ACCURACY_TOP1_REFERENCE: res.accuracy_top1_reference, C.AGREEMENT: res.agreement,
            C.AGREEMENT_STD: _finite(res.agreement_std), C.OUTPUT_SNR_DB: _snr(res.output_snr_db),
            C.OUTPUT_SNR_DB_STD: _finite(res.output_snr_db_std),
            C.OUTPUT_SNR_CORRECTED_DB: _snr(res.output_snr_corrected_db),
            C.OUTPUT_SNR_CORRECTED_DB_STD: _finite(res.output_snr_corrected_db_std),
            C.OUTPUT_KL: res.output_kl,
            C.OUTPUT_KL_STD: _finite(res.output_kl_std), C.ACCURACY_REPEATS: res.repeats,
            C.ACCURACY_OUTPUT_KIND: res.output_kind,
            C.ACCURACY_BASIS: basis + classes.axis_note(res.output_shape, res.class_dim, res.output_kind)
            + kind_note(res.output_kind, res.output_kind_detected, res.output_shape, res.class_dim)
            + _undefined_note(res) + not_emulated_note(res, claim) + randomness_note(res) + res.collapse,
            **{k: _finite(getattr(res, k)) if k.endswith("_std") else getattr(res, k) for k in C.BINARY_COLUMNS},
            **{k: _finite(getattr(res, k)) if k.endswith("_std") else getattr(res, k) for k in C.CALIBRATION}}


def _undefined_note(res) -> str:
    """A sweep's table stores NaN as null, as it does the exact SNR: the basis says which."""
    bad = [n for n, v in (("output SNR", res.output_snr_db),
                          ("corrected SNR", res.output_snr_corrected_db)) if v != v]
    return f"; {' and '.join(bad)} {UNDEFINED_SNR}" if bad else ""
