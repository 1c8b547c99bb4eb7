"""The ``Engine`` protocol: the only way ChatBI talks to a warehouse."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import pandas as pd

__all__ = ["Engine"]


@runtime_checkable
class Engine(Protocol):
    """Runs read-only SQL and returns a DataFrame. Implementations must be thread-safe."""

    #: the sqlglot dialect the semantic layer compiles for (``duckdb``, ``postgres`` ...)
    dialect: str

    def execute(self, sql: str) -> pd.DataFrame: ...

    def close(self) -> None: ...
