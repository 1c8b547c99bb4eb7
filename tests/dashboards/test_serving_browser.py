"""What serving many users looks like in the browser: long work shows its progress and then its
answer; a rule whose data is missing or old says so on the Alerts page. Both languages, desktop
and phone; screenshots in test-artifacts/ (``progress-*``, ``alerts-stale-*``)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from chatbi import ChatBI
from dashboards import create_app

from .browser import LiveServer, new_page, screenshot

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": (1400, 900), "phone": (390, 844)}


@pytest.mark.parametrize("view", list(VIEWPORTS))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_long_work_shows_progress_then_its_answer(chromium, sample_bi, tmp_path, lang, view):
    app = create_app(sample_bi, app_db=tmp_path / "app.sqlite3")
    ctx = app.chatbi_context
    width, height = VIEWPORTS[view]
    with LiveServer(app) as server:
        page = new_page(chromium, lang="zh-CN" if lang == "zh" else "en-US", width=width, height=height)
        page.goto(server.url)
        page.locator("#ask-input").wait_for()
        sid = next(c["value"] for c in page.context.cookies() if c["name"] == "chatbi_sid")
        # a job that waits for the test: the progress card stays long enough to be looked at
        release = threading.Event()
        title = "为什么11月广东收入下降？" if lang == "zh" else "Why did revenue in Guangdong fall in November?"

        def work(progress):
            release.wait(60)
            answer = sample_bi.ask("2025年11月各省收入" if lang == "zh" else "revenue by province in November 2025")
            progress.add("0", answer, thread=True)

        job = ctx.jobs.submit(sid, f"session:{sid}", "why", work, title=title)
        ctx.session(sid).add_job(job.id)
        page.reload()
        card = page.locator(".job-card")
        card.wait_for()
        page.wait_for_function("document.querySelector('.job-words') && /[1-9]/.test("
                               "document.querySelector('.job-words').textContent)")  # the seconds count up
        words = card.inner_text()
        assert ("正在分析" in words) if lang == "zh" else ("Working on it" in words)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"progress-{lang}-{view}")
        release.set()
        page.locator(".job-turn .answer-ok").wait_for(timeout=60_000)  # the answer took the card's place
        assert page.locator(".job-card").count() == 0
        page.locator(".job-turn .answer-graph svg.main-svg").first.wait_for()
        screenshot(page, f"progress-done-{lang}-{view}")
        assert page.js_errors == []
        page.context.close()


@pytest.fixture(scope="module")
def stale_app(sample_model, sample_db_path, tmp_path_factory):
    """The sample (data until 2025-12-31) seen on 1 March 2026, with a rule that reads its schedule's
    month and the sample's rules, which read the data's last complete period."""
    from sample_data import TELECOM_DIR

    rules = (TELECOM_DIR / "alerts.yaml").read_text(encoding="utf-8") + """
  # evaluates the schedule's own month: February 2026 has no data
  gd_revenue_strict:
    name: {zh: 广东收入（按计划月份）, en: Guangdong revenue (scheduled month)}
    metric: revenue
    filters: {province: 广东}
    period: {unit: month, offset: 1}
    condition: {type: change, compare: previous_period, op: "<", value: -5%}
    schedule: {cron: "0 9 1 * *"}
    recipients: [south_region]
"""
    folder = tmp_path_factory.mktemp("stale")
    (folder / "alerts.yaml").write_text(rules, encoding="utf-8")
    late = ChatBI(sample_model, sample_db_path, clock=lambda: dt.datetime(2026, 3, 1, 9, 0))
    app = create_app(late, app_db=folder / "app.sqlite3", alert_rules=folder / "alerts.yaml")
    with LiveServer(app) as server:
        yield server
    late.close()


@pytest.mark.parametrize("view", list(VIEWPORTS))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_alerts_page_shows_rules_without_current_data(chromium, stale_app, lang, view):
    width, height = VIEWPORTS[view]
    page = new_page(chromium, lang="zh-CN" if lang == "zh" else "en-US", width=width, height=height)
    page.goto(stale_app.url + "/alerts")
    table = page.locator(".alert-rules")
    table.wait_for()
    text = table.inner_text()
    if lang == "zh":
        assert "2026年2月无数据（数据只到 2025-12-31）" in text
        assert text.count("数据过期：只到 2025-12-31") == 5  # the five sample rules
    else:
        assert "no data for 2026-02 (the data ends 2025-12-31)" in text
        assert text.count("stale: the data ends 2025-12-31") == 5
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"alerts-stale-{lang}-{view}")
    assert page.js_errors == []
    page.context.close()


def test_an_answer_states_the_datas_as_of_date(chromium, live_app):
    page = new_page(chromium, lang="en-US")
    page.goto(live_app.url)
    page.fill("#ask-input", "revenue by province in November 2025")
    page.press("#ask-input", "Enter")
    page.locator(".answer-ok .as-of").wait_for()
    assert page.locator(".answer-ok .as-of").inner_text() == "Data as of 2025-12-31"
    page.context.close()
