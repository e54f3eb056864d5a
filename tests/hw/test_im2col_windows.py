"""A device that builds a convolution's windows from its raw input (``cim.input_reuse`` on a flat
pool, ``tpu.input_reuse``) reads that input from memory: no host forms the im2col matrix
(placement rule 4a, :func:`cimsim.hw.im2col.windows_built`; find-D 1)."""

import pytest

from cimsim import simulate
from cimsim.config import load_architecture

pytestmark = pytest.mark.torch


def _run(config: str, sets: dict, model, x, dtype: str):
    """A traced one-convolution model on ``config``: (traffic by resource, op table, notes)."""
    import torch

    from cimsim.workload.trace import trace

    torch.manual_seed(0)
    wl = trace(model.eval(), (x,), dtype=dtype)
    r = simulate(load_architecture(config, sets), wl, keep_ops=True, engine="analytic")
    return r.traffic_bytes, r.op_table, r.notes


def test_a_flat_cim_with_input_reuse_reads_a_conv3d_input_once_and_forms_no_im2col():
    """Conv3d(4, 8, 3, padding 1) over 1 x 4 x 4 x 8 x 8 fp32 on sram-cim (8-bit inputs):
    input 4·4·8·8 x 4 B = 4,096 B, read once from dram (a model input); window_elems =
    1·4 channels x (4·8) output rows x (3·3) kernel rows x 8 wide = 9,216 inputs at 1 B over the
    link, plus 8·4·8·8 x 4 B = 8,192 B of outputs back; the weights are programmed before the
    run. Before the fix the host wrote the 27 x 4,096 = 110,592 B im2col matrix to sram and
    read the input there (114,688 B of sram) and its copy was an op of its own."""
    from torch import nn

    import torch

    traffic, t, notes = _run("sram-cim", {"cim.input_reuse": True},
                             nn.Conv3d(4, 8, 3, padding=1, bias=False), torch.randn(1, 4, 4, 8, 8),
                             "fp32")
    assert traffic["sram"] == 0 and traffic["dram"] == 4 * 4 * 8 * 8 * 4
    assert traffic["interconnect"] == 1 * 4 * (4 * 8) * (3 * 3) * 8 + 8 * 4 * 8 * 8 * 4
    copy = t[t["unit"] == "processor"].iloc[0]
    assert copy["duration_s"] == 0 and copy["energy_j"] == 0 and copy["sram_bytes"] == 0 and copy["dram_bytes"] == 0
    assert any("cim: 1 convolution(s) build their windows beside the arrays from the raw input "
               "(input_reuse): their im2col matrices (110.6 kB) are never formed" in n
               for n in notes), notes
    # without input reuse the matrix is formed as before: the host writes it, the link carries it
    traffic, t, _ = _run("sram-cim", {}, nn.Conv3d(4, 8, 3, padding=1, bias=False),
                         torch.randn(1, 4, 4, 8, 8), "fp32")
    assert traffic["sram"] == 27 * 4096 + 4096
    assert traffic["interconnect"] == 4 * 8 * 8 * 4 * 27 + 8 * 4 * 8 * 8 * 4  # 4,096 rows x k 108 at 1 B


def test_a_systolic_array_with_input_reuse_reads_a_conv2d_input_once():
    """Conv2d(3, 16, 3, padding 1) over 1 x 3 x 8 x 8 int8 on tpu-like: input 192 B from dram,
    weights 16·27 = 432 B from the weight memory, pcie = 576 (each input once per kernel row:
    3 x 8 x 3 x 8) + 1,024 B of outputs. Before the fix the host's copy wrote the 1,728 B
    im2col matrix to sram (1,920 B of sram with the input read)."""
    from torch import nn

    import torch

    traffic, t, _ = _run("tpu-like", {"tpu.input_reuse": True},
                         nn.Conv2d(3, 16, 3, padding=1, bias=False), torch.randn(1, 3, 8, 8), "int8")
    assert traffic == {"sram": 0, "weights": 432, "dram": 192, "pcie": 576 + 1024}
    assert t[t["unit"] == "processor"]["duration_s"].iloc[0] == 0


class _TwoBranches:
    """``h = sin(exp(softmax(z)))`` on the host beside a Conv3d(4, 8, 3, padding 1) over ``x``, in
    either program order (``first``: "host" or "conv"); the branches share nothing."""

    @staticmethod
    def workload(first: str):
        import torch
        from torch import nn

        from cimsim.workload.trace import trace

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.c = nn.Conv3d(4, 8, 3, padding=1, bias=False)

            def forward(self, x, z):
                if first == "conv":
                    y = self.c(x)
                    h = torch.softmax(z, -1).exp().sin()
                else:
                    h = torch.softmax(z, -1).exp().sin()
                    y = self.c(x)
                return h, y

        torch.manual_seed(0)
        return trace(M().eval(), (torch.randn(1, 4, 4, 8, 8), torch.randn(64, 256)), dtype="fp32")


def test_a_folded_copy_waits_on_no_host_op_so_independent_branches_overlap_in_the_des():
    """Review of find-D 1: the folded copy (no time) still held its place in the host's in-order
    queue, so the conv it feeds waited for every earlier host op: with the host branch first in
    program order the DES gave host chain + conv (2.557 ms against 1.312 ms the other way round
    for the review's I3D layer). Now the copy runs on the conv's server, so in both orders the
    conv starts at 0 and the DES latency is the host chain's (softmax + fused elementwise, each
    alone) plus the one contention the analytic engine leaves out: the conv's 4,096 B input read
    from DRAM beside the softmax's 65,536 B, which delays the softmax by 4,096 B at sram-cim's
    307.2 GB/s x 0.70 sustained (19.05 ns)."""
    arch = load_architecture("sram-cim", {"cim.input_reuse": True})
    shared = 4096 / (307.2e9 * 0.70)
    runs = {}
    for first in ("host", "conv"):
        wl = _TwoBranches.workload(first)
        des = simulate(arch, wl, keep_ops=True, engine="des")
        ana = simulate(arch, wl, keep_ops=False, engine="analytic")
        t = des.op_table.set_index("op")
        host = t.loc["_softmax", "duration_s"] + t.loc["fused", "duration_s"]
        assert t.loc["c.conv", "start_s"] == 0 and t.loc["c.im2col", "end_s"] == 0
        assert t.loc["c.conv", "dram_bytes"] == 4096 and t.loc["_softmax", "dram_bytes"] == 65536
        assert ana.latency_s == pytest.approx(host, rel=1e-12, abs=0)  # the longer branch alone
        assert des.latency_s == pytest.approx(host + shared, rel=1e-9, abs=0)
        runs[first] = des.latency_s
    assert runs["host"] == pytest.approx(runs["conv"], rel=1e-12, abs=0)
    # tpu.input_reuse, the same rule: the two orders and the analytic engine agree (9.114 µs in
    # the DES with the host branch first before the fix, 4.569 µs after)
    tpu = load_architecture("tpu-like", {"tpu.input_reuse": True})
    lat = [simulate(tpu, _TwoBranches.workload(f), keep_ops=False, engine=e).latency_s
           for f in ("host", "conv") for e in ("des", "analytic")]
    assert lat == pytest.approx([lat[1]] * 4, rel=1e-12, abs=0)


def test_the_footprint_leaves_out_the_im2col_matrix_a_folded_copy_never_forms():
    """Review of find-D 1 (D 4): the capacity check counted the matrix the note says is never
    formed (the I3D layer needed 360.1 MB, refused at 100 MB). Conv3d(4, 8, 3, padding 1) over
    1 x 4 x 4 x 8 x 8 fp32: input 4,096 B, output 8·4·8·8 x 4 = 8,192 B, weights 8·4·27 x 4 =
    3,456 B; with input reuse the input is live through the conv beside its output: 12,288 B of
    activations, 15,744 B in all, which a 16 kB DRAM holds (beside a 4 kB SRAM). Without it the conv's 110,592 B
    matrix and its output are live together (118,784 B) and 16 kB is refused in one line."""
    import torch
    from torch import nn

    from cimsim.errors import MappingError
    from cimsim.workload.trace import trace

    torch.manual_seed(0)
    wl = trace(nn.Conv3d(4, 8, 3, padding=1, bias=False).eval(), (torch.randn(1, 4, 4, 8, 8),),
               dtype="fp32")
    small = {"memory.sram.capacity": "4kB", "memory.dram.capacity": "16kB"}
    r = simulate(load_architecture("sram-cim", {"cim.input_reuse": True, **small}), wl, keep_ops=False,
                 engine="analytic")
    assert r.footprint["footprint_activation_bytes"] == 4096 + 8192
    assert r.footprint["footprint_bytes"] == 3456 + 4096 + 8192
    assert r.footprint["backing_headroom_bytes"] == 16000 - (3456 + 4096 + 8192)
    with pytest.raises(MappingError, match=r"needs 122\.24 kB live at once .*activations 118\.784 kB"):
        simulate(load_architecture("sram-cim", small), wl, engine="analytic")


@pytest.mark.parametrize("config,field", [("sram-cim", "cim.input_reuse"),
                                          ("tpu-like", "tpu.input_reuse")])
def test_a_conv_with_input_reuse_reads_back_an_input_the_host_spilled_to_dram(config, field):
    """relu(x) then Conv3d(4, 8, 3, padding 1, no bias) over 1 x 4 x 4 x 8 x 8 fp32, with the
    host's last level cut to 6 kB: the relu's input + output (4,096 + 4,096 B) do not fit it, so
    it reads x from dram and writes y = 4·4·8·8 x 4 B = 4,096 B there (hierarchy rule 2). With
    input reuse the im2col copy is folded and the convolution reads y itself: the host reads it
    back from dram once, 4,096 B (rule 7). Before the fix the folded convolution still read the
    matrix the copy never formed, so its dram read-back was 0 B (find-U 1)."""
    import torch
    from torch import nn

    class ReluConv(nn.Module):
        def __init__(self):
            super().__init__()
            self.c = nn.Conv3d(4, 8, 3, padding=1, bias=False)

        def forward(self, x):
            return self.c(torch.relu(x))

    y = 4 * 4 * 8 * 8 * 4
    traffic, t, _ = _run(config, {field: True, "memory.sram.capacity": "6 kB"}, ReluConv(),
                         torch.randn(1, 4, 4, 8, 8), "fp32")
    by = dict(zip(t["op"], t["dram_bytes"]))
    assert by["relu"] == 2 * y  # read x, write y
    assert by["c.im2col"] == 0  # folded: no matrix formed
    assert by["c.conv"] == y  # y read back once
