"""The Explorer under rapid changes, in a real browser: whatever order the responses come back in,
the chart ends up showing the metric and grain the controls show (the chart says what it draws in
its layout's ``meta``); and a why-card's text names the first driver of its own table.
"""

from __future__ import annotations

import pytest

from .browser import new_page, screenshot

pytestmark = pytest.mark.browser

_SHOWN = """() => {
  const gd = document.querySelector('#explore-trend .js-plotly-plot');
  const meta = gd && gd.layout && gd.layout.meta;
  const checked = document.querySelector('#explore-grain input:checked');
  return {metric: meta ? meta.metric : null, grain: meta ? meta.grain : null,
          selected: document.querySelector('#explore-metric .Select-value-label').innerText,
          grainSelected: checked ? checked.value : null,
          busy: !!document.querySelector('[data-dash-is-loading="true"]')};
}"""


def _pick_metric(page, label: str) -> None:
    page.locator("#explore-metric .Select-control").click()
    page.keyboard.type(label)  # the list is virtualized: type to bring the option up, Enter picks it
    page.locator(".VirtualizedSelectFocusedOption", has_text=label).first.wait_for()
    page.keyboard.press("Enter")


def _pick_grain(page, grain: str) -> None:
    page.locator(f"#explore-grain label[for$='_{grain}']").click()


def _watch_requests(page) -> dict[str, int]:
    """Counts the app's callback requests in flight (a store being computed shows no loading mark)."""
    inflight = {"n": 0}

    def is_callback(request) -> bool:
        return "_dash-update-component" in request.url

    page.on("request", lambda r: inflight.__setitem__("n", inflight["n"] + is_callback(r)))
    page.on("requestfinished", lambda r: inflight.__setitem__("n", inflight["n"] - is_callback(r)))
    page.on("requestfailed", lambda r: inflight.__setitem__("n", inflight["n"] - is_callback(r)))
    return inflight


def _settled(page, inflight: dict[str, int]) -> dict:
    """The page once no callback is in flight and the chart has stayed the same for half a second."""
    last = None
    for _ in range(240):
        page.wait_for_timeout(250)
        now = page.evaluate(_SHOWN)
        if not now["busy"] and inflight["n"] <= 0 and now == last:
            return now
        last = now
    raise AssertionError(f"the explorer never settled: {last}")


def test_rapid_metric_and_grain_changes_end_on_what_the_controls_show(chromium, live_app, sample_bi):
    page = new_page(chromium, lang="en-US", width=1400, height=900)
    inflight = _watch_requests(page)
    page.goto(live_app.url + "/explore")
    page.locator("#explore-drill .bars path").first.wait_for()
    labels = {m: sample_bi.model.label(m, "en") for m in ("churn_rate", "dropped_calls", "new_subscribers", "arpu")}
    # change the metric and, within about 0.3 s, the grain -- several times, as a hurried user would
    for metric, grain in (("dropped_calls", "week"), ("churn_rate", "quarter"), ("new_subscribers", "day"),
                          ("churn_rate", "month"), ("arpu", "week"), ("dropped_calls", "month")):
        _pick_metric(page, labels[metric])
        page.wait_for_timeout(150)
        _pick_grain(page, grain)
        page.wait_for_timeout(150)
    shown = _settled(page, inflight)
    assert shown["selected"] == labels["dropped_calls"] and shown["grainSelected"] == "month"
    assert shown["metric"] == "dropped_calls" and shown["grain"] == "month", shown
    assert labels["dropped_calls"] in page.locator("#explore-trend .gtitle").first.text_content()
    drill_meta = page.evaluate("document.querySelector('#explore-drill .js-plotly-plot').layout.meta")
    assert drill_meta["metric"] == "dropped_calls"
    screenshot(page, "explorer-after-rapid-changes")
    assert page.js_errors == []
    page.context.close()


@pytest.mark.parametrize(("lang", "question"), [("zh-CN", "为什么11月广东的收入下降了？"),
                                                ("en-US", "why did complaints in Sichuan rise in October 2025")])
def test_why_card_text_names_the_first_driver_of_its_table(chromium, live_app, lang, question):
    page = new_page(chromium, lang=lang, width=1400, height=900)
    page.goto(live_app.url)
    page.locator("#ask-input").wait_for()
    page.fill("#ask-input", question)
    page.press("#ask-input", "Enter")
    card = page.locator("#thread > .turn").last.locator(".answer-card")
    card.locator(".contributors tbody tr").first.wait_for(timeout=60_000)
    card.locator(".chart-box svg.main-svg").first.wait_for()
    first_driver = card.locator(".contributors tbody tr").first.locator("td").first.inner_text().strip()
    text = card.locator(".answer-text").first.inner_text()
    assert first_driver and first_driver in text, (first_driver, text)
    headers = card.locator(".contributors thead th").all_inner_texts()
    title = card.locator(".chart-box .gtitle").first.text_content() or ""
    measure = headers[4] if len(headers) > 5 else headers[3]
    assert measure in title or measure.lower() in title.lower(), (headers, title)  # the chart names its measure
    rows = card.locator(".contributors tbody tr").all_inner_texts()
    assert len(rows) == len(set(rows))  # no duplicated contributor
    screenshot(page, f"why-card-{lang[:2]}")
    assert page.js_errors == []
    page.context.close()
