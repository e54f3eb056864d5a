"""The link between the edge and the server of a split: an uplink rate, an optional downlink rate,
a latency per message, and the radio's energy per bit on each end.

A link is a YAML file or an inline spec (``uplink=10Mb/s,downlink=50Mb/s,rtt=40ms,
tx_energy=50nJ/bit,rx_energy=20nJ/bit``). Fields:

``name``
    the label in tables, columns and figures (default: the file's stem, or the spec itself; not
    empty);
``uplink`` (or ``bandwidth``)
    edge to server rate, a bit or byte rate (``100 Mb/s`` = 12.5 MB/s);
``downlink``
    server to edge rate; given, the model outputs the server makes come back (their bytes at
    this rate, plus the latency); left out, nothing comes back (the server keeps the answer);
``latency`` or ``rtt``
    one message's latency (``rtt`` is taken as twice it); each message sent pays it once;
``tx_energy`` (or ``energy_per_bit``), ``rx_energy``
    the sending and the receiving radio's energy per bit (0 J/bit when left out): uplink, the edge
    pays TX and the server RX; downlink, the server pays TX and the edge RX.

A transfer of ``B`` bytes takes ``B x 8 / rate + latency`` and costs ``B x 8 x energy per bit``
at each end; 0 bytes is no message (no latency). A field given twice (inline or in the file) is
refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import ConfigError
from ..units import UnitError, parse_quantity

_FIELDS = {"name": None, "uplink": "B/s", "bandwidth": "B/s", "downlink": "B/s", "latency": "s",
           "rtt": "s", "tx_energy": "J/B", "energy_per_bit": "J/B", "rx_energy": "J/B"}


@dataclass(frozen=True)
class SplitLink:
    """An edge-server link (rates in bytes/s, energies in J per byte)."""

    name: str
    uplink_bytes_per_s: float
    downlink_bytes_per_s: float | None = None
    latency_s: float = 0.0
    tx_j_per_byte: float = 0.0
    rx_j_per_byte: float = 0.0

    def up_s(self, nbytes: int) -> float:
        """Time to send ``nbytes`` uplink (0 for nothing sent)."""
        return nbytes / self.uplink_bytes_per_s + self.latency_s if nbytes else 0.0

    def down_s(self, nbytes: int) -> float:
        """Time to send ``nbytes`` back downlink (0 without a downlink or with nothing to send)."""
        if not nbytes or self.downlink_bytes_per_s is None:
            return 0.0
        return nbytes / self.downlink_bytes_per_s + self.latency_s

    def at_uplink(self, bytes_per_s: float, digits: int = 4) -> "SplitLink":
        """This link at another uplink rate, named ``name@rate`` (the rate to ``digits``)."""
        from ..units import si

        return replace(self, name=f"{self.name}@{si(bytes_per_s * 8, 'b/s', digits)}",
                       uplink_bytes_per_s=bytes_per_s)

    def at_uplinks(self, rates: list[float]) -> list["SplitLink"]:
        """This link at each of ``rates`` (B/s), named ``name@rate`` with as many digits as
        tell them apart (4 at least); the same rate twice is a one-line ConfigError."""
        same = [r for i, r in enumerate(rates) if r in rates[:i]]
        if same:
            from ..units import si

            raise ConfigError(f"--bandwidth: {si(same[0] * 8, 'b/s')} is given twice; give each "
                              "rate once")
        digits = 4
        while len({self.at_uplink(r, digits).name for r in rates}) < len(rates) and digits < 17:
            digits += 1
        return [self.at_uplink(r, digits) for r in rates]


def _fields(text: str) -> tuple[dict, str]:
    """The link's fields from a YAML file or an inline spec, and where they came from."""
    path = Path(text)
    if text.endswith((".yaml", ".yml")) or path.is_file():
        import yaml

        from ..config.yamlread import load_text, syntax_error

        try:
            raw = path.read_text(encoding="utf-8")
            data = load_text(raw)  # a key given twice is refused
        except OSError as exc:
            raise ConfigError(f"--link {text}: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"--link {text}: not a link YAML file ({syntax_error(exc, raw)})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"--link {text}: expected a mapping of link fields "
                              f"({', '.join(_FIELDS)}), got {type(data).__name__}")
        return dict(data, name=data.get("name", path.stem)), text
    data: dict = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        key, eq, value = item.partition("=")
        if not eq:
            raise ConfigError(f"--link {text!r}: {item!r} is not KEY=VALUE (e.g. 'uplink=10Mb/s,"
                              "latency=20ms,tx_energy=10nJ/bit'), nor a link YAML file")
        if key.strip() in data:
            raise ConfigError(f"--link {text!r}: {key.strip()!r} is given twice; give each field once")
        data[key.strip()] = value.strip()
    data.setdefault("name", text)
    return data, f"--link {text!r}"


def parse_link(text: str | dict, uplink_given: bool = False) -> SplitLink:
    """A :class:`SplitLink` from a YAML file, an inline ``KEY=VALUE,...`` spec or a dict of the
    same fields (see the module's docstring); a bad field is a one-line :class:`ConfigError`.
    ``uplink_given``: the rate comes from elsewhere (``--bandwidth``), so ``uplink`` may be left
    out (the link then holds NaN until :meth:`SplitLink.at_uplinks` sets it)."""
    data, where = (dict(text), "link") if isinstance(text, dict) else _fields(text)
    unknown = [k for k in data if k not in _FIELDS]
    if unknown:
        raise ConfigError(f"{where}: unknown field {unknown[0]!r}; a link takes "
                          f"{', '.join(_FIELDS)}")
    for a, b in (("uplink", "bandwidth"), ("latency", "rtt"), ("tx_energy", "energy_per_bit")):
        if a in data and b in data:
            raise ConfigError(f"{where}: give {a} or {b}, not both")
    values: dict[str, float] = {}
    for key, unit in _FIELDS.items():
        if unit is None or key not in data:
            continue
        try:
            v = parse_quantity(data[key], unit)
        except UnitError as exc:
            raise ConfigError(f"{where}: {key}: {exc}") from None
        positive = unit == "B/s"
        if not math.isfinite(v) or v < 0 or (positive and v == 0):
            raise ConfigError(f"{where}: {key}: {data[key]!r} must be "
                              f"{'above 0' if positive else '0 or more'}")
        values[key] = v
    up = values.get("uplink", values.get("bandwidth"))
    if up is None and uplink_given:
        up = math.nan
    elif up is None:
        raise ConfigError(f"{where}: no uplink rate; give uplink= (or bandwidth=), e.g. "
                          "'uplink=10Mb/s'")
    latency = values.get("latency", values.get("rtt", 0.0) / 2)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: name: {name!r} is no label; give a non-empty name (the "
                          "tables', columns' and figure's label), or leave name out")
    return SplitLink(name.strip(), up, values.get("downlink"), latency,
                     values.get("tx_energy", values.get("energy_per_bit", 0.0)),
                     values.get("rx_energy", 0.0))
