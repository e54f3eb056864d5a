"""The CIM component's cost of its ops (:meth:`cimsim.hw.cim.CIM.cost`): the rules of the
package docstring ("Cost of one op"), a chip's (:mod:`.onchip`), and an op riding on its
matmul in the near-memory datapath nothing of its own (:mod:`.epilogue` rule 2)."""

from __future__ import annotations

import numpy as np

from ..base import OpCost, add_stored, row_pieces
from ..hierarchy import add_landed, first_input_reads
from . import activity, chips, offchip, onchip, programming
from .energy import op_energy
from .tiling import read_groups


def cost(comp, ops, idx, plan) -> OpCost:
    c, s = comp.config, plan.state
    rows, k, n = ops.rows[idx], ops.k[idx], ops.n[idx]
    reprog, rounds = s["reprogram"], s["rounds"]
    ride = s.get("rides", np.zeros(len(idx), dtype=bool))  # on their matmuls (:mod:`.epilogue`)
    # inputs at input_bits, with input reuse (chip.input_reuse, cim.input_reuse); a chip's
    # outputs at output_bits, its im2col copies moving nothing
    a_in = s["a_in"]
    a_out = np.where(ride, 0.0, ops.act_out_bytes[idx]) if c.chip is None else s["a_out"]
    d = comp.design
    # an op of narrower inputs (spikes) in fewer input slices (:mod:`.inbits`)
    # the arrays converting at once, each copy's as its matrix is held (a transposed read's
    # too, review 22 A 5): an ADC shared by k serialises them (.adcshare)
    t_vector = c.t_vector(d, read_groups(k, c.rows, c.rows_per_read)[1], s.get("slices"),
                          s.get("held_tiles", s["row_tiles"] * s["col_tiles"]) * s["replicas"])
    t_write = np.where(reprog, programming.write_time(c, k, rounds), 0.0)
    # a digital column's pipeline fills once a round (module digital_cell)
    t_mvm = rounds * (np.ceil(rows / s["replicas"]) * t_vector + d.fill_stages * c.t_slice(d))
    compute, parts = onchip.flat_time(c, t_mvm, a_in + a_out)
    hold = {}
    if c.chip is not None:  # local levels in the op's time; shared ones on the engine
        compute, parts = onchip.op_time(c.chip, compute, s["local_levels"], parts)
        compute = compute + s["periphery_s"]
    compute = np.where(ride, 0.0, compute + t_write)
    w_bytes = np.where(reprog, programming.weight_bytes(c, k, n, programming.stored_bits(c, ops, idx)), 0.0)
    back = comp.hw.backing_store
    link = comp.link
    # a chip moves only what enters or leaves it (:mod:`.offchip`); a flat pool everything
    l_in, l_out = (a_in, a_out) if c.chip is None else (s["link_in"], s["link_out"])
    over = l_in + l_out + w_bytes
    # a riding op crosses only with its output leaving a chip
    crosses = np.where(ride, over > 0, True if c.chip is None else over > 0)
    # a model input this component reads first, or what the host stored there (hierarchy
    # rules 3, 7): the host reads it from the backing store and sends it over the link
    first_in = first_input_reads(ops, idx, among_all=True) + s["backed_in"]
    # over the link the outputs go out; the inputs and the weights programmed come in,
    # the weights read from the backing store; a spill is stored there (offchip rule 8),
    # and an output a host op reads from there (hierarchy rule 8)
    nbytes, writes = {link: over}, {link: l_out}
    latency_chips, ahead = (chips.charge(comp.hw, link, c.chip_link, s, nbytes, rows)
                            if "chip_link" in s else (0.0, {}))  # rules 3, 4: between chips
    nbytes[back] = nbytes.get(back, 0.0) + w_bytes + first_in
    spill = offchip.charge_spill(s, back, nbytes, writes) | add_landed(ops, idx, back, nbytes, writes)
    latency = (np.where(ride, 0.0, c.op_overhead) + np.where(crosses, comp.hw.links[link].latency, 0.0)
               + np.where(reprog | (first_in > 0) | spill, comp.hw.memory[back].latency, 0.0)
               + latency_chips)
    if c.chip is not None:
        latency = latency + onchip.shared_costs(comp.name, c.chip, s, a_in + a_out, nbytes, hold)
    # a chip's flat buffer: its energy in the chip's buffer part (onchip.energy)
    energy = op_energy(c, d, rows, k, s["row_tiles"], s["col_tiles"], s["phys_cols"],
                       (a_in + a_out) if c.chip is None else 0.0, reprog,
                       per_op=activity.energies(c, comp.hw.technology, d, s["activity"]),
                       weight_ones=s["activity"]["w"], slices=s.get("slices"))
    if c.chip is not None:
        energy.update(onchip.energy(c.chip, s, (a_in + a_out) * d.buffer_energy_per_byte))
        energy = onchip.layout_energy(c.chip, energy)
    if ride.any():  # the datapath's energy is the matmul's, per conversion
        energy = {p: np.where(ride, 0.0, e) for p, e in energy.items()}
    add_stored(ops, idx, comp.hw.store_target, nbytes, writes)  # KV-cache appends
    return OpCost(compute_s=compute, latency_s=latency, bytes=nbytes, energy=energy,
                  write_bytes=writes,
                  # array-seconds busy, per array of the block (utilization: over the latency)
                  busy={"arrays": s["arrays"] * (rounds * rows * t_vector + t_write)
                        / (c.arrays * c.chips),
                        # a per-op one-unit level: each op's occupancy of it alone (no hops)
                        **{f"{lv}_bw": sh["time_s"] for lv, sh in s.get("per_op", {}).items()}},
                  compute_parts=parts, hold_s=hold, ahead=ahead,
                  pieces=None if not (rows > 1).any() else  # one-row ops are serial
                  row_pieces(rows, compute, _last_row_s(c, s, rows, rounds * t_vector,
                                                        a_in + a_out, compute)))


def _last_row_s(c, s, rows, vector_s, io_bytes, compute):
    """What an op's last row computes after its input arrives: one vector on its copy
    (``rounds * t_vector``), or its ``1 / rows`` share of what every copy shares if longer
    (the flat buffer's time, a chip's local levels and periphery); a chip's vector ops
    (serial) their whole compute."""
    r1 = np.maximum(rows, 1.0)
    last = vector_s if c.buffer is None else np.maximum(vector_s,
                                                        io_bytes / r1 / c.buffer.bandwidth)
    if c.chip is None:  # a riding op computes nothing
        return np.where(s.get("rides", False), 0.0, last)
    last = onchip.op_time(c.chip, last, {lv: {k: v / r1 for k, v in r.items()}
                                         for lv, r in s["local_levels"].items()})[0]
    return np.where(s["mm"], last + s["periphery_s"] / r1, compute)
