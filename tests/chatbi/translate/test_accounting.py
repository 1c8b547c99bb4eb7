"""Comprehension accounting (``chatbi.translate.accounting``) and write requests (``writes``), both languages.

Every word of a question ends mapped, a function word of the grammar, or accounted for: read as part
of the name next to it, asked back when it could change the answer, or listed as ignored when it
stands in a clause that names nothing of the data.
"""

from __future__ import annotations

from typing import Any

import pytest

from chatbi.pipeline import translation_context
from chatbi.translate import OfflineTranslator, TranslationContext
from chatbi.translate.accounting import account
from chatbi.translate.grammar import load_grammar
from chatbi.translate.lexicon import lexicon_for
from chatbi.translate.scan import scan
from chatbi.translate.writes import asks_to_write, clauses

Y2025 = {"start": "2025-01-01", "end": "2025-12-31"}


@pytest.fixture(scope="module")
def ctx(sample_bi: Any) -> TranslationContext:
    return translation_context(sample_bi)


def translate(ctx: TranslationContext, question: str):  # type: ignore[no-untyped-def]
    return OfflineTranslator().translate(question, ctx)


# -- rule 1: a word inside a name of the term next to it is part of that name -----------------------
@pytest.mark.parametrize(("question", "expected"), [
    ("average downlink speed by vendor in 2025",
     {"metrics": ["dl_throughput_mbps"], "dimensions": ["vendor"], "time_range": Y2025}),
    ("粤公司2025年的收入", {"metrics": ["revenue"], "filters": [{"op": "in", "dimension": "province", "values": ["广东"]}],
                          "time_range": Y2025}),
])
def test_a_word_of_the_name_next_to_it_is_part_of_that_name(ctx: TranslationContext, question: str,
                                                             expected: dict[str, Any]) -> None:
    t = translate(ctx, question)
    assert t.status == "ok" and t.query.model_dump(mode="json", exclude_defaults=True) == expected
    assert t.ignored == () and t.confidence == 1.0  # nothing was left out


# -- rule 2: an unknown word in a clause about the data is asked back, by name -----------------------
@pytest.mark.parametrize(("question", "word"), [
    ("上海的收入", "上海"),
    ("女性用户的离网率", "女性"),
    ("各省漫游收入", "漫游"),
    ("各省用户年龄分布", "年龄分布"),
    ("iPhone用户的ARPU", "iPhone"),
    ("churn rate for female customers", "female"),
    ("roaming revenue by province", "roaming"),
    ("revenue of students in 2025", "students"),
    ("revenue by province in 2025, excluding students", "students"),  # a negation makes the clause about data
])
def test_an_unknown_word_that_could_change_the_answer_is_asked_back(ctx: TranslationContext, question: str,
                                                                   word: str) -> None:
    t = translate(ctx, question)
    assert t.status == "clarify" and t.intent == "clarify", t.text
    assert word in t.text
    assert t.confidence < 1  # a hybrid translator asks its model exactly here


@pytest.mark.parametrize(("question", "phrase"), [
    ("revenue by province for customers over 60 years old", "over 60 years old"),
    ("2025年各省漫游收入", "漫游"),
])
def test_the_question_without_the_word_is_offered_and_a_qualified_number_goes_with_it(
        ctx: TranslationContext, question: str, phrase: str) -> None:
    t = translate(ctx, question)
    assert t.status == "clarify" and (f"“{phrase}”" in t.text or f'"{phrase}"' in t.text)
    offered = [o for o in t.options if o.query is not None]
    assert len(offered) == 1
    option = offered[0]
    assert phrase in option.label and phrase not in option.followup
    for query in (option.query, translate(ctx, option.followup).query):  # the option, and its text asked again
        assert query.metrics == ("revenue",) and query.dimensions == ("province",)
        assert not [f for f in query.filters if getattr(f, "metric", None)]  # not "revenue > 60"


@pytest.mark.parametrize(("question", "term"), [("2025年各省的收款", "收入"), ("provincial revenue in 2025", "Province")])
def test_the_closest_model_terms_are_offered(ctx: TranslationContext, question: str, term: str) -> None:
    t = translate(ctx, question)
    assert t.status == "clarify"
    assert term in [o.label for o in t.options]


@pytest.mark.parametrize("question", ["2025年5个省的收入", "revenue of the 3 provinces in 2025"])
def test_a_number_no_reading_took_is_asked_about(ctx: TranslationContext, question: str) -> None:
    t = translate(ctx, question)
    assert t.status == "clarify" and ("5" in t.text or "3" in t.text)


# -- rule 3: a clause that names nothing of the data is incidental ----------------------------------
@pytest.mark.parametrize(("question", "ignored"), [
    ("老板要的，2025年各省收入", "老板要的"),
    ("2025年各省收入，急用", "急用"),
    ("FYI for the board deck, revenue by province in 2025", "FYI for the board deck"),
    ("a note from zorblax: revenue by province in 2025", "a note from zorblax"),
])
def test_a_remark_of_its_own_is_listed_as_ignored(ctx: TranslationContext, question: str, ignored: str) -> None:
    t = translate(ctx, question)
    assert t.status == "ok", t.text
    assert t.query.model_dump(mode="json", exclude_defaults=True)["time_range"] == Y2025
    assert t.ignored == (ignored,)
    assert {"text": ignored, "kind": "ignored", "value": "not about the data"} in t.understood
    assert t.confidence < 1


@pytest.mark.parametrize("question", ["请问咱们2025年的收入一共是多少", "2024年全年收入", "how did revenue perform in 2025",
                                      "which channel brought the most new subscribers in 2025", "2025年11月各省收入，谢谢",
                                      "thanks! revenue in 2025", "2025年11月广东流失了多少人"])
def test_function_words_of_the_grammar_change_nothing(ctx: TranslationContext, question: str) -> None:
    t = translate(ctx, question)
    assert t.status == "ok" and t.ignored == (), (question, t.text)


@pytest.mark.parametrize("question", ["hello", "谢谢"])
def test_manners_alone_are_small_talk(ctx: TranslationContext, question: str) -> None:
    t = translate(ctx, question)
    assert t.status == "clarify" and t.intent == "out_of_scope" and t.confidence == 1.0


def test_accounting_sorts_every_unmapped_word(sample_bi: Any) -> None:
    lex = lexicon_for(sample_bi.model, sample_bi.members)
    acc = account(scan("FYI for the board deck, average downlink speed for female users", lex, sample_bi.anchor), lex)
    assert acc.ignored == ("FYI for the board deck",)
    assert acc.named == ("downlink",)
    assert [w.text for w in acc.unaccounted] == ["female"]


def test_clauses_end_at_punctuation_but_not_at_list_marks_or_decimals() -> None:
    text = "南京、苏州的收入，churn above 1.5%. thanks"
    assert [text[a:b] for a, b in clauses(text)] == ["南京、苏州的收入", "churn above 1.5%", " thanks"]


# -- writes, however phrased ---------------------------------------------------------------------
WRITES = ["把广东的收入改成50万", "将5G套餐的ARPU设为100元", "把深圳的投诉量清零", "帮我把11月的收入调整为3亿",
          "把四川的离网率改为1%",
          "删掉上个月的离网数据", "set Guangdong revenue to zero", "change the churn rate of Sichuan to 1%",
          "zero out complaints for Shenzhen", "update ARPU for 5G plans to 100", "please make December revenue 10 million",
          "can you set the complaints of Guangzhou to 0?"]
READS = ["换成ARPU", "改成按月", "how did revenue change in 2025", "how much revenue did we make in 2025", "改成前5名",
         "revenue growth from 2024 to 2025", "设备厂商的掉话率超过0.5%", "change it to ARPU", "改看2024年"]


@pytest.mark.parametrize("question", WRITES)
def test_write_requests_are_refused_however_phrased(ctx: TranslationContext, question: str) -> None:
    t = translate(ctx, question)
    assert t.status == "clarify" and t.intent == "out_of_scope" and t.query is None
    assert t.confidence == 1.0  # a certain refusal: no model is asked to second-guess it


@pytest.mark.parametrize("question", READS)
def test_the_same_verbs_without_a_value_are_reads(sample_bi: Any, question: str) -> None:
    lex = lexicon_for(sample_bi.model, sample_bi.members)
    found = scan(question, lex, sample_bi.anchor)
    assert not asks_to_write(found.norm.text, found.tokens, load_grammar())


def test_an_open_fragment_next_to_an_unknown_word_offers_its_metrics_not_the_query_without_them(
        ctx: TranslationContext) -> None:
    t = translate(ctx, "各省用户年龄分布")
    assert t.status == "clarify" and "年龄分布" in t.text
    labels = [o.label for o in t.options]
    assert labels[0] == "在网用户数" and "新增用户数" in labels  # what "用户" may mean
    assert not any(o.label.startswith("不考虑") for o in t.options)
