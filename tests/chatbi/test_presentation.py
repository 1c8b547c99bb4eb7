"""One number, every surface: the sentence, the chart's bar labels, hovers and ticks, the data
table, the CSV and the email show the same number through the one number layer
(``chatbi.charts.numbers``), in Chinese and in English -- money, rates and rate changes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from chatbi.alerts import load_rules
from chatbi.alerts.digest import DigestGroup, render_digest
from chatbi.alerts.evaluate import evaluate_rule
from chatbi.charts.numbers import clean_number, format_delta, format_tick, format_value
from chatbi.charts.tables import csv_text, display_rows, table_columns
from semantic_layer import SemanticQuery

NOV = ("2025-11-01", "2025-11-30")
GD = {"zh": "广东", "en": "Guangdong"}


def _digest_html(bi, tmp_path: Path, lang: str, rule: dict) -> str:
    doc = {"version": 1, "defaults": {"timezone": "Asia/Shanghai", "language": lang}, "rules": {"r": rule}}
    path = tmp_path / f"rules-{lang}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    (loaded,) = load_rules(path, bi.model, bi.members.as_sets())
    evaluation = evaluate_rule(bi, loaded, (dt.date(2025, 11, 1), dt.date(2025, 11, 30)))
    group = DigestGroup(("ops@example.com",), lang, (loaded,))
    return render_digest(bi, group, [evaluation], key="surfaces" * 8, sender="chatbi@example.com").html


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_money_reads_the_same_everywhere(sample_bi, tmp_path, lang) -> None:
    query = SemanticQuery(metrics=["revenue"], dimensions=["province"], time_range=NOV)
    answer = sample_bi.run(query, language=lang)
    raw = float(answer.data.set_index("province").loc["广东", "revenue"])
    shown = format_value(raw, "currency", "CNY", lang)
    assert shown == ("8.81 亿元" if lang == "zh" else "¥881M")
    assert shown in answer.text  # the sentence
    bar = answer.figure.data[0]  # the chart: bar label and hover
    labels = list(bar.y if bar.orientation == "h" else bar.x)
    at = labels.index(GD[lang])
    assert bar.text[at] == shown and bar.customdata[at] == shown
    axis = answer.figure.layout.xaxis if bar.orientation == "h" else answer.figure.layout.yaxis
    assert list(axis.ticktext) == [format_tick(v, "currency", "CNY", lang) for v in axis.tickvals]  # the ticks
    columns = table_columns(query, answer.data, sample_bi.model, lang)  # the data tab
    rows = display_rows(answer.data, columns, lang, members=sample_bi.members)
    row = next(r for r in rows if r["province"] == GD[lang])
    assert row["revenue"] == shown and row["revenue__exact"] == f"{raw:,.2f}"
    csv = csv_text(answer.data, columns, lang, members=sample_bi.members).lstrip("\ufeff").splitlines()
    assert f"{GD[lang]},{clean_number(raw, 'currency')}" in csv  # the CSV: the value, without float noise
    html = _digest_html(sample_bi, tmp_path, lang, {  # the email
        "metric": "revenue", "filters": {"province": "广东"}, "period": {"unit": "month", "offset": 1},
        "condition": {"type": "threshold", "op": ">", "value": 1}, "schedule": {"cron": "0 9 1 * *"},
        "recipients": ["ops@example.com"]})
    assert f">{shown}<" in html


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rates_and_their_changes_read_the_same_everywhere(sample_bi, tmp_path, lang) -> None:
    query = SemanticQuery(metrics=["churn_rate"], time_range=NOV, compare="previous_period")
    answer = sample_bi.run(query, language=lang)
    row = answer.data.iloc[0]
    rate = format_value(row["churn_rate"], "percent", "", lang)
    points = format_delta(row["churn_rate"] - row["churn_rate__previous"], "percent", "", lang)
    assert points.endswith("个百分点" if lang == "zh" else "pp")
    assert rate in answer.text and points.lstrip("+-") in answer.text  # a rate moves in points, not %
    indicator = answer.figure.data[0]
    assert indicator.delta.relative is False and indicator.delta.suffix.startswith(" 个百分点" if lang == "zh" else " pp")
    columns = table_columns(query, answer.data, sample_bi.model, lang)
    cells = display_rows(answer.data, columns, lang)[0]
    assert cells["churn_rate"] == rate and cells["churn_rate__change"] == points
    html = _digest_html(sample_bi, tmp_path, lang, {
        "metric": "churn_rate", "period": {"unit": "month", "offset": 1},
        "condition": {"type": "change", "compare": "previous_period", "op": "<", "value": "-1%"},
        "schedule": {"cron": "0 9 1 * *"}, "recipients": ["ops@example.com"]})
    assert f">{rate}<" in html and points in html
