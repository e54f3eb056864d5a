"""The tracer tags a weight matmul whose input is a binary neural network's signs (find-M 1):
``torch.where(x >= 0, 1., -1.)`` (and a ±1 bind, a negation, a cat) is -1/+1 (``input_bipolar``),
``torch.sign`` -1/0/+1 (``input_value_signed``), and anything computed (``2 * b - 1``, a sign
scaled by 0.5) is not. On rram-cim (8-bit inputs, 1-bit DACs, offset-binary inputs) a ±1 layer
then takes 1 input slice of 8 and a sign layer 2; with ``signed_inputs`` both 1."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn


class BNN(nn.Module):
    """fc1 reads the real input; fc2 and fc3 the binarized activations."""

    def __init__(self, act):
        super().__init__()
        self.act = act
        self.fc1 = nn.Linear(256, 256, bias=False)
        self.fc2 = nn.Linear(256, 128, bias=False)
        self.fc3 = nn.Linear(128, 10, bias=False)

    def b(self, x):
        a = self.act
        if a == "where":
            return torch.where(x >= 0, 1.0, -1.0)
        if a == "sign":
            return torch.sign(x)
        if a == "bind":  # two ±1 vectors multiplied (an HDC bind), negated
            s = torch.where(x >= 0, 1.0, -1.0)
            return -(s * torch.where(x.flip(-1) >= 0, torch.ones_like(x), torch.full_like(x, -1.0)))
        if a == "cat":
            s = torch.where(x >= 0, 1.0, -1.0)
            return torch.cat([s[..., : x.shape[-1] // 2], s[..., x.shape[-1] // 2:]], -1)
        if a == "affine":  # 2 b - 1: +-1 too, but computed: not proved
            return 2 * (x >= 0).float() - 1
        return 0.5 * torch.sign(x)  # "half": -0.5, 0, 0.5

    def forward(self, x):
        return self.fc3(self.b(self.fc2(self.b(self.fc1(x)))))


def _tags(w):
    keys = ("input_value_bits", "input_value_signed", "input_bipolar")
    return {op.name: tuple(op.tags.get(k) for k in keys) for op in w.ops if op.kind == "matmul"}


BIP, TER, NONE = (1, 1, 1), (1, 1, None), (None, None, None)


@pytest.mark.parametrize("act, tag", [("where", BIP), ("bind", BIP), ("cat", BIP), ("sign", TER),
                                      ("affine", NONE), ("half", NONE)])
def test_signs_are_tagged_and_computed_values_are_not(act, tag):
    from cimsim import trace

    torch.manual_seed(0)
    assert _tags(trace(BNN(act).eval(), (torch.randn(1, 256),))) == \
        {"fc1.mm": NONE, "fc2.mm": tag, "fc3.mm": tag}


def test_stats_tags_a_model_input_of_signs():
    from cimsim import trace

    torch.manual_seed(0)
    x = torch.where(torch.randn(1, 256) >= 0, 1.0, -1.0)
    assert _tags(trace(BNN("where").eval(), (x,), stats_bits=8))["fc1.mm"] == BIP


def _adc(w, **sets):
    from cimsim import bundled, load_architecture
    from cimsim.cost import compute_costs
    from cimsim.cost.table import energy_parts
    from cimsim.mapping.placement import place

    arch = load_architecture(bundled.resolve_config("rram-cim"), sets)
    costs = compute_costs(place(w, arch), arch, w.arrays)
    col = energy_parts(arch).index("cim_adc")
    return {op.name: costs.energy[i, col] for i, op in enumerate(w.ops) if op.kind == "matmul"}


@pytest.mark.parametrize("act, slices, signed_slices", [("where", 1, 1), ("sign", 2, 1)])
def test_rram_cim_converts_a_bnn_layer_in_its_planes(act, slices, signed_slices):
    """rram-cim: 128-row arrays, 8-bit weights in 2-bit cells (4 columns a weight), 1.5625 pJ a
    conversion; conversions = row tiles x physical columns x slices. fc2: 2 x 512, fc3: 1 x 40;
    fc1 (untagged): 2 x 1024 x 8, or x 7 with signed_inputs (the sign as pulse polarity)."""
    from cimsim import trace

    torch.manual_seed(0)
    w = trace(BNN(act).eval(), (torch.randn(1, 256),))
    e, pj = _adc(w), 1.5625e-12
    assert e["fc1.mm"] == pytest.approx(2 * 1024 * 8 * pj, rel=1e-12, abs=0)
    assert e["fc2.mm"] == pytest.approx(2 * 512 * slices * pj, rel=1e-12, abs=0)  # was x 8
    assert e["fc3.mm"] == pytest.approx(1 * 40 * slices * pj, rel=1e-12, abs=0)
    e = _adc(w, **{"cim.signed_inputs": True})
    assert e["fc1.mm"] == pytest.approx(2 * 1024 * 7 * pj, rel=1e-12, abs=0)
    assert e["fc2.mm"] == pytest.approx(2 * 512 * signed_slices * pj, rel=1e-12, abs=0)


def test_sign_and_xor_are_labelled_as_what_they_are():
    """find-M 4: ``torch.sign`` was labelled ``abs`` and ``bitwise_xor`` ``where`` (1 op an
    element each, as before)."""
    from cimsim import trace

    class M(nn.Module):
        def forward(self, x, a, b):
            return torch.sign(x), torch.bitwise_xor(a, b), torch.logical_not(a)

    x, a = torch.randn(4, 8), torch.rand(4, 8) > 0.5
    w = trace(M().eval(), (x, a, torch.rand(4, 8) > 0.5))
    fns = {op.name: op.fn for op in w.ops if op.kind == "elementwise"}
    assert fns == {"sign": "sign", "bitwise_xor": "bitwise", "logical_not": "bitwise"}
    assert list(w.arrays.vector_ops) == [32.0] * 3  # 4 x 8 elements, 1 op each
