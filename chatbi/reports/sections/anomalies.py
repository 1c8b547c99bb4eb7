"""Anomalies: abnormal members in the period, then the notable ones earlier in the window.

``ChatBI.detect_anomalies`` scores each metric per member and bucket (a seasonal baseline from
earlier buckets only); a bucket where most members are abnormal is one broad item, not many.
The strongest items are explained with ``ChatBI.explain_change`` inside the member (``江苏`` ->
``代理商``), so the report says where the anomaly sits, not only that it exists.
"""

from __future__ import annotations

import datetime as dt
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pandas as pd

from semantic_layer.compiler.timeframe import add_units, unit_start

from ...analysis.fetch import member_filters
from ...charts.formatting import format_bucket
from ...charts.numbers import format_change
from ..context import Context
from ..period import unit_end, window
from ..result import AnomalyItem, Section, Table, Text
from ..spec import AnomaliesSpec, text_in
from .kpis import visible_metrics

__all__ = ["build"]

#: a bucket where at least this share of members (and 3) is abnormal is one broad item
_BROAD = 0.5
#: a driver is named when its combination explains at least this share of the member's abnormal change
_CONCENTRATED = 0.5


def build(ctx: Context, spec: AnomaliesSpec) -> Section:
    title = text_in(spec.title, ctx.language) or ctx.say("section.anomalies")
    grain = spec.grain or ctx.unit
    span = window(ctx.period, grain, spec.window)
    metrics = visible_metrics(ctx, spec.metrics)

    def detect(metric: str) -> Any:
        return ctx.bi.detect_anomalies(metric, grain=grain, time_range=span, by=spec.by,
                                       filters=list(spec.filters) or None, sensitivity=spec.sensitivity,
                                       direction=spec.direction, language=ctx.language)

    with ThreadPoolExecutor(max_workers=min(3, max(1, len(metrics)))) as pool:
        results = list(pool.map(detect, metrics))
    sql: list[int] = []
    items: list[AnomalyItem] = []
    found: dict[str, Any] = {}
    for metric, result in zip(metrics, results):
        ids = ctx.record("anomalies", result.sql)
        sql += ids
        found[metric] = (result, ids)
        items += _items(ctx, metric, result, spec.by, grain)
    items.sort(key=lambda i: (not i.in_period, -i.severity))
    current = [i for i in items if i.in_period][: spec.limit]
    earlier = [i for i in items if not i.in_period][: spec.limit]
    explained, more_sql = _explain(ctx, spec, [*current, *earlier], grain, span)
    sql += more_sql
    current = [explained.get(id(i), i) for i in current]
    earlier = [explained.get(id(i), i) for i in earlier]
    current, earlier = [_worded(ctx, i) for i in current], [_worded(ctx, i) for i in earlier]

    blocks: list[Any] = []
    if spec.intro:
        blocks.append(Text(text_in(spec.intro, ctx.language) or "", "lead"))
    names = ctx.say("list_sep").join(ctx.label(m) for m in metrics)
    by = ctx.label(spec.by) if spec.by else ""
    blocks.append(Text(ctx.say("anomalies.scope", metrics=names, by=ctx.say("anomalies.by", by=by) if by else "",
                               grain=ctx.say(f"grain.{grain}"), sensitivity=f"{spec.sensitivity:g}"), "note"))
    if current:
        blocks.append(Text(ctx.say("anomalies.current", n=len(current), period=ctx.period_label()), "lead",
                           tuple(sql)))
        blocks.append(_table(ctx, current, tuple(sql)))
        chart = _chart(ctx, found, current[0])
        if chart is not None:
            blocks.append(chart)
    else:
        blocks.append(Text(ctx.say("anomalies.none", period=ctx.period_label()), "lead", tuple(sql)))
    if earlier:
        blocks.append(Text(ctx.say("anomalies.earlier", period=ctx.period_label(span)), "lead"))
        blocks.append(_table(ctx, earlier, tuple(sql)))
        chart = _chart(ctx, found, earlier[0])
        if chart is not None:
            blocks.append(chart)
    highlights = [i.text for i in current[:2]] + [i.text for i in earlier[:3]]
    return Section("anomalies", ctx.key("anomalies"), title, tuple(blocks), (*current, *earlier),
                   tuple(dict.fromkeys(sql)), tuple(highlights))


def _items(ctx: Context, metric: str, result: Any, by: str | None, grain: str) -> list[AnomalyItem]:
    frame: pd.DataFrame = result.frame
    if frame.empty:
        return []
    tcol = result.time_column
    flagged = frame[frame["is_anomaly"]]
    first_current = unit_start(ctx.period[0], grain)
    series = frame[by].nunique() if by else 1
    label = ctx.label(metric)
    out: list[AnomalyItem] = []
    for bucket, group in flagged.groupby(tcol, sort=True):
        day = pd.Timestamp(bucket).date()
        in_period = first_current <= day <= ctx.period[1]
        when = format_bucket(day, grain, ctx.language, long=True)
        deviations = (group["actual"] - group["expected"]) / group["expected"].abs()
        if by and len(group) >= max(3, math.ceil(_BROAD * series)):
            out.append(AnomalyItem(metric, label, (), ctx.say("anomalies.broad", n=len(group), total=series,
                                                             by=ctx.label(by)),
                                   day, when, float(group["actual"].sum()), float(group["expected"].sum()),
                                   float(deviations.median()), float(group["severity"].max()), in_period,
                                   breadth=len(group)))
            continue
        for (_, row), deviation in zip(group.iterrows(), deviations):
            members = ((by, str(row[by])),) if by else ()
            who = ctx.member(by, row[by]) if by else ""
            out.append(AnomalyItem(metric, label, members, who, day, when, float(row["actual"]),
                                   float(row["expected"]), float(deviation), float(row["severity"]), in_period))
    return out


def _explain(ctx: Context, spec: AnomaliesSpec, items: list[AnomalyItem], grain: str,
             span: tuple[dt.date, dt.date]) -> tuple[dict[int, AnomalyItem], list[int]]:
    """The driving combination inside the strongest member anomalies (``explain_change`` vs the bucket before)."""
    chosen = [i for i in sorted(items, key=lambda i: (not i.in_period, -i.severity)) if i.members][: spec.explain]

    def one(item: AnomalyItem) -> tuple[AnomalyItem, tuple[int, ...]]:
        bucket = (item.bucket, min(unit_end(item.bucket, grain), span[1]))
        # against a normal bucket: the one before, or for days the same weekday a week before
        start = bucket[0] - dt.timedelta(days=7) if grain == "day" else add_units(bucket[0], grain, -1)
        baseline = (start, unit_end(start, grain))
        try:
            rc = ctx.bi.explain_change(item.metric, bucket, baseline=baseline,
                                       filters=[*spec.filters, *member_filters(dict(item.members))],
                                       max_depth=2, language=ctx.language)
        except (ValueError, KeyError, RuntimeError):  # no data before the bucket, a dimension not allowed ...
            return item, ()
        ids = ctx.record("anomaly explanation", rc.sql)
        top = rc.combinations[0] if rc.combinations else None
        if top is not None and top.excess_share >= _CONCENTRATED:
            return replace(item, driver=top.label, driver_members=top.members, driver_deviation=top.deviation), ids
        # one member of one dimension (成都 within 四川) is found as a contributor, not a combination
        lead = next((c for c in rc.contributors if not c.path), None)
        if lead is not None and lead.excess_share >= _CONCENTRATED:
            deviation = lead.excess / lead.expected if lead.expected else None
            return replace(item, driver=lead.label, driver_members=tuple(lead.members.items()),
                           driver_deviation=deviation), ids
        return item, ids  # a broad move inside the member: no single place to point at

    if not chosen:
        return {}, []
    with ThreadPoolExecutor(max_workers=min(3, len(chosen))) as pool:
        done = list(pool.map(one, chosen))
    return {id(old): new for old, (new, _) in zip(chosen, done)}, [i for _, ids in done for i in ids]


def _worded(ctx: Context, item: AnomalyItem) -> AnomalyItem:
    direction = ctx.say("anomalies.above" if item.deviation > 0 else "anomalies.below")
    pct = format_change(abs(item.deviation)).lstrip("+")
    if item.breadth > 1:
        text = ctx.say("anomalies.item_broad", when=item.bucket_label, who=item.label, metric=item.metric_label,
                       direction=direction, pct=pct)
    else:
        text = ctx.say("anomalies.item", when=item.bucket_label, who=item.label,
                       metric=ctx.label_after_member(item.metric) if item.members else item.metric_label,
                       actual=ctx.value(item.metric, item.actual), expected=ctx.value(item.metric, item.expected),
                       pct=pct, direction=direction)
    if item.driver:
        finite = item.driver_deviation is not None and math.isfinite(item.driver_deviation)
        text += ctx.say("anomalies.driver" if finite else "anomalies.driver_only", driver=item.driver,
                        pct=format_change(item.driver_deviation) if finite else "")
    return replace(item, text=text.strip() + ctx.say("end"))


def _table(ctx: Context, items: list[AnomalyItem], sql: tuple[int, ...]) -> Table:
    rows, tones = [], []
    for i in items:
        rows.append((i.bucket_label, i.label, i.metric_label, ctx.value(i.metric, i.actual),
                     ctx.value(i.metric, i.expected), format_change(i.deviation), i.driver or "—"))
        bad = (i.deviation < 0) == (ctx.favorable(i.metric) != "down")
        tones.append(("", "", "", "", "", "bad" if bad else "good", ""))
    columns = tuple(ctx.say(f"col.{c}") for c in ("when", "who", "metric", "actual", "expected", "deviation",
                                                   "driver"))
    return Table(columns, tuple(rows), ("l", "l", "l", "r", "r", "r", "l"), tuple(tones), sql)


def _chart(ctx: Context, found: dict[str, Any], item: AnomalyItem) -> Any:
    """The item's series with its expected band (``chatbi.charts.anomaly_chart``)."""
    from ...charts import anomaly_chart

    result, ids = found[item.metric]
    members = dict(item.members)
    points = result.series(members) if members or not result.by else None
    if points is None or points.empty:
        return None
    name = f"{item.label} · {item.metric_label}" if item.label and item.members else item.metric_label
    title = ctx.say("anomalies.chart", name=name)
    try:
        figure = anomaly_chart(points, x=result.time_column, actual="actual", expected="expected", lower="lower",
                               upper="upper", is_anomaly="is_anomaly", title=title, language=ctx.language,
                               value_format=ctx.model.metric(item.metric).format)
    except Exception:  # noqa: BLE001 - a chart that fails must not cost the reader the table
        return None
    return ctx.chart("anomaly", figure, ids, height=320)
