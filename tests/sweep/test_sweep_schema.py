"""One Arrow schema for every sweep file (a tester, find-H 3 and 8).

The ``error`` column was Arrow ``null`` in a sweep without a failed point and ``string`` with
one, so ``pyarrow.dataset`` over a folder of sweeps failed or not by which file it opened
first; where every row was an error row, the counts (``macs``, ``ops``, ``weight_bytes``) and
flags (``extrapolated``) became float64. ``llm_batch`` and ``<resource>_bytes`` were float64
beside ``workload.batch`` and ``weight_bytes`` as int64. Real CLI sweeps, analytic engine.

The bundled lstm (2 layers, input and hidden 2048, fp32) has weights
2 x (2 x 8192 x 2048 + 2 x 8192) x 4 B = 268,566,528 B: a 40 MB DRAM cannot hold them (above the 39.32 MB = 37.5 MiB L3, below the weights).
"""

from __future__ import annotations

import pandas as pd
import pytest
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from click.testing import CliRunner

from cimsim.cli import main

LSTM_WEIGHT_BYTES = 2 * (2 * 8192 * 2048 + 2 * 8192) * 4


def _sweep(out, *args, config="cpu-ddr5") -> None:
    res = CliRunner().invoke(main, ["sweep", config, "-w", "lstm", "--engine", "analytic",
                                    "--workers", "1", "-q", "-o", str(out), *map(str, args)])
    assert res.exit_code in (0, 3), res.output


def test_error_is_a_string_column_with_or_without_failed_points(tmp_path):
    ok, mixed = tmp_path / "ok.parquet", tmp_path / "mixed.parquet"
    _sweep(ok, "--param", "memory.dram.capacity=1TB")
    _sweep(mixed, "--param", "memory.dram.capacity=40MB,1TB")
    a, b = pq.read_table(ok), pq.read_table(mixed)
    assert a.schema.field("error").type == pa.string() == b.schema.field("error").type
    assert a.schema == b.schema.remove_metadata().with_metadata(a.schema.metadata)
    for files in ([ok, mixed], [mixed, ok]):  # a folder of sweeps reads in either order
        assert ds.dataset([str(f) for f in files]).to_table().num_rows == 3
    assert pa.concat_tables([a, b]).num_rows == 3
    assert pd.read_parquet(ok)["error"].isna().all()


def test_counts_and_flags_keep_their_types_when_every_row_is_an_error(tmp_path):
    ok, bad = tmp_path / "ok.parquet", tmp_path / "bad.parquet"
    _sweep(ok, "--param", "memory.dram.capacity=1TB")
    _sweep(bad, "--param", "memory.dram.capacity=40MB")
    a, b = pq.read_schema(ok), pq.read_schema(bad)
    for col in ("sample", "macs", "ops", "critical_path_ops", "weight_bytes", "activation_bytes",
                "ops_processor", "dram_bytes", "sram_bytes", "dram_write_bytes"):
        assert a.field(col).type == pa.int64() == b.field(col).type, col
    for col in ("extrapolated", "precision_mismatch"):
        assert a.field(col).type == pa.bool_() == b.field(col).type, col
    assert a.field("bound").type == pa.string() == b.field("bound").type
    assert pd.read_parquet(ok)["weight_bytes"].tolist() == [LSTM_WEIGHT_BYTES]
    assert pd.read_parquet(bad)["macs"].isna().all()


@pytest.mark.parametrize("config", ["cpu-ddr5", "rram-cim-derived"])
def test_component_columns_take_their_declared_kind_when_every_row_is_an_error(tmp_path, config):
    # processor_weights_on_chip (a flag), macs_<component> (a count), physically_plausible,
    # samples_per_run and the CIM's facts (counts, floats, text) were float64 in an
    # all-error file: the two files now have one schema, column for column
    ok, bad = tmp_path / "ok.parquet", tmp_path / "bad.parquet"
    _sweep(ok, "--param", "memory.dram.capacity=1TB", config=config)
    _sweep(bad, "--param", "memory.dram.capacity=40MB", config=config)
    a, b = pq.read_schema(ok), pq.read_schema(bad)
    assert a.names == b.names
    assert [(f.name, f.type) for f in a if f.type != b.field(f.name).type] == []
    assert pd.read_parquet(bad)["error"].notna().all()
    if config == "cpu-ddr5":
        assert a.field("processor_weights_on_chip").type == pa.bool_()
        assert a.field("macs_processor").type == pa.int64()
        assert pd.read_parquet(ok)["macs_processor"].tolist() == pd.read_parquet(ok)["macs"].tolist()


def test_llm_batch_is_an_integer_like_workload_batch(tmp_path):
    files = []
    for b in (1, 4):
        wl = tmp_path / f"llm{b}.json"
        res = CliRunner().invoke(main, ["workload", "llm", "--layers", "1", "--hidden", "64", "--heads", "2",
                                        "--vocab", "100", "--prompt", "8", "--decode", "2", "--batch",
                                        str(b), "-o", str(wl)])
        assert res.exit_code == 0, res.output
        files += ["-w", str(wl)]
    out = tmp_path / "llm.parquet"
    res = CliRunner().invoke(main, ["sweep", "gpu-hbm3", *files, "--engine", "analytic",
                                    "--workers", "1", "-q", "-o", str(out)])
    assert res.exit_code == 0, res.output
    s = pq.read_schema(out)
    assert s.field("llm_batch").type == pa.int64() == s.field("workload.batch").type
    assert s.field("hbm_bytes" if "hbm_bytes" in s.names else "dram_bytes").type == pa.int64()
    t = pd.read_parquet(out)
    assert t["llm_batch"].tolist() == t["workload.batch"].tolist() == [1, 4]


def test_one_typing_of_counts_for_sweeps_and_compare_tables():
    """Review 17-2 S5: compare/report typed counts by a copy of the store's rule, with a 2**62
    cap the store lacked: a sweep's count past int64 (1e20 MACs) raised OverflowError. One
    rule now: integral counts below 2**62 are Int64, a fraction or a larger count stays float."""
    from cimsim.sweep.store import _normalize_column, integer_counts

    assert _normalize_column("macs", [1e20, None, 3.0]).dtype == "float64"
    assert _normalize_column("macs", [2 ** 70, 5]).tolist() == [float(2 ** 70), 5.0]
    assert _normalize_column("macs", [33.0, None]).dtype == "Int64"
    df = integer_counts(pd.DataFrame({"macs": [33.0, float("nan")], "ops": [1.5, 2.0],
                                      "dram_bytes": [1e20, 8.0], "latency_s": [1.0, 2.0]}))
    assert df["macs"].dtype == "Int64" and df["macs"].tolist()[0] == 33
    assert df["ops"].dtype == df["dram_bytes"].dtype == df["latency_s"].dtype == "float64"
