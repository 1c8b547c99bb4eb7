"""Warehouse engines behind the :class:`Engine` protocol."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from .base import Engine
from .duckdb_engine import DuckDBEngine

if TYPE_CHECKING:
    from .sqlalchemy_engine import SQLAlchemyEngine

__all__ = ["Engine", "DuckDBEngine", "SQLAlchemyEngine", "connect"]


def __getattr__(name: str) -> Any:
    # SQLAlchemy is imported only when a database URL is used (keeps `import chatbi` fast)
    if name == "SQLAlchemyEngine":
        from .sqlalchemy_engine import SQLAlchemyEngine

        return SQLAlchemyEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def connect(database: str | os.PathLike[str] | Engine | None) -> Engine:
    """An engine from a DuckDB path, a ``duckdb:///path`` URL, any SQLAlchemy URL or an engine."""
    if database is None:
        return DuckDBEngine()
    if isinstance(database, Engine) and not isinstance(database, (str, os.PathLike)):
        return database
    text = str(database)
    from .urls import database_problem

    problem = database_problem(text)  # before connecting: a failed attempt must not create a file
    if problem:
        raise ConfigError(problem)
    if text.startswith("duckdb://"):
        path = text.removeprefix("duckdb://").removeprefix("/")
        return DuckDBEngine(path or None) if path not in ("", ":memory:") else DuckDBEngine()
    if "://" in text:
        from .sqlalchemy_engine import SQLAlchemyEngine

        return SQLAlchemyEngine(text)
    if isinstance(database, (str, os.PathLike)):
        return DuckDBEngine(Path(database))
    raise ConfigError(f"cannot connect to {database!r}: give a DuckDB file path, a database URL or an Engine")
