"""Dialect helpers live in :mod:`semantic_layer.dialects` (the guard and sqlbuild use them too,
without depending on the compiler); this name stays for the compiler's modules."""

from __future__ import annotations

from ..dialects import *  # noqa: F403
from ..dialects import __all__  # noqa: F401
