"""The second forward after a trace that rewrote a parameter in place (review 22 H 2, H 7, H 8):
``each_forward`` decided per listed matmul from the parameters its matrix came from, masks in
their other forms named as masks, and the caller's model and random state left as the trace
left them. Real torch models traced; goldens are what one forward does, computed beside."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
F = torch.nn.functional

from test_trace_masked_conv import MaskedConv2d  # noqa: E402  CompressAI's, verbatim


class Rescale(torch.nn.Module):
    """RWKV-like: a one-time in-place rescale of ``lin`` on the first forward, beside a masked
    conv that rewrites its weight on every call."""

    def __init__(self):
        super().__init__()
        self.lin, self.mc, self.done = torch.nn.Linear(8, 8), MaskedConv2d(8, 8, 5, 1, 2), False

    def forward(self, x):
        if not self.done:
            with torch.no_grad():
                self.lin.weight.div_(2)
            self.done = True
        return self.lin(self.mc(x).mean((2, 3)))


class Clamp(torch.nn.Module):
    """A one-time rescale of ``lin`` and, every forward, an in-place clamp of a gain no matmul
    reads."""

    def __init__(self):
        super().__init__()
        self.lin, self.gain, self.done = torch.nn.Linear(8, 8), torch.nn.Parameter(torch.ones(8)), False

    def forward(self, x):
        if not self.done:
            with torch.no_grad():
                self.lin.weight.div_(2)
            self.done = True
        with torch.no_grad():
            self.gain.clamp_(min=0)
        return self.lin(x) * self.gain


class Unregistered(torch.nn.Module):
    """A masked conv held in a plain list: its parameters are weights to the tracer, not
    ``model.parameters()``."""

    def __init__(self):
        super().__init__()
        self.convs, self.head = [MaskedConv2d(8, 8, 5, 1, 2)], torch.nn.Conv2d(8, 8, 1)

    def forward(self, x):
        return self.head(self.convs[0](x))


def _entries(model, *inputs):
    from cimsim.workload.trace import trace

    torch.manual_seed(0)
    return {e["op"]: e for e in trace(model, inputs, batch=inputs[0].shape[0]).metadata["computed_weights"]}


def test_each_forward_is_told_per_parameter_rewritten():
    """H 2: the second forward rewrites the masked conv's weight, not ``lin``'s: the conv is told
    'every call', ``lin`` 'run it once first' (both were told 'every call')."""
    got = _entries(Rescale().eval(), torch.randn(1, 8, 6, 6))
    assert got["mc.conv"]["each_forward"] is True and got["lin.addmm"]["each_forward"] is False
    from cimsim.workload.trace.computed import kind

    assert (kind(got["mc.conv"]), kind(got["lin.addmm"])) == ("in_place_each", "in_place")


def test_a_rewrite_of_a_parameter_no_matmul_reads_does_not_count():
    """H 2: ``gain.clamp_`` each forward is no rewrite of ``lin``'s weight: ``lin`` is one-time."""
    got = _entries(Clamp().eval(), torch.randn(4, 8))
    assert got["lin.addmm"]["each_forward"] is False


def test_a_masked_conv_in_a_plain_list_is_watched():
    """H 2: the list's conv rewrites its weight every call (it was told 'a second forward did not
    rewrite it', its parameters unwatched)."""
    got = _entries(Unregistered().eval(), torch.randn(1, 8, 6, 6))
    (entry,) = got.values()
    assert entry["each_forward"] is True


def _mask():
    m = torch.ones(8, 8, 5, 5)
    m[:, :, 2, 2:] = 0
    m[:, :, 3:] = 0
    return m


class FrozenParamMask(torch.nn.Conv2d):
    def __init__(self):
        super().__init__(8, 8, 5, 1, 2)
        self.mask = torch.nn.Parameter(_mask(), requires_grad=False)

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, 1, 2)


class AttributeMask(torch.nn.Conv2d):
    def __init__(self):
        super().__init__(8, 8, 5, 1, 2)
        self.mask = _mask()  # a plain tensor attribute: no parameter, no buffer

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, 1, 2)


class MaskedFill(torch.nn.Conv2d):
    def __init__(self):
        super().__init__(8, 8, 5, 1, 2)
        self.register_buffer("mask", _mask())

    def forward(self, x):
        return F.conv2d(x, self.weight.masked_fill(self.mask == 0, 0), self.bias, 1, 2)


class Where(MaskedFill):
    def forward(self, x):
        return F.conv2d(x, torch.where(self.mask.bool(), self.weight, 0.0), self.bias, 1, 2)


class Scaled(torch.nn.Conv2d):
    """A weight times a trainable scale: not a mask."""

    def __init__(self):
        super().__init__(8, 8, 5, 1, 2)
        self.scale = torch.nn.Parameter(torch.full((8, 1, 1, 1), 0.5))

    def forward(self, x):
        return F.conv2d(x, self.weight * self.scale, self.bias, 1, 2)


@pytest.mark.parametrize("model, names", [(FrozenParamMask, ["mask"]), (AttributeMask, ["const0"]),
                                          (MaskedFill, ["mask"]), (Where, ["mask"]), (Scaled, None)])
def test_other_mask_forms_are_named_masks(model, names):
    """H 7: a mask held as a frozen parameter or a plain attribute, and masked_fill / where by a
    buffer, were 'learned queries or embeddings passed through layers'; a trainable scale stays so."""
    from cimsim.workload.trace.computed import counts, kind, summary, why

    (entry,) = _entries(model().eval(), torch.randn(1, 8, 6, 6)).values()
    assert entry.get("buffers") == names
    text = why(counts([entry]))
    if names:
        assert kind(entry) == "masked" and text == "a weight multiplied by a fixed tensor (a mask): fold it in at load"
        assert f"(mask(s) {names[0]})" in summary([entry]) and "learned queries" not in summary([entry])
    else:
        assert kind(entry) == "parameters" and "learned queries" in text


class BNDropout(torch.nn.Module):
    """A masked conv, BatchNorm and dropout, in train mode."""

    def __init__(self):
        super().__init__()
        self.mc, self.bn = MaskedConv2d(8, 8, 5, 1, 2), torch.nn.BatchNorm2d(8)

    def forward(self, x):
        return F.dropout(self.bn(self.mc(x)), 0.5, True)


def test_the_second_forward_leaves_the_model_and_rng_as_one_forward_does():
    """H 8: after the trace, BatchNorm has counted one batch (it counted 2), its running mean is
    one forward's, and the global random state is where one forward (one dropout draw) leaves it."""
    from cimsim.workload.trace import trace

    x = torch.randn(2, 8, 6, 6)
    torch.manual_seed(0)
    ref = BNDropout().train()
    torch.manual_seed(1)
    with torch.no_grad():
        ref(x)
    after_one = torch.get_rng_state()
    torch.manual_seed(0)
    m = BNDropout().train()
    torch.manual_seed(1)
    w = trace(m, (x,), batch=2)
    assert w.metadata["computed_weights"][0]["each_forward"] is True  # the second forward ran
    assert int(m.bn.num_batches_tracked) == 1
    # one forward's statistics (to float rounding: the traced forward's kernels may differ in
    # the last bit); the second forward's update (it had moved them about 2x) is undone
    assert torch.allclose(m.bn.running_mean, ref.bn.running_mean, rtol=1e-5, atol=0)
    assert torch.allclose(m.bn.running_var, ref.bn.running_var, rtol=1e-5, atol=0)
    assert torch.equal(torch.get_rng_state(), after_one)


class Halving(torch.nn.Module):
    """Halves its weight in place on every call (not idempotent, unlike a mask)."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)

    def forward(self, x):
        with torch.no_grad():
            self.lin.weight.mul_(0.5)
        return self.lin(x)


def test_a_rewrite_that_compounds_is_undone():
    """H 8: one traced forward halves the weight once (w / 2); the second forward's halving (it
    left w / 4) is copied back."""
    from cimsim.workload.trace import trace

    torch.manual_seed(0)
    m = Halving().eval()
    w0 = m.lin.weight.detach().clone()
    w = trace(m, (torch.randn(2, 4),), batch=2)
    assert w.metadata["computed_weights"][0]["each_forward"] is True
    assert torch.equal(m.lin.weight.detach(), w0 * 0.5)
