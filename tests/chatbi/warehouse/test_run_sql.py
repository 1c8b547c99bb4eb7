"""``ChatBI.run_sql`` and the guard wired into every execution, on DuckDB, PostgreSQL and SQLite.

The whole hostile corpus is sent to each real engine through ``run_sql``: every statement comes
back as an error answer and nothing runs (the session fixtures checksum every table before and
after the suite).
"""

from __future__ import annotations

import logging

import pytest
from sqlglot import exp

from chatbi import ChatBI
from semantic_layer import SemanticModel

from ...semantic_layer.test_guard_corpus import CORPUS
from ..frames import assert_same_rows

ENGINES = ("duckdb", "postgres", "sqlite")
TRICKY = ["it's", "a\\", "a\\'; DROP TABLE dim_region; --", "'; DELETE FROM fact_daily; --", "$$ $1 ? :x %s %",
          "广东'省", 'double "quoted"', "line\nbreak", "tab\tand\u200bzero width", "/* not a comment */", "--"]


@pytest.fixture(scope="module")
def engines(request: pytest.FixtureRequest) -> dict[str, ChatBI]:
    out = {"duckdb": request.getfixturevalue("duck_bi"), "sqlite": request.getfixturevalue("sqlite_bi")}
    out["postgres"] = request.getfixturevalue("pg_bi")
    return out


@pytest.fixture(autouse=True, scope="module")
def _quiet_sqlglot() -> None:
    logging.getLogger("sqlglot").setLevel(logging.ERROR)


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ENGINES)
def test_every_hostile_statement_is_refused_by_every_engine(engines: dict[str, ChatBI], engine: str) -> None:
    bi = engines[engine]
    items = [item for item in CORPUS if engine in item.dialects]
    assert len(items) >= 100
    for item in items:
        answer = bi.run_sql(item.sql)
        assert answer.status == "error", f"{engine} ran {item}: {answer.sql}"
        assert answer.data is None and answer.governed is False
        assert answer.text.startswith("SQL rejected: [") and answer.error


@pytest.mark.postgres
def test_typed_sql_runs_the_same_everywhere(engines: dict[str, ChatBI]) -> None:
    sql = ("SELECT r.province, COUNT(DISTINCT f.city_id) AS cities, SUM(f.new_subscribers) AS adds "
           "FROM fact_daily AS f JOIN dim_region AS r ON f.city_id = r.city_id "
           "WHERE f.date BETWEEN '2025-11-01' AND '2025-11-30' GROUP BY r.province ORDER BY adds DESC")
    answers = {name: bi.run_sql(sql) for name, bi in engines.items()}
    for name, answer in answers.items():
        assert answer.ok, f"{name}: {answer.error}"
        assert answer.governed is False and answer.sql is not None and answer.sql.endswith("LIMIT 10000")
        assert len(answer.data) == 2  # type: ignore[arg-type]
    for name in ("postgres", "sqlite"):
        assert_same_rows(answers[name].data, answers["duckdb"].data)  # type: ignore[arg-type]


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ENGINES)
def test_literals_reach_the_database_exactly_as_checked(engines: dict[str, ChatBI], engine: str) -> None:
    bi = engines[engine]
    for value in TRICKY:
        tree = exp.select(exp.alias_(exp.Literal.string(value), "v")).from_("dim_plan")
        sql = bi.guard.check_expression(tree)
        frame = bi.engine.execute(sql)
        assert len(frame) == 8 and set(frame["v"]) == {value}, (engine, value, sql)
        # and as typed text: the guard's own output, sent back through run_sql, means the same
        again = bi.run_sql(sql)
        assert again.ok and set(again.data["v"]) == {value}  # type: ignore[index]


def test_compiled_queries_go_through_the_guard(sample_model: SemanticModel, duck_bi: ChatBI) -> None:
    small = ChatBI(sample_model, duck_bi.engine, row_cap=3)
    answer = small.query(metrics=["revenue"], dimensions=["city"], time_range=("2025-11-01", "2025-11-30"))
    assert answer.ok and len(answer.data) == 3 and answer.sql.endswith("LIMIT 3")  # type: ignore[arg-type, union-attr]
    assert "guard_ms" in answer.timings
    typed = small.run_sql("SELECT * FROM dim_plan")
    assert typed.ok and len(typed.data) == 3  # type: ignore[arg-type]
    assert list(typed.data.columns) == list(sample_model.tables["dim_plan"].columns)  # type: ignore[union-attr]


def test_a_rejected_statement_runs_nothing_and_names_the_fragment(duck_bi: ChatBI) -> None:
    answer = duck_bi.run_sql("SELECT city FROM dim_region WHERE city IN (SELECT * FROM read_csv('/etc/passwd'))")
    assert answer.status == "error" and answer.data is None
    assert "[table_function]" in answer.text and "READ_CSV('/etc/passwd')" in answer.text
    assert duck_bi.run_sql("SELECT COUNT(*) AS n FROM dim_region").data.iloc[0, 0] == 33  # type: ignore[union-attr]
