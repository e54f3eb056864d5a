"""Which on-disk form for large workloads: size, write time and read time of the columns.

    python benchmarks/workload_format.py [--steps 500000] [--repeats 3]

Builds a 1-layer LSTM of ``2 * steps + 2`` ops once, takes its columnar form
(``workload_to_arrays``: the arrays ``.npz`` stores) and writes / reads it as
uncompressed ``.npz``, zlib ``.npz`` (``np.savez_compressed``), an Arrow IPC file
with zstd buffers, and Parquet with zstd (both as one row of list columns, since
the columns have different lengths). JSON (``json.dump`` of the dict form) is
the baseline. Read time is file -> NumPy arrays (no validation; that is common to
all). Median of the repeats; not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq

from cimsim.workload.generators import lstm
from cimsim.workload.io import workload_to_arrays, workload_to_dict


def _table(arrays: dict[str, np.ndarray]) -> pa.Table:
    cols = {}
    for key, a in arrays.items():
        values = pa.array(a)
        cols[key] = pa.ListArray.from_arrays(pa.array([0, len(a)], pa.int32()), values)
    return pa.table(cols)


def _untable(t: pa.Table) -> dict[str, np.ndarray]:
    return {key: t.column(key).chunk(0).values.to_numpy(zero_copy_only=False) for key in t.column_names}


def _npz_write(path, arrays, compressed):
    (np.savez_compressed if compressed else np.savez)(path, **arrays)


def _npz_read(path):
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _npz_level(path, arrays, level):
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for key, a in arrays.items():
            with z.open(key + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, a, allow_pickle=False)


FORMATS = {
    "npz": (lambda p, a: _npz_write(p, a, False), _npz_read),
    "npz-zlib1": (lambda p, a: _npz_level(p, a, 1), _npz_read),
    "npz-zlib": (lambda p, a: _npz_write(p, a, True), _npz_read),
    "arrow-ipc-zstd": (lambda p, a: feather.write_feather(_table(a), p, compression="zstd"),
                       lambda p: _untable(feather.read_table(p))),
    "parquet-zstd": (lambda p, a: pq.write_table(_table(a), p, compression="zstd"),
                     lambda p: _untable(pq.read_table(p))),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=500_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="also time JSON (slow at 1M ops)")
    args = ap.parse_args()
    w = lstm(256, 256, 1, steps=args.steps)
    meta, arrays = workload_to_arrays(w)
    raw_mb = sum(a.nbytes for a in arrays.values()) / 1e6
    print(f"{w.name}: {len(w):,} ops, {len(w.tensors):,} tensors; columns {raw_mb:.1f} MB in memory")
    print(f"{'format':>16} {'size_MB':>9} {'write_s':>8} {'read_s':>8}")
    with tempfile.TemporaryDirectory() as d:
        for name, (write, read) in FORMATS.items():
            path = os.path.join(d, name + ".npz" if name.startswith("npz") else name)
            wt, rt = [], []
            for _ in range(args.repeats):
                t = time.perf_counter()
                write(path, arrays)
                wt.append(time.perf_counter() - t)
                t = time.perf_counter()
                back = read(path)
                rt.append(time.perf_counter() - t)
            assert all(np.array_equal(back[k], a, equal_nan=a.dtype.kind == "f") for k, a in arrays.items()), name
            size = os.path.getsize(path)
            print(f"{name:>16} {size / 1e6:9.1f} {statistics.median(wt):8.2f} {statistics.median(rt):8.2f}")
        if args.json:
            path = os.path.join(d, "w.json")
            t = time.perf_counter()
            with open(path, "w") as f:
                json.dump(workload_to_dict(w), f, separators=(",", ":"))
            wt = time.perf_counter() - t
            t = time.perf_counter()
            with open(path) as f:
                json.load(f)
            print(f"{'json':>16} {os.path.getsize(path) / 1e6:9.1f} {wt:8.2f} {time.perf_counter() - t:8.2f}")


if __name__ == "__main__":
    main()
