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
   all arrays runs in rounds, re-programming every round.
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
from ..dtypes import DTYPE_BYTES
from ..errors import MappingError
from ..workload.ir import ELEMENTWISE_OPS_PER_ELEMENT, KIND_OPS_PER_ELEMENT, Workload

UNIT_PROCESSOR = 0
UNIT_CIM = 1
UNIT_PIM = 2
UNIT_NAMES = ("processor", "cim", "pim")

KIND_CODES = {"matmul": 0, "elementwise": 1, "softmax": 2, "layernorm": 3, "reduction": 4, "copy": 5}


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
    cim_reprogram: np.ndarray  # bool, the op (re)programs its arrays before running
    weights_on_chip: bool = False
    cim_arrays_needed: int = 0  # arrays to hold every CIM weight at once
    cim_groups: int = 0  # distinct CIM weight matrices (each one an engine server)
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
    """Place every op of ``workload`` on a unit of ``arch``."""
    ops = workload.ops
    tensors = workload.tensors
    n_ops = len(ops)
    f64 = lambda: np.zeros(n_ops, dtype=np.float64)  # noqa: E731
    p = Placement(
        unit=np.zeros(n_ops, dtype=np.int64),
        kind=np.zeros(n_ops, dtype=np.int64),
        dtype_bytes=np.zeros(n_ops, dtype=np.int64),
        macs=f64(), vector_ops=f64(), rows=f64(), k=f64(), n=f64(),
        weight_bytes=f64(), act_in_bytes=f64(), act_out_bytes=f64(),
        weight_from_dram=np.zeros(n_ops, dtype=bool),
        act_via_dram=np.zeros(n_ops, dtype=bool),
        cim_group=np.full(n_ops, -1, dtype=np.int64),
        cim_arrays=f64(), cim_row_tiles=f64(), cim_col_tiles=f64(), cim_phys_cols=f64(),
        cim_rounds=np.ones(n_ops, dtype=np.float64),
        cim_reprogram=np.zeros(n_ops, dtype=bool),
    )
    dtypes_used = set()
    groups: dict[str, int] = {}
    group_arrays: list[int] = []
    for i, op in enumerate(ops):
        out_t = tensors[op.outputs[0]]
        dtypes_used.add(out_t.dtype)
        p.kind[i] = KIND_CODES[op.kind]
        p.dtype_bytes[i] = DTYPE_BYTES[out_t.dtype]
        p.macs[i] = op.macs
        p.weight_bytes[i] = sum(tensors[t].nbytes for t in op.inputs if tensors[t].role == "weight")
        p.act_in_bytes[i] = sum(tensors[t].nbytes for t in op.inputs if tensors[t].role != "weight")
        p.act_out_bytes[i] = sum(tensors[t].nbytes for t in op.outputs)
        out_elems = sum(tensors[t].numel for t in op.outputs)
        if op.kind == "matmul":
            p.rows[i], p.k[i], p.n[i] = op.batch * op.m, op.k, op.n
        elif op.ops_per_element is not None:
            p.vector_ops[i] = op.ops_per_element * out_elems
        elif op.kind == "elementwise":
            p.vector_ops[i] = ELEMENTWISE_OPS_PER_ELEMENT[op.fn] * out_elems
        elif op.kind == "reduction":
            in_elems = sum(tensors[t].numel for t in op.inputs)
            p.vector_ops[i] = KIND_OPS_PER_ELEMENT["reduction"] * in_elems
        else:
            p.vector_ops[i] = KIND_OPS_PER_ELEMENT[op.kind] * out_elems

        if op.kind == "matmul" and op.weight is not None:
            if arch.cim is not None:
                p.unit[i] = UNIT_CIM
                if op.weight not in groups:
                    rt, ct, pc = cim_arrays_for(op.k, op.n, arch)
                    groups[op.weight] = len(group_arrays)
                    group_arrays.append(rt * ct)
                g = groups[op.weight]
                rt, ct, pc = cim_arrays_for(op.k, op.n, arch)
                p.cim_group[i] = g
                p.cim_row_tiles[i], p.cim_col_tiles[i], p.cim_phys_cols[i] = rt, ct, pc
                p.cim_arrays[i] = min(rt * ct, arch.cim.arrays)
                p.cim_rounds[i] = math.ceil(rt * ct / arch.cim.arrays)
                # the host quantizes inputs to the CIM input precision before sending
                p.act_in_bytes[i] = op.batch * op.m * op.k * arch.cim.input_bits / 8
                continue
            if arch.pim is not None and op.batch * op.m <= arch.pim.max_rows:
                p.unit[i] = UNIT_PIM
                continue
        p.unit[i] = UNIT_PROCESSOR

    for dt in sorted(dtypes_used):
        if arch.processor is not None and (p.unit == UNIT_PROCESSOR).any():
            try:
                arch.processor.peak_macs_per_s(dt)
                arch.processor.mac_energy(dt)
            except KeyError as exc:
                raise MappingError(f"architecture '{arch.name}': {exc.args[0]}") from None
        if arch.pim is not None and dt not in ("fp16", "bf16", "int8") and (p.unit == UNIT_PIM).any():
            pass  # PIM units compute in their own precision; energy/rate come from the config

    _place_processor_memory(workload, arch, p)
    if arch.cim is not None and group_arrays:
        _place_cim(arch, p, group_arrays)
    return p


def _place_processor_memory(workload: Workload, arch: Architecture, p: Placement) -> None:
    proc = p.unit == UNIT_PROCESSOR
    sram = arch.processor.sram.capacity
    seen: set[str] = set()
    proc_weight_bytes = 0
    for i, op in enumerate(workload.ops):
        if not proc[i]:
            continue
        for t in op.inputs:
            tt = workload.tensors[t]
            if tt.role == "weight" and t not in seen:
                seen.add(t)
                proc_weight_bytes += tt.nbytes
    p.weights_on_chip = proc_weight_bytes <= sram
    first_use: set[str] = set()
    for i, op in enumerate(workload.ops):
        if not proc[i]:
            continue
        ws = [t for t in op.inputs if workload.tensors[t].role == "weight"]
        if ws:
            if p.weights_on_chip:
                p.weight_from_dram[i] = any(t not in first_use for t in ws)
                first_use.update(ws)
            else:
                p.weight_from_dram[i] = True
        p.act_via_dram[i] = p.act_in_bytes[i] + p.act_out_bytes[i] > sram
    if proc_weight_bytes:
        where = "on-chip SRAM (first use reads DRAM)" if p.weights_on_chip else "DRAM, streamed at every use"
        p.notes.append(
            f"processor weights: {proc_weight_bytes / 1e6:.3f} MB vs {sram / 1e6:.3f} MB SRAM -> {where}"
        )


def _place_cim(arch: Architecture, p: Placement, group_arrays: list[int]) -> None:
    cim = arch.cim
    assert cim is not None
    p.cim_groups = len(group_arrays)
    p.cim_arrays_needed = int(sum(group_arrays))
    if p.cim_arrays_needed <= cim.arrays:
        p.notes.append(
            f"CIM: {p.cim_arrays_needed} of {cim.arrays} arrays hold all {len(group_arrays)} weight "
            "matrices; programmed once before the run (not charged)"
        )
        return
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
    p.notes.append(
        f"CIM: weights need {p.cim_arrays_needed} arrays but only {cim.arrays} exist; "
        f"arrays are re-programmed {p.cim_reprograms} times during the run (LRU over matrices)"
    )
