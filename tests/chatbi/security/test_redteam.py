"""Red team: a restricted user's SQL cannot learn anything about rows outside their access, on any engine.

The user (广东 only) writes SQL whose conditions would *fail* -- a date out of range, ``ln`` of a
negative, a division by zero, a failing cast -- on one 浙江 row only. If any such expression were
evaluated on that row, the database error would say so (and often quote the row's value): a
one-bit oracle that reads hidden data a statement at a time. Each family of failing expressions
runs in a dozen query shapes (WHERE, JOIN, HAVING, the select list, subqueries, CTEs, windows,
ORDER BY, GROUP BY, UNION, lookups) on real DuckDB and a real PostgreSQL. Nothing may fail: every
statement either answers over the user's rows, exactly as the same statement over those rows
alone would, or is refused by the guard before it runs. Direct reads of hidden rows come back empty.
Without the policy each oracle does fail (the attacks are live), and a scripted hostile model that
writes them as free SQL learns no more than the user typing them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import servers.openai_stub as stub
import sqlalchemy as sa
from servers.openai_stub import OpenAIStub, tool_reply

from chatbi import ChatBI
from chatbi.security import Security

from .conftest import telecom_security_doc

openai_stub, clean_llm_env = stub.openai_stub, stub.clean_llm_env  # fixtures

PROVINCES = ("广东", "浙江")
TABLES = ("dim_region", "dim_plan", "fact_daily", "fact_network_daily")
#: the hidden row the oracles aim at (a 浙江 city), found in the data below
TARGET = "f.city_id = {city} AND f.date = DATE '2025-11-01' AND f.plan_id = 1 AND f.channel = '线上' AND f.segment = '个人'"

#: failing expressions (True on every row they are evaluated on, except that they fail)
ORACLES = {
    "date overflow": "make_date(CAST(f.revenue * 100 AS INTEGER), 13, 1) > DATE '2000-01-01'",
    "ln of a negative": "ln(-1 - f.revenue) > 0",
    "sqrt of a negative": "sqrt(-1 - f.revenue) > 0",
    "division by zero": "1 / (f.city_id - f.city_id) > 0",
    "failing cast": "CAST(CAST(f.revenue AS VARCHAR) || 'x' AS INTEGER) > 0",
    "date cast": "CAST(CAST(CAST(f.revenue AS INTEGER) AS VARCHAR) || '-13-01' AS DATE) > DATE '2000-01-01'",
}

#: query shapes; {t} is the target condition on f, {o} the oracle on f
SHAPES = {
    "where case": "SELECT COUNT(*) AS n FROM fact_daily AS f WHERE CASE WHEN {t} THEN {o} ELSE true END",
    "where and": "SELECT COUNT(*) AS n FROM fact_daily AS f WHERE ({t}) AND {o}",
    "where or": "SELECT COUNT(*) AS n FROM fact_daily AS f WHERE NOT ({t}) OR {o}",
    "join on": "SELECT COUNT(*) AS n FROM fact_daily AS f JOIN dim_region AS r ON f.city_id = r.city_id "
               "AND CASE WHEN {t} THEN {o} ELSE true END",
    "having": "SELECT f.city_id, COUNT(*) AS n FROM fact_daily AS f GROUP BY f.city_id "
              "HAVING SUM(CASE WHEN {t} THEN CASE WHEN {o} THEN 1 ELSE 0 END ELSE 0 END) >= 0",
    "select list": "SELECT SUM(CASE WHEN {t} THEN CASE WHEN {o} THEN 1 ELSE 0 END ELSE 0 END) AS n FROM fact_daily AS f",
    "exists": "SELECT COUNT(*) AS n FROM dim_region AS r WHERE EXISTS "
              "(SELECT 1 FROM fact_daily AS f WHERE f.city_id = r.city_id AND ({t}) AND {o})",
    "scalar subquery": "SELECT (SELECT MAX(CASE WHEN {t} THEN CASE WHEN {o} THEN 1 ELSE 0 END END) "
                       "FROM fact_daily AS f) AS n",
    "cte": "WITH t AS (SELECT * FROM fact_daily AS f WHERE CASE WHEN {t} THEN {o} ELSE true END) "
           "SELECT COUNT(*) AS n FROM t",
    "window": "SELECT DISTINCT SUM(CASE WHEN {t} THEN CASE WHEN {o} THEN 1 ELSE 0 END ELSE 0 END) OVER () AS n "
              "FROM fact_daily AS f",
    "order by": "SELECT f.city_id FROM fact_daily AS f ORDER BY CASE WHEN {t} THEN CASE WHEN {o} THEN 1 ELSE 0 END "
                "ELSE 0 END, f.city_id LIMIT 1",
    "group by": "SELECT CASE WHEN {t} THEN {o} END AS k, COUNT(*) AS n FROM fact_daily AS f GROUP BY 1",
    "union": "SELECT COUNT(*) AS n FROM fact_daily AS f WHERE CASE WHEN {t} THEN {o} ELSE false END "
             "UNION ALL SELECT COUNT(*) FROM dim_region",
    "in subquery": "SELECT COUNT(*) AS n FROM dim_region AS r WHERE r.city_id IN "
                   "(SELECT f.city_id FROM fact_daily AS f WHERE CASE WHEN {t} THEN {o} ELSE true END)",
}

ENGINES = ("duckdb", "postgres")
#: oracles an engine evaluates without failing (DuckDB divides by zero into NULL): no signal there
SILENT = {("duckdb", "division by zero")}


# -- the warehouse: the sample cut to two provinces and two months, in DuckDB and PostgreSQL -------------
@pytest.fixture(scope="module")
def redteam_duckdb(sample_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("redteam") / "redteam.duckdb"
    con = duckdb.connect(str(out))
    try:
        con.execute(f"ATTACH '{sample_db_path.as_posix()}' AS s (READ_ONLY)")
        con.execute("CREATE TABLE dim_region AS SELECT * FROM s.dim_region")
        con.execute("CREATE TABLE dim_plan AS SELECT * FROM s.dim_plan")
        cities = "(SELECT city_id FROM s.dim_region WHERE province IN ('广东', '浙江'))"
        for fact in ("fact_daily", "fact_network_daily"):
            con.execute(f"CREATE TABLE {fact} AS SELECT * FROM s.{fact} WHERE city_id IN {cities} "
                        "AND date BETWEEN DATE '2025-10-01' AND DATE '2025-11-30'")
    finally:
        con.close()
    return out


@pytest.fixture(scope="module")
def redteam_pg_url(postgres_url: str, redteam_duckdb: Path) -> str:
    from servers.postgres import load_duckdb_into_postgres

    url = sa.engine.make_url(postgres_url)
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("DROP DATABASE IF EXISTS chatbi_redteam")
        conn.exec_driver_sql("CREATE DATABASE chatbi_redteam TEMPLATE template0 ENCODING 'UTF8'")
    admin.dispose()
    ours = url.set(database="chatbi_redteam").render_as_string(hide_password=False)
    load_duckdb_into_postgres(redteam_duckdb, ours, TABLES)
    return ours


@pytest.fixture(scope="module")
def security(sample_model) -> Security:
    return Security.from_dict(telecom_security_doc(), model=sample_model)


@pytest.fixture(scope="module")
def facades(sample_model, redteam_duckdb: Path, request: pytest.FixtureRequest) -> Iterator[dict[str, ChatBI]]:
    made: dict[str, ChatBI] = {}

    def make(engine: str) -> ChatBI:
        if engine not in made:
            database = str(redteam_duckdb) if engine == "duckdb" else request.getfixturevalue("redteam_pg_url")
            made[engine] = ChatBI(sample_model, database, translator="offline")
        return made[engine]

    yield make  # type: ignore[misc]
    for bi in made.values():
        bi.close()


@pytest.fixture(scope="module")
def target(redteam_duckdb: Path) -> dict[str, object]:
    with duckdb.connect(str(redteam_duckdb), read_only=True) as con:
        city, revenue = con.execute(
            "SELECT f.city_id, f.revenue FROM fact_daily f JOIN dim_region r USING (city_id) WHERE r.province = '浙江' "
            "AND f.date = DATE '2025-11-01' AND f.plan_id = 1 AND f.channel = '线上' AND f.segment = '个人' "
            "ORDER BY f.city_id LIMIT 1").fetchone()
    return {"city": city, "revenue": revenue, "condition": TARGET.format(city=city)}


def _secrets(target: dict[str, object]) -> list[str]:
    """Ways the hidden row's value could show up in a message."""
    revenue = float(target["revenue"])  # type: ignore[arg-type]
    return [str(int(revenue * 100)), f"{revenue:.2f}", str(int(revenue))]


def _assert_nothing_leaks(answer, target: dict[str, object], sql: str) -> None:
    text = f"{answer.text or ''} {answer.error or ''}"
    for secret in _secrets(target):
        assert secret not in text, f"the hidden value {secret} shows in: {text[:300]}\n{sql}"
    if answer.status == "error":
        # refused before running is fine; a database error means an expression met a hidden row
        assert text.lstrip().startswith("SQL rejected") or "refused" in text, f"oracle fired: {text[:300]}\n{sql}"


# -- the attacks ------------------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("oracle", sorted(ORACLES))
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_no_failing_expression_ever_meets_a_hidden_row(facades, security, target, engine: str, oracle: str,
                                                      shape: str) -> None:
    alice = facades(engine).for_user("alice", security=security)
    sql = SHAPES[shape].format(t=target["condition"], o=ORACLES[oracle])
    answer = alice.run_sql(sql)
    _assert_nothing_leaks(answer, target, sql)


@pytest.mark.postgres
@pytest.mark.parametrize(("engine", "oracle"), [(e, o) for e in ENGINES for o in sorted(ORACLES) if (e, o) not in SILENT])
def test_each_oracle_fires_when_the_hidden_row_is_there(facades, target, engine: str, oracle: str) -> None:
    """The attacks are live: without a row policy each oracle meets the 浙江 row and the statement fails
    (so an answer above means the policy kept the row away, not that the expression cannot fail)."""
    sql = SHAPES["where case"].format(t=target["condition"], o=ORACLES[oracle])
    answer = facades(engine).run_sql(sql)
    assert answer.status == "error" and answer.data is None, f"{oracle} did not fire on {engine}: {answer.text}"


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ENGINES)
def test_a_hostile_model_writing_the_oracles_learns_nothing(sample_model, redteam_duckdb: Path, security, target,
                                                           engine: str, openai_stub: OpenAIStub,
                                                           request: pytest.FixtureRequest) -> None:
    """The LLM's free SQL is the same attack from another side: a model (or a prompt injected into
    it) that writes the oracles for a restricted user gets only their own rows' answer."""
    database = str(redteam_duckdb) if engine == "duckdb" else request.getfixturevalue("redteam_pg_url")
    statements = [SHAPES[shape].format(t=target["condition"], o=ORACLES[oracle])
                  for oracle in sorted(ORACLES) for shape in ("where case", "select list")]
    openai_stub.script(*[tool_reply("run_sql", {"sql": sql}) for sql in statements])
    bi = ChatBI(sample_model, database, translator="llm",
                llm={"base_url": openai_stub.base_url, "api_key": "sk-test", "model": "stub", "max_retries": 0,
                     "timeout": 10.0, "free_sql": True, "max_repair_rounds": 0})
    try:
        alice = bi.for_user("alice", security=security)
        mine = alice.run_sql("SELECT COUNT(*) AS n FROM fact_daily")
        for sql in statements:
            answer = alice.ask("广东的数据有多少行")
            _assert_nothing_leaks(answer, target, sql)
            assert answer.status == "ok" and answer.intent == "free_sql", f"{answer.text[:300]}\n{sql}"
            if sql.startswith("SELECT COUNT(*)"):  # the count of alice's rows, nothing else
                assert int(answer.data.iloc[0, 0]) == int(mine.data.iloc[0, 0])
        assert len(openai_stub.completions) == len(statements)  # each statement came from the model once
    finally:
        bi.close()


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ENGINES)
def test_the_issues_statement_tells_nothing(facades, security, target, engine: str) -> None:
    """Issue 15's exploit, verbatim but for the city: on PostgreSQL it printed the 杭州 row's revenue."""
    alice = facades(engine).for_user("alice", security=security)
    sql = ("SELECT count(*) FROM fact_daily f WHERE CASE WHEN " + target["condition"] +  # type: ignore[operator]
           " THEN make_date(CAST(f.revenue * 100 AS INTEGER), 13, 1) > DATE '2000-01-01' ELSE true END")
    answer = alice.run_sql(sql)
    _assert_nothing_leaks(answer, target, sql)
    assert answer.status == "ok"
    allowed = facades(engine).run_sql(
        "SELECT COUNT(*) AS n FROM fact_daily f JOIN dim_region r ON f.city_id = r.city_id WHERE r.province = '广东'")
    assert int(answer.data.iloc[0, 0]) == int(allowed.data.iloc[0, 0])


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("sql", [
    "SELECT * FROM fact_daily WHERE city_id = {city}",
    "SELECT DISTINCT province FROM dim_region WHERE province = '浙江'",
    "SELECT COUNT(*) AS n FROM fact_daily f JOIN dim_region r ON f.city_id = r.city_id WHERE r.province = '浙江'",
    "SELECT SUM(revenue) AS s FROM fact_daily WHERE city_id IN (SELECT city_id FROM dim_region WHERE province = '浙江')",
    "SELECT * FROM fact_network_daily WHERE city_id = {city}",
])
def test_direct_reads_of_hidden_rows_come_back_empty(facades, security, target, engine: str, sql: str) -> None:
    answer = facades(engine).for_user("alice", security=security).run_sql(sql.format(city=target["city"]))
    assert answer.status == "ok", answer.text
    values = [v for v in answer.data.to_numpy().ravel().tolist() if v is not None]
    assert not values or all(v == 0 or (isinstance(v, float) and math.isnan(v)) for v in values)


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ENGINES)
def test_answers_equal_the_same_statement_over_the_users_rows_alone(facades, security, engine: str) -> None:
    """The views change nothing but which rows there are."""
    bi = facades(engine)
    alice = bi.for_user("alice", security=security)
    mine = alice.run_sql("SELECT f.plan_id, COUNT(*) AS n, SUM(f.revenue) AS r FROM fact_daily f "
                         "GROUP BY f.plan_id ORDER BY f.plan_id")
    truth = bi.run_sql("SELECT f.plan_id, COUNT(*) AS n, SUM(f.revenue) AS r FROM fact_daily f JOIN dim_region d "
                       "ON f.city_id = d.city_id WHERE d.province = '广东' GROUP BY f.plan_id ORDER BY f.plan_id")
    assert mine.status == truth.status == "ok"
    assert mine.data["n"].tolist() == truth.data["n"].tolist()
    assert [round(v, 2) for v in mine.data["r"]] == [round(v, 2) for v in truth.data["r"]]


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ENGINES)
def test_counting_a_cut_result_reads_the_same_views(sample_model, redteam_duckdb: Path, security, target,
                                                    engine: str, request: pytest.FixtureRequest) -> None:
    """A result over the row cap is counted ("first 100 of M rows") by a second statement: it must
    read the policy views too, or its failing (an oracle fired) or not would tell about a hidden row."""
    database = str(redteam_duckdb) if engine == "duckdb" else request.getfixturevalue("redteam_pg_url")
    bi = ChatBI(sample_model, database, translator="offline", row_cap=100)
    try:
        alice = bi.for_user("alice", security=security)
        mine = int(alice.run_sql("SELECT COUNT(*) AS n FROM fact_daily").data.iloc[0, 0])
        for oracle in sorted(ORACLES):
            sql = ("SELECT f.city_id, f.revenue FROM fact_daily AS f WHERE CASE WHEN " + target["condition"]  # type: ignore[operator]
                   + " THEN " + ORACLES[oracle] + " ELSE true END")
            answer = alice.run_sql(sql)
            _assert_nothing_leaks(answer, target, sql)
            assert answer.status == "ok" and len(answer.data) == 100
            assert answer.data.attrs.get("total_rows") == mine, f"{oracle}: {answer.data.attrs}"
    finally:
        bi.close()


#: resource attacks of issue 15 that must be refused before they run, the same on every engine
RESOURCE_ATTACKS = {
    "quadratic scalar": ("SELECT levenshtein(lpad('a', 100000, 'b'), lpad('c', 100000, 'd')) AS d",
                         "at most 10000 characters"),
    "wide rows": ("SELECT lpad('x', 20000000, 'y') FROM fact_daily LIMIT 200", "at most 10000 characters"),
    "cartesian product": ("SELECT COUNT(*) FROM fact_daily a, fact_daily b, fact_daily c", "without a join condition"),
    "many-to-many join": ("SELECT COUNT(*) FROM fact_daily a JOIN fact_daily b ON a.city_id = b.city_id "
                          "JOIN fact_network_daily n ON n.city_id = a.city_id", "fact_"),
}


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("attack", sorted(RESOURCE_ATTACKS))
def test_resource_attacks_are_refused_before_running(facades, security, engine: str, attack: str) -> None:
    """As a restricted user too: on PostgreSQL the planner knows no statistics of a barrier view's
    columns and takes the many-to-many join for a small one; the plan over all rows refuses it
    (without numbers: they would count rows the user may not see)."""
    sql, expected = RESOURCE_ATTACKS[attack]
    for bi in (facades(engine).for_user("alice", security=security), facades(engine)):
        answer = bi.run_sql(sql)
        assert answer.status == "error" and answer.data is None and expected in answer.text, answer.text
    if engine == "postgres" and attack == "many-to-many join":
        assert "would make too many rows" in facades(engine).for_user("alice", security=security).run_sql(sql).text


def test_where_no_engine_guarantee_exists_sql_is_off_for_restricted_users(sample_model, security, redteam_duckdb,
                                                                          tmp_path) -> None:
    """SQLite (like any engine without ``policy_views_first``) gives no guarantee: restricted users get no SQL."""
    from tests.chatbi.warehouse.loaders import duckdb_into_sqlite

    path = tmp_path / "redteam.sqlite"
    duckdb_into_sqlite(redteam_duckdb, path, TABLES)
    bi = ChatBI(sample_model, f"sqlite:///{path}", translator="offline")
    try:
        refused = bi.for_user("alice", security=security).run_sql("SELECT COUNT(*) AS n FROM fact_daily")
        assert refused.status == "error" and refused.data is None
        assert "cannot guarantee that your row access applies before the query's own conditions" in refused.text
        assert bi.for_user("root", security=security).run_sql("SELECT COUNT(*) AS n FROM fact_daily").status == "ok"
        governed = bi.for_user("alice", security=security).query(metrics=["revenue"], dimensions=["province"])
        assert governed.status == "ok" and set(governed.data["province"]) == {"广东"}  # questions still work
    finally:
        bi.close()
