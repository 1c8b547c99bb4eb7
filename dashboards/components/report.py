"""A root-cause report (``chatbi.analysis``) as a card section: its drivers table and details.

The table is the report's ranked drivers (``RootCauseReport.drivers``) -- the rows its summary
and its waterfall are written from -- under the name of the measure the waterfall shows
("比预期" / "vs expected", or "变化" / "Change"), with every number through the one number
layer: 万/亿 or K/M/B, whole counts, rates in points. A drill-down row sits under its parent
with its share *of the parent*, so no column invites adding overlapping shares.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from chatbi.charts.numbers import format_delta, format_share, format_value

from ..i18n import t
from .chart import GRAPH_CONFIG, chart_box
from .figures import fit_figure

__all__ = ["report_section", "drivers_table", "GRAPH_CONFIG"]


#: the baseline and current columns: the card's text and waterfall carry them, so a phone hides
#: them (chatbi.css) and keeps the driver, its measure and its share on the screen
_CONTEXT = "driver-context"


def _format_of(chatbi: Any, report: Any) -> tuple[str, str]:
    spec = chatbi.model.metrics.get(report.metric) if chatbi is not None else None
    return (spec.format, spec.unit) if spec is not None else ("number", "")


def drivers_table(report: Any, lang: str, *, chatbi: Any = None) -> Any:
    """The drivers as a table (None when the report has none)."""
    from chatbi.analysis.narrative import measure_label, share_label

    table = getattr(report, "drivers", None)
    if table is None or not table.rows:
        return None
    fmt, unit = _format_of(chatbi, report)
    lang = report.language or lang
    excess = table.measure == "excess"
    head = [t("report.label", lang), t("report.baseline", lang), t("report.current", lang)]
    if excess:
        head.append(t("report.expected", lang))
    head += [measure_label(table, report.kind, lang)]
    if table.additive:
        head.append(share_label(table, lang))
    body = []
    for row in table.rows:
        child = row.depth > 0
        label = (t("report.of_which", lang, label=row.label) if child else row.label)
        cells = [html.Td(label, className="driver-child" if child else "driver"),
                 html.Td(format_value(row.baseline, fmt, unit, lang), className=_CONTEXT),
                 html.Td(format_value(row.current, fmt, unit, lang), className=_CONTEXT)]
        if excess:
            cells.append(html.Td(format_value(row.expected, fmt, unit, lang)))
        cells.append(html.Td(format_delta(row.impact, fmt, unit, lang)))
        if table.additive:
            share = "—" if row.share is None else format_share(row.share, lang)
            cells.append(html.Td(t("report.of_parent", lang, share=share) if child else share))
        body.append(html.Tr(cells, className="driver-row" + (" driver-drill" if child else "")))
    return html.Div([
        html.H6(t("card.contributors", lang), className="mt-2"),
        dbc.Table([html.Thead(html.Tr([html.Th(h, className=_CONTEXT if i in (1, 2) else None)
                                       for i, h in enumerate(head)])), html.Tbody(body)],
                  size="sm", hover=True, responsive=True, className="contributors mb-0"),
    ])


def report_section(report: Any, lang: str, *, key: str, text: str | None = None, figure: bool = True,
                   chatbi: Any = None) -> html.Div:
    """The report's text (unless the card already shows it), waterfall, drivers and details."""
    parts: list[Any] = []
    summary = getattr(report, "text", None) or getattr(report, "summary", None)
    if summary and summary != text:
        parts.append(html.P(str(summary), className="report-text mb-2"))
    fig = getattr(report, "figure", None)
    if figure and fig is not None:
        parts.append(chart_box(fit_figure(fig), lang, container="report", graph_id={"type": "report-graph", "answer": key},
                               class_name="report-graph"))
    table = drivers_table(report, lang, chatbi=chatbi)
    if table is not None:
        parts.append(table)
    details = tuple(getattr(report, "details", ()) or ())
    if details:
        parts.append(html.Details([html.Summary(t("report.details", report.language or lang), className="small"),
                                   *[html.P(d, className="small text-muted mb-1") for d in details]],
                                  className="report-details mt-2"))
    return html.Div(parts, className="report-section")
