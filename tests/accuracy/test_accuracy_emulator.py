"""The functional CIM matmul against closed-form arithmetic (exactness, quantisation SNR,
stuck-at faults, programming and read noise, drift and its compensation)."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from cimsim.accuracy.arith import Arith  # noqa: E402
from cimsim.accuracy.emulator import (Emulator, input_mode, program,  # noqa: E402
                                      quantize_inputs)
from cimsim.accuracy.nonideal import NonIdeal  # noqa: E402

pytestmark = pytest.mark.torch

YEAR_S = 365 * 24 * 3600.0


def _int_matmul(a: Arith, x, w, ni=None, seed=0):
    gen = torch.Generator().manual_seed(seed)
    e = Emulator(a, ni, gen, shortcut=False)  # always through the slices and the ADC
    p = program(w, a, ni, gen)
    mode = input_mode(x, a)
    xi, _ = quantize_inputs(x, a, mode)
    return e.matmul_int(xi, mode, p), xi, p


@pytest.mark.parametrize("encoding", ["offset", "differential"])
@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("D,c,R", [(1, 2, 128), (2, 1, 32), (4, 4, 16), (3, 2, 100)])
def test_lossless_adc_is_bit_exact(encoding, signed, D, c, R):
    """At ADC bits >= ceil(log2(R (2^D-1) (2^c-1) + 1)) (+1 sign bit with signed pulses) the
    emulated matmul is the integer matmul of the quantised operands, for every range policy."""
    torch.manual_seed(1)
    x, w = torch.randn(40, 300), torch.randn(300, 24)
    base = Arith(rows=128, bits_per_cell=c, weight_bits=8, input_bits=7, dac_bits=D,
                 signed_inputs=signed, encoding=encoding, rows_per_read=R)
    bound = math.ceil(math.log2(R * (2 ** D - 1) * (2 ** c - 1) + 1)) + (1 if signed else 0)
    assert base.lossless_adc_bits == bound
    for policy in ("max", "unit"):
        a = base.with_(adc_bits=bound, adc_range_policy=policy)
        y, xi, p = _int_matmul(a, x, w)
        assert torch.equal(y.to(torch.int64), xi @ p.w_int)
    # one bit fewer loses information with the worst-case range
    a = base.with_(adc_bits=bound - 1, adc_range_policy="max")
    y, xi, p = _int_matmul(a, x, w)
    assert not torch.equal(y.to(torch.int64), xi @ p.w_int)


def test_lossless_shortcut_equals_the_sliced_path():
    """The shortcut (integer matmul where no conversion can round or clip) gives what the slices
    and the ADC give; with a layer shorter than R, 'unit' at fewer bits is still lossless."""
    torch.manual_seed(10)
    x, w = torch.randn(30, 20), torch.randn(20, 9)
    a = Arith(rows=128, adc_bits=7, adc_range_policy="unit")   # 20 rows x 1 x 3 = 60 <= 127
    ys = []
    for shortcut in (True, False):
        e = Emulator(a, shortcut=shortcut)
        ys.append(e.matmul(x, program(w, a)))
        assert e.conversions == 1 * 8 * 30 * 4 * 9     # groups x slices x rows x columns
    assert torch.equal(ys[0], ys[1])
    e = Emulator(a.with_(adc_bits=5), shortcut=True)           # 31 < 60: clips, no shortcut
    assert not e._lossless(program(w, a), 20)


def test_per_tensor_weight_quant_keeps_a_per_tensor_models_codes():
    """find-V #3: a weight already on a per-tensor 4-bit grid (W = 0.05 x codes, |codes| <= 7,
    the columns' largest codes 7, 2 and 4) is programmed as its own codes with ``per_tensor``: through a
    lossless 4-bit CIM, inputs 0..255 (s_x = 1) give x @ W exactly. ``per_column`` (the default)
    scales each column to its own largest code: codes +-2 of the column whose largest is 2
    become +-7, and the product is another matrix's."""
    from cimsim.accuracy.emulator import quantize_weights

    codes = torch.tensor([[7, 2, -4], [-3, -2, 1], [0, 0, 4], [5, 2, -1],
                          [-7, 0, 3], [1, -2, 0]], dtype=torch.int64)
    w = codes.to(torch.float32) * 0.05
    a = Arith(weight_bits=4, bits_per_cell=2, adc_bits=9, weight_quant="per_tensor")
    wi, sw = quantize_weights(w, a)
    assert torch.equal(wi, codes) and torch.allclose(sw, torch.full((3,), 0.05), atol=0)
    wc, _ = quantize_weights(w, a.with_(weight_quant="per_column"))
    # column 0 (largest code 7) keeps its codes; column 1 (2) is x 7/2, column 2 (4) x 7/4
    assert torch.equal(wc[:, 0], codes[:, 0]) and wc[:, 1].tolist() == [7, -7, 0, 7, 0, -7]
    assert wc[:, 2].tolist() == [-7, 2, 7, -2, 5, 0]  # round(q 7/4): -7, 1.75, 7, -1.75, 5.25, 0
    x = torch.tensor([[255.0, 0, 17, 3, 100, 9], [1, 2, 3, 4, 5, 255]])
    exact = (x.double() @ codes.double()) * 0.05
    for quant, equal in (("per_tensor", True), ("per_column", False)):
        b = a.with_(weight_quant=quant)
        y = Emulator(b, shortcut=False).matmul(x, program(w, b)).double()
        assert torch.allclose(y, exact, rtol=1e-6, atol=0) is equal, quant
    with pytest.raises(ValueError, match="weight_quant must be one of per_column, per_tensor"):
        Arith(weight_quant="per_group")


def test_nonnegative_inputs_use_all_bits():
    """ReLU outputs are sent unsigned: B bits give 2^B - 1 steps (not 2^(B-1) - 1)."""
    a = Arith(input_bits=4)
    x = torch.tensor([[0.0, 1.0, 0.6]])
    xi, s = quantize_inputs(x, a, input_mode(x, a))
    assert xi.tolist() == [[0, 15, 9]] and float(s) == pytest.approx(1 / 15, rel=1e-6, abs=0)


@pytest.mark.parametrize("bits", [(5, 5), (6, 4), (4, 7)])
def test_quantisation_snr_matches_closed_form(bits):
    """Quantisation only (lossless ADC): y = x W with x and W rounded to steps dx (per row) and
    dw (per column); each rounding error is uniform, variance step^2 / 12, so the error of
    y[m, n] has variance dx_m^2/12 sum_k W_kn^2 + dw_n^2/12 sum_k x_mk^2."""
    B, Bw = bits
    torch.manual_seed(2)
    M, K, N = 256, 200, 64
    x, w = torch.randn(M, K, dtype=torch.float64), torch.randn(K, N, dtype=torch.float64)
    a = Arith(input_bits=B, weight_bits=Bw, signed_inputs=True, bits_per_cell=2, dac_bits=1)
    a = a.with_(adc_bits=a.lossless_adc_bits)
    e = Emulator(a, shortcut=False)
    y = e.matmul(x.float(), program(w.float(), a)).double()
    ref = x @ w
    dx = x.abs().amax(1, keepdim=True) / (2 ** (B - 1) - 1)
    dw = w.abs().amax(0, keepdim=True) / (2 ** (Bw - 1) - 1)
    pred_noise = (dx ** 2 / 12 * (w ** 2).sum(0, keepdim=True)
                  + dw ** 2 / 12 * (x ** 2).sum(1, keepdim=True)).sum()
    snr_pred = 10 * math.log10(float((ref ** 2).sum() / pred_noise))
    snr = 10 * math.log10(float((ref ** 2).sum() / ((y - ref) ** 2).sum()))
    assert abs(snr - snr_pred) < 1.0, (snr, snr_pred)


def _one_slice_setup(M=64, K=64, N=3000, seed=3, D=1):
    """Offset encoding of 2-bit weights in one 2-bit cell: level L = W_int + 2 in {1, 2, 3};
    D-bit unsigned inputs x in {0 .. 2^D - 1} sent in one slice; one conversion per column:
    y_int = sum_k x_k L_k - 2 sum_k x_k."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 2 ** D, (M, K), generator=g).float()
    x[:, 0] = 2 ** D - 1  # every row has max x = 2^D - 1: x_int = x
    w = torch.randint(-1, 2, (K, N), generator=g).float()
    w[0] = 1.0  # every column has max |W| = 1: W_int = W
    a = Arith(rows=128, bits_per_cell=2, weight_bits=2, input_bits=D, dac_bits=D,
              adc_range_policy="unit", encoding="offset")
    a = a.with_(adc_bits=a.lossless_adc_bits)
    return a, x, w


def test_stuck_at_changes_the_expected_partial_sum():
    """A cell stuck on (prob. p_on) reads Lmax, stuck off (p_off) reads 0:
    E[L'] = (1 - p_on - p_off) L + p_on Lmax, Var[L'] = E[L'^2] - E[L']^2 with
    E[L'^2] = (1 - p_on - p_off) L^2 + p_on Lmax^2."""
    a, x, w = _one_slice_setup()
    p_on, p_off, Lmax = 0.05, 0.10, 3
    ni = NonIdeal(stuck_at={"on": p_on, "off": p_off})
    y, xi, p = _int_matmul(a, x, w, ni, seed=4)
    L = (w + 2).double()
    xd = x.double()
    EL = (1 - p_on - p_off) * L + p_on * Lmax
    VL = (1 - p_on - p_off) * L ** 2 + p_on * Lmax ** 2 - EL ** 2
    expected = xd @ EL - 2 * xd.sum(1, keepdim=True)
    ideal = xd @ (L - 2)
    # grand mean of y - E[y] = (1/N) sum_{k,n} xbar_k (L'_kn - E L'_kn): independent cells, so
    # its standard error is sqrt(sum_{k,n} xbar_k^2 Var L'_kn) / N
    diff = float((y - expected).mean())
    xbar = xd.mean(0, keepdim=True)
    se = math.sqrt(float(((xbar ** 2) @ VL).sum())) / w.shape[1]
    assert abs(diff) < 5 * se + 1e-9
    shift = float((expected - ideal).mean())
    assert abs(shift) > 20 * se  # the faults move the mean far beyond the tolerance


def test_programming_and_read_noise_variance():
    """Gaussian conductance error of std s (fraction of range) per cell: a one-slice partial
    sum gets variance (s Lmax)^2 sum_k x_k^2 (programming: across chips/columns; read: per read),
    plus 1/12 LSB^2 from the ADC's rounding (Sheppard: the noise spans several LSB here)."""
    a, x, w = _one_slice_setup(M=32, N=4000, D=4)
    Lmax, s = 3, 0.02
    ideal = x.double() @ w.double()
    pred = (s * Lmax) ** 2 * (x.double() ** 2).sum(1)                      # per row m
    for ni in (NonIdeal(programming_sigma=s), NonIdeal(read_sigma=s)):
        b = a.with_(adc_bits=16)   # resolve the noise: step 1 LSB adds 1/12 per conversion
        y, _, _ = _int_matmul(b, x, w, ni, seed=5)
        var = ((y - ideal) ** 2).mean(1)                                   # over 4000 columns
        ratio = float((var / (pred + 1 / 12)).mean())
        assert ratio == pytest.approx(1.0, abs=0.1), (ni, ratio)


def test_finite_on_off_ratio_is_cancelled_by_the_reference_column():
    """Every cell conducts g_min = 1/ratio more than its level; the reference column of off
    cells carries the same sum_k x_k g_min, so the difference is exact (no variation)."""
    torch.manual_seed(6)
    x, w = torch.rand(20, 150), torch.randn(150, 30)
    a = Arith(rows=64, bits_per_cell=2, weight_bits=6, input_bits=5, dac_bits=1)
    a = a.with_(adc_bits=a.lossless_adc_bits)
    y, xi, p = _int_matmul(a, x, w, NonIdeal(on_off_ratio=10.0))
    assert p.n_ref > 0
    assert torch.equal(y.to(torch.int64), xi @ p.w_int)


def test_drift_scales_weights_and_compensation_restores_them():
    """One year after programming with a fixed nu the conductances are g (t/t0)^-nu: the realised
    weight is W_int (t/t0)^-nu (differential: no offset to drift); global compensation
    multiplies by sum|colsum before| / sum|colsum after| = (t/t0)^nu, restoring W_int."""
    torch.manual_seed(7)
    x, w = torch.rand(64, 100), torch.randn(100, 40)
    a = Arith(rows=128, bits_per_cell=2, weight_bits=8, input_bits=8, dac_bits=1,
              encoding="differential")
    a = a.with_(adc_bits=a.lossless_adc_bits + 4, adc_range_policy="unit")
    nu, t, t0 = 0.05, YEAR_S, 20.0
    factor = (t / t0) ** -nu
    for comp in (False, True):
        ni = NonIdeal(encoding="differential", drift={"time": f"{t} s", "t0": f"{t0} s",
                                                       "nu": nu, "compensation": comp})
        gen = torch.Generator().manual_seed(0)
        p = program(w, a, ni, gen)
        w_eff = p.effective_weight(a)
        want = p.w_int.double() * (1.0 if comp else factor)
        assert torch.allclose(w_eff, want, rtol=1e-5, atol=1e-4)
        e = Emulator(a, ni, gen, shortcut=False)
        mode = input_mode(x, a)
        xi, _ = quantize_inputs(x, a, mode)
        y = e.matmul_int(xi, mode, p)
        exact = (xi @ p.w_int).double()
        # ADC rounding of the drifted (non-integer) partial sums averages out in the mean
        assert float(y.mean()) == pytest.approx(float(exact.mean()) * (1.0 if comp else factor),
                                                rel=0.01, abs=0)


def test_pcm_drift_model_mean_factor():
    """aihwkit's PCM model at g_T = 1: mu_nu = clip(0.0244, 0.049, 0.1) = 0.049, sigma_nu =
    clip(-0.0059, 0.008, 0.045) = 0.008; for nu ~ N(mu, sigma^2) the mean drift factor is
    E[(t/t0)^-nu] = exp(-mu L + sigma^2 L^2 / 2), L = ln(t/t0) (a lognormal mean)."""
    a = Arith(rows=128, bits_per_cell=1, weight_bits=2, encoding="differential")
    w = torch.ones(128, 2000)                  # every positive cell at the top level (g_T = 1)
    ni = NonIdeal(encoding="differential", drift={"time": f"{YEAR_S} s", "compensation": False})
    p = program(w, a, ni, torch.Generator().manual_seed(8))
    L = math.log(YEAR_S / 20.0)
    want = math.exp(-0.049 * L + 0.008 ** 2 * L ** 2 / 2)
    pos = p.cells.reshape(-1, 2, 2000)[:, 0]   # positive column of each weight
    assert float(pos.mean()) == pytest.approx(want, rel=0.01, abs=0)


def test_calibrated_range_uses_the_percentile():
    """The calibrated step is the chosen percentile of |partial sums| over the top code."""
    torch.manual_seed(9)
    x, w = torch.rand(200, 128), torch.randn(128, 16)
    a = Arith(rows=128, adc_bits=4, adc_range_policy="calibrated", adc_percentile=50.0)
    e = Emulator(a)
    p = program(w, a)
    e.calibrating = True
    e.matmul(x, p)
    e.finish_calibration([p])
    # recompute the partial sums directly: slices of x_int times cell levels
    xi, _ = quantize_inputs(x, a, "unsigned")
    xs = torch.stack([(xi >> i) & 1 for i in range(8)]).float()
    P = torch.einsum("smk,kc->smc", xs, p.cells[0])
    want = max(1.0, float(torch.quantile(P.abs().flatten()[::1], 0.5)) / 15)
    assert p.lsb == pytest.approx(want, rel=0.02, abs=0)


def test_input_encoding_is_chosen_per_row():
    """Row 0 holds a negative: offset-binary, 7 magnitude levels at B = 4 (s_x = 1/7); row 1
    holds none: unsigned, 15 levels (s_x = 1/15). Each row's codes are its own, alone or not."""
    a = Arith(rows=8, cols=8, bits_per_cell=2, weight_bits=4, input_bits=4, adc_bits=8)
    x = torch.tensor([[-1.0, 0.6, 1.0], [1.0, 0.2, 0.0]])
    mode = input_mode(x, a)
    assert mode.tolist() == [[True], [False]]
    xi, s = quantize_inputs(x, a, mode)
    assert xi.tolist() == [[-7, 4, 7], [15, 3, 0]]       # round(0.6*7)=4, round(0.2*15)=3
    assert s.flatten().tolist() == pytest.approx([1 / 7, 1 / 15], rel=1e-7, abs=0)
    # lossless ADC (8 bits >= ceil(log2(3 * 1 * 3 + 1)) = 4): the integer matmul, row by row,
    # offset-binary row 0 (codes + 8, 8 * sum_k W_int subtracted) included
    w = torch.tensor([[7.0, -7.0], [1.0, 3.0], [-2.0, 5.0]])
    y, xi2, p = _int_matmul(a, x, w)
    exact = (xi2.double() @ p.w_int.double())
    assert torch.equal(y, exact)
    for i in range(2):   # each row alone: the same codes and result
        yi, xii, _ = _int_matmul(a, x[i:i + 1], w)
        assert torch.equal(xii, xi2[i:i + 1]) and torch.equal(yi, y[i:i + 1])


def test_a_samples_output_does_not_depend_on_its_batch():
    """One negative value in sample 0 once switched every row to offset-binary (half the
    levels): the other samples' outputs must be the same alone, in the batch, and without it."""
    from cimsim.accuracy.run import CIMMode, _forward, fused_kernels_off

    torch.manual_seed(3)
    model = torch.nn.Sequential(torch.nn.Conv1d(2, 4, 3), torch.nn.Flatten(),
                                torch.nn.Linear(4 * 6, 5)).eval()
    x = torch.rand(6, 2, 8)          # non-negative inputs ...
    x[0, 0, 0] = -0.01               # ... but one value of sample 0
    a = Arith(rows=16, cols=16, adc_bits=5)          # lossy 5-bit ADC, max range
    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}

    def run(xs, bs=None):
        with fused_kernels_off(), CIMMode(Emulator(a), weights):
            return _forward(model, xs, bs)

    full, alone, without0 = run(x), run(x, 1), run(x[1:])
    assert torch.equal(full, alone)
    assert torch.equal(full[1:], without0)


@pytest.mark.parametrize("ratio", [2.0, 10.0, 1e6])
def test_on_off_ratio_without_drift_moves_nothing(ratio):
    """No drift, no noise: a cell at level L conducts gmin + (1 - gmin) L / Lmax, the reference
    gmin, so the difference is L / Lmax of the range for every ratio: the cells read their
    integer levels exactly, the reference 0, and a lossy ADC (5 bits, rounding sums of up to
    64 * 3 = 192) rounds the same sums as without a ratio (once, 1e6 flipped .5 ties)."""
    torch.manual_seed(11)
    x, w = torch.rand(50, 200), torch.randn(200, 24)
    a = Arith(rows=64, cols=64, bits_per_cell=2, weight_bits=8, input_bits=8, adc_bits=5)
    y0, _, p0 = _int_matmul(a, x, w)
    y, _, p = _int_matmul(a, x, w, NonIdeal(on_off_ratio=ratio))
    T = p.n_ref
    assert T == 2                                       # 4 slices x 24 columns on 64-wide arrays
    assert torch.equal(p.cells[..., :-T], p0.cells) and bool((p.cells[..., -T:] == 0).all())
    assert torch.equal(y, y0)


@pytest.mark.parametrize("compensation", [False, True])
def test_fixed_nu_drift_scales_the_weights_not_the_reference(compensation):
    """Fixed nu, no variation: a weight cell's conductance g = gmin + (1 - gmin) L / Lmax becomes
    g f, f = (t / t0)^-nu; the reference (gmin) does not drift. In levels of the range,
    L' = (L + o) f - o with o = gmin Lmax / (1 - gmin), so an offset-stored word
    V = W_int + 2^(Bw-1) over Sw c-bit cells reads f V + o (f - 1) (2^(c Sw) - 1) / (2^c - 1):
    the ratio (through o) moves the realised weight once the conductances drift."""
    torch.manual_seed(12)
    w = torch.randn(100, 8)
    a = Arith(rows=128, cols=128, bits_per_cell=2, weight_bits=8, input_bits=8, adc_bits=9)
    f = (YEAR_S / 20.0) ** -0.05
    got = {}
    for ratio in (2.0, 10.0):
        ni = NonIdeal(on_off_ratio=ratio, drift={"time": "31.536 Ms", "nu": 0.05,
                                                 "compensation": compensation})
        p = program(w, a, ni, torch.Generator().manual_seed(0))
        o = (1 / ratio) * 3 / (1 - 1 / ratio)
        V = p.w_int.double() + 128
        expect = f * V + o * (f - 1) * (2 ** 8 - 1) / (2 ** 2 - 1) - 128
        if compensation:   # gain: sum_n |colsum before| / sum_n |colsum after| (rows of 1s)
            before = V.sum(0)                                # levels before drift: the words
            after = f * V.sum(0) + 100 * o * (f - 1) * 85
            gain = float(before.abs().sum() / after.abs().sum())
            expect = (f * V + o * (f - 1) * 85) * gain - 128
            assert p.gain == pytest.approx(gain, rel=1e-9, abs=0)
        assert float(p.cells[..., -p.n_ref:].abs().max()) == 0.0     # reference undrifted
        eff = p.effective_weight(a)
        assert torch.allclose(eff, expect, rtol=0, atol=2e-4), float((eff - expect).abs().max())
        got[ratio] = eff
    assert float((got[2.0] - got[10.0]).abs().max()) > 1.0


def test_grouped_convolutions_run_exact_as_the_trace_places_them():
    """A depthwise / grouped convolution has no stationary weight in the trace (the host runs
    it), so the emulator leaves it exact: F.conv2d's output, counted as skipped; a groups=1
    convolution goes through the emulator."""
    import torch.nn.functional as F

    from cimsim.accuracy.run import CIMMode, _forward, fused_kernels_off

    torch.manual_seed(5)
    dw = torch.nn.Conv2d(4, 4, 3, padding=1, groups=4)
    grouped = torch.nn.Conv2d(4, 6, 3, groups=2)
    model = torch.nn.Sequential(dw, grouped).eval()
    x = torch.rand(2, 4, 7, 7)

    def run(m):
        weights = {p.untyped_storage().data_ptr() for p in m.parameters()}
        mode = CIMMode(Emulator(Arith(rows=16, cols=16, adc_bits=3)), weights)
        with torch.no_grad(), fused_kernels_off(), mode:
            return _forward(m, x, None), mode

    y, mode = run(model)
    with torch.no_grad(), fused_kernels_off():  # the same kernels, no emulator
        exact = F.conv2d(F.conv2d(x, dw.weight, dw.bias, padding=1, groups=4),
                         grouped.weight, grouped.bias, groups=2)
    assert torch.equal(y, exact)
    assert mode.skipped["convolution"] == 2 and mode.emulated["convolution"] == 0
    plain = torch.nn.Conv2d(4, 6, 3).eval()
    y1, mode1 = run(plain)
    assert mode1.emulated["convolution"] == 1 and y1.shape == (2, 6, 5, 5)
    assert not torch.equal(y1, plain(x))  # a 3-bit ADC: not exact
