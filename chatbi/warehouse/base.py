"""The ``Engine`` protocol: the only way ChatBI talks to a warehouse."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import pandas as pd

__all__ = ["Engine", "DEFAULT_TIMEOUT_S", "DEFAULT_ENGINE_ROW_CAP", "mark_truncated"]

#: seconds a statement may run before the engine stops it
DEFAULT_TIMEOUT_S = 60.0
#: most rows an engine fetches for one statement (a memory safety net; ChatBI's guard caps lower)
DEFAULT_ENGINE_ROW_CAP = 1_000_000


@runtime_checkable
class Engine(Protocol):
    """Runs read-only SQL and returns a DataFrame. Implementations must be thread-safe."""

    #: the sqlglot dialect the semantic layer compiles for (``duckdb``, ``postgres`` ...)
    dialect: str

    def execute(self, sql: str) -> pd.DataFrame: ...

    def close(self) -> None: ...


def mark_truncated(frame: pd.DataFrame, row_cap: int) -> pd.DataFrame:
    """Cut ``frame`` to ``row_cap`` rows; ``attrs["truncated"]`` tells whether rows were dropped."""
    truncated = len(frame) > row_cap
    if truncated:
        frame = frame.iloc[:row_cap].copy()
    frame.attrs["truncated"] = truncated
    frame.attrs["row_cap"] = row_cap
    return frame
