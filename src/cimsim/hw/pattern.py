"""How a transfer touches a resource (:class:`Pattern`), re-exported by :mod:`.base`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pattern:
    """How a transfer touches a resource: streaming or independent accesses of
    ``access_bytes`` each, ``read_fraction`` of the bytes read. Ops state it in the tags
    ``access_bytes`` (0 = streaming) and ``read_fraction``; none stated: :data:`STREAM`."""

    random: bool = False
    access_bytes: float = 64.0  # bytes per independent access (random patterns only)
    read_fraction: float = 1.0  # 0..1

    def __post_init__(self):
        if not self.access_bytes > 0:
            raise ValueError(f"access_bytes must be > 0 (got {self.access_bytes})")
        if not 0.0 <= self.read_fraction <= 1.0:
            raise ValueError(f"read_fraction must be in [0, 1] (got {self.read_fraction})")

    @classmethod
    def stream(cls, read_fraction: float = 1.0) -> "Pattern":
        return cls(False, 64.0, read_fraction)

    @classmethod
    def random_access(cls, access_bytes: float, read_fraction: float = 1.0) -> "Pattern":
        return cls(True, float(access_bytes), read_fraction)


#: the default pattern of an op: all reads, streaming
STREAM = Pattern()
