"""The CIM cost model and the accuracy emulator count the same events (issue 19 follow-up).

One matmul, m x k activations times a k x n weight, on the bundled rram-cim design (128 x 128
arrays, 2-bit cells, 8-bit weights and inputs, 1-bit DAC: 8 input slices; 4 columns per output
offset, 2 ceil(7 / 2) = 8 differential; ADC 1.5625 pJ per conversion, cell read 1.831 fJ, both given
in the config). The ADC conversions, in closed form, equal the cost model's (its ``cim_adc``
energy / 1.5625 pJ and :func:`cimsim.hw.cim.energy.conversions`) and the emulator's counter
(``Emulator.conversions``): activation rows x read groups x physical columns x slices, read
groups = the sum over array tiles of ceil(k_tile / R).
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from cimsim import bundled  # noqa: E402
from cimsim.accuracy.arith import Arith  # noqa: E402
from cimsim.accuracy.emulator import Emulator, program  # noqa: E402
from cimsim.config import load_architecture  # noqa: E402
from cimsim.hw.cim.tiling import read_groups  # noqa: E402
from cimsim.pipeline import simulate  # noqa: E402
from cimsim.workload import Op, Tensor, Workload  # noqa: E402

pytestmark = pytest.mark.torch

E_CONV = 16e-3 / 8 / 1.28e9  # rram-cim adc.energy_per_conversion: ISAAC Table I, 1.5625 pJ
E_CELL = 1.831e-15  # rram-cim cell_read_energy (ISAAC Table I)
M = 4               # activation rows


def _arch(**sets):
    return load_architecture(bundled.resolve_config("rram-cim"),
                             {k.replace("__", "."): str(v) for k, v in sets.items()}, cli=True)


def _cost(arch, k, n):
    wl = Workload("mm", [Tensor("x", (M, k), "int8", "input"), Tensor("W", (k, n), "int8", "weight"),
                         Tensor("y", (M, n), "int8", "activation")],
                  [Op("mm", "matmul", ("x", "W"), ("y",), m=M, k=k, n=n, weight="W")])
    return simulate(arch, wl).energy_breakdown_j


def _emulated(arch, k, n, signed=False):
    cim = arch.components["cim"]
    a = Arith.from_cim(cim)
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(1)
    x, w = torch.randn(M, k), torch.randn(k, n)
    if not signed:
        x = x.abs()
    e = Emulator(a, cim.nonideal, gen)
    p = program(w, a, cim.nonideal, gen)
    e.matmul(x, p)
    return e.conversions, p


# (sets, k, n, closed-form conversions = M x groups x physical columns x 8 slices)
CASES = {
    "R = rows": ({}, 300, 10, M * 3 * 40 * 8),                          # ceil(300/128) = 3
    "R = rows, k < rows": ({}, 20, 10, M * 1 * 40 * 8),
    "R < rows": ({"cim.rows_per_read": 32}, 300, 10, M * (4 + 4 + 2) * 40 * 8),   # 128,128,44
    "k < rows": ({"cim.rows_per_read": 16}, 20, 10, M * 2 * 40 * 8),    # not ceil(128/16) = 8
    "R not dividing rows": ({"cim.rows_per_read": 48}, 260, 10,
                            M * (3 + 3 + 1) * 40 * 8),                  # not ceil(260/48) = 6
    "differential": ({"cim.nonideal.encoding": "differential", "cim.rows_per_read": 32}, 300, 10,
                     M * 10 * 80 * 8),                                  # 2 ceil(7/2) = 8 per output
    "cells not dividing weights": ({"cim.bits_per_cell": 3}, 300, 10,
                                   M * 3 * 30 * 8),                     # ceil(8/3) = 3 per output
    "reference column": ({"cim.nonideal.on_off_ratio": 10}, 300, 40, M * 3 * 160 * 8),
}


@pytest.mark.parametrize("case", list(CASES))
def test_adc_conversions_of_one_matmul_agree(case):
    sets, k, n, closed = CASES[case]
    arch = _arch(**{s: v for s, v in sets.items()})
    e = _cost(arch, k, n)
    assert e["cim_adc"] / E_CONV == pytest.approx(closed, rel=1e-12, abs=0)
    emulated, _ = _emulated(arch, k, n)
    assert emulated == closed


def test_signed_inputs_agree():
    """Signed input pulses: 7 magnitude slices, the emulator's Sx."""
    arch = _arch(**{"cim.signed_inputs": "true", "cim.rows_per_read": 64})
    closed = M * (2 + 2 + 1) * 40 * 7      # 300 rows: 128, 128, 44 -> 2 + 2 + 1 groups of 64
    assert _cost(arch, 300, 10)["cim_adc"] / E_CONV == pytest.approx(closed, rel=1e-12, abs=0)
    assert _emulated(arch, 300, 10, signed=True)[0] == closed


def test_reference_column_adds_cell_reads_not_conversions():
    """on_off_ratio 10: 160 physical columns on 2 column tiles, one reference column each:
    cell reads M x k x 160 x 8 plus M x k x 2 x 8 off cells, each G_off / G_mean = 0.1 /
    (0.5 + 0.5 x 0.1) of the mean cell (find-M #5: charged as a whole mean cell before
    2026-12-06); the emulator holds the same 2 reference columns and subtracts them before the
    ADC (no conversion of their own)."""
    k, n = 300, 40
    ideal, ref = _cost(_arch(), k, n), _cost(_arch(**{"cim.nonideal.on_off_ratio": 10}), k, n)
    assert ideal["cim_array"] == pytest.approx(M * k * 160 * 8 * E_CELL, rel=1e-12, abs=0)
    assert ref["cim_array"] == pytest.approx(M * k * (160 + 2 * 0.1 / 0.55) * 8 * E_CELL,
                                             rel=1e-12, abs=0)
    assert ref["cim_adc"] == ideal["cim_adc"]
    _, p = _emulated(_arch(**{"cim.nonideal.on_off_ratio": 10}), k, n)
    assert p.n_ref == 2


def test_read_groups_closed_form_and_time():
    """groups per tile from the rows it holds; time follows the fullest tile's reads."""
    assert read_groups(20, 128, None) == (1, 1)
    g, r = read_groups([20, 128, 300, 260], 128, 48)
    assert g.tolist() == [1, 3, 7, 7] and r.tolist() == [1, 3, 3, 3]
    comp = _arch(**{"cim.rows_per_read": 16}).component("cim")
    c, d = comp.config, comp.design
    assert d.reads == 8
    # a 20-row layer reads 2 groups of 16 per slice, not 128 / 16 = 8: a quarter of the time
    assert c.t_vector(d, read_groups(20, 128, 16)[1]) == pytest.approx(c.t_vector(d) / 4,
                                                                        rel=1e-12, abs=0)


def test_groups_never_span_two_arrays_in_the_emulator():
    """R = 48 of 128 rows, k = 260: tile 0 holds rows 0..127 in groups of 48, 48, 32 (+16 idle
    slots); tile 1 rows 128..255 likewise; tile 2 rows 256..259 in one group."""
    a = Arith(rows=128, cols=128, rows_per_read=48, adc_bits=9, adc_range_policy="unit")
    torch.manual_seed(3)
    w = torch.randn(260, 5)
    p = program(w, a)
    assert tuple(p.cells.shape[:2]) == (7, 48)
    assert torch.all(p.cells[2, 32:] == 0) and torch.all(p.cells[5, 32:] == 0)
    assert torch.all(p.cells[6, 4:] == 0)
    assert p.pos[128].item() == 3 * 48 and p.pos[259].item() == 6 * 48 + 3
    # lossless ADC (48 x 1 x 3 = 144 < 2^9): the integer matmul exactly, offsets and all
    x = torch.randn(6, 260)
    from cimsim.accuracy.emulator import input_mode, quantize_inputs
    mode = input_mode(x, a)
    xi, _ = quantize_inputs(x, a, mode)
    y = Emulator(a, shortcut=False).matmul_int(xi, mode, p)
    assert torch.equal(y.to(torch.int64), xi @ p.w_int)
    assert torch.equal(p.effective_weight(a).round().to(torch.int64), p.w_int)


def test_the_emulator_claims_the_convolutions_the_cost_model_places_on_the_cim():
    """A dense, a depthwise and a grouped convolution: the trace gives only the dense one a
    stationary weight, so the CIM claims it and the host runs the other two; the emulator
    emulated all three (its accuracy of another placement than the energy)."""
    from cimsim.accuracy.run import evaluate
    from cimsim.workload.trace import trace

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = torch.nn.Conv2d(1, 8, 3, padding=1)
            self.dw = torch.nn.Conv2d(8, 8, 3, padding=1, groups=8)
            self.g = torch.nn.Conv2d(8, 8, 3, padding=1, groups=2)
            self.fc = torch.nn.Linear(8, 10)

        def forward(self, x):
            x = torch.relu(self.c1(x))
            x = torch.relu(self.g(torch.relu(self.dw(x))))
            return self.fc(x.mean((2, 3)))

    torch.manual_seed(0)
    model = Net().eval()
    arch = _arch()
    r = simulate(arch, trace(model, (torch.randn(1, 1, 8, 8),)), keep_ops=True)
    t = r.op_table
    on_cim = {op for op, unit in zip(t["op"], t["unit"]) if unit == "cim"}
    assert sum("conv" in op for op in on_cim) == 1 and any(op.startswith("c1.") for op in on_cim)
    res = evaluate(model, torch.randn(16, 1, 8, 8), None, Arith.from_cim(arch.components["cim"]))
    assert res.emulated_ops == {"convolution": 1, "addmm": 1}


@pytest.mark.parametrize("out, ok", [({"logits": 1}, True), ({"scores": 1}, True), ({"a": 1, "b": 2}, False)])
def test_accuracy_reads_class_scores_from_a_mapping(out, ok):
    """A model returning a dict was an AttributeError traceback ('dict' has no 'detach')."""
    from cimsim.accuracy.run import _logits
    from cimsim.errors import CimsimError

    out = {k: torch.full((2, 3), float(v)) for k, v in out.items()}
    if ok:
        assert _logits(out).shape == (2, 3)
    else:
        with pytest.raises(CimsimError, match="returns a mapping of a, b: give it a 'logits' entry"):
            _logits(out)


def test_cell_on_off_reaches_the_emulator_and_the_reference_column():
    """A tester: a FeFET cell's on/off (preset 100) never reached the accuracy model, which
    emulated an infinite ratio unless nonideal.on_off_ratio repeated it. With a nonideal block
    and a cim.cell stated, the ratio defaults to the cell's: the emulator holds the reference
    columns (2 here) and, under drift with nu 0.05 for a year (f = (31.536 Ms / 20 s)^-0.05),
    an offset-stored word V reads f V + o (f - 1) 85 with o = gmin 3 / (1 - gmin), gmin = 1/100;
    the cost model reads the same reference columns (M k 160 8 cell reads and M k 2 8 off
    cells, each 0.01 / (0.5 + 0.5 x 0.01) of the mean cell)."""
    from cimsim.accuracy.arith import nonideal_of
    from cimsim.hw.cim.tiling import on_off_ratio

    k, n = 300, 40
    drift = {"cim.nonideal.drift.time": "31.536 Ms", "cim.nonideal.drift.nu": 0.05,
             "cim.nonideal.drift.compensation": "false"}
    arch = _arch(**{"cim.cell.type": "fefet"}, **drift)
    cim = arch.components["cim"]
    assert on_off_ratio(cim) == (100.0, "the fefet preset's")
    assert _cost(arch, k, n)["cim_array"] == pytest.approx(
        M * k * (160 + 2 * 0.01 / 0.505) * 8 * E_CELL, rel=1e-12, abs=0)
    ni = nonideal_of(cim)
    assert ni.on_off_ratio == 100.0 and cim.nonideal.on_off_ratio is None
    torch.manual_seed(12)
    w = torch.randn(k, n)
    a = Arith.from_cim(cim)
    p = program(w, a, ni, torch.Generator().manual_seed(0))
    assert p.n_ref == 2
    f = (31.536e6 / 20.0) ** -0.05
    o = 0.01 * 3 / (1 - 0.01)
    V = p.w_int.double() + 128
    expect = f * V + o * (f - 1) * (2 ** 8 - 1) / (2 ** 2 - 1) - 128
    assert torch.allclose(p.effective_weight(a), expect, rtol=0, atol=2e-4)
    # the cell's own on_off overrides its preset's; a given nonideal.on_off_ratio wins over both
    assert on_off_ratio(_arch(**{"cim.cell.type": "fefet", "cim.cell.on_off": 5}, **drift)
                        .components["cim"]) == (5.0, "cim.cell.on_off")
    assert on_off_ratio(_arch(**{"cim.cell.type": "fefet", "cim.nonideal.on_off_ratio": 7},
                              **drift).components["cim"]) == (7.0, "cim.nonideal.on_off_ratio")
    # no cell stated (the bundled rram-cim): infinite, as before; no nonideal block: the cell's
    # all the same (find-N 5: the hardware's reference column does not depend on emulating it)
    assert on_off_ratio(_arch(**drift).components["cim"])[0] is None
    assert on_off_ratio(_arch(**{"cim.cell.type": "fefet"}).components["cim"]) == (
        100.0, "the fefet preset's")
    # a cell on_off of 1 holds no bit: refused by the field itself, with or without the
    # nonideal block (find-N 2; tests/hw/test_cell_checks.py)
    from cimsim.errors import ConfigError

    with pytest.raises(ConfigError, match=r"cim.cell.on_off: Input should be greater than 1"):
        _arch(**{"cim.cell.type": "fefet", "cim.cell.on_off": 1}, **drift)
