"""JEDEC timing presets of the ``dram`` memory-level type: numbers, with their sources.

Every value is a fact taken from Ramulator 2 (CMU-SAFARI/ramulator2, MIT licence, commit
c5b1c3a): the python presets ``python/ramulator/dram/<standard>.py`` (an organisation preset
and a timing preset per standard) and the secondary timings those files resolve from JEDEC
tables (tRRD, tFAW, tRFC, tREFI by density and speed bin; those are Ramulator 2's tables, and
where they differ from the JEDEC document the preset keeps Ramulator 2's value, so that the
Ramulator 2 runs validate the same device: DDR4's 8 Gb tRFC is 360 ns there, 350 ns in
JESD79-4). The speed bin and organisation of
each standard are the ones Ramulator 2's own latency-throughput tests use
(``tests/latency_throughput/testcases/<standard>.py``), so the closed-form targets those tests
check (``tests/latency_throughput/utils/spec.py``) apply to them unchanged. No code is copied.

Timings are in cycles of the command clock ``tck_ps`` (CK). ``n_rtw`` is the read-to-write
command gap Ramulator 2 states per standard (DDR4, HBM2, LPDDR5: nCL + nBL + 2 - nCWL;
DDR5: nCL + nBL + 4 - nCWL; GDDR6: nCL + 1; HBM3: the preset's nRTW). Write-to-read is
nCWL + nBL + nWTR_S in every standard. ``banks`` counts the banks behind one data bus
(bank groups x banks per group, x stack IDs for HBM3), ``bank_groups`` the groups behind it
(HBM3: 2 stack IDs x 4); ``bus_bits`` is the width of one data
bus: a DDR4 channel, a DDR5 sub-channel, an LPDDR5 / GDDR6 channel, an HBM pseudo-channel.

**Command bus** (facts from the same files, their ``command_cycles``, ``row_commands`` /
``column_commands``, and the controllers that issue them, ``src/ramulator/controller/impl/``):
``cmd_act``, ``cmd_pre``, ``cmd_rd``, ``cmd_wr`` are the CK one ACT, PRE (per bank), RD and WR
hold the command bus (Ramulator 2's default 1 CK where a standard states none).
``split_cmd_bus``: row commands (ACT, PRE, REF) and column commands (RD, WR) travel on two
buses, one of each per CK (HBM: JESD235's separate row and column command pins; Ramulator 2's
``HBMControllerBase`` issues one column and one row command per tick); otherwise one command
per CK on one bus (``GenericDDR``, ``LPDDR5`` controllers). ``buses_per_cmd_bus``: the data
buses that share one command bus: HBM's two pseudo-channels share their channel's command
pins (Ramulator 2's HBM channel is the two pseudo-channels under one controller); a DDR5
sub-channel, an LPDDR5 or GDDR6 channel has its own. Per standard:

- DDR4 (all bins), GDDR6: every command 1 CK, one bus (``ddr4.py`` states no
  ``command_cycles``; ``gddr6.py`` ``{"ACT": 1, "RD": 1, ...}``);
- DDR5: ACT, RD, WR 2 CK, PRE 1 CK, one bus per sub-channel (``ddr5.py``, "JEDEC Table 30":
  2-cycle commands carry address bits that do not fit one CA cycle);
- LPDDR5: an activation is two 1-CK commands, ACT-1 and ACT-2 (``lpddr5.py``: "LPDDR5 CA is
  DDR -> all commands are 1 nCK"), so ``cmd_act`` = 2; PRE, RD, WR 1 CK; one bus. A CAS
  (WCK sync) command precedes a read only when the WCK clock has stopped, which a saturated
  bus does not let happen, so it is not counted;
- HBM2 (and the HBM2E timings derived from it): ACT 2 CK (``hbm2.py`` ``{"ACT": 2}``), PRE,
  RD, WR 1 CK, split buses, 2 pseudo-channels per command bus;
- HBM3: ACT 1.5 CK, PRE 0.5 CK (``hbm3.py``, half-CK ticks), RD, WR 1 CK, split buses, 2
  pseudo-channels per command bus (Ramulator 2's ``HBM34`` controller: row commands on either
  clock edge, column commands on the rising edge only; its row-command pairing rules between
  the edges are not modelled).

**Row size** (``row_bytes``: the bytes one activation opens behind one data bus, the page size
of each device times the devices on the bus; JEDEC page sizes): DDR4 x8, 1 KB a device
(JESD79-4 "page size" table) x 8 devices on a 64-bit channel = 8 KB; DDR5 x8, 1 KB a device
(JESD79-5) x 4 devices on a 32-bit sub-channel = 4 KB (Ramulator 2's DDR5_16Gb_x8: 1024
columns of 8 bits); LPDDR5 x16 channel 2 KB (JESD209-5); HBM2 / HBM2E 1 KB per pseudo-channel
(JESD235 pseudo-channel mode); HBM3 1 KB per pseudo-channel (JESD238); GDDR6 x16 channel 2 KB
(JESD250). It lays out an access longer than the 512 B interleave granule (each bank group's
part of it runs along a row, then into the group's next bank: :func:`.dram.granules`, used by
the window model, :mod:`.dramwindow`) and counts the activations a random access opens beyond a
stream's ``S / row_bytes`` (``energy_per_activation``: :meth:`.dram.Dram.activations`). A
stream's own activations are not computed (its energy_per_bit has them), and the traced gather
rule (:mod:`cimsim.workload.randomtags`) does not read it yet: a line joins the access before
only where it is the adjacent line.

:data:`PRESETS` are the standards (``cimsim validate -s dram`` checks each against Ramulator 2's
closed forms); :data:`PARTS` are shipped memories at their own data rate and organisation, with
their timings re-expressed from a standard's preset (``HBM2E-A100``: the NVIDIA A100-80GB's HBM2e,
for ``data/validation/a100-sxm4-80gb.yaml``). A ``type: dram`` level names either.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Jedec:
    """One standard at one speed bin and organisation (all timings in CK cycles)."""

    name: str
    source: str
    rate_mtps: int  # data rate per pin, MT/s
    tck_ps: float  # command clock period
    bus_bits: int  # width of one data bus (channel / sub-channel / pseudo-channel)
    burst_length: int  # beats per burst
    n_bl: int  # CK cycles one burst occupies the data bus
    n_cl: int
    n_cwl: int
    n_rcd: int  # ACT to read (nRCDRD where reads and writes differ)
    n_rp: int
    n_ras: int
    n_rc: int
    n_rtp: int
    n_rrd_s: int
    n_rrd_l: int
    n_faw: int
    n_ccd_s: int
    n_ccd_l: int
    n_wtr_s: int
    n_wtr_l: int
    n_rtw: int
    n_refi: int
    n_rfc: int  # all-bank refresh (nRFC / nRFCab)
    # write and PRE timings the controller-window model reads (:mod:`.dramwindow`; the closed
    # form reads n_rcd_wr and n_wr only, in a random write's bank cycle): ACT to write (nRCDWR; = n_rcd where the standard has one nRCD), write
    # recovery (nWR), write to write in another / the same bank group (nCCDS_WR / nCCDL_WR;
    # = n_ccd_s / n_ccd_l where the standard has one nCCD), PRE to PRE (nPPD, 0 where none),
    # LPDDR5's ACT-1 to ACT-2 deadline (nAAD; 0: one-part activations)
    n_rcd_wr: int
    n_wr: int
    n_ccd_s_wr: int
    n_ccd_l_wr: int
    n_ppd: int
    n_aad: int
    bank_groups: int
    banks: int  # banks behind one data bus (all groups)
    density_mbit: int  # die density (HBM: per pseudo-channel, as Ramulator 2's org presets)
    # command bus (see the module docstring, "Command bus"): CK each command holds its bus
    cmd_act: float  # one activation (LPDDR5: ACT-1 + ACT-2, two 1-CK commands)
    cmd_pre: float  # one per-bank precharge
    cmd_rd: float  # one read (column) command
    cmd_wr: float  # one write (column) command
    split_cmd_bus: bool  # separate row (ACT, PRE, REF) and column (RD, WR) command buses
    buses_per_cmd_bus: int  # data buses one command bus serves (HBM: 2 pseudo-channels)
    # bytes of one row (page) behind one data bus (see the module docstring, "Row size")
    row_bytes: int
    ticks_per_ck: int = 1  # the window model's ticks per CK (HBM3 2: row commands on either edge)

    def cmd_cycles(self, bursts: int, read_fraction: float = 1.0) -> float:
        """CK one random access of ``bursts`` bursts holds the command bus of its data bus
        (``PRE + ACT`` and one column command per burst; on a split bus the busier of the row
        and the column bus)."""
        col = bursts * (read_fraction * self.cmd_rd + (1.0 - read_fraction) * self.cmd_wr)
        row = self.cmd_pre + self.cmd_act
        return max(row, col) if self.split_cmd_bus else row + col

    @property
    def burst_bytes(self) -> int:
        return self.bus_bits * self.burst_length // 8

    @property
    def bus_bytes_per_s(self) -> float:
        """Peak of one data bus: width x data rate (Ramulator 2's ``channel_width * rate / 8``)."""
        return self.bus_bits * self.rate_mtps * 1e6 / 8

    @property
    def tck_s(self) -> float:
        return self.tck_ps * 1e-12


_R2 = "CMU-SAFARI/ramulator2 python/ramulator/dram/"

PRESETS: dict[str, Jedec] = {p.name: p for p in (
    # DDR4_8Gb_x8 + DDR4_2400R; secondary: x8 at 2400 -> nRRD_S 4, nRRD_L 6, nFAW 26;
    # 8 Gb -> tRFC 360 ns = ceil(360000/833) = 433: 360 ns is ddr4.py's table value for 8 Gb,
    # not JESD79-4's (350 ns for 8 Gb, which would be 421 CK); kept, as the Ramulator 2 runs
    # that validate the model use it; tREFI 7.8 us = ceil(7800000/833) = 9364
    Jedec("DDR4", _R2 + "ddr4.py DDR4_8Gb_x8 + DDR4_2400R", 2400, 833, 64, 8, 4,
          n_cl=16, n_cwl=12, n_rcd=16, n_rp=16, n_ras=39, n_rc=55, n_rtp=9, n_rrd_s=4, n_rrd_l=6,
          n_faw=26, n_ccd_s=4, n_ccd_l=6, n_wtr_s=3, n_wtr_l=9, n_rtw=16 + 4 + 2 - 12, n_refi=9364,
          n_rfc=433, bank_groups=4, banks=16, density_mbit=8192,
          # ddr4.py DDR4_2400R: nWR 18; no nPPD; reads and writes share nRCD and nCCD_S / nCCD_L
          n_rcd_wr=16, n_wr=18, n_ccd_s_wr=4, n_ccd_l_wr=6, n_ppd=0, n_aad=0,
          cmd_act=1, cmd_pre=1, cmd_rd=1, cmd_wr=1, row_bytes=8192, split_cmd_bus=False, buses_per_cmd_bus=1),
    # DDR4_8Gb_x8 + DDR4_2933Y (the RDIMM bin); x8 at 2933 -> nRRD_L 8, nFAW 31;
    # tRFC (ddr4.py's 360 ns, as DDR4) ceil(360000/682) = 528; tREFI ceil(7800000/682) = 11437
    Jedec("DDR4-2933", _R2 + "ddr4.py DDR4_8Gb_x8 + DDR4_2933Y", 2933, 682, 64, 8, 4,
          n_cl=21, n_cwl=16, n_rcd=21, n_rp=21, n_ras=47, n_rc=68, n_rtp=11, n_rrd_s=4, n_rrd_l=8,
          n_faw=31, n_ccd_s=4, n_ccd_l=8, n_wtr_s=4, n_wtr_l=11, n_rtw=21 + 4 + 2 - 16, n_refi=11437,
          n_rfc=528, bank_groups=4, banks=16, density_mbit=8192,
          # ddr4.py DDR4_2933Y: nWR 22
          n_rcd_wr=21, n_wr=22, n_ccd_s_wr=4, n_ccd_l_wr=8, n_ppd=0, n_aad=0,
          cmd_act=1, cmd_pre=1, cmd_rd=1, cmd_wr=1, row_bytes=8192, split_cmd_bus=False, buses_per_cmd_bus=1),
    # DDR4_8Gb_x8 + DDR4_3200AA (the RDIMM bin); x8 at 3200 -> nRRD_L 8, nFAW 34;
    # tRFC (ddr4.py's 360 ns, as DDR4) ceil(360000/625) = 576; tREFI ceil(7800000/625) = 12480
    Jedec("DDR4-3200", _R2 + "ddr4.py DDR4_8Gb_x8 + DDR4_3200AA", 3200, 625, 64, 8, 4,
          n_cl=22, n_cwl=16, n_rcd=22, n_rp=22, n_ras=52, n_rc=74, n_rtp=12, n_rrd_s=4, n_rrd_l=8,
          n_faw=34, n_ccd_s=4, n_ccd_l=8, n_wtr_s=4, n_wtr_l=12, n_rtw=22 + 4 + 2 - 16, n_refi=12480,
          n_rfc=576, bank_groups=4, banks=16, density_mbit=8192,
          # ddr4.py DDR4_3200AA: nWR 24
          n_rcd_wr=22, n_wr=24, n_ccd_s_wr=4, n_ccd_l_wr=8, n_ppd=0, n_aad=0,
          cmd_act=1, cmd_pre=1, cmd_rd=1, cmd_wr=1, row_bytes=8192, split_cmd_bus=False, buses_per_cmd_bus=1),
    # DDR5_16Gb_x8 + DDR5_4800AN; x8 at 4800 -> nRRD_S 8, nRRD_L 12, tFAW 20 ns -> 48;
    # 16 Gb -> tRFC1 295 ns = ceil(295000/416) = 710; tREFI 3.9 us = 9375
    Jedec("DDR5", _R2 + "ddr5.py DDR5_16Gb_x8 + DDR5_4800AN", 4800, 416, 32, 16, 8,
          n_cl=34, n_cwl=32, n_rcd=34, n_rp=34, n_ras=77, n_rc=111, n_rtp=18, n_rrd_s=8, n_rrd_l=12,
          n_faw=48, n_ccd_s=8, n_ccd_l=12, n_wtr_s=6, n_wtr_l=24, n_rtw=34 + 8 + 4 - 32, n_refi=9375,
          n_rfc=710, bank_groups=8, banks=32, density_mbit=16384,
          # ddr5.py DDR5_4800AN: nWR 72, nCCDS_WR 8, nCCDL_WR 48, nPPD 2
          n_rcd_wr=34, n_wr=72, n_ccd_s_wr=8, n_ccd_l_wr=48, n_ppd=2, n_aad=0,
          cmd_act=2, cmd_pre=1, cmd_rd=2, cmd_wr=2, row_bytes=4096, split_cmd_bus=False, buses_per_cmd_bus=1),
    # LPDDR5_8Gb_x16 + LPDDR5_6400 (CK 800 MHz, BL16 in nBL_min = 2 CK); tRRD 5 ns -> 4,
    # tFAW 20 ns -> 16; 8 Gb -> tRFCab 210 ns = 168; tREFI 3.906 us = 3125
    Jedec("LPDDR5", _R2 + "lpddr5.py LPDDR5_8Gb_x16 + LPDDR5_6400", 6400, 1250, 16, 16, 2,
          n_cl=17, n_cwl=9, n_rcd=15, n_rp=15, n_ras=34, n_rc=49, n_rtp=8, n_rrd_s=4, n_rrd_l=4,
          n_faw=16, n_ccd_s=2, n_ccd_l=4, n_wtr_s=5, n_wtr_l=10, n_rtw=17 + 2 + 2 - 9, n_refi=3125,
          n_rfc=168, bank_groups=4, banks=16, density_mbit=8192,
          # lpddr5.py LPDDR5_6400: nWR 28, nCCDS_WR 2, nCCDL_WR 4, nPPD 2, nAAD 8
          n_rcd_wr=15, n_wr=28, n_ccd_s_wr=2, n_ccd_l_wr=4, n_ppd=2, n_aad=8,
          cmd_act=2, cmd_pre=1, cmd_rd=1, cmd_wr=1, row_bytes=2048, split_cmd_bus=False, buses_per_cmd_bus=1),
    # HBM2_2Gb + HBM2_2000Mbps (pseudo-channel: 64 bits, BL4); tRRD 4 ns -> 4, tFAW 15 ns -> 15;
    # 2 Gb -> tRFC 160 ns = 160; tREFI 3.9 us = 3900
    Jedec("HBM2", _R2 + "hbm2.py HBM2_2Gb + HBM2_2000Mbps", 2000, 1000, 64, 4, 2,
          n_cl=14, n_cwl=5, n_rcd=14, n_rp=14, n_ras=34, n_rc=48, n_rtp=5, n_rrd_s=4, n_rrd_l=4,
          n_faw=15, n_ccd_s=2, n_ccd_l=4, n_wtr_s=6, n_wtr_l=8, n_rtw=14 + 2 + 2 - 5, n_refi=3900,
          n_rfc=160, bank_groups=4, banks=16, density_mbit=2048,
          # hbm2.py HBM2_2000Mbps: nRCDWR 12, nWR 16; no nPPD
          n_rcd_wr=12, n_wr=16, n_ccd_s_wr=2, n_ccd_l_wr=4, n_ppd=0, n_aad=0,
          cmd_act=2, cmd_pre=1, cmd_rd=1, cmd_wr=1, row_bytes=1024, split_cmd_bus=True, buses_per_cmd_bus=2),
    # HBM2E: Ramulator 2 has no HBM2E preset. Derived: the HBM2_2400Mbps timings in ns
    # (cycles x 0.833 ns) re-expressed at 3.2 Gb/s (JESD235D's HBM2E top bin, tCK 625 ps,
    # rounded up), HBM2_8Gb organisation, and the hbm2.py rules for the secondary timings
    # (tRRD 4 ns -> 7, tFAW 15 ns -> 24, 8 Gb tRFC 350 ns -> 560, tREFI 3.9 us -> 6240)
    Jedec("HBM2E", _R2 + "hbm2.py HBM2_8Gb + HBM2_2400Mbps timings (ns) at 3200 Mb/s (derived)",
          3200, 625, 64, 4, 2,
          n_cl=23, n_cwl=8, n_rcd=23, n_rp=23, n_ras=54, n_rc=76, n_rtp=8, n_rrd_s=7, n_rrd_l=7,
          n_faw=24, n_ccd_s=2, n_ccd_l=4, n_wtr_s=11, n_wtr_l=14, n_rtw=23 + 2 + 2 - 8, n_refi=6240,
          n_rfc=560, bank_groups=4, banks=16, density_mbit=8192,
          # HBM2_2400Mbps nRCDWR 14, nWR 19 (x 0.833 ns) at tCK 625 ps -> 19, 26
          n_rcd_wr=19, n_wr=26, n_ccd_s_wr=2, n_ccd_l_wr=4, n_ppd=0, n_aad=0,
          cmd_act=2, cmd_pre=1, cmd_rd=1, cmd_wr=1, row_bytes=1024, split_cmd_bus=True, buses_per_cmd_bus=2),
    # HBM3_8Gb_8hi + HBM3_6400Mbps (pseudo-channel: 32 bits, BL8; 2 stack IDs x 4 groups x 4
    # banks: 8 bank groups of 4 banks behind the bus, as tCCD_L / tRRD_L see them); channel
    # density 8 Gb / 2 SIDs = 4 Gb -> tRFCab 260 ns = ceil(260000/625) = 416
    Jedec("HBM3", _R2 + "hbm3.py HBM3_8Gb_8hi + HBM3_6400Mbps", 6400, 625, 32, 8, 2,
          n_cl=20, n_cwl=10, n_rcd=31, n_rp=26, n_ras=45, n_rc=72, n_rtp=9, n_rrd_s=4, n_rrd_l=5,
          n_faw=24, n_ccd_s=2, n_ccd_l=4, n_wtr_s=7, n_wtr_l=10, n_rtw=20, n_refi=6240,
          n_rfc=416, bank_groups=8, banks=32, density_mbit=8192,
          # hbm3.py HBM3_6400Mbps: nRCDWR 15, nWR 33, nPPD 2; half-CK ticks (tick_multiplier)
          n_rcd_wr=15, n_wr=33, n_ccd_s_wr=2, n_ccd_l_wr=4, n_ppd=2, n_aad=0,
          cmd_act=1.5, cmd_pre=0.5, cmd_rd=1, cmd_wr=1, row_bytes=1024, split_cmd_bus=True, buses_per_cmd_bus=2,
          ticks_per_ck=2),
    # GDDR6_8Gb_x16 + GDDR6_14000_1250mV_double (16-bit channel, BL16 in 2 CK; the preset
    # gives every timing, nRFCab 211)
    Jedec("GDDR6", _R2 + "gddr6.py GDDR6_8Gb_x16 + GDDR6_14000_1250mV_double", 14000, 570, 16, 16, 2,
          n_cl=24, n_cwl=6, n_rcd=30, n_rp=30, n_ras=60, n_rc=90, n_rtp=4, n_rrd_s=11, n_rrd_l=11,
          n_faw=43, n_ccd_s=2, n_ccd_l=4, n_wtr_s=9, n_wtr_l=11, n_rtw=24 + 1, n_refi=3333,
          n_rfc=211, bank_groups=4, banks=16, density_mbit=8192,
          # gddr6.py GDDR6_14000_1250mV_double: nRCDWR 20, nWR 30, nPPD 2
          n_rcd_wr=20, n_wr=30, n_ccd_s_wr=2, n_ccd_l_wr=4, n_ppd=2, n_aad=0,
          cmd_act=1, cmd_pre=1, cmd_rd=1, cmd_wr=1, row_bytes=2048, split_cmd_bus=False, buses_per_cmd_bus=1),
)}

PARTS: dict[str, Jedec] = {p.name: p for p in (
    # HBM2E-A100: the NVIDIA A100-80GB's memory. Organisation (NVIDIA A100 datasheet, A100 80GB
    # SXM: 80 GB HBM2e, 2,039 GB/s; A100 Tensor Core GPU Architecture whitepaper (2020): five
    # active HBM2 stacks, 5120-bit bus): 5 stacks x 8 channels x 2 pseudo-channels = 80 buses of
    # 64 bits; 2039e9 x 8 / 5120 = 3.186 Gb/s per pin -> 3186 MT/s (80 x 64 x 3186e6 / 8 =
    # 2039.0 GB/s), CK = 1593 MHz, tCK 627.75 ps; 80 GB / 80 pseudo-channels = 8 Gb each:
    # Ramulator 2's HBM2_8Gb org (2 PCs x 4 groups x 4 banks). Timings: the HBM2_2400Mbps
    # preset's in ns (cycles x 0.833 ns) re-expressed in 627.75 ps cycles, rounded up (CL, RCD, RP
    # 17 -> 23; RAS 40 -> 54; RC 57 -> 76; CWL, RTPL 6 -> 8; WTRS 8 -> 11; WTRL 10 -> 14); hbm2.py's
    # secondary rules: tRRD 4 ns -> 7, tFAW 15 ns -> 24, 8 Gb tRFC 350 ns -> 558,
    # tREFI 3.9 us -> 6213 (D)
    Jedec("HBM2E-A100", _R2 + "hbm2.py HBM2_8Gb + HBM2_2400Mbps timings (ns) at 3186 Mb/s "
          "(NVIDIA A100-80GB: 5 stacks, 5120 bits, 2039 GB/s; derived)",
          3186, 1e6 / 1593, 64, 4, 2,
          n_cl=23, n_cwl=8, n_rcd=23, n_rp=23, n_ras=54, n_rc=76, n_rtp=8, n_rrd_s=7, n_rrd_l=7,
          n_faw=24, n_ccd_s=2, n_ccd_l=4, n_wtr_s=11, n_wtr_l=14, n_rtw=23 + 2 + 2 - 8, n_refi=6213,
          n_rfc=558, bank_groups=4, banks=16, density_mbit=8192,
          # HBM2_2400Mbps nRCDWR 14, nWR 19 (x 0.833 ns) at tCK 627.75 ps -> 19, 26
          n_rcd_wr=19, n_wr=26, n_ccd_s_wr=2, n_ccd_l_wr=4, n_ppd=0, n_aad=0,
          cmd_act=2, cmd_pre=1, cmd_rd=1, cmd_wr=1, row_bytes=1024, split_cmd_bus=True, buses_per_cmd_bus=2),
    # LPDDR5X-8533: JESD209-5B's LPDDR5X top data rate, 8533 Mb/s per pin on a x16 channel
    # (8533 x 16 / 8 = 17.066 GB/s a channel); CK = 8533 / 8 = 1066.7 MHz (BL16 in 2 CK, 4:1
    # WCK:CK as LPDDR5-6400), tCK 937.5 ps. Ramulator 2 has no LPDDR5X preset. Derived: the
    # LPDDR5_6400 preset's timings in ns (cycles x 1.25 ns) re-expressed in 937.5 ps cycles,
    # rounded up (CL 21.25 ns -> 23, CWL 11.25 -> 12, RCD, RP 18.75 -> 20, RAS 42.5 -> 46,
    # RC 61.25 -> 66, RTP 10 -> 11, WTRS 6.25 -> 7, WTRL 12.5 -> 14, WR 35 -> 38, AAD 10 -> 11);
    # lpddr5.py's rules: tRRD 5 ns -> 6, tFAW 20 ns -> 22, 8 Gb tRFCab 210 ns -> 224, tREFI
    # 3.906 us -> 4167; the same 8 Gb x16 organisation (D)
    Jedec("LPDDR5X-8533", _R2 + "lpddr5.py LPDDR5_8Gb_x16 + LPDDR5_6400 timings (ns) at 8533 Mb/s "
          "(JESD209-5B LPDDR5X; derived)", 8533, 937.5, 16, 16, 2,
          n_cl=23, n_cwl=12, n_rcd=20, n_rp=20, n_ras=46, n_rc=66, n_rtp=11, n_rrd_s=6, n_rrd_l=6,
          n_faw=22, n_ccd_s=2, n_ccd_l=4, n_wtr_s=7, n_wtr_l=14, n_rtw=23 + 2 + 2 - 12, n_refi=4167,
          n_rfc=224, bank_groups=4, banks=16, density_mbit=8192,
          n_rcd_wr=20, n_wr=38, n_ccd_s_wr=2, n_ccd_l_wr=4, n_ppd=2, n_aad=11,
          cmd_act=2, cmd_pre=1, cmd_rd=1, cmd_wr=1, row_bytes=2048, split_cmd_bus=False, buses_per_cmd_bus=1),
)}

#: every timing set a ``type: dram`` level may name: the standards, then the parts
TIMINGS: dict[str, Jedec] = {**PRESETS, **PARTS}
