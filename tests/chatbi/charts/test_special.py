"""``waterfall`` and ``anomaly_chart`` called directly, as ``chatbi.analysis`` does."""

from __future__ import annotations

import pandas as pd
import pytest

from chatbi.charts import anomaly_chart, waterfall

from .figure_checks import assert_no_empty_traces


def test_waterfall_from_baseline_through_contributors_to_current():
    fig = waterfall("Oct 2025", 980.0, [("Guangzhou", -60.0), ("Shenzhen", -25.0)], "Nov 2025", 881.0,
                    title="Why revenue fell", value_format="number")
    wf = fig.data[0]
    assert list(wf.x) == ["Oct 2025", "Guangzhou", "Shenzhen", "Others", "Nov 2025"]
    assert list(wf.measure) == ["absolute", "relative", "relative", "relative", "total"]
    assert wf.y[3] == pytest.approx(881 - 980 + 85)  # the remainder no contributor explains
    assert sum(wf.y[:-1]) == pytest.approx(881.0) == wf.y[-1]
    assert fig.layout.title.text == "Why revenue fell"
    assert fig.layout.showlegend is False
    assert_no_empty_traces(fig)


def test_waterfall_without_remainder_has_no_others_bar():
    fig = waterfall("上期", 100e8, [("广东", -5e8), ("江苏", 2e8)], "本期", 97e8, title="收入变化", language="zh",
                    value_format="currency")
    wf = fig.data[0]
    assert "其他" not in wf.x
    assert list(wf.text) == ["100.00 亿元", "-5.00 亿元", "+2.00 亿元", "97.00 亿元"]
    assert sum(wf.y[:-1]) == pytest.approx(wf.y[-1])
    assert any(t.endswith("亿") for t in fig.layout.yaxis.ticktext)


def test_waterfall_zooms_only_on_a_small_change():
    # 9.80亿 -> 8.81亿: the axis starts near the totals, so the steps can be seen
    small = waterfall("Oct", 980.0, [("Guangzhou", -99.0)], "Nov", 881.0, title="t")
    assert 0 < small.layout.yaxis.range[0] < 881.0
    # 4,546 -> 14.4K: from zero, or the first total would be a sliver beside the last
    large = waterfall("Sep", 4546.0, [("Chengdu", 8928.0)], "Oct", 14380.0, title="t")
    assert large.layout.yaxis.range[0] <= 0


def test_waterfall_percent_values():
    fig = waterfall("Before", 0.012, [("4G", 0.003)], "After", 0.016, title="Churn", value_format="percent")
    wf = fig.data[0]
    assert list(wf.text) == ["1.20%", "+0.30 pp", "+0.10 pp", "1.60%"]  # steps of a rate are points
    assert wf.x[-2] == "Others"


def test_anomaly_chart_on_category_x():
    frame = pd.DataFrame({"week": ["2025-W44", "2025-W45", "2025-W46", "2025-W47"], "v": [10.0, 11.0, 30.0, 10.5],
                          "e": [10.0, 10.5, 11.0, 11.0], "lo": [8.0, 8.5, 9.0, 9.0], "hi": [12.0, 12.5, 13.0, 13.0],
                          "flag": [False, False, True, False]})
    fig = anomaly_chart(frame, x="week", actual="v", expected="e", lower="lo", upper="hi", is_anomaly="flag",
                        title="Complaints", language="en", value_format="integer", value_label="Complaints")
    assert_no_empty_traces(fig)
    names = [t.name for t in fig.data]
    assert names[-3:] == ["Expected", "Actual", "Anomaly"]
    assert fig.data[1].fill == "tonexty"  # lower bound fills up to the upper bound
    assert list(fig.data[-1].x) == ["2025-W46"] and list(fig.data[-1].y) == [30.0]
    assert fig.layout.xaxis.type == "category"
    assert fig.layout.yaxis.title.text == "Complaints"


def test_anomaly_chart_without_anomalies_has_no_highlight_trace():
    frame = pd.DataFrame({"d": pd.date_range("2025-11-01", periods=3), "v": [1.0, 2.0, 1.5], "e": [1.5] * 3,
                          "lo": [1.0] * 3, "hi": [2.0] * 3, "flag": [False] * 3})
    fig = anomaly_chart(frame, x="d", actual="v", expected="e", lower="lo", upper="hi", is_anomaly="flag",
                        title="掉话率", language="zh")
    assert [t.name for t in fig.data][-2:] == ["预期", "实际"]
    assert fig.layout.xaxis.type == "date" and fig.layout.xaxis.tickformat == "%Y年%-m月%-d日"  # the language's dates


@pytest.mark.parametrize(("question", "lang", "second", "table"), [
    ("2025年11月收入最低的省份", "zh", "（倒数第二）", ["倒数第二收入（元）", "倒数第二省份"]),
    ("lowest revenue province in November 2025", "en", " (second lowest)",
     ["Revenue, second lowest (¥)", "Province, second lowest"]),
    ("2025年11月收入最高的省份", "zh", "（第二名）", ["第二名收入（元）", "第二名省份"]),
])
def test_the_second_of_a_lowest_ranking_is_called_second_lowest(sample_bi, question, lang, second, table):
    from chatbi.charts.tables import table_columns

    answer = sample_bi.ask(question)
    assert answer.ok and answer.language == lang
    labels = list(answer.figure.data[0].y)
    assert len(labels) == 2 and labels[1].endswith(second)
    assert [c.label for c in table_columns(answer.query, answer.data, sample_bi.model, lang)][-2:] == table
