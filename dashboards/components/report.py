"""A root-cause report (``chatbi.analysis``) as a card section: summary, waterfall, contributors."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from chatbi.values import is_missing

from ..i18n import t
from .chart import GRAPH_CONFIG, chart_box
from .figures import fit_figure

__all__ = ["report_section", "contributor_rows", "contributors_table", "GRAPH_CONFIG"]

MAX_CONTRIBUTORS = 8


def _row(item: Any) -> dict[str, Any]:
    if isinstance(item, Mapping):
        return dict(item)
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return dataclasses.asdict(item)
    if hasattr(item, "model_dump"):
        return item.model_dump()
    if hasattr(item, "__dict__"):
        return {k: v for k, v in vars(item).items() if not k.startswith("_")}
    return {"value": item}


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, Mapping):
        return " × ".join(f"{v}" for v in value.values())
    if isinstance(value, (list, tuple)):
        return " × ".join(str(v) for v in value)
    return "" if value is None else str(value)


def contributor_rows(contributors: Any, limit: int = MAX_CONTRIBUTORS) -> list[dict[str, str]]:
    """Contributors of any shape (frame, dataclasses, dicts) as rows of display strings."""
    if contributors is None:
        return []
    if isinstance(contributors, pd.DataFrame):
        items: list[Any] = contributors.head(limit).to_dict("records")
    else:
        items = list(contributors)[:limit]
    rows = []
    for item in items:
        raw = _row(item)
        rows.append({str(k): _cell(v) for k, v in raw.items() if not isinstance(v, (pd.DataFrame, pd.Series))})
    return rows


_COLUMNS = ("label", "baseline", "current", "change", "share")


def _number(value: Any, percent: bool = False) -> str:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    if is_missing(x):
        return ""
    if percent:
        return f"{x:+.1%}" if x < 0 else f"{x:.1%}"
    return f"{x:+,.0f}" if abs(x) >= 100 else f"{x:+,.4g}"


def contributors_table(report: Any, lang: str, limit: int = MAX_CONTRIBUTORS) -> Any:
    """The report's top drivers: who (label), before, after, change, share of the total change."""
    frame = report.to_frame() if callable(getattr(report, "to_frame", None)) else None
    if isinstance(frame, pd.DataFrame) and set(_COLUMNS) <= set(frame.columns):
        head = [t(f"report.{c}", lang) for c in _COLUMNS]
        body = [html.Tr([html.Td(str(r["label"])), html.Td(_number(r["baseline"]).lstrip("+")),
                         html.Td(_number(r["current"]).lstrip("+")), html.Td(_number(r["change"])),
                         html.Td(_number(r["share"], percent=True))])
                for _, r in frame.head(limit).iterrows()]
    else:  # any other report shape: show its contributors' own fields
        rows = contributor_rows(getattr(report, "contributors", None), limit)
        if not rows:
            return None
        columns = list(dict.fromkeys(k for r in rows for k in r))
        head = columns
        body = [html.Tr([html.Td(r.get(c, "")) for c in columns]) for r in rows]
    return html.Div([
        html.H6(t("card.contributors", lang), className="mt-2"),
        dbc.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)],
                  size="sm", hover=True, responsive=True, className="contributors mb-0"),
    ])


def report_section(report: Any, lang: str, *, key: str, text: str | None = None, figure: bool = True) -> html.Div:
    """The report's text (unless the card already shows it), waterfall figure and top contributors."""
    parts: list[Any] = []
    summary = getattr(report, "text", None) or getattr(report, "summary", None)
    if summary and summary != text:
        parts.append(html.P(str(summary), className="report-text mb-2"))
    fig = getattr(report, "figure", None)
    if figure and fig is not None:
        parts.append(chart_box(fit_figure(fig), lang, container="report", graph_id={"type": "report-graph", "answer": key},
                               class_name="report-graph"))
    table = contributors_table(report, lang)
    if table is not None:
        parts.append(table)
    return html.Div(parts, className="report-section")
