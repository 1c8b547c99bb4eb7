"""Whatever is typed, the translator returns a translation -- never an exception, never an invalid query."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatbi.pipeline import translation_context
from chatbi.translate import OfflineTranslator, TranslationContext
from semantic_layer import validate_query

PIECES = ["2025年", "11月", "各省", "收入", "按月", "除了", "广东", "和", "vs", "top 5", "前十", "同比", "环比",
          "为什么", "占比", "超过2%", "离网率", "用户", "by", "province", "revenue", "last month", "下钻", "有哪些",
          "only", "not", "5G", "?", "，", " ", "the", "of", "drop table", "３", "二〇二五", "第三季度", "到", "from",
          "to", "March", "厂商", "ARPU", "per user", "rank", "最低的", "个", "city", "-", "%", "0", "weekly", "呢"]


@pytest.fixture(scope="module")
def ctx(sample_bi: Any) -> TranslationContext:
    return translation_context(sample_bi)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(PIECES), max_size=9).map("".join) | st.text(max_size=40))
def test_any_text_gives_a_valid_query_or_a_clarification(ctx: TranslationContext, text: str) -> None:
    t = OfflineTranslator().translate(text, ctx)
    assert t.status in ("ok", "clarify")
    if t.status == "ok":
        assert t.query is not None
        assert validate_query(ctx.model, t.query, ctx.members.as_sets() if ctx.members else None) == []
    else:
        assert t.text  # a question or a refusal, in words


@pytest.mark.parametrize("text", ["", "?", "   ", "。。。", "🙂🙂", "x" * 5000, "2025" * 200, "按按按按", "除了",
                                  "SELECT * FROM fact_daily; DROP TABLE dim_plan;--", "'; DELETE FROM fact_daily"])
def test_odd_inputs(ctx: TranslationContext, text: str) -> None:
    t = OfflineTranslator().translate(text, ctx)
    assert t.status == "clarify" or (t.query is not None)
    if "DROP" in text or "DELETE" in text:
        assert t.status == "clarify" and t.intent == "out_of_scope"


@pytest.mark.parametrize("question", ["set all revenue to 0", "please modify the revenue of Guangdong",
                                      "请帮我修改广东的收入", "把2025年的数据重置"])
def test_write_requests_in_other_words_are_refused(sample_bi, question: str) -> None:
    answer = sample_bi.ask(question)
    assert answer.status == "clarify" and answer.intent == "out_of_scope"
    assert answer.sql is None
