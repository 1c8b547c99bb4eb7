"""An answer that is a whole business report ("生成11月经营分析报告"): its highlights and links to the
Reports page (the full report in a frame) and to the PDF."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from ..i18n import t

__all__ = ["business_report_card", "is_business_report"]


def is_business_report(answer: Any) -> bool:
    return getattr(answer, "intent", "") == "report" and hasattr(answer.report, "sections")


def business_report_card(answer: Any, answer_id: str, lang: str) -> Any:
    from chatbi.reports.period import period_value
    from chatbi.reports.scope import scope_text

    from ..pages.reports_service import report_query

    report = answer.report
    # the links open this report: its period and its members ("广东的…报告"), never the whole business
    query = report_query(report.name, period_value(report.period, report.unit), report.language,
                         scope_text(report.scope) or None)
    return dbc.Card(dbc.CardBody([
        html.Div(report.model_label, className="small text-primary fw-semibold"),
        html.H5(f"{report.title} · {report.period_label}", className="mb-2"),
        html.Ul([html.Li(line) for line in report.summary], className="answer-text mb-2 report-highlights"),
        html.Div([
            html.A(t("reports.open", lang), href=f"/reports?{query}", className="btn btn-primary btn-sm"),
            html.A(t("reports.pdf", lang), href=f"/reports/download?{query}&format=pdf", download="",
                   className="btn btn-outline-secondary btn-sm"),
            html.A(t("reports.html", lang), href=f"/reports/download?{query}&format=html", download="",
                   className="btn btn-outline-secondary btn-sm"),
        ], className="d-flex flex-wrap gap-2"),
    ]), className="answer-card answer-ok answer-report", id={"type": "card", "answer": answer_id})
