"""The Reports page: choose, preview (the report's own page), download, pin; a report question on the
Ask page; the same under sign-in; and screenshots of it all in a real browser."""

from __future__ import annotations

import pytest

from dashboards import create_app
from dashboards.pages import reports
from dashboards.pages.dashboards import board_cards, run_card

from .browser import ARTIFACTS, LiveServer, new_page
from .helpers import find, text_of

QUERY = "spec=monthly_review&period=2025-11&lang=en"


@pytest.fixture(scope="module")
def report_app(sample_bi, tmp_path_factory):
    return create_app(sample_bi, app_db=tmp_path_factory.mktemp("reports") / "app.sqlite3")


def test_layout_offers_the_specs_and_their_periods(report_app) -> None:
    ctx = report_app.chatbi_context
    page = reports.layout(ctx, "zh", "x" * 32, {})
    specs = {o["value"]: o["label"] for o in find(page, type_="Select")[0].options}
    assert specs == {"default": "电信运营经营分析报告", "monthly_review": "月度经营分析报告"}
    periods = reports.period_options(ctx, "monthly_review", "zh")
    assert periods[0] == {"label": "最新（2025年12月）", "value": "latest"}
    assert periods[1]["value"] == "2025-12" and periods[2] == {"label": "2025年11月", "value": "2025-11"}
    assert "图文报告" in text_of(page)


def test_preview_view_and_downloads(report_app) -> None:
    ctx = report_app.chatbi_context
    frame, status, links = reports.preview(ctx, "monthly_review", "2025-11", "en")
    assert frame.src == f"/reports/view?{QUERY}"
    assert "Monthly business review · Nov 2025: 8 sections" in text_of(status)
    client = report_app.server.test_client()
    page = client.get(frame.src)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<script src="/reports/plotly.js"></script>' in html
    assert "Guangdong × 5G × online" in html
    js = client.get("/reports/plotly.js")
    assert js.status_code == 200 and js.mimetype == "application/javascript" and len(js.data) > 1_000_000
    download = client.get(links["html"])
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == 'attachment; filename="monthly_review-2025-11-01.html"'
    assert b"<script src=" not in download.data  # the file is self-contained
    bad = client.get("/reports/view?spec=monthly_reveiw&period=2025-11&lang=en")
    assert bad.status_code == 400 and "Did you mean &#39;monthly_review&#39;?" in bad.get_data(as_text=True)
    too_late = reports.preview(ctx, "monthly_review", "2026-02", "zh")
    assert too_late[0] is None and "no data for 2026-02-01..2026-02-28 yet" in text_of(too_late[1])


def test_pin_a_report_to_a_dashboard(report_app) -> None:
    ctx = report_app.chatbi_context
    ok, message = reports.pin_report(ctx, "monthly_review", "latest", "经营", "zh")
    assert ok and message == "已固定到「经营」"
    board = ctx.store.dashboards(owner="")[0]
    (card,) = ctx.store.cards(board.id, owner="")
    assert card.title == "月度经营分析报告 · 最新"
    answer = run_card(ctx, card)
    assert answer.ok and answer.text.startswith("月度经营分析报告 · 2025年12月：") and answer.figure is not None
    assert "月度经营分析报告 · 2025年12月" in text_of(board_cards(ctx, board.id, "zh"))


def test_a_report_question_on_the_ask_page(report_app) -> None:
    from dashboards.components.answer_card import answer_card

    ctx = report_app.chatbi_context
    answer = ctx.chatbi.ask("write me the November business review")
    assert answer.intent == "report" and answer.report.name == "monthly_review"
    card = answer_card(ctx.chatbi, answer, "a1", "en")
    links = {a.children: a.href for a in find(card, type_="A")}
    assert links["Open the full report"] == "/reports?spec=monthly_review&period=2025-11&lang=en"
    assert links["Download PDF"].endswith("&format=pdf")
    assert "Guangdong × 5G × online" in text_of(card)


def test_a_report_for_one_province_opens_as_that_provinces_report(report_app) -> None:
    from urllib.parse import parse_qs, urlsplit

    from dashboards.components.answer_card import answer_card

    ctx = report_app.chatbi_context
    answer = ctx.chatbi.ask("business review for Guangdong, November 2025")
    card = answer_card(ctx.chatbi, answer, "a2", "en")
    links = {a.children: a.href for a in find(card, type_="A")}
    opened = parse_qs(urlsplit(links["Open the full report"]).query)
    assert opened == {"spec": ["monthly_review"], "period": ["2025-11"], "lang": ["en"], "scope": ["province=广东"]}
    page = report_app.server.test_client().get("/reports/view?" + urlsplit(links["Download PDF"]).query.replace(
        "&format=pdf", "")).get_data(as_text=True)
    assert "<h1>Monthly business review: Guangdong</h1>" in page
    assert not any(name in page for name in ("Zhejiang", "Jiangsu", "Sichuan", "Beijing", "浙江", "江苏", "四川", "北京"))
    # the page the link opens has Guangdong chosen, so preview, downloads and pin keep it
    layout = reports.layout(ctx, "en", "x" * 32, {"spec": "monthly_review", "period": "2025-11",
                                                  "scope": "province=广东"})
    scope = next(s for s in find(layout, type_="Select") if s.id == "report-scope")
    assert scope.value == "province=广东" and scope.options[0] == {"label": "Whole business", "value": ""}
    assert {"label": "Guangdong", "value": "province=广东"} in scope.options
    frame, _, links = reports.preview(ctx, "monthly_review", "2025-11", "en", "province=广东")
    assert "scope=province%3D%E5%B9%BF%E4%B8%9C" in frame.src and "scope=" in links["pdf"]
    ok, _ = reports.pin_report(ctx, "monthly_review", "2025-11", "广东", "zh", "province=广东")
    board = next(b for b in ctx.store.dashboards(owner="") if b.name == "广东")
    (pinned,) = ctx.store.cards(board.id, owner="")
    assert ok and pinned.title == "广东月度经营分析报告 · 2025-11"
    assert run_card(ctx, pinned).text.startswith("广东月度经营分析报告 · 2025年11月：")


def test_reports_need_sign_in_and_show_the_users_rows(sample_bi, tmp_path) -> None:
    from chatbi.security import Security, hash_password

    security = Security.from_dict({
        "secret_key": "t3st-d4shb0ards-8c2e71f09a4d3b6e5c7f1a2d9",  # a test key of the strength asked for
        "users": {"alice": {"password": hash_password("pw-alice", n=2 ** 10), "roles": ["gd"]}},
        "roles": {"gd": {"rows": [{"province": "广东"}]}}}, model=sample_bi.model)
    app = create_app(sample_bi, app_db=tmp_path / "app.sqlite3", security=security)
    client = app.server.test_client()
    assert client.get(f"/reports/view?{QUERY}").status_code == 302
    login = client.get("/login").get_data(as_text=True)
    token = login.split('name="csrf" value="')[1].split('"')[0]
    client.post("/login", data={"username": "alice", "password": "pw-alice", "csrf": token, "next": "/"})
    html = client.get(f"/reports/view?{QUERY}").get_data(as_text=True)
    assert "This report contains only the data alice may see" in html
    assert not any(name in html for name in ("Zhejiang", "Jiangsu", "Sichuan", "浙江", "江苏", "四川"))


@pytest.mark.browser
def test_reports_page_in_a_browser(chromium, sample_bi, tmp_path) -> None:
    app = create_app(sample_bi, app_db=tmp_path / "app.sqlite3")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with LiveServer(app) as server:
        for lang, name, width, height in (("zh-CN", "desktop", 1400, 900), ("en-US", "phone", 390, 844)):
            page = new_page(chromium, lang=lang, width=width, height=height)
            short = lang[:2]
            page.goto(f"{server.url}/reports?spec=monthly_review&period=2025-11")
            frame = page.frame_locator("iframe.report-frame")
            frame.locator("body[data-charts=ready]").wait_for(timeout=120_000)
            assert frame.locator("div.chart .main-svg").count() >= 8
            page.screenshot(path=str(ARTIFACTS / f"reports-page-{short}-{name}.png"), full_page=True)
            assert page.locator("#report-dl-pdf").get_attribute("href").endswith("&format=pdf")
            assert not page.js_errors, page.js_errors
            page.context.close()
        # one province's report, opened as the answer to "生成广东…报告" links it, on a phone
        for lang, name, width, height in (("zh-CN", "desktop", 1400, 900), ("en-US", "phone", 390, 844)):
            page = new_page(chromium, lang=lang, width=width, height=height)
            short = lang[:2]
            page.goto(f"{server.url}/reports?spec=monthly_review&period=2025-11&scope=province%3D%E5%B9%BF%E4%B8%9C")
            frame = page.frame_locator("iframe.report-frame")
            frame.locator("body[data-charts=ready]").wait_for(timeout=120_000)
            title = frame.locator("h1").inner_text()
            assert title == {"zh": "广东月度经营分析报告", "en": "Monthly business review: Guangdong"}[short]
            page.screenshot(path=str(ARTIFACTS / f"reports-page-guangdong-{short}-{name}.png"), full_page=True)
            assert not page.js_errors, page.js_errors
            page.context.close()
        # a report asked for on the Ask page
        page = new_page(chromium, lang="zh-CN", width=1400, height=900)
        page.goto(server.url + "/")
        page.fill("#ask-input", "生成2025年11月经营分析报告")
        page.keyboard.press("Enter")
        page.locator(".answer-report").wait_for(timeout=120_000)
        assert "广东 × 5G × 线上" in page.locator(".answer-report").inner_text()
        page.screenshot(path=str(ARTIFACTS / "reports-ask-zh-desktop.png"), full_page=True)
        page.context.close()
