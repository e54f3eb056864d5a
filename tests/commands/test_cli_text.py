"""What the command line says (issue 21, items 11 and 12): examples in ``--help`` that work,
the version, readable tables at 80 columns, numbers with SI prefixes, a "wrote" line per file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cimsim import bundled
from cimsim.cli import COMMANDS, main
from cimsim.config import load_architecture
from cimsim.report.format import si

ROOT = Path(__file__).resolve().parents[2]

# bundled LSTM: 2 layers x 100 steps, I = H = 2048, 4 gates
LSTM_HPROJ_MACS = 4 * 2048 * 2048  # one step's recurrent matmul: 16,777,216
LSTM_XPROJ_MACS = 100 * 4 * 2048 * 2048  # one layer's input projection over all steps


def _help(name: str) -> str:
    res = CliRunner().invoke(main, [name, "--help"])
    assert res.exit_code == 0, res.output
    return " ".join(res.output.split())  # the help wraps; an example is one token again


#: ``--param PATH=SPEC`` / ``--set PATH=VALUE`` written out, or a bare ``dotted.path=value``
#: (placeholders such as PATH=SPEC are upper case and not examples)
_FLAGGED = re.compile(r"(?:--zoo (\S+) )?--(param|set) ([a-z_][\w.]*=(?!=)\S+)")
_BARE = re.compile(r"(?<![\w.=-])([a-z_]\w*(?:\.\w+)+=(?!=)\S+)")  # not a --where 'a==b' 


def _examples(name: str) -> list[tuple[str, str, str | None]]:
    """(option, example, --zoo model) for every example in ``cimsim NAME --help``."""
    text = _help(name)
    found: dict[str, tuple[str, str, str | None]] = {}
    for zoo, option, ex in _FLAGGED.findall(text):
        found.setdefault(ex.rstrip(").;,`'\""), (option, ex.rstrip(").;,`'\""), zoo or None))
    for ex in _BARE.findall(text):
        ex = ex.rstrip(").;,`'\"")
        if ex.startswith("workload."):  # a sweep --weights column of the points (exit_at), no config field
            continue
        option = "param" if name == "sweep" else "set"
        found.setdefault(ex, (option, ex, None))
    return list(found.values())


def _loads_somewhere(overrides: dict) -> None:
    """A bundled config accepts these overrides (each field exists in some config, not all)."""
    errors = []
    for path in bundled.config_paths():
        try:
            load_architecture(path, overrides)
            return
        except Exception as exc:  # noqa: BLE001 - collected for the message
            errors.append(f"{path.stem}: {exc}")
    raise AssertionError(f"no bundled config accepts {overrides}: {errors}")


def test_every_config_example_in_help_is_accepted():
    from cimsim.commands.run import overrides
    from cimsim.sweep.params import parse_param

    per_command = {}
    for command in COMMANDS:
        examples = [(o, ex) for o, ex, _zoo in _examples(command.name) if command.name != "trace"]
        per_command[command.name] = examples
        for option, ex in examples:
            if option == "param":
                spec = parse_param(ex)
                values = spec.values if spec.values is not None else (spec.low, spec.high)
                for v in values:
                    _loads_somewhere({spec.path: spec.override_value(v)})
            else:
                _loads_somewhere(overrides((ex,)))
    # not vacuous: each command with such an option shows at least one example of it
    for name in ("sweep", "run", "compare", "report"):
        assert per_command[name], f"cimsim {name} --help shows no --param/--set example"
    assert len([o for o, _ in per_command["sweep"] if o == "param"]) >= 4


@pytest.mark.torch
@pytest.mark.slow  # imports transformers and builds a 12-layer GPT-2
def test_every_trace_param_example_in_help_builds_its_zoo_model():
    pytest.importorskip("transformers")
    from cimsim import zoo
    from cimsim.commands.trace import _kv

    examples = [(ex, model) for option, ex, model in _examples("trace") if option == "param"]
    assert examples, "cimsim trace --help shows no --param example"
    for ex, model in examples:
        assert model is not None, f"--param {ex}: the example names no --zoo model"
        zoo.build(model, **_kv((ex,), "--param"))


def test_help_names_cimsim_fields_as_it_is_called():
    calls = set()
    for command in COMMANDS:
        calls |= set(re.findall(r"`cimsim fields([^`]*)`", _help(command.name)))
    assert calls
    for call in calls:
        args = call.replace("CONFIG", "gpu-hbm3").split()
        res = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["fields", *args])
        assert res.exit_code == 0, (call, res.output)
        assert "memory.dram.bandwidth" in res.output or args == ["cim"], (call, res.output[:300])


def _release(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.match(r"\d+(?:\.\d+)*", text).group(0).split("."))


def test_version_is_the_projects_and_not_behind_the_changelog():
    import cimsim

    project = ROOT.joinpath("pyproject.toml").read_text()
    declared = re.search(r'^version\s*=\s*"([^"]+)"', project, re.M).group(1)
    res = CliRunner().invoke(main, ["--version"])
    assert res.exit_code == 0 and res.output == f"cimsim, version {declared}\n"
    assert cimsim.__version__ == declared
    newest = re.search(r"^### (\d+(?:\.\d+)+)", ROOT.joinpath("README.md").read_text(), re.M).group(1)
    assert _release(declared) >= _release(newest), (declared, newest)


def test_notebook_prose_describes_the_tracer_there_is():
    for nb in sorted(ROOT.joinpath("notebooks").glob("*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                assert "torch.fx" not in "".join(cell["source"]), nb.name


# ------------------------------------------------------------------------- item 12


def _placement(res) -> list[str]:
    lines = res.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("placement (per op"))
    return lines[start:]


def test_placement_at_80_columns_cuts_no_name_and_no_number():
    from cimsim.workload import load_workload

    res = CliRunner(env={"COLUMNS": "80"}).invoke(main, ["run", "gpu-hbm3", "lstm", "--placement",
                                                              "--engine", "analytic"])
    assert res.exit_code == 0, res.output
    table = _placement(res)
    assert max(len(line) for line in table) <= 80
    assert not any("…" in line for line in table)
    body = [line.split() for line in table[2:] if line.split() and line.split()[0].isdigit()]
    names = [op.name for op in load_workload(bundled.resolve_workload("lstm")).ops]
    assert [row[1] for row in body] == names  # every op, in order, its whole name on one line
    xproj, hproj = body[0], body[1]
    assert (xproj[1], hproj[1]) == ("l0.xproj", "l0.t0.hproj")
    assert si(LSTM_XPROJ_MACS, "") == "1.678 G" and "1.678 G" in " ".join(xproj)
    assert si(LSTM_HPROJ_MACS, "") == "16.78 M" and "16.78 M" in " ".join(hproj)
    # what did not fit is said, not silently cut
    assert any("not shown at 80 columns" in line for line in table)
    wide = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["run", "gpu-hbm3", "lstm", "--placement",
                                                              "--engine", "analytic"])
    header = _placement(wide)[1].split()
    # "fixed latency" (dispatch + access) beside the op's "time" (end - start, as it ran)
    assert header == ["#", "op", "kind", "unit", "MACs", "sram", "dram", "compute", "fixed", "latency",
                      "time", "start", "end"]
    assert not any("not shown" in line for line in _placement(wide))


@pytest.mark.parametrize("cols", ["60", "80", "100", "120"])
def test_compare_cuts_no_number_and_names_what_it_leaves_out(cols):
    """At 80 columns `compare` printed `5.7…` for 5.735 J and `883…` for 883.3 µs (rich
    ellipsised every column of a table too wide): numbers and names now keep their width, text
    wraps between words, and whole columns are left out and named (commands/tables.py)."""
    res = CliRunner(env={"COLUMNS": cols}).invoke(main, ["compare", "cpu-ddr5", "sram-cim", "-w", "lstm",
                                                          "--engine", "analytic"])
    assert res.exit_code == 0, res.output
    table = [ln for ln in res.output.splitlines() if ln[:1] in "┏┃┡│└"]
    assert max(len(line) for line in table) <= int(cols)
    assert not any("…" in line for line in table)
    assert all(line[-1] in "┓┃┩│┘" for line in table)  # the right edge is there
    text = res.output.replace("\n", " ")
    assert "5.735 J" in text and "65.9 ms" in text  # latency and energy stay, whole
    wide = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["compare", "cpu-ddr5", "sram-cim", "-w",
                                                           "lstm", "--engine", "analytic"])
    assert "not shown" not in wide.output and "dep. path ops" in wide.output
    if cols in ("60", "80"):
        assert f"dep. path ops not shown at {cols} columns" in " ".join(res.output.split())


def test_compare_folds_a_long_workload_name_and_cuts_no_number(tmp_path):
    """An LLM serving workload's name is ~61 characters: once the columns to leave out first
    were out, compare kept it whole and rich cut the numbers (`223.5 …`, `2…`, `107…`) and
    squeezed a serving column to nothing at 100 and 80 columns. The name now folds, and every
    number prints whole with its unit (rule 4 of commands/tables.py)."""
    import pandas as pd

    from cimsim.report import columns as C
    from cimsim.report.format import rate

    npz = tmp_path / "serve4.npz"
    res = CliRunner().invoke(main, ["workload", "llm", "--layers", "1", "--hidden", "64", "--heads", "2",
                                    "--ffn", "128", "--vocab", "100", "--prompt", "16,64,32,8",
                                    "--decode", "4,8,2,6", "--batch", "2", "--batching", "continuous",
                                    "-o", str(npz)])
    assert res.exit_code == 0, res.output
    for cols in ("100", "80"):
        csv = tmp_path / f"c{cols}.csv"
        res = CliRunner(env={"COLUMNS": cols}).invoke(main, [
            "compare", "gpu-hbm3", "sram-cim", "-w", str(npz), "--baseline", "gpu-hbm3",
            "--engine", "analytic", "-o", str(csv)])
        assert res.exit_code == 0, res.output
        df = pd.read_csv(csv)
        name = df["workload"].iloc[0]
        assert len(name) > 55, name  # longer than any column it could keep at 100 columns
        table = [ln for ln in res.output.splitlines() if ln[:1] in "┏┃┡│└"]
        assert max(len(line) for line in table) <= int(cols)
        assert not any("…" in line for line in table), "\n".join(table)
        for head in (ln for ln in table if ln.startswith("┃")):  # no column squeezed to nothing
            assert all(cell.strip() for cell in head.strip("┃").split("┃")), head
        cells = {c.strip() for ln in table if ln.startswith("│") for c in ln.strip("│").split("│")}
        for _, row in df.iterrows():  # each number whole, its unit beside it, as the CSV has it
            assert {si(row[C.LATENCY], "s"), si(row[C.ENERGY], "J"), si(row[C.TPOT_S], "s"),
                    rate(row[C.TOKENS_PER_J])} <= cells, (row["architecture"], sorted(cells))
        text = "".join(ln.strip("│").split("│")[0].strip() for ln in table if ln.startswith("│"))
        assert text.count(name) == 4  # the folded name reads whole again: 2 runs x 2 tables


def test_run_prints_efficiency_with_si_prefixes():
    res = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["run", "gpu-hbm3", "lstm", "--engine", "analytic"])
    assert res.exit_code == 0, res.output
    data = json.loads(CliRunner().invoke(main, ["run", "gpu-hbm3", "lstm", "--engine", "analytic",
                                                "--json"]).stdout)
    line = next(line for line in res.stdout.splitlines() if line.strip().startswith("efficiency"))
    assert si(data["ops_per_j"], "OPS/W") in line
    assert not re.search(r"\b0\.0\d", line), line  # no 0.008896 TOPS/W


@pytest.mark.parametrize("value, unit, text", [
    (0.0004352, "s", "435.2 µs"),       # the raw seconds of issue 21
    (0.917, "TOPS", "917 GOPS"),        # Chih et al. ISSCC 2021, 8b x 8b
    (43.08, "TOPS/W", "43.08 TOPS/W"),
    (0.03808, "TOPS/mm^2", "38.08 GOPS/mm^2"),
    (8.99, "fJ/op", "8.99 fJ/op"),
    (65.8, "W", "65.8 W"),
    (85.4, "mm^2", "85.4 mm^2"),        # not an SI base: as it is
    (382.0, "cycles", "382 cycles"),
    (123456.0, "cycles", "123,456 cycles"),
    (4.29, "x", "4.29 x"),
])
def test_validate_values_in_engineering_form(value, unit, text):
    from cimsim.commands.validate import engineering

    assert engineering(value, unit) == text


def test_validate_table_prefixes_its_values():
    res = CliRunner(env={"COLUMNS": "300"}).invoke(main, ["validate", "-s", "cim-published"])
    assert res.exit_code == 0, res.output
    assert "917 GOPS" in res.stdout and "0.917 TOPS" not in res.stdout


def test_run_trace_says_what_it_wrote(tmp_path):
    out = tmp_path / "t.json"
    res = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["run", "gpu-hbm3", "gru", "--trace", str(out)])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[-1].startswith(f"wrote {out}: ") and out.is_file()
    # with --json, stdout is the JSON alone and the line goes to stderr
    res = CliRunner().invoke(main, ["run", "gpu-hbm3", "gru", "--trace", str(out), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert res.stderr == f"wrote {out}: {data['ops']} ops over {si(data['latency_s'], 's')} " \
                         "(open it in https://ui.perfetto.dev)\n"


def test_workload_summary_in_si_prefixes(tmp_path):
    out = tmp_path / "w.json"
    res = CliRunner().invoke(main, ["workload", "lstm", "--steps", "3", "--hidden", "64", "--input-size", "64",
                                    "-o", str(out)])
    assert res.exit_code == 0, res.output
    # 3 steps x 4 gates x 64 x (64 + 64) MACs; weights 4 x 64 x 128 + two 4 x 64 biases, fp32
    macs, weight_bytes = 3 * 4 * 64 * 128, (4 * 64 * 128 + 2 * 4 * 64) * 4
    assert (macs, weight_bytes) == (98_304, 133_120)
    assert res.stdout.endswith(": 8 ops, 98,304 MACs (98.3 kMAC), weights 133.1 kB\n"), res.stdout


def test_a_wrapped_cell_never_splits_a_number_from_its_unit():
    """`compare`'s busiest units cell wrapped 'processor_busy 87.5' / '%' (rich wraps at any
    space, a no-break space too); `run`'s summary lines alike."""
    from rich.console import Console
    from rich.table import Table

    from cimsim.commands import unbroken

    t = Table(box=None, show_header=False, pad_edge=False)
    t.add_column(width=19)  # 'processor_busy 87.5' is 19 characters: its ' %' went below
    t.add_row(unbroken("processor_busy 87.5 %, dram_bw 10.8 %"))
    out = Console(width=80, record=True)
    out.print(t)
    assert [line.rstrip() for line in out.export_text().splitlines()] == [
        "processor_busy", "87.5 %, dram_bw", "10.8 %"]
    for cols, args in (("130", ["compare", "sram-cim", "gpu-hbm3", "-w", "gru", "--engine", "analytic"]),
                       ("80", ["run", "neurosim-vgg8", "vgg8-cifar10", "--engine", "analytic"])):
        res = CliRunner(env={"COLUMNS": cols}).invoke(main, args)
        assert res.exit_code == 0, res.output
        assert "\xa0" not in res.output  # printed as a plain space: grep '87.5 %' finds it
        hits = [m.start() for m in re.finditer("%", res.output)]
        assert len(hits) >= 4
        for i in hits:  # the number, a space, the %: on one line
            assert re.match(r"\d ", res.output[i - 2:i]), res.output[max(0, i - 60):i + 5]


def test_a_text_column_narrower_than_its_floor_takes_its_own_width():
    """A wrapping column was sized at its floor (12) though its one cell, `compute`, is 7 wide,
    so a table that fits exactly left a column out (a reviewer's case: 63 columns)."""
    from cimsim.commands.tables import fit_columns

    headers = ["workload", "architecture", "latency", "bound", "dep. path ops"]
    rows = [["lstm", "gpu", "1.0 ms", "compute", "200"]]
    need = sum(w + 3 for w in (8, 12, 7, 7, 13)) + 1  # each column + border and padding, + 1
    assert need == 63
    assert fit_columns(headers, rows, 63, {"bound": 12}, ["dep. path ops", "bound"]) == headers
    assert fit_columns(headers, rows, 62, {"bound": 12}, ["dep. path ops", "bound"]) == headers[:4]
