"""``cim.drop_zero_rows`` beyond a flat pool's forward conv (review 22 H 1, H 4, H 6): a chip
block's on-chip input bytes, an all-zero weight matrix, a transposed read and ``--accuracy``.

A masked conv's 5 x 5 'A' mask zeroes 13 of 25 taps: with C_in input channels, 13 C_in of the
25 C_in K rows (in (c, kh, kw) order) are all zero and 12 C_in are live. Goldens are that
arithmetic, written beside each assertion, on real traced torch layers and real runs."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")

import cimsim  # noqa: E402
from cimsim.mapping.placement import place  # noqa: E402


def _masked(cin: int, cout: int) -> torch.nn.Conv2d:
    """A ``Conv2d(cin, cout, 5, padding 2)`` with the 'A' mask folded into its weight at load."""
    torch.manual_seed(0)
    m = torch.nn.Conv2d(cin, cout, 5, 1, 2)
    mask = torch.ones_like(m.weight)
    mask[:, :, 2, 2:] = 0
    mask[:, :, 3:] = 0
    with torch.no_grad():
        m.weight.mul_(mask)
    return m.eval()


def _arch(name: str, **sets):
    return cimsim.load_architecture(name, sets or None)


def _conv_plan(w, arch):
    pl = place(w, arch)
    (plan, ids), = [(p, i) for p, i in zip(pl.plans, pl.idx) if p is not None and "a_in" in p.state]
    (at,) = [j for j, i in enumerate(ids.tolist()) if w.ops[i].name == "conv"]
    return pl, plan.state, at


def test_a_chip_block_reads_the_live_rows_inputs_only_and_is_not_slower():
    """H 1: neurosim-vgg8 (a chip block with chip.input_reuse) sends a conv each input once per
    kernel row, the trace's window_elems: 8 x 8 positions x 32 channels x 5 kernel rows =
    10,240 inputs of 8 bits = 10,240 B. With drop_zero_rows the arrays hold the 12 x 32 = 384
    live of the 800 K rows, so the chip's levels carry 10,240 x 384 / 800 = 4,915.2 B (they
    carried the whole 10,240 B over fewer row tiles, and the run was slower: 148.99 -> 206.95 us
    for the 128 -> 256 context conv); what enters the chip, the raw 32 x 8 x 8 int8 input
    (2,048 B on the im2col copy), is unchanged."""
    w = cimsim.trace(_masked(32, 64), (torch.randn(1, 32, 8, 8),), stats_bits=8)
    (conv,) = [op for op in w.ops if op.name == "conv"]
    assert conv.tags["window_elems"] == 8 * 8 * 32 * 5
    archs = [_arch("neurosim-vgg8", **{"cim.drop_zero_rows": d}) for d in (False, True)]
    _, dense, at = _conv_plan(w, archs[0])
    pl, live, _ = _conv_plan(w, archs[1])
    assert dense["a_in"][at] == pytest.approx(10_240.0, rel=1e-12, abs=0)
    assert live["a_in"][at] == pytest.approx(10_240 * 384 / 800, rel=1e-12, abs=0)
    assert list(live["link_in"]) == list(dense["link_in"]) and live["link_in"][0] == 32 * 8 * 8
    assert int(pl.arrays.k[[i for i, op in enumerate(w.ops) if op.name == "conv"][0]]) == 384
    runs = [cimsim.simulate(arch, w, engine="analytic") for arch in archs]
    assert runs[1].latency_s <= runs[0].latency_s and runs[1].energy_j < runs[0].energy_j


class _Net(torch.nn.Module):
    """The masked 128 -> 256 context conv, then a ControlNet-style zero conv (1 x 1, 256 -> 256,
    weight zero-initialised)."""

    def __init__(self):
        super().__init__()
        self.a = _masked(128, 256)
        self.z = torch.nn.Conv2d(256, 256, 1)
        torch.nn.init.zeros_(self.z.weight)

    def forward(self, x):
        return self.z(self.a(x))


def _notes(res, start):
    return [n for n in res.notes if n.startswith(start)]


def test_an_all_zero_weight_is_kept_whole_and_counted_once():
    """H 4: rram-cim, 128 x 128 arrays, 4 columns a weight (8-bit on 2-bit cells): the 256
    outputs take 8 column tiles. The masked conv: dense ceil(3,200 / 128) = 25 row tiles, 200
    arrays; live ceil(1,536 / 128) = 12, 96 arrays. The zero conv: K = 256, 2 row tiles, 16
    arrays, no live row: kept whole. Dense 216 arrays, 3,456 rows, 1,664 + 256 = 1,920 of them
    zero; with the flag 96 + 16 = 112 arrays (the note said 232 and 3,712 rows, the zero conv's
    K counted twice)."""
    w = cimsim.trace(_Net().eval(), (torch.randn(1, 128, 4, 4),), stats_bits=8)
    dense = cimsim.simulate(_arch("rram-cim"), w, engine="analytic")
    live = cimsim.simulate(_arch("rram-cim", **{"cim.drop_zero_rows": True}), w, engine="analytic")
    assert dense.facts["cim_arrays_needed"] == 200 + 16
    assert live.facts["cim_arrays_needed"] == 96 + 16
    (fit,) = [n for n in live.notes if "hold only zero weights" in n]
    assert "1,920 of their 3,456 rows (K) are all zero" in fit and "112 arrays instead of 216" in fit
    assert "1 with no live row at all" in fit and "kept whole" in fit
    (said,) = _notes(live, "cim.drop_zero_rows:")
    assert said.startswith("cim.drop_zero_rows: 1 matmul(s) mapped on their live rows only")
    assert "1 with no live row at all" in said
    (fit_off,) = [n for n in dense.notes if "hold only zero weights" in n]
    assert "the live rows alone would take 112 arrays" in fit_off


def test_a_zero_conv_alone_is_not_said_to_have_no_zero_rows():
    """H 4: the zero conv alone, 256 of its 256 rows zero: 16 arrays either way, and the flag's
    note says it is kept whole (it said 'no matmul ... has all-zero weight rows measured' beside
    a fit note of 256 of 512 rows and 32 arrays)."""
    z = torch.nn.Conv2d(256, 256, 1)
    torch.nn.init.zeros_(z.weight)
    w = cimsim.trace(z.eval(), (torch.randn(1, 256, 2, 2),), stats_bits=8)
    res = cimsim.simulate(_arch("rram-cim", **{"cim.drop_zero_rows": True}), w, engine="analytic")
    assert res.facts["cim_arrays_needed"] == 2 * 8
    (said,) = _notes(res, "cim.drop_zero_rows:")
    assert "no matmul it runs has all-zero weight rows measured" not in said and "kept whole" in said
    (fit,) = [n for n in res.notes if "hold only zero weights" in n]
    assert "256 of their 256 rows (K)" in fit and "16 arrays instead of 16" in fit


class _Step(torch.nn.Module):
    """A training step through a masked 32 -> 32 conv (lr 0: the weight stays masked)."""

    def __init__(self):
        super().__init__()
        self.c0 = torch.nn.Conv2d(32, 32, 1)
        self.a = _masked(32, 32)
        self.opt = torch.optim.SGD(self.parameters(), lr=0.0)

    def forward(self, x):
        with torch.enable_grad():
            self.opt.zero_grad()
            loss = self.a(self.c0(x)).pow(2).mean()
            loss.backward()
            self.opt.step()
        return loss.detach()


def test_a_transposed_read_reads_the_held_live_rows():
    """H 6: with cim.transposed_read the dX = dY W^T of the masked conv reads the held matrix
    transposed, so it makes the 12 x 32 = 384 live of its 800 outputs (it kept all 800, and
    its dense cost, while the held matrix shrank)."""
    w = cimsim.trace(_Step(), (torch.randn(1, 32, 8, 8),), stats_bits=8)
    (dx,) = [i for i, op in enumerate(w.ops) if op.name == "a.conv_dx"]
    assert w.arrays.n[dx] == 800
    sets = {"cim.transposed_read": True}
    dense = place(w, _arch("rram-cim", **sets))
    live = place(w, _arch("rram-cim", **sets, **{"cim.drop_zero_rows": True}))
    assert dense.arrays.n[dx] == 800 and live.arrays.n[dx] == 384
    (said,) = [n for n in live.notes if n.startswith("cim.drop_zero_rows:")]
    assert said.startswith("cim.drop_zero_rows: 2 matmul(s)")  # the forward conv and its dX
    # without transposed_read the dX has a copy of its own, rows C_out: nothing of it narrows
    assert place(w, _arch("rram-cim", **{"cim.drop_zero_rows": True})).arrays.n[dx] == 800


def test_accuracy_emulates_the_live_rows_the_cost_run_maps():
    """H 6: with drop_zero_rows the emulator programs a stationary weight's live rows alone and
    reads their inputs only: the result is the live matrix's arithmetic exactly (scored on
    the dense mapping before, silently) (at full reads
    the dense mapping's differs: its zero rows take array rows of the same reads), and the
    flag comes from the config."""
    from cimsim.accuracy.arith import Arith
    from cimsim.accuracy.emulator import Emulator, input_mode, program

    cim = _arch("rram-cim", **{"cim.drop_zero_rows": True}).components["cim"]
    a = Arith.from_cim(cim)
    assert a.drop_zero_rows and not Arith.from_cim(_arch("rram-cim").components["cim"]).drop_zero_rows
    torch.manual_seed(0)
    wt = _masked(32, 16).weight.detach().reshape(16, -1).t().contiguous()  # K 800 x N 16
    live = (wt != 0).any(dim=1)
    assert int(live.sum()) == 12 * 32
    x = torch.randn(4, 800)
    emu = Emulator(a, shortcut=False)
    got = emu.matmul(x, program(wt, a, stationary=True))
    # the host quantises each input row whole (its scale from all 800 inputs), as before
    want = emu.matmul(x[:, live], program(wt[live], a), amax=x.abs().amax(dim=1, keepdim=True),
                      mode=input_mode(x, a))
    assert torch.equal(got, want)
    dense = emu.matmul(x, program(wt, a.with_(drop_zero_rows=False), stationary=True))
    assert not torch.equal(dense, want)
    # an activation operand (claim "all") is never narrowed: the cost run drops weights' rows only
    assert program(wt, a).live is None
