"""MetricFlow idioms a faithful import must handle (the CRM part of tests/chatbi/modeling/mf_project):
dimension-name collisions, an entity primary in two semantic models (one not unique), presence
flags, SQL-expression measures and dimensions in the project's dialect (Snowflake), time
dimensions by name, meta; checked on the mapping, on golden SQL and on the numbers."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd
import pytest

from chatbi import ChatBI
from chatbi.modeling import import_metricflow
from chatbi.warehouse import connect
from semantic_layer import SemanticQuery
from semantic_layer.compiler import compile_query

PROJECT = Path(__file__).parent / "mf_project"
GOLDEN = Path(__file__).parent / "golden"

GOLDEN_QUERIES = {
    "mf_multi_primary_conformed": {"metrics": ["deals"], "dimensions": ["state_code"]},
    "mf_multi_primary_addresses": {"metrics": ["deals"], "dimensions": ["company_state_code"]},
    "mf_presence_flag": {"metrics": ["won_deals", "win_rate"], "dimensions": ["metric_time.month"]},
    "mf_expression_measure": {"metrics": ["avg_days_to_close", "large_deal_value"], "dimensions": ["deal_size"]},
    "mf_time_dimension_by_name": {"metrics": ["deals"], "dimensions": ["closed_at.month"],
                                  "filters": [{"dimension": "deal_stage", "op": "in", "values": ["won"]}]},
    "mf_listing_own_table": {"metrics": [], "dimensions": ["company_name"]},
    "mf_listing_optional_relationship": {"metrics": [], "dimensions": ["deal_stage", "company_name"]},
}


@pytest.fixture(scope="module")
def report():
    return import_metricflow(PROJECT)


def test_dialect_comes_from_the_profile(report) -> None:
    assert report.dialect == "snowflake"


def test_name_collisions_get_their_own_columns(report) -> None:
    dims = report.model["dimensions"]
    # companies is reached from company_addresses (and deals): it keeps the shared name
    assert dims["state_code"] == {**dims["state_code"], "table": "companies", "column": "state_code"}
    assert dims["company_state_code"] == {**dims["company_state_code"], "table": "company_addresses",
                                          "column": "state_code", "label": {"en": "Company state code"}}
    fate = report.of("dimension", "company_addresses.state_code")
    assert fate.status == "caveat" and "also a dimension of another semantic model" in fate.detail
    # the aggregation time dimension of deals collides with companies.created_at as well
    assert dims["deal_created_at"]["table"] == "deals" and dims["created_at"]["table"] == "companies"
    report.semantic_model()


def test_entity_primary_in_two_models_joins_each_directly(report) -> None:
    joins = {(j["left"], j["right"]): j for j in report.model["joins"]}
    assert joins[("deals", "companies")]["keys"] == {"company_id": "company_id"}
    assert joins[("deals", "company_addresses")]["keys"] == {"company_id": "company_id"}
    assert joins[("companies", "company_addresses")]["relationship"] == "one_to_one"
    fate = report.of("entity", "company")
    assert fate.status == "caveat" and "primary in companies, company_addresses" in fate.detail


def test_expressions_are_translated_from_the_project_dialect(report) -> None:
    computed = report.model["tables"]["deals"]["computed"]
    assert computed["days_to_close"] == "DATEDIFF(closed_at, created_at, DAY)"  # Snowflake DATEDIFF(day, a, b)
    assert computed["deal_size"] == "CASE WHEN amount >= 1000 THEN 'large' ELSE 'small' END"  # IFF
    assert computed["created_at_day"] == "CAST(created_at AS DATE)"  # created_at::date
    assert computed["closed_deals"] == "CASE WHEN NOT closed_at IS NULL THEN 1 ELSE 0 END"  # sum_boolean
    assert report.model["tables"]["deals"]["time_column"] == "created_at_day"
    assert report.model["metrics"]["avg_days_to_close"] == {
        **report.model["metrics"]["avg_days_to_close"], "agg": "avg", "column": "days_to_close"}
    fate = report.of("measure", "deals.broken_measure")
    assert fate.status == "not_mapped" and "Jinja" in fate.detail


def test_presence_flag_is_a_row_exists_filter(report) -> None:
    assert report.model["dimensions"]["has_win"]["column"] == "deal_wins_exists"
    assert report.model["tables"]["deal_wins"]["computed"]["deal_wins_exists"] == "CASE WHEN NOT deal_id IS NULL THEN 1 END"
    assert report.model["metrics"]["won_deals"]["filters"] == [{"dimension": "has_win", "op": "in", "values": [1]}]


def test_filters_comparisons_and_time_dimensions(report) -> None:
    metrics = report.model["metrics"]
    assert metrics["deals_closed_since_march"]["filters"] == [
        {"dimension": "closed_at", "op": ">=", "values": ["2025-03-01"]}]
    assert metrics["large_deal_value"]["filters"] == [{"dimension": "deal_size", "op": "in", "values": ["large"]}]
    assert "not a conjunction" in report.of("metric", "big_pipeline").detail  # OR: refused, not approximated


def test_labels_meta_and_entities_carry_over(report) -> None:
    metrics, dims = report.model["metrics"], report.model["dimensions"]
    assert metrics["deals"]["label"] == {"en": "Number of deals"} and metrics["deals"]["meta"] == {"owner": "sales-ops"}
    assert dims["industry"]["synonyms"] == ["sector", "vertical"]
    assert "company" in dims["company_name"]["synonyms"]  # the entity names its name dimension
    assert dims["deal"] == {**dims["deal"], "table": "deals", "column": "deal_id", "index_members": False}


def test_every_element_has_a_fate(report) -> None:
    names = {(f.kind, f.name) for f in report.fates}
    for sm in ("companies", "company_addresses", "deals", "deal_wins"):
        assert ("semantic_model", sm) in names
    for dim in ("companies.company_name", "deals.deal_stage", "deals.closed_at", "deal_wins.has_win"):
        assert ("dimension", dim) in names
    for measure in ("deals.deal_count", "deals.days_to_close", "deals.closed_deals", "companies.company_count"):
        assert ("measure", measure) in names
    for metric in ("deals", "won_deals", "win_rate", "avg_days_to_close", "big_pipeline"):
        assert ("metric", metric) in names
    assert {f.status for f in report.fates} == {"mapped", "caveat", "not_mapped"}
    text = report.text()
    assert "not mapped: metric big_pipeline" in text and "mapped with a caveat: dimension deal_wins.has_win" in text


def test_uniqueness_of_declared_primary_keys_is_checked_in_the_data(crm_db: Path) -> None:
    engine = connect(str(crm_db))
    try:
        checked = import_metricflow(PROJECT, engine=engine)
    finally:
        engine.close()
    flagged = [n for n in checked.notes if n.startswith("NOT UNIQUE")]
    assert len(flagged) == 1 and "company_addresses(company_id)" in flagged[0] and "2 key values" in flagged[0]


def test_numbers(report, crm_db: Path) -> None:
    with ChatBI(report.model, crm_db) as bi:
        def rows(metrics: list[str], dims: list[str], **kw) -> list[tuple]:
            answer = bi.query(metrics=metrics, dimensions=dims, **kw)
            assert answer.status == "ok", answer.error
            return [tuple(_plain(v) for v in r) for r in answer.data.itertuples(index=False)]

        assert rows(["deals", "won_deals", "win_rate"], []) == [(5, 2, 0.4)]
        assert rows(["pipeline_value", "large_deal_value", "avg_days_to_close", "closed_deal_count"], []) == \
            [(4700, 3500, 20, 3)]
        assert rows(["deals_closed_since_march"], []) == [(1,)]
        assert sorted(rows(["deals"], ["company_name"]), key=str) == sorted([("Acme", 2), ("Bolt", 2), (None, 1)], key=str)
        # the conformed state_code (companies) counts each deal once; the addresses' one fans out like MetricFlow
        assert sorted(rows(["deals"], ["state_code"]), key=str) == sorted([("CA", 2), ("NY", 2), (None, 1)], key=str)
        assert sum(r[1] for r in rows(["deals"], ["company_state_code"])) == 9
        assert rows(["deals"], ["metric_time.month"]) == [
            (dt.date(2025, 1, 1), 1), (dt.date(2025, 2, 1), 1), (dt.date(2025, 3, 1), 3)]
        assert rows(["won_deals"], ["closed_at.month"]) == [(dt.date(2025, 2, 1), 1), (dt.date(2025, 3, 1), 1), (None, 0)]
        assert sorted(rows(["companies"], ["industry"])) == [("hardware", 1), ("software", 2)]
        # listings come from the table holding the dimensions: Cora has no deals and is still listed
        assert [r[0] for r in rows([], ["company_name"])] == ["Acme", "Bolt", "Cora"]
        assert ("open", None) in rows([], ["deal_stage", "company_name"])  # a deal without a company


def _plain(value: object) -> object:
    if value != value:  # NaN / NaT
        return None
    return value.date() if isinstance(value, pd.Timestamp) else value


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "snowflake"])
@pytest.mark.parametrize("name", sorted(GOLDEN_QUERIES))
def test_golden_sql(report, name: str, dialect: str) -> None:
    model = report.semantic_model()
    query = SemanticQuery.model_validate(GOLDEN_QUERIES[name])
    sql = compile_query(model, query, dialect, anchor=dt.date(2025, 3, 31)).expression.sql(dialect=dialect, pretty=True) + "\n"
    path = GOLDEN / dialect / f"{name}.sql"
    if os.environ.get("CHATBI_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql, encoding="utf-8")
    assert path.exists(), f"missing golden file {path.name}; run with CHATBI_UPDATE_GOLDEN=1"
    assert sql == path.read_text(encoding="utf-8")
