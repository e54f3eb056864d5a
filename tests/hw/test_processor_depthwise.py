"""A depthwise convolution on a host processor is a direct kernel (oneDNN's, cuDNN's or PyTorch's
depthwise kernel): it moves its input, output and weights once, and never forms the im2col
matrix the tracer's copy stands for (:func:`cimsim.hw.im2col.direct_depthwise`). Before, a
7 x 7 depthwise conv of a 96 x 56 x 56 map wrote and read back a 59 MB im2col matrix through
DRAM (565 us on cpu-ddr5 where the MACs take 11.5 us). A convolution with several input
channels a group keeps its im2col copy.

Closed form on conftest's round machine (1 MiB sram at 1 TB/s, 10 GB/s dram with 100 ns of
latency, 4 cores x 8 vector ops a cycle at 1 GHz = 32 G vector ops/s; a depthwise conv's
MACs run on the vector lanes).
"""

from __future__ import annotations

import pytest

from conftest import make_arch

from cimsim.workload import load_workload, save_workload
from cimsim.workload.arrays import op_arrays, op_arrays_reference

C, H, K = 16, 32, 7  # a 16-channel 32 x 32 fp32 map, a 7 x 7 kernel, padding 3 (same size out)
MAP_BYTES = C * H * H * 4  # 65,536 B in, as many out
DW_WEIGHT_BYTES = C * K * K * 4  # 3,136 B: one 7 x 7 filter a channel
DW_MACS = C * H * H * K * K  # 802,816


def _run(groups: int, cin: int = C):
    import torch

    from cimsim import simulate
    from cimsim.workload.trace import trace

    conv = torch.nn.Conv2d(cin, C, K, padding=K // 2, groups=groups, bias=False).eval()
    w = trace(conv, (torch.randn(1, cin, H, H),))
    return w, simulate(make_arch(), w, keep_ops=True)


@pytest.mark.torch
def test_depthwise_conv_moves_its_input_output_and_weights_once():
    w, r = _run(groups=C)
    assert [op.tags.get("depthwise") for op in w.ops] == [None, 1]  # the conv, not its copy
    assert op_arrays(w).depthwise.tolist() == op_arrays_reference(w).depthwise.tolist() == [False, True]
    ops = r.op_table.set_index("op")
    im2col_bytes = C * K * K * H * H * 4  # 3,211,264 B: 3.1x the sram, so it went to dram
    assert im2col_bytes > 1 << 20
    assert ops.loc["im2col", "sram_bytes"] == 0 and ops.loc["im2col", "dram_bytes"] == 0
    # sram: the input, the output and the weights, each once
    assert ops.loc["conv", "sram_bytes"] == 2 * MAP_BYTES + DW_WEIGHT_BYTES == 134_208
    # dram: the model input's first read and the weights (written output stays in sram)
    assert ops.loc["conv", "dram_bytes"] == MAP_BYTES + DW_WEIGHT_BYTES == 68_672
    # time: the MACs on the vector lanes (25.088 us) after the launch's dram latency (100 ns)
    compute = DW_MACS / (4 * 1e9 * 8)
    assert ops.loc["conv", "compute_s"] == pytest.approx(compute, rel=1e-12, abs=0)
    assert r.latency_s == pytest.approx(100e-9 + compute, rel=1e-12, abs=0)
    assert any("1 depthwise convolution(s) (forward or weight gradient) run as direct kernels" in n and "3.211 MB" in n
               for n in r.notes)


@pytest.mark.torch
def test_the_tag_survives_a_saved_workload(tmp_path):
    """``cimsim trace -o`` then ``cimsim run``: the file's reader keeps the tag (its column)."""
    w, r = _run(groups=C)
    save_workload(w, tmp_path / "dw.json")
    back = load_workload(tmp_path / "dw.json")
    assert op_arrays(back).depthwise.tolist() == [False, True]
    from cimsim import simulate

    assert simulate(make_arch(), back).traffic_bytes == r.traffic_bytes == {
        "sram": 2 * MAP_BYTES + DW_WEIGHT_BYTES, "dram": MAP_BYTES + DW_WEIGHT_BYTES}


@pytest.mark.torch
@pytest.mark.parametrize("groups, cin", [(8, C), (1, 1)])
def test_other_convolutions_keep_their_im2col_copy(groups, cin):
    """Grouped with 2 input channels a group, and a 1-channel input of groups = 1 (a grayscale
    image's first conv): no tag, the copy writes the whole im2col matrix, the conv reads it."""
    w, r = _run(groups=groups, cin=cin)
    assert not any("depthwise" in op.tags for op in w.ops)
    ops = r.op_table.set_index("op")
    in_bytes = cin * H * H * 4
    im2col_bytes = cin * K * K * H * H * 4  # each output position's C_in/groups x 49 window
    assert ops.loc["im2col", "sram_bytes"] == in_bytes + im2col_bytes
    assert ops.loc["conv", "sram_bytes"] == im2col_bytes + C * (cin // groups) * K * K * 4 + MAP_BYTES
    assert not any("direct kernels" in n for n in r.notes)


@pytest.mark.torch
def test_the_footprint_holds_no_im2col_matrix():
    """The capacity check counts what the run forms: a depthwise conv's input and output, not
    its im2col matrix (49x the input), which no direct kernel writes. 1,024 maps on a 2 GiB
    dram: 128 MiB in and out, where the matrix alone (3.29 GB) would be refused."""
    import copy

    import torch

    from cimsim import simulate
    from cimsim.workload.trace import trace
    from conftest import ROUND_ARCH

    n = 1024
    conv = torch.nn.Conv2d(C, C, K, padding=K // 2, groups=C, bias=False).to("meta")
    w = trace(conv, (torch.randn(n, C, H, H, device="meta"),))
    memory = copy.deepcopy(ROUND_ARCH["memory"])
    memory["dram"]["capacity"] = "2 GiB"
    im2col_bytes = n * C * K * K * H * H * 4
    assert im2col_bytes == 3_288_334_336 > 2 * 2**30
    assert w.footprint.activations == w.peak_live_activation_bytes == 2 * n * MAP_BYTES == 2**27
    r = simulate(make_arch(memory=memory), w)
    assert r.footprint_activation_bytes == 2**27 and r.footprint_weight_bytes == DW_WEIGHT_BYTES


@pytest.mark.torch
def test_a_training_steps_weight_gradient_is_a_direct_kernel_too():
    """A traced training step of a depthwise conv (its input needs no gradient): dW = im2col(X)^T
    . dY runs as a direct kernel as the forward does: it reads X and dY once and writes dW,
    and its im2col copy moves nothing (before: 2 x 3.21 MB through the copy and 3.21 MB more
    into the product)."""
    import torch

    from cimsim import simulate
    from cimsim.workload.trace import trace

    class Step(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.c = torch.nn.Conv2d(C, C, K, padding=K // 2, groups=C, bias=False)

        def forward(self, x):
            with torch.enable_grad():
                loss = self.c(x).square().mean()
                loss.backward()
            return loss

    w = trace(Step(), (torch.randn(1, C, H, H),))
    dw = [op for op in w.ops if op.tags.get("part") == "conv_dw"]
    assert len(dw) == 1 and dw[0].tags["depthwise"] == 1
    r = simulate(make_arch(), w, keep_ops=True)
    ops = r.op_table.set_index("op")
    assert ops.loc["c.im2col#1", "sram_bytes"] == ops.loc["c.im2col#1", "dram_bytes"] == 0
    assert ops.loc["c.conv_dw", "sram_bytes"] == 2 * MAP_BYTES + DW_WEIGHT_BYTES == 134_208
    assert ops.loc["c.conv_dw", "macs"] == DW_MACS
    assert any("2 depthwise convolution(s) (forward or weight gradient)" in n and "6.423 MB" in n
               for n in r.notes)


@pytest.mark.torch
@pytest.mark.parametrize("groups, cin", [(C, C), (8, C), (1, 1)])
def test_a_file_traced_before_the_tag_gets_it_from_its_shapes(groups, cin, tmp_path):
    """review18-6 #5: a file without the tag (traced before it) kept the 3.2 MB im2col cost
    with no word. Its conv matmul's batch is its groups and its im2col copy's input is
    (N, C_in, H, W): groups = C_in > 1, the tracer's rule, derived on load; the same run."""
    w, r = _run(groups=groups, cin=cin)
    old = load_workload(_untagged(w, tmp_path))
    assert not any("depthwise" in op.tags for op in old.ops)
    want = [False, True] if groups == cin == C else None
    got = op_arrays(old).depthwise, op_arrays_reference(old).depthwise
    assert [None if d is None else d.tolist() for d in got] == [want, want]
    from cimsim import simulate

    assert simulate(make_arch(), old).traffic_bytes == r.traffic_bytes


@pytest.mark.torch
def test_a_training_step_traced_before_the_tag_derives_it_for_the_forward_and_dw(tmp_path):
    """The derived tags of a depthwise training step (forward conv and dW, not the col2im dX)
    are the tracer's own."""
    import torch

    from cimsim.workload.trace import trace

    class Step(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Conv2d(C, C, K, padding=K // 2, groups=C, bias=False)
            self.c = torch.nn.Conv2d(C, C, K, padding=K // 2, groups=C, bias=False)

        def forward(self, x):
            with torch.enable_grad():
                self.c(self.a(x)).square().mean().backward()
            return x

    w = trace(Step(), (torch.randn(1, C, H, H),))
    tagged = [bool(op.tags.get("depthwise")) for op in w.ops]
    assert sum(tagged) == 4  # two forwards, two weight gradients
    w = load_workload(_untagged(w, tmp_path))
    assert op_arrays(w).depthwise.tolist() == op_arrays_reference(w).depthwise.tolist() == tagged


def _untagged(w, tmp_path):
    """``w`` saved as a file the tracer wrote before the tag: no op tagged depthwise."""
    import json

    p = tmp_path / "old.json"
    save_workload(w, p)
    d = json.loads(p.read_text())
    for op in d["ops"]:
        op.get("tags", {}).pop("depthwise", None)
    p.write_text(json.dumps(d))
    return p
