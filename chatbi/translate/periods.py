"""Which period a question is about -- and, when it names two, which one it compares with which.

The time parser (:mod:`.timeparse`) finds each time expression; here they are read together:

* **two periods and a comparison word** ("这个月跟上个月比", "上个月比上上个月", "Q3 vs Q2",
  "compare March with January", "二季度和三季度相比") compare the later period (the current one)
  with the earlier (the baseline) -- never one range over both. A baseline that is a whole year
  named against a part of another year is that part of that year ("revenue in November 2025 ... compared
  with last year" is November 2024);
* **a range written with two ends and a word of change** ("how did revenue change from Q2 to Q3")
  compares its ends;
* **one period and a shift word** ("上个月跟前一个月比", "last month compared with the month before")
  compares the period with the one just before it;
* several periods without such words are intersected, and periods that do not overlap
  ("2024年的上个月") are a contradiction the translator asks about, naming the user's own words;
* a shift word alone ("前一个月呢?", "去年同期呢?", "the quarter before?") is remembered for the
  follow-up that moves the previous question's period (:mod:`.followup`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from semantic_layer import RelativeTimeFilter, TimeRange
from semantic_layer.compiler.timeframe import (
    Period,
    add_units,
    previous_period,
    relative_period,
    unit_start,
    year_ago,
)

from .scan import Token

if TYPE_CHECKING:
    from .parse import Parsed

__all__ = ["SHIFT_TAGS", "Shift", "When", "read_times", "shifted", "shift_relative"]

_TIME_GRAINS = ("day", "week", "month", "quarter", "year")
_LINKS = ("and", "vs")
#: grammar tags of shift words -> the unit they move by ("" = the period's own length, "same_year" = a year
#: back, keeping the period)
SHIFT_TAGS = {"shift": "", "shift_day": "day", "shift_week": "week", "shift_month": "month",
              "shift_quarter": "quarter", "shift_year_back": "year", "shift_year": "same_year"}


@dataclass(frozen=True)
class Shift:
    """A move of a period: by its own length (``unit=""``), by one ``unit``, or a year back (``same_year``)."""

    unit: str
    text: str


@dataclass(frozen=True)
class When:
    """One time expression of the question, resolved against the anchor."""

    token: Token
    period: Period
    precision: str
    relative: tuple[str, int, int] | None = None

    @property
    def absolute(self) -> bool:
        return self.relative is None


def _whens(toks: list[Token], anchor: dt.date) -> list[When]:
    out: list[When] = []
    for t in toks:
        if t.kind != "time":
            continue
        tm = t.value
        if tm.kind == "relative":
            unit, n, offset = tm.relative
            out.append(When(t, relative_period(anchor, unit, n, offset), tm.precision or unit, (unit, n, offset)))
        elif tm.period is not None:
            out.append(When(t, tm.period, tm.precision))
    return out


def _as_filter(w: When) -> tuple[TimeRange | None, RelativeTimeFilter | None]:
    if w.relative is not None:
        unit, n, offset = w.relative
        return None, RelativeTimeFilter(op="relative", unit=unit, n=n, offset=offset)  # type: ignore[arg-type]
    return TimeRange(start=w.period[0], end=w.period[1]), None


def _whole_year(period: Period) -> bool:
    return (period[0].month, period[0].day, period[1].month, period[1].day) == (1, 1, 12, 31) and \
        period[0].year == period[1].year


def _move_years(period: Period, years: int) -> Period:
    def move(day: dt.date) -> dt.date:
        year = day.year + years
        last = calendar.monthrange(year, day.month)[1]
        return day.replace(year=year, day=last if day.day == calendar.monthrange(day.year, day.month)[1]
                           else min(day.day, last))
    return move(period[0]), move(period[1])


def shifted(period: Period, shift: Shift) -> Period:
    """``period`` moved back as ``shift`` says.

    >>> nov = (dt.date(2025, 11, 1), dt.date(2025, 11, 30))
    >>> shifted(nov, Shift("month", "")), shifted(nov, Shift("same_year", ""))[0]
    ((datetime.date(2025, 10, 1), datetime.date(2025, 10, 31)), datetime.date(2024, 11, 1))
    >>> shifted((dt.date(2025, 7, 1), dt.date(2025, 9, 30)), Shift("month", ""))  # the month before Q3
    (datetime.date(2025, 6, 1), datetime.date(2025, 6, 30))
    """
    if shift.unit == "same_year":
        return year_ago(period)
    if not shift.unit:
        return previous_period(period)
    end = period[0] - dt.timedelta(days=1)
    start = unit_start(end, shift.unit)
    return start, add_units(start, shift.unit, 1) - dt.timedelta(days=1)


def shift_relative(relative: tuple[str, int, int], shift: Shift) -> tuple[str, int, int] | None:
    """A relative period moved back, still relative ("上个月" then "前一个月" is two months back), or
    None when the move is not a whole number of its units."""
    unit, n, offset = relative
    if shift.unit == "same_year":
        per_year = {"month": 12, "quarter": 4, "year": 1}.get(unit)
        return (unit, n, offset + per_year) if per_year else None
    if not shift.unit or shift.unit == unit:
        return unit, n, offset + (n if not shift.unit else 1)
    return None


def read_times(p: Parsed, toks: list[Token], anchor: dt.date) -> None:
    """Set ``p``'s period (and comparison or baseline, shift, contradiction) from the time tokens."""
    whens = _whens(toks, anchor)
    shifts = [Shift(SHIFT_TAGS[t.name], t.text) for t in toks if t.kind == "kw" and t.name in SHIFT_TAGS]
    versus = any(t.kind == "kw" and t.name == "vs" for t in toks)
    p.shift = shifts[0] if shifts else None
    for w in whens:
        _note(p, w)
    if p.compare is None and _compare_two(p, whens, versus, anchor):
        return
    if p.compare is None and len(whens) == 1 and shifts and (versus or p.growth):
        _compare_shifted(p, whens[0], shifts[0], anchor)
        return
    if shifts and shifts[0].unit == "same_year" and (versus or p.growth):
        p.compare = p.compare or "year_over_year"  # "跟去年同期比": the same period a year before
        p.shift = None
    _single(p, toks, whens)


def _note(p: Parsed, w: When) -> None:
    if w.relative is not None:
        unit, n, offset = w.relative
        value = f"relative {unit} n={n} offset={offset}"
    else:
        value = f"{w.period[0]}..{w.period[1]}"
    p.understood.append({"text": w.token.text, "kind": "time", "value": value})


def _compare_two(p: Parsed, whens: list[When], versus: bool, anchor: dt.date) -> bool:
    """Two periods compared ("A跟B比", "A vs B", "from A to B" with a word of change)."""
    if len(whens) == 1 and whens[0].token.value.parts and (versus or p.growth):
        tm = whens[0].token.value
        first, second = tm.parts
        if tm.part_precision and tm.part_precision != "day" and first[1] < second[0]:
            base = When(whens[0].token, first, tm.part_precision)
            cur = When(whens[0].token, second, tm.part_precision)
            _set_comparison(p, cur, base)
            return True
        return False
    if len(whens) > 2:  # "October vs September revenue 2025": the year holds both months
        whens = [w for w in whens if not all(w.period[0] <= x.period[0] and x.period[1] <= w.period[1]
                                             for x in whens if x is not w)]
    if len(whens) != 2 or not versus:
        return False
    a, b = sorted(whens, key=lambda w: w.period[0])
    if a.period[1] >= b.period[0]:
        return False  # overlapping periods are not two periods to compare: intersected (or asked about)
    cur, base = b, a
    if _whole_year(base.period) and not _whole_year(cur.period) and cur.period[0].year > base.period[0].year:
        # "November 2025 ... compared with last year": November of that year
        years = cur.period[0].year - base.period[0].year
        base = When(base.token, _move_years(cur.period, -years), cur.precision)
    _set_comparison(p, cur, base)
    return True


def _compare_shifted(p: Parsed, cur: When, shift: Shift, anchor: dt.date) -> None:
    """"上个月跟前一个月比": the period against the one just before it."""
    if shift.unit == "same_year":
        p.compare = "year_over_year"
    else:
        base_rel = shift_relative(cur.relative, shift) if cur.relative is not None else None
        base = When(cur.token, shifted(cur.period, shift), cur.precision, base_rel)
        _set_comparison(p, cur, base)
    p.time_range, rel = _as_filter(cur)
    p.relative = [rel] if rel is not None else []
    p.shift = None


def _set_comparison(p: Parsed, cur: When, base: When) -> None:
    p.time_range, rel = _as_filter(cur)
    p.relative = [rel] if rel is not None else []
    p.shift = None
    if base.period == previous_period(cur.period) and base.precision == cur.precision:
        p.compare = "previous_period"
    elif base.period == year_ago(cur.period):
        p.compare = "year_over_year"
    else:
        p.compare = "baseline"
        time_range, relative = _as_filter(base)
        p.baseline = time_range if time_range is not None else relative
    p.understood.append({"text": base.token.text, "kind": "compare",
                         "value": f"{p.compare}: {base.period[0]}..{base.period[1]}"})


def _single(p: Parsed, toks: list[Token], whens: list[When]) -> None:
    """No comparison of two periods: one period (linked periods of one grain become rows), or a
    contradiction when they do not overlap."""
    p.relative = [RelativeTimeFilter(op="relative", unit=w.relative[0], n=w.relative[1],  # type: ignore[arg-type]
                                     offset=w.relative[2]) for w in whens if w.relative is not None]
    absolute = [(i, w) for i, w in enumerate(toks) if w.kind == "time" and w.value.kind != "relative"
                and w.value.period is not None]
    abs_whens = [w for w in whens if w.absolute]
    periods = [(w.token.text, w.period) for w in whens]
    if len(abs_whens) >= 2 and _linked(toks, absolute):
        _linked_periods(p, toks, absolute, abs_whens)
        assert p.time_range is not None
        periods = [(w.token.text, w.period) for w in whens if not w.absolute] + \
            [("", (p.time_range.start, p.time_range.end))]
    elif abs_whens:
        start = max(w.period[0] for w in abs_whens)
        end = min(w.period[1] for w in abs_whens)
        if start <= end:
            p.time_range = TimeRange(start=start, end=end)
    if len(periods) > 1 and max(q[0] for _, q in periods) > min(q[1] for _, q in periods):
        p.empty_period = [(text, period) for text, period in periods if text] or periods
        p.time_range, p.relative = None, []


def _linked(toks: list[Token], absolute: list[tuple[int, Token]]) -> bool:
    """Periods of one precision joined only by "and"/"vs" ("2024年和2025年"), not context and detail."""
    if len({t.value.precision for _, t in absolute}) != 1:
        return False
    return all(all(x.kind == "kw" and x.name in _LINKS for x in toks[a + 1:b])
               for (a, _), (b, _) in itertools.pairwise(absolute))


def _linked_periods(p: Parsed, toks: list[Token], absolute: list[tuple[int, Token]], whens: list[When]) -> None:
    """"2024年和2025年": one row each; "2025年3月和2024年3月": the year-over-year change; two periods
    with a gap between them ("2025年3月和2024年5月"): compared, never one range over the gap."""
    precisions = {w.precision for w in whens}
    ordered = sorted(w.period for w in whens)
    grain = next(iter(precisions)) if len(precisions) == 1 else ""
    if grain and len(ordered) == 2 and grain in _TIME_GRAINS and grain != "year" and \
            year_ago(ordered[1]) == ordered[0]:
        p.time_range = TimeRange(start=ordered[1][0], end=ordered[1][1])
        p.compare = p.compare or "year_over_year"
        return
    if len(whens) == 2 and ordered[0][1] + dt.timedelta(days=1) < ordered[1][0] and p.compare is None:
        base, cur = sorted(whens, key=lambda w: w.period[0])
        _set_comparison(p, cur, base)
        return
    p.time_range = TimeRange(start=ordered[0][0], end=ordered[-1][1])
    if grain in _TIME_GRAINS:
        p.time_group = grain
