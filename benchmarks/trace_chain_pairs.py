"""Cost of a fused op's per-pair chains (tag ``chain_io``, :func:`cimsim.workload.trace.fuse.chain_io`)
(review20-C item 2: the pass carried, per member tensor, every group input reaching it, so a
loop fused whole that reads per-step inputs and returns its final state, 2T + 1 inputs and 1
output, traced in 93 s / 7.9 GB at T = 8,000 against 9.4 s / 0.56 GB without it).

    python benchmarks/trace_chain_pairs.py [--steps 8000] [--lstm-steps 512] [--depth 128]

Prints, for each case, the wall time [s] and the process's peak resident memory [MB]:

- ``loopfinal``: ``h = a[t] * h + x[t]`` over ``--steps``, returning h (one output: the pass is
  skipped, ``chain_in`` says it all), traced;
- ``lstm``: a 2-layer nn.LSTM(64, 64) over ``--lstm-steps``, traced;
- ``deep``: the pass alone on a synthetic group, ``--depth`` steps each ``--depth`` pointwise ops
  deep, reading ``a[t]`` and writing ``y[t]`` each step (``(depth + 1) x depth`` pairs), forward
  and backward, the bounds (:data:`cimsim.workload.depth.CHAIN_IO_WORK`, ``CHAIN_IO_MAX``)
  lifted: the pass's cost about its work bound (128: just over it).

Not a test: timings on a shared machine are noisy; give ``uptime``'s load average with the figures.
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings

import torch
from torch import nn

from cimsim.workload import depth
from cimsim.workload.ir import Op
from cimsim.workload.trace import trace
from cimsim.workload.trace.fuse import chain_io


class LoopFinal(nn.Module):
    def forward(self, x, a):
        h = x.new_zeros(x.shape[1])
        for t in range(x.shape[0]):
            h = a[t] * h + x[t]
        return h


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _deep(n: int) -> tuple[list[Op], list[str], list[str]]:
    """n steps, each n ops deep: h = f_n(...f_1(h, a[t])...), y[t] = h."""
    ops, h = [], "h0"
    for t in range(n):
        for j in range(n):
            out = f"h{t}_{j}"
            ops.append(Op(out, "elementwise", (h, f"a{t}") if j == 0 else (h,), (out,), fn="add"))
            h = out
    ins = ["h0", *(f"a{t}" for t in range(n))]
    outs = [f"h{t}_{n - 1}" for t in range(n)]
    return ops, ins, outs


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=8000)
    p.add_argument("--lstm-steps", type=int, default=512)
    p.add_argument("--depth", type=int, default=128)
    a = p.parse_args()
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    w = trace(LoopFinal().eval(), (torch.randn(a.steps, 8), torch.randn(a.steps, 8)))
    print(f"loopfinal T={a.steps}: {time.perf_counter() - t0:.1f} s, peak {_peak_mb():.0f} MB, "
          f"{len(w.ops)} op(s), chain_io on {sum('chain_io' in o.tags for o in w.ops)}")
    t0 = time.perf_counter()
    w = trace(nn.LSTM(64, 64, num_layers=2).eval(), (torch.randn(a.lstm_steps, 1, 64),))
    print(f"lstm T={a.lstm_steps}: {time.perf_counter() - t0:.1f} s, peak {_peak_mb():.0f} MB, "
          f"{len(w.ops)} ops")
    members, ins, outs = _deep(a.depth)
    edges = sum(len(o.inputs) * len(o.outputs) for o in members)
    work = edges * min(len(ins), len(outs))
    bound, depth.CHAIN_IO_WORK, depth.CHAIN_IO_MAX = depth.CHAIN_IO_WORK, 1 << 62, 1 << 62
    for backward in (False, True):
        t0 = time.perf_counter()
        chain_io(members, ins, outs, backward=backward)
        print(f"deep {a.depth} x {a.depth} ({'backward' if backward else 'forward'}): "
              f"{time.perf_counter() - t0:.2f} s, work {work:,} (bound {bound:,}), "
              f"peak {_peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
