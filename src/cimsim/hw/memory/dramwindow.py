"""Random accesses through a finite controller window: a small cycle-level model of one
command bus's memory controller, the ``type: dram`` level's answer for random patterns when
the level states its controller's buffers (``read_buffer``; :mod:`.dram`).

Why: the closed form (:func:`.dram.access_cycles`) takes the largest of separate data-bus,
activation and command-bus limits, which assumes the scheduler always finds a ready access.
A controller holding ``R`` requests of accesses of ``b`` requests each sees only ``R / b``
accesses; with bank conflicts inside that window, rows closed under an access's later
requests, and read/write mode switches, Ramulator 2.1 runs of random 128 B and 256 B reads and
random read/write mixes are 12 to 64 % slower than the closed form (validation/README.md).
Several closed forms of the window were tried and none holds across buffer sizes, so this is
a simulation, small and deterministic (fixed seed, fixed number of accesses), cached per
(standard, pattern, buffers).

What is simulated (every rule and number a JEDEC / Ramulator 2 fact, nothing fitted; rules
read from CMU-SAFARI/ramulator2 @c5b1c3a ``src/ramulator/controller/controller_base.cpp``,
``impl/generic_ddr_controller.cpp``, ``impl/hbm_controller_base.cpp``,
``scheduler/impl/frfcfs.cpp``; timings from ``python/ramulator/dram/<standard>.py``):

- traffic: ``n`` accesses, each ``b = ceil(S / burst_bytes)`` requests (bursts) to one random
  row of one random bank of one random data bus served by the controller
  (``buses_per_cmd_bus``: HBM's two pseudo-channels), all reads or all writes (a write with
  probability ``1 - read_fraction``), in trace order (an access past :data:`GRANULE_BYTES`,
  512 B, is split into near-equal granules rotating over the data buses and bank groups,
  each unit's on along its row of ``row_bytes`` and then into the group's next bank:
  :func:`spread`); a frontend that always has the next
  request and puts it into the read or write buffer (``read_buffer`` / ``write_buffer``
  requests) as soon as that buffer has room, stalling while it has none (in order);
- per request the command it needs next: its row open -> RD / WR, another row open -> PRE,
  bank closed -> ACT; a request whose ACT issues moves to the *active* buffer (freeing its
  buffer slot) and is served before any other; a PRE to a bank that an active request waits
  on is not eligible (Ramulator's ``would_close_active``), so only the request that opened a
  row is protected, and another access's PRE can close it under the access's other requests;
- FR-FCFS: the oldest request whose command is ready now, from the active buffer first, then
  from the buffer of the current mode; write mode is entered when the write buffer holds more
  than 80 % of its size (or the read buffer is empty) and left when it holds less than 20 %
  and a read waits; only the current mode's buffer is scheduled;
- one command per cycle on one command bus, or one row (ACT, PRE) and one column (RD, WR)
  command per cycle on split buses (HBM), each holding its bus ``cmd_*`` CK
  (:mod:`.jedec`); HBM3 runs in half-CK ticks (its row commands may issue on either edge,
  column commands on the rising edge);
- timing per bank (tRCD for reads, tRCDWR for writes, tRAS, tRP, tRC, tRTP, write recovery
  tCWL + tBL + tWR before PRE), per bank group (tCCD_L, tCCD_L for writes, tRRD_L, write to
  read tCWL + tBL + tWTR_L) and per data bus (tCCD_S and tBL, tRRD_S, four ACTs per tFAW,
  read to write tRTW, write to read tCWL + tBL + tWTR_S, PRE to PRE tPPD);
- refresh is not simulated: the result is multiplied by the closed form's refresh factor;
- LPDDR5 (``lpddr_controller_base.cpp``): ACT-1 and ACT-2 are separate 1-CK commands; the
  ACT timings count from ACT-1; the request then waits for its ACT-2, which issues when no
  other command is ready or at its deadline nAAD after ACT-1 (``lpddr5.py``: 8 CK); while it
  is pending no other ACT-1 issues and nothing reads or closes its bank.

Not modelled: LPDDR5's WCK-sync CAS commands (a saturated bus keeps WCK running); HBM3's
row-command pairing between clock edges and its different-stack-ID column gap (nCCDR);
write coalescing and read forwarding (random traffic never repeats an address); refresh's
interaction with the queues. Known effect: HBM3 multi-request reads +5 ... +10 %, +15 %
with 512 entries. The active request's protection (no PRE to its bank) seldom binds: it is
served first and tRAS >= tRCD.

The result is the data buses' utilisation ``requests x tBL / (cycles x buses)``. Cost: a
fixed 20,000 accesses (fewer for large accesses: at most 160,000 requests), numba-compiled,
0.2 to 1.6 s per pattern on this project's shared 2-core machine (HBM3 with its 128-entry
buffer the slowest), once per (standard, pattern, buffers) per process (``lru_cache``). The
kernel skips ticks at which nothing can happen (exact: tests hold it equal to stepping every
tick); :func:`simulate_reference` runs the same kernel as plain Python (tests hold the two
equal).
"""

from __future__ import annotations

import types
from functools import lru_cache

import numpy as np
from numba import njit

from .dram import GRANULE_BYTES, granule_bursts, granules  # noqa: F401 (the layout)
from .jedec import TIMINGS, Jedec

#: accesses simulated per pattern (fixed, with a fixed seed: the answer is deterministic)
ACCESSES = 20_000
#: at most this many requests per pattern (large accesses simulate fewer accesses)
MAX_REQUESTS = 160_000
SEED = 12345
#: requests the frontend may put into the buffers per cycle (Ramulator's test cases run the
#: frontend at 8 or 16 times the memory clock, so the buffers refill within a cycle)
FRONTEND_PER_CYCLE = 8

# The window model reads the preset's write and PRE timings too (:class:`.jedec.Jedec`
# ``n_rcd_wr``, ``n_wr``, ``n_ccd_s_wr``, ``n_ccd_l_wr``, ``n_ppd``, LPDDR5's ``n_aad``: ACT-1
# and ACT-2 then separate commands), which a level's ``timings`` may restate like any other,
# and its ``ticks_per_ck`` (2 for HBM3's half-CK ticks, ``hbm3.py`` ``tick_multiplier``).

# parameter vector layout (all in ticks)
(P_BL, P_CWL, P_RCD, P_RCDWR, P_RP, P_RAS, P_RC, P_RTP, P_WR, P_RRDS, P_RRDL, P_FAW, P_CCDS,
 P_CCDL, P_CCDSW, P_CCDLW, P_WTRS, P_WTRL, P_RTW, P_PPD, P_CACT, P_CPRE, P_CRD, P_CWR, P_SPLIT,
 P_BUSES, P_BANKS, P_GROUP, P_RBUF, P_WBUF, P_B, P_COLSTEP, P_AAD, NPARAM) = range(34)

ACT, PRE, RD, WR = 0, 1, 2, 3
NEVER = -(1 << 40)


def params(t: Jedec, bursts: int, read_buffer: int, write_buffer: int) -> np.ndarray:
    """The kernel's parameter vector for standard ``t``, in ticks."""
    m = t.ticks_per_ck
    p = np.zeros(NPARAM, dtype=np.int64)

    def ck(v: float) -> int:
        return int(round(v * m))

    p[P_BL], p[P_CWL], p[P_RCD], p[P_RCDWR] = ck(t.n_bl), ck(t.n_cwl), ck(t.n_rcd), ck(t.n_rcd_wr)
    p[P_RP], p[P_RAS], p[P_RC], p[P_RTP], p[P_WR] = ck(t.n_rp), ck(t.n_ras), ck(t.n_rc), ck(t.n_rtp), ck(t.n_wr)
    p[P_RRDS], p[P_RRDL], p[P_FAW] = ck(t.n_rrd_s), ck(t.n_rrd_l), ck(t.n_faw)
    p[P_CCDS], p[P_CCDL], p[P_CCDSW], p[P_CCDLW] = ck(t.n_ccd_s), ck(t.n_ccd_l), ck(t.n_ccd_s_wr), ck(t.n_ccd_l_wr)
    p[P_WTRS], p[P_WTRL], p[P_RTW], p[P_PPD] = ck(t.n_wtr_s), ck(t.n_wtr_l), ck(t.n_rtw), ck(t.n_ppd)
    p[P_CACT], p[P_CPRE], p[P_CRD], p[P_CWR] = ck(t.cmd_act), ck(t.cmd_pre), ck(t.cmd_rd), ck(t.cmd_wr)
    p[P_SPLIT] = int(t.split_cmd_bus)
    p[P_BUSES] = t.buses_per_cmd_bus
    p[P_BANKS] = t.banks
    p[P_GROUP] = t.banks // t.bank_groups  # banks per group (HBM3: 4, per stack ID)
    p[P_RBUF], p[P_WBUF], p[P_B] = read_buffer, write_buffer, bursts
    p[P_COLSTEP] = m  # column commands on the rising edge only
    p[P_AAD] = ck(t.n_aad)
    if p[P_AAD] > 0:  # ACT-1 and ACT-2 are separate 1-CK commands
        p[P_CACT] = ck(t.cmd_act / 2)
    return p


def traffic(t: Jedec, n: int, read_fraction: float, seed: int = SEED) -> tuple[np.ndarray, ...]:
    """Per access: data bus, bank, row, is-write (uniform, fixed seed)."""
    rng = np.random.default_rng(seed)
    bus = rng.integers(0, t.buses_per_cmd_bus, n)
    bank = rng.integers(0, t.banks, n)
    row = rng.integers(0, 1 << 30, n)
    wr = (rng.random(n) >= read_fraction).astype(np.int64) if read_fraction < 1.0 else np.zeros(n, np.int64)
    return bus.astype(np.int64), bank.astype(np.int64), row.astype(np.int64), wr


def spread(t: Jedec, bursts: int, bus: np.ndarray, bank: np.ndarray, row: np.ndarray,
           wr: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per request (burst), the data bus, bank, row and is-write of accesses of ``bursts``
    bursts each starting at (``bus``, ``bank``, ``row``): the granules of :func:`.dram.granules`
    (at most 512 B each, as equal as whole bursts allow), consecutive granules rotating over
    the data buses of the command bus, then the bank groups (as a stream's bursts rotate); on
    each unit (a bank group of a bus) an access's bytes run on from the start of a row, and
    past ``row_bytes`` into a row of the group's next bank (bank bits above the column bits,
    as RoBaRaCoCh: a large access no longer opens the next row of the same bank, which the
    controller then closed and reopened, review 22 D 1). An access of one granule or less is
    one row of one bank, as before (the Ramulator-validated range)."""
    sizes = np.asarray(granules(t, bursts), dtype=np.int64)
    nbus, ngrp, per = t.buses_per_cmd_bus, t.bank_groups, t.banks // t.bank_groups
    units = nbus * ngrp
    k = len(sizes)
    laps = -(-k // units)
    padded = np.zeros(laps * units, np.int64)
    padded[:k] = sizes
    # bursts the same unit took from the access's earlier granules (exclusive, per lap)
    before = (np.cumsum(padded.reshape(laps, units), axis=0) - padded.reshape(laps, units)).reshape(-1)[:k]
    j = np.repeat(np.arange(k), sizes)  # the request's granule within its access
    within = np.arange(bursts) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    rows_in = ((before[j] + within) * t.burst_bytes // t.row_bytes)[None, :]  # rows the unit filled
    u0 = bus[:, None] + nbus * (bank[:, None] // per)  # the first granule's unit
    u = (u0 + j[None, :]) % units
    r_bus = u % nbus
    r_bank = (u // nbus) * per + (bank[:, None] % per + rows_in) % per
    r_row = row[:, None] + rows_in // per
    shape = (bus.shape[0] * bursts,)
    return (r_bus.reshape(shape), r_bank.reshape(shape), r_row.reshape(shape),
            np.repeat(wr, bursts))


def _kernel(p, a_bus, a_bank, a_row, a_wr, skip):
    """Cycle-level controller; returns (ticks, requests served, row hits)."""
    b = p[P_B]
    n_req = a_bus.shape[0] * b
    nbus = p[P_BUSES]
    nbank = p[P_BANKS]
    grp = p[P_GROUP]
    ngrp = nbank // grp
    R = p[P_RBUF]
    W = p[P_WBUF]
    split = p[P_SPLIT]
    # per bank (bus-major), per group, per bus state
    open_row = np.full(nbus * nbank, -1, np.int64)
    active_on = np.zeros(nbus * nbank, np.int64)
    b_act = np.full(nbus * nbank, NEVER, np.int64)
    b_pre = np.full(nbus * nbank, NEVER, np.int64)
    b_rd = np.full(nbus * nbank, NEVER, np.int64)
    b_wr = np.full(nbus * nbank, NEVER, np.int64)
    g_act = np.full(nbus * ngrp, NEVER, np.int64)
    g_rd = np.full(nbus * ngrp, NEVER, np.int64)
    g_wr = np.full(nbus * ngrp, NEVER, np.int64)
    c_act = np.full(nbus, NEVER, np.int64)
    c_pre = np.full(nbus, NEVER, np.int64)
    c_rd = np.full(nbus, NEVER, np.int64)
    c_wr = np.full(nbus, NEVER, np.int64)
    faw = np.full(nbus * 4, NEVER, np.int64)  # last four ACT ticks per bus (ring)
    faw_i = np.zeros(nbus, np.int64)
    # commands of one bank are equally ready within one scan: memo per (bank, command)
    m_at = np.zeros(nbus * nbank * 4, np.int64)
    m_stamp = np.full(nbus * nbank * 4, -1, np.int64)
    scan = 0
    rbuf = np.zeros(R, np.int64)
    wbuf = np.zeros(W, np.int64)
    abuf = np.zeros(nbus * nbank + 1, np.int64)
    nr = 0
    nw = 0
    na = 0
    write_mode = False
    row_free = 0
    col_free = 0
    aad = p[P_AAD]
    pend_q = -1  # LPDDR5: the request whose ACT-1 issued and ACT-2 has not
    pend_k = -1
    pend_dl = 0
    nxt = 0
    served = 0
    hits = 0
    t = 0
    while served < n_req:
        t += 1
        # frontend: in order, stalls while the next request's buffer is full
        for _k in range(FRONTEND_PER_CYCLE):
            if nxt >= n_req:
                break
            if a_wr[nxt // b] == 1:
                if nw >= W:
                    break
                wbuf[nw] = nxt
                nw += 1
            else:
                if nr >= R:
                    break
                rbuf[nr] = nxt
                nr += 1
            nxt += 1
        # slots: split buses try the column bus then the row bus; else one command
        nslots = 2 if split == 1 else 1
        issued = False
        wake = 1 << 62  # the first tick at which a waiting command becomes ready
        if pend_q >= 0 and t >= pend_dl and t >= row_free:
            nslots = 0  # ACT-2 at its deadline (nAAD after ACT-1) goes first
            issued = True
            row_free, col_free, pend_q, pend_k, na = _act2(p, t, pend_q, pend_k, abuf, na, active_on, row_free)
        for slot in range(nslots):
            scan += 1  # a command issued in the previous slot changed the state
            # slot kind: 0 any, 1 column only, 2 row only
            kind = 0 if split == 0 else (1 if slot == 0 else 2)
            pick = -1
            pick_cmd = -1
            pick_src = -1  # 0 active, 1 read buffer, 2 write buffer
            pick_pos = -1
            # 1. active buffer (column commands only)
            if kind != 2:
                for i in range(na):
                    q = abuf[i]
                    a = q // b
                    cmd = WR if a_wr[a] == 1 else RD
                    mk = (a_bus[a] * nbank + a_bank[a]) * 4 + cmd
                    if m_stamp[mk] != scan:
                        m_stamp[mk] = scan
                        m_at[mk] = _ready(p, cmd, a_bus[a], a_bank[a], nbank, grp, ngrp, b_act, b_pre,
                                          b_rd, b_wr, g_act, g_rd, g_wr, c_act, c_pre, c_rd, c_wr, faw,
                                          row_free, col_free)
                    at = m_at[mk]
                    if at <= t:
                        pick, pick_cmd, pick_src, pick_pos = q, cmd, 0, i
                        break
                    wake = min(wake, at)
            # 2. the current mode's buffer
            if pick < 0:
                if not write_mode:
                    if nw > 0.8 * W or nr == 0:
                        write_mode = True
                else:
                    if nw < 0.2 * W and nr != 0:
                        write_mode = False
                cnt = nw if write_mode else nr
                for i in range(cnt):
                    q = wbuf[i] if write_mode else rbuf[i]
                    a = q // b
                    k = a_bus[a] * nbank + a_bank[a]
                    if open_row[k] == a_row[a]:
                        cmd = WR if a_wr[a] == 1 else RD
                    elif open_row[k] >= 0:
                        cmd = PRE
                    else:
                        cmd = ACT
                    if kind == 1 and cmd < RD:
                        continue
                    if kind == 2 and cmd >= RD:
                        continue
                    if cmd == PRE and active_on[k] > 0:
                        continue
                    if pend_q >= 0 and (cmd == ACT or k == pend_k):
                        continue  # no ACT-1, nothing to the activating bank, until its ACT-2
                    mk = (a_bus[a] * nbank + a_bank[a]) * 4 + cmd
                    if m_stamp[mk] != scan:
                        m_stamp[mk] = scan
                        m_at[mk] = _ready(p, cmd, a_bus[a], a_bank[a], nbank, grp, ngrp, b_act, b_pre,
                                          b_rd, b_wr, g_act, g_rd, g_wr, c_act, c_pre, c_rd, c_wr, faw,
                                          row_free, col_free)
                    at = m_at[mk]
                    if at <= t:
                        pick, pick_cmd, pick_src, pick_pos = q, cmd, 2 if write_mode else 1, i
                        break
                    wake = min(wake, at)
            if pick < 0:
                if pend_q >= 0:  # the bus would idle: ACT-2 now if it may issue
                    if t >= row_free:
                        issued = True
                        row_free, col_free, pend_q, pend_k, na = _act2(p, t, pend_q, pend_k, abuf, na,
                                                                       active_on, row_free)
                    else:
                        wake = min(wake, row_free)
                continue
            issued = True
            a = pick // b
            bus = a_bus[a]
            k = bus * nbank + a_bank[a]
            g = bus * ngrp + a_bank[a] // grp
            if pick_cmd == ACT:
                open_row[k] = a_row[a]
                b_act[k] = t
                g_act[g] = t
                c_act[bus] = t
                faw[bus * 4 + faw_i[bus]] = t
                faw_i[bus] = (faw_i[bus] + 1) % 4
                row_free = t + p[P_CACT]
                if aad > 0:  # LPDDR5: ACT-1; the request waits for its ACT-2
                    pend_q, pend_k, pend_dl = pick, k, t + aad
                else:  # promote to the active buffer
                    abuf[na] = pick
                    na += 1
                    active_on[k] += 1
            elif pick_cmd == PRE:
                open_row[k] = -1
                b_pre[k] = t
                c_pre[bus] = t
                row_free = t + p[P_CPRE]
            else:
                if pick_cmd == RD:
                    b_rd[k] = t
                    g_rd[g] = t
                    c_rd[bus] = t
                    col_free = t + p[P_CRD]
                else:
                    b_wr[k] = t
                    g_wr[g] = t
                    c_wr[bus] = t
                    col_free = t + p[P_CWR]
                served += 1
                if pick_src == 0:
                    active_on[k] -= 1
                else:
                    hits += 1
            if split == 0:
                col_free = max(col_free, row_free)
                row_free = col_free
            # remove from its buffer (keeps age order)
            if pick_cmd != PRE:
                if pick_src == 0:
                    for j in range(pick_pos, na - 1):
                        abuf[j] = abuf[j + 1]
                    na -= 1
                elif pick_src == 1:
                    for j in range(pick_pos, nr - 1):
                        rbuf[j] = rbuf[j + 1]
                    nr -= 1
                else:
                    for j in range(pick_pos, nw - 1):
                        wbuf[j] = wbuf[j + 1]
                    nw -= 1
        # nothing issued and nothing can enter the buffers: no state changes until the first
        # waiting command is ready, so skip the ticks in between (exact: ``skip`` 0 steps them)
        if skip and not issued and wake < (1 << 62) and t + 1 < wake:
            if nxt >= n_req or (a_wr[nxt // b] == 1 and nw >= W) or (a_wr[nxt // b] == 0 and nr >= R):
                t = wake - 1
    return t, served, hits


def _ready(p, cmd, bus, bank, nbank, grp, ngrp, b_act, b_pre, b_rd, b_wr, g_act, g_rd, g_wr,
           c_act, c_pre, c_rd, c_wr, faw, row_free, col_free):
    """The first tick at which ``cmd`` may issue, given the commands issued so far (every
    constraint is "at least so many ticks after an earlier command", so the command is
    ready at every tick from then on, column commands on ticks that are multiples of
    ``COLSTEP``)."""
    k = bus * nbank + bank
    g = bus * ngrp + bank // grp
    bl = p[P_BL]
    cwl = p[P_CWL]
    if cmd == ACT:
        oldest = faw[bus * 4]
        for j in range(1, 4):
            if faw[bus * 4 + j] < oldest:
                oldest = faw[bus * 4 + j]
        return max(row_free, b_pre[k] + p[P_RP], b_act[k] + p[P_RC], g_act[g] + p[P_RRDL],
                   c_act[bus] + p[P_RRDS], oldest + p[P_FAW])
    if cmd == PRE:
        return max(row_free, b_act[k] + p[P_RAS], b_rd[k] + p[P_RTP], b_wr[k] + cwl + bl + p[P_WR],
                   c_pre[bus] + p[P_PPD])
    if cmd == RD:
        at = max(col_free, b_act[k] + p[P_RCD], g_rd[g] + p[P_CCDL], g_wr[g] + cwl + bl + p[P_WTRL],
                 c_rd[bus] + max(p[P_CCDS], bl), c_wr[bus] + cwl + bl + p[P_WTRS])
    else:
        at = max(col_free, b_act[k] + p[P_RCDWR], g_wr[g] + p[P_CCDLW],
                 c_wr[bus] + max(p[P_CCDSW], bl), c_rd[bus] + p[P_RTW])
    step = p[P_COLSTEP]
    return (at + step - 1) // step * step


def _act2(p, t, q, k, abuf, na, active_on, row_free):
    """LPDDR5's ACT-2 of request ``q`` on bank ``k``: one CK of the bus; the request moves to the
    active buffer. Returns (row_free, col_free, no pending request, no pending bank, na)."""
    abuf[na] = q
    active_on[k] += 1
    free = t + p[P_CACT]
    return free, free, -1, -1, na + 1


_ready_jit = njit(cache=True)(_ready)
_act2_jit = njit(cache=True)(_act2)


def _make_kernel(ready, act2):
    """``_kernel`` calling ``ready`` and ``act2`` (compiled or plain Python): one source for
    both runs, so the test that holds them equal tests numba's compilation of it."""
    g = dict(_kernel.__globals__)
    g["_ready"] = ready
    g["_act2"] = act2
    return types.FunctionType(_kernel.__code__, g, "_kernel")


_kernel_jit = njit(cache=True)(_make_kernel(_ready_jit, _act2_jit))


def _run(kernel, t: Jedec, bursts: int, read_fraction: float, read_buffer: int,
         write_buffer: int, accesses: int, skip: bool = True, seed: int = SEED) -> tuple[float, float]:
    n = max(1, min(accesses, MAX_REQUESTS // bursts))
    p = params(t, 1, read_buffer, write_buffer)  # the kernel reads one request per entry
    ticks, served, hits = kernel(p, *spread(t, bursts, *traffic(t, n, read_fraction, seed)), skip)
    util = served * p[P_BL] / (ticks * t.buses_per_cmd_bus)
    return float(util), hits / served


def simulate_reference(t: Jedec, bursts: int, read_fraction: float, read_buffer: int,
                       write_buffer: int, accesses: int = ACCESSES,
                       skip: bool = True) -> tuple[float, float]:
    """The plain-Python run of the kernel: (data-bus utilisation, row-hit rate); ``skip``
    False steps every tick (the kernel skips ticks at which nothing can happen)."""
    return _run(_make_kernel(_ready, _act2), t, bursts, read_fraction, read_buffer, write_buffer,
                accesses, skip)


def simulate_uncached(t: Jedec, bursts: int, read_fraction: float, read_buffer: int,
                      write_buffer: int, accesses: int = ACCESSES, skip: bool = True,
                      seed: int = SEED) -> tuple[float, float]:
    """:func:`simulate`, compiled, for any timing set, traffic seed, and without the cache."""
    return _run(_kernel_jit, t, bursts, read_fraction, read_buffer, write_buffer, accesses, skip,
                seed)


@lru_cache(maxsize=4096)
def simulate(standard: str | Jedec, bursts: int, read_fraction: float, read_buffer: int,
             write_buffer: int, accesses: int = ACCESSES) -> tuple[float, float]:
    """Data-bus utilisation (requests x tBL / (cycles x buses), refresh not included) and
    row-hit rate of random accesses of ``bursts`` requests each through the window; cached.
    ``standard``: a preset's name, or a timing set (a preset with a level's own ``timings``)."""
    t = TIMINGS[standard] if isinstance(standard, str) else standard
    return _run(_kernel_jit, t, bursts, read_fraction, read_buffer, write_buffer, accesses)
