"""Every traced matmul that reads a weight computed each forward (weight_norm, parametrize,
prune) is listed in ``metadata['computed_weights']`` and said (find-V 1), with the call that
undoes what computes it (find-V 2): a weight-normed ConvTranspose1d (every HiFi-GAN / MelGAN
upsampler) ran on the host with no word.

Goldens: counts of the model's matmul modules, MACs by hand beside each assertion."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn


def _trace(model, *inputs):
    from cimsim.workload.trace import trace

    return trace(model.eval(), inputs)


def _wn(old: bool):
    from torch.nn.utils import weight_norm as old_wn
    from torch.nn.utils.parametrizations import weight_norm

    return old_wn if old else weight_norm


@pytest.mark.parametrize("old", [False, True], ids=["parametrizations", "old-hook"])
def test_a_weight_normed_upsampler_is_listed_beside_its_convs(old):
    """Conv1d(8, 8, 3) -> ConvTranspose1d(8, 4, 16, stride 8, padding 4) -> Conv1d(4, 4, 3),
    each weight-normed: three matmuls read a computed weight, all three are listed (2 were)."""
    import warnings

    from cimsim.workload.trace.computed import summary

    f = _wn(old)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # the old API's deprecation
        m = nn.Sequential(f(nn.Conv1d(8, 8, 3, padding=1)), f(nn.ConvTranspose1d(8, 4, 16, 8, padding=4)),
                          f(nn.Conv1d(4, 4, 3, padding=1)))
    w = _trace(m, torch.randn(1, 8, 16))
    mms = [op for op in w.ops if op.kind == "matmul"]
    # 16 in -> (16 - 1) x 8 - 8 + 16 = 128 out; MACs 8·8·3·16 + 8·4·16·16 + 4·4·3·128
    assert sum(op.macs for op in mms) == 8 * 8 * 3 * 16 + 8 * 4 * 16 * 16 + 4 * 4 * 3 * 128
    assert len(mms) == 3 and not any(op.weight for op in mms)
    entries = w.metadata["computed_weights"]
    assert [e["op"] for e in entries] == [op.name for op in mms]
    assert "1.conv_transpose" in [e["op"] for e in entries]
    line = summary(entries)
    assert line.startswith("3 matmul(s) (0.conv, 1.conv_transpose, 2.conv)")
    if old:  # find-V 2: the old hook is undone by remove_weight_norm; prune.remove raises on it
        assert all(e["hook"] == "weight_norm" for e in entries)
        assert "torch.nn.utils.remove_weight_norm(module) before tracing" in line
        assert "prune.remove(module, 'weight') before" not in line
    else:
        assert "torch.nn.utils.parametrize.remove_parametrizations(module, 'weight')" in line


@pytest.mark.parametrize("dim", [2, 3])
def test_transposed_convs_of_every_dimension_are_listed(dim):
    """ConvTranspose2d / 3d (4 -> 4 channels, k 4, stride 2), weight-normed: one listed matmul."""
    ct = (nn.ConvTranspose2d if dim == 2 else nn.ConvTranspose3d)(4, 4, 4, 2, padding=1)
    w = _trace(_wn(False)(ct), torch.randn(1, 4, *([4] * dim)))
    (mm,) = [op for op in w.ops if op.kind == "matmul"]
    # 4^dim input positions x C_in 4 x C_out 4 x 4^dim kernel elements
    assert mm.macs == 4 ** dim * 4 * 4 * 4 ** dim
    assert [e["op"] for e in w.metadata["computed_weights"]] == [mm.name]


def test_bilinear_grouped_conv_einsum_and_bmm_reading_a_computed_weight_are_listed():
    """nn.Bilinear, a grouped Conv1d, an einsum and a bmm, each on a weight_norm weight: 4 listed."""
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.bil = _wn(False)(nn.Bilinear(4, 4, 3))
            self.gc = _wn(False)(nn.Conv1d(4, 4, 3, groups=2))
            self.lin = _wn(False)(nn.Linear(4, 4))

        def forward(self, x):
            y = self.bil(x, x)                                          # 2 x 3
            z = self.gc(x.unsqueeze(-1).expand(2, 4, 5))                # 2 x 4 x 3
            e = torch.einsum("bk,nk->bn", x, self.lin.weight)           # 2 x 4
            b = torch.bmm(x.unsqueeze(0), self.lin.weight.t().unsqueeze(0))  # 1 x 2 x 4
            return y.sum() + z.sum() + e.sum() + b.sum()

    w = _trace(M(), torch.randn(2, 4))
    mms = [op for op in w.ops if op.kind == "matmul"]
    assert len(mms) == 4 and not any(op.weight for op in mms)
    listed = [e["op"] for e in w.metadata["computed_weights"]]
    assert listed == [op.name for op in mms]  # each once, in op order


def test_a_plain_grouped_conv_is_not_called_computed():
    """A grouped conv of a plain parameter is off the CIM for its groups, not a computed weight."""
    w = _trace(nn.Conv1d(4, 4, 3, groups=2), torch.randn(1, 4, 8))
    assert "computed_weights" not in w.metadata


def test_old_weight_norm_advice_works_and_prune_advice_stays_for_pruning():
    """Following the note: remove_weight_norm makes the weights parameters (no entry left), while
    the prune call the note used to give raises on a weight-normed module."""
    import warnings

    from torch.nn.utils import prune, remove_weight_norm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        ct = _wn(True)(nn.ConvTranspose1d(4, 4, 4, 2, padding=1))
    with pytest.raises(ValueError, match="has to be pruned"):
        prune.remove(ct, "weight")
    remove_weight_norm(ct)
    w = _trace(ct, torch.randn(1, 4, 8))
    assert "computed_weights" not in w.metadata
    lin = nn.Linear(4, 4)
    prune.l1_unstructured(lin, "weight", amount=0.5)
    (e,) = _trace(lin, torch.randn(2, 4)).metadata["computed_weights"]
    assert e["hook"] == "prune"
    from cimsim.workload.trace.computed import summary

    assert "torch.nn.utils.prune.remove(module, 'weight') before tracing" in summary([e])


def test_old_spectral_norm_is_told_remove_spectral_norm_not_weight_norm():
    """review 22 E 2: the old spectral_norm (weight_orig, buffers weight_u and weight_v) was
    classed as weight_norm by its weight_v, and remove_weight_norm raises on it. Both of its
    matmuls are listed as spectral_norm; the advised call makes their weights parameters."""
    from torch.nn.utils import prune, remove_spectral_norm, remove_weight_norm, spectral_norm

    from cimsim.workload.trace.computed import counts, summary, which_hook

    torch.manual_seed(0)
    m = nn.Sequential(spectral_norm(nn.Conv1d(8, 16, 3)), nn.ReLU(), spectral_norm(nn.Linear(14, 4)))
    entries = _trace(m, torch.randn(1, 8, 16)).metadata["computed_weights"]
    assert [e["hook"] for e in entries] == ["spectral_norm", "spectral_norm"]  # the conv and the linear
    assert counts(entries)["spectral_norm"] == 2 and counts(entries)["weight_norm"] == 0
    line = summary(entries)
    assert "torch.nn.utils.remove_spectral_norm(module) before tracing" in line
    assert "remove_weight_norm(module) before" not in line and "weight_g" not in line
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        remove_weight_norm(m[0])  # the call the note used to give
    with pytest.raises(ValueError, match="has to be pruned"):
        prune.remove(m[0], "weight")
    for i in (0, 2):
        remove_spectral_norm(m[i])
    assert "computed_weights" not in _trace(m, torch.randn(1, 8, 16)).metadata
    # the names only each hook has: weight_g, weight_orig with weight_u, weight_mask
    assert which_hook({"weight_g", "weight_v"}) == "weight_norm"
    assert which_hook({"weight_orig", "weight_mask"}) == "prune"
    assert which_hook({"weight_orig"}) is None  # unknown: the note names all three calls
    assert "torch.nn.utils.remove_spectral_norm(module)" in summary(
        [{"op": "a", "operand": "w", "from": "parameters", "reparametrized": True}])
