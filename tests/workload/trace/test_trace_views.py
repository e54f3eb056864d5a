"""Views whose element size differs from their storage's (issue: the tracer crashed with an
IndexError in ``atomize`` on ``torch.view_as_complex`` / ``view_as_real`` and on
``Tensor.view(dtype)`` of another size: storage offsets were counted in the accessing tensor's
elements, so two views of one storage disagreed on what an offset meant).

A storage is counted in the units of the tensor that made it; a wider view covers ``k`` units per
element, a narrower one the unit holding it. Goldens are hand arithmetic beside each assertion.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import cimsim
from test_trace_op_costs import _Fn  # a module running a function

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn

CONFIGS = Path(__file__).resolve().parents[3] / "src" / "cimsim" / "data" / "configs"


def _trace(model, *inputs):
    from cimsim.workload.trace import trace

    return trace(model.eval(), inputs)


def _row(w, name):
    a, i = w.arrays, [op.name for op in w.ops].index(name)
    return {"macs": a.macs[i], "vec": a.vector_ops[i], "in": a.act_in_bytes[i], "out": a.act_out_bytes[i],
            "w": a.weight_bytes[i]}


class _Rope(nn.Module):
    """Meta's LLaMA rotary embedding on a Linear's output (8 tokens x 64 features)."""

    def __init__(self, bias=True):
        super().__init__()
        torch.manual_seed(0)
        self.l = nn.Linear(64, 64, bias=bias)
        self.freqs = torch.polar(torch.ones(8, 32), torch.randn(8, 32))  # complex64

    def forward(self, x):
        h = self.l(x)
        hc = torch.view_as_complex(h.float().reshape(*h.shape[:-1], -1, 2))
        return torch.view_as_real(hc * self.freqs).flatten(-2).sum()


def test_rope_traces_with_its_macs_real_ops_and_bytes():
    w = _trace(_Rope(bias=False), torch.randn(8, 64))
    assert [op.name for op in w.ops] == ["l.mm", "mul", "sum"]
    # the Linear: 8 x 64 x 64 MACs, reading 8 x 64 x 4 B and a 64 x 64 x 4 B weight
    assert _row(w, "l.mm") == {"macs": 8 * 64 * 64, "vec": 0, "in": 8 * 64 * 4, "out": 8 * 64 * 4,
                               "w": 64 * 64 * 4}
    # the complex multiply: 6 real ops per complex element; it reads the Linear's output as
    # 8 x 32 complex64 (= its 8 x 64 fp32: 2,048 B) and the freqs (8 x 32 x 8 B)
    assert _row(w, "mul") == {"macs": 0, "vec": 8 * 32 * 6, "in": 8 * 32 * 8 + 8 * 32 * 8,
                              "out": 8 * 32 * 8, "w": 0}
    # the sum reads the product through its float view: 8 x 64 floats, one add each, 2,048 B
    assert _row(w, "sum") == {"macs": 0, "vec": 8 * 64, "in": 8 * 64 * 4, "out": 4, "w": 0}
    assert w.tensors["mul"].dtype == "complex64"


def test_rope_with_a_bias_runs_on_a_host_and_a_gpu():
    w = _trace(_Rope(), torch.randn(8, 64))
    assert sum(w.arrays.macs) == 8 * 64 * 64
    # the bias add (8 x 64) fuses with the complex multiply (8 x 32 x 6) and the sum adds 8 x 64
    assert sum(w.arrays.vector_ops) == 8 * 64 + 8 * 32 * 6 + 8 * 64
    for config in ("cpu-ddr5", "gpu-hbm3"):
        arch = cimsim.load_architecture(str(CONFIGS / f"{config}.yaml"))
        for engine in ("des", "analytic"):
            assert cimsim.simulate(arch, w, engine=engine).latency_s > 0, (config, engine)


def test_the_rope_file_traces_from_the_cli(tmp_path):
    from click.testing import CliRunner

    from cimsim.cli import main

    src = tmp_path / "rope.py"
    src.write_text("import torch\n"
                   "class Rope(torch.nn.Module):\n"
                   "    def __init__(self):\n"
                   "        super().__init__()\n"
                   "        self.l = torch.nn.Linear(64, 64)\n"
                   "        self.freqs = torch.polar(torch.ones(8, 32), torch.randn(8, 32))\n"
                   "    def forward(self, x):\n"
                   "        h = self.l(x)\n"
                   "        hc = torch.view_as_complex(h.float().reshape(*h.shape[:-1], -1, 2))\n"
                   "        return torch.view_as_real(hc * self.freqs).flatten(-2).sum()\n"
                   "def factory():\n"
                   "    return Rope(), (torch.randn(8, 64),)\n")
    r = CliRunner().invoke(main, ["trace", f"{src}:factory", "-o", str(tmp_path / "rope.json")])
    assert r.exit_code == 0 and "Traceback" not in r.output, r.output
    assert "32,768 MACs" in r.output


def test_view_as_a_smaller_dtype():
    def fn(x):  # x: 8 x 64 fp32, 2,048 B
        whole = x.view(torch.uint8) ^ 1  # every byte: 8 x 256 uint8
        part = x.view(torch.uint8)[:, :128] ^ 1  # the first 32 floats of each row
        odd = x.view(torch.uint8)[:, 1:3] ^ 1  # bytes 1 and 2 of float 0 of each row
        return whole.view(torch.float32).sum(), part, odd

    w = _trace(_Fn(fn), torch.randn(8, 64))
    # the whole uint8 view reads all of x once (2,048 B) and does one op per byte
    assert _row(w, "bitwise_xor") == {"macs": 0, "vec": 8 * 256, "in": 8 * 64 * 4, "out": 8 * 256, "w": 0}
    # 128 bytes of a row are its first 32 floats: 8 x 32 x 4 B read, 8 x 128 ops and bytes out
    assert _row(w, "bitwise_xor#1") == {"macs": 0, "vec": 8 * 128, "in": 8 * 32 * 4, "out": 8 * 128,
                                        "w": 0}
    # bytes 1-2 lie in float 0 of each row: the unit holding them is read, 8 x 4 B
    assert _row(w, "bitwise_xor#2") == {"macs": 0, "vec": 8 * 2, "in": 8 * 4, "out": 8 * 2, "w": 0}
    # the sum reads the uint8 result through a float32 view (4 bytes a float): 512 adds, 2,048 B
    assert _row(w, "sum") == {"macs": 0, "vec": 8 * 64, "in": 8 * 256, "out": 4, "w": 0}


def test_view_as_a_larger_dtype():
    def fn(x):  # x: 8 x 64 fp16, 1,024 B: a pair of halves is one int32
        whole = x.view(torch.int32) ^ 1  # 8 x 32 int32
        part = x.view(torch.int32)[:, :8] ^ 1  # 8 x 8 int32: the first 16 halves of each row
        return whole, part

    w = _trace(_Fn(fn), torch.randn(8, 64).half())
    assert w.tensors["x"].dtype == "fp16" and w.tensors["bitwise_xor"].dtype == "int32"
    assert _row(w, "bitwise_xor") == {"macs": 0, "vec": 8 * 32, "in": 8 * 64 * 2, "out": 8 * 32 * 4, "w": 0}
    assert _row(w, "bitwise_xor#1") == {"macs": 0, "vec": 8 * 8, "in": 8 * 16 * 2, "out": 8 * 8 * 4, "w": 0}


def test_in_place_writes_through_a_view_of_another_size():
    def fn(x):
        z = torch.view_as_complex((x * 2).reshape(8, 32, 2)) * 1j  # 8 x 32 complex64
        torch.view_as_real(z).mul_(2)  # every float of z: z's 2,048 B
        torch.view_as_real(z)[..., 0].zero_()  # the real parts: each complex read and written
        return z.abs()

    w = _trace(_Fn(fn), torch.randn(8, 64))
    (zero,) = [op for op in w.ops if op.name == "zero"]
    # zeroing half of each complex element keeps its other half: it reads and writes 8 x 32 x 8 B
    assert _row(w, "zero") == {"macs": 0, "vec": 0, "in": 8 * 32 * 8, "out": 8 * 32 * 8, "w": 0}
    # abs reads what zero_ wrote (the whole complex tensor, 2,048 B): 7 real ops per element
    assert _row(w, "abs") == {"macs": 0, "vec": 8 * 32 * 7, "in": 8 * 32 * 8, "out": 8 * 32 * 4, "w": 0}
    assert [op.inputs for op in w.ops if op.name == "abs"] == [zero.outputs]


def test_a_matmul_reads_the_float_view_of_a_complex_product():
    freqs = torch.polar(torch.ones(8, 32), torch.randn(8, 32))

    def fn(q, k):
        qr = torch.view_as_real(torch.view_as_complex(q.reshape(8, 32, 2)) * freqs).flatten(1)
        kr = torch.view_as_real(torch.view_as_complex(k.reshape(8, 32, 2)) * freqs).flatten(1)
        return qr @ kr.transpose(0, 1)  # 8 x 64 x 8 real MACs

    w = _trace(_Fn(fn), torch.randn(8, 64), torch.randn(8, 64))
    (mm,) = [op for op in w.ops if op.kind == "matmul"]
    assert _row(w, mm.name)["macs"] == 8 * 64 * 8
    # each operand is the 8 x 64 fp32 the matmul reads (2,048 B), not 8 x 64 complex64
    assert [(w.tensors[t].dtype, w.tensors[t].nbytes) for t in mm.inputs] == [("fp32", 8 * 64 * 4)] * 2


def test_a_narrower_view_writing_part_of_a_unit_of_a_reshape_copy():
    """review-3 #1: the reshape copy was materialised after the fill that reads the rest of its
    units, so the fill read a version no earlier op produced (a tracer bug)."""
    def fn(x):  # x: 4 x 8 fp32, 128 B
        y = x.clone()
        y.view(torch.uint8)[:, 0] = 0  # byte 0 of float 0 of each row: 4 floats in part
        return y * 2

    w = _trace(_Fn(fn), torch.randn(4, 8))
    assert [op.name for op in w.ops] == ["materialise", "fill", "mul"]
    # the clone becomes a real copy of all of x: 4 x 8 x 4 B in and out
    assert _row(w, "materialise") == {"macs": 0, "vec": 0, "in": 4 * 8 * 4, "out": 4 * 8 * 4, "w": 0}
    # the fill reads and writes the 4 floats holding the bytes it sets: 4 x 4 B
    assert _row(w, "fill") == {"macs": 0, "vec": 0, "in": 4 * 4, "out": 4 * 4, "w": 0}
    # the product reads y whole (28 floats of the copy, 4 of the fill) and writes 4 x 8 floats
    assert _row(w, "mul") == {"macs": 0, "vec": 4 * 8, "in": 4 * 8 * 4, "out": 4 * 8 * 4, "w": 0}


@pytest.mark.parametrize("dtype, view, index, units, unit_bytes", [
    # fp32 4 x 8 as uint8 4 x 32: bytes 0-3 of a row are float 0, one whole float a row
    (torch.float32, torch.uint8, (slice(None), slice(0, 4)), 4, 4),
    # fp16 4 x 8 as int32 4 x 4: int32 0 of a row is halves 0 and 1, two halves a row
    (torch.float16, torch.int32, (slice(None), 0), 4 * 2, 2),
])
def test_a_constant_fill_through_a_view_of_another_size(dtype, view, index, units, unit_bytes):
    """review-3 #2: the constant a fill writes was sized in the view's elements (the uint8
    fill: 4 x 4 floats, 64 B, for 16 B; the int32 fill: 4 halves, 8 B, for 16 B)."""
    def fn(x):  # x: 4 x 8
        y = x * 1
        y.view(view)[index] = 0
        return y * 2

    w = _trace(_Fn(fn), torch.randn(4, 8).to(dtype))
    (const,) = [t for t in w.tensors.values() if t.name.startswith("const")]
    assert (const.shape, const.nbytes) == ((units,), units * unit_bytes) == ((units,), 16)
    # the product (fused with x * 1) reads x (4 x 8 elements) and the constant
    (op,) = w.ops
    assert _row(w, op.name)["in"] == 4 * 8 * unit_bytes + 16
