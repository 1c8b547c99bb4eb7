"""Signing in to the app in a real browser (Debian's Chromium + Playwright) as two roles: different numbers.

Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from ...dashboards.browser import LiveServer, new_page, screenshot
from .conftest import PASSWORDS

pytestmark = pytest.mark.browser

CHART = ".js-plotly-plot svg.main-svg"




@pytest.fixture(scope="module")
def secured(sample_bi, security, tmp_path_factory) -> Iterator[LiveServer]:
    from dashboards import create_app

    app = create_app(sample_bi, app_db=tmp_path_factory.mktemp("secured") / "app.sqlite3", security=security)
    with LiveServer(app) as server:
        yield server


def sign_in(chromium, url: str, user: str):
    page = new_page(chromium, lang="zh-CN")
    page.goto(url)
    assert "/login" in page.url  # nothing before signing in
    page.fill("#username", user)
    page.fill("#password", PASSWORDS[user])
    page.click("#login-submit")
    page.locator("#ask-input").wait_for()
    return page


def ask(page, text: str):
    before = page.locator("#thread > .turn").count()
    page.fill("#ask-input", text)
    page.press("#ask-input", "Enter")
    page.wait_for_function(f"document.querySelectorAll('#thread > .turn').length > {before}")
    turn = page.locator("#thread > .turn").nth(before)
    turn.locator(".answer-card").wait_for()
    return turn


def yi(text: str) -> float:
    """The first amount in 亿元 of an answer text."""
    match = re.search(r"([\d,]+\.\d+)\s*亿", text)
    assert match, text
    return float(match.group(1).replace(",", ""))


def test_two_roles_see_different_numbers_and_sign_out(chromium, secured):
    alice = sign_in(chromium, secured.url, "alice")
    root = sign_in(chromium, secured.url, "root")
    assert alice.locator("#signed-in-user").inner_text() == "Alice"

    mine = ask(alice, "2025年11月的收入")
    theirs = ask(root, "2025年11月的收入")
    assert yi(theirs.locator(".answer-text").first.inner_text()) > 5 * yi(mine.locator(".answer-text").first.inner_text())

    by_province = ask(alice, "2025年11月各省收入")
    by_province.locator(CHART).first.wait_for()
    text = by_province.inner_text()
    assert not any(p in text for p in ("江苏", "浙江", "山东"))  # one province: 广东's total, nobody else's
    assert yi(text) == yi(mine.locator(".answer-text").first.inner_text())
    everyone = ask(root, "2025年11月各省收入")
    everyone.locator(CHART).first.wait_for()
    assert "江苏" in everyone.inner_text()
    screenshot(alice, "signin-alice-guangdong")
    screenshot(root, "signin-root-all")

    refused = ask(alice, "浙江的收入")
    assert "不在您可以查看的数据范围内" in refused.inner_text()

    alice.click("#logout-button")
    alice.wait_for_url(re.compile(r".*/login$"))
    alice.goto(secured.url)
    assert "/login" in alice.url
    assert alice.js_errors == [] and root.js_errors == []


def test_a_wrong_password_stays_on_the_login_page(chromium, secured):
    page = new_page(chromium, lang="en-US")
    page.goto(secured.url + "/login")
    page.fill("#username", "alice")
    page.fill("#password", "not-her-password")
    page.click("#login-submit")
    assert "Wrong user name or password" in page.locator("#login-error").inner_text()
    screenshot(page, "signin-wrong-password")


@pytest.fixture(scope="module")
def with_alerts(sample_bi, sample_model, tmp_path_factory) -> Iterator[LiveServer]:
    import yaml

    from chatbi.security import Security
    from dashboards import create_app
    from sample_data import TELECOM_DIR

    from .conftest import telecom_security_doc

    root = tmp_path_factory.mktemp("alerts-browser")
    rules = yaml.safe_load((TELECOM_DIR / "alerts.yaml").read_text(encoding="utf-8"))
    rules["rules"]["gd_revenue_mom"]["owner"] = "alice"
    (root / "alerts.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    doc = telecom_security_doc()
    doc["users"]["alice"]["email"] = "alice@example.com"
    app = create_app(sample_bi, app_db=root / "app.sqlite3", security=Security.from_dict(doc, model=sample_model),
                     alert_rules=root / "alerts.yaml")
    with LiveServer(app) as server:
        yield server


@pytest.mark.parametrize(("lang", "width", "height"), [("zh-CN", 1400, 900), ("en-US", 1400, 900),
                                                        ("zh-CN", 390, 844), ("en-US", 390, 844)])
def test_alerts_page_hides_other_users_recipients_and_refuses_strange_addresses(chromium, with_alerts, lang, width,
                                                                               height):
    page = new_page(chromium, lang=lang, width=width, height=height)
    page.goto(with_alerts.url + "/alerts")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORDS["alice"])
    page.click("#login-submit")
    page.locator(".alert-rules").wait_for()
    rules = page.locator(".alert-rules").inner_text()
    hidden = "（他人的规则）" if lang == "zh-CN" else "(someone else's rule)"
    assert "gd-manager@example.com" in rules  # her own rule's recipients
    assert hidden in rules and "ceo-office@example.com" not in rules and "noc@example.com" not in rules
    page.fill("#alert-test-to", "attacker@example.net")
    page.click("#alert-test-send")
    result = page.locator("#alert-test-result")
    result.locator(".alert").wait_for()
    expected = "只能发到您自己的邮箱" if lang == "zh-CN" else "only to your own address"
    assert expected in result.inner_text()
    screenshot(page, f"alerts-restricted-{lang[:2]}-{width}x{height}")
    assert page.js_errors == []


def test_a_restricted_users_total_says_so(chromium, secured):
    alice = sign_in(chromium, secured.url, "alice")
    answer = ask(alice, "全国收入")
    assert "在您可查看的范围内：广东" in answer.locator(".answer-text").first.inner_text()
    screenshot(alice, "within-access-caveat")
