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


#: an additive float mask's value at or below this drops its position (exp underflows in the
#: softmax): -inf, torch.finfo(dtype).min (Hugging Face), -1e9, and BERT's -10000.0
PAD_FLOOR = -1e4


@contextlib.contextmanager
def watch(torch, model):
    """While the model runs: what its attention and RNN modules and the encoder are given. The
    hooks keep the masks (small) and the PackedSequences only; of an encoder's ``src`` only the
    facts its fast path reads, so no activation stays alive until the trace ends."""
    from torch._subclasses.fake_tensor import FakeTensor

    nn = torch.nn
    packed_cls = nn.utils.rnn.PackedSequence
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
                        facts = None if not isinstance(src, torch.Tensor) else (
                            src.dim(), src.is_nested or src.is_meta or isinstance(src, FakeTensor))
                        seen[key].append((names.get(id(m), ""), m, facts, mask is not None, value,
                                          torch.is_grad_enabled(), torch.is_autocast_enabled()))
                    elif value is not None and (key == "masks" or isinstance(value, packed_cls)):
                        seen[key].append((names.get(id(m), ""), m, value))
                handles.append(mod.register_forward_pre_hook(hook, with_kwargs=True))
    try:
        yield seen
    finally:
        for h in handles:
            h.remove()


def _padding(torch, mask, pad_is_true: bool):
    """The padded positions of ``mask`` (a bool tensor, True: padding), or None for a mask of
    shapes only (meta, fake)."""
    from torch._subclasses.fake_tensor import FakeTensor

    if mask.is_meta or isinstance(mask, FakeTensor):
        return None
    if mask.dtype == torch.bool:
        return mask if pad_is_true else ~mask
    if mask.is_floating_point():  # an additive mask: -inf (or -1e9, finfo.min) drops the position
        return mask <= PAD_FLOOR
    return mask != 0 if pad_is_true else mask == 0  # 1 is a real token (Hugging Face's)


def _entry(torch, entries: dict, source: str, mask, pad_is_true: bool):
    """The entry of ``mask`` in ``entries``, one per distinct mask by value (a decoding loop's
    new mask each step, a bool mask and its float form are one), or None for a mask with no
    padding (nothing to say)."""
    pad = _padding(torch, mask, pad_is_true)
    shape = tuple(mask.shape)
    key = (source, shape, None if pad is None else pad.cpu().numpy().tobytes())
    if key not in entries:
        real = None if pad is None else int(mask.numel() - int(pad.sum()))
        entries[key] = None if real == mask.numel() else {
            "source": source, "modules": [], "shape": list(shape), "positions": mask.numel(),
            "real": real}
    return entries[key]


def attention_mask_input(torch, model, inputs, kwargs):
    """The model's 2-D integer ``attention_mask`` input, given by keyword or by position."""
    import inspect

    am = (kwargs or {}).get("attention_mask")
    if am is None:
        try:
            params = list(inspect.signature(model.forward).parameters)
        except (TypeError, ValueError):
            params = []
        i = params.index("attention_mask") if "attention_mask" in params else len(inputs)
        am = inputs[i] if i < len(inputs) else None
    ok = isinstance(am, torch.Tensor) and am.dim() == 2 and not am.is_floating_point()
    return am if ok else None


def collect(torch, seen, am, ops) -> dict:
    """``{'padding': [...]}``: per distinct mask or packed sequence with padding, its positions
    and real ones; ``am``: the model's ``attention_mask`` input (:func:`attention_mask_input`)."""
    entries: dict = {}
    if am is not None:
        _entry(torch, entries, "attention_mask", am, False)
    for path, _, mask in seen["masks"]:
        entry = _entry(torch, entries, "key_padding_mask", mask, True)
        if entry is not None and path not in entry["modules"]:
            entry["modules"].append(path)
    by_sizes: dict = {}
    for path, mod, packed in seen["packed"]:
        sizes = tuple(packed.batch_sizes.tolist())  # on the CPU, always (torch's own rule)
        entry = by_sizes.get(sizes)
        if entry is None:
            entry = by_sizes[sizes] = entries[("PackedSequence", sizes)] = {
                "source": "PackedSequence", "modules": [], "shape": [sizes[0], len(sizes)],
                "positions": sizes[0] * len(sizes), "real": sum(sizes)}
        name = f"{path} ({type(mod).__name__})"
        if name not in entry["modules"]:
            entry["modules"].append(name)
            if packed.data.device.type == "meta":  # meta tensors, or fake ones faking meta
                entry.setdefault("meta_step_projections", []).append(
                    _meta_step_projections(name, mod, len(sizes)))
    for path, enc, facts, mask, skpm, grad, autocast in seen["encoders"]:
        fast = _nested_fast_path(torch, enc, facts, mask, skpm, grad, autocast)
        entry = None if fast is None else _entry(torch, entries, "key_padding_mask", skpm, True)
        if entry is None or "nested_fast_path" in entry:
            continue
        real, positions = fast
        pre = f"{path}." if path else ""  # the encoder traced as the model itself: path ''
        macs = sum(op.macs for op in ops if op.kind == "matmul" and op.weight and op.m == positions
                   and str(op.tags.get("module", "")).startswith(f"{pre}layers."))
        entry["nested_fast_path"] = {"module": path, "weight_macs": macs,
                                     "weight_macs_real": macs * real // positions}
    out = [e for e in entries.values() if e is not None]
    return {"padding": out} if out else {}


def _meta_step_projections(name: str, mod, steps: int) -> dict:
    """What a packed RNN on the meta device runs more than the CPU build: torch's packed path
    (``RNN.cpp``'s ``PackedLayer``) projects the whole packed input through ``weight_ih`` once
    per layer and direction on the CPU and each step's input on its own elsewhere (the tracer's
    CPU schedule, :mod:`.rnn_schedule`, takes dense calls only): ``steps - 1`` more matmuls per
    layer and direction, as many more bias adds, the same MACs."""
    more = (steps - 1) * mod.num_layers * (2 if mod.bidirectional else 1)
    return {"module": name, "matmuls": more, "bias_adds": more if mod.bias else 0}


def _nested_fast_path(torch, enc, facts, mask, skpm, grad, autocast):
    """(real, positions) where PyTorch's ``nn.TransformerEncoder`` would turn the padded batch
    into a nested tensor of the real tokens (its own checks, ``torch/nn/modules/transformer.py``,
    less the fast-path switch the tracer turns off), else None. A bool or a float mask: torch
    canonicalises both and nests on ``logical_not()`` (a float mask's 0s are the real tokens)."""
    from torch._subclasses.fake_tensor import FakeTensor

    if skpm is None or mask or autocast or not getattr(enc, "use_nested_tensor", False) \
            or enc.layers[0].training or facts is None or facts[0] != 3 or facts[1] \
            or skpm.is_meta or isinstance(skpm, FakeTensor) \
            or not (skpm.dtype == torch.bool or skpm.is_floating_point()) or skpm.dim() != 2:
        return None
    if grad and any(p.requires_grad for p in enc.layers[0].parameters()):
        return None
    keep = skpm.logical_not()
    # torch._nested_tensor_from_mask_left_aligned: each row's real tokens come first
    if getattr(enc, "mask_check", True) and bool((keep[:, 1:] & ~keep[:, :-1]).any()):
        return None
    return int(keep.sum()), skpm.numel()


#: at most this many padding notes are printed; the rest are counted (all in the metadata)
NOTES = 6


def notes(meta) -> list[str]:
    """One line per :func:`collect` entry, for ``cimsim trace``."""
    out = []
    entries = meta.get("padding") or []
    for e in entries[:NOTES]:
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
            out.append(f"{what}{where}: {share} in a padded batch of {dims} (sequences x the "
                       f"longest length); "
                       f"the packed RNN runs the {e['real']:,} real positions only")
            for m in e.get("meta_step_projections", []):
                bias = f" and {m['bias_adds']:,} more bias adds" if m["bias_adds"] else ""
                out.append(f"{m['module']} on a PackedSequence on the meta device runs torch's "
                           f"per-step input projection: {m['matmuls']:,} more matmuls{bias} than "
                           "the CPU build (the same MACs); build it on the CPU for the CPU "
                           "kernel's schedule")
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
    if len(entries) > NOTES:
        out.append(f"... and {len(entries) - NOTES} more padded mask(s) or packed sequence(s), "
                   "each in metadata['padding']")
    from ..windows import dilated_note

    return out + dilated_note(meta.get("dilated_convs"))  # a dilated conv's taps on padding
