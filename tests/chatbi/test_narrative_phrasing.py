"""Golden sentences of superlatives (the winner named, and its lead) and of two-period comparisons
(both values, the change and the rate; a rate's change in percentage points), in both languages.

Numbers come from the answer's own frame through the number layer; the wording is fixed here.
"""

from __future__ import annotations

import pandas as pd
import pytest

from chatbi.charts import format_value
from chatbi.charts.numbers import format_change, format_delta
from chatbi.narrative import narrate
from semantic_layer import SemanticQuery

Y2025 = ("2025-01-01", "2025-12-31")
NOV, OCT = ("2025-11-01", "2025-11-30"), ("2025-10-01", "2025-10-31")


def money(value: float, lang: str) -> str:
    return format_value(value, "currency", "CNY", lang)


def pct(before: float, after: float) -> str:
    return format_change((after - before) / abs(before)).lstrip("+-")


def run(bi, lang: str, **query):
    answer = bi.query(**query, language=lang)
    assert answer.ok, answer.error
    return answer.data.iloc[0], answer.text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_winner_is_named_with_its_lead(sample_bi, lang):
    row, text = run(sample_bi, lang, metrics=["revenue"], dimensions=["province"], order_by=["-revenue"], limit=1,
                    time_range=Y2025)
    value, second = row["revenue"], row["revenue__runner_up"]
    lead = money(value - second, lang)
    if lang == "zh":
        assert text == (f"2025年收入最高的省份是广东，为 {money(value, 'zh')}，比第二名江苏（{money(second, 'zh')}）"
                        f"高 {lead}（{pct(second, value)}）。")
    else:
        assert text == (f"Guangdong had the highest revenue of any province in 2025: {money(value, 'en')}, {lead} "
                        f"({pct(second, value)}) ahead of the runner-up Jiangsu ({money(second, 'en')}).")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_last_is_named_with_its_gap_to_the_second_last(sample_bi, lang):
    row, text = run(sample_bi, lang, metrics=["revenue"], dimensions=["province"], order_by=["revenue"], limit=1,
                    time_range=Y2025)
    value, second = row["revenue"], row["revenue__runner_up"]
    gap, rate = money(second - value, lang), pct(second, value)  # the direction is in the words, not a sign
    last = sample_bi.members.label("province", row["province"], lang)
    runner = sample_bi.members.label("province", row["province__runner_up"], lang)
    if lang == "zh":
        assert text == (f"2025年收入最低的省份是{last}，为 {money(value, 'zh')}，比倒数第二的{runner}"
                        f"（{money(second, 'zh')}）低 {gap}（{rate}）。")
    else:
        assert text == (f"{last} had the lowest revenue of any province in 2025: {money(value, 'en')}, {gap} ({rate}) "
                        f"below the runner-up {runner} ({money(second, 'en')}).")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_lowest_rate_leads_by_percentage_points(sample_bi, lang):
    row, text = run(sample_bi, lang, metrics=["churn_rate"], dimensions=["province"], order_by=["churn_rate"],
                    limit=1, time_range=NOV)
    value, second = row["churn_rate"], row["churn_rate__runner_up"]
    gap = format_delta(value - second, "percent", "", lang).lstrip("+-")
    shown, shown2 = format_value(value, "percent", "", lang), format_value(second, "percent", "", lang)
    winner = sample_bi.members.label("province", row["province"], lang)
    runner = sample_bi.members.label("province", row["province__runner_up"], lang)
    if lang == "zh":
        assert text == f"2025年11月离网率最低的省份是{winner}，为 {shown}，比倒数第二的{runner}（{shown2}）低 {gap}。"
        assert gap.endswith("个百分点")
    else:
        assert text == (f"{winner} had the lowest churn rate of any province in November 2025: {shown}, {gap} below "
                        f"the runner-up {runner} ({shown2}).")
        assert gap.endswith("pp")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_winning_month(sample_bi, lang):
    row, text = run(sample_bi, lang, metrics=["revenue"], dimensions=["date.month"], order_by=["-revenue"],
                    limit=1, time_range=Y2025)
    assert pd.Timestamp(row["date__month"]).month == 12
    if lang == "zh":
        assert text.startswith(f"2025年收入最高的月份是2025年12月，为 {money(row['revenue'], 'zh')}，比第二名2025年")
    else:
        assert text.startswith(f"December 2025 had the highest revenue of any month in 2025: {money(row['revenue'], 'en')}, ")


def test_a_lone_member_has_no_runner_up(sample_model):
    q = SemanticQuery(metrics=["revenue"], dimensions=["province"], order_by=["-revenue"], limit=1)
    frame = pd.DataFrame({"province": ["广东"], "revenue": [1.5e9], "revenue__runner_up": [None],
                          "province__runner_up": [None]})
    assert narrate(q, frame, sample_model, language="zh") == "收入最高的省份是广东，为 15.00 亿元。"
    assert narrate(q, frame, sample_model, language="en") == "广东 had the highest revenue of any province: ¥1.50B."


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_two_months_give_both_values_the_change_and_the_rate(sample_bi, lang):
    row, text = run(sample_bi, lang, metrics=["revenue"], time_range=NOV, baseline=OCT)
    now, before = row["revenue"], row["revenue__previous"]
    assert now < before
    change = money(before - now, lang)
    if lang == "zh":
        assert text == (f"2025年11月收入为 {money(now, 'zh')}，较2025年10月（{money(before, 'zh')}）下降 {change}"
                        f"（{pct(before, now)}）。")
    else:
        assert text == (f"Revenue in November 2025 was {money(now, 'en')}, down {change} ({pct(before, now)}) "
                        f"from {money(before, 'en')} in October 2025.")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_rate_compared_moves_in_points(sample_bi, lang):
    row, text = run(sample_bi, lang, metrics=["churn_rate"], time_range=("2025-12-01", "2025-12-31"),
                    baseline=("2024-12-01", "2024-12-31"))
    now, before = row["churn_rate"], row["churn_rate__previous"]
    points = format_delta(now - before, "percent", "", lang).lstrip("+-")
    shown, shown_before = format_value(now, "percent", "", lang), format_value(before, "percent", "", lang)
    direction = {"zh": ("上升", "下降"), "en": ("up", "down")}[lang][bool(now < before)]
    if lang == "zh":
        assert text == f"2025年12月离网率为 {shown}，较2024年12月（{shown_before}）{direction} {points}。"
    else:
        assert text == f"Churn rate in December 2025 was {shown}, {direction} {points} from {shown_before} in December 2024."


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_breakdown_compared_with_a_named_period(sample_bi, lang):
    answer = sample_bi.query(metrics=["revenue"], dimensions=["province"], time_range=NOV,
                             baseline=("2024-11-01", "2024-11-30"), language=lang)
    assert answer.ok, answer.error
    total, before = answer.data["revenue"].sum(), answer.data["revenue__previous"].sum()
    start = {"zh": f"2025年11月收入合计 {money(total, 'zh')}，较2024年11月（{money(before, 'zh')}）上升 ",
             "en": f"Revenue in November 2025 totalled {money(total, 'en')}, up {money(total - before, 'en')} "
                   f"({pct(before, total)}) from {money(before, 'en')} in November 2024; "}[lang]
    assert answer.text.startswith(start), answer.text


def test_a_winner_chart_highlights_the_winner_beside_the_runner_up(sample_bi):
    answer = sample_bi.query(metrics=["revenue"], dimensions=["city"], order_by=["-revenue"], limit=1,
                             time_range=Y2025, language="en")
    bar = answer.figure.data[0]
    assert list(bar.y) == ["Guangzhou", "Shenzhen (runner-up)"]
    assert bar.marker.color[0] != bar.marker.color[1]  # the winner in colour, the runner-up grey


def test_a_comparison_chart_names_the_baseline(sample_bi):
    answer = sample_bi.query(metrics=["revenue"], dimensions=["province"], time_range=NOV, baseline=OCT,
                             language="zh")
    assert answer.compare_period == ("2025-10-01", "2025-10-31")
    figure = answer.figure
    assert "较2025年10月" in figure.layout.title.text
    assert "2025年10月" in {trace.name for trace in figure.data}
