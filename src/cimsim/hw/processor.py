"""A host processor (CPU or GPU): runs every op no other component claims (all-reduces excepted).

Model of one op
---------------
The processor runs one op at a time using all cores (a BLAS call, a GPU
kernel); concurrency comes from the other components working beside it.

- compute: ``max(macs / (peak MAC rate of the op's dtype x achievable fraction
  for the op's shape), vector ops / peak vector rate, serial ops / clock)`` on its single
  server (``serial_ops``: the operations one element's result needs one after another in a
  traced chain of fused pointwise ops, e.g. a recurrence over T steps: one lane does one a
  cycle at best, however many lanes share the elements; ``mac_efficiency``: a matmul with few activation rows (batch x m) reaches
  less of the peak than the large matmuls the peak is measured with, and less
  again when its weight lies beyond the caches; see :class:`MacEfficiency`; ``gemm_tile``:
  a matmul's output tiles run in waves of one tile per core, and its last wave may leave cores
  idle: the fraction is multiplied by ``tiles / (waves x cores)``); a product of
  one output column (``n = 1``: a depthwise convolution's, a dot product) cannot use a matrix
  unit (AMX tile, tensor core), so its MACs run on the vector lanes, at the vector rate, energy
  per MAC (they do not count in the ``mac`` utilization: the MAC unit is idle for them);
- a depthwise convolution (groups = C_in > 1) runs as a direct kernel: its im2col copy moves
  nothing and the convolution reads its input, output and weights once
  (:func:`cimsim.hw.im2col.direct_depthwise`); any other convolution reads its im2col matrix;
  an im2col copy whose convolution runs on a unit that builds the windows itself (input reuse:
  ``OpArrays.windows_built``, placement rule 4a) moves nothing and costs no time, dispatch or
  energy;
- bytes: through its memory levels (``levels``, innermost first; default every
  level of the architecture) by the rules of :mod:`cimsim.hw.hierarchy`:
  reused weight matrices stay resident where they fit, everything else
  streams from the backing store; activations stay in the innermost level that
  holds them. Each level's bandwidth is a shared resource in the engine, so an
  op's time is ``max(compute, bytes / bandwidth per level)``;
- a GEMV (one row) with ``single_stream_bandwidth`` set: its compute time is at least its
  backing-store bytes over that one-stream bandwidth (one thread's GEMV cannot draw what all
  cores draw together, which is the backing store's ``bandwidth``); where the stream is the
  longer, the op's compute time is the compute part ``stream`` (bound class memory: the bound
  reads ``memory (<processor>_stream)``, and the memory lower bound counts it, not compute's);
- latency: ``op_overhead`` (dispatch: kernel launch, fork/join) plus the access
  latency of the slowest level the op touches; ``op_overhead_by_kind`` replaces
  ``op_overhead`` for the op kinds it names (a software stack that launches them by
  another path, e.g. PyTorch's eager softmax vs a ``torch.compile``'d layer norm vs cuBLAS);
  a launch group (one torch call: ``addmm``'s matmul and bias add) pays its op with the MACs'
  dispatch (:attr:`OpCost.dispatch_s`) and its ops' largest access latency;
- energy: ``compute`` = MACs x energy per MAC (per dtype) + vector ops x
  energy per vector op; memory-level energy is charged by the stage.
"""

from __future__ import annotations

from dataclasses import replace

import itertools
import math
from types import MappingProxyType
from typing import Literal, Optional

import numpy as np
from pydantic import Field, model_validator

from ..dtypes import DTYPES, DType
from ..errors import MappingError
from ..quantity import (Bytes, BytesPerSecond, Fraction, Hertz, Joules, PositiveFloat, PositiveInt, Seconds,
                        PositiveSquareMeters, PositiveWatts, Watts)
from ..units import bytes_of, capacity_text, si
from .base import MEASURED_COMPUTE, Component, ComponentConfig, OpArrays, OpCost, Plan, Strict
from .parts.communication import COMMUNICATION_KINDS
from .hierarchy import staged_traffic, through_backing
from .homes import cache_tier_note
from .im2col import direct_depthwise, direct_note
from .power import tdp_problems


#: the row lengths, over the square's, that ``cimsim calibrate`` times (``N = 4K`` and ``N = K/4``;
#: :mod:`cimsim.calibrate.rowlength`): rule 6 holds an op's ratio to them, as rule 3 the table's edge
ROW_RATIO_TIMED = (0.5, 2.0)


class MacEfficiency(Strict):
    """Achievable fraction of the peak MAC rate of a matmul, by its activation rows and the
    bytes of its weights: a table measured by ``cimsim calibrate``.

    Rules, in order:

    1. ``fraction[i][j]`` is what a matmul of ``rows[i]`` activation rows (batch x m) by a
       weight of ``weight_bytes[j]`` bytes reaches, timed as the kernel runs it: a matmul of
       few rows reaches less of the peak than the square one the peak is measured with, and
       less again when its weight must be packed from beyond the caches;
    2. an op between the table's points takes the bilinear interpolation in
       (log2 rows, log2 weight bytes);
    3. beyond the table's edge (more rows than the last entry, a smaller or larger weight) an
       op takes the edge's value, the fraction the kernel has settled to (an op with no
       weight, e.g. attention's activation x activation matmul, takes the smallest weight's);
    4. without ``weight_bytes`` each row of ``fraction`` has one entry: the fraction by rows
       alone;
    5. with ``rows_per_pass`` (p) and ``pass_max_rows``: a matmul of at most ``pass_max_rows``
       rows runs on the kernel's few-row path, which reads the whole weight once per block of p
       rows, so its time is ``ceil(rows / p)`` passes over the weight. Such an op takes the time
       of the table's largest ``rows`` entry r at or below its own rows, scaled by the passes:
       ``fraction = fraction(r) x (rows / r) x ceil(r / p) / ceil(rows / p)`` (in place of rule
       2's interpolation in rows, which would put a 12-row matmul halfway in rate between the
       8-row pass path and the 16-row blocked path);
    6. with ``row_length_exponent`` (a) and ``row_length_from``: a matmul whose weight holds at
       least ``row_length_from`` bytes (one past the last-level cache, streamed from DRAM) runs
       at ``(row / row_sq) ** a`` times the table's fraction, ``row`` the bytes of one stored row
       of its weight (the contiguous run the kernel streams: ``K`` elements of an ``[N, K]``
       weight) and ``row_sq = 2 sqrt(weight bytes)`` that of the table's fp32 square of the same
       bytes: a kernel streams long rows faster than short ones (a 2-vCPU EPYC's MKL, 1 thread,
       64 MiB weights: ``N = 4K`` ran 0.82-0.88x the square's rate at 1-64 rows, ``N = K/4``
       1.02-1.11x). As beyond the table's edge (rule 3), ``row / row_sq`` is held to the range
       the calibration timed, 1/2 (``N = 4K``) to 2 (``N = K/4``), and the fraction never exceeds
       1 (the peak). An op whose weight has no row length known runs at the table's fraction.
    7. with ``cold_from``: the table's columns up to ``cold_from`` bytes were timed with the
       weight cache-warm (repeated calls on one weight that fits the last-level cache), those past
       it with the weight streaming from DRAM. An op that reads its weight from the backing store
       at this use (its first use, a weight read once, one no cache level holds: the hierarchy's
       rule 1) streams it too, so it takes the table at no smaller a weight than the first column
       past ``cold_from`` (rules 2-6 then apply at that size; rule 6's row ratio keeps the op's
       own weight bytes). Without a column past it, rule 7 changes nothing. (Two 4 MiB weights
       read in turn on a 2-vCPU EPYC whose usable LLC holds 4 MiB: 3.7 GMAC/s each at one row,
       against 7.4 for either alone, 2026-12-07.)
    """

    rows: list[PositiveFloat] = Field(description="Activation row counts (batch x m), ascending.")
    weight_bytes: list[Bytes] | None = Field(
        default=None, description="Weight sizes, ascending (omit for a fraction by rows alone).")
    fraction: list[list[Fraction]] = Field(
        description="One row per `rows` entry, one entry per `weight_bytes` entry (or one).")
    rows_per_pass: Optional[PositiveInt] = Field(
        default=None, description="Activation rows one pass of the kernel's few-row path over the "
        "weight serves: a matmul of up to pass_max_rows rows takes ceil(rows / rows_per_pass) passes "
        "(`cimsim calibrate` fits it to the table's times; default: none, rows interpolated).")
    pass_max_rows: Optional[PositiveInt] = Field(
        default=None, description="The most activation rows the few-row path runs (the kernel "
        "switches to its blocked path above); with rows_per_pass only.")
    row_length_exponent: Optional[float] = Field(
        default=None, ge=-1.0, le=1.0, description="Exponent a of the rate of a matmul by a weight "
        "of at least row_length_from bytes in its row length: the table's fraction x (row bytes / "
        "the fp32 square's row bytes) ** a (`cimsim calibrate` measures it past the last-level "
        "cache; default: none, the table's fraction).")
    row_length_from: Optional[Bytes] = Field(
        default=None, description="Weights of at least this many bytes take the row-length "
        "exponent (the calibrated last-level cache); with row_length_exponent only.")
    cold_from: Optional[Bytes] = Field(
        default=None, description="The largest weight the table's columns were timed with "
        "cache-warm (`cimsim calibrate` writes the last-level cache's usable capacity): an op "
        "that reads its weight from the backing store takes the table at its first column past "
        "this size or its own, whichever is larger (rule 7; default: none, every op at its own "
        "weight's size); with weight_bytes only.")

    @model_validator(mode="before")
    @classmethod
    def _not_the_list_form(cls, data):
        if isinstance(data, list):  # pydantic reports ValueError, not TypeError, as a field error
            raise ValueError(  # noqa: TRY004
                "a list of {max_rows, fraction} (cimsim 0.2) is no longer read: give "
                "a table {rows: [...], weight_bytes: [...], fraction: [[...], ...]} "
                "(rerun `cimsim calibrate` to measure one)")
        if (isinstance(data, dict) and not data.get("weight_bytes")
                and isinstance(data.get("fraction"), list)
                and all(isinstance(f, (int, float, str)) for f in data["fraction"])):
            rows, flat = data.get("rows"), data["fraction"]
            if isinstance(rows, list) and len(flat) != len(rows):
                raise ValueError(f"fraction: {len(rows)} entries (one per rows entry) without "
                                 f"weight_bytes, got {len(flat)}")
            data = {**data, "fraction": [[f] for f in flat]}  # one per rows entry
        return data

    @model_validator(mode="after")
    def _shape(self) -> MacEfficiency:
        if self.cold_from is not None and self.weight_bytes is None:
            raise ValueError("cold_from needs weight_bytes: it names the table's columns timed "
                             "cache-warm, and a table without weight_bytes has no such columns")
        if self.weight_bytes is not None and not self.weight_bytes:
            raise ValueError("weight_bytes is empty: give the weight sizes the fraction's columns "
                             "are for, or leave weight_bytes out (one fraction per rows entry)")
        cols = len(self.weight_bytes) if self.weight_bytes is not None else 1
        for name, axis in (("rows", self.rows), ("weight_bytes", self.weight_bytes or [1.0])):
            if not axis:
                raise ValueError(f"{name} is empty")
            if any(b <= a for a, b in itertools.pairwise(axis)):
                raise ValueError(f"{name} must be strictly ascending, got {axis}")
        if (self.rows_per_pass is None) != (self.pass_max_rows is None):
            raise ValueError("rows_per_pass and pass_max_rows go together: give both or neither")
        if (self.row_length_exponent is None) != (self.row_length_from is None):
            raise ValueError("row_length_exponent and row_length_from go together: give both or neither")
        if self.pass_max_rows is not None and self.pass_max_rows < self.rows[0]:
            raise ValueError(f"pass_max_rows ({self.pass_max_rows}) is below the first rows entry "
                             f"({self.rows[0]:g}): no table row lies on the few-row path")
        if len(self.fraction) != len(self.rows) or any(len(r) != cols for r in self.fraction):
            raise ValueError(f"fraction must be {len(self.rows)} rows (one per rows entry) of {cols} "
                             f"entries (one per weight_bytes entry), got "
                             f"{[len(r) for r in self.fraction]} entries per row")
        if self.rows_per_pass is not None:  # rule 5 must keep every op at or under the peak
            m = self._pass_peaks()
            for wb in self.weight_bytes or [1.0]:
                f = self._table_at(m, np.full(len(m), wb))
                if f.max() > 1.0 + 1e-12:
                    at = int(m[np.argmax(f)])
                    raise ValueError(
                        f"rows_per_pass {self.rows_per_pass} makes a {at}-row matmul"
                        + (f" by {wb:g} B of weights" if self.weight_bytes else "")
                        + f" run at {f.max():.3g} of the peak (rule 5: the "
                        "table's fraction x rows / table rows x passes), above 1: lower the "
                        "few-row fractions or rows_per_pass, or pass_max_rows")
        return self

    def _pass_peaks(self) -> np.ndarray:
        """The row counts where rule 5's fraction can peak: between table rows r_j and
        r_{j+1} it is f_j m / r_j x ceil(r_j / p) / ceil(m / p), largest at the band's last
        multiple of p or at its last row (m / ceil(m / p) grows within a pass count)."""
        p, top = self.rows_per_pass, self.pass_max_rows
        out = []
        for j, r in enumerate(self.rows):
            lo = math.ceil(r)
            hi = min(top, math.ceil(self.rows[j + 1]) - 1 if j + 1 < len(self.rows) else top)
            if lo <= hi:
                out += [lo, hi] + ([hi // p * p] if hi // p * p >= lo else [])
        return np.asarray(sorted(set(out)), dtype=np.float64)

    def at(self, rows: np.ndarray, weight_bytes: np.ndarray, row_bytes: np.ndarray | None = None,
           cold: np.ndarray | None = None) -> np.ndarray:
        """The fraction for ops of ``rows`` activation rows and ``weight_bytes`` of weights
        (``row_bytes``: bytes of one stored row of each op's weight, 0 where unknown; rule 6;
        ``cold``: True where an op reads its weight from the backing store, rule 7)."""
        wb = np.asarray(weight_bytes, dtype=np.float64)
        looked = wb
        if self.cold_from is not None and cold is not None:
            past = [float(c) for c in self.weight_bytes if c > self.cold_from]
            if past:  # rule 7: a cold weight runs as one streamed from past the caches
                looked = np.where(np.asarray(cold, dtype=bool), np.maximum(wb, past[0]), wb)
        out = self._table_at(rows, looked)
        if self.row_length_exponent is None or row_bytes is None:
            return out
        rb = np.asarray(row_bytes, dtype=np.float64)
        long = (looked >= self.row_length_from) & (rb > 0)
        ratio = np.clip(rb[long] / (2.0 * np.sqrt(wb[long])), ROW_RATIO_TIMED[0], ROW_RATIO_TIMED[1])
        out[long] = np.minimum(out[long] * ratio ** self.row_length_exponent, 1.0)
        return out

    def _table_at(self, rows: np.ndarray, weight_bytes: np.ndarray) -> np.ndarray:
        """Rules 1-5: the table's fraction."""
        table = np.asarray(self.fraction, dtype=np.float64)  # (R, W)
        wb = np.asarray(self.weight_bytes or [1.0], dtype=np.float64)
        lw = np.log2(np.maximum(weight_bytes, wb[0]))
        by_row = np.stack([np.interp(lw, np.log2(wb), t) for t in table])  # (R, n)
        cols = np.arange(by_row.shape[1])
        if len(self.rows) == 1:
            out = by_row[0].copy()
        else:
            lr = np.log2(np.maximum(rows, self.rows[0]))
            pos = np.interp(lr, np.log2(np.asarray(self.rows, dtype=np.float64)),
                            np.arange(len(self.rows), dtype=np.float64))
            i0 = np.minimum(np.floor(pos).astype(np.int64), len(self.rows) - 2)
            frac = pos - i0
            out = by_row[i0, cols] * (1.0 - frac) + by_row[i0 + 1, cols] * frac
        if self.rows_per_pass is None:
            return out
        # rule 5: on the few-row path, time scales with passes over the weight
        table_rows = np.asarray(self.rows, dtype=np.float64)
        rows = np.asarray(rows, dtype=np.float64)
        on_path = (rows >= table_rows[0]) & (rows <= self.pass_max_rows)
        if not on_path.any():
            return out
        p = float(self.rows_per_pass)
        j = np.searchsorted(table_rows, rows[on_path], side="right") - 1  # largest entry <= rows
        r = table_rows[j]
        m = rows[on_path]
        out[on_path] = by_row[j, cols[on_path]] * (m / r) * np.ceil(r / p) / np.ceil(m / p)
        return out


class ProcessorConfig(ComponentConfig):
    """A host processor (CPU or GPU) that runs everything not claimed by another component."""

    type: Literal["processor"] = Field(default="processor", description="Component type.")
    name: str = Field(description="Human-readable name of the part.")
    cores: PositiveInt = Field(description="Cores (CPU) or streaming multiprocessors (GPU).")
    clock: Hertz = Field(description="Core clock.")
    macs_per_cycle_per_core: dict[DType, PositiveFloat] = Field(
        description="Peak multiply-accumulates per cycle per core, per dtype.")
    vector_ops_per_cycle_per_core: PositiveFloat = Field(
        description="Peak elementwise operations per cycle per core; also the MAC rate of a "
        "product of one output column (n = 1: a depthwise convolution), which a matrix unit cannot run.")
    energy_per_mac: dict[DType, Joules] = Field(description="Energy of one MAC, per dtype.")
    energy_per_vector_op: Joules = Field(description="Energy of one elementwise operation.")
    static_power: Watts = Field(description="Leakage and uncore power while the run lasts.")
    op_overhead: Seconds = Field(default="0 s", description="Fixed dispatch cost per op "
                                 "(kernel launch, thread fork/join).")
    sync_overhead: Seconds = Field(default="0 s", description="Host-device sync per host read of a "
                                   "tensor's value (a traced if / .item() / nonzero count: tag "
                                   "host_syncs), paid before the op after it (a GPU: the copy back and "
                                   "the stream drain, ~10-30 us at batch 1; default 0: not charged).")
    op_overhead_by_kind: dict[str, Seconds] = Field(
        default_factory=dict, description="Dispatch cost per op of the op kinds named here, in place "
        "of op_overhead (kinds launched by another software path: eager, compiled, library call); "
        "each a separate measurement of a near-empty call of that path (default: none). Keys are "
        "op kinds (matmul, elementwise, softmax, layernorm, reduction, copy). A launch group (one "
        "torch call) pays the dispatch of its op with the MACs, else of its first op.")
    area: Optional[PositiveSquareMeters] = Field(default=None, description="Die area (cores, uncore; its "
                                         "last-level cache is a memory level with its own area).")
    mac_efficiency: MacEfficiency | None = Field(
        default=None, description="Achievable fraction of peak MAC rate of a matmul by its rows "
        "(batch x m) and weight bytes, interpolated in a table that `cimsim calibrate` measures "
        "(default: none, every matmul at peak).")
    gemm_tile: Optional[list[PositiveInt]] = Field(
        default=None, min_length=2, max_length=2, description="[m, n]: the output tile one core (a "
        "GPU's SM) computes at a time in a matmul (a thread block's tile; e.g. [256, 128], NVIDIA's "
        "Matrix Multiplication Background guide, DU-09799-001, sec. 2.3). A matmul's "
        "batch x ceil(m / tile m) x ceil(n / tile n) tiles run in ceil(tiles / cores) waves, so its "
        "MAC time is divided by tiles / (waves x cores), the share of the cores its waves keep busy "
        "(wave quantization, sec. 3.2). Default: none, every matmul spread over all cores.")
    single_stream_bandwidth: Optional[BytesPerSecond] = Field(
        default=None, description="Backing-store read bandwidth of one stream (one thread's "
        "outstanding misses over the memory latency), below what all cores draw together; a GEMV "
        "(a matmul of one row) runs as one stream, so it reads its backing-store bytes at most at "
        "this rate ('cimsim calibrate' writes it when its all-thread GEMV over a DRAM weight reads "
        "no faster than one thread). Default: none.")
    levels: Optional[list[str]] = Field(
        default=None, description="Memory levels the processor reads through, innermost first "
        "(default: every level of the architecture, in order).")
    tdp: Optional[PositiveWatts] = Field(
        default=None, description="Thermal design power of the part as its maker states it (e.g. "
        "700 W for an H100 SXM5 module, 185 W for a Xeon Gold 6426Y package). A run whose average "
        "power of this processor (its compute energy, its static power and the energy of the "
        "levels in tdp_includes its ops moved, over the latency) exceeds it gets a note: the part "
        "would lower its clock, so the latency or the energy is too low. Default: none, no check.")
    tdp_includes: list[str] = Field(
        default_factory=list, description="Memory levels and links whose energy the TDP covers, "
        "charged by the bytes this processor's ops move over them: a GPU module's TDP covers its "
        "L2 and HBM ([sram, dram]), a CPU package's its last-level cache ([sram]) but not the "
        "DIMMs. Default: none (compute and static power only).")

    def wave_fraction(self, rows: np.ndarray, batch: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Share of the cores a matmul's waves keep busy (``gemm_tile``; 1 without it):
        ``tiles / (ceil(tiles / cores) x cores)``, ``tiles = batch x ceil(m / tile m) x ceil(n / tile n)``."""
        if self.gemm_tile is None:
            return np.ones(len(rows))
        tm, tn = self.gemm_tile
        m = np.asarray(rows, dtype=np.float64) / np.maximum(batch, 1.0)
        tiles = np.maximum(batch, 1.0) * np.ceil(m / tm) * np.ceil(np.asarray(n, dtype=np.float64) / tn)
        with np.errstate(divide="ignore", invalid="ignore"):
            busy = tiles / (np.ceil(tiles / self.cores) * self.cores)
        return np.where(tiles > 0, busy, 1.0)  # no matmul shape (MACs of another kind): all cores

    def peak_macs_per_s(self, dtype: str) -> float:
        return self.cores * self.clock * self.macs_per_cycle_per_core[dtype]

    @property
    def peak_vector_ops_per_s(self) -> float:
        return self.cores * self.clock * self.vector_ops_per_cycle_per_core


class Processor(Component[ProcessorConfig]):
    type_name = "processor"
    Config = ProcessorConfig
    priority = 0
    reads_far_tier = True
    accuracy_arithmetic = "exact"
    energy_parts = ("compute",)
    utilizations = ("mac", "busy")
    label = "host"
    facts = MappingProxyType({"weights_on_chip": True})

    @property
    def compute_parts(self):
        """A single stream's time (``single_stream_bandwidth`` set): class memory."""
        return {"stream": "memory"} if self.config.single_stream_bandwidth is not None else {}

    @property
    def levels(self) -> list[str]:
        return list(self.config.levels) if self.config.levels else list(self.hw.memory)

    def check(self):
        bad = [lv for lv in self.levels if lv not in self.hw.memory]
        if bad:
            return [("levels", f"names no memory level {bad}; the architecture has "
                               f"{list(self.hw.memory)}")]
        order = [list(self.hw.memory).index(lv) for lv in self.levels]
        if len(set(order)) != len(order) or order != sorted(order):
            return [("levels", f"{self.levels} must name each memory level once, innermost first, "
                               f"in the architecture's order {list(self.hw.memory)}")]
        near = self.hw.home_tiers[0]  # the near tier beside a far one (hierarchy rule 9)
        if self.config.levels and near != self.hw.backing_store and near not in self.config.levels:
            return [("levels", f"must name the near tier '{near}' before the "
                               f"far tier '{self.hw.backing_store}' (hierarchy rule 9)")]
        if self.config.levels and self.config.levels[-1] != self.hw.backing_store:
            return [("levels", f"must end with the backing store '{self.hw.backing_store}' "
                               "(the last memory level), which holds every tensor")]
        return tdp_problems(self.config, self.hw)

    def claim(self, ops: OpArrays, free):
        # everything left but communication (a collective component runs it over a link)
        return free & ~np.isin(ops.kind, [ops.kind_codes[k] for k in COMMUNICATION_KINDS])

    def unclaimed_hint(self, ops: OpArrays, unclaimed):
        comm = unclaimed & np.isin(ops.kind, [ops.kind_codes[k] for k in COMMUNICATION_KINDS])
        if not comm.any():
            return None
        return (f"add a collective: section (devices, link; see `cimsim fields collective`) to "
                f"run the {int(comm.sum())} {'/'.join(COMMUNICATION_KINDS)} op(s) over a link")

    def _rates(self, ops: OpArrays, idx):
        """Peak MAC rate and MAC energy per op (by its dtype); MappingError if a dtype is missing."""
        cfg = self.config
        peak, emac = np.zeros(len(idx)), np.zeros(len(idx))
        names = ops.dtype[idx]
        covered = np.zeros(len(idx), dtype=bool)
        for dt in DTYPES:  # four comparisons: faster than np.unique on strings
            sel = names == dt
            if not sel.any():
                continue
            for fld, table in (("macs_per_cycle_per_core", cfg.macs_per_cycle_per_core),
                               ("energy_per_mac", cfg.energy_per_mac)):
                if dt not in table:
                    dw = int(ops.depthwise[idx][sel].sum()) if ops.depthwise is not None else 0
                    why = (f"; {dw} of its {dt} ops are depthwise convolutions, which a CIM, or a systolic "
                           "array with depthwise: host, leaves to the host (array or packed keeps them on "
                           "a systolic array)" if dw else "")  # review 23 F 7
                    raise MappingError(f"processor '{self.name}' has no {self.name}.{fld}.{dt}; "
                                       f"it lists {sorted(table)}{why}")
            peak[sel] = cfg.peak_macs_per_s(dt)
            emac[sel] = cfg.energy_per_mac[dt]
            covered |= sel
        # a storage-only dtype (int64 indices, bool masks, complex FFT outputs of a traced model;
        # cimsim.dtypes.TENSOR_DTYPES) needs no MAC rate for ops that do no MACs (peak 0: unused)
        bad = ~covered & (ops.macs[idx] > 0)
        if bad.any():
            raise MappingError(f"processor '{self.name}': {int(bad.sum())} op(s) of dtype "
                               f"'{names[bad][0]}' carry MACs; MAC rates are given per compute "
                               f"dtype ({', '.join(DTYPES)}), and no component models "
                               f"{names[bad][0]} arithmetic")
        return peak, emac

    def place(self, ops: OpArrays, idx):
        levels = self.levels
        mem = [self.hw.resource(lv) for lv in levels]
        remote, local, convs, formed = self._moved(ops, idx)
        far = self.hw.home_tiers[0] != self.hw.backing_store  # hierarchy rule 9
        place = mem[-1].config.place if far else None  # its offload policy (None: first touch)
        back = len(levels) - (2 if far else 1)
        rules = {m.config.replacement for m in mem[:back]}
        if len(rules) > 1:
            raise MappingError(f"processor '{self.name}': its levels before the backing store mix "
                               f"replacement rules ({', '.join(f'{lv}: {m.config.replacement}' for lv, m in zip(levels, mem[:back]))}): "
                               f"give every one the same (placed or lru)")
        traffic = staged_traffic(local, idx, levels, [m.config.capacity for m in mem],
                                 [m.latency_s() for m in mem], far, place, rules == {"lru"})
        peak, emac = self._rates(ops, idx)  # refuses a dtype without rates before simulating
        unknown = sorted(set(self.config.op_overhead_by_kind) - set(ops.kind_codes))
        if unknown:  # the kind table is the workload's (components do not import it)
            raise MappingError(f"processor '{self.name}': {self.name}.op_overhead_by_kind names "
                               f"{', '.join(unknown)}, not an op kind ({', '.join(ops.kind_codes)})")
        notes = cache_tier_note(self.hw.memory, levels)  # two main memories, no far tier
        notes += direct_note(self.name, convs, formed)
        if traffic.reused_total_bytes or traffic.streamed_weight_bytes or (far and any(traffic.resident.values())):
            tiers = self.hw.home_tiers if far else ()
            lru = traffic.lru_reads  # hw/lru.py: bytes each level served, not matrices held
            parts = ([f"{si(b, 'B')} of the reads after a first use from {lv}" for lv, b in lru.items()
                      if b and lv != levels[-2 if far else -1]] if lru is not None else
                     [f"{si(b, 'B')} resident in {lv}" for lv, b in traffic.resident.items() if b and lv not in tiers])
            if traffic.returned_bytes:  # rule 1: a dead matrix's room taken by a later one
                parts[-1] += (f" in turn ({si(traffic.returned_bytes, 'B')} of it in room "
                              "given back after matrices' last uses)")
            if far:  # rule 9: every weight's home is a tier, read there at each uncached use
                near, far_t = tiers
                # a share reads in GiB only where it fills its tier's configured capacity
                cap = {t: self.hw.resource(t).config.capacity for t in tiers}
                parts.append(f"home {bytes_of(traffic.resident[near], cap[near])} in {near}, "
                             f"{bytes_of(traffic.resident[far_t], cap[far_t])} in the far tier "
                             f"{far_t} ("
                             + (f"by memory.{far_t}.place" if place is not None else
                                f"filled past {near}'s capacity")
                             + "), read there at every use no cache level serves")
            if lru is not None:
                parts.append(f"{si(lru[levels[-2 if far else -1]], 'B')} of them missed to {levels[-2 if far else -1]}")
            elif not far:
                parts.append(f"{si(traffic.streamed_weight_bytes, 'B')} read from "
                             f"{self.hw.backing_store} at every use")
            caps = ", ".join(f"{lv} {capacity_text(self.hw.resource(lv).config.capacity)}"
                             for lv in levels[:-2 if far else -1])
            per = (f", on each of {int(ops.stage.max()) + 1} pipeline stages' devices; in all"
                   if ops.stage is not None else "")
            where = f"; {caps}{per}" if caps else f"; no level before {tiers[0] if far else self.hw.backing_store}{per}"
            rule = ("a hardware cache (replacement: lru): a weight stays while what was touched "
                    "since its last use fits" if lru is not None else
                    "matrices read more than once stay where they fit")
            notes.append(f"{self.name} weights ({rule}{where}): " + ", ".join(parts))
        # a matmul timed by the measured table: its compute time includes the weight streaming
        # of the kernel that was timed (only set with a table, so other runs' op tables keep
        # their columns)
        measured = ({MEASURED_COMPUTE: ops.macs[idx] > 0} if self.config.mac_efficiency is not None
                    else {})
        return Plan.one_server(len(idx), notes=notes, summary={"weights_on_chip": traffic.all_fit},
                               op_columns=measured, home_weight_bytes=dict(traffic.home_weight_bytes),
                               state={"traffic": traffic, "peak": peak, "emac": emac,
                                      "remote": None if remote is None else remote[idx]})

    def backing_outputs(self, ops: OpArrays, idx):
        """Hierarchy rules 2, 7 and 8: the ops whose activations no level before the backing
        store holds write their outputs there (another component's reader has them read back)
        and read their inputs there (another component's output is written there first)."""
        return through_backing(self._moved(ops, idx)[1], idx,
                               [self.hw.resource(lv).config.capacity for lv in self.levels])

    def _moved(self, ops: OpArrays, idx):
        """``(remote, local, convs, formed)``: :meth:`_remote_reads`' split, its local ops with
        direct depthwise kernels in place of im2col matrices (:func:`direct_depthwise`), which
        both :meth:`place` and :meth:`backing_outputs` read."""
        remote, local = self._remote_reads(ops)
        return (remote, *direct_depthwise(local, idx))

    def _remote_reads(self, ops: OpArrays):
        """``(bytes per op, ops without them)``: with the KV cache in another device's memory
        (:attr:`Hardware.cache_link`), the cache tensors a host op reads (:meth:`OpArrays.kv_tensors`)
        cross that link and pass none of its levels; ``(None, ops)`` otherwise."""
        kv = ops.kv_tensors() if self.hw.cache_link is not None else None
        if kv is None or not kv.any():
            return None, ops
        remote = ops.reads_of(kv)
        keep = ~kv[ops.input_ids]
        counts = np.bincount(np.repeat(np.arange(ops.kind.shape[0]), np.diff(ops.input_ptr))[keep],
                             minlength=ops.kind.shape[0])
        ptr = np.zeros(ops.kind.shape[0] + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        return remote, replace(ops, act_in_bytes=ops.act_in_bytes - remote, input_ptr=ptr,
                               input_ids=ops.input_ids[keep])

    def cost(self, ops: OpArrays, idx, plan):
        cfg = self.config
        peak, emac = plan.state["peak"], plan.state["emac"]
        macs, vec = ops.macs[idx], ops.vector_ops[idx]
        traffic = plan.state["traffic"]
        cold = (traffic.cold_weight_bytes > 0 if traffic.cold_weight_bytes is not None else None)
        eff = (cfg.mac_efficiency.at(ops.rows[idx], ops.weight_bytes[idx],
                                     None if ops.weight_row_bytes is None else ops.weight_row_bytes[idx],
                                     cold=cold)
               if cfg.mac_efficiency is not None else np.ones(len(idx)))
        # wave quantization (``gemm_tile``; 1 without it): the last wave leaves cores idle
        mm = ops.kind[idx] == ops.kind_codes["matmul"]
        eff = eff * np.where(mm, cfg.wave_fraction(ops.rows[idx], ops.batch[idx], ops.n[idx]), 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_mac = np.where(macs > 0, macs / peak, 0.0)  # at peak (the MAC utilization)
        # a product of one output column (n = 1: a depthwise convolution's, a dot product) has
        # no second dimension for a matrix unit (AMX tile, tensor core): its MACs run on the
        # vector lanes, one MAC a vector op, beside the op's own vector ops
        lanes = (macs > 0) & (ops.n[idx] == 1)
        vec = np.where(lanes, vec + macs, vec)
        compute = np.maximum(np.where(lanes, 0.0, t_mac / eff), vec / cfg.peak_vector_ops_per_s)
        if ops.serial_ops is not None:  # a deep fused chain: one lane, one operation a cycle
            compute = np.maximum(compute, ops.serial_ops[idx] / cfg.clock)
        overhead = np.full(len(idx), float(cfg.op_overhead))
        for kind, seconds in cfg.op_overhead_by_kind.items():  # kinds launched by another path
            overhead[ops.kind[idx] == ops.kind_codes[kind]] = seconds
        if ops.dispatches is not None:  # an op standing for several torch calls (find-C 3)
            overhead = overhead * ops.dispatches[idx]
        parts = {}
        if cfg.single_stream_bandwidth is not None:  # a GEMV is one stream from the backing store
            gemv = (macs > 0) & (ops.rows[idx] <= 1)
            home = sum(traffic.bytes[t] for t in self.hw.home_tiers)
            stream = np.where(gemv, home / cfg.single_stream_bandwidth, 0.0)
            parts["stream"] = np.where(stream > compute, stream, 0.0)  # the stream is the time
            compute = np.maximum(compute, stream)
        nbytes, writes = dict(traffic.bytes), dict(traffic.write_bytes)
        store = ops.stored(idx)
        latency = traffic.latency_s
        if ops.host_syncs is not None and cfg.sync_overhead:  # the host waits on a value read (find-F 4)
            latency = latency + ops.host_syncs[idx] * float(cfg.sync_overhead)
        link = self.hw.cache_link
        if link is not None and store is not None:
            # the KV cache is in another component's memory: an append passes the inner levels
            # and crosses that link instead of landing in the backing store (hierarchy rule 6)
            back = self.levels[-1]
            nbytes[back], writes[back] = nbytes[back] - store, writes[back] - store
            nbytes[link] = nbytes.get(link, 0.0) + store
            writes[link] = writes.get(link, 0.0) + store
        if plan.state["remote"] is not None:  # the cache it reads there comes over the link
            nbytes[link] = nbytes.get(link, 0.0) + plan.state["remote"]
        if link in nbytes:  # what crosses the link pays its latency too
            latency = np.maximum(latency, np.where(nbytes[link] > 0, self.hw.latency_of(link), 0.0))
        if ops.windows_built is not None and (wb := ops.windows_built[idx]).any():
            # an im2col copy whose convolution's unit builds the windows: no kernel at all
            compute, latency = np.where(wb, 0.0, compute), np.where(wb, 0.0, latency)
            overhead, macs = np.where(wb, 0.0, overhead), np.where(wb, 0.0, macs)
            vops = np.where(wb, 0.0, ops.vector_ops[idx])
        else:
            vops = ops.vector_ops[idx]
        return OpCost(
            compute_s=compute,
            latency_s=overhead + latency,
            dispatch_s=np.broadcast_to(np.asarray(overhead, dtype=float), (len(idx),)),
            bytes=nbytes,
            write_bytes=writes,
            energy={"compute": macs * emac + vops * cfg.energy_per_vector_op},
            # the n = 1 products ran on the vector lanes (the server's busy time), not the MAC unit
            busy={"mac": np.where(lanes, 0.0, t_mac)},
            compute_parts=parts,
        )

    def peak_macs_per_s(self, dtype):
        return self.config.peak_macs_per_s(dtype) if dtype in self.config.macs_per_cycle_per_core else None
