"""Per-op cost kernels: time on the op's unit, bytes per memory level, energy per component.

:func:`compute_costs` is the public wrapper: it validates, packs the
architecture into a parameter vector, allocates outputs and calls the
numba kernel :func:`_cost_kernel`, which loops over ops in compiled code.
:func:`cost_reference` computes the same table with vectorised NumPy; the
tests hold the kernel to it.

Time model of one op (seconds)
------------------------------
processor
    ``compute_s = max(macs / peak_mac_rate, vector_ops / peak_vector_rate,
    sram_bytes / sram_bandwidth)``; ``dram_bytes`` move over the shared memory
    bus beside it; ``latency_s = op_overhead + access_latency`` (the latter only
    when the op touches DRAM).
cim
    inputs stream bit-serially in ``ceil(input_bits / dac_bits)`` slices; one
    slice takes ``max(read_latency, ceil(cols / adcs_per_array) / adc_rate)``;
    every activation row is one matrix-vector product, all arrays of the matrix
    in parallel, rows spread over ``replicas`` copies of the matrix:
    ``compute_s = max(rounds * ceil(rows / replicas) * slices * t_slice,
    (input + output bytes) / buffer_bandwidth)`` plus, when the op re-programs,
    ``rounds * min(k, array_rows) * write_latency``.
    Inputs and outputs cross the interconnect; re-programming reads the weights
    from DRAM.
pim
    ``compute_s = max(macs / pim_peak, weight_bytes / pim_internal_bandwidth)``;
    inputs and outputs cross the memory bus.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ..config import Architecture
from ..mapping.placement import UNIT_CIM, UNIT_PIM, UNIT_PROCESSOR, Placement

# energy columns (static energy is added by the report, from power x latency)
E_COMPUTE, E_SRAM, E_DRAM, E_CIM_ARRAY, E_CIM_ADC, E_CIM_DAC, E_CIM_DIGITAL, E_CIM_WRITE, E_PIM, E_LINK = range(10)
N_ENERGY = 10
ENERGY_COLUMNS = ("compute", "sram", "dram", "cim_array", "cim_adc", "cim_dac", "cim_digital",
                  "cim_write", "pim", "interconnect")

# parameter vector layout
(P_PEAK_VEC, P_E_VEC, P_SRAM_BW, P_SRAM_E, P_OVERHEAD, P_DRAM_LAT, P_DRAM_E_BIT,
 P_CIM_ROWS, P_CIM_COLS, P_CIM_WBITS, P_CIM_IN_BITS, P_CIM_DAC_BITS, P_CIM_READ_LAT,
 P_ADC_RATE, P_ADC_PER_ARRAY, P_E_ADC, P_E_DAC, P_E_CELL, P_E_SHIFT, P_WRITE_LAT, P_E_WRITE,
 P_BUF_E, P_LINK_LAT, P_LINK_E_BIT, P_PIM_PEAK, P_PIM_BW, P_PIM_E_MAC, P_PIM_E_BIT,
 P_BUF_BW) = range(29)
N_PARAMS = 29


@dataclass
class CostTable:
    """Per-op costs (arrays in op order) of a placed workload."""

    compute_s: np.ndarray  # work on the op's unit, s
    latency_s: np.ndarray  # fixed delay (dispatch + access latency), s
    dram_bytes: np.ndarray  # bytes over the off-chip memory bus
    link_bytes: np.ndarray  # bytes over the host <-> CIM interconnect
    sram_bytes: np.ndarray  # bytes through the processor's on-chip SRAM
    energy: np.ndarray  # (n_ops, N_ENERGY) J, columns ENERGY_COLUMNS
    cim_array_s: np.ndarray  # array-seconds of CIM occupancy


def pack_params(arch: Architecture) -> np.ndarray:
    """The architecture's scalars as a float64 vector (layout ``P_*``)."""
    p = np.zeros(N_PARAMS, dtype=np.float64)
    pr, mem = arch.processor, arch.memory
    p[P_PEAK_VEC] = pr.peak_vector_ops_per_s
    p[P_E_VEC] = pr.energy_per_vector_op
    p[P_SRAM_BW] = pr.sram.bandwidth
    p[P_SRAM_E] = pr.sram.energy_per_byte
    p[P_OVERHEAD] = pr.op_overhead
    p[P_DRAM_LAT] = mem.access_latency
    p[P_DRAM_E_BIT] = mem.energy_per_bit
    if arch.cim is not None:
        c = arch.cim
        p[P_CIM_ROWS], p[P_CIM_COLS] = c.rows, c.cols
        p[P_CIM_WBITS], p[P_CIM_IN_BITS], p[P_CIM_DAC_BITS] = c.weight_bits, c.input_bits, c.dac_bits
        p[P_CIM_READ_LAT] = c.read_latency
        p[P_ADC_RATE], p[P_ADC_PER_ARRAY] = c.adc.sample_rate, c.adc.per_array
        p[P_E_ADC], p[P_E_DAC], p[P_E_CELL] = c.adc.energy_per_conversion, c.dac_energy, c.cell_read_energy
        p[P_E_SHIFT], p[P_WRITE_LAT], p[P_E_WRITE] = c.shift_add_energy, c.write_latency, c.write_energy
        p[P_BUF_E] = c.buffer.energy_per_byte
        p[P_BUF_BW] = c.buffer.bandwidth
    if arch.interconnect is not None:
        p[P_LINK_LAT] = arch.interconnect.latency
        p[P_LINK_E_BIT] = arch.interconnect.energy_per_bit
    if arch.pim is not None:
        p[P_PIM_PEAK] = arch.pim_peak_macs_per_s
        p[P_PIM_BW] = arch.pim_internal_bandwidth
        p[P_PIM_E_MAC], p[P_PIM_E_BIT] = arch.pim.energy_per_mac, arch.pim.energy_per_bit
    return p


def per_op_processor_rates(arch: Architecture, pl: Placement, dtype_names):
    """Peak MAC rate (MAC/s) and MAC energy (J) of each op's dtype on the processor."""
    peak = np.zeros(pl.n_ops)
    emac = np.zeros(pl.n_ops)
    proc = pl.unit == UNIT_PROCESSOR
    names = np.asarray(dtype_names)
    for dt in np.unique(names[proc]):
        sel = proc & (names == dt)
        peak[sel] = arch.processor.peak_macs_per_s(str(dt))
        emac[sel] = arch.processor.mac_energy(str(dt))
    return peak, emac


@njit(cache=True)
def _cost_kernel(unit, macs, vec, rows, k, n, wbytes, ain, aout, w_dram, a_dram,
                 arrays, row_tiles, col_tiles, phys_cols, rounds, replicas, reprog, peak, emac, prm,
                 compute_s, latency_s, dram_b, link_b, sram_b, energy, array_s):
    n_ops = unit.shape[0]
    for i in range(n_ops):
        u = unit[i]
        if u == 0:  # processor
            sb = wbytes[i] + ain[i] + aout[i]
            db = 0.0
            if w_dram[i]:
                db += wbytes[i]
            if a_dram[i]:
                db += ain[i] + aout[i]
            t = 0.0
            if macs[i] > 0.0:
                t = macs[i] / peak[i]
            tv = vec[i] / prm[P_PEAK_VEC]
            if tv > t:
                t = tv
            ts = sb / prm[P_SRAM_BW]
            if ts > t:
                t = ts
            compute_s[i] = t
            lat = prm[P_OVERHEAD]
            if db > 0.0:
                lat += prm[P_DRAM_LAT]
            latency_s[i] = lat
            dram_b[i] = db
            sram_b[i] = sb
            energy[i, E_COMPUTE] = macs[i] * emac[i] + vec[i] * prm[P_E_VEC]
            energy[i, E_SRAM] = sb * prm[P_SRAM_E]
            energy[i, E_DRAM] = db * 8.0 * prm[P_DRAM_E_BIT]
        elif u == 1:  # cim
            slices = np.ceil(prm[P_CIM_IN_BITS] / prm[P_CIM_DAC_BITS])
            t_adc = np.ceil(prm[P_CIM_COLS] / prm[P_ADC_PER_ARRAY]) / prm[P_ADC_RATE]
            t_slice = prm[P_CIM_READ_LAT]
            if t_adc > t_slice:
                t_slice = t_adc
            t_mvm = rounds[i] * rows[i] * slices * t_slice  # array-set time, all rows
            t = rounds[i] * np.ceil(rows[i] / replicas[i]) * slices * t_slice
            t_buf = (ain[i] + aout[i]) / prm[P_BUF_BW]  # inputs and outputs pass the buffer
            if t_buf > t:
                t = t_buf
            t_write = 0.0
            wq = 0.0
            lat = prm[P_LINK_LAT]
            if reprog[i]:
                t_write = rounds[i] * min(k[i], prm[P_CIM_ROWS]) * prm[P_WRITE_LAT]
                wq = k[i] * n[i] * prm[P_CIM_WBITS] / 8.0
                lat += prm[P_DRAM_LAT]
            t += t_write
            compute_s[i] = t
            latency_s[i] = lat
            lb = ain[i] + aout[i] + wq
            link_b[i] = lb
            dram_b[i] = wq
            conv = rows[i] * row_tiles[i] * phys_cols[i] * slices
            energy[i, E_CIM_ADC] = conv * prm[P_E_ADC]
            energy[i, E_CIM_DAC] = rows[i] * k[i] * col_tiles[i] * slices * prm[P_E_DAC]
            energy[i, E_CIM_ARRAY] = rows[i] * k[i] * phys_cols[i] * slices * prm[P_E_CELL]
            energy[i, E_CIM_DIGITAL] = conv * prm[P_E_SHIFT] + (ain[i] + aout[i]) * prm[P_BUF_E]
            if reprog[i]:
                # every cell of the matrix is written once per execution, whatever the rounds
                energy[i, E_CIM_WRITE] = k[i] * phys_cols[i] * prm[P_E_WRITE]
            energy[i, E_LINK] = lb * 8.0 * prm[P_LINK_E_BIT]
            energy[i, E_DRAM] = wq * 8.0 * prm[P_DRAM_E_BIT]
            array_s[i] = arrays[i] * (t_mvm + t_write)
        else:  # pim
            t = macs[i] / prm[P_PIM_PEAK]
            tw = wbytes[i] / prm[P_PIM_BW]
            if tw > t:
                t = tw
            compute_s[i] = t
            latency_s[i] = prm[P_OVERHEAD] + prm[P_DRAM_LAT]
            db = ain[i] + aout[i]
            dram_b[i] = db
            energy[i, E_PIM] = macs[i] * prm[P_PIM_E_MAC] + wbytes[i] * 8.0 * prm[P_PIM_E_BIT]
            energy[i, E_DRAM] = db * 8.0 * prm[P_DRAM_E_BIT]


def _inputs(pl: Placement, arch: Architecture, dtype_names):
    peak, emac = per_op_processor_rates(arch, pl, dtype_names)
    return (pl.unit, pl.macs, pl.vector_ops, pl.rows, pl.k, pl.n, pl.weight_bytes, pl.act_in_bytes,
            pl.act_out_bytes, pl.weight_from_dram, pl.act_via_dram, pl.cim_arrays, pl.cim_row_tiles,
            pl.cim_col_tiles, pl.cim_phys_cols, pl.cim_rounds, pl.cim_replicas, pl.cim_reprogram,
            peak, emac,
            pack_params(arch))


def compute_costs(pl: Placement, arch: Architecture, dtype_names) -> CostTable:
    """Cost every op of a placement on ``arch`` (numba kernel)."""
    n = pl.n_ops
    out = CostTable(np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n),
                    np.zeros((n, N_ENERGY)), np.zeros(n))
    if n:
        _cost_kernel(*_inputs(pl, arch, dtype_names), out.compute_s, out.latency_s, out.dram_bytes,
                     out.link_bytes, out.sram_bytes, out.energy, out.cim_array_s)
    return out


def cost_reference(pl: Placement, arch: Architecture, dtype_names) -> CostTable:
    """Vectorised NumPy version of :func:`compute_costs`, for tests."""
    (unit, macs, vec, rows, k, n, wb, ain, aout, w_dram, a_dram, arrays, rt, ct, pc, rounds,
     replicas, reprog, peak, emac, prm) = _inputs(pl, arch, dtype_names)
    z = np.zeros_like(macs)
    proc, cim, pim = unit == UNIT_PROCESSOR, unit == UNIT_CIM, unit == UNIT_PIM
    with np.errstate(divide="ignore", invalid="ignore"):
        # processor
        sb = wb + ain + aout
        db_p = np.where(w_dram, wb, 0.0) + np.where(a_dram, ain + aout, 0.0)
        t_mac = np.where(macs > 0, macs / np.where(peak > 0, peak, 1.0), 0.0)
        t_p = np.maximum.reduce([t_mac, vec / prm[P_PEAK_VEC], sb / prm[P_SRAM_BW]])
        lat_p = prm[P_OVERHEAD] + np.where(db_p > 0, prm[P_DRAM_LAT], 0.0)
        # cim
        if arch.cim is not None:
            slices = np.ceil(prm[P_CIM_IN_BITS] / prm[P_CIM_DAC_BITS])
            t_slice = max(prm[P_CIM_READ_LAT], np.ceil(prm[P_CIM_COLS] / prm[P_ADC_PER_ARRAY]) / prm[P_ADC_RATE])
        else:
            slices, t_slice = 0.0, 0.0
        wq = np.where(reprog, k * n * prm[P_CIM_WBITS] / 8.0, 0.0)
        t_write = np.where(reprog, rounds * np.minimum(k, prm[P_CIM_ROWS]) * prm[P_WRITE_LAT], 0.0)
        t_buf = (ain + aout) / prm[P_BUF_BW] if arch.cim is not None else 0.0
        t_c = np.maximum(rounds * np.ceil(rows / replicas) * slices * t_slice, t_buf) + t_write
        array_time = rounds * rows * slices * t_slice + t_write
        lat_c = prm[P_LINK_LAT] + np.where(reprog, prm[P_DRAM_LAT], 0.0)
        conv = rows * rt * pc * slices
        # pim
        t_q = np.maximum(macs / prm[P_PIM_PEAK], wb / prm[P_PIM_BW]) if arch.pim is not None else z
    e = np.zeros((len(macs), N_ENERGY))
    e[:, E_COMPUTE] = np.where(proc, macs * emac + vec * prm[P_E_VEC], 0.0)
    e[:, E_SRAM] = np.where(proc, sb * prm[P_SRAM_E], 0.0)
    dram = np.where(proc, db_p, 0.0) + np.where(cim, wq, 0.0) + np.where(pim, ain + aout, 0.0)
    e[:, E_DRAM] = dram * 8.0 * prm[P_DRAM_E_BIT]
    e[:, E_CIM_ADC] = np.where(cim, conv * prm[P_E_ADC], 0.0)
    e[:, E_CIM_DAC] = np.where(cim, rows * k * ct * slices * prm[P_E_DAC], 0.0)
    e[:, E_CIM_ARRAY] = np.where(cim, rows * k * pc * slices * prm[P_E_CELL], 0.0)
    e[:, E_CIM_DIGITAL] = np.where(cim, conv * prm[P_E_SHIFT] + (ain + aout) * prm[P_BUF_E], 0.0)
    e[:, E_CIM_WRITE] = np.where(cim & reprog, k * pc * prm[P_E_WRITE], 0.0)
    link = np.where(cim, ain + aout + wq, 0.0)
    e[:, E_LINK] = link * 8.0 * prm[P_LINK_E_BIT]
    e[:, E_PIM] = np.where(pim, macs * prm[P_PIM_E_MAC] + wb * 8.0 * prm[P_PIM_E_BIT], 0.0)
    compute = np.where(proc, t_p, np.where(cim, t_c, np.where(pim, t_q, 0.0)))
    latency = np.where(proc, lat_p, np.where(cim, lat_c, prm[P_OVERHEAD] + prm[P_DRAM_LAT]))
    return CostTable(
        compute_s=compute,
        latency_s=latency,
        dram_bytes=dram,
        link_bytes=link,
        sram_bytes=np.where(proc, sb, 0.0),
        energy=e,
        cim_array_s=np.where(cim, arrays * array_time, 0.0),
    )
