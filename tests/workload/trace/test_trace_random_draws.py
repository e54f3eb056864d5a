"""Random draws in a traced model (find-B 3, 4): generated where they are used, and a weight
sampled from them each forward is never called constant."""

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from cimsim.workload.kinds import ELEMENTWISE_OPS_PER_ELEMENT  # noqa: E402
from cimsim.workload.trace import trace  # noqa: E402
from cimsim.workload.trace.computed import kind, summary  # noqa: E402
from cimsim.workload.trace.fuse import vector_ops  # noqa: E402

pytestmark = pytest.mark.torch
B, D, H = 20, 64, 256


class Noisy(nn.Module):
    """A matmul whose output is multiplied by fresh uniform noise: one rand_like of B x H."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(D, H, bias=False)

    def forward(self, x):
        y = self.fc(x)
        return y * torch.rand_like(y)


def test_random_draw_is_generated_not_read_from_memory():
    w = trace(Noisy().eval(), (torch.randn(B, D),))
    inputs = [t for t in w.tensors.values() if t.role == "input"]
    # only the example input is read from memory; before 2026-12-06 the B x H noise was a
    # second fp32 input: 20 * 256 * 4 B = 20,480 B more
    assert sum(t.nbytes for t in inputs) == B * D * 4
    host = [op for op in w.ops if op.kind == "elementwise"]
    # the draw (20 ops an element, Philox's 80 per four draws) and the multiply (1)
    assert ELEMENTWISE_OPS_PER_ELEMENT["rng"] == 20
    assert sum(vector_ops(op, w.tensors) for op in host) == B * H * (20 + 1)


def test_dropout_left_on_in_a_submodule_is_noted():
    """MC dropout's recipe, eval() then the Dropout back to train(): the top-level module says
    eval, yet masks are drawn; before 2026-12-06 train_mode_ops was written only for a model
    whose top-level module trained."""
    m = nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Dropout(0.3), nn.Linear(H, 10)).eval()
    m[2].train()
    w = trace(m, (torch.randn(B, D),))
    assert w.metadata["training"] is False
    assert w.metadata["train_mode_ops"] >= 1
    # the mask is not a B x H fp32 input read from memory (before: 20,480 B more)
    assert sum(t.nbytes for t in w.tensors.values() if t.role == "input") == B * D * 4
    m[2].eval()
    assert "train_mode_ops" not in trace(m, (torch.randn(B, D),)).metadata


class Bayes(nn.Module):
    """Bayes-by-backprop: W = mu + softplus(rho) * eps, eps ~ N(0, 1), drawn each forward."""

    def __init__(self):
        super().__init__()
        self.mu = nn.Parameter(torch.randn(H, D) * 0.1)
        self.rho = nn.Parameter(torch.full((H, D), -3.0))

    def forward(self, x):
        w = self.mu + nn.functional.softplus(self.rho) * torch.randn_like(self.mu)
        return x @ w.t()


def test_sampled_weight_is_not_called_constant():
    w = trace(Bayes().eval(), (torch.randn(1, D),))
    (entry,) = w.metadata["computed_weights"]
    assert entry["sampled"] is True and kind(entry) == "sampled"
    text = summary([entry])
    assert "sampled each forward" in text and "cannot be constant-folded" in text
    assert "(constant-fold it)" not in text
    # the H x D noise is generated (H * D * 20 ops), not a third H x D fp32 input
    assert sum(t.nbytes for t in w.tensors.values() if t.role == "input") == D * 4


def test_a_weight_from_parameters_alone_is_still_a_constant_fold():
    """Learned queries (no draw among the sources) keep the constant-fold advice."""

    class Queries(nn.Module):
        def __init__(self):
            super().__init__()
            self.q = nn.Parameter(torch.randn(H, D))
            self.proj = nn.Linear(D, D)

        def forward(self, x):
            return x @ self.proj(self.q).t()

    (entry,) = trace(Queries().eval(), (torch.randn(1, D),)).metadata["computed_weights"]
    assert kind(entry) == "parameters" and "constant-fold it" in summary([entry])


class Reseeded(nn.Module):
    """A fixed random projection drawn after torch.manual_seed in every forward (review19-B 8)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(H, D)

    def forward(self, x):
        torch.manual_seed(0)
        return self.fc(x @ torch.randn(D, H))


def test_a_draw_after_the_forwards_reseed_is_the_same_every_forward():
    """Before 2026-12-06 it was called 'a matrix sampled each forward ... cannot be
    constant-folded'; the same draw is still generated (D x H x 20 rng ops), only its name moves."""
    seeds = (torch.manual_seed, torch.random.manual_seed)  # torch._dynamo, once imported, wraps the first
    w = trace(Reseeded().eval(), (torch.randn(1, D),))
    (entry,) = w.metadata["computed_weights"]
    assert "sampled" not in entry and kind(entry) == "reseeded"
    assert "the same every forward" in summary([entry]) and "cannot be constant-folded" not in summary([entry])
    assert (torch.manual_seed, torch.random.manual_seed) == seeds  # put back after the trace
    # without the reseed the same draw is sampled each forward
    plain = Reseeded()
    plain.forward = lambda x: plain.fc(x @ torch.randn(D, H))
    (entry,) = trace(plain.eval(), (torch.randn(1, D),)).metadata["computed_weights"]
    assert kind(entry) == "sampled"


def test_a_weight_quantised_in_forward_is_told_how_to_fold_it():
    """BitNet's reference BitLinear quantises its weight each forward (absmean ternary): the
    matmul has no stationary weight, and the note names --fold-computed-weights (find-H 6,
    find-L1 1)."""

    class BitLinear(nn.Linear):
        def forward(self, x):
            s = self.weight.abs().mean().clamp(min=1e-5)
            return nn.functional.linear(x, (self.weight / s).round().clamp(-1, 1) * s)

    torch.manual_seed(0)
    (entry,) = trace(BitLinear(D, D, bias=False).eval(), (torch.randn(1, D),)).metadata["computed_weights"]
    text = summary([entry])
    assert kind(entry) == "parameters" and "cimsim trace --fold-computed-weights" in text
    assert "BitLinear" in text
