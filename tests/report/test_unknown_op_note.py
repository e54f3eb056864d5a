"""A run of a trace kept with --allow-unknown says which ops ran as generic stand-ins and that
the MACs of those without a FLOP formula are not counted; before, only `cimsim trace` said so
and the run's report looked like any other (an FFT model reported "0 MAC" with no word why)."""

from __future__ import annotations

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.workload import Op, Tensor, Workload

from conftest import ROUND_ARCH


def _wl(metadata=None) -> Workload:
    # what `cimsim trace --allow-unknown` writes for torch.fft.fft of a (4, 64) tensor
    return Workload("fft", [Tensor("x", (4, 64), "fp32", "input"),
                            Tensor("y", (4, 64), "fp32", "activation")],
                    [Op("_fft_c2c", "elementwise", ("x",), ("y",), fn="generic",
                        tags={"unknown": True})], metadata=metadata)


def test_a_run_of_unknown_ops_says_what_they_stand_in_for():
    meta = {"unknown_ops": [{"op": "aten._fft_c2c.default", "module": "", "where": "m.py:3",
                             "macs": None}]}
    r = simulate(architecture_from_dict(ROUND_ARCH), _wl(meta))
    note = [n for n in r.notes if "no mapping" in n]
    assert note == ["1 traced op(s) cimsim has no mapping for (aten._fft_c2c.default) ran as "
                    "generic elementwise ops: one vector op per output element, plus the MACs the "
                    "FLOP counter gave them; 1 had no FLOP formula, so any MACs they do are not "
                    "counted"]
    assert r.macs == 0


def test_a_workload_without_unknown_ops_gets_no_such_note():
    r = simulate(architecture_from_dict(ROUND_ARCH), _wl())
    assert not [n for n in r.notes if "no mapping" in n]
