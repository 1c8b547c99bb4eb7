"""The data and SQL tabs of an answer card: a sortable table with CSV download, and the SQL
(copyable, editable, re-runnable through the SQL guard).
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dash_table, dcc, html
from dash.dash_table.Format import Format, Group, Scheme

from ..i18n import t

__all__ = ["data_table", "sql_editor", "TABLE_ROWS"]

#: rows shipped to the browser table; the CSV download has them all
TABLE_ROWS = 500
_PERCENT_SUFFIXES = ("__change_pct", "__share")


def _column_label(col: str, labels: dict[str, str], lang: str) -> str:
    base, _, suffix = col.partition("__")
    name = labels.get(base, base)
    if not suffix:
        return name
    words = {"previous": ("上期", "previous"), "change": ("变化", "change"), "change_pct": ("变化率", "change %"),
             "share": ("占比", "share")}
    if suffix in words:
        zh, en = words[suffix]
        return f"{name} {zh if lang == 'zh' else en}"
    return f"{name} ({t('grain.' + suffix, lang)})" if suffix in {"day", "week", "month", "quarter", "year"} else col


def _column_spec(col: str, series: pd.Series, labels: dict[str, str], lang: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"id": col, "name": _column_label(col, labels, lang)}
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        spec["type"] = "numeric"
        if col.endswith(_PERCENT_SUFFIXES):
            spec["format"] = Format(precision=1, scheme=Scheme.percentage)
        elif pd.api.types.is_integer_dtype(series):
            spec["format"] = Format(group=Group.yes)
        else:
            spec["format"] = Format(precision=2, scheme=Scheme.fixed, group=Group.yes)
    return spec


def _dates(values: pd.Series, grain: str) -> pd.Series:
    """Time buckets as people write them: 2025-11, 2025 Q3, 2025 (days keep the full date)."""
    if grain == "month":
        return values.dt.strftime("%Y-%m")
    if grain == "quarter":
        return values.dt.year.astype(str) + " Q" + values.dt.quarter.astype(str)
    if grain == "year":
        return values.dt.strftime("%Y")
    return values.dt.strftime("%Y-%m-%d")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = frame.head(TABLE_ROWS).copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = _dates(out[col], str(col).rpartition("__")[2])
        elif out[col].dtype == object:
            out[col] = out[col].map(lambda v: v if v is None or isinstance(v, (str, int, float, bool)) else str(v))
    # NaN is not valid JSON for the table; None shows as an empty cell
    return out.astype(object).where(out.notna(), None).to_dict("records")


def data_table(frame: pd.DataFrame | None, answer_id: str, *, labels: dict[str, str], lang: str) -> html.Div:
    if frame is None:
        return html.Div()
    columns = [_column_spec(str(c), frame[c], labels, lang) for c in frame.columns]
    table = dash_table.DataTable(
        id={"type": "table", "answer": answer_id},
        columns=columns, data=_records(frame.rename(columns=str)),
        sort_action="native", page_action="native", page_size=10,
        style_table={"overflowX": "auto"},
        style_header={"fontWeight": "600", "backgroundColor": "#f8f9fa", "border": "none",
                      "borderBottom": "1px solid #dee2e6"},
        style_cell={"fontFamily": "inherit", "fontSize": "0.875rem", "padding": "6px 10px", "border": "none",
                    "borderBottom": "1px solid #f1f3f5", "textAlign": "left", "minWidth": "80px"},
        style_cell_conditional=[{"if": {"column_type": "numeric"}, "textAlign": "right"}],
    )
    return html.Div([
        html.Div([
            html.Small(t("card.rows", lang, n=len(frame)), className="text-muted"),
            dbc.Button(t("card.csv", lang), id={"type": "csv", "answer": answer_id}, size="sm",
                       color="secondary", outline=True, className="csv-button"),
        ], className="d-flex justify-content-between align-items-center mb-2"),
        table,
    ], className="pt-2")


def sql_editor(sql: str | None, answer_id: str, *, lang: str, editable: bool) -> html.Div:
    if not sql:
        return html.Div()
    area_id = {"type": "sql-edit", "answer": answer_id}
    controls: list[Any] = [
        dcc.Clipboard(target_id=area_id, title=t("card.copy", lang), className="btn btn-sm btn-outline-secondary sql-copy",
                      style={"display": "inline-block"}),
    ]
    if editable:
        controls.append(dbc.Button(t("card.run_sql", lang), id={"type": "sql-run", "answer": answer_id}, size="sm",
                                   color="primary", className="sql-run ms-2"))
    return html.Div([
        dcc.Textarea(id=area_id, value=sql, readOnly=not editable, spellCheck=False, className="sql-editor form-control",
                     style={"width": "100%", "minHeight": "9rem"}),
        html.Div([html.Small(t("card.sql_hint", lang), className="text-muted me-auto"), *controls],
                 className="d-flex align-items-center mt-2 gap-1"),
    ], className="pt-2")
