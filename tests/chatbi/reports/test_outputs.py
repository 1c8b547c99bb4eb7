"""Outputs: a self-contained HTML file, a PDF printed by the system's Chromium, screenshots of both.

Screenshots land in test-artifacts/ (desktop 1400x900 and phone 390x844 for the HTML, every PDF
page rendered to PNG by poppler's pdftoppm) for people to look at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ARTIFACTS

LANGS = ("zh", "en")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        message = f"{name} (poppler-utils, installed by .ci/setup) is needed to read the PDF"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def test_html_is_self_contained(november, november_html) -> None:
    html = november_html["zh"]
    # nothing is fetched: no external scripts, styles, fonts or images
    assert not re.search(r"<(script|img|iframe)[^>]+src=|<link[^>]+href=|@import|url\(http", html)
    charts = [c for s in november["zh"].sections for c in s.charts()]
    assert len(charts) >= 8
    for chart in charts:
        data = re.search(rf'<script type="application/json" id="{chart.key}-data">(.*?)</script>', html, re.DOTALL)
        assert data is not None, chart.key
        figure = json.loads(data.group(1).replace("<\\/", "</"))
        assert figure["data"] and figure["layout"]["height"] == chart.height
    assert html.count('class="sql" id="sql-') == len(november["zh"].sql)
    assert november_html["en"].startswith("<!DOCTYPE html>") and '<html lang="en">' in november_html["en"]


def test_app_html_references_plotly_instead_of_inlining_it(november) -> None:
    html = november["en"].to_html(plotlyjs="/reports/plotly.js")
    assert '<script src="/reports/plotly.js"></script>' in html
    assert len(html) < 1_000_000


@pytest.mark.browser
def test_pdf_in_both_languages(november, tmp_path: Path) -> None:
    pdftotext, pdftoppm = _tool("pdftotext"), _tool("pdftoppm")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for lang in LANGS:
        path = november[lang].save(ARTIFACTS / f"report-default-2025-11-{lang}.pdf")
        data = path.read_bytes()
        assert data.startswith(b"%PDF")
        text = subprocess.run([pdftotext, "-layout", str(path), "-"], capture_output=True, check=True,
                              text=True).stdout
        if lang == "zh":
            assert "电信运营经营分析报告" in text and "广东 × 5G × 线上" in text and "附录" in text
        else:
            assert "Telecom operator business review" in text and "Guangdong × 5G × online" in text
        pages = text.count("\f")
        assert pages >= 4, pages
        for old in ARTIFACTS.glob(f"report-pdf-{lang}-*.png"):
            old.unlink()
        subprocess.run([pdftoppm, "-png", "-r", "70", str(path), str(ARTIFACTS / f"report-pdf-{lang}")], check=True)
        assert len(list(ARTIFACTS.glob(f"report-pdf-{lang}-*.png"))) == pages


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGS)
def test_html_screenshots_desktop_and_phone(chromium, november, november_html, tmp_path: Path, lang: str) -> None:
    page_file = tmp_path / f"report-{lang}.html"
    page_file.write_text(november_html[lang], encoding="utf-8")
    charts = sum(len(s.charts()) for s in november[lang].sections)
    for name, width, height in (("desktop", 1400, 900), ("phone", 390, 844)):
        context = chromium.new_context(viewport={"width": width, "height": height}, locale=lang)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc, seen=errors: seen.append(str(exc)))
        page.goto(page_file.as_uri())
        page.wait_for_selector("body[data-charts=ready]", timeout=60_000)
        assert page.locator("div.chart .main-svg").count() >= charts
        # nothing wider than the screen except the tables and SQL, which scroll inside their box
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"report-default-{lang}-{name}.png"), full_page=True)
        assert not errors, errors
        context.close()
