"""Failure behaviour against real PostgreSQL servers: every failure is a clear error answer,
and the next question works once the cause is gone.

The server that goes down belongs to this module (a short-lived server started here), never
the suite's shared one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from chatbi import ChatBI
from chatbi.warehouse import SQLAlchemyEngine
from semantic_layer import SemanticModel

from .conftest import TABLES

pytestmark = pytest.mark.postgres

NOVEMBER = ("2025-11-01", "2025-11-30")


@pytest.fixture(scope="module")
def own_server(small_duckdb: Path) -> Iterator[object]:
    """A throwaway server with the small warehouse and a password-protected role ``analyst``."""
    from servers.postgres import SKIP_ENV, PostgresNotInstalled, load_duckdb_into_postgres, running_postgres

    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: tests needing a PostgreSQL server are skipped")
    try:
        with running_postgres() as server:
            load_duckdb_into_postgres(small_duckdb, server.url, TABLES)
            with psycopg.connect(server.conninfo(), autocommit=True) as con:
                con.execute("CREATE ROLE analyst LOGIN PASSWORD 'right-password'")
                con.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO analyst")
                # the server runs without durability and is stopped hard below: write everything out now
                con.execute("CHECKPOINT")
            hba = server.data_dir / "pg_hba.conf"
            stat = hba.stat()
            hba.write_text("host all analyst 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
            os.chown(hba, stat.st_uid, stat.st_gid)
            server.run("pg_ctl", "-D", server.data_dir, "reload")
            yield server
    except PostgresNotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)


def _url(server: object, user: str = "postgres", password: str | None = None) -> str:
    url = make_url(server.url).set(username=user, password=password)  # type: ignore[attr-defined]
    return url.render_as_string(hide_password=False)


def _admin(server: object) -> psycopg.Connection:
    return psycopg.connect(server.conninfo(), autocommit=True)  # type: ignore[attr-defined]


def _restart(server: object) -> None:
    from servers.postgres import SERVER_SETTINGS

    options = [f"-p {server.port}", f"-k {server.socket_dir}"]  # type: ignore[attr-defined]
    options += [f"-c {key}={value}" for key, value in SERVER_SETTINGS.items()]
    server.run("pg_ctl", "-D", server.data_dir, "-l", server.log_file,  # type: ignore[attr-defined]
               "-o", " ".join(options), "-w", "-t", "60", "start")


def test_server_down_mid_session(sample_model: SemanticModel, own_server: object) -> None:
    bi = ChatBI(sample_model, _url(own_server))
    try:
        assert bi.query(metrics=["revenue"], dimensions=["region"], time_range=NOVEMBER).ok
        own_server.stop()  # type: ignore[attr-defined]
        down = bi.query(metrics=["revenue"], dimensions=["city"], time_range=NOVEMBER)
        assert down.status == "error" and down.data is None
        assert "is the server running?" in down.text and "127.0.0.1" in down.text
        assert "Traceback" not in down.text
        typed = bi.run_sql("SELECT city FROM dim_region")
        assert typed.status == "error" and "is the server running?" in typed.text
        _restart(own_server)
        back = bi.query(metrics=["revenue"], dimensions=["city"], time_range=NOVEMBER)
        assert back.ok and len(back.data) == 6  # type: ignore[arg-type]
    finally:
        bi.close()


def test_bad_credentials(sample_model: SemanticModel, own_server: object) -> None:
    bi = ChatBI(sample_model, _url(own_server, "analyst", "wrong-password"))
    try:
        answer = bi.query(metrics=["revenue"], dimensions=["region"], time_range=NOVEMBER)
        assert answer.status == "error"
        assert "rejected the login" in answer.text and "password authentication failed" in answer.text
        assert "wrong-password" not in answer.text
        assert bi.run_sql("SELECT city FROM dim_region").status == "error"
        with _admin(own_server) as con:  # the administrator fixes the account: the same ChatBI now works
            con.execute("ALTER ROLE analyst PASSWORD 'wrong-password'")
        try:
            assert bi.query(metrics=["revenue"], dimensions=["region"], time_range=NOVEMBER).ok
        finally:
            with _admin(own_server) as con:
                con.execute("ALTER ROLE analyst PASSWORD 'right-password'")
    finally:
        bi.close()


def test_unknown_role_is_a_login_error(sample_model: SemanticModel, own_server: object) -> None:
    bi = ChatBI(sample_model, _url(own_server, "nobody"))
    try:
        answer = bi.run_sql("SELECT city FROM dim_region")
        assert answer.status == "error" and "rejected the login" in answer.text
    finally:
        bi.close()


def test_missing_table(sample_model: SemanticModel, own_server: object) -> None:
    bi = ChatBI(sample_model, _url(own_server, "analyst", "right-password"))
    try:
        assert bi.query(metrics=["revenue"], dimensions=["region"], time_range=NOVEMBER).ok
        with _admin(own_server) as con:
            con.execute("ALTER TABLE dim_plan RENAME TO dim_plan_moved")
        try:
            missing = bi.query(metrics=["revenue"], dimensions=["plan_type"], time_range=NOVEMBER)
            assert missing.status == "error"
            assert "no such table" in missing.text and "dim_plan" in missing.text
            nxt = bi.query(metrics=["revenue"], dimensions=["channel"], time_range=NOVEMBER)
            assert nxt.ok and len(nxt.data) == 3  # type: ignore[arg-type]
        finally:
            with _admin(own_server) as con:
                con.execute("ALTER TABLE dim_plan_moved RENAME TO dim_plan")
        assert bi.query(metrics=["revenue"], dimensions=["plan_type"], time_range=NOVEMBER).ok
    finally:
        bi.close()


def test_query_timeout(sample_model: SemanticModel, small_postgres_url: str) -> None:
    bi = ChatBI(sample_model, SQLAlchemyEngine(small_postgres_url, timeout_s=0.3))
    try:
        # slow but no product of tables (that is refused before it runs: test_untrusted_postgres)
        slow = bi.run_sql("SELECT COUNT(DISTINCT CAST(a.revenue AS VARCHAR) || CAST(b.revenue AS VARCHAR)) "
                          "FROM fact_daily AS a JOIN fact_daily AS b ON a.city_id = b.city_id AND a.date = b.date "
                          "AND a.plan_id = b.plan_id")
        assert slow.status == "error" and "ran longer than 0.3 s" in slow.text and slow.data is None
        nxt = bi.query(metrics=["revenue"], dimensions=["region"], time_range=NOVEMBER)
        assert nxt.ok and len(nxt.data) == 2  # type: ignore[arg-type]
    finally:
        bi.close()


def test_missing_driver_is_a_clear_error(sample_model: SemanticModel) -> None:
    import importlib.util

    from chatbi.errors import MissingDependencyError

    if importlib.util.find_spec("pymysql") is not None:
        pytest.skip("pymysql is installed here")
    with pytest.raises(MissingDependencyError, match="pip install pymysql"):
        ChatBI(sample_model, "mysql+pymysql://u:p@127.0.0.1/db")
