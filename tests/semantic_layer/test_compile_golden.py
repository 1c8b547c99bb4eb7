"""Golden SQL snapshots per dialect, and compilation for every supported dialect.

Regenerate after an intended change with ``CHATBI_UPDATE_GOLDEN=1 pytest tests/semantic_layer``
and review the diff like code.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import sqlglot

from semantic_layer import SemanticQuery
from semantic_layer.compiler import SUPPORTED_DIALECTS, compile_query

from .golden_queries import GOLDEN_QUERIES

GOLDEN_DIR = Path(__file__).parent / "golden"
GOLDEN_DIALECTS = ("duckdb", "postgres", "snowflake", "sqlite", "spark")
ANCHOR = dt.date(2025, 12, 31)


def _compiled(model, name: str, dialect: str) -> str:
    query = SemanticQuery.model_validate(GOLDEN_QUERIES[name])
    tree = compile_query(model, query, dialect, anchor=ANCHOR).expression
    return tree.sql(dialect=dialect, pretty=True) + "\n"


@pytest.mark.parametrize("dialect", GOLDEN_DIALECTS)
@pytest.mark.parametrize("name", sorted(GOLDEN_QUERIES))
def test_golden_sql(sample_model, name: str, dialect: str) -> None:
    path = GOLDEN_DIR / dialect / f"{name}.sql"
    sql = _compiled(sample_model, name, dialect)
    if os.environ.get("CHATBI_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql, encoding="utf-8")
    assert path.exists(), f"missing golden file {path.name}; run with CHATBI_UPDATE_GOLDEN=1"
    assert sql == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("dialect", SUPPORTED_DIALECTS)
@pytest.mark.parametrize("name", sorted(GOLDEN_QUERIES))
def test_compiles_and_reparses_in_every_dialect(sample_model, name: str, dialect: str) -> None:
    query = SemanticQuery.model_validate(GOLDEN_QUERIES[name])
    compiled = compile_query(sample_model, query, dialect, anchor=ANCHOR)
    # the SQL must be one statement that the dialect's own parser reads back
    statements = sqlglot.parse(compiled.sql, read=dialect)
    assert len(statements) == 1
    assert isinstance(statements[0], sqlglot.exp.Query)
    assert "fact_" in compiled.sql or "dim_" in compiled.sql


def test_two_fact_query_aggregates_each_fact_separately(sample_model) -> None:
    query = SemanticQuery.model_validate(GOLDEN_QUERIES["two_facts_by_city"])
    tree = compile_query(sample_model, query, "duckdb", anchor=ANCHOR).expression
    # no SELECT joins the two fact tables directly: each is aggregated in its own subquery
    for select in tree.find_all(sqlglot.exp.Select):
        tables = {t.name for t in select.args.get("from").find_all(sqlglot.exp.Table)} if select.args.get("from") else set()
        tables |= {t.name for j in select.args.get("joins") or [] for t in j.find_all(sqlglot.exp.Table)
                   if t.find_ancestor(sqlglot.exp.Subquery) is None}
        assert not {"fact_daily", "fact_network_daily"} <= tables
