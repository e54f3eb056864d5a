"""The report layer: bound classification, critical-path attribution, derived metrics."""

from __future__ import annotations

import numpy as np
import pytest

from cimsim import simulate
from cimsim.report import columns as C
from cimsim.report.realised import realized_critical_path
from cimsim.report.result import attribute_path, bound_of
from cimsim.workload.generators import lstm


RES = ("sram", "dram", "link")  # two memory levels and a link
LEVELS = ("sram", "dram")


def _parts(**kw):
    return {p: kw.get(p, 0.0) for p in (*RES, *C.PATH_FIXED)}


@pytest.mark.parametrize("parts, latency, cp, expected", [
    (_parts(dram=3, compute=1, overhead=1), 5, 5, ("memory", "dram")),
    (_parts(sram=3, compute=1, overhead=1), 5, 5, ("memory", "sram")),
    (_parts(link=3, compute=1), 4, 4, ("interconnect", "link")),
    (_parts(compute=3, dram=2), 5, 5, ("compute", "compute")),
    # overhead largest on a dependency chain (latency == critical path) -> dependency
    (_parts(overhead=3, compute=1), 4, 4, ("dependency", "overhead")),
    (_parts(overhead=3, compute=1), 4.4, 4, ("dependency", "overhead")),  # within 10 %
    # overhead largest but the run is far longer than its critical path -> queued dispatch
    (_parts(overhead=3, compute=1), 40, 4, ("overhead", "overhead")),
])
def test_bound_of(parts, latency, cp, expected):
    assert bound_of(parts, LEVELS, latency, cp) == expected
    assert expected[0] in C.BOUNDS


def test_attribute_path_splits_each_op_by_its_binding_term():
    # op 0: 2 s long, 0.5 s latency, compute 1 > transfers 0.5 alone; its 1.5 s past the
    #   latency exceed its 1 s of compute, so its transfer took 1.5 s (in the DES, shared):
    #   dram 1.5, overhead 0.5 (the split by times alone gave compute 1.5, more than it has)
    # op 1: 3 s long, DRAM 2 s > compute 1 -> dram 3
    # op 2: 1 s long, link 0.5 > compute 0.25 and > DRAM 0 -> link 1
    # op 3: 1 s long, SRAM 0.5 = DRAM 0.5 > compute 0.1 -> the inner level wins the tie: sram 1
    # op 4: serial, 2 s long, DRAM 0.5 then compute 1.5 -> dram 0.5, compute 1.5
    start, end = np.array([0.0, 2.0, 5.0, 6.0, 7.0]), np.array([2.0, 5.0, 6.0, 7.0, 9.0])
    res_s = np.array([[0.0, 0.5, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 0.5], [0.5, 0.5, 0.0],
                      [0.0, 0.5, 0.0]])
    out = attribute_path(np.arange(5), start, end, latency_s=np.array([0.5, 0.0, 0.0, 0.0, 0.0]),
                         compute_s=np.array([1.0, 1.0, 0.25, 0.1, 1.5]), resource_s=res_s,
                         resources=RES, serial=np.array([False, False, False, False, True]))
    assert out == {"sram": 1.0, "dram": 5.0, "link": 1.0, "compute": 1.5, "overhead": 0.5}
    assert sum(out.values()) == end[-1] - start[0]


def _split_path_numpy(p, start, end, latency_s, compute_s, resource_s, serial, pieces=None):
    # the array form the numba kernel replaced (0.5), as the reference it must match bit for
    # bit; with the pieces rule and the split by realised transfer time (2026-12-05)
    d = end[p] - start[p]
    over = np.minimum(latency_s[p], d)
    rest = d - over
    comp = compute_s[p]
    if resource_s.shape[1]:
        rs = resource_s[p]
        which = np.argmax(rs, axis=1)
        xfer = rs[np.arange(len(p)), which]
    else:
        which, xfer = np.zeros(len(p), dtype=np.int64), np.zeros(len(p))
    ser = serial[p] if serial is not None else np.zeros(len(p), dtype=bool)
    px, pc = (np.full(len(p), np.inf),) * 2 if pieces is None else (pieces[p, 0], pieces[p, 1])
    in_pieces = ~ser & ((px < np.inf) | (pc < np.inf))
    with np.errstate(divide="ignore", invalid="ignore"):
        last = np.where(pc < np.inf, comp / pc, 0.0)
        first = np.where(px < np.inf, xfer / px, 0.0)
        bound_x = in_pieces & (xfer + last > comp + first)
        total = xfer + comp
        share = np.where(ser, np.where(total > 0, xfer / total, 0.0), (xfer > comp).astype(float))
        share = np.where(in_pieces, np.where(bound_x, xfer / (xfer + last),
                                             np.where(comp + first > 0, first / (comp + first),
                                                      0.0)), share)
        budget = np.where(bound_x, last, comp)
        c = rest - rest * share
        # longer than alone (contention): split by the realised transfer time
        contended = (resource_s.shape[1] > 0) & (xfer > 0) & (c > budget * (1.0 + 1e-9) + 1e-18)
        x_r = rest - last
        fill = np.where(px < np.inf, x_r / px, 0.0)
        c_new = np.where(ser, comp, np.where(in_pieces, np.where(x_r + last >= comp + fill,
                                                                 last, comp), 0.0))
    return (over, np.where(contended, c_new, c), which,
            np.where(contended, rest - c_new, rest * share))


@pytest.mark.parametrize("n_res", [0, 1, 3])
@pytest.mark.parametrize("with_serial", [False, True])
@pytest.mark.parametrize("with_pieces", [False, True])
def test_split_path_kernel_matches_the_numpy_form_bit_for_bit(n_res, with_serial, with_pieces):
    from cimsim.report.result import _split_path

    rng = np.random.default_rng(n_res * 2 + with_serial + 8 * with_pieces)
    n = 2000
    start = np.cumsum(rng.exponential(1e-6, n))
    end = start + rng.exponential(1e-6, n)
    end[::97] = start[::97]  # zero-length ops
    latency = np.where(rng.random(n) < 0.3, rng.exponential(5e-7, n), 0.0)
    # ties between resources and with the compute, and zero times, on purpose
    compute = rng.choice([0.0, 2e-7, 5e-7, 1e-6], n)
    res = rng.choice([0.0, 2e-7, 5e-7, 1e-6, 3e-6], (n, n_res))
    serial = rng.random(n) < 0.5 if with_serial else None
    pieces = rng.choice([np.inf, 1.0, 2.0, 8.0], (n, 2)) if with_pieces else None
    path = np.sort(rng.choice(n, 1500, replace=False))
    got = _split_path(path, start, end, latency, compute, res, serial, pieces)
    want = _split_path_numpy(path, start, end, latency, compute, res, serial, pieces)
    for g, w in zip(got, want):
        assert g.tobytes() == w.astype(g.dtype).tobytes()
    assert (got[2] > 0).any() == (n_res > 1)  # the tie rule was exercised
    if n_res:  # durations drawn at random: many ops took longer than alone; an op that moves
        # bytes never shows more compute than it has (one that moves none has nowhere else)
        moves = res[path].max(axis=1) > 0
        assert (got[1][moves] <= compute[path][moves] * (1 + 1e-9) + 1e-18).all()


def test_an_op_longer_than_alone_gives_the_excess_to_its_transfer():
    """Two ops shared a link (a plug-in author's case, 2026-12-05): op 0 computes 16 us with
    12 us of transfers alone, in 8 row pieces; its transfers took 20 us sharing, so it ran
    max(20 + 16/8, 16 + 20/8) = 22 us, transfer-bound: link 20, compute 2 (the split by
    times alone gave compute 20.1 us, more than its 16). Overlapped, 20 us long: the link
    took all 20. Serial, 36 us long: compute 16, link 20."""
    p = np.array([0])
    args = dict(latency_s=np.zeros(1), compute_s=np.array([16e-6]),
                resource_s=np.array([[12e-6]]), resources=("link",))
    pieces = attribute_path(p, np.zeros(1), np.array([22e-6]), **args,
                            pieces=np.array([[8.0, 8.0]]))
    assert pieces["compute"] == pytest.approx(2e-6, rel=1e-12, abs=0)
    assert pieces["link"] == pytest.approx(20e-6, rel=1e-12, abs=0)
    overlapped = attribute_path(p, np.zeros(1), np.array([20e-6]), **args)
    assert (overlapped["compute"], overlapped["link"]) == (0.0, 20e-6)
    serial = attribute_path(p, np.zeros(1), np.array([36e-6]), **args, serial=np.array([True]))
    assert serial["compute"] == 16e-6 and serial["link"] == pytest.approx(20e-6, rel=1e-12, abs=0)
    # alone (no excess): the split by times alone, as before: 28 us serial is 12 + 16
    alone = attribute_path(p, np.zeros(1), np.array([28e-6]), **args, serial=np.array([True]))
    assert alone["compute"] == pytest.approx(16e-6, rel=1e-12, abs=0)


def test_realized_critical_path_follows_what_each_op_waited_for():
    # ops 0 and 1 independent on server 0 (run one after the other), op 2 needs op 0
    # on server 1: op 2 starts when op 0 ends (t=1) although op 1 ends later (t=3);
    # op 3 (server 0) needs op 2 but waits for op 1 on its server: path 0 -> 1 -> 3
    indptr = np.array([0, 0, 0, 1, 2])
    indices = np.array([0, 2])
    server = np.array([0, 0, 1, 0])
    start = np.array([0.0, 1.0, 1.0, 3.0])
    end = np.array([1.0, 3.0, 2.0, 4.0])
    assert realized_critical_path(indptr, indices, server, start, end).tolist() == [0, 1, 3]


@pytest.mark.parametrize("batch", [1, 4])
def test_samples_per_second_counts_the_batch(round_arch, batch):
    r = simulate(round_arch, lstm(16, 16, 1, steps=3, batch=batch), keep_ops=False)
    assert r.samples == batch
    assert r.samples_per_s == pytest.approx(batch / r.latency_s, rel=1e-12, abs=0)
    assert r.record()[C.SAMPLES_PER_S] == r.samples_per_s


def _cnn_trace_of_yesterday(path, overrides: dict, **more) -> None:
    """A workload file as a ``cnn`` zoo trace wrote it before the tracer recorded
    ``metadata.batch``: the batch only in ``metadata.zoo.overrides`` (``--param batch=4``)."""
    from cimsim.workload import save_workload

    w = lstm(16, 16, 1, steps=3)
    w.metadata = {"source": "cimsim.trace (aten)", "zoo": {"name": "vgg8", "family": "cnn",
                  "weights": "fake", "overrides": overrides}, **more}
    save_workload(w, path)


def test_an_old_cnn_trace_counts_its_zoo_batch(tmp_path):
    """find-X 3: main's ``trace --zoo vgg8 --param batch=4`` file recorded the batch only as
    the zoo override; r12 counted 1 sample per run (4x too few per sample), silently."""
    import json

    from click.testing import CliRunner

    from cimsim.cli import main

    def run(name, overrides, **more):
        _cnn_trace_of_yesterday(tmp_path / name, overrides, **more)
        r = CliRunner().invoke(main, ["run", "rram-cim", str(tmp_path / name), "--json"])
        assert r.exit_code == 0, r.output
        return json.loads(r.output)

    old, one = run("b4.json", {"batch": 4}), run("b1.json", {})
    assert old["samples_per_run"] == 4 and one["samples_per_run"] == 1
    assert old["latency_s"] == one["latency_s"]  # the same ops: only the divisor differs
    assert old["samples_per_s"] == pytest.approx(4 / old["latency_s"], rel=1e-12, abs=0)
    assert run("both.json", {"batch": 4}, batch=2)["samples_per_run"] == 2  # metadata.batch wins


def test_a_serving_run_counts_the_requests_it_serves_not_its_slots():
    """8 requests through 2 slots (continuous batching): 8 samples over the latency; the batch
    (2) was counted, 4x too few (a new user, 2026-12-05)."""
    from cimsim.workload.llm import LLMModel, llm_serving

    m = LLMModel(layers=1, hidden=32, heads=4, kv_heads=4, ffn=64, vocab=20, head_dim=8, gated=True)
    w = llm_serving(m, prompt=4, decode=2, batch=2, requests=8, batching="continuous")
    from cimsim import load_architecture

    r = simulate(load_architecture("gpu-hbm3"), w, keep_ops=False)
    assert r.samples == 8
    assert r.samples_per_s == pytest.approx(8 / r.latency_s, rel=1e-12, abs=0)


def test_every_json_key_is_a_result_attribute_or_a_fact():
    """`--json` says `critical_path_time_s`; a Python user reading the README asked the
    Result for it and got an AttributeError (the field is `path_time_s`)."""
    import json

    from cimsim import load_architecture, load_workload, simulate

    r = simulate(load_architecture("gpu-hbm3"), load_workload("gru"), engine="analytic")
    d = r.to_json()
    d = json.loads(d) if isinstance(d, str) else d
    # which cimsim computed it and from what (files, overrides): provenance, not the result's own
    which = {"cimsim_version", "cimsim_revision", "overrides", "config_path", "config_sha256",
             "workload_path", "workload_sha256"}
    assert [k for k in d if not hasattr(r, k) and k not in r.facts and k not in which] == []
    assert r.critical_path_time_s == d["critical_path_time_s"]


def test_to_json_records_which_cimsim_computed_it():
    """find-F #2: ``to_json()``, "the --json object", left out ``cimsim_version`` and
    ``cimsim_revision``: a DSE loop storing its rows lost which cimsim computed them. It keeps
    them now, the last two keys as in ``cimsim run --json``."""
    import json

    import cimsim
    from cimsim import load_architecture, load_workload, simulate

    d = simulate(load_architecture("cpu-ddr5"), load_workload("lstm"), engine="analytic").to_json()
    assert list(d)[-2:] == ["cimsim_version", "cimsim_revision"]
    assert d["cimsim_version"] == cimsim.__version__
    assert d["cimsim_revision"] == cimsim.model_revision()
    json.dumps(d, allow_nan=False)
