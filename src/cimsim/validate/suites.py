"""The built-in validation suites (each registers itself with :func:`cimsim.validate.suite`)."""

from __future__ import annotations

from . import host  # noqa: F401,E402
from . import gpu  # noqa: F401,E402
from . import pim  # noqa: F401,E402
