"""Drafting from databases: a DuckDB file, SQLite through SQLAlchemy (declared keys from the
inspector) and a real PostgreSQL server (information_schema, TABLESAMPLE)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from chatbi import ChatBI, ConfigError
from chatbi.cli import main
from chatbi.modeling import draft_model, profile_engine
from chatbi.warehouse import connect
from semantic_layer import SemanticModel


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> str:
    """A shop in SQLite with declared primary and foreign keys and a key name no rule would guess."""
    path = tmp_path / "shop.sqlite"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE regions (code TEXT PRIMARY KEY, region_name TEXT);
        CREATE TABLE shops (shop_no INTEGER PRIMARY KEY, shop_name TEXT, area TEXT REFERENCES regions (code));
        CREATE TABLE orders (order_day DATE, seller INTEGER REFERENCES shops (shop_no), amount REAL,
                             unit_price REAL, items INTEGER);
    """)
    con.executemany("INSERT INTO regions VALUES (?, ?)", [("N", "North"), ("S", "South")])
    con.executemany("INSERT INTO shops VALUES (?, ?, ?)", [(1, "A", "N"), (2, "B", "N"), (3, "C", "S")])
    rows = [(f"2025-0{m}-1{d}", s, 10.0 * s + m, 2.5 * s, m + d) for m in range(1, 4) for d in range(3)
            for s in (1, 2, 3)]
    con.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    return f"sqlite:///{path}"


def test_sqlite_declared_keys_become_joins(sqlite_url: str) -> None:
    engine = connect(sqlite_url)
    try:
        profile = profile_engine(engine)
        assert profile.table("shops").primary_key == ("shop_no",)
        assert profile.table("orders").foreign_keys[0].ref_table == "shops"
        draft = draft_model(engine, name="shop")
    finally:
        engine.close()
    joins = {(j["left"], j["right"]): j["keys"] for j in draft.model["joins"]}
    assert joins == {("orders", "shops"): {"seller": "shop_no"}, ("shops", "regions"): {"area": "code"}}
    assert all(j.declared for j in draft.joins)
    assert draft.model["metrics"]["amount"]["agg"] == "sum" and draft.model["metrics"]["unit_price"]["agg"] == "avg"
    assert draft.model["tables"]["orders"]["time_column"] == "order_day"


def test_from_database_sqlite_answers(sqlite_url: str) -> None:
    with ChatBI.from_database(sqlite_url) as bi:
        answer = bi.query(metrics=["amount"], dimensions=["region_name"])
        assert answer.status == "ok", answer.error
        got = dict(zip(answer.data["region_name"], answer.data["amount"]))
    # North = shops 1 and 2, South = shop 3; 9 orders per shop, amount 10*s + month
    assert got == {"North": pytest.approx(9 * 10 + 9 * 20 + 2 * 18), "South": pytest.approx(9 * 30 + 18)}


def test_duckdb_file_tables_filter_and_errors(sample_db_path: Path) -> None:
    with ChatBI.from_database(sample_db_path, tables=["fact_network_daily", "dim_*"]) as bi:
        assert set(bi.model.tables) == {"fact_network_daily", "dim_region", "dim_plan"}
        assert bi.model.name == sample_db_path.stem.replace("-", "_")
        assert "dim_plan" not in {j.right for j in bi.model.spec.joins}  # no fact of plans was drafted
    with pytest.raises(ConfigError, match="Did you mean 'fact_daily'"):
        ChatBI.from_database(sample_db_path, tables=["fact_dialy"])


def test_cli_draft_database_writes_loadable_yaml(sample_db_path: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "net.yaml"
    assert main(["model", "draft", "--database", str(sample_db_path), "--tables", "fact_network_daily",
                 "dim_region", "--name", "network", "--out", str(out)]) == 0
    model = SemanticModel.from_yaml(out)
    assert model.name == "network" and set(model.tables) == {"fact_network_daily", "dim_region"}
    assert ["region", "province", "city"] in [list(h.levels) for h in model.hierarchies.values()]
    assert "# - join fact_network_daily.city_id = dim_region.city_id" in out.read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["model", "draft", "--database", str(tmp_path / "missing.duckdb")]) == 1
    assert "not found" in capsys.readouterr().err


@pytest.mark.postgres
def test_draft_on_real_postgres(postgres_url: str, oil_db_path: Path) -> None:
    import psycopg
    from servers.postgres import load_duckdb_into_postgres
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url)
    with psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database,
                         autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS oilfield_draft")
        conn.execute("CREATE DATABASE oilfield_draft")
    oil_url = url.set(database="oilfield_draft").render_as_string(hide_password=False)
    load_duckdb_into_postgres(oil_db_path, oil_url)
    engine = connect(oil_url)
    try:
        draft = draft_model(engine, name="oilfield", sample_rows=50_000)
    finally:
        engine.close()
    assert draft.profile.table("daily_production").sampled  # TABLESAMPLE SYSTEM on PostgreSQL
    assert draft.profile.table("daily_production").row_count == 170_936
    joins = {(j["left"], j["right"]) for j in draft.model["joins"]}
    assert joins == {("daily_production", "wells"), ("downtime_events", "wells"), ("wells", "blocks")}
    assert ["field_name", "block_name", "well_name"] in [h["levels"] for h in draft.model["hierarchies"].values()]
    with ChatBI(draft.model, oil_url) as bi:
        answer = bi.query(metrics=["oil_t"], dimensions=["field_name"], time_range=("2025-01-01", "2025-12-31"))
        assert answer.status == "ok", answer.error
    with ChatBI(draft.model, oil_db_path) as local:
        same = local.query(metrics=["oil_t"], dimensions=["field_name"], time_range=("2025-01-01", "2025-12-31"))
    assert dict(zip(answer.data["field_name"], answer.data["oil_t"])) == pytest.approx(
        dict(zip(same.data["field_name"], same.data["oil_t"])))
