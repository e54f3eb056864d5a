"""``type: dram``: a memory level whose sustained bandwidth depends on the access pattern,
from JEDEC timing parameters (:mod:`.jedec`), in closed form (sweep speed: a handful of
floating-point operations per pattern).

Per data bus (a channel, DDR5 sub-channel or HBM pseudo-channel; ``channels`` of them, all
alike and independent), with every timing in command-clock cycles ``tCK``:

- **peak** = bus width x data rate (``bus_bits * rate / 8``, Ramulator 2's peak);
- **refresh**: every ``tREFI`` an all-bank refresh stalls the bus for the row closed, the
  refresh and the row re-opened, ``tRTP + tRP + tRFC + tRCD`` (Ramulator 2's refresh penalty),
  so ``E_ref = 1 - (tRTP + tRP + tRFC + tRCD) / tREFI``;
- **streaming**: consecutive bursts rotate over the bank groups, so one burst costs
  ``max(tBL, tCCD_S, tCCD_L / bank_groups)`` and ``E_ccd = tBL / that``;
- **read/write mix** (reads a fraction ``r`` of the bytes): the controller drains writes in
  batches of ``write_batch`` bursts; each batch costs one read-to-write and one write-to-read
  turnaround, during which the data bus idles ``t_rw = max(0, tRTW + tCWL - tCL - tBL)`` and
  ``t_wr = tCL + tWTR_S`` cycles. Per burst that is ``min(r, 1 - r) / write_batch`` turnaround
  pairs, so ``E_mix = tBL / (tBL + min(r, 1 - r) * (t_rw + t_wr) / write_batch)``;
- **random accesses** of ``S`` bytes each open a row: ``b = ceil(S / burst_bytes)`` bursts per
  access, and activations are limited to one per ``tRRD_S``, four per ``tFAW``, one per bank
  per bank cycle and, rotating over the bank groups, one per group per ``tRRD_L``: ``t_act =
  max(tRRD_S, tFAW / 4, t_bank / banks, tRRD_L / bank_groups)``. A read holds its bank one
  ``tRC``; a write holds it until its data is written back and the row precharged, ``t_wbank =
  tRCD_WR + tCWL + b x tBL + tWR + tRP`` (or ``tRC`` if longer), so ``t_bank = r x tRC + (1 -
  r) x max(tRC, t_wbank)`` (LPDDR5 one-burst writes: 15 + 9 + 2 + 28 + 15 = 69 CK against
  tRC 49). With rows left open, each
  access also puts a precharge, an activation and ``b`` column commands on the command bus
  (CK per command from the preset: ``cmd_pre``, ``cmd_act``, ``cmd_rd`` / ``cmd_wr``, see
  :mod:`.jedec`), and a command bus serves ``k = buses_per_cmd_bus`` data buses (HBM: the two
  pseudo-channels of a channel), so per data bus ``t_cmd = k x (cmd_pre + cmd_act + b x
  cmd_col)`` on one bus, or ``t_cmd = k x max(cmd_pre + cmd_act, b x cmd_col)`` where row and
  column commands have separate buses (``split_cmd_bus``, HBM), with ``cmd_col = r x cmd_rd +
  (1 - r) x cmd_wr``. One access takes ``max(b * tBL / (E_ccd * E_mix), t_act, t_cmd)`` cycles
  and moves ``S`` useful bytes. (HBM2: ACT is 2 CK on the row bus, so a random access costs 3
  CK of the channel's row bus, one access per 6 CK per pseudo-channel; LPDDR5: PRE + ACT-1 +
  ACT-2 + ``b`` RD.) A stream puts one column command per burst on the command bus: a burst
  costs ``max(burst cycles / E_mix, k x cmd_col)`` (every preset's ``k x cmd_col <= tBL``, so
  the command term binds only where a level's own ``cmd_*`` makes it; a random access, which
  pays the column commands and PRE + ACT, is then never faster than a stream).

**Finite controller window** (``read_buffer`` stated; default ``null``, the closed form
above, an ideal scheduler that always finds a ready access): a random pattern's efficiency
is instead the data-bus utilisation of a cycle-level simulation of the controller of one
command bus with ``read_buffer`` / ``write_buffer`` requests (:mod:`.dramwindow`: FR-FCFS,
write-mode watermarks, per-bank, bank-group and bus timing, the command buses above), times
``E_ref``; streaming keeps the closed form. It captures what the max() of separate limits
cannot: bank conflicts among the few accesses a small buffer holds, rows closed under an
access's later requests, and read/write mode switches (Ramulator 2.1 random runs within
10 % where the closed form is up to 64 % too fast; ``cimsim validate -s dram``).

The JEDEC ceiling is ``D(pattern) = channels x S / (time per access) x E_ref`` (streaming:
``S`` = one burst, no activation limit). ``sustained_fraction`` (``f``) is the one per-platform
number fitted to a measured maximum; where it acts is a stated part of the platform
(``cap_kind``):

- ``controller`` (default): the loss is data-bus time the controller's scheduling leaves idle
  (row conflicts between many streams, queue limits), so it scales every ceiling:
  ``rate = f x D(pattern)``;
- ``fabric``: the limit is a separate server in series with the DRAM channels (an on-chip
  network, an I/O die, the cores' outstanding misses), which moves bytes at a fixed rate
  whatever the DRAM does with them, so it does not multiply the DRAM's turnaround or
  activation losses: ``rate = min(f x D(all-read stream), D(pattern))``; the DRAM's own losses
  show only where they bring its ceiling under the fabric's.

With ``f = 1`` both are the JEDEC ceilings. The engine shares the
:data:`~cimsim.hw.base.STREAM` rate; an op
that states another pattern (tags ``access_bytes`` / ``read_fraction``) is charged its own
rate (:func:`cimsim.pipeline.pattern_scale`).

**Loaded latency** (``loaded_latency``; default ``none``: the ``latency`` field whatever the
load). The engine gives a transfer that shared the level an extra latency, a function of ``u``,
the share of the level's rate other transfers used while it was in flight
(:mod:`cimsim.engine.des`); the level gives that function:

- ``queue``: an M/D/1 queue whose server is one row cycle, ``S = tRC`` of the preset, on a
  capacity ``queue_headroom`` times the level's sustained rate: the mean wait
  ``S / 2 * x / (1 - x)``, ``x = u / queue_headroom``. The headroom says that the measured
  maximum is short of the queue's capacity (a closed system: the cores' outstanding misses
  run out first), so the latency at the maximum stays finite. Its default, 1.25, is the one
  number fitted (least squares, Mess-Results MN5-GPP at 100 % reads, points up to 90 % of the
  maximum); ``cimsim validate -s dram`` predicts the other platforms and read ratios with it.
- ``measured``: a measured bandwidth-latency curve (``measured_curve``, one of the
  Mess-Results curves in ``data/validation/mess_latency_curves.csv``), as data: ``u`` =
  bandwidth / the curve's maximum, extra = latency - the curve's idle latency.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Optional

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ...quantity import Joules, NonNegativeFloat

from ..base import RATE, STREAM, Fraction, MemoryLevel, MemoryResource, Pattern, PositiveInt
from .dramtimings import (MAX_ORGANISATION, MAX_TIMING, ORGANISATION, POSITIVE_TIMINGS,  # noqa: F401
                          TIMING_FIELDS, WHOLE_TIMINGS, _consistent, _domain, check_standard,
                          timing_numbers)
from .jedec import TIMINGS, Jedec

#: the largest energy_per_activation a level may state, J (published ACT/PRE energies are 1 to
#: 20 nJ a row: a DDR4 x8 die about 1 nJ by Micron TN-40-07's IDD0 method)
MAX_ACTIVATION_J = 1e-6

if TYPE_CHECKING:  # a preset's name: the names are the table's keys, known at run time
    Standard = str
else:
    Standard = Literal[tuple(TIMINGS)]

#: measured bandwidth-latency curves (Mess-Results), one row per point
MESS_CURVES = Path(__file__).resolve().parents[2] / "data" / "validation" / "mess_latency_curves.csv"
#: the queue model's grid of u at which its curve is tabulated for the engine
QUEUE_POINTS = 65


@lru_cache(maxsize=1)
def mess_curves() -> dict[str, tuple[list[float], list[float], str]]:
    """``"<system>@<read %>"`` -> (bandwidths B/s, latencies s, source), idle point first."""
    out: dict[str, tuple[list[float], list[float], str]] = {}
    with open(MESS_CURVES, newline="") as f:
        for r in csv.DictReader(line for line in f if not line.startswith("#")):
            b, lat, _ = out.setdefault(f"{r['system']}@{r['read_pct']}", ([], [], r["path"]))
            b.append(float(r["bandwidth_gbps"]) * 1e9)
            lat.append(float(r["latency_ns"]) * 1e-9)
    return out


def measured_extra_latency(name: str) -> tuple[list[float], list[float]]:
    """A measured curve as ``(u, extra_s)``: ``u`` = bandwidth / the curve's maximum, extra =
    latency - the idle latency, over the points where the bandwidth still rises."""
    bw, lat, _ = mess_curves()[name]
    u, extra = [0.0], [0.0]
    top = max(bw)
    for b, t in zip(bw[1:], lat[1:]):
        if b / top > u[-1]:
            u.append(b / top)
            extra.append(t - lat[0])
        if b == top:
            break
    return u, extra


def queue_wait_s(u: float, service_s: float, headroom: float) -> float:
    """M/D/1 mean wait at load ``x = u / headroom``: ``service / 2 * x / (1 - x)``."""
    x = u / headroom
    return service_s / 2.0 * x / (1.0 - x)


class DramLevel(MemoryLevel):
    """A DRAM level from a JEDEC preset: its bandwidth follows the access pattern."""

    type: Literal["dram"] = Field(default="dram", description="Resource type: dram (JEDEC timing "
                                  "ceilings by access pattern).")
    channels: PositiveInt = Field(default=1, description="Data buses of the preset's width: DDR4 "
                                  "channels, DDR5 32-bit sub-channels (2 per DIMM channel), LPDDR5 / "
                                  "GDDR6 16-bit channels, HBM pseudo-channels; near-bank PIM units "
                                  "are replicated per bus.")
    standard: Standard = Field(description="JEDEC standard and speed bin of the preset (timings "
                               "from Ramulator 2's presets), or a part with its own rate and "
                               "organisation: " + ", ".join(TIMINGS) + ".",
                               json_schema_extra=RATE)
    timings: dict[str, NonNegativeFloat] = Field(
        default_factory=dict, description="The level's own values over the preset's, by the "
        "preset's field names (cimsim.hw.memory.jedec.Jedec), e.g. {n_faw: 64, n_refi: 18750} or a "
        "faster bin {rate_mtps: 6400, tck_ps: 312}: timings in CK cycles (n_*), whole numbers >= "
        "0, or as a datasheet's time (n_faw: 20 ns, tck_ps: 312.5 ps), converted to ceil(t / tCK) "
        "cycles at the level's tck_ps; rate_mtps, tck_ps, bus_bits, burst_length, n_bl, banks, bank_groups, "
        "buses_per_cmd_bus > 0; command CK (cmd_*) > 0; n_rcd, n_rcd_wr, n_cl, n_ras, n_rp, n_rc > "
        "0, n_ras >= n_rcd, n_rc >= n_ras + n_rp - 1, n_rrd_l >= n_rrd_s, n_ccd_l >= n_ccd_s, "
        "n_wtr_l >= n_wtr_s. In the closed form random reads are bound by n_rc, n_rrd_*, n_faw "
        "(a stream by bursts, its column commands, turnarounds and refresh); n_ras enters only "
        "through the rule n_rc >= n_ras + n_rp - 1 (and the window model's PRE), n_rcd only through "
        "refresh's cost (and the window model's ACT to read); n_rcd_wr and n_wr bound random "
        "writes (a written bank is held n_rcd_wr + n_cwl + b x n_bl + n_wr + n_rp); n_wtr_l and the "
        "write and PRE timings n_ccd_s_wr, n_ccd_l_wr, n_ppd and LPDDR5's n_aad (> 0) are read by "
        "the controller-window model (read_buffer) only, default the preset's. n_rfc: 0 turns "
        "refresh off (E_ref = 1). row_bytes (> 0, whole bursts, at most one bank of a die: "
        "density_mbit / banks) is the row (page) behind one data "
        "bus, bytes: a random access's activations (energy_per_activation) and the window model's "
        "layout of an access past 512 B read it. density_mbit, stated for reference, is refused.",
        json_schema_extra=RATE)
    sustained_fraction: Fraction = Field(
        default=1.0, description="Per-platform cap, fitted once to a measured maximum: the fraction "
        "of the JEDEC ceilings the memory controller sustains (cap_kind controller), or the "
        "fabric's rate as a fraction of the all-read streaming ceiling (cap_kind fabric).",
        json_schema_extra=RATE)
    cap_kind: Literal["controller", "fabric"] = Field(
        default="controller", description="Where the per-platform cap acts: controller (data-bus "
        "time lost to scheduling: sustained_fraction multiplies every ceiling) or fabric (a "
        "separate bottleneck upstream of the DRAM: the rate is the smaller of sustained_fraction x "
        "the all-read streaming ceiling and the pattern's ceiling).", json_schema_extra=RATE)
    write_batch: PositiveInt = Field(
        default=19, description="Write bursts the controller drains per read/write turnaround "
        "(default: Ramulator 2's GenericDDR controller, 32-entry write buffer drained from 80 % "
        "to 20 %).", json_schema_extra=RATE)
    read_buffer: Optional[PositiveInt] = Field(
        default=None, le=4096, description="Read requests (bursts) the memory controller of one command bus "
        "holds for scheduling (HBM: shared by a channel's two pseudo-channels), requests; with it, "
        "random accesses are simulated through that window (hw/memory/dramwindow.py: FR-FCFS, "
        "write-mode watermarks, bank, command and data-bus timing). null (default): an ideal "
        "scheduler that always finds a ready access, the closed form. Ramulator 2's controllers "
        "default to 32 (controller_base.cpp read_buffer_size); its HBM2 and HBM3 test cases use "
        "64 and 128; at most 4096 (the window is simulated entry by entry).", json_schema_extra=RATE)
    write_buffer: PositiveInt = Field(
        default=32, le=4096, description="Write requests (bursts) the same controller holds, requests; "
        "write mode from above 80 % to below 20 % of it (used with read_buffer only; default: "
        "Ramulator 2's 32, controller_base.cpp write_buffer_size, wr_high/low_watermark; at most "
        "4096).",
        json_schema_extra=RATE)
    energy_per_activation: Optional[Joules] = Field(
        default=None, description="Energy of one row activation and its "
        "precharge (an ACT/PRE pair), J, e.g. '1 nJ' (IDD0 method, Micron TN-40-07; at most 1 uJ); "
        "charged per activation a random access opens beyond a stream's (energy_per_bit is a "
        "streaming figure with one activation per row_bytes amortised in it): the rows the time "
        "model's layout opens (1 up to 512 B, then per bank group its bytes over row_bytes, "
        "rounded up; with read_buffer the controller window's own activations) less S / "
        "row_bytes per access of S bytes (64 B on a 1 KB row: 0.9375; 768 B: 2 - 0.75 = 1.25); "
        "streams as given. null (default): none, and runs whose random accesses it would charge "
        "say so in a note.")
    loaded_latency: Literal["none", "queue", "measured"] = Field(
        default="none", description="Latency that grows with load, in the DES: none (the latency "
        "field whatever the load), queue (M/D/1 on one row cycle tRC, capacity queue_headroom x "
        "the sustained rate), measured (the curve measured_curve).", json_schema_extra=RATE)
    queue_headroom: float = Field(
        default=1.25, gt=1.0, le=1e6, allow_inf_nan=False, description="Queue capacity over the level's sustained rate (> 1; queue "
        "model only; default fitted to Mess-Results MN5-GPP at 100 % reads).", json_schema_extra=RATE)
    measured_curve: Optional[str] = Field(
        default=None, description="A measured bandwidth-latency curve, '<system>@<read %>' from "
        "Mess-Results (data/validation/mess_latency_curves.csv; measured model only).",
        json_schema_extra=RATE)

    @field_validator("standard", mode="before")
    @classmethod
    def _standard(cls, v):
        """A name no preset has: the closest, or how to state a newer part (:mod:`.dramtimings`)."""
        return check_standard(v)

    @field_validator("energy_per_activation")
    @classmethod
    def _activation_energy(cls, v):
        """At most :data:`MAX_ACTIVATION_J` (a joule per activation is a unit slip, not a DRAM)."""
        if v is not None and float(v) > MAX_ACTIVATION_J:
            raise ValueError(f"{float(v):.3g} J per ACT/PRE pair is over the 1 uJ allowed: published "
                             "activation energies are 1 to 20 nJ a row (e.g. 1 nJ)")
        return v

    @field_validator("timings", mode="before")
    @classmethod
    def _numbers(cls, v, info: ValidationInfo):
        """Every name a timing's, then each value a plain number in the preset's own unit or a
        time converted to CK (:func:`.dramtimings.timing_numbers`; the domain of each is
        :meth:`_timings`')."""
        return timing_numbers(v, info.data.get("standard"))

    @model_validator(mode="after")
    def _timings(self) -> "DramLevel":
        for k, v in self.timings.items():
            whole = k in WHOLE_TIMINGS
            zero_ok = k.startswith("n_") and k not in POSITIVE_TIMINGS
            if k == "n_aad" and v != TIMINGS[self.standard].n_aad and (
                    TIMINGS[self.standard].n_aad == 0 or v == 0):
                raise ValueError(f"timings: n_aad = {v:g} is not allowed on {self.standard}: it is the "
                                 "ACT-1 to ACT-2 deadline of a two-part activation (LPDDR5), > 0 "
                                 "where the preset has one (n_aad > 0), 0 (the preset's) otherwise")
            if (not math.isfinite(v) or (whole and v != int(v)) or v < 0 or (v == 0 and not zero_ok)
                    or v > MAX_TIMING or (k in ORGANISATION and v > MAX_ORGANISATION)):
                raise ValueError(f"timings: {k} = {v:g} is not allowed; it must be {_domain(k)}")
            if k.startswith("cmd_") and self.read_buffer is not None:
                # the window model runs in ticks of 1 / ticks_per_ck CK; a two-part activation
                # (n_aad > 0, LPDDR5) is two commands of half the ACT time each
                pre = TIMINGS[self.standard]
                two = k == "cmd_act" and self.timings.get("n_aad", pre.n_aad) > 0
                step = (2 if two else 1) / pre.ticks_per_ck
                if abs(v / step - round(v / step)) > 1e-9:
                    raise ValueError(f"timings: {k} = {v:g} is not a whole number of the controller "
                                     f"window's steps (read_buffer simulates {self.standard}'s "
                                     f"{'two-part ' if two else ''}commands in steps of {step:g} CK); "
                                     f"give a multiple of {step:g}")
        if self.timings:
            _consistent(dataclasses.replace(TIMINGS[self.standard], **{
                k: int(v) if k in WHOLE_TIMINGS else float(v) for k, v in self.timings.items()}))
        return self

    @model_validator(mode="after")
    def _loaded_latency(self) -> "DramLevel":
        if self.loaded_latency == "measured" and self.measured_curve is None:
            raise ValueError("measured_curve is missing: loaded_latency: measured reads a measured "
                             f"curve; give one of {', '.join(mess_curves())}")
        if self.measured_curve is not None and self.measured_curve not in mess_curves():
            raise ValueError(f"measured_curve '{self.measured_curve}' is not one of "
                             f"{', '.join(mess_curves())}")
        if self.measured_curve is not None and self.loaded_latency != "measured":
            raise ValueError(f"loaded_latency: measured is missing: measured_curve "
                             f"'{self.measured_curve}' is read only with it (loaded_latency is "
                             f"'{self.loaded_latency}'); set loaded_latency: measured, or drop "
                             "measured_curve")
        given = self.model_fields_set
        if "queue_headroom" in given and self.loaded_latency != "queue":
            raise ValueError(f"queue_headroom is read only with loaded_latency: queue (loaded_latency "
                             f"is '{self.loaded_latency}'); set loaded_latency: queue, or drop "
                             "queue_headroom")
        if "write_buffer" in given and self.read_buffer is None:
            raise ValueError("write_buffer is read only with read_buffer (the simulated controller "
                             "window; without it the closed form's ideal scheduler has no "
                             "buffers); give read_buffer too, or drop write_buffer")
        return self



# ------------------------------------------------------------------ closed forms (per data bus)
def refresh_efficiency(t: Jedec) -> float:
    """``1 - (tRTP + tRP + tRFC + tRCD) / tREFI``: the share of time not lost to refresh; 1
    where ``n_rfc`` is 0 (a level that turns refresh off: no refresh, so no row closed for it)."""
    if t.n_rfc == 0:
        return 1.0
    return 1.0 - (t.n_rtp + t.n_rp + t.n_rfc + t.n_rcd) / t.n_refi


def burst_cycles(t: Jedec) -> float:
    """Cycles per burst of a stream rotating over the bank groups."""
    return max(t.n_bl, t.n_ccd_s, t.n_ccd_l / t.bank_groups)


def turnaround_cycles(t: Jedec) -> float:
    """Data-bus idle cycles of one read-to-write plus one write-to-read turnaround."""
    return max(0, t.n_rtw + t.n_cwl - t.n_cl - t.n_bl) + t.n_cl + t.n_wtr_s


def mix_efficiency(t: Jedec, read_fraction: float, write_batch: int) -> float:
    """Bus efficiency of a read/write mix drained in batches of ``write_batch`` bursts."""
    pairs = min(read_fraction, 1.0 - read_fraction) / write_batch
    return t.n_bl / (t.n_bl + pairs * turnaround_cycles(t))


def write_bank_cycles(t: Jedec, bursts: int) -> int:
    """CK a random write of ``bursts`` bursts holds its bank: ACT to write, write latency, the
    data, write recovery and the precharge, ``tRCD_WR + tCWL + b x tBL + tWR + tRP``."""
    return t.n_rcd_wr + t.n_cwl + bursts * t.n_bl + t.n_wr + t.n_rp


def activation_cycles(t: Jedec, bursts: int = 1, read_fraction: float = 1.0) -> float:
    """Minimum cycles between activations on one data bus: tRRD_S, tFAW / 4, the bank cycle over
    the banks, and tRRD_L / bank_groups (activations rotating over the groups each wait tRRD_L
    in theirs). A read holds its bank one tRC; a write of ``bursts`` bursts the longer of tRC
    and :func:`write_bank_cycles` (write recovery before the precharge); blended by the read
    share ``r`` as the column commands are: ``(r x tRC + (1 - r) x max(tRC, t_wbank)) /
    banks``."""
    bank = (read_fraction * t.n_rc
            + (1.0 - read_fraction) * max(t.n_rc, write_bank_cycles(t, bursts)))
    return max(t.n_rrd_s, t.n_faw / 4, bank / t.banks, t.n_rrd_l / t.bank_groups)


def stream_burst_cycles(t: Jedec, read_fraction: float, write_batch: int) -> float:
    """Cycles per burst of a stream: its data (:func:`burst_cycles` over the mix's
    efficiency) or its column command on the command bus, ``buses_per_cmd_bus x cmd_col``,
    whichever is longer."""
    col = read_fraction * t.cmd_rd + (1.0 - read_fraction) * t.cmd_wr
    return max(burst_cycles(t) / mix_efficiency(t, read_fraction, write_batch),
               t.buses_per_cmd_bus * col)


def command_cycles(t: Jedec, bursts: int, read_fraction: float) -> float:
    """Cycles of one data bus's share of its command bus per random access of ``bursts``
    bursts: ``buses_per_cmd_bus x`` (PRE + ACT + column commands; on a split bus the busier
    of the row and column buses)."""
    return t.buses_per_cmd_bus * t.cmd_cycles(bursts, read_fraction)


def access_cycles(t: Jedec, pattern: Pattern, write_batch: int) -> float:
    """Cycles of one data bus per random access: the largest of its data, activation and
    command-bus limits."""
    per_burst = burst_cycles(t) / mix_efficiency(t, pattern.read_fraction, write_batch)
    bursts = math.ceil(pattern.access_bytes / t.burst_bytes)
    return max(bursts * per_burst, activation_cycles(t, bursts, pattern.read_fraction),
               command_cycles(t, bursts, pattern.read_fraction))


#: bytes of one access kept in one row of one bank before the next bank group / data bus
#: (the controller's interleave granule, bounded by the row); accesses up to it are laid out
#: as Ramulator 2's RoBaRaCoCh runs lay them (one row of one bank: the validated range, up to
#: 512 B), a larger one spreads its granules as a stream's bursts rotate (:func:`granules`)
GRANULE_BYTES = 512


def granule_bursts(t: Jedec) -> int:
    """Bursts of the interleave granule: :data:`GRANULE_BYTES`, or the row if smaller."""
    return max(1, min(GRANULE_BYTES, t.row_bytes) // t.burst_bytes)


def granules(t: Jedec, bursts: int) -> list[int]:
    """The bursts of each granule of an access of ``bursts`` bursts: ``k = ceil(bursts / g)``
    granules of ``g`` = :func:`granule_bursts` at most, as equal as whole bursts allow (the
    first ``bursts mod k`` one burst longer), so that no granule is a lone burst (review 22
    D 2). Granule ``j`` goes to unit ``j mod units`` after the first (units: the command bus's
    data buses x bank groups), on along that unit's rows (:func:`unit_bursts`)."""
    g = granule_bursts(t)
    k = -(-bursts // g)
    q, rem = divmod(bursts, k)
    return [q + 1] * rem + [q] * (k - rem)


def unit_bursts(t: Jedec, bursts: int) -> list[int]:
    """Bursts of an access of ``bursts`` bursts on each unit (a bank group of one data bus) it
    reaches, laid out by :func:`granules`: contiguous on the unit, from the start of a row."""
    units = t.buses_per_cmd_bus * t.bank_groups
    out = [0] * min(units, len(gs := granules(t, bursts)))
    for j, b in enumerate(gs):
        out[j % units] += b
    return out


def rows_opened(t: Jedec, bursts: int) -> int:
    """Rows an access of ``bursts`` bursts opens in that layout: on each unit ceil(its bytes /
    ``row_bytes``), a full row moving on to the next bank of the group (1 up to a granule)."""
    return sum(-(-b * t.burst_bytes // t.row_bytes) for b in unit_bursts(t, bursts))


def efficiency(t: Jedec, pattern: Pattern, write_batch: int, read_buffer: Optional[int] = None,
               write_buffer: int = 32) -> float:
    """Sustained useful bytes per second of one data bus over its peak, for ``pattern``
    (refresh included, no platform cap). With ``read_buffer`` (requests), random patterns go
    through the controller-window simulation (:mod:`.dramwindow`) instead of the closed form."""
    if pattern.random and read_buffer is not None:
        from .dramwindow import simulate as simulate_window  # numba: compiled on first use

        bursts = math.ceil(pattern.access_bytes / t.burst_bytes)
        util, _ = simulate_window(t if t != TIMINGS.get(t.name) else t.name, bursts,
                                  pattern.read_fraction, read_buffer, write_buffer)
        return util * pattern.access_bytes / (bursts * t.burst_bytes) * refresh_efficiency(t)
    if not pattern.random:
        return t.n_bl / stream_burst_cycles(t, pattern.read_fraction, write_batch) * refresh_efficiency(t)
    cycles = access_cycles(t, pattern, write_batch)
    useful_cycles = pattern.access_bytes / t.burst_bytes * t.n_bl  # the bus time of S bytes
    return useful_cycles / cycles * refresh_efficiency(t)


class Dram(MemoryResource):
    type_name = "dram"
    Config = DramLevel

    @property
    def timing(self) -> Jedec:
        """The preset of ``standard``, with the level's own ``timings`` over it."""
        t = TIMINGS[self.config.standard]
        if not self.config.timings:
            return t
        return dataclasses.replace(t, **{k: int(v) if k in WHOLE_TIMINGS else float(v)  # the preset's types
                                         for k, v in self.config.timings.items()})

    def peak_bytes_per_s(self) -> float:
        return self.config.channels * self.timing.bus_bytes_per_s

    def bytes_per_s(self, pattern: Pattern = STREAM) -> float:
        c = self.config
        eff = efficiency(self.timing, pattern, c.write_batch, c.read_buffer, c.write_buffer)
        if c.cap_kind == "controller":
            return self.peak_bytes_per_s() * eff * c.sustained_fraction
        ceiling = self.peak_bytes_per_s() * eff
        fabric = self.peak_bytes_per_s() * efficiency(self.timing, STREAM, c.write_batch) * c.sustained_fraction
        return min(ceiling, fabric)

    def joules_per_byte(self, pattern: Pattern = STREAM) -> float:
        """The level's energy per byte moved on the bus, per useful byte of ``pattern``: a random
        access of S bytes moves ``ceil(S / burst) x burst`` bytes (the over-fetch the time model
        charges too); a stream moves what it uses. Row activations are in the figure as given
        (no per-activation energy: IDD currents are not modelled), plus, where the level states
        ``energy_per_activation``, the activations a random access of S bytes opens beyond a
        stream's share ``S / row_bytes`` (:meth:`activations`; energy_per_bit is a streaming
        figure, one activation per row already in it; a stream is charged as given)."""
        base = super().joules_per_byte()
        if not pattern.random:
            return base
        burst, size = self.timing.burst_bytes, pattern.access_bytes
        act = (self.config.energy_per_activation or 0.0) * self.extra_activations(pattern)
        return (base * math.ceil(size / burst) * burst + act) / size

    def activations(self, pattern: Pattern) -> float:
        """Rows a random access of ``pattern`` opens, as the time model opens them: with
        ``read_buffer``, the controller window's own activations per access (rows its layout
        opens plus those another access's precharge closed under it, :mod:`.dramwindow`);
        without, the rows of the layout (:func:`rows_opened`: 1 up to a 512 B granule, else
        per unit its bytes over ``row_bytes``, rounded up; 768 B on HBM2: 2 granules, 2 rows)."""
        t, c = self.timing, self.config
        bursts = math.ceil(pattern.access_bytes / t.burst_bytes)
        if c.read_buffer is None:
            return float(rows_opened(t, bursts))
        from .dramwindow import simulate as simulate_window  # numba: compiled on first use

        _, hits = simulate_window(t if t != TIMINGS.get(t.name) else t.name, bursts,
                                  pattern.read_fraction, c.read_buffer, c.write_buffer)
        return (1.0 - hits) * bursts

    def extra_activations(self, pattern: Pattern) -> float:
        """:meth:`activations` beyond a stream's share of S bytes, ``S / row_bytes`` (0 for a
        stream)."""
        if not pattern.random:
            return 0.0
        return max(0.0, self.activations(pattern) - pattern.access_bytes / self.timing.row_bytes)

    def queue_service_s(self) -> float:
        """The queue model's service time: one row cycle, ``tRC x tCK``."""
        return self.timing.n_rc * self.timing.tck_s

    def loaded_latency_curve(self) -> Optional[tuple[list[float], list[float]]]:
        c = self.config
        if c.loaded_latency == "none":
            return None
        if c.loaded_latency == "measured":
            return measured_extra_latency(c.measured_curve)
        u = [k / (QUEUE_POINTS - 1) for k in range(QUEUE_POINTS)]
        return u, [queue_wait_s(x, self.queue_service_s(), c.queue_headroom) for x in u]

    def unloaded_latency_s(self) -> float:
        """A row miss with the bus idle: ``(tRP + tRCD + tCL) x tCK`` (the device alone; the
        level's ``latency`` field is the load-to-use latency the simulation charges)."""
        t = self.timing
        return (t.n_rp + t.n_rcd + t.n_cl) * t.tck_s


def preset_of(technology: str) -> Optional[str]:
    """The preset (:data:`TIMINGS`) a ``technology`` label names: the longest preset name it
    starts with (``DDR5-4800`` -> DDR5, ``HBM3-PIM`` -> HBM3); None if none."""
    label = (technology or "").upper()
    return max((n for n in TIMINGS if label.startswith(n.upper())), key=len, default=None)


def random_share(standard: str, access_bytes: float) -> float:
    """What a ``type: dram`` level of preset ``standard`` (its defaults: all reads, the closed
    form) sustains for random accesses of ``access_bytes`` each, as a share of its streaming rate."""
    t = TIMINGS[standard]
    stream = efficiency(t, STREAM, DramLevel.model_fields["write_batch"].default)
    return efficiency(t, Pattern.random_access(access_bytes),
                      DramLevel.model_fields["write_batch"].default) / stream


def full_rate_bytes(standard: str) -> int:
    """The smallest random access (a whole number of bursts) at which a ``type: dram`` level of
    preset ``standard`` sustains its streaming rate (:func:`random_share` 1: DDR5 128 B)."""
    burst = TIMINGS[standard].burst_bytes
    size = burst
    while random_share(standard, size) < 1.0 - 1e-12 and size < 2 ** 20:
        size += burst
    return size
