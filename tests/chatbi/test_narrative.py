"""``Answer.text``: the numbers in the sentence are the result frame's numbers, in the question's language."""

from __future__ import annotations

import pandas as pd
import pytest

from chatbi.charts import format_value
from chatbi.narrative import narrate, phrases
from semantic_layer import SemanticQuery

NOV_2025 = ("2025-11-01", "2025-11-30")
Y2025 = ("2025-01-01", "2025-12-31")
GUANGDONG = {"op": "in", "dimension": "province", "values": ["广东"]}


def money(value: float, lang: str) -> str:
    return format_value(value, "currency", "CNY", lang)


def ask(bi, lang: str, **query):
    answer = bi.query(**query, language=lang)
    assert answer.ok, answer.error
    return answer.data, answer.text


def test_phrase_tables_have_the_same_keys():
    en, zh = phrases("en"), phrases("zh")
    assert set(en) == set(zh)


def test_a_plural_label_takes_were_and_a_second_metric_is_not_capitalised(sample_model):
    query = SemanticQuery(metrics=["new_subscribers", "revenue"])
    frame = pd.DataFrame({"new_subscribers": [194_160], "revenue": [6.2e9]})
    assert narrate(query, frame, sample_model, language="en") == "New subscribers were 194K; revenue was ¥6.20B."
    assert narrate(query, frame, sample_model, language="zh") == "新增用户数为 19.42 万；收入为 62.00 亿元。"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_single_value_with_change(sample_bi, lang):
    frame, text = ask(sample_bi, lang, metrics=["revenue"], time_range=NOV_2025, filters=[GUANGDONG], compare="mom")
    row = frame.iloc[0]
    pct = f"{abs(row['revenue__change_pct']) * 100:.1f}%"
    if lang == "en":
        assert text == (f"Revenue in Guangdong in November 2025 was {money(row['revenue'], 'en')}, down {pct} "
                        f"from the previous period ({money(row['revenue__previous'], 'en')}).")
    else:
        assert text == (f"2025年11月广东收入为 {money(row['revenue'], 'zh')}，环比下降 {pct}"
                        f"（上期 {money(row['revenue__previous'], 'zh')}）。")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_ranking_names_the_leader_and_counts_members(sample_bi, lang):
    frame, text = ask(sample_bi, lang, metrics=["revenue"], dimensions=["province"], time_range=Y2025)
    top = frame.sort_values("revenue", ascending=False).iloc[0]
    bottom = frame.sort_values("revenue").iloc[0]
    assert money(top["revenue"], lang) in text and money(bottom["revenue"], lang) in text
    assert str(len(frame)) in text
    if lang == "en":
        assert text.startswith("Guangdong had the highest revenue (")
        assert "among 11 provinces in 2025" in text and "the lowest was Shanxi" in text
    else:
        assert text.startswith("2025年在 11 个省份中，广东的收入最高，为 ")
        assert text.endswith("。")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_ascending_order_asks_for_the_lowest(sample_bi, lang):
    frame, text = ask(sample_bi, lang, metrics=["revenue"], dimensions=["city"], order_by=["revenue"], limit=5)
    low = frame.sort_values("revenue").iloc[0]
    assert money(low["revenue"], lang) in text
    assert ("lowest" if lang == "en" else "最低") in text.split("；")[0].split(";")[0]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_trend_first_last_and_peak(sample_bi, lang):
    frame, text = ask(sample_bi, lang, metrics=["new_subscribers"], dimensions=["date.month"], time_range=Y2025)
    ordered = frame.sort_values("date__month")
    first, last = ordered.iloc[0]["new_subscribers"], ordered.iloc[-1]["new_subscribers"]
    def fmt(v: float) -> str:
        return format_value(v, "integer", "", lang)

    change = f"{(last - first) / first * 100:+.1f}%"
    assert fmt(first) in text and fmt(last) in text and change in text
    peak_row = ordered.loc[ordered["new_subscribers"].idxmax()]
    if peak_row.name not in (ordered.index[0], ordered.index[-1]):
        assert fmt(peak_row["new_subscribers"]) in text
    first_month, last_month = ("January 2025", "December 2025") if lang == "en" else ("2025年1月", "2025年12月")
    assert first_month in text and last_month in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_compare_by_member_gives_total_and_biggest_mover(sample_bi, lang):
    frame, text = ask(sample_bi, lang, metrics=["revenue"], dimensions=["channel"], compare="yoy", time_range=Y2025)
    total, before = frame["revenue"].sum(), frame["revenue__previous"].sum()
    assert money(total, lang) in text
    assert f"{abs(total / before - 1) * 100:.1f}%" in text
    delta = frame["revenue"] - frame["revenue__previous"]
    mover = frame.loc[delta.abs().idxmax()]
    assert "+" + money(delta.abs().max(), lang) in text
    assert (sample_bi.members.label("channel", mover["channel"], "en") if lang == "en" else mover["channel"]) in text
    assert ("year over year" if lang == "en" else "同比") in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_share_names_the_largest_share(sample_bi, lang):
    frame, text = ask(sample_bi, lang, metrics=["revenue"], dimensions=["channel"], share=True)
    top = frame.sort_values("revenue", ascending=False).iloc[0]
    assert f"{top['revenue__share'] * 100:.2f}%" in text
    assert ("of the total" if lang == "en" else "占比") in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_series_over_time_reports_the_latest_leader(sample_bi, lang):
    frame, text = ask(sample_bi, lang, metrics=["revenue"], dimensions=["date.month", "plan_type"], time_range=Y2025)
    latest = frame[frame["date__month"] == frame["date__month"].max()]
    top = latest.loc[latest["revenue"].idxmax()]
    assert money(top["revenue"], lang) in text and "5G" in text
    assert ("In December 2025" in text) if lang == "en" else text.startswith("2025年12月")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lists_count_members(sample_bi, lang):
    frame, text = ask(sample_bi, lang, dimensions=["province"])
    assert text == ("Found 11 provinces: Yunnan, Sichuan, Shandong, Shanxi, Guangdong, Jiangsu, Hebei, Henan "
                    "and 3 more." if lang == "en" else "共 11 个省份：" + "、".join(frame["province"].head(8)) + "等。")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_empty_results_say_no_data(sample_bi, lang):
    _, text = ask(sample_bi, lang, metrics=["revenue"], time_range=("2023-01-01", "2023-01-31"))
    assert text == ("No data for revenue in January 2023." if lang == "en" else "2023年1月收入没有数据。")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_two_metrics_name_each_leader(sample_bi, lang):
    frame, text = ask(sample_bi, lang, metrics=["churn_rate", "arpu"], dimensions=["plan_type"])
    churn = frame.loc[frame["churn_rate"].idxmax()]
    arpu = frame.loc[frame["arpu"].idxmax()]
    assert format_value(churn["churn_rate"], "percent", "", lang) in text
    assert money(arpu["arpu"], lang) in text


def test_relation_reports_the_correlation_of_the_frame(sample_bi):
    answer = sample_bi.query(metrics=["dou", "arpu"], dimensions=["province"], language="en")
    text = narrate(answer.query, answer.data, sample_bi.model, language="en", members=sample_bi.members,
                   intent="relation")
    r = answer.data["dou"].corr(answer.data["arpu"])
    # over all data both are quoted per month, and the sentence says so
    assert text == f"Across 11 provinces, the correlation between DOU per month and ARPU per month is {r:.2f}."
    zh = narrate(answer.query, answer.data, sample_bi.model, language="zh", intent="relation")
    assert zh == f"在 11 个省份中，月均DOU与月均ARPU的相关系数为 {r:.2f}。"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_kpi_of_several_metrics(sample_bi, lang):
    frame, text = ask(sample_bi, lang, metrics=["revenue", "churn_rate"], time_range=NOV_2025)
    row = frame.iloc[0]
    assert money(row["revenue"], lang) in text
    assert format_value(row["churn_rate"], "percent", "", lang) in text


def test_anomalies_are_counted_from_the_frame(sample_model):
    query = SemanticQuery(metrics=["revenue"], dimensions=["date.day"])
    frame = pd.DataFrame({"date__day": pd.date_range("2025-11-01", periods=5), "revenue": [2e8, 2e8, 5e8, 2e8, 1e8],
                          "revenue__expected": [2e8] * 5, "revenue__lower": [1.8e8] * 5, "revenue__upper": [2.2e8] * 5,
                          "revenue__is_anomaly": [False, False, True, False, True]})
    assert narrate(query, frame, sample_model, language="en") == \
        "2 anomalies in revenue; the latest was ¥100M in 2025-11-05 (expected ¥200M)."
    assert narrate(query, frame, sample_model, language="zh") == \
        "收入共有 2 个异常点，最近一次在2025年11月5日，为 1.00 亿元（预期 2.00 亿元）。"


def test_unchanged_and_missing_previous_values(sample_model):
    query = SemanticQuery(metrics=["revenue"], compare="yoy")
    flat = pd.DataFrame({"revenue": [5e8], "revenue__previous": [5e8], "revenue__change_pct": [0.0]})
    assert narrate(query, flat, sample_model, language="en") == "Revenue was ¥500M, unchanged year over year."
    assert narrate(query, flat, sample_model, language="zh") == "收入为 5.00 亿元，同比持平。"
    new = pd.DataFrame({"revenue": [5e8], "revenue__previous": [None], "revenue__change_pct": [None]})
    assert narrate(query, new, sample_model, language="en") == "Revenue was ¥500M."


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lists_of_two_dimensions_count_each(sample_bi, lang):
    frame, text = ask(sample_bi, lang, dimensions=["province", "city"])
    assert text == (f"Found {len(frame)} combinations of 11 provinces, 33 cities." if lang == "en"
                    else f"共 {len(frame)} 个组合，涉及11 个省份、33 个城市。")
