"""Which tensor a traced matmul keeps stationary, and what counts as a weight (testers' reports,
2026-12: a GEMV of two parameters, buffers, weights computed from parameters each forward).

Goldens are hand arithmetic written beside each assertion, never the tracer's output."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")


def _trace(model, *inputs, **kw):
    from cimsim.workload.trace import trace

    return trace(model.eval(), inputs, **kw)


def test_a_gemv_of_two_parameters_keeps_the_matrix_stationary():
    """``self.W @ self.v`` (W 32 x 16, v 16) took the vector v as the stationary weight."""
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.W = torch.nn.Parameter(torch.randn(32, 16))
            self.v = torch.nn.Parameter(torch.randn(16))

        def forward(self, x):
            return self.W @ self.v + x

    w = _trace(M(), torch.randn(32))
    (mm,) = [op for op in w.ops if op.kind == "matmul"]
    # out^T = v^T W^T: one row (m = 1) of k = 16 against the 16 x 32 matrix W: 512 MACs
    assert (mm.weight, mm.m, mm.k, mm.n, mm.macs) == ("W", 1, 16, 32, 32 * 16)
    assert w.arrays.stationary[0] == list(w.tensors).index("W")


@pytest.mark.parametrize("bad", [[1], (("x", 1),), {1: 2}])
def test_example_kwargs_that_are_not_a_dict_by_name_are_one_line(bad):
    """``example_kwargs=[1]`` raised a raw AttributeError ('list' object has no attribute 'items')."""
    from cimsim.errors import WorkloadError

    with pytest.raises(WorkloadError, match=r"^trace\(\): example_kwargs must be a dict of "
                                            r"forward's keyword inputs by name .*, not "):
        _trace(torch.nn.Linear(4, 2), torch.randn(1, 4), example_kwargs=bad)


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_floating_buffers_are_weights_integer_buffers_inputs_as_the_readme_says(mode):
    """The README said buffers are `input` tensors while BatchNorm's running statistics traced
    as weights: floating buffers are weights (constants stored with the model, read each
    forward), integer ones (``num_batches_tracked``) inputs; the README now says so."""
    from pathlib import Path

    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.BatchNorm1d(32))
    getattr(m, mode)()
    from cimsim.workload.trace import trace

    w = trace(m, (torch.randn(8, 16),))
    roles = {n: t.role for n, t in w.tensors.items() if n.startswith("1.") and "native" not in n
             and n != "1.add"}
    want = {"1.weight": "weight", "1.bias": "weight", "1.running_mean": "weight",
            "1.running_var": "weight"}
    if mode == "train":  # the counter's increment reads it
        want["1.num_batches_tracked"] = "input"
    assert roles == want
    # Linear (16 x 32 + 32) x 4 B = 2,176; BatchNorm gain, bias, mean, var 4 x 32 x 4 B = 512
    assert w.weight_bytes == 2_176 + 512 == 2_688
    readme = " ".join((Path(__file__).resolve().parents[3] / "README.md").read_text().split())
    assert "and so are floating-point buffers (a BatchNorm's `running_mean` / `running_var`" in readme
    assert "integer and bool buffers (position ids, a causal mask, BatchNorm's " \
           "`num_batches_tracked`; an int8 buffer is a quantized weight, so a `weight`, and so is " \
           "an integer buffer a matmul's matrix is dequantized from" in readme


def test_unknown_ops_reading_packed_weights_say_their_weights_are_not_counted(tmp_path):
    """fp16 dynamic quantization with --allow-unknown: 0 MACs (documented) and weights 0 B
    silently; the packed parameters' weights are not counted either, and the trace and the
    run say so. (int8 packed Linears are unpacked into int8 matmuls: test_trace_quant.py.)"""
    import warnings

    from click.testing import CliRunner

    import cimsim
    from cimsim.cli import main

    f = tmp_path / "q.py"
    f.write_text("import torch\n\ndef factory():\n    torch.manual_seed(0)\n"
                 "    m = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), "
                 "torch.nn.Linear(64, 10)).eval()\n"
                 "    q = torch.ao.quantization.quantize_dynamic(m, {torch.nn.Linear}, dtype=torch.float16)\n"
                 "    return q, (torch.randn(4, 32),)\n")
    out = tmp_path / "q.json"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = CliRunner().invoke(main, ["trace", f"{f}:factory", "-o", str(out), "--allow-unknown"])
    assert res.exit_code == 0, res.output
    line = " ".join(res.output.split())
    assert "weights 0 B" in line  # two fp16 Linears (32 x 64 + 64 x 10, 2 B each) no tensor holds
    assert "2 read packed parameters (e.g. a dynamically quantized Linear's): their weights are " \
           "not counted in the weights either" in line
    w = cimsim.load_workload(out)
    assert [u.get("packed_weights") for u in w.metadata["unknown_ops"]] == [True, True]
    res = cimsim.simulate(cimsim.load_architecture("gpu-hbm3"), w, engine="analytic")
    (note,) = [n for n in res.notes if "no mapping for" in n]
    assert "2 read packed parameters (e.g. a dynamically quantized Linear's), whose weights are " \
           "not counted either" in note


def test_a_matrix_computed_from_parameters_each_forward_is_said_not_stationary(tmp_path):
    """A weight-normed Linear's weight is ``_weight_norm_interface``'s output (an activation):
    its matmul ran on the host without a word; a plain tensor attribute used as a matrix gave
    weights 0 B. Both are listed and said (trace line, run note); attention, fed by the model's
    input, is not."""
    from torch.nn.utils import parametrizations

    import cimsim

    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = parametrizations.weight_norm(torch.nn.Linear(16, 32))
            self.c = torch.randn(32, 8)  # neither parameter nor buffer
            self.q = torch.nn.Linear(8, 8)

        def forward(self, x):
            h = self.a(x) @ self.c
            q = self.q(h)
            return torch.softmax(q @ q.T, -1) @ q  # attention over the input: not listed

    torch.manual_seed(0)
    w = _trace(M(), torch.randn(4, 16))
    assert w.metadata["computed_weights"] == [
        {"op": "a.addmm", "operand": "a.parametrizations.weight.0._weight_norm_interface",
         "from": "parameters", "reparametrized": True},
        {"op": "mm", "operand": "const0", "from": "a constant tensor"}]
    by = {op.name: op for op in w.ops}
    assert by["a.addmm"].weight is None and by["mm"].weight is None and by["q.addmm"].weight
    # a's parameters are read by the norm: g 32 + v 32 x 16 + bias 32 = 576; q 8 x 8 + 8 = 72;
    # (576 + 72) x 4 B = 2,592
    assert w.weight_bytes == (32 + 32 * 16 + 32 + 8 * 8 + 8) * 4 == 2_592
    res = cimsim.simulate(cimsim.load_architecture("sram-cim"), w, engine="analytic")
    (note,) = [n for n in res.notes if "read as their matrix" in n]
    # a parametrized weight_norm: its call is remove_parametrizations (find-A 6), not prune.remove
    assert note.startswith("2 matmul(s) (a.addmm, mm) read as their matrix a weight computed from "
                           "parameters each forward by torch.nn.utils.parametrize (torch.ao."
                           "pruning's sparsifiers, parametrized weight_norm): torch.nn.utils."
                           "parametrize.remove_parametrizations(module, 'weight'), or the "
                           "sparsifier's squash_mask(), before tracing makes it a parameter: "
                           "1 or a constant "
                           "tensor that is no parameter or buffer")
    assert "not stationary" in note
    # one of each: the parametrized matmul is not counted again as a constant (it was: 2)
    assert "(register it as one to make it a weight): 1: not stationary" in note
    w2 = _trace(torch.nn.Sequential(torch.nn.Linear(4, 4)), torch.randn(2, 4))
    assert "computed_weights" not in w2.metadata


def test_a_pruned_layer_is_named_with_its_fix():
    """find-V #6: torch.nn.utils.prune computes weight = weight_orig x weight_mask each forward:
    not stationary, and both count (16 x 8 x 2 + 16 bias = 272 values); the note names pruning
    and prune.remove, after which the weight is a 16 x 8 parameter again (144 values)."""
    from torch.nn.utils import prune

    import cimsim

    torch.manual_seed(0)
    lin = torch.nn.Linear(8, 16)
    prune.l1_unstructured(lin, "weight", amount=0.9)
    w = _trace(torch.nn.Sequential(lin), torch.randn(2, 8))
    assert w.weight_bytes == (16 * 8 * 2 + 16) * 4
    res = cimsim.simulate(cimsim.load_architecture("sram-cim"), w, engine="analytic")
    (note,) = [n for n in res.notes if "read as their matrix" in n]
    assert "torch.nn.utils.prune" in note and "prune.remove(module, 'weight') before tracing" in note
    prune.remove(lin, "weight")
    w2 = _trace(torch.nn.Sequential(lin), torch.randn(2, 8))
    assert "computed_weights" not in w2.metadata and w2.weight_bytes == (16 * 8 + 16) * 4


def test_an_ao_sparsifier_gets_the_parametrize_call_not_prune_remove():
    """find-A 6: torch.ao.pruning's sparsifier masks the weight through torch.nn.utils.parametrize
    (op names ``<m>.parametrizations.weight.0.mul``); the note gave prune.remove, which does not
    apply. It names remove_parametrizations / squash_mask; after squash_mask the weight is a
    16 x 8 parameter again (16 x 8 + 16 bias = 144 values). The mask is a bool buffer, so an
    input, not a weight (README 'Tracing': bool buffers are inputs): 16 x 8 x 2 + 16 = 272 values
    with prune's float mask, 144 here."""
    from torch.ao.pruning import WeightNormSparsifier

    import cimsim

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16))
    sp = WeightNormSparsifier(sparsity_level=1.0, sparse_block_shape=(1, 4), zeros_per_block=2)
    sp.prepare(model, [{"tensor_fqn": "0.weight"}])
    sp.step()
    w = _trace(model, torch.randn(2, 8))
    assert w.weight_bytes == (16 * 8 + 16) * 4
    res = cimsim.simulate(cimsim.load_architecture("sram-cim"), w, engine="analytic")
    (note,) = [n for n in res.notes if "read as their matrix" in n]
    assert "remove_parametrizations(module, 'weight')" in note and "squash_mask()" in note
    assert "prune.remove" not in note
    sp.squash_mask()
    w2 = _trace(model, torch.randn(2, 8))
    assert "computed_weights" not in w2.metadata and w2.weight_bytes == (16 * 8 + 16) * 4


def test_a_parameter_rewritten_in_place_is_named_as_such():
    """find-B 1: a forward that divides a weight in place before using it (transformers' RWKV
    on its first eval forward, once per load) made the matmul's matrix a computed weight named
    after weight_norm / prune; it is named as a parameter rewritten in place, with the fix (run
    the model once before tracing). Once rescaled, the same model's matmul keeps its weight."""
    import cimsim

    class Rescale(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(8, 16, bias=False)
            self.done = False

        def forward(self, x):
            if not self.done:
                with torch.no_grad():
                    self.lin.weight.div_(2)
                self.done = True
            return self.lin(x)

    m = Rescale()
    w = _trace(m, torch.randn(2, 8))
    (entry,) = w.metadata["computed_weights"]
    assert entry["op"] == "lin.mm" and entry["from"] == "a parameter rewritten in place"
    res = cimsim.simulate(cimsim.load_architecture("sram-cim"), w, engine="analytic")
    (note,) = [n for n in res.notes if "read as their matrix" in n]
    assert note.startswith("1 matmul(s) (lin.mm) read as their matrix a parameter its forward "
                           "rewrote in place (a load-time step such as transformers' RWKV")
    assert "run the model once before tracing" in note
    # find-G 1: a second forward (run after the trace) writes nothing: a one-time step, said so
    assert entry["each_forward"] is False and "a second forward did not rewrite it" in note
    w2 = _trace(m, torch.randn(2, 8))  # rescaled already: a plain 16 x 8 weight
    assert "computed_weights" not in w2.metadata and w2.weight_bytes == 16 * 8 * 4


def test_hf_rwkv_is_traced_as_deployed():
    """find-B 1: ``hf:rwkv`` traced transformers' one-time rescale (``_rescale_layers``: the
    output and value matrices of each block divided by 2^(block // rescale_every)) as two
    per-forward divides, and its two matmuls per block as computed weights (no CIM array took
    them). The zoo builds the model as deployed, rescaled: no divide op, no computed weight."""
    pytest.importorskip("transformers")
    from cimsim import zoo

    w = zoo.trace_zoo("hf:rwkv", num_hidden_layers=2, hidden_size=64, vocab_size=100, seq=4)
    assert "computed_weights" not in w.metadata
    assert not [op.name for op in w.ops if op.name.endswith((".div", "rwkv.div"))
                or op.name.startswith("rwkv.div")]
    mm = [op for op in w.ops if op.name.endswith(("attention.output.mm", "feed_forward.value.mm"))]
    assert len(mm) == 4 and all(op.weight for op in mm)


class MaskedAttention(torch.nn.Module):  # a Swin / Pangu shifted-window mask, register_buffer
    def __init__(self, windows=4, t=16, d=8):
        super().__init__()
        self.qkv = torch.nn.Linear(d, 3 * d, bias=False)  # 8 x 24 fp32 = 768 B
        mask = torch.zeros(windows, t, t)
        mask[:, : t // 2, t // 2:] = -100.0
        self.register_buffer("attn_mask", mask)  # 4 x 16 x 16 fp32 = 4,096 B

    def forward(self, x):  # x: (windows, t, d)
        q, k, v = self.qkv(x).chunk(3, -1)
        return ((q @ k.transpose(-1, -2) + self.attn_mask).softmax(-1)) @ v


def test_a_constant_buffer_is_named_as_such_within_the_weights(tmp_path):
    """find-A 5: a shifted-window mask (register_buffer, -100 / 0) counted as 'weights' with the
    parameters, nothing saying so. It stays in weight_bytes (it is held with the model and read
    each forward) and is said apart: metadata['buffer_weights'] and the trace line."""
    w = _trace(MaskedAttention(), torch.randn(4, 16, 8), batch=1)
    assert w.weight_bytes == 8 * 24 * 4 + 4 * 16 * 16 * 4  # 768 + 4,096 = 4,864 B
    assert w.metadata["buffer_weights"] == {"bytes": 4 * 16 * 16 * 4, "names": ["attn_mask"]}
    # a model of parameters only says nothing
    assert "buffer_weights" not in _trace(torch.nn.Linear(8, 8), torch.randn(2, 8), batch=1).metadata

    from click.testing import CliRunner

    from cimsim.cli import main
    src = tmp_path / "m.py"
    src.write_text(  # the same model: a Linear(8, 24) and a 4 x 16 x 16 mask buffer
        "import torch\n"
        "class M(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__(); self.qkv = torch.nn.Linear(8, 24, bias=False)\n"
        "        self.register_buffer('attn_mask', torch.zeros(4, 16, 16), persistent=False)\n"
        "    def forward(self, x):\n"
        "        q, k, v = self.qkv(x).chunk(3, -1)\n"
        "        return ((q @ k.transpose(-1, -2) + self.attn_mask).softmax(-1)) @ v\n"
        "def factory():\n    return M().eval(), (torch.randn(4, 16, 8),)\n")
    r = CliRunner().invoke(main, ["trace", f"{src}:factory", "--batch", "1", "-o", str(tmp_path / "m.json")])
    assert r.exit_code == 0, r.output
    # review 21 D 7: timm Swin registers attn_mask persistent=False: held in memory with the
    # model, not stored with it (not in the state_dict), and the line says so
    assert ("weights 4.864 kB (4.096 kB of it buffers, constant data held in memory with the model: "
            "attn_mask; 1 rebuilt at construction, not in the state_dict (persistent=False): attn_mask)") in r.output
    import json
    meta = json.loads((tmp_path / "m.json").read_text())["metadata"]
    assert meta["buffer_weights"] == {"bytes": 4096, "names": ["attn_mask"], "non_persistent": ["attn_mask"]}
