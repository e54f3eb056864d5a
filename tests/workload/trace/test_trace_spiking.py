"""A spiking network (a LIF MLP unrolled over T steps) traced as snnTorch users write it
(find-N 1, 2, 3): the spike's ``(v > theta).float()`` cast runs on a CIM chip's periphery
beside the compare that made it; ``torch.bernoulli`` (a rate encoder) reads the model input
and counts one compare per element; ``torch.heaviside`` is a compare-and-select.

Goldens are hand arithmetic written beside each assertion, never the tracer's output."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn

from cimsim import load_architecture, simulate  # noqa: E402
from cimsim.workload.trace import trace  # noqa: E402

T, NIN, NH, NOUT, THETA = 4, 16, 8, 4, 1.0


class LIF(nn.Module):
    """v = 0.9 v + W x_t; s = spike(v - theta); v = v - s * theta, two layers, T steps."""

    def __init__(self, spike="float", encode=False):
        super().__init__()
        self.spike, self.encode = spike, encode
        self.fc1, self.fc2 = nn.Linear(NIN, NH, bias=False), nn.Linear(NH, NOUT, bias=False)

    def spk(self, v):
        if self.spike == "float":
            return (v > THETA).float()
        if self.spike == "where":
            return torch.where(v > THETA, 1.0, 0.0)
        return torch.heaviside(v - THETA, torch.zeros(()))

    def forward(self, x):
        v1, v2, cnt = torch.zeros(1, NH), torch.zeros(1, NOUT), torch.zeros(1, NOUT)
        for t in range(T):
            xt = torch.bernoulli(x[t]) if self.encode else x[t]
            v1 = 0.9 * v1 + self.fc1(xt)
            s1 = self.spk(v1)
            v1 = v1 - s1 * THETA
            v2 = 0.9 * v2 + self.fc2(s1)
            s2 = self.spk(v2)
            v2 = v2 - s2 * THETA
            cnt = cnt + s2
        return cnt


def _trace(spike="float", encode=False, train=False):
    torch.manual_seed(0)
    m = LIF(spike, encode).train(train)
    x = torch.rand(T, 1, NIN) if encode else (torch.rand(T, 1, NIN) < 0.2).float()
    return trace(m, (x,), name=f"lif_{spike}")


# per neuron per step: beta*v, +I, compare, s*theta, v - s*theta; + the spike count's add
NEURON_OPS = T * (5 * (NH + NOUT) + NOUT)  # 4 * (5 * 12 + 4) = 256
MACS = T * (NIN * NH + NH * NOUT)  # 4 * (128 + 32) = 640


def test_bernoulli_encoder_reads_the_model_input_and_counts_a_compare_per_element():
    w = _trace(encode=True)
    ops = w.arrays
    assert float(ops.macs.sum()) == MACS
    # the encoder: one compare of a uniform draw with p per input element, 4 * 16 = 64
    assert float(ops.vector_ops.sum()) == NEURON_OPS + T * NIN
    enc = [op for op in w.ops if op.name.startswith("bernoulli")]
    assert [op.inputs for op in enc] == [(f"x[{t}]",) for t in range(T)]
    assert [(op.kind, op.fn) for op in enc] == [("elementwise", "where")] * T
    # the model input is read: T tensors of 16 fp32 = 64 B each (no constant stands in for it)
    xs = [t for n, t in w.tensors.items() if n.startswith("x[")]
    assert sum(t.nbytes for t in xs) == T * NIN * 4
    fc1 = [op for op in w.ops if op.kind == "matmul" and "fc1.weight" in op.inputs]
    assert [op.inputs[0] for op in fc1][:1] == ["bernoulli"]


def test_bernoulli_encoder_is_not_dropout_in_train_mode():
    assert "train_mode_ops" not in _trace(encode=True, train=True).metadata
    # nn.Dropout's mask (bernoulli_ with a fixed p) still is
    drop = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)).train()
    assert trace(drop, (torch.rand(2, 4),)).metadata["train_mode_ops"] == 1


def test_heaviside_is_a_compare_and_select():
    w = _trace("heaviside")
    # heaviside(v - theta): the subtract and the select per neuron per step, in place of the
    # compare: one op more per neuron per step, 4 * 12 = 48 more than the compare alone
    assert float(w.arrays.vector_ops.sum()) == NEURON_OPS + T * (NH + NOUT)
    assert float(w.arrays.macs.sum()) == MACS


def test_spike_cast_runs_on_the_chip_periphery():
    """neurosim-vgg8 (a CIM chip with periphery, no processor) ran the torch.where spike but
    refused (v > theta).float(): its bool -> fp32 cast was claimed by no component."""
    arch = load_architecture("neurosim-vgg8")
    cast, where = simulate(arch, _trace("float")), simulate(arch, _trace("where"))
    table = cast.op_table
    casts = table[table["op"].str.startswith("_to_copy")]
    assert len(casts) == T * 2 and set(casts["unit"]) == {"cim"}
    # per neuron per step both spend a compare and a select (the cast, or where's select):
    # the same periphery operations, so the same periphery energy
    assert cast.energy_breakdown_j["cim_periphery"] == pytest.approx(
        where.energy_breakdown_j["cim_periphery"], rel=1e-12, abs=0)


def test_recast_column_matches_its_reference():
    from cimsim.workload.arrays import op_arrays, op_arrays_reference

    w = _trace("float")
    fast, ref = op_arrays(w), op_arrays_reference(w)
    # the spike casts, one per layer per step: 4 * 2 = 8
    assert int(fast.recast.sum()) == T * 2 and (fast.recast == ref.recast).all()


def test_a_copy_the_periphery_cannot_run_gets_the_right_advice():
    from cimsim.errors import MappingError

    class Cat(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2 * NIN, NH, bias=False)

        def forward(self, x):
            return (self.fc(torch.cat([x, x], 1)) > THETA).float()

    with pytest.raises(MappingError, match=r"no component runs op 'cat' \(kind copy\).*cim\.chip\."
                                           r"periphery runs vector ops and the dtype casts of "
                                           r"what the chip makes, not the 1 copy op\(s\) left"):
        simulate(load_architecture("neurosim-vgg8"), trace(Cat(), (torch.rand(1, NIN),)))


def test_a_weightless_matmul_the_error_names_gets_the_generic_advice():
    """``q @ q.T`` then ``cat`` on a CIM-only chip: the error names the bmm, which no copy
    sentence explains; it gets the advice to add a processor for what the arrays do not run."""
    from cimsim.errors import MappingError

    class Attn(nn.Module):
        def __init__(self):
            super().__init__()
            self.q = nn.Linear(NH, NH, bias=False)

        def forward(self, x):
            q = self.q(x)
            a = q @ q.transpose(-1, -2)
            return torch.cat([a, a], -1)

    with pytest.raises(MappingError) as e:
        simulate(load_architecture("neurosim-vgg8"), trace(Attn(), (torch.rand(1, 4, NH),)))
    msg = str(e.value)
    assert "no component runs op 'bmm' (kind matmul) nor 1 other(s)" in msg
    assert msg.endswith("add a processor to run what the accelerators do not")
    assert "copy op(s)" not in msg


def test_a_chain_of_casts_of_a_spike_runs_on_the_periphery():
    """``(v > theta).half().float()``: the second cast's input is the first cast, itself a cast
    of the compare the periphery runs; both casts are claimed (was: the second refused, in an
    error calling it no cast of what the chip makes)."""

    class Chain(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(NIN, NH, bias=False), nn.Linear(NH, NOUT, bias=False)

        def forward(self, x):
            return self.b((self.a(x) > 0.1).half().float())

    r = simulate(load_architecture("neurosim-vgg8"), trace(Chain(), (torch.rand(1, NIN),)))
    table = r.op_table
    casts = table[table["op"].str.startswith("_to_copy")]
    assert len(casts) == 2 and set(casts["unit"]) == {"cim"}  # bool -> fp16, fp16 -> fp32


def test_multinomial_reads_its_probabilities():
    """torch.multinomial(probs, 1) (sampling a token from a softmax) was a tensor factory: the
    embedding read a constant and the sampled token lost its dependency on the logits. It is a
    reduction reading the probabilities, one add per probability: 2 rows x 32 = 64 vector ops."""

    class Sample(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc, self.emb = nn.Linear(NIN, 32), nn.Embedding(32, NIN)

        def forward(self, x):
            return self.emb(torch.multinomial(torch.softmax(self.fc(x), -1), 1))

    torch.manual_seed(0)
    w = trace(Sample().eval(), (torch.rand(2, NIN),))
    ops = {op.name: op for op in w.ops}
    mn = ops["multinomial"]
    assert (mn.kind, mn.inputs) == ("reduction", ("_softmax",))
    assert float(w.arrays.vector_ops[list(ops).index("multinomial")]) == 2 * 32
    assert "multinomial" in ops["emb.embedding"].inputs
    assert not any(n.startswith("const") for op in w.ops for n in op.inputs)
