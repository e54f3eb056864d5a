"""What a run says about transposed convolutions whose partial sums cross a link, for the
result's notes.

The tracer lowers a transposed convolution to a matmul of ``C_out/groups x kernel`` partial
sums per input position and a ``col2im`` op (tag ``part: col2im``) that adds the overlapping
windows into the output (``trace/convs.py``). When the matmul runs on a component behind a link
(a CIM chip, a TPU) and the col2im on another one (the host), every partial sum crosses the
link: kernel elements / stride elements times the output, k/s per dimension (k/s = 2 for a
kernel-16, stride-8 ``ConvTranspose1d``; (k/s)² = 4 for a 4 x 4, stride-2 ``ConvTranspose2d``;
(k/s)³ for a cubic 3-D one). :func:`col2im_note` says how many such convolutions, their bytes and the
output's (an int8 workload's at a 32-bit accumulator's width too), and that the footprint holds
none of them (:mod:`cimsim.workload.livespans`).
"""

from __future__ import annotations

from ..units import si


def col2im_note(workload, pl) -> list[str]:
    """One note when transposed convolutions' partial sums (the col2im op's input, made by a
    component with a link) go to a col2im sum on another component."""
    part = workload.columns.tags.columns.get("part")  # no op tagged col2im: nothing to scan
    if part is None or part[0] != "json" or "col2im" not in part[2]:
        return []
    names = workload.columns.op_names.tolist()
    cand = [i for i, nm in enumerate(names) if nm.rpartition(".")[2].split("#")[0] == "col2im"]
    if not cand:
        return []
    indptr, indices = workload.predecessors
    ops, tensors = workload.ops, workload.tensors
    n, sums, outs, links, narrow = 0, 0.0, 0.0, set(), 0.0
    for i in cand:
        op = ops[i]
        if op.tags.get("part") != "col2im":
            continue
        made = {t for p in indices[indptr[i]:indptr[i + 1]] for t in ops[int(p)].outputs}
        for p in indices[indptr[i]:indptr[i + 1]]:
            comp = pl.components[int(pl.component[int(p)])]
            link = getattr(comp, "link", None)
            if not link or pl.component[int(p)] == pl.component[i]:
                continue
            n += 1
            sums += sum(tensors[t].nbytes for t in op.inputs if t in made)
            # int8 products sum to a 32-bit accumulator: 4 B a partial sum where 1 B is counted
            narrow += sum(tensors[t].numel * 4 for t in op.inputs if t in made
                          and tensors[t].dtype == "int8")
            outs += sum(tensors[t].nbytes for t in op.outputs)
            links.add(f"{comp.name} over link '{link}'")
            break
    if not n or sums <= outs:  # no more than the outputs (stride = kernel): nothing to say
        return []
    return [f"{n:,} transposed convolution(s) send their partial sums from {', '.join(sorted(links))} "
            f"to a col2im sum on another unit: {si(sums, 'B')}, {sums / outs:.1f}x the "
            f"{si(outs, 'B')} of their outputs (kernel / stride elements per output element: k/s per "
            f"dimension, so k/s for a 1-D conv, k²/s² for a square 2-D one, k³/s³ for a cubic "
            f"3-D one; the tracer lowers a transposed convolution to a matmul per input position, then col2im)"
            + (f"; int8 partial sums are counted at 1 B each, where a kernel's 32-bit accumulators "
               f"would send {si(narrow, 'B')} (4x; the link traffic counts 1 B)" if narrow else "")
            + "; they are summed as they arrive, so the footprint holds none of them"]

