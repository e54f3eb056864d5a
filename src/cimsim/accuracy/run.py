"""Run a torch model with the CIM's arithmetic in place of its weight matmuls; score the outputs.

:class:`CIMMode` is a ``TorchDispatchMode``: every aten op with a stationary weight, by the
tracer's own rule (:mod:`cimsim.workload.trace.claims`: the matmul family, ``_trilinear``,
one-group convolutions of any dimension, plain or transposed), is computed by
:class:`~cimsim.accuracy.emulator.Emulator`; with ``claim="all"`` activation-by-activation
products (attention's ``bmm``) are emulated too, each call programming its right operand
afresh. The fused kernels that hide matmuls from the dispatcher are off (as in the tracer):
``nn.LSTM`` / ``nn.GRU`` then run as per-step ``mm``/``addmm``, attention as ``bmm`` + softmax.
A weight is programmed once per Monte-Carlo chip and reused by every call; its device state
draws from its own streams (:mod:`.chips`), never from the per-read noise's.

:func:`evaluate` runs the fp32 reference and the emulated model on the same inputs and reports
top-1 (with labels), the reference's top-1, agreement of the arg-max with fp32, output SNR
``10 log10(sum y_ref^2 / sum (y - y_ref)^2)`` in dB and the mean KL divergence ``KL(softmax(y_ref)
|| softmax(y))`` in nats over the classes (dim 1, per pixel of a dense (N, C, H, W) output; a
sequence's (N, T, C) last axis: :mod:`.classes`), each as the mean and the std over chips.
"""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from . import classes, scores
from .arith import Arith, nonideal_of
from .chips import chip_seeds, identity, weight_names  # noqa: F401 (chip_seeds: its old home)
from .inputs import as_inputs, count, rows
from .emulator import Emulator, Programmed, input_mode, program
from .layerbits import as_deployed, narrowed
from .logits import _logits  # noqa: F401 (its old home)
from .windows import col2im, im2col  # noqa: F401 (their old home)
from .nonideal import NonIdeal
from .sampling import (MODEL_SEED, eval_mode, fp32_repeatable, held_generators, mode_tops,  # noqa: F401
                       preserved, randomness_note, same_draws)
from .scores import Z95, _mean_std, _snr_db, corrected_snr_db, top1_interval, wilson_interval  # noqa: F401
from ..workload.trace.claims import MATMULS, conv_claimed, dims, is_bilinear, shared_by_batch, weight_side
from ..workload.trace.aten import RANDOM_FACTORIES
from ..workload.trace.custom import composites_as_traced
from ..workload.trace.computed import CONST, FED, HOOKED, PARAM, RANDOM, hooked as _hooked
from ..workload.trace.randoms import SAMPLERS

#: aten ops that draw random numbers (a model's own randomness: dropout, sampled weights)
RANDOM_OPS = frozenset({*RANDOM_FACTORIES, *SAMPLERS, "native_dropout", "_fused_dropout", "multinomial"})

aten = torch.ops.aten


def fused_kernels_off():
    """No oneDNN RNN, no transformer fast path, math attention, no autograd: the tracer's
    capture context, so the emulated model runs the ops the cost model was traced from."""
    from ..workload.trace.capture import capture_context

    return capture_context(torch)


class CIMMode(TorchDispatchMode):
    """Replaces the claimed matmuls by the emulator (see the module docstring). Which op has a
    stationary weight is the tracer's rule (:mod:`cimsim.workload.trace.claims`), so the ops
    emulated are the ops the cost model puts on a CIM array: ``emulated`` counts them by aten
    name, ``not_emulated`` the claimed ones the emulator has no arithmetic for (they run in
    fp32, and the accuracy says so), ``computed`` the matmuls whose matrix is computed each
    forward from parameters alone (``torch.nn.utils.prune``'s ``weight_orig * weight_mask``,
    parametrize, ``weight_norm``, learned queries passed through layers: not stationary, so no
    CIM claims them, as the tracer's ``metadata['computed_weights']``; they run in fp32 too),
    ``computed_hooked`` those of them computed from a hook's or parametrize's tensors
    (``hooked``: their storages, the tracer's ``reparametrized``), ``skipped`` the other matmuls
    without a stationary weight. Which values are computed from parameters alone follows the
    storages through every op (:meth:`_track`, the tracer's rule of :mod:`..trace.computed`)."""

    def __init__(self, emulator: Emulator, weights: set[int] | dict[int, str], claim: str = "weights",
                 hooked=frozenset(), layer_bits: Optional[dict] = None):
        super().__init__()
        self.layer_bits = layer_bits or {}  # weight name -> :class:`.layerbits.LayerBits`
        self.narrow: set[str] = set()  # the tagged weights emulated at their own bits
        if claim not in ("weights", "all"):
            raise ValueError(f"claim must be 'weights' or 'all', not {claim!r}")
        self.emu = emulator
        # storages; a dict names them (:func:`.chips.weight_names`), this pass's own copy: a
        # fake-quantized whole weight joins it (:func:`.layerbits.as_deployed`: its latest
        # output held alive here, one a weight name, so memory does not grow with batches)
        self.weights = dict(weights) if isinstance(weights, dict) else weights
        self.held: dict[str, torch.Tensor] = {}
        self.first_use: dict[int, str] = {}  # weights not named: by order of first programming
        self.hooked = hooked
        self.claim = claim
        self.programmed: dict[str, Programmed] = {}  # by :func:`.chips.identity`
        self.emulated: Counter = Counter()
        self.skipped: Counter = Counter()
        self.not_emulated: Counter = Counter()
        self.computed: Counter = Counter()
        self.computed_hooked: Counter = Counter()
        self.computed_sampled: Counter = Counter()
        self.random: Counter = Counter()  # the model's own random draws (RANDOM_OPS), by aten op
        self.sources: dict[int, int] = {}   # storage -> PARAM / CONST: computed from those alone

    # ---- helpers ----------------------------------------------------------------------------
    def _is_weight(self, t) -> bool:
        return isinstance(t, torch.Tensor) and t.untyped_storage().data_ptr() in self.weights

    @staticmethod
    def _ptr(t) -> int | None:
        """``t``'s storage's data pointer, None where it has none (sparse, nested)."""
        try:
            return t.untyped_storage().data_ptr()
        except (RuntimeError, NotImplementedError):
            return None

    def _source(self, t) -> int:
        """:data:`PARAM` for a weight's storage or one computed from weights (and constants)
        alone (with :data:`HOOKED` where a hook's tensor is among them), :data:`CONST` for one
        computed from no tensor, :data:`FED` otherwise (the model's inputs and everything
        computed from them)."""
        ptr = self._ptr(t)
        if ptr is None:  # no storage: an activation
            return FED
        if ptr in self.weights:
            return PARAM | (HOOKED if ptr in self.hooked else 0)
        return self.sources.get(ptr, FED)

    def _track(self, args, kwargs, out, drawn: bool = False) -> None:
        """Record what ``out`` was computed from (an op's result storages; ``drawn``: a random
        op's, :data:`RANDOM` then among its sources, as the tracer's :func:`.computed.origin`)."""
        flags = RANDOM if drawn else 0
        for t in tree_leaves((args, kwargs)):
            if isinstance(t, torch.Tensor):
                flags |= self._source(t)
        for t in tree_leaves(out):
            if not isinstance(t, torch.Tensor):
                continue
            ptr = self._ptr(t)
            if ptr is None:
                continue
            if flags & FED:
                self.sources.pop(ptr, None)
            elif ptr not in self.weights:
                self.sources[ptr] = flags & (PARAM | HOOKED | RANDOM) if flags & PARAM else \
                    CONST | (flags & RANDOM)

    def _computed(self, t) -> int:
        """For a matrix computed each forward from parameters alone (not itself a weight), its
        :data:`PARAM` (and :data:`HOOKED`) bits; else 0."""
        if not isinstance(t, torch.Tensor) or self._is_weight(t):
            return 0
        flags = self._source(t)
        return flags if flags & PARAM else 0

    def _reads_computed(self, base, args) -> int:
        """Whether a matmul the emulator left alone has as its matrix a weight computed from
        parameters (what the tracer lists in ``metadata['computed_weights']``): its
        :meth:`_computed` bits, else 0."""
        if base in MATMULS:
            _, a_at, b_at = MATMULS[base]
            return self._computed(args[a_at]) or self._computed(args[b_at])
        if base in ("convolution", "_convolution"):
            flags = self._computed(args[1])
            return flags if conv_claimed(args[8], bool(flags)) else 0
        return self._computed(args[1]) if base == "_trilinear" and is_bilinear(args) else 0

    @contextlib.contextmanager
    def _bits_of(self, whole: torch.Tensor):
        """The emulator at the weight ``whole``'s own bits while its op runs (tags
        ``weight_value_bits`` / ``input_value_bits``, :mod:`.layerbits`), else as it is."""
        name = self.weights.get(self._ptr(whole)) if isinstance(self.weights, dict) else None
        if (lb := self.layer_bits.get(name)) is None:
            yield
            return
        base = self.emu.a
        self.emu.a = narrowed(base, lb)
        self.narrow.add(name)
        try:
            yield
        finally:
            self.emu.a = base

    def _prog(self, w: torch.Tensor, op: str, whole: torch.Tensor) -> Programmed:
        """``w`` (a view of the weight ``whole``, or ``op``'s copy of it) programmed once per
        chip, whatever op reads the view, its device state drawn from its own streams and keyed
        by the weight's name and the view (:func:`.chips.identity`)."""
        k = identity(self.weights, self.first_use, w, whole, op)
        p = self.programmed.get(k)
        if p is None:
            self.programmed[k] = p = program(w, self.emu.a, self.emu.ni, self.emu.streams(k), stationary=True)
        return p

    def _batched(self, side, A, B, batch: int, base: str, w) -> list:
        """Each of the ``batch`` products through the emulator, the weight on ``side``."""
        ys = []
        for i in range(batch):
            if side == "b":
                ys.append(self.emu.matmul(A[i], self._prog(B[i], base, w)))
            elif side == "a":
                ys.append(self.emu.matmul(B[i].t(), self._prog(A[i].t(), base, w)).t())
            else:  # claim "all": an activation operand, programmed afresh each call
                ys.append(self.emu.matmul(A[i], program(B[i], self.emu.a, self.emu.ni, self.emu.streams())))
        return ys

    def _matmul(self, base: str, args, kwargs) -> Optional[torch.Tensor]:
        """The matmul family (:data:`~cimsim.workload.trace.claims.MATMULS`) emulated when
        claimed, else None."""
        bias_at, a_at, b_at = MATMULS[base]
        a, b = args[a_at], args[b_at]
        batch, m, k, n = dims(base, a, b)
        b_weight = self._is_weight(b) and (batch == 1 or shared_by_batch(b))
        side = weight_side(batch, self._is_weight(a), b_weight, a.numel(), b.numel())
        if side is None and self.claim != "all":
            return None
        # as batch x m x k and batch x k x n
        if base == "addbmm":  # one m x b*k by b*k x n product
            A, B = a.transpose(0, 1).reshape(1, m, k), b.reshape(1, k, n)
        else:
            A, B = a.reshape(batch, m, k), b.reshape(batch, k, n)
        w = {"a": a, "b": b}.get(side)
        with self._bits_of(w) if w is not None else contextlib.nullcontext():
            ys = self._batched(side, A, B, batch, base, w)
        y = torch.stack(ys).to(a.dtype)
        y = y if base in ("bmm", "baddbmm") else y[0].reshape(
            () if base in ("dot", "vdot") else (m,) if base in ("mv", "addmv") else (m, n))
        if bias_at is None:
            return y
        bias = args[bias_at]
        beta, alpha = kwargs.get("beta", 1), kwargs.get("alpha", 1)
        y = bias + y if (beta, alpha) == (1, 1) else beta * bias + alpha * y
        if base == "_addmm_activation":
            gelu = kwargs.get("use_gelu", args[5] if len(args) > 5 else False)
            y = F.gelu(y, approximate="tanh") if gelu else F.relu(y)
        return y

    def _conv(self, x, w, bias, stride, padding, dilation, transposed, output_padding, groups,
              *_):
        """A convolution of any dimension, plain (an im2col matmul) or transposed (a matmul,
        then the col2im sum of the overlapping windows), as the tracer lowers it."""
        # a grouped or depthwise convolution has no stationary weight in the trace (a batch of
        # per-group products the host runs), so no CIM claims it: it runs exact here too, or
        # the accuracy would be of another placement than the energy
        if not conv_claimed(groups, self._is_weight(w)):
            return None
        B, nd = x.shape[0], w.dim() - 2
        # one input scale and encoding per sample (the whole input feature map of the layer)
        amax = x.abs().reshape(B, -1).amax(1, keepdim=True)
        rmode = input_mode(x.reshape(B, -1), self.emu.a) if not self.emu.a.signed_inputs else None
        with self._bits_of(w):
            if not transposed:
                rows, out_sp = im2col(x, w.shape[2:], stride, padding, dilation)
                L = math.prod(out_sp)
                p = self._prog(w.reshape(w.shape[0], -1).t(), "conv", w)
            else:
                L = math.prod(x.shape[2:])
                rows = x.movedim(1, -1).reshape(B * L, x.shape[1])
                p = self._prog(w.reshape(w.shape[0], -1), "conv_transpose", w)
            y = self.emu.matmul(rows, p, amax=amax.repeat_interleave(L, 0),
                                mode=None if rmode is None else rmode.repeat_interleave(L, 0))
        if not transposed:
            y = y.reshape(B, *out_sp, -1).movedim(-1, 1)
        else:
            y = col2im(y.reshape(B, *x.shape[2:], w.shape[1], *w.shape[2:]), stride, padding,
                       dilation, output_padding)
        y = y.to(x.dtype)
        return y if bias is None else y + bias.reshape(1, -1, *[1] * nd)

    def _bilinear(self, args) -> Optional[torch.Tensor]:
        """``nn.Bilinear``: the outer product of its inputs times W as an IJ x O matrix."""
        if not is_bilinear(args) or not self._is_weight(args[1]):
            return None
        x1, w, x2 = args[:3]
        O, I, J = w.shape
        outer = (x1.unsqueeze(2) * x2.unsqueeze(1)).reshape(x1.shape[0], I * J)
        with self._bits_of(w):
            return self.emu.matmul(outer, self._prog(w.reshape(O, I * J).t(), "bilinear", w)
                                   ).to(x1.dtype)

    def _claims(self, func, args) -> bool:
        """Whether an op with no emulation here has a stationary weight in the trace: a
        ``_grouped_mm`` or ``_int_mm`` over a weight, a custom op registered as a matmul."""
        from ..workload.trace.custom import CUSTOM_OPS

        name = func.name().removesuffix(".default")
        spec = CUSTOM_OPS.get(name.split(".")[0])
        if spec is not None:
            return spec.kind == "matmul" and self._is_weight(dict(enumerate(args)).get(spec.weight_arg))
        return name in ("aten::_grouped_mm", "aten::_int_mm") and any(map(self._is_weight, args[:2]))

    # ---- dispatch ---------------------------------------------------------------------------
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        base = func.overloadpacket.__name__ if func.namespace == "aten" else None
        if base in MATMULS:
            out = self._matmul(base, args, kwargs)
        elif base in ("convolution", "_convolution"):
            out = self._conv(*args, **kwargs)
        elif base == "_trilinear":
            out = self._bilinear(args)
        else:
            if self._claims(func, args):
                self.not_emulated[func.name().removeprefix("aten::").removesuffix(".default")] += 1
            drawn = base is not None and base.rstrip("_") in RANDOM_OPS
            if drawn:
                self.random[base] += 1
            out = func(*args, **kwargs)
            as_deployed(self.weights, self.held, base, args, out)  # QAT's weight: the tracer's rule
            self._track(args, kwargs, out, drawn)
            return out
        if out is None:
            flags = self._reads_computed(base, args)
            (self.computed if flags else self.skipped)[base] += 1
            if flags & RANDOM:  # sampled first, as the tracer's computed.note: one kind per op
                self.computed_sampled[base] += 1
            elif flags & HOOKED:
                self.computed_hooked[base] += 1
            out = func(*args, **kwargs)
        else:
            self.emulated[base] += 1
        self._track(args, kwargs, out)
        return out


# ---- evaluation ------------------------------------------------------------------------------
@dataclass
class AccuracyResult:
    """Accuracy of one design point: means and standard deviations over Monte-Carlo chips (a
    std is 0 for a deterministic design, NaN for one chip of a random one: not measured), and
    the Wilson 95 % interval of top-1 from the test set's size (:func:`wilson_interval`)."""

    accuracy_top1: Optional[float]
    accuracy_top1_std: Optional[float]
    accuracy_top1_reference: Optional[float]
    agreement: float
    agreement_std: float
    output_snr_db: float
    output_snr_db_std: float
    output_snr_corrected_db: float
    output_snr_corrected_db_std: float
    output_kl: float
    output_kl_std: float
    repeats: int
    adc_range_policy: str
    accuracy_top1_ci_low: Optional[float] = None
    accuracy_top1_ci_high: Optional[float] = None
    per_repeat: list = field(default_factory=list)
    emulated_ops: dict = field(default_factory=dict)
    skipped_ops: dict = field(default_factory=dict)
    not_emulated_ops: dict = field(default_factory=dict)
    #: matmuls whose matrix is computed from parameters each forward (run in fp32)
    computed_weight_ops: dict = field(default_factory=dict)
    #: those of them computed from a weight_norm / prune hook's or parametrize's tensors
    computed_hooked_ops: dict = field(default_factory=dict)
    #: those of them sampled each forward (a random draw among their sources: Bayes-by-backprop)
    computed_sampled_ops: dict = field(default_factory=dict)
    #: the model's own random draws per pass, by aten op (dropout masks, sampled weights): the
    #: fp32 and emulated passes draw the same ones (:func:`.sampling.same_draws`)
    random_ops: dict = field(default_factory=dict)
    #: generators the model's modules hold, reset before each pass (:func:`.sampling.held_generators`)
    held_generators: int = 0
    #: two fp32 passes differed (a generator not reset): agreement and SNR (dB) of one against
    #: the other; None when they are the same
    reference_agreement: Optional[float] = None
    reference_snr_db: Optional[float] = None
    #: modes kept as given (:func:`.sampling.mode_tops`): modules in train mode under none ("" the
    #: model), modules in eval mode under one in train mode
    train_modules: list = field(default_factory=list)
    eval_modules: list = field(default_factory=list)
    #: calibration against the labels (:func:`.classes.calibration`), means and std over chips
    #: and the fp32 model's: NLL (nats), Brier score, ECE (a fraction); None without labels
    output_nll: Optional[float] = None
    output_nll_std: Optional[float] = None
    output_nll_reference: Optional[float] = None
    output_brier: Optional[float] = None
    output_brier_std: Optional[float] = None
    output_brier_reference: Optional[float] = None
    output_ece: Optional[float] = None
    output_ece_std: Optional[float] = None
    output_ece_reference: Optional[float] = None
    conversions: int = 0
    #: the outputs' shape and the axis of their classes (:func:`.classes.class_dim`)
    output_shape: tuple = ()
    class_dim: int = 1
    #: how the outputs were read (:mod:`.scores`): ``logits`` or ``probabilities``, and whether
    #: ``output_kind='auto'`` decided it from the fp32 outputs
    output_kind: str = "logits"
    output_kind_detected: bool = False
    #: a binary task's (:func:`.scores.binary_task`) precision, recall, F1 of class 1 and ROC
    #: AUC: means, std over chips, the fp32 model's; None otherwise (or undefined: no positive)
    precision: Optional[float] = None
    precision_std: Optional[float] = None
    precision_reference: Optional[float] = None
    recall: Optional[float] = None
    recall_std: Optional[float] = None
    recall_reference: Optional[float] = None
    f1: Optional[float] = None
    f1_std: Optional[float] = None
    f1_reference: Optional[float] = None
    roc_auc: Optional[float] = None
    roc_auc_std: Optional[float] = None
    roc_auc_reference: Optional[float] = None
    #: the emulated model predicts one class for every sample where fp32 does not (text, or "")
    collapse: str = ""
    #: ``return_outputs=True``: the model's outputs as it returns them (its class scores,
    #: :func:`_logits`), fp32 and one tensor per chip, for metrics of one's own
    reference_outputs: Optional[torch.Tensor] = None
    outputs: Optional[list] = None
    #: the weights emulated at their own tagged bits (``layer_bits``, :mod:`.layerbits`)
    narrowed_weights: list = field(default_factory=list)


def _forward(model, inputs, batch_size: Optional[int]) -> torch.Tensor:
    """The model's outputs, every pass from the same random state (:func:`.sampling.same_draws`):
    a model that draws random numbers (dropout masks, sampled weights) draws the same ones in
    each, so fp32 and emulated outputs differ by the arithmetic alone. ``inputs``: a tensor, or
    a tuple of them spread over ``forward`` (:mod:`.inputs`)."""
    n = count(inputs)
    bs = n if not batch_size else batch_size
    with same_draws(model), composites_as_traced(torch):  # registered composites as traced
        return torch.cat([_logits(model(*rows(inputs, i, i + bs))) for i in range(0, n, bs)])


def metrics(y: torch.Tensor, ref: torch.Tensor, labels: Optional[torch.Tensor] = None,
            kind: str = "logits") -> dict:
    """top-1 (with labels), agreement, output SNR (dB; plain and gain/offset-corrected,
    :func:`corrected_snr_db`) and KL(softmax(ref) || softmax(y)), the classes along dim 1
    (:mod:`.classes`): for a dense (N, C, H, W) output agreement, KL and top-1 are per pixel,
    averaged over the N·H·W pixels, and per-pixel labels (N, H, W) add ``miou``. One logit per
    position (a class axis of size 1) is a binary decision, logit > 0 (:func:`.classes.binary`).
    ``labels`` are checked as ``--accuracy`` checks them (:func:`.classes.check_labels`).
    ``kind`` ``probabilities``: the scores are read as the logits they stand for, the SNR of
    the outputs as given (:mod:`.scores`); a binary task adds precision, recall, F1, ROC AUC."""
    if ref.dim() < 2:
        raise ValueError(f"outputs of shape {list(ref.shape)} have no class axis: give (N, C) "
                         "class scores, or (N, C, H, W) for a dense prediction")
    if labels is not None:
        classes.check_labels(ref, labels, len(ref), "metrics(): labels")
    snr = _snr_db(float((ref ** 2).sum()), float(((y - ref) ** 2).sum()))
    dim = classes.class_dim(tuple(ref.shape), None if labels is None else tuple(labels.shape))
    snr_c = corrected_snr_db(y, ref)
    raw = y
    y, ref = scores.as_logits(y, dim, kind), scores.as_logits(ref, dim, kind)
    pred, pref = classes.predicted(y, dim), classes.predicted(ref, dim)
    out = {"agreement": classes.share(pred, pref), "output_snr_db": snr,
           "output_snr_corrected_db": snr_c,
           "output_kl": max(classes.kl(y, ref, dim), 0.0)}
    if labels is not None:
        out["accuracy_top1"] = classes.share(pred, labels)
        out.update(classes.calibration(y, labels, dim))  # nll, brier, ece
        if not classes.per_sample(labels):
            out["miou"] = classes.mean_iou(pred, labels, classes.n_classes(tuple(y.shape), dim))
        if scores.binary_task(tuple(y.shape), labels, dim):
            out.update(scores.binary_metrics(raw, labels, dim, kind))
    return out


def evaluate(model: torch.nn.Module, inputs, labels: Optional[torch.Tensor] = None,
             arith: Optional[Arith] = None, *, cim=None, nonideal: Optional[NonIdeal] = None,
             calibration_inputs=None, batch_size: Optional[int] = None,
             claim: str = "weights", reference: Optional[torch.Tensor] = None,
             repeatable: Optional[dict] = None, output_kind: str = "auto",
             return_outputs: bool = False, layer_bits: Optional[dict] = None) -> AccuracyResult:
    """Score ``model`` on ``inputs`` with the CIM arithmetic ``arith`` (or one built from the
    CIM config ``cim`` and its ``nonideal`` block) against its own fp32 outputs. One ``arith``
    for every weight matmul, except those ``layer_bits`` names: weight name (the parameter's,
    as ``named_parameters`` gives it) -> :class:`.layerbits.LayerBits`, their tags
    ``weight_value_bits`` / ``input_value_bits`` (:func:`.layerbits.from_workload` reads them
    from a traced workload), each emulated at its own bits on the same hardware
    (:mod:`.layerbits`; ``narrowed_weights`` lists those that ran).

    ``calibration_inputs`` feed the ``calibrated`` ADC range policy (default: the first 256
    ``inputs``); ``reference`` reuses fp32 outputs computed before (they depend on nothing here);
    with ``reference``, ``repeatable`` (:func:`.sampling.fp32_repeatable` of two fp32 passes,
    computed before too) saves the second pass that checks the model draws the same each pass.

    ``inputs`` (and ``calibration_inputs``): a tensor (first dimension: samples) or a tuple of
    tensors, the model's forward inputs, each with one row per sample (:mod:`.inputs`).
    ``output_kind``: ``logits``, ``probabilities`` (a model ending in sigmoid or softmax) or
    ``auto`` (probabilities where the fp32 outputs are; warned as
    :class:`~.scores.OutputKindNote`), :mod:`.scores`. ``return_outputs``: keep the fp32 and
    each chip's outputs in the result (``reference_outputs``, ``outputs``).
    """
    inputs = as_inputs(inputs, "evaluate(): inputs")
    if calibration_inputs is not None:
        calibration_inputs = as_inputs(calibration_inputs, "evaluate(): calibration_inputs")
    if arith is None:
        if cim is None:
            raise ValueError("give arith or cim")
        arith = Arith.from_cim(cim)
        if nonideal is None:
            nonideal = nonideal_of(cim)
    if nonideal is not None and "encoding" in nonideal.model_fields_set:
        arith = arith.with_(encoding=nonideal.encoding)  # the config's home of the choice
    with preserved(model):  # the caller's modes back after
        eval_mode(model)
        res = _evaluate(model, inputs, labels, arith, nonideal, calibration_inputs, batch_size, claim,
                        reference, repeatable, output_kind, return_outputs, layer_bits)
    if res.output_kind_detected and res.output_kind == "probabilities":
        import warnings

        warnings.warn(scores.OutputKindNote("evaluate(): " + scores.kind_note(
            res.output_kind, True, res.output_shape, res.class_dim)[2:]), stacklevel=2)
    return res


def _evaluate(model, inputs, labels, arith, nonideal, calibration_inputs, batch_size, claim, reference,
              repeatable, output_kind="auto", return_outputs=False, layer_bits=None):
    params, buffers = list(model.named_parameters()), list(model.named_buffers())
    # what the tracer takes for a weight: parameters and floating-point (or int8) buffers, by name
    weights = weight_names(model)
    # a weight_norm / prune hook's tensors (weight_orig, weight_mask, ...) or parametrize's originals
    hooked = {t.untyped_storage().data_ptr() for n, t in (*params, *buffers) if _hooked(n)}
    with fused_kernels_off():
        ref = _forward(model, inputs, batch_size) if reference is None else reference
        if reference is None or repeatable is None:  # the same again, or a generator not reset
            repeatable = fp32_repeatable(_forward(model, inputs, batch_size), ref)
        if labels is not None:  # before the emulated runs: one line, as --accuracy says it
            classes.check_labels(ref, labels, len(ref), "evaluate(): labels")
        dim = classes.class_dim(tuple(ref.shape), None if labels is None else tuple(labels.shape))
        kind, detected = scores.output_kind(output_kind, ref, dim, "output_kind (--output-kind)")
        random = nonideal is not None and nonideal.random
        n_rep = nonideal.repeats if random else 1
        seeds = chip_seeds(nonideal.seed if nonideal is not None else 0, n_rep)
        runs, emulated, skipped, not_emulated, conversions, ys = [], Counter(), Counter(), Counter(), 0, []
        computed, hooked_ops, sampled, drawn = Counter(), Counter(), Counter(), Counter()
        for r in range(n_rep):
            gen = torch.Generator().manual_seed(seeds[r])
            emu = Emulator(arith, nonideal, gen, device_seed=seeds[r])  # reads: gen; faults: per weight
            mode = CIMMode(emu, weights, claim, hooked, layer_bits)
            if arith.adc_range_policy == "calibrated":
                cal = rows(inputs, 0, 256) if calibration_inputs is None else calibration_inputs
                emu.calibrating = True
                with mode:
                    _forward(model, cal, batch_size)
                emu.finish_calibration(list(mode.programmed.values()))
                for c in (mode.emulated, mode.skipped, mode.not_emulated, mode.computed,
                          mode.computed_hooked, mode.computed_sampled, mode.random):
                    c.clear()
                emu.conversions = 0
            with mode:
                y = _forward(model, inputs, batch_size)
            runs.append(metrics(y, ref, labels, kind))
            ys += [y] if return_outputs else []
            emulated, skipped, conversions = mode.emulated, mode.skipped, emu.conversions
            not_emulated, computed, hooked_ops = mode.not_emulated, mode.computed, mode.computed_hooked
            sampled, drawn = mode.computed_sampled, mode.random
    zref = scores.as_logits(ref, dim, kind)  # the scores the metrics read (:mod:`.scores`)
    ref_top1 = None if labels is None else classes.top1(zref, labels)
    acc = (_mean_std([m["accuracy_top1"] for m in runs], random) if labels is not None
           else (None, None))
    ci = top1_interval(acc[0], labels)
    agr = _mean_std([m["agreement"] for m in runs], random)
    snr = _mean_std([m["output_snr_db"] for m in runs], random)
    snr_c = _mean_std([m["output_snr_corrected_db"] for m in runs], random)
    kl = _mean_std([m["output_kl"] for m in runs], random)
    cal = {}
    if scores.binary_task(tuple(ref.shape), labels, dim):
        mine = scores.binary_metrics(ref, labels, dim, kind)
        for k in scores.BINARY:
            cal[k], cal[f"{k}_std"] = _mean_std([m[k] for m in runs], random)
            cal[f"{k}_reference"] = mine[k]
        cal["collapse"] = scores.collapse_note(runs, mine)
    if labels is not None:
        for k, v in classes.calibration(zref, labels, dim).items():
            cal[f"output_{k}"], cal[f"output_{k}_std"] = _mean_std([m[k] for m in runs], random)
            cal[f"output_{k}_reference"] = v
    return AccuracyResult(
        accuracy_top1=acc[0], accuracy_top1_std=acc[1], accuracy_top1_ci_low=ci[0],
        accuracy_top1_ci_high=ci[1], accuracy_top1_reference=ref_top1,
        agreement=agr[0], agreement_std=agr[1], output_snr_db=snr[0], output_snr_db_std=snr[1],
        output_snr_corrected_db=snr_c[0], output_snr_corrected_db_std=snr_c[1],
        output_kl=kl[0], output_kl_std=kl[1], repeats=n_rep,
        adc_range_policy=arith.adc_range_policy, per_repeat=runs, emulated_ops=dict(emulated),
        skipped_ops=dict(skipped), not_emulated_ops=dict(not_emulated),
        computed_weight_ops=dict(computed), computed_hooked_ops=dict(hooked_ops),
        computed_sampled_ops=dict(sampled), random_ops=dict(drawn),
        held_generators=len(held_generators(model)), **repeatable,
        **dict(zip(("train_modules", "eval_modules"), mode_tops(model))),
        conversions=conversions, output_shape=tuple(ref.shape), class_dim=dim, output_kind=kind,
        output_kind_detected=detected, reference_outputs=ref if return_outputs else None,
        outputs=ys if return_outputs else None, narrowed_weights=sorted(mode.narrow), **cal)
