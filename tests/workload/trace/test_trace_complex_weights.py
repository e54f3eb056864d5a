"""A complex layer's weight (tester S's report, find-S #3): the complex-parameter refusal
advises four real matmuls, which keep both real parameters stationary, and a complex weight
packed from real parameters each forward (``torch.complex(wr, wi)``) is named as such, not as
weight_norm / prune.

Goldens are hand arithmetic written beside each assertion, never the tracer's output."""

from __future__ import annotations

import pytest

import cimsim
from cimsim.errors import WorkloadError
from cimsim.workload.trace import trace

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn

B, D = 8, 16


class Packed(nn.Module):  # two real parameters made a complex weight each forward
    def __init__(self):
        super().__init__()
        self.wr = nn.Parameter(torch.randn(D, D))
        self.wi = nn.Parameter(torch.randn(D, D))

    def forward(self, z):
        return z @ torch.complex(self.wr, self.wi).T


class FourReal(Packed):  # the advised form: four real matmuls on the planes
    def forward(self, z):
        zr, zi = z.real, z.imag
        return torch.complex(zr @ self.wr.T - zi @ self.wi.T, zr @ self.wi.T + zi @ self.wr.T)


def test_the_refusal_advises_four_real_matmuls():
    class Native(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.randn(D, D, dtype=torch.cfloat))

        def forward(self, z):
            return z @ self.w.T

    with pytest.raises(WorkloadError, match="four real matmuls on the real and imaginary planes"):
        trace(Native(), (torch.randn(B, D, dtype=torch.cfloat),))


def test_a_packed_complex_weight_is_named_with_torch_complex_not_weight_norm():
    w = trace(Packed(), (torch.randn(B, D, dtype=torch.cfloat),))
    (entry,) = w.metadata["computed_weights"]
    assert entry["from"] == "parameters" and entry["complex"] is True
    res = cimsim.simulate(cimsim.load_architecture("sram-cim"), w, engine="analytic")
    (note,) = [n for n in res.notes if "read as their matrix" in n]
    assert "torch.complex(wr, wi)" in note and "four real matmuls" in note
    assert "weight_norm" not in note and "prune" not in note


def test_the_advised_four_real_matmuls_keep_both_parameters_stationary():
    w = trace(FourReal(), (torch.randn(B, D, dtype=torch.cfloat),))
    assert "computed_weights" not in w.metadata
    mms = [op for op in w.ops if op.kind == "matmul"]
    assert sorted(op.weight for op in mms) == ["wi", "wi", "wr", "wr"]
    # 4 real matmuls of B x D x D: 4 real MACs per complex MAC
    assert sum(op.macs for op in mms) == 4 * B * D * D


def test_a_complex_view_of_a_real_parameter_is_named_as_complex_not_rewritten_in_place():
    """Review 16-1 #2: ``view_as_complex(w)`` of a real (D, D, 2) parameter shares its storage,
    and was read as "a parameter its forward rewrote in place" with the RWKV advice."""
    class Viewed(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.randn(D, D, 2))

        def forward(self, z):
            return z @ torch.view_as_complex(self.w).T

    w = trace(Viewed(), (torch.randn(B, D, dtype=torch.cfloat),))
    (entry,) = w.metadata["computed_weights"]
    assert entry["from"] == "parameters" and entry["complex"] is True
    res = cimsim.simulate(cimsim.load_architecture("sram-cim"), w, engine="analytic")
    (note,) = [n for n in res.notes if "read as their matrix" in n]
    assert "view_as_complex" in note and "rewrote in place" not in note


class Makani(nn.Module):  # makani / Modulus AFNO: a complex activation times view_as_complex(w)
    def __init__(self, k=32, n=16):
        super().__init__()
        self.w = nn.Parameter(torch.randn(k, n, 2))

    def forward(self, x):
        return torch.fft.fft(x, dim=-1) @ torch.view_as_complex(self.w)


def test_a_complex_view_of_a_real_parameter_is_read_at_its_real_bytes_with_no_extra_copy():
    """find-A 1: the real matmul of ``z @ view_as_complex(w)`` read its split planes through
    ``.A.gather`` / ``.B.gather`` copies that wrote them as complex64 at the planes' element
    count (2x their bytes): the matmul read 32,768 + 8,192 B, not 16,384 + 4,096."""
    m, k, n = 64, 32, 16
    w = trace(Makani(k, n), (torch.randn(m, k),))
    assert [op.name for op in w.ops if op.name.endswith(".gather")] == []
    (mm,) = [op for op in w.ops if op.kind == "matmul"]
    a, b = (w.tensors[t] for t in mm.inputs)
    assert a.nbytes == 2 * m * k * 4  # [Ar; Ai]: 4,096 fp32 = 16,384 B
    assert b.nbytes == 2 * k * n * 4 == w.tensors["w"].nbytes  # [Br Bi]: 1,024 fp32 = the weight's 4,096 B
    assert sum(w.tensors[t].nbytes for t in mm.outputs) == 2 * m * 2 * n * 4  # 128 x 32 fp32 = 16,384 B
    assert mm.macs == 4 * m * k * n  # 4 real MACs per complex MAC: 131,072
    # each split copy reads what it packs: z's 2,048 complex64 and the weight's 4,096 B
    split_b = next(op for op in w.ops if op.name.endswith(".B.split"))
    assert [w.tensors[t].nbytes for t in split_b.inputs] == [k * n * 2 * 4]


class Spectral(nn.Module):  # makani-style: an FFT of a real input times a complex-view weight
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(32, 16, 2))

    def forward(self, x):
        return torch.fft.fft(x, dim=-1) @ torch.view_as_complex(self.w)


def test_complex_tensors_kept_under_a_narrow_dtype_are_said(tmp_path):
    # review 21 D 6: torch.fft refuses bf16 on the CPU; --dtype bf16 counts the real tensors at
    # 2 B but the FFT's (64, 32) and the product's (64, 16) stay complex64: 64 x 32 x 8 + 64 x 16
    # x 8 = 24,576 B, and the trace says so (it said nothing); fp32 has nothing to say
    with pytest.raises(RuntimeError):
        torch.fft.fft(torch.randn(64, 32).to(torch.bfloat16), dim=-1)
    w = trace(Spectral().eval(), (torch.randn(64, 32),), batch=1, dtype="bf16")
    assert w.metadata["complex_kept"] == {"dtype": "bf16", "tensors": 2, "bytes": 64 * 32 * 8 + 64 * 16 * 8,
                                          "complex_dtypes": ["complex64"]}
    assert "complex_kept" not in trace(Spectral().eval(), (torch.randn(64, 32),), batch=1).metadata

    from click.testing import CliRunner

    from cimsim.cli import main
    src = tmp_path / "m.py"
    src.write_text("import torch\n"
                   "class M(torch.nn.Module):\n"
                   "    def __init__(self):\n"
                   "        super().__init__(); self.w = torch.nn.Parameter(torch.randn(32, 16, 2))\n"
                   "    def forward(self, x):\n"
                   "        return torch.fft.fft(x, dim=-1) @ torch.view_as_complex(self.w)\n"
                   "def f():\n    return M().eval(), (torch.randn(64, 32),)\n")
    r = CliRunner().invoke(main, ["trace", f"{src}:f", "--batch", "1", "--dtype", "bf16",
                                  "-o", str(tmp_path / "m.json")])
    assert r.exit_code == 0, r.output
    assert ("note: 2 complex tensor(s) (complex64, 24.58 kB) keep their dtype under --dtype bf16: "
            "a complex tensor has no bf16 form") in r.output
