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

from types import MappingProxyType
from typing import Literal, Optional

import numpy as np
from pydantic import Field, model_validator

from ..dtypes import DTYPES, DType
from ..errors import MappingError, involving
from ..quantity import (BytesPerSecond, Hertz, Joules, NonNegativeFloat, PositiveFloat, PositiveInt, Seconds,
                        Flag, PositiveSquareMeters, PositiveWatts, Watts)
from ..units import bytes_of, capacity_text, si
from .base import MEASURED_COMPUTE, Component, ComponentConfig, OpArrays, OpCost, Plan
from .parts.communication import COMMUNICATION_KINDS
from .hierarchy import staged_traffic, through_backing
from .homes import cache_tier_note
from .kv_home import kv_home_note
from .im2col import direct_depthwise, direct_note
from .mac_efficiency import ROW_RATIO_TIMED, MacEfficiency  # noqa: F401 (moved there)
from .fabric import Fabric, k_parts, multicast, reduction, tile_fit_notes
from .power import tdp_problems
from .supply import Supply


def _full_tile(x: np.ndarray, t: int) -> np.ndarray:
    """``x / (ceil(x / t) x min(t, x))``: the average tile's share of the fullest one when ``x``
    is split into tiles of ``t`` (1 for an even split, or for ``x <= t``; 1 where ``x`` is 0)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = x / (np.ceil(x / t) * np.minimum(t, x))
    return np.where(x > 0, f, 1.0)


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
                                 "(kernel launch, thread fork/join), in seconds: it does not "
                                 "follow clock (op_overhead_cycles does).")
    op_overhead_cycles: NonNegativeFloat = Field(default=0.0, description="Dispatch cost per op "
                                                 "in the processor's clock cycles (cycles), added "
                                                 "to op_overhead (or op_overhead_by_kind's figure): "
                                                 "host CPU work (framework, driver) that follows "
                                                 "clock. Default 0. A GPU's dispatch runs on its "
                                                 "host CPU, not at this clock: keep it in seconds.")
    torch_cpu_dispatches: Flag = Field(default=False, description="The processor runs torch's "
                                       "CPU path op by op: an op's `dispatches` tag (the calls torch's "
                                       "native CPU cell makes for a traced nn.LSTM / nn.GRU step's gate "
                                       "arithmetic) pays op_overhead per call. Default false: one dispatch "
                                       "an op (a GPU runs a step's gate math as one fused kernel); "
                                       "`cimsim calibrate` writes true.")
    supply: Optional[Supply] = Field(default=None, description="Core supply voltage and the "
                                     "nominal (V, f) point energy_per_mac, energy_per_vector_op "
                                     "and static_power are stated at (DVFS): energy scales as "
                                     "V^2, static power as V, clock is checked against the "
                                     "alpha-power f_max(V). Default: none (figures used as given).")
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
        default=None, min_length=2, max_length=3, description="[m, n] or [m, n, k]: the output tile "
        "one core (a GPU's SM) computes at a time in a matmul (a thread block's tile; e.g. [256, 128], "
        "NVIDIA's Matrix Multiplication Background guide, DU-09799-001, sec. 2.3). A matmul's "
        "batch x ceil(m / tile m) x ceil(n / tile n) tiles run in ceil(tiles / cores) waves, so its "
        "MAC time is divided by tiles / (waves x cores), the share of the cores its waves keep busy "
        "(wave quantization, sec. 3.2). A third entry k splits K (spatial mapping: a wafer, an IPU, "
        "a Groq chip): each tile's ceil(k / tile k) partial sums run on as many cores (they count "
        "as tiles, each timed at a full tile k deep block, the deepest core's) and are reduced over processor.fabric's link, which it then needs. Default: "
        "none, every matmul spread over all cores.")
    fabric: Optional[Fabric] = Field(
        default=None, description="The link a split-K matmul's partial sums are reduced over "
        "(needs a third gemm_tile entry): {link: NAME, topology: mesh | tree}; each op pays "
        "hops x the link's latency and (parts - 1) x its output bytes over the link. Default: "
        "none (no split K).")
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

    @model_validator(mode="after")
    def _clock_within_supply(self):
        if self.supply is not None and (why := self.supply.clock_problem(self.clock)):
            raise ValueError(f"clock {why}")
        split = self.gemm_tile is not None and len(self.gemm_tile) == 3
        if split and self.fabric is None:
            raise ValueError("gemm_tile's third entry splits K into partial sums, which must be "
                             "reduced over a link: add fabric: {link: NAME, topology: mesh | tree}")
        if self.fabric is not None and not split:
            raise ValueError("fabric names the link split-K partial sums cross, but gemm_tile has "
                             "no third entry (k): give gemm_tile: [m, n, k], or drop fabric")
        return self

    def wave_fraction(self, rows: np.ndarray, batch: np.ndarray, n: np.ndarray,
                      k: Optional[np.ndarray] = None) -> np.ndarray:
        """Share of the cores a matmul's waves keep busy (``gemm_tile``; 1 without it):
        ``tiles / (ceil(tiles / cores) x cores)``, ``tiles = batch x ceil(m / tile m) x ceil(n / tile n)``
        (x ``ceil(k / tile k)`` with a third entry: :mod:`.fabric`; then also x
        ``k / (ceil(k / tile k) x min(tile k, k))``: every part is timed at a full ``tile k``
        deep block, the deepest core's, not the average; review W 4); the same factor for m and
        n: every tile is timed at a full ``tile m x tile n`` output block (find-C4 3)."""
        if self.gemm_tile is None:
            return np.ones(len(rows))
        tm, tn = self.gemm_tile[:2]
        m = np.asarray(rows, dtype=np.float64) / np.maximum(batch, 1.0)
        nn = np.asarray(n, dtype=np.float64)
        tiles = np.maximum(batch, 1.0) * np.ceil(m / tm) * np.ceil(nn / tn)
        pad = _full_tile(m, tm) * _full_tile(nn, tn)  # an uneven M or N split: the fullest core (find-C4 3)
        if len(self.gemm_tile) == 3 and k is not None:  # split K: each partial sum a tile
            parts = k_parts(k, self.gemm_tile[2])
            tiles = tiles * parts
            kk = np.asarray(k, dtype=np.float64)  # an uneven split waits on a full tk block
            pad = pad * _full_tile(kk, self.gemm_tile[2])
        with np.errstate(divide="ignore", invalid="ignore"):
            busy = tiles / (np.ceil(tiles / self.cores) * self.cores) * pad
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
    def energy_factor(self) -> float:
        """Energy per MAC and vector op at ``supply.voltage`` over the stated (1 without one)."""
        return 1.0 if self.config.supply is None else self.config.supply.energy_factor

    @property
    def static_power_w(self) -> float:
        """``static_power`` at ``supply.voltage`` (x V / V0: :mod:`.supply`), W."""
        s = self.config.supply
        return float(self.config.static_power) * (1.0 if s is None else s.static_factor)

    def extrapolated(self) -> bool:
        """A supply outside 0.8-1.1 x its nominal (:attr:`Supply.extrapolated`; review E 1)."""
        return self.config.supply is not None and self.config.supply.extrapolated

    def _held(self) -> bool:
        """Whether streamed ``mac_efficiency`` columns are held at ``nominal_clock`` (review E 2):
        a supply, a table with ``cold_from`` and a clock other than ``nominal_clock``."""
        s, t = self.config.supply, self.config.mac_efficiency
        return (s is not None and t is not None and t.cold_from is not None
                and float(self.config.clock) != float(s.nominal_clock))

    def _table_words(self) -> str:
        """The supply note's words on ``mac_efficiency`` at a clock other than the nominal."""
        s, t = self.config.supply, self.config.mac_efficiency
        if s is None or t is None or float(self.config.clock) == float(s.nominal_clock):
            return ""
        if t.cold_from is None:
            return ("mac_efficiency is read as a fraction of the peak at this clock, all of it "
                    "(no cold_from: which columns were timed streaming from DRAM, a time that "
                    "does not follow the core clock, is not known), though it was timed at another")
        return (f"mac_efficiency is a fraction of the peak at this clock for a weight read "
                f"cache-warm; an op read at a column past cold_from ({si(float(t.cold_from), 'B')}, "
                f"timed with the weight streaming from DRAM) keeps its time at nominal_clock "
                f"{si(float(s.nominal_clock), 'Hz')} (memory-bound: it does not follow the core "
                "clock), or the warm column's compute time at this clock where that is longer")

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
            return [(involving("levels", "memory"), f"names no memory level {bad}; the architecture has "
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
        if self.config.fabric is not None and (bad := self.hw.link_errors(
                "fabric.link", self.config.fabric.link, "the cores a split-K matmul's partial sums cross")):
            return bad
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
            emac[sel] = cfg.energy_per_mac[dt] * self.energy_factor
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
        if not far:  # find-C 2: a KV cache re-read from the store while weights and room are on chip
            notes += kv_home_note(self.hw, levels, [m.config.capacity for m in mem], traffic.resident,
                                  traffic.all_fit, ops, idx)
        notes += direct_note(self.name, convs, formed)
        if self.config.fabric is not None and (on := [lv for lv in levels if lv not in self.hw.off_chip]):
            notes += tile_fit_notes(self.name, ops, idx, self.config.gemm_tile, self.config.cores,  # find-C4 4
                                    on[0], float(self.hw.resource(on[0]).config.capacity))
        if self.config.supply is not None and (said := self.config.supply.note(
                self.name, float(self.config.clock), self._table_words())):
            notes.append(said)
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
        on_chip = traffic.all_fit or bool(far and mem[-1].config.near_on_chip  # find-C2 2: every
                                          and not traffic.resident.get(levels[-1]))  # weight near
        return Plan.one_server(len(idx), notes=notes, summary={"weights_on_chip": on_chip},
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
        wave = np.where(mm, cfg.wave_fraction(ops.rows[idx], ops.batch[idx], ops.n[idx], ops.k[idx]), 1.0)
        eff = eff * wave
        with np.errstate(divide="ignore", invalid="ignore"):
            t_mac = np.where(macs > 0, macs / peak, 0.0)  # at peak (the MAC utilization)
        # a product of one output column (n = 1: a depthwise convolution's, a dot product) has
        # no second dimension for a matrix unit (AMX tile, tensor core): its MACs run on the
        # vector lanes, one MAC a vector op, beside the op's own vector ops
        lanes = (macs > 0) & (ops.n[idx] == 1)
        vec = np.where(lanes, vec + macs, vec)
        fab = cfg.fabric
        if fab is not None:  # split K (find-C1 1): the partial sums' reduction over the fabric
            hops, psum, adds = reduction(ops, idx, cfg.gemm_tile[2], fab.topology, mm & (macs > 0))
            vec = vec + adds
            if fab.multicast:  # the input's delivery to the op's cores (find-C4 1)
                mc_hops, mc_bytes = multicast(ops, idx, cfg.gemm_tile, cfg.cores, fab.topology, mm & (macs > 0))
                hops, psum = hops + mc_hops, psum + mc_bytes
        t_mm = t_mac / eff
        if self._held():  # review E 2: a DRAM-streamed column's time does not follow the clock
            me, wb = cfg.mac_efficiency, ops.weight_bytes[idx]
            rb = None if ops.weight_row_bytes is None else ops.weight_row_bytes[idx]
            warm = me.at(ops.rows[idx], np.minimum(wb, float(me.cold_from)), rb) * wave  # at cold_from
            streamed = me.streamed(wb, cold) & (macs > 0)
            at_f0 = t_mm * float(cfg.clock) / float(cfg.supply.nominal_clock)
            t_mm = np.where(streamed, np.maximum(at_f0, t_mac / warm), t_mm)
        compute = np.maximum(np.where(lanes, 0.0, t_mm), vec / cfg.peak_vector_ops_per_s)
        if ops.serial_ops is not None:  # a deep fused chain: one lane, one operation a cycle
            compute = np.maximum(compute, ops.serial_ops[idx] / cfg.clock)
        overhead = np.full(len(idx), float(cfg.op_overhead))
        for kind, seconds in cfg.op_overhead_by_kind.items():  # kinds launched by another path
            overhead[ops.kind[idx] == ops.kind_codes[kind]] = seconds
        if cfg.op_overhead_cycles:  # host work at this clock (find-E 3)
            overhead = overhead + cfg.op_overhead_cycles / cfg.clock
        if ops.dispatches is not None and cfg.torch_cpu_dispatches:  # several torch calls (find-C 3)
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
        if fab is not None:  # serial hops, each at the link's (one hop's) latency
            nbytes[fab.link] = nbytes.get(fab.link, 0.0) + psum
            latency = latency + hops * self.hw.latency_of(fab.link)
        if ops.windows_built is not None and (wb := ops.windows_built[idx]).any():
            # an im2col copy whose convolution's unit builds the windows: no kernel at all
            compute, latency = np.where(wb, 0.0, compute), np.where(wb, 0.0, latency)
            overhead, macs = np.where(wb, 0.0, overhead), np.where(wb, 0.0, macs)
            vops = np.where(wb, 0.0, ops.vector_ops[idx])
        else:
            vops = ops.vector_ops[idx]
        if fab is not None:
            vops = vops + adds  # the adds' energy
        return OpCost(
            compute_s=compute,
            latency_s=overhead + latency,
            dispatch_s=np.broadcast_to(np.asarray(overhead, dtype=float), (len(idx),)),
            bytes=nbytes,
            write_bytes=writes,
            energy={"compute": macs * emac + vops * cfg.energy_per_vector_op * self.energy_factor},
            # the n = 1 products ran on the vector lanes (the server's busy time), not the MAC unit
            busy={"mac": np.where(lanes, 0.0, t_mac)},
            compute_parts=parts,
        )

    def peak_macs_per_s(self, dtype):
        return self.config.peak_macs_per_s(dtype) if dtype in self.config.macs_per_cycle_per_core else None
