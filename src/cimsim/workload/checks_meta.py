"""The workload metadata that states what a sample holds: ``items_per_sample`` (a clip's
frames, a sequence's tokens, a read's base pairs: ``cimsim trace --items-per-sample N``) and
``item_name`` (``--item-name``: frame, token, bp), which the per-item result columns
(``items_per_s``, ``j_per_item``: :func:`cimsim.report.samples.per_sample_facts`) read."""

from __future__ import annotations

import math
from typing import Mapping

from ..errors import WorkloadError
from .checks import describe


def check_items(name: str, metadata: Mapping[str, object]) -> None:
    """``items_per_sample`` a positive finite number; ``item_name`` a non-empty name, given with it."""
    items, item = metadata.get("items_per_sample"), metadata.get("item_name")
    if items is not None and (isinstance(items, bool) or not isinstance(items, (int, float))
                              or not math.isfinite(items) or items <= 0):
        raise WorkloadError(f"workload '{name}': metadata.items_per_sample must be a positive number "
                            f"(the frames, tokens or base pairs one sample holds), got {describe(items)}")
    if item is not None and (not isinstance(item, str) or not item.strip() or items is None):
        raise WorkloadError(f"workload '{name}': metadata.item_name must be a non-empty name (frame, "
                            f"token, bp) given with metadata.items_per_sample, got {describe(item)}"
                            + ("" if items is not None else " without items_per_sample"))
