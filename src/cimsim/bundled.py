"""Where the bundled configs and workloads live.

In a source checkout (editable install) they are the repository's top-level
``configs/`` and ``workloads/``; a wheel ships copies inside the package
(``cimsim/data/``). ``CIMSIM_HOME`` overrides both.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import CimsimError, ConfigError, WorkloadError

_PKG = Path(__file__).resolve().parent


def _root_candidates() -> list[Path]:
    out = []
    if os.environ.get("CIMSIM_HOME"):
        out.append(Path(os.environ["CIMSIM_HOME"]))
    checkout = _PKG.parent.parent  # src/cimsim -> the repository root
    if _is_cimsim_project(checkout / "pyproject.toml"):
        out.append(checkout)
    out.append(_PKG / "data")  # a wheel's copies (links to the top-level dirs in a checkout)
    return out


def _is_cimsim_project(pyproject: Path) -> bool:
    """Whether ``pyproject`` is cimsim's own (``[project] name = "cimsim"``), not that of a
    project that vendors an installed cimsim two folders below its root."""
    import tomllib

    try:
        with pyproject.open("rb") as f:
            return tomllib.load(f).get("project", {}).get("name") == "cimsim"
    except (OSError, ValueError, AttributeError):
        return False


def _bundled_dir(name: str) -> Path:
    for root in _root_candidates():
        d = root / name
        if d.is_dir() and any(d.iterdir()):
            return d
    raise CimsimError(
        f"cannot find the bundled '{name}/' directory (looked in "
        f"{', '.join(str(r) for r in _root_candidates())}); set CIMSIM_HOME to a cimsim checkout"
    )


def configs_dir() -> Path:
    """The folder of the bundled hardware configs (``configs/`` in a checkout)."""
    return _bundled_dir("configs")


def workloads_dir() -> Path:
    """The folder of the bundled workloads (``workloads/`` in a checkout)."""
    return _bundled_dir("workloads")


def config_paths() -> list[Path]:
    """All bundled architecture files, sorted by name."""
    return sorted(configs_dir().glob("*.yaml"))


def workload_paths() -> list[Path]:
    """All bundled workload files, sorted by name."""
    return sorted(workloads_dir().glob("*.json"))


#: the validation suites' configs and workloads (``neurosim-vgg8``, ``vgg8-cifar10``), which
#: ship inside the package: a name resolves there after the bundled directories
VALIDATION_DIR = _PKG / "data" / "validation"


def _validation(suffix: str) -> list[Path]:
    return sorted(VALIDATION_DIR.glob(f"*{suffix}")) if VALIDATION_DIR.is_dir() else []


def _named(name: str, bundled: Path, suffix: str) -> Path | None:
    for cand in (bundled / f"{name}{suffix}", VALIDATION_DIR / f"{name}{suffix}"):
        if "/" not in name and cand.is_file():
            return cand
    return None


def resolve_config(name_or_path: str) -> Path:
    """A path as given, or the bundled config of that name (``gpu-hbm3``), else a validation
    suite's (``neurosim-vgg8``)."""
    p = Path(name_or_path)
    if p.exists():
        return p
    cand = _named(name_or_path, configs_dir(), ".yaml")
    if cand is not None:
        return cand
    names = ", ".join(x.stem for x in config_paths())
    more = ", ".join(x.stem for x in _validation(".yaml"))
    raise ConfigError(f"no config file '{name_or_path}' and no bundled config of that name ({names}"
                      + (f"; validation configs: {more}" if more else "") + ")")


def resolve_workload(name_or_path: str) -> Path:
    """A path as given, or the bundled workload of that name (``lstm``), else a validation
    suite's (``vgg8-cifar10``)."""
    p = Path(name_or_path)
    if p.exists():
        return p
    cand = _named(name_or_path, workloads_dir(), ".json")
    if cand is not None:
        return cand
    names = ", ".join(x.stem for x in workload_paths())
    more = ", ".join(x.stem for x in _validation(".json"))
    raise WorkloadError(f"no workload file '{name_or_path}' and no bundled workload of that name "
                      f"({names}" + (f"; validation workloads: {more}" if more else "") + ")")


def _is_config(name_or_path: str) -> bool:
    p = Path(name_or_path)
    return ((p.is_file() and p.suffix in (".yaml", ".yml"))
            or _named(name_or_path, configs_dir(), ".yaml") is not None)


def _is_workload(name_or_path: str) -> bool:
    p = Path(name_or_path)
    return ((p.is_file() and p.suffix in (".json", ".npz"))
            or _named(name_or_path, workloads_dir(), ".json") is not None)


def resolve_pair(config: str, workload: str) -> tuple[Path, Path]:
    """The config and workload paths of ``cimsim run CONFIG WORKLOAD``; a command line that
    gives them the other way round (``cimsim run lstm gpu-hbm3``) is refused saying so."""
    if not _is_config(config) and _is_workload(config) and _is_config(workload):
        raise CimsimError(f"'{config}' is a workload and '{workload}' a config: the config comes "
                          f"first, e.g. cimsim run {workload} {config}")
    return resolve_config(config), resolve_workload(workload)
