"""Result tables for people and for files: headers and members in the reader's language, numbers
through the one number layer (:mod:`.numbers`).

- :func:`table_columns` -- what each result column is (member, time bucket, metric) and its header
  (``收入（元）`` / ``Revenue (¥)``), from the same labels as the chart.
- :func:`display_rows` -- the rows as the app's data tab shows them: member names in the language,
  buckets at their grain, metrics compact (``8.81 亿元``) plus, where masking allows, the exact
  value (``881,286,310.47``) in a column of its own.
- :func:`csv_text` -- the CSV download: localized headers with units, localized members, ISO time
  buckets, numbers without float noise (a spreadsheet can sum them), UTF-8 with a BOM for Excel.
- :func:`csv_filename` -- ``revenue_by_province_2025-11.csv`` from the query and its period.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from semantic_layer import SemanticModel, SemanticQuery
from semantic_layer.model import DimensionRef

from ..csvsafe import to_csv
from ..messages import message
from ..values import is_missing
from .formatting import column_format, format_bucket, iso_bucket, lang_of, member_label, text, unit_label
from .numbers import clean_number, format_change, format_delta, format_exact, format_share, format_value

__all__ = ["TableColumn", "clean_records", "csv_filename", "csv_text", "display_rows", "exact_frame", "machine_frame",
           "table_columns"]

_SAFE = re.compile(r"[^0-9A-Za-z]+")
#: percentages in a CSV keep four decimals (1.8778 %), the fraction's sixth: past any reading
_PERCENT_DECIMALS = 4

@dataclass(frozen=True)
class TableColumn:
    """One result column: ``kind`` is ``member`` | ``time`` | ``metric``; ``exact_key`` names the
    extra exact-value column of a metric (``None`` where the value is masked or derived)."""

    key: str
    label: str
    kind: str
    fmt: str = "number"
    unit: str = ""
    grain: str | None = None
    dimension: str | None = None
    suffix: str = ""
    exact_key: str | None = None
    exact_label: str = ""


def _metric_header(model: SemanticModel | None, base: str, suffix: str, compare: str | None, lang: str) -> str:
    name = model.label(base, lang) if model is not None else base
    if suffix == "previous":
        word = text(compare or "previous_period", lang)
        word = word[:1].lower() + word[1:] if message("common.sentence_case", lang) == "yes" else word
        return message("table.previous", lang, name=name, word=word)
    if suffix in ("change", "change_pct", "share", "runner_up", "runner_up_lowest"):
        return message(f"table.{suffix}", lang, name=name)
    return name


def _with_unit(label: str, fmt: str, unit: str, lang: str, suffix: str) -> str:
    if suffix in ("change_pct", "share"):
        return label
    shown = text("pp", lang) if fmt == "percent" and suffix == "change" else unit_label(fmt, unit, lang)
    return message("chart.axis_title", lang, label=label, unit=shown) if shown else label


def table_columns(query: SemanticQuery | None, frame: pd.DataFrame, model: SemanticModel | None,
                  language: str) -> list[TableColumn]:
    """The columns of ``frame`` (the result of ``query``) with headers in ``language``."""
    lang = lang_of(language)
    refs = {r.column: r for r in map(DimensionRef.parse, query.dimensions)} if query is not None else {}
    metrics = set(query.metrics) if query is not None else set()
    masked = set(frame.attrs.get("masked", ()))
    compare = query.compare if query is not None else None
    # the second of a "lowest" ranking is the second lowest (倒数第二), not the second best (第二名)
    lowest = query is not None and bool(query.order_by) and not query.order_by[0].startswith("-")
    second_word = "runner_up_lowest" if lowest else "runner_up"
    out: list[TableColumn] = []
    for raw in frame.columns:
        key = str(raw)
        ref = refs.get(key)
        base, _, suffix = key.partition("__")
        is_time = ref is not None and (ref.grain is not None or (model is not None and ref.name in model.dimensions
                                                                 and model.dimensions[ref.name].type == "time"))
        if ref is not None and is_time:
            grain = ref.grain or "day"
            out.append(TableColumn(key, message(f"table.grain.{grain}", lang), "time", grain=grain, dimension=ref.name))
        elif key.endswith("__runner_up") and key[:-11] in refs:  # who came second (a winner's query)
            second = refs[key[:-11]]
            header = _metric_header(model, second.name, second_word, compare, lang)
            if second.grain is not None:
                out.append(TableColumn(key, header, "time", grain=second.grain, dimension=second.name))
            else:
                out.append(TableColumn(key, header, "member", dimension=second.name))
        elif ref is not None or (key not in metrics and base not in metrics
                                 and not pd.api.types.is_numeric_dtype(frame[raw])):
            name = ref.name if ref is not None else key
            label = model.label(name, lang) if model is not None else name
            out.append(TableColumn(key, label, "member", dimension=name))
        else:
            fmt, unit = column_format(model, key)
            metric_suffix = suffix if base in metrics or base in (model.metrics if model is not None else {}) else ""
            worded = second_word if metric_suffix == "runner_up" else metric_suffix
            label = _with_unit(_metric_header(model, base if metric_suffix else key, worded, compare, lang),
                               fmt, unit, lang, metric_suffix)
            numeric = pd.api.types.is_numeric_dtype(frame[raw]) and not pd.api.types.is_bool_dtype(frame[raw])
            exact = numeric and not metric_suffix and key not in masked
            exact_label = message("table.exact", lang, label=label) if exact else ""
            out.append(TableColumn(key, label, "metric", fmt, unit, suffix=metric_suffix,
                                   exact_key=f"{key}__exact" if exact else None, exact_label=exact_label))
    return out


def _cell(column: TableColumn, value: Any, lang: str, members: Any) -> str:
    if column.kind == "time":
        return format_bucket(value, column.grain, lang)
    if column.kind == "member":
        return member_label(members, column.dimension or column.key, value, lang)
    if column.suffix == "change_pct":
        return format_change(value, lang)
    if column.suffix == "share":
        return format_share(value, lang)
    if column.suffix == "change":
        return format_delta(value, column.fmt, column.unit, lang)
    return format_value(value, column.fmt, column.unit, lang)


def display_rows(frame: pd.DataFrame, columns: Sequence[TableColumn], language: str, *, members: Any = None,
                 limit: int | None = None) -> list[dict[str, str]]:
    """Rows of display strings keyed by column (and ``<metric>__exact`` for exact values)."""
    lang = lang_of(language)
    shown = frame if limit is None else frame.head(limit)
    rows: list[dict[str, str]] = []
    for record in shown.itertuples(index=False, name=None):
        row: dict[str, str] = {}
        for column, value in zip(columns, record):
            row[column.key] = _cell(column, value, lang, members)
            if column.exact_key:
                row[column.exact_key] = format_exact(value, column.fmt, column.unit, lang)
        rows.append(row)
    return rows


def _csv_value(column: TableColumn, value: Any, lang: str, members: Any) -> Any:
    if column.kind == "time":
        return iso_bucket(value, column.grain)
    if column.kind == "member":
        return member_label(members, column.dimension or column.key, value, lang)
    if column.fmt == "percent" or column.suffix in ("change_pct", "share"):
        # a rate in percent (header "(%)"), its change in points, a relative change or share in percent
        number = clean_number(value)
        return None if number is None else round(number * 100, _PERCENT_DECIMALS)
    return clean_number(value, column.fmt) if pd.api.types.is_number(value) or value is None else value


def _csv_header(column: TableColumn, lang: str) -> str:
    if column.suffix in ("change_pct", "share") and "%" not in column.label:
        return message("chart.axis_title", lang, label=column.label, unit="%")
    return column.label


def csv_text(frame: pd.DataFrame, columns: Sequence[TableColumn], language: str, *, members: Any = None) -> str:
    """The whole result as CSV for a spreadsheet (UTF-8 with a BOM, so Excel reads Chinese)."""
    lang = lang_of(language)
    data = {_csv_header(c, lang): [_csv_value(c, v, lang, members) for v in frame[c.key].tolist()] for c in columns}
    # cells and headers a spreadsheet would run as formulas are written as text (chatbi.csvsafe)
    return "\ufeff" + to_csv(pd.DataFrame(data))


def _slug(text_: str) -> str:
    return _SAFE.sub("_", text_).strip("_").lower()


def csv_filename(query: SemanticQuery | None, period: tuple[Any, Any] | None, *, fallback: str = "result",
                 today: dt.date | None = None) -> str:
    """A file name that says what is inside: ``revenue_by_province_2025-11.csv``.

    Names come from the model's identifiers (ASCII, safe on every file system); the period is a
    month, a quarter, a year or ``start_to_end``.
    """
    parts: list[str] = []
    if query is not None:
        parts.append("_and_".join(_slug(m) for m in query.metrics[:3]) or "members")
        dims = [_slug(DimensionRef.parse(d).grain or DimensionRef.parse(d).name) for d in query.dimensions]
        if dims:
            parts.append("by_" + "_and_".join(dims[:3]))
    else:
        parts.append(_slug(fallback) or "result")
    if period:
        parts.append(_period_slug(period))
    elif query is None:
        parts.append((today or dt.date.today()).isoformat())
    name = "_".join(p for p in parts if p)[:120].strip("_")
    return f"{name or 'result'}.csv"


def _period_slug(period: tuple[Any, Any]) -> str:
    start, end = (dt.date.fromisoformat(str(p)[:10]) for p in period)
    after = end + dt.timedelta(days=1)
    if start.day == 1 and after.day == 1:
        months = (after.year - start.year) * 12 + after.month - start.month
        if months == 1:
            return f"{start.year}-{start.month:02d}"
        if months == 3 and start.month in (1, 4, 7, 10):
            return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
        if months == 12 and start.month == 1:
            return str(start.year)
    return f"{start.isoformat()}_to_{end.isoformat()}"


def _is_number_column(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def machine_frame(frame: pd.DataFrame, query: SemanticQuery | None, model: SemanticModel | None) -> pd.DataFrame:
    """The result for machines (``--format csv|json``): the same columns and raw members, numbers
    without float noise (counts whole, money to the cent), time buckets as ISO text at their grain."""
    grains = {r.column: r.grain for r in map(DimensionRef.parse, query.dimensions)} if query is not None else {}
    out = pd.DataFrame(index=frame.index)
    for raw in frame.columns:
        key, series = str(raw), frame[raw]
        if pd.api.types.is_datetime64_any_dtype(series) or grains.get(key):
            out[key] = [iso_bucket(v, grains.get(key) or "day") or None for v in series.tolist()]
        elif _is_number_column(series):
            fmt, _unit = column_format(model, key)
            out[key] = pd.Series([clean_number(v, fmt) for v in series.tolist()], index=frame.index, dtype=object)
        else:
            out[key] = series
    return out


def clean_records(frame: pd.DataFrame, query: SemanticQuery | None, model: SemanticModel | None) -> list[dict[str, Any]]:
    """:func:`machine_frame` as JSON-ready records (missing values are ``None``)."""
    records = machine_frame(frame, query, model).astype(object).to_dict("records")
    return [{str(k): (None if is_missing(v) else v) for k, v in row.items()} for row in records]


def exact_frame(frame: pd.DataFrame, query: SemanticQuery | None, model: SemanticModel | None,
                language: str = "en") -> pd.DataFrame:
    """The result as text for a terminal table: every number exact and grouped, never scientific
    (``64,215,130,000.00``, ``4.8640%``), time buckets at their grain."""
    grains = {r.column: r.grain for r in map(DimensionRef.parse, query.dimensions)} if query is not None else {}
    out = pd.DataFrame(index=frame.index)
    for raw in frame.columns:
        key, series = str(raw), frame[raw]
        if pd.api.types.is_datetime64_any_dtype(series) or grains.get(key):
            out[key] = [iso_bucket(v, grains.get(key) or "day") for v in series.tolist()]
        elif _is_number_column(series):
            fmt, unit = column_format(model, key)
            if key.endswith(("__change_pct", "__share")):
                out[key] = [format_change(v, language) if key.endswith("__change_pct") else format_share(v, language)
                            for v in series.tolist()]
            elif key.endswith("__change") and fmt == "percent":  # a rate's change is in points
                out[key] = [format_delta(v, fmt, unit, language) for v in series.tolist()]
            else:
                out[key] = [format_exact(v, fmt, unit, language) for v in series.tolist()]
        else:
            out[key] = ["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in series.tolist()]
    return out
