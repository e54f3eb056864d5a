"""Tracing a GCN's aggregation with real edge ids against the same trace on the meta device
(shapes only) and the plain forward pass (find-F 3: a 1e5-node, 2e6-edge, 128-feature GCN
traced with real ids in 406 s, its meta trace in 4.2 s).

    python benchmarks/trace_gnn_ids.py [--n 20000] [--deg 10] [--d 128] [--repeats 3]
                                       [--models index_add,scatter_add,index_put]

Each model gathers ``x[src]`` (``index_select``) and adds the gathered rows into their
destination nodes, one way each: ``out.index_add_(0, dst, h)``, ``out.scatter_add_(0,
dst[:, None].expand(-1, d), h)``, ``out.index_put_((dst,), h, accumulate=True)``; then a
``Linear``. Prints, per model, the median over the repeats of the wall and the CPU time of: the
forward pass [s], the trace with real ids [s], the meta-device trace [s]; and the real / meta
ratio of the wall times. The real-id trace also finds which destination elements the ids touch
(``trace/scatter.py``), so it may cut the destination into the touched and the untouched part
where the meta trace cannot. Not a test: timings on a shared machine are noisy; give
``uptime``'s load average with the figures.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn as nn

from cimsim.workload.trace import trace


class _Agg(nn.Module):
    def __init__(self, how: str, d: int):
        super().__init__()
        self.how, self.lin = how, nn.Linear(d, d, bias=False)

    def forward(self, x, src, dst):
        h = x.index_select(0, src)
        out = torch.zeros_like(x)
        if self.how == "index_add":
            out.index_add_(0, dst, h)
        elif self.how == "scatter_add":
            out.scatter_add_(0, dst[:, None].expand(-1, x.shape[1]), h)
        else:
            out.index_put_((dst,), h, accumulate=True)
        return self.lin(out)


def _inputs(n: int, deg: int, d: int, device: str):
    g = torch.Generator().manual_seed(0)
    e = n * deg
    if device == "meta":
        return (torch.empty(n, d, device="meta"), torch.empty(e, dtype=torch.long, device="meta"),
                torch.empty(e, dtype=torch.long, device="meta"))
    return (torch.randn(n, d, generator=g), torch.randint(0, n, (e,), generator=g),
            torch.randint(0, n, (e,), generator=g))


def _median(fn, repeats: int) -> tuple[float, float]:
    """Median wall time [s] and median CPU time of this process [s] of ``fn()``."""
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000, help="nodes")
    ap.add_argument("--deg", type=int, default=10, help="edges per node")
    ap.add_argument("--d", type=int, default=128, help="features")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--models", default="index_add,scatter_add,index_put")
    a = ap.parse_args()
    print(f"n = {a.n:,} nodes, E = {a.n * a.deg:,} edges, d = {a.d} features; median of {a.repeats}")
    print("wall [s] (CPU [s]); on a shared machine the CPU time is the steadier figure")
    print(f"{'model':<12} {'forward [s]':>14} {'real ids [s]':>14} {'meta [s]':>14} {'real/meta':>10}")
    for how in a.models.split(","):
        m, real = _Agg(how, a.d), _inputs(a.n, a.deg, a.d, "cpu")
        meta_m, meta = _Agg(how, a.d).to("meta"), _inputs(a.n, a.deg, a.d, "meta")
        with torch.no_grad():
            fwd = _median(lambda: m(*real), a.repeats)
        t_real = _median(lambda: trace(m, real), a.repeats)
        t_meta = _median(lambda: trace(meta_m, meta), a.repeats)
        cols = " ".join(f"{f'{w:.2f} ({c:.2f})':>14}" for w, c in (fwd, t_real, t_meta))
        print(f"{how:<12} {cols} {t_real[0] / t_meta[0]:>10.1f}")


if __name__ == "__main__":
    main()
