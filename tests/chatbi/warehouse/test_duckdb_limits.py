"""DuckDB under limits: memory, threads, temporary space, no file access, a locked configuration."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from chatbi.errors import EngineError
from chatbi.warehouse import DuckDBEngine
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
    temp = Path(engine._temp_dir)  # noqa: SLF001 - the directory is the engine's own
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
