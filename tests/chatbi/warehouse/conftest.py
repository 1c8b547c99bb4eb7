"""Fixtures of the engine tests: one warehouse in DuckDB, PostgreSQL, SQLite and Spark, and checksums.

The cross-engine warehouse is the telecom sample cut to the cities of two provinces (every
date, plan, channel and segment kept), so the same semantic queries can run on all four
engines in seconds. The sample warehouse itself, the PostgreSQL database, the SQLite file and
the Spark tables (catalog and Parquet files) are checksummed before the first test and after
the last: nothing ChatBI runs may change them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from chatbi import ChatBI
from semantic_layer import SemanticModel

from .loaders import duckdb_checksums, duckdb_into_sqlite, postgres_checksums, spark_checksums, sqlite_checksums

PROVINCES = ("广东", "四川")
SPARK_DATABASE = "chatbi_engines"
TABLES = ("dim_plan", "dim_region", "fact_daily", "fact_network_daily")


@pytest.fixture(scope="session", autouse=True)
def sample_unchanged(sample_db_path: Path) -> Iterator[None]:
    """The sample warehouse is byte-for-byte the same data after every engine test ran."""
    before = duckdb_checksums(sample_db_path)
    yield
    assert duckdb_checksums(sample_db_path) == before, "the sample warehouse changed during the tests"


@pytest.fixture(scope="session")
def small_duckdb(sample_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample cut to two provinces' cities, as a new DuckDB file (types kept through Parquet)."""
    out = tmp_path_factory.mktemp("small") / "small.duckdb"
    source = duckdb.connect(str(sample_db_path), read_only=True)
    target = duckdb.connect(str(out))
    try:
        cities = [r[0] for r in source.execute("SELECT city_id FROM dim_region WHERE province IN (?, ?)",
                                               list(PROVINCES)).fetchall()]
        with tempfile.TemporaryDirectory() as tmp:
            for table in TABLES:
                where = f"WHERE city_id IN ({', '.join(map(str, cities))})" if table.startswith("fact") else ""
                parquet = Path(tmp, f"{table}.parquet").as_posix()
                source.execute(f"COPY (SELECT * FROM {table} {where}) TO '{parquet}' (FORMAT PARQUET)")
                target.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{parquet}')")
    finally:
        source.close()
        target.close()
    return out


@pytest.fixture(scope="session")
def small_postgres_url(postgres_url: str, small_duckdb: Path) -> Iterator[str]:
    """A database of its own on the suite's PostgreSQL server, loaded with the small warehouse."""
    from servers.postgres import load_duckdb_into_postgres

    url = sa.engine.make_url(postgres_url)
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("DROP DATABASE IF EXISTS chatbi_engines")
        conn.exec_driver_sql("CREATE DATABASE chatbi_engines TEMPLATE template0 ENCODING 'UTF8'")
    admin.dispose()
    ours = url.set(database="chatbi_engines").render_as_string(hide_password=False)
    load_duckdb_into_postgres(small_duckdb, ours, TABLES)
    conninfo = f"host={url.host} port={url.port} user={url.username} dbname=chatbi_engines"
    before = postgres_checksums(conninfo)
    yield ours
    assert postgres_checksums(conninfo) == before, "the PostgreSQL warehouse changed during the tests"


@pytest.fixture(scope="session")
def small_sqlite(small_duckdb: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("sqlite") / "small.sqlite"
    duckdb_into_sqlite(small_duckdb, path, TABLES)
    before = sqlite_checksums(path)
    yield path
    assert sqlite_checksums(path) == before, "the SQLite warehouse changed during the tests"


@pytest.fixture(scope="session")
def duck_bi(sample_model: SemanticModel, small_duckdb: Path) -> Iterator[ChatBI]:
    bi = ChatBI(sample_model, small_duckdb)
    yield bi
    bi.close()


@pytest.fixture(scope="session")
def pg_bi(sample_model: SemanticModel, small_postgres_url: str) -> Iterator[ChatBI]:
    bi = ChatBI(sample_model, small_postgres_url)
    yield bi
    bi.close()


@pytest.fixture(scope="session")
def sqlite_bi(sample_model: SemanticModel, small_sqlite: Path) -> Iterator[ChatBI]:
    bi = ChatBI(sample_model, f"sqlite:///{small_sqlite}")
    yield bi
    bi.close()


@pytest.fixture(scope="session")
def small_spark_url(spark_connect: object, small_duckdb: Path) -> Iterator[str]:
    """The small warehouse in a database of its own on the suite's Spark Connect server (as Parquet)."""
    from servers.spark import load_duckdb_into_spark

    load_duckdb_into_spark(small_duckdb, spark_connect, SPARK_DATABASE, TABLES)  # type: ignore[arg-type]
    before = spark_checksums(spark_connect, SPARK_DATABASE)
    yield f"{spark_connect.url}/;database={SPARK_DATABASE}"  # type: ignore[attr-defined]
    assert spark_checksums(spark_connect, SPARK_DATABASE) == before, "the Spark warehouse changed during the tests"


@pytest.fixture(scope="session")
def spark_bi(sample_model: SemanticModel, small_spark_url: str) -> Iterator[ChatBI]:
    bi = ChatBI(sample_model, small_spark_url)
    yield bi
    bi.close()
