"""Cross-node and supply models of the derived CIM (find-T, review 22 C): CIM cells that keep
their ratio to the node's published high-density 6T cell, periphery leakage counted per device
(capped at what the area holds), the device flavour, a cell's minimum supply and S&B's
non-monotonic FO4 spans of each flavour.

Expected numbers are closed-form arithmetic written out here or published cells (sources in
:mod:`cimsim.hw.circuits.buffer`)."""

from __future__ import annotations

import math
import warnings

import pytest

from cimsim import bundled, load_architecture, simulate
from cimsim.hw.circuits import array, leakage, scaling
from cimsim.validate.host import gemv_workload

SRAM = bundled.resolve_config("sram-cim-derived")


def _run(**over):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return simulate(load_architecture(SRAM, over), gemv_workload(256, 256))


def _static(**over) -> dict:
    """The CIM block's derived static power by part (W)."""
    return load_architecture(SRAM, over).component("cim").static.parts


def test_cim_6t_cell_keeps_its_ratio_to_the_published_cell_across_nodes():
    c = array.preset("sram_6t")
    # NeuroSim's 10 x 28 F^2 at its 22 nm: 280 x (22 nm)^2 = 0.13552 um^2 over Intel 22 nm's
    # 0.092 um^2 HD cell (Auth et al., VLSI 2012) = 1.473
    assert array.cell_overhead(c) == pytest.approx(280 * 0.022 ** 2 / 0.092, rel=1e-12, abs=0)
    at7 = array.at_node(c, 7)
    # 7 nm: 1.473 x TSMC N7's 0.027 um^2 (Chang et al., ISSCC 2017) = 0.03977 um^2, not the
    # pure-F^2 280 x (7 nm)^2 = 0.01372 um^2 (half the foundry's densest cell)
    assert at7.area_f2 * 0.007 ** 2 == pytest.approx(280 * 0.022 ** 2 / 0.092 * 0.027, rel=1e-9,
                                                     abs=0)
    assert at7.height_f / at7.width_f == pytest.approx(10 / 28, rel=1e-12, abs=0)
    assert array.at_node(c, 22).area_f2 == 280.0                    # calibrated there: unchanged
    # the bitline follows the same pitch: 128 rows x 10 F x sqrt(2.8997) at 0.2 fF/um
    k = math.sqrt(0.027 / 0.092 * (22 / 7) ** 2)
    assert array.column_capacitance(c, 128, 7) == pytest.approx(
        128 * 10 * k * 7e-9 * 0.2e-15 / 1e-6, rel=1e-9, abs=0)


def test_a_given_cell_below_the_published_cell_is_flagged_implausible():
    c = array.cell("sram_6t", area_node_nm=None)  # 10 x 28 F given at the run's node
    assert "0.51 x the published" in array.below_published_cell(c, 7)  # 0.01372 / 0.027
    assert array.below_published_cell(array.preset("sram_6t"), 7) == ""
    r = _run(**{"technology.node": "7 nm", "cim.cell.height_f": 10, "cim.cell.width_f": 28})
    assert not r.physically_plausible
    assert any("published high-density 6T cell" in n for n in r.implausible_notes)


def test_periphery_leakage_of_the_same_circuit_falls_with_the_node():
    a = 1e-6  # 1 mm^2 counted at 22 nm
    i7 = 0.5 * (147.0e-6 + 100.9536e-6)  # PTM LSTP 7 nm nMOS / pMOS, A/m
    w = a / (22e-9) ** 2 * (8 / 280) * 0.5 * 7e-9 * i7 * 0.7
    big = 1.0  # the run node's area: not binding at 7 nm
    assert leakage.periphery_w(big, 7, None, "lstp", (a, 22)) == pytest.approx(w, rel=1e-9, abs=0)
    at22 = leakage.periphery_w(a, 22)
    # (7 / 22) x (123.98 / 100) x (0.7 / 0.9) = 0.307
    assert leakage.periphery_w(big, 7, None, "lstp", (a, 22)) / at22 == pytest.approx(
        (7 / 22) * (i7 / 100e-6) * (0.7 / 0.9), rel=1e-9, abs=0)
    # the bundled design: 22 -> 7 nm periphery leakage falls (was 12.5 -> 15.8 mW)
    p22, p7 = (_static(**{"technology.node": n})["periphery"] for n in ("22 nm", "7 nm"))
    assert p7 / p22 == pytest.approx((7 / 22) * (i7 / 100e-6) * (0.7 / 0.9), rel=1e-6, abs=0)


def test_lp_flavour_moves_delay_and_the_default_off_current():
    # S&B 45 nm at 1.0 V: LP -285.7 + 1239 - 1795 + 898.8 = 57.1, HP -501.6 + 1567 - 1619
    # + 566.1 = 12.5: an LP FO4 4.568 x the HP one
    assert scaling.fo4_delay(45, None, "LP") / scaling.fo4_delay(45) == pytest.approx(
        57.1 / 12.5, rel=1e-9, abs=0)
    with scaling.device_flavour("lp"):
        assert scaling.fo4_delay(45) / scaling.fo4_delay(45, None, "HP") == pytest.approx(
            57.1 / 12.5, rel=1e-9, abs=0)
    base, lp = _run(), _run(**{"technology.flavour": "lp"})
    assert lp.latency_s > base.latency_s and lp.energy_j != base.energy_j
    a0, alp, ahp = (_static(**o)["arrays"] for o in ({}, {"technology.flavour": "lp"},
                                                       {"technology.flavour": "hp"}))
    assert alp == pytest.approx(a0, rel=1e-12, abs=0)                     # lstp both
    assert ahp == pytest.approx(1002 * a0, rel=1e-12, abs=0)  # PTM HP 100.2 nA/um / 100 pA/um


def test_supply_below_the_cells_vmin_is_not_a_functional_point():
    # 6T Vmin 0.75 x 0.9 V = 0.675 V at 22 nm (U)
    assert "0.675 V" in array.below_vmin(array.preset("sram_6t"), 22, 0.5)
    assert array.below_vmin(array.preset("sram_6t"), 22, 0.72) == ""
    assert array.below_vmin(array.preset("rram_1t1r"), 22, 0.3) == ""
    assert not _run(**{"technology.voltage": "0.5 V"}).physically_plausible
    assert _run(**{"technology.voltage": "0.72 V"}).physically_plausible


def test_nodes_in_the_non_monotonic_fo4_region_are_noted():
    assert scaling.fo4_delay(20) > scaling.fo4_delay(32)          # 7.76 ps > 6.85 ps
    assert "20-32 nm" in scaling.nonmonotonic_node_note(22)
    assert scaling.nonmonotonic_node_note(45) == scaling.nonmonotonic_node_note(7) == ""
    assert scaling.nonmonotonic_node_note(30, 36)                 # a span reaching into it
    assert any("20-32 nm" in n for n in _run().notes)


def test_a_node_sensitivity_row_in_the_region_says_so():
    from cimsim.sweep.sensitivity import sensitivity

    df = sensitivity(SRAM, gemv_workload(64, 64), ["technology.node"])
    assert "20-32 nm" in df.loc[0, "note"]          # 22 nm x 0.9..1.1 = 19.8-24.2 nm


# ---- review 22 C


def _cim(**over):
    return load_architecture(SRAM, over).component("cim")


def _squares(area_m2: float, node_nm: float) -> float:
    return area_m2 / (node_nm * 1e-9) ** 2


@pytest.mark.parametrize("node", [32, 65, 180])
def test_periphery_never_counts_more_devices_than_its_area_holds(node):
    # C 1: each derived part's F^2 squares are min(its area at 22 nm / (22 nm)^2, its area
    # at the run node / F^2), x 8/280 gate width per F^2, half off, each F wide, I_off x V
    run, ref = _cim(**{"technology.node": f"{node} nm"}), _cim()
    squares = sum(min(_squares(run.design.area[k], node), _squares(ref.design.area[k], 22))
                  for k in ("adc", "digital"))
    i_off = 0.5 * sum(leakage.off_current(node, "lstp"))
    want = squares * (8 / 280) * 0.5 * node * 1e-9 * i_off * scaling.nominal_vdd(node)
    assert run.static.parts["periphery"] == pytest.approx(want, rel=1e-12, abs=0)
    # never above the run node's own area at the density (was x1.51 at 32 nm, x6.15 at 180 nm)
    own = sum(leakage.periphery_w(run.design.area[k], node) for k in ("adc", "digital"))
    assert run.static.parts["periphery"] <= own * (1 + 1e-12)
    if node == 65:  # both parts' 22 nm count exceeds what 65 nm holds: the area bound itself
        assert run.static.parts["periphery"] == pytest.approx(own, rel=1e-12, abs=0)


def test_a_design_only_its_own_node_reaches_counts_its_periphery_by_the_area_laws():
    # C 2: a 7-bit SAR reaches 356 MHz at 7 nm but 125 MHz at 22 nm (8 cycles of 1 ns). Past
    # 125 MHz the design cannot be derived at 22 nm: its areas move there by their own laws
    # (SAR energy is the survey envelope, node-free: area x (22/7)^0.79732 at the same rate;
    # digital x the S&B area table), not back to the old count at 7 nm (3.8 -> 14.6 mW before)
    p = {r: _cim(**{"technology.node": "7 nm", "cim.adc.sample_rate": f"{r} MHz"})
         for r in (125, 126)}
    assert p[125].static.note == ""
    assert "cannot be derived at 22 nm" in p[126].static.note
    assert "cannot be derived at 22 nm" in p[126].derived_note()
    a = p[126].design.area
    want = (leakage.periphery_w(a["adc"], 7, None, "lstp", (a["adc"] * (22 / 7) ** 0.797323960429599, 22))
            + leakage.periphery_w(a["digital"], 7, None, "lstp",
                                  (a["digital"] * scaling.area_factor(7, 22), 22)))
    assert p[126].static.parts["periphery"] == pytest.approx(want, rel=1e-12, abs=0)
    # a 0.8 % rate step moves the leakage by well under 1 %, not x3.8
    assert p[126].static.parts["periphery"] / p[125].static.parts["periphery"] == pytest.approx(
        1.0, rel=0.01, abs=0)


def test_one_given_cell_dimension_keeps_the_node_scaling_of_the_other():
    # C 3: at 7 nm the preset's 10 F height is 10 x sqrt((0.027/0.092) (22/7)^2) = 17.03 F; a
    # width of 48.2 F given: 8452 arrays x 65536 cells x 17.03 F x 48.2 F x (7 nm)^2
    k = math.sqrt(0.027 / 0.092 * (22 / 7) ** 2)
    wide = _cim(**{"technology.node": "7 nm", "cim.cell.width_f": 48.2})
    n = wide.config.arrays * wide.config.rows * wide.config.cols
    assert wide.area_m2()["arrays"] == pytest.approx(n * 10 * k * 48.2 * (7e-9) ** 2,
                                                     rel=1e-9, abs=0)
    assert wide.area_m2()["arrays"] > _cim(**{"technology.node": "7 nm"}).area_m2()["arrays"]
    # a height given (in 7 nm's F) keeps the preset's width 28 x k: flagged below the HD cell,
    # naming the preset's size at the node
    short = _cim(**{"technology.node": "7 nm", "cim.cell.height_f": 10})
    assert short.area_m2()["arrays"] == pytest.approx(n * 10 * 28 * k * (7e-9) ** 2,
                                                      rel=1e-9, abs=0)
    assert any("preset there is 17.03 x 47.67 F" in w for w in short.technology_notes())


def test_hp_flavour_below_22_nm_names_the_flavour_and_the_way_out():
    # C 4: the PTM HP cards stop at 22 nm; S&B's HP delay tables reach 7 nm
    from cimsim.errors import CimsimError

    with pytest.raises(CimsimError) as e:
        load_architecture(SRAM, {"technology.node": "16 nm", "technology.flavour": "hp"})
    msg = str(e.value)
    assert "technology.flavour: hp" in msg and "leakage_devices: lstp" in msg
    assert "cim.leakage_devices:" not in msg
    ok = _cim(**{"technology.node": "16 nm", "technology.flavour": "hp",
                 "cim.leakage_devices": "lstp"})
    assert ok.static.power_w > 0


def test_the_non_monotonic_note_follows_the_flavour_in_use():
    # C 5: S&B LP FO4 65 nm 15.71 (one flavour there), 45 nm 46.83, 32 nm 48.19, 20 nm 11.63 ps
    lp = {n: scaling.fo4_delay(n, None, "LP") for n in (65, 45, 32, 20)}
    assert lp[65] < lp[45] < lp[32] and lp[20] < lp[32]
    assert scaling.nonmonotonic_spans() == [(20, 32)]
    assert scaling.nonmonotonic_spans("lp") == [(32, 65)]
    assert "32-65 nm" in scaling.nonmonotonic_node_note(45, None, "lp")
    assert "LP FO4 65 nm 15.71 ps, 45 nm 46.83 ps" in scaling.nonmonotonic_node_note(45, None, "lp")
    assert scaling.nonmonotonic_node_note(28, None, "lp") == ""     # LP 32 -> 20 nm: monotonic
    assert scaling.nonmonotonic_node_note(14.4, 17.6) == ""         # HP 16 nm sensitivity span
    assert "32-65 nm" in _cim(**{"technology.node": "45 nm", "technology.flavour": "lp"}).derived_note()
    assert "not monotonic" not in _cim(**{"technology.node": "28 nm",
                                          "technology.flavour": "lp"}).derived_note()


def test_lp_delay_factor_reaches_the_derived_adc_rate():
    # the SAR cycle follows the flavour's FO4: at 45 nm LP / HP = 57.1 / 12.5 (S&B polynomials)
    hp, lp = (_cim(**{"technology.node": "45 nm", **o}).derived_values()["adc.sample_rate"][0]
              for o in ({}, {"technology.flavour": "lp"}))
    assert hp / lp == pytest.approx(57.1 / 12.5, rel=1e-3, abs=0)


def test_no_validated_published_point_is_flagged():
    # C 7: every validation macro at each supply its suite holds it to passes the Vmin and
    # published-cell checks (the thresholds sit near these supplies: 6T 0.825 V vs Jia's
    # 0.85 V; Colonnade's 0.6 V is its threshold)
    from cimsim.validate import cim_macros as m
    from cimsim.validate.cim import _load

    points = {"sinangil-jssc2021.yaml": [v for v, _ in m.SINANGIL_TOPS_W] + list(m.SINANGIL_GOPS),
              "jia-jssc2020.yaml": list(m.JIA_TOPS), "colonnade-jssc2021.yaml": list(m.COLONNADE_V),
              "chih-dcim.yaml": [None], "chih-sram-macro.yaml": [None], "neurram.yaml": [None],
              "neurosim-vgg8.yaml": [None], "isaac.yaml": [None], "puma.yaml": [None],
              "isaac-chip.yaml": [None]}
    for name, supplies in points.items():
        for v in set(supplies):
            arch = _load(name, **({} if v is None else {"technology.voltage": f"{v} V"}))
            for c in arch.instances:
                assert getattr(c, "technology_notes", lambda: [])() == [], (name, v)
