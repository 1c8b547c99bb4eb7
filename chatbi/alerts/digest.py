"""Digests: rules grouped per recipient list, rendered to one email (HTML + plain text, zh / en).

The HTML and text bodies come from Jinja2 templates in ``templates/`` (one pair per language);
charts are PNGs embedded by Content-ID (``multipart/related``), so they show without loading
anything remote. The Message-ID is derived from the digest's idempotency key, which is how a
resend of the same digest is recognisable (see :mod:`chatbi.alerts.outbox`).
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from semantic_layer import MemberFilter

from ..charts.formatting import (
    format_bucket,
    format_change,
    format_delta,
    format_period,
    format_share,
    format_value,
    metric_format,
)
from ..messages import message
from .evaluate import Evaluation, MemberResult, compare_period
from .rules import AnomalyCondition, ChangeCondition, Rule, ThresholdCondition

__all__ = ["DigestGroup", "RenderedDigest", "group_rules", "idempotency_key", "message_id_for", "render_digest",
           "rule_subject"]

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class DigestGroup:
    """Rules that go out together: the same recipients and language."""

    recipients: tuple[str, ...]
    language: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class RenderedDigest:
    key: str
    message_id: str
    subject: str
    html: str
    text: str
    mime: bytes
    triggered: int


def group_rules(rules: Iterable[Rule]) -> list[DigestGroup]:
    """One group per (recipient set, language), rules in the order given."""
    groups: dict[tuple[tuple[str, ...], str], list[Rule]] = {}
    for rule in rules:
        recipients = tuple(sorted({a.lower() for a in rule.recipients}))
        groups.setdefault((recipients, rule.language), []).append(rule)
    return [DigestGroup(recipients, lang, tuple(items)) for (recipients, lang), items in groups.items()]


def idempotency_key(group: DigestGroup, periods: Sequence[tuple[dt.date, dt.date]], *, salt: str = "",
                    namespace: str = "") -> str:
    """Same rules file + rules + recipients + evaluated periods -> same key, whenever and however
    often it runs (``namespace``: two rules files may use the same rule ids)."""
    payload: dict[str, Any] = {
        "rules": sorted([r.id, p[0].isoformat(), p[1].isoformat()] for r, p in zip(group.rules, periods)),
        "recipients": sorted(group.recipients), "language": group.language, "salt": salt}
    if namespace:
        payload["namespace"] = namespace
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def message_id_for(key: str, sender: str) -> str:
    domain = sender.rpartition("@")[2].strip("> ") or "chatbi.local"
    # short enough that the header is never folded (some parsers keep the fold's leading space)
    return f"<{key[:32]}.alert@{domain}>"


# -- words -----------------------------------------------------------------------------------
_WORDS = {
    "zh": {"previous_period": "环比", "year_over_year": "同比", "anomaly": "异常", "expected": "预期",
           "value": "值", "sep": "、"},
    "en": {"previous_period": "vs previous period", "year_over_year": "year over year", "anomaly": "anomaly",
           "expected": "expected", "value": "value", "sep": ", "},
}


def _lower_first(label: str) -> str:
    return label[:1].lower() + label[1:] if len(label) > 1 and label[1:2].islower() else label


def rule_subject(bi: Any, rule: Rule, member: str | None = None) -> str:
    """What the rule watches, in its language: ``广东收入`` / ``Guangdong revenue``.

    ``member`` is the breakdown member the headline is about (``广东东莞收入``).
    """
    lang = rule.language
    groups = [[bi.members.label(f.dimension, str(v), lang) for v in f.values]
              for f in rule.spec.filters if isinstance(f, MemberFilter) and f.op == "in"]
    if member is not None and rule.spec.breakdown:
        groups.append([bi.members.label(rule.spec.breakdown, member, lang)])
    given = rule.title(lang)
    if given:
        extra = groups[-1][0] if member is not None and groups else None
        return given + ((f"（{extra}）" if lang == "zh" else f" ({extra})") if extra else "")
    metric = bi.model.label(rule.metric, lang)
    if lang == "zh":  # 广东5G收入: dimensions run together, several members of one dimension take 、
        return "".join(_WORDS["zh"]["sep"].join(g) for g in groups) + metric
    names = ["/".join(g) for g in groups]
    return " ".join([*names, _lower_first(metric) if names else metric])


def _fmt(bi: Any, rule: Rule, value: float | None) -> str:
    fmt, unit = metric_format(bi.model, rule.metric)
    return format_value(value, fmt, unit, rule.language)


def _condition_text(bi: Any, rule: Rule) -> str:
    cond, zh = rule.spec.condition, rule.language == "zh"
    if isinstance(cond, ThresholdCondition):
        return f"{'值' if zh else 'value'} {cond.op} {_fmt(bi, rule, cond.value)}"
    if isinstance(cond, ChangeCondition):
        op = cond.op.replace("abs", "|Δ| ")
        pct = format_change(cond.value) if not cond.op.startswith("abs") else f"{abs(cond.value) * 100:.1f}%"
        mode = _WORDS[rule.language][cond.compare]
        return f"{mode} {op} {pct}" if zh else f"change {mode} {op} {pct}"
    assert isinstance(cond, AnomalyCondition)
    grain = {"day": ("按日", "daily"), "week": ("按周", "weekly"), "month": ("按月", "monthly")}[cond.grain]
    return (f"异常检测（{grain[0]}，灵敏度 {cond.sensitivity:g}）" if zh
            else f"anomaly detection ({grain[1]}, sensitivity {cond.sensitivity:g})")


def _headline_text(bi: Any, ev: Evaluation) -> str:
    rule, row = ev.rule, ev.headline
    lang, words = rule.language, _WORDS[rule.language]
    subject = rule_subject(bi, rule, row.member if row is not None else None)
    if row is None:
        return subject
    cond = rule.spec.condition
    if isinstance(cond, ChangeCondition):
        pct = format_change(row.change_pct)
        return f"{subject}{words[cond.compare]} {pct}" if lang == "zh" else f"{subject} {pct} {words[cond.compare]}"
    if isinstance(cond, AnomalyCondition) and row.point is not None:
        point = row.point
        actual, expected = _fmt(bi, rule, point.actual), _fmt(bi, rule, point.expected)
        when = format_bucket(point.at, cond.grain, lang, long=True)
        return message("digest.anomaly_headline", lang, subject=subject, when=when, actual=actual, expected=expected)
    return f"{subject} {_fmt(bi, rule, row.value)}"


def _severity(ev: Evaluation) -> float:
    return ev.headline.severity if ev.headline is not None else 0.0


def subject_line(bi: Any, evaluations: Sequence[Evaluation], language: str, missed: int = 0) -> str:
    """The subject: what triggered, and -- never hidden -- rules that failed and runs that were missed."""
    flagged = [e for e in evaluations if e.triggered]
    zh = language == "zh"
    if not flagged:
        text = (f"ChatBI 预警: 无指标异常（{len(evaluations)} 项规则）" if zh
                else f"ChatBI alert: no metrics flagged ({len(evaluations)} rule{'s' if len(evaluations) != 1 else ''})")
    else:
        top = _headline_text(bi, max(flagged, key=_severity))
        n = len(flagged)
        text = (f"ChatBI 预警: {n} 项指标异常 — {top}" if zh
                else f"ChatBI alert: {n} metric{'s' if n != 1 else ''} flagged — {top}")
    failed = sum(1 for e in evaluations if e.error)
    if failed:
        text += f" · {failed} 项规则无法计算" if zh else f" · {failed} rule{'s' if failed != 1 else ''} could not be evaluated"
    if missed:
        text += f" · 错过 {missed} 次运行" if zh else f" · {missed} scheduled run{'s' if missed != 1 else ''} missed"
    unfresh = sum(1 for e in evaluations if e.status in ("stale", "no_data"))
    if unfresh:
        text += message("alerts.subject_unfresh", language, n=unfresh)
    return text


def format_day(day: dt.date | None, language: str) -> str:
    """A date as the digest writes it (``2025年12月31日`` / ``2025-12-31``); ``""`` for none."""
    if day is None:
        return ""
    return message("alerts.day", language, year=day.year, month=day.month, day=day.day, iso=day.isoformat())


def _missed_view(rule: Rule | None, item: Any, language: str) -> dict[str, Any]:
    zone = rule.schedule if rule is not None else None
    fmt = "%Y-%m-%d %H:%M"

    def local(when: dt.datetime) -> str:
        return zone.local(when).strftime(fmt) if zone is not None else when.strftime(fmt + " UTC")

    reason = str(item.reason)
    return {"rule": item.rule_id, "count": item.count, "first": local(item.fire), "last": local(item.last_fire),
            "error": reason.removeprefix("error: ") if reason.startswith("error: ") else None}


# -- rendering -------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                       autoescape=lambda name: bool(name) and ".html" in name, trim_blocks=True, lstrip_blocks=True)


def _row_view(bi: Any, rule: Rule, row: MemberResult) -> dict[str, Any]:
    """A member's period value, previous value and change (a rate's change in points), and -- for an
    anomaly rule -- the flagged bucket on a line of its own: the period value is the period's."""
    label = bi.members.label(rule.spec.breakdown, row.member, rule.language) if row.member and rule.spec.breakdown \
        else ""
    fmt, unit = metric_format(bi.model, rule.metric)
    if fmt == "percent" and row.value is not None and row.previous is not None:
        change = format_delta(row.value - row.previous, fmt, unit, rule.language)
    else:
        change = format_change(row.change_pct)
    point = None
    if row.point is not None:
        grain = getattr(rule.spec.condition, "grain", "day")
        point = {"when": format_bucket(row.point.at, grain, rule.language, long=True),
                 "value": _fmt(bi, rule, row.point.actual), "expected": _fmt(bi, rule, row.point.expected),
                 "deviation": format_change(row.point.deviation), "bad": _bad(bi, rule, row.point.deviation)}
    return {"label": label, "value": _fmt(bi, rule, row.value), "previous": _fmt(bi, rule, row.previous),
            "change": change, "triggered": row.triggered, "point": point,
            "direction": "down" if (row.change_pct or 0) < 0 else "up", "bad": _bad(bi, rule, row.change_pct)}


def _bad(bi: Any, rule: Rule, change: float | None) -> bool:
    """Red or green: a rise is bad for metrics whose favourable direction is down (churn, dropped calls)."""
    if not change:
        return False
    favorable = getattr(bi.model.metrics.get(rule.metric), "favorable", "up") or "up"
    if favorable == "none":
        return False
    return (change < 0) == (favorable == "up")


def _compared_period(ev: Evaluation) -> tuple[dt.date, dt.date]:
    cond = ev.rule.spec.condition
    mode = cond.compare if isinstance(cond, ChangeCondition) else "previous_period"
    return compare_period(ev.period, mode)


def _view(bi: Any, ev: Evaluation, key: str) -> dict[str, Any]:
    rule, lang = ev.rule, ev.rule.language
    rows = [_row_view(bi, rule, r) for r in ev.rows]
    head = _row_view(bi, rule, ev.headline) if ev.headline is not None else None
    fmt, unit = metric_format(bi.model, rule.metric)
    return {
        "id": rule.id,
        "title": rule_subject(bi, rule),
        "headline": _headline_text(bi, ev) if ev.triggered else rule_subject(bi, rule),
        "period": format_period(ev.period[0], ev.period[1], lang),
        # the period the tiles' "compared" value is from (an anomaly rule's root cause may use another,
        # which its own sentence names)
        "baseline": format_period(*_compared_period(ev), lang) if ev.baseline else "",
        "condition": _condition_text(bi, rule),
        "head": head,
        "members": [r for r in rows if r["label"]][:12],
        "breakdown": bi.model.label(rule.spec.breakdown, lang) if rule.spec.breakdown else "",
        # the drivers the app's "why" card lists, in the measure its waterfall shows
        "contributors": [{"label": c.label, "change": format_delta(c.change, fmt, unit, lang),
                          "excess": c.measure == "excess",
                          "share": format_share(c.share, lang) if c.share is not None else None}
                         for c in ev.contributors],
        "root_cause_text": ev.root_cause_text,
        "cid": f"chart-{rule.id}.{key[:12]}@chatbi" if ev.chart_png else None,
        "error": ev.error,
        "notes": list(ev.notes),
        # how fresh the data was (chatbi.alerts.freshness): a stale or missing period is announced
        "freshness": ev.status if ev.status in ("stale", "no_data") else "fresh",
        "data_end": format_day(ev.data_end, lang),
        "expected_end": format_day(ev.expected_end, lang),
    }


def render_digest(bi: Any, group: DigestGroup, evaluations: Sequence[Evaluation], *, key: str, sender: str,
                  dashboard_url: str | None = None, when: dt.datetime | None = None,
                  missed: Sequence[Any] = ()) -> RenderedDigest:
    """Render one digest to MIME bytes (``multipart/alternative`` of text and ``related`` HTML + PNGs).

    ``missed`` (:class:`~chatbi.alerts.firestate.MissedFire`) and the evaluations that failed are
    announced at the top, before any numbers: a digest never looks "all clear" when it is not.
    """
    lang = group.language
    when = when or dt.datetime.now(dt.UTC)
    views = [_view(bi, ev, key) for ev in evaluations]
    by_id = {r.id: r for r in group.rules}
    missed_views = []
    for item in missed:
        view = _missed_view(by_id.get(item.rule_id), item, lang)
        view["title"] = rule_subject(bi, by_id[item.rule_id]) if item.rule_id in by_id else item.rule_id
        missed_views.append(view)
    context = {
        "subject": subject_line(bi, evaluations, lang, sum(int(m.count) for m in missed)),
        "failed": [v for v, ev in zip(views, evaluations) if ev.error],
        "missed": missed_views,
        # data missing for the period, or older than the schedule implies: announced like failures
        "stale": [v for v, ev in zip(views, evaluations) if ev.status in ("stale", "no_data")],
        "triggered": [v for v, ev in zip(views, evaluations) if ev.triggered],
        # a rule that could not be evaluated, or had no data to look at, did not "not trigger"
        "quiet": [v for v, ev in zip(views, evaluations)
                  if not ev.triggered and not ev.error and ev.status != "no_data"],
        "dashboard_url": dashboard_url,
        "generated": when.astimezone(group.rules[0].schedule.zone).strftime("%Y-%m-%d %H:%M %Z"),
    }
    html = _env().get_template(f"digest.{lang}.html.j2").render(**context)
    text = _env().get_template(f"digest.{lang}.txt.j2").render(**context)
    message_id = message_id_for(key, sender)

    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Subject"] = context["subject"]
    msg["From"] = sender
    msg["To"] = ", ".join(group.recipients)
    msg["Date"] = email.utils.format_datetime(when)
    msg["Message-ID"] = message_id
    msg["X-ChatBI-Digest"] = key
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies to a robot
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    html_part = msg.get_payload()[1]  # type: ignore[index]
    for view, ev in zip(views, evaluations):
        if view["cid"] and ev.chart_png:
            html_part.add_related(ev.chart_png, maintype="image", subtype="png", cid=f"<{view['cid']}>",
                                  filename=f"{ev.rule.id}.png", disposition="inline")
    return RenderedDigest(key, message_id, context["subject"], html, text, msg.as_bytes(),
                          sum(ev.triggered for ev in evaluations))
