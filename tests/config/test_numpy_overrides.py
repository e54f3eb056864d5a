"""NumPy scalars as ``overrides=`` values (find-F #4): ``np.int64`` and ``np.float64`` were
accepted, a NumPy bool (a mask's entry, ``rng.random() < p``) was refused with "Input should be
a valid boolean (got np.True_)". A NumPy bool now sets a boolean field as the Python bool does;
a NumPy integer there is still refused (a bool field takes no 1)."""

from __future__ import annotations

import numpy as np
import pytest

from cimsim import ConfigError, load_architecture

FIELD = "cim.weight_replication"


@pytest.mark.parametrize("flag", [True, False])
@pytest.mark.parametrize("make", [np.bool_, np.array])
def test_a_numpy_bool_sets_a_boolean_field(flag, make):
    got = load_architecture("sram-cim", overrides={FIELD: make(flag)})
    assert got == load_architecture("sram-cim", overrides={FIELD: flag})
    assert got.component("cim").config.weight_replication is flag


def test_a_numpy_integer_on_a_boolean_field_is_still_refused():
    with pytest.raises(ConfigError, match=r"cim.weight_replication: expected true or false \(got np.int64\(1\)\)"):
        load_architecture("sram-cim", overrides={FIELD: np.int64(1)})
    with pytest.raises(ConfigError, match=r"cim.weight_replication"):  # an array of two is no bool
        load_architecture("sram-cim", overrides={FIELD: np.array([True, False])})
