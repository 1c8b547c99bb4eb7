"""Time expressions in Chinese and English: absolute periods, ranges and periods relative to the anchor.

Pure grammar, no model words, and no words in this module: the patterns and their words (units,
"今年", "ytd", ordinals, range words ...) are the ``time:`` sections of ``resources/<lang>.yaml``;
this module reads what the patterns captured, by kind. Each pattern yields a *point* (year/month/day/quarter/half/week
fields, some possibly missing) or a *relative* period; points joined by a range word (到, 至,
to, through, between ... and ...) become one range, and a point's missing year is taken from
its range partner or, failing that, is the latest year in which the period has started by the
anchor ("11月" asked on 2025-12-31 is November 2025, asked on 2025-06-30 November 2024).

>>> import datetime as dt
>>> [(m.kind, m.period or m.relative) for m in find_times("2025年3月到6月收入", dt.date(2025, 12, 31))]
[('absolute', (datetime.date(2025, 3, 1), datetime.date(2025, 6, 30)))]
>>> [(m.kind, m.period or m.relative) for m in find_times("past 30 days", dt.date(2025, 12, 31))]
[('relative', ('day', 30, 0))]
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from .grammar import TimeGrammar
from .normalize import parse_number

__all__ = ["TimeMention", "find_times"]

Period = tuple[dt.date, dt.date]


@dataclass(frozen=True)
class TimeMention:
    start: int  # span in the normalised text
    end: int
    kind: str  # "absolute" | "relative"
    period: Period | None = None
    precision: str = ""  # day / week / month / quarter / half / year / range
    relative: tuple[str, int, int] | None = None  # (unit, n, offset) of a RelativeTimeFilter
    #: the two periods a range was written with ("from Q2 to Q3": Q2 and Q3), and their precision
    parts: tuple[Period, Period] | None = None
    part_precision: str = ""


@dataclass(frozen=True)
class _Point:
    start: int
    end: int
    year: int | None = None
    year_offset: int | None = None  # 今年 = 0, 去年 = 1 ...
    month: int | None = None
    day: int | None = None
    quarter: int | None = None
    half: int | None = None
    week: int | None = None
    first_quarters: int | None = None  # 前三季度 = Q1..Q3
    first_months: int | None = None
    open_end: bool = False  # "since March", "2025年3月以来"


#: patterns that read digits only (no language): (rank, kind, regex); the fixed phrases of every
#: language are one more, built from the grammar
_NEUTRAL = (
    (60, "date", r"(?<!\d)(?P<y>(?:19|20)\d{2})[-/.](?P<m>1[0-2]|0?[1-9])[-/.](?P<d>3[01]|[12]\d|0?[1-9])(?!\d)"),
    (190, "month", r"(?<![\d.])(?P<y>(?:19|20)\d{2})[-/](?P<m>1[0-2]|0?[1-9])(?![\d/-])"),
)
_FIXED_RANK = 10


def _time() -> TimeGrammar:
    from .grammar import load_grammar

    return load_grammar().time


def _alternation(words: Sequence[str]) -> str:
    """``a|b|c`` of escaped words, longest first (so "到目前为止" is read before "到目前")."""
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


@lru_cache(maxsize=4)
def _patterns(month_words: tuple[tuple[str, int], ...], number_words: tuple[tuple[str, int], ...]
              ) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(kind, compiled pattern) in rank order: the neutral ones and every language's."""
    time = _time()
    mn = "|".join(sorted((re.escape(w) for w, _ in month_words), key=len, reverse=True))
    nw = "|".join(sorted((re.escape(w) for w, _ in number_words), key=len, reverse=True))
    provided = {"month_word": mn, "count": rf"\d+|{nw}" if nw else r"\d+"}
    # word boundaries only where a phrase is English: "这个月ARPU" is this month, "today" is not in "todays"
    fixed = "|".join((r"(?<![a-z])" + re.escape(k) + r"(?![a-z])") if k[:1].isascii() else re.escape(k)
                     for k in sorted(time.fixed, key=len, reverse=True))
    ranked = [(_FIXED_RANK, "fixed", rf"(?:{fixed})"), *_NEUTRAL]
    ranked += [(p.rank, p.kind, p.template.format(**dict(p.fragments), **provided)) for p in time.patterns]
    return tuple((kind, re.compile(regex)) for _, kind, regex in sorted(ranked, key=lambda r: r[0]))


@lru_cache(maxsize=1)
def _range_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """Range gap ("到", "to"), range start ("从"), open end ("以来"), "since": from the grammar."""
    time = _time()
    gap = re.compile(rf"^\s*(?:{_alternation((*time.range_words, '~', '-', *time.conjunctions))})\s*$")
    start = re.compile(rf"(?:{_alternation(time.range_start)})\s*$")
    open_end = re.compile(rf"^\s*(?:{_alternation(time.open_end)})")
    since = re.compile(rf"(?:{_alternation(time.since)})\s*$")
    return gap, start, open_end, since


def find_times(text: str, anchor: dt.date, month_words: dict[str, int] | None = None,
               number_words: dict[str, int] | None = None, taken: list[tuple[int, int]] | None = None
               ) -> list[TimeMention]:
    """Every time expression of normalised ``text``, resolved against ``anchor``."""
    months = month_words or {}
    numbers = number_words or {}
    spans = list(taken or [])
    raw: list[tuple[int, int, object]] = []
    for name, pattern in _patterns(tuple(sorted(months.items())), tuple(sorted(numbers.items()))):
        for match in pattern.finditer(text):
            s, e = match.span()
            if s == e or any(s < b and a < e for a, b in spans):
                continue
            item = _read(name, match, months, numbers, text)
            if item is None:
                continue
            spans.append((s, e))
            raw.append((s, e, item))
    raw.sort(key=lambda r: r[0])
    return _combine(raw, text, anchor)


def _num(text: str | None, numbers: dict[str, int]) -> int | None:
    if text is None:
        return None
    if text in numbers:
        return numbers[text]
    value = parse_number(text)
    return int(value) if value is not None else None


def _read(kind: str, m: re.Match[str], months: dict[str, int], numbers: dict[str, int], text: str
          ) -> _Point | tuple[str, int, int] | None:
    time = _time()
    g = m.groupdict()
    s, e = m.span()
    if kind == "fixed":
        return time.fixed[m.group(0)]
    if kind == "relative":
        n = _num(g["n"], numbers)
        if not n:
            return None
        unit = time.units.get(g["u"])
        if unit == "year":  # "近两年" = the last 24 months, not two calendar years
            return ("month", 12 * n, 0)
        return (unit or "day", n, 0)
    if kind == "this_or_last":
        return (time.units.get(g["u"], g["u"]), 1, 0 if g["this"] else 1)
    year = _year(g.get("y") or g.get("y2"))
    relative_year = g.get("yrel_en") or g.get("yrel")
    yoff = time.year_offsets.get(relative_year) if relative_year else None
    point = _Point(s, e, year=year, year_offset=yoff)
    reader = _READERS.get(kind)
    return reader(point, g, months, numbers, text) if reader else None


def _month_of(g: dict[str, str | None], months: dict[str, int], numbers: dict[str, int]) -> int | None:
    return _num(g.get("m"), numbers) if g.get("m") else months.get(g.get("mn") or "")


def _date(p: _Point, g: dict[str, str | None], months: dict[str, int], numbers: dict[str, int], text: str
          ) -> _Point | None:
    month, day = _month_of(g, months, numbers), _num(g.get("d"), numbers)
    return replace(p, month=month, day=day) if month and day else None


def _first_quarters(p: _Point, g: dict[str, str | None], months: dict[str, int], numbers: dict[str, int],
                    text: str) -> _Point | None:
    return replace(p, first_quarters=_num(g["fq"], numbers))


def _first_months(p: _Point, g: dict[str, str | None], months: dict[str, int], numbers: dict[str, int],
                  text: str) -> _Point | None:
    n = _num(g["fm"], numbers)
    return replace(p, first_months=n) if n and n <= 12 else None


def _first_n(p: _Point, g: dict[str, str | None], months: dict[str, int], numbers: dict[str, int], text: str
             ) -> _Point | None:
    n = _num(g["fn"], numbers)
    if not n:
        return None
    unit = _time().first_units.get(g["fu"] or "")
    return replace(p, first_quarters=n) if unit == "quarter" else replace(p, first_months=n)


def _quarter(p: _Point, g: dict[str, str | None], months: dict[str, int], numbers: dict[str, int], text: str
             ) -> _Point | None:
    digits = g.get("q") or g.get("q2")
    q = _num(digits, numbers) if digits else _time().ordinals.get(g.get("ord") or "")
    return replace(p, quarter=q) if q and 1 <= q <= 4 else None


def _half(p: _Point, g: dict[str, str | None], months: dict[str, int], numbers: dict[str, int], text: str
          ) -> _Point | None:
    h = g.get("h") or g.get("hw") or ""
    half = int(h) if h.isdigit() else _time().halves.get(h, 2)
    return replace(p, half=1 if half == 1 else 2)


def _week(p: _Point, g: dict[str, str | None], months: dict[str, int], numbers: dict[str, int], text: str
          ) -> _Point | None:
    w = _num(g.get("w") or g.get("w2"), numbers)
    return replace(p, week=w) if w and 1 <= w <= 53 else None


def _month(p: _Point, g: dict[str, str | None], months: dict[str, int], numbers: dict[str, int], text: str
           ) -> _Point | None:
    month = _month_of(g, months, numbers)
    if not month or not 1 <= month <= 12:
        return None
    after = _time().ambiguous_months.get(g.get("mn") or "")
    if after is not None and p.year is None and p.year_offset is None:
        # "may" is a month only when it reads like one: "in May", "from May", "May to June"
        before = text[:p.start].rstrip().rsplit(" ", 1)[-1] if text[:p.start].strip() else ""
        if before not in after:
            return None
    return replace(p, month=month)


def _year_only(p: _Point, g: dict[str, str | None], months: dict[str, int], numbers: dict[str, int], text: str
               ) -> _Point | None:
    return None if p.year is None and p.year_offset is None else p


def _day(p: _Point, g: dict[str, str | None], months: dict[str, int], numbers: dict[str, int], text: str
         ) -> _Point | None:
    day = _num(g["d"], numbers)
    return replace(p, day=day) if day and 1 <= day <= 31 else None


_READERS: dict[str, Callable[[_Point, dict[str, str | None], dict[str, int], dict[str, int], str], _Point | None]] = {
    "date": _date, "first_quarters": _first_quarters, "first_months": _first_months, "first_n": _first_n,
    "quarter": _quarter, "half": _half, "week": _week, "month": _month, "year": _year_only, "day": _day,
}


def _year(text: str | None) -> int | None:
    if not text:
        return None
    value = parse_number(text)
    return int(value) if value is not None else None


def _combine(raw: list[tuple[int, int, object]], text: str, anchor: dt.date) -> list[TimeMention]:
    range_gap, range_start, open_end, since_word = _range_patterns()
    conjunctions = _time().conjunctions
    out: list[TimeMention] = []
    i = 0
    while i < len(raw):
        s, e, item = raw[i]
        if isinstance(item, tuple):
            out.append(TimeMention(s, e, "relative", precision=item[0], relative=item))  # type: ignore[arg-type]
            i += 1
            continue
        point: _Point = item  # type: ignore[assignment]
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        if nxt is not None and isinstance(nxt[2], _Point) and range_gap.match(text[e:nxt[0]]):
            gap = text[e:nxt[0]].strip()
            prefix = range_start.search(text[:s])
            if gap not in conjunctions or prefix:
                first, second = _inherit(point, nxt[2])
                p1, p2 = _resolve(first, anchor), _resolve(second, anchor)
                if p1 and p2 and p1[0] <= p2[1]:
                    start = prefix.start() if prefix else s
                    same = _precision(first) if _precision(first) == _precision(second) else ""
                    out.append(TimeMention(start, nxt[1], "absolute", (p1[0], p2[1]), "range", parts=(p1, p2),
                                           part_precision=same))
                    i += 2
                    continue
        period = _resolve(point, anchor)
        if period is None:
            if point.year_offset is not None and _only_year(point):
                out.append(TimeMention(s, e, "relative", precision="year", relative=("year", 1, point.year_offset)))
            i += 1
            continue
        start_at = s
        tail = open_end.match(text[e:])
        since = since_word.search(text[:s])
        if tail or since:
            period = (period[0], anchor)
            if since:
                start_at = since.start()
            e = e + (tail.end() if tail else 0)
            out.append(TimeMention(start_at, e, "absolute", period, "range"))
        else:
            out.append(TimeMention(s, e, "absolute", period, _precision(point)))
        i += 1
    return out


def _only_year(p: _Point) -> bool:
    return all(v is None for v in (p.month, p.day, p.quarter, p.half, p.week, p.first_quarters, p.first_months))


def _inherit(a: _Point, b: _Point) -> tuple[_Point, _Point]:
    """Fill a range end's missing year/month from its partner ("2025年3月到6月", "March to June 2025")."""
    if b.year is None and b.year_offset is None:
        b = replace(b, year=a.year, year_offset=a.year_offset)
    if a.year is None and a.year_offset is None:
        a = replace(a, year=b.year, year_offset=b.year_offset)
    if b.day is not None and b.month is None and a.month is not None:
        b = replace(b, month=a.month)
    return a, b


def _precision(p: _Point) -> str:
    for name in ("day", "week", "month", "quarter", "half"):
        if getattr(p, name) is not None:
            return name
    if p.first_quarters or p.first_months:
        return "range"
    return "year"


def _bounds(p: _Point, year: int) -> Period | None:
    try:
        if p.day is not None:
            if p.month is None:
                return None
            day = dt.date(year, p.month, p.day)
            return day, day
        if p.month is not None:
            return dt.date(year, p.month, 1), dt.date(year, p.month, calendar.monthrange(year, p.month)[1])
        if p.week is not None:
            start = dt.date.fromisocalendar(year, p.week, 1)
            return start, start + dt.timedelta(days=6)
        if p.quarter is not None:
            first = 3 * (p.quarter - 1) + 1
            return dt.date(year, first, 1), dt.date(year, first + 2, calendar.monthrange(year, first + 2)[1])
        if p.half is not None:
            return (dt.date(year, 1, 1), dt.date(year, 6, 30)) if p.half == 1 else (dt.date(year, 7, 1), dt.date(year, 12, 31))
        if p.first_quarters:
            last = min(12, 3 * p.first_quarters)
            return dt.date(year, 1, 1), dt.date(year, last, calendar.monthrange(year, last)[1])
        if p.first_months:
            last = min(12, p.first_months)
            return dt.date(year, 1, 1), dt.date(year, last, calendar.monthrange(year, last)[1])
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    except ValueError:  # 2月30日, week 53 of a 52-week year
        return None


def _resolve(p: _Point, anchor: dt.date) -> Period | None:
    if p.year is not None:
        return _bounds(p, p.year)
    if p.year_offset is not None:
        if _only_year(p):
            return None  # 今年 / 去年 alone stay relative filters
        return _bounds(p, anchor.year - p.year_offset)
    if _only_year(p):
        return None
    bounds = _bounds(p, anchor.year)
    if bounds is not None and bounds[0] > anchor:
        return _bounds(p, anchor.year - 1)
    return bounds
