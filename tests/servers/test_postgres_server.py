"""The PostgreSQL test server and the DuckDB -> PostgreSQL loader, against a real server."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg
import pytest
import sqlalchemy as sa
from servers.postgres import (  # tests/ is on sys.path (see tests/conftest.py)
    PostgresNotInstalled,
    duckdb_type_to_postgres,
    find_postgres_bindir,
    load_duckdb_into_postgres,
    postgres_server_url,
)

pytestmark = pytest.mark.postgres


def _pg_conninfo(url: str) -> str:
    parsed = sa.engine.make_url(url)
    return f"host={parsed.host} port={parsed.port} user={parsed.username} dbname={parsed.database}"


def test_fixture_yields_a_working_server(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql+psycopg://postgres@127.0.0.1:")
    assert postgres_url.endswith("/chatbi")
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version()")).scalar_one()
            database = conn.execute(sa.text("SELECT current_database()")).scalar_one()
            encoding = conn.execute(sa.text("SHOW server_encoding")).scalar_one()
            fsync = conn.execute(sa.text("SHOW fsync")).scalar_one()
            chinese = conn.execute(sa.text("SELECT :s"), {"s": "广东 收入"}).scalar_one()
    finally:
        engine.dispose()
    assert version.startswith("PostgreSQL ")
    assert database == "chatbi"
    assert encoding == "UTF8"
    assert fsync == "off"
    assert chinese == "广东 收入"


def test_server_listens_on_loopback_only(postgres_url: str) -> None:
    with psycopg.connect(_pg_conninfo(postgres_url)) as conn:
        assert conn.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)


def test_binaries_are_found() -> None:
    if os.environ.get("CHATBI_SKIP_POSTGRES") == "1":
        pytest.skip("CHATBI_SKIP_POSTGRES=1")
    bindir = find_postgres_bindir()
    assert bindir is not None, "PostgreSQL server binaries not found: run `bash .ci/setup`"
    assert (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file()


def test_highest_version_is_chosen(tmp_path: Path) -> None:
    for version in ("9.6", "13", "15", "16"):
        bindir = tmp_path / version / "bin"
        bindir.mkdir(parents=True)
        (bindir / "initdb").touch()
        (bindir / "pg_ctl").touch()
    (tmp_path / "17" / "bin").mkdir(parents=True)  # no binaries in it: not a candidate
    assert find_postgres_bindir(str(tmp_path / "*" / "bin")) == tmp_path / "16" / "bin"


def test_missing_binaries_fail_with_the_setup_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without PostgreSQL the fixture must fail, not skip, and say how to install it.
    import servers.postgres as module

    monkeypatch.delenv("CHATBI_SKIP_POSTGRES", raising=False)
    monkeypatch.setattr(module, "find_postgres_bindir", lambda *args, **kwargs: None)
    with pytest.raises(PostgresNotInstalled, match=r"bash \.ci/setup"), module.running_postgres():
        pass
    with pytest.raises(pytest.fail.Exception, match=r"bash \.ci/setup.*CHATBI_SKIP_POSTGRES=1"):
        next(postgres_server_url())


def test_skip_env_var_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATBI_SKIP_POSTGRES", "1")
    with pytest.raises(pytest.skip.Exception):
        next(postgres_server_url())


@pytest.mark.parametrize(
    ("duckdb_type", "expected"),
    [
        ("DATE", "DATE"),
        ("INTEGER", "INTEGER"),
        ("BIGINT", "BIGINT"),
        ("DOUBLE", "DOUBLE PRECISION"),
        ("VARCHAR", "TEXT"),
        ("BOOLEAN", "BOOLEAN"),
        ("DECIMAL(18,3)", "NUMERIC(18,3)"),
        ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"),
        ("ENUM('a', 'b')", "TEXT"),
    ],
)
def test_type_mapping(duckdb_type: str, expected: str) -> None:
    assert duckdb_type_to_postgres(duckdb_type) == expected


def test_unmappable_type_is_refused() -> None:
    with pytest.raises(ValueError, match="INTEGER\\[\\]"):
        duckdb_type_to_postgres("INTEGER[]")


ROWS = [
    (dt.date(2025, 11, 1), 1, 10_000_000_000, 1.5, "广东", True, Decimal("12.345")),
    (dt.date(2025, 11, 2), -2, -1, 0.1 + 0.2, "", False, Decimal("0.000")),
    (dt.date(1999, 12, 31), None, None, None, None, None, None),
    (dt.date(2024, 2, 29), 2_147_483_647, 9_223_372_036_854_775_807, -1e300, 'quote " and, comma\nnewline', True,
     Decimal("-1.5")),
    (None, 0, 0, 2.2250738585072014e-308, "\\N", None, Decimal("999999999999999.999")),
]


def _make_duckdb(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(
            """
            CREATE TABLE revenue (
                "day" DATE, qty INTEGER, amount BIGINT, ratio DOUBLE,
                "省份 Province" VARCHAR, active BOOLEAN, price DECIMAL(18,3)
            )
            """
        )
        con.executemany("INSERT INTO revenue VALUES (?, ?, ?, ?, ?, ?, ?)", ROWS)
        con.execute("CREATE TABLE empty_table (id INTEGER, name VARCHAR)")
        con.execute("CREATE TABLE big AS SELECT range::BIGINT AS id, DATE '2025-01-01' + (range % 365)::INTEGER AS d"
                    " FROM range(50000)")


def test_duckdb_tables_load_with_rows_and_types(postgres_url: str, tmp_path: Path) -> None:
    source = tmp_path / "small.duckdb"
    _make_duckdb(source)

    counts = load_duckdb_into_postgres(source, postgres_url, ["revenue", "empty_table", "big"])

    assert counts == {"revenue": len(ROWS), "empty_table": 0, "big": 50_000}
    with psycopg.connect(_pg_conninfo(postgres_url)) as conn:
        types = conn.execute(
            "SELECT column_name, data_type, numeric_precision, numeric_scale FROM information_schema.columns "
            "WHERE table_name = 'revenue' ORDER BY ordinal_position"
        ).fetchall()
        rows = conn.execute('SELECT * FROM revenue ORDER BY "day" NULLS LAST').fetchall()
        big = conn.execute("SELECT count(*), count(DISTINCT d), sum(id) FROM big").fetchone()
    assert types == [
        ("day", "date", None, None),
        ("qty", "integer", 32, 0),
        ("amount", "bigint", 64, 0),
        ("ratio", "double precision", 53, None),
        ("省份 Province", "text", None, None),
        ("active", "boolean", None, None),
        ("price", "numeric", 18, 3),
    ]
    expected = sorted(ROWS, key=lambda row: (row[0] is None, row[0] or dt.date.min))
    assert rows == expected
    # NULL and the empty string must stay distinct, and doubles must round-trip exactly.
    assert rows[-1][4] == "\\N" and any(row[4] == "" for row in rows) and any(row[4] is None for row in rows)
    assert big == (50_000, 365, Decimal(sum(range(50_000))))


def test_reload_replaces_and_all_tables_default(postgres_url: str, tmp_path: Path) -> None:
    source = tmp_path / "again.duckdb"
    _make_duckdb(source)
    load_duckdb_into_postgres(source, postgres_url, ["revenue"])

    counts = load_duckdb_into_postgres(source, postgres_url)  # every table of the main schema

    assert counts == {"big": 50_000, "empty_table": 0, "revenue": len(ROWS)}
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM revenue")).scalar_one() == len(ROWS)
    finally:
        engine.dispose()


def test_unknown_table_is_a_key_error(postgres_url: str, tmp_path: Path) -> None:
    source = tmp_path / "x.duckdb"
    _make_duckdb(source)
    with pytest.raises(KeyError, match="nope"):
        load_duckdb_into_postgres(source, postgres_url, ["nope"])


@pytest.mark.slow
def test_a_million_rows_load_quickly(postgres_url: str, tmp_path: Path) -> None:
    import time

    source = tmp_path / "large.duckdb"
    with duckdb.connect(str(source)) as con:
        con.execute(
            """
            CREATE TABLE facts AS
            SELECT DATE '2024-01-01' + (range % 730)::INTEGER AS day,
                   (range % 1000)::INTEGER AS customer_id,
                   range::BIGINT AS order_id,
                   (range % 997) * 1.25::DOUBLE AS revenue,
                   'province_' || (range % 31)::VARCHAR AS province
            FROM range(1200000)
            """
        )
    started = time.perf_counter()
    counts = load_duckdb_into_postgres(source, postgres_url, ["facts"])
    elapsed = time.perf_counter() - started

    assert counts == {"facts": 1_200_000}
    assert elapsed < 60, f"loading 1.2M rows took {elapsed:.1f}s"
    with psycopg.connect(_pg_conninfo(postgres_url)) as conn:
        assert conn.execute("SELECT count(*), sum(order_id) FROM facts").fetchone() == (
            1_200_000,
            Decimal(sum(range(1_200_000))),
        )

