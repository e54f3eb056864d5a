"""A plug-in level written the README's way (a nested ``class Config``) whose energy reads a
rate is named in the error by its class and type; before, the message said "'bandwidth' of a
Config", which names no type (every such plug-in's model is called Config)."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import Field

from cimsim.hw import registry
from cimsim.hw.base import RATE, STREAM, BytesPerSecond, MemoryLevel, MemoryResource, RateFree


class Leaky(MemoryResource):
    type_name = "test-leaky"

    class Config(MemoryLevel):
        type: Literal["test-leaky"] = Field(default="test-leaky", description="Resource type.")
        bandwidth: BytesPerSecond = Field(description="Peak bandwidth.", json_schema_extra=RATE)

    def peak_bytes_per_s(self):
        return self.config.bandwidth

    def bytes_per_s(self, pattern=STREAM):
        return self.config.bandwidth

    def joules_per_byte(self, pattern=STREAM):
        return 1e-12 * (1 + self.config.bandwidth / 1e12)


def test_a_rate_read_names_the_plug_in_type():
    cfg = Leaky.Config(bandwidth="1 TB/s", capacity="1 GB", energy_per_byte="1 pJ/B")
    assert Leaky("dram", cfg).joules_per_byte() == pytest.approx(2e-12, rel=1e-12, abs=0)  # the full view reads it
    view = Leaky("dram", RateFree(cfg))
    with pytest.raises(AttributeError, match=r"^'bandwidth' of a Leaky\.Config \(type: test-leaky\) "
                                             r"is a rate field"):
        view.joules_per_byte()
    with pytest.raises(AttributeError, match=r"^Leaky\.Config \(type: test-leaky\) \(rate-free view\) "
                                             r"has no field 'nope'"):
        view.config.nope
    assert registry.memory_types()["fixed"].Config.__qualname__ == "FixedLevel"


def test_a_run_whose_level_reads_a_rate_in_its_energy_is_one_line_naming_the_level():
    """The stages read each level's energy per byte through the rate-free view: reading a rate
    there was an AttributeError traceback from deep in the cost table."""
    from cimsim import bundled, simulate
    from cimsim.config import architecture_from_dict, read_yaml
    from cimsim.errors import ComponentError
    from cimsim.workload.generators import lstm

    registry.register(Leaky)
    try:
        d = read_yaml(bundled.resolve_config("cpu-ddr5"))
        d["memory"]["dram"] = {"type": "test-leaky", "bandwidth": "100 GB/s", "capacity": "256 GB",
                               "energy_per_byte": "1 pJ/B"}
        arch = architecture_from_dict(d)
        with pytest.raises(ComponentError) as e:
            simulate(arch, lstm(input_size=8, hidden=8, layers=1, steps=2))
        assert str(e.value).startswith("memory level 'dram' (type: test-leaky): joules_per_byte() read "
                                       "'bandwidth' of a Leaky.Config (type: test-leaky) is a rate field")
    finally:
        registry.unregister("test-leaky", kind="memory")
