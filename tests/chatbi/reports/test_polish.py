"""With a language model configured to see data, the report's highlights may be worded as one
paragraph -- against a real OpenAI-protocol server on loopback -- and never with a number of its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import servers.openai_stub as stub
from servers.openai_stub import OpenAIStub, content_reply

from chatbi import ChatBI

openai_stub, clean_llm_env = stub.openai_stub, stub.clean_llm_env  # fixtures
pytestmark = pytest.mark.usefixtures("clean_llm_env")

SYSTEM = "Rewrite these findings of a business report"


@pytest.fixture
def make_bi(sample_model, sample_db_path, openai_stub: OpenAIStub) -> Iterator[Callable[..., ChatBI]]:
    made: list[ChatBI] = []

    def make(**llm: object) -> ChatBI:
        settings: dict[str, object] = {"base_url": openai_stub.base_url, "api_key": "sk-test", "model": "stub",
                                       "max_retries": 0, "timeout": 5.0, **llm}
        bi = ChatBI(sample_model, sample_db_path, translator="hybrid", llm=settings)
        made.append(bi)
        return bi

    yield make
    for bi in made:
        bi.close()


def _polish_requests(openai_stub: OpenAIStub) -> list[dict]:
    return [r.body for r in openai_stub.completions if SYSTEM in r.body["messages"][0]["content"]]


@pytest.fixture(scope="module")
def offline_summary(sample_bi) -> tuple[str, ...]:
    return sample_bi.report(None, period="2025-11", language="zh").summary


def test_the_models_paragraph_tops_the_highlights_when_its_numbers_are_the_reports(
        make_bi, openai_stub: OpenAIStub, offline_summary) -> None:
    # the model rewords the first two findings, copying their numbers as written
    paragraph = f"2025年11月概览：{offline_summary[0]}；同时，{offline_summary[1]}。"
    openai_stub.script(content_reply(paragraph))
    report = make_bi(share_data=True).report(None, period="2025-11", language="zh")
    (sent,) = _polish_requests(openai_stub)
    lines = ("电信运营经营分析报告", "2025年11月", *offline_summary)   # the title first: what the report is about
    assert sent["messages"][1]["content"].splitlines() == [f"- {line}" for line in lines]
    assert report.overview == paragraph and report.summary == offline_summary   # the highlights stay, unchanged
    assert report.timings["llm_polish_rounds"] == 1
    html = report.to_html(plotlyjs="plotly.js")
    assert f'<p class="overview">{paragraph} <span class="worded">（由大模型根据下列要点撰写' in html
    assert report.text().splitlines()[3] == paragraph


def test_a_paragraph_with_a_number_of_its_own_is_dropped(make_bi, openai_stub: OpenAIStub, offline_summary) -> None:
    first = offline_summary[0]                       # "收入 61.97 亿元（环比 -3.2%、同比 +13.2%）"
    value = first.split()[1]
    changed = first.replace(value, f"{round(float(value))}", 1)   # rounded by the model: not the report's number
    assert changed != first
    openai_stub.script(content_reply(f"要点：{changed}。"))
    report = make_bi(share_data=True).report(None, period="2025-11", language="zh")
    assert len(_polish_requests(openai_stub)) == 1
    assert report.overview is None and report.summary == offline_summary
    assert 'class="overview"' not in report.to_html(plotlyjs="plotly.js")


def test_a_model_not_allowed_to_see_data_is_not_sent_the_findings(make_bi, openai_stub: OpenAIStub) -> None:
    report = make_bi().report(None, period="2025-11", language="en")
    assert report.overview is None and not _polish_requests(openai_stub)


def test_a_model_that_is_down_leaves_the_report_as_the_rules_wrote_it(make_bi, openai_stub: OpenAIStub,
                                                                      offline_summary) -> None:
    openai_stub.script(stub.error_reply(503, "overloaded"))
    report = make_bi(share_data=True).report(None, period="2025-11", language="zh")
    assert report.overview is None and report.summary == offline_summary


@pytest.mark.browser
def test_the_overview_as_a_reader_sees_it(make_bi, openai_stub: OpenAIStub, offline_summary, chromium,
                                          tmp_path) -> None:
    from .conftest import ARTIFACTS

    paragraph = f"2025年11月概览：{offline_summary[0]}；{offline_summary[3]}。"
    openai_stub.script(content_reply(paragraph))
    report = make_bi(share_data=True).report(None, period="2025-11", language="zh")
    page_file = tmp_path / "overview.html"
    page_file.write_text(report.to_html(), encoding="utf-8")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, width in (("desktop", 1400), ("phone", 390)):
        context = chromium.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(page_file.as_uri())
        overview = page.locator("#summary .overview")
        assert overview.inner_text().startswith(paragraph)
        # the paragraph sits above the highlights, inside the page's width (nothing cut off on a phone)
        box, first = overview.bounding_box(), page.locator("#summary li").first.bounding_box()
        assert box["y"] < first["y"] and box["x"] + box["width"] <= width
        page.locator("#summary").screenshot(path=str(ARTIFACTS / f"report-overview-zh-{name}.png"))
        context.close()
