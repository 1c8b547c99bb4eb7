"""The offline translator over every coverage category, in Chinese and English.

Each case is a question and the exact ``SemanticQuery`` it must become (as JSON, defaults
left out), read against the real sample model and member index; the anchor is 2025-12-31.
"""

from __future__ import annotations

from typing import Any

import pytest

from chatbi.pipeline import translation_context
from chatbi.translate import OfflineTranslator, TranslationContext

NOV = {"start": "2025-11-01", "end": "2025-11-30"}
Y2025 = {"start": "2025-01-01", "end": "2025-12-31"}
GD = {"op": "in", "dimension": "province", "values": ["广东"]}


@pytest.fixture(scope="module")
def ctx(sample_bi: Any) -> TranslationContext:
    return translation_context(sample_bi)


def query_of(ctx: TranslationContext, question: str) -> dict[str, Any]:
    t = OfflineTranslator().translate(question, ctx)
    assert t.status == "ok", (question, t.text)
    assert t.query is not None
    return t.query.model_dump(mode="json", exclude_defaults=True)


CASES: list[tuple[str, dict[str, Any]]] = [
    # metrics, one or several
    ("2025年收入和ARPU", {"metrics": ["revenue", "arpu"], "time_range": Y2025}),
    ("revenue and ARPU in 2025", {"metrics": ["revenue", "arpu"], "time_range": Y2025}),
    ("2025年户均流量", {"metrics": ["dou"], "time_range": Y2025}),
    ("DOU in 2025", {"metrics": ["dou"], "time_range": Y2025}),
    # group by one or several dimensions
    ("2025年11月各省收入", {"metrics": ["revenue"], "dimensions": ["province"], "time_range": NOV}),
    ("revenue by province in November 2025", {"metrics": ["revenue"], "dimensions": ["province"], "time_range": NOV}),
    ("2025年按省份和渠道的收入", {"metrics": ["revenue"], "dimensions": ["province", "channel"], "time_range": Y2025}),
    ("revenue by province and channel in 2025",
     {"metrics": ["revenue"], "dimensions": ["province", "channel"], "time_range": Y2025}),
    # time grains
    ("2025年按月的收入", {"metrics": ["revenue"], "dimensions": ["date.month"], "time_range": Y2025}),
    ("2025年每月收入", {"metrics": ["revenue"], "dimensions": ["date.month"], "time_range": Y2025}),
    ("2025年月度收入", {"metrics": ["revenue"], "dimensions": ["date.month"], "time_range": Y2025}),
    ("2025年11月逐日收入", {"metrics": ["revenue"], "dimensions": ["date.day"], "time_range": NOV}),
    ("monthly revenue in 2025", {"metrics": ["revenue"], "dimensions": ["date.month"], "time_range": Y2025}),
    ("weekly revenue in November 2025", {"metrics": ["revenue"], "dimensions": ["date.week"], "time_range": NOV}),
    ("quarterly ARPU in 2025", {"metrics": ["arpu"], "dimensions": ["date.quarter"], "time_range": Y2025}),
    ("revenue trend in 2025", {"metrics": ["revenue"], "dimensions": ["date.month"], "time_range": Y2025}),
    # member filters and their synonyms
    ("2025年11月广东的收入", {"metrics": ["revenue"], "filters": [GD], "time_range": NOV}),
    ("2025年11月广东省的收入", {"metrics": ["revenue"], "filters": [GD], "time_range": NOV}),
    ("粤2025年11月收入", {"metrics": ["revenue"], "filters": [GD], "time_range": NOV}),
    ("revenue in Guangdong in November 2025", {"metrics": ["revenue"], "filters": [GD], "time_range": NOV}),
    ("2025年5G套餐收入", {"metrics": ["revenue"], "time_range": Y2025,
                       "filters": [{"op": "in", "dimension": "plan_type", "values": ["5G"]}]}),
    ("2025年线上渠道新增用户", {"metrics": ["new_subscribers"], "time_range": Y2025,
                          "filters": [{"op": "in", "dimension": "channel", "values": ["线上"]}]}),
    ("online new subscribers in 2025", {"metrics": ["new_subscribers"], "time_range": Y2025,
                                        "filters": [{"op": "in", "dimension": "channel", "values": ["线上"]}]}),
    # negation and several members
    ("2025年除了广东以外的收入", {"metrics": ["revenue"], "time_range": Y2025,
                          "filters": [{"op": "not_in", "dimension": "province", "values": ["广东"]}]}),
    ("revenue excluding Guangdong and Zhejiang in 2025",
     {"metrics": ["revenue"], "time_range": Y2025,
      "filters": [{"op": "not_in", "dimension": "province", "values": ["广东", "浙江"]}]}),
    ("non-5G ARPU in 2025", {"metrics": ["arpu"], "time_range": Y2025,
                             "filters": [{"op": "not_in", "dimension": "plan_type", "values": ["5G"]}]}),
    ("2025年广东和浙江的收入", {"metrics": ["revenue"], "dimensions": ["province"], "time_range": Y2025,
                         "filters": [{"op": "in", "dimension": "province", "values": ["广东", "浙江"]}]}),
    # absolute time: years, months, quarters, halves, weeks, dates, ranges
    ("2025年第三季度收入", {"metrics": ["revenue"], "time_range": {"start": "2025-07-01", "end": "2025-09-30"}}),
    ("Q3 2025 revenue", {"metrics": ["revenue"], "time_range": {"start": "2025-07-01", "end": "2025-09-30"}}),
    ("2025年上半年收入", {"metrics": ["revenue"], "time_range": {"start": "2025-01-01", "end": "2025-06-30"}}),
    ("revenue in H1 2025", {"metrics": ["revenue"], "time_range": {"start": "2025-01-01", "end": "2025-06-30"}}),
    ("2025年第12周收入", {"metrics": ["revenue"], "time_range": {"start": "2025-03-17", "end": "2025-03-23"}}),
    ("revenue in week 12 of 2025", {"metrics": ["revenue"], "time_range": {"start": "2025-03-17", "end": "2025-03-23"}}),
    ("2025年3月到6月的收入", {"metrics": ["revenue"], "time_range": {"start": "2025-03-01", "end": "2025-06-30"}}),
    ("revenue from March to June 2025", {"metrics": ["revenue"],
                                          "time_range": {"start": "2025-03-01", "end": "2025-06-30"}}),
    ("2025-03-01 至 2025-03-15 的收入", {"metrics": ["revenue"],
                                       "time_range": {"start": "2025-03-01", "end": "2025-03-15"}}),
    ("三月的收入", {"metrics": ["revenue"], "time_range": {"start": "2025-03-01", "end": "2025-03-31"}}),
    ("二〇二四年十一月收入", {"metrics": ["revenue"], "time_range": {"start": "2024-11-01", "end": "2024-11-30"}}),
    # relative time against the anchor
    ("上个月的收入", {"metrics": ["revenue"], "filters": [{"op": "relative", "unit": "month", "offset": 1}]}),
    ("revenue last month", {"metrics": ["revenue"], "filters": [{"op": "relative", "unit": "month", "offset": 1}]}),
    ("本季度收入", {"metrics": ["revenue"], "filters": [{"op": "relative", "unit": "quarter"}]}),
    ("revenue last quarter", {"metrics": ["revenue"], "filters": [{"op": "relative", "unit": "quarter", "offset": 1}]}),
    ("去年的收入", {"metrics": ["revenue"], "filters": [{"op": "relative", "unit": "year", "offset": 1}]}),
    ("revenue this week", {"metrics": ["revenue"], "filters": [{"op": "relative", "unit": "week"}]}),
    ("近三个月的收入", {"metrics": ["revenue"], "filters": [{"op": "relative", "unit": "month", "n": 3}]}),
    ("最近7天的收入", {"metrics": ["revenue"], "filters": [{"op": "relative", "unit": "day", "n": 7}]}),
    ("revenue in the past 30 days", {"metrics": ["revenue"], "filters": [{"op": "relative", "unit": "day", "n": 30}]}),
    ("今年以来的收入", {"metrics": ["revenue"], "filters": [{"op": "relative", "unit": "year"}]}),
    ("MTD revenue", {"metrics": ["revenue"], "filters": [{"op": "relative", "unit": "month"}]}),
    ("QTD revenue", {"metrics": ["revenue"], "filters": [{"op": "relative", "unit": "quarter"}]}),
    ("昨天的收入", {"metrics": ["revenue"], "filters": [{"op": "relative", "unit": "day", "offset": 1}]}),
    ("revenue yesterday", {"metrics": ["revenue"], "filters": [{"op": "relative", "unit": "day", "offset": 1}]}),
    # top / bottom N, highest / lowest, ranking, sorting
    ("2025年收入前十的城市", {"metrics": ["revenue"], "dimensions": ["city"], "time_range": Y2025,
                        "order_by": ["-revenue"], "limit": 10}),
    ("top 5 cities by revenue in 2025", {"metrics": ["revenue"], "dimensions": ["city"], "time_range": Y2025,
                                         "order_by": ["-revenue"], "limit": 5}),
    ("2025年离网率最低的3个城市", {"metrics": ["churn_rate"], "dimensions": ["city"], "time_range": Y2025,
                           "order_by": ["churn_rate"], "limit": 3}),
    ("bottom 3 provinces by new subscribers in 2025",
     {"metrics": ["new_subscribers"], "dimensions": ["province"], "time_range": Y2025,
      "order_by": ["new_subscribers"], "limit": 3}),
    ("2025年收入最高的省份", {"metrics": ["revenue"], "dimensions": ["province"], "time_range": Y2025,
                        "order_by": ["-revenue"], "limit": 1}),
    ("which province had the lowest ARPU in 2025", {"metrics": ["arpu"], "dimensions": ["province"],
                                                    "time_range": Y2025, "order_by": ["arpu"], "limit": 1}),
    ("2025年各省收入排名", {"metrics": ["revenue"], "dimensions": ["province"], "time_range": Y2025,
                       "order_by": ["-revenue"]}),
    ("2025年各省ARPU从低到高", {"metrics": ["arpu"], "dimensions": ["province"], "time_range": Y2025,
                          "order_by": ["arpu"]}),
    ("the best 2 vendors by call drop rate in 2025",  # best churn/drop rate = lowest (favorable: down)
     {"metrics": ["call_drop_rate"], "dimensions": ["vendor"], "time_range": Y2025,
      "order_by": ["call_drop_rate"], "limit": 2}),
    # period over period, year over year, growth
    ("2025年11月收入环比", {"metrics": ["revenue"], "time_range": NOV, "compare": "previous_period"}),
    ("revenue in November 2025 month over month", {"metrics": ["revenue"], "time_range": NOV,
                                                   "compare": "previous_period"}),
    ("2025年11月收入同比", {"metrics": ["revenue"], "time_range": NOV, "compare": "year_over_year"}),
    ("revenue in November 2025 vs last year", {"metrics": ["revenue"], "time_range": NOV,
                                               "compare": "year_over_year"}),
    ("revenue growth rate in 2025", {"metrics": ["revenue"], "time_range": Y2025, "compare": "previous_period"}),
    ("2025年3月和2024年3月的收入对比", {"metrics": ["revenue"], "compare": "year_over_year",
                                 "time_range": {"start": "2025-03-01", "end": "2025-03-31"}}),
    # member comparisons
    ("2025年江苏 vs 浙江收入", {"metrics": ["revenue"], "dimensions": ["province"], "time_range": Y2025,
                          "filters": [{"op": "in", "dimension": "province", "values": ["江苏", "浙江"]}]}),
    ("compare 5G and 4G ARPU in 2025", {"metrics": ["arpu"], "dimensions": ["plan_type"], "time_range": Y2025,
                                       "filters": [{"op": "in", "dimension": "plan_type", "values": ["5G", "4G"]}]}),
    # thresholds on metrics (percent metrics take fractions)
    ("2025年11月离网率超过2%的城市", {"metrics": ["churn_rate"], "dimensions": ["city"], "time_range": NOV,
                              "filters": [{"op": ">", "metric": "churn_rate", "value": 0.02}]}),
    ("cities with churn rate above 2% in November 2025",
     {"metrics": ["churn_rate"], "dimensions": ["city"], "time_range": NOV,
      "filters": [{"op": ">", "metric": "churn_rate", "value": 0.02}]}),
    ("2025年收入超过80亿的省份", {"metrics": ["revenue"], "dimensions": ["province"], "time_range": Y2025,
                           "filters": [{"op": ">", "metric": "revenue", "value": 8000000000}]}),
    ("provinces with revenue of at least 8 billion in 2025",
     {"metrics": ["revenue"], "dimensions": ["province"], "time_range": Y2025,
      "filters": [{"op": ">=", "metric": "revenue", "value": 8000000000}]}),
    # share of total
    ("2025年各渠道收入占比", {"metrics": ["revenue"], "dimensions": ["channel"], "time_range": Y2025, "share": True}),
    ("share of revenue by channel in 2025", {"metrics": ["revenue"], "dimensions": ["channel"], "time_range": Y2025,
                                             "share": True}),
    # drill-down hints
    ("2025年11月广东收入下钻到城市", {"metrics": ["revenue"], "dimensions": ["city"], "time_range": NOV,
                              "filters": [GD]}),
    ("2025年11月广东收入下钻", {"metrics": ["revenue"], "dimensions": ["city"], "time_range": NOV, "filters": [GD]}),
    ("break down Guangdong revenue in November 2025 by city",
     {"metrics": ["revenue"], "dimensions": ["city"], "time_range": NOV, "filters": [GD]}),
    # list questions: dimension-only queries
    ("有哪些套餐", {"dimensions": ["plan"]}),
    ("which plans do we have", {"dimensions": ["plan"]}),
    ("广东有哪些城市", {"dimensions": ["city"], "filters": [GD]}),
    # full width, case, typos, mixed language
    ("２０２５年１１月各省收入", {"metrics": ["revenue"], "dimensions": ["province"], "time_range": NOV}),
    ("REVENUE BY PROVINCE IN NOVEMBER 2025", {"metrics": ["revenue"], "dimensions": ["province"], "time_range": NOV}),
    ("revnue by provnice in November 2025", {"metrics": ["revenue"], "dimensions": ["province"], "time_range": NOV}),
    ("chrun rate in Guangdogn in November 2025", {"metrics": ["churn_rate"], "filters": [GD], "time_range": NOV}),
    ("2025年11月 top 3 城市 by 收入", {"metrics": ["revenue"], "dimensions": ["city"], "time_range": NOV,
                                   "order_by": ["-revenue"], "limit": 3}),
]


@pytest.mark.parametrize(("question", "expected"), CASES, ids=[c[0] for c in CASES])
def test_question_becomes_query(ctx: TranslationContext, question: str, expected: dict[str, Any]) -> None:
    assert query_of(ctx, question) == expected


@pytest.mark.parametrize("question", ["为什么2025年11月广东的收入下降了？",
                                      "why did revenue in Guangdong drop in November 2025?"])
def test_why_questions_are_root_cause_intents_with_metric_period_and_filters(ctx: TranslationContext,
                                                                            question: str) -> None:
    t = OfflineTranslator().translate(question, ctx)
    assert t.status == "ok" and t.intent == "why"
    assert t.query is not None
    assert t.query.model_dump(mode="json", exclude_defaults=True) == {
        "metrics": ["revenue"], "filters": [GD], "time_range": NOV, "compare": "previous_period"}


def test_why_without_a_period_is_left_to_the_default_period(ctx: TranslationContext) -> None:
    # the translator names no period; the ask pipeline answers for the model's default one (tests/chatbi/pipeline)
    t = OfflineTranslator().translate("收入下滑的原因是什么", ctx)
    assert t.intent == "why" and t.query is not None
    assert t.query.compare == "previous_period"
    assert t.query.time_range is None and not t.query.filters


def test_understood_records_what_each_word_mapped_to(ctx: TranslationContext) -> None:
    t = OfflineTranslator().translate("２０２５年１１月广东省各城市收入", ctx)
    read = {(u["text"], u["kind"], u["value"]) for u in t.understood}
    assert ("收入", "metric", "revenue") in read
    assert ("城市", "dimension", "city") in read
    assert ("广东省", "filter", "province = 广东") in read
    assert ("２０２５年１１月", "time", "2025-11-01..2025-11-30") in read  # the user's own spelling


def test_typos_are_recorded_and_lower_confidence(ctx: TranslationContext) -> None:
    t = OfflineTranslator().translate("revnue in guangdogn last month", ctx)
    assert {(u["text"], u["value"]) for u in t.understood if u["kind"] == "typo"} == {
        ("revnue", "revenue"), ("guangdogn", "guangdong")}
    assert t.confidence < 1.0
    clean = OfflineTranslator().translate("revenue in guangdong last month", ctx)
    assert clean.confidence == 1.0 and clean.query == t.query


def test_common_english_words_are_not_corrected_into_names(ctx: TranslationContext) -> None:
    t = OfflineTranslator().translate("show me the revenue of each shop in 2025", ctx)  # "show" vs member "shop"
    assert t.query is not None
    assert not [u for u in t.understood if u["kind"] == "typo"]
