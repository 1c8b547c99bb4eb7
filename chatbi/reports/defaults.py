"""The report a model gets without writing a spec: its headline metrics, its first hierarchy, its anomalies.

Headline metrics are what the model itself says matters: the roots of its metric trees and their
parts (revenue = subscribers x ARPU), then the metrics it watches for going the wrong way
(``favorable: down``: churn, complaints, dropped calls). The breakdown level is the finest level of
the first hierarchy that still reads as a chart (at most 15 members: province, not city).
"""

from __future__ import annotations

from typing import Any

from semantic_layer import SemanticModel
from semantic_layer.spec import SimpleMetricSpec

from .catalog import say
from .spec import (
    AnomaliesSpec,
    BreakdownSpec,
    KpiSpec,
    LocalText,
    ReportSpec,
    RootCauseSpec,
    TrendSpec,
)

__all__ = ["default_spec", "headline_metrics", "breakdown_level", "DEFAULT_NAME"]

DEFAULT_NAME = "default"
MAX_HEADLINE = 12
MAX_TREND = 4
MAX_BREAKDOWN_MEMBERS = 15


def headline_metrics(model: SemanticModel) -> tuple[str, ...]:
    """Metric-tree roots and their parts, then ``favorable: down`` metrics, in the model's order."""
    visible = model.visible_metrics
    chosen: set[str] = set()
    for tree in model.metric_trees.values():
        chosen.update(m for m in (tree.metric, *tree.children) if m in visible)
    chosen.update(m for m in visible if model.metric(m).favorable == "down")
    if len(chosen) < 4:  # a model without trees: the first metrics of each fact table
        for fact in model.fact_tables:
            chosen.update([m for m in visible if fact in model.metric_tables(m)][:3])
    ordered = [m for m in visible if m in chosen]
    return tuple(ordered[:MAX_HEADLINE])


def _trend_metrics(model: SemanticModel, headline: tuple[str, ...]) -> tuple[str, ...]:
    roots = [t.metric for t in model.metric_trees.values() if t.metric in headline]
    return tuple(dict.fromkeys([*roots, *headline]))[:MAX_TREND]


def _summable(model: SemanticModel, metric: str) -> bool:
    """Sums and counts: their anomalies are where things happen (ratios mirror their numerators)."""
    spec = model.metric(metric)
    return isinstance(spec, SimpleMetricSpec) and spec.agg in ("sum", "count")


def breakdown_level(model: SemanticModel, members: Any = None, metric: str | None = None) -> str | None:
    """The finest level of the first hierarchy with at most 15 members (that ``metric`` reaches)."""
    time_dim = model.time_dimension
    tables = model.metric_tables(metric) if metric else ()
    for hierarchy in model.hierarchies.values():
        levels = [lv for lv in hierarchy.levels if lv.partition(".")[0] != time_dim and lv in model.dimensions
                  and all(model.reachable(t, lv) for t in tables)]
        if not levels:
            continue
        best = levels[0]
        for level in levels:
            count = len(members.values(level)) if members is not None else len(model.dimension(level).members)
            if 0 < count <= MAX_BREAKDOWN_MEMBERS:
                best = level
        return best
    return None


def default_spec(model: SemanticModel, members: Any = None) -> ReportSpec:
    """The default report of ``model`` (see the module docstring)."""
    grains = model.dimension(model.time_dimension).grains
    unit = "month" if "month" in grains else grains[0]
    headline = headline_metrics(model)
    if not headline:
        headline = model.visible_metrics[:6]
    first = headline[0]
    level = breakdown_level(model, members, first)
    label = LocalText(zh=model.spec.label.get("zh") or model.name, en=model.spec.label.get("en") or model.name)
    title = LocalText(zh=say("default.title", "zh", model=label.zh), en=say("default.title", "en", model=label.en))
    summable = tuple(m for m in headline if _summable(model, m)) or headline[:4]
    sections: list[Any] = [
        KpiSpec(type="kpis", metrics=headline),
        TrendSpec(type="trend", metrics=_trend_metrics(model, headline)),
    ]
    if level is not None:
        sections.append(BreakdownSpec(type="breakdown", metric=first, by=level))
    anomaly_level = breakdown_level(model, members, summable[0])
    sections.append(AnomaliesSpec(type="anomalies", metrics=summable, by=anomaly_level))
    sections.append(RootCauseSpec(type="root_cause", metrics=(first,), largest=2))
    return ReportSpec(name=DEFAULT_NAME, model=model.name, title=title, period=unit, sections=tuple(sections))
