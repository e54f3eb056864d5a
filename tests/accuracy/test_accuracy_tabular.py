"""find-T 1-3: probability outputs (sigmoid / softmax), a binary task's precision, recall, F1
and ROC AUC, the outputs returned, and several forward inputs.

Closed forms: a 1 -> 1 linear model of weight 1 and bias 0 on x = -2, -1, 1, 2 with labels 0, 0,
1, 1 is right on every sample (logit x > 0 is class 1). Its sigmoid is the same decision at
p > 0.5; read as a logit (p > 0) every p is class 1: top-1 50 %, the old reading.
"""

from __future__ import annotations

import functools
import json
import math
import textwrap
import warnings

import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")

from cimsim import load_architecture  # noqa: E402
from cimsim.accuracy import scores  # noqa: E402
from cimsim.accuracy.run import evaluate  # noqa: E402
from cimsim.accuracy.target import AccuracyError  # noqa: E402
from cimsim.cli import main  # noqa: E402
from cimsim.report import columns as C  # noqa: E402

from conftest import fresh_cache  # noqa: E402

pytestmark = pytest.mark.torch

X = torch.tensor([[-2.0], [-1.0], [1.0], [2.0]])
Y = torch.tensor([0, 0, 1, 1])


def _unit():
    m = torch.nn.Linear(1, 1)
    with torch.no_grad():
        m.weight.fill_(1.0)
        m.bias.zero_()
    return m


@functools.lru_cache(maxsize=1)
def _cim():
    return load_architecture("rram-cim").components["cim"]


# ---- T 2: the binary scores, closed form --------------------------------------------------
def test_binary_metrics_closed_form():
    """Logits 2, -1, 0.5, -3, 1, -0.2 against labels 1, 0, 0, 0, 1, 1: predicted 1, 0, 1, 0, 1,
    0, so TP 2 (samples 0, 4), FP 1 (2), FN 1 (5): precision 2/3, recall 2/3, F1 4 / 6. ROC AUC:
    of the 3 x 3 (positive, negative) pairs the positive scores higher in 3 (2) + 3 (1) + 2
    (-0.2 beats -1 and -3, not 0.5) = 8 of 9."""
    t = torch.tensor([[2.0], [-1.0], [0.5], [-3.0], [1.0], [-0.2]])
    y = torch.tensor([1, 0, 0, 0, 1, 1])
    m = scores.binary_metrics(t, y)
    assert m["precision"] == pytest.approx(2 / 3, rel=1e-12, abs=0)
    assert m["recall"] == pytest.approx(2 / 3, rel=1e-12, abs=0)
    assert m["f1"] == pytest.approx(4 / 6, rel=1e-12, abs=0)
    assert m["roc_auc"] == pytest.approx(8 / 9, rel=1e-12, abs=0)
    assert m["positive"] == pytest.approx(3 / 6, rel=1e-12, abs=0)
    # two outputs: the score is logit 1 - logit 0, the class the arg-max
    two = torch.cat([torch.zeros_like(t), t], 1)
    assert scores.binary_metrics(two, y) == m


def test_roc_auc_ties_count_half_and_one_class_is_undefined():
    """Scores 1, 1 for a positive and a negative: one tied pair, AUC 0.5; (1, 0) positive
    scores 1 and 0.5 vs a negative 0.5: (1 + 0.5) / 2 = 0.75."""
    assert scores.roc_auc(torch.tensor([1.0, 1.0]), torch.tensor([1, 0])) == 0.5
    assert scores.roc_auc(torch.tensor([1.0, 0.5, 0.5]), torch.tensor([1, 1, 0])) == 0.75
    assert scores.roc_auc(torch.tensor([1.0, 2.0]), torch.tensor([0, 0])) is None
    # nothing predicted positive: precision 0 (scikit-learn's zero_division=0), recall 0
    m = scores.binary_metrics(torch.tensor([[-1.0], [-2.0]]), torch.tensor([1, 0]))
    assert (m["precision"], m["recall"], m["f1"]) == (0.0, 0.0, 0.0)


def test_collapse_note():
    """A CIM that predicts class 0 everywhere where fp32 predicts 25 % class 1 is said so."""
    note = scores.collapse_note([{"positive": 0.0}], {"positive": 0.25})
    assert note == ("; the emulated model predicts class 0 for every sample (the fp32 model "
                    "25.0 % class 1): top-1 is the share of class 0, read recall and precision")
    assert scores.collapse_note([{"positive": 0.0}], {"positive": 0.0}) == ""


# ---- T 1: probabilities ----------------------------------------------------------------------
def test_sigmoid_output_is_read_as_a_probability():
    """find-T 1: the sigmoid model scored fp32 top-1 50 % (every p > 0: class 1) and agreement
    100 % whatever the CIM; now auto-detected (warned), it scores as its logit model: top-1
    100 %, precision = recall = F1 = ROC AUC = 1, the same KL as the logit model's (Bernoulli(p)
    is Bernoulli(sigmoid(logit)))."""
    logit, prob = _unit(), torch.nn.Sequential(_unit(), torch.nn.Sigmoid())
    ref = evaluate(logit, X, Y, cim=_cim())
    with pytest.warns(scores.OutputKindNote, match="outputs read as probabilities, not logits"):
        got = evaluate(prob, X, Y, cim=_cim())
    assert (got.output_kind, got.output_kind_detected) == ("probabilities", True)
    assert got.accuracy_top1_reference == 1.0 and got.accuracy_top1 == ref.accuracy_top1 == 1.0
    for k in scores.BINARY:
        assert getattr(got, k + "_reference") == 1.0
    # the same up to fp32's rounding of p (~6e-8 near 1) read back through log(p / (1 - p)):
    # the KL here is ~5e-6 nats, of logit differences ~3e-3, so 1 % covers it
    assert got.output_kl == pytest.approx(ref.output_kl, rel=1e-2, abs=0)
    assert ref.output_kind == "logits"
    with warnings.catch_warnings():
        warnings.simplefilter("error", scores.OutputKindNote)
        old = evaluate(prob, X, Y, cim=_cim(), output_kind="logits")  # as before, when asked
    assert old.accuracy_top1_reference == 0.5 and old.recall_reference == 1.0
    assert old.precision_reference == 0.5
    with pytest.raises(AccuracyError, match=r"output_kind \(--output-kind\) 'probabilities': the "
                       r"fp32 model's outputs are not probabilities \(they range -2 to 2\)"):
        evaluate(logit, X, Y, cim=_cim(), output_kind="probabilities")
    with pytest.raises(AccuracyError, match="'odds' is not one of auto, logits, probabilities"):
        evaluate(logit, X, Y, cim=_cim(), output_kind="odds")


def test_softmax_output_keeps_its_arg_max_and_kl():
    """A softmax over 3 classes: auto-detected (rows sum to 1); read as log p, softmax(log p)
    = p, so its KL is the logit model's; arg-max and top-1 unchanged."""
    torch.manual_seed(0)
    lin = torch.nn.Linear(4, 3)
    x = torch.randn(32, 4)
    y = lin(x).argmax(1).detach()
    ref = evaluate(lin, x, y, cim=_cim())
    with pytest.warns(scores.OutputKindNote, match="sums to 1 over the classes"):
        got = evaluate(torch.nn.Sequential(lin, torch.nn.Softmax(1)), x, y, cim=_cim())
    assert got.output_kind == "probabilities" and got.accuracy_top1_reference == 1.0
    assert got.agreement == ref.agreement and got.accuracy_top1 == ref.accuracy_top1
    assert got.output_kl == pytest.approx(ref.output_kl, rel=1e-2, abs=0)  # fp32 rounding of p
    assert got.precision is None  # three classes: no binary scores


def test_outputs_returned_for_ones_own_metrics():
    """``return_outputs=True``: the fp32 outputs are the model's (x itself: weight 1, bias 0)
    and one emulated tensor per chip, from which a user's recall is the result's."""
    r = evaluate(_unit(), X, Y, cim=_cim(), return_outputs=True)
    assert torch.equal(r.reference_outputs, X)
    assert len(r.outputs) == r.repeats == 1
    pred = (r.outputs[0][:, 0] > 0).long()
    assert float(((pred == 1) & (Y == 1)).sum() / (Y == 1).sum()) == r.recall
    assert evaluate(_unit(), X, Y, cim=_cim()).outputs is None


# ---- T 3: several inputs ---------------------------------------------------------------------
class TwoInputs(torch.nn.Module):
    """forward(ids, num): an embedding row of each id beside the numeric features, then a linear."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(1)
        self.emb, self.lin = torch.nn.Embedding(5, 3), torch.nn.Linear(3 + 2, 4)

    def forward(self, ids, num):
        return self.lin(torch.cat([self.emb(ids), num], 1))


class Packed(torch.nn.Module):
    """The packing workaround: one float tensor, ids in column 0."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x[:, 0].long(), x[:, 1:])


def test_a_tuple_of_inputs_is_spread_over_forward():
    """find-T 3: a tuple (ids, num) was passed as one argument (the model's TypeError); now it
    is spread over forward, and scores exactly as the packed one-tensor workaround does (the
    same matmuls on the same values)."""
    g = torch.Generator().manual_seed(2)
    ids, num = torch.randint(0, 5, (40,), generator=g), torch.randn(40, 2, generator=g)
    m = TwoInputs()
    y = m(ids, num).argmax(1).detach()
    two = evaluate(m, (ids, num), y, cim=_cim(), return_outputs=True, batch_size=16)
    one = evaluate(Packed(m), torch.cat([ids[:, None].float(), num], 1), y, cim=_cim(),
                   return_outputs=True)
    assert torch.equal(two.reference_outputs, m(ids, num).detach())
    # 40 samples in batches of 16: ceil(40 / 16) = 3 calls of the one linear
    assert two.accuracy_top1_reference == 1.0 and two.emulated_ops == {"addmm": 3}
    assert torch.equal(two.outputs[0], one.outputs[0])
    assert (two.accuracy_top1, two.agreement) == (one.accuracy_top1, one.agreement)
    with pytest.raises(AccuracyError, match=r"evaluate\(\): inputs: input 1 has 39 rows and "
                       r"input 0 has 40: every input holds one row per sample"):
        evaluate(m, (ids, num[:39]), y, cim=_cim())
    with pytest.raises(AccuracyError, match=r"item 1 of the inputs is a list, not a tensor"):
        evaluate(m, (ids, [1, 2]), y, cim=_cim())


# ---- the CLI ---------------------------------------------------------------------------------
MODELS = textwrap.dedent("""
    import torch

    def _unit():
        m = torch.nn.Linear(1, 1)
        with torch.no_grad():
            m.weight.fill_(1.0); m.bias.zero_()
        return m

    class Two(torch.nn.Module):
        def __init__(self):
            super().__init__(); self.lin = _unit()
        def forward(self, a, b):
            return self.lin(a + b)

    def prob():
        return torch.nn.Sequential(_unit(), torch.nn.Sigmoid()), (torch.ones(1, 1),)

    def two():
        return Two(), (torch.ones(1, 1), torch.ones(1, 1))

    def data():
        return torch.tensor([[-2.0], [-1.0], [1.0], [2.0]]), torch.tensor([0, 0, 1, 1])

    def pairs():
        x, y = data()
        return (x / 2, x / 2), y

    def negatives():
        x, _ = data()
        return x, torch.zeros(4, dtype=torch.long)
""")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("tab")
    (d / "m.py").write_text(MODELS)
    with fresh_cache(tmp_path_factory.mktemp("cimsim-cache")):
        yield d


def _json(*args):
    r = CliRunner().invoke(main, ["run", "rram-cim", *args, "--accuracy", "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


@pytest.mark.slow
def test_cli_probabilities_and_binary_columns(files):
    """`--accuracy` on the sigmoid model: fp32 top-1 100 % (was 50 %), the binary columns, the
    basis naming the reading; `--output-kind logits` gives the old reading back."""
    d = _json(f"{files}/m.py:prob", "--dataset", f"{files}/m.py:data")
    assert d[C.ACCURACY_TOP1_REFERENCE] == 1.0
    assert all(d[k] == 1.0 for k in (C.PRECISION_REFERENCE, C.RECALL_REFERENCE, C.F1_REFERENCE,
                                      C.ROC_AUC_REFERENCE))
    assert d[C.ROC_AUC_STD] == 0.0 and math.isfinite(d[C.ROC_AUC])
    assert ("one probability per position (a class axis of size 1): scored as a binary "
            "decision, class 1 where p > 0.5" in d[C.ACCURACY_BASIS])
    assert "outputs read as probabilities, not logits (auto-detected" in d[C.ACCURACY_BASIS]
    old = _json(f"{files}/m.py:prob", "--dataset", f"{files}/m.py:data", "--output-kind", "logits")
    assert old[C.ACCURACY_TOP1_REFERENCE] == 0.5 and old[C.PRECISION_REFERENCE] == 0.5
    r = CliRunner().invoke(main, ["run", "rram-cim", f"{files}/m.py:prob", "--output-kind", "logits"])
    assert r.exit_code == 2 and "--output-kind goes with --accuracy" in r.output


def test_cli_dataset_of_several_inputs(files):
    """A data set whose inputs are a tuple (x / 2, x / 2): forward(a, b) gets a + b = x."""
    d = _json(f"{files}/m.py:two", "--dataset", f"{files}/m.py:pairs")
    assert d[C.ACCURACY_TOP1_REFERENCE] == 1.0 and d[C.RECALL_REFERENCE] == 1.0
    r = CliRunner().invoke(main, ["run", "rram-cim", f"{files}/m.py:two", "--accuracy",
                                  "--dataset", f"{files}/m.py:data"])
    assert r.exit_code != 0
    assert "the model fails on its first input (shape [1, 1]" in r.output
    assert "Traceback" not in r.output


# ---- review E 1: ROC AUC ranks probabilities without the EPS clamp --------------------------

def test_roc_auc_of_saturated_probabilities_matches_sklearn():
    """review E 1: as_logits held every p < 2^-24 at one logit, so ROC AUC tied them (0.667 on
    this case, a fraud scorer's fp32 AUC 0.5). Logits -30 -25 -20 -18 -17 3 -40, labels
    0 1 0 1 0 1 0: positives -25, -18, 3 beat 2, 3 and 4 of the 4 negatives: 9 / 12 = 0.75."""
    sk = pytest.importorskip("sklearn.metrics")
    z = torch.tensor([[-30.0], [-25.0], [-20.0], [-18.0], [-17.0], [3.0], [-40.0]])
    y = torch.tensor([0, 1, 0, 1, 0, 1, 0])
    p = torch.sigmoid(z)
    m = scores.binary_metrics(p, y, 1, "probabilities")
    assert m["roc_auc"] == pytest.approx(9 / 12, rel=1e-12, abs=0)
    assert m["roc_auc"] == pytest.approx(sk.roc_auc_score(y.numpy(), p[:, 0].numpy()), rel=1e-12, abs=0)
    two = torch.softmax(torch.cat([torch.zeros_like(z), z], 1), 1)  # p1 = sigmoid(z) again
    assert scores.binary_metrics(two, y, 1, "probabilities")["roc_auc"] == pytest.approx(0.75, rel=1e-12, abs=0)
    # true ties still count half: scores 1 1 2 2, labels 0 1 0 1: (0.5 + 0 + 1 + 0.5) / 4
    t, yt = torch.tensor([[0.1], [0.1], [0.2], [0.2]]), torch.tensor([0, 1, 0, 1])
    assert scores.binary_metrics(t, yt, 1, "probabilities")["roc_auc"] == pytest.approx(0.5, rel=1e-12, abs=0)
    assert sk.roc_auc_score(yt.numpy(), t[:, 0].numpy()) == pytest.approx(0.5, rel=1e-12, abs=0)


def test_confident_sigmoid_scorer_keeps_its_fp32_auc():
    """review E 1, end to end: sigmoid(3 x0 - 30) on x0 = 0.05 k, label x0 > 1: the negatives'
    p are all < 2^-24 (logit <= -27), the ranking is perfect: fp32 ROC AUC 1.0 (was 0.5)."""
    lin = torch.nn.Linear(1, 1)
    with torch.no_grad():
        lin.weight.fill_(3.0); lin.bias.fill_(-30.0)
    x = torch.arange(1, 41, dtype=torch.float32)[:, None] * 0.05 + torch.tensor([[8.0]]) * (
        torch.arange(40)[:, None] >= 30)  # 30 negatives (x0 <= 1.5), 10 positives (x0 >= 9.55)
    y = (x[:, 0] > 5).long()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scores.OutputKindNote)
        r = evaluate(torch.nn.Sequential(lin, torch.nn.Sigmoid()), x, y, cim=_cim())
    assert r.output_kind == "probabilities"
    assert r.roc_auc_reference == 1.0


# ---- review E 4: the reading in a column, a CLI note line, sweeps' --output-kind ------------

@pytest.mark.slow
def test_auto_reading_is_a_column_and_a_note_line(files):
    """review E 4: which reading auto chose was a clause mid-basis only: now the column
    accuracy_output_kind, and a `note:` line of its own in the text output."""
    d = _json(f"{files}/m.py:prob", "--dataset", f"{files}/m.py:data")
    assert d[C.ACCURACY_OUTPUT_KIND] == "probabilities"
    old = _json(f"{files}/m.py:prob", "--dataset", f"{files}/m.py:data", "--output-kind", "logits")
    assert old[C.ACCURACY_OUTPUT_KIND] == "logits"
    r = CliRunner().invoke(main, ["run", "rram-cim", f"{files}/m.py:prob", "--accuracy",
                                  "--dataset", f"{files}/m.py:data"])
    assert r.exit_code == 0, r.output
    assert "\nnote: --output-kind auto read the outputs as probabilities, not logits" in r.output
    r = CliRunner().invoke(main, ["run", "rram-cim", f"{files}/m.py:prob", "--accuracy", "--dataset",
                                  f"{files}/m.py:data", "--output-kind", "probabilities"])
    assert r.exit_code == 0 and "note: --output-kind auto" not in r.output


def test_sweep_output_kind_goes_with_accuracy(tmp_path):
    """review E 4: `cimsim sweep` takes --output-kind (auto had no way out there)."""
    r = CliRunner().invoke(main, ["sweep", "rram-cim", "-w", "mlp", "-o", str(tmp_path / "s.parquet"),
                                  "--output-kind", "logits"])
    assert r.exit_code != 0 and "--output-kind goes with --accuracy" in r.output


def test_an_undefined_binary_metric_has_no_spread_on_an_fp32_design(files):
    """cpu-ddr5 computes in fp32 (no CIM): the accuracy is the fp32 reference's; with no positive
    label, recall and F1 (and ROC AUC) are undefined, and so is their spread (null, not 0)."""
    r = CliRunner().invoke(main, ["run", "cpu-ddr5", f"{files}/m.py:prob", "--accuracy", "--json",
                                  "--dataset", f"{files}/m.py:negatives"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    for c in (C.RECALL, C.F1, C.ROC_AUC):
        assert d[c] is None and d[c + "_std"] is None and d[c + "_reference"] is None
    assert d[C.PRECISION] == 0.0 and d[C.PRECISION_STD] == 0.0  # 2 predicted positives (x = 1, 2), none right
