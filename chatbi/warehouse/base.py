"""The ``Engine`` protocol: the only way ChatBI talks to a warehouse.

What every engine ChatBI ships guarantees (and what an injected engine should do too):

- ``execute`` runs one read-only query and returns a DataFrame with DuckDB's types
  (``chatbi.warehouse.frames``); every failure, whatever the driver raised, is an
  :class:`~chatbi.errors.EngineError` whose message is a sentence a user can act on (a timeout
  is its subclass :class:`~chatbi.errors.QueryTimeout`); at most ``row_cap`` rows come back and
  ``frame.attrs["truncated"]`` says whether more were there.
- ``data_version(tables)`` (optional, see :class:`VersionedEngine`) is a cheap marker of the data.
- Constructing an engine never connects: connections are made at the first statement, so a
  wrong host is an error answer, and ``--sql-only`` needs no warehouse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import pandas as pd

__all__ = ["DEFAULT_ENGINE_ROW_CAP", "DEFAULT_RESULT_BYTES", "DEFAULT_TIMEOUT_S", "Engine", "UntrustedSQLEngine",
           "VersionedEngine", "mark_byte_cut", "mark_truncated", "type_mismatch_message", "value_bytes"]

#: seconds a statement may run before the engine stops it
DEFAULT_TIMEOUT_S = 60.0
#: most rows an engine fetches for one statement (a memory safety net; ChatBI's guard caps lower)
DEFAULT_ENGINE_ROW_CAP = 1_000_000
#: most bytes of one result (a few wide rows can be as large as a million narrow ones)
DEFAULT_RESULT_BYTES = 256 * 1024 * 1024


@runtime_checkable
class Engine(Protocol):
    """Runs read-only SQL and returns a DataFrame. Implementations must be thread-safe."""

    #: the sqlglot dialect the semantic layer compiles for (``duckdb``, ``postgres`` ...)
    dialect: str

    def execute(self, sql: str) -> pd.DataFrame: ...

    def close(self) -> None: ...


@runtime_checkable
class UntrustedSQLEngine(Protocol):
    """An engine that can run SQL a person or a model wrote with the guarantees access control needs.

    Optional: ChatBI calls ``execute_untrusted`` for guard-checked SQL text (``run_sql``, the app's
    SQL editor, an LLM's free SQL) when the engine has it, ``execute`` otherwise. It must

    * refuse a statement whose plan is too costly (a product of large tables) before running it,
      with :class:`~chatbi.errors.QueryTooCostly`;
    * when ``policy_views_first`` is True, make each of ``views`` (name -> a SELECT ChatBI built:
      a row policy's view of a table, read by ``sql`` under that name) take effect *before* any
      expression of ``sql`` sees a row: no predicate, function or error of ``sql`` may be
      evaluated on a row the view filters out. DuckDB materialises each view first; PostgreSQL
      uses temporary ``security_barrier`` views. An engine that cannot promise this says
      ``policy_views_first = False`` (and refuses ``views``): row-restricted users then get no
      hand-written SQL at all (``chatbi.security``).
    """

    dialect: str
    #: whether ``views`` are guaranteed to apply before the statement's own expressions
    policy_views_first: bool

    def execute_untrusted(self, sql: str, views: Mapping[str, str] | None = None) -> pd.DataFrame: ...


@runtime_checkable
class VersionedEngine(Protocol):
    """An engine that can tell cheaply whether data changed (``chatbi.warehouse.version``).

    ``data_version(tables)`` returns an opaque string that changes when rows of any of
    ``tables`` are added, deleted or rewritten (as far as the engine can see: each engine
    documents its marker), and stays the same otherwise. It must cost a few milliseconds, never
    a scan of the data, and raise :class:`~chatbi.errors.EngineError` when the warehouse cannot
    be reached. Engines without such a method are probed with row counts.
    """

    def data_version(self, tables: Sequence[str]) -> str: ...


def mark_truncated(frame: pd.DataFrame, row_cap: int) -> pd.DataFrame:
    """Cut ``frame`` to ``row_cap`` rows; ``attrs["truncated"]`` tells whether rows were dropped."""
    truncated = len(frame) > row_cap
    if truncated:
        frame = frame.iloc[:row_cap].copy()
    frame.attrs["truncated"] = truncated
    frame.attrs["row_cap"] = row_cap
    return frame


def mark_byte_cut(frame: pd.DataFrame, max_bytes: int) -> pd.DataFrame:
    """Say on ``frame`` that rows were dropped because the result reached ``max_bytes``."""
    frame.attrs["truncated"] = True
    frame.attrs["byte_cap"] = max_bytes
    return frame


def value_bytes(value: object) -> int:
    """About how many bytes a fetched value takes: text and bytes by their length, anything else 16.

    >>> value_bytes("广东" * 3), value_bytes(b"abc"), value_bytes(3.5), value_bytes(None)
    (6, 3, 16, 16)
    """
    return len(value) if isinstance(value, (str, bytes)) else 16


#: fragments of engine errors that mean a value of the wrong type (text read as a date or number)
_TYPE_ERRORS = ("cannot mix values of type", "conversion error", "could not convert string",
                "no function matches the given name and argument types", "operator does not exist",
                "invalid input syntax for type", "datatype mismatch", "cannot compare values of type",
                "date/time field value out of range", "cannot cast", "invalid date", "invalid timestamp")
#: PostgreSQL SQLSTATEs of the same errors
_TYPE_CODES = ("42883", "22007", "22008", "22P02", "42804")


def type_mismatch_message(detail: str, code: str = "") -> str | None:
    """A sentence for an engine error caused by a column stored with another type than the model
    reads it as (dates or numbers kept as text), or None for any other error.

    >>> type_mismatch_message("Binder Error: Cannot mix values of type VARCHAR and DATE in BETWEEN")[:54]
    'The data has a column stored as text where the model e'
    """
    lowered = detail.lower()
    if code not in _TYPE_CODES and not any(f in lowered for f in _TYPE_ERRORS):
        return None
    return ("The data has a column stored as text where the model expects a date or a number, so the "
            "database could not run the query. `chatbi model check MODEL --database URL` names the column "
            f"and how to fix it. (Database message: {detail})")
