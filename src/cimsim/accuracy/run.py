"""Run a torch model with the CIM's arithmetic in place of its weight matmuls; score the outputs.

:class:`CIMMode` is a ``TorchDispatchMode``: every aten ``mm``, ``addmm``, ``bmm`` and
``convolution`` whose weight operand is one of the model's parameters (the stationary weights a
CIM claims) is computed by :class:`~cimsim.accuracy.emulator.Emulator`; with ``claim="all"``
activation-by-activation products (attention's ``bmm``) are emulated too, each call programming
its right operand afresh. The fused kernels that hide matmuls from the dispatcher are off (as in
the tracer): ``nn.LSTM`` / ``nn.GRU`` then run as per-step ``mm``/``addmm``, attention as
``bmm`` + softmax. A weight is programmed once per Monte-Carlo chip and reused by every call.

:func:`evaluate` runs the fp32 reference and the emulated model on the same inputs and reports
top-1 (with labels), the reference's top-1, agreement of the arg-max with fp32, output SNR
``10 log10(sum y_ref^2 / sum (y - y_ref)^2)`` in dB and the mean KL divergence
``KL(softmax(y_ref) || softmax(y))`` in nats over the last dimension, each as the mean and the
standard deviation over chips.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode

from .arith import Arith, nonideal_of
from .emulator import Emulator, Programmed, input_mode, program
from .nonideal import NonIdeal

aten = torch.ops.aten


def fused_kernels_off():
    """No oneDNN RNN, no transformer fast path, math attention, no autograd: the tracer's
    capture context, so the emulated model runs the ops the cost model was traced from."""
    from ..workload.trace.capture import capture_context

    return capture_context(torch)


def _key(t: torch.Tensor, extra=()) -> tuple:
    return (t.untyped_storage().data_ptr(), t.storage_offset(), tuple(t.shape), tuple(t.stride())) \
        + tuple(extra)


class CIMMode(TorchDispatchMode):
    """Replaces the claimed matmuls by the emulator (see the module docstring)."""

    def __init__(self, emulator: Emulator, weights: set[int], claim: str = "weights"):
        super().__init__()
        if claim not in ("weights", "all"):
            raise ValueError(f"claim must be 'weights' or 'all', not {claim!r}")
        self.emu = emulator
        self.weights = weights
        self.claim = claim
        self.programmed: dict[tuple, Programmed] = {}
        self.emulated: Counter = Counter()
        self.skipped: Counter = Counter()

    # ---- helpers ----------------------------------------------------------------------------
    def _is_weight(self, t) -> bool:
        return isinstance(t, torch.Tensor) and t.untyped_storage().data_ptr() in self.weights

    def _prog(self, w: torch.Tensor, extra=()) -> Programmed:
        k = _key(w, extra)
        p = self.programmed.get(k)
        if p is None:
            p = program(w, self.emu.a, self.emu.ni, self.emu.gen)
            self.programmed[k] = p
        return p

    def _mm(self, a: torch.Tensor, b: torch.Tensor) -> Optional[torch.Tensor]:
        """``a @ b`` emulated when claimed, else None."""
        if self._is_weight(b):
            return self.emu.matmul(a, self._prog(b)).to(a.dtype)
        if self._is_weight(a):
            return self.emu.matmul(b.t(), self._prog(a.t())).t().to(b.dtype)
        if self.claim == "all":
            return self.emu.matmul(a, program(b, self.emu.a, self.emu.ni, self.emu.gen)).to(a.dtype)
        return None

    def _conv(self, x, w, bias, stride, padding, dilation, transposed, output_padding, groups):
        """``aten.convolution``'s arguments (``output_padding`` is a transposed one's, never
        emulated); an im2col matmul through the emulator, or None where no CIM claims it."""
        # a grouped or depthwise convolution has no stationary weight in the trace (a batch of
        # per-group products the host runs), so no CIM claims it: it runs exact here too, or
        # the accuracy would be of another placement than the energy
        if transposed or groups != 1 or w.dim() not in (3, 4) or not self._is_weight(w):
            return None
        one_d = w.dim() == 3
        if one_d:
            x, w = x.unsqueeze(2), w.unsqueeze(2)
            stride, padding, dilation = (1, stride[0]), (0, padding[0]), (1, dilation[0])
        B, C, H, W_ = x.shape
        O, _, kh, kw = w.shape
        Ho = (H + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        Wo = (W_ + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        cols = F.unfold(x, (kh, kw), dilation=dilation, padding=padding, stride=stride)
        L = cols.shape[-1]
        rows = cols.transpose(1, 2).reshape(B * L, C * kh * kw)
        # one input scale and encoding per sample (the whole input feature map of the layer)
        amax = x.abs().reshape(B, -1).amax(1, keepdim=True).repeat_interleave(L, 0)
        rmode = (input_mode(x.reshape(B, -1), self.emu.a) if not self.emu.a.signed_inputs
                 else None)
        rmode = None if rmode is None else rmode.repeat_interleave(L, 0)
        p = self._prog(w.reshape(O, -1).t(), ("conv", _key(w), 0))
        y = self.emu.matmul(rows, p, amax=amax, mode=rmode)        # B*L x O
        y = y.reshape(B, L, O).transpose(1, 2).reshape(B, O, Ho, Wo).to(x.dtype)
        if bias is not None:
            y = y + bias.reshape(1, O, 1, 1)
        return y.squeeze(2) if one_d else y

    # ---- dispatch ---------------------------------------------------------------------------
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = None
        if func is aten.mm.default:
            out = self._mm(args[0], args[1])
        elif func is aten.addmm.default:
            y = self._mm(args[1], args[2])
            if y is not None:
                beta, alpha = kwargs.get("beta", 1), kwargs.get("alpha", 1)
                out = beta * args[0] + alpha * y if (beta, alpha) != (1, 1) else args[0] + y
        elif func is aten.bmm.default:
            a, b = args
            if self._is_weight(b) or self._is_weight(a) or self.claim == "all":
                out = torch.stack([self._mm(a[i], b[i]) if self._is_weight(b) or self._is_weight(a)
                                   else self.emu.matmul(a[i], program(b[i], self.emu.a, self.emu.ni,
                                                                      self.emu.gen)).to(a.dtype)
                                   for i in range(a.shape[0])])
        elif func is aten.convolution.default:
            out = self._conv(*args, **kwargs)
        else:
            return func(*args, **kwargs)
        name = str(func).removeprefix("aten.").removesuffix(".default")
        if out is None:
            self.skipped[name] += 1
            return func(*args, **kwargs)
        self.emulated[name] += 1
        return out


# ---- evaluation ------------------------------------------------------------------------------
@dataclass
class AccuracyResult:
    """Accuracy of one design point (means and standard deviations over Monte-Carlo chips)."""

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
    per_repeat: list = field(default_factory=list)
    emulated_ops: dict = field(default_factory=dict)
    skipped_ops: dict = field(default_factory=dict)
    conversions: int = 0


def _logits(out) -> torch.Tensor:
    """The class scores of a model's output: a tensor, its ``.logits``, a mapping's ``logits``
    (or its one tensor), or a tuple's first item."""
    if hasattr(out, "logits"):
        out = out.logits
    if isinstance(out, dict):
        tensors = {k: v for k, v in out.items() if isinstance(v, torch.Tensor)}
        if "logits" in tensors or len(tensors) == 1:
            out = tensors.get("logits", next(iter(tensors.values()), None))
        else:
            from ..errors import CimsimError

            raise CimsimError(f"the model returns a mapping of {', '.join(map(str, out)) or 'nothing'}: "
                              "give it a 'logits' entry (the class scores) for --accuracy")
    if isinstance(out, (tuple, list)):
        out = out[0]
    if not isinstance(out, torch.Tensor):
        from ..errors import CimsimError

        raise CimsimError(f"the model returns {type(out).__name__}, not class scores (a tensor, "
                          "or a mapping or tuple holding one) for --accuracy")
    return out.detach().to(torch.float32)


def _forward(model, inputs: torch.Tensor, batch_size: Optional[int]) -> torch.Tensor:
    n = len(inputs)
    bs = n if not batch_size else batch_size
    return torch.cat([_logits(model(inputs[i:i + bs])) for i in range(0, n, bs)])


def _snr_db(sig: float, noise: float) -> float:
    return math.inf if noise == 0 else (10 * math.log10(sig / noise) if sig > 0 else -math.inf)


def corrected_snr_db(y: torch.Tensor, ref: torch.Tensor) -> float:
    """Output SNR (dB) after a gain and offset correction, what ADC designers compare: the
    least-squares fit ``y ~ a ref + b`` over every output, then ``10 log10(sum ref^2 / sum
    ((y - b) / a - ref)^2)``, the residual referred back through the gain. A pure gain or
    offset error is infinite; outputs that do not move with the reference (``a = 0``) are
    ``-inf``. A constant reference has no gain to fit: the offset alone is removed."""
    x, z = ref.reshape(-1).double(), y.reshape(-1).double()
    dx = x - x.mean()
    sxx = float((dx * dx).sum())
    a = float((dx * (z - z.mean())).sum()) / sxx if sxx > 0 else 1.0
    b = float(z.mean()) - a * float(x.mean())
    if a == 0:
        return -math.inf
    return _snr_db(float((x * x).sum()), float(((z - a * x - b) ** 2).sum()) / (a * a))


def metrics(y: torch.Tensor, ref: torch.Tensor, labels: Optional[torch.Tensor] = None) -> dict:
    """top-1 (with labels), agreement, output SNR (dB; plain and gain/offset-corrected,
    :func:`corrected_snr_db`) and KL(softmax(ref) || softmax(y))."""
    snr = _snr_db(float((ref ** 2).sum()), float(((y - ref) ** 2).sum()))
    r2, y2 = ref.reshape(-1, ref.shape[-1]), y.reshape(-1, y.shape[-1])
    kl = float(F.kl_div(F.log_softmax(y2, -1), F.log_softmax(r2, -1), log_target=True,
                        reduction="batchmean"))
    pred, pref = y.argmax(-1), ref.argmax(-1)
    out = {"agreement": float((pred == pref).double().mean()), "output_snr_db": snr,
           "output_snr_corrected_db": corrected_snr_db(y, ref),
           "output_kl": max(kl, 0.0)}
    if labels is not None:
        out["accuracy_top1"] = float((pred == labels).double().mean())
    return out


def _mean_std(v: list[float]) -> tuple[float, float]:
    t = torch.tensor(v, dtype=torch.float64)
    if torch.isinf(t).any():
        return (float(t.mean()), 0.0) if bool((t == t[0]).all()) else (float(t.mean()), math.nan)
    return float(t.mean()), float(t.std()) if len(v) > 1 else 0.0


def evaluate(model: torch.nn.Module, inputs: torch.Tensor, labels: Optional[torch.Tensor] = None,
             arith: Optional[Arith] = None, *, cim=None, nonideal: Optional[NonIdeal] = None,
             calibration_inputs: Optional[torch.Tensor] = None, batch_size: Optional[int] = None,
             claim: str = "weights", reference: Optional[torch.Tensor] = None) -> AccuracyResult:
    """Score ``model`` on ``inputs`` with the CIM arithmetic ``arith`` (or one built from the
    CIM config ``cim`` and its ``nonideal`` block) against its own fp32 outputs.

    ``calibration_inputs`` feed the ``calibrated`` ADC range policy (default: the first 256
    ``inputs``); ``reference`` reuses fp32 outputs computed before (they depend on nothing here).
    """
    if arith is None:
        if cim is None:
            raise ValueError("give arith or cim")
        arith = Arith.from_cim(cim)
        if nonideal is None:
            nonideal = nonideal_of(cim)
    if nonideal is not None and "encoding" in nonideal.model_fields_set:
        arith = arith.with_(encoding=nonideal.encoding)  # the config's home of the choice
    model.eval()
    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}
    with fused_kernels_off():
        ref = _forward(model, inputs, batch_size) if reference is None else reference
        n_rep = nonideal.repeats if nonideal is not None and nonideal.random else 1
        seed = nonideal.seed if nonideal is not None else 0
        runs, emulated, skipped, conversions = [], Counter(), Counter(), 0
        for r in range(n_rep):
            gen = torch.Generator().manual_seed(seed + r)
            emu = Emulator(arith, nonideal, gen)
            mode = CIMMode(emu, weights, claim)
            if arith.adc_range_policy == "calibrated":
                cal = inputs[:256] if calibration_inputs is None else calibration_inputs
                emu.calibrating = True
                with mode:
                    _forward(model, cal, batch_size)
                emu.finish_calibration(list(mode.programmed.values()))
                mode.emulated.clear()
                mode.skipped.clear()
                emu.conversions = 0
            with mode:
                y = _forward(model, inputs, batch_size)
            runs.append(metrics(y, ref, labels))
            emulated, skipped, conversions = mode.emulated, mode.skipped, emu.conversions
    ref_top1 = None if labels is None else float((ref.argmax(-1) == labels).double().mean())
    acc = _mean_std([m["accuracy_top1"] for m in runs]) if labels is not None else (None, None)
    agr = _mean_std([m["agreement"] for m in runs])
    snr = _mean_std([m["output_snr_db"] for m in runs])
    snr_c = _mean_std([m["output_snr_corrected_db"] for m in runs])
    kl = _mean_std([m["output_kl"] for m in runs])
    return AccuracyResult(
        accuracy_top1=acc[0], accuracy_top1_std=acc[1], accuracy_top1_reference=ref_top1,
        agreement=agr[0], agreement_std=agr[1], output_snr_db=snr[0], output_snr_db_std=snr[1],
        output_snr_corrected_db=snr_c[0], output_snr_corrected_db_std=snr_c[1],
        output_kl=kl[0], output_kl_std=kl[1], repeats=n_rep,
        adc_range_policy=arith.adc_range_policy, per_repeat=runs, emulated_ops=dict(emulated),
        skipped_ops=dict(skipped), conversions=conversions)
