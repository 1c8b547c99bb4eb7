"""Embedded DuckDB engine: the default warehouse."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import pandas as pd

from ..errors import EngineError, QueryTimeout
from .base import DEFAULT_ENGINE_ROW_CAP, DEFAULT_TIMEOUT_S, mark_truncated, type_mismatch_message

__all__ = ["DuckDBEngine"]

# DuckDB hands results over in vectors of this many rows
_VECTOR_SIZE = 2048


class DuckDBEngine:
    """DuckDB over a file (opened read-only by default) or in memory.

    DuckDB connections are not safe to share between threads; each thread gets its own
    cursor of the one connection, so concurrent app requests do not interfere. A query that
    runs longer than ``timeout_s`` is interrupted (:class:`QueryTimeout`); at most ``row_cap``
    rows are fetched (the frame's ``attrs["truncated"]`` says when more were there).

    ``lockdown=True`` also switches off DuckDB's file system access and extension loading
    for the whole database instance (defence in depth behind the SQL guard). It is off by
    default because DuckDB refuses a second connection to the same file with a different
    configuration, which would break other code in the process reading the same file.
    """

    dialect = "duckdb"

    def __init__(self, path: str | os.PathLike[str] | None = None, *, read_only: bool = True,
                 connection: duckdb.DuckDBPyConnection | None = None,
                 timeout_s: float | None = DEFAULT_TIMEOUT_S, row_cap: int | None = DEFAULT_ENGINE_ROW_CAP,
                 lockdown: bool = False) -> None:
        self.path = None if path is None else Path(path)
        self.timeout_s = timeout_s
        self.row_cap = row_cap
        config = {"enable_external_access": False, "autoinstall_known_extensions": False,
                  "autoload_known_extensions": False, "lock_configuration": True} if lockdown else {}
        if connection is not None:
            self._conn = connection
        elif self.path is None:
            self._conn = duckdb.connect(":memory:", config=config)
        else:
            if read_only and not self.path.exists():
                raise EngineError(f"DuckDB file not found: {self.path}")
            try:
                self._conn = duckdb.connect(str(self.path), read_only=read_only, config=config)
            except duckdb.Error as exc:
                raise EngineError(f"cannot open DuckDB file {self.path}: {_first_line(exc)}") from None
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
        cur = self._cursor()
        watchdog = _Watchdog(cur, self.timeout_s) if self.timeout_s else None
        try:
            cur.execute(sql)
            return self._fetch(cur)
        except duckdb.InterruptException:
            if watchdog is not None and watchdog.fired:
                raise QueryTimeout(f"the query ran longer than {self.timeout_s:g} s and was stopped") from None
            raise EngineError("DuckDB query was interrupted") from None
        except duckdb.Error as exc:
            detail = _first_line(exc)
            raise EngineError(type_mismatch_message(detail) or f"DuckDB error: {detail}") from None
        finally:
            if watchdog is not None:
                watchdog.stop()

    def _fetch(self, cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
        if cur.description is None:  # a statement without a result set
            return pd.DataFrame()
        if self.row_cap is None:
            return cur.fetch_df()
        wanted = self.row_cap + 1  # one more row tells whether the result was cut
        chunks = [cur.fetch_df_chunk(-(-wanted // _VECTOR_SIZE))]
        total = len(chunks[0])
        while 0 < total < wanted:
            chunk = cur.fetch_df_chunk(-(-(wanted - total) // _VECTOR_SIZE))
            if chunk.empty:
                break
            chunks.append(chunk)
            total += len(chunk)
        frame = chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)
        return mark_truncated(frame, self.row_cap)

    def close(self) -> None:
        with self._lock:
            for cur in self._cursors:
                cur.close()
            self._cursors.clear()
        self._conn.close()

    def __repr__(self) -> str:
        return f"DuckDBEngine({str(self.path) if self.path else ':memory:'})"


class _Watchdog:
    """Interrupts one cursor's running query after ``timeout_s`` unless stopped first.

    The lock makes "interrupt" and "the query finished" exclusive, so a late timer never
    interrupts the next query on the same cursor.
    """

    def __init__(self, cursor: duckdb.DuckDBPyConnection, timeout_s: float) -> None:
        self._cursor = cursor
        self._lock = threading.Lock()
        self._done = False
        self.fired = False
        self._timer = threading.Timer(timeout_s, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if not self._done:
                self.fired = True
                self._cursor.interrupt()

    def stop(self) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
