"""Data-dependent control flow, said rather than dropped: the tensor values a traced forward
read into Python.

A trace records the path the example inputs take. An ``if conf > t:``, a ``while cum < 0.99:``,
a ``tok.item() == eos`` or a ``generate()`` that stops at its end-of-sequence token reads a
tensor's value into Python (torch dispatches ``aten._local_scalar_dense``, ``is_nonzero``,
``item`` or ``equal``), and what runs next depends on that value: another input may run more or
fewer ops. No data moves on such a read (no op is lowered), but each is counted in
``metadata['value_reads']`` (op, module, the user's source line ``where``, the innermost line
that read it ``site``, library code included, and whose code that is, ``by``: ``model``, ``torch``,
``transformers``, ``transformers generate()`` or ``python``; the site's text ``code`` when it can
be read, ``count``). ``cimsim trace`` and every run print a note (:func:`note`) for the reads of
the model's own code and of transformers' ``generate()`` loop (its stop at an end token); a
read inside torch, the rest of transformers or Python's standard library is a check that picks
a mask or a kernel (transformers' packed-sequence test, ``nn.Transformer``'s causal-mask test,
``pack_padded_sequence``'s lengths), which the user cannot make a factory argument: recorded,
not noted.

The decision is not an edge of the workload: an IR matmul reads exactly its A and B, so the
ops after a read do not wait for the op whose value was read (README "Data-dependent control
flow"); a run's critical path can leave the decision's ops out. A read is a point no runtime
fuses across (eager runs op by op; ``torch.compile`` breaks its graph at a data-dependent
branch): each read starts a new *sync epoch* (``low.syncs``), and pointwise fusion joins only ops
of one epoch (:func:`.fuse.fuse_pointwise`), so a hand-written NMS loop of n reads is at least n
ops, each a launch, not one fused op (a torch optimizer's read of its step count, a host
tensor, is not such a point: :func:`_host_step`). A trace with reads says so (``metadata['fusion']``:
:data:`FUSION`); a file without it was fused across its reads, and its note says to re-trace it.

**Sizes taken from values.** ``nonzero``, ``masked_select``, a boolean mask's index
(``x[x > t]``) and ``unique`` size their output by the example's values (how many elements a
threshold keeps): everything after is sized by that count. Each is listed in
``metadata['data_dependent_shapes']`` (op, module, source line ``where``, ``count`` of calls,
``selected`` elements traced, ``of``: the most it could select) and noted (:func:`note`); on a
GPU the host must read that count before it can size what follows (a host-device sync, torch's
docs for ``nonzero``), so each also starts a sync epoch.
"""

from __future__ import annotations

import linecache
import math
import os
import sys
import sysconfig

#: aten ops that read a tensor's value into Python (a bool or a number the model's code uses)
VALUE_READS = frozenset({"_local_scalar_dense", "is_nonzero", "item", "equal"})
#: read sites named in the note before ``...``
SHOWN = 2
#: the code whose reads the note names (:func:`_by`)
NOTED = frozenset({"model", "transformers generate()"})
#: characters of a site's code quoted before "…"
QUOTE = 80
#: ``metadata['fusion']`` of a trace with value reads or value-sized ops: fusion stops at each
#: (a file without it was fused across them: :func:`note` says to re-trace it)
FUSION = "stops at value reads"
#: aten ops whose output size comes from the values they read (a bool index: ``index``)
SIZED_BY_VALUES = frozenset({"nonzero", "masked_select", "index", "_unique", "_unique2", "unique_dim",
                             "unique_consecutive"})


def range_checked(torch, rec, func, args, kwargs):
    """Run ``func`` (``F.one_hot``), whose C++ kernel reads its input's min and max to check the
    classes' range (it raises or does nothing: the ops run do not depend on the values); its
    value reads are recorded as torch's own (``by: torch``: not noted), not as the model's line."""
    first = len(rec.events)
    out = func(*args, **kwargs)
    site = f"{torch.nn.functional.__file__}:{getattr(func, '__name__', 'one_hot')}"
    for ev in rec.events[first:]:
        if ev.func._overloadpacket.__name__ in VALUE_READS:
            ev.site = site
    return out


def read_value(low, ev, base: str) -> None:
    """Count event ``ev`` (an op of :data:`VALUE_READS`) by (op, module, source line) on ``low``."""
    reads = low.__dict__.setdefault("value_reads", {})
    key = (base, ev.module, ev.where, ev.site or ev.where)
    reads[key] = reads.get(key, 0) + 1
    if not _host_step(ev.site or ev.where):
        low.syncs += 1  # ops after the read are not fused with those before it


def _host_step(site: str) -> bool:
    """Whether the read at ``site`` is a torch optimizer's step count: a CPU tensor (its
    non-capturable default, kept on the host so that reading it syncs nothing), so the update
    around it still fuses (Adam: 28 B a parameter, not two kernels and 36 B)."""
    path = site.rpartition(":")[0]
    return _library(path) == "torch" and f"{os.sep}optim{os.sep}" in path


def sized_by_values(low, ev, base: str, ins, outs) -> None:
    """Record op ``ev`` (``base`` in :data:`SIZED_BY_VALUES`, inputs ``ins``, outputs
    ``outs``) when its output size came from the values it read: ``(selected, of)`` elements
    by (op, module, source line) on ``low``; it starts a sync epoch."""
    torch = low.torch
    if base == "index":  # a gather by integer indices has its index's size: only a mask selects
        idx = list(ev.args[1])
        masks = [t for t in idx if isinstance(t, torch.Tensor) and t.dtype in (torch.bool, torch.uint8)]
        if not masks:
            return
        # the count from the output, not the mask (updated in place later: ``keep &= ...``):
        # the indexed dimensions collapse to one, at the first index when the indices are
        # adjacent, else first (numpy's rule)
        at = [i for i, t in enumerate(idx) if t is not None]
        sel, of = outs[0].shape[at[0] if at == list(range(at[0], at[-1] + 1)) else 0], masks[0].numel()
    elif base == "nonzero":
        sel, of = outs[0].shape[0], ins[0].numel()
    elif base == "masked_select":
        sel, of = outs[0].numel(), math.prod(torch.broadcast_shapes(*(t.shape for t in ins)))
    else:  # unique: the distinct values (or runs) of its input
        sel, of = outs[0].numel(), ins[0].numel()
    sizes = low.__dict__.setdefault("value_sizes", {})
    key = (base, ev.module, ev.where)
    n, s, o = sizes.get(key, (0, 0, 0))
    sizes[key] = (n + 1, s + int(sel), o + int(of))
    low.syncs += 1  # on a GPU the host reads the count before sizing what follows


def _code(where: str) -> str | None:
    """The text of the source line ``where`` (``file:line``), or None where it cannot be read."""
    path, _, line = where.rpartition(":")
    if not path or not line.isdigit():
        return None
    text = linecache.getline(path, int(line)).split("  #")[0].strip()
    return (text[:QUOTE - 1] + "…" if len(text) > QUOTE else text) or None


def _library(path: str) -> str | None:
    """The library (``torch``, ``transformers``, ``python`` for the standard library) whose file
    ``path`` is, or None for the model's own code."""
    for name in ("torch", "transformers"):
        mod = sys.modules.get(name)
        if mod is not None and getattr(mod, "__file__", None) \
                and path.startswith(os.path.dirname(mod.__file__) + os.sep):
            return name
    stdlib = sysconfig.get_paths()["stdlib"] + os.sep
    if path.startswith(stdlib) and "-packages" + os.sep not in path:
        return "python"
    return None


def _by(site: str) -> str:
    """Whose code made the read at ``site``: ``model`` or a library (:data:`NOTED`)."""
    lib = _library(site.rpartition(":")[0])
    if lib == "transformers" and f"{os.sep}generation{os.sep}" in site:
        return "transformers generate()"  # its loop's stop at an end-of-sequence token
    return lib or "model"


def collect(low) -> dict:
    """``{'value_reads': [...], 'data_dependent_shapes': [...], 'fusion': FUSION}``, most
    frequent first (each key only when the forward had such ops)."""
    sizes = [{"op": f"aten.{op}", "module": module, "where": where, "count": n, "selected": s, "of": o}
             for (op, module, where), (n, s, o) in (getattr(low, "value_sizes", None) or {}).items()]
    shapes = {"data_dependent_shapes": sizes} if sizes else {}
    reads = getattr(low, "value_reads", None) or {}
    out = []
    for (op, module, where, site), n in sorted(reads.items(), key=lambda kv: -kv[1]):
        entry = {"op": f"aten.{op}", "module": module, "where": where, "site": site, "by": _by(site),
                 "count": n}
        if (code := _code(site)) is not None:
            entry["code"] = code
        out.append(entry)
    return ({"value_reads": out} if out else {}) | shapes | ({"fusion": FUSION} if out or shapes else {})


def _site(e) -> str:
    site = str(e.get("site") or e.get("where", "?"))
    by = e.get("by", "model")
    # the model's own file by its name; a library's by its path in the installed packages
    short = site.rsplit("-packages/", 1)[-1] if by != "model" and "-packages/" in site else \
        site.rsplit("/", 1)[-1]
    if by != "model":
        short += f", {by}"
    code = e.get("code")
    times = f" x{e['count']}" if int(e.get("count", 1)) > 1 else ""
    return f"`{code}` at {short}{times}" if code else f"{short}{times}"


_SHOWN_AS = {"aten.index": "a boolean mask's index x[mask]"}


def sizes_note(meta) -> list[str]:
    """The note ``cimsim trace`` and a run print for ``metadata['data_dependent_shapes']``."""
    sizes = meta.get("data_dependent_shapes") or []
    if not sizes:
        return []
    n = sum(int(e.get("count", 1)) for e in sizes)
    none = sum(int(e["selected"]) == 0 for e in sizes)
    what = ", ".join(f"{_SHOWN_AS.get(e['op'], e['op'].removeprefix('aten.'))} at {str(e.get('where', '?')).rsplit('/', 1)[-1]}"
                     f"{' x' + str(e['count']) if int(e.get('count', 1)) > 1 else ''}: "
                     f"{int(e['selected']):,} of {int(e['of']):,} elements" for e in sizes[:SHOWN])
    return [f"{n} op(s) took their output size from the example's values ({what}"
            f"{', ...' if len(sizes) > SHOWN else ''}): other inputs select more or fewer elements, "
            "and every op after is sized by that count"
            + (f" ({none} kept no element: the ops on what it selected are missing from this trace)"
               if none else "") + "; trace the worst case (every element kept: "
            "e.g. a score threshold of 0 as a factory argument, --arg thr=0) to bound the cost (README 'Detection "
            "and post-processing'; metadata['data_dependent_shapes'])"]


def note(meta) -> list[str]:
    """The notes ``cimsim trace`` and a run print for ``metadata['value_reads']`` and
    ``metadata['data_dependent_shapes']``."""
    reads = [e for e in meta.get("value_reads") or [] if e.get("by", "model") in NOTED]
    if not reads:
        return sizes_note(meta)
    n = sum(int(e.get("count", 1)) for e in reads)
    sites = ", ".join(_site(e) for e in reads[:SHOWN]) + (", ..." if len(reads) > SHOWN else "")
    return [f"{n} value read(s) decided the control flow (e.g. {sites}): the trace is the path this "
            "example input took, and other inputs may run more or fewer ops; trace each path (a "
            "factory argument: --arg) to compare (README 'Data-dependent control flow'; "
            "metadata['value_reads'])"] + sizes_note(meta) + ([] if meta.get("fusion") else [
        f"this file was traced before cimsim stopped fusion at value reads (it has no metadata['fusion']): "
        f"its fused ops may span these {n} read(s), which no runtime fuses across (a loop of n reads "
        "is about n launches, not 1 fused op): re-trace it"])


def higher_order_error(name: str, where: str):
    """The one-line refusal of a higher-order op (``torch.cond``, ``torch.while_loop``, ``map``)
    called from ``where``: its branches and body are functions, which the recorder cannot run op
    by op (a functionalized custom op is unwrapped before: :func:`.custom.unwrap_functionalized`)."""
    from ...errors import WorkloadError

    how = {"cond": "write the branch as a Python if / else (the branch the example input takes "
                   "is traced) or trace each branch (a factory argument: --arg)",
           "while_loop": "write the loop as a Python while / for loop (the iterations the example "
                         "input runs are traced) or a fixed number of iterations (a factory "
                         "argument: --arg)",
           "flex_attention": "write the attention with torch.nn.functional.scaled_dot_product_attention "
                             "(a Hugging Face model: attn_implementation=\"sdpa\"), traced as "
                             "matmul + softmax + matmul, with its mask as an attn_mask tensor",
           "map_impl": "write it as a Python loop over the leading dimension (torch.stack of "
                       "each slice's result: every slice the example input has is traced)",
           }.get(name, "write it as plain torch code")
    called = {"flex_attention": "torch.nn.attention.flex_attention.flex_attention",
              "map_impl": "torch._higher_order_ops.map"}.get(name, f"torch.{name}")
    return WorkloadError(f"{called} ({where}) is not supported by the tracer (a higher-order "
                         f"op: torch runs its functions outside the recorder): {how}")


def tag_host_syncs(ops, sync_of: dict) -> None:
    """Tag ``host_syncs`` (the value reads, and count reads of ``nonzero`` & co., before it) on
    the first op after each sync epoch starts, in program order: on a GPU the host copies the
    value back and waits for the stream there before it launches that op, which
    ``processor.sync_overhead`` charges (find-F 4; 0 s unless a config sets it)."""
    last = 0
    for op in ops:
        epoch = max((sync_of.get(t, 0) for t in op.outputs), default=0)
        if epoch > last:
            op.tags["host_syncs"] = epoch - last
            last = epoch
