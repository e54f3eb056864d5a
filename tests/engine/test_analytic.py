"""The analytic engine alone (engine/analytic.py): its three bounds and an op's isolated work
time, on hand-made arrays. Every expected value is written out from the module's rules
(critical path; busiest server; each link's total bytes over its rate; an op's compute ``C`` and
transfer ``X`` overlapped, serial ``C + X``, or in pieces ``max(X + C / p_c, C + X / p_x)``),
with binary-exact times so they compare with ``==``."""

from __future__ import annotations

import numpy as np
import pytest

from cimsim.engine.analytic import analytic_latency, op_work

_NO_PREDS = np.zeros(0, dtype=np.int64)


def test_a_links_bound_is_the_bytes_every_op_moves_over_it_at_its_rate():
    # two independent 1 s ops on two servers, each moving 4 B over link 0 (1 B/s) and 1 B over
    # link 1 (2 B/s): link 0 carries 8 B, 8 s, however the ops are spread; link 1 1 s
    indptr = np.zeros(3, dtype=np.int64)
    latency, bounds = analytic_latency(indptr, _NO_PREDS, np.array([0, 1]), np.array([1.0, 1.0]),
                                       np.array([[4.0, 1.0], [4.0, 1.0]]), np.array([1.0, 2.0]))
    assert bounds == {"critical_path_s": 1.0, "server_s": 1.0, "link_s": 8.0}
    assert latency == 8.0


def test_the_busiest_server_and_the_critical_path_bound_it_too():
    # ops 0 -> 1 on server 0 (1 s, 2 s), op 2 alone on server 0 too (4 s): the chain is 3 s,
    # server 0 is busy 7 s; no link
    indptr = np.array([0, 0, 1, 1], dtype=np.int64)
    latency, bounds = analytic_latency(indptr, np.array([0]), np.array([0, 0, 0]),
                                       np.array([1.0, 2.0, 4.0]), np.zeros((3, 0)), np.zeros(0))
    assert bounds == {"critical_path_s": 4.0, "server_s": 7.0, "link_s": 0.0}
    assert latency == 7.0


@pytest.mark.parametrize("compute, pieces, work", [
    (1.0, (2.0, 2.0), 2.5),  # X = 2: max(2 + 1/2, 1 + 2/2)
    (1.0, (4.0, 1.0), 3.0),  # max(2 + 1/1, 1 + 2/4)
    (4.0, (2.0, 2.0), 5.0),  # max(2 + 4/2, 4 + 2/2)
    (4.0, (2.0, np.inf), 5.0),  # max(2 + 0, 4 + 2/2)
    (4.0, (np.inf, 2.0), 4.0),  # max(2 + 4/2, 4 + 0)
    (1.0, (np.inf, np.inf), 2.0),  # max(2, 1): no pieces add nothing
])
def test_an_op_in_pieces_pays_its_first_arrival_and_last_piece(compute, pieces, work):
    # the DES's rule (tests/engine/test_engine.py, the same cases with 0.5 s of latency on top)
    got = op_work(np.array([False]), np.array([pieces]), np.array([compute]), np.array([2.0]))
    assert got.tolist() == [work]


def test_overlapped_and_serial_work():
    # C = 1 s, X = 2 s: overlapped max(1, 2) = 2 s, serial 1 + 2 = 3 s (pieces or not)
    serial, c, x = np.array([False, True]), np.array([1.0, 1.0]), np.array([2.0, 2.0])
    assert op_work(serial, None, c, x).tolist() == [2.0, 3.0]
    assert op_work(serial, np.array([[2.0, 2.0]] * 2), c, x).tolist() == [2.5, 3.0]


def test_ops_not_in_topological_order_are_refused():
    # find-W #4: op 0 depends on op 1 (a chain of two 1 s ops, 2 s); the longest-path pass
    # in listing order read op 1's distance before it was set and gave 1 s, silently
    from cimsim.engine.analytic import analytic_latency
    from cimsim.engine.des import simulate_dag
    ip, ix = np.array([0, 1, 1]), np.array([1])
    args = (ip, ix, np.array([0, 1]))
    assert simulate_dag(*args, np.ones(2), np.zeros(2), np.zeros((2, 1)), np.ones(1)).makespan == 2.0
    with pytest.raises(ValueError, match="not in topological order: op 0 depends on op 1"):
        analytic_latency(*args, np.ones(2), np.zeros((2, 1)), np.ones(1))
    # a self-loop too
    with pytest.raises(ValueError, match="op 1 depends on op 1"):
        analytic_latency(np.array([0, 0, 1]), np.array([1]), np.array([0, 0]), np.ones(2),
                         np.zeros((2, 0)), np.zeros(0))
