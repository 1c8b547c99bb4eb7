"""Copy the DuckDB sample warehouse into other databases, and checksum databases' tables."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterable

import duckdb

__all__ = ["duckdb_into_sqlite", "duckdb_checksums", "sqlite_checksums", "postgres_checksums", "spark_checksums"]

_SQLITE_TYPES = {"DATE": "TEXT", "VARCHAR": "TEXT", "DOUBLE": "REAL", "FLOAT": "REAL", "BOOLEAN": "INTEGER"}


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                                      "AND table_type = 'BASE TABLE' ORDER BY table_name").fetchall()]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def duckdb_into_sqlite(duckdb_path: str | os.PathLike[str], sqlite_path: str | os.PathLike[str],
                       tables: Iterable[str] | None = None) -> dict[str, int]:
    """Copy tables into a SQLite file; dates become ISO text (how SQLite keeps dates)."""
    source = duckdb.connect(str(duckdb_path), read_only=True)
    target = sqlite3.connect(str(sqlite_path))
    counts: dict[str, int] = {}
    try:
        for table in list(tables) if tables is not None else _tables(source):
            cols = source.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = "
                                  "'main' AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()
            defs = ", ".join(f"{_quote(c)} {_SQLITE_TYPES.get(t, 'INTEGER' if 'INT' in t else 'TEXT')}" for c, t in cols)
            select = ", ".join(f"CAST({_quote(c)} AS VARCHAR)" if t == "DATE" else _quote(c) for c, t in cols)
            target.execute(f"DROP TABLE IF EXISTS {_quote(table)}")
            target.execute(f"CREATE TABLE {_quote(table)} ({defs})")
            result = source.execute(f"SELECT {select} FROM {_quote(table)}")
            insert = f"INSERT INTO {_quote(table)} VALUES ({', '.join('?' * len(cols))})"
            counts[table] = 0
            while rows := result.fetchmany(100_000):
                target.executemany(insert, rows)
                counts[table] += len(rows)
        target.commit()
    finally:
        target.close()
        source.close()
    return counts


def _digest(rows: Iterable[tuple[object, ...]]) -> str:
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


def duckdb_checksums(path: str | os.PathLike[str]) -> dict[str, str]:
    """Per table: row count and an order-independent hash of every row."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: _digest(con.execute(f"SELECT COUNT(*), SUM(hash(t)) FROM {_quote(t)} AS t").fetchall())
                for t in _tables(con)} | {"__tables__": _digest(_tables(con))}
    finally:
        con.close()


def sqlite_checksums(path: str | os.PathLike[str]) -> dict[str, str]:
    """Row counts of every table plus a hash of the file's bytes (any write changes them)."""
    con = sqlite3.connect(f"file:{os.fspath(path)}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        out = {t: _digest(con.execute(f"SELECT COUNT(*) FROM {_quote(t)}")) for t in tables}
    finally:
        con.close()
    with open(path, "rb") as handle:
        out["__file__"] = hashlib.file_digest(handle, "sha256").hexdigest()
    return out


def postgres_checksums(conninfo: str) -> dict[str, str]:
    import psycopg

    with psycopg.connect(conninfo) as con:
        tables = [r[0] for r in con.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                            "ORDER BY tablename").fetchall()]
        out = {"__tables__": _digest([(t,) for t in tables])}
        for t in tables:
            out[t] = _digest(con.execute(f"SELECT COUNT(*), SUM(hashtext(t::text)::numeric) FROM {_quote(t)} AS t")
                             .fetchall())
        return out


def spark_checksums(server: object, database: str) -> dict[str, str]:
    """The database's tables in the server's catalog (name, type, location) and a hash of every
    file under the server's data directory for it: a write, a drop or a new table changes them."""
    from pyspark.sql.connect.session import SparkSession

    session = SparkSession(connection=server.url)  # type: ignore[attr-defined]
    try:
        tables = sorted((t.name, str(t.tableType)) for t in session.catalog.listTables(dbName=database))
        out = {"__tables__": _digest(tables)}
        for name, _ in tables:
            out[name] = _digest(session.sql(f"SELECT COUNT(*) FROM {database}.{name}").collect())
    finally:
        session.stop()
    root = server.data_dir / database  # type: ignore[attr-defined]
    for file in sorted(root.rglob("*")):
        if file.is_file():
            with open(file, "rb") as handle:
                out[str(file.relative_to(root))] = hashlib.file_digest(handle, "sha256").hexdigest()
    return out
