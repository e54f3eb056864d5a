"""Cross-node and supply models of the derived CIM (find-T): CIM cells that keep their ratio to
the node's published high-density 6T cell, periphery leakage counted per device, the device
flavour, a cell's minimum supply and S&B's non-monotonic 16-32 nm region.

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
    assert leakage.periphery_w(a, 7, None, "lstp", 22) == pytest.approx(w, rel=1e-9, abs=0)
    at22 = leakage.periphery_w(a, 22)
    # (7 / 22) x (123.98 / 100) x (0.7 / 0.9) = 0.307
    assert leakage.periphery_w(a, 7, None, "lstp", 22) / at22 == pytest.approx(
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
    assert "16-32 nm" in scaling.nonmonotonic_node_note(22)
    assert scaling.nonmonotonic_node_note(45) == scaling.nonmonotonic_node_note(7) == ""
    assert scaling.nonmonotonic_node_note(30, 36)                 # a span reaching into it
    assert any("16-32 nm" in n for n in _run().notes)


def test_a_node_sensitivity_row_in_the_region_says_so():
    from cimsim.sweep.sensitivity import sensitivity

    df = sensitivity(SRAM, gemv_workload(64, 64), ["technology.node"])
    assert "16-32 nm" in df.loc[0, "note"]          # 22 nm x 0.9..1.1 = 19.8-24.2 nm
