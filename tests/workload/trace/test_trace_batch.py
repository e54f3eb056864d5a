"""A traced model's samples per run (find-L 2): the `cnn` zoo family records its batch, and
`cimsim trace FILE.py:FACTORY --batch N` records N, so the per-sample figures divide by it.

Closed form: a run of B samples serves B / latency samples per second.
"""

from __future__ import annotations

import json
from textwrap import dedent

import pytest
from click.testing import CliRunner

from cimsim.cli import main

pytestmark = pytest.mark.torch


def _run(path, config="rram-cim") -> dict:
    r = CliRunner().invoke(main, ["run", config, str(path), "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_zoo_vgg8_batch_4_counts_4_samples(tmp_path):
    out = tmp_path / "vgg8b4.json"
    r = CliRunner().invoke(main, ["trace", "--zoo", "vgg8", "--param", "batch=4", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text())["metadata"]["batch"] == 4
    d = _run(out, "neurosim-vgg8")
    assert d["samples_per_s"] == pytest.approx(4 / d["latency_s"], rel=1e-12, abs=0)
    # the stream's figures are per image too: 1 / interval images per second
    assert d["pipelined_samples_per_s"] == pytest.approx(1 / d["pipeline_interval_s"], rel=1e-12, abs=0)


def test_zoo_cnn_default_batch_is_1(tmp_path):
    out = tmp_path / "r.json"
    r = CliRunner().invoke(main, ["trace", "--zoo", "resnet", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text())["metadata"]["batch"] == 1


FACTORY = dedent('''
    import torch
    from torch import nn

    def fc():
        return nn.Linear(16, 8, bias=False).eval(), (torch.randn(3, 16),)
''')


def test_trace_spec_batch_option_and_note(tmp_path):
    src = tmp_path / "m.py"
    src.write_text(FACTORY)
    plain, batched = tmp_path / "plain.json", tmp_path / "b3.json"
    r = CliRunner().invoke(main, ["trace", f"{src}:fc", "-o", str(plain)])
    assert r.exit_code == 0, r.output
    # no --batch and a leading dimension of 3: a note, 1 sample per run, no guess
    assert "leading dimension is 3" in r.output and "--batch N" in r.output
    # it names the command that takes --batch: cimsim run has none (find-F 5)
    assert "give cimsim trace ... --batch N (a trace option: re-trace; cimsim run has no --batch)" \
        in " ".join(r.output.split())
    # it names every per-sample column the wrong count skews (review of find-D 2, D 5)
    assert ("figures (samples_per_s, j_per_sample, items_per_s, j_per_item, "
            "pipelined_samples_per_s, pipelined_j_per_sample) take 1") in " ".join(r.output.split())
    assert "batch" not in json.loads(plain.read_text())["metadata"]
    d = _run(plain)
    assert d["samples_per_s"] == pytest.approx(1 / d["latency_s"], rel=1e-12, abs=0)

    r = CliRunner().invoke(main, ["trace", f"{src}:fc", "--batch", "3", "-o", str(batched)])
    assert r.exit_code == 0, r.output
    assert "leading dimension" not in r.output
    assert json.loads(batched.read_text())["metadata"]["batch"] == 3
    d = _run(batched)
    assert d["samples_per_s"] == pytest.approx(3 / d["latency_s"], rel=1e-12, abs=0)


def test_trace_spec_batch_must_be_positive(tmp_path):
    src = tmp_path / "m.py"
    src.write_text(FACTORY)
    r = CliRunner().invoke(main, ["trace", f"{src}:fc", "--batch", "0", "-o", str(tmp_path / "x.json")])
    assert r.exit_code != 0
    assert "--batch 0" in r.output and "positive integer" in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_no_batch_note_for_a_1d_input(tmp_path):
    """A 1-D input's only dimension is one sample's features, not a batch (find-R 8)."""
    src = tmp_path / "v.py"
    src.write_text("import torch\nfrom torch import nn\n\ndef vec():\n"
                   "    return nn.Linear(64, 8).eval(), (torch.randn(64),)\n")
    r = CliRunner().invoke(main, ["trace", f"{src}:vec", "-o", str(tmp_path / "v.json")])
    assert r.exit_code == 0, r.output
    assert "leading dimension" not in r.output


def test_batch_over_one_sample_inputs_is_warned(tmp_path):
    """find-W 2: --batch 8 over inputs of leading dimension 1 recorded 8 samples of one sample's
    work (samples_per_s 8x) and said nothing. It still records 8 (a sequence-first model's
    leading dimension is its time steps: one for a single step), and says so in one line."""
    src = tmp_path / "one.py"
    src.write_text("import torch\nfrom torch import nn\n\ndef fc():\n"
                   "    return nn.Linear(16, 8, bias=False).eval(), (torch.randn(1, 16),)\n")
    out = tmp_path / "b8.json"
    r = CliRunner().invoke(main, ["trace", f"{src}:fc", "--batch", "8", "-o", str(out)])
    assert r.exit_code == 0, r.output
    warned = [ln for ln in r.stderr.splitlines() if ln.startswith("warning: --batch 8")]
    assert len(warned) == 1 and "warning:" not in r.stdout  # on stderr, as every warning: line
    assert "leading dimension is 1" in warned[0] and "does not resize the inputs" in warned[0]
    assert "--arg batch=8" in warned[0]
    assert json.loads(out.read_text())["metadata"]["batch"] == 8
    d = _run(out)
    assert d["macs"] == 16 * 8  # one sample's work
    assert d["samples_per_s"] == pytest.approx(8 / d["latency_s"], rel=1e-12, abs=0)
    r = CliRunner().invoke(main, ["trace", f"{src}:fc", "--batch", "1", "-o", str(out)])
    assert r.exit_code == 0 and "warning: --batch" not in r.output, r.output  # nothing to say


def test_batch_warning_over_a_sequence_first_input_says_both_readings(tmp_path):
    """review18-6 #3b: an LSTM's (T = 1, N = 8, 16) input holds 8 samples in dimension 1, so
    "divides one sample's work by 8" was false for it; a (1, 8, 16) input may as well be one
    batch-first sample of 8 steps. The warning names both readings, and a shape whose second
    dimension is not the batch keeps the plain one."""
    src = tmp_path / "seq.py"
    src.write_text("import torch\nfrom torch import nn\n\ndef lstm(n=8):\n"
                   "    return nn.LSTM(16, 32).eval(), (torch.randn(1, n, 16),)\n")
    r = CliRunner().invoke(main, ["trace", f"{src}:lstm", "--batch", "8", "-o", str(tmp_path / "s.json")])
    assert r.exit_code == 0, r.output
    warned = [ln for ln in r.stderr.splitlines() if ln.startswith("warning: --batch 8")]
    assert len(warned) == 1
    assert "right if it is sequence-first (T, N, features), its 8 samples in dimension 1" in warned[0]
    assert "if dimension 0 is the batch, --batch does not resize the inputs" in warned[0]
    r = CliRunner().invoke(main, ["trace", f"{src}:lstm", "--arg", "n=4", "--batch", "8",
                                  "-o", str(tmp_path / "s4.json")])
    assert r.exit_code == 0, r.output
    assert "leading dimension is 1: --batch does not resize the inputs" in r.stderr
    assert "sequence-first" not in r.stderr


def test_python_trace_batch_and_note():
    """find-T 4: ``cimsim.trace`` of a batch-16 input counted 1 sample in silence (samples/s 16x
    too low). Now it warns the CLI's note as a BatchNote (a CimsimWarning) naming ``batch=N``,
    and ``batch=16`` records 16 samples per run: samples_per_s = 16 / latency."""
    import warnings

    import torch

    import cimsim
    from cimsim.workload.trace import BatchNote

    m = torch.nn.Sequential(torch.nn.Linear(8, 4))
    x = torch.randn(16, 8)
    with pytest.warns(BatchNote, match=r"trace\(\): the first example input's leading dimension "
                      r"is 16; .* give batch=N \(cimsim trace --batch N\)"):
        w1 = cimsim.trace(m, (x,))
    assert "batch" not in w1.metadata
    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchNote)
        w16 = cimsim.trace(m, (x,), batch=16)  # no warning
        cimsim.trace(m, (torch.randn(1, 8),))  # one sample: no warning
    assert w16.metadata["batch"] == 16
    r = cimsim.simulate(cimsim.load_architecture("rram-cim"), w16, engine="analytic")
    assert r.samples_per_s == pytest.approx(16 / r.latency_s, rel=1e-12, abs=0)
    with pytest.raises(cimsim.WorkloadError, match=r"trace\(\): batch must be a whole number >= 1"):
        cimsim.trace(m, (x,), batch=0)


def test_python_trace_onnx_batch(tmp_path):
    """The same for ``trace_onnx``: ``batch=4`` is recorded; without it, BatchNote."""
    pytest.importorskip("onnx")
    import torch

    from cimsim import trace_onnx
    from cimsim.workload.trace import BatchNote

    path = tmp_path / "m.onnx"
    torch.onnx.export(torch.nn.Linear(8, 4), (torch.randn(4, 8),), str(path), dynamo=False)
    with pytest.warns(BatchNote, match="leading dimension is 4"):
        trace_onnx(path)
    assert trace_onnx(path, batch=4).metadata["batch"] == 4


def test_batch_note_only_where_the_leading_dimension_can_be_the_batch():
    """review E 6: BatchNote warned for a time-major LSTM's T (50), a TransformerEncoderLayer's S
    (20) and an unbatched Conv1d input's channels (4); silent for a keyword input of 16 rows."""
    import warnings

    import numpy as np
    import torch

    import cimsim
    from cimsim.workload.trace import BatchNote

    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchNote)
        cimsim.trace(torch.nn.LSTM(4, 8), (torch.randn(50, 1, 4),))
        cimsim.trace(torch.nn.Sequential(torch.nn.GRU(4, 8)), (torch.randn(50, 1, 4),))
        cimsim.trace(torch.nn.TransformerEncoderLayer(8, 2, 16), (torch.randn(20, 1, 8),))
        cimsim.trace(torch.nn.Conv1d(4, 8, 3), (torch.randn(4, 100),))
        w = cimsim.trace(torch.nn.Linear(4, 4), (torch.randn(2, 4),), batch=np.int64(2))
    assert w.metadata["batch"] == 2 and type(w.metadata["batch"]) is int
    with pytest.warns(BatchNote, match=r"leading dimension is 50; .* or batch=1 if it is not the batch"):
        cimsim.trace(torch.nn.LSTM(4, 8, batch_first=True), (torch.randn(50, 1, 4),))
    with pytest.warns(BatchNote, match="leading dimension is 3"):
        cimsim.trace(torch.nn.Conv1d(4, 8, 3), (torch.randn(3, 4, 100),))

    class K(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(4, 4)

        def forward(self, x=None):
            return self.lin(x)

    with pytest.warns(BatchNote, match="leading dimension is 16"):
        cimsim.trace(K(), (), example_kwargs={"x": torch.randn(16, 4)})
    # as `cimsim trace --batch`: batch 8 over a leading 1 warns, it is not refused
    with pytest.warns(BatchNote, match=r"batch=8 records 8 samples per run, but the first example "
                      r"input's leading dimension is 1: batch= does not resize the inputs"):
        cimsim.trace(torch.nn.Linear(4, 4), (torch.randn(1, 4),), batch=8)
    with pytest.raises(cimsim.WorkloadError, match=r"batch must be a whole number >= 1 \(the "
                       r"samples the example inputs hold\), not 0$"):
        cimsim.trace(torch.nn.Linear(4, 4), (torch.randn(2, 4),), batch=np.int64(0))
    with pytest.raises(cimsim.WorkloadError, match=r"not 2\.5$"):
        cimsim.trace(torch.nn.Linear(4, 4), (torch.randn(2, 4),), batch=np.float64(2.5))
