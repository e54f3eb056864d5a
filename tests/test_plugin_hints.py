"""The public plug-in interface is annotated (cimsim ships py.typed): every parameter and the
return of the ADC model a plug-in subclasses, `cimsim.hw.register`, `Component.provenance`
and the sweep's planning and column functions (a code review found them bare while their
sibling `cimsim.sweep()` was typed)."""

from __future__ import annotations

import inspect

import pytest

from cimsim.hw import ADCModel, Component, register
from cimsim.sweep import columns, params, runner

PUBLIC = [ADCModel.conversion_time, ADCModel.energy, ADCModel.area, register, Component.provenance,
          runner.plan_sweep, params.parse_param, params.parse_spec, params.field_kind,
          columns.sweep_columns, columns.param_columns]


@pytest.mark.parametrize("fn", PUBLIC, ids=lambda f: f.__qualname__)
def test_every_parameter_and_return_is_annotated(fn):
    sig = inspect.signature(fn)
    bare = [n for n, p in sig.parameters.items()
            if n != "self" and p.annotation is inspect.Parameter.empty]
    assert bare == [], f"{fn.__qualname__}: {bare} not annotated"
    assert sig.return_annotation is not inspect.Signature.empty, fn.__qualname__


def test_register_returns_what_it_was_given():
    # typed as `(cls: T) -> T`, so a decorated class keeps its type for the checker
    class Probe(ADCModel):
        type_name = "probe_hints"
        source = "test"

        def conversion_time(self, bits, node_nm, vdd=None):
            return 1e-9

        def energy(self, bits, node_nm, sample_rate, vdd=None):
            return 1e-12

    from cimsim.hw.registry import unregister

    try:
        assert register(Probe) is Probe
    finally:
        unregister("probe_hints", kind="adc")
