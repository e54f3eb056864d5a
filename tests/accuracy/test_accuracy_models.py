"""The dispatch-mode runner on real modules, and accuracy trends on the bundled models."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from cimsim.accuracy.arith import Arith  # noqa: E402
from cimsim.accuracy.emulator import quantize_inputs, quantize_weights  # noqa: E402
from cimsim.accuracy.nonideal import NonIdeal  # noqa: E402
from cimsim.accuracy.run import corrected_snr_db, evaluate, metrics  # noqa: E402
from conftest import fresh_cache  # noqa: E402

pytestmark = pytest.mark.torch


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Small models run far faster on one thread than on two oversubscribed cores."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="session")
def cache(bundled_model_cache):
    """Train the bundled models into the session's fresh cache (the user's own cache is left
    alone; a model another test file trained this session is read back, not trained again)."""
    with fresh_cache(bundled_model_cache):
        yield


def _load(name):
    pytest.importorskip("sklearn")
    pytest.importorskip("mnist1d")
    pytest.importorskip("mlxtend")
    from cimsim.accuracy import models
    return models.load(name)


def test_linear_layer_is_the_quantised_product_at_lossless_settings():
    """nn.Linear runs as addmm(bias, x, W^T): with a lossless ADC its output is
    s_x s_w (x_int @ W_int) + bias, the closed form of the two quantisers."""
    torch.manual_seed(0)
    lin = torch.nn.Linear(50, 7)
    x = torch.randn(30, 50)
    a = Arith(input_bits=6, weight_bits=5, signed_inputs=True)
    a = a.with_(adc_bits=a.lossless_adc_bits)
    res = evaluate(lin, x, arith=a)
    assert res.emulated_ops == {"addmm": 1} and not res.skipped_ops
    wi, sw = quantize_weights(lin.weight.t(), a)
    xi, sx = quantize_inputs(x, a, "signed")
    want = (xi @ wi).double() * sx.double() * sw.double() + lin.bias.double()
    from cimsim.accuracy.run import CIMMode, fused_kernels_off
    from cimsim.accuracy.emulator import Emulator
    mode = CIMMode(Emulator(a), {p.untyped_storage().data_ptr() for p in lin.parameters()})
    with fused_kernels_off(), mode:
        y = lin(x)
    assert torch.allclose(y.double(), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_recurrent_layers_run_on_the_emulator(cell):
    """With the oneDNN RNN off, every gate matmul of nn.LSTM / nn.GRU is an mm/addmm on a
    parameter: all are emulated and none is skipped (T steps x 2 directions + input projections)."""
    torch.manual_seed(0)
    rnn = getattr(torch.nn, cell)(3, 8, batch_first=True, bidirectional=True)

    class Head(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = rnn

        def forward(self, x):
            return self.rnn(x)[0][:, -1]

    res = evaluate(Head(), torch.randn(4, 5, 3), arith=Arith(adc_bits=12))
    assert sum(res.emulated_ops.values()) == 2 * (5 + 1) and not res.skipped_ops
    assert res.output_snr_db > 20  # 8-bit operands: far above the ADC-free 1-bit floor


def test_conv1d_and_conv2d_with_groups_match_unfold_closed_form():
    """Convolutions run as im2col matmuls: at lossless settings and 12-bit operands the output is
    within the quantisation error of fp32 (SNR well above 40 dB); strides handled. A grouped
    convolution runs exact, as the cost model runs it on the host (no stationary weight in the
    trace): only the dense one is emulated."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=2),
                              torch.nn.ReLU(), torch.nn.Conv2d(8, 6, 3, padding=1))
    a = Arith(input_bits=12, weight_bits=12, dac_bits=4, bits_per_cell=4, signed_inputs=True)
    a = a.with_(adc_bits=a.lossless_adc_bits)
    res = evaluate(net, torch.randn(3, 4, 9, 9), arith=a)
    assert res.emulated_ops == {"convolution": 1} and res.skipped_ops == {"convolution": 1}
    assert res.output_snr_db > 50
    c1 = torch.nn.Conv1d(2, 5, 5, stride=2, padding=2, dilation=1)
    res = evaluate(c1, torch.randn(4, 2, 40), arith=a)
    assert res.emulated_ops == {"convolution": 1} and res.output_snr_db > 50


def test_metrics_closed_form():
    ref = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    y = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    m = metrics(y, ref, torch.tensor([0, 0]))
    assert m["accuracy_top1"] == 0.5 and m["agreement"] == 1.0
    assert m["output_snr_db"] == pytest.approx(10 * torch.log10(torch.tensor(5.0 / 2.0)).item(), rel=1e-6, abs=0)
    assert metrics(ref, ref)["output_kl"] == 0.0


def test_corrected_snr_removes_gain_and_offset_closed_form():
    """A tester: the plain SNR counts a systematic gain/offset error as noise (4-bit ADC worse
    than 3-bit). The corrected SNR fits y ~ a ref + b by least squares and refers the residual
    back through the gain: 10 log10(sum ref^2 / sum ((y - b)/a - ref)^2)."""
    ref = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    y = 1.5 * ref + 0.25                     # pure gain and offset error
    m = metrics(y, ref)
    # plain: noise (0.5 ref + 0.25)^2 = 1.5625 + 0.0625 + 0.0625 + 0.5625 = 2.25, signal 5
    assert m["output_snr_db"] == pytest.approx(10 * math.log10(5 / 2.25), rel=1e-6, abs=0)
    assert m["output_snr_corrected_db"] == math.inf   # exactly linear: nothing left
    # ref 1..4, y = 2 ref + 1 + e, e = (1, -1, -1, 1) orthogonal to 1 and to ref - mean: the fit
    # is a = 2, b = 1, the residual e (sum 4), referred back / a^2 = 1; signal 1 + 4 + 9 + 16 = 30
    ref = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    y = 2 * ref + 1 + torch.tensor([[1.0, -1.0, -1.0, 1.0]])
    assert corrected_snr_db(y, ref) == pytest.approx(10 * math.log10(30 / 1), rel=1e-12, abs=0)
    # plain: y - ref = (3, 2, 3, 6), 9 + 4 + 9 + 36 = 58 -> negative while the corrected is 14.8 dB
    assert metrics(y, ref)["output_snr_db"] == pytest.approx(10 * math.log10(30 / 58), rel=1e-6, abs=0)
    # outputs that do not move with the reference: no gain to undo
    assert corrected_snr_db(torch.full((1, 4), 3.0), ref) == -math.inf


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["max", "unit", "calibrated"])
def test_accuracy_nondecreasing_in_adc_bits(cache, policy):
    """digits-cnn on 360 test images, ISAAC-like arrays, 0.5 LSB ADC noise and 2 % programming
    variation, mean of 3 chips: top-1 does not fall as ADC bits grow (1 image of slack)."""
    model, split = _load("digits-cnn")
    ni = NonIdeal(adc_noise=0.5, programming_sigma=0.02, repeats=3)
    accs = []
    for bits in (3, 4, 5, 6, 7, 9):
        r = evaluate(model, split.x_test, split.y_test, Arith(adc_bits=bits, adc_range_policy=policy),
                     nonideal=ni, calibration_inputs=split.x_train[:256])
        accs.append(r.accuracy_top1)
    assert all(b >= a - 1 / 360 for a, b in zip(accs, accs[1:])), accs
    assert accs[-1] > 0.9 and accs[-1] >= accs[0]


@pytest.mark.slow
def test_accuracy_nonincreasing_in_noise(cache):
    """More programming variation never helps (mean of 3 chips, 1 image of slack)."""
    model, split = _load("digits-cnn")
    a = Arith(adc_bits=9)
    accs = [evaluate(model, split.x_test, split.y_test, a,
                     nonideal=NonIdeal(programming_sigma=s, repeats=3)).accuracy_top1
            for s in (0.0, 0.05, 0.1, 0.2, 0.4)]
    assert all(b <= a + 1 / 360 for a, b in zip(accs, accs[1:])), accs
    assert accs[-1] < accs[0]


def test_mnist1d_cnn_is_the_reference_convbase():
    """greydanus/mnist1d notebooks/models.py ConvBase: Conv1d(1, 25, 5, stride=2, padding=1),
    two Conv1d(25, 25, 3, stride=2, padding=1), Linear(125, 10); the repository's notebooks print
    'Initialized ConvBase model with 5210 parameters'."""
    from cimsim.accuracy import models
    m = models.MODELS["mnist1d-cnn"].build()
    convs = [m.conv1, m.conv2, m.conv3]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride, c.padding) for c in convs] \
        == [(1, 25, (5,), (2,), (1,))] + [(25, 25, (3,), (2,), (1,))] * 2
    assert (m.fc.in_features, m.fc.out_features) == (125, 10)
    # 25*5 + 25, 2 x (25*25*3 + 25), 125*10 + 10
    assert sum(p.numel() for p in m.parameters()) == 150 + 2 * 1900 + 1260 == 5210
    # 40 -> (40 + 2 - 5) // 2 + 1 = 19 -> 10 -> 5 positions of 25 channels
    assert m(torch.zeros(3, 40)).shape == (3, 10)


def test_mnist1d_cnn_trains_with_the_reference_recipe():
    """notebooks/train.py get_model_args(): Adam, lr 1e-2, weight decay 0, batch 100, seed 42;
    the classification notebooks set total_steps = 6000. train_model takes total_steps + 1 steps on
    x[bix:bix + 100], bix = step * 100 % len(x), at a constant lr: a short run of that loop,
    written out here, gives the same weights."""
    from cimsim.accuracy import models
    from cimsim.accuracy.data import Split
    spec = models.MODELS["mnist1d-cnn"]
    assert (spec.lr, spec.batch, spec.steps, spec.seed) == (1e-2, 100, 6000, 42)
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(250, 40, generator=g), torch.randint(0, 10, (250,), generator=g)
    short = models.Spec("mnist1d", spec.build, 0, spec.lr, spec.batch, "", steps=4, seed=42)
    got = models.train(short, Split(x, y, x[:1], y[:1]))
    torch.manual_seed(42)
    ref = spec.build()
    opt = torch.optim.Adam(ref.parameters(), 1e-2, weight_decay=0)
    for bix in (0, 100, 200, 50, 150):   # steps 0..4: step * 100 % 250
        torch.nn.functional.cross_entropy(ref(x[bix:bix + 100]), y[bix:bix + 100]).backward()
        opt.step()
        opt.zero_grad()
    for a, b in zip(got.state_dict().values(), ref.state_dict().values()):
        assert torch.allclose(a, b, rtol=0, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("name,published", [("mnist1d-gru", 0.91), ("mnist1d-cnn", 0.94)])
def test_mnist1d_models_reach_the_published_reference(cache, name, published):
    """mnist1d README ('Comparing MNIST and MNIST-1D', default data): CNN 94 %, GRU 91 %;
    the bundled models, trained on make_dataset()'s 4,000 sequences, land within 3 points."""
    from cimsim.accuracy import models
    model, split = _load(name)
    assert models.MODELS[name].reference_top1 == published
    acc = models.top1(model, split.x_test, split.y_test)
    assert abs(acc - published) <= 0.03, acc


@pytest.mark.slow
@pytest.mark.parametrize("name", ["digits-mlp", "digits-cnn", "mnist-cnn", "mnist1d-lstm"])
def test_other_bundled_models_train(cache, name):
    """The other bundled models learn their task (fp32 top-1 > 90 %) and reload from the cache
    with identical outputs."""
    from cimsim.accuracy import models
    model, split = _load(name)
    assert models.top1(model, split.x_test, split.y_test) > 0.9
    again, _ = models.load(name)
    with torch.no_grad():
        assert torch.equal(model(split.x_test[:50]), again(split.x_test[:50]))


def test_attention_products_are_emulated_only_when_claimed():
    """nn.MultiheadAttention (fast path off) runs q k^T and a v as bmm on activations: the CIM
    claims only the projections by default; claim='all' emulates the two bmm too."""
    torch.manual_seed(0)
    mha = torch.nn.MultiheadAttention(16, 2, batch_first=True)

    class Attn(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.mha = mha

        def forward(self, x):
            return self.mha(x, x, x, need_weights=False)[0]

    x = torch.randn(3, 5, 16)
    a = Arith(adc_bits=12)
    weights_only = evaluate(Attn(), x, arith=a)
    everything = evaluate(Attn(), x, arith=a, claim="all")
    assert weights_only.skipped_ops.get("bmm", 0) == 2 and "bmm" not in weights_only.emulated_ops
    assert everything.emulated_ops.get("bmm", 0) == 2 and not everything.skipped_ops
    assert everything.output_snr_db > 20


def test_evaluate_from_a_cim_config(cim_arch):
    """The CIM component's config is enough: its fields set the arithmetic (ISAAC-like: 8-bit
    ADC under the 9-bit lossless bound, so the output differs from fp32 but stays close)."""
    torch.manual_seed(0)
    lin = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    x = torch.randn(100, 64)
    res = evaluate(lin, x, cim=cim_arch.components["cim"])
    assert res.adc_range_policy == "max" and res.emulated_ops == {"addmm": 2}
    assert 10 < res.output_snr_db < 60 and res.repeats == 1
    assert res.accuracy_top1 is None and res.accuracy_top1_reference is None
