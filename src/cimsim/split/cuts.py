"""Where a workload can be cut in two (no simulation here; :mod:`.halves` makes the two
workloads of a cut).

A workload's ops are in topological order, so every position ``k`` in ``0..n`` of that order is
a cut: ops ``0..k-1`` run on the edge (the *prefix*), ops ``k..n-1`` on the server (the
*suffix*). Cut 0 is "server only" (the edge sends the model's raw inputs), cut ``n`` "edge only"
(nothing is sent). What crosses cut ``k`` uplink is every tensor the edge holds that a suffix op
reads: an activation made by a prefix op and read at or after ``k``, or a model input
(``role: input``) read at or after ``k`` (the edge holds the inputs). Weights never cross (each
side holds its own), nor do resident inputs (:func:`resident_state`: a KV cache, a database the
model keeps in memory across runs) or a trace's constants: each side that reads one holds it. What comes back
downlink is every tensor the model returns (``metadata.outputs``, or the activations no op
reads) that a suffix op makes, less the state it keeps (a KV cache grown by this step).

A cut right after a lowering copy (:data:`LOWERING_PARTS`: a convolution's im2col matrix, a
matmul's operand gathered from several tensors) would send that copy, which no deployment
does: such cuts are left out unless asked for (``lowered=True``).

Serving runs (``metadata.llm``) and training steps are refused: neither is one inference.
"""

from __future__ import annotations

import fnmatch
import math
import re
from dataclasses import dataclass, replace

import numpy as np

from ..dtypes import tensor_bytes
from ..errors import WorkloadError

#: the ``part`` tags of a lowering copy: the im2col matrix a convolution is lowered to, a
#: matmul's operand gathered from several tensors (cut right after one, it would cross)
LOWERING_PARTS = ("im2col", "operand", "view")
#: the dtypes ``--cut-dtype`` re-types: floating-point activations (indices, masks, integer
#: activations and complex tensors are sent at their own dtype)
FLOATING = ("fp64", "fp32", "fp16", "bf16", "fp8")
#: a traced model input that is a constant the forward made (``torch.arange``, a literal
#: tensor), no forward argument: the tracer names it ``const<N>``
CONSTANT = re.compile(r"^const\d+$")
#: the dtypes a cut may be sent as (``--cut-dtype``)
CUT_DTYPES = ("fp32", "fp16", "bf16", "fp8", "int8", "int4")


@dataclass(frozen=True)
class Cut:
    """One cut of a workload's op order.

    ``index``: the ops run on the edge (0 = server only, n = edge only); ``after``: the last op on
    the edge (None at cut 0); ``before``: the first op on the server (None at cut n);
    ``tensors``: the tensors sent uplink, with ``numel`` elements, ``nbytes`` bytes and
    ``dtypes`` each; ``returned``: the model outputs the server makes (sent back downlink when
    the link has a downlink), ``returned_bytes`` their bytes."""

    index: int
    after: str | None
    before: str | None
    tensors: tuple[str, ...]
    numel: tuple[int, ...]
    nbytes: tuple[int, ...]
    returned: tuple[str, ...]
    returned_bytes: int
    dtypes: tuple[str, ...] = ()
    #: the model outputs the edge makes and no server op reads (all of them at the last cut),
    #: and their bytes: sent uplink where the server consumes the output (``--output-to server``)
    edge_returned: tuple[str, ...] = ()
    edge_returned_bytes: int = 0
    #: those outputs' elements and dtypes (so they are sent like any crossing tensor)
    edge_returned_numel: tuple[int, ...] = ()
    edge_returned_dtypes: tuple[str, ...] = ()

    def as_sent(self, output_to: str = "edge") -> "Cut":
        """The cut with what goes uplink as its ``tensors``: with ``output_to`` ``server`` the
        model outputs the edge makes (:attr:`edge_returned`) join the crossing tensors, sent by
        the same ``--cut-dtype`` / ``--cut-bits`` / ``--cut-density`` rule (review C 1)."""
        if output_to != "server" or not self.edge_returned:
            return self
        n = len(self.edge_returned)
        numel = self.edge_returned_numel if len(self.edge_returned_numel) == n else (0,) * n
        dtypes = self.edge_returned_dtypes if len(self.edge_returned_dtypes) == n else ("",) * n
        nbytes = ((self.edge_returned_bytes,) + (0,) * (n - 1) if len(self.edge_returned_numel) != n
                  else tuple(tensor_bytes(k, d) for k, d in zip(numel, dtypes)))
        own = self.dtypes or ("fp32",) * len(self.nbytes)
        return replace(self, tensors=self.tensors + self.edge_returned, numel=self.numel + numel,
                       nbytes=self.nbytes + nbytes, dtypes=own + dtypes)

    def sent_bytes(self, dtype: str | None = None, formats: dict | None = None) -> tuple[int, ...]:
        """Bytes of each crossing tensor as sent: its own, or with ``dtype`` (``int8``: 1 B an
        element) for a floating-point tensor (:data:`FLOATING`) it makes narrower; an index,
        mask or integer tensor, and one already as narrow, keep their own. ``formats``: the
        :class:`SentFormat` of a tensor by name (``--cut-bits``, ``--cut-density``), which
        decides its bytes before ``dtype``."""
        dtypes = self.dtypes or ("fp32",) * len(self.nbytes)
        formats = formats or {}
        return tuple(formats[t].nbytes(n) if t in formats
                     else min(b, tensor_bytes(n, dtype)) if dtype is not None and d in FLOATING else b
                     for t, n, b, d in zip(self.tensors, self.numel, self.nbytes, dtypes))

    def uplink_bytes(self, dtype: str | None = None, formats: dict | None = None) -> int:
        """Bytes sent uplink (:meth:`sent_bytes` summed)."""
        return sum(self.sent_bytes(dtype, formats))


@dataclass(frozen=True)
class SentFormat:
    """How one tensor crosses the link (``--cut-bits NAME=BITS``, ``--cut-density
    NAME=FRACTION,BYTES``): ``bits`` an element (a RAW10 pixel: 10; a 1-bit event bitmap: 1),
    or as its nonzeros (``density`` of its elements, ``nonzero_bytes`` each: an AER event's
    coordinates, polarity and time stamp): one of the two per tensor (:func:`parse_formats`
    refuses a tensor given both)."""

    bits: float | None = None
    density: float | None = None
    nonzero_bytes: float | None = None

    def nbytes(self, numel: int) -> int:
        """Bytes of ``numel`` elements as sent (whole bytes, rounded up; nonzeros rounded up)."""
        if self.density is not None:
            return int(math.ceil(math.ceil(numel * self.density) * self.nonzero_bytes))
        return int(math.ceil(numel * self.bits / 8))

    def label(self, name: str) -> str:
        if self.density is not None:
            return f"{name}: {self.density:g} dense x {self.nonzero_bytes:g} B a nonzero"
        return f"{name}: {self.bits:g} bits"


def refuse(workload) -> None:
    """A one-line WorkloadError for a workload that is not one inference: an LLM serving run
    (prefill and decode steps over a KV cache) or a training step (forward, backward and
    parameter update: its outputs are the updated parameters, its labels inputs)."""
    meta = workload.metadata if hasattr(workload.metadata, "get") else {}
    if meta.get("llm") is not None:
        raise WorkloadError(f"workload '{workload.name}' is an LLM serving run (prefill and decode "
                            "steps over a KV cache): it is not cut by op order; for a prefill node "
                            "and a decode node with the KV cache shipped between them, use cimsim run "
                            "CONFIG WORKLOAD --kv-link 'bandwidth=400Gb/s,latency=5us,energy_per_bit="
                            "10pJ/bit' (README: prefill/decode disaggregation); to study a split, "
                            "trace or generate one forward pass")
    backward = sum(1 for op in workload.ops if hasattr(op.tags, "get") and op.tags.get("part") == "backward")
    if meta.get("backward_ops") or meta.get("updated_parameters") or meta.get("optimizer_state") or backward:
        raise WorkloadError(f"workload '{workload.name}' is a training step (forward, backward and "
                            "parameter update): its outputs are updated parameters and its labels "
                            "inputs, not one inference to split; trace the model's forward in "
                            "eval mode to study a split")


def resident_state(workload) -> tuple[frozenset[str], frozenset[str]]:
    """``(inputs, outputs)``: the model inputs each side that reads them holds rather than
    receives: those the workload holds in memory across runs (a KV cache, a database:
    :func:`cimsim.workload.footprint.cache_roots`, and, built by hand or by a generator, one a
    matmul reads as its second operand: :func:`~cimsim.workload.footprint.kv_cache_mask`) and
    a trace's constants (:data:`CONSTANT`: a tensor the forward made, no argument); and the
    model outputs that are that state grown (a concatenation reading a cache, an op storing its
    rows: tag ``store_bytes``), kept where the cache is."""
    from ..workload.footprint import cache_roots, kv_cache_mask
    from ..workload.kinds import ROLE_INPUT

    c = workload.columns
    if c.n_ops == 0:
        return frozenset(), frozenset()
    names = c.tensor_names
    root = cache_roots(workload)
    traced = workload.metadata.get("capture") is not None
    ids = np.flatnonzero(c.tensor_role == ROLE_INPUT)
    held = ids[root[ids] == ids]
    if not traced and len(held):
        held = held[kv_cache_mask(workload)[held]]
    held_set = set(held.tolist())
    inputs = frozenset(names[t] for t in held_set)
    if traced:  # a tensor the forward made itself (torch.arange, a literal): no argument sent
        inputs |= {names[t] for t in ids.tolist() if CONSTANT.match(names[t])}
    grown: set[str] = set()
    ix = {name: i for i, name in enumerate(names.tolist())} if held_set else {}
    for op in workload.ops:
        store = bool(held_set) and hasattr(op.tags, "get") and op.tags.get("store_bytes") is not None
        cat = bool(held_set) and op.kind == "copy" and len(op.inputs) >= 2 and any(
            int(root[ix[t]]) in held_set for t in op.inputs)
        if store or cat:
            grown.update(op.outputs)
    return inputs, frozenset(grown)


def returned_names(workload) -> set[str]:
    from ..workload.returned import listed

    if listed(workload):
        return set(workload.metadata["outputs"])
    read = {t for op in workload.ops for t in op.inputs}
    return {name for name, t in workload.tensors.items() if t.role == "activation" and name not in read}


def _lowering(op) -> bool:
    """``op`` is a lowering copy (:data:`LOWERING_PARTS`)."""
    return op.kind == "copy" and hasattr(op.tags, "get") and op.tags.get("part") in LOWERING_PARTS


def cut_points(workload, after: tuple[str, ...] | list[str] = (), module_depth: int | None = None,
               single_tensor: bool = False, ends: bool = True, lowered: bool = False) -> list[Cut]:
    """Every cut of ``workload``'s op order (see the module's docstring), in order.

    ``after``: keep only cuts right after an op whose name matches one of these glob patterns
    (``blocks.*.relu*``, ``mean``); ``module_depth``: keep only cuts where the first
    ``module_depth`` dotted parts of the op tag ``module`` (or of the op name, where no tag) change
    (2: between ``blocks.0`` and ``blocks.1``); ``single_tensor``: keep only cuts with exactly one
    tensor crossing; ``lowered``: keep the cuts right after a lowering copy (an im2col matrix),
    left out by default; ``ends``: keep cut 0 (server only) and cut n (edge only) whatever the
    filters say."""
    if isinstance(after, str):
        after = (after,)
    if module_depth is not None and module_depth < 1:
        raise WorkloadError(f"module depth {module_depth}: give 1 or more (the dotted parts of an "
                            "op's module that name a boundary)")
    refuse(workload)
    ops = list(workload.ops)
    n = len(ops)
    tensors = workload.tensors
    producer: dict[str, int] = {}
    last_read: dict[str, int] = {}
    for i, op in enumerate(ops):
        for t in op.inputs:
            last_read[t] = i
        for t in op.outputs:
            producer.setdefault(t, i)
    resident, grown = resident_state(workload)
    returned = returned_names(workload) - grown
    unmatched = [p for p in after if not any(fnmatch.fnmatchcase(op.name, p) for op in ops)]
    if unmatched:
        raise WorkloadError(f"--after {unmatched[0]!r}: no op of workload '{workload.name}' has a "
                            f"name matching it (a glob over op names: "
                            f"its ops run from {ops[0].name!r} to {ops[-1].name!r})")

    def module(i: int) -> tuple[str, ...]:
        op = ops[i]
        name = op.tags.get("module") if hasattr(op.tags, "get") else None
        parts = str(name if name is not None else op.name).split(".")
        return tuple(parts[:module_depth])

    # what crosses cut k: held by the edge (made before k, or a model input not resident) and
    # read at k or after (one sweep over the order: a tensor joins at the cut after its
    # producer, leaves after its last reader)
    joins: dict[int, list[str]] = {}
    for t, last in last_read.items():
        made = producer.get(t, -1)
        role = tensors[t].role
        sent = made >= 0 or (role == "input" and t not in resident)
        if role != "weight" and sent and made < last:
            joins.setdefault(made + 1, []).append(t)
    live: dict[str, int] = {}
    cuts = []
    for k in range(n + 1):
        for t in joins.get(k, ()):
            live[t] = last_read[t]
        for t in [t for t, last in live.items() if last < k]:
            del live[t]
        end = k in (0, n)
        keep = True
        if 0 < k and after and not any(fnmatch.fnmatchcase(ops[k - 1].name, p) for p in after):
            keep = False
        if keep and not lowered and 0 < k < n and _lowering(ops[k - 1]):
            keep = False
        if keep and module_depth is not None and 0 < k < n and module(k - 1) == module(k):
            keep = False
        crossing = list(live)
        if keep and single_tensor and len(crossing) != 1:
            keep = False
        if not keep and not (ends and end):
            continue
        back = tuple(sorted(t for t in returned if producer.get(t, -1) >= k))
        mine = tuple(sorted(t for t in returned if 0 <= producer.get(t, -1) < k and t not in live))
        cuts.append(Cut(k, ops[k - 1].name if k else None, ops[k].name if k < n else None,
                        tuple(crossing), tuple(tensors[t].numel for t in crossing),
                        tuple(tensors[t].nbytes for t in crossing), back,
                        sum(tensors[t].nbytes for t in back),
                        tuple(tensors[t].dtype for t in crossing), mine,
                        sum(tensors[t].nbytes for t in mine), tuple(tensors[t].numel for t in mine),
                        tuple(tensors[t].dtype for t in mine)))
    return cuts


def cut_dtype_notes(cuts, dtype: str | None) -> list[str]:
    """What ``--cut-dtype`` did not re-type: the crossing tensors that are no floating-point
    activation (indices, masks: sent at their own dtype) and those already as narrow as
    ``dtype`` or narrower (never widened); one line each, naming a few."""
    if dtype is None:
        return []
    kept, narrow = {}, {}
    for cut in cuts:
        for name, n, b, d in zip(cut.tensors, cut.numel, cut.nbytes, cut.dtypes):
            if d not in FLOATING:
                kept.setdefault(name, d)
            elif tensor_bytes(n, dtype) > b:
                narrow.setdefault(name, d)
    notes = []
    for found, why in ((kept, f"not floating point, sent at their own dtype (--cut-dtype {dtype} "
                               "re-types floating-point activations only)"),
                       (narrow, f"narrower than {dtype}, sent at their own dtype (--cut-dtype "
                                "never widens a tensor)")):
        if found:
            shown = ", ".join(f"{t} ({d})" for t, d in list(found.items())[:3])
            more = f" and {len(found) - 3} more" if len(found) > 3 else ""
            notes.append(f"{len(found)} crossing tensor(s) {why}: {shown}{more}")
    return notes


def parse_formats(workload, bits=(), densities=()) -> dict[str, SentFormat]:
    """``{tensor: SentFormat}`` from ``--cut-bits NAME=BITS`` and ``--cut-density
    NAME=FRACTION,BYTES`` items (or a dict ``{name: bits}`` / ``{name: (fraction, bytes)}``); a
    one-line WorkloadError naming the option for an unknown tensor, a bad number, a name given
    twice."""
    from ..units import UnitError, parse_quantity

    out: dict[str, SentFormat] = {}
    items = [("--cut-bits", *kv) for kv in (bits.items() if isinstance(bits, dict) else
                                            (i.partition("=")[::2] for i in bits))]
    items += [("--cut-density", *kv) for kv in (densities.items() if isinstance(densities, dict) else
                                                (i.partition("=")[::2] for i in densities))]
    for option, name, value in items:
        name = str(name).strip()
        head = f"{option} {name}={value}"
        if name not in workload.tensors:
            raise WorkloadError(f"{head}: workload '{workload.name}' has no tensor {name!r} (give a "
                                "crossing tensor's name: the split table's -o column cut_tensor_names)")
        if name in out:
            raise WorkloadError(f"{head}: tensor {name!r} is given a format twice; give it once")
        try:
            if option == "--cut-bits":
                b = float(value)
                if not (math.isfinite(b) and b > 0):
                    raise ValueError
                out[name] = SentFormat(bits=b)
            else:
                frac, _, per = (value if isinstance(value, str) else ",".join(map(str, value))).partition(",")
                f = float(frac)
                if not per.strip():
                    raise WorkloadError(f"{head}: give the bytes of one nonzero after the fraction, "
                                        "e.g. 0.01,4B (an AER event: x, y, polarity, time in 4 B)")
                nb = parse_quantity(per.strip(), "B")
                if not (0 < f <= 1 and math.isfinite(nb) and nb > 0):
                    raise ValueError
                out[name] = SentFormat(density=f, nonzero_bytes=nb)
        except (ValueError, UnitError):
            raise WorkloadError(f"{head}: expected " + (
                "NAME=BITS, bits an element above 0 (a RAW10 pixel: 10)" if option == "--cut-bits" else
                "NAME=FRACTION,BYTES: a fraction of nonzeros in (0, 1] and the bytes of one "
                "(e.g. 0.01,4B)")) from None
    return out
