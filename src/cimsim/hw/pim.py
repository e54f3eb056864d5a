"""Near-bank processing units inside a DRAM/HBM level (HBM-PIM / AiM / AttAcc class).

What the units claim (``claims``), each a GEMV-shaped matmul that no higher-priority component took:

``weights``
    a matmul with a stationary weight whose activation rows ``batch * m`` are at most
    ``max_rows`` (today's behaviour, the default): the weight is read in the banks;
``kv_cache``
    a matmul without a stationary weight that reads a model input (role ``input``: a tensor
    given before the run, so it already lies in the memory, e.g. the KV cache of attention's
    ``Q.K^T`` and ``P.V``; in a traced workload an input given as a cache or marked resident
    (:mod:`cimsim.workload.resident`: a retrieval database), read as it is or through a copy that
    scales or reshapes it: :func:`cimsim.workload.footprint.cache_roots`, the copy made on the
    host), with at most ``max_rows`` rows per product (``m``; GQA puts ``g`` query heads on one
    product): that input is read in the banks;
``embedding``
    a row gather that pools (an embedding bag, ``nn.EmbeddingBag``: kind
    ``reduction``, tag ``part: gather``) by ``sum`` or ``mean`` (tag ``pool``; RecNMP, Ke et al.
    ISCA 2020; TensorDIMM, Kwon et al. MICRO 2019) from a table that is a weight: the units read
    the gathered rows in the banks and pool them; a ``max`` pooling (or none stated) stays on the
    host (the claim note says so). Its work is one add per gathered element but the first of each
    bag (L - 1 per pooled element; a mean's divide, a per-sample weight's multiply: one more
    each, the op's vector work less one per pooled element of a sum), at one per MAC lane and
    cycle, energy per MAC each.

Model of one op: the *resident* operand (the weight, or the model inputs) is read over the units'
internal bandwidth and never crosses the level's external bus; the other inputs and the outputs do
(over ``link`` in ``separate`` mode). ``compute = max(macs / PIM peak, resident bytes / internal
bandwidth, dynamic energy / power_cap)`` on one server (the units work on one op at a time,
together). Internal bandwidth is ``units x internal_bandwidth``, or from bank-level parallelism
``units x banks_per_unit x bank_bandwidth``; peak rates scale with the level's ``channels``.
``power_cap`` bounds the units' average dynamic power over an op (MAC energy plus internal read
energy over its time), the all-bank activation limit of a real part. Latency = ``op_overhead``
(host dispatch of the PIM command) + the access latency of what the op's I/O crosses.
An input the host made and stored in the backing store (its op's activations fit none of
its levels: hierarchy rule 7) the host reads back from there before sending it: a read of
its bytes (the workload's dtype) on the backing store, and its access latency; a result a
host op reads from the backing store (that op's activations fit none of its levels) is
written there on the PIM op, in the workload's dtype, with its access latency (hierarchy rule 8).
Energy ``compute`` = MACs x energy per MAC + resident bits x internal energy per bit.

Sharing of the memory between the host and the units (``sharing``):

``concurrent`` (default; NeuPIMs, Heo et al., ASPLOS 2024: dual row buffers let host accesses
    and PIM work proceed together)
    the units' bank reads do not occupy the level's external bandwidth; only the op's inputs and
    outputs cross it;
``blocked`` (Samsung HBM-PIM all-bank mode, Kwon et al. ISSCC 2021 / Lee et al.
    ISCA 2021: while the banks compute, the host cannot access that memory)
    a PIM op also *holds* the level for its compute time (``OpCost.hold_s``): the
    stages charge the level ``compute_s`` seconds at its full rate, and the DES
    gives that transfer the level exclusively (non-preemptive): a host transfer
    issued while the PIM op holds the level waits until it is done, then runs
    (a PIM op issued while host transfers are in flight waits for them; later
    arrivals queue behind it, first come first served). The analytic engine
    counts the hold's time but does not queue (its notes say so);
``separate`` (AttAcc, Park et al., ASPLOS 2024; CENT, Gu et al., ASPLOS 2025: the
    PIM memory is its own device, reached over a link)
    the resident operand lives in the PIM device's own memory, organised like
    the named level; the host's memory level carries nothing for a PIM op; its
    inputs and outputs cross ``link`` (which must name a link).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal, Optional

import numpy as np
from pydantic import Field, model_validator

from ..quantity import (
    BytesPerSecond,
    Hertz,
    Joules,
    JoulesPerBit,
    PositiveFloat,
    PositiveInt,
    PositiveWatts,
    Seconds,
    PositiveSquareMeters,
    Watts,
)
from ..dtypes import DTYPE_BYTES
from ..errors import CapacityError, involving
from ..units import si
from .base import Component, ComponentConfig, OpArrays, OpCost, Plan, add_stored, row_pieces
from .hierarchy import add_landed, backed_reads
from .pim_notes import (POOLS, as_stored, as_stored_note, bag_note, claims_words, format_scale, held_format_note,
                        held_tensor_bytes, kv_stored_note, mac_starved_note, max_rows_note, max_rows_verdict, no_cache_note,
                        plain_input_note, streaming_note, time_alone)

#: what the units may claim (see the module docstring)
CLAIMS = ("weights", "kv_cache", "embedding")
#: how host and units share the memory (see the module docstring)
SHARING = ("concurrent", "blocked", "separate")


class PIMConfig(ComponentConfig):
    """Near-bank processing units (HBM-PIM / AiM class) in one memory level."""

    type: Literal["pim"] = Field(default="pim", description="Component type.")
    memory: Optional[str] = Field(default=None, description="The memory level the units sit in "
                                  "(default: the backing store, the last level).")
    units_per_channel: PositiveInt = Field(description="Processing units per memory channel.")
    clock: Hertz = Field(description="Clock of a processing unit.")
    macs_per_cycle: PositiveFloat = Field(description="MACs per cycle of one unit.")
    internal_bandwidth: Optional[BytesPerSecond] = Field(
        default=None, description="Bank bandwidth available to one unit (give this, or "
        "banks_per_unit and bank_bandwidth).")
    banks_per_unit: Optional[PositiveInt] = Field(
        default=None, description="Banks one unit reads in parallel (bank-level parallelism; "
        "with bank_bandwidth, instead of internal_bandwidth).")
    bank_bandwidth: Optional[BytesPerSecond] = Field(
        default=None, description="Read bandwidth of one bank into its unit (column access "
        "width / tCCD); with banks_per_unit.")
    power_cap: Optional[PositiveWatts] = Field(
        default=None, description="Largest average dynamic power of all units over an op "
        "(MACs + internal reads); ops that would exceed it run slower. None: no cap.")
    precision: Optional[Literal["fp32", "fp16", "bf16", "int8"]] = Field(
        default=None, description="The number format the units compute in, whatever the ops' "
        "dtype (Aquabolt-XL's FP16 SIMD: fp16): its operands lie in the banks and cross the "
        "bus in it (bytes scaled from the ops' dtype; a widened operand's bytes count in the "
        "footprint); ops of another dtype are marked a "
        "precision mismatch. None: the ops' own dtype.")
    energy_per_mac: Joules = Field(description="Energy of one MAC in a unit.")
    energy_per_bit: JoulesPerBit = Field(description="Energy per bit read from the banks internally.")
    max_rows: PositiveInt = Field(default=1, description="Largest activation row count treated "
                                  "as GEMV-shaped: batch x m for a weight, m per product for a KV cache.")
    claims: list[Literal["weights", "kv_cache", "embedding"]] = Field(
        default=["weights"], description="What the units compute on: 'weights' (matmuls with a "
        "stationary weight), 'kv_cache' (matmuls whose B operand is a model input already in "
        "memory, e.g. attention over the KV cache), 'embedding' (embedding bags: row gathers "
        "pooled by sum or mean, the rows read in the banks, RecNMP / TensorDIMM).")
    sharing: Literal["concurrent", "blocked", "separate"] = Field(
        default="concurrent", description="How host and units share the memory: concurrent "
        "(dual row buffers, NeuPIMs), blocked (all-bank mode, Samsung HBM-PIM), separate (own "
        "device over `link`, AttAcc/CENT).")
    link: Optional[str] = Field(default=None, description="The link between host and PIM device "
                                "(separate sharing only; default: the architecture's only link).")
    channels: Optional[PositiveInt] = Field(
        default=None, description="Channels of the PIM device's own memory, which sets its units "
        "(units_per_channel x channels; separate sharing only: a UPMEM system's DIMMs apart from "
        "the host's DDR). Default: the channels of the level named by `memory`. Its memory "
        "holds that level's capacity per channel x these channels.")
    op_overhead: Seconds = Field(default="0 s", description="Host dispatch cost per PIM op.")
    static_power: Watts = Field(default="0 W", description="Idle power of all units.")
    area_per_unit: Optional[PositiveSquareMeters] = Field(default=None, description="Logic area of one "
                                                  "processing unit (in the DRAM die).")

    @model_validator(mode="after")
    def _one_bandwidth(self) -> "PIMConfig":
        banks = (self.banks_per_unit is not None, self.bank_bandwidth is not None)
        if banks[0] != banks[1]:
            raise ValueError("give banks_per_unit and bank_bandwidth together")
        if banks[0] == (self.internal_bandwidth is not None):
            raise ValueError("give exactly one of internal_bandwidth and "
                             "(banks_per_unit, bank_bandwidth)")
        if not self.claims or len(set(self.claims)) != len(self.claims):
            raise ValueError(f"claims must list each of {', '.join(CLAIMS)} at most once, and "
                             "at least one")
        if (self.link is not None or self.channels is not None) and self.sharing != "separate":
            raise ValueError("link and channels are used only with sharing: separate (the "
                             "units sit in the level's own channels otherwise)")
        return self


class PIM(Component[PIMConfig]):
    type_name = "pim"
    Config = PIMConfig
    priority = 20
    accuracy_arithmetic = "exact"
    energy_parts = ("compute",)
    #: ``banks``: the units' bank-reading time over the run (resident bytes / internal bandwidth);
    #: ``busy``: the share of the run a PIM server has an op in flight (its bank and MAC time,
    #: its ``op_overhead`` and any wait inside the op), as ``processor_busy`` is the processor's
    utilizations = ("mac", "banks", "busy")
    #: ``bank_bytes``: bytes the units read inside the banks over the run (each op's resident
    #: operand, its weight or the KV cache, in the units' format): traffic that never crosses
    #: the level's external bus, so no ``<level>_bytes`` counts it
    facts = MappingProxyType({"bank_bytes": 0.0})
    label = "PIM"

    @property
    def compute_parts(self):
        """``banks``: an op's bank reads where they outlast its MACs, class memory (the banks,
        not compute); with a ``power_cap``, ``power``: the time the cap adds to an op above its
        MAC and bank time (dynamic energy / cap - max(MAC time, bank time)), class power."""
        return {"banks": "memory", **({"power": "power"} if self.config.power_cap is not None else {})}

    @property
    def level(self) -> str:
        return self.config.memory or self.hw.backing_store

    @property
    def sits_in(self) -> Optional[str]:
        """The level whose dies hold the units (a separate device's memory is its own: None)."""
        return None if self.config.sharing == "separate" else self.level

    @property
    def link(self) -> Optional[str]:
        """The host <-> PIM link (separate sharing), or None."""
        return self.hw.link_named(self.config.link) if self.config.sharing == "separate" else None

    @classmethod
    def cache_link(cls, name, config, links):
        """In separate sharing with ``kv_cache`` claimed, the KV cache lives in the PIM device's
        own memory: a host op's append crosses the device's link (``link``, else the only one)."""
        if config.sharing != "separate" or "kv_cache" not in config.claims:
            return None
        return config.link if config.link is not None else (links[0] if len(links) == 1 else None)

    def cache_memory(self):
        """The PIM device's memory, organised like ``memory``'s level, with ``channels`` of its
        own when given: that level's capacity per channel times the device's channels."""
        if self.hw.cache_link is None or self.hw.cache_link != self.link:
            return None
        capacity, channels = self._device_memory()
        return (f"the PIM device over '{self.link}' ({self.name}.memory {self.level}'s "
                f"capacity per channel x {channels} channels)", capacity)

    def _device_memory(self) -> tuple[float, int]:
        """``(bytes, channels)`` of a separate device's memory: ``memory``'s level's capacity
        per channel times the device's channels (``channels``, else the level's)."""
        lv = self.hw.resource(self.level).config
        channels = self.config.channels or lv.channels
        return lv.capacity / lv.channels * channels, channels

    def check(self):
        if self.level not in self.hw.memory:
            return [(involving("memory", "memory"), f"names no memory level; the architecture has {list(self.hw.memory)}")]
        links = (self.hw.link_errors("link", self.link, "the host and the PIM device")
                 if self.config.sharing == "separate" else [])
        if links:
            return links
        if self.level != self.hw.backing_store:  # what they compute on lies in the backing store
            lie = {"kv_cache": "model inputs", "embedding": "the tables"}
            what = " and ".join(f"{c} (where {lie.get(c, 'the weights')} lie)"
                                for c in self.config.claims)
            return [("memory", f"{what} needs the units in the backing store "
                               f"'{self.hw.backing_store}'; they are in '{self.level}' (set "
                               f"{self.name}.memory to {self.hw.backing_store}, or leave it out)")]
        return []

    @property
    def units(self) -> int:
        channels = self.config.channels or self.hw.resource(self.level).config.channels
        return self.config.units_per_channel * channels

    @property
    def peak_macs(self) -> float:
        """Peak MAC rate of all units, MAC/s."""
        return self.units * self.config.macs_per_cycle * self.config.clock

    @property
    def internal_bandwidth(self) -> float:
        """Bank bandwidth of all units together, B/s (bank-level parallelism when given)."""
        c = self.config
        per_unit = (c.internal_bandwidth if c.internal_bandwidth is not None
                    else c.banks_per_unit * c.bank_bandwidth)
        return self.units * per_unit

    def _input_bytes(self, ops: OpArrays) -> np.ndarray:
        """Bytes each op reads in the banks without a weight (all ops): a weightless matmul's
        second operand where it is a model input (a KV cache; its first operand, the query or
        probabilities, crosses the bus: :meth:`OpArrays.kv_operand_bytes`); without the
        producer columns, every model input it reads."""
        kv = ops.kv_operand_bytes()
        if kv is not None:
            return kv
        n = ops.kind.shape[0]
        if not len(ops.input_ids):
            return np.zeros(n)
        owner = np.repeat(np.arange(n), np.diff(ops.input_ptr))
        return np.bincount(owner, weights=ops.tensor_bytes[ops.input_ids], minlength=n)

    def _kv_mask(self, ops: OpArrays) -> np.ndarray:
        """Matmuls (rows > 0) without a stationary weight that read a model input, GEMV-shaped
        per product."""
        with np.errstate(divide="ignore", invalid="ignore"):
            m = np.where(ops.batch > 0, ops.rows / ops.batch, 0.0)
        return ((ops.rows > 0) & (ops.stationary < 0) & (self._input_bytes(ops) > 0)
                & (m <= self.config.max_rows))

    def claim(self, ops: OpArrays, free):
        c = self.config
        mine = np.zeros_like(free)
        if "weights" in c.claims:
            mine |= (ops.stationary >= 0) & (ops.rows <= c.max_rows)
        if "kv_cache" in c.claims:
            mine |= self._kv_mask(ops)
        if "embedding" in c.claims:
            mine |= self._bags(ops)
        return free & mine & ops.mac_dtype_ok()  # no int64 / complex matmul

    @staticmethod
    def _bags(ops: OpArrays) -> np.ndarray:
        """Row gathers pooled by sum or mean (:attr:`OpArrays.gather_pool`) from a table that
        is a weight: what the ``embedding`` claim takes."""
        if ops.gather_pool is None:
            return np.zeros(ops.kind.shape[0], dtype=bool)
        return np.isin(ops.gather_pool.astype(str), POOLS) & (ops.weight_bytes > 0)

    @staticmethod
    def _join(*notes) -> Optional[str]:
        return "; ".join(n for n in notes if n) or None

    def _host_attention_note(self, ops: OpArrays, free, took) -> Optional[str]:
        """With ``kv_cache`` claimed, in a workload that reads a KV cache: how many free
        weightless matmuls stay on the host because their second operand is no KV cache
        (:meth:`OpArrays.kv_operand_bytes`), None if none; not those whose operand this run
        projected (a prefill's fresh K and V: :meth:`OpArrays.second_operand_origin`)."""
        kv = self._input_bytes(ops)
        if "kv_cache" not in self.config.claims or not (kv > 0).any():  # a step that reads a cache
            return None
        left = free & ~took & (ops.rows > 0) & (ops.stationary < 0) & (kv <= 0)
        if ops.backward is not None:
            left &= ~ops.backward
        origin = ops.second_operand_origin()
        fresh, cat = origin if origin is not None else (np.zeros_like(left), np.zeros_like(left))
        left &= ~fresh
        plain = ops.plain_input_operands()  # a plain model input: plain_input_note's
        if plain is not None:
            left[plain[0]] = False
        if not left.any():
            return None
        why = "e.g. activations"
        if (left & cat).any():
            why = (f"{int((left & cat).sum())} read a cache through its concatenation with the "
                   "step's new row" + (", as an encoder-decoder's decoder step reads its "
                   "self-attention cache (--serve, which reads it in place, is decoder-only)"
                   if ops.encoder_decoder else " (trace with --serve to read it in place)"))
        return (f"{int(left.sum())} matmul(s) without a weight stay on the host: their second "
                "operand is no KV cache (a model input given as a cache, read as it is or through a "
                f"scaled or transposed copy): {why}")

    def claim_note(self, ops: OpArrays, free, took):
        """How many of the ``free`` ops of the kinds it claims it left for having more rows
        than ``max_rows`` (batch x m for a weight, m per product for a KV cache), the most
        rows among them and the field to raise; None when it left none."""
        c = self.config
        bags = self._join(bag_note(self.name, c.claims, ops, free, took), self._host_attention_note(ops, free, took),
                          plain_input_note(self.name, c.claims, ops, free & ~took),
                          streaming_note(self.name, ops, free, took),
                          no_cache_note(self.name, c.claims, ops, free, took, self._input_bytes(ops)))
        kind, rows = self._row_kinds(ops, free)
        past = kind & (rows > c.max_rows)
        if not past.any():
            return bags
        return max_rows_note(self.name, c.max_rows, int((took & kind).sum()), int(kind.sum()), rows, past, bags)

    def _row_kinds(self, ops: OpArrays, free):
        """``(kind, rows)``: the ``free`` matmuls of the kinds it claims whatever their rows
        (a dtype it computes in) and their rows (batch x m for a weight, m per product for a KV cache)."""
        c = self.config
        kind = np.zeros_like(free)
        rows = np.zeros(kind.shape[0])
        if "kv_cache" in c.claims:
            kv = (ops.rows > 0) & (ops.stationary < 0) & (self._input_bytes(ops) > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                rows = np.where(kv, np.where(ops.batch > 0, ops.rows / ops.batch, 0.0), rows)
            kind |= kv
        if "weights" in c.claims:
            w = ops.stationary >= 0
            rows = np.where(w, ops.rows, rows)
            kind |= w
        return kind & free & ops.mac_dtype_ok(), rows  # not an int64 / complex matmul

    def rate_notes(self, run) -> list[str]:
        """The matmuls it left on a lower-priority component for their rows: their time alone on
        its units (its cost model at the run's rates) against the host's in this run, and the
        ``max_rows`` that gains most (:func:`max_rows_verdict`; find-E 1)."""
        pl, c = run.placement, self.config
        ops, me = pl.arrays, next(i for i, k in enumerate(pl.components) if k is self)
        below = [i for i, k in enumerate(pl.components) if i != me and k.priority <= self.priority]
        kind, rows = self._row_kinds(ops, np.isin(pl.component, below))
        starved = mac_starved_note(self, run, self._kv_mask(ops), rows)  # find-B 2
        idx = np.flatnonzero(kind & (rows > c.max_rows))
        if not len(idx):
            return [starved] if starved else []
        rate = dict(zip(run.costs.resources, run.rates.tolist()))
        # the units' launch as the run charges it (find-B 1): one per launch group on them (a
        # layer-step's per-request scores are one PIM command), not one per op; the host's
        # latency here is already the run's, once per group. Their time as the run charges it
        # (review P 2): in blocked sharing the bus and then the MACs, one after the other
        unit = pl.component.copy()
        unit[idx] = me
        pays = ops.payers(unit)[idx] == idx
        units = time_alone(self, ops, idx, rate, pays)
        host = np.maximum(run.costs.compute_s[idx], run.costs.transfer_s(run.resource_s[idx])) + run.costs.latency_s[idx]
        return [max_rows_verdict(self.name, c.max_rows, rows[idx], units, host, pays)] + ([starved] if starved else [])

    def claims_words(self) -> str:
        return claims_words(self.config.claims)

    def place(self, ops: OpArrays, idx):
        # a single GEMV (one activation row) needs its input before the banks compute and
        # returns its output after: its I/O and compute are serial; with more rows the next
        # row's input overlaps this one's compute, but for the first row's input and the
        # last row's share of the bank time (cost(): pieces). In blocked sharing the hold
        # already makes them serial on the level (io / rate + compute)
        c = self.config
        need = self.device_bytes(ops, idx)  # with a KV cache too, the placement checks both
        if need and "kv_cache" not in c.claims:
            have, channels = self._device_memory()
            if need > have:
                raise CapacityError(
                    f"{self.name}: the weights its units compute on ({si(need, 'B')} in their "
                    f"format) lie in the PIM device's memory over '{self.link}', which holds "
                    f"{si(have, 'B')} ({self.name}.memory {self.level}'s capacity per channel x "
                    f"{channels} channel(s)): raise {self.name}.channels")
        # what each op reads in the banks: the rooflines' roof at the internal bandwidth, and
        # the run's pim_bank_bytes fact
        resident = self._resident_bytes(ops, idx)
        plan = Plan.one_server(len(idx), op_columns={"banks_bytes": resident},
                               summary={"bank_bytes": float(resident.sum())})
        if self.config.sharing != "blocked":
            plan.serial[:] = ops.rows[idx] <= 1
        if c.precision is not None:  # its own format, wider than the ops': what it holds and sends
            held = self.held_bytes(ops, idx)
            wide = np.zeros(len(ops.tensor_bytes), dtype=bool) if held is None else held > ops.tensor_bytes
            scale = np.broadcast_to(self._format_scale(ops, idx), idx.shape)
            reads = self._held_tensors(ops, idx, self._format_scale(ops, idx, True) > 1)  # reading a widened one
            widened = {str(dt): DTYPE_BYTES[str(dt)] for dt in np.unique(ops.dtype[idx][reads])} \
                if wide.any() else {}
            out = self._out_bytes(ops, idx)
            note = held_format_note(self.name, c.precision, ops, wide, widened, float(out.sum()),
                                    float((out * scale).sum()), c.sharing == "separate")
            weighted = self._weighted(ops, idx)
            stored = as_stored_note(self.name, c.precision, ops, idx, as_stored(ops, idx, weighted))
            plan.notes.extend(n for n in (note, stored, kv_stored_note(self.name, c.precision, ops, idx, weighted)) if n)
        return plan

    def _held_tensors(self, ops: OpArrays, idx, sel) -> np.ndarray:
        """bool per op of ``idx``: ``sel`` and it reads a weight or a KV cache in the banks."""
        return sel & (self._weighted(ops, idx) | (self._input_bytes(ops)[idx] > 0))

    def _weighted(self, ops: OpArrays, idx) -> np.ndarray:
        """bool per op of ``idx``: it reads a resident weight (a bag: its gathered rows)."""
        return (ops.stationary[idx] >= 0) | self._bags(ops)[idx]

    def held_bytes(self, ops: OpArrays, idx) -> Optional[np.ndarray]:
        """By tensor id: the bytes of the weights and KV caches its ops ``idx`` hold in the
        banks in its own format (``precision``; a tensor at its first reader's); a separate
        device's caches only (its weights are :meth:`device_bytes`), None without a format of
        its own. A narrower format takes nothing off: the placement keeps the larger, the
        workload's (an upper bound)."""
        c = self.config
        if c.precision is None or not len(idx):
            return None
        held = held_tensor_bytes(ops, idx, self._format_scale(ops, idx, True), self._weighted(ops, idx),
                                 ops.kv_tensors())
        if c.sharing == "separate":
            held[ops.weight_ids] = 0.0
        return held

    def device_bytes(self, ops: OpArrays, idx) -> float:
        """A separate device's resident weights (``claims: [weights]``), in the units' format."""
        c = self.config
        if c.sharing != "separate" or "weights" not in c.claims or not len(idx):
            return 0.0
        st = ops.stationary[idx]
        fmt = np.broadcast_to(self._format_scale(ops, idx, True), st.shape)
        ws, first = np.unique(st[st >= 0], return_index=True)
        return float((ops.tensor_bytes[ws] * fmt[st >= 0][first]).sum())

    def _format_scale(self, ops: OpArrays, idx, held: bool = False):
        """Bytes in the units' format per byte of the ops' dtype (:func:`format_scale`);
        ``held``: per byte of the operand each op holds in the banks (a weight as stored)."""
        return format_scale(self.config.precision, ops, idx, self._weighted(ops, idx) if held else None)

    def _resident_bytes(self, ops: OpArrays, idx) -> np.ndarray:
        """Bytes each op reads in the banks, in the units' format: the resident operand, the weight,
        else the model inputs (KV cache); a bag's row for every lookup, repeats included
        (:attr:`OpArrays.lookup_bytes`: no cache; a bag stating no lookups, its distinct rows)."""
        weighted = self._weighted(ops, idx)  # a bag: its gathered rows
        kv = self._input_bytes(ops)[idx]
        held = ops.weight_bytes[idx]
        if ops.lookup_bytes is not None and ops.random_read_bytes is not None:
            rr = ops.random_read_bytes[idx]  # as the workload stores them (--dtype): held / rr
            with np.errstate(divide="ignore", invalid="ignore"):
                looked = ops.lookup_bytes[idx] * held / rr
            held = np.where(self._bags(ops)[idx] & np.isfinite(looked) & (rr > 0), looked, held)
        return np.where(weighted, held, kv) * self._format_scale(ops, idx, True)

    def _out_bytes(self, ops: OpArrays, idx) -> np.ndarray:
        """Bytes each op of ``idx`` sends out: its outputs; an embedding bag's pooled rows only
        (its first output, B x dim: the units make none of ``aten._embedding_bag``'s bag-size
        and offset by-products)."""
        out = ops.act_out_bytes[idx]
        bag = self._bags(ops)[idx]
        if ops.first_out is None or not bag.any():
            return out
        return np.where(bag, ops.tensor_bytes[ops.first_out[idx]], out)

    def _pool_ops(self, ops: OpArrays, idx) -> np.ndarray:
        """Per op of ``idx``: an embedding bag's adds (L - 1 per pooled element of a sum: its
        vector work, one per gathered element, less one per pooled element; a mean's divide
        and a per-sample weight's multiply stay counted), each one MAC lane-cycle; 0 for
        the other ops."""
        bag = self._bags(ops)[idx]
        if not bag.any():
            return np.zeros(len(idx))
        size = np.array([DTYPE_BYTES[str(d)] for d in ops.dtype[idx]], dtype=np.float64)
        first = np.where(ops.gather_pool[idx].astype(str) == "sum", self._out_bytes(ops, idx) / size, 0.0)
        return np.where(bag, np.maximum(ops.vector_ops[idx] - first, 0.0), 0.0)

    def internal_bandwidths(self):
        """The banks, read at :attr:`internal_bandwidth` (op column ``banks_bytes``)."""
        return {"banks": self.internal_bandwidth}

    def cost(self, ops: OpArrays, idx, plan):
        c = self.config
        # an embedding bag's adds run on the MAC lanes; its rows are resident like a weight
        macs = ops.macs[idx] + self._pool_ops(ops, idx)
        weighted = self._weighted(ops, idx)
        kv = self._input_bytes(ops)[idx]
        fmt = self._format_scale(ops, idx)
        # the resident operand: the weight, else the model inputs (KV cache) read in the banks
        resident = self._resident_bytes(ops, idx)
        # what crosses the bus, in the units' format: the inputs and results; a bag's inputs
        # are integer ids and offsets, whose bytes no number format changes: its result only
        io = np.where(self._bags(ops)[idx], ops.act_in_bytes[idx] + self._out_bytes(ops, idx) * fmt,
                      (ops.act_in_bytes[idx] + self._out_bytes(ops, idx) - np.where(weighted, 0.0, kv)) * fmt)
        e_compute = macs * c.energy_per_mac + resident * 8.0 * c.energy_per_bit
        t_mac, t_banks = macs / self.peak_macs, resident / self.internal_bandwidth
        compute = uncapped = np.maximum(t_mac, t_banks)
        # the banks are their reads' time where these outlast the MACs (ties go to the banks),
        # whether or not the power cap stretches the op beyond it
        parts = {"banks": np.where((t_banks > 0) & (t_banks >= t_mac), t_banks, 0.0)}
        if c.power_cap is not None:
            compute = np.maximum(uncapped, e_compute / c.power_cap)
            parts["power"] = compute - uncapped  # what the cap adds: power-bound time
        if c.sharing == "separate":
            where = self.link
            access = self.hw.latency_of(where)
        else:
            where = self.level
            access = self.hw.resource(self.level).latency_s()
        hold = {self.level: compute} if c.sharing == "blocked" else {}
        # the host writes the operands into the units and reads their results back: on the
        # memory level the inputs are writes; over a separate device's link the units take
        # the inputs in (reads) and send the results out (writes)
        out = self._out_bytes(ops, idx) * fmt
        nbytes = {where: io}
        written = {where: np.clip(io - out if where == self.level else out, 0.0, io)}
        # what the host stored in the backing store it reads back first (hierarchy rule 7)
        back, backed = self.hw.backing_store, backed_reads(ops, idx)
        nbytes[back] = nbytes.get(back, 0.0) + backed
        # and its results a host op reads from there it writes there (hierarchy rule 8)
        landed = add_landed(ops, idx, back, nbytes, written)
        access = np.maximum(access, np.where((backed > 0) | landed, self.hw.latency_of(back), 0.0))
        if self.hw.cache_link is None or self.hw.cache_link != self.link:
            add_stored(ops, idx, self.hw.store_target, nbytes, written, fmt)  # in the units' format
        # (a device holding the cache itself appends its own ops' rows in its own memory)
        return OpCost(
            compute_s=compute,
            latency_s=c.op_overhead + access + np.zeros(len(idx)),
            bytes=nbytes,
            write_bytes=written,
            energy={"compute": e_compute},
            busy={"mac": t_mac, "banks": t_banks},
            compute_parts=parts,
            hold_s=hold,
            # (one-row ops are serial: pieces only where an op has more rows)
            pieces=row_pieces(ops.rows[idx]) if c.sharing != "blocked" and (ops.rows[idx] > 1).any()
            else None,
        )

    def fixed_totals(self):
        """``static_power`` is the idle power of all units, one total (``area_per_unit`` scales)."""
        p = float(self.config.static_power)
        return {"static_power": ("units", self.units, p, "W")} if p > 0 else {}

    def area_m2(self):
        a = self.config.area_per_unit
        return {"units": a * self.units} if a is not None else {}

    def peak_macs_per_s(self, dtype):
        return self.peak_macs

    def compute_dtype(self):
        return self.config.precision
