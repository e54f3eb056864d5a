"""The CIM component's one-line notes on its design: what the circuit models derived, and an
ADC wider than a conversion's lossless bits (:class:`cimsim.hw.cim.CIM` calls these)."""

from __future__ import annotations

from typing import AbstractSet

import numpy as np

from ...units import si
from ..circuits import adc as adc_model, resolution, sar as sar_model, scaling, sense
from .derive import AREA_FIELDS, ENERGY_FIELDS, PERIPHERY_PARTS, _cell
from . import onchip
from .energy import _digital
from .static import devices


def adc_waste(self) -> str:
    """A note when the ADC has more bits than a conversion's lossless partial-sum bits
    (legal, and always waste: said, never silent); empty otherwise."""
    c, d = self.config, self.design
    if c.adc.bits <= d.lossless_bits:
        return ""
    return (f"{self.name}: adc.bits {c.adc.bits} is {c.adc.bits - d.lossless_bits} more than "
            f"the {d.lossless_bits} lossless partial-sum bits a conversion can carry (from "
            "rows_per_read, dac_bits and bits_per_cell): those bits never hold information"
            + ("; the derived ADC's energy, area and time grow with them" if c.adc.type else ""))


def range_lsb(self) -> str:
    """A note when ``adc.range_policy: max`` on an ADC one bit short of lossless puts its LSB at
    a non-whole number of unit steps (largest partial sum / top code, find-G 3: 16 / 15 on
    rram-cim-derived gave top-1 0.639 against 0.981, where ``unit`` on the same converter gave
    0.981; review G 4: 384 / 255 on rram-cim, 0.967 against 0.981): the codes then merge
    neighbouring partial sums unevenly; ``unit`` (one step per code, sums above the top code
    clip) costs the same. The figures are examples, not this config's. Empty otherwise."""
    c, d = self.config, self.design
    if (c.adc.range_policy != "max" or c.adc.counting is not None or d.bits_lost != 1
            or c.signed_inputs or (c.adc.type is None and _digital(c))):
        return ""  # signed inputs: the emulator's bipolar top code spends a bit on the sign
    n = int(resolution.partial_sum_max(d.rows_per_read, c.dac_bits, c.bits_per_cell))
    top = 2 ** c.adc.bits - 1
    if n % top == 0:
        return ""
    return (f"{self.name}: adc.range_policy max puts the ADC's LSB at {n}/{top} = {n / top:.4g} "
            f"unit steps (the largest partial sum over the top code), not a whole number: codes "
            f"merge neighbouring partial sums unevenly, which can cost more accuracy than one "
            f"bit (how much depends on the design and workload: e.g. digits-cnn's top-1 0.639 "
            f"against 0.981 with unit on rram-cim-derived, 0.967 on rram-cim); range_policy "
            f"unit (one step per code, sums above {top} clip: ISAAC's saving of one bit, sound "
            "where such sums are rare) costs the same: check both with --accuracy")


#: a current-sense readout's dynamic range over the 2^adc.bits of ideal-off cells from which the
#: sensing margin is noted: a factor 2, one bit of range more than the converter's
SENSE_MARGIN_FACTOR = 2.0


def sense_margin(self) -> str:
    """A note when a current-sense readout (``adc.type: current_sense``) must resolve at least
    :data:`SENSE_MARGIN_FACTOR` x ``2^adc.bits`` steps of its full-on column current, the
    off cells' pedestal ``n g_off`` taking the rest (``2^b g_on / (g_on - g_off)``,
    :func:`~cimsim.hw.circuits.sense.dynamic_range`): the sensing's RC grows by that factor; the
    comparator offset and amplifier sizing such a margin needs are not modelled (review18-4
    item 4: on/off 1.01 ran an 87.6 ns sensing, 1 + 1e-7 a 4.4 s GEMV, without a word).
    Empty otherwise."""
    c, tech = self.config, self.hw.technology
    if c.adc.type != "current_sense" or tech is None:
        return ""
    cell, b = _cell(c, tech), int(c.adc.bits)
    dr = float(sense.dynamic_range(cell.r_on_ohm, b, cell.on_off))
    factor = dr / 2 ** b
    if factor < SENSE_MARGIN_FACTOR:
        return ""
    return (f"{self.name}: current-sense margin: the off cells' pedestal (on/off "
            f"{cell.on_off:g}) leaves one LSB at 1/{dr:,.4g} of the full-on column current an "
            f"amplifier sees (dynamic range {dr:,.4g}, {np.log2(dr):.3g} bits: {factor:,.4g} x "
            f"the {2 ** b} steps of a {b}-bit readout of open-circuit off cells); the sensing "
            f"time's RC part grows by the same {factor:,.4g} x, and the comparator offset and amplifier "
            "sizing that margin needs are not modelled (README, Current-sense reading)")


def _shown(self) -> dict[str, tuple[str, float, str]]:
    """Each derivable field (below the component) -> (the note's label, its value, the note's
    unit)."""
    d = self.design
    converter = self.config.adc.type is not None or not _digital(self.config)
    return {"adc.energy_per_conversion": ("ADC", d.energy_per_conversion, "J/conversion"),
            "adc.sample_rate": ("ADC rate" if converter else "column output rate",
                                d.sample_rate, "Hz"),
            "read_latency": ("read", d.read_latency, "s"),
            "cell_read_energy": ("cell read", d.cell_read_energy, "J"),
            "dac_energy": ("row drive", d.dac_energy, "J"),
            "switch_energy": ("switch matrix", d.switch_energy, "J/row"),
            "mux_energy": ("column mux", d.mux_energy, "J/conversion"),
            "counter_energy": ("pulse counter", d.counter_energy, "J/row"),
            "shift_add_energy": ("shift-add", d.shift_add_energy, "J/conversion"),
            "buffer.energy_per_byte": ("buffer", d.buffer_energy_per_byte, "J/B")}


def derived_values(self) -> dict[str, tuple[float, str]]:
    """``{field: (value, provenance)}`` of every field the config leaves out and the circuit
    models (or the leakage model, ``static_power``) derive, in the field's own unit: the
    per-event numbers of the note, the static power, and the area of one part as the ``area``
    section states it (per array, per ADC, per array, the whole buffer)."""
    d, c = self.design, self.config
    out = {f: (float(v), d.provenance[f]) for f, (_, v, _) in _shown(self).items()
           if d.provenance.get(f, "given") != "given"}
    if d.area is not None and self.hw.technology is not None:  # else 0 m^2 placeholders
        per = {"area.array": ("arrays", c.arrays), "area.adc": ("adc", d.adc_count),
               "area.digital": ("digital", c.arrays), "area.buffer": ("buffer", 1)}
        out.update((f, (d.area[part] / n, d.provenance[f])) for f, (part, n) in per.items()
                   if d.provenance.get(f, "given") != "given" and n > 0)
    if c.static_power is None:
        out["static_power"] = (float(self.static.power_w), self.static.provenance)
    return out


def _sar_rate(self) -> str:
    """A clause when an envelope SAR runs at its derived default rate (the fastest the node
    allows) and the survey envelope charges noticeably for that speed (find-G 4: porting a
    12-bit SAR 22 -> 7 nm raised its rate 76.9 -> 219 MHz and its energy 4.81 -> 11.7 pJ)."""
    a, d = self.config.adc, self.design
    if (a.type != "sar" or a.model == "structural" or a.sample_rate is not None
            or a.energy_per_conversion is not None or a.counting is not None):
        return ""
    k = adc_model.rate_rolloff(a.bits, d.sample_rate)
    if k < adc_model.RATE_ROLLOFF_NOTED:
        return ""
    low = d.energy_per_conversion / k
    named = NAMED_RATE_HZ  # review G 5: the envelope rises smoothly, not from a corner on
    at = low * adc_model.rate_rolloff(a.bits, named)
    return (f"; at its default rate {si(d.sample_rate, 'Hz', 3)}, the fastest this node allows, "
            f"the envelope is {k:.3g}x its low-rate {si(low, 'J', 3)}, and rises smoothly with "
            f"rate ({si(at, 'J', 3)} at {si(named, 'Hz', 3)}): a faster node buys a costlier "
            "SAR; give adc.sample_rate, what the arrays need, for the same design")


#: the rate at which the SAR-rate clause also quotes the envelope's energy (the Schreier corner
#: is 51.4 MHz: the envelope is already 1.36x its low-rate value there at 12 bits)
NAMED_RATE_HZ = 50e6


def _sar_noise(self) -> str:
    """A clause when a structural SAR's C-DAC (``2^b C_u``) is below the kT/C size of its bits
    (:func:`~cimsim.hw.circuits.sar.kt_c_noise_lsb` above ``1/sqrt(12)`` LSB, find-G 5): its
    noise, effective bits and the ``nonideal.adc_noise`` that puts it into an accuracy run
    (which adds only the noise given there)."""
    a, t = self.config.adc, self.hw.technology
    if a.model != "structural" or a.dac_unit_capacitance is None or t is None \
            or a.energy_per_conversion is not None:
        return ""
    sigma = float(sar_model.kt_c_noise_lsb(a.bits, t.node_nm, t.voltage, a.dac_unit_capacitance))
    if sigma <= sar_model.KT_C_NOTED_LSB:
        return ""
    enob = float(sar_model.kt_c_effective_bits(a.bits, sigma))
    given, where = accuracy_noise(self, sigma)
    return (f"; its C-DAC 2^{a.bits} x {si(a.dac_unit_capacitance, 'F', 3)} holds kT/C noise "
            f"{sigma:.3g} LSB rms: about {enob:.3g} effective bits, not {a.bits} (a unit of "
            f"{si(a.dac_unit_capacitance * 12 * sigma ** 2, 'F', 3)} keeps it within the "
            f"quantization noise); --accuracy adds it only as cim.nonideal.adc_noise={given:.3g}"
            f"{where}")


def accuracy_noise(self, sigma: float) -> tuple[float, str]:
    """``sigma`` (rms, in the C-DAC's LSB: full scale / ``2^b``) in the accuracy emulator's LSB,
    which ``nonideal.adc_noise`` is given in, and words for when they differ (review G 1: the
    emulator's LSB is ``max(1, n / top)`` unit steps under ``range_policy max``, ``n`` the
    largest partial sum, ``top`` the top code; the converter's ``n / top``: 4.58 LSB on a 12-bit
    SAR whose sums reach 16 is 4.58 x 16/4095 = 0.0179 of the emulator's one unit step)."""
    c, d = self.config, self.design
    if c.adc.range_policy != "max":  # unit: one step per code, the same LSB; calibrated: set by data
        return sigma, ("" if c.adc.range_policy == "unit" else
                       " at most (the C-DAC's LSB; less where the calibrated LSB is one unit step)")
    n = float(resolution.partial_sum_max(d.rows_per_read, c.dac_bits, c.bits_per_cell))
    top = 2 ** (c.adc.bits - 1) - 1 if c.signed_inputs else 2 ** c.adc.bits - 1
    step = n / top  # the converter's LSB in unit steps
    if step >= 1:
        return sigma, ""
    return sigma * step, (f" (in the emulator's LSB of one unit step: {sigma:.3g} x the "
                          f"converter's LSB {n:g}/{top})")


def _level_dac(self) -> str:
    """A clause after a multi-bit level DAC's derived row drive (or on its own when
    ``dac_energy`` is given): the row's ``C V V_k`` charge and the resistor-string core of
    :mod:`.dacpart` (find-G 2, find-L3: its energy, settling and area on (U) unit resistor and
    switch sizes; review L3 1: the output buffer a resistive row needs; review L3 2: keyed on
    the DAC, not on a derived core energy)."""
    c, d = self.config, self.design
    if not d.dac_core:
        return ""
    article = "an" if c.dac_bits == 8 else "a"
    buf = d.dac_core == "buffered"
    what = f"resistor-string core{' and output buffer' if buf else ''}"
    core = (f": the row's C·V·V_k charge plus a {what} of {si(d.dac_core_energy, 'J', 3)} per "
            "conversion, its " if d.dac_core_energy > 0 else f" (dac_energy given): a {what}, its ")
    return (f" ({article} {c.dac_bits}-bit level DAC{core}"
            "settling added to the read time, one per row in area.dac"
            + ("; the resistive row's cells load the string below half an LSB, so it drives "
               "the row through a unity-gain buffer (op-amp bandwidth not modelled)" if buf else "")
            + "; unit resistor, switch and buffer sizes are placeholders: give dac_energy, "
            "read_latency and area.dac for a real DAC)")


def _derived_parts(self) -> list[str]:
    """The note's parts: each number the circuit models (or the leakage model) derived."""
    d = self.design
    converter = self.config.adc.type is not None or not _digital(self.config)
    a = self.config.adc
    basis = (adc_model.energy_basis(a.type, a.model == "structural", a.envelope_factor)
             if a.type is not None and a.counting is None else "")
    parts = [f"{label} {si(v, unit, 3)}" + (" (placeholder)" if d.provenance[f] == "placeholder" else "")
             + (f" ({basis}{_sar_rate(self)}{_sar_noise(self)})" if label == "ADC" and basis
                else "")  # find-G 1, 4, 5
             + (_level_dac(self) if label == "row drive" else "")  # find-G 2
             for f, (label, v, unit) in _shown(self).items()  # a digital array converts nothing
             if d.provenance.get(f, "given") != "given" and (converter or label != "ADC")]
    if d.provenance.get("dac_energy") == "given" and d.dac_core:  # review L3 2
        parts.append(_level_dac(self).strip()[1:-1])
    tree = "adder_tree" in d.periphery_parts  # an adder-tree column (sram_dcim)
    if tree:
        parts.append(f"adder tree {si(d.adder_tree_energy, 'J', 3)}/column sum"
                     + (" (placeholder)" if d.provenance["adder_tree_energy"] == "placeholder"
                        else ""))
    if not converter and d.provenance.get("read_latency") != "given":  # finding: 7 nm, 5.22 GHz
        parts.append(("adder-tree cycle unvalidated (logical-effort hops: depth + carry ripple "
                      "+ register" if tree else "digital cycle unvalidated (logical-effort adder "
                      "hops") + ", no wire RC or clock overhead; "
                     + ("Chih's TOPS/mm² 479 % off" if tree else "Colonnade's TOPS 194 % off")
                     + ", README)")
    if not converter and d.fill_stages:
        parts.append(f"pipeline fill {d.fill_stages} cycles an op")
    if self.config.static_power is None:
        st = self.static
        parts.append(f"static {si(st.power_w, 'W', 3)} ({devices(self.config, self.hw.technology)} leakage: "
                     + ", ".join(f"{k} {si(v, 'W', 3)}" for k, v in st.parts.items()) + ")"
                     + (" (placeholder)" if st.provenance == "placeholder" else "")
                     + (f" ({st.note})" if st.note else ""))
    return parts


def adc_area_outside_fit(self) -> str:
    """Words when the ADC area is derived from the survey regression at fewer bits than it was
    fitted for (:func:`~cimsim.hw.circuits.adc.area_outside_fit`, find-E 4), else empty."""
    c, d = self.config, self.design
    if (c.adc.type is None or d.area is None or self.hw.technology is None
            or d.provenance.get("area.adc", "given") == "given" or d.adc_count == 0
            or not adc_model.area_outside_fit(c.adc.type, c.adc.bits)):
        return ""
    b = c.adc.bits
    return (f"ADC area {si(d.area['adc'] / d.adc_count, 'm²', 3)} each: the survey area "
            f"regression at {b} bit{'s' if b != 1 else ''}, below the "
            f"{adc_model.AREA_FIT_MIN_BITS} bits it is fitted for (few-bit converters are "
            "mostly their comparators): extrapolated; give area.adc for a real figure")


#: what a built-in type's derived area per converter rests on, for :func:`adc_area_share`
#: (find-G1 1: the flash fit was checked against the survey's 18 measured flash designs)
AREA_BASIS = {
    "flash": ("the survey area fit at 4 bits per comparator: a stand-alone flash's, below 14 of "
              "the survey's 18 measured flash designs; an in-array flash can be smaller: give "
              "area.adc"),
    "sar": "the survey area fit: a stand-alone converter's; give area.adc for an in-array one",
    "ramp": "the survey area fit: a stand-alone converter's; give area.adc for an in-array one",
}


def adc_area_share(self) -> str:
    """Words for a derived ADC area: the converters' count, each one's area, their total and
    their share of the CIM's area, and what the area rests on (find-G1 1: rram-cim-derived's
    540,800 4-bit flash ADCs of 2,278 um^2 take 95.7 % of its 1,288 mm^2 without a word);
    empty when the ADC area is given or nothing is derived."""
    c, d = self.config, self.design
    if (c.adc.type is None or d.area is None or d.adc_count == 0
            or d.provenance.get("area.adc", "given") == "given"):
        return ""
    total = sum(d.area.values())
    if not total > 0:
        return ""
    each = d.area["adc"] / d.adc_count
    basis = ("" if c.adc.model == "structural" else AREA_BASIS.get(c.adc.type, ""))
    return (f"{d.adc_count:,} ADCs of {each * 1e12:,.4g} µm² = {d.area['adc'] * 1e6:,.4g} mm², "
            f"{100 * d.area['adc'] / total:.3g} % of the CIM's area" + (f" ({basis})" if basis else ""))


def extrapolated(self) -> bool:
    """Whether the circuit models derived numbers outside the range they were fitted on: at a
    supply outside their voltage laws' range (:func:`~cimsim.hw.circuits.scaling.supply_in_fit`)
    or an ADC area from the survey regression below its fitted bits
    (:func:`adc_area_outside_fit`): exactly when :func:`derived`'s note ends in an
    'extrapolated' clause."""
    t = self.hw.technology
    if t is None or not _derived_parts(self):
        return False
    return not scaling.supply_in_fit(t.node_nm, t.voltage) or bool(adc_area_outside_fit(self))


def derived(self) -> str:
    """One line naming the numbers the circuit models derived (empty when all are given)."""
    d = self.design
    converter = self.config.adc.type is not None or not _digital(self.config)
    parts = _derived_parts(self)
    if not parts:
        return ""
    t = self.hw.technology
    volts = (f"{t.voltage:g} V" if t.voltage is not None else "nominal supply") + (
        f", {t.flavour.upper()} devices" if t.flavour is not None else "")
    outside = "; ".join(w for w in (scaling.nonmonotonic_node_note(t.node_nm, None, t.flavour),
                                    scaling.supply_outside_fit(t.node_nm, t.voltage),
                                    adc_area_outside_fit(self)) if w)
    return (f"{self.name}: derived by the circuit models at {t.node_nm:g} nm, {volts}: "
            + ", ".join(parts)
            + (f"; {share}" if (share := adc_area_share(self)) else "")
            + (f"; {d.lossless_bits} lossless partial-sum bits, {d.bits_lost} lost per "
               "conversion" if converter else "; no converter (digital column outputs)")
            + (f"; {outside}" if outside else ""))


#: how a note that is a warning starts (:data:`cimsim.report.plausible.WARNING`)
_WARNING = "warning: "


def technology(self) -> list[str]:
    """Warnings (``physically_plausible`` false) on the cell the technology block puts the
    arrays in: a supply below the cell's minimum operating voltage
    (:func:`~cimsim.hw.circuits.array.below_vmin`) and a 6T-based cell smaller than the node's
    published high-density 6T cell (:func:`~cimsim.hw.circuits.array.below_published_cell`)."""
    from ..circuits import array as array_model
    from .finite import DeriveError

    t = self.hw.technology
    if t is None:
        return []
    try:
        cell = _cell(self.config, t)
    except DeriveError:  # the config's own error says it
        return []
    small = array_model.below_published_cell(cell, t.node_nm)
    spec = self.config.cell
    if small and spec is not None and (spec.height_f is not None or spec.width_f is not None):
        p = array_model.at_node(array_model.preset(spec.type), t.node_nm)  # review 22 C 3
        small += (f" (cell.height_f and width_f given are in the {t.node_nm:g} nm F; the "
                  f"{spec.type} preset there is {p.height_f:.4g} x {p.width_f:.4g} F)")
    return [f"{_WARNING}{self.name}: {w}" for w in (
        array_model.below_vmin(cell, t.node_nm, t.voltage), small) if w]


def provenance(self, marks: AbstractSet[str] = frozenset()) -> dict:
    """``{"energy": {part: p}, "area": {part: p}, "static": p}`` with p one of given,
    derived, placeholder: a part rests on its config fields (:data:`.derive.ENERGY_FIELDS`);
    a given field marked in ``marks`` (dotted paths, this component's prefixed) is a
    placeholder; a part is a placeholder if any of its fields is, else derived if any is."""
    d = self.design
    pre = f"{self.name}."

    def field_prov(f):
        p = d.provenance.get(f, "given")
        return "placeholder" if p == "given" and (pre + f) in marks else p

    def weakest(ps):
        ps = set(ps)
        return ("placeholder" if "placeholder" in ps else "derived" if "derived" in ps
                else "given")

    energy = {part: weakest(field_prov(f) for f in fs) for part, fs in ENERGY_FIELDS.items()
              if part not in PERIPHERY_PARTS or part in d.periphery_parts}
    if self.config.adc.counting is not None:  # the neuron's own energies feed adc/digital
        cnt = [field_prov(f"adc.counting.{f}") for f in ("integrate_energy", "sample_energy")]
        energy["adc"] = weakest([energy["adc"], *cnt])
    area = ({part: field_prov(f) for part, f in AREA_FIELDS.items()}
            if d.area is not None else {})
    chip_e, chip_a = onchip.provenance(self.config, field_prov, weakest)
    energy, area = {**energy, **chip_e}, {**area, **chip_a}
    if self.config.static_power is not None:
        static = field_prov("static_power")
    else:  # derived: a placeholder if any area it rests on is one
        static = weakest([self.static.provenance, *(field_prov(f) for f in self.static.fields)])
    return {"energy": energy, "area": area, "static": static}


def unheld(name: str, ops, reuse: bool = False) -> str:
    """A note on the matmuls that read a weight no array holds stationary (a grouped or
    depthwise convolution's per-group weights, told by its window or depthwise tag: stationary
    per group, but a matrix per group on arrays is not modelled; a bmm over a
    3-D stacked or per-head weight: batch > 1, the vmap-ensemble advice) and on those
    that read a weight tensor as a plain operand (batch 1: an op that names no stationary
    ``weight``, as a hand-written one that leaves the field out): another component runs them,
    and the run says which MACs the arrays did not take; empty when there are none. ``reuse``
    (the pool builds the windows from the raw input, ``cim.input_reuse``): the note says that
    does not apply to the convolutions it keeps off the arrays."""
    sel = (ops.macs > 0) & (ops.stationary < 0) & (ops.weight_bytes > 0) & ops.mac_dtype_ok()
    if not sel.any():
        return ""
    total = float(ops.macs.sum())
    grouped, plain = sel & (ops.batch > 1), sel & (ops.batch <= 1)

    def which(mask) -> tuple[int, str, str]:
        ids = [ops.weight_ids[ops.weight_ptr[i]] for i in np.flatnonzero(mask)[:3]
               if ops.weight_ptr[i + 1] > ops.weight_ptr[i]]
        names = ", ".join(ops.tensor_names[int(t)] for t in ids) + (", ..." if mask.sum() > 3 else "")
        macs = float(ops.macs[mask].sum())
        return int(mask.sum()), names, f"{si(macs, 'MAC')} ({100 * macs / total:.1f} % of the MACs)"

    conv = np.zeros(len(sel), dtype=bool)  # a convolution's product: its window or depthwise tag
    for col in (ops.window_elems, ops.depthwise):
        if col is not None:
            conv |= np.asarray(col, dtype=float) > 0
    parts = []
    if (grouped & conv).any():
        n, names, macs = which(grouped & conv)
        parts.append(f"{n} grouped/depthwise convolution(s) ({names}), {macs}, are kept off the "
                     "arrays: each group's (C_in/groups x kernel) x (C_out/groups) weight matrix is "
                     "stationary, but mapping one matrix per group onto arrays is not modelled"
                     + (" (input_reuse does not apply to them: the host forms their im2col matrices, "
                        "a depthwise one's excepted, which it runs as a direct kernel)" if reuse else ""))
    if (grouped & ~conv).any():
        n, names, macs = which(grouped & ~conv)
        parts.append(f"{n} batched product(s) over a weight stacked on a leading dimension ({names}: "
                     "a bmm over a 3-D parameter or constant, per-head weights, a torch.func.vmap "
                     f"ensemble's stacked parameters), {macs}, have no stationary weight matrix for "
                     "the arrays (no array holds the slices W[k] as separate matrices, not modelled; "
                     "the members as an nn.ModuleList of nn.Linear run on the arrays)")
    if plain.any():
        n, names, macs = which(plain)
        first = names.split(", ")[0]
        parts.append(f"{n} matmul(s) read a weight tensor ({names}) as a plain operand, not as their "
                     f"stationary 'weight', {macs}, so the arrays do not hold it (a workload file's "
                     f"op names it: \"weight\": \"{first}\")")
    return f"{name}: " + "; ".join(parts) + "; they ran on another component (macs_<unit> says which)"


def claims_words(cim) -> str:
    """What a CIM claims, in words (:meth:`cimsim.hw.base.Component.claims_words`)."""
    return ("matmuls with a stationary weight (a weight tensor the op names as its weight"
            + (")" if cim.config.chip is None else "; its chip block also runs the im2col copies and vector "
               "ops beside them)"))


def unclaimed_hint(self, ops, unclaimed):
    """A CIM's hint when ops are left unclaimed (:meth:`CIM.unclaimed_hint`)."""
    from . import exclude

    c = self.config
    if c.exclude and (left := int((unclaimed & (exclude.matches(c, ops) >= 0)).sum())):
        return (f"{self.name}.exclude keeps {left:,} of them off the arrays, and nothing else "
                "runs a matmul: add a processor to run them, or leave them out of exclude")
    if c.chip is not None and c.chip.periphery is not None:  # what stays is no vector op
        copy = unclaimed & (ops.kind == ops.kind_codes["copy"])
        named = np.flatnonzero(unclaimed)[:1]  # the op the error names
        if not copy[named].any():  # not a copy: the generic advice
            return None
        return (f"{self.name}.chip.periphery runs vector ops and the dtype casts of what the "
                f"chip makes, not the {int(copy.sum())} copy op(s) left (cat, pad, a cast of a "
                "model input): add a processor to run them")
    if c.chip is None:
        return None
    vec = int((unclaimed & (ops.stationary < 0) & (ops.macs == 0) & (ops.vector_ops > 0)).sum())
    if not vec:
        return None
    return (f"add a processor to run what the accelerators do not, or give {self.name}.chip."
            f"periphery (level, units, bits, clock) to run the {vec} vector op(s) "
            "(activations, pooling, adds) on the chip")


def given_read(self) -> str:
    """A note when ``read_latency`` is given and ``technology.voltage`` is not the node's nominal
    supply: a given read stays as given at every supply, while the array model's read follows
    the alpha-power law; a warning when the given one is faster than the array model's read at
    this supply (the ADC's ``sample_rate`` is refused above its conversion rate; a given read,
    a measured design's, is not refused, find-E 6). Empty otherwise."""
    from ...errors import CimsimError
    from .derive import DeriveError, design

    c, t = self.config, self.hw.technology
    if c.read_latency is None or t is None or t.voltage is None:
        return ""
    nominal = scaling.nominal_vdd(t.node_nm)
    if abs(t.voltage - nominal) <= 1e-9 * nominal:
        return ""
    free = c.model_copy(update={"read_latency": None})
    try:
        here = float(design(free, t).read_latency)
        there = float(design(free, t.model_copy(update={"voltage": None})).read_latency)
    except (DeriveError, CimsimError, ValueError):  # no array read to derive (counting ADC)
        return ""
    given = float(c.read_latency)
    fast = given < here * (1 - 1e-9)
    return ((_WARNING if fast else "") + f"{self.name}: read_latency {si(given, 's')} is given, and "
            f"a given read stays as given at every supply; the array model's read is "
            f"{si(here, 's')} at {t.voltage:g} V ({here / there:.3g} x its {si(there, 's')} at the "
            f"{t.node_nm:g} nm nominal {nominal:g} V, alpha-power delay)"
            + (f": the given read is {here / given:.3g} x faster than the cell reads at this "
               "supply" if fast else "")
            + "; give the read measured at this supply, or leave read_latency out to derive it")
