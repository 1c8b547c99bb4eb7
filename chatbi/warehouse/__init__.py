"""Warehouse engines behind the :class:`Engine` protocol, and :func:`connect` to pick one.

| form | engine |
|---|---|
| a path, ``duckdb:///path``, ``duckdb:///:memory:`` | :class:`DuckDBEngine` (embedded; files read-only) |
| ``sc://host:15002`` (``spark://``, ``spark+connect://``) | :class:`SparkConnectEngine` (``chatbi[spark]``) |
| ``postgresql://``, ``mysql+pymysql://``, ``sqlite:///``, ``snowflake://`` ... | :class:`SQLAlchemyEngine` |

Other forms are refused by :func:`connect` with what to write instead (``urls.py``,
``url_forms.yaml``). What each engine guarantees is in its module docstring and the README.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from .base import Engine, VersionedEngine
from .duckdb_engine import DuckDBEngine

if TYPE_CHECKING:
    from .spark_engine import SparkConnectEngine
    from .sqlalchemy_engine import SQLAlchemyEngine

__all__ = ["Engine", "VersionedEngine", "DuckDBEngine", "SQLAlchemyEngine", "SparkConnectEngine", "connect"]


def __getattr__(name: str) -> Any:
    # SQLAlchemy and the Spark client are imported only when their URLs are used (keeps `import chatbi` fast)
    if name == "SQLAlchemyEngine":
        from .sqlalchemy_engine import SQLAlchemyEngine

        return SQLAlchemyEngine
    if name == "SparkConnectEngine":
        from .spark_engine import SparkConnectEngine

        return SparkConnectEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def connect(database: str | os.PathLike[str] | Engine | None) -> Engine:
    """An engine for a DuckDB path, a database URL (see the table above) or an engine object.

    Nothing connects yet (a DuckDB file is opened); unsupported forms raise ``ConfigError``.
    """
    if database is None:
        return DuckDBEngine()
    if isinstance(database, Engine) and not isinstance(database, (str, os.PathLike)):
        return database
    if not isinstance(database, (str, os.PathLike)):
        raise ConfigError(f"cannot connect to {database!r}: give a DuckDB file path, a database URL or an Engine")
    from .urls import database_problem, resolve

    problem = database_problem(os.fspath(database))  # before connecting: a failed attempt must not create a file
    if problem:
        raise ConfigError(problem)
    target = resolve(database)
    if target.kind == "duckdb":
        return DuckDBEngine(target.location)
    if target.kind == "spark":
        from .spark_engine import SparkConnectEngine

        return SparkConnectEngine(str(database))
    from .sqlalchemy_engine import SQLAlchemyEngine

    return SQLAlchemyEngine(str(database))
