"""A first or last time bucket the period cuts is said in the text and marked on the chart."""

from __future__ import annotations

import datetime as dt

import pytest

from chatbi.charts.partial import partial_buckets

AUG = (dt.date(2025, 8, 1), dt.date(2025, 8, 31))


def test_partial_buckets_of_a_period():
    assert [(p.edge, p.days, p.length) for p in partial_buckets(AUG, "week")] == [("first", 3, 7)]
    assert partial_buckets(AUG, "month") == [] and partial_buckets(AUG, "day") == []
    # cut at both ends, and a single bucket cut on both sides is one partial bucket
    both = partial_buckets((dt.date(2025, 3, 15), dt.date(2025, 5, 10)), "month")
    assert [(p.edge, p.days, p.length) for p in both] == [("first", 17, 31), ("last", 10, 31)]
    inside = partial_buckets((dt.date(2025, 3, 5), dt.date(2025, 3, 20)), "month")
    assert [(p.edge, p.days) for p in inside] == [("first", 16)]


@pytest.mark.parametrize(("lang", "question", "said"), [
    ("en", "weekly dropped calls in Sichuan in August 2025",
     "note: the first week (2025-W31) holds only 3 days (2025-08-01 to 2025-08-03)"),
    ("zh", "2025年8月四川每周的掉话次数", "注意：首周（2025年第31周）仅含 3 天（2025-08-01至2025-08-03）"),
    ("en", "monthly revenue from 2025-03-15 to 2025-06-30", "the first month (Mar 2025) holds only 17 days"),
])
def test_the_text_says_which_bucket_is_partial(sample_bi, lang, question, said):
    answer = sample_bi.ask(question)
    assert answer.ok and answer.language == lang
    assert said in answer.text, answer.text


def test_whole_buckets_say_nothing(sample_bi):
    assert "note" not in sample_bi.ask("monthly revenue in 2025").text


def test_the_chart_marks_the_partial_bucket(sample_bi):
    figure = sample_bi.ask("weekly dropped calls in Sichuan in August 2025").figure
    assert [a.text for a in figure.layout.annotations] == ["partial: 3 of 7 days"]
    line = figure.data[0]
    assert line.marker.symbol[0] == "circle-open" and set(line.marker.symbol[1:]) == {"circle"}
    zh = sample_bi.ask("2025年8月四川每周的掉话次数").figure
    assert [a.text for a in zh.layout.annotations] == ["不完整：7 天中的 3 天"]
