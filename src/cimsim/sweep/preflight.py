"""What ``--dry-run`` says of an existing ``-o`` file: the resume check a run makes
(:func:`cimsim.sweep.resume.reusable_rows`), with nothing written and nothing moved.

A rerun into an existing file keeps the rows that are points of this sweep and moves every other
stored row to ``OUT.replaced-<UTC time>.parquet``; a typo in one ``--param`` spec, or another
``--engine``, turns a five-minute top-up into a night's recompute. The dry run says it first:
how many runs are already done, how many are to compute, and the run's own warning lines on the
rows it would move and why (other specs, another engine, a config whose contents changed, another
cimsim revision).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .store import SweepStore


def stored_check(output: str | Path, tasks: Sequence, context: dict, specs: Sequence,
                 retry_errors: bool) -> tuple[int, int, int] | None:
    """``(already done, to compute, stored rows to be moved)`` of a sweep of ``tasks`` into
    ``output``, its warnings said as the run says them; None when ``output`` holds no rows yet
    (no file, no parts). Reads only: no lock taken, nothing written."""
    from .resume import reusable_rows

    store = SweepStore(output)
    if not (store.output.is_file() or store.parts_dir.is_dir()):
        return None
    store.dry_run = True
    kept = reusable_rows(store, {t.point_id for t in tasks}, context, specs, retry_errors)
    moved = 0 if store.replaced is None else len(store.replaced)
    return len(kept), len(tasks) - len(kept), moved


def stored_line(output: str | Path, stored: tuple[int, int, int] | None, runs: int) -> str:
    """``dry run: w1.parquet: 0 of the 832 runs already done, 832 to compute; 800 stored rows
    are to be moved to w1.replaced-<UTC time>.parquet (why: the warning lines above)``."""
    if stored is None:
        return f"dry run: {output} holds no rows yet: all {runs:,} runs to compute"
    done, todo, moved = stored
    p = Path(output)
    line = f"dry run: {output}: {done:,} of the {runs:,} runs already done, {todo:,} to compute"
    if moved:
        line += (f"; {moved:,} stored row{'s are' if moved != 1 else ' is'} to be moved to "
                 f"{p.stem}.replaced-<UTC time>{p.suffix} (why: the warning lines above)")
    return line
