"""Writing weights into the arrays: the arithmetic of one programming, shared by the
re-programming a run pays (:mod:`.reprogram`, the ``write`` energy part and the op's time) and
the one-time programming before the run (deployment), which a run reports but does not charge.

Write model (``write_energy``, ``write_latency``, ``write_verify_pulses`` = P, default 1):

- energy of a matrix: every cell once, ``k x physical columns x write_energy x P``;
- time of a matrix: its arrays are written in parallel, row by row, ``rounds x min(k, rows) x
  write_latency x P`` (a matrix larger than all arrays in ``rounds``); copies of a matrix are
  more arrays of it, written with it;
- P pulses per cell: multi-level resistive cells are programmed by iterative
  program-and-verify (NeuRRAM: Wan et al., Nature 608, 504-512, 2022, its iterative
  write-verify programming), so each cell takes P write pulses and their time.

Deployment (the results' ``programming_energy_j`` and ``programming_time_s``): the matrices a
device holds before the run -- all of them, every copy, when they fit; the pinned ones of
:mod:`.reprogram` rule 2 otherwise (a matrix re-programmed during the run is charged there,
not here) -- each once, one matrix after another as re-programming writes them, with
re-programming's arithmetic for bringing the weights in (the CIM's ``cost``):

- bytes of a matrix: ``k x n x b / 8`` (:func:`weight_bytes`), ``b`` the CIM's ``weight_bits``,
  or fewer where the workload stores the weight narrower (int4: 4, int2: 2: the backing store
  holds what the footprint holds, the host widening it to the cells' bits after the read; a
  wider stored weight, fp16 on 8-bit cells, is read at ``weight_bits``, quantised once into a
  copy at the cells' bits: :func:`stored_bits`; before 2026-12-07 always ``weight_bits``, so
  BitNet-2B's int4 weights on sram-cim read 2.41 GB a pass where the store holds 1.206 GB,
  find-H 3), read from the backing store and carried over the CIM's ``link``; copies of a
  matrix are written from the same bytes (they cross once);
- energy: the cells' writes + those bytes x (the backing store's + the link's energy per byte,
  as a run charges them);
- time: the bytes stream at the slower of the link's and the backing store's rate; a matrix is
  written once its bytes have arrived and the matrix before it is written (the link carries the
  next matrix meanwhile: :func:`stream_time`), after the link's and the backing store's latency
  once (before 2026-12-06 the figure counted the cell writes alone: the four int8 LSTM matrices
  of 67.1 MB on sram-cim read 2.548 us and 26.84 uJ, where re-programming the same matrices
  during a run costs the 2.1 ms and 10.7 mJ of bringing them over the 32 GB/s link);

the devices of pipeline stages program at once (the time is the slowest device's). Not added
to the run's energy or latency: amortise it over the runs (each ``samples_per_run`` samples)
between programmings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...dtypes import DTYPE_BYTES
from ...units import si
from .wbits import op_weight_bits


def write_energy(c, k, phys_cols):
    """Energy to program a k-row matrix on ``phys_cols`` physical columns once (J)."""
    return k * phys_cols * c.write_energy * c.write_verify_pulses


def write_time(c, k, rounds=1.0):
    """Time to program a k-row matrix's arrays, in parallel, row by row, ``rounds`` times (s)."""
    return rounds * np.minimum(k, c.rows) * c.write_latency * c.write_verify_pulses


def weight_bytes(c, k, n, bits=None):
    """Bytes of a k x n weight matrix brought in to program it (re-programming's and
    deployment's): ``bits`` per weight (:func:`stored_bits`, aligned with ``k``), ``weight_bits``
    where None."""
    return k * n * (c.weight_bits if bits is None else bits) / 8.0


def stored_bits(c, ops, idx) -> np.ndarray:
    """Per op of ``idx``: the bits each weight of its matrix is read from the backing store at,
    ``min(weight_bits, weight_value_bits tag, the stationary weight's stored bits)`` (the tag:
    :func:`.wbits.op_weight_bits`, the bits the matrix is stored at; a weight stored at int4 is read
    as 0.5 B, as the footprint holds it, and widened by the host; one stored wider than the
    cells is read from a copy quantised to ``weight_bits`` once); ``weight_bits`` where the op
    has no stationary weight or the tensors' dtypes are not known."""
    # the bits the matrix is held at (a tagged layer's, :mod:`.wbits`): a flat pool's deployment,
    # a chip's and every re-programming alike (review DH 1, 2)
    bits = np.broadcast_to(np.asarray(op_weight_bits(c, ops, idx), dtype=float), (len(idx),)).copy()
    dt = getattr(ops, "tensor_dtype", None)
    if dt is None or not len(idx):
        return bits
    st = np.asarray(ops.stationary)[idx]
    has = st >= 0
    names = np.asarray(dt)[st[has]]
    elem = np.full(len(names), np.inf)
    for d in np.unique(names):  # a handful of dtypes
        elem[names == d] = 8.0 * DTYPE_BYTES.get(str(d), np.inf)
    bits[has] = np.minimum(bits[has], elem)
    return bits


def stream_time(xfer_s, write_s) -> float:
    """Time to bring in and write matrices in order: matrix m's bytes take ``xfer_s[m]`` on the
    link, one after another; its writes take ``write_s[m]`` once its bytes have arrived and
    matrix m - 1 is written. The last write ends at ``W_M + max_j (X_j - W_(j-1))`` (X, W the
    running sums of the transfers and writes)."""
    x, w = np.asarray(xfer_s, dtype=np.float64), np.asarray(write_s, dtype=np.float64)
    if not len(x):
        return 0.0
    cw = np.cumsum(w)
    return float(cw[-1] + np.max(np.cumsum(x) - (cw - w)))


@dataclass(frozen=True)
class Deployment:
    """Programming, before the run, the matrices a component holds (the :class:`Plan`'s
    ``programming``): the cells' write energy, the weight bytes brought in and their energy,
    and per device (pipeline stages) each matrix's write time and bytes, in program order. The
    time needs the rates, which only the stages know (:meth:`time_s`)."""

    write_j: float
    bytes: float
    move_j: float
    devices: tuple  # per device: (write times s, bytes), arrays over its matrices
    link: str
    store: str
    latency_s: float
    #: the cells lose the weights at power-off or power gating (``technology: sram``): every
    #: power-up pays this programming again; resistive cells (rram: RRAM, FeFET, PCM, STT-MRAM)
    #: keep them, programmed once at deployment
    volatile: bool = True

    @property
    def energy_j(self) -> float:
        """Cell writes + the weights read from the backing store and carried over the link (J)."""
        return self.write_j + self.move_j

    def time_s(self, rates) -> float:
        """The slowest device's time (s), ``rates`` the sustained B/s by resource name."""
        rate = min(rates[self.link], rates[self.store])
        return max((self.latency_s + stream_time(b / rate, w) for w, b in self.devices
                    if len(w)), default=0.0)


def deployment(comp, k, n, phys_cols, first_ops, copies, more=None, bits=None) -> Deployment:
    """:class:`Deployment` of one device of ``comp`` programming, before the run, the matrices
    whose first ops are ``first_ops`` (indices into ``k``, ``n``, ``phys_cols`` and ``bits``,
    :func:`stored_bits`), ``copies`` of each (an array or a scalar), then ``more`` = ``(cells,
    write times, bytes)`` of other matrices (or None)."""
    c, hw = comp.config, comp.hw
    first_ops = np.asarray(first_ops, dtype=np.int64)
    kk, pc = np.asarray(k, dtype=np.float64)[first_ops], np.asarray(phys_cols)[first_ops]
    write_j = float((write_energy(c, kk, pc) * copies).sum())
    w, b = write_time(c, kk), weight_bytes(c, kk, np.asarray(n, dtype=np.float64)[first_ops],
                                           None if bits is None else np.asarray(bits)[first_ops])
    if more is not None:
        write_j += float(write_energy(c, more[0], 1.0))
        w, b = np.concatenate([w, more[1]]), np.concatenate([b, more[2]])
    link, store = comp.link, hw.backing_store
    per_byte = move_j_per_byte(comp)
    return Deployment(write_j, float(b.sum()), float(b.sum()) * per_byte, ((w, b),), link, store,
                      hw.latency_of(link) + hw.latency_of(store), c.technology == "sram")


def move_j_per_byte(comp) -> float:
    """Energy of one weight byte brought in to program it (J/B): read from the backing store
    and carried over the CIM's link."""
    hw = comp.hw
    return hw.resource(comp.link).joules_per_byte() + hw.resource(hw.backing_store).joules_per_byte()


#: the op columns of :func:`per_matrix` (``<component>_<column>`` in the op table)
PER_MATRIX = ("program_energy_j", "program_write_s", "program_weight_bits")


def per_matrix(comp, k, n, phys_cols, first_ops, n_rounds, copies=1.0, bits=None) -> dict[str, np.ndarray]:
    """Op columns of one programming of each matrix (an adapter switch's cost, find-L 4), on
    the matrix's first op (``first_ops``: positions into the component's ops), 0 on its other
    ops, so that summing a column over the ops of a set of matrices gives the cost of writing
    that set once, as held: ``program_energy_j`` the cells' writes of every copy held
    (:func:`write_energy` x ``copies``, one per matrix or an array over them: the copies the
    weight replication holds, 1 where the matrix is re-programmed) + the weight bytes, once,
    read from the backing store and carried over the link (J, as deployment and
    re-programming charge them); ``program_write_s`` the cells' write time (:func:`write_time`,
    in the op's ``rounds``; the copies are written in parallel with it); ``program_weight_bits``
    the bits of those weights (8 x :func:`weight_bytes`, an integer count; not ``_bytes``, which
    the op table reads as bytes the op moves), which take ``bits / 8 / min(link, backing store
    rate)`` s more, plus their latencies, to arrive. Before 2026-12-06 (mend) the energy counted
    one copy, so on rram-cim (16 copies a matrix) a rank-8 adapter matrix's switch read 388.6
    nJ where writing its copies costs 1.127 uJ."""
    c = comp.config
    at = np.asarray(first_ops, dtype=np.int64)
    kk, nn = np.asarray(k, dtype=np.float64)[at], np.asarray(n, dtype=np.float64)[at]
    b = weight_bytes(c, kk, nn, None if bits is None else np.asarray(bits)[at])
    vals = (write_energy(c, kk, np.asarray(phys_cols)[at]) * copies + b * move_j_per_byte(comp),
            write_time(c, kk, np.asarray(n_rounds, dtype=np.float64)[at]), 8.0 * b)
    out = {}
    for col, v in zip(PER_MATRIX, vals):
        out[col] = np.zeros(len(k), dtype=np.int64 if col.endswith("_bits") else np.float64)
        out[col][at] = v
    return out


def devices(each: list) -> Deployment | None:
    """The :class:`Deployment` of devices that program at once (pipeline stages), or None."""
    if not each:
        return None
    d = each[0]
    return Deployment(sum(e.write_j for e in each), sum(e.bytes for e in each),
                      sum(e.move_j for e in each), tuple(x for e in each for x in e.devices),
                      d.link, d.store, d.latency_s, any(e.volatile for e in each))


def deployed_text(d: Deployment) -> str:
    """The notes' words for a deployment ``d`` (the results' ``programming_energy_j`` and
    ``programming_time_s``), which the run does not charge."""
    return (f"programmed once before the run ({si(d.energy_j, 'J')}: the cells' writes "
            f"{si(d.write_j, 'J')} and {si(d.bytes, 'B')} of weights read from {d.store} and "
            f"carried over {d.link}; not charged: programming_energy_j, programming_time_s)")
