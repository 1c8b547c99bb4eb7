"""Any database SQLAlchemy can reach: PostgreSQL, MySQL, SQLite, Snowflake, BigQuery ...

The sqlglot dialect the semantic layer compiles for is derived from the URL. Every statement
runs in its own read-only transaction where the database supports one, with a statement
timeout (PostgreSQL ``statement_timeout``, MySQL ``max_execution_time``, SQLite through a
progress handler), and at most ``row_cap`` rows and about ``max_result_bytes`` bytes are fetched
(PostgreSQL streams the rows from a server-side cursor in pieces sized to what is left of the
budget, so a few very wide rows cannot fill the process's memory). Connections are pooled and
pinged before use, so a restarted server is picked up again. Failures become
:class:`EngineError` messages a user can act on; a missing driver says what to install.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, make_url

from semantic_layer.compiler.metadata import postgres_change_markers_sql, row_counts_sql
from semantic_layer.sqlbuild.sandbox import barrier_view_sql, explain_json_sql, unfiltered_view_sql

from ..errors import ConfigError, EngineError, MissingDependencyError, QueryTimeout, QueryTooCostly
from .base import (
    DEFAULT_ENGINE_ROW_CAP,
    DEFAULT_RESULT_BYTES,
    DEFAULT_TIMEOUT_S,
    mark_byte_cut,
    mark_truncated,
    type_mismatch_message,
    value_bytes,
)
from .cost import CostLimits, plan_problem, postgres_plan
from .frames import normalize_frame
from .urls import resolve

__all__ = ["SQLAlchemyEngine", "dialect_for_url", "driver_package"]

#: (backend, driver) -> what to pip install; driver None = SQLAlchemy's default driver
_PACKAGES: Mapping[tuple[str, str | None], str] = {
    ("postgresql", "psycopg"): "psycopg[binary]", ("postgresql", "psycopg2"): "psycopg2-binary",
    ("postgresql", None): "psycopg2-binary", ("postgresql", "pg8000"): "pg8000",
    ("mysql", "pymysql"): "pymysql", ("mysql", "mysqldb"): "mysqlclient", ("mysql", None): "mysqlclient",
    ("mysql", "mysqlconnector"): "mysql-connector-python", ("mariadb", "pymysql"): "pymysql",
    ("mariadb", "mariadbconnector"): "mariadb", ("mssql", "pyodbc"): "pyodbc", ("mssql", None): "pyodbc",
    ("mssql", "pymssql"): "pymssql", ("oracle", "oracledb"): "oracledb", ("oracle", None): "oracledb",
    ("snowflake", None): "snowflake-sqlalchemy", ("bigquery", None): "sqlalchemy-bigquery",
    ("trino", None): "trino[sqlalchemy]", ("clickhouse", None): "clickhouse-sqlalchemy",
    ("clickhousedb", None): "clickhouse-connect", ("databricks", None): "databricks-sqlalchemy",
    ("redshift", None): "sqlalchemy-redshift", ("duckdb", None): "duckdb-engine",
    ("awsathena", None): "pyathena[sqlalchemy]", ("presto", None): "pyhive[presto]", ("hive", None): "pyhive[hive]",
}


def dialect_for_url(url: str | URL) -> str:
    """The sqlglot dialect for a SQLAlchemy URL; ``ConfigError`` (saying what to write) when
    ChatBI does not compile SQL for its database (``chatbi.warehouse.urls``).

    >>> dialect_for_url("postgresql+psycopg://u@localhost/db"), dialect_for_url("trino://u@h:8080/hive")
    ('postgres', 'trino')
    """
    text = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
    return resolve(text).dialect


def driver_package(url: str | URL) -> str:
    """The pip package that provides the URL's driver.

    >>> driver_package("mysql+pymysql://u@h/db"), driver_package("snowflake://acct/db")
    ('pymysql', 'snowflake-sqlalchemy')
    """
    parsed = make_url(url)
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name() if "+" in parsed.drivername else None
    return _PACKAGES.get((backend, driver)) or _PACKAGES.get((backend, None)) or f"the SQLAlchemy dialect for {backend}"


class SQLAlchemyEngine:
    """An :class:`~chatbi.warehouse.Engine` over a SQLAlchemy URL (thread-safe; one pool)."""

    def __init__(self, url: str | URL, *, timeout_s: float | None = DEFAULT_TIMEOUT_S,
                 row_cap: int | None = DEFAULT_ENGINE_ROW_CAP, pool_size: int = 5, max_overflow: int = 5,
                 pool_recycle_s: int = 1800, connect_timeout_s: int = 10,
                 engine_options: Mapping[str, Any] | None = None,
                 max_result_bytes: int | None = DEFAULT_RESULT_BYTES) -> None:
        try:
            parsed = _prefer_installed_driver(make_url(url))
        except sa.exc.ArgumentError as exc:
            raise ConfigError(f"not a database URL: {exc}") from None
        self.url = parsed
        self.dialect = dialect_for_url(parsed)
        self.timeout_s = timeout_s
        self.row_cap = row_cap
        self.max_result_bytes = max_result_bytes
        self.backend = parsed.get_backend_name()
        #: policy views are evaluated before any expression of hand-written SQL (PostgreSQL's security
        #: barrier views); without it, row-restricted users get no hand-written SQL
        self.policy_views_first = self.backend == "postgresql"
        self.cost_limits = CostLimits()
        options: dict[str, Any] = {"pool_pre_ping": True, "pool_recycle": pool_recycle_s}
        connect_args: dict[str, Any] = {}
        if self.backend == "sqlite":
            connect_args["check_same_thread"] = False  # the pool hands connections to other threads
        else:
            options.update(pool_size=pool_size, max_overflow=max_overflow)
        if self.backend in ("postgresql", "mysql", "mariadb"):
            connect_args["connect_timeout"] = connect_timeout_s
        if connect_args:
            options["connect_args"] = connect_args
        options.update(engine_options or {})
        try:
            self._engine = sa.create_engine(parsed, **options)
        except sa.exc.NoSuchModuleError:
            raise MissingDependencyError(
                f"no SQLAlchemy dialect for {self.backend!r} is installed: pip install {driver_package(parsed)}") from None
        except ImportError as exc:
            raise MissingDependencyError(
                f"the database driver for {parsed.drivername!r} is not installed ({exc.name or exc}): "
                f"pip install {driver_package(parsed)}") from None
        if self.backend == "sqlite":
            sa.event.listen(self._engine, "connect", _sqlite_read_only)
        elif self.backend in ("mysql", "mariadb"):
            sa.event.listen(self._engine, "connect", _mysql_read_only)

    def __repr__(self) -> str:
        return f"SQLAlchemyEngine({self.safe_url!r})"

    @property
    def safe_url(self) -> str:
        """The URL with its password hidden (for messages and logs)."""
        return self.url.render_as_string(hide_password=True)

    # -- running ------------------------------------------------------------------------
    def execute(self, sql: str) -> pd.DataFrame:
        return self._run(sql)

    def execute_untrusted(self, sql: str, views: Mapping[str, str] | None = None) -> pd.DataFrame:
        """SQL a person or a model wrote (``chatbi.warehouse.base.UntrustedSQLEngine``).

        PostgreSQL: each of ``views`` becomes a temporary ``security_barrier`` view in the
        statement's own transaction (dropped with it), so the planner never evaluates a
        non-LEAKPROOF expression of ``sql`` -- a failing cast, ``ln`` of a negative, a division by
        zero -- on a row the view filters out; and the plan (``EXPLAIN``) is checked for products
        of large tables first. The planner knows no statistics of a barrier view's columns (it
        takes 200 distinct values for each), so a many-to-many join through the views can look
        cheap: the statement's plan over plain views of all rows is checked as well (its numbers
        are not shown, they count rows the user may not see). Other databases promise neither:
        ``policy_views_first`` is False and views are refused.
        """
        if views and not self.policy_views_first:
            raise EngineError(f"{self.backend} cannot guarantee that row policies apply before the query's own "
                              "conditions; hand-written SQL is off for restricted users on it")
        before = [barrier_view_sql(name, select, self.dialect) for name, select in (views or {}).items()]
        probe = [unfiltered_view_sql(name, select, self.dialect) for name, select in (views or {}).items()]
        return self._run(sql, before=before, check_cost=self.backend == "postgresql", probe=probe)

    def _run(self, sql: str, *, before: Sequence[str] = (), check_cost: bool = False,
             probe: Sequence[str] = ()) -> pd.DataFrame:
        deadline = time.monotonic() + self.timeout_s if self.timeout_s else None
        try:
            conn = self._engine.connect()
        except sa.exc.DBAPIError as exc:
            raise self._connect_error(exc) from None
        except Exception as exc:  # noqa: BLE001 - e.g. DNS failures or a driver's own socket errors
            raise EngineError(f"cannot reach the database at {self.safe_url} (is the server running?): "
                              f"{_first_line(exc)}") from None
        try:
            with conn:
                if check_cost and probe:
                    self._check_cost_over_all_rows(conn, sql, probe)
                with self._read_only_transaction(conn, deadline, before):
                    return self._checked_and_run(conn, sql, check_cost)
        except sa.exc.DBAPIError as exc:
            raise self._error(exc, deadline) from None
        except sa.exc.SQLAlchemyError as exc:
            raise EngineError(f"database error: {_first_line(exc)}") from None
        except EngineError:  # ChatBI's own refusals (a too costly plan) keep their words
            raise
        except Exception as exc:  # noqa: BLE001 - drivers raise their own types (socket, transport, protocol errors)
            raise EngineError(f"the database at {self.safe_url} failed ({type(exc).__name__}): {_first_line(exc)}"
                              ) from None

    def _check_cost_over_all_rows(self, conn: Connection, sql: str, probe: Sequence[str]) -> None:
        """Refuse ``sql`` when its plan over ``probe`` (plain views of all rows) is too costly; nothing runs."""
        transaction = conn.begin()
        try:
            for statement in probe:  # temporary views of this transaction only: rolled back below
                conn.exec_driver_sql(statement, execution_options={"no_parameters": True})
            explained = conn.exec_driver_sql(explain_json_sql(sql), execution_options={"no_parameters": True})
            problem = plan_problem(postgres_plan(_json(explained.scalar())), self.cost_limits, counts=False)
        finally:
            transaction.rollback()
        if problem:
            raise QueryTooCostly(problem[0].upper() + problem[1:] + ".")

    def _checked_and_run(self, conn: Connection, sql: str, check_cost: bool) -> pd.DataFrame:
        """Inside the statement's read-only transaction: the cost check, then at most the rows and bytes allowed."""
        if check_cost:
            explained = conn.exec_driver_sql(explain_json_sql(sql), execution_options={"no_parameters": True})
            problem = plan_problem(postgres_plan(_json(explained.scalar())), self.cost_limits)
            if problem:
                raise QueryTooCostly(problem[0].upper() + problem[1:] + ".")
        # no parameters at all: the text goes to the driver as is, so '%' or ':x' inside
        # string literals are never taken for bind parameters
        options: dict[str, Any] = {"no_parameters": True}
        if self._streams and _READS.match(sql):  # a server-side cursor: rows come in the pieces asked for
            options["stream_results"] = True
        result = conn.exec_driver_sql(sql, execution_options=options)
        if not result.returns_rows:
            return pd.DataFrame()
        columns = list(result.keys())
        rows, cut_by_bytes = _fetch_bounded(result, self.row_cap, self.max_result_bytes)
        # SQLite keeps dates as ISO text: its date columns are recognised by their values
        frame = normalize_frame(pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns),
                                iso_text_dates=self.backend == "sqlite")
        if self.row_cap is not None:
            frame = mark_truncated(frame, self.row_cap)
        if cut_by_bytes and self.max_result_bytes is not None:
            mark_byte_cut(frame, self.max_result_bytes)
        return frame

    @property
    def _streams(self) -> bool:  # a cursor is DECLAREd FOR the statement: only a query may stream
        """Whether rows are read from a server-side cursor (PostgreSQL, when bytes are bounded)."""
        return self.backend == "postgresql" and self.max_result_bytes is not None

    @contextmanager
    def _read_only_transaction(self, conn: Connection, deadline: float | None, before: Sequence[str] = ()
                               ) -> Iterator[None]:
        """One transaction, read-only from its first statement on -- after ``before`` (ChatBI's own
        temporary views, which end with the transaction)."""
        transaction = conn.begin()
        try:
            for statement in before:
                conn.exec_driver_sql(statement, execution_options={"no_parameters": True})
            if self.backend == "postgresql":
                ms = str(max(1, int(self.timeout_s * 1000))) if self.timeout_s else "0"
                # is_local=true: both settings end with this transaction, pooled connections stay clean
                # a cursor is planned for its whole result as a plain statement is
                # (cursor_tuple_fraction 1), not for its first tenth
                conn.execute(sa.select(sa.func.set_config("transaction_read_only", "on", True),
                                       sa.func.set_config("statement_timeout", ms, True),
                                       sa.func.set_config("cursor_tuple_fraction", "1", True)))
            elif self.backend == "mysql" and self.timeout_s:
                # MariaDB names it differently; the client-side pool timeout still applies
                with contextlib.suppress(sa.exc.DBAPIError):
                    conn.execute(sa.text("SET SESSION max_execution_time = :ms"), {"ms": int(self.timeout_s * 1000)})
            elif self.backend == "sqlite" and deadline is not None:
                _sqlite_deadline(conn, deadline)
            yield
        finally:
            # nothing to keep: a read-only statement never needs a commit
            if transaction.is_active:
                transaction.rollback()
            if self.backend == "sqlite" and deadline is not None and not conn.closed:
                _sqlite_deadline(conn, None)

    def _connect_error(self, exc: sa.exc.DBAPIError) -> EngineError:
        code, lowered, first = _describe(exc)
        if code in ("28P01", "28000") or "authentication failed" in lowered or "access denied" in lowered \
                or ("role" in lowered and "does not exist" in lowered) or "no pg_hba.conf entry" in lowered:
            return EngineError(f"the database at {self.safe_url} rejected the login: {first}")
        if code == "3D000" or ("database" in lowered and "does not exist" in lowered):
            return EngineError(f"the database at {self.safe_url} does not exist: {first}")
        return EngineError(f"cannot reach the database at {self.safe_url} (is the server running?): {first}")

    def _error(self, exc: sa.exc.DBAPIError, deadline: float | None) -> EngineError:
        code, lowered, first = _describe(exc)
        timed_out = deadline is not None and time.monotonic() >= deadline
        if code == "57014" or "max_execution_time" in lowered or (timed_out and "interrupt" in lowered):
            return QueryTimeout(f"the query ran longer than {self.timeout_s:g} s and was cancelled")
        if code in ("42P01", "42703", "42S02", "42S22") or "no such table" in lowered or "no such column" in lowered \
                or "does not exist" in lowered or "doesn't exist" in lowered:
            return EngineError(f"the database at {self.safe_url} has no such table or column: {first}")
        if code == "25006" or "read-only" in lowered or "readonly" in lowered:
            return EngineError(f"the database refused a write (ChatBI's connections are read-only): {first}")
        mismatch = type_mismatch_message(first, code)
        if mismatch:
            return EngineError(mismatch)
        if exc.connection_invalidated or code.startswith("08") or isinstance(exc, sa.exc.InterfaceError) \
                or "connection" in lowered or "server closed" in lowered:
            return EngineError(f"lost the connection to the database at {self.safe_url} (is the server running?): "
                               f"{first}")
        return EngineError(f"database error: {first}")

    def data_version(self, tables: Sequence[str]) -> str:
        """A marker of the data in ``tables`` that costs no table scan where the database keeps one.

        PostgreSQL: the statistics collector's cumulative insert/update/delete counters of each
        table and its file node (TRUNCATE and rewrites change it); counters move within about a
        second of a commit. Where ``track_counts`` is off, and on other databases: ``COUNT(*)``
        per table.
        """
        names = list(tables)
        if self.backend == "postgresql":
            frame = self.execute(postgres_change_markers_sql(names))
            if len(frame) and str(frame["track_counts"].iloc[0]).lower() == "on":
                rows = frame.drop(columns=["track_counts"]).astype(str).itertuples(index=False, name=None)
                return ";".join("|".join(r) for r in sorted(rows)) + f";tables={len(frame)}/{len(names)}"
        counts = self.execute(row_counts_sql(names, self.dialect))
        return ";".join(f"{t}={n}" for t, n in sorted(counts.itertuples(index=False, name=None)))

    def close(self) -> None:
        self._engine.dispose()


def _prefer_installed_driver(url: URL) -> URL:
    """``postgresql://`` means psycopg2 to SQLAlchemy; use psycopg 3 when only that is installed."""
    if url.drivername == "postgresql" and importlib.util.find_spec("psycopg2") is None \
            and importlib.util.find_spec("psycopg") is not None:
        return url.set(drivername="postgresql+psycopg")
    return url


def _sqlite_read_only(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA query_only = ON")
    finally:
        cursor.close()


def _mysql_read_only(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET SESSION TRANSACTION READ ONLY")
    finally:
        cursor.close()


def _sqlite_deadline(conn: Connection, deadline: float | None) -> None:
    """SQLite has no statement timeout: a progress handler aborts the statement past the deadline."""
    raw = conn.connection.dbapi_connection
    if deadline is None:
        raw.set_progress_handler(None, 0)  # type: ignore[union-attr]
        return
    handler: Callable[[], int] = lambda: int(time.monotonic() >= deadline)  # noqa: E731
    raw.set_progress_handler(handler, 10_000)  # type: ignore[union-attr]


#: statements a server-side cursor can be declared for (anything else runs as it is, to fail as itself)
_READS = re.compile(r"\s*(\(\s*)*(select|with|values|table)\b", re.IGNORECASE)
#: rows of the first piece fetched; later pieces grow eightfold, as far as the bytes left allow
_FIRST_PIECE = 16
#: most rows of one piece
_MAX_PIECE = 2000


def _fetch_bounded(result: sa.CursorResult[Any], row_cap: int | None, max_bytes: int | None
                   ) -> tuple[list[Any], bool]:
    """At most ``row_cap + 1`` rows (one more tells whether rows were cut) and about ``max_bytes``
    bytes; whether rows were left out because of the bytes.

    Pieces start small and grow, each asking for no more rows than the bytes left would hold at
    the widest row seen so far (at most ``_MAX_PIECE``): rows as wide as those already seen never take the fetch past the
    budget; rows that suddenly grow overshoot it by one piece at most.
    """
    wanted = None if row_cap is None else row_cap + 1
    if max_bytes is None:
        return list(result.fetchall() if wanted is None else result.fetchmany(wanted)), False
    rows: list[Any] = []
    size = widest = 0
    piece = _FIRST_PIECE
    while wanted is None or len(rows) < wanted:
        ask = piece if wanted is None else min(piece, wanted - len(rows))
        got = result.fetchmany(ask)
        for row in got:
            width = sum(value_bytes(v) for v in row)
            if size + width > max_bytes:
                return rows, True
            size += width
            widest = max(widest, width)
            rows.append(row)
        if len(got) < ask:
            break
        piece = max(1, min(_MAX_PIECE, piece * 8, (max_bytes - size) // max(1, widest)))
    return rows, False


def _describe(exc: sa.exc.DBAPIError) -> tuple[str, str, str]:
    """(SQLSTATE or "", the message in lower case, its first line) of a driver error."""
    orig = exc.orig if exc.orig is not None else exc
    code = str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")
    return code, str(orig).lower(), _first_line(orig)


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else type(exc).__name__


def _json(value: Any) -> Any:
    """``EXPLAIN (FORMAT JSON)`` comes back parsed (psycopg) or as text (other drivers)."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value
