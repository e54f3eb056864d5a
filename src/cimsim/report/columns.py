"""The one place that names result columns (reports, JSON, CSV, sweeps, plots), and defines them.
Why one module of over 600 lines: it is the one place by design (column_docs reads its comments).

Every numeric column carries its unit in its name (``_s``, ``_j``, ``_bytes``,
``_per_s``) or is a dimensionless fraction (``util_*``) or count.

Some columns are fixed; the others come from the architecture, through the
component registry, and are named by the pattern functions below (``ops_column``,
``bytes_column``, ``write_bytes_column``, ``fact_column``, ``energy_column``, ``util_column``,
``path_column``, ``area_column``) with the names of its components, memory levels and links
(see :func:`result_columns`).

Each column's meaning is the ``#:`` comment above (or after) its name, and each pattern's the
docstring of its function: :mod:`cimsim.report.column_docs` writes the README's "Result
columns" table from them, so write them as that table's "meaning" cell.
"""

from __future__ import annotations

#: workload name
WORKLOAD = "workload"
#: architecture (config) name
ARCHITECTURE = "architecture"
#: ``des`` (discrete-event) or ``analytic`` (bounds)
ENGINE = "engine"
#: end-to-end time of the workload
LATENCY = "latency_s"
#: ``cimsim run --steady``: one call in a loop of calls on the same weights, the simulated time
#: of two calls back to back less that of one (a weight a cache level holds is read from DRAM by
#: the first call only; the second call starts when the first has finished); what a timing loop's fastest call measures and the host suites predict (s)
STEADY_LATENCY = "steady_latency_s"
#: the op table's (``Result.op_table``, ``--placement``, trace args) fixed latency of one op:
#: dispatch plus access latency, part of its time (it was ``latency_s`` there, the run's
#: latency's name everywhere else, until 2026-12-05)
OP_FIXED_LATENCY = "fixed_latency_s"
#: total energy, static included
ENERGY = "energy_j"
#: what bounds the run: memory, interconnect, compute, dependency, overhead or power (the class
#: of the largest part of the realised critical path)
BOUND = "bound"
#: the part of the realised critical path that names the bound: a memory level or link name,
#: ``compute`` or ``overhead``
BOUND_PART = "bound_part"
# Two paths have a name each. The *dependency critical path* is the longest chain of
# dependent ops, each taking its time alone (no contention, no queueing on a server): its
# length is ``critical_path_s`` and its op count ``critical_path_ops``, the same under
# either engine. The *realised critical path* is the chain the DES actually ran: walking
# back from the last op to finish through whatever each op waited for last (a
# predecessor or the op before it on its server); the bound and the ``path_<part>_s``
# columns attribute its time, the Gantt strip draws it, and its op count is
# ``Result.realized_path_ops``. The analytic engine simulates nothing: its realised path is
# the dependency path, or the busiest unit's ops where that unit's busy time sets the latency.
#: length of the dependency critical path (each op taking its time alone)
CRITICAL_PATH_S = "critical_path_s"
#: ops (graph nodes, as ``ops``) on the dependency critical path
CRITICAL_PATH_OPS = "critical_path_ops"
#: serial steps on the dependency critical path, in dependent ops: each op 1, a fused chain of
#: pointwise ops the members on its longest chain (tag ``chain_ops``: a bias add + GELU 2, an
#: LSTM step's gate arithmetic 6, T steps of an RWKV loop fused into one op T x a step's) from
#: the input the path enters by to the output it leaves by (tag ``chain_io``, per input and output
#: pair; a chain leaving by an output the next op on the path does not read is not the path's;
#: never more than ``graph_depth_serial_steps``), a scan its ceil(log2 n) levels; equals
#: ``critical_path_ops`` where no op states a depth
CRITICAL_PATH_SERIAL_STEPS = "critical_path_serial_steps"
#: serial steps on the graph's longest chain, whatever config runs it: the most, over every path
#: of dependent ops, of the summed steps counted as in ``critical_path_serial_steps`` (a fused op
#: from the input the path enters by to the output it leaves by); the dependency critical path
#: is the time-critical one and may be shorter in steps (a parallel scan's cheaper ``a`` chain)
GRAPH_DEPTH_SERIAL_STEPS = "graph_depth_serial_steps"
#: ops (graph nodes) on the graph's longest chain of ops, whatever config runs it
GRAPH_DEPTH_OPS = "graph_depth_ops"
#: names of the two paths wherever they are shown (tables, figures, CLI)
DEPENDENCY_PATH = "dependency critical path"
REALIZED_PATH = "realised critical path"
#: sum of op times / dependency critical path
PARALLELISM = "parallelism"
#: multiply-accumulates
MACS = "macs"
#: ops in the workload: a count of its graph's nodes (op records), not of arithmetic operations;
#: the ``ops_per_*`` columns count 2 x MACs (``2 * macs``), so ``ops / energy_j`` is no OPS/W
OPS = "ops"
#: MACs / latency (a micro-batched pipeline: every micro-batch's MACs / pipeline_span_s; one
#: device's share under tensor parallelism, as macs is)
THROUGHPUT_MACS = "throughput_macs_per_s"
#: samples_per_run / latency: the batch (a serving run's requests); a micro-batched pipeline's
#: every micro-batch's requests / pipeline_span_s
SAMPLES_PER_S = "samples_per_s"
#: samples (inferences) one run serves, every result: the batch, a serving run's requests (every
#: micro-batch's under pipeline parallelism); the divisor of the per-sample figures, and of
#: programming_energy_j / runs for the programming energy per inference
SAMPLES_PER_RUN = "samples_per_run"
#: energy_j / samples_per_run: the energy of one sample (an image, a clip, a request); under
#: tensor or pipeline parallelism system_energy_j / samples_per_run (all the devices; a
#: micro-batched pipeline's every micro-batch over pipeline_span_s)
J_PER_SAMPLE = "j_per_sample"
#: the items one sample holds, as the workload states them (``metadata.items_per_sample``, set by
#: ``cimsim trace --items-per-sample N``: a clip's frames, a sequence's tokens, a read's base
#: pairs); NaN where it states none
ITEMS_PER_SAMPLE = "items_per_sample"
#: what an item is (``metadata.item_name``, ``--item-name``: frame, token, bp; default item);
#: None (null in JSON, empty in CSV) where no items_per_sample is stated
ITEM_NAME = "item_name"
#: samples_per_s x items_per_sample (frames/s, tokens/s, bp/s); NaN without items_per_sample
ITEMS_PER_S = "items_per_s"
#: j_per_sample / items_per_sample: J per frame, the inverse of frames/s per watt
#: (items_per_s / average_power_w); NaN without items_per_sample
J_PER_ITEM = "j_per_item"
#: the run's vector (non-MAC) operations: the sum of the op table's ``vector_ops`` (element-wise
#: ops, reductions, softmax, norms, FFTs at 5 N log2 N, complex arithmetic in real operations;
#: the README's per-element table), whichever unit runs them; 0 for bias-free matmuls alone
#: (fused epilogues, bias and activation, count: a Linear(64, 64)'s bias at batch 8 is 512).
#: Neither ``macs`` nor ``ops`` (graph nodes) nor the ``ops_per_*`` columns (2 x MACs) count
#: them. Under tensor parallelism one device's share, as ``macs`` is (norms and softmax run
#: replicated on each device and its all-reduce sums are added, so not 1/tp of one device's run)
VECTOR_OPS = "vector_ops"
#: vector_ops / latency_s: a DSP front-end's (an FFT chain's) op/s, where throughput_macs_per_s is 0
VECTOR_OPS_PER_S = "vector_ops_per_s"
#: the per-sample and per-item columns and the vector-op totals, every result
#: (:func:`cimsim.report.samples.per_sample_facts`, :func:`~cimsim.report.samples.vector_facts`)
SAMPLE_COLUMNS: tuple[str, ...] = (SAMPLES_PER_RUN, J_PER_SAMPLE, ITEMS_PER_SAMPLE, ITEM_NAME, ITEMS_PER_S,
                                   J_PER_ITEM, VECTOR_OPS, VECTOR_OPS_PER_S)
#: bytes of weights (a traced model: its parameters and the float / int8 buffers it reads,
#: such as masks; metadata buffer_weights gives the buffers' share)
WEIGHT_BYTES = "weight_bytes"
#: bytes of activations (a traced training step's optimizer state not among them)
ACTIVATION_BYTES = "activation_bytes"
#: bytes of a traced training step's optimizer state (``metadata["optimizer_state"]``: Adam's
#: exp_avg and exp_avg_sq, twice the fp32 weights); only where the workload has some
OPTIMIZER_STATE_BYTES = "optimizer_state_bytes"
# The footprint (:mod:`cimsim.workload.footprint`): the bytes live at once at the run's peak,
# the op where KV caches + live activations are largest (``activation_bytes`` sums every
# activation tensor instead: 159 GB for a serving run that holds 5.9 GB at its peak); what the
# placement holds to the backing store's capacity, and what ``run`` prints as "footprint". A
# pipeline-parallel run's is its largest stage's (one device); a tensor-parallel run's one
# device's share. With the KV caches in a device of their own (a PIM with ``sharing:
# separate``) the caches are at their own peak and the rest at theirs.
#: bytes live at once at the peak: weights + KV cache + activations (+ a training step's
#: optimizer state and master weights)
FOOTPRINT_BYTES = "footprint_bytes"
#: of it, the weights (every parameter, those a traced forward never read included)
FOOTPRINT_WEIGHT_BYTES = "footprint_weight_bytes"
#: of it, the KV caches resident at the footprint's peak (a serving run's: 2 x layers x kv_heads x
#: head_dim x the tokens cached then x the cache dtype's bytes: the prompt's P rows where the
#: prefill peaks, so flat over ``--decode``; ``kv_cache_peak_bytes`` is the cache's own largest);
#: 0 for a workload with none
FOOTPRINT_KV_CACHE_BYTES = "footprint_kv_cache_bytes"
#: of it, the activations live at the peak (not ``activation_bytes``, their sum over the run)
FOOTPRINT_ACTIVATION_BYTES = "footprint_activation_bytes"
#: the backing store's capacity the footprint is held to (``memory.<backing store>.capacity``,
#: whole bytes; beside a far tier, ``memory.<far>.far: true``, the near and the far tier's
#: capacities added; one device's under tensor or pipeline parallelism)
BACKING_CAPACITY_BYTES = "backing_capacity_bytes"
#: ``backing_capacity_bytes`` less what it holds at the peak (``footprint_bytes``, less the KV
#: cache where a device of its own holds it): the bytes a longer context or a larger batch may
#: still take (a run past the capacity is refused, never negative)
BACKING_HEADROOM_BYTES = "backing_headroom_bytes"
#: the most bytes of KV cache resident at once over the run, wherever the footprint peaks (a
#: serving run's: its longest requests' P + D tokens, 2 x layers x kv_heads x head_dim x tokens x
#: the cache dtype's bytes; one device's under pipeline parallelism, the largest stage's): the
#: KV cache size a sweep over ``--decode`` or ``--prompt`` plots; 0 for a workload with none
KV_CACHE_PEAK_BYTES = "kv_cache_peak_bytes"
FOOTPRINT_COLUMNS: tuple[str, ...] = (FOOTPRINT_BYTES, FOOTPRINT_WEIGHT_BYTES, FOOTPRINT_KV_CACHE_BYTES,
                                      FOOTPRINT_ACTIVATION_BYTES, BACKING_CAPACITY_BYTES,
                                      BACKING_HEADROOM_BYTES, KV_CACHE_PEAK_BYTES)
#: run-level arithmetic intensity against the backing store (the outermost memory level,
#: whatever its name: ``dram`` on the bundled configs; beside a far tier, the near and the far
#: tier together): 2 x MACs / the bytes over it, op/B (the roofline's x-axis for the whole run;
#: a CIM or PIM that keeps its weights in place reads few of them there); NaN when no byte
#: crosses it
OPS_PER_BACKING_BYTE = "ops_per_backing_byte"
#: the roofline's ridge point on the path to the backing store, op/B: 2 x the peak MAC/s of the
#: component that ran the most MACs (at the dtype of most of its MACs) / the slowest effective
#: bandwidth on its path to the backing store: the backing store's (beside a far tier, the
#: home's: the two tiers' bytes over the time each takes for its share at its own rate, the
#: near tier's rate while the far tier moves none), the link it reads through
#: and the weight memory of its own, where it has them (cpu-ddr5 fp32, the DRAM alone: 2.56
#: TOPS / 215 GB/s = 11.9 op/B; sram-cim: 6.96 POPS / its 32 GB/s interconnect = 217,406 op/B;
#: tpu-like: 91.75 TOPS / its 15.75 GB/s PCIe link, slower than its 34 GB/s weight memory and
#: the 215 GB/s DRAM = 5,825 op/B), the corner of that resource's roof in the rooflines. An op
#: whose 2 x MACs per byte over that resource fall below it takes longer to move those bytes
#: than to compute at the peak, so it cannot reach the peak; above it, that resource does not
#: hold it back, though another level with more of its bytes, or its fixed latency, may.
#: ``ops_per_backing_byte`` says less: it counts only the bytes over the backing store, which a
#: link or a weight memory may outnumber (rram-cim lstm: 13,653 op/B over a ridge of 5,437,
#: bound by the interconnect, which carries 14x the DRAM's bytes), and it is the run's average
#: over its ops: the bundled LSTM's input projections, weights read once for all T steps, lift
#: it to about B op/B while its recurrent GEMVs sit at B/2 (cpu-ddr5 at batch 16: 15.7 > 11.9,
#: still DRAM-bound until batch 24). NaN when no component with a MAC peak ran MACs
RIDGE_OPS_PER_BACKING_BYTE = "ridge_ops_per_backing_byte"
#: the roofline's ridge point over each memory level, op/B (``run --json``: an object, level ->
#: op/B, innermost first; the ``run`` summary's ``ridge by level`` line): 2 x the peak MAC/s of
#: the component that ran the most MACs (at the dtype of most of its MACs) / that level's
#: effective bandwidth (bandwidth x efficiency), over the levels that component reads through: a
#: processor's every memory level (cpu-ddr5 fp32: 2.56 TOPS / the DRAM's 215 GB/s = 11.9 op/B);
#: a CIM's, systolic array's or separate PIM's own buffer (``NAME.buffer``), weight memory, link
#: and backing store, not the host's caches (tpu-like: 91.75 TOPS / the unified buffer's 179.2
#: GB/s = 512 op/B; review L45 3). An op whose 2 x MACs per byte
#: moved at a level fall below that level's ridge cannot reach the peak there: the per-level
#: view an FPGA or accelerator designer sizes each buffer's bandwidth with, where
#: ``ridge_ops_per_backing_byte`` gives the one path to the backing store (find-A 5). Null
#: (NaN) for a level without a rate, and for every level when no component with a MAC peak
#: ran MACs
RIDGE_OPS_PER_BYTE_BY_LEVEL = "ridge_ops_per_byte_by_level"
#: lower bound from memory: the largest bytes / effective bandwidth over the memory levels
BOUND_MEMORY_S = "bound_memory_s"
#: lower bound from the links: the largest bytes / effective bandwidth over the links (and the
#: components' shared on-chip bandwidths: a CIM chip's buses); 0 without links
BOUND_LINK_S = "bound_link_s"
#: lower bound from compute: the busiest server's compute time
BOUND_COMPUTE_S = "bound_compute_s"
#: declared silicon area: the components' and on-chip memory levels'; NaN/null when none declares
#: one. A CIM of ``cim.chips`` chips counts every chip's (as its static power)
AREA_M2 = "area_m2"
#: energy efficiency: 2 x MACs / energy (operations per joule = OPS/W; 1e12 is 1 TOPS/W)
OPS_PER_J = "ops_per_j"
#: area efficiency: 2 x MACs / latency / area (1e18 ops/s/m² is 1 TOPS/mm²); NaN when no
#: part of the architecture declares its area
OPS_PER_S_PER_M2 = "ops_per_s_per_m2"
#: average power over the run: energy / latency (static included), W; NaN for zero latency
AVERAGE_POWER_W = "average_power_w"
#: the power dissipated in the declared area over it: (``average_power_w`` −
#: ``offchip_memory_power_w``) / ``area_m2``, W/m² (1e6 W/m² is 1 W/mm²); NaN when no part
#: declares its area. Where parts are stacked (``stack:``), over ``stack_footprint_m2``
#: instead, the area the heat leaves through. Off-chip memory levels (HBM, DRAM beside the die; their area cannot be
#: declared) and the components sitting in one (PIM units in HBM: their power and any area they
#: declare) are left out; a level marked ``off_chip: false`` (a die bonded on the logic), links
#: and other components count. Where some component declares no area, the power counts it and the
#: area does not: an upper bound (the run's note says which)
POWER_DENSITY_W_PER_M2 = "power_density_w_per_m2"
#: the off-chip memory levels' average power over the run, W: their access energy
#: (``energy_<level>_j``) / latency + their ``static_power``, and the energy / latency and static
#: power of the components sitting in one (hbm-pim's PIM units); what ``power_density_w_per_m2``
#: leaves out (0 W where every level is on the chip); one device's
OFFCHIP_MEMORY_POWER_W = "offchip_memory_power_w"
#: the junction temperature at the run's average power, °C: ``thermal.t_ambient`` +
#: ``thermal.r_th`` x (``average_power_w`` − ``offchip_memory_power_w``), the power dissipated
#: on the chip (of a stack: every die in it); one lumped θ_ja, steady state. Only where the
#: config has a ``thermal:`` block (find-B 5); one device's
T_JUNCTION_C = "t_junction_c"
#: the columns a ``thermal:`` block adds (:func:`thermal_columns`)
THERMAL_COLUMNS: tuple[str, ...] = (T_JUNCTION_C,)


def thermal_columns(arch) -> tuple[str, ...]:
    """:data:`THERMAL_COLUMNS` where ``arch`` has a ``thermal:`` block, else ``()``."""
    return THERMAL_COLUMNS if getattr(arch, "thermal", None) is not None else ()


#: a 3D stack's footprint, m²: the largest tier's area (the sum of the area parts on it), where a
#: component or on-chip level states a ``stack:`` block (tier, parts, dies; absent where none
#: does: the parts lie side by side). Parts that state no tier are on tier 0; stacked dies
#: (a CIM's ``chips``) put 1/chips of each part on each tier. ``power_density_w_per_m2`` divides
#: by it; ``area_m2`` and ``ops_per_s_per_m2`` stay on all the silicon (OPS per mm² of
#: footprint: ``ops_per_s_per_m2 x area_m2 / stack_footprint_m2``); one device's
STACK_FOOTPRINT_M2 = "stack_footprint_m2"
# The whole system a run stands for (:func:`cimsim.report.devices.system`): a tensor- or
# pipeline-parallel run simulates one device (``one_device_share``), and under pipeline
# parallelism its ops are every stage's while ``energy_j`` and ``area_m2`` are one device's, so
# ``ops_per_j`` and ``ops_per_s_per_m2`` overstate the system (2 stages: about 2x). These count
# all its devices; on one device each equals its plain column.
#: devices the run stands for: tensor-parallel group x pipeline stages (1 on one device)
SYSTEM_DEVICES = "system_devices"
#: energy of all those devices over the latency: tp x (E_dynamic + stages x E_static) (``energy_j``
#: on one device); a micro-batched pipeline's over all m micro-batches and pipeline_span_s,
#: m x tp x E_dynamic + tp x stages x P_static x pipeline_span_s; what ``tokens_per_j`` divides by
SYSTEM_ENERGY_J = "system_energy_j"
#: their declared area: devices x ``area_m2``; NaN/null when no part declares one
SYSTEM_AREA_M2 = "system_area_m2"
#: 2 x the MACs of all the devices (every micro-batch's) / ``system_energy_j`` (OPS/W of the
#: whole system)
SYSTEM_OPS_PER_J = "system_ops_per_j"
#: 2 x the MACs of all the devices / latency (pipeline_span_s) / ``system_area_m2``; NaN when no
#: part declares its area
SYSTEM_OPS_PER_S_PER_M2 = "system_ops_per_s_per_m2"
#: ``system_energy_j`` / latency (a micro-batched pipeline's pipeline_span_s), W: the power at
#: q = samples_per_s; NaN for zero latency
SYSTEM_AVERAGE_POWER_W = "system_average_power_w"
SYSTEM_COLUMNS: tuple[str, ...] = (SYSTEM_DEVICES, SYSTEM_ENERGY_J, SYSTEM_AREA_M2, SYSTEM_OPS_PER_J,
                                   SYSTEM_OPS_PER_S_PER_M2, SYSTEM_AVERAGE_POWER_W)
# A run at a stated load (:mod:`cimsim.report.load`): ``energy_j``, ``j_per_sample``,
# ``ops_per_j`` and ``average_power_w`` are full-load figures (runs back to back, no idle time);
# at q samples/s below saturation the power is P(q) = static_power_w + q x dynamic_j_per_sample.
#: the static power behind ``energy_static_j``: energy_static_j / latency_s, W (every
#: component's and level's static power, of the simulated device; a tensor- or
#: pipeline-parallel system draws system_devices x it); NaN for zero latency
STATIC_POWER_W = "static_power_w"
#: energy of one sample without the static energy, J: j_per_sample - system_devices x
#: static_power_w x the run's time (latency_s; pipeline_span_s under micro-batches) /
#: samples_per_run; on one device (energy_j - energy_static_j) / samples_per_run, under tensor
#: parallelism tp x that, under m micro-batches m x tp x the simulated one's dynamic energy / samples
DYNAMIC_J_PER_SAMPLE = "dynamic_j_per_sample"
#: the first run after power-up: latency_s + the programming time of the weights held in
#: volatile (SRAM) cells, which power-off or power gating loses; non-volatile (resistive) cells
#: keep theirs (``programming_time_s`` once, at deployment); equals latency_s where nothing is
#: programmed. The host side is cold in both (``latency_s`` is one cold call)
POWER_UP_LATENCY_S = "power_up_latency_s"
#: the energy of that first run after power-up, J, one device: energy_j + the programming energy
#: of the weights held in volatile cells (what power_up_latency_s re-programs) + static_power_w x
#: that programming time; = dynamic energy + that programming energy + static_power_w x
#: power_up_latency_s. Equals energy_j where nothing volatile is programmed. No idle.wake_energy
#: (``--idle gate``'s period_wake_energy_j adds the parts' wake-ups)
POWER_UP_ENERGY_J = "power_up_energy_j"
LOAD_COLUMNS: tuple[str, ...] = (STATIC_POWER_W, DYNAMIC_J_PER_SAMPLE, POWER_UP_LATENCY_S,
                                 POWER_UP_ENERGY_J)
# Only with a stated period (``run`` / ``compare`` / ``sweep`` / ``report --period``, ``Result.at_load``): one
# run (samples_per_run samples) every period, the system idle at its static power in between
#: the stated period: one run every period_s, s
PERIOD_S = "period_s"
#: energy of one period: the run's dynamic energy + the static power of all its devices x
#: period_s, J (under --idle sleep|gate: the run's dynamic energy + that static power over
#: period_wake_s + the run + period_idle_power_w over the rest + period_wake_energy_j) (NaN, with a note, where a compare's run cannot keep the period; a layer-pipelined
#: chip keeps one down to samples x pipeline_interval_s, its runs overlapping)
PERIOD_ENERGY_J = "period_energy_j"
#: period_energy_j / samples: the energy of one sample at that load, J
PERIOD_J_PER_SAMPLE = "period_j_per_sample"
#: period_energy_j / period_s: the average power at that load, W
PERIOD_AVERAGE_POWER_W = "period_average_power_w"
#: the shortest period / period_s (at most 1; under --idle sleep|gate (period_wake_s + the
#: run's time) / period_s, runs never overlapping): latency_s / period_s, a micro-batched pipeline's
#: pipeline_span_s / period_s, a layer-pipelined chip's samples x pipeline_interval_s / period_s
#: (the load as a share of the most it sustains); NaN where the run cannot keep the period
PERIOD_UTILIZATION = "period_utilization"
#: what the parts do between runs (``--idle``): on (at their static power, the default), sleep
#: (each part with an ``idle.sleep_power`` in its retention state) or gate (power-gated at
#: ``idle.gated_power``, the backing store asleep: :mod:`cimsim.report.idle`); with any stated
#: load (period, deadline, harvest or storage), so every figure says its --idle
PERIOD_IDLE = "period_idle"
#: the power between runs, W, all devices: system_devices x static_power_w under on, else each
#: part's sleep, gated or static power as period_idle puts it
PERIOD_IDLE_POWER_W = "period_idle_power_w"
#: the energy of waking once a period, J, all devices: the woken parts' idle.wake_energy, and
#: under gate the re-programming energy of the weights volatile (SRAM) CIM cells lost, once per
#: tensor-parallel device (a pipeline's simulated device programs every stage already); 0 under on
PERIOD_WAKE_ENERGY_J = "period_wake_energy_j"
#: the time from the period's start to the run's start, s: the longest woken part's
#: idle.wake_latency, and under gate the volatile weights' re-programming time; 0 under on;
#: under sleep|gate also without a period (what deadline_response_s adds to the latency)
PERIOD_WAKE_S = "period_wake_s"
#: the time a CIM's cells last at one run every period_s, s: the fewest <cim>_runs_to_wearout of
#: the run's non-volatile CIM units x period_s; absent (NaN) where no run writes a cell (nothing
#: re-programmed) or the cells are SRAM (volatile: they wear nothing)
PERIOD_WEAROUT_S = "period_wearout_s"
#: the same with perfect wear-levelling: the fewest <cim>_runs_to_wearout_levelled x period_s
PERIOD_WEAROUT_LEVELLED_S = "period_wearout_levelled_s"
# Per-token and process figures for a footprint (find-C 23: energy per token at a load, the
# node a config states)
#: LLM serving: generated tokens of all requests in one run (what tokens_per_s and
#: tokens_per_j divide), count
TOKENS_PER_RUN = "tokens_per_run"
#: LLM serving with a stated period: period_energy_j / tokens_per_run, the energy of one
#: generated token at that load (the idle static power between runs included), J; tokens_per_j
#: is the full-load figure (energy_j of back-to-back runs). NaN where the run cannot keep the period
PERIOD_J_PER_TOKEN = "period_j_per_token"
#: the process node the config's ``technology.node`` states (the one the circuit models derive
#: from), m; absent where the config states none (a node in a YAML comment is no input). It
#: covers the parts the circuit models derive, not a host or off-chip memory stated by figures
TECHNOLOGY_NODE_M = "technology_node_m"


def node_facts(arch) -> dict[str, float]:
    """``{TECHNOLOGY_NODE_M: node}`` where ``arch`` states ``technology.node``, else ``{}``
    (nm / 1e9, so that ``22 nm`` is 2.2e-08 m, not 2.2000000000000004e-08)."""
    tech = getattr(arch, "technology", None)
    return {} if tech is None else {TECHNOLOGY_NODE_M: tech.node_nm / 1e9}


PERIOD_COLUMNS: tuple[str, ...] = (PERIOD_S, PERIOD_ENERGY_J, PERIOD_J_PER_SAMPLE, PERIOD_J_PER_TOKEN,
                                   PERIOD_AVERAGE_POWER_W, PERIOD_UTILIZATION, PERIOD_IDLE,
                                   PERIOD_IDLE_POWER_W, PERIOD_WAKE_ENERGY_J, PERIOD_WAKE_S,
                                   PERIOD_WEAROUT_S, PERIOD_WEAROUT_LEVELLED_S)
#: the period columns a period the run cannot keep makes NaN
PERIOD_NAN_COLUMNS: tuple[str, ...] = PERIOD_COLUMNS[1:6]
# Only with a stated deadline (``--deadline``, ``Result.at_load(deadline_s=)``), against the
# DES's point estimate ``latency_s`` (deterministic, no spread: not a worst-case bound)
#: the stated deadline, s
DEADLINE_S = "deadline_s"
#: deadline_s - latency_s, s (negative: missed); under micro-batches deadline_s -
#: pipeline_span_s, when the run's last request is served; under --idle sleep|gate less
#: period_wake_s too (the request wakes the system); NaN where a stated period is shorter than
#: one run (the backlog grows each period: no response is bounded)
DEADLINE_SLACK_S = "deadline_slack_s"
#: deadline_slack_s >= 0 (false where the stated period is shorter than one run)
MEETS_DEADLINE = "meets_deadline"
#: the time the deadline is held to, s: latency_s (pipeline_span_s under micro-batches), and
#: under --idle sleep|gate period_wake_s before it
DEADLINE_RESPONSE_S = "deadline_response_s"
#: deadline_s - the first call after power-up's time, s: the slowest part's idle.wake_latency +
#: the volatile weights' re-programming time + latency_s (pipeline_span_s under micro-batches);
#: negative: the first call after power-up misses. Under --idle gate every call is one: it is
#: deadline_slack_s
POWER_UP_DEADLINE_SLACK_S = "power_up_deadline_slack_s"
DEADLINE_COLUMNS: tuple[str, ...] = (DEADLINE_S, DEADLINE_SLACK_S, MEETS_DEADLINE, DEADLINE_RESPONSE_S,
                                     POWER_UP_DEADLINE_SLACK_S)
# Only with a stated harvested power (``--harvest``, ``Result.at_load(harvest_w=)``), under the
# stated ``--idle`` (:mod:`cimsim.report.intermittent`)
#: the stated harvested power, W
HARVEST_POWER_W = "harvest_power_w"
#: the highest rate of runs that power sustains, runs/s: (harvest_power_w - P_i) / (E_b - P_i x
#: B), with P_i the power between runs (period_idle_power_w), B the wake-up and the run (s) and E_b
#: their energy (storage_run_energy_j under sleep|gate; the system's energy of the run under on, so
#: on it is (P - P_static) / E_dyn, gated with ideal gating P / E_b); at most one run every
#: shortest period (then the power is more than it draws at full rate); 0 where P <= P_i
HARVEST_RUNS_PER_S = "harvest_runs_per_s"
#: 1 / harvest_runs_per_s, s: the shortest period that power sustains; NaN where it sustains none
HARVEST_PERIOD_S = "harvest_period_s"
HARVEST_COLUMNS: tuple[str, ...] = (HARVEST_POWER_W, HARVEST_RUNS_PER_S, HARVEST_PERIOD_S)
# Only with a stated energy store (``--storage``, ``Result.at_load(storage_j=)``)
#: the stated usable stored energy (a capacitor's 0.5 C (V_max^2 - V_min^2)), J
STORAGE_J = "storage_j"
#: the energy one run draws from its wake-up to its end, J, all devices: under --idle on the
#: first call after power-up: the run's energy over all devices (a micro-batched pipeline's
#: whole span) + the volatile weights' programming energy once per tensor-parallel device (a
#: pipeline's simulated device programs every stage) + every device's static power over the
#: programming time (power_up_energy_j x system_devices on one device, without parallelism);
#: under sleep|gate the run's dynamic energy + static power over period_wake_s and the run +
#: period_wake_energy_j
STORAGE_RUN_ENERGY_J = "storage_run_energy_j"
#: whole runs one full store powers, floor(storage_j / storage_run_energy_j); 0: one does not fit
STORAGE_RUNS = "storage_runs"
#: full charges one run needs, ceil(storage_run_energy_j / storage_j): 1 where it fits; more
#: needs its running state checkpointed across power failures (not modelled)
STORAGE_CHARGES_PER_RUN = "storage_charges_per_run"
STORAGE_COLUMNS: tuple[str, ...] = (STORAGE_J, STORAGE_RUN_ENERGY_J, STORAGE_RUNS, STORAGE_CHARGES_PER_RUN)
# Only with a stated arrival process (``--arrivals``, ``Result.at_load(arrivals=)``) and period:
# runs at mean gap period_s to one FIFO server, one run at a time (a layer pipeline: one every S), no batching
# (:mod:`cimsim.report.queueing`; exact M/D/1, not sampled: review 23 B 1; one arrival is one run); inf where there is no
# steady state (poisson at a period not longer than one run, periodic at one shorter); NaN where the exact distribution
# needs more than 100,000 queue-length states
#: the stated arrival process: periodic (D/D/1) or poisson (M/D/1)
QUEUE_ARRIVALS = "queue_arrivals"
#: the mean response time (queueing wait, any --idle wake-up for an arrival finding the server idle, + the run), s
QUEUE_MEAN_RESPONSE_S = "queue_mean_response_s"
#: the median response time, s
QUEUE_P50_RESPONSE_S = "queue_p50_response_s"
#: the 95th-percentile response time, s
QUEUE_P95_RESPONSE_S = "queue_p95_response_s"
#: the 99th-percentile response time, s
QUEUE_P99_RESPONSE_S = "queue_p99_response_s"
#: M/D/1's mean response in closed form, rho S / (2 (1 - rho)) + the run, rho = S / period_s, S
#: the run's occupancy (the latency; a layer pipeline's interval x samples; an LLM pipeline's
#: micro-batches, pipeline_span_s, in run --json), s (for periodic
#: arrivals too: the Poisson figure at that mean rate)
QUEUE_MD1_MEAN_RESPONSE_S = "queue_md1_mean_response_s"
#: the share of arrivals (runs) whose response is within deadline_s (0 to 1; with a deadline only)
QUEUE_WITHIN_DEADLINE = "queue_within_deadline"
QUEUE_TIME_COLUMNS: tuple[str, ...] = (QUEUE_MEAN_RESPONSE_S, QUEUE_P50_RESPONSE_S, QUEUE_P95_RESPONSE_S,
                                       QUEUE_P99_RESPONSE_S, QUEUE_MD1_MEAN_RESPONSE_S)
QUEUE_COLUMNS: tuple[str, ...] = (QUEUE_ARRIVALS, *QUEUE_TIME_COLUMNS, QUEUE_WITHIN_DEADLINE)
# Only on an LLM serving run with a stated per-request SLO (``run --ttft-slo``, ``--tpot-slo``;
# :mod:`cimsim.report.slo`), over the run's requests (request_ttft_s, request_tpot_s)
#: the stated time-to-first-token SLO, s
SLO_TTFT_S = "slo_ttft_s"
#: the stated time-per-output-token SLO, s
SLO_TPOT_S = "slo_tpot_s"
#: the share of requests whose time to first token is within slo_ttft_s (0 to 1)
SLO_TTFT_ATTAINMENT = "slo_ttft_attainment"
#: the share of requests whose time per output token is within slo_tpot_s (0 to 1; a request of
#: one token has none and meets it)
SLO_TPOT_ATTAINMENT = "slo_tpot_attainment"
#: the share of requests meeting every stated SLO (goodput's share: x tokens_per_s is not the
#: goodput in tokens, the requests differ in tokens)
SLO_ATTAINMENT = "slo_attainment"
SLO_COLUMNS: tuple[str, ...] = (SLO_TTFT_S, SLO_TPOT_S, SLO_TTFT_ATTAINMENT, SLO_TPOT_ATTAINMENT, SLO_ATTAINMENT)
#: the column groups of a stated load (``Result.at_load``), each only where its value is stated
STATED_LOAD_GROUPS = (PERIOD_COLUMNS, DEADLINE_COLUMNS, HARVEST_COLUMNS, STORAGE_COLUMNS, QUEUE_COLUMNS,
                      SLO_COLUMNS)
STATED_LOAD_COLUMNS: tuple[str, ...] = tuple(c for g in STATED_LOAD_GROUPS for c in g)
#: fraction of the total energy resting on placeholders: values the config marks (U) or
#: leaves at an unsourced default (see :mod:`cimsim.report.provenance`)
ENERGY_PLACEHOLDER_SHARE = "energy_placeholder_share"
#: the same for the area: fraction of the declared area resting on placeholders
AREA_PLACEHOLDER_SHARE = "area_placeholder_share"
#: fraction of the critical path's time (``critical_path_time_s``) whose part rests on a
#: placeholder time field: a level's or link's rate (its transfer part), a component's clock,
#: array or read-latency fields (its write fields only on a run that re-programs), an op
#: overhead or a level's or link's latency (the overhead part); static energy counts it too
#: (see :mod:`cimsim.report.provenance`)
LATENCY_PLACEHOLDER_SHARE = "latency_placeholder_share"
#: above this energy (or latency) placeholder share, `cimsim run` warns
PLACEHOLDER_WARN_SHARE = 0.5
#: ``--json`` key of the per-part provenance: {"energy": {part: p}, "area": {part: p}}
PROVENANCE = "provenance"
#: ``--json`` key and note of a comparison mixing precisions: a component computes at other bits
#: than the trace's dtype
PRECISION_MISMATCH = "precision_mismatch"
#: true when some circuit-model input of the run lies outside the range its laws were fitted on
#: (today: a CIM's supply outside 0.8-1.1 x its node's nominal, where it derives numbers with the
#: voltage laws; :func:`cimsim.hw.circuits.scaling.supply_in_fit`): the run's notes say which
EXTRAPOLATED = "extrapolated"
#: false when the design is not physically plausible as modelled: a component (its parts as one
#: die) or an on-chip memory level counts more silicon than a 300 mm wafer (not buildable), or
#: the parts that form one die together do (every component of one chip and on-chip level with an
#: area; a stack weighs each tier), or a component's average power is above the TDP its config states (the part would slow down): the
#: run's notes say which (``Result.physical_notes``; ``simulate`` also issues each as a
#: ``cimsim.PhysicalPlausibilityWarning``). Above one reticle (858 mm²: several dies) or under a
#: binding power cap (a limit honoured) is a note only, still plausible
PHYSICALLY_PLAUSIBLE = "physically_plausible"
#: the run's notes (``run --json``'s ``notes`` list) in a table's one text cell: joined by
#: :data:`NOTES_SEPARATOR`, each note being one line; "" when the run has none
NOTES = "notes"
NOTES_SEPARATOR = "\n"
#: the objectives of the Pareto front a ``cimsim plot --pareto`` CSV lists (``min energy_j, max
#: accuracy_top1``): each of its rows is on the front of those, within its workload and device
#: condition
PARETO_OBJECTIVES = "pareto_objectives"
STATIC = "static"  # the energy part of static power x latency
# ``compare --baseline`` / ``report`` columns (:mod:`cimsim.report.baseline`); empty for a
# workload the baseline did not run
#: the ``--baseline`` architecture's name
BASELINE = "baseline"
#: a tensor- or pipeline-parallel run's latency and energy are one device's share (the tables'
#: ``(1d)`` mark; ``result.one_device``; in ``run --json`` of such a run only)
ONE_DEVICE_SHARE = "one_device_share"
#: baseline latency / latency (above 1: faster; a tensor- or pipeline-parallel run's time, a
#: micro-batched pipeline's pipeline_span_s, not latency_s)
SPEEDUP = "speedup_vs_baseline"
# The cimsim that computed a result (:mod:`cimsim.revision`): ``run --json`` keys, the Perfetto
# trace's ``otherData`` keys and the last two columns of ``compare -o`` / the report's
# results.csv (a CSV file has no metadata: a column, the same in every row, keeps the record
# with the rows); a sweep keeps them in its Parquet attrs (``cimsim.sweep.columns.ATTR_VERSION``)
#: the cimsim that computed it (``cimsim.__version__``)
CIMSIM_VERSION = "cimsim_version"
#: digest of cimsim's source and bundled data (``cimsim.model_revision()``)
CIMSIM_REVISION = "cimsim_revision"
# What a result was computed from (:mod:`cimsim.inputs`): ``run --json`` keys and columns of
# ``compare -o``, the report's results.csv and a sweep's CSV copy (a sweep's Parquet keeps the
# files in its attrs ``cimsim_configs`` / ``cimsim_workloads``)
#: the ``--set`` overrides every run had, as typed: ``field=value`` joined by ``; `` in a CSV
#: ("" when none); ``run --json``: an object ``{field: value}``
OVERRIDES = "overrides"
OVERRIDES_SEPARATOR = "; "
#: the config file the run read, its path as resolved (a bundled name: the bundled file)
CONFIG_PATH = "config_path"
#: SHA-256 of the config file's bytes (before ``--set``), 64 hex digits
CONFIG_SHA256 = "config_sha256"
#: the workload file the run read, its path as resolved (``--accuracy``: the model's trace, in
#: the accuracy cache)
WORKLOAD_PATH = "workload_path"
#: SHA-256 of the workload file's bytes, 64 hex digits
WORKLOAD_SHA256 = "workload_sha256"
INPUT_COLUMNS = (OVERRIDES, CONFIG_PATH, CONFIG_SHA256, WORKLOAD_PATH, WORKLOAD_SHA256)
#: energy / baseline energy (below 1: less energy; a tensor- or pipeline-parallel run's
#: system_energy_j; NaN when the baseline counted none)
ENERGY_RATIO = "energy_ratio_vs_baseline"
#: with ``--period``: period_j_per_sample / the baseline's, the energy ratio at the stated load
#: (a sample's energy with the idle static power between runs; NaN where either run cannot
#: keep the period)
PERIOD_ENERGY_RATIO = "period_energy_ratio_vs_baseline"
#: op-table columns (``<cim>_input_ones``, ``<cim>_weight_ones``) of a CIM's ops on a workload
#: that states data statistics (``cimsim trace --stats``): the activity each op's energy used
#: (its own traced value, or the config's); absent for a workload that states none
OP_ACTIVITY_COLUMNS = ("input_ones", "weight_ones")

# Steady state of a stream of samples through a layer-pipelined chip (only when a component
# pipelines, e.g. a CIM config with a ``chip`` block; :mod:`cimsim.report.stream`)
#: layer-pipelined chip: interval between samples (the busiest stage's time per sample)
PIPELINE_INTERVAL_S = "pipeline_interval_s"
#: samples per second at steady state
PIPELINED_SAMPLES_PER_S = "pipelined_samples_per_s"
#: 2 x MACs per sample / interval (1e12 is 1 TOPS)
PIPELINED_OPS_PER_S = "pipelined_ops_per_s"
#: the stage that sets the interval (a server label such as ``cim:conv1.weight``, or a memory
#: level or link)
PIPELINE_LIMIT = "pipeline_limit"
#: energy per sample at steady state (dynamic energy per sample + static power x interval)
PIPELINED_J_PER_SAMPLE = "pipelined_j_per_sample"
#: steady-state ops per joule
PIPELINED_OPS_PER_J = "pipelined_ops_per_j"
#: the steady state's ops per second over the declared area (NaN when no part declares one)
PIPELINED_OPS_PER_S_PER_M2 = "pipelined_ops_per_s_per_m2"
PIPELINE_COLUMNS: tuple[str, ...] = (PIPELINE_INTERVAL_S, PIPELINED_SAMPLES_PER_S,
                                     PIPELINED_OPS_PER_S, PIPELINE_LIMIT, PIPELINED_J_PER_SAMPLE,
                                     PIPELINED_OPS_PER_J, PIPELINED_OPS_PER_S_PER_M2)


def pipelined(arch) -> bool:
    """Whether results on ``arch`` carry the :data:`PIPELINE_COLUMNS`."""
    return any(getattr(c, "pipelined", False) for c in arch.instances)


# The one-time programming of stationary weights before the run (deployment), present when a
# component programs weights (a CIM block: :mod:`cimsim.hw.cim.programming`)
#: energy to program the weights a run finds in place, once before the run: the cells of every
#: matrix held (every copy; the pinned ones where the weights do not all fit) x write_energy x
#: write_verify_pulses, plus its k x n x b / 8 bytes (b: weight_bits, or the weight's stored
#: bits where the workload stores it narrower, int4 4, int2 2; once, copies too) read from the
#: backing store and carried over the component's link at their energy per byte, as
#: re-programming charges them; summed over the components. Deployment: not in ``energy_j``
#: (re-programming during the run is, as energy part ``write`` and the bytes); amortise it over
#: the runs between programmings
PROGRAMMING_ENERGY_J = "programming_energy_j"
#: time of that programming: the bytes stream at the slower of the link's and the backing
#: store's rate (their latencies once), and each matrix, once its bytes have arrived and the one
#: before it is written, takes min(k, rows) x write_latency x write_verify_pulses (its arrays and
#: copies written in parallel, row by row); the components' times added. Every array and copy
#: written at once (a write driver per array, no power limit): a lower bound. Deployment: not in
#: ``latency_s``
PROGRAMMING_TIME_S = "programming_time_s"
#: a traced training step (``metadata['updated_parameters']``): energy to rewrite once the
#: matrices on the arrays that hold the parameters the step updates (cells of every copy x
#: write_energy x write_verify_pulses + their bytes, as programming_energy_j counts them; a weight
#: read in two orientations is two matrices), what every step writes, charged in ``energy_j``
#: only for the matrices the run re-programs; 0 when none is on the arrays; NaN off a training step
STEP_WRITE_ENERGY_J = "step_write_energy_j"
#: the time of that rewrite (programming_time_s's arithmetic over those matrices)
STEP_WRITE_TIME_S = "step_write_time_s"
#: training steps the cells' endurance lasts, worst case: at most endurance / write_verify_pulses
#: where an updated matrix is programmed before the run (each of its cells written once a step),
#: at most ``<unit>_runs_to_wearout`` where the run re-programs arrays; NaN: no cell is written a
#: step (no bound), or off a training step
STEPS_TO_WEAROUT = "steps_to_wearout"
#: the same with the re-programmed arrays' writes spread evenly (``<unit>_runs_to_wearout_levelled``)
STEPS_TO_WEAROUT_LEVELLED = "steps_to_wearout_levelled"
TRAINING_COLUMNS: tuple[str, ...] = (STEP_WRITE_ENERGY_J, STEP_WRITE_TIME_S, STEPS_TO_WEAROUT,
                                     STEPS_TO_WEAROUT_LEVELLED)
PROGRAMMING_COLUMNS: tuple[str, ...] = (PROGRAMMING_ENERGY_J, PROGRAMMING_TIME_S, *TRAINING_COLUMNS)


def programs_weights(arch) -> bool:
    """Whether results on ``arch`` carry the :data:`PROGRAMMING_COLUMNS`: a component programs
    its weights before the run (``programs_weights``) or during it (``reprogram_fact``: a device
    that reloads every weight, with no programming before the run, read no programming line)."""
    return any(getattr(c, "programs_weights", False) or getattr(c, "reprogram_fact", None)
               for c in arch.instances)


def reprogrammed(instances, facts: dict) -> list[tuple[object, float]]:
    """``(component, count)`` of each of ``instances`` that re-programmed during the run: its
    class's ``reprogram_fact`` (:mod:`cimsim.hw.declared`) above 0 in ``facts``."""
    out = []
    for c in instances:
        v = facts.get(fact_column(c.name, c.reprogram_fact)) if c.reprogram_fact else None
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0:
            out.append((c, v))
    return out


def one_stage(instances, facts: dict) -> str:
    """Why a stream is one stage (no layer pipeline), or "": each component that re-programmed
    during the run, in its ``reprogram_stage`` words (the CIM's "the arrays are re-programmed";
    a plug-in's read that, too, and a chip holding its layers beside one took the blame)."""
    return "; ".join(getattr(c, "reprogram_stage", "") or f"{c.name} re-programs during the run"
                     for c, _ in reprogrammed(instances, facts))


# LLM serving metrics, present when the workload's metadata has an ``llm`` section (``cimsim
# workload llm``: which ops are the prefill, where each decode step ends, tokens per step).
#: LLM serving: time to first token: when the op giving a request's first token ends, mean over requests
TTFT_S = "ttft_s"
#: time per output token: (a request's last token - its first) / (its tokens - 1), mean over
#: the requests with two tokens or more (NaN when none has)
TPOT_S = "tpot_s"
#: generated tokens of all requests (one from the prefill, one per decode step each: A per
#: step with --verify K --accepted A) / latency
TOKENS_PER_S = "tokens_per_s"
#: generated tokens / energy of the whole run (static included)
TOKENS_PER_J = "tokens_per_j"
#: decode throughput: tokens of the decode steps / the time the decode steps take (each step
#: from the end of the iteration before it to its own end; prefills excluded)
DECODE_TOKENS_PER_S = "decode_tokens_per_s"
#: requests served at once (the run's batch slots; the whole batch under micro-batches and
#: tensor parallelism), so a sweep of serving runs of several batch sizes plots against it
LLM_BATCH = "llm_batch"
# The distribution of TTFT and TPOT over requests: percentiles p50, p90, p99 and the maximum,
# each by NumPy's default ``np.percentile`` (linear interpolation between the two nearest ranks,
# Hyndman-Fan type 7: the q-th of n sorted values x_0..x_{n-1} is at rank h = q/100 (n - 1),
# x_floor(h) + (h - floor(h)) (x_floor(h)+1 - x_floor(h))); TPOT's over the requests with two
# tokens or more (NaN when none has). Queueing behind ``--batch`` slots shows here, not in the mean.
PERCENTILES: tuple[int, ...] = (50, 90, 99)
#: TTFT over requests: 50th percentile (numpy's linear interpolation)
TTFT_P50_S = "ttft_p50_s"
#: TTFT over requests: 90th percentile
TTFT_P90_S = "ttft_p90_s"
#: TTFT over requests: 99th percentile
TTFT_P99_S = "ttft_p99_s"
#: TTFT over requests: maximum
TTFT_MAX_S = "ttft_max_s"
#: TPOT over the requests of two or more tokens: 50th percentile
TPOT_P50_S = "tpot_p50_s"
#: TPOT over the requests of two or more tokens: 90th percentile
TPOT_P90_S = "tpot_p90_s"
#: TPOT over the requests of two or more tokens: 99th percentile
TPOT_P99_S = "tpot_p99_s"
#: TPOT over the requests of two or more tokens: maximum
TPOT_MAX_S = "tpot_max_s"
TTFT_SPREAD: tuple[str, ...] = (TTFT_P50_S, TTFT_P90_S, TTFT_P99_S, TTFT_MAX_S)
TPOT_SPREAD: tuple[str, ...] = (TPOT_P50_S, TPOT_P90_S, TPOT_P99_S, TPOT_MAX_S)
# Per phase of a serving run (:mod:`cimsim.report.phases`): each op's ``phase`` tag (``prefill``
# or ``decode``, as ``workload llm`` and ``trace --serve`` write it) says which phase it is.
# Phases of different requests may overlap in time (continuous batching, sub-batches), so time
# is counted two ways: ``<phase>_latency_s`` splits the latency along the realised critical path
# (each instant of the run counted once, in the phase of the op the path is in: prefill + decode
# = latency_s where every path op is tagged), ``<phase>_active_s`` is the wall time in which any
# op of the phase runs (the union of its ops' [start, end] intervals: prefill + decode may pass
# latency_s where they overlap). Static energy is apportioned by ``<phase>_latency_s``, so
# prefill + decode energy = energy_j where every path op is tagged. One device's share under
# tensor or pipeline parallelism, as latency_s and energy_j are (not pipeline_span_s). NaN (null,
# empty) on a run with no op of that phase; the bound empty where the phase has no time on the path.
# Ops with no phase tag (a hand-composed vision encoder ahead of the prefill) have the unphased_*
# columns, so prefill + decode + unphased = latency_s and energy_j. Under --engine analytic (no
# schedule) the active times are NaN; the latency split is along the dependency path where that
# path is the latency, and NaN (only the dynamic energy split) where the busiest unit's or a
# link's work sets it.
# A chained vision encoder's ops (``workload llm --vision-workload``) carry the prefill's tag, so
# the prefill columns include it (its ops: ``part: vision`` / ``vision_input``; review 22 E 6).
#: prefill: the realised critical path's time in ops tagged ``phase: prefill``, a
#: ``--vision-workload`` encoder's included (its ops tagged ``part: vision`` / ``vision_input``) (s)
PREFILL_LATENCY_S = "prefill_latency_s"
#: decode: the realised critical path's time in ops tagged ``phase: decode`` (s)
DECODE_LATENCY_S = "decode_latency_s"
#: prefill: wall time in which some prefill op runs, the union of their [start, end] intervals (s)
PREFILL_ACTIVE_S = "prefill_active_s"
#: decode: the union of the decode ops' [start, end] intervals (s)
DECODE_ACTIVE_S = "decode_active_s"
#: ops with no ``phase`` tag: the realised critical path's time in them (s); 0 where every op is
#: tagged, NaN where none is
UNPHASED_LATENCY_S = "unphased_latency_s"
#: ops with no phase tag: their dynamic energy + static power x unphased_latency_s (J)
UNPHASED_ENERGY_J = "unphased_energy_j"
#: ops with no phase tag: the sum of their dynamic energy (J)
UNPHASED_DYNAMIC_ENERGY_J = "unphased_dynamic_energy_j"
#: ops with no phase tag, counted (graph nodes, as ``ops``)
UNPHASED_OPS = "unphased_ops"
#: prefill: the prefill ops' dynamic energy + static power x prefill_latency_s (J)
PREFILL_ENERGY_J = "prefill_energy_j"
#: decode: the decode ops' dynamic energy + static power x decode_latency_s (J)
DECODE_ENERGY_J = "decode_energy_j"
#: prefill: the sum of the prefill ops' dynamic energy (every part but static), a
#: ``--vision-workload`` encoder's included (J)
PREFILL_DYNAMIC_ENERGY_J = "prefill_dynamic_energy_j"
#: decode: the sum of the decode ops' dynamic energy (J)
DECODE_DYNAMIC_ENERGY_J = "decode_dynamic_energy_j"
#: prefill: what bounds it, by the rule of ``bound`` applied to the prefill ops on the realised
#: critical path (their time split into parts; overhead is dependency-bound where
#: prefill_latency_s is within 10 % of the prefill ops' time on the dependency critical path)
PREFILL_BOUND = "prefill_bound"
#: decode: its bound, the same rule over the decode ops on the realised critical path
DECODE_BOUND = "decode_bound"
#: prefill: the path part that names prefill_bound (a memory level or link, compute, overhead)
PREFILL_BOUND_PART = "prefill_bound_part"
#: decode: the path part that names decode_bound
DECODE_BOUND_PART = "decode_bound_part"
#: the serving phases that have columns, in order
PHASES: tuple[str, ...] = ("prefill", "decode")
PHASE_COLUMNS: tuple[str, ...] = (PREFILL_LATENCY_S, DECODE_LATENCY_S, PREFILL_ACTIVE_S, DECODE_ACTIVE_S,
                                  PREFILL_ENERGY_J, DECODE_ENERGY_J, PREFILL_DYNAMIC_ENERGY_J,
                                  DECODE_DYNAMIC_ENERGY_J, PREFILL_BOUND, DECODE_BOUND,
                                  PREFILL_BOUND_PART, DECODE_BOUND_PART, UNPHASED_LATENCY_S,
                                  UNPHASED_ENERGY_J, UNPHASED_DYNAMIC_ENERGY_J, UNPHASED_OPS)
SERVING_COLUMNS: tuple[str, ...] = (TTFT_S, TPOT_S, TOKENS_PER_S, TOKENS_PER_J, TOKENS_PER_RUN, DECODE_TOKENS_PER_S,
                                    LLM_BATCH, *TTFT_SPREAD, *TPOT_SPREAD, *PHASE_COLUMNS)
# Only on a pipeline-parallel serving run (``workload llm --pipeline-parallel``; report/pipeline.py)
#: pipelined serving: the steady step, the mean time between one micro-batch's successive tokens
#: over the decode steps that start once every micro-batch has left prefill (each request's first
#: decode step, which waits behind the other micro-batches' prefills, left out): with decode stage
#: times t_s and m micro-batches, max(sum t_s, m max t_s) under --pipeline-schedule noflush,
#: sum t_s + (m - 1) max t_s under flush (p equal stages of t: max(p, m) t, (m + p - 1) t); with
#: one decode step, micro-batch m - 1's interval; NaN only when no decode step follows the
#: prefills, --decode 0 (s)
TPOT_STEADY_S = "tpot_steady_s"
PIPELINE_SERVING_COLUMNS: tuple[str, ...] = (TPOT_STEADY_S,)
#: ``--json`` only (lists, one value per request in request order; not result columns): each
#: request's time to first token, s, and time per output token, s (null for a request of one
#: token). Under pipeline micro-batches, micro-batch 0's requests, then micro-batch 1's, ...
REQUEST_TTFT_S = "request_ttft_s"
REQUEST_TPOT_S = "request_tpot_s"
#: ``--json`` only (a list, one per request): the time from the start of the iteration that made
#: the request's first token to that token, s (its prefill's last iteration: the window over which
#: ``run --kv-link --kv-overlap layer`` takes its layers' caches as written, find-E3 3)
REQUEST_PREFILL_STEP_S = "request_prefill_step_s"
# Only on an LLM serving run with ``run --kv-link LINK`` (prefill/decode disaggregation:
# :mod:`cimsim.report.disagg`, find-E2 3): each request's KV cache shipped from a prefill node to
# a decode node over LINK, both nodes this config
#: --kv-link: the link's rate (bandwidth=)
KV_LINK_BYTES_PER_S = "kv_link_bytes_per_s"
#: --kv-link: the link's latency, paid once per request's transfer
KV_LINK_LATENCY_S = "kv_link_latency_s"
#: --kv-link: one device's K and V bytes per prompt token, 2 x layers x its kv heads (kv_heads / N
#: under tensor parallelism, at least 1) x head_dim x the KV dtype's bytes
KV_TOKEN_BYTES = "kv_token_bytes"
#: --kv-link: the KV bytes one device ships for all the run's requests (each its prompt's tokens x
#: kv_bytes_per_token)
KV_TRANSFER_BYTES = "kv_transfer_bytes"
#: --kv-link: one request's transfer alone, bytes x 8 / rate + latency (mean over requests)
KV_TRANSFER_S = "kv_transfer_s"
#: --kv-link: the energy of all transfers, every device's share: the link's, bytes x 8 x (tx + rx
#: energy per bit) (kv_transfer_link_j), and both ends' memory, the sender's read and the receiver's
#: write of the cache in the KV cache's home level (kv_transfer_memory_j)
KV_TRANSFER_J = "kv_transfer_j"
#: --kv-link: the link's part of kv_transfer_j, bytes x 8 x (tx + rx energy per bit), every device's share
KV_TRANSFER_LINK_J = "kv_transfer_link_j"
#: --kv-link: both ends' memory part of kv_transfer_j: the sender's read and the receiver's write of
#: the cache in the home memory level (the backing store, or the near tier beside a far one) at its
#: energy per byte, every device's share (a sendrecv op also charges staging in inner levels; this
#: does not); with --prefill-run the sender's read is at the prefill config's rate where its run had
#: --kv-link, else at this config's (a note says so)
KV_TRANSFER_MEMORY_J = "kv_transfer_memory_j"
#: --kv-link: how the transfer meets the prefill (--kv-overlap): none, the whole cache once the
#: prefill has written every layer; layer, each layer's share once that layer is written (the
#: prefill's last iteration split evenly over the layers), only the last layer's after it ends
KV_OVERLAP = "kv_overlap"
#: --kv-link: time to first token of the placement (mean over requests): the prefill node returns
#: the first token (Splitwise, DistServe), at this run's TTFT, or with --prefill-run at that run's;
#: NaN on the decode node's run (--prefix P-1) without --prefill-run, whose TTFT is its 1-row pass
TTFT_PREFILL_NODE_S = "ttft_prefill_node_s"
#: --kv-link: when the request's cache is on the decode node (mean over requests): its first token
#: (ttft_prefill_node_s), then its cache over the link (--kv-overlap: whole after the prefill, or
#: layer by layer during it), one chunk at a time in order of readiness, then the latency; the
#: first token itself is not delayed (ttft_prefill_node_s), the second is (ttft2_disagg_s). On a run
#: that admits prefills between decode steps, the queueing behind them too (a note says so); NaN as
#: ttft_prefill_node_s
TTFT_DISAGG_S = "ttft_disagg_s"
#: --kv-link: the largest request's ttft_disagg_s
TTFT_DISAGG_MAX_S = "ttft_disagg_max_s"
#: --kv-link: time to the second token (mean over requests): ttft_disagg_s plus one decode-only
#: step of the decode node (tpot_decode_only_s): where the transfer shows to a user; NaN as either
TTFT2_DISAGG_S = "ttft2_disagg_s"
#: --kv-link: time per output token of the run's decode-only iterations (no prefill row in them, as
#: on a decode node): their mean span per token a request keeps in one; NaN without one; a run that
#: admits prefills between decode steps keeps its batches (a note says so)
TPOT_DECODE_ONLY_S = "tpot_decode_only_s"
#: --kv-link: the energy of the placement, both nodes and the transfers: this run's devices' energy
#: plus kv_transfer_j (the prefill and the decode node this config; idle time not counted); with
#: --prefill-run, that run's devices' energy + this run's less its 1-row admission passes
#: (prefill_energy_j x devices) + kv_transfer_j; NaN on a run with no decode step (--decode 0, the
#: prefill node's run) and on the decode node's run (--prefix P-1) without --prefill-run
DISAGG_ENERGY_J = "disagg_energy_j"
#: --kv-link: the run's tokens (each request's first and its decode tokens) over disagg_energy_j; NaN
#: where that is NaN
DISAGG_TOKENS_PER_J = "disagg_tokens_per_j"
DISAGG_COLUMNS: tuple[str, ...] = (KV_LINK_BYTES_PER_S, KV_LINK_LATENCY_S, KV_TOKEN_BYTES, KV_TRANSFER_BYTES,
                                   KV_TRANSFER_S, KV_TRANSFER_J, KV_TRANSFER_LINK_J, KV_TRANSFER_MEMORY_J,
                                   KV_OVERLAP, TTFT_PREFILL_NODE_S, TTFT_DISAGG_S, TTFT_DISAGG_MAX_S,
                                   TTFT2_DISAGG_S, TPOT_DECODE_ONLY_S, DISAGG_ENERGY_J, DISAGG_TOKENS_PER_J)
#: ``--json`` only with --kv-link (lists, one value per request in request order): its KV bytes
#: (one device's), its transfer alone (s), the transfer's energy over all devices, link and memory
#: (J), when its cache is on the decode node (s) and its second token (s)
REQUEST_KV_TRANSFER_BYTES = "request_kv_transfer_bytes"
REQUEST_KV_TRANSFER_S = "request_kv_transfer_s"
REQUEST_KV_TRANSFER_J = "request_kv_transfer_j"
REQUEST_TTFT_DISAGG_S = "request_ttft_disagg_s"
REQUEST_TTFT2_DISAGG_S = "request_ttft2_disagg_s"
DISAGG_REQUEST_LISTS: tuple[str, ...] = (REQUEST_KV_TRANSFER_BYTES, REQUEST_KV_TRANSFER_S, REQUEST_KV_TRANSFER_J,
                                         REQUEST_TTFT_DISAGG_S, REQUEST_TTFT2_DISAGG_S)

# A split-point study (`cimsim split`, :func:`cimsim.split.split_study`): one row per link
# and cut, the workload's prefix run on the edge config, its suffix on the server config.
#: split study: the edge config's name, with the `--edge-set` overrides where given
SPLIT_EDGE_CONFIG = "edge_config"
#: split study: the server config's name, with the `--server-set` overrides where given
SPLIT_SERVER_CONFIG = "server_config"
#: split study: the link's name (`--link`'s `name=`, its file's stem, or the spec as typed)
SPLIT_LINK = "link"
#: split study: the link's uplink rate (edge to server)
UPLINK_BANDWIDTH = "uplink_bytes_per_s"
#: split study: the link's downlink rate (server to edge); NaN (an empty CSV cell) without a
#: downlink (nothing comes back)
DOWNLINK_BANDWIDTH = "downlink_bytes_per_s"
#: split study: the link's latency, paid once per message sent
LINK_LATENCY_S = "link_latency_s"
#: split study: the sending radio's energy per bit (`tx_energy`)
TX_ENERGY_J_PER_BIT = "tx_energy_j_per_bit"
#: split study: the receiving radio's energy per bit (`rx_energy`)
RX_ENERGY_J_PER_BIT = "rx_energy_j_per_bit"
#: split study: the dtype floating-point crossing tensors are sent as (`--cut-dtype`), `own`
#: where not given (each tensor at its own dtype), then `; NAME: B bits` / `; NAME: F dense x
#: B B a nonzero` for each crossing tensor sent in a format of its own (`--cut-bits`, `--cut-density`)
CUT_DTYPE = "cut_dtype"
#: split study: the cut, as the ops run on the edge (0: server only, the raw inputs sent; the
#: op count: edge only, nothing sent)
SPLIT_CUT = "cut"
#: split study: the last op on the edge (`(input)` at cut 0)
SPLIT_AFTER_OP = "after_op"
#: split study: the tensors crossing the cut (activations made on the edge and read on the
#: server, model inputs a server op reads; resident inputs, a KV cache or a database, never)
SPLIT_TENSORS = "cut_tensors"
#: split study: the crossing tensors' names, `; `-separated (empty at the last cut)
SPLIT_TENSOR_NAMES = "cut_tensor_names"
#: split study: bytes sent uplink, the crossing tensors' (floating-point ones at `--cut-dtype`
#: where given and narrower; `--cut-bits` / `--cut-density` ones in that format), with
#: `--output-to server` the model outputs the edge makes too, sent by the same rules
UPLINK_BYTES = "uplink_bytes"
#: split study: bytes sent back downlink, the model outputs the server makes (0 without a
#: downlink in the link, or with `--output-to server`; a KV cache the step grows stays on the server)
DOWNLINK_BYTES = "downlink_bytes"
#: split study: the edge's run of the prefix (0 at cut 0)
EDGE_LATENCY_S = "edge_latency_s"
#: split study: the edge's energy over its run, static included (not while it waits)
EDGE_ENERGY_J = "edge_energy_j"
#: split study: uplink time, uplink_bytes / uplink_bytes_per_s + link_latency_s (0 when nothing
#: is sent)
UPLINK_S = "uplink_s"
#: split study: downlink time, downlink_bytes / downlink_bytes_per_s + link_latency_s (0 when
#: nothing comes back)
DOWNLINK_S = "downlink_s"
#: split study: uplink_s + downlink_s
LINK_S = "link_s"
#: split study: the edge's radio energy: uplink bytes x TX energy + downlink bytes x RX energy
EDGE_RADIO_J = "edge_radio_j"
#: split study: the server's radio energy: uplink bytes x RX energy + downlink bytes x TX energy
SERVER_RADIO_J = "server_radio_j"
#: split study: the server's run of the suffix (0 at the last cut)
SERVER_LATENCY_S = "server_latency_s"
#: split study: the server's energy over its run, static included
SERVER_ENERGY_J = "server_energy_j"
#: split study: edge_latency_s + uplink_s + server_latency_s + downlink_s
TOTAL_LATENCY_S = "total_latency_s"
#: split study: the edge config's static power (every component, memory level and link), which
#: it draws while it waits
EDGE_STATIC_POWER_W = "edge_static_power_w"
#: split study: the edge's static energy while it waits for its radio, the server and the
#: answer: edge_static_power_w x (uplink_s + server_latency_s + downlink_s); with `--output-to
#: server` (it needs no answer) edge_static_power_w x uplink_s
EDGE_WAIT_J = "edge_wait_j"
#: split study: edge_energy_j + edge_radio_j: the edge's energy while busy, its wait left out
EDGE_BUSY_ENERGY_J = "edge_busy_energy_j"
#: split study: edge_energy_j + edge_radio_j + edge_wait_j: the edge's battery per inference,
#: from its first op to the answer (static power over the whole request)
EDGE_TOTAL_ENERGY_J = "edge_total_energy_j"
#: split study: edge_total_energy_j + server_energy_j + server_radio_j (the server's static
#: power over its own run only)
TOTAL_ENERGY_J = "total_energy_j"
#: split study: this cut has the least total_latency_s on its link (the first such cut)
BEST_LATENCY = "best_latency"
#: split study: this cut has the least edge_total_energy_j (its wait included) on its link (the
#: first such cut); with --period the least edge_period_energy_j of the cuts that sustain it
BEST_EDGE_ENERGY = "best_edge_energy"
#: split study with --period (one frame every period_s, the halves pipelined): the edge's energy
#: of one period: edge_busy_energy_j (its run, its radio) + edge_static_power_w x (period_s -
#: edge_latency_s), the static power over the whole period, its wait included (the edge is on
#: between frames); NaN where the cut does not sustain the period, J
SPLIT_PERIOD_ENERGY_J = "edge_period_energy_j"
#: split study with --period: edge_period_energy_j / period_s, the edge's average power at that
#: frame rate, W (NaN where the cut does not sustain the period)
SPLIT_AVERAGE_POWER_W = "edge_average_power_w"
#: split study with --period: every stage of the cut keeps up with one frame a period, the
#: halves and the link pipelined: the edge half's shortest period, uplink_s, server_latency_s
#: and downlink_s each at most period_s; NaN (empty) where a half refused the cut (see error:
#: never timed, so neither kept up nor too slow)
SUSTAINS_PERIOD = "sustains_period"
#: the columns a split study adds with --period
SPLIT_PERIOD_COLUMNS = (PERIOD_S, SPLIT_PERIOD_ENERGY_J, SPLIT_AVERAGE_POWER_W, SUSTAINS_PERIOD)
SPLIT_COLUMNS = (WORKLOAD, SPLIT_EDGE_CONFIG, SPLIT_SERVER_CONFIG, SPLIT_LINK, UPLINK_BANDWIDTH,
                 DOWNLINK_BANDWIDTH, LINK_LATENCY_S, TX_ENERGY_J_PER_BIT, RX_ENERGY_J_PER_BIT,
                 CUT_DTYPE, SPLIT_CUT, SPLIT_AFTER_OP, SPLIT_TENSORS, SPLIT_TENSOR_NAMES, UPLINK_BYTES,
                 DOWNLINK_BYTES, EDGE_LATENCY_S, EDGE_ENERGY_J, UPLINK_S, DOWNLINK_S, LINK_S,
                 EDGE_RADIO_J, SERVER_RADIO_J, SERVER_LATENCY_S, SERVER_ENERGY_J, TOTAL_LATENCY_S,
                 EDGE_STATIC_POWER_W, EDGE_WAIT_J, EDGE_BUSY_ENERGY_J, EDGE_TOTAL_ENERGY_J,
                 TOTAL_ENERGY_J, BEST_LATENCY, BEST_EDGE_ENERGY)

#: Parts of a critical path's time besides one per memory level and link.
PATH_FIXED: tuple[str, ...] = ("compute", "overhead")

#: What a run is bound by: the largest part of its realised critical path's
#: time, as a class: "memory" (a memory level), "interconnect" (a link),
#: "compute". When that part is overhead, the run is "dependency"-bound if its
#: latency is within 10 % of the data-dependency critical path (a chain of
#: dependent ops waiting on fixed latencies: neither bandwidth nor compute would
#: shorten it), and "overhead"-bound otherwise (many ops queued on one unit,
#: each paying its dispatch cost: batching or fusing ops would help). "power": a component's
#: power limit set the largest part (the PIM's ``power_cap``: compute part ``<pim>_power``, the
#: time the cap adds above the op's MAC and bank time).
BOUNDS: tuple[str, ...] = ("memory", "interconnect", "compute", "dependency", "overhead", "power")

#: Columns every result has, in order.
FIXED_COLUMNS: tuple[str, ...] = (
    WORKLOAD, ARCHITECTURE, ENGINE, LATENCY, ENERGY, BOUND, BOUND_PART, CRITICAL_PATH_S,
    CRITICAL_PATH_OPS, CRITICAL_PATH_SERIAL_STEPS, PARALLELISM, BOUND_MEMORY_S, BOUND_LINK_S, BOUND_COMPUTE_S, MACS, OPS, THROUGHPUT_MACS,
    SAMPLES_PER_S, WEIGHT_BYTES, ACTIVATION_BYTES, OPS_PER_BACKING_BYTE, RIDGE_OPS_PER_BACKING_BYTE,
    AREA_M2, OPS_PER_J, OPS_PER_S_PER_M2,
    AVERAGE_POWER_W, POWER_DENSITY_W_PER_M2, *SYSTEM_COLUMNS,
    ENERGY_PLACEHOLDER_SHARE, AREA_PLACEHOLDER_SHARE, LATENCY_PLACEHOLDER_SHARE, PRECISION_MISMATCH, EXTRAPOLATED, PHYSICALLY_PLAUSIBLE,
    NOTES,
    # appended, after the columns of earlier releases, so that a positional reader of a CSV
    # (cut -f, usecols) still finds those where they were
    GRAPH_DEPTH_SERIAL_STEPS, GRAPH_DEPTH_OPS, *FOOTPRINT_COLUMNS,
    *LOAD_COLUMNS, OFFCHIP_MEMORY_POWER_W,
)


def energy_column(part: str) -> str:
    """energy by part: ``<component>_<part>`` for each part of each component (``processor_compute``,
    ``cim_adc``; ``cim_adder_tree``: an adder-tree digital CIM's column trees, cell type
    ``sram_dcim``, which has no ADC), one per memory level and link (by its name), and ``static``
    (static power x latency, every component)"""
    return f"energy_{part}_j"


def util_column(name: str) -> str:
    """utilization in [0, 1]: ``<component>_<what>`` (``processor_mac``, ``processor_busy``,
    ``cim_arrays``, ``pim_mac``) and ``<resource>_bw`` (occupancy: (bytes / peak bandwidth + the
    seconds ops hold it without moving counted bytes, ``OpCost.hold_s``) / latency); a CIM
    chip's global level under ``shared_levels: per_op`` (``cim_chip_bw``: no engine resource) is
    its ops' time on it alone over the latency, above 1 where ops in flight together overlap on
    it (a note says so); a systolic array's ``weight_buffer`` (``tpu_weight_buffer_bw``) is its
    re-reads' time at its bandwidth over the latency"""
    return f"util_{name}"


def path_column(part: str) -> str:
    """the realised critical path's time per part: one per memory level and link, ``compute`` and
    ``overhead``, and ``<component>_<part>`` for the parts a component splits out of its compute
    time (a CIM chip's ``cim_buffer``, ``cim_interconnect``)"""
    return f"path_{part}_s"


def ops_column(component: str) -> str:
    """ops the component runs: graph nodes, as `ops` (not the 2 x MACs of `ops_per_*`)"""
    return f"ops_{component}"


def macs_column(component: str) -> str:
    """MACs of the ops the component runs (they sum to ``macs``)"""
    return f"macs_{component}"


def bytes_column(resource: str) -> str:
    """bytes over a memory level or link"""
    return f"{resource}_bytes"


def write_bytes_column(resource: str) -> str:
    """the part of them written (into a memory level; out of the component over a link), the rest
    being reads"""
    return f"{resource}_write_bytes"


def area_column(part: str) -> str:
    """declared silicon area by part: ``<component>_<part>`` (``cim_adc``, ``processor_die``) and
    on-chip memory levels by name"""
    return f"area_{part}_m2"


def die_area_column(component: str) -> str:
    """the area of one of a component's dies, m²: its area parts summed (``area_<component>_*``)
    / ``dies_<component>``, what a yield model takes (find-D 2); NaN for a component that declares
    no area"""
    return f"die_area_{component}_m2"


def dies_column(component: str) -> str:
    """the dies a component's area is made of: its identical chips (a CIM's ``cim.chips``; 1
    otherwise), and where one chip is above a reticle (858 mm² = 26 mm x 33 mm) ceil(chip area /
    858 mm²) equal dies per chip, the fewest that each fit one exposure field (a split the
    simulator does not model: the run's note says the die-to-die links are not counted); one
    device's (a tensor- or pipeline-parallel system has ``system_devices`` x them)"""
    return f"dies_{component}"


def area_parts(arch) -> dict[str, float]:
    """Declared silicon area by part (m^2): ``<component>_<part>``, then on-chip memory levels."""
    out = {f"{c.name}_{p}": a for c in arch.instances for p, a in c.area_m2().items()}
    out.update({lv: m.area for lv, m in arch.memory.items() if m.area is not None})
    return out


def static_power_column(part: str) -> str:
    """static power by part, W (one device's): ``<component>`` for each component, or
    ``<component>_<part>`` where a component splits its own (a plug-in's
    ``static_power_parts_w``: a laser, its heaters), then each memory level and link whose
    config states a ``static_power`` (a stated 0 W included; one not stated has no column);
    they sum to ``static_power_w`` = ``energy_static_j / latency_s``, which the prefix
    ``static_part_`` leaves out (``df.filter(regex="^static_part_")`` sums the parts alone)"""
    return f"static_part_{part}_w"


def static_power_sources(arch) -> list[tuple[str, str, float]]:
    """``(part, whose, W)`` of each static-power part (:func:`static_power_column`), unmerged, so
    that :func:`column_clashes` sees two owners of one column (a laser part of ``optics`` beside
    a component or level named ``optics_laser`` overwrote one before). The split is the one
    :func:`cimsim.hw.declared.static_split` checked."""
    out = []
    for c in arch.instances:
        parts = getattr(c, "static_power_parts_w", None)
        out += ([(f"{c.name}_{k}", f"static power part '{k}' of component '{c.name}'", float(v))
                 for k, v in dict(parts).items()] if parts else
                [(c.name, f"the static power of component '{c.name}'", float(c.static_power_w))])
    stated = {n for n, c in (*arch.memory.items(), *arch.links.items())
              if "static_power" in getattr(c, "model_fields_set", ())}
    return out + [(r, f"the static power of '{r}'", w) for r, w in arch.resource_static_w.items()
                  if w > 0 or r in stated]


def static_power_parts(arch) -> dict[str, float]:
    """Static power by part (W, :func:`static_power_column`'s parts), summing to
    ``arch.static_power_w`` (the stages check a component's split sums to its whole, and
    :func:`column_clashes` that no two parts share a column). A memory level or link has a part
    where its config states ``static_power``, 0 W too (its ``model_fields_set``): a stated 0 is
    not an unknown."""
    return {p: w for p, _, w in static_power_sources(arch)}


def peak_column(component: str) -> str:
    """a component's peak, op/s: 2 x its peak MAC/s at the dtype of most of the workload's MACs
    (a CIM or systolic array: its own precision), the headline "TOPS" of a datasheet (tpu-like:
    2 x 256 x 256 x 700 MHz = 91.75 TOPS; :func:`cimsim.report.ridge.peak_facts`, find-K 3);
    NaN for a component without a MAC rate (a processor without one at that dtype: the ``run``
    summary's ``peak`` line names it, ``no MAC rate``); one device's, under tensor or pipeline
    parallelism (the line says ``one device's, of N``)"""
    return f"{component}_peak_ops_per_s"


def fact_column(component: str, fact: str) -> str:
    """a component's scalar fact (``cim_arrays_needed``; ``cim_area_needed_m2``: those arrays'
    area, m², beside ``area_m2``'s every provisioned array; ``cim_reprograms``;
    ``cim_runs_to_wearout``, ``cim_runs_to_wearout_levelled``: the runs the cells' endurance lasts
    under the run's re-programming, worst case (a cell written by each) and with perfect
    wear-levelling, NaN when the run writes no cell;
    ``processor_weights_on_chip``; ``cim_input_ones_default_ops`` / ``cim_weight_ones_default_ops``:
    the ops whose data activity was the config's ``cell.input_ones`` / ``weight_ones``;
    ``pim_bank_bytes``: the bytes the PIM units read inside the banks, B: their resident operands,
    weights or KV cache, which never cross the level's external bus)"""
    return f"{component}_{fact}"


def resource_util(resource: str) -> str:
    return f"{resource}_bw"


def result_columns(arch) -> tuple[str, ...]:
    """Columns of a result record on ``arch``, in order (fixed, then the architecture's)."""
    return tuple(col for col, _, _ in result_column_sources(arch))


def result_column_sources(arch) -> list[tuple[str, str, str]]:
    """``(column, what it is, whose: a component, level or link, or "")`` for each column of
    :func:`result_columns`, in order."""
    return [src for group in _column_groups(arch) for src in group]


def _column_groups(arch) -> list[list[tuple[str, str, str]]]:
    """:func:`result_column_sources` in its groups, in order (:func:`union_columns` merges them)."""
    comps = arch.instances
    resources = arch.hardware.resources
    return [list(g) for g in (
        ((c, "a fixed column", "") for c in FIXED_COLUMNS),
        ((ops_column(c.name), f"the op count of component '{c.name}'", c.name) for c in comps),
        ((macs_column(c.name), f"the MACs of component '{c.name}'", c.name) for c in comps),
        ((bytes_column(r), f"the bytes over '{r}'", r) for r in resources),
        ((write_bytes_column(r), f"the bytes written to '{r}'", r) for r in resources),
        ((peak_column(c.name), f"the peak op/s of component '{c.name}'", c.name) for c in comps),
        ((fact_column(c.name, f), f"fact '{f}' of component '{c.name}'", c.name)
         for c in comps for f in getattr(c, "facts", ())),
        ((c, "a pipeline column", "") for c in (PIPELINE_COLUMNS if pipelined(arch) else ())),
        ((c, "a programming column", "") for c in
         (PROGRAMMING_COLUMNS if programs_weights(arch) else ())),
        ((c, "a per-sample column", "") for c in SAMPLE_COLUMNS),
        ((static_power_column(p), what, "") for p, what, _ in static_power_sources(arch)),
        ((c, "the process node the config states", "") for c in node_facts(arch)),
        ((c, "a thermal column", "") for c in thermal_columns(arch)),
        ((c, "the stack's footprint", "") for c in
         ((STACK_FOOTPRINT_M2,) if getattr(arch, "stacked", False) else ())),
        # after the node, thermal and stack facts, as the run's facts hold them (find-D 2)
        ((col(c.name), f"{what} of component '{c.name}'", c.name) for c in comps
         for col, what in ((die_area_column, "the die area"), (dies_column, "the die count"))),
        ((energy_column(f"{c.name}_{p}"), f"energy part '{p}' of component '{c.name}'", c.name)
         for c in comps for p in c.energy_parts),
        ((energy_column(r), f"the energy of '{r}'", r) for r in resources),
        [(energy_column(STATIC), "the static energy", "")],
        ((util_column(f"{c.name}_{u}"), f"utilization '{u}' of component '{c.name}'", c.name)
         for c in comps for u in c.utilizations),
        ((util_column(resource_util(r)), f"the bandwidth utilization of '{r}'", r) for r in resources),
        ((path_column(p), f"the path time of '{p}'", p) for p in resources),
        ((path_column(p), f"the path time of '{p}'", p) for p in PATH_FIXED),
        ((path_column(f"{c.name}_{p}"), f"compute part '{p}' of component '{c.name}'", c.name)
         for c in comps for p in getattr(c, "compute_parts", {})),
        ((area_column(p), f"area part '{p}'", "") for p in area_parts(arch)),
    )]


def column_clashes(arch) -> list[tuple[str, str]]:
    """``(field, why)`` for each result column two things of ``arch`` would both fill (one
    would silently take the other's place: a component ``ops`` beside one named ``reprograms``
    made ``ops_reprograms`` both the one's fact and the other's op count)."""
    first: dict[str, str] = {}
    out = []
    for col, what, whose in result_column_sources(arch):
        if col in first and first[col] != what:
            out.append((whose or "name", f"result column '{col}' would be both {first[col]} and "
                                         f"{what}; rename a component, level or link so that "
                                         "every result column has one meaning"))
        first.setdefault(col, what)
    return out


# ---------------------------------------------------------------------------- accuracy
# ``--accuracy`` (:mod:`cimsim.accuracy.target`): the model run with the design's arithmetic
# (means over Monte-Carlo chips, ``_std`` their standard deviations: 0 when nothing is random,
# None (NaN) from one chip of a random design). Fractions in [0, 1]: top-1 accuracy against the
# labels (None without labels), the fp32 model's, agreement; per position of a dense output.
#: top-1 accuracy with the design's arithmetic (mean over chips; None without labels)
ACCURACY_TOP1 = "accuracy_top1"
#: its standard deviation over chips (null: one chip of a random design, no spread measured)
ACCURACY_TOP1_STD = "accuracy_top1_std"
#: Wilson 95 % interval of top-1 from the test set's size (the sampling uncertainty of the mean
#: top-1; None without labels or with per-pixel labels): low end
ACCURACY_TOP1_CI_LOW = "accuracy_top1_ci_low"
#: the same: high end
ACCURACY_TOP1_CI_HIGH = "accuracy_top1_ci_high"
#: the fp32 model's top-1
ACCURACY_TOP1_REFERENCE = "accuracy_top1_reference"
#: arg-max over the classes equal to fp32's; per pixel of (N, C, H, W), per step of (N, T, C)
AGREEMENT = "agreement"
#: its standard deviation over chips
AGREEMENT_STD = "agreement_std"
#: output SNR against fp32: 10 log10(sum y_ref² / sum (y - y_ref)²)
OUTPUT_SNR_DB = "output_snr_db"
#: its standard deviation over chips
OUTPUT_SNR_DB_STD = "output_snr_db_std"
#: SNR after a least-squares gain and offset fit (y ~ a y_ref + b)
OUTPUT_SNR_CORRECTED_DB = "output_snr_corrected_db"
#: its standard deviation over chips
OUTPUT_SNR_CORRECTED_DB_STD = "output_snr_corrected_db_std"
#: KL(softmax fp32 ‖ softmax CIM) over the classes, mean over samples (pixels, steps)
OUTPUT_KL = "output_kl"
#: its standard deviation over chips
OUTPUT_KL_STD = "output_kl_std"
OUTPUT_NLL = "output_nll"  #: negative log-likelihood of the labels, mean -log softmax(y)[label] (mean over chips; None without labels)
OUTPUT_NLL_STD = "output_nll_std"  #: its standard deviation over chips
OUTPUT_NLL_REFERENCE = "output_nll_reference"  #: the same of the fp32 model
OUTPUT_BRIER = "output_brier"  #: Brier score, mean sum over classes (p - one-hot(label))² (0 to 2; mean over chips)
OUTPUT_BRIER_STD = "output_brier_std"  #: its standard deviation over chips
OUTPUT_BRIER_REFERENCE = "output_brier_reference"  #: the same of the fp32 model
OUTPUT_ECE = "output_ece"  #: expected calibration error, 15 equal-width confidence bins: sum of bin share x abs(accuracy - confidence)
OUTPUT_ECE_STD = "output_ece_std"  #: its standard deviation over chips
OUTPUT_ECE_REFERENCE = "output_ece_reference"  #: the same of the fp32 model
CALIBRATION = (OUTPUT_NLL, OUTPUT_NLL_STD, OUTPUT_NLL_REFERENCE, OUTPUT_BRIER, OUTPUT_BRIER_STD,
               OUTPUT_BRIER_REFERENCE, OUTPUT_ECE, OUTPUT_ECE_STD, OUTPUT_ECE_REFERENCE)
# a binary task (labels one per sample, two classes: one output or two; class 1 the positive):
# None otherwise, or where undefined (recall and F1 without a positive label, ROC AUC without
# both classes; precision is 0 when nothing is predicted positive)
PRECISION = "precision"  #: precision of class 1, TP / (TP + FP) (mean over chips)
PRECISION_STD = "precision_std"  #: its standard deviation over chips
PRECISION_REFERENCE = "precision_reference"  #: the same of the fp32 model
RECALL = "recall"  #: recall of class 1, TP / (TP + FN) (mean over chips)
RECALL_STD = "recall_std"  #: its standard deviation over chips
RECALL_REFERENCE = "recall_reference"  #: the same of the fp32 model
F1 = "f1"  #: F1 of class 1, 2 TP / (2 TP + FP + FN) (mean over chips)
F1_STD = "f1_std"  #: its standard deviation over chips
F1_REFERENCE = "f1_reference"  #: the same of the fp32 model
ROC_AUC = "roc_auc"  #: area under the ROC curve of the score (logit) against the labels, ties half (mean over chips)
ROC_AUC_STD = "roc_auc_std"  #: its standard deviation over chips
ROC_AUC_REFERENCE = "roc_auc_reference"  #: the same of the fp32 model
BINARY_COLUMNS = (PRECISION, PRECISION_STD, PRECISION_REFERENCE, RECALL, RECALL_STD, RECALL_REFERENCE,
                  F1, F1_STD, F1_REFERENCE, ROC_AUC, ROC_AUC_STD, ROC_AUC_REFERENCE)
#: Monte-Carlo chips behind the means (1 when nothing is random)
ACCURACY_REPEATS = "accuracy_repeats"
#: how the outputs were read: logits or probabilities (text; --output-kind auto decides from the fp32 outputs, and accuracy_basis says so)
ACCURACY_OUTPUT_KIND = "accuracy_output_kind"
#: what the accuracy rests on (text: the CIM arithmetic emulated, or the fp32 reference)
ACCURACY_BASIS = "accuracy_basis"
ACCURACY_COLUMNS: tuple[str, ...] = (
    ACCURACY_TOP1, ACCURACY_TOP1_STD, ACCURACY_TOP1_CI_LOW, ACCURACY_TOP1_CI_HIGH,
    ACCURACY_TOP1_REFERENCE, AGREEMENT, AGREEMENT_STD,
    OUTPUT_SNR_DB, OUTPUT_SNR_DB_STD, OUTPUT_SNR_CORRECTED_DB, OUTPUT_SNR_CORRECTED_DB_STD,
    OUTPUT_KL, OUTPUT_KL_STD, *CALIBRATION, *BINARY_COLUMNS, ACCURACY_REPEATS, ACCURACY_OUTPUT_KIND,
    ACCURACY_BASIS)


# ---------------------------------------------------------------------------- cost
# ``cimsim cost RESULTS`` / :func:`cimsim.report.money.cost` (find-D 1): post-processing of a result
# table, not columns of a run. Money in US dollars (``_usd``); a component without an area or a
# wafer price is not costed (NaN, named in ``cost_not_costed``), never 0.
#: one system's silicon: system_devices x (the sum over the costed components of dies x
#: ``die_usd_<component>`` + the package price + offchip_memory_usd) + the system price, USD; the components not costed left out; NaN with no costed die
CAPEX_USD = "capex_usd"
#: one device's off-chip memory: backing_capacity_bytes / 1e9 x ``--memory-usd-per-gb``, USD; NaN
#: where no price is given, the row has no off-chip memory (offchip_memory_power_w 0) or more silicon than a wafer
OFFCHIP_MEMORY_USD = "offchip_memory_usd"
#: the rate the costs per sample use: ``pipelined_samples_per_s`` where the row has one, else
#: ``samples_per_s`` (text)
COST_RATE = "cost_rate"
#: capex_usd over the samples one system serves in the amortisation period at the utilization
#: (x 1e6), USD
CAPEX_USD_PER_1M_SAMPLES = "capex_usd_per_1m_samples"
#: the energy of 1e6 samples at the utilization (system_devices x static_power_w / served rate +
#: dynamic_j_per_sample) in kWh x the PUE x the price per kWh, USD
ENERGY_USD_PER_1M_SAMPLES = "energy_usd_per_1m_samples"
#: the part of energy_usd_per_1m_samples the components not costed draw (their static_part_ power /
#: served rate + their energy_<component>_ share of dynamic_j_per_sample) and an unpriced off-chip memory's (offchip_memory_power_w / rate), USD
ENERGY_USD_PER_1M_SAMPLES_NOT_COSTED = "energy_usd_per_1m_samples_not_costed"
#: capex_usd_per_1m_samples + energy_usd_per_1m_samples, USD
USD_PER_1M_SAMPLES = "usd_per_1m_samples"
#: capex_usd_per_1m_samples / the tokens a sample gives (tokens_per_s / samples_per_s), USD;
#: NaN off a serving run
CAPEX_USD_PER_1M_TOKENS = "capex_usd_per_1m_tokens"
#: energy_usd_per_1m_samples / the tokens a sample gives, USD; NaN off a serving run
ENERGY_USD_PER_1M_TOKENS = "energy_usd_per_1m_tokens"
#: capex_usd_per_1m_tokens + energy_usd_per_1m_tokens, USD
USD_PER_1M_TOKENS = "usd_per_1m_tokens"
#: what the costs leave out, each with why: a component ``(no area)`` / ``(no wafer price)``, an on-chip memory level's area, a
#: chip above the reticle priced as separate dies (no die-to-die link costed), off-chip memory without a price, 0 dies per wafer;
#: ``everything (...)`` for a failed point or more silicon than a whole wafer (no $ at all); ``none`` when nothing is (text)
COST_NOT_COSTED = "cost_not_costed"
COST_COLUMNS: tuple[str, ...] = (CAPEX_USD, OFFCHIP_MEMORY_USD, COST_RATE, CAPEX_USD_PER_1M_SAMPLES,
                                 ENERGY_USD_PER_1M_SAMPLES, ENERGY_USD_PER_1M_SAMPLES_NOT_COSTED, USD_PER_1M_SAMPLES,
                                 CAPEX_USD_PER_1M_TOKENS, ENERGY_USD_PER_1M_TOKENS, USD_PER_1M_TOKENS, COST_NOT_COSTED)


def dies_per_wafer_column(component: str) -> str:
    """cost: gross dies of ``die_area_<component>_m2`` on a 300 mm wafer,
    floor(pi r²/A - 2 pi r/sqrt(2A)), r less the edge exclusion, A's side plus the scribe line; NaN where not costed"""
    return f"dies_per_wafer_{component}"


def yield_column(component: str) -> str:
    """cost: the fraction of those dies that work at the defect density (Murphy or negative
    binomial, on the critical area fraction x the die area); NaN where not costed"""
    return f"yield_{component}"


def die_usd_column(component: str) -> str:
    """cost: one good die's cost, wafer price / (dies per wafer x yield), USD; NaN where not costed"""
    return f"die_usd_{component}"


# ---------------------------------------------------------------------------- sweeps
#: Columns a sweep adds around the result columns (:mod:`cimsim.sweep`): ``SWEEP_KEY_COLUMNS``, one
#: column per swept parameter (its dotted config path, SI values), the result columns, ``ERROR``.
POINT_ID = "point_id"  #: sweep: stable hash of config, workload content, overrides, engine
SAMPLE = "sample"  #: index of the design-space point (the same for every config x workload)
CONFIG_FILE = "config_file"  #: the config as named on the command line
WORKLOAD_FILE = "workload_file"  #: the workload as named on the command line
ERROR = "error"  #: the point's (a split study: the cut's half's) error message, or empty (None)
SWEEP_KEY_COLUMNS: tuple[str, ...] = (POINT_ID, SAMPLE, CONFIG_FILE, WORKLOAD_FILE)


def union_columns(archs) -> tuple[str, ...]:
    """Result columns of several architectures (a sweep's, a comparison's table) in the order of
    :func:`result_columns` whatever order they come in: group by group (fixed, op counts, MACs,
    bytes, ..., areas), within a group by architecture name."""
    groups = [_column_groups(a) for a in sorted(archs, key=lambda a: str(a.name))]
    seen: dict[str, None] = {}
    for g in range(len(groups[0]) if groups else 0):
        seen.update((col, None) for per_arch in groups for col, _, _ in per_arch[g])
    return tuple(seen)
