"""Write the regression reference: every bundled config x workload x engine, as `--json` gives it.

Run once before a redesign (``python tests/regression/make_reference.py``); the
test ``tests/test_regression.py`` then holds every later version to these
numbers. This file is the one place where a golden value comes from the code's
own output: it is a pre-refactor reference, not a correctness claim.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cimsim import bundled, load_architecture, load_workload, simulate

OUT = Path(__file__).with_name("reference.json")


def main() -> None:
    rows = {}
    for cfg in bundled.config_paths():
        arch = load_architecture(cfg)
        for wl_path in bundled.workload_paths():
            wl = load_workload(wl_path)
            for engine in ("des", "analytic"):
                r = simulate(arch, wl, engine=engine, keep_ops=False)
                rows[f"{Path(cfg).stem}|{Path(wl_path).stem}|{engine}"] = r.to_json()
    OUT.write_text(json.dumps(rows, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(rows)} results to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
