"""Writing weights into the arrays: the arithmetic of one programming, shared by the
re-programming a run pays (:mod:`.reprogram`, the ``write`` energy part and the op's time) and
the one-time programming before the run (deployment), which a run reports but does not charge.

Write model (``write_energy``, ``write_latency``, ``write_verify_pulses`` = P, default 1):

- energy of a matrix: every cell once, ``k x physical columns x write_energy x P``;
- time of a matrix: its arrays are written in parallel, row by row, ``rounds x min(k, rows) x
  write_latency x P`` (a matrix larger than all arrays in ``rounds``); copies of a matrix are
  more arrays of it, written with it;
- P pulses per cell: multi-level resistive cells are programmed by iterative
  program-and-verify (NeuRRAM: Wan et al., Nature 608, 504-512, 2022, its iterative
  write-verify programming), so each cell takes P write pulses and their time.

Deployment (the results' ``programming_energy_j`` and ``programming_time_s``): the matrices a
device holds before the run -- all of them, every copy, when they fit; the pinned ones of
:mod:`.reprogram` rule 2 otherwise (a matrix re-programmed during the run is charged there,
not here) -- each once, one matrix after another as re-programming writes them; the devices of
pipeline stages program at once (the time is the slowest device's). Not added to the run's
energy or latency: amortise it over the runs (each ``samples_per_run`` samples) between
programmings.
"""

from __future__ import annotations

import numpy as np

from ...units import si


def write_energy(c, k, phys_cols):
    """Energy to program a k-row matrix on ``phys_cols`` physical columns once (J)."""
    return k * phys_cols * c.write_energy * c.write_verify_pulses


def write_time(c, k, rounds=1.0):
    """Time to program a k-row matrix's arrays, in parallel, row by row, ``rounds`` times (s)."""
    return rounds * np.minimum(k, c.rows) * c.write_latency * c.write_verify_pulses


def deployment(c, k, phys_cols, first_ops, copies) -> tuple[float, float]:
    """``(energy J, time s)`` of programming, before the run, the matrices whose first ops
    are ``first_ops`` (indices into ``k`` and ``phys_cols``), ``copies`` of each (an array or a
    scalar)."""
    first_ops = np.asarray(first_ops, dtype=np.int64)
    if not len(first_ops):
        return 0.0, 0.0
    kk, pc = np.asarray(k, dtype=np.float64)[first_ops], np.asarray(phys_cols)[first_ops]
    return (float((write_energy(c, kk, pc) * copies).sum()), float(write_time(c, kk).sum()))


def deployed_text(energy: float, time: float) -> str:
    """The notes' words for a deployment of ``energy`` J over ``time`` s (the results'
    ``programming_energy_j`` and ``programming_time_s``), which the run does not charge."""
    return (f"programmed once before the run ({si(energy, 'J')}, {si(time, 's')}, not charged: "
            "programming_energy_j, programming_time_s)")
