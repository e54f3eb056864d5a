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
