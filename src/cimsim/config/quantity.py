"""Re-export of :mod:`cimsim.quantity` (the quantity field types live there so that
hardware components can import them without importing the config stage)."""

from ..quantity import *  # noqa: F401,F403
from ..quantity import QuantityUnit  # noqa: F401
