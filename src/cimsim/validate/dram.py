"""The ``dram`` suite: the ``type: dram`` memory level against closed-form JEDEC targets and
measured maxima.

1. For every preset (:data:`cimsim.hw.memory.jedec.PRESETS`), the targets Ramulator 2.1's
   latency-throughput tests hold its cycle-level simulator to
   (CMU-SAFARI/ramulator2 ``tests/latency_throughput/utils/spec.py``), restated here from the
   preset's numbers: the refresh-limited streaming throughput of one data bus,
   ``bus_bits * rate / 8 * (1 - (nRTP + nRP + nRFC + nRCD) / nREFI)``, and the unloaded
   (row-miss) latency ``(nRP + nRCD + nCL) * tCK``. The model must equal them (it is built
   from the same arithmetic: these cases pin it, error 0).
2. Mess-Results (bsc-mem/Mess-Results, ``data/validation/mess_max_bandwidth.csv``): the
   measured maximum bandwidth of four server sockets at several read ratios. Per platform one
   cap (``sustained_fraction``) is fitted at its highest read ratio (that case has error 0 by
   construction and is listed as the fit); the other read ratios are predicted by the
   read/write turnaround model with Ramulator 2's default write batch, nothing else fitted.
   Where the cap acts is the platform's ``cap_kind`` (the data file's column): ``controller``
   (it multiplies every ceiling) for the three Intel sockets, ``fabric`` (a separate
   bottleneck, ``min(cap, ceiling)``) for CTE-AMD. The fabric kind was chosen for CTE-AMD after
   seeing its flat curve, so its other read ratios are labelled ``fit``, not ``predicted``.
3. Mess-Results bandwidth-latency curves (``data/validation/mess_latency_curves.csv``: four
   systems, three read ratios each). Idle latency: the level's ``latency`` field is set from
   the system's highest read ratio (given, error 0) and predicted unchanged for its other
   ratios. Loaded latency: the ``queue`` model (M/D/1, service one row cycle tRC of the
   preset, capacity ``queue_headroom`` x the level's sustained rate at that read ratio, itself
   the cap of item 2, its kind and the turnaround model), at 50 % and 80 % of each curve's measured
   maximum (the measured latency there interpolated linearly between the two measured points
   around it). The one number fitted, the headroom, comes from MN5-GPP at 100 % reads (least
   squares over its points up to 90 % of the maximum; those cases say "fitted"); every other
   system and read ratio is a prediction. The ``measured`` model is the curves themselves and
   is not validated against them.
4. Ramulator 2.1 runs (``data/validation/ramulator_runs.csv``, made by
   ``validation/ramulator_runs.py`` with a built Ramulator 2.1): the sustained bandwidth one
   Ramulator channel serves under a saturating load (streaming at 100 % and 50 % reads;
   uniformly random reads of one burst, 64 B, 128 B and 256 B; random one-burst and 64 B
   accesses at 50 % reads), all-bank refresh on, at the speed bin, organisation and
   controller of Ramulator's own latency-throughput test case of each standard. The model's
   ceiling for the same pattern on the same number of data buses (HBM: one channel is two
   pseudo-channels), no cap, no number fitted to them. The 256 B
   and 50 %-read runs were added after the model's command-bus term, their predictions
   written down before they were run. The level states the run's controller buffers
   (``read_buffer`` / ``write_buffer``: the test case's, recorded at the end of the run's
   ``config`` column, else Ramulator's defaults 32 / 32), so random runs are the controller-
   window model's (:mod:`cimsim.hw.memory.dramwindow`; streaming keeps the closed form). The
   192 B-read, 75 %-read, other-buffer and extra LPDDR5 runs (branch dramwin) were predicted
   by that model before they were run; the first 44 runs and the dramcmd buffer sweep had been
   seen when it was built (no number of it was fitted to them: every timing and rule is
   Ramulator's); its LPDDR5 ACT-1 / ACT-2 rule was added after seeing one LPDDR5 miss. The
   data's ``seen_by`` column records this per run, and the role follows it
   (:func:`ramulator_role`): the 44 runs in view when the command-bus term and the window model
   were built and the LPDDR5 miss are ``fit``; the 28 others ``predicted``.
"""

from __future__ import annotations

import ast
import csv

from ..hw.base import STREAM, Pattern
from ..hw.memory.dram import Dram, mess_curves, queue_wait_s
from ..hw.memory.jedec import PRESETS
from . import CONSISTENCY, FIT, PREDICTED, Case, suite
from .gpu import DATA_DIR

MESS = DATA_DIR / "mess_max_bandwidth.csv"
RAMULATOR = DATA_DIR / "ramulator_runs.csv"
R2_SPEC = "CMU-SAFARI/ramulator2 tests/latency_throughput/utils/spec.py"
MESS_REPO = "bsc-mem/Mess-Results @16ab1d6"


def level(standard: str, buses: int = 1, cap: float = 1.0, cap_kind: str = "controller",
          **window) -> Dram:
    """A ``type: dram`` level of ``buses`` data buses (validated like a config section);
    ``window``: ``read_buffer`` / ``write_buffer`` (requests) where the level states them."""
    cfg = Dram.Config.model_validate({"type": "dram", "standard": standard, "channels": buses,
                                      "sustained_fraction": cap, "cap_kind": cap_kind,
                                      "capacity": "1 GB", "energy_per_bit": "0 pJ/bit", **window})
    return Dram(f"dram-{standard}", cfg)


#: platforms whose cap_kind was chosen after seeing their read-ratio curve (CTE-AMD: fabric, for
#: its flat curve): their non-fitted ratios are labelled fit, not predicted
KIND_CHOSEN_AFTER_SEEING = {"CTE-AMD"}


def fitted_cap(fit: dict) -> float:
    """The cap that makes the level meet the measured maximum of row ``fit`` (a Mess row):
    ``controller``: measured / the ceiling at its read ratio; ``fabric``: measured / the
    all-read streaming ceiling (the fabric's rate; it meets the maximum only where the DRAM's
    own ceiling at the fit's ratio is above it, which is checked)."""
    d = level(fit["standard"], int(fit["data_buses"]))
    measured = float(fit["max_bandwidth_gbps"]) * 1e9
    if fit["cap_kind"] == "controller":
        return measured / d.bytes_per_s(Pattern.stream(int(fit["read_pct"]) / 100))
    if d.bytes_per_s(Pattern.stream(int(fit["read_pct"]) / 100)) < measured:
        raise ValueError(f"{fit['system']}: the measured maximum is above the DRAM ceiling at "
                         f"{fit['read_pct']} % reads: no fabric cap meets it")
    return measured / d.bytes_per_s(STREAM)


def jedec_cases() -> list[Case]:
    out = []
    for name, t in PRESETS.items():
        d = level(name)
        target = t.bus_bits * t.rate_mtps * 1e6 / 8 * (1 - (t.n_rtp + t.n_rp + t.n_rfc + t.n_rcd) / t.n_refi)
        src = f"{R2_SPEC} (max_achievable_throughput); preset {t.source}"
        # closed-form targets from the preset's own numbers, the arithmetic the model is built
        # from: they pin it (consistency), they are not measurements
        out.append(Case("dram", f"{name} streaming ceiling of one data bus (refresh-limited)", "B/s",
                        target, d.bytes_per_s(STREAM), src, role=CONSISTENCY))
        lat = (t.n_rp + t.n_rcd + t.n_cl) * t.tck_ps * 1e-12
        out.append(Case("dram", f"{name} unloaded row-miss latency", "s", lat, d.unloaded_latency_s(),
                        f"{R2_SPEC} (unloaded_latency_ns); preset {t.source}", role=CONSISTENCY))
    return out


def mess_rows() -> list[dict]:
    with open(MESS, newline="") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def mess_cases() -> list[Case]:
    rows = mess_rows()
    out = []
    for system in dict.fromkeys(r["system"] for r in rows):
        mine = sorted((r for r in rows if r["system"] == system), key=lambda r: -int(r["read_pct"]))
        fit = mine[0]
        capped = capped_level(system)
        chosen_after = system in KIND_CHOSEN_AFTER_SEEING
        for r in mine:
            pct = int(r["read_pct"])
            what = ("cap fitted here" if r is fit else
                    f"{fit['cap_kind']} cap fitted at {fit['read_pct']} %"
                    + (", its kind chosen after seeing this curve" if chosen_after else ", predicted"))
            out.append(Case("dram", f"{system} {r['standard']} x{r['data_buses']} max bandwidth, {pct} % reads "
                            f"({what})", "B/s", float(r["max_bandwidth_gbps"]) * 1e9,
                            capped.bytes_per_s(Pattern.stream(pct / 100)),
                            f"{MESS_REPO} {r['path']} ({r['cpu']})",
                            role=FIT if (r is fit or chosen_after) else PREDICTED))
    return out


#: the curve the queue model's one number (queue_headroom) is fitted to
FIT_CURVE = "MN5-GPP@100"
#: loads (fractions of each curve's measured maximum) at which the loaded latency is predicted
LOADS = (0.5, 0.8)


def _system_rows() -> dict[str, list[dict]]:
    """Per system, its Mess maxima rows, highest read ratio first."""
    out: dict[str, list[dict]] = {}
    for r in mess_rows():
        out.setdefault(r["system"], []).append(r)
    return {k: sorted(v, key=lambda r: -int(r["read_pct"])) for k, v in out.items()}


def capped_level(system: str) -> Dram:
    """The system's level with its cap fitted at its highest read ratio (item 2)."""
    fit = _system_rows()[system][0]
    return level(fit["standard"], int(fit["data_buses"]), min(fitted_cap(fit), 1.0), fit["cap_kind"])


def _interp(x: float, xs: list[float], ys: list[float]) -> float:
    pts = sorted(zip(xs, ys))
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        if x0 <= x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    raise ValueError(f"{x} outside the measured bandwidths")


def _curve_points(name: str) -> tuple[list[float], list[float], float, float]:
    """(bandwidths, latencies) up to the maximum, the maximum, the idle latency."""
    bw, lat, _ = mess_curves()[name]
    top = max(bw)
    end = bw.index(top) + 1
    return bw[:end], lat[:end], top, lat[0]


def _queue_inputs(name: str) -> tuple[float, float, float]:
    """(given idle latency, the level's rate at the curve's read ratio, service time)."""
    system, pct = name.split("@")
    d = capped_level(system)
    idle = mess_curves()[f"{system}@{_system_rows()[system][0]['read_pct']}"][1][0]
    return idle, d.bytes_per_s(Pattern.stream(int(pct) / 100)), d.queue_service_s()


def predicted_latency(name: str, bandwidth: float, headroom: float) -> float:
    """The queue model's load-to-use latency at ``bandwidth`` on the curve ``name``'s system
    and read ratio: the given idle latency + the M/D/1 wait at ``u = bandwidth / rate``."""
    idle, rate, service = _queue_inputs(name)
    return idle + queue_wait_s(bandwidth / rate, service, headroom)


def fit_headroom() -> float:
    """The headroom minimising the squared latency error over FIT_CURVE's points up to 90 %
    of its maximum (a grid of 0.001 from 1.001 to 3)."""
    bw, lat, top, _ = _curve_points(FIT_CURVE)
    pts = [(b, t) for b, t in zip(bw[1:], lat[1:]) if b <= 0.9 * top]

    idle, rate, service = _queue_inputs(FIT_CURVE)

    def sse(c: float) -> float:
        return sum((idle + queue_wait_s(b / rate, service, c) - t) ** 2 for b, t in pts)

    grid = [1.0 + k / 1000 for k in range(1, 2001)]
    return min(grid, key=sse)


def latency_cases(headroom: float | None = None) -> list[Case]:
    """Idle and loaded latency of every curve (see the module docstring, item 3); the queue
    model with ``headroom`` (default: the ``type: dram`` level's default)."""
    c = Dram.Config.model_fields["queue_headroom"].default if headroom is None else headroom
    out = []
    for name, (bw, lat, path) in mess_curves().items():
        system, pct = name.split("@")
        top_pct = _system_rows()[system][0]["read_pct"]
        given = pct == top_pct
        src = f"{MESS_REPO} {path}"
        idle_pred = mess_curves()[f"{system}@{top_pct}"][1][0]
        out.append(Case("dram", f"{system} idle latency, {pct} % reads ("
                        + ("given: the level's latency field" if given else
                           f"predicted: the latency field set at {top_pct} %") + ")",
                        "s", lat[0], idle_pred, src, role=CONSISTENCY if given else PREDICTED))
        b, t, top, _ = _curve_points(name)
        for load in LOADS:
            what = "fitted" if name == FIT_CURVE else "predicted"
            out.append(Case("dram", f"{system} loaded latency at {load:.0%} of max bandwidth "
                            f"({load * top / 1e9:.0f} GB/s), {pct} % reads (queue model, {what})",
                            "s", _interp(load * top, b, t),
                            predicted_latency(name, load * top, c), src,
                            role=FIT if name == FIT_CURVE else PREDICTED))
    return out


def ramulator_rows() -> list[dict]:
    with open(RAMULATOR, newline="") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def ramulator_pattern(row: dict) -> Pattern:
    """The cimsim pattern of a Ramulator run (a row of ``ramulator_runs.csv``)."""
    rf = float(row["read_fraction"])
    if row["pattern"] == "stream":
        return Pattern.stream(rf)
    if row["pattern"] == "random":
        return Pattern.random_access(float(row["access_bytes"]), rf)
    raise ValueError(f"{RAMULATOR.name}: pattern '{row['pattern']}' is not stream or random")


#: Ramulator 2's controller buffers where a test case states none (``controller_base.cpp``
#: ``read_buffer_size`` / ``write_buffer_size`` defaults), requests
RAMULATOR_DEFAULT_BUFFERS = {"read_buffer_size": 32, "write_buffer_size": 32}


def ramulator_buffers(row: dict) -> dict[str, int]:
    """The read and write buffers of a Ramulator run, as the level's fields: the controller
    keyword arguments its ``config`` column ends with (the test case's), else Ramulator's
    defaults."""
    cfg = row["config"]
    kw = dict(RAMULATOR_DEFAULT_BUFFERS)
    if cfg.rstrip().endswith("}"):
        kw.update(ast.literal_eval(cfg[cfg.rindex("{"):]))
    return {"read_buffer": kw["read_buffer_size"], "write_buffer": kw["write_buffer_size"]}


def ramulator_cases() -> list[Case]:
    """Item 4: the model's uncapped ceiling against each Ramulator 2.1 run (its role from the
    run's ``seen_by``: :func:`ramulator_role`); the level states the run's controller buffers,
    so random runs go through the window model."""
    out = []
    for r in ramulator_rows():
        buf = ramulator_buffers(r)
        d = level(r["standard"], int(r["data_buses"]), **buf)
        rf = float(r["read_fraction"])
        what = (f"streaming, {rf:.0%} reads" if r["pattern"] == "stream"
                else f"random {int(float(r['access_bytes']))} B accesses, {rf:.0%} reads, "
                f"buffers {buf['read_buffer']} / {buf['write_buffer']}")
        out.append(Case("dram", f"{r['standard']} x{r['data_buses']} ({r['ramulator_preset']}) {what} "
                        f"vs a Ramulator 2.1 run", "B/s", float(r["bandwidth_GBps"]) * 1e9,
                        d.bytes_per_s(ramulator_pattern(r)),
                        f"Ramulator 2.1 @{r['ramulator_commit']} run {r['date']} "
                        f"(validation/ramulator_runs.py): {r['config']}",
                        role=ramulator_role(r)))
    return out


#: ``ramulator_runs.csv``'s ``seen_by``: what of the model was built with the run's result in
#: view (``validation/ramulator_runs.py``, ``SEEN_BY``); "" = predicted before it was run
SEEN_BY = ("command-bus", "window", "act-rule")


def ramulator_role(r: dict) -> str:
    """A run's role from its ``seen_by`` column: ``fit`` where a part of the model was built
    with its result in view (a model choice made after computing it there, the README's rule),
    ``predicted`` where the prediction was written down before the run and nothing changed
    after it."""
    seen = (r.get("seen_by") or "").strip()
    if seen and seen not in SEEN_BY:
        raise ValueError(f"{RAMULATOR.name}: {r['standard']} {r['pattern']} run: seen_by '{seen}' is "
                         f"not one of {', '.join(SEEN_BY)} or empty")
    return FIT if seen else PREDICTED


@suite("dram", "DRAM model: Ramulator 2.1's closed-form JEDEC targets per preset; Mess-Results maxima "
               "by read ratio, one cap per platform (controller or fabric); idle and loaded latency (M/D/1 on tRC, one "
               "headroom fitted on one curve); Ramulator 2.1 runs on the same traffic (streaming, "
               "read/write mix, random reads of 1 burst, 64 B, 128 B, 192 B, 256 B, random 75 % and 50 % "
               "reads; random runs through the controller-window model with the run's buffers)")
def dram_suite() -> list[Case]:
    return jedec_cases() + mess_cases() + latency_cases() + ramulator_cases()
