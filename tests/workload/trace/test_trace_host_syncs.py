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
    assert charged - free == pytest.approx(2 * 20e-6, rel=1e-9)  # 2 reads x 20 us, serial
