"""A one-hot input the model builds (``F.one_hot(tok, C).float()``, a scatter of 1 into zeros,
``x[i, tok] = 1``, a row lookup of ``torch.eye`` or of an identity buffer) holds only 0 and 1:
the conv reading it is tagged ``input_value_bits: 1`` without ``--stats``, and a bit-serial CIM
runs it at one input slice (find-G 2); one_hot's own range check (its min / max read) is no
control-flow note. A traced dilated convolution states its receptive field and the share of
its MACs on padding, with the tcn generator's words (find-G 3)."""

from __future__ import annotations

import copy

import pytest
from conftest import ROUND_CIM, ROUND_LINK, make_arch

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn, F = torch.nn, torch.nn.functional
L = 64


class OneHot(nn.Module):
    def __init__(self, form):
        super().__init__()
        self.form = form
        self.conv = nn.Conv1d(4, 32, 15, padding=7)
        self.register_buffer("eye", torch.eye(4))

    def forward(self, tok):
        f = self.form
        if f == "one_hot":
            x = F.one_hot(tok, 4).float()
        elif f == "scatter":
            x = torch.zeros(1, L, 4).scatter_(2, tok[..., None], 1.0)
        elif f == "index_put":
            x = torch.zeros(1, L, 4)
            x[0, torch.arange(L), tok[0]] = 1.0
        elif f == "eye":
            x = torch.eye(4)[tok]
        elif f == "embedding":
            x = F.embedding(tok, torch.eye(4))
        elif f == "buffer":
            x = self.eye[tok]
        elif f == "masked_fill":
            x = torch.zeros(1, L, 4).masked_fill(tok[..., None] == torch.arange(4), 1.0)
        elif f == "where_int":  # an integer 0/1, then its float cast
            x = torch.where(tok[..., None] == torch.arange(4), 1, 0).float()
        elif f == "scatter_add":  # accumulates: not 0/1
            x = torch.zeros(1, L, 4).scatter_add(2, tok[..., None], torch.ones(1, L, 1))
        else:  # "twos": a scatter of 2.0, not 0/1
            x = torch.zeros(1, L, 4).scatter_(2, tok[..., None], 2.0)
        return self.conv(x.transpose(1, 2))


def _adc_dac(w):
    from cimsim.cost.table import compute_costs, energy_parts
    from cimsim.mapping.placement import place

    arch = make_arch(name="round-cim", cim=copy.deepcopy(ROUND_CIM), interconnect=dict(ROUND_LINK))
    costs = compute_costs(place(w, arch), arch, w.arrays)
    parts = energy_parts(arch)
    return tuple(float(costs.energy[:, parts.index(p)].sum()) for p in ("cim_adc", "cim_dac"))


@pytest.mark.parametrize("form", ["one_hot", "scatter", "index_put", "eye", "embedding", "buffer", "twos"])
def test_a_one_hot_built_in_the_model_runs_at_one_input_slice(form):
    """Conv1d(4, 32, 15) over L = 64 positions on ROUND_CIM (128 x 128 arrays, 8-bit weights
    in 2-bit cells: 32 x 4 = 128 columns; 4 x 15 = 60 rows; 8-bit inputs, 1-bit DACs): a
    one-hot input is 1 slice, 64 x 128 conversions x 2 pJ = 16.384 nJ of ADC and 64 x 60 x
    0.5 pJ = 1.92 nJ of DAC; a 0/2 input 8 slices, 8x both (was 8x for every form)."""
    from cimsim import trace
    from cimsim.workload.trace.control import note

    torch.manual_seed(0)
    w = trace(OneHot(form).eval(), (torch.randint(0, 4, (1, L)),))
    slices = 8 if form == "twos" else 1
    adc, dac = _adc_dac(w)
    assert adc == pytest.approx(slices * L * 128 * 2e-12, rel=1e-12, abs=0)
    assert dac == pytest.approx(slices * L * 60 * 0.5e-12, rel=1e-12, abs=0)
    assert note(w.metadata) == []  # one_hot's min / max check decides nothing


@pytest.mark.parametrize("form", ["one_hot", "scatter", "eye", "buffer", "masked_fill", "where_int",
                                  "scatter_add", "twos"])
def test_the_onnx_import_tags_the_one_hots_the_trace_tags(form, tmp_path):
    """Exported with torch.onnx.export: ``OneHot`` and ``ScatterElements`` are mapped (the first
    two were refused: no cimsim mapping), a ``Gather`` of the 0/1 eye, a ``Where`` into a zeros
    constant and an integer ``Where`` then ``Cast`` are tagged (they were not): the import tags
    exactly what the trace does (review 20 B 2)."""
    from cimsim import trace, trace_onnx

    torch.manual_seed(0)
    m, tok = OneHot(form).eval(), torch.randint(0, 4, (1, L))
    path = tmp_path / "oh.onnx"
    torch.onnx.export(m, (tok,), str(path), dynamo=False)

    def tags(w):
        return [op.tags.get("input_value_bits") for op in w.ops if op.kind == "matmul"]

    got = tags(trace_onnx(str(path)))
    assert got == tags(trace(m, (tok,))) == [None if form in ("scatter_add", "twos") else 1]
