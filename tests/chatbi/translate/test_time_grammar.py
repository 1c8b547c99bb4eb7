"""Time expressions come from the resource files: merged by rank, fragments resolved, words by kind."""

from __future__ import annotations

import datetime as dt
import re

from chatbi.translate.grammar import LANGUAGES, _time_grammar, load_grammar
from chatbi.translate.timeparse import _patterns, find_times

ANCHOR = dt.date(2025, 12, 31)


def test_every_language_file_is_loaded_in_order():
    assert LANGUAGES[:2] == ("zh", "en")
    time = load_grammar().time
    assert [p.rank for p in time.patterns] == sorted(p.rank for p in time.patterns)
    assert {p.language for p in time.patterns} == {"zh", "en"}
    assert time.fixed["今年以来"] == ("year", 1, 0) and time.fixed["ytd"] == ("year", 1, 0)


def test_fragments_may_use_earlier_fragments_and_patterns_are_merged_by_rank():
    files = {
        "xx": {"time": {"fragments": {"d": r"\d", "dd": "{d}{d}"},
                        "patterns": [{"rank": 30, "kind": "day", "regex": "(?P<d>{dd})d"}],
                        "units": {"t": "day"}, "range_words": ["til"], "fixed": {"now": ["day", 1, 0]}}},
        "yy": {"time": {"patterns": [{"rank": 5, "kind": "month", "regex": "m(?P<m>{count})"}],
                        "units": {"t": "week"}, "range_words": ["til", "bis"]}},
    }
    time = _time_grammar(files)
    assert [(p.rank, p.language) for p in time.patterns] == [(5, "yy"), (30, "xx")]
    xx = time.patterns[1]
    assert xx.template.format(**dict(xx.fragments)) == r"(?P<d>\d\d)d"
    assert time.units == {"t": "day"}  # the earlier language wins a shared word
    assert time.range_words == ("til", "bis") and time.fixed == {"now": ("day", 1, 0)}


def test_patterns_are_compiled_from_the_grammar_in_rank_order():
    g = load_grammar()
    kinds = [kind for kind, _ in _patterns(tuple(sorted(g.months.items())), tuple(sorted(g.numbers.items())))]
    assert kinds[0] == "fixed" and kinds.count("date") == 4 and kinds[-1] == "day"
    assert all(isinstance(p, re.Pattern) for _, p in _patterns((), ()))


def test_words_of_both_languages_read_the_same_periods():
    g = load_grammar()

    def periods(text: str) -> list:
        return [m.period or m.relative for m in find_times(text, ANCHOR, g.months, g.numbers)]

    assert periods("2025年上半年") == periods("h1 2025") == [(dt.date(2025, 1, 1), dt.date(2025, 6, 30))]
    assert periods("前三季度") == periods("the first 3 quarters") == [(dt.date(2025, 1, 1), dt.date(2025, 9, 30))]
    assert periods("近两年") == periods("past 2 years") == [("month", 24, 0)]
    assert periods("3月以来") == periods("since march") == [(dt.date(2025, 3, 1), ANCHOR)]
    assert periods("may i see revenue") == []  # "may" is a month only where it reads like one
    assert periods("in may") == [(dt.date(2025, 5, 1), dt.date(2025, 5, 31))]
