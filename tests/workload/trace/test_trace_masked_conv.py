"""A learned image codec's masked context conv (find-G 1, 3): CompressAI's MaskedConv2d rewrites
its weight in place every forward (``self.weight.data *= self.mask``), codec code more often
reads ``weight * mask``; both are named for what they are, with the fix that works (fold the
mask at load); a one-time rescale (RWKV) keeps its own advice (test_trace_weights).

Goldens are hand arithmetic written beside each assertion, never the tracer's output."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
F = torch.nn.functional


class MaskedConv2d(torch.nn.Conv2d):
    """CompressAI's MaskedConv2d (compressai/layers/layers.py), its forward verbatim: mask 'A'."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.register_buffer("mask", torch.ones_like(self.weight.data))
        _, _, h, w = self.mask.size()
        self.mask[:, :, h // 2, w // 2:] = 0
        self.mask[:, :, h // 2 + 1:] = 0

    def forward(self, x):
        self.weight.data *= self.mask
        return super().forward(x)


class MulMask(MaskedConv2d):
    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, self.stride, self.padding)


def _trace(model, *inputs, **kw):
    from cimsim.workload.trace import trace

    return trace(model.eval(), inputs, **kw)


def _note(w):
    import cimsim

    res = cimsim.simulate(cimsim.load_architecture("sram-cim"), w, engine="analytic")
    (note,) = [n for n in res.notes if "read as their matrix" in n]
    return note


def test_compressai_masked_conv_rewrites_its_weight_every_forward():
    """The old advice ('run the model once before tracing') did nothing for it: warmed up
    first, the trace still had the in-place multiply. Now a second forward is watched: it
    rewrites the weight again, so the note says to fold the mask at load, naming the buffer."""
    torch.manual_seed(0)
    m = MaskedConv2d(8, 16, 5, 1, 2)
    x = torch.randn(1, 8, 6, 6)
    with torch.no_grad():
        m(x)  # run once first, as the old note advised: changes nothing
    w = _trace(m, x)
    (entry,) = w.metadata["computed_weights"]
    assert entry["from"] == "a parameter rewritten in place"
    assert entry["each_forward"] is True and entry["buffers"] == ["mask"]
    note = _note(w)
    assert "rewrites in place on every call" in note and "does not help" in note
    assert "conv.weight.mul_(conv.mask)" in note and "(mask(s) mask)" in note
    assert "run the model once before tracing" not in note


def test_weight_times_mask_is_named_a_masked_weight_not_learned_queries():
    """``F.conv2d(x, weight * mask)`` was described as 'learned queries or embeddings passed
    through layers'; it is a weight multiplied by a fixed tensor (a mask), to fold at load."""
    torch.manual_seed(0)
    w = _trace(MulMask(8, 16, 5, 1, 2), torch.randn(1, 8, 6, 6))
    (entry,) = w.metadata["computed_weights"]
    assert entry["from"] == "parameters" and entry["buffers"] == ["mask"]
    note = _note(w)
    assert "a weight multiplied by a fixed tensor (a mask: a buffer" in note
    assert "conv.weight.mul_(conv.mask)" in note and "learned queries" not in note
    from cimsim.workload.trace.computed import counts, why

    assert why(counts(w.metadata["computed_weights"])) == \
        "a weight multiplied by a fixed tensor (a mask): fold it in at load"


def test_the_mask_folded_at_load_is_a_stationary_weight_on_the_cim():
    """The advice works: masked once at load, forward a plain conv, the conv's 200 x 16
    weight is stationary and its 6 x 6 x 16 x 200 = 115,200 MACs run on the CIM."""
    torch.manual_seed(0)
    m = MaskedConv2d(8, 16, 5, 1, 2)
    with torch.no_grad():
        m.weight.mul_(m.mask)
    m.forward = lambda x: F.conv2d(x, m.weight, m.bias, m.stride, m.padding)
    w = _trace(m, torch.randn(1, 8, 6, 6))
    assert "computed_weights" not in w.metadata
    import cimsim

    res = cimsim.simulate(cimsim.load_architecture("sram-cim"), w, engine="analytic")
    assert res.macs_per_unit["cim"] == 6 * 6 * 16 * (8 * 25)


def _masked_at_load():
    """Minnen's context conv, 128 -> 256 channels, 5 x 5 'A' mask folded at load, on 16 x 16."""
    torch.manual_seed(0)
    m = MaskedConv2d(128, 256, 5, 1, 2)
    with torch.no_grad():
        m.weight.mul_(m.mask)
    m.forward = lambda x: F.conv2d(x, m.weight, m.bias, m.stride, m.padding)
    return _trace(m, torch.randn(1, 128, 16, 16), stats_bits=8)


def _run(w, **overrides):
    import cimsim

    arch = cimsim.load_architecture("rram-cim", overrides or None)
    return cimsim.simulate(arch, w, engine="analytic")


def test_a_masked_conv_zero_rows_are_counted_and_dropped_on_request():
    """find-G 3: the 'A' mask zeroes 13 of 25 taps, 128 x 13 = 1,664 of the 3,200 K rows,
    interleaved in (c, kh, kw) order, so no array is all zero and the note said nothing of them.
    rram-cim: 128 x 128 arrays, 8-bit weights on 2-bit cells (4 columns a weight): the 256
    outputs take ceil(256 x 4 / 128) = 8 column tiles; dense, ceil(3,200 / 128) = 25 row tiles:
    200 arrays; the 1,536 live rows, ceil(1,536 / 128) = 12: 96 arrays."""
    w = _masked_at_load()
    dense = _run(w)
    assert dense.facts["cim_arrays_needed"] == 25 * 8
    (note,) = [n for n in dense.notes if "hold only zero weights" in n]
    assert "0 of 200 arrays" in note
    assert "1,664 of their 3,200 rows (K) are all zero (52.0 %" in note
    assert "the live rows alone would take 96 arrays (cim.drop_zero_rows: true maps them so)" in note
    live = _run(w, **{"cim.drop_zero_rows": True})
    assert live.facts["cim_arrays_needed"] == 12 * 8
    assert live.macs == dense.macs == 16 * 16 * 256 * 3200  # the model's dense MACs, unchanged
    (said,) = [n for n in live.notes if n.startswith("cim.drop_zero_rows:")]
    # 16 x 16 x 256 x 1,536 = 100,663,296 MACs on the arrays of 209,715,200
    assert "100.7 MMAC of their 209.7 MMAC run on the arrays" in said
    assert live.energy_j < dense.energy_j and live.latency_s < dense.latency_s


def test_drop_zero_rows_without_measured_zeros_changes_nothing_and_says_so():
    """Off by default (numbers unchanged); on, a trace without --stats has no measured zero
    rows: the same numbers, and a note saying to trace with --stats."""
    import cimsim

    torch.manual_seed(0)
    w = cimsim.trace(torch.nn.Conv2d(8, 16, 3, padding=1).eval(), (torch.randn(1, 8, 6, 6),))
    a, b = _run(w), _run(w, **{"cim.drop_zero_rows": True})
    assert (a.energy_j, a.latency_s, a.facts["cim_arrays_needed"]) == \
        (b.energy_j, b.latency_s, b.facts["cim_arrays_needed"])
    assert any("no matmul it runs has all-zero weight rows measured" in n and "--stats" in n
               for n in b.notes)


def test_a_codec_quantiser_round_is_named_and_costed_as_round():
    """find-G 5: ``torch.round`` (a learned codec's quantiser) was ``fn: abs``; it is ``round``,
    one vector op an element (as floor / ceil / trunc), and the README's cost table lists the
    torch ops costed as each function (round, floor, clamp, erfc among them)."""
    from cimsim.workload.kinds import ELEMENTWISE_OPS_PER_ELEMENT
    from cimsim.workload.tag_docs import costs_table

    class Q(torch.nn.Module):
        def forward(self, y):
            return torch.round(y), torch.floor(y)

    w = _trace(Q(), torch.randn(1, 4, 8, 8))
    assert [(op.name, op.fn) for op in w.ops] == [("round", "round"), ("floor", "round")]
    assert ELEMENTWISE_OPS_PER_ELEMENT["round"] == 1  # 256 elements: 256 vector ops each
    assert [float(v) for v in w.arrays.vector_ops] == [4 * 8 * 8, 4 * 8 * 8]
    table = costs_table()
    assert "| elementwise `round` | 1 per output element | `floor`, `ceil`, `round`, `trunc`, `frac` |" in table
    assert "`clamp`" in table.split("elementwise `max`")[1].split("\n")[0]
    assert "`erfc`" in table.split("elementwise `erf`")[1].split("\n")[0]
