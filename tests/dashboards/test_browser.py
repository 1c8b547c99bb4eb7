"""The app in a real browser: Debian's headless Chromium driven by Playwright against a live server.

Screenshots go to test-artifacts/ (look at them to judge the layout).
"""

from __future__ import annotations

import pytest

from chatbi import ChatBI
from dashboards import create_app

from .browser import LiveServer, new_page, screenshot

pytestmark = pytest.mark.browser

CHART = ".js-plotly-plot svg.main-svg"


def ask(page, text: str):
    """Type a question, press Enter, and return the new turn once its card is there."""
    before = page.locator("#thread > .turn").count()
    page.fill("#ask-input", text)
    page.press("#ask-input", "Enter")
    page.wait_for_function(f"document.querySelectorAll('#thread > .turn').length > {before}")
    turn = page.locator("#thread > .turn").nth(before)
    turn.locator(".answer-card").wait_for()
    return turn


def open_app(chromium, url: str, *, lang: str):
    page = new_page(chromium, lang=lang)
    page.goto(url)
    page.locator("#ask-input").wait_for()
    return page


def test_ask_in_chinese_with_a_follow_up_and_an_out_of_scope_question(chromium, live_app):
    page = open_app(chromium, live_app.url, lang="zh-CN")
    assert page.locator("#nav-ask").inner_text() == "问数"  # Chinese chrome for a zh browser
    assert page.locator(".example").count() >= 3  # examples from the model for a new user
    first = ask(page, "2025年11月各省收入")
    first.locator(CHART).first.wait_for()
    assert "广东" in first.locator(".answer-text").first.inner_text()
    chips = [c.replace("×", "").strip() for c in first.locator(".chip").all_inner_texts()]
    assert chips[:3] == ["收入", "按省份", "2025年11月"]
    follow = ask(page, "只看华东")
    follow.locator(CHART).first.wait_for()
    chips = " ".join(follow.locator(".chip").all_inner_texts())
    assert "收入" in chips and "华东" in chips and "2025年11月" in chips  # the follow-up kept the context
    refused = ask(page, "删除所有数据")
    assert "删除" in refused.locator(".answer-text").first.inner_text()
    assert refused.locator(".clarify-option").count() >= 1  # offers questions it can answer
    screenshot(page, "ask-zh-follow-up")
    assert page.js_errors == []


def test_ask_in_english_data_and_sql_tabs_and_a_clarification(chromium, live_app):
    page = open_app(chromium, live_app.url, lang="en-US")
    assert page.locator("#nav-ask").inner_text() == "Ask"
    turn = ask(page, "top 5 cities by revenue in 2025")
    turn.locator(CHART).first.wait_for()
    assert "Guangzhou" in turn.locator(".answer-text").first.inner_text()
    turn.get_by_role("tab", name="Data").click()
    rows = turn.locator(".dash-spreadsheet tbody tr")
    rows.first.wait_for()
    assert rows.count() == 6  # header row + 5 cities
    turn.get_by_role("tab", name="SQL").click()
    sql = turn.locator("textarea.sql-editor")
    sql.wait_for()
    assert "SELECT" in sql.input_value().upper() and "LIMIT 5" in sql.input_value().upper()
    screenshot(page, "ask-en-sql-tab")
    sql.fill("SELECT channel, SUM(revenue) AS revenue FROM fact_daily GROUP BY channel")
    before = page.locator("#thread > .turn").count()
    turn.locator(".sql-run").click()
    page.wait_for_function(f"document.querySelectorAll('#thread > .turn').length > {before}")
    custom = page.locator("#thread > .turn").nth(before)
    custom.locator(".badge", has_text="Custom SQL").wait_for()
    custom.locator(CHART).first.wait_for()
    clarify = ask(page, "users in 2025")
    options = clarify.locator(".clarify-option")
    assert options.count() >= 2
    before = page.locator("#thread > .turn").count()
    options.first.click()
    page.wait_for_function(f"document.querySelectorAll('#thread > .turn').length > {before}")
    answered = page.locator("#thread > .turn").nth(before)
    answered.locator(CHART).first.wait_for()
    assert "subscribers" in answered.locator(".answer-text").first.inner_text().lower()
    screenshot(page, "ask-en-clarification")
    assert page.js_errors == []


def test_chips_suggestions_and_why(chromium, live_app):
    page = open_app(chromium, live_app.url, lang="en-US")
    turn = ask(page, "revenue by province in November 2025 vs last month")
    turn.locator(CHART).first.wait_for()
    before = page.locator("#thread > .turn").count()
    turn.locator(".why-button").click()
    page.wait_for_function(f"document.querySelectorAll('#thread > .turn').length > {before}")
    why = page.locator("#thread > .turn").nth(before)
    why.locator(".contributors").wait_for()
    why.locator(CHART).first.wait_for()  # the waterfall
    assert "online" in why.locator(".contributors").inner_text()
    screenshot(page, "ask-en-why")
    before = page.locator("#thread > .turn").count()
    turn.locator(".chip-dimension .chip-x").click()
    page.wait_for_function(f"document.querySelectorAll('#thread > .turn').length > {before}")
    rerun = page.locator("#thread > .turn").nth(before)
    rerun.locator(".answer-card").wait_for()
    assert rerun.locator(".chip-dimension").count() == 0
    turn.locator(".suggestion", has_text="Drill down to City").click()
    page.wait_for_function(f"document.querySelectorAll('#thread > .turn').length > {before + 1}")
    drilled = page.locator("#thread > .turn").nth(before + 1)
    drilled.locator(CHART).first.wait_for()
    assert "by City" in " ".join(drilled.locator(".chip").all_inner_texts())
    assert page.js_errors == []


def test_pin_to_a_dashboard_survives_a_reload(chromium, live_app):
    page = open_app(chromium, live_app.url, lang="en-US")
    turn = ask(page, "monthly revenue in 2025")
    turn.locator(CHART).first.wait_for()
    turn.locator(".pin-button").click()
    page.locator("#pin-name").fill("Weekly review")
    page.locator("#pin-confirm").click()
    page.locator(".app-toast", has_text="Weekly review").wait_for()
    page.locator("#nav-dashboards").click()
    card = page.locator(".dash-card", has_text="monthly revenue in 2025")
    card.locator(CHART).first.wait_for()
    page.reload()
    card = page.locator(".dash-card", has_text="monthly revenue in 2025")
    card.locator(CHART).first.wait_for()  # re-run from the app database after the reload
    screenshot(page, "dashboard-after-reload")
    card.locator(".dcard-x").click()
    page.locator(".dash-card").first.wait_for(state="detached")
    assert page.js_errors == []


def test_language_toggle_is_remembered(chromium, live_app):
    page = open_app(chromium, live_app.url, lang="en-US")
    page.locator("#lang-toggle").click()
    page.locator("#nav-ask", has_text="问数").wait_for()
    assert page.locator("#ask-send").inner_text() == "提问"
    page.reload()
    page.locator("#nav-ask", has_text="问数").wait_for()


def test_engine_down_shows_a_friendly_error_and_the_app_keeps_working(chromium, sample_db_path, sample_model,
                                                                       tmp_path):
    bi = ChatBI(sample_model, sample_db_path)
    with LiveServer(create_app(bi, app_db=tmp_path / "app.sqlite3")) as server:
        page = open_app(chromium, server.url, lang="en-US")
        ask(page, "revenue by province in 2025").locator(CHART).first.wait_for()
        bi.engine.close()  # the warehouse goes away
        failed = ask(page, "revenue by city in 2025")
        assert failed.locator(".answer-error").count() == 1
        assert "Traceback" not in failed.inner_text()
        screenshot(page, "engine-down")
        page.locator("#nav-explore").click()  # the rest of the app still responds
        page.locator("#explore-note").wait_for()
        assert page.js_errors == []


def test_explorer_drills_down_by_clicking_bars(chromium, live_app):
    page = new_page(chromium, lang="en-US")
    page.goto(live_app.url + "/explore")
    bar = page.locator("#explore-drill .bars path").first
    bar.wait_for()
    bar.scroll_into_view_if_needed()  # below the trend chart: mouse clicks need it on screen
    box = bar.bounding_box()
    # plotly listens on its drag layer above the bars: click where the bar is drawn
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.locator(".crumb").nth(1).wait_for()
    assert page.locator(".crumb").count() == 2
    screenshot(page, "explorer-drilled")


def test_phone_layout(chromium, live_app):
    page = new_page(chromium, lang="zh-CN", width=390, height=844)
    page.goto(live_app.url)
    page.locator("#ask-input").wait_for()
    turn = ask(page, "近三个月5G套餐的ARPU趋势")
    turn.locator(CHART).first.wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing forces sideways scrolling
    screenshot(page, "phone-ask")
    assert not page.locator("#nav-alerts").is_visible()  # the menu is folded on a phone
    page.locator("#nav-toggler").click()
    page.locator("#nav-alerts").click()
    page.locator(".alert-rules").wait_for()
    assert "广东收入" in page.locator(".alert-rules").inner_text()
    screenshot(page, "phone-alerts")


@pytest.mark.parametrize(("lang", "question", "period", "ignored", "unknown", "word"), [
    ("zh-CN", "老板要的，各省收入", "2025年12月（默认）", "老板要的", "各省用户年龄分布", "年龄"),
    ("en-US", "FYI for the board deck, revenue by province", "(default)", "FYI for the board deck",
     "churn rate for female customers", "female"),
])
@pytest.mark.parametrize(("width", "height"), [(1400, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_card_says_which_period_ran_what_was_ignored_and_asks_about_unknown_words(
        chromium, live_app, lang, question, period, ignored, unknown, word, width, height):
    page = new_page(chromium, lang=lang, width=width, height=height)
    page.goto(live_app.url)
    page.locator("#ask-input").wait_for()
    turn = ask(page, question)
    turn.locator(CHART).first.wait_for()
    assert "2025" in turn.locator(".answer-text").first.inner_text()  # the text names the period
    assert period in turn.locator(".chip-period").inner_text()
    assert turn.locator(".chip-ignored").all_inner_texts() == [ignored]
    asked = ask(page, unknown)
    assert word in asked.locator(".answer-text").first.inner_text()
    assert asked.locator(".clarify-option").count() >= 1
    screenshot(page, f"trust-card-{lang[:2]}-{'phone' if width < 500 else 'desktop'}")
    assert page.js_errors == []


@pytest.mark.parametrize(("lang", "question", "grain", "cut"), [
    ("zh-CN", "2025年每天各城市的收入", "按周", "前 10,000 行"),
    ("en-US", "revenue of each city on each day of 2025", "weekly", "first 10,000 of"),
])
@pytest.mark.parametrize(("width", "height"), [(1400, 900), (390, 844)], ids=["desktop", "phone"])
def test_a_result_over_the_row_cap_is_asked_back_and_cut_sql_says_so(
        chromium, live_app, lang, question, grain, cut, width, height):
    page = new_page(chromium, lang=lang, width=width, height=height)
    page.goto(live_app.url)
    page.locator("#ask-input").wait_for()
    asked = ask(page, question)
    assert "12,045" in asked.locator(".answer-text").first.inner_text()  # the whole answer's size
    options = asked.locator(".clarify-option")
    assert options.first.inner_text() == grain
    before = page.locator("#thread > .turn").count()
    options.first.click()
    page.wait_for_function(f"document.querySelectorAll('#thread > .turn').length > {before}")
    page.locator("#thread > .turn").nth(before).locator(CHART).first.wait_for()
    turn = page.locator("#thread > .turn").nth(before)
    turn.get_by_role("tab", name="SQL").click()
    sql = turn.locator("textarea.sql-editor")
    sql.wait_for()
    sql.fill("SELECT * FROM fact_daily")
    before = page.locator("#thread > .turn").count()
    turn.locator(".sql-run").click()
    page.wait_for_function(f"document.querySelectorAll('#thread > .turn').length > {before}")
    custom = page.locator("#thread > .turn").nth(before)
    custom.locator(".answer-text").first.wait_for()
    text = custom.locator(".answer-text").first.inner_text()
    assert cut in text and "1,157,904" in text  # first N of M rows, M counted
    screenshot(page, f"trust-truncation-{lang[:2]}-{'phone' if width < 500 else 'desktop'}")
    assert page.js_errors == []
