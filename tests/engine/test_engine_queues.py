"""The engine's two optional link rules, alone: exclusive transfers (a queue behind a transfer
that holds its link, non-preemptive) and loaded latency (a per-link curve of extra latency
against the share of the link other transfers used meanwhile).

Exact event logs of hand-made DAGs, in the style of ``test_engine.py``: every expected time is
worked out from the rules in :mod:`cimsim.engine.des`, with binary-exact numbers, and compared
with ``==`` on both implementations (the compiled replay with SimPy stretches, and SimPy alone).
Then both implementations against each other, bit for bit, on random DAGs using both rules.
"""

from __future__ import annotations

import numpy as np
import pytest

from cimsim.engine import des
from cimsim.engine.des import simulate_dag
from test_engine import csr, log
from test_engine_paths import HANDOVER_SETTINGS, random_dag

METHODS = ["auto", "simpy"]


def run(preds, server, compute, link_bytes, rates, *, latency=None, serial=None, exclusive=None,
        curves=None, method="auto"):
    n = len(preds)
    indptr, indices = csr(preds)
    return simulate_dag(indptr, indices, np.asarray(server, dtype=np.int64),
                        np.asarray(compute, dtype=float),
                        np.zeros(n) if latency is None else np.asarray(latency, dtype=float),
                        np.asarray(link_bytes, dtype=float).reshape(n, -1),
                        np.asarray(rates, dtype=float),
                        None if serial is None else np.asarray(serial, dtype=bool),
                        method=method,
                        exclusive=None if exclusive is None else np.asarray(exclusive, bool).reshape(n, -1),
                        link_latency=curves)


# --------------------------------------------------------------------------- exclusive transfers
@pytest.mark.parametrize("method", METHODS)
def test_transfer_issued_during_an_exclusive_one_waits_then_runs_alone(method):
    # op 0 holds the link (1 B/s) for its 4 B: 0..4. Op 2 (server 1) issues 2 B at t = 1,
    # after op 1's 1 s of compute: it waits until 4, then runs alone: ends at 4 + 2 = 6
    # (shared, it would end at 5 and delay op 0 to 6)
    rec = run([[], [], [1]], [0, 1, 1], [0.0, 1.0, 0.0], [[4.0], [0.0], [2.0]], [1.0],
              exclusive=[[True], [False], [False]], method=method)
    assert log(rec) == [(0.0, 4.0), (0.0, 1.0), (1.0, 6.0)]
    assert rec.link_busy_s.tolist() == [6.0]
    shared = run([[], [], [1]], [0, 1, 1], [0.0, 1.0, 0.0], [[4.0], [0.0], [2.0]], [1.0],
                 method=method)
    assert log(shared) == [(0.0, 6.0), (0.0, 1.0), (1.0, 5.0)]


@pytest.mark.parametrize("method", METHODS)
def test_exclusive_transfer_waits_for_the_link_to_empty_and_later_ones_queue_behind_it(method):
    # A (server 0): 4 B from 0. X (server 1, after 1 s): 2 B exclusive at 1 -> waits for A
    # (alone until 4), runs 4..6. B (server 2, after 2 s): 1 B at 2, queued behind X: 6..7
    preds = [[], [], [1], [], [3]]
    rec = run(preds, [0, 1, 1, 2, 2], [0.0, 1.0, 0.0, 2.0, 0.0],
              [[4.0], [0.0], [2.0], [0.0], [1.0]], [1.0],
              exclusive=[[False], [False], [True], [False], [False]], method=method)
    assert log(rec) == [(0.0, 4.0), (0.0, 1.0), (1.0, 6.0), (0.0, 2.0), (2.0, 7.0)]


@pytest.mark.parametrize("method", METHODS)
def test_queued_non_exclusive_transfers_start_together_and_share(method):
    # X exclusive 2 B from 0 (rate 2 B/s: 0..1); A and B (1 B each) issued at 0.5 queue,
    # then share from 1: 1 B each at 1 B/s -> both end at 2
    preds = [[], [], [1], [], [3]]
    rec = run(preds, [0, 1, 1, 2, 2], [0.0, 0.5, 0.0, 0.5, 0.0],
              [[2.0], [0.0], [1.0], [0.0], [1.0]], [2.0],
              exclusive=[[True], [False], [False], [False], [False]], method=method)
    assert log(rec) == [(0.0, 1.0), (0.0, 0.5), (0.5, 2.0), (0.0, 0.5), (0.5, 2.0)]


@pytest.mark.parametrize("method", METHODS)
def test_exclusive_on_an_idle_link_is_plain(method):
    rec = run([[], [0]], [0, 0], [0.5, 0.0], [[2.0], [2.0]], [4.0],
              exclusive=[[True], [True]], method=method)
    assert log(rec) == [(0.0, 0.5), (0.5, 1.0)]


# --------------------------------------------------------------------------- loaded latency
U = ([0.0, 1.0], [0.0, 1.0])  # extra latency = u seconds


@pytest.mark.parametrize("method", METHODS)
def test_loaded_latency_from_the_share_others_used(method):
    # ops 0 (3 B) and 1 (1 B) share a 1 B/s link from 0: op 1 is through at 2 having had
    # u = 1 - 1/(1 x 2) = 0.5 -> ends 2.5; op 0 moves its last 2 B alone, through at 4,
    # u = 1 - 3/4 = 0.25 -> ends 4.25. Op 2 (after both, alone) has no extra: 4.25 + 2
    rec = run([[], [], [0, 1]], [0, 1, 0], [0.0, 0.0, 0.0], [[3.0], [1.0], [2.0]], [1.0],
              curves=[U], method=method)
    assert log(rec) == [(0.0, 4.25), (0.0, 2.5), (4.25, 6.25)]
    assert rec.link_busy_s.tolist() == [6.0]  # the extra latency does not occupy the link


@pytest.mark.parametrize("method", METHODS)
def test_loaded_latency_overlaps_compute_then_adds_fixed_latency(method):
    # as above, but op 0 computes 5 s (hides its 4.25) and op 1 has a fixed latency of 0.5
    rec = run([[], []], [0, 1], [5.0, 0.0], [[3.0], [1.0]], [1.0], latency=[0.0, 0.5],
              curves=[U], method=method)
    assert log(rec) == [(0.0, 5.0), (0.0, 3.0)]


@pytest.mark.parametrize("method", METHODS)
def test_loaded_latency_of_a_serial_op_comes_before_its_compute(method):
    rec = run([[], []], [0, 1], [1.0, 0.0], [[3.0], [1.0]], [1.0], serial=[True, False],
              curves=[U], method=method)
    assert log(rec) == [(0.0, 5.25), (0.0, 2.5)]


@pytest.mark.parametrize("method", METHODS)
def test_waiting_counts_as_load_and_curves_interpolate(method):
    # X exclusive 3 B (0..3); A's 1 B, issued at 0 too, waits until 3 and runs 3..4: d = 4,
    # u = 1 - 1/4 = 0.75; on the curve (0, 0), (0.5, 0.25), (1, 1): 0.25 + 0.75 x 0.25 / 0.5
    # = 0.625. X shared nothing of the link's capacity (u = 1 - 3/3 = 0): no extra
    curve = ([0.0, 0.5, 1.0], [0.0, 0.25, 1.0])
    rec = run([[], []], [0, 1], [0.0, 0.0], [[3.0], [1.0]], [1.0],
              exclusive=[[True], [False]], curves=[curve], method=method)
    assert log(rec) == [(0.0, 3.0), (0.0, 4.625)]


def test_curve_past_its_last_point_is_held_and_links_without_one_are_plain():
    # u = 0.5 beyond a curve that ends at 0.25 -> its last value; the second link has none
    curve = ([0.0, 0.25], [0.0, 0.125])
    rec = run([[], []], [0, 1], [0.0, 0.0], [[1.0, 1.0], [1.0, 1.0]], [1.0, 1.0],
              curves=[curve, None])
    # both links: each op through at 2 with u = 0.5; link 0 adds 0.125
    assert log(rec) == [(0.0, 2.125), (0.0, 2.125)]
    rec = run([[], []], [0, 1], [0.0, 0.0], [[0.0, 1.0], [0.0, 1.0]], [1.0, 1.0],
              curves=[curve, None])
    assert log(rec) == [(0.0, 2.0), (0.0, 2.0)]


@pytest.mark.parametrize("bad", [([0.5, 1.0], [0.0, 1.0]), ([0.0, 1.0], [0.5, 1.0]),
                                 ([0.0, 0.0], [0.0, 1.0]), ([0.0, 1.0], [0.0, -1.0]), ([0.0], [0.0])])
def test_bad_curves_are_refused(bad):
    with pytest.raises(ValueError, match="loaded-latency curve"):
        run([[]], [0], [0.0], [[1.0]], [1.0], curves=[bad])


# --------------------------------------------------------------------------- both paths, random DAGs
@pytest.mark.parametrize("handover", HANDOVER_SETTINGS)
@pytest.mark.parametrize("grid", [True, False])
def test_replay_equals_simpy_bit_for_bit_with_queues_and_curves(handover, grid, monkeypatch):
    after, most, least = handover
    monkeypatch.setattr(des, "HANDBACK_AFTER", after)
    monkeypatch.setattr(des, "MAX_HANDOVERS", most)
    monkeypatch.setattr(des, "MIN_REPLAY_EVENTS", least)
    rng = np.random.default_rng(20)
    prng = np.random.default_rng(21)  # pieces on every other run, from their own stream
    paths = []
    for r in range(300):
        n = int(rng.integers(1, 60))
        n_links = int(rng.integers(1, 3))
        args = random_dag(rng, n, int(rng.integers(1, 5)), n_links,
                          float(rng.choice([0.05, 0.3, 1.0])), grid)
        excl = rng.random((n, n_links)) < 0.3
        curves = [([0.0, 0.5, 1.0], [0.0, 0.125, 1.0]) if rng.random() < 0.7 else None
                  for _ in range(n_links)]
        if not grid:
            curves = [None if c is None else (c[0], [x * 1e-4 for x in c[1]]) for c in curves]
        kw = {"pieces": prng.choice([np.inf, 1.0, 2.0, 3.0], (n, 2))} if r % 2 else {}
        fast = simulate_dag(*args, exclusive=excl, link_latency=curves, **kw)
        ref = simulate_dag(*args, method="simpy", exclusive=excl, link_latency=curves, **kw)
        paths.append(fast.path)
        assert fast.start.tolist() == ref.start.tolist()
        assert fast.end.tolist() == ref.end.tolist()
        assert fast.link_busy_s.tolist() == ref.link_busy_s.tolist()
        # every op ends no earlier than without the rules' delays ... and the rules never
        # lose work: the links' busy time is at least their bytes over their rates
        assert (fast.link_busy_s >= args[5].sum(axis=0) / args[6] * (1 - 1e-12)).all()
    assert paths.count("stitched") > 50 and paths.count("uncontended") > 20


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("pim_server", [0, 1])
def test_exclusive_transfer_issued_at_one_instant_goes_in_program_order(method, pim_server):
    # find-W #1: a blocked PIM op (op 0, exclusive) and a host op (op 1) both issue 2**20 B
    # on a 2**30 B/s link at t = 0: op 0 is first in program order, so it holds the link
    # for 2**-10 s and the host transfer queues behind it (ends 2**-9), whatever the server
    # numbers (before: the processor's server 0 always issued first)
    b, r = [[2.0**20], [2.0**20]], [2.0**30]
    rec = run([[], []], [pim_server, 1 - pim_server], [0.0, 0.0], b, r,
              exclusive=[[True], [False]], method=method)
    assert log(rec) == [(0.0, 2.0**-10), (0.0, 2.0**-9)]
    # listed the other way round, the host transfer goes first and the PIM op waits
    rec = run([[], []], [1 - pim_server, pim_server], [0.0, 0.0], b, r,
              exclusive=[[False], [True]], method=method)
    assert log(rec) == [(0.0, 2.0**-10), (0.0, 2.0**-9)]
