"""The SQLAlchemy engine against real SQLite files and a real PostgreSQL server."""

from __future__ import annotations

import importlib.util
import re
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from chatbi.errors import ConfigError, EngineError, MissingDependencyError, QueryTimeout
from chatbi.warehouse import SQLAlchemyEngine, connect
from chatbi.warehouse.sqlalchemy_engine import dialect_for_url, driver_package

# SQLite has no sleep(); a big recursive count keeps it busy
SQLITE_SLOW = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500000000) "
               "SELECT COUNT(*) FROM n")


@pytest.mark.parametrize(("url", "dialect"), [
    ("postgresql+psycopg://u@h/db", "postgres"), ("postgresql://u@h/db", "postgres"),
    ("mysql+pymysql://u:p@h/db", "mysql"), ("mariadb+pymysql://u@h/db", "mysql"), ("sqlite:///x.db", "sqlite"),
    ("snowflake://acct/db", "snowflake"), ("bigquery://project/dataset", "bigquery"),
    ("trino://u@h:8080/hive", "trino"), ("clickhouse+native://h/db", "clickhouse"),
])
def test_dialect_comes_from_the_url(url: str, dialect: str) -> None:
    assert dialect_for_url(url) == dialect


def test_unknown_backends_and_bad_urls_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"ChatBI does not compile SQL for 'foo'; supported: .*sc://host:15002"):
        SQLAlchemyEngine("foo://x/y")
    with pytest.raises(ConfigError, match="not a database URL"):
        SQLAlchemyEngine("not a url ://")


@pytest.mark.parametrize(("url", "package"), [
    ("snowflake://acct/db", "snowflake-sqlalchemy"),
    ("mysql+mysqlconnector://u@h/db", "mysql-connector-python"),
    ("trino://u@h:8080/hive", "trino[sqlalchemy]"),
])
def test_a_missing_driver_names_the_package_to_install(url: str, package: str) -> None:
    module = {"snowflake-sqlalchemy": "snowflake.sqlalchemy", "mysql-connector-python": "mysql.connector",
              "trino[sqlalchemy]": "trino"}[package]
    if importlib.util.find_spec(module.split(".")[0]) is not None:
        pytest.skip(f"{package} is installed here")
    assert driver_package(url) == package
    with pytest.raises(MissingDependencyError, match=f"pip install {re.escape(package)}"):
        SQLAlchemyEngine(url)


def test_postgresql_without_driver_uses_psycopg3_when_that_is_what_is_installed() -> None:
    if importlib.util.find_spec("psycopg2") is not None:
        pytest.skip("psycopg2 is installed; SQLAlchemy's default applies")
    engine = connect("postgresql://someone:secret@127.0.0.1:1/db")
    assert isinstance(engine, SQLAlchemyEngine) and engine.url.drivername == "postgresql+psycopg"
    assert "secret" not in repr(engine) and "***" in engine.safe_url


# -- SQLite ------------------------------------------------------------------------------------
@pytest.fixture()
def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "t.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE t (day TEXT, city TEXT, amount REAL)")
        con.executemany("INSERT INTO t VALUES (?, ?, ?)", [(f"2025-01-{d:02d}", c, d * 1.5) for d in range(1, 29)
                                                           for c in ("广州", "深圳")])
    return path


def test_sqlite_reads_and_keeps_literals_intact(sqlite_file: Path) -> None:
    engine = SQLAlchemyEngine(f"sqlite:///{sqlite_file}")
    try:
        frame = engine.execute("SELECT city, SUM(amount) AS total, '50%' AS pct, ':city' AS colon, "
                               "printf('%d rows', COUNT(*)) AS n FROM t GROUP BY city ORDER BY city")
        assert frame.to_dict("records") == [
            {"city": "广州", "total": pytest.approx(609.0), "pct": "50%", "colon": ":city", "n": "28 rows"},
            {"city": "深圳", "total": pytest.approx(609.0), "pct": "50%", "colon": ":city", "n": "28 rows"}]
        assert engine.dialect == "sqlite"
    finally:
        engine.close()


def test_sqlite_connections_are_read_only(sqlite_file: Path) -> None:
    engine = SQLAlchemyEngine(f"sqlite:///{sqlite_file}")
    try:
        for sql in ("DELETE FROM t", "CREATE TABLE x (a INT)", "UPDATE t SET amount = 0"):
            with pytest.raises(EngineError, match=r"read-only|readonly"):
                engine.execute(sql)
        assert len(engine.execute("SELECT * FROM t")) == 56
    finally:
        engine.close()


def test_sqlite_timeout_stops_the_statement(sqlite_file: Path) -> None:
    engine = SQLAlchemyEngine(f"sqlite:///{sqlite_file}", timeout_s=0.3)
    try:
        start = time.perf_counter()
        with pytest.raises(QueryTimeout):
            engine.execute(SQLITE_SLOW)
        assert time.perf_counter() - start < 30  # the statement alone runs far longer: stopped, not waited for
        assert engine.execute("SELECT COUNT(*) AS n FROM t").iloc[0, 0] == 56
    finally:
        engine.close()


def test_row_cap_and_missing_table(sqlite_file: Path) -> None:
    engine = SQLAlchemyEngine(f"sqlite:///{sqlite_file}", row_cap=10)
    try:
        frame = engine.execute("SELECT * FROM t")
        assert len(frame) == 10 and frame.attrs["truncated"] is True
        assert engine.execute("SELECT * FROM t LIMIT 10").attrs["truncated"] is False
        with pytest.raises(EngineError, match="no such table"):
            engine.execute("SELECT * FROM nope")
    finally:
        engine.close()


# -- PostgreSQL -------------------------------------------------------------------------------
@pytest.mark.postgres
def test_postgres_runs_read_only_with_a_statement_timeout(small_postgres_url: str) -> None:
    engine = SQLAlchemyEngine(small_postgres_url, timeout_s=2.5, pool_size=1, max_overflow=0)
    try:
        settings = engine.execute("SELECT current_setting('transaction_read_only') AS ro, "
                                  "current_setting('statement_timeout') AS timeout")
        assert settings.to_dict("records") == [{"ro": "on", "timeout": "2500ms"}]
        with pytest.raises(EngineError, match="read-only"):
            engine.execute("CREATE TABLE stolen AS SELECT * FROM dim_region")
        with pytest.raises(EngineError, match="read-only"):
            engine.execute("DELETE FROM dim_plan")
        # both settings were local to their transaction: the pooled connection is back to defaults
        with engine._engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "0"
            assert conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "off"
    finally:
        engine.close()


@pytest.mark.postgres
def test_postgres_timeout_cancels_on_the_server(small_postgres_url: str) -> None:
    engine = SQLAlchemyEngine(small_postgres_url, timeout_s=0.3)
    try:
        start = time.perf_counter()
        with pytest.raises(QueryTimeout, match=r"0\.3 s"):
            engine.execute("SELECT pg_sleep(10)")
        assert time.perf_counter() - start < 8  # the statement sleeps 10 s: stopped, not waited for
        assert engine.execute("SELECT COUNT(*) AS n FROM dim_region").iloc[0, 0] == 33
    finally:
        engine.close()


@pytest.mark.postgres
def test_postgres_types_match_duckdbs(small_postgres_url: str) -> None:
    engine = SQLAlchemyEngine(small_postgres_url)
    try:
        frame = engine.execute("SELECT DATE '2025-01-31' AS d, SUM(active_subscribers) AS subs, "
                               "CAST(NULL AS NUMERIC) AS nothing, '广东' AS name, '100%' AS pct FROM fact_daily")
        assert str(frame["d"].dtype).startswith("datetime64") and frame["subs"].dtype == "float64"
        assert frame.loc[0, "name"] == "广东" and frame.loc[0, "pct"] == "100%"
    finally:
        engine.close()


@pytest.mark.postgres
def test_postgres_concurrent_queries_share_the_pool(small_postgres_url: str) -> None:
    engine = SQLAlchemyEngine(small_postgres_url, pool_size=2, max_overflow=2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                counts.append(int(engine.execute("SELECT COUNT(*) FROM dim_region").iloc[0, 0]))
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    try:
        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors and counts == [33] * 30
    finally:
        engine.close()


@pytest.mark.postgres
def test_postgres_results_are_bounded_in_bytes(small_postgres_url: str) -> None:
    engine = SQLAlchemyEngine(small_postgres_url, max_result_bytes=1_000_000)
    try:
        wide = engine.execute("SELECT lpad(city, 10000, 'x') AS s FROM dim_region, dim_plan")  # 264 rows x 10 kB
        assert 90 <= len(wide) <= 100 and wide.attrs["truncated"] and wide.attrs["byte_cap"] == 1_000_000
        narrow = engine.execute("SELECT city FROM dim_region")
        assert len(narrow) == 33 and not narrow.attrs["truncated"] and "byte_cap" not in narrow.attrs
        # narrow rows first, then wide ones: the pieces follow the widest row seen, the cap still holds
        growing = engine.execute("SELECT CASE WHEN i <= 50 THEN 'a' ELSE repeat('y', 20000) END AS s "
                                 "FROM generate_series(1, 5000) AS i ORDER BY i")
        assert 50 < len(growing) < 100 and growing.attrs["truncated"]
        with pytest.raises(EngineError, match="read-only"):  # a statement that is no query runs as itself
            engine.execute("CREATE TABLE stolen AS SELECT * FROM dim_region")
    finally:
        engine.close()


_WIDE_FETCH = """
import json, resource, sys
from chatbi.warehouse import SQLAlchemyEngine

engine = SQLAlchemyEngine(sys.argv[1], max_result_bytes=int(sys.argv[2]))
engine.execute("SELECT 1 AS warm")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
frame = engine.execute("SELECT repeat('y', 1000000) AS s FROM generate_series(1, 2000)")  # 2 GB in all
print(json.dumps({"rows": len(frame), "truncated": frame.attrs["truncated"],
                  "grew_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before}))
"""


@pytest.mark.postgres
def test_postgres_wide_rows_never_reach_the_process_whole(small_postgres_url: str) -> None:
    """Rows stream from a server-side cursor: 2 GB of result grow the process by about the cap, not 2 GB."""
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _WIDE_FETCH, small_postgres_url, str(50_000_000)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["truncated"] and 40 <= out["rows"] <= 50, out
    assert out["grew_mb"] < 400, out
