"""Embedded DuckDB engine: the default warehouse."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from semantic_layer.compiler.metadata import row_counts_sql
from semantic_layer.sqlbuild.sandbox import (
    drop_temp_table_sql,
    duckdb_attach_sql,
    duckdb_set_sql,
    duckdb_use_sql,
    explain_json_sql,
    setting_sql,
    temp_table_sql,
)

from ..errors import EngineError, QueryTimeout, QueryTooCostly
from .base import (
    DEFAULT_ENGINE_ROW_CAP,
    DEFAULT_RESULT_BYTES,
    DEFAULT_TIMEOUT_S,
    mark_byte_cut,
    mark_truncated,
    type_mismatch_message,
    value_bytes,
)
from .cost import CostLimits, plan_problem
from .frames import normalize_frame

__all__ = ["DuckDBEngine", "DuckDBLimits", "DEFAULT_RESULT_BYTES"]

# DuckDB hands results over in vectors of this many rows
_VECTOR_SIZE = 2048
#: vectors fetched at a time (the byte cap is checked between pieces)
_CHUNK_VECTORS = 8


@dataclass(frozen=True)
class DuckDBLimits:
    """What one DuckDB engine may use. ``None`` leaves DuckDB's own default (80 % of RAM, every core).

    ``memory_limit`` bounds DuckDB's buffer memory (joins, sorts, aggregates spill to the temporary
    directory beyond it, up to ``max_temp_directory_size``); ``threads`` bounds the cores one
    engine keeps busy. DuckDB does not count the strings of a query's result against
    ``memory_limit``: the SQL guard bounds the functions that build large strings instead.
    """

    memory_limit: str | None = "2GB"
    threads: int | None = 2
    max_temp_directory_size: str | None = "4GB"
    #: None: a private directory made for the engine (removed on close)
    temp_directory: str | None = None


class DuckDBEngine:
    """DuckDB over a file (opened read-only by default) or in memory.

    DuckDB connections are not safe to share between threads; each thread gets its own
    cursor of the one connection, so concurrent app requests do not interfere. A query that
    runs longer than ``timeout_s`` is interrupted (:class:`QueryTimeout`); at most ``row_cap``
    rows and about ``max_result_bytes`` bytes are fetched (the frame's ``attrs["truncated"]``
    says when more were there).

    The engine runs under :class:`DuckDBLimits` (memory, threads, temporary space) and, with
    ``lockdown`` (the default), without file system access or extension loading: SQL can read
    the warehouse and nothing else, whatever gets past the SQL guard (``allowed_paths`` are
    files -- or directories, ending in ``/`` -- the engine's own views read, e.g. the CSV files
    behind ``ChatBI.from_files``). A file is
    attached read-only to a private in-memory DuckDB, so other code in the process may open the
    same file with its own settings. The configuration is locked once set.
    """

    dialect = "duckdb"

    def __init__(self, path: str | os.PathLike[str] | None = None, *, read_only: bool = True,
                 connection: duckdb.DuckDBPyConnection | None = None,
                 timeout_s: float | None = DEFAULT_TIMEOUT_S, row_cap: int | None = DEFAULT_ENGINE_ROW_CAP,
                 lockdown: bool = True, limits: DuckDBLimits | None = DuckDBLimits(),
                 allowed_paths: Sequence[str | os.PathLike[str]] = (),
                 max_result_bytes: int | None = DEFAULT_RESULT_BYTES) -> None:
        self.path = None if path is None else Path(path)
        self.timeout_s = timeout_s
        self.row_cap = row_cap
        self.max_result_bytes = max_result_bytes
        self.limits = limits
        #: when SQL a person or a model wrote is refused before it runs (``execute_untrusted``)
        self.cost_limits = CostLimits()
        #: policy views are materialised before hand-written SQL runs (``execute_untrusted``)
        self.policy_views_first = True
        self._temp_dir: str | None = None
        #: the catalog the warehouse file is attached as (cursors start in it)
        self._catalog: str | None = None
        if connection is not None:
            self._conn = connection
        elif self.path is not None and read_only:
            if not self.path.exists():
                raise EngineError(f"DuckDB file not found: {self.path}")
            self._conn = duckdb.connect(":memory:", config=self._config())
            self._catalog = _catalog_name(self.path)
            try:
                self._conn.execute(duckdb_attach_sql(str(self.path), self._catalog, read_only=True))
                self._conn.execute(duckdb_use_sql(self._catalog))
            except duckdb.Error as exc:
                self._conn.close()
                raise EngineError(f"cannot open DuckDB file {self.path}: {_first_line(exc)}") from None
        elif self.path is None:
            self._conn = duckdb.connect(":memory:", config=self._config())
        else:  # writable: the one instance of the file in this process, shared with other connections to it
            try:
                self._conn = duckdb.connect(str(self.path), read_only=False)
            except duckdb.Error as exc:
                raise EngineError(f"cannot open DuckDB file {self.path}: {_first_line(exc)}") from None
        configured = connection is None and (self.path is None or read_only)
        self._fence(lockdown, [os.fspath(p) for p in allowed_paths], configured=configured)
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._lock = threading.Lock()

    def _config(self) -> dict[str, str | int | bool]:
        config: dict[str, str | int | bool] = {"autoinstall_known_extensions": False,
                                               "autoload_known_extensions": False}
        limits = self.limits
        if limits is None:
            return config
        if limits.memory_limit:
            config["memory_limit"] = limits.memory_limit
        if limits.threads:
            config["threads"] = limits.threads
        if limits.max_temp_directory_size:
            config["max_temp_directory_size"] = limits.max_temp_directory_size
        self._temp_dir = limits.temp_directory or tempfile.mkdtemp(prefix="chatbi-duckdb-")
        config["temp_directory"] = self._temp_dir
        return config

    def _fence(self, lockdown: bool, allowed: list[str], *, configured: bool) -> None:
        """Limits (on a connection made elsewhere) and lockdown, unless an earlier engine locked them."""
        conn = self._conn
        try:
            if str(conn.execute(setting_sql("lock_configuration")).fetchone()[0]).lower() == "true":  # type: ignore[index]
                return  # the instance is shared and already fenced in
            if not configured and self.limits is not None:
                for name, value in self._config().items():
                    conn.execute(duckdb_set_sql(name, value))
            if lockdown:
                directories = [p for p in allowed if p.endswith(("/", os.sep)) or os.path.isdir(p)]
                files = [p for p in allowed if p not in directories]
                if files:
                    conn.execute(duckdb_set_sql("allowed_paths", files))
                if directories:
                    conn.execute(duckdb_set_sql("allowed_directories", directories))
                conn.execute(duckdb_set_sql("enable_external_access", False))
                conn.execute(duckdb_set_sql("lock_configuration", True))
        except duckdb.Error as exc:
            raise EngineError(f"cannot set DuckDB's limits: {_first_line(exc)}") from None

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._conn.cursor()
            if self._catalog is not None:  # a cursor starts in the in-memory catalog, not the attached file
                cur.execute(duckdb_use_sql(self._catalog))
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
        except Exception as exc:  # noqa: BLE001 - e.g. a result pandas cannot hold; never a traceback
            raise EngineError(f"DuckDB failed ({type(exc).__name__}): {_first_line(exc)}") from None
        finally:
            if watchdog is not None:
                watchdog.stop()

    def execute_untrusted(self, sql: str, views: Mapping[str, str] | None = None) -> pd.DataFrame:
        """Run SQL a person or a model wrote (see ``chatbi.warehouse.base.UntrustedSQLEngine``).

        ``views`` (name -> SELECT ChatBI built) are materialised as temporary tables of this
        thread's cursor by statements of their own before ``sql`` runs, so no expression of
        ``sql`` is ever evaluated on a row a view filters out (DuckDB's optimizer cannot move a
        predicate into a statement that already ran); they are dropped afterwards. The plan of
        ``sql`` is checked first (:mod:`chatbi.warehouse.cost`): a product of large tables is
        refused with :class:`QueryTooCostly` before anything runs.
        """
        cur = self._cursor()
        watchdog = _Watchdog(cur, self.timeout_s) if self.timeout_s else None
        made: list[str] = []
        try:
            for name, select in (views or {}).items():
                made.append(name)
                cur.execute(temp_table_sql(name, select))
            plan = json.loads(cur.execute(explain_json_sql(sql)).fetchall()[0][1])
            problem = plan_problem(plan, self.cost_limits)
            if problem:
                raise QueryTooCostly(problem[0].upper() + problem[1:] + ".")
            cur.execute(sql)
            return self._fetch(cur)
        except duckdb.InterruptException:
            if watchdog is not None and watchdog.fired:
                raise QueryTimeout(f"the query ran longer than {self.timeout_s:g} s and was stopped") from None
            raise EngineError("DuckDB query was interrupted") from None
        except duckdb.Error as exc:
            detail = _first_line(exc)
            raise EngineError(type_mismatch_message(detail) or f"DuckDB error: {detail}") from None
        except (ValueError, IndexError, TypeError) as exc:  # a plan DuckDB printed differently
            raise EngineError(f"cannot read DuckDB's plan of the query ({type(exc).__name__})") from None
        finally:
            if watchdog is not None:
                watchdog.stop()
            for name in made:
                # an interrupted cursor may refuse; the temporary table dies with the cursor anyway
                with contextlib.suppress(duckdb.Error):
                    cur.execute(drop_temp_table_sql(name))

    def _fetch(self, cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
        """At most ``row_cap`` rows and about ``max_result_bytes`` bytes, in pieces so neither is overrun."""
        if cur.description is None:  # a statement without a result set
            return pd.DataFrame()
        wanted = None if self.row_cap is None else self.row_cap + 1  # one more row tells whether it was cut
        chunks: list[pd.DataFrame] = []
        total = size = 0
        cut_by_bytes = False
        while wanted is None or total < wanted:
            vectors = _CHUNK_VECTORS if wanted is None else min(_CHUNK_VECTORS, -(-(wanted - total) // _VECTOR_SIZE))
            chunk = cur.fetch_df_chunk(vectors)
            if chunk.empty and chunks:
                break
            chunks.append(chunk)
            total += len(chunk)
            if chunk.empty:
                break
            if self.max_result_bytes is not None:
                sizes = _row_bytes(chunk)
                fits = int((sizes.cumsum() <= self.max_result_bytes - size).sum())
                size += int(sizes.sum())
                if fits < len(chunk):  # wide rows: keep what fits, say the result was cut
                    chunks[-1] = chunk.iloc[:fits]
                    cut_by_bytes = True
                    break
        frame = chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)
        frame = normalize_frame(frame)
        if self.row_cap is not None:
            frame = mark_truncated(frame, self.row_cap)
        if cut_by_bytes and self.max_result_bytes is not None:
            mark_byte_cut(frame, self.max_result_bytes)
        return frame

    def data_version(self, tables: Sequence[str]) -> str:
        """Row counts of ``tables`` (DuckDB keeps them in its metadata) and, for a file, the size and
        modification time of the file and its write-ahead log, which move with every commit."""
        counts = self.execute(row_counts_sql(list(tables), self.dialect))
        marker = ";".join(f"{t}={n}" for t, n in sorted(counts.itertuples(index=False, name=None)))
        if self.path is not None:
            for file in (self.path, Path(f"{self.path}.wal")):
                try:
                    stat = file.stat()
                except OSError:
                    continue
                marker += f";{file.name}:{stat.st_size}:{stat.st_mtime_ns}"
        return marker

    def close(self) -> None:
        with self._lock:
            for cur in self._cursors:
                cur.close()
            self._cursors.clear()
        self._conn.close()
        if self._temp_dir is not None and self.limits is not None and not self.limits.temp_directory:
            shutil.rmtree(self._temp_dir, ignore_errors=True)

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


def _catalog_name(path: Path) -> str:
    """DuckDB's own name for an attached file: its stem (kept, so messages read as before)."""
    name = re.sub(r"[^\w-]", "_", path.stem) or "warehouse"
    return name if name not in ("memory", "temp", "system", "main") else f"{name}_db"


def _row_bytes(frame: pd.DataFrame) -> np.ndarray:
    """Approximate bytes of each row: numbers by their width, text by its length."""
    sizes = np.zeros(len(frame), dtype=np.int64)
    for col in (frame.iloc[:, i] for i in range(frame.shape[1])):
        if col.dtype == object:
            sizes += col.map(value_bytes).to_numpy(dtype=np.int64)
        else:
            sizes += np.dtype(col.dtype).itemsize if isinstance(col.dtype, np.dtype) else 16
    return sizes
