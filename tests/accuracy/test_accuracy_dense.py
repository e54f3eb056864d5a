"""`--accuracy` on a dense-prediction (segmentation) output: the classes are dim 1 of an
(N, C, H, W) output (torch's cross_entropy convention), every score per pixel (find-U #1: the
last axis, the image width, was taken for the classes, and per-pixel labels were refused)."""

from __future__ import annotations

import json
import math
import textwrap

import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")

from cimsim.accuracy.classes import mean_iou  # noqa: E402
from cimsim.accuracy.run import metrics  # noqa: E402
from cimsim.cli import main  # noqa: E402
from cimsim.report import columns as C  # noqa: E402

from conftest import fresh_cache  # noqa: E402

pytestmark = pytest.mark.torch


def test_a_shift_common_to_a_pixels_classes_changes_no_score():
    """find-U's reproduction: adding one number to every class score of a pixel (a different
    number per image column) leaves each pixel's arg-max and softmax as they were, so agreement
    is 1 and KL 0 (it read 37 % and 0.37 nats, computed along the width)."""
    torch.manual_seed(0)
    ref = torch.randn(4, 5, 16, 16)                  # N, classes, H, W
    y = ref + torch.linspace(0, 3, 16)               # the same shift to every class of a pixel
    m = metrics(y, ref)
    assert m["agreement"] == 1.0
    assert m["output_kl"] == pytest.approx(0.0, abs=1e-6)


def test_per_pixel_agreement_and_kl_closed_form():
    """2 images of 4x4 pixels, 3 classes; every pixel's reference logits (L, 0, 0); 8 of the 32
    pixels read (0, L, 0). Agreement 24/32; the KL of a flipped pixel, with Z = e^L + 2 for
    both: p1 L + p2 (-L) = L (e^L - 1) / (e^L + 2), the others 0: the mean over 32 pixels."""
    L = 2.0
    ref = torch.zeros(2, 3, 4, 4)
    ref[:, 0] = L
    y = ref.clone()
    flip = torch.zeros(2, 4, 4, dtype=torch.bool)
    flip[0, 0, :] = True                             # 4 pixels of image 0
    flip[1, :, 3] = True                             # 4 pixels of image 1
    y[:, 0][flip] = 0.0
    y[:, 1][flip] = L
    m = metrics(y, ref)
    assert m["agreement"] == 24 / 32
    kl_one = L * (math.exp(L) - 1) / (math.exp(L) + 2)
    assert m["output_kl"] == pytest.approx(8 / 32 * kl_one, rel=1e-6, abs=0)


def test_per_pixel_labels_score_pixel_accuracy_and_miou():
    """Labels of shape (N, H, W): top-1 is pixel accuracy and ``miou`` the mean over classes
    of |pred = c and label = c| / |pred = c or label = c|. One 2x3 image, 3 classes:
    pred  0 0 1 / 1 2 2, labels 0 1 1 / 1 2 0 -> 4 of 6 right; IoU class 0: 1 / 3 (pixels
    (0,0) both, (0,1) pred only, (1,2) label only), class 1: 2 / 3, class 2: 1 / 2."""
    pred = torch.tensor([[[0, 0, 1], [1, 2, 2]]])
    labels = torch.tensor([[[0, 1, 1], [1, 2, 0]]])
    scores = torch.nn.functional.one_hot(pred, 3).movedim(-1, 1).float()   # (1, 3, 2, 3)
    m = metrics(scores, scores, labels)
    assert m["accuracy_top1"] == 4 / 6 and m["agreement"] == 1.0
    assert m["miou"] == pytest.approx((1 / 3 + 2 / 3 + 1 / 2) / 3, rel=1e-12, abs=0)
    # a class in neither the prediction nor the labels is not averaged in (0 / 0)
    assert mean_iou(pred, labels, 5) == pytest.approx((1 / 3 + 2 / 3 + 1 / 2) / 3, rel=1e-12, abs=0)


def test_an_output_without_a_class_axis_is_refused():
    with pytest.raises(ValueError, match=r"outputs of shape \[4\] have no class axis"):
        metrics(torch.zeros(4), torch.zeros(4))


SEG = textwrap.dedent("""
    import torch

    def _model():
        torch.manual_seed(0)
        return torch.nn.Conv2d(3, 4, 1)        # 4 classes per pixel: (N, 4, H, W)

    def factory():
        return _model().eval(), torch.zeros(1, 3, 6, 6)

    def _x():
        torch.manual_seed(1)
        return torch.randn(10, 3, 6, 6)

    def pixels():                             # the fp32 model's own class per pixel
        x = _x()
        with torch.no_grad():
            return x, _model()(x).argmax(1)

    def one_per_image():
        return _x(), torch.zeros(10, dtype=torch.long)

    def pixel_past_classes():
        x, y = pixels()
        y[3, 2, 5] = 4
        return x, y

    class _Seq(torch.nn.Module):              # a sequence model's (N, T, C) scores
        def __init__(self):
            super().__init__()
            self.m = torch.nn.Linear(8, 5)

        def forward(self, x):
            return self.m(x)

    def seq_factory():
        return _Seq().eval(), torch.zeros(1, 7, 8)

    def seq_tokens():
        return torch.randn(6, 7, 8), torch.zeros(6, 7, dtype=torch.long)

    def seq_per_sample():
        return torch.randn(6, 7, 8), torch.zeros(6, dtype=torch.long)

    def scalar():                             # one number for 10 inputs
        return _x(), torch.tensor(2)

    def _binary():
        torch.manual_seed(0)
        return torch.nn.Conv2d(3, 1, 1)        # one logit per pixel (BCEWithLogits): (N, 1, H, W)

    def bin_factory():
        return _binary().eval(), torch.zeros(1, 3, 6, 6)

    def bin_pixels():                         # the fp32 model's own decision per pixel, 0 or 1
        x = _x()
        with torch.no_grad():
            return x, (_binary()(x)[:, 0] > 0).long()

    def bin_two():
        x, y = bin_pixels()
        y[1, 0, 0] = 2
        return x, y
""")


@pytest.fixture(scope="module")
def seg(tmp_path_factory):
    f = tmp_path_factory.mktemp("seg") / "seg.py"
    f.write_text(SEG)
    with fresh_cache(tmp_path_factory.mktemp("cimsim-cache")):
        yield str(f)


def _run(*args):
    res = CliRunner().invoke(main, ["run", *args])
    return res.exit_code, res.output


def test_per_pixel_labels_are_accepted_end_to_end(seg):
    """Labels (N, H, W), the fp32 arg-max over dim 1: the fp32 pixel accuracy is 1 exactly
    (it was refused: "labels must be one class index per input (1-D)"); no Wilson interval
    (36 pixels of one image are not 36 samples); the basis names the class axis."""
    code, out = _run("cpu-ddr5", f"{seg}:factory", "--accuracy", "--dataset", f"{seg}:pixels",
                     "--json")
    assert code == 0, out
    res = json.loads(out)
    assert res[C.ACCURACY_TOP1] == res[C.ACCURACY_TOP1_REFERENCE] == 1.0
    assert res[C.ACCURACY_TOP1_CI_LOW] is None and res[C.ACCURACY_TOP1_CI_HIGH] is None
    assert "classes along dim 1 of the (N, 4, 6, 6) output" in res[C.ACCURACY_BASIS]
    assert "the mean over N·6·6 positions" in res[C.ACCURACY_BASIS]
    code, out = _run("rram-cim", f"{seg}:factory", "--accuracy", "--dataset", f"{seg}:pixels",
                     "--json")
    assert code == 0, out
    res = json.loads(out)
    assert res[C.ACCURACY_TOP1_REFERENCE] == 1.0
    assert res[C.AGREEMENT] == res[C.ACCURACY_TOP1]   # labels are fp32's own classes
    assert "classes along dim 1 of the (N, 4, 6, 6) output" in res[C.ACCURACY_BASIS]


def test_a_sequence_models_per_step_labels_run_end_to_end(seg):
    """(N, T, C) scores with labels (N, T): classes on the last axis, as before the dense
    change (which refused these labels and told the user to permute); top-1 per step, the
    basis says so."""
    code, out = _run("cpu-ddr5", f"{seg}:seq_factory", "--accuracy", "--dataset",
                     f"{seg}:seq_tokens", "--json")
    assert code == 0, out
    res = json.loads(out)
    assert "classes along the last axis of the (N, 7, 5) output" in res[C.ACCURACY_BASIS]
    assert "the mean over N·7 steps" in res[C.ACCURACY_BASIS]
    assert res[C.AGREEMENT] == 1.0


@pytest.mark.parametrize("model, data, says", [
    ("factory", "one_per_image", "the model's output for one input has shape [1, 4, 6, 6], its "
     "classes along dim 1 (torch's cross_entropy convention), so labels hold one class per "
     "position, shape [10, 6, 6]; got shape [10]"),
    ("factory", "pixel_past_classes", "label 4 (input 3, position (2, 5)) is not a class of the "
     "model's 4 outputs; labels are 0 .. 3"),
    ("factory", "scalar", "labels must be one class index per position of the model's output "
     "(shape [1, 4, 6, 6] for one input), shape [10, 6, 6], got shape []"),   # a traceback once
    ("bin_factory", "bin_two", "label 2 (input 1, position (0, 0)) is not a class of the "
     "model's one-logit output (a binary decision: labels 0 or 1)"),
    ("seq_factory", "seq_per_sample", "the model's output for one input has shape [1, 7, 5], "
     "its classes along the last axis (a sequence model's (N, T, C) scores), so labels hold one "
     "class per position, shape [6, 7]; got shape [6]"),
])
def test_labels_that_do_not_fit_the_class_axis_are_one_line(seg, model, data, says):
    code, out = _run("rram-cim", f"{seg}:{model}", "--accuracy", "--dataset", f"{seg}:{data}")
    assert code == 1 and len(out.strip().splitlines()) == 1 and "Traceback" not in out, out
    assert f"--dataset '{seg}:{data}': {says}" in out, out


def test_a_sequence_models_scores_keep_their_classes_on_the_last_axis():
    """A 3-D (N, T, C) output (an LSTM's per-step classes, a language model's logits) keeps its
    classes on the last axis, as before the dense-output change (which took dim 1, the steps,
    for the classes): adding one number to every class score of a step (a different number per
    step) changes no arg-max and no softmax, so agreement is 1 and KL 0; taking dim 1 would
    read it as 2 / 6 steps' shift and score agreement below 1."""
    ref = torch.zeros(2, 6, 4)                       # N, T steps, C classes
    ref[..., 2] = 3.0                                # class 2 at every step
    y = ref + torch.linspace(0, 10, 6)[None, :, None]  # the same shift to every class of a step
    m = metrics(y, ref)
    assert m["agreement"] == 1.0
    assert m["output_kl"] == pytest.approx(0.0, abs=1e-6)
    labels = torch.full((2, 6), 2)                   # one class per step: (N, T)
    assert metrics(y, ref, labels)["accuracy_top1"] == 1.0


def test_labels_that_fit_only_n_c_l_take_dim_1_of_a_3d_output():
    """(N, C, L) scores of a 1-D dense prediction with labels (N, L), L != C: the labels'
    shape fits only torch's convention, so the classes are dim 1. Every position of 3 classes
    x 5 positions predicts class 1 (logit 2 against 0); labels 1 at 4 of the 5 positions ->
    pixel accuracy 4/5 per sample."""
    from cimsim.accuracy.classes import class_dim

    ref = torch.zeros(2, 3, 5)
    ref[:, 1] = 2.0
    labels = torch.ones(2, 5, dtype=torch.long)
    labels[:, 0] = 0
    assert class_dim((2, 3, 5), (2, 5)) == 1
    assert class_dim((2, 3, 5), None) == 2           # no labels: the sequence layout, as before
    assert class_dim((2, 5, 5), (2, 5)) == 2         # both fit: the sequence layout, as before
    assert metrics(ref, ref, labels)["accuracy_top1"] == 4 / 5


@pytest.mark.parametrize("shape", [(2, 1, 2, 2), (8, 1)])
def test_one_logit_is_a_binary_decision_closed_form(shape):
    """One logit per position (a binary segmentation head, (N, 1, H, W), or a (N, 1)
    classifier) has no arg-max to compare (it is always 0: agreement 100 % and KL 0 whatever
    the arithmetic, review17-7 #2). It is a decision, class 1 where the logit is > 0: every
    reference logit a = 1.5, 3 of the 8 positions flipped to -a -> agreement 5/8; the KL of a
    flipped position, p = sigmoid(a), q = 1 - p: p log(p/q) + q log(q/p) = (2p - 1) a =
    a tanh(a / 2), the others 0: the mean over 8 positions."""
    a = 1.5
    ref = torch.full(shape, a)
    y = ref.clone()
    flat = y.view(-1)
    flat[[0, 3, 6]] = -a
    m = metrics(y, ref)
    assert m["agreement"] == 5 / 8
    assert m["output_kl"] == pytest.approx(3 / 8 * a * math.tanh(a / 2), rel=1e-6, abs=0)
    assert metrics(-ref, ref)["agreement"] == 0.0     # every decision flipped
    # labels 0 / 1 per position: the reference's decision is 1 everywhere, 6 of 8 labels 1
    labels = torch.ones(8, dtype=torch.long)
    labels[[1, 2]] = 0
    labels = labels.view(shape[0], *shape[2:])
    got = metrics(ref, ref, labels)
    assert got["accuracy_top1"] == 6 / 8
    if len(shape) == 4:  # IoU of class 0: 0 / 2, class 1: 6 / 8
        assert got["miou"] == pytest.approx((0 + 6 / 8) / 2, rel=1e-12, abs=0)


def test_one_logit_labels_run_end_to_end_and_the_basis_says_so(seg):
    """Labels 0 / 1 of a (N, 1, H, W) output are accepted (they were refused: "label 1 ... is
    not a class of the model's 1 outputs"); fp32 against its own decisions is right at every
    pixel, and the basis names the binary rule."""
    code, out = _run("cpu-ddr5", f"{seg}:bin_factory", "--accuracy", "--dataset",
                     f"{seg}:bin_pixels", "--json")
    assert code == 0, out
    res = json.loads(out)
    assert res[C.ACCURACY_TOP1] == res[C.ACCURACY_TOP1_REFERENCE] == 1.0
    assert "one logit per position (a class axis of size 1): scored as a binary decision, " \
        "class 1 where the logit is > 0" in res[C.ACCURACY_BASIS]


def test_the_python_api_checks_labels_as_the_cli_does():
    """``metrics`` / ``evaluate`` run the --accuracy label checks: 1-D labels of a dense output
    broadcast against its width before (a silent top-1 when N == W), now one line."""
    from cimsim.accuracy.arith import Arith
    from cimsim.accuracy.run import evaluate
    from cimsim.accuracy.target import AccuracyError

    ref = torch.zeros(4, 3, 4, 4)
    with pytest.raises(AccuracyError, match=r"metrics\(\): labels: the model's output .* shape "
                                            r"\[4, 4, 4\]; got shape \[4\]"):
        metrics(ref, ref, torch.zeros(4, dtype=torch.long))
    model = torch.nn.Conv2d(2, 3, 1).eval()
    with pytest.raises(AccuracyError, match=r"evaluate\(\): labels: label 3 \(input 0, position "
                                            r"\(0, 0\)\) is not a class"):
        evaluate(model, torch.zeros(4, 2, 4, 4), torch.full((4, 4, 4), 3), Arith())
