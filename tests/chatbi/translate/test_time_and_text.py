"""Pure pieces of the offline translator: normalisation, numerals, time expressions, the lexicon."""

from __future__ import annotations

import datetime as dt

import pytest

from chatbi.translate.grammar import load_grammar
from chatbi.translate.lexicon import lexicon_for
from chatbi.translate.normalize import detect_language, normalize, parse_number
from chatbi.translate.timeparse import find_times
from semantic_layer import SemanticModel

ANCHOR = dt.date(2025, 12, 31)
D = dt.date


def times(text: str, anchor: dt.date = ANCHOR) -> list[object]:
    g = load_grammar()
    norm = normalize(text).text
    return [m.period if m.kind == "absolute" else m.relative for m in find_times(norm, anchor, g.months, g.numbers)]


@pytest.mark.parametrize(("text", "expected"), [
    ("2025年3月到6月", [(D(2025, 3, 1), D(2025, 6, 30))]),
    ("from March to June 2025", [(D(2025, 3, 1), D(2025, 6, 30))]),
    ("between Jan and Mar 2025", [(D(2025, 1, 1), D(2025, 3, 31))]),
    ("2025-03-01 至 2025-03-15", [(D(2025, 3, 1), D(2025, 3, 15))]),
    ("2025年3月1日到15日", [(D(2025, 3, 1), D(2025, 3, 15))]),
    ("三月", [(D(2025, 3, 1), D(2025, 3, 31))]),
    ("十二月份", [(D(2025, 12, 1), D(2025, 12, 31))]),
    ("二〇二四年十一月", [(D(2024, 11, 1), D(2024, 11, 30))]),
    ("第三季度", [(D(2025, 7, 1), D(2025, 9, 30))]),
    ("2024年Q2", [(D(2024, 4, 1), D(2024, 6, 30))]),
    ("q4 2024", [(D(2024, 10, 1), D(2024, 12, 31))]),
    ("前三季度", [(D(2025, 1, 1), D(2025, 9, 30))]),
    ("上半年", [(D(2025, 1, 1), D(2025, 6, 30))]),
    ("2024年下半年", [(D(2024, 7, 1), D(2024, 12, 31))]),
    ("H1 2025", [(D(2025, 1, 1), D(2025, 6, 30))]),
    ("the second half of 2024", [(D(2024, 7, 1), D(2024, 12, 31))]),
    ("2025年第12周", [(D(2025, 3, 17), D(2025, 3, 23))]),
    ("2025-W12", [(D(2025, 3, 17), D(2025, 3, 23))]),
    ("November 11, 2025", [(D(2025, 11, 11), D(2025, 11, 11))]),
    ("去年11月", [(D(2024, 11, 1), D(2024, 11, 30))]),
    ("november last year", [(D(2024, 11, 1), D(2024, 11, 30))]),
    ("since March 2025", [(D(2025, 3, 1), ANCHOR)]),
    ("2025年3月以来", [(D(2025, 3, 1), ANCHOR)]),
    ("近三个月", [("month", 3, 0)]),
    ("最近7天", [("day", 7, 0)]),
    ("past 30 days", [("day", 30, 0)]),
    ("the last two weeks", [("week", 2, 0)]),
    ("近两年", [("month", 24, 0)]),
    ("今年以来", [("year", 1, 0)]),
    ("YTD", [("year", 1, 0)]),
    ("MTD", [("month", 1, 0)]),
    ("QTD", [("quarter", 1, 0)]),
    ("昨天", [("day", 1, 1)]),
    ("yesterday", [("day", 1, 1)]),
    ("上个月", [("month", 1, 1)]),
    ("last quarter", [("quarter", 1, 1)]),
    ("本周", [("week", 1, 0)]),
    ("去年", [("year", 1, 1)]),
    ("this year", [("year", 1, 0)]),
])
def test_time_expressions(text: str, expected: list[object]) -> None:
    assert times(text) == expected


def test_month_without_year_is_its_latest_occurrence() -> None:
    assert times("11月", D(2025, 6, 30)) == [(D(2024, 11, 1), D(2024, 11, 30))]
    assert times("11月", D(2025, 12, 31)) == [(D(2025, 11, 1), D(2025, 11, 30))]


def test_may_is_a_month_only_when_it_reads_like_one() -> None:
    assert times("may I see revenue") == []
    assert times("revenue in May") == [(D(2025, 5, 1), D(2025, 5, 31))]


def test_impossible_dates_are_ignored_not_raised() -> None:
    assert times("2025年2月30日") == []


@pytest.mark.parametrize(("text", "value"), [("十", 10), ("十一", 11), ("二十三", 23), ("两", 2), ("一百零五", 105),
                                             ("二〇二五", 2025), ("3.5", 3.5), ("1,200", 1200)])
def test_numbers(text: str, value: float) -> None:
    assert parse_number(text) == value


def test_normalisation_keeps_the_users_spelling_reachable() -> None:
    norm = normalize("２０２５年　ＡＲＰＵ，Top-5？")
    assert norm.text == "2025年 arpu,top-5?"
    start = norm.text.index("arpu")
    assert norm.original(start, start + 4) == "ＡＲＰＵ"
    assert normalize("Year-over-Year").text == "year over year"
    assert detect_language("top 5 城市") == "zh" and detect_language("top 5 cities") == "en"


def test_lexicon_is_built_once_per_model_and_member_index(sample_model: SemanticModel) -> None:
    first = lexicon_for(sample_model, None)
    assert lexicon_for(sample_model, None) is first
    other = SemanticModel.from_dict(sample_model.spec.model_dump())
    assert lexicon_for(other, None) is not first


def test_lexicon_fragments_name_every_metric_they_may_mean(sample_model: SemanticModel) -> None:
    lex = lexicon_for(sample_model, None)
    [users] = lex.entries["users"]
    assert users.kind == "fragment"
    assert users.options == ("active_subscribers", "new_subscribers", "churned_subscribers")
    assert {t.kind for t in lex.entries["用户"]} == {"fragment"}
    assert [t.name for t in lex.entries["用户数"]] == ["active_subscribers"]  # a full name is no fragment


@pytest.mark.parametrize(("typo", "word"), [("revnue", "revenue"), ("chrun", "churn"), ("montly", "monthly"),
                                            ("subscibers", "subscribers"), ("throughtput", "throughput")])
def test_typos_one_or_two_edits_from_a_name_are_corrected(sample_model: SemanticModel, typo: str, word: str) -> None:
    assert lexicon_for(sample_model, None).correct(typo) == word


def test_plain_words_and_far_words_are_not_corrected(sample_model: SemanticModel) -> None:
    lex = lexicon_for(sample_model, None)
    assert lex.correct("show") is None  # a stop word, though "shop" is one edit away
    assert lex.correct("weather") is None
    assert lex.correct("xyzzy") is None
