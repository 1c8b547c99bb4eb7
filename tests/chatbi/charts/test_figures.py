"""``build_figure`` on real results of the sample warehouse, in English and Chinese."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import pytest

from chatbi.charts import build_figure, select_chart

from .figure_checks import assert_no_empty_traces, axis_title, numbers, trace_types

LANGS = ["en", "zh"]
NOV_2025 = ("2025-11-01", "2025-11-30")
Y2025 = ("2025-01-01", "2025-12-31")
GUANGDONG = {"op": "in", "dimension": "province", "values": ["广东"]}


def run(bi, lang: str, *, intent: str | None = None, **query):
    answer = bi.query(**query, language=lang)
    assert answer.ok, answer.error
    fig = build_figure(answer.query, answer.data, bi.model, language=lang, members=bi.members, intent=intent)
    assert isinstance(fig, go.Figure)
    return answer.data, fig


def pick(lang: str, en: str, zh: str) -> str:
    return en if lang == "en" else zh


@pytest.mark.parametrize("lang", LANGS)
def test_single_value_kpi_with_change(sample_bi, lang):
    frame, fig = run(sample_bi, lang, metrics=["revenue"], time_range=NOV_2025, filters=[GUANGDONG], compare="mom")
    assert trace_types(fig) == ["indicator"]
    assert_no_empty_traces(fig)
    ind = fig.data[0]
    assert ind.mode == "number+delta"
    assert ind.title.text == pick(lang, "Revenue", "收入")
    # the indicator shows the scaled number with its words: ¥881M / 8.81 亿元
    row = frame.iloc[0]
    if lang == "en":
        assert (ind.number.prefix, ind.number.suffix) == ("¥", "M")
        assert ind.value == pytest.approx(round(row["revenue"] / 1e6))
    else:
        assert (ind.number.prefix, ind.number.suffix) == ("", " 亿元")
        assert ind.value == pytest.approx(round(row["revenue"] / 1e8, 2))
    change = ind.value / ind.delta.reference - 1
    assert change == pytest.approx(row["revenue__change_pct"], rel=1e-9)
    assert ind.delta.relative is True
    assert pick(lang, "Guangdong", "广东") in fig.layout.title.text
    assert pick(lang, "Nov 2025", "2025年11月") in fig.layout.title.text


@pytest.mark.parametrize("lang", LANGS)
def test_rate_kpi_moves_in_points_as_the_sentence_writes_them(sample_bi, lang):
    from chatbi.charts.numbers import format_delta

    frame, fig = run(sample_bi, lang, metrics=["churn_rate"], time_range=NOV_2025, compare="mom")
    ind = fig.data[0]
    row = frame.iloc[0]
    assert ind.delta.relative is False
    shown = format_delta(row["churn_rate"] - row["churn_rate__previous"], "percent", "", lang)
    digits = len(shown.split()[0].partition(".")[2])
    assert ind.delta.valueformat == f".{digits}f"  # -0.073 pp in the text, -0.073 on the card
    assert ind.value - ind.delta.reference == pytest.approx(float(shown.split()[0]), abs=10 ** -digits)


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@pytest.mark.parametrize("lang", LANGS)
def test_trend_is_a_line_with_grain_labels(sample_bi, lang):
    frame, fig = run(sample_bi, lang, metrics=["revenue"], dimensions=["date.month"], time_range=Y2025)
    assert trace_types(fig) == ["scatter"]
    assert_no_empty_traces(fig)
    line = fig.data[0]
    assert list(line.x) == [pick(lang, f"{m} 2025", f"2025年{i}月") for i, m in enumerate(MONTHS, 1)]
    assert list(line.y) == pytest.approx(frame.sort_values("date__month")["revenue"].tolist())
    assert axis_title(fig.layout.xaxis) == pick(lang, "Month", "月份")
    assert axis_title(fig.layout.yaxis) == pick(lang, "Revenue (¥)", "收入（元）")
    assert fig.layout.xaxis.type == "category"
    assert fig.layout.font.family.startswith('"Noto Sans CJK SC"')
    # ticks are formatted per language
    assert all(t.startswith("¥") for t in fig.layout.yaxis.ticktext) if lang == "en" else \
        any(t.endswith("亿") for t in fig.layout.yaxis.ticktext)


@pytest.mark.parametrize("lang", LANGS)
def test_few_time_buckets_are_bars(sample_bi, lang):
    _, fig = run(sample_bi, lang, metrics=["revenue"], dimensions=["date.quarter"],
                 time_range=("2025-01-01", "2025-09-30"))
    assert trace_types(fig) == ["bar"]
    assert list(fig.data[0].x) == ["2025 Q1", "2025 Q2", "2025 Q3"]
    assert axis_title(fig.layout.xaxis) == pick(lang, "Quarter", "季度")


@pytest.mark.parametrize("lang", LANGS)
def test_long_series_become_top_members_plus_others(sample_bi, lang):
    frame, fig = run(sample_bi, lang, metrics=["revenue"], dimensions=["date.month", "city"], time_range=Y2025)
    assert trace_types(fig) == ["scatter"] * 10
    assert_no_empty_traces(fig)
    assert fig.data[-1].name == pick(lang, "Others", "其他")
    totals = frame.groupby("city")["revenue"].sum().sort_values(ascending=False)
    top = totals.index[0]
    assert fig.data[0].name == pick(lang, sample_bi.members.label("city", top, "en"), top)
    # "others" sums the other cities: every month adds up to the frame's total
    drawn = sum(numbers(t.y)[-1] for t in fig.data)
    assert drawn == pytest.approx(frame[frame["date__month"] == frame["date__month"].max()]["revenue"].sum())
    assert fig.layout.legend.title.text == pick(lang, "City", "城市")


def test_ratio_series_are_not_summed_into_others(sample_bi):
    _, fig = run(sample_bi, "en", metrics=["arpu"], dimensions=["date.month", "city"], time_range=Y2025)
    assert len(fig.data) == 10
    assert "Others" not in [t.name for t in fig.data]


@pytest.mark.parametrize("lang", LANGS)
def test_short_series_draw_every_member_with_english_names(sample_bi, lang):
    _, fig = run(sample_bi, lang, metrics=["revenue"], dimensions=["date.month", "plan_type"], time_range=Y2025)
    names = {t.name for t in fig.data}
    assert names == pick(lang, {"5G", "4G", "broadband", "IoT"}, {"5G", "4G", "宽带", "物联网"})
    assert fig.layout.legend.title.text == pick(lang, "Plan type", "套餐类型")


@pytest.mark.parametrize("lang", LANGS)
def test_one_category_is_a_sorted_horizontal_bar_when_many(sample_bi, lang):
    frame, fig = run(sample_bi, lang, metrics=["revenue"], dimensions=["province"])
    assert trace_types(fig) == ["bar"]
    assert_no_empty_traces(fig)
    bar = fig.data[0]
    assert bar.orientation == "h"
    assert list(bar.x) == sorted(bar.x, reverse=True)
    assert fig.layout.yaxis.autorange == "reversed"  # the largest on top
    assert bar.y[0] == pick(lang, "Guangdong", "广东")
    assert len(bar.y) == len(frame) == 11
    assert axis_title(fig.layout.yaxis) == pick(lang, "Province", "省份")
    assert axis_title(fig.layout.xaxis) == pick(lang, "Revenue (¥)", "收入（元）")
    assert bar.text[0] == pick(lang, "¥20.7B", "207.09 亿元")


@pytest.mark.parametrize("lang", LANGS)
def test_few_members_are_vertical_bars(sample_bi, lang):
    _, fig = run(sample_bi, lang, metrics=["new_subscribers"], dimensions=["channel"])
    bar = fig.data[0]
    assert bar.orientation == "v"
    assert list(bar.y) == sorted(bar.y, reverse=True)
    assert set(bar.x) == pick(lang, {"online", "retail store", "agent"}, {"线上", "营业厅", "代理商"})


@pytest.mark.parametrize("lang", LANGS)
def test_share_of_few_members_is_a_donut(sample_bi, lang):
    frame, fig = run(sample_bi, lang, metrics=["revenue"], dimensions=["channel"], share=True)
    assert trace_types(fig) == ["pie"]
    pie = fig.data[0]
    assert pie.hole == 0.5
    assert list(pie.values) == sorted(pie.values, reverse=True)
    assert sum(pie.values) == pytest.approx(frame["revenue"].sum())
    assert pie.labels[0] == pick(lang, "retail store", "营业厅")


@pytest.mark.parametrize("lang", LANGS)
def test_share_of_many_members_is_a_sorted_bar_with_percentages(sample_bi, lang):
    frame, fig = run(sample_bi, lang, metrics=["revenue"], dimensions=["province"], share=True)
    bar = fig.data[0]
    assert bar.type == "bar" and bar.orientation == "h"
    top = frame.sort_values("revenue", ascending=False).iloc[0]
    assert bar.text[0] == f"{top['revenue__share'] * 100:.2f}%"
    assert all(t.endswith("%") for t in bar.text)


@pytest.mark.parametrize("lang", LANGS)
def test_two_categories_stack_additive_metrics(sample_bi, lang):
    frame, fig = run(sample_bi, lang, metrics=["revenue"], dimensions=["channel", "segment"])
    assert trace_types(fig) == ["bar", "bar"]
    assert fig.layout.barmode == "stack"
    assert fig.layout.legend.title.text == pick(lang, "Segment", "客户类型")
    stacked = [sum(v) for v in zip(*[t.y for t in fig.data])]
    assert stacked == sorted(stacked, reverse=True)
    assert sum(stacked) == pytest.approx(frame["revenue"].sum())
    _, ratio = run(sample_bi, lang, metrics=["arpu"], dimensions=["channel", "segment"])
    assert ratio.layout.barmode == "group"


@pytest.mark.parametrize("lang", LANGS)
def test_large_grids_are_heatmaps(sample_bi, lang):
    frame, fig = run(sample_bi, lang, metrics=["revenue"], dimensions=["city", "plan"])
    assert trace_types(fig) == ["heatmap"]
    heat = fig.data[0]
    assert (len(heat.y), len(heat.x)) == (8, 33)
    assert sum(sum(numbers(r)) for r in heat.z) == pytest.approx(frame["revenue"].sum())
    assert heat.colorbar.title.text == pick(lang, "Revenue", "收入")


@pytest.mark.parametrize("lang", LANGS)
def test_two_metrics_with_different_units_get_two_axes(sample_bi, lang):
    # over all data: both are quoted per month, and their axes say so
    _, fig = run(sample_bi, lang, metrics=["churn_rate", "arpu"], dimensions=["plan_type"])
    assert trace_types(fig) == ["bar", "scatter"]
    assert_no_empty_traces(fig)
    assert fig.data[1].yaxis == "y2"
    assert fig.layout.yaxis2.overlaying == "y" and fig.layout.yaxis2.side == "right"
    assert axis_title(fig.layout.yaxis) == pick(lang, "Churn rate per month (%)", "月均离网率（%）")
    assert axis_title(fig.layout.yaxis2) == pick(lang, "ARPU per month (¥)", "月均ARPU（元）")
    assert all(t.endswith("%") for t in fig.layout.yaxis.ticktext)


@pytest.mark.parametrize("lang", LANGS)
def test_relation_questions_are_scatter_plots(sample_bi, lang):
    frame, fig = run(sample_bi, lang, intent="relation", metrics=["dou", "arpu"], dimensions=["province"],
                     time_range=("2025-11-01", "2025-11-30"))
    assert trace_types(fig) == ["scatter"]
    point = fig.data[0]
    assert point.mode == "markers+text" and len(point.x) == len(frame)
    assert axis_title(fig.layout.xaxis) == pick(lang, "DOU (GB)", "DOU（GB）")
    assert pick(lang, "Guangdong", "广东") in point.text


@pytest.mark.parametrize("lang", LANGS)
def test_period_over_period_bars_carry_change_labels(sample_bi, lang):
    frame, fig = run(sample_bi, lang, metrics=["revenue"], dimensions=["channel"], compare="yoy", time_range=Y2025)
    assert trace_types(fig) == ["bar", "bar"]
    previous, current = fig.data
    assert (previous.name, current.name) == pick(lang, ("Same period last year", "Current"), ("去年同期", "本期"))
    ordered = frame.sort_values("revenue", ascending=False)
    assert list(current.y) == pytest.approx(ordered["revenue"].tolist())
    assert list(previous.y) == pytest.approx(ordered["revenue__previous"].tolist())
    assert list(current.text) == [f"{v * 100:+.1f}%" for v in ordered["revenue__change_pct"]]
    assert pick(lang, "year over year", "同比") in fig.layout.title.text


def test_period_over_period_over_time(sample_bi):
    _, fig = run(sample_bi, "en", metrics=["revenue"], dimensions=["date.month"], compare="mom", time_range=Y2025)
    assert trace_types(fig) == ["bar", "bar"]
    assert list(fig.data[1].x)[:2] == ["Jan 2025", "Feb 2025"]
    _, long = run(sample_bi, "en", metrics=["revenue"], dimensions=["date.month"], compare="yoy",
                  time_range=("2024-01-01", "2025-12-31"))
    assert trace_types(long) == ["scatter", "scatter"]
    assert long.data[1].line.dash == "dash"


@pytest.mark.parametrize("lang", LANGS)
def test_root_cause_waterfall_adds_up_to_the_current_value(sample_bi, lang):
    frame, fig = run(sample_bi, lang, intent="root_cause", metrics=["revenue"], dimensions=["province"],
                     compare="mom", time_range=NOV_2025)
    assert trace_types(fig) == ["waterfall"]
    wf = fig.data[0]
    measures = list(wf.measure)
    assert measures[0] == "absolute" and measures[-1] == "total"
    assert set(measures[1:-1]) == {"relative"}
    assert len(measures) == 1 + 5 + 1 + 1  # baseline, top 5, others, current
    assert wf.x[-2] == pick(lang, "Others", "其他")
    assert sum(wf.y[:-1]) == pytest.approx(frame["revenue"].sum())
    assert wf.y[-1] == pytest.approx(frame["revenue"].sum())
    assert wf.y[0] == pytest.approx(frame["revenue__previous"].sum())
    biggest = (frame["revenue"] - frame["revenue__previous"]).abs().idxmax()
    assert wf.x[1] == (sample_bi.members.label("province", frame.loc[biggest, "province"], "en")
                       if lang == "en" else frame.loc[biggest, "province"])


@pytest.mark.parametrize("lang", LANGS)
def test_lists_and_wide_results_are_tables(sample_bi, lang):
    frame, fig = run(sample_bi, lang, dimensions=["province"])
    assert trace_types(fig) == ["table"]
    assert fig.data[0].header.values[0] == pick(lang, "<b>Province</b>", "<b>省份</b>")
    assert len(fig.data[0].cells.values[0]) == len(frame)
    metrics = ["revenue", "new_subscribers", "churn_rate", "arpu", "dou"]
    frame, fig = run(sample_bi, lang, metrics=metrics, dimensions=["province"])
    table = fig.data[0]
    assert table.type == "table" and len(table.header.values) == 6
    churn = list(table.cells.values[3])
    assert all(c.endswith("%") for c in churn)
    assert_no_empty_traces(fig)


@pytest.mark.parametrize("lang", LANGS)
def test_no_data_is_an_empty_chart_that_says_so(sample_bi, lang):
    _, fig = run(sample_bi, lang, metrics=["revenue"], time_range=("2023-01-01", "2023-01-31"))
    assert len(fig.data) == 0
    assert fig.layout.annotations[0].text == pick(lang, "No data", "无数据")


@pytest.mark.parametrize("lang", LANGS)
def test_anomaly_frames_draw_the_band_and_the_flagged_points(sample_model, lang):
    from semantic_layer import SemanticQuery

    days = pd.date_range("2025-11-01", periods=10)
    frame = pd.DataFrame({"date__day": days, "revenue": [2e8] * 4 + [3.5e8] + [2e8] * 5,
                          "revenue__expected": [2e8] * 10, "revenue__lower": [1.8e8] * 10,
                          "revenue__upper": [2.2e8] * 10, "revenue__is_anomaly": [False] * 4 + [True] + [False] * 5})
    query = SemanticQuery(metrics=["revenue"], dimensions=["date.day"])
    assert select_chart(query, frame).kind == "anomaly"
    fig = build_figure(query, frame, sample_model, language=lang)
    assert_no_empty_traces(fig)
    band = [t for t in fig.data if t.fill == "tonexty"]
    assert len(band) == 1
    flagged = fig.data[-1]
    assert flagged.name == pick(lang, "Anomaly", "异常")
    assert list(flagged.x) == ["2025-11-05"] and list(flagged.y) == [3.5e8]


@pytest.mark.parametrize("lang", LANGS)
def test_the_facade_attaches_figure_and_text(sample_bi, lang):
    answer = sample_bi.query(metrics=["revenue"], dimensions=["province"], language=lang)
    assert isinstance(answer.figure, go.Figure)
    assert answer.figure.data[0].type == "bar"
    assert answer.text and pick(lang, "Guangdong", "广东") in answer.text
    assert "present_ms" in answer.timings and math.isfinite(answer.timings["present_ms"])


def test_every_rule_builds_in_both_languages_without_empty_traces(sample_bi):
    shapes = [
        {"metrics": ["revenue"], "dimensions": ["date.week"], "time_range": NOV_2025},
        {"metrics": ["revenue"], "dimensions": ["date.day"], "time_range": NOV_2025},
        {"metrics": ["revenue"], "dimensions": ["date.year"]},
        {"metrics": ["active_subscribers"], "dimensions": ["date.month", "region"], "time_range": Y2025},
        {"metrics": ["revenue", "arpu"], "dimensions": ["date.month"], "time_range": Y2025},
        {"metrics": ["call_drop_rate"], "dimensions": ["vendor", "band"]},
        {"metrics": ["revenue", "net_adds"], "compare": "yoy", "time_range": Y2025},
        {"metrics": ["revenue"], "dimensions": ["region"], "share": True, "compare": "mom", "time_range": NOV_2025},
    ]
    for shape in shapes:
        for lang in LANGS:
            _, fig = run(sample_bi, lang, **shape)
            assert_no_empty_traces(fig)
            assert fig.layout.title.text


@pytest.mark.parametrize(("lang", "value", "prefix", "suffix"), [
    ("en", -98.7, "¥", "M"), ("zh", -9871.95, "", " 万元")])
def test_negative_kpi_keeps_its_sign_in_the_number(sample_model, lang, value, prefix, suffix):
    from semantic_layer import SemanticQuery

    query = SemanticQuery(metrics=["revenue"], compare="mom")
    frame = pd.DataFrame({"revenue": [-98_719_530.0], "revenue__previous": [-50_000_000.0],
                          "revenue__change_pct": [-0.97]})
    fig = build_figure(query, frame, sample_model, language=lang)
    ind = fig.data[0]
    assert (ind.value, ind.number.prefix, ind.number.suffix) == (value, prefix, suffix)
    # the delta still describes the frame's change: current is lower than previous
    assert ind.value < ind.delta.reference
