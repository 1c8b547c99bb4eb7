"""Apache Spark through Spark Connect: ``sc://host:15002`` (the distributed engine).

What it guarantees, and how:

- **Spark SQL**: the semantic layer compiles for sqlglot's ``spark`` dialect; tables are the
  model's table names in the session's current database, which is the server's default or the
  one the URL names (``sc://host:15002/;database=telecom``).
- **Read-only by construction**: Spark Connect has no read-only session, so every statement
  is sent as the body of ``SELECT * FROM ( ... ) LIMIT n``. Spark parses that as one query or
  not at all: a ``DROP``, ``INSERT`` or ``SET`` inside cannot run (and only statements that
  passed ChatBI's SQL guard get here). Give the Connect server's user read-only access to the
  catalog for defence in depth.
- **Statement timeout**: each statement carries its own operation tag; a watchdog interrupts
  the tag on the server (``SparkSession.interruptTag``) after ``timeout_s`` and the call fails
  with :class:`~chatbi.errors.QueryTimeout`.
- **SQL a person or a model wrote** (``execute_untrusted``) is checked against Spark's plan
  first (``EXPLAIN COST``, :mod:`chatbi.warehouse.spark_cost`): a product of large tables is
  refused with :class:`~chatbi.errors.QueryTooCostly` before anything runs.
- **No row-policy isolation**: Spark may evaluate a query's own conditions before a policy
  view's (``policy_views_first = False``), so a row-restricted user gets no hand-written SQL on
  Spark (refused with a sentence; their questions are answered as usual), and
  ``execute_untrusted`` refuses policy views.
- **Row cap**: the ``LIMIT`` of the envelope is ``row_cap + 1``, so the server never sends more;
  ``frame.attrs["truncated"]`` says when rows were dropped.
- **Results** have DuckDB's types (``chatbi.warehouse.frames``): DATE columns are naive
  datetimes, DECIMAL values floats.
- **Failures** are :class:`~chatbi.errors.EngineError` sentences: a server that is down fails
  after a bounded number of quick retries (about 3 s), never the client's default 10 minutes;
  a server that restarted gets a new session on the next statement.
- Constructing the engine does not connect; the session is created at the first statement.

Needs the Spark Connect client: ``pip install 'chatbi[spark]'`` (``pyspark[connect]``; the thin
``pyspark-client`` package works too). The server side is a Spark 4 installation started with
``sbin/start-connect-server.sh``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import re
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import pandas as pd

from semantic_layer.compiler.metadata import row_counts_sql
from semantic_layer.sqlbuild.sandbox import explain_cost_sql

from ..errors import ConfigError, EngineError, MissingDependencyError, QueryTimeout, QueryTooCostly
from .base import DEFAULT_ENGINE_ROW_CAP, DEFAULT_TIMEOUT_S, mark_truncated, type_mismatch_message
from .cost import CostLimits
from .frames import normalize_frame
from .spark_cost import spark_plan_problem
from .urls import hide_password, resolve

__all__ = ["SparkConnectEngine", "INSTALL_HINT"]

INSTALL_HINT = "pip install 'chatbi[spark]' (or: pip install 'pyspark[connect]>=4')"
#: modules the Spark Connect client imports (pyspark-client ships the first; the rest are its dependencies)
_CLIENT_MODULES = ("pyspark", "grpc", "grpc_status", "google.protobuf", "pyarrow")
_PARAM = re.compile(r";\s*database\s*=\s*([^;]*)", re.IGNORECASE)
_ENVELOPE_ALIAS = "chatbi_result"
_T = TypeVar("_T")
#: seconds a "cannot reach the server" answer is repeated without trying again
UNREACHABLE_S = 5.0
_GRPC_DETAILS = re.compile(r'details = "([^"]*)"')

# The client warns when its retries are used up; ChatBI says so in an EngineError sentence instead.
warnings.filterwarnings("ignore", message=r"\[RETRIES_EXCEEDED\]", category=UserWarning)


class SparkConnectEngine:
    """An :class:`~chatbi.warehouse.Engine` over a Spark Connect server (thread-safe; one session)."""

    dialect = "spark"
    #: Spark's optimizer may test a statement's conditions on rows a policy view filters out
    policy_views_first = False

    def __init__(self, url: str, *, timeout_s: float | None = DEFAULT_TIMEOUT_S,
                 row_cap: int | None = DEFAULT_ENGINE_ROW_CAP, connect_retries: int = 3,
                 database: str | None = None) -> None:
        target = resolve(url)
        if target.kind != "spark" or target.location is None:
            raise ConfigError(f"not a Spark Connect URL: {hide_password(url)!r}; write sc://host:15002")
        _require_client()
        location = target.location
        found = _PARAM.search(location)
        self.database = database or (found[1].strip() if found else None)
        # ChatBI's own parameter is not one Spark Connect knows (it would be sent as a gRPC header)
        self.client_url = _PARAM.sub("", location).rstrip("/;") if found else location
        self.timeout_s = timeout_s
        self.row_cap = row_cap
        self.connect_retries = connect_retries
        self.cost_limits = CostLimits()
        self._session: Any = None
        self._lock = threading.Lock()
        # after "cannot reach the server", further statements fail at once for a few seconds
        # instead of each waiting through the retries again (one question runs several)
        self._unreachable: tuple[float, str] | None = None

    def __repr__(self) -> str:
        return f"SparkConnectEngine({self.safe_url!r})"

    @property
    def safe_url(self) -> str:
        return hide_password(self.client_url)

    # -- session ---------------------------------------------------------------------------
    def _spark(self) -> Any:
        with self._lock:
            if self._session is None:
                self._session = self._new_session()
            return self._session

    def _new_session(self) -> Any:
        from pyspark.sql.connect.client.retries import DefaultPolicy
        from pyspark.sql.connect.session import SparkSession

        _quiet_client_logs()

        try:
            # the constructor, not builder.getOrCreate(): no process-wide default session is shared
            # with (or taken from) other code in the process
            session = SparkSession(connection=self.client_url)
            # a few quick retries: a question must fail in seconds when the server is down
            session.client.set_retry_policies([DefaultPolicy(
                max_retries=self.connect_retries, initial_backoff=200, backoff_multiplier=2.0, max_backoff=2000,
                jitter=100, min_jitter_threshold=1000)])
            if self.database:
                session.catalog.setCurrentDatabase(self.database)
        except Exception as exc:  # noqa: BLE001 - grpc, protobuf and Spark errors alike
            raise self._error(exc) from None
        return session

    def _drop_session(self, session: Any) -> None:
        with self._lock:
            if self._session is session:
                self._session = None
        _quietly(session.stop)

    # -- running ---------------------------------------------------------------------------
    def execute(self, sql: str) -> pd.DataFrame:
        return self._reachable(lambda: self._execute(sql))

    def execute_untrusted(self, sql: str, views: Mapping[str, str] | None = None) -> pd.DataFrame:
        """SQL a person or a model wrote (``chatbi.warehouse.base.UntrustedSQLEngine``): refused when
        its plan pairs large inputs without an equality condition, before anything runs. Policy
        views are refused: Spark cannot promise they apply before the statement's own conditions."""
        if views:
            raise EngineError("Spark cannot guarantee that row policies apply before the query's own conditions; "
                              "hand-written SQL is off for restricted users on it")
        return self._reachable(lambda: self._execute(sql, check_cost=True))

    def _reachable(self, call: Callable[[], _T]) -> _T:
        """``call()``, unless the server was found unreachable moments ago (then that error again)."""
        down = self._unreachable
        if down is not None and time.monotonic() < down[0]:
            raise _Unreachable(down[1])
        try:
            return call()
        except _Unreachable as exc:
            self._unreachable = (time.monotonic() + UNREACHABLE_S, str(exc))
            raise

    def _execute(self, sql: str, *, check_cost: bool = False) -> pd.DataFrame:
        for attempt in range(2):
            session = self._spark()
            try:
                frame = self._run(session, sql, check_cost=check_cost)
            except _SessionLost:
                self._drop_session(session)  # the server restarted: a new session, once
                if attempt:
                    raise EngineError(f"the Spark Connect server at {self.safe_url} keeps losing the session; "
                                      "is it restarting?") from None
                continue
            return mark_truncated(frame, self.row_cap) if self.row_cap is not None else frame
        raise AssertionError("unreachable")  # pragma: no cover

    def _run(self, session: Any, sql: str, *, check_cost: bool = False) -> pd.DataFrame:
        tag = f"chatbi-{uuid.uuid4().hex}"
        watchdog = _Watchdog(lambda: session.interruptTag(tag), self.timeout_s) if self.timeout_s else None
        try:
            session.addTag(tag)
            statement = self._envelope(sql)
            if check_cost:
                plan = session.sql(explain_cost_sql(statement)).toPandas()
                problem = spark_plan_problem(str(plan.iloc[0, 0]) if len(plan) else "", self.cost_limits)
                if problem:
                    raise QueryTooCostly(problem[0].upper() + problem[1:] + ".")
            frame = session.sql(statement).toPandas()
            frame.attrs.clear()  # Spark puts its execution plan's metrics there
            return normalize_frame(frame)
        except QueryTooCostly:
            raise
        except Exception as exc:  # noqa: BLE001 - every driver failure becomes an EngineError
            if watchdog is not None and watchdog.fired:
                raise QueryTimeout(f"the query ran longer than {self.timeout_s:g} s and was stopped") from None
            if _session_lost(session, exc):
                raise _SessionLost from None
            raise self._error(exc) from None
        finally:
            if watchdog is not None:
                watchdog.stop()
            _quietly(lambda: session.removeTag(tag))

    def _envelope(self, sql: str) -> str:
        """The statement as a subquery: Spark accepts that only when the statement is one query.

        The line breaks keep a trailing ``-- comment`` from swallowing the closing parenthesis.
        """
        body = sql.strip().rstrip(";")
        limit = f" LIMIT {self.row_cap + 1}" if self.row_cap is not None else ""
        return f"SELECT * FROM (\n{body}\n) AS {_ENVELOPE_ALIAS}{limit}"

    def _error(self, exc: BaseException) -> EngineError:
        text = str(exc)
        lowered = text.lower()
        first = _first_line(exc)
        cls = _error_class(exc)
        if "statuscode.unavailable" in lowered or "failed to connect" in lowered or "connection refused" in lowered \
                or "deadline_exceeded" in lowered or "statuscode.deadline" in lowered or "retries exceeded" in lowered:
            return _Unreachable(f"cannot reach the Spark Connect server at {self.safe_url} (is it running?): {first}")
        if cls.startswith(("TABLE_OR_VIEW_NOT_FOUND", "UNRESOLVED_COLUMN", "SCHEMA_NOT_FOUND")) \
                or ("table or view" in lowered and "cannot be found" in lowered):
            return EngineError(f"Spark at {self.safe_url} has no such table, column or database: {first}")
        if cls.startswith("PARSE_SYNTAX_ERROR") or type(exc).__name__ == "ParseException":
            return EngineError(f"Spark could not read the statement as one query: {first}")
        if cls.startswith(("DATATYPE_MISMATCH", "CAST_INVALID_INPUT")):
            return EngineError(type_mismatch_message(first, "42804") or f"Spark error: {first}")
        return EngineError(type_mismatch_message(first) or f"Spark error: {first}")

    # -- metadata --------------------------------------------------------------------------
    def data_version(self, tables: Sequence[str]) -> str:
        """Row counts of ``tables`` (Spark answers ``COUNT(*)`` over Parquet from file footers),
        after refreshing the session's cached file listings of those tables.

        A Spark session keeps the file list of a table it has read; files written since (by a
        load job, another session) are invisible to it until the table is refreshed. The probe
        refreshes them (a catalog call, no data is read), so the next question sees new data.
        Appends and deletes change the version; a rewrite with the same number of rows does not.
        """
        def refresh() -> None:
            session = self._spark()
            try:
                for table in tables:
                    session.catalog.refreshTable(table)
            except Exception as exc:  # noqa: BLE001
                raise self._error(exc) from None

        self._reachable(refresh)
        frame = self.execute(row_counts_sql(list(tables), self.dialect))
        return ";".join(f"{t}={n}" for t, n in sorted(frame.itertuples(index=False, name=None)))

    def list_tables(self) -> list[tuple[str, list[tuple[str, str, bool]], bool]]:
        """(table, [(column, Spark type, nullable)], is_view) for each table of the current database,
        from the Spark catalog (model drafting reads structure through this, not information_schema)."""
        return self._reachable(self._list_tables)

    def _list_tables(self) -> list[tuple[str, list[tuple[str, str, bool]], bool]]:
        session = self._spark()
        try:
            out = []
            for table in session.catalog.listTables(dbName=self.database):
                qualified = table.name if table.isTemporary or not self.database else f"{self.database}.{table.name}"
                columns = session.catalog.listColumns(qualified)
                out.append((table.name, [(c.name, c.dataType, bool(c.nullable)) for c in columns],
                            str(table.tableType).upper() in {"VIEW", "TEMPORARY"}))
            return out
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc) from None

    def close(self) -> None:
        with self._lock:
            session, self._session = self._session, None
        if session is not None:
            _quietly(session.stop)


class _Unreachable(EngineError):
    """The server did not answer (down, wrong host or port, network)."""


class _SessionLost(Exception):
    """The server no longer knows this client's session (it restarted)."""


class _Watchdog:
    """Calls ``interrupt`` once after ``timeout_s`` unless stopped first."""

    def __init__(self, interrupt: Callable[[], object], timeout_s: float) -> None:
        self._interrupt = interrupt
        self._lock = threading.Lock()
        self._done = False
        self.fired = False
        self._timer = threading.Timer(timeout_s, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
        _quietly(self._interrupt)

    def stop(self) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()


def _quiet_client_logs() -> None:
    """The client logs every failed query as a JSON record with the JVM stack on stderr; ChatBI
    reports the failure as one EngineError sentence instead (the server's log keeps the stack)."""
    try:
        from pyspark.logger import PySparkLogger
    except ImportError:  # older clients log nothing of the kind
        return
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)


def _require_client() -> None:
    missing = [m for m in _CLIENT_MODULES if _find(m) is None]
    if missing:
        raise MissingDependencyError(f"Spark Connect needs the pyspark client ({', '.join(missing)} missing): "
                                     f"{INSTALL_HINT}")


def _find(module: str) -> object | None:
    try:
        return importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None


def _session_lost(session: Any, exc: BaseException) -> bool:
    """The server no longer knows the session: it restarted (the client then closes itself) or
    released the session (idle timeout, an administrator)."""
    if _error_class(exc).startswith(("INVALID_HANDLE.SESSION", "NO_ACTIVE_SESSION")):
        return True
    try:
        return bool(session.client.is_closed)
    except Exception:  # noqa: BLE001 - an older client without the flag
        return False


def _error_class(exc: BaseException) -> str:
    getter = getattr(exc, "getCondition", None) or getattr(exc, "getErrorClass", None)
    try:
        return str(getter() or "") if getter else ""
    except Exception:  # noqa: BLE001
        return ""


def _quietly(call: Callable[[], object]) -> None:
    with contextlib.suppress(Exception):  # best effort: the session or tag is going away anyway
        call()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    details = _GRPC_DETAILS.search(text)  # a raw gRPC error: its details say what happened
    if details:
        text = details[1]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0][:300] if lines else type(exc).__name__
