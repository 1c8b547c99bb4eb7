"""DuckDB under limits: memory, threads, temporary space, no file access, a locked configuration, a cost
check before SQL a person wrote, policy views materialised first, results bounded in bytes."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from chatbi.errors import EngineError, QueryTooCostly
from chatbi.warehouse import DuckDBEngine
from chatbi.warehouse.base import UntrustedSQLEngine
from chatbi.warehouse.duckdb_engine import DuckDBLimits


@pytest.fixture(scope="module")
def engine(sample_db_path: Path):
    engine = DuckDBEngine(sample_db_path, timeout_s=20)
    yield engine
    engine.close()


def setting(engine: DuckDBEngine, name: str) -> str:
    return str(engine.execute(f"SELECT current_setting('{name}') AS v").iloc[0, 0])


def test_limits_and_lockdown_are_on_by_default(engine: DuckDBEngine, tmp_path: Path) -> None:
    assert setting(engine, "memory_limit") in ("1.8 GiB", "1.9 GiB") and setting(engine, "threads") == "2"
    assert setting(engine, "enable_external_access").lower() == "false"
    assert setting(engine, "lock_configuration").lower() == "true"
    assert setting(engine, "max_temp_directory_size") in ("3.7 GiB", "4.0 GiB", "3.8 GiB")
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n42\n")
    for sql in (f"SELECT * FROM read_csv('{secret.as_posix()}')", "SELECT * FROM read_text('/etc/passwd')",
                "SET memory_limit = '64GB'", "SET enable_external_access = true", "INSTALL httpfs"):
        with pytest.raises(EngineError):
            engine.execute(sql)
    assert setting(engine, "memory_limit") in ("1.8 GiB", "1.9 GiB")


def test_other_code_may_open_the_same_file_with_its_own_settings(engine: DuckDBEngine, sample_db_path: Path,
                                                                 tmp_path: Path) -> None:
    """The engine attaches the file to its own in-memory DuckDB: no "different configuration" conflict."""
    with duckdb.connect(str(sample_db_path), read_only=True) as con:
        con.execute(f"COPY (SELECT * FROM dim_region) TO '{(tmp_path / 'r.parquet').as_posix()}' (FORMAT parquet)")
        assert con.execute("SELECT current_setting('enable_external_access')").fetchone()[0] is True
    assert int(engine.execute("SELECT COUNT(*) AS n FROM dim_region").iloc[0, 0]) == 33


def test_limits_can_be_chosen_and_the_private_temp_directory_goes_with_the_engine(sample_db_path: Path) -> None:
    engine = DuckDBEngine(sample_db_path, limits=DuckDBLimits(memory_limit="300MB", threads=1))
    temp = Path(engine._temp_dir)
    try:
        assert setting(engine, "threads") == "1" and setting(engine, "memory_limit").startswith("286")
        assert temp.is_dir() and setting(engine, "temp_directory") == str(temp)
        # a sort larger than the memory limit spills to the temporary directory and still finishes
        frame = engine.execute("SELECT city_id, date, plan_id, channel, segment, revenue, "
                               "row_number() OVER (ORDER BY revenue, date, city_id) AS rn FROM fact_daily "
                               "ORDER BY rn DESC LIMIT 3")
        assert len(frame) == 3
    finally:
        engine.close()
    assert not temp.exists()


@pytest.mark.parametrize("sql", [
    "SELECT COUNT(*) FROM fact_daily a, fact_daily b, fact_daily c",
    "SELECT COUNT(*) FROM fact_daily a CROSS JOIN fact_daily b",
    "SELECT COUNT(*) FROM fact_daily a JOIN fact_daily b ON a.revenue < b.revenue",
    "SELECT COUNT(*) FROM fact_daily a JOIN fact_daily b ON a.city_id = b.city_id",
    "SELECT COUNT(*) FROM fact_daily a WHERE EXISTS (SELECT 1 FROM fact_daily b WHERE b.revenue > a.revenue)",
    "SELECT COUNT(*) FROM fact_daily a JOIN fact_network_daily b ON true",
])
def test_products_of_large_tables_are_refused_before_running(engine: DuckDBEngine, sql: str) -> None:
    assert isinstance(engine, UntrustedSQLEngine)
    with pytest.raises(QueryTooCostly) as info:
        engine.execute_untrusted(sql)
    assert "fact_" in str(info.value) and ("join" in str(info.value))


@pytest.mark.parametrize("sql", [
    "SELECT COUNT(*) FROM fact_daily a JOIN dim_region b ON a.city_id = b.city_id",
    "SELECT COUNT(*) FROM dim_region a, dim_plan b",
    "SELECT COUNT(*) FROM (SELECT * FROM fact_daily LIMIT 10) a, dim_plan b",
    "SELECT COUNT(*) FROM fact_daily a JOIN fact_daily b ON a.city_id = b.city_id AND a.date = b.date "
    "AND a.plan_id = b.plan_id AND a.channel = b.channel AND a.segment = b.segment",
])
def test_ordinary_joins_run(engine: DuckDBEngine, sql: str) -> None:
    assert int(engine.execute_untrusted(sql).iloc[0, 0]) > 0


def test_views_are_materialised_before_the_statement_and_dropped_after(engine: DuckDBEngine) -> None:
    views = {"chatbi_v_fact": "SELECT city_id, revenue FROM fact_daily WHERE city_id = 1"}
    frame = engine.execute_untrusted("SELECT COUNT(DISTINCT city_id) AS c, COUNT(*) AS n FROM chatbi_v_fact", views)
    assert frame.iloc[0].tolist() == [1, 35088]
    with pytest.raises(EngineError, match="chatbi_v_fact"):
        engine.execute("SELECT COUNT(*) FROM chatbi_v_fact")


def test_results_are_bounded_in_bytes(sample_db_path: Path) -> None:
    engine = DuckDBEngine(sample_db_path, max_result_bytes=1_000_000)
    try:
        wide = engine.execute("SELECT lpad(city, 10000, 'x') AS s FROM dim_region, dim_plan")  # 264 rows x 10 kB
        assert 90 <= len(wide) <= 100 and wide.attrs["truncated"] and wide.attrs["byte_cap"] == 1_000_000
        narrow = engine.execute("SELECT city FROM dim_region")
        assert len(narrow) == 33 and not narrow.attrs["truncated"]
    finally:
        engine.close()
