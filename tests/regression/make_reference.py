"""Write the regression reference: every bundled config x workload x engine, as `--json` gives it,
plus a digest of each run's per-op table.

Provenance: ``reference.json`` was written by this script on 2026-12-03 from commit f2686e6
(main before the "one-way house" restructuring, issue 16). It is the one place where golden
values come from the code's own output: a refactoring guard, not a correctness claim. A later
deliberate model change regenerates it and says so in the README's changelog.

Run: ``python tests/regression/make_reference.py``; with ``--additions-only`` it writes only
when every value of the old reference is unchanged (new keys or new bundled configs only).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).with_name("reference.json")


def op_digest(table) -> str:
    """SHA-256 of the per-op table: column names, then each column's bytes (numbers as float64
    or int64, text as UTF-8), so a single changed bit of any op's time, energy or bytes shows."""
    h = hashlib.sha256()
    for name in table.columns:
        h.update(str(name).encode())
        col = table[name].to_numpy()
        if col.dtype.kind in "fc":
            h.update(np.ascontiguousarray(col, dtype=np.float64).tobytes())
        elif col.dtype.kind in "iub":
            h.update(np.ascontiguousarray(col, dtype=np.int64).tobytes())
        else:
            h.update("\x00".join(map(str, col)).encode())
    return h.hexdigest()


#: ``to_json()`` keys that say which cimsim computed a result, not what it computed, and those
#: holding a file's path (where the checkout lies differs between machines; the files' SHA-256
#: and the overrides stay: the same on every machine)
PROVENANCE = ("cimsim_version", "cimsim_revision", "config_path", "workload_path")


def run_all() -> dict[str, dict]:
    from cimsim import bundled, load_architecture, load_workload, simulate

    rows = {}
    for cfg in bundled.config_paths():
        arch = load_architecture(cfg)
        for wl_path in bundled.workload_paths():
            wl = load_workload(wl_path)
            for engine in ("des", "analytic"):
                r = simulate(arch, wl, engine=engine, keep_ops=True)
                row = r.to_json()
                for key in PROVENANCE:  # which cimsim: a refactor changes the revision; paths
                    row.pop(key, None)
                row["op_table_sha256"] = op_digest(r.op_table)
                row["path_table_sha256"] = op_digest(r.path_table)
                rows[f"{Path(cfg).stem}|{Path(wl_path).stem}|{engine}"] = row
    return rows


def changed_old_values(old: dict, new: dict) -> list[str]:
    """Values the reference had that the new run changes (new keys and new results are not
    changes): what ``--additions-only`` refuses."""
    out = []
    for key, row in old.items():
        if key not in new:
            out.append(f"{key}: result gone")
            continue
        fresh = json.loads(json.dumps(new[key]))
        out += [f"{key}: {k}: {fresh.get(k)!r} != {v!r}" for k, v in row.items() if fresh.get(k) != v]
    return out


def main() -> None:
    rows = run_all()
    if "--additions-only" in sys.argv[1:]:  # new result keys or new results; no old value moves
        old = json.loads(OUT.read_text())
        bad = changed_old_values(old, rows)
        if bad:
            print("refusing to write: old values changed:\n" + "\n".join(bad[:20]), file=sys.stderr)
            raise SystemExit(1)
    OUT.write_text(json.dumps(rows, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(rows)} results to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
