"""Trace time of a row pick from a large activation: ``(x * 2)[arange(B)[:, None], i]`` (CLIP's
EOS pooling, PointNet++'s ``index_points``), ``torch.gather`` of the expanded ids, or
``index_select`` of the flattened rows (review18-2 item 1: before the activation was cut into
atoms by runs, such a pick of a 64 M-element meta activation took 53 s and 3.85 GB to trace;
a whole-input copy, as the pick was before round 18, 2 s).

    python benchmarks/trace_activation_pick.py [--elements 64000000] [--picks 1000]
                                               [--how index,gather,flat] [--device meta]
                                               [--width 16] [--repeats 3]

``x`` is (4, elements / (4 * width), width) fp32, ``i`` (4, picks) int64 (on ``cpu``: random ids,
so the trace reads their values; on ``meta``: none, the picks taken as distinct rows). Prints,
per form, the median trace wall time over the repeats [s] (after one untimed trace of a small
pick: the first trace in a process pays torch's warm-up, about 2 s), the part of it in
:func:`cimsim.workload.trace.atoms.atomize` [s], the process's peak resident memory [MB] and the
pick's ``lookups`` / ``rows_read`` tags. Not a test: timings on a shared machine are noisy; give
``uptime``'s load average with the figures.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import torch
from torch import nn

from cimsim.workload.trace import assemble, trace

B = 4


class Pick(nn.Module):
    def __init__(self, how: str, width: int):
        super().__init__()
        self.how, self.width = how, width

    def forward(self, x, i):
        y = x * 2
        if self.how == "gather":
            return torch.gather(y, 1, i[..., None].expand(-1, -1, self.width))
        if self.how == "flat":
            offset = (torch.arange(B, device=y.device) * y.shape[1]).view(B, 1)
            return y.reshape(-1, self.width).index_select(0, (i + offset).reshape(-1))
        return y[torch.arange(B, device=y.device).view(B, 1), i]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--elements", type=int, default=64_000_000)
    ap.add_argument("--picks", type=int, default=1000)
    ap.add_argument("--how", default="index,gather,flat")
    ap.add_argument("--device", default="meta")
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    n = a.elements // (B * a.width)
    inner, spent = assemble.atomize, [0.0]

    def timed(v):
        t0 = time.perf_counter()
        inner(v)
        spent[0] += time.perf_counter() - t0

    assemble.atomize = timed
    trace(Pick("index", a.width), (torch.randn(B, 8, a.width), torch.zeros(B, 2, dtype=torch.long)))
    for how in a.how.split(","):
        walls, atoms = [], []
        for _ in range(a.repeats):
            if a.device == "meta":
                x = torch.empty(B, n, a.width, device="meta")
                i = torch.empty(B, a.picks, dtype=torch.long, device="meta")
            else:
                x, i = torch.randn(B, n, a.width), torch.randint(0, n, (B, a.picks))
            spent[0] = 0.0
            t0 = time.perf_counter()
            w = trace(Pick(how, a.width), (x, i))
            walls.append(time.perf_counter() - t0)
            atoms.append(spent[0])
        op = w.ops[-1]  # the pick (a copy without tags where it is a whole-input copy)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(f"{how}: {B * n * a.width:,} elements on {a.device}, {B * a.picks:,} picks of "
              f"{a.width * 4} B rows: trace {statistics.median(walls):.2f} s, of which atomize "
              f"{statistics.median(atoms):.2f} s; peak memory {rss:,} MB; lookups "
              f"{op.tags.get('lookups')}, rows_read {op.tags.get('rows_read')}")


if __name__ == "__main__":
    main()
