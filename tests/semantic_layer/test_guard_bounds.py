"""The guard's bounds on functions a statement timeout cannot stop (semantic_layer/guard/bounds.py)."""

from __future__ import annotations

import pytest

from semantic_layer import SemanticModel, SQLGuard, SQLGuardError


@pytest.fixture(scope="module")
def guard(sample_model: SemanticModel) -> SQLGuard:
    return SQLGuard(sample_model, "duckdb", row_cap=200)


@pytest.mark.parametrize("sql", [
    "SELECT lpad('x', 20000000, 'y') FROM fact_daily LIMIT 200",
    "SELECT rpad(city, 10001, 'y') FROM dim_region",
    "SELECT lpad(city, city_id * 1000000, 'y') FROM dim_region",
    "SELECT printf('%100000d', 1)",
    "SELECT printf(city, 1) FROM dim_region",
    "SELECT format('{:>1000000}', 1)",
])
def test_huge_string_builders_are_refused(guard: SQLGuard, sql: str) -> None:
    with pytest.raises(SQLGuardError) as info:
        guard.check(sql)
    assert info.value.rule == "resource"


def test_ordinary_padding_and_formatting_pass(guard: SQLGuard) -> None:
    guard.check("SELECT lpad(CAST(city_id AS VARCHAR), 3, '0'), printf('%05.2f', 1.5) FROM dim_region")


def test_levenshtein_refuses_long_strings_at_run_time_on_duckdb(guard: SQLGuard, sample_bi) -> None:
    sql = guard.check("SELECT levenshtein(lpad('a', 10000, 'b'), lpad('c', 10000, 'd')) AS d")
    assert "ERROR('levenshtein compares strings of at most 255 characters')" in sql
    with pytest.raises(Exception, match="at most 255 characters"):
        sample_bi.engine.execute(sql)
    short = guard.check("SELECT levenshtein(city, province) AS d FROM dim_region ORDER BY city_id")
    assert int(sample_bi.engine.execute(short).iloc[0, 0]) >= 0
    # PostgreSQL's own levenshtein refuses more than 255 characters: left as it is there
    assert "ERROR(" not in SQLGuard(guard.catalog.columns, "postgres").check("SELECT levenshtein(city, province) FROM dim_region")
