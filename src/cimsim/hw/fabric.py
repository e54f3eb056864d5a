"""Spatial mapping of a matmul over a processor's cores with a split K (find-C1 1).

A wafer-scale or SRAM-dataflow machine (Cerebras WSE, Graphcore IPU, Groq LPU) spreads one
matmul's K x N weight over a region of cores: with ``processor.gemm_tile: [tm, tn, tk]`` each
core holds a ``tk``-deep block, so an output tile is summed from ``parts = ceil(k / tk)``
partial sums on ``parts`` cores, which ``processor.fabric`` reduces over a named link:

- hops (serial, each paying the link's ``latency``, read as one hop's):
  ``mesh`` (a 2D mesh without wraparound): the parts sit on the smallest ``a x b >= parts``
  rectangle, ``a = ceil(sqrt(parts))``, ``b = ceil(parts / a)`` (the least ``a + b``), reduced
  along its rows, then down one column to a corner root: ``(a - 1) + (b - 1)`` hops, an upper
  bound (a root in the middle, over full-duplex links, would need about half; review W 2);
  ``tree``: a binary reduction tree, ``ceil(log2(parts))`` one-hop steps: a fabric where any two
  cores are one hop apart (a switch, an IPU exchange), not a mesh, where a tree's steps span
  1, 1, 2, 2, 4, ... links and cannot beat the mesh's row-column chain (review W 3);
- bytes over the link: every partial sum but the one kept crosses one hop once (each core adds
  what it receives to its own before passing it on), ``(parts - 1) x`` the op's output bytes,
  at the output's dtype; the engine charges them to the link (its bandwidth, shared; its
  ``energy_per_bit``; its traffic and utilization columns);
- the adds: ``(parts - 1) x`` output elements vector ops on the processor.

``parts = 1`` (``k <= tk``) or no third entry: no reduction, nothing crosses the link.

With ``multicast: true`` (find-C4 1; default false) each matmul's input is also delivered to
the cores of its tiles over the same link before they compute:

- hops: the ``region = min(tiles, cores)`` cores its tiles occupy, on the same rule as the
  reduction (``mesh``: the smallest ``a x b >= region`` rectangle, ``(a - 1) + (b - 1)`` hops
  from a corner source to the far corner; ``tree``: ``ceil(log2(region))``), each at the link's
  latency, serial before the MACs (one tile: 0);
- bytes: a multicast tree, not the input x hops: every tile's core needs its own
  ``min(tm, m) x min(tk, k)`` block of the input and receives it once over the one tree link
  into it (a router forwards and copies, so a byte crosses each tree link once); the input
  enters at one core, whose block crosses nothing: ``rows x k x ceil(n / tn)`` input elements
  (each of the ``ceil(n / tn)`` column tiles needs the whole K of its rows) x ``(tiles - 1) /
  tiles``, at the matmul's dtype. Input x hops would count one chain to the far corner and miss
  the fan-out to the other cores (and count the input's unused K slices on every hop). This is
  a lower bound, the best layout's (review C4 4): a tree link into a subtree carries the union
  of the blocks that subtree needs, not only its receiving core's, and the links out of the
  source carry every distinct K slice (the example GEMV's 32 slices of 128 B, 4 kB, where one
  128 B block is counted); it is exact only when the cores of one K slice sit contiguous.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from ..dtypes import DTYPE_BYTES
from .base import Strict

TOPOLOGIES = ("mesh", "tree")


class Fabric(Strict):
    """``processor.fabric``: the link a split-K matmul's partial sums are reduced over."""

    link: str = Field(description="Name of the link (a `links:` entry) the partial sums cross; its "
                      "latency is read as one hop's, its bandwidth as the whole fabric's (shared by "
                      "every reduction in flight), its energy_per_bit per bit per hop.")
    topology: Literal["mesh", "tree"] = Field(
        default="mesh", description="How the ceil(k / tk) partial sums of an output tile are "
        "reduced: mesh (a 2D mesh without wraparound: the parts on the smallest a x b rectangle, "
        "a = ceil(sqrt(parts)), b = ceil(parts / a), reduced along rows then down a column to a "
        "corner root, (a - 1) + (b - 1) hops, an upper bound) or tree (a binary tree, "
        "ceil(log2(parts)) one-hop steps: only for a fabric where any two cores are one hop apart, "
        "a switch or an IPU exchange, not a mesh). Default mesh.")
    multicast: bool = Field(
        default=False, description="Also deliver each matmul's input to its tiles' cores over "
        "the link (find-C4 1): hops on the same rule as the reduction over the min(tiles, cores) "
        "cores the op occupies (mesh: the smallest a x b rectangle, (a - 1) + (b - 1)), each at "
        "the link's latency, added to the op's latency; bytes of a multicast tree, each core's "
        "input block once, a lower bound (the best layout: a link into a subtree carries all the "
        "blocks its cores need): rows x k x ceil(n / tile n) input elements x (tiles - 1) / tiles, on "
        "the link's bandwidth, energy and traffic. Default false: the input reaches the cores "
        "for free (only the partial sums cross the link).")


def k_parts(k: np.ndarray, tk: int) -> np.ndarray:
    """Partial sums of one output tile: ``ceil(k / tk)`` (at least 1)."""
    return np.maximum(np.ceil(np.asarray(k, dtype=np.float64) / tk), 1.0)


def reduction_hops(parts: np.ndarray, topology: str) -> np.ndarray:
    """Serial hops of the reduction of ``parts`` partial sums (0 for one part)."""
    p = np.maximum(np.asarray(parts, dtype=np.float64), 1.0)
    if topology == "mesh":
        a = np.ceil(np.sqrt(p) - 1e-9)  # the smallest a x b >= p rectangle (review W 2)
        return (a - 1.0) + (np.ceil(p / a - 1e-9) - 1.0)
    if topology == "tree":
        return np.ceil(np.log2(p) - 1e-12)
    raise ValueError(f"topology {topology!r} is not one of {TOPOLOGIES}")


def reduction(ops, idx, tk: int, topology: str, matmul: np.ndarray):
    """``(hops, link bytes, adds)`` per op of ``idx`` (0 where ``matmul`` is False)."""
    parts = np.where(matmul, k_parts(ops.k[idx], tk), 1.0)
    extra = parts - 1.0
    hops = np.where(extra > 0, reduction_hops(parts, topology), 0.0)
    out_bytes = extra * ops.act_out_bytes[idx]
    adds = extra * ops.rows[idx] * ops.n[idx]
    return hops, out_bytes, adds


def multicast(ops, idx, tile, cores: int, topology: str, matmul: np.ndarray):
    """``(hops, link bytes)`` of each matmul's input multicast to its tiles' cores (find-C4 1;
    0 where ``matmul`` is False or the op is one tile): see the module docstring. Paid once per
    op whatever its waves (tiles > cores: later waves' blocks taken as arriving behind the wave
    before's compute; review C4 6)."""
    tm, tn, tk = tile
    batch = np.maximum(ops.batch[idx], 1.0)
    rows, n = ops.rows[idx], ops.n[idx]
    cols = np.ceil(n / tn)
    tiles = batch * np.ceil(rows / batch / tm) * cols * k_parts(ops.k[idx], tk)
    many = matmul & (tiles > 1)
    hops = np.where(many, reduction_hops(np.minimum(np.maximum(tiles, 1.0), cores), topology), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(many, (tiles - 1.0) / tiles, 0.0)
    elem = np.array([DTYPE_BYTES[d] for d in ops.dtype[idx]], dtype=np.float64)
    nbytes = rows * ops.k[idx] * cols * elem * share
    return hops, np.where(many, nbytes, 0.0)


def tile_fit_notes(name: str, ops, idx, tile, cores: int, level: str, capacity: float) -> list[str]:
    """find-C4 4: on a machine with ``processor.fabric`` (a wafer, an IPU, an LPU: each core holds
    its tiles' weight blocks in its own SRAM), a note when one tile's weight block,
    ``min(tk, k) x min(tn, n)`` weight elements, exceeds the per-core share of ``level`` (the
    innermost on-chip level the processor reads through), ``capacity / cores``; and one when the
    weights' blocks together, ``ceil(n / tn) x ceil(k / tk)`` blocks of each distinct weight,
    exceed ``capacity``: the weights cannot all stay stationary. Neither changes a number."""
    from ..units import capacity_text, si
    sel = np.asarray(idx)[(ops.stationary[idx] >= 0) & (ops.macs[idx] > 0)]
    if not len(sel):
        return []
    tm, tn, tk = tile
    k, n = ops.k[sel], ops.n[sel]
    elem = ops.tensor_bytes[ops.stationary[sel]] / np.maximum(k * n, 1.0)  # a weight's bytes an element
    block = np.minimum(tk, k) * np.minimum(tn, n) * elem
    share = capacity / cores
    notes = []
    big = block > share * (1 + 1e-12)
    if big.any():
        worst = int(np.argmax(block))
        heavy = len(np.unique(ops.stationary[sel][big]))  # distinct weights, not op instances (review C4 5)
        notes.append(
            f"processor '{name}': gemm_tile [{tm}, {tn}, {tk}] gives {heavy:,} weight(s) a weight "
            f"block larger than one core's share of {level} ({capacity_text(capacity)} / {cores:,} cores "
            f"= {si(share, 'B')}): the largest {int(min(tk, k[worst])):,} x {int(min(tn, n[worst])):,} "
            f"x {elem[worst]:g} B = {si(block[worst], 'B')}, {block[worst] / share:.3g}x it. Each core "
            f"is timed as if it held its block; a tile with tk x tn x bytes <= {si(share, 'B')} fits "
            "(README 'Spatial mapping: split K over a fabric')")
    ids, first = np.unique(ops.stationary[sel], return_index=True)
    blocks = np.ceil(n[first] / tn) * np.ceil(k[first] / tk) * block[first]
    if blocks.sum() > capacity * (1 + 1e-12):
        notes.append(
            f"processor '{name}': the weight blocks of gemm_tile [{tm}, {tn}, {tk}] total "
            f"{si(blocks.sum(), 'B')} ({len(ids):,} weight(s), ceil(n / tn) x ceil(k / tk) blocks "
            f"each, a partial block padded to a full one), above {level}'s {capacity_text(capacity)}: "
            "the weights cannot all stay stationary on the cores; reloading them is not modelled "
            "(README 'Spatial mapping: split K over a fabric')")
    return notes
