"""Model features not exercised by the sample model's own metrics: metric filters, anchors, drill paths."""

from __future__ import annotations

import copy
import datetime as dt

import yaml

from chatbi import ChatBI
from sample_data import TELECOM_MODEL
from semantic_layer import SemanticModel

from .frames import assert_same_rows

BASE = yaml.safe_load(TELECOM_MODEL.read_text(encoding="utf-8"))


def _model(**metrics: dict) -> SemanticModel:
    data = copy.deepcopy(BASE)
    data["metrics"].update(metrics)
    return SemanticModel.from_dict(data)


def test_metric_with_filters_and_count(sample_db_path) -> None:
    model = _model(
        revenue_5g_online={"table": "fact_daily", "agg": "sum", "column": "revenue",
                           "filters": [{"dimension": "plan_type", "values": ["5G"]},
                                       {"dimension": "channel", "values": ["线上"]}]},
        rows_outside_guangdong={"table": "fact_daily", "agg": "count", "column": "*",
                                "filters": [{"dimension": "province", "op": "not_in", "values": ["广东"]}]},
    )
    bi = ChatBI(model, sample_db_path)
    answer = bi.query(metrics=["revenue_5g_online", "rows_outside_guangdong", "revenue"], dimensions=["region"],
                      time_range=("2025-11-01", "2025-11-30"))
    assert answer.status == "ok", answer.error
    expected = bi.engine.execute("""
        SELECT r.region,
               SUM(CASE WHEN p.plan_type = '5G' AND f.channel = '线上' THEN f.revenue END),
               COUNT(CASE WHEN r.province <> '广东' THEN 1 END),
               SUM(f.revenue)
        FROM fact_daily f JOIN dim_region r USING (city_id) JOIN dim_plan p USING (plan_id)
        WHERE f.date BETWEEN '2025-11-01' AND '2025-11-30' GROUP BY 1""")
    assert_same_rows(answer.data, expected)
    bi.close()


def test_time_anchor_today_and_fixed(sample_db_path) -> None:
    for anchor, expected in (("today", dt.date(2025, 6, 15)), ("2025-03-31", dt.date(2025, 3, 31))):
        data = copy.deepcopy(BASE)
        data["time_anchor"] = anchor
        bi = ChatBI(SemanticModel.from_dict(data), sample_db_path, clock=lambda: dt.datetime(2025, 6, 15, 9, 30))
        assert bi.anchor == expected
        answer = bi.query(metrics=["revenue"], filters=[{"op": "relative", "unit": "month"}])
        assert answer.period == (expected.replace(day=1).isoformat(), expected.isoformat())
        bi.close()


def test_drill_paths(sample_model) -> None:
    assert sample_model.child_level("region") == "province"
    assert sample_model.child_level("province") == "city"
    assert sample_model.child_level("city") is None
    assert sample_model.parent_level("plan") == "plan_type"
    assert sample_model.child_level("date.month") == "date.week"
    assert sample_model.hierarchy_of("city")[0] == "geography"
