"""``aten._grouped_mm``: a mixture of experts' matmuls, one per expert over its own tokens.

transformers 5 runs a MoE layer's experts (Mixtral, Qwen-MoE, DeepSeek, gpt-oss) as
``torch._grouped_mm(x, W, offs=offs)``: ``x`` (S x K) holds the S routed token rows sorted by
expert, ``W`` (G x K x N) the G experts' weights (often a transposed view of one stacked
parameter), ``offs`` (G) the cumulative row count at the end of each expert's group; the
output is S x N. Group ``g`` is the ordinary matmul ``x[offs[g-1]:offs[g]] @ W[g]``, so it
lowers to one matmul op per expert that received tokens, reading that expert's weight slice
only: an expert no token chose reads nothing, as on the hardware. Expert ``g``'s slice is
the weight ``NAME[g]`` (its expert id, whichever experts got tokens); the slices of experts
no token chose are recorded (:func:`.unread.unrouted`): they are parameters this forward
never reads, which a weight-stationary chip still holds. Which rows go where depends
on the router's values, so a model of fake tensors (shapes only) cannot be lowered: one line
says so.

Other layouts of ``_grouped_mm`` (3-D x 3-D batches, 2-D x 2-D groups along K) are refused by
name rather than guessed.
"""

from __future__ import annotations

from ...errors import WorkloadError
from .computed import note as note_computed
from .registry import Call, lowers
from .stats import add as add_stats
from .storage import read_key
from .unread import unrouted


def _argument(low, c: Call, name: str, index: int):
    """The op's argument ``name`` (position ``index`` in its schema), positional or keyword."""
    if len(c.args) > index:
        return c.args[index]
    return low.ev.kwargs.get(name)


@lowers("_grouped_mm")
def grouped_mm(low, c: Call) -> None:
    a, b = c.args[:2]
    offs = _argument(low, c, "offs", 2)
    bias = _argument(low, c, "bias", 3)
    where = f"aten._grouped_mm (module '{low.ev.module}')"
    if a.dim() != 2 or b.dim() != 3 or offs is None or bias is not None:
        raise WorkloadError(
            f"{where}: only the mixture-of-experts layout is modelled (rows S x K by G weights "
            f"G x K x N with offs, no bias); got {tuple(a.shape)} by {tuple(b.shape)}"
            f"{'' if offs is not None else ' without offs'}{' with a bias' if bias is not None else ''}")
    try:
        ends = [int(v) for v in offs.tolist()]
    except Exception:  # noqa: BLE001  (a fake tensor has no values: torch raises its own kinds)
        raise WorkloadError(
            f"{where}: the rows each expert takes (offs) are values the router computes, which a "
            "model of fake tensors does not have; trace a mixture of experts with real weights "
            "(cimsim trace --zoo NAME --real-weights, small --param sizes; or a factory)") from None
    G, K, N = (int(s) for s in b.shape)
    if len(ends) != G or any(e1 < e0 for e0, e1 in zip([0, *ends], ends)) or (ends and ends[-1] > a.shape[0]):
        raise WorkloadError(f"{where}: offs {ends} are not {G} non-decreasing row ends within "
                            f"the {a.shape[0]} rows")
    out = low.ev.out
    start, used = 0, []
    for g, end in enumerate(ends):
        if end == start:
            continue
        used.append(g)
        x, w, y = a[start:end], b[g], out[start:end]
        pa, pb = low.read(x), low.read(w)
        weight = low._is_weight(pb)
        tags = {"aten": c.base, "expert": g}
        if weight:
            v = low.st.versions[pb[0][0]]
            if pb[0][1] is not None:  # a slice of the stacked experts: named by its expert id
                v.labels[read_key(pb[0][1])] = g
            tags["weight_name"] = f"{v.name}[{g}]" if pb[0][1] is not None else v.name
            add_stats(low, tags, "matmul_stats", x, w, K, False)
        pid = low._matmul(c.base, pa, pb, 1, end - start, K, N, weight, y, None, tags,
                          shapes=[tuple(x.shape), tuple(w.shape)])
        if not weight and pa and pb and pid is not None:  # an expert computed each forward: said
            note_computed(low, pid, (pb,))
        start = end
    unrouted(low, b, used, ends[-1] if ends else 0)
