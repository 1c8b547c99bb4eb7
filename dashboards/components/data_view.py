"""The data and SQL tabs of an answer card: a sortable table in the page's language with a CSV
download, and the SQL (copyable, editable, re-runnable through the SQL guard). Headers, members
and numbers come from ``chatbi.charts.tables`` -- the same labels and number layer as the chart.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dash_table, dcc, html

from chatbi.charts.tables import TableColumn, display_rows, table_columns

from ..i18n import t

__all__ = ["data_table", "sql_editor", "sorted_rows", "table_of", "TABLE_ROWS"]

#: rows shipped to the browser table; the CSV download has them all
TABLE_ROWS = 500


def _members(chatbi: Any) -> Any:
    try:
        return chatbi.members
    except Exception:  # noqa: BLE001 - member names only decorate cells
        return None


def table_of(chatbi: Any, answer: Any, lang: str) -> tuple[Any, pd.DataFrame, list[TableColumn]] | None:
    """(the query the rows answer, the rows, their columns in ``lang``); a custom SQL result is read
    as a query (``chatbi.charts.frames``) so its columns get the model's labels where names match."""
    from chatbi.charts.frames import frame_query

    frame = answer.data
    if frame is None:
        return None
    query = answer.query
    if query is None:
        read = frame_query(frame)
        if read is not None:
            query, renamed = read
            renamed.attrs.update(frame.attrs)
            frame = renamed
    return query, frame, table_columns(query, frame, chatbi.model, lang)


def sorted_rows(chatbi: Any, answer: Any, lang: str, sort_by: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    """The table's rows sorted by a column's underlying values (not by the shown text: 9.8 亿 < 10 亿)."""
    found = table_of(chatbi, answer, lang)
    if found is None:
        return []
    _query, frame, columns = found
    if sort_by:
        key = str(sort_by[0].get("column_id", ""))
        key = key.removesuffix("__exact") if key not in frame.columns else key
        if key in frame.columns:
            frame = frame.sort_values(key, ascending=sort_by[0].get("direction") != "desc", kind="stable",
                                      na_position="last")
    return display_rows(frame, columns, lang, members=_members(chatbi), limit=TABLE_ROWS)


def data_table(chatbi: Any, answer: Any, answer_id: str, *, lang: str) -> html.Div:
    """The data tab: localized headers and cells, an exact-value column per metric, sortable."""
    found = table_of(chatbi, answer, lang)
    if found is None:
        return html.Div()
    _query, frame, columns = found
    spec: list[dict[str, Any]] = []
    right: list[str] = []
    for column in columns:
        spec.append({"id": column.key, "name": column.label})
        if column.kind == "metric":
            right.append(column.key)
        if column.exact_key:
            spec.append({"id": column.exact_key, "name": column.exact_label})
            right.append(column.exact_key)
    table = dash_table.DataTable(
        id={"type": "table", "answer": answer_id},
        columns=spec, data=display_rows(frame, columns, lang, members=_members(chatbi), limit=TABLE_ROWS),
        sort_action="custom", sort_mode="single", sort_by=[], page_action="native", page_size=10,
        style_table={"overflowX": "auto"},
        style_header={"fontWeight": "600", "backgroundColor": "#f8f9fa", "border": "none",
                      "borderBottom": "1px solid #dee2e6", "whiteSpace": "normal"},
        style_cell={"fontFamily": "inherit", "fontSize": "0.875rem", "padding": "6px 10px", "border": "none",
                    "borderBottom": "1px solid #f1f3f5", "textAlign": "left", "minWidth": "80px"},
        style_cell_conditional=[{"if": {"column_id": c}, "textAlign": "right"} for c in right],
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
