"""The registries of CIM parts: ADC models and cell presets, by name, as Accelergy finds its
parts (one class or record per part, with its own model, found through a registry).

- ADC models (:class:`cimsim.hw.circuits.adc.ADCModel` subclasses, the ``cim.adc.type``
  names): entry-point group ``cimsim.adcs``; the built-ins ``sar``, ``flash``, ``ramp`` and
  ``current_sense`` are entry points of :data:`ADC_BUILTINS`;
- cell presets (:class:`cimsim.hw.circuits.array.Cell` records, the ``cim.cell.type``
  names): entry-point group ``cimsim.cells`` (the entry point names the record, e.g.
  ``my-fefet = "my_pkg.cells:MY_FEFET"``); the built-ins are :data:`cimsim.hw.circuits.array.CELLS`.

Each registry loads the built-ins, then the installed entry points, on first use;
``cimsim.hw.register(...)`` adds one at run time (an ``ADCModel`` subclass or a ``Cell``). A
name another part has is refused, as for components; an installed entry point that fails to
load or register makes its name a one-line error when a config uses it (the others work).
"""

from __future__ import annotations

import math
import warnings
from importlib.metadata import EntryPoint, entry_points
from typing import Callable, Iterable

from ...errors import ComponentError, did_you_mean
from ..guard import guard, is_plugin
from ..registry import EntryPointClash

ADC_GROUP = "cimsim.adcs"
CELL_GROUP = "cimsim.cells"

#: the built-in ADC models, as entry points of :data:`ADC_GROUP`
ADC_BUILTINS: tuple[EntryPoint, ...] = tuple(
    EntryPoint(name, f"cimsim.hw.circuits.adc:{cls}", ADC_GROUP) for name, cls in (
        ("sar", "SAR"), ("flash", "Flash"), ("ramp", "Ramp"), ("current_sense", "CurrentSense")))


def origin(part) -> str:
    """Where a part comes from: ``module.Class`` of an ADC model; a cell record's entry point
    (or ``cimsim`` for a built-in, ``run time`` for one given to ``cimsim.hw.register``)."""
    if isinstance(part, type):
        return f"{part.__module__}.{part.__qualname__}"
    return _ORIGINS.get(id(part), "run time")


#: id(cell record) -> where it was declared (its entry point, or cimsim for a built-in)
_ORIGINS: dict[int, str] = {}


#: what to call when a registered part comes or goes (the caches of what parts derive)
_ON_CHANGE: list[Callable[[], None]] = []


def on_change(clear: Callable[[], None]) -> None:
    """Call ``clear`` whenever a part is registered or unregistered at run time: a cache keyed
    by config (a design point's derived numbers) would otherwise keep a removed part's law."""
    _ON_CHANGE.append(clear)


def changed() -> None:
    for clear in _ON_CHANGE:
        clear()


class PartRegistry:
    """``name`` -> part for one kind of CIM part (one entry-point group)."""

    def __init__(self, group: str, what: str, builtins: Callable[[], Iterable],
                 check: Callable[[object], str]):
        self.group, self.what = group, what
        self._builtins, self._check = builtins, check  # check(part) -> its name, or raises
        self._types: dict[str, object] = {}
        self._builtin_names: set[str] = set()
        self._broken: dict[str, str] = {}
        self._runtime: dict[str, object] = {}  # registered by a call, not a built-in or entry point
        self._loaded = False

    def register(self, part, _builtin: bool = False, _entry: bool = False):
        """File ``part`` under its name and return it: refused (``TypeError`` or a one-line
        :class:`~cimsim.errors.ComponentError`) when it breaks the contract, ``ValueError`` when
        another part has its name."""
        name = self._check(part)
        if not _builtin:
            self._load()
        if self._types.get(name, part) is not part:
            raise ValueError(f"{self.what} '{name}' is already registered by "
                             f"{origin(self._types[name])}")
        self._types[name] = part
        if _builtin:
            self._builtin_names.add(name)
        else:
            if not _entry:
                self._runtime[name] = part
            changed()
        return part

    def runtime(self) -> dict:
        """The parts registered by a ``register`` call in this process (not the built-ins nor
        the installed entry points, which every process finds): what a sweep sends its workers."""
        return dict(self._runtime)

    def broken(self, name: str, why: str) -> None:
        """Make ``name`` a one-line error saying ``why`` (a part a worker could not register)."""
        self._load()
        self._broken[name] = why

    def unregister(self, name: str) -> None:
        """Remove ``name`` (nothing if absent); a built-in is a ``ValueError``."""
        self._load()
        if name in self._builtin_names:
            raise ValueError(f"'{name}' is a built-in {self.what}")
        self._runtime.pop(name, None)
        if self._types.pop(name, None) is not None:
            changed()

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for part in self._builtins():
            self.register(part, _builtin=True)
        seen: dict[str, str] = {}
        for ep in entry_points(group=self.group):
            pkg = ep.dist.name if ep.dist is not None else "a package"
            where = f"{pkg} (entry point {ep.name} = {ep.value})"
            if ep.name in self._builtin_names:
                warnings.warn(f"{self.group} entry point '{ep.name}' ({ep.value}) is named like "
                              f"the built-in {self.what} '{ep.name}' and is ignored: rename it or "
                              f"uninstall {pkg}", EntryPointClash, stacklevel=2)
                continue
            try:  # one broken package must not break the others, nor configs not using it
                part = ep.load()
                if not isinstance(part, type):
                    _ORIGINS[id(part)] = f"entry point {ep.value}"
                name = self._check(part)
                if name in seen:
                    self._types.pop(name, None)
                    self._broken[name] = (f"{self.what} '{name}' is declared by 2 installed "
                                          f"packages: {seen[name]} and {where}; uninstall one, or "
                                          "rename it in the other")
                    continue
                self.register(part, _entry=True)
                seen[name] = where
            except Exception as exc:  # noqa: BLE001  (an installed package's code: any error)
                msg = " ".join(str(exc).split()) or type(exc).__name__
                self._broken[ep.name] = (f"{self.what} '{ep.name}' ({where}) is installed but "
                                         f"could not be registered: {msg}")

    def types(self) -> dict:
        """Every usable part, by name: built-ins first."""
        self._load()
        return dict(self._types)

    def get(self, name: str):
        """The part called ``name``: a ``ValueError`` naming the registered ones (and the
        closest) for an unknown name, a :class:`~cimsim.errors.ComponentError` saying why for
        an installed one that could not be registered."""
        t = self.types()
        if name in self._broken:
            raise ComponentError(self._broken[name])
        if name not in t:
            raise ValueError(self.unknown(name))
        return t[name]

    def unknown(self, name: str) -> str:
        """One line: ``name`` is no registered part; the registered ones; did you mean."""
        t = self.types()
        if name in self._broken:
            return self._broken[name]
        return (f"{self.what} {name!r} is not registered{did_you_mean(name, t)}; registered: "
                f"{', '.join(t)} (add one with cimsim.hw.register or the entry-point group "
                f"{self.group})")


# ---------------------------------------------------------------- ADC models

def _adc_name(cls) -> str:
    from ..circuits.adc import ADCModel

    if not (isinstance(cls, type) and issubclass(cls, ADCModel)):
        raise TypeError(f"{cls!r} is not an ADCModel subclass (cimsim.hw.circuits.adc)")
    name = cls.type_name
    where = f"ADC model '{name}' ({origin(cls)})"
    if not (isinstance(name, str) and name.strip()):
        raise ComponentError(f"ADC model {origin(cls)} has no type_name (a non-empty string)")
    missing = [f"{m}()" for m in ("energy", "conversion_time")
               if getattr(cls, m) is getattr(ADCModel, m)]
    if missing:
        raise ComponentError(f"{where} does not implement {' and '.join(missing)}, which every "
                             "ADC model must (see cimsim.hw.circuits.adc.ADCModel)")
    bad = [a for a, t in (("source", str), ("time_source", str), ("placeholder", bool))
           if not isinstance(getattr(cls, a), t)]
    if bad:
        raise ComponentError(f"{where}: {', '.join(bad)} must be "
                             + ", ".join("a bool" if a == "placeholder" else "a string" for a in bad))
    if is_plugin(cls):
        guard(cls, ADCModel, lambda owner, _n: f"ADC model '{owner.type_name}' ({origin(owner)})")
    return name


def _adc_builtins():
    return [ep.load() for ep in ADC_BUILTINS]


adcs = PartRegistry(ADC_GROUP, "ADC type", _adc_builtins, _adc_name)


# ---------------------------------------------------------------- cell presets

#: the numeric fields of a cell record: (field, allows 0)
_CELL_NUMBERS = (("height_f", False), ("width_f", False), ("r_on_ohm", False), ("on_off", False),
                 ("read_voltage_v", False), ("read_pulse_s", False), ("read_current_a", False),
                 ("unit_capacitance_f", False), ("rows_per_register", False),
                 ("row_gate_units", True), ("max_bits_per_cell", False))


def _cell_name(cell) -> str:
    from ..circuits.array import Cell

    if not isinstance(cell, Cell):
        raise TypeError(f"{cell!r} is not a cell preset (cimsim.hw.circuits.array.Cell)")
    where = f"cell preset '{cell.name}' ({origin(cell)})"
    if not (isinstance(cell.name, str) and cell.name.strip()):
        raise ComponentError(f"cell preset ({origin(cell)}) has no name (a non-empty string)")
    for f, zero in _CELL_NUMBERS:
        v = getattr(cell, f)
        ok = v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)
                           and math.isfinite(v) and (v >= 0 if zero else v > 0))
        if not ok:
            raise ComponentError(f"{where}: {f} {v!r} is not a finite number "
                                 f"{'>= 0' if zero else '> 0'}")
    mb = cell.max_bits_per_cell  # a cell holds whole bits: 1.5 read "holds at most 1.5 bits"
    if mb is not None and not (isinstance(mb, int) and mb >= 1):  # bool: refused above
        raise ComponentError(f"{where}: max_bits_per_cell {mb!r} is not a positive integer "
                             "(the bits a cell holds: 1 for a binary cell)")
    allowed = override_fields()
    pf = cell.placeholder_fields
    if not (isinstance(pf, tuple) and all(isinstance(f, str) and f in allowed for f in pf)):
        raise ComponentError(f"{where}: placeholder_fields {pf!r} is not a tuple of cim.cell "
                             f"fields; allowed: {', '.join(allowed)} (the config's names: r_on, "
                             "not r_on_ohm)")
    w = cell.off_width_f
    if w is not None and not (isinstance(w, tuple) and len(w) == 2 and all(
            isinstance(x, (int, float)) and math.isfinite(x) and x >= 0 for x in w)):
        raise ComponentError(f"{where}: off_width_f {w!r} is not (nMOS F, pMOS F), two finite "
                             "numbers >= 0")
    return cell.name


def override_fields() -> tuple[str, ...]:
    """The ``cim.cell`` fields that override a preset's value (None unless given): what a
    preset's ``placeholder_fields`` may name."""
    from .cell import Cell

    return tuple(f for f, info in Cell.model_fields.items() if f != "type" and info.default is None)


def _cell_builtins():
    from ..circuits.array import CELLS

    _ORIGINS.update({id(c): "cimsim" for c in CELLS.values()})
    return list(CELLS.values())


cells = PartRegistry(CELL_GROUP, "cell type", _cell_builtins, _cell_name)


def technology_of(cell) -> str:
    """The ``cim.technology`` a cell goes with: ``rram`` for the resistive (non-volatile, read by
    cell current) cells, ``sram`` for the others."""
    return "rram" if cell.kind == "resistive" else "sram"


def technology_cells(technology: str) -> tuple[str, ...]:
    """The registered cell types ``technology`` accepts."""
    return tuple(n for n, c in cells.types().items() if technology_of(c) == technology)
