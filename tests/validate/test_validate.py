"""Validation suites: the registry and CLI, the published suites' errors (deterministic),
and the host suite at small sizes (runs, predictions within 2x: timings are noisy)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cimsim.validate import CONSISTENCY, FIT, PREDICTED, run, suites


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "cimsim.cli", "validate", *args], capture_output=True,
                          text=True, timeout=600)


def test_builtin_suites_are_registered():
    names = suites()
    for name in ("host", "gpu-published", "pim-published"):
        assert name in names and names[name]


def test_cli_lists_the_suites():
    p = _cli("--list")
    assert p.returncode == 0, p.stderr
    listed = [line.split(":")[0] for line in p.stdout.splitlines()]
    assert set(suites()) <= set(listed)


def test_cli_unknown_suite_is_one_line():
    p = _cli("-s", "no-such-suite")
    assert p.returncode == 1
    assert "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "no-such-suite" in p.stderr


def test_an_unknown_suite_is_refused_before_any_progress_line(monkeypatch):
    # under load the suites' imports took over the progress feedback's 1 s, so its status line
    # reached stderr before the one-line error (seen as a flaky CLI test on a busy machine); with
    # the feedback set to speak at once, only the error may come out
    from click.testing import CliRunner

    from cimsim import progress
    from cimsim.cli import main

    init = progress.Feedback.__init__
    monkeypatch.setattr(progress.Feedback, "__init__",
                        lambda self, what, **kw: init(self, what, **{**kw, "after_s": 0.0}))
    r = CliRunner().invoke(main, ["validate", "-s", "systolic", "-s", "no-such-suite"])
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "no-such-suite" in lines[0], lines
    assert "cimsim: validate" not in r.output + r.stderr


#: whole tries (a fresh calibration, then the cases) before the 2x bound is called broken: a CI
#: machine shared with other tenants once timed the H=512 LSTM at 2.8x its prediction while a
#: calibration minutes earlier had run undisturbed (stop 50); a prediction that is wrong fails
#: every try, a burst of load from elsewhere spoils one
HOST_TRIES = 3


def _host_try():
    import torch

    from cimsim.calibrate import calibrate
    from cimsim.config import architecture_from_dict
    from cimsim.validate.host import TINY, host_cases
    import yaml

    threads = torch.get_num_threads()
    try:
        # one thread: the test machine is shared, and a 2-thread op waits for both cores
        _, text = calibrate(quick=True, threads=1)
        cases = host_cases(TINY, arch=architecture_from_dict(yaml.safe_load(text)))
    finally:
        torch.set_num_threads(threads)
    assert len(cases) == len(TINY.rnn) + 1
    for c in cases:
        assert c.measured > 0 and c.predicted > 0
    return {c.case: c.predicted / c.measured for c in cases}


def _within_2x(ratios: dict) -> bool:
    return all(0.5 <= r <= 2.0 for r in ratios.values())


def test_the_2x_check_fails_a_prediction_off_on_every_try():
    # the retry cannot hide a wrong model: one case at 2.8x on each try is a failure
    assert not _within_2x({"a": 1.0, "b": 1 / 2.8})
    assert not _within_2x({"a": 2.01})
    assert _within_2x({"a": 0.5, "b": 2.0})


@pytest.mark.torch
@pytest.mark.slow
def test_host_suite_runs_and_predicts_within_2x():
    tries = []
    for _ in range(HOST_TRIES):
        tries.append(_host_try())
        if _within_2x(tries[-1]):
            return
    pytest.fail("predicted / measured outside [0.5, 2] on every one of "
                f"{HOST_TRIES} tries: " + "; ".join(
                    ", ".join(f"{k} {v:.3g}" for k, v in t.items()) for t in tries))


# --------------------------------------------------------------------------- gpu-published
def test_deepbench_data_is_the_published_transcription():
    from cimsim.validate import gpu

    rows = gpu.load_rows()
    assert len(rows) == 207
    # first row of the TITAN Xp LSTM section (DeepBench_NV_TitanXp.xlsx)
    first = rows.iloc[0]
    assert (first.gpu, first.cell, first.hidden, first.batch, first.timesteps) == ("TitanXp", "lstm", 512, 1, 25)
    assert first.time_forward_ms == 1.258


def test_titanxp_config_holds_the_fitted_parameters():
    from cimsim import load_architecture
    from cimsim.validate import gpu

    f, overhead = gpu.fit()
    arch = load_architecture(gpu.CONFIG)
    assert arch.memory["dram"].sustained_fraction == pytest.approx(f, abs=0.005)
    assert arch.components["processor"].op_overhead == pytest.approx(overhead, abs=0.05e-6)


@pytest.mark.slow
def test_gpu_published_errors():
    """DeepBench: fitted median 5.2 %, held-out median 20.5 %, worst 53.7 % when written
    (2026-11-29); a change that makes the model disagree more with the data fails here."""
    import pandas as pd

    df = run(["gpu-published"])
    t4 = df[df.case.str.startswith("T4 ")]
    assert len(t4) == 27
    df = df[~df.case.str.startswith("T4 ")]
    assert len(df) == 207
    fitted = df.case.str.endswith("(fitted)")
    assert fitted.sum() == 15
    assert df[fitted].rel_error.abs().median() < 0.10
    held = df[~fitted]
    assert held.rel_error.abs().median() < 0.25
    assert held.rel_error.abs().max() < 0.60
    # the physics the data show: at hidden >= 2048 time follows weight bytes, so
    # batch 1 -> 4 changes the predicted time by little (as measured, < 10 %)
    parts = df.case.str.extract(r"^TitanXp (\w+) H=(\d+) B=(\d+) T=(\d+)").dropna()
    big = pd.concat([parts.astype({1: int, 2: int, 3: int}), df[["measured", "predicted"]]], axis=1,
                    join="inner")
    big = big[big[1] >= 2048]
    assert len(big) > 0
    for _, g in big.groupby([0, 1, 3]):
        by_b = g.set_index(2)
        assert by_b.predicted[4] / by_b.predicted[1] < 1.10
        assert by_b.measured[4] / by_b.measured[1] < 1.10


# --------------------------------------------------------------------------- pim-published
def test_pim_speedup_is_the_closed_form_and_the_gap_is_recorded():
    """GEMV fp16 8192 x 8192 (W = 134,217,728 B) on aquabolt-xl-mi100.yaml.

    Without PIM the weight streams over HBM2 at 1.2288 TB/s x 0.807 sustained (the MI100's
    rocBLAS dgemv, 2.48e11 FLOP/s at 8 B per 2 FLOP = 992 GB/s: kokkos-kernels PR #1201), with
    the 16 KiB input vector (a model input, read from DRAM once):
    (W + 16,384 B) / 991.64 GB/s = 135.37 us, + 5 us op overhead + 0.5 us DRAM latency.
    With PIM, 64 pseudo-channels x 8 PCUs = 512 units of 16 MACs at 300 MHz: 67.1 M MAC /
    (512 x 16 x 300 MHz) = 27.31 us (their two banks' 2 x 9.6 GB/s would read W in 13.65 us:
    the MACs bound it), + 5 us + 0.5 us; in blocked (all-bank) mode the op's own input and output
    (16 KiB each) cross the bus before and after: + 32,768 B / 991.64 GB/s.
    """
    from cimsim.validate.pim import pim_cases, pim_results

    W = 8192 * 8192 * 2
    base = (W + 8192 * 2) / (1.2288e12 * 0.807) + 5e-6 + 500e-9
    pim = 8192 * 8192 / (512 * 16 * 300e6) + 5e-6 + 500e-9 + 2 * 8192 * 2 / (1.2288e12 * 0.807)
    assert W / (512 * 2 * 9.6e9) < 8192 * 8192 / (512 * 16 * 300e6)  # bank reads are not the bound
    r = pim_results()
    assert r["base_s"] == pytest.approx(base, rel=1e-6, abs=0)
    assert r["pim_s"] == pytest.approx(pim, rel=1e-6, abs=0)
    speed, energy = pim_cases()
    assert speed.measured == 8.9  # Kim et al., IEEE Micro 2022
    assert speed.predicted == pytest.approx(base / pim, rel=1e-6, abs=0)  # 4.29x
    # any GEMV size: at most 4.9152 TB/s / 991.64 GB/s = 4.96x, 44 % short of 8.9x
    assert 4.9152e12 / (1.2288e12 * 0.807) == pytest.approx(4.957, abs=1e-3)
    # the recorded gap (README): the model's 4.29x is 52 % short of the reported 8.9x; 8.9x
    # would need the GPU's GEMV at (W + 16 KiB) / (8.9 x pim - 5.5 us) = 469 GB/s, 38 % of peak
    assert speed.rel_error == pytest.approx(4.2895 / 8.9 - 1, abs=1e-3)
    assert (W + 8192 * 2) / (8.9 * pim - 5.5e-6) == pytest.approx(468.1e9, rel=1e-3, abs=0)
    # "reduced energy consumption by over 60 %": the predicted saving is consistent
    assert energy.measured == 0.60 and 0.60 < energy.predicted < 0.90
    # "over 60 %" is a lower bound: a saving that meets it has no error (it was scored +28 %)
    assert energy.bound == "lower" and energy.rel_error == 0.0


def test_a_bound_is_an_error_only_when_the_prediction_misses_it():
    from cimsim.validate import Case

    lo = dict(suite="s", case="c", unit="x", measured=2.0, source="t", bound="lower")
    assert Case(predicted=3.0, **lo).rel_error == 0.0 and Case(predicted=1.0, **lo).rel_error == -0.5
    hi = {**lo, "bound": "upper"}
    assert Case(predicted=1.0, **hi).rel_error == 0.0 and Case(predicted=3.0, **hi).rel_error == 0.5
    assert Case(predicted=3.0, **{**lo, "bound": ""}).rel_error == 0.5
    with pytest.raises(ValueError, match="bound 'above' is not one of"):
        Case(predicted=1.0, **{**lo, "bound": "above"})


def test_t4_gemm_rows_closed_form_and_recorded_errors():
    """DeepBench's loop (gemm_bench.cu ``time_gemm``, commit 30c5115): one warm-up call, then
    ``numRepeats = 400`` calls on the same buffers; the case predicts one timed call.

    M=7680 N=1 K=2560 int8: the weight A = 19,660,800 B does not fit the 4 MB L2, so every call
    streams it from DRAM at 320 GB/s x 0.749 (T4 bandwidthTest copy, 239.6 of 320 GB/s) =
    82.03 us, + 7.1 us op overhead + 0.5 us DRAM latency = 89.63 us; DeepBench measured 0.071 ms
    (DeepBench_NV_T4.xlsx row 12).
    M=3072 N=1 K=1024: A = 3,145,728 B fits the L2; after the warm-up every call reads it, the
    1,024 B input and the 3,072 B output from the L2 at 1.5 TB/s: 3,149,824 B / 1.5 TB/s =
    2.10 us, + 7.1 us = 9.20 us (no DRAM access, so no DRAM latency); measured 0.009 ms (row 15).
    Errors when written (2026-11-29): median |error| 27.9 %, worst -72.0 % (M=512 K=500,000);
    before the loop and the T4 bandwidth (a single cold call, fraction 0.62): 50 %, 161 %."""
    from cimsim.validate.gpu import DEEPBENCH_GEMM_REPEATS, t4_cases

    assert DEEPBENCH_GEMM_REPEATS == 400
    cases = {c.case: c for c in t4_cases()}
    assert len(cases) == 27
    big = cases["T4 int8 GEMM M=7680 N=1 K=2560 (fit: the T4 DRAM fraction chosen after it)"]
    assert big.measured == pytest.approx(0.071e-3, rel=1e-6, abs=0)
    assert big.predicted == pytest.approx(7680 * 2560 / (320e9 * 0.749) + 7.1e-6 + 0.5e-6, rel=1e-6, abs=0)
    warm = cases["T4 int8 GEMM M=3072 N=1 K=1024 (fit: the L2 warm-up loop chosen after it)"]
    assert warm.measured == pytest.approx(0.009e-3, rel=1e-6, abs=0)
    assert warm.predicted == pytest.approx((3072 * 1024 + 1024 + 3072) / 1.5e12 + 7.1e-6, rel=1e-6, abs=0)
    errs = sorted(abs(c.rel_error) for c in cases.values())
    # the README's figures (27.9 %, 72.0 %) stay true: bounds, not the code's output pinned
    assert errs[len(errs) // 2] < 0.28
    assert errs[-1] < 0.73


def test_t4_rows_a_model_choice_followed_are_fit():
    """Two model choices followed the first T4 run (median 50 %, worst 161 %): the warm-up +
    400-call loop, which moves exactly the rows whose int8 weight M x K fits the 4 MB L2
    (4,096 KB, Turing whitepaper), and the T4 DRAM fraction, which moved the DRAM-streamed
    GEMV-shaped rows toward their measurement, and the K = 500,000 rows away from it (-40 ->
    -50 %): chosen after computing them too, so by the README's rule they are fit as well (they
    stayed predicted, by an exception the rule does not state). No T4 row is held out. The data
    file's ``chosen_after`` column says which, and the role follows it."""
    import pandas as pd

    from cimsim.validate.gpu import T4_DATA, t4_cases, t4_role

    rows = pd.read_csv(T4_DATA)
    for r in rows.itertuples(index=False):
        expect = ("l2-loop" if r.m * r.k <= 4096 * 1024 else
                  "dram-fraction-seen" if r.k == 500_000 else "dram-fraction")
        assert ("" if pd.isna(r.chosen_after) else r.chosen_after) == expect, r
    roles = [c.role for c in t4_cases()]
    assert roles.count(FIT) == 27 and roles.count(PREDICTED) == 0
    assert [c.role == FIT for c in t4_cases()] == [isinstance(x, str) and x != "" for x in rows.chosen_after]
    # the column, not the shape, drives the role; a value outside the set is refused
    row = next(rows.itertuples(index=False))
    assert t4_role(row._replace(chosen_after=float("nan")))[0] == PREDICTED
    assert t4_role(row._replace(chosen_after="l2-loop"))[0] == FIT
    with pytest.raises(ValueError, match="chosen_after 'tuned' is not one of l2-loop, dram-fraction, "
                                         "dram-fraction-seen or empty"):
        t4_role(row._replace(chosen_after="tuned"))


# --------------------------------------------------------------------------- cim-published: NeuRRAM
#: NeuRRAM (Wan et al., Nature 608, 2022), 48 cores, 4-bit weights, at (output bits, input bits),
#: two-phase mode, then the two one-phase points: the paper's Fig. 12c (TOPS) and 12d (TOPS/W),
#: as transcribed in CiMLoop's test_tops EXPECTED, mit-emze/cimloop
#: workspace/models/arch/1_macro/wan_nature_2022/_tests.py @ 2bac57f1f79cb4be5513e67f35366082766cba4a
FIG12_POINTS = [(3, 1), (4, 2), (5, 3), (6, 4), (7, 5), (8, 6), (9, 7), (10, 8)]
FIG12C_TOPS = [2.12230988, 1.793083771, 1.165400233, 0.7438677864, 0.5254091287, 0.4177183338,
               0.343873405, 0.2638743409]
FIG12D_TOPS_W = [43.07875866, 40.33412834, 23.09069279, 15.95409517, 11.03166076, 8.257196816,
                 7.750037817, 6.437388185]
FIG12_ONE_PHASE = {(7, 5): (0.4515642, 11.32999012), (8, 6): (0.260797508, 9.12235241)}
#: Fig. 12b, fJ per op at the same two-phase points (CiMLoop's test_energy_bits_scaling EXPECTED,
#: same file): wordline switching, and neuron operations and control
FIG12B_WORDLINE = [8.99015248, 8.270951256, 15.46307324, 21.75617998, 30.92613276, 37.2192395,
                   43.69214654, 50.52466791]
FIG12B_NEURON = [10.6186848, 12.38674172, 20.11826462, 29.1084171, 44.21188287, 52.48282041,
                 61.83258722, 75.85721686]


def test_neurram_throughput_is_the_closed_form_of_its_neuron():
    """8-bit signed inputs (7 magnitude bits, two phases of 4 and 3 bits), 10-bit outputs:
    (15 + 7) unit pulses x 0.27 us + (10 + 6) counting steps x 0.3 us + 2 phases x 0.3 us
    = 11.34 us per matrix-vector product; 48 arrays x 256 x 128 MACs x 2 ops / 11.34 us."""
    from cimsim.validate.cim import neurram_point

    t = 22 * 0.27e-6 + 16 * 0.3e-6 + 2 * 0.3e-6
    assert t == pytest.approx(11.34e-6, rel=1e-6, abs=0)
    f = neurram_point(10, 8, False)
    assert f["ops_s"] == pytest.approx(48 * 256 * 128 * 2 / t, rel=1e-9, abs=0)
    # one core: 256 neurons of 1270 um^2 are 28 % of its area (Fig. 11f)
    assert f["area_m2"] == pytest.approx(48 * 1270e-12 * 256 / 0.28, rel=1e-9, abs=0)


def test_neurram_published_errors():
    """Errors when written (2026-11-29, `cimsim validate -s cim-published`): TOPS -0.9 % to
    +9.0 % (worst: one-phase 6b in), TOPS/W -11.3 % to +9.7 % (worst: one-phase 6b in),
    Fig. 12b neuron energy -3.8 % to +5.5 %, wordline energy -17.6 % (1b in) to +2.7 %.
    Bounds: TOPS within 10 %, TOPS/W within 12 %, neuron energy within 6 %, wordline
    energy within 11 % from 2-bit inputs on and 18 % at 1 bit (the paper's 1b and 2b bars
    differ by 9 % for the same wordline toggles, which one capacitance cannot match)."""
    df = run(["cim-published"])
    # ISAAC's PE and CE are its closed-form throughput (Table I's 16,128 arrays x 128 x 16 MACs
    # per 16 x 100 ns) over its power and area, which are sums of the config's Table I inputs:
    # every factor an input, so all four ISAAC totals are consistency, none predicted
    isaac = df[df.case.str.startswith("ISAAC-CE")]
    assert len(isaac) == 4 and (isaac.role == CONSISTENCY).all(), list(isaac.role)
    nr = df[df.case.str.startswith("NeuRRAM")].set_index("case")
    for (ob, ib), wl, neuron in zip(FIG12_POINTS, FIG12B_WORDLINE, FIG12B_NEURON):
        what = f"{ib}b in, {ob}b out, 4b weights"
        w, n = nr.loc[f"NeuRRAM wordline switching energy, {what}"], \
            nr.loc[f"NeuRRAM neuron energy (integrate, count, shift-add), {what}"]
        assert (w.measured, n.measured) == (wl, neuron)
        assert abs(n.rel_error) < 0.06, what
        assert abs(w.rel_error) < (0.18 if ib == 1 else 0.11), what
    nr = nr[~nr.unit.eq("fJ/op")]
    published = {(ob, ib, False): tw for (ob, ib), tw in zip(FIG12_POINTS, zip(FIG12C_TOPS, FIG12D_TOPS_W))}
    published.update({(ob, ib, True): tw for (ob, ib), tw in FIG12_ONE_PHASE.items()})
    assert len(nr) == 2 * len(published) + 2
    for (ob, ib, one), (tops, tops_w) in published.items():
        what = f"{ib}b in, {ob}b out, 4b weights" + (", one phase" if one else "")
        t, w = nr.loc[f"NeuRRAM 48-core TOPS, {what}"], nr.loc[f"NeuRRAM TOPS/W, {what}"]
        assert (t.measured, w.measured) == (tops, tops_w)
        assert abs(t.rel_error) < 0.10, what
        assert abs(w.rel_error) < 0.12, what
    assert nr.rel_error.abs().max() < 0.15
    assert nr.rel_error.abs().median() < 0.05
    # TOPS/mm^2 per core over the Fig. 11f core area (1270 um^2 x 256 / 0.28): area is an
    # input, so its error is the TOPS error
    mm2 = nr.loc["NeuRRAM TOPS/mm^2 per core, 1b in, 3b out, 4b weights"]
    assert mm2.measured == pytest.approx(2.12230988 / 48 / (1270 * 256 / 0.28 * 1e-6), rel=1e-12, abs=0)
    assert mm2.rel_error == pytest.approx(nr.loc["NeuRRAM 48-core TOPS, 1b in, 3b out, 4b weights"].rel_error,
                                          rel=1e-9, abs=0)


# --------------------------------------------------------------------------- cim-chip: NeuroSim VGG-8
def test_cim_chip_suite_runs_with_neurosim_published_figures():
    """The suite compares against the first row of NeuroSim V1.4's Data/1.4_Release_test.csv
    (@ 9e6742c), figures transcribed here independently of the suite module. Errors
    (2026-12-03, with the current-sense models of hw/circuits/sense.py and NeuroSim's speed-up
    rule, and Aladdin's 40 nm register bit for the register-file buffers and shift-add
    registers, branch macros2; the array periphery of hw/circuits/periphery.py, branch chip3:
    input switch matrix and column mux; NeuroSim's transistor-level registers as the
    structural TG flip-flop, chip.registers, branch register): TOPS -7 %, stage +7 % (array +
    ADC +14 %, buffer +32 %, interconnect -81 %); ADC bucket -19 % (its row drive at the
    default input activity 0.5), accumulation +123 % (+144 % on Aladdin's standard cell at
    NeuroSim's gamma, +17 % on the (U) full-adder bit), interconnect +1 %, buffer -57 % (-4 %
    on Aladdin's cell: the register-file model is width x register bit, its decoder and read
    mux not counted); TOPS/W -12 %.
    The bounds asserted are the issue's targets for the cases that meet them: TOPS and TOPS/W
    within 15 %; array + ADC latency, ADC and interconnect energy within 25 %. Accumulation
    and buffer energy do not meet theirs: their misses are pinned loosely so that a change is
    seen."""
    df = run(["cim-chip"]).set_index("case")
    csv = {"VGG-8 pipelined throughput": 6.3423, "VGG-8 energy efficiency": 23.9369,
           "VGG-8 pipeline stage": 194225e-3, "VGG-8 pipeline stage: buffer latency": 136858e-3,
           "VGG-8 pipeline stage: interconnect latency": 47868.9e-3,
           "VGG-8 pipeline stage: array + ADC latency": 8032.31e-3,
           "VGG-8 ADC energy per image": 2.1612e7 * 1e-6,
           "VGG-8 accumulation energy per image": 3.57428e6 * 1e-6,
           "VGG-8 interconnect energy per image": 6.09182e6 * 1e-6,
           "VGG-8 buffer energy per image": 203455e-6}
    assert set(csv) <= set(df.index)
    for case, v in csv.items():
        assert df.loc[case, "measured"] == pytest.approx(v, rel=1e-12, abs=0), case
        assert df.loc[case, "predicted"] > 0, case
    err = (df["predicted"] / df["measured"] - 1).abs()
    assert err["VGG-8 pipelined throughput"] <= 0.15
    assert err["VGG-8 energy efficiency"] <= 0.15
    assert err["VGG-8 pipeline stage"] <= 0.15
    assert err["VGG-8 pipeline stage: array + ADC latency"] <= 0.25
    assert err["VGG-8 ADC energy per image"] <= 0.25
    assert err["VGG-8 interconnect energy per image"] <= 0.25
    # known misses, recorded, not targets: the accumulator's flip-flops (the structural TG
    # flip-flop's clock alone, 48 F, is 0.86 fJ a bit at 22 nm) cost more than NeuroSim's DFF
    # model; the register-file buffers' floor (width x register bit) costs less
    assert df.loc["VGG-8 accumulation energy per image", "predicted"] / csv[
        "VGG-8 accumulation energy per image"] == pytest.approx(2.23, abs=0.1)
    assert df.loc["VGG-8 buffer energy per image", "predicted"] / csv[
        "VGG-8 buffer energy per image"] == pytest.approx(0.43, abs=0.05)
    # the stage's parts add up to no more than the stage
    parts = sum(df.loc[f"VGG-8 pipeline stage: {p}", "predicted"]
                for p in ("buffer latency", "interconnect latency", "array + ADC latency"))
    assert parts <= df.loc["VGG-8 pipeline stage", "predicted"] * (1 + 1e-9)


# --------------------------------------------------------------------------- cim-chip: PUMA, ISAAC
def test_puma_node_at_peak_from_its_organisation():
    """PUMA (ASPLOS 2019) from its organisation (data/validation/puma.yaml, components from the
    PUMA simulator's constants): 138 tiles x 8 cores x 2 MVMUs, each MVMU a 128 x 128 16-bit
    matrix on 8 crossbars of 2-bit cells, 16 one-bit input slices of 100 ns (one 1.28 GS/s ADC per
    crossbar converts 128 columns in 100 ns): 2208 x 2 x 128^2 ops / 1.6 us = 45.22 TOPS. The
    hierarchy (register files, eDRAM, bus, mesh) overlaps the MVMUs and does not bind at peak.
    Against the paper (abstract: 577 GOPS/s/mm^2, 837 GOPS/s/W; node 62.5 W, 90.638 mm^2,
    52.31 TOPS): TOPS -13.6 %, power -2.6 %, area +1.7 %, TOPS/W -11.3 %, TOPS/mm^2 -15.0 %
    when written (2026-12-03). Bounds: the issue's 15 % (TOPS/mm^2 just inside), parts 25 %."""
    from cimsim.validate.cim import _load
    from cimsim.validate.cimchip import peak_chip_figures

    f = peak_chip_figures(_load("puma.yaml"))
    assert f["tops"] == pytest.approx(138 * 8 * 2 * 2 * 128 * 128 / (16 * 100e-9) / 1e12, rel=1e-12, abs=0)
    published = {"tops": 52.31, "power": 62.5, "area": 90.638, "tops_w": 0.837, "tops_mm2": 0.577}
    for key, v in published.items():
        assert abs(f[key] / v - 1) < (0.151 if key in ("tops", "tops_w", "tops_mm2") else 0.25), key
    # the ratios agree with the published ones by construction of the abstract's figures
    assert 52.31 / 62.5 == pytest.approx(0.837, rel=2e-3, abs=0)
    assert 52.31 / 90.638 == pytest.approx(0.577, rel=2e-3, abs=0)


def test_puma_hierarchy_moves_bytes_without_binding_at_peak():
    """The fill op's bytes cross the register files, eDRAM, bus and mesh (their time is in the
    op's columns) but with overlapped transfers the op takes its array time: 16 rows x 1.6 us."""
    from cimsim.pipeline import simulate
    from cimsim.validate.cim import _fill, _load

    arch = _load("puma.yaml")
    r = simulate(arch, _fill(arch))
    row = r.op_table.iloc[0]
    assert row["cim_buffer_s"] > 0 and row["cim_interconnect_s"] > 0
    assert row["compute_s"] == pytest.approx(16 * 1.6e-6, rel=1e-12, abs=0)
    assert r.energy_breakdown_j["cim_buffer"] > 0 and r.energy_breakdown_j["cim_interconnect"] > 0


def test_isaac_throughput_holds_with_its_chip_hierarchy():
    """ISAAC-CE written with the chip hierarchy (IMAs, tiles with eDRAM and bus, c-mesh) keeps
    the flat config's peak: same throughput, power and area; and the throughput is Table IV's
    627.5 GOPS/W x Table I's 65.8 W = 41.29 TOPS (within 0.01 %)."""
    from cimsim.validate.cim import _load
    from cimsim.validate.cimchip import isaac_chip, peak_chip_figures

    arch = isaac_chip()
    assert arch.component("cim").config.chip is not None
    chip, flat = peak_chip_figures(arch), peak_chip_figures(_load("isaac.yaml"))
    for key in ("tops", "power", "area"):
        assert chip[key] == pytest.approx(flat[key], rel=1e-12, abs=0), key
    assert chip["tops"] == pytest.approx(627.5 * 65.8 / 1000, rel=1e-4, abs=0)
    # the "measured" throughput is derived from two published figures, and its source says so
    from cimsim.validate.cimchip import ISAAC_SRC, ISAAC_TOPS

    assert ISAAC_TOPS == pytest.approx(41.2895, rel=1e-12, abs=0)
    assert ISAAC_SRC.startswith("derived, not published") and "627.5 GOPS/W x" in ISAAC_SRC


def test_validate_writes_csv_only_and_runs_a_suite_named_twice_once(tmp_path):
    """-o x.parquet wrote CSV under a Parquet name; -s X -s X ran X twice (its cases twice in
    the table, the CSV and the summary's counts)."""
    from click.testing import CliRunner

    from cimsim.cli import main

    res = CliRunner().invoke(main, ["validate", "-s", "pim-published", "-o", str(tmp_path / "v.parquet")])
    assert res.exit_code == 2 and "validate writes CSV; name the file .csv" in res.output
    assert not (tmp_path / "v.parquet").exists()
    # an empty -o was named "-o ." (a tester, 2026-12-05)
    res = CliRunner().invoke(main, ["validate", "-s", "pim-published", "-o", ""])
    assert res.exit_code == 2 and "-o '' (no file name: empty, or the folder .)" in res.output
    out = tmp_path / "v.csv"
    res = CliRunner().invoke(main, ["validate", "-s", "pim-published", "-s", "pim-published", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert len(out.read_text().strip().splitlines()) == 1 + 2  # header + the suite's 2 cases


def test_a_suite_that_cannot_run_here_is_skipped_in_a_full_run(monkeypatch):
    """`cimsim validate` (every suite) on a busy machine: the host suite's calibration was
    refused and the nine published suites' results, already computed, were thrown away (a
    tester, 2026-12-05). A full run lists the suite as skipped with why; naming it still fails."""
    import cimsim.validate as V
    from cimsim.errors import CimsimError

    def refused():
        raise CimsimError("calibration refused: the machine was busy")

    def fine():
        return [V.Case("ok", "one", "s", 1.0, 1.0, "a source", V.PREDICTED)]

    V._load_builtin()
    monkeypatch.setattr(V, "_SUITES", {"ok": (fine, "ok"), "busy": (refused, "busy")})
    df = V.run()
    assert list(df["suite"]) == ["ok"]
    assert df.attrs["skipped"] == [{"suite": "busy", "case": "the whole suite",
                                    "reason": "calibration refused: the machine was busy"}]
    with pytest.raises(CimsimError, match="calibration refused"):
        V.run(["busy"])
    # two suites refused for one reason: each is named (the CLI grouped skips by reason alone)
    from click.testing import CliRunner

    from cimsim.cli import main

    monkeypatch.setattr(V, "_SUITES", {"ok": (fine, "ok"), "busy": (refused, "busy"),
                                       "busy-too": (refused, "busy too")})
    res = CliRunner().invoke(main, ["validate"])
    assert res.exit_code == 0, res.output
    assert "skipped (busy): calibration refused" in res.output
    assert "skipped (busy-too): calibration refused" in res.output


def test_validate_says_which_suite_runs(monkeypatch):
    """A full `cimsim validate` ran for minutes without a word (a known gap until 2026-12-05):
    each suite is told to the progress line as it starts, off a terminal as `cimsim: validate:
    <suite> <done>/<all> suites (<pct> %), <elapsed> s` every few seconds."""
    import io

    import cimsim.validate as V
    from cimsim.progress import Feedback

    seen = []

    def suite(name):
        def cases():
            seen.append((fb.phase, fb.done, fb.total, fb.status()))
            return [V.Case(name, "one", "s", 1.0, 1.0, "a source", V.PREDICTED)]
        return cases

    V._load_builtin()
    monkeypatch.setattr(V, "_SUITES", {"a": (suite("a"), "a"), "b": (suite("b"), "b")})
    fb = Feedback("validate", enabled=False, stream=io.StringIO(), unit="suites")
    V.run(progress=fb)
    assert [s[:3] for s in seen] == [("a", 0, 2), ("b", 1, 2)]
    assert seen[1][3].startswith("cimsim: validate: b 1/2 suites (50 %), ")


def test_a_bound_case_says_which_bound_in_the_table_and_the_csv(tmp_path):
    """pim-published's energy saving is a published lower bound ("over 60 %"): its rel_error
    0.0 read as an impossible exact match, nothing saying it was a bound (a seventh-round
    maintainer, 2026-12-05)."""
    import pandas as pd
    from click.testing import CliRunner

    from cimsim.cli import main

    out = tmp_path / "v.csv"
    res = CliRunner().invoke(main, ["validate", "-s", "pim-published", "-o", str(out)],
                             env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out, keep_default_na=False)
    assert list(df.columns)[-3:] == ["bound", "cimsim_version", "cimsim_revision"]
    saving = df[df["bound"] == "lower"]
    assert len(saving) == 1 and saving["measured"].iloc[0] == 0.6 and saving["rel_error"].iloc[0] == 0.0
    assert (df[df["bound"] != "lower"]["bound"] == "").all()
    assert ">= 0.6 fraction" in res.output, res.output


def test_an_output_a_file_system_refuses_is_named_before_the_suites_run(tmp_path):
    """/proc is writable by its mode (as root) but takes no new file: `validate -o /proc/x.csv`
    ran every suite, then named a temporary file (a seventh-round tester)."""
    import os

    from click.testing import CliRunner

    from cimsim.cli import main

    if not os.access("/proc", os.W_OK):  # the check is the probe file, where the mode allows
        return
    res = CliRunner().invoke(main, ["validate", "-s", "pim-published", "-o", "/proc/x.csv"])
    assert res.exit_code == 1 and "-o /proc/x.csv: cannot write there" in res.output, res.output
    assert "measured vs predicted" not in res.output
    assert not [p for p in os.listdir(tmp_path)]
