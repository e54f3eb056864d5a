"""A million-op workload: generate + save, file size, load; time and peak RSS beside the targets.

    python benchmarks/workload_scale.py [--steps 500000] [--repeats 3] [--json]

Each phase runs as its own process (``cimsim workload lstm ... -o FILE.npz``, then a
``load_workload`` of that file followed by what every run needs next: the op
columns and the dependency CSR), so its peak RSS is measured alone (``wait4``).
Two more phases build the same op graph (each checked equal to the generator's at
T = 3): as NumPy columns handed to ``Workload.from_columns``, and appended op by op
into a ``WorkloadBuilder(by_id=True)``: what a generator writing columns costs.
Prints the median over the repeats beside the issue-11 targets. ``--json`` also
times the JSON form of the same workload for comparison (slow at 1M ops). Not a
test: timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BY_ID = """
import sys, time
from cimsim.workload.builder import WorkloadBuilder
from cimsim.workload import save_workload

def lstm_by_id(T, I=256, H=256, B=1, dtype="fp32"):
    # the op graph of generators.lstm(I, H, 1, steps=T) (layer schedule, fused pointwise),
    # appended by tensor id: what a generator writing columns directly costs
    G = 4 * H
    b = WorkloadBuilder(f"lstm-by-id-T{T}", by_id=True)
    x = b.tensor("x", (T, B, I), dtype, "input")
    w_ih = b.tensor("l0.W_ih", (G, I), dtype, "weight")
    w_hh = b.tensor("l0.W_hh", (G, H), dtype, "weight")
    b_ih = b.tensor("l0.b_ih", (G,), dtype, "weight")
    b_hh = b.tensor("l0.b_hh", (G,), dtype, "weight")
    h = b.tensor("l0.h0", (B, H), dtype, "input")
    c = b.tensor("l0.c0", (B, H), dtype, "input")
    xp = [b.tensor(f"l0.t{t}.xproj", (B, G), dtype) for t in range(T)]
    b.op("l0.xproj", "matmul", (x, w_ih), xp, T * B, I, G, 1, w_ih, tags={"layer": 0, "part": "input"})
    hs = []
    for t in range(T):
        p = f"l0.t{t}"
        hp = b.tensor(p + ".hproj", (B, G), dtype)
        b.op(p + ".hproj", "matmul", (h, w_hh), (hp,), B, H, G, 1, w_hh,
             tags={"layer": 0, "step": t, "part": "recurrent"})
        c2, h = b.tensor(p + ".c", (B, H), dtype), b.tensor(p + ".h", (B, H), dtype)
        b.op(p + ".cell", "elementwise", (xp[t], hp, b_ih, b_hh, c), (c2, h), fn="lstm_pointwise",
             ops_per_element=18, tags={"layer": 0, "step": t, "part": "state"})
        c = c2
        hs.append(h)
    y = b.tensor("l0.y", (T, B, H), dtype)
    b.op("l0.concat", "copy", hs, (y,), tags={"layer": 0, "part": "concat"})
    return b.build()

if sys.argv[1] == "check":
    from cimsim.workload.generators import lstm
    from cimsim.workload.io import workload_to_dict
    a, g = workload_to_dict(lstm_by_id(3)), workload_to_dict(lstm(256, 256, 1, steps=3))
    assert (a["tensors"], a["ops"]) == (g["tensors"], g["ops"]), "by-id graph differs from the generator"
else:
    save_workload(lstm_by_id(int(sys.argv[1])), sys.argv[2])
"""

COLUMNS = """
import sys
import numpy as np
from cimsim.workload import Workload, save_workload
from cimsim.workload.columns import StringTable, TagColumns
from cimsim.workload.ir import WorkloadColumns

def lstm_columns(T, I=256, H=256, B=1):
    # the op graph of generators.lstm(I, H, 1, steps=T) (fp32, layer schedule, fused
    # pointwise) as NumPy columns: what a generator calling Workload.from_columns costs
    G = 4 * H
    t = np.arange(T, dtype=np.int64)
    base = 7 + T  # tensor ids: 0 x, 1-4 weights, 5 h0, 6 c0, 7.. xproj_t, base + 3t.. hproj/c/h, y
    hproj, c, h = base + 3 * t, base + 3 * t + 1, base + 3 * t + 2
    y = base + 3 * T
    tnames = ["x", "l0.W_ih", "l0.W_hh", "l0.b_ih", "l0.b_hh", "l0.h0", "l0.c0"]
    tnames += [f"l0.t{i}.xproj" for i in range(T)]
    tnames += [f"l0.t{i}.{p}" for i in range(T) for p in ("hproj", "c", "h")] + ["l0.y"]
    ndims = np.array([3, 2, 2, 1, 1, 2, 2] + [2] * (T + 3 * T) + [3])
    dims = np.concatenate([[T, B, I, G, I, G, H, G, G, B, H, B, H], np.tile([B, G], T),
                           np.tile([B, G, B, H, B, H], T), [T, B, H]])
    role = np.full(len(tnames), 2, np.int8)
    role[[0, 5, 6]], role[1:5] = 0, 1
    hprev = np.concatenate([[5], h[:-1]])
    cprev = np.concatenate([[6], c[:-1]])
    step_in = np.stack([hprev, np.full(T, 2), 7 + t, hproj, np.full(T, 3), np.full(T, 4), cprev], 1)
    in_ids = np.concatenate([[0, 1], step_in.ravel(), h])
    in_ptr = np.concatenate([[0, 2], 2 + np.cumsum(np.tile([2, 5], T)), [2 + 7 * T + T]])
    out_ids = np.concatenate([7 + t, np.stack([hproj, c, h], 1).ravel(), [y]])
    out_ptr = np.concatenate([[0, T], T + np.cumsum(np.tile([1, 2], T)), [T + 3 * T + 1]])
    n_ops = 2 * T + 2
    kind = np.concatenate([[0], np.tile([0, 1], T), [5]]).astype(np.int8)
    def per_step(a, b):  # hproj value, cell value, for every step
        return np.stack([np.full(T, a), np.full(T, b)], 1).ravel()

    m = np.concatenate([[T * B], per_step(B, 0), [0]])
    k = np.concatenate([[I], per_step(H, 0), [0]])
    n = np.concatenate([[G], per_step(G, 0), [0]])
    weight = np.concatenate([[1], per_step(2, -1), [-1]])
    fn = np.concatenate([[-1], per_step(-1, 0), [-1]]).astype(np.int32)
    ope = np.concatenate([[np.nan], per_step(np.nan, 18.0), [np.nan]])
    order = np.concatenate([[1], np.full(2 * T, 2), [1]]).astype(np.int32)
    step = np.concatenate([[0], np.repeat(t, 2), [0]])
    part = np.concatenate([[0], np.tile([1, 2], T), [3]]).astype(np.int32)
    tags = TagColumns(order, [(), ("layer", "part"), ("layer", "step", "part")],
                      {"layer": ("int", np.zeros(n_ops, np.int64)), "step": ("int", step),
                       "part": ("json", part, ["input", "recurrent", "state", "concat"])})
    op_names = ["l0.xproj"] + [f"l0.t{i}.{p}" for i in range(T) for p in ("hproj", "cell")] + ["l0.concat"]
    cols = WorkloadColumns(
        tensor_names=StringTable.from_list(tnames), shape_ptr=np.concatenate([[0], np.cumsum(ndims)]),
        shape_dims=dims, tensor_dtype=np.zeros(len(tnames), np.int8), tensor_role=role,
        op_names=StringTable.from_list(op_names), kind=kind, in_ptr=in_ptr, in_ids=in_ids,
        out_ptr=out_ptr, out_ids=out_ids, m=m, k=k, n=n, batch=np.ones(n_ops, np.int64),
        weight=weight, fn=fn, fn_vocab=("lstm_pointwise",), ops_per_element=ope, tags=tags)
    return Workload.from_columns(f"lstm-columns-T{T}", cols)

if sys.argv[1] == "check":
    from cimsim.workload.generators import lstm
    from cimsim.workload.io import workload_to_dict
    a, g = workload_to_dict(lstm_columns(3)), workload_to_dict(lstm(256, 256, 1, steps=3))
    assert (a["tensors"], a["ops"]) == (g["tensors"], g["ops"]), "column graph differs from the generator"
else:
    save_workload(lstm_columns(int(sys.argv[1])), sys.argv[2])
"""

LOAD = ("import sys; from cimsim.workload import load_workload; w = load_workload(sys.argv[1]); "
        "w.arrays; w.predecessors; print(len(w))")


def _run(cmd: list[str]) -> tuple[float, float]:
    """Wall time [s] and peak RSS [MiB] of one child process."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.strip()}")
    return wall, usage.ru_maxrss / 1024  # ru_maxrss is KiB on Linux


def _phase(cmd: list[str], repeats: int) -> tuple[float, float]:
    runs = [_run(cmd) for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=500_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="also the JSON file (slow)")
    args = ap.parse_args()
    cli = [sys.executable, "-m", "cimsim.cli"]
    rows = []
    subprocess.run([sys.executable, "-c", BY_ID, "check"], check=True)
    subprocess.run([sys.executable, "-c", COLUMNS, "check"], check=True)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "columns.npz"
        col_s, col_rss = _phase([sys.executable, "-c", COLUMNS, str(args.steps), str(path)], args.repeats)
        rows += [("NumPy columns + save npz [s]", col_s, 5.0),
                 ("NumPy columns + save peak RSS [MiB]", col_rss, 1024)]
        path = Path(d) / "by_id.npz"
        by_id_s, by_id_rss = _phase([sys.executable, "-c", BY_ID, str(args.steps), str(path)], args.repeats)
        rows += [("builder by id + save npz [s]", by_id_s, 5.0),
                 ("builder by id + save peak RSS [MiB]", by_id_rss, 1024)]
        for suffix in (".npz", ".json") if args.json else (".npz",):
            path = Path(d) / f"lstm{suffix}"
            gen = [*cli, "workload", "lstm", "--input-size", "256", "--hidden", "256",
                   "--steps", str(args.steps), "-o", str(path)]
            gen_s, gen_rss = _phase(gen, args.repeats)
            size_mb = path.stat().st_size / 1e6
            load_s, load_rss = _phase([sys.executable, "-c", LOAD, str(path)], args.repeats)
            fmt = suffix[1:]
            rows += [
                (f"generate+save {fmt} [s]", gen_s, 5.0), (f"generate+save {fmt} peak RSS [MiB]", gen_rss, 1024),
                (f"file {fmt} [MB]", size_mb, 50.0),
                (f"load {fmt} + columns + CSR [s]", load_s, None),
                (f"load {fmt} peak RSS [MiB]", load_rss, 1024),
            ]
    print(f"1-layer LSTM, I = H = 256, T = {args.steps:,} ({2 * args.steps + 2:,} ops); "
          f"median of {args.repeats}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"{'figure':<40} {'measured':>10} {'target':>8}  ok")
    for name, value, target in rows:
        ok = "" if target is None else ("yes" if value <= target else "NO")
        tgt = "" if target is None else f"{target:g}"
        print(f"{name:<40} {value:10.2f} {tgt:>8}  {ok}")


if __name__ == "__main__":
    main()
