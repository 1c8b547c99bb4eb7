"""The rendered layout, measured in a real browser: every chart on Ask, Dashboards and Explorer is
at least 250 px tall, sits inside its own card and overlaps no other card -- on a desktop
(1400x900) and a phone (390x844), in Chinese and English. Each page is saved to test-artifacts/
as ``<page>-<lang>-<desktop|phone>.png``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from semantic_layer import SemanticQuery

from .browser import LiveServer, new_page, screenshot

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": (1400, 900), "phone": (390, 844)}
QUESTIONS = {"zh": ["2025年11月各省收入", "为什么11月广东的收入下降了？", "2025年11月各城市收入"],
             "en": ["revenue by province in November 2025", "why did revenue in Guangdong fall in November 2025",
                    "revenue by city in November 2025"]}
MIN_CHART_HEIGHT = 250

# every visible chart box, the drawn plot inside it and the card that holds it (page coordinates)
_GEOMETRY = """() => {
  const rect = (el) => { const r = el.getBoundingClientRect();
    return {x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height}; };
  const visible = (el) => el.offsetParent !== null && el.getBoundingClientRect().width > 0;
  const cards = [...document.querySelectorAll('.answer-card, .dash-card, .chart-explore')].filter(visible);
  const charts = [...document.querySelectorAll('.chart-box')].filter(visible).map((box) => {
    const card = box.closest('.answer-card, .dash-card') || box;
    const svg = box.querySelector('svg.main-svg');
    return {box: rect(box), svg: svg ? rect(svg) : null, card: cards.indexOf(card)};
  });
  return {charts, cards: cards.map(rect), width: document.documentElement.scrollWidth};
}"""
_DRAWN = """() => [...document.querySelectorAll('.chart-box')].filter((b) => b.offsetParent !== null)
  .every((b) => b.querySelector('svg.main-svg') && !b.classList.contains('chart-loading'))"""


def _overlap(a: dict, b: dict) -> float:
    w = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
    h = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
    return max(w, 0) * max(h, 0)


def _inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return (inner["x"] >= outer["x"] - slack and inner["y"] >= outer["y"] - slack
            and inner["x"] + inner["w"] <= outer["x"] + outer["w"] + slack
            and inner["y"] + inner["h"] <= outer["y"] + outer["h"] + slack)


def assert_layout(page, *, expect: int, width: int) -> None:
    page.wait_for_function(_DRAWN)
    geo = page.evaluate(_GEOMETRY)
    charts, cards = geo["charts"], geo["cards"]
    assert len(charts) >= expect, f"expected {expect} charts, found {len(charts)}"
    for i, chart in enumerate(charts):
        box, svg = chart["box"], chart["svg"]
        assert box["h"] >= MIN_CHART_HEIGHT, f"chart {i} box is {box['h']} px tall"
        assert svg is not None and svg["h"] >= MIN_CHART_HEIGHT, f"chart {i} drew {svg and svg['h']} px"
        assert box["x"] + box["w"] <= width + 1, f"chart {i} runs off the screen"
        own = cards[chart["card"]]
        assert _inside(box, own), f"chart {i} spills out of its card: {box} vs {own}"
        for j, other in enumerate(cards):
            if j != chart["card"]:
                assert _overlap(box, other) == 0, f"chart {i} overlaps card {j}"
    for i, a in enumerate(cards):
        for b in cards[i + 1:]:
            assert _overlap(a, b) == 0, "two cards overlap"
    assert geo["width"] <= width, "the page scrolls sideways"


@pytest.fixture(scope="module")
def board_app(sample_bi, tmp_path_factory) -> Iterator[LiveServer]:
    """An app whose dashboard holds a bar chart, a 33-member ranking, a KPI, a trend and custom SQL."""
    from dashboards import create_app
    from sample_data import TELECOM_DIR

    app = create_app(sample_bi, app_db=tmp_path_factory.mktemp("layout") / "app.sqlite3",
                     alert_rules=TELECOM_DIR / "alerts.yaml")
    store = app.chatbi_context.store
    nov = ("2025-11-01", "2025-11-30")
    for title, query in [
        ("2025年11月各省收入", SemanticQuery(metrics=["revenue"], dimensions=["province"], time_range=nov)),
        ("2025年11月各城市离网率", SemanticQuery(metrics=["churn_rate"], dimensions=["city"], time_range=nov)),
        ("2025年11月离网率环比", SemanticQuery(metrics=["churn_rate"], time_range=nov, compare="previous_period")),
        ("2025年每月收入", SemanticQuery(metrics=["revenue"], dimensions=["date.month"],
                                     time_range=("2025-01-01", "2025-12-31"))),
    ]:
        store.add_card("经营看板", owner="", title=title, query_json=query.model_dump_json(), language="zh")
    store.add_card("经营看板", owner="", title="SQL: revenue by channel", language="en",
                   sql="SELECT channel, SUM(revenue) AS revenue FROM fact_daily GROUP BY channel")
    with LiveServer(app) as server:
        yield server


def ask(page, text: str) -> None:
    before = page.locator("#thread > .turn").count()
    page.fill("#ask-input", text)
    page.press("#ask-input", "Enter")
    page.wait_for_function(f"document.querySelectorAll('#thread > .turn').length > {before}", timeout=60_000)


@pytest.mark.parametrize("view", list(VIEWPORTS))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_charts_have_room_on_every_page(chromium, board_app, lang, view):
    width, height = VIEWPORTS[view]
    page = new_page(chromium, lang="zh-CN" if lang == "zh" else "en-US", width=width, height=height)
    page.goto(board_app.url)
    page.locator("#ask-input").wait_for()
    page.locator(".example").first.wait_for()
    screenshot(page, f"landing-{lang}-{view}")
    for question in QUESTIONS[lang]:
        ask(page, question)
    assert_layout(page, expect=3, width=width)
    screenshot(page, f"ask-{lang}-{view}")
    # the why-card's drivers table fits its card (a phone drops the baseline and current columns)
    hidden = page.evaluate("""() => [...document.querySelectorAll('.contributors')]
      .map((t) => t.parentElement.scrollWidth - t.parentElement.clientWidth)""")
    assert hidden and max(hidden) <= 1, f"the drivers table is {max(hidden)} px wider than its card"

    page.goto(board_app.url + "/dashboards")
    page.locator(".dash-card").nth(4).wait_for()
    # a board of five cards is computed off the request thread: wait for the last spinner to go
    page.wait_for_function("document.querySelectorAll('.dash-card-pending').length === 0", timeout=60_000)
    assert_layout(page, expect=5, width=width)
    screenshot(page, f"dashboards-{lang}-{view}")
    page.set_viewport_size({"width": width // 2 + 200, "height": height})  # a resize keeps every box
    assert_layout(page, expect=5, width=width // 2 + 200)
    page.set_viewport_size({"width": width, "height": height})

    page.goto(board_app.url + "/explore")
    page.locator("#explore-drill .bars path").first.wait_for()
    assert_layout(page, expect=2, width=width)
    screenshot(page, f"explorer-{lang}-{view}")
    page.reload()  # after a reload the boxes are as tall as before
    page.locator("#explore-drill .bars path").first.wait_for()
    assert_layout(page, expect=2, width=width)

    page.goto(board_app.url + "/alerts")
    page.locator(".alert-rules").wait_for()
    screenshot(page, f"alerts-{lang}-{view}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.js_errors == []
    page.context.close()
