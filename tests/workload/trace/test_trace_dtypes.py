"""Traced tensors carry their own torch dtype's size (issue: the new-user audit, README
"Found by the new-user audits and not fixed yet").

Golden values are torch's own ``numel() * element_size()`` of the tensors the model returns,
computed here from torch, never from cimsim: an FFT output is complex64 (8 B an element),
argsort / topk indices and embedding ids int64 (8 B), a comparison bool (1 B).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import cimsim
from cimsim.errors import MappingError
from cimsim.workload import load_workload, save_workload
from cimsim.workload.ir import Op, Tensor, Workload

REPO = Path(__file__).resolve().parents[3]
CONFIGS = REPO / "src" / "cimsim" / "data" / "configs"


def _model(torch):
    class Mixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(10, 16)
            self.lin = torch.nn.Linear(16, 16)

        def forward(self, ids):
            pos = torch.arange(ids.shape[0])  # an int64 factory, read by a gather
            h = self.lin(self.emb(ids) + self.emb(pos))
            spec = torch.fft.fft(h)  # complex64
            order = torch.argsort(h, dim=-1)  # int64
            _, top = torch.topk(h, 4, dim=-1)  # int64 indices
            mask = h > 0  # bool
            return spec, order, top, mask

    return Mixed()


def _trace(torch, **kw):
    from cimsim.workload.trace import trace

    torch.manual_seed(0)
    model, ids = _model(torch), torch.tensor([1, 3, 5, 7, 9, 2, 4, 6])
    w = trace(model, (ids,), allow_unknown=True, **kw)  # torch.fft has no mapping: a generic op
    return w, model(ids), ids


def _out(w, name):
    """The tensor ``name``; ``_fft``: the FFT's output (``_fft_r2c`` in torch 2.x)."""
    if name in w.tensors:
        return w.tensors[name]
    (full,) = [n for n in w.tensors if n.startswith(name)]
    return w.tensors[full]


@pytest.mark.torch
def test_traced_tensors_take_torch_element_sizes():
    torch = pytest.importorskip("torch")
    w, (spec, order, top, mask), ids = _trace(torch)
    gold = {t: int(x.numel() * x.element_size()) for t, x in
            (("_fft", spec), ("sort.out1", order), ("topk.out1", top), ("gt", mask), ("ids", ids))}
    assert gold == {"_fft": 8 * 16 * 8, "sort.out1": 8 * 16 * 8, "topk.out1": 8 * 4 * 8,
                    "gt": 8 * 16 * 1, "ids": 8 * 8}  # torch's sizes, as the audit found them
    for prefix, nbytes in gold.items():
        assert _out(w, prefix).nbytes == nbytes, prefix
    assert (_out(w, "_fft").dtype, _out(w, "sort.out1").dtype, _out(w, "gt").dtype) == \
        ("complex64", "int64", "bool")
    # the arange the positions come from is an int64 constant of the workload
    consts = [t for t in w.tensors.values() if t.name.startswith("const")]
    assert [(t.dtype, t.nbytes) for t in consts] == [("int64", 8 * 8)]
    # floating-point tensors keep the workload dtype
    assert _out(w, "sort").dtype == "fp32" and w.tensors["lin.weight"].nbytes == 16 * 16 * 4


@pytest.mark.torch
def test_bytes_moved_follow_the_real_sizes():
    torch = pytest.importorskip("torch")
    w, (spec, order, top, mask), _ = _trace(torch)
    a = w.arrays
    by_name = {op.name: i for i, op in enumerate(w.ops)}
    h = 8 * 16 * 4  # the fp32 hidden state every op reads
    assert a.act_out_bytes[by_name["gt"]] == mask.numel() * mask.element_size()
    assert a.act_out_bytes[by_name["sort"]] == h + order.numel() * order.element_size()
    (fft,) = [i for n, i in by_name.items() if n.startswith("_fft")]
    assert a.act_out_bytes[fft] == spec.numel() * spec.element_size() and a.act_in_bytes[fft] == h
    # MAC-free bool / int64 / complex ops need no MAC rate: a host and a CIM chip run the trace
    for config in ("cpu-ddr5", "sram-cim"):
        arch = cimsim.load_architecture(str(CONFIGS / f"{config}.yaml"))
        for engine in ("des", "analytic"):
            assert cimsim.simulate(arch, w, engine=engine).latency_s > 0


@pytest.mark.torch
def test_a_smaller_workload_dtype_leaves_integer_and_complex_tensors_alone():
    torch = pytest.importorskip("torch")
    w, (spec, order, _, mask), _ = _trace(torch, dtype="fp16")
    assert _out(w, "sort").nbytes == 8 * 16 * 2  # floating point: the workload dtype
    assert _out(w, "sort.out1").nbytes == order.numel() * order.element_size()
    assert _out(w, "gt").nbytes == mask.numel() * mask.element_size()
    assert _out(w, "_fft").nbytes == spec.numel() * spec.element_size()  # complex64 as torch has it


@pytest.mark.torch
def test_a_dtype_conversion_is_a_copy_of_real_sizes():
    """``mask.float()`` reads the bool mask and writes floats: a copy op (a same-dtype reshape
    copy stays free, like a view); the op after it reads the float copy's bytes."""
    torch = pytest.importorskip("torch")
    from cimsim.workload.trace import trace

    class Masked(torch.nn.Module):
        def forward(self, x):
            return (x > 0).float() * x

    x = torch.randn(4, 8)
    mask, as_float = x > 0, (x > 0).float()
    w = trace(Masked(), (x,))
    by_name = {op.name: i for i, op in enumerate(w.ops)}
    a = w.arrays
    conv = by_name["_to_copy"]
    assert w.ops[conv].kind == "copy"
    assert a.act_in_bytes[conv] == mask.numel() * mask.element_size()  # 32 B of bool
    assert a.act_out_bytes[conv] == as_float.numel() * as_float.element_size()  # 128 B of fp32
    assert a.act_in_bytes[by_name["mul"]] == 2 * x.numel() * x.element_size()


NEW = ("fp64", "int64", "int32", "int16", "uint8", "bool", "complex32", "complex64", "complex128")


def _all_dtypes() -> Workload:
    tensors = [Tensor(f"x_{d}", (3, 5), d, "input") for d in NEW]
    tensors += [Tensor(f"y_{d}", (3, 5), d, "activation") for d in NEW]
    ops = [Op(f"cp_{d}", "copy", (f"x_{d}",), (f"y_{d}",)) for d in NEW]
    return Workload("dtypes", tensors, ops)


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_new_dtypes_round_trip_the_workload_file(tmp_path, suffix):
    # element sizes: torch.<dtype>.itemsize (float64 8, int64 8, int32 4, int16 2, uint8 1,
    # bool 1, complex32 4, complex64 8, complex128 16)
    size = {"fp64": 8, "int64": 8, "int32": 4, "int16": 2, "uint8": 1, "bool": 1,
            "complex32": 4, "complex64": 8, "complex128": 16}
    w = _all_dtypes()
    save_workload(w, tmp_path / f"w{suffix}")
    back = load_workload(tmp_path / f"w{suffix}")
    for d in NEW:
        t = back.tensors[f"y_{d}"]
        assert (t.dtype, t.nbytes) == (d, 15 * size[d]), d
    assert back.arrays.act_out_bytes.tolist() == [15 * size[d] for d in NEW]


def test_a_workload_file_written_before_still_reads():
    # written by cimsim 0.4 (fp32 only, the four-dtype vocabulary)
    w = load_workload(REPO / "src" / "cimsim" / "data" / "validation" / "vgg8-cifar10.json")
    assert {t.dtype for t in w.tensors.values()} == {"fp32"}
    assert w.tensors["0.weight"].nbytes == 128 * 3 * 3 * 3 * 4


def test_columns_written_with_the_four_dtype_vocabulary_still_read():
    """An ``.npz`` of 0.4 names four dtypes in its vocabulary; its codes read as before."""
    from cimsim.workload.generators import transformer
    from cimsim.workload.io import workload_from_arrays, workload_to_arrays

    w = transformer(4, d_model=16, heads=2, ffn=32, dtype="fp16")
    meta, arrays = workload_to_arrays(w)
    meta["dtypes"] = ["fp32", "fp16", "bf16", "int8"]  # the 0.4 vocabulary
    back = workload_from_arrays(meta, arrays, "old.npz")
    assert {t.dtype for t in back.tensors.values()} == {"fp16"}
    assert back.arrays.act_out_bytes.tolist() == w.arrays.act_out_bytes.tolist()


@pytest.mark.parametrize("config", ["sram-cim", "rram-cim", "tpu-like", "hbm-pim"])
def test_no_accelerator_claims_an_int64_matmul(config):
    """A CIM array, systolic array or PIM unit claims the fp32 GEMV; the same GEMV in int64 is
    left to the host processor, which has no int64 MAC rate and says so."""
    from cimsim.mapping.placement import place

    from conftest import gemv_workload

    arch = cimsim.load_architecture(str(CONFIGS / f"{config}.yaml"))
    assert place(gemv_workload(64, 64), arch).unit_names.tolist() != ["processor"]
    with pytest.raises(MappingError, match="of dtype 'int64' carry MACs"):
        place(gemv_workload(64, 64, dtype="int64"), arch)


# --------------------------------------------------------------------------- sort family
@pytest.mark.torch
def test_sorts_cost_n_log2_n_comparisons_per_row():
    """``rows x n x ceil(log2 n)`` vector ops along the sorted dimension (a merge sort's
    comparison count, Knuth TAOCP vol. 3 5.2.4); ``topk``: ``rows x n x ceil(log2 k)``."""
    torch = pytest.importorskip("torch")
    from cimsim.workload.trace import trace

    class Sorts(torch.nn.Module):
        def forward(self, x):  # x: 4 x 6 x 10
            a = torch.argsort(x, dim=1)  # 40 rows of 6
            s, _ = torch.sort(x, dim=-1, stable=True, descending=True)  # 24 rows of 10
            m = torch.msort(x)  # dim 0: 60 rows of 4
            _, t = torch.topk(x, 3, dim=-1)  # 24 rows of 10, a heap of 3
            _, t1 = torch.topk(x, 1, dim=1)  # 40 rows of 6, k = 1: one pass
            v, _ = x.mode(dim=-1)  # sorts 24 rows of 10
            return a, s, m, t, t1, v

    w = trace(Sorts(), (torch.randn(4, 6, 10),))
    vec = dict(zip([op.name for op in w.ops], w.arrays.vector_ops.tolist()))
    assert vec == {"sort": 40 * 6 * 3, "sort#1": 24 * 10 * 4, "sort#2": 60 * 4 * 2,
                   "topk": 24 * 10 * 2, "topk#1": 40 * 6 * 1, "mode": 24 * 10 * 4}


# --------------------------------------------------------------------------- mapped_mac_share
def _bessel_factory(tmp_path, linear: bool):
    f = tmp_path / f"odd{int(linear)}.py"
    f.write_text(
        "import torch\n"
        "class M(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        f"        self.lin = torch.nn.Linear(8, 8) if {linear} else None\n"
        "    def forward(self, x):\n"
        "        x = self.lin(x) if self.lin is not None else x\n"
        "        return torch.special.airy_ai(x)\n"
        "def factory():\n"
        "    return M(), torch.randn(2, 8)\n")
    return f


@pytest.mark.torch
def test_mapped_mac_share_of_no_macs_is_not_100_percent(tmp_path):
    """The only op is unknown and has no FLOP formula: 0 MACs counted, so no share (the line
    said 100.0 % of MACs mapped next to 'no FLOP formula')."""
    pytest.importorskip("torch")
    from click.testing import CliRunner

    from cimsim.commands.trace import trace_command

    out = tmp_path / "x.json"
    r = CliRunner().invoke(trace_command, [f"{_bessel_factory(tmp_path, False)}:factory", "-o", str(out),
                                           "--allow-unknown"])
    assert r.exit_code == 0, r.output
    assert "%" not in r.output and "mapped MAC share n/a (no MACs counted)" in r.output
    assert "no FLOP formula" in r.output
    assert load_workload(out).metadata["mapped_mac_share"] is None
    # with a Linear in front, every counted MAC (2 x 8 x 8) is a matmul's: 100 %
    r = CliRunner().invoke(trace_command, [f"{_bessel_factory(tmp_path, True)}:factory", "-o", str(out),
                                           "--allow-unknown"])
    assert r.exit_code == 0 and "100.0% of MACs mapped to specific kinds" in r.output, r.output
    assert load_workload(out).metadata["mapped_mac_share"] == 1.0


def _two_linears(torch, half_first: bool, autocast: bool = False):
    """An fp16 Linear(64, 64) ``a`` and an fp32 one ``b``; ``half_first``: ``a`` is the first
    parameter (the workload dtype was the first parameter's, so the order changed the bytes);
    ``autocast``: both fp32, ``a`` run under ``torch.autocast(bfloat16)``."""
    class Mixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            if half_first:
                self.a = torch.nn.Linear(64, 64)
            self.b = torch.nn.Linear(64, 64)
            if not half_first:
                self.a = torch.nn.Linear(64, 64)
            if not autocast:
                self.a.half()

        def forward(self, x):
            if autocast:
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    y = self.a(x)
                return self.b(y.float())
            return self.b(self.a(x.half()).float())

    torch.manual_seed(0)
    return Mixed().eval()


@pytest.mark.torch
@pytest.mark.parametrize("half_first", [True, False])
def test_a_mixed_precision_model_keeps_each_tensors_dtype(half_first):
    """Mixed precision was flattened to the first parameter's dtype (16,640 B or 33,280 B of
    weights by parameter order) and the casts vanished."""
    torch = pytest.importorskip("torch")
    from cimsim.workload.trace import trace

    w = trace(_two_linears(torch, half_first), (torch.randn(4, 64),))
    # a: (64 x 64 + 64) x 2 B = 8,320; b: (64 x 64 + 64) x 4 B = 16,640; 24,960 in all
    assert w.weight_bytes == 8_320 + 16_640 == 24_960
    assert {n: w.tensors[n].dtype for n in ("a.weight", "a.bias", "b.weight", "b.bias")} == \
        {"a.weight": "fp16", "a.bias": "fp16", "b.weight": "fp32", "b.bias": "fp32"}
    ops = {op.name: op for op in w.ops}
    # x.half() and .float() are copies: 4 x 64 read at 4 B, written at 2 B; and back
    a = w.arrays
    i = [op.name for op in w.ops].index
    assert [op.kind for op in w.ops] == ["copy", "matmul", "elementwise", "copy", "matmul", "elementwise"]
    assert (a.act_in_bytes[i("_to_copy")], a.act_out_bytes[i("_to_copy")]) == (4 * 64 * 4, 4 * 64 * 2)
    assert (a.act_in_bytes[i("_to_copy#1")], a.act_out_bytes[i("_to_copy#1")]) == (4 * 64 * 2, 4 * 64 * 4)
    # each matmul computes in its own dtype (components pick MAC rates per op dtype)
    assert (str(a.dtype[i("a.addmm")]), str(a.dtype[i("b.addmm")])) == ("fp16", "fp32")
    assert ops["a.addmm"].weight == "a.weight" and ops["b.addmm"].weight == "b.weight"


@pytest.mark.torch
def test_autocast_traces_in_its_dtype_with_the_cast_weight_stationary():
    torch = pytest.importorskip("torch")
    from cimsim.workload.trace import trace

    w = trace(_two_linears(torch, True, autocast=True), (torch.randn(4, 64),))
    # autocast casts a's weight and bias to bf16 each forward: the weight at 2 B an element
    # (64 x 64 + 64) x 2 = 8,320, b at fp32 (64 x 64 + 64) x 4 = 16,640
    assert w.weight_bytes == 24_960
    assert w.metadata["weights_cast"] == {"a.bias": "bf16", "a.weight": "bf16"}
    mm = next(op for op in w.ops if op.name == "a.addmm")
    assert mm.weight == "a.weight" and w.tensors["a.weight"].dtype == "bf16"
    assert str(w.arrays.dtype[[op.name for op in w.ops].index("a.addmm")]) == "bf16"


@pytest.mark.torch
def test_a_given_dtype_still_traces_the_model_as_if_it_were_of_that_dtype():
    torch = pytest.importorskip("torch")
    from cimsim.workload.trace import trace

    w = trace(_two_linears(torch, False), (torch.randn(4, 64),), dtype="fp16")
    # both Linears at 2 B: 2 x (64 x 64 + 64) x 2 = 16,640; casts between floats are free
    assert w.weight_bytes == 16_640
    assert {t.dtype for t in w.tensors.values()} == {"fp16"}
    assert [op.kind for op in w.ops] == ["matmul", "elementwise", "matmul", "elementwise"]


@pytest.mark.torch
def test_a_parameter_of_a_dtype_cimsim_does_not_model_is_named():
    torch = pytest.importorskip("torch")
    from cimsim.errors import WorkloadError
    from cimsim.workload.trace import trace

    m = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Linear(4, 4).double())
    with pytest.raises(WorkloadError, match=r"the model's parameter '1.weight' is float64, which "
                                            r"cimsim does not model; trace it as one of"):
        trace(m, (torch.randn(2, 4),))


def test_a_weight_recast_at_every_call_is_one_weight_and_a_bool_cast_a_copy():
    """autocast re-casts a frozen model's weights at every call (its cache keeps only weights
    that require grad): a Linear(64, 64) called 4 times under bf16 autocast was 4 weights,
    33,280 B; it is one, (64 x 64 + 64) x 2 B = 8,320 B. A float buffer read as `.bool()` is a
    copy, as before (a reviewer: it became a second weight)."""
    torch = pytest.importorskip("torch")
    from cimsim.workload.trace import trace

    class Loop(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(64, 64)

        def forward(self, x):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                for _ in range(4):
                    x = torch.tanh(self.a(x))
            return x

    w = trace(Loop().eval().requires_grad_(False), (torch.randn(4, 64),))
    assert w.weight_bytes == (64 * 64 + 64) * 2
    assert {o.weight for o in w.ops if o.kind == "matmul"} == {"a.weight"}

    class Mask(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(16, 16)
            self.register_buffer("keep", torch.ones(4, 16))

        def forward(self, x):
            return self.lin(x).masked_fill(~self.keep.bool(), 0.0)

    m = trace(Mask().eval(), (torch.randn(4, 16),))
    assert m.weight_bytes == (16 * 16 + 16) * 4 + 4 * 16 * 4  # the Linear and the fp32 buffer
    assert "copy" in [o.kind for o in m.ops] and "weights_cast" not in m.metadata
