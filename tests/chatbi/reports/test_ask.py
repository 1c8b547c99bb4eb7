"""A question asking for a report routes to it: the grammar's report words, the period from the
question's time words, the spec from its synonyms; anything more specific is not silently dropped."""

from __future__ import annotations

import pytest

from chatbi import Conversation

ASKED = [("生成2025年11月经营分析报告", "zh"), ("write me the November business review", "en")]


@pytest.mark.parametrize(("question", "lang"), ASKED)
def test_a_report_question_builds_the_report(sample_bi, question: str, lang: str) -> None:
    answer = sample_bi.ask(question)
    assert answer.status == "ok" and answer.intent == "report"
    assert answer.report.name == "monthly_review" and answer.language == lang
    assert answer.period == ("2025-11-01", "2025-11-30")
    assert answer.text.startswith("月度经营分析报告 · 2025年11月：" if lang == "zh" else "Monthly business review · Nov 2025: ")
    assert list(answer.data["metric"])[:2] == ["revenue", "arpu"]       # the KPI rows, for tables and CSV


def test_without_a_named_report_the_default_one(sample_bi) -> None:
    answer = sample_bi.ask("生成上个月的报告")
    assert answer.intent == "report" and answer.report.name == "default"
    assert answer.period == ("2025-11-01", "2025-11-30")          # the data ends 2025-12-31


def test_a_period_the_report_does_not_cover_is_asked_back(sample_bi) -> None:
    conv = Conversation()
    answer = sample_bi.ask("2025年经营分析报告", conversation=conv)
    assert answer.status == "clarify" and answer.intent == "report"
    assert [o.label for o in answer.clarification] == ["2025年12月", "2025年11月", "2025年10月"]
    picked = sample_bi.ask(answer.clarification[1].followup, conversation=conv)
    assert picked.intent == "report" and picked.period == ("2025-11-01", "2025-11-30")


def test_report_words_with_a_metric_or_member_are_not_a_whole_report(sample_bi) -> None:
    assert sample_bi.ask("各省收入报表").intent == "query"
    assert sample_bi.ask("revenue report by province").query.dimensions == ("province",)
    assert sample_bi.ask("广东的收入报表").intent == "query"     # a member with a metric: one question


@pytest.mark.parametrize(("question", "remark"), [("老板要的，生成2025年11月经营分析报告", "老板要的"),
                                                  ("FYI for the board deck, write me the November business review",
                                                   "FYI for the board deck")])
def test_a_remark_around_a_report_question_is_listed_as_ignored(sample_bi, question: str, remark: str) -> None:
    answer = sample_bi.ask(question)
    assert answer.intent == "report" and answer.period == ("2025-11-01", "2025-11-30")
    assert answer.ignored == (remark,)


@pytest.mark.parametrize(("question", "word"), [("生成一份关于年龄的经营分析报告", "“年龄”"),
                                                ("write me the November business review for female customers",
                                                 '"female"')])
def test_a_word_no_report_part_answers_is_asked_back_by_name(sample_bi, question: str, word: str) -> None:
    answer = sample_bi.ask(question)
    assert answer.status == "clarify" and answer.report is None
    assert word in answer.text and answer.clarification
