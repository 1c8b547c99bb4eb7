"""Mistakes in a ``--database`` value answered with the right form, before anything connects.

A failed connection must not leave anything behind: SQLite creates an empty file for a path
that does not exist (and DuckDB would too, were it not opened read-only), so a missing file is
reported before a driver is asked.

>>> database_problem("postgres://bi@localhost/dw")
"'postgres://' is not a SQLAlchemy scheme: write postgresql://bi@localhost/dw (or postgresql+psycopg://bi@localhost/dw)"
>>> database_problem("postgresql+psycopg://bi@localhost/dw") is None
True
"""

from __future__ import annotations

import re
from pathlib import Path

from semantic_layer.errors import suggest

__all__ = ["database_problem"]

#: schemes people type -> what SQLAlchemy calls them
_ALIASES = {"postgres": "postgresql", "postgre": "postgresql", "postgressql": "postgresql", "pg": "postgresql",
            "pgsql": "postgresql", "psql": "postgresql", "sqlite3": "sqlite", "mysql8": "mysql", "sqlserver": "mssql",
            "ms-sql": "mssql", "duck": "duckdb"}
_KNOWN = ("postgresql", "mysql", "mariadb", "sqlite", "mssql", "oracle", "snowflake", "bigquery", "trino", "presto",
          "clickhouse", "duckdb", "databricks", "hive", "redshift", "awsathena", "sc")
_DATA_FILES = (".csv", ".tsv", ".txt", ".parquet", ".pq", ".json", ".jsonl", ".ndjson", ".xlsx", ".xls")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9.\-]*)(\+[A-Za-z0-9_]+)?://(.*)$")


def database_problem(text: str) -> str | None:
    """What is wrong with ``text`` as a DuckDB path or database URL, with the right form; None if nothing."""
    match = _SCHEME.match(text)
    if match is None:
        suffix = Path(text).suffix.lower()
        if suffix in _DATA_FILES:
            return (f"{text} is a data file, not a database: ask it with `chatbi ask --data {text}` "
                    f"(or draft a model with `chatbi model draft --files {text}`)")
        return None
    scheme, driver, rest = match.group(1).lower(), match.group(2) or "", match.group(3)
    right = _ALIASES.get(scheme)
    if right is not None:
        better = f"{right}{driver}://{rest}"
        extra = f" (or {right}+psycopg://{rest})" if right == "postgresql" and not driver else ""
        return f"'{scheme}://' is not a SQLAlchemy scheme: write {better}{extra}"
    if scheme == "sqlite":
        return _sqlite_problem(text, rest)
    if scheme not in _KNOWN and "." not in scheme:
        close = suggest(scheme, _KNOWN, n=1, cutoff=0.6)
        if close:
            return f"unknown database scheme '{scheme}://': did you mean {close[0]}{driver}://{rest}?"
    return None


def _sqlite_problem(text: str, rest: str) -> str | None:
    path = rest.split("?", 1)[0]
    if path in ("", ":memory:") or rest.startswith("file:"):
        return None
    if not path.startswith("/"):
        return (f"{text}: a SQLite URL has three slashes before a relative path (sqlite:///data/app.db) "
                "and four before an absolute one (sqlite:////srv/data/app.db)")
    file = Path(path[1:])  # sqlite:///rel.db -> rel.db, sqlite:////abs.db -> /abs.db
    if not file.exists():
        return f"the SQLite file {file} does not exist (nothing was created; check the path)"
    return None
