"""A run says which MACs the CIM arrays did not take (find-E 4): a depthwise convolution has no
stationary weight matrix, so the host runs it; the per-unit MAC figures and a CIM note say so.

Closed form, a depthwise-separable block on a 1 x 4 x 8 x 8 input (padding 1, so 8 x 8 out):
depthwise 3 x 3 = C x kh x kw x Hout x Wout = 4 x 9 x 64 = 2,304 MACs (host), pointwise
4 -> 8 = 64 x 4 x 8 = 2,048 MACs (CIM); the depthwise share 2304 / 4352 = 52.9 %.
"""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from cimsim import simulate  # noqa: E402
from cimsim.report import columns as C  # noqa: E402
from cimsim.workload.trace import trace  # noqa: E402

pytestmark = pytest.mark.torch


class DSBlock(nn.Module):
    def __init__(s):
        super().__init__()
        s.dw = nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False)
        s.pw = nn.Conv2d(4, 8, 1, bias=False)

    def forward(s, x):
        return s.pw(s.dw(x))


def test_depthwise_macs_reported_per_unit_and_in_a_note(cim_arch):
    wl = trace(DSBlock().eval(), (torch.randn(1, 4, 8, 8),), dtype="int8")
    r = simulate(cim_arch, wl)
    dw, pw = 4 * 9 * 8 * 8, 8 * 8 * 4 * 8
    assert r.macs == dw + pw
    assert r.macs_per_unit == {"processor": dw, "cim": pw}
    row = r.record()
    assert (row[C.macs_column("processor")], row[C.macs_column("cim")]) == (dw, pw)
    assert C.macs_column("cim") in C.result_columns(cim_arch)
    assert json.loads(json.dumps(r.to_json()))["macs_per_unit"] == {"processor": dw, "cim": pw}
    note = [n for n in r.notes if "grouped/depthwise" in n]
    assert len(note) == 1, r.notes
    assert "1 grouped/depthwise" in note[0] and "dw.weight" in note[0]
    # review B 7: a depthwise conv user is not told to rewrite it as a vmap ensemble's nn.Linears
    assert "nn.ModuleList" not in note[0] and "stacked" not in note[0]
    assert "2.304 kMAC (52.9 % of the MACs)" in note[0]


def test_no_note_when_every_matmul_has_a_stationary_weight(cim_arch):
    wl = trace(nn.Conv2d(4, 8, 1, bias=False).eval(), (torch.randn(1, 4, 8, 8),), dtype="int8")
    r = simulate(cim_arch, wl)
    assert r.macs_per_unit == {"processor": 0, "cim": 2048}
    assert not [n for n in r.notes if "grouped/depthwise" in n]


def test_run_prints_each_units_own_energy_and_tops_per_watt(cim_arch):
    from cimsim.commands.cim_lines import unit_energy_text
    wl = trace(DSBlock().eval(), (torch.randn(1, 4, 8, 8),), dtype="int8")
    r = simulate(cim_arch, wl)
    e = {u: sum(v for k, v in r.energy_breakdown_j.items() if k.startswith(u + "_")) for u in ("processor", "cim")}
    text = unit_energy_text(r)
    # the CIM's own TOPS/W: 2 x its 2,048 MACs over its dynamic energy (no static, no DRAM)
    assert f"({2 * 2048 / e['cim'] / 1e12:.3g} TOPS/W)" in text.split("; ")[1]
    assert f"({2 * 2304 / e['processor'] / 1e12:.3g} TOPS/W)" in text.split("; ")[0]


class StackedEnsemble(nn.Module):
    """Two members' 4 x 8 weights stacked on a leading dimension, one bmm (a vmap ensemble)."""

    def __init__(s):
        super().__init__()
        s.W = nn.Parameter(torch.randn(2, 4, 8))

    def forward(s, x):
        return torch.bmm(x.expand(2, -1, -1), s.W)


def test_note_said_when_the_arrays_take_no_op_at_all(cim_arch):
    """find-V 3 / find-B 5: every MAC off the arrays (a stacked ensemble's bmm) still gets the
    note, which the CIM's place() alone wrote, and place() runs only for a unit that took ops.
    Closed form: 2 members x 3 rows x 4 x 8 = 192 MACs, all on the host (100.0 %)."""
    wl = trace(StackedEnsemble().eval(), (torch.randn(3, 4),), dtype="int8")
    r = simulate(cim_arch, wl)
    assert r.macs_per_unit == {"processor": 2 * 3 * 4 * 8, "cim": 0}
    note = [n for n in r.notes if "weight stacked on a leading dimension" in n]
    assert len(note) == 1, r.notes
    assert "grouped/depthwise" not in note[0]
    assert "(W: " in note[0] and "192 MAC (100.0 % of the MACs)" in note[0]
    assert "stacked on a leading dimension" in note[0] and "nn.ModuleList" in note[0]


def test_a_grouped_conv3d_is_said_to_be_kept_off_the_arrays_not_to_lack_a_weight(cim_arch):
    """find-D 6: a Conv3d(16, 32, 3, groups 4) has a stationary 108 x 8 matrix per group
    (16/4 · 27 rows, 32/4 columns); the note said it had "no stationary weight matrix". Per-group
    mapping is not modelled: the host runs all 32·8·14·14 outputs x 4·27 = 5,419,008 MACs."""
    wl = trace(nn.Conv3d(16, 32, 3, padding=1, groups=4, bias=False).eval(),
               (torch.randn(1, 16, 8, 14, 14),), dtype="int8")
    r = simulate(cim_arch, wl)
    assert r.macs_per_unit == {"processor": 32 * 8 * 14 * 14 * 4 * 27, "cim": 0}
    note = [n for n in r.notes if "grouped/depthwise" in n]
    assert len(note) == 1 and "no stationary" not in note[0], r.notes
    assert ("1 grouped/depthwise convolution(s) (weight), 5.419 MMAC (100.0 % of the MACs), are kept "
            "off the arrays: each group's (C_in/groups x kernel) x (C_out/groups) weight matrix is "
            "stationary, but mapping one matrix per group onto arrays is not modelled") in note[0]
    assert note[0].endswith("is not modelled; they ran on another component (macs_<unit> says which)")


def test_under_input_reuse_the_grouped_note_says_the_host_still_forms_their_im2col():
    """Review of find-D 6: the shared ending read "... is not modelled and ran on another
    component", and under cim.input_reuse the note did not say that rule 4a does not reach the
    convs it keeps off the arrays. Conv2d(8, 8, 3, padding 1, groups 2) over 1 x 8 x 8 x 8 int8:
    the host writes its 9 x 512 B = 4,608 B im2col matrix (no input-reuse note names it)."""
    from cimsim.config import load_architecture

    wl = trace(nn.Conv2d(8, 8, 3, padding=1, groups=2, bias=False).eval(), (torch.randn(1, 8, 8, 8),),
               dtype="int8")
    r = simulate(load_architecture("sram-cim", {"cim.input_reuse": True}), wl, keep_ops=True,
                 engine="analytic")
    note = [n for n in r.notes if "grouped/depthwise" in n]
    assert len(note) == 1, r.notes
    assert ("is not modelled (input_reuse does not apply to them: the host forms their im2col "
            "matrices, a depthwise one's excepted, which it runs as a direct kernel); they ran on "
            "another component (macs_<unit> says which)") in note[0]
    assert not any("build their windows" in n for n in r.notes)
    copy = r.op_table[r.op_table["kind"] == "copy"].iloc[0]
    assert copy["unit"] == "processor" and copy["sram_bytes"] >= 9 * 8 * 8 * 8  # writes the matrix
