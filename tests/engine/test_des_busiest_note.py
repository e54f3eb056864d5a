"""A DES latency well past the dependency path says why (find-C finding 6): one unit runs its
ops one after another, each paying its fixed latency (op_overhead), which the lower bounds leave
out. A traced bi-LSTM on gpu-hbm3 was 2x its path with no note; the analytic engine had one."""

from __future__ import annotations

import copy

from cimsim import simulate
from cimsim.workload import Op, Tensor, Workload
from conftest import ROUND_ARCH, make_arch


def _branches(n: int) -> Workload:
    """n independent adds of 16 elements, each reading x: no dependency between them."""
    ts = [Tensor("x", (16,), "fp32", "input")] + [Tensor(f"y{i}", (16,), "fp32", "activation") for i in range(n)]
    return Workload("branches", ts, [Op(f"add{i}", "elementwise", ("x",), (f"y{i}",), fn="add") for i in range(n)])


def _arch(overhead: str):
    proc = copy.deepcopy(ROUND_ARCH["processor"])
    proc["op_overhead"] = overhead
    return make_arch(processor=proc)


def test_two_branches_on_one_processor_say_they_queue():
    """Two independent ops of 1 us overhead each: the path is one op (1 us + its memory time), the
    DES runs both on the one processor, one after another: about 2x the path."""
    r = simulate(_arch("1 us"), _branches(2))
    [note] = [n for n in r.notes if n.startswith("des:")]
    assert r.latency_s > 1.5 * r.critical_path_s
    assert "the busiest unit (processor) runs its 2 ops one after another" in note
    assert "of it the ops' fixed latency, e.g. op_overhead, which the lower bounds leave out" in note


def test_no_note_where_the_latency_is_the_path():
    r = simulate(_arch("1 us"), _branches(1))
    assert not [n for n in r.notes if n.startswith("des:")]
