"""The aten op table: what each executed aten op is for the hardware.

Every aten op lands in exactly one class:

* **matmul family** (``mm addmm bmm baddbmm addbmm mv addmv dot vdot``),
  ``convolution`` (an im2col matmul) and ``_trilinear`` (``nn.Bilinear``): MACs;
  each has its own lowering in :mod:`.lower`, registered there by ``@lowers``;
* **pointwise** (:data:`POINTWISE`, name -> IR elementwise function);
* **softmax**, **norms**, **reductions / scans**, **sorts**, **pooling**, **resampling**: vector work;
  vector norms, variances, log-sum-exps, cross products, special functions, ``det`` and
  ``segment_reduce`` by their kernels' arithmetic, :mod:`.mathops`;
* **dense linear algebra** (``linalg_matrix_exp``, ``_linalg_solve_ex``, ``linalg_inv_ex``,
  ``linalg_lu_factor_ex`` / ``linalg_lu``, ``linalg_lu_solve``, ``linalg_cholesky_ex`` /
  ``cholesky``, ``cholesky_solve``, ``linalg_solve_triangular`` / ``triangular_solve``): MAC
  work on the host (closed-form counts, no stationary weight), :mod:`.linalg`;
* **pairwise distances** (``_euclidean_dist``, ``_cdist_forward``: ``torch.cdist``): a weightless
  batched matmul and the norms, or elementwise work by p, :mod:`.distances`;
* **training** (a traced ``backward()`` and optimizer step): losses, ``convolution_backward``
  (two im2col matmuls), the norm backwards, ``_foreach_*`` and ``_fused_adam(w)_``: :mod:`.training`;
* **copies** (:data:`COPIES`): data movement (concatenation, padding, gathers);
  ``embedding`` and ``index_select`` (row gathers) and the gathers by index of a parameter
  (:data:`GATHERS`: ``W[idx]``, ``gather``, ``take``) have their own lowerings;
* **index accumulations** (``scatter_add``, ``index_add``, ``scatter_reduce``, ``index_reduce``,
  ``scatter`` / ``index_put`` when they accumulate): one op per source element, :mod:`.scatter`;
* complex operands: real operations (:mod:`.complexes`), in the pointwise and matmul lowerings;
* **reshape copies** (:data:`REORDER`): ``clone``, ``_to_copy``...: a reshape
  that had to copy, free like a view;
* **factories** (:data:`FACTORIES`): constants (zeros, arange), inputs
  of the workload; random draws (:data:`RANDOM_FACTORIES`, ``bernoulli_(0.5)``) are ``rng``
  ops generating them, and random ops that read their input's values (``bernoulli(p)``,
  ``normal(mean, std)``, ``poisson``) are elementwise ops, :mod:`.randoms`;
* **no data** (:data:`NO_DATA`): metadata, asserts, scalar reads.

Each table below is registered as one class in :mod:`.lower`'s
:data:`~.lower.LOWERINGS`: a new op of a class is one entry here. Views are
recognised by storage identity and need no entry. An op in none of
these classes raises (or, with ``allow_unknown``, becomes a generic op carrying
its FLOP-counter MACs).
"""

from __future__ import annotations

import math

#: aten pointwise op -> IR elementwise fn (ELEMENTWISE_OPS_PER_ELEMENT key)
POINTWISE: dict[str, str] = {
    **dict.fromkeys(("add", "sub", "rsub", "addcmul", "addcdiv", "lerp"), "add"),
    **dict.fromkeys(("mul",), "mul"),
    **dict.fromkeys(("div", "reciprocal", "floor_divide", "remainder", "fmod", "true_divide"), "div"),
    **dict.fromkeys(("neg",), "neg"),
    **dict.fromkeys(("maximum", "clamp", "clamp_min", "hardtanh", "fmax", "threshold"), "max"),
    **dict.fromkeys(("minimum", "clamp_max", "fmin"), "min"),
    **dict.fromkeys(("relu", "leaky_relu", "relu6", "prelu", "_prelu_kernel"), "relu"),
    **dict.fromkeys(("abs",), "abs"),
    # rounding to an integer (a learned codec's quantiser, torch.round): one op an element
    **dict.fromkeys(("floor", "ceil", "round", "trunc", "frac"), "round"),
    **dict.fromkeys(("sign", "sgn"), "sign"),
    **dict.fromkeys(("where", "masked_fill", "tril", "triu", "eq", "ne", "lt", "le", "gt", "ge",
                     "isnan", "isinf", "isfinite", "nan_to_num", "heaviside"), "where"),
    # torch.angle: of a real tensor a compare (0 or pi); of a complex one atan2(imag, real)
    # (:data:`.complexes.COMPLEX_OPS_PER_ELEMENT`)
    **dict.fromkeys(("angle",), "where"),
    # bitwise and logical operations (one op an element, as where's; their own label)
    **dict.fromkeys(("logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
                     "bitwise_or", "bitwise_xor", "bitwise_not", "__and__", "__or__", "__xor__",
                     "bitwise_left_shift", "bitwise_right_shift", "__lshift__", "__rshift__",
                     "__ilshift__", "__irshift__"), "bitwise"),
    **dict.fromkeys(("pow", "float_power"), "pow"),
    **dict.fromkeys(("exp", "exp2", "expm1", "elu", "celu", "selu"), "exp"),
    **dict.fromkeys(("log", "log2", "log10", "log1p", "log_sigmoid_forward", "xlogy"), "log"),
    **dict.fromkeys(("sqrt",), "sqrt"),
    **dict.fromkeys(("rsqrt",), "rsqrt"),
    **dict.fromkeys(("sigmoid", "hardsigmoid"), "sigmoid"),
    **dict.fromkeys(("tanh", "sin", "cos", "tan", "atan", "atan2", "asin", "acos", "sinh",
                     "cosh"), "tanh"),
    **dict.fromkeys(("gelu",), "gelu"),
    **dict.fromkeys(("silu", "hardswish", "mish"), "silu"),
    **dict.fromkeys(("erf", "erfinv", "erfc"), "erf"),
    **dict.fromkeys(("softplus",), "softplus"),
    **dict.fromkeys(("native_dropout", "dropout"), "dropout"),
    # autograd's pointwise derivatives (a traced backward()), costed as their forward function
    **dict.fromkeys(("threshold_backward", "hardtanh_backward", "leaky_relu_backward",
                     "hardsigmoid_backward", "hardswish_backward", "native_dropout_backward"), "where"),
    **dict.fromkeys(("tanh_backward",), "tanh"),
    **dict.fromkeys(("sigmoid_backward",), "sigmoid"),
    **dict.fromkeys(("gelu_backward",), "gelu"),
    **dict.fromkeys(("silu_backward", "mish_backward"), "silu"),
    **dict.fromkeys(("elu_backward",), "exp"),
    **dict.fromkeys(("softplus_backward",), "softplus"),
    **dict.fromkeys(("log_sigmoid_backward",), "log"),
}
SOFTMAX = {"_softmax", "_log_softmax", "softmax", "log_softmax", "_safe_softmax"}
#: normalisations, vector ops per element of the normalised output (IR: layernorm)
NORMS = {"native_layer_norm", "native_batch_norm", "_native_batch_norm_legit",
         "_native_batch_norm_legit_no_training", "native_group_norm", "rms_norm", "_fused_rms_norm",
         "_weight_norm_interface", "batch_norm", "_batch_norm_with_update", "_batch_norm_no_update"}
#: batch norms that take a ``training`` argument (False: the running statistics, an eval batch norm)
BATCH_NORMS_TRAINING_ARG = {"native_batch_norm", "_native_batch_norm_legit", "batch_norm"}
#: batch norms that always normalise by the running statistics (given): eval mode
BATCH_NORMS_EVAL = {"_native_batch_norm_legit_no_training", "_batch_norm_no_update"}
#: one add / compare per input element; norms, variances and log-sum-exps (their own arithmetic):
#: :mod:`.mathops`
REDUCTIONS = {"sum", "mean", "amax", "amin", "max", "min", "argmax", "argmin", "prod", "any", "all",
              "cumsum", "cumprod", "cummax", "cummin",
              "count_nonzero", "nonzero", "unique_consecutive", "_unique2", "searchsorted",
              "bucketize", "aminmax", "nansum", "median", "kthvalue", "histc", "bincount", "histogram"}
#: inclusive scans along ``dim``: each output depends on every earlier element, so a scan of
#: length n is :func:`scan_depth` dependent levels deep (its ``serial_ops`` tag), not free of depth
SCANS = {"cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"}


def scan_depth(n: int) -> int:
    """Dependent steps of a scan of length ``n``, the documented choice: a parallel scan's
    ceil(log2 n) levels (Hillis-Steele, or the up-sweep of Blelloch's work-efficient scan), one
    combine per level on the element's path. A sequential kernel (torch's CPU ``cumsum``) is
    n - 1 deep; the log depth is the bound any parallel hardware reaches."""
    return (int(n) - 1).bit_length() if n > 1 else 0


#: comparison sorts along ``dim`` (:func:`sort_vector_ops`): ``sort`` (``argsort``, ``msort`` and
#: ``sort(stable=True)`` dispatch to it in torch 2.x; ``argsort`` listed should it reach the
#: dispatcher), ``mode`` (sorts each row, then counts runs), ``topk``. ``kthvalue`` / ``median``
#: select (quickselect, expected linear in n): reductions above.
SORTS = {"sort", "argsort", "mode", "topk"}
#: ops whose outputs after the first are saved for a backward pass only (a max pool's
#: indices, a norm's mean and 1/std, attention's log-sum-exp, dropout's mask, an embedding
#: bag's offsets): an inference kernel does not write them, so one that no traced op reads (no
#: backward, no max_unpool) and the model does not return is left out of the workload, neither
#: written nor live (:func:`.assemble.finish`); the ONNX export of such a model has none
BYPRODUCTS = frozenset(("max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
                        "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
                        "fractional_max_pool2d", "fractional_max_pool3d", "native_layer_norm",
                        "native_batch_norm", "_native_batch_norm_legit",
                        "_native_batch_norm_legit_no_training", "_batch_norm_with_update",
                        "_batch_norm_no_update", "native_group_norm", "_fused_rms_norm",
                        "_weight_norm_interface", "native_dropout", "_embedding_bag",
                        "_embedding_bag_forward_only", "_scaled_dot_product_flash_attention",
                        "_scaled_dot_product_flash_attention_for_cpu",
                        "_scaled_dot_product_efficient_attention",
                        "_scaled_dot_product_cudnn_attention"))
#: window pools: one vector op per element of each window inside the input (:mod:`..windows`)
POOLS = {"max_pool1d", "max_pool2d_with_indices", "max_pool3d_with_indices", "avg_pool1d",
         "avg_pool2d", "avg_pool3d", "max_pool2d"}
#: adaptive pools, interpolation: per output element by its taps; col2im: one add per element
#: read (:mod:`.resample`; grid sampling is a gather of its taps' lines, :mod:`.gridsample`)
RESAMPLES = {"_adaptive_avg_pool2d", "_adaptive_avg_pool3d", "adaptive_avg_pool1d", "adaptive_max_pool1d",
             "adaptive_max_pool2d", "adaptive_max_pool3d", "_upsample_bilinear2d_aa", "_upsample_bicubic2d_aa",
             "upsample_bilinear2d", "upsample_linear1d", "upsample_bicubic2d", "upsample_trilinear3d",
             "col2im"}
COPIES = {"cat", "stack", "constant_pad_nd", "reflection_pad1d", "reflection_pad2d",
          "reflection_pad3d", "replication_pad1d", "replication_pad2d", "replication_pad3d",
          "index_copy", "index_fill",
          "slice_scatter", "select_scatter", "diagonal_scatter", "as_strided_scatter", "copy",
          "repeat", "roll", "flip", "masked_select", "masked_scatter",
          "upsample_nearest1d", "upsample_nearest2d", "upsample_nearest3d", "_upsample_nearest_exact1d",
          "_upsample_nearest_exact2d", "_upsample_nearest_exact3d", "im2col", "narrow_copy",
          "_pack_padded_sequence", "_pad_packed_sequence",
          "repeat_interleave", "tile", "put", "unfold_copy", "pixel_shuffle",
          "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "diag_embed",
          "complex", "view_as_real_copy",
          # nn.MaxUnpool (SegNet's decoder): its input scattered to the pool's int64 indices in a
          # zero-filled output, one kernel: reads input and indices, writes the whole output
          "max_unpool2d", "max_unpool3d"}
#: gathers by index (``W[idx]``, ``torch.gather``, ``torch.take``): of a parameter, only the
#: elements they read (a row gather where the index picks whole rows: :mod:`.bags`); of anything
#: else, a copy like :data:`COPIES`
GATHERS = {"index", "_unsafe_index", "gather", "take"}
#: a copy that only reorders (or re-types) the elements: free, like a view
REORDER = {"clone", "_to_copy", "lift_fresh_copy", "contiguous", "alias_copy", "view_copy",
           "expand_copy", "permute_copy", "transpose_copy", "t_copy", "unsqueeze_copy",
           "squeeze_copy", "_reshape_copy", "_unsafe_view", "detach_copy", "unfold"}
FACTORIES = {"empty", "empty_like", "empty_strided", "empty_permuted", "zeros", "zeros_like", "ones",
             "ones_like", "full", "full_like", "arange", "linspace", "logspace", "scalar_tensor",
             "eye", "new_empty", "new_empty_strided", "new_zeros", "new_ones",
             "new_full", "fill", "zero", "_efficientzerotensor", "lift_fresh", "tensor",
             "tril_indices", "triu_indices",
             # spectral windows (closed-form vectors, an STFT's ``window=torch.hann_window(n)``
             # built in forward); ``torch.signal.windows`` dispatches to arange, cos, ... instead
             "hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"}
#: random draws reading no tensor's values: generated where they are used (an ``rng`` op,
#: :func:`.randoms.generate`), not constants read from memory
RANDOM_FACTORIES = {"rand", "rand_like", "randn", "randn_like", "randint", "randint_like", "randperm",
                    "uniform", "random", "exponential", "geometric", "cauchy", "log_normal",
                    "_fused_dropout_rng"}
#: ops that write all of their first argument without reading it
WRITE_ONLY = {"copy", "fill", "zero", "uniform", "normal", "random", "bernoulli", "exponential",
              "geometric", "cauchy", "log_normal"}
#: in-place ops that only change a tensor's metadata (shape, strides)
VIEW_INPLACE = {"t", "transpose", "unsqueeze", "squeeze", "as_strided", "resize", "detach", "set",
                "requires_grad", "swapdims", "swapaxes", "resize_as"}
NO_DATA = {"_local_scalar_dense", "is_nonzero", "equal", "_assert_async", "_assert_scalar",
           "_assert_tensor_metadata", "sym_size", "sym_stride", "sym_numel", "sym_storage_offset",
           "_functional_sym_constrain_range", "sym_constrain_range", "record_stream", "is_same_size",
           "allclose", "_has_same_storage_numel", "_check_is_size", "_print", "item",
           "_nested_tensor_from_mask_left_aligned", "is_pinned", "_make_dep_token"}

#: floating torch dtypes (name without ``torch.``) a tensor keeps when no workload dtype is given
#: (a mixed-precision model: an fp16 layer beside an fp32 one, ``autocast``); any other floating
#: dtype (float64) takes the workload dtype and is listed in the metadata; float8: :data:`FLOAT8_STORAGE`
TORCH_FLOAT_DTYPES = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16"}
#: the IR dtype of every float8 tensor (``float8_e4m3fn``, ``float8_e5m2``, ...) when no workload
#: dtype is given: a storage-only dtype of 1 B (weight-only fp8 stores its weight so and casts
#: it to bf16 / fp16 in forward; no CPU kernel computes in float8, so no op does)
FLOAT8_STORAGE = "fp8"
#: torch dtype (name without ``torch.``) -> IR dtype, for tensors that are not floating point:
#: they keep their own element size whatever the workload dtype (indices, masks, FFT outputs).
#: Floating-point tensors keep theirs (:data:`TORCH_FLOAT_DTYPES`), or take ``trace(dtype=...)``.
TORCH_STORAGE_DTYPES = {"int64": "int64", "int32": "int32", "int16": "int16", "int8": "int8",
                        "uint8": "uint8", "bool": "bool", "complex32": "complex32",
                        "complex64": "complex64", "complex128": "complex128", "qint8": "int8",
                        "quint8": "uint8", "qint32": "int32"}


def sort_vector_ops(numel: int, n: int, k: int | None = None) -> float:
    """Comparisons (vector ops) of sorting ``numel`` elements in rows of ``n`` along the sorted
    dimension: ``rows x n x ceil(log2 n)`` (a merge sort's worst case is n ceil(log2 n) -
    2^ceil(log2 n) + 1 comparisons, and any comparison sort needs log2(n!) ~ n log2 n - 1.44 n:
    Knuth, TAOCP vol. 3, 5.2.4 and 5.3.1). ``topk`` (``k`` given) keeps a k-element heap: each of
    the n elements costs up to ``ceil(log2 k)`` comparisons, ``rows x n x ceil(log2 k)``. At least
    one op per element (n or k of 1 still reads each element once)."""
    if numel == 0 or n == 0:
        return 0.0
    m = k if k is not None else n
    return float(numel // n * n * max(1, math.ceil(math.log2(m))))


#: ``pow(x, e)`` of a constant exponent that is no general power, by exponent: a square is one
#: multiply (torch's kernel computes ``x * x``), a square root is counted as ``sqrt``; any other
#: exponent (and a tensor exponent, a scalar base) keeps ``pow``'s general cost
POW_FNS = {2: "mul", 0.5: "sqrt"}


def pow_fn(base: str, args) -> str | None:
    """The function (ELEMENTWISE_OPS_PER_ELEMENT key) whose cost a ``pow`` / ``float_power`` of
    a constant exponent in :data:`POW_FNS` (``pow.Tensor_Scalar``: ``x ** 2``) has; None else."""
    e = args[1] if base in ("pow", "float_power") and len(args) > 1 else None
    if isinstance(e, bool) or not isinstance(e, (int, float)):  # a tensor exponent: general
        return None
    return POW_FNS.get(e)


# vector ops per element (modelling choices, like ir.ELEMENTWISE_OPS_PER_ELEMENT)
NORM_OPS_PER_ELEMENT = 8.0  # mean, subtract, square, mean, rsqrt, scale, shift
#: an eval-mode batch norm (running statistics): a per-channel affine ``x * s + t`` with
#: ``s = w / sqrt(var + eps)`` and ``t = b - mean * s`` computed once per channel (C values, not
#: counted: 1/(N*H*W) of the work), so a multiply and an add per element. The literal
#: ``(x - mean) * inv_std * w + b`` would be 4; no runtime computes it per element (oneDNN,
#: TFLite and TensorRT precompute s and t, or fold them into the conv weights: 0 ops)
EVAL_BATCH_NORM_OPS_PER_ELEMENT = 2.0
SOFTMAX_OPS_PER_ELEMENT = 7.0
#: ``glu``, per output element: the sigmoid of the gate half (4, as ``sigmoid`` is counted) and
#: the multiply by the other half (1)
GLU_OPS_PER_ELEMENT = 5.0


def batch_norm_mode(ev) -> str | None:
    """``'train'`` (a batch norm on the batch's statistics), ``'eval'`` (on the running
    statistics: a per-channel affine) or None (event ``ev`` is no batch norm)."""
    name = base_name(ev.func)
    if name not in BATCH_NORMS_TRAINING_ARG | BATCH_NORMS_EVAL | {"_batch_norm_with_update"}:
        return None
    from .registry import bound_args  # imports torch: only once an event exists

    arg = bound_args(ev, ev.args, ev.kwargs)
    if arg.get("running_mean") is None:  # no running statistics: the batch's are computed
        return "train"
    if name in BATCH_NORMS_EVAL:
        return "eval"
    return "train" if arg.get("training", name == "_batch_norm_with_update") else "eval"


def base_name(func) -> str:
    """aten name without the in-place suffix: ``add_`` -> ``add``."""
    name = func._overloadpacket.__name__
    if name.endswith("_") and not name.endswith("__"):
        name = name[:-1]
    return name
