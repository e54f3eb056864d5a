"""Trace time of a model whose activations are large and whose ops are few: a channel-independent
PatchTST (find-T 2: the electricity set's 321 channels folded into the batch; 44 ops at B=32 took
166 s to trace on the meta device, 35 of 44 s at B=8 in cutting activations into atoms by
``np.unique`` over one label per element).

    python benchmarks/trace_activation_size.py [--batch 8] [--channels 321] [--repeats 1]
                                               [--device meta] [--case patchtst|interleave]

``--case interleave``: a Linear(64, 64) over (64, 4096, 64) (16.8 M elements on ``--device``)
read as interleaved halves, ``y[..., ::2] * y[..., 1::2]`` (interleaved RoPE's pattern: a run of
one offset per element read, where cutting by runs took 26.8 s against 8.0 s by elements).

Builds the model on ``--device`` (``meta``: shapes only, nothing computed) and prints the IR ops,
the MACs, the activation elements the trace's versions hold [elements], the median trace wall
time over the repeats [s] and the part of it spent in :func:`cimsim.workload.trace.atoms.atomize`
[s]. Not a test: timings on a shared machine are noisy; give ``uptime``'s load average with the
figures.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from cimsim.workload.trace import assemble, trace


class PatchTST(nn.Module):
    """Channel-independent PatchTST (Nie et al., 2023): patches of each channel's series, a
    Transformer encoder over the patches, a flatten head to the horizon."""

    def __init__(self, L=336, H=96, P=16, S=8, d=128, heads=16, layers=3, ff=256):
        super().__init__()
        self.P, self.S = P, S
        self.N = (L - P) // S + 1
        self.embed = nn.Linear(P, d)
        self.pos = nn.Parameter(torch.zeros(self.N, d))
        el = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, batch_first=True)
        self.enc = nn.TransformerEncoder(el, layers, enable_nested_tensor=False)
        self.head = nn.Linear(self.N * d, H)

    def forward(self, x):  # x: (B, L, C)
        B, L, C = x.shape
        z = x.permute(0, 2, 1).reshape(B * C, L)
        e = self.enc(self.embed(z.unfold(-1, self.P, self.S)) + self.pos)
        return self.head(e.flatten(1)).reshape(B, C, -1).permute(0, 2, 1)


def build(batch: int, channels: int, device: str = "meta", L: int = 336):
    """The model and its example input, built on ``device``."""
    with torch.device(device):
        torch.manual_seed(0)
        return PatchTST(L=L).eval(), (torch.randn(batch, L, channels),)


class Interleave(nn.Module):
    """A projection read as its even and odd features (interleaved RoPE's ``x[..., ::2]``,
    ``x[..., 1::2]``)."""

    def __init__(self, d=64):
        super().__init__()
        self.proj = nn.Linear(d, d)

    def forward(self, x):
        y = self.proj(x)
        return y[..., ::2] * y[..., 1::2]


def build_interleave(device: str = "meta"):
    """:class:`Interleave` and its (64, 4096, 64) input, built on ``device``."""
    with torch.device(device):
        torch.manual_seed(0)
        return Interleave().eval(), (torch.randn(64, 4096, 64),)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--channels", type=int, default=321)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--device", default="meta")
    ap.add_argument("--case", choices=("patchtst", "interleave"), default="patchtst")
    a = ap.parse_args()
    inner = assemble.atomize
    spent, elems = [0.0], [0]

    def timed(v):
        t0 = time.perf_counter()
        inner(v)
        spent[0] += time.perf_counter() - t0
        elems[0] += v.numel

    assemble.atomize = timed
    walls, atoms = [], []
    for _ in range(a.repeats):
        model, args = (build(a.batch, a.channels, a.device) if a.case == "patchtst"
                       else build_interleave(a.device))
        spent[0], elems[0] = 0.0, 0
        t0 = time.perf_counter()
        w = trace(model, args, name=a.case)
        walls.append(time.perf_counter() - t0)
        atoms.append(spent[0])
    what = f"PatchTST B={a.batch} C={a.channels}" if a.case == "patchtst" else "interleave"
    print(f"{what} on {a.device}: {len(w.ops)} ops, {w.macs:,} MACs, "
          f"{elems[0]:,} activation elements; trace {statistics.median(walls):.2f} s, of which "
          f"atomize {statistics.median(atoms):.2f} s")


if __name__ == "__main__":
    main()
