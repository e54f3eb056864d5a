"""Accuracy of a model on a CIM design: the CIM's arithmetic in place of the model's matmuls.

- :mod:`.arith`: :class:`Arith`, one design point's arithmetic (from a CIM config);
- :mod:`.nonideal`: :class:`NonIdeal`, the optional ``nonideal:`` block;
- :mod:`.emulator`: the functional CIM matmul (torch);
- :mod:`.layerbits`: :class:`LayerBits`, a weight's own bits (``evaluate(..., layer_bits=)``),
  and :func:`from_workload`, which reads them from a traced workload's tags;
- :mod:`.run`: :func:`evaluate` runs a model under a dispatch mode and scores its outputs;
- :mod:`.data`, :mod:`.models`: bundled data sets and models (no download).

Importing this package does not import torch (:mod:`.arith` and :mod:`.nonideal` need only
pydantic), so a config can declare a ``nonideal:`` block without the torch extra.
"""

from .arith import Arith
from .nonideal import NonIdeal


def __getattr__(name):  # torch only when asked for (layerbits imports it)
    if name in ("LayerBits", "from_workload"):
        from . import layerbits
        return getattr(layerbits, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Arith", "NonIdeal", "LayerBits", "from_workload"]
