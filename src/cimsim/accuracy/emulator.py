"""Functional CIM matmul: what a crossbar with sliced weights, sliced inputs and ADCs computes.

``y = x @ W`` (x: M x K activations, W: K x N stationary weights) becomes:

1. **Weights**, per output column n: scale ``s_w[n] = max_k |W[k, n]| / (2^(Bw-1) - 1)``
   (``weight_quant`` ``per_tensor``: one ``s_w = max |W| / (2^(Bw-1) - 1)`` for the matrix),
   ``W_int = round(W / s_w)`` in ``[-(2^(Bw-1)-1), 2^(Bw-1)-1]`` (an all-zero column: ``s_w = 0``,
   ``W_int = 0``, its output exactly 0). Signed weights are stored
   ``offset`` (``W_int + 2^(Bw-1)``, Bw bits, one column; ``2^(Bw-1) sum_k x`` subtracted
   digitally) or ``differential`` (``|W_int|`` on a positive or a negative column, Bw-1 bits; the
   two converted readings subtracted digitally). The stored word is cut into ``c``-bit cells
   (``Sw = ceil(stored bits / c)`` columns per polarity), cell ``s`` holding bits ``c s ..``.
2. **Inputs**, per row m (per sample for a convolution): with ``signed_inputs`` the sign is a
   pulse polarity, ``s_x = max |x| / (2^(B-1) - 1)``, the B-1 magnitude bits are sliced;
   otherwise a row without negatives uses ``s_x = max |x| / (2^B - 1)`` and a row with one is
   sent offset-binary (``x_int + 2^(B-1)``, B bits; ``2^(B-1) sum_k W_int`` subtracted
   digitally): the choice is per row (per sample for a convolution), like the scale, so no
   sample's result depends on its batch. The magnitude is cut into D-bit slices (``Sx`` of them, as the cost model counts).
3. **Partial sums**: K is cut into array tiles of ``rows`` rows and each tile into groups of R
   rows (rows read at once; a group never spans two arrays, so a tile of k_t rows reads
   ``ceil(k_t / R)`` groups, as the cost model counts them); for every (input slice, cell slice,
   group) the bit line sums ``P = sum_{r in group} x_slice[r] * L[r]`` (unit
   products), computed for all slice pairs and groups by one batched matmul.
4. **ADC**: ``code = clip(round(P / lsb), lo, top)``, ``top = 2^b - 1`` (``lo = 0``) or, with
   signed inputs, ``2^(b-1) - 1`` (``lo = -top``); ``lsb`` by the range policy (:mod:`.arith`).
5. **Shift-and-add**: ``y_int = sum 2^(D i) 2^(c j) (+/-) code * lsb`` minus the digital offsets;
   ``y = s_x s_w y_int``.

With the ADC at :attr:`Arith.lossless_adc_bits` or more and no non-ideality, ``y_int`` equals the
integer matmul ``x_int @ W_int`` bit for bit. Non-idealities (:mod:`.nonideal`) act on the
conductances at programming (:class:`Programmed`) and on every read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import torch

from .chips import DeviceStreams

from .arith import Arith
from .nonideal import PCM_NU_MU, PCM_NU_SIGMA, NonIdeal

#: elements of one partial-sum block (rows of x are processed in chunks below this)
_BLOCK = 1 << 24


def quantize_weights(w: torch.Tensor, a: Arith) -> tuple[torch.Tensor, torch.Tensor]:
    """``(W_int, s_w)``: symmetric quantisation of a K x N weight, a scale per column or one
    for the matrix (``a.weight_quant``; ``s_w`` has N entries either way, 0 for an all-zero
    column or matrix)."""
    q = 2 ** (a.weight_bits - 1) - 1
    w = w.detach().to(torch.float32)
    if getattr(a, "full_grid", False):  # a tagged b-bit weight (layerbits.narrowed): -2^(b-1)..q
        return _full_grid(w, a, q)
    s = (w.abs().amax(dim=0) if a.weight_quant == "per_column"
         else w.abs().amax().expand(w.shape[1]).clone()) / q
    # an all-zero column (a pruned channel) quantises with the divisor 1 (every code 0) and keeps
    # its true scale 0: what its readout errs by (the ADC's rounding of the offset word, noise)
    # is dequantised to exactly 0, as its product is (a scale of 1 made it +-47: a tester)
    wi = torch.clamp(torch.round(w / torch.where(s > 0, s, torch.ones_like(s))), -q, q)
    return wi.to(torch.int64), s


def _full_grid(w: torch.Tensor, a: Arith, q: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The 2^b codes ``-(q + 1)..q`` of a b-bit integer weight (an offset word holds them all):
    the scale ``max(max(-w) / (q + 1), max(w) / q)``, so a QAT grid that reaches either end
    (torch's ``per_channel_symmetric`` -8..7) is reproduced exactly."""
    per = a.weight_quant == "per_column"
    neg = (-w).clamp(min=0).amax(dim=0) if per else (-w).clamp(min=0).amax().expand(w.shape[1])
    pos = w.clamp(min=0).amax(dim=0) if per else w.clamp(min=0).amax().expand(w.shape[1])
    s = torch.maximum(neg / (q + 1), pos / q).clone()
    wi = torch.clamp(torch.round(w / torch.where(s > 0, s, torch.ones_like(s))), -q - 1, q)
    return wi.to(torch.int64), s


def input_mode(x: torch.Tensor, a: Arith):
    """``"signed"`` (``signed_inputs``: the sign is the pulse polarity, B-1 magnitude bits, as the
    cost model counts slices), else per row of the M x K ``x`` an M x 1 bool tensor: True where
    the row holds a negative (sent offset-binary), False where it holds none (unsigned, all B
    bits). The choice is the row's own, as its scale is: a sample's result never depends on the
    other samples of its batch. ``"unsigned"`` / ``"offset"`` (every row) are accepted too."""
    if a.signed_inputs:
        return "signed"
    return (x < 0).any(dim=1, keepdim=True)


def offset_rows(mode, M: int) -> Optional[torch.Tensor]:
    """M x 1 bool: the rows sent offset-binary under ``mode`` (None: signed pulses)."""
    if isinstance(mode, torch.Tensor):
        return mode.reshape(M, 1)
    if mode == "signed":
        return None
    if mode not in ("unsigned", "offset"):
        raise ValueError(f"input mode must be signed, unsigned, offset or a row mask, not {mode!r}")
    return torch.full((M, 1), mode == "offset")


def input_qmax(mode, a: Arith, M: int = 1):
    """Largest input code: ``2^B - 1`` (unsigned rows) or ``2^(B-1) - 1`` (offset, signed)."""
    off = offset_rows(mode, M)
    if off is None:
        return 2 ** (a.input_bits - 1) - 1
    if not isinstance(mode, torch.Tensor):
        return 2 ** (a.input_bits - 1) - 1 if mode == "offset" else 2 ** a.input_bits - 1
    return torch.where(off, 2.0 ** (a.input_bits - 1) - 1, 2.0 ** a.input_bits - 1)


def quantize_inputs(x: torch.Tensor, a: Arith, mode,
                    amax: Optional[torch.Tensor] = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x_int, s_x)`` for an M x K input; ``amax`` (M x 1) overrides the per-row max |x|;
    ``mode`` as :func:`input_mode` gives it (per row). ``s_x`` is 0 for an all-zero row."""
    q = input_qmax(mode, a, x.shape[0])
    x = x.detach().to(torch.float32)
    m = x.abs().amax(dim=1, keepdim=True) if amax is None else amax
    s = m / q
    # an all-zero row keeps its true scale 0 (its output is exactly 0, whatever the ADC's noise)
    xi = torch.round(x / torch.where(s > 0, s, torch.ones_like(s)))
    xi = (torch.clamp(xi, -q, q) if not isinstance(q, torch.Tensor)
          else torch.maximum(torch.minimum(xi, q), -q)).to(torch.int64)
    return xi, s


def _slices(v: torch.Tensor, bits: int, width: int) -> torch.Tensor:
    """Unsigned integer tensor ``v`` (< 2^bits) cut into ``ceil(bits/width)`` slices, LSB first."""
    n = max(1, math.ceil(bits / width))
    mask = (1 << width) - 1
    return torch.stack([(v >> (width * i)) & mask for i in range(n)])


@dataclass
class Programmed:
    """A weight matrix as programmed on one chip: the per-cell level-domain conductances."""

    K: int
    N: int
    w_int: torch.Tensor            # K x N int64
    scale: torch.Tensor            # N float32
    cells: torch.Tensor            # G x R x C float32 levels (g - gmin) Lmax / (1 - gmin), C = Sw*Pol*N (+T refs)
    n_ref: int = 0                 # reference columns appended at the end of ``cells``
    ref_of: Optional[torch.Tensor] = None   # C-long index of each column's reference (0..T-1)
    gain: float = 1.0              # digital drift-compensation gain
    lsb: Optional[float] = None    # calibrated ADC step (calibrated policy)
    colsum_w: torch.Tensor = field(default=None)  # N float64: sum_k W_int
    seen: list = field(default_factory=list)       # |partial sums| recorded while calibrating
    pos: Optional[torch.Tensor] = None  # K-long row slot in the G x R layout (None: row k at k)
    live: Optional[torch.Tensor] = None  # the input rows it holds (drop_zero_rows; None: all)

    def effective_weight(self, a: Arith) -> torch.Tensor:
        """The K x N signed integer-domain weight the analog part realises (after compensation),
        as seen through an ideal ADC (drift, variation and faults included, offsets removed)."""
        Sw, pol = a.weight_slices, (2 if a.encoding == "differential" else 1)
        cells = self.cells
        if self.n_ref:
            ref = cells[..., -self.n_ref:]
            cells = cells[..., :-self.n_ref] - ref[..., self.ref_of]
        flat = cells.reshape(-1, cells.shape[-1])
        w = (flat[self.pos] if self.pos is not None else flat[: self.K]).double()
        w = w.reshape(self.K, Sw, pol, self.N)
        coef = torch.tensor([2.0 ** (a.bits_per_cell * j) for j in range(Sw)], dtype=torch.float64)
        sign = torch.tensor([1.0, -1.0][:pol], dtype=torch.float64)
        w = torch.einsum("kspn,s,p->kn", w, coef, sign) * self.gain
        if a.encoding == "offset":
            w = w - 2.0 ** (a.weight_bits - 1)
        return w


def program(w: torch.Tensor, a: Arith, ni: Optional[NonIdeal] = None,
            gen: Optional[torch.Generator | DeviceStreams] = None, stationary: bool = False) -> Programmed:
    """Quantise and slice a K x N weight, place it on arrays of R rows, apply device effects,
    drawn from ``gen``: the weight's :class:`~.chips.DeviceStreams` (one stream per effect, as
    :class:`Emulator` gives them) or one generator for every effect. A ``stationary`` weight
    with ``a.drop_zero_rows`` holds its live rows alone (its exactly-zero K rows left off, as
    the cost run maps it; an all-zero weight kept whole, as there): the reads take those rows'
    inputs only (:attr:`Programmed.live`)."""
    live = None
    if stationary and a.drop_zero_rows:
        rows = (w != 0).any(dim=1)
        if 0 < int(rows.sum()) < w.shape[0]:
            live = torch.nonzero(rows).squeeze(1)
            w = w[live]
    K, N = w.shape
    wi, s = quantize_weights(w, a)
    c = a.bits_per_cell
    if a.encoding == "differential":
        words = torch.stack([wi.clamp(min=0), (-wi).clamp(min=0)], dim=1)   # K x 2 x N
    else:
        words = (wi + 2 ** (a.weight_bits - 1)).unsqueeze(1)                # K x 1 x N
    lv = _slices(words, a.weight_magnitude_bits, c)                          # Sw x K x Pol x N
    lv = lv.permute(1, 0, 2, 3).reshape(K, -1).to(torch.float32)            # K x (Sw*Pol*N)
    R = min(a.R, K)  # a matrix shorter than R rows leaves the other rows idle (zero input)
    pos = None
    if K > a.rows and a.rows % a.R:  # groups never span two arrays: each tile padded to groups
        per_tile = math.ceil(a.rows / a.R)
        full, rem = divmod(K, a.rows)
        G = full * per_tile + math.ceil(rem / R)
        k = torch.arange(K)
        pos = (k // a.rows) * (per_tile * R) + k % a.rows
        placed = lv.new_zeros(G * R, lv.shape[1])
        placed[pos] = lv
        lv = placed
    else:
        G = math.ceil(K / R)
        if G * R != K:
            lv = torch.cat([lv, lv.new_zeros(G * R - K, lv.shape[1])])
    cells = lv.reshape(G, R, -1)
    prog = Programmed(K=K, N=N, w_int=wi, scale=s, cells=cells,
                      colsum_w=wi.sum(0).to(torch.float64), pos=pos, live=live)
    if ni is not None and ni.device_effects:
        _device_effects(prog, a, ni, gen, K)
    return prog


def _device_effects(p: Programmed, a: Arith, ni: NonIdeal, gen, K: int) -> None:
    """Device effects on the programmed levels, in float64 and in the level domain
    ``L = (g - gmin) Lmax / (1 - gmin)``: a cell at its target reads its integer level and an
    ideal off cell (the reference) reads 0, so the reference subtraction is exact; ``g = 0`` is
    ``L = -o``, ``o = gmin Lmax / (1 - gmin)``. Drift scales the weight cells' conductances
    ``g = (L + o)(1 - gmin) / Lmax``, not the reference column's."""
    draw = gen.get if isinstance(gen, DeviceStreams) else (lambda _effect: gen)
    Lmax = 2 ** a.bits_per_cell - 1
    G, R, C = p.cells.shape
    gmin = 0.0 if ni.on_off_ratio is None else 1.0 / ni.on_off_ratio
    span = 1.0 - gmin
    o = gmin * Lmax / span                                   # level of g = 0 is -o
    target = p.cells.to(torch.float64)                       # G x R x C integer levels
    T = 0
    if ni.on_off_ratio is not None:                          # one reference column per array
        T = math.ceil(C / a.cols)
        p.ref_of = torch.arange(C) // a.cols
        p.n_ref = T
        target = torch.cat([target, target.new_zeros(G, R, T)], dim=2)   # off cells: level 0
    rows_used = torch.zeros(G * R, 1, dtype=torch.float64)
    rows_used[p.pos if p.pos is not None else slice(0, K)] = 1
    rows_used = rows_used.reshape(G, R, 1)
    g = target.clone()
    programmable = torch.ones_like(g, dtype=torch.bool)
    st = ni.stuck_at
    if st is not None and (st.on > 0 or st.off > 0):
        # one uniform per cell, stuck-on at the bottom of [0, 1) and stuck-off at the top
        # (on + off <= 1 is checked): each map is nested in its own rate, whatever the other's
        u = torch.rand(g.shape, generator=draw("stuck_at"))
        on = u < st.on
        off = (u >= 1.0 - st.off) & ~on                     # ~on: float rounding at on + off = 1
        g = torch.where(on, torch.full_like(g, float(Lmax)), torch.where(off, torch.zeros_like(g), g))
        programmable = ~(on | off)
    if ni.programming_sigma > 0:
        # a programmed level (target L >= 1, set from the RESET state) varies by sigma of the
        # range (sigma Lmax levels) and never reads below the RESET state g_off (L >= 0); an
        # off-target cell (L = 0, the reference column's too) stays RESET: its spread is sigma
        # of g_off (sigma o levels; 0 at an infinite ratio), clipped at g >= 0 (L >= -o)
        z = torch.randn(g.shape, generator=draw("programming")).double()
        s = ni.programming_sigma
        noisy = torch.where(target > 0, (g + z * (s * Lmax)).clamp(min=0.0),
                            (g + z * (s * o)).clamp(min=-o))
        g = torch.where(programmable, noisy, g)
    g_prog = g
    d = ni.drift
    if d is not None and d.time > d.t0:
        if d.nu is None:  # aihwkit PCM model, from the target conductance
            gt = ((target + o) * (span / Lmax)).clamp(min=1e-6)
            ln = torch.log(gt)
            a1, b1, lo1, hi1 = PCM_NU_MU
            a2, b2, lo2, hi2 = PCM_NU_SIGMA
            mu = (a1 * ln + b1).clamp(lo1, hi1)
            sd = (a2 * ln + b2).clamp(lo2, hi2)
            nu = (mu + sd * torch.randn(g.shape, generator=draw("drift_nu")).double()).abs()
        elif d.nu_std > 0:
            nu = (d.nu + d.nu_std * torch.randn(g.shape, generator=draw("drift_nu")).double()).abs()
        else:
            nu = torch.full_like(g, float(d.nu))
        factor = torch.pow(torch.tensor(d.time / d.t0, dtype=torch.float64), -nu)
        if T:
            factor[..., -T:] = 1.0                           # the reference does not drift
        g = (g_prog + o) * factor - o
        if d.compensation:
            before = _colsums(g_prog * rows_used, p, a)
            after = _colsums(g * rows_used, p, a)
            den = float(after.abs().sum())
            p.gain = float(before.abs().sum()) / den if den > 0 else 1.0
    p.cells = g.to(torch.float32)


def _colsums(g: torch.Tensor, p: Programmed, a: Arith) -> torch.Tensor:
    """All-ones read of every physical column (reference subtracted), shift-added per weight."""
    cs = g.sum(dim=(0, 1))                                   # C (+T)
    if p.n_ref:
        cs = cs[:-p.n_ref] - cs[-p.n_ref:][p.ref_of]
    Sw, pol = a.weight_slices, (2 if a.encoding == "differential" else 1)
    cs = cs.double().reshape(Sw, pol, p.N)
    coef = torch.tensor([2.0 ** (a.bits_per_cell * j) for j in range(Sw)], dtype=torch.float64)
    sign = torch.tensor([1.0, -1.0][:pol], dtype=torch.float64)
    return torch.einsum("spn,s,p->n", cs, coef, sign)


class Emulator:
    """Runs matmuls through one design point's arithmetic (and, optionally, non-idealities).

    ``shortcut``: where no conversion of a layer can round or clip (step 1, top code >= the
    layer's worst case ``min(R, K) (2^D-1) (2^c-1)``) and nothing is noisy, the result is the
    integer matmul (the lossless identity, tested bit for bit), so it is computed as one.

    ``calibrating = True`` makes :meth:`matmul_int` record the partial sums of each programmed
    weight (ADC ideal); :meth:`finish_calibration` then sets each weight's ADC step. A weight
    without a calibrated step (one programmed per call, ``claim="all"``) uses the ``max`` range.

    Randomness (:mod:`.chips`): ``gen`` is the chip's per-read stream (read and ADC noise, in
    the order of the reads); what is fixed at programming draws from :meth:`streams`, one
    stream per weight and effect spawned from ``device_seed`` (default: ``gen``'s seed), so a
    chip's fault map never depends on the reads before it.
    """

    def __init__(self, arith: Arith, nonideal: Optional[NonIdeal] = None,
                 gen: Optional[torch.Generator] = None, shortcut: bool = True,
                 device_seed: Optional[int] = None):
        self.a = arith
        self.ni = nonideal
        self.gen = gen
        self.device_seed = gen.initial_seed() if device_seed is None and gen is not None else device_seed
        self.operands = 0  # activation operands programmed (claim "all"), each its own key
        self.shortcut = shortcut
        self.calibrating = False
        self.conversions = 0

    def streams(self, key: Optional[str] = None) -> Optional[torch.Generator | DeviceStreams]:
        """The programming-time streams of the weight named ``key`` (:func:`.chips.identity`);
        None: an activation operand programmed afresh each call, keyed by its count. Without a
        seed (no ``gen``), torch's global generator."""
        if self.device_seed is None:
            return None
        if key is None:
            key, self.operands = f"operand#{self.operands}", self.operands + 1
        return DeviceStreams(self.device_seed, key)

    # ---- calibration ----------------------------------------------------------------------
    def finish_calibration(self, programmed: list[Programmed]) -> None:
        a = self.a
        for p in programmed:
            seen, p.seen = p.seen, []
            if not seen:
                continue
            v = torch.cat(seen)
            if v.numel() > 4_000_000:  # torch.quantile takes at most 2^24 elements
                v = v[:: math.ceil(v.numel() / 4_000_000)]
            pct = float(torch.quantile(v, a.adc_percentile / 100.0)) if v.numel() else 0.0
            p.lsb = max(1.0, pct / a.adc_top_code)
        self.calibrating = False

    def _record(self, p: Programmed, P: torch.Tensor) -> None:
        v = P.abs().flatten()
        if v.numel() > 200_000:  # a fixed-stride subsample keeps the percentile cheap
            v = v[:: math.ceil(v.numel() / 200_000)]
        p.seen.append(v)

    # ---- the ADC --------------------------------------------------------------------------
    def lsb(self, p: Programmed) -> float:
        a = self.a
        if a.adc_range_policy == "unit":
            return 1.0
        if a.adc_range_policy == "max":
            return max(1.0, a.max_partial_sum / a.adc_top_code)
        return p.lsb if p.lsb is not None else max(1.0, a.max_partial_sum / a.adc_top_code)

    def _adc(self, P: torch.Tensor, p: Programmed, noise: bool = True) -> torch.Tensor:
        a = self.a
        if self.calibrating:
            self._record(p, P)
            return P
        lsb = self.lsb(p)
        top = float(a.adc_top_code)
        lo = -top if a.bipolar else 0.0
        if P.requires_grad or P._base is not None:
            P = P.clone()
        if lsb != 1.0:
            P.div_(lsb)
        if noise and self.ni is not None and self.ni.adc_noise > 0:
            P.add_(torch.randn(P.shape, generator=self.gen), alpha=self.ni.adc_noise)
        P.round_().clamp_(lo, top)
        return P.mul_(lsb) if lsb != 1.0 else P

    def _lossless(self, p: Programmed, R: int) -> bool:
        a, ni = self.a, self.ni
        if not self.shortcut or self.calibrating:
            return False
        if ni is not None and (ni.device_effects or ni.adc_noise > 0 or ni.read_sigma > 0):
            return False
        worst = R * (2 ** a.dac_bits - 1) * (2 ** a.bits_per_cell - 1)
        return self.lsb(p) == 1.0 and a.adc_top_code >= worst

    # ---- the matmul -----------------------------------------------------------------------
    def matmul_int(self, xi: torch.Tensor, mode: str, p: Programmed) -> torch.Tensor:
        """Integer-domain result (float64, M x N) of ``x_int @ W_int`` through the arrays."""
        a = self.a
        if p.live is not None:  # the live rows' inputs alone (drop_zero_rows)
            xi = xi[:, p.live]
        M, K = xi.shape
        assert K == p.K, (K, p.K)
        G, R, C = p.cells.shape
        Sw, pol = a.weight_slices, (2 if a.encoding == "differential" else 1)
        N = p.N
        off = offset_rows(mode, M)                                  # None: signed pulses
        mag_bits = a.input_bits - 1 if off is None else a.input_bits
        Sx = max(1, math.ceil(mag_bits / a.dac_bits))
        xu = xi if off is None else xi + off.to(xi.dtype) * 2 ** (a.input_bits - 1)
        if self._lossless(p, R):
            self.conversions += G * Sx * M * (C - p.n_ref)
            return xi.to(torch.float64) @ p.w_int.to(torch.float64)
        x32 = xu.to(torch.int32) if a.input_bits <= 30 else xu  # narrower ints: faster slicing
        if off is None:
            xs = _slices(x32.abs(), mag_bits, a.dac_bits) * x32.sign().unsqueeze(0)
        else:
            xs = _slices(x32, mag_bits, a.dac_bits)
        xs = xs.to(torch.float32)
        if p.pos is not None:
            placed = xs.new_zeros(Sx, M, G * R)
            placed[..., p.pos] = xs
            xs = placed
        elif G * R != K:
            xs = torch.cat([xs, xs.new_zeros(Sx, M, G * R - K)], dim=2)
        J = Sw * pol
        coef_x = torch.tensor([2.0 ** (a.dac_bits * i) for i in range(Sx)], dtype=torch.float64)
        cw = [2.0 ** (a.bits_per_cell * j) * sg for j in range(Sw) for sg in (1.0, -1.0)[:pol]]
        coef_w = torch.tensor(cw, dtype=torch.float32).view(1, 1, J, 1)
        # the weight-slice sum stays exact in float32 while it cannot reach 2^24
        top = a.adc_top_code * max(1.0, a.max_partial_sum / a.adc_top_code, p.lsb or 1.0)
        exact32 = G * top * 2.0 ** (a.weight_magnitude_bits + 1) < 2 ** 24
        read = 0.0 if self.ni is None else self.ni.read_sigma * (2 ** a.bits_per_cell - 1)
        adc_sd = 0.0 if self.ni is None or self.calibrating else self.ni.adc_noise * self.lsb(p)
        chunk = max(1, _BLOCK // max(1, G * Sx * C))
        out = []
        for m0 in range(0, M, chunk):
            xc = xs[:, m0:m0 + chunk]                                     # Sx x m x GR
            m = xc.shape[1]
            X = xc.reshape(Sx * m, G, R).permute(1, 0, 2)                 # G x Sx*m x R
            P = torch.matmul(X, p.cells)                                  # G x Sx*m x C(+T)
            x2 = (X * X).sum(-1, keepdim=True) if read > 0 else None      # G x Sx*m x 1
            if p.n_ref:
                if read > 0:  # each column's read noise, the reference's included: one draw
                    # per read of a reference column, common to every column it is subtracted from
                    P.add_(torch.randn(P.shape, generator=self.gen).mul_(x2.sqrt().mul_(read)))
                P = P[..., :-p.n_ref] - P[..., -p.n_ref:][..., p.ref_of]
            # read noise (no reference) and ADC noise are independent Gaussians added before
            # rounding: one draw
            var = None
            if read > 0 and not p.n_ref:
                var = x2 * (read * read)
            if adc_sd > 0:
                var = adc_sd ** 2 if var is None else var + adc_sd ** 2
            if var is not None:
                sd = var.sqrt() if isinstance(var, torch.Tensor) else math.sqrt(var)
                P.add_(torch.randn(P.shape, generator=self.gen).mul_(sd))
            self.conversions += P.numel()
            Q = self._adc(P, p, noise=False)
            Q = (Q.sum(0) if G > 1 else Q[0]).reshape(Sx, m, J, N)       # Sx x m x J x N
            if exact32:
                y = (Q * coef_w).sum(2).to(torch.float64)
            else:
                y = (Q.to(torch.float64) * coef_w.to(torch.float64)).sum(2)
            out.append((y * coef_x.view(Sx, 1, 1)).sum(0))
        y = torch.cat(out) * p.gain
        if a.encoding == "offset":
            y = y - 2.0 ** (a.weight_bits - 1) * xu.sum(1, keepdim=True).to(torch.float64)
        if off is not None and bool(off.any()):
            y = y - off.to(torch.float64) * 2.0 ** (a.input_bits - 1) * p.colsum_w.unsqueeze(0)
        return y

    def matmul(self, x: torch.Tensor, p: Programmed, amax: Optional[torch.Tensor] = None,
               mode=None) -> torch.Tensor:
        """``x @ W`` (M x K float) through the arrays, dequantised (float32, M x N); ``amax`` and
        ``mode`` (M x 1) override the per-row max |x| and encoding (a convolution's are the
        sample's, over its whole feature map)."""
        mode = input_mode(x, self.a) if mode is None else mode
        xi, sx = quantize_inputs(x, self.a, mode, amax)
        y = self.matmul_int(xi, mode, p)
        return (y * sx.to(torch.float64) * p.scale.to(torch.float64).unsqueeze(0)).to(torch.float32)
