"""Answer cards of how people ask, in a real browser: a winner named and drawn beside the runner-up,
two periods compared, a typo corrected -- in both languages, on a desktop and on a phone.

Screenshots go to test-artifacts/ (phrasing-*.png).
"""

from __future__ import annotations

import pytest

from .browser import new_page, screenshot
from .test_browser import CHART, ask

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1400, 900), "phone": (390, 844)}


def open_ask(chromium, url: str, lang: str, size: str):
    width, height = SIZES[size]
    page = new_page(chromium, lang=lang, width=width, height=height)
    page.goto(url)
    page.locator("#ask-input").wait_for()
    return page


@pytest.mark.parametrize("size", sorted(SIZES))
def test_winner_and_comparison_cards_in_chinese(chromium, live_app, size):
    page = open_ask(chromium, live_app.url, "zh-CN", size)
    winner = ask(page, "2025年哪个省收入最高")
    winner.locator(CHART).first.wait_for()
    text = winner.locator(".answer-text").first.inner_text()
    assert text.startswith("2025年收入最高的省份是广东") and "比第二名江苏" in text
    assert "江苏（第二名）" in winner.locator(".js-plotly-plot").first.inner_text()
    compared = ask(page, "2025年12月和2025年10月的收入对比")
    compared.locator(CHART).first.wait_for()
    text = compared.locator(".answer-text").first.inner_text()
    assert "2025年12月收入为" in text and "较2025年10月" in text
    assert "较2025年10月" in " ".join(compared.locator(".chip").all_inner_texts())
    typo = ask(page, "2025年11月各城市的离网律")
    assert "“离网律”按“离网率”理解" in typo.locator(".chip-typo").first.inner_text()
    screenshot(page, f"phrasing-zh-{size}")
    assert page.js_errors == []


@pytest.mark.parametrize("size", sorted(SIZES))
def test_winner_and_comparison_cards_in_english(chromium, live_app, size):
    page = open_ask(chromium, live_app.url, "en-US", size)
    winner = ask(page, "which city had the highest revenue in 2025?")
    winner.locator(CHART).first.wait_for()
    text = winner.locator(".answer-text").first.inner_text()
    assert text.startswith("Guangzhou had the highest revenue of any city in 2025") and "Shenzhen" in text
    compared = ask(page, "compare revenue in March 2025 with January 2025")
    compared.locator(CHART).first.wait_for()
    text = compared.locator(".answer-text").first.inner_text()
    assert "Revenue in March 2025 was" in text and "in January 2025" in text
    partial = ask(page, "weekly dropped calls in Sichuan in August 2025")
    partial.locator(CHART).first.wait_for()
    assert "holds only 3 days" in partial.locator(".answer-text").first.inner_text()
    assert "partial: 3 of 7 days" in partial.locator(".js-plotly-plot").first.inner_text()
    screenshot(page, f"phrasing-en-{size}")
    assert page.js_errors == []
