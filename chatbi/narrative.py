"""``Answer.text``: one or two sentences that answer the question with the key numbers.

Every number comes from the result frame (and is formatted by the same rules as the chart);
the phrasing per language lives in the message catalogs (``narrative.*`` in ``chatbi/messages``).
The sentence shape follows the chart
chosen for the result (a KPI gets its value and change, a ranking its leader, a trend its first,
last and peak), so the text and the chart always tell the same story.

>>> import pandas as pd
>>> from semantic_layer import SemanticQuery
>>> q = SemanticQuery(metrics=["revenue"], compare="previous_period")
>>> frame = pd.DataFrame({"revenue": [321e6], "revenue__previous": [393.4e6], "revenue__change_pct": [-0.184]})
>>> narrate(q, frame, None, language="en")
'Revenue was 321M, down 18.4% from the previous period (393M).'
>>> narrate(q, frame, None, language="zh")
'revenue为 3.21 亿，环比下降 18.4%（上期 3.93 亿）。'
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

from semantic_layer import SemanticModel, SemanticQuery
from semantic_layer.model import DimensionRef
from semantic_layer.query import MemberFilter, RangeFilter

from . import messages as _messages
from .charts.formatting import (
    column_format,
    format_bucket,
    format_change,
    format_delta,
    format_period,
    is_additive_metric,
    lang_of,
    member_label,
    metric_label,
)
from .charts.formatting import format_value as _format_value
from .charts.partial import partial_buckets
from .charts.selection import ChartSpec, normalise_intent, select_chart
from .values import as_date as _day
from .values import is_missing as _missing

__all__ = ["narrate", "phrases"]

#: a list answer names this many members before "…"
_LIST_ITEMS = 8


def phrases(language: str) -> dict[str, str]:
    """The phrase table of a language (``narrative.*`` in the message catalogs)."""
    return _messages.phrases("narrative", language)


def narrate(query: SemanticQuery, frame: pd.DataFrame | None, model: SemanticModel | None, *,
            language: str = "en", members: Any = None, period: tuple[Any, Any] | None = None,
            intent: str | None = None, compare_period: tuple[Any, Any] | None = None) -> str:
    """The answer in words, in ``language`` (``zh`` or ``en``); ``compare_period`` names a stated baseline."""
    n = _Narrator(query, frame if frame is not None else pd.DataFrame(), model, lang_of(language), members,
                  period, intent, compare_period)
    return n.text()


class _Narrator:
    def __init__(self, query: SemanticQuery, frame: pd.DataFrame, model: SemanticModel | None, lang: str,
                 members: Any, period: tuple[Any, Any] | None, intent: str | None,
                 compare_period: tuple[Any, Any] | None = None) -> None:
        self.q, self.frame, self.model, self.lang, self.members = query, frame, model, lang, members
        self.p = phrases(lang)
        self.cased = _messages.message("common.sentence_case", lang) == "yes"
        self.intent = normalise_intent(intent)
        self.refs = {r.column: r for r in map(DimensionRef.parse, query.dimensions)}
        if period is None and query.time_range is not None:
            period = (query.time_range.start, query.time_range.end)
        self.period = period
        base = query.baseline
        if compare_period is None and base is not None and hasattr(base, "start"):
            compare_period = (base.start, base.end)  # type: ignore[union-attr]
        self.compare_period = compare_period

    # -- words ----------------------------------------------------------------------------
    def say(self, key: str, **fields: Any) -> str:
        return self.p[key].format(**fields)

    def label(self, name: str, *, inner: bool = False) -> str:
        text = metric_label(self.model, name, self.lang, self.frame) if self.model is None or name in \
            self.model.metrics else self.model.label(name, self.lang)
        if inner and self.cased and len(text) > 1 and text[0].isupper() and text[1].islower():
            return text[0].lower() + text[1:]
        return text

    def was(self, metric: str) -> str:
        """The verb after a metric: "were" after a plural label in English ("New subscribers were")."""
        plural = self.p["plural"] == "english" and _is_plural(self.label(metric))
        return self.p["were" if plural else "was"]

    def dims_word(self, column: str) -> str:
        ref = self.refs.get(column)
        word = self.label(ref.name if ref else column, inner=True)
        return _plural(word) if self.p["plural"] == "english" else word

    def value(self, column: str, value: Any) -> str:
        fmt, unit = column_format(self.model, column)
        return _format_value(value, fmt, unit, self.lang)

    def member(self, column: str, value: Any) -> str:
        ref = self.refs.get(column)
        if ref is not None and self._is_time(ref):
            grain = ref.grain or "day"  # months spelled out in prose; days stay ISO after the templates' "in"
            return format_bucket(value, grain, self.lang, long=True, spelled=grain != "day")
        return member_label(self.members, ref.name if ref else column, value, self.lang)

    def _is_time(self, ref: DimensionRef) -> bool:
        if self.model is not None and ref.name in self.model.dimensions:
            return self.model.dimensions[ref.name].type == "time"
        return ref.grain is not None

    def scope(self, *, period: bool = True) -> str:
        """Filters and period as a phrase (" in Guangdong in Nov 2025" / "2025年11月广东")."""
        parts = []
        sep = self.p["list_sep"]
        for f in self.q.filters:
            if isinstance(f, MemberFilter):
                names = [member_label(self.members, f.dimension, v, self.lang) for v in f.values[:3]]
                joined = sep.join(names) + ("…" if len(f.values) > 3 else "")
                parts.append(self.say("excluding" if f.op == "not_in" else "filters", names=joined))
            elif isinstance(f, RangeFilter) and f.dimension and self._is_time(DimensionRef.parse(f.dimension)):
                # "closed in Feb 2025": a named date column's own period
                words = format_period(_day(f.low), _day(f.high), self.lang)
                parts.append(self.say("dated", name=self.label(f.dimension, inner=True), period=words))
        period_text = ""
        as_of = self.as_of()
        if as_of is not None and period:
            period_text = self.say("as_of", date=format_bucket(as_of, "day", self.lang, long=True, spelled=True))
        elif self.period and period:
            first, last = _day(self.period[0]), _day(self.period[1])
            words = format_period(first, last, self.lang, spelled=True)
            key = "period_day" if first == last else "period_range" if is_period_range(first, last) else "period"
            period_text = self.say(key, period=words) if words else ""
        return self.p["scope_order"].format(period=period_text, filters="".join(parts))

    def as_of(self) -> Any:
        """The date a stock (semi-additive metric: the subscriber base) is read on, when every metric
        of the answer is one and no time grain splits it: the period's last (or first) day."""
        if not self.period or self.model is None or not self.q.metrics or any(r.grain for r in self.refs.values()):
            return None
        edges = {getattr(self.model.metrics.get(m), "time_agg", None) for m in self.q.metrics}
        if edges == {"last"}:
            return _day(self.period[1])
        if edges == {"first"}:
            return _day(self.period[0])
        return None

    def subject(self, metrics: list[str], *, inner: bool = False) -> str:
        names = self.p["list_sep"].join(self.label(m, inner=inner) for m in metrics)
        scope = self.scope()
        if "{scope}{names}" in self.p["subject_order"] and scope and names and _latin_edge(scope[-1]) \
                and _latin_edge(names[0]):
            scope += " "  # "广东5G ARPU", not "广东5GARPU": Latin words that meet keep a space between them
        return self.p["subject_order"].format(scope=scope, names=names)

    def compare_word(self, grain: str | None = None) -> str:
        """环比 / "year over year" / 较2025年10月 / "from Oct 2025" (a time bucket: from the matching
        month of the baseline)."""
        if self.q.compare == "baseline":
            if grain:
                return self.say("compare_baseline_bucket", period=self.baseline_text(),
                                grain=self.p.get(f"bucket_{grain}", grain))
            return self.say("compare_baseline", period=self.baseline_text())
        return self.p[f"compare_{self.q.compare}"]

    def baseline_text(self) -> str:
        if self.compare_period is None:
            return ""
        return format_period(_day(self.compare_period[0]), _day(self.compare_period[1]), self.lang, spelled=True)

    def signed(self, metric: str, delta: float) -> str:
        """A change as an amount: a rate's in percentage points, anything else in its own unit."""
        fmt, unit = column_format(self.model, metric)
        if fmt == "percent":
            return format_delta(delta, fmt, unit, self.lang).lstrip("+-")
        return self.value(metric, abs(delta))

    def baseline_change(self, row: pd.Series, metric: str) -> str:
        """Both values, the change and (not for rates, whose change is in points) the relative change."""
        before, after = row.get(f"{metric}__previous"), row[metric]
        if before is None or _missing(before) or _missing(after):
            return ""
        delta = float(after) - float(before)
        if delta == 0:
            return self.say("unchanged", compare=self.compare_word())
        fmt, _ = column_format(self.model, metric)
        pct = "" if fmt == "percent" else self.say("change_baseline_pct",
                                                   pct=format_change(_relative(before, after)).lstrip("+-"))
        return self.say("change_baseline", direction=self.p["up" if delta > 0 else "down"],
                        delta=self.signed(metric, delta), pct=pct, previous=self.value(metric, before),
                        period=self.baseline_text())

    def change(self, row: pd.Series, metric: str) -> str:
        if not self.q.compare or f"{metric}__change_pct" not in row.index:
            return ""
        if self.q.compare == "baseline":
            return self.baseline_change(row, metric)
        compare = self.p[f"compare_{self.q.compare}"]
        pct, previous = row[f"{metric}__change_pct"], row.get(f"{metric}__previous")
        if _missing(pct):
            return ""
        if float(pct) == 0:
            return self.say("unchanged", compare=compare)
        shown_prev = "" if _missing(previous) else self.say(
            f"previous_{self.q.compare}", value=self.value(metric, previous))
        moved = self.moved(metric, previous, row[metric], pct)
        return self.say("change", direction=self.p["up" if float(pct) > 0 else "down"],
                        pct=moved.lstrip("+-"), compare=compare, previous=shown_prev)

    def moved(self, metric: str, before: Any, after: Any, pct: Any = None) -> str:
        """How far a metric moved, signed: a rate in percentage points, anything else relative."""
        fmt, unit = column_format(self.model, metric)
        if fmt == "percent" and not _missing(before) and not _missing(after):
            return format_delta(float(after) - float(before), fmt, unit, self.lang)
        return format_change(_relative(before, after) if pct is None else pct)

    def finish(self, sentence: str) -> str:
        sentence = sentence.strip()
        if self.cased and sentence:
            sentence = sentence[0].upper() + sentence[1:]
        return sentence + self.p["end"]

    # -- shapes ---------------------------------------------------------------------------
    def text(self) -> str:
        metrics = [m for m in self.q.metrics if m in self.frame.columns]
        if self.frame.empty or (metrics and all(self.frame[m].isna().all() for m in metrics)):
            return self.finish(self.say("no_data", subject=self.subject(list(self.q.metrics), inner=True)))
        spec = select_chart(self.q, self.frame, intent=self.intent, model=self.model)
        shape = {"kpi": self.single, "winner": self.winner, "line": self.trend, "compare_bar": self.compared,
                 "waterfall": self.compared, "bar": self.bars, "donut": self.ranking, "heatmap": self.cell,
                 "dual_axis": self.pairs, "scatter": self.correlation, "anomaly": self.anomalies, "table": self.table}
        return self.finish(shape.get(spec.kind, self.table)(spec) + self.partial_note())

    def partial_note(self) -> str:
        """What the first or last time bucket lacks when the period cuts it ("the first week holds 3 days")."""
        times = [r for r in self.refs.values() if r.grain and self._is_time(r)]
        if not times:
            return ""
        ref = times[0]
        notes = []
        for part in partial_buckets(self.period, ref.grain):
            notes.append(self.say("partial", edge=self.p[f"partial_{part.edge}_{ref.grain}"],
                                  bucket=format_bucket(part.start, ref.grain, self.lang, long=True), days=part.days,
                                  length=part.length, days_range=format_period(part.first_day, part.last_day, self.lang)))
        return "".join(notes)

    def single(self, spec: ChartSpec) -> str:
        row = self.frame.iloc[0]
        clauses = []
        for i, m in enumerate(spec.y):
            key, subject = ("value", self.subject([m])) if i == 0 else ("also_value", self.label(m, inner=True))
            clauses.append(self.say(key, subject=subject, metric=subject, value=self.value(m, row[m]),
                                    change=self.change(row, m), was=self.was(m)))
        return self.p["join"].join(clauses)

    def winner(self, spec: ChartSpec) -> str:
        """The member ranked first named first, then by how much it leads the runner-up."""
        assert spec.x is not None
        m, row = spec.y[0], self.frame.iloc[0]
        key = "lowest" if not self.q.order_by[0].startswith("-") else "highest"
        ref = self.refs.get(spec.x)
        dims = self.p.get(f"grain_{ref.grain}", "") if ref is not None and ref.grain else self.dims_word(spec.x)
        if self.lang == "en":
            dims = self.label(ref.name, inner=True) if ref is not None and not ref.grain else dims
        sentence = self.say("winner", top=self.member(spec.x, row[spec.x]), highest=self.p[key],
                            metric=self.label(m, inner=True), value=self.value(m, row[m]), dims=dims,
                            scope=self.scope())
        second, second_value = row.get(f"{spec.x}__runner_up"), row.get(f"{m}__runner_up")
        if second_value is None or _missing(second_value) or _missing(row[m]) or float(row[m]) == float(second_value):
            return sentence
        fmt, _ = column_format(self.model, m)
        pct = "" if fmt == "percent" else self.say("winner_gap_pct", pct=format_change(
            _relative(second_value, row[m])).lstrip("+-"))  # the direction is said by "ahead of" / "below"
        return sentence + self.say("winner_gap", delta=self.signed(m, float(row[m]) - float(second_value)), pct=pct,
                                   ahead=self.p[f"ahead_{key}"], runner=self.p[f"runner_{key}"],
                                   second=self.member(spec.x, second),
                                   second_value=self.value(m, second_value))

    def ranking(self, spec: ChartSpec) -> str:
        assert spec.x is not None
        m = spec.y[0]
        data = self.frame[self.frame[m].notna()]
        ascending = bool(self.q.order_by) and self.q.order_by[0] == m
        ordered = data.sort_values(m, ascending=ascending, kind="stable")
        top, bottom = ordered.iloc[0], ordered.iloc[-1]
        share = ""
        if spec.share and not _missing(top[spec.share]):
            share = self.say("share", share=self.value(spec.share, top[spec.share]))
        sentence = self.say("ranking", top=self.member(spec.x, top[spec.x]),
                            highest=self.p["lowest" if ascending else "highest"], metric=self.label(m, inner=True),
                            value=self.value(m, top[m]), share=share, n=len(data), dims=self.dims_word(spec.x),
                            scope=self.scope())
        if len(data) > 1:
            sentence += self.say("ranking_low", lowest=self.p["highest" if ascending else "lowest"],
                                 bottom=self.member(spec.x, bottom[spec.x]), bottom_value=self.value(m, bottom[m]))
        return sentence

    def bars(self, spec: ChartSpec) -> str:
        assert spec.x is not None
        if spec.x in self.refs and self._is_time(self.refs[spec.x]):
            return self.trend(spec)
        if len(spec.y) > 1:
            return self.pairs(spec)
        return self.cell(spec) if spec.series else self.ranking(spec)

    def trend(self, spec: ChartSpec) -> str:
        assert spec.x is not None
        if spec.series:
            return self.series_latest(spec)
        if len(spec.y) > 1:
            return self.pairs(spec)
        m = spec.y[0]
        data = self.frame[self.frame[m].notna()].sort_values(spec.x, kind="stable")
        whole = self._whole_buckets(data, spec.x)  # a 3-day first week is no start to measure a change from
        first, last = whole.iloc[0], whole.iloc[-1]
        peak = whole.loc[whole[m].idxmax()]
        sentence = self.say("trend", subject=self.subject([m]), first=self.member(spec.x, first[spec.x]),
                            first_value=self.value(m, first[m]), last=self.member(spec.x, last[spec.x]),
                            last_value=self.value(m, last[m]), pct=self.moved(m, first[m], last[m]))
        if spec.previous and f"{m}__change_pct" in data.columns and not _missing(last[f"{m}__change_pct"]):
            change = float(last[f"{m}__change_pct"])
            sentence += self.say("trend_change", last=self.member(spec.x, last[spec.x]),
                                 direction=self.p["up" if change >= 0 else "down"],
                                 pct=self.moved(m, last.get(spec.previous), last[m], change).lstrip("+-"),
                                 compare=self.compare_word(self.refs[spec.x].grain if spec.x in self.refs else None))
        elif len(data) > 2 and peak.name not in (first.name, last.name):
            # a peak at either end is already in the sentence
            sentence += self.say("peak", peak=self.member(spec.x, peak[spec.x]), peak_value=self.value(m, peak[m]))
        return sentence

    def _whole_buckets(self, data: pd.DataFrame, column: str) -> pd.DataFrame:
        """``data`` without the time buckets the period cuts, when at least two whole ones remain (the
        cut ones are still drawn, and the text says what they lack)."""
        ref = self.refs.get(column)
        cut = {part.start for part in partial_buckets(self.period, ref.grain if ref else None)}
        if not cut:
            return data
        kept = data[[_missing(v) or pd.Timestamp(v).date() not in cut for v in data[column]]]
        return kept if len(kept) >= 2 else data

    def series_latest(self, spec: ChartSpec) -> str:
        assert spec.x is not None and spec.series is not None
        m = spec.y[0]
        data = self.frame[self.frame[m].notna()]
        last_bucket = data[spec.x].max()
        latest = data[data[spec.x] == last_bucket]
        top = latest.loc[latest[m].idxmax()]
        sentence = self.say("series_latest", last=self.member(spec.x, last_bucket),
                            top=self.member(spec.series, top[spec.series]), metric=self.label(m, inner=True),
                            value=self.value(m, top[m]), n=latest[spec.series].nunique(dropna=False),
                            dims=self.dims_word(spec.series), scope=self.scope(period=False))
        if self.period:  # the sentence is about the last bucket; the series covers the whole period
            sentence += self.say("covering", period=format_period(_day(self.period[0]), _day(self.period[1]),
                                                                  self.lang, spelled=True))
        return sentence

    def compared(self, spec: ChartSpec) -> str:
        assert spec.x is not None
        if spec.x in self.refs and self._is_time(self.refs[spec.x]):
            return self.trend(spec)
        m = spec.y[0]
        prev = spec.previous or f"{m}__previous"
        data = self.frame[self.frame[m].notna()]
        delta = data[m] - data[prev].fillna(0)
        mover = data.loc[delta.abs().idxmax()]
        pct = self.moved(m, mover.get(prev), mover[m], mover.get(f"{m}__change_pct"))
        if is_additive_metric(self.model, m):
            total, total_prev = float(data[m].sum()), float(data[prev].sum())
            row = pd.Series({m: total, f"{m}__change_pct": _relative(total_prev, total), f"{m}__previous": total_prev})
            sentence = self.say("compare_total", subject=self.subject([m]), total=self.value(m, total),
                                change=self.change(row, m))
            delta_text = self.value(m, float(delta.loc[mover.name]))
            if float(delta.loc[mover.name]) >= 0:
                delta_text = "+" + delta_text
            return sentence + self.say("mover", member=self.member(spec.x, mover[spec.x]), delta=delta_text, pct=pct)
        return self.say("mover_only", n=len(data), dims=self.dims_word(spec.x), scope=self.scope(),
                        member=self.member(spec.x, mover[spec.x]), metric=self.label(m, inner=True),
                        value=self.value(m, mover[m]), pct=pct, compare=self.compare_word())

    def cell(self, spec: ChartSpec) -> str:
        assert spec.x is not None and spec.series is not None
        m = spec.y[0]
        data = self.frame[self.frame[m].notna()]
        top = data.loc[data[m].idxmax()]
        return self.say("cell", metric=self.label(m, inner=True), a=self.member(spec.x, top[spec.x]),
                        b=self.member(spec.series, top[spec.series]), value=self.value(m, top[m]), n=len(data),
                        scope=self.scope())

    def pairs(self, spec: ChartSpec) -> str:
        assert spec.x is not None
        metrics = list(spec.y[:2])
        if spec.x in self.refs and self._is_time(self.refs[spec.x]):
            last = self.frame.sort_values(spec.x, kind="stable").iloc[-1]
            values = self.p["and"].join(self.say("latest_value", metric=self.label(m, inner=True),
                                                 value=self.value(m, last[m]), was=self.was(m)) for m in metrics)
            return self.say("latest_values", last=self.member(spec.x, last[spec.x]), scope=self.scope(period=False),
                            values=values)
        clauses = []
        for m in metrics:
            data = self.frame[self.frame[m].notna()]
            if data.empty:
                continue
            top = data.loc[data[m].idxmax()]
            clauses.append(self.say("pair_top", metric=self.label(m, inner=True), top=self.member(spec.x, top[spec.x]),
                                    value=self.value(m, top[m])))
        return self.p["join"].join(clauses)

    def correlation(self, spec: ChartSpec) -> str:
        first, second = spec.y
        data = self.frame[[first, second]].dropna().astype(float)
        r = data[first].corr(data[second]) if len(data) >= 2 else float("nan")
        dims = self.dims_word(spec.x) if spec.x else ""
        return self.say("correlation", n=len(data), dims=dims, scope=self.scope(), first=self.label(first, inner=True),
                        second=self.label(second, inner=True), r="—" if _missing(r) else f"{r:.2f}")

    def anomalies(self, spec: ChartSpec) -> str:
        assert spec.x is not None
        m = spec.y[0]
        flagged = self.frame[self.frame[f"{m}__is_anomaly"].fillna(False).astype(bool)].sort_values(spec.x)
        if flagged.empty:
            return self.say("no_anomalies", metric=self.label(m, inner=True), scope=self.scope())
        last = flagged.iloc[-1]
        return self.say("anomalies", k=len(flagged), metric=self.label(m, inner=True), scope=self.scope(),
                        value=self.value(m, last[m]), bucket=self.member(spec.x, last[spec.x]),
                        expected=self.value(m, last[f"{m}__expected"]))

    def table(self, spec: ChartSpec) -> str:
        if not self.q.metrics and len(self.q.dimensions) == 1:
            column = DimensionRef.parse(self.q.dimensions[0]).column
            values = self.frame[column].drop_duplicates().tolist() if column in self.frame else []
            items = self.p["list_sep"].join(self.member(column, v) for v in values[:_LIST_ITEMS])
            if len(values) > _LIST_ITEMS:
                items += self.say("more", n=len(values) - _LIST_ITEMS)
            return self.say("list", n=len(values), dims=self.dims_word(column), items=items)
        if not self.q.metrics:
            columns = [c for c in self.refs if c in self.frame.columns]
            counts = self.p["list_sep"].join(self.say("count", n=self.frame[c].nunique(), dims=self.dims_word(c))
                                             for c in columns)
            return self.say("list_multi", n=len(self.frame), counts=counts)
        if spec.x is not None and len(self.refs) == 1 and spec.y:
            return self.pairs(spec)
        return self.say("rows", n=len(self.frame))


def _relative(before: Any, after: Any) -> float:
    if _missing(before) or _missing(after) or float(before) == 0:
        return float("nan")
    return (float(after) - float(before)) / abs(float(before))


def is_period_range(start: Any, end: Any) -> bool:
    """Whether ``format_period`` words the period as a range ("Feb to May 2025"), not by its name
    (a day, a whole month, quarter or year).

    >>> import datetime as dt
    >>> is_period_range(dt.date(2025, 4, 1), dt.date(2025, 6, 30)), is_period_range(dt.date(2025, 2, 1), dt.date(2025, 5, 31))
    (False, True)
    """
    a, b = _day(start), _day(end)
    if a is None or b is None or a == b:
        return False
    nxt = b + dt.timedelta(days=1)
    if a.day == 1 and nxt.day == 1:
        months = (nxt.year - a.year) * 12 + nxt.month - a.month
        return not ((months == 12 and a.month == 1) or (months == 3 and a.month in (1, 4, 7, 10)) or months == 1)
    return True


_HEAD_END = re.compile(r"\s*\(|\s+(?:of|per|in|by|for|from|on|at|to|with)\s+|\s*[:,/]", re.IGNORECASE)


def _latin_edge(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _is_plural(label: str) -> bool:
    """Whether an English metric label reads as a plural ("New subscribers were", "Number of deals was").

    The head noun is the last word before a preposition or a bracket; a plural ends in one s
    (not "gas", "status", "analysis", "loss"). Acronyms and unit words stay singular ("KPIs" is rare
    in labels; "ARPU" never plural).

    >>> [_is_plural(x) for x in ("New subscribers", "Number of deals", "Revenue", "Complaints per 10k users",
    ...                          "Gas", "Traffic (GB)", "Status", "Dropped calls", "Avg. days to close")]
    [True, False, False, True, False, False, False, True, True]
    """
    head = _HEAD_END.split(label.strip(), maxsplit=1)[0].split()
    word = head[-1] if head else ""
    return (len(word) > 3 and word.isalpha() and not word.isupper() and word.endswith("s")
            and not word.lower().endswith(("ss", "us", "is", "as", "os")))


def _plural(word: str) -> str:
    """English plural of a dimension label ("city" -> "cities", "plan type" -> "plan types")."""
    if not word or not word[-1].isalpha() or word.isupper():
        return word
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"

