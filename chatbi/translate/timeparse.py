"""Time expressions in Chinese and English: absolute periods, ranges and periods relative to the anchor.

Pure grammar, no model words. Each pattern yields a *point* (year/month/day/quarter/half/week
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
from dataclasses import dataclass, replace
from functools import lru_cache

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


_CN_M = r"1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九]"
_CN_D = r"3[01]|[12]\d|0?[1-9]|[二三]?十[一二三四五六七八九]?|[一二三四五六七八九]"
_CN_YP = (r"(?:(?P<y>(?:19|20)\d{2}|[一二][〇零一二三四五六七八九]{3})\s*年(?:度)?|"
          r"(?P<yrel>今年|去年|前年|本年度?|上年度?|上一年|今年度))\s*(?:的)?\s*")
_N = r"\d+|[零〇一二两三四五六七八九十百]+"
_UNIT_ZH = {"天": "day", "日": "day", "周": "week", "星期": "week", "礼拜": "week", "个月": "month", "月": "month",
            "季度": "quarter", "个季度": "quarter", "年": "year"}
_UNIT_EN = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}
_YREL = {"今年": 0, "本年": 0, "本年度": 0, "今年度": 0, "去年": 1, "上年": 1, "上年度": 1, "上一年": 1, "前年": 2,
         "this year": 0, "the current year": 0, "current year": 0, "last year": 1, "the previous year": 1,
         "previous year": 1, "the prior year": 1, "the year before": 1, "the last year": 1}
_ORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}

# fixed relative phrases -> (unit, n, offset); longest alternatives first in the regex
_FIXED = {
    "今年以来": ("year", 1, 0), "年初至今": ("year", 1, 0), "年初以来": ("year", 1, 0), "本年累计": ("year", 1, 0),
    "今年迄今": ("year", 1, 0), "今年累计": ("year", 1, 0), "年初到现在": ("year", 1, 0), "年初到今天": ("year", 1, 0),
    "本月以来": ("month", 1, 0), "月初至今": ("month", 1, 0), "本月累计": ("month", 1, 0), "本月迄今": ("month", 1, 0),
    "月初以来": ("month", 1, 0), "月初到现在": ("month", 1, 0), "本季度以来": ("quarter", 1, 0),
    "季初至今": ("quarter", 1, 0), "本季累计": ("quarter", 1, 0), "本季度累计": ("quarter", 1, 0),
    "本月": ("month", 1, 0), "这个月": ("month", 1, 0), "当月": ("month", 1, 0), "本月份": ("month", 1, 0),
    "上上个月": ("month", 1, 2), "上上月": ("month", 1, 2),
    "上月": ("month", 1, 1), "上个月": ("month", 1, 1), "上一个月": ("month", 1, 1), "上一月": ("month", 1, 1),
    "上月份": ("month", 1, 1), "本季度": ("quarter", 1, 0), "这个季度": ("quarter", 1, 0), "当季度": ("quarter", 1, 0),
    "本季": ("quarter", 1, 0), "当季": ("quarter", 1, 0), "上季度": ("quarter", 1, 1), "上个季度": ("quarter", 1, 1),
    "上一季度": ("quarter", 1, 1), "上一个季度": ("quarter", 1, 1), "上季": ("quarter", 1, 1),
    "本周": ("week", 1, 0), "这周": ("week", 1, 0), "这个星期": ("week", 1, 0), "本星期": ("week", 1, 0),
    "这一周": ("week", 1, 0), "上周": ("week", 1, 1), "上个星期": ("week", 1, 1), "上星期": ("week", 1, 1),
    "上一周": ("week", 1, 1), "上个礼拜": ("week", 1, 1), "今天": ("day", 1, 0), "今日": ("day", 1, 0),
    "当天": ("day", 1, 0), "昨天": ("day", 1, 1), "昨日": ("day", 1, 1), "前天": ("day", 1, 2),
    "ytd": ("year", 1, 0), "year to date": ("year", 1, 0), "so far this year": ("year", 1, 0),
    "this year so far": ("year", 1, 0), "since the start of the year": ("year", 1, 0),
    "since the beginning of the year": ("year", 1, 0), "mtd": ("month", 1, 0), "month to date": ("month", 1, 0),
    "so far this month": ("month", 1, 0), "qtd": ("quarter", 1, 0), "quarter to date": ("quarter", 1, 0),
    "so far this quarter": ("quarter", 1, 0), "the day before yesterday": ("day", 1, 2),
    "yesterday": ("day", 1, 1), "today": ("day", 1, 0), "the month before last": ("month", 1, 2),
    "the past year": ("month", 12, 0), "past year": ("month", 12, 0), "the last twelve months": ("month", 12, 0),
    "ttm": ("month", 12, 0), "ltm": ("month", 12, 0), "过去一年": ("month", 12, 0), "近一年": ("month", 12, 0),
    "最近一年": ("month", 12, 0),
}
_FIXED_EN_UNIT = (r"(?:(?P<this>this|current|the current|the latest|latest|the most recent|most recent)|"
                  r"(?P<last>last|previous|prior|the previous|the last|the prior))\s+(?P<u>month|quarter|week|year|day)")


@lru_cache(maxsize=4)
def _patterns(month_words: tuple[tuple[str, int], ...], number_words: tuple[tuple[str, int], ...]
              ) -> tuple[tuple[str, re.Pattern[str]], ...]:
    mn = "|".join(sorted((re.escape(w) for w, _ in month_words), key=len, reverse=True))
    nw = "|".join(sorted((re.escape(w) for w, _ in number_words), key=len, reverse=True))
    n_en = rf"\d+|{nw}" if nw else r"\d+"
    yrel_en = r"(?:of\s+|in\s+)?(?P<yrel_en>this year|the current year|last year|the previous year|previous year|the prior year)"
    fixed = "|".join(sorted((re.escape(k) for k in _FIXED), key=len, reverse=True))
    raw = [
        ("fixed", rf"(?<![a-z])(?:{fixed})(?![a-z])"),
        ("first_q_zh", rf"(?:{_CN_YP})?前(?P<fq>[一二三1-3])\s*(?:个)?季度"),
        ("first_m_zh", rf"{_CN_YP}前(?P<fm>{_N})\s*个?月"),
        ("rel_zh", rf"(?:最近|近|过去|前)\s*(?:的)?\s*(?P<n>{_N})\s*"
                   rf"(?P<u>个季度|季度|个月|天|日|周|星期|礼拜|年)(?:来|以来|内)?"),
        ("rel_en", rf"(?<![a-z0-9])(?:the\s+)?(?:last|past|previous|prior|trailing|recent|latest)\s+(?P<n>{n_en})\s+"
                   r"(?P<u>day|week|month|quarter|year)s?(?![a-z0-9])"),
        ("date_iso", r"(?<!\d)(?P<y>(?:19|20)\d{2})[-/.](?P<m>1[0-2]|0?[1-9])[-/.](?P<d>3[01]|[12]\d|0?[1-9])(?!\d)"),
        ("date_zh", rf"(?:{_CN_YP})?(?P<m>{_CN_M})\s*月\s*(?P<d>{_CN_D})\s*[日号]"),
        ("date_en1", rf"(?<![a-z0-9])(?P<mn>{mn})\.?\s+(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
                     rf"(?![a-z0-9])(?:,?\s*(?P<y>(?:19|20)\d{{2}}))?"),
        ("date_en2", rf"(?<![a-z0-9])(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?\s+(?:of\s+)?"
                     rf"(?P<mn>{mn})(?![a-z0-9])(?:,?\s*(?P<y>(?:19|20)\d{{2}}))?"),
        ("first_en", rf"(?<![a-z0-9])(?:the\s+)?first\s+(?P<fn>{n_en})\s+(?P<fu>months|quarters)"
                     rf"(?:\s+of\s+(?P<y>(?:19|20)\d{{2}})|\s+{yrel_en})?"),
        ("quarter_zh", rf"(?:{_CN_YP})?(?:第(?P<q>[一二三四1-4])\s*季度?|(?P<q2>[一二三四1-4])\s*季度)"),
        ("quarter_en", rf"(?<![a-z0-9])(?:(?P<y>(?:19|20)\d{{2}})\s*(?:年\s*)?)?q(?P<q>[1-4])"
                       rf"(?![a-z0-9])(?:\s*(?:of\s+)?(?P<y2>(?:19|20)\d{{2}})|\s+{yrel_en})?"),
        ("quarter_en2", rf"(?<![a-z0-9])(?:the\s+)?(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter(?![a-z0-9])"
                        rf"(?:\s+(?:of\s+)?(?P<y>(?:19|20)\d{{2}})|\s+{yrel_en})?"),
        ("half_zh", rf"(?:{_CN_YP})?(?P<h>上半年|下半年|前半年|后半年)"),
        ("half_en", rf"(?<![a-z0-9])(?:(?P<y>(?:19|20)\d{{2}})\s*(?:年\s*)?)?h(?P<h>[12])"
                    rf"(?![a-z0-9])(?:\s*(?P<y2>(?:19|20)\d{{2}})|\s+{yrel_en})?"),
        ("half_en2", rf"(?<![a-z0-9])(?:the\s+)?(?P<hw>first|second)\s+half(?:\s+of)?(?:\s+the\s+year)?"
                     rf"(?:\s+(?P<y>(?:19|20)\d{{2}})|\s+{yrel_en})?"),
        ("week_zh", rf"(?:{_CN_YP})?第\s*(?P<w>{_N})\s*(?:周|星期)"),
        ("week_en", r"(?<![a-z0-9])(?:(?P<y>(?:19|20)\d{2})-?w(?P<w>\d{1,2})|week\s+(?P<w2>\d{1,2})"
                    r"(?:\s+(?:of\s+)?(?P<y2>(?:19|20)\d{2}))?)(?![a-z0-9])"),
        ("month_iso", r"(?<![\d.])(?P<y>(?:19|20)\d{2})[-/](?P<m>1[0-2]|0?[1-9])(?![\d/-])"),
        ("month_zh", rf"(?:{_CN_YP})?(?P<m>{_CN_M})\s*月份?"),
        ("month_en", rf"(?<![a-z0-9])(?P<mn>{mn})(?![a-z0-9])\.?(?:\s*,?\s*(?:of\s+)?(?P<y>(?:19|20)\d{{2}})|\s+{yrel_en})?"),
        ("fixed_en", rf"(?<![a-z0-9]){_FIXED_EN_UNIT}(?![a-z0-9])"),
        ("year_zh", _CN_YP.replace(r"\s*(?:的)?\s*", "")),
        ("year_en", r"(?<!\d)(?<!\d\.)(?:fy\s*)?(?P<y>(?:19|20)\d{2})(?!\d|\.\d|%)(?!\s*(?:万|亿|元|块))"),
        ("day_zh", rf"(?<![\d月])(?P<d>{_CN_D})\s*[日号]"),
    ]
    return tuple((name, re.compile(p)) for name, p in raw)


_RANGE_GAP = re.compile(r"^\s*(?:到|至|~|-|to|through|thru|until|till|and|和|与)\s*$")
_RANGE_PREFIX = re.compile(r"(?:从|自|由|from|between)\s*$")
_OPEN_END = re.compile(r"^\s*(?:以来|至今|到现在|到目前为止|到目前|到今天|until now|to date|so far|onwards|onward)")
_SINCE = re.compile(r"(?:since|自从|自)\s*$")


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


def _read(name: str, m: re.Match[str], months: dict[str, int], numbers: dict[str, int], text: str
          ) -> _Point | tuple[str, int, int] | None:
    g = m.groupdict()
    s, e = m.span()
    if name == "fixed":
        return _FIXED[m.group(0)]
    if name in ("rel_zh", "rel_en"):
        n = _num(g["n"], numbers)
        if not n:
            return None
        unit = _UNIT_ZH.get(g["u"]) if name == "rel_zh" else _UNIT_EN[g["u"]]
        if unit == "year":  # "近两年" = the last 24 months, not two calendar years
            return ("month", 12 * n, 0)
        return (unit or "day", n, 0)
    if name == "fixed_en":
        unit = g["u"]
        return (unit, 1, 0 if g["this"] else 1)
    year = _year(g.get("y") or g.get("y2"))
    yoff = _YREL.get(g.get("yrel") or "") if g.get("yrel") else _YREL.get(g.get("yrel_en") or "")
    if g.get("yrel_en"):
        yoff = _YREL.get(g["yrel_en"])
    point = _Point(s, e, year=year, year_offset=yoff)
    if name in ("date_iso", "date_zh", "date_en1", "date_en2"):
        month = _num(g.get("m"), {}) if g.get("m") else months.get(g.get("mn") or "")
        day = _num(g.get("d"), {})
        return replace(point, month=month, day=day) if month and day else None
    if name == "first_q_zh":
        return replace(point, first_quarters=_num(g["fq"], {}))
    if name == "first_m_zh":
        n = _num(g["fm"], {})
        return replace(point, first_months=n) if n and n <= 12 else None
    if name == "first_en":
        n = _num(g["fn"], numbers)
        if not n:
            return None
        return replace(point, first_quarters=n) if g["fu"] == "quarters" else replace(point, first_months=n)
    if name in ("quarter_zh", "quarter_en", "quarter_en2"):
        q = _num(g.get("q") or g.get("q2"), {}) if (g.get("q") or g.get("q2")) else _ORD.get(g.get("ord") or "")
        return replace(point, quarter=q) if q and 1 <= q <= 4 else None
    if name in ("half_zh", "half_en", "half_en2"):
        h = g.get("h") or g.get("hw")
        half = 1 if h in ("上半年", "前半年", "1", "first") else 2
        return replace(point, half=half)
    if name in ("week_zh", "week_en"):
        w = _num(g.get("w") or g.get("w2"), {})
        return replace(point, week=w) if w and 1 <= w <= 53 else None
    if name in ("month_iso", "month_zh", "month_en"):
        month = _num(g.get("m"), {}) if g.get("m") else months.get(g.get("mn") or "")
        if not month or not 1 <= month <= 12:
            return None
        if name == "month_en" and g.get("mn") == "may" and year is None and yoff is None:
            # "may" is a month only when it reads like one: "in May", "from May", "May to June"
            before = text[:s].rstrip().rsplit(" ", 1)[-1] if text[:s].strip() else ""
            if before not in {"in", "from", "to", "of", "during", "since", "until", "through", "and", "between"}:
                return None
        return replace(point, month=month)
    if name in ("year_zh", "year_en"):
        if year is None and yoff is None:
            return None
        return point
    if name == "day_zh":
        day = _num(g["d"], {})
        return replace(point, day=day) if day and 1 <= day <= 31 else None
    return None


def _year(text: str | None) -> int | None:
    if not text:
        return None
    value = parse_number(text)
    return int(value) if value is not None else None


def _combine(raw: list[tuple[int, int, object]], text: str, anchor: dt.date) -> list[TimeMention]:
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
        if nxt is not None and isinstance(nxt[2], _Point) and _RANGE_GAP.match(text[e:nxt[0]]):
            gap = text[e:nxt[0]].strip()
            prefix = _RANGE_PREFIX.search(text[:s])
            if gap not in ("and", "和", "与") or prefix:
                first, second = _inherit(point, nxt[2])
                p1, p2 = _resolve(first, anchor), _resolve(second, anchor)
                if p1 and p2 and p1[0] <= p2[1]:
                    start = prefix.start() if prefix else s
                    out.append(TimeMention(start, nxt[1], "absolute", (p1[0], p2[1]), "range"))
                    i += 2
                    continue
        period = _resolve(point, anchor)
        if period is None:
            if point.year_offset is not None and _only_year(point):
                out.append(TimeMention(s, e, "relative", precision="year", relative=("year", 1, point.year_offset)))
            i += 1
            continue
        start_at = s
        tail = _OPEN_END.match(text[e:])
        since = _SINCE.search(text[:s])
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
