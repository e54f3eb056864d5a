"""Points of a design space: cartesian grids and seeded random / Latin-hypercube samples."""

from __future__ import annotations

import hashlib
import itertools
import math
import os
from typing import Sequence

import numpy as np

from .params import ParamSpec, SweepSpecError, option, spec_named, under_cli, draw_options

SAMPLERS = ("grid", "random", "lhs")


def grid_points(params: Sequence[ParamSpec]) -> list[dict]:
    """Every combination of the parameters' values, the last parameter varying fastest."""
    if not params:
        return [{}]
    grids = [p.grid() for p in params]
    return [dict(zip((p.path for p in params), combo)) for combo in itertools.product(*grids)]


def count_points(params: Sequence[ParamSpec], method: str = "grid", samples: int | None = None) -> int:
    """How many points :func:`sample_points` would return, by arithmetic alone (nothing is built).

    A grid has the product of the parameters' value counts; random and LHS
    sampling draw ``samples`` points, an upper bound: draws that repeat a point (lists and
    whole-number ranges have few values) are merged, :func:`sample_points` says how many stay.
    """
    _check_method(params, method, samples)
    if method == "grid":
        return math.prod(len(p.grid()) for p in params)
    return int(samples)


def _check_method(params: Sequence[ParamSpec], method: str, samples: int | None) -> None:
    # named as the caller wrote them: cimsim sweep's options, or sweep()'s keywords
    cli = under_cli()
    sample, n = option("sample", method), "--samples" if cli else "samples="
    draw = draw_options()
    if method not in SAMPLERS:
        raise SweepSpecError(f"{sample}: allowed are {', '.join(SAMPLERS)}")
    if method == "grid":
        if samples is not None:  # it would be ignored: a grid has the product of the counts
            raise SweepSpecError(f"{n} goes with {draw} (a grid has one point per combination of "
                                 f"the {'--param' if cli else 'params'} values)")
        return
    if samples is None or samples < 1:
        raise SweepSpecError(f"{sample} needs --samples N (N >= 1)" if cli else
                             f"{sample} needs samples=N (N >= 1), got samples={samples!r}")
    if not params:
        raise SweepSpecError(f"{sample} needs at least one {'--param' if cli else 'params= entry'}")
    for p in params:
        if p.is_range and p.values is not None:  # the count would be ignored: draws are continuous
            base = p.spec.rsplit(":", 1)[0]
            raise SweepSpecError(f"{spec_named(p.path, p.spec)}: {sample} draws from a range "
                                 f"written without a point count ('{base}'); {n} sets how many")


def latin_hypercube(n: int, dims: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws in [0, 1)^dims; in every dimension each stratum [i/n, (i+1)/n) holds one draw."""
    u = np.empty((n, dims))
    for d in range(dims):
        u[:, d] = (rng.permutation(n) + rng.random(n)) / n
    return u


def sample_points(
    params: Sequence[ParamSpec], method: str = "grid", samples: int | None = None, seed: int = 0
) -> list[dict]:
    """Points of the design space as ``{path: value}`` dicts, values in SI units.

    ``grid`` takes the cartesian product of the specs; ``random`` draws
    ``samples`` points uniformly (log-uniformly on ``:log`` ranges); ``lhs``
    draws a Latin hypercube of ``samples`` points. Same ``seed``, same points. A draw that
    repeats an earlier point (a list, or a whole-number range, has few values) is dropped, so
    a sampled sweep may have fewer than ``samples`` points; the first draw of each is kept.
    """
    _check_method(params, method, samples)
    if method == "grid":
        return grid_points(params)
    rng = np.random.default_rng(seed)
    if method == "random":
        u = rng.random((samples, len(params)))
    else:
        u = latin_hypercube(samples, len(params), rng)
    columns = [p.from_unit(u[:, d]) for d, p in enumerate(params)]
    points, seen = [], set()
    for i in range(samples):  # a draw that repeats an earlier one is the same point: merged
        point = {p.path: columns[d][i] for d, p in enumerate(params)}
        key = tuple(repr(p.override_value(point[p.path])) for p in params)
        if key not in seen:
            seen.add(key)
            points.append(point)
    return points


def sampling_record(method: str, samples: int | None, seed: int, params: Sequence[ParamSpec],
                    points=None) -> dict:
    """How a sweep chose its points, for its attrs (``cimsim_sampling``): the method (``points``
    with a ``--points`` file), the seed and sample count of a random / LHS draw (None for a
    grid, which uses neither), the ``--param`` specs as typed (``PATH=SPEC``) and the points
    file's absolute path and SHA-256. Enough to draw the same points again."""
    drawn = method in ("random", "lhs")
    record = {"method": "points" if points is not None else method,
              "seed": int(seed) if drawn else None,
              "samples": int(samples) if drawn and samples is not None else None,
              "params": [f"{p.path}={p.spec}" for p in params],
              "points": None}
    if isinstance(points, (str, os.PathLike)):
        with open(points, "rb") as f:  # read before: read_points refused an unreadable file
            sha = hashlib.sha256(f.read()).hexdigest()
        record["points"] = {"path": os.path.abspath(points), "sha256": sha}
    elif points is not None:  # a DataFrame or list of dicts: no file, its points are the rows
        record["points"] = {"path": None, "sha256": None}
    return record
