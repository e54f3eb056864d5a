"""Host facts the kernel reports: CPU model, clock, instruction-set flags, caches, memory size.

Nothing here times anything; :mod:`.measure` does. Each function reads what Linux exposes
(``lscpu``, ``/proc/cpuinfo``, ``/proc/meminfo``, ``/sys/devices/system/cpu``) and says
``None`` / ``unknown`` when it is not there (another OS, a container without ``/sys``).
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import statistics
import subprocess
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
CPUFREQ_MAX = Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")


def _cpuinfo() -> str:
    try:
        return CPUINFO.read_text()
    except OSError:
        return ""


def cpu_model() -> str:
    """The CPU's model name (lscpu, else /proc/cpuinfo, else platform)."""
    if shutil.which("lscpu"):
        try:
            out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10,
                                 env={**os.environ, "LC_ALL": "C"}).stdout
            m = re.search(r"^Model name:\s*(.+)$", out, re.M)
            if m:
                return m.group(1).strip()
        except (OSError, subprocess.SubprocessError):
            pass
    m = re.search(r"^model name\s*:\s*(.+)$", _cpuinfo(), re.M)
    if m:
        return m.group(1).strip()
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_clock_hz() -> tuple[float | None, str]:
    """Core clock from /proc/cpuinfo ("cpu MHz", median over CPUs), else cpufreq's maximum."""
    mhz = [float(v) for v in re.findall(r"^cpu MHz\s*:\s*([\d.]+)", _cpuinfo(), re.M)]
    if mhz:
        return statistics.median(mhz) * 1e6, "/proc/cpuinfo 'cpu MHz' (median over CPUs)"
    khz = max_clock_hz()
    if khz is not None:
        return khz, str(CPUFREQ_MAX)
    return None, "unknown"


def max_clock_hz() -> float | None:
    """The highest clock cpufreq allows (turbo included); None where cpufreq is absent (VMs)."""
    try:
        return float(CPUFREQ_MAX.read_text()) * 1e3
    except (OSError, ValueError):
        return None


def cpu_flags() -> frozenset[str]:
    """Instruction-set flags of the first CPU (x86 ``flags``, ARM ``Features``), lower case."""
    m = re.search(r"^(?:flags|Features)\s*:\s*(.*)$", _cpuinfo(), re.M)
    return frozenset(m.group(1).lower().split()) if m else frozenset()


def _size_bytes(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+)\s*([KMG]?)i?B?\s*", text, re.I)
    if not m:
        raise ValueError(text)
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2).upper()]


def sysfs_caches(cpu: int = 0) -> list[dict]:
    """Data/unified caches of ``cpu`` as the kernel reports them: level, size (B), CPUs sharing it."""
    out = []
    for d in sorted(Path(f"/sys/devices/system/cpu/cpu{cpu}/cache").glob("index*")):
        try:
            kind = (d / "type").read_text().strip()
            if kind == "Instruction":
                continue
            shared = (d / "shared_cpu_list").read_text().strip() if (d / "shared_cpu_list").exists() else ""
            out.append({"level": int((d / "level").read_text()), "size": _size_bytes((d / "size").read_text()),
                        "shared_cpu_list": shared})
        except (OSError, ValueError):
            continue
    return sorted(out, key=lambda c: c["level"])


def dram_capacity_bytes() -> float | None:
    try:
        m = re.search(r"^MemTotal:\s*(\d+)\s*kB", Path("/proc/meminfo").read_text(), re.M)
        return float(m.group(1)) * 1024 if m else None
    except OSError:
        return None
