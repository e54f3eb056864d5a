"""Config inheritance, ``base: NAME-or-PATH`` (find-B2 3): a config file changes a bundled
config (or another file) by the values it gives; mappings merge key by key, lists and
scalars replace, ``null`` deletes; chains; cycles refused; errors name the file holding the
field; ``--set`` after the merge; ``config_sha256`` covers the chain. Real files throughout."""

from __future__ import annotations

import hashlib

import pytest
from click.testing import CliRunner

from cimsim.bundled import resolve_config
from cimsim.cli import main
from cimsim.config import load_architecture, read_yaml
from cimsim.errors import CimsimError, ConfigError


def _sha(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_a_child_of_a_bundled_config_changes_only_what_it_gives(tmp_path):
    # the tester's case: an AttAcc variant of gpu-hbm-pim-attn in `separate` mode, which needs
    # a links: section (no --set can add one) and changes pim fields, inheriting the rest
    child = tmp_path / "attacc-sep.yaml"
    child.write_text("base: gpu-hbm-pim-attn\nname: attacc-sep\n"
                     "links:\n  nvlink: {bandwidth: 450 GB/s, latency: 1 us, energy_per_bit: 5 pJ/bit}\n"
                     "pim:\n  sharing: separate\n  link: nvlink\n  max_rows: 4\n")
    arch = load_architecture(child)
    pim = arch.component("pim").config
    assert (arch.name, pim.sharing, pim.link, pim.max_rows) == ("attacc-sep", "separate", "nvlink", 4)
    assert float(arch.links["nvlink"].bandwidth) == 450e9
    # inherited from the base, as its file states them: 132 SMs, 3.35 TB/s, 16-MAC units at 300 MHz
    assert arch.component("processor").config.cores == 132
    assert float(arch.memory["dram"].bandwidth) == 3.35e12
    assert (pim.macs_per_cycle, float(pim.clock)) == (16, 300e6)
    # the base's placeholder marks come along: pim.static_power is "(U)" in the base
    assert "pim.static_power" in arch.placeholders
    # provenance: the child's path; the SHA-256 of the lines "<sha256 of each file>\n", child first
    base = resolve_config("gpu-hbm-pim-attn")
    lines = f"{_sha(child)}\n{_sha(base)}\n".encode()
    assert arch.source.record() == {"path": str(child), "sha256": hashlib.sha256(lines).hexdigest()}
    assert any(n.startswith(f"config {child} is its own values merged onto base: {base}")
               for n in arch.notes)


def test_a_child_gives_the_same_run_as_the_base_with_the_same_values_set(tmp_path):
    # the merge is what --set does for values the base has: 8 cores and a 1 us overhead
    from cimsim import load_workload, simulate
    from cimsim.bundled import resolve_workload

    child = tmp_path / "c.yaml"
    child.write_text("base: cpu-ddr5\nprocessor:\n  cores: 8\n  op_overhead: 1 us\n")
    wl = load_workload(resolve_workload("lstm"))
    got = simulate(load_architecture(child), wl, engine="analytic")
    want = simulate(load_architecture("cpu-ddr5", {"processor.cores": 8, "processor.op_overhead": "1 us"}),
                    wl, engine="analytic")
    assert got.latency_s == want.latency_s and got.energy_j == want.energy_j


def test_a_chain_with_relative_paths_null_deleting_and_a_list_replaced(tmp_path):
    (tmp_path / "sub").mkdir()
    mid = tmp_path / "sub" / "mid.yaml"
    mid.write_text("base: cpu-ddr5\nname: mid\nprocessor:\n  cores: 8\n  tdp_includes: [sram, dram]\n")
    leaf = tmp_path / "leaf.yaml"  # its base: relative to its own folder, not the working one
    leaf.write_text("base: sub/mid.yaml\nname: leaf\n"
                    "processor:\n  clock: 2 GHz\n  tdp_includes: [dram]\n  op_overhead: null\n"
                    "memory:\n  dram:\n    latency: 90 ns\n")
    arch = load_architecture(leaf)
    proc = arch.component("processor").config
    assert arch.name == "leaf"
    assert proc.cores == 8                 # from mid
    assert float(proc.clock) == 2e9        # from leaf
    assert float(proc.static_power) == 40  # from cpu-ddr5
    assert list(proc.tdp_includes) == ["dram"]  # a list replaces: [sram, dram] -> [dram], not merged
    # null deletes the key: op_overhead takes the schema's default, as --set ...=null gives it
    want = load_architecture("cpu-ddr5", {"processor.op_overhead": None}).component("processor")
    assert proc.op_overhead == want.config.op_overhead
    # a mapping merges key by key: dram keeps its bandwidth, its latency is leaf's
    assert float(arch.memory["dram"].bandwidth) == 307.2e9
    assert float(arch.memory["dram"].latency) == pytest.approx(90e-9, rel=1e-12, abs=0)
    # a value the child states is no placeholder any more (the base marks latency (U)); the
    # base's other marks stay
    assert "memory.dram.latency" not in arch.placeholders
    assert "memory.dram.energy_per_bit" in arch.placeholders
    files = [leaf, mid, resolve_config("cpu-ddr5")]
    lines = "".join(f"{_sha(f)}\n" for f in files).encode()
    assert arch.source.sha256 == hashlib.sha256(lines).hexdigest()
    # read_yaml (what sweeps and `cimsim fields` read) gives the merged mapping, no base: key
    data = read_yaml(leaf)
    assert "base" not in data and data["processor"]["cores"] == 8 and "op_overhead" not in data["processor"]


def test_a_new_memory_level_goes_where_the_child_lists_it(tmp_path):
    # levels run innermost first: naming dram after the new l2 puts l2 inside it
    child = tmp_path / "c.yaml"
    child.write_text("base: cpu-ddr5\nmemory:\n  l2:\n    capacity: 1 GiB\n    bandwidth: 500 GB/s\n"
                     "    energy_per_byte: 5 pJ/B\n  dram: {}\n")
    assert list(load_architecture(child).memory) == ["sram", "l2", "dram"]


def test_a_cycle_is_refused_naming_the_chain(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("base: b.yaml\n")
    b.write_text("base: a.yaml\n")
    with pytest.raises(ConfigError) as info:
        load_architecture(a)
    assert str(info.value) == (f"{b}: base: a cycle of bases: {a} -> {b} -> {a}; a config cannot "
                               "be its own base")
    a.write_text("base: a.yaml\n")  # its own base
    with pytest.raises(ConfigError, match="a cycle of bases: .*a.yaml -> .*a.yaml;"):
        load_architecture(a)


def test_errors_name_the_file_that_holds_the_bad_field(tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text(read_yaml_text("cpu-ddr5").replace("  cores: 16", "  cores: 16\n  bandwith: 3", 1))
    child = tmp_path / "child.yaml"
    child.write_text("base: base.yaml\nprocessor: {clock: -1 GHz}\n")
    with pytest.raises(ConfigError) as info:
        load_architecture(child)
    lines = str(info.value).splitlines()
    assert lines[0].startswith(f"{base}: processor.bandwith: unknown key")  # in the base
    assert lines[1].startswith(f"{child}: processor.clock: ")  # in the child
    # a base that is not there: the file whose base: names it
    child.write_text("base: nowhere.yaml\n")
    with pytest.raises(ConfigError) as info:
        load_architecture(child)
    assert str(info.value) == (f"{child}: base: nowhere.yaml: no config file {tmp_path / 'nowhere.yaml'} "
                               "(a path is relative to this file's folder)")
    child.write_text("base: [cpu-ddr5]\n")
    with pytest.raises(ConfigError, match=f"^{child}: base: must be a bundled config name"):
        load_architecture(child)


def read_yaml_text(name: str) -> str:
    return resolve_config(name).read_text()


def test_set_applies_after_the_merge_on_the_command_line(tmp_path):
    child = tmp_path / "c.yaml"
    child.write_text("base: cpu-ddr5\nname: c8\nprocessor: {cores: 8}\n")
    arch = load_architecture(child, {"processor.cores": "4", "memory.dram.latency": "50 ns"}, cli=True)
    assert arch.component("processor").config.cores == 4  # --set over the child's value
    assert float(arch.memory["dram"].latency) == pytest.approx(50e-9, rel=1e-12, abs=0)  # --set over an inherited value
    r = CliRunner().invoke(main, ["run", str(child), "lstm", "--set", "processor.cores=0"])
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert r.output.startswith("Error: --set processor.cores=0: processor.cores: ")
    # cimsim fields reads a child: the merged values, the child's name
    r = CliRunner().invoke(main, ["fields", "-c", str(child), "processor.cores"])
    assert r.exit_code == 0, r.output
    assert "config fields of c8" in r.output and "│ 8 " in r.output


def test_base_given_to_architecture_from_dict_says_where_it_is_read():
    from cimsim.config import architecture_from_dict

    data = read_yaml(resolve_config("cpu-ddr5"))
    with pytest.raises(ConfigError, match=r"<config>: base: unknown key: a config file's base: is "
                                          r"merged in as it is read"):
        architecture_from_dict({**data, "base": "gpu-hbm3"})


def test_a_sweep_records_the_chain_and_finds_it_again(tmp_path):
    # the sweep's config record is the chain's digest, and the roofline's file check (cimsim
    # plot) accepts it while no file of the chain changed, and refuses it after the base changes
    from cimsim.studies import sweep_config_files
    from cimsim.sweep import sweep
    from cimsim.sweep.columns import ATTR_CONFIGS
    from cimsim.workload import Op, Tensor, Workload, save_workload

    base = tmp_path / "b.yaml"
    base.write_text(read_yaml_text("cpu-ddr5"))
    child = tmp_path / "c.yaml"
    child.write_text("base: b.yaml\nname: c\nprocessor: {cores: 8}\n")
    tensors = [Tensor("x", (1, 16), "fp32", "input"), Tensor("w0", (16, 16), "fp32", "weight"),
               Tensor("h0", (1, 16), "fp32", "activation")]
    save_workload(Workload("one", tensors, [Op("mm0", "matmul", ("x", "w0"), ("h0",), m=1, k=16,
                                               n=16, weight="w0")]), tmp_path / "one.json")
    out = tmp_path / "s.parquet"
    sweep(str(child), str(tmp_path / "one.json"), ["processor.clock=1GHz,2GHz"], engine="analytic",
          workers=1, output=out)
    import pandas as pd

    df = pd.read_parquet(out)
    lines = f"{_sha(child)}\n{_sha(base)}\n".encode()
    assert df.attrs[ATTR_CONFIGS][str(child)]["sha256"] == hashlib.sha256(lines).hexdigest()
    assert set(df["architecture"]) == {"c"}
    assert sweep_config_files(df)[0] == {str(child): child}
    base.write_text(base.read_text() + "\n# edited\n")
    with pytest.raises(CimsimError, match=r"config file changed since the sweep \(.*c.yaml, or a file "
                                          r"its base: names\)"):
        sweep_config_files(df)


#: the (U) lines of configs/gpu-hbm-pim-attn.yaml, read off the file by eye
_PIM_ATTN_U = {"memory.sram.bandwidth", "memory.dram.bandwidth", "memory.dram.latency",
               "memory.dram.energy_per_bit", "processor.static_power", "processor.op_overhead",
               "pim.energy_per_mac", "pim.energy_per_bit", "pim.static_power", "pim.op_overhead"}


def test_an_empty_mapping_in_a_child_keeps_the_base_placeholder_marks_below_it(tmp_path):
    # find-B4 1 (the tester's emptymap.yaml): `dram: {}` states no value, so the base's (U)
    # marks under memory.dram stay, and the run's placeholder shares are the base's
    from cimsim import load_workload, simulate
    from cimsim.bundled import resolve_workload

    empty = tmp_path / "emptymap.yaml"
    empty.write_text("base: gpu-hbm-pim-attn\nname: emptymap\nmemory: {sram: {}, dram: {}}\n")
    assert set(load_architecture(empty).placeholders) == _PIM_ATTN_U
    wl = load_workload(resolve_workload("lstm"))
    got = simulate(load_architecture(empty), wl, engine="analytic")
    want = simulate(load_architecture("gpu-hbm-pim-attn"), wl, engine="analytic")
    assert got.latency_placeholder_share == want.latency_placeholder_share > 0.98  # the tester's 0.987
    assert got.energy_placeholder_share == want.energy_placeholder_share
    # the README's recipe for a new level (sram: {}, smem: {...}, dram: {}): the new level has no
    # mark, the base's stay; a value the child states inside dram: {...} still clears its own mark
    level = tmp_path / "newlevel64.yaml"
    level.write_text("base: gpu-hbm-pim-attn\nmemory:\n  sram: {}\n  smem: {capacity: 64 MiB, "
                     "bandwidth: 8 TB/s, energy_per_byte: 5 pJ/B}\n  dram: {latency: 400 ns}\n")
    arch = load_architecture(level)
    assert list(arch.memory) == ["sram", "smem", "dram"]
    assert set(arch.placeholders) == _PIM_ATTN_U - {"memory.dram.latency"}
    # `null` on a section deletes it and every mark below it
    gone = tmp_path / "gone.yaml"
    gone.write_text("base: gpu-hbm-pim-attn\nprocessor: {tdp_includes: [dram]}\nmemory: {sram: null}\n")
    assert set(load_architecture(gone).placeholders) == _PIM_ATTN_U - {"memory.sram.bandwidth"}


def _error(path) -> str:
    with pytest.raises(ConfigError) as info:
        load_architecture(path)
    return str(info.value)


def test_an_error_between_values_of_two_files_names_the_child_with_its_chain(tmp_path):
    # find-B4 2: the tester's newlevel.yaml adds a 32 MiB level outside the base's 50 MiB sram:
    # the bundled base alone was named, a file the user never edited
    base = resolve_config("gpu-hbm-pim-attn")
    child = tmp_path / "newlevel.yaml"
    child.write_text("base: gpu-hbm-pim-attn\nmemory:\n  sram: {}\n  smem: {capacity: 32 MiB, "
                     "bandwidth: 8 TB/s, energy_per_byte: 5 pJ/B}\n  dram: {}\n")
    assert _error(child).startswith(f"{child} (base: {base}): memory.sram.capacity: 50 MiB "
                                    "(52.43 MB) is more than 'smem' outside it, 32 MiB (33.55 MB)")
    # nolink.yaml: its links: null deletes the link its base (attacc-sep2.yaml) names in pim.link
    mid = tmp_path / "attacc-sep2.yaml"
    mid.write_text("base: gpu-hbm-pim-attn\nlinks:\n  nvlink: {bandwidth: 450 GB/s, latency: 2 us, "
                   "energy_per_bit: 1.3 pJ/bit}\npim: {sharing: separate, link: nvlink}\n")
    kid = tmp_path / "nolink.yaml"
    kid.write_text("base: attacc-sep2.yaml\nlinks: null\n")
    assert _error(kid) == (f"{kid} (base: {mid} -> {base}): pim.link: 'nvlink' is not a link; the "
                           f"architecture has []; links: deleted by {kid}'s null")
    # a child's null on a level that its base's processor.tdp_includes names
    kid.write_text("base: gpu-hbm-pim-attn\nmemory: {sram: null}\n")
    assert _error(kid) == (f"{kid} (base: {base}): processor.tdp_includes: names no memory level or "
                           f"link ['sram']; the architecture has ['dram']; memory.sram: deleted by "
                           f"{kid}'s null")
    # a misspelt link in the child is the child's alone (no file has a link of that name)
    kid.write_text("base: attacc-sep2.yaml\npim: {link: nvlnk}\n")
    assert _error(kid) == f"{kid}: pim.link: 'nvlnk' is not a link; the architecture has ['nvlink']"


def test_a_required_field_a_child_sets_to_null_says_the_child_deleted_it(tmp_path):
    # find-B4 4: "required field is missing" sent the user to the base, which states it
    child = tmp_path / "nullreq.yaml"
    child.write_text("base: gpu-hbm-pim-attn\npim: {clock: null}\n")
    assert _error(child) == (f"{child}: pim.clock: required field is missing (Clock of a processing "
                             f"unit.); {child}'s null deleted the value its base gives")
    # a grandchild that states it again has no error: the deletion is forgotten
    again = tmp_path / "again.yaml"
    again.write_text("base: nullreq.yaml\npim: {clock: 300 MHz}\n")
    assert float(load_architecture(again).component("pim").config.clock) == 300e6


def test_a_null_on_a_key_the_base_lacks_is_refused_as_set_refuses_it(tmp_path):
    # review B4 1: a misspelt null (static_powr) deleted nothing and kept cpu-ddr5's 40 W
    typo = tmp_path / "typo.yaml"
    typo.write_text("base: cpu-ddr5\nname: k1\nprocessor: {static_powr: null, cores: 8}\n")
    msg = _error(typo)
    assert msg.startswith(f"{typo}: processor.static_powr: null deletes nothing: its base has no such key (")
    assert "did you mean 'processor.static_power'?" in msg
    typo.write_text("base: cpu-ddr5\nname: k1\nprocessr: null\n")
    assert "processr: null deletes nothing" in _error(typo) and "did you mean 'processor'?" in _error(typo)
    # a null on a key its own base's null deleted already says which file did
    d1, d2 = tmp_path / "d1.yaml", tmp_path / "d2.yaml"
    d1.write_text("base: cpu-ddr5\nname: k\nprocessor: {op_overhead: null}\n")
    d2.write_text("base: d1.yaml\nprocessor: {op_overhead: null}\n")
    assert _error(d2).startswith(f"{d2}: processor.op_overhead: null deletes nothing: its base has no "
                                 f"such key ({d1}'s null deleted it already)")
    # d1's null, on a key cpu-ddr5 has, still deletes it: the schema's default, as --set gives
    want = load_architecture("cpu-ddr5", {"processor.op_overhead": None}).component("processor").config
    assert load_architecture(d1).component("processor").config.op_overhead == want.op_overhead


def test_placeholders_null_or_empty_in_a_child_is_refused_not_ignored(tmp_path):
    # review B4 3: `placeholders: null` kept cpu-ddr5's 9 marks without a word, though null
    # deletes a key; a mark goes only with its value, so the child is told so
    base_marks = read_yaml(resolve_config("cpu-ddr5"))["placeholders"]
    assert len(base_marks) == 9
    pn = tmp_path / "pn.yaml"
    for text in ("null", "[]"):
        pn.write_text(f"base: cpu-ddr5\nname: pn\nplaceholders: {text}\n")
        assert _error(pn).startswith(f"{pn}: placeholders: {text} does not clear the base's placeholder "
                                     f"marks ({', '.join(base_marks)}): a mark goes only with its value")
    # a child's list still adds to the base's: 9 + 1 marks
    pn.write_text("base: cpu-ddr5\nname: pn\nplaceholders: [processor.cores]\n")
    assert set(load_architecture(pn).placeholders) >= {*base_marks, "processor.cores"}


def test_a_relative_base_in_a_symlinked_file_is_read_from_the_link_target_folder(tmp_path, monkeypatch):
    # review B4 2: real/mid.yaml says `base: gp.yaml`; reached through sub2/mid.yaml (a link)
    # its base was looked for as sub2/gp.yaml, which is not there
    (tmp_path / "real").mkdir()
    (tmp_path / "sub2").mkdir()
    gp, mid = tmp_path / "real" / "gp.yaml", tmp_path / "real" / "mid.yaml"
    gp.write_text("base: cpu-ddr5\nname: gp\n")
    mid.write_text("base: gp.yaml\nname: mid\nprocessor: {cores: 12}\n")
    (tmp_path / "sub2" / "mid.yaml").symlink_to("../real/mid.yaml")
    kid = tmp_path / "sub2" / "kid.yaml"
    kid.write_text("base: mid.yaml\nname: kid\n")
    arch = load_architecture(kid)
    assert (arch.name, arch.component("processor").config.cores) == ("kid", 12)
    # the chain's SHA-256: kid, the link (mid's bytes), real/gp.yaml, cpu-ddr5, one line each
    lines = "".join(f"{_sha(f)}\n" for f in (kid, mid, gp, resolve_config("cpu-ddr5"))).encode()
    assert arch.source.record()["sha256"] == hashlib.sha256(lines).hexdigest()
    # a link in the working folder, given by a relative path
    monkeypatch.chdir(tmp_path)
    (tmp_path / "midlink.yaml").symlink_to("real/mid.yaml")
    assert load_architecture("midlink.yaml").component("processor").config.cores == 12


def test_a_config_from_standard_input_reads_its_base_from_the_working_folder(tmp_path):
    # review B4 4: `< other/k5.yaml` made /dev/stdin a regular file whose folder was /dev
    # (no config file /dev/../k4.yaml); a pipe used the working folder; now both use it
    import os
    import subprocess
    import sys

    (tmp_path / "other").mkdir()
    (tmp_path / "k4.yaml").write_text("base: cpu-ddr5\nname: k4\nprocessor: {cores: 4}\n")
    k5 = tmp_path / "other" / "k5.yaml"
    k5.write_text("base: k4.yaml\nname: k5\n")  # k4.yaml is in the working folder, not in other/
    code = "from cimsim.config import load_architecture as l; print(l('/dev/stdin').component('processor').config.cores)"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    run = dict(args=[sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    with open(k5) as fed:  # `< other/k5.yaml`: a regular file
        got = subprocess.run(**run, stdin=fed)
    assert (got.returncode, got.stdout.strip()) == (0, "4"), got.stderr
    got = subprocess.run(**run, input=k5.read_text())  # `cat other/k5.yaml |`: a pipe
    assert (got.returncode, got.stdout.strip()) == (0, "4"), got.stderr


def test_a_chain_names_its_files_with_dot_dot_folded_where_that_is_the_same_file(tmp_path):
    # review B4 5: an error in ../k4.yaml named it other/../k4.yaml
    (tmp_path / "other").mkdir()
    k4 = tmp_path / "k4.yaml"
    k4.write_text("base: cpu-ddr5\nname: k4\nprocessor: {cors: 3}\n")
    k5 = tmp_path / "other" / "k5.yaml"
    k5.write_text("base: ../k4.yaml\nname: k5\n")
    assert _error(k5).startswith(f"{k4}: processor.cors: unknown key (did you mean 'cores'?)")
    # lnk -> deep/inner: lnk/../y.yaml is deep/y.yaml, which folding would lose: kept as joined
    (tmp_path / "deep" / "inner").mkdir(parents=True)
    (tmp_path / "deep" / "y.yaml").write_text("base: cpu-ddr5\nname: y\nprocessor: {cores: 6}\n")
    (tmp_path / "lnk").symlink_to("deep/inner")
    x = tmp_path / "lnk" / "x.yaml"
    x.write_text("base: ../y.yaml\nname: x\n")
    assert load_architecture(x).component("processor").config.cores == 6
