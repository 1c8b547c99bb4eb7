"""The embedded DuckDB engine: read-only, a timeout that really stops a query, a row cap, threads."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pytest

from chatbi import ChatBI
from chatbi.errors import EngineError, QueryTimeout
from chatbi.warehouse import DuckDBEngine, connect
from semantic_layer import SemanticModel

# A genuinely slow statement. The guard would refuse range(), so these tests call the engine directly.
SLOW = "SELECT COUNT(*) FROM range(200000000) AS a(x), range(100000) AS b(y) WHERE a.x + b.y = 7"


def test_timeout_interrupts_a_running_query_and_the_next_one_works(sample_db_path: Path) -> None:
    engine = DuckDBEngine(sample_db_path, timeout_s=0.3)
    try:
        start = time.perf_counter()
        with pytest.raises(QueryTimeout, match=r"0\.3 s"):
            engine.execute(SLOW)
        # the statement would run for hours: a generous bound still tells "stopped" from "waited for" on a loaded machine
        assert time.perf_counter() - start < 30, "the query must be stopped, not waited for"
        assert engine.execute("SELECT COUNT(*) AS n FROM dim_region").iloc[0, 0] == 33
    finally:
        engine.close()


def test_a_late_timer_never_interrupts_the_next_query(sample_db_path: Path) -> None:
    engine = DuckDBEngine(sample_db_path, timeout_s=0.05)
    try:
        for _ in range(50):  # each query finishes well inside its timeout; none may be hit by an old timer
            assert len(engine.execute("SELECT city FROM dim_region")) == 33
        time.sleep(0.1)
        assert len(engine.execute("SELECT plan_id FROM dim_plan")) == 8
    finally:
        engine.close()


def test_timeout_in_one_thread_leaves_other_threads_alone(sample_db_path: Path) -> None:
    engine = DuckDBEngine(sample_db_path, timeout_s=0.5)
    results: dict[str, object] = {}

    def slow() -> None:
        try:
            engine.execute(SLOW)
        except QueryTimeout as exc:
            results["slow"] = exc

    def fast() -> None:
        results["fast"] = [len(engine.execute("SELECT * FROM dim_region")) for _ in range(20)]

    try:
        threads = [threading.Thread(target=slow), threading.Thread(target=fast)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert isinstance(results["slow"], QueryTimeout)
        assert results["fast"] == [33] * 20
    finally:
        engine.close()


def test_row_cap_cuts_results_and_says_so(sample_db_path: Path) -> None:
    engine = DuckDBEngine(sample_db_path, row_cap=5000)
    try:
        capped = engine.execute("SELECT date, revenue FROM fact_daily")
        assert len(capped) == 5000 and capped.attrs["truncated"] is True
        assert str(capped["date"].dtype).startswith("datetime64")
        whole = engine.execute("SELECT city FROM dim_region")
        assert len(whole) == 33 and whole.attrs["truncated"] is False
        exact = engine.execute("SELECT date FROM fact_daily LIMIT 5000")
        assert len(exact) == 5000 and exact.attrs["truncated"] is False
        empty = engine.execute("SELECT city FROM dim_region WHERE false")
        assert list(empty.columns) == ["city"] and empty.empty
    finally:
        engine.close()


def test_files_open_read_only(sample_db_path: Path) -> None:
    engine = DuckDBEngine(sample_db_path)
    try:
        with pytest.raises(EngineError, match="read-only"):
            engine.execute("DELETE FROM dim_plan")
        with pytest.raises(EngineError, match="read-only"):
            engine.execute("CREATE TABLE x (a INT)")
        assert len(engine.execute("SELECT * FROM dim_plan")) == 8
    finally:
        engine.close()


def test_lockdown_switches_off_file_access(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS a")
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n42\n")
    engine = DuckDBEngine(path, lockdown=True)
    try:
        assert engine.execute("SELECT a FROM t").iloc[0, 0] == 1
        with pytest.raises(EngineError, match="disabled"):
            engine.execute(f"SELECT * FROM read_csv('{secret.as_posix()}')")
    finally:
        engine.close()


def test_concurrent_queries_from_many_threads(sample_db_path: Path) -> None:
    engine = DuckDBEngine(sample_db_path)
    errors: list[BaseException] = []
    sums: list[float] = []

    def work() -> None:
        try:
            for _ in range(5):
                sums.append(float(engine.execute("SELECT SUM(new_subscribers) FROM fact_daily WHERE city_id = 1").iloc[0, 0]))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    try:
        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors and len(sums) == 40 and len(set(sums)) == 1
    finally:
        engine.close()


def test_missing_file_and_connect_routes(tmp_path: Path, sample_db_path: Path) -> None:
    with pytest.raises(EngineError, match="not found"):
        DuckDBEngine(tmp_path / "nope.duckdb")
    engine = connect(f"duckdb:///{sample_db_path}")
    assert isinstance(engine, DuckDBEngine) and engine.dialect == "duckdb"
    engine.close()


def test_chatbi_answers_a_timeout_with_an_error_and_goes_on(sample_model: SemanticModel, sample_db_path: Path) -> None:
    bi = ChatBI(sample_model, DuckDBEngine(sample_db_path, timeout_s=0.2))
    try:
        # slow but no product of tables (that is refused before it runs: test_duckdb_limits)
        slow = bi.run_sql("SELECT COUNT(DISTINCT CAST(a.revenue AS VARCHAR) || CAST(b.revenue AS VARCHAR)) "
                          "FROM fact_daily AS a JOIN fact_daily AS b ON a.city_id = b.city_id AND a.date = b.date "
                          "AND a.plan_id = b.plan_id")
        assert slow.status == "error" and "ran longer than 0.2 s" in slow.text and slow.data is None
        nxt = bi.query(metrics=["revenue"], dimensions=["region"], time_range=("2025-11-01", "2025-11-30"))
        assert nxt.status == "ok" and len(nxt.data) == 5  # type: ignore[arg-type]
    finally:
        bi.close()
