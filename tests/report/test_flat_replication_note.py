"""find-D 3: rram-cim states ``weight_replication: true`` (ISAAC copies weights to balance its
layer pipeline), yet a flat CIM (no ``chip:`` block) has no ``pipelined_*`` columns and its
``samples_per_s`` is samples_per_run / latency_s, with nothing saying so. Now a run note says why
the steady-state rate is absent and how to get it (a ``chip:`` block); a chip config has the
columns and no such note."""

from __future__ import annotations

import warnings

import pytest

from cimsim import load_architecture, simulate
from cimsim.report import columns as C
from cimsim.workload.generators import matmul


def _run(config, **over):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return simulate(load_architecture(config, overrides=over), matmul(128, 128, 1),
                        engine="analytic")


def _notes(r):
    return [n for n in r.notes if "is flat (no cim.chip block)" in n]


@pytest.mark.parametrize("config", ["rram-cim", "sram-cim"])
def test_a_flat_replicating_cim_says_why_it_has_no_pipelined_rate(config):
    r = _run(config)
    (note,) = _notes(r)
    assert note.startswith("pipeline: cim.weight_replication copies weights as for a layer pipeline")
    assert "state a cim.chip block" in note and "Throughput of the pipeline" in note
    row = r.record()
    assert C.PIPELINED_SAMPLES_PER_S not in row
    # one sample: samples_per_s is 1 / latency_s, as the note says
    assert row[C.SAMPLES_PER_S] == pytest.approx(1 / row["latency_s"], rel=1e-12, abs=0)


def test_no_note_without_replication_or_with_a_chip_block():
    assert _notes(_run("rram-cim", **{"cim.weight_replication": False})) == []
    chip = _run("isaac-chip")
    assert _notes(chip) == [] and C.PIPELINED_SAMPLES_PER_S in chip.record()
