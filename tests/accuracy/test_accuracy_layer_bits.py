"""Per-layer bits in the accuracy emulation (find-L2 1): a weight matmul tagged
``weight_value_bits`` / ``input_value_bits`` is emulated at its own bits, as the cost stores and
feeds it (:mod:`cimsim.accuracy.layerbits`)."""

import pytest

torch = pytest.importorskip("torch")

from cimsim.accuracy.arith import Arith  # noqa: E402
from cimsim.accuracy.layerbits import LayerBits, from_workload, narrowed, note  # noqa: E402
from cimsim.accuracy.run import evaluate  # noqa: E402


def _lossless(**kw) -> Arith:
    a = Arith(rows=128, cols=128, bits_per_cell=2, weight_bits=8, input_bits=8, dac_bits=1, **kw)
    return a.with_(adc_bits=a.lossless_adc_bits)  # no ADC rounding: the quantisation alone


def _linear(weight) -> torch.nn.Module:
    m = torch.nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        m.weight.copy_(torch.tensor(weight))
    return m


def _out(model, x, layer_bits=None):
    r = evaluate(model, torch.tensor(x), None, _lossless(), layer_bits=layer_bits, return_outputs=True)
    return r.outputs[0], r


def test_a_2_bit_weight_is_quantised_to_its_own_grid():
    # y = x @ W.T with x = I: the outputs are the weights as stored. Per output (column) n the
    # scale is s_n = max_k |W[n, k]| / (2^(w-1) - 1).
    W = [[0.8, -0.3], [0.1, 0.6]]
    eye = [[1.0, 0.0], [0.0, 1.0]]
    # 2 bits: q = 1, s = (0.8, 0.6); codes round(-0.3 / 0.8) = round(-0.375) = 0 and
    # round(0.1 / 0.6) = round(0.167) = 0: the small weights vanish
    y, r = _out(_linear(W), eye, {"weight": LayerBits(weight_value_bits=2)})
    assert y.flatten().tolist() == pytest.approx(sum([[0.8, 0.0], [0.0, 0.6]], []), abs=1e-6)
    assert r.narrowed_weights == ["weight"]
    # untagged, 8 bits: q = 127; -0.3 -> round(-47.625) = -48 -> -48 * 0.8 / 127,
    # 0.1 -> round(21.167) = 21 -> 21 * 0.6 / 127
    y8, r8 = _out(_linear(W), eye)
    assert y8.flatten().tolist() == pytest.approx(sum([[0.8, 21 * 0.6 / 127], [-48 * 0.8 / 127, 0.6]], []), abs=1e-6)
    assert r8.narrowed_weights == []
    # a tag at or above weight_bits is the config's arithmetic
    y16, _ = _out(_linear(W), eye, {"weight": LayerBits(weight_value_bits=16)})
    assert torch.equal(y16, y8)


def test_a_2_bit_input_is_quantised_to_its_own_grid():
    # identity weight (exact at 8 bits: codes 127 and 0). Row x = (0.9, 0.4), unsigned:
    # 2 bits: s = 0.9 / 3 = 0.3, 0.4 / 0.3 = 1.33 -> 1 -> 0.3; 8 bits: s = 0.9 / 255,
    # 0.4 * 255 / 0.9 = 113.33 -> 113 -> 113 * 0.9 / 255
    x = [[0.9, 0.4]]
    y, _ = _out(_linear([[1.0, 0.0], [0.0, 1.0]]), x, {"weight": LayerBits(input_value_bits=2)})
    assert y.flatten().tolist() == pytest.approx(sum([[0.9, 0.3]], []), abs=1e-6)
    y8, _ = _out(_linear([[1.0, 0.0], [0.0, 1.0]]), x)
    assert y8.flatten().tolist() == pytest.approx(sum([[0.9, 113 * 0.9 / 255]], []), abs=1e-6)


def test_narrowed_keeps_the_hardware_and_follows_the_cost_rules():
    a = _lossless()
    n = narrowed(a, LayerBits(weight_value_bits=1, input_value_bits=1, input_value_signed=True))
    # a 1-bit weight at the narrowest symmetric grid (2 bits); a signed 1-bit input: b + 1 = 2
    assert (n.weight_bits, n.input_bits) == (2, 2)
    # the same cells, DAC and ADC (a 2-bit cell holds the 2-bit offset word alone)
    assert (n.bits_per_cell, n.dac_bits, n.adc_bits, n.R) == (2, 1, a.adc_bits, 128)
    assert n.weight_slices == 1 and a.weight_slices == 4
    s = narrowed(_lossless(signed_inputs=True), LayerBits(input_value_bits=3))
    assert s.input_bits == 4 and s.input_slices == 3  # 3 magnitude bits: ceil(3 / 1) slices
    assert narrowed(a, None) is a and narrowed(a, LayerBits(16, 8)) is a
    # tagged 8 at 8 bits: the same bits, on all 256 codes -128..127 (review L2 2)
    assert narrowed(a, LayerBits(8, 8)) == a and narrowed(a, LayerBits(8, 8)).full_grid
    said = note(a, {"fc.weight": LayerBits(weight_value_bits=1), "out.weight": LayerBits(8)},
                {"fc.weight", "out.weight"})
    assert said == ("; per-layer bits (tags weight_value_bits / input_value_bits, as the cost): "
                    "fc.weight 2b weights x 8b inputs (fc.weight: a 1-bit weight tag emulated at "
                    "2 bits, -1/0/+1)")
    assert note(a, {"fc.weight": LayerBits(4)}, set()) == ""  # not run: not said


def _digits_mlp():
    sk = pytest.importorskip("sklearn.datasets")
    d = sk.load_digits()
    x = torch.tensor(d.data, dtype=torch.float32) / 16
    y = torch.tensor(d.target)
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    opt = torch.optim.Adam(m.parameters(), 1e-2)
    for _ in range(200):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(m(x[:1200]), y[:1200]).backward()
        opt.step()
    return m.eval(), x[1200:], y[1200:]


@pytest.mark.slow
def test_a_layer_tagged_2_bits_loses_accuracy_the_cost_tags_come_from_the_trace():
    from cimsim.workload.ir import Op, Workload
    from cimsim.workload.trace import trace

    m, x, y = _digits_mlp()
    wl = trace(m, x[:1])
    # tag the first layer's matmul as a user (or the QAT tracer) does
    ops = [Op(o.name, o.kind, o.inputs, o.outputs, o.m, o.k, o.n, o.batch, o.weight, o.fn,
              o.ops_per_element, {**o.tags, **({"weight_value_bits": 2} if o.tags.get("weight_name") == "0.weight"
                                               else {})}, o.generic_macs) for o in wl.ops]
    bits = from_workload(Workload(wl.name, list(wl.tensors.values()), ops, wl.metadata))
    assert bits == {"0.weight": LayerBits(weight_value_bits=2)}
    full = evaluate(m, x, y, _lossless())
    tagged = evaluate(m, x, y, _lossless(), layer_bits=bits)
    assert full.accuracy_top1 > 0.85 and full.accuracy_top1 >= full.accuracy_top1_reference - 0.01
    # 2-bit weights (-1, 0, +1 a column) on the first layer: a measurable loss
    assert tagged.accuracy_top1 < full.accuracy_top1 - 0.05
    assert tagged.output_snr_db < full.output_snr_db - 20
    assert tagged.narrowed_weights == ["0.weight"]


class _QATLinear(torch.nn.Module):
    """A QAT layer: its whole weight fake-quantized on a 3-bit grid (-4..3, step 0.1)."""

    def __init__(self, weight):
        super().__init__()
        self.l = _linear(weight)

    def forward(self, x):
        w = torch.fake_quantize_per_tensor_affine(self.l.weight, 0.1, 0, -4, 3)
        return torch.nn.functional.linear(x, w)


def test_a_fake_quantized_weight_is_emulated_on_the_cim_at_its_qat_bits():
    from cimsim.workload.trace import trace

    # on the grid already: 0.3, 0.1, -0.4 are codes 3, 1, -4 (the fake-quant returns them)
    m, eye = _QATLinear([[0.3, 0.0], [0.1, -0.4]]), torch.eye(2)
    bits = from_workload(trace(m, eye[:1]))
    assert bits == {"l.weight": LayerBits(weight_value_bits=3)}  # ceil(log2(3 + 4 + 1))
    y, r = _out(m, eye.tolist(), bits)
    # the tracer's rule: a fake-quantized whole weight is that weight, stationary on the CIM
    # (before: a matrix computed from parameters, run in fp32, y = W exactly)
    assert r.emulated_ops and not r.computed_weight_ops and r.narrowed_weights == ["l.weight"]
    # 3-bit integers, all 8 codes -4..3 (review L2 2; before: symmetric q = 3, 0.1 -> 0.4 / 3):
    # column (0.1, -0.4): s = max(0.4 / 4, 0.1 / 3) = 0.1, codes 1, -4; column (0.3, 0):
    # s = max(0 / 4, 0.3 / 3) = 0.1, codes 3, 0: the QAT weight exactly
    assert y.flatten().tolist() == pytest.approx([0.3, 0.1, 0.0, -0.4], abs=1e-6)
    # untagged: at the config's 8 bits, q = 127: 0.1 * 127 / 0.4 = 31.75 -> 32
    y8, r8 = _out(m, eye.tolist())
    assert y8.flatten().tolist() == pytest.approx([0.3, 32 * 0.4 / 127, 0.0, -0.4], abs=1e-6)
    assert r8.emulated_ops and not r8.computed_weight_ops


def test_a_qat_grid_reaching_its_negative_end_is_exact_at_its_bits():
    # review L2 2: fake_quantize(W, 0.1, 0, -8, 7), W = [[-0.8, 0.4], [0.3, 0.7]]: codes -8, 4,
    # 3, 7, which 4 bits hold. Column (-0.8, 0.4): s = max(0.8 / 8, 0.4 / 7) = 0.1, codes -8, 4;
    # column (0.3, 0.7): s = max(0, 0.7 / 7) = 0.1. Before: s = 0.8 / 7, 0.4 -> round(3.5) = 4
    # -> 4 * 0.8 / 7 = 0.4571
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.l = _linear([[-0.8, 0.4], [0.3, 0.7]])

        def forward(self, x):
            return torch.nn.functional.linear(
                x, torch.fake_quantize_per_tensor_affine(self.l.weight, 0.1, 0, -8, 7))

    y, r = _out(M(), [[1.0, 0.0], [0.0, 1.0]], {"l.weight": LayerBits(weight_value_bits=4)})
    assert y.flatten().tolist() == pytest.approx([-0.8, 0.3, 0.4, 0.7], abs=1e-6)
    assert r.narrowed_weights == ["l.weight"]


def test_one_held_output_a_fake_quantized_weight():
    # review L2 1: each forward's fake-quant output replaces the last (before: one more a
    # forward, never released until the pass ended); the old pointer leaves the weights
    from cimsim.accuracy.layerbits import as_deployed

    W = torch.tensor([[0.3, -0.4]])
    weights, held = {W.untyped_storage().data_ptr(): "w"}, {}
    outs = []
    for _ in range(3):
        y = torch.fake_quantize_per_tensor_affine(W, 0.1, 0, -4, 3)
        outs.append(y)  # kept alive here so no pointer is reused
        as_deployed(weights, held, "fake_quantize_per_tensor_affine", (W, 0.1, 0, -4, 3), y)
    assert list(held) == ["w"] and held["w"] is outs[-1]
    assert weights == {W.untyped_storage().data_ptr(): "w", outs[-1].untyped_storage().data_ptr(): "w"}


def test_layer_bits_import_from_the_package():
    # review L2 3: the README's Python form imports them from cimsim.accuracy
    from cimsim.accuracy import LayerBits as L, from_workload as f
    import cimsim.accuracy as A

    assert L is LayerBits and f is from_workload and {"LayerBits", "from_workload"} <= set(A.__all__)
