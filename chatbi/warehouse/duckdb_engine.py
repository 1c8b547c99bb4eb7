"""Embedded DuckDB engine: the default warehouse."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import pandas as pd

from ..errors import EngineError

__all__ = ["DuckDBEngine"]


class DuckDBEngine:
    """DuckDB over a file (opened read-only by default) or in memory.

    DuckDB connections are not safe to share between threads; each thread gets its own
    cursor of the one connection, so concurrent app requests do not interfere.
    """

    dialect = "duckdb"

    def __init__(self, path: str | os.PathLike[str] | None = None, *, read_only: bool = True,
                 connection: duckdb.DuckDBPyConnection | None = None) -> None:
        self.path = None if path is None else Path(path)
        if connection is not None:
            self._conn = connection
        elif self.path is None:
            self._conn = duckdb.connect(":memory:")
        else:
            if read_only and not self.path.exists():
                raise EngineError(f"DuckDB file not found: {self.path}")
            try:
                self._conn = duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.Error as exc:
                raise EngineError(f"cannot open DuckDB file {self.path}: {exc}") from None
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._lock = threading.Lock()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._conn.cursor()
            self._local.cursor = cur
            with self._lock:
                self._cursors.append(cur)
        return cur

    def execute(self, sql: str) -> pd.DataFrame:
        try:
            return self._cursor().execute(sql).df()
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB error: {str(exc).splitlines()[0]}") from None

    def close(self) -> None:
        with self._lock:
            for cur in self._cursors:
                cur.close()
            self._cursors.clear()
        self._conn.close()

    def __repr__(self) -> str:
        return f"DuckDBEngine({str(self.path) if self.path else ':memory:'})"
