"""Compute cycles of one GEMM on a systolic array, as SCALE-Sim 3.0.0 counts them.

The GEMM is ``A (M x K) @ B (K x N)``: ``A`` holds M input vectors (activations), ``B`` the
weights. The array has ``rows x cols`` processing elements. Every function takes Python ints
(and returns a Python int) or NumPy integer arrays broadcast against each other (and returns an
int64 array); every dimension must be >= 1.

Closed forms (F = number of folds, ceil written as ⌈ ⌉)::

    weight-stationary  ws:  F = ⌈K/rows⌉·⌈N/cols⌉   cycles = F·(2·rows + cols + M − 2) − 1
    output-stationary  os:  F = ⌈M/rows⌉·⌈N/cols⌉   cycles = F·(rows + cols + K − 2) − 1
    input-stationary   is:  F = ⌈K/rows⌉·⌈M/cols⌉   cycles = F·(2·rows + cols + N − 2) − 1

Derivation, from SCALE-Sim's source (github scalesim-project/scale-sim-v3 at commit
fab89b777d7363550b7560ff615a11f888db46b9, identical in scalesim/compute/ to the PyPI release
scalesim==3.0.0):

* Mapping. A GEMM topology row ``name, M, N, K`` is read by
  ``topology_utils.topologies.load_arrays_gemm`` as a convolution with an M x K input map and N
  filters of 1 x K, so the operand matrices (``compute/operand_matrix.py``) are an M x K ifmap,
  a K x N filter and an M x N ofmap. ``systolic_compute_ws.set_params`` then sets
  ``Sr = K`` (ifmap columns), ``Sc = N`` (filter columns), ``T = M`` (ifmap rows): the K x N
  weights are pinned, K along the array's rows and N along its columns, and the M input vectors
  stream through. ``systolic_compute_os.set_params``: ``Sr = M``, ``Sc = N``, ``T = K``;
  ``systolic_compute_is.set_params``: ``Sr = K``, ``Sc = M``, ``T = N``. In all three,
  ``row_fold = ⌈Sr/rows⌉``, ``col_fold = ⌈Sc/cols⌉`` and every fold is run one after another.
* One fold's length. The demand matrices hold one row per cycle. In
  ``systolic_compute_ws.create_ofmap_demand_mat`` each fold is ``2·rows − 1`` idle rows (weights
  load, inputs reach the last row), then T output rows, then ``skew_matrix`` adds ``cols − 1``
  rows (the skew across columns): ``2·rows + cols + T − 2`` rows. The ifmap demand
  (``rows`` prefix + T + ``cols − 1`` suffix, skewed by ``rows − 1``) and the filter demand
  (``rows`` weight rows + ``rows + cols + T − 2`` suffix) have the same length, which
  ``create_demand_matrices`` asserts. ``systolic_compute_is`` uses the same prefix (2·rows − 1)
  and skew; ``systolic_compute_os.create_ofmap_demand_mat`` uses a ``T − 1`` prefix, then
  ``rows`` output rows drained from the array's bottom edge, skewed by ``cols − 1``:
  ``rows + cols + T − 2``. Nothing overlaps two folds (the weights of fold i+1 are not loaded
  while fold i computes).
* Reported number. ``memory/double_buffered_scratchpad_mem.service_memory_requests`` serves the
  demand rows at cycles 0, 1, 2, ... (plus stalls) and sets ``total_cycles`` to the cycle of the
  last ofmap row, ``F·L − 1`` for F folds of L rows when nothing stalls; ``single_layer_sim``
  reports it as "Total Cycles" in COMPUTE_REPORT.csv ("compute cycles" on the console). It
  includes the array's fill and drain, excludes the DRAM prefetch (the separate "Total Cycles
  (incl. prefetch)" column), and assumes the SRAMs keep up (zero "Stall Cycles", as in
  SCALE-Sim's estimate-bandwidth mode, ``InterfaceBandwidth: CALC``).

The issue's measurements on 128 x 128 (weight-stationary) are the case rows = cols = 128:
F·(3·128 + M − 2) − 1, e.g. M=1, K=512, N=1024: 4·8·(384 − 1) − 1 = 12,255.
cimsim/data/validation/systolic_scalesim.csv holds SCALE-Sim runs on six array shapes and all three
dataflows; validation/SYSTOLIC.md tells how they were made.
"""

from __future__ import annotations

import numpy as np

DATAFLOWS = ("ws", "os", "is")


def _dims(**named):
    """The arguments as Python ints, or as int64 arrays if any is an array; each >= 1."""
    as_array = any(isinstance(v, np.ndarray) for v in named.values())
    out = []
    for name, v in named.items():
        if as_array:
            a = np.asarray(v)
            if a.dtype == bool or not np.issubdtype(a.dtype, np.integer):
                raise ValueError(f"systolic timing: {name} must be integers, got dtype {a.dtype}")
            if a.size and a.min() < 1:
                raise ValueError(f"systolic timing: {name} must be >= 1, got {a.min()}")
            out.append(a.astype(np.int64))
        else:
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise ValueError(f"systolic timing: {name} must be an integer, got {v!r}")
            if v < 1:
                raise ValueError(f"systolic timing: {name} must be >= 1, got {v}")
            out.append(int(v))
    return out


def _ceil_div(a, b):
    return -(-a // b)


def ws_folds(k, n, rows, cols):
    """Folds of a weight-stationary GEMM: the K x N weights cut into rows x cols tiles,
    ⌈K/rows⌉·⌈N/cols⌉."""
    k, n, rows, cols = _dims(k=k, n=n, rows=rows, cols=cols)
    return _ceil_div(k, rows) * _ceil_div(n, cols)


def os_folds(m, n, rows, cols):
    """Folds of an output-stationary GEMM: the M x N outputs in rows x cols tiles,
    ⌈M/rows⌉·⌈N/cols⌉."""
    m, n, rows, cols = _dims(m=m, n=n, rows=rows, cols=cols)
    return _ceil_div(m, rows) * _ceil_div(n, cols)


def is_folds(m, k, rows, cols):
    """Folds of an input-stationary GEMM: the M x K inputs pinned transposed (K along rows,
    M along columns), ⌈K/rows⌉·⌈M/cols⌉."""
    m, k, rows, cols = _dims(m=m, k=k, rows=rows, cols=cols)
    return _ceil_div(k, rows) * _ceil_div(m, cols)


def ws_cycles(m, k, n, rows, cols):
    """Weight-stationary compute cycles: ⌈K/rows⌉·⌈N/cols⌉·(2·rows + cols + M − 2) − 1.

    Per fold: ``rows`` cycles to load a weight tile, then M input vectors stream through with
    ``rows − 1 + cols − 1`` cycles of fill and drain. See the module docstring for the
    derivation from SCALE-Sim's systolic_compute_ws.py.
    """
    m, k, n, rows, cols = _dims(m=m, k=k, n=n, rows=rows, cols=cols)
    return ws_folds(k, n, rows, cols) * (2 * rows + cols + m - 2) - 1


def ws_cycles_double_buffered(m, k, n, rows, cols):
    """Weight-stationary cycles with the weight tile double-buffered (find-A 2), a deviation
    from SCALE-Sim: F·(rows + cols + M − 2) + rows − 1.

    TPU v1 holds one weight tile in the matrix unit "plus one for double-buffering (to hide the
    256 cycles it takes to shift a tile in)" (Jouppi et al., ISCA 2017); FPGA systolic GEMM cores
    use ping-pong PE weight registers. The first fold loads its tile as SCALE-Sim counts
    (2·rows + cols + M − 2); each later fold's ``rows``-cycle load is shifted in while the fold
    before it computes, so it costs rows + cols + M − 2 (>= rows: the load always hides). One
    fold gives SCALE-Sim's count. With ``macs_per_pe`` (a PE holding ``lanes`` weights, N here
    already ⌈n / lanes⌉) the load is taken to be lanes wide: ``rows`` cycles a tile, as each PE's
    weights shift in as one packed word (review A 6).
    """
    m, k, n, rows, cols = _dims(m=m, k=k, n=n, rows=rows, cols=cols)
    return ws_folds(k, n, rows, cols) * (rows + cols + m - 2) + rows - 1


def os_cycles(m, k, n, rows, cols):
    """Output-stationary compute cycles: ⌈M/rows⌉·⌈N/cols⌉·(rows + cols + K − 2) − 1.

    Per fold: K operand pairs stream in with ``rows − 1 + cols − 1`` cycles of skew, then the
    ``rows`` rows of outputs drain. From SCALE-Sim's systolic_compute_os.py.
    """
    m, k, n, rows, cols = _dims(m=m, k=k, n=n, rows=rows, cols=cols)
    return os_folds(m, n, rows, cols) * (rows + cols + k - 2) - 1


def is_cycles(m, k, n, rows, cols):
    """Input-stationary compute cycles: ⌈K/rows⌉·⌈M/cols⌉·(2·rows + cols + N − 2) − 1.

    The weight-stationary schedule with the roles of M and N swapped (inputs pinned, the N
    weight columns stream). From SCALE-Sim's systolic_compute_is.py.
    """
    m, k, n, rows, cols = _dims(m=m, k=k, n=n, rows=rows, cols=cols)
    return is_folds(m, k, rows, cols) * (2 * rows + cols + n - 2) - 1


_CYCLES = {"ws": ws_cycles, "os": os_cycles, "is": is_cycles}


def cycles(dataflow, m, k, n, rows, cols):
    """Compute cycles for ``dataflow`` in DATAFLOWS ("ws", "os", "is")."""
    try:
        f = _CYCLES[dataflow]
    except (KeyError, TypeError):
        raise ValueError(f"systolic timing: dataflow must be one of {', '.join(DATAFLOWS)}, "
                         f"got {dataflow!r}") from None
    return f(m, k, n, rows, cols)


def utilization(m, k, n, rows, cols, n_cycles):
    """Fraction of the array's MAC slots doing work: M·K·N / (rows·cols·cycles), in [0, 1].

    SCALE-Sim's "Overall Util %" is 100 times this with its own "Total Cycles".
    """
    m, k, n, rows, cols, n_cycles = _dims(m=m, k=k, n=n, rows=rows, cols=cols,
                                          n_cycles=n_cycles)
    if isinstance(m, np.ndarray):  # in float64: the int64 products could overflow
        f = np.float64
        return (m.astype(f) * k * n) / (rows.astype(f) * cols * n_cycles)
    return (m * k * n) / (rows * cols * n_cycles)
