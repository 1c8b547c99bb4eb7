"""The Spark Connect engine against a real Spark Connect server (started once per test session).

What the engine promises: Spark SQL over the catalog's tables, read-only by construction, a
statement timeout through operation tags, a row cap, DuckDB's result types, a data version,
model drafting through the Spark catalog, and EngineError sentences for every failure.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from chatbi import ChatBI
from chatbi.errors import EngineError, QueryTimeout, QueryTooCostly
from chatbi.security import Security
from chatbi.warehouse import SparkConnectEngine
from chatbi.warehouse.version import DataVersionProbe

from ..security.conftest import telecom_security_doc
from .conftest import PROVINCES, SPARK_DATABASE

pytestmark = pytest.mark.spark

SLOW = ("SELECT COUNT(*) FROM fact_daily AS a CROSS JOIN fact_daily AS b CROSS JOIN dim_region AS c "
        "WHERE a.revenue + b.revenue + c.city_id < 0")


@pytest.fixture(scope="module")
def engine(small_spark_url: str) -> Iterator[SparkConnectEngine]:
    engine = SparkConnectEngine(small_spark_url, timeout_s=120)
    yield engine
    engine.close()


def test_results_have_duckdbs_types(engine: SparkConnectEngine, duck_bi: ChatBI) -> None:
    sql = ("SELECT `date`, CAST(revenue AS DECIMAL(18, 2)) AS fee, city_id, channel, TRUNC(`date`, 'MONTH') AS m "
           "FROM fact_daily ORDER BY `date`, city_id, plan_id, channel, segment LIMIT 3")
    frame = engine.execute(sql)
    assert {c: str(t) for c, t in frame.dtypes.items()} == {
        "date": "datetime64[us]", "fee": "float64", "city_id": "int32", "channel": "object", "m": "datetime64[us]"}
    duck = duck_bi.engine.execute("SELECT date, CAST(revenue AS DECIMAL(18, 2)) AS fee, city_id, channel, "
                                  "date_trunc('month', date) AS m FROM fact_daily "
                                  "ORDER BY date, city_id, plan_id, channel, segment LIMIT 3")
    assert frame.dtypes.to_dict() == duck.dtypes.to_dict()
    assert frame.to_dict("records") == duck.to_dict("records")
    assert set(frame.attrs) == {"truncated", "row_cap"}  # Spark's plan metrics are not passed on


@pytest.mark.parametrize("statement", [
    "DROP TABLE dim_plan",
    "INSERT INTO dim_plan SELECT * FROM dim_plan",
    "CREATE TABLE stolen AS SELECT * FROM dim_region",
    "SET spark.sql.ansi.enabled = false",
    "CACHE TABLE dim_plan",
    "TRUNCATE TABLE dim_plan",
    "SELECT * FROM dim_plan; DROP TABLE dim_plan",
    "SELECT * FROM dim_plan) AS x; DROP TABLE dim_plan; SELECT * FROM (SELECT 1",
])
def test_only_a_query_can_run(engine: SparkConnectEngine, statement: str) -> None:
    """Spark has no read-only session: the engine sends each statement as a subquery, which Spark
    parses only when it is one query (the session fixture checks afterwards that nothing changed)."""
    with pytest.raises(EngineError, match="Spark could not read the statement as one query"):
        engine.execute(statement)
    assert len(engine.execute("SELECT * FROM dim_plan")) == 8


def test_row_cap_is_applied_by_the_server(small_spark_url: str) -> None:
    capped = SparkConnectEngine(small_spark_url, row_cap=5)
    try:
        frame = capped.execute("SELECT * FROM fact_daily")
        assert len(frame) == 5 and frame.attrs["truncated"] is True
        exact = capped.execute("SELECT * FROM dim_plan ORDER BY plan_id LIMIT 5")
        assert len(exact) == 5 and exact.attrs["truncated"] is False
        assert exact["plan_id"].tolist() == [1, 2, 3, 4, 5]  # the subquery's order survives the envelope
    finally:
        capped.close()


def test_statement_timeout_interrupts_the_query_on_the_server(small_spark_url: str) -> None:
    quick = SparkConnectEngine(small_spark_url, timeout_s=2)
    try:
        quick.execute("SELECT 1")  # the session exists: only the statement is timed
        with pytest.raises(QueryTimeout, match="ran longer than 2 s and was stopped"):
            quick.execute(SLOW)
        quick.timeout_s = 300  # the check below times nothing: a busy machine may take seconds
        assert quick.execute("SELECT COUNT(*) AS n FROM dim_plan")["n"].tolist() == [8]  # the session still works
    finally:
        quick.close()


@pytest.mark.parametrize("sql", ["SELECT COUNT(*) FROM fact_daily a, fact_daily b",
                                 "SELECT COUNT(*) FROM fact_daily a JOIN fact_daily b ON a.revenue < b.revenue",
                                 "SELECT COUNT(*) FROM fact_daily a JOIN fact_daily b ON a.city_id = b.city_id "
                                 "OR a.revenue < b.revenue"])
def test_products_of_large_tables_are_refused_before_running(engine: SparkConnectEngine, sql: str) -> None:
    """Read from Spark's plan (EXPLAIN COST): nothing runs, so the refusal comes well inside the timeout."""
    with pytest.raises(QueryTooCostly, match=r"^The query pairs every row of fact_daily with every row of fact_daily "
                                             r"\(about \d\.\d × 10\^\d+ combinations\) without a join condition; "
                                             r"join them on their keys"):
        engine.execute_untrusted(sql)


def test_small_products_and_joins_on_keys_are_not_refused(engine: SparkConnectEngine) -> None:
    pairs = engine.execute_untrusted("SELECT COUNT(*) AS n FROM dim_region a, dim_plan b")
    assert pairs["n"].tolist() == [len(engine.execute("SELECT city_id FROM dim_region")) * 8]
    keyed = engine.execute_untrusted("SELECT r.province, COUNT(*) AS n FROM fact_daily f JOIN dim_region r "
                                     "ON f.city_id = r.city_id GROUP BY r.province ORDER BY r.province")
    assert sorted(keyed["province"]) == sorted(PROVINCES)
    assert keyed["n"].sum() == engine.execute("SELECT COUNT(*) AS n FROM fact_daily")["n"].iloc[0]


def test_policy_views_are_refused_and_restricted_users_get_no_sql(engine: SparkConnectEngine, spark_bi: ChatBI,
                                                                  sample_model: object) -> None:
    """Spark may test a statement's own conditions on rows a policy view filters out: it says so
    (policy_views_first False), refuses views, and a row-restricted user's SQL is refused with a sentence."""
    assert engine.policy_views_first is False
    with pytest.raises(EngineError, match="Spark cannot guarantee that row policies apply before the query's own "
                                          "conditions; hand-written SQL is off for restricted users on it"):
        engine.execute_untrusted("SELECT COUNT(*) AS n FROM fact_daily",
                                 {"fact_daily": "SELECT * FROM fact_daily WHERE city_id = 1"})
    security = Security.from_dict(telecom_security_doc(), model=sample_model)  # type: ignore[arg-type]
    alice = spark_bi.for_user("alice", security=security)
    refused = alice.run_sql("SELECT COUNT(*) AS n FROM fact_daily")
    assert refused.status == "error" and refused.data is None
    assert "cannot guarantee that your row access applies before the query's own conditions" in refused.text
    governed = alice.query(metrics=["revenue"], dimensions=["province"])  # questions are answered as usual
    assert governed.status == "ok" and set(governed.data["province"]) == {"广东"}
    root = spark_bi.for_user("root", security=security)
    assert root.run_sql("SELECT COUNT(*) AS n FROM dim_plan").data["n"].tolist() == [8]
    costly = root.run_sql("SELECT COUNT(*) AS n FROM fact_daily a, fact_daily b")
    assert costly.status == "error" and "pairs every row of fact_daily with every row of fact_daily" in costly.text


def test_failures_are_sentences(engine: SparkConnectEngine, spark_connect: object) -> None:
    with pytest.raises(EngineError, match=r"^Spark at sc://127\.0\.0\.1:\d+ has no such table, column or database: "
                                          r"\[TABLE_OR_VIEW_NOT_FOUND\]"):
        engine.execute("SELECT * FROM no_such_table")
    with pytest.raises(EngineError, match="has no such table, column or database"):
        engine.execute("SELECT no_such_column FROM dim_plan")
    wrong_db = SparkConnectEngine(f"{spark_connect.url}/;database=no_such_db")  # type: ignore[attr-defined]
    try:
        with pytest.raises(EngineError, match=r"no such table, column or database.*no_such_db"):
            wrong_db.execute("SELECT 1")
    finally:
        wrong_db.close()


def test_concurrent_statements_share_one_session(engine: SparkConnectEngine) -> None:
    results: dict[int, int] = {}
    errors: list[BaseException] = []

    def run(plan_id: int) -> None:
        try:
            frame = engine.execute(f"SELECT COUNT(*) AS n FROM fact_daily WHERE plan_id = {plan_id}")
            results[plan_id] = int(frame["n"].iloc[0])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in (1, 2, 3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors
    expected = engine.execute("SELECT plan_id, COUNT(*) AS n FROM fact_daily WHERE plan_id <= 4 GROUP BY plan_id")
    assert results == dict(zip(expected["plan_id"], expected["n"], strict=True))


def test_data_version_follows_the_data(spark_connect: object, small_duckdb: Path) -> None:
    """Row counts from the catalog's tables: an append changes the version, reading does not."""
    from pyspark.sql.connect.session import SparkSession
    from servers.spark import load_duckdb_into_spark

    load_duckdb_into_spark(small_duckdb, spark_connect, "chatbi_freshness", ["dim_plan"])  # type: ignore[arg-type]
    engine = SparkConnectEngine(f"{spark_connect.url}/;database=chatbi_freshness")  # type: ignore[attr-defined]
    admin = SparkSession(connection=spark_connect.url)  # type: ignore[attr-defined]
    try:
        probe = DataVersionProbe(engine, ["dim_plan"], ttl_s=0)
        first = probe.version()
        assert first == probe.version() and first != "unavailable"
        admin.sql("INSERT INTO chatbi_freshness.dim_plan SELECT 99, '新套餐', 'New plan', '5G', 9.0")
        assert probe.version() != first
    finally:
        admin.stop()
        engine.close()


def test_anchor_and_members_match_duckdb(spark_bi: ChatBI, duck_bi: ChatBI) -> None:
    assert spark_bi.anchor == duck_bi.anchor
    assert spark_bi.members.as_sets() == duck_bi.members.as_sets()
    assert spark_bi.members.sampled == duck_bi.members.sampled == {"channel", "segment", "vendor", "band"}
    assert spark_bi.data_version() != "unavailable"


def test_a_model_is_drafted_through_the_spark_catalog(small_spark_url: str, tmp_path: Path) -> None:
    from chatbi.cli import main

    out = tmp_path / "drafted.yaml"
    # two of the four tables: drafting profiles every column, a few dozen statements per table
    assert main(["model", "draft", "--database", small_spark_url, "--tables", "fact_network_daily", "dim_region",
                 "--out", str(out)]) == 0
    spec = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert set(spec["tables"]) == {"dim_region", "fact_network_daily"}
    assert spec["tables"]["fact_network_daily"]["time_column"] == "date"
    assert {(j["left"], j["right"]) for j in spec["joins"]} == {("fact_network_daily", "dim_region")}
    bi = ChatBI(out, small_spark_url)
    try:
        metric = next(m for m in spec["metrics"] if "dropped_calls" in m)
        answer = bi.query(metrics=[metric], dimensions=["province"])
        assert answer.status == "ok", answer.error
        assert len(answer.data) == 2  # the two provinces of the small warehouse
    finally:
        bi.close()


def test_the_database_in_the_url_is_the_one_read(spark_connect: object) -> None:
    engine = SparkConnectEngine(f"{spark_connect.url}/;database={SPARK_DATABASE}")  # type: ignore[attr-defined]
    try:
        assert engine.execute("SELECT current_database() AS db")["db"].tolist() == [SPARK_DATABASE]
    finally:
        engine.close()


def test_a_session_the_server_dropped_is_replaced(small_spark_url: str) -> None:
    """The server forgets a session (idle timeout, an administrator, a restart): the next statement
    runs in a new session, in the database the URL names."""
    engine = SparkConnectEngine(small_spark_url)
    try:
        assert len(engine.execute("SELECT * FROM dim_plan")) == 8
        old = engine._session
        old.client.release_session()  # what the server does to a session it drops
        assert len(engine.execute("SELECT * FROM dim_plan")) == 8
        assert engine._session is not old
    finally:
        engine.close()


@pytest.mark.slow
def test_server_down_mid_session_then_back(sample_model: object) -> None:
    """A server of this test's own goes down and comes back (restarted, so every session it knew
    is gone): questions meanwhile are error answers, and the next one after it is back works."""
    import time

    from servers.spark import SKIP_ENV, SparkNotInstalled, running_spark_connect

    if __import__("os").environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1")
    try:
        context = running_spark_connect()
        server = context.__enter__()
    except SparkNotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)
    engine = SparkConnectEngine(server.url)
    try:
        assert engine.execute("SELECT 41 + 1 AS n")["n"].tolist() == [42]
        server.stop()
        started = time.monotonic()
        with pytest.raises(EngineError, match=r"^cannot reach the Spark Connect server at sc://127\.0\.0\.1:\d+ "
                                              r"\(is it running\?\)"):
            engine.execute("SELECT 1")
        with pytest.raises(EngineError, match=r"^cannot reach"):  # at once: no second round of retries
            engine.execute("SELECT 1")
        assert time.monotonic() - started < 60
        server.restart()
        deadline = time.monotonic() + 60
        while True:  # the first seconds after a refusal are answered from memory; then it reconnects
            try:
                assert engine.execute("SELECT 41 + 1 AS n")["n"].tolist() == [42]
                break
            except EngineError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
    finally:
        engine.close()
        context.__exit__(None, None, None)
