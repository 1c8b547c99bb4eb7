"""Which engine a ``database`` argument names, decided from its form alone, before anything connects.

Two steps, both in :func:`chatbi.warehouse.connect`:

1. :func:`database_problem` catches mistakes people type and answers with the right form: a
   misspelt scheme (``postgres://`` -> ``postgresql://``), a SQLite URL with the wrong number of
   slashes or a missing file (SQLite would create an empty one), a data file given as a database.
2. :func:`resolve` picks the engine (DuckDB, Spark Connect, SQLAlchemy) and its SQL dialect. The
   accepted forms, the Spark Connect aliases and the forms that are refused (each with what to
   write instead) are data in ``url_forms.yaml``; the README's "Engines" section mirrors it. A
   refused or unknown form fails here, when ChatBI is constructed, never at the first question.

>>> resolve("sc://spark.example.com").location, resolve("spark://10.0.0.5:15002").kind
('sc://spark.example.com:15002', 'spark')
>>> resolve("postgresql+psycopg://u@db/dw").dialect
'postgres'
>>> database_problem("postgres://bi:secret@localhost/dw")
"'postgres://' is not a SQLAlchemy scheme: write postgresql://bi:***@localhost/dw (or postgresql+psycopg://bi:***@localhost/dw)"
>>> database_problem("postgresql+psycopg://bi@localhost/dw") is None
True
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

from semantic_layer.errors import suggest

from ..errors import ConfigError

__all__ = ["Target", "resolve", "database_problem", "supported_forms", "sqlalchemy_dialect", "hide_password"]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://(.*)$", re.DOTALL)
_JDBC = re.compile(r"^jdbc:([A-Za-z0-9]+):", re.IGNORECASE)
_PASSWORD = re.compile(r"^([^/@:]*):([^/@]*)@")


@dataclass(frozen=True)
class Target:
    """What a ``database`` argument names."""

    kind: Literal["duckdb", "spark", "sqlalchemy"]
    #: the file path (DuckDB, None = in memory), ``sc://host:port/;params`` (Spark) or the URL (SQLAlchemy)
    location: str | None
    #: the sqlglot dialect ChatBI compiles for
    dialect: str


@lru_cache(maxsize=1)
def _forms() -> dict[str, Any]:
    with open(Path(__file__).with_name("url_forms.yaml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def supported_forms() -> str:
    """One line listing the forms ChatBI accepts (for error messages)."""
    return "; ".join(f"{f['form']} -> {f['engine']}" for f in _forms()["supported"])


def hide_password(url: str) -> str:
    """``scheme://user:secret@host`` -> ``scheme://user:***@host`` (for messages and logs).

    >>> hide_password("postgresql://me:pw@h/db"), hide_password("sc://h:15002/;token=abc;user_id=me")
    ('postgresql://me:***@h/db', 'sc://h:15002/;token=***;user_id=me')
    """
    match = _SCHEME.match(url)
    if not match:
        return url
    rest = _PASSWORD.sub(lambda m: f"{m[1]}:***@", match[2], count=1)
    rest = re.sub(r"(;\s*token\s*=)[^;]*", r"\1***", rest, flags=re.IGNORECASE)
    return f"{match[1]}://{rest}"


def sqlalchemy_dialect(scheme: str) -> str | None:
    """The sqlglot dialect of a SQLAlchemy backend ChatBI compiles for, or None."""
    return _forms()["sqlalchemy_dialects"].get(scheme.split("+", 1)[0].lower())


def _refuse(text: str, reason: str) -> ConfigError:
    if not reason.startswith("write") and "supported:" not in reason.lower():
        reason = f"{reason.rstrip('.')}; {_forms()['summary']}"
    return ConfigError(f"unsupported database URL {hide_password(text)!r}: {reason}")


def resolve(database: str | os.PathLike[str]) -> Target:
    """The engine, location and dialect a DuckDB path or a database URL names.

    Raises ``ConfigError`` for forms ChatBI does not support, saying what to write instead.
    """
    text = os.fspath(database).strip()
    forms = _forms()
    jdbc = _JDBC.match(text)
    if jdbc:
        raise _refuse(text, forms["refused"]["jdbc"])
    match = _SCHEME.match(text)
    if match is None:
        if not text:
            raise ConfigError(f"empty database argument; supported: {supported_forms()}")
        return Target("duckdb", None if text == ":memory:" else text, "duckdb")
    scheme, rest = match[1].lower(), match[2]
    if scheme == "duckdb":
        path = rest.removeprefix("/")
        return Target("duckdb", None if path in ("", ":memory:") else path, "duckdb")
    if scheme in forms["spark_schemes"]:
        return Target("spark", _spark_location(text, scheme, rest), "spark")
    base = scheme.split("+", 1)[0]
    refused = forms["refused"].get(base)
    if refused is not None:
        raise _refuse(text, refused.format(rest=_PASSWORD.sub(lambda m: f"{m[1]}:***@", rest, count=1)))
    dialect = sqlalchemy_dialect(scheme)
    if dialect is None:
        raise _refuse(text, f"ChatBI does not compile SQL for {base!r}")
    return Target("sqlalchemy", text, dialect)


def _spark_location(text: str, scheme: str, rest: str) -> str:
    """``sc://host:port`` with the default port filled in, whatever Spark Connect alias was used."""
    forms = _forms()
    hostport, sep, tail = rest.partition("/")
    host, _, port = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
    if not host:
        raise _refuse(text, "a Spark Connect URL needs a host: sc://host:15002")
    if port and not port.isdigit():
        raise _refuse(text, f"the port {port!r} is not a number: sc://{host}:15002")
    if scheme == "spark" and port and int(port) == forms["spark_master_port"]:
        raise _refuse(text, forms["spark_master_hint"].format(url=text, host=host))
    port = port or str(forms["spark_default_port"])
    return f"sc://{host}:{port}{sep}{tail}"


#: schemes people type -> what SQLAlchemy calls them
_ALIASES = {"postgres": "postgresql", "postgre": "postgresql", "postgressql": "postgresql", "pg": "postgresql",
            "pgsql": "postgresql", "psql": "postgresql", "sqlite3": "sqlite", "mysql8": "mysql", "sqlserver": "mssql",
            "ms-sql": "mssql", "duck": "duckdb"}
_KNOWN = ("postgresql", "mysql", "mariadb", "sqlite", "mssql", "oracle", "snowflake", "bigquery", "trino", "presto",
          "clickhouse", "duckdb", "databricks", "hive", "redshift", "awsathena", "sc")
_DATA_FILES = (".csv", ".tsv", ".txt", ".parquet", ".pq", ".json", ".jsonl", ".ndjson", ".xlsx", ".xls")
_TYPED = re.compile(r"^([A-Za-z][A-Za-z0-9.\-]*)(\+[A-Za-z0-9_]+)?://(.*)$")


def database_problem(text: str) -> str | None:
    """What is wrong with ``text`` as a DuckDB path or database URL, with the right form; None if nothing."""
    match = _TYPED.match(text)
    if match is None:
        suffix = Path(text).suffix.lower()
        if suffix in _DATA_FILES:
            return (f"{text} is a data file, not a database: ask it with `chatbi ask --data {text}` "
                    f"(or draft a model with `chatbi model draft --files {text}`)")
        return None
    scheme, driver, rest = match.group(1).lower(), match.group(2) or "", match.group(3)
    rest = _PASSWORD.sub(lambda m: f"{m[1]}:***@", rest, count=1)  # messages never show a password
    right = _ALIASES.get(scheme)
    if right is not None and sqlalchemy_dialect(right) is not None:  # unsupported targets: resolve() says so
        better = f"{right}{driver}://{rest}"
        extra = f" (or {right}+psycopg://{rest})" if right == "postgresql" and not driver else ""
        return f"'{scheme}://' is not a SQLAlchemy scheme: write {better}{extra}"
    if scheme == "sqlite":
        return _sqlite_problem(text, rest)
    forms = _forms()
    named = {*forms["spark_schemes"], *forms["refused"], *forms["sqlalchemy_dialects"]}
    if scheme not in _KNOWN and scheme not in named and "." not in scheme:  # a typo, not a form resolve() answers
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
