"""The discrete-event engine alone: exact event logs of hand-made DAGs.

``simulate_dag`` is called directly with arrays; every expected time is written
out from the engine's documented rules (servers run one op at a time in index
order among ready ops; links are shared equally among concurrent transfers;
an op takes max(compute, transfers) and then its fixed latency). Times are
chosen binary-exact (powers of two) so the logs compare with ``==``.
"""

from __future__ import annotations

import contextlib
import signal

import numpy as np
import pytest

from cimsim.engine.des import simulate_dag


def csr(preds: list[list[int]]):
    """Predecessor lists -> CSR ``(indptr, indices)``."""
    indptr = np.zeros(len(preds) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(p) for p in preds])
    indices = np.array([j for p in preds for j in sorted(p)], dtype=np.int64)
    return indptr, indices


def run(preds, server, compute, latency=None, link_bytes=None, link_rates=None):
    n = len(preds)
    indptr, indices = csr(preds)
    latency = np.zeros(n) if latency is None else np.asarray(latency, dtype=float)
    if link_bytes is None:
        link_bytes = np.zeros((n, 0))
        link_rates = np.zeros(0)
    return simulate_dag(indptr, indices, np.asarray(server, dtype=np.int64),
                        np.asarray(compute, dtype=float), latency,
                        np.asarray(link_bytes, dtype=float).reshape(n, -1) if n else
                        np.asarray(link_bytes, dtype=float),
                        np.asarray(link_rates, dtype=float))


def log(rec):
    return list(zip(rec.start.tolist(), rec.end.tolist()))


# --------------------------------------------------------------------------- servers
def test_chain_on_one_server():
    rec = run([[], [0], [1]], [0, 0, 0], [1.0, 2.0, 0.5])
    assert log(rec) == [(0.0, 1.0), (1.0, 3.0), (3.0, 3.5)]
    assert rec.makespan == 3.5


def test_independent_ops_on_two_servers_overlap():
    rec = run([[], []], [0, 1], [1.0, 0.5])
    assert log(rec) == [(0.0, 1.0), (0.0, 0.5)]
    assert rec.makespan == 1.0


def test_independent_ops_on_one_server_serialise_in_index_order():
    # op 1 is shorter, but op 0 comes first in program order
    rec = run([[], [], []], [0, 0, 0], [1.0, 0.5, 0.25])
    assert log(rec) == [(0.0, 1.0), (1.0, 1.5), (1.5, 1.75)]


def test_server_takes_lowest_ready_index_not_lowest_index_overall():
    # server 1: op 1 and op 3 are ready at 0; op 2 waits for op 0 (server 0).
    # op 1 runs 0..0.5, then op 3 (the only ready op) 0.5..1.5; op 2 becomes
    # ready at 1.0 but the server is busy (no preemption) -> 1.5..1.75.
    rec = run([[], [], [0], []], [0, 1, 1, 1], [1.0, 0.5, 0.25, 1.0])
    assert log(rec) == [(0.0, 1.0), (0.0, 0.5), (1.5, 1.75), (0.5, 1.5)]


def test_lower_index_op_ready_at_same_time_goes_first():
    # ops 1 and 2 both wait for op 0 and share server 1: index order decides
    rec = run([[], [0], [0]], [0, 1, 1], [1.0, 0.5, 0.25])
    assert log(rec) == [(0.0, 1.0), (1.0, 1.5), (1.5, 1.75)]


def test_diamond_dag():
    #      0 (s0, 1)
    #     /         \
    #  1 (s0, 2)   2 (s1, 0.5)
    #     \         /
    #      3 (s0, 0.25)
    rec = run([[], [0], [0], [1, 2]], [0, 0, 1, 0], [1.0, 2.0, 0.5, 0.25])
    assert log(rec) == [(0.0, 1.0), (1.0, 3.0), (1.0, 1.5), (3.0, 3.25)]
    assert rec.makespan == 3.25


def test_empty_dag():
    rec = run([], [], [], link_bytes=np.zeros((0, 2)), link_rates=[1.0, 2.0])
    assert rec.start.shape == (0,) and rec.end.shape == (0,)
    assert rec.makespan == 0.0
    assert rec.link_busy_s.tolist() == [0.0, 0.0]


def test_zero_work_op_starts_and_ends_together():
    rec = run([[], [0]], [0, 0], [0.0, 0.5])
    assert log(rec) == [(0.0, 0.0), (0.0, 0.5)]


def test_cycle_is_reported():
    # op 0 waits for op 1 and op 1 for op 0: nothing can ever start
    indptr = np.array([0, 1, 2], dtype=np.int64)
    indices = np.array([1, 0], dtype=np.int64)
    with pytest.raises(RuntimeError, match="cycle"):
        simulate_dag(indptr, indices, np.array([0, 0]), np.array([1.0, 1.0]), np.zeros(2),
                     np.zeros((2, 0)), np.zeros(0))


# --------------------------------------------------------------------------- latency
def test_latency_elapses_after_work_and_delays_successor():
    rec = run([[], [0]], [0, 0], [1.0, 0.5], latency=[0.25, 0.125])
    assert log(rec) == [(0.0, 1.25), (1.25, 1.875)]


def test_server_is_held_during_latency():
    # independent ops on one server: the second starts after the first's latency
    rec = run([[], []], [0, 0], [1.0, 0.5], latency=[0.5, 0.0])
    assert log(rec) == [(0.0, 1.5), (1.5, 2.0)]


def test_latency_only_op():
    rec = run([[]], [0], [0.0], latency=[0.25])
    assert log(rec) == [(0.0, 0.25)]


# --------------------------------------------------------------------------- links
B = float(2**20)  # bytes
R = float(2**30)  # bytes/s -> B / R = 2**-10 s exactly
T = B / R


def test_single_transfer_takes_bytes_over_rate():
    rec = run([[]], [0], [0.0], link_bytes=[[B]], link_rates=[R])
    assert log(rec) == [(0.0, T)]
    assert rec.link_busy_s.tolist() == [T]


def test_two_equal_concurrent_transfers_share_the_link():
    # processor sharing: each gets R/2, both finish at 2B/R
    rec = run([[], []], [0, 1], [0.0, 0.0], link_bytes=[[B], [B]], link_rates=[R])
    assert log(rec) == [(0.0, 2 * T), (0.0, 2 * T)]
    assert rec.link_busy_s.tolist() == [2 * T]


def test_unequal_concurrent_transfers():
    # B and 3B: both at R/2 until the small one finishes at 2B/R; the big one
    # then has 3B - B = 2B left alone at R: 2B/R more -> 4B/R
    rec = run([[], []], [0, 1], [0.0, 0.0], link_bytes=[[B], [3 * B]], link_rates=[R])
    assert log(rec) == [(0.0, 2 * T), (0.0, 4 * T)]
    assert rec.link_busy_s.tolist() == [4 * T]


def test_staggered_transfer_shares_from_its_start():
    # op 0 (server 0) moves 2B from t=0; op 2 (server 1) waits for op 1
    # (compute B/R) and moves B from t=B/R. Until B/R op 0 alone moves B;
    # then both have B left at R/2 each -> both end at B/R + 2B/R = 3B/R
    rec = run([[], [], [1]], [0, 1, 1], [0.0, T, 0.0],
              link_bytes=[[2 * B], [0.0], [B]], link_rates=[R])
    assert log(rec) == [(0.0, 3 * T), (0.0, T), (T, 3 * T)]


def test_transfers_on_different_links_do_not_share():
    rec = run([[], []], [0, 1], [0.0, 0.0], link_bytes=[[B, 0.0], [0.0, B]], link_rates=[R, R])
    assert log(rec) == [(0.0, T), (0.0, T)]
    assert rec.link_busy_s.tolist() == [T, T]


def test_op_on_two_links_waits_for_slower():
    rec = run([[]], [0], [0.0], link_bytes=[[B, B]], link_rates=[R, R / 4])
    assert log(rec) == [(0.0, 4 * T)]


@pytest.mark.parametrize("compute, nbytes, expected_work", [
    (1.0 * T, 4 * B, 4 * T),  # transfer-bound
    (4.0 * T, B, 4 * T),  # compute-bound
])
def test_compute_and_transfer_overlap_then_latency(compute, nbytes, expected_work):
    lat = T / 2
    rec = run([[]], [0], [compute], latency=[lat], link_bytes=[[nbytes]], link_rates=[R])
    assert log(rec) == [(0.0, expected_work + lat)]


def test_link_idle_gap_not_counted_busy():
    # two transfers in sequence on one server with compute between them
    rec = run([[], [0], [1]], [0, 0, 0], [0.0, T, 0.0],
              link_bytes=[[B], [0.0], [B]], link_rates=[R])
    assert log(rec) == [(0.0, T), (T, 2 * T), (2 * T, 3 * T)]
    assert rec.link_busy_s.tolist() == [2 * T]


@contextlib.contextmanager
def deadline(seconds: float):
    """Raise TimeoutError in the main thread if the block runs longer than ``seconds``."""
    def _raise(signum, frame):
        raise TimeoutError(f"simulation did not finish within {seconds} s (livelock?)")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _late_transfer(t0: float, nbytes: float, rate: float):
    with deadline(1.0):
        rec = run([[], [0]], [0, 0], [t0, 0.0], link_bytes=[[0.0], [nbytes]], link_rates=[rate])
    assert rec.start[1] == t0
    assert rec.end[1] == pytest.approx(t0 + nbytes / rate, rel=1e-12, abs=0)


# Regression: des._Link once finished a transfer only when its remaining bytes were
# <= max(1e-6, 1e-12*nbytes); at a large env.now the rounding of now - last left more
# than that and the re-scheduled timeout fell below half an ulp of now: an endless loop.
@pytest.mark.parametrize("t0, nbytes, rate", [
    (0.01, 8192.0, 2.3e12),
    (12345.678, 123456.789, 1e11),
    (1.0, 123456.789, 1e11),
    (1000.0, 123456.789, 1e11),
    # an 8 KiB vector over an HBM-class bus 62.5 ms into a run: a realistic case
    (0.0625, 8192.0, 2.3e12),
    (0.3, 1000.0, 2.3e12),
])
def test_transfer_late_in_a_long_run_terminates(t0, nbytes, rate):
    _late_transfer(t0, nbytes, rate)


@pytest.mark.parametrize("compute, pieces, end", [
    # op 0: 2 B over a 1 B/s link (transfers through at 2 s), latency 0.5 s
    (1.0, (np.inf, np.inf), 2.5),  # overlapped: max(2, 1) + 0.5
    (1.0, (1.0, 1.0), 3.5),  # one piece each: 2 + 1 + 0.5, the serial op's sum
    (1.0, (2.0, 2.0), 3.0),  # max(2 + 1/2, 1 + 2/2) + 0.5: the last row computed after
    (1.0, (4.0, 1.0), 3.5),  # max(2 + 1/1, 1 + 2/4) + 0.5: compute in one piece
    (4.0, (2.0, 2.0), 5.5),  # compute-bound: max(2 + 4/2, 4 + 2/2) + 0.5: waits for row 1
    (4.0, (2.0, np.inf), 5.5),  # max(2 + 0, 4 + 2/2) + 0.5
    (4.0, (np.inf, 2.0), 4.5),  # max(2 + 4/2, 4 + 0) + 0.5
])
def test_op_in_pieces_pays_its_first_arrival_and_last_row(compute, pieces, end):
    rec = simulate_dag(np.array([0, 0]), np.zeros(0, dtype=np.int64), np.array([0]),
                       np.array([compute]), np.array([0.5]), np.array([[2.0]]), np.array([1.0]),
                       np.array([False]), pieces=np.array([pieces]))
    assert (rec.start[0], rec.end[0]) == (0.0, end)


def test_op_in_pieces_counts_its_transfers_as_they_ran_shared():
    # ops 0 and 1 on two servers, each 2 B over one 1 B/s link, shared: both through at 4 s;
    # op 1 (compute 1 s, pieces (2, 2)) ends at max(4 + 1/2, 1 + 4/2) = 4.5 s, op 0
    # (overlapped, compute 1 s) at max(4, 1) = 4 s
    rec = simulate_dag(np.zeros(3, dtype=np.int64), np.zeros(0, dtype=np.int64), np.array([0, 1]),
                       np.array([1.0, 1.0]), np.zeros(2), np.array([[2.0], [2.0]]),
                       np.array([1.0]), pieces=np.array([[np.inf, np.inf], [2.0, 2.0]]))
    assert rec.end.tolist() == [4.0, 4.5]


@pytest.mark.parametrize("pieces", [np.array([[0.5, 1.0]]), np.array([[np.nan, 1.0]]),
                                    np.array([1.0, 1.0])])
def test_pieces_below_one_or_of_the_wrong_shape_are_refused(pieces):
    with pytest.raises(ValueError, match="pieces is"):
        simulate_dag(np.array([0, 0]), np.zeros(0, dtype=np.int64), np.array([0]),
                     np.array([1.0]), np.zeros(1), np.array([[2.0]]), np.array([1.0]),
                     pieces=pieces)


def test_serial_op_computes_after_its_transfers():
    # op 0: compute 1 s, 2 B over a 1 B/s link, latency 0.5 s
    # overlapped: max(1, 2) + 0.5 = 2.5 s; serial: 2 + 1 + 0.5 = 3.5 s
    for serial, end in ((False, 2.5), (True, 3.5)):
        rec = simulate_dag(np.array([0, 0]), np.zeros(0, dtype=np.int64), np.array([0]),
                           np.array([1.0]), np.array([0.5]), np.array([[2.0]]), np.array([1.0]),
                           np.array([serial]))
        assert (rec.start[0], rec.end[0]) == (0.0, end)



# --------------------------------------------------------------------------- simultaneous events
# (test_engine_paths runs these on the SimPy path and the naive reference too)
@pytest.mark.parametrize("producer", [0, 1])
def test_op_ready_when_its_server_frees_competes_by_index(producer):
    # find-W e3: op 2 waits for op `producer` (on server 1), op 3 is free-standing; ops 2, 3
    # and the other of ops 0, 1 share server 0; ops 0 and 1 end at 1 s. At t = 1 server 0
    # frees and op 2 becomes ready in the same instant: op 2 (index 2) goes before op 3.
    # Before: the default engine ran op 3 first with producer 0 (server numbering), the
    # naive reference with producer 1 (AllOf's extra event)
    server = [1, 0, 0, 0] if producer == 0 else [0, 1, 0, 0]
    rec = run([[], [], [producer], []], server, [1.0] * 4)
    assert log(rec) == [(0.0, 1.0), (0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]


def test_ops_ready_at_one_instant_on_an_idle_server_go_by_index():
    # ops 0 and 1 end at 1 s; op 2 waits for both, op 3 for op 1 only; both run on the idle
    # server 2: op 2 first (index order), though op 3's last input was the earlier event
    rec = run([[], [], [0, 1], [1]], [0, 1, 2, 2], [1.0, 1.0, 1.0, 1.0])
    assert log(rec) == [(0.0, 1.0), (0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]


def test_a_transfer_ahead_runs_before_the_ops_other_transfers():
    """One op, 100 B over link 0 (10 B/s) ahead of 300 B over link 1 (100 B/s), 1 s compute,
    serial: 100 / 10 + 300 / 100 + 1 = 14 s (without ahead the two overlap: max(10, 3) + 1 =
    11 s); overlapped (not serial): max(13, 1) = 13 s."""
    for serial, want in ((True, 14.0), (False, 13.0)):
        rec = simulate_dag(np.array([0, 0]), np.zeros(0, np.int64), np.array([0]),
                           np.array([1.0]), np.array([0.0]), np.array([[100.0, 300.0]]),
                           np.array([10.0, 100.0]), np.array([serial]),
                           ahead=np.array([[True, False]]))
        assert rec.makespan == pytest.approx(want, rel=1e-12, abs=0)
