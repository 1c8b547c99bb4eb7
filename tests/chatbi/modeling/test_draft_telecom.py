"""Drafting a model from the telecom sample warehouse: the structure a person would have written."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from semantic_layer import SemanticModel


def _metric_on(model: dict, table: str, column: str) -> dict:
    found = [m for m in model["metrics"].values() if m.get("table") == table and m.get("column") == column]
    assert len(found) == 1, f"expected one metric over {table}.{column}, got {found}"
    return found[0]


def test_finds_the_four_tables_with_types_keys_and_time_columns(telecom_draft) -> None:
    tables = telecom_draft.model["tables"]
    assert set(tables) == {"fact_daily", "fact_network_daily", "dim_region", "dim_plan"}
    assert tables["fact_daily"]["time_column"] == "date"
    assert tables["fact_network_daily"]["time_column"] == "date"
    assert "time_column" not in tables["dim_region"]
    assert tables["dim_region"]["primary_key"] == ["city_id"]
    assert tables["fact_daily"]["columns"]["revenue"] == "double"
    assert tables["fact_daily"]["columns"]["date"] == "date"
    assert tables["fact_daily"]["columns"]["active_subscribers"] == "bigint"
    assert "1,157,904 rows" in tables["fact_daily"]["description"]
    assert "2024-01-01" in tables["fact_daily"]["description"] and "2025-12-31" in tables["fact_daily"]["description"]


def test_joins_facts_to_dimensions_with_overlap_evidence(telecom_draft) -> None:
    joins = {(j["left"], j["right"]): j["keys"] for j in telecom_draft.model["joins"]}
    assert joins == {("fact_daily", "dim_region"): {"city_id": "city_id"},
                     ("fact_daily", "dim_plan"): {"plan_id": "plan_id"},
                     ("fact_network_daily", "dim_region"): {"city_id": "city_id"}}
    evidence = next(j for j in telecom_draft.joins if j.left == "fact_daily" and j.right == "dim_region")
    assert not evidence.declared and evidence.overlap == 1.0
    assert any("100% of fact_daily values exist in dim_region" in n for n in telecom_draft.notes)


def test_hierarchy_city_province_region_and_plan(telecom_draft) -> None:
    levels = [h["levels"] for h in telecom_draft.model["hierarchies"].values()]
    assert ["region", "province", "city"] in levels
    assert ["plan_type", "plan_name"] in levels
    assert ["date.year", "date.quarter", "date.month", "date.week", "date.day"] in levels


def test_aggregations_sum_amounts_and_average_rates(telecom_draft) -> None:
    model = telecom_draft.model
    assert _metric_on(model, "fact_daily", "revenue")["agg"] == "sum"
    assert _metric_on(model, "fact_daily", "complaints")["agg"] == "sum"
    assert _metric_on(model, "fact_network_daily", "dl_throughput_mbps")["agg"] == "avg"
    assert _metric_on(model, "fact_network_daily", "availability_pct")["agg"] == "avg"
    active = _metric_on(model, "fact_daily", "active_subscribers")
    assert active["type"] == "semi_additive" and active["time_agg"] == "last"
    # a rate is never summed, and keys are never measures
    for m in model["metrics"].values():
        col = m.get("column", "")
        assert not (m.get("agg") == "sum" and any(w in col for w in ("pct", "rate", "throughput", "fee")))
        assert m.get("agg") == "count_distinct" or not col.endswith("_id")
    assert model["metrics"]["city_count"] == {**model["metrics"]["city_count"], "agg": "count_distinct",
                                              "column": "city_id"}


def test_dimensions_time_labels_and_members(telecom_draft) -> None:
    dims = telecom_draft.model["dimensions"]
    assert dims["date"]["type"] == "time" and dims["date"]["grains"] == ["day", "week", "month", "quarter", "year"]
    assert telecom_draft.model["time_dimension"] == "date"
    assert dims["province"]["label_column"] == "province_en" and dims["city"]["label_column"] == "city_en"
    assert "city_en" not in dims and "province_en" not in dims  # English names are labels, not dimensions
    assert set(dims["channel"]["members"]) == {"线上", "营业厅", "代理商"}
    assert dims["province"]["label"] == {"en": "Province", "zh": "省份"}
    assert not any(name.endswith("_id") for name in dims)
    assert telecom_draft.model["default_language"] == "zh"


def test_profile_samples_large_tables_but_counts_exactly(telecom_draft) -> None:
    fact = telecom_draft.profile.table("fact_daily")
    assert fact.row_count == 1_157_904 and fact.sampled and fact.profiled_rows < 200_000
    assert fact.column("channel").values == ("代理商", "线上", "营业厅")
    region = telecom_draft.profile.table("dim_region")
    assert not region.sampled and region.primary_key == ("city_id",)
    assert str(fact.column("date").min) == "2024-01-01" and str(fact.column("date").max) == "2025-12-31"


def test_drafted_yaml_loads_and_answers_a_query(telecom_draft_bi, sample_db_path: Path) -> None:
    assert isinstance(telecom_draft_bi.model, SemanticModel)
    answer = telecom_draft_bi.query(metrics=["revenue"], dimensions=["region"],
                                    time_range=("2025-11-01", "2025-11-30"))
    assert answer.status == "ok", answer.error
    with duckdb.connect(str(sample_db_path), read_only=True) as con:
        expected = dict(con.execute(
            "SELECT r.region, SUM(f.revenue) FROM fact_daily f JOIN dim_region r ON f.city_id = r.city_id "
            "WHERE f.date BETWEEN DATE '2025-11-01' AND DATE '2025-11-30' GROUP BY r.region").fetchall())
    got = dict(zip(answer.data["region"], answer.data["revenue"]))
    assert got.keys() == expected.keys()
    assert all(got[k] == pytest.approx(v) for k, v in expected.items())


@pytest.mark.parametrize(("question", "sql"), [
    ("2025年11月各省份的收入",
     "SELECT r.province, SUM(f.revenue) FROM fact_daily f JOIN dim_region r ON f.city_id = r.city_id "
     "WHERE f.date BETWEEN DATE '2025-11-01' AND DATE '2025-11-30' GROUP BY 1"),
    ("complaints by channel in 2025",
     "SELECT channel, SUM(complaints) FROM fact_daily WHERE date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31' "
     "GROUP BY 1"),
    ("2025年各厂商的可用率",
     "SELECT vendor, AVG(availability_pct) FROM fact_network_daily "
     "WHERE date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31' GROUP BY 1"),
])
def test_questions_answered_correctly_on_the_drafted_model(telecom_draft_bi, sample_db_path: Path,
                                                          question: str, sql: str) -> None:
    answer = telecom_draft_bi.ask(question)
    assert answer.status == "ok", (answer.text, answer.error)
    with duckdb.connect(str(sample_db_path), read_only=True) as con:
        expected = dict(con.execute(sql).fetchall())
    frame = answer.data
    got = dict(zip(frame.iloc[:, 0], frame.iloc[:, 1]))
    assert got.keys() == expected.keys()
    assert all(got[k] == pytest.approx(v) for k, v in expected.items())
