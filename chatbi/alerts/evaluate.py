"""Evaluating one rule for one period: the value, the change, the condition, the root cause, a chart.

The numbers come from governed semantic queries (``ChatBI.run``), the root cause from
``ChatBI.explain_change`` and anomalies from ``ChatBI.detect_anomalies`` (``chatbi.analysis``);
nothing here computes a metric itself. Failures of one rule become an ``error`` on its
evaluation so one broken rule never stops a digest.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from semantic_layer import SemanticQuery
from semantic_layer.query import MemberFilter

from ..errors import ChatBIError
from ..pipeline import NUMBERS_ONLY
from .freshness import FRESH, assess, has_data
from .rules import AnomalyCondition, ChangeCondition, Rule, ThresholdCondition

__all__ = ["Evaluation", "MemberResult", "Contributor", "resolve_period", "schedule_period", "compare_period",
           "evaluate_rule", "explain", "shift_months"]

log = logging.getLogger("chatbi.alerts")

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
    "abs>": lambda a, b: abs(a) > abs(b), "abs>=": lambda a, b: abs(a) >= abs(b)}
#: chart history per period unit: (grain, number of buckets)
_CHART_HISTORY = {"day": ("day", 31), "week": ("week", 13), "month": ("month", 13), "quarter": ("quarter", 8),
                  "year": ("month", 24)}


@dataclass(frozen=True)
class MemberResult:
    """One row of the rule's result: the total (``member`` None) or one breakdown member.

    ``value`` / ``previous`` / ``change_pct`` are always the period's totals. An anomaly rule's
    flagged bucket (one day of a month ...) is kept apart in ``point``, so the period's value is
    never replaced by a single day's.
    """

    member: str | None
    value: float | None
    previous: float | None = None
    change: float | None = None
    change_pct: float | None = None
    expected: float | None = None
    triggered: bool = False
    point: AnomalyPoint | None = None

    @property
    def severity(self) -> float:
        """How far the row is from normal: its anomaly's deviation, else its relative change."""
        if self.point is not None:
            return abs(self.point.deviation or 0.0)
        return abs(self.change_pct or 0.0)


@dataclass(frozen=True)
class AnomalyPoint:
    """The most severe anomalous bucket of a member inside the period."""

    at: dt.date
    actual: float | None
    expected: float | None

    @property
    def deviation(self) -> float | None:
        if self.actual is None or not self.expected:
            return None
        return (self.actual - self.expected) / abs(self.expected)


@dataclass(frozen=True)
class Contributor:
    label: str
    #: the driver's part: its excess over expectation (``measure="excess"``) or its change
    change: float | None
    share: float | None
    measure: str = "change"


@dataclass(frozen=True)
class Evaluation:
    rule: Rule
    period: tuple[dt.date, dt.date]
    baseline: tuple[dt.date, dt.date] | None
    fire: dt.datetime | None
    rows: tuple[MemberResult, ...] = ()
    headline: MemberResult | None = None
    contributors: tuple[Contributor, ...] = ()
    root_cause_text: str = ""
    chart_png: bytes | None = None
    error: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: a ready figure to send instead of the default trend line (the anomaly chart with its band)
    figure: Any = field(default=None, repr=False, compare=False)
    #: ``fresh``, ``stale`` (the data ends before the schedule implies) or ``no_data`` (the period
    #: has none): :mod:`chatbi.alerts.freshness`
    freshness: str = "fresh"
    #: the data's newest date when the rule was evaluated, and the date the schedule expects it to reach
    data_end: dt.date | None = None
    expected_end: dt.date | None = None

    @property
    def triggered(self) -> bool:
        return self.error is None and any(r.triggered for r in self.rows)

    @property
    def status(self) -> str:
        """``error``, ``no_data``, ``stale``, ``triggered`` or ``ok`` -- the first that applies: a rule
        that could not look at current data never reads as quiet."""
        if self.error is not None:
            return "error"
        if self.freshness in ("no_data", "stale"):
            return self.freshness
        return "triggered" if self.triggered else "ok"


# -- periods ---------------------------------------------------------------------------------
def shift_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the month's length.

    >>> shift_months(dt.date(2025, 3, 31), -1)
    datetime.date(2025, 2, 28)
    """
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _unit_start(day: dt.date, unit: str) -> dt.date:
    if unit == "day":
        return day
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return dt.date(day.year, 1, 1)


def _add_units(start: dt.date, unit: str, n: int) -> dt.date:
    if unit == "day":
        return start + dt.timedelta(days=n)
    if unit == "week":
        return start + dt.timedelta(weeks=n)
    return shift_months(start, n * {"month": 1, "quarter": 3, "year": 12}[unit])


def schedule_period(rule: Rule, fire: dt.datetime | None) -> tuple[dt.date, dt.date]:
    """The period the schedule itself points at when the rule fires at ``fire`` (as
    ``relative_to: schedule`` reads it): what the data should reach."""
    spec = rule.spec.period
    ref = rule.schedule.local(fire).date() if fire is not None else dt.date.today()
    start = _add_units(_unit_start(ref, spec.unit), spec.unit, -spec.offset)
    return start, _add_units(start, spec.unit, 1) - dt.timedelta(days=1)


def resolve_period(rule: Rule, fire: dt.datetime | None, anchor: dt.date | None) -> tuple[dt.date, dt.date]:
    """The dates the rule looks at when it fires at ``fire`` (see :class:`~chatbi.alerts.rules.PeriodSpec`).

    The reference day is the fire instant's local date in the rule's time zone, so a rule firing
    at 00:30 Shanghai on 1 December looks at November even though it is still 30 November in UTC.
    ``relative_to: auto`` reads the schedule's period while the data (``anchor``) reaches its end,
    and the data's last complete period once the data ends before it.
    """
    spec = rule.spec.period
    relative_to = spec.relative_to
    if relative_to == "auto":
        scheduled = schedule_period(rule, fire)
        if anchor is None or anchor >= scheduled[1]:
            return scheduled
        relative_to = "data"
    if relative_to == "data" and anchor is not None:
        ref = anchor
        # the anchor's own (possibly partial) unit counts as complete when the data ends there
        offset = spec.offset - 1 if spec.offset > 0 and _add_units(_unit_start(anchor, spec.unit), spec.unit, 1) \
            == anchor + dt.timedelta(days=1) else spec.offset
    else:
        ref = rule.schedule.local(fire).date() if fire is not None else dt.date.today()
        offset = spec.offset
    start = _add_units(_unit_start(ref, spec.unit), spec.unit, -offset)
    end = _add_units(start, spec.unit, 1) - dt.timedelta(days=1)
    return start, end


def compare_period(period: tuple[dt.date, dt.date], mode: str) -> tuple[dt.date, dt.date]:
    """The baseline the change is measured against (same length before, or one year earlier)."""
    start, end = period
    if mode == "year_over_year":
        return shift_months(start, -12), shift_months(end, -12)
    if start.day == 1 and (end + dt.timedelta(days=1)).day == 1:  # whole months: previous whole months
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        prev_start = shift_months(start, -months)
        return prev_start, start - dt.timedelta(days=1)
    length = end - start + dt.timedelta(days=1)
    return start - length, start - dt.timedelta(days=1)


# -- evaluation ------------------------------------------------------------------------------
def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def evaluate_rule(bi: Any, rule: Rule, period: tuple[dt.date, dt.date], *,
                  fire: dt.datetime | None = None) -> Evaluation:
    """The rule's value(s), change and condition over ``period`` (details come from :func:`explain`)."""
    cond = rule.spec.condition
    mode = cond.compare if isinstance(cond, ChangeCondition) else "previous_period"
    baseline = compare_period(period, mode)
    if isinstance(cond, AnomalyCondition) and _one_bucket(period, cond.grain):
        # the day before an anomalous day is often anomalous too (incidents last): explain a single
        # bucket against the same weekday four weeks earlier (monthly grain: a year earlier). A longer
        # period keeps the tiles' baseline, so the explanation compares what the tiles compare.
        baseline = compare_period(period, "year_over_year") if cond.grain == "month" else \
            (period[0] - dt.timedelta(weeks=4), period[1] - dt.timedelta(weeks=4))
    base = Evaluation(rule, period, baseline, fire, data_end=_as_of(bi))
    try:
        rows = _value_rows(bi, rule, period, mode)
        figure = None
        if isinstance(cond, AnomalyCondition) and has_data(rows):
            rows, figure = _anomaly_rows(bi, rule, cond, period, rows)
    except Exception as exc:  # noqa: BLE001 - one broken rule must not stop the digest
        log.warning("alert rule %s could not be evaluated: %s", rule.id, exc)
        return _replace(base, error=str(exc) or type(exc).__name__)
    freshness, expected = assess(rule, period, fire, base.data_end, rows)
    if freshness != FRESH:
        log.warning("alert rule %s: %s for %s..%s (data ends %s, expected through %s)", rule.id, freshness,
                    period[0], period[1], base.data_end, expected)
    return _replace(base, rows=tuple(rows), headline=_headline(rows, cond), figure=figure, freshness=freshness,
                    expected_end=expected)


def _as_of(bi: Any) -> dt.date | None:
    """The data's newest date (``ChatBI.as_of``), or None when it cannot be read."""
    try:
        day = getattr(bi, "as_of", None)
    except ChatBIError:  # the warehouse is down: the evaluation itself will say so
        return None
    return day if isinstance(day, dt.date) else None


def _one_bucket(period: tuple[dt.date, dt.date], grain: str) -> bool:
    """Whether ``period`` is a single bucket of the anomaly grain (one day, week or month)."""
    days = (period[1] - period[0]).days + 1
    return days <= {"day": 1, "week": 7, "month": 31}.get(grain, 1)


def explain(bi: Any, ev: Evaluation, *, chart: bool = True) -> Evaluation:
    """Add the top root-cause contributors (``explain_change``) and a PNG chart to an evaluation.

    Each part that fails becomes a note: the digest still reports the number.
    """
    if ev.error is not None or ev.freshness == "no_data":  # nothing to explain or draw
        return ev
    rule, notes = ev.rule, list(ev.notes)
    member_filter = _member_filter(rule, ev.headline)
    contributors: tuple[Contributor, ...] = ()
    text = ""
    if rule.spec.top_contributors and ev.baseline is not None:
        try:
            contributors, text = _root_cause(bi, rule, ev.period, ev.baseline, member_filter)
        except Exception as exc:  # noqa: BLE001
            log.warning("root cause for alert rule %s failed: %s", rule.id, exc)
            notes.append(f"root cause unavailable: {exc}")
    png = None
    if chart:
        try:
            if ev.figure is not None:
                from ..charts import export_image

                png = export_image(ev.figure, "png", width=720, height=360, scale=1.5)
            else:
                png = _chart(bi, rule, ev.period, member_filter)
        except Exception as exc:  # noqa: BLE001 - e.g. no browser for the exporter
            log.warning("chart for alert rule %s failed: %s", rule.id, exc)
            notes.append(f"chart unavailable: {exc}")
    return _replace(ev, contributors=contributors, root_cause_text=text, chart_png=png, notes=tuple(notes))


def _replace(ev: Evaluation, **changes: Any) -> Evaluation:
    from dataclasses import replace

    return replace(ev, **changes)


def _value_rows(bi: Any, rule: Rule, period: tuple[dt.date, dt.date], mode: str) -> list[MemberResult]:
    metric, breakdown = rule.metric, rule.spec.breakdown
    query = SemanticQuery(metrics=(metric,), dimensions=(breakdown,) if breakdown else (),
                          filters=rule.spec.filters, time_range=(period[0], period[1]), compare=mode)  # type: ignore[arg-type]
    answer = bi.run(query, language=rule.language, options=NUMBERS_ONLY)
    if answer.status != "ok":
        raise RuntimeError(answer.error or answer.text or "query failed")
    frame: pd.DataFrame = answer.data
    cond = rule.spec.condition
    out = []
    for _, row in frame.iterrows():
        value = _num(row.get(metric))
        pct = _num(row.get(f"{metric}__change_pct"))
        triggered = False
        if isinstance(cond, ThresholdCondition) and value is not None:
            triggered = _OPS[cond.op](value, cond.value)
        elif isinstance(cond, ChangeCondition) and pct is not None:
            triggered = _OPS[cond.op](pct, cond.value)
        out.append(MemberResult(str(row[breakdown]) if breakdown else None, value, _num(row.get(f"{metric}__previous")),
                                _num(row.get(f"{metric}__change")), pct, None, triggered))
    if not out:
        out.append(MemberResult(None, None))
    return out


def _anomaly_rows(bi: Any, rule: Rule, cond: AnomalyCondition, period: tuple[dt.date, dt.date],
                  rows: list[MemberResult]) -> tuple[list[MemberResult], Any]:
    """Mark members whose series has an anomalous point inside the period; also the result's figure."""
    history = {"day": dt.timedelta(days=cond.lookback), "week": dt.timedelta(weeks=cond.lookback)}
    start = period[0] - history[cond.grain] if cond.grain in history else shift_months(period[0], -cond.lookback)
    result = bi.detect_anomalies(rule.metric, grain=cond.grain, time_range=(start.isoformat(), period[1].isoformat()),
                                 by=rule.spec.breakdown, filters=[f.model_dump() for f in rule.spec.filters] or None,
                                 sensitivity=cond.sensitivity, direction=cond.direction,
                                 language=rule.language)  # its chart goes into the rule's digest
    frame = _frame_of(result)
    time_col = getattr(result, "time_column", None) or _time_column(frame)
    when = pd.to_datetime(frame[time_col]).dt.date
    flagged = frame[(when >= period[0]) & (when <= period[1]) & frame["is_anomaly"].astype(bool)]
    breakdown = rule.spec.breakdown
    worst: dict[str | None, Any] = {}
    for _, point in flagged.iterrows():
        key = str(point[breakdown]) if breakdown and breakdown in flagged.columns else None
        severity = abs(_num(point.get("severity")) or 0.0)
        if key not in worst or severity > abs(_num(worst[key].get("severity")) or 0.0):
            worst[key] = point
    out = []
    for row in rows:
        point = worst.get(row.member) if row.member in worst else (worst.get(None) if not breakdown else None)
        if point is None:
            out.append(row)
            continue
        found = AnomalyPoint(pd.Timestamp(point[time_col]).date(), _num(point.get("actual")), _num(point.get("expected")))
        out.append(replace(row, expected=found.expected, triggered=True, point=found))
    return out, getattr(result, "figure", None)


def _frame_of(result: Any) -> pd.DataFrame:
    if isinstance(result, pd.DataFrame):
        return result
    for name in ("frame", "data", "points"):
        value = getattr(result, name, None)
        if isinstance(value, pd.DataFrame):
            return value
    raise TypeError(f"detect_anomalies returned {type(result).__name__} without a frame")


def _time_column(frame: pd.DataFrame) -> str:
    for col in frame.columns:
        if str(col).startswith("date") or pd.api.types.is_datetime64_any_dtype(frame[col]):
            return str(col)
    raise KeyError("the anomaly frame has no time column")


def _headline(rows: list[MemberResult], cond: Any) -> MemberResult | None:
    """The row a rule's line is about: the flagged row farthest past its condition, or -- when
    nothing triggered -- the row closest to triggering (the one to watch)."""
    triggered = [r for r in rows if r.triggered]
    if isinstance(cond, ThresholdCondition):
        distance: Callable[[MemberResult], float] = lambda r: abs((r.value or 0.0) - cond.value)  # noqa: E731
        if triggered:
            return max(triggered, key=distance)
        measured = [r for r in rows if r.value is not None]
        return min(measured, key=distance) if measured else (rows[0] if rows else None)
    if triggered:
        return max(triggered, key=lambda r: r.severity)
    if isinstance(cond, ChangeCondition):
        if cond.op.startswith("abs"):
            distance = lambda r: abs(abs(r.change_pct or 0.0) - abs(cond.value))  # noqa: E731
        else:
            distance = lambda r: abs((r.change_pct or 0.0) - cond.value)  # noqa: E731
        measured = [r for r in rows if r.change_pct is not None]
        return min(measured, key=distance) if measured else (rows[0] if rows else None)
    # an anomaly rule with nothing flagged: the total (or the first member)
    return next((r for r in rows if r.member is None), rows[0] if rows else None)


def _member_filter(rule: Rule, headline: MemberResult | None) -> tuple[Any, ...]:
    filters = tuple(rule.spec.filters)
    if rule.spec.breakdown and headline is not None and headline.member is not None:
        filters += (MemberFilter(op="in", dimension=rule.spec.breakdown, values=(headline.member,)),)
    return filters


def _root_cause(bi: Any, rule: Rule, period: tuple[dt.date, dt.date], baseline: tuple[dt.date, dt.date],
                filters: tuple[Any, ...]) -> tuple[tuple[Contributor, ...], str]:
    """The top drivers from ``explain_change`` -- the same ranked, non-overlapping rows the app's
    "why" card lists (``RootCauseReport.drivers``), with the measure they are in."""
    explain_change = getattr(bi, "explain_change", None)
    if explain_change is None:  # a facade without the method: call the analysis module directly
        from ..analysis.explain import explain_change as module_explain

        def explain_change(*args: Any, **kwargs: Any) -> Any:
            return module_explain(bi, *args, **kwargs)

    report = explain_change(rule.metric, (period[0].isoformat(), period[1].isoformat()),
                            baseline=(baseline[0].isoformat(), baseline[1].isoformat()),
                            filters=[f.model_dump() for f in filters] or None, language=rule.language)
    table = report.drivers
    rows = table.top_level[: rule.spec.top_contributors]
    out = tuple(Contributor(r.label, _num(r.impact), _num(r.share) if table.additive else None, table.measure)
                for r in rows)
    return out, str(report.text or "")


def _chart(bi: Any, rule: Rule, period: tuple[dt.date, dt.date], filters: tuple[Any, ...]) -> bytes:
    from ..charts import build_figure, export_image

    grain, buckets = _CHART_HISTORY[rule.spec.period.unit]
    start = (period[1] - dt.timedelta(days=buckets - 1) if grain == "day"
             else period[1] - dt.timedelta(weeks=buckets) + dt.timedelta(days=1) if grain == "week"
             else shift_months(period[1].replace(day=1), -(buckets - 1) * (3 if grain == "quarter" else 1)))
    query = SemanticQuery(metrics=(rule.metric,), dimensions=(f"date.{grain}",), filters=filters,
                          time_range=(start, period[1]))  # type: ignore[arg-type]
    answer = bi.run(query, language=rule.language, options=NUMBERS_ONLY)
    if answer.status != "ok":
        raise RuntimeError(answer.error or "chart query failed")
    figure = build_figure(query, answer.data, bi.model, language=rule.language, members=bi.members,
                          period=(start.isoformat(), period[1].isoformat()))
    return export_image(figure, "png", width=720, height=360, scale=1.5)
