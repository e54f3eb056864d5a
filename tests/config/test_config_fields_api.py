"""find-F #7: the field list `cimsim fields` prints, as data, from a documented Python call:
``cimsim.config_fields(arch)``, each field's path, kind, SI unit, numeric bounds, choices and
default (before, only the undocumented ``describe_fields``, whose type was text).

The golden bounds are the ones the models state and the README documents: ``cim.adc.bits`` in
[1, 16], ``cim.rows`` in [1, 2^24] (the partial-sum model's exact range), a bandwidth > 0 B/s;
``cim.nonideal.drift.t0``'s default is aihwkit's 20 s reference time.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import cimsim
from cimsim import bundled, config_fields, load_architecture
from cimsim.cli import main
from cimsim.config import FieldDoc
from cimsim.quantity import DOMAINS


def _by_path(arch=None, prefix=""):
    return {f.path: f for f in config_fields(arch, prefix)}


def test_bounds_units_choices_and_defaults_as_data():
    f = _by_path(load_architecture("sram-cim"))
    bits, rows, bw, t0 = f["cim.adc.bits"], f["cim.rows"], f["memory.dram.bandwidth"], f["cim.nonideal.drift.t0"]
    assert (bits.kind, bits.unit, bits.low, bits.high, bits.low_inclusive, bits.high_inclusive) \
        == ("int", None, 1, 16, True, True)
    assert (rows.low, rows.high) == (1, 2 ** 24)
    assert (bw.kind, bw.unit, bw.low, bw.high, bw.low_inclusive) == ("quantity", "B/s", 0, None, False)
    assert bw.required and bw.default_value is None
    assert (t0.unit, t0.default_value, t0.required) == ("s", 20.0, False)
    assert set(f["memory.dram.type"].choices) >= {"fixed", "dram"} and f["memory.dram.type"].kind == "choice"
    assert "rram_1t1r" in f["cim.cell.type"].choices
    assert isinstance(bits, FieldDoc) and "config_fields" in cimsim.__all__


@pytest.mark.parametrize("config", [None, *(p.stem for p in bundled.config_paths())])
def test_the_data_says_what_the_fields_table_says(config):
    """Every field's structured parts agree with its `type` text as `cimsim fields` prints it,
    and the fields are the table's, in its order."""
    arch = load_architecture(config) if config else None
    docs = config_fields(arch)
    for d in docs:
        if d.kind == "quantity" and d.unit == "°C":  # an absolute temperature (find-B 5)
            assert d.type == f"quantity [°C], {DOMAINS['celsius']}"
            assert (d.low, d.high, d.low_inclusive) == (-273.15, None, False)
        elif d.kind == "quantity":
            assert d.type == f"quantity [{d.unit}], {DOMAINS['positive' if not d.low_inclusive else 'nonnegative']}"
            assert d.low == 0 and d.high is None
        elif d.kind == "choice":
            assert d.type == "one of " + ", ".join(d.choices)
        elif d.kind in ("int", "float") and d.low is not None and d.high is not None:
            lo, hi = ("[" if d.low_inclusive else "("), ("]" if d.high_inclusive else ")")
            num = (lambda v: str(v) if isinstance(v, int) else f"{v:g}")
            assert d.type == f"{d.kind}, in {lo}{num(d.low)}, {num(d.high)}{hi}"
        elif d.kind in ("int", "float") and d.low is not None:
            assert d.type == f"{d.kind}, {'>=' if d.low_inclusive else '>'} {d.low:g}"
        elif d.kind in ("int", "float") and d.high is not None:
            assert d.type == f"{d.kind}, {'<=' if d.high_inclusive else '<'} {d.high:g}"
        if d.required:  # (a default_factory field, processor.tdp_includes, prints "" too)
            assert d.default == "" and d.default_value is None
    res = CliRunner(env={"COLUMNS": "400"}).invoke(main, ["fields", *(["-c", config] if config else [])])
    assert res.exit_code == 0, res.output
    table = [ln.split("│")[1].strip() for ln in res.output.splitlines() if ln.startswith("│")]
    assert [d.path for d in docs] == [p for p in table if p], config


def test_a_prefix_and_a_wrong_argument():
    assert list(_by_path(load_architecture("sram-cim"), "cim.adc.")) == \
        [p for p in _by_path(load_architecture("sram-cim")) if p.startswith("cim.adc.")]
    with pytest.raises(cimsim.CimsimError, match=r"^config_fields\(\): arch must be an Architecture "
                       r"\(load_architecture\(\.\.\.\)\) or None for the schema, got the str 'sram-cim'$"):
        config_fields("sram-cim")
