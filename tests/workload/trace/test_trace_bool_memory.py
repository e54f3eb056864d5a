"""A matmul against a stored bool memory (an associative memory's ``am.float()``: a Hamming
search as ``|q| + |m| - 2 q . m``) reads a matrix made from a bool buffer, which is an input,
never a weight: it was silent and ran on the host (find-M 2). It is now listed in
``computed_weights`` with the buffer's name and the fix, and the fix (the matrix as a float
buffer) makes it a stationary weight a CIM holds."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn
D, C = 256, 10


class AM(nn.Module):
    def __init__(self, stored):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        am = torch.rand(C, D, generator=g) > 0.5
        self.register_buffer("am", am.float() if stored == "float" else am.to(getattr(torch, stored)))

    def forward(self, q):
        m = self.am if self.am.is_floating_point() else self.am.float()
        return q.sum(-1, keepdim=True) + m.sum(-1) - 2 * q @ m.t()


def _run(stored):
    from cimsim import bundled, load_architecture, simulate, trace

    w = trace(AM(stored).eval(), ((torch.rand(1, D) > 0.5).float(),))
    return w, simulate(load_architecture(bundled.resolve_config("sram-cim")), w)


@pytest.mark.parametrize("stored", ["bool", "uint8", "int8", "int16", "int32", "int64"])
def test_a_bool_memory_is_said_by_name_with_the_fix(stored):
    """Any integer dtype read as ``am.float()`` with no arithmetic is a stored memory (uint8 to
    int32 were told "weight-only quantization": review 20 B 3)."""
    w, r = _run(stored)
    assert w.metadata["computed_weights"] == [{"op": "mm", "operand": "_to_copy", "from": "a bool or integer buffer",
                                               "buffers": ["am"]}]
    note = next(n for n in r.notes if "bool or integer buffer" in n)
    assert "(buffer(s) am)" in note and "register_buffer('am', am.float())" in note
    assert r.ops_per_unit["cim"] == 0  # still the host's: the IR cannot make a cast stationary


def test_the_memory_as_a_float_buffer_is_a_stationary_weight_on_the_cim():
    w, r = _run("float")
    assert "computed_weights" not in w.metadata or not w.metadata["computed_weights"]
    assert r.ops_per_unit["cim"] == 1  # the mm
    assert w.tensors["am"].role == "weight" and w.tensors["am"].shape == (C, D)


def test_a_scaled_integer_buffer_is_still_weight_only_quantization():
    """A uint8 buffer dequantized (``(w.float() - 8) * scale``) stays "packed quantized weights"."""
    from cimsim import trace

    class Q(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("wq", torch.randint(0, 16, (C, D), dtype=torch.uint8))
            self.register_buffer("scale", torch.full((C, 1), 0.01))

        def forward(self, q):
            return q @ ((self.wq.float() - 8) * self.scale).t()

    w = trace(Q().eval(), (torch.rand(1, D),))
    assert [e["from"] for e in w.metadata["computed_weights"]] == ["packed quantized weights"]
