"""Padding a trace sees: the padded share of a key-padding mask, of a PackedSequence.

A batch of sequences of different lengths is padded to one length (a key-padding mask or a
Hugging Face ``attention_mask`` says which positions are real) or packed (a ``PackedSequence``:
an RNN runs each step on the sequences still running). The trace counts what the model runs:
padded positions in full, packed ones not at all. :func:`watch` notes, while the model runs,
the masks and packed sequences it is given (forward pre-hooks that only keep references: no
torch op runs in them, so the recorder sees nothing); :func:`collect` states, per distinct mask
or packed sequence, how many of its positions are real (``metadata['padding']``), and
:func:`notes` says it in a line each.

``nn.TransformerEncoder`` in eval mode under ``torch.no_grad()`` with a
``src_key_padding_mask`` (and ``enable_nested_tensor=True``, the default) runs its layers on
the real tokens only (a nested tensor: torch's fast path). The tracer turns that path off
(:func:`.capture.capture_context`: it hides the ops), so the trace counts the padded tokens
too; the entry's ``nested_fast_path`` gives the encoder's token-wise weight matmuls (the
projections and the FFN, ``m`` = every position) in MACs as traced and on the real positions.
That path is not traced (its attention on nested tensors has no dense equivalent to count).
"""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def watch(torch, model):
    """While the model runs: what its attention and RNN modules and the encoder are given."""
    nn = torch.nn
    seen: dict = {"masks": [], "packed": [], "encoders": []}
    names = {id(m): n for n, m in model.named_modules()}
    # a key_padding_mask: nn.MultiheadAttention(query, key, value, key_padding_mask, ...)
    kinds = ((nn.MultiheadAttention, "masks", "key_padding_mask", 3),
             (nn.TransformerEncoder, "encoders", "src_key_padding_mask", 2),
             (nn.modules.rnn.RNNBase, "packed", "input", 0))
    handles = []
    for mod in model.modules():
        for cls, key, arg, pos in kinds:
            if isinstance(mod, cls):
                def hook(m, args, kwargs, key=key, arg=arg, pos=pos):
                    value = args[pos] if len(args) > pos else kwargs.get(arg)
                    if key == "encoders":
                        src = args[0] if args else kwargs.get("src")
                        mask = args[1] if len(args) > 1 else kwargs.get("mask")
                        seen[key].append((names.get(id(m), ""), m, src, mask, value,
                                          torch.is_grad_enabled(), torch.is_autocast_enabled()))
                    elif value is not None:
                        seen[key].append((names.get(id(m), ""), m, value))
                handles.append(mod.register_forward_pre_hook(hook, with_kwargs=True))
    try:
        yield seen
    finally:
        for h in handles:
            h.remove()


def _real(torch, mask, pad_is_true: bool):
    """How many positions of ``mask`` are real, or None for a mask of shapes only (meta, fake)."""
    from torch._subclasses.fake_tensor import FakeTensor

    if mask.is_meta or isinstance(mask, FakeTensor):
        return None
    if mask.dtype == torch.bool:
        pad = mask if pad_is_true else ~mask
    elif mask.is_floating_point():  # an additive mask: -inf drops the position
        pad = torch.isneginf(mask)
    else:  # 0 / 1 (a Hugging Face attention_mask: 1 is a real token)
        pad = mask == 0 if not pad_is_true else mask != 0
    return int(mask.numel() - int(pad.sum()))


def collect(torch, seen, kwargs, ops) -> dict:
    """``{'padding': [...]}``: per distinct mask or packed sequence, its positions and real ones."""
    out: list[dict] = []
    am = kwargs.get("attention_mask")
    if isinstance(am, torch.Tensor) and am.dim() == 2 and not am.is_floating_point():
        real = _real(torch, am, False)
        out.append({"source": "attention_mask", "modules": [], "shape": list(am.shape),
                    "positions": am.numel(), "real": real})
    by_mask: dict[int, dict] = {}
    for path, _, mask in seen["masks"]:
        entry = by_mask.get(id(mask))
        if entry is None:
            entry = by_mask[id(mask)] = {"source": "key_padding_mask", "modules": [],
                                         "shape": list(mask.shape), "positions": mask.numel(),
                                         "real": _real(torch, mask, True)}
            out.append(entry)
        entry["modules"].append(path)
    by_sizes: dict[int, dict] = {}
    for path, mod, packed in seen["packed"]:
        if not isinstance(packed, torch.nn.utils.rnn.PackedSequence):
            continue
        entry = by_sizes.get(id(packed.batch_sizes))
        if entry is None:
            sizes = packed.batch_sizes.tolist()  # on the CPU, always (torch's own rule)
            entry = by_sizes[id(packed.batch_sizes)] = {
                "source": "PackedSequence", "modules": [], "shape": [sizes[0], len(sizes)],
                "positions": sizes[0] * len(sizes), "real": sum(sizes)}
            out.append(entry)
        entry["modules"].append(f"{path} ({type(mod).__name__})")
    for path, enc, src, mask, skpm, grad, autocast in seen["encoders"]:
        fast = _nested_fast_path(torch, enc, src, mask, skpm, grad, autocast)
        if fast is None:
            continue
        real, positions = fast
        pre = f"{path}." if path else ""  # the encoder traced as the model itself: path ''
        macs = sum(op.macs for op in ops if op.kind == "matmul" and op.weight and op.m == positions
                   and str(op.tags.get("module", "")).startswith(f"{pre}layers."))
        # its layers' attention got the mask (canonical: 0 / -inf): one entry, the encoder's
        entry = next((e for e in out if e["source"] == "key_padding_mask" and e["modules"] and all(
            m.startswith(pre) for m in e["modules"])), None)
        if entry is None:
            entry = {"source": "key_padding_mask", "modules": [], "shape": list(skpm.shape),
                     "positions": positions, "real": real}
            out.append(entry)
        entry["nested_fast_path"] = {"module": path, "weight_macs": macs,
                                     "weight_macs_real": macs * real // positions}
    return {"padding": out} if out else {}


def _nested_fast_path(torch, enc, src, mask, skpm, grad, autocast):
    """(real, positions) where PyTorch's ``nn.TransformerEncoder`` would turn the padded batch
    into a nested tensor of the real tokens (its own checks, ``torch/nn/modules/transformer.py``,
    less the fast-path switch the tracer turns off), else None."""
    from torch._subclasses.fake_tensor import FakeTensor

    if skpm is None or mask is not None or autocast or not getattr(enc, "use_nested_tensor", False) \
            or enc.layers[0].training or not isinstance(src, torch.Tensor) or src.dim() != 3 \
            or src.is_nested or src.is_meta or isinstance(src, FakeTensor) or skpm.dtype != torch.bool:
        return None
    if grad and any(p.requires_grad for p in enc.layers[0].parameters()):
        return None
    keep = skpm.logical_not()
    if getattr(enc, "mask_check", True) and not torch._nested_tensor_from_mask_left_aligned(src, keep):
        return None
    return int(keep.sum()), skpm.numel()


def notes(meta) -> list[str]:
    """One line per :func:`collect` entry, for ``cimsim trace``."""
    out = []
    for e in meta.get("padding") or []:
        n = e["positions"]
        where = f" ({', '.join(e['modules'][:2])}{', ...' if len(e['modules']) > 2 else ''})" \
            if e["modules"] else ""
        what = {"attention_mask": "the attention_mask input",
                "key_padding_mask": "a key_padding_mask",
                "PackedSequence": "a PackedSequence"}[e["source"]]
        dims = " x ".join(str(d) for d in e["shape"])
        if e["real"] is None:
            out.append(f"{what}{where} of {dims} positions: its values are not known (a model of "
                       "shapes only), so its padded share is not stated")
            continue
        pad = n - e["real"]
        share = f"{e['real']:,} of {n:,} positions real, {pad:,} ({pad / n:.1%}) padding"
        if e["source"] == "PackedSequence":
            out.append(f"{what}{where}: {share} in a padded batch of {dims} (sequences x steps); "
                       f"the packed RNN runs the {e['real']:,} real positions only")
        elif "nested_fast_path" in e:
            f = e["nested_fast_path"]
            out.append(f"{what}{where}: {share}; in eval mode under torch.no_grad() PyTorch's "
                       f"nn.TransformerEncoder '{f['module'] or 'the model'}' "
                       f"(enable_nested_tensor=True, its fast "
                       f"path) runs its layers on the real positions only (a nested tensor), "
                       f"which the tracer turns off: the trace counts the "
                       f"padding too, its weight matmuls (projections, FFN) {f['weight_macs']:,} MAC "
                       f"on {n:,} positions against {f['weight_macs_real']:,} MAC on the "
                       f"{e['real']:,} real ones (the fast path itself is not traced)")
        else:
            out.append(f"{what}{where}: {share}; the trace counts every position, padding included")
    return out
