"""The oil field's daily production report: a second domain, a day as the period, its planted outage."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from chatbi import ChatBI
from chatbi.reports import AnomalyItem, KpiRow
from sample_data.oilfield import MODEL

from .conftest import ARTIFACTS


@pytest.fixture(scope="module")
def oil_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sample_data.oilfield import build_warehouse

    return build_warehouse(tmp_path_factory.mktemp("oilfield") / "oilfield.duckdb")


@pytest.fixture(scope="module")
def outage_day(oil_db: Path):
    bi = ChatBI(MODEL, oil_db, translator="offline")
    yield {lang: bi.report("daily_production", period="2025-07-12", language=lang) for lang in ("zh", "en")}
    bi.close()


def test_the_outage_is_the_days_anomaly_and_its_reason(outage_day) -> None:
    report = outage_day["zh"]
    assert report.title == "油田生产日报" and report.period_label == "2025年7月12日"
    downtime = [i for i in report.items(AnomalyItem) if i.in_period and i.metric == "downtime_hours"]
    assert dict(downtime[0].members) == {"block": "北岭二区"}        # the planted power outage (停电)
    assert dict(downtime[0].driver_members) == {"downtime_reason": "停电"}
    oil = [i for i in report.items(AnomalyItem) if i.in_period and i.metric == "oil_output"]
    assert dict(oil[0].members) == {"block": "北岭二区"} and oil[0].deviation < -0.5
    # the free question is about the report's day: 停电 leads the downtime reasons
    (answer,) = report.section("question").items
    assert answer.ok and answer.period == ("2025-07-12", "2025-07-12") and "停电" in answer.text
    en = outage_day["en"]
    assert "power outage" in " ".join(i.text for i in en.items(AnomalyItem))


def test_kpis_match_sql(outage_day, oil_db: Path) -> None:
    con = duckdb.connect(str(oil_db), read_only=True)
    try:
        today, yesterday = (con.execute("SELECT SUM(oil_t) FROM daily_production WHERE prod_date = ?",
                                        [day]).fetchone()[0] for day in ("2025-07-12", "2025-07-11"))
    finally:
        con.close()
    oil = next(r for r in outage_day["zh"].items(KpiRow) if r.metric == "oil_output")
    assert oil.value == pytest.approx(today, rel=1e-9)
    assert oil.comparisons["previous_period"][0] == pytest.approx(yesterday, rel=1e-9)


@pytest.mark.browser
def test_screenshot(chromium, outage_day, tmp_path: Path) -> None:
    page_file = tmp_path / "daily.html"
    page_file.write_text(outage_day["zh"].to_html(), encoding="utf-8")
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(page_file.as_uri())
    page.wait_for_selector("body[data-charts=ready]", timeout=60_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-oilfield-daily-zh-desktop.png"), full_page=True)
    context.close()
