"""The timing harness: how long one call of a kernel takes, from repeated calls.

Settings travel explicitly in a :class:`Timing` (nothing is read from the environment
here); the CLI layer builds one from ``--timing`` / ``CIMSIM_TIMING`` at call time
(:meth:`Timing.from_env`). The clock is a setting too, so a test can time with a clock
that is disturbed for real (one that sleeps, as a descheduled thread does).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

#: the statistics of repeated calls a timing can report
STATISTICS = ("min", "median")
#: the statistic ``cimsim calibrate`` reports each figure as unless told otherwise: a workload's
#: time is a sum of many ops' calls, and its undisturbed run (its fastest call) finds each op at
#: its typical time, not at its own fastest (the minimum of a sum is not the sum of minima);
#: a benchmark of a whole workload (the host suites' cases) keeps ``min``
CALIBRATION_STATISTIC = "median"
#: environment variable the CLI layer reads (at call time) for the statistic
ENV_VAR = "CIMSIM_TIMING"
K = TypeVar("K")


@dataclass(frozen=True)
class Timing:
    """How a call is timed: ``statistic`` of repeated calls (``min``, the default, or
    ``median``), read off ``clock`` (seconds; :func:`time.perf_counter`).

    The fastest call, not the median, by default: other processes share the machine (a
    2-core host running several jobs has a load of 6), and a call whose threads were
    descheduled measures the scheduler, not the hardware; the fastest call is the least
    disturbed (as :mod:`timeit` recommends). That suits a benchmark of a whole workload; a
    calibration, whose figures are single ops that a workload's time sums, takes the median
    (:data:`CALIBRATION_STATISTIC`, :data:`CALIBRATION`)."""

    statistic: str = "min"
    clock: Callable[[], float] = time.perf_counter

    def __post_init__(self) -> None:
        if self.statistic not in STATISTICS:
            from ..errors import CimsimError

            raise CimsimError(f"timing statistic {self.statistic!r} is not one of {', '.join(STATISTICS)}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str], default: str = "min") -> Timing:
        """The timing ``environ`` asks for (``CIMSIM_TIMING=min|median``; unset: ``default``)."""
        value = environ.get(ENV_VAR, "").strip()
        if not value:
            return cls(statistic=default)
        if value not in STATISTICS:
            from ..errors import CimsimError

            raise CimsimError(f"{ENV_VAR}={value!r} is not one of {', '.join(STATISTICS)}")
        return cls(statistic=value)

    def time(self, fn, *, min_time: float = 0.05, max_reps: int = 200, min_reps: int = 15) -> float:
        """Seconds of one call of ``fn()`` (after one warm-up): the statistic of at least
        ``min_reps`` calls and about ``min_time`` seconds of calls in all."""
        return self.of(self.samples(fn, min_time=min_time, max_reps=max_reps, min_reps=min_reps))

    def samples(self, fn, *, min_time: float = 0.05, max_reps: int = 200, min_reps: int = 15) -> list[float]:
        """Seconds of each timed call of ``fn()`` as :meth:`time` takes them (its statistic is
        :meth:`of` these), for a caller that needs more than one statistic of the same calls."""
        clock = self.clock
        fn()
        t0 = clock()
        fn()
        first = clock() - t0
        reps = int(min(max_reps, max(min_reps, min_time / max(first, 1e-9))))
        ts = []
        for _ in range(reps):
            t0 = clock()
            fn()
            ts.append(clock() - t0)
        return ts

    def of(self, samples) -> float:
        """The statistic of ``samples`` (seconds of single calls)."""
        return statistics.median(samples) if self.statistic == "median" else min(samples)

    def time_rounds(self, fns: Mapping[K, Callable[[], object]], *, rounds: int = 3, min_time: float = 0.05,
                    min_reps: int = 15, max_reps: int = 200,
                    before_round: Callable[[int], None] | None = None) -> dict[K, float]:
        """Seconds of one call of each ``fns[k]()``, timed in ``rounds`` interleaved rounds.

        Each round visits every function in turn: one untimed warm-up call (so a weight that
        fits a cache is there again after the other functions ran), then at least
        ``ceil(min_reps / rounds)`` timed calls and about ``min_time / rounds`` seconds of
        calls. A function's statistic is over its calls of all rounds. A burst of load from
        other processes that lasts as long as one function's whole timing then spoils one
        round of it, not all its calls: the rounds of one function are a whole round of the
        others apart. ``before_round(i)`` (i = 0 ... rounds - 1) runs before each round."""
        if rounds < 1:
            raise ValueError(f"rounds must be at least 1, got {rounds}")
        clock = self.clock
        per_round_reps = -(-min_reps // rounds)
        samples: dict[K, list[float]] = {k: [] for k in fns}
        for i in range(rounds):
            if before_round is not None:
                before_round(i)
            for k, fn in fns.items():
                t0 = clock()
                fn()  # warm-up, also sizes the first round
                per_call = min(samples[k]) if samples[k] else clock() - t0
                reps = int(min(max(1, max_reps // rounds),
                               max(per_round_reps, min_time / rounds / max(per_call, 1e-9))))
                for _ in range(reps):
                    t0 = clock()
                    fn()
                    samples[k].append(clock() - t0)
        return {k: self.of(ts) for k, ts in samples.items()}

    def time_batched(self, fn, *, inner: int, min_time: float = 0.05, min_reps: int = 15) -> float:
        """Seconds of one ``fn()`` when called ``inner`` times back to back (for microsecond
        ops, where the clock's own cost would otherwise count)."""

        def batch():
            for _ in range(inner):
                fn()

        return self.time(batch, min_time=min_time, min_reps=min_reps) / inner


DEFAULT = Timing()
#: how a calibration times unless told otherwise (:data:`CALIBRATION_STATISTIC`)
CALIBRATION = Timing(statistic=CALIBRATION_STATISTIC)


def best_time(fn, *, min_time: float = 0.05, max_reps: int = 200, min_reps: int = 15,
              timing: Timing = DEFAULT) -> float:
    """Seconds of one call of ``fn()`` by ``timing`` (default: the fastest of repeated calls)."""
    return timing.time(fn, min_time=min_time, max_reps=max_reps, min_reps=min_reps)


def best_time_batched(fn, *, inner: int, min_time: float = 0.05, min_reps: int = 15,
                      timing: Timing = DEFAULT) -> float:
    """Seconds of one ``fn()`` called ``inner`` times back to back, by ``timing``."""
    return timing.time_batched(fn, inner=inner, min_time=min_time, min_reps=min_reps)
