"""Sliding windows over a padded input: how many of the windows' taps fall inside it, a dilated
kernel's receptive field, and the note on convolutions whose taps reach past the sequence.

One rule for every caller: a traced window pool's vector ops (it reads only the taps inside
its input: padding and, with ``ceil_mode``, the part of an edge window past the input are
not read), a traced dilated convolution's padding share and receptive field
(``metadata['dilated_convs']``, :mod:`.trace.convs`) and the ``tcn`` generator's
``padding_only_layers``, receptive field and note (:func:`cimsim.workload.generators.tcn`).
"""

from __future__ import annotations

import math


def per_dim(v, default: int, nd: int) -> list[int]:
    """An aten window argument (an int, a list of one or of ``nd``, None or ``[]`` for
    ``default``) as ``nd`` ints."""
    v = default if v is None or (isinstance(v, (list, tuple)) and not v) else v
    v = [int(v)] if isinstance(v, int) else [int(e) for e in v]
    return v * nd if len(v) == 1 else v


def inside_taps(size: int, out: int, kernel: int, stride: int = 1, pad: int = 0, dilation: int = 1) -> int:
    """Taps of ``out`` windows along one dimension that fall inside ``[0, size)``: the sum over
    output positions ``o`` of ``#{j < kernel: 0 <= o * stride - pad + j * dilation < size}``
    (exact integers: a dilation of 2^62 does not overflow)."""
    n = 0
    for j in range(int(kernel)):
        c = j * int(dilation) - int(pad)  # tap j of output o reads o * stride + c
        lo = max(0, -(c // int(stride)))  # the first o with o * stride + c >= 0
        hi = min(int(out) - 1, (int(size) - 1 - c) // int(stride))
        n += max(0, hi - lo + 1)
    return n


def window_taps(sizes, outs, kernel, stride, pad, dilation) -> int:
    """Taps inside the input of every window of a pool or convolution over ``len(sizes)``
    dimensions (per-dimension sequences): the product of :func:`inside_taps` per dimension
    (a window is the product of its dimensions' taps)."""
    return math.prod(inside_taps(*a) for a in zip(sizes, outs, kernel, stride, pad, dilation))


def receptive_field(kernel: int, dilations) -> int:
    """Input positions one output of a stack of stride-1 convolutions of ``kernel`` taps with
    ``dilations`` (one a layer) depends on: ``1 + (kernel - 1) * sum(dilations)``."""
    return 1 + (int(kernel) - 1) * sum(int(d) for d in dilations)


def padding_only(size: int, kernel: int, stride: int, pad: int, dilation: int, out: int) -> bool:
    """Whether each output reads at most one input position along this dimension: every other
    tap multiplies padding (the receptive field past the sequence). Never for ``kernel`` 1. So
    when no two adjacent taps of any window both fall inside the input: the pairs (tap j, tap
    j + 1) inside are the windows of ``kernel - 1`` taps over ``size - dilation`` positions."""
    return kernel > 1 and (size <= dilation or inside_taps(size - dilation, out, kernel - 1, stride, pad,
                                                            dilation) == 0)


def only_padding_note(which: str, taps: int, side: str = "earlier") -> str:
    """The words a note gives ``which`` (layers, convolutions) whose ``taps`` other taps (the
    ``earlier`` of a causal one, the ``off-centre`` of a centred one) read only padding."""
    return (f"{which} read only zero padding through their {taps} {side} taps (receptive field "
            "past the sequence)")


def conv_entry(module: str, sizes, outs, kernel, stride, pad, dilation, macs: int) -> dict:
    """``metadata['dilated_convs']``' entry for a convolution (per-dimension sequences): its
    dilation and kernel, the input's sizes, the receptive field of its one layer per dimension
    (:func:`receptive_field`), the share of its MACs that multiply padding (1 - the taps
    inside the input over every tap: zero-skipping is not modelled, they are charged) and
    whether its every off-centre tap reads padding (:func:`padding_only`, each dimension)."""
    inside = window_taps(sizes, outs, kernel, stride, pad, dilation)
    total = math.prod(outs) * math.prod(kernel)
    return {"module": module, "dilation": [int(d) for d in dilation], "kernel": [int(k) for k in kernel],
            "input": [int(s) for s in sizes], "macs": int(macs),
            "receptive_field": [receptive_field(k, [d]) for k, d in zip(kernel, dilation)],
            "padding_share": 1.0 - inside / total if total else 0.0,
            "padding_only": all(padding_only(*a) for a in zip(sizes, kernel, stride, pad, dilation, outs)
                                if a[1] > 1) and any(k > 1 for k in kernel)}


#: a dilated convolution's padding share the note starts at (``padding_only`` ones always)
NOTE_SHARE = 0.01


def dilated_note(entries) -> list[str]:
    """The note ``cimsim trace`` prints for ``metadata['dilated_convs']``: the convolutions with
    a tap only on padding or at least :data:`NOTE_SHARE` of their MACs on it (a WaveNet / TCN
    stack over a long sequence, at 0.0 %, says nothing); the metadata lists them all."""
    total = len(entries or ())
    # the convolutions worth a line: any tap only on padding, or 1 % of the MACs (metadata: all)
    entries = [e for e in entries or () if e["padding_only"] or e["padding_share"] >= NOTE_SHARE]
    if not entries:
        return []
    macs = sum(e["macs"] for e in entries)
    pad = sum(e["macs"] * e["padding_share"] for e in entries)

    def dims(v):
        return " x ".join(f"{int(x):,}" for x in v)

    each = "; ".join(f"{e['module'] or 'conv'} (dilation {dims(e['dilation'])}): receptive field "
                     f"{dims(e['receptive_field'])} over an input of {dims(e['input'])}, "
                     f"{e['padding_share']:.1%} of its MACs on padding" for e in entries[:3])
    more = f"; ... {len(entries) - 3} more" if len(entries) > 3 else ""
    only = [e for e in entries if e["padding_only"]]
    tail = ""
    if only:
        names = ", ".join(e["module"] or "conv" for e in only[:3]) + (", ..." if len(only) > 3 else "")
        taps = max(math.prod(e["kernel"]) - 1 for e in only)
        tail = f"; {only_padding_note(f'{len(only)} of them ({names})', taps, 'off-centre')}"
    quiet = f" ({total - len(entries)} more under {NOTE_SHARE:.0%})" if total > len(entries) else ""
    return [f"{len(entries)} dilated convolution(s){quiet}: {each}{more}; {pad / macs if macs else 0:.1%} of "
            f"their {macs:,} MACs multiply zero padding, charged as any MAC (zero-skipping is not "
            f"modelled){tail} (metadata['dilated_convs'])"]
