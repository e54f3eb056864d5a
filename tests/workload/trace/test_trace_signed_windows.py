"""±1 values through convolution windows, ``F.unfold``, pools and adds (review 20 B 1, B 5, B 7).

A convolution's im2col windows add the value 0 only where the convolution pads (an unpadded
3x3 conv of ±1 reads ±1, 1 plane; a padded one -1/0/+1, 2 planes), and ``F.unfold`` follows the
same rule; ``--stats``' measured set replaces the trace's (no ``input_bipolar`` next to
measured zeros), and a ±1 / -1/0/+1 input's ``input_ones`` is the density of the planes a CIM
applies, whatever the bits it was counted at."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn, F = torch.nn, torch.nn.functional

BIP, TER, NONE = (1, 1, 1), (1, 1, None), (None, None, None)


def _tags(w):
    keys = ("input_value_bits", "input_value_signed", "input_bipolar")
    return {op.name: tuple(op.tags.get(k) for k in keys) for op in w.ops if op.kind == "matmul"}


def sgn(x):
    return torch.where(x >= 0, 1.0, -1.0)


class ConvBNN(nn.Module):
    """c1 reads the real input; c2 (3x3, padding ``pad``) and c3 (1x1) the signs."""

    def __init__(self, pad):
        super().__init__()
        self.c1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.c2 = nn.Conv2d(16, 16, 3, padding=pad, bias=False)
        self.c3 = nn.Conv2d(16, 8, 1, bias=False)

    def forward(self, x):
        return self.c3(sgn(self.c2(sgn(self.c1(x)))))


@pytest.mark.parametrize("pad, c2", [(0, BIP), (1, TER)])
def test_a_conv_of_signs_reads_zeros_only_where_it_pads(pad, c2):
    from cimsim import trace

    torch.manual_seed(0)
    w = trace(ConvBNN(pad).eval(), (torch.randn(1, 3, 8, 8),))
    assert _tags(w) == {"c1.conv": NONE, "c2.conv": c2, "c3.conv": BIP}


class Unfold(nn.Module):
    """The explicit im2col of XNOR-Net / LBCNN code: ``F.unfold`` of the signs, then a Linear."""

    def __init__(self, pad):
        super().__init__()
        self.pad = pad
        self.l = nn.Linear(16 * 9, 8, bias=False)

    def forward(self, x):
        return self.l(F.unfold(sgn(x), 3, padding=self.pad).transpose(1, 2))


@pytest.mark.parametrize("pad, tag", [(0, BIP), (1, TER)])
def test_unfold_with_padding_adds_its_zeros(pad, tag):
    from cimsim import trace

    torch.manual_seed(0)
    assert _tags(trace(Unfold(pad).eval(), (torch.randn(1, 16, 6, 6),))) == {"l.mm": tag}


def test_stats_measured_set_replaces_the_traced_one():
    """F.unfold(±1, 3, padding=1) over 6x6: per spatial dim 6 windows x 3 taps, 2 of them
    outside: 16 inside of 18; 16^2 = 256 of 324 taps read the input, 68 padding zeros."""
    from cimsim import trace

    torch.manual_seed(0)
    x = torch.randn(1, 16, 6, 6)
    op = next(o for o in trace(Unfold(1).eval(), (x,), stats_bits=8).ops if o.name == "l.mm")
    assert op.tags["input_zeros"] == pytest.approx(68 / 324, rel=1e-12, abs=0)
    assert (op.tags["input_value_bits"], op.tags["input_value_signed"]) == (1, 1)
    assert "input_bipolar" not in op.tags  # the trace said ±1 before the fix; the data has 0
    # -1/0/+1 applied as x + 1 (2 planes): 0 and +1 one 1 each, -1 none
    s = sgn(x)
    cols = F.unfold(s, 3, padding=1)
    minus = int((cols == -1).sum())
    assert op.tags["input_ones"] == pytest.approx((1 - minus / cols.numel()) / 2, rel=1e-12, abs=0)


class Lin(nn.Module):
    def __init__(self):
        super().__init__()
        self.l = nn.Linear(256, 4, bias=False)

    def forward(self, x):
        return self.l(x)


@pytest.mark.parametrize("bits", [8, 4, 1])
@pytest.mark.parametrize("values, ones", [
    ((64, 0, 192), 64 / 256),            # ±1: the plane (x + 1) / 2, the fraction of +1
    ((128, 64, 64), (1 - 64 / 256) / 2),  # -1/0/+1: 2 planes of x + 1, -1 none, 0 and +1 one
])
def test_signed_input_ones_is_the_density_of_the_applied_planes(values, ones, bits):
    """(count of +1, count of 0, count of -1) over 256 inputs; the figure is the same at every
    counting precision (it was 0.25 + 0.75/8 = 0.34375 at 8 bits for the ±1 row: -1 -> 1,
    +1 -> 255 in the 8-bit offset code)."""
    from cimsim import trace

    plus, zero, minus = values
    x = torch.tensor([1.0] * plus + [0.0] * zero + [-1.0] * minus).reshape(1, 256)
    op = next(o for o in trace(Lin().eval(), (x,), stats_bits=bits).ops if o.kind == "matmul")
    assert op.tags["input_ones"] == pytest.approx(ones, rel=1e-12, abs=0)


def test_a_cim_uses_a_signed_ops_figure_at_any_input_bits():
    """rram-cim-derived's row drive is C V^2 x (linear in the fraction of ones): a ±1 op counted
    at 4 bits with input_ones 0.25 draws half the drive of the same op at the config's 0.5, on
    the 8-bit design; with signed_inputs its one plane |x| (1 - input_zeros = 1) drives all."""
    from cimsim import bundled, load_architecture
    from cimsim.cost import compute_costs
    from cimsim.cost.table import energy_parts
    from cimsim.mapping.placement import place
    from cimsim.workload import Op, Tensor, Workload

    bip = {"input_value_bits": 1, "input_value_signed": 1, "input_bipolar": 1,
           "input_ones": 0.25, "input_zeros": 0.0, "input_stats_bits": 4}
    t = [Tensor("x", (4, 256), "fp32", "input"), Tensor("Wa", (256, 64), "fp32", "weight"),
         Tensor("Wb", (256, 64), "fp32", "weight"), Tensor("ya", (4, 64), "fp32", "activation"),
         Tensor("yb", (4, 64), "fp32", "activation")]
    base = {k: bip[k] for k in ("input_value_bits", "input_value_signed", "input_bipolar")}
    wl = Workload("two", t, [
        Op("a", "matmul", ("x", "Wa"), ("ya",), m=4, k=256, n=64, weight="Wa", tags=bip),
        Op("b", "matmul", ("x", "Wb"), ("yb",), m=4, k=256, n=64, weight="Wb", tags=base)])
    cfg = bundled.resolve_config("rram-cim-derived")

    def dac(sets):
        arch = load_architecture(cfg, sets)
        pl = place(wl, arch)
        return compute_costs(pl, arch, wl.arrays).energy[:, energy_parts(arch).index("cim_dac")]

    e = dac({})
    assert 2 * e[0] == e[1]  # 0.25 against the config's 0.5, though counted at 4 of 8 bits
    e = dac({"cim.signed_inputs": True})
    assert e[0] == 2 * e[1]  # every row driven (|x| = 1) against 0.5


@pytest.mark.parametrize("form, tag", [("avg", NONE), ("add", NONE), ("twice", NONE),
                                       ("max", BIP)])
def test_signs_lose_the_mark_through_avg_pool_and_adds(form, tag):
    from cimsim import trace

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.c = nn.Conv2d(16, 8, 1, bias=False)

        def forward(self, x):
            a = sgn(x)
            a = {"avg": lambda: F.avg_pool2d(a, 2), "add": lambda: a + sgn(x.flip(-1)),
                 "twice": lambda: a + a, "max": lambda: F.max_pool2d(a, 2)}[form]()
            return self.c(a)

    torch.manual_seed(0)
    assert _tags(trace(M().eval(), (torch.randn(1, 16, 8, 8),))) == {"c.conv": tag}
