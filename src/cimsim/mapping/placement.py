"""Placement: which unit runs each op, where each weight lives, what is re-programmed.

Rules, in order:

1. A matmul with a stationary weight goes to the CIM arrays when the
   architecture has them. Its weight matrix (k x n) needs
   ``ceil(k / rows) * ceil(n * weight_bits / bits_per_cell / cols)`` arrays.
   If all CIM weights of the workload fit, they are programmed once before the
   run (deployment, not charged to the inference). If they do not, arrays are
   managed as an LRU cache of weight matrices in program order: a matmul whose
   matrix is not resident re-programs its arrays (write latency and energy,
   weights read from DRAM) and the report says how often. A matrix larger than
   all arrays runs in rounds, re-programming every round. With
   ``cim.weight_replication`` and every matrix fitting, each matrix is copied
   ``floor(arrays / arrays needed)`` times and an op's activation rows are
   spread over the copies.
2. Otherwise a GEMV-shaped matmul with a stationary weight (activation rows
   ``batch * m <= pim.max_rows``) goes to the near-bank PIM units.
3. Everything else runs on the host processor. The processor keeps the weights
   it uses in on-chip SRAM when they all fit (only the first use of each weight
   reads DRAM); otherwise every use streams the weight from DRAM. An op's
   activations stay on chip when its inputs and outputs fit in the SRAM;
   otherwise they go through DRAM.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from ..config import Architecture
from ..errors import MappingError
from ..workload.arrays import KIND_CODES, dtype_bytes_of  # noqa: F401  (KIND_CODES re-exported)
from ..workload.ir import Workload

UNIT_PROCESSOR = 0
UNIT_CIM = 1
UNIT_PIM = 2
UNIT_NAMES = ("processor", "cim", "pim")


@dataclass
class Placement:
    """Per-op arrays describing where and how each op runs (plain data, no behaviour).

    All arrays have one entry per op, in workload order. Byte counts are bytes,
    counts are plain numbers.
    """

    unit: np.ndarray  # int64, UNIT_*
    kind: np.ndarray  # int64, KIND_CODES
    dtype_bytes: np.ndarray  # int64
    macs: np.ndarray  # float64
    vector_ops: np.ndarray  # float64
    rows: np.ndarray  # float64, activation rows (batch * m) of a matmul
    k: np.ndarray  # float64
    n: np.ndarray  # float64
    weight_bytes: np.ndarray  # float64, bytes of weight operands read by the op
    act_in_bytes: np.ndarray  # float64
    act_out_bytes: np.ndarray  # float64
    weight_from_dram: np.ndarray  # bool, the op's weight bytes come from DRAM
    act_via_dram: np.ndarray  # bool, the op's activations spill to DRAM
    cim_group: np.ndarray  # int64, index of the op's weight matrix in the CIM (-1 if none)
    cim_arrays: np.ndarray  # float64, arrays holding the op's matrix (0 if not CIM)
    cim_row_tiles: np.ndarray  # float64
    cim_col_tiles: np.ndarray  # float64
    cim_phys_cols: np.ndarray  # float64, bit-line columns holding the matrix
    cim_rounds: np.ndarray  # float64, passes when the matrix exceeds all arrays (>= 1)
    cim_replicas: np.ndarray  # float64, copies of the matrix working on the op's rows (>= 1)
    cim_reprogram: np.ndarray  # bool, the op (re)programs its arrays before running
    #: bool: the op's transfers must finish before its compute starts (a CIM op of
    #: one matrix-vector slot: its single input vector must arrive first); other
    #: ops overlap compute with transfers (rows stream in while earlier rows compute)
    serial: np.ndarray
    weights_on_chip: bool = False
    cim_arrays_needed: int = 0  # arrays to hold every CIM weight at once
    cim_groups: int = 0  # distinct CIM weight matrices
    #: the CIM weights do not all fit: matrices share (and re-program) the same
    #: arrays, so CIM ops run one at a time instead of one server per matrix
    cim_shared: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def n_ops(self) -> int:
        return int(self.unit.shape[0])

    @property
    def cim_reprograms(self) -> int:
        return int(self.cim_reprogram.sum())


def cim_arrays_for(k: int, n: int, arch: Architecture) -> tuple[int, int, int]:
    """Row tiles, column tiles and physical columns of a k x n weight on the CIM arrays."""
    cim = arch.cim
    assert cim is not None
    phys_cols = math.ceil(n * cim.weight_bits / cim.bits_per_cell)
    return math.ceil(k / cim.rows), math.ceil(phys_cols / cim.cols), phys_cols


def place(workload: Workload, arch: Architecture) -> Placement:
    """Place every op of ``workload`` on a unit of ``arch`` (vectorised over ops)."""
    footprint = workload.weight_bytes + workload.activation_bytes
    if footprint > arch.memory.capacity:
        raise MappingError(
            f"workload '{workload.name}' needs {footprint / 1e9:.4g} GB for its weights and "
            f"activations but architecture '{arch.name}' has memory.capacity "
            f"{arch.memory.capacity / 1e9:.4g} GB"
        )
    a = workload.arrays
    n_ops = len(workload.ops)
    has_weight = a.stationary >= 0
    unit = np.full(n_ops, UNIT_PROCESSOR, dtype=np.int64)
    if arch.cim is not None:
        unit[has_weight] = UNIT_CIM
    elif arch.pim is not None:
        unit[has_weight & (a.rows <= arch.pim.max_rows)] = UNIT_PIM
    p = Placement(
        unit=unit,
        kind=a.kind,
        dtype_bytes=dtype_bytes_of(a.dtype),
        macs=a.macs, vector_ops=a.vector_ops, rows=a.rows, k=a.k, n=a.n,
        weight_bytes=a.weight_bytes, act_in_bytes=a.act_in_bytes.copy(), act_out_bytes=a.act_out_bytes,
        weight_from_dram=np.zeros(n_ops, dtype=bool),
        act_via_dram=np.zeros(n_ops, dtype=bool),
        cim_group=np.full(n_ops, -1, dtype=np.int64),
        cim_arrays=np.zeros(n_ops), cim_row_tiles=np.zeros(n_ops), cim_col_tiles=np.zeros(n_ops),
        cim_phys_cols=np.zeros(n_ops), cim_rounds=np.ones(n_ops), cim_replicas=np.ones(n_ops),
        cim_reprogram=np.zeros(n_ops, dtype=bool),
        serial=np.zeros(n_ops, dtype=bool),
    )
    proc = unit == UNIT_PROCESSOR
    for dt in np.unique(a.dtype[proc]):
        try:
            arch.processor.peak_macs_per_s(str(dt))
            arch.processor.mac_energy(str(dt))
        except KeyError as exc:
            raise MappingError(f"architecture '{arch.name}': {exc.args[0]}") from None
    _place_processor_memory(a, arch, p)
    if arch.cim is not None and (unit == UNIT_CIM).any():
        _place_cim_arrays(a, arch, p)
        cim = unit == UNIT_CIM
        p.serial[:] = cim & (np.ceil(p.rows / p.cim_replicas) <= 1)
    return p


def _place_processor_memory(a, arch: Architecture, p: Placement) -> None:
    proc = p.unit == UNIT_PROCESSOR
    sram = arch.processor.sram.capacity
    # (op, weight) pairs of processor ops, in op order
    op_of_pair = np.repeat(np.arange(len(proc)), np.diff(a.weight_ptr))
    sel = proc[op_of_pair]
    pair_op, pair_w = op_of_pair[sel], a.weight_ids[sel]
    used, first = np.unique(pair_w, return_index=True)
    proc_weight_bytes = float(a.tensor_bytes[used].sum())
    p.weights_on_chip = proc_weight_bytes <= sram
    has_w = np.zeros(len(proc), dtype=bool)
    has_w[pair_op] = True
    if p.weights_on_chip:
        p.weight_from_dram[pair_op[first]] = True  # first use of each weight reads DRAM
    else:
        p.weight_from_dram[:] = has_w
    p.act_via_dram[:] = proc & (p.act_in_bytes + p.act_out_bytes > sram)
    if proc_weight_bytes:
        where = "on-chip SRAM (first use reads DRAM)" if p.weights_on_chip else "DRAM, streamed at every use"
        p.notes.append(
            f"processor weights: {proc_weight_bytes / 1e6:.3f} MB vs {sram / 1e6:.3f} MB SRAM -> {where}"
        )


def _place_cim_arrays(a, arch: Architecture, p: Placement) -> None:
    cim = arch.cim
    assert cim is not None
    sel = p.unit == UNIT_CIM
    groups, group_of = np.unique(a.stationary[sel], return_inverse=True)
    p.cim_group[sel] = group_of
    k, n = a.k[sel], a.n[sel]
    pc = np.ceil(n * cim.weight_bits / cim.bits_per_cell)
    rt = np.ceil(k / cim.rows)
    ct = np.ceil(pc / cim.cols)
    need = rt * ct
    p.cim_row_tiles[sel], p.cim_col_tiles[sel], p.cim_phys_cols[sel] = rt, ct, pc
    p.cim_arrays[sel] = np.minimum(need, cim.arrays)
    p.cim_rounds[sel] = np.ceil(need / cim.arrays)
    # the host quantizes inputs to the CIM input precision before sending
    p.act_in_bytes[sel] = a.rows[sel] * k * cim.input_bits / 8
    group_arrays = np.zeros(len(groups), dtype=np.int64)
    group_arrays[group_of] = need
    _place_cim(arch, p, [int(x) for x in group_arrays])


def _place_cim(arch: Architecture, p: Placement, group_arrays: list[int]) -> None:
    cim = arch.cim
    assert cim is not None
    p.cim_groups = len(group_arrays)
    p.cim_arrays_needed = int(sum(group_arrays))
    if p.cim_arrays_needed <= cim.arrays:
        copies = cim.arrays // p.cim_arrays_needed if cim.weight_replication else 1
        note = (f"CIM: {p.cim_arrays_needed} of {cim.arrays} arrays hold all {len(group_arrays)} "
                "weight matrices; programmed once before the run (not charged)")
        if copies > 1:
            sel = p.unit == UNIT_CIM
            p.cim_replicas[sel] = np.minimum(copies, np.maximum(p.rows[sel], 1.0))
            note += f"; weight replication: {copies} copies of every matrix share an op's rows"
        p.notes.append(note)
        return
    p.cim_shared = True
    # LRU cache of matrices over program order
    resident: OrderedDict[int, int] = OrderedDict()
    used = 0
    for i in np.flatnonzero(p.unit == UNIT_CIM):
        g = int(p.cim_group[i])
        need = group_arrays[g]
        if need > cim.arrays:
            p.cim_reprogram[i] = True  # runs in rounds, every round re-programs
            resident.clear()
            used = 0
            continue
        if g in resident:
            resident.move_to_end(g)
            continue
        while used + need > cim.arrays:
            _, freed = resident.popitem(last=False)
            used -= freed
        resident[g] = need
        used += need
        p.cim_reprogram[i] = True
    written = float((p.cim_arrays * p.cim_rounds)[p.cim_reprogram].sum())  # arrays programmed
    writes_per_cell = written / cim.arrays  # on average over all arrays, per run
    p.notes.append(
        f"CIM: weights need {p.cim_arrays_needed} arrays but only {cim.arrays} exist; "
        f"arrays are re-programmed {p.cim_reprograms} times during the run (LRU over matrices), "
        f"{writes_per_cell:.3g} writes per cell per run on average: an endurance of "
        f"{cim.endurance:.3g} cycles lasts {cim.endurance / writes_per_cell:.3g} runs"
    )
