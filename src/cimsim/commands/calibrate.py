"""``cimsim calibrate``: an architecture config measured on this machine."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..calibrate.timing import CALIBRATION_STATISTIC, ENV_VAR, STATISTICS
from . import OneLineErrors, full_path


@click.command("calibrate", cls=OneLineErrors)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Architecture config (YAML) to write.")
@click.option("--quick", is_flag=True, help="Fewer, shorter benchmarks (a few seconds; coarser).")
@click.option("--numpy", "use_numpy", is_flag=True, help="Time NumPy's kernels even if torch is installed.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Torch threads to time with (default: torch's own setting); the config's cores.")
@click.option("--timing", type=click.Choice(STATISTICS), default=CALIBRATION_STATISTIC, show_default=True,
              envvar=ENV_VAR,
              help=f"Statistic of repeated calls each figure is (also ${ENV_VAR}): median, an op's "
                   "typical time, which a workload's calls are made of; min, the least disturbed "
                   "call, on a machine other jobs load.")
def calibrate(output: Path, quick: bool, use_numpy: bool, threads: int | None, timing: str) -> None:
    """Measure this host (DRAM and last-level-cache bandwidth, cache size, matmul
    throughput per dtype, per-op overhead) and write it as an architecture config."""
    from ..calibrate import Timing
    from ..calibrate import calibrate as run_calibration

    command = "cimsim calibrate " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else "cimsim calibrate"
    cal, _ = run_calibration(output, quick=quick, prefer_torch=not use_numpy, command=command.strip(),
                             log=lambda m: click.echo(m, err=True), threads=threads,
                             timing=Timing(statistic=timing))
    click.echo(summary_line(full_path(output), cal))
    for note in cal.notes:
        click.echo(f"note: {note}", err=True)


def summary_line(path, cal) -> str:
    """The "wrote ..." line: the fp32 peak the config uses (the fastest of the square mm and the
    matmul table, not the square mm alone: find-C 1), and a warning when notes follow."""
    from ..report.format import si

    line = (f"wrote {path}: DRAM {si(cal.dram_read_bps, 'B/s', 3)} read, LLC "
            f"{cal.llc_capacity_bytes / 2**20:.3g} MiB at {si(cal.llc_bps, 'B/s', 3)}, fp32 peak "
            f"{si(cal.fp32_peak, 'MAC/s', 3)} (square mm n={cal.matmul_n['fp32']}: "
            f"{si(cal.matmul_macs_per_s['fp32'], 'MAC/s', 3)}), op overhead "
            f"{si(cal.op_overhead_s, 's', 3)} ({cal.seconds:.0f} s)")
    if cal.notes:
        line += f"; warning: {len(cal.notes)} note(s) below, check them before using the config"
    return line
