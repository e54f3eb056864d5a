"""Device physics of cim.nonideal against closed forms: the shared reference column (its read
noise is one draw common to every column it is subtracted from), programming variation at any
on/off ratio (converges to the no-ratio device, monotone), what a digital cell refuses, drift's
nu model on a non-PCM cell, and the basis and field help that describe them."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cimsim import bundled, load_architecture  # noqa: E402
from cimsim.accuracy.arith import Arith, nonideal_of  # noqa: E402
from cimsim.accuracy.emulator import Emulator, input_mode, program, quantize_inputs  # noqa: E402
from cimsim.accuracy.nonideal import NonIdeal  # noqa: E402
from cimsim.errors import ConfigError  # noqa: E402

pytestmark = pytest.mark.torch


def _arch(name, **sets):
    return load_architecture(bundled.resolve_config(name), sets)


def test_reference_read_noise_is_one_draw_shared_by_its_columns():
    """Offset 8-bit weights in four 2-bit cells (shift-add 4^j), one 128 x 128 array (32 outputs
    x 4 columns) and its reference column: per input slice i (weight 2^i, n_i rows on) an
    output's read-noise error is 2^i sum_j 4^j (e_j - e_ref), e ~ N(0, (s Lmax)^2 n_i), so its
    variance is (s Lmax)^2 sum_i 4^i n_i (sum 16^j + (sum 4^j)^2) = .. (4369 + 7225), and two
    outputs of the array share the (sum 4^j)^2 = 7225 part: correlation 7225 / 11594 = 0.623
    (independent reference draws gave 2 x 4369 and 0). The unit-step ADC adds 1/12 per conversion,
    independent: sum_i 4^i sum_j 16^j / 12. M = 4000 reads: a variance's relative standard error
    is sqrt(2 / M) = 2.2 % (tolerance 10 %, 4.5 SE); a correlation's (1 - r^2) / sqrt(M) = 0.0097
    (tolerance 0.04, 4 SE)."""
    a = Arith(rows=128, cols=128, bits_per_cell=2, weight_bits=8, input_bits=8, dac_bits=1,
              adc_bits=16, adc_range_policy="unit", encoding="offset")
    torch.manual_seed(0)
    w, x = torch.randn(128, 32), torch.rand(4000, 128)
    s, Lmax = 0.2, 3
    ni = NonIdeal(read_sigma=s, on_off_ratio=10.0)
    gen = torch.Generator().manual_seed(1)
    p = program(w, a, ni, gen)
    assert p.n_ref == 1
    mode = input_mode(x, a)
    xi, _ = quantize_inputs(x, a, mode)
    err = (Emulator(a, ni, gen, shortcut=False).matmul_int(xi, mode, p)
           - xi.double() @ p.w_int.double())
    bits = torch.stack([(xi >> i) & 1 for i in range(8)]).double()          # 8 x M x K
    n_on = (bits.sum(2) * torch.tensor([4.0 ** i for i in range(8)]).view(8, 1)).sum(0)  # M
    w16, w4 = sum(16 ** j for j in range(4)), sum(4 ** j for j in range(4))
    assert (w16, w4 * w4) == (4369, 7225)
    rounding = sum(4 ** i for i in range(8)) * w16 / 12
    pred_var = float(((s * Lmax) ** 2 * n_on * (w16 + w4 * w4)).mean()) + rounding
    pred_cov = float(((s * Lmax) ** 2 * n_on * w4 * w4).mean())
    var = float((err ** 2).mean())
    assert var / pred_var == pytest.approx(1.0, abs=0.10)
    c = np.corrcoef(err.numpy().T)
    corr = float(c[~np.eye(32, dtype=bool)].mean())
    assert corr == pytest.approx(pred_cov / pred_var, abs=0.04)
    assert pred_cov / pred_var == pytest.approx(0.62, abs=0.01)


def _weight_error(ratio, seed=3):
    """Realised minus programmed integer weights of a 4096 x 32 offset-encoded matrix (2-bit
    cells, 32 arrays of 128 rows), programming sigma 0.05."""
    a = Arith(rows=128, cols=128, bits_per_cell=2, weight_bits=8, encoding="offset")
    torch.manual_seed(2)
    w = torch.randn(4096, 32)
    p = program(w, a, NonIdeal(programming_sigma=0.05, on_off_ratio=ratio),
                torch.Generator().manual_seed(seed))
    return (p.effective_weight(a) - p.w_int.double()), p, a


@pytest.mark.parametrize("ratio", [None, 1e6, 100.0, 10.0, 2.0])
def test_programming_variation_closed_form_at_every_ratio(ratio):
    """A programmed cell (level >= 1) errs N(0, s Lmax) levels, an off cell (level 0) and the
    reference N(0, s o), o = gmin Lmax / (1 - gmin) (the RESET state's spread is relative to
    g_off: exactly 0 at an infinite ratio, so no clipping bias there). The weight error
    sum_j 4^j (e_j - e_ref) has mean 0 and variance s^2 (sum_j 16^j E[Lmax^2 | o^2] +
    o^2 (sum 4^j)^2): a ratio of 1e6 is the no-ratio device, and the variance falls monotonically
    as the ratio grows. 131,072 weights on 4096 reference draws: the variance's relative standard
    error is at most sqrt(2 / 4096) = 2.2 % (tolerance 10 %); the mean's SE sqrt(var / 4096)."""
    err, p, a = _weight_error(ratio)
    s, Lmax = 0.05, 3
    o = 0.0 if ratio is None else (1 / ratio) * Lmax / (1 - 1 / ratio)
    words = p.w_int + 128
    lv = torch.stack([(words >> (2 * j)) & 3 for j in range(4)]).double()   # 4 x K x N levels
    sd2 = torch.where(lv > 0, torch.tensor(Lmax ** 2.0), torch.tensor(o * o))
    coef = torch.tensor([16.0 ** j for j in range(4)]).view(4, 1, 1)
    pred = s * s * (float((sd2 * coef).sum(0).mean()) + o * o * 85 ** 2)
    assert float(err.var()) / pred == pytest.approx(1.0, abs=0.10)
    assert abs(float(err.mean())) < 5 * math.sqrt(pred / 4096)
    if ratio is None:   # off cells stay exactly off: before, clamp(min=0) biased them +0.4 s Lmax
        off = (lv == 0)
        cells = p.cells.reshape(-1, p.cells.shape[-1])[:4096].T.reshape(4, 1, 32, 4096)
        assert p.n_ref == 0 and bool((cells.squeeze(1).permute(0, 2, 1)[off] == 0).all())


def test_ratio_sweep_is_monotone_and_converges():
    """The same chip seed at ratios 2 .. 1e6 and none: the error variance never rises with the
    ratio, and 1e6 is within 10 % (4.5 SE, above) of none."""
    v = {r: float(_weight_error(r)[0].var()) for r in (2.0, 10.0, 100.0, 1e6, None)}
    assert v[2.0] > v[10.0] > v[100.0] * 0.98
    assert v[1e6] / v[None] == pytest.approx(1.0, abs=0.10)


@pytest.mark.parametrize("field,value", [("adc_noise", 3), ("programming_sigma", 0.1),
                                         ("read_sigma", 0.1), ("on_off_ratio", 10),
                                         ("drift.time", "31.536 Ms")])
def test_digital_cell_refuses_analog_effects(field, value):
    """A digital readout (adder-tree column sums) has no converter, no programmed conductance,
    no off state: each analog effect is one line naming the field; stuck-at faults load."""
    for name, sets in (("sram-cim-derived", {"cim.cell.type": "sram_digital", "cim.adc.type": None,
                                            "cim.rows_per_read": None, "cim.adc.bits": 9}),
                       ("sram-cim", {})):   # the bundled all-digital macro (its config: no ADC)
        with pytest.raises(ConfigError, match=f"nonideal.{field.split('.')[0]} on an sram_digital "
                                              "cell, whose column sums are digital"):
            _arch(name, **sets, **{f"cim.nonideal.{field}": value})
        arch = _arch(name, **sets, **{"cim.nonideal.stuck_at.on": 0.01})
        assert Arith._digital(arch.components["cim"])


def test_drift_without_nu_on_a_non_pcm_cell_is_refused():
    """aihwkit's nu model is PCM's: absent nu on an RRAM / FeFET cell is refused; a stated nu
    or 'pcm' (a deliberate choice) loads, and a pcm cell takes its own model."""
    one_year = {"cim.nonideal.drift.time": "31.536 Ms"}
    with pytest.raises(ConfigError, match="drift without drift.nu on an rram_1t1r cell"):
        _arch("rram-cim-derived", **one_year)
    with pytest.raises(ConfigError, match="drift without drift.nu on an fefet cell"):
        _arch("rram-cim-derived", **{"cim.cell.type": "fefet"}, **one_year)
    _arch("rram-cim-derived", **one_year, **{"cim.nonideal.drift.nu": "pcm"})
    _arch("rram-cim-derived", **one_year, **{"cim.nonideal.drift.nu": 0.005})
    _arch("rram-cim-derived", **one_year, **{"cim.cell.type": "pcm"})


def test_basis_names_every_nonideal_setting():
    """Two devices that differ only in a non-ideal setting read differently in the basis."""
    from cimsim.accuracy.target import _nonideal_text

    cim = _arch("rram-cim-derived", **{
        "cim.nonideal.programming_sigma": 0.05, "cim.nonideal.read_sigma": 0.02,
        "cim.nonideal.adc_noise": 0.5, "cim.nonideal.stuck_at.on": 0.01,
        "cim.nonideal.drift.time": "31.536 Ms", "cim.nonideal.drift.nu": 0.005,
        "cim.nonideal.drift.compensation": False}).components["cim"]
    assert _nonideal_text(cim) == (
        "on/off ratio 17, the rram_1t1r preset's; programming sigma 0.05 of the cell range; "
        "read sigma 0.02 of the cell range; ADC noise 0.5 LSB; stuck-at on 0.01 / off 0 of cells; "
        "drift to 3.1536e+07 s from t0 20 s, nu 0.005 +- 0, compensation off")
    dig = _arch("sram-cim", **{"cim.nonideal.stuck_at.off": 0.001}).components["cim"]
    assert _nonideal_text(dig) == "stuck-at on 0 / off 0.001 of cells"


def test_field_help_matches_the_code():
    """on_off_ratio defaults to the cell's ratio when a cell block exists (17 on
    rram-cim-derived, infinite on rram-cim); chip i of a seed is SeedSequence(seed).spawn(n)[i]."""
    from cimsim.accuracy.run import chip_seeds

    f = NonIdeal.model_fields
    assert "rram_1t1r 17" in f["on_off_ratio"].description
    assert "Default: infinite." not in f["on_off_ratio"].description
    blk = {"cim.nonideal.programming_sigma": 0.05}
    assert nonideal_of(_arch("rram-cim-derived", **blk).components["cim"]).on_off_ratio == 17
    assert nonideal_of(_arch("rram-cim", **blk).components["cim"]).on_off_ratio is None
    assert "SeedSequence(seed).spawn" in f["seed"].description
    assert "seed + i" not in f["seed"].description
    seq = np.random.SeedSequence(0).spawn(3)
    assert chip_seeds(0, 3) == [int(c.generate_state(1, np.uint64)[0] >> 1) for c in seq]
    assert chip_seeds(0, 3)[:1] == chip_seeds(0, 1) and chip_seeds(1, 1)[0] != chip_seeds(0, 2)[1]
