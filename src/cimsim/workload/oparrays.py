"""The per-op columns every stage after the workload reads: :class:`OpArrays`.

A leaf module: it imports NumPy only, so the hardware components (``hw/``) may
import it to type their ``claim`` / ``place`` / ``cost`` hooks without importing
the rest of the workload package (which is loaded lazily, see
``cimsim/workload/__init__.py``). :func:`cimsim.workload.arrays.op_arrays` fills
it from a workload, once per workload (``Workload.arrays``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import ClassVar, Sequence

import numpy as np


def argument(name: str) -> str:
    """The forward argument a traced input tensor came in: its name up to the first ``.`` or
    ``[`` (``past_key_values[0].key`` -> ``past_key_values``)."""
    return re.split(r"[.\[]", name, maxsplit=1)[0]


@dataclass(frozen=True)
class OpActivity:
    """Data statistics of the ops a traced model measured (``cimsim trace --stats``; tags of
    the same names, :mod:`cimsim.workload.activity`): float64 per op, NaN where an op states
    none. ``input_stats_bits`` / ``weight_stats_bits``: the bits each was quantised to."""

    input_ones: np.ndarray  # mean fraction of ones over the input's bit-planes
    input_zeros: np.ndarray  # fraction of the input's elements that are exactly zero
    weight_ones: np.ndarray  # mean fraction of ones over the weight's (offset-binary) bit-planes
    weight_abs_mean: np.ndarray  # mean |w| in the weight's own units
    input_stats_bits: np.ndarray
    weight_stats_bits: np.ndarray
    weight_zeros: np.ndarray  # fraction of the weight's elements exactly zero
    weight_zero_rows: np.ndarray  # its K rows entirely zero
    weight_zero_cols: np.ndarray  # its N columns entirely zero
    #: the input's values are whole numbers below 2^b (1: 0/1 only); None (a plug-in's
    #: activity built without it): NaN for every op, no op states it
    input_value_bits: np.ndarray | None = None
    #: 1: the values are of either sign, |x| < 2^b; 1 in input_bipolar: exactly -1 or +1
    #: (:mod:`cimsim.hw.cim.inbits`); None: NaN for every op
    input_value_signed: np.ndarray | None = None
    input_bipolar: np.ndarray | None = None
    #: the weight's values are b-bit integers (a layer quantised below the CIM's weight_bits:
    #: :mod:`cimsim.hw.cim.wbits`); None: NaN for every op
    weight_value_bits: np.ndarray | None = None
    #: {op index: (all-zero row indices, all-zero column indices)} (either None), or None
    zero_at: dict | None = None

    def __post_init__(self):
        for f in ("input_value_bits", "input_value_signed", "input_bipolar", "weight_value_bits"):
            if getattr(self, f) is None:
                object.__setattr__(self, f, np.full(np.shape(self.input_ones), np.nan))


#: tag ``epilogue`` value -> its bits in :attr:`OpArrays.epilogue` (1 a bias add, 2 a ReLU)
EPILOGUE_CODES = {"bias": 1, "relu": 2, "bias+relu": 3}


def recasts(copy: np.ndarray, in_ptr: np.ndarray, in_ids: np.ndarray, out_ptr: np.ndarray,
            out_ids: np.ndarray, numel: np.ndarray, tensor_dtype: np.ndarray) -> np.ndarray | None:
    """:attr:`OpArrays.recast` from the workload's columns (``copy``: bool per op, its kind is
    copy; CSR inputs and outputs by tensor id; element count and dtype code by tensor id)."""
    one = copy & (np.diff(in_ptr) == 1) & (np.diff(out_ptr) == 1)
    t_in, t_out = in_ids[in_ptr[:-1][one]], out_ids[out_ptr[:-1][one]]
    out = np.zeros(copy.shape[0], dtype=bool)
    out[one] = (numel[t_in] == numel[t_out]) & (tensor_dtype[t_in] != tensor_dtype[t_out])
    return out if out.any() else None


def untagged_epilogue(fns: np.ndarray, elementwise: np.ndarray, n_weights: np.ndarray,
                      tagged: np.ndarray | None) -> np.ndarray | None:
    """Where no op carries the ``epilogue`` tag (``tagged`` None), the :data:`EPILOGUE_CODES`
    bits of the elementwise ops a tagging tracer / generator marks (``fns``: fn per op): a ReLU
    (with a bias weight: bias+relu) or an add of one weight (a bias add); None where any op is
    tagged or none would be."""
    if tagged is not None or not len(fns):
        return None
    relu = elementwise & (fns == "relu") & (n_weights <= 1)
    bias = elementwise & (fns == "add") & (n_weights == 1)
    codes = np.where(relu, 2 + n_weights, np.where(bias, 1, 0)).astype(np.int64)
    return codes if codes.any() else None


@dataclass(frozen=True)
class OpArrays:
    """Per-op columns, in op order. Bytes are in the workload's dtypes."""

    #: kind name -> the code in ``kind`` (components read it here, e.g. ``"allreduce"``); the
    #: table lives in :mod:`cimsim.workload.kinds`, which :mod:`cimsim.workload.arrays` (the one
    #: maker of OpArrays) sets here, so that this module imports nothing of cimsim
    kind_codes: ClassVar[dict[str, int]] = {}
    #: the compute dtypes (:data:`cimsim.dtypes.DTYPES`), set by :mod:`cimsim.workload.arrays` too
    compute_dtypes: ClassVar[tuple[str, ...]] = ()
    kind: np.ndarray  # int64, KIND_CODES
    dtype: np.ndarray  # str, dtype of the op's first output; a matmul's: its operands' (dtypes.matmul_dtype)
    macs: np.ndarray  # float64
    vector_ops: np.ndarray  # float64
    rows: np.ndarray  # float64: batch * m of a matmul (activation rows)
    batch: np.ndarray  # float64: independent products of a matmul (1 for other kinds)
    k: np.ndarray  # float64
    n: np.ndarray  # float64
    weight_bytes: np.ndarray  # float64: bytes of the op's weight inputs
    act_in_bytes: np.ndarray  # float64: bytes of the other inputs
    act_out_bytes: np.ndarray  # float64
    stationary: np.ndarray  # int64: tensor id of a matmul's stationary weight, -1 if none
    weight_ptr: np.ndarray  # CSR over ops of every weight tensor id an op reads
    weight_ids: np.ndarray
    tensor_bytes: np.ndarray  # float64, by tensor id
    tensor_names: Sequence[str]  # by tensor id (a StringTable: one UTF-8 blob, not a tuple)
    #: CSR over ops of every model-input tensor id (role ``input``: given before the run, so it
    #: starts in the backing store, e.g. a KV cache) an op reads; its bytes are in act_in_bytes
    input_ptr: np.ndarray
    input_ids: np.ndarray
    #: float64: a convolution's input elements read once per kernel row (tag ``window_elems``,
    #: written by the tracer; 0 for any other op): what a chip that reuses inputs across the
    #: sliding window moves instead of the im2col matrix
    window_elems: np.ndarray | None = None
    #: bool: the op is the im2col copy the tracer emits before a convolution (tag ``part``)
    im2col: np.ndarray | None = None
    #: float64: the op's access pattern on memory levels whose rate depends on it (tag
    #: ``access_bytes``): bytes per independent random access (an embedding gather: one row),
    #: 0 = streaming (the default). None when no op states one.
    access_bytes: np.ndarray | None = None
    #: float64: share of the op's bytes that are reads, stated by hand (tag ``read_fraction``),
    #: on every resource it moves bytes over; NaN where an op states none (its read share is
    #: then its reads / bytes on each resource, from the cost table). None when no op states one.
    read_fraction: np.ndarray | None = None
    #: float64: bytes of the op's outputs the run also stores in the backing store, beyond
    #: where its activations stay (tag ``store_bytes``: a KV-cache append, the new token's K
    #: and V rows); writes to the backing store, charged by the component that runs the op.
    #: None when no op states one.
    store_bytes: np.ndarray | None = None
    #: float64: operations one output element needs one after another (tag ``serial_ops``,
    #: written by the tracer on a fused chain of pointwise ops: its longest chain, e.g. a
    #: recurrence over T steps); 0 where an op states none. None when no op states one.
    serial_ops: np.ndarray | None = None
    #: int64: the pipeline stage (device) of each op of a pipeline-parallel serving run
    #: (:func:`cimsim.workload.footprint.pipeline_stage_of_ops`); None for one device
    stage: np.ndarray | None = None
    #: data statistics of a traced model's ops (:class:`OpActivity`); None when no op states one
    activity: OpActivity | None = None
    #: float64: bytes of one stored row of a matmul's stationary weight (its elements after the
    #: first dimension: ``K`` of a ``[N, K]`` weight, ``N`` of a ``[K, N]`` one), the contiguous
    #: run a kernel streams; the whole weight when it has one dimension, 0 without a weight
    weight_row_bytes: np.ndarray | None = None
    #: int64: the op's kernel launch (tag ``launch``: ops of one value are one launch, e.g. a
    #: batch's per-request attention run by one paged-attention kernel), numbered in order of
    #: first appearance; -1 where an op states none (its own launch). None when no op states one.
    launch: np.ndarray | None = None
    #: int64 by tensor id: the op that writes the tensor, -1 for one written before the run (a
    #: weight, a model input). With :attr:`act_ptr` / :attr:`act_ids` it says where an op's
    #: activations come from and go to (a CIM chip keeps those its own ops make and use).
    producer: np.ndarray | None = None
    #: CSR over ops of every input tensor id that is not a weight (activations and model
    #: inputs, as often as the op reads them): the tensors ``act_in_bytes`` sums
    act_ptr: np.ndarray | None = None
    act_ids: np.ndarray | None = None
    #: int64 per op: the tensor id of its first output (a multi-output op's other outputs, such
    #: as a max-pool's indices or a norm's saved statistics, are by-products)
    first_out: np.ndarray | None = None
    #: (last of the fields: added after the others, so that building OpArrays by position, as a
    #: plug-in may, keeps its meaning)
    #: float64 (m x 2): k x n of each matrix of a parameter the traced forward never read
    #: (``metadata['unread_parameters']``' ``matrix``: an untaken branch, an expert no token
    #: chose): a weight-stationary CIM holds it on arrays, never reads it; None when none
    unread_matrices: np.ndarray | None = None
    #: bool: a matmul autograd ran without a stationary weight (tag ``part: backward``, written
    #: by the tracer: a weight gradient dY^T x, whose model input is this step's minibatch,
    #: not a KV cache); None when no op states it
    backward: np.ndarray | None = None
    #: float64: dependent ops an op stands for on a dependency path (tag ``chain_ops``: a fused
    #: chain's members on its longest chain, a scan's levels; the unit of
    #: ``columns.CRITICAL_PATH_SERIAL_STEPS``); 0 where an op states none. None when no op states one.
    chain_ops: np.ndarray | None = None
    #: str (object) per op: the pooling of a row gather that reduces (an embedding bag: kind
    #: ``reduction``, tag ``part: gather``), its tag ``pool`` (``sum``, ``mean``, ``max``; ``?``
    #: where it states none), '' for every other op: what near-bank PIM's ``embedding`` claim
    #: reads. None when no op is one.
    gather_pool: np.ndarray | None = None
    #: bool by tensor id: an activation the host wrote to the backing store and that stays
    #: there (its op's activations fit no level before it, hierarchy rule 2); the host reads it
    #: back from there to send it to another component. Set by the placement
    #: (:meth:`Component.backing_outputs`); None when no such tensor.
    backed: np.ndarray | None = None
    #: int64 by tensor id: the KV cache a tensor is, or a copy of that only scales or reshapes
    #: it (eager attention's ``K * scale``, a transpose), as a tensor id; -1 for any other
    #: (:func:`cimsim.workload.footprint.cache_roots`). None: every model input is a cache
    #: (an OpArrays built by hand)
    cache_root: np.ndarray | None = None
    #: int64 by tensor id: as :attr:`cache_root`, for every model input, resident or not
    #: (:func:`cimsim.workload.footprint.input_roots`); None: not known
    input_root: np.ndarray | None = None
    #: bool by tensor id: an output of another component's op (a CIM, a systolic array, PIM
    #: units) that a host op reads from the backing store (its activations fit no level before
    #: it, hierarchy rule 2), so the bytes that came over the link are written there first,
    #: charged on the op that made it (hierarchy rule 8). Set by the placement
    #: (:meth:`Component.backing_outputs`); None when no such tensor.
    landed: np.ndarray | None = None
    #: bool by op: run by a component the host fetches the model inputs for (a CIM, a systolic
    #: array: :attr:`~cimsim.hw.declared.Declared.inputs_via_host`), so such an input it reads
    #: before any host op is in the host's levels after it (hierarchy rule 3). Set by the
    #: placement; None when no op is one.
    via_host: np.ndarray | None = None
    #: float64: bytes of an op with ``access_bytes`` that are its random accesses, read
    #: (tag ``random_read_bytes``: a row gather's distinct rows) and written (tag
    #: ``random_write_bytes``: a scatter-add's destination rows written back); its other bytes
    #: (ids, an E x d source or output) stream. NaN where an op states neither (its every
    #: byte takes its pattern), 0 for the one it leaves out. None when no op states one.
    random_read_bytes: np.ndarray | None = None
    random_write_bytes: np.ndarray | None = None
    #: float64: the bytes of the table a traced gather's accesses read (tag ``table_bytes``);
    #: with it, ``access_bytes`` is the mean of accesses of whole 64 B lines, and a level where
    #: streaming the table is cheaper charges it streamed (:func:`cimsim.pipeline.pattern_scale`).
    #: NaN where an op states none; None when no op states one.
    table_bytes: np.ndarray | None = None
    #: float64: the bytes of every row a traced gather looks up, repeats included (tags
    #: ``lookups`` x ``row_bytes``, the row of the view read; without it ``table_bytes`` /
    #: ``table_rows``): what near-bank PIM units, which have no
    #: cache, read in the banks for an embedding bag. NaN where an op states none; None when none does.
    lookup_bytes: np.ndarray | None = None
    #: the workload is one decoder step of an encoder-decoder (``metadata['zoo']['built']``:
    #: ``hf:`` whisper / t5 / bart with ``--param cache``), which ``trace --serve`` refuses
    encoder_decoder: bool = False
    #: int64 per elementwise op that is nothing but a matmul's epilogue (tag ``epilogue``:
    #: ``bias`` a per-output bias add, ``relu`` a ReLU, ``bias+relu`` both in that order), its
    #: :data:`EPILOGUE_CODES` bits (1 bias, 2 ReLU); 0 for every other op. What a CIM's
    #: near-memory datapath (``cim.nmc``) can absorb into the matmul. None when no op states one.
    epilogue: np.ndarray | None = None
    #: where no op states ``epilogue`` (a file written before the tag), the bits each op would
    #: carry as one (:func:`untagged_epilogue`), for the note that says to re-trace; else None
    untagged_epilogue: np.ndarray | None = None
    #: int64 per op: its iteration (a prefill or decode step of an LLM serving run: the index
    #: into ``metadata['llm']['step_end_ops']``, whose iterations partition the ops); None
    #: without iterations. A far tier holds a KV cache in its home until its iteration ends.
    iteration: np.ndarray | None = None
    #: bool per op: a copy that only re-types its one input (``(v > theta).float()``,
    #: ``x.half()``): one input, one output of as many elements, another dtype (what a CIM
    #: chip's periphery may run beside the op that made its input). None when no op is one.
    recast: np.ndarray | None = None
    #: bool per op: a depthwise convolution's matmul (tag ``depthwise``: groups = C_in > 1, one
    #: input channel a group; derived on load where no op states it: :meth:`derive_depthwise`),
    #: which a host processor runs as a direct kernel, its im2col copy never formed
    #: (:func:`cimsim.hw.im2col.direct_depthwise`). None when no op is one.
    depthwise: np.ndarray | None = None
    #: bool per op: an im2col copy whose convolution's unit builds the windows from the raw
    #: input beside its arrays (input reuse; set by the placement:
    #: :func:`cimsim.hw.im2col.windows_built`): it moves nothing and runs no kernel. None: none
    windows_built: np.ndarray | None = None
    #: str by tensor id: the dtype a tensor is stored in (an int4 weight of an int8 matmul:
    #: ``int4``; :attr:`dtype` is the op's arithmetic); None: not known (an OpArrays built by hand)
    tensor_dtype: np.ndarray | None = None
    #: float64 per op: which way a matmul reads its stationary weight (tag ``weight_transposed``:
    #: 1 its k runs along the weight tensor's trailing dimensions, ``x @ W.T``; 0 down its first,
    #: ``dY @ W``; NaN not stated: told by k, :func:`cimsim.hw.cim.tiling.matrix_keys`); None
    #: when no op states it (:func:`cimsim.workload.orientation.column`)
    weight_transposed: np.ndarray | None = None
    #: bool by tensor id: a tensor the model returns (``metadata['outputs']``: its caller holds
    #: it, so a CIM chip sends it out once, :mod:`cimsim.hw.cim.offchip` rule 4); None where
    #: the workload lists none (every unread first output is taken for a model output)
    returned: np.ndarray | None = None
    #: per op, its K before a CIM mapped it on its live rows (``cim.drop_zero_rows``,
    #: :func:`cimsim.hw.cim.zeros.live_rows`: ``k`` is then the live rows); None where no op was
    dense_k: np.ndarray | None = None
    #: float64: host reads of a value just before the op (tag ``host_syncs``: the tracer's
    #: value reads, find-F 4); 0 where none. None when no op states one.
    host_syncs: np.ndarray | None = None
    #: float64: torch calls the op stands for, each an ``op_overhead`` (tag ``dispatches``, 1
    #: where absent: a traced native RNN step's gate arithmetic, find-C 3). None when no op states one.
    dispatches: np.ndarray | None = None

    def mac_dtype_ok(self) -> np.ndarray:
        """bool per op: its dtype is a compute dtype (:attr:`compute_dtypes`). A MAC op in
        a storage-only dtype (an ``int64`` or ``complex64`` matmul of a traced model) is one no
        accelerator claims: a CIM array, PIM unit or systolic array quantizes real numbers; it
        stays on the host processor, which refuses it (it has MAC rates per compute dtype)."""
        return np.isin(self.dtype, self.compute_dtypes)

    def dispatched(self, idx, unit: np.ndarray | None = None) -> np.ndarray:
        """bool per op of ``idx``: it pays its fixed latency (dispatch: a kernel launch or PIM
        command, and the access latency): every op but those of a launch group
        (:attr:`launch`) other than its first in program order, which pays for the group
        (:meth:`payers`)."""
        return (self.payers(unit) == np.arange(len(self.kind)))[idx]

    def payers(self, unit: np.ndarray | None = None) -> np.ndarray:
        """int64 per op: the op whose dispatch it shares (itself for an op outside a launch
        group and for a group's first op in program order), or -1 for an op that rides on its
        group's dispatch without a share of its own (below).
        ``unit`` (int per op: the component that runs it) splits a group at unit boundaries:
        its ops on one unit, as many unit changes from the group's start along its
        dependencies, are one dispatch of their own (a fused attention whose scores run on PIM
        units and softmax on the GPU: the scores of every request one PIM command, their
        softmax one GPU launch, their contexts another PIM command). An op that only moves
        bytes (no MACs, no vector ops: the copy gathering a batch's per-request outputs into
        one tensor, written in place by a real kernel) rides on its group's dispatch, whatever
        unit runs it (-1); a convolution's im2col copy (:attr:`im2col`) only on its own unit
        (a host that forms the windows to send them to a CIM dispatches that copy)."""
        payer = np.arange(len(self.kind), dtype=np.int64)
        if self.launch is None:
            return payer
        grouped = np.flatnonzero(self.launch >= 0)
        if len(grouped):
            key = self.launch[grouped][:, None]
            rides = None
            if unit is not None:
                rides = (self.macs[grouped] == 0) & (self.vector_ops[grouped] == 0)
                if self.im2col is not None:
                    rides &= ~self.im2col[grouped]
                key = np.column_stack([key, np.where(rides, -1, unit[grouped]),
                                       np.where(rides, -1, self._unit_changes(unit)[grouped])])
            _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
            share = grouped[first]
            if rides is not None and rides.any():  # it pays only for a group of such ops alone
                computes = np.zeros(int(self.launch.max()) + 1, dtype=bool)
                computes[self.launch[grouped][~rides]] = True
                share[rides[first] & computes[self.launch[share]]] = -1
            payer[grouped] = share[inverse.reshape(-1)]
        return payer

    def _unit_changes(self, unit: np.ndarray) -> np.ndarray:
        """int64 per op: the most changes of unit on a dependency path within its launch group
        from the group's first ops to it (0 without the producer columns)."""
        level = np.zeros(len(unit), dtype=np.int64)
        if self.act_ptr is None or self.producer is None or not len(self.act_ids):
            return level
        reader = self.act_readers()
        prod = self.producer[self.act_ids]
        inside = (prod >= 0) & (self.launch[reader] >= 0)
        inside[inside] = self.launch[prod[inside]] == self.launch[reader[inside]]
        reader, prod = reader[inside], prod[inside]
        step = (unit[reader] != unit[prod]).astype(np.int64)
        if not step.any():
            return level
        while True:  # one round per op of the longest chain in a group (a handful)
            new = level.copy()
            np.maximum.at(new, reader, level[prod] + step)
            if (new == level).all():
                return level
            level = new

    def stored(self, idx) -> np.ndarray | None:
        """:attr:`store_bytes` of the ops ``idx``, or None when none of them stores a byte."""
        if self.store_bytes is None:
            return None
        s = self.store_bytes[idx]
        return s if s.any() else None

    def act_readers(self) -> np.ndarray:
        """int64 per :attr:`act_ids` entry: the op that reads it (needs the producer columns)."""
        return np.repeat(np.arange(self.kind.shape[0]), np.diff(self.act_ptr))

    def derive_depthwise(self, conv: np.ndarray, channels: np.ndarray) -> "OpArrays":
        """``self`` with :attr:`depthwise` derived where no op states the tag (a file traced
        before it had one), by the tracer's rule (groups = C_in > 1): a convolution's product
        (``conv``, bool per op: tag ``part`` ``conv`` or ``conv_dw``) of ``batch`` > 1 whose
        first activation is an im2col copy's output, that copy's first input of ``channels``
        (per tensor: its second dimension, 0 under 3-D) equal to the batch (the groups)."""
        if self.depthwise is not None or self.im2col is None or self.producer is None \
                or self.act_ptr is None or not self.im2col.any():
            return self
        count = np.diff(self.act_ptr)
        op = np.flatnonzero(conv & (count > 0) & (self.batch > 1))
        copy = self.producer[self.act_ids[self.act_ptr[op]]]
        op, copy = op[copy >= 0], copy[copy >= 0]
        ok = self.im2col[copy] & (count[copy] > 0)
        op, copy = op[ok], copy[ok]
        op = op[channels[self.act_ids[self.act_ptr[copy]]] == self.batch[op]]
        if not len(op):
            return self
        dw = np.zeros(len(self.kind), dtype=bool)
        dw[op] = True
        return replace(self, depthwise=dw)

    def direct_depthwise_pairs(self, idx=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(conv, copy, cols)`` int64 arrays: each depthwise convolution (:attr:`depthwise`)
        that reads the output ``cols`` of an im2col copy (:attr:`im2col`) no other op reads,
        both among the ops ``idx`` (all without it): what a direct kernel runs without forming
        that matrix (:func:`cimsim.hw.im2col.direct_depthwise`, the footprint's activations).
        Empty without the columns or such a pair."""
        none = np.zeros(0, dtype=np.int64)
        if self.depthwise is None:
            return none, none, none
        return self.copy_pairs(self.depthwise, idx)

    def copy_pairs(self, conv: np.ndarray, idx=None, made_by: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(conv, copy, cols)`` int64 arrays: each op of ``conv`` (bool per op) that reads the
        output ``cols`` of an im2col copy (:attr:`im2col`; ``made_by``, bool per op: of such an
        op instead) no other op reads, both among the ops ``idx`` (all without it). Empty
        without the columns or such a pair."""
        none = np.zeros(0, dtype=np.int64)
        made_by = self.im2col if made_by is None else made_by
        if made_by is None or self.producer is None or self.act_ptr is None:
            return none, none, none
        mine = np.zeros(len(self.kind), dtype=bool)
        mine[slice(None) if idx is None else idx] = True
        reader = self.act_readers()
        prod = self.producer[self.act_ids]
        readers = np.bincount(self.act_ids, minlength=len(self.tensor_bytes))
        ok = conv[reader] & mine[reader] & (prod >= 0)
        ok[ok] = made_by[prod[ok]] & mine[prod[ok]] & (readers[self.act_ids[ok]] == 1)
        return reader[ok], prod[ok], self.act_ids[ok]

    def read_pairs(self, sel: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(op, tensor)`` int64 arrays: each activation an op reads, once however often it
        reads it, sorted by op then tensor (over the :attr:`act_ids` entries ``sel`` selects,
        bool, or all; needs the producer columns)."""
        n_t = len(self.tensor_bytes)
        readers, ids = self.act_readers(), self.act_ids
        if sel is not None:
            readers, ids = readers[sel], ids[sel]
        return np.divmod(np.unique(readers * n_t + ids), n_t)

    def _kv_entries(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(reader op, selected)`` over the :attr:`act_ids` entries: those a matmul without a
        stationary weight, not run by autograd's backward, reads as its second operand that are
        a KV cache (:attr:`cache_root`: a cache or its scaled / reshaped copy; without it, a
        model input);
        None without the producer columns."""
        if self.act_ptr is None or self.producer is None:
            return None
        reader = self.act_readers()
        position = np.arange(len(self.act_ids)) - self.act_ptr[:-1][reader]
        weightless = (self.rows > 0) & (self.stationary < 0)
        if self.backward is not None:  # a weight gradient reads the minibatch, no KV cache
            weightless &= ~self.backward
        cache = (self.producer[self.act_ids] < 0 if self.cache_root is None
                 else self.cache_root[self.act_ids] >= 0)
        return reader, weightless[reader] & (position >= 1) & cache

    def plain_input_operands(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(ops, tensors)``: the matmuls without a stationary weight, not run by autograd's
        backward, whose second operand is a model input that is no KV cache (a traced input
        neither named as a cache nor marked resident: :mod:`cimsim.workload.resident`), and
        those inputs' tensor ids, one per op, sorted by op; None without the producer columns
        or without :attr:`cache_root` (every model input is then a cache)."""
        if self.act_ptr is None or self.producer is None or self.cache_root is None:
            return None
        reader = self.act_readers()
        position = np.arange(len(self.act_ids)) - self.act_ptr[:-1][reader]
        weightless = (self.rows > 0) & (self.stationary < 0)
        if self.backward is not None:
            weightless &= ~self.backward
        ids = self.act_ids
        root = np.where(self.producer[ids] < 0, ids, -1) if self.input_root is None else self.input_root[ids]
        sel = weightless[reader] & (position == 1) & (root >= 0) & (self.cache_root[ids] < 0)
        return reader[sel], root[sel]

    def input_argument(self, t: int) -> str:
        """The forward argument a traced model input ``t`` (tensor id) came in
        (:func:`argument`)."""
        return argument(self.tensor_names[t])

    def kv_operand_bytes(self) -> np.ndarray | None:
        """float64 per op: bytes of the KV caches (:attr:`cache_root`) a matmul without a
        stationary weight reads as its second operand (``Q @ K^T``'s K, ``P @ V``'s V, or the
        scaled copy of K eager attention makes: what PIM units compute on in their banks); its first operand is not counted, model input or not.
        None without the producer columns (an OpArrays built by hand)."""
        e = self._kv_entries()
        if e is None:
            return None
        reader, sel = e
        return np.bincount(reader[sel], weights=self.tensor_bytes[self.act_ids[sel]],
                           minlength=self.kind.shape[0])

    def kv_stored_apart(self) -> np.ndarray:
        """bool per op: a matmul without a weight whose KV cache (:meth:`kv_operand_bytes`; its
        :attr:`cache_root`, as stored) is stored in a dtype other than the op's arithmetic (an
        int4 cache of an fp16 or int8 attention: ``--kv-dtype``). All False where not known."""
        out = np.zeros(self.kind.shape[0], dtype=bool)
        e = self._kv_entries() if self.tensor_dtype is not None else None
        if e is None:
            return out
        reader, sel = e[0][e[1]], e[1]
        read = self.act_ids[sel]
        root = read if self.cache_root is None else np.where(self.cache_root[read] >= 0, self.cache_root[read], read)
        out[reader[self.tensor_dtype[root] != self.dtype[reader]]] = True
        return out

    def kv_tensors(self) -> np.ndarray | None:
        """bool by tensor id: the KV caches (model inputs) some op reads as
        :meth:`kv_operand_bytes`, itself or through a copy."""
        e = self._kv_entries()
        if e is None:
            return None
        mask = np.zeros(len(self.tensor_bytes), dtype=bool)
        read = self.act_ids[e[1]]
        mask[read if self.cache_root is None else self.cache_root[read]] = True
        return mask

    def reads_of(self, tensors: np.ndarray) -> np.ndarray:
        """float64 per op: bytes it reads of the tensors marked in ``tensors`` (bool by tensor
        id) among its non-weight inputs (needs the producer columns)."""
        return np.bincount(self.act_readers(), weights=self.tensor_bytes[self.act_ids] * tensors[self.act_ids],
                           minlength=self.kind.shape[0])

    def second_operand_origin(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(fresh, concatenated)``, bool per op: the second operand of a matmul is made in
        this run by a matmul with a stationary weight (a prefill's K or V, just projected),
        through copies and elementwise ops (a transpose, a scale, a rotary embedding) that
        read no KV cache; or it is a concatenation (a ``copy`` of two or more inputs) that
        reads a KV cache (:attr:`cache_root`), or a copy or elementwise op of one (a decode
        step's self-attention cache grown by its new row). None without the producer columns."""
        if self.act_ptr is None or self.producer is None:
            return None
        n = self.kind.shape[0]
        reader, made_by = self.act_readers(), self.producer >= 0
        cache = (self.producer < 0 if self.cache_root is None else self.cache_root >= 0)
        copy, elem = self.kind_codes.get("copy", -1), self.kind_codes.get("elementwise", -1)
        passes = (self.kind == copy) | (self.kind == elem)

        def spread(seed_ops):  # tensors made by seed_ops, then by passing ops reading one
            made = made_by & seed_ops[self.producer]
            while True:  # one round per link of the longest chain (a handful)
                hit = np.zeros(n, dtype=bool)
                hit[reader[made[self.act_ids]]] = True
                new = made | (made_by & (hit & passes)[self.producer])
                if (new == made).all():
                    return made
                made = new

        reads_cache = np.zeros(n, dtype=bool)
        reads_cache[reader[cache[self.act_ids]]] = True
        cat = spread((self.kind == copy) & (np.diff(self.act_ptr) >= 2) & reads_cache)
        fresh = spread((self.kind == self.kind_codes.get("matmul", -1)) & (self.stationary >= 0))
        fresh &= ~cat & ~cache
        second = np.arange(len(self.act_ids)) - self.act_ptr[:-1][reader] == 1
        ids = self.act_ids[second]
        return tuple(np.bincount(reader[second], weights=m[ids].astype(float), minlength=n) > 0
                     for m in (fresh, cat))

    @property
    def streams(self) -> bool:
        """No op states a random access size or a read fraction (its reads and writes then come
        from the cost table)."""
        return ((self.access_bytes is None or not self.access_bytes.any())
                and (self.read_fraction is None or bool(np.isnan(self.read_fraction).all())))
