"""A model named only in English, asked in Chinese, in a real browser: the answer card shows which model
element each Chinese word was read as through the dictionary -- in both languages, desktop and phone.

Screenshots go to test-artifacts/ (glossary-*.png).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chatbi import ChatBI
from sample_data import TELECOM_DIR

from .browser import LiveServer, new_page, screenshot
from .test_browser import CHART, ask

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1400, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def drafted_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from dashboards import create_app
    from sample_data.oilfield import build_warehouse

    tmp = tmp_path_factory.mktemp("drafted")
    bi = ChatBI(TELECOM_DIR.parent / "oilfield" / "model.drafted.yaml", build_warehouse(tmp / "oilfield.duckdb"),
                translator="offline")
    app = create_app(bi, app_db=tmp / "app.sqlite3")
    with LiveServer(app) as server:
        yield server
    bi.close()


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("lang", ["zh-CN", "en-US"])
def test_words_read_through_the_dictionary_are_shown(chromium, drafted_app, lang: str, size: str) -> None:
    width, height = SIZES[size]
    page = new_page(chromium, lang=lang, width=width, height=height)
    page.goto(drafted_app.url)
    page.locator("#ask-input").wait_for()
    turn = ask(page, "2025年各油田的产油量")
    turn.locator(CHART).first.wait_for()
    chips = " ".join(turn.locator(".chip-gloss").all_inner_texts())
    if lang == "zh-CN":
        assert "“油田”按词典（oil field）理解为“Field name”" in chips, chips
        assert "“产油”按词典（oil）理解为“Oil (t)”" in chips, chips
    else:
        assert "read 油田 as Field name (dictionary: oil field)" in chips, chips
    asked = ask(page, "2025年各油田的气油比")  # two metrics glued into one word: asked, never guessed
    assert "气油比" in asked.locator(".answer-card").first.inner_text()
    assert asked.locator(".chip-gloss").count() == 0
    screenshot(page, f"glossary-{lang.split('-')[0]}-{size}")
    assert page.js_errors == []
