"""A traced value read (``if y.max() > t:``) is a host-device sync before the op after it:
tag ``host_syncs`` there, charged ``processor.sync_overhead`` each (find-F 4: two exit tests cost
0 s on gpu-hbm3)."""

from __future__ import annotations

import json
from textwrap import dedent

import pytest
from click.testing import CliRunner

from cimsim.cli import main

MODEL = dedent('''
    import torch
    from torch import nn

    class Exits(nn.Module):
        def __init__(self):
            super().__init__()
            self.s = nn.ModuleList(nn.Linear(32, 32) for _ in range(3))
            self.e = nn.ModuleList(nn.Linear(32, 4) for _ in range(3))

        def forward(self, x):
            for s, e in zip(self.s, self.e):
                x = s(x)
                y = e(x)
                if torch.softmax(y, -1).max() > 2.0:  # never true: every stage runs, 2 tests read
                    return y
            return y

    def f():
        torch.manual_seed(0)
        return Exits().eval(), (torch.randn(1, 32),)
''')


@pytest.mark.torch
def test_each_value_read_is_a_sync_the_processor_charges(tmp_path):
    src, out = tmp_path / "m.py", tmp_path / "m.json"
    src.write_text(MODEL)
    r = CliRunner().invoke(main, ["trace", f"{src}:f", "-o", str(out)])
    assert r.exit_code == 0, r.output
    ops = json.loads(out.read_text())["ops"]
    # 3 tests read, the last one's return ends the model: the ops after tests 1 and 2, one each
    synced = [o["name"] for o in ops if o["tags"].get("host_syncs")]
    assert synced == ["s.1.addmm", "s.2.addmm"]

    def latency(*args):
        r = CliRunner().invoke(main, ["run", "gpu-hbm3", str(out), "--json", *args])
        assert r.exit_code == 0, r.output
        return json.loads(r.output[r.output.index("{"):])["latency_s"]

    free, charged = latency(), latency("--set", "processor.sync_overhead=20us")
    assert charged - free == pytest.approx(2 * 20e-6, rel=1e-9, abs=0)  # 2 reads x 20 us, serial


@pytest.mark.torch
def test_a_trace_without_host_syncs_tags_says_sync_overhead_charges_nothing(tmp_path):
    # (review F 1): a trace made before find-F 4 records the value reads but tags no op; the
    # overhead then adds 0 s, and the run says so instead of nothing
    src, out, old = tmp_path / "m.py", tmp_path / "m.json", tmp_path / "old.json"
    src.write_text(MODEL)
    assert CliRunner().invoke(main, ["trace", f"{src}:f", "-o", str(out)]).exit_code == 0
    doc = json.loads(out.read_text())
    for o in doc["ops"]:
        o["tags"].pop("host_syncs", None)
    old.write_text(json.dumps(doc))
    reads = sum(int(r.get("count", 1)) for r in doc["metadata"]["value_reads"])
    assert reads == 3  # 3 tests read; the third's return ends the model
    said = "processor.sync_overhead 20 µs charges nothing: the trace records 3 host value reads"
    for path, noted in ((old, True), (out, False)):
        r = CliRunner().invoke(main, ["run", "gpu-hbm3", str(path), "--set", "processor.sync_overhead=20us"])
        assert r.exit_code == 0, r.output
        assert (said in r.output) is noted, r.output
    r = CliRunner().invoke(main, ["run", "gpu-hbm3", str(old)])  # no overhead set: nothing to say
    assert "sync_overhead" not in r.output
