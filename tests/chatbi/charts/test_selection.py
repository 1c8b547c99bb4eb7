"""``select_chart``: every rule, on small hand-made frames shaped like the compiler's results."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from chatbi.charts import ChartSpec, select_chart
from semantic_layer import SemanticQuery


def q(**kw) -> SemanticQuery:
    return SemanticQuery(**kw)


def months(n: int) -> pd.Series:
    return pd.Series(pd.date_range("2025-01-01", periods=n, freq="MS"))


PROVINCES = ["广东", "江苏", "山东", "浙江", "河南", "四川", "河北", "湖北", "福建", "云南", "山西"]


def test_spec_is_frozen():
    spec = ChartSpec("bar", x="province", y=("revenue",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.kind = "line"  # type: ignore[misc]


def test_empty_and_all_null_results():
    assert select_chart(q(metrics=["revenue"]), pd.DataFrame()).kind == "empty"
    assert select_chart(q(metrics=["revenue"]), None).kind == "empty"
    assert select_chart(q(metrics=["revenue"]), pd.DataFrame({"revenue": [None]})).kind == "empty"


def test_single_value_is_a_kpi_with_the_compared_value(sample_model):
    frame = pd.DataFrame({"revenue": [8.8e8], "revenue__previous": [9.8e8], "revenue__change": [-1e8],
                          "revenue__change_pct": [-0.1]})
    spec = select_chart(q(metrics=["revenue"], compare="mom"), frame, model=sample_model)
    assert (spec.kind, spec.y, spec.previous, spec.change_pct) == (
        "kpi", ("revenue",), "revenue__previous", "revenue__change_pct")
    two = select_chart(q(metrics=["revenue", "arpu"]), pd.DataFrame({"revenue": [1.0], "arpu": [2.0]}))
    assert two.kind == "kpi" and two.y == ("revenue", "arpu")


def test_dimension_only_and_wide_results_are_tables(sample_model):
    assert select_chart(q(dimensions=["province"]), pd.DataFrame({"province": PROVINCES})).kind == "table"
    wide = pd.DataFrame({"province": PROVINCES[:3], **{m: [1.0, 2.0, 3.0] for m in
                                                       ["revenue", "arpu", "dou", "mou", "churn_rate"]}})
    spec = select_chart(q(metrics=["revenue", "arpu", "dou", "mou", "churn_rate"], dimensions=["province"]), wide)
    assert spec.kind == "table" and spec.reason == "wide result"
    three = pd.DataFrame({"a": ["x", "y"], "b": ["u", "v"], "c": ["p", "q"], "revenue": [1.0, 2.0]})
    assert select_chart(q(metrics=["revenue"], dimensions=["a", "b", "c"]), three).kind == "table"
    # several metrics of different units by one dimension cannot share an axis
    mixed = wide[["province", "revenue", "churn_rate", "dou"]]
    assert select_chart(q(metrics=["revenue", "churn_rate", "dou"], dimensions=["province"]), mixed,
                        model=sample_model).kind == "table"
    assert select_chart(q(metrics=["revenue"], dimensions=["province"]),
                        pd.DataFrame({"province": PROVINCES, "revenue": range(11)}), intent="table").kind == "table"


@pytest.mark.parametrize(("n", "kind"), [(2, "bar"), (3, "bar"), (4, "line"), (12, "line")])
def test_time_is_a_line_unless_there_are_few_buckets(n, kind):
    frame = pd.DataFrame({"date__month": months(n), "revenue": range(n)})
    spec = select_chart(q(metrics=["revenue"], dimensions=["date.month"]), frame)
    assert (spec.kind, spec.x, spec.grain) == (kind, "date__month", "month")


def test_time_with_a_short_series_dimension_draws_every_member():
    frame = pd.DataFrame([(m, p, 1.0) for m in months(6) for p in PROVINCES[:10]],
                         columns=["date__month", "province", "revenue"])
    spec = select_chart(q(metrics=["revenue"], dimensions=["date.month", "province"]), frame)
    assert (spec.kind, spec.series, spec.top_n) == ("line", "province", None)


def test_time_with_a_long_series_dimension_keeps_top_members():
    frame = pd.DataFrame([(m, p, 1.0) for m in months(6) for p in PROVINCES],
                         columns=["date__month", "province", "revenue"])
    spec = select_chart(q(metrics=["revenue"], dimensions=["province", "date.month"]), frame)
    assert (spec.kind, spec.x, spec.series, spec.top_n) == ("line", "date__month", "province", 9)


@pytest.mark.parametrize(("members", "orientation"), [(3, "v"), (8, "v"), (9, "h"), (11, "h")])
def test_one_category_is_a_sorted_bar(members, orientation):
    frame = pd.DataFrame({"province": PROVINCES[:members], "revenue": range(members)})
    spec = select_chart(q(metrics=["revenue"], dimensions=["province"]), frame)
    assert (spec.kind, spec.sort, spec.orientation) == ("bar", True, orientation)


def test_long_labels_turn_bars_horizontal_and_user_order_is_kept():
    frame = pd.DataFrame({"plan": ["Unlimited 5G family sharing plan", "IoT"], "revenue": [1.0, 2.0]})
    assert select_chart(q(metrics=["revenue"], dimensions=["plan"]), frame).orientation == "h"
    spec = select_chart(q(metrics=["revenue"], dimensions=["plan"], order_by=["plan"]), frame)
    assert spec.kind == "bar" and not spec.sort


def test_too_many_members_are_listed():
    frame = pd.DataFrame({"city": [f"c{i}" for i in range(60)], "revenue": range(60)})
    assert select_chart(q(metrics=["revenue"], dimensions=["city"]), frame).kind == "table"


@pytest.mark.parametrize(("members", "kind"), [(3, "donut"), (8, "donut"), (9, "bar"), (11, "bar")])
def test_share_is_a_donut_for_few_members(members, kind):
    frame = pd.DataFrame({"province": PROVINCES[:members], "revenue": range(1, members + 1)})
    frame["revenue__share"] = frame["revenue"] / frame["revenue"].sum()
    spec = select_chart(q(metrics=["revenue"], dimensions=["province"], share=True), frame)
    assert (spec.kind, spec.share) == (kind, "revenue__share")


def test_two_categories_are_stacked_grouped_or_a_heatmap(sample_model):
    small = pd.DataFrame([(c, s, 1.0) for c in ["线上", "营业厅", "代理商"] for s in ["个人", "政企"]],
                         columns=["channel", "segment", "revenue"])
    query = q(metrics=["revenue"], dimensions=["segment", "channel"])
    spec = select_chart(query, small, model=sample_model)
    assert (spec.kind, spec.x, spec.series, spec.barmode) == ("bar", "channel", "segment", "stack")
    ratio = small.rename(columns={"revenue": "arpu"})
    assert select_chart(q(metrics=["arpu"], dimensions=["segment", "channel"]), ratio,
                        model=sample_model).barmode == "group"
    big = pd.DataFrame([(c, p, 1.0) for c in range(30) for p in range(8)], columns=["city", "plan", "revenue"])
    spec = select_chart(q(metrics=["revenue"], dimensions=["plan", "city"]), big)
    assert (spec.kind, spec.x, spec.series) == ("heatmap", "city", "plan")


def test_two_metrics_dual_axis_or_scatter(sample_model):
    frame = pd.DataFrame({"plan_type": ["4G", "5G", "宽带", "物联网"], "churn_rate": [0.7, 0.36, 0.35, 0.29],
                          "arpu": [1196.0, 2863.0, 1791.0, 243.0]})
    query = q(metrics=["churn_rate", "arpu"], dimensions=["plan_type"])
    assert select_chart(query, frame, model=sample_model).kind == "dual_axis"
    assert select_chart(query, frame).kind == "dual_axis"  # magnitudes differ without a model too
    spec = select_chart(query, frame, intent="relation")
    assert (spec.kind, spec.x, spec.y) == ("scatter", "plan_type", ("churn_rate", "arpu"))
    same = pd.DataFrame({"date__month": months(6), "new_subscribers": range(6), "churned_subscribers": range(6)})
    spec = select_chart(q(metrics=["new_subscribers", "churned_subscribers"], dimensions=["date.month"]), same,
                        model=sample_model)
    assert (spec.kind, spec.y) == ("line", ("new_subscribers", "churned_subscribers"))


def _compared(frame: pd.DataFrame) -> pd.DataFrame:
    frame["revenue__previous"] = frame["revenue"] * 0.9
    frame["revenue__change"] = frame["revenue"] - frame["revenue__previous"]
    frame["revenue__change_pct"] = frame["revenue__change"] / frame["revenue__previous"]
    return frame


def test_period_over_period_is_current_vs_previous_bars(sample_model):
    by_channel = _compared(pd.DataFrame({"channel": ["线上", "营业厅", "代理商"], "revenue": [3.0, 2.0, 1.0]}))
    spec = select_chart(q(metrics=["revenue"], dimensions=["channel"], compare="yoy"), by_channel)
    assert (spec.kind, spec.previous, spec.change_pct) == ("compare_bar", "revenue__previous", "revenue__change_pct")
    by_month = _compared(pd.DataFrame({"date__month": months(6), "revenue": range(1, 7)}))
    by_month_query = q(metrics=["revenue"], dimensions=["date.month"], compare="yoy")
    assert select_chart(by_month_query, by_month).kind == "compare_bar"
    long = _compared(pd.DataFrame({"date__month": months(24), "revenue": range(1, 25)}))
    spec = select_chart(q(metrics=["revenue"], dimensions=["date.month"], compare="yoy"), long)
    assert (spec.kind, spec.previous) == ("line", "revenue__previous")
    # "why": the same result drawn as contributions to the change
    spec = select_chart(q(metrics=["revenue"], dimensions=["channel"], compare="yoy"), by_channel,
                        intent="root_cause", model=sample_model)
    assert spec.kind == "waterfall"
    ratio = by_channel.rename(columns=lambda c: c.replace("revenue", "arpu"))
    assert select_chart(q(metrics=["arpu"], dimensions=["channel"], compare="yoy"), ratio, intent="why",
                        model=sample_model).kind == "compare_bar"  # ratios do not add up to a waterfall


def test_anomaly_columns_select_the_band_chart():
    frame = pd.DataFrame({"date__day": pd.date_range("2025-11-01", periods=5), "revenue": [1.0, 2, 9, 2, 1],
                          "revenue__expected": [1.5] * 5, "revenue__lower": [1.0] * 5, "revenue__upper": [2.0] * 5,
                          "revenue__is_anomaly": [False, False, True, False, False]})
    spec = select_chart(q(metrics=["revenue"], dimensions=["date.day"]), frame)
    assert (spec.kind, spec.x, spec.y) == ("anomaly", "date__day", ("revenue",))
